/*
 * brands.h - brands that phishing imitates, with the registrable domains they really send
 * from and link to. A display name "PayPal Service" on an address at paypal.com is PayPal;
 * the same name on an address anywhere else is an impersonation.
 */
#ifndef WATCHPOST_ANALYZE_BRANDS_H
#define WATCHPOST_ANALYZE_BRANDS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wp_brand {
    const char *name;           /* as shown in evidence */
    const char *const *words;   /* lower-case phrases that name it, matched on word bounds */
    const char *const *domains; /* registrable domains it owns; a label prefix match
                                   "amazon." covers every amazon.<tld> */
} wp_brand;

/* The first brand named in text (UTF-8, any case), or NULL. */
const wp_brand *wp_brand_in_text(const char *text);
/* true when regdom belongs to the brand. */
bool wp_brand_owns(const wp_brand *b, const char *regdom);
/* The brand that owns a registrable domain, or NULL. */
const wp_brand *wp_brand_of_domain(const char *regdom);
/* A brand whose owned domain label appears in host or path text where the host is not the
 * brand's (paypal.com.secure-login.ru, evil.com/paypal.com/): NULL when none. */
const wp_brand *wp_brand_in_url(const char *url, const char *regdom);

#endif
