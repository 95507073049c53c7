/*
 * num.c - numbers and timestamps of log fields, parsed from (ptr, len) without strtod,
 * strptime or the locale: they run once per field of every line, and a log's decimal point
 * is '.' whatever LC_NUMERIC says.
 *
 * Accepted: unsigned decimal integers (overflow is an error); decimals
 * "[-]digits[.digits][e[+-]digits]" (at most 19 significant integer and 18 fraction digits
 * are exact; more digits are accepted and rounded); times as epoch seconds or ISO 8601
 * "YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|+HH:MM|+HHMM|+HH]" from year 1970 to 9999.
 */
#include <math.h>
#include <string.h>

#include "core/util.h"
#include "netlog_int.h"

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

uint64_t
net_fnv64(const void *d, size_t n)
{
    return wp_fnv1a64(d, n, WP_FNV_BASIS);
}

bool
net_parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
            return false;
    }
    *out = v;
    return true;
}

static double
scale10(double v, long e)
{
    if (e == 0)
        return v;
    if (e > 0)
        return e <= 22 ? v * pow10_tab[e] : v * pow(10.0, (double)e);
    return e >= -22 ? v / pow10_tab[-e] : v * pow(10.0, (double)e);
}

bool
net_parse_double(const char *s, size_t n, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    uint64_t ip = 0;
    long extra = 0; /* integer digits beyond what ip holds */
    size_t nd = 0;
    for (; i < n && (unsigned char)(s[i] - '0') <= 9; i++, nd++) {
        if (ip < 1000000000000000000ULL)
            ip = ip * 10 + (unsigned)(s[i] - '0');
        else
            extra++;
    }
    uint64_t fp = 0;
    long fd = 0;
    if (i < n && s[i] == '.') {
        i++;
        for (; i < n && (unsigned char)(s[i] - '0') <= 9; i++, nd++) {
            if (fd < 18) {
                fp = fp * 10 + (unsigned)(s[i] - '0');
                fd++;
            }
        }
    }
    if (nd == 0)
        return false;
    long ex = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+')) {
            eneg = s[i] == '-';
            i++;
        }
        size_t ed = 0;
        for (; i < n && (unsigned char)(s[i] - '0') <= 9; i++, ed++) {
            if (ex < 100000)
                ex = ex * 10 + (s[i] - '0');
        }
        if (ed == 0)
            return false;
        if (eneg)
            ex = -ex;
    }
    if (i != n)
        return false;
    double v = scale10((double)ip, extra);
    if (fd > 0)
        v += (double)fp / pow10_tab[fd];
    v = scale10(v, ex);
    if (!isfinite(v))
        return false;
    *out = neg ? -v : v;
    return true;
}

static bool
digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil) */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static bool
parse_iso(const char *s, size_t n, double *out)
{
    unsigned y, mo, d, h, mi, se;
    if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
        s[16] != ':')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    size_t i = 19;
    double frac = 0;
    if (i < n && s[i] == '.') {
        size_t j = ++i;
        uint64_t fp = 0;
        long fd = 0;
        for (; i < n && (unsigned char)(s[i] - '0') <= 9; i++) {
            if (fd < 18) {
                fp = fp * 10 + (unsigned)(s[i] - '0');
                fd++;
            }
        }
        if (i == j)
            return false;
        frac = (double)fp / pow10_tab[fd];
    }
    long off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        unsigned oh, om = 0;
        i++;
        if (n - i < 2 || !digits(s + i, 2, &oh))
            return false;
        i += 2;
        if (i < n && s[i] == ':')
            i++;
        if (n - i >= 2) {
            if (!digits(s + i, 2, &om))
                return false;
            i += 2;
        }
        if (oh > 23 || om > 59)
            return false;
        off = sign * (long)(oh * 3600 + om * 60);
    }
    if (i != n)
        return false;
    long days = days_from_civil((long)y, mo, d);
    double t = (double)(days * 86400 + (long)(h * 3600 + mi * 60 + se) - off) + frac;
    *out = t;
    return true;
}

bool
net_parse_time(const char *s, size_t n, double *out)
{
    if (n >= 19 && s[4] == '-')
        return parse_iso(s, n, out);
    double v;
    if (!net_parse_double(s, n, &v) || v < 0)
        return false;
    *out = v;
    return true;
}
