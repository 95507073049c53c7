/*
 * test_analyze.c - the urls and impersonation analyzers: each disguise is caught, and the
 * ordinary look of legitimate mail (a company's own links, a colleague's name at our own
 * domain, a mailing list's Reply-To) is not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "analyze/lookalike.h"
#include "analyze/names.h"
#include "analyze/seenset.h"
#include "wpt.h"

static const char *const no_settings[] = {"rules.default", "no", NULL};
static const char *const org[] = {"rules.default",
                                  "no",
                                  "impersonation.protected_domain",
                                  "mofa.go.jp",
                                  "impersonation.vip",
                                  "Taro Yamada <taro.yamada@mofa.go.jp>",
                                  "impersonation.org_name",
                                  "Ministry of Foreign Affairs",
                                  NULL};

static wp_report *
scan_mail(wpt_ctx *c, const char *from, const char *extra_hdrs, const char *ctype, const char *body)
{
    char *m = NULL;
    if (asprintf(&m,
                 "From: %s\r\nTo: Bob <bob@mofa.go.jp>\r\nSubject: hello\r\n"
                 "Date: Mon, 01 Jan 2024 12:00:00 +0000\r\nMessage-ID: <1@x>\r\n%s"
                 "MIME-Version: 1.0\r\nContent-Type: %s\r\n\r\n%s\r\n",
                 from, extra_hdrs, ctype, body) < 0)
        fail();
    wp_report *r = wpt_scan_str(c, m);
    free(m);
    return r;
}

static void
test_lookalike(void **state)
{
    (void)state;
    char why[160];
    const char *yes[] = {"mofa-go.jp",
                         "m0fa.go.jp",
                         "mofa.com",
                         "mofaa.go.jp",
                         "mfoa.go.jp",
                         "rnofa.go.jp",
                         "mofa.go.jp.evil.example",
                         "mofa-secure.com",
                         "login-mofa.net",
                         "xn--mfa-sed.go.jp"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!wp_lookalike(yes[i], "mofa.go.jp", why, sizeof why))
            fail_msg("%s should look like mofa.go.jp", yes[i]);
    const char *no[] = {"mofa.go.jp", "mail.mofa.go.jp", "example.com",
                        "moon.go.jp", "sofa-shop.com",   "mofa"};
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (wp_lookalike(no[i], "mofa.go.jp", why, sizeof why))
            fail_msg("%s should not look like mofa.go.jp (%s)", no[i], why);
    assert_int_equal(wp_edit_distance("kitten", "sitting", 5), 3);
    assert_int_equal(wp_edit_distance("abcd", "abdc", 2), 1);  /* transposition */
    assert_int_equal(wp_edit_distance("abc", "xyzxyz", 1), 2); /* capped */
}

/* "Mofa Mail Administrator <x@elsewhere>" to bob@mofa.go.jp: the recipient's organisation in
 * an outside sender's display name, with a Subject and without one. Without a Subject the To
 * address used to be read uninitialised (fuzz find
 * fuzz/regressions/message/uninit-to-address-without-subject). */
static void
test_lure_rcpt_org_in_name(void **state)
{
    (void)state;
    wpt_ctx *c = wpt_new_settings(no_settings);
    static const char *const subjects[] = {"Subject: mailbox quota\r\n", ""};
    for (size_t i = 0; i < 2; i++) {
        char *m = NULL;
        if (asprintf(&m,
                     "From: Mofa Mail Administrator <admin@quota-service.example>\r\n"
                     "To: Bob <bob@mofa.go.jp>\r\n%s"
                     "Date: Mon, 01 Jan 2024 12:00:00 +0000\r\nMessage-ID: <1@x>\r\n"
                     "Content-Type: text/plain\r\n\r\nyour mailbox is full\r\n",
                     subjects[i]) < 0)
            fail();
        wp_report *r = wpt_scan_str(c, m);
        free(m);
        assert_finding(r, "LURE_RCPT_ORG_IN_NAME", "header:From");
        wp_report_free(r);
    }
    /* the sender at the recipient's own domain is not a lure */
    wp_report *r = wpt_scan_str(c, "From: Mofa Mail Administrator <admin@mofa.go.jp>\r\n"
                                   "To: Bob <bob@mofa.go.jp>\r\n\r\nhello\r\n");
    assert_no_finding(r, "LURE_RCPT_ORG_IN_NAME", NULL);
    wp_report_free(r);
    wpt_free(c);
}

static void
test_names(void **state)
{
    (void)state;
    char n[128], a[128], reg[WP_DOMAIN_MAX];
    assert_true(wp_mailbox_split("\"Doe, John\" <John@Example.COM>", n, sizeof n, a, sizeof a));
    assert_string_equal(n, "Doe, John");
    assert_string_equal(a, "john@example.com");
    assert_true(wp_mailbox_split("jd@example.org (John Doe)", n, sizeof n, a, sizeof a));
    assert_string_equal(n, "John Doe");
    assert_false(wp_mailbox_split("undisclosed-recipients:;", n, sizeof n, a, sizeof a));
    assert_true(wp_registrable("a.b.example.co.uk", reg, sizeof reg));
    assert_string_equal(reg, "example.co.uk");
    assert_true(wp_registrable("www.mofa.go.jp", reg, sizeof reg));
    assert_string_equal(reg, "mofa.go.jp");
    assert_true(wp_host_is_ip("203.0.113.9"));
    assert_true(wp_host_is_ip("3405803785")); /* decimal form of 203.0.113.9 */
    assert_false(wp_host_is_ip("example.com"));
    assert_true(wp_ip_is_private("192.168.1.1"));
    assert_false(wp_ip_is_private("203.0.113.9"));
}

static void
test_url_tricks(void **state)
{
    (void)state;
    wpt_ctx *c = wpt_new_settings(no_settings);
    wp_report *r = scan_mail(c, "Shop <news@shop.example>", "", "text/html; charset=utf-8",
                             "<a href=\"http://evil.example/login\">www.bank.example</a>"
                             "<a href=\"http://203.0.113.9/x\">here</a>"
                             "<a href=\"https://bank.example@evil2.example/\">login</a>"
                             "<a href=\"https://bit.ly/abc\">short</a>"
                             "<a href=\"http://xn--pypal-4ve.com/\">pаypal</a>"
                             "<a href=\"data:text/html;base64,PGgxPmhpPC9oMT4=\">open</a>"
                             "<a href=\"https://x.firebaseapp.com/p\">doc</a>"
                             "<a href=\"https://login.paypal.com.secure.example/\">p</a>");
    static const char *const codes[] = {
        "URL_TEXT_HREF_MISMATCH", "URL_IP_HOST",  "URL_USERINFO",     "URL_SHORTENER",
        "URL_PUNYCODE",           "URL_DATA_URI", "URL_FREE_HOSTING", "URL_PROTECTED_IN_PATH"};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (wpt_find(r, codes[i], NULL) == NULL) {
            wpt_dump(r);
            fail_msg("%s not found", codes[i]);
        }
    assert_true(strstr(wpt_find(r, "URL_TEXT_HREF_MISMATCH", NULL)->evidence, "www.bank.example"));
    /* each trick is one finding, not one per link */
    assert_int_equal(wpt_count(r, "URL_IP_HOST"), 1);
    assert_true(r->verdict.cls == WP_VERDICT_PHISHING);
    wp_report_free(r);

    /* the sender's own links, matching text, private addresses: nothing */
    r = scan_mail(c, "Shop <news@shop.example>", "", "text/html",
                  "<a href=\"https://www.shop.example/a\">www.shop.example</a>"
                  "<a href=\"https://shop.example/b\">Read more</a>"
                  "<a href=\"http://192.168.1.10/intranet\">intranet</a>"
                  "<a href=\"https://docs.example.org/v2.0\">version 2.0</a>");
    for (size_t i = 0; i < r->n_findings; i++)
        if (strncmp(r->findings[i].code, "URL_", 4) == 0) {
            wpt_dump(r);
            fail_msg("unexpected %s", r->findings[i].code);
        }
    assert_int_equal(r->verdict.cls, WP_VERDICT_CLEAN);
    wp_report_free(r);
    wpt_free(c);
}

static void
test_html_credential_attachment(void **state)
{
    (void)state;
    wpt_ctx *c = wpt_new_settings(no_settings);
    const char *page = "<html><body><form action=\"https://collect.example/p.php\" "
                       "method=post><input type=\"password\" name=p></form></body></html>";
    size_t mlen = 0;
    char *mail = wpt_mail_attachment("invoice.html", "text/html", page, strlen(page), &mlen);
    wp_report *r = wpt_scan(c, mail, mlen);
    const wp_finding *f = wpt_find(r, "ATTACH_HTML_CREDENTIAL", NULL);
    if (f == NULL)
        wpt_dump(r);
    assert_non_null(f);
    assert_non_null(wpt_find(r, "HTML_PASSWORD_FIELD", NULL));
    assert_true(r->verdict.cls == WP_VERDICT_PHISHING);
    assert_int_equal(r->verdict.severity, 1);
    wp_report_free(r);
    free(mail);
    wpt_free(c);
}

static void
test_brand_and_display(void **state)
{
    (void)state;
    wpt_ctx *c = wpt_new_settings(no_settings);
    wp_report *r = scan_mail(c, "PayPal Service <service@pp-notice.example>", "", "text/plain",
                             "Your account is limited.");
    assert_non_null(wpt_find(r, "FROM_BRAND_MISMATCH", "header:From"));
    wp_report_free(r);
    r = scan_mail(c, "PayPal <service@paypal.com>", "", "text/plain", "Receipt.");
    assert_null(wpt_find(r, "FROM_BRAND_MISMATCH", NULL));
    wp_report_free(r);
    /* a spoofed brand sender whose links all go elsewhere; the real one links home */
    r = scan_mail(c, "eBay <aw-confirm@ebay.com>", "", "text/html",
                  "<a href=\"http://203.0.113.5/signin/\">https://signin.ebay.com/</a>");
    assert_non_null(wpt_find(r, "FROM_BRAND_FOREIGN_LINKS", NULL));
    wp_report_free(r);
    r = scan_mail(c, "eBay <aw-confirm@ebay.com>", "", "text/html",
                  "<a href=\"https://signin.ebay.com/\">sign in</a>"
                  "<a href=\"https://help.example.org/\">help</a>");
    assert_null(wpt_find(r, "FROM_BRAND_FOREIGN_LINKS", NULL));
    wp_report_free(r);
    r = scan_mail(c, "Winner Team <noreply@prize-8fb71.firebaseapp.com>", "", "text/plain", "x");
    assert_non_null(wpt_find(r, "FROM_FREE_HOSTING", NULL));
    wp_report_free(r);
    /* brands dressed in look-alike characters or glued to an emoji */
    r = scan_mail(c, "Banco do BrasiI <x@aviso.example>", "", "text/plain", "x");
    assert_non_null(wpt_find(r, "FROM_BRAND_MISMATCH", NULL));
    wp_report_free(r);
    r = scan_mail(c, "\xe2\x9c\x85McAfee Sicherheit <x@viral.example>", "", "text/plain", "x");
    assert_non_null(wpt_find(r, "FROM_BRAND_MISMATCH", NULL));
    wp_report_free(r);
    /* "purchase" is not Chase, "Norton Smith" is not the antivirus */
    r = scan_mail(c, "Purchase Desk <buy@shop.example>", "", "text/plain", "x");
    assert_null(wpt_find(r, "FROM_BRAND_MISMATCH", NULL));
    wp_report_free(r);
    r = scan_mail(c, "\"support@bank.example\" <x@mailer.example>", "", "text/plain", "x");
    assert_non_null(wpt_find(r, "FROM_DISPLAY_ADDRESS", NULL));
    wp_report_free(r);
    /* replies diverted to free mail, but not for a mailing list */
    r = scan_mail(c, "Ann <ann@corp.example>", "Reply-To: <ann.corp@gmail.com>\r\n", "text/plain",
                  "x");
    assert_non_null(wpt_find(r, "FROM_REPLYTO_DIVERGENT", NULL));
    wp_report_free(r);
    r = scan_mail(c, "Ann <ann@corp.example>",
                  "Reply-To: <ann.corp@gmail.com>\r\nList-Id: <talk.lists.example>\r\n",
                  "text/plain", "x");
    assert_null(wpt_find(r, "FROM_REPLYTO_DIVERGENT", NULL));
    wp_report_free(r);
    r = scan_mail(c, "X <x@bad%domain.>", "", "text/plain", "x");
    assert_non_null(wpt_find(r, "FROM_BAD_DOMAIN", NULL));
    wp_report_free(r);
    wpt_free(c);
}

static void
test_impersonation_of_us(void **state)
{
    (void)state;
    wpt_ctx *c = wpt_new_settings(org);
    /* a VIP's name on an outside address, linking to a look-alike of our domain */
    wp_report *r = scan_mail(c, "Yamada, Taro <taro.yamada.mofa@gmail.com>", "", "text/html",
                             "<a href=\"https://mofa-go.jp/login\">Please review</a>");
    assert_non_null(wpt_find(r, "IMP_DISPLAY_NAME_VIP", "header:From"));
    assert_non_null(wpt_find(r, "IMP_LOOKALIKE_DOMAIN", NULL));
    assert_int_equal(r->verdict.cls, WP_VERDICT_TARGETED);
    assert_int_equal(r->verdict.severity, 2);
    bool why = false;
    for (size_t i = 0; i < r->verdict.n_reasons; i++)
        why = why || strstr(r->verdict.reasons[i], "why aimed at us") != NULL;
    assert_true(why);
    wp_report_free(r);

    /* the VIP himself, from his own address: nothing */
    r = scan_mail(c, "Taro Yamada <taro.yamada@mofa.go.jp>", "", "text/plain", "Minutes.");
    assert_null(wpt_find(r, "IMP_DISPLAY_NAME_VIP", NULL));
    assert_int_equal(r->verdict.cls, WP_VERDICT_CLEAN);
    wp_report_free(r);

    /* a colleague's address, replies to the outside */
    r = scan_mail(c, "Desk <desk@mofa.go.jp>", "Reply-To: <desk@mofa-mail.example>\r\n",
                  "text/plain", "x");
    assert_non_null(wpt_find(r, "IMP_REPLYTO_DIVERGENT", NULL));
    wp_report_free(r);

    /* our domain in the display name of an outside address */
    r = scan_mail(c, "\"admin@mofa.go.jp\" <a@mailer.example>", "", "text/plain", "x");
    assert_non_null(wpt_find(r, "IMP_DISPLAY_NAME_DOMAIN", NULL));
    wp_report_free(r);
    wpt_free(c);
}

static void
test_internal_spoof_with_envelope(void **state)
{
    (void)state;
    wpt_ctx *c = wpt_new_settings(org);
    const char *m = "From: Desk <desk@mofa.go.jp>\r\nTo: bob@mofa.go.jp\r\nSubject: s\r\n\r\nx\r\n";
    wp_envelope env = {.client_ip = "198.51.100.7", .direction = WP_DIR_INBOUND};
    wp_report *r = NULL;
    assert_int_equal(wp_scan_message_env(c->sc, (const uint8_t *)m, strlen(m), &env, &r), WP_OK);
    assert_non_null(wpt_find(r, "IMP_INTERNAL_SPOOF", NULL));
    wp_report_free(r);
    /* the same from an authenticated submission of our own user: fine */
    env.authenticated = true;
    env.direction = WP_DIR_OUTBOUND;
    assert_int_equal(wp_scan_message_env(c->sc, (const uint8_t *)m, strlen(m), &env, &r), WP_OK);
    assert_null(wpt_find(r, "IMP_INTERNAL_SPOOF", NULL));
    wp_report_free(r);
    wpt_free(c);
}

/* A first-contact history file (SQLite, WAL), made empty and removed with its side files. */
static void
history_file(char *tmpl)
{
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    close(fd);
}

static void
history_remove(const char *db)
{
    const char *const sides[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char path[64];
        snprintf(path, sizeof path, "%s%s", db, sides[i]);
        unlink(path);
    }
}

static void
test_first_contact(void **state)
{
    (void)state;
    char db[] = "/tmp/wpt-history-XXXXXX";
    history_file(db);
    const char *kv[] = {"rules.default",
                        "no",
                        "impersonation.protected_domain",
                        "mofa.go.jp",
                        "impersonation.org_name",
                        "Ministry of Foreign Affairs",
                        "impersonation.history_db",
                        db,
                        NULL};
    wpt_ctx *c = wpt_new_settings(kv);
    const char *from = "Ministry of Foreign Affairs IT <it@new-sender.example>";
    wp_report *r = scan_mail(c, from, "", "text/plain", "x");
    assert_non_null(wpt_find(r, "IMP_FIRST_CONTACT", NULL));
    wp_report_free(r);
    r = scan_mail(c, from, "", "text/plain", "x");
    assert_null(wpt_find(r, "IMP_FIRST_CONTACT", NULL)); /* second time: known */
    wp_report_free(r);
    wpt_free(c);
    /* remembered across restarts */
    c = wpt_new_settings(kv);
    r = scan_mail(c, from, "", "text/plain", "x");
    assert_null(wpt_find(r, "IMP_FIRST_CONTACT", NULL));
    wp_report_free(r);
    wpt_free(c);
    history_remove(db);
}

/* The first-contact memory is bounded: a million distinct hashes through a set of 1,000
 * leave at most 1,000 remembered, and a hash that keeps coming back is never forgotten. */
static void
test_seenset_bounded(void **state)
{
    (void)state;
    wp_seenset s;
    wp_seenset_init(&s, 1000);
    const uint64_t regular = 0x9e3779b97f4a7c15ULL;
    assert_int_equal(wp_seenset_add(&s, regular), WP_SEEN_NEW);
    size_t peak = 0;
    for (uint64_t i = 1; i <= 1000000; i++) {
        assert_int_equal(wp_seenset_add(&s, i * 2654435761ULL + 1), WP_SEEN_NEW);
        if (i % 300 == 0)
            assert_int_not_equal(wp_seenset_add(&s, regular), WP_SEEN_NEW);
        if (wp_seenset_count(&s) > peak)
            peak = wp_seenset_count(&s);
    }
    assert_true(peak <= 1000 + 1);
    assert_true(s.rotations >= 1000000 / 500 - 1);
    /* tables never grow past twice the live entries of a generation */
    assert_true(s.cur.cap <= 2048 && s.prev.cap <= 2048);
    /* a hash last seen two generations ago is forgotten: a first contact again */
    assert_int_equal(wp_seenset_add(&s, 1 * 2654435761ULL + 1), WP_SEEN_NEW);
    wp_seenset_free(&s);
}

/* The history file is bounded like memory: history_max domains, the most recent kept. */
static void
test_first_contact_bounded(void **state)
{
    (void)state;
    char db[] = "/tmp/wpt-history-XXXXXX";
    history_file(db);
    const char *kv[] = {"rules.default",
                        "no",
                        "impersonation.protected_domain",
                        "mofa.go.jp",
                        "impersonation.history_db",
                        db,
                        "impersonation.history_max",
                        "1000",
                        NULL};
    wpt_ctx *c = wpt_new_settings(kv);
    char from[128];
    for (int i = 0; i < 2600; i++) {
        snprintf(from, sizeof from, "x <a@sender%d.example>", i);
        wp_report *r = scan_mail(c, from, "", "text/plain", "x");
        wp_report_free(r);
    }
    wpt_free(c);
    /* reopened: trimmed to the newest 1,000; the latest sender is still known */
    c = wpt_new_settings(kv);
    wpt_free(c);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT count(*), sum(domain = 'sender2599.example'),"
                                        " sum(domain = 'sender0.example') FROM sender_domain",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_true(sqlite3_column_int(q, 0) <= 1000);
    assert_true(sqlite3_column_int(q, 0) >= 500);
    assert_int_equal(sqlite3_column_int(q, 1), 1);
    assert_int_equal(sqlite3_column_int(q, 2), 0);
    sqlite3_finalize(q);
    sqlite3_close(h);
    const char *bad[] = {"impersonation.history_max", "10", NULL};
    char err[256];
    assert_int_equal(wpt_try_settings(bad, err, sizeof err), WP_EINVAL);
    history_remove(db);
}

static void
test_bad_settings(void **state)
{
    (void)state;
    char err[256];
    const char *a[] = {"impersonation.protected_domain", "not a domain", NULL};
    assert_int_equal(wpt_try_settings(a, err, sizeof err), WP_EINVAL);
    assert_non_null(strstr(err, "not a domain"));
    const char *b[] = {"impersonation.vip", "Taro", NULL};
    assert_int_equal(wpt_try_settings(b, err, sizeof err), WP_EINVAL);
    const char *d[] = {"urls.allow", "http://x.example/path", NULL};
    assert_int_equal(wpt_try_settings(d, err, sizeof err), WP_EINVAL);
    const char *e[] = {"urls.nonsense", "1", NULL};
    assert_int_equal(wpt_try_settings(e, err, sizeof err), WP_ENOTFOUND);
    const char *f[] = {"impersonation.history_db", "/nonexistent-dir/x/y.db", NULL};
    assert_int_equal(wpt_try_settings(f, err, sizeof err), WP_EIO);
    assert_non_null(strstr(err, "/nonexistent-dir/x/y.db"));
}

static void
test_image_lure(void **state)
{
    (void)state;
    wpt_ctx *c = wpt_new_settings(no_settings);
    wp_report *r = scan_mail(c, "Shop <a@shop.example>", "", "text/html",
                             "<a href=\"https://x.example/c\"><img src=\"https://x.example/i.png\">"
                             "</a>");
    assert_non_null(wpt_find(r, "HTML_IMAGE_LURE", NULL));
    wp_report_free(r);
    /* the same picture with a paragraph of text is an ordinary newsletter */
    r = scan_mail(
        c, "Shop <a@shop.example>", "", "text/html",
        "<a href=\"https://x.example/c\"><img src=\"https://x.example/i.png\"></a>"
        "<p>This week in the shop: new arrivals for the garden, a guide to choosing "
        "tools, our opening hours over the holidays, and the answers to the questions "
        "readers sent us about deliveries, returns and the loyalty programme. You receive "
        "this letter because you subscribed on our site; unsubscribe at any time.</p>");
    assert_null(wpt_find(r, "HTML_IMAGE_LURE", NULL));
    wp_report_free(r);
    wpt_free(c);
}

static void
test_sender_style(void **state)
{
    (void)state;
    wpt_ctx *c = wpt_new_settings(no_settings);
    wp_report *r = scan_mail(c, "Zalando , <noreply@shop.example>", "", "text/plain", "x");
    assert_non_null(wpt_find(r, "FROM_MULTIPLE", "header:From"));
    wp_report_free(r);
    r = scan_mail(c, "Bitcoin <a@one.example>, Office <b@two.example>", "", "text/plain", "x");
    assert_non_null(wpt_find(r, "FROM_MULTIPLE", NULL));
    wp_report_free(r);
    r = scan_mail(c, "Cindy <QwdoRdHhS@mailer.example>", "", "text/plain", "x");
    assert_non_null(wpt_find(r, "FROM_RANDOM_LOCALPART", NULL));
    wp_report_free(r);
    r = scan_mail(c, "United Healthcare Billing <x7@pier.example>", "", "text/plain", "x");
    assert_non_null(wpt_find(r, "FROM_NAME_UNRELATED", NULL));
    wp_report_free(r);
    /* Mathematical bold letters in the Subject */
    r = wpt_scan_str(
        c, "From: a@x.example\r\nSubject: \xf0\x9d\x97\x97\xf0\x9d\x97\xb2 Bahn\r\n\r\nx\r\n");
    assert_non_null(wpt_find(r, "HDR_OBFUSCATED_UNICODE", "header:Subject"));
    wp_report_free(r);
    /* zero-width spaces splitting a word of the Subject */
    r = wpt_scan_str(c, "From: a@x.example\r\nSubject: Fi\xe2\x80\x8bnal notice\r\n\r\nx\r\n");
    assert_non_null(wpt_find(r, "HDR_OBFUSCATED_UNICODE", "header:Subject"));
    wp_report_free(r);
    r = scan_mail(c, "Eco Savings by Elon Musk <news@energy.example>", "", "text/plain", "x");
    assert_non_null(wpt_find(r, "FROM_BRAND_MISMATCH", NULL));
    wp_report_free(r);
    /* ordinary senders: none of these */
    static const char *const fine[] = {
        "\"Doe, John\" <john.doe@corp.example>", "Jane Smith <jsmith@corp.example>",
        "Corp Newsletter <news@corp.example>", "Ann Lee <ann.lee.1985@gmail.com>"};
    for (size_t i = 0; i < sizeof fine / sizeof *fine; i++) {
        r = scan_mail(c, fine[i], "", "text/plain", "x");
        for (size_t k = 0; k < r->n_findings; k++)
            if (strncmp(r->findings[k].code, "FROM_", 5) == 0 ||
                strcmp(r->findings[k].code, "HDR_OBFUSCATED_UNICODE") == 0)
                fail_msg("%s: unexpected %s", fine[i], r->findings[k].code);
        wp_report_free(r);
    }
    wpt_free(c);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookalike),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_lure_rcpt_org_in_name),
        cmocka_unit_test(test_url_tricks),
        cmocka_unit_test(test_html_credential_attachment),
        cmocka_unit_test(test_brand_and_display),
        cmocka_unit_test(test_impersonation_of_us),
        cmocka_unit_test(test_internal_spoof_with_envelope),
        cmocka_unit_test(test_seenset_bounded),
        cmocka_unit_test(test_first_contact_bounded),
        cmocka_unit_test(test_first_contact),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_sender_style),
        cmocka_unit_test(test_image_lure),
    };
    const struct CMUnitTest bugs[] = {cmocka_unit_test(test_names)};
    return WPT_MAIN("analyze", tests, bugs, NULL, NULL);
}
