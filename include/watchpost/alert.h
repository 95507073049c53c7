/*
 * watchpost/alert.h - pushing decisions at or above a severity to the CSIRT, at once
 * (docs/ALERTS.md): a syslog line, a JSON webhook (POST, retried with backoff) and/or mail.
 *
 *   wp_alert_config cfg; wp_alert_config_init(&cfg);
 *   wp_alerter_config_set(&cfg, "alert.webhook", "https://soc.example/hook", err, sizeof err);
 *   wp_alerter *a; wp_alerter_new(&cfg, &a, err, sizeof err);
 *   wp_alert_decision(a, report, env, ref, detected_at);   per decision, returns at once
 *   wp_alerter_free(a); wp_alert_config_fini(&cfg);
 *
 * Ownership: wp_alerter_new() copies the configuration; wp_alert_decision() copies what it
 * needs from the report and envelope, which the caller may free as soon as it returns.
 * Thread safety: one wp_alerter may be used from many threads at once (the milter's). One
 * background thread per alerter sends; the log and delivered callbacks run on that thread
 * (and the log callback also on the caller's, for queue overflow), so they must be
 * thread-safe. wp_alert_config is plain caller storage: not thread-safe.
 * Errors: wp_alert_decision() never blocks on the network: the queue is bounded and, when
 * full, the oldest waiting alert is dropped (counted, logged). Delivery failures after the
 * retries are counted and logged, never returned to the mail flow.
 */
#ifndef WATCHPOST_ALERT_H
#define WATCHPOST_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "report.h"
#include "status.h"

typedef struct wp_alerter wp_alerter;

#define WP_ALERT_SCHEMA_VERSION  1
#define WP_ALERT_MAX_HEADERS     8 /* alert.webhook_header lines */
#define WP_ALERT_MAX_QUEUE       65536
#define WP_ALERT_MAX_FINDINGS    10  /* top findings carried by one alert */
#define WP_ALERT_MAX_FIELD       512 /* bytes of one header, evidence or reason in an alert */
#define WP_ALERT_LATENCY_SAMPLES 1024

/* Called on the sender thread once per alert when every channel is done: delivered is
 * false when a channel failed after its retries (or the alerter was shut down). Times are
 * seconds since the epoch; latency is finished_at - detected_at. */
typedef void (*wp_alert_done_fn)(void *ctx, const char *ref, double detected_at, double finished_at,
                                 bool delivered);

typedef struct wp_alert_config {
    int min_severity;                    /* alert.min_severity, 0-5; default 2 (targeted attempt) */
    bool syslog;                         /* alert.syslog; default yes */
    char *webhook;                       /* alert.webhook, http:// or https:// URL; NULL: none */
    int webhook_timeout_ms;              /* alert.webhook_timeout_ms; default 5000 (per attempt) */
    int retries;                         /* alert.webhook_retries, after the first try; default 5 */
    int backoff_ms;                      /* alert.backoff_ms, first wait; doubles; default 500 */
    int backoff_max_ms;                  /* alert.backoff_max_ms, cap of one wait; default 30000 */
    char *headers[WP_ALERT_MAX_HEADERS]; /* alert.webhook_header "Name: value" (repeatable) */
    size_t n_headers;
    char *mail_to;   /* alert.mail_to; NULL: no mail */
    char *mail_from; /* alert.mail_from; default watchpost@localhost */
    char *smtp;      /* alert.smtp host:port or smtp[s]:// URL; default 127.0.0.1:25 */
    int queue_size;  /* alert.queue_size; default 256 */
    wp_log_fn log;   /* NULL: silent */
    void *log_ctx;
    /* The syslog channel's writer: the library never calls syslog(3) itself (the front end
     * owns the process's logging), it hands each alert line here with syslog_alert true for
     * severity 4 and above (LOG_ALERT) and false otherwise (LOG_WARNING). With alert.syslog
     * on and no writer, alert lines go to `log` at WP_LOG_WARN instead. */
    void (*syslog_line)(void *ctx, bool syslog_alert, const char *line);
    void *syslog_ctx;
    wp_alert_done_fn on_done; /* NULL: none; e.g. the store recording latency */
    void *on_done_ctx;
} wp_alert_config;

WP_API void wp_alert_config_init(wp_alert_config *cfg);
/* Releases the strings wp_alerter_config_set() allocated; the config can be reused after
 * wp_alert_config_init(). */
WP_API void wp_alert_config_fini(wp_alert_config *cfg);
/* Apply one "alert.<key>" setting. WP_ENOTFOUND for a key that is not alert.* or not known
 * (so a front end can route keys), WP_EINVAL for a bad value; err says which and why. The
 * value of alert.webhook_header is never copied into err. */
WP_API wp_status wp_alerter_config_set(wp_alert_config *cfg, const char *key, const char *value,
                                       char *err, size_t errlen);

/* Validates the configuration and starts the sender thread. *out is written on success only. */
WP_API wp_status wp_alerter_new(const wp_alert_config *cfg, wp_alerter **out, char *err,
                                size_t errlen);
/* Stops the sender thread: an alert being sent is abandoned at once (transfers abort), and
 * waiting alerts are counted as dropped and logged. Call wp_alerter_flush() first to drain.
 * NULL is a no-op. */
WP_API void wp_alerter_free(wp_alerter *a);
/* Waits until the queue is empty and nothing is being sent, at most timeout_ms.
 * WP_ETIMEOUT when time ran out. */
WP_API wp_status wp_alerter_flush(wp_alerter *a, int timeout_ms);

/* When r's severity is at least min_severity, queue an alert and return at once; otherwise
 * do nothing. env, ref may be NULL. detected_at: when the decision was made, seconds since
 * the epoch (0: now). WP_ENOMEM when the alert could not be built (counted as failed). */
WP_API wp_status wp_alert_decision(wp_alerter *a, const wp_report *r, const wp_envelope *env,
                                   const char *ref, double detected_at);

/* An incident raised or escalated (docs/INCIDENTS.md): alerted like a decision when its
 * severity is at least min_severity. The alert's ref is "incident-<id>" (on_done gets it). */
typedef struct wp_incident_alert {
    int64_t id;
    int severity;
    int from_severity; /* -1: new */
    const char *title;
    const char *reason;
    double evidence_ts, first_evidence, detected_at;
} wp_incident_alert;

WP_API wp_status wp_alert_incident(wp_alerter *a, const wp_incident_alert *ia);

typedef struct wp_alert_stats {
    uint64_t queued;        /* alerts accepted by wp_alert_decision() */
    uint64_t below_min;     /* decisions under min_severity (not alerts) */
    uint64_t sent;          /* alerts every channel delivered */
    uint64_t failed;        /* alerts a channel gave up on */
    uint64_t dropped;       /* alerts pushed out of a full queue or abandoned at shutdown */
    uint64_t attempts;      /* network attempts (webhook and mail), first tries included */
    size_t pending;         /* waiting or being sent now */
    size_t latency_samples; /* over the last WP_ALERT_LATENCY_SAMPLES sent alerts */
    double latency_p50_ms;  /* detected_at -> delivered */
    double latency_p99_ms;
    double latency_max_ms;
} wp_alert_stats;

WP_API void wp_alerter_stats(wp_alerter *a, wp_alert_stats *out);

#endif
