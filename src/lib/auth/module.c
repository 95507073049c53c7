/*
 * module.c - the auth analyzer module: settings, state, and which mode runs.
 *
 *   auth.mode = off | trust | check      default trust
 *   auth.authserv_id = mx.example.org    repeatable; trust mode does nothing without one
 *   auth.resolver = 127.0.0.1:5353       IP[:port] or [IPv6]:port; default /etc/resolv.conf
 *   auth.dns_timeout_ms = 2000           per query, 1..60000
 *   auth.public_suffix_list = PATH       default: the system list when installed
 *
 * docs/AUTH.md is the user's description of the same.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_int.h"
#include "core/arena.h"
#include "core/util.h"

static void *
settings_new(void)
{
    auth_settings *a = calloc(1, sizeof(*a));
    if (a != NULL) {
        a->mode = AUTH_MODE_TRUST;
        a->dns_timeout_ms = 2000;
    }
    return a;
}

static void
settings_free(void *p)
{
    auth_settings *a = p;
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n_authserv_id; i++)
        free(a->authserv_id[i]);
    free(a->resolver);
    free(a->public_suffix_list);
    free(a);
}

static wp_status
settings_set(void *p, const char *key, const char *value, char *err, size_t errlen)
{
    auth_settings *a = p;
    if (strcmp(key, "mode") == 0) {
        if (strcmp(value, "off") == 0)
            a->mode = AUTH_MODE_OFF;
        else if (strcmp(value, "trust") == 0)
            a->mode = AUTH_MODE_TRUST;
        else if (strcmp(value, "check") == 0)
            a->mode = AUTH_MODE_CHECK;
        else {
            snprintf(err, errlen, "auth.mode: '%s' is not off, trust or check", value);
            return WP_EINVAL;
        }
        return WP_OK;
    }
    if (strcmp(key, "authserv_id") == 0) {
        size_t n = strlen(value);
        if (n == 0 || n > 253 || strpbrk(value, " \t;()\"") != NULL) {
            snprintf(err, errlen, "auth.authserv_id: '%s' is not a single authserv-id", value);
            return WP_EINVAL;
        }
        if (a->n_authserv_id == AUTH_MAX_AUTHSERV_IDS) {
            snprintf(err, errlen, "auth.authserv_id: at most %d", AUTH_MAX_AUTHSERV_IDS);
            return WP_EINVAL;
        }
        if ((a->authserv_id[a->n_authserv_id] = strdup(value)) == NULL)
            return WP_ENOMEM;
        a->n_authserv_id++;
        return WP_OK;
    }
    if (strcmp(key, "resolver") == 0) {
        auth_resolver r;
        char why[200];
        if (!auth_resolver_parse(value, &r, why, sizeof why)) {
            snprintf(err, errlen, "auth.%s", why);
            return WP_EINVAL;
        }
        return wp_str_replace(&a->resolver, value);
    }
    if (strcmp(key, "dns_timeout_ms") == 0) {
        char *end;
        long v = strtol(value, &end, 10);
        if (end == value || *end != '\0' || v < 1 || v > 60000) {
            snprintf(err, errlen, "auth.dns_timeout_ms: '%s' is not a number from 1 to 60000",
                     value);
            return WP_EINVAL;
        }
        a->dns_timeout_ms = (int)v;
        return WP_OK;
    }
    if (strcmp(key, "public_suffix_list") == 0)
        return wp_str_replace(&a->public_suffix_list, value);
    snprintf(err, errlen,
             "unknown setting 'auth.%s' (mode, authserv_id, resolver, "
             "dns_timeout_ms, public_suffix_list)",
             key);
    return WP_ENOTFOUND;
}

static void
state_close(void *p)
{
    auth_state *st = p;
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->n_authserv_id; i++)
        free(st->authserv_id[i]);
    auth_dkim_lib_free(st->dkim_lib);
    free(st);
}

static wp_status
state_open(const void *settings, const wp_engine_config *cfg, void **out, char *err, size_t errlen)
{
    (void)cfg;
    *out = NULL;
    auth_settings defaults;
    const auth_settings *a = settings;
    if (a == NULL) {
        memset(&defaults, 0, sizeof defaults);
        defaults.mode = AUTH_MODE_TRUST;
        defaults.dns_timeout_ms = 2000;
        a = &defaults;
    }
    /* off, or trust with nobody to trust: nothing to do, skip the module */
    if (a->mode == AUTH_MODE_OFF || (a->mode == AUTH_MODE_TRUST && a->n_authserv_id == 0))
        return WP_OK;
    if (!auth_psl_load(a->public_suffix_list, err, errlen))
        return WP_EINVAL;
    auth_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return WP_ENOMEM;
    st->mode = a->mode;
    st->dns_timeout_ms = a->dns_timeout_ms;
    for (size_t i = 0; i < a->n_authserv_id; i++) {
        if ((st->authserv_id[i] = strdup(a->authserv_id[i])) == NULL) {
            state_close(st);
            return WP_ENOMEM;
        }
        st->n_authserv_id++;
    }
    if (a->resolver != NULL) {
        if (!auth_resolver_parse(a->resolver, &st->resolver, err, errlen)) {
            state_close(st);
            return WP_EINVAL;
        }
    } else {
        auth_resolver_system(&st->resolver);
    }
    if (st->mode == AUTH_MODE_CHECK) {
        auth_spf_global_init();
        if ((st->dkim_lib = auth_dkim_lib_new()) == NULL) {
            snprintf(err, errlen, "auth: libopendkim could not be initialised");
            state_close(st);
            return WP_ENOMEM;
        }
    }
    *out = st;
    return WP_OK;
}

static void
analyze(wp_scan *s, void *p)
{
    const auth_state *st = p;
    if (s->r == NULL || !s->r->parsed)
        return;
    auth_trust_analyze(s, st);
    if (st->mode == AUTH_MODE_CHECK)
        auth_check_analyze(s, st);
}

const char *
auth_safe(wp_scan *s, const char *text)
{
    if (text == NULL)
        return "";
    const char *c = wp_arena_sanitize(s->a, text, strlen(text), 256);
    return c != NULL ? c : "";
}

void
auth_dmarc_fail_finding(wp_scan *s, const char *policy, const char *fmt, ...)
{
    /* the catalogue (or weight.AUTH_DMARC_FAIL) weight is the p=reject weight: the domain
     * owner says all its mail authenticates; quarantine and unknown one less; p=none, a
     * domain still monitoring, half */
    int w = wp_scan_weight(s, wp_finding_lookup("AUTH_DMARC_FAIL"));
    if (strcmp(policy, "reject") != 0)
        w = strcmp(policy, "none") == 0 ? w / 2 : (w > 0 ? w - 1 : w);
    va_list ap;
    va_start(ap, fmt);
    char *ev = wp_arena_vprintf(s->a, fmt, ap);
    va_end(ap);
    wp_scan_finding_weighted(s, "AUTH_DMARC_FAIL", w, "auth:dmarc", "%s",
                             ev != NULL ? ev : "DMARC fail");
}

const wp_module wp_module_auth = {
    .name = "auth",
    .settings_new = settings_new,
    .settings_free = settings_free,
    .set = settings_set,
    .open = state_open,
    .close = state_close,
    .analyze = analyze,
};
