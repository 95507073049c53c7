/*
 * outcome.c - auth.h: the auth findings of a report read back as one outcome.
 */
#include <string.h>

#include "auth.h"

/* A pass outranks everything else for the same method; a failure outranks errors. */
static void
merge(wp_auth_verdict *v, wp_auth_verdict x)
{
    static const int rank[] = {[WP_AUTH_NONE] = 0,
                               [WP_AUTH_TEMPERROR] = 1,
                               [WP_AUTH_PERMERROR] = 2,
                               [WP_AUTH_FAIL] = 3,
                               [WP_AUTH_PASS] = 4};
    if (rank[x] > rank[*v])
        *v = x;
}

static wp_auth_verdict *
slot(wp_auth_outcome *o, const char *where)
{
    if (strcmp(where, "auth:spf") == 0)
        return &o->spf;
    if (strncmp(where, "auth:dkim", 9) == 0)
        return &o->dkim;
    if (strcmp(where, "auth:dmarc") == 0)
        return &o->dmarc;
    return NULL;
}

void
wp_auth_outcome_of(const wp_report *r, wp_auth_outcome *o)
{
    memset(o, 0, sizeof(*o));
    static const struct {
        const char *code;
        wp_auth_verdict v;
    } map[] = {
        {"AUTH_SPF_PASS", WP_AUTH_PASS},       {"AUTH_SPF_FAIL", WP_AUTH_FAIL},
        {"AUTH_SPF_SOFTFAIL", WP_AUTH_FAIL},   {"AUTH_DKIM_PASS", WP_AUTH_PASS},
        {"AUTH_DKIM_FAIL", WP_AUTH_FAIL},      {"AUTH_DKIM_MALFORMED", WP_AUTH_FAIL},
        {"AUTH_DMARC_PASS", WP_AUTH_PASS},     {"AUTH_DMARC_FAIL", WP_AUTH_FAIL},
        {"AUTH_TEMPERROR", WP_AUTH_TEMPERROR}, {"AUTH_PERMERROR", WP_AUTH_PERMERROR},
    };
    for (size_t i = 0; i < r->n_findings; i++) {
        const wp_finding *f = &r->findings[i];
        if (f->where == NULL || strncmp(f->where, "auth:", 5) != 0)
            continue;
        wp_auth_verdict *v = slot(o, f->where);
        for (size_t k = 0; v != NULL && k < sizeof map / sizeof map[0]; k++)
            if (strcmp(f->code, map[k].code) == 0)
                merge(v, map[k].v);
        if (strcmp(f->code, "AUTH_DKIM_PASS") == 0 && strcmp(f->where, "auth:dkim:aligned") == 0)
            o->dkim_aligned_pass = true;
    }
    o->from_authenticated = o->dmarc == WP_AUTH_PASS || o->dkim_aligned_pass;
}

bool
wp_auth_from_authenticated(const wp_report *r)
{
    wp_auth_outcome o;
    wp_auth_outcome_of(r, &o);
    return o.from_authenticated;
}
