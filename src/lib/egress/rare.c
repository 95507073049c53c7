/*
 * rare.c - first-seen domains: the first time any host of the site resolves or contacts a
 * registrable domain. Learning starts with the first record's ts; during rare_warmup every
 * domain is only remembered. A finding here is context for the others (a beacon to a
 * domain first seen yesterday), not an alarm: its score is low (0.2). The memory is the
 * domain table (dns.c): a domain unseen for 30 days is forgotten, and when the table is
 * full new domains are counted as capped and never reported.
 */
#include <stdio.h>
#include <string.h>

#include "egress_int.h"

#define RARE_SCORE 0.2

eg_domain *
eg_rare_seen(wp_egress *e, eg_rec *x, const char *name, size_t n, size_t *reg_off)
{
    bool created;
    eg_domain *d = eg_domain_get(e, x, name, n, &created, reg_off);
    if (d == NULL || !created || x->r->ts < e->t0 + e->cfg.rare_warmup)
        return d;
    const char *reg = name + *reg_off;
    size_t rn = n - *reg_off;
    eg_rec_text(x);
    wp_egress_finding f;
    eg_finding_init(&f, WP_EG_RARE_DOMAIN, x->r->ts, x->src_txt);
    eg_safe_copy(f.dst, sizeof f.dst, reg, rn);
    f.score = RARE_SCORE;
    f.count = 1;
    char full[200];
    eg_safe_copy(full, sizeof full, name, n);
    const char *how = x->r->kind == WP_NET_DNS    ? "DNS query"
                      : x->r->kind == WP_NET_HTTP ? "HTTP host"
                      : x->r->kind == WP_NET_TLS  ? "TLS SNI"
                                                  : "name";
    eg_evidence(&f, "first time in %.1f days of history that the site sees %s (%s %s)",
                (x->r->ts - e->t0) / 86400.0, f.dst, how, full);
    eg_emit(e, &f);
    return d;
}
