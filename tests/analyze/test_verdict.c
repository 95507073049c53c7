/*
 * test_verdict.c - the scorer: contributions, classes, thresholds, severity, actions and the
 * settings that change them (docs/VERDICTS.md is the specification these tests hold it to).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wpt.h"

/* Three IP-host links (one code, counted once) and a userinfo trick. */
static const char *msg_links =
    "From: A <a@sender.example>\r\nTo: b@rcpt.example\r\nSubject: s\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n"
    "<a href=\"http://203.0.113.1/a\">a</a><a href=\"http://203.0.113.2/b\">b</a>"
    "<a href=\"http://203.0.113.3/c\">c</a><a href=\"https://x.example@evil.example/\">d</a>\r\n";

static const char *msg_exe_name =
    "From: A <a@sender.example>\r\nTo: b@rcpt.example\r\nSubject: s\r\n"
    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
    "--b\r\nContent-Type: application/octet-stream; name=\"invoice.pdf.js\"\r\n"
    "Content-Disposition: attachment; filename=\"invoice.pdf.js\"\r\n\r\n"
    "var a = 1;\r\n--b--\r\n";

static int
contribution_sum(const wp_report *r)
{
    int s = 0;
    for (size_t i = 0; i < r->n_findings; i++)
        s += r->findings[i].contribution;
    return s;
}

static void
test_contributions(void **state)
{
    (void)state;
    const char *kv[] = {"rules.default", "no", NULL};
    wpt_ctx *c = wpt_new_settings(kv);
    wp_report *r = wpt_scan_str(c, msg_links);
    /* URL_IP_HOST is reported once; URL_USERINFO once: the score is their weights' sum */
    const wp_finding *ip = wpt_find(r, "URL_IP_HOST", NULL);
    const wp_finding *ui = wpt_find(r, "URL_USERINFO", NULL);
    assert_non_null(ip);
    assert_non_null(ui);
    assert_int_equal(r->verdict.score, contribution_sum(r));
    assert_int_equal(r->verdict.score, ip->weight + ui->weight);
    assert_int_equal(r->verdict.category_score[WP_CAT_PHISHING], ip->weight + ui->weight);
    assert_int_equal(r->verdict.cls, WP_VERDICT_PHISHING);
    assert_int_equal(r->verdict.severity, 1);
    assert_int_equal(r->verdict.action, WP_ACTION_QUARANTINE);
    assert_true(r->verdict.n_reasons >= 2);
    assert_non_null(strstr(r->verdict.reasons[0], "phishing"));
    wp_report_free(r);
    wpt_free(c);
}

static void
test_weights_and_thresholds(void **state)
{
    (void)state;
    /* silence the two codes: clean */
    const char *off[] = {
        "rules.default", "no", "weight.URL_IP_HOST", "0", "weight.URL_USERINFO", "0", NULL};
    wpt_ctx *c = wpt_new_settings(off);
    wp_report *r = wpt_scan_str(c, msg_links);
    assert_int_equal(wpt_find(r, "URL_IP_HOST", NULL)->weight, 0);
    assert_int_equal(r->verdict.score, 0);
    assert_int_equal(r->verdict.cls, WP_VERDICT_CLEAN);
    assert_int_equal(r->verdict.action, WP_ACTION_DELIVER);
    wp_report_free(r);
    wpt_free(c);

    /* raise the phishing threshold above the score; the total still reaches spam */
    const char *high[] = {
        "rules.default", "no", "threshold.phishing", "50", "threshold.spam", "5", "action.spam",
        "quarantine",    NULL};
    c = wpt_new_settings(high);
    r = wpt_scan_str(c, msg_links);
    assert_int_equal(r->verdict.cls, WP_VERDICT_SPAM);
    assert_int_equal(r->verdict.severity, 0);
    assert_int_equal(r->verdict.action, WP_ACTION_QUARANTINE);
    wp_report_free(r);
    wpt_free(c);

    /* reject above a score, whatever the class */
    const char *rej[] = {"rules.default", "no", "threshold.reject", "5", NULL};
    c = wpt_new_settings(rej);
    r = wpt_scan_str(c, msg_links);
    assert_int_equal(r->verdict.action, WP_ACTION_REJECT);
    wp_report_free(r);
    wpt_free(c);
}

static void
test_malware_class(void **state)
{
    (void)state;
    const char *kv[] = {"rules.default", "no", NULL};
    wpt_ctx *c = wpt_new_settings(kv);
    wp_report *r = wpt_scan_str(c, msg_exe_name);
    if (r->verdict.cls != WP_VERDICT_MALWARE)
        wpt_dump(r);
    assert_int_equal(r->verdict.cls, WP_VERDICT_MALWARE);
    assert_int_equal(r->verdict.severity, 1);
    assert_true(r->verdict.category_score[WP_CAT_MALWARE] >= 6);
    wp_report_free(r);
    wpt_free(c);
}

static void
test_clean_mail(void **state)
{
    (void)state;
    const char *kv[] = {"rules.default", "no", NULL};
    wpt_ctx *c = wpt_new_settings(kv);
    wp_report *r = wpt_scan_str(c, "From: A <a@x.example>\r\nTo: b@y.example\r\nSubject: "
                                   "lunch\r\nDate: Mon, 01 Jan 2024 12:00:00 +0000\r\n"
                                   "Message-ID: <1@x.example>\r\n\r\nFriday at noon?\r\n");
    assert_int_equal(r->verdict.cls, WP_VERDICT_CLEAN);
    assert_int_equal(r->verdict.score, 0);
    assert_int_equal(r->verdict.severity, 0);
    assert_int_equal(r->verdict.action, WP_ACTION_DELIVER);
    assert_string_equal(wp_verdict_name(r->verdict.cls), "clean");
    wp_report_free(r);
    wpt_free(c);
}

static void
test_bad_settings(void **state)
{
    (void)state;
    char err[256];
    const char *a[] = {"weight.NO_SUCH_CODE", "3", NULL};
    assert_int_equal(wpt_try_settings(a, err, sizeof err), WP_ENOTFOUND);
    assert_non_null(strstr(err, "NO_SUCH_CODE"));
    const char *b[] = {"weight.URL_IP_HOST", "many", NULL};
    assert_int_equal(wpt_try_settings(b, err, sizeof err), WP_EINVAL);
    const char *d[] = {"threshold.spam", "-1", NULL};
    assert_int_equal(wpt_try_settings(d, err, sizeof err), WP_EINVAL);
    const char *e[] = {"action.phishing", "explode", NULL};
    assert_int_equal(wpt_try_settings(e, err, sizeof err), WP_EINVAL);
    const char *f[] = {"action.unknown", "tag", NULL};
    assert_int_equal(wpt_try_settings(f, err, sizeof err), WP_ENOTFOUND);
    const char *g[] = {"nonsense", "1", NULL};
    assert_int_equal(wpt_try_settings(g, err, sizeof err), WP_ENOTFOUND);
    const char *h[] = {"max_part_bytes", "lots", NULL};
    assert_int_equal(wpt_try_settings(h, err, sizeof err), WP_EINVAL);
    assert_string_equal(wp_severity_name(5), "classified at risk");
    assert_string_equal(wp_action_name(WP_ACTION_TAG), "tag");
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contributions), cmocka_unit_test(test_weights_and_thresholds),
        cmocka_unit_test(test_malware_class), cmocka_unit_test(test_clean_mail),
        cmocka_unit_test(test_bad_settings),
    };
    const struct CMUnitTest bugs[] = {cmocka_unit_test(test_clean_mail)};
    return WPT_MAIN("verdict", tests, bugs, NULL, NULL);
}
