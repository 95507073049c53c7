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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "report.h"
#include "status.h"

typedef struct wp_engine wp_engine;
typedef struct wp_scanner wp_scanner;

typedef enum wp_log_level { WP_LOG_DEBUG, WP_LOG_INFO, WP_LOG_WARN, WP_LOG_ERROR } wp_log_level;
typedef void (*wp_log_fn)(void *ctx, wp_log_level level, const char *msg);

/* Settings of the analyzer modules ("auth.mode", "intel.file", "weight.URL_IP_HOST", ...);
 * opaque, filled by wp_engine_config_set(). */
typedef struct wp_settings wp_settings;

typedef struct wp_engine_config {
    wp_limits limits;
    const char *const *rule_paths; /* YARA rule files or directories (*.yar, *.yara) */
    size_t n_rule_paths;
    const char *magic_file; /* NULL: the system libmagic database */
    wp_log_fn log;          /* NULL: silent */
    void *log_ctx;
    wp_settings *settings; /* NULL: every analyzer with its documented defaults */
} wp_engine_config;

WP_API void wp_engine_config_init(wp_engine_config *cfg);
/* Releases what wp_engine_config_set() allocated (not limits, rule paths or magic_file,
 * which the caller owns). */
WP_API void wp_engine_config_fini(wp_engine_config *cfg);
/* Apply one configuration setting, as read from a configuration file: "key", "value".
 * Keys are documented in docs/CONFIGURATION.md: limit names, "weight.CODE", "threshold.*",
 * "action.*" and "<module>.<key>" (auth., intel., rules., bayes., impersonation., urls.,
 * wave.). Repeatable keys (lists) append. On error returns WP_EINVAL or WP_ENOTFOUND (unknown
 * key) and err says why, without the file and line, which the caller adds. */
WP_API wp_status wp_engine_config_set(wp_engine_config *cfg, const char *key, const char *value,
                                      char *err, size_t errlen);

/* What the MTA knows about a message and the message itself does not say. Every field is
 * optional; a scan of a stored file has none, and analyzers then fall back to what the
 * headers say (the Received chain) or skip the check. */
typedef enum wp_direction { WP_DIR_UNKNOWN = 0, WP_DIR_INBOUND, WP_DIR_OUTBOUND } wp_direction;

typedef struct wp_envelope {
    const char *client_ip;   /* connecting SMTP client, textual IPv4/IPv6 */
    const char *client_name; /* its reverse DNS name, as the MTA resolved it */
    const char *helo;
    const char *mail_from; /* envelope sender without <>; "" for the null sender */
    const char *const *rcpt;
    size_t n_rcpt;
    wp_direction direction;
    bool authenticated; /* SMTP AUTH succeeded */
    long long time;     /* arrival, seconds since the epoch; 0: now */
} wp_envelope;

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
/* The same with what the MTA knows; env may be NULL. */
WP_API wp_status wp_scan_message_env(wp_scanner *s, const uint8_t *data, size_t len,
                                     const wp_envelope *env, wp_report **out);

/* Library version string. */
WP_API const char *wp_version(void);

#endif
