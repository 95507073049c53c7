/*
 * compile.c - one Hyperscan block-mode database per target, and the scratch-space pool.
 *
 * Rules are grouped by target (subject, from, body, url, attachment_name, and one group per
 * distinct header name, case-insensitive). Every expression is compiled with
 * HS_FLAG_SINGLEMATCH, so a rule reports at most one match per scanned input, and with the
 * rule's index as its Hyperscan id. Hyperscan refuses what it cannot match exactly
 * (backreferences, lookaround, patterns that match the empty string): the error names the
 * rule's file and line and quotes Hyperscan.
 *
 * Scratch: a Hyperscan scratch space serves one scan at a time. The engine shares this state
 * across scanner threads, so scans borrow a scratch from a mutex-guarded pool and return it;
 * the pool grows to the number of threads that ever scanned at once (clones of one prototype
 * sized for every database) and is freed with the ruleset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "rules.h"

#define POOL_MAX_IDLE 256u /* more idle scratches than this are freed, not kept */

static bool
same_group(const wp_rule *r, const wp_rule_db *d)
{
    if (r->target != d->target)
        return false;
    return r->target != WP_RT_HEADER || strcasecmp(r->header, d->header) == 0;
}

static wp_status
compile_group(wp_ruleset *rs, wp_rule_db *d, char *err, size_t errlen)
{
    size_t n = 0;
    for (size_t i = 0; i < rs->n_rules; i++)
        if (same_group(&rs->rules[i], d))
            n++;
    const char **expr = calloc(n, sizeof(*expr));
    unsigned *flags = calloc(n, sizeof(*flags));
    unsigned *ids = calloc(n, sizeof(*ids));
    wp_status st = WP_ENOMEM;
    if (expr == NULL || flags == NULL || ids == NULL)
        goto out;
    size_t k = 0;
    for (size_t i = 0; i < rs->n_rules; i++) {
        const wp_rule *r = &rs->rules[i];
        if (!same_group(r, d))
            continue;
        expr[k] = r->pattern;
        flags[k] = r->flags | HS_FLAG_SINGLEMATCH;
        ids[k] = (unsigned)i;
        if (r->flags & HS_FLAG_UTF8)
            d->utf8 = true;
        k++;
    }
    char key[65];
    wp_rules_cache_key(expr, flags, ids, n, key);
    if ((d->db = wp_rules_cache_load(rs->cache_dir, key)) != NULL) {
        st = WP_OK;
        goto out;
    }
    hs_compile_error_t *ce = NULL;
    hs_error_t he =
        hs_compile_multi(expr, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &d->db, &ce);
    if (he != HS_SUCCESS) {
        if (ce != NULL && ce->expression >= 0 && (size_t)ce->expression < n) {
            const wp_rule *r = &rs->rules[ids[ce->expression]];
            snprintf(err, errlen, "%s:%u: rule %s: Hyperscan cannot compile the regex: %s", r->file,
                     r->line, r->name, ce->message);
        } else {
            snprintf(err, errlen, "content rules: Hyperscan cannot compile the %s%s%s rules: %s",
                     wp_rule_target_name(d->target), d->header ? ":" : "",
                     d->header ? d->header : "", ce != NULL ? ce->message : "unknown error");
        }
        hs_free_compile_error(ce);
        d->db = NULL;
        st = WP_EPARSE;
        goto out;
    }
    wp_rules_cache_store(rs->cache_dir, key, d->db);
    st = WP_OK;
out:
    free(expr);
    free(flags);
    free(ids);
    return st;
}

wp_status
wp_rules_compile(wp_ruleset *rs, char *err, size_t errlen)
{
    if (hs_valid_platform() != HS_SUCCESS) {
        snprintf(err, errlen, "content rules: this CPU lacks what Hyperscan needs (SSSE3)");
        return WP_EINVAL;
    }
    /* at most one database per target kind plus one per header name */
    size_t cap = WP_RT__COUNT + WP_RULES_MAX_HEADERS;
    rs->dbs = calloc(cap, sizeof(*rs->dbs));
    if (rs->dbs == NULL)
        return WP_ENOMEM;
    for (size_t i = 0; i < rs->n_rules; i++) {
        const wp_rule *r = &rs->rules[i];
        if (r->target == WP_RT_META)
            continue;
        bool have = false;
        for (size_t k = 0; k < rs->n_dbs && !have; k++)
            have = same_group(r, &rs->dbs[k]);
        if (have)
            continue;
        if (r->target == WP_RT_HEADER) {
            size_t nh = 0;
            for (size_t k = 0; k < rs->n_dbs; k++)
                nh += rs->dbs[k].target == WP_RT_HEADER;
            if (nh >= WP_RULES_MAX_HEADERS) {
                snprintf(err, errlen, "%s:%u: rule %s: more than %u different header:Name targets",
                         r->file, r->line, r->name, WP_RULES_MAX_HEADERS);
                return WP_ELIMIT;
            }
        }
        wp_rule_db *d = &rs->dbs[rs->n_dbs++];
        d->target = r->target;
        if (r->header != NULL && (d->header = strdup(r->header)) == NULL)
            return WP_ENOMEM;
        wp_status st = compile_group(rs, d, err, errlen);
        if (st != WP_OK)
            return st;
    }
    if (rs->n_dbs == 0)
        return WP_OK;
    hs_scratch_t *proto = NULL;
    for (size_t k = 0; k < rs->n_dbs; k++) {
        if (hs_alloc_scratch(rs->dbs[k].db, &proto) != HS_SUCCESS) {
            hs_free_scratch(proto);
            snprintf(err, errlen, "content rules: cannot allocate Hyperscan scratch space");
            return WP_ENOMEM;
        }
    }
    if (pthread_mutex_init(&rs->pool.mu, NULL) != 0) {
        hs_free_scratch(proto);
        return WP_ENOMEM;
    }
    rs->pool.proto = proto;
    rs->pool_ready = true;
    return WP_OK;
}

hs_scratch_t *
wp_scratch_take(wp_ruleset *rs)
{
    hs_scratch_t *sc = NULL;
    pthread_mutex_lock(&rs->pool.mu);
    if (rs->pool.n_idle > 0)
        sc = rs->pool.idle[--rs->pool.n_idle];
    else if (hs_clone_scratch(rs->pool.proto, &sc) != HS_SUCCESS)
        sc = NULL;
    pthread_mutex_unlock(&rs->pool.mu);
    return sc;
}

void
wp_scratch_give(wp_ruleset *rs, hs_scratch_t *sc)
{
    if (sc == NULL)
        return;
    pthread_mutex_lock(&rs->pool.mu);
    if (rs->pool.n_idle == rs->pool.cap_idle && rs->pool.cap_idle < POOL_MAX_IDLE) {
        size_t cap = rs->pool.cap_idle ? rs->pool.cap_idle * 2 : 8;
        hs_scratch_t **n = realloc(rs->pool.idle, cap * sizeof(*n));
        if (n != NULL) {
            rs->pool.idle = n;
            rs->pool.cap_idle = cap;
        }
    }
    if (rs->pool.n_idle < rs->pool.cap_idle) {
        rs->pool.idle[rs->pool.n_idle++] = sc;
        sc = NULL;
    }
    pthread_mutex_unlock(&rs->pool.mu);
    hs_free_scratch(sc); /* the pool is full: NULL-safe */
}
