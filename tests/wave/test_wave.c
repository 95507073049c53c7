/*
 * test_wave.c - the wave module: similarity keys, message dates, surge detection in simulated
 * time, bounded memory, persistence across engines, and four scanner threads on one engine.
 *
 * Messages carry their time in a wp_envelope (.time), so a day of mail is fed in a blink.
 */
#include "wpt.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/scan.h"
#include "wave/wave.h"

/* 2026-11-15 00:00:00 UTC: the simulated clock starts here (in the past of any test run) */
#define T0 1794700800LL

/* ---- engines ---- */

static wp_engine *
engine_with(const char *const *kv)
{
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    char err[512] = "";
    for (size_t i = 0; kv != NULL && kv[i] != NULL; i += 2)
        if (wp_engine_config_set(&cfg, kv[i], kv[i + 1], err, sizeof err) != WP_OK)
            fail_msg("setting %s = %s refused: %s", kv[i], kv[i + 1], err);
    wp_engine *e = NULL;
    wp_status st = wp_engine_new(&cfg, &e, err, sizeof err);
    wp_engine_config_fini(&cfg);
    if (st != WP_OK)
        fail_msg("wp_engine_new: %s (%s)", wp_strerror(st), err);
    return e;
}

static wp_report *
scan_at(wp_scanner *sc, const char *msg, long long t)
{
    wp_envelope env = {.time = t};
    wp_report *r = NULL;
    assert_int_equal(wp_scan_message_env(sc, (const uint8_t *)msg, strlen(msg), &env, &r), WP_OK);
    assert_non_null(r);
    return r;
}

/* ---- messages ---- */

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *const vocab[] = {
    "meeting", "report",   "budget",   "quarter",   "project",  "deadline", "review",   "client",
    "server",  "update",   "lunch",    "travel",    "contract", "invoice",  "design",   "release",
    "plan",    "team",     "office",   "weekly",    "notes",    "summary",  "draft",    "proposal",
    "agenda",  "minutes",  "schedule", "feedback",  "support",  "ticket",   "network",  "backup",
    "holiday", "policy",   "training", "hiring",    "launch",   "metrics",  "roadmap",  "vendor",
    "access",  "account",  "audit",    "storage",   "printer",  "laptop",   "monitor",  "kitchen",
    "parking", "friday",   "monday",   "morning",   "evening",  "question", "answer",   "thanks",
    "please",  "tomorrow", "today",    "yesterday", "garden",   "river",    "mountain", "coffee"};
#define NVOCAB (sizeof vocab / sizeof vocab[0])

/* A one-off message: random subject and body from the vocabulary. */
static char *
distinct_message(int i)
{
    wpt_buf b = {0};
    wpt_buf_printf(&b, "From: person%d@example.org\r\nTo: someone@example.com\r\nSubject:", i);
    for (int k = 0; k < 4; k++)
        wpt_buf_printf(&b, " %s", vocab[rng() % NVOCAB]);
    wpt_buf_printf(&b, "\r\nMessage-ID: <d%d@example.org>\r\n\r\n", i);
    for (int k = 0; k < 40; k++)
        wpt_buf_printf(&b, "%s%s", vocab[rng() % NVOCAB], k % 10 == 9 ? ".\r\n" : " ");
    wpt_buf_add(&b, "", 1);
    return b.p;
}

static const char *const first_names[] = {"Alice", "Bob",   "Carol", "David", "Erin",
                                          "Frank", "Grace", "Heidi", "Ivan",  "Judy"};

/* The parcel campaign: one template, personalised (name, tracking number, link, address). */
static char *
campaign_message(int i)
{
    const char *name = first_names[i % 10];
    wpt_buf b = {0};
    wpt_buf_printf(&b,
                   "From: Parcel Service <noreply%d@parcel-notice.example>\r\n"
                   "To: %s Miller <%s.miller%d@example.com>\r\n"
                   "Subject: %s, your parcel %07d is waiting for delivery\r\n"
                   "Message-ID: <c%d@parcel-notice.example>\r\n\r\n",
                   i % 7, name, name, i, name, 1000000 + i * 37, i);
    wpt_buf_printf(&b,
                   "Dear %s,\r\n\r\nWe tried to deliver your parcel with tracking number "
                   "PX%08dQ today but nobody was at home at the address on file. Your parcel "
                   "is now waiting at our depot. To arrange a new delivery please confirm your "
                   "details and pay the redelivery fee of 1.%02d EUR within 48 hours at "
                   "https://parcel-notice.example/track/%x?u=%d or reply to "
                   "support%d@parcel-notice.example.\r\n\r\nIf the fee is not paid the parcel "
                   "will be returned to the sender.\r\n\r\nKind regards,\r\nYour delivery "
                   "team\r\n",
                   name, 4000000 + i * 91, i % 100, (unsigned)(i * 2654435761u), i, i);
    wpt_buf_add(&b, "", 1);
    return b.p;
}

/* ---- normalization ---- */

static void
norm(const char *subj, const char *to, char *out, size_t cap)
{
    wave_names nm = {.n = 0};
    if (to != NULL)
        wave_names_add_text(&nm, to, strlen(to));
    wave_subject_normalize(subj, strlen(subj), &nm, out, cap);
}

static void
test_subject_normalize(void **state)
{
    (void)state;
    char a[WAVE_SUBJECT_MAX], b[WAVE_SUBJECT_MAX];
    norm("Re: Fwd: [SPAM] Your parcel 12345 is waiting", NULL, a, sizeof a);
    assert_string_equal(a, "your parcel # is waiting");
    norm("RE[2]: AW: FW:  Your Parcel 99 is waiting!!", NULL, b, sizeof b);
    assert_string_equal(a, b);
    /* tags anywhere, full-width colon of CJK mail clients */
    norm("[list-x] Re: Quarterly numbers [EXTERNAL]", NULL, a, sizeof a);
    assert_string_equal(a, "quarterly numbers");
    norm("\xe5\x9b\x9e\xe5\xa4\x8d\xef\xbc\x9a Quarterly numbers", NULL, b, sizeof b);
    assert_string_equal(b, "quarterly numbers");
    /* ids (letters with digits, long tokens) and phone numbers collapse */
    norm("Order AB12CD34 shipped, call 555 123 4567", NULL, a, sizeof a);
    assert_string_equal(a, "order * shipped call #");
    norm("Invoice xkq83nd0001 from 2026-11-26", NULL, b, sizeof b);
    assert_string_equal(b, "invoice * from #");
    /* the recipient's name, from the To display name and local part */
    norm("John, your account needs attention", "John Smith <john.smith@example.com>", a, sizeof a);
    norm("Mary, your account needs attention", "\"Mary Jones\" <mjones@example.com>", b, sizeof b);
    assert_string_equal(a, "@ your account needs attention");
    assert_string_equal(a, b);
    norm("smith: your account", "John Smith <john.smith@example.com>", a, sizeof a);
    assert_string_equal(a, "@ your account");
    /* different subjects stay different */
    norm("Your parcel is waiting", NULL, a, sizeof a);
    norm("Your invoice is waiting", NULL, b, sizeof b);
    assert_string_not_equal(a, b);
    /* empty and prefix-only subjects normalize to nothing */
    norm("Re: Fwd:", NULL, a, sizeof a);
    assert_string_equal(a, "");
}

static unsigned
dist(uint64_t a, uint64_t b)
{
    return (unsigned)__builtin_popcountll(a ^ b);
}

static uint64_t
body_hash_of(const char *msg, size_t *words)
{
    /* the body after the blank line, names from To: as the module does */
    const char *body = strstr(msg, "\r\n\r\n");
    assert_non_null(body);
    body += 4;
    wave_names nm = {.n = 0};
    const char *to = strstr(msg, "\r\nTo: ");
    if (to != NULL) {
        to += 6;
        wave_names_add_text(&nm, to, (size_t)(strstr(to, "\r\n") - to));
    }
    return wave_body_simhash(body, strlen(body), &nm, words);
}

static void
test_body_near_duplicates(void **state)
{
    (void)state;
    size_t words;
    char *m0 = campaign_message(0);
    uint64_t h0 = body_hash_of(m0, &words);
    assert_true(words >= WAVE_BODY_MIN_WORDS);
    for (int i = 1; i < 50; i++) {
        char *m = campaign_message(i);
        uint64_t h = body_hash_of(m, &words);
        if (dist(h0, h) > 3)
            fail_msg("campaign message %d is %u bits from the first", i, dist(h0, h));
        free(m);
    }
    /* unrelated messages are far apart */
    for (int i = 0; i < 50; i++) {
        char *m = distinct_message(i);
        uint64_t h = body_hash_of(m, &words);
        if (dist(h0, h) <= 8)
            fail_msg("distinct message %d is only %u bits from the campaign", i, dist(h0, h));
        free(m);
    }
    /* quoted text does not count: a reply quoting the campaign is not in it */
    const char *reply = "I never ordered anything from you, please stop writing to me about "
                        "this.\r\n\r\n> Dear Alice, We tried to deliver your parcel with tracking "
                        "number today\r\n";
    uint64_t hr = wave_body_simhash(reply, strlen(reply), NULL, &words);
    assert_true(dist(h0, hr) > 8);
    assert_true(words < 20);
    free(m0);
}

static void
test_registrable_domain(void **state)
{
    (void)state;
    static const struct {
        const char *host, *want;
    } cases[] = {{"www.example.com", "example.com"},
                 {"a.b.example.co.uk", "example.co.uk"},
                 {"example.co.uk", "example.co.uk"},
                 {"co.uk", "co.uk"},
                 {"localhost", "localhost"},
                 {"192.0.2.1", "192.0.2.1"},
                 {"mail.example.de.", "example.de"},
                 {"x.y.shop.com.au", "shop.com.au"},
                 {"track.parcel.example", "parcel.example"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t st, n = wave_registrable_domain(cases[i].host, strlen(cases[i].host), &st);
        char got[128];
        snprintf(got, sizeof got, "%.*s", (int)n, cases[i].host + st);
        assert_string_equal(got, cases[i].want);
    }
}

/* ---- dates ---- */

static void
test_dates(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        long long want;
    } cases[] = {
        {"Fri, 23 Aug 2002 10:30:05 +0000", 1030098605},
        {"23 Aug 2002 10:30:05 GMT", 1030098605},
        {"Fri, 23 Aug 2002 12:30:05 +0200 (CEST)", 1030098605},
        {"Fri, 23 Aug 2002 06:30:05 EDT", 1030098605},
        {"Fri, 23 Aug 02 10:30:05 +0000", 1030098605},       /* 2-digit year */
        {"Fri, 23 Aug 102 10:30:05 +0000", 1030098605},      /* 3-digit year (RFC 5322 4.3) */
        {"Fri,23 Aug 2002 10:30 +0000", 1030098600},         /* no seconds, no space */
        {"Fri Aug 23 10:30:05 2002", 1030098605},            /* asctime() */
        {"  Friday, 23 August 2002 10:30:05 Z", 1030098605}, /* long names, military zone */
        {"2002-08-23T10:30:05Z", 1030098605},
        {"2002-08-23 12:30:05+02:00", 1030098605},
        {"Fri, 23 Aug 2002 10:30:05 -0000 (UTC)", 1030098605},
        {"29 Feb 2024 00:00:00 +0000", 1709164800},
        {"30 Feb 2024 00:00:00 +0000", -1}, /* no such day */
        {"Fri, 23 Aug 2002 25:30:05 +0000", -1},
        {"yesterday afternoon, around teatime or so", -1},
        {"", -1},
        {"12345678901234567890 Aug 2002", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long long got = wave_parse_date(cases[i].s, strlen(cases[i].s));
        if (got != cases[i].want)
            fail_msg("'%s': %lld, want %lld", cases[i].s, got, cases[i].want);
    }
}

/* envelope first, then the newest Received stamp, then Date; absurd values skipped */
static void
test_message_time(void **state)
{
    (void)state;
    wp_engine *e = engine_with(NULL);
    wp_scanner *sc;
    assert_int_equal(wp_scanner_new(e, &sc), WP_OK);
    const char *msg =
        "Received: from relay.example (relay.example [192.0.2.7])\r\n"
        "\tby mx.example.com; Fri, 23 Aug 2002 10:30:05 +0000\r\n"
        "Received: from inner.example by relay.example; Fri, 23 Aug 2002 10:29:00 +0000\r\n"
        "Date: Thu, 22 Aug 2002 09:00:00 +0000\r\n"
        "From: a@example.org\r\nSubject: time\r\n\r\nhello\r\n";
    const char *nodate_rcvd = "Received: by relay.example (no date here)\r\n"
                              "Date: Thu, 22 Aug 2002 09:00:00 +0000\r\n"
                              "From: a@example.org\r\nSubject: time\r\n\r\nhello\r\n";
    const char *future = "Date: Thu, 22 Aug 2099 09:00:00 +0000\r\n"
                         "From: a@example.org\r\nSubject: time\r\n\r\nhello\r\n";
    const struct {
        const char *msg;
        long long env_time, want;
        wave_time_source src;
    } cases[] = {
        {msg, T0, T0, WAVE_TIME_ENVELOPE},
        {msg, 0, 1030098605, WAVE_TIME_RECEIVED},
        {msg, 42, 1030098605, WAVE_TIME_RECEIVED}, /* 1970: absurd */
        {nodate_rcvd, 0, 1030006800, WAVE_TIME_DATE},
        {future, 0, -1, WAVE_TIME_NOW},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wp_report *r = scan_at(sc, cases[i].msg, cases[i].env_time);
        /* a scan context like the module's, over the finished report */
        wp_envelope env = {.time = cases[i].env_time};
        wp_scan s = {.r = r, .env = &env};
        wave_time_source src;
        long long now = (long long)time(NULL);
        long long t = wave_message_time(&s, now, &src);
        assert_int_equal(src, cases[i].src);
        if (cases[i].want >= 0)
            assert_int_equal(t, cases[i].want);
        else
            assert_true(t >= now - 5 && t <= now + 5);
        wp_report_free(r);
    }
    wp_scanner_free(sc);
    wp_engine_free(e);
}

/* ---- surges ---- */

typedef struct tally {
    size_t surge, member, volume;
    int first_member; /* index of the first message with WAVE_MEMBER, -1: none */
    int surge_at;
    const wp_report *surge_report;
} tally;

static void
count_report(tally *t, const wp_report *r, int idx)
{
    size_t s = wpt_count(r, "WAVE_SURGE_START"), m = wpt_count(r, "WAVE_MEMBER");
    t->surge += s;
    t->member += m;
    t->volume += wpt_count(r, "VOLUME_SURGE");
    if (s > 0)
        t->surge_at = idx;
    if (m > 0 && t->first_member < 0)
        t->first_member = idx;
}

/* 1000 unrelated messages over three days, then 200 of a campaign in ten minutes */
static void
test_surge_detection(void **state)
{
    (void)state;
    wp_engine *e = engine_with(NULL);
    wp_scanner *sc;
    assert_int_equal(wp_scanner_new(e, &sc), WP_OK);
    tally base = {.first_member = -1, .surge_at = -1};
    long long t = T0;
    for (int i = 0; i < 1000; i++) {
        char *m = distinct_message(i);
        wp_report *r = scan_at(sc, m, t);
        count_report(&base, r, i);
        wp_report_free(r);
        free(m);
        t += 259; /* 1000 messages in three days */
    }
    assert_int_equal(base.surge + base.member + base.volume, 0);
    tally wave = {.first_member = -1, .surge_at = -1};
    for (int i = 0; i < 200; i++) {
        char *m = campaign_message(i);
        wp_report *r = scan_at(sc, m, t + i * 3); /* 200 in 10 minutes */
        count_report(&wave, r, i);
        if (wpt_count(r, "WAVE_SURGE_START") > 0) {
            const wp_finding *f = wpt_find(r, "WAVE_SURGE_START", "message");
            assert_int_equal(f->category, WP_CAT_SPAM);
            assert_int_equal(f->weight, 0);
            assert_str_contains(f->evidence, "a new cluster");
            assert_str_contains(f->evidence, "links to parcel-notice.example");
        }
        if (i == 199) {
            const wp_finding *f = wpt_find(r, "WAVE_MEMBER", "message");
            assert_non_null(f);
            assert_int_equal(f->weight, 2);
            assert_str_contains(f->evidence, "one of 200 similar messages since ");
            assert_str_contains(f->evidence, "your parcel");
        }
        /* every message from the crossing on is a member, none before */
        if (wave.surge_at >= 0)
            assert_int_equal(wpt_count(r, "WAVE_MEMBER"), 1);
        else
            assert_int_equal(wpt_count(r, "WAVE_MEMBER"), 0);
        wp_report_free(r);
        free(m);
    }
    assert_int_equal(wave.surge, 1);
    assert_int_equal(wave.first_member, wave.surge_at);
    assert_int_equal(wave.member, (size_t)(200 - wave.surge_at));
    /* crossing: 50 in the window (min_count) */
    assert_int_equal(wave.surge_at, 49);
    /* the overall volume jumped too: ~14 messages an hour before, 200 in ten minutes */
    assert_int_equal(wave.volume, 1);
    wp_scanner_free(sc);
    wp_engine_free(e);
}

/* A steady campaign at 20 an hour for two days is not a surge; when it jumps tenfold it is. */
static void
test_surge_needs_ratio(void **state)
{
    (void)state;
    static const char *const kv[] = {"wave.min_count", "50", NULL};
    wp_engine *e = engine_with(kv);
    wp_scanner *sc;
    assert_int_equal(wp_scanner_new(e, &sc), WP_OK);
    tally t1 = {.first_member = -1, .surge_at = -1};
    long long t = T0;
    int i = 0;
    for (; i < 960; i++, t += 180) { /* 20 an hour, two days */
        char *m = campaign_message(i);
        wp_report *r = scan_at(sc, m, t);
        count_report(&t1, r, i);
        wp_report_free(r);
        free(m);
    }
    assert_int_equal(t1.surge + t1.member, 0);
    /* 60 an hour: window count reaches min_count, but only 3x the earlier rate */
    tally t2 = {.first_member = -1, .surge_at = -1};
    for (int k = 0; k < 120; k++, i++, t += 60) {
        char *m = campaign_message(i);
        wp_report *r = scan_at(sc, m, t);
        count_report(&t2, r, k);
        wp_report_free(r);
        free(m);
    }
    assert_int_equal(t2.surge + t2.member, 0);
    /* 600 an hour: a surge */
    tally t3 = {.first_member = -1, .surge_at = -1};
    for (int k = 0; k < 400; k++, i++, t += 6) {
        char *m = campaign_message(i);
        wp_report *r = scan_at(sc, m, t);
        count_report(&t3, r, k);
        wp_report_free(r);
        free(m);
    }
    assert_int_equal(t3.surge, 1);
    assert_true(t3.member > 0);
    wp_scanner_free(sc);
    wp_engine_free(e);
}

/* Empty and trivial subjects and bodies do not make one giant cluster. */
static void
test_short_messages_not_clustered(void **state)
{
    (void)state;
    wp_engine *e = engine_with(NULL);
    wp_scanner *sc;
    assert_int_equal(wp_scanner_new(e, &sc), WP_OK);
    static const char *const msgs[] = {
        "From: a@example.org\r\nSubject: \r\n\r\n\r\n",
        "From: a@example.org\r\nSubject: hi\r\n\r\nthanks\r\n",
        "From: a@example.org\r\nSubject: Re: Fwd:\r\n\r\nok, see you at 10:00\r\n",
        "From: a@example.org\r\n\r\n",
        "From: a@example.org\r\nSubject: 12345\r\n\r\n555 1234\r\n",
    };
    size_t members = 0;
    for (int i = 0; i < 500; i++) {
        wp_report *r = scan_at(sc, msgs[i % 5], T0 + i);
        members += wpt_count(r, "WAVE_MEMBER") + wpt_count(r, "WAVE_SURGE_START");
        wp_report_free(r);
    }
    assert_int_equal(members, 0);
    /* but a short body under an informative subject is keyed by the subject */
    size_t surges = 0;
    for (int i = 0; i < 100; i++) {
        char m[256];
        snprintf(m, sizeof m,
                 "From: a@example.org\r\nSubject: Re: Your account %d has been suspended\r\n\r\n"
                 "click here\r\n",
                 i);
        wp_report *r = scan_at(sc, m, T0 + 1000 + i);
        surges += wpt_count(r, "WAVE_SURGE_START");
        wp_report_free(r);
    }
    assert_int_equal(surges, 1);
    wp_scanner_free(sc);
    wp_engine_free(e);
}

/* ---- memory ---- */

static void
test_bounded_memory(void **state)
{
    (void)state;
    wave_params p;
    wave_params_default(&p);
    wave_table *t = wave_table_new(&p);
    assert_non_null(t);
    wave_result res;
    uint64_t keep = 0x0123456789abcdefULL;
    for (uint32_t i = 0; i < 200000; i++) {
        uint64_t k = rng();
        wave_table_observe(t, i % 2 ? WAVE_KEY_BODY : WAVE_KEY_SUBJECT, k, T0 + i / 50, "s", "",
                           &res);
        assert_true(res.clustered);
        if (i % 1000 == 0) /* one cluster seen all along stays (LRU) */
            wave_table_observe(t, WAVE_KEY_BODY, keep, T0 + i / 50, "s", "", &res);
    }
    wave_stats st;
    wave_table_stats(t, &st);
    assert_int_equal(st.clusters, p.max_clusters);
    assert_true(st.evicted >= 200000 - p.max_clusters);
    assert_true(st.bytes < 24u * 1024 * 1024);
    wave_table_observe(t, WAVE_KEY_BODY, keep, T0 + 4000, "s", "", &res);
    assert_true(res.window_count >= 1);
    assert_true(res.earlier_per_window > 0); /* it remembers the cluster's history */
    /* near keys (3 bits off) find the same cluster, far ones do not */
    wave_table_observe(t, WAVE_KEY_BODY, keep ^ 0x8000000100000001ULL, T0 + 4000, "s", "", &res);
    assert_true(res.window_count >= 2);
    wave_table_free(t);

    /* a small table: exactly its bound, and eviction ends an old cluster's wave cleanly */
    p.max_clusters = 100;
    p.min_count = 5;
    t = wave_table_new(&p);
    for (int i = 0; i < 10; i++)
        wave_table_observe(t, WAVE_KEY_SUBJECT, 42, T0 + i, "s", "", &res);
    assert_true(res.member);
    for (uint32_t i = 0; i < 1000; i++)
        wave_table_observe(t, WAVE_KEY_SUBJECT, rng(), T0 + 20, "s", "", &res);
    wave_table_stats(t, &st);
    assert_int_equal(st.clusters, 100);
    assert_int_equal(st.waves_open, 0);
    wave_table_observe(t, WAVE_KEY_SUBJECT, 42, T0 + 21, "s", "", &res);
    assert_false(res.member);
    wave_table_free(t);
}

/* ---- persistence ---- */

static long long
db_int(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    long long v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static void
test_persistence(void **state)
{
    (void)state;
    char path[] = "/tmp/wp-wave-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path); /* SQLite creates it */
    static const char *kv[] = {"wave.db", NULL, "wave.flush_interval", "1h", NULL};
    kv[1] = path;
    /* first life: 30 of the campaign, below min_count */
    wp_engine *e = engine_with(kv);
    wp_scanner *sc;
    assert_int_equal(wp_scanner_new(e, &sc), WP_OK);
    for (int i = 0; i < 30; i++) {
        char *m = campaign_message(i);
        wp_report *r = scan_at(sc, m, T0 + i * 3);
        assert_int_equal(wpt_count(r, "WAVE_SURGE_START"), 0);
        wp_report_free(r);
        free(m);
    }
    wp_scanner_free(sc);
    wp_engine_free(e);
    assert_true(db_int(path, "SELECT count(*) FROM wave_clusters") >= 1);
    assert_int_equal(db_int(path, "SELECT max(total) FROM wave_clusters"), 30);
    assert_int_equal(db_int(path, "SELECT v FROM wave_meta WHERE k = 'messages'"), 30);
    /* second life: 30 more cross the threshold at the 50th of the run */
    e = engine_with(kv);
    assert_int_equal(wp_scanner_new(e, &sc), WP_OK);
    int surge_at = -1;
    for (int i = 30; i < 60; i++) {
        char *m = campaign_message(i);
        wp_report *r = scan_at(sc, m, T0 + i * 3);
        if (wpt_count(r, "WAVE_SURGE_START") > 0)
            surge_at = i;
        wp_report_free(r);
        free(m);
    }
    assert_int_equal(surge_at, 49);
    wp_scanner_free(sc);
    wp_engine_free(e);
    assert_int_equal(db_int(path, "SELECT count(*) FROM wave_waves"), 1);
    assert_int_equal(db_int(path, "SELECT count FROM wave_waves"), 60);
    assert_int_equal(db_int(path, "SELECT first_seen FROM wave_waves"), T0);
    assert_int_equal(db_int(path, "SELECT ended FROM wave_waves"), 0);
    /* third life: the open wave goes on (same id, no second start) */
    e = engine_with(kv);
    assert_int_equal(wp_scanner_new(e, &sc), WP_OK);
    char *m = campaign_message(60);
    wp_report *r = scan_at(sc, m, T0 + 60 * 3);
    assert_int_equal(wpt_count(r, "WAVE_SURGE_START"), 0);
    const wp_finding *f = wpt_find(r, "WAVE_MEMBER", "message");
    assert_non_null(f);
    assert_str_contains(f->evidence, "one of 61 similar messages since 2026-11-15 00:00 UTC");
    assert_str_contains(f->evidence, "wave 1");
    wp_report_free(r);
    free(m);
    wp_scanner_free(sc);
    wp_engine_free(e);
    assert_int_equal(db_int(path, "SELECT count FROM wave_waves WHERE id = 1"), 61);
    /* a file that is not a database is refused with its name */
    char bad[] = "/tmp/wp-wave-bad-XXXXXX";
    fd = mkstemp(bad);
    assert_true(write(fd, "not a database at all, just text\n", 33) == 33);
    close(fd);
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    char err[512] = "";
    assert_int_equal(wp_engine_config_set(&cfg, "wave.db", bad, err, sizeof err), WP_OK);
    wp_engine *e2 = NULL;
    assert_int_not_equal(wp_engine_new(&cfg, &e2, err, sizeof err), WP_OK);
    assert_null(e2);
    assert_str_contains(err, bad);
    wp_engine_config_fini(&cfg);
    unlink(bad);
    char aux[64];
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

/* ---- threads ---- */

typedef struct worker {
    wp_engine *e;
    int id;
    size_t surge, member;
} worker;

static void *
work(void *arg)
{
    worker *w = arg;
    wp_scanner *sc;
    if (wp_scanner_new(w->e, &sc) != WP_OK)
        return NULL;
    for (int i = 0; i < 150; i++) {
        int n = i * 4 + w->id;
        char *m = campaign_message(n);
        wp_envelope env = {.time = T0 + n};
        wp_report *r = NULL;
        if (wp_scan_message_env(sc, (const uint8_t *)m, strlen(m), &env, &r) == WP_OK) {
            for (size_t k = 0; k < r->n_findings; k++) {
                w->surge += strcmp(r->findings[k].code, "WAVE_SURGE_START") == 0;
                w->member += strcmp(r->findings[k].code, "WAVE_MEMBER") == 0;
            }
            wp_report_free(r);
        }
        free(m);
    }
    wp_scanner_free(sc);
    return NULL;
}

static void
test_threads(void **state)
{
    (void)state;
    wp_engine *e = engine_with(NULL);
    worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){.e = e, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    size_t surge = 0, member = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        surge += w[i].surge;
        member += w[i].member;
    }
    assert_int_equal(surge, 1);
    assert_int_equal(member, 600 - 49); /* the crossing message and every later one */
    wave_stats st;
    wave_table_stats(wave_state_table(e->mod_state[WP_MOD_WAVE]), &st);
    assert_int_equal(st.messages, 600);
    assert_int_equal(st.clusters, 1);
    wp_engine_free(e);
}

/* ---- settings ---- */

static void
test_settings(void **state)
{
    (void)state;
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    char err[256];
    assert_int_equal(wp_engine_config_set(&cfg, "wave.window", "30m", err, sizeof err), WP_OK);
    assert_int_equal(wp_engine_config_set(&cfg, "wave.ratio", "7.5", err, sizeof err), WP_OK);
    assert_int_equal(wp_engine_config_set(&cfg, "wave.enable", "no", err, sizeof err), WP_OK);
    assert_int_equal(wp_engine_config_set(&cfg, "wave.min_count", "0", err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "wave.min_count");
    assert_int_equal(wp_engine_config_set(&cfg, "wave.window", "2d", err, sizeof err), WP_EINVAL);
    assert_int_equal(
        wp_engine_config_set(&cfg, "wave.window", "99999999999999999999h", err, sizeof err),
        WP_EINVAL);
    assert_int_equal(wp_engine_config_set(&cfg, "wave.ratio", "0.5", err, sizeof err), WP_EINVAL);
    assert_int_equal(wp_engine_config_set(&cfg, "wave.ratio", "ten", err, sizeof err), WP_EINVAL);
    assert_int_equal(wp_engine_config_set(&cfg, "wave.max_clusters", "-5", err, sizeof err),
                     WP_EINVAL);
    assert_int_equal(wp_engine_config_set(&cfg, "wave.colour", "blue", err, sizeof err),
                     WP_ENOTFOUND);
    assert_str_contains(err, "wave.colour");
    /* disabled: no state, no findings */
    wp_engine *e = NULL;
    assert_int_equal(wp_engine_new(&cfg, &e, err, sizeof err), WP_OK);
    assert_null(e->mod_state[WP_MOD_WAVE]);
    wp_engine_free(e);
    wp_engine_config_fini(&cfg);
}

/* ---- cost ---- */

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The counting part must stay cheap: printed, and bounded loosely enough for sanitizers. */
static void
test_cost(void **state)
{
    (void)state;
    wave_params p;
    wave_params_default(&p);
    wave_table *t = wave_table_new(&p);
    wave_result res;
    enum { N = 200000 };
    double t0 = now_s();
    for (uint32_t i = 0; i < N; i++)
        wave_table_observe(t, WAVE_KEY_BODY, rng(), T0 + i / 20, "s", "", &res);
    double per = (now_s() - t0) / N * 1e6;
    /* keys crafted to share three bands: the probe bound keeps lookups short */
    t0 = now_s();
    for (uint32_t i = 0; i < N / 4; i++)
        wave_table_observe(t, WAVE_KEY_BODY, rng() & 0xFFFF, T0 + i / 20, "s", "", &res);
    double crafted = (now_s() - t0) / (N / 4) * 1e6;
    wave_table_free(t);
    char *m = campaign_message(1);
    const char *body = strstr(m, "\r\n\r\n") + 4;
    size_t words;
    t0 = now_s();
    for (int i = 0; i < 20000; i++)
        wave_body_simhash(body, strlen(body), NULL, &words);
    double fp = (now_s() - t0) / 20000 * 1e6;
    fprintf(stderr,
            "wave cost: counting %.2f us/message (%.2f with crafted colliding keys), "
            "fingerprint of a %zu-byte body %.2f us\n",
            per, crafted, strlen(body), fp);
    free(m);
    assert_true(per < 50.0);
    assert_true(crafted < 200.0);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subject_normalize),
        cmocka_unit_test(test_body_near_duplicates),
        cmocka_unit_test(test_registrable_domain),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_message_time),
        cmocka_unit_test(test_surge_detection),
        cmocka_unit_test(test_surge_needs_ratio),
        cmocka_unit_test(test_short_messages_not_clustered),
        cmocka_unit_test(test_bounded_memory),
        cmocka_unit_test(test_persistence),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_cost),
    };
    const struct CMUnitTest bugs[] = {cmocka_unit_test(test_settings)};
    return wpt_main(argc, argv, "wave", tests, sizeof tests / sizeof tests[0], bugs, 0, NULL, NULL);
}
