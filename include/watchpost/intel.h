/*
 * watchpost/intel.h - indicator sets: known-bad hashes, addresses, domains, URLs and networks
 * loaded from files, and constant-time lookups against them.
 *
 * A wp_intel_set is built by loading one or more indicator files (plain lists, or CSV with a
 * type column, MISP exports, the abuse.ch Feodo Tracker list; docs/INDICATORS.md), then read.
 * Every lookup costs the same whatever the size of the set: hash tables with open addressing
 * for hashes, addresses, domains and URLs; one hash table per prefix length for networks.
 *
 * Ownership: the set owns every string a lookup returns (file names, sources); they stay
 * valid until wp_intel_set_free(). A wp_intel_match holds its own copy of the value.
 * Thread safety: loading must not run beside anything else on the same set; once loaded, a
 * set is read-only and any number of threads may look up at once.
 * Errors: a problem on one line (unknown type, bad CIDR, bad hex length, empty value) skips
 * that line, is counted, and the first few are passed to the options' error callback with
 * the file name and line. A load fails (and leaves the set as it was) when the file cannot
 * be read, holds no valid indicator, or would take the set past max_indicators.
 */
#ifndef WATCHPOST_INTEL_H
#define WATCHPOST_INTEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct wp_intel_set wp_intel_set;

typedef enum wp_intel_type {
    WP_INTEL_MD5,
    WP_INTEL_SHA1,
    WP_INTEL_SHA256,
    WP_INTEL_EMAIL,  /* a whole address, compared without case */
    WP_INTEL_DOMAIN, /* the domain and every name under it */
    WP_INTEL_URL,    /* a normalized URL */
    WP_INTEL_IP,     /* an IPv4 or IPv6 address or network (CIDR) */
    WP_INTEL_JA3,    /* a TLS client (JA3) or server (JA3S) fingerprint: an MD5, typed only */
    WP_INTEL__COUNT
} wp_intel_type;

/* "md5", "sha1", "sha256", "email", "domain", "url", "ip", "ja3"; "unknown" otherwise. */
WP_API const char *wp_intel_type_name(wp_intel_type t);

/* Bounds of the loader (defaults and hard ceilings; larger requests are clamped). */
#define WP_INTEL_MAX_INDICATORS_DEFAULT 20000000u
#define WP_INTEL_MAX_INDICATORS_CEILING 500000000u
#define WP_INTEL_MAX_LINE_DEFAULT       4096u
#define WP_INTEL_MAX_LINE_CEILING       65536u
#define WP_INTEL_MESSAGES_DEFAULT       10u
/* Longest indicator value (URLs); longer values are bad lines. */
#define WP_INTEL_MAX_VALUE 2048u

/* Called for a bad line (file, 1-based line, what is wrong) and, after the first
 * max_messages of one load, once more with line 0 saying how many were not shown. */
typedef void (*wp_intel_error_fn)(void *ctx, const char *file, unsigned long line, const char *msg);

typedef struct wp_intel_options {
    size_t max_indicators; /* distinct indicators in the whole set */
    size_t max_line_bytes; /* longer lines are bad lines */
    unsigned max_messages; /* bad-line messages passed to on_error per load */
    wp_intel_error_fn on_error;
    void *ctx;
} wp_intel_options;

WP_API void wp_intel_options_init(wp_intel_options *o);

/* opt NULL: defaults. *out is written only on success. */
WP_API wp_status wp_intel_set_new(const wp_intel_options *opt, wp_intel_set **out);
WP_API void wp_intel_set_free(wp_intel_set *set); /* NULL: no-op */

typedef struct wp_intel_load_stats {
    unsigned long lines; /* lines read, comments and blanks included */
    size_t added;        /* new distinct indicators */
    size_t duplicates;   /* indicators already in the set (merged; the first label stays) */
    size_t bad;          /* lines skipped as bad */
    size_t ignored;      /* CSV rows of a known type that is not matched (MISP "filename" ...) */
} wp_intel_load_stats;

/* Load a file; the format is detected from its first line that is not a comment. st may be
 * NULL. On failure the set is unchanged, *st is not written and err names the file (and
 * line, where there is one). */
WP_API wp_status wp_intel_load_file(wp_intel_set *set, const char *path, wp_intel_load_stats *st,
                                    char *err, size_t errlen);
/* The same from memory; name labels the indicators ("feeds/apt.csv") in matches. */
WP_API wp_status wp_intel_load_buffer(wp_intel_set *set, const char *name, const void *data,
                                      size_t len, wp_intel_load_stats *st, char *err,
                                      size_t errlen);

/* Distinct indicators of type t; WP_INTEL__COUNT: all types. */
WP_API size_t wp_intel_count(const wp_intel_set *set, wp_intel_type t);
/* Bytes the set has allocated for its tables, strings and labels. */
WP_API size_t wp_intel_memory(const wp_intel_set *set);

/* What a lookup found: the indicator as stored (normalized: lower-case hex, "evil.com" for a
 * query of "a.b.evil.com", "10.0.0.0/8" for 10.1.2.3) and where it was listed. */
typedef struct wp_intel_match {
    wp_intel_type type;
    const char *file;   /* the file (or buffer name) it came from */
    unsigned long line; /* its line there */
    const char *source; /* the row's source column ("source", "malware"), NULL when none */
    char value[WP_INTEL_MAX_VALUE + 1];
} wp_intel_match;

/* Lookups take text as (ptr, len), need not be NUL-terminated, and return true on a match,
 * filling *m when m is not NULL. Text that does not parse as the type never matches. */
/* 32, 40 or 64 hex digits (md5, sha1, sha256), either case. */
WP_API bool wp_intel_lookup_hash(const wp_intel_set *set, const char *hex, size_t len,
                                 wp_intel_match *m);
/* "user@example.com", optionally in <>; case-insensitive. */
WP_API bool wp_intel_lookup_email(const wp_intel_set *set, const char *addr, size_t len,
                                  wp_intel_match *m);
/* The name or any parent domain is listed (a.b.evil.com matches evil.com; notevil.com does
 * not; a bare top-level domain never matches); the longest listed name wins. */
WP_API bool wp_intel_lookup_domain(const wp_intel_set *set, const char *name, size_t len,
                                   wp_intel_match *m);
/* The URL after normalization (lower-case scheme and host, default port and fragment
 * dropped, empty path as "/"; "www.x/..." and "//x/..." as http). */
WP_API bool wp_intel_lookup_url(const wp_intel_set *set, const char *url, size_t len,
                                wp_intel_match *m);
/* A JA3 or JA3S fingerprint (32 hex digits, either case). Only indicators loaded with a JA3
 * type ("ja3", "ja3s", "ja3_md5", MISP "ja3-fingerprint-md5") match: a value in a plain list
 * is inferred as a file md5 and never matches a fingerprint. */
WP_API bool wp_intel_lookup_ja3(const wp_intel_set *set, const char *hex, size_t len,
                                wp_intel_match *m);
/* Textual IPv4 or IPv6 ("[::1]" too); the longest listed prefix wins. */
WP_API bool wp_intel_lookup_ip(const wp_intel_set *set, const char *ip, size_t len,
                               wp_intel_match *m);
/* The same for a binary address: 4 bytes (IPv4) or 16 (IPv6, v4-mapped ones as IPv4),
 * network byte order. */
WP_API bool wp_intel_lookup_ip_bytes(const wp_intel_set *set, const uint8_t *addr, size_t addrlen,
                                     wp_intel_match *m);

/* "feeds/apt.csv:120" or "feeds/apt.csv:120, source Dridex" into buf; returns buf. */
WP_API const char *wp_intel_match_label(const wp_intel_match *m, char *buf, size_t buflen);

#endif
