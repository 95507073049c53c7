/*
 * check.c - check mode: SPF, DKIM and DMARC done here, over DNS, and their findings.
 *
 * Order matters: DMARC needs the SPF and DKIM results of the same message. All three share
 * one DNS session (dns.c), so a dead resolver costs one timeout and every check that needed
 * it reports AUTH_TEMPERROR naming the resolver; nothing turns a failed lookup into a pass.
 */
#include <stdio.h>
#include <string.h>

#include "auth_int.h"

static const char *const result_names[] = {
    [AUTH_R_NONE] = "none",           [AUTH_R_PASS] = "pass",
    [AUTH_R_FAIL] = "fail",           [AUTH_R_SOFTFAIL] = "softfail",
    [AUTH_R_NEUTRAL] = "neutral",     [AUTH_R_TEMPERROR] = "temperror",
    [AUTH_R_PERMERROR] = "permerror", [AUTH_R_MALFORMED] = "malformed",
};

static void
spf_findings(wp_scan *s, const auth_state *st, const auth_envelope *env, auth_result res,
             const char *why)
{
    static const char *const codes[] = {
        [AUTH_R_PASS] = "AUTH_SPF_PASS",         [AUTH_R_FAIL] = "AUTH_SPF_FAIL",
        [AUTH_R_SOFTFAIL] = "AUTH_SPF_SOFTFAIL", [AUTH_R_TEMPERROR] = "AUTH_TEMPERROR",
        [AUTH_R_PERMERROR] = "AUTH_PERMERROR",
    };
    const char *code = (size_t)res < sizeof codes / sizeof codes[0] ? codes[res] : NULL;
    if (code == NULL)
        return; /* none, neutral: no evidence either way */
    wp_scan_finding(s, code, "auth:spf",
                    "SPF %s for %s from %s (own check via resolver %s; sender from %s)%s%s",
                    result_names[res], auth_safe(s, env->mail_domain), auth_safe(s, env->ip),
                    st->resolver.label, env->source, why[0] ? ": " : "", auth_safe(s, why));
}

static void
dkim_findings(wp_scan *s, const auth_state *st, const auth_dkim_result *dk, const char *from)
{
    if (dk->too_big || dk->why[0] != '\0')
        wp_scan_finding(s, "AUTH_PERMERROR", "auth:dkim", "%s", dk->why);
    if (dk->n_skipped > 0)
        wp_scan_finding(s, "AUTH_PERMERROR", "auth:dkim",
                        "%zu more DKIM signatures than the %d verified; the rest ignored",
                        dk->n_skipped, AUTH_MAX_DKIM_SIGS);
    for (size_t i = 0; i < dk->n_sig; i++) {
        const auth_dkim_sig *g = &dk->sig[i];
        const char *dom = g->domain[0] ? auth_safe(s, g->domain) : "(no d= tag)";
        const char *sel = auth_safe(s, g->selector);
        const char *why = auth_safe(s, g->why);
        switch (g->result) {
        case AUTH_R_PASS: {
            bool aligned = from != NULL && auth_aligned(g->domain, from);
            wp_scan_finding(s, "AUTH_DKIM_PASS", aligned ? "auth:dkim:aligned" : "auth:dkim",
                            "DKIM signature d=%s s=%s verified%s (own check via resolver %s)", dom,
                            sel, aligned ? ", aligned with the From domain" : "",
                            st->resolver.label);
            break;
        }
        case AUTH_R_MALFORMED:
            wp_scan_finding(s, "AUTH_DKIM_MALFORMED", "auth:dkim",
                            "DKIM-Signature d=%s s=%s is malformed: %s (own check)", dom, sel, why);
            break;
        case AUTH_R_TEMPERROR:
        case AUTH_R_PERMERROR:
            wp_scan_finding(s, g->result == AUTH_R_TEMPERROR ? "AUTH_TEMPERROR" : "AUTH_PERMERROR",
                            "auth:dkim", "DKIM %s for d=%s s=%s (own check via resolver %s): %s",
                            result_names[g->result], dom, sel, st->resolver.label, why);
            break;
        default:
            wp_scan_finding(s, "AUTH_DKIM_FAIL", "auth:dkim",
                            "DKIM signature d=%s s=%s does not verify: %s (own check)", dom, sel,
                            why);
            break;
        }
    }
}

static void
dmarc_findings(wp_scan *s, const auth_state *st, const char *from, const auth_dmarc_result *dm)
{
    const char *fs = auth_safe(s, from);
    const char *why = auth_safe(s, dm->why);
    switch (dm->result) {
    case AUTH_R_PASS:
        wp_scan_finding(s, "AUTH_DMARC_PASS", "auth:dmarc",
                        "DMARC pass for From domain %s (record of %s; own check)", fs,
                        auth_safe(s, dm->record_domain));
        break;
    case AUTH_R_FAIL:
        auth_dmarc_fail_finding(s, dm->policy,
                                "DMARC fail for From domain %s, policy %s (record of %s; "
                                "neither SPF nor DKIM aligned; own check)",
                                fs, dm->policy, auth_safe(s, dm->record_domain));
        break;
    case AUTH_R_TEMPERROR:
    case AUTH_R_PERMERROR:
        wp_scan_finding(s, dm->result == AUTH_R_TEMPERROR ? "AUTH_TEMPERROR" : "AUTH_PERMERROR",
                        "auth:dmarc", "DMARC %s for From domain %s (own check via resolver %s): %s",
                        result_names[dm->result], fs, st->resolver.label, why);
        break;
    default:
        break; /* no record: the domain asks for nothing */
    }
}

void
auth_check_analyze(wp_scan *s, const auth_state *st)
{
    auth_dns d;
    auth_dns_init(&d, &st->resolver, st->dns_timeout_ms);
    auth_envelope env;
    bool have_env = auth_envelope_get(s, &env);
    auth_result spf = AUTH_R_NONE;
    if (have_env) {
        char why[200];
        spf = auth_spf_check(&d, &env, why, sizeof why);
        spf_findings(s, st, &env, spf, why);
    }
    auth_dkim_result *dk = wp_arena_alloc(s->a, sizeof(*dk));
    if (dk == NULL)
        return;
    auth_dkim_verify(st->dkim_lib, &d, s->raw, s->raw_len, dk);
    char from[256];
    bool multiple = false;
    bool have_from = auth_from_domain(s->r->from, from, sizeof from, &multiple);
    dkim_findings(s, st, dk, have_from ? from : NULL);
    if (have_from) {
        auth_dmarc_result dm;
        auth_dmarc_check(&d, from, have_env ? &env : NULL, spf, dk, &dm);
        dmarc_findings(s, st, from, &dm);
    }
}
