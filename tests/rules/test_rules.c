/*
 * test_rules.c - content rules: the rule-file parser's errors (with file:line), every target,
 * caseless UTF-8, single firing, meta rules, the per-category sum and its cap, rules.disable,
 * scans from several threads sharing one engine, and the shipped default rule set.
 *
 * Engines are built through the public API with wp_engine_config_set("rules.*"); rule files
 * are written to a private temporary directory, and so is the Hyperscan cache.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wpt.h"

#include "rules/rules.h"

static char tmpdir[64];
static char cachedir[96];

static int
setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/wp_rules_test.XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(cachedir, sizeof cachedir, "%s/cache", tmpdir);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    char cmd[128];
    /* only our own mkdtemp directory */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write text to <tmpdir>/name; returns the malloc'd path. */
static char *
write_rules(const char *name, const char *text)
{
    char *path = NULL;
    assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* An engine with only the given rule file (no shipped rules) plus extra key/value pairs.
 * Returns the status; on success *out is the engine. */
static wp_status
engine_with(const char *path, const char *const *kv, wp_engine **out, char *err, size_t errlen)
{
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    wp_status st = wp_engine_config_set(&cfg, "rules.default", "no", err, errlen);
    if (st == WP_OK)
        st = wp_engine_config_set(&cfg, "rules.cache", cachedir, err, errlen);
    if (st == WP_OK && path != NULL)
        st = wp_engine_config_set(&cfg, "rules.file", path, err, errlen);
    for (size_t i = 0; st == WP_OK && kv != NULL && kv[i] != NULL; i += 2)
        st = wp_engine_config_set(&cfg, kv[i], kv[i + 1], err, errlen);
    if (st == WP_OK)
        st = wp_engine_new(&cfg, out, err, errlen);
    wp_engine_config_fini(&cfg);
    return st;
}

static wpt_ctx *
ctx_with(const char *rules_text, const char *const *kv)
{
    char *path = write_rules("t.rules", rules_text);
    wpt_ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    char err[512] = "";
    wp_status st = engine_with(path, kv, &c->eng, err, sizeof err);
    free(path);
    if (st != WP_OK)
        fail_msg("engine: %s", err);
    assert_int_equal(wp_scanner_new(c->eng, &c->sc), WP_OK);
    return c;
}

/* The load error for a rule file, through the module's own loader (parse, resolve, compile):
 * an engine per case would spend its time loading libmagic. test_error_through_engine shows
 * the same message reaching wp_engine_new(). */
static void
expect_error(const char *text, const char *needle1, const char *needle2)
{
    char *path = write_rules("bad.rules", text);
    wp_ruleset *rs = wp_rules_new();
    assert_non_null(rs);
    char err[512] = "";
    wp_status st = wp_rules_load_path(rs, path, err, sizeof err);
    if (st == WP_OK)
        st = wp_rules_resolve(rs, NULL, 0, err, sizeof err);
    if (st == WP_OK)
        st = wp_rules_compile(rs, err, sizeof err);
    wp_rules_free(rs);
    if (st == WP_OK)
        fail_msg("rule file loaded, expected an error containing '%s'", needle1);
    assert_str_contains(err, path);
    assert_str_contains(err, needle1);
    if (needle2 != NULL)
        assert_str_contains(err, needle2);
    free(path);
}

static const wp_finding *
rule_finding(const wp_report *r, const char *code)
{
    return wpt_find(r, code, NULL);
}

static const char *msg_plain = "From: \"Help Desk\" <it@example.com>\r\n"
                               "To: a@example.org\r\n"
                               "Subject: Mailbox notice\r\n"
                               "X-Campaign: spring\r\n"
                               " =?UTF-8?B?w6l0w6k=?= sale\r\n"
                               "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
                               "Message-ID: <1@example.com>\r\n"
                               "\r\n"
                               "Hello, please see http://evil.example.net/login.php now.\r\n";

/* ---- parser errors ---- */

static void
test_error_bad_regex(void **state)
{
    (void)state;
    expect_error("# comment\nrule A phishing 1 body /(unclosed/i \"x\"\n", ":2:", "rule A");
}

static void
test_error_unknown_target(void **state)
{
    (void)state;
    expect_error("rule A phishing 1 bdy /x/ \"x\"\n", ":1:", "unknown target 'bdy'");
}

static void
test_error_unknown_category(void **state)
{
    (void)state;
    expect_error("\n\nrule A fishing 1 body /x/\n", ":3:", "unknown category 'fishing'");
}

static void
test_error_duplicate(void **state)
{
    (void)state;
    expect_error("rule A phishing 1 body /x/\nrule A spam 1 body /y/\n", ":2:", "duplicate");
}

static void
test_error_backreference(void **state)
{
    (void)state;
    /* Hyperscan matches exactly or not at all: a backreference is refused at load */
    expect_error("rule OK phishing 1 body /fine/\nrule BACKREF phishing 1 body /(ab)\\1/\n",
                 ":2:", "BACKREF");
}

static void
test_error_misc(void **state)
{
    (void)state;
    expect_error("rule A phishing 1 body /x/q\n", ":1:", "unknown regex flag 'q'");
    expect_error("rule A phishing 1000 body /x/\n", ":1:", "weight");
    expect_error("rule A phishing 1 body /x/ \"unterminated\n", ":1:", "closing");
    expect_error("rule A phishing 1 body /x/ trailing\n", ":1:", "unexpected text");
    expect_error("meta M phishing 1 A && B\n", ":1:", "'A' is not a rule");
    expect_error("rule A phishing 1 body /a/\nmeta M phishing 1 A &&\n", ":2:", "operator");
    expect_error("rule A phishing 1 body /a/\nmeta M phishing 1 (A\n", ":2:", "unbalanced");
    expect_error("meta M phishing 1 LATER\nrule LATER phishing 1 body /a/\n",
                 ":1:", "defined after");
    expect_error("bogus line\n", ":1:", "expected 'rule' or 'meta'");
}

static void
test_error_through_engine(void **state)
{
    (void)state;
    char *path = write_rules("eng.rules", "rule A phishing 1 body /ok/\nrule B phishing 1 body "
                                          "/(x)\\1/\n");
    wp_engine *e = NULL;
    char err[512] = "";
    assert_int_not_equal(engine_with(path, NULL, &e, err, sizeof err), WP_OK);
    assert_null(e);
    assert_str_contains(err, ":2: rule B");
    free(path);
}

static void
test_error_good_file_loads(void **state)
{
    (void)state;
    char *path = write_rules("good.rules", "rule A phishing 1 body /a\\/b/ # slash\n"
                                           "rule B phishing 1 body /x/ \"desc with \\\" quote\"\n"
                                           "meta C phishing 2 A && \\\n   !B\n");
    wp_engine *e = NULL;
    char err[512] = "";
    assert_int_equal(engine_with(path, NULL, &e, err, sizeof err), WP_OK);
    wp_engine_free(e);
    free(path);
}

static void
test_error_missing_file_and_settings(void **state)
{
    (void)state;
    wp_engine *e = NULL;
    char err[512] = "";
    assert_int_not_equal(engine_with("/nonexistent/x.rules", NULL, &e, err, sizeof err), WP_OK);
    assert_str_contains(err, "/nonexistent/x.rules");
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    assert_int_equal(wp_engine_config_set(&cfg, "rules.default", "maybe", err, sizeof err),
                     WP_EINVAL);
    assert_int_equal(wp_engine_config_set(&cfg, "rules.nope", "1", err, sizeof err), WP_ENOTFOUND);
    assert_int_equal(wp_engine_config_set(&cfg, "rules.cache", "relative", err, sizeof err),
                     WP_EINVAL);
    wp_engine_config_fini(&cfg);
    const char *kv[] = {"rules.disable", "NO_SUCH_RULE", NULL};
    char *path = write_rules("d.rules", "rule A phishing 1 body /a/\n");
    assert_int_equal(engine_with(path, kv, &e, err, sizeof err), WP_ENOTFOUND);
    assert_str_contains(err, "NO_SUCH_RULE");
    free(path);
}

/* ---- matching ---- */

static void
test_targets(void **state)
{
    (void)state;
    wpt_ctx *c = ctx_with("rule T_SUBJ phishing 1 subject /^mailbox notice$/i\n"
                          "rule T_FROM phishing 1 from /help desk.*it@example\\.com/i\n"
                          "rule T_HDR phishing 1 header:x-campaign /spring été sale/u\n"
                          "rule T_BODY phishing 1 body /please see/\n"
                          "rule T_URL phishing 1 url /\\/login\\.php$/\n"
                          "rule T_NONE phishing 1 body /not there/\n",
                          NULL);
    wp_report *r = wpt_scan_str(c, msg_plain);
    const wp_finding *f = rule_finding(r, "RULE_PHISHING");
    if (f == NULL) {
        wpt_dump(r);
        fail_msg("no RULE_PHISHING");
    }
    assert_int_equal(f->weight, 5);
    assert_str_contains(f->evidence, "T_SUBJ +1 header:Subject 'Mailbox notice'");
    assert_str_contains(f->evidence, "T_FROM");
    assert_str_contains(f->evidence, "T_HDR +1 header:x-campaign");
    assert_str_contains(f->evidence, "T_BODY +1 body");
    assert_str_contains(f->evidence, "T_URL +1 url in 1");
    assert_str_not_contains(f->evidence, "T_NONE");
    wp_report_free(r);
    wpt_free(c);
}

static void
test_attachment_name(void **state)
{
    (void)state;
    wpt_ctx *c = ctx_with("rule T_ATT malware 4 attachment_name /\\.html?$/i\n", NULL);
    size_t len;
    char *m = wpt_mail_attachment("Invoice.HTM", "text/html", "<p>hi</p>", 9, &len);
    wp_report *r = wpt_scan(c, m, len);
    const wp_finding *f = rule_finding(r, "RULE_MALWARE");
    assert_non_null(f);
    assert_int_equal(f->weight, 4);
    assert_str_contains(f->evidence, "Invoice.HTM");
    wp_report_free(r);
    free(m);
    wpt_free(c);
}

static void
test_caseless_utf8_and_single_fire(void **state)
{
    (void)state;
    wpt_ctx *c = ctx_with("rule PT phishing 2 body /atualiza[cç][aã]o cadastral/iu \"pt\"\n", NULL);
    wpt_buf b = {0};
    wpt_std_headers(&b, "Aviso");
    wpt_buf_printf(&b, "Content-Type: text/plain; charset=utf-8\r\n\r\n");
    for (int i = 0; i < 5; i++)
        wpt_buf_printf(&b, "Faça a ATUALIZAÇÃO CADASTRAL hoje.\r\n");
    wp_report *r = wpt_scan(c, b.p, b.n);
    const wp_finding *f = rule_finding(r, "RULE_PHISHING");
    assert_non_null(f);
    assert_int_equal(f->weight, 2); /* five matches, one firing */
    assert_int_equal(wpt_count(r, "RULE_PHISHING"), 1);
    const char *first = strstr(f->evidence, "PT +2");
    assert_non_null(first);
    assert_null(strstr(first + 1, "PT +2"));
    assert_str_contains(f->evidence, "ATUALIZAÇÃO CADASTRAL");
    wp_report_free(r);
    wpt_buf_free(&b);
    wpt_free(c);
}

static void
test_invisible_characters(void **state)
{
    (void)state;
    wpt_ctx *c = ctx_with("rule V phishing 2 body /verify your account/i\n", NULL);
    wpt_buf b = {0};
    wpt_std_headers(&b, "x");
    /* a zero-width space inside the word and a no-break space between words */
    wpt_buf_printf(&b, "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                       "Please verify\xC2\xA0your acc\xE2\x80\x8Bount.\r\n");
    wp_report *r = wpt_scan(c, b.p, b.n);
    assert_finding(r, "RULE_PHISHING", NULL);
    wp_report_free(r);
    wpt_buf_free(&b);
    wpt_free(c);
}

static void
test_meta_rules(void **state)
{
    (void)state;
    const char *rules = "rule __A phishing 0 body /alpha/\n"
                        "rule __B phishing 0 body /beta/\n"
                        "rule __C phishing 0 body /gamma/\n"
                        "meta BOTH phishing 3 __A && __B\n"
                        "meta NOT_C spam 2 (__A || __B) && !__C \"either, without gamma\"\n";
    wpt_ctx *c = ctx_with(rules, NULL);
    struct {
        const char *body;
        int phish, spam;
    } cases[] = {
        {"alpha beta", 3, 2},
        {"alpha only", 0, 2},
        {"alpha beta gamma", 3, 0},
        {"nothing", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wpt_buf b = {0};
        wpt_std_headers(&b, "m");
        wpt_buf_printf(&b, "\r\n%s\r\n", cases[i].body);
        wp_report *r = wpt_scan(c, b.p, b.n);
        const wp_finding *p = rule_finding(r, "RULE_PHISHING");
        const wp_finding *s = rule_finding(r, "RULE_SPAM");
        if ((p ? p->weight : 0) != cases[i].phish || (s ? s->weight : 0) != cases[i].spam) {
            wpt_dump(r);
            fail_msg("case '%s': phishing %d spam %d", cases[i].body, p ? p->weight : 0,
                     s ? s->weight : 0);
        }
        if (p != NULL) { /* weight-0 helpers stay out of the evidence */
            assert_str_contains(p->evidence, "BOTH +3 (meta)");
            assert_str_not_contains(p->evidence, "__A");
        }
        wp_report_free(r);
        wpt_buf_free(&b);
    }
    wpt_free(c);
}

static void
test_cap_and_disable(void **state)
{
    (void)state;
    const char *rules = "rule A phishing 5 body /one/\nrule B phishing 5 body /two/\n"
                        "rule C phishing 5 body /three/\n";
    const char *kv[] = {"weight.RULE_PHISHING", "7", "rules.disable", "C", NULL};
    wpt_ctx *c = ctx_with(rules, kv);
    wp_report *r = wpt_scan_str(c, "Subject: x\r\n\r\none two three\r\n");
    const wp_finding *f = rule_finding(r, "RULE_PHISHING");
    assert_non_null(f);
    assert_int_equal(f->weight, 7);
    assert_str_contains(f->evidence, "capped at 7");
    assert_str_not_contains(f->evidence, " C +5");
    assert_int_equal(r->verdict.category_score[WP_CAT_PHISHING], 7);
    wp_report_free(r);
    wpt_free(c);
}

/* ---- threads: one engine, four scanners, 200 messages ---- */

typedef struct worker {
    wp_engine *eng;
    int id, ok;
} worker;

static void *
run_worker(void *p)
{
    worker *w = p;
    wp_scanner *sc = NULL;
    if (wp_scanner_new(w->eng, &sc) != WP_OK)
        return NULL;
    for (int i = 0; i < 50; i++) {
        char msg[512];
        bool phish = (i + w->id) % 2 == 0;
        int n = snprintf(msg, sizeof msg,
                         "From: a@example.com\r\nSubject: m%d-%d\r\n\r\n%s number %d\r\n", w->id, i,
                         phish ? "please verify your account" : "lunch at noon", i);
        wp_report *r = NULL;
        if (wp_scan_message(sc, (const uint8_t *)msg, (size_t)n, &r) != WP_OK)
            break;
        const wp_finding *f = wpt_find(r, "RULE_PHISHING", NULL);
        bool good = phish ? (f != NULL && f->weight == 2 && strstr(f->evidence, "your account"))
                          : f == NULL;
        wp_report_free(r);
        if (!good)
            break;
        w->ok++;
    }
    wp_scanner_free(sc);
    return NULL;
}

static void
test_threads(void **state)
{
    (void)state;
    char *path = write_rules("thr.rules", "rule V phishing 2 body /verify your account/i\n"
                                          "rule S spam 1 subject /^m\\d/\n");
    wp_engine *e = NULL;
    char err[512] = "";
    assert_int_equal(engine_with(path, NULL, &e, err, sizeof err), WP_OK);
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){e, i, 0};
        assert_int_equal(pthread_create(&t[i], NULL, run_worker, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].ok, 50);
    }
    wp_engine_free(e);
    free(path);
}

/* ---- the shipped rule set ---- */

static void
test_default_rules(void **state)
{
    (void)state;
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    char err[512] = "";
    assert_int_equal(wp_engine_config_set(&cfg, "rules.cache", cachedir, err, sizeof err), WP_OK);
    wpt_ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    if (wp_engine_new(&cfg, &c->eng, err, sizeof err) != WP_OK)
        fail_msg("default content rules (%s) do not load: %s", WP_CONTENT_RULES_DIR, err);
    wp_engine_config_fini(&cfg);
    assert_int_equal(wp_scanner_new(c->eng, &c->sc), WP_OK);

    wp_report *r = wpt_scan_str(
        c, "From: \"Mail Administrator\" <admin@example.net>\r\n"
           "Subject: Action Required: your mailbox is almost full\r\n\r\n"
           "Dear User,\r\n\r\nYour mailbox has reached its storage limit and 14 incoming "
           "messages are pending. Your account will be suspended within 24 hours.\r\n"
           "Click here to verify your account and keep your current password.\r\n");
    const wp_finding *f = wpt_find(r, "RULE_PHISHING", NULL);
    if (f == NULL || f->weight < 6) {
        wpt_dump(r);
        fail_msg("obvious mailbox phish scored %d", f ? f->weight : 0);
    }
    wp_report_free(r);

    r = wpt_scan_str(c, "From: Ana <ana@example.com.br>\r\nSubject: =?UTF-8?Q?Aviso?=\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                        "Prezado cliente, sua conta foi bloqueada. Clique aqui para "
                        "atualizar seus dados em até 24 horas.\r\n");
    f = wpt_find(r, "RULE_PHISHING", NULL);
    if (f == NULL || f->weight < 6) {
        wpt_dump(r);
        fail_msg("Portuguese bank phish scored %d", f ? f->weight : 0);
    }
    wp_report_free(r);

    /* 2004-style bank phish: brand, "we recently noticed", verify, a deadline threat. */
    r = wpt_scan_str(c, "From: PayPal <service@paypal.example>\r\n"
                        "Subject: Please update your account information\r\n\r\n"
                        "Dear PayPal Member,\r\n\r\nWe recently noticed one or more attempts to "
                        "log in to your PayPal account from a foreign IP address. Please click "
                        "the link below and verify your identity. If your account information "
                        "is not updated within 48 hours, your account will be suspended.\r\n"
                        "We apologize for any inconvenience.\r\n");
    f = wpt_find(r, "RULE_PHISHING", NULL);
    if (f == NULL || f->weight < 6 || strstr(f->evidence, "PHISH_M_CLASSIC") == NULL) {
        wpt_dump(r);
        fail_msg("classic PayPal phish scored %d", f ? f->weight : 0);
    }
    wp_report_free(r);

    /* A German giveaway behind a survey: the giveaway metas, not single phrases, score it. */
    r = wpt_scan_str(c, "From: Kundenservice <info@example.de>\r\n"
                        "Subject: =?UTF-8?Q?Nur_heute:_Ihre_Chance?=\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                        "Hallo, nehmen Sie an unserer kurzen Umfrage teil und gewinnen Sie einen "
                        "Gutschein im Wert von 500 Euro! Letzte Chance - nur heute.\r\n");
    f = wpt_find(r, "RULE_PHISHING", NULL);
    if (f == NULL || f->weight < 5 || strstr(f->evidence, "SCAM_M_GIVEAWAY") == NULL) {
        wpt_dump(r);
        fail_msg("German survey giveaway scored %d", f ? f->weight : 0);
    }
    wp_report_free(r);

    /* A discussion-list post quoting lure words stays low: the fragile metas need no
     * List-Post header and the single phrases weigh 1-2. */
    r = wpt_scan_str(c, "From: Bob <bob@example.org>\r\n"
                        "Subject: Re: [Razor-users] forged whitelist spam\r\n"
                        "List-Post: <mailto:razor-users@example.org>\r\n\r\n"
                        "I still use the Palm thing where you enter your password, and I "
                        "update it immediately when Microsoft or Amazon change anything.\r\n"
                        "Please enter your password once more, it said. A mailbox full of "
                        "spam is no fun.\r\n");
    f = wpt_find(r, "RULE_PHISHING", NULL);
    if (f != NULL && f->weight >= 3) {
        wpt_dump(r);
        fail_msg("mailing-list discussion scored %d", f->weight);
    }
    wp_report_free(r);

    r = wpt_scan_fixture(c, "clean.eml");
    assert_no_finding(r, "RULE_PHISHING", NULL);
    wp_report_free(r);
    wpt_free(c);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_bad_regex),
        cmocka_unit_test(test_error_unknown_target),
        cmocka_unit_test(test_error_unknown_category),
        cmocka_unit_test(test_error_duplicate),
        cmocka_unit_test(test_error_backreference),
        cmocka_unit_test(test_error_misc),
        cmocka_unit_test(test_error_through_engine),
        cmocka_unit_test(test_error_good_file_loads),
        cmocka_unit_test(test_error_missing_file_and_settings),
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_attachment_name),
        cmocka_unit_test(test_caseless_utf8_and_single_fire),
        cmocka_unit_test(test_invisible_characters),
        cmocka_unit_test(test_meta_rules),
        cmocka_unit_test(test_cap_and_disable),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_default_rules),
    };
    return wpt_main(argc, argv, "rules", tests, sizeof tests / sizeof tests[0], NULL, 0, setup,
                    teardown);
}
