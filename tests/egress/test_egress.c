/*
 * test_egress.c - the egress detectors on hand-built records: every finding code, the
 * beacon score on a jittered implant and on human browsing, allow-list and direction rules,
 * table caps, records out of time order, and reporting again only when evidence grows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wpt.h"

#include "egress/egress_int.h"
#include "watchpost/egress.h"
#include "watchpost/intel.h"

/* ---- helpers ---- */

typedef struct sink {
    wp_egress_finding *f;
    size_t n, cap;
} sink;

static void
collect(void *ctx, const wp_egress_finding *f)
{
    sink *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->f = realloc(s->f, s->cap * sizeof(*s->f));
        assert_non_null(s->f);
    }
    s->f[s->n++] = *f;
}

static size_t
count(const sink *s, wp_egress_code c)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->f[i].code == c;
    return n;
}

/* The last finding of code c (about dst when not NULL). */
static const wp_egress_finding *
find(const sink *s, wp_egress_code c, const char *dst)
{
    for (size_t i = s->n; i-- > 0;)
        if (s->f[i].code == c && (dst == NULL || strcmp(s->f[i].dst, dst) == 0))
            return &s->f[i];
    return NULL;
}

static void
dump(const sink *s)
{
    for (size_t i = 0; i < s->n; i++)
        fprintf(stderr, "  %s %s -> %s:%d score %.3f count %llu: %s\n",
                wp_egress_code_name(s->f[i].code), s->f[i].src, s->f[i].dst, s->f[i].dst_port,
                s->f[i].score, s->f[i].count, s->f[i].evidence);
}

#define assert_found(s, c, dst)                                                            \
    do {                                                                                   \
        if (find((s), (c), (dst)) == NULL) {                                               \
            dump(s);                                                                       \
            fail_msg("expected %s about %s", wp_egress_code_name(c), (dst) ? (dst) : "*"); \
        }                                                                                  \
    } while (0)
#define assert_none(s, c)                                      \
    do {                                                       \
        if (count((s), (c)) != 0) {                            \
            dump(s);                                           \
            fail_msg("unexpected %s", wp_egress_code_name(c)); \
        }                                                      \
    } while (0)

typedef struct fixture {
    wp_egress *e;
    sink s;
    wp_intel_set *intel;
} fixture;

static void
fx_open(fixture *fx, const wp_egress_config *cfg)
{
    memset(&fx->s, 0, sizeof fx->s);
    char err[256] = "";
    wp_status st = wp_egress_new(cfg, fx->intel, collect, &fx->s, &fx->e, err, sizeof err);
    if (st != WP_OK)
        fail_msg("wp_egress_new: %s", err);
}

static void
fx_close(fixture *fx)
{
    wp_egress_free(fx->e);
    free(fx->s.f);
    wp_intel_set_free(fx->intel);
    memset(fx, 0, sizeof(*fx));
}

static wp_net_str
S(const char *s)
{
    return (wp_net_str){s, s ? strlen(s) : 0};
}

static wp_net_record
rec(wp_net_kind kind, double ts, const char *src, const char *dst, int dport)
{
    wp_net_record r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.ts = ts;
    r.src_ip = S(src);
    r.dst_ip = S(dst);
    r.src_port = 50000;
    r.dst_port = dport;
    r.duration = -1;
    r.orig_bytes = r.resp_bytes = r.orig_pkts = r.resp_pkts = WP_NET_UNSET;
    r.status_code = WP_NET_UNSET;
    r.request_body_len = r.response_body_len = WP_NET_UNSET;
    r.signature_id = WP_NET_UNSET;
    r.alert_severity = WP_NET_UNSET;
    return r;
}

static void
conn(fixture *fx, double ts, const char *src, const char *dst, int port, int64_t bytes,
     double duration)
{
    wp_net_record r = rec(WP_NET_CONN, ts, src, dst, port);
    r.proto = S("tcp");
    r.orig_bytes = bytes;
    r.resp_bytes = 1000;
    r.duration = duration;
    assert_int_equal(wp_egress_add(fx->e, &r), WP_OK);
}

static void
dns(fixture *fx, double ts, const char *src, const char *query, const char *qtype)
{
    wp_net_record r = rec(WP_NET_DNS, ts, src, "10.0.0.53", 53);
    r.query = S(query);
    r.qtype = S(qtype);
    assert_int_equal(wp_egress_add(fx->e, &r), WP_OK);
}

/* deterministic uniform [0, 1) */
static double
rnd(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return (double)(*st >> 11) / 9007199254740992.0;
}

static const double T0 = 1700000000.0;

/* ---- names and configuration ---- */

static void
test_names_and_config(void **state)
{
    (void)state;
    for (int c = 0; c < WP_EG__COUNT; c++)
        assert_str_prefix(wp_egress_code_name((wp_egress_code)c), "NET_");
    assert_string_equal(wp_egress_code_name(WP_EG_BEACON), "NET_BEACON");
    assert_string_equal(wp_egress_code_name(WP_EG_IOC_IP), "NET_IOC_IP");
    assert_string_equal(wp_egress_code_name(WP_EG__COUNT), "unknown");

    wp_egress_config c;
    wp_egress_config_init(&c);
    assert_int_equal(c.beacon_min_conns, 20);
    assert_true(c.beacon_threshold == 0.8);
    assert_int_equal(c.max_pairs, 1000000);

    wp_egress *e = NULL;
    char err[256];
    c.beacon_threshold = 1.5;
    assert_int_equal(wp_egress_new(&c, NULL, NULL, NULL, &e, err, sizeof err), WP_EINVAL);
    assert_null(e);
    assert_str_contains(err, "egress.beacon_threshold");
    wp_egress_config_init(&c);
    c.volume_window = NAN;
    assert_int_equal(wp_egress_new(&c, NULL, NULL, NULL, &e, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "egress.volume_window");
    wp_egress_config_init(&c);
    const char *bad[] = {"10.0.0.0/33"};
    c.internal_nets = bad;
    c.n_internal_nets = 1;
    assert_int_equal(wp_egress_new(&c, NULL, NULL, NULL, &e, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "10.0.0.0/33");
    wp_egress_config_init(&c);
    const char *allow[] = {"no dots"};
    c.allow = allow;
    c.n_allow = 1;
    assert_int_equal(wp_egress_new(&c, NULL, NULL, NULL, &e, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "egress.allow");
    /* NULL configuration: the defaults; caps clamp to their ceilings */
    assert_int_equal(wp_egress_new(NULL, NULL, NULL, NULL, &e, err, sizeof err), WP_OK);
    wp_egress_free(e);
    wp_egress_config_init(&c);
    c.max_pairs = (size_t)-1;
    c.beacon_max_samples = 1u << 30;
    assert_int_equal(wp_egress_new(&c, NULL, NULL, NULL, &e, err, sizeof err), WP_OK);
    wp_egress_free(e);
    wp_egress_free(NULL);
    assert_null(wp_egress_stats_get(NULL));
    assert_int_equal(wp_egress_add(NULL, NULL), WP_EINVAL);
}

/* ---- beaconing ---- */

/* 60 s +- 20% sleep, ~300 B +- 3% per check-in, for `hours` */
static double
implant(fixture *fx, const char *src, const char *dst, double start, double hours, uint64_t *st)
{
    double t = start;
    while (t < start + hours * 3600) {
        conn(fx, t, src, dst, 443, (int64_t)(300 * (0.97 + 0.06 * rnd(st))), 0.4);
        t += 60 * (0.8 + 0.4 * rnd(st));
    }
    return t;
}

static void
test_beacon_jittered(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    uint64_t st = 42;
    double end = implant(&fx, "10.1.1.5", "198.51.100.20", T0, 24, &st);
    wp_egress_tick(fx.e, end);
    assert_found(&fx.s, WP_EG_BEACON, "198.51.100.20");
    const wp_egress_finding *f = find(&fx.s, WP_EG_BEACON, NULL);
    assert_string_equal(f->src, "10.1.1.5");
    assert_int_equal(f->dst_port, 443);
    assert_true(f->score >= 0.8);
    assert_true(f->count > 1000);
    assert_true(f->first_ts >= T0 && f->first_ts < T0 + 100);
    assert_str_contains(f->evidence, "beacon score");
    assert_int_equal(count(&fx.s, WP_EG_BEACON), 1);
    assert_int_equal(wp_egress_stats_get(fx.e)->findings_by_code[WP_EG_BEACON], 1);

    /* ticking again without new evidence reports nothing more */
    wp_egress_tick(fx.e, end + 10);
    assert_int_equal(count(&fx.s, WP_EG_BEACON), 1);
    fx_close(&fx);
}

/* evidence grows: the same beacon reported again only when its count has doubled */
static void
test_beacon_rereport(void **state)
{
    (void)state;
    fixture fx = {0};
    wp_egress_config c;
    wp_egress_config_init(&c);
    c.beacon_window = 7 * 86400.0;
    c.beacon_max_samples = 8192;
    fx_open(&fx, &c);
    uint64_t st = 7;
    double t = implant(&fx, "10.1.1.5", "198.51.100.20", T0, 2, &st);
    wp_egress_tick(fx.e, t);
    assert_int_equal(count(&fx.s, WP_EG_BEACON), 1);
    unsigned long long first = find(&fx.s, WP_EG_BEACON, NULL)->count;
    t = implant(&fx, "10.1.1.5", "198.51.100.20", t, 1, &st); /* 1.5x: not yet */
    wp_egress_tick(fx.e, t);
    assert_int_equal(count(&fx.s, WP_EG_BEACON), 1);
    t = implant(&fx, "10.1.1.5", "198.51.100.20", t, 1.5, &st); /* past 2x */
    wp_egress_tick(fx.e, t);
    assert_int_equal(count(&fx.s, WP_EG_BEACON), 2);
    assert_true(find(&fx.s, WP_EG_BEACON, NULL)->count >= 2 * first);
    fx_close(&fx);
}

/* A person: sessions of a few requests seconds apart, hours of nothing, sizes all over. */
static void
test_human_not_beacon(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    uint64_t st = 99;
    double t = T0;
    size_t n = 0;
    while (t < T0 + 24 * 3600) {
        int burst = 1 + (int)(rnd(&st) * 8);
        for (int i = 0; i < burst; i++) {
            double size = exp(5 + 3 * rnd(&st)); /* 150 B .. 3 KB, log-uniform */
            conn(&fx, t, "10.1.1.7", "203.0.113.80", 443, (int64_t)size, 2 + 30 * rnd(&st));
            t += 0.2 + 6 * rnd(&st);
            n++;
        }
        t += -log(1 - rnd(&st)) * 1800; /* Poisson arrivals of sessions, 30 min mean */
    }
    assert_true(n >= 100);
    /* an application polling at random times (Poisson, 10 min mean) with constant sizes:
     * the size components are perfect, the timing is not periodic */
    for (int seed = 1; seed <= 20; seed++) {
        char dst[32];
        snprintf(dst, sizeof dst, "203.0.113.%d", 100 + seed);
        st = (uint64_t)seed * 7919;
        for (double u = T0; u < T0 + 86400; u += -log(1 - rnd(&st)) * 600)
            conn(&fx, u, "10.1.1.8", dst, 443, 512, 1);
    }
    wp_egress_tick(fx.e, T0 + 86400);
    assert_none(&fx.s, WP_EG_BEACON);
    fx_close(&fx);
}

/* The score itself, straight from eg_beacon_score(). */
static void
test_beacon_score_components(void **state)
{
    (void)state;
    double ts[64], sz[64], work[64];
    eg_beacon_result r;
    /* a perfect beacon: every component 1 */
    for (int i = 0; i < 64; i++) {
        ts[63 - i] = 1000 + 30.0 * i; /* reversed: the function sorts */
        sz[i] = 100;
    }
    assert_true(eg_beacon_score(ts, sz, 64, work, 0, &r));
    assert_true(fabs(r.score - (5 + (1 - 100 / 65535.0)) / 6) < 1e-9);
    assert_true(r.median_interval == 30);
    assert_int_equal(r.intervals, 63);
    /* duplicates under a second merge into one check-in */
    for (int i = 0; i < 64; i++) {
        ts[i] = 1000 + 30.0 * (i / 2) + (i % 2) * 0.5;
        sz[i] = 100;
    }
    assert_true(eg_beacon_score(ts, sz, 64, work, 0, &r));
    assert_int_equal(r.merged, 32);
    assert_true(r.median_interval == 30);
    /* too few intervals */
    for (int i = 0; i < 8; i++)
        ts[i] = 5.0;
    assert_false(eg_beacon_score(ts, sz, 8, work, 0, &r));
    assert_false(eg_beacon_score(ts, sz, 3, work, 0, &r));
    /* coverage against a longer span: 64 check-ins of 30 s cannot cover 4 hours */
    for (int i = 0; i < 64; i++) {
        ts[i] = 1000 + 30.0 * i;
        sz[i] = 100;
    }
    assert_true(eg_beacon_score(ts, sz, 64, work, 4 * 3600, &r));
    assert_true(fabs(r.ts_conn - 64.0 / (4 * 3600 / 30.0 + 1)) < 1e-9);
}

/* A short regular stretch inside a long watch is not enough; a beacon that keeps going is. */
static void
test_beacon_needs_duration(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    uint64_t st = 17;
    /* the site is watched for a day (other traffic at random times), then 40 minutes of
     * regular visits */
    for (int h = 0; h < 24; h++)
        conn(&fx, h == 0 ? T0 : T0 + rnd(&st) * 86400, "10.1.1.99", "198.51.100.99", 443, 500, 1);
    double t = T0 + 20 * 3600;
    for (int i = 0; i < 30; i++, t += 80 * (0.8 + 0.4 * rnd(&st)))
        conn(&fx, t, "10.1.1.7", "203.0.113.80", 443, 800, 2);
    wp_egress_tick(fx.e, T0 + 24 * 3600);
    assert_none(&fx.s, WP_EG_BEACON);
    /* an implant started 3 hours before the end of that day is found */
    implant(&fx, "10.1.1.5", "198.51.100.20", T0 + 21 * 3600, 3, &st);
    wp_egress_tick(fx.e, T0 + 24 * 3600);
    assert_found(&fx.s, WP_EG_BEACON, "198.51.100.20");
    fx_close(&fx);
}

/* ---- long connections ---- */

static void
test_long_conn(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    conn(&fx, T0, "10.1.1.5", "198.51.100.30", 22, 5000, 7200);
    const wp_egress_finding *f = find(&fx.s, WP_EG_LONG_CONN, "198.51.100.30");
    assert_non_null(f);
    assert_int_equal(f->count, 7200);
    assert_true(fabs(f->score - 7200.0 / 10800.0) < 1e-9);
    assert_int_equal(f->dst_port, 22);
    /* another hour on the same pair: not yet twice the reported total */
    conn(&fx, T0 + 7300, "10.1.1.5", "198.51.100.30", 22, 5000, 3600);
    assert_int_equal(count(&fx.s, WP_EG_LONG_CONN), 1);
    conn(&fx, T0 + 11000, "10.1.1.5", "198.51.100.30", 22, 5000, 3700);
    assert_int_equal(count(&fx.s, WP_EG_LONG_CONN), 2);

    /* short connections adding up (RITA's total duration): reported with a lower score */
    for (int i = 0; i < 10; i++)
        conn(&fx, T0 + i * 500, "10.1.1.6", "198.51.100.31", 443, 100, 400);
    f = find(&fx.s, WP_EG_LONG_CONN, "198.51.100.31");
    assert_non_null(f);
    assert_true(f->score < 0.5);
    assert_str_contains(f->evidence, "total");
    /* below the threshold: nothing */
    conn(&fx, T0, "10.1.1.7", "198.51.100.32", 443, 100, 3599);
    assert_null(find(&fx.s, WP_EG_LONG_CONN, "198.51.100.32"));
    fx_close(&fx);
}

/* ---- DNS ---- */

static void
test_dns_tunnel(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    uint64_t st = 5;
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    for (int i = 0; i < 300; i++) {
        char q[128];
        int o = 0;
        for (int k = 0; k < 52; k++)
            q[o++] = b32[(int)(rnd(&st) * 32)];
        snprintf(q + o, sizeof q - (size_t)o, ".t.tunnel-evil.com");
        dns(&fx, T0 + i, "10.1.1.9", q, "TXT");
    }
    const wp_egress_finding *f = find(&fx.s, WP_EG_DNS_TUNNEL, "tunnel-evil.com");
    assert_non_null(f);
    assert_string_equal(f->src, "10.1.1.9");
    assert_true(f->count >= 100);
    assert_true(f->score > 0.5);
    assert_str_contains(f->evidence, "TXT");
    /* reported at 100 and 200 distinct names, not at every query */
    assert_int_equal(count(&fx.s, WP_EG_DNS_TUNNEL), 2);

    /* ordinary names: a few per domain; and a CDN with hundreds of short, plain ones */
    static const char *const sites[] = {"example.com", "news.example.org", "shop.example.net",
                                        "mail.example.co.uk"};
    static const char *const subs[] = {"www", "mail", "api", "static", "img", "cdn"};
    for (int i = 0; i < 400; i++) {
        char q[128];
        snprintf(q, sizeof q, "%s.%s", subs[i % 6], sites[(i / 6) % 4]);
        dns(&fx, T0 + 400 + i, "10.1.1.10", q, "A");
        snprintf(q, sizeof q, "img%d.static-cdn.example", i);
        dns(&fx, T0 + 400 + i, "10.1.1.10", q, "A");
    }
    /* reverse lookups and local names are not domains */
    dns(&fx, T0 + 900, "10.1.1.10", "5.1.1.10.in-addr.arpa", "PTR");
    dns(&fx, T0 + 900, "10.1.1.10", "printer.local", "A");
    dns(&fx, T0 + 900, "10.1.1.10", "wpad", "A");
    assert_int_equal(count(&fx.s, WP_EG_DNS_TUNNEL), 2);
    fx_close(&fx);
}

/* ---- exfiltration ---- */

static void
test_exfil_volume(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    /* five hours of 2 MB per hour from two hosts */
    for (int h = 0; h < 5; h++)
        for (int i = 0; i < 4; i++) {
            conn(&fx, T0 + h * 3600 + i * 600, "10.2.0.1", "198.51.100.50", 443, 500000, 2);
            conn(&fx, T0 + h * 3600 + i * 600, "10.2.0.2", "198.51.100.50", 443, 500000, 2);
        }
    assert_none(&fx.s, WP_EG_EXFIL_VOLUME);
    /* hour six: 10.2.0.1 sends 120 MB to a known destination, 10.2.0.2 goes on as before */
    for (int i = 0; i < 4; i++) {
        conn(&fx, T0 + 5 * 3600 + i * 600, "10.2.0.1", "198.51.100.50", 443, 30000000, 60);
        conn(&fx, T0 + 5 * 3600 + i * 600, "10.2.0.2", "198.51.100.50", 443, 500000, 2);
    }
    const wp_egress_finding *f = find(&fx.s, WP_EG_EXFIL_VOLUME, NULL);
    assert_non_null(f);
    assert_string_equal(f->src, "10.2.0.1");
    assert_true(f->count >= 60000000);
    /* reported when crossing 50 MB, again at twice that, not at every connection */
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_VOLUME), 2);
    assert_none(&fx.s, WP_EG_EXFIL_NEW_DEST);

    /* a host's very first window has no baseline: below the ceilings, no volume finding */
    conn(&fx, T0, "10.2.0.3", "198.51.100.51", 443, 90000000, 600);
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_VOLUME), 2);
    fx_close(&fx);
}

static void
test_exfil_new_dest(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    /* at the start of the log everything is new: not reported */
    conn(&fx, T0, "10.2.0.1", "198.51.100.60", 443, 30000000, 30);
    assert_none(&fx.s, WP_EG_EXFIL_NEW_DEST);
    /* two hours later, 12 MB in three uploads to a destination the host never used */
    conn(&fx, T0 + 7200, "10.2.0.1", "203.0.113.66", 443, 4000000, 5);
    assert_none(&fx.s, WP_EG_EXFIL_NEW_DEST);
    conn(&fx, T0 + 7300, "10.2.0.1", "203.0.113.66", 443, 4000000, 5);
    conn(&fx, T0 + 7400, "10.2.0.1", "203.0.113.66", 443, 4000000, 5);
    const wp_egress_finding *f = find(&fx.s, WP_EG_EXFIL_NEW_DEST, "203.0.113.66");
    assert_non_null(f);
    assert_int_equal(f->count, 12000000);
    assert_true(f->first_ts == T0 + 7200);
    conn(&fx, T0 + 7500, "10.2.0.1", "203.0.113.66", 443, 40000000, 5);
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_NEW_DEST), 1);
    /* the known destination again: nothing */
    conn(&fx, T0 + 7600, "10.2.0.1", "198.51.100.60", 443, 30000000, 5);
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_NEW_DEST), 1);
    fx_close(&fx);
}

/* The start of T0's volume window (windows are aligned to multiples of the window) */
static double
window_of(double ts)
{
    return floor(ts / 3600) * 3600;
}

/* The very first record of the log: a 250 MB upload from a host never seen to a destination
 * never seen. No baseline, no history: the connection ceiling alone says it. */
static void
test_exfil_first_record(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    conn(&fx, T0, "10.4.0.9", "203.0.113.99", 443, 250000000, 900);
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_VOLUME), 1);
    const wp_egress_finding *f = find(&fx.s, WP_EG_EXFIL_VOLUME, "203.0.113.99");
    assert_non_null(f);
    assert_string_equal(f->src, "10.4.0.9");
    assert_int_equal(f->dst_port, 443);
    assert_int_equal(f->count, 250000000);
    assert_true(f->first_ts == T0);                /* the connection, not the window's start */
    assert_true(f->score > 0.8 && f->score < 0.9); /* 0.5 + 0.25 log2(2.5) */
    assert_str_contains(f->evidence, "ceiling");
    /* a second one in the same window doubles the pair's sum: reported again, a third not */
    conn(&fx, T0 + 60, "10.4.0.9", "203.0.113.99", 443, 250000000, 900);
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_VOLUME), 2);
    conn(&fx, T0 + 120, "10.4.0.9", "203.0.113.99", 443, 250000000, 900);
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_VOLUME), 2);
    /* a smaller connection of another host stays under both ceilings */
    conn(&fx, T0 + 180, "10.4.0.10", "203.0.113.99", 443, 99000000, 900);
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_VOLUME), 2);
    /* the ceiling is a setting */
    fx_close(&fx);
    wp_egress_config c;
    wp_egress_config_init(&c);
    c.exfil_conn_bytes = 300000000;
    c.exfil_dest_bytes = 400000000;
    fx_open(&fx, &c);
    conn(&fx, T0, "10.4.0.9", "203.0.113.99", 443, 250000000, 900);
    assert_none(&fx.s, WP_EG_EXFIL_VOLUME);
    conn(&fx, T0 + 1, "10.4.0.9", "203.0.113.98", 443, 150000000, 900); /* elsewhere */
    assert_none(&fx.s, WP_EG_EXFIL_VOLUME);
    conn(&fx, T0 + 2, "10.4.0.9", "203.0.113.99", 443, 150000000, 900); /* 400 MB there */
    assert_found(&fx.s, WP_EG_EXFIL_VOLUME, "203.0.113.99");
    fx_close(&fx);
    wp_egress_config_init(&c);
    c.exfil_conn_bytes = 0;
    wp_egress *e = NULL;
    char err[256];
    assert_int_equal(wp_egress_new(&c, NULL, NULL, NULL, &e, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "egress.exfil_conn_bytes");
    wp_egress_config_init(&c);
    c.exfil_dest_bytes = 0;
    assert_int_equal(wp_egress_new(&c, NULL, NULL, NULL, &e, err, sizeof err), WP_EINVAL);
    assert_str_contains(err, "egress.exfil_dest_bytes");
}

/* The same volume in ten 30 MB connections, each under the connection ceiling: the pair's
 * window passes the per-destination ceiling on the seventh. */
static void
test_exfil_ceiling_window(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    double w0 = window_of(T0) + 3600; /* a whole window ahead */
    for (int i = 0; i < 10; i++) {
        conn(&fx, w0 + i * 300, "10.4.1.7", "198.51.100.77", 443, 30000000, 200);
        if (i < 6)
            assert_none(&fx.s, WP_EG_EXFIL_VOLUME);
    }
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_VOLUME), 1);
    const wp_egress_finding *f = find(&fx.s, WP_EG_EXFIL_VOLUME, "198.51.100.77");
    assert_non_null(f);
    assert_string_equal(f->src, "10.4.1.7");
    assert_int_equal(f->count, 210000000);
    assert_true(f->first_ts == w0);
    assert_true(f->score >= 0.5);
    assert_str_contains(f->evidence, "largest connection 30000000");
    /* the same split over two windows (150 MB in each) stays under the ceiling */
    for (int i = 0; i < 10; i++)
        conn(&fx, w0 + 3 * 3600 + 2400 + i * 240, "10.4.1.8", "198.51.100.78", 443, 30000000, 200);
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_VOLUME), 1);
    /* and so does the same split over destinations: the ceiling is per destination */
    for (int i = 0; i < 6; i++) {
        char dst[32];
        (void)snprintf(dst, sizeof dst, "198.51.100.%d", 100 + i);
        conn(&fx, w0 + 6 * 3600 + i * 300, "10.4.1.9", dst, 443, 30000000, 200);
    }
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_VOLUME), 1);
    fx_close(&fx);
}

/* A site's ordinary day, from the first record on: no exfiltration finding of any kind. */
static void
test_exfil_ordinary(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    uint64_t st = 99;
    static const char *const sites[] = {"198.51.100.10", "198.51.100.11", "203.0.113.12",
                                        "203.0.113.13",  "192.0.2.14",    "192.0.2.15"};
    for (int hour = 0; hour < 24; hour++) {
        for (int host = 0; host < 20; host++) {
            char src[32];
            (void)snprintf(src, sizeof src, "10.5.0.%d", 10 + host);
            int sessions = hour >= 8 && hour < 18 ? 6 : 1;
            for (int k = 0; k < sessions; k++) {
                double t = T0 + hour * 3600 + rnd(&st) * 3600;
                const char *dst = sites[(size_t)(rnd(&st) * 6)];
                /* requests and form posts up to a few MB; downloads are not uploads */
                int64_t up = (int64_t)(2000 + rnd(&st) * (rnd(&st) < 0.05 ? 8e6 : 2e5));
                wp_net_record r = rec(WP_NET_CONN, t, src, dst, 443);
                r.orig_bytes = up;
                r.resp_bytes = (int64_t)(rnd(&st) * 5e8);
                r.duration = 30;
                assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
            }
        }
    }
    /* a new laptop appears late and syncs 40 MB to a destination the site uses */
    conn(&fx, T0 + 20 * 3600, "10.5.0.99", "198.51.100.10", 443, 40000000, 300);
    wp_egress_tick(fx.e, T0 + 24 * 3600);
    assert_none(&fx.s, WP_EG_EXFIL_VOLUME);
    assert_none(&fx.s, WP_EG_EXFIL_NEW_DEST);
    fx_close(&fx);
}

/* "Never contacted" is the site's history: a host's first record counts, a destination
 * another host already uses does not. */
static void
test_exfil_new_dest_site(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    conn(&fx, T0, "10.2.1.1", "198.51.100.61", 443, 5000, 1);
    conn(&fx, T0 + 3000, "10.2.1.1", "198.51.100.61", 443, 5000, 1);
    /* two hours in, a host never seen before: its first record is a 30 MB upload */
    conn(&fx, T0 + 7200, "10.2.1.2", "203.0.113.67", 443, 30000000, 30);
    const wp_egress_finding *f = find(&fx.s, WP_EG_EXFIL_NEW_DEST, "203.0.113.67");
    assert_non_null(f);
    assert_string_equal(f->src, "10.2.1.2");
    assert_str_contains(f->evidence, "no host of the site");
    /* another new host to the destination the first one used: not new to the site */
    conn(&fx, T0 + 7300, "10.2.1.3", "198.51.100.61", 443, 30000000, 30);
    /* nor to the one just reported */
    conn(&fx, T0 + 7400, "10.2.1.4", "203.0.113.67", 443, 30000000, 30);
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_NEW_DEST), 1);
    assert_int_equal(wp_egress_stats_get(fx.e)->dests, 2);
    fx_close(&fx);
}

/* Every table stays within its cap while many hosts and destinations pass, and detection
 * goes on: the connection ceiling needs no table, and the destination memory forgets the
 * least recently contacted first. */
static void
test_exfil_bounded(void **state)
{
    (void)state;
    fixture fx = {0};
    wp_egress_config c;
    wp_egress_config_init(&c);
    c.max_dests = 64;
    c.max_pairs = 100;
    c.max_hosts = 10;
    fx_open(&fx, &c);
    for (int i = 0; i < 3000; i++) {
        char src[32], dst[32];
        (void)snprintf(src, sizeof src, "10.%d.%d.%d", 20 + i % 5, (i / 5) % 100, 1 + i % 250);
        (void)snprintf(dst, sizeof dst, "198.%d.%d.%d", 18 + i % 2, i / 250, 1 + i % 250);
        conn(&fx, T0 + i, src, dst, 443, 1000, 1);
        const wp_egress_stats *s = wp_egress_stats_get(fx.e);
        assert_true(s->dests <= 64);
        assert_true(s->pairs <= 100);
        assert_true(s->hosts <= 10);
    }
    const wp_egress_stats *s = wp_egress_stats_get(fx.e);
    assert_int_equal(s->dests, 64);
    assert_int_equal(s->dests_evicted, 3000 - 64);
    assert_true(s->capped > 0);
    assert_none(&fx.s, WP_EG_EXFIL_VOLUME);
    /* full tables: a new host's 250 MB still raises the connection ceiling, once per doubling */
    conn(&fx, T0 + 7200, "10.30.0.1", "203.0.113.201", 443, 250000000, 600);
    const wp_egress_finding *f = find(&fx.s, WP_EG_EXFIL_VOLUME, "203.0.113.201");
    assert_non_null(f);
    assert_string_equal(f->src, "10.30.0.1");
    conn(&fx, T0 + 7260, "10.30.0.1", "203.0.113.201", 443, 250000000, 600);
    conn(&fx, T0 + 7320, "10.30.0.1", "203.0.113.201", 443, 250000000, 600);
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_VOLUME), 2);
    assert_true(wp_egress_stats_get(fx.e)->dests <= 64);
    fx_close(&fx);

    /* least recently contacted goes first */
    wp_egress_config_init(&c);
    c.max_dests = 4;
    fx_open(&fx, &c);
    const char *d[] = {"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"};
    for (int i = 0; i < 4; i++)
        conn(&fx, T0 + i, "10.2.2.1", d[i], 443, 1000, 1);
    conn(&fx, T0 + 100, "10.2.2.1", d[0], 443, 1000, 1); /* .1 used again: .2 is oldest */
    conn(&fx, T0 + 7200, "10.2.2.2", "203.0.113.5", 443, 30000000, 30); /* .2 goes */
    assert_found(&fx.s, WP_EG_EXFIL_NEW_DEST, "203.0.113.5");
    assert_int_equal(wp_egress_stats_get(fx.e)->dests, 4);
    assert_int_equal(wp_egress_stats_get(fx.e)->dests_evicted, 1);
    conn(&fx, T0 + 7300, "10.2.2.3", d[0], 443, 30000000, 30); /* remembered */
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_NEW_DEST), 1);
    conn(&fx, T0 + 7400, "10.2.2.3", d[1], 443, 30000000, 30); /* forgotten: new again */
    assert_found(&fx.s, WP_EG_EXFIL_NEW_DEST, d[1]);
    assert_int_equal(count(&fx.s, WP_EG_EXFIL_NEW_DEST), 2);
    fx_close(&fx);
}

static void
post(fixture *fx, double ts, const char *dst, const char *host, const char *body)
{
    wp_net_record r = rec(WP_NET_HTTP, ts, "10.3.0.4", dst, 80);
    r.method = S("POST");
    r.host = S(host);
    r.uri = S("/account/login.php?session=abc");
    r.post_body = S(body);
    assert_int_equal(wp_egress_add(fx->e, &r), WP_OK);
}

static void
test_cred_post(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    post(&fx, T0, "198.51.100.70", "login-micros0ft.example", "UserName=bob&Pass%57ord=hunter2");
    const wp_egress_finding *f = find(&fx.s, WP_EG_CRED_POST, "login-micros0ft.example");
    assert_non_null(f);
    assert_true(f->score == 0.9);
    assert_str_contains(f->evidence, "password");
    assert_str_contains(f->evidence, "username");
    assert_str_not_contains(f->evidence, "hunter2");
    assert_str_not_contains(f->evidence, "session=abc");
    /* JSON bodies; a token alone */
    post(&fx, T0 + 1, "198.51.100.71", "api.other.example",
         "{\"email\": \"a@b.example\", \"password\": \"x\"}");
    assert_found(&fx.s, WP_EG_CRED_POST, "api.other.example");
    post(&fx, T0 + 2, "198.51.100.72", "t.example", "access_token=abcdef");
    f = find(&fx.s, WP_EG_CRED_POST, "t.example");
    assert_non_null(f);
    assert_true(f->score == 0.7);
    size_t before = count(&fx.s, WP_EG_CRED_POST);
    /* harmless: a search, an empty password, identity only, an intranet login, a GET */
    post(&fx, T0 + 3, "198.51.100.73", "shop.example", "q=shoes&page=2&sort=price");
    post(&fx, T0 + 4, "198.51.100.74", "a.example", "user=bob&password=");
    post(&fx, T0 + 5, "198.51.100.75", "news.example", "email=a%40b.example&subscribe=1");
    post(&fx, T0 + 6, "10.9.9.9", "intranet.corp", "username=bob&password=secret1");
    post(&fx, T0 + 7, "198.51.100.76", "j.example", "{\"password\": \"\", \"q\": 1}");
    wp_net_record r = rec(WP_NET_HTTP, T0 + 8, "10.3.0.4", "198.51.100.77", 80);
    r.method = S("GET");
    r.host = S("g.example");
    r.post_body = S("password=x");
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    assert_int_equal(count(&fx.s, WP_EG_CRED_POST), before);
    /* the same site again: reported at the 2nd and 4th POST */
    for (int i = 0; i < 3; i++)
        post(&fx, T0 + 10 + i, "198.51.100.70", "login-micros0ft.example", "pwd=1&login=2");
    assert_int_equal(count(&fx.s, WP_EG_CRED_POST), before + 2);
    assert_int_equal(find(&fx.s, WP_EG_CRED_POST, "login-micros0ft.example")->count, 4);
    fx_close(&fx);
}

/* ---- indicators ---- */

static const char JA3[] = "72a589da586844d7f0818ce684948eea";
static const char MD5[] = "44d88612fea8a8f36de82e1278abb02f";

static wp_intel_set *
test_intel(void)
{
    wp_intel_set *set = NULL;
    assert_int_equal(wp_intel_set_new(NULL, &set), WP_OK);
    char text[1024];
    snprintf(text, sizeof text,
             "type,value,source\n"
             "ip-dst,198.51.100.7,C2 feed\n"
             "ip-dst,10.0.0.66,lab\n"
             "domain,evil.example,CERT\n"
             "domain,cdn.allowed.example,CERT\n"
             "url,http://bad.example/payload.bin,URLhaus\n"
             "ja3-fingerprint-md5,%s,SSLBL\n"
             "md5,%s,\n",
             JA3, MD5);
    char err[256];
    assert_int_equal(
        wp_intel_load_buffer(set, "feed.csv", text, strlen(text), NULL, err, sizeof err), WP_OK);
    return set;
}

static void
test_ioc(void **state)
{
    (void)state;
    fixture fx = {0};
    fx.intel = test_intel();
    fx_open(&fx, NULL);
    conn(&fx, T0, "10.4.0.1", "198.51.100.7", 8443, 100, 1);
    const wp_egress_finding *f = find(&fx.s, WP_EG_IOC_IP, "198.51.100.7");
    assert_non_null(f);
    assert_string_equal(f->src, "10.4.0.1");
    assert_string_equal(f->indicator, "198.51.100.7");
    assert_string_equal(f->source, "C2 feed");
    assert_int_equal(f->dst_port, 8443);
    assert_true(f->score == 1.0);
    assert_str_contains(f->evidence, "feed.csv:2");
    /* inbound from the listed address (a scan) is not our host contacting it */
    conn(&fx, T0, "198.51.100.7", "10.4.0.1", 22, 100, 1);
    assert_int_equal(count(&fx.s, WP_EG_IOC_IP), 1);
    /* repeats: reported again at the 2nd and 4th connection, not the 3rd */
    for (int i = 0; i < 3; i++)
        conn(&fx, T0 + 1 + i, "10.4.0.1", "198.51.100.7", 8443, 100, 1);
    assert_int_equal(count(&fx.s, WP_EG_IOC_IP), 3);
    assert_int_equal(find(&fx.s, WP_EG_IOC_IP, NULL)->count, 4);

    dns(&fx, T0 + 10, "10.4.0.2", "WWW.Sub.Evil.Example.", "A");
    f = find(&fx.s, WP_EG_IOC_DOMAIN, "www.sub.evil.example");
    assert_non_null(f);
    assert_string_equal(f->indicator, "evil.example");
    assert_string_equal(f->src, "10.4.0.2");
    dns(&fx, T0 + 11, "10.4.0.2", "notevil.example", "A");
    assert_int_equal(count(&fx.s, WP_EG_IOC_DOMAIN), 1);

    wp_net_record r = rec(WP_NET_HTTP, T0 + 20, "10.4.0.3", "203.0.113.9", 80);
    r.method = S("GET");
    r.host = S("Bad.Example:80");
    r.uri = S("/payload.bin");
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    f = find(&fx.s, WP_EG_IOC_URL, "bad.example");
    assert_non_null(f);
    assert_string_equal(f->indicator, "http://bad.example/payload.bin");
    assert_string_equal(f->source, "URLhaus");

    r = rec(WP_NET_TLS, T0 + 30, "10.4.0.4", "203.0.113.10", 443);
    r.sni = S("cloud.example");
    r.ja3 = S("72A589DA586844D7F0818CE684948EEA");
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    f = find(&fx.s, WP_EG_IOC_JA3, "cloud.example");
    assert_non_null(f);
    assert_string_equal(f->indicator, JA3);
    assert_str_contains(f->evidence, "JA3");
    /* the same digest as a file hash is not a fingerprint */
    r = rec(WP_NET_FILE, T0 + 40, "203.0.113.11", "10.4.0.5", WP_NET_UNSET);
    r.md5 = S(JA3);
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    assert_int_equal(count(&fx.s, WP_EG_IOC_HASH), 0);
    /* files.log: sent by an outside server, received by our host */
    r.md5 = S(MD5);
    r.filename = S("invoice.exe");
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    f = find(&fx.s, WP_EG_IOC_HASH, NULL);
    assert_non_null(f);
    assert_string_equal(f->src, "10.4.0.5");
    assert_string_equal(f->dst, "203.0.113.11");
    assert_str_contains(f->evidence, "invoice.exe");
    fx_close(&fx);
}

static void
test_allow_list(void **state)
{
    (void)state;
    fixture fx = {0};
    fx.intel = test_intel();
    wp_egress_config c;
    wp_egress_config_init(&c);
    const char *allow[] = {"198.51.100.0/24", "*.allowed.example", "updates.example"};
    c.allow = allow;
    c.n_allow = 3;
    fx_open(&fx, &c);
    uint64_t st = 3;
    double end = implant(&fx, "10.1.1.5", "198.51.100.20", T0, 6, &st); /* allowed network */
    conn(&fx, T0, "10.4.0.1", "198.51.100.7", 443, 100, 1);             /* listed, but allowed */
    conn(&fx, T0, "10.4.0.1", "198.51.100.8", 22, 100, 90000);
    dns(&fx, T0, "10.4.0.2", "x.cdn.allowed.example", "A");
    wp_net_record r = rec(WP_NET_HTTP, T0, "10.3.0.4", "203.0.113.12", 80);
    r.method = S("POST");
    r.host = S("dl.updates.example");
    r.post_body = S("password=x");
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    wp_egress_tick(fx.e, end);
    if (fx.s.n != 0) {
        dump(&fx.s);
        fail_msg("allow-listed destinations reported");
    }
    assert_int_equal(wp_egress_stats_get(fx.e)->pairs, 0);
    /* not allowed: a sibling of an allowed name */
    dns(&fx, T0, "10.4.0.2", "evil.example", "A");
    assert_int_equal(count(&fx.s, WP_EG_IOC_DOMAIN), 1);
    fx_close(&fx);
}

static void
test_internal_ignored(void **state)
{
    (void)state;
    fixture fx = {0};
    fx.intel = test_intel();
    fx_open(&fx, NULL);
    uint64_t st = 11;
    /* a backup job between two of ours: regular, big, long, and its target "listed" */
    double t = T0;
    for (int i = 0; i < 200; i++, t += 300)
        conn(&fx, t, "10.5.0.1", "10.0.0.66", 873, 60000000 + (int64_t)(rnd(&st) * 1000), 7200);
    /* multicast chatter is not outside either */
    for (int i = 0; i < 200; i++)
        conn(&fx, T0 + i * 30, "10.5.0.2", "239.255.255.250", 1900, 200, 0);
    wp_egress_tick(fx.e, t);
    if (fx.s.n != 0) {
        dump(&fx.s);
        fail_msg("internal traffic reported");
    }
    assert_int_equal(wp_egress_stats_get(fx.e)->pairs, 0);
    assert_int_equal(wp_egress_stats_get(fx.e)->hosts, 0);
    /* configured internal networks replace the defaults */
    wp_egress_free(fx.e);
    wp_egress_config c;
    wp_egress_config_init(&c);
    const char *nets[] = {"192.0.2.0/24", "2001:db8::/32"};
    c.internal_nets = nets;
    c.n_internal_nets = 2;
    fx_open(&fx, &c);
    conn(&fx, T0, "192.0.2.5", "10.0.0.66", 443, 100, 1); /* 10/8 is outside now */
    assert_int_equal(count(&fx.s, WP_EG_IOC_IP), 1);
    conn(&fx, T0, "2001:db8::5", "2001:db8:1::9", 443, 100, 1);
    conn(&fx, T0, "[2001:db8::5]", "2606:4700::1", 443, 100, 1);
    assert_int_equal(wp_egress_stats_get(fx.e)->pairs, 2);
    fx_close(&fx);
}

/* ---- caps, order, time ---- */

static void
test_caps(void **state)
{
    (void)state;
    fixture fx = {0};
    wp_egress_config c;
    wp_egress_config_init(&c);
    c.max_pairs = 2;
    c.max_hosts = 1;
    c.max_domains = 1;
    c.rare_warmup = 0;
    fx_open(&fx, &c);
    conn(&fx, T0, "10.6.0.1", "198.51.100.1", 443, 100, 1);
    conn(&fx, T0, "10.6.0.1", "198.51.100.2", 443, 100, 1);
    assert_int_equal(wp_egress_stats_get(fx.e)->capped, 0);
    conn(&fx, T0, "10.6.0.1", "198.51.100.3", 443, 100, 1); /* a third pair */
    assert_int_equal(wp_egress_stats_get(fx.e)->capped, 1);
    conn(&fx, T0, "10.6.0.2", "198.51.100.1", 443, 100, 1); /* a second host */
    assert_int_equal(wp_egress_stats_get(fx.e)->capped, 2);
    dns(&fx, T0, "10.6.0.1", "a.example.com", "A");
    dns(&fx, T0, "10.6.0.1", "b.example.com", "A"); /* same domain: fine */
    assert_int_equal(wp_egress_stats_get(fx.e)->capped, 2);
    dns(&fx, T0, "10.6.0.1", "example.org", "A");
    const wp_egress_stats *s = wp_egress_stats_get(fx.e);
    assert_int_equal(s->capped, 3);
    assert_int_equal(s->pairs, 2);
    assert_int_equal(s->hosts, 1);
    assert_int_equal(s->domains, 1);
    assert_int_equal(s->records, 7);
    /* a record without addresses is skipped, and counted */
    wp_net_record r = rec(WP_NET_CONN, T0, NULL, "198.51.100.1", 443);
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    r = rec(WP_NET_CONN, T0, "not-an-address", "198.51.100.1", 443);
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    r = rec(WP_NET_DNS, T0, "10.6.0.1", "10.0.0.53", 53);
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    assert_int_equal(wp_egress_stats_get(fx.e)->skipped, 3);
    fx_close(&fx);
}

static void
test_out_of_order(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    /* the implant's records shuffled in blocks of 16 (as several log files interleave) */
    uint64_t st = 21;
    double ts[2000];
    size_t n = 0;
    for (double t = T0; t < T0 + 20 * 3600 && n < 2000; t += 60 * (0.8 + 0.4 * rnd(&st)))
        ts[n++] = t;
    for (size_t b = 0; b + 16 <= n; b += 16)
        for (size_t i = 15; i > 0; i--) {
            size_t j = (size_t)(rnd(&st) * (double)(i + 1));
            double tmp = ts[b + i];
            ts[b + i] = ts[b + j];
            ts[b + j] = tmp;
        }
    for (size_t i = 0; i < n; i++)
        conn(&fx, ts[i], "10.1.1.5", "198.51.100.20", 443, 310, 0.3);
    assert_true(wp_egress_stats_get(fx.e)->out_of_order > 100);
    wp_egress_tick(fx.e, T0 + 20 * 3600);
    const wp_egress_finding *f = find(&fx.s, WP_EG_BEACON, "198.51.100.20");
    assert_non_null(f);
    assert_true(f->score >= 0.8);
    /* time that is no time: skipped, nothing breaks */
    conn(&fx, NAN, "10.1.1.5", "198.51.100.20", 443, 310, 0.3);
    conn(&fx, 1e300, "10.1.1.5", "198.51.100.20", 443, 310, 0.3);
    conn(&fx, -INFINITY, "10.1.1.5", "198.51.100.20", 443, 310, NAN);
    assert_int_equal(wp_egress_stats_get(fx.e)->skipped, 3);
    conn(&fx, 0, "10.1.1.5", "198.51.100.20", 443, -5, 1e300); /* ts 0: "none in the line" */
    wp_egress_tick(fx.e, NAN);
    wp_egress_tick(fx.e, T0 + 21 * 3600);
    fx_close(&fx);
}

static void
test_rare_domain(void **state)
{
    (void)state;
    fixture fx = {0};
    wp_egress_config c;
    wp_egress_config_init(&c);
    c.rare_warmup = 3600;
    fx_open(&fx, &c);
    dns(&fx, T0, "10.7.0.1", "www.known.example", "A");
    dns(&fx, T0 + 1800, "10.7.0.1", "api.github.com", "A");
    assert_none(&fx.s, WP_EG_RARE_DOMAIN);
    dns(&fx, T0 + 4000, "10.7.0.2", "mail.known.example", "A"); /* known domain */
    assert_none(&fx.s, WP_EG_RARE_DOMAIN);
    dns(&fx, T0 + 4100, "10.7.0.2", "x1.fresh-c2.example.co.uk", "A");
    const wp_egress_finding *f = find(&fx.s, WP_EG_RARE_DOMAIN, "fresh-c2.example.co.uk");
    if (f == NULL) /* without the PSL's knowledge of co.uk it is example.co.uk */
        f = find(&fx.s, WP_EG_RARE_DOMAIN, NULL);
    assert_non_null(f);
    assert_string_equal(f->src, "10.7.0.2");
    assert_true(f->score < 0.5);
    /* SNI and HTTP Host count as seen too, and once is enough */
    wp_net_record r = rec(WP_NET_TLS, T0 + 4200, "10.7.0.3", "203.0.113.20", 443);
    r.sni = S("cdn.other-new.example");
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    dns(&fx, T0 + 4300, "10.7.0.3", "cdn.other-new.example", "A");
    assert_int_equal(count(&fx.s, WP_EG_RARE_DOMAIN), 2);
    assert_found(&fx.s, WP_EG_RARE_DOMAIN, "other-new.example");
    fx_close(&fx);
}

static void
test_ids_alert(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    wp_net_record r = rec(WP_NET_ALERT, T0, "10.8.0.1", "198.51.100.90", 443);
    r.signature = S("ET MALWARE Cobalt Strike Beacon Observed");
    r.signature_id = 2028591;
    r.alert_severity = 1;
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    const wp_egress_finding *f = find(&fx.s, WP_EG_IDS_ALERT, "198.51.100.90");
    assert_non_null(f);
    assert_true(f->score == 1.0);
    assert_str_contains(f->evidence, "2028591");
    assert_str_contains(f->evidence, "Cobalt Strike");
    r.alert_severity = 3; /* informational */
    r.signature_id = 1;
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    assert_int_equal(count(&fx.s, WP_EG_IDS_ALERT), 1);
    /* inbound: the finding names our host */
    r = rec(WP_NET_ALERT, T0, "203.0.113.5", "10.8.0.2", 445);
    r.signature = S("ET EXPLOIT \x1b[31m SMB");
    r.signature_id = 2024217;
    r.alert_severity = 2;
    assert_int_equal(wp_egress_add(fx.e, &r), WP_OK);
    f = find(&fx.s, WP_EG_IDS_ALERT, "203.0.113.5");
    assert_non_null(f);
    assert_string_equal(f->src, "10.8.0.2");
    assert_int_equal(f->dst_port, 50000);
    assert_true(f->score == 0.8);
    assert_str_contains(f->evidence, "\\x1b"); /* printable */
    fx_close(&fx);
}

/* Idle state goes at a tick; stats follow. */
static void
test_expiry(void **state)
{
    (void)state;
    fixture fx = {0};
    fx_open(&fx, NULL);
    conn(&fx, T0, "10.9.0.1", "198.51.100.1", 443, 100, 1);
    dns(&fx, T0, "10.9.0.1", "a.example.com", "A");
    wp_egress_tick(fx.e, T0 + 3600);
    assert_int_equal(wp_egress_stats_get(fx.e)->pairs, 1);
    wp_egress_tick(fx.e, T0 + 2 * 86400);
    const wp_egress_stats *s = wp_egress_stats_get(fx.e);
    assert_int_equal(s->pairs, 0);
    assert_int_equal(s->hosts, 0);
    assert_int_equal(s->domains, 1); /* first-seen memory lasts 30 days */
    wp_egress_tick(fx.e, T0 + 40 * 86400);
    assert_int_equal(wp_egress_stats_get(fx.e)->domains, 0);
    fx_close(&fx);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_config),
        cmocka_unit_test(test_beacon_jittered),
        cmocka_unit_test(test_beacon_rereport),
        cmocka_unit_test(test_human_not_beacon),
        cmocka_unit_test(test_beacon_score_components),
        cmocka_unit_test(test_beacon_needs_duration),
        cmocka_unit_test(test_long_conn),
        cmocka_unit_test(test_dns_tunnel),
        cmocka_unit_test(test_exfil_volume),
        cmocka_unit_test(test_exfil_new_dest),
        cmocka_unit_test(test_exfil_first_record),
        cmocka_unit_test(test_exfil_ceiling_window),
        cmocka_unit_test(test_exfil_ordinary),
        cmocka_unit_test(test_exfil_new_dest_site),
        cmocka_unit_test(test_exfil_bounded),
        cmocka_unit_test(test_cred_post),
        cmocka_unit_test(test_ioc),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_internal_ignored),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_rare_domain),
        cmocka_unit_test(test_ids_alert),
        cmocka_unit_test(test_expiry),
    };
    return wpt_main(argc, argv, "egress", tests, sizeof tests / sizeof tests[0], NULL, 0, NULL,
                    NULL);
}
