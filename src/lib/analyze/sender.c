/*
 * sender.c - the From header as a bulk tool writes it (see sender.h).
 *
 *  FROM_MULTIPLE          more than one mailbox in From, or a display name ending in a
 *                         comma ("Zalando , <x@y>"): RFC 5322 allows several authors only
 *                         with a Sender, which mail clients never produce; spam tools that
 *                         paste a brand and an address do.
 *  FROM_RANDOM_LOCALPART  a local part that is machine noise: case flipping inside one word
 *                         ("QwdoRdHhS", "PREWMosE") or six or more digits run into letters
 *                         ("nao-responder-Visa325278598"). People and role accounts are not
 *                         named like that; generated throwaway senders are.
 *  FROM_NAME_UNRELATED    a display name of two or more words, none of which appears in the
 *                         address (local part or domain), on an address whose domain is not
 *                         free mail: "United Healthcare Billing" <FuEufyn@pier.socialb...>.
 *                         People's names usually share a word with their address, companies'
 *                         names with their domain. Weak alone (weight 1).
 *  HDR_OBFUSCATED_UNICODE Mathematical Alphanumeric Symbols (U+1D400-1D7FF, "𝗗𝗲𝘂𝘁𝘀𝗰𝗵𝗲"),
 *                         fullwidth Latin letters or zero-width characters in From or Subject:
 *                         text written to look like words while not matching them, which only
 *                         filter evasion needs.
 */
#include <ctype.h>
#include <string.h>

#include "core/util.h"
#include "names.h"
#include "sender.h"

static bool
random_localpart(const char *local, size_t n)
{
    int flips = 0, digits = 0, maxdig = 0, letters = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)local[i];
        if (isdigit(c)) {
            digits++;
            if (digits > maxdig)
                maxdig = digits;
        } else {
            digits = 0;
        }
        if (isalpha(c))
            letters++;
        /* a lower-to-upper step inside a run of letters: "doR", "sE" */
        if (i > 0 && isupper(c) && islower((unsigned char)local[i - 1]))
            flips++;
    }
    return flips >= 2 || (maxdig >= 6 && letters >= 3);
}

/* Words of three or more ASCII letters of the display name, each looked for in the address. */
static bool
name_unrelated(const char *name, const char *addr)
{
    int words = 0;
    const char *p = name;
    while (*p) {
        while (*p && !isalpha((unsigned char)*p)) {
            if ((unsigned char)*p >= 0x80)
                return false; /* non-Latin names are transliterated in addresses: no claim */
            p++;
        }
        const char *w = p;
        while (isalpha((unsigned char)*p))
            p++;
        size_t l = (size_t)(p - w);
        if (l >= 3) {
            words++;
            if (wp_memcasemem(addr, strlen(addr), w, l >= 5 ? 4 : l) != NULL)
                return false;
        }
    }
    return words >= 2;
}

static bool
obfuscated(const char *t)
{
    if (t == NULL)
        return false;
    /* the report writes format characters as "[U+200B]" (see wp_arena_sanitize): zero-width
     * space, non-joiner, joiner, word joiner and BOM inside a header */
    static const char *const shown[] = {"[U+200B]", "[U+200C]", "[U+200D]", "[U+2060]", "[U+FEFF]"};
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        if (strstr(t, shown[i]) != NULL)
            return true;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        /* U+1D400..U+1D7FF: F0 9D 90..9F xx */
        if (p[0] == 0xF0 && p[1] == 0x9D && p[2] >= 0x90 && p[2] <= 0x9F)
            return true;
        /* fullwidth A-Z a-z: EF BC A1..BA, EF BD 81..9A */
        if (p[0] == 0xEF && ((p[1] == 0xBC && p[2] >= 0xA1 && p[2] <= 0xBA) ||
                             (p[1] == 0xBD && p[2] >= 0x81 && p[2] <= 0x9A)))
            return true;
        /* zero-width space, non-joiner, joiner (E2 80 8B..8D) and word joiner (E2 81 A0)
         * between letters */
        if (p[0] == 0xE2 &&
            ((p[1] == 0x80 && p[2] >= 0x8B && p[2] <= 0x8D) || (p[1] == 0x81 && p[2] == 0xA0)) &&
            p > (const unsigned char *)t && isalpha(p[-1]) && isalpha(p[3]))
            return true;
    }
    return false;
}

void
wp_sender_checks(wp_scan *s)
{
    const wp_report *r = s->r;
    if (obfuscated(r->subject))
        wp_scan_finding(s, "HDR_OBFUSCATED_UNICODE", "header:Subject",
                        "look-alike or invisible Unicode letters in the Subject");
    else if (obfuscated(r->from))
        wp_scan_finding(s, "HDR_OBFUSCATED_UNICODE", "header:From",
                        "look-alike or invisible Unicode letters in From");
    const char *from = r->from;
    if (from == NULL)
        return;
    /* several mailboxes: '@' outside quotes in two places separated by a comma */
    bool q = false;
    int ats = 0;
    for (const char *p = from; *p; p++) {
        if (*p == '"')
            q = !q;
        else if (*p == '@' && !q)
            ats++;
    }
    char name[256], addr[256];
    if (!wp_mailbox_split(from, name, sizeof name, addr, sizeof addr))
        return;
    size_t nl = strlen(name);
    while (nl > 0 && name[nl - 1] == ' ')
        nl--;
    if (ats >= 2)
        wp_scan_finding(s, "FROM_MULTIPLE", "header:From", "From names %d mailboxes", ats);
    else if (nl > 0 && name[nl - 1] == ',')
        wp_scan_finding(s, "FROM_MULTIPLE", "header:From", "display name '%s' ends in a comma",
                        name);
    const char *at = strrchr(addr, '@');
    const char *dom = wp_addr_domain(addr);
    char reg[WP_DOMAIN_MAX];
    if (at == NULL || dom == NULL || !wp_registrable(dom, reg, sizeof reg))
        return;
    /* the address as written, case preserved: find it in the header */
    const char *orig = wp_memcasemem(from, strlen(from), addr, strlen(addr));
    if (orig != NULL && random_localpart(orig, (size_t)(at - addr)))
        wp_scan_finding(s, "FROM_RANDOM_LOCALPART", "header:From",
                        "the local part '%.*s' looks machine-generated", (int)(at - addr), orig);
    if (name[0] && !wp_domain_is_freemail(reg) && strchr(name, '@') == NULL &&
        name_unrelated(name, addr))
        wp_scan_finding(s, "FROM_NAME_UNRELATED", "header:From",
                        "no word of the display name '%s' appears in the address %s", name, addr);
}
