/*
 * json.c - a bounded, non-allocating scanner for one JSON object per line (Zeek JSON logs,
 * Suricata EVE), filling the parser's slots.
 *
 * Why not jansson: building a tree of every value costs several allocations per field,
 * and we keep a few dozen of them. The scanner validates the whole line (strings, escapes,
 * numbers, literals, nesting, nothing after the object) and, for each scalar, looks its
 * dotted path ("dns.answers.rdata"; array indices are not part of it) up in the name table.
 * Only the values of a known path are unescaped (into the parser's scratch buffer); scalars
 * inside arrays are joined with ','. Nesting is limited to json_depth with an explicit stack
 * (no recursion); paths longer than NET_PATH_MAX bytes match nothing. Keys are compared as
 * written: a key spelled with escapes matches nothing.
 */
#include <stdint.h>
#include <string.h>

#include "netlog_int.h"

typedef struct frame {
    uint16_t plen;  /* path length inside this container */
    uint8_t arr;    /* an array */
    uint8_t first;  /* nothing read yet: the closer may come */
    uint8_t in_arr; /* this container or one around it is an array */
} frame;

#define PATH_OVER 0xffff /* the path got too long: nothing below matches */

static unsigned
hexval(char h)
{
    return h >= '0' && h <= '9'   ? (unsigned)(h - '0')
           : h >= 'a' && h <= 'f' ? (unsigned)(h - 'a' + 10)
           : h >= 'A' && h <= 'F' ? (unsigned)(h - 'A' + 10)
                                  : 16;
}

/* four hex digits; above 0xffff when one is not a hex digit */
static unsigned
hex4(const char *s)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned d = hexval(s[k]);
        if (d > 15)
            return 0x10000;
        v = v << 4 | d;
    }
    return v;
}

static size_t
utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xc0 | cp >> 6);
        d[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xe0 | cp >> 12);
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (char)(0xf0 | cp >> 18);
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    d[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The string body s[0..n) was validated by the scanner; the output is never longer than
 * the input (a lone surrogate, 6 bytes, becomes U+FFFD, 3 bytes). */
static size_t
unescape(char *d, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            d[o++] = s[i];
            continue;
        }
        char c = s[++i];
        switch (c) {
        case 'b':
            d[o++] = '\b';
            break;
        case 'f':
            d[o++] = '\f';
            break;
        case 'n':
            d[o++] = '\n';
            break;
        case 'r':
            d[o++] = '\r';
            break;
        case 't':
            d[o++] = '\t';
            break;
        case 'u': {
            unsigned cp = hex4(s + i + 1);
            i += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < n && s[i + 1] == '\\' && s[i + 2] == 'u') {
                unsigned lo = hex4(s + i + 3);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                }
            }
            if (cp >= 0xd800 && cp < 0xe000)
                cp = 0xfffd;
            o += utf8(d + o, cp);
            break;
        }
        default:
            d[o++] = c;
            break; /* \" \\ \/ */
        }
    }
    return o;
}

/* Write a value (unescaped when esc) at d, which has room for n bytes; returns its length. */
static size_t
put(char *d, const char *s, size_t n, bool esc)
{
    if (esc)
        return unescape(d, s, n);
    memcpy(d, s, n);
    return n;
}

static bool
visit(wp_netlog_parser *p, const char *path, size_t plen, const char *s, size_t n, uint8_t type,
      bool esc, bool in_arr)
{
    net_slot sl = net_lookup(p, path, plen);
    if (sl == S_NONE) {
        if (plen > 12 && memcmp(path, "dns.grouped.", 12) == 0)
            sl = S_GROUPED;
        else
            return true;
    }
    net_val *v = &p->v[sl];
    if (n == 0 || (type == V_LITERAL && memcmp(s, "null", 4) == 0)) {
        if (v->type == V_ABSENT)
            v->type = type; /* present, without a value */
        return true;
    }
    if (!in_arr || v->n == 0) {
        if (esc) {
            char *d = net_scratch(p, n);
            if (d == NULL)
                return false;
            size_t w = unescape(d, s, n);
            p->scratch_len -= n - w;
            s = d;
            n = w;
        }
        *v = (net_val){s, (uint32_t)n, type, in_arr};
        return true;
    }
    /* append ",value": in place when v ends the scratch buffer, else copied behind it */
    uintptr_t vp = (uintptr_t)v->p, sp = (uintptr_t)p->scratch;
    bool at_end = vp >= sp && vp + v->n == sp + p->scratch_len;
    size_t keep = at_end ? 0 : v->n;
    char *d = net_scratch(p, keep + 1 + n);
    if (d == NULL)
        return false;
    if (!at_end) {
        memcpy(d, v->p, v->n);
        v->p = d;
    }
    d[keep] = p->join_sep;
    size_t w = put(d + keep + 1, s, n, esc);
    p->scratch_len -= n - w;
    v->n += (uint32_t)(1 + w);
    v->joined = 1;
    return true;
}

static size_t
ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

/* s[i] is the opening quote; returns the index after the closing one, 0 when malformed */
static size_t
scan_string(const char *s, size_t i, size_t n, bool *esc, const char **why)
{
    *esc = false;
    for (i++; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"')
            return i + 1;
        if (c < 0x20) {
            *why = "control character in a string";
            return 0;
        }
        if (c != '\\')
            continue;
        *esc = true;
        if (++i == n)
            break;
        c = (unsigned char)s[i];
        if (c == 'u') {
            if (n - i < 5 || hex4(s + i + 1) > 0xffff) {
                *why = "bad \\u escape";
                return 0;
            }
            i += 4;
        } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
            *why = "bad escape in a string";
            return 0;
        }
    }
    *why = "unterminated string";
    return 0;
}

static size_t
scan_number(const char *s, size_t i, size_t n)
{
    size_t j = i;
    if (j < n && s[j] == '-')
        j++;
    if (j < n && s[j] == '0') {
        j++;
    } else if (j < n && s[j] >= '1' && s[j] <= '9') {
        while (j < n && (unsigned char)(s[j] - '0') <= 9)
            j++;
    } else {
        return 0;
    }
    if (j < n && s[j] == '.') {
        size_t k = ++j;
        while (j < n && (unsigned char)(s[j] - '0') <= 9)
            j++;
        if (j == k)
            return 0;
    }
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        j++;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        size_t k = j;
        while (j < n && (unsigned char)(s[j] - '0') <= 9)
            j++;
        if (j == k)
            return 0;
    }
    return j;
}

bool
net_json_scan(wp_netlog_parser *p, const char *s, size_t n, const char **why)
{
    frame st[NET_MAX_DEPTH];
    char path[NET_PATH_MAX + 1];
    const unsigned maxd = p->lim.json_depth;
    unsigned depth = 0;
    size_t i = ws(s, 0, n);
    if (i == n || s[i] != '{') {
        *why = "not an object";
        return false;
    }
    st[depth++] = (frame){0, 0, 1, 0};
    i++;
    for (;;) {
        frame *f = &st[depth - 1];
        const char *key = NULL;
        size_t kn = 0;
        bool esc;
        i = ws(s, i, n);
        if (i == n)
            goto truncated;
        if (f->first && s[i] == (f->arr ? ']' : '}'))
            goto close;
        f->first = 0;
        if (!f->arr) {
            if (s[i] != '"') {
                *why = "expected a key";
                return false;
            }
            size_t e = scan_string(s, i, n, &esc, why);
            if (e == 0)
                return false;
            key = s + i + 1;
            kn = e - i - 2;
            i = ws(s, e, n);
            if (i == n || s[i] != ':') {
                *why = i == n ? "truncated" : "expected ':'";
                return false;
            }
            i = ws(s, i + 1, n);
            if (i == n)
                goto truncated;
        }
        /* the value's path: the container's, then ".key" */
        size_t plen = f->plen;
        if (key != NULL && plen != PATH_OVER) {
            size_t need = plen + (plen ? 1 : 0) + kn;
            if (need > NET_PATH_MAX) {
                plen = PATH_OVER;
            } else {
                if (f->plen)
                    path[plen++] = '.';
                memcpy(path + plen, key, kn);
                plen += kn;
            }
        }
        char c = s[i];
        if (c == '{' || c == '[') {
            if (depth == maxd) {
                *why = "nested deeper than the limit";
                return false;
            }
            st[depth++] = (frame){(uint16_t)plen, c == '[', 1, f->arr || f->in_arr};
            i++;
            continue;
        }
        const char *v = s + i;
        size_t e;
        uint8_t type;
        esc = false;
        if (c == '"') {
            e = scan_string(s, i, n, &esc, why);
            if (e == 0)
                return false;
            v++;
            type = V_STRING;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            e = scan_number(s, i, n);
            if (e == 0) {
                *why = "bad number";
                return false;
            }
            type = V_NUMBER;
        } else if (n - i >= 4 && (memcmp(v, "true", 4) == 0 || memcmp(v, "null", 4) == 0)) {
            e = i + 4;
            type = V_LITERAL;
        } else if (n - i >= 5 && memcmp(v, "false", 5) == 0) {
            e = i + 5;
            type = V_LITERAL;
        } else {
            *why = "expected a value";
            return false;
        }
        size_t vn = (size_t)(s + e - v) - (type == V_STRING ? 1 : 0);
        if (plen != PATH_OVER && !visit(p, path, plen, v, vn, type, esc, f->arr || f->in_arr)) {
            *why = "too many array values";
            return false;
        }
        i = e;
    after:
        i = ws(s, i, n);
        if (i == n)
            goto truncated;
        if (s[i] == ',') {
            i++;
            continue;
        }
        f = &st[depth - 1];
        if (s[i] != (f->arr ? ']' : '}')) {
            *why = f->arr ? "expected ',' or ']'" : "expected ',' or '}'";
            return false;
        }
    close:
        i++;
        if (--depth == 0) {
            if (ws(s, i, n) != n) {
                *why = "text after the object";
                return false;
            }
            return true;
        }
        goto after;
    }
truncated:
    *why = "truncated";
    return false;
}
