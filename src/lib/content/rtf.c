/*
 * rtf.c - embedded objects in RTF (the carrier of CVE-2017-11882 / CVE-2017-0199 lures).
 *
 * Looks for the control words that embed or auto-update an OLE object and reports the object
 * class. Control words are matched as RTF tokens (a backslash, the word, then a non-letter),
 * so "\objdata" in ordinary text escaped as "\\objdata" is not counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content.h"
#include "core/util.h"

static size_t
count_word(const char *x, size_t len, const char *word, const char **first)
{
    size_t wl = strlen(word), n = 0;
    const char *p = x, *end = x + len;
    while (p < end) {
        const char *q = memmem(p, (size_t)(end - p), word, wl);
        if (q == NULL)
            break;
        bool escaped = q > x && q[-1] == '\\';
        const char *after = q + wl;
        bool boundary =
            after >= end || !((*after >= 'a' && *after <= 'z') || (*after >= 'A' && *after <= 'Z'));
        if (!escaped && boundary) {
            if (n == 0 && first != NULL)
                *first = q;
            n++;
        }
        p = q + wl;
    }
    return n;
}

/* The hex payload of one \objdata group, decoded. Whitespace and control words inside are
 * skipped (droppers pad the hex with them); the group ends at its closing brace. */
static uint8_t *
objdata_bytes(const char *p, const char *end, size_t cap, size_t *outlen)
{
    size_t n = 0, outcap = 4096;
    uint8_t *out = malloc(outcap);
    int hi = -1, depth = 0;
    while (out != NULL && p < end && n < cap) {
        unsigned char c = (unsigned char)*p;
        if (c == '{') {
            depth++;
        } else if (c == '}') {
            if (depth-- == 0)
                break;
        } else if (c == '\\') {
            p++;
            while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
                p++;
            while (p < end && ((*p >= '0' && *p <= '9') || *p == '-'))
                p++;
            continue;
        } else if (wp_hexval(c) >= 0) {
            if (hi < 0) {
                hi = wp_hexval(c);
            } else {
                if (n == outcap) {
                    uint8_t *nb = realloc(out, outcap * 2);
                    if (nb == NULL)
                        break;
                    out = nb;
                    outcap *= 2;
                }
                out[n++] = (uint8_t)(hi * 16 + wp_hexval(c));
                hi = -1;
            }
        }
        p++;
    }
    *outlen = n;
    return out;
}

/* OLE1 embedded object (MS-OLEDS 2.2.4): version, format id 2, class name, topic, item,
 * native data. "Package" native data holds a file; any other class (Equation.3, Word.Document,
 * an OLE2 compound file ...) is analysed as a blob. */
static void
ole1_object(wp_scan *s, const uint8_t *d, size_t n, const wp_content_info *info)
{
    size_t off = 8;
    if (n < 12 || wp_le32(d + 4) != 2)
        return;
    char cls[64] = "";
    for (int field = 0; field < 3; field++) {
        if (n - off < 4)
            return;
        uint32_t l = wp_le32(d + off);
        off += 4;
        if (l > n - off)
            return;
        if (field == 0)
            snprintf(cls, sizeof cls, "%.*s", (int)(l > 0 ? l - 1 : 0), (const char *)d + off);
        off += l;
    }
    if (n - off < 4)
        return;
    uint32_t nl = wp_le32(d + off);
    off += 4;
    if (nl > n - off)
        nl = (uint32_t)(n - off);
    if (strcmp(cls, "Package") == 0) {
        wp_ole_package(s, d + off, nl, info);
        return;
    }
    char *name = wp_arena_printf(s->a, "%s.bin", cls[0] ? cls : "object");
    if (name != NULL)
        wp_content_child(s, info, name, d + off, nl);
}

void
wp_rtf_analyze(wp_scan *s, const uint8_t *data, size_t len, const wp_content_info *info)
{
    const char *where = info->where;
    const char *x = (const char *)data;
    size_t objects = count_word(x, len, "\\object", NULL);
    size_t objdata = count_word(x, len, "\\objdata", NULL);
    size_t objupdate = count_word(x, len, "\\objupdate", NULL);
    size_t objlink =
        count_word(x, len, "\\objautlink", NULL) + count_word(x, len, "\\objlink", NULL);
    if (objects == 0 && objdata == 0)
        return;
    char cls[64] = "unknown";
    const char *c = NULL;
    if (count_word(x, len, "\\objclass", &c) > 0) {
        c += 9;
        while (c < x + len && *c == ' ')
            c++;
        size_t i = 0;
        while (c < x + len && *c != '}' && *c != '\\' && i + 1 < sizeof cls)
            cls[i++] = *c++;
        cls[i] = '\0';
    }
    const char *shown = wp_arena_sanitize(s->a, cls, strlen(cls), 64);
    bool equation = strstr(cls, "Equation") != NULL;
    /* take the embedded objects out (at most 16) */
    const char *p = x, *end = x + len;
    for (int k = 0; k < 16 && p < end; k++) {
        const char *od = NULL;
        if (count_word(p, (size_t)(end - p), "\\objdata", &od) == 0)
            break;
        size_t n = 0;
        uint8_t *obj =
            objdata_bytes(od + 8, end, (size_t)wp_limit(s->lim, WP_LIMIT_PART_BYTES), &n);
        if (obj != NULL)
            ole1_object(s, obj, n, info);
        free(obj);
        p = od + 8;
    }
    wp_scan_finding(s, "RTF_OBJECT", where, "%zu embedded object(s), class %s%s%s%s",
                    objects ? objects : objdata, shown,
                    objupdate ? ", auto-update (\\objupdate)" : "",
                    objlink ? ", linked (\\objautlink)" : "",
                    equation ? ", Equation Editor (CVE-2017-11882 family)" : "");
}
