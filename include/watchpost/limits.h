/*
 * watchpost/limits.h - every bound libwatchpost puts on hostile input, in one place.
 *
 * Each limit has a safe default and a hard ceiling; wp_limits_set() clamps to the ceiling so
 * a configuration can loosen a limit but never remove it. When a scan reaches a limit it
 * truncates, records a LIMIT_* finding and goes on (see docs/FINDINGS.md).
 * Thread safety: a wp_limits is plain data; share it read-only.
 */
#ifndef WATCHPOST_LIMITS_H
#define WATCHPOST_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef enum wp_limit_id {
    WP_LIMIT_MESSAGE_BYTES,       /* raw message size scanned; the rest is not parsed */
    WP_LIMIT_HEADER_BYTES,        /* one header field (name + value) */
    WP_LIMIT_HEADER_COUNT,        /* header fields per message or part */
    WP_LIMIT_MIME_PARTS,          /* MIME parts per message, nested messages included */
    WP_LIMIT_MIME_DEPTH,          /* multipart and message/rfc822 nesting */
    WP_LIMIT_PART_BYTES,          /* decoded bytes of one part or archive member */
    WP_LIMIT_URLS,                /* URLs recorded per message */
    WP_LIMIT_ARCHIVE_DEPTH,       /* archive-in-archive nesting */
    WP_LIMIT_ARCHIVE_MEMBERS,     /* members opened per message, all archives together */
    WP_LIMIT_ARCHIVE_TOTAL_BYTES, /* bytes expanded per message, all archives together */
    WP_LIMIT_ARCHIVE_RATIO,       /* expanded size / compressed size of one archive */
    WP_LIMIT_YARA_TIMEOUT_MS,     /* YARA time per scanned object, milliseconds */
    WP_LIMIT_FINDINGS,            /* findings kept per message */
    WP_LIMIT_MEMORY_BYTES,        /* per-message working memory (arena budget) */
    WP_LIMIT_SCAN_TIME_MS,        /* wall-clock budget of one message's scan, milliseconds */
    WP_LIMIT__COUNT
} wp_limit_id;

typedef struct wp_limits {
    uint64_t v[WP_LIMIT__COUNT];
} wp_limits;

/* Fill with the documented defaults. */
WP_API void wp_limits_init(wp_limits *lim);

/* Set one limit; values above the hard ceiling are clamped to it, 0 is WP_EINVAL. */
WP_API wp_status wp_limits_set(wp_limits *lim, wp_limit_id id, uint64_t value);

/* Set by configuration name ("max_message_bytes") from text; accepts K/M/G suffixes for
 * byte limits. On error writes a message naming the limit and the value into err. */
WP_API wp_status wp_limits_set_by_name(wp_limits *lim, const char *name, const char *value,
                                       char *err, size_t errlen);

WP_API const char *wp_limit_name(wp_limit_id id);
WP_API uint64_t wp_limit_default(wp_limit_id id);
WP_API uint64_t wp_limit_ceiling(wp_limit_id id);

static inline uint64_t
wp_limit(const wp_limits *lim, wp_limit_id id)
{
    return lim->v[id];
}

#endif
