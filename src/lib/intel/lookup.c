/*
 * lookup.c - the public lookups of an indicator set.
 *
 * Each lookup normalizes its argument as the loader normalized the indicators, then probes
 * the table: one probe for hashes, addresses and URLs; one per label for domains (a.b.c.com
 * tries a.b.c.com, b.c.com, c.com and stops before the bare "com"); one per listed prefix
 * length for IP addresses, longest first. None of this depends on how many indicators the set
 * holds. Lookups only read the set, so any number of threads may run them at once.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "set.h"

static void
fill(const wp_intel_set *set, int table, const uint8_t *r, wp_intel_match *m)
{
    static const wp_intel_type types[T__COUNT] = {
        [T_MD5] = WP_INTEL_MD5,     [T_SHA1] = WP_INTEL_SHA1,     [T_SHA256] = WP_INTEL_SHA256,
        [T_EMAIL] = WP_INTEL_EMAIL, [T_DOMAIN] = WP_INTEL_DOMAIN, [T_URL] = WP_INTEL_URL,
        [T_IPV4] = WP_INTEL_IP,     [T_IPV6] = WP_INTEL_IP,       [T_JA3] = WP_INTEL_JA3,
    };
    const intel_table *t = &set->t[table];
    size_t o = t->key_len;
    uint32_t off = 0, label, line;
    if (t->has_str) {
        memcpy(&off, r + o, 4);
        o += 4;
    }
    memcpy(&label, r + o, 4);
    memcpy(&line, r + o + 4, 4);
    m->type = types[table];
    const intel_label *l = &set->labels[label];
    m->file = set->files[l->file];
    m->line = line;
    m->source = l->source == UINT32_MAX ? NULL : set->lpool + l->source;
    if (t->has_str) {
        snprintf(m->value, sizeof m->value, "%s", set->pool + off);
    } else if (table == T_IPV4 || table == T_IPV6) {
        int bits = table == T_IPV4 ? 32 : 128;
        int plen = r[t->key_len - 1];
        uint8_t a[16] = {0};
        memcpy(a, r, (size_t)bits / 8);
        char txt[INET6_ADDRSTRLEN] = "?";
        inet_ntop(table == T_IPV4 ? AF_INET : AF_INET6, a, txt, sizeof txt);
        if (plen == bits)
            snprintf(m->value, sizeof m->value, "%s", txt);
        else
            snprintf(m->value, sizeof m->value, "%s/%d", txt, plen);
    } else {
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < t->key_len; i++) {
            m->value[2 * i] = hex[r[i] >> 4];
            m->value[2 * i + 1] = hex[r[i] & 15];
        }
        m->value[2 * t->key_len] = '\0';
    }
}

static bool
find_fill(const wp_intel_set *set, const intel_key *k, wp_intel_match *m)
{
    const uint8_t *r = intel_table_find(set, k);
    if (r == NULL)
        return false;
    if (m != NULL)
        fill(set, k->table, r, m);
    return true;
}

static void
text_key(intel_key *k, int table, const char *s, size_t n)
{
    k->table = table;
    uint64_t fp = intel_hash64(s, n);
    memcpy(k->key, &fp, sizeof fp);
    k->str = s;
    k->str_len = n;
}

bool
wp_intel_lookup_hash(const wp_intel_set *set, const char *hex, size_t len, wp_intel_match *m)
{
    intel_key k;
    const char *why;
    if (set == NULL || hex == NULL || !intel_norm_hash(hex, len, -1, &k, &why))
        return false;
    return find_fill(set, &k, m);
}

bool
wp_intel_lookup_email(const wp_intel_set *set, const char *addr, size_t len, wp_intel_match *m)
{
    char buf[WP_INTEL_MAX_VALUE + 1];
    size_t n;
    const char *why;
    if (set == NULL || addr == NULL || set->t[T_EMAIL].n == 0 || len > WP_INTEL_MAX_VALUE ||
        !intel_norm_email(addr, len, buf, &n, &why))
        return false;
    intel_key k;
    text_key(&k, T_EMAIL, buf, n);
    return find_fill(set, &k, m);
}

bool
wp_intel_lookup_domain(const wp_intel_set *set, const char *name, size_t len, wp_intel_match *m)
{
    char buf[WP_INTEL_MAX_VALUE + 1];
    size_t n;
    const char *why;
    if (set == NULL || name == NULL || set->t[T_DOMAIN].n == 0 || len > WP_INTEL_MAX_VALUE ||
        !intel_norm_domain(name, len, false, buf, &n, &why))
        return false;
    /* the name itself, then each parent that still has a dot in it: never the bare TLD */
    for (size_t i = 0; i < n;) {
        const char *d = buf + i;
        const char *dot = memchr(d, '.', n - i);
        if (dot == NULL)
            break;
        intel_key k;
        text_key(&k, T_DOMAIN, d, n - i);
        if (find_fill(set, &k, m))
            return true;
        i = (size_t)(dot - buf) + 1;
    }
    return false;
}

bool
wp_intel_lookup_url(const wp_intel_set *set, const char *url, size_t len, wp_intel_match *m)
{
    char buf[WP_INTEL_MAX_VALUE + 1];
    size_t n;
    const char *why;
    if (set == NULL || url == NULL || set->t[T_URL].n == 0 ||
        !intel_norm_url(url, len, true, buf, &n, &why))
        return false;
    intel_key k;
    text_key(&k, T_URL, buf, n);
    return find_fill(set, &k, m);
}

bool
wp_intel_lookup_ja3(const wp_intel_set *set, const char *hex, size_t len, wp_intel_match *m)
{
    intel_key k;
    const char *why;
    if (set == NULL || hex == NULL || set->t[T_JA3].n == 0 ||
        !intel_norm_hash(hex, len, T_MD5, &k, &why))
        return false;
    k.table = T_JA3;
    return find_fill(set, &k, m);
}

bool
wp_intel_lookup_ip_bytes(const wp_intel_set *set, const uint8_t *addr, size_t addrlen,
                         wp_intel_match *m)
{
    if (set == NULL || addr == NULL || (addrlen != 4 && addrlen != 16))
        return false;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    uint8_t a[16] = {0};
    int fam = 4;
    if (addrlen == 16 && memcmp(addr, mapped, 12) == 0) {
        memcpy(a, addr + 12, 4);
    } else {
        memcpy(a, addr, addrlen);
        fam = addrlen == 4 ? 4 : 6;
    }
    intel_key k;
    if (fam == 4) {
        if (set->v4_by16 == NULL)
            return false; /* no IPv4 key was ever added */
        uint32_t host = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
        /* lengths from 16 up only where this /16 has prefixes of that length */
        uint64_t lens = set->v4_lens & ((uint64_t)set->v4_by16[host >> 16] << 16 | 0xfffe);
        while (lens != 0) { /* longest first */
            int p = 63 - __builtin_clzll(lens);
            lens &= ~(1ULL << p);
            uint32_t masked = p == 32 ? host : host & ~(0xffffffffu >> p);
            uint32_t b = intel_v4_bloom_bit(masked, (unsigned)p);
            if (!(set->v4_bloom[b / 64] & (1ULL << (b % 64))))
                continue;
            intel_ip_key(a, 4, p, &k);
            if (find_fill(set, &k, m))
                return true;
        }
    } else {
        for (int p = 128; p >= 1; p--) {
            if (!(set->v6_lens[p / 64] & (1ULL << (p % 64))))
                continue;
            intel_ip_key(a, 6, p, &k);
            if (find_fill(set, &k, m))
                return true;
        }
    }
    return false;
}

bool
wp_intel_lookup_ip(const wp_intel_set *set, const char *ip, size_t len, wp_intel_match *m)
{
    uint8_t a[16];
    int fam, plen;
    char why[128];
    if (set == NULL || ip == NULL || set->t[T_IPV4].n + set->t[T_IPV6].n == 0 ||
        !intel_parse_ip(ip, len, false, a, &fam, &plen, why, sizeof why))
        return false;
    return wp_intel_lookup_ip_bytes(set, a, fam == 4 ? 4 : 16, m);
}

const char *
wp_intel_match_label(const wp_intel_match *m, char *buf, size_t buflen)
{
    if (buf == NULL || buflen == 0)
        return buf;
    if (m->source != NULL)
        snprintf(buf, buflen, "%s:%lu, source %s", m->file, m->line, m->source);
    else
        snprintf(buf, buflen, "%s:%lu", m->file, m->line);
    return buf;
}
