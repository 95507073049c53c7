/*
 * lookalike.c - look-alike domains (see lookalike.h).
 *
 * The comparisons, each on the registrable domain (eTLD+1) unless said otherwise:
 *   TLD swap        same first label, other public suffix   mofa.go.jp / mofa.com
 *   hyphenated      equal once dots and hyphens are removed mofa-go.jp / mofa.go.jp
 *   homoglyphs      equal once confusable characters are    m0fa.go.jp, rnofa.go.jp,
 *                   folded (Unicode look-alikes from the    xn--mfa-... (Cyrillic о)
 *                   punycode form, 0/o, 1/l, rn/m, vv/w)
 *   edit distance   first labels within 1 edit (2 for       mofaa.go.jp, mfoa.go.jp
 *                   labels of 9+ characters), transposition
 *                   counted as one edit
 *   subdomain       the protected domain at the start of    mofa.go.jp.example.net
 *                   another domain's host
 *   label           the protected first label as a hyphen-  mofa-secure.com
 *                   separated token of another domain (4+ characters)
 */
#include <ctype.h>
#include <string.h>

#include "lookalike.h"
#include "names.h"

int
wp_edit_distance(const char *a, const char *b, int cap)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 63 || m > 63)
        return cap + 1;
    if ((int)(n > m ? n - m : m - n) > cap)
        return cap + 1;
    int d[64][64];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int rowmin = cap + 1;
        for (size_t j = 1; j <= m; j++) {
            int c = a[i - 1] == b[j - 1] ? 0 : 1;
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + c < v)
                v = d[i - 1][j - 1] + c;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        if (rowmin > cap)
            return cap + 1;
    }
    return d[n][m] > cap ? cap + 1 : d[n][m];
}

/* Fold a UTF-8 string to its "skeleton": ASCII look-alikes, no dots or hyphens. A small
 * table of the confusables seen in IDN phishing (Unicode TR39 has the full list). */
static void
skeleton(const char *in, char *out, size_t outlen)
{
    static const struct {
        const char *from;
        char to;
    } conf[] = {
        {"\xd0\xb0", 'a'}, {"\xd0\xb5", 'e'}, {"\xd0\xbe", 'o'}, {"\xd1\x80", 'p'},
        {"\xd1\x81", 'c'}, {"\xd1\x83", 'y'}, {"\xd1\x85", 'x'}, {"\xd1\x96", 'i'},
        {"\xd1\x95", 's'}, {"\xd1\x98", 'j'}, {"\xd4\x81", 'd'}, {"\xd5\xb8", 'n'},
        {"\xce\xbf", 'o'}, {"\xce\xb1", 'a'}, {"\xce\xb9", 'i'}, {"\xce\xbd", 'v'},
        {"\xc3\xa0", 'a'}, {"\xc3\xa1", 'a'}, {"\xc3\xa2", 'a'}, {"\xc3\xa4", 'a'},
        {"\xc3\xa9", 'e'}, {"\xc3\xa8", 'e'}, {"\xc3\xaa", 'e'}, {"\xc3\xad", 'i'},
        {"\xc3\xb3", 'o'}, {"\xc3\xb6", 'o'}, {"\xc3\xb4", 'o'}, {"\xc3\xba", 'u'},
        {"\xc3\xbc", 'u'}, {"\xc4\xb1", 'i'}, {"\xc9\xa1", 'g'}, {"\xe1\xb8\x8d", 'd'},
    };
    size_t o = 0;
    for (const char *p = in; *p && o + 1 < outlen;) {
        unsigned char c = (unsigned char)*p;
        if (c == '.' || c == '-') {
            p++;
            continue;
        }
        if (c >= 0x80) {
            bool hit = false;
            for (size_t k = 0; k < sizeof conf / sizeof conf[0]; k++) {
                size_t l = strlen(conf[k].from);
                if (strncmp(p, conf[k].from, l) == 0) {
                    out[o++] = conf[k].to;
                    p += l;
                    hit = true;
                    break;
                }
            }
            if (!hit)
                out[o++] = *p++;
            continue;
        }
        char ch = (char)tolower(c);
        if (ch == '0')
            ch = 'o';
        else if (ch == '1' || ch == 'i')
            ch = 'l';
        else if (ch == '5')
            ch = 's';
        else if (ch == '3')
            ch = 'e';
        if (ch == 'r' && p[1] == 'n') {
            ch = 'm';
            p++;
        } else if (ch == 'v' && p[1] == 'v') {
            ch = 'w';
            p++;
        }
        out[o++] = ch;
        p++;
    }
    out[o] = '\0';
}

static void
first_label(const char *dom, char *out, size_t outlen)
{
    size_t n = strcspn(dom, ".");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, dom, n);
    out[n] = '\0';
}

bool
wp_lookalike(const char *host, const char *prot, char *why, size_t whylen)
{
    char reg[WP_DOMAIN_MAX], uni[WP_DOMAIN_MAX];
    size_t hl = strlen(host), pl = strlen(prot);
    if (hl == 0 || pl == 0)
        return false;
    /* the protected domain itself or a host under it is genuine */
    if (strcmp(host, prot) == 0 ||
        (hl > pl && host[hl - pl - 1] == '.' && strcmp(host + hl - pl, prot) == 0))
        return false;
    if (hl > pl && strncmp(host, prot, pl) == 0 && host[pl] == '.') {
        snprintf(why, whylen, "the protected name as a subdomain of another domain");
        return true;
    }
    if (!wp_registrable(host, reg, sizeof reg) || strcmp(reg, prot) == 0)
        return false;
    const char *cmp = reg;
    if (wp_host_unicode(reg, uni, sizeof uni))
        cmp = uni;
    char lh[WP_DOMAIN_MAX], lp[WP_DOMAIN_MAX];
    first_label(cmp, lh, sizeof lh);
    first_label(prot, lp, sizeof lp);
    const char *sh = wp_domain_suffix(reg), *sp = wp_domain_suffix(prot);
    if (strcmp(lh, lp) == 0 && sh && sp && strcmp(sh, sp) != 0) {
        snprintf(why, whylen, "the same name under another suffix (TLD swap)");
        return true;
    }
    char kh[WP_DOMAIN_MAX], kp[WP_DOMAIN_MAX];
    skeleton(cmp, kh, sizeof kh);
    skeleton(prot, kp, sizeof kp);
    if (strcmp(kh, kp) == 0) {
        if (cmp == uni)
            snprintf(why, whylen, "Unicode look-alike characters (%s)", uni);
        else
            snprintf(why, whylen, "look-alike characters or hyphens/dots moved");
        return true;
    }
    char sh1[WP_DOMAIN_MAX], sp1[WP_DOMAIN_MAX];
    skeleton(lh, sh1, sizeof sh1);
    skeleton(lp, sp1, sizeof sp1);
    size_t ll = strlen(lp);
    if (ll >= 4) {
        int cap = ll >= 9 ? 2 : 1;
        int d = wp_edit_distance(sh1, sp1, cap);
        if (d <= cap && d > 0) {
            snprintf(why, whylen, "name within %d edit%s of '%s'", d, d > 1 ? "s" : "", lp);
            return true;
        }
        /* "mofa-secure", "login-mofa": the protected label as a hyphen token */
        const char *t = strstr(lh, lp);
        if (t != NULL && (t == lh || t[-1] == '-') && (t[ll] == '\0' || t[ll] == '-') &&
            strlen(lh) > ll) {
            snprintf(why, whylen, "the protected name '%s' inside another name", lp);
            return true;
        }
    }
    return false;
}
