/*
 * watchpost/incident.h - findings from mail and network joined into incidents, each with a
 * severity on the 0-5 scale of docs/SEVERITY.md, a timeline and the reason for every level
 * change (docs/INCIDENTS.md).
 *
 * A wp_correlator reads new mail decisions from the store, takes network findings
 * (wp_egress_finding) and host records (who is at which address), and writes incidents to
 * the same store. It calls back on every incident raised or escalated, after the change is
 * committed, so the caller can alert.
 *
 * Thread safety: a correlator is used by one thread; the store it uses may be shared.
 */
#ifndef WATCHPOST_INCIDENT_H
#define WATCHPOST_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egress.h"
#include "netlog.h"
#include "status.h"
#include "store.h"

typedef struct wp_incident_config {
    double link_window; /* seconds a delivered message links later host evidence; 7 days */
    /* "USER ADDRESS": the mailbox (or login) and the address or host name of its machine;
     * e.g. "bob@mofa.example 10.1.2.3" (docs/INCIDENTS.md for the learned mappings) */
    const char *const *host_map;
    size_t n_host_map;
    /* CIDRs of systems holding classified material: evidence from them is severity 5 */
    const char *const *classified_nets;
    size_t n_classified_nets;
} wp_incident_config;

WP_API void wp_incident_config_init(wp_incident_config *c);

typedef struct wp_incident_change {
    int64_t id;
    int from_severity; /* -1: the incident is new */
    int to_severity;
    const char *title;
    const char *reason;
    double evidence_ts; /* time of the evidence that caused it */
    double first_evidence;
    double detected_at; /* wall clock when the incident was raised */
} wp_incident_change;

typedef void (*wp_incident_fn)(void *ctx, const wp_incident_change *ch);

typedef struct wp_correlator wp_correlator;

WP_API wp_status wp_correlator_new(wp_store *store, const wp_incident_config *cfg,
                                   wp_incident_fn fn, void *ctx, wp_correlator **out, char *err,
                                   size_t errlen);
WP_API void wp_correlator_free(wp_correlator *c);

/* Correlates the mail decisions recorded since the last call (the position is kept in the
 * store, so a restart neither repeats nor skips). *n (may be NULL) gets how many. */
WP_API wp_status wp_correlator_mail(wp_correlator *c, size_t *n, char *err, size_t errlen);
/* Records a network finding and joins it to an incident (or raises one). */
WP_API wp_status wp_correlator_net(wp_correlator *c, const wp_egress_finding *f, char *err,
                                   size_t errlen);
/* Learns who is where from a WP_NET_HOST record (dhcp, kerberos, known_hosts); other kinds
 * are ignored. */
WP_API wp_status wp_correlator_host(wp_correlator *c, const wp_net_record *r, char *err,
                                    size_t errlen);

typedef struct wp_correlator_stats {
    unsigned long long mail, net, hosts_learned;
    unsigned long long raised, escalated;
} wp_correlator_stats;
WP_API const wp_correlator_stats *wp_correlator_stats_get(const wp_correlator *c);

/* ---- reading and handling incidents (`watchpost incidents`) ---- */

typedef struct wp_incident_step {
    double ts;
    const char *kind; /* "mail", "net", "severity", "status" */
    const char *code; /* finding code or NULL */
    const char *summary;
} wp_incident_step;

typedef struct wp_incident_level {
    double at, evidence_ts;
    int from_severity; /* -1 for the first level */
    int to_severity;
    const char *reason;
} wp_incident_level;

typedef struct wp_incident {
    int64_t id;
    const char *status; /* "open", "acked", "closed" */
    int severity;
    const char *title;
    double first_evidence, last_evidence, detected_at, updated, alerted_at; /* 0: not yet */
    const char *ack_by, *closed_by, *close_reason;                          /* NULL when not */
    double ack_at, closed_at;
    const char **hosts, **users, **destinations, **senders;
    size_t n_hosts, n_users, n_destinations, n_senders;
    wp_incident_step *timeline; /* only from wp_store_incident_get() */
    size_t n_timeline;
    wp_incident_level *levels;
    size_t n_levels;
} wp_incident;

typedef struct wp_incident_filter {
    const char *status; /* NULL: open and acked; "all", "open", "acked", "closed" */
    int min_severity;
    double since;         /* detected_at >= since; 0: any */
    double updated_after; /* only incidents changed after this (live updates); 0: any */
    size_t limit;
} wp_incident_filter;

WP_API void wp_incident_filter_init(wp_incident_filter *f);

typedef struct wp_incident_list {
    wp_incident *items; /* highest severity first, then newest */
    size_t n;
    void *priv;
} wp_incident_list;

WP_API wp_status wp_store_incidents(wp_store *s, const wp_incident_filter *f,
                                    wp_incident_list **out, char *err, size_t errlen);
/* One incident with its timeline and level changes (list of one). WP_ENOTFOUND. */
WP_API wp_status wp_store_incident_get(wp_store *s, int64_t id, wp_incident_list **out, char *err,
                                       size_t errlen);
WP_API void wp_incident_list_free(wp_incident_list *l);

/* open -> acked; WP_EINVAL when it is not open. */
WP_API wp_status wp_store_incident_ack(wp_store *s, int64_t id, const char *by, char *err,
                                       size_t errlen);
/* open/acked -> closed with a reason; WP_EINVAL when already closed. */
WP_API wp_status wp_store_incident_close(wp_store *s, int64_t id, const char *by,
                                         const char *reason, char *err, size_t errlen);
/* The alert for the incident's latest level went out at `at` (first time only). */
WP_API wp_status wp_store_incident_alerted(wp_store *s, int64_t id, double at, char *err,
                                           size_t errlen);

/* Time-to-detect and time-to-alert over incidents detected since `since` (0: all). */
typedef struct wp_incident_times {
    size_t n, n_alerted;
    double detect_p50, detect_max; /* detected_at - first_evidence, seconds */
    double alert_p50, alert_max;   /* alerted_at - detected_at, seconds */
} wp_incident_times;
WP_API wp_status wp_store_incident_times(wp_store *s, double since, wp_incident_times *out,
                                         char *err, size_t errlen);

#endif
