/*
 * rtf.c - embedded objects in RTF (the carrier of CVE-2017-11882 / CVE-2017-0199 lures).
 *
 * Looks for the control words that embed or auto-update an OLE object and reports the object
 * class. Control words are matched as RTF tokens (a backslash, the word, then a non-letter),
 * so "\objdata" in ordinary text escaped as "\\objdata" is not counted.
 */
#include <stdio.h>
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

void
wp_rtf_analyze(wp_scan *s, const uint8_t *data, size_t len, const char *where)
{
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
    wp_scan_finding(s, "RTF_OBJECT", where, "%zu embedded object(s), class %s%s%s%s",
                    objects ? objects : objdata, shown,
                    objupdate ? ", auto-update (\\objupdate)" : "",
                    objlink ? ", linked (\\objautlink)" : "",
                    equation ? ", Equation Editor (CVE-2017-11882 family)" : "");
}
