/*
 * uuencode.c - uuencoded files inside text bodies ("begin 644 name" ... "end").
 *
 * Old mailers and some malware kits still send attachments this way; GMime leaves them in
 * the text. Each block is decoded (bounded by max_part_bytes, at most 100 blocks a part) and
 * analysed like an attachment, at where "<part>/<name>".
 */
#include <stdlib.h>
#include <string.h>

#include "content.h"
#include "core/util.h"

#define MAX_BLOCKS 100

static const char *
line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl : end;
}

void
wp_uuencode_extract(wp_scan *s, const char *text, size_t len, const char *where)
{
    const char *p = text, *end = text + len;
    uint64_t cap = wp_limit(s->lim, WP_LIMIT_PART_BYTES);
    int blocks = 0;
    while (p < end && blocks < MAX_BLOCKS) {
        const char *b = NULL;
        /* "begin " at the start of a line, followed by an octal mode and a name */
        for (const char *q = p; q < end; q++) {
            q = memmem(q, (size_t)(end - q), "begin ", 6);
            if (q == NULL)
                break;
            if (q == text || q[-1] == '\n') {
                const char *m = q + 6;
                int digits = 0;
                while (m < end && *m >= '0' && *m <= '7') {
                    m++;
                    digits++;
                }
                if (digits >= 3 && digits <= 4 && m < end && *m == ' ') {
                    b = q;
                    break;
                }
            }
        }
        if (b == NULL)
            return;
        const char *le = line_end(b, end);
        const char *nm = b + 6;
        while (nm < le && *nm != ' ')
            nm++;
        nm++;
        size_t nlen = nm < le ? (size_t)(le - nm) : 0;
        while (nlen > 0 && (nm[nlen - 1] == '\r' || nm[nlen - 1] == ' '))
            nlen--;
        char *name = wp_arena_strndup(s->a, nm < le ? nm : "", nlen);
        size_t outcap = 4096, n = 0;
        uint8_t *out = malloc(outcap);
        if (out == NULL || name == NULL) {
            free(out);
            return;
        }
        bool truncated = false;
        const char *l = le < end ? le + 1 : end;
        while (l < end) {
            const char *e = line_end(l, end);
            size_t ll = (size_t)(e - l);
            if (ll > 0 && l[ll - 1] == '\r')
                ll--;
            if (ll >= 3 && strncmp(l, "end", 3) == 0)
                break;
            if (ll == 0 || l[0] == '`') {
                l = e < end ? e + 1 : end;
                continue;
            }
            size_t want = (size_t)((l[0] - ' ') & 0x3f);
            size_t i = 1;
            while (want > 0 && i + 3 < ll + 1) {
                unsigned c[4];
                for (int k = 0; k < 4; k++)
                    c[k] = i + (size_t)k < ll ? (unsigned)((l[i + k] - ' ') & 0x3f) : 0;
                uint8_t o3[3] = {(uint8_t)(c[0] << 2 | c[1] >> 4), (uint8_t)(c[1] << 4 | c[2] >> 2),
                                 (uint8_t)(c[2] << 6 | c[3])};
                for (int k = 0; k < 3 && want > 0; k++, want--) {
                    if (n >= cap) {
                        truncated = true;
                        break;
                    }
                    if (n == outcap) {
                        uint8_t *nb = realloc(out, outcap * 2);
                        if (nb == NULL) {
                            truncated = true;
                            break;
                        }
                        out = nb;
                        outcap *= 2;
                    }
                    out[n++] = o3[k];
                }
                if (truncated)
                    break;
                i += 4;
            }
            if (truncated)
                break;
            l = e < end ? e + 1 : end;
        }
        const char *shown = wp_arena_sanitize(s->a, name, strlen(name), 200);
        char *w = wp_arena_printf(s->a, "%s/%s", where, shown);
        if (w != NULL) {
            wp_scan_finding(s, "MIME_UUENCODE", w, "uuencoded file '%s' (%zu bytes) in text body",
                            shown, n);
            if (truncated)
                wp_scan_limit(s, WP_LIMIT_PART_BYTES, w, "uuencoded file truncated at %zu bytes",
                              n);
            wp_content_info ci = {.name = name,
                                  .where = w,
                                  .depth = 0,
                                  .is_attachment = true,
                                  .truncated = truncated};
            wp_content_analyze(s, out, n, &ci);
        }
        free(out);
        blocks++;
        p = l < end ? line_end(l, end) : end;
    }
}
