/*
 * set.h - the inside of an indicator set (intel/set.c) and the value normalizers shared by
 * the loader and the lookups (intel/normalize.c).
 *
 * Layout, chosen for memory (< 100 bytes per indicator at a million) and lookups that do not
 * slow down as the set grows:
 *   - one table per kind of key: md5, sha1, sha256 (binary digests as keys), email, domain,
 *     url (a 64-bit fingerprint as key, the text in one shared string pool), IPv4 and IPv6
 *     (masked address + prefix length as key);
 *   - each table is a dense array of fixed-size records plus an open-addressing index of
 *     32-bit record numbers with an 8-bit hash tag each (linear probing, load at most 3/4);
 *   - a record ends with a label number (file, source column) and the line it came from.
 */
#ifndef WATCHPOST_INTEL_SET_H
#define WATCHPOST_INTEL_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watchpost/intel.h"

/* T_JA3: TLS client/server fingerprints (MD5 digests kept apart from file hashes, so a file
 * hash never matches a fingerprint or the other way round) */
enum { T_MD5, T_SHA1, T_SHA256, T_EMAIL, T_DOMAIN, T_URL, T_IPV4, T_IPV6, T_JA3, T__COUNT };

typedef struct intel_table {
    uint8_t *rec;    /* n records of rec_size bytes: key, [pool offset], label, line */
    size_t n, cap;   /* records used, allocated */
    uint32_t *slot;  /* record number + 1; 0 is empty */
    uint8_t *tag;    /* per slot: the top 8 bits of its record's hash */
    size_t nslot;    /* power of two; 0 before the first insert */
    uint8_t key_len; /* 16/20/32 digests, 8 fingerprints, 5/17 addresses */
    bool has_str;    /* the record has a pool offset after the key */
    uint8_t rec_size;
} intel_table;

/* A label: which file an indicator came from and its source column, interned. */
typedef struct intel_label {
    uint32_t file;   /* index into files */
    uint32_t source; /* offset in the label pool, UINT32_MAX: none */
} intel_label;

struct wp_intel_set {
    wp_intel_options opt;
    intel_table t[T__COUNT];
    char *pool; /* NUL-terminated indicator strings (email, domain, url) */
    size_t pool_len, pool_cap;
    char **files; /* names as given to the loader */
    size_t n_files, cap_files;
    intel_label *labels;
    size_t n_labels, cap_labels;
    uint32_t *label_slot; /* interning index of labels: label number + 1 */
    size_t n_label_slot;
    char *lpool; /* source column texts */
    size_t lpool_len, lpool_cap;
    uint64_t v4_lens;    /* bit p: some IPv4 prefix of length p is listed */
    uint64_t v6_lens[3]; /* bit p: some IPv6 prefix of length p is listed */
    uint64_t *v4_bloom;  /* INTEL_V4_BLOOM_BITS bits, one per listed IPv4 (prefix, length);
                            NULL until the first IPv4 indicator. A clear bit means "not
                            listed" without a table probe (see intel_v4_bloom_bit) */
    uint32_t *v4_by16;   /* per /16 (the address's top 16 bits): bit p - 16 when an IPv4
                            prefix of length p >= 16 is listed inside it; NULL until the
                            first such indicator (see INTEL_V4_BY16) */
    size_t total;        /* distinct indicators */
};

/* An address is looked up at every listed prefix length (up to 32 probes); a network log
 * looks up every outbound connection, so most probes miss. One bit per listed IPv4 key
 * answers most misses from 128 KiB that stay in cache. Bits are only ever set (a rolled
 * back load leaves some behind: a few more probes, never a wrong answer). */
#define INTEL_V4_BLOOM_BITS (1u << 20)
static inline uint32_t
intel_v4_bloom_bit(uint32_t masked_addr, unsigned prefix)
{
    uint64_t h = ((uint64_t)masked_addr << 6 | prefix) * 0x9e3779b97f4a7c15ULL;
    return (uint32_t)(h >> 44); /* the top 20 bits */
}

/* Feeds list networks of many lengths (bench/intel_gen.py: /16 to /28, and /32), so an
 * address not listed would still cost a filter test per length. Within one /16 only a length
 * or two is listed: the lengths of its own prefixes (65536 words, 256 KiB) leave about one
 * filter test per lookup. Bits are only ever set, as in the filter. */
#define INTEL_V4_BY16 65536u

/* Longest source column text kept; more distinct (file, source) labels than this many and
 * further rows are labelled with their file only. */
#define INTEL_SOURCE_MAX 128
#define INTEL_LABELS_MAX 65536

/* ---- set.c ---- */

typedef enum intel_add_result {
    ADD_NEW,
    ADD_DUP,
    ADD_LIMIT, /* max_indicators reached */
    ADD_NOMEM
} intel_add_result;

/* Key material of one normalized indicator, ready for a table. */
typedef struct intel_key {
    int table;       /* T_* */
    uint8_t key[32]; /* digest, or address + prefix length */
    const char *str; /* email, domain, url: normalized text (key is its fingerprint) */
    size_t str_len;
} intel_key;

intel_add_result intel_set_add(wp_intel_set *set, const intel_key *k, uint32_t label,
                               uint32_t line);
/* The label for (file, source); source may be NULL. UINT32_MAX when out of memory. */
uint32_t intel_set_label(wp_intel_set *set, uint32_t file, const char *source, size_t slen);
/* Register a file name; its index, or UINT32_MAX when out of memory. */
uint32_t intel_set_file(wp_intel_set *set, const char *name);

/* Undo everything added since the marks were taken (a failed load). */
typedef struct intel_mark {
    size_t n[T__COUNT];
    size_t pool_len, total;
    uint64_t v4_lens, v6_lens[3];
} intel_mark;
void intel_set_mark(const wp_intel_set *set, intel_mark *mk);
void intel_set_rollback(wp_intel_set *set, const intel_mark *mk);

/* Find a key; the record, or NULL. */
const uint8_t *intel_table_find(const wp_intel_set *set, const intel_key *k);

/* ---- normalize.c ----
 * Each normalizer reads (s, n), writes the canonical form, and on failure returns false with
 * *why saying what is wrong (for "file:line: why"). out must hold WP_INTEL_MAX_VALUE + 1. */

bool intel_norm_hash(const char *s, size_t n, int want, intel_key *k, const char **why);
bool intel_norm_email(const char *s, size_t n, char *out, size_t *outlen, const char **why);
/* strict: an indicator (at least two labels, no public suffix); else a name to look up */
bool intel_norm_domain(const char *s, size_t n, bool strict, char *out, size_t *outlen,
                       const char **why);
/* assume_http: a value without "scheme://" is taken as http (typed URL columns, link
 * targets); otherwise it is refused. */
bool intel_norm_url(const char *s, size_t n, bool assume_http, char *out, size_t *outlen,
                    const char **why);
/* prefix allowed when allow_prefix; *family 4 or 6; v4-mapped IPv6 becomes IPv4. why_buf
 * receives a message naming the value. */
bool intel_parse_ip(const char *s, size_t n, bool allow_prefix, uint8_t addr[16], int *family,
                    int *prefix, char *why_buf, size_t why_len);
/* Does the text look like an IP address or network (digits and dots, or hex and colons)? */
bool intel_looks_ip(const char *s, size_t n);
/* Fill k for an IP network. */
void intel_ip_key(const uint8_t addr[16], int family, int prefix, intel_key *k);

uint64_t intel_hash64(const void *p, size_t n);

#endif
