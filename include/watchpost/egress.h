/*
 * watchpost/egress.h - egress surveillance: network records in, findings out.
 *
 * A wp_egress holds the state of one site's traffic: per (source host, destination) pair
 * timing and sizes for beaconing, per-host outbound byte baselines for exfiltration, seen
 * destinations for rarity, per-domain DNS label statistics for tunnelling. Records are fed
 * in (roughly) time order; findings come out through a callback, at once for the ones one
 * record proves (an indicator hit, a credential POST, an IDS alert) and from
 * wp_egress_tick() for the ones a window proves (beaconing, volume, tunnelling).
 *
 * Every table has a size cap (wp_egress_config); what a cap refuses is counted in
 * wp_egress_stats, never silently dropped. Formulas: docs/EGRESS.md.
 *
 * Thread safety: one thread per wp_egress.
 */
#ifndef WATCHPOST_EGRESS_H
#define WATCHPOST_EGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "intel.h"
#include "netlog.h"
#include "status.h"

typedef enum wp_egress_code {
    WP_EG_IOC_IP,         /* destination address or network listed */
    WP_EG_IOC_DOMAIN,     /* DNS query, HTTP Host or TLS SNI under a listed domain */
    WP_EG_IOC_URL,        /* HTTP URL listed */
    WP_EG_IOC_JA3,        /* client (JA3) or server (JA3S) TLS fingerprint listed */
    WP_EG_IOC_HASH,       /* a transferred file's MD5/SHA1/SHA256 listed */
    WP_EG_IDS_ALERT,      /* Suricata alert (severity 1-2) */
    WP_EG_BEACON,         /* regular connections from one host to one destination */
    WP_EG_LONG_CONN,      /* one connection open for hours */
    WP_EG_DNS_TUNNEL,     /* long/high-entropy labels, many unique subdomains of one domain */
    WP_EG_EXFIL_VOLUME,   /* outbound bytes far above the host's baseline, or past an
                             absolute ceiling (one connection; one destination per window) */
    WP_EG_EXFIL_NEW_DEST, /* a large upload to a destination the site never contacted */
    WP_EG_CRED_POST,      /* credential-looking form fields POSTed to an outside host */
    WP_EG_RARE_DOMAIN,    /* first time any host of the site resolves/contacts this domain */
    WP_EG__COUNT
} wp_egress_code;

WP_API const char *wp_egress_code_name(wp_egress_code c); /* "NET_BEACON", ... */

typedef struct wp_egress_finding {
    wp_egress_code code;
    double ts;       /* when the evidence was seen (the latest record's ts) */
    double first_ts; /* first record of the evidence (== ts for a one-record finding) */
    char src[64];    /* the internal host (address as logged) */
    char dst[256];   /* destination: address, or domain/host name when that is the evidence */
    int dst_port;    /* WP_NET_UNSET when not one port */
    double score;    /* 0..1: how strongly the evidence says so (beacon score, ...) */
    unsigned long long count; /* connections/queries/bytes behind it, as the code says */
    char indicator[256];      /* the listed value for IOC_*, else "" */
    char source[64];          /* the indicator's source column, else "" */
    char evidence[320];       /* one printable line for an analyst */
} wp_egress_finding;

typedef void (*wp_egress_finding_fn)(void *ctx, const wp_egress_finding *f);

typedef struct wp_egress_config {
    /* which addresses are ours (sources to watch; destinations never "outside") */
    const char *const *internal_nets; /* CIDR strings; NULL/0: RFC 1918, ULA, loopback */
    size_t n_internal_nets;
    /* never a finding for these destinations (CDNs, update servers): CIDRs and domains
     * (a domain covers its subdomains) */
    const char *const *allow;
    size_t n_allow;

    /* beaconing (docs/EGRESS.md) */
    unsigned beacon_min_conns;   /* default 20 */
    double beacon_threshold;     /* score >= this is a finding; default 0.8 */
    double beacon_window;        /* seconds of history per pair; default 86400 */
    unsigned beacon_max_samples; /* timestamps kept per pair (ring); default 4096 */
    double long_conn_seconds;    /* default 3600 */
    /* DNS tunnelling */
    unsigned dns_min_unique; /* unique subdomains of one domain; default 100 */
    double dns_entropy;      /* mean label entropy bits/char; default 3.5 */
    unsigned dns_label_len;  /* mean label length; default 30 */
    /* exfiltration */
    uint64_t exfil_min_bytes;    /* default 50 MB in a window */
    double exfil_factor;         /* times the host's baseline; default 10 */
    uint64_t new_dest_min_bytes; /* default 10 MB to a never-seen destination */
    double volume_window;        /* seconds; default 3600 */
    /* absolute ceilings, judged from a host's first record (no baseline needed) */
    uint64_t exfil_conn_bytes; /* bytes out in one connection; default 100 MB */
    uint64_t exfil_dest_bytes; /* bytes out per host per destination per volume_window;
                                  default 200 MB */
    /* rarity */
    double rare_warmup; /* seconds of learning before first-seen is reported;
                           default 86400 */

    /* caps */
    size_t max_pairs;   /* default 1,000,000 */
    size_t max_hosts;   /* default 100,000 */
    size_t max_domains; /* default 2,000,000 */
    size_t max_dests;   /* destinations remembered as contacted (least recent evicted);
                           default 1,000,000 */
} wp_egress_config;

WP_API void wp_egress_config_init(wp_egress_config *c);

typedef struct wp_egress_stats {
    unsigned long long records, findings;
    unsigned long long pairs, hosts, domains, dests; /* live table sizes */
    unsigned long long capped;                       /* records whose state a cap refused */
    unsigned long long dests_evicted; /* seen destinations forgotten to stay in max_dests */
    unsigned long long skipped;       /* records without what their kind needs (no address...) */
    unsigned long long out_of_order;  /* ts earlier than the previous record's (kept, used) */
    unsigned long long findings_by_code[WP_EG__COUNT];
} wp_egress_stats;

typedef struct wp_egress wp_egress;

/* intel may be NULL (no indicator matching); it is borrowed and must outlive e. */
WP_API wp_status wp_egress_new(const wp_egress_config *cfg, const wp_intel_set *intel,
                               wp_egress_finding_fn fn, void *ctx, wp_egress **out, char *err,
                               size_t errlen);
WP_API void wp_egress_free(wp_egress *e);

WP_API wp_status wp_egress_add(wp_egress *e, const wp_net_record *r);
/* Evaluate the windowed detectors up to now (log time, seconds): call every few seconds of
 * wall time while following, and once at the end of a batch. A pair/host/domain already
 * reported is reported again only when its evidence grows (score up, count doubled). */
WP_API void wp_egress_tick(wp_egress *e, double now);
WP_API const wp_egress_stats *wp_egress_stats_get(const wp_egress *e);

#endif
