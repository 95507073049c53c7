/*
 * ioc.c - indicator matching on network records: one hit is one finding.
 *
 * What is looked up (docs/EGRESS.md): the destination address of outbound connections
 * (internal source, destination outside; an inbound scan from a listed address is not our
 * host talking to it); DNS query names; the HTTP Host and the URL http://host/uri (or the
 * absolute URI a proxy logs); TLS SNI; JA3 and JA3S fingerprints; MD5/SHA1/SHA256 of
 * transferred files. Names and URLs are looked up whatever the direction: the resolver and
 * the proxy are internal, the name still says where the host wants to go. Allow-listed
 * destinations are never reported. Repeats are folded by eg_once(): a host that keeps
 * talking to a listed address is reported at the 1st, 2nd, 4th, 8th... hit.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "egress_int.h"

static void
report(wp_egress *e, eg_rec *x, wp_egress_code c, const char *dst, const wp_intel_match *m,
       const char *seen)
{
    unsigned long long count;
    double first;
    if (!eg_once(e, x, c, m->value, strlen(m->value), &count, &first))
        return;
    eg_rec_text(x);
    wp_egress_finding f;
    eg_finding_init(&f, c, x->r->ts, x->src_txt);
    f.first_ts = first;
    eg_safe_copy(f.dst, sizeof f.dst, dst, strlen(dst));
    if (c == WP_EG_IOC_IP || c == WP_EG_IOC_URL || c == WP_EG_IOC_JA3)
        f.dst_port = x->r->dst_port;
    f.score = 1.0;
    f.count = count;
    eg_safe_copy(f.indicator, sizeof f.indicator, m->value, strlen(m->value));
    if (m->source != NULL)
        eg_safe_copy(f.source, sizeof f.source, m->source, strlen(m->source));
    char label[256];
    wp_intel_match_label(m, label, sizeof label);
    char lab[200];
    eg_safe_copy(lab, sizeof lab, label, strlen(label));
    eg_evidence(&f, "%s matches %s indicator %.120s (%s), %llu time%s", seen,
                wp_intel_type_name(m->type), f.indicator, lab, count, count == 1 ? "" : "s");
    eg_emit(e, &f);
}

/* A host name (HTTP Host, SNI, DNS query): listed domain, or listed address when the name
 * is an address literal. Returns false when the name is allow-listed. */
static bool
check_name(wp_egress *e, eg_rec *x, const wp_net_str *s, const char *what)
{
    char name[EG_NAME_MAX];
    size_t n = eg_name_norm(s->p, s->n, name);
    if (n == 0)
        return true;
    if (eg_allowed_name(e, name, n))
        return false;
    wp_intel_match m;
    char seen[EG_NAME_MAX + 32];
    uint8_t a[16];
    if (eg_addr_parse(name, n, a)) {
        if (eg_is_outside(e, a) && !eg_allowed_addr(e, a) &&
            wp_intel_lookup_ip(e->intel, name, n, &m)) {
            snprintf(seen, sizeof seen, "%s %.*s", what, (int)n, name);
            report(e, x, WP_EG_IOC_IP, name, &m, seen);
        }
        return true;
    }
    if (wp_intel_lookup_domain(e->intel, name, n, &m)) {
        snprintf(seen, sizeof seen, "%s %.*s", what, (int)n, name);
        report(e, x, WP_EG_IOC_DOMAIN, name, &m, seen);
    }
    return true;
}

static void
check_url(wp_egress *e, eg_rec *x)
{
    const wp_net_record *r = x->r;
    if (r->uri.n == 0 || r->uri.n > WP_INTEL_MAX_VALUE)
        return;
    char url[WP_INTEL_MAX_VALUE + EG_NAME_MAX + 16];
    size_t n;
    if ((r->uri.n > 7 && strncasecmp(r->uri.p, "http://", 7) == 0) ||
        (r->uri.n > 8 && strncasecmp(r->uri.p, "https://", 8) == 0)) {
        memcpy(url, r->uri.p, r->uri.n); /* a proxy logs the absolute URI */
        n = r->uri.n;
    } else {
        if (r->host.n == 0 || r->host.n >= EG_NAME_MAX)
            return;
        n = (size_t)snprintf(url, sizeof url, "http://%.*s", (int)r->host.n, r->host.p);
        if (r->uri.p[0] != '/')
            url[n++] = '/';
        memcpy(url + n, r->uri.p, r->uri.n);
        n += r->uri.n;
    }
    url[n] = '\0';
    wp_intel_match m;
    if (!wp_intel_lookup_url(e->intel, url, n, &m))
        return;
    eg_rec_text(x);
    char host[EG_NAME_MAX];
    size_t hn = eg_name_norm(r->host.p, r->host.n, host);
    char seen[300];
    eg_safe_copy(seen, sizeof seen, url, n);
    char ev[320];
    snprintf(ev, sizeof ev, "URL %s", seen);
    report(e, x, WP_EG_IOC_URL, hn > 0 ? host : x->dst_txt, &m, ev);
}

static void
check_ja3(wp_egress *e, eg_rec *x, const wp_net_str *s, const char *what)
{
    wp_intel_match m;
    if (s->n == 0 || !wp_intel_lookup_ja3(e->intel, s->p, s->n, &m))
        return;
    eg_rec_text(x);
    const wp_net_record *r = x->r;
    char dst[EG_NAME_MAX];
    size_t dn = eg_name_norm(r->sni.p, r->sni.n, dst);
    char seen[64];
    snprintf(seen, sizeof seen, "TLS %s %.32s", what, m.value);
    report(e, x, WP_EG_IOC_JA3, dn > 0 ? dst : x->dst_txt, &m, seen);
}

static void
check_hashes(wp_egress *e, eg_rec *x)
{
    const wp_net_record *r = x->r;
    const wp_net_str *h[3] = {&r->sha256, &r->sha1, &r->md5};
    char fname[96];
    eg_safe_copy(fname, sizeof fname, r->filename.p, r->filename.n);
    for (int i = 0; i < 3; i++) {
        wp_intel_match m;
        if (h[i]->n == 0 || !wp_intel_lookup_hash(e->intel, h[i]->p, h[i]->n, &m))
            continue;
        char seen[200];
        snprintf(seen, sizeof seen, "file %s%s%s", fname[0] ? "'" : "", fname,
                 fname[0] ? "'" : "(unnamed)");
        eg_rec_text(x);
        report(e, x, WP_EG_IOC_HASH, x->dst_txt, &m, seen);
        return; /* one file, one finding: its strongest digest */
    }
}

void
eg_ioc_record(wp_egress *e, eg_rec *x)
{
    if (e->intel == NULL)
        return;
    const wp_net_record *r = x->r;
    if (x->dst_allowed)
        return;
    wp_intel_match m;
    switch (r->kind) {
    case WP_NET_CONN:
        if (x->outbound && wp_intel_lookup_ip_bytes(e->intel, x->dst, 16, &m)) {
            eg_rec_text(x);
            char seen[96];
            snprintf(seen, sizeof seen, "connection to %s", x->dst_txt);
            report(e, x, WP_EG_IOC_IP, x->dst_txt, &m, seen);
        }
        break;
    case WP_NET_DNS:
        check_name(e, x, &r->query, "DNS query");
        break;
    case WP_NET_HTTP:
        if (r->host.n > 0 && !check_name(e, x, &r->host, "HTTP host"))
            break;
        check_url(e, x);
        check_hashes(e, x);
        break;
    case WP_NET_TLS:
        if (r->sni.n > 0 && !check_name(e, x, &r->sni, "TLS SNI"))
            break;
        check_ja3(e, x, &r->ja3, "JA3");
        check_ja3(e, x, &r->ja3s, "JA3S");
        break;
    case WP_NET_FILE: {
        /* files.log names sender and receiver; the finding is about our host */
        eg_rec_text(x);
        eg_rec y = *x;
        if (!x->src_internal && x->dst_internal) {
            memcpy(y.src, x->dst, 16);
            memcpy(y.dst, x->src, 16);
            memcpy(y.src_txt, x->dst_txt, sizeof y.src_txt);
            memcpy(y.dst_txt, x->src_txt, sizeof y.dst_txt);
        }
        check_hashes(e, &y);
        x->capped |= y.capped;
        break;
    }
    default:
        break;
    }
}
