/*
 * test_intel.c - indicator sets: loading (plain lists, typed CSV, column CSV, the Feodo
 * list), every type's matching rules, bad lines with their line numbers, duplicates,
 * limits and rollback, and the mail analyzer's findings on a built message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wpt.h"

#include "core/util.h"
#include "watchpost/intel.h"

#ifndef WP_INTEL_FIXTURES
#error "WP_INTEL_FIXTURES must be defined by the build"
#endif

/* ---- helpers ---- */

typedef struct errlog {
    unsigned long line[32];
    char msg[32][600];
    char file[32][128];
    size_t n;
} errlog;

static void
collect(void *ctx, const char *file, unsigned long line, const char *msg)
{
    errlog *e = ctx;
    if (e->n < 32) {
        e->line[e->n] = line;
        snprintf(e->msg[e->n], sizeof e->msg[0], "%s", msg);
        snprintf(e->file[e->n], sizeof e->file[0], "%s", file);
        e->n++;
    }
}

static wp_intel_set *
new_set(errlog *e)
{
    wp_intel_options o;
    wp_intel_options_init(&o);
    if (e != NULL) {
        memset(e, 0, sizeof(*e));
        o.on_error = collect;
        o.ctx = e;
    }
    wp_intel_set *set = NULL;
    assert_int_equal(wp_intel_set_new(&o, &set), WP_OK);
    assert_non_null(set);
    return set;
}

/* Load text that must load; returns the stats. */
static wp_intel_load_stats
load_ok(wp_intel_set *set, const char *name, const char *text)
{
    wp_intel_load_stats st;
    char err[512] = "";
    wp_status s = wp_intel_load_buffer(set, name, text, strlen(text), &st, err, sizeof err);
    if (s != WP_OK)
        fail_msg("load of %s failed: %s (%s)", name, wp_strerror(s), err);
    return st;
}

static bool
has(const wp_intel_set *set, const char *what, const char *v, wp_intel_match *m)
{
    size_t n = strlen(v);
    if (strcmp(what, "hash") == 0)
        return wp_intel_lookup_hash(set, v, n, m);
    if (strcmp(what, "email") == 0)
        return wp_intel_lookup_email(set, v, n, m);
    if (strcmp(what, "domain") == 0)
        return wp_intel_lookup_domain(set, v, n, m);
    if (strcmp(what, "url") == 0)
        return wp_intel_lookup_url(set, v, n, m);
    if (strcmp(what, "ip") == 0)
        return wp_intel_lookup_ip(set, v, n, m);
    fail_msg("bad lookup kind %s", what);
    return false;
}

#define assert_match(set, what, v)                                  \
    do {                                                            \
        if (!has((set), (what), (v), NULL))                         \
            fail_msg("%s '%s' should match and does not", what, v); \
    } while (0)
#define assert_no_match(set, what, v)                               \
    do {                                                            \
        if (has((set), (what), (v), NULL))                          \
            fail_msg("%s '%s' should not match but does", what, v); \
    } while (0)

static char *
write_tmp(const char *text)
{
    char *path = strdup("/tmp/wp-intel-test-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static const char *const MD5 = "d41d8cd98f00b204e9800998ecf8427e";
static const char *const SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
static const char *const SHA256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* ---- every type, inferred from a plain list ---- */

static void
test_plain_every_type(void **state)
{
    (void)state;
    wp_intel_set *set = new_set(NULL);
    char text[1024];
    snprintf(text, sizeof text,
             "# mixed list\n"
             "%s\n"
             "%s   # sha1, with a comment\n"
             "%s\n"
             "Bad.Sender@Evil-Mail.example\n"
             "evil.example\n"
             "https://phish.example/login?next=1\n"
             "192.0.2.1\n"
             "198.51.100.0/24\n"
             "2001:db8:dead::/48\n",
             MD5, SHA1, SHA256);
    wp_intel_load_stats st = load_ok(set, "feeds/mixed.txt", text);
    assert_int_equal(st.added, 9);
    assert_int_equal(st.bad, 0);
    assert_int_equal(st.duplicates, 0);
    assert_int_equal(st.lines, 10);
    assert_int_equal(wp_intel_count(set, WP_INTEL_MD5), 1);
    assert_int_equal(wp_intel_count(set, WP_INTEL_SHA1), 1);
    assert_int_equal(wp_intel_count(set, WP_INTEL_SHA256), 1);
    assert_int_equal(wp_intel_count(set, WP_INTEL_EMAIL), 1);
    assert_int_equal(wp_intel_count(set, WP_INTEL_DOMAIN), 1);
    assert_int_equal(wp_intel_count(set, WP_INTEL_URL), 1);
    assert_int_equal(wp_intel_count(set, WP_INTEL_IP), 3);
    assert_int_equal(wp_intel_count(set, WP_INTEL__COUNT), 9);

    wp_intel_match m;
    assert_true(has(set, "hash", "D41D8CD98F00B204E9800998ECF8427E", &m)); /* either case */
    assert_int_equal(m.type, WP_INTEL_MD5);
    assert_string_equal(m.value, MD5);
    assert_string_equal(m.file, "feeds/mixed.txt");
    assert_int_equal(m.line, 2);
    assert_null(m.source);
    assert_true(has(set, "hash", SHA1, &m));
    assert_int_equal(m.type, WP_INTEL_SHA1);
    assert_int_equal(m.line, 3);
    assert_true(has(set, "hash", SHA256, &m));
    assert_int_equal(m.type, WP_INTEL_SHA256);
    assert_no_match(set, "hash", "d41d8cd98f00b204e9800998ecf8427f");
    assert_no_match(set, "hash", "d41d8cd98f00b204e9800998ecf8427"); /* 31 digits */

    assert_true(has(set, "email", "<BAD.sender@evil-mail.EXAMPLE>", &m));
    assert_string_equal(m.value, "bad.sender@evil-mail.example");
    assert_int_equal(m.line, 5);
    assert_no_match(set, "email", "other.sender@evil-mail.example");

    assert_true(has(set, "url", "HTTPS://Phish.Example:443/login?next=1#top", &m));
    assert_string_equal(m.value, "https://phish.example/login?next=1");
    assert_no_match(set, "url", "https://phish.example/LOGIN?next=1"); /* path case kept */

    char label[256];
    assert_true(has(set, "ip", "198.51.100.200", &m));
    assert_string_equal(m.value, "198.51.100.0/24");
    assert_string_equal(wp_intel_match_label(&m, label, sizeof label), "feeds/mixed.txt:9");
    assert_true(has(set, "ip", "192.0.2.1", &m));
    assert_string_equal(m.value, "192.0.2.1");
    assert_no_match(set, "ip", "192.0.2.2");
    assert_match(set, "ip", "2001:db8:dead:beef::1");
    assert_no_match(set, "ip", "2001:db8:deae::1");
    assert_true(wp_intel_memory(set) > 0);
    wp_intel_set_free(set);
}

/* ---- domains: subdomains match, look-alikes and bare TLDs do not ---- */

static void
test_domain_matching(void **state)
{
    (void)state;
    errlog e;
    wp_intel_set *set = new_set(&e);
    wp_intel_load_stats st = load_ok(set, "d.txt",
                                     "evil.com\n"           /* 1 */
                                     "*.wild.example\n"     /* 2: same as wild.example */
                                     "Deep.Sub.Evil.Org.\n" /* 3 */
                                     "com\n"                /* 4: bare TLD, refused */
                                     "co.uk\n"              /* 5: public suffix, refused */
                                     ".lead-dot.example\n"  /* 6 */
                                     "1.2.3\n");            /* 7: bad IPv4, not a domain */
    assert_int_equal(st.added, 4);
    assert_int_equal(st.bad, 3);
    assert_int_equal(e.n, 3);
    assert_int_equal(e.line[0], 4);
    assert_str_contains(e.msg[0], "bare top-level domain");
    assert_int_equal(e.line[1], 5);
    assert_str_contains(e.msg[1], "public suffix");
    assert_int_equal(e.line[2], 7);

    wp_intel_match m;
    assert_true(has(set, "domain", "a.b.evil.com", &m));
    assert_string_equal(m.value, "evil.com");
    assert_int_equal(m.line, 1);
    assert_match(set, "domain", "evil.com");
    assert_match(set, "domain", "EVIL.COM.");
    assert_no_match(set, "domain", "notevil.com");
    assert_no_match(set, "domain", "evil.com.attacker.net");
    assert_no_match(set, "domain", "com");
    assert_no_match(set, "domain", "example.com");
    assert_match(set, "domain", "x.wild.example");
    assert_match(set, "domain", "wild.example");
    assert_match(set, "domain", "deep.sub.evil.org");
    assert_match(set, "domain", "a.deep.sub.evil.org");
    assert_no_match(set, "domain", "sub.evil.org"); /* a parent of a listed name is not listed */
    assert_match(set, "domain", "www.lead-dot.example");
    assert_no_match(set, "domain", "");
    assert_no_match(set, "domain", "evil.com/path");
    wp_intel_set_free(set);
}

/* ---- networks: longest prefix wins, IPv4 and IPv6 ---- */

static void
test_cidr_longest_prefix(void **state)
{
    (void)state;
    wp_intel_set *set = new_set(NULL);
    load_ok(set, "nets.txt",
            "10.0.0.0/8\n"          /* 1 */
            "10.1.0.0/16\n"         /* 2 */
            "10.1.2.0/24\n"         /* 3 */
            "2001:db8::/32\n"       /* 4 */
            "2001:db8:1::/48\n"     /* 5 */
            "2001:db8:1:2::7/128\n" /* 6 */
            "::ffff:172.16.0.0/108\n" /* 7: v4-mapped, stored as 172.16.0.0/12 */);
    wp_intel_match m;
    assert_true(has(set, "ip", "10.1.2.3", &m));
    assert_string_equal(m.value, "10.1.2.0/24");
    assert_int_equal(m.line, 3);
    assert_true(has(set, "ip", "10.1.9.9", &m));
    assert_string_equal(m.value, "10.1.0.0/16");
    assert_true(has(set, "ip", "10.200.0.1", &m));
    assert_string_equal(m.value, "10.0.0.0/8");
    assert_no_match(set, "ip", "11.0.0.1");
    assert_no_match(set, "ip", "9.255.255.255");
    assert_true(has(set, "ip", "::ffff:10.1.2.3", &m)); /* v4-mapped query */
    assert_string_equal(m.value, "10.1.2.0/24");
    assert_true(has(set, "ip", "172.31.255.255", &m));
    assert_string_equal(m.value, "172.16.0.0/12");
    assert_int_equal(m.line, 7);

    assert_true(has(set, "ip", "2001:db8:1:2::7", &m));
    assert_string_equal(m.value, "2001:db8:1:2::7");
    assert_true(has(set, "ip", "[2001:db8:1:2::8]", &m));
    assert_string_equal(m.value, "2001:db8:1::/48");
    assert_true(has(set, "ip", "2001:db8:ffff::1", &m));
    assert_string_equal(m.value, "2001:db8::/32");
    assert_int_equal(m.line, 4);
    assert_no_match(set, "ip", "2001:db9::1");
    assert_no_match(set, "ip", "10.1.2.3/32"); /* a query is an address, not a network */

    uint8_t a4[4] = {10, 1, 2, 200};
    assert_true(wp_intel_lookup_ip_bytes(set, a4, 4, &m));
    assert_string_equal(m.value, "10.1.2.0/24");
    assert_false(wp_intel_lookup_ip_bytes(set, a4, 5, &m));
    wp_intel_set_free(set);
}

/* ---- bad lines: reported with the right file and line, the rest still loads ---- */

static void
test_bad_lines_reported(void **state)
{
    (void)state;
    errlog e;
    wp_intel_set *set = new_set(&e);
    wp_intel_load_stats st = load_ok(set, "feeds/bad.txt",
                                     "good.example\n"                    /* 1 */
                                     "10.0.0.0/33\n"                     /* 2 */
                                     "300.1.1.1\n"                       /* 3 */
                                     "\n"                                /* 4 */
                                     "d41d8cd98f00b204e9800998ecf8427\n" /* 5: 31 hex */
                                     "10.1.2.3/8\n"                      /* 6: host bits */
                                     "0.0.0.0/0\n"                       /* 7 */
                                     "evil.example some words\n"         /* 8 */
                                     "@nolocal.example\n"                /* 9 */
                                     "bad_chars!.example\n"              /* 10 */
                                     "192.0.2.5\n");                     /* 11 */
    assert_int_equal(st.added, 2);
    assert_int_equal(st.bad, 8);
    assert_int_equal(st.lines, 11);
    assert_int_equal(e.n, 8);
    const unsigned long lines[] = {2, 3, 5, 6, 7, 8, 9, 10};
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(e.line[i], lines[i]);
        assert_string_equal(e.file[i], "feeds/bad.txt");
    }
    assert_str_contains(e.msg[0], "10.0.0.0/33");
    assert_str_contains(e.msg[0], "out of range");
    assert_str_contains(e.msg[1], "300.1.1.1");
    assert_str_contains(e.msg[2], "31 hex digits");
    assert_str_contains(e.msg[3], "host bits");
    assert_str_contains(e.msg[3], "10.0.0.0/8");
    assert_str_contains(e.msg[4], "/0");
    assert_str_contains(e.msg[5], "unexpected text");
    assert_match(set, "domain", "good.example");
    assert_match(set, "ip", "192.0.2.5");
    assert_no_match(set, "ip", "10.0.0.1");
    wp_intel_set_free(set);
}

/* Only the first max_messages bad lines are told, then one summary; all are counted. */
static void
test_bad_line_messages_capped(void **state)
{
    (void)state;
    errlog e;
    wp_intel_set *set = new_set(&e);
    wpt_buf b = {0};
    wpt_buf_printf(&b, "ok.example\n");
    for (int i = 0; i < 25; i++)
        wpt_buf_printf(&b, "999.%d.0.1\n", i);
    wp_intel_load_stats st;
    char err[256];
    assert_int_equal(wp_intel_load_buffer(set, "many.txt", b.p, b.n, &st, err, sizeof err), WP_OK);
    assert_int_equal(st.bad, 25);
    assert_int_equal(e.n, WP_INTEL_MESSAGES_DEFAULT + 1);
    assert_int_equal(e.line[WP_INTEL_MESSAGES_DEFAULT - 1], WP_INTEL_MESSAGES_DEFAULT + 1);
    assert_int_equal(e.line[WP_INTEL_MESSAGES_DEFAULT], 0);
    assert_str_contains(e.msg[WP_INTEL_MESSAGES_DEFAULT], "15 more bad lines");
    wpt_buf_free(&b);
    wp_intel_set_free(set);
}

/* ---- duplicates are merged and counted; the first label stays ---- */

static void
test_duplicates(void **state)
{
    (void)state;
    wp_intel_set *set = new_set(NULL);
    wp_intel_load_stats st = load_ok(set, "a.txt",
                                     "evil.example\n"
                                     "EVIL.example.\n"
                                     "*.evil.example\n"
                                     "10.0.0.0/8\n"
                                     "10.0.0.0/8\n"
                                     "::ffff:10.0.0.0/104\n"
                                     "http://x.example\n"
                                     "http://X.example:80/\n");
    assert_int_equal(st.added, 3);
    assert_int_equal(st.duplicates, 5);
    st = load_ok(set, "b.txt", "evil.example\nnew.example\n");
    assert_int_equal(st.added, 1);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(wp_intel_count(set, WP_INTEL__COUNT), 4);
    wp_intel_match m;
    assert_true(has(set, "domain", "evil.example", &m));
    assert_string_equal(m.file, "a.txt");
    assert_int_equal(m.line, 1);
    assert_true(has(set, "domain", "new.example", &m));
    assert_string_equal(m.file, "b.txt");
    assert_int_equal(m.line, 2);
    wp_intel_set_free(set);
}

/* ---- CSV with a header: type/value/source, MISP type names ---- */

static void
test_csv_typed(void **state)
{
    (void)state;
    errlog e;
    wp_intel_set *set = new_set(&e);
    wp_intel_load_stats st = load_ok(set, "feeds/apt.csv",
                                     "# exported\n"                                /* 1 */
                                     "type,value,source,comment\n"                 /* 2 */
                                     "ip-dst,192.0.2.10,MISP event 42,c2\n"        /* 3 */
                                     "hostname,Mail.Lure.example,CERT-X,\n"        /* 4 */
                                     "email-src,boss@lure.example,CERT-X\n"        /* 5 */
                                     "md5,d41d8cd98f00b204e9800998ecf8427e,,\n"    /* 6 */
                                     "sha1,not-a-hash,CERT-X\n"                    /* 7 */
                                     "regkey,HKLM\\Run,CERT-X\n"                   /* 8 */
                                     "frobnicate,x.example,CERT-X\n"               /* 9 */
                                     "url,lure.example/pay,CERT-X\n"               /* 10 */
                                     ",auto.example,CERT-X\n"                      /* 11 */
                                     "domain,,CERT-X\n"                            /* 12 */
                                     "\"domain\",\"quoted, with comma.example\"\n" /* 13 */
                                     "domain\n");                                  /* 14 */
    assert_int_equal(st.added, 6);
    assert_int_equal(st.ignored, 1);
    assert_int_equal(st.bad, 5);
    assert_int_equal(e.line[0], 7);
    assert_str_contains(e.msg[0], "sha1");
    assert_int_equal(e.line[1], 9);
    assert_str_contains(e.msg[1], "unknown type 'frobnicate'");
    assert_int_equal(e.line[2], 12);
    assert_str_contains(e.msg[2], "empty");
    assert_int_equal(e.line[3], 13);
    assert_int_equal(e.line[4], 14);
    assert_str_contains(e.msg[4], "columns");

    wp_intel_match m;
    char label[256];
    assert_true(has(set, "ip", "192.0.2.10", &m));
    assert_string_equal(m.source, "MISP event 42");
    assert_string_equal(wp_intel_match_label(&m, label, sizeof label),
                        "feeds/apt.csv:3, source MISP event 42");
    assert_true(has(set, "domain", "x.mail.lure.example", &m));
    assert_string_equal(m.source, "CERT-X");
    assert_int_equal(m.line, 4);
    assert_match(set, "email", "Boss@Lure.Example");
    assert_true(has(set, "hash", MD5, &m));
    assert_null(m.source);                               /* empty source column */
    assert_match(set, "url", "http://lure.example/pay"); /* typed URL without scheme */
    assert_match(set, "domain", "auto.example");
    wp_intel_set_free(set);
}

/* A MISP CSV export: composite types, ignored types, the source-less layout. */
static void
test_csv_misp_export(void **state)
{
    (void)state;
    errlog e;
    wp_intel_set *set = new_set(&e);
    char err[512] = "";
    wp_intel_load_stats st;
    assert_int_equal(
        wp_intel_load_file(set, WP_INTEL_FIXTURES "/misp_export.csv", &st, err, sizeof err), WP_OK);
    assert_int_equal(st.added, 6);
    assert_int_equal(st.ignored, 1);
    assert_int_equal(st.bad, 1);
    assert_int_equal(e.line[0], 9);
    assert_str_contains(e.msg[0], "bogus-type");
    wp_intel_match m;
    assert_true(has(set, "hash", SHA256, &m)); /* from filename|sha256, upper-case hex */
    assert_int_equal(m.line, 5);
    assert_match(set, "ip", "203.0.113.9");
    assert_match(set, "ip", "198.51.100.77"); /* ip-dst|port */
    assert_match(set, "email", "phisher@lure.example");
    assert_match(set, "url", "http://lure.example/a,b?x=1");
    assert_match(set, "domain", "www.c2.badness.example");
    wp_intel_set_free(set);
}

/* JA3 fingerprints: typed only (MISP name, plain keyword, a column), kept apart from md5s. */
static void
test_ja3(void **state)
{
    (void)state;
    errlog e;
    wp_intel_set *set = new_set(&e);
    wp_intel_load_stats st =
        load_ok(set, "feeds/ja3.csv",
                "type,value,source\n"                                         /* 1 */
                "ja3-fingerprint-md5,72A589DA586844D7F0818CE684948EEA,MISP\n" /* 2 */
                "ja3,a0e9f5d64349fb13191bc781f81f42e1,SSLBL\n"                /* 3 */
                "ja3s,b898351eb5e266aefd3723d466935494,\n"                    /* 4 */
                "ja3,not-a-fingerprint,SSLBL\n"                               /* 5 */
                "md5,d41d8cd98f00b204e9800998ecf8427e,\n");                   /* 6 */
    assert_int_equal(st.added, 4);
    assert_int_equal(st.bad, 1);
    assert_int_equal(e.line[0], 5);
    assert_str_contains(e.msg[0], "JA3");
    assert_int_equal(wp_intel_count(set, WP_INTEL_JA3), 3);
    assert_int_equal(wp_intel_count(set, WP_INTEL_MD5), 1);
    assert_string_equal(wp_intel_type_name(WP_INTEL_JA3), "ja3");

    wp_intel_match m;
    const char *ja3 = "72a589da586844d7f0818ce684948eea";
    assert_true(wp_intel_lookup_ja3(set, ja3, strlen(ja3), &m));
    assert_int_equal(m.type, WP_INTEL_JA3);
    assert_string_equal(m.value, ja3);
    assert_string_equal(m.source, "MISP");
    assert_int_equal(m.line, 2);
    const char *ja3s = "B898351EB5E266AEFD3723D466935494";
    assert_true(wp_intel_lookup_ja3(set, ja3s, strlen(ja3s), &m));
    assert_int_equal(m.line, 4);
    /* a fingerprint is not a file hash, and a file hash is not a fingerprint */
    assert_no_match(set, "hash", ja3);
    assert_false(wp_intel_lookup_ja3(set, MD5, strlen(MD5), NULL));
    assert_false(wp_intel_lookup_ja3(set, ja3, 31, NULL));
    assert_false(wp_intel_lookup_ja3(NULL, ja3, strlen(ja3), NULL));

    /* a column named ja3_md5 (abuse.ch SSLBL), and no JA3 from a plain list */
    wp_intel_set *set2 = new_set(NULL);
    st = load_ok(set2, "sslbl.csv",
                 "ja3_md5,listingreason\n1aa7bf8b97e540ca5edd75f7b8384bfa,Trickbot\n");
    assert_int_equal(st.added, 1);
    assert_true(wp_intel_lookup_ja3(set2, "1aa7bf8b97e540ca5edd75f7b8384bfa", 32, NULL));
    wp_intel_set_free(set2);
    set2 = new_set(NULL);
    load_ok(set2, "plain.txt", "1aa7bf8b97e540ca5edd75f7b8384bfa\n");
    assert_false(wp_intel_lookup_ja3(set2, "1aa7bf8b97e540ca5edd75f7b8384bfa", 32, NULL));
    assert_int_equal(wp_intel_count(set2, WP_INTEL_MD5), 1);
    wp_intel_set_free(set2);
    wp_intel_set_free(set);
}

/* Columns named by type ("md5, sha1, sha256"), each cell an indicator. */
static void
test_csv_columns(void **state)
{
    (void)state;
    wp_intel_set *set = new_set(NULL);
    char text[1024];
    snprintf(text, sizeof text, "md5, sha1, sha256, filename\n%s, %s, %s, a.exe\n, , %s, b\n", MD5,
             SHA1, SHA256, "5f815b8a8e77731c9ca2b3a07a27f880ef24d54e458d77bdabbbaf2269fe96c3");
    wp_intel_load_stats st = load_ok(set, "hashes.csv", text);
    assert_int_equal(st.added, 4);
    assert_int_equal(st.bad, 0);
    assert_match(set, "hash", MD5);
    assert_match(set, "hash", SHA1);
    assert_match(set, "hash", "5F815B8A8E77731C9CA2B3A07A27F880EF24D54E458D77BDABBBAF2269FE96C3");
    wp_intel_set_free(set);
}

/* ---- the abuse.ch Feodo Tracker list (a hand-made copy of its layout) ---- */

static void
test_feodo_csv(void **state)
{
    (void)state;
    wp_intel_set *set = new_set(NULL);
    wp_intel_load_stats st;
    char err[512] = "";
    const char *path = WP_INTEL_FIXTURES "/feodo_small.csv";
    assert_int_equal(wp_intel_load_file(set, path, &st, err, sizeof err), WP_OK);
    assert_int_equal(st.added, 4);
    assert_int_equal(st.duplicates, 1); /* the same C2 on another port */
    assert_int_equal(st.bad, 0);
    assert_int_equal(st.lines, 15);
    wp_intel_match m;
    assert_true(has(set, "ip", "192.0.2.143", &m));
    assert_string_equal(m.source, "Dridex");
    assert_string_equal(m.file, path);
    assert_int_equal(m.line, 14);
    assert_true(has(set, "ip", "198.51.100.155", &m));
    assert_string_equal(m.source, "Pikabot");
    assert_int_equal(m.line, 11);
    assert_no_match(set, "ip", "192.0.2.144");
    wp_intel_set_free(set);
}

/* ---- file-level failures leave the set as it was ---- */

static void
test_load_failures(void **state)
{
    (void)state;
    wp_intel_set *set = new_set(NULL);
    load_ok(set, "base.txt", "keep.example\n");
    char err[512];
    wp_intel_load_stats st = {0};

    assert_int_equal(wp_intel_load_file(set, "/nonexistent/feed.txt", &st, err, sizeof err),
                     WP_EIO);
    assert_str_contains(err, "/nonexistent/feed.txt");
    assert_int_equal(wp_intel_load_file(set, "/tmp", &st, err, sizeof err), WP_EIO);
    assert_str_contains(err, "directory");

    const char *only_comments = "# nothing here\n\n   \n";
    assert_int_equal(wp_intel_load_buffer(set, "empty.txt", only_comments, strlen(only_comments),
                                          &st, err, sizeof err),
                     WP_EPARSE);
    assert_str_contains(err, "empty.txt: no indicators");

    const char *all_bad = "# header comment\n300.0.0.1\n10.0.0.0/40\n";
    assert_int_equal(
        wp_intel_load_buffer(set, "allbad.txt", all_bad, strlen(all_bad), &st, err, sizeof err),
        WP_EPARSE);
    assert_str_contains(err, "allbad.txt: no valid indicator");
    assert_str_contains(err, "line 2");
    assert_int_equal(st.added, 0); /* not written on failure */

    const char *only_ignored = "type,value\nmutex,abc\n";
    assert_int_equal(wp_intel_load_buffer(set, "ign.csv", only_ignored, strlen(only_ignored), &st,
                                          err, sizeof err),
                     WP_EPARSE);
    assert_int_equal(wp_intel_count(set, WP_INTEL__COUNT), 1);
    assert_match(set, "domain", "keep.example");
    wp_intel_set_free(set);
}

static void
test_max_indicators_rolls_back(void **state)
{
    (void)state;
    wp_intel_options o;
    wp_intel_options_init(&o);
    o.max_indicators = 3;
    wp_intel_set *set = NULL;
    assert_int_equal(wp_intel_set_new(&o, &set), WP_OK);
    load_ok(set, "one.txt", "a.example\nb.example\n");
    const char *more = "c.example\nd.example\ne.example\n";
    char err[512];
    assert_int_equal(
        wp_intel_load_buffer(set, "more.txt", more, strlen(more), NULL, err, sizeof err),
        WP_ELIMIT);
    assert_str_contains(err, "more.txt:2");
    assert_str_contains(err, "max_indicators");
    assert_int_equal(wp_intel_count(set, WP_INTEL__COUNT), 2);
    assert_no_match(set, "domain", "c.example"); /* rolled back */
    assert_match(set, "domain", "b.example");
    /* the set still works after the rollback */
    load_ok(set, "last.txt", "f.example\n");
    assert_match(set, "domain", "f.example");
    wp_intel_set_free(set);
}

/* Long lines, CRLF, a byte-order mark, no final newline, NUL bytes, a file read in blocks. */
static void
test_line_handling(void **state)
{
    (void)state;
    errlog e;
    wp_intel_options o;
    wp_intel_options_init(&o);
    o.max_line_bytes = 64;
    o.on_error = collect;
    o.ctx = &e;
    memset(&e, 0, sizeof e);
    wp_intel_set *set = NULL;
    assert_int_equal(wp_intel_set_new(&o, &set), WP_OK);
    wpt_buf b = {0};
    wpt_buf_printf(&b, "\xEF\xBB\xBF"
                       "bom.example\r\n");  /* 1 */
    wpt_buf_printf(&b, "crlf.example\r\n"); /* 2 */
    for (int i = 0; i < 100; i++)           /* 3: too long */
        wpt_buf_printf(&b, "x");
    wpt_buf_printf(&b, ".example\n");
    wpt_buf_add(&b, "nul\0byte.example\n", 17); /* 4 */
    wpt_buf_printf(&b, "last.example");         /* 5, no newline */
    wp_intel_load_stats st;
    char err[256];
    assert_int_equal(wp_intel_load_buffer(set, "lines.txt", b.p, b.n, &st, err, sizeof err), WP_OK);
    assert_int_equal(st.added, 3);
    assert_int_equal(st.bad, 2);
    assert_int_equal(st.lines, 5);
    assert_int_equal(e.line[0], 3);
    assert_str_contains(e.msg[0], "longer than 64");
    assert_int_equal(e.line[1], 4);
    assert_match(set, "domain", "bom.example");
    assert_match(set, "domain", "crlf.example");
    assert_match(set, "domain", "last.example");

    /* the same through a file, in 64 KiB blocks: a line may straddle two blocks */
    wp_intel_set *fset = new_set(NULL);
    wpt_buf big = {0};
    for (int i = 0; i < 8000; i++)
        wpt_buf_printf(&big, "host-%05d.example.net\n", i);
    wpt_buf_printf(&big, "tail.example");
    char *path = write_tmp(big.p);
    assert_int_equal(wp_intel_load_file(fset, path, &st, err, sizeof err), WP_OK);
    assert_int_equal(st.added, 8001);
    assert_match(fset, "domain", "host-03000.example.net");
    assert_match(fset, "domain", "tail.example");
    wp_intel_match m;
    assert_true(has(fset, "domain", "host-07999.example.net", &m));
    assert_int_equal(m.line, 8000);
    unlink(path);
    free(path);
    wpt_buf_free(&big);
    wpt_buf_free(&b);
    wp_intel_set_free(fset);
    wp_intel_set_free(set);
}

/* Arbitrary bytes never crash the loader; lookups on garbage never match. */
static void
test_garbage(void **state)
{
    (void)state;
    wp_intel_set *set = new_set(NULL);
    unsigned char junk[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (unsigned char)(x >> 16);
    }
    char err[256];
    wp_status s = wp_intel_load_buffer(set, "junk", junk, sizeof junk, NULL, err, sizeof err);
    assert_true(s == WP_OK || s == WP_EPARSE);
    assert_false(wp_intel_lookup_domain(set, (const char *)junk, 300, NULL));
    assert_false(wp_intel_lookup_url(set, (const char *)junk, sizeof junk, NULL));
    assert_false(wp_intel_lookup_ip(set, "::ffff:999.1.1.1", 16, NULL));
    assert_false(wp_intel_lookup_hash(NULL, MD5, 32, NULL));
    wp_intel_set_free(set);
    wp_intel_set_free(NULL);
}

/* The memory target: under 100 bytes per indicator for a mixed set. */
static void
test_memory_per_indicator(void **state)
{
    (void)state;
    wp_intel_set *set = new_set(NULL);
    wpt_buf b = {0};
    const int n = 60000;
    for (int i = 0; i < n; i++) {
        uint32_t h = (uint32_t)i * 2654435761u;
        switch (i % 6) {
        case 0:
            wpt_buf_printf(&b, "%08x%08x%08x%08x%08x%08x%08x%08x\n", h, h ^ 1, h ^ 2, h ^ 3, h ^ 4,
                           h ^ 5, h ^ 6, (uint32_t)i);
            break;
        case 1:
            wpt_buf_printf(&b, "%08x%08x%08x%08x\n", h, h ^ 7, h ^ 9, (uint32_t)i);
            break;
        case 2:
            wpt_buf_printf(&b, "d%u.bad-domain.example\n", h);
            break;
        case 3:
            wpt_buf_printf(&b, "http://u%u.example/path/to/page.php?id=%d\n", h, i);
            break;
        case 4:
            wpt_buf_printf(&b, "user%d@mail%u.example\n", i, h % 1000);
            break;
        default:
            wpt_buf_printf(&b, "%u.%u.%u.%u\n", 1 + (h >> 24) % 223, (h >> 16) & 255,
                           (h >> 8) & 255, (unsigned)i & 255);
        }
    }
    wp_intel_load_stats st;
    char err[256];
    assert_int_equal(wp_intel_load_buffer(set, "gen.txt", b.p, b.n, &st, err, sizeof err), WP_OK);
    size_t total = wp_intel_count(set, WP_INTEL__COUNT);
    assert_true(total > (size_t)n * 99 / 100);
    double per = (double)wp_intel_memory(set) / (double)total;
    if (per >= 100.0)
        fail_msg("%.1f bytes per indicator (target < 100)", per);
    wpt_buf_free(&b);
    wp_intel_set_free(set);
}

/* ---- the analyzer in a scan ---- */

static wp_engine *
engine_with(const char *const *kv, size_t n, char *err, size_t errlen, wp_status *st)
{
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    for (size_t i = 0; i < n; i += 2) {
        wp_status s = wp_engine_config_set(&cfg, kv[i], kv[i + 1], err, errlen);
        if (s != WP_OK)
            fail_msg("config %s: %s", kv[i], err);
    }
    wp_engine *e = NULL;
    *st = wp_engine_new(&cfg, &e, err, errlen);
    wp_engine_config_fini(&cfg);
    return e;
}

static void
test_scan_findings(void **state)
{
    (void)state;
    static const char payload[] = "pretend this is malware\n";
    wp_hashes hs;
    wp_hash_all((const uint8_t *)payload, sizeof payload - 1, &hs);
    char feed[1024];
    snprintf(feed, sizeof feed,
             "type,value,source\n"
             "sha256,%s,sandbox\n"                          /* 2 */
             "email,bad.guy@sender.example,CERT\n"          /* 3 */
             "domain,phish.example,CERT\n"                  /* 4 */
             "url,https://drop.example/get.php?id=7,CERT\n" /* 5 */
             "ip-dst,198.51.100.0/24,CERT\n"                /* 6 */
             "ip-src,203.0.113.7,Feodo\n"                   /* 7 */
             "domain,relay-domain.example,CERT\n",          /* 8 */
             hs.sha256);
    char *path = write_tmp(feed);
    const char *kv[] = {"intel.file", path};
    char err[512] = "";
    wp_status st;
    wp_engine *e = engine_with(kv, 2, err, sizeof err, &st);
    if (st != WP_OK)
        fail_msg("wp_engine_new: %s", err);
    wp_scanner *sc = NULL;
    assert_int_equal(wp_scanner_new(e, &sc), WP_OK);

    char *b64 = wpt_base64(payload, sizeof payload - 1);
    wpt_buf m = {0};
    wpt_buf_printf(&m,
                   "Received: from mx.relay-domain.example (mx.relay-domain.example "
                   "[203.0.113.7]) by mx.receiver.example; Mon, 01 Jan 2024 12:00:00 +0000\n"
                   "Received: from internal (10.9.8.7) by mx.relay-domain.example\n"
                   "From: Bad Guy <Bad.Guy@Sender.Example>\n"
                   "Reply-To: \"support\" <help@login.phish.example>\n"
                   "To: bob@receiver.example\n"
                   "Subject: invoice\n"
                   "Date: Mon, 01 Jan 2024 12:00:00 +0000\n"
                   "Message-ID: <intel-test@watchpost.test>\n"
                   "MIME-Version: 1.0\n"
                   "Content-Type: multipart/mixed; boundary=\"B\"\n\n"
                   "--B\nContent-Type: text/plain\n\n"
                   "Pay at https://drop.example/get.php?id=7#now or http://198.51.100.20/x\n"
                   "and see https://www.notphish.example/ too, or http://cdn.phish.example/\n"
                   "--B\nContent-Type: application/octet-stream; name=\"inv.bin\"\n"
                   "Content-Disposition: attachment; filename=\"inv.bin\"\n"
                   "Content-Transfer-Encoding: base64\n\n%s\n--B--\n",
                   b64);
    wp_report *r = NULL;
    assert_int_equal(wp_scan_message(sc, (const uint8_t *)m.p, m.n, &r), WP_OK);

    char want[1200];
    assert_finding(r, "INTEL_HASH", NULL);
    const wp_finding *f = wpt_find(r, "INTEL_HASH", NULL);
    snprintf(want, sizeof want, "sha256 %s of inv.bin is listed in %s:2, source sandbox", hs.sha256,
             path);
    assert_string_equal(f->evidence, want);
    assert_int_equal(f->category, WP_CAT_MALWARE);
    assert_int_equal(f->weight, 9);

    f = wpt_find(r, "INTEL_SENDER", "header:From");
    if (f == NULL) {
        wpt_dump(r);
        fail_msg("no INTEL_SENDER at header:From");
    }
    snprintf(want, sizeof want, "%s:3, source CERT", path);
    assert_str_contains(f->evidence, "bad.guy@sender.example");
    assert_str_contains(f->evidence, want);

    f = wpt_find(r, "INTEL_DOMAIN", "header:Reply-To");
    if (f == NULL) {
        wpt_dump(r);
        fail_msg("no INTEL_DOMAIN at header:Reply-To");
    }
    assert_str_contains(f->evidence, "login.phish.example is under listed domain phish.example");

    f = wpt_find(r, "INTEL_URL", NULL);
    assert_non_null(f);
    assert_str_contains(f->evidence, "https://drop.example/get.php?id=7");
    snprintf(want, sizeof want, "%s:5", path);
    assert_str_contains(f->evidence, want);

    f = wpt_find(r, "INTEL_LINK_IP", NULL);
    assert_non_null(f);
    assert_str_contains(f->evidence, "198.51.100.20 is listed as 198.51.100.0/24");

    f = wpt_find(r, "INTEL_IP", "header:Received");
    assert_non_null(f);
    assert_str_contains(f->evidence, "Received header 1 of 2 is listed as 203.0.113.7");
    assert_str_contains(f->evidence, "source Feodo");

    /* the listed domain in Reply-To and in a link: two places, two findings;
     * notphish.example is not under phish.example */
    assert_int_equal(wpt_count(r, "INTEL_DOMAIN"), 2);
    for (size_t i = 0; i < r->n_findings; i++)
        assert_str_not_contains(r->findings[i].evidence, "notphish");
    assert_int_equal(wpt_count(r, "INTEL_URL"), 1);
    assert_int_equal(r->verdict.cls, WP_VERDICT_MALWARE);
    wp_report_free(r);

    /* the envelope: MAIL FROM and the client address */
    wpt_buf c = {0};
    wpt_std_headers(&c, "clean");
    wpt_buf_printf(&c, "\nnothing to see\n");
    wp_envelope env = {.client_ip = "203.0.113.7", .mail_from = "x@relay-domain.example"};
    assert_int_equal(wp_scan_message_env(sc, (const uint8_t *)c.p, c.n, &env, &r), WP_OK);
    assert_finding(r, "INTEL_IP", "envelope:client_ip");
    assert_finding(r, "INTEL_DOMAIN", "envelope:mail_from");
    wp_report_free(r);

    /* and a message with nothing listed */
    assert_int_equal(wp_scan_message(sc, (const uint8_t *)c.p, c.n, &r), WP_OK);
    for (size_t i = 0; i < r->n_findings; i++)
        assert_false(strncmp(r->findings[i].code, "INTEL_", 6) == 0);
    wp_report_free(r);

    wpt_buf_free(&c);
    wpt_buf_free(&m);
    free(b64);
    wp_scanner_free(sc);
    wp_engine_free(e);
    unlink(path);
    free(path);
}

static void
test_engine_config_errors(void **state)
{
    (void)state;
    char err[512] = "";
    wp_status st;
    const char *missing[] = {"intel.file", "/nonexistent/intel/feed.csv"};
    wp_engine *e = engine_with(missing, 2, err, sizeof err, &st);
    assert_int_equal(st, WP_EIO);
    assert_null(e);
    assert_str_contains(err, "/nonexistent/intel/feed.csv");

    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    assert_int_equal(wp_engine_config_set(&cfg, "intel.max_indicators", "lots", err, sizeof err),
                     WP_EINVAL);
    assert_str_contains(err, "intel.max_indicators");
    assert_int_equal(wp_engine_config_set(&cfg, "intel.nope", "1", err, sizeof err), WP_ENOTFOUND);
    assert_int_equal(wp_engine_config_set(&cfg, "intel.file", "", err, sizeof err), WP_EINVAL);
    wp_engine_config_fini(&cfg);

    /* no file configured: the module is skipped and the engine works */
    wp_engine_config_init(&cfg);
    assert_int_equal(wp_engine_new(&cfg, &e, err, sizeof err), WP_OK);
    wp_engine_free(e);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_every_type),
        cmocka_unit_test(test_domain_matching),
        cmocka_unit_test(test_cidr_longest_prefix),
        cmocka_unit_test(test_bad_lines_reported),
        cmocka_unit_test(test_bad_line_messages_capped),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_csv_typed),
        cmocka_unit_test(test_csv_misp_export),
        cmocka_unit_test(test_csv_columns),
        cmocka_unit_test(test_ja3),
        cmocka_unit_test(test_feodo_csv),
        cmocka_unit_test(test_load_failures),
        cmocka_unit_test(test_max_indicators_rolls_back),
        cmocka_unit_test(test_line_handling),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_memory_per_indicator),
        cmocka_unit_test(test_scan_findings),
        cmocka_unit_test(test_engine_config_errors),
    };
    return wpt_main(argc, argv, "intel", tests, sizeof tests / sizeof tests[0], NULL, 0, NULL,
                    NULL);
}
