/*
 * zeek_tsv.c - Zeek's ASCII (TSV) logs: the '#' header block and the data lines it lays out.
 *
 * "#separator \x09" opens a header block and resets the layout; "#set_separator",
 * "#empty_field", "#unset_field", "#path" and "#fields" set it up ("#types", "#open",
 * "#close" and any other '#' line are counted as headers and otherwise ignored). "#fields"
 * maps each column to a slot once, so a data line is one pass splitting on the separator.
 * The log's kind comes from "#path", else the file name, else the fields present; a log we
 * do not use (stats, x509, weird...) is skipped-unknown line by line, after its field count
 * is checked. Values are kept as Zeek wrote them (its \xHH escapes are not decoded).
 * One separator at the end of a data line is tolerated (RITA's test logs have them).
 * Limits: max_fields columns; separators and the empty/unset markers of one byte or a few.
 */
#include <stdint.h>
#include <string.h>

#include "netlog_int.h"

void
net_tsv_reset(wp_netlog_parser *p)
{
    net_tsv *t = &p->tsv;
    t->have_fields = false;
    t->sep = '\t';
    t->set_sep = ',';
    memcpy(t->empty, "(empty)", 8);
    t->empty_n = 7;
    memcpy(t->unset, "-", 2);
    t->unset_n = 1;
    t->path_kind = NET_KIND_NONE;
    t->path[0] = '\0';
    t->n_fields = 0;
    t->field_kind = NET_KIND_NONE;
    t->parts = 0;
    t->kind = NET_KIND_NONE;
    t->vals_ok = false;
}

/* Zeek escapes header values as \xHH (others write \t); out gets at most cap bytes. false: too
 * long/bad. */
static bool
unescape(const char *s, size_t n, char *out, size_t cap, size_t *outn)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n && s[i + 1] == 't') { /* "#separator \t" of some writers */
            c = '\t';
            i++;
        } else if (c == '\\' && i + 3 < n && s[i + 1] == 'x') {
            unsigned v = 0;
            for (size_t k = 2; k < 4; k++) {
                char h = s[i + k];
                unsigned d = h >= '0' && h <= '9'   ? (unsigned)(h - '0')
                             : h >= 'a' && h <= 'f' ? (unsigned)(h - 'a' + 10)
                             : h >= 'A' && h <= 'F' ? (unsigned)(h - 'A' + 10)
                                                    : 16;
                if (d == 16)
                    return false;
                v = v * 16 + d;
            }
            c = (char)v;
            i += 3;
        }
        if (o == cap)
            return false;
        out[o++] = c;
    }
    *outn = o;
    return true;
}

static void
resolve_kind(wp_netlog_parser *p)
{
    net_tsv *t = &p->tsv;
    t->kind = t->path_kind != NET_KIND_NONE   ? t->path_kind
              : p->hint_kind != NET_KIND_NONE ? p->hint_kind
                                              : t->field_kind;
}

static void
set_fields(wp_netlog_parser *p, const char *s, size_t n)
{
    net_tsv *t = &p->tsv;
    uint8_t present[S__COUNT] = {0};
    unsigned col = 0;
    const char *q = s, *end = s + n;
    t->have_fields = false;
    t->vals_ok = false;
    for (;;) {
        const char *e = memchr(q, t->sep, (size_t)(end - q));
        size_t fl = e ? (size_t)(e - q) : (size_t)(end - q);
        if (col == p->lim.max_fields) {
            net_bad(p, "#fields: more than %u fields (limit)", p->lim.max_fields);
            return;
        }
        net_slot sl = net_lookup(p, q, fl);
        t->map[col++] = (uint8_t)sl;
        present[sl] = 1;
        if (e == NULL)
            break;
        q = e + 1;
    }
    t->n_fields = col;
    t->field_kind = net_kind_from_fields(present);
    t->parts = net_parts_of(present);
    t->have_fields = true;
    resolve_kind(p);
    net_header(p);
}

void
net_tsv_header(wp_netlog_parser *p, const char *s, size_t n)
{
    net_tsv *t = &p->tsv;
    char buf[32];
    size_t bn;
    if (n > 11 && memcmp(s, "#separator", 10) == 0 && (s[10] == ' ' || s[10] == '\t')) {
        if (!unescape(s + 11, n - 11, buf, sizeof buf, &bn) || bn != 1 || buf[0] == '\n') {
            net_bad(p, "#separator: not one byte");
            net_tsv_reset(p);
            return;
        }
        /* a new header block (logs concatenated, or a rewritten file) */
        net_tsv_reset(p);
        t->sep = buf[0];
        net_header(p);
        return;
    }
    const char *e = memchr(s, t->sep, n);
    size_t kn = e ? (size_t)(e - s) : n;
    const char *val = e ? e + 1 : s + n;
    size_t vn = (size_t)(s + n - val);
#define IS(k) (kn == sizeof(k) - 1 && memcmp(s, k, kn) == 0)
    if (IS("#fields")) {
        set_fields(p, val, vn);
        return;
    }
    if (IS("#path")) {
        t->path_kind = net_kind_of_name(val, vn);
        size_t c = vn < sizeof t->path - 1 ? vn : sizeof t->path - 1;
        memcpy(t->path, val, c);
        t->path[c] = '\0';
        if (t->have_fields)
            resolve_kind(p);
    } else if (IS("#set_separator")) {
        if (!unescape(val, vn, buf, sizeof buf, &bn) || bn != 1) {
            net_bad(p, "#set_separator: not one byte");
            return;
        }
        t->set_sep = buf[0];
    } else if (IS("#empty_field") || IS("#unset_field")) {
        bool empty = IS("#empty_field");
        if (!unescape(val, vn, buf, sizeof buf, &bn) || bn == 0) {
            net_bad(p, "%.*s: empty or longer than %zu bytes", (int)kn, s, sizeof buf);
            return;
        }
        memcpy(empty ? t->empty : t->unset, buf, bn);
        *(empty ? &t->empty_n : &t->unset_n) = bn;
    }
#undef IS
    net_header(p);
}

/* The next separator in [q, end), or NULL. Fields are short, so rather than a memchr()
 * call per field, 8 bytes at a time (the "has a zero byte" trick on little-endian words:
 * the lowest flagged byte is always a true match). */
static const char *
find_sep(const char *q, const char *end, char sep)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, pat = ones * (unsigned char)sep;
    while (end - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        w ^= pat;
        uint64_t t = (w - ones) & ~w & 0x8080808080808080ULL;
        if (t != 0)
            return q + (__builtin_ctzll(t) >> 3);
        q += 8;
    }
    while (q < end && *q != sep)
        q++;
    return q < end ? q : NULL;
#else
    return memchr(q, sep, (size_t)(end - q));
#endif
}

void
net_tsv_data(wp_netlog_parser *p, const char *s, size_t n)
{
    net_tsv *t = &p->tsv;
    if (p->quiet)
        return;
    if (!t->have_fields) {
        net_bad(p, "data line before any #fields header (not a Zeek log?)");
        return;
    }
    if (!t->vals_ok) {
        net_vals_clear(p);
        t->vals_ok = true;
    }
    const uint8_t *map = t->map;
    const unsigned nf = t->n_fields;
    const char sep = t->sep;
    const char *q = s, *end = s + n;
    unsigned col = 0;
    for (;;) {
        const char *e = find_sep(q, end, sep);
        size_t fl = e ? (size_t)(e - q) : (size_t)(end - q);
        if (col < nf && map[col] != S_NONE) {
            net_val *v = &p->v[map[col]];
            bool absent = fl == 0 || (fl == t->unset_n && memcmp(q, t->unset, fl) == 0) ||
                          (fl == t->empty_n && memcmp(q, t->empty, fl) == 0);
            *v = (net_val){absent ? NULL : q, absent ? 0 : (uint32_t)fl,
                           absent ? V_ABSENT : V_STRING, 0};
        }
        col++;
        if (e == NULL)
            break;
        q = e + 1;
    }
    /* a separator at the end of the line (some log shippers add one) is no extra column */
    if (col == nf + 1 && s[n - 1] == sep)
        col = nf;
    if (col != nf) {
        t->vals_ok = false; /* a short line left the last line's values in some slots */
        net_bad(p, "%u fields, the #fields header has %u (truncated line?)", col, nf);
        return;
    }
    if (t->kind < 0) {
        net_unknown(p);
        return;
    }
    p->join_sep = t->set_sep;
    p->scratch_len = 0;
    const wp_net_record *r = net_build(p, (wp_net_kind)t->kind, false, t->parts);
    if (r != NULL)
        net_emit(p, r);
}
