/*
 * watchpost/engine.h - scanning messages.
 *
 * A wp_engine holds what is shared and immutable after creation: limits and compiled YARA
 * rules. It is safe to use from many threads at once. A wp_scanner holds per-thread state
 * (the libmagic handle, a YARA scanner, scratch buffers): create one per thread.
 *
 *   wp_engine_config cfg; wp_engine_config_init(&cfg);
 *   wp_engine *e; wp_engine_new(&cfg, &e, err, sizeof err);
 *   wp_scanner *s; wp_scanner_new(e, &s);
 *   wp_report *r; wp_scan_message(s, bytes, len, &r);  ... wp_report_free(r);
 *
 * Errors: hostile input never makes a scan fail; it becomes findings in the report. A scan
 * fails only for environment problems (memory exhausted beyond the arena budget).
 */
#ifndef WATCHPOST_ENGINE_H
#define WATCHPOST_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "report.h"
#include "status.h"

typedef struct wp_engine wp_engine;
typedef struct wp_scanner wp_scanner;

typedef enum wp_log_level { WP_LOG_DEBUG, WP_LOG_INFO, WP_LOG_WARN, WP_LOG_ERROR } wp_log_level;
typedef void (*wp_log_fn)(void *ctx, wp_log_level level, const char *msg);

typedef struct wp_engine_config {
    wp_limits limits;
    const char *const *rule_paths; /* YARA rule files or directories (*.yar, *.yara) */
    size_t n_rule_paths;
    const char *magic_file; /* NULL: the system libmagic database */
    wp_log_fn log;          /* NULL: silent */
    void *log_ctx;
} wp_engine_config;

WP_API void wp_engine_config_init(wp_engine_config *cfg);

/* Compiles the rules. On failure *out is untouched and err names the file and line. */
WP_API wp_status wp_engine_new(const wp_engine_config *cfg, wp_engine **out, char *err,
                               size_t errlen);
WP_API void wp_engine_free(wp_engine *e);
/* Number of YARA rules compiled into the engine. */
WP_API size_t wp_engine_rule_count(const wp_engine *e);

WP_API wp_status wp_scanner_new(wp_engine *e, wp_scanner **out);
WP_API void wp_scanner_free(wp_scanner *s);

/* Scan one raw message (RFC 5322 bytes). The bytes are not retained. */
WP_API wp_status wp_scan_message(wp_scanner *s, const uint8_t *data, size_t len, wp_report **out);

/* Library version string. */
WP_API const char *wp_version(void);

#endif
