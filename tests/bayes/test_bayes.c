/*
 * test_bayes.c - the learned classifier: what the tokenizer keeps and leaves out (era
 * artifacts above all), learning and classifying synthetic mail, idempotent learning, the
 * database version check, silence below bayes.min_learned, and concurrent scans.
 *
 * The synthetic corpora are built here from word lists with a fixed-seed generator: no dates,
 * no ids, no mailer names, so what is learned is the words.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bayes/bayes_int.h"
#include "wpt.h"

bool wp_bayes_stopwords_sorted(void); /* tokenize.c, for this test */

/* ---- helpers ---- */

typedef struct toks {
    char *v[512];
    size_t n;
} toks;

static void
collect(void *ctx, const char *tok, size_t len)
{
    toks *t = ctx;
    if (t->n < sizeof t->v / sizeof t->v[0])
        t->v[t->n++] = strndup(tok, len);
}

static bool
has_tok(const toks *t, const char *tok)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i], tok) == 0)
            return true;
    return false;
}

static void
toks_free(toks *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    t->n = 0;
}

#define assert_tok(t, s)                       \
    do {                                       \
        if (!has_tok((t), (s)))                \
            fail_msg("token %s missing", (s)); \
    } while (0)
#define assert_no_tok(t, s)                    \
    do {                                       \
        if (has_tok((t), (s)))                 \
            fail_msg("token %s present", (s)); \
    } while (0)

/* The token set a scan of msg produces: an engine whose bayes state captures, as the
 * learner's does. */
static void
capture(const char *msg, wp_bayes_tokset *set)
{
    wpt_ctx *c = wpt_new(NULL, false);
    wp_bayes_state st = {.capture = set};
    void *old = c->eng->mod_state[WP_MOD_BAYES];
    c->eng->mod_state[WP_MOD_BAYES] = &st;
    wp_bayes_tokset_clear(set);
    wp_report_free(wpt_scan_str(c, msg));
    c->eng->mod_state[WP_MOD_BAYES] = old;
    wpt_free(c);
}

static bool
set_has(const wp_bayes_tokset *set, const char *tok)
{
    return wp_bayes_tokset_has(set, wp_bayes_hash(tok, strlen(tok)));
}

static char tmpdir[256];

static char *
tmp_path(const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", tmpdir, name) < 0)
        fail();
    return p;
}

/* An engine reading the model at db; extra is { "key", "value", ..., NULL } or NULL. */
static wp_status
try_engine(const char *db, const char *const *extra, wp_engine **out, char *err, size_t errlen)
{
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    wp_status st = wp_engine_config_set(&cfg, "bayes.db", db, err, errlen);
    for (size_t i = 0; st == WP_OK && extra != NULL && extra[i] != NULL; i += 2)
        st = wp_engine_config_set(&cfg, extra[i], extra[i + 1], err, errlen);
    if (st == WP_OK)
        st = wp_engine_new(&cfg, out, err, errlen);
    wp_engine_config_fini(&cfg);
    return st;
}

static wpt_ctx *
engine_on(const char *db, const char *const *extra)
{
    char err[512];
    wpt_ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    if (try_engine(db, extra, &c->eng, err, sizeof err) != WP_OK)
        fail_msg("engine: %s", err);
    assert_int_equal(wp_scanner_new(c->eng, &c->sc), WP_OK);
    return c;
}

/* ---- synthetic mail ---- */

static const char *const spam_words[] = {
    "winner", "prize",   "claim",     "cash",     "offer",   "exclusive",  "discount",   "pharmacy",
    "pills",  "casino",  "bonus",     "credit",   "loan",    "approved",   "guaranteed", "urgent",
    "verify", "account", "suspended", "password", "wallet",  "investment", "profit",     "limited",
    "click",  "free",    "cheap",     "deal",     "lottery", "refund",
};
static const char *const ham_words[] = {
    "meeting",  "agenda",    "minutes",      "project",  "schedule", "review",
    "draft",    "report",    "budget",       "team",     "lunch",    "quarterly",
    "deadline", "colleague", "presentation", "document", "feedback", "conference",
    "proposal", "thanks",    "regards",      "office",   "client",   "contract",
    "patch",    "release",   "build",        "testing",  "kernel",   "compiler",
};
static const char *const common_words[] = {
    "the",  "and",   "please", "your",  "this",  "with", "from", "have",
    "will", "about", "today",  "there", "would", "what", "when", "some",
};
static const char *const spam_from[] = {"\"Rewards Desk\" <win@promo-deals.example>",
                                        "\"Account Team\" <alert@secure-notice.example>",
                                        "\"Lucky Draw\" <draw@prize-center.example>"};
static const char *const ham_from[] = {"\"Alice Martin\" <alice@example.org>",
                                       "\"Bob Stone\" <bob@example.net>",
                                       "\"Carol King\" <carol@lists.example.org>"};

static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#define PICK(arr, s) (arr)[rnd(s) % (sizeof(arr) / sizeof((arr)[0]))]

/* One message of the class; malloc'd. */
static char *
synth(bool spam, uint64_t *seed)
{
    wpt_buf b = {0};
    wpt_buf_printf(&b, "From: %s\r\nTo: you@example.com\r\nSubject: %s %s %s\r\n",
                   spam ? PICK(spam_from, seed) : PICK(ham_from, seed),
                   spam ? PICK(spam_words, seed) : PICK(ham_words, seed),
                   spam ? PICK(spam_words, seed) : PICK(ham_words, seed), PICK(common_words, seed));
    wpt_buf_printf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
    for (int i = 0; i < 40; i++) {
        const char *w = rnd(seed) % 10 < 6 ? (spam ? PICK(spam_words, seed) : PICK(ham_words, seed))
                                           : PICK(common_words, seed);
        wpt_buf_printf(&b, "%s%s", w, i % 10 == 9 ? ".\r\n" : " ");
    }
    wpt_buf_add(&b, "", 1);
    return b.p;
}

static void
learn_synth(wp_bayes *b, int nspam, int nham, uint64_t seed)
{
    for (int i = 0; i < nspam + nham; i++) {
        bool spam = i < nspam;
        char *m = synth(spam, &seed);
        wp_bayes_outcome o;
        assert_int_equal(wp_bayes_learn(b, (const uint8_t *)m, strlen(m), spam, &o), WP_OK);
        assert_int_equal(o, WP_BAYES_LEARNED);
        free(m);
    }
    assert_int_equal(wp_bayes_commit(b), WP_OK);
}

/* ---- tokenizer ---- */

static void
test_stopwords_sorted(void **state)
{
    (void)state;
    assert_true(wp_bayes_stopwords_sorted());
}

static void
test_tokenizer_era_artifacts(void **state)
{
    (void)state;
    const char *text =
        "Meeting on Tuesday, 12 August 2002 at 10:30 GMT (2024-03-01T09:00:00Z).\n"
        "Sent with Eudora 5.1 and Outlook Express 6.00.2800.1106; price $49.99, call 555-0100.\n"
        "id 3D4F5A2B.1234@example.com ----=_NextPart_000_0001_01C2 boundary multipart charset\n"
        "aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQ= xKqzTbWmRpLs AbCdEfGhIjKl http www https\n"
        "Invoice payment Überweisung ПРИВЕТ ｐａｙｐａｌ pay\xe2\x80\x8bment 東京都庁 😀 "
        "supercalifragilisticexpialidocious win32 mp3 y2k";
    toks t = {0};
    wp_bayes_tokenize_text("b", text, strlen(text), collect, &t);
    /* years, dates, times, versions, prices, phone numbers, ids: nothing with a digit */
    for (size_t i = 0; i < t.n; i++)
        for (const char *p = t.v[i]; *p; p++)
            if (*p >= '0' && *p <= '9')
                fail_msg("token with a digit: %s", t.v[i]);
    assert_no_tok(&t, "b:2002");
    assert_no_tok(&t, "b:win32");
    assert_no_tok(&t, "b:y2k");
    /* month, weekday and time-zone names */
    assert_no_tok(&t, "b:august");
    assert_no_tok(&t, "b:tuesday");
    assert_no_tok(&t, "b:gmt");
    /* mailer names (but not the brands phishing imitates), MIME and web boilerplate */
    assert_no_tok(&t, "b:eudora");
    assert_no_tok(&t, "b:nextpart");
    assert_no_tok(&t, "b:multipart");
    assert_no_tok(&t, "b:charset");
    assert_no_tok(&t, "b:boundary");
    assert_no_tok(&t, "b:http");
    assert_no_tok(&t, "b:https");
    assert_no_tok(&t, "b:www");
    /* id-like runs: no vowels, flipping case */
    assert_no_tok(&t, "b:xkqztbwmrpls");
    assert_no_tok(&t, "b:abcdefghijkl");
    assert_no_tok(&t, "b:supercalifragilisticexpialidocious"); /* over 24 characters */
    /* the words themselves: lower-cased in any script, full-width folded, zero-width joined */
    assert_tok(&t, "b:meeting");
    assert_tok(&t, "b:outlook");
    assert_tok(&t, "b:express");
    assert_tok(&t, "b:invoice");
    assert_tok(&t, "b:payment");
    assert_tok(&t, "b:überweisung");
    assert_tok(&t, "b:привет");
    assert_tok(&t, "b:paypal");
    assert_tok(&t, "b:price");
    assert_tok(&t, "b:call");
    /* CJK as character bigrams */
    assert_tok(&t, "b:東京");
    assert_tok(&t, "b:京都");
    assert_tok(&t, "b:都庁");
    assert_no_tok(&t, "b:東京都庁");
    toks_free(&t);
}

static void
test_tokenizer_message(void **state)
{
    (void)state;
    const char *msg =
        "Received: from mx.example.net (mx.example.net [192.0.2.7]) by x; Tue, 6 Aug 2002\r\n"
        "From: \"PayPal Service\" <service@mail.paypal-secure.co.uk>\r\n"
        "To: you@example.com\r\nSubject: Invoice overdue since March 2024\r\n"
        "Date: Tue, 06 Aug 2002 10:00:00 +0100\r\nMessage-ID: <zqxvbn.wrtplk@example.com>\r\n"
        "X-Mailer: Frobnicator Deluxe\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"sep\"\r\n\r\n--sep\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Please settle the invoice at http://login.secure-bank.example.co.uk/pay today.\r\n"
        "> Date: Wed, 7 Aug 2002 11:00:00 +0100\r\n"
        "> X-Mailer: Quuxmailer Pro\r\n"
        "> User-Agent: Blorpclient\r\n"
        "Lunch plans unchanged.\r\n--sep\r\n"
        "Content-Type: application/pdf; name=\"statement.pdf\"\r\n"
        "Content-Disposition: attachment; filename=\"statement.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK\r\n"
        "--sep--\r\n";
    wp_bayes_tokset *set = malloc(sizeof(*set));
    assert_non_null(set);
    capture(msg, set);
    assert_true(set_has(set, "s:invoice"));
    assert_true(set_has(set, "s:overdue"));
    assert_true(set_has(set, "f:paypal"));
    assert_true(set_has(set, "f:service"));
    assert_true(set_has(set, "fd:paypal-secure.co.uk"));
    assert_true(set_has(set, "u:example.co.uk"));
    assert_true(set_has(set, "b:settle"));
    assert_true(set_has(set, "b:lunch"));
    assert_true(set_has(set, "a:application/pdf"));
    assert_true(set_has(set, "ae:pdf"));
    /* era artifacts and headers other than Subject and From */
    assert_false(set_has(set, "s:march"));
    assert_true(set_has(set, "s:since")); /* an ordinary word */
    static const char *const gone[] = {"frobnicator", "deluxe", "quuxmailer", "blorpclient",
                                       "zqxvbn",      "wrtplk", "tue",        "wed",
                                       "received",    "mx"};
    static const char *const pre[] = {"b", "s", "f", "fd", "u"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        for (size_t k = 0; k < sizeof pre / sizeof pre[0]; k++) {
            char tok[64];
            snprintf(tok, sizeof tok, "%s:%s", pre[k], gone[i]);
            if (set_has(set, tok))
                fail_msg("token %s present", tok);
        }
    assert_false(set_has(set, "b:pro")); /* from the quoted X-Mailer line */
    free(set);
}

static void
test_tokenizer_identity(void **state)
{
    (void)state;
    const char *msg = "From: \"Security Team\" <team@bank.example>\r\n"
                      "To: \"Rodrigo Ferreira\" <phishing@pot>, zzzzteana@yahoogroups.example\r\n"
                      "Subject: [zzzzteana] Rodrigo, ouch\r\n\r\n"
                      "Hallo phishing@pot, dear Rodrigo: verify your account.\r\n"
                      "Write to john.smith@example.com for help.\r\n";
    wp_bayes_tokset *set = malloc(sizeof(*set));
    assert_non_null(set);
    capture(msg, set);
    assert_true(set_has(set, "s:ouch"));
    assert_true(set_has(set, "b:verify"));
    assert_true(set_has(set, "b:dear"));
    assert_true(set_has(set, "b:help"));
    assert_true(set_has(set, "f:security"));
    static const char *const gone[] = {"s:zzzzteana", "s:rodrigo",  "b:rodrigo",
                                       "b:phishing",  "b:pot",      "b:john",
                                       "b:smith",     "b:ferreira", "b:yahoogroups"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        if (set_has(set, gone[i]))
            fail_msg("token %s present", gone[i]);
    assert_true(set_has(set, "b:hallo"));
    free(set);
}

static void
test_registrable(void **state)
{
    (void)state;
    char out[256];
    assert_true(wp_bayes_registrable("a.b.example.co.uk", out, sizeof out));
    assert_string_equal(out, "example.co.uk");
    assert_true(wp_bayes_registrable("WWW.Example.COM.", out, sizeof out));
    assert_string_equal(out, "example.com");
    assert_true(wp_bayes_registrable("192.0.2.1", out, sizeof out));
    assert_string_equal(out, "ip");
    assert_true(wp_bayes_registrable("[2001:db8::1]", out, sizeof out));
    assert_string_equal(out, "ip");
    assert_false(wp_bayes_registrable("localhost", out, sizeof out));
    assert_false(wp_bayes_registrable("", out, sizeof out));
}

static void
test_token_cap(void **state)
{
    (void)state;
    wp_bayes_tokset *set = malloc(sizeof(*set));
    assert_non_null(set);
    wp_bayes_tokset_clear(set);
    for (uint64_t i = 1; i <= WP_BAYES_MAX_TOKENS + 500; i++)
        wp_bayes_tokset_add(set, wp_bayes_hash(&i, sizeof i));
    assert_int_equal(set->n, WP_BAYES_MAX_TOKENS);
    assert_true(set->full);
    uint64_t one = 1;
    assert_true(wp_bayes_tokset_add(set, wp_bayes_hash(&one, sizeof one))); /* already in */
    free(set);
}

static void
test_chi2q(void **state)
{
    (void)state;
    assert_true(wp_bayes_chi2q(0.0, 2) > 0.999);
    assert_true(wp_bayes_chi2q(2000.0, 300) < 1e-9);
    /* chi-square with 2 dof: Q(x) = e^(-x/2) */
    double q = wp_bayes_chi2q(4.0, 2);
    assert_true(q > 0.1353 && q < 0.1354);
}

/* ---- learning and classifying ---- */

static char *trained_db; /* 300 spam + 300 ham, made by the group setup */

static int
group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/wp-bayes-test.XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    trained_db = tmp_path("trained.db");
    char err[512];
    wp_bayes *b = NULL;
    if (wp_bayes_open(trained_db, NULL, &b, err, sizeof err) != WP_OK) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    uint64_t seed = 0x1234567u;
    for (int i = 0; i < 600; i++) {
        bool spam = i % 2 == 0;
        char *m = synth(spam, &seed);
        wp_status st = wp_bayes_learn(b, (const uint8_t *)m, strlen(m), spam, NULL);
        free(m);
        if (st != WP_OK)
            return -1;
    }
    wp_status st = wp_bayes_commit(b);
    wp_bayes_close(b);
    return st == WP_OK ? 0 : -1;
}

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int
group_teardown(void **state)
{
    (void)state;
    free(trained_db);
    /* only our own mkdtemp directory, depth first */
    return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

static void
test_learn_and_classify(void **state)
{
    (void)state;
    char err[512];
    wp_bayes *b = NULL;
    assert_int_equal(wp_bayes_open(trained_db, NULL, &b, err, sizeof err), WP_OK);
    wp_bayes_stats st;
    assert_int_equal(wp_bayes_get_stats(b, &st), WP_OK);
    assert_int_equal(st.nspam, 300);
    assert_int_equal(st.nham, 300);
    assert_true(st.ntokens > 50);
    wp_bayes_close(b);

    wpt_ctx *c = engine_on(trained_db, NULL);
    uint64_t seed = 0xfeedbeefu; /* held out: another seed, so other messages */
    int spam_hits = 0, ham_fp = 0, ham_hits = 0;
    for (int i = 0; i < 40; i++) {
        bool spam = i < 20;
        char *m = synth(spam, &seed);
        wp_report *r = wpt_scan_str(c, m);
        const wp_finding *f = wpt_find(r, "BAYES_SPAM", NULL);
        if (spam && f != NULL) {
            spam_hits++;
            assert_str_contains(f->evidence, "spam probability");
            assert_str_contains(f->evidence, "strongest:");
            assert_int_equal(f->category, WP_CAT_SPAM);
        }
        if (!spam && f != NULL)
            ham_fp++;
        if (!spam && wpt_find(r, "BAYES_HAM", NULL) != NULL)
            ham_hits++;
        if (spam)
            assert_no_finding(r, "BAYES_HAM", NULL);
        wp_report_free(r);
        free(m);
    }
    wpt_free(c);
    assert_true(spam_hits >= 19);
    assert_int_equal(ham_fp, 0);
    assert_true(ham_hits >= 19);
}

static void
test_learn_idempotent(void **state)
{
    (void)state;
    char *db = tmp_path("idem.db");
    char err[512];
    wp_bayes *b = NULL;
    assert_int_equal(wp_bayes_open(db, NULL, &b, err, sizeof err), WP_OK);
    const char *m = "From: a@example.org\r\nSubject: quarterly budget\r\n\r\n"
                    "The zorblatt figures are ready.\r\n";
    const uint8_t *d = (const uint8_t *)m;
    wp_bayes_outcome o;
    wp_bayes_stats st;
    assert_int_equal(wp_bayes_learn(b, d, strlen(m), true, &o), WP_OK);
    assert_int_equal(o, WP_BAYES_LEARNED);
    assert_int_equal(wp_bayes_learn(b, d, strlen(m), true, &o), WP_OK);
    assert_int_equal(o, WP_BAYES_ALREADY);
    /* the same words with other headers (Date, Received) are the same message */
    char *m2 = NULL;
    assert_true(asprintf(&m2, "Received: from x\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n%s", m) >
                0);
    assert_int_equal(wp_bayes_learn(b, (const uint8_t *)m2, strlen(m2), true, &o), WP_OK);
    assert_int_equal(o, WP_BAYES_ALREADY);
    free(m2);
    assert_int_equal(wp_bayes_get_stats(b, &st), WP_OK);
    assert_int_equal(st.nspam, 1);
    assert_int_equal(st.nham, 0);
    uint64_t ntok = st.ntokens;
    assert_true(ntok >= 5);

    /* learned as the other class: moved, not counted twice */
    assert_int_equal(wp_bayes_learn(b, d, strlen(m), false, &o), WP_OK);
    assert_int_equal(o, WP_BAYES_MOVED);
    assert_int_equal(wp_bayes_get_stats(b, &st), WP_OK);
    assert_int_equal(st.nspam, 0);
    assert_int_equal(st.nham, 1);
    assert_int_equal(st.ntokens, ntok);
    sqlite3 *q = NULL;
    assert_int_equal(sqlite3_open(db, &q), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(q, "SELECT spam, ham FROM tokens WHERE hash = ?1", -1, &s, NULL),
        SQLITE_OK);
    sqlite3_bind_int64(s, 1, (sqlite3_int64)wp_bayes_hash("b:zorblatt", 10));
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 0);
    assert_int_equal(sqlite3_column_int(s, 1), 1);
    sqlite3_finalize(s);
    sqlite3_close(q);

    /* forgotten: back to an empty model */
    assert_int_equal(wp_bayes_forget(b, d, strlen(m), &o), WP_OK);
    assert_int_equal(o, WP_BAYES_FORGOTTEN);
    assert_int_equal(wp_bayes_forget(b, d, strlen(m), &o), WP_OK);
    assert_int_equal(o, WP_BAYES_UNKNOWN);
    assert_int_equal(wp_bayes_get_stats(b, &st), WP_OK);
    assert_int_equal(st.nspam + st.nham + st.ntokens, 0);

    /* nothing to learn from */
    const char *empty = "From: a@localhost\r\n\r\n12 34 2002-08-06\r\n";
    assert_int_equal(wp_bayes_learn(b, (const uint8_t *)empty, strlen(empty), true, &o), WP_OK);
    assert_int_equal(o, WP_BAYES_NO_TOKENS);
    wp_bayes_close(b);
    free(db);
}

static void
test_schema_version(void **state)
{
    (void)state;
    char *db = tmp_path("version.db");
    char err[512];
    wp_bayes *b = NULL;
    assert_int_equal(wp_bayes_open(db, NULL, &b, err, sizeof err), WP_OK);
    wp_bayes_close(b);
    sqlite3 *q = NULL;
    assert_int_equal(sqlite3_open(db, &q), SQLITE_OK);
    assert_int_equal(sqlite3_exec(q, "UPDATE version SET schema = 99", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(q);
    wp_engine *e = NULL;
    assert_int_equal(try_engine(db, NULL, &e, err, sizeof err), WP_EPARSE);
    assert_null(e);
    assert_str_contains(err, "schema 99");
    assert_str_contains(err, db);
    b = NULL;
    assert_int_equal(wp_bayes_open(db, NULL, &b, err, sizeof err), WP_EPARSE);
    assert_null(b);

    /* a SQLite file that is not ours */
    char *other = tmp_path("other.db");
    assert_int_equal(sqlite3_open(other, &q), SQLITE_OK);
    assert_int_equal(sqlite3_exec(q, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(q);
    assert_int_equal(try_engine(other, NULL, &e, err, sizeof err), WP_EPARSE);
    assert_str_contains(err, "not a watchpost Bayes database");

    /* a file that does not exist yet: the engine opens, the classifier is off */
    char *missing = tmp_path("missing.db");
    assert_int_equal(try_engine(missing, NULL, &e, err, sizeof err), WP_OK);
    assert_null(e->mod_state[WP_MOD_BAYES]);
    wp_engine_free(e);
    assert_int_equal(access(missing, F_OK), -1); /* scanning never creates it */
    free(missing);
    free(other);
    free(db);
}

static void
test_settings(void **state)
{
    (void)state;
    char err[512];
    wp_engine *e = NULL;
    static const char *const bad_min[] = {"bayes.min_learned", "0", NULL};
    assert_int_equal(try_engine(trained_db, bad_min, &e, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "bayes.min_learned");
    static const char *const bad_en[] = {"bayes.enabled", "maybe", NULL};
    assert_int_equal(try_engine(trained_db, bad_en, &e, err, sizeof err), WP_EINVAL);
    static const char *const unknown[] = {"bayes.colour", "red", NULL};
    assert_int_equal(try_engine(trained_db, unknown, &e, err, sizeof err), WP_ENOTFOUND);
    static const char *const off[] = {"bayes.enabled", "no", NULL};
    assert_int_equal(try_engine(trained_db, off, &e, err, sizeof err), WP_OK);
    assert_null(e->mod_state[WP_MOD_BAYES]);
    wp_engine_free(e);

    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    assert_null(wp_bayes_config_db(&cfg));
    assert_int_equal(wp_engine_config_set(&cfg, "bayes.db", "/x/y.db", err, sizeof err), WP_OK);
    assert_string_equal(wp_bayes_config_db(&cfg), "/x/y.db");
    wp_engine_config_fini(&cfg);
}

static void
test_below_min_learned(void **state)
{
    (void)state;
    char *db = tmp_path("small.db");
    char err[512];
    wp_bayes *b = NULL;
    assert_int_equal(wp_bayes_open(db, NULL, &b, err, sizeof err), WP_OK);
    learn_synth(b, 30, 30, 0xabcdefu);
    wp_bayes_close(b);
    uint64_t seed = 0x777u;
    char *spam = synth(true, &seed), *ham = synth(false, &seed);

    wpt_ctx *c = engine_on(db, NULL); /* default min_learned 200: silent */
    wp_report *r = wpt_scan_str(c, spam);
    assert_no_finding(r, "BAYES_SPAM", NULL);
    assert_no_finding(r, "BAYES_HAM", NULL);
    wp_report_free(r);
    wpt_free(c);

    static const char *const low[] = {"bayes.min_learned", "30", NULL};
    c = engine_on(db, low);
    r = wpt_scan_str(c, spam);
    assert_finding(r, "BAYES_SPAM", "message");
    wp_report_free(r);
    r = wpt_scan_str(c, ham);
    assert_no_finding(r, "BAYES_SPAM", NULL);
    assert_finding(r, "BAYES_HAM", "message");
    wp_report_free(r);
    wpt_free(c);

    static const char *const just_above[] = {"bayes.min_learned", "31", NULL};
    c = engine_on(db, just_above);
    r = wpt_scan_str(c, spam);
    assert_no_finding(r, "BAYES_SPAM", NULL);
    wp_report_free(r);
    wpt_free(c);
    free(spam);
    free(ham);
    free(db);
}

typedef struct worker_arg {
    wp_engine *eng;
    uint64_t seed;
    int right, wrong;
} worker_arg;

static void *
scan_worker(void *p)
{
    worker_arg *a = p;
    wp_scanner *sc = NULL;
    if (wp_scanner_new(a->eng, &sc) != WP_OK)
        return NULL;
    for (int i = 0; i < 30; i++) {
        bool spam = i % 2 == 0;
        char *m = synth(spam, &a->seed);
        wp_report *r = NULL;
        if (wp_scan_message(sc, (const uint8_t *)m, strlen(m), &r) == WP_OK) {
            bool said_spam = wpt_find(r, "BAYES_SPAM", NULL) != NULL;
            if (said_spam == spam)
                a->right++;
            else
                a->wrong++;
            wp_report_free(r);
        }
        free(m);
    }
    wp_scanner_free(sc);
    return NULL;
}

static void
test_concurrent_scans(void **state)
{
    (void)state;
    wpt_ctx *c = engine_on(trained_db, NULL);
    pthread_t th[4];
    worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (worker_arg){.eng = c->eng, .seed = 0x9e3779b9u * (uint64_t)(i + 1)};
        assert_int_equal(pthread_create(&th[i], NULL, scan_worker, &args[i]), 0);
    }
    int right = 0, wrong = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        right += args[i].right;
        wrong += args[i].wrong;
    }
    wpt_free(c);
    assert_int_equal(right + wrong, 120);
    assert_true(wrong <= 3);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stopwords_sorted),
        cmocka_unit_test(test_tokenizer_era_artifacts),
        cmocka_unit_test(test_tokenizer_message),
        cmocka_unit_test(test_tokenizer_identity),
        cmocka_unit_test(test_registrable),
        cmocka_unit_test(test_token_cap),
        cmocka_unit_test(test_chi2q),
        cmocka_unit_test(test_learn_and_classify),
        cmocka_unit_test(test_learn_idempotent),
        cmocka_unit_test(test_schema_version),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_below_min_learned),
        cmocka_unit_test(test_concurrent_scans),
    };
    const struct CMUnitTest bugs[] = {cmocka_unit_test(test_stopwords_sorted)};
    return WPT_MAIN("bayes", tests, bugs, group_setup, group_teardown);
}
