/*
 * timefmt.c - times as people type them on a command line or in a query string, and as the
 * store commands print them (UTC ISO-8601). Shared by the subcommands and `watchpost serve`.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timefmt.h"

static bool
parse_uint(const char **p, int digits, int *out)
{
    int v = 0;
    for (int i = 0; i < digits; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += digits;
    *out = v;
    return true;
}

static bool
parse_relative(const char *s, long long now, long long *out)
{
    errno = 0;
    char *end;
    long long n = strtoll(s + 1, &end, 10);
    if (errno || end == s + 1 || n < 0 || strlen(end) != 1)
        return false;
    long long unit;
    switch (*end) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    case 'w':
        unit = 7 * 86400;
        break;
    default:
        return false;
    }
    if (n > (100LL * 366 * 86400) / unit) /* a century back is plenty, and no overflow */
        return false;
    *out = now - n * unit;
    return true;
}

bool
cli_parse_time(const char *s, long long now, long long *out)
{
    if (s[0] == '-')
        return parse_relative(s, now, out);
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0;
    const char *p = s;
    if (!parse_uint(&p, 4, &y) || *p++ != '-' || !parse_uint(&p, 2, &mo) || *p++ != '-' ||
        !parse_uint(&p, 2, &d))
        return false;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!parse_uint(&p, 2, &h) || *p++ != ':' || !parse_uint(&p, 2, &mi))
            return false;
        if (*p == ':' && (p++, !parse_uint(&p, 2, &sec)))
            return false;
        if (*p == 'Z')
            p++;
    }
    if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d) /* timegm normalises 2026-02-31 to March */
        return false;
    *out = (long long)t;
    return true;
}

const char *
cli_format_time(long long t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "-");
    return buf;
}
