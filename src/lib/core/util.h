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
/* *slot = a copy of value, the old string freed; WP_ENOMEM leaves *slot as it was. */
wp_status wp_str_replace(char **slot, const char *value);
/* Wall-clock time, seconds since the epoch with sub-second precision. */
double wp_wall_now(void);
/* ASCII lower-case in place. */
void wp_ascii_lower(char *s);
/* Last extension of a name without the dot, lower-cased into buf; "" when none. */
void wp_extension(const char *name, char *buf, size_t buflen);
/* Hex digests of data. */
void wp_hash_all(const uint8_t *data, size_t len, wp_hashes *out);
/* Table hashing (not cryptographic): FNV-1a 64 from a basis (WP_FNV_BASIS, or a seeded
 * one), and MurmurHash3's 64-bit finalizer, which makes every bit of the result depend on
 * every input bit when an index uses only the low bits. One copy for the indicator sets,
 * the egress tables and the log followers. */
#define WP_FNV_BASIS 1469598103934665603ULL
static inline uint64_t
wp_fnv1a64(const void *p, size_t n, uint64_t basis)
{
    const unsigned char *b = p;
    uint64_t h = basis;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}
static inline uint64_t
wp_hash_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}
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
