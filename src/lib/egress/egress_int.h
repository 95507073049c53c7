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
#include <string.h>

#include "watchpost/egress.h"

/* ---- map.c: open addressing, linear probing, backward-shift deletion ---- */

typedef bool (*eg_eq_fn)(const void *ent, const void *key, size_t klen);

/* A slot holds the entry's hash beside the pointer: a probe reads one cache line. */
typedef struct eg_slot {
    uint64_t hash;
    void *ent; /* NULL: empty */
} eg_slot;

typedef struct eg_map {
    eg_slot *slot;
    size_t nslot; /* power of two, 0 before the first insert */
    size_t n;
} eg_map;

uint64_t eg_hash(const void *p, size_t n, uint64_t seed);
/* FNV-1a reads a key byte by byte, so eg_hash(k, n, seed) ==
 * eg_hash_resume(eg_hash_state(k, m, seed), k + m, n - m): the state after a constant head
 * can be kept rather than recomputed. */
uint64_t eg_hash_state(const void *p, size_t n, uint64_t seed);
uint64_t eg_hash_resume(uint64_t state, const void *p, size_t n);
/* The entry of hash h that eq() says holds key, or NULL. Inline, so that each table's eq()
 * is too: every conn record looks up its pair and its host. */
static inline void *
eg_map_get(const eg_map *m, uint64_t h, const void *key, size_t klen, eg_eq_fn eq)
{
    if (m->n == 0)
        return NULL;
    size_t mask = m->nslot - 1;
    for (size_t i = (size_t)h & mask; m->slot[i].ent != NULL; i = (i + 1) & mask)
        if (m->slot[i].hash == h && eq(m->slot[i].ent, key, klen))
            return m->slot[i].ent;
    return NULL;
}
/* Start fetching the slot of hash h into the cache */
static inline void
eg_map_prefetch(const eg_map *m, uint64_t h)
{
    if (m->nslot > 0)
        __builtin_prefetch(&m->slot[(size_t)h & (m->nslot - 1)]);
}
/* Insert an entry known to be absent; false when out of memory. */
bool eg_map_put(eg_map *m, uint64_t h, void *ent);
/* Remove the entry ent, stored under hash h (it must be in m); the caller frees it. */
void eg_map_del(eg_map *m, uint64_t h, const void *ent);
/* Remove (and let drop free) every entry drop() says to; returns how many. */
size_t eg_map_sweep(eg_map *m, bool (*drop)(void *ctx, void *ent), void *ctx);
void eg_map_fini(eg_map *m, void (*free_ent)(void *ent));

/* eg_hash() of a key of the EG_KEY_* table which (it begins with an address; n bytes), by
 * way of e->v4_key_state when the address is IPv4. */
uint64_t eg_hash_addr_key(const wp_egress *e, const uint8_t *key, size_t n, int which);

/* ---- hosts.c: addresses, networks, the allow-list ---- */

typedef struct eg_net {
    uint8_t a[16];
    unsigned plen; /* 0..128 over the 16-byte form */
    /* an IPv4 network (v4-mapped, plen >= 96) again as host-order address and mask: every
     * record checks both its addresses against the internal networks */
    bool v4;
    uint32_t v4_addr, v4_mask;
    bool all_v4; /* not an IPv4 network, but one holding all of IPv4 (::/0, ::ffff:0:0/96) */
} eg_net;

typedef struct eg_nets {
    eg_net *v;
    size_t n;
} eg_nets;

/* Textual IPv4/IPv6 ("[v6]" and "%zone" tolerated) into 16 bytes; false when not one. */
bool eg_addr_parse(const char *p, size_t n, uint8_t out[16]);
/* The first 12 bytes of every IPv4 address in the 16-byte form (::ffff:a.b.c.d) */
static const uint8_t eg_v4_head[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* IPv4, that is v4-mapped (inline: both addresses of every record are asked) */
static inline bool
eg_addr_is_v4(const uint8_t a[16])
{
    return memcmp(a, eg_v4_head, sizeof eg_v4_head) == 0;
}
void eg_addr_text(const uint8_t a[16], char *out, size_t cap);
bool eg_nets_has(const eg_nets *nets, const uint8_t a[16]);

/* ---- names (dns.c) ---- */

#define EG_NAME_MAX 254 /* 253 characters and the NUL */

/* Lower-case, without a trailing dot or an HTTP ":port", printable ASCII without blanks;
 * returns the length, 0 when the text is no usable host name. */
size_t eg_name_norm(const char *p, size_t n, char out[EG_NAME_MAX]);

/* ---- the object ---- */

/* The tables keyed by addresses: the pair table by source and destination, the host table
 * by source. */
enum { EG_KEY_PAIR, EG_KEY_HOST, EG_KEY__COUNT };
#define EG_SEED_PAIR 2
#define EG_SEED_HOST 3

typedef struct eg_pair eg_pair;
typedef struct eg_host eg_host;
typedef struct eg_domain eg_domain;
typedef struct eg_dest eg_dest;
#define EG_SEED_DEST 5

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
    eg_map dests;   /* eg_dest: outside destinations any internal host has contacted */
    eg_dest *dest_mru, *dest_lru; /* the dests in order of last contact, newest first */

    bool have_t0;
    double t0;        /* the first record's ts: rare_warmup counts from it */
    double last_ts;   /* the latest record's ts */
    double last_prev; /* the previous record's ts (out-of-order count) */
    double last_sweep;

    double *scratch; /* 3 * cfg.beacon_max_samples doubles for scoring */
    /* eg_hash_state() of the 12 bytes that begin every IPv4 address (v4-mapped), with
     * each address table's seed: every conn record looks up a host and a pair */
    uint64_t v4_key_state[EG_KEY__COUNT];
};

/* What every detector needs from one record, worked out once. */
typedef struct eg_rec {
    const wp_net_record *r;
    bool has_src, has_dst;
    uint8_t src[16], dst[16];
    bool src_internal, dst_internal;
    bool outbound;    /* internal source, destination outside and routable */
    bool dst_allowed; /* destination address on the allow-list */
    bool txt;         /* src_txt and dst_txt are filled: eg_rec_text() before reading them */
    char src_txt[64]; /* as logged, made printable */
    char dst_txt[64];
    bool capped; /* some table refused this record's state */
    /* an outbound connection's hashes in the host and pair tables (eg_host_conn and
     * eg_pair_conn use them), worked out ahead by wp_egress_add() */
    uint64_t host_hash, pair_hash;
} eg_rec;

/* hosts.c */
wp_status eg_hosts_init(wp_egress *e, char *err, size_t errlen);
void eg_hosts_fini(wp_egress *e);
bool eg_is_internal(const wp_egress *e, const uint8_t a[16]);
/* Neither ours nor unroutable (multicast, broadcast, "this network"). */
bool eg_is_outside(const wp_egress *e, const uint8_t a[16]);
/* Routable across the Internet (the second half of eg_is_outside). */
bool eg_is_routable(const uint8_t a[16]);
bool eg_allowed_addr(const wp_egress *e, const uint8_t a[16]);
/* name normalized (eg_name_norm); the name or a parent domain is allowed. */
bool eg_allowed_name(const wp_egress *e, const char *name, size_t n);

/* egress.c: records and findings */
/* Fill x->src_txt and x->dst_txt (once): only a finding needs them, so a record that makes
 * none never pays for them. */
void eg_rec_text(eg_rec *x);
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

/* The bytes one (host, destination) pair sent in its current volume_window, for the
 * per-destination ceiling (exfil.c); kept in the pair (beacon.c). */
typedef struct eg_ceiling {
    double win_start, win_first;               /* the window's start; its first connection's ts */
    uint64_t win_bytes, win_reported, win_max; /* sum, sum at the last report, largest conn */
} eg_ceiling;

/* beacon.c: pairs, beaconing, long connections, and the pair side of new-dest uploads and
 * of the per-destination ceiling */
void eg_pair_conn(wp_egress *e, eg_rec *x);
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
/* ts, sizes: n samples (timestamps, orig_bytes) in any order, both reordered in place (the
 * space is reused; ts ends sorted); work: n doubles. Coverage is measured over the samples'
 * span or min_span, whichever is longer. false when fewer than 3 intervals remain after
 * merging the ones under a second. */
bool eg_beacon_score(double *ts, double *sizes, size_t n, double *work, double min_span,
                     eg_beacon_result *out);

/* exfil.c: hosts, volume, credential POSTs */
void eg_host_conn(wp_egress *e, eg_rec *x);
/* The absolute ceilings on one outbound connection's bytes: exfil_conn_bytes for the
 * connection, exfil_dest_bytes for c, its pair's window (NULL when the pair table refused
 * the pair: the connection ceiling still applies). */
void eg_exfil_ceiling(wp_egress *e, eg_rec *x, eg_ceiling *c);
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

/* dests.c: the site's memory of contacted destinations, bounded by max_dests */
/* x's destination was contacted: true when no internal host had contacted it before (as
 * far as the memory goes). */
bool eg_dest_first(wp_egress *e, eg_rec *x);
void eg_dests_fini(wp_egress *e);

#endif
