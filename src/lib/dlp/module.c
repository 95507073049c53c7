/*
 * module.c - the dlp module (wp_module_dlp): classification markings in outbound mail.
 *
 * Classified material travels only on the closed network, so mail leaving the organisation
 * with a marking ("SECRET", "極秘", 【秘】 ...) is held and raises a severity-5 event (the
 * verdict module does that for any DLP score). Searched: the Subject, the visible body text
 * (decoded to UTF-8), attachment and member names, and the decoded bytes of every attachment
 * and archive member (wp_dlp_scan_bytes, called by the content layer), in UTF-8 and UTF-16LE.
 * Settings and defaults: docs/DLP.md and docs/CONFIGURATION.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp.h"
#include "engine/module.h"
#include "engine/scan.h"
#include "marking.h"

#define MAX_FINDINGS 16 /* DLP findings per message: the first few say all there is to say */

typedef enum { DIR_OUTBOUND, DIR_ALL } dlp_direction;

typedef struct dlp_settings {
    bool enable;
    dlp_direction direction;
    char **marking; /* as configured; none: the defaults */
    size_t n_marking;
} dlp_settings;

typedef struct dlp_state {
    dlp_direction direction;
    dlp_marking *m; /* longest first, so "TOP SECRET" is named rather than "SECRET" */
    size_t n;
} dlp_state;

static const char *const default_markings[] = {
    "TOP SECRET", "SECRET",   "CONFIDENTIAL", "RESTRICTED", "極秘",
    "秘",         "取扱注意", "部外秘",       "関係者外秘",
};

static void *
settings_new(void)
{
    dlp_settings *d = calloc(1, sizeof(*d));
    if (d != NULL)
        d->enable = true;
    return d;
}

static void
settings_free(void *p)
{
    dlp_settings *d = p;
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n_marking; i++)
        free(d->marking[i]);
    free(d->marking);
    free(d);
}

static wp_status
settings_set(void *p, const char *key, const char *value, char *err, size_t errlen)
{
    dlp_settings *d = p;
    if (strcmp(key, "enable") == 0) {
        if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
            d->enable = value[0] == 'y';
            return WP_OK;
        }
        snprintf(err, errlen, "dlp.enable must be yes or no, not '%s'", value);
        return WP_EINVAL;
    }
    if (strcmp(key, "direction") == 0) {
        if (strcmp(value, "outbound") == 0 || strcmp(value, "all") == 0) {
            d->direction = value[0] == 'a' ? DIR_ALL : DIR_OUTBOUND;
            return WP_OK;
        }
        snprintf(err, errlen, "dlp.direction must be outbound or all, not '%s'", value);
        return WP_EINVAL;
    }
    if (strcmp(key, "marking") == 0) {
        if (d->n_marking >= DLP_MARKINGS_MAX) {
            snprintf(err, errlen, "more than %d dlp.marking patterns", DLP_MARKINGS_MAX);
            return WP_EINVAL;
        }
        dlp_marking probe;
        char why[128];
        wp_status st = dlp_marking_make(value, &probe, why, sizeof why);
        if (st == WP_ENOMEM)
            return st;
        if (st != WP_OK) {
            snprintf(err, errlen, "dlp.marking '%.80s': %s", value, why);
            return st;
        }
        dlp_marking_free(&probe);
        char **nm = realloc(d->marking, (d->n_marking + 1) * sizeof(char *));
        if (nm == NULL)
            return WP_ENOMEM;
        d->marking = nm;
        if ((d->marking[d->n_marking] = strdup(value)) == NULL)
            return WP_ENOMEM;
        d->n_marking++;
        return WP_OK;
    }
    snprintf(err, errlen, "unknown setting 'dlp.%s' (marking, direction, enable)", key);
    return WP_ENOTFOUND;
}

static void
dlp_close(void *p)
{
    dlp_state *st = p;
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->n; i++)
        dlp_marking_free(&st->m[i]);
    free(st->m);
    free(st);
}

static int
longer_first(const void *a, const void *b)
{
    const dlp_marking *x = a, *y = b;
    return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

static wp_status
dlp_open(const void *settings, const wp_engine_config *cfg, void **state, char *err, size_t errlen)
{
    (void)cfg;
    *state = NULL;
    const dlp_settings *d = settings;
    if (d != NULL && !d->enable)
        return WP_OK;
    const char *const *pat = default_markings;
    size_t n = sizeof default_markings / sizeof default_markings[0];
    if (d != NULL && d->n_marking > 0) {
        pat = (const char *const *)d->marking;
        n = d->n_marking;
    }
    dlp_state *st = calloc(1, sizeof(*st));
    if (st == NULL || (st->m = calloc(n, sizeof(dlp_marking))) == NULL) {
        free(st);
        return WP_ENOMEM;
    }
    st->direction = d != NULL ? d->direction : DIR_OUTBOUND;
    for (size_t i = 0; i < n; i++) {
        char why[128];
        wp_status rc = dlp_marking_make(pat[i], &st->m[st->n], why, sizeof why);
        if (rc != WP_OK) {
            snprintf(err, errlen, "dlp.marking '%.80s': %s", pat[i], why);
            dlp_close(st);
            return rc;
        }
        st->n++;
    }
    qsort(st->m, st->n, sizeof(dlp_marking), longer_first);
    *state = st;
    return WP_OK;
}

static const char *
direction_name(const wp_scan *s)
{
    if (s->env == NULL)
        return "unknown (no envelope)";
    return s->env->direction == WP_DIR_OUTBOUND  ? "outbound"
           : s->env->direction == WP_DIR_INBOUND ? "inbound"
                                                 : "unknown";
}

/* The state when this message is to be checked, NULL otherwise. */
static const dlp_state *
applies(const wp_scan *s)
{
    const dlp_state *st = wp_scan_module(s, WP_MOD_DLP);
    if (st == NULL)
        return NULL;
    if (st->direction == DIR_ALL)
        return st;
    return s->env != NULL && s->env->direction == WP_DIR_OUTBOUND ? st : NULL;
}

static bool
room_for_finding(const wp_scan *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->r->n_findings; i++)
        if (strcmp(s->r->findings[i].code, "DLP_CLASSIFIED_MARKING") == 0)
            n++;
    return n < MAX_FINDINGS;
}

static void
search(wp_scan *s, const dlp_state *st, const uint8_t *d, size_t len, bool utf16, const char *what,
       const char *where)
{
    if (!room_for_finding(s))
        return;
    int i = dlp_marking_find(st->m, st->n, d, len, utf16);
    if (i < 0)
        return;
    wp_scan_finding(s, "DLP_CLASSIFIED_MARKING", where,
                    "classification marking '%s' in the %s%s; direction %s", st->m[i].text, what,
                    utf16 ? " (UTF-16LE text)" : "", direction_name(s));
}

void
wp_dlp_scan_bytes(struct wp_scan *s, const uint8_t *data, size_t len, const char *where)
{
    const dlp_state *st = applies(s);
    if (st == NULL || data == NULL || len == 0)
        return;
    search(s, st, data, len, false, "content", where);
    search(s, st, data, len, true, "content", where);
}

static void
dlp_analyze(wp_scan *s, void *state)
{
    (void)state;
    const dlp_state *st = applies(s);
    if (st == NULL)
        return;
    const wp_report *r = s->r;
    if (r->subject != NULL)
        search(s, st, (const uint8_t *)r->subject, strlen(r->subject), false, "Subject",
               "header:Subject");
    if (s->body != NULL)
        search(s, st, (const uint8_t *)s->body, s->body_len, false, "body text", "body");
    for (size_t i = 0; i < r->n_objects; i++)
        if (r->objects[i].name != NULL)
            search(s, st, (const uint8_t *)r->objects[i].name, strlen(r->objects[i].name), false,
                   "file name", r->objects[i].where);
}

const wp_module wp_module_dlp = {
    .name = "dlp",
    .settings_new = settings_new,
    .settings_free = settings_free,
    .set = settings_set,
    .open = dlp_open,
    .close = dlp_close,
    .analyze = dlp_analyze,
};
