/*
 * module.c - the intel analyzer module: settings, loading the configured indicator files
 * into one set at engine creation, and releasing it.
 *
 * Settings (docs/CONFIGURATION.md, docs/INDICATORS.md):
 *   intel.file = PATH            repeatable; no file: the module is skipped
 *   intel.max_indicators = N     distinct indicators over all files (default 20,000,000)
 *   intel.max_line_bytes = N     longer lines are bad lines (default 4096)
 * A file that cannot be read, has no valid indicator or passes max_indicators stops engine
 * creation with a message naming it; bad lines are skipped and reported through the engine
 * log callback (the first 10 per file, then a count).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "engine/module.h"
#include "engine/scan.h"
#include "set.h"

typedef struct intel_settings {
    char **files;
    size_t n_files, cap_files;
    size_t max_indicators, max_line_bytes;
} intel_settings;

static void *
settings_new(void)
{
    intel_settings *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    st->max_indicators = WP_INTEL_MAX_INDICATORS_DEFAULT;
    st->max_line_bytes = WP_INTEL_MAX_LINE_DEFAULT;
    return st;
}

static void
settings_free(void *p)
{
    intel_settings *st = p;
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->n_files; i++)
        free(st->files[i]);
    free(st->files);
    free(st);
}

static wp_status
parse_count(const char *key, const char *value, size_t ceiling, size_t *out, char *err,
            size_t errlen)
{
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || end == value || *end != '\0' || errno != 0 || v == 0) {
        snprintf(err, errlen, "intel.%s: '%s' is not a positive whole number", key, value);
        return WP_EINVAL;
    }
    *out = v > ceiling ? ceiling : (size_t)v; /* clamped, like every limit */
    return WP_OK;
}

static wp_status
set(void *p, const char *key, const char *value, char *err, size_t errlen)
{
    intel_settings *st = p;
    if (strcmp(key, "file") == 0) {
        if (value[0] == '\0') {
            snprintf(err, errlen, "intel.file: empty path");
            return WP_EINVAL;
        }
        if (st->n_files == st->cap_files) {
            size_t ncap = st->cap_files ? st->cap_files * 2 : 4;
            char **f = realloc(st->files, ncap * sizeof(*f));
            if (f == NULL)
                return WP_ENOMEM;
            st->files = f;
            st->cap_files = ncap;
        }
        if ((st->files[st->n_files] = strdup(value)) == NULL)
            return WP_ENOMEM;
        st->n_files++;
        return WP_OK;
    }
    if (strcmp(key, "max_indicators") == 0)
        return parse_count(key, value, WP_INTEL_MAX_INDICATORS_CEILING, &st->max_indicators, err,
                           errlen);
    if (strcmp(key, "max_line_bytes") == 0)
        return parse_count(key, value, WP_INTEL_MAX_LINE_CEILING, &st->max_line_bytes, err, errlen);
    snprintf(err, errlen,
             "unknown setting 'intel.%s' (intel.file, intel.max_indicators, "
             "intel.max_line_bytes)",
             key);
    return WP_ENOTFOUND;
}

typedef struct log_ctx {
    wp_log_fn log;
    void *ctx;
} log_ctx;

static void
on_bad_line(void *p, const char *file, unsigned long line, const char *msg)
{
    const log_ctx *lc = p;
    char buf[1024];
    if (line > 0)
        snprintf(buf, sizeof buf, "intel: %s:%lu: %s", file, line, msg);
    else
        snprintf(buf, sizeof buf, "intel: %s: %s", file, msg);
    lc->log(lc->ctx, WP_LOG_WARN, buf);
}

static wp_status
open_state(const void *p, const wp_engine_config *cfg, void **state, char *err, size_t errlen)
{
    const intel_settings *st = p;
    *state = NULL;
    if (st == NULL || st->n_files == 0)
        return WP_OK; /* nothing to look up: skipped */
    log_ctx lc = {cfg->log, cfg->log_ctx};
    wp_intel_options o;
    wp_intel_options_init(&o);
    o.max_indicators = st->max_indicators;
    o.max_line_bytes = st->max_line_bytes;
    if (cfg->log != NULL) {
        o.on_error = on_bad_line;
        o.ctx = &lc;
    }
    wp_intel_set *set = NULL;
    wp_status s = wp_intel_set_new(&o, &set);
    if (s != WP_OK) {
        snprintf(err, errlen, "intel: %s", wp_strerror(s));
        return s;
    }
    for (size_t i = 0; i < st->n_files; i++) {
        wp_intel_load_stats ls;
        char e[512];
        s = wp_intel_load_file(set, st->files[i], &ls, e, sizeof e);
        if (s != WP_OK) {
            snprintf(err, errlen, "intel: %s", e);
            wp_intel_set_free(set);
            return s;
        }
        if (cfg->log != NULL) {
            char msg[1024];
            snprintf(msg, sizeof msg,
                     "intel: %s: %zu indicators added, %zu duplicates merged, %zu bad lines "
                     "skipped, %zu rows of types not matched",
                     st->files[i], ls.added, ls.duplicates, ls.bad, ls.ignored);
            cfg->log(cfg->log_ctx, WP_LOG_INFO, msg);
        }
    }
    set->opt.on_error = NULL; /* lc dies with this call; the set loads nothing more */
    set->opt.ctx = NULL;
    *state = set;
    return WP_OK;
}

static void
close_state(void *state)
{
    wp_intel_set_free(state);
}

const wp_module wp_module_intel = {
    .name = "intel",
    .settings_new = settings_new,
    .settings_free = settings_free,
    .set = set,
    .open = open_state,
    .close = close_state,
    .analyze = intel_analyze,
};
