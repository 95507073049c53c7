/*
 * netlist.c - CIDR lists: parse "addr[/len]" items, match a client address.
 */
#include "watchpost/netlist.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct net {
    unsigned char addr[16]; /* IPv4 stored as IPv4-mapped IPv6 */
    int bits;               /* prefix length in the 128-bit space */
} net;

struct wp_netlist {
    net *v;
    size_t n, cap;
};

wp_netlist *
wp_netlist_new(void)
{
    return calloc(1, sizeof(wp_netlist));
}

void
wp_netlist_free(wp_netlist *l)
{
    if (l != NULL)
        free(l->v);
    free(l);
}

size_t
wp_netlist_count(const wp_netlist *l)
{
    return l != NULL ? l->n : 0;
}

static void
map_v4(unsigned char out[16], const unsigned char v4[4])
{
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, v4, 4);
}

/* textual address to the 128-bit form; *v4 says it was IPv4 (for the prefix length) */
static bool
parse_addr(const char *s, unsigned char out[16], bool *v4)
{
    unsigned char b[16];
    if (inet_pton(AF_INET, s, b) == 1) {
        map_v4(out, b);
        *v4 = true;
        return true;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        *v4 = false;
        return true;
    }
    return false;
}

static bool
parse_item(const char *item, net *out, char *err, size_t errlen)
{
    char a[64];
    const char *slash = strchr(item, '/');
    size_t alen = slash ? (size_t)(slash - item) : strlen(item);
    if (alen == 0 || alen >= sizeof a) {
        snprintf(err, errlen, "'%s' is not an address or network", item);
        return false;
    }
    memcpy(a, item, alen);
    a[alen] = '\0';
    bool v4;
    if (!parse_addr(a, out->addr, &v4)) {
        snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address", a);
        return false;
    }
    int max = v4 ? 32 : 128, len = max;
    if (slash != NULL) {
        char *end;
        long v = strtol(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || v < 0 || v > max) {
            snprintf(err, errlen, "'%s': prefix length must be 0 to %d", item, max);
            return false;
        }
        len = (int)v;
    }
    out->bits = v4 ? 96 + len : len;
    return true;
}

bool
wp_netlist_add(wp_netlist *l, const char *spec, char *err, size_t errlen)
{
    size_t old_n = l->n;
    const char *p = spec;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        const char *q = p;
        while (*q && *q != ',' && !isspace((unsigned char)*q))
            q++;
        char item[80];
        size_t len = (size_t)(q - p);
        if (len >= sizeof item) {
            snprintf(err, errlen, "network '%.20s...' is too long", p);
            l->n = old_n;
            return false;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        if (l->n >= WP_MAX_NETWORKS) {
            snprintf(err, errlen, "more than %d networks", WP_MAX_NETWORKS);
            l->n = old_n;
            return false;
        }
        if (l->n == l->cap) {
            size_t nc = l->cap ? l->cap * 2 : 8;
            net *nv = realloc(l->v, nc * sizeof(net));
            if (nv == NULL) {
                snprintf(err, errlen, "out of memory");
                l->n = old_n;
                return false;
            }
            l->v = nv;
            l->cap = nc;
        }
        if (!parse_item(item, &l->v[l->n], err, errlen)) {
            l->n = old_n;
            return false;
        }
        l->n++;
        p = q;
    }
    return true;
}

static bool
in_net(const net *n, const unsigned char a[16])
{
    int full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->addr, a, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (n->addr[full] & mask) == (a[full] & mask);
}

bool
wp_netlist_contains(const wp_netlist *l, const char *ip)
{
    unsigned char a[16];
    bool v4;
    if (l == NULL || ip == NULL || !parse_addr(ip, a, &v4))
        return false;
    for (size_t i = 0; i < l->n; i++)
        if (in_net(&l->v[i], a))
            return true;
    return false;
}

wp_netlist *
wp_netlist_dup(const wp_netlist *l)
{
    wp_netlist *c = wp_netlist_new();
    if (c == NULL || l == NULL || l->n == 0)
        return c;
    c->v = malloc(l->n * sizeof(net));
    if (c->v == NULL) {
        free(c);
        return NULL;
    }
    memcpy(c->v, l->v, l->n * sizeof(net));
    c->n = c->cap = l->n;
    return c;
}
