/*
 * test_auth.c - the auth module against a real DNS server.
 *
 * The group setup generates an RSA key (libcrypto), writes a zone for example.com with SPF,
 * DKIM key and DMARC records made from it, and starts knotd on 127.0.0.1 at a free port
 * with a configuration in a temporary directory. Messages are signed at test time with
 * libopendkim's dkim_sign(). Tests that need the server skip (with a message) when knotd is
 * not installed; scripts/install-deps.sh installs it, so in CI they run.
 *
 * The trust-mode and parser tests need no DNS at all; the unreachable and silent resolvers
 * are a closed port and a UDP socket of this process that never answers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <opendkim/dkim.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "wpt.h"

#include "auth/auth.h"
#include "auth/auth_int.h"

/* ---- the DNS server ---- */

static struct {
    bool up;
    const char *why_not; /* skip message */
    char dir[64];
    int port;
    pid_t pid;
    char *key_pem;
    char resolver[32];
} K;

static const char *
find_knotd(void)
{
    static const char *const paths[] = {"/usr/sbin/knotd", "/usr/local/sbin/knotd",
                                        "/usr/bin/knotd"};
    for (size_t i = 0; i < 3; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

/* A port that is free for both UDP and TCP right now. */
static int
free_port(void)
{
    for (int tries = 0; tries < 20; tries++) {
        int u = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t l = sizeof a;
        if (u < 0 || bind(u, (struct sockaddr *)&a, sizeof a) != 0 ||
            getsockname(u, (struct sockaddr *)&a, &l) != 0) {
            if (u >= 0)
                close(u);
            continue;
        }
        int t = socket(AF_INET, SOCK_STREAM, 0);
        bool ok = t >= 0 && bind(t, (struct sockaddr *)&a, sizeof a) == 0;
        int port = ntohs(a.sin_port);
        close(u);
        if (t >= 0)
            close(t);
        if (ok)
            return port;
    }
    return -1;
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* TXT rdata as quoted strings of at most 250 bytes (a character-string holds 255). */
static void
txt_chunks(wpt_buf *b, const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i += 250)
        wpt_buf_printf(b, " \"%.*s\"", (int)(n - i < 250 ? n - i : 250), text + i);
}

/* An RSA key: the PEM private key (for dkim_sign) and the base64 public key (for p=). */
static char *
make_key(char **pub_b64)
{
    EVP_PKEY *k = EVP_RSA_gen(2048);
    assert_non_null(k);
    BIO *bio = BIO_new(BIO_s_mem());
    assert_true(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL));
    char *p;
    long n = BIO_get_mem_data(bio, &p);
    char *pem = strndup(p, (size_t)n);
    BIO_free(bio);
    unsigned char *der = NULL;
    int dl = i2d_PUBKEY(k, &der);
    assert_true(dl > 0);
    char *b64 = wpt_base64(der, (size_t)dl);
    size_t w = 0; /* wpt_base64 wraps lines: join them */
    for (size_t r = 0; b64[r]; r++)
        if (b64[r] != '\n' && b64[r] != '\r')
            b64[w++] = b64[r];
    b64[w] = '\0';
    OPENSSL_free(der);
    EVP_PKEY_free(k);
    *pub_b64 = b64;
    return pem;
}

static bool
knot_answers(void)
{
    auth_resolver r;
    char err[128];
    if (!auth_resolver_parse(K.resolver, &r, err, sizeof err))
        return false;
    auth_dns d;
    auth_dns_init(&d, &r, 300);
    auth_dns_answer *ans = malloc(sizeof(*ans));
    bool ok = auth_dns_query(&d, "example.com", 16, ans) == AUTH_DNS_OK;
    free(ans);
    return ok;
}

static int
group_setup(void **state)
{
    (void)state;
    const char *knotd = find_knotd();
    if (knotd == NULL) {
        K.why_not = "knotd is not installed (scripts/install-deps.sh installs knot)";
        return 0;
    }
    snprintf(K.dir, sizeof K.dir, "/tmp/wp-auth-XXXXXX");
    assert_non_null(mkdtemp(K.dir));
    K.port = free_port();
    assert_true(K.port > 0);
    snprintf(K.resolver, sizeof K.resolver, "127.0.0.1:%d", K.port);
    char *pub;
    K.key_pem = make_key(&pub);

    wpt_buf z = {0};
    wpt_buf_printf(&z, "$ORIGIN example.com.\n$TTL 300\n"
                       "@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\n"
                       "@ TXT \"v=spf1 ip4:192.0.2.10 -all\"\n"
                       "_dmarc TXT \"v=DMARC1; p=reject\"\n"
                       "soft TXT \"v=spf1 ip4:192.0.2.10 ~all\"\n"
                       "bad TXT \"v=spf1 ip4:192.0.2.10 bogus:x -all\"\n"
                       "quar TXT \"v=spf1 -all\"\n"
                       "_dmarc.quar TXT \"v=DMARC1; p=quarantine\"\n"
                       "mon TXT \"v=spf1 -all\"\n"
                       "_dmarc.mon TXT \"v=DMARC1; p=none\"\n"
                       "broken TXT \"v=spf1 -all\"\n"
                       "_dmarc.broken TXT \"v=DMARC1; p=sometimes\"\n"
                       "sel._domainkey TXT");
    wpt_buf_printf(&z, " \"v=DKIM1; k=rsa; \"");
    wpt_buf_printf(&z, " \"p=\"");
    txt_chunks(&z, pub);
    wpt_buf_printf(&z, "\n");
    free(pub);
    char path[128];
    snprintf(path, sizeof path, "%s/example.com.zone", K.dir);
    write_file(path, z.p);
    wpt_buf_free(&z);

    wpt_buf c = {0};
    wpt_buf_printf(&c,
                   "server:\n    listen: 127.0.0.1@%d\n    rundir: %s\n"
                   "control:\n    listen: %s/knot.sock\n"
                   "database:\n    storage: %s/db\n"
                   "template:\n  - id: default\n    storage: %s\n    file: \"%%s.zone\"\n"
                   "zone:\n  - domain: example.com\n"
                   "log:\n  - target: stderr\n    any: error\n",
                   K.port, K.dir, K.dir, K.dir, K.dir);
    snprintf(path, sizeof path, "%s/db", K.dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/knot.conf", K.dir);
    write_file(path, c.p);
    wpt_buf_free(&c);

    K.pid = fork();
    assert_true(K.pid >= 0);
    if (K.pid == 0) {
        execl(knotd, "knotd", "-c", path, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && !K.up; i++) { /* up to 5 s */
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        K.up = knot_answers();
    }
    if (!K.up)
        fail_msg("knotd (%s) did not answer on %s; config in %s", knotd, K.resolver, K.dir);
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    if (K.pid > 0) {
        kill(K.pid, SIGTERM);
        waitpid(K.pid, NULL, 0);
    }
    if (K.dir[0] != '\0') {
        const char *const files[] = {"example.com.zone", "knot.conf", "knot.sock", "knot.pid"};
        char p[128];
        for (size_t i = 0; i < 4; i++) {
            snprintf(p, sizeof p, "%s/%s", K.dir, files[i]);
            unlink(p);
        }
        snprintf(p, sizeof p, "%s/db/timers/data.mdb", K.dir);
        unlink(p);
        snprintf(p, sizeof p, "%s/db/timers/lock.mdb", K.dir);
        unlink(p);
        snprintf(p, sizeof p, "%s/db/timers", K.dir);
        rmdir(p);
        snprintf(p, sizeof p, "%s/db", K.dir);
        rmdir(p);
        rmdir(K.dir);
    }
    free(K.key_pem);
    return 0;
}

#define NEED_KNOT()                                    \
    do {                                               \
        if (!K.up) {                                   \
            print_message("skipped: %s\n", K.why_not); \
            wpt_skip();                                \
        }                                              \
    } while (0)

/* ---- messages ---- */

/* A message with headers hdrs ("A: b\r\nC: d\r\n") and body, DKIM-signed for d=domain,
 * s=sel when sign is true. malloc'd. */
static char *
make_msg(const char *hdrs, const char *body, const char *domain, bool sign)
{
    wpt_buf m = {0};
    if (sign) {
        DKIM_LIB *lib = dkim_init(NULL, NULL);
        assert_non_null(lib);
        DKIM_STAT st;
        DKIM *d = dkim_sign(lib, (const unsigned char *)"test", NULL, (dkim_sigkey_t)K.key_pem,
                            (const unsigned char *)"sel", (const unsigned char *)domain,
                            DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st);
        assert_non_null(d);
        for (const char *p = hdrs; *p;) {
            const char *e = strstr(p, "\r\n");
            assert_non_null(e);
            assert_int_equal(dkim_header(d, (u_char *)p, (size_t)(e - p)), DKIM_STAT_OK);
            p = e + 2;
        }
        assert_int_equal(dkim_eoh(d), DKIM_STAT_OK);
        assert_int_equal(dkim_body(d, (u_char *)body, strlen(body)), DKIM_STAT_OK);
        assert_int_equal(dkim_eom(d, NULL), DKIM_STAT_OK);
        unsigned char sig[4096];
        assert_int_equal(dkim_getsighdr(d, sig, sizeof sig, strlen("DKIM-Signature: ")),
                         DKIM_STAT_OK);
        wpt_buf_printf(&m, "DKIM-Signature: %s\r\n", sig);
        dkim_free(d);
        dkim_close(lib);
    }
    wpt_buf_printf(&m, "%s\r\n%s", hdrs, body);
    return m.p;
}

#define STD_HDRS(from)                                                                \
    "From: Alice <" from ">\r\nTo: bob@example.net\r\nSubject: quarterly figures\r\n" \
    "Date: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <t1@example.com>\r\n"

static const char BODY[] = "Hello Bob,\r\n\r\nthe figures are attached.\r\n";

static wpt_ctx *
check_engine(const char *resolver, const char *timeout)
{
    const char *kv[] = {"auth.mode", "check", "auth.resolver", resolver, "auth.dns_timeout_ms",
                        timeout,     NULL};
    return wpt_new_settings(kv);
}

static wp_report *
scan_env(wpt_ctx *c, const char *msg, const char *ip, const char *helo, const char *mail_from)
{
    wp_envelope env = {.client_ip = ip, .helo = helo, .mail_from = mail_from};
    wp_report *r = NULL;
    assert_int_equal(wp_scan_message_env(c->sc, (const uint8_t *)msg, strlen(msg), &env, &r),
                     WP_OK);
    assert_non_null(r);
    return r;
}

static const wp_finding *
must_find(const wp_report *r, const char *code, const char *where)
{
    const wp_finding *f = wpt_find(r, code, where);
    if (f == NULL) {
        wpt_dump(r);
        fail_msg("expected %s at %s", code, where ? where : "(any)");
    }
    return f;
}

/* ---- check mode, real DNS ---- */

static void
test_check_all_pass(void **state)
{
    (void)state;
    NEED_KNOT();
    wpt_ctx *c = check_engine(K.resolver, "2000");
    char *msg = make_msg(STD_HDRS("alice@example.com"), BODY, "example.com", true);
    wp_report *r = scan_env(c, msg, "192.0.2.10", "mail.example.com", "alice@example.com");
    const wp_finding *f = must_find(r, "AUTH_SPF_PASS", "auth:spf");
    assert_str_contains(f->evidence, "example.com");
    assert_str_contains(f->evidence, "192.0.2.10");
    assert_str_contains(f->evidence, "own check");
    assert_str_contains(f->evidence, "SMTP envelope");
    f = must_find(r, "AUTH_DKIM_PASS", "auth:dkim:aligned");
    assert_str_contains(f->evidence, "d=example.com s=sel");
    f = must_find(r, "AUTH_DMARC_PASS", "auth:dmarc");
    assert_int_equal(f->weight, -1);
    assert_no_finding(r, "AUTH_TEMPERROR", NULL);
    assert_no_finding(r, "AUTH_DKIM_FAIL", NULL);
    wp_auth_outcome o;
    wp_auth_outcome_of(r, &o);
    assert_int_equal(o.spf, WP_AUTH_PASS);
    assert_int_equal(o.dkim, WP_AUTH_PASS);
    assert_int_equal(o.dmarc, WP_AUTH_PASS);
    assert_true(o.from_authenticated);
    wp_report_free(r);
    free(msg);
    wpt_free(c);
}

static void
test_check_spoofed_from_reject(void **state)
{
    (void)state;
    NEED_KNOT();
    wpt_ctx *c = check_engine(K.resolver, "2000");
    char *msg = make_msg(STD_HDRS("ceo@example.com"), BODY, NULL, false);
    wp_report *r = scan_env(c, msg, "198.51.100.7", "mx.attacker.test", "ceo@example.com");
    const wp_finding *f = must_find(r, "AUTH_SPF_FAIL", "auth:spf");
    assert_str_contains(f->evidence, "198.51.100.7");
    f = must_find(r, "AUTH_DMARC_FAIL", "auth:dmarc");
    assert_str_contains(f->evidence, "policy reject");
    assert_str_contains(f->evidence, "example.com");
    assert_int_equal(f->weight, 6);
    assert_false(wp_auth_from_authenticated(r));
    assert_no_finding(r, "AUTH_DMARC_PASS", NULL);
    wp_report_free(r);
    free(msg);
    wpt_free(c);
}

static void
test_check_softfail_and_policies(void **state)
{
    (void)state;
    NEED_KNOT();
    wpt_ctx *c = check_engine(K.resolver, "2000");
    char *msg = make_msg(STD_HDRS("a@quar.example.com"), BODY, NULL, false);
    wp_report *r = scan_env(c, msg, "198.51.100.7", "x.test", "bounce@soft.example.com");
    must_find(r, "AUTH_SPF_SOFTFAIL", "auth:spf");
    const wp_finding *f = must_find(r, "AUTH_DMARC_FAIL", "auth:dmarc");
    assert_str_contains(f->evidence, "policy quarantine");
    assert_int_equal(f->weight, 5);
    wp_report_free(r);
    free(msg);

    msg = make_msg(STD_HDRS("a@mon.example.com"), BODY, NULL, false);
    r = scan_env(c, msg, "198.51.100.7", "x.test", "a@mon.example.com");
    f = must_find(r, "AUTH_DMARC_FAIL", "auth:dmarc");
    assert_str_contains(f->evidence, "policy none");
    assert_int_equal(f->weight, 3);
    wp_report_free(r);
    free(msg);

    msg = make_msg(STD_HDRS("a@broken.example.com"), BODY, NULL, false);
    r = scan_env(c, msg, "198.51.100.7", "x.test", "a@bad.example.com");
    f = must_find(r, "AUTH_PERMERROR", "auth:spf");   /* "bogus:x" is no mechanism */
    f = must_find(r, "AUTH_PERMERROR", "auth:dmarc"); /* p=sometimes */
    assert_str_contains(f->evidence, "does not parse");
    wp_report_free(r);
    free(msg);
    wpt_free(c);
}

static void
test_check_dkim_tampered_and_malformed(void **state)
{
    (void)state;
    NEED_KNOT();
    wpt_ctx *c = check_engine(K.resolver, "2000");
    char *msg = make_msg(STD_HDRS("alice@example.com"), BODY, "example.com", true);
    char *p = strstr(msg, "figures are");
    assert_non_null(p);
    memcpy(p, "FIGURES", 7); /* the body changes after signing */
    wp_report *r = scan_env(c, msg, "198.51.100.7", "x.test", "alice@example.com");
    const wp_finding *f = must_find(r, "AUTH_DKIM_FAIL", "auth:dkim");
    assert_str_contains(f->evidence, "d=example.com");
    assert_no_finding(r, "AUTH_DKIM_PASS", NULL);
    must_find(r, "AUTH_DMARC_FAIL", "auth:dmarc");
    wp_report_free(r);
    free(msg);

    const char *bad[] = {
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.com\r\n",
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=@@@; b=!!!\r\n",
        "DKIM-Signature: ;;;;===;\r\n",
        ("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel;\r\n"
         "\tt=abc; h=from:to; bh=AAAA; b=\r\n"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wpt_buf m = {0};
        wpt_buf_printf(&m, "%s%s\r\n%s", bad[i], STD_HDRS("alice@example.com"), BODY);
        r = scan_env(c, m.p, "192.0.2.10", "x.test", "alice@example.com");
        if (wpt_find(r, "AUTH_DKIM_MALFORMED", "auth:dkim") == NULL &&
            wpt_find(r, "AUTH_DKIM_FAIL", "auth:dkim") == NULL) {
            wpt_dump(r);
            fail_msg("malformed signature %zu: neither AUTH_DKIM_MALFORMED nor AUTH_DKIM_FAIL", i);
        }
        assert_no_finding(r, "AUTH_DKIM_PASS", NULL);
        must_find(r, "AUTH_SPF_PASS", "auth:spf"); /* the rest of the checks still ran */
        wp_report_free(r);
        wpt_buf_free(&m);
    }
    wpt_free(c);
}

static void
test_check_headers_only(void **state)
{
    (void)state;
    NEED_KNOT();
    wpt_ctx *c = check_engine(K.resolver, "2000");
    const char *msg =
        "Return-Path: <alice@example.com>\r\n"
        "Received: from localhost (localhost [127.0.0.1]) by mx.example.org; "
        "Mon, 2 Mar 2026 10:00:02 +0000\r\n"
        "Received: from mail.example.com (mail.example.com [192.0.2.10]) by mx.example.org "
        "with ESMTPS; Mon, 2 Mar 2026 10:00:01 +0000\r\n" STD_HDRS("alice@example.com") "\r\n"
                                                                                        "hello\r\n";
    wp_report *r = NULL;
    assert_int_equal(wp_scan_message(c->sc, (const uint8_t *)msg, strlen(msg), &r), WP_OK);
    const wp_finding *f = must_find(r, "AUTH_SPF_PASS", "auth:spf");
    assert_str_contains(f->evidence, "192.0.2.10");
    assert_str_contains(f->evidence, "Received");
    must_find(r, "AUTH_DMARC_PASS", "auth:dmarc"); /* SPF aligned */
    wp_report_free(r);
    wpt_free(c);
}

static void
test_check_signature_cap_and_gigantic_header(void **state)
{
    (void)state;
    NEED_KNOT();
    wpt_ctx *c = check_engine(K.resolver, "2000");
    char *one = make_msg(STD_HDRS("alice@example.com"), BODY, "example.com", true);
    char *end = strstr(one, "\r\nFrom:");
    assert_non_null(end);
    wpt_buf m = {0};
    for (int i = 0; i < 8; i++)
        wpt_buf_add(&m, one, (size_t)(end - one) + 2);
    wpt_buf_printf(&m, "%s", end + 2);
    wp_report *r = scan_env(c, m.p, "192.0.2.10", "x.test", "alice@example.com");
    const wp_finding *f = must_find(r, "AUTH_PERMERROR", "auth:dkim");
    assert_str_contains(f->evidence, "3 more DKIM signatures");
    size_t passes = wpt_count(r, "AUTH_DKIM_PASS");
    assert_true(passes >= 1 && passes <= 5);
    wp_report_free(r);
    wpt_buf_free(&m);

    /* 2 MiB of header in front of a good signature: refused, not verified, no crash */
    wpt_buf g = {0};
    wpt_buf_printf(&g, "X-Junk: ");
    for (int i = 0; i < 2 * 1024 * 16; i++)
        wpt_buf_printf(&g, "%s", "0123456789abcdef0123456789abcdef0123456789abcdef012345678\r\n ");
    wpt_buf_printf(&g, "end\r\n%s", one);
    r = scan_env(c, g.p, "192.0.2.10", "x.test", "alice@example.com");
    f = must_find(r, "AUTH_PERMERROR", "auth:dkim");
    assert_str_contains(f->evidence, "header block larger");
    assert_no_finding(r, "AUTH_DKIM_PASS", NULL);
    wp_report_free(r);
    wpt_buf_free(&g);
    free(one);
    wpt_free(c);
}

/* ---- broken DNS: no server needed ---- */

static void
test_resolver_unreachable(void **state)
{
    (void)state;
    int port = free_port(); /* nothing listens there */
    char res[32];
    snprintf(res, sizeof res, "127.0.0.1:%d", port);
    wpt_ctx *c = check_engine(res, "2000");
    const char *msg = STD_HDRS("alice@example.com") "\r\nhello\r\n";
    wp_report *r = scan_env(c, msg, "192.0.2.10", "mail.example.com", "alice@example.com");
    const wp_finding *f = must_find(r, "AUTH_TEMPERROR", "auth:spf");
    assert_str_contains(f->evidence, res);
    must_find(r, "AUTH_TEMPERROR", "auth:dmarc");
    assert_no_finding(r, "AUTH_SPF_PASS", NULL);
    assert_no_finding(r, "AUTH_DMARC_PASS", NULL);
    assert_no_finding(r, "AUTH_DMARC_FAIL", NULL);
    wp_auth_outcome o;
    wp_auth_outcome_of(r, &o);
    assert_int_equal(o.spf, WP_AUTH_TEMPERROR);
    assert_false(o.from_authenticated);
    wp_report_free(r);
    wpt_free(c);
}

static void
test_resolver_silent_costs_one_timeout(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_DGRAM, 0); /* bound, never answers */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &l), 0);
    char res[32];
    snprintf(res, sizeof res, "127.0.0.1:%d", ntohs(a.sin_port));
    wpt_ctx *c = check_engine(res, "300");
    char *msg = make_msg(STD_HDRS("alice@example.com"), BODY, "example.com", K.up);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    wp_report *r = scan_env(c, msg, "192.0.2.10", "mail.example.com", "alice@example.com");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    const wp_finding *f = must_find(r, "AUTH_TEMPERROR", "auth:spf");
    assert_str_contains(f->evidence, "timed out");
    if (K.up)
        must_find(r, "AUTH_TEMPERROR", "auth:dkim");
    assert_no_finding(r, "AUTH_DKIM_PASS", NULL);
    if (ms > 1500)
        fail_msg("a silent resolver cost %.0f ms; one 300 ms timeout expected", ms);
    wp_report_free(r);
    free(msg);
    wpt_free(c);
    close(s);
}

/* ---- trust mode: no DNS ---- */

static wpt_ctx *
trust_engine(void)
{
    const char *kv[] = {"auth.authserv_id", "mx.example.org", "auth.authserv_id", "mx2.example.org",
                        NULL};
    return wpt_new_settings(kv);
}

static wp_report *
scan_ar(wpt_ctx *c, const char *ar_headers, const char *from)
{
    wpt_buf m = {0};
    wpt_buf_printf(&m,
                   "%sReceived: from x.test (x.test [198.51.100.7]) by mx.example.org\r\n"
                   "From: <%s>\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nhello\r\n",
                   ar_headers, from);
    wp_report *r = wpt_scan(c, m.p, m.n);
    wpt_buf_free(&m);
    return r;
}

static void
test_trust_forged_ignored(void **state)
{
    (void)state;
    wpt_ctx *c = trust_engine();
    wp_report *r = scan_ar(c,
                           "Authentication-Results: evil.example; spf=pass "
                           "smtp.mailfrom=ceo@example.com; dkim=pass header.d=example.com; "
                           "dmarc=pass header.from=example.com\r\n",
                           "ceo@example.com");
    const wp_finding *f = must_find(r, "AUTH_AR_UNTRUSTED", "auth:ar");
    assert_str_contains(f->evidence, "evil.example");
    assert_str_contains(f->evidence, "spf, dkim, dmarc");
    assert_int_equal(f->weight, 0);
    assert_no_finding(r, "AUTH_DMARC_PASS", NULL);
    assert_no_finding(r, "AUTH_DKIM_PASS", NULL);
    assert_no_finding(r, "AUTH_SPF_PASS", NULL);
    assert_false(wp_auth_from_authenticated(r));
    wp_report_free(r);
    wpt_free(c);
}

static void
test_trust_ours_believed(void **state)
{
    (void)state;
    wpt_ctx *c = trust_engine();
    wp_report *r = scan_ar(c,
                           "Authentication-Results: mx.example.org; spf=fail "
                           "smtp.mailfrom=ceo@example.com smtp.remote-ip=198.51.100.7; "
                           "dkim=pass (2048-bit key) header.d=example.com header.s=sel; "
                           "dmarc=fail (p=reject dis=none) header.from=example.com\r\n",
                           "ceo@example.com");
    const wp_finding *f = must_find(r, "AUTH_SPF_FAIL", "auth:spf");
    assert_str_contains(f->evidence, "example.com");
    assert_str_contains(f->evidence, "198.51.100.7");
    assert_str_contains(f->evidence, "trusted Authentication-Results from mx.example.org");
    must_find(r, "AUTH_DKIM_PASS", "auth:dkim:aligned");
    f = must_find(r, "AUTH_DMARC_FAIL", "auth:dmarc");
    assert_str_contains(f->evidence, "policy reject");
    assert_int_equal(f->weight, 6);
    assert_true(wp_auth_from_authenticated(r)); /* the aligned DKIM pass */
    wp_report_free(r);
    wpt_free(c);
}

static void
test_trust_multiple_topmost_only(void **state)
{
    (void)state;
    wpt_ctx *c = trust_engine();
    /* two of ours on top (one per milter, different ids), then a foreign one, then a forged
     * one with our id further down */
    wp_report *r = scan_ar(c,
                           "Authentication-Results: mx.example.org; dkim=pass "
                           "header.d=example.com\r\n"
                           "Authentication-Results: MX2.example.org 1; dmarc=fail "
                           "policy.dmarc=quarantine header.from=example.com\r\n"
                           "Authentication-Results: relay.example.net; spf=pass "
                           "smtp.mailfrom=x@example.net\r\n"
                           "Authentication-Results: mx.example.org; dmarc=pass "
                           "header.from=example.com\r\n",
                           "news@example.com");
    must_find(r, "AUTH_DKIM_PASS", "auth:dkim:aligned");
    const wp_finding *f = must_find(r, "AUTH_DMARC_FAIL", "auth:dmarc");
    assert_int_equal(f->weight, 5);
    assert_no_finding(r, "AUTH_DMARC_PASS", NULL);
    assert_no_finding(r, "AUTH_SPF_PASS", NULL);
    assert_int_equal(wpt_count(r, "AUTH_AR_UNTRUSTED"), 2);
    bool below = false;
    for (size_t i = 0; i < r->n_findings; i++)
        if (strcmp(r->findings[i].code, "AUTH_AR_UNTRUSTED") == 0 &&
            strstr(r->findings[i].evidence, "below a header of another id") != NULL)
            below = true;
    assert_true(below);
    wp_report_free(r);
    wpt_free(c);
}

static void
test_trust_malformed(void **state)
{
    (void)state;
    wpt_ctx *c = trust_engine();
    wp_report *r = scan_ar(c,
                           "Authentication-Results: mx.example.org; dmarc pass "
                           "header.from=example.com\r\n",
                           "ceo@example.com");
    const wp_finding *f = must_find(r, "AUTH_AR_MALFORMED", "auth:ar");
    assert_str_contains(f->evidence, "mx.example.org");
    assert_no_finding(r, "AUTH_DMARC_PASS", NULL);
    wp_report_free(r);
    r = scan_ar(c, "Authentication-Results: mx.example.org; (unterminated\r\n", "a@b.example");
    must_find(r, "AUTH_AR_MALFORMED", "auth:ar");
    wp_report_free(r);
    wpt_free(c);
}

static void
test_trust_without_authserv_id_does_nothing(void **state)
{
    (void)state;
    wpt_ctx *c = wpt_new(NULL, false); /* default: trust, no id */
    wp_report *r = scan_ar(c,
                           "Authentication-Results: mx.example.org; dmarc=fail (p=reject) "
                           "header.from=example.com\r\n",
                           "ceo@example.com");
    for (size_t i = 0; i < r->n_findings; i++)
        if (strncmp(r->findings[i].code, "AUTH_", 5) == 0)
            fail_msg("unexpected %s", r->findings[i].code);
    wp_report_free(r);
    wpt_free(c);
}

static void
test_settings_refused(void **state)
{
    (void)state;
    char err[256];
    const char *bad[][2] = {{"auth.mode", "sometimes"},     {"auth.resolver", "dns.example"},
                            {"auth.resolver", "1.2.3.4:0"}, {"auth.dns_timeout_ms", "0"},
                            {"auth.authserv_id", "a b"},    {"auth.nonsense", "1"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *kv[] = {bad[i][0], bad[i][1], NULL};
        if (wpt_try_settings(kv, err, sizeof err) == WP_OK)
            fail_msg("%s = %s accepted", bad[i][0], bad[i][1]);
        assert_str_contains(err, "auth.");
    }
    const char *ok[] = {"auth.mode", "check", "auth.resolver", "[::1]:5353", NULL};
    assert_int_equal(wpt_try_settings(ok, err, sizeof err), WP_OK);
}

/* ---- the A-R parser ---- */

static void
test_ar_parser(void **state)
{
    (void)state;
    auth_ar ar;
    const char *why;
    const char *v = " example.com (our MX) 1;\r\n\tspf=pass (sender IP is 192.0.2.1) "
                    "smtp.mailfrom=user@example.net;\r\n\tdkim/1=fail reason=\"bad sig; body\" "
                    "header.d=example.net header.b=abc/de+f=;\r\n\tdmarc=none";
    assert_true(auth_ar_parse(v, strlen(v), &ar, &why));
    assert_string_equal(ar.authserv_id, "example.com");
    assert_int_equal(ar.n_res, 3);
    assert_string_equal(ar.res[0].method, "spf");
    assert_string_equal(ar.res[0].result, "pass");
    assert_string_equal(ar.res[0].comment, "sender IP is 192.0.2.1");
    assert_string_equal(auth_ar_prop_get(&ar.res[0], "smtp.mailfrom"), "user@example.net");
    assert_string_equal(ar.res[1].method, "dkim");
    assert_string_equal(auth_ar_prop_get(&ar.res[1], "reason"), "bad sig; body");
    assert_string_equal(auth_ar_prop_get(&ar.res[1], "header.b"), "abc/de+f=");
    assert_string_equal(ar.res[2].result, "none");
    auth_ar_free(&ar);

    v = "\"quoted.example\"; none";
    assert_true(auth_ar_parse(v, strlen(v), &ar, &why));
    assert_string_equal(ar.authserv_id, "quoted.example");
    assert_true(ar.none);
    auth_ar_free(&ar);

    const char *bad[] = {"",
                         "example.com",
                         "example.com; spf",
                         "example.com; spf=",
                         "example.com; =pass",
                         "example.com; spf=pass smtp.mailfrom",
                         "example.com; spf=pass (((((((((((deep)))))))))))",
                         "example.com; spf=pass foo=bar",
                         "example.com spf=pass"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (auth_ar_parse(bad[i], strlen(bad[i]), &ar, &why))
            fail_msg("'%s' parsed", bad[i]);
        assert_non_null(why);
        auth_ar_free(&ar);
    }
    /* many results: parsed, only AUTH_MAX_RESINFO kept */
    wpt_buf b = {0};
    wpt_buf_printf(&b, "example.com");
    for (int i = 0; i < 100; i++)
        wpt_buf_printf(&b, "; x%d=pass", i);
    assert_true(auth_ar_parse(b.p, b.n, &ar, &why));
    assert_int_equal(ar.n_res, AUTH_MAX_RESINFO);
    auth_ar_free(&ar);
    wpt_buf_free(&b);
}

/* The public-suffix list is one process-wide table in libopendmarc; a reload (another
 * engine, a milter SIGHUP) while scans look up organisational domains must be safe:
 * lookups and reloads are serialised by a reader/writer lock (auth/dmarc.c). libopendmarc
 * also locks its hash buckets itself: this stress test did not fail before the lock either
 * (ASan, 400 reloads under 3 readers); it guards the contract, not a reproduced crash. */
static volatile int psl_stop;

static void *
psl_reader(void *arg)
{
    (void)arg;
    char out[256];
    long n = 0;
    while (!psl_stop || n < 1000) {
        auth_org_domain("mail.ministry.example.co.uk", out, sizeof out);
        if (strcmp(out, "ministry.example.co.uk") != 0 && strcmp(out, "example.co.uk") != 0 &&
            strcmp(out, "mail.ministry.example.co.uk") != 0)
            return (void *)1;
        n++;
    }
    return NULL;
}

static void
test_psl_reload_under_scans(void **state)
{
    (void)state;
    char a[] = "/tmp/wp-psl-a.XXXXXX", b[] = "/tmp/wp-psl-b.XXXXXX";
    int fa = mkstemp(a), fb = mkstemp(b);
    assert_true(fa >= 0 && fb >= 0);
    FILE *f = fdopen(fa, "w");
    fputs("// a\nuk\nco.uk\nexample\n", f);
    for (int i = 0; i < 2000; i++)
        fprintf(f, "s%d.example\n", i);
    fclose(f);
    f = fdopen(fb, "w");
    fputs("// b\nuk\nco.uk\nexample.co.uk\n", f);
    for (int i = 0; i < 2000; i++)
        fprintf(f, "t%d.example\n", i);
    fclose(f);
    char err[256];
    assert_true(auth_psl_load(a, err, sizeof err));
    pthread_t th[3];
    psl_stop = 0;
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, psl_reader, NULL), 0);
    for (int i = 0; i < 200; i++)
        assert_true(auth_psl_load(i % 2 ? a : b, err, sizeof err));
    psl_stop = 1;
    for (int i = 0; i < 3; i++) {
        void *rv = NULL;
        pthread_join(th[i], &rv);
        assert_null(rv);
    }
    /* leave the system list (or none) for the other tests */
    (void)auth_psl_load(NULL, err, sizeof err);
    unlink(a);
    unlink(b);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ar_parser),
        cmocka_unit_test(test_settings_refused),
        cmocka_unit_test(test_trust_forged_ignored),
        cmocka_unit_test(test_trust_ours_believed),
        cmocka_unit_test(test_trust_multiple_topmost_only),
        cmocka_unit_test(test_trust_malformed),
        cmocka_unit_test(test_trust_without_authserv_id_does_nothing),
        cmocka_unit_test(test_resolver_unreachable),
        cmocka_unit_test(test_resolver_silent_costs_one_timeout),
        cmocka_unit_test(test_check_all_pass),
        cmocka_unit_test(test_check_spoofed_from_reject),
        cmocka_unit_test(test_check_softfail_and_policies),
        cmocka_unit_test(test_check_dkim_tampered_and_malformed),
        cmocka_unit_test(test_check_headers_only),
        cmocka_unit_test(test_psl_reload_under_scans),
        cmocka_unit_test(test_check_signature_cap_and_gigantic_header),
    };
    return wpt_main(argc, argv, "auth", tests, sizeof tests / sizeof tests[0], NULL, 0, group_setup,
                    group_teardown);
}
