/*
 * fields.c - field names to slots, and slots to a wp_net_record.
 *
 * One table names every field we use, as Zeek writes it ("id.orig_h") and as Suricata's EVE
 * nests it ("flow.bytes_toserver", dotted by the JSON scanner). It is hashed into the
 * parser at creation (no global mutable state), so a TSV header or a JSON key costs one hash
 * and a probe or two. net_build() then converts the slots of one line: numbers are checked
 * (a port above 65535, a count that is not a number: the line is skipped-bad with the field
 * named), strings are borrowed as they are.
 *
 * The record is built in place in the parser, part by part (the fields of each kind of log):
 * a layout without a part's fields skips the part, and every part built writes every field
 * it owns, absent ones included, so no line's record needs clearing first. A field added
 * to wp_net_record belongs to exactly one part (or the head) and must be written there on
 * every line.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "netlog_int.h"

static const struct {
    const char *name;
    uint8_t slot;
} name_list[] = {
    /* Zeek (TSV columns and flat JSON keys) */
    {"ts", S_TS},
    {"uid", S_UID},
    {"id.orig_h", S_SRC_IP},
    {"id.resp_h", S_DST_IP},
    {"id.orig_p", S_SRC_PORT},
    {"id.resp_p", S_DST_PORT},
    {"proto", S_PROTO},
    {"service", S_SERVICE},
    {"duration", S_DURATION},
    {"orig_bytes", S_ORIG_BYTES},
    {"resp_bytes", S_RESP_BYTES},
    {"orig_pkts", S_ORIG_PKTS},
    {"resp_pkts", S_RESP_PKTS},
    {"conn_state", S_CONN_STATE},
    {"query", S_QUERY},
    {"qtype_name", S_QTYPE},
    {"rcode_name", S_RCODE},
    {"answers", S_ANSWERS},
    {"method", S_METHOD},
    {"host", S_HOST},
    {"uri", S_URI},
    {"user_agent", S_USER_AGENT},
    {"referrer", S_REFERRER},
    {"post_body", S_POST_BODY},
    {"status_code", S_STATUS},
    {"request_body_len", S_REQ_LEN},
    {"response_body_len", S_RESP_LEN},
    {"server_name", S_SNI},
    {"ja3", S_JA3},
    {"ja3s", S_JA3S},
    {"version", S_VERSION},
    {"subject", S_SUBJECT},
    {"issuer", S_ISSUER},
    {"md5", S_MD5},
    {"sha1", S_SHA1},
    {"sha256", S_SHA256},
    {"mime_type", S_MIME},
    {"filename", S_FILENAME},
    {"tx_hosts", S_TX_HOSTS},
    {"rx_hosts", S_RX_HOSTS},
    {"conn_uids", S_CONN_UIDS},
    {"fuid", S_FUID},
    {"assigned_addr", S_ASSIGNED},
    {"assigned_ip", S_ASSIGNED}, /* dhcp.log before Zeek 3.0 */
    {"client_addr", S_CLIENT_ADDR},
    {"server_addr", S_SERVER_ADDR},
    {"host_name", S_HOST_NAME},
    {"mac", S_MAC},
    {"client", S_CLIENT},
    {"_path", S_PATH},
    {"history", S_P_HISTORY},
    {"trans_id", S_P_TRANS_ID},
    {"lease_time", S_P_LEASE},
    {"request_type", S_P_REQUEST_TYPE},
    {"curve", S_P_CURVE},
    /* Suricata EVE */
    {"timestamp", S_TS},
    {"flow_id", S_UID},
    {"src_ip", S_SRC_IP},
    {"dest_ip", S_DST_IP},
    {"src_port", S_SRC_PORT},
    {"dest_port", S_DST_PORT},
    {"app_proto", S_SERVICE},
    {"event_type", S_EVENT_TYPE},
    {"flow.bytes_toserver", S_ORIG_BYTES},
    {"flow.bytes_toclient", S_RESP_BYTES},
    {"flow.pkts_toserver", S_ORIG_PKTS},
    {"flow.pkts_toclient", S_RESP_PKTS},
    {"flow.start", S_START},
    {"flow.end", S_END},
    {"flow.state", S_CONN_STATE},
    {"dns.rrname", S_QUERY},
    {"dns.rrtype", S_QTYPE},
    {"dns.rcode", S_RCODE},
    {"dns.rdata", S_RDATA},
    {"dns.answers.rdata", S_ANSWERS},
    {"dns.queries.rrname", S_QUERIES},
    {"dns.queries.rrtype", S_QTYPE},
    {"http.hostname", S_HTTP_HOST},
    {"http.url", S_URI},
    {"http.http_user_agent", S_USER_AGENT},
    {"http.http_method", S_METHOD},
    {"http.status", S_STATUS},
    {"http.length", S_RESP_LEN},
    {"http.http_refer", S_REFERRER},
    {"tls.sni", S_SNI},
    {"tls.version", S_TLS_VERSION},
    {"tls.subject", S_SUBJECT},
    {"tls.issuerdn", S_ISSUER},
    {"tls.ja3.hash", S_JA3},
    {"tls.ja3s.hash", S_JA3S},
    {"fileinfo.filename", S_FILENAME},
    {"fileinfo.md5", S_MD5},
    {"fileinfo.sha1", S_SHA1},
    {"fileinfo.sha256", S_SHA256},
    {"fileinfo.magic", S_MIME},
    {"alert.signature", S_SIGNATURE},
    {"alert.signature_id", S_SIG_ID},
    {"alert.severity", S_SEVERITY},
    {"alert.category", S_CATEGORY},
};

/* names in reasons: Zeek's, then EVE's where it differs */
static const char *const slot_names[S__COUNT][2] = {
    [S_TS] = {"ts", "timestamp"},
    [S_SRC_PORT] = {"id.orig_p", "src_port"},
    [S_DST_PORT] = {"id.resp_p", "dest_port"},
    [S_DURATION] = {"duration", "flow.start/end"},
    [S_ORIG_BYTES] = {"orig_bytes", "flow.bytes_toserver"},
    [S_RESP_BYTES] = {"resp_bytes", "flow.bytes_toclient"},
    [S_ORIG_PKTS] = {"orig_pkts", "flow.pkts_toserver"},
    [S_RESP_PKTS] = {"resp_pkts", "flow.pkts_toclient"},
    [S_STATUS] = {"status_code", "http.status"},
    [S_REQ_LEN] = {"request_body_len", "request_body_len"},
    [S_RESP_LEN] = {"response_body_len", "http.length"},
    [S_SIG_ID] = {"signature_id", "alert.signature_id"},
    [S_SEVERITY] = {"severity", "alert.severity"},
    [S_START] = {"start", "flow.start"},
    [S_END] = {"end", "flow.end"},
};

/* The net_build() part that reads each slot beyond the common head (none: the head, or
 * slots read only to tell a log's kind). Every slot a part reads is listed under it, so a
 * part is skipped only when all its slots are absent. */
static const uint8_t slot_parts[S__COUNT] = {
    [S_DURATION] = NET_PART_CONN,
    [S_START] = NET_PART_CONN,
    [S_END] = NET_PART_CONN,
    [S_ORIG_BYTES] = NET_PART_CONN,
    [S_RESP_BYTES] = NET_PART_CONN,
    [S_ORIG_PKTS] = NET_PART_CONN,
    [S_RESP_PKTS] = NET_PART_CONN,
    [S_CONN_STATE] = NET_PART_CONN,
    [S_QUERY] = NET_PART_DNS,
    [S_QUERIES] = NET_PART_DNS,
    [S_QTYPE] = NET_PART_DNS,
    [S_RCODE] = NET_PART_DNS,
    [S_ANSWERS] = NET_PART_DNS,
    [S_GROUPED] = NET_PART_DNS,
    [S_RDATA] = NET_PART_DNS,
    [S_METHOD] = NET_PART_HTTP,
    [S_HOST] = NET_PART_HTTP | NET_PART_HOST,
    [S_HTTP_HOST] = NET_PART_HTTP,
    [S_URI] = NET_PART_HTTP,
    [S_USER_AGENT] = NET_PART_HTTP,
    [S_REFERRER] = NET_PART_HTTP,
    [S_POST_BODY] = NET_PART_HTTP,
    [S_STATUS] = NET_PART_HTTP,
    [S_REQ_LEN] = NET_PART_HTTP,
    [S_RESP_LEN] = NET_PART_HTTP,
    [S_SNI] = NET_PART_TLS,
    [S_JA3] = NET_PART_TLS,
    [S_JA3S] = NET_PART_TLS,
    [S_VERSION] = NET_PART_TLS,
    [S_TLS_VERSION] = NET_PART_TLS,
    [S_SUBJECT] = NET_PART_TLS,
    [S_ISSUER] = NET_PART_TLS,
    [S_MD5] = NET_PART_FILE,
    [S_SHA1] = NET_PART_FILE,
    [S_SHA256] = NET_PART_FILE,
    [S_MIME] = NET_PART_FILE,
    [S_FILENAME] = NET_PART_FILE,
    [S_TX_HOSTS] = NET_PART_FILE,
    [S_RX_HOSTS] = NET_PART_FILE,
    [S_SIGNATURE] = NET_PART_ALERT,
    [S_SIG_ID] = NET_PART_ALERT,
    [S_SEVERITY] = NET_PART_ALERT,
    [S_CATEGORY] = NET_PART_ALERT,
    [S_ASSIGNED] = NET_PART_HOST,
    [S_CLIENT_ADDR] = NET_PART_HOST,
    [S_SERVER_ADDR] = NET_PART_HOST,
    [S_HOST_NAME] = NET_PART_HOST,
    [S_MAC] = NET_PART_HOST,
    [S_CLIENT] = NET_PART_HOST,
};

unsigned
net_parts_of(const uint8_t *present)
{
    unsigned parts = 0;
    for (size_t i = 0; i < S__COUNT; i++)
        if (present[i])
            parts |= slot_parts[i];
    return parts;
}

static size_t
bucket(const char *name, size_t n)
{
    return (size_t)(net_fnv64(name, n) & (NET_NAME_BUCKETS - 1));
}

void
net_names_init(wp_netlog_parser *p)
{
    memset(p->names, 0, sizeof p->names);
    for (size_t i = 0; i < sizeof name_list / sizeof name_list[0]; i++) {
        size_t n = strlen(name_list[i].name);
        size_t b = bucket(name_list[i].name, n);
        while (p->names[b].name != NULL)
            b = (b + 1) & (NET_NAME_BUCKETS - 1);
        p->names[b] = (net_name_ent){name_list[i].name, (uint16_t)n, name_list[i].slot};
    }
}

net_slot
net_lookup(const wp_netlog_parser *p, const char *name, size_t n)
{
    if (n == 0 || n > 64)
        return S_NONE;
    for (size_t b = bucket(name, n);; b = (b + 1) & (NET_NAME_BUCKETS - 1)) {
        const net_name_ent *e = &p->names[b];
        if (e->name == NULL)
            return S_NONE;
        if (e->len == n && memcmp(e->name, name, n) == 0)
            return (net_slot)e->slot;
    }
}

void
net_vals_clear(wp_netlog_parser *p)
{
    memset(p->v, 0, sizeof p->v);
}

int
net_kind_from_fields(const uint8_t *has)
{
    /* conservative: a log of another kind (smtp, ssh, weird...) must tell nothing */
    if (has[S_CONN_STATE] || (has[S_ORIG_BYTES] && has[S_P_HISTORY]))
        return WP_NET_CONN;
    if (has[S_QUERY] && (has[S_QTYPE] || has[S_RCODE] || has[S_P_TRANS_ID]))
        return WP_NET_DNS;
    if (has[S_METHOD] || (has[S_URI] && has[S_STATUS]))
        return WP_NET_HTTP;
    if (has[S_SNI] || has[S_JA3] || has[S_P_CURVE])
        return WP_NET_TLS;
    if (has[S_FUID] && (has[S_TX_HOSTS] || has[S_MIME]))
        return WP_NET_FILE;
    if (has[S_ASSIGNED] || has[S_P_LEASE] || (has[S_CLIENT] && has[S_P_REQUEST_TYPE]))
        return WP_NET_HOST;
    if (has[S_HOST] && !has[S_SRC_IP] && !has[S_URI] && !has[S_SERVICE])
        return WP_NET_HOST; /* known_hosts.log: ts and host */
    return NET_KIND_NONE;
}

static wp_net_str
str(const net_val *v)
{
    return (wp_net_str){v->n ? v->p : NULL, v->n};
}

wp_net_str
net_first(const net_val *v, char sep)
{
    wp_net_str s = str(v);
    if (s.n == 0)
        return s;
    const char *c = memchr(s.p, sep, s.n);
    if (c != NULL)
        s.n = (size_t)(c - s.p);
    if (s.n == 0)
        s.p = NULL;
    return s;
}

static wp_net_str
pick(const net_val *a, const net_val *b)
{
    return a->n ? str(a) : str(b);
}

typedef struct build_ctx {
    wp_netlog_parser *p;
    bool eve;
    bool ok;
} build_ctx;

static void
bad_value(build_ctx *b, net_slot s, const char *what)
{
    if (!b->ok)
        return;
    b->ok = false;
    const net_val *v = &b->p->v[s];
    char shown[48];
    size_t n = v->n < sizeof shown - 1 ? v->n : sizeof shown - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v->p[i];
        shown[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    shown[n] = '\0';
    const char *name = slot_names[s][b->eve] ? slot_names[s][b->eve] : "field";
    net_bad(b->p, "field %s: not %s: '%s'%s", name, what, shown, v->n > n ? "..." : "");
}

static int
get_int(build_ctx *b, net_slot s, uint64_t max, const char *what)
{
    const net_val *v = &b->p->v[s];
    uint64_t u;
    if (v->n == 0)
        return WP_NET_UNSET;
    if (!net_parse_u64(v->p, v->n, &u) || u > max) {
        bad_value(b, s, what);
        return WP_NET_UNSET;
    }
    return (int)u;
}

static int64_t
get_count(build_ctx *b, net_slot s)
{
    const net_val *v = &b->p->v[s];
    uint64_t u;
    if (v->n == 0)
        return WP_NET_UNSET;
    if (!net_parse_u64(v->p, v->n, &u) || u > (uint64_t)INT64_MAX) {
        bad_value(b, s, "a count");
        return WP_NET_UNSET;
    }
    return (int64_t)u;
}

static double
get_time(build_ctx *b, net_slot s, double absent)
{
    const net_val *v = &b->p->v[s];
    double t;
    if (v->n == 0)
        return absent;
    if (!net_parse_time(v->p, v->n, &t)) {
        bad_value(b, s, "a time");
        return absent;
    }
    return t;
}

/* EVE logs "UDP", "TCP", "IPv6-ICMP": lower-cased so both sources say "udp" */
static wp_net_str
lower(wp_netlog_parser *p, wp_net_str s)
{
    if (s.n == 0)
        return s;
    char *d = net_scratch(p, s.n);
    if (d == NULL)
        return s;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        d[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    return (wp_net_str){d, s.n};
}

static const wp_net_record blank = {
    .src_port = WP_NET_UNSET,
    .dst_port = WP_NET_UNSET,
    .duration = -1,
    .orig_bytes = WP_NET_UNSET,
    .resp_bytes = WP_NET_UNSET,
    .orig_pkts = WP_NET_UNSET,
    .resp_pkts = WP_NET_UNSET,
    .status_code = WP_NET_UNSET,
    .request_body_len = WP_NET_UNSET,
    .response_body_len = WP_NET_UNSET,
    .signature_id = WP_NET_UNSET,
    .alert_severity = WP_NET_UNSET,
};

static void
build_conn(build_ctx *b, wp_net_record *r)
{
    const net_val *v = b->p->v;
    r->duration = -1;
    if (b->eve) {
        double start = get_time(b, S_START, -1), end = get_time(b, S_END, -1);
        if (start >= 0 && end >= start)
            r->duration = end - start;
    } else if (v[S_DURATION].n) {
        if (!net_parse_double(v[S_DURATION].p, v[S_DURATION].n, &r->duration) || r->duration < 0)
            bad_value(b, S_DURATION, "a duration");
    }
    r->orig_bytes = get_count(b, S_ORIG_BYTES);
    r->resp_bytes = get_count(b, S_RESP_BYTES);
    r->orig_pkts = get_count(b, S_ORIG_PKTS);
    r->resp_pkts = get_count(b, S_RESP_PKTS);
    r->conn_state = str(&v[S_CONN_STATE]);
}

static void
build_dns(build_ctx *b, wp_net_record *r)
{
    const net_val *v = b->p->v;
    char js = b->p->join_sep;
    r->query = v[S_QUERY].n ? str(&v[S_QUERY]) : net_first(&v[S_QUERIES], js);
    r->qtype = v[S_QTYPE].joined ? net_first(&v[S_QTYPE], js) : str(&v[S_QTYPE]);
    r->rcode = str(&v[S_RCODE]);
    r->answers = str(&v[S_ANSWERS]);
    if (b->eve && r->answers.n == 0)
        r->answers = pick(&v[S_GROUPED], &v[S_RDATA]);
}

static void
build_http(build_ctx *b, wp_net_kind kind, wp_net_record *r)
{
    const net_val *v = b->p->v;
    r->method = str(&v[S_METHOD]);
    r->host = b->eve ? str(&v[S_HTTP_HOST]) : kind == WP_NET_HTTP ? str(&v[S_HOST]) : blank.host;
    r->uri = str(&v[S_URI]);
    r->user_agent = str(&v[S_USER_AGENT]);
    r->referrer = str(&v[S_REFERRER]);
    r->post_body = str(&v[S_POST_BODY]);
    r->status_code = get_int(b, S_STATUS, 999, "an HTTP status");
    r->request_body_len = get_count(b, S_REQ_LEN);
    r->response_body_len = get_count(b, S_RESP_LEN);
}

static void
build_tls(build_ctx *b, wp_net_kind kind, wp_net_record *r)
{
    const net_val *v = b->p->v;
    r->sni = str(&v[S_SNI]);
    r->ja3 = str(&v[S_JA3]);
    r->ja3s = str(&v[S_JA3S]);
    r->tls_version = b->eve               ? str(&v[S_TLS_VERSION])
                     : kind == WP_NET_TLS ? str(&v[S_VERSION])
                                          : blank.tls_version;
    r->subject = str(&v[S_SUBJECT]);
    r->issuer = str(&v[S_ISSUER]);
}

static void
build_file(build_ctx *b, wp_net_kind kind, wp_net_record *r)
{
    const net_val *v = b->p->v;
    char js = b->p->join_sep;
    r->md5 = str(&v[S_MD5]);
    r->sha1 = str(&v[S_SHA1]);
    r->sha256 = str(&v[S_SHA256]);
    r->mime_type = str(&v[S_MIME]);
    r->filename = str(&v[S_FILENAME]);
    if (kind == WP_NET_FILE && !b->eve) {
        /* files.log before Zeek 5 has no id.*: the sender is the server */
        if (r->src_ip.n == 0)
            r->src_ip = net_first(&v[S_RX_HOSTS], js);
        if (r->dst_ip.n == 0)
            r->dst_ip = net_first(&v[S_TX_HOSTS], js);
    }
}

static void
build_alert(build_ctx *b, wp_net_record *r)
{
    const net_val *v = b->p->v;
    r->signature = str(&v[S_SIGNATURE]);
    r->signature_id = get_count(b, S_SIG_ID);
    r->alert_severity = get_int(b, S_SEVERITY, 255, "a severity");
    r->alert_category = str(&v[S_CATEGORY]);
}

static void
build_host(build_ctx *b, wp_net_kind kind, wp_net_record *r)
{
    const net_val *v = b->p->v;
    r->user = blank.user;
    if (kind == WP_NET_HOST && !b->eve) {
        /* dhcp: the address handed out; known_hosts: "host"; kerberos: the client's */
        wp_net_str a = v[S_ASSIGNED].n      ? str(&v[S_ASSIGNED])
                       : v[S_CLIENT_ADDR].n ? str(&v[S_CLIENT_ADDR])
                       : v[S_HOST].n        ? str(&v[S_HOST])
                                            : r->src_ip;
        r->src_ip = a;
        if (r->dst_ip.n == 0)
            r->dst_ip = str(&v[S_SERVER_ADDR]);
        r->user = str(&v[S_CLIENT]);
    }
    r->host_name = str(&v[S_HOST_NAME]);
    r->mac = str(&v[S_MAC]);
}

const wp_net_record *
net_build(wp_netlog_parser *p, wp_net_kind kind, bool eve, unsigned parts)
{
    build_ctx b = {p, eve, true};
    const net_val *v = p->v;
    char js = p->join_sep;
    wp_net_record *r = &p->rec;
    if (parts != p->rec_parts) { /* the parts not built this time keep these values */
        *r = blank;
        p->rec_parts = parts;
    }
    r->kind = kind;
    r->ts = get_time(&b, S_TS, 0);
    r->uid = str(&v[S_UID]);
    if (r->uid.n == 0 && !eve)
        r->uid = v[S_CONN_UIDS].n ? net_first(&v[S_CONN_UIDS], js) : str(&v[S_FUID]);
    r->src_ip = str(&v[S_SRC_IP]);
    r->dst_ip = str(&v[S_DST_IP]);
    r->src_port = get_int(&b, S_SRC_PORT, 65535, "a port");
    r->dst_port = get_int(&b, S_DST_PORT, 65535, "a port");
    r->proto = eve ? lower(p, str(&v[S_PROTO])) : str(&v[S_PROTO]);
    r->service = str(&v[S_SERVICE]);
    /* in this order, so that the first malformed value named is the one it always was */
    if (parts & NET_PART_CONN)
        build_conn(&b, r);
    if (parts & NET_PART_DNS)
        build_dns(&b, r);
    if (parts & NET_PART_HTTP)
        build_http(&b, kind, r);
    if (parts & NET_PART_TLS)
        build_tls(&b, kind, r);
    if (parts & NET_PART_FILE)
        build_file(&b, kind, r);
    if (parts & NET_PART_ALERT)
        build_alert(&b, r);
    if (parts & NET_PART_HOST)
        build_host(&b, kind, r);
    return b.ok ? r : NULL;
}
