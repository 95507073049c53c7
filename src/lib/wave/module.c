/*
 * module.c - the wave module (wp_module_wave): spam-wave and volume-surge detection.
 *
 * Every scanned message is fingerprinted (normalize.c), dated (msgtime.c) and counted in the
 * engine's shared table (table.c). A cluster whose count in the window jumps to min_count and
 * `ratio` times its earlier rate is a wave: the message that crossed gets WAVE_SURGE_START
 * (once per wave: the one event), it and every later message of the wave get WAVE_MEMBER.
 * The whole stream jumping to `ratio` times its trailing mean gives VOLUME_SURGE once.
 * With wave.db the state is written behind to SQLite (store.c) and survives restarts.
 *
 * The fingerprint is computed outside the table lock; the lock covers only the counting.
 * Settings and defaults: docs/WAVES.md and docs/CONFIGURATION.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/module.h"
#include "engine/scan.h"
#include "wave.h"

typedef struct wave_settings {
    bool enable;
    wave_params p;
    char *db;
    uint32_t flush_interval; /* seconds */
    uint32_t flush_messages;
} wave_settings;

typedef struct wave_state {
    wave_table *t;
    wave_store *st;
    uint32_t flush_messages;
} wave_state;

static void
settings_defaults(wave_settings *w)
{
    memset(w, 0, sizeof(*w));
    w->enable = true;
    wave_params_default(&w->p);
    w->flush_interval = 30;
    w->flush_messages = 10000;
}

static void *
settings_new(void)
{
    wave_settings *w = malloc(sizeof(*w));
    if (w != NULL)
        settings_defaults(w);
    return w;
}

static void
settings_free(void *p)
{
    wave_settings *w = p;
    if (w == NULL)
        return;
    free(w->db);
    free(w);
}

/* ---- values ---- */

static const char *
skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* an unsigned integer, with a unit suffix s/m/h/d when `duration` */
static bool
parse_u32(const char *v, bool duration, unsigned long long lo, unsigned long long hi, uint32_t *out)
{
    v = skip_ws(v);
    if (*v < '0' || *v > '9')
        return false;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    unsigned long long mul = 1;
    if (duration && *end != '\0' && strchr("smhd", *end) != NULL) {
        mul = *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 1;
        end++;
    }
    end = (char *)skip_ws(end);
    if (*end != '\0' || x > hi || __builtin_mul_overflow(x, mul, &x) || x < lo || x > hi)
        return false;
    *out = (uint32_t)x;
    return true;
}

static bool
parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i])) {
            *out = true;
            return true;
        }
        if (!strcasecmp(v, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

static wp_status
settings_set(void *p, const char *key, const char *value, char *err, size_t errlen)
{
    wave_settings *w = p;
    static const struct {
        const char *key;
        size_t off; /* into wave_settings */
        bool duration;
        unsigned long long lo, hi;
    } nums[] = {
        {"min_count", offsetof(wave_settings, p.min_count), false, 1, 1000000},
        {"window", offsetof(wave_settings, p.window), true, 60, 86400},
        {"baseline", offsetof(wave_settings, p.baseline), true, 3600, 90 * 86400},
        {"volume_baseline", offsetof(wave_settings, p.volume_baseline), true, 3600, 90 * 86400},
        {"volume_min_count", offsetof(wave_settings, p.volume_min_count), false, 1, 1000000000},
        {"volume_min_history", offsetof(wave_settings, p.volume_min_history), true, 0, 90 * 86400},
        {"max_clusters", offsetof(wave_settings, p.max_clusters), false, 16, 2000000},
        {"max_waves", offsetof(wave_settings, p.max_waves), false, 1, 65536},
        {"max_distance", offsetof(wave_settings, p.max_distance), false, 0, 8},
        {"flush_interval", offsetof(wave_settings, flush_interval), true, 1, 3600},
        {"flush_messages", offsetof(wave_settings, flush_messages), false, 1, 10000000},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (strcmp(key, nums[i].key) != 0)
            continue;
        if (!parse_u32(value, nums[i].duration, nums[i].lo, nums[i].hi,
                       (uint32_t *)((char *)w + nums[i].off))) {
            snprintf(err, errlen, "wave.%s must be %s from %llu to %llu, not '%s'", key,
                     nums[i].duration ? "a duration in seconds (or with s, m, h, d)" : "an integer",
                     nums[i].lo, nums[i].hi, value);
            return WP_EINVAL;
        }
        return WP_OK;
    }
    if (!strcmp(key, "ratio")) {
        char *end;
        double r = strtod(skip_ws(value), &end);
        if (end == skip_ws(value) || *skip_ws(end) != '\0' || !(r >= 1.0 && r <= 10000.0)) {
            snprintf(err, errlen, "wave.ratio must be a number from 1 to 10000, not '%s'", value);
            return WP_EINVAL;
        }
        w->p.ratio = r;
        return WP_OK;
    }
    if (!strcmp(key, "enable")) {
        if (!parse_bool(value, &w->enable)) {
            snprintf(err, errlen, "wave.enable must be yes or no, not '%s'", value);
            return WP_EINVAL;
        }
        return WP_OK;
    }
    if (!strcmp(key, "db")) {
        size_t n = strlen(value);
        if (n == 0 || n > 4096) {
            snprintf(err, errlen, "wave.db must be a file path (1 to 4096 bytes)");
            return WP_EINVAL;
        }
        char *d = strdup(value);
        if (d == NULL)
            return WP_ENOMEM;
        free(w->db);
        w->db = d;
        return WP_OK;
    }
    snprintf(err, errlen, "unknown setting 'wave.%s'", key);
    return WP_ENOTFOUND;
}

/* ---- life ---- */

static wp_status
wave_open_state(const void *settings, const wp_engine_config *cfg, void **state, char *err,
                size_t errlen)
{
    wave_settings def;
    const wave_settings *w = settings;
    if (w == NULL) {
        settings_defaults(&def);
        w = &def;
    }
    *state = NULL;
    if (!w->enable)
        return WP_OK;
    wave_state *ws = calloc(1, sizeof(*ws));
    if (ws == NULL || (ws->t = wave_table_new(&w->p)) == NULL) {
        free(ws);
        snprintf(err, errlen, "wave: out of memory");
        return WP_ENOMEM;
    }
    ws->flush_messages = w->flush_messages;
    if (w->db != NULL && wave_store_open(w->db, ws->t, w->flush_interval, cfg->log, cfg->log_ctx,
                                         &ws->st, err, errlen) != 0) {
        wave_table_free(ws->t);
        free(ws);
        return WP_EIO;
    }
    *state = ws;
    return WP_OK;
}

static void
wave_close_state(void *state)
{
    wave_state *ws = state;
    if (ws == NULL)
        return;
    wave_store_close(ws->st);
    wave_table_free(ws->t);
    free(ws);
}

wave_table *
wave_state_table(void *state)
{
    return state != NULL ? ((wave_state *)state)->t : NULL;
}

/* ---- evidence ---- */

/* "4,120" */
static const char *
fmt_count(char *buf, size_t cap, uint64_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)n);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < cap; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

/* "2026-11-26 09:12 UTC" */
static const char *
fmt_time(char *buf, size_t cap, long long t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(buf, cap, "@%lld", t);
    return buf;
}

/* the subject cut to at most max bytes at a UTF-8 boundary, "..." when cut */
static const char *
fmt_subject(char *buf, size_t cap, const char *s, size_t max)
{
    size_t n = strlen(s);
    bool cut = n > max;
    if (cut) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    snprintf(buf, cap, "%.*s%s", (int)n, s, cut ? "..." : "");
    return buf;
}

static const char *
kind_name(int kind)
{
    return kind == WAVE_KEY_BODY ? "body" : "subject";
}

static void
report(wp_scan *s, const wave_result *res)
{
    char n1[32], n2[32], t1[40], subj[96];
    if (res->surge_start) {
        const wave_info *w = &res->wave;
        char ratio[48];
        if (res->earlier_per_window < 1.0)
            snprintf(ratio, sizeof ratio, "a new cluster");
        else
            snprintf(ratio, sizeof ratio, "%.0fx its earlier rate",
                     res->window_count / res->earlier_per_window);
        wp_scan_finding(s, "WAVE_SURGE_START", "message",
                        "surge of similar messages: %s in the last window (%s), %s since %s; "
                        "wave %llu, %s key %016llx, subject '%s'%s%s",
                        fmt_count(n1, sizeof n1, res->window_count), ratio,
                        fmt_count(n2, sizeof n2, w->count), fmt_time(t1, sizeof t1, w->first),
                        (unsigned long long)w->id, kind_name(w->kind), (unsigned long long)w->key,
                        fmt_subject(subj, sizeof subj, w->subject, 60),
                        w->domains[0] ? ", links to " : "", w->domains);
    }
    if (res->member) {
        const wave_info *w = &res->wave;
        wp_scan_finding(s, "WAVE_MEMBER", "message",
                        "one of %s similar messages since %s (subject '%s'); wave %llu",
                        fmt_count(n1, sizeof n1, w->count), fmt_time(t1, sizeof t1, w->first),
                        fmt_subject(subj, sizeof subj, w->subject, 60), (unsigned long long)w->id);
    }
    if (res->volume_start) {
        const wave_volume_info *v = &res->volume;
        wp_scan_finding(s, "VOLUME_SURGE", "message",
                        "mail volume %.1fx its trailing mean: %s messages in the last window "
                        "at %s; volume surge %llu",
                        v->ratio, fmt_count(n1, sizeof n1, v->window_count),
                        fmt_time(t1, sizeof t1, v->start), (unsigned long long)v->id);
    }
}

static void
wave_analyze(wp_scan *s, void *state)
{
    wave_state *ws = state;
    wave_sig sig;
    wave_sig_compute(s, &sig);
    wave_time_source src;
    long long t = wave_message_time(s, (long long)time(NULL), &src);
    wave_result res;
    wave_table_observe(ws->t, sig.kind, sig.key, t, s->r->subject != NULL ? s->r->subject : "",
                       sig.domains, &res);
    report(s, &res);
    if (ws->st != NULL && res.since_flush >= ws->flush_messages)
        wave_store_kick(ws->st);
}

const wp_module wp_module_wave = {
    .name = "wave",
    .settings_new = settings_new,
    .settings_free = settings_free,
    .set = settings_set,
    .open = wave_open_state,
    .close = wave_close_state,
    .analyze = wave_analyze,
};
