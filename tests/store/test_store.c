/*
 * test_store.c - the decision store and the quarantine spool: decisions from real scans
 * recorded and queried back with every filter, caps on hostile sizes, migrations and the
 * version check, byte-identical quarantine, failed writes that leave nothing behind (a
 * read-only directory, EFBIG through RLIMIT_FSIZE which also works as root, a locked
 * database), tombstones, the retention sweep and recording from four threads at once.
 *
 * Each test works in its own mkdtemp() directory, removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store_int.h"
#include "watchpost/access.h"
#include "watchpost/hunt.h"
#include "watchpost/incident.h"
#include "wpt.h"

/* ---- helpers ---- */

typedef struct tdir {
    char root[64];
    char db[128];
    char spool[128];
} tdir;

static void
tdir_make(tdir *t)
{
    snprintf(t->root, sizeof t->root, "/tmp/wpt-store-XXXXXX");
    assert_non_null(mkdtemp(t->root));
    snprintf(t->db, sizeof t->db, "%s/store.db", t->root);
    snprintf(t->spool, sizeof t->spool, "%s/spool", t->root);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void
tdir_remove(tdir *t)
{
    chmod(t->spool, 0700);
    nftw(t->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static wp_store *
store_open(const tdir *t, bool spool)
{
    wp_store_config cfg;
    wp_store_config_init(&cfg);
    cfg.db_path = t->db;
    cfg.spool_dir = spool ? t->spool : NULL;
    wp_store *s = NULL;
    char err[512];
    wp_status st = wp_store_open(&cfg, &s, err, sizeof err);
    if (st != WP_OK)
        fail_msg("wp_store_open: %s", err);
    return s;
}

/* Entries of the spool directory other than . and ..; tmp counts those named .tmp-*. */
static size_t
spool_files(const tdir *t, size_t *tmp)
{
    DIR *d = opendir(t->spool);
    assert_non_null(d);
    size_t n = 0;
    if (tmp != NULL)
        *tmp = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (tmp != NULL && strncmp(e->d_name, ".tmp-", 5) == 0)
            (*tmp)++;
    }
    closedir(d);
    return n;
}

/* A count from the database file, through a second connection. */
static long long
db_count(const tdir *t, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(t->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static wp_event_list *
events(wp_store *s, const wp_event_filter *f)
{
    wp_event_list *l = NULL;
    char err[512];
    wp_status st = wp_store_events(s, f, &l, err, sizeof err);
    if (st != WP_OK)
        fail_msg("wp_store_events: %s", err);
    return l;
}

static size_t
count_events(wp_store *s, const wp_event_filter *f)
{
    wp_event_list *l = events(s, f);
    size_t n = l->n;
    wp_event_list_free(l);
    return n;
}

static int64_t
record(wp_store *s, const wp_report *r, const wp_envelope *env, long long when)
{
    wp_store_decision d = {.report = r, .env = env, .queue_id = "4XyZ1abc", .time = when};
    int64_t id = 0;
    char err[512];
    wp_status st = wp_store_record(s, &d, &id, err, sizeof err);
    if (st != WP_OK)
        fail_msg("wp_store_record: %s", err);
    assert_true(id > 0);
    return id;
}

static const char *const rcpt_bob[] = {"bob@receiver.example"};
static const char *const rcpt_two[] = {"carol@receiver.example", "Dave@Receiver.Example"};

static wp_envelope
envelope(const char *from, const char *const *rcpt, size_t n)
{
    wp_envelope e = {.client_ip = "192.0.2.7",
                     .client_name = "mx.sender.example",
                     .helo = "mx.sender.example",
                     .mail_from = from,
                     .rcpt = rcpt,
                     .n_rcpt = n,
                     .direction = WP_DIR_INBOUND,
                     .time = 1700000000};
    return e;
}

/* ---- recording and querying ---- */

typedef struct scanned {
    wpt_ctx *c;
    wp_report *clean, *malware, *phish, *spam;
} scanned;

static void
scan_fixtures(scanned *x)
{
    x->c = wpt_new(NULL, false);
    x->clean = wpt_scan_fixture(x->c, "clean.eml");
    x->malware = wpt_scan_fixture(x->c, "double_ext.eml");
    x->phish = wpt_scan_fixture(x->c, "html_links.eml");
    x->spam = wpt_scan_fixture(x->c, "eicar_nested.eml");
    /* what the filters below rely on (no YARA rules loaded) */
    assert_int_equal(x->clean->verdict.cls, WP_VERDICT_CLEAN);
    assert_int_equal(x->malware->verdict.cls, WP_VERDICT_MALWARE);
    assert_int_equal(x->phish->verdict.cls, WP_VERDICT_PHISHING);
    assert_int_equal(x->spam->verdict.cls, WP_VERDICT_SPAM);
    assert_int_equal(x->malware->verdict.action, WP_ACTION_QUARANTINE);
    assert_int_equal(x->spam->verdict.action, WP_ACTION_TAG);
    assert_true(x->malware->verdict.severity >= 1);
    assert_int_equal(x->spam->verdict.severity, 0);
}

static void
scanned_free(scanned *x)
{
    wp_report_free(x->clean);
    wp_report_free(x->malware);
    wp_report_free(x->phish);
    wp_report_free(x->spam);
    wpt_free(x->c);
}

/* The stored event says what the report and envelope said. */
static void
assert_event_matches(const wp_event *e, const wp_report *r, const wp_envelope *env)
{
    assert_string_equal(e->message_id, r->message_id);
    assert_string_equal(e->subject, r->subject);
    assert_string_equal(e->from, r->from);
    assert_string_equal(e->queue_id, "4XyZ1abc");
    assert_int_equal(e->verdict, r->verdict.cls);
    assert_int_equal(e->score, r->verdict.score);
    assert_int_equal(e->severity, r->verdict.severity);
    assert_int_equal(e->action, r->verdict.action);
    assert_int_equal(e->size, r->size);
    assert_int_equal(e->n_reasons, r->verdict.n_reasons);
    for (size_t i = 0; i < e->n_reasons; i++)
        assert_string_equal(e->reasons[i], r->verdict.reasons[i]);
    assert_int_equal(e->n_findings, r->n_findings);
    assert_int_equal(e->n_findings_total, r->n_findings);
    for (size_t i = 0; i < e->n_findings; i++) {
        assert_string_equal(e->findings[i].code, r->findings[i].code);
        assert_string_equal(e->findings[i].category, wp_category_name(r->findings[i].category));
        assert_int_equal(e->findings[i].weight, r->findings[i].weight);
        assert_int_equal(e->findings[i].contribution, r->findings[i].contribution);
        assert_string_equal(e->findings[i].evidence, r->findings[i].evidence);
        assert_string_equal(e->findings[i].where, r->findings[i].where);
    }
    if (env == NULL) {
        assert_null(e->mail_from);
        assert_int_equal(e->n_rcpt, 0);
        return;
    }
    assert_string_equal(e->mail_from, env->mail_from);
    assert_string_equal(e->client_ip, env->client_ip);
    assert_string_equal(e->helo, env->helo);
    assert_int_equal(e->direction, env->direction);
    assert_int_equal(e->arrival, env->time);
    assert_int_equal(e->n_rcpt, env->n_rcpt);
    for (size_t i = 0; i < e->n_rcpt; i++)
        assert_string_equal(e->rcpt[i], env->rcpt[i]);
}

static void
test_record_and_filter(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    scanned x;
    scan_fixtures(&x);
    wp_store *s = store_open(&t, false);
    wp_envelope e1 = envelope("alice@sender.example", rcpt_bob, 1);
    wp_envelope e2 = envelope("mallory@evil.example", rcpt_two, 2);
    wp_envelope e3 = envelope("phisher@bank-notice.example", rcpt_bob, 1);
    int64_t id1 = record(s, x.clean, &e1, 1000);
    int64_t id2 = record(s, x.malware, &e2, 2000);
    int64_t id3 = record(s, x.phish, &e3, 3000);
    int64_t id4 = record(s, x.spam, NULL, 4000);
    assert_true(id1 < id2 && id2 < id3 && id3 < id4);

    wp_event_filter f;
    wp_event_filter_init(&f);
    wp_event_list *l = events(s, &f);
    assert_int_equal(l->n, 4);
    assert_false(l->more);
    /* newest first, every field back as given */
    assert_int_equal(l->events[0].id, id4);
    assert_int_equal(l->events[0].time, 4000);
    assert_event_matches(&l->events[0], x.spam, NULL);
    assert_event_matches(&l->events[1], x.phish, &e3);
    assert_event_matches(&l->events[2], x.malware, &e2);
    assert_event_matches(&l->events[3], x.clean, &e1);
    assert_true(l->events[2].n_findings >= 3);
    assert_null(l->events[2].quarantine_ref);
    wp_event_list_free(l);

    /* time range: since <= t < until */
    wp_event_filter_init(&f);
    f.since = 2000;
    f.until = 4000;
    l = events(s, &f);
    assert_int_equal(l->n, 2);
    assert_int_equal(l->events[0].id, id3);
    assert_int_equal(l->events[1].id, id2);
    wp_event_list_free(l);

    wp_event_filter_init(&f);
    f.min_severity = 1;
    assert_int_equal(count_events(s, &f), 2);

    wp_event_filter_init(&f);
    f.verdict = WP_VERDICT_MALWARE;
    l = events(s, &f);
    assert_int_equal(l->n, 1);
    assert_int_equal(l->events[0].id, id2);
    wp_event_list_free(l);
    f.verdict = WP_VERDICT_TARGETED;
    assert_int_equal(count_events(s, &f), 0);

    wp_event_filter_init(&f);
    f.action = WP_ACTION_TAG;
    l = events(s, &f);
    assert_int_equal(l->n, 1);
    assert_int_equal(l->events[0].id, id4);
    wp_event_list_free(l);

    /* sender: exact but case-insensitive, or "@domain" */
    wp_event_filter_init(&f);
    f.sender = "ALICE@Sender.Example";
    l = events(s, &f);
    assert_int_equal(l->n, 1);
    assert_int_equal(l->events[0].id, id1);
    wp_event_list_free(l);
    f.sender = "@evil.example";
    l = events(s, &f);
    assert_int_equal(l->n, 1);
    assert_int_equal(l->events[0].id, id2);
    wp_event_list_free(l);
    f.sender = "@EVIL.Example"; /* the domain's ASCII case does not matter */
    assert_int_equal(count_events(s, &f), 1);
    f.sender = "@example"; /* a suffix of the domain, not the domain */
    assert_int_equal(count_events(s, &f), 0);
    f.sender = "@%"; /* LIKE wildcards in the filter are literal */
    assert_int_equal(count_events(s, &f), 0);
    f.sender = "x' OR 1=1 --"; /* data is bound, never SQL */
    assert_int_equal(count_events(s, &f), 0);

    /* recipient: any one of the envelope's, case-insensitive */
    wp_event_filter_init(&f);
    f.recipient = "dave@receiver.example";
    l = events(s, &f);
    assert_int_equal(l->n, 1);
    assert_int_equal(l->events[0].id, id2);
    wp_event_list_free(l);
    f.recipient = "bob@receiver.example";
    assert_int_equal(count_events(s, &f), 2);

    /* finding code */
    wp_event_filter_init(&f);
    f.finding_code = "ATTACH_DOUBLE_EXT";
    l = events(s, &f);
    assert_int_equal(l->n, 1);
    assert_int_equal(l->events[0].id, id2);
    wp_event_list_free(l);

    /* combined: severity and recipient */
    wp_event_filter_init(&f);
    f.min_severity = 1;
    f.recipient = "bob@receiver.example";
    l = events(s, &f);
    assert_int_equal(l->n, 1);
    assert_int_equal(l->events[0].id, id3);
    wp_event_list_free(l);

    /* one decision by id */
    wp_event_filter_init(&f);
    f.id = id1;
    l = events(s, &f);
    assert_int_equal(l->n, 1);
    assert_event_matches(&l->events[0], x.clean, &e1);
    wp_event_list_free(l);

    /* pages */
    wp_event_filter_init(&f);
    f.limit = 3;
    l = events(s, &f);
    assert_int_equal(l->n, 3);
    assert_true(l->more);
    f.before_id = l->events[2].id;
    wp_event_list_free(l);
    l = events(s, &f);
    assert_int_equal(l->n, 1);
    assert_false(l->more);
    assert_int_equal(l->events[0].id, id1);
    wp_event_list_free(l);

    /* bad filters are refused, not guessed at */
    wp_event_filter_init(&f);
    f.verdict = 99;
    char err[256];
    assert_int_equal(wp_store_events(s, &f, &l, err, sizeof err), WP_EINVAL);

    wp_store_close(s);
    scanned_free(&x);
    tdir_remove(&t);
}

/* Oversized and hostile values are capped and sanitized; the counts say what was cut. */
static void
test_caps(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wp_store *s = store_open(&t, false);

    wpt_ctx *c = wpt_new(NULL, false);
    wpt_buf m = {0};
    wpt_buf_printf(&m, "From: a@b.example\r\nTo: c@d.example\r\nSubject: ");
    for (int i = 0; i < 1000; i++)
        wpt_buf_printf(&m, "long subject ");
    wpt_buf_printf(&m, "\r\nMessage-ID: <caps@test>\r\n\r\nbody\r\n");
    wpt_buf_add(&m, "", 1);
    wp_report *r = wpt_scan_str(c, m.p);
    assert_true(strlen(r->subject) > WP_STORE_MAX_HEADER);

    /* a report with more findings than are kept, each with too much evidence */
    enum { NF = WP_STORE_MAX_FINDINGS + 44 };
    static wp_finding many[NF];
    char *evidence = malloc(10000);
    memset(evidence, 'e', 9999);
    evidence[9999] = '\0';
    for (int i = 0; i < NF; i++)
        many[i] = (wp_finding){.code = "TEST_CODE",
                               .category = WP_CAT_ANOMALY,
                               .weight = 1,
                               .evidence = evidence,
                               .where = "header:Subject"};
    /* the report itself, its findings swapped (a copy by value would lose the library's
     * private part of the report, which the JSON writer of the kept report reads) */
    wp_finding *own = r->findings;
    size_t n_own = r->n_findings;
    r->findings = many;
    r->n_findings = NF;

    /* an envelope straight from a hostile SMTP session: controls, bad UTF-8, 1500 rcpt */
    enum { NR = WP_STORE_MAX_RCPT + 500 };
    const char **rcpt = calloc(NR, sizeof(*rcpt));
    for (int i = 0; i < NR; i++)
        rcpt[i] = "x@y.example";
    wp_envelope env = envelope("evil@x.example", rcpt, NR);
    env.helo = "evil\r\nX-Injected: 1\x01\xff\xfe";

    int64_t id = record(s, r, &env, 0);
    r->findings = own;
    r->n_findings = n_own;
    wp_event_filter f;
    wp_event_filter_init(&f);
    f.id = id;
    wp_event_list *l = events(s, &f);
    assert_int_equal(l->n, 1);
    const wp_event *e = &l->events[0];
    assert_true(strlen(e->subject) <= WP_STORE_MAX_HEADER);
    assert_str_prefix(e->subject, "long subject long subject");
    assert_int_equal(e->n_findings, WP_STORE_MAX_FINDINGS);
    assert_int_equal(e->n_findings_total, NF);
    assert_int_equal(strlen(e->findings[0].evidence), WP_STORE_MAX_EVIDENCE);
    assert_int_equal(e->n_rcpt, WP_STORE_MAX_RCPT);
    assert_int_equal(e->n_rcpt_total, NR);
    assert_str_not_contains(e->helo, "\r");
    assert_str_not_contains(e->helo, "\n");
    assert_str_not_contains(e->helo, "\x01");
    assert_str_contains(e->helo, "[U+0001]");
    assert_str_contains(e->helo, "\xEF\xBF\xBD"); /* invalid bytes became U+FFFD */
    /* time 0 means now */
    assert_true(e->time >= (long long)time(NULL) - 60);
    wp_event_list_free(l);

    /* a decision without a report is refused */
    wp_store_decision none = {0};
    char err[256];
    assert_int_equal(wp_store_record(s, &none, NULL, err, sizeof err), WP_EINVAL);

    free(rcpt);
    free(evidence);
    wp_report_free(r);
    wpt_buf_free(&m);
    wpt_free(c);
    wp_store_close(s);
    tdir_remove(&t);
}

/* ---- migrations and the version check ---- */

static void
exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static void
test_migrations(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "clean.eml");

    /* create: migration 1 applied and recorded, WAL on */
    wp_store *s = store_open(&t, false);
    assert_int_equal(wp_store_schema_version(s), WP_STORE_SCHEMA_VERSION);
    struct stat sb;
    assert_int_equal(stat(t.db, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600); /* addresses and subjects: owner only */
    record(s, r, NULL, 1234);
    wp_store_close(s);
    assert_int_equal(db_count(&t, "SELECT max(version) FROM schema_version"),
                     WP_STORE_SCHEMA_VERSION);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM schema_version"), WP_STORE_SCHEMA_VERSION);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM pragma_journal_mode WHERE "
                                  "journal_mode = 'wal'"),
                     1);

    /* reopen: nothing migrated again, the data is there */
    s = store_open(&t, false);
    assert_int_equal(wp_store_schema_version(s), WP_STORE_SCHEMA_VERSION);
    wp_event_filter f;
    wp_event_filter_init(&f);
    assert_int_equal(count_events(s, &f), 1);
    wp_store_close(s);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM schema_version"), WP_STORE_SCHEMA_VERSION);

    /* a newer schema is refused, and left as it was */
    exec_sql(t.db, "INSERT INTO schema_version(version, applied_at) VALUES (99, 0)");
    wp_store_config cfg;
    wp_store_config_init(&cfg);
    cfg.db_path = t.db;
    char err[512];
    wp_store *bad = NULL;
    assert_int_equal(wp_store_open(&cfg, &bad, err, sizeof err), WP_EPARSE);
    assert_null(bad);
    assert_str_contains(err, t.db);
    assert_str_contains(err, "newer");
    assert_str_contains(err, "99");
    assert_int_equal(db_count(&t, "SELECT max(version) FROM schema_version"), 99);

    /* a file that is not SQLite: refused, naming the path */
    char path[160];
    snprintf(path, sizeof path, "%s/notes.txt", t.root);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not a database at all, just text\n", fp);
    fclose(fp);
    cfg.db_path = path;
    assert_int_equal(wp_store_open(&cfg, &bad, err, sizeof err), WP_EPARSE);
    assert_str_contains(err, path);
    assert_str_contains(err, "not a SQLite database");

    /* SQLite, but someone else's */
    snprintf(path, sizeof path, "%s/other.db", t.root);
    exec_sql(path, "CREATE TABLE accounts(id INTEGER)");
    cfg.db_path = path;
    assert_int_equal(wp_store_open(&cfg, &bad, err, sizeof err), WP_EPARSE);
    assert_str_contains(err, path);
    assert_str_contains(err, "not a watchpost store");

    /* no path at all */
    cfg.db_path = NULL;
    assert_int_equal(wp_store_open(&cfg, &bad, err, sizeof err), WP_EINVAL);

    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

/* ---- the quarantine ---- */

/* A message with every byte value, NULs and bare CRs included. */
static unsigned char *
odd_message(size_t *len)
{
    const char *head = "From: a@b.example\r\nSubject: odd\r\n\r\n";
    size_t h = strlen(head), n = h + 3 * 256;
    unsigned char *p = malloc(n);
    memcpy(p, head, h);
    for (size_t i = 0; i < 3 * 256; i++)
        p[h + i] = (unsigned char)(i * 7);
    *len = n;
    return p;
}

static wp_status
quarantine(wp_store *s, const wp_report *r, const wp_envelope *env, const void *raw, size_t len,
           char ref[WP_QUARANTINE_REF_SIZE], char *err, size_t errlen)
{
    wp_store_decision d = {.report = r, .env = env, .queue_id = "4XyZ1abc"};
    return wp_store_quarantine(s, &d, raw, len, ref, NULL, err, errlen);
}

/* claim + release, as `watchpost quarantine release` does around the sending */
static wp_status
release(wp_store *s, const char *ref, const char *by, long long when, char *err, size_t errlen)
{
    char claim[WP_QUARANTINE_REF_SIZE];
    wp_status st = wp_store_quarantine_claim(s, ref, by, when, claim, err, errlen);
    return st != WP_OK ? st : wp_store_quarantine_release(s, ref, claim, when, err, errlen);
}

static void
test_quarantine_roundtrip(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store *s = store_open(&t, true);
    struct stat sb;
    assert_int_equal(stat(t.spool, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);

    size_t len;
    unsigned char *raw = odd_message(&len);
    wp_envelope env = envelope("mallory@evil.example", rcpt_two, 2);
    char ref[WP_QUARANTINE_REF_SIZE], err[512];
    int64_t id = 0;
    wp_store_decision d = {.report = r, .env = &env, .queue_id = "4XyZ1abc"};
    wp_status st = wp_store_quarantine(s, &d, raw, len, ref, &id, err, sizeof err);
    if (st != WP_OK)
        fail_msg("quarantine: %s", err);
    assert_int_equal(strlen(ref), 16);
    assert_int_equal(strspn(ref, "0123456789abcdef"), 16);

    /* one file, 0600, named by the reference, no temporary left */
    size_t tmp;
    assert_int_equal(spool_files(&t, &tmp), 1);
    assert_int_equal(tmp, 0);
    char path[200];
    snprintf(path, sizeof path, "%s/%s.eml", t.spool, ref);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, len);

    /* read back byte-identical, with its envelope */
    wp_quarantine_message *m = NULL;
    st = wp_store_quarantine_get(s, ref, &m, err, sizeof err);
    if (st != WP_OK)
        fail_msg("get: %s", err);
    assert_int_equal(m->len, len);
    assert_memory_equal(m->data, raw, len);
    assert_string_equal(m->entry.ref, ref);
    assert_int_equal(m->entry.decision_id, id);
    assert_int_equal(m->entry.state, WP_QUARANTINE_HELD);
    assert_int_equal(m->entry.verdict, WP_VERDICT_MALWARE);
    assert_string_equal(m->env.mail_from, "mallory@evil.example");
    assert_string_equal(m->env.client_ip, "192.0.2.7");
    assert_string_equal(m->env.helo, "mx.sender.example");
    assert_int_equal(m->env.direction, WP_DIR_INBOUND);
    assert_int_equal(m->env.time, 1700000000);
    assert_int_equal(m->env.n_rcpt, 2);
    assert_string_equal(m->env.rcpt[1], "Dave@Receiver.Example");
    wp_quarantine_message_free(m);

    /* the decision is an event that names its quarantine reference */
    wp_event_filter f;
    wp_event_filter_init(&f);
    f.id = id;
    wp_event_list *l = events(s, &f);
    assert_int_equal(l->n, 1);
    assert_string_equal(l->events[0].quarantine_ref, ref);
    wp_event_list_free(l);

    /* listing, with filters */
    wp_quarantine_filter qf;
    wp_quarantine_filter_init(&qf);
    wp_quarantine_list *ql = NULL;
    assert_int_equal(wp_store_quarantine_list(s, &qf, &ql, err, sizeof err), WP_OK);
    assert_int_equal(ql->n, 1);
    assert_string_equal(ql->entries[0].ref, ref);
    assert_string_equal(ql->entries[0].subject, r->subject);
    assert_int_equal(ql->entries[0].n_rcpt, 2);
    assert_int_equal(ql->entries[0].size, len);
    wp_quarantine_list_free(ql);
    qf.recipient = "nobody@receiver.example";
    assert_int_equal(wp_store_quarantine_list(s, &qf, &ql, err, sizeof err), WP_OK);
    assert_int_equal(ql->n, 0);
    wp_quarantine_list_free(ql);

    /* a file altered behind the store's back is reported, not served */
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    fputc('X', fp);
    fclose(fp);
    assert_int_equal(wp_store_quarantine_get(s, ref, &m, err, sizeof err), WP_EPARSE);
    assert_str_contains(err, "altered");

    /* references that are not ours never reach a path */
    assert_int_equal(wp_store_quarantine_get(s, "../../etc/passwd", &m, err, sizeof err),
                     WP_EINVAL);
    assert_int_equal(wp_store_quarantine_get(s, "0123456789abcdef", &m, err, sizeof err),
                     WP_ENOTFOUND);

    /* a store without a spool cannot quarantine */
    wp_store *nospool = store_open(&t, false);
    assert_int_equal(quarantine(nospool, r, &env, raw, len, ref, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "no quarantine spool");
    wp_store_close(nospool);

    free(raw);
    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

/* After a failed keep: no file of any name in the spool, no decision, no index row. */
static void
assert_nothing_kept(const tdir *t)
{
    size_t tmp;
    assert_int_equal(spool_files(t, &tmp), 0);
    assert_int_equal(tmp, 0);
    assert_int_equal(db_count(t, "SELECT count(*) FROM quarantine"), 0);
    assert_int_equal(db_count(t, "SELECT count(*) FROM decisions"), 0);
    assert_int_equal(db_count(t, "SELECT count(*) FROM findings"), 0);
}

static void
test_quarantine_readonly_dir(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store *s = store_open(&t, true);
    assert_int_equal(chmod(t.spool, 0500), 0);
    char ref[WP_QUARANTINE_REF_SIZE], err[512];
    wp_status st = quarantine(s, r, NULL, "x", 1, ref, err, sizeof err);
    if (geteuid() == 0) {
        /* root ignores directory permissions: test_quarantine_efbig covers the failure */
        assert_int_equal(st, WP_OK);
    } else {
        assert_int_equal(st, WP_EIO);
        assert_str_contains(err, t.spool);
        assert_str_contains(err, "cannot create");
        assert_nothing_kept(&t);
    }
    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

/* A full disk, simulated in a way root cannot bypass: with RLIMIT_FSIZE below the message
 * size and SIGXFSZ ignored, write() fails with EFBIG part-way through the file. */
static void
test_quarantine_efbig(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store *s = store_open(&t, true);
    size_t len = 256 * 1024;
    unsigned char *raw = malloc(len);
    memset(raw, 'm', len);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 64 * 1024;
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    char ref[WP_QUARANTINE_REF_SIZE] = "unchanged", err[512];
    wp_status st = quarantine(s, r, NULL, raw, len, ref, err, sizeof err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_sig);

    assert_int_equal(st, WP_EIO);
    assert_string_equal(ref, "unchanged"); /* out-parameters only on success */
    assert_str_contains(err, t.spool);
    assert_str_contains(err, strerror(EFBIG));
    assert_nothing_kept(&t);

    /* the store goes on working once the disk has room again */
    st = quarantine(s, r, NULL, raw, len, ref, err, sizeof err);
    if (st != WP_OK)
        fail_msg("quarantine after the failure: %s", err);
    assert_int_equal(spool_files(&t, NULL), 1);

    free(raw);
    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

/* The database refuses the index row (another process holds the write lock): the spool
 * file already written is removed again. */
static void
test_quarantine_db_locked(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store_config cfg;
    wp_store_config_init(&cfg);
    cfg.db_path = t.db;
    cfg.spool_dir = t.spool;
    cfg.busy_timeout_ms = 50;
    wp_store *s = NULL;
    char err[512], ref[WP_QUARANTINE_REF_SIZE];
    assert_int_equal(wp_store_open(&cfg, &s, err, sizeof err), WP_OK);

    sqlite3 *other = NULL;
    assert_int_equal(sqlite3_open(t.db, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    wp_status st = quarantine(s, r, NULL, "message", 7, ref, err, sizeof err);
    assert_int_equal(st, WP_EIO);
    assert_str_contains(err, t.db);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    assert_nothing_kept(&t);

    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

static void
test_spool_not_a_directory(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    FILE *fp = fopen(t.spool, "w");
    assert_non_null(fp);
    fclose(fp);
    wp_store_config cfg;
    wp_store_config_init(&cfg);
    cfg.db_path = t.db;
    cfg.spool_dir = t.spool;
    wp_store *s = NULL;
    char err[512];
    assert_int_equal(wp_store_open(&cfg, &s, err, sizeof err), WP_EIO);
    assert_null(s);
    assert_str_contains(err, t.spool);
    assert_str_contains(err, "not a directory");
    tdir_remove(&t);
}

static void
test_release_delete_tombstone(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store *s = store_open(&t, true);
    char a[WP_QUARANTINE_REF_SIZE], b[WP_QUARANTINE_REF_SIZE], err[512];
    assert_int_equal(quarantine(s, r, NULL, "first", 5, a, err, sizeof err), WP_OK);
    assert_int_equal(quarantine(s, r, NULL, "second", 6, b, err, sizeof err), WP_OK);
    assert_string_not_equal(a, b);

    /* release: who and when are recorded; the file stays */
    assert_int_equal(release(s, a, "alice", 5555, err, sizeof err), WP_OK);
    assert_int_equal(release(s, a, "alice", 0, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "already released by alice");
    assert_int_equal(release(s, a, NULL, 0, err, sizeof err), WP_EINVAL);
    assert_int_equal(release(s, "0000000000000000", "x", 0, err, sizeof err), WP_ENOTFOUND);
    wp_quarantine_message *m = NULL;
    assert_int_equal(wp_store_quarantine_get(s, a, &m, err, sizeof err), WP_OK);
    assert_int_equal(m->entry.state, WP_QUARANTINE_RELEASED);
    assert_string_equal(m->entry.released_by, "alice");
    assert_int_equal(m->entry.released_at, 5555);
    assert_memory_equal(m->data, "first", 5);
    wp_quarantine_message_free(m);

    /* delete: the file goes, the row stays as a tombstone */
    assert_int_equal(wp_store_quarantine_delete(s, a, "bob", err, sizeof err), WP_OK);
    assert_int_equal(spool_files(&t, NULL), 1);
    assert_int_equal(wp_store_quarantine_get(s, a, &m, err, sizeof err), WP_ENOTFOUND);
    assert_str_contains(err, "deleted by bob");
    assert_int_equal(wp_store_quarantine_delete(s, a, "bob", err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "deleted");
    assert_int_equal(release(s, a, "carol", 0, err, sizeof err), WP_EINVAL);
    assert_int_equal(wp_store_quarantine_delete(s, "ffffffffffffffff", "bob", err, sizeof err),
                     WP_ENOTFOUND);

    wp_quarantine_filter qf;
    wp_quarantine_filter_init(&qf);
    qf.state = WP_QUARANTINE_DELETED;
    wp_quarantine_list *ql = NULL;
    assert_int_equal(wp_store_quarantine_list(s, &qf, &ql, err, sizeof err), WP_OK);
    assert_int_equal(ql->n, 1);
    assert_string_equal(ql->entries[0].ref, a);
    assert_string_equal(ql->entries[0].deleted_by, "bob");
    assert_string_equal(ql->entries[0].delete_reason, "operator");
    assert_true(ql->entries[0].deleted_at > 0);
    assert_string_equal(ql->entries[0].released_by, "alice"); /* history kept */
    wp_quarantine_list_free(ql);
    qf.state = WP_QUARANTINE_HELD;
    assert_int_equal(wp_store_quarantine_list(s, &qf, &ql, err, sizeof err), WP_OK);
    assert_int_equal(ql->n, 1);
    assert_string_equal(ql->entries[0].ref, b);
    wp_quarantine_list_free(ql);
    /* the decision itself is still an event */
    assert_int_equal(db_count(&t, "SELECT count(*) FROM decisions"), 2);

    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

/* held -> releasing -> released: one claim at a time, a failed sending returns it, a stale
 * claim is taken over and its first owner can no longer settle it */
static void
test_release_claim(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store *s = store_open(&t, true);
    char a[WP_QUARANTINE_REF_SIZE], k1[WP_QUARANTINE_REF_SIZE], k2[WP_QUARANTINE_REF_SIZE];
    char k3[WP_QUARANTINE_REF_SIZE], err[512];
    assert_int_equal(quarantine(s, r, NULL, "first", 5, a, err, sizeof err), WP_OK);

    long long t0 = (long long)time(NULL); /* delete judges claims by the clock */
    assert_int_equal(wp_store_quarantine_claim(s, a, "alice", t0, k1, err, sizeof err), WP_OK);
    assert_int_equal(wp_store_quarantine_claim(s, a, "bob", t0 + 10, k2, err, sizeof err),
                     WP_EINVAL);
    assert_str_contains(err, "already being released by alice");
    /* a live claim keeps its file: no delete under a sending release */
    assert_int_equal(wp_store_quarantine_delete(s, a, "bob", err, sizeof err), WP_EINVAL);
    wp_quarantine_message *m = NULL;
    assert_int_equal(wp_store_quarantine_get(s, a, &m, err, sizeof err), WP_OK);
    assert_int_equal(m->entry.state, WP_QUARANTINE_RELEASING);
    assert_string_equal(m->entry.claimed_by, "alice");
    assert_int_equal(m->entry.claimed_at, t0);
    wp_quarantine_message_free(m);

    /* a failed sending: back to held, and only with the claim's own token */
    assert_int_equal(wp_store_quarantine_unclaim(s, a, "0123456789abcdef", err, sizeof err),
                     WP_EINVAL);
    assert_str_contains(err, "no longer ours");
    assert_int_equal(wp_store_quarantine_unclaim(s, a, k1, err, sizeof err), WP_OK);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM quarantine WHERE state = 'held'"), 1);

    /* bob claims, dies; after the timeout carol takes it over and bob cannot settle it */
    assert_int_equal(wp_store_quarantine_claim(s, a, "bob", 2000, k2, err, sizeof err), WP_OK);
    assert_int_equal(wp_store_quarantine_claim(s, a, "carol",
                                               2000 + WP_QUARANTINE_CLAIM_TIMEOUT - 1, k3, err,
                                               sizeof err),
                     WP_EINVAL);
    assert_int_equal(wp_store_quarantine_claim(s, a, "carol", 2000 + WP_QUARANTINE_CLAIM_TIMEOUT,
                                               k3, err, sizeof err),
                     WP_OK);
    assert_string_not_equal(k2, k3);
    assert_int_equal(wp_store_quarantine_release(s, a, k2, 0, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "claimed by carol");
    assert_int_equal(wp_store_quarantine_release(s, a, k3, 3000, err, sizeof err), WP_OK);
    assert_int_equal(wp_store_quarantine_unclaim(s, a, k3, err, sizeof err), WP_EINVAL);
    assert_int_equal(wp_store_quarantine_get(s, a, &m, err, sizeof err), WP_OK);
    assert_int_equal(m->entry.state, WP_QUARANTINE_RELEASED);
    assert_string_equal(m->entry.released_by, "carol");
    assert_int_equal(m->entry.released_at, 3000);
    wp_quarantine_message_free(m);
    assert_int_equal(wp_store_quarantine_claim(s, a, "dave", 0, k1, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "already released by carol");

    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

typedef struct claimer {
    const tdir *t;
    const char *ref;
    pthread_barrier_t *go;
    wp_status st;
} claimer;

static void *
claim_thread(void *arg)
{
    claimer *cl = arg;
    wp_store *s = store_open(cl->t, true); /* a connection of its own, as another process */
    char k[WP_QUARANTINE_REF_SIZE], err[512];
    pthread_barrier_wait(cl->go);
    cl->st = wp_store_quarantine_claim(s, cl->ref, "racer", 0, k, err, sizeof err);
    wp_store_close(s);
    return NULL;
}

/* eight connections claim one message at the same moment: exactly one wins */
static void
test_claim_race(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store *s = store_open(&t, true);
    char a[WP_QUARANTINE_REF_SIZE], err[512];
    assert_int_equal(quarantine(s, r, NULL, "first", 5, a, err, sizeof err), WP_OK);
    enum { N = 8 };
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, N);
    claimer cl[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        cl[i] = (claimer){.t = &t, .ref = a, .go = &go, .st = WP_EINTERNAL};
        assert_int_equal(pthread_create(&th[i], NULL, claim_thread, &cl[i]), 0);
    }
    int won = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        won += cl[i].st == WP_OK;
        refused += cl[i].st == WP_EINVAL;
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(won, 1);
    assert_int_equal(refused, N - 1);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM quarantine WHERE state = 'releasing'"), 1);
    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

/* a copy cut by a size limit is recorded, shown and never released or re-injected */
static void
test_truncated_copy(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store *s = store_open(&t, true);
    char a[WP_QUARANTINE_REF_SIZE], b[WP_QUARANTINE_REF_SIZE], k[WP_QUARANTINE_REF_SIZE];
    char err[512];
    wp_store_decision d = {.report = r, .queue_id = "4XyZ1abc", .whole_size = 100};
    assert_int_equal(
        wp_store_quarantine(s, &d, (const uint8_t *)"first", 5, a, NULL, err, sizeof err), WP_OK);
    d.whole_size = 5; /* the whole message: not cut */
    assert_int_equal(
        wp_store_quarantine(s, &d, (const uint8_t *)"whole", 5, b, NULL, err, sizeof err), WP_OK);

    wp_quarantine_message *m = NULL;
    assert_int_equal(wp_store_quarantine_get(s, a, &m, err, sizeof err), WP_OK);
    assert_true(m->entry.truncated);
    assert_int_equal(m->entry.whole_size, 100);
    assert_string_equal(m->entry.queue_id, "4XyZ1abc");
    /* even a caller that skips the claim cannot send it */
    assert_int_equal(wp_deliver_reinject(m, "127.0.0.1:1", "x", 100, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "truncated");
    wp_quarantine_message_free(m);

    assert_int_equal(wp_store_quarantine_claim(s, a, "alice", 0, k, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "truncated");
    assert_str_contains(err, "first 5 bytes of a message of 100 bytes");
    assert_str_contains(err, "4XyZ1abc");
    assert_int_equal(db_count(&t, "SELECT count(*) FROM quarantine WHERE state = 'held'"), 2);

    assert_int_equal(wp_store_quarantine_get(s, b, &m, err, sizeof err), WP_OK);
    assert_false(m->entry.truncated);
    assert_int_equal(m->entry.whole_size, 0);
    /* not claimed: the sender refuses it too */
    assert_int_equal(wp_deliver_reinject(m, "127.0.0.1:1", "x", 100, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "not claimed");
    wp_quarantine_message_free(m);
    assert_int_equal(wp_store_quarantine_claim(s, b, "alice", 0, k, err, sizeof err), WP_OK);

    wp_quarantine_list *ql = NULL;
    wp_quarantine_filter qf;
    wp_quarantine_filter_init(&qf);
    assert_int_equal(wp_store_quarantine_list(s, &qf, &ql, err, sizeof err), WP_OK);
    assert_int_equal(ql->n, 2);
    assert_int_equal(ql->entries[0].truncated + ql->entries[1].truncated, 1);
    wp_quarantine_list_free(ql);

    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

static void
db_exec(const tdir *t, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

/* The query plan of sql (EXPLAIN QUERY PLAN, every line) contains needle. */
static bool
plan_uses(const tdir *t, const char *sql, const char *needle)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(t->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char q[1024];
    (void)snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
    bool found = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        if (detail != NULL && strstr(detail, needle) != NULL)
            found = true;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return found;
}

/* Version 5's indexes serve the event filters that a large store made slow: "@domain" is an
 * index search on the sender's domain (the expression query.c uses), and the subqueries of the
 * finding, attachment and recipient filters read their index alone (docs/PERFORMANCE.md). */
static void
test_search_indexes(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wp_store *s = store_open(&t, false);
    wp_store_close(s);
    assert_true(plan_uses(&t,
                          "SELECT d.id FROM decisions d WHERE " WP_STORE_SENDER_DOMAIN_EXPR
                          " = lower(?7) AND d.verdict = ?4 ORDER BY d.id DESC LIMIT 51",
                          "decisions_sender_domain"));
    assert_true(plan_uses(&t, "SELECT decision_id FROM findings WHERE code = ?9",
                          "COVERING INDEX findings_code"));
    assert_true(plan_uses(&t, "SELECT decision_id FROM attachments WHERE sha256 = ?14",
                          "COVERING INDEX attachments_sha256"));
    assert_true(plan_uses(&t, "SELECT decision_id FROM recipients WHERE rcpt = ?8 COLLATE NOCASE",
                          "COVERING INDEX recipients_rcpt"));
    tdir_remove(&t);
}

/* migration 3 on a version 2 store: rows kept, the states allowed grow, and a row whose
 * decision has LIMIT_MESSAGE_SIZE (how a cut copy showed before) is marked truncated */
static void
test_migration_3(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store *s = store_open(&t, true);
    char a[WP_QUARANTINE_REF_SIZE], b[WP_QUARANTINE_REF_SIZE], err[512];
    assert_int_equal(quarantine(s, r, NULL, "first", 5, a, err, sizeof err), WP_OK);
    assert_int_equal(quarantine(s, r, NULL, "second", 6, b, err, sizeof err), WP_OK);
    assert_int_equal(release(s, b, "alice", 77, err, sizeof err), WP_OK);
    wp_store_close(s);
    /* back to the version 2 shape of the table */
    char sql[1024];
    snprintf(sql, sizeof sql,
             "BEGIN;"
             "CREATE TABLE q2 AS SELECT ref, decision_id, created, size, sha256, state,"
             " released_by, released_at, deleted_by, deleted_at, delete_reason FROM quarantine;"
             "DROP TABLE quarantine;"
             "CREATE TABLE quarantine(ref TEXT PRIMARY KEY, decision_id INTEGER NOT NULL UNIQUE"
             " REFERENCES decisions(id), created INTEGER NOT NULL, size INTEGER NOT NULL,"
             " sha256 TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'held' CHECK (state IN"
             " ('held', 'released', 'deleted')), released_by TEXT, released_at INTEGER,"
             " deleted_by TEXT, deleted_at INTEGER, delete_reason TEXT);"
             "INSERT INTO quarantine SELECT * FROM q2; DROP TABLE q2;"
             "INSERT INTO findings(decision_id, seq, code, category, weight, contribution)"
             " SELECT decision_id, 999, 'LIMIT_MESSAGE_SIZE', 'anomaly', 1, 1 FROM quarantine"
             " WHERE ref = '%s';"
             /* and what version 4 added, so that the store is a version 2 one again */
             "DROP TABLE reports; DROP TABLE attachments; DROP TABLE sessions;"
             " DROP TABLE api_tokens; DROP TABLE users; DROP TABLE audit;"
             /* and the index version 5 added */
             "DROP INDEX decisions_sender_domain;"
             "DELETE FROM schema_version WHERE version >= 3; COMMIT;",
             a);
    db_exec(&t, sql);
    s = store_open(&t, true);
    assert_int_equal(wp_store_schema_version(s), WP_STORE_SCHEMA_VERSION);
    wp_quarantine_message *m = NULL;
    assert_int_equal(wp_store_quarantine_get(s, a, &m, err, sizeof err), WP_OK);
    assert_true(m->entry.truncated);
    assert_int_equal(m->entry.state, WP_QUARANTINE_HELD);
    wp_quarantine_message_free(m);
    assert_int_equal(wp_store_quarantine_get(s, b, &m, err, sizeof err), WP_OK);
    assert_false(m->entry.truncated);
    assert_int_equal(m->entry.state, WP_QUARANTINE_RELEASED);
    assert_string_equal(m->entry.released_by, "alice");
    wp_quarantine_message_free(m);
    char k[WP_QUARANTINE_REF_SIZE];
    assert_int_equal(wp_store_quarantine_claim(s, a, "bob", 0, k, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "truncated");
    assert_int_equal(db_count(&t, "SELECT count(*) FROM sqlite_schema WHERE name = "
                                  "'quarantine_state'"),
                     1);
    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

static void
age_file(const tdir *t, const char *ref, long long days)
{
    char path[200];
    snprintf(path, sizeof path, "%s/%s.eml", t->spool, ref);
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = time(NULL) - (time_t)(days * 86400);
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static bool
file_exists(const tdir *t, const char *ref)
{
    char path[200];
    snprintf(path, sizeof path, "%s/%s.eml", t->spool, ref);
    return access(path, F_OK) == 0;
}

static void
test_retention(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store *s = store_open(&t, true);
    char old[WP_QUARANTINE_REF_SIZE], mid[WP_QUARANTINE_REF_SIZE], young[WP_QUARANTINE_REF_SIZE];
    char gone[WP_QUARANTINE_REF_SIZE], err[512];
    assert_int_equal(quarantine(s, r, NULL, "old", 3, old, err, sizeof err), WP_OK);
    assert_int_equal(quarantine(s, r, NULL, "mid", 3, mid, err, sizeof err), WP_OK);
    assert_int_equal(quarantine(s, r, NULL, "young", 5, young, err, sizeof err), WP_OK);
    assert_int_equal(quarantine(s, r, NULL, "gone", 4, gone, err, sizeof err), WP_OK);
    age_file(&t, old, 40);
    age_file(&t, mid, 10);
    assert_int_equal(release(s, mid, "alice", 0, err, sizeof err), WP_OK);

    /* 30 days: only the 40-day-old file */
    wp_quarantine_list *del = NULL;
    size_t n = 99;
    wp_status st = wp_store_quarantine_expire(s, 30, 0, &del, &n, err, sizeof err);
    if (st != WP_OK)
        fail_msg("expire: %s", err);
    assert_int_equal(n, 1);
    assert_int_equal(del->n, 1);
    assert_string_equal(del->entries[0].ref, old);
    assert_int_equal(del->entries[0].state, WP_QUARANTINE_DELETED);
    assert_string_equal(del->entries[0].deleted_by, "retention");
    assert_string_equal(del->entries[0].delete_reason, "retention");
    wp_quarantine_list_free(del);
    assert_false(file_exists(&t, old));
    assert_true(file_exists(&t, mid) && file_exists(&t, young) && file_exists(&t, gone));

    /* again: nothing more at 30 days */
    assert_int_equal(wp_store_quarantine_expire(s, 30, 0, NULL, &n, err, sizeof err), WP_OK);
    assert_int_equal(n, 0);

    /* 5 days: the released one of 10 days goes too */
    assert_int_equal(wp_store_quarantine_expire(s, 5, 0, NULL, &n, err, sizeof err), WP_OK);
    assert_int_equal(n, 1);
    assert_false(file_exists(&t, mid));

    /* a file that vanished behind our back is recorded, not skipped */
    char path[200];
    snprintf(path, sizeof path, "%s/%s.eml", t.spool, gone);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(wp_store_quarantine_expire(s, 365, 0, &del, &n, err, sizeof err), WP_OK);
    assert_int_equal(n, 1);
    assert_string_equal(del->entries[0].ref, gone);
    assert_string_equal(del->entries[0].delete_reason, "retention: file missing");
    wp_quarantine_list_free(del);

    /* "now" in the future ages everything */
    long long later = (long long)time(NULL) + 3 * 86400;
    assert_int_equal(wp_store_quarantine_expire(s, 1, later, NULL, &n, err, sizeof err), WP_OK);
    assert_int_equal(n, 1);
    assert_false(file_exists(&t, young));
    assert_int_equal(spool_files(&t, NULL), 0);
    /* every row is a tombstone now; none vanished */
    assert_int_equal(db_count(&t, "SELECT count(*) FROM quarantine WHERE state = 'deleted'"), 4);

    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

/* ---- store retention (wp_store_prune) ---- */

static long long
db_has(const tdir *t, const char *table, long long id)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE id = %lld", table, id);
    return db_count(t, sql);
}

/* What goes and what stays: old decisions go unless a held quarantine file or a kept
 * incident needs them; an old closed incident goes with its entities and timeline, and
 * then what only it cited; open incidents and what they hold stay however old. */
static void
test_prune(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store *s = store_open(&t, true);
    long long now = (long long)time(NULL), old = now - 100 * 86400LL, young = now - 86400;
    wp_envelope env = envelope("mallory@evil.example", rcpt_bob, 1);
    int64_t da = record(s, r, &env, old), db = record(s, r, &env, old);
    int64_t dc = record(s, r, &env, old), y1 = record(s, r, &env, young);
    char held[WP_QUARANTINE_REF_SIZE], dead[WP_QUARANTINE_REF_SIZE], err[512], sql[2048];
    assert_int_equal(quarantine(s, r, NULL, "held", 4, held, err, sizeof err), WP_OK);
    assert_int_equal(quarantine(s, r, NULL, "dead", 4, dead, err, sizeof err), WP_OK);
    assert_int_equal(wp_store_quarantine_delete(s, dead, "alice", err, sizeof err), WP_OK);
    snprintf(sql, sizeof sql,
             "UPDATE decisions SET time = %lld WHERE id IN (SELECT decision_id FROM quarantine)",
             old);
    db_exec(&t, sql);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM decisions"), 6);
    assert_true(db_count(&t, "SELECT count(*) FROM findings") > 0);

    /* incident 1 open and old, 2 closed long ago, 3 closed today over old evidence */
    snprintf(sql, sizeof sql,
             "INSERT INTO incidents(id, status, severity, title, first_evidence, last_evidence,"
             " detected_at, updated, closed_at) VALUES"
             " (1, 'open', 3, 'open', %lld, %lld, 0, 0, NULL),"
             " (2, 'closed', 2, 'old', %lld, %lld, 0, 0, %lld),"
             " (3, 'closed', 2, 'recent', %lld, %lld, 0, 0, %lld);"
             "INSERT INTO incident_entities VALUES (2, 'host', '10.0.0.2', %lld);"
             /* net findings: 11 held by 1, 12 by 2, 13 alone, 14 young, 15 cited by 3 */
             "INSERT INTO net_findings(id, recorded, ts, first_ts, code, src, dst, score,"
             " count, evidence, incident_id) VALUES"
             " (11, 0, %lld, %lld, 'NET_C2', 'a', 'b', 1, 1, 'e', 1),"
             " (12, 0, %lld, %lld, 'NET_C2', 'a', 'b', 1, 1, 'e', 2),"
             " (13, 0, %lld, %lld, 'NET_C2', 'a', 'b', 1, 1, 'e', NULL),"
             " (14, 0, %lld, %lld, 'NET_C2', 'a', 'b', 1, 1, 'e', NULL),"
             " (15, 0, %lld, %lld, 'NET_C2', 'a', 'b', 1, 1, 'e', NULL);"
             "INSERT INTO incident_timeline(incident_id, seq, ts, kind, summary, decision_id,"
             " net_finding_id) VALUES (1, 1, %lld, 'mail', 's', %lld, NULL),"
             " (2, 1, %lld, 'mail', 's', %lld, NULL), (3, 1, %lld, 'net', 's', NULL, 15);"
             "INSERT INTO host_map(address, source, seen) VALUES ('10.0.0.1', 'dhcp', %lld),"
             " ('10.0.0.3', 'dhcp', %lld);",
             old, old, old, old, old, old, old, now, old, old, old, old, old, old, old, young,
             young, old, old, old, (long long)da, old, (long long)db, old, old, young);
    db_exec(&t, sql);

    wp_store_prune_counts n;
    assert_int_equal(wp_store_prune(s, 0, 0, &n, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "0 days");
    wp_status st = wp_store_prune(s, 30, 0, &n, err, sizeof err);
    if (st != WP_OK)
        fail_msg("prune: %s", err);
    /* db (its incident went), dc, and the tombstoned one with its tombstone */
    assert_int_equal(n.decisions, 3);
    assert_int_equal(n.tombstones, 1);
    assert_int_equal(n.incidents, 1);
    assert_int_equal(n.net_findings, 2);
    assert_int_equal(n.host_map, 1);
    assert_int_equal(db_has(&t, "decisions", da), 1); /* cited by the open incident */
    assert_int_equal(db_has(&t, "decisions", db), 0);
    assert_int_equal(db_has(&t, "decisions", dc), 0);
    assert_int_equal(db_has(&t, "decisions", y1), 1);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM quarantine WHERE state = 'held'"), 1);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM quarantine"), 1);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM decisions"), 3);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM findings WHERE decision_id NOT IN"
                                  " (SELECT id FROM decisions)"),
                     0);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM recipients WHERE decision_id NOT IN"
                                  " (SELECT id FROM decisions)"),
                     0);
    assert_int_equal(db_has(&t, "incidents", 1) + db_has(&t, "incidents", 3), 2);
    assert_int_equal(db_has(&t, "incidents", 2), 0);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM incident_entities"), 0);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM incident_timeline WHERE incident_id = 2"),
                     0);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM net_findings WHERE id IN (11, 14, 15)"), 3);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM net_findings"), 3);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM host_map"), 1);
    /* the held message is still served */
    assert_true(file_exists(&t, held));

    /* again: nothing more; a retention longer than everything deletes nothing */
    assert_int_equal(wp_store_prune(s, 30, 0, &n, err, sizeof err), WP_OK);
    assert_int_equal(n.decisions + n.tombstones + n.net_findings + n.incidents + n.host_map, 0);
    assert_int_equal(wp_store_prune(s, 36500, 0, &n, err, sizeof err), WP_OK);
    assert_int_equal(n.decisions + n.tombstones + n.net_findings + n.incidents + n.host_map, 0);
    /* a new store returns freed pages to the file system */
    assert_int_equal(db_count(&t, "PRAGMA auto_vacuum"), 2);

    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

/* More rows than one batch: every old one goes, across several transactions. */
static void
test_prune_batches(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wp_store *s = store_open(&t, false);
    char sql[512];
    long long old = (long long)time(NULL) - 50 * 86400LL;
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)"
             " INSERT INTO net_findings(recorded, ts, first_ts, code, src, dst, score, count,"
             " evidence) SELECT 0, %lld, %lld, 'NET_RARE_DOMAIN', 'a', 'b', 1, 1, 'e' FROM n",
             old, old);
    db_exec(&t, sql);
    wp_store_prune_counts n;
    char err[512];
    assert_int_equal(wp_store_prune(s, 7, 0, &n, err, sizeof err), WP_OK);
    assert_int_equal(n.net_findings, 5000);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM net_findings"), 0);
    wp_store_close(s);
    tdir_remove(&t);
}

/* ---- schema 4: kept reports, new filters, users, sessions, tokens, audit ---- */

static void
test_report_kept_and_filters(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store *s = store_open(&t, false);
    wp_envelope env = envelope("mallory@evil.example", rcpt_bob, 1);
    int64_t in = record(s, r, &env, 0);
    env.direction = WP_DIR_OUTBOUND;
    int64_t out = record(s, r, &env, 0);
    char *json = NULL, err[512];
    assert_int_equal(wp_store_event_report(s, in, &json, err, sizeof err), WP_OK);
    char *want = NULL;
    assert_int_equal(wp_report_to_json(r, &want), WP_OK);
    assert_string_equal(json, want); /* byte for byte what scan --json prints */
    free(json);
    free(want);
    assert_int_equal(wp_store_event_report(s, 9999, &json, err, sizeof err), WP_ENOTFOUND);

    const char *sha = NULL;
    for (size_t i = 0; i < r->n_objects && sha == NULL; i++) {
        if (r->objects[i].has_hashes && r->objects[i].is_attachment)
            sha = r->objects[i].hashes.sha256;
    }
    assert_non_null(sha);
    wp_event_filter f;
    wp_event_filter_init(&f);
    f.sha256 = sha;
    assert_int_equal(count_events(s, &f), 2);
    f.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
    assert_int_equal(count_events(s, &f), 0);
    wp_event_filter_init(&f);
    f.direction = WP_DIR_OUTBOUND;
    wp_event_list *l = events(s, &f);
    assert_int_equal(l->n, 1);
    assert_int_equal(l->events[0].id, out);
    wp_event_list_free(l);
    /* subject: a substring; LIKE metacharacters are literal */
    assert_non_null(r->subject);
    char part[8];
    snprintf(part, sizeof part, "%.5s", r->subject + 1);
    wp_event_filter_init(&f);
    f.subject = part;
    assert_int_equal(count_events(s, &f), 2);
    f.subject = "%";
    assert_int_equal(count_events(s, &f), strchr(r->subject, '%') != NULL ? 2 : 0);
    f.subject = "no such subject anywhere";
    assert_int_equal(count_events(s, &f), 0);
    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

static void
test_access(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wp_store *s = store_open(&t, false);
    char err[512];
    assert_int_equal(
        wp_store_user_put(s, "alice", WP_ROLE_ANALYST, "$argon2id$x", true, err, sizeof err),
        WP_OK);
    assert_int_equal(
        wp_store_user_put(s, "alice", WP_ROLE_ADMIN, "$argon2id$y", true, err, sizeof err),
        WP_EINVAL);
    assert_str_contains(err, "exists");
    assert_int_equal(wp_store_user_put(s, "bad name", WP_ROLE_ADMIN, "h", true, err, sizeof err),
                     WP_EINVAL);
    assert_int_equal(
        wp_store_user_put(s, "x'); DROP TABLE users;--", WP_ROLE_ADMIN, "h", true, err, sizeof err),
        WP_EINVAL);
    wp_user_info u;
    assert_int_equal(wp_store_user_get(s, "alice", &u, err, sizeof err), WP_OK);
    assert_int_equal(u.role, WP_ROLE_ANALYST);
    assert_string_equal(u.pwhash, "$argon2id$x");
    assert_int_equal(wp_store_user_get(s, "bob", &u, err, sizeof err), WP_ENOTFOUND);

    long long now = 1800000000;
    wp_session_info si;
    assert_int_equal(
        wp_store_session_put(s, "h1", "alice", "csrf1", now, "192.0.2.1", err, sizeof err), WP_OK);
    assert_int_equal(
        wp_store_session_get(s, "h1", now + 10, now - 100, now - 100, &si, err, sizeof err), WP_OK);
    assert_string_equal(si.user, "alice");
    assert_string_equal(si.csrf, "csrf1");
    assert_int_equal(si.role, WP_ROLE_ANALYST);
    /* idle too long, or too old */
    assert_int_equal(wp_store_session_get(s, "h1", now + 10, now + 5, 0, &si, err, sizeof err),
                     WP_ENOTFOUND);
    assert_int_equal(wp_store_session_get(s, "h1", now + 10, 0, now + 5, &si, err, sizeof err),
                     WP_ENOTFOUND);
    assert_int_equal(wp_store_session_get(s, "nope", now, 0, 0, &si, err, sizeof err),
                     WP_ENOTFOUND);

    /* tokens: never above the user's role; the lower of the two when the user is demoted */
    assert_int_equal(
        wp_store_token_put(s, "t1", "alice", "soar", WP_ROLE_ADMIN, now, err, sizeof err),
        WP_EINVAL);
    assert_int_equal(
        wp_store_token_put(s, "t1", "alice", "soar", WP_ROLE_ANALYST, now, err, sizeof err), WP_OK);
    assert_int_equal(
        wp_store_token_put(s, "t2", "alice", "soar", WP_ROLE_VIEWER, now, err, sizeof err),
        WP_EINVAL);
    assert_int_equal(wp_store_token_get(s, "t1", now, &si, err, sizeof err), WP_OK);
    assert_int_equal(si.role, WP_ROLE_ANALYST);
    assert_int_equal(
        wp_store_user_put(s, "alice", WP_ROLE_VIEWER, "$argon2id$x", false, err, sizeof err),
        WP_OK);
    assert_int_equal(wp_store_token_get(s, "t1", now, &si, err, sizeof err), WP_OK);
    assert_int_equal(si.role, WP_ROLE_VIEWER);
    assert_int_equal(wp_store_token_revoke(s, "alice", "soar", err, sizeof err), WP_OK);
    assert_int_equal(wp_store_token_get(s, "t1", now, &si, err, sizeof err), WP_ENOTFOUND);

    /* a disabled user loses its sessions */
    assert_int_equal(wp_store_user_disable(s, "alice", true, err, sizeof err), WP_OK);
    assert_int_equal(wp_store_session_get(s, "h1", now, 0, 0, &si, err, sizeof err), WP_ENOTFOUND);
    assert_int_equal(db_count(&t, "SELECT count(*) FROM sessions"), 0);

    wp_audit_entry e = {.user = "alice",
                        .address = "192.0.2.1",
                        .action = "quarantine.release",
                        .object = "0123456789abcdef",
                        .reason = "false positive",
                        .result = "ok"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(wp_store_audit(s, &e, err, sizeof err), WP_OK);
    wp_audit_list *al = NULL;
    assert_int_equal(wp_store_audit_list(s, 0, 2, &al, err, sizeof err), WP_OK);
    assert_int_equal(al->n, 2);
    assert_true(al->more);
    assert_string_equal(al->items[0].reason, "false positive");
    long long last = al->items[1].id;
    wp_audit_list_free(al);
    assert_int_equal(wp_store_audit_list(s, last, 2, &al, err, sizeof err), WP_OK);
    assert_int_equal(al->n, 1);
    assert_false(al->more);
    wp_audit_list_free(al);
    wp_store_close(s);
    tdir_remove(&t);
}

/* Another process looks at the database file's SQLite lock bytes (the SHARED range at
 * 0x40000002, 510 bytes): true when some process holds a lock there that a writer would
 * conflict with, as an open WAL-mode connection does. */
static bool
shared_lock_seen(const char *db)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(db, O_RDWR);
        struct flock fl = {
            .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0x40000002, .l_len = 510};
        _exit(fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A second store opened in this process must not drop the locks of the first: closing any
 * descriptor of the database file releases every POSIX lock the process holds on it, and
 * another process would then think itself the last user, checkpoint and delete the WAL
 * under the open connection (watchpost serve opens one store per worker thread; ctest serve
 * saw "database disk image is malformed"). */
static void
test_open_keeps_locks(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wp_store *s1 = store_open(&t, false);
    wp_event_filter f;
    wp_event_filter_init(&f);
    assert_int_equal(count_events(s1, &f), 0);
    assert_true(shared_lock_seen(t.db)); /* the premise: an open connection is visible */
    wp_store *s2 = store_open(&t, false);
    assert_true(shared_lock_seen(t.db)); /* and stays visible after a second open */
    wp_store_close(s2);
    wp_store_close(s1);
    tdir_remove(&t);
}

/* Token listing: by user then name, filtered by user, with last use and revocation, and no
 * hash anywhere in what comes back. Ending a user's sessions after a password reset. */
static void
test_token_list(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wp_store *s = store_open(&t, false);
    char err[512];
    assert_int_equal(
        wp_store_user_put(s, "bob", WP_ROLE_ADMIN, "$argon2id$b", true, err, sizeof err), WP_OK);
    assert_int_equal(
        wp_store_user_put(s, "alice", WP_ROLE_ANALYST, "$argon2id$a", true, err, sizeof err),
        WP_OK);
    long long now = 1800000000;
    assert_int_equal(
        wp_store_token_put(s, "hash-b1", "bob", "zeta", WP_ROLE_VIEWER, now, err, sizeof err),
        WP_OK);
    assert_int_equal(
        wp_store_token_put(s, "hash-b2", "bob", "alpha", WP_ROLE_ADMIN, now + 1, err, sizeof err),
        WP_OK);
    assert_int_equal(wp_store_token_put(s, "hash-a1", "alice", "soar", WP_ROLE_ANALYST, now + 2,
                                        err, sizeof err),
                     WP_OK);
    wp_session_info si;
    assert_int_equal(wp_store_token_get(s, "hash-a1", now + 500, &si, err, sizeof err), WP_OK);
    assert_int_equal(wp_store_token_revoke(s, "bob", "zeta", err, sizeof err), WP_OK);

    wp_token_info ti[4];
    size_t n = 99;
    assert_int_equal(wp_store_tokens(s, NULL, ti, 4, &n, err, sizeof err), WP_OK);
    assert_int_equal(n, 3);
    assert_string_equal(ti[0].user, "alice");
    assert_string_equal(ti[0].name, "soar");
    assert_int_equal(ti[0].role, WP_ROLE_ANALYST);
    assert_int_equal(ti[0].created, now + 2);
    assert_int_equal(ti[0].last_used, now + 500);
    assert_false(ti[0].revoked);
    assert_string_equal(ti[1].name, "alpha");
    assert_int_equal(ti[1].role, WP_ROLE_ADMIN);
    assert_int_equal(ti[1].last_used, 0);
    assert_string_equal(ti[2].name, "zeta");
    assert_true(ti[2].revoked);
    for (size_t i = 0; i < n; i++) {
        assert_null(memmem(&ti[i], sizeof ti[i], "hash-", 5));
    }

    /* one user's; a cap smaller than the count still counts them all */
    assert_int_equal(wp_store_tokens(s, "bob", ti, 1, &n, err, sizeof err), WP_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ti[0].name, "alpha");
    assert_int_equal(wp_store_tokens(s, "nobody", ti, 4, &n, err, sizeof err), WP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(wp_store_tokens(s, "x' OR '1'='1", ti, 4, &n, err, sizeof err), WP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(wp_store_tokens(s, NULL, NULL, 0, &n, err, sizeof err), WP_OK);
    assert_int_equal(n, 3);

    /* a password reset ends the user's other sessions, and only the user's */
    assert_int_equal(wp_store_session_put(s, "s1", "bob", "c", now, "a", err, sizeof err), WP_OK);
    assert_int_equal(wp_store_session_put(s, "s2", "bob", "c", now, "a", err, sizeof err), WP_OK);
    assert_int_equal(wp_store_session_put(s, "s3", "alice", "c", now, "a", err, sizeof err), WP_OK);
    assert_int_equal(wp_store_sessions_end(s, "bob", "s2", &n, err, sizeof err), WP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(wp_store_session_get(s, "s1", now, 0, 0, &si, err, sizeof err), WP_ENOTFOUND);
    assert_int_equal(wp_store_session_get(s, "s2", now, 0, 0, &si, err, sizeof err), WP_OK);
    assert_int_equal(wp_store_session_get(s, "s3", now, 0, 0, &si, err, sizeof err), WP_OK);
    assert_int_equal(wp_store_sessions_end(s, "bob", NULL, NULL, err, sizeof err), WP_OK);
    assert_int_equal(wp_store_session_get(s, "s2", now, 0, 0, &si, err, sizeof err), WP_ENOTFOUND);
    assert_int_equal(wp_store_session_get(s, "s3", now, 0, 0, &si, err, sizeof err), WP_OK);
    wp_store_close(s);
    tdir_remove(&t);
}

/* Live updates ask for the incidents changed after a time, whatever their severity rank. */
static void
test_incidents_updated_after(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wp_store *s = store_open(&t, false);
    db_exec(&t,
            "INSERT INTO incidents(id, status, severity, title, first_evidence, last_evidence,"
            " detected_at, updated) VALUES (1, 'open', 5, 'high, old', 0, 0, 0, 100),"
            " (2, 'closed', 1, 'low, new', 0, 0, 0, 200), (3, 'acked', 3, 'mid', 0, 0, 0, 150)");
    wp_incident_filter f;
    wp_incident_filter_init(&f);
    f.status = "all";
    f.limit = 1; /* one row: the changed one must not lose to a higher severity */
    f.updated_after = 160;
    wp_incident_list *l = NULL;
    char err[256];
    assert_int_equal(wp_store_incidents(s, &f, &l, err, sizeof err), WP_OK);
    assert_int_equal(l->n, 1);
    assert_int_equal(l->items[0].id, 2);
    wp_incident_list_free(l);
    f.limit = 10;
    f.updated_after = 0;
    assert_int_equal(wp_store_incidents(s, &f, &l, err, sizeof err), WP_OK);
    assert_int_equal(l->n, 3);
    wp_incident_list_free(l);
    wp_store_close(s);
    tdir_remove(&t);
}

/* ---- threads ---- */

#define N_THREADS  4
#define PER_THREAD 50

typedef struct worker {
    wp_store *s;
    const wp_report *r;
    int index;
    int failures;
    int64_t ids[PER_THREAD];
    char refs[2][WP_QUARANTINE_REF_SIZE];
} worker;

static void *
work(void *arg)
{
    worker *w = arg;
    char from[64];
    snprintf(from, sizeof from, "thread%d@sender.example", w->index);
    const char *rcpt[] = {"bob@receiver.example"};
    wp_envelope env = envelope(from, rcpt, 1);
    char err[512];
    for (int i = 0; i < PER_THREAD; i++) {
        wp_store_decision d = {.report = w->r, .env = &env, .time = 1000 + i};
        if (i % 25 == 0) {
            char msg[64];
            int n = snprintf(msg, sizeof msg, "message %d of thread %d", i, w->index);
            if (wp_store_quarantine(w->s, &d, (const uint8_t *)msg, (size_t)n, w->refs[i / 25],
                                    &w->ids[i], err, sizeof err) != WP_OK)
                w->failures++;
        } else if (wp_store_record(w->s, &d, &w->ids[i], err, sizeof err) != WP_OK) {
            w->failures++;
        }
        if (i % 10 == 0) { /* readers run alongside the writers */
            wp_event_filter f;
            wp_event_filter_init(&f);
            f.sender = from;
            wp_event_list *l = NULL;
            if (wp_store_events(w->s, &f, &l, err, sizeof err) != WP_OK || l->n < (size_t)i)
                w->failures++;
            wp_event_list_free(l);
        }
    }
    return NULL;
}

static void
test_threads(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan_fixture(c, "double_ext.eml");
    wp_store *s = store_open(&t, true);
    worker w[N_THREADS];
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (worker){.s = s, .r = r, .index = i};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    wp_event_filter f;
    wp_event_filter_init(&f);
    f.limit = 1000;
    wp_event_list *l = events(s, &f);
    assert_int_equal(l->n, N_THREADS * PER_THREAD);
    /* every id handed out once, every decision complete */
    for (size_t i = 1; i < l->n; i++)
        assert_true(l->events[i].id < l->events[i - 1].id);
    for (size_t i = 0; i < l->n; i++)
        assert_int_equal(l->events[i].n_findings, r->n_findings);
    wp_event_list_free(l);
    for (int i = 0; i < N_THREADS; i++) {
        f.sender = NULL;
        char from[64];
        snprintf(from, sizeof from, "thread%d@sender.example", i);
        f.sender = from;
        assert_int_equal(count_events(s, &f), PER_THREAD);
    }
    assert_int_equal(db_count(&t, "SELECT count(*) FROM quarantine"), 2 * N_THREADS);
    assert_int_equal(spool_files(&t, NULL), 2 * N_THREADS);
    wp_quarantine_message *m = NULL;
    char err[512];
    assert_int_equal(wp_store_quarantine_get(s, w[3].refs[1], &m, err, sizeof err), WP_OK);
    assert_memory_equal(m->data, "message 25 of thread 3", m->len);
    wp_quarantine_message_free(m);

    wp_store_close(s);
    wp_report_free(r);
    wpt_free(c);
    tdir_remove(&t);
}

/* wp_store_hunt: net findings grouped per (host, destination, code), ranked by the highest
 * score then the latest evidence; groups with a finding in an incident left out unless
 * asked for; the filters; the beacon's components read back from its evidence */
static void
test_hunt(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    wp_store *s = store_open(&t, false);
    db_exec(&t, "INSERT INTO incidents(id, status, severity, title, first_evidence, last_evidence,"
                " detected_at, updated) VALUES (7, 'open', 1, 'beacon', 0, 0, 0, 0);"
                "INSERT INTO net_findings(id, recorded, ts, first_ts, code, src, dst, dst_port,"
                " score, count, evidence, incident_id) VALUES"
                /* A: two beacon findings of one pair, the later one scoring higher */
                " (1, 0, 1000, 400, 'NET_BEACON', '10.0.0.5', '198.51.100.7', 443, 0.82, 25,"
                "  'beacon score 0.82 over 25 connections in 600 s', NULL),"
                " (2, 0, 2000, 300, 'NET_BEACON', '10.0.0.5', '198.51.100.7', 443, 0.88, 50,"
                "  'beacon score 0.88 over 50 connections in 1700 s: interval median 60.2 s"
                " (skew 0.91, MAD 0.90, coverage 0.97), size median 300 B (skew 0.75, MAD 0.98,"
                " small 1.00)', NULL),"
                /* B: a pair already in incident 7 (its latest finding is not) */
                " (3, 0, 1500, 1000, 'NET_BEACON', '10.0.0.6', '198.51.100.8', 443, 0.95, 30,"
                "  'b', 7),"
                " (4, 0, 1600, 1000, 'NET_BEACON', '10.0.0.6', '198.51.100.8', 443, 0.90, 60,"
                "  'b2', NULL),"
                /* C, D, E: a long connection, a rare domain, a new destination tied with A */
                " (5, 0, 3000, 2000, 'NET_LONG_CONN', '10.0.0.5', '203.0.113.9', 22, 0.6, 5400,"
                "  'long connection', NULL),"
                " (6, 0, 500, 500, 'NET_RARE_DOMAIN', '10.0.0.7', 'example.net', NULL, 0.2, 1,"
                "  'first seen', NULL),"
                " (7, 0, 2500, 2400, 'NET_EXFIL_NEW_DEST', '10.0.0.8', '192.0.2.1', 443, 0.88,"
                "  30000000, 'upload', NULL),"
                /* before the window */
                " (8, 0, 10, 5, 'NET_BEACON', '10.0.0.9', '192.0.2.99', 80, 0.99, 40, 'old',"
                "  NULL);");
    char err[512];
    wp_hunt_filter f;
    wp_hunt_filter_init(&f);
    f.since = 100;
    wp_hunt_list *l = NULL;
    assert_int_equal(wp_store_hunt(s, &f, &l, err, sizeof err), WP_OK);
    assert_int_equal(l->n, 4);
    assert_false(l->truncated);
    assert_string_equal(l->items[0].src, "10.0.0.8"); /* 0.88 at 2500 */
    assert_string_equal(l->items[1].src, "10.0.0.5"); /* 0.88 at 2000 */
    assert_string_equal(l->items[2].code, "NET_LONG_CONN");
    assert_string_equal(l->items[3].code, "NET_RARE_DOMAIN");
    const wp_hunt_item *a = &l->items[1];
    assert_string_equal(a->code, "NET_BEACON");
    assert_string_equal(a->dst, "198.51.100.7");
    assert_int_equal(a->dst_port, 443);
    assert_int_equal(a->findings, 2);
    assert_int_equal(a->count_sum, 75);
    assert_int_equal(a->count_max, 50);
    assert_true(a->max_score > 0.879 && a->max_score < 0.881);
    assert_true(a->first_ts == 300 && a->last_ts == 2000);
    assert_int_equal(a->incident_id, 0);
    assert_non_null(strstr(a->evidence, "coverage 0.97"));
    assert_true(a->beacon.present);
    assert_true(a->beacon.coverage > 0.969 && a->beacon.coverage < 0.971);
    assert_true(a->beacon.interval_median_s > 60.1 && a->beacon.size_small > 0.99);
    assert_false(l->items[0].beacon.present);
    assert_int_equal(l->items[3].dst_port, -1);
    assert_string_equal(wp_hunt_count_unit(a->code), "connections");
    wp_hunt_list_free(l);

    /* with the pairs already in an incident: B first, naming its incident */
    f.include_incidents = true;
    assert_int_equal(wp_store_hunt(s, &f, &l, err, sizeof err), WP_OK);
    assert_int_equal(l->n, 5);
    assert_string_equal(l->items[0].src, "10.0.0.6");
    assert_int_equal(l->items[0].incident_id, 7);
    assert_int_equal(l->items[0].findings, 2);
    assert_string_equal(l->items[0].evidence, "b2");
    wp_hunt_list_free(l);
    f.since = 0; /* the old one too, and first */
    assert_int_equal(wp_store_hunt(s, &f, &l, err, sizeof err), WP_OK);
    assert_int_equal(l->n, 6);
    assert_string_equal(l->items[0].src, "10.0.0.9");
    wp_hunt_list_free(l);

    /* filters: family, code, host, minimum score, limit */
    struct {
        const char *code, *host;
        double min_score;
        size_t limit, n;
        const char *first;
    } cases[] = {
        {"beacon", NULL, 0, 0, 1, "10.0.0.5"},
        {"exfil", NULL, 0, 0, 1, "10.0.0.8"},
        {"NET_LONG_CONN", NULL, 0, 0, 1, "10.0.0.5"},
        {"rare", NULL, 0, 0, 1, "10.0.0.7"},
        {"intel", NULL, 0, 0, 0, NULL},
        {NULL, "10.0.0.5", 0, 0, 2, "10.0.0.5"},
        {NULL, NULL, 0.5, 0, 3, "10.0.0.8"},
        {NULL, NULL, 0, 2, 2, "10.0.0.8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wp_hunt_filter_init(&f);
        f.since = 100;
        f.code = cases[i].code;
        f.host = cases[i].host;
        f.min_score = cases[i].min_score;
        f.limit = cases[i].limit;
        if (wp_store_hunt(s, &f, &l, err, sizeof err) != WP_OK)
            fail_msg("case %zu: %s", i, err);
        assert_int_equal(l->n, cases[i].n);
        if (cases[i].first != NULL)
            assert_string_equal(l->items[0].src, cases[i].first);
        assert_int_equal(l->truncated, cases[i].limit == 2);
        wp_hunt_list_free(l);
    }
    f.code = "beacons";
    l = NULL;
    assert_int_equal(wp_store_hunt(s, &f, &l, err, sizeof err), WP_EINVAL);
    assert_null(l);
    assert_str_contains(err, "beacons");
    assert_true(wp_hunt_code_valid("NET_IOC_IP") && wp_hunt_code_valid("dns"));
    assert_false(wp_hunt_code_valid("NET_") || wp_hunt_code_valid(""));

    wp_store_close(s);
    tdir_remove(&t);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_and_filter),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_migrations),
        cmocka_unit_test(test_quarantine_roundtrip),
        cmocka_unit_test(test_quarantine_readonly_dir),
        cmocka_unit_test(test_quarantine_efbig),
        cmocka_unit_test(test_quarantine_db_locked),
        cmocka_unit_test(test_spool_not_a_directory),
        cmocka_unit_test(test_release_delete_tombstone),
        cmocka_unit_test(test_release_claim),
        cmocka_unit_test(test_claim_race),
        cmocka_unit_test(test_truncated_copy),
        cmocka_unit_test(test_migration_3),
        cmocka_unit_test(test_search_indexes),
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_prune_batches),
        cmocka_unit_test(test_report_kept_and_filters),
        cmocka_unit_test(test_access),
        cmocka_unit_test(test_open_keeps_locks),
        cmocka_unit_test(test_incidents_updated_after),
        cmocka_unit_test(test_token_list),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_hunt),
    };
    return wpt_main(argc, argv, "store", tests, sizeof tests / sizeof tests[0], NULL, 0, NULL,
                    NULL);
}
