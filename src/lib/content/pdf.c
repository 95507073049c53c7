/*
 * pdf.c - PDF actions in the manner of pdfid: count the names that matter.
 *
 * Names are read as PDF tokens ('/' then regular characters) and #xx escapes are decoded
 * first, so "/J#61vaScript" counts as /JavaScript (and is itself reported as obfuscation).
 * Stream bodies are skipped, except object streams (/ObjStm) compressed with FlateDecode,
 * which are inflated (bounded by max_part_bytes and the archive ratio limit) and scanned too:
 * that is where modern PDFs keep their action dictionaries. URI actions feed the URL list.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "content.h"
#include "core/util.h"

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

typedef struct pdf_state {
    unsigned count[N__COUNT];
    unsigned obfuscated;
    char obf_example[64];
    unsigned uris;
} pdf_state;

static bool
is_delim(unsigned char c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '/' || c == '%';
}

static bool
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0;
}

/* Read the string operand after /URI: (literal) or <hex>. */
static void
read_uri(wp_scan *s, const unsigned char *p, const unsigned char *end, const char *where)
{
    while (p < end && is_space(*p))
        p++;
    char buf[2048];
    size_t n = 0;
    if (p < end && *p == '(') {
        int nest = 0;
        for (p++; p < end && n + 1 < sizeof buf; p++) {
            if (*p == '\\' && p + 1 < end) {
                p++;
                buf[n++] = (char)*p;
                continue;
            }
            if (*p == '(')
                nest++;
            if (*p == ')' && nest-- == 0)
                break;
            buf[n++] = (char)*p;
        }
    } else if (p < end && *p == '<') {
        int hi = -1;
        for (p++; p < end && *p != '>' && n + 1 < sizeof buf; p++) {
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
    }
    if (n > 0)
        wp_scan_add_url(s, buf, n, NULL, 0, "pdf", where);
}

static void
scan_names(wp_scan *s, pdf_state *st, const unsigned char *d, size_t len, const char *where)
{
    const unsigned char *p = d, *end = d + len;
    while (p < end) {
        const unsigned char *slash = memchr(p, '/', (size_t)(end - p));
        if (slash == NULL)
            break;
        /* skip stream bodies: "stream" EOL ... "endstream" */
        const unsigned char *st_kw = memmem(p, (size_t)(slash - p), "stream", 6);
        if (st_kw != NULL && (st_kw == d || st_kw[-1] != 'd')) {
            const unsigned char *after = st_kw + 6;
            if (after < end && (*after == '\r' || *after == '\n')) {
                const unsigned char *es = memmem(after, (size_t)(end - after), "endstream", 9);
                if (es == NULL)
                    return;
                p = es + 9;
                continue;
            }
        }
        char name[64];
        size_t n = 0;
        bool had_escape = false;
        const unsigned char *q = slash + 1;
        while (q < end && !is_space(*q) && !is_delim(*q)) {
            unsigned char c = *q;
            if (c == '#' && q + 2 < end && wp_hexval(q[1]) >= 0 && wp_hexval(q[2]) >= 0) {
                c = (unsigned char)(wp_hexval(q[1]) * 16 + wp_hexval(q[2]));
                q += 2;
                had_escape = true;
            }
            if (n + 1 < sizeof name)
                name[n++] = (char)c;
            q++;
        }
        name[n] = '\0';
        for (int k = 0; k < N__COUNT; k++) {
            bool hit =
                k == N_EMBEDDED ? strncmp(name, names[k], 12) == 0 : strcmp(name, names[k]) == 0;
            if (!hit)
                continue;
            if (k == N_URI) {
                /* "/S /URI" names the action type; only "/URI (target)" is a link */
                const unsigned char *v = q;
                while (v < end && is_space(*v))
                    v++;
                if (v >= end || !(*v == '(' || (*v == '<' && (v + 1 >= end || v[1] != '<'))))
                    break;
            }
            st->count[k]++;
            if (had_escape && st->obfuscated++ == 0) {
                size_t rl = (size_t)(q - slash) < 60 ? (size_t)(q - slash) : 60;
                memcpy(st->obf_example, slash, rl);
                st->obf_example[rl] = '\0';
            }
            if (k == N_URI && st->uris < 500) {
                st->uris++;
                read_uri(s, q, end, where);
            }
            break;
        }
        p = q > slash ? q : slash + 1;
    }
}

/* Inflate /ObjStm streams and scan the dictionaries inside them. */
static void
scan_object_streams(wp_scan *s, pdf_state *st, const unsigned char *d, size_t len,
                    const char *where)
{
    uint64_t budget = wp_limit(s->lim, WP_LIMIT_PART_BYTES);
    const unsigned char *p = d, *end = d + len;
    unsigned streams = 0;
    unsigned char *out = NULL;
    size_t outcap = 0;
    while (p < end && streams < 1000 && budget > 0) {
        const unsigned char *os = memmem(p, (size_t)(end - p), "/ObjStm", 7);
        if (os == NULL)
            break;
        const unsigned char *kw = memmem(os, (size_t)(end - os), "stream", 6);
        if (kw == NULL)
            break;
        const unsigned char *dict = os;
        bool flate =
            memmem(dict > d + 512 ? dict - 512 : d,
                   (size_t)(kw - (dict > d + 512 ? dict - 512 : d)), "FlateDecode", 11) != NULL;
        const unsigned char *body = kw + 6;
        if (body < end && *body == '\r')
            body++;
        if (body < end && *body == '\n')
            body++;
        const unsigned char *es = memmem(body, (size_t)(end - body), "endstream", 9);
        if (es == NULL)
            break;
        p = es + 9;
        streams++;
        if (!flate)
            continue;
        uint64_t cap = (uint64_t)(es - body) * wp_limit(s->lim, WP_LIMIT_ARCHIVE_RATIO);
        if (cap < 1024 * 1024)
            cap = 1024 * 1024;
        if (cap > budget)
            cap = budget;
        if (outcap < cap) {
            unsigned char *nb = realloc(out, (size_t)cap);
            if (nb == NULL)
                break;
            out = nb;
            outcap = (size_t)cap;
        }
        z_stream z = {0};
        if (inflateInit(&z) != Z_OK)
            break;
        z.next_in = (Bytef *)body;
        z.avail_in = (uInt)((size_t)(es - body) > 0x7FFFFFFF ? 0x7FFFFFFF : (size_t)(es - body));
        z.next_out = out;
        z.avail_out = (uInt)(cap > 0x7FFFFFFF ? 0x7FFFFFFF : cap);
        inflate(&z, Z_FINISH); /* partial output of a broken stream is still scanned */
        size_t got = (size_t)z.total_out;
        inflateEnd(&z);
        budget -= got < budget ? got : budget;
        scan_names(s, st, out, got, where);
    }
    free(out);
}

void
wp_pdf_analyze(wp_scan *s, const uint8_t *data, size_t len, const char *where)
{
    pdf_state st = {0};
    scan_names(s, &st, data, len, where);
    scan_object_streams(s, &st, data, len, where);

    unsigned js = st.count[N_JS] + st.count[N_JAVASCRIPT];
    if (js)
        wp_scan_finding(s, "PDF_JAVASCRIPT", where, "%u /JS or /JavaScript name(s)", js);
    if (st.count[N_OPENACTION] + st.count[N_AA])
        wp_scan_finding(s, "PDF_AUTO_ACTION", where, "/OpenAction %u, /AA %u",
                        st.count[N_OPENACTION], st.count[N_AA]);
    if (st.count[N_LAUNCH])
        wp_scan_finding(s, "PDF_LAUNCH", where, "%u /Launch action(s)", st.count[N_LAUNCH]);
    if (st.count[N_EMBEDDED])
        wp_scan_finding(s, "PDF_EMBEDDED_FILE", where, "%u /EmbeddedFile name(s)",
                        st.count[N_EMBEDDED]);
    if (st.count[N_URI])
        wp_scan_finding(s, "PDF_URI", where, "%u /URI action(s)", st.count[N_URI]);
    if (st.count[N_ACROFORM] + st.count[N_XFA])
        wp_scan_finding(s, "PDF_FORM", where, "/AcroForm %u, /XFA %u", st.count[N_ACROFORM],
                        st.count[N_XFA]);
    if (st.count[N_ENCRYPT])
        wp_scan_finding(s, "PDF_ENCRYPTED", where, "/Encrypt dictionary present");
    if (st.obfuscated)
        wp_scan_finding(s, "PDF_NAME_OBFUSCATION", where,
                        "%u action name(s) written with #xx escapes, e.g. '%s'", st.obfuscated,
                        wp_arena_sanitize(s->a, st.obf_example, strlen(st.obf_example), 64));
}
