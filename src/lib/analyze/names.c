/*
 * names.c - domains, addresses and raw headers (see names.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <idn2.h>
#include <libpsl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

bool
wp_mailbox_split(const char *hdr, char *name, size_t nlen, char *addr, size_t alen)
{
    name[0] = addr[0] = '\0';
    if (hdr == NULL)
        return false;
    /* the first mailbox only: a From with several is itself an anomaly the header checks
     * report; a comma inside quotes does not end the mailbox */
    size_t n = 0;
    bool q = false, at = false;
    /* an unquoted comma before any address ("Yamada, Taro <t@x>") is a broken display
     * name, not the end of the mailbox */
    while (hdr[n] && (q || hdr[n] != ',' || !at)) {
        if (hdr[n] == '"')
            q = !q;
        else if (hdr[n] == '@')
            at = true;
        n++;
    }
    const char *lt = NULL, *gt = NULL;
    for (size_t i = n; i-- > 0;) {
        if (hdr[i] == '>' && gt == NULL)
            gt = hdr + i;
        if (hdr[i] == '<' && gt != NULL) {
            lt = hdr + i;
            break;
        }
    }
    const char *a, *ae;
    if (lt != NULL) {
        a = lt + 1;
        ae = gt;
        const char *ns = hdr, *ne = lt;
        while (ns < ne && (isspace((unsigned char)*ns) || *ns == '"' || *ns == '\''))
            ns++;
        while (ne > ns && (isspace((unsigned char)ne[-1]) || ne[-1] == '"' || ne[-1] == '\''))
            ne--;
        size_t l = (size_t)(ne - ns) < nlen - 1 ? (size_t)(ne - ns) : nlen - 1;
        memcpy(name, ns, l);
        name[l] = '\0';
    } else {
        a = hdr;
        ae = hdr + n;
        /* "user@host (Name)": an old comment form */
        const char *par = memchr(hdr, '(', n);
        if (par != NULL) {
            const char *cl = memchr(par, ')', (size_t)(hdr + n - par));
            if (cl != NULL) {
                size_t l = (size_t)(cl - par - 1) < nlen - 1 ? (size_t)(cl - par - 1) : nlen - 1;
                memcpy(name, par + 1, l);
                name[l] = '\0';
                ae = par;
            }
        }
    }
    while (a < ae && isspace((unsigned char)*a))
        a++;
    while (ae > a && isspace((unsigned char)ae[-1]))
        ae--;
    size_t l = (size_t)(ae - a);
    if (l == 0 || l >= alen || memchr(a, '@', l) == NULL)
        return false;
    for (size_t i = 0; i < l; i++)
        addr[i] = (char)tolower((unsigned char)a[i]);
    addr[l] = '\0';
    return true;
}

const char *
wp_addr_domain(const char *addr)
{
    const char *at = strrchr(addr, '@');
    return at != NULL && at[1] ? at + 1 : NULL;
}

bool
wp_host_is_ip(const char *host)
{
    if (host == NULL || *host == '\0')
        return false;
    if (host[0] == '[' || strchr(host, ':') != NULL)
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return true;
    /* inet_aton takes the forms browsers take: 0x7f.1, 2130706433, 0177.0.0.1 */
    bool digits = true;
    for (const char *p = host; *p; p++)
        if (!isxdigit((unsigned char)*p) && *p != '.' && *p != 'x' && *p != 'X')
            digits = false;
    return digits && isdigit((unsigned char)host[0]) && inet_aton(host, &a4) != 0;
}

bool
wp_ip_is_private(const char *host)
{
    struct in_addr a4;
    if (inet_aton(host, &a4) == 0)
        return strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
    uint32_t ip = ntohl(a4.s_addr);
    return (ip >> 24) == 10 || (ip >> 24) == 127 || (ip >> 24) == 0 ||
           (ip >> 20) == (172u << 4 | 1) || (ip >> 16) == (192u << 8 | 168) ||
           (ip >> 16) == (169u << 8 | 254);
}

bool
wp_registrable(const char *host, char *out, size_t outlen)
{
    if (host == NULL || *host == '\0' || strlen(host) >= outlen)
        return false;
    if (wp_host_is_ip(host)) {
        strcpy(out, host);
        return true;
    }
    const char *h = host;
    while (*h == '.')
        h++;
    size_t n = strlen(h);
    while (n > 0 && h[n - 1] == '.')
        n--;
    char tmp[WP_DOMAIN_MAX];
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, h, n);
    tmp[n] = '\0';
    /* The public-suffix walk is the costliest step of the link and sender analyzers, and
     * the same hosts recur from message to message (free mail, the big senders, trackers):
     * a small direct-mapped cache per thread, short names only. */
    static __thread struct {
        char host[48];
        char reg[48];
    } cache[256];
    uint64_t fp = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        fp = (fp ^ (unsigned char)tmp[i]) * 1099511628211ULL;
    size_t slot = (size_t)(fp >> 56);
    if (n < sizeof cache[0].host && strcmp(cache[slot].host, tmp) == 0) {
        if (strlen(cache[slot].reg) >= outlen)
            return false;
        strcpy(out, cache[slot].reg);
        return true;
    }
    const char *r = psl_registrable_domain(psl_builtin(), tmp);
    const char *src = r != NULL ? r : tmp;
    if (n < sizeof cache[0].host) {
        memcpy(cache[slot].host, tmp, n + 1);
        memcpy(cache[slot].reg, src, strlen(src) + 1); /* src is a suffix of tmp: fits */
    }
    if (strlen(src) >= outlen)
        return false;
    strcpy(out, src);
    return true;
}

const char *
wp_domain_suffix(const char *dom)
{
    const char *dot = strchr(dom, '.');
    return dot != NULL && dot[1] ? dot + 1 : NULL;
}

bool
wp_host_unicode(const char *host, char *out, size_t outlen)
{
    if (host == NULL || strstr(host, "xn--") == NULL)
        return false;
    char *u = NULL;
    if (idn2_to_unicode_8z8z(host, &u, 0) != IDN2_OK || u == NULL)
        return false;
    bool ok = strlen(u) < outlen;
    if (ok)
        strcpy(out, u);
    idn2_free(u);
    return ok;
}

bool
wp_raw_header(const wp_scan *s, const char *name, char *out, size_t outlen)
{
    const char *p = (const char *)s->raw, *end = p + s->raw_len;
    size_t nl = strlen(name);
    out[0] = '\0';
    /* bounded: the header block ends at the first empty line, and we look at most 256 KiB */
    if ((size_t)(end - p) > 256 * 1024)
        end = p + 256 * 1024;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        if (le == p || (le == p + 1 && *p == '\r'))
            return false; /* end of the header block */
        if ((size_t)(le - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            size_t o = 0;
            const char *v = p + nl + 1;
            for (;;) {
                for (; v < le && o + 1 < outlen; v++) {
                    if (*v == '\r')
                        continue;
                    if (*v == '\t' || *v == ' ') {
                        if (o == 0 || out[o - 1] == ' ')
                            continue;
                        out[o++] = ' ';
                    } else {
                        out[o++] = *v;
                    }
                }
                /* continuation lines */
                if (eol == NULL || eol + 1 >= end || (eol[1] != ' ' && eol[1] != '\t'))
                    break;
                v = eol + 1;
                eol = memchr(v, '\n', (size_t)(end - v));
                le = eol ? eol : end;
            }
            while (o > 0 && out[o - 1] == ' ')
                o--;
            out[o] = '\0';
            return true;
        }
        p = eol ? eol + 1 : end;
    }
    return false;
}

bool
wp_domain_is_freemail(const char *d)
{
    static const char *const free_domains[] = {
        "gmail.com",      "googlemail.com", "yahoo.com",      "yahoo.co.jp",   "ymail.com",
        "hotmail.com",    "outlook.com",    "live.com",       "msn.com",       "aol.com",
        "icloud.com",     "me.com",         "mail.com",       "gmx.com",       "gmx.de",
        "gmx.net",        "web.de",         "yandex.ru",      "yandex.com",    "mail.ru",
        "protonmail.com", "proton.me",      "zoho.com",       "qq.com",        "163.com",
        "126.com",        "sina.com",       "naver.com",      "daum.net",      "rediffmail.com",
        "tutanota.com",   "tuta.io",        "uol.com.br",     "bol.com.br",    "terra.com.br",
        "libero.it",      "orange.fr",      "laposte.net",    "free.fr",       "seznam.cz",
        "wp.pl",          "o2.pl",          "inbox.ru",       "bk.ru",         "list.ru",
        "rambler.ru",     "t-online.de",    "btinternet.com", "comcast.net",   "verizon.net",
        "att.net",        "sbcglobal.net",  "cox.net",        "earthlink.net", "excite.com",
        "lycos.com",      "netscape.net",   "juno.com",       "hushmail.com",  "fastmail.com",
    };
    for (size_t i = 0; i < sizeof free_domains / sizeof free_domains[0]; i++)
        if (strcmp(d, free_domains[i]) == 0)
            return true;
    return false;
}
