/*
 * hosts.c - which addresses are ours, which destinations are outside, and the allow-list.
 *
 * Addresses are 16 bytes, IPv4 as v4-mapped IPv6 (::ffff:a.b.c.d), so one network list
 * covers both families: an IPv4 network a.b.c.d/p is stored as ::ffff:a.b.c.d/(96 + p).
 * The internal networks default to RFC 1918, CGNAT 100.64/10, loopback, link-local and
 * IPv6 ULA, link-local and loopback (docs/EGRESS.md). Multicast, broadcast and "this
 * network" are never outside either: SSDP or mDNS chatter is as regular as any beacon.
 * The allow-list holds networks (checked against destination addresses) and domains
 * (checked against DNS names, HTTP hosts and TLS SNI, each parent domain in turn).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egress_int.h"

static const char *const default_internal[] = {
    "10.0.0.0/8",     "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
    "169.254.0.0/16", "fc00::/7",      "fe80::/10",      "::1/128",
};

static void
v4_mapped(const uint8_t v4[4], uint8_t out[16])
{
    memcpy(out, eg_v4_head, sizeof eg_v4_head);
    memcpy(out + 12, v4, 4);
}

/* One octet of a dotted quad at p: one to three decimal digits, no leading zero, up to 255
 * (as inet_pton(AF_INET) reads one); what follows it, or NULL when there is none. */
static const char *
octet(const char *p, const char *end, unsigned *v)
{
    if (p == end || (unsigned)(*p - '0') > 9)
        return NULL;
    unsigned x = (unsigned)(*p++ - '0');
    if (p < end && (unsigned)(*p - '0') <= 9) {
        if (x == 0)
            return NULL; /* a leading zero */
        x = x * 10 + (unsigned)(*p++ - '0');
        if (p < end && (unsigned)(*p - '0') <= 9) {
            x = x * 10 + (unsigned)(*p++ - '0');
            if (x > 255)
                return NULL;
        }
    }
    *v = x;
    return p;
}

/* The common case of a logged address, dotted-quad IPv4 as inet_pton(AF_INET) takes it, and
 * nothing else in (p, n): then the general path below would give the same address. Written
 * out because it runs for both addresses of every record, where the copy into a C string
 * and the libc call were a tenth of `watchpost ingest` on a conn.log; anything else
 * (brackets, a zone, IPv6, a NUL) takes the general path. */
static bool
parse_v4(const char *p, size_t n, uint8_t out[16])
{
    const char *end = p + n;
    uint8_t a[4];
    for (int k = 0; k < 4; k++) {
        unsigned v;
        if ((p = octet(p, end, &v)) == NULL)
            return false;
        a[k] = (uint8_t)v;
        if (k < 3 && (p == end || *p++ != '.'))
            return false;
    }
    if (p != end)
        return false;
    v4_mapped(a, out);
    return true;
}

bool
eg_addr_parse(const char *p, size_t n, uint8_t out[16])
{
    if (p == NULL)
        return false;
    if (parse_v4(p, n, out))
        return true;
    if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
        p++;
        n -= 2;
    }
    const char *pct = memchr(p, '%', n); /* fe80::1%eth0 */
    if (pct != NULL)
        n = (size_t)(pct - p);
    char buf[INET6_ADDRSTRLEN + 1];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    if (memchr(buf, ':', n) != NULL)
        return inet_pton(AF_INET6, buf, out) == 1;
    uint8_t v4[4];
    if (inet_pton(AF_INET, buf, v4) != 1)
        return false;
    v4_mapped(v4, out);
    return true;
}

void
eg_addr_text(const uint8_t a[16], char *out, size_t cap)
{
    char buf[INET6_ADDRSTRLEN];
    const char *r = eg_addr_is_v4(a) ? inet_ntop(AF_INET, a + 12, buf, sizeof buf)
                                     : inet_ntop(AF_INET6, a, buf, sizeof buf);
    snprintf(out, cap, "%s", r != NULL ? r : "?");
}

static bool
prefix_match(const uint8_t *a, const uint8_t *net, unsigned plen)
{
    unsigned full = plen / 8, rest = plen % 8;
    if (memcmp(a, net, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (net[full] & mask);
}

static uint32_t
v4_of(const uint8_t a[16])
{
    return (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
}

bool
eg_nets_has(const eg_nets *nets, const uint8_t a[16])
{
    if (eg_addr_is_v4(a)) {
        uint32_t x = v4_of(a);
        for (size_t i = 0; i < nets->n; i++) {
            const eg_net *net = &nets->v[i];
            if (net->v4 ? (x & net->v4_mask) == net->v4_addr : net->all_v4)
                return true;
        }
        return false;
    }
    for (size_t i = 0; i < nets->n; i++) /* an IPv4 network holds only v4-mapped addresses */
        if (!nets->v[i].v4 && prefix_match(a, nets->v[i].a, nets->v[i].plen))
            return true;
    return false;
}

/* "a.b.c.d/p", "v6/p" or a bare address; false with a reason when not a network. */
static bool
parse_cidr(const char *s, eg_net *out, const char **why)
{
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (!eg_addr_parse(s, alen, out->a)) {
        *why = "not an IP address";
        return false;
    }
    unsigned max = eg_addr_is_v4(out->a) && memchr(s, ':', alen) == NULL ? 32 : 128;
    unsigned plen = max;
    if (slash != NULL) {
        char *end;
        unsigned long v = strtoul(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || v > max) {
            *why = "bad prefix length";
            return false;
        }
        plen = (unsigned)v;
    }
    out->plen = max == 32 ? plen + 96 : plen;
    /* host bits are cleared rather than refused: "10.1.2.3/8" means what it says */
    for (unsigned b = out->plen; b < 128; b++)
        out->a[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
    out->v4 = out->plen >= 96 && eg_addr_is_v4(out->a);
    out->v4_mask = out->plen <= 96 ? 0 : 0xffffffffu << (128 - out->plen);
    out->v4_addr = v4_of(out->a);
    uint8_t any_v4[16]; /* ::ffff:0.0.0.0: a network shorter than /96 holds all or none */
    v4_mapped((const uint8_t[4]){0, 0, 0, 0}, any_v4);
    out->all_v4 = !out->v4 && out->plen <= 96 && prefix_match(any_v4, out->a, out->plen);
    return true;
}

static wp_status
nets_add(eg_nets *nets, const char *s, const char *what, char *err, size_t errlen)
{
    eg_net n;
    const char *why = NULL;
    if (!parse_cidr(s, &n, &why)) {
        snprintf(err, errlen, "%s: '%.80s': %s", what, s, why);
        return WP_EINVAL;
    }
    eg_net *v = realloc(nets->v, (nets->n + 1) * sizeof(*v));
    if (v == NULL) {
        snprintf(err, errlen, "%s: out of memory", what);
        return WP_ENOMEM;
    }
    nets->v = v;
    nets->v[nets->n++] = n;
    return WP_OK;
}

/* ---- allowed domains ---- */

typedef struct allow_name {
    size_t len;
    char name[];
} allow_name;

static bool
name_eq(const void *ent, const void *key, size_t klen)
{
    const allow_name *a = ent;
    return a->len == klen && memcmp(a->name, key, klen) == 0;
}

static bool
looks_ip(const char *s)
{
    /* digits, dots, hex and colons, and a prefix: a network, not a domain */
    if (strchr(s, ':') != NULL)
        return true;
    for (const char *p = s; *p; p++)
        if ((*p < '0' || *p > '9') && *p != '.' && *p != '/')
            return false;
    return true;
}

static wp_status
allow_add(wp_egress *e, const char *s, char *err, size_t errlen)
{
    if (looks_ip(s))
        return nets_add(&e->allow_nets, s, "egress.allow", err, errlen);
    while (s[0] == '*' && s[1] == '.') /* "*.cdn.example" is "cdn.example" */
        s += 2;
    while (*s == '.')
        s++;
    char name[EG_NAME_MAX];
    size_t n = eg_name_norm(s, strlen(s), name);
    if (n == 0 || memchr(name, '.', n) == NULL) {
        snprintf(err, errlen,
                 "egress.allow: '%.80s': neither a network nor a domain with a dot in it", s);
        return WP_EINVAL;
    }
    uint64_t h = eg_hash(name, n, 7);
    if (eg_map_get(&e->allow_names, h, name, n, name_eq) != NULL)
        return WP_OK;
    allow_name *a = malloc(sizeof(*a) + n + 1);
    if (a == NULL || !eg_map_put(&e->allow_names, h, a)) {
        free(a);
        snprintf(err, errlen, "egress.allow: out of memory");
        return WP_ENOMEM;
    }
    a->len = n;
    memcpy(a->name, name, n + 1);
    return WP_OK;
}

wp_status
eg_hosts_init(wp_egress *e, char *err, size_t errlen)
{
    const wp_egress_config *c = &e->cfg;
    wp_status s = WP_OK;
    if (c->internal_nets != NULL && c->n_internal_nets > 0) {
        for (size_t i = 0; i < c->n_internal_nets && s == WP_OK; i++) {
            if (c->internal_nets[i] == NULL) {
                snprintf(err, errlen, "egress.internal_nets: entry %zu is NULL", i);
                return WP_EINVAL;
            }
            s = nets_add(&e->internal, c->internal_nets[i], "egress.internal_nets", err, errlen);
        }
    } else {
        for (size_t i = 0; i < sizeof default_internal / sizeof default_internal[0] && s == WP_OK;
             i++)
            s = nets_add(&e->internal, default_internal[i], "egress.internal_nets", err, errlen);
    }
    for (size_t i = 0; c->allow != NULL && i < c->n_allow && s == WP_OK; i++) {
        if (c->allow[i] == NULL) {
            snprintf(err, errlen, "egress.allow: entry %zu is NULL", i);
            return WP_EINVAL;
        }
        s = allow_add(e, c->allow[i], err, errlen);
    }
    return s;
}

static void
free_ent(void *p)
{
    free(p);
}

void
eg_hosts_fini(wp_egress *e)
{
    free(e->internal.v);
    free(e->allow_nets.v);
    eg_map_fini(&e->allow_names, free_ent);
}

bool
eg_is_internal(const wp_egress *e, const uint8_t a[16])
{
    return eg_nets_has(&e->internal, a);
}

bool
eg_is_outside(const wp_egress *e, const uint8_t a[16])
{
    return !eg_is_internal(e, a) && eg_is_routable(a);
}

bool
eg_is_routable(const uint8_t a[16])
{
    /* not routable across the Internet: 0.0.0.0/8, multicast 224/4, 240/4 with the
     * broadcast address, ff00::/8, :: */
    if (eg_addr_is_v4(a))
        return a[12] != 0 && a[12] < 224;
    if (a[0] == 0xff)
        return false;
    static const uint8_t zero[16];
    return memcmp(a, zero, 16) != 0;
}

bool
eg_allowed_addr(const wp_egress *e, const uint8_t a[16])
{
    return e->allow_nets.n > 0 && eg_nets_has(&e->allow_nets, a);
}

bool
eg_allowed_name(const wp_egress *e, const char *name, size_t n)
{
    if (e->allow_names.n == 0)
        return false;
    /* the name, then each parent with a dot still in it */
    for (size_t i = 0; i < n;) {
        const char *d = name + i;
        size_t dn = n - i;
        if (eg_map_get(&e->allow_names, eg_hash(d, dn, 7), d, dn, name_eq) != NULL)
            return true;
        const char *dot = memchr(d, '.', dn);
        if (dot == NULL || memchr(dot + 1, '.', (size_t)(name + n - dot - 1)) == NULL)
            break;
        i = (size_t)(dot - name) + 1;
    }
    return false;
}
