/*
 * test_netlog.c - the network-log parser (include/watchpost/netlog.h): Zeek TSV and JSON,
 * Suricata EVE, line accounting and reasons, limits, whole files (plain, gzip) and
 * followed files (append, partial lines, rotation, truncation, replacement, restarts from a
 * cursor), and the real logs under WP_SHARED_DATA when that directory exists.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "wpt.h"

#include "watchpost/netlog.h"

#ifndef WP_NET_FIXTURES
#error "WP_NET_FIXTURES must be defined by the build"
#endif

/* ---- collecting records (deep copies: a record lives only during the callback) ---- */

#define MAXREC 64

typedef struct rec {
    wp_net_record r;
    char pool[4096];
} rec;

typedef struct coll {
    rec *v;
    size_t n;
    size_t stop_after; /* 0: never stop */
} coll;

/* clang-format 14 does not settle on one layout for this list */
// clang-format off
#define STR_FIELDS(X)                                                                       \
    X(uid) X(src_ip) X(dst_ip) X(proto) X(service) X(conn_state) X(query) X(qtype) X(rcode) \
    X(answers) X(method) X(host) X(uri) X(user_agent) X(referrer) X(post_body) X(sni)        \
    X(ja3) X(ja3s) X(tls_version) X(subject) X(issuer) X(md5) X(sha1) X(sha256)              \
    X(mime_type) X(filename) X(signature) X(alert_category) X(host_name) X(mac) X(user)
// clang-format on

static bool
collect(void *ctx, const wp_net_record *r)
{
    coll *c = ctx;
    if (c->v == NULL)
        c->v = calloc(MAXREC, sizeof *c->v);
    assert_non_null(c->v);
    if (c->n < MAXREC) {
        rec *d = &c->v[c->n];
        size_t o = 0;
        d->r = *r;
#define COPY(f)                                   \
    if (r->f.n > 0) {                             \
        assert_true(o + r->f.n < sizeof d->pool); \
        memcpy(d->pool + o, r->f.p, r->f.n);      \
        d->r.f.p = d->pool + o;                   \
        o += r->f.n;                              \
    } else {                                      \
        assert_null(r->f.p);                      \
    }
        STR_FIELDS(COPY)
#undef COPY
    }
    c->n++;
    return c->stop_after == 0 || c->n < c->stop_after;
}

static void
coll_free(coll *c)
{
    free(c->v);
    memset(c, 0, sizeof *c);
}

#define assert_s(s, want) assert_s_((s), (want), #s, __LINE__)

static void
assert_s_(wp_net_str s, const char *want, const char *what, int line)
{
    if (want == NULL) {
        if (s.n != 0)
            fail_msg("line %d: %s is '%.*s', expected absent", line, what, (int)s.n, s.p);
        return;
    }
    if (s.n != strlen(want) || memcmp(s.p, want, s.n) != 0)
        fail_msg("line %d: %s is '%.*s', expected '%s'", line, what, (int)s.n, s.p ? s.p : "",
                 want);
}

static wp_netlog_parser *
parser(void)
{
    wp_netlog_parser *p = NULL;
    assert_int_equal(wp_netlog_parser_new(NULL, &p), WP_OK);
    return p;
}

static void
dump_reasons(const wp_netlog_stats *st)
{
    for (unsigned i = 0; i < st->n_reasons; i++)
        fprintf(stderr, "  reason: line %llu: %s\n", st->reasons[i].line, st->reasons[i].text);
}

/* every line is accounted for exactly once */
static void
assert_accounted(const wp_netlog_stats *st)
{
    if (st->lines != st->records + st->headers + st->skipped_bad + st->skipped_unknown) {
        dump_reasons(st);
        fail_msg("lines %llu != records %llu + headers %llu + bad %llu + unknown %llu", st->lines,
                 st->records, st->headers, st->skipped_bad, st->skipped_unknown);
    }
}

static void
feed(wp_netlog_parser *p, const char *hint, const char *text, coll *c)
{
    wp_netlog_parser_reset(p, hint);
    assert_int_equal(wp_netlog_feed(p, text, strlen(text), collect, c), WP_OK);
    assert_accounted(wp_netlog_parser_stats(p));
}

static const char *
fixture(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", WP_NET_FIXTURES, name);
    return buf;
}

#define TSV_HEAD(path)                                                              \
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n" \
    "#path\t" path "\n#open\t2024-01-01-00-00-00\n"

/* ---- Zeek TSV ---- */

static void
test_tsv_conn(void **state)
{
    wp_netlog_parser *p = parser();
    coll c = {0};
    char err[256];
    assert_int_equal(wp_netlog_read_file(p, fixture("conn.log"), collect, &c, err, sizeof err),
                     WP_OK);
    const wp_netlog_stats *st = wp_netlog_parser_stats(p);
    assert_accounted(st);
    assert_int_equal(st->records, 3);
    assert_int_equal(st->headers, 9);
    assert_int_equal(st->skipped_bad, 0);
    assert_int_equal(st->out_of_order, 1); /* the third line is older than the second */
    assert_int_equal(c.n, 3);
    const wp_net_record *r = &c.v[0].r;
    assert_int_equal(r->kind, WP_NET_CONN);
    assert_true(r->ts > 1672843056.913118 && r->ts < 1672843056.91312);
    assert_s(r->uid, "CXHB1X22027MRWU6D");
    assert_s(r->src_ip, "10.136.0.18");
    assert_s(r->dst_ip, "10.136.0.16");
    assert_int_equal(r->src_port, 55548);
    assert_int_equal(r->dst_port, 3128);
    assert_s(r->proto, "tcp");
    assert_s(r->service, "http,ssl");
    assert_true(r->duration > 0.084043 && r->duration < 0.084045);
    assert_int_equal(r->orig_bytes, 1030);
    assert_int_equal(r->resp_bytes, 20275);
    assert_int_equal(r->orig_pkts, 18);
    assert_int_equal(r->resp_pkts, 14);
    assert_s(r->conn_state, "SF");
    assert_s(r->query, NULL);
    assert_int_equal(r->status_code, WP_NET_UNSET);
    /* "-" and "(empty)" are absent */
    r = &c.v[1].r;
    assert_s(r->service, NULL);
    assert_true(r->duration < 0);
    assert_int_equal(r->orig_bytes, WP_NET_UNSET);
    assert_s(r->src_ip, "fe80::7809:d6ff:fee3:ff67");
    assert_string_equal(wp_net_kind_name(r->kind), "conn");
    coll_free(&c);
    wp_netlog_parser_free(p);
}

static void
test_tsv_kinds(void **state)
{
    wp_netlog_parser *p = parser();
    coll c = {0};
    feed(p, NULL,
         TSV_HEAD("dns") "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
                         "trans_id\tquery\tqtype_name\trcode_name\tanswers\tTTLs\n"
                         "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tstring\t"
                         "string\tstring\tvector[string]\tvector[interval]\n"
                         "1.5\tC1\t10.0.0.5\t5353\t10.0.0.1\t53\tudp\t7\tx.example\tA\tNOERROR\t"
                         "192.0.2.1,192.0.2.2\t60.0,60.0\n",
         &c);
    feed(p, NULL,
         TSV_HEAD("http") "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"
                          "method\thost\turi\treferrer\tversion\tuser_agent\trequest_body_len\t"
                          "response_body_len\tstatus_code\tpost_body\n"
                          "2\tC2\t10.0.0.5\t50000\t203.0.113.80\t80\tPOST\tupd.example.org\t"
                          "/gate.php\t-\t1.1\tcurl/8.0\t120\t4\t200\tid=1&x=2\n",
         &c);
    feed(p, NULL,
         TSV_HEAD("ssl") "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\t"
                         "cipher\tcurve\tserver_name\tsubject\tissuer\tja3\tja3s\n"
                         "3\tC3\t10.0.0.5\t50001\t203.0.113.44\t443\tTLSv12\tTLS_X\tx25519\t"
                         "c2.example\tCN=c2\tCN=ca\tja3hash\tja3shash\n",
         &c);
    feed(p, NULL,
         TSV_HEAD("files") "#fields\tts\tfuid\ttx_hosts\trx_hosts\tconn_uids\tsource\tmime_type\t"
                           "filename\tseen_bytes\tmd5\tsha1\tsha256\n"
                           "4\tFf1\t151.101.1.69\t192.168.0.15,192.168.0.16\tCIk1,CIk2\tHTTP\t"
                           "application/x-dosexec\tpayload.exe\t4096\tmd5x\tsha1x\t-\n",
         &c);
    feed(p, NULL,
         TSV_HEAD("dhcp") "#fields\tts\tuids\tclient_addr\tserver_addr\tmac\thost_name\t"
                          "assigned_addr\tlease_time\n"
                          "5\tC5\t-\t192.168.0.1\tf4:8e:38:8b:b6:03\tlaptop-7\t192.168.0.15\t"
                          "86400.0\n",
         &c);
    feed(p, NULL, TSV_HEAD("known_hosts") "#fields\tts\thost\n6\t10.136.0.18\n", &c);
    feed(p, NULL,
         TSV_HEAD("kerberos") "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"
                              "request_type\tclient\tservice\tsuccess\n"
                              "7\tC7\t10.0.0.9\t49000\t10.0.0.2\t88\tAS\talice/CORP.EXAMPLE\t"
                              "krbtgt/CORP.EXAMPLE\tT\n",
         &c);
    /* a log we do not use: well-formed lines are skipped-unknown, nothing is bad */
    feed(p, NULL, TSV_HEAD("stats") "#fields\tts\tpeer\tmem\n8\tzeek\t90\n9\tzeek\t91\n", &c);
    const wp_netlog_stats *st = wp_netlog_parser_stats(p);
    assert_int_equal(st->skipped_bad, 0);
    assert_int_equal(st->skipped_unknown, 2);
    assert_int_equal(c.n, 7);

    const wp_net_record *r = &c.v[0].r;
    assert_int_equal(r->kind, WP_NET_DNS);
    assert_s(r->query, "x.example");
    assert_s(r->qtype, "A");
    assert_s(r->rcode, "NOERROR");
    assert_s(r->answers, "192.0.2.1,192.0.2.2");
    assert_int_equal(r->src_port, 5353);

    r = &c.v[1].r;
    assert_int_equal(r->kind, WP_NET_HTTP);
    assert_s(r->method, "POST");
    assert_s(r->host, "upd.example.org");
    assert_s(r->uri, "/gate.php");
    assert_s(r->referrer, NULL);
    assert_s(r->user_agent, "curl/8.0");
    assert_s(r->post_body, "id=1&x=2");
    assert_s(r->tls_version, NULL); /* http's "version" is HTTP's */
    assert_int_equal(r->status_code, 200);
    assert_int_equal(r->request_body_len, 120);
    assert_int_equal(r->response_body_len, 4);

    r = &c.v[2].r;
    assert_int_equal(r->kind, WP_NET_TLS);
    assert_s(r->sni, "c2.example");
    assert_s(r->tls_version, "TLSv12");
    assert_s(r->subject, "CN=c2");
    assert_s(r->issuer, "CN=ca");
    assert_s(r->ja3, "ja3hash");
    assert_s(r->ja3s, "ja3shash");

    r = &c.v[3].r;
    assert_int_equal(r->kind, WP_NET_FILE);
    assert_s(r->dst_ip, "151.101.1.69"); /* tx_hosts: the server that sent it */
    assert_s(r->src_ip, "192.168.0.15"); /* first of rx_hosts */
    assert_s(r->uid, "CIk1");
    assert_s(r->mime_type, "application/x-dosexec");
    assert_s(r->filename, "payload.exe");
    assert_s(r->md5, "md5x");
    assert_s(r->sha1, "sha1x");
    assert_s(r->sha256, NULL);

    r = &c.v[4].r;
    assert_int_equal(r->kind, WP_NET_HOST);
    assert_s(r->src_ip, "192.168.0.15");
    assert_s(r->dst_ip, "192.168.0.1");
    assert_s(r->host_name, "laptop-7");
    assert_s(r->mac, "f4:8e:38:8b:b6:03");

    r = &c.v[5].r;
    assert_int_equal(r->kind, WP_NET_HOST);
    assert_s(r->src_ip, "10.136.0.18");
    assert_s(r->host, NULL);

    r = &c.v[6].r;
    assert_int_equal(r->kind, WP_NET_HOST);
    assert_s(r->src_ip, "10.0.0.9");
    assert_s(r->user, "alice/CORP.EXAMPLE");
    coll_free(&c);
    wp_netlog_parser_free(p);
}

/* no #path: the file name, else the fields; a #fields header in the middle changes the
 * layout; another separator and unset marker */
static void
test_tsv_layout(void **state)
{
    wp_netlog_parser *p = parser();
    coll c = {0};
    feed(p, "/var/log/zeek/dns.18:00:00-19:00:00.log",
         "#separator \\x09\n#fields\tts\tquery\n1\ta.example\n", &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.v[0].r.kind, WP_NET_DNS);
    feed(p, NULL, "#separator \\x09\n#fields\tts\tid.orig_h\tconn_state\n2\t10.1.1.1\tS0\n", &c);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.v[1].r.kind, WP_NET_CONN);
    feed(p, NULL,
         "#separator \\x7c\n#unset_field|NA\n#path|conn\n#fields|ts|id.orig_h|id.orig_p\n"
         "3|10.2.2.2|NA\n#fields|ts|id.resp_h\n4|10.3.3.3\n",
         &c);
    assert_int_equal(c.n, 4);
    assert_s(c.v[2].r.src_ip, "10.2.2.2");
    assert_int_equal(c.v[2].r.src_port, WP_NET_UNSET);
    assert_s(c.v[3].r.src_ip, NULL);
    assert_s(c.v[3].r.dst_ip, "10.3.3.3");
    /* CRLF line ends and a trailing separator are tolerated */
    feed(p, NULL, TSV_HEAD("conn") "#fields\tts\tuid\r\n5\tCx\t\r\n", &c);
    assert_int_equal(c.n, 5);
    assert_s(c.v[4].r.uid, "Cx");
    assert_int_equal(wp_netlog_parser_stats(p)->skipped_bad, 0);
    coll_free(&c);
    wp_netlog_parser_free(p);
}

/* ---- Zeek JSON ---- */

static void
test_json_zeek(void **state)
{
    wp_netlog_parser *p = parser();
    coll c = {0};
    char err[256];
    /* no _path: the file name says dns */
    assert_int_equal(wp_netlog_read_file(p, fixture("dns.log"), collect, &c, err, sizeof err),
                     WP_OK);
    assert_int_equal(c.n, 2);
    const wp_net_record *r = &c.v[0].r;
    assert_int_equal(r->kind, WP_NET_DNS);
    assert_true(r->ts > 1517336042.27965 && r->ts < 1517336042.27966);
    assert_s(r->uid, "CVvreZ2AGtqjnP3nnl");
    assert_s(r->src_ip, "192.168.88.2");
    assert_int_equal(r->src_port, 55638);
    assert_s(r->query, "6dde0175375169c68f.dnsc.r-1x.com");
    assert_s(r->qtype, "TXT");
    assert_s(r->answers, "TXT 18 302f017537c68f5169,TXT 4 a\xc3\xa9\"b");
    /* nested "id", ISO 8601 ts, null answers */
    r = &c.v[1].r;
    assert_true(r->ts > 1517336043.35447 - 0.0001 && r->ts < 1517336043.35448);
    assert_s(r->src_ip, "192.168.88.2");
    assert_int_equal(r->dst_port, 53);
    assert_s(r->rcode, "NXDOMAIN");
    assert_s(r->answers, NULL);

    /* _path wins; without _path or a useful name, the fields tell */
    feed(p, "whatever.json",
         "{\"ts\":1.0,\"_path\":\"conn\",\"id.orig_h\":\"10.0.0.1\",\"orig_bytes\":5,"
         "\"resp_bytes\":7,\"conn_state\":\"SF\",\"duration\":1.5e0}\n"
         "{\"ts\":2.0,\"method\":\"GET\",\"host\":\"h.example\",\"uri\":\"/"
         "x\",\"status_code\":404}\n"
         "{\"ts\":3.0,\"server_name\":\"s.example\",\"version\":\"TLSv13\",\"ja3\":\"j\"}\n"
         "{\"ts\":4.0,\"fuid\":\"F1\",\"tx_hosts\":[\"1.1.1.1\",\"2.2.2.2\"],\"rx_hosts\":"
         "[\"10.0.0.2\"],\"mime_type\":\"text/plain\"}\n"
         "{\"ts\":5.0,\"_path\":\"x509\",\"certificate.subject\":\"CN=a\"}\n"
         "{\"ts\":6.0,\"peer\":\"zeek\",\"mem\":90}\n"
         "{\"ts\":7.0,\"_path\":\"open_conn\",\"uid\":\"Copen\"}\n",
         &c);
    assert_int_equal(c.n, 7);
    r = &c.v[2].r;
    assert_int_equal(r->kind, WP_NET_CONN);
    assert_int_equal(r->orig_bytes, 5);
    assert_true(r->duration == 1.5);
    assert_int_equal(c.v[3].r.kind, WP_NET_HTTP);
    assert_s(c.v[3].r.host, "h.example");
    assert_int_equal(c.v[3].r.status_code, 404);
    assert_int_equal(c.v[4].r.kind, WP_NET_TLS);
    assert_s(c.v[4].r.tls_version, "TLSv13");
    r = &c.v[5].r;
    assert_int_equal(r->kind, WP_NET_FILE);
    assert_s(r->dst_ip, "1.1.1.1");
    assert_s(r->src_ip, "10.0.0.2");
    assert_s(r->uid, "F1");
    assert_int_equal(c.v[6].r.kind, WP_NET_CONN);
    const wp_netlog_stats *st = wp_netlog_parser_stats(p);
    assert_int_equal(st->skipped_unknown, 2); /* x509, stats-like */
    assert_int_equal(st->skipped_bad, 0);
    coll_free(&c);
    wp_netlog_parser_free(p);
}

/* ---- Suricata EVE ---- */

static void
test_eve(void **state)
{
    wp_netlog_parser *p = parser();
    coll c = {0};
    char err[256];
    assert_int_equal(wp_netlog_read_file(p, fixture("eve.json"), collect, &c, err, sizeof err),
                     WP_OK);
    const wp_netlog_stats *st = wp_netlog_parser_stats(p);
    assert_accounted(st);
    assert_int_equal(st->skipped_bad, 0);
    assert_int_equal(st->skipped_unknown, 2); /* stats, dhcp */
    assert_int_equal(c.n, 9);

    const wp_net_record *r = &c.v[0].r;
    assert_int_equal(r->kind, WP_NET_CONN);
    /* 2024-12-18T19:35:27.039938-0500 = 2024-12-19T00:35:27.039938Z */
    assert_true(r->ts > 1734568527.0399 && r->ts < 1734568527.04);
    assert_s(r->uid, "778615965085998");
    assert_s(r->proto, "udp");
    assert_s(r->service, "failed");
    assert_int_equal(r->src_port, 546);
    assert_s(r->dst_ip, "203.0.113.9");
    assert_int_equal(r->orig_bytes, 942);
    assert_int_equal(r->resp_bytes, 120);
    assert_int_equal(r->orig_pkts, 6);
    assert_int_equal(r->resp_pkts, 2);
    assert_s(r->conn_state, "new");
    assert_true(r->duration > 31.0848 && r->duration < 31.0849);

    r = &c.v[1].r; /* v1 query */
    assert_int_equal(r->kind, WP_NET_DNS);
    assert_true(r->ts > 1546982513.0139 && r->ts < 1546982513.014);
    assert_s(r->query, "evil.example");
    assert_s(r->qtype, "TXT");
    assert_s(r->rcode, NULL);
    assert_s(r->answers, NULL);
    r = &c.v[2].r; /* v1 answer */
    assert_s(r->rcode, "NOERROR");
    assert_s(r->answers, "198.51.100.1");
    r = &c.v[3].r; /* v2 detailed */
    assert_s(r->query, "www.example.com");
    assert_s(r->answers, "cdn.example.net,192.0.2.10");
    r = &c.v[4].r; /* v2 grouped */
    assert_s(r->answers, "192.0.2.20,192.0.2.21");

    r = &c.v[5].r;
    assert_int_equal(r->kind, WP_NET_HTTP);
    assert_s(r->host, "upd.example.org");
    assert_s(r->uri, "/gate.php?id=1");
    assert_s(r->user_agent, "Mozilla/4.0 (compatible)"); /* \/ unescaped */
    assert_s(r->method, "POST");
    assert_s(r->referrer, "http://a.example/");
    assert_int_equal(r->status_code, 200);
    assert_int_equal(r->response_body_len, 1234);
    assert_s(r->proto, "tcp");

    r = &c.v[6].r;
    assert_int_equal(r->kind, WP_NET_TLS);
    assert_s(r->sni, "c2.example");
    assert_s(r->tls_version, "TLS 1.2");
    assert_s(r->subject, "CN=c2.example");
    assert_s(r->issuer, "CN=c2.example");
    assert_s(r->ja3, "72a589da586844d7f0818ce684948eea");
    assert_s(r->ja3s, "f4febc55ea12b31ae17cfb7e614afda8");

    r = &c.v[7].r;
    assert_int_equal(r->kind, WP_NET_FILE);
    assert_s(r->filename, "/payload.bin");
    assert_s(r->md5, "0123456789abcdef0123456789abcdef");
    assert_s(r->sha256, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    assert_str_prefix(r->mime_type.p, "PE32 executable");
    assert_s(r->host, "upd.example.org");
    assert_s(r->service, "http");

    r = &c.v[8].r;
    assert_int_equal(r->kind, WP_NET_ALERT);
    assert_s(r->signature, "ET POLICY PE EXE or DLL Windows file download HTTP");
    assert_int_equal(r->signature_id, 2018959);
    assert_int_equal(r->alert_severity, 1);
    assert_s(r->alert_category, "Potential Corporate Privacy Violation");
    assert_s(r->src_ip, "10.0.0.5"); /* not the nested flow.src_ip */
    assert_int_equal(r->orig_bytes, 400);
    assert_true(r->duration < 0); /* no flow.end */
    coll_free(&c);
    wp_netlog_parser_free(p);
}

/* ---- bad lines ---- */

static void
test_bad_lines(void **state)
{
    wp_netlog_limits lim;
    wp_netlog_limits_init(&lim);
    lim.max_line_bytes = 300;
    wp_netlog_parser *p = NULL;
    assert_int_equal(wp_netlog_parser_new(&lim, &p), WP_OK);
    coll c = {0};
    char longline[400];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    wpt_buf b = {0};
    wpt_buf_printf(&b,
                   "1.0\tdata before fields\n"     /* 1 */
                   TSV_HEAD("conn")                /* 2-7 */
                   "#fields\tts\tuid\tid.orig_p\n" /* 8 */
                   "1\tC1\n"                       /* 9: too few */
                   "1\tC1\t80\textra\n"            /* 10: too many */
                   "1\tC1\t99999\n"                /* 11: bad port */
                   "abc\tC1\t80\n"                 /* 12: bad time */
                   "%s\n"                          /* 13: too long */
                   "{\"ts\":1,\n"                  /* 14: truncated JSON */
                   "{\"ts\":1}x\n"                 /* 15: text after */
                   "{\"ts\":tru}\n"                /* 16: bad literal */
                   "{\"a\":\"\\q\"}\n"             /* 17: bad escape */
                   "{\"a\":[1,]}\n"                /* 18: trailing comma */
                   "\n"                            /* 19: blank */
                   "2\tC2\t443\n",                 /* 20: good */
                   longline);
    wp_netlog_parser_reset(p, NULL);
    assert_int_equal(wp_netlog_feed(p, b.p, b.n, collect, &c), WP_OK);
    const wp_netlog_stats *st = wp_netlog_parser_stats(p);
    assert_accounted(st);
    assert_int_equal(st->lines, 20);
    assert_int_equal(st->records, 1);
    assert_int_equal(st->skipped_bad, 11);
    assert_int_equal(st->skipped_unknown, 1);
    assert_int_equal(st->n_reasons, WP_NETLOG_REASONS);
    assert_int_equal(st->reasons[0].line, 1);
    assert_str_contains(st->reasons[0].text, "before any #fields");
    assert_int_equal(st->reasons[1].line, 9);
    assert_str_contains(st->reasons[1].text, "2 fields");
    assert_int_equal(st->reasons[2].line, 10);
    assert_int_equal(st->reasons[3].line, 11);
    assert_str_contains(st->reasons[3].text, "id.orig_p");
    assert_str_contains(st->reasons[4].text, "ts");
    assert_int_equal(st->reasons[5].line, 13);
    assert_str_contains(st->reasons[5].text, "too long");
    assert_int_equal(st->reasons[6].line, 14);
    assert_str_contains(st->reasons[6].text, "JSON");
    assert_int_equal(c.n, 1);
    assert_int_equal(c.v[0].r.dst_port, WP_NET_UNSET);
    wpt_buf_free(&b);

    /* unknown layouts: JSON of no known kind, EVE of another type */
    feed(p, NULL, "{\"foo\":1}\n{\"event_type\":\"anomaly\",\"x\":{}}\n", &c);
    assert_int_equal(st->skipped_unknown, 3);
    coll_free(&c);
    wp_netlog_parser_free(p);
}

static void
test_limits(void **state)
{
    wp_netlog_limits lim;
    wp_netlog_limits_init(&lim);
    assert_int_equal(lim.max_line_bytes, 64 * 1024);
    lim.json_depth = 3;
    lim.max_fields = 4;
    wp_netlog_parser *p = NULL;
    assert_int_equal(wp_netlog_parser_new(&lim, &p), WP_OK);
    coll c = {0};
    feed(p, NULL,
         "{\"event_type\":\"flow\",\"a\":{\"b\":{\"c\":1}}}\n"
         "{\"event_type\":\"flow\",\"a\":{\"b\":{\"c\":{}}}}\n"
         "#fields\ta\tb\tc\td\te\n1\t2\t3\t4\t5\n",
         &c);
    const wp_netlog_stats *st = wp_netlog_parser_stats(p);
    assert_int_equal(st->records, 1);
    assert_int_equal(st->skipped_bad, 3);
    assert_str_contains(st->reasons[0].text, "nested");
    assert_str_contains(st->reasons[1].text, "#fields");
    wp_netlog_parser_free(p);

    /* out-of-range limits are clamped, not refused */
    lim.max_line_bytes = 1;
    lim.max_fields = 0;
    lim.json_depth = 100000;
    assert_int_equal(wp_netlog_parser_new(&lim, &p), WP_OK);
    feed(p, NULL, TSV_HEAD("conn") "#fields\tts\n1\n", &c);
    assert_int_equal(wp_netlog_parser_stats(p)->records, 1);
    wp_netlog_parser_free(p);
    assert_int_equal(wp_netlog_parser_new(NULL, NULL), WP_EINVAL);
    wp_netlog_parser_free(NULL);
    coll_free(&c);
}

static void
test_stop(void **state)
{
    wp_netlog_parser *p = parser();
    coll c = {.stop_after = 2};
    const char *t = "{\"ts\":1,\"_path\":\"conn\"}\n{\"ts\":2,\"_path\":\"conn\"}\n"
                    "{\"ts\":3,\"_path\":\"conn\"}\n";
    assert_int_equal(wp_netlog_feed(p, t, strlen(t), collect, &c), WP_EINVAL);
    assert_int_equal(c.n, 2);
    assert_int_equal(wp_netlog_parser_stats(p)->lines, 2);
    coll_free(&c);
    wp_netlog_parser_free(p);
}

/* ---- files ---- */

static char tmpdir[256];

static int
tmp_setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/wp-netlog-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int
tmp_teardown(void **state)
{
    return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
tpath(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void
append(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
write_gz(const char *path, const char *const *members, size_t n)
{
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        unsigned char buf[8192];
        z_stream z;
        memset(&z, 0, sizeof z);
        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (unsigned char *)members[i];
        z.avail_in = (uInt)strlen(members[i]);
        z.next_out = buf;
        z.avail_out = sizeof buf;
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        fwrite(buf, 1, sizeof buf - z.avail_out, out);
        deflateEnd(&z);
    }
    fclose(out);
}

static size_t
poll1(wp_netlog_follower *f, wp_netlog_parser *p, coll *c)
{
    size_t n = 99;
    char err[256];
    wp_status s = wp_netlog_follower_poll(f, p, collect, c, &n, err, sizeof err);
    if (s != WP_OK)
        fail_msg("poll: %s: %s", wp_strerror(s), err);
    return n;
}

#define CONN_HDR TSV_HEAD("conn") "#fields\tts\tuid\n"

/* the uids collected, joined by ' ' */
static const char *
uids(const coll *c)
{
    static char buf[2048];
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->n && i < MAXREC; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%.*s", i ? " " : "", (int)c->v[i].r.uid.n,
                              c->v[i].r.uid.p ? c->v[i].r.uid.p : "");
    return buf;
}

static void
test_read_file_gzip(void **state)
{
    const char *members[] = {CONN_HDR "1\tA\n2\tB\n", "3\tC\n4\tD"}; /* last line without \n */
    write_gz(tpath("conn.gz"), members, 2);
    wp_netlog_parser *p = parser();
    coll c = {0};
    char err[256];
    assert_int_equal(wp_netlog_read_file(p, tpath("conn.gz"), collect, &c, err, sizeof err), WP_OK);
    assert_string_equal(uids(&c), "A B C D");
    /* a truncated gzip file: what was decompressed is parsed, the error is reported */
    struct stat sb;
    assert_int_equal(stat(tpath("conn.gz"), &sb), 0);
    assert_int_equal(truncate(tpath("conn.gz"), sb.st_size - 6), 0);
    coll_free(&c);
    assert_int_equal(wp_netlog_read_file(p, tpath("conn.gz"), collect, &c, err, sizeof err),
                     WP_EPARSE);
    assert_str_contains(err, "truncated");
    assert_true(c.n >= 2);
    assert_int_equal(wp_netlog_read_file(p, tpath("missing.log"), collect, &c, err, sizeof err),
                     WP_EIO);
    assert_str_contains(err, "missing.log");
    coll_free(&c);
    wp_netlog_parser_free(p);
}

static void
test_follow_append(void **state)
{
    const char *path = tpath("conn.log");
    wp_netlog_parser *p = parser();
    wp_netlog_follower *f = NULL;
    coll c = {0};
    assert_int_equal(wp_netlog_follower_new(path, NULL, &f), WP_OK);
    assert_int_equal(poll1(f, p, &c), 0); /* not there yet: not an error */
    append(path, CONN_HDR "1\tA\n2\tB");
    assert_int_equal(poll1(f, p, &c), 1); /* B is a partial line */
    append(path, "x\n3\tC\n");
    assert_int_equal(poll1(f, p, &c), 2);
    assert_string_equal(uids(&c), "A Bx C");
    assert_int_equal(poll1(f, p, &c), 0);
    wp_netlog_cursor cur;
    wp_netlog_follower_cursor(f, &cur);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(cur.offset, (uint64_t)sb.st_size);
    assert_int_equal(cur.ino, (uint64_t)sb.st_ino);
    assert_int_equal(cur.head_len, sb.st_size < 256 ? sb.st_size : 256);
    const wp_netlog_stats *st = wp_netlog_parser_stats(p);
    assert_int_equal(st->skipped_bad, 0);
    assert_accounted(st);

    /* truncated: read again from 0 */
    FILE *t = fopen(path, "w");
    fputs(CONN_HDR "9\tZ\n", t);
    fclose(t);
    assert_int_equal(poll1(f, p, &c), 1);
    assert_int_equal(wp_netlog_follower_stats(f)->truncations, 1);

    /* replaced in place by a longer file with other first bytes */
    t = fopen(path, "w");
    fputs("{\"_path\":\"conn\",\"uid\":\"J1\",\"pad\":\"................................\"}\n"
          "{\"_path\":\"conn\",\"uid\":\"J2\",\"pad\":\"................................\"}\n"
          "{\"_path\":\"conn\",\"uid\":\"J3\",\"pad\":\"................................\"}\n"
          "{\"_path\":\"conn\",\"uid\":\"J4\",\"pad\":\"................................\"}\n",
          t);
    fclose(t);
    assert_int_equal(poll1(f, p, &c), 4);
    assert_int_equal(wp_netlog_follower_stats(f)->replacements, 1);
    assert_string_equal(uids(&c), "A Bx C Z J1 J2 J3 J4");
    wp_netlog_follower_free(f);
    coll_free(&c);
    wp_netlog_parser_free(p);
}

static void
test_follow_rotation(void **state)
{
    const char *path = tpath("rot.log");
    wp_netlog_parser *p = parser();
    wp_netlog_follower *f = NULL;
    coll c = {0};
    append(path, CONN_HDR "1\tA\n");
    assert_int_equal(wp_netlog_follower_new(path, NULL, &f), WP_OK);
    assert_int_equal(poll1(f, p, &c), 1);
    /* the writer adds two lines (the last without '\n'), then rotates */
    append(path, "2\tB\n3\tC");
    assert_int_equal(rename(path, tpath("rot.1.log")), 0);
    append(path, CONN_HDR "4\tD\n");
    assert_int_equal(poll1(f, p, &c), 3);
    assert_string_equal(uids(&c), "A B C D");
    assert_int_equal(wp_netlog_follower_stats(f)->rotations, 1);
    /* path missing for a while (between rename and create) */
    assert_int_equal(rename(path, tpath("rot.2.log")), 0);
    assert_int_equal(poll1(f, p, &c), 0);
    append(path, CONN_HDR "5\tE\n");
    assert_int_equal(poll1(f, p, &c), 1);
    assert_string_equal(uids(&c), "A B C D E");
    assert_int_equal(wp_netlog_follower_stats(f)->rotations, 2);
    assert_int_equal(wp_netlog_parser_stats(p)->skipped_bad, 0);
    wp_netlog_follower_free(f);
    coll_free(&c);
    wp_netlog_parser_free(p);
}

static void
test_follow_restart(void **state)
{
    const char *path = tpath("re.log");
    wp_netlog_parser *p = parser();
    wp_netlog_follower *f = NULL;
    coll c = {0};
    wp_netlog_cursor cur;
    append(path, CONN_HDR "1\tA\n2\tB\n");
    assert_int_equal(wp_netlog_follower_new(path, NULL, &f), WP_OK);
    assert_int_equal(poll1(f, p, &c), 2);
    wp_netlog_follower_cursor(f, &cur);
    wp_netlog_follower_free(f);
    unsigned long long headers = wp_netlog_parser_stats(p)->headers;

    /* restart mid-file with a fresh parser: the header is read again, quietly */
    append(path, "3\tC\n");
    wp_netlog_parser_free(p);
    p = parser();
    assert_int_equal(wp_netlog_follower_new(path, &cur, &f), WP_OK);
    assert_int_equal(poll1(f, p, &c), 1);
    assert_string_equal(uids(&c), "A B C");
    const wp_netlog_stats *st = wp_netlog_parser_stats(p);
    assert_int_equal(st->headers, 0);
    assert_int_equal(st->skipped_bad, 0);
    assert_int_equal(st->lines, 1);
    assert_true(headers > 0);
    wp_netlog_follower_cursor(f, &cur);
    wp_netlog_follower_free(f);

    /* rotated while stopped: the renamed file is found by its inode and finished */
    append(path, "4\tD\n");
    assert_int_equal(rename(path, tpath("re.log.1")), 0);
    append(path, CONN_HDR "5\tE\n");
    assert_int_equal(wp_netlog_follower_new(path, &cur, &f), WP_OK);
    assert_int_equal(poll1(f, p, &c), 2);
    assert_string_equal(uids(&c), "A B C D E");
    assert_int_equal(wp_netlog_follower_stats(f)->rotations, 1);
    assert_int_equal(wp_netlog_follower_stats(f)->lost_files, 0);
    wp_netlog_follower_cursor(f, &cur);
    wp_netlog_follower_free(f);

    /* rotated while stopped and the old file gone: counted as lost */
    append(path, "6\tF\n");
    /* moved out of the directory (not unlinked: a new file could get its inode number) */
    assert_int_equal(mkdir(tpath("elsewhere"), 0700), 0);
    assert_int_equal(rename(path, tpath("elsewhere/re.log")), 0);
    append(path, CONN_HDR "7\tG\n");
    assert_int_equal(wp_netlog_follower_new(path, &cur, &f), WP_OK);
    assert_int_equal(poll1(f, p, &c), 1);
    assert_string_equal(uids(&c), "A B C D E G");
    assert_int_equal(wp_netlog_follower_stats(f)->lost_files, 1);
    wp_netlog_follower_cursor(f, &cur);
    wp_netlog_follower_free(f);

    /* restart on the same file, replaced by another one of the same inode */
    FILE *t = fopen(path, "w");
    for (int i = 1; i <= 4; i++)
        fprintf(t, "{\"_path\":\"conn\",\"uid\":\"R%d\",\"pad\":\"%060d\"}\n", i, 0);
    fclose(t);
    assert_int_equal(wp_netlog_follower_new(path, &cur, &f), WP_OK);
    assert_int_equal(poll1(f, p, &c), 4);
    assert_int_equal(wp_netlog_follower_stats(f)->replacements, 1);
    assert_string_equal(uids(&c), "A B C D E G R1 R2 R3 R4");
    wp_netlog_follower_free(f);
    coll_free(&c);
    wp_netlog_parser_free(p);
}

static void
test_follow_long_line_and_gzip(void **state)
{
    wp_netlog_limits lim;
    wp_netlog_limits_init(&lim);
    lim.max_line_bytes = 1024;
    wp_netlog_parser *p = NULL;
    assert_int_equal(wp_netlog_parser_new(&lim, &p), WP_OK);
    const char *path = tpath("long.log");
    wp_netlog_follower *f = NULL;
    coll c = {0};
    append(path, CONN_HDR "1\tA\n2\t");
    assert_int_equal(wp_netlog_follower_new(path, NULL, &f), WP_OK);
    assert_int_equal(poll1(f, p, &c), 1);
    char *big = malloc(200001);
    memset(big, 'y', 200000);
    big[200000] = '\0';
    append(path, big);
    assert_int_equal(poll1(f, p, &c), 0);
    append(path, big);
    append(path, "\n3\tC\n");
    assert_int_equal(poll1(f, p, &c), 1);
    assert_string_equal(uids(&c), "A C");
    const wp_netlog_stats *st = wp_netlog_parser_stats(p);
    assert_int_equal(st->skipped_bad, 1);
    assert_str_contains(st->reasons[0].text, "too long");
    assert_accounted(st);
    free(big);
    wp_netlog_follower_free(f);

    /* a gzip file followed: decompressed once; a new member appended later is read too */
    const char *members[] = {CONN_HDR "1\tG1\n2\tG2\n"};
    write_gz(tpath("g.log.gz"), members, 1);
    coll_free(&c);
    assert_int_equal(wp_netlog_follower_new(tpath("g.log.gz"), NULL, &f), WP_OK);
    assert_int_equal(poll1(f, p, &c), 2);
    assert_int_equal(poll1(f, p, &c), 0);
    wp_netlog_cursor cur;
    wp_netlog_follower_cursor(f, &cur);
    struct stat sb;
    assert_int_equal(stat(tpath("g.log.gz"), &sb), 0);
    assert_int_equal(cur.offset, (uint64_t)sb.st_size);
    const char *more[] = {"3\tG3\n"};
    write_gz(tpath("more.gz"), more, 1);
    size_t n;
    unsigned char *m = wpt_read_file(tpath("more.gz"), &n);
    FILE *g = fopen(tpath("g.log.gz"), "ab");
    fwrite(m, 1, n, g);
    fclose(g);
    free(m);
    assert_int_equal(poll1(f, p, &c), 1);
    assert_string_equal(uids(&c), "G1 G2 G3");
    wp_netlog_follower_free(f);

    /* stopped in the middle of a gzip file: the next poll goes on after the last record */
    coll_free(&c);
    c.stop_after = 1;
    assert_int_equal(wp_netlog_follower_new(tpath("g.log.gz"), NULL, &f), WP_OK);
    char err[256];
    assert_int_equal(wp_netlog_follower_poll(f, p, collect, &c, &n, err, sizeof err), WP_EINVAL);
    c.stop_after = 0;
    assert_int_equal(poll1(f, p, &c), 2);
    assert_string_equal(uids(&c), "G1 G2 G3");
    wp_netlog_follower_free(f);
    coll_free(&c);
    wp_netlog_parser_free(p);
}

/* ---- the shared corpora ---- */

typedef struct corpus {
    wp_netlog_parser *p;
    unsigned long long per_kind[WP_NET__COUNT];
    unsigned long long files, bad_files, broken_bad;
    const char *broken[4]; /* path parts of intentionally broken inputs */
} corpus;

static corpus *cp;

static bool
count_kind(void *ctx, const wp_net_record *r)
{
    corpus *k = ctx;
    assert_true((unsigned)r->kind < WP_NET__COUNT);
    k->per_kind[r->kind]++;
    return true;
}

static int
walk_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    if (flag != FTW_F)
        return 0;
    const char *base = path + ftw->base;
    size_t n = strlen(base);
    bool logish = (n > 4 && strcmp(base + n - 4, ".log") == 0) ||
                  (n > 3 && strcmp(base + n - 3, ".gz") == 0) || strcmp(base, "eve.json") == 0;
    bool suricata_text = strstr(path, "suricata_eve/") != NULL && strcmp(base, "eve.json") != 0;
    if (!logish || suricata_text)
        return 0; /* Suricata's fast.log, stats.log... are not EVE */
    wp_netlog_stats before = *wp_netlog_parser_stats(cp->p);
    char err[512];
    wp_status s = wp_netlog_read_file(cp->p, path, count_kind, cp, err, sizeof err);
    if (s != WP_OK)
        fail_msg("%s: %s: %s", path, wp_strerror(s), err);
    const wp_netlog_stats *st = wp_netlog_parser_stats(cp->p);
    unsigned long long bad = st->skipped_bad - before.skipped_bad;
    bool broken = false;
    for (size_t i = 0; i < 4 && cp->broken[i]; i++)
        broken |= strstr(path, cp->broken[i]) != NULL;
    cp->files++;
    if (broken) {
        cp->broken_bad += bad;
        if (bad == 0)
            fail_msg("%s: intentionally broken, but nothing counted skipped-bad", path);
    } else if (bad != 0) {
        dump_reasons(st);
        fail_msg("%s: %llu lines skipped-bad", path, bad);
    }
    assert_accounted(st);
    return 0;
}

static void
test_shared_corpora(void **state)
{
    const char *root = getenv("WP_SHARED_DATA");
    if (root == NULL || *root == '\0')
        root = WP_SHARED_DATA_DEFAULT;
    char zeek[1024], eve[1024];
    snprintf(zeek, sizeof zeek, "%s/zeek_logs", root);
    snprintf(eve, sizeof eve, "%s/suricata_eve", root);
    struct stat sb;
    if (stat(zeek, &sb) != 0 && stat(eve, &sb) != 0) {
        fprintf(stderr, "netlog: %s has no zeek_logs/ or suricata_eve/: corpus test skipped\n",
                root);
        wpt_skip();
    }
    corpus k = {.broken = {"/truncated/", "/text_file/", "/has_unknown_field/"}};
    cp = &k;
    k.p = parser();
    if (stat(zeek, &sb) == 0) {
        assert_int_equal(nftw(zeek, walk_one, 16, FTW_PHYS), 0);
        assert_true(k.broken_bad > 0);
        for (int i = 0; i < WP_NET__COUNT; i++) {
            if (i == WP_NET_ALERT)
                continue; /* Zeek has no alerts */
            if (k.per_kind[i] == 0)
                fail_msg("no %s record in %s", wp_net_kind_name((wp_net_kind)i), zeek);
        }
    }
    if (stat(eve, &sb) == 0) {
        unsigned long long before[WP_NET__COUNT];
        memcpy(before, k.per_kind, sizeof before);
        assert_int_equal(nftw(eve, walk_one, 16, FTW_PHYS), 0);
        assert_true(k.per_kind[WP_NET_CONN] > before[WP_NET_CONN]);
        assert_true(k.per_kind[WP_NET_DNS] > before[WP_NET_DNS]);
        assert_true(k.per_kind[WP_NET_ALERT] > before[WP_NET_ALERT]);
    }
    const wp_netlog_stats *st = wp_netlog_parser_stats(k.p);
    fprintf(stderr,
            "netlog corpora: %llu files, %llu lines, %llu records (conn %llu dns %llu http %llu "
            "tls %llu file %llu alert %llu host %llu), %llu unknown, %llu bad (broken inputs)\n",
            k.files, st->lines, st->records, k.per_kind[0], k.per_kind[1], k.per_kind[2],
            k.per_kind[3], k.per_kind[4], k.per_kind[5], k.per_kind[6], st->skipped_unknown,
            st->skipped_bad);
    wp_netlog_parser_free(k.p);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsv_conn),
        cmocka_unit_test(test_tsv_kinds),
        cmocka_unit_test(test_tsv_layout),
        cmocka_unit_test(test_json_zeek),
        cmocka_unit_test(test_eve),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_stop),
        cmocka_unit_test_setup_teardown(test_read_file_gzip, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_follow_append, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_follow_rotation, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_follow_restart, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_follow_long_line_and_gzip, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_shared_corpora),
    };
    return wpt_main(argc, argv, "net", tests, sizeof tests / sizeof tests[0], NULL, 0, NULL, NULL);
}
