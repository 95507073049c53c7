/*
 * normalize.c - the canonical form of each kind of indicator, shared by the loader (which
 * stores it) and the lookups (which compute it from what a message says), so that both sides
 * compare the same bytes.
 *
 * hashes  binary digest from 32/40/64 hex digits, either case
 * email   lower case, "mailto:" and <> removed, one '@', a domain after it
 * domain  lower case, "*." / leading and trailing dots removed, LDH labels (plus '_' and
 *         UTF-8 bytes), 1-63 bytes each, 253 in all; as an indicator at least two labels
 *         and not a well-known public suffix, so no entry can match a whole TLD
 * url     lower-case scheme and host, default port and fragment dropped, empty path as "/"
 * ip      IPv4 / IPv6 with an optional prefix; v4-mapped IPv6 as IPv4; host bits below the
 *         prefix are an error (10.1.2.3/8 is more likely a typo than a wish for 10.0.0.0/8)
 * Values are read as (ptr, len) and never beyond; outputs are bounded by WP_INTEL_MAX_VALUE.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "set.h"

static void
trim(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

bool
intel_norm_hash(const char *s, size_t n, int want, intel_key *k, const char **why)
{
    trim(&s, &n);
    int type = n == 32 ? T_MD5 : n == 40 ? T_SHA1 : n == 64 ? T_SHA256 : -1;
    if (want >= 0 && type != want) {
        *why = want == T_MD5    ? "an md5 is 32 hex digits"
               : want == T_SHA1 ? "a sha1 is 40 hex digits"
                                : "a sha256 is 64 hex digits";
        return false;
    }
    if (type < 0) {
        *why = "a hash is 32 (md5), 40 (sha1) or 64 (sha256) hex digits";
        return false;
    }
    for (size_t i = 0; i < n; i += 2) {
        int hi = wp_hexval((unsigned char)s[i]), lo = wp_hexval((unsigned char)s[i + 1]);
        if (hi < 0 || lo < 0) {
            *why = "not a hex digit";
            return false;
        }
        k->key[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    k->table = type;
    k->str = NULL;
    k->str_len = 0;
    return true;
}

/* Second-level registrations under country codes and the like: an indicator equal to one of
 * these would match a whole registry. Not the Public Suffix List; the common cases only. */
static const char *const public_suffixes[] = {
    "co.uk",  "org.uk", "ac.uk",  "gov.uk", "me.uk",  "com.au", "net.au", "org.au",
    "edu.au", "gov.au", "co.jp",  "ne.jp",  "or.jp",  "co.nz",  "org.nz", "com.br",
    "net.br", "com.cn", "net.cn", "org.cn", "com.tr", "co.in",  "co.za",  "com.mx",
    "com.ar", "com.sg", "com.hk", "com.tw", "co.kr",  "com.ru", "co.il",  "com.ua",
};

static bool
is_public_suffix(const char *d, size_t n)
{
    for (size_t i = 0; i < sizeof public_suffixes / sizeof public_suffixes[0]; i++)
        if (strlen(public_suffixes[i]) == n && memcmp(public_suffixes[i], d, n) == 0)
            return true;
    return false;
}

bool
intel_norm_domain(const char *s, size_t n, bool strict, char *out, size_t *outlen, const char **why)
{
    trim(&s, &n);
    if (n >= 2 && s[0] == '*' && s[1] == '.') {
        s += 2;
        n -= 2;
    }
    while (n > 0 && s[0] == '.') {
        s++;
        n--;
    }
    if (n > 0 && s[n - 1] == '.')
        n--;
    if (n == 0) {
        *why = "empty domain";
        return false;
    }
    if (n > 253) {
        *why = "domain longer than 253 bytes";
        return false;
    }
    size_t labels = 1, label_len = 0, last_start = 0;
    bool last_numeric = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label_len == 0) {
                *why = "empty label in domain";
                return false;
            }
            labels++;
            label_len = 0;
            last_start = i + 1;
            last_numeric = true;
        } else if (isalnum(c) || c == '-' || c == '_' || c >= 0x80) {
            if (++label_len > 63) {
                *why = "domain label longer than 63 bytes";
                return false;
            }
            if (!isdigit(c))
                last_numeric = false;
        } else {
            *why = c == '/' || c == ':' ? "not a domain (a URL needs scheme://)"
                                        : "character not allowed in a domain";
            return false;
        }
        out[i] = lower((char)c);
    }
    if (label_len == 0) {
        *why = "empty label in domain";
        return false;
    }
    (void)last_start;
    if (strict && labels < 2) {
        *why = "a bare top-level domain would match every name under it";
        return false;
    }
    if (strict && last_numeric) {
        *why = "numeric top-level label (an IP address?)";
        return false;
    }
    if (strict && is_public_suffix(out, n)) {
        *why = "a public suffix would match every domain registered under it";
        return false;
    }
    out[n] = '\0';
    *outlen = n;
    return true;
}

bool
intel_norm_email(const char *s, size_t n, char *out, size_t *outlen, const char **why)
{
    trim(&s, &n);
    if (wp_has_prefix_ci(s, n, "mailto:")) {
        s += 7;
        n -= 7;
    }
    if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
        s++;
        n -= 2;
    }
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '@')
            at = s + i;
    if (n == 0) {
        *why = "empty address";
        return false;
    }
    if (at == NULL) {
        *why = "no '@' in address";
        return false;
    }
    size_t local = (size_t)(at - s);
    if (local == 0 || local > 64) {
        *why = "local part empty or longer than 64 bytes";
        return false;
    }
    for (size_t i = 0; i < local; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || strchr("<>()[],;:\\\"@", c) != NULL) {
            *why = "character not allowed in an address";
            return false;
        }
        out[i] = lower((char)c);
    }
    out[local] = '@';
    size_t dlen;
    if (!intel_norm_domain(at + 1, n - local - 1, false, out + local + 1, &dlen, why))
        return false;
    *outlen = local + 1 + dlen;
    return true;
}

static int
default_port(const char *scheme, size_t n)
{
    static const struct {
        const char *s;
        int port;
    } d[] = {{"http", 80}, {"https", 443}, {"ftp", 21}, {"ws", 80}, {"wss", 443}};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        if (strlen(d[i].s) == n && memcmp(d[i].s, scheme, n) == 0)
            return d[i].port;
    return -1;
}

/* Append to out with the bound; false when it would not fit. */
static bool
put(char *out, size_t *o, const char *s, size_t n)
{
    if (*o + n > WP_INTEL_MAX_VALUE)
        return false;
    memcpy(out + *o, s, n);
    *o += n;
    return true;
}

bool
intel_norm_url(const char *s, size_t n, bool assume_http, char *out, size_t *outlen,
               const char **why)
{
    trim(&s, &n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) {
            *why = "space or control character in URL";
            return false;
        }
    size_t o = 0;
    const char *sep = n > 3 ? memmem(s, n, "://", 3) : NULL;
    size_t slen = sep ? (size_t)(sep - s) : 0;
    bool scheme_ok = sep != NULL && slen > 0 && slen <= 32 && isalpha((unsigned char)s[0]);
    for (size_t i = 0; scheme_ok && i < slen; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.')
            scheme_ok = false;
    char scheme[33];
    const char *p;
    if (scheme_ok) {
        for (size_t i = 0; i < slen; i++)
            scheme[i] = lower(s[i]);
        p = sep + 3;
    } else if (assume_http) {
        slen = 4;
        memcpy(scheme, "http", 4);
        p = s;
        if (n >= 2 && s[0] == '/' && s[1] == '/')
            p += 2;
    } else {
        *why = "URL without scheme://";
        return false;
    }
    const char *end = s + n;
    if (!put(out, &o, scheme, slen) || !put(out, &o, "://", 3))
        goto toolong;
    const char *auth = p;
    while (p < end && *p != '/' && *p != '?' && *p != '#' && *p != '\\')
        p++;
    const char *at = NULL;
    for (const char *q = auth; q < p; q++)
        if (*q == '@')
            at = q;
    const char *h = auth;
    if (at != NULL) {
        if (!put(out, &o, auth, (size_t)(at - auth) + 1)) /* userinfo, case kept */
            goto toolong;
        h = at + 1;
    }
    const char *he;
    if (h < p && *h == '[') {
        he = memchr(h, ']', (size_t)(p - h));
        if (he == NULL) {
            *why = "unterminated [IPv6] host in URL";
            return false;
        }
        he++;
    } else {
        he = h;
        while (he < p && *he != ':')
            he++;
    }
    const char *host_end = he;
    while (host_end > h && host_end[-1] == '.')
        host_end--;
    if (host_end == h) {
        *why = "URL without a host";
        return false;
    }
    if (o + (size_t)(host_end - h) > WP_INTEL_MAX_VALUE)
        goto toolong;
    for (const char *q = h; q < host_end; q++)
        out[o++] = lower(*q);
    if (he < p) { /* ":port" */
        const char *ps = he + 1;
        size_t pn = (size_t)(p - ps);
        while (pn > 1 && *ps == '0') {
            ps++;
            pn--;
        }
        long port = 0;
        for (size_t i = 0; i < pn; i++) {
            if (!isdigit((unsigned char)ps[i]) || pn > 5) {
                *why = "bad port in URL";
                return false;
            }
            port = port * 10 + (ps[i] - '0');
        }
        if (pn > 0 && port > 65535) {
            *why = "bad port in URL";
            return false;
        }
        if (pn > 0 && port != default_port(scheme, slen) &&
            (!put(out, &o, ":", 1) || !put(out, &o, ps, pn)))
            goto toolong;
    }
    const char *frag = memchr(p, '#', (size_t)(end - p));
    const char *pe = frag ? frag : end;
    if ((p == pe || *p == '?') && !put(out, &o, "/", 1))
        goto toolong;
    if (!put(out, &o, p, (size_t)(pe - p)))
        goto toolong;
    out[o] = '\0';
    *outlen = o;
    return true;
toolong:
    *why = "URL longer than 2048 bytes";
    return false;
}

bool
intel_looks_ip(const char *s, size_t n)
{
    trim(&s, &n);
    size_t dots = 0, colons = 0;
    bool v4chars = true, v6chars = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        dots += c == '.';
        colons += c == ':';
        if (!isdigit(c) && c != '.' && c != '/')
            v4chars = false;
        if (!isxdigit(c) && c != ':' && c != '.' && c != '/' && c != '[' && c != ']')
            v6chars = false;
    }
    return n > 0 && ((v4chars && dots > 0) || (v6chars && colons >= 2));
}

bool
intel_parse_ip(const char *s, size_t n, bool allow_prefix, uint8_t addr[16], int *family,
               int *prefix, char *why, size_t wlen)
{
    trim(&s, &n);
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    const char *a = s;
    if (an >= 2 && a[0] == '[' && a[an - 1] == ']') {
        a++;
        an -= 2;
    }
    char buf[64];
    if (an == 0 || an >= sizeof buf) {
        snprintf(why, wlen, "not an IP address");
        return false;
    }
    memcpy(buf, a, an);
    buf[an] = '\0';
    bool v6 = memchr(buf, ':', an) != NULL;
    uint8_t bin[16] = {0};
    if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, bin) != 1) {
        snprintf(why, wlen,
                 v6 ? "not an IPv6 address" : "not an IPv4 address (four numbers 0-255)");
        return false;
    }
    int fam = v6 ? 6 : 4;
    int bits = v6 ? 128 : 32;
    int plen = bits;
    if (slash != NULL) {
        if (!allow_prefix) {
            snprintf(why, wlen, "a prefix is not allowed here");
            return false;
        }
        const char *ps = slash + 1;
        size_t pn = (size_t)(s + n - ps);
        if (pn == 0 || pn > 3) {
            snprintf(why, wlen, "bad prefix length (IPv%d: /1-/%d)", fam, bits);
            return false;
        }
        plen = 0;
        for (size_t i = 0; i < pn; i++) {
            if (!isdigit((unsigned char)ps[i])) {
                snprintf(why, wlen, "bad prefix length (IPv%d: /1-/%d)", fam, bits);
                return false;
            }
            plen = plen * 10 + (ps[i] - '0');
        }
        if (plen > bits) {
            snprintf(why, wlen, "prefix /%d out of range (IPv%d: /1-/%d)", plen, fam, bits);
            return false;
        }
        if (plen == 0) {
            snprintf(why, wlen, "prefix /0 would match every address");
            return false;
        }
    }
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (fam == 6 && memcmp(bin, mapped, 12) == 0) {
        if (plen <= 96) {
            snprintf(why, wlen, "prefix /%d too short for a v4-mapped address", plen);
            return false;
        }
        memmove(bin, bin + 12, 4);
        memset(bin + 4, 0, 12);
        fam = 4;
        bits = 32;
        plen -= 96;
    }
    for (int b = plen; b < bits; b++)
        if (bin[b / 8] & (0x80 >> (b % 8))) {
            uint8_t net[16];
            memcpy(net, bin, 16);
            for (int c = plen; c < bits; c++)
                net[c / 8] &= (uint8_t) ~(0x80 >> (c % 8));
            char txt[INET6_ADDRSTRLEN];
            inet_ntop(fam == 6 ? AF_INET6 : AF_INET, net, txt, sizeof txt);
            snprintf(why, wlen, "host bits set below the prefix (the network is %s/%d)", txt, plen);
            return false;
        }
    memcpy(addr, bin, 16);
    *family = fam;
    *prefix = plen;
    return true;
}

void
intel_ip_key(const uint8_t addr[16], int family, int prefix, intel_key *k)
{
    int bytes = family == 4 ? 4 : 16;
    memset(k->key, 0, sizeof k->key);
    memcpy(k->key, addr, (size_t)prefix / 8);
    if (prefix % 8)
        k->key[prefix / 8] = (uint8_t)(addr[prefix / 8] & (0xff00 >> (prefix % 8)));
    k->key[bytes] = (uint8_t)prefix;
    k->table = family == 4 ? T_IPV4 : T_IPV6;
    k->str = NULL;
    k->str_len = 0;
}
