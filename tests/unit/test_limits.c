/*
 * test_limits.c - every limit that can be reached cheaply, tripped by a message built in
 * memory: the LIMIT_* finding is recorded (once), the scan still returns WP_OK, what lies
 * within the limit is still analysed, and a control scan with default limits shows that
 * the same message does not trip it (so the finding really comes from the configured limit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wpt.h"

/* deterministic incompressible filler */
static void
fill_random(unsigned char *d, size_t n, uint32_t seed)
{
    uint32_t x = seed ? seed : 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        d[i] = (unsigned char)(x >> 24);
    }
}

/* Scan msg with one limit set, and with defaults; returns the limited report. */
static wp_report *
scan_limited(const char *name, const char *value, const void *msg, size_t len, wp_report **control)
{
    wpt_ctx *c = wpt_new_limit(name, value);
    wp_report *r = wpt_scan(c, msg, len);
    wpt_free(c); /* a report outlives its scanner and engine */
    if (control != NULL) {
        wpt_ctx *d = wpt_new(NULL, false);
        *control = wpt_scan(d, msg, len);
        wpt_free(d);
    }
    return r;
}

static size_t
objects_at_depth_over(const wp_report *r, int depth)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_objects; i++)
        if (r->objects[i].depth > depth)
            n++;
    return n;
}

static size_t
objects_under(const wp_report *r, const char *prefix)
{
    size_t n = 0, pl = strlen(prefix);
    for (size_t i = 0; i < r->n_objects; i++)
        if (strncmp(r->objects[i].where, prefix, pl) == 0 && strlen(r->objects[i].where) > pl)
            n++;
    return n;
}

/* multipart/mixed with n text parts */
static char *
mail_with_parts(int n)
{
    wpt_buf b = {0};
    wpt_std_headers(&b, "many parts");
    wpt_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"B\"\n\n");
    for (int i = 1; i <= n; i++)
        wpt_buf_printf(&b, "--B\nContent-Type: text/plain\n\nbody of part %d\n", i);
    wpt_buf_printf(&b, "--B--\n");
    return b.p;
}

static void
test_limit_mime_parts(void **state)
{
    (void)state;
    char *msg = mail_with_parts(10);
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_mime_parts", "5", msg, strlen(msg), &ctl);
    assert_finding(r, "LIMIT_MIME_PARTS", NULL);
    assert_int_equal(wpt_count(r, "LIMIT_MIME_PARTS"), 1);
    assert_true(r->n_parts <= 5);
    assert_true(r->n_parts >= 1);
    /* what fits is analysed: the first parts, not the last */
    assert_non_null(wpt_part(r, "1"));
    assert_null(wpt_part(r, "10"));
    assert_str_contains(r->text_excerpt, "body of part 1");
    assert_str_not_contains(r->text_excerpt, "body of part 10");
    /* control: default limits see all 11 parts */
    assert_no_finding(ctl, "LIMIT_MIME_PARTS", NULL);
    assert_int_equal(ctl->n_parts, 11);
    assert_non_null(wpt_part(ctl, "10"));
    wp_report_free(ctl);
    wp_report_free(r);
    free(msg);
}

/* multipart nested `depth` levels deep around one text part */
static char *
mail_nested_multipart(int depth, const char *inner_text)
{
    wpt_buf b = {0};
    wpt_std_headers(&b, "deep");
    for (int i = 0; i < depth; i++)
        wpt_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"L%d\"\n\n--L%d\n", i, i);
    wpt_buf_printf(&b, "Content-Type: text/plain\n\n%s\n", inner_text);
    for (int i = depth - 1; i >= 0; i--)
        wpt_buf_printf(&b, "--L%d--\n", i);
    return b.p;
}

static void
test_limit_mime_depth(void **state)
{
    (void)state;
    char *msg = mail_nested_multipart(8, "INNERMOST TEXT http://deep.example/x");
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_mime_depth", "3", msg, strlen(msg), &ctl);
    assert_finding(r, "LIMIT_MIME_DEPTH", NULL);
    assert_int_equal(wpt_count(r, "LIMIT_MIME_DEPTH"), 1);
    for (size_t i = 0; i < r->n_parts; i++)
        assert_true(r->parts[i].depth <= 3);
    assert_non_null(wpt_part(r, "0"));
    assert_null(wpt_url(r, "http://deep.example/x", NULL));
    /* control: the innermost part is reached with the default depth (32) */
    assert_no_finding(ctl, "LIMIT_MIME_DEPTH", NULL);
    assert_non_null(wpt_url(ctl, "http://deep.example/x", "text"));
    assert_str_contains(ctl->text_excerpt, "INNERMOST TEXT");
    wp_report_free(ctl);
    wp_report_free(r);
    free(msg);
}

static void
test_limit_part_bytes(void **state)
{
    (void)state;
    unsigned char data[4096];
    fill_random(data, sizeof data, 7);
    size_t len = 0;
    char *msg = wpt_mail_attachment("big.bin", "application/octet-stream", data, sizeof data, &len);
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_part_bytes", "1K", msg, len, &ctl);
    assert_finding(r, "LIMIT_PART_SIZE", "2");
    const wp_object *o = wpt_object(r, "2/big.bin");
    assert_non_null(o);
    assert_true(o->truncated);
    assert_int_equal(o->size, 1024);
    assert_true(o->has_hashes); /* the analysed prefix is still hashed */
    const wp_part *p = wpt_part(r, "2");
    assert_non_null(p);
    assert_int_equal(p->size, 1024);
    /* control */
    assert_no_finding(ctl, "LIMIT_PART_SIZE", NULL);
    o = wpt_object(ctl, "2/big.bin");
    assert_non_null(o);
    assert_false(o->truncated);
    assert_int_equal(o->size, 4096);
    wp_report_free(ctl);
    wp_report_free(r);
    free(msg);
}

/* Several oversize parts: still one LIMIT_PART_SIZE finding per message. */
static void
test_limit_reported_once(void **state)
{
    (void)state;
    unsigned char data[3000];
    fill_random(data, sizeof data, 3);
    char *b64 = wpt_base64(data, sizeof data);
    wpt_buf b = {0};
    wpt_std_headers(&b, "three big parts");
    wpt_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"B\"\n\n");
    for (int i = 0; i < 3; i++)
        wpt_buf_printf(&b,
                       "--B\nContent-Type: application/octet-stream\n"
                       "Content-Disposition: attachment; filename=\"f%d.bin\"\n"
                       "Content-Transfer-Encoding: base64\n\n%s",
                       i, b64);
    wpt_buf_printf(&b, "--B--\n");
    wp_report *r = scan_limited("max_part_bytes", "1K", b.p, b.n, NULL);
    assert_int_equal(wpt_count(r, "LIMIT_PART_SIZE"), 1);
    for (int i = 0; i < 3; i++) {
        char w[32];
        snprintf(w, sizeof w, "%d/f%d.bin", i + 1, i);
        const wp_object *o = wpt_object(r, w);
        assert_non_null(o);
        assert_true(o->truncated);
        assert_int_equal(o->size, 1024);
    }
    wp_report_free(r);
    wpt_buf_free(&b);
    free(b64);
}

static void
test_limit_urls(void **state)
{
    (void)state;
    wpt_buf b = {0};
    wpt_std_headers(&b, "links");
    wpt_buf_printf(&b, "Content-Type: text/plain\n\n");
    for (int i = 0; i < 10; i++)
        wpt_buf_printf(&b, "see https://host%d.example/page%d now\n", i, i);
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_urls", "3", b.p, b.n, &ctl);
    assert_finding(r, "LIMIT_URLS", NULL);
    assert_int_equal(wpt_count(r, "LIMIT_URLS"), 1);
    assert_int_equal(r->n_urls, 3);
    assert_non_null(wpt_url(r, "https://host0.example/page0", "text"));
    assert_null(wpt_url(r, "https://host9.example/page9", NULL));
    assert_no_finding(ctl, "LIMIT_URLS", NULL);
    assert_int_equal(ctl->n_urls, 10);
    wp_report_free(ctl);
    wp_report_free(r);
    wpt_buf_free(&b);
}

static void
test_limit_archive_members(void **state)
{
    (void)state;
    wpt_member m[20];
    char names[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof names[i], "m%02d.txt", i);
        m[i] = (wpt_member){names[i], "member text\n", 12};
    }
    size_t zlen = 0;
    unsigned char *zip = wpt_zip(m, 20, false, &zlen);
    size_t len = 0;
    char *msg = wpt_mail_attachment("many.zip", "application/zip", zip, zlen, &len);
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_archive_members", "5", msg, len, &ctl);
    assert_finding(r, "LIMIT_ARCHIVE_MEMBERS", "2/many.zip");
    size_t n = objects_under(r, "2/many.zip/");
    assert_true(n >= 1 && n <= 5);
    assert_non_null(wpt_object(r, "2/many.zip/m00.txt"));
    assert_null(wpt_object(r, "2/many.zip/m19.txt"));
    assert_no_finding(ctl, "LIMIT_ARCHIVE_MEMBERS", NULL);
    assert_int_equal(objects_under(ctl, "2/many.zip/"), 20);
    wp_report_free(ctl);
    wp_report_free(r);
    free(msg);
    free(zip);
}

/* The member budget is per message, across archives. */
static void
test_limit_archive_members_per_message(void **state)
{
    (void)state;
    wpt_member m[3] = {{"a.txt", "a\n", 2}, {"b.txt", "b\n", 2}, {"c.txt", "c\n", 2}};
    size_t zlen = 0;
    unsigned char *zip = wpt_zip(m, 3, false, &zlen);
    char *b64 = wpt_base64(zip, zlen);
    wpt_buf b = {0};
    wpt_std_headers(&b, "two zips");
    wpt_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"B\"\n\n");
    for (int i = 0; i < 2; i++)
        wpt_buf_printf(&b,
                       "--B\nContent-Type: application/zip\n"
                       "Content-Disposition: attachment; filename=\"z%d.zip\"\n"
                       "Content-Transfer-Encoding: base64\n\n%s",
                       i, b64);
    wpt_buf_printf(&b, "--B--\n");
    wp_report *r = scan_limited("max_archive_members", "4", b.p, b.n, NULL);
    assert_finding(r, "LIMIT_ARCHIVE_MEMBERS", "2/z1.zip");
    assert_int_equal(objects_under(r, "1/z0.zip/"), 3);
    assert_int_equal(objects_under(r, "2/z1.zip/"), 1);
    wp_report_free(r);
    wpt_buf_free(&b);
    free(b64);
    free(zip);
}

/* zip nested `levels` deep; the innermost holds deep.exe (a fake PE) */
static unsigned char *
nested_zip(int levels, size_t *outlen)
{
    unsigned char pe[512];
    wpt_fake_pe(pe);
    wpt_member m = {"deep.exe", pe, sizeof pe};
    size_t len = 0;
    unsigned char *cur = wpt_zip(&m, 1, false, &len);
    for (int i = levels - 1; i >= 1; i--) {
        char name[32];
        snprintf(name, sizeof name, "l%d.zip", i);
        wpt_member z = {name, cur, len};
        size_t nlen = 0;
        unsigned char *next = wpt_zip(&z, 1, false, &nlen);
        free(cur);
        cur = next;
        len = nlen;
    }
    *outlen = len;
    return cur;
}

static void
test_limit_archive_depth(void **state)
{
    (void)state;
    size_t zlen = 0;
    unsigned char *zip = nested_zip(5, &zlen); /* l0 (the part) > l1 > l2 > l3 > l4 > deep.exe */
    size_t len = 0;
    char *msg = wpt_mail_attachment("l0.zip", "application/zip", zip, zlen, &len);
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_archive_depth", "2", msg, len, &ctl);
    assert_finding(r, "LIMIT_ARCHIVE_DEPTH", "2/l0.zip/l1.zip/l2.zip");
    assert_int_equal(objects_at_depth_over(r, 2), 0);
    assert_non_null(wpt_object(r, "2/l0.zip/l1.zip/l2.zip")); /* recorded, not opened */
    assert_no_finding(r, "ATTACH_EXECUTABLE", NULL);
    /* control: default depth 8 reaches the executable */
    assert_no_finding(ctl, "LIMIT_ARCHIVE_DEPTH", NULL);
    assert_finding(ctl, "ATTACH_EXECUTABLE", "2/l0.zip/l1.zip/l2.zip/l3.zip/l4.zip/deep.exe");
    const wp_object *o = wpt_object(ctl, "2/l0.zip/l1.zip/l2.zip/l3.zip/l4.zip/deep.exe");
    assert_non_null(o);
    assert_int_equal(o->depth, 5);
    wp_report_free(ctl);
    wp_report_free(r);
    free(msg);
    free(zip);
}

/* Hitting the ceiling of max_archive_depth still bounds recursion (a zip quine would
 * otherwise recurse forever); 70 levels > ceiling 64. */
static void
test_limit_archive_depth_ceiling(void **state)
{
    (void)state;
    size_t zlen = 0;
    unsigned char *zip = nested_zip(70, &zlen);
    size_t len = 0;
    char *msg = wpt_mail_attachment("l0.zip", "application/zip", zip, zlen, &len);
    wp_report *r = scan_limited("max_archive_depth", "1000", msg, len, NULL);
    assert_finding(r, "LIMIT_ARCHIVE_DEPTH", NULL);
    assert_int_equal(objects_at_depth_over(r, 64), 0);
    wp_report_free(r);
    free(msg);
    free(zip);
}

static void
test_limit_findings(void **state)
{
    (void)state;
    unsigned char pe[512];
    wpt_fake_pe(pe);
    wpt_member m[10];
    char names[10][16];
    for (int i = 0; i < 10; i++) {
        snprintf(names[i], sizeof names[i], "tool%d.exe", i);
        m[i] = (wpt_member){names[i], pe, sizeof pe};
    }
    size_t zlen = 0;
    unsigned char *zip = wpt_zip(m, 10, false, &zlen);
    size_t len = 0;
    char *msg = wpt_mail_attachment("tools.zip", "application/zip", zip, zlen, &len);
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_findings", "3", msg, len, &ctl);
    assert_int_equal(r->n_findings, 3);
    /* the reader learns that findings were dropped */
    assert_finding(r, "LIMIT_FINDINGS", "message");
    assert_string_equal(r->findings[2].code, "LIMIT_FINDINGS");
    assert_int_equal(wpt_count(r, "LIMIT_FINDINGS"), 1);
    /* all members were still analysed: the limit is on findings, not on work */
    assert_int_equal(objects_under(r, "2/tools.zip/"), 10);
    assert_true(ctl->n_findings >= 20);
    assert_no_finding(ctl, "LIMIT_FINDINGS", NULL);
    wp_report_free(ctl);
    wp_report_free(r);
    free(msg);
    free(zip);
}

static void
test_limit_header_bytes(void **state)
{
    (void)state;
    char subject[4097];
    for (int i = 0; i < 4096; i++)
        subject[i] = (char)('a' + i % 26);
    subject[4096] = '\0';
    wpt_buf b = {0};
    wpt_std_headers(&b, subject);
    wpt_buf_printf(&b, "Content-Type: text/plain\n\nhello\n");
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_header_bytes", "1K", b.p, b.n, &ctl);
    /* reported at "headers" (cut before parsing) or at "header:Subject" */
    const wp_finding *f = wpt_find(r, "LIMIT_HEADER_SIZE", NULL);
    if (f == NULL) {
        wpt_dump(r);
        fail_msg("no LIMIT_HEADER_SIZE");
    }
    assert_true(strcmp(f->where, "headers") == 0 || strcmp(f->where, "header:Subject") == 0);
    assert_int_equal(wpt_count(r, "LIMIT_HEADER_SIZE"), 1);
    assert_non_null(r->subject);
    assert_true(strlen(r->subject) <= 1024);
    assert_true(strlen(r->subject) >= 1000);
    assert_memory_equal(r->subject, subject, 100);
    /* other headers are unaffected */
    assert_string_equal(r->message_id, "<unit-test@watchpost.test>");
    assert_no_finding(ctl, "LIMIT_HEADER_SIZE", NULL);
    assert_string_equal(ctl->subject, subject);
    wp_report_free(ctl);
    wp_report_free(r);
    wpt_buf_free(&b);
}

static void
test_limit_header_count(void **state)
{
    (void)state;
    wpt_buf b = {0};
    wpt_std_headers(&b, "many headers");
    for (int i = 0; i < 50; i++)
        wpt_buf_printf(&b, "X-Filler-%d: value %d\n", i, i);
    wpt_buf_printf(&b, "Content-Type: text/plain\n\nbody\n");
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_header_count", "10", b.p, b.n, &ctl);
    assert_finding(r, "LIMIT_HEADER_COUNT", NULL);
    assert_string_equal(r->subject, "many headers"); /* within the first 10 */
    assert_no_finding(ctl, "LIMIT_HEADER_COUNT", NULL);
    wp_report_free(ctl);
    wp_report_free(r);
    wpt_buf_free(&b);
}

static void
test_limit_message_bytes(void **state)
{
    (void)state;
    wpt_buf b = {0};
    wpt_std_headers(&b, "long message");
    wpt_buf_printf(&b, "Content-Type: text/plain\n\nSTART OF BODY\n");
    while (b.n < 16 * 1024)
        wpt_buf_printf(&b, "filler line of ordinary text, nothing to see here\n");
    wpt_buf_printf(&b, "END OF BODY https://tail.example/after-the-limit\n");
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_message_bytes", "4K", b.p, b.n, &ctl);
    assert_finding(r, "LIMIT_MESSAGE_SIZE", "message");
    assert_int_equal(r->size, b.n); /* size is of the input, not of what was parsed */
    assert_true(r->parsed);
    assert_string_equal(r->subject, "long message");
    assert_true(r->text_bytes < 4096);
    assert_null(wpt_url(r, "https://tail.example/after-the-limit", NULL));
    assert_no_finding(ctl, "LIMIT_MESSAGE_SIZE", NULL);
    assert_non_null(wpt_url(ctl, "https://tail.example/after-the-limit", "text"));
    wp_report_free(ctl);
    wp_report_free(r);
    wpt_buf_free(&b);
}

static void
test_limit_archive_bytes(void **state)
{
    (void)state;
    /* stored (uncompressed) members: ratio 1, only the byte budget can trip */
    static unsigned char d[3][40000];
    wpt_member m[3];
    char names[3][16];
    for (int i = 0; i < 3; i++) {
        fill_random(d[i], sizeof d[i], (uint32_t)(11 + i));
        snprintf(names[i], sizeof names[i], "blob%d.bin", i);
        m[i] = (wpt_member){names[i], d[i], sizeof d[i]};
    }
    size_t zlen = 0;
    unsigned char *zip = wpt_zip(m, 3, true, &zlen);
    size_t len = 0;
    char *msg = wpt_mail_attachment("blobs.zip", "application/zip", zip, zlen, &len);
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_archive_bytes", "64K", msg, len, &ctl);
    assert_finding(r, "LIMIT_ARCHIVE_BYTES", "2/blobs.zip/blob1.bin");
    assert_no_finding(r, "LIMIT_ARCHIVE_RATIO", NULL);
    const wp_object *o0 = wpt_object(r, "2/blobs.zip/blob0.bin");
    assert_non_null(o0);
    assert_false(o0->truncated);
    assert_int_equal(o0->size, 40000);
    /* the member that crosses the budget is where expansion stops (bytes are counted per
     * 64 KiB read, so it may have been read whole) and nothing after it is opened */
    const wp_object *o1 = wpt_object(r, "2/blobs.zip/blob1.bin");
    assert_non_null(o1);
    assert_true(o1->truncated);
    assert_true(o0->size + o1->size <= 64 * 1024 + 64 * 1024);
    assert_null(wpt_object(r, "2/blobs.zip/blob2.bin"));
    assert_no_finding(ctl, "LIMIT_ARCHIVE_BYTES", NULL);
    assert_int_equal(objects_under(ctl, "2/blobs.zip/"), 3);
    wp_report_free(ctl);
    wp_report_free(r);
    free(msg);
    free(zip);
}

static void
test_limit_archive_ratio(void **state)
{
    (void)state;
    /* 2 MiB of zeros deflates to ~2 KiB: ratio ~1000:1, above the 1 MiB floor */
    size_t zn = 2u * 1024 * 1024;
    unsigned char *zeros = calloc(1, zn);
    assert_non_null(zeros);
    wpt_member m = {"zeros.bin", zeros, zn};
    size_t zlen = 0;
    unsigned char *zip = wpt_zip(&m, 1, false, &zlen);
    free(zeros);
    size_t len = 0;
    char *msg = wpt_mail_attachment("z.zip", "application/zip", zip, zlen, &len);
    /* default ratio 100: tripped */
    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *r = wpt_scan(c, msg, len);
    wpt_free(c);
    assert_finding(r, "LIMIT_ARCHIVE_RATIO", "2/z.zip/zeros.bin");
    const wp_object *o = wpt_object(r, "2/z.zip/zeros.bin");
    assert_non_null(o);
    assert_true(o->truncated);
    wp_report_free(r);
    /* ratio loosened to the ceiling: the whole member is expanded */
    r = scan_limited("max_archive_ratio", "100000", msg, len, NULL);
    assert_no_finding(r, "LIMIT_ARCHIVE_RATIO", NULL);
    o = wpt_object(r, "2/z.zip/zeros.bin");
    assert_non_null(o);
    assert_false(o->truncated);
    assert_int_equal(o->size, zn);
    wp_report_free(r);
    free(msg);
    free(zip);
}

/* A memory budget too small for the message: the scan still succeeds (hostile input never
 * makes a scan fail) and the report says the budget was exhausted. */
static void
mail_many_urls(wpt_buf *b, int n)
{
    wpt_std_headers(b, "memory");
    wpt_buf_printf(b, "Content-Type: text/plain\n\n");
    for (int i = 0; i < n; i++)
        wpt_buf_printf(b, "https://host%d.example/a/long/path/to/make/each/url/bigger/%d\n", i, i);
}

static void
bug_limit_memory_reported(void **state)
{
    (void)state;
    wpt_buf b = {0};
    mail_many_urls(&b, 3000);
    wp_report *r = scan_limited("max_memory_bytes", "256K", b.p, b.n, NULL);
    assert_true(r->n_urls < 3000); /* the budget did bound the work */
    assert_finding(r, "LIMIT_MEMORY", NULL);
    wp_report_free(r);
    wpt_buf_free(&b);
}

static void
test_limit_memory_bounds_work(void **state)
{
    (void)state;
    wpt_buf b = {0};
    mail_many_urls(&b, 3000);
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_memory_bytes", "256K", b.p, b.n, &ctl);
    assert_true(r->parsed);
    assert_true(r->n_urls < 3000);
    assert_int_equal(ctl->n_urls, 3000);
    wp_report_free(ctl);
    wp_report_free(r);
    wpt_buf_free(&b);
}

/* A message built to be slow (a zip of many members, each one sniffed, hashed and YARA-scanned)
 * against a 1 ms budget: the scan stops, says so once (LIMIT_TIME), has opened fewer members
 * than the unlimited control, and the incomplete analysis is quarantined at least
 * (action.incomplete), never delivered as if it were clean. */
static char *
mail_many_members(size_t *len)
{
    enum { N = 600, SZ = 4096 };
    wpt_member *m = calloc(N, sizeof *m);
    unsigned char *data = malloc((size_t)N * SZ);
    char(*names)[32] = calloc(N, sizeof *names);
    assert_true(m != NULL && data != NULL && names != NULL);
    fill_random(data, (size_t)N * SZ, 7);
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "m%03d.bin", i);
        m[i] = (wpt_member){names[i], data + (size_t)i * SZ, SZ};
    }
    size_t zlen = 0;
    unsigned char *zip = wpt_zip(m, N, true, &zlen);
    char *msg = wpt_mail_attachment("many.zip", "application/zip", zip, zlen, len);
    free(zip);
    free(m);
    free(data);
    free(names);
    return msg;
}

static void
test_limit_scan_time(void **state)
{
    (void)state;
    size_t len = 0;
    char *msg = mail_many_members(&len);
    static const char *const budget[] = {"max_scan_ms", "1", "max_archive_members", "1000", NULL};
    wpt_ctx *c = wpt_new_settings(budget);
    wp_report *r = wpt_scan(c, msg, len);
    wpt_free(c);
    wp_report *ctl = NULL;
    static const char *const roomy[] = {"max_archive_members", "1000", NULL};
    c = wpt_new_settings(roomy);
    ctl = wpt_scan(c, msg, len);
    wpt_free(c);

    assert_no_finding(ctl, "LIMIT_TIME", NULL);
    assert_int_equal(objects_under(ctl, "2/many.zip/"), 600);
    assert_int_equal(ctl->verdict.action, WP_ACTION_DELIVER);

    assert_finding(r, "LIMIT_TIME", NULL);
    assert_int_equal(wpt_count(r, "LIMIT_TIME"), 1);
    assert_true(objects_under(r, "2/many.zip/") < 600);
    assert_int_equal(r->verdict.action, WP_ACTION_QUARANTINE);
    bool said = false;
    for (size_t i = 0; i < r->verdict.n_reasons; i++)
        said = said || strstr(r->verdict.reasons[i], "incomplete analysis (LIMIT_TIME)") != NULL;
    assert_true(said);
    wp_report_free(r);

    /* a site may choose otherwise: action.incomplete = deliver keeps the computed action */
    static const char *const lax[] = {
        "max_scan_ms", "1", "max_archive_members", "1000", "action.incomplete", "deliver", NULL};
    c = wpt_new_settings(lax);
    r = wpt_scan(c, msg, len);
    wpt_free(c);
    assert_finding(r, "LIMIT_TIME", NULL);
    assert_int_equal(r->verdict.action, ctl->verdict.action);
    wp_report_free(r);
    wp_report_free(ctl);
    free(msg);
}

/* max_memory_bytes bounds the heap buffers sized from the input too: a stored (incompressible)
 * 6 MiB archive member under a 1 MiB budget is read in part and LIMIT_MEMORY says so; it used
 * to be read whole into a heap buffer the budget did not see. */
static void
test_limit_memory_archive_member(void **state)
{
    (void)state;
    size_t bn = 6u * 1024 * 1024;
    unsigned char *big = malloc(bn);
    assert_non_null(big);
    fill_random(big, bn, 11);
    wpt_member m = {"big.bin", big, bn};
    size_t zlen = 0;
    unsigned char *zip = wpt_zip(&m, 1, true, &zlen);
    free(big);
    size_t len = 0;
    char *msg = wpt_mail_attachment("b.zip", "application/zip", zip, zlen, &len);
    free(zip);
    wp_report *ctl = NULL;
    wp_report *r = scan_limited("max_memory_bytes", "1M", msg, len, &ctl);
    const wp_object *o = wpt_object(ctl, "2/b.zip/big.bin");
    assert_non_null(o);
    assert_int_equal(o->size, bn);
    assert_no_finding(ctl, "LIMIT_MEMORY", NULL);
    o = wpt_object(r, "2/b.zip/big.bin");
    if (o != NULL) /* the budget may already be spent before the member is listed */
        assert_true(o->size <= 1024 * 1024);
    assert_finding(r, "LIMIT_MEMORY", NULL);
    wp_report_free(ctl);
    wp_report_free(r);
    free(msg);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WPT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define WPT_ASAN 1
#endif

#ifndef WPT_ASAN
#include <sys/resource.h>
#include <sys/wait.h>

static size_t
b64_decode(const char *in, size_t n, unsigned char *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = in[i] ? strchr(al, in[i]) : NULL;
        if (p == NULL)
            continue; /* newlines; '=' ends nothing we need */
        acc = acc << 6 | (uint32_t)(p - al);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

/* An OLE2 file of a few KB whose root entry declares a 64 MiB mini stream: the stream is read
 * as far as the file's own sectors go, so the embedded package is still taken out when the
 * process may not map 64 MiB more. It used to malloc the declared 64 MiB (failing here, so
 * the executable inside went unseen). Address-space limits mean nothing under ASan's shadow
 * memory: this case runs in the plain build only. */
static void
test_limit_ole2_declared_size(void **state)
{
    (void)state;
    char *path = wpt_fixture_path("ole_package.eml");
    size_t flen = 0;
    unsigned char *eml = wpt_read_file(path, &flen);
    free(path);
    assert_non_null(eml);
    const char *b = strstr((const char *)eml, "minutes.doc");
    assert_non_null(b);
    b = strstr(b, "\n\n");
    assert_non_null(b);
    const char *e = strstr(b + 2, "\n--");
    assert_non_null(e);
    unsigned char *doc = malloc((size_t)(e - b));
    size_t dlen = b64_decode(b + 2, (size_t)(e - b - 2), doc);
    assert_true(dlen > 1024 && memcmp(doc, "\xD0\xCF\x11\xE0", 4) == 0);
    /* the root entry is the first directory entry; its stream size is at 0x78 */
    uint32_t ss = 1u << (doc[0x1E] | doc[0x1F] << 8);
    uint32_t dir = (uint32_t)doc[0x30] | (uint32_t)doc[0x31] << 8 | (uint32_t)doc[0x32] << 16 |
                   (uint32_t)doc[0x33] << 24;
    size_t root = (size_t)ss * (dir + 1);
    assert_true(root + 0x80 <= dlen && doc[root + 0x42] == 5);
    doc[root + 0x78] = 0, doc[root + 0x79] = 0, doc[root + 0x7A] = 0, doc[root + 0x7B] = 4;
    size_t len = 0;
    char *msg = wpt_mail_attachment("minutes.doc", "application/msword", doc, dlen, &len);
    free(doc);
    free(eml);

    wpt_ctx *c = wpt_new(NULL, false);
    wp_report *warm = wpt_scan(c, msg, len); /* everything lazily made is made now */
    wp_report_free(warm);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        unsigned long pages = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (f == NULL || fscanf(f, "%lu", &pages) != 1)
            _exit(3);
        fclose(f);
        rlim_t cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
        struct rlimit rl = {cur + 40u * 1024 * 1024, cur + 40u * 1024 * 1024};
        if (setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(3);
        wp_report *r = wpt_scan(c, msg, len);
        _exit(wpt_object(r, "2/minutes.doc/invoice.exe") != NULL ? 0 : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) != 0)
        fail_msg("the package inside an OLE2 file declaring a 64 MiB root stream was not taken "
                 "out under a 40 MiB address-space allowance (exit %d)",
                 WEXITSTATUS(st));
    wpt_free(c);
    free(msg);
}
#endif

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_mime_parts),
        cmocka_unit_test(test_limit_mime_depth),
        cmocka_unit_test(test_limit_part_bytes),
        cmocka_unit_test(test_limit_reported_once),
        cmocka_unit_test(test_limit_urls),
        cmocka_unit_test(test_limit_archive_members),
        cmocka_unit_test(test_limit_archive_members_per_message),
        cmocka_unit_test(test_limit_archive_depth),
        cmocka_unit_test(test_limit_archive_depth_ceiling),
        cmocka_unit_test(test_limit_findings),
        cmocka_unit_test(test_limit_header_bytes),
        cmocka_unit_test(test_limit_header_count),
        cmocka_unit_test(test_limit_message_bytes),
        cmocka_unit_test(test_limit_archive_bytes),
        cmocka_unit_test(test_limit_archive_ratio),
        cmocka_unit_test(test_limit_memory_bounds_work),
        cmocka_unit_test(test_limit_scan_time),
        cmocka_unit_test(test_limit_memory_archive_member),
#ifndef WPT_ASAN
        cmocka_unit_test(test_limit_ole2_declared_size),
#endif
    };
    const struct CMUnitTest bugs[] = {
        cmocka_unit_test(bug_limit_memory_reported),
    };
    return WPT_MAIN("limits", tests, bugs, NULL, NULL);
}
