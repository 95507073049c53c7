/*
 * module.h - the contract between the engine and an analyzer module.
 *
 * An analyzer module (auth, intel, rules, bayes, impersonation, urls, wave) reads the report
 * that the mail walker built and adds findings. It has three lives:
 *
 *   settings  what the configuration said ("auth.mode = check"), owned by wp_engine_config,
 *             built by settings_new() and set(); never touched by a scan;
 *   state     what the module needs at scan time (loaded indicator sets, compiled patterns, a
 *             token model), made by open() from the settings at wp_engine_new(), shared by
 *             every scanner thread of that engine, and closed by close();
 *   analyze   called once per message, on the scanner's thread, after the MIME walk and before
 *             scoring, in the order of the module table in engine/modules.c.
 *
 * State is read-only during scans unless the module guards it itself (wave counts do).
 * A module with nothing configured still runs with documented defaults; one that cannot work
 * without configuration (intel with no files) returns a NULL state and is skipped.
 */
#ifndef WATCHPOST_ENGINE_MODULE_H
#define WATCHPOST_ENGINE_MODULE_H

#include <stddef.h>

#include "watchpost/engine.h"

struct wp_scan;

typedef struct wp_module {
    const char *name; /* key prefix: "auth" takes every "auth.*" setting */
    void *(*settings_new)(void);
    void (*settings_free)(void *settings);
    /* key without the prefix; WP_ENOTFOUND for an unknown key, WP_EINVAL for a bad value,
     * err saying why either way */
    wp_status (*set)(void *settings, const char *key, const char *value, char *err, size_t errlen);
    /* settings may be NULL (nothing configured); *state NULL means "skip me" */
    wp_status (*open)(const void *settings, const wp_engine_config *cfg, void **state, char *err,
                      size_t errlen);
    void (*close)(void *state);
    void (*analyze)(struct wp_scan *s, void *state);
} wp_module;

enum {
    WP_MOD_VERDICT, /* weight.*, threshold.*, action.*: scoring, not an analyzer */
    WP_MOD_AUTH,
    WP_MOD_INTEL,
    WP_MOD_RULES,
    WP_MOD_BAYES,
    WP_MOD_IMPERSONATION,
    WP_MOD_URLS,
    WP_MOD_WAVE,
    WP_MOD_DLP,
    WP_MOD__COUNT
};

/* The module table (engine/modules.c); entries are NULL for modules not built yet. */
extern const wp_module *const wp_modules[WP_MOD__COUNT];

#endif
