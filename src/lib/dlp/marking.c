/*
 * marking.c - preparing classification-marking patterns and finding them as markings
 * (marking.h has the rules: upper-case whole words for ASCII, brackets or a line of its own
 * for a lone non-ASCII character).
 *
 * The search is memmem for the pattern bytes, then a look at the characters around each
 * occurrence, decoded in the text's encoding. Occurrences per pattern are capped so hostile
 * input full of near-misses costs a bounded amount.
 */
#include "marking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OCCURRENCES 4096 /* raw occurrences examined per pattern and buffer */
#define MAX_SPACES      8    /* blanks skipped between a marking and its bracket or line end */
#define NONE            0xFFFFFFFFu

/* Decode one UTF-8 sequence at p (n bytes left); returns its length, 0 when invalid. */
static size_t
utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    uint8_t c = p[0];
    size_t k;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c < 0xE0) {
        k = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c < 0xF0) {
        k = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c < 0xF5) {
        k = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3F);
    }
    if ((k == 3 && v < 0x800) || (k == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return k;
}

static bool
is_word(uint32_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

wp_status
dlp_marking_make(const char *pattern, dlp_marking *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    while (*pattern == ' ' || *pattern == '\t')
        pattern++;
    size_t len = strlen(pattern);
    while (len > 0 && (pattern[len - 1] == ' ' || pattern[len - 1] == '\t'))
        len--;
    if (len == 0) {
        snprintf(err, errlen, "empty marking");
        return WP_EINVAL;
    }
    if (len > DLP_MARKING_MAX_BYTES) {
        snprintf(err, errlen, "marking longer than %d bytes", DLP_MARKING_MAX_BYTES);
        return WP_EINVAL;
    }
    char *t = malloc(len + 1);
    uint8_t *u = malloc(len * 4); /* UTF-16LE needs at most 4 bytes per UTF-8 sequence */
    if (t == NULL || u == NULL) {
        free(t);
        free(u);
        return WP_ENOMEM;
    }
    size_t ulen = 0, chars = 0;
    bool ascii_only = true;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_decode((const uint8_t *)pattern + i, len - i, &cp);
        if (k == 0 || cp < 0x20 || cp == 0x7F || cp == '\'') {
            snprintf(err, errlen,
                     k == 0 ? "marking is not valid UTF-8"
                            : "marking contains a control character or a quote");
            free(t);
            free(u);
            return WP_EINVAL;
        }
        if (cp >= 'a' && cp <= 'z')
            cp -= 'a' - 'A';
        if (cp < 0x80)
            t[i] = (char)cp;
        else
            memcpy(t + i, pattern + i, k);
        ascii_only = ascii_only && cp < 0x80;
        if (cp >= 0x10000) {
            uint32_t v = cp - 0x10000;
            uint32_t hi = 0xD800 | v >> 10, lo = 0xDC00 | (v & 0x3FF);
            u[ulen++] = (uint8_t)hi;
            u[ulen++] = (uint8_t)(hi >> 8);
            u[ulen++] = (uint8_t)lo;
            u[ulen++] = (uint8_t)(lo >> 8);
        } else {
            u[ulen++] = (uint8_t)cp;
            u[ulen++] = (uint8_t)(cp >> 8);
        }
        i += k;
        chars++;
    }
    t[len] = '\0';
    unsigned char first = (unsigned char)t[0], last = (unsigned char)t[len - 1];
    out->text = t;
    out->len = len;
    out->u16 = u;
    out->u16_len = ulen;
    out->lead_word = is_word(first);
    out->tail_word = is_word(last);
    out->standalone = chars == 1 && !ascii_only;
    return WP_OK;
}

void
dlp_marking_free(dlp_marking *m)
{
    free(m->text);
    free(m->u16);
    memset(m, 0, sizeof(*m));
}

/* The character that ends at pos (NONE at the start), and where it starts. */
static uint32_t
prev_char(const uint8_t *d, size_t pos, bool utf16, size_t *start)
{
    if (utf16) {
        if (pos < 2)
            return NONE;
        *start = pos - 2;
        return (uint32_t)d[pos - 2] | (uint32_t)d[pos - 1] << 8;
    }
    if (pos == 0)
        return NONE;
    size_t q = pos - 1;
    while (q > 0 && pos - q < 4 && (d[q] & 0xC0) == 0x80)
        q--;
    uint32_t cp;
    if (utf8_decode(d + q, pos - q, &cp) == pos - q) {
        *start = q;
        return cp;
    }
    *start = pos - 1;
    return d[pos - 1];
}

/* The character that starts at pos (NONE at the end), and where the next one starts. */
static uint32_t
next_char(const uint8_t *d, size_t len, size_t pos, bool utf16, size_t *end)
{
    if (utf16) {
        if (pos + 2 > len)
            return NONE;
        *end = pos + 2;
        return (uint32_t)d[pos] | (uint32_t)d[pos + 1] << 8;
    }
    if (pos >= len)
        return NONE;
    uint32_t cp;
    size_t k = utf8_decode(d + pos, len - pos, &cp);
    if (k == 0) {
        *end = pos + 1;
        return d[pos];
    }
    *end = pos + k;
    return cp;
}

static bool
is_blank(uint32_t c)
{
    return c == ' ' || c == '\t' || c == 0x3000 /* ideographic space */ || c == 0xA0;
}

/* The closing bracket that pairs with open, 0 when open is not one. */
static uint32_t
closer(uint32_t open)
{
    switch (open) {
    case '(':
        return ')';
    case '[':
        return ']';
    case 0x3010: /* 【 */
        return 0x3011;
    case 0xFF08: /* （ */
        return 0xFF09;
    case 0xFF3B: /* ［ */
        return 0xFF3D;
    case 0x3014: /* 〔 */
        return 0x3015;
    default:
        return 0;
    }
}

/* Start or end of a line, or the edge of an XML/HTML text node (a Word paragraph run). */
static bool
is_line_edge(uint32_t c, bool before)
{
    return c == NONE || c == '\n' || c == '\r' || c == (before ? '>' : '<');
}

/* The occurrence [pos, pos+n) of a lone character: is it bracketed or alone on its line? */
static bool
stands_alone(const uint8_t *d, size_t len, size_t pos, size_t n, bool utf16)
{
    uint32_t b = NONE, a = NONE;
    size_t p = pos, q = pos + n;
    for (int i = 0; i <= MAX_SPACES; i++) {
        size_t st = 0;
        b = prev_char(d, p, utf16, &st);
        if (!is_blank(b))
            break;
        p = st;
    }
    for (int i = 0; i <= MAX_SPACES; i++) {
        size_t en = 0;
        a = next_char(d, len, q, utf16, &en);
        if (!is_blank(a))
            break;
        q = en;
    }
    if (b != NONE && closer(b) != 0 && closer(b) == a)
        return true;
    return is_line_edge(b, true) && is_line_edge(a, false);
}

static bool
is_marking_at(const dlp_marking *m, const uint8_t *d, size_t len, size_t pos, size_t n, bool utf16)
{
    size_t dummy = 0;
    if (m->lead_word && is_word(prev_char(d, pos, utf16, &dummy)))
        return false;
    if (m->tail_word) {
        uint32_t a = next_char(d, len, pos + n, utf16, &dummy);
        if (a != NONE && is_word(a))
            return false;
    }
    if (m->standalone && !stands_alone(d, len, pos, n, utf16))
        return false;
    return true;
}

int
dlp_marking_find(const dlp_marking *m, size_t n, const uint8_t *data, size_t len, bool utf16)
{
    if (data == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *pat = utf16 ? m[i].u16 : (const uint8_t *)m[i].text;
        size_t plen = utf16 ? m[i].u16_len : m[i].len;
        if (plen == 0 || plen > len)
            continue;
        size_t off = 0;
        for (int k = 0; k < MAX_OCCURRENCES && off + plen <= len; k++) {
            const uint8_t *hit = memmem(data + off, len - off, pat, plen);
            if (hit == NULL)
                break;
            size_t pos = (size_t)(hit - data);
            if (is_marking_at(&m[i], data, len, pos, plen, utf16))
                return (int)i;
            off = pos + 1;
        }
    }
    return -1;
}
