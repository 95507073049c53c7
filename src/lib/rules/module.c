/*
 * module.c - the "rules" analyzer module: settings, loading, the module table entry.
 *
 * Settings (docs/CONTENT-RULES.md, docs/CONFIGURATION.md):
 *   rules.file = PATH      a rule file or a directory of *.rules files; repeatable
 *   rules.default = yes|no load the shipped rule set (rules.default_dir); yes
 *   rules.default_dir = DIR where the shipped content rules are; WP_DEFAULT_CONTENT_RULES_DIR
 *   rules.disable = NAME   switch one loaded rule off (a comma list is fine); repeatable
 *   rules.cache = DIR|no   where compiled databases are kept (cache.c); default
 *                          $XDG_CACHE_HOME/watchpost or ~/.cache/watchpost
 *
 * open() parses every file, resolves metas, applies rules.disable and compiles; the first
 * error stops engine creation with file:line. A missing shipped directory is only a warning
 * (through the engine's log callback): an installed library may live without the source
 * tree, an explicitly configured file may not be missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include <sys/stat.h>

#include "engine/module.h"
#include "rules.h"

#ifndef WP_DEFAULT_CONTENT_RULES_DIR
#define WP_DEFAULT_CONTENT_RULES_DIR "/usr/share/watchpost/rules/content"
#endif

#define MAX_LIST 256u /* rules.file / rules.disable entries */

typedef struct rules_settings {
    char *files[MAX_LIST];
    size_t n_files;
    char *disable[MAX_LIST];
    size_t n_disable;
    bool use_default;
    char *cache;       /* NULL: the default directory; "" : no cache */
    char *default_dir; /* rules.default_dir; NULL: WP_DEFAULT_CONTENT_RULES_DIR */
} rules_settings;

static void *
settings_new(void)
{
    rules_settings *rs = calloc(1, sizeof(*rs));
    if (rs != NULL)
        rs->use_default = true;
    return rs;
}

static void
settings_free(void *p)
{
    rules_settings *rs = p;
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->n_files; i++)
        free(rs->files[i]);
    for (size_t i = 0; i < rs->n_disable; i++)
        free(rs->disable[i]);
    free(rs->cache);
    free(rs->default_dir);
    free(rs);
}

static wp_status
push(char **list, size_t *n, const char *v, size_t len, const char *key, char *err, size_t errlen)
{
    if (*n >= MAX_LIST) {
        snprintf(err, errlen, "rules.%s: more than %u entries", key, MAX_LIST);
        return WP_EINVAL;
    }
    if ((list[*n] = strndup(v, len)) == NULL)
        return WP_ENOMEM;
    (*n)++;
    return WP_OK;
}

static wp_status
settings_set(void *p, const char *key, const char *value, char *err, size_t errlen)
{
    rules_settings *rs = p;
    if (strcmp(key, "file") == 0) {
        if (value[0] == '\0') {
            snprintf(err, errlen, "rules.file: empty path");
            return WP_EINVAL;
        }
        return push(rs->files, &rs->n_files, value, strlen(value), key, err, errlen);
    }
    if (strcmp(key, "default") == 0) {
        if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 ||
            strcmp(value, "1") == 0) {
            rs->use_default = true;
        } else if (strcasecmp(value, "no") == 0 || strcasecmp(value, "false") == 0 ||
                   strcmp(value, "0") == 0) {
            rs->use_default = false;
        } else {
            snprintf(err, errlen, "rules.default must be yes or no, not '%s'", value);
            return WP_EINVAL;
        }
        return WP_OK;
    }
    if (strcmp(key, "default_dir") == 0) {
        if (value[0] != '/') {
            snprintf(err, errlen, "rules.default_dir must be an absolute directory, not '%s'",
                     value);
            return WP_EINVAL;
        }
        free(rs->default_dir);
        if ((rs->default_dir = strdup(value)) == NULL)
            return WP_ENOMEM;
        return WP_OK;
    }
    if (strcmp(key, "cache") == 0) {
        bool off = strcasecmp(value, "no") == 0 || strcasecmp(value, "none") == 0;
        if (!off && value[0] != '/') {
            snprintf(err, errlen, "rules.cache must be an absolute directory or no, not '%s'",
                     value);
            return WP_EINVAL;
        }
        free(rs->cache);
        if ((rs->cache = strdup(off ? "" : value)) == NULL)
            return WP_ENOMEM;
        return WP_OK;
    }
    if (strcmp(key, "disable") == 0) {
        const char *v = value;
        while (*v != '\0') {
            while (*v == ' ' || *v == ',' || *v == '\t')
                v++;
            const char *s = v;
            while (*v != '\0' && *v != ' ' && *v != ',' && *v != '\t')
                v++;
            if (v > s) {
                wp_status st =
                    push(rs->disable, &rs->n_disable, s, (size_t)(v - s), key, err, errlen);
                if (st != WP_OK)
                    return st;
            }
        }
        return WP_OK;
    }
    snprintf(err, errlen, "unknown setting 'rules.%s' (file, default, disable, cache)", key);
    return WP_ENOTFOUND;
}

static wp_status
rules_open(const void *settings, const wp_engine_config *cfg, void **state, char *err,
           size_t errlen)
{
    static const rules_settings defaults = {.use_default = true};
    const rules_settings *set = settings != NULL ? settings : &defaults;
    wp_ruleset *rs = wp_rules_new();
    if (rs == NULL)
        return WP_ENOMEM;
    wp_status st = WP_OK;
    char dir[4096];
    if (set->cache != NULL) {
        if (set->cache[0] != '\0' && (rs->cache_dir = strdup(set->cache)) == NULL)
            st = WP_ENOMEM;
    } else if (wp_rules_cache_default(dir, sizeof dir) && (rs->cache_dir = strdup(dir)) == NULL) {
        st = WP_ENOMEM;
    }
    /* the front end says where the installation keeps the shipped rules (it resolves that
     * from its executable: src/common/config.c); the compiled-in path is the build tree's */
    const char *shipped = set->default_dir ? set->default_dir : WP_DEFAULT_CONTENT_RULES_DIR;
    if (st == WP_OK && set->use_default) {
        struct stat sb;
        if (stat(shipped, &sb) == 0) {
            st = wp_rules_load_path(rs, shipped, err, errlen);
        } else if (cfg->log != NULL) {
            char msg[512];
            snprintf(msg, sizeof msg,
                     "content rules: shipped rule directory %s not found; running without it "
                     "(set rules.default = no to silence this)",
                     shipped);
            cfg->log(cfg->log_ctx, WP_LOG_WARN, msg);
        }
    }
    for (size_t i = 0; st == WP_OK && i < set->n_files; i++)
        st = wp_rules_load_path(rs, set->files[i], err, errlen);
    if (st == WP_OK)
        st = wp_rules_resolve(rs, (const char *const *)set->disable, set->n_disable, err, errlen);
    if (st == WP_OK)
        st = wp_rules_compile(rs, err, errlen);
    if (st != WP_OK || rs->n_rules == 0) {
        wp_rules_free(rs);
        rs = NULL;
    }
    if (st == WP_OK)
        *state = rs;
    return st;
}

static void
rules_close(void *state)
{
    wp_rules_free(state);
}

static void
rules_analyze(wp_scan *s, void *state)
{
    wp_rules_analyze(s, state);
}

const wp_module wp_module_rules = {
    .name = "rules",
    .settings_new = settings_new,
    .settings_free = settings_free,
    .set = settings_set,
    .open = rules_open,
    .close = rules_close,
    .analyze = rules_analyze,
};
