/*
 * dns.c - host names, the table of registrable domains, and DNS tunnelling.
 *
 * A name's registrable domain ("eTLD+1") comes from the Public Suffix List through
 * wp_registrable() (analyze/names.c: libpsl's built-in list, with a per-thread cache).
 * Reverse lookups (.arpa), mDNS (.local) and the usual private suffixes are not domains of
 * the Internet and are left out, so are single labels and address literals.
 *
 * Tunnelling, per registrable domain over a beacon_window: the distinct subdomains queried
 * (the part left of the registrable domain), their mean Shannon entropy in bits per
 * character (dots left out) and the mean length of their longest label, plus the query
 * count and the share of TXT/NULL queries for the evidence. Tunnels (iodine, dnscat2,
 * DNSExfiltrator) put data in long, random labels of ever new names under one domain; CDNs
 * have many names too, but short and repetitive ones. A finding needs dns_min_unique
 * distinct subdomains and either the entropy or the label length above its threshold; it is
 * made as the query arrives and again when the distinct count has doubled. Distinct names
 * are remembered as 64-bit fingerprints, at most 4 x dns_min_unique (64..65536) per domain:
 * past that the count saturates, which is well beyond the threshold.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/names.h"
#include "egress_int.h"

/* domains not seen for this long are forgotten (and would be "rare" again) */
#define DOMAIN_IDLE (30.0 * 86400.0)

struct eg_domain {
    double first_seen, last_seen;
    double dns_start; /* the statistics window's start */
    unsigned long long queries, txt;
    uint64_t *sub; /* open-addressing set of subdomain fingerprints; 0 is empty */
    uint32_t sub_slots, unique, reported_unique;
    double sum_entropy, sum_len;
    uint8_t last_src[16];
    bool has_src;
    size_t len;
    char name[];
};

size_t
eg_name_norm(const char *p, size_t n, char out[EG_NAME_MAX])
{
    if (p == NULL || n == 0)
        return 0;
    if (p[0] == '[') { /* "[v6]" or "[v6]:port" */
        const char *rb = memchr(p, ']', n);
        if (rb == NULL)
            return 0;
        n = (size_t)(rb - p) - 1;
        p++;
    } else {
        const char *c = memchr(p, ':', n);
        if (c != NULL && memchr(c + 1, ':', n - (size_t)(c - p) - 1) == NULL)
            n = (size_t)(c - p); /* "host:port"; two colons or more: an IPv6 literal */
    }
    while (n > 0 && p[n - 1] == '.')
        n--;
    if (n == 0 || n >= EG_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c >= 0x7f)
            return 0;
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[n] = '\0';
    return n;
}

static bool
local_name(const char *name, size_t n)
{
    static const char *const local[] = {"arpa",     "local", "localhost", "localdomain", "lan",
                                        "internal", "home",  "corp",      "intranet"};
    const char *dot = memrchr(name, '.', n);
    if (dot == NULL)
        return true; /* a single label: a local name */
    const char *tld = dot + 1;
    size_t tn = (size_t)(name + n - tld);
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
        if (strlen(local[i]) == tn && memcmp(local[i], tld, tn) == 0)
            return true;
    return false;
}

static bool
domain_eq(const void *ent, const void *key, size_t klen)
{
    const eg_domain *d = ent;
    return d->len == klen && memcmp(d->name, key, klen) == 0;
}

static void
domain_free(void *p)
{
    eg_domain *d = p;
    free(d->sub);
    free(d);
}

eg_domain *
eg_domain_get(wp_egress *e, eg_rec *x, const char *name, size_t n, bool *created, size_t *reg_off)
{
    *created = false;
    uint8_t a[16];
    if (local_name(name, n) || eg_addr_parse(name, n, a))
        return NULL;
    char reg[EG_NAME_MAX];
    size_t rn;
    if (!wp_registrable(name, reg, sizeof reg) || (rn = strlen(reg)) == 0 || rn > n ||
        memcmp(name + n - rn, reg, rn) != 0 || (rn < n && name[n - rn - 1] != '.')) {
        rn = n; /* no public suffix known: the name stands for itself */
        memcpy(reg, name, n + 1);
    }
    *reg_off = n - rn;
    uint64_t h = eg_hash(reg, rn, 4);
    double ts = x->r->ts;
    eg_domain *d = eg_map_get(&e->domains, h, reg, rn, domain_eq);
    if (d == NULL) {
        if (e->domains.n >= e->cfg.max_domains) {
            x->capped = true;
            return NULL;
        }
        d = calloc(1, sizeof(*d) + rn + 1);
        if (d == NULL || !eg_map_put(&e->domains, h, d)) {
            free(d);
            x->capped = true;
            return NULL;
        }
        d->first_seen = d->last_seen = d->dns_start = ts;
        d->len = rn;
        memcpy(d->name, reg, rn + 1);
        *created = true;
    }
    if (ts > d->last_seen)
        d->last_seen = ts;
    return d;
}

static double
entropy(const char *s, size_t n)
{
    unsigned counts[256] = {0};
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '.') {
            counts[(unsigned char)s[i]]++;
            total++;
        }
    double h = 0;
    for (int c = 0; c < 256 && total > 0; c++)
        if (counts[c] > 0) {
            double p = (double)counts[c] / (double)total;
            h -= p * log2(p);
        }
    return h;
}

static size_t
longest_label(const char *s, size_t n)
{
    size_t best = 0, cur = 0;
    for (size_t i = 0; i < n; i++) {
        cur = s[i] == '.' ? 0 : cur + 1;
        if (cur > best)
            best = cur;
    }
    return best;
}

static void
stats_reset(eg_domain *d, double ts)
{
    free(d->sub);
    d->sub = NULL;
    d->sub_slots = d->unique = d->reported_unique = 0;
    d->queries = d->txt = 0;
    d->sum_entropy = d->sum_len = 0;
    d->dns_start = ts;
}

static uint32_t
sub_max(const wp_egress *e)
{
    uint64_t m = 4ULL * e->cfg.dns_min_unique;
    return m < 64 ? 64 : m > 65536 ? 65536 : (uint32_t)m;
}

/* Add a fingerprint; true when it is new and was counted. */
static bool
sub_add(const wp_egress *e, eg_domain *d, uint64_t fp)
{
    if (d->sub_slots > 0) {
        for (uint32_t i = (uint32_t)fp & (d->sub_slots - 1);; i = (i + 1) & (d->sub_slots - 1)) {
            if (d->sub[i] == fp)
                return false;
            if (d->sub[i] == 0)
                break;
        }
    }
    if (d->unique >= sub_max(e))
        return false; /* saturated: a new name cannot be told from a seen one */
    if ((d->unique + 1) * 2 > d->sub_slots) {
        uint32_t ns = d->sub_slots ? d->sub_slots * 2 : 8;
        uint64_t *t = calloc(ns, sizeof(*t));
        if (t == NULL)
            return false;
        for (uint32_t i = 0; i < d->sub_slots; i++)
            if (d->sub[i] != 0) {
                uint32_t j = (uint32_t)d->sub[i] & (ns - 1);
                while (t[j] != 0)
                    j = (j + 1) & (ns - 1);
                t[j] = d->sub[i];
            }
        free(d->sub);
        d->sub = t;
        d->sub_slots = ns;
    }
    uint32_t i = (uint32_t)fp & (d->sub_slots - 1);
    while (d->sub[i] != 0)
        i = (i + 1) & (d->sub_slots - 1);
    d->sub[i] = fp;
    d->unique++;
    return true;
}

static void
tunnel_check(wp_egress *e, eg_rec *x, eg_domain *d)
{
    const wp_egress_config *c = &e->cfg;
    double h = d->sum_entropy / d->unique, len = d->sum_len / d->unique;
    if (d->unique < c->dns_min_unique || (h < c->dns_entropy && len < c->dns_label_len) ||
        d->unique < 2 * d->reported_unique)
        return;
    d->reported_unique = d->unique;
    wp_egress_finding f;
    eg_finding_init(&f, WP_EG_DNS_TUNNEL, x->r->ts, "");
    f.first_ts = d->dns_start;
    if (d->has_src)
        eg_addr_text(d->last_src, f.src, sizeof f.src);
    eg_safe_copy(f.dst, sizeof f.dst, d->name, d->len);
    f.score = (fmin(1.0, h / c->dns_entropy) + fmin(1.0, len / c->dns_label_len) +
               fmin(1.0, d->unique / (4.0 * c->dns_min_unique))) /
              3;
    f.count = d->unique;
    eg_evidence(&f,
                "%u%s distinct subdomains of %.80s in %.0f s (%llu queries, %llu TXT/NULL): "
                "mean entropy %.2f bits/char, mean longest label %.1f (thresholds %u names, "
                "%.2f bits, %u chars)",
                d->unique, d->unique >= sub_max(e) ? "+" : "", f.dst, x->r->ts - d->dns_start,
                d->queries, d->txt, h, len, c->dns_min_unique, c->dns_entropy, c->dns_label_len);
    eg_emit(e, &f);
}

void
eg_dns_record(wp_egress *e, eg_rec *x)
{
    const wp_net_record *r = x->r;
    char name[EG_NAME_MAX];
    size_t n = eg_name_norm(r->query.p, r->query.n, name);
    if (n == 0 || eg_allowed_name(e, name, n))
        return;
    size_t off = 0;
    eg_domain *d = eg_rare_seen(e, x, name, n, &off);
    if (d == NULL)
        return;
    if (r->ts - d->dns_start > e->cfg.beacon_window)
        stats_reset(d, r->ts);
    d->queries++;
    if ((r->qtype.n == 3 && strncasecmp(r->qtype.p, "TXT", 3) == 0) ||
        (r->qtype.n == 4 && strncasecmp(r->qtype.p, "NULL", 4) == 0))
        d->txt++;
    if (x->has_src) {
        memcpy(d->last_src, x->src, 16);
        d->has_src = true;
    }
    if (off < 2)
        return; /* the registrable domain itself: no subdomain */
    const char *sub = name;
    size_t sn = off - 1; /* without the dot before the registrable domain */
    uint64_t fp = eg_hash(sub, sn, 5) | 1;
    if (!sub_add(e, d, fp))
        return;
    d->sum_entropy += entropy(sub, sn);
    d->sum_len += (double)longest_label(sub, sn);
    tunnel_check(e, x, d);
}

typedef struct sweep_ctx {
    double now, window;
} sweep_ctx;

static bool
domain_sweep(void *ctx, void *ent)
{
    const sweep_ctx *s = ctx;
    eg_domain *d = ent;
    if (d->last_seen < s->now - DOMAIN_IDLE) {
        domain_free(d);
        return true;
    }
    /* statistics of a window that is over: give their memory back */
    if (d->sub != NULL && d->last_seen < s->now - s->window)
        stats_reset(d, d->last_seen);
    return false;
}

void
eg_domains_sweep(wp_egress *e, double now)
{
    sweep_ctx s = {now, e->cfg.beacon_window};
    eg_map_sweep(&e->domains, domain_sweep, &s);
}

void
eg_domains_fini(wp_egress *e)
{
    eg_map_fini(&e->domains, domain_free);
}
