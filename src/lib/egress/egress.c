/*
 * egress.c - the egress object: configuration defaults and checks, records in (worked out
 * once into an eg_rec and handed to the detectors by kind), ticks, statistics, and the one
 * place findings leave through (counted, printable, deduplicated for one-record findings).
 *
 * Time is log time only: a record's ts and the `now` given to wp_egress_tick(). Nothing
 * here reads a clock, so a replay of last month's logs behaves as it did live.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egress_int.h"

/* Hard ceilings: a configuration may raise a cap up to these, never past them. */
#define MAX_PAIRS_CEILING   100000000u
#define MAX_HOSTS_CEILING   10000000u
#define MAX_DOMAINS_CEILING 100000000u
#define MAX_DESTS_CEILING   100000000u
#define MAX_SAMPLES_CEILING 65536u
#define WINDOW_CEILING      (90.0 * 86400.0)
/* Timestamps beyond this (year 33658) are not log times; they would only overflow sums. */
#define TS_LIMIT 1e12

const char *
wp_egress_code_name(wp_egress_code c)
{
    static const char *const names[WP_EG__COUNT] = {
        [WP_EG_IOC_IP] = "NET_IOC_IP",
        [WP_EG_IOC_DOMAIN] = "NET_IOC_DOMAIN",
        [WP_EG_IOC_URL] = "NET_IOC_URL",
        [WP_EG_IOC_JA3] = "NET_IOC_JA3",
        [WP_EG_IOC_HASH] = "NET_IOC_HASH",
        [WP_EG_IDS_ALERT] = "NET_IDS_ALERT",
        [WP_EG_BEACON] = "NET_BEACON",
        [WP_EG_LONG_CONN] = "NET_LONG_CONN",
        [WP_EG_DNS_TUNNEL] = "NET_DNS_TUNNEL",
        [WP_EG_EXFIL_VOLUME] = "NET_EXFIL_VOLUME",
        [WP_EG_EXFIL_NEW_DEST] = "NET_EXFIL_NEW_DEST",
        [WP_EG_CRED_POST] = "NET_CRED_POST",
        [WP_EG_RARE_DOMAIN] = "NET_RARE_DOMAIN",
    };
    return (unsigned)c < WP_EG__COUNT ? names[c] : "unknown";
}

void
wp_egress_config_init(wp_egress_config *c)
{
    memset(c, 0, sizeof(*c));
    c->beacon_min_conns = 20;
    c->beacon_threshold = 0.8;
    c->beacon_window = 86400;
    c->beacon_max_samples = 4096;
    c->long_conn_seconds = 3600;
    c->dns_min_unique = 100;
    c->dns_entropy = 3.5;
    c->dns_label_len = 30;
    c->exfil_min_bytes = 50ULL * 1000 * 1000;
    c->exfil_factor = 10;
    c->new_dest_min_bytes = 10ULL * 1000 * 1000;
    c->volume_window = 3600;
    c->exfil_conn_bytes = 100ULL * 1000 * 1000;
    c->exfil_dest_bytes = 200ULL * 1000 * 1000;
    c->rare_warmup = 86400;
    c->max_pairs = 1000000;
    c->max_hosts = 100000;
    c->max_domains = 2000000;
    c->max_dests = 1000000;
}

/* Reject unless every setting makes sense; clamp the caps to their ceilings. */
static wp_status
check_config(wp_egress_config *c, char *err, size_t errlen)
{
#define REJECT(...)                               \
    do {                                          \
        (void)snprintf(err, errlen, __VA_ARGS__); \
        return WP_EINVAL;                         \
    } while (0)
    if (c->beacon_min_conns < 4)
        REJECT("egress.beacon_min_conns must be at least 4 (three intervals), not %u",
               c->beacon_min_conns);
    if (!(c->beacon_threshold > 0 && c->beacon_threshold <= 1))
        REJECT("egress.beacon_threshold must be in (0, 1], not %g", c->beacon_threshold);
    if (!(c->beacon_window > 0 && c->beacon_window <= WINDOW_CEILING))
        REJECT("egress.beacon_window must be in (0, %.0f] seconds, not %g", WINDOW_CEILING,
               c->beacon_window);
    if (!(c->long_conn_seconds > 0))
        REJECT("egress.long_conn_seconds must be above 0, not %g", c->long_conn_seconds);
    if (c->dns_min_unique == 0)
        REJECT("egress.dns_min_unique must be at least 1");
    if (!(c->dns_entropy > 0 && c->dns_entropy <= 8))
        REJECT("egress.dns_entropy must be in (0, 8] bits per character, not %g", c->dns_entropy);
    if (c->dns_label_len == 0 || c->dns_label_len > 63)
        REJECT("egress.dns_label_len must be in 1..63, not %u", c->dns_label_len);
    if (c->exfil_min_bytes == 0)
        REJECT("egress.exfil_min_bytes must be at least 1");
    if (!(c->exfil_factor >= 1 && c->exfil_factor <= 1e6))
        REJECT("egress.exfil_factor must be in [1, 1000000], not %g", c->exfil_factor);
    if (c->new_dest_min_bytes == 0)
        REJECT("egress.new_dest_min_bytes must be at least 1");
    if (c->exfil_conn_bytes == 0)
        REJECT("egress.exfil_conn_bytes must be at least 1");
    if (c->exfil_dest_bytes == 0)
        REJECT("egress.exfil_dest_bytes must be at least 1");
    if (!(c->volume_window > 0 && c->volume_window <= WINDOW_CEILING))
        REJECT("egress.volume_window must be in (0, %.0f] seconds, not %g", WINDOW_CEILING,
               c->volume_window);
    if (!(c->rare_warmup >= 0 && c->rare_warmup <= 10 * WINDOW_CEILING))
        REJECT("egress.rare_warmup must be in [0, %.0f] seconds, not %g", 10 * WINDOW_CEILING,
               c->rare_warmup);
    if (c->max_pairs == 0 || c->max_hosts == 0 || c->max_domains == 0 || c->max_dests == 0) {
        REJECT("egress.max_pairs, egress.max_hosts, egress.max_domains and egress.max_dests "
               "must be at least 1");
    }
#undef REJECT
    if (c->max_pairs > MAX_PAIRS_CEILING)
        c->max_pairs = MAX_PAIRS_CEILING;
    if (c->max_hosts > MAX_HOSTS_CEILING)
        c->max_hosts = MAX_HOSTS_CEILING;
    if (c->max_domains > MAX_DOMAINS_CEILING)
        c->max_domains = MAX_DOMAINS_CEILING;
    if (c->max_dests > MAX_DESTS_CEILING)
        c->max_dests = MAX_DESTS_CEILING;
    /* fewer samples than the minimum could never score; more than the ceiling is memory */
    if (c->beacon_max_samples < c->beacon_min_conns)
        c->beacon_max_samples = c->beacon_min_conns;
    if (c->beacon_max_samples > MAX_SAMPLES_CEILING)
        c->beacon_max_samples = MAX_SAMPLES_CEILING;
    if (c->beacon_min_conns > c->beacon_max_samples)
        c->beacon_min_conns = c->beacon_max_samples;
    return WP_OK;
}

wp_status
wp_egress_new(const wp_egress_config *cfg, const wp_intel_set *intel, wp_egress_finding_fn fn,
              void *ctx, wp_egress **out, char *err, size_t errlen)
{
    char dummy[8];
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    if (out == NULL) {
        snprintf(err, errlen, "invalid argument");
        return WP_EINVAL;
    }
    wp_egress *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        return WP_ENOMEM;
    }
    if (cfg != NULL)
        e->cfg = *cfg;
    else
        wp_egress_config_init(&e->cfg);
    e->intel = intel;
    e->fn = fn;
    e->ctx = ctx;
    wp_status s = check_config(&e->cfg, err, errlen);
    if (s == WP_OK)
        s = eg_hosts_init(e, err, errlen);
    if (s == WP_OK) {
        /* the lists are the caller's; nothing keeps pointing at them */
        e->cfg.internal_nets = NULL;
        e->cfg.n_internal_nets = 0;
        e->cfg.allow = NULL;
        e->cfg.n_allow = 0;
        e->v4_key_state[EG_KEY_PAIR] = eg_hash_state(eg_v4_head, sizeof eg_v4_head, EG_SEED_PAIR);
        e->v4_key_state[EG_KEY_HOST] = eg_hash_state(eg_v4_head, sizeof eg_v4_head, EG_SEED_HOST);
        e->scratch = malloc(3 * (size_t)e->cfg.beacon_max_samples * sizeof(double));
        if (e->scratch == NULL) {
            snprintf(err, errlen, "out of memory");
            s = WP_ENOMEM;
        }
    }
    if (s != WP_OK) {
        wp_egress_free(e);
        return s;
    }
    *out = e;
    return WP_OK;
}

static void
free_ent(void *p)
{
    free(p);
}

void
wp_egress_free(wp_egress *e)
{
    if (e == NULL)
        return;
    eg_pairs_fini(e);
    eg_hosts_table_fini(e);
    eg_domains_fini(e);
    eg_dests_fini(e);
    eg_map_fini(&e->once, free_ent);
    eg_hosts_fini(e);
    free(e->scratch);
    free(e);
}

const wp_egress_stats *
wp_egress_stats_get(const wp_egress *e)
{
    return e != NULL ? &e->st : NULL;
}

/* ---- findings ---- */

void
eg_safe_copy(char *out, size_t cap, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (cap == 0)
        return;
    for (size_t i = 0; p != NULL && i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            if (o + 1 >= cap)
                break;
            out[o++] = (char)c;
        } else {
            if (o + 4 >= cap)
                break;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

void
eg_finding_init(wp_egress_finding *f, wp_egress_code c, double ts, const char *src)
{
    memset(f, 0, sizeof(*f));
    f->code = c;
    f->ts = ts;
    f->first_ts = ts;
    f->dst_port = WP_NET_UNSET;
    snprintf(f->src, sizeof f->src, "%s", src != NULL ? src : "");
}

void
eg_evidence(wp_egress_finding *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->evidence, sizeof f->evidence, fmt, ap);
    va_end(ap);
}

void
eg_emit(wp_egress *e, const wp_egress_finding *f)
{
    e->st.findings++;
    e->st.findings_by_code[f->code]++;
    if (e->fn != NULL)
        e->fn(e->ctx, f);
}

typedef struct eg_once_ent {
    uint64_t key;
    double first_ts, last_ts;
    unsigned long long count, reported;
} eg_once_ent;

static bool
once_eq(const void *ent, const void *key, size_t klen)
{
    (void)klen;
    return ((const eg_once_ent *)ent)->key == *(const uint64_t *)key;
}

bool
eg_once(wp_egress *e, eg_rec *x, wp_egress_code c, const char *what, size_t wn,
        unsigned long long *count, double *first_ts)
{
    /* the key is a 64-bit digest of (code, source, what): a collision would only merge the
     * counts of two findings, never hide a different one for longer than a doubling */
    uint8_t head[17];
    head[0] = (uint8_t)c;
    memcpy(head + 1, x->src, 16);
    uint64_t key = eg_hash(head, sizeof head, 0) ^ eg_hash(what, wn, 1);
    double ts = x->r->ts;
    eg_once_ent *o = eg_map_get(&e->once, key, &key, sizeof key, once_eq);
    if (o == NULL) {
        *count = 1;
        *first_ts = ts;
        if (e->once.n >= e->cfg.max_pairs) {
            x->capped = true; /* cannot remember it: report every time rather than never */
            return true;
        }
        o = malloc(sizeof(*o));
        if (o == NULL || !eg_map_put(&e->once, key, o)) {
            free(o);
            x->capped = true;
            return true;
        }
        *o = (eg_once_ent){key, ts, ts, 1, 1};
        return true;
    }
    o->count++;
    if (ts > o->last_ts)
        o->last_ts = ts;
    if (ts < o->first_ts)
        o->first_ts = ts;
    *count = o->count;
    *first_ts = o->first_ts;
    if (o->count < 2 * o->reported)
        return false;
    o->reported = o->count;
    return true;
}

static bool
once_old(void *ctx, void *ent)
{
    eg_once_ent *o = ent;
    if (o->last_ts >= *(const double *)ctx)
        return false;
    free(o);
    return true;
}

void
eg_once_sweep(wp_egress *e, double before)
{
    eg_map_sweep(&e->once, once_old, &before);
}

/* ---- records ---- */

/* An HTTP Host or TLS SNI: the site has now contacted that domain. */
static void
seen_name(wp_egress *e, eg_rec *x, const wp_net_str *s)
{
    char name[EG_NAME_MAX];
    size_t n = eg_name_norm(s->p, s->n, name);
    size_t off;
    if (n > 0 && !x->dst_allowed && !eg_allowed_name(e, name, n))
        (void)eg_rare_seen(e, x, name, n, &off);
}

static void
rec_init(const wp_egress *e, eg_rec *x, const wp_net_record *r)
{
    memset(x, 0, sizeof(*x));
    x->r = r;
    x->has_src = r->src_ip.n > 0 && eg_addr_parse(r->src_ip.p, r->src_ip.n, x->src);
    x->has_dst = r->dst_ip.n > 0 && eg_addr_parse(r->dst_ip.p, r->dst_ip.n, x->dst);
    x->src_internal = x->has_src && eg_is_internal(e, x->src);
    x->dst_internal = x->has_dst && eg_is_internal(e, x->dst);
    x->outbound = x->src_internal && x->has_dst && !x->dst_internal && eg_is_routable(x->dst);
    x->dst_allowed = x->has_dst && eg_allowed_addr(e, x->dst);
}

void
eg_rec_text(eg_rec *x)
{
    if (x->txt)
        return;
    x->txt = true;
    eg_safe_copy(x->src_txt, sizeof x->src_txt, x->r->src_ip.p, x->r->src_ip.n);
    eg_safe_copy(x->dst_txt, sizeof x->dst_txt, x->r->dst_ip.p, x->r->dst_ip.n);
}

/* The keys of an outbound connection in the host and pair tables, and their slots fetched
 * while the indicator lookup runs: on a busy site the tables outgrow the caches. */
static void
tables_ahead(wp_egress *e, eg_rec *x)
{
    uint8_t key[32];
    memcpy(key, x->src, 16);
    memcpy(key + 16, x->dst, 16);
    x->host_hash = eg_hash_addr_key(e, x->src, 16, EG_KEY_HOST);
    x->pair_hash = eg_hash_addr_key(e, key, sizeof key, EG_KEY_PAIR);
    eg_map_prefetch(&e->hosts, x->host_hash);
    eg_map_prefetch(&e->pairs, x->pair_hash);
}

wp_status
wp_egress_add(wp_egress *e, const wp_net_record *r)
{
    if (e == NULL || r == NULL || (unsigned)r->kind >= WP_NET__COUNT)
        return WP_EINVAL;
    e->st.records++;
    if (!(r->ts >= -TS_LIMIT && r->ts <= TS_LIMIT)) {
        e->st.skipped++; /* NaN, infinite, or no time a log could hold */
        return WP_OK;
    }
    if (!e->have_t0) {
        e->have_t0 = true;
        e->t0 = e->last_ts = e->last_prev = e->last_sweep = r->ts;
    }
    if (r->ts < e->last_prev)
        e->st.out_of_order++;
    e->last_prev = r->ts;
    if (r->ts > e->last_ts)
        e->last_ts = r->ts;

    eg_rec x;
    rec_init(e, &x, r);
    switch (r->kind) {
    case WP_NET_CONN:
        if (!x.has_src || !x.has_dst) {
            e->st.skipped++;
            break;
        }
        if (x.outbound && !x.dst_allowed)
            tables_ahead(e, &x);
        eg_ioc_record(e, &x);
        if (x.outbound && !x.dst_allowed) {
            eg_host_conn(e, &x);
            eg_pair_conn(e, &x);
        }
        break;
    case WP_NET_DNS:
        if (r->query.n == 0) {
            e->st.skipped++;
            break;
        }
        eg_ioc_record(e, &x);
        eg_dns_record(e, &x);
        break;
    case WP_NET_HTTP:
    case WP_NET_TLS:
        if (r->host.n == 0 && r->sni.n == 0 && r->ja3.n == 0 && r->ja3s.n == 0 && !x.has_dst) {
            e->st.skipped++;
            break;
        }
        eg_ioc_record(e, &x);
        seen_name(e, &x, r->kind == WP_NET_HTTP ? &r->host : &r->sni);
        if (r->kind == WP_NET_HTTP)
            eg_cred_post(e, &x);
        break;
    case WP_NET_FILE:
        if (r->md5.n == 0 && r->sha1.n == 0 && r->sha256.n == 0) {
            e->st.skipped++;
            break;
        }
        eg_ioc_record(e, &x);
        break;
    case WP_NET_ALERT:
        eg_ids_record(e, &x);
        break;
    default:
        break; /* host records name machines; nothing here uses them yet */
    }
    if (x.capped)
        e->st.capped++;
    e->st.pairs = e->pairs.n;
    e->st.hosts = e->hosts.n;
    e->st.domains = e->domains.n;
    e->st.dests = e->dests.n;
    return WP_OK;
}

void
wp_egress_tick(wp_egress *e, double now)
{
    if (e == NULL || !(now >= -TS_LIMIT && now <= TS_LIMIT) || !e->have_t0)
        return;
    eg_beacon_tick(e, now);
    /* idle state goes at most every 1/24 of the beacon window (an hour by default): a
     * sweep walks whole tables */
    double every = e->cfg.beacon_window / 24 < 60 ? 60 : e->cfg.beacon_window / 24;
    if (now - e->last_sweep >= every) {
        e->last_sweep = now;
        double before = now - e->cfg.beacon_window;
        eg_pairs_sweep(e, before);
        eg_hosts_sweep(e, before);
        eg_once_sweep(e, before);
        eg_domains_sweep(e, now);
    }
    e->st.pairs = e->pairs.n;
    e->st.hosts = e->hosts.n;
    e->st.domains = e->domains.n;
    e->st.dests = e->dests.n;
}
