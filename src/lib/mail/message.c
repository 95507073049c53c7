/*
 * message.c - one raw message through GMime: headers of interest, the MIME tree, bodies.
 *
 * The tree is walked with an explicit stack (no recursion); depth and part count are
 * checked before a node is entered. GMime's own parser warnings (duplicate headers,
 * multipart without boundary, nesting overflow, truncation ...) become findings, so a
 * malformed message is analysed as far as it goes and its malformations are reported.
 * Leaf parts are decoded (transfer encoding) and handed to the content analyzers; text is
 * converted to UTF-8 from its declared charset.
 */
#include <gmime/gmime.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "content/content.h"
#include "core/util.h"
#include "mail.h"

struct wp_mail_ctx {
    GMimeParserOptions *opts;
};

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void
gmime_init_once(void)
{
    g_mime_init();
}

void
wp_mail_global_init(void)
{
    pthread_once(&gmime_once, gmime_init_once);
}

wp_mail_ctx *
wp_mail_ctx_new(void)
{
    wp_mail_global_init();
    wp_mail_ctx *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->opts = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(m->opts, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode(m->opts, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(m->opts, GMIME_RFC_COMPLIANCE_LOOSE);
    static const char *fallback[] = {"utf-8", "windows-1252", NULL};
    g_mime_parser_options_set_fallback_charsets(m->opts, fallback);
    return m;
}

void
wp_mail_ctx_free(wp_mail_ctx *m)
{
    if (m == NULL)
        return;
    g_mime_parser_options_free(m->opts);
    free(m);
}

/* ---- parser warnings ---- */

static void
on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user)
{
    wp_scan *s = user;
    const char *it = item ? wp_arena_sanitize(s->a, item, strlen(item), 120) : "";
    char where[64] = "message";
    if (offset >= 0)
        snprintf(where, sizeof where, "offset:%lld", (long long)offset);
    /* Repeated RFC 5322 fields are judged by read_headers() (which knows which fields must
     * be unique); from GMime only repeated MIME fields are taken: two Content-Type or
     * Content-Disposition fields in one part are an evasion. */
    if ((code == GMIME_WARN_DUPLICATED_HEADER || code == GMIME_CRIT_CONFLICTING_HEADER) &&
        strncasecmp(it, "Content-", 8) != 0)
        return;
    switch (code) {
    case GMIME_WARN_DUPLICATED_HEADER:
        wp_scan_finding(s, "HDR_DUPLICATE", it[0] ? wp_arena_printf(s->a, "header:%s", it) : where,
                        "header %s appears more than once", it);
        break;
    case GMIME_CRIT_CONFLICTING_HEADER:
        wp_scan_finding(s, "HDR_CONFLICTING",
                        it[0] ? wp_arena_printf(s->a, "header:%s", it) : where,
                        "header %s appears more than once with different values", it);
        break;
    case GMIME_WARN_UNENCODED_8BIT_HEADER:
        wp_scan_finding(s, "HDR_RAW_8BIT", it[0] ? wp_arena_printf(s->a, "header:%s", it) : where,
                        "raw 8-bit bytes in header %s", it);
        break;
    case GMIME_WARN_INVALID_CONTENT_TYPE:
        wp_scan_finding(s, "MIME_BAD_CONTENT_TYPE", where, "invalid Content-Type '%s'", it);
        break;
    case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
        wp_scan_finding(s, "HDR_BAD_ENCODED_WORD", where, "invalid RFC 2047 encoded word in '%s'",
                        it);
        break;
    case GMIME_WARN_MALFORMED_MULTIPART:
        wp_scan_finding(s, "MIME_EMPTY_MULTIPART", where, "multipart with no parts");
        break;
    case GMIME_WARN_TRUNCATED_MESSAGE:
        wp_scan_finding(s, "MSG_TRUNCATED", where, "message ends early (truncated)");
        break;
    case GMIME_WARN_MALFORMED_MESSAGE:
        wp_scan_finding(s, "MSG_MALFORMED", where, "malformed message structure");
        break;
    case GMIME_WARN_INVALID_ADDRESS_LIST:
        wp_scan_finding(s, "HDR_BAD_ADDRESS", where, "invalid address list '%s'", it);
        break;
    case GMIME_CRIT_INVALID_HEADER_NAME:
        wp_scan_finding(s, "HDR_BAD_NAME", where, "invalid header name '%s'", it);
        break;
    case GMIME_CRIT_CONFLICTING_PARAMETER:
        wp_scan_finding(s, "MIME_CONFLICTING_PARAMETER", where,
                        "parameter %s given twice with different values", it);
        break;
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
        wp_scan_finding(s, "MIME_BOUNDARY_MISSING", where, "multipart without boundary parameter");
        break;
    case GMIME_CRIT_NESTING_OVERFLOW:
        wp_scan_limit(s, WP_LIMIT_MIME_DEPTH, where, "GMime nesting limit exceeded");
        break;
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        wp_scan_finding(s, "MIME_PART_EMPTY", where, "MIME part with neither headers nor content");
        break;
    default:
        break; /* duplicated/invalid parameters, parts without content: noise */
    }
}

/* ---- headers ---- */

/* A header value, unfolded, RFC 2047-decoded only when it holds an encoded word ("=?"),
 * bounded by max_header_bytes. Going through the raw value skips GMime's formatting getter,
 * which was 18% of all scan instructions on plain mail (callgrind). */
static char *to_utf8(wp_scan *s, const char *charset, const char *src, size_t n, const char *where,
                     size_t *outlen);

static const char *
hval(wp_scan *s, const char *v, size_t n, const char *name)
{
    if (v == NULL)
        return NULL;
    uint64_t cap = wp_limit(s->lim, WP_LIMIT_HEADER_BYTES);
    if (n > cap) {
        wp_scan_limit(s, WP_LIMIT_HEADER_BYTES, wp_arena_printf(s->a, "header:%s", name),
                      "header %s is %zu bytes (max_header_bytes %llu); truncated", name, n,
                      (unsigned long long)cap);
        n = (size_t)cap;
    }
    char *out = wp_arena_alloc_raw(s->a, n + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    bool space = true; /* also trims leading white space */
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '\r' || c == '\n' || c == '\t' || c == ' ') {
            if (!space)
                out[o++] = ' ';
            space = true;
        } else {
            out[o++] = c;
            space = false;
        }
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    /* raw 8-bit (not RFC 2047) text: to_utf8() decodes it as windows-1252, as for a body
     * without a charset */
    size_t ulen = o;
    char *conv = to_utf8(s, NULL, out, o, "headers", &ulen);
    if (conv != NULL) {
        out = wp_arena_strdup(s->a, conv);
        g_free(conv);
        if (out == NULL)
            return NULL;
        o = strlen(out);
    }
    if (wp_memmem_rare(out, o, "=?", 2, 1) != NULL) {
        char *dec = g_mime_utils_header_decode_text(NULL, out);
        if (dec != NULL) {
            const char *r = wp_arena_sanitize(s->a, dec, strlen(dec), (size_t)cap);
            g_free(dec);
            return r;
        }
    }
    return wp_arena_sanitize(s->a, out, o, (size_t)cap);
}

static void
push_str(wp_scan *s, const char ***arr, size_t *n, size_t *cap, const char *v)
{
    if (v == NULL || *n >= 500)
        return;
    if (wp_arena_grow(s->a, (void **)arr, cap, *n + 1, sizeof(char *)))
        (*arr)[(*n)++] = v;
}

static bool
header_is_singleton(const char *name)
{
    static const char *const one[] = {"From",    "Sender",     "Reply-To", "To",         "Cc",
                                      "Subject", "Message-ID", "Date",     "In-Reply-To"};
    for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
        if (strcasecmp(name, one[i]) == 0)
            return true;
    return false;
}

static void
check_address(wp_scan *s, const char *value, const char *name)
{
    if (value == NULL)
        return;
    InternetAddressList *l = internet_address_list_parse(NULL, value);
    int n = l ? internet_address_list_length(l) : 0;
    bool mailbox = false;
    for (int i = 0; i < n && !mailbox; i++) {
        InternetAddress *a = internet_address_list_get_address(l, i);
        mailbox = INTERNET_ADDRESS_IS_MAILBOX(a) &&
                  internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)) != NULL &&
                  strchr(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)), '@');
    }
    if (l != NULL)
        g_object_unref(l);
    if (!mailbox)
        wp_scan_finding(s, "HDR_BAD_ADDRESS", wp_arena_printf(s->a, "header:%s", name),
                        "%s '%s' holds no mailbox address", name, value);
}

/* The report field a header of interest is kept in, NULL for other headers. */
static const char **
header_slot(wp_report *r, const char *name)
{
    static const struct {
        const char *name;
        size_t off;
    } slots[] = {
        {"From", offsetof(wp_report, from)},
        {"Sender", offsetof(wp_report, sender)},
        {"Reply-To", offsetof(wp_report, reply_to)},
        {"Return-Path", offsetof(wp_report, return_path)},
        {"To", offsetof(wp_report, to)},
        {"Cc", offsetof(wp_report, cc)},
        {"Subject", offsetof(wp_report, subject)},
        {"Message-ID", offsetof(wp_report, message_id)},
        {"Date", offsetof(wp_report, date)},
        {"In-Reply-To", offsetof(wp_report, in_reply_to)},
        {"X-Mailer", offsetof(wp_report, x_mailer)},
        {"User-Agent", offsetof(wp_report, x_mailer)},
    };
    for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
        if (strcasecmp(name, slots[i].name) == 0)
            return (const char **)((char *)r + slots[i].off);
    return NULL;
}

/* One top-level header field: its name and raw value (after the colon, folding kept). */
typedef struct hfield {
    const char *name; /* NUL-terminated copy */
    const char *raw;
    size_t rlen;
} hfield;

static void
read_headers(wp_scan *s, const hfield *f, size_t nf)
{
    wp_report *r = s->r;
    size_t cap_ar = 0, cap_rc = 0;
    for (size_t i = 0; i < nf; i++) {
        const char *name = f[i].name;
        const char **slot = header_slot(r, name);
        if (slot != NULL) {
            const char *v = hval(s, f[i].raw, f[i].rlen, name);
            if (*slot == NULL)
                *slot = v;
            else if (v != NULL && header_is_singleton(name))
                wp_scan_finding(s, strcmp(*slot, v) == 0 ? "HDR_DUPLICATE" : "HDR_CONFLICTING",
                                wp_arena_printf(s->a, "header:%s", name),
                                "header %s appears more than once%s", name,
                                strcmp(*slot, v) == 0 ? "" : " with different values");
        } else if (!strcasecmp(name, "Received")) {
            push_str(s, &r->received, &r->n_received, &cap_rc, hval(s, f[i].raw, f[i].rlen, name));
        } else if (!strcasecmp(name, "Authentication-Results")) {
            push_str(s, &r->authentication_results, &r->n_authentication_results, &cap_ar,
                     hval(s, f[i].raw, f[i].rlen, name));
        }
    }
    /* The sender addresses are parsed (only these: a message's To and Cc may hold thousands)
     * so that a From that is not an address is a finding. */
    check_address(s, r->from, "From");
    check_address(s, r->sender, "Sender");
    check_address(s, r->reply_to, "Reply-To");
    if (r->subject != NULL && s->want_passwords)
        wp_scan_note_passwords(s, r->subject, strlen(r->subject));
    if (r->from == NULL)
        wp_scan_finding(s, "HDR_MISSING_FROM", "header:From", "message has no From header");
    if (r->date == NULL)
        wp_scan_finding(s, "HDR_MISSING_DATE", "header:Date", "message has no Date header");
    if (r->message_id == NULL)
        wp_scan_finding(s, "HDR_MISSING_MESSAGE_ID", "header:Message-ID",
                        "message has no Message-ID header");
}

/* ---- bodies ---- */

static char *
to_utf8(wp_scan *s, const char *charset, const char *src, size_t n, const char *where,
        size_t *outlen)
{
    if (charset == NULL || !strcasecmp(charset, "us-ascii") || !strcasecmp(charset, "utf-8") ||
        !strcasecmp(charset, "utf8")) {
        if (g_utf8_validate(src, (gssize)n, NULL)) {
            *outlen = n;
            return NULL; /* already fine: caller uses src */
        }
        charset = "windows-1252";
    }
    const char *canon = g_mime_charset_iconv_name(charset);
    iconv_t cd = g_mime_iconv_open("UTF-8", canon);
    if (cd == (iconv_t)-1) {
        wp_scan_finding(s, "MIME_BAD_CHARSET", where, "unknown charset '%s'",
                        wp_arena_sanitize(s->a, charset, strlen(charset), 64));
        cd = g_mime_iconv_open("UTF-8", "windows-1252");
        if (cd == (iconv_t)-1)
            return NULL;
    }
    char *out = g_mime_iconv_strndup(cd, src, n);
    g_mime_iconv_close(cd);
    if (out == NULL)
        return NULL;
    *outlen = strlen(out);
    return out;
}

static bool
known_encoding(const char *e)
{
    static const char *const ok[] = {
        "7bit",       "8bit",     "binary", "base64", "quoted-printable",
        "x-uuencode", "uuencode", "x-uue",  NULL};
    for (size_t i = 0; ok[i]; i++)
        if (!strcasecmp(e, ok[i]))
            return true;
    return false;
}

typedef struct node {
    GMimeObject *obj;
    const char *id;
    const char *parent;
    int depth;
} node;

static void
leaf(wp_scan *s, GMimePart *part, wp_part *wpp, const char *id)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    const char *type = wpp->content_type ? wpp->content_type : "text/plain";
    const char *raw_cte = g_mime_object_get_header(obj, "Content-Transfer-Encoding");
    if (raw_cte != NULL) {
        char cte[64];
        snprintf(cte, sizeof cte, "%s", raw_cte);
        g_strstrip(cte);
        if (!known_encoding(cte))
            wp_scan_finding(s, "MIME_BAD_ENCODING", id, "unknown Content-Transfer-Encoding '%s'",
                            wp_arena_sanitize(s->a, cte, strlen(cte), 64));
    }

    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    GByteArray *ba = g_byte_array_new();
    if (dw != NULL) {
        GMimeStream *out = g_mime_stream_mem_new_with_byte_array(ba);
        g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
        g_mime_data_wrapper_write_to_stream(dw, out);
        g_object_unref(out);
    }
    size_t n = ba->len;
    bool truncated = false;
    uint64_t cap = wp_limit(s->lim, WP_LIMIT_PART_BYTES);
    if (n > cap) {
        wp_scan_limit(s, WP_LIMIT_PART_BYTES, id,
                      "part decodes to %zu bytes (max_part_bytes %llu); truncated", n,
                      (unsigned long long)cap);
        n = (size_t)cap;
        truncated = true;
    }
    wpp->size = n;

    const char *fname = g_mime_part_get_filename(part);
    const char *disp = g_mime_object_get_disposition(obj);
    /* Gateways read one name, mail clients the other: a difference is a classic evasion, and
     * both names are checked. */
    const char *dname = g_mime_object_get_content_disposition_parameter(obj, "filename");
    const char *cname = g_mime_object_get_content_type_parameter(obj, "name");
    if (dname != NULL && cname != NULL && strcasecmp(dname, cname) != 0) {
        const char *a = wp_arena_sanitize(s->a, dname, strlen(dname), 200);
        const char *b = wp_arena_sanitize(s->a, cname, strlen(cname), 200);
        wp_scan_finding(s, "MIME_NAME_MISMATCH", id,
                        "Content-Disposition filename '%s' but Content-Type name '%s'", a, b);
        wp_filename_check(s, cname, id, WP_KIND_DATA, NULL);
    }
    bool attachment = fname != NULL || (disp != NULL && !strcasecmp(disp, "attachment"));
    bool is_text = g_mime_content_type_is_type(ct, "text", "plain");
    bool is_html = g_mime_content_type_is_type(ct, "text", "html");
    if (!is_text && !is_html)
        attachment = attachment || !g_mime_content_type_is_type(ct, "text", "*");

    const char *data = ba->data != NULL ? (const char *)ba->data : "";
    if (!attachment && (is_text || is_html)) {
        size_t ulen = n;
        char *u = to_utf8(s, g_mime_content_type_get_parameter(ct, "charset"), data, n, id, &ulen);
        const char *txt = u ? u : data;
        if (is_html) {
            wp_html_analyze(s, txt, ulen, id);
        } else {
            wp_scan_add_text(s, txt, ulen);
            wp_scan_text_urls(s, txt, ulen, id);
            if (wp_memmem_rare(txt, ulen, "begin ", 6, 3) != NULL)
                wp_uuencode_extract(s, txt, ulen, id);
        }
        g_free(u);
    }
    wp_content_info ci = {
        .name = fname ? wp_arena_strdup(s->a, fname) : NULL,
        .declared_type = type,
        .where = fname ? wp_arena_printf(s->a, "%s/%s", id,
                                         wp_arena_sanitize(s->a, fname, strlen(fname), 200))
                       : id,
        .depth = 0,
        .is_attachment = attachment,
        .truncated = truncated};
    if (ci.where == NULL)
        ci.where = id;
    wp_content_analyze(s, (const uint8_t *)(data ? data : ""), n, &ci);
    g_byte_array_free(ba, TRUE);
}

static void
body_fallback(wp_scan *s, const char *txt, size_t n, const char *id)
{
    const char *where = wp_arena_printf(s->a, "%s/preamble", id);
    if (where == NULL)
        return;
    wp_scan_add_text(s, txt, n);
    wp_scan_text_urls(s, txt, n, where);
    if (wp_memmem_rare(txt, n, "begin ", 6, 3) != NULL)
        wp_uuencode_extract(s, txt, n, where);
    wp_content_info ci = {.declared_type = "text/plain", .where = where};
    wp_content_analyze(s, (const uint8_t *)txt, n, &ci);
}

/* Last occurrence of needle in hay: the close delimiter of a multipart sits near the end of
 * its message, after every attachment, so searching backwards finds it without reading the
 * base64 in between (a forward search read every byte of every attachment, per multipart). */
static const uint8_t *
last_occurrence(const uint8_t *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0 || m > n)
        return NULL;
    size_t lim = n - m + 1; /* candidate starts are [0, lim) */
    while (lim > 0) {
        const uint8_t *c = memrchr(hay, (unsigned char)needle[0], lim);
        if (c == NULL)
            return NULL;
        if (memcmp(c, needle, m) == 0)
            return c;
        lim = (size_t)(c - hay);
    }
    return NULL;
}

/* The declared boundary must occur in the raw message as "--boundary". */
static void
check_boundary(wp_scan *s, const uint8_t *raw, size_t rlen, const char *boundary, const char *id)
{
    size_t bl = strlen(boundary);
    char *delim = malloc(bl + 3);
    if (delim == NULL)
        return;
    delim[0] = delim[1] = '-';
    memcpy(delim + 2, boundary, bl + 1);
    const uint8_t *hit = memmem(raw, rlen, delim, bl + 2);
    if (hit == NULL) {
        wp_scan_finding(s, "MIME_BOUNDARY_NOT_FOUND", id, "boundary '%s' never occurs",
                        wp_arena_sanitize(s->a, boundary, bl, 100));
    } else {
        /* close delimiter "--boundary--" somewhere after the first */
        char *close = malloc(bl + 5);
        if (close != NULL) {
            memcpy(close, delim, bl + 2);
            memcpy(close + bl + 2, "--", 3);
            if (last_occurrence(hit, rlen - (size_t)(hit - raw), close, bl + 4) == NULL)
                wp_scan_finding(s, "MIME_UNTERMINATED_MULTIPART", id,
                                "boundary '%s' is never closed",
                                wp_arena_sanitize(s->a, boundary, bl, 100));
            free(close);
        }
    }
    free(delim);
}

static const char *
lower_type(wp_scan *s, GMimeContentType *ct)
{
    if (ct == NULL)
        return NULL;
    const char *t = g_mime_content_type_get_media_type(ct);
    const char *st = g_mime_content_type_get_media_subtype(ct);
    char *v = wp_arena_printf(s->a, "%s/%s", t ? t : "text", st ? st : "plain");
    wp_ascii_lower(v);
    return v ? wp_arena_sanitize(s->a, v, strlen(v), 128) : NULL;
}

/*
 * Boundary recovery. A multipart whose declared boundary never occurs has no parts for
 * GMime, but the parts are still there under another delimiter, and a mail client that
 * guesses (or an attacker who counts on one that does) shows them: an executable behind a
 * wrong boundary must be judged as an executable, not as preamble text. The first line
 * "--X" (X 1..70 boundary characters) followed by a "Content-" field is taken as the real
 * delimiter, and the body is parsed again as multipart/mixed with boundary X. Bounded: the
 * first 64 KiB are searched, and at most WP_MAIL_MAX_RECOVERED bodies per message.
 */
#define WP_MAIL_MAX_RECOVERED 4

static bool
recover_boundary(const char *pre, size_t n, char *out, size_t outcap)
{
    size_t lim = n < 65536 ? n : 65536;
    size_t i = 0;
    while (i < lim) {
        const char *nl = memchr(pre + i, '\n', lim - i);
        size_t end = nl ? (size_t)(nl - pre) : lim;
        size_t k = end;
        while (k > i && (pre[k - 1] == '\r' || pre[k - 1] == ' ' || pre[k - 1] == '\t'))
            k--;
        if (k - i >= 3 && pre[i] == '-' && pre[i + 1] == '-' && nl != NULL) {
            size_t bl = k - i - 2;
            bool ok = bl >= 1 && bl <= 70 && bl < outcap;
            for (size_t j = i + 2; ok && j < k; j++) {
                unsigned char c = (unsigned char)pre[j];
                ok = c > 32 && c < 127 && c != '"';
            }
            size_t next = end + 1;
            if (ok && lim - next >= 8 && strncasecmp(pre + next, "Content-", 8) == 0) {
                memcpy(out, pre + i + 2, bl);
                out[bl] = '\0';
                return true;
            }
        }
        i = end + 1;
    }
    return false;
}

static GMimeObject *
reparse_multipart(const char *boundary, const char *pre, size_t n, GMimeParserOptions *opts)
{
    GByteArray *ba = g_byte_array_new();
    const char *h = "Content-Type: multipart/mixed; boundary=\"";
    g_byte_array_append(ba, (const guint8 *)h, (guint)strlen(h));
    g_byte_array_append(ba, (const guint8 *)boundary, (guint)strlen(boundary));
    g_byte_array_append(ba, (const guint8 *)"\"\n\n", 3);
    g_byte_array_append(ba, (const guint8 *)pre, (guint)n);
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(ba); /* owns ba */
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeObject *obj = g_mime_parser_construct_part(parser, opts);
    g_object_unref(parser);
    g_object_unref(stream);
    if (obj != NULL &&
        (!GMIME_IS_MULTIPART(obj) || g_mime_multipart_get_count(GMIME_MULTIPART(obj)) == 0)) {
        g_object_unref(obj);
        obj = NULL;
    }
    return obj;
}

static void
walk(wp_scan *s, GMimeObject *root, const uint8_t *raw, size_t rlen, GMimeParserOptions *opts)
{
    node *stack = NULL;
    size_t sp = 0, cap = 0;
    uint64_t max_parts = wp_limit(s->lim, WP_LIMIT_MIME_PARTS);
    uint64_t max_depth = wp_limit(s->lim, WP_LIMIT_MIME_DEPTH);
    if (!wp_arena_grow(s->a, (void **)&stack, &cap, 1, sizeof(node)))
        return;
    stack[sp++] = (node){root, GMIME_IS_MULTIPART(root) ? "0" : "1", NULL, 0};
    GMimeObject *recovered[WP_MAIL_MAX_RECOVERED];
    size_t n_recovered = 0;

    while (sp > 0) {
        node nd = stack[--sp];
        if (wp_scan_out_of_time(s, nd.id))
            break;
        if (s->r->n_parts >= max_parts) {
            wp_scan_limit(s, WP_LIMIT_MIME_PARTS, nd.id, "more than %llu MIME parts; rest skipped",
                          (unsigned long long)max_parts);
            break;
        }
        if ((uint64_t)nd.depth > max_depth) {
            wp_scan_limit(s, WP_LIMIT_MIME_DEPTH, nd.id, "MIME nesting deeper than %llu",
                          (unsigned long long)max_depth);
            continue;
        }
        wp_part *p = wp_scan_add_part(s);
        if (p == NULL)
            break;
        GMimeObject *obj = nd.obj;
        GMimeContentType *ct = g_mime_object_get_content_type(obj);
        p->id = nd.id;
        p->parent = nd.parent;
        p->depth = nd.depth;
        p->content_type = lower_type(s, ct);
        const char *cs = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
        p->charset = cs ? wp_arena_sanitize(s->a, cs, strlen(cs), 64) : NULL;
        const char *disp = g_mime_object_get_disposition(obj);
        p->disposition = disp ? wp_arena_sanitize(s->a, disp, strlen(disp), 64) : NULL;
        const char *cte = g_mime_object_get_header(obj, "Content-Transfer-Encoding");
        p->encoding = cte ? wp_arena_sanitize(s->a, cte, strlen(cte), 64) : NULL;

        if (GMIME_IS_MULTIPART(obj)) {
            p->is_container = true;
            GMimeMultipart *mp = GMIME_MULTIPART(obj);
            /* the boundary the message declares: g_mime_multipart_get_boundary() makes up a
             * random one when there is none, which must not be reported as "never occurs"
             * (MIME_BOUNDARY_MISSING says it); golden tests caught the changing evidence */
            const char *b = g_mime_object_get_content_type_parameter(obj, "boundary");
            if (b != NULL)
                check_boundary(s, raw, rlen, b, nd.id);
            if (g_mime_content_type_is_type(ct, "multipart", "encrypted"))
                wp_scan_finding(s, "MIME_ENCRYPTED", nd.id, "multipart/encrypted content");
            int n = g_mime_multipart_get_count(mp);
            if (n == 0) {
                wp_scan_finding(s, "MIME_EMPTY_MULTIPART", nd.id, "multipart with no parts");
                /* With a wrong or missing boundary the whole body lands in the preamble; a
                 * mail client may still show it, so it is analysed as text, not dropped. */
                const char *pre = g_mime_multipart_get_prologue(mp);
                if (pre != NULL && *pre != '\0') {
                    size_t plen = strlen(pre);
                    body_fallback(s, pre, plen, nd.id);
                    char rb[72];
                    GMimeObject *again = NULL;
                    if (n_recovered < WP_MAIL_MAX_RECOVERED &&
                        (uint64_t)nd.depth + 1 <= max_depth &&
                        recover_boundary(pre, plen, rb, sizeof rb) &&
                        (b == NULL || strcmp(rb, b) != 0) &&
                        (again = reparse_multipart(rb, pre, plen, opts)) != NULL &&
                        wp_arena_grow(s->a, (void **)&stack, &cap, sp + 1, sizeof(node))) {
                        recovered[n_recovered++] = again;
                        wp_scan_finding(s, "MIME_BOUNDARY_RECOVERED", nd.id,
                                        "parts found under boundary '%s' instead of the declared "
                                        "one; analysed as %d part(s)",
                                        wp_arena_sanitize(s->a, rb, strlen(rb), 100),
                                        g_mime_multipart_get_count(GMIME_MULTIPART(again)));
                        stack[sp++] = (node){again, wp_arena_printf(s->a, "%s.r", nd.id), nd.id,
                                             nd.depth + 1};
                    } else if (again != NULL) {
                        g_object_unref(again);
                    }
                }
            }
            if ((uint64_t)n > max_parts)
                n = (int)max_parts;
            if (!wp_arena_grow(s->a, (void **)&stack, &cap, sp + (size_t)n, sizeof(node)))
                break;
            /* push in reverse so part 1 is visited first */
            for (int i = n - 1; i >= 0; i--) {
                const char *cid = strcmp(nd.id, "0") == 0
                                      ? wp_arena_printf(s->a, "%d", i + 1)
                                      : wp_arena_printf(s->a, "%s.%d", nd.id, i + 1);
                stack[sp++] = (node){g_mime_multipart_get_part(mp, i), cid, nd.id, nd.depth + 1};
            }
        } else if (GMIME_IS_MESSAGE_PART(obj)) {
            p->is_container = true;
            GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
            GMimeObject *body = inner ? g_mime_message_get_mime_part(inner) : NULL;
            if (body != NULL) {
                if (!wp_arena_grow(s->a, (void **)&stack, &cap, sp + 1, sizeof(node)))
                    break;
                stack[sp++] =
                    (node){body, wp_arena_printf(s->a, "%s.1", nd.id), nd.id, nd.depth + 1};
            }
        } else if (GMIME_IS_MESSAGE_PARTIAL(obj)) {
            wp_scan_finding(s, "MIME_PARTIAL", nd.id, "message/partial fragment");
        } else if (GMIME_IS_PART(obj)) {
            const char *fn = g_mime_part_get_filename(GMIME_PART(obj));
            p->filename = fn ? wp_arena_sanitize(s->a, fn, strlen(fn), 1024) : NULL;
            if (g_mime_content_type_is_type(ct, "application", "pkcs7-mime") ||
                g_mime_content_type_is_type(ct, "application", "x-pkcs7-mime"))
                wp_scan_finding(s, "MIME_ENCRYPTED", nd.id, "S/MIME (pkcs7-mime) content");
            leaf(s, GMIME_PART(obj), p, nd.id);
        }
    }
    for (size_t i = 0; i < n_recovered; i++)
        g_object_unref(recovered[i]);
}

static bool
is_mime_field(const char *name, size_t n)
{
    return (n >= 8 && strncasecmp(name, "Content-", 8) == 0) ||
           (n == 12 && strncasecmp(name, "MIME-Version", 12) == 0);
}

/* The top-level header block, split by watchpost: GMime creates and decodes an object for
 * every header field it parses (callgrind: a third of all scan instructions on ordinary mail,
 * which carries ~30 fields), yet only the MIME fields shape the tree. So the fields are split
 * here, the fields of interest decoded from this split (with GMime's RFC 2047 decoder), and
 * GMime is handed only the MIME fields and the body. The split accepts only a well-formed
 * block (every line a "name:" field or a continuation); anything else returns false and the
 * whole message goes to GMime unchanged, so GMime and watchpost never disagree on where the
 * body starts. On success *reduced is a malloc'd "MIME fields + blank line + body". */
static bool
split_top_headers(wp_scan *s, const uint8_t *d, size_t len, hfield **fields, size_t *nf,
                  uint8_t **reduced, size_t *rlen)
{
    size_t cap = 0, n = 0, i = 0, body = len;
    hfield *f = NULL;
    while (i < len) {
        const uint8_t *nl = memchr(d + i, '\n', len - i);
        size_t next = nl ? (size_t)(nl - d) + 1 : len;
        size_t ll = next - i;
        if (ll == 0 || d[i] == '\n' || (d[i] == '\r' && ll <= 2)) {
            body = next; /* the blank line ends the header block */
            break;
        }
        if (d[i] == ' ' || d[i] == '\t') {
            if (n == 0)
                return false; /* continuation of nothing */
            f[n - 1].rlen = (size_t)((const char *)d + next - f[n - 1].raw);
            i = next;
            continue;
        }
        size_t k = i;
        while (k < next && d[k] > 32 && d[k] < 127 && d[k] != ':')
            k++;
        size_t namelen = k - i;
        while (k < next && (d[k] == ' ' || d[k] == '\t'))
            k++;
        if (namelen == 0 || k >= next || d[k] != ':')
            return false; /* not a header field: let GMime judge the whole message */
        if (!wp_arena_grow(s->a, (void **)&f, &cap, n + 1, sizeof(hfield)))
            return false;
        f[n].name = wp_arena_strndup(s->a, (const char *)d + i, namelen);
        f[n].raw = (const char *)d + k + 1;
        f[n].rlen = next - (k + 1);
        if (f[n].name == NULL)
            return false;
        n++;
        i = next;
    }
    /* strip the line ends of each raw value and look for raw 8-bit bytes */
    for (size_t j = 0; j < n; j++) {
        while (f[j].rlen > 0 &&
               (f[j].raw[f[j].rlen - 1] == '\n' || f[j].raw[f[j].rlen - 1] == '\r'))
            f[j].rlen--;
        for (size_t b = 0; b < f[j].rlen; b++)
            if ((unsigned char)f[j].raw[b] >= 0x80) {
                wp_scan_finding(s, "HDR_RAW_8BIT", wp_arena_printf(s->a, "header:%s", f[j].name),
                                "raw 8-bit bytes in header %s", f[j].name);
                break;
            }
    }
    uint8_t *out = malloc(len + 2);
    if (out == NULL)
        return false;
    size_t o = 0;
    for (size_t j = 0; j < n; j++) {
        size_t nl = strlen(f[j].name);
        if (!is_mime_field(f[j].name, nl))
            continue;
        memcpy(out + o, f[j].name, nl);
        o += nl;
        out[o++] = ':';
        memcpy(out + o, f[j].raw, f[j].rlen);
        o += f[j].rlen;
        out[o++] = '\n';
    }
    out[o++] = '\n';
    if (body < len) {
        memcpy(out + o, d + body, len - body);
        o += len - body;
    }
    *fields = f;
    *nf = n;
    *reduced = out;
    *rlen = o;
    return true;
}

/* The fields GMime parsed, for a message whose header block split_top_headers() refused. */
static size_t
gmime_fields(wp_scan *s, GMimeObject *top, hfield **out)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(top);
    int count = g_mime_header_list_get_count(hl);
    hfield *f = count > 0 ? wp_arena_alloc(s->a, (size_t)count * sizeof(hfield)) : NULL;
    size_t n = 0;
    for (int i = 0; f != NULL && i < count; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h);
        const char *raw = g_mime_header_get_raw_value(h);
        if (name == NULL || raw == NULL)
            continue;
        f[n++] = (hfield){name, raw, strlen(raw)};
    }
    *out = f;
    return n;
}

static void
note_file(GMimeObject *parent, GMimeObject *part, gpointer user)
{
    (void)parent;
    bool *files = user;
    if (*files || !GMIME_IS_PART(part))
        return;
    GMimeContentType *ct = g_mime_object_get_content_type(part);
    if (g_mime_part_get_filename(GMIME_PART(part)) != NULL ||
        !g_mime_content_type_is_type(ct, "text", "*"))
        *files = true;
}

/* First line of a message is a header field ("Name:"), or an mbox "From " line. */
static bool
looks_like_mail(const uint8_t *d, size_t len)
{
    size_t i = 0;
    if (len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
        i = 3;
    if (len - i >= 5 && memcmp(d + i, "From ", 5) == 0)
        return true;
    size_t start = i;
    while (i < len && i - start < 200 && d[i] > 32 && d[i] < 127 && d[i] != ':')
        i++;
    return i > start && i < len && d[i] == ':';
}

/* GMime builds an object for every header field, address and MIME part before watchpost
 * sees any of them, so limits applied after the parse come too late for memory: 100,000
 * one-line parts cost GMime 200 MB. Two cheap passes bound what GMime is given:
 * - more boundary-looking lines ("\n--") than max_mime_parts allows: parse only up to there;
 * - top-level header fields longer than max_header_bytes, or more of them than
 *   max_header_count: hand GMime a copy with those fields cut.
 * Returns the bytes to parse; *copy is set when a trimmed copy was made (caller frees). */
static const uint8_t *
bound_input(wp_scan *s, const uint8_t *data, size_t len, size_t *outlen, uint8_t **copy)
{
    *copy = NULL;
    uint64_t max_lines = wp_limit(s->lim, WP_LIMIT_MIME_PARTS) * 2 + 16;
    uint64_t lines = 0;
    const uint8_t *p = data, *end = data + len, *q;
    while (p < end && (q = wp_memmem_rare(p, (size_t)(end - p), "\n--", 3, 1)) != NULL) {
        if (++lines > max_lines) {
            wp_scan_limit(s, WP_LIMIT_MIME_PARTS, "message",
                          "more than %llu boundary lines; parsed up to byte %zu",
                          (unsigned long long)max_lines, (size_t)(q - data));
            len = (size_t)(q - data) + 1;
            end = data + len;
            break;
        }
        p = q + 3;
    }

    uint64_t fcap = wp_limit(s->lim, WP_LIMIT_HEADER_BYTES);
    uint64_t maxf = wp_limit(s->lim, WP_LIMIT_HEADER_COUNT);
    /* find the end of the header block and whether any field breaks a limit */
    size_t hend = 0, fstart = 0, fields = 0;
    bool over = false;
    for (size_t i = 0; i < len;) {
        const uint8_t *nl = memchr(data + i, '\n', len - i);
        size_t next = nl ? (size_t)(nl - data) + 1 : len;
        bool blank = next - i <= 2 && (data[i] == '\n' || data[i] == '\r');
        bool cont = i > 0 && (data[i] == ' ' || data[i] == '\t');
        if (blank || !cont) {
            if (i > 0 && i - fstart > fcap)
                over = true;
            if (!blank && ++fields > maxf)
                over = true;
            fstart = i;
        }
        if (blank) {
            hend = i;
            break;
        }
        i = next;
        hend = i;
    }
    /* the last field, when the header block runs to the end of the input */
    if (len > fstart && len - fstart > fcap && hend == len)
        over = true;
    if (!over) {
        *outlen = len;
        return data;
    }
    uint8_t *c = malloc(len + 1);
    if (c == NULL) {
        *outlen = len;
        return data;
    }
    size_t o = 0;
    fields = 0;
    for (size_t i = 0; i < hend;) {
        /* one field: its first line and continuation lines */
        size_t j = i;
        do {
            const uint8_t *nl = memchr(data + j, '\n', hend - j);
            j = nl ? (size_t)(nl - data) + 1 : hend;
        } while (j < hend && (data[j] == ' ' || data[j] == '\t'));
        size_t flen = j - i;
        if (++fields > maxf) {
            wp_scan_limit(s, WP_LIMIT_HEADER_COUNT, "headers",
                          "more than %llu header fields; the rest not parsed",
                          (unsigned long long)maxf);
            i = j;
            continue;
        }
        if (flen > fcap) {
            wp_scan_limit(s, WP_LIMIT_HEADER_BYTES, "headers",
                          "a header field of %zu bytes (max_header_bytes %llu) was cut", flen,
                          (unsigned long long)fcap);
            memcpy(c + o, data + i, (size_t)fcap);
            o += (size_t)fcap;
            c[o++] = '\n';
        } else {
            memcpy(c + o, data + i, flen);
            o += flen;
        }
        i = j;
    }
    memcpy(c + o, data + hend, len - hend);
    o += len - hend;
    *copy = c;
    *outlen = o;
    return c;
}

void
wp_mail_walk(wp_scan *s, wp_mail_ctx *m, const uint8_t *data, size_t len)
{
    uint64_t cap = wp_limit(s->lim, WP_LIMIT_MESSAGE_BYTES);
    if (len > cap) {
        wp_scan_limit(s, WP_LIMIT_MESSAGE_BYTES, "message",
                      "message is %zu bytes (max_message_bytes %llu); only the start parsed", len,
                      (unsigned long long)cap);
        len = (size_t)cap;
    }
    if (!looks_like_mail(data, len)) {
        wp_scan_finding(s, "MSG_NOT_MAIL", "message",
                        "input does not start with a header field; analysed as a raw object");
        wp_content_info ci = {.where = "raw", .is_attachment = true};
        wp_content_analyze(s, data, len, &ci);
        return;
    }

    /* an mbox envelope line ("From sender date") is not a header: skip it */
    if (len >= 5 && memcmp(data, "From ", 5) == 0) {
        const uint8_t *nl = memchr(data, '\n', len);
        size_t skip = nl ? (size_t)(nl - data) + 1 : len;
        data += skip;
        len -= skip;
    }
    uint8_t *trimmed = NULL;
    size_t plen = len;
    const uint8_t *pdata = bound_input(s, data, len, &plen, &trimmed);

    hfield *fields = NULL;
    size_t nfields = 0;
    uint8_t *reduced = NULL;
    size_t rlen = 0;
    bool split = split_top_headers(s, pdata, plen, &fields, &nfields, &reduced, &rlen);

    /* GMime's memory stream copies the bytes once; borrowing the caller's buffer through a
     * fake GByteArray would save that copy but rely on GLib internals. */
    GMimeStream *stream = split ? g_mime_stream_mem_new_with_buffer((const char *)reduced, rlen)
                                : g_mime_stream_mem_new_with_buffer((const char *)pdata, plen);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    g_mime_parser_options_set_warning_callback(m->opts, on_warning, s);
    /* construct_part, not construct_message: a GMimeMessage parses every address list and
     * date on construction (To and Cc can hold thousands), which cost a third of the parse;
     * the headers watchpost reads are taken from the header list instead. */
    GMimeObject *root = g_mime_parser_construct_part(parser, m->opts);
    g_mime_parser_options_set_warning_callback(m->opts, NULL, NULL);
    if (root == NULL) {
        wp_scan_finding(s, "MSG_MALFORMED", "message", "GMime could not construct a message");
        wp_content_info ci = {.where = "raw", .is_attachment = true};
        wp_content_analyze(s, data, len, &ci);
    } else {
        s->r->parsed = true;
        /* Password candidates are only worth looking for when there is something a password
         * could open (the search cost 6% of scan time on plain mail). */
        bool files = false;
        if (GMIME_IS_MULTIPART(root))
            g_mime_multipart_foreach(GMIME_MULTIPART(root), note_file, &files);
        else
            note_file(NULL, root, &files);
        s->want_passwords = files;
        if (!split)
            nfields = gmime_fields(s, root, &fields);
        read_headers(s, fields, nfields);
        walk(s, root, data, len, m->opts);
        g_object_unref(root);
    }
    g_object_unref(parser);
    g_object_unref(stream);
    free(reduced);
    free(trimmed); /* fields point into it */
}
