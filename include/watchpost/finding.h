/*
 * watchpost/finding.h - the finding: the one currency every analyzer emits.
 *
 * A finding has a stable code (catalogued in docs/FINDINGS.md), a category, a weight (its
 * contribution to a later score), one human sentence of evidence with the concrete values,
 * and where in the input it was seen ("2/invoice.zip/invoice.pdf.exe", "header:From").
 * Strings inside a finding are owned by the report that holds it.
 */
#ifndef WATCHPOST_FINDING_H
#define WATCHPOST_FINDING_H

#include <stddef.h>

#include "status.h"

typedef enum wp_category {
    WP_CAT_SPAM,
    WP_CAT_PHISHING,
    WP_CAT_MALWARE,
    WP_CAT_IMPERSONATION,
    WP_CAT_DLP,
    WP_CAT_C2,
    WP_CAT_EXFIL,
    WP_CAT_ANOMALY,
    WP_CAT_POLICY,
    WP_CAT__COUNT
} wp_category;

typedef struct wp_finding {
    const char *code; /* stable identifier, e.g. "ATTACH_RLO_NAME" */
    wp_category category;
    int weight;           /* from the configuration (default: the catalogue); YARA rules may
                             set their own */
    const char *evidence; /* one sentence, UTF-8, hostile text escaped */
    const char *where;    /* location in the message */
    int contribution;     /* what it added to the score: a code counts once per message, at
                             its highest weight; repeats contribute 0 */
} wp_finding;

/* One row of the catalogue of codes this build knows. */
typedef struct wp_finding_def {
    const char *code;
    wp_category category;
    int weight;
    const char *summary; /* what the code means, for --list-findings and docs */
} wp_finding_def;

WP_API const char *wp_category_name(wp_category cat);
/* NULL when the code is unknown. */
WP_API const wp_finding_def *wp_finding_lookup(const char *code);
/* The whole catalogue; *n receives its length. */
WP_API const wp_finding_def *wp_finding_catalogue(size_t *n);

#endif
