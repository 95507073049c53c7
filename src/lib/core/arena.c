/*
 * arena.c - per-message bump allocator.
 *
 * Chunks of 64 KiB (or one chunk of the exact size for a larger request) are chained and
 * released together. The budget counts every byte asked of malloc, so a hostile message can
 * use at most that much for its parsed form.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (64 * 1024)

typedef struct chunk {
    struct chunk *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
} chunk;

struct wp_arena {
    chunk *head;
    size_t budget;
    size_t spent;
    bool exhausted;
};

wp_arena *
wp_arena_new(size_t budget)
{
    wp_arena *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->budget = budget;
    return a;
}

void
wp_arena_free(wp_arena *a)
{
    if (a == NULL)
        return;
    chunk *c = a->head;
    while (c != NULL) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

static void *arena_take(wp_arena *a, size_t n, bool zero);

void *
wp_arena_alloc(wp_arena *a, size_t n)
{
    return arena_take(a, n, true);
}

void *
wp_arena_alloc_raw(wp_arena *a, size_t n)
{
    return arena_take(a, n, false);
}

static void *
arena_take(wp_arena *a, size_t n, bool zero)
{
    size_t need;
    if (n == 0)
        n = 1;
    if (__builtin_add_overflow(n, (size_t)15, &need))
        goto fail;
    need &= ~(size_t)15;
    if (a->head == NULL || a->head->size - a->head->used < need) {
        size_t csize = need > CHUNK_SIZE ? need : CHUNK_SIZE;
        size_t total;
        if (__builtin_add_overflow(csize, sizeof(chunk), &total))
            goto fail;
        if (a->spent + total > a->budget)
            goto fail;
        chunk *c = malloc(total);
        if (c == NULL)
            goto fail;
        a->spent += total;
        c->size = csize;
        c->used = 0;
        /* A big one-off chunk goes behind the head so the head keeps its free space. */
        if (a->head != NULL && csize > CHUNK_SIZE) {
            c->next = a->head->next;
            a->head->next = c;
            c->used = need;
            if (zero)
                memset(c->data, 0, n);
            return c->data;
        }
        c->next = a->head;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += need;
    if (zero)
        memset(p, 0, n);
    return p;
fail:
    a->exhausted = true;
    return NULL;
}

char *
wp_arena_strndup(wp_arena *a, const char *s, size_t n)
{
    char *p = wp_arena_alloc_raw(a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
wp_arena_strdup(wp_arena *a, const char *s)
{
    if (s == NULL)
        return NULL;
    return wp_arena_strndup(a, s, strlen(s));
}

char *
wp_arena_vprintf(wp_arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *p = wp_arena_alloc_raw(a, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    if ((size_t)n < sizeof(small))
        memcpy(p, small, (size_t)n + 1);
    else
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *
wp_arena_printf(wp_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = wp_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

bool
wp_arena_grow(wp_arena *a, void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    size_t bytes;
    if (__builtin_mul_overflow(ncap, elem, &bytes))
        return false;
    void *p = wp_arena_alloc(a, bytes);
    if (p == NULL)
        return false;
    if (*arr != NULL && *cap > 0)
        memcpy(p, *arr, *cap * elem);
    *arr = p;
    *cap = ncap;
    return true;
}

bool
wp_arena_exhausted(const wp_arena *a)
{
    return a->exhausted;
}

size_t
wp_arena_used(const wp_arena *a)
{
    return a->spent;
}

size_t
wp_arena_remaining(const wp_arena *a)
{
    return a->spent < a->budget ? a->budget - a->spent : 0;
}

/* Decode one UTF-8 sequence; returns its length or 0 when invalid. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t c;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        c = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        c = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    /* reject overlongs, surrogates and out-of-range values */
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

static bool
is_hidden_format_char(uint32_t c)
{
    return (c >= 0x200B && c <= 0x200F) || /* zero-width space/joiners, LRM, RLM */
           (c >= 0x202A && c <= 0x202E) || /* LRE RLE PDF LRO RLO */
           (c >= 0x2066 && c <= 0x2069) || /* LRI RLI FSI PDI */
           c == 0x061C || c == 0xFEFF || c == 0x00AD;
}

char *
wp_arena_sanitize(wp_arena *a, const char *s, size_t n, size_t cap)
{
    if (s == NULL)
        return NULL;
    /* fast path, the common case: printable ASCII within the cap is copied as is */
    size_t k = 0, lim = n < cap ? n : cap;
    while (k < lim && (unsigned char)s[k] >= 0x20 && (unsigned char)s[k] < 0x7F)
        k++;
    if (k == lim)
        return wp_arena_strndup(a, s, lim);
    /* worst case: every byte becomes "[U+XXXX]" (8) or U+FFFD (3) */
    size_t out_cap = n < cap ? n : cap;
    size_t alloc;
    if (__builtin_mul_overflow(out_cap, (size_t)8, &alloc))
        return NULL;
    char *out = wp_arena_alloc_raw(a, alloc + 1);
    if (out == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < n && o + 8 <= alloc && o < cap) {
        uint32_t c = 0;
        size_t len = utf8_decode(p + i, n - i, &c);
        if (len == 0) {
            if (o + 3 > cap)
                break;
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += 1;
            continue;
        }
        if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || is_hidden_format_char(c)) {
            if (c == '\t' || c == '\n' || c == '\r') {
                out[o++] = ' ';
            } else {
                if (o + 8 > cap)
                    break;
                o += (size_t)snprintf(out + o, 9, "[U+%04X]", (unsigned)c);
            }
        } else {
            if (o + len > cap)
                break;
            memcpy(out + o, p + i, len);
            o += len;
        }
        i += len;
    }
    out[o] = '\0';
    return out;
}
