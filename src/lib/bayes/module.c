/*
 * module.c - the "bayes" analyzer module: a token model learned from the site's own mail.
 *
 * Settings (docs/CONFIGURATION.md, docs/BAYES.md):
 *   bayes.db = PATH          the SQLite model `watchpost learn` writes; none: module off
 *   bayes.enabled = yes|no   default yes (when bayes.db is set)
 *   bayes.min_learned = N    spam and ham messages each that must be learned before the
 *                            model says anything; default 200, 1 to 1000000
 *
 * open() loads the whole token table into memory (model.c) and closes the file; scans then
 * only read that table, from any number of threads. A missing file is a warning, not an
 * error: a site configures the path before its first `watchpost learn`. A file of another
 * schema or tokenizer version is an error, since its counts mean other tokens.
 *
 * Findings: BAYES_SPAM (p >= 0.95; full weight from 0.99, half below) and BAYES_HAM
 * (p <= 0.01), with the probability, the token counts and the strongest tokens as evidence.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bayes_int.h"
#include "core/arena.h"

#define DEFAULT_MIN_LEARNED 200u
#define EVIDENCE_TOKENS     5

typedef struct bayes_settings {
    char *db;
    bool enabled;
    unsigned min_learned;
} bayes_settings;

static void *
settings_new(void)
{
    bayes_settings *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->enabled = true;
    b->min_learned = DEFAULT_MIN_LEARNED;
    return b;
}

static void
settings_free(void *p)
{
    bayes_settings *b = p;
    if (b == NULL)
        return;
    free(b->db);
    free(b);
}

static wp_status
settings_set(void *p, const char *key, const char *value, char *err, size_t errlen)
{
    bayes_settings *b = p;
    if (strcmp(key, "db") == 0) {
        if (value[0] == '\0' || strlen(value) > 4096) {
            snprintf(err, errlen, "bayes.db wants a file path");
            return WP_EINVAL;
        }
        char *d = strdup(value);
        if (d == NULL)
            return WP_ENOMEM;
        free(b->db);
        b->db = d;
        return WP_OK;
    }
    if (strcmp(key, "enabled") == 0) {
        if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
            b->enabled = true;
        else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0)
            b->enabled = false;
        else {
            snprintf(err, errlen, "bayes.enabled wants yes or no, not '%s'", value);
            return WP_EINVAL;
        }
        return WP_OK;
    }
    if (strcmp(key, "min_learned") == 0) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || v < 1 || v > 1000000) {
            snprintf(err, errlen, "bayes.min_learned wants a number from 1 to 1000000, not '%s'",
                     value);
            return WP_EINVAL;
        }
        b->min_learned = (unsigned)v;
        return WP_OK;
    }
    snprintf(err, errlen, "unknown setting 'bayes.%s' (db, enabled, min_learned)", key);
    return WP_ENOTFOUND;
}

const char *
wp_bayes_config_db(const wp_engine_config *cfg)
{
    if (cfg == NULL || cfg->settings == NULL || cfg->settings->mod[WP_MOD_BAYES] == NULL)
        return NULL;
    return ((const bayes_settings *)cfg->settings->mod[WP_MOD_BAYES])->db;
}

static void
say(const wp_engine_config *cfg, wp_log_level level, const char *msg)
{
    if (cfg->log != NULL)
        cfg->log(cfg->log_ctx, level, msg);
}

static wp_status
bayes_open(const void *settings, const wp_engine_config *cfg, void **state, char *err,
           size_t errlen)
{
    const bayes_settings *b = settings;
    *state = NULL;
    if (b == NULL || b->db == NULL || !b->enabled)
        return WP_OK;
    char msg[512];
    struct stat sb;
    if (stat(b->db, &sb) != 0 && errno == ENOENT) {
        snprintf(msg, sizeof msg,
                 "bayes.db %s does not exist yet: the learned classifier is off until "
                 "`watchpost learn` creates it",
                 b->db);
        say(cfg, WP_LOG_WARN, msg);
        return WP_OK;
    }
    wp_bayes_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return WP_ENOMEM;
    st->min_learned = b->min_learned;
    sqlite3 *db = NULL;
    wp_status rc = wp_bayes_store_open(b->db, false, &db, err, errlen);
    if (rc == WP_OK) {
        rc = wp_bayes_store_load(db, b->db, &st->model, err, errlen);
        sqlite3_close(db);
    }
    if (rc != WP_OK) {
        free(st);
        return rc;
    }
    snprintf(msg, sizeof msg, "bayes.db %s: %zu tokens from %llu spam and %llu ham messages%s",
             b->db, st->model.n, (unsigned long long)st->model.nspam,
             (unsigned long long)st->model.nham,
             st->model.nspam < st->min_learned || st->model.nham < st->min_learned
                 ? " (fewer than bayes.min_learned: silent until more is learned)"
                 : "");
    say(cfg, WP_LOG_INFO, msg);
    *state = st;
    return WP_OK;
}

static void
bayes_close(void *p)
{
    wp_bayes_state *st = p;
    if (st == NULL || st->capture != NULL)
        return; /* a learner's capture state belongs to the learner */
    wp_bayes_model_fini(&st->model);
    free(st);
}

/* Find the text of a few token hashes by tokenizing once more (only for a message that gets
 * a finding): the table holds hashes, never words. */
typedef struct name_ctx {
    const uint64_t *want;
    size_t n;
    const char **text;
    wp_arena *a;
} name_ctx;

static void
name_emit(void *ctx, const char *tok, size_t len)
{
    name_ctx *nc = ctx;
    uint64_t h = wp_bayes_hash(tok, len);
    for (size_t i = 0; i < nc->n; i++)
        if (nc->want[i] == h && nc->text[i] == NULL)
            nc->text[i] = wp_arena_sanitize(nc->a, tok, len, 64);
}

static const char *
strongest(wp_scan *s, const wp_bayes_result *res, bool spam)
{
    uint64_t want[EVIDENCE_TOKENS];
    const char *text[EVIDENCE_TOKENS] = {0};
    size_t n = 0;
    for (size_t i = 0; i < res->n_clues && n < EVIDENCE_TOKENS; i++)
        if ((res->clues[i].prob > 0.5) == spam)
            want[n++] = res->clues[i].h;
    name_ctx nc = {want, n, text, s->a};
    wp_bayes_tokenize(s, name_emit, &nc);
    char buf[512];
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (text[i] == NULL)
            continue;
        int w = snprintf(buf + len, sizeof buf - len, "%s%s", len ? ", " : "", text[i]);
        if (w < 0 || (size_t)w >= sizeof buf - len)
            break;
        len += (size_t)w;
    }
    return wp_arena_strdup(s->a, len ? buf : "(none)");
}

static void
bayes_analyze(wp_scan *s, void *p)
{
    wp_bayes_state *st = p;
    if (st->capture != NULL) {
        wp_bayes_tokenize(s, wp_bayes_emit_to_set, st->capture);
        return;
    }
    if (st->model.nspam < st->min_learned || st->model.nham < st->min_learned)
        return;
    wp_bayes_tokset *set = wp_arena_alloc_raw(s->a, sizeof(*set));
    wp_bayes_result *res = wp_arena_alloc_raw(s->a, sizeof(*res));
    if (set == NULL || res == NULL)
        return; /* the memory budget is spent; engine.c records LIMIT_MEMORY */
    wp_bayes_tokset_clear(set);
    wp_bayes_tokenize(s, wp_bayes_emit_to_set, set);
    wp_bayes_classify(&st->model, set, res);
    double pr = res->prob;
    if (pr >= 0.95) {
        int w = wp_scan_weight(s, wp_finding_lookup("BAYES_SPAM"));
        wp_scan_finding_weighted(s, "BAYES_SPAM", pr >= 0.99 ? w : w / 2, "message",
                                 "learned classifier: spam probability %.4f (band %s) from %zu "
                                 "of %zu tokens; strongest: %s",
                                 pr, pr >= 0.99 ? ">= 0.99" : "0.95-0.99", res->n_clues, set->n,
                                 strongest(s, res, true));
    } else if (pr <= 0.01) {
        wp_scan_finding(s, "BAYES_HAM", "message",
                        "learned classifier: spam probability %.4f from %zu of %zu tokens; "
                        "strongest: %s",
                        pr, res->n_clues, set->n, strongest(s, res, false));
    }
}

const wp_module wp_module_bayes = {
    .name = "bayes",
    .settings_new = settings_new,
    .settings_free = settings_free,
    .set = settings_set,
    .open = bayes_open,
    .close = bayes_close,
    .analyze = bayes_analyze,
};
