/*
 * trust.c - believing an MTA that already checked: Authentication-Results (RFC 8601).
 *
 * Anyone can write an Authentication-Results header, so only those carrying one of our own
 * authserv-ids (auth.authserv_id) are believed, and of those only the topmost run: RFC 8601
 * section 5 has the border MTA delete A-R headers with its own id that arrive from outside
 * and add its own at the top. Our ids found below a header of another id therefore came from
 * elsewhere (a forgery, or an earlier hop before the border stripped them) and are ignored,
 * like every A-R header of a foreign id; those claiming a pass are noted informationally
 * (AUTH_AR_UNTRUSTED), since forged passes aim at filters that believe them.
 *
 * A believed header that does not parse is AUTH_AR_MALFORMED: our own MTA writes valid
 * ones, so it is either broken or not ours.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth_int.h"

bool
auth_is_trusted_id(const auth_state *st, const char *id)
{
    for (size_t i = 0; id != NULL && i < st->n_authserv_id; i++)
        if (strcasecmp(st->authserv_id[i], id) == 0)
            return true;
    return false;
}

/* The authserv-id of a value that does not parse: its first word, for the trust decision. */
static void
first_word(const char *v, char *out, size_t outlen)
{
    while (isspace((unsigned char)*v))
        v++;
    size_t n = 0;
    while (v[n] != '\0' && v[n] != ';' && !isspace((unsigned char)v[n]) && n + 1 < outlen) {
        out[n] = (char)tolower((unsigned char)v[n]);
        n++;
    }
    out[n] = '\0';
}

/* The published policy named in a dmarc result: property or "(p=reject ...)" comment. */
static const char *
dmarc_policy(const auth_ar_result *r)
{
    static const char *const keys[] = {"policy.dmarc", "policy.published-domain-policy"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = auth_ar_prop_get(r, keys[i]);
        if (v != NULL) {
            if (!strcasecmp(v, "reject") || !strcasecmp(v, "quarantine") || !strcasecmp(v, "none"))
                return !strcasecmp(v, "reject")       ? "reject"
                       : !strcasecmp(v, "quarantine") ? "quarantine"
                                                      : "none";
        }
    }
    if (r->comment != NULL) {
        for (const char *c = r->comment; *c; c++) {
            if ((c == r->comment || !isalnum((unsigned char)c[-1])) &&
                strncasecmp(c, "p=", 2) == 0) {
                if (!strncasecmp(c + 2, "reject", 6))
                    return "reject";
                if (!strncasecmp(c + 2, "quarantine", 10))
                    return "quarantine";
                if (!strncasecmp(c + 2, "none", 4))
                    return "none";
            }
        }
    }
    return "unknown";
}

static const char *
domain_of(const char *v)
{
    if (v == NULL)
        return NULL;
    const char *at = strrchr(v, '@');
    return at != NULL ? at + 1 : v;
}

/* Turn one believed result into a finding. */
static void
believe(wp_scan *s, const auth_ar_result *r, const char *id, const char *from_domain)
{
    char src[160];
    snprintf(src, sizeof src, "trusted Authentication-Results from %s", id);
    const char *safe_src = auth_safe(s, src);
    const char *res = r->result;
    const char *ip = auth_ar_prop_get(r, "smtp.remote-ip");
    if (ip == NULL)
        ip = auth_ar_prop_get(r, "policy.iprev");
    const char *ips = ip != NULL ? auth_safe(s, ip) : "an IP not stated";
    if (strcmp(r->method, "spf") == 0) {
        const char *d = domain_of(auth_ar_prop_get(r, "smtp.mailfrom"));
        if (d == NULL)
            d = domain_of(auth_ar_prop_get(r, "smtp.helo"));
        const char *ds = d != NULL ? auth_safe(s, d) : "an unnamed domain";
        const char *code = !strcmp(res, "pass")        ? "AUTH_SPF_PASS"
                           : !strcmp(res, "fail")      ? "AUTH_SPF_FAIL"
                           : !strcmp(res, "softfail")  ? "AUTH_SPF_SOFTFAIL"
                           : !strcmp(res, "temperror") ? "AUTH_TEMPERROR"
                           : !strcmp(res, "permerror") ? "AUTH_PERMERROR"
                                                       : NULL;
        if (code != NULL)
            wp_scan_finding(s, code, "auth:spf", "SPF %s for %s from %s (%s)", res, ds, ips,
                            safe_src);
    } else if (strcmp(r->method, "dkim") == 0) {
        const char *d = auth_ar_prop_get(r, "header.d");
        if (d == NULL)
            d = domain_of(auth_ar_prop_get(r, "header.i"));
        const char *ds = d != NULL ? auth_safe(s, d) : "an unnamed domain";
        if (!strcmp(res, "pass")) {
            bool aligned = d != NULL && from_domain != NULL && auth_aligned(d, from_domain);
            wp_scan_finding(s, "AUTH_DKIM_PASS", aligned ? "auth:dkim:aligned" : "auth:dkim",
                            "DKIM signature of %s verified%s (%s)", ds,
                            aligned ? ", aligned with the From domain" : "", safe_src);
        } else if (!strcmp(res, "fail")) {
            wp_scan_finding(s, "AUTH_DKIM_FAIL", "auth:dkim",
                            "DKIM signature of %s does not verify (%s)", ds, safe_src);
        } else if (!strcmp(res, "neutral")) { /* RFC 8601 2.7.1: syntax errors */
            wp_scan_finding(s, "AUTH_DKIM_MALFORMED", "auth:dkim",
                            "DKIM signature of %s could not be processed (neutral; %s)", ds,
                            safe_src);
        } else if (!strcmp(res, "temperror") || !strcmp(res, "permerror")) {
            wp_scan_finding(s, res[0] == 't' ? "AUTH_TEMPERROR" : "AUTH_PERMERROR", "auth:dkim",
                            "DKIM %s for %s (%s)", res, ds, safe_src);
        }
    } else if (strcmp(r->method, "dmarc") == 0) {
        const char *d = auth_ar_prop_get(r, "header.from");
        const char *ds = d != NULL ? auth_safe(s, domain_of(d)) : "an unnamed domain";
        if (!strcmp(res, "pass")) {
            wp_scan_finding(s, "AUTH_DMARC_PASS", "auth:dmarc",
                            "DMARC pass for From domain %s (%s)", ds, safe_src);
        } else if (!strcmp(res, "fail")) {
            const char *pol = dmarc_policy(r);
            auth_dmarc_fail_finding(s, pol, "DMARC fail for From domain %s, policy %s (%s)", ds,
                                    pol, safe_src);
        } else if (!strcmp(res, "temperror") || !strcmp(res, "permerror")) {
            wp_scan_finding(s, res[0] == 't' ? "AUTH_TEMPERROR" : "AUTH_PERMERROR", "auth:dmarc",
                            "DMARC %s for %s (%s)", res, ds, safe_src);
        }
    }
}

static void
note_untrusted(wp_scan *s, const auth_ar *ar, const char *why)
{
    char methods[200] = "";
    size_t n = 0;
    for (size_t i = 0; i < ar->n_res; i++)
        if (strcmp(ar->res[i].result, "pass") == 0 && n + strlen(ar->res[i].method) + 2 < 190)
            n += (size_t)snprintf(methods + n, sizeof methods - n, "%s%s", n ? ", " : "",
                                  ar->res[i].method);
    if (n > 0)
        wp_scan_finding(s, "AUTH_AR_UNTRUSTED", "auth:ar",
                        "Authentication-Results from %s claims pass for %s; ignored (%s)",
                        auth_safe(s, ar->authserv_id), methods, why);
}

void
auth_trust_analyze(wp_scan *s, const auth_state *st)
{
    const wp_report *r = s->r;
    size_t n = r->n_authentication_results;
    if (n > AUTH_MAX_AR_HEADERS)
        n = AUTH_MAX_AR_HEADERS;
    char from_domain[256];
    bool multiple;
    bool have_from = auth_from_domain(r->from, from_domain, sizeof from_domain, &multiple);
    bool check = st->mode == AUTH_MODE_CHECK;
    int block = 0; /* 0 before the trusted run, 1 in it, 2 after it */
    for (size_t i = 0; i < n; i++) {
        const char *v = r->authentication_results[i];
        if (v == NULL)
            continue;
        auth_ar ar;
        const char *why;
        bool ok = auth_ar_parse(v, strlen(v), &ar, &why);
        char idbuf[256];
        const char *id = ar.authserv_id;
        if (!ok || id == NULL) {
            first_word(v, idbuf, sizeof idbuf);
            id = idbuf;
        }
        bool ours = auth_is_trusted_id(st, id);
        if (ours && block == 0)
            block = 1;
        else if (!ours && block == 1)
            block = 2;
        if (check) {
            if (ok && !ours)
                note_untrusted(s, &ar, "watchpost checks for itself");
        } else if (ours && block == 1) {
            if (!ok)
                wp_scan_finding(s, "AUTH_AR_MALFORMED", "auth:ar",
                                "Authentication-Results from %s does not parse (%s); not believed",
                                auth_safe(s, id), why);
            for (size_t k = 0; ok && k < ar.n_res; k++)
                believe(s, &ar.res[k], ar.authserv_id, have_from ? from_domain : NULL);
        } else if (ok) {
            note_untrusted(s, &ar,
                           ours ? "our authserv-id, but below a header of another id"
                                : "not a trusted authserv-id");
        }
        auth_ar_free(&ar);
    }
}
