/*
 * fuzz_egress.c - the egress detectors (wp_egress_add(), wp_egress_tick()) on sequences of
 * records decoded from the input, with small tables so that the caps, ring wrap-around,
 * expiry sweeps and re-reporting are all reached within a few hundred records.
 *
 * Input layout: byte 0 and 1 pick the configuration (caps 1..16, beacon samples, windows);
 * then records of an 11-byte head and a string:
 *   kind (7 kinds + a tick), src and dst (indices into a table of internal, outside,
 *   multicast, IPv6 and malformed addresses), a signed 16-bit time step with a scale byte
 *   (steps backwards make records out of order; some scales give NaN, huge or zero times),
 *   orig_bytes (mantissa, exponent), duration, port, a selector (DNS type, HTTP method,
 *   alert severity, which hash field), the string's length;
 *   then that many bytes: the DNS query, HTTP host "|" uri "|" body, TLS SNI "|" JA3,
 *   file hash, or alert signature.
 * A fixed indicator set lists some of the table's addresses and names, so the indicator
 * paths run too.
 *
 * Invariants (abort with "watchpost-fuzz: INVARIANT ..."): every finding has a known code,
 * a score in [0, 1], finite times, a count of at least 1, and printable ASCII strings
 * terminated inside their arrays; afterwards findings == the sum over codes, the tables are
 * within their caps, and every record was counted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "watchpost/egress.h"
#include "watchpost/intel.h"

static const char *const addrs[] = {
    "10.0.0.1",        "10.0.0.2",        "192.168.1.20", "172.16.5.5",   "100.64.1.1",
    "198.51.100.7",    "198.51.100.8",    "203.0.113.9",  "8.8.8.8",      "239.255.255.250",
    "255.255.255.255", "0.0.0.0",         "fd00::1",      "2001:db8::66", "[2606:4700::1]",
    "fe80::1%eth0",    "::ffff:10.0.0.3", "::",           "not-an-ip",    "",
    "1.2.3.4.5",       "127.0.0.1",
};
#define N_ADDRS (sizeof addrs / sizeof addrs[0])

static const char INTEL[] = "type,value,source\n"
                            "ip-dst,198.51.100.7,fuzz\n"
                            "ip-dst,2001:db8::/32,fuzz\n"
                            "domain,evil.example,fuzz\n"
                            "url,http://evil.example/x,fuzz\n"
                            "ja3,72a589da586844d7f0818ce684948eea,fuzz\n"
                            "md5,44d88612fea8a8f36de82e1278abb02f,fuzz\n";

static const wp_intel_set *
intel(void)
{
    static wp_intel_set *set;
    if (set != NULL)
        return set;
    char err[256];
    if (wp_intel_set_new(NULL, &set) != WP_OK ||
        wp_intel_load_buffer(set, "fuzz-intel.csv", INTEL, strlen(INTEL), NULL, err, sizeof err) !=
            WP_OK)
        fz_die("intel set", err);
    return set;
}

static void
check_text(const char *field, const char *s, size_t cap)
{
    if (memchr(s, '\0', cap) == NULL)
        fz_die("INVARIANT finding string not terminated", field);
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            fz_die("INVARIANT finding string not printable ASCII", field);
}

static void
on_finding(void *ctx, const wp_egress_finding *f)
{
    (void)ctx;
    if ((unsigned)f->code >= WP_EG__COUNT)
        fz_die("INVARIANT finding code out of range", NULL);
    const char *name = wp_egress_code_name(f->code);
    if (!(f->score >= 0 && f->score <= 1))
        fz_die("INVARIANT score outside [0, 1]", name);
    if (!isfinite(f->ts) || !isfinite(f->first_ts))
        fz_die("INVARIANT finding time not finite", name);
    if (f->count == 0)
        fz_die("INVARIANT finding with a zero count", name);
    check_text("src", f->src, sizeof f->src);
    check_text("dst", f->dst, sizeof f->dst);
    check_text("indicator", f->indicator, sizeof f->indicator);
    check_text("source", f->source, sizeof f->source);
    check_text("evidence", f->evidence, sizeof f->evidence);
}

/* Split s on '|' into up to 3 parts. */
static void
split3(const char *s, size_t n, wp_net_str out[3])
{
    size_t k = 0, start = 0;
    memset(out, 0, 3 * sizeof(*out));
    for (size_t i = 0; i <= n && k < 3; i++)
        if (i == n || (s[i] == '|' && k < 2)) {
            out[k++] = (wp_net_str){s + start, i - start};
            start = i + 1;
        }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    wp_egress_config c;
    wp_egress_config_init(&c);
    c.max_pairs = 1 + (data[0] & 15);
    c.max_hosts = 1 + (data[0] >> 4);
    c.max_domains = 1 + (data[1] & 15);
    c.max_dests = 1 + ((data[0] ^ data[1]) & 7); /* the destination memory evicts */
    c.beacon_min_conns = 4 + (data[1] >> 6);
    c.beacon_max_samples = 4u << ((data[1] >> 4) & 3);
    c.beacon_window = 600;
    c.volume_window = 60;
    c.rare_warmup = (data[1] & 0x80) ? 0 : 30;
    c.long_conn_seconds = 100;
    c.dns_min_unique = 3;
    c.dns_label_len = 8;
    c.dns_entropy = 2;
    c.exfil_min_bytes = 1000;
    c.new_dest_min_bytes = 500;
    c.exfil_conn_bytes = 2000;
    c.exfil_dest_bytes = 3000;
    static const char *const allow[] = {"203.0.113.0/24", "allowed.example"};
    c.allow = allow;
    c.n_allow = 2;
    wp_egress *e = NULL;
    char err[256];
    if (wp_egress_new(&c, intel(), on_finding, NULL, &e, err, sizeof err) != WP_OK)
        fz_die("wp_egress_new", err);

    const uint8_t *p = data + 2, *end = data + size;
    double ts = 1700000000.0;
    unsigned long long added = 0;
    while (end - p >= 11) {
        const uint8_t *h = p;
        p += 11;
        size_t sn = h[10] % 96;
        if (sn > (size_t)(end - p))
            sn = (size_t)(end - p);
        const char *s = (const char *)p;
        p += sn;

        int16_t step = (int16_t)(h[3] | h[4] << 8);
        switch (h[5] & 7) {
        case 0:
            ts += step * 0.01;
            break;
        case 1:
        case 2:
        case 3:
            ts += step;
            break;
        case 4:
            ts += step * 60.0;
            break;
        default:
            break; /* same time */
        }
        double rts = ts;
        if ((h[5] & 0xf8) == 0xf8)
            rts = (h[6] & 3) == 0 ? NAN : (h[6] & 3) == 1 ? 1e300 : (h[6] & 3) == 2 ? 0 : -ts;

        unsigned kind = h[0] % (WP_NET__COUNT + 1);
        if (kind == WP_NET__COUNT) {
            wp_egress_tick(e, rts);
            continue;
        }
        wp_net_record r;
        memset(&r, 0, sizeof r);
        r.kind = (wp_net_kind)kind;
        r.ts = rts;
        const char *src = addrs[h[1] % N_ADDRS], *dst = addrs[h[2] % N_ADDRS];
        r.src_ip = (wp_net_str){src, strlen(src)};
        r.dst_ip = (wp_net_str){dst, strlen(dst)};
        r.src_port = 40000 + h[8];
        r.dst_port = h[8] == 0 ? WP_NET_UNSET : h[8] < 128 ? 443 : h[8];
        r.orig_bytes = (h[6] >> 2) == 63 ? WP_NET_UNSET : (int64_t)(h[6] >> 2) << (h[7] & 31);
        r.duration = h[7] == 255 ? -1 : h[7] == 254 ? NAN : (h[7] >> 3) * 7.0;
        r.resp_bytes = r.orig_pkts = r.resp_pkts = WP_NET_UNSET;
        r.status_code = WP_NET_UNSET;
        r.request_body_len = r.response_body_len = WP_NET_UNSET;
        r.signature_id = h[9];
        r.alert_severity = h[9] % 5 == 4 ? WP_NET_UNSET : h[9] % 5;
        wp_net_str parts[3];
        split3(s, sn, parts);
        static const char *const qtypes[] = {"A", "TXT", "NULL", "AAAA"};
        switch (r.kind) {
        case WP_NET_DNS:
            r.query = (wp_net_str){s, sn};
            r.qtype = (wp_net_str){qtypes[h[9] & 3], strlen(qtypes[h[9] & 3])};
            break;
        case WP_NET_HTTP:
            r.method = (h[9] & 1) ? (wp_net_str){"POST", 4} : (wp_net_str){"GET", 3};
            r.host = parts[0];
            r.uri = parts[1];
            r.post_body = parts[2];
            break;
        case WP_NET_TLS:
            r.sni = parts[0];
            r.ja3 = parts[1];
            r.ja3s = parts[2];
            break;
        case WP_NET_FILE:
            r.md5 = parts[0];
            r.sha1 = parts[1];
            r.sha256 = parts[2];
            r.filename = (wp_net_str){s, sn < 8 ? sn : 8};
            break;
        case WP_NET_ALERT:
            r.signature = (wp_net_str){s, sn};
            break;
        default:
            break;
        }
        if (wp_egress_add(e, &r) != WP_OK)
            fz_die("INVARIANT wp_egress_add refused a record", NULL);
        added++;
    }
    wp_egress_tick(e, ts + 86400);

    const wp_egress_stats *st = wp_egress_stats_get(e);
    unsigned long long sum = 0;
    for (int i = 0; i < WP_EG__COUNT; i++)
        sum += st->findings_by_code[i];
    if (sum != st->findings)
        fz_die("INVARIANT findings != sum of findings_by_code", NULL);
    if (st->records != added)
        fz_die("INVARIANT records not all counted", NULL);
    if (st->pairs > c.max_pairs || st->hosts > c.max_hosts || st->domains > c.max_domains ||
        st->dests > c.max_dests) {
        fz_die("INVARIANT a table is past its cap", NULL);
    }
    if (st->skipped > st->records || st->capped > st->records)
        fz_die("INVARIANT skipped or capped above records", NULL);
    wp_egress_free(e);
    return 0;
}
