/*
 * netlog.c - the network-log parser object: limits, statistics and reasons, and the per-line
 * dispatch to the Zeek TSV, Zeek JSON and Suricata EVE readers.
 *
 * Every line is counted exactly once: as a record, a header ('#' line), skipped-bad (the
 * first WP_NETLOG_REASONS reasons kept with their line numbers) or skipped-unknown (well
 * formed, of a kind not used; a blank line also counts here). The parser allocates once, at
 * creation: a scratch buffer of twice the line limit for unescaped JSON strings and joined
 * arrays, and the TSV column map; nothing per line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlog_int.h"

static const char *const kind_names[WP_NET__COUNT] = {
    [WP_NET_CONN] = "conn", [WP_NET_DNS] = "dns",     [WP_NET_HTTP] = "http", [WP_NET_TLS] = "tls",
    [WP_NET_FILE] = "file", [WP_NET_ALERT] = "alert", [WP_NET_HOST] = "host",
};

const char *
wp_net_kind_name(wp_net_kind k)
{
    return (unsigned)k < WP_NET__COUNT ? kind_names[k] : "unknown";
}

void
wp_netlog_limits_init(wp_netlog_limits *l)
{
    l->max_line_bytes = 64 * 1024;
    l->max_fields = 256;
    l->json_depth = 32;
}

/* Zeek log names (#path, "_path", the file name's first part) */
static const struct {
    const char *name;
    int kind;
} zeek_paths[] = {
    {"conn", WP_NET_CONN},
    {"dns", WP_NET_DNS},
    {"http", WP_NET_HTTP},
    {"ssl", WP_NET_TLS},
    {"files", WP_NET_FILE},
    {"dhcp", WP_NET_HOST},
    {"known_hosts", WP_NET_HOST},
    {"kerberos", WP_NET_HOST},
    /* RITA's names for long-lived connections still open at rotation */
    {"open_conn", WP_NET_CONN},
    {"open_http", WP_NET_HTTP},
    {"open_ssl", WP_NET_TLS},
};

/* Zeek logs we do not use: a file named after one is skipped-unknown whatever its fields
 * (known_services.log has a "host" field like known_hosts.log) */
static const char *const zeek_other[] = {
    "analyzer",
    "broker",
    "capture_loss",
    "cluster",
    "config",
    "dce_rpc",
    "dnp3",
    "dpd",
    "ftp",
    "intel",
    "irc",
    "known_certs",
    "known_modbus",
    "known_services",
    "ldap",
    "ldap_search",
    "loaded_scripts",
    "modbus",
    "mqtt_connect",
    "mysql",
    "netcontrol",
    "notice",
    "notice_alarm",
    "ntlm",
    "ntp",
    "ocsp",
    "packet_filter",
    "pe",
    "print",
    "quic",
    "radius",
    "rdp",
    "reporter",
    "rfb",
    "signatures",
    "sip",
    "smb_cmd",
    "smb_files",
    "smb_mapping",
    "smtp",
    "snmp",
    "socks",
    "software",
    "ssh",
    "stats",
    "syslog",
    "traceroute",
    "tunnel",
    "weird",
    "x509",
};

int
net_kind_of_name(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof zeek_paths / sizeof zeek_paths[0]; i++) {
        if (strlen(zeek_paths[i].name) == n && memcmp(zeek_paths[i].name, s, n) == 0)
            return zeek_paths[i].kind;
    }
    return NET_KIND_OTHER;
}

static bool
is_other_zeek_log(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof zeek_other / sizeof zeek_other[0]; i++) {
        if (strlen(zeek_other[i]) == n && memcmp(zeek_other[i], s, n) == 0)
            return true;
    }
    return false;
}

static unsigned long long
clamp(unsigned long long v, unsigned long long lo, unsigned long long hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

wp_status
wp_netlog_parser_new(const wp_netlog_limits *lim, wp_netlog_parser **out)
{
    if (out == NULL)
        return WP_EINVAL;
    wp_netlog_parser *p = calloc(1, sizeof *p);
    if (p == NULL)
        return WP_ENOMEM;
    if (lim != NULL)
        p->lim = *lim;
    else
        wp_netlog_limits_init(&p->lim);
    p->lim.max_line_bytes =
        (size_t)clamp(p->lim.max_line_bytes, NET_MAX_LINE_FLOOR, NET_MAX_LINE_CEIL);
    p->lim.max_fields = (unsigned)clamp(p->lim.max_fields, 1, NET_MAX_FIELDS);
    p->lim.json_depth = (unsigned)clamp(p->lim.json_depth, 1, NET_MAX_DEPTH);
    /* unescaping never grows a string and a joined array is shorter than its JSON text,
     * so twice the line is enough for everything one line puts here */
    p->scratch_cap = 2 * p->lim.max_line_bytes + 64;
    p->scratch = malloc(p->scratch_cap);
    p->tsv.map = calloc(p->lim.max_fields, 1);
    if (p->scratch == NULL || p->tsv.map == NULL) {
        wp_netlog_parser_free(p);
        return WP_ENOMEM;
    }
    net_names_init(p);
    p->rec_parts = NET_PARTS_NONE;
    wp_netlog_parser_reset(p, NULL);
    *out = p;
    return WP_OK;
}

void
wp_netlog_parser_free(wp_netlog_parser *p)
{
    if (p == NULL)
        return;
    free(p->scratch);
    free(p->tsv.map);
    free(p);
}

/* "conn.18:00:00-19:00:00.log.gz" -> "conn"; a directory part is ignored */
static int
hint_kind(const char *hint)
{
    if (hint == NULL)
        return NET_KIND_NONE;
    const char *base = strrchr(hint, '/');
    base = base ? base + 1 : hint;
    size_t n = strcspn(base, ".");
    if (n == 0)
        return NET_KIND_NONE;
    int k = net_kind_of_name(base, n);
    if (k != NET_KIND_OTHER)
        return k;
    /* a name we do not know ("eve", "ORIGINALdns") tells nothing: the fields will */
    return is_other_zeek_log(base, n) ? NET_KIND_OTHER : NET_KIND_NONE;
}

void
wp_netlog_parser_reset(wp_netlog_parser *p, const char *hint)
{
    if (p == NULL)
        return;
    p->lineno = 0;
    p->last_ts = 0;
    p->hint_kind = hint_kind(hint);
    p->quiet = false;
    p->stopped = false;
    net_tsv_reset(p);
}

const wp_netlog_stats *
wp_netlog_parser_stats(const wp_netlog_parser *p)
{
    return p ? &p->st : NULL;
}

void
net_bad(wp_netlog_parser *p, const char *fmt, ...)
{
    if (p->quiet)
        return;
    p->st.skipped_bad++;
    if (p->st.n_reasons >= WP_NETLOG_REASONS)
        return;
    unsigned i = p->st.n_reasons++;
    p->st.reasons[i].line = p->lineno;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->st.reasons[i].text, sizeof p->st.reasons[i].text, fmt, ap);
    va_end(ap);
}

void
net_unknown(wp_netlog_parser *p)
{
    if (!p->quiet)
        p->st.skipped_unknown++;
}

void
net_header(wp_netlog_parser *p)
{
    if (!p->quiet)
        p->st.headers++;
}

void
net_emit(wp_netlog_parser *p, const wp_net_record *r)
{
    if (p->quiet)
        return;
    p->st.records++;
    if (r->ts != 0) {
        if (p->last_ts != 0 && r->ts < p->last_ts)
            p->st.out_of_order++;
        p->last_ts = r->ts;
    }
    if (!p->fn(p->ctx, r))
        p->stopped = true;
}

char *
net_scratch(wp_netlog_parser *p, size_t n)
{
    if (n > p->scratch_cap - p->scratch_len)
        return NULL;
    char *d = p->scratch + p->scratch_len;
    p->scratch_len += n;
    return d;
}

static void
dispatch(wp_netlog_parser *p, const char *s, size_t n)
{
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (n > p->lim.max_line_bytes) {
        net_bad(p, "line too long: %zu bytes, limit %zu", n, p->lim.max_line_bytes);
        return;
    }
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i == n) {
        net_unknown(p); /* blank */
        return;
    }
    if (s[0] == '#') {
        net_tsv_header(p, s, n);
        return;
    }
    if (s[i] != '{') {
        net_tsv_data(p, s, n);
        return;
    }
    if (p->quiet)
        return;
    p->scratch_len = 0;
    p->join_sep = ',';
    net_vals_clear(p);
    p->tsv.vals_ok = false;
    const char *why = NULL;
    if (!net_json_scan(p, s + i, n - i, &why)) {
        net_bad(p, "bad JSON: %s", why);
        return;
    }
    if (p->v[S_EVENT_TYPE].type != V_ABSENT)
        net_eve(p);
    else
        net_zeek_json(p);
}

wp_status
wp_netlog_feed_line(wp_netlog_parser *p, const char *line, size_t len, wp_net_record_fn fn,
                    void *ctx)
{
    if (p == NULL || (line == NULL && len > 0) || fn == NULL)
        return WP_EINVAL;
    p->st.lines++;
    p->st.bytes += len;
    p->lineno++;
    p->fn = fn;
    p->ctx = ctx;
    p->stopped = false;
    dispatch(p, line, len);
    return p->stopped ? WP_EINVAL : WP_OK;
}

wp_status
wp_netlog_feed(wp_netlog_parser *p, const char *buf, size_t len, wp_net_record_fn fn, void *ctx)
{
    if (p == NULL || (buf == NULL && len > 0) || fn == NULL)
        return WP_EINVAL;
    const char *q = buf, *end = buf + len;
    while (q < end) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        size_t n = nl ? (size_t)(nl - q) : (size_t)(end - q);
        wp_status s = wp_netlog_feed_line(p, q, n, fn, ctx);
        if (nl != NULL)
            p->st.bytes++;
        if (s != WP_OK)
            return s;
        q += n + (nl != NULL);
    }
    return WP_OK;
}

void
net_line_too_long(wp_netlog_parser *p, unsigned long long n_seen)
{
    p->st.lines++;
    p->lineno++;
    net_bad(p, "line too long: more than %llu bytes, limit %zu", n_seen, p->lim.max_line_bytes);
}

void
net_restore_header(wp_netlog_parser *p, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0 || line[0] != '#' || len > p->lim.max_line_bytes)
        return;
    p->quiet = true;
    p->lineno++;
    net_tsv_header(p, line, len);
    p->quiet = false;
}
