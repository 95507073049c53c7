/*
 * analyze.c - what of a message is looked up in the indicator set, and the findings.
 *
 *   objects    md5/sha1/sha256 of every analysed object (parts, archive members): INTEL_HASH
 *   senders    addresses in From, Sender, Reply-To, Return-Path and the envelope MAIL FROM:
 *              the address (INTEL_SENDER) and its domain (INTEL_DOMAIN)
 *   links      every URL: the whole URL (INTEL_URL), else its host as a domain
 *              (INTEL_DOMAIN) or an IP literal (INTEL_LINK_IP)
 *   relays     IP addresses in Received headers and the SMTP client address: INTEL_IP
 * Bounds: at most ADDRS_PER_HEADER addresses per header, IPS_PER_RECEIVED per Received
 * field, and MAX_REPORTS intel findings per message; the same indicator matched for the
 * same code at the same place (header, part) twice is reported once. Every lookup costs the same
 * whatever the set's size.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "analyze.h"
#include "core/arena.h"
#include "engine/scan.h"
#include "set.h"

#define ADDRS_PER_HEADER 32
#define IPS_PER_RECEIVED 8
#define MAX_REPORTS      64

typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct intel_run {
    wp_scan *s;
    const wp_intel_set *set;
    uint64_t reported[MAX_REPORTS]; /* code + indicator fingerprints already reported */
    size_t n_reported;
} intel_run;

/* false when this code already fired for this indicator at this place, or enough has been
 * said (ten links to one listed host in one part are one piece of evidence) */
static bool
first_time(intel_run *run, const char *code, const char *where, const wp_intel_match *m)
{
    uint64_t h = intel_hash64(code, strlen(code)) ^ intel_hash64(m->value, strlen(m->value)) ^
                 (intel_hash64(where, strlen(where)) * 31);
    for (size_t i = 0; i < run->n_reported; i++)
        if (run->reported[i] == h)
            return false;
    if (run->n_reported == MAX_REPORTS)
        return false;
    run->reported[run->n_reported++] = h;
    return true;
}

/* Set-side text (file names, sources, indicator values) made safe for the report. */
static const char *
safe(wp_scan *s, const char *t)
{
    const char *r = wp_arena_sanitize(s->a, t, strlen(t), WP_INTEL_MAX_VALUE + 256);
    return r != NULL ? r : "?";
}

static const char *
label(wp_scan *s, const wp_intel_match *m)
{
    char buf[1024];
    return safe(s, wp_intel_match_label(m, buf, sizeof buf));
}

/* ---- hashes ---- */

static void
check_objects(intel_run *run)
{
    const wp_report *r = run->s->r;
    for (size_t i = 0; i < r->n_objects; i++) {
        const wp_object *o = &r->objects[i];
        if (!o->has_hashes)
            continue;
        const char *hx[] = {o->hashes.sha256, o->hashes.sha1, o->hashes.md5};
        wp_intel_match m;
        for (size_t h = 0; h < 3; h++) {
            if (hx[h][0] == '\0' || !wp_intel_lookup_hash(run->set, hx[h], strlen(hx[h]), &m))
                continue;
            wp_scan_finding(run->s, "INTEL_HASH", o->where, "%s %s of %s is listed in %s",
                            wp_intel_type_name(m.type), m.value, o->name ? o->name : o->where,
                            label(run->s, &m));
            break; /* one finding per file */
        }
    }
}

/* ---- addresses ---- */

static bool
local_char(unsigned char c)
{
    return isalnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

static bool
domain_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c >= 0x80;
}

/* addr-specs in a header value: the <...> ones when there are any (so a display name
 * that merely looks like an address is not taken for the sender), else every word with an
 * '@' in it. */
static size_t
addresses(const char *h, span *out, size_t max)
{
    size_t n = 0, len = strlen(h);
    bool angle = false;
    for (const char *p = h; n < max && (p = memchr(p, '<', (size_t)(h + len - p))) != NULL;) {
        const char *q = memchr(p, '>', (size_t)(h + len - p));
        if (q == NULL)
            break;
        angle = true;
        if (memchr(p, '@', (size_t)(q - p)) != NULL)
            out[n++] = (span){p + 1, (size_t)(q - p - 1)};
        p = q + 1;
    }
    if (angle)
        return n;
    for (size_t i = 0; i < len && n < max; i++) {
        if (h[i] != '@')
            continue;
        size_t a = i, b = i + 1;
        while (a > 0 && local_char((unsigned char)h[a - 1]))
            a--;
        while (b < len && domain_char((unsigned char)h[b]))
            b++;
        if (a < i && b > i + 1)
            out[n++] = (span){h + a, b - a};
        i = b > i ? b - 1 : i;
    }
    return n;
}

static void
check_address(intel_run *run, const char *what, const char *where, span a)
{
    wp_intel_match m;
    wp_scan *s = run->s;
    if (wp_intel_lookup_email(run->set, a.p, a.n, &m) && first_time(run, "INTEL_SENDER", where, &m))
        wp_scan_finding(s, "INTEL_SENDER", where, "%s address %s is listed in %s", what,
                        safe(s, m.value), label(s, &m));
    const char *at = NULL;
    for (size_t i = 0; i < a.n; i++)
        if (a.p[i] == '@')
            at = a.p + i;
    if (at == NULL)
        return;
    span d = {at + 1, (size_t)(a.p + a.n - at - 1)};
    while (d.n > 0 && (d.p[d.n - 1] == '>' || isspace((unsigned char)d.p[d.n - 1])))
        d.n--;
    if (wp_intel_lookup_domain(run->set, d.p, d.n, &m) &&
        first_time(run, "INTEL_DOMAIN", where, &m)) {
        const char *dom = wp_arena_sanitize(s->a, d.p, d.n, 300);
        if (dom != NULL && strcmp(dom, m.value) != 0)
            wp_scan_finding(s, "INTEL_DOMAIN", where, "%s domain %s is under listed domain %s (%s)",
                            what, dom, safe(s, m.value), label(s, &m));
        else
            wp_scan_finding(s, "INTEL_DOMAIN", where, "%s domain %s is listed in %s", what,
                            safe(s, m.value), label(s, &m));
    }
}

static void
check_senders(intel_run *run)
{
    const wp_report *r = run->s->r;
    const struct {
        const char *name, *where, *value;
    } hdr[] = {
        {"From", "header:From", r->from},
        {"Sender", "header:Sender", r->sender},
        {"Reply-To", "header:Reply-To", r->reply_to},
        {"Return-Path", "header:Return-Path", r->return_path},
    };
    span a[ADDRS_PER_HEADER];
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
        if (hdr[i].value == NULL)
            continue;
        size_t n = addresses(hdr[i].value, a, ADDRS_PER_HEADER);
        for (size_t k = 0; k < n; k++)
            check_address(run, hdr[i].name, hdr[i].where, a[k]);
    }
    const wp_envelope *env = run->s->env;
    if (env != NULL && env->mail_from != NULL && env->mail_from[0] != '\0')
        check_address(run, "envelope sender", "envelope:mail_from",
                      (span){env->mail_from, strlen(env->mail_from)});
}

/* ---- links ---- */

static void
check_urls(intel_run *run)
{
    wp_scan *s = run->s;
    const wp_report *r = s->r;
    wp_intel_match m;
    for (size_t i = 0; i < r->n_urls; i++) {
        const wp_url *u = &r->urls[i];
        const char *where = u->where != NULL ? u->where : "message";
        if (u->url != NULL && wp_intel_lookup_url(run->set, u->url, strlen(u->url), &m)) {
            if (first_time(run, "INTEL_URL", where, &m))
                wp_scan_finding(s, "INTEL_URL", where, "link %s is listed in %s", safe(s, m.value),
                                label(s, &m));
            continue; /* the most specific match says it all */
        }
        if (u->host == NULL)
            continue;
        size_t hl = strlen(u->host);
        if (u->host[0] == '[' || intel_looks_ip(u->host, hl)) {
            if (wp_intel_lookup_ip(run->set, u->host, hl, &m) &&
                first_time(run, "INTEL_LINK_IP", where, &m))
                wp_scan_finding(s, "INTEL_LINK_IP", where, "link host %s is listed as %s in %s",
                                u->host, safe(s, m.value), label(s, &m));
        } else if (wp_intel_lookup_domain(run->set, u->host, hl, &m) &&
                   first_time(run, "INTEL_DOMAIN", where, &m)) {
            if (strcmp(u->host, m.value) != 0)
                wp_scan_finding(s, "INTEL_DOMAIN", where,
                                "link host %s is under listed domain %s (%s)", u->host,
                                safe(s, m.value), label(s, &m));
            else
                wp_scan_finding(s, "INTEL_DOMAIN", where, "link host %s is listed in %s", u->host,
                                label(s, &m));
        }
    }
}

/* ---- relays ---- */

typedef struct ipaddr {
    uint8_t a[16];
    int fam;
} ipaddr;

static void
add_ip(const char *p, size_t n, ipaddr *out, size_t *k, size_t max)
{
    ipaddr ip;
    int plen;
    char why[96];
    if (*k >= max || n == 0 || n > 60 ||
        !intel_parse_ip(p, n, false, ip.a, &ip.fam, &plen, why, sizeof why))
        return;
    for (size_t i = 0; i < *k; i++)
        if (out[i].fam == ip.fam && memcmp(out[i].a, ip.a, ip.fam == 4 ? 4 : 16) == 0)
            return;
    out[(*k)++] = ip;
}

/* IP literals of a Received field: "[192.0.2.1]", "[IPv6:2001:db8::1]", and bare dotted
 * quads ("(192.0.2.1)", "from 192.0.2.1"). */
static size_t
received_ips(const char *h, ipaddr *out, size_t max)
{
    size_t k = 0, len = strlen(h);
    for (size_t i = 0; i < len && k < max; i++) {
        if (h[i] == '[') {
            const char *e = memchr(h + i, ']', len - i < 64 ? len - i : 64);
            if (e == NULL)
                continue;
            const char *p = h + i + 1;
            if ((size_t)(e - p) > 5 && strncasecmp(p, "IPv6:", 5) == 0)
                p += 5;
            add_ip(p, (size_t)(e - p), out, &k, max);
            i = (size_t)(e - h);
        } else if (isdigit((unsigned char)h[i]) &&
                   (i == 0 ||
                    (!isalnum((unsigned char)h[i - 1]) && h[i - 1] != '.' && h[i - 1] != ':'))) {
            size_t j = i;
            while (j < len && (isdigit((unsigned char)h[j]) || h[j] == '.'))
                j++;
            if (j - i >= 7 && j - i <= 15 && (j == len || !isalnum((unsigned char)h[j])))
                add_ip(h + i, j - i, out, &k, max);
            i = j;
        }
    }
    return k;
}

static void
check_relays(intel_run *run)
{
    wp_scan *s = run->s;
    const wp_report *r = s->r;
    wp_intel_match m;
    ipaddr ips[IPS_PER_RECEIVED];
    for (size_t i = 0; i < r->n_received; i++) {
        size_t n = received_ips(r->received[i], ips, IPS_PER_RECEIVED);
        for (size_t k = 0; k < n; k++)
            if (wp_intel_lookup_ip_bytes(run->set, ips[k].a, ips[k].fam == 4 ? 4 : 16, &m) &&
                first_time(run, "INTEL_IP", "header:Received", &m))
                wp_scan_finding(s, "INTEL_IP", "header:Received",
                                "relay in Received header %zu of %zu is listed as %s in %s", i + 1,
                                r->n_received, safe(s, m.value), label(s, &m));
    }
    const wp_envelope *env = s->env;
    if (env != NULL && env->client_ip != NULL &&
        wp_intel_lookup_ip(run->set, env->client_ip, strlen(env->client_ip), &m) &&
        first_time(run, "INTEL_IP", "envelope:client_ip", &m))
        wp_scan_finding(s, "INTEL_IP", "envelope:client_ip", "SMTP client %s is listed as %s in %s",
                        wp_arena_sanitize(s->a, env->client_ip, strlen(env->client_ip), 64),
                        safe(s, m.value), label(s, &m));
}

void
intel_analyze(wp_scan *s, void *state)
{
    intel_run run = {.s = s, .set = state};
    if (run.set == NULL)
        return;
    check_objects(&run);
    check_senders(&run);
    check_urls(&run);
    check_relays(&run);
}
