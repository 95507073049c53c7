/*
 * buf.c - growable output buffer and JSON string escaping.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
reserve(wp_buf *b, size_t more)
{
    if (b->failed)
        return false;
    size_t need;
    if (__builtin_add_overflow(b->n, more + 1, &need)) {
        b->failed = true;
        return false;
    }
    if (need <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap : 1024;
    while (ncap < need)
        ncap *= 2;
    char *np = realloc(b->p, ncap);
    if (np == NULL) {
        b->failed = true;
        return false;
    }
    b->p = np;
    b->cap = ncap;
    return true;
}

void
wp_buf_put(wp_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void
wp_buf_puts(wp_buf *b, const char *s)
{
    wp_buf_put(b, s, strlen(s));
}

void
wp_buf_putc(wp_buf *b, char c)
{
    if (!reserve(b, 1))
        return;
    b->p[b->n++] = c;
    b->p[b->n] = '\0';
}

void
wp_buf_printf(wp_buf *b, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        wp_buf_put(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

/* length of a valid UTF-8 sequence at p (1..4), or 0 */
static size_t
utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t len = (p[0] & 0xE0) == 0xC0   ? 2
                 : (p[0] & 0xF0) == 0xE0 ? 3
                 : (p[0] & 0xF8) == 0xF0 ? 4
                                         : 0;
    if (len == 0 || (len == 2 && p[0] < 0xC2) || (len == 4 && p[0] > 0xF4))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (len == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
        return 0;
    if (len == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
        return 0;
    return len;
}

void
wp_buf_json_str(wp_buf *b, const char *s)
{
    static const char hexd[] = "0123456789abcdef";
    wp_buf_putc(b, '"');
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        /* copy the longest run that needs no escaping in one go */
        const unsigned char *run = p;
        while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p > run)
            wp_buf_put(b, (const char *)run, (size_t)(p - run));
        if (*p == '\0')
            break;
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            wp_buf_put(b, e, 2);
            p++;
        } else if (*p < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hexd[*p >> 4], hexd[*p & 15]};
            wp_buf_put(b, e, 6);
            p++;
        } else {
            size_t l = utf8_len(p);
            if (l == 0) {
                wp_buf_put(b, "\xEF\xBF\xBD", 3);
                p++;
            } else {
                wp_buf_put(b, (const char *)p, l);
                p += l;
            }
        }
    }
    wp_buf_putc(b, '"');
}
