/*
 * auth.h - what the auth module concluded about a message, for the other analyzers.
 *
 * The auth module runs first (WP_MOD_AUTH) and records its conclusions as findings; this
 * header reads them back so that, say, the impersonation module can ask "is the From domain
 * authenticated?" without knowing the codes. The contract, also in docs/AUTH.md:
 *
 *   From domain authenticated  = AUTH_DMARC_PASS, or an AUTH_DKIM_PASS at "auth:dkim:aligned"
 *                                (a verified signature whose d= shares the From domain's
 *                                organisational domain)
 *   where of every auth finding = auth:spf, auth:dkim, auth:dkim:aligned, auth:dmarc, auth:ar
 *
 * Results come from the module's own checks (auth.mode = check) or from trusted
 * Authentication-Results (auth.mode = trust); the evidence says which.
 */
#ifndef WATCHPOST_AUTH_H
#define WATCHPOST_AUTH_H

#include <stdbool.h>

#include "watchpost/report.h"

typedef enum wp_auth_verdict {
    WP_AUTH_NONE, /* not evaluated, or nothing published */
    WP_AUTH_PASS,
    WP_AUTH_FAIL,      /* fail, softfail, bad or malformed signature */
    WP_AUTH_TEMPERROR, /* DNS failed: unknown, not a pass */
    WP_AUTH_PERMERROR
} wp_auth_verdict;

typedef struct wp_auth_outcome {
    wp_auth_verdict spf, dkim, dmarc; /* dkim: pass when any signature verified */
    bool dkim_aligned_pass;           /* a verified signature aligned with From */
    bool from_authenticated;          /* dmarc pass or dkim_aligned_pass */
} wp_auth_outcome;

/* Read the auth findings of a report (complete once the auth module has run). */
void wp_auth_outcome_of(const wp_report *r, wp_auth_outcome *out);
bool wp_auth_from_authenticated(const wp_report *r);

#endif
