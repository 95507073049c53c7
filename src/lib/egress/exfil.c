/*
 * exfil.c - outbound volume per internal host, and credentials POSTed to outside hosts.
 *
 * Volume: each host's orig_bytes to outside, allow-list excepted, summed per volume_window
 * (aligned to multiples of it in log time). When a window closes its sum is folded into an
 * exponentially weighted mean of the host's windows (alpha 0.3; a window without traffic
 * counts as 0), the baseline. A window whose sum passes exfil_min_bytes and exfil_factor
 * times the baseline is a finding at once, not at the window's end; again in the same
 * window when the sum has doubled. A host's first window only sets its baseline: with no
 * history there is nothing to compare with.
 *
 * Ceilings: what no baseline excuses, judged from a host's very first record. One
 * connection with exfil_conn_bytes out, or exfil_dest_bytes out from one host to one
 * destination within a volume_window (the pair's window sum, kept in the pair), is a
 * NET_EXFIL_VOLUME about that destination; again in the same window when the pair's sum has
 * doubled. A connection whose pair the pair table refused is still judged against the
 * connection ceiling (deduplicated through eg_once()). The new-destination check
 * (beacon.c, dests.c) likewise applies from a host's first record.
 *
 * Credential POST: an HTTP POST to an outside host whose logged body has a secret-looking
 * field (password, pass, pwd, token, secret...) with a value, as form-urlencoded "name=value"
 * or JSON "name": "value". Identity fields (user, login, email...) alone do not count
 * (newsletter and search forms), but raise the score beside a secret. The evidence names
 * the fields, never their values.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "egress_int.h"

#define EWMA_ALPHA 0.3

struct eg_host {
    uint8_t ip[16];
    double first_ts, last_ts;
    double win_start;
    uint64_t win_bytes, win_reported;
    double baseline;
    unsigned long long windows; /* windows folded into the baseline */
};

static bool
host_eq(const void *ent, const void *key, size_t klen)
{
    (void)klen; /* always the 16 bytes: a constant size lets the compare be inlined */
    return memcmp(((const eg_host *)ent)->ip, key, sizeof((const eg_host *)ent)->ip) == 0;
}

static void
roll(const wp_egress *e, eg_host *h, double w)
{
    double W = e->cfg.volume_window;
    double k = floor((w - h->win_start) / W + 0.5); /* windows passed; >= 1 */
    h->baseline = h->windows == 0
                      ? (double)h->win_bytes
                      : EWMA_ALPHA * (double)h->win_bytes + (1 - EWMA_ALPHA) * h->baseline;
    if (k > 1)
        h->baseline *= pow(1 - EWMA_ALPHA, k - 1); /* the quiet windows between */
    h->windows += k < 1e9 ? (unsigned long long)k : 1000000000ULL;
    h->win_start = w;
    h->win_bytes = 0;
    h->win_reported = 0;
}

static void
volume(wp_egress *e, eg_rec *x, eg_host *h, uint64_t bytes)
{
    h->win_bytes = h->win_bytes > UINT64_MAX - bytes ? UINT64_MAX : h->win_bytes + bytes;
    if (h->windows == 0 || h->win_bytes < e->cfg.exfil_min_bytes ||
        (double)h->win_bytes < e->cfg.exfil_factor * h->baseline ||
        h->win_bytes < 2 * h->win_reported)
        return;
    h->win_reported = h->win_bytes;
    eg_rec_text(x);
    wp_egress_finding f;
    eg_finding_init(&f, WP_EG_EXFIL_VOLUME, x->r->ts, "");
    f.first_ts = h->win_start;
    eg_addr_text(h->ip, f.src, sizeof f.src);
    snprintf(f.dst, sizeof f.dst, "(all destinations)");
    double thr = fmax(e->cfg.exfil_factor * h->baseline, (double)e->cfg.exfil_min_bytes);
    f.score = fmin(1.0, 0.5 + 0.25 * log2((double)h->win_bytes / thr));
    f.count = h->win_bytes;
    eg_evidence(&f,
                "%llu bytes out in the %.0f s window from %.0f, baseline %.0f bytes per "
                "window (%.1fx; thresholds %gx and %llu bytes); last to %s",
                (unsigned long long)h->win_bytes, e->cfg.volume_window, h->win_start, h->baseline,
                h->baseline > 0 ? (double)h->win_bytes / h->baseline : 0.0, e->cfg.exfil_factor,
                (unsigned long long)e->cfg.exfil_min_bytes, x->dst_txt);
    eg_emit(e, &f);
}

void
eg_host_conn(wp_egress *e, eg_rec *x)
{
    const wp_net_record *r = x->r;
    uint64_t hash = x->host_hash;
    eg_host *h = eg_map_get(&e->hosts, hash, x->src, 16, host_eq);
    double w = floor(r->ts / e->cfg.volume_window) * e->cfg.volume_window;
    if (h == NULL) {
        if (e->hosts.n >= e->cfg.max_hosts) {
            x->capped = true;
            return;
        }
        h = calloc(1, sizeof(*h));
        if (h == NULL || !eg_map_put(&e->hosts, hash, h)) {
            free(h);
            x->capped = true;
            return;
        }
        memcpy(h->ip, x->src, 16);
        h->first_ts = h->last_ts = r->ts;
        h->win_start = w;
    }
    if (r->ts > h->last_ts)
        h->last_ts = r->ts;
    if (r->ts < h->first_ts)
        h->first_ts = r->ts;
    if (w > h->win_start)
        roll(e, h, w);
    /* a late record of an earlier window counts in the current one */
    volume(e, x, h, r->orig_bytes > 0 ? (uint64_t)r->orig_bytes : 0);
}

/* ---- absolute ceilings ---- */

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Fold the connection into its pair's window; true when the ceiling report is due. */
static bool
ceiling_window(const wp_egress *e, const wp_net_record *r, eg_ceiling *c, uint64_t bytes)
{
    double w = floor(r->ts / e->cfg.volume_window) * e->cfg.volume_window;
    if (w > c->win_start || c->win_bytes == 0) {
        c->win_start = w > c->win_start ? w : c->win_start;
        c->win_first = r->ts;
        c->win_bytes = c->win_reported = c->win_max = 0;
    }
    if (r->ts < c->win_first)
        c->win_first = r->ts;
    /* a late record of an earlier window counts in the current one */
    c->win_bytes = add_sat(c->win_bytes, bytes);
    if (bytes > c->win_max)
        c->win_max = bytes;
    bool hit = bytes >= e->cfg.exfil_conn_bytes || c->win_bytes >= e->cfg.exfil_dest_bytes;
    if (!hit || (c->win_reported > 0 && c->win_bytes / 2 < c->win_reported))
        return false;
    c->win_reported = c->win_bytes;
    return true;
}

void
eg_exfil_ceiling(wp_egress *e, eg_rec *x, eg_ceiling *c)
{
    const wp_net_record *r = x->r;
    uint64_t bytes = r->orig_bytes > 0 ? (uint64_t)r->orig_bytes : 0;
    unsigned long long conns = 1;
    double first = r->ts;
    if (c != NULL) {
        if (!ceiling_window(e, r, c, bytes))
            return;
    } else if (bytes < e->cfg.exfil_conn_bytes ||
               !eg_once(e, x, WP_EG_EXFIL_VOLUME, (const char *)x->dst, 16, &conns, &first)) {
        return;
    }
    eg_rec_text(x);
    wp_egress_finding f;
    eg_finding_init(&f, WP_EG_EXFIL_VOLUME, r->ts, x->src_txt);
    (void)snprintf(f.dst, sizeof f.dst, "%s", x->dst_txt);
    f.dst_port = r->dst_port >= 0 ? r->dst_port : WP_NET_UNSET;
    double ratio = (double)bytes / (double)e->cfg.exfil_conn_bytes;
    if (c != NULL) {
        f.first_ts = c->win_first;
        f.count = c->win_bytes;
        ratio = fmax(ratio, (double)c->win_bytes / (double)e->cfg.exfil_dest_bytes);
        eg_evidence(&f,
                    "ceiling: %llu bytes out to %s in the %.0f s window from %.0f, largest "
                    "connection %llu bytes (ceilings %llu per connection, %llu per destination "
                    "per window)",
                    (unsigned long long)c->win_bytes, x->dst_txt, e->cfg.volume_window,
                    c->win_start, (unsigned long long)c->win_max,
                    (unsigned long long)e->cfg.exfil_conn_bytes,
                    (unsigned long long)e->cfg.exfil_dest_bytes);
    } else {
        f.first_ts = first;
        f.count = bytes;
        eg_evidence(&f,
                    "ceiling: one connection of %llu bytes out to %s (ceiling %llu per "
                    "connection); %llu such connection%s",
                    (unsigned long long)bytes, x->dst_txt,
                    (unsigned long long)e->cfg.exfil_conn_bytes, conns, conns == 1 ? "" : "s");
    }
    f.score = fmin(1.0, 0.5 + 0.25 * log2(ratio));
    eg_emit(e, &f);
}

static bool
host_idle(void *ctx, void *ent)
{
    eg_host *h = ent;
    if (h->last_ts >= *(const double *)ctx)
        return false;
    free(h);
    return true;
}

void
eg_hosts_sweep(wp_egress *e, double before)
{
    eg_map_sweep(&e->hosts, host_idle, &before);
}

static void
free_ent(void *p)
{
    free(p);
}

void
eg_hosts_table_fini(wp_egress *e)
{
    eg_map_fini(&e->hosts, free_ent);
}

/* ---- credential POSTs ---- */

typedef struct cred_fields {
    bool secret, identity;
    char names[160]; /* the matching field names, for the evidence */
} cred_fields;

static bool
has_word(const char *name, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(name, words[i]) != NULL)
            return true;
    return false;
}

/* One field name (decoded, lower case) that has a value. */
static void
field(cred_fields *c, const char *name)
{
    static const char *const secret[] = {"pass", "pwd", "token", "secret", "passcode"};
    static const char *const exact_secret[] = {"pw", "pin", "otp"};
    static const char *const identity[] = {"user", "login", "email", "mail", "account", "uid"};
    bool s = has_word(name, secret, sizeof secret / sizeof secret[0]);
    for (size_t i = 0; !s && i < sizeof exact_secret / sizeof exact_secret[0]; i++)
        s = strcmp(name, exact_secret[i]) == 0;
    bool id = !s && has_word(name, identity, sizeof identity / sizeof identity[0]);
    if (!s && !id)
        return;
    c->secret |= s;
    c->identity |= id;
    size_t used = strlen(c->names);
    if (used + strlen(name) + 3 < sizeof c->names)
        snprintf(c->names + used, sizeof c->names - used, "%s%s", used ? ", " : "", name);
}

static int
hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* A field name into out (decoded, lower case, printable, at most cap-1 bytes). */
static void
name_copy(char *out, size_t cap, const char *p, size_t n, bool form)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        int c = (unsigned char)p[i];
        if (form && c == '+') {
            c = ' ';
        } else if (form && c == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 &&
                   hexval(p[i + 2]) >= 0) {
            c = hexval(p[i + 1]) * 16 + hexval(p[i + 2]);
            i += 2;
        }
        out[o++] = c >= 0x21 && c < 0x7f ? (char)tolower(c) : '_';
    }
    out[o] = '\0';
}

static void
scan_form(cred_fields *c, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] != '&' && p[j] != ';')
            j++;
        const char *eq = memchr(p + i, '=', j - i);
        if (eq != NULL && eq > p + i && (size_t)(eq - p) + 1 < j) {
            char name[64];
            name_copy(name, sizeof name, p + i, (size_t)(eq - (p + i)), true);
            field(c, name);
        }
        i = j + 1;
    }
}

/* JSON-ish: every "key": followed by a non-empty string or a number/literal. */
static void
scan_json(cred_fields *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '"')
            continue;
        size_t j = i + 1;
        while (j < n && p[j] != '"')
            j += p[j] == '\\' ? 2 : 1;
        if (j >= n)
            return;
        size_t k = j + 1;
        while (k < n && isspace((unsigned char)p[k]))
            k++;
        if (k < n && p[k] == ':') {
            size_t v = k + 1;
            while (v < n && isspace((unsigned char)p[v]))
                v++;
            bool value = v < n && (p[v] == '"' ? v + 1 < n && p[v + 1] != '"'
                                               : p[v] != '{' && p[v] != '[' && p[v] != 'n');
            if (value) {
                char name[64];
                name_copy(name, sizeof name, p + i + 1, j - i - 1, false);
                field(c, name);
            }
        }
        i = j;
    }
}

void
eg_cred_post(wp_egress *e, eg_rec *x)
{
    const wp_net_record *r = x->r;
    if (r->method.n != 4 || strncasecmp(r->method.p, "POST", 4) != 0 || r->post_body.n == 0)
        return;
    char host[EG_NAME_MAX];
    size_t hn = eg_name_norm(r->host.p, r->host.n, host);
    if (x->has_dst) {
        /* to one of ours (an intranet login) is not leaving; behind a proxy the logged
         * destination is the proxy and this check misses: docs/EGRESS.md */
        if (!eg_is_outside(e, x->dst) || x->dst_allowed)
            return;
    } else {
        uint8_t a[16];
        if (hn == 0 || (eg_addr_parse(host, hn, a) && !eg_is_outside(e, a)))
            return;
    }
    if (hn > 0 && eg_allowed_name(e, host, hn))
        return;
    cred_fields c;
    memset(&c, 0, sizeof c);
    const char *b = r->post_body.p;
    size_t bn = r->post_body.n;
    size_t lead = 0;
    while (lead < bn && isspace((unsigned char)b[lead]))
        lead++;
    if (lead < bn && b[lead] == '{')
        scan_json(&c, b + lead, bn - lead);
    else
        scan_form(&c, b, bn);
    if (!c.secret)
        return;
    eg_rec_text(x);
    const char *dst = hn > 0 ? host : x->dst_txt;
    unsigned long long count;
    double first;
    if (!eg_once(e, x, WP_EG_CRED_POST, dst, strlen(dst), &count, &first))
        return;
    wp_egress_finding f;
    eg_finding_init(&f, WP_EG_CRED_POST, r->ts, x->src_txt);
    f.first_ts = first;
    eg_safe_copy(f.dst, sizeof f.dst, dst, strlen(dst));
    f.dst_port = r->dst_port;
    f.score = c.identity ? 0.9 : 0.7;
    f.count = count;
    /* the path without its query: a query string can carry the secret too */
    size_t pn = 0;
    while (pn < r->uri.n && r->uri.p[pn] != '?')
        pn++;
    char path[128];
    eg_safe_copy(path, sizeof path, r->uri.p, pn);
    char names[160];
    eg_safe_copy(names, sizeof names, c.names, strlen(c.names));
    eg_evidence(&f, "POST to %s%s with credential fields: %s; %llu time%s", f.dst, path, names,
                count, count == 1 ? "" : "s");
    eg_emit(e, &f);
}
