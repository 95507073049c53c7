/*
 * common/timefmt.h - parsing and printing times for the front ends (timefmt.c).
 */
#ifndef WATCHPOST_COMMON_TIMEFMT_H
#define WATCHPOST_COMMON_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>

/* "2026-11-26", "2026-11-26T10:00[:00][Z]", or relative to now: "-90s", "-15m", "-1h",
 * "-7d", "-2w". Returns false on anything else. */
bool cli_parse_time(const char *s, long long now, long long *out);
/* ISO-8601 UTC, "2026-11-26T10:00:00Z"; buf of at least 21 bytes. */
const char *cli_format_time(long long t, char *buf, size_t len);

#endif
