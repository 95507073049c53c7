/*
 * limits.c - defaults, ceilings and setters for wp_limits.
 *
 * The table is the single source of truth; docs/CONFIGURATION.md lists the same values.
 * A setter clamps to the ceiling (SQLite's sqlite3_limit() does the same) so no configuration
 * can turn a bound off.
 */
#include "watchpost/limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KiB (1024ULL)
#define MiB (1024ULL * 1024ULL)
#define GiB (1024ULL * 1024ULL * 1024ULL)

static const struct {
    const char *name;
    uint64_t def;
    uint64_t ceiling;
    int is_bytes;
} limit_table[WP_LIMIT__COUNT] = {
    [WP_LIMIT_MESSAGE_BYTES] = {"max_message_bytes", 64 * MiB, 1 * GiB, 1},
    [WP_LIMIT_HEADER_BYTES] = {"max_header_bytes", 100 * KiB, 16 * MiB, 1},
    [WP_LIMIT_HEADER_COUNT] = {"max_header_count", 1000, 100000, 0},
    [WP_LIMIT_MIME_PARTS] = {"max_mime_parts", 1000, 100000, 0},
    [WP_LIMIT_MIME_DEPTH] = {"max_mime_depth", 32, 256, 0},
    [WP_LIMIT_PART_BYTES] = {"max_part_bytes", 32 * MiB, 1 * GiB, 1},
    [WP_LIMIT_URLS] = {"max_urls", 5000, 1000000, 0},
    [WP_LIMIT_ARCHIVE_DEPTH] = {"max_archive_depth", 8, 64, 0},
    [WP_LIMIT_ARCHIVE_MEMBERS] = {"max_archive_members", 1000, 1000000, 0},
    [WP_LIMIT_ARCHIVE_TOTAL_BYTES] = {"max_archive_bytes", 128 * MiB, 4 * GiB, 1},
    [WP_LIMIT_ARCHIVE_RATIO] = {"max_archive_ratio", 100, 100000, 0},
    [WP_LIMIT_YARA_TIMEOUT_MS] = {"yara_timeout_ms", 10000, 600000, 0},
    [WP_LIMIT_FINDINGS] = {"max_findings", 500, 100000, 0},
    [WP_LIMIT_MEMORY_BYTES] = {"max_memory_bytes", 256 * MiB, 4 * GiB, 1},
    /* well under Postfix's milter_content_timeout (300 s): the MTA gets an answer */
    [WP_LIMIT_SCAN_TIME_MS] = {"max_scan_ms", 30000, 600000, 0},
};

void
wp_limits_init(wp_limits *lim)
{
    for (int i = 0; i < WP_LIMIT__COUNT; i++)
        lim->v[i] = limit_table[i].def;
}

wp_status
wp_limits_set(wp_limits *lim, wp_limit_id id, uint64_t value)
{
    if ((unsigned)id >= WP_LIMIT__COUNT || value == 0)
        return WP_EINVAL;
    lim->v[id] = value > limit_table[id].ceiling ? limit_table[id].ceiling : value;
    return WP_OK;
}

const char *
wp_limit_name(wp_limit_id id)
{
    return (unsigned)id < WP_LIMIT__COUNT ? limit_table[id].name : "unknown";
}

uint64_t
wp_limit_default(wp_limit_id id)
{
    return (unsigned)id < WP_LIMIT__COUNT ? limit_table[id].def : 0;
}

uint64_t
wp_limit_ceiling(wp_limit_id id)
{
    return (unsigned)id < WP_LIMIT__COUNT ? limit_table[id].ceiling : 0;
}

wp_status
wp_limits_set_by_name(wp_limits *lim, const char *name, const char *value, char *err, size_t errlen)
{
    int id = -1;
    for (int i = 0; i < WP_LIMIT__COUNT; i++) {
        if (strcmp(limit_table[i].name, name) == 0) {
            id = i;
            break;
        }
    }
    if (id < 0) {
        snprintf(err, errlen, "unknown limit '%s'", name);
        return WP_EINVAL;
    }
    errno = 0;
    char *end = NULL;
    /* strtoull would skip white space and negate a '-': accept digits only */
    const char *v0 = value;
    while (*v0 == ' ' || *v0 == '\t')
        v0++;
    if (*v0 == '-') {
        snprintf(err, errlen, "limit %s: '%s' is negative", name, value);
        return WP_EINVAL;
    }
    if (value[0] < '0' || value[0] > '9') {
        snprintf(err, errlen, "limit %s: '%s' is not a number", name, value);
        return WP_EINVAL;
    }
    unsigned long long v = strtoull(value, &end, 10);
    if (errno != 0 || end == value) {
        snprintf(err, errlen, "limit %s: '%s' is not a number", name, value);
        return WP_EINVAL;
    }
    uint64_t mult = 1;
    if (*end != '\0') {
        if (!limit_table[id].is_bytes || end[1] != '\0') {
            snprintf(err, errlen, "limit %s: trailing characters in '%s'", name, value);
            return WP_EINVAL;
        }
        switch (*end) {
        case 'k':
        case 'K':
            mult = KiB;
            break;
        case 'm':
        case 'M':
            mult = MiB;
            break;
        case 'g':
        case 'G':
            mult = GiB;
            break;
        default:
            snprintf(err, errlen, "limit %s: unknown suffix in '%s' (use K, M or G)", name, value);
            return WP_EINVAL;
        }
    }
    uint64_t total;
    if (__builtin_mul_overflow((uint64_t)v, mult, &total))
        total = UINT64_MAX;
    if (total == 0) {
        snprintf(err, errlen, "limit %s: must be greater than 0", name);
        return WP_EINVAL;
    }
    return wp_limits_set(lim, (wp_limit_id)id, total);
}
