/*
 * arena.h - per-message bump allocator with a byte budget.
 *
 * Everything parsed from one message is allocated here and freed at once with
 * wp_arena_free(). When the budget is spent, allocation returns NULL and wp_arena_exhausted()
 * turns true; callers treat that like any other limit. Not thread-safe: one arena, one thread.
 */
#ifndef WATCHPOST_CORE_ARENA_H
#define WATCHPOST_CORE_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "watchpost/status.h"

typedef struct wp_arena wp_arena;

wp_arena *wp_arena_new(size_t budget);
void wp_arena_free(wp_arena *a);
void *wp_arena_alloc(wp_arena *a, size_t n);     /* zeroed, 16-byte aligned */
void *wp_arena_alloc_raw(wp_arena *a, size_t n); /* not zeroed */
char *wp_arena_strndup(wp_arena *a, const char *s, size_t n);
char *wp_arena_strdup(wp_arena *a, const char *s); /* NULL in, NULL out */
char *wp_arena_printf(wp_arena *a, const char *fmt, ...) WP_PRINTF(2, 3);
char *wp_arena_vprintf(wp_arena *a, const char *fmt, va_list ap) WP_PRINTF(2, 0);
/* Grow an array of elem-sized items from *cap to at least need; copies the old contents. */
bool wp_arena_grow(wp_arena *a, void **arr, size_t *cap, size_t need, size_t elem);
bool wp_arena_exhausted(const wp_arena *a);
size_t wp_arena_used(const wp_arena *a);
/* Budget not yet spent: the ceiling for a transient heap buffer sized from hostile input
 * (an OLE2 stream, an archive member), so max_memory_bytes bounds those too. */
size_t wp_arena_remaining(const wp_arena *a);

/* Copy (ptr,len) hostile bytes into a printable UTF-8 string of at most cap bytes: invalid
 * UTF-8 becomes U+FFFD, C0/C1 controls and bidi/invisible format characters become a visible
 * "[U+XXXX]" so that an analyst sees them instead of being fooled by them. */
char *wp_arena_sanitize(wp_arena *a, const char *s, size_t n, size_t cap);

#endif
