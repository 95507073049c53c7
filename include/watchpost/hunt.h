/*
 * watchpost/hunt.h - the network findings of the store grouped for hunting (`watchpost hunt`,
 * `GET /api/v1/hunt`, docs/EGRESS.md "Hunting").
 *
 * Every finding the egress detectors emit is kept in the store (net_findings), whether or
 * not it made or joined an incident. wp_store_hunt() groups them per (host, destination,
 * code) since a time and ranks the groups by their highest score, then by their latest
 * evidence: what an analyst used to RITA wants to look through by hand. By default the
 * groups of which a finding already sits in an incident are left out: those are triaged on
 * the incident pages.
 *
 *   wp_hunt_filter f; wp_hunt_filter_init(&f);
 *   f.since = now - 7 * 86400; f.code = "beacon";
 *   wp_hunt_list *l; wp_store_hunt(st, &f, &l, err, sizeof err); ... wp_hunt_list_free(l);
 *
 * The list is a ranked top-N, not a page: there is no cursor; `truncated` says that more
 * groups matched than `limit`.
 * Ownership: the list and every string in it belong to the list (one arena), freed with
 * wp_hunt_list_free (NULL is a no-op).
 * Thread safety: as the store's other calls (serialised on the store's connection).
 * Errors: WP_EINVAL for an unknown code or family (err names it), WP_EIO when the store
 * cannot be read, WP_ENOMEM. *out is written only on success.
 */
#ifndef WATCHPOST_HUNT_H
#define WATCHPOST_HUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

#define WP_HUNT_DEFAULT_LIMIT 100
#define WP_HUNT_MAX_LIMIT     10000

typedef struct wp_hunt_filter {
    double since; /* findings with ts >= since (log time); 0: all */
    /* NULL: every code. A code ("NET_BEACON") or a family: beacon, long, rare, dns,
     * exfil (volume, new destination, credential POST), ids, intel (every NET_IOC_*) */
    const char *code;
    const char *host;       /* the internal host (src), exactly; NULL: every host */
    double min_score;       /* groups whose highest score is at least this; 0: any */
    bool include_incidents; /* false: leave out a group when one of its findings is in an
                               incident */
    size_t limit;           /* groups; 0: WP_HUNT_DEFAULT_LIMIT; at most WP_HUNT_MAX_LIMIT */
} wp_hunt_filter;

WP_API void wp_hunt_filter_init(wp_hunt_filter *f);

/* The components of a NET_BEACON's latest evidence (docs/EGRESS.md, "Beaconing"). */
typedef struct wp_hunt_beacon {
    bool present; /* false for other codes, or evidence in another form */
    double score, connections, span_s;
    double interval_median_s, interval_skew, interval_mad, coverage;
    double size_median_b, size_skew, size_mad, size_small;
} wp_hunt_beacon;

typedef struct wp_hunt_item {
    const char *code, *src, *dst;
    int dst_port;         /* of the latest finding; -1 when none */
    double max_score;     /* the highest score of the group */
    uint64_t findings;    /* findings in the group (a detector reports again as evidence grows) */
    uint64_t count_max;   /* the largest `count` (connections, seconds, bytes...: per code) */
    uint64_t count_sum;   /* the sum of `count`: counts the same connections again when a
                             finding was reported again; kept for those who want it */
    double first_ts;      /* the earliest first_ts of the group */
    double last_ts;       /* the latest ts */
    const char *evidence; /* of the latest finding */
    int64_t incident_id;  /* the incident of the latest finding that is in one; 0: none */
    wp_hunt_beacon beacon;
} wp_hunt_item;

typedef struct wp_hunt_list {
    wp_hunt_item *items; /* highest score first, then latest evidence first */
    size_t n;
    bool truncated; /* more groups matched than the limit */
    void *priv;
} wp_hunt_list;

WP_API wp_status wp_store_hunt(wp_store *s, const wp_hunt_filter *f, wp_hunt_list **out, char *err,
                               size_t errlen);
WP_API void wp_hunt_list_free(wp_hunt_list *l);

/* True when code is a NET_* code or a family wp_store_hunt() accepts. */
WP_API bool wp_hunt_code_valid(const char *code);
/* The unit of `count` for a code: "connections", "seconds", "bytes", "hits", ... */
WP_API const char *wp_hunt_count_unit(const char *code);

#endif
