/*
 * html.c - visible text and links from hostile HTML, without building a DOM.
 *
 * A single forward pass: tags are tokenised with quoted attribute values respected, script
 * and style contents skipped, entities decoded, whitespace collapsed. Links are recorded with
 * the visible text of the anchor so a later analyzer can compare them
 * (<a href="http://evil">www.bank.example</a>). Every loop advances; nothing recurses.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mail.h"

#define MAX_ATTR        8192
#define ANCHOR_TEXT_MAX 512

typedef struct text_buf {
    char *p;
    size_t n, cap, limit;
    bool space; /* last char written was a space */
} text_buf;

static void
tb_putc(text_buf *t, char c)
{
    if (t->n >= t->limit)
        return;
    if (t->n + 1 >= t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 4096;
        char *np = realloc(t->p, nc);
        if (np == NULL)
            return;
        t->p = np;
        t->cap = nc;
    }
    t->p[t->n++] = c;
}

static void
tb_text(text_buf *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
            if (!t->space && t->n > 0) {
                tb_putc(t, ' ');
                t->space = true;
            }
        } else {
            tb_putc(t, (char)c);
            t->space = false;
        }
    }
}

static void
put_utf8(text_buf *t, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    tb_text(t, b, n);
}

/* Decode one entity at s (s[0] == '&'); returns bytes consumed (1 when not an entity). */
static size_t
entity(text_buf *t, const char *s, size_t n)
{
    static const struct {
        const char *name;
        uint32_t cp;
    } ents[] = {{"amp", '&'},     {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
                {"apos", '\''},   {"nbsp", ' '},     {"copy", 0xA9},    {"reg", 0xAE},
                {"euro", 0x20AC}, {"mdash", 0x2014}, {"ndash", 0x2013}, {"hellip", 0x2026},
                {"zwnj", 0x200C}, {"zwj", 0x200D},   {"shy", 0xAD}};
    if (n >= 3 && s[1] == '#') {
        uint32_t cp = 0;
        size_t i = 2;
        bool hexa = i < n && (s[i] == 'x' || s[i] == 'X');
        if (hexa)
            i++;
        size_t start = i;
        while (i < n && i < start + 8 &&
               (hexa ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i]))) {
            char c = s[i];
            cp = cp * (hexa ? 16 : 10) + (uint32_t)(isdigit((unsigned char)c)
                                                        ? c - '0'
                                                        : (tolower((unsigned char)c) - 'a' + 10));
            i++;
        }
        if (i == start)
            return 1;
        if (i < n && s[i] == ';')
            i++;
        put_utf8(t, cp);
        return i;
    }
    for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
        size_t l = strlen(ents[k].name);
        if (n > l + 1 && strncmp(s + 1, ents[k].name, l) == 0 && s[l + 1] == ';') {
            put_utf8(t, ents[k].cp);
            return l + 2;
        }
    }
    /* the HTML 4 Latin-1 letters, U+00C0..U+00FF in order: "Voc&ecirc;" is how much
     * Portuguese, French and German mail writes its accents */
    static const char *const latin1[64] = {
        "Agrave", "Aacute", "Acirc",  "Atilde", "Auml",   "Aring",  "AElig", "Ccedil",
        "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave", "Iacute", "Icirc", "Iuml",
        "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde", "Ouml",  "times",
        "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN", "szlig",
        "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",  "aelig", "ccedil",
        "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc", "iuml",
        "eth",    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",  "divide",
        "oslash", "ugrave", "uacute", "ucirc",  "uuml",   "yacute", "thorn", "yuml"};
    for (size_t k = 0; k < 64; k++) {
        size_t l = strlen(latin1[k]);
        if (n > l + 1 && strncmp(s + 1, latin1[k], l) == 0 && s[l + 1] == ';') {
            put_utf8(t, 0xC0 + (uint32_t)k);
            return l + 2;
        }
    }
    return 1;
}

static void
decode_text(text_buf *t, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *amp = memchr(s + i, '&', n - i);
        size_t upto = amp ? (size_t)(amp - s) : n;
        tb_text(t, s + i, upto - i);
        i = upto;
        if (amp)
            i += entity(t, s + i, n - i);
    }
}

/* Find attribute `name` inside a tag body [p,end); decoded value into out (entities too). */
static bool
get_attr(const char *p, const char *end, const char *name, text_buf *out)
{
    size_t nl = strlen(name);
    while (p < end) {
        while (p < end && (isspace((unsigned char)*p) || *p == '/'))
            p++;
        const char *an = p;
        while (p < end && !isspace((unsigned char)*p) && *p != '=' && *p != '>' && *p != '/')
            p++;
        size_t alen = (size_t)(p - an);
        while (p < end && isspace((unsigned char)*p))
            p++;
        const char *v = NULL;
        size_t vlen = 0;
        if (p < end && *p == '=') {
            p++;
            while (p < end && isspace((unsigned char)*p))
                p++;
            if (p < end && (*p == '"' || *p == '\'')) {
                char q = *p++;
                v = p;
                while (p < end && *p != q)
                    p++;
                vlen = (size_t)(p - v);
                if (p < end)
                    p++;
            } else {
                v = p;
                while (p < end && !isspace((unsigned char)*p) && *p != '>')
                    p++;
                vlen = (size_t)(p - v);
            }
        }
        if (alen == 0 && p < end && v == NULL)
            p++; /* stray character: make progress */
        if (alen == nl && strncasecmp(an, name, nl) == 0 && v != NULL) {
            if (vlen > MAX_ATTR)
                vlen = MAX_ATTR;
            out->n = 0;
            out->space = false;
            decode_text(out, v, vlen);
            return true;
        }
    }
    return false;
}

static bool
tag_is(const char *name, size_t nlen, const char *want)
{
    return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

static void
add_link(wp_scan *s, text_buf *v, const char *text, size_t tlen, const char *source,
         const char *where)
{
    /* strip surrounding whitespace of the decoded attribute */
    size_t a = 0, b = v->n;
    while (a < b && v->p[a] == ' ')
        a++;
    while (b > a && v->p[b - 1] == ' ')
        b--;
    if (b > a)
        wp_scan_add_url(s, v->p + a, b - a, text, tlen, source, where);
}

/* What a script in mail does that mail never needs: send the browser elsewhere, or decode
 * what it hides. Mail clients do not run scripts, so these matter when the HTML is an
 * attachment the reader opens in a browser (a credential-harvest page). */
static void
script_signs(wp_scan *s, const char *js, size_t n, const char *where)
{
    static const char *const redirect[] = {"window.location",   "location.href",
                                           "location.replace",  "location.assign",
                                           "document.location", "top.location"};
    static const char *const decode[] = {"atob(", "unescape(", "fromcharcode",
                                         "decodeuricomponent(", "eval("};
    for (size_t i = 0; i < sizeof redirect / sizeof redirect[0]; i++)
        if (wp_memcasemem(js, n, redirect[i], strlen(redirect[i])) != NULL) {
            wp_scan_finding(s, "HTML_SCRIPT_REDIRECT", where, "script uses %s", redirect[i]);
            break;
        }
    for (size_t i = 0; i < sizeof decode / sizeof decode[0]; i++)
        if (wp_memcasemem(js, n, decode[i], strlen(decode[i])) != NULL) {
            wp_scan_finding(s, "HTML_SCRIPT_DECODE", where, "script calls %s", decode[i]);
            break;
        }
}

void
wp_html_analyze(wp_scan *s, const char *h, size_t len, const char *where)
{
    text_buf vis = {.limit = wp_limit(s->lim, WP_LIMIT_PART_BYTES)};
    text_buf attr = {.limit = MAX_ATTR * 4};
    text_buf href = {.limit = MAX_ATTR * 4};
    bool in_anchor = false;
    size_t anchor_start = 0;
    if (h == NULL || len == 0)
        return;
    const char *p = h, *end = h + len;

    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        const char *stop = lt ? lt : end;
        decode_text(&vis, p, (size_t)(stop - p));
        if (lt == NULL)
            break;
        p = lt + 1;
        if (p < end && *p == '!') {
            const char *close = (end - p >= 3 && strncmp(p, "!--", 3) == 0)
                                    ? memmem(p + 3, (size_t)(end - p - 3), "-->", 3)
                                    : memchr(p, '>', (size_t)(end - p));
            p = close ? close + 1 : end;
            continue;
        }
        bool closing = p < end && *p == '/';
        if (closing)
            p++;
        const char *name = p;
        while (p < end && (isalnum((unsigned char)*p) || *p == ':' || *p == '-'))
            p++;
        size_t nlen = (size_t)(p - name);
        if (nlen == 0) {
            decode_text(&vis, "<", 1); /* a lone '<' is text */
            continue;
        }
        /* end of tag, respecting quotes */
        const char *body = p;
        char q = 0;
        while (p < end) {
            if (q) {
                if (*p == q)
                    q = 0;
            } else if (*p == '"' || *p == '\'') {
                /* quotes only open after '=' (attribute value) */
                const char *b = p - 1;
                while (b > body && isspace((unsigned char)*b))
                    b--;
                if (*b == '=')
                    q = *p;
            } else if (*p == '>') {
                break;
            }
            p++;
        }
        const char *tag_end = p;
        if (p < end)
            p++;

        if (closing) {
            if (tag_is(name, nlen, "a") && in_anchor) {
                size_t tl = vis.n > anchor_start ? vis.n - anchor_start : 0;
                if (tl > ANCHOR_TEXT_MAX)
                    tl = ANCHOR_TEXT_MAX;
                const char *tx = vis.p ? vis.p + anchor_start : "";
                while (tl > 0 && *tx == ' ') {
                    tx++;
                    tl--;
                }
                add_link(s, &href, tx, tl, "href", where);
                in_anchor = false;
            }
            if (tag_is(name, nlen, "p") || tag_is(name, nlen, "div") || tag_is(name, nlen, "tr") ||
                tag_is(name, nlen, "td") || tag_is(name, nlen, "li"))
                tb_text(&vis, " ", 1);
            continue;
        }
        if (tag_is(name, nlen, "script") || tag_is(name, nlen, "style") ||
            tag_is(name, nlen, "title") || tag_is(name, nlen, "noscript")) {
            if (tag_is(name, nlen, "script") && get_attr(body, tag_end, "src", &attr))
                add_link(s, &attr, NULL, 0, "src", where);
            char closer[16];
            snprintf(closer, sizeof closer, "</%.*s", (int)nlen, name);
            const char *c = wp_memcasemem(p, (size_t)(end - p), closer, strlen(closer));
            if (tag_is(name, nlen, "script"))
                script_signs(s, p, (size_t)((c ? c : end) - p), where);
            p = c ? c : end;
            continue;
        }
        if (tag_is(name, nlen, "a")) {
            if (in_anchor)
                add_link(s, &href, NULL, 0, "href", where);
            in_anchor = get_attr(body, tag_end, "href", &href);
            anchor_start = vis.n;
            if (in_anchor && !vis.space && vis.n > 0) {
                tb_text(&vis, " ", 1);
                anchor_start = vis.n;
            }
        } else if (tag_is(name, nlen, "img") || tag_is(name, nlen, "iframe") ||
                   tag_is(name, nlen, "embed") || tag_is(name, nlen, "frame") ||
                   tag_is(name, nlen, "source")) {
            if (get_attr(body, tag_end, "src", &attr))
                add_link(s, &attr, NULL, 0, "src", where);
        } else if (tag_is(name, nlen, "form")) {
            wp_scan_finding(s, "HTML_FORM", where, "a <form> the reader can fill in and submit");
            if (get_attr(body, tag_end, "action", &attr))
                add_link(s, &attr, NULL, 0, "action", where);
        } else if (tag_is(name, nlen, "input")) {
            if (get_attr(body, tag_end, "type", &attr) && attr.n == 8 &&
                strncasecmp(attr.p, "password", 8) == 0)
                wp_scan_finding(s, "HTML_PASSWORD_FIELD", where,
                                "an <input type=password> asks for a password");
        } else if (tag_is(name, nlen, "meta")) {
            if (get_attr(body, tag_end, "http-equiv", &attr) && attr.n == 7 &&
                strncasecmp(attr.p, "refresh", 7) == 0 &&
                get_attr(body, tag_end, "content", &attr)) {
                const char *u = wp_memcasemem(attr.p, attr.n, "url=", 4);
                if (u != NULL) {
                    u += 4;
                    size_t ul = attr.n - (size_t)(u - attr.p);
                    while (ul > 0 && (*u == '\'' || *u == '"' || *u == ' ')) {
                        u++;
                        ul--;
                    }
                    while (ul > 0 && (u[ul - 1] == '\'' || u[ul - 1] == '"' || u[ul - 1] == ' '))
                        ul--;
                    if (ul > 0)
                        wp_scan_add_url(s, u, ul, NULL, 0, "refresh", where);
                }
            }
        } else if (tag_is(name, nlen, "base") || tag_is(name, nlen, "area")) {
            if (get_attr(body, tag_end, "href", &attr))
                add_link(s, &attr, NULL, 0, "href", where);
        }
        if (tag_is(name, nlen, "br") || tag_is(name, nlen, "p") || tag_is(name, nlen, "div") ||
            tag_is(name, nlen, "tr") || tag_is(name, nlen, "li") || tag_is(name, nlen, "td") ||
            (nlen == 2 && (name[0] == 'h' || name[0] == 'H') && isdigit((unsigned char)name[1])))
            tb_text(&vis, " ", 1);
    }
    if (in_anchor)
        add_link(s, &href, NULL, 0, "href", where);
    if (vis.n > 0) {
        wp_scan_add_text(s, vis.p, vis.n);
        wp_scan_text_urls(s, vis.p, vis.n, where);
    }
    free(vis.p);
    free(attr.p);
    free(href.p);
}
