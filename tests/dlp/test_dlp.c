/*
 * test_dlp.c - the dlp module: classification markings in outbound mail are held at
 * severity 5; prose, inbound mail and stored files (by default) are left alone.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../unit/wpt.h"

#define CODE "DLP_CLASSIFIED_MARKING"

static const char *const no_settings[] = {NULL};

/* A text/plain UTF-8 message with this subject and body. malloc'd. */
static char *
text_mail(const char *subject, const char *body)
{
    wpt_buf b = {0};
    wpt_std_headers(&b, subject);
    wpt_buf_printf(&b,
                   "Content-Type: text/plain; charset=utf-8\n"
                   "Content-Transfer-Encoding: 8bit\n\n%s\n",
                   body);
    return b.p;
}

static wp_report *
scan_dir(wpt_ctx *c, const char *msg, size_t len, wp_direction dir)
{
    wp_envelope env = {.client_ip = "192.0.2.10",
                       .mail_from = "alice@sender.example",
                       .direction = dir,
                       .authenticated = dir == WP_DIR_OUTBOUND};
    wp_report *r = NULL;
    assert_int_equal(wp_scan_message_env(c->sc, (const uint8_t *)msg, len, &env, &r), WP_OK);
    assert_non_null(r);
    return r;
}

/* Scan a text message outbound with the default configuration and expect want findings. */
static void
expect_hits(const char *subject, const char *body, size_t want)
{
    wpt_ctx *c = wpt_new_settings(no_settings);
    char *m = text_mail(subject, body);
    wp_report *r = scan_dir(c, m, strlen(m), WP_DIR_OUTBOUND);
    size_t n = wpt_count(r, CODE);
    if (n != want) {
        wpt_dump(r);
        fail_msg("'%s' / '%s': %zu %s findings, want %zu", subject, body, n, CODE, want);
    }
    wp_report_free(r);
    free(m);
    wpt_free(c);
}

static bool
has_reason(const wp_report *r, const char *needle)
{
    for (size_t i = 0; i < r->verdict.n_reasons; i++)
        if (strstr(r->verdict.reasons[i], needle) != NULL)
            return true;
    return false;
}

static void
test_outbound_body_held(void **state)
{
    (void)state;
    wpt_ctx *c = wpt_new_settings(no_settings);
    char *m = text_mail("plan", "Here is the plan.\n\nSECRET\n\nRegards, Alice");
    wp_report *r = scan_dir(c, m, strlen(m), WP_DIR_OUTBOUND);
    assert_finding(r, CODE, "body");
    const wp_finding *f = wpt_find(r, CODE, "body");
    assert_int_equal(f->category, WP_CAT_DLP);
    assert_int_equal(f->weight, 10);
    assert_str_contains(f->evidence, "'SECRET'");
    assert_str_contains(f->evidence, "direction outbound");
    assert_int_equal(r->verdict.severity, 5);
    assert_int_equal(r->verdict.action, WP_ACTION_QUARANTINE);
    assert_true(r->verdict.category_score[WP_CAT_DLP] > 0);
    /* our own mail with a marking is not spam: the class stays clean, severity and action
     * carry the event */
    assert_int_equal(r->verdict.cls, WP_VERDICT_CLEAN);
    if (!has_reason(r, "classified marking 'SECRET' in outbound mail: held; classified "
                       "material travels only on the closed network"))
        fail_msg("DLP reason missing");
    assert_true(has_reason(r, "severity 5 (classified at risk); action quarantine"));
    wp_report_free(r);

    /* the same message inbound, and with no direction known: not checked by default */
    r = scan_dir(c, m, strlen(m), WP_DIR_INBOUND);
    assert_int_equal(wpt_count(r, CODE), 0);
    assert_int_equal(r->verdict.severity, 0);
    assert_int_equal(r->verdict.action, WP_ACTION_DELIVER);
    wp_report_free(r);
    r = scan_dir(c, m, strlen(m), WP_DIR_UNKNOWN);
    assert_int_equal(wpt_count(r, CODE), 0);
    wp_report_free(r);
    r = wpt_scan_str(c, m); /* a stored file: no envelope */
    assert_int_equal(wpt_count(r, CODE), 0);
    wp_report_free(r);
    free(m);
    wpt_free(c);
}

static void
test_direction_all_audits_files(void **state)
{
    (void)state;
    const char *const kv[] = {"dlp.direction", "all", NULL};
    wpt_ctx *c = wpt_new_settings(kv);
    char *m = text_mail("plan", "CONFIDENTIAL - do not forward");
    wp_report *r = wpt_scan_str(c, m);
    assert_finding(r, CODE, "body");
    assert_str_contains(wpt_find(r, CODE, "body")->evidence, "direction unknown (no envelope)");
    assert_int_equal(r->verdict.severity, 5);
    assert_true(has_reason(r, "classified marking 'CONFIDENTIAL' in unrouted mail"));
    wp_report_free(r);
    r = scan_dir(c, m, strlen(m), WP_DIR_INBOUND);
    assert_finding(r, CODE, "body");
    wp_report_free(r);
    free(m);
    wpt_free(c);
}

static void
test_prose_is_not_a_marking(void **state)
{
    (void)state;
    expect_hits("coffee", "The secret to good coffee is fresh beans.", 0);
    expect_hits("Secret Santa",
                "Secret Santa is on Friday; ask my SECRETARY "
                "about the Confidential seating plan.",
                0);
    expect_hits("CONFIDENTIALITY", "CONFIDENTIALITY NOTICE: UNRESTRICTED use", 0);
    expect_hits("会議", "これは秘密です。神秘的な話と秘書の予定。\n秘密保持契約", 0);
    expect_hits("会議", "(秘密) と 【秘書】 は印ではない", 0);
}

static void
test_japanese_markings(void **state)
{
    (void)state;
    expect_hits("資料", "【秘】 来期の計画です。", 1);
    expect_hits("資料", "（ 秘 ）来期の計画", 1);
    expect_hits("資料", "〔秘〕", 1);
    expect_hits("資料", "[秘] plan", 1);
    expect_hits("資料", "来期の計画\n  秘  \n以上", 1);
    expect_hits("資料", "取扱注意：社内のみ", 1);

    /* the longest marking is the one named */
    wpt_ctx *c = wpt_new_settings(no_settings);
    char *m = text_mail("資料", "関係者外秘 の資料です");
    wp_report *r = scan_dir(c, m, strlen(m), WP_DIR_OUTBOUND);
    assert_finding(r, CODE, "body");
    assert_str_contains(wpt_find(r, CODE, "body")->evidence, "'関係者外秘'");
    wp_report_free(r);
    free(m);
    m = text_mail("report", "Classification: TOP SECRET//NOFORN");
    r = scan_dir(c, m, strlen(m), WP_DIR_OUTBOUND);
    assert_str_contains(wpt_find(r, CODE, "body")->evidence, "'TOP SECRET'");
    wp_report_free(r);
    free(m);
    wpt_free(c);
}

static void
test_subject_and_name(void **state)
{
    (void)state;
    expect_hits("[SECRET] budget", "see you", 1);
    wpt_ctx *c = wpt_new_settings(no_settings);
    size_t len;
    char *m = wpt_mail_attachment("極秘_資料.txt", "text/plain", "hello\n", 6, &len);
    wp_report *r = scan_dir(c, m, len, WP_DIR_OUTBOUND);
    const wp_finding *f = wpt_find(r, CODE, NULL);
    if (f == NULL) {
        wpt_dump(r);
        fail_msg("no marking found in the attachment name");
    }
    assert_str_contains(f->evidence, "file name");
    assert_str_prefix(f->where, "2/");
    wp_report_free(r);
    free(m);
    wpt_free(c);
}

static void
test_zip_member(void **state)
{
    (void)state;
    const char *doc = "Quarterly figures\n部外秘\nRevenue: 42\n";
    wpt_member mem[] = {{"readme.txt", "nothing here\n", 13},
                        {"plan/figures.txt", doc, strlen(doc)}};
    size_t zlen, len;
    unsigned char *zip = wpt_zip(mem, 2, false, &zlen);
    char *m = wpt_mail_attachment("docs.zip", "application/zip", zip, zlen, &len);
    wpt_ctx *c = wpt_new_settings(no_settings);
    wp_report *r = scan_dir(c, m, len, WP_DIR_OUTBOUND);
    assert_finding(r, CODE, "2/docs.zip/plan/figures.txt");
    assert_no_finding(r, CODE, "2/docs.zip/readme.txt");
    assert_no_finding(r, CODE, "2/docs.zip"); /* compressed: the bytes do not show it */
    assert_str_contains(wpt_find(r, CODE, "2/docs.zip/plan/figures.txt")->evidence, "'部外秘'");
    assert_int_equal(r->verdict.severity, 5);
    wp_report_free(r);
    r = scan_dir(c, m, len, WP_DIR_INBOUND);
    assert_int_equal(wpt_count(r, CODE), 0);
    wp_report_free(r);
    wpt_free(c);
    free(m);
    free(zip);
}

/* "Classification: 極秘\r" and a lone "CONFIDENTIAL" paragraph in UTF-16LE, as Word's binary
 * format stores text, amid binary noise. */
static void
test_utf16le_attachment(void **state)
{
    (void)state;
    static const uint16_t text[] = {'C',    'l',  'a', 's', 's', ':', ' ', 0x6975,
                                    0x79D8, '\r', 'C', 'O', 'N', 'F', 'I', 'D',
                                    'E',    'N',  'T', 'I', 'A', 'L', '\r'};
    unsigned char blob[256];
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (unsigned char)(i * 37 + 11) | 0x80;
    size_t n = sizeof text / sizeof text[0];
    for (size_t i = 0; i < n; i++) {
        blob[64 + 2 * i] = (unsigned char)(text[i] & 0xFF);
        blob[64 + 2 * i + 1] = (unsigned char)(text[i] >> 8);
    }
    size_t len;
    char *m = wpt_mail_attachment("memo.doc", "application/msword", blob, sizeof blob, &len);
    wpt_ctx *c = wpt_new_settings(no_settings);
    wp_report *r = scan_dir(c, m, len, WP_DIR_OUTBOUND);
    assert_finding(r, CODE, "2/memo.doc");
    const wp_finding *f = wpt_find(r, CODE, "2/memo.doc");
    assert_str_contains(f->evidence, "UTF-16LE");
    assert_str_contains(f->evidence, "'CONFIDENTIAL'"); /* longest first: 12 bytes beat 6 */
    assert_int_equal(r->verdict.severity, 5);
    /* the class and its sentence come from one decision: the score the sentence names is the
     * one compared with the threshold (it said "clean: score 10 is below the spam threshold
     * 6") */
    assert_int_equal(r->verdict.cls, WP_VERDICT_CLEAN);
    assert_true(r->verdict.n_reasons > 0);
    int said = -1, dlp = -1, thr = -1;
    assert_int_equal(sscanf(r->verdict.reasons[0],
                            "clean: score %d without the DLP evidence (%d) is below the spam "
                            "threshold %d",
                            &said, &dlp, &thr),
                     3);
    assert_int_equal(dlp, r->verdict.category_score[WP_CAT_DLP]);
    assert_int_equal(said, r->verdict.score - dlp);
    assert_true(said < thr);
    wp_report_free(r);
    free(m);

    /* a lower-case "secret" in UTF-16LE is prose, not a marking */
    static const uint16_t prose[] = {'a', ' ', 's', 'e', 'c', 'r', 'e', 't', ' ', 'p', 'l'};
    memset(blob, 0x90, sizeof blob);
    for (size_t i = 0; i < sizeof prose / sizeof prose[0]; i++) {
        blob[32 + 2 * i] = (unsigned char)prose[i];
        blob[32 + 2 * i + 1] = 0;
    }
    m = wpt_mail_attachment("memo.doc", "application/msword", blob, sizeof blob, &len);
    r = scan_dir(c, m, len, WP_DIR_OUTBOUND);
    assert_int_equal(wpt_count(r, CODE), 0);
    wp_report_free(r);
    free(m);
    wpt_free(c);
}

static void
test_custom_markings_replace_defaults(void **state)
{
    (void)state;
    const char *const kv[] = {"dlp.marking", "internal only", "dlp.marking", "社外秘", NULL};
    wpt_ctx *c = wpt_new_settings(kv);
    char *m = text_mail("memo", "INTERNAL ONLY: draft");
    wp_report *r = scan_dir(c, m, strlen(m), WP_DIR_OUTBOUND);
    assert_finding(r, CODE, "body");
    assert_str_contains(wpt_find(r, CODE, "body")->evidence, "'INTERNAL ONLY'");
    wp_report_free(r);
    free(m);
    m = text_mail("memo", "Internal only in prose is fine");
    r = scan_dir(c, m, strlen(m), WP_DIR_OUTBOUND);
    assert_int_equal(wpt_count(r, CODE), 0);
    wp_report_free(r);
    free(m);
    m = text_mail("memo", "社外秘");
    r = scan_dir(c, m, strlen(m), WP_DIR_OUTBOUND);
    assert_finding(r, CODE, "body");
    wp_report_free(r);
    free(m);
    m = text_mail("memo", "SECRET\n【秘】\n極秘"); /* defaults replaced */
    r = scan_dir(c, m, strlen(m), WP_DIR_OUTBOUND);
    assert_int_equal(wpt_count(r, CODE), 0);
    wp_report_free(r);
    free(m);
    wpt_free(c);

    /* configured shortest first, the longest one that matches is still the one named */
    const char *const kv2[] = {"dlp.marking", "SECRET", "dlp.marking", "Top Secret", NULL};
    c = wpt_new_settings(kv2);
    m = text_mail("memo", "TOP SECRET");
    r = scan_dir(c, m, strlen(m), WP_DIR_OUTBOUND);
    assert_int_equal(wpt_count(r, CODE), 1);
    assert_str_contains(wpt_find(r, CODE, "body")->evidence, "'TOP SECRET'");
    wp_report_free(r);
    free(m);
    wpt_free(c);
}

static void
test_disabled(void **state)
{
    (void)state;
    const char *const kv[] = {"dlp.enable", "no", "dlp.direction", "all", NULL};
    wpt_ctx *c = wpt_new_settings(kv);
    char *m = text_mail("[SECRET]", "SECRET");
    wp_report *r = scan_dir(c, m, strlen(m), WP_DIR_OUTBOUND);
    assert_int_equal(wpt_count(r, CODE), 0);
    assert_int_equal(r->verdict.severity, 0);
    wp_report_free(r);
    free(m);
    wpt_free(c);
}

/* weight 0: the finding stays visible (monitoring), the hold and severity 5 do not happen */
static void
test_weight_zero_monitors(void **state)
{
    (void)state;
    const char *const kv[] = {"weight.DLP_CLASSIFIED_MARKING", "0", NULL};
    wpt_ctx *c = wpt_new_settings(kv);
    char *m = text_mail("plan", "SECRET");
    wp_report *r = scan_dir(c, m, strlen(m), WP_DIR_OUTBOUND);
    assert_finding(r, CODE, "body");
    assert_int_equal(r->verdict.severity, 0);
    assert_int_equal(r->verdict.action, WP_ACTION_DELIVER);
    assert_false(has_reason(r, "classified marking"));
    wp_report_free(r);
    free(m);
    wpt_free(c);
}

static void
expect_refused(const char *key, const char *value, wp_status want, const char *msg)
{
    const char *const kv[] = {key, value, NULL};
    char err[256] = "";
    wp_status st = wpt_try_settings(kv, err, sizeof err);
    if (st != want)
        fail_msg("%s = '%s': status %d, want %d (%s)", key, value, st, want, err);
    assert_str_contains(err, msg);
}

static void
test_bad_settings(void **state)
{
    (void)state;
    expect_refused("dlp.direction", "inbound", WP_EINVAL, "outbound or all");
    expect_refused("dlp.enable", "maybe", WP_EINVAL, "yes or no");
    expect_refused("dlp.marking", "  ", WP_EINVAL, "empty marking");
    expect_refused("dlp.marking",
                   "SE\x01"
                   "CRET",
                   WP_EINVAL, "control character");
    expect_refused("dlp.marking", "O'BRIEN", WP_EINVAL, "quote");
    expect_refused("dlp.marking", "\xff\xfe", WP_EINVAL, "not valid UTF-8");
    expect_refused("dlp.marking",
                   "0123456789012345678901234567890123456789012345678901234567890"
                   "1234",
                   WP_EINVAL, "longer than 64 bytes");
    expect_refused("dlp.pattern", "SECRET", WP_ENOTFOUND, "unknown setting");

    const char *kv[2 * 66 + 1];
    for (int i = 0; i < 65; i++) {
        kv[2 * i] = "dlp.marking";
        kv[2 * i + 1] = "SECRET";
    }
    kv[130] = NULL;
    char err[256] = "";
    assert_int_equal(wpt_try_settings(kv, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "more than 64");
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outbound_body_held),
        cmocka_unit_test(test_direction_all_audits_files),
        cmocka_unit_test(test_prose_is_not_a_marking),
        cmocka_unit_test(test_japanese_markings),
        cmocka_unit_test(test_subject_and_name),
        cmocka_unit_test(test_zip_member),
        cmocka_unit_test(test_utf16le_attachment),
        cmocka_unit_test(test_custom_markings_replace_defaults),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_weight_zero_monitors),
        cmocka_unit_test(test_bad_settings),
    };
    return wpt_main(argc, argv, "dlp", tests, sizeof tests / sizeof tests[0], NULL, 0, NULL, NULL);
}
