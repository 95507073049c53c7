/*
 * pdf.c - PDF actions in the manner of pdfid, read through a PDF tokenizer.
 *
 * The file is read as a sequence of PDF tokens (ISO 32000-1 7.2-7.3): comments, literal
 * strings with escapes and balanced parentheses, hex strings, names with #xx escapes,
 * numbers, keywords, and dictionary and array brackets, which are tracked on a small stack.
 * An action name counts only as a name token inside a dictionary (as a key or in a value);
 * the same bytes in a comment, a string or a stream body do not count, and a comment or a
 * string cannot hide what follows it. "/J#61vaScript" counts as /JavaScript and is itself
 * reported as obfuscation.
 *
 * A stream body is the bytes after the "stream" keyword that follows a dictionary: /Length
 * bytes when /Length is a direct integer and "endstream" stands there (so "endstream" inside
 * the body does not end it), else up to the first "endstream". Bodies are skipped, except
 * object streams (/Type /ObjStm), unfiltered or with /FlateDecode alone, which are inflated
 * (bounded by max_part_bytes and the archive ratio limit) and tokenized the same way: that
 * is where modern PDFs keep their action dictionaries. URI actions feed the URL list.
 *
 * Bounds: nesting beyond PDF_MAX_DEPTH is counted, not stacked; PDF_MAX_TOKENS tokens and
 * PDF_MAX_OBJSTM object streams per file; object streams are not followed inside object
 * streams; a string that never ends is skipped to the next "endobj" at most
 * PDF_MAX_RECOVERIES times. A bound reached is reported as PDF_TOO_COMPLEX and what was
 * found up to there still counts. An "obj" or "endobj" keyword empties the stack, so a
 * broken object cannot skew the rest.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "content.h"
#include "core/util.h"

#define PDF_MAX_DEPTH      64         /* << >> and [ ] nesting kept on the stack */
#define PDF_MAX_TOKENS     (1u << 24) /* tokens per file, object streams included */
#define PDF_MAX_OBJSTM     1000       /* object streams per file */
#define PDF_MAX_URIS       500        /* /URI targets handed to the URL list */
#define PDF_MAX_RECOVERIES 8          /* unterminated strings resynchronised at "endobj" */
#define PDF_NAME_MAX       64         /* decoded name bytes compared (longer names: no action) */
#define PDF_URI_MAX        2048
#define PDF_INFLATE_MIN    ((uint64_t)1 << 20) /* the ratio limit applies beyond this */

enum {
    N_JS,
    N_JAVASCRIPT,
    N_OPENACTION,
    N_AA,
    N_LAUNCH,
    N_EMBEDDED,
    N_URI,
    N_ACROFORM,
    N_XFA,
    N_ENCRYPT,
    N_RICHMEDIA,
    N__COUNT
};

static const char *const names[N__COUNT] = {"JS",     "JavaScript",   "OpenAction", "AA",
                                            "Launch", "EmbeddedFile", "URI",        "AcroForm",
                                            "XFA",    "Encrypt",      "RichMedia"};

/* Per file. */
typedef struct pdf_state {
    wp_scan *s;
    const char *where;
    unsigned count[N__COUNT];
    unsigned obfuscated;
    char obf_example[64];
    unsigned uris;
    uint32_t tokens;
    unsigned objstms;
    uint64_t budget;    /* inflated bytes left (max_part_bytes) */
    bool stop;          /* a bound or the time budget ended the scan */
    const char *why;    /* the first bound reached, for PDF_TOO_COMPLEX */
    unsigned char *out; /* inflated object stream */
    size_t outcap;
} pdf_state;

/* A dictionary or array on the stack. */
typedef struct frame {
    unsigned char kind; /* '<' dictionary, '[' array */
    bool expect_key;    /* dictionary: the next name token is a key */
} frame;

/* Keys of the outermost dictionary that describe a stream after it. */
enum { K_OTHER, K_LENGTH, K_TYPE, K_FILTER };

typedef struct stream_dict {
    bool have_length, length_indirect, objstm, flate;
    uint64_t length;
    unsigned filters;
} stream_dict;

/* Per buffer: the file, or one inflated object stream. */
typedef struct parser {
    pdf_state *st;
    const unsigned char *p, *end;
    frame stack[PDF_MAX_DEPTH];
    unsigned depth;    /* frames on the stack */
    unsigned overflow; /* opened beyond PDF_MAX_DEPTH, not stacked */
    unsigned ndict;    /* dictionaries on the stack */
    int key;           /* current key of the outermost dictionary */
    stream_dict sd;    /* collected in the outermost dictionary */
    bool after_dict;   /* the last token closed an outermost dictionary */
    bool uri_pending;  /* the last token was /URI: a string now is its target */
    const unsigned char *uri_name;
    size_t uri_name_len;
    bool uri_escaped;
    unsigned recoveries;
    /* an object stream just found, for the file's loop to read (no recursion) */
    bool objstm_found;
    const unsigned char *objstm_body;
    size_t objstm_len;
    stream_dict objstm_sd;
} parser;

static bool
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0;
}

static bool
is_delim(unsigned char c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '/' || c == '%';
}

static void
too_complex(pdf_state *st, const char *why)
{
    if (st->why == NULL)
        st->why = why;
}

static bool
in_dict(const parser *ps)
{
    return ps->ndict > 0 || ps->overflow > 0;
}

static frame *
top(parser *ps)
{
    return ps->depth > 0 && ps->overflow == 0 ? &ps->stack[ps->depth - 1] : NULL;
}

/* A value is complete at the current level: a dictionary waits for its next key. */
static void
value_done(parser *ps)
{
    frame *f = top(ps);
    if (f != NULL && f->kind == '<')
        f->expect_key = true;
}

static void
reset_stack(parser *ps)
{
    ps->depth = ps->overflow = ps->ndict = 0;
}

static void
open_container(parser *ps, unsigned char kind)
{
    frame *f = top(ps);
    if (f != NULL && f->kind == '<' && f->expect_key)
        f->expect_key = false; /* a container in key position: take it as the value */
    if (ps->depth == PDF_MAX_DEPTH || ps->overflow > 0) {
        ps->overflow++;
        too_complex(ps->st, "dictionaries and arrays nested deeper than 64 (names there still "
                            "counted)");
        return;
    }
    if (ps->depth == 0 && kind == '<') {
        memset(&ps->sd, 0, sizeof ps->sd);
        ps->key = K_OTHER;
    }
    ps->stack[ps->depth++] = (frame){.kind = kind, .expect_key = kind == '<'};
    if (kind == '<')
        ps->ndict++;
}

/* A close that does not match the open container is ignored: staying inside the dictionary
 * keeps the names after it counted. */
static void
close_container(parser *ps, unsigned char kind)
{
    if (ps->overflow > 0) {
        ps->overflow--;
        return;
    }
    if (ps->depth == 0 || ps->stack[ps->depth - 1].kind != kind)
        return;
    ps->depth--;
    if (kind == '<')
        ps->ndict--;
    if (ps->depth == 0) {
        ps->after_dict = kind == '<';
    } else {
        value_done(ps);
    }
}

/* ---- names ---- */

static int
action_index(const char *name)
{
    for (int k = 0; k < N__COUNT; k++) {
        bool hit = k == N_EMBEDDED ? strncmp(name, names[k], 12) == 0 : strcmp(name, names[k]) == 0;
        if (hit)
            return k;
    }
    return -1;
}

static void
count_action(pdf_state *st, int k, const unsigned char *raw, size_t rawlen, bool escaped)
{
    st->count[k]++;
    if (escaped && st->obfuscated++ == 0) {
        size_t rl = rawlen < 60 ? rawlen : 60;
        memcpy(st->obf_example, raw, rl);
        st->obf_example[rl] = '\0';
    }
}

/* What a name says about the stream after the outermost dictionary. */
static void
stream_key_or_value(parser *ps, const char *name, bool is_key)
{
    if (is_key && ps->depth == 1) {
        ps->key = strcmp(name, "Length") == 0   ? K_LENGTH
                  : strcmp(name, "Type") == 0   ? K_TYPE
                  : strcmp(name, "Filter") == 0 ? K_FILTER
                                                : K_OTHER;
        return;
    }
    if (is_key)
        return;
    if (ps->depth == 1 && ps->key == K_TYPE && strcmp(name, "ObjStm") == 0)
        ps->sd.objstm = true;
    bool filter =
        ps->key == K_FILTER && (ps->depth == 1 || (ps->depth == 2 && ps->stack[1].kind == '['));
    if (filter) {
        ps->sd.filters++;
        if (strcmp(name, "FlateDecode") == 0)
            ps->sd.flate = true;
    }
}

/* p at '/'; returns the end of the name. */
static const unsigned char *
name_token(parser *ps, const unsigned char *p)
{
    const unsigned char *q = p + 1, *end = ps->end;
    char name[PDF_NAME_MAX];
    size_t n = 0;
    bool escaped = false;
    while (q < end && !is_space(*q) && !is_delim(*q)) {
        unsigned char c = *q;
        if (c == '#' && end - q >= 3 && wp_hexval(q[1]) >= 0 && wp_hexval(q[2]) >= 0) {
            c = (unsigned char)(wp_hexval(q[1]) * 16 + wp_hexval(q[2]));
            q += 2;
            escaped = true;
        }
        if (n + 1 < sizeof name)
            name[n++] = (char)c;
        q++;
    }
    name[n] = '\0';

    frame *f = top(ps);
    bool is_key = f != NULL && f->kind == '<' && f->expect_key;
    if (is_key) {
        f->expect_key = false;
    } else {
        value_done(ps);
    }
    stream_key_or_value(ps, name, is_key);
    if (!in_dict(ps))
        return q;
    int k = action_index(name);
    if (k == N_URI) {
        /* "/S /URI" names the action type; only "/URI (target)" is a link */
        ps->uri_pending = true;
        ps->uri_name = p;
        ps->uri_name_len = (size_t)(q - p);
        ps->uri_escaped = escaped;
    } else if (k >= 0) {
        count_action(ps->st, k, p, (size_t)(q - p), escaped);
    }
    return q;
}

/* ---- strings ---- */

/* p just after '('; returns just after the balancing ')', or NULL when the string never
 * ends. The parentheses are counted, not recursed into. */
static const unsigned char *
literal_end(const unsigned char *p, const unsigned char *end)
{
    size_t nest = 1;
    while (p < end) {
        unsigned char c = *p++;
        if (c == '\\') {
            if (p < end)
                p++;
        } else if (c == '(') {
            nest++;
        } else if (c == ')' && --nest == 0) {
            return p;
        }
    }
    return NULL;
}

static unsigned char
escape_char(unsigned char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    default:
        return c;
    }
}

/* Decode the body of a literal string (between the parentheses) into buf. */
static size_t
decode_literal(const unsigned char *p, const unsigned char *end, char *buf, size_t cap)
{
    size_t n = 0;
    while (p < end && n + 1 < cap) {
        unsigned char c = *p++;
        if (c != '\\' || p == end) {
            buf[n++] = (char)c;
            continue;
        }
        c = *p++;
        if (c >= '0' && c <= '7') {
            unsigned v = c - '0';
            for (int i = 0; i < 2 && p < end && *p >= '0' && *p <= '7'; i++)
                v = v * 8 + (unsigned)(*p++ - '0');
            buf[n++] = (char)(v & 0xFF);
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && p < end && *p == '\n')
                p++; /* a backslash before an end of line continues the string */
        } else {
            buf[n++] = (char)escape_char(c);
        }
    }
    return n;
}

/* Decode a hex string body (between '<' and '>') into buf. */
static size_t
decode_hex(const unsigned char *p, const unsigned char *end, char *buf, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; p < end && n + 1 < cap; p++) {
        int v = wp_hexval(*p);
        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            buf[n++] = (char)(hi * 16 + v);
            hi = -1;
        }
    }
    if (hi >= 0 && n + 1 < cap)
        buf[n++] = (char)(hi * 16); /* an odd last digit is followed by 0 */
    return n;
}

/* A string token [b, e) (without delimiters) right after /URI: that is a link. */
static void
uri_target(parser *ps, const unsigned char *b, const unsigned char *e, bool hex)
{
    pdf_state *st = ps->st;
    count_action(st, N_URI, ps->uri_name, ps->uri_name_len, ps->uri_escaped);
    if (st->uris >= PDF_MAX_URIS)
        return;
    st->uris++;
    char buf[PDF_URI_MAX];
    size_t n = hex ? decode_hex(b, e, buf, sizeof buf) : decode_literal(b, e, buf, sizeof buf);
    if (n > 0)
        wp_scan_add_url(st->s, buf, n, NULL, 0, "pdf", st->where);
}

/* p at '('; returns where tokenizing goes on. */
static const unsigned char *
literal_token(parser *ps, const unsigned char *p, bool uri)
{
    value_done(ps);
    const unsigned char *q = literal_end(p + 1, ps->end);
    if (q != NULL) {
        if (uri)
            uri_target(ps, p + 1, q - 1, false);
        return q;
    }
    /* A string that never ends would swallow the rest of the file, while a reader going by
     * the cross-reference table still finds the objects after it: go on after the next
     * "endobj" (a few times per buffer, as each try reads to the end). */
    if (ps->recoveries++ >= PDF_MAX_RECOVERIES) {
        too_complex(ps->st, "more than 8 unterminated strings; the rest not read");
        return ps->end;
    }
    const unsigned char *eo = memmem(p + 1, (size_t)(ps->end - p - 1), "endobj", 6);
    return eo != NULL ? eo : ps->end;
}

/* p at '<' (not "<<"): a hex string ends at '>'; any other byte ends it early, unread. */
static const unsigned char *
hex_token(parser *ps, const unsigned char *p, bool uri)
{
    value_done(ps);
    const unsigned char *q = p + 1;
    while (q < ps->end && (wp_hexval(*q) >= 0 || is_space(*q)))
        q++;
    if (uri)
        uri_target(ps, p + 1, q, true);
    return q < ps->end && *q == '>' ? q + 1 : q;
}

/* ---- streams ---- */

/* ps->p just after the "stream" keyword that followed a dictionary. */
static void
stream_token(parser *ps)
{
    const unsigned char *b = ps->p, *end = ps->end;
    if (b < end && *b == '\r')
        b++;
    if (b < end && *b == '\n')
        b++;
    const unsigned char *be = NULL, *resume = end;
    const stream_dict *sd = &ps->sd;
    if (sd->have_length && !sd->length_indirect && sd->length <= (uint64_t)(end - b)) {
        const unsigned char *q = b + sd->length;
        while (q < end && is_space(*q))
            q++;
        if (end - q >= 9 && memcmp(q, "endstream", 9) == 0) {
            be = b + sd->length;
            resume = q + 9;
        }
    }
    if (be == NULL) {
        const unsigned char *es = memmem(b, (size_t)(end - b), "endstream", 9);
        be = es != NULL ? es : end;
        resume = es != NULL ? es + 9 : end;
    }
    if (sd->objstm) {
        ps->objstm_found = true;
        ps->objstm_body = b;
        ps->objstm_len = (size_t)(be - b);
        ps->objstm_sd = *sd;
    }
    ps->p = resume;
}

/* ---- numbers and keywords ---- */

static bool
parse_uint(const unsigned char *p, size_t n, uint64_t *v)
{
    if (n > 0 && *p == '+') {
        p++;
        n--;
    }
    if (n == 0 || n > 15)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        x = x * 10 + (uint64_t)(p[i] - '0');
    }
    *v = x;
    return true;
}

static bool
word_is(const unsigned char *p, size_t n, const char *w)
{
    return n == strlen(w) && memcmp(p, w, n) == 0;
}

/* A run of regular characters: a number or a keyword. */
static void
word_token(parser *ps, const unsigned char *p, size_t n, bool after_dict)
{
    frame *f = top(ps);
    bool key_pos = f != NULL && f->kind == '<' && f->expect_key;
    uint64_t v = 0;
    if (parse_uint(p, n, &v)) {
        /* in key position, an integer continues the value before it ("5 0 R") */
        if (!key_pos && ps->depth == 1 && ps->key == K_LENGTH) {
            ps->sd.have_length = true;
            ps->sd.length = v;
        }
        if (!key_pos)
            value_done(ps);
        return;
    }
    if (word_is(p, n, "stream")) {
        if (after_dict) {
            ps->p = p + n;
            stream_token(ps);
        }
        return;
    }
    if (word_is(p, n, "obj") || word_is(p, n, "endobj")) {
        reset_stack(ps);
        return;
    }
    if (word_is(p, n, "R")) {
        if (ps->depth == 1 && ps->key == K_LENGTH)
            ps->sd.length_indirect = true;
        return;
    }
    if (!key_pos)
        value_done(ps); /* true, false, null, a real number */
}

/* ---- the loop ---- */

/* One token at ps->p; returns false at the end of the buffer. */
static bool
next_token(parser *ps)
{
    const unsigned char *p = ps->p, *end = ps->end;
    while (p < end && (is_space(*p) || *p == '%')) {
        if (*p == '%') {
            while (p < end && *p != '\r' && *p != '\n')
                p++;
        } else {
            p++;
        }
    }
    if (p >= end)
        return false;
    bool uri = ps->uri_pending, after_dict = ps->after_dict;
    ps->uri_pending = false;
    ps->after_dict = false;
    unsigned char c = *p;
    if (c == '/') {
        ps->p = name_token(ps, p);
    } else if (c == '(') {
        ps->p = literal_token(ps, p, uri);
    } else if (c == '<' && end - p >= 2 && p[1] == '<') {
        open_container(ps, '<');
        ps->p = p + 2;
    } else if (c == '<') {
        ps->p = hex_token(ps, p, uri);
    } else if (c == '>' && end - p >= 2 && p[1] == '>') {
        close_container(ps, '<');
        ps->p = p + 2;
    } else if (c == '[') {
        open_container(ps, '[');
        ps->p = p + 1;
    } else if (c == ']') {
        close_container(ps, '[');
        ps->p = p + 1;
    } else if (is_delim(c)) {
        ps->p = p + 1; /* a stray ')', '>', '{' or '}' */
    } else {
        const unsigned char *q = p;
        while (q < end && !is_space(*q) && !is_delim(*q))
            q++;
        ps->p = q;
        word_token(ps, p, (size_t)(q - p), after_dict);
    }
    return true;
}

/* One token, within the token and time budgets; false at the end or when stopped. */
static bool
step(parser *ps)
{
    pdf_state *st = ps->st;
    if (st->stop || !next_token(ps))
        return false;
    if (++st->tokens >= PDF_MAX_TOKENS) {
        too_complex(st, "more than 16777216 tokens; the rest not read");
        st->stop = true;
    } else if ((st->tokens & 0xFFFF) == 0 && wp_scan_out_of_time(st->s, st->where)) {
        st->stop = true;
    }
    return !st->stop;
}

/* An inflated object stream: its streams are not followed (the format has none there). */
static void
scan_buffer(pdf_state *st, const unsigned char *d, size_t len)
{
    parser ps = {.st = st, .p = d, .end = d + len};
    while (step(&ps)) {
        if (ps.objstm_found) {
            ps.objstm_found = false;
            too_complex(st, "an object stream inside an object stream, not read");
        }
    }
}

/* An object stream's bytes: tokenized like the file, inflated first if need be. */
static void
object_stream(pdf_state *st, const unsigned char *body, size_t n, const stream_dict *sd)
{
    if (st->objstms >= PDF_MAX_OBJSTM) {
        too_complex(st, "more than 1000 object streams; the rest not read");
        return;
    }
    st->objstms++;
    if (sd->filters == 0) {
        scan_buffer(st, body, n);
        return;
    }
    if (sd->filters != 1 || !sd->flate || st->budget == 0)
        return;
    if (wp_scan_out_of_time(st->s, st->where)) {
        st->stop = true;
        return;
    }
    uint64_t cap = 0;
    if (__builtin_mul_overflow((uint64_t)n, wp_limit(st->s->lim, WP_LIMIT_ARCHIVE_RATIO), &cap))
        cap = UINT64_MAX;
    if (cap < PDF_INFLATE_MIN)
        cap = PDF_INFLATE_MIN;
    if (cap > st->budget)
        cap = st->budget;
    if (st->outcap < cap) {
        unsigned char *nb = realloc(st->out, (size_t)cap);
        if (nb == NULL)
            return;
        st->out = nb;
        st->outcap = (size_t)cap;
    }
    z_stream z = {0};
    if (inflateInit(&z) != Z_OK)
        return;
    z.next_in = (Bytef *)body;
    z.avail_in = (uInt)(n > 0x7FFFFFFF ? 0x7FFFFFFF : n);
    z.next_out = st->out;
    z.avail_out = (uInt)(cap > 0x7FFFFFFF ? 0x7FFFFFFF : cap);
    (void)inflate(&z, Z_FINISH); /* partial output of a broken stream is still read */
    size_t got = (size_t)z.total_out;
    (void)inflateEnd(&z);
    st->budget -= got < st->budget ? got : st->budget;
    scan_buffer(st, st->out, got);
}

/* The file: each object stream found is read before the next token. */
static void
scan_file(pdf_state *st, const unsigned char *d, size_t len)
{
    parser ps = {.st = st, .p = d, .end = d + len};
    while (step(&ps)) {
        if (ps.objstm_found) {
            ps.objstm_found = false;
            object_stream(st, ps.objstm_body, ps.objstm_len, &ps.objstm_sd);
        }
    }
}

void
wp_pdf_analyze(wp_scan *s, const uint8_t *data, size_t len, const char *where)
{
    pdf_state st = {.s = s, .where = where, .budget = wp_limit(s->lim, WP_LIMIT_PART_BYTES)};
    scan_file(&st, data, len);
    free(st.out);

    unsigned js = st.count[N_JS] + st.count[N_JAVASCRIPT];
    if (js)
        wp_scan_finding(s, "PDF_JAVASCRIPT", where, "%u /JS or /JavaScript name(s)", js);
    if (st.count[N_OPENACTION] + st.count[N_AA]) {
        wp_scan_finding(s, "PDF_AUTO_ACTION", where, "/OpenAction %u, /AA %u",
                        st.count[N_OPENACTION], st.count[N_AA]);
    }
    if (st.count[N_LAUNCH])
        wp_scan_finding(s, "PDF_LAUNCH", where, "%u /Launch action(s)", st.count[N_LAUNCH]);
    if (st.count[N_EMBEDDED]) {
        wp_scan_finding(s, "PDF_EMBEDDED_FILE", where, "%u /EmbeddedFile name(s)",
                        st.count[N_EMBEDDED]);
    }
    if (st.count[N_URI])
        wp_scan_finding(s, "PDF_URI", where, "%u /URI action(s)", st.count[N_URI]);
    if (st.count[N_ACROFORM] + st.count[N_XFA]) {
        wp_scan_finding(s, "PDF_FORM", where, "/AcroForm %u, /XFA %u", st.count[N_ACROFORM],
                        st.count[N_XFA]);
    }
    if (st.count[N_ENCRYPT])
        wp_scan_finding(s, "PDF_ENCRYPTED", where, "/Encrypt dictionary present");
    if (st.obfuscated) {
        wp_scan_finding(s, "PDF_NAME_OBFUSCATION", where,
                        "%u action name(s) written with #xx escapes, e.g. '%s'", st.obfuscated,
                        wp_arena_sanitize(s->a, st.obf_example, strlen(st.obf_example), 64));
    }
    if (st.why != NULL)
        wp_scan_finding(s, "PDF_TOO_COMPLEX", where, "%s", st.why);
}
