/*
 * buf.h - a growable byte buffer for output (JSON). Sticky error: after a failed growth
 * every append is a no-op and wp_buf_failed() is true, so writers check once at the end.
 */
#ifndef WATCHPOST_CORE_BUF_H
#define WATCHPOST_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wp_buf {
    char *p;
    size_t n, cap;
    bool failed;
} wp_buf;

void wp_buf_put(wp_buf *b, const char *s, size_t n);
void wp_buf_puts(wp_buf *b, const char *s);
void wp_buf_putc(wp_buf *b, char c);
void wp_buf_printf(wp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal, quotes included; invalid UTF-8 bytes become U+FFFD. */
void wp_buf_json_str(wp_buf *b, const char *s);
static inline bool
wp_buf_failed(const wp_buf *b)
{
    return b->failed;
}

#endif
