/*
 * watchpost/store.h - the decision store and the quarantine spool (docs/STORE.md).
 *
 * A wp_store is one SQLite database (WAL journal) that records every decision: envelope,
 * headers of interest, verdict, findings, action, timestamps. With a spool directory it also
 * keeps quarantined messages whole, one file per message named by its quarantine reference
 * (the id the SMTP reply names), with an index row in the database.
 *
 *   wp_store_config cfg; wp_store_config_init(&cfg);
 *   cfg.db_path = "/var/lib/watchpost/store.db"; cfg.spool_dir = "/var/spool/watchpost";
 *   wp_store *st; wp_store_open(&cfg, &st, err, sizeof err);
 *   wp_store_decision d = {.report = r, .env = &env, .queue_id = qid};
 *   wp_store_record(st, &d, &id, err, sizeof err);                       every decision
 *   wp_store_quarantine(st, &d, raw, len, ref, &id, err, sizeof err);    instead, to keep it
 *
 * Ownership: the store copies what it is given; lists and messages it returns are owned by
 * the caller and released with their _free function (NULL is a no-op).
 * Thread safety: one wp_store may be used from many threads at once (the milter's); calls
 * are serialised on one connection by a mutex, and the spool write (the slow part, fsync)
 * of wp_store_quarantine() runs outside it.
 * Errors: calls return wp_status and, on failure, write a message naming the database or
 * spool path into err. Out-parameters are written only on success. When
 * wp_store_quarantine() fails, neither a spool file nor an index row is left behind: the
 * milter answers with a temporary failure.
 */
#ifndef WATCHPOST_STORE_H
#define WATCHPOST_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "netlog.h"
#include "report.h"
#include "status.h"

typedef struct wp_store wp_store;

/* The schema version this build writes (the number of its migrations). */
#define WP_STORE_SCHEMA_VERSION 5

/* What is kept of one decision; longer values are cut at a UTF-8 boundary. */
#define WP_STORE_MAX_HEADER      4096 /* each header of interest, each envelope field */
#define WP_STORE_MAX_REASONS     4096 /* the verdict's reasons, all together */
#define WP_STORE_MAX_EVIDENCE    2048 /* one finding's evidence */
#define WP_STORE_MAX_WHERE       512  /* one finding's location */
#define WP_STORE_MAX_FINDINGS    256  /* findings per decision (the rest are counted) */
#define WP_STORE_MAX_RCPT        1000 /* recipients per decision (the rest are counted) */
#define WP_STORE_MAX_QUEUE_ID    128
#define WP_STORE_MAX_ACTOR       256 /* who released or deleted */
#define WP_STORE_DEFAULT_LIMIT   100 /* rows per query page when the filter says 0 */
#define WP_STORE_MAX_LIMIT       10000
#define WP_STORE_MAX_SPOOL_BYTES ((uint64_t)256 << 20) /* one quarantined message */
#define WP_STORE_MAX_REPORT_JSON ((size_t)8 << 20)     /* a report kept whole (reports.c) */
#define WP_QUARANTINE_REF_SIZE   17                    /* 16 lower-case hex digits and the NUL */
/* A release claim older than this (seconds) is taken to be left by a process that died and
 * may be claimed again (docs/STORE.md, "Release"). */
#define WP_QUARANTINE_CLAIM_TIMEOUT 600

typedef struct wp_store_config {
    const char *db_path;   /* required; created when absent */
    const char *spool_dir; /* NULL: no quarantine; created 0700 when absent (not its parents) */
    int busy_timeout_ms;   /* how long to wait for another process's lock; default 5000 */
    /* false (default): every commit is on disk before it returns (synchronous=FULL), as the
     * milter needs before it answers. true: synchronous=NORMAL, a power loss may drop the
     * last commits but never corrupts; for writers whose input can be read again, such as
     * `watchpost watch`, whose file positions live in the same database and roll back with
     * the findings they produced. Per connection: the milter's stays FULL. */
    bool relaxed_sync;
} wp_store_config;

WP_API void wp_store_config_init(wp_store_config *cfg);

/* Opens or creates the database and applies pending migrations. Fails (WP_EPARSE) on a file
 * that is not SQLite or is a watchpost store of a newer schema, naming the path. */
WP_API wp_status wp_store_open(const wp_store_config *cfg, wp_store **out, char *err,
                               size_t errlen);
WP_API void wp_store_close(wp_store *s);
/* The schema version of the open database (== WP_STORE_SCHEMA_VERSION after open). */
WP_API int wp_store_schema_version(wp_store *s);

/* ---- recording decisions ---- */

typedef struct wp_store_decision {
    const wp_report *report; /* required: headers, verdict, findings */
    const wp_envelope *env;  /* NULL: none (a scan of a stored file) */
    const char *queue_id;    /* the MTA's queue id, NULL when none */
    long long time;          /* when decided, seconds since the epoch; 0: now */
    /* wp_store_quarantine: the message's whole size when raw holds only its first len bytes
     * (a size limit cut it); 0 when raw is the whole message. A copy is also taken to be
     * cut when the report has the LIMIT_MESSAGE_SIZE finding. A cut copy is never
     * released (wp_store_quarantine_claim refuses it). */
    uint64_t whole_size;
} wp_store_decision;

/* Records one decision in one transaction; *id (may be NULL) receives its row id. */
WP_API wp_status wp_store_record(wp_store *s, const wp_store_decision *d, int64_t *id, char *err,
                                 size_t errlen);

/* ---- querying decisions (`watchpost events`) ---- */

typedef struct wp_event_filter {
    long long since, until;   /* decision time: since <= t < until; 0: unbounded */
    int min_severity;         /* -1: any */
    int verdict;              /* a wp_verdict_class, -1: any */
    int action;               /* a wp_action, -1: any */
    const char *sender;       /* envelope sender, case-insensitive; "@domain" matches the
                                 domain; NULL: any */
    const char *recipient;    /* one envelope recipient, case-insensitive; NULL: any */
    const char *finding_code; /* decisions with this finding; NULL: any */
    int64_t id;               /* just this decision; 0: any */
    int64_t before_id;        /* page: only ids below this (the last id of the previous
                                 page); 0: from the newest */
    const char *subject;      /* Subject contains this text; NULL: any */
    const char *sha256;       /* an attachment (or archive member) with this SHA-256, lower
                                 case hex; NULL: any */
    wp_direction direction;   /* WP_DIR_UNKNOWN: any */
    size_t limit;             /* rows per page; 0: WP_STORE_DEFAULT_LIMIT, capped at
                                 WP_STORE_MAX_LIMIT */
} wp_event_filter;

WP_API void wp_event_filter_init(wp_event_filter *f);

typedef struct wp_event_finding {
    const char *code;
    const char *category; /* wp_category_name() */
    int weight, contribution;
    const char *evidence, *where;
} wp_event_finding;

typedef struct wp_event {
    int64_t id;
    long long time;    /* decision */
    long long arrival; /* envelope time, 0 when none */
    const char *queue_id, *message_id;
    /* envelope; NULL when not known */
    const char *client_ip, *client_name, *helo, *mail_from;
    const char **rcpt;
    size_t n_rcpt, n_rcpt_total; /* stored, and as many as the envelope had */
    wp_direction direction;
    bool authenticated;
    /* headers of interest; NULL when absent */
    const char *from, *sender, *reply_to, *return_path, *to, *cc, *subject, *date;
    uint64_t size;
    wp_verdict_class verdict;
    int score, severity;
    wp_action action;
    const char **reasons;
    size_t n_reasons;
    wp_event_finding *findings;
    size_t n_findings, n_findings_total;
    const char *quarantine_ref; /* NULL when the message was not quarantined */
} wp_event;

typedef struct wp_event_list {
    wp_event *events; /* newest first */
    size_t n;
    bool more; /* another page follows: pass events[n-1].id as before_id */
    void *priv;
} wp_event_list;

WP_API wp_status wp_store_events(wp_store *s, const wp_event_filter *f, wp_event_list **out,
                                 char *err, size_t errlen);
WP_API void wp_event_list_free(wp_event_list *l);

/* ---- statistics (the dashboard's overview, `GET /api/v1/stats`) ---- */

#define WP_STATS_MAX_BUCKETS 1500 /* a day by the minute, two months by the hour */
#define WP_STATS_TOP         10

typedef struct wp_stats_bucket {
    long long t; /* start of the bucket, seconds since the epoch */
    uint64_t verdicts[WP_VERDICT__COUNT];
    uint64_t severity[6];
} wp_stats_bucket;

typedef struct wp_stats_top {
    char value[256];
    uint64_t count;
} wp_stats_top;

typedef struct wp_stats {
    long long since, until, bucket; /* [since, until), bucket seconds */
    wp_stats_bucket *buckets;       /* every bucket of the range, empty ones included */
    size_t n_buckets;
    uint64_t verdicts[WP_VERDICT__COUNT], severity[6], total;
    wp_stats_top senders[WP_STATS_TOP], domains[WP_STATS_TOP], findings[WP_STATS_TOP];
    size_t n_senders, n_domains, n_findings;
    uint64_t open_incidents[6]; /* open and acknowledged incidents by severity */
    uint64_t quarantine_held;
} wp_stats;

/* Counts of the decisions in [since, until) by bucket (seconds; the range is cut to
 * WP_STATS_MAX_BUCKETS buckets ending at until), the top envelope senders, sender domains and
 * finding codes, and the incidents still open. Free with wp_stats_free. */
WP_API wp_status wp_store_stats(wp_store *s, long long since, long long until, long long bucket,
                                wp_stats *out, char *err, size_t errlen);
WP_API void wp_stats_free(wp_stats *st);

/* The decision's whole report as `watchpost scan --json` wrote it (one JSON object), in
 * *json (free() it); WP_ENOTFOUND when none was kept (too large, or recorded before schema
 * version 4). */
WP_API wp_status wp_store_event_report(wp_store *s, int64_t id, char **json, char *err,
                                       size_t errlen);

/* ---- the quarantine (`watchpost quarantine list|show|release|delete`) ---- */

typedef enum wp_quarantine_state {
    WP_QUARANTINE_HELD,
    WP_QUARANTINE_RELEASING, /* claimed by a release that is re-injecting it (claimed_by) */
    WP_QUARANTINE_RELEASED,  /* re-injected; the file stays until deleted or expired */
    WP_QUARANTINE_DELETED    /* tombstone: the file is gone, the row says who and when */
} wp_quarantine_state;

WP_API const char *wp_quarantine_state_name(wp_quarantine_state st);

/* Writes raw durably into the spool (temporary file, fsync, rename, fsync of the
 * directory), then records the decision and its index row in one transaction. ref receives
 * the quarantine reference, *id (may be NULL) the decision's row id. On any failure nothing
 * is left: no file, no row. WP_EINVAL when the store has no spool directory, WP_ELIMIT when
 * len exceeds WP_STORE_MAX_SPOOL_BYTES. */
WP_API wp_status wp_store_quarantine(wp_store *s, const wp_store_decision *d, const uint8_t *raw,
                                     size_t len, char ref[WP_QUARANTINE_REF_SIZE], int64_t *id,
                                     char *err, size_t errlen);

typedef struct wp_quarantine_entry {
    char ref[WP_QUARANTINE_REF_SIZE];
    int64_t decision_id;
    long long created;
    uint64_t size;
    char sha256[65];
    wp_quarantine_state state;
    const char *released_by; /* NULL unless released */
    long long released_at;
    const char *deleted_by; /* NULL unless deleted */
    long long deleted_at;
    const char *delete_reason; /* "operator" or "retention"; NULL unless deleted */
    const char *claimed_by;    /* who claimed it for release; NULL unless releasing/released */
    long long claimed_at;
    /* the spool copy is only the first size bytes of the message (a size limit cut it);
     * whole_size is the message's size, 0 when not known. Never released. */
    bool truncated;
    uint64_t whole_size;
    const char *queue_id; /* the MTA's queue id of the decision; NULL when none */
    /* from the decision, for listings */
    const char *mail_from, *subject, *from;
    const char **rcpt;
    size_t n_rcpt;
    wp_verdict_class verdict;
    int severity;
} wp_quarantine_entry;

typedef struct wp_quarantine_filter {
    long long since, until; /* quarantine time: since <= t < until; 0: unbounded */
    int state;              /* a wp_quarantine_state, -1: any */
    const char *sender;     /* as in wp_event_filter */
    const char *recipient;
    int64_t before_id; /* page by decision id, as in wp_event_filter */
    size_t limit;
} wp_quarantine_filter;

WP_API void wp_quarantine_filter_init(wp_quarantine_filter *f);

typedef struct wp_quarantine_list {
    wp_quarantine_entry *entries; /* newest first */
    size_t n;
    bool more; /* pass entries[n-1].decision_id as before_id */
    void *priv;
} wp_quarantine_list;

WP_API wp_status wp_store_quarantine_list(wp_store *s, const wp_quarantine_filter *f,
                                          wp_quarantine_list **out, char *err, size_t errlen);
WP_API void wp_quarantine_list_free(wp_quarantine_list *l);

/* One quarantined message: its index row, its envelope and its original bytes. */
typedef struct wp_quarantine_message {
    wp_quarantine_entry entry;
    wp_envelope env; /* as recorded; rcpt holds the stored recipients */
    uint8_t *data;   /* byte-identical to what was quarantined */
    size_t len;
    void *priv;
} wp_quarantine_message;

/* WP_ENOTFOUND for an unknown reference or a deleted message (a tombstone has no bytes);
 * WP_EPARSE when the file no longer matches its recorded size and SHA-256. */
WP_API wp_status wp_store_quarantine_get(wp_store *s, const char *ref, wp_quarantine_message **out,
                                         char *err, size_t errlen);
WP_API void wp_quarantine_message_free(wp_quarantine_message *m);

/* Releasing is claim, re-inject (wp_deliver_reinject, or the caller's own pipeline), then
 * release or unclaim, so that of two releases of one message only one sends it:
 *
 * claim: held -> releasing in one statement; claim receives a token that only this caller
 * holds. A claim older than WP_QUARANTINE_CLAIM_TIMEOUT seconds at `now` (0: the current
 * time) is taken to be left by a process that died, and may be claimed again. WP_ENOTFOUND
 * for an unknown reference; WP_EINVAL, err saying why, when it is being released by someone
 * else, released, deleted, or its spool copy is truncated (err names the sizes and, when the
 * decision has one, the MTA queue id that may hold the whole message). */
WP_API wp_status wp_store_quarantine_claim(wp_store *s, const char *ref, const char *by,
                                           long long now, char claim[WP_QUARANTINE_REF_SIZE],
                                           char *err, size_t errlen);
/* releasing -> released, by whoever claimed it, at `when` (0: now). WP_EINVAL when the claim
 * is no longer this one's (it went stale and was taken over). */
WP_API wp_status wp_store_quarantine_release(wp_store *s, const char *ref, const char *claim,
                                             long long when, char *err, size_t errlen);
/* releasing -> held again, after a failed re-injection. WP_EINVAL when the claim is no longer
 * this one's. */
WP_API wp_status wp_store_quarantine_unclaim(wp_store *s, const char *ref, const char *claim,
                                             char *err, size_t errlen);
/* Deletes the spool file (then fsyncs the directory) and turns the row into a tombstone
 * that records `by` and when. WP_ENOTFOUND for an unknown reference, WP_EINVAL when
 * already deleted or claimed by a release that is not yet stale. */
WP_API wp_status wp_store_quarantine_delete(wp_store *s, const char *ref, const char *by, char *err,
                                            size_t errlen);

/* Store retention (store.retention_days): deletes decisions, network findings, closed
 * incidents and host mappings older than days days before now (0: the current time), in
 * batches, keeping whatever a quarantine file or an incident that is not closed still needs
 * (prune.c, docs/STORE.md). days 0 is WP_EINVAL. out (may be NULL) receives the counts. */
typedef struct wp_store_prune_counts {
    uint64_t decisions, tombstones, net_findings, incidents, host_map;
} wp_store_prune_counts;
WP_API wp_status wp_store_prune(wp_store *s, unsigned days, long long now,
                                wp_store_prune_counts *out, char *err, size_t errlen);

/* Retention: deletes every spool file (held or released) whose modification time is older
 * than max_age_days days before now (0: the current time), recording each one as a
 * tombstone by "retention". *deleted (may be NULL) receives the entries deleted, *n_deleted
 * (may be NULL) their number. A file already missing is recorded too (reason
 * "retention: file missing"), never skipped silently. */
WP_API wp_status wp_store_quarantine_expire(wp_store *s, unsigned max_age_days, long long now,
                                            wp_quarantine_list **deleted, size_t *n_deleted,
                                            char *err, size_t errlen);

/* ---- followed logs (`watchpost watch`): where each one stopped ---- */

WP_API wp_status wp_store_cursor_get(wp_store *s, const char *path, wp_netlog_cursor *cur,
                                     bool *found, char *err, size_t errlen);
WP_API wp_status wp_store_cursor_put(wp_store *s, const char *path, const wp_netlog_cursor *cur,
                                     char *err, size_t errlen);

#endif
