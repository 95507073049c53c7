/*
 * dmarc.c - DMARC (RFC 7489) with libopendmarc, the record fetched through dns.c.
 *
 * libopendmarc can query DNS itself, but only with the system resolver; so the record is
 * looked up here (_dmarc.<From domain>, then _dmarc.<organisational domain>) and handed over
 * with opendmarc_policy_store_dmarc(), together with the SPF and DKIM results of this
 * message. The library parses the record, checks alignment and says which policy applies.
 *
 * Organisational domains come from the public suffix list, which libopendmarc keeps in
 * process-wide state: it is loaded once (auth.public_suffix_list, or the system's list at
 * /usr/share/publicsuffix/public_suffix_list.dat when that exists). Without a list every
 * domain is its own organisational domain, so relaxed alignment degrades to strict.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <opendmarc/dmarc.h>

#include "auth_int.h"

/* exported by libopendmarc, not declared in dmarc.h */
int opendmarc_get_tld(u_char *domain, u_char *tld, size_t tld_len);

#define SYSTEM_PSL "/usr/share/publicsuffix/public_suffix_list.dat"

/* libopendmarc keeps the public-suffix list in one process-wide table that
 * opendmarc_tld_read_file() frees and rebuilds, and that every organisational-domain lookup
 * (opendmarc_get_tld(), and the policy evaluation through it) reads. A reload while another
 * engine's scan is looking up would read freed memory: lookups hold psl_rw for reading, a
 * (re)load holds it for writing. glibc's default rwlock prefers readers, so a lookup nested
 * in the policy section (auth_aligned) cannot deadlock against a waiting writer. */
static pthread_rwlock_t psl_rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t psl_lock = PTHREAD_MUTEX_INITIALIZER;
static char psl_loaded[4096];

bool
auth_psl_load(const char *path, char *err, size_t errlen)
{
    bool explicit = path != NULL;
    if (path == NULL) {
        if (access(SYSTEM_PSL, R_OK) != 0)
            return true;
        path = SYSTEM_PSL;
    }
    bool ok = true;
    pthread_mutex_lock(&psl_lock);
    if (strcmp(psl_loaded, path) != 0) {
        bool readable = strlen(path) < sizeof psl_loaded && access(path, R_OK) == 0;
        int rc = -1;
        if (readable) {
            pthread_rwlock_wrlock(&psl_rw);
            rc = opendmarc_tld_read_file((char *)path, "//", "*.", "!");
            pthread_rwlock_unlock(&psl_rw);
        }
        if (rc != 0) {
            ok = !explicit;
            snprintf(err, errlen, "public_suffix_list '%s' cannot be read", path);
        } else {
            snprintf(psl_loaded, sizeof psl_loaded, "%s", path);
        }
    }
    pthread_mutex_unlock(&psl_lock);
    return ok;
}

void
auth_org_domain(const char *domain, char *out, size_t outlen)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", domain);
    out[0] = '\0'; /* opendmarc_get_tld() leaves it alone when no suffix matches */
    pthread_rwlock_rdlock(&psl_rw);
    int rc = opendmarc_get_tld((u_char *)tmp, (u_char *)out, outlen);
    pthread_rwlock_unlock(&psl_rw);
    if (rc != 0 || out[0] == '\0')
        snprintf(out, outlen, "%s", domain);
}

bool
auth_aligned(const char *a, const char *b)
{
    if (strcasecmp(a, b) == 0)
        return true;
    char oa[256], ob[256];
    auth_org_domain(a, oa, sizeof oa);
    auth_org_domain(b, ob, sizeof ob);
    return strcasecmp(oa, ob) == 0;
}

/* The one v=DMARC1 record at _dmarc.<domain>: 1 found, 0 none, -1 DNS failure. */
static int
fetch_record(auth_dns *d, const char *domain, char *rec, size_t reclen, auth_dmarc_result *out)
{
    char name[300];
    if ((size_t)snprintf(name, sizeof name, "_dmarc.%s", domain) >= sizeof name)
        return 0;
    auth_dns_answer *ans = malloc(sizeof(*ans));
    if (ans == NULL)
        return -1;
    auth_dns_status st = auth_dns_query(d, name, 16 /* TXT */, ans);
    int found = 0;
    if (st == AUTH_DNS_TEMPFAIL) {
        snprintf(out->why, sizeof out->why, "%s", d->error[0] ? d->error : "DNS failure");
        found = -1;
    } else if (st == AUTH_DNS_OK) {
        int n = auth_dns_txt_prefixed(ans, "v=DMARC1", rec, reclen);
        if (n > 1) /* RFC 7489 6.6.3: more than one record means no policy */
            snprintf(out->why, sizeof out->why, "%.150s has %d DMARC records", name, n);
        found = n == 1;
    }
    free(ans);
    return found;
}

static int
spf_outcome(auth_result r)
{
    switch (r) {
    case AUTH_R_PASS:
        return DMARC_POLICY_SPF_OUTCOME_PASS;
    case AUTH_R_FAIL:
    case AUTH_R_SOFTFAIL:
    case AUTH_R_PERMERROR:
        return DMARC_POLICY_SPF_OUTCOME_FAIL;
    case AUTH_R_TEMPERROR:
        return DMARC_POLICY_SPF_OUTCOME_TMPFAIL;
    default:
        return DMARC_POLICY_SPF_OUTCOME_NONE;
    }
}

static int
dkim_outcome(auth_result r)
{
    return r == AUTH_R_PASS        ? DMARC_POLICY_DKIM_OUTCOME_PASS
           : r == AUTH_R_TEMPERROR ? DMARC_POLICY_DKIM_OUTCOME_TMPFAIL
                                   : DMARC_POLICY_DKIM_OUTCOME_FAIL;
}

void
auth_dmarc_check(auth_dns *d, const char *from_domain, const auth_envelope *env, auth_result spf,
                 const auth_dkim_result *dkim, auth_dmarc_result *out)
{
    memset(out, 0, sizeof(*out));
    char rec[1024], org[256];
    int f = fetch_record(d, from_domain, rec, sizeof rec, out);
    bool from_org = false;
    auth_org_domain(from_domain, org, sizeof org);
    if (f == 0 && strcmp(org, from_domain) != 0 && out->why[0] == '\0') {
        f = fetch_record(d, org, rec, sizeof rec, out);
        from_org = f == 1;
    }
    if (f < 0) {
        out->result = AUTH_R_TEMPERROR;
        return;
    }
    if (f == 0) {
        out->result = AUTH_R_NONE;
        return;
    }
    snprintf(out->record_domain, sizeof out->record_domain, "%s", from_org ? org : from_domain);
    const char *ip = env != NULL && env->ip[0] ? env->ip : "0.0.0.0";
    pthread_rwlock_rdlock(&psl_rw); /* the policy evaluation looks up organisational domains */
    DMARC_POLICY_T *p = opendmarc_policy_connect_init((u_char *)ip, strchr(ip, ':') != NULL);
    if (p == NULL) {
        pthread_rwlock_unlock(&psl_rw);
        out->result = AUTH_R_TEMPERROR;
        snprintf(out->why, sizeof out->why, "libopendmarc could not start");
        return;
    }
    char dom[256];
    snprintf(dom, sizeof dom, "%s", from_domain);
    opendmarc_policy_store_from_domain(p, (u_char *)dom);
    OPENDMARC_STATUS_T st = opendmarc_policy_store_dmarc(p, (u_char *)rec, (u_char *)dom,
                                                         from_org ? (u_char *)org : NULL);
    if (st != DMARC_PARSE_OKAY) {
        out->result = AUTH_R_PERMERROR;
        snprintf(out->why, sizeof out->why, "DMARC record of %.100s does not parse: %.60s",
                 out->record_domain, opendmarc_policy_status_to_str(st));
        opendmarc_policy_connect_shutdown(p);
        pthread_rwlock_unlock(&psl_rw);
        return;
    }
    bool temp = spf == AUTH_R_TEMPERROR;
    if (env != NULL && env->mail_domain[0] != '\0') {
        char sd[256];
        snprintf(sd, sizeof sd, "%s", env->mail_domain);
        opendmarc_policy_store_spf(p, (u_char *)sd, spf_outcome(spf),
                                   env->mail_from[0] != '\0' ? DMARC_POLICY_SPF_ORIGIN_MAILFROM
                                                             : DMARC_POLICY_SPF_ORIGIN_HELO,
                                   NULL);
    }
    for (size_t i = 0; dkim != NULL && i < dkim->n_sig; i++) {
        const auth_dkim_sig *g = &dkim->sig[i];
        if (g->domain[0] == '\0')
            continue;
        char gd[256], gs[128];
        snprintf(gd, sizeof gd, "%s", g->domain);
        snprintf(gs, sizeof gs, "%s", g->selector);
        opendmarc_policy_store_dkim(p, (u_char *)gd, (u_char *)gs, dkim_outcome(g->result), NULL);
        temp = temp || (g->result == AUTH_R_TEMPERROR && auth_aligned(g->domain, from_domain));
    }
    int pol = opendmarc_get_policy_to_enforce(p);
    switch (pol) {
    case DMARC_POLICY_PASS:
        out->result = AUTH_R_PASS;
        break;
    case DMARC_POLICY_REJECT:
    case DMARC_POLICY_QUARANTINE:
    case DMARC_POLICY_NONE:
        snprintf(out->policy, sizeof out->policy, "%s",
                 pol == DMARC_POLICY_REJECT       ? "reject"
                 : pol == DMARC_POLICY_QUARANTINE ? "quarantine"
                                                  : "none");
        out->result = temp ? AUTH_R_TEMPERROR : AUTH_R_FAIL;
        if (temp)
            snprintf(out->why, sizeof out->why, "%s",
                     d->error[0] ? d->error : "an aligned check had a temporary error");
        break;
    case DMARC_POLICY_ABSENT:
        out->result = AUTH_R_NONE;
        break;
    default:
        out->result = AUTH_R_PERMERROR;
        snprintf(out->why, sizeof out->why, "libopendmarc: %s",
                 opendmarc_policy_status_to_str(pol));
        break;
    }
    opendmarc_policy_connect_shutdown(p);
    pthread_rwlock_unlock(&psl_rw);
}
