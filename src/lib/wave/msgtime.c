/*
 * msgtime.c - when a message happened, for counting it in time windows.
 *
 * Order of trust: the envelope's arrival time (what our MTA saw), then the newest Received
 * stamp (added by the nearest relay, usually ours: replaying an old corpus shows its own
 * history), then the Date header (written by the sender, forged at will), then now. A time
 * before 1990 or more than a day after now is absurd and skipped in favour of the next.
 *
 * The date parser reads at most 200 bytes and takes RFC 5322 dates and the broken forms seen
 * in mail: no weekday, 2- and 3-digit years (RFC 5322 4.3), missing seconds, one-digit hours,
 * named and military zones, comments, asctime() order ("Thu Nov 26 09:12:00 2026") and
 * ISO 8601 ("2026-11-26T09:12:00Z"). A missing zone is UTC.
 */
#include <string.h>

#include "engine/scan.h"
#include "wave.h"

#define DATE_SCAN 200u

static inline bool
isdig(char c)
{
    return c >= '0' && c <= '9';
}

static inline bool
isalph(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil) */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static unsigned
days_in_month(long long y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

static int
month_of(const char *w, size_t n)
{
    static const char *const mon[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
    if (n < 3)
        return 0;
    for (int i = 0; i < 12; i++)
        if (strncasecmp(w, mon[i], 3) == 0)
            return i + 1;
    return 0;
}

/* Minutes east of UTC of a zone name; false when w is not one. */
static bool
zone_of(const char *w, size_t n, int *minutes)
{
    static const struct {
        const char *name;
        int off;
    } z[] = {{"UT", 0},        {"UTC", 0},       {"GMT", 0},       {"Z", 0},
             {"EST", -5 * 60}, {"EDT", -4 * 60}, {"CST", -6 * 60}, {"CDT", -5 * 60},
             {"MST", -7 * 60}, {"MDT", -6 * 60}, {"PST", -8 * 60}, {"PDT", -7 * 60},
             {"CET", 60},      {"CEST", 120},    {"BST", 60},      {"MET", 60},
             {"MEST", 120},    {"JST", 9 * 60},  {"IST", 330},     {"EET", 120},
             {"EEST", 180},    {"WET", 0},       {"WEST", 60}};
    for (size_t i = 0; i < sizeof z / sizeof z[0]; i++)
        if (strlen(z[i].name) == n && strncasecmp(w, z[i].name, n) == 0) {
            *minutes = z[i].off;
            return true;
        }
    /* military single letters: RFC 5322 4.3 says treat them as UTC (their sign was defined
     * backwards in RFC 822) */
    if (n == 1 && isalph(w[0]) && w[0] != 'j' && w[0] != 'J') {
        *minutes = 0;
        return true;
    }
    return false;
}

static long long
compose(long long y, int mon, int day, int hh, int mm, int ss, int zone_min)
{
    if (y < 1900 || y > 9999 || mon < 1 || mon > 12 || day < 1 ||
        (unsigned)day > days_in_month(y, (unsigned)mon) || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
        ss < 0 || ss > 60)
        return -1;
    long long t =
        days_from_civil(y, (unsigned)mon, (unsigned)day) * 86400LL + hh * 3600LL + mm * 60LL + ss;
    return t - zone_min * 60LL;
}

/* up to maxd digits at s[*i]; -1 when none */
static long
digits(const char *s, size_t n, size_t *i, size_t maxd, size_t *nd)
{
    long v = 0;
    size_t k = 0;
    while (*i < n && isdig(s[*i]) && k < maxd) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    if (nd != NULL)
        *nd = k;
    return k == 0 ? -1 : v;
}

static long long
parse_iso(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    size_t nd;
    long y = digits(s, n, &i, 4, &nd);
    if (nd != 4 || i >= n || s[i++] != '-')
        return -1;
    long mo = digits(s, n, &i, 2, &nd);
    if (nd != 2 || i >= n || s[i++] != '-')
        return -1;
    long d = digits(s, n, &i, 2, &nd);
    if (nd != 2 || i >= n || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
        return -1;
    i++;
    long hh = digits(s, n, &i, 2, &nd), mm = -1, ss = 0;
    if (nd == 0 || i >= n || s[i++] != ':')
        return -1;
    mm = digits(s, n, &i, 2, &nd);
    if (nd != 2)
        return -1;
    if (i < n && s[i] == ':') {
        i++;
        ss = digits(s, n, &i, 2, &nd);
        if (nd != 2)
            return -1;
        if (i < n && s[i] == '.') /* fractions */
            for (i++; i < n && isdig(s[i]); i++)
                ;
    }
    int zone = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i++] == '-' ? -1 : 1;
        long zh = digits(s, n, &i, 2, &nd);
        if (i < n && s[i] == ':')
            i++;
        long zm = digits(s, n, &i, 2, NULL);
        if (zh >= 0 && zh <= 14 && zm <= 59)
            zone = sign * (int)(zh * 60 + (zm < 0 ? 0 : zm));
    }
    return compose(y, (int)mo, (int)d, (int)hh, (int)mm, (int)ss, zone);
}

long long
wave_parse_date(const char *s, size_t len)
{
    if (s == NULL)
        return -1;
    if (len > DATE_SCAN)
        len = DATE_SCAN;
    if (len >= 10 && isdig(s[0]) && isdig(s[3]) && s[4] == '-')
        return parse_iso(s, len);
    long y = -1, day = -1;
    int mon = 0, hh = -1, mm = -1, ss = 0, zone = 0;
    size_t i = 0, words = 0;
    while (i < len) {
        char c = s[i];
        if (c == '(') { /* comment, no nesting needed for a date */
            const char *e = memchr(s + i, ')', len - i);
            i = e != NULL ? (size_t)(e - s) + 1 : len;
        } else if (isalph(c)) {
            size_t st = i;
            while (i < len && isalph(s[i]))
                i++;
            int m = month_of(s + st, i - st), zm;
            if (m != 0 && mon == 0 && i - st <= 9)
                mon = m;
            else if (hh >= 0 && zone_of(s + st, i - st, &zm))
                zone = zm;
            else if (++words > 4)
                return -1; /* prose, not a date */
        } else if ((c == '+' || c == '-') && hh >= 0 && i + 1 < len && isdig(s[i + 1])) {
            int sign = c == '-' ? -1 : 1;
            i++;
            size_t nd;
            long z = digits(s, len, &i, 4, &nd);
            if (nd == 4 && z / 100 <= 14 && z % 100 <= 59)
                zone = sign * (int)(z / 100 * 60 + z % 100);
        } else if (isdig(c)) {
            size_t nd;
            long v = digits(s, len, &i, 9, &nd);
            if (i < len && s[i] == ':' && hh < 0 && nd <= 2) {
                hh = (int)v;
                i++;
                mm = (int)digits(s, len, &i, 2, NULL);
                if (i < len && s[i] == ':') {
                    i++;
                    long sv = digits(s, len, &i, 2, NULL);
                    ss = sv < 0 ? 0 : (int)sv;
                }
            } else if (day < 0 && nd <= 2 && v >= 1 && v <= 31) {
                day = v;
            } else if (y < 0 && (nd == 4 || (day >= 0 && nd <= 3))) {
                y = nd == 4 ? v : v < 50 && nd <= 2 ? v + 2000 : v + 1900;
            } else {
                return -1;
            }
        } else {
            i++;
        }
    }
    if (y < 0 || day < 0 || mon == 0)
        return -1;
    if (hh < 0) { /* a date without a time: midnight */
        hh = 0;
        mm = 0;
    }
    return compose(y, mon, (int)day, hh, mm, ss, zone);
}

static bool
plausible(long long t, long long now)
{
    return t >= WAVE_TIME_MIN && t <= now + 86400;
}

long long
wave_message_time(const wp_scan *s, long long now, wave_time_source *src)
{
    if (s->env != NULL && plausible(s->env->time, now)) {
        *src = WAVE_TIME_ENVELOPE;
        return s->env->time;
    }
    const wp_report *r = s->r;
    /* the stamp follows the last ';' of a Received field; the top three are tried, a relay
     * that writes none is common */
    for (size_t i = 0; i < r->n_received && i < 3; i++) {
        const char *rv = r->received[i];
        const char *semi = rv != NULL ? strrchr(rv, ';') : NULL;
        if (semi == NULL)
            continue;
        long long t = wave_parse_date(semi + 1, strlen(semi + 1));
        if (plausible(t, now)) {
            *src = WAVE_TIME_RECEIVED;
            return t;
        }
    }
    if (r->date != NULL) {
        long long t = wave_parse_date(r->date, strlen(r->date));
        if (plausible(t, now)) {
            *src = WAVE_TIME_DATE;
            return t;
        }
    }
    *src = WAVE_TIME_NOW;
    return now;
}
