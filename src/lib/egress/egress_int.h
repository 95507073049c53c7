/*
 * egress_int.h - the inside of a wp_egress: its tables, the record context every detector
 * reads, and the helpers the detector files (beacon.c, dns.c, exfil.c, ioc.c, ids.c, rare.c)
 * share with egress.c.
 *
 * Addresses are kept as 16 bytes (IPv4 as v4-mapped IPv6) so that one key shape serves both
 * families. Every table is an eg_map: open addressing over pointers to entries that carry
 * their own key; each has a cap from the configuration.
 */
#ifndef WATCHPOST_EGRESS_INT_H
#define WATCHPOST_EGRESS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watchpost/egress.h"

/* ---- map.c: open addressing, linear probing, backward-shift deletion ---- */

typedef bool (*eg_eq_fn)(const void *ent, const void *key, size_t klen);

typedef struct eg_map {
    void **ent;     /* entry pointers; NULL is an empty slot */
    uint64_t *hash; /* per slot: its entry's hash */
    size_t nslot;   /* power of two, 0 before the first insert */
    size_t n;
} eg_map;

uint64_t eg_hash(const void *p, size_t n, uint64_t seed);
void *eg_map_get(const eg_map *m, uint64_t h, const void *key, size_t klen, eg_eq_fn eq);
/* Insert an entry known to be absent; false when out of memory. */
bool eg_map_put(eg_map *m, uint64_t h, void *ent);
/* Remove (and let drop free) every entry drop() says to; returns how many. */
size_t eg_map_sweep(eg_map *m, bool (*drop)(void *ctx, void *ent), void *ctx);
void eg_map_fini(eg_map *m, void (*free_ent)(void *ent));

/* ---- hosts.c: addresses, networks, the allow-list ---- */

typedef struct eg_net {
    uint8_t a[16];
    unsigned plen; /* 0..128 over the 16-byte form */
} eg_net;

typedef struct eg_nets {
    eg_net *v;
    size_t n;
} eg_nets;

/* Textual IPv4/IPv6 ("[v6]" and "%zone" tolerated) into 16 bytes; false when not one. */
bool eg_addr_parse(const char *p, size_t n, uint8_t out[16]);
void eg_addr_text(const uint8_t a[16], char *out, size_t cap);
bool eg_nets_has(const eg_nets *nets, const uint8_t a[16]);

/* ---- names (dns.c) ---- */

#define EG_NAME_MAX 254 /* 253 characters and the NUL */

/* Lower-case, without a trailing dot or an HTTP ":port", printable ASCII without blanks;
 * returns the length, 0 when the text is no usable host name. */
size_t eg_name_norm(const char *p, size_t n, char out[EG_NAME_MAX]);

/* ---- the object ---- */

typedef struct eg_pair eg_pair;
typedef struct eg_host eg_host;
typedef struct eg_domain eg_domain;

struct wp_egress {
    wp_egress_config cfg;
    const wp_intel_set *intel;
    wp_egress_finding_fn fn;
    void *ctx;
    wp_egress_stats st;

    eg_nets internal;   /* our addresses */
    eg_nets allow_nets; /* destinations never reported */
    eg_map allow_names; /* eg_allow_name entries: domains (and their subdomains) */

    eg_map pairs;   /* eg_pair: (internal source, outside destination) */
    eg_map hosts;   /* eg_host: internal sources with outbound bytes */
    eg_map domains; /* eg_domain: registrable domains seen (rarity, DNS statistics) */
    eg_map once;    /* eg_once: one-record findings already reported */

    bool have_t0;
    double t0;        /* the first record's ts: rare_warmup counts from it */
    double last_ts;   /* the latest record's ts */
    double last_prev; /* the previous record's ts (out-of-order count) */
    double last_sweep;

    double *scratch; /* 3 * cfg.beacon_max_samples doubles for scoring */
};

/* What every detector needs from one record, worked out once. */
typedef struct eg_rec {
    const wp_net_record *r;
    bool has_src, has_dst;
    uint8_t src[16], dst[16];
    bool src_internal, dst_internal;
    bool outbound;    /* internal source, destination outside and routable */
    bool dst_allowed; /* destination address on the allow-list */
    char src_txt[64]; /* as logged, made printable */
    char dst_txt[64];
    bool capped; /* some table refused this record's state */
} eg_rec;

/* hosts.c */
wp_status eg_hosts_init(wp_egress *e, char *err, size_t errlen);
void eg_hosts_fini(wp_egress *e);
bool eg_is_internal(const wp_egress *e, const uint8_t a[16]);
/* Neither ours nor unroutable (multicast, broadcast, "this network"). */
bool eg_is_outside(const wp_egress *e, const uint8_t a[16]);
bool eg_allowed_addr(const wp_egress *e, const uint8_t a[16]);
/* name normalized (eg_name_norm); the name or a parent domain is allowed. */
bool eg_allowed_name(const wp_egress *e, const char *name, size_t n);

/* egress.c: findings */
/* Printable ASCII copy; other bytes as \xHH; always NUL-terminated, cut to fit. */
void eg_safe_copy(char *out, size_t cap, const char *p, size_t n);
void eg_finding_init(wp_egress_finding *f, wp_egress_code c, double ts, const char *src);
void eg_evidence(wp_egress_finding *f, const char *fmt, ...) WP_PRINTF(2, 3);
void eg_emit(wp_egress *e, const wp_egress_finding *f);
/* A one-record finding about (code, source, what): should this occurrence be reported? True
 * the first time and whenever the occurrences have doubled since the last report; *count
 * and *first_ts get the occurrences and the first one's time. A full table (max_pairs)
 * reports every occurrence and marks the record capped. */
bool eg_once(wp_egress *e, eg_rec *x, wp_egress_code c, const char *what, size_t wn,
             unsigned long long *count, double *first_ts);
void eg_once_sweep(wp_egress *e, double before);

/* ioc.c, ids.c: one-record findings */
void eg_ioc_record(wp_egress *e, eg_rec *x);
void eg_ids_record(wp_egress *e, eg_rec *x);

/* beacon.c: pairs, beaconing, long connections, and the pair side of new-dest uploads */
void eg_pair_conn(wp_egress *e, eg_rec *x, eg_host *h);
void eg_beacon_tick(wp_egress *e, double now);
void eg_pairs_sweep(wp_egress *e, double before);
void eg_pairs_fini(wp_egress *e);

/* The RITA-style score of one pair's samples (docs/EGRESS.md). */
typedef struct eg_beacon_result {
    double score;
    double ts_skew, ts_mad, ts_conn;  /* interval components, 0..1 */
    double ds_skew, ds_mad, ds_small; /* size components, 0..1 */
    double median_interval, median_bytes;
    double first_ts, last_ts;
    size_t conns, intervals, merged;
} eg_beacon_result;
/* ts, sizes: n samples (timestamps, orig_bytes) in any order, both sorted in place (the
 * space is reused); work: n doubles. Coverage is measured over the samples' span or
 * min_span, whichever is longer. false when fewer than 3 intervals remain after merging
 * the ones under a second. */
bool eg_beacon_score(double *ts, double *sizes, size_t n, double *work, double min_span,
                     eg_beacon_result *out);

/* exfil.c: hosts, volume, credential POSTs */
eg_host *eg_host_conn(wp_egress *e, eg_rec *x);
double eg_host_first_ts(const eg_host *h);
void eg_cred_post(wp_egress *e, eg_rec *x);
void eg_hosts_sweep(wp_egress *e, double before);
void eg_hosts_table_fini(wp_egress *e);

/* dns.c and rare.c: the domain table */
/* The entry of a normalized name's registrable domain (created when absent; NULL when the
 * name has none, is local, or the table is full: then x->capped). *created tells. */
eg_domain *eg_domain_get(wp_egress *e, eg_rec *x, const char *name, size_t n, bool *created,
                         size_t *reg_off);
void eg_dns_record(wp_egress *e, eg_rec *x);
/* A normalized name was resolved or contacted: its domain entry (see eg_domain_get), after a
 * RARE_DOMAIN finding when the domain is new and the warm-up is over. */
eg_domain *eg_rare_seen(wp_egress *e, eg_rec *x, const char *name, size_t n, size_t *reg_off);
void eg_domains_sweep(wp_egress *e, double now);
void eg_domains_fini(wp_egress *e);

#endif
