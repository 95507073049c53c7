/*
 * modules.c - the table of analyzer modules and the routing of configuration keys to them.
 *
 * A module whose definition is not in the build (left out with -DWP_EXCLUDE_MODULES, or not
 * written yet: src/lib/CMakeLists.txt looks for "const wp_module wp_module_<name>") has a
 * NULL table entry and the engine skips it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "scan.h"

extern const wp_module wp_module_verdict, wp_module_auth, wp_module_intel, wp_module_rules,
    wp_module_bayes, wp_module_impersonation, wp_module_urls, wp_module_wave, wp_module_dlp;

#ifdef WP_NO_MODULE_auth
#define MOD_AUTH NULL
#else
#define MOD_AUTH &wp_module_auth
#endif
#ifdef WP_NO_MODULE_intel
#define MOD_INTEL NULL
#else
#define MOD_INTEL &wp_module_intel
#endif
#ifdef WP_NO_MODULE_rules
#define MOD_RULES NULL
#else
#define MOD_RULES &wp_module_rules
#endif
#ifdef WP_NO_MODULE_bayes
#define MOD_BAYES NULL
#else
#define MOD_BAYES &wp_module_bayes
#endif
#ifdef WP_NO_MODULE_wave
#define MOD_WAVE NULL
#else
#define MOD_WAVE &wp_module_wave
#endif
#ifdef WP_NO_MODULE_impersonation
#define MOD_IMPERSONATION NULL
#else
#define MOD_IMPERSONATION &wp_module_impersonation
#endif
#ifdef WP_NO_MODULE_urls
#define MOD_URLS NULL
#else
#define MOD_URLS &wp_module_urls
#endif
#ifdef WP_NO_MODULE_dlp
#define MOD_DLP NULL
#else
#define MOD_DLP &wp_module_dlp
#endif

const wp_module *const wp_modules[WP_MOD__COUNT] = {
    [WP_MOD_VERDICT] = &wp_module_verdict,
    [WP_MOD_AUTH] = MOD_AUTH,
    [WP_MOD_INTEL] = MOD_INTEL,
    [WP_MOD_RULES] = MOD_RULES,
    [WP_MOD_BAYES] = MOD_BAYES,
    [WP_MOD_IMPERSONATION] = MOD_IMPERSONATION,
    [WP_MOD_URLS] = MOD_URLS,
    [WP_MOD_WAVE] = MOD_WAVE,
    [WP_MOD_DLP] = MOD_DLP,
};

/* Scoring keys have their own prefixes; they all go to the verdict module, whole. */
static bool
is_verdict_key(const char *key)
{
    static const char *const pre[] = {"weight.", "threshold.", "action."};
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
        if (strncmp(key, pre[i], strlen(pre[i])) == 0)
            return true;
    return false;
}

wp_status
wp_engine_config_set(wp_engine_config *cfg, const char *key, const char *value, char *err,
                     size_t errlen)
{
    char dummy[8];
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    for (int i = 0; i < WP_LIMIT__COUNT; i++)
        if (strcmp(key, wp_limit_name((wp_limit_id)i)) == 0)
            return wp_limits_set_by_name(&cfg->limits, key, value, err, errlen);
    int id = -1;
    const char *sub = key;
    if (is_verdict_key(key)) {
        id = WP_MOD_VERDICT;
    } else {
        const char *dot = strchr(key, '.');
        for (int i = 0; dot != NULL && i < WP_MOD__COUNT; i++) {
            const wp_module *m = wp_modules[i];
            if (m != NULL && strlen(m->name) == (size_t)(dot - key) &&
                strncmp(m->name, key, (size_t)(dot - key)) == 0) {
                id = i;
                sub = dot + 1;
            }
        }
    }
    if (id < 0 || wp_modules[id] == NULL || wp_modules[id]->set == NULL) {
        snprintf(err, errlen, "unknown setting '%s'", key);
        return WP_ENOTFOUND;
    }
    if (cfg->settings == NULL && (cfg->settings = calloc(1, sizeof(*cfg->settings))) == NULL)
        return WP_ENOMEM;
    const wp_module *m = wp_modules[id];
    if (cfg->settings->mod[id] == NULL && (cfg->settings->mod[id] = m->settings_new()) == NULL)
        return WP_ENOMEM;
    return m->set(cfg->settings->mod[id], sub, value, err, errlen);
}

void
wp_engine_config_fini(wp_engine_config *cfg)
{
    if (cfg->settings == NULL)
        return;
    for (int i = 0; i < WP_MOD__COUNT; i++)
        if (cfg->settings->mod[i] != NULL)
            wp_modules[i]->settings_free(cfg->settings->mod[i]);
    free(cfg->settings);
    cfg->settings = NULL;
}

wp_status
wp_modules_open(wp_engine *e, const wp_engine_config *cfg, char *err, size_t errlen)
{
    for (int i = 0; i < WP_MOD__COUNT; i++) {
        const wp_module *m = wp_modules[i];
        if (m == NULL || m->open == NULL)
            continue;
        const void *set = cfg->settings != NULL ? cfg->settings->mod[i] : NULL;
        wp_status st = m->open(set, cfg, &e->mod_state[i], err, errlen);
        if (st != WP_OK)
            return st;
    }
    return WP_OK;
}

void
wp_modules_close(wp_engine *e)
{
    for (int i = WP_MOD__COUNT - 1; i >= 0; i--) {
        if (wp_modules[i] != NULL && e->mod_state[i] != NULL && wp_modules[i]->close != NULL)
            wp_modules[i]->close(e->mod_state[i]);
        e->mod_state[i] = NULL;
    }
}

void
wp_modules_analyze(wp_scan *s)
{
    for (int i = 1; i < WP_MOD__COUNT; i++) {
        const wp_module *m = wp_modules[i];
        if (m != NULL && m->analyze != NULL && s->eng->mod_state[i] != NULL) {
            if (wp_scan_out_of_time(s, m->name))
                break;
            m->analyze(s, s->eng->mod_state[i]);
        }
    }
}

void
wp_modules_score(wp_scan *s)
{
    const wp_module *v = wp_modules[WP_MOD_VERDICT];
    if (v != NULL && v->analyze != NULL)
        v->analyze(s, s->eng->mod_state[WP_MOD_VERDICT]);
}
