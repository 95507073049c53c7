/*
 * beacon.c - per (internal source, outside destination) pair: the timestamps and sizes of
 * its connections for beacon scoring, durations for long connections, the bytes of its
 * first window for uploads to a new destination, and the bytes of its current window for
 * the per-destination ceiling (exfil.c).
 *
 * Memory per pair is bounded: a ring of at most beacon_max_samples (timestamp, orig_bytes)
 * samples, grown by doubling from 8, overwriting the oldest when full; pairs idle for a
 * beacon_window are dropped at a tick. Scoring (eg_beacon_score) follows RITA: the
 * Bowley skew and the median absolute deviation of the intervals and of the sizes, how much
 * of the observed span the connections cover, and how small the sizes are; the score is the
 * mean of the six (docs/EGRESS.md has the formulas and why). Samples are sorted before the
 * intervals are taken, so records out of time order never make a negative interval.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egress_int.h"

#define RING_MIN     8u
#define PORT_SEVERAL (-2)
/* Connections closer than this are one check-in (a beacon that opens two connections at
 * once, a retry): RITA likewise scores unique whole seconds. */
#define MERGE_INTERVAL 1.0
/* a reported beacon is reported again when its score rose this much or its count doubled */
#define SCORE_STEP 0.05
/* The interval components alone must average this much: with constant sizes the three size
 * components are near 1 for any traffic, and a Poisson process (random times) would then
 * score about 0.79 overall. Periodic timing is what makes a beacon. */
#define TIMING_MIN 0.7
/* share of the watched time (at most beacon_window) a pair's span is measured against */
#define MIN_SPAN_SHARE 0.25

struct eg_pair {
    uint8_t key[32]; /* source, destination */
    double first_ts, last_ts;
    double *ts;     /* ring of cap samples, in arrival order from head when full */
    uint32_t *size; /* orig_bytes of each sample, clamped to 32 bits */
    uint32_t cap, n, head;
    uint32_t fresh; /* samples since the last scoring */
    int port;       /* the one destination port, WP_NET_UNSET, or PORT_SEVERAL */
    bool scored;
    bool new_armed, new_reported;
    uint64_t new_bytes; /* orig bytes in the pair's first volume_window */
    eg_ceiling ceiling;
    double dur_sum, dur_max, long_reported;
    double beacon_score; /* last reported */
    size_t beacon_conns;
};

static bool
pair_eq(const void *ent, const void *key, size_t klen)
{
    (void)klen; /* always the 32 bytes: a constant size lets the compare be inlined */
    return memcmp(((const eg_pair *)ent)->key, key, sizeof((const eg_pair *)ent)->key) == 0;
}

static void
pair_free(void *p)
{
    eg_pair *pr = p;
    free(pr->ts);
    free(pr);
}

static void
ring_add(const wp_egress *e, eg_pair *p, double ts, uint32_t size)
{
    if (p->n == p->cap && p->cap < e->cfg.beacon_max_samples) {
        /* not wrapped yet (the ring wraps only at its largest): grow and keep order */
        uint32_t ncap = p->cap ? p->cap * 2 : RING_MIN;
        if (ncap > e->cfg.beacon_max_samples)
            ncap = e->cfg.beacon_max_samples;
        double *nts = malloc((size_t)ncap * (sizeof(double) + sizeof(uint32_t)));
        if (nts != NULL) {
            uint32_t *nsz = (uint32_t *)(nts + ncap);
            if (p->n > 0) {
                memcpy(nts, p->ts, p->n * sizeof(double));
                memcpy(nsz, p->size, p->n * sizeof(uint32_t));
            }
            free(p->ts);
            p->ts = nts;
            p->size = nsz;
            p->cap = ncap;
        } /* out of memory: keep the ring as it is and overwrite */
    }
    if (p->cap == 0)
        return;
    if (p->n < p->cap) {
        p->ts[p->n] = ts;
        p->size[p->n] = size;
        p->n++;
    } else {
        p->ts[p->head] = ts;
        p->size[p->head] = size;
        p->head = (p->head + 1) % p->cap;
    }
}

static void
pair_names(const eg_pair *p, wp_egress_finding *f)
{
    eg_addr_text(p->key, f->src, sizeof f->src);
    eg_addr_text(p->key + 16, f->dst, sizeof f->dst);
    f->dst_port = p->port >= 0 ? p->port : WP_NET_UNSET;
}

static void
long_conn(wp_egress *e, eg_rec *x, eg_pair *p)
{
    double d = x->r->duration;
    if (!(d >= 0 && d <= 1e9))
        return; /* absent, or no duration a connection could have */
    p->dur_sum += d;
    if (d > p->dur_max)
        p->dur_max = d;
    double t = e->cfg.long_conn_seconds;
    if (p->dur_sum < t || p->dur_sum < 2 * p->long_reported)
        return;
    p->long_reported = p->dur_sum;
    wp_egress_finding f;
    eg_finding_init(&f, WP_EG_LONG_CONN, p->last_ts, "");
    f.first_ts = p->first_ts;
    pair_names(p, &f);
    /* one long connection says more than many short ones adding up (RITA's sum) */
    bool single = p->dur_max >= t;
    double v = single ? p->dur_max : p->dur_sum;
    f.score = single ? v / (v + t) : 0.5 * v / (v + t);
    f.count = (unsigned long long)v;
    eg_evidence(&f,
                "%s: longest connection %.0f s, %.0f s over the pair's connections "
                "(threshold %.0f s)",
                single ? "long connection" : "long total duration", p->dur_max, p->dur_sum, t);
    eg_emit(e, &f);
}

static void
new_dest(wp_egress *e, eg_rec *x, eg_pair *p, uint32_t size)
{
    if (!p->new_armed || p->new_reported || x->r->ts >= p->first_ts + e->cfg.volume_window)
        return;
    p->new_bytes += size;
    if (p->new_bytes < e->cfg.new_dest_min_bytes)
        return;
    p->new_reported = true;
    wp_egress_finding f;
    eg_finding_init(&f, WP_EG_EXFIL_NEW_DEST, x->r->ts, "");
    f.first_ts = p->first_ts;
    pair_names(p, &f);
    double ratio = (double)p->new_bytes / (double)e->cfg.new_dest_min_bytes;
    f.score = fmin(1.0, 0.5 + 0.25 * log2(ratio));
    f.count = p->new_bytes;
    eg_evidence(&f,
                "%llu bytes uploaded within %.0f s of the first connection to a destination "
                "no host of the site had contacted (threshold %llu)",
                (unsigned long long)p->new_bytes, e->cfg.volume_window,
                (unsigned long long)e->cfg.new_dest_min_bytes);
    eg_emit(e, &f);
}

void
eg_pair_conn(wp_egress *e, eg_rec *x)
{
    const wp_net_record *r = x->r;
    /* asked first and always: the site's memory of destinations does not depend on the
     * pair table having room */
    bool first_contact = eg_dest_first(e, x);
    uint8_t key[32];
    memcpy(key, x->src, 16);
    memcpy(key + 16, x->dst, 16);
    uint64_t hash = x->pair_hash;
    eg_pair *p = eg_map_get(&e->pairs, hash, key, sizeof key, pair_eq);
    if (p == NULL) {
        if (e->pairs.n >= e->cfg.max_pairs) {
            x->capped = true;
            eg_exfil_ceiling(e, x, NULL);
            return;
        }
        p = calloc(1, sizeof(*p));
        if (p == NULL || !eg_map_put(&e->pairs, hash, p)) {
            free(p);
            x->capped = true;
            eg_exfil_ceiling(e, x, NULL);
            return;
        }
        memcpy(p->key, key, sizeof key);
        p->first_ts = p->last_ts = r->ts;
        p->port = r->dst_port >= 0 ? r->dst_port : WP_NET_UNSET;
        /* "never contacted before" is the site's history, not the host's: a new host's
         * first upload counts. It means something only once the sensor has watched for a
         * volume_window: at the start of a log every destination is new */
        p->new_armed = first_contact && r->ts - e->t0 >= e->cfg.volume_window;
        p->ceiling.win_start = floor(r->ts / e->cfg.volume_window) * e->cfg.volume_window;
    }
    if (r->ts > p->last_ts)
        p->last_ts = r->ts;
    if (r->ts < p->first_ts)
        p->first_ts = r->ts;
    if (p->port != (r->dst_port >= 0 ? r->dst_port : WP_NET_UNSET))
        p->port = PORT_SEVERAL;
    uint32_t size = r->orig_bytes <= 0            ? 0
                    : r->orig_bytes >= UINT32_MAX ? UINT32_MAX
                                                  : (uint32_t)r->orig_bytes;
    ring_add(e, p, r->ts, size);
    p->fresh++;
    new_dest(e, x, p, size);
    eg_exfil_ceiling(e, x, &p->ceiling);
    long_conn(e, x, p);
}

/* ---- scoring ---- */

/*
 * Sorting and selecting doubles for the quantiles. qsort's comparison callback made scoring
 * the largest cost of a batch (perf: msort + cmp_double, 14-31 % of `watchpost ingest`), so:
 * the timestamps, which must be in order to take intervals, are checked for being in order
 * already (they usually are), else sorted by an introsort with the comparison inline:
 * median-of-three quicksort, insertion sort below 16 elements, and heap sort when the
 * recursion gets deeper than 2 log2 n, so hostile input cannot make it quadratic. The
 * quantiles of intervals and sizes need only a few order statistics, not the whole order:
 * they are selected (quickselect over the same partition, heap sort taking over as above),
 * which gives the very values a sort would put there in linear time. Values are finite here
 * (the records' times and sizes are checked on entry).
 */
static void
insertion_sort(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static void
sift_down(double *v, size_t root, size_t n)
{
    for (;;) {
        size_t c = 2 * root + 1;
        if (c >= n)
            return;
        if (c + 1 < n && v[c + 1] > v[c])
            c++;
        if (v[root] >= v[c])
            return;
        double t = v[root];
        v[root] = v[c];
        v[c] = t;
        root = c;
    }
}

static void
heap_sort(double *v, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (size_t end = n; end-- > 1;) {
        double t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(v, 0, end);
    }
}

/* Hoare partition of v[0..n), n > 16, around the median of three: returns how many
 * elements lead, v[0..left) <= pivot <= v[left..n). */
static size_t
partition(double *v, size_t n)
{
    double a = v[0], b = v[n / 2], c = v[n - 1];
    double pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
    size_t i = 0, j = n - 1;
    for (;;) {
        while (v[i] < pivot)
            i++;
        while (v[j] > pivot)
            j--;
        if (i >= j)
            break;
        double t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        j--;
    }
    return j + 1;
}

/* 2 log2 n: partitions deeper than this hand over to heap sort */
static unsigned
depth_limit(size_t n)
{
    unsigned depth = 0;
    for (size_t m = n; m > 1; m >>= 1)
        depth += 2;
    return depth;
}

static void
intro_sort(double *v, size_t n, unsigned depth)
{
    while (n > 16) {
        if (depth-- == 0) {
            heap_sort(v, n);
            return;
        }
        /* recurse into the smaller side, loop on the larger: stack depth O(log n) */
        size_t left = partition(v, n);
        if (left < n - left) {
            intro_sort(v, left, depth);
            v += left;
            n -= left;
        } else {
            intro_sort(v + left, n - left, depth);
            n = left;
        }
    }
    insertion_sort(v, n);
}

static void
sort_doubles(double *v, size_t n)
{
    size_t i = 1;
    while (i < n && v[i - 1] <= v[i])
        i++;
    if (i >= n)
        return;
    intro_sort(v, n, depth_limit(n));
}

/* Reorder v[0..n) so that v[k] holds what sorting would put there, nothing after it smaller
 * and nothing before it larger. */
static void
select_nth(double *v, size_t n, size_t k)
{
    unsigned depth = depth_limit(n);
    while (n > 16) {
        if (depth-- == 0) {
            heap_sort(v, n);
            return;
        }
        size_t left = partition(v, n);
        if (k < left) {
            n = left;
        } else {
            v += left;
            n -= left;
            k -= left;
        }
    }
    insertion_sort(v, n);
}

/* The q-quantile of v[0..n), n >= 1, interpolated between neighbours in sorted order (v is
 * reordered). */
static double
quantile(double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    select_nth(v, n, i);
    if (i + 1 >= n)
        return v[n - 1];
    double next = v[i + 1]; /* the smallest after v[i] is its neighbour in sorted order */
    for (size_t j = i + 2; j < n; j++)
        if (v[j] < next)
            next = v[j];
    return v[i] + (next - v[i]) * (pos - (double)i);
}

static double
clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Bowley skew and median absolute deviation of v[0..n) (reordered) as scores (1:
 * symmetric, no dispersion); work holds n doubles. */
static void
dispersion(double *v, size_t n, double *work, double *skew_score, double *mad_score, double *median)
{
    double q1 = quantile(v, n, 0.25), med = quantile(v, n, 0.5), q3 = quantile(v, n, 0.75);
    double iqr = q3 - q1;
    double skew = iqr > 0 ? (q1 + q3 - 2 * med) / iqr : 0;
    *skew_score = clamp01(1 - fabs(skew));
    for (size_t i = 0; i < n; i++)
        work[i] = fabs(v[i] - med);
    double mad = quantile(work, n, 0.5);
    *mad_score = med > 0 ? clamp01(1 - mad / med) : mad == 0 ? 1 : 0;
    *median = med;
}

/* The mean of the interval components, which must reach TIMING_MIN */
static double
timing(const eg_beacon_result *r)
{
    return (r->ts_skew + r->ts_mad + r->ts_conn) / 3;
}

/* eg_beacon_score(), giving up (false) after the intervals when timing() is below
 * timing_min: the sizes' quantiles cost as much again, and most pairs are no beacon. */
static bool
beacon_score(double *ts, double *sizes, size_t n, double *work, double min_span, double timing_min,
             eg_beacon_result *out)
{
    if (n < 4)
        return false;
    sort_doubles(ts, n);
    size_t k = 0, merged = 0;
    double last = ts[0];
    for (size_t i = 1; i < n; i++) {
        double d = ts[i] - last;
        if (d < MERGE_INTERVAL) {
            merged++;
            continue;
        }
        work[k++] = d;
        last = ts[i];
    }
    if (k < 3)
        return false;
    eg_beacon_result r;
    memset(&r, 0, sizeof r);
    r.first_ts = ts[0];
    r.last_ts = ts[n - 1];
    r.conns = n;
    r.intervals = k;
    r.merged = merged;
    /* ts is sorted and no longer needed beyond first/last: it is the work space now */
    dispersion(work, k, ts, &r.ts_skew, &r.ts_mad, &r.median_interval);
    /* coverage: as many check-ins as the span holds at the median interval */
    double span = fmax(r.last_ts - r.first_ts, min_span);
    double expected = span / r.median_interval + 1;
    r.ts_conn = clamp01((double)(k + 1) / expected);
    if (timing(&r) < timing_min)
        return false;
    dispersion(sizes, n, ts, &r.ds_skew, &r.ds_mad, &r.median_bytes);
    r.ds_small = clamp01(1 - r.median_bytes / 65535.0);
    r.score = clamp01((r.ts_skew + r.ts_mad + r.ts_conn + r.ds_skew + r.ds_mad + r.ds_small) / 6);
    *out = r;
    return true;
}

bool
eg_beacon_score(double *ts, double *sizes, size_t n, double *work, double min_span,
                eg_beacon_result *out)
{
    return beacon_score(ts, sizes, n, work, min_span, 0, out);
}

static void
score_pair(wp_egress *e, eg_pair *p, double now)
{
    size_t max = e->cfg.beacon_max_samples;
    double *ts = e->scratch, *sizes = e->scratch + max, *work = e->scratch + 2 * max;
    double ref = now > p->last_ts ? now : p->last_ts;
    double lo = ref - e->cfg.beacon_window;
    size_t k = 0;
    for (uint32_t i = 0; i < p->n; i++)
        if (p->ts[i] >= lo) {
            ts[k] = p->ts[i];
            sizes[k] = p->size[i];
            k++;
        }
    if (k < e->cfg.beacon_min_conns)
        return;
    /* A rhythm must last: a quarter of the time the site has been watched (up to the
     * window), so that half an hour of someone's visits that happen to look regular is not
     * enough, while a beacon in a short log or a new one in a long run still is. */
    double watched = fmin(ref - e->t0, e->cfg.beacon_window);
    eg_beacon_result r;
    if (!beacon_score(ts, sizes, k, work, watched * MIN_SPAN_SHARE, TIMING_MIN, &r) ||
        r.score < e->cfg.beacon_threshold)
        return;
    if (p->beacon_conns > 0 && r.score < p->beacon_score + SCORE_STEP && k < 2 * p->beacon_conns)
        return;
    p->beacon_score = r.score;
    p->beacon_conns = k;
    wp_egress_finding f;
    eg_finding_init(&f, WP_EG_BEACON, r.last_ts, "");
    f.first_ts = r.first_ts;
    pair_names(p, &f);
    f.score = r.score;
    f.count = k;
    eg_evidence(&f,
                "beacon score %.2f over %zu connections in %.0f s: interval median %.1f s "
                "(skew %.2f, MAD %.2f, coverage %.2f), size median %.0f B (skew %.2f, MAD %.2f, "
                "small %.2f)",
                r.score, k, r.last_ts - r.first_ts, r.median_interval, r.ts_skew, r.ts_mad,
                r.ts_conn, r.median_bytes, r.ds_skew, r.ds_mad, r.ds_small);
    eg_emit(e, &f);
}

void
eg_beacon_tick(wp_egress *e, double now)
{
    for (size_t i = 0; i < e->pairs.nslot; i++) {
        eg_pair *p = e->pairs.slot[i].ent;
        if (p == NULL || p->fresh == 0)
            continue;
        /* a scored pair waits for 1/16 more samples: following a busy site, the sort per
         * pair is paid once per few dozen connections, not once per tick */
        if (p->scored && p->fresh < 1 + p->n / 16)
            continue;
        p->fresh = 0;
        if (p->n < e->cfg.beacon_min_conns)
            continue;
        p->scored = true;
        score_pair(e, p, now);
    }
}

static bool
pair_idle(void *ctx, void *ent)
{
    eg_pair *p = ent;
    if (p->last_ts >= *(const double *)ctx)
        return false;
    pair_free(p);
    return true;
}

void
eg_pairs_sweep(wp_egress *e, double before)
{
    eg_map_sweep(&e->pairs, pair_idle, &before);
}

void
eg_pairs_fini(wp_egress *e)
{
    eg_map_fini(&e->pairs, pair_free);
}
