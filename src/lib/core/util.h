/*
 * util.h - small byte and string helpers shared by the analyzers.
 * Hostile bytes travel as (ptr, len); nothing here assumes NUL termination.
 */
#ifndef WATCHPOST_CORE_UTIL_H
#define WATCHPOST_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watchpost/report.h"

/* Case-insensitive (ASCII) search for needle in haystack; NULL when absent. */
const char *wp_memcasemem(const char *hay, size_t hlen, const char *needle, size_t nlen);
bool wp_has_prefix_ci(const char *s, size_t n, const char *prefix);
/* memmem for a short needle with one byte that is rare in the haystack: memchr (vectorised)
 * hops between occurrences of needle[rare], each checked in place. Much faster than memmem
 * on text when the rare byte is rare ("\n--" anchored on '-', "begin " on 'g', "=?" on
 * '?'). */
const void *wp_memmem_rare(const void *hay, size_t n, const char *needle, size_t m, size_t rare);
/* ASCII lower-case in place. */
void wp_ascii_lower(char *s);
/* Last extension of a name without the dot, lower-cased into buf; "" when none. */
void wp_extension(const char *name, char *buf, size_t buflen);
/* Hex digests of data. */
void wp_hash_all(const uint8_t *data, size_t len, wp_hashes *out);
static inline uint16_t
wp_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t
wp_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
/* Value of one hex digit, -1 for anything else. */
static inline int
wp_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
