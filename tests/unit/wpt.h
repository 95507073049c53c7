/*
 * wpt.h - shared helpers for the libwatchpost unit tests (cmocka).
 *
 * Engines/scanners through the public API, fixture loading, report queries that print the
 * report's findings when an expectation fails, in-memory message and zip builders (zips are
 * written with libarchive's writer so no binary test data is needed), and a tiny runner that
 * keeps tests exposing known library bugs apart from the ones that must pass.
 */
#ifndef WPT_H
#define WPT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka.h needs the four headers above first: its own block keeps include sorting away */
#include <cmocka.h>

#include "watchpost/watchpost.h"

#ifndef WP_FIXTURES
#error "WP_FIXTURES must be defined by the build"
#endif
#ifndef WP_RULES
#error "WP_RULES must be defined by the build"
#endif

/* ---- engine + scanner ---- */

typedef struct wpt_ctx {
    wp_engine *eng;
    wp_scanner *sc;
} wpt_ctx;

/* lim NULL: defaults. rules: load WP_RULES. Fails the test on error. */
wpt_ctx *wpt_new(const wp_limits *lim, bool rules);
void wpt_free(wpt_ctx *c);
/* An engine with configuration settings: kv is { "key", "value", ..., NULL }; no YARA rules.
 * Fails the test when a setting or the engine is refused. */
wpt_ctx *wpt_new_settings(const char *const *kv);
/* The same, returning the status and error instead of failing (for bad-setting tests). */
wp_status wpt_try_settings(const char *const *kv, char *err, size_t errlen);
/* One limit changed from the defaults, no rules (fast). */
wpt_ctx *wpt_new_limit(const char *name, const char *value);

/* Scan bytes; asserts WP_OK and a non-NULL report. */
wp_report *wpt_scan(wpt_ctx *c, const void *data, size_t len);
wp_report *wpt_scan_str(wpt_ctx *c, const char *msg);
/* Scan tests/fixtures/<name>. */
wp_report *wpt_scan_fixture(wpt_ctx *c, const char *name);

/* malloc'd file contents (NUL-terminated for convenience); fails the test when unreadable. */
unsigned char *wpt_read_file(const char *path, size_t *len);
char *wpt_fixture_path(const char *name); /* malloc'd */

/* ---- report queries ---- */

/* where NULL matches any location. */
const wp_finding *wpt_find(const wp_report *r, const char *code, const char *where);
size_t wpt_count(const wp_report *r, const char *code);
const wp_object *wpt_object(const wp_report *r, const char *where);
const wp_part *wpt_part(const wp_report *r, const char *id);
/* source NULL matches any. */
const wp_url *wpt_url(const wp_report *r, const char *url, const char *source);
void wpt_dump(const wp_report *r); /* findings, objects, parts, urls to stderr */

#define assert_finding(r, code, where)                                                  \
    do {                                                                                \
        if (wpt_find((r), (code), (where)) == NULL) {                                   \
            wpt_dump(r);                                                                \
            fail_msg("expected finding %s at %s", (code), (where) ? (where) : "(any)"); \
        }                                                                               \
    } while (0)

#define assert_no_finding(r, code, where)                                                 \
    do {                                                                                  \
        if (wpt_find((r), (code), (where)) != NULL) {                                     \
            wpt_dump(r);                                                                  \
            fail_msg("unexpected finding %s at %s", (code), (where) ? (where) : "(any)"); \
        }                                                                                 \
    } while (0)

#define assert_str_prefix(s, prefix)                                 \
    do {                                                             \
        const char *s_ = (s);                                        \
        assert_non_null(s_);                                         \
        if (strncmp(s_, (prefix), strlen(prefix)) != 0)              \
            fail_msg("'%s' does not start with '%s'", s_, (prefix)); \
    } while (0)

#define assert_str_contains(s, needle)                            \
    do {                                                          \
        const char *s_ = (s);                                     \
        assert_non_null(s_);                                      \
        if (strstr(s_, (needle)) == NULL)                         \
            fail_msg("'%s' does not contain '%s'", s_, (needle)); \
    } while (0)

#define assert_str_not_contains(s, needle)                \
    do {                                                  \
        const char *s_ = (s);                             \
        if (s_ != NULL && strstr(s_, (needle)) != NULL)   \
            fail_msg("'%s' contains '%s'", s_, (needle)); \
    } while (0)

/* ---- growable byte buffer ---- */

typedef struct wpt_buf {
    char *p;
    size_t n, cap;
} wpt_buf;

void wpt_buf_add(wpt_buf *b, const void *d, size_t n);
void wpt_buf_printf(wpt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wpt_buf_free(wpt_buf *b);

/* Base64 with CRLF-free 76-column lines, NUL-terminated, malloc'd. */
char *wpt_base64(const void *d, size_t n);

/* ---- zip builder (libarchive writer) ---- */

typedef struct wpt_member {
    const char *name;
    const void *data;
    size_t len;
} wpt_member;

/* A zip in memory; store=true writes members uncompressed. malloc'd. */
unsigned char *wpt_zip(const wpt_member *m, size_t n, bool store, size_t *outlen);

/* A 512-byte PE header like the fixtures' one: MZ, e_lfanew 0x80, "PE\0\0", i386, EXE. */
void wpt_fake_pe(unsigned char pe[512]);

/* ---- message builders ---- */

/* Headers of an ordinary message (From, To, Subject, Date, Message-ID, MIME-Version). */
void wpt_std_headers(wpt_buf *b, const char *subject);
/* multipart/mixed: a text part then one base64 attachment. malloc'd, NUL-terminated. */
char *wpt_mail_attachment(const char *filename, const char *ctype, const void *data, size_t len,
                          size_t *outlen);

/* ---- skips that ctest can see ----
 * cmocka's skip() ends a test without failing it, and the binary's exit status 0 makes ctest
 * report the whole binary as Passed. wpt_skip() counts the skip first: wpt_main() then exits
 * WPT_SKIP_CODE (77, the tests' SKIP_RETURN_CODE) when nothing failed, so ctest says
 * Skipped; with WP_REQUIRE_ALL=1 in the environment (CI, where the project installs every
 * dependency) a skip is a failure instead. */
#define WPT_SKIP_CODE 77
extern int wpt_skipped;
#define wpt_skip()     \
    do {               \
        wpt_skipped++; \
        skip();        \
    } while (0)

/* ---- runner: regular tests, and tests that expose known library bugs ---- */

/* argv: no argument runs `tests`; "--bug NAME" runs the one test of `bugs` called NAME
 * (ctest registers each as its own test, labelled library-bug). */
int wpt_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
             size_t n_tests, const struct CMUnitTest *bugs, size_t n_bugs, CMFixtureFunction setup,
             CMFixtureFunction teardown);
#define WPT_MAIN(group, tests, bugs, setup, teardown)                            \
    wpt_main(argc, argv, group, tests, sizeof(tests) / sizeof((tests)[0]), bugs, \
             sizeof(bugs) / sizeof((bugs)[0]), setup, teardown)

/* A shared engine with the default rules for the group (setup/teardown). */
int wpt_group_setup_rules(void **state);
int wpt_group_teardown(void **state);
wpt_ctx *wpt_shared(void);

#endif
