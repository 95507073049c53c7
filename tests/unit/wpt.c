/*
 * wpt.c - shared helpers for the libwatchpost unit tests.
 */
#include "wpt.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- engine + scanner ---- */

wpt_ctx *
wpt_new(const wp_limits *lim, bool rules)
{
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    if (lim != NULL)
        cfg.limits = *lim;
    static const char *const paths[] = {WP_RULES};
    if (rules) {
        cfg.rule_paths = paths;
        cfg.n_rule_paths = 1;
    }
    wpt_ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    char err[512] = "";
    wp_status st = wp_engine_new(&cfg, &c->eng, err, sizeof err);
    if (st != WP_OK)
        fail_msg("wp_engine_new: %s (%s)", wp_strerror(st), err);
    assert_int_equal(wp_scanner_new(c->eng, &c->sc), WP_OK);
    assert_non_null(c->sc);
    return c;
}

wp_status
wpt_try_settings(const char *const *kv, char *err, size_t errlen)
{
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    wp_status st = WP_OK;
    for (size_t i = 0; kv[i] != NULL && st == WP_OK; i += 2)
        st = wp_engine_config_set(&cfg, kv[i], kv[i + 1], err, errlen);
    wp_engine *e = NULL;
    if (st == WP_OK)
        st = wp_engine_new(&cfg, &e, err, errlen);
    wp_engine_free(e);
    wp_engine_config_fini(&cfg);
    return st;
}

wpt_ctx *
wpt_new_settings(const char *const *kv)
{
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    char err[512] = "";
    for (size_t i = 0; kv[i] != NULL; i += 2)
        if (wp_engine_config_set(&cfg, kv[i], kv[i + 1], err, sizeof err) != WP_OK)
            fail_msg("setting %s = %s refused: %s", kv[i], kv[i + 1], err);
    wpt_ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    wp_status st = wp_engine_new(&cfg, &c->eng, err, sizeof err);
    wp_engine_config_fini(&cfg);
    if (st != WP_OK)
        fail_msg("wp_engine_new: %s (%s)", wp_strerror(st), err);
    assert_int_equal(wp_scanner_new(c->eng, &c->sc), WP_OK);
    return c;
}

void
wpt_free(wpt_ctx *c)
{
    if (c == NULL)
        return;
    wp_scanner_free(c->sc);
    wp_engine_free(c->eng);
    free(c);
}

wpt_ctx *
wpt_new_limit(const char *name, const char *value)
{
    wp_limits lim;
    wp_limits_init(&lim);
    char err[256] = "";
    if (wp_limits_set_by_name(&lim, name, value, err, sizeof err) != WP_OK)
        fail_msg("cannot set %s=%s: %s", name, value, err);
    return wpt_new(&lim, false);
}

wp_report *
wpt_scan(wpt_ctx *c, const void *data, size_t len)
{
    wp_report *r = NULL;
    wp_status st = wp_scan_message(c->sc, data, len, &r);
    if (st != WP_OK)
        fail_msg("wp_scan_message returned %s", wp_strerror(st));
    assert_non_null(r);
    assert_string_equal(r->schema_version, WP_REPORT_SCHEMA_VERSION);
    assert_int_equal(r->size, len);
    return r;
}

wp_report *
wpt_scan_str(wpt_ctx *c, const char *msg)
{
    return wpt_scan(c, msg, strlen(msg));
}

char *
wpt_fixture_path(const char *name)
{
    size_t n = strlen(WP_FIXTURES) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", WP_FIXTURES, name);
    return p;
}

unsigned char *
wpt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    wpt_buf b = {0};
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        wpt_buf_add(&b, tmp, n);
    fclose(f);
    wpt_buf_add(&b, "", 1); /* NUL for string use, not counted */
    *len = b.n - 1;
    return (unsigned char *)b.p;
}

wp_report *
wpt_scan_fixture(wpt_ctx *c, const char *name)
{
    char *path = wpt_fixture_path(name);
    size_t len = 0;
    unsigned char *d = wpt_read_file(path, &len);
    free(path);
    wp_report *r = wpt_scan(c, d, len);
    free(d);
    return r;
}

/* ---- report queries ---- */

const wp_finding *
wpt_find(const wp_report *r, const char *code, const char *where)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        const wp_finding *f = &r->findings[i];
        if (strcmp(f->code, code) == 0 && (where == NULL || strcmp(f->where, where) == 0))
            return f;
    }
    return NULL;
}

size_t
wpt_count(const wp_report *r, const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_findings; i++)
        if (strcmp(r->findings[i].code, code) == 0)
            n++;
    return n;
}

const wp_object *
wpt_object(const wp_report *r, const char *where)
{
    for (size_t i = 0; i < r->n_objects; i++)
        if (r->objects[i].where != NULL && strcmp(r->objects[i].where, where) == 0)
            return &r->objects[i];
    return NULL;
}

const wp_part *
wpt_part(const wp_report *r, const char *id)
{
    for (size_t i = 0; i < r->n_parts; i++)
        if (r->parts[i].id != NULL && strcmp(r->parts[i].id, id) == 0)
            return &r->parts[i];
    return NULL;
}

const wp_url *
wpt_url(const wp_report *r, const char *url, const char *source)
{
    for (size_t i = 0; i < r->n_urls; i++)
        if (strcmp(r->urls[i].url, url) == 0 &&
            (source == NULL || strcmp(r->urls[i].source, source) == 0))
            return &r->urls[i];
    return NULL;
}

static const char *
nz(const char *s)
{
    return s ? s : "(null)";
}

void
wpt_dump(const wp_report *r)
{
    fprintf(stderr, "--- report: %zu findings, %zu objects, %zu parts, %zu urls\n", r->n_findings,
            r->n_objects, r->n_parts, r->n_urls);
    for (size_t i = 0; i < r->n_findings; i++)
        fprintf(stderr, "  finding %-24s w=%d at %s: %s\n", r->findings[i].code,
                r->findings[i].weight, nz(r->findings[i].where), nz(r->findings[i].evidence));
    for (size_t i = 0; i < r->n_objects && i < 50; i++)
        fprintf(stderr, "  object  %s kind=%s true=%s size=%llu%s\n", nz(r->objects[i].where),
                nz(r->objects[i].kind), nz(r->objects[i].true_type),
                (unsigned long long)r->objects[i].size,
                r->objects[i].truncated ? " truncated" : "");
    for (size_t i = 0; i < r->n_parts && i < 50; i++)
        fprintf(stderr, "  part    %s parent=%s %s\n", nz(r->parts[i].id), nz(r->parts[i].parent),
                nz(r->parts[i].content_type));
    for (size_t i = 0; i < r->n_urls && i < 50; i++)
        fprintf(stderr, "  url     %s (%s) text=%s\n", nz(r->urls[i].url), nz(r->urls[i].source),
                nz(r->urls[i].text));
}

/* ---- buffer ---- */

void
wpt_buf_add(wpt_buf *b, const void *d, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        assert_non_null(np);
        b->p = np;
        b->cap = nc;
    }
    if (n > 0)
        memcpy(b->p + b->n, d, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void
wpt_buf_printf(wpt_buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    char *tmp = malloc((size_t)n + 1);
    assert_non_null(tmp);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    wpt_buf_add(b, tmp, (size_t)n);
    free(tmp);
}

void
wpt_buf_free(wpt_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

char *
wpt_base64(const void *data, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *d = data;
    wpt_buf b = {0};
    wpt_buf_add(&b, "", 0);
    size_t col = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)d[i + 1] << 8;
        if (i + 2 < n)
            v |= d[i + 2];
        char q[4] = {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63], i + 1 < n ? tbl[(v >> 6) & 63] : '=',
                     i + 2 < n ? tbl[v & 63] : '='};
        wpt_buf_add(&b, q, 4);
        col += 4;
        if (col >= 76) {
            wpt_buf_add(&b, "\n", 1);
            col = 0;
        }
    }
    if (col > 0)
        wpt_buf_add(&b, "\n", 1);
    return b.p;
}

/* ---- zip ---- */

unsigned char *
wpt_zip(const wpt_member *m, size_t n, bool store, size_t *outlen)
{
    size_t cap = 4096;
    for (size_t i = 0; i < n; i++)
        cap += m[i].len + 2 * strlen(m[i].name) + 256;
    unsigned char *buf = malloc(cap);
    assert_non_null(buf);
    struct archive *a = archive_write_new();
    assert_non_null(a);
    assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    if (store)
        assert_int_equal(archive_write_zip_set_compression_store(a), ARCHIVE_OK);
    else
        assert_int_equal(archive_write_zip_set_compression_deflate(a), ARCHIVE_OK);
    size_t used = 0;
    assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, m[i].name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)m[i].len);
        archive_entry_set_mtime(e, 1704110400, 0);
        if (archive_write_header(a, e) != ARCHIVE_OK)
            fail_msg("archive_write_header: %s", archive_error_string(a));
        if (m[i].len > 0 && archive_write_data(a, m[i].data, m[i].len) != (la_ssize_t)m[i].len)
            fail_msg("archive_write_data: %s", archive_error_string(a));
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    assert_true(used > 0 && used <= cap);
    *outlen = used;
    return buf;
}

/* ---- messages ---- */

void
wpt_std_headers(wpt_buf *b, const char *subject)
{
    wpt_buf_printf(b,
                   "From: Alice Sender <alice@sender.example>\n"
                   "To: Bob Receiver <bob@receiver.example>\n"
                   "Subject: %s\n"
                   "Date: Mon, 01 Jan 2024 12:00:00 +0000\n"
                   "Message-ID: <unit-test@watchpost.test>\n"
                   "MIME-Version: 1.0\n",
                   subject);
}

char *
wpt_mail_attachment(const char *filename, const char *ctype, const void *data, size_t len,
                    size_t *outlen)
{
    wpt_buf b = {0};
    wpt_std_headers(&b, "attachment test");
    char *b64 = wpt_base64(data, len);
    wpt_buf_printf(&b,
                   "Content-Type: multipart/mixed; boundary=\"BOUNDARY\"\n\n"
                   "--BOUNDARY\nContent-Type: text/plain; charset=us-ascii\n\nSee attached.\n\n"
                   "--BOUNDARY\nContent-Type: %s; name=\"%s\"\n"
                   "Content-Disposition: attachment; filename=\"%s\"\n"
                   "Content-Transfer-Encoding: base64\n\n%s\n--BOUNDARY--\n",
                   ctype, filename, filename, b64);
    free(b64);
    if (outlen != NULL)
        *outlen = b.n;
    return b.p;
}

/* ---- runner ---- */

static wpt_ctx *shared_ctx;

int
wpt_group_setup_rules(void **state)
{
    (void)state;
    shared_ctx = wpt_new(NULL, true);
    return shared_ctx == NULL ? -1 : 0;
}

int
wpt_group_teardown(void **state)
{
    (void)state;
    wpt_free(shared_ctx);
    shared_ctx = NULL;
    return 0;
}

wpt_ctx *
wpt_shared(void)
{
    assert_non_null(shared_ctx);
    return shared_ctx;
}

int wpt_skipped;

/* A run's exit status: failures first; then skips, which ctest shows as Skipped (or, under
 * WP_REQUIRE_ALL=1, as a failure). */
static int
wpt_status(int failed, const char *group)
{
    if (failed != 0 || wpt_skipped == 0)
        return failed;
    const char *req = getenv("WP_REQUIRE_ALL");
    if (req != NULL && strcmp(req, "1") == 0) {
        fprintf(stderr, "%s: %d test(s) skipped, and WP_REQUIRE_ALL=1 requires every test to run\n",
                group, wpt_skipped);
        return 1;
    }
    fprintf(stderr, "%s: %d test(s) skipped\n", group, wpt_skipped);
    return WPT_SKIP_CODE;
}

int
wpt_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests, size_t n_tests,
         const struct CMUnitTest *bugs, size_t n_bugs, CMFixtureFunction setup,
         CMFixtureFunction teardown)
{
    if (argc >= 3 && strcmp(argv[1], "--bug") == 0) {
        for (size_t i = 0; i < n_bugs; i++) {
            if (strcmp(bugs[i].name, argv[2]) == 0) {
                char gname[256];
                snprintf(gname, sizeof gname, "%s (library bug)", group);
                return wpt_status(_cmocka_run_group_tests(gname, &bugs[i], 1, setup, teardown),
                                  gname);
            }
        }
        fprintf(stderr, "no bug test named '%s'\n", argv[2]);
        return 2;
    }
    if (argc >= 2 && strcmp(argv[1], "--list-bugs") == 0) {
        for (size_t i = 0; i < n_bugs; i++)
            printf("%s\n", bugs[i].name);
        return 0;
    }
    if (argc >= 2) {
        fprintf(stderr, "usage: %s [--bug NAME | --list-bugs]\n", argv[0]);
        return 2;
    }
    return wpt_status(_cmocka_run_group_tests(group, tests, n_tests, setup, teardown), group);
}

void
wpt_fake_pe(unsigned char pe[512])
{
    memset(pe, 0, 512);
    pe[0] = 'M';
    pe[1] = 'Z';
    pe[0x3C] = 0x80;
    memcpy(pe + 0x80, "PE\0\0", 4);
    pe[0x84] = 0x4C; /* i386 */
    pe[0x85] = 0x01;
    pe[0x96] = 0x02; /* characteristics: executable image */
}
