/*
 * table.c - the counting state of the wave module, shared by every scanner thread of an engine.
 *
 * Clusters. A cluster is a body simhash or a normalized-subject hash. Body clusters are found
 * by banding: the 64-bit key is cut into four 16-bit bands and each band indexes a hash table,
 * so any two keys within 3 bits of each other share at least one band (pigeonhole) and are
 * compared; a match is the nearest key within max_distance bits. A cluster keeps the key of
 * the message that created it. Subject clusters are found by their exact hash.
 *
 * Time. Each cluster and the whole stream keep a wave_counter: WAVE_RING buckets of
 * window/WAVE_RING seconds (the window count is the sum: the last 50-60 minutes for a one
 * hour window), and `old`, an exponentially decayed count of the messages that have left the
 * window (time constant `baseline` for clusters, `volume_baseline` for the stream). old/tau
 * is then the earlier rate: exact for a steady stream, and unaffected by the window itself.
 * Out-of-order messages (threads, replayed corpora) land in their own bucket when it is still
 * in the window, or in `old` with the weight they would have had.
 *
 * Waves. A cluster surges when its window count reaches min_count and is at least `ratio`
 * times its earlier rate per window (floored at one message, so a new cluster needs only
 * min_count). The surge opens a wave; it lasts while the cluster's run lasts (no gap longer
 * than the window between its messages) and every message of it is a member. The wave counts
 * the whole run, the messages before the crossing included.
 *
 * Volume. The stream surges when its window rate is `ratio` times the trailing mean rate
 * (from `old`, corrected for the history seen so far), with at least volume_min_count
 * messages in the window and volume_min_history seconds of history. It ends when the ratio
 * falls below half of `ratio`.
 *
 * Memory is bounded: at most max_clusters clusters (least recently seen evicted first) and
 * max_waves open waves; the cluster array grows by doubling up to its bound. One mutex guards
 * everything; the critical section is a few hash probes and counter updates.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wave.h"

#define NBANDS 4
#define NIL    0u /* chain links and heads hold index + 1 */
#define MAX_PROBE                                                             \
    64 /* chain entries looked at per band: crafted keys cannot make a lookup \
          walk the whole table; newest first, so a live campaign is found */

typedef struct cluster {
    uint64_t key;
    uint32_t next[NBANDS]; /* body: chain per band table; subject: next[0] in table 0 */
    uint32_t prev[NBANDS]; /* doubly linked: eviction unlinks in constant time */
    uint32_t lru_prev, lru_next;
    uint32_t wave; /* waves slot + 1, 0: none */
    uint8_t kind;  /* 0: free slot */
    bool dirty;
    long long first_seen, last_seen, run_start;
    uint64_t run_count, total;
    wave_counter c;
} cluster;

typedef struct wave_slot {
    wave_info w;
    uint32_t owner; /* cluster index + 1, 0: none (ended) */
    bool in_use, dirty;
} wave_slot;

struct wave_table {
    pthread_mutex_t mu;
    wave_params p;
    uint32_t bucket_len;               /* seconds */
    double tau_cluster, tau_volume;    /* in buckets */
    float decay_cluster, decay_volume; /* per bucket */
    cluster *cl;
    uint32_t n_alloc, n_used;
    uint32_t free_head;          /* free-slot list through lru_next (index + 1) */
    uint32_t lru_head, lru_tail; /* most and least recently seen (index + 1) */
    uint32_t *heads[NBANDS];
    uint32_t mask;
    wave_slot *waves;
    uint32_t n_waves_open;
    wave_global_rec g;
    bool g_dirty;
    bool volume_dirty;
    wave_volume_info ended_volume; /* the last volume surge that ended, until persisted */
    bool ended_volume_dirty;
    uint64_t waves_total, evicted, since_flush;
};

void
wave_params_default(wave_params *p)
{
    *p = (wave_params){.min_count = 50,
                       .ratio = 10.0,
                       .window = 3600,
                       .baseline = 86400,
                       .volume_baseline = 7 * 86400,
                       .volume_min_count = 100,
                       .volume_min_history = 86400,
                       .max_clusters = 100000,
                       .max_waves = 4096,
                       .max_distance = 3};
}

/* ---- counters ---- */

static inline uint32_t
bucket_of(const wave_table *t, long long time)
{
    return (uint32_t)(time / t->bucket_len);
}

static void
counter_add(wave_counter *c, uint32_t b, float decay1, double tau)
{
    if (c->head == 0) {
        c->head = b;
    } else if (b > c->head) {
        uint32_t k = b - c->head, steps = k < WAVE_RING ? k : WAVE_RING;
        for (uint32_t i = 0; i < steps; i++) {
            c->head++;
            uint32_t slot = c->head % WAVE_RING;
            c->old = c->old * decay1 + (float)c->ring[slot];
            c->ring[slot] = 0;
        }
        if (k > steps)
            c->old *= (float)exp(-(double)(k - steps) / tau);
        c->head = b;
    } else if (c->head - b >= WAVE_RING) {
        c->old += (float)exp(-(double)(c->head - b - WAVE_RING) / tau);
        return;
    }
    if (c->ring[b % WAVE_RING] < UINT32_MAX)
        c->ring[b % WAVE_RING]++;
}

static uint32_t
counter_window(const wave_counter *c)
{
    uint64_t s = 0;
    for (int i = 0; i < WAVE_RING; i++)
        s += c->ring[i];
    return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

/* ---- clusters ---- */

static inline uint32_t
band_of(uint64_t key, int b)
{
    return (uint32_t)(key >> (16 * b)) & 0xFFFFu;
}

static inline uint32_t
bucket_hash(uint64_t v, uint64_t salt)
{
    uint64_t z = (v ^ salt) * 0x9E3779B97F4A7C15ULL;
    z ^= z >> 29;
    z *= 0xbf58476d1ce4e5b9ULL;
    return (uint32_t)(z >> 32);
}

static uint32_t
slot_of(const wave_table *t, int kind, uint64_t key, int b)
{
    if (kind == WAVE_KEY_SUBJECT)
        return bucket_hash(key, 0x5u) & t->mask;
    return bucket_hash(band_of(key, b), 0x100u + (uint64_t)b) & t->mask;
}

static int
nbands(int kind)
{
    return kind == WAVE_KEY_BODY ? NBANDS : 1;
}

static uint32_t
cluster_find(const wave_table *t, int kind, uint64_t key)
{
    uint32_t best = NIL;
    unsigned bestd = t->p.max_distance + 1;
    for (int b = 0; b < nbands(kind); b++) {
        unsigned probes = 0;
        for (uint32_t i = t->heads[b][slot_of(t, kind, key, b)]; i != NIL && probes < MAX_PROBE;
             i = t->cl[i - 1].next[b], probes++) {
            const cluster *c = &t->cl[i - 1];
            if (c->kind != kind)
                continue;
            if (kind == WAVE_KEY_SUBJECT) {
                if (c->key == key)
                    return i;
                continue;
            }
            if (band_of(c->key, b) != band_of(key, b))
                continue;
            unsigned d = (unsigned)__builtin_popcountll(c->key ^ key);
            if (d < bestd) {
                bestd = d;
                best = i;
                if (d == 0)
                    return best;
            }
        }
    }
    return best;
}

static void
lru_unlink(wave_table *t, uint32_t i)
{
    cluster *c = &t->cl[i - 1];
    if (c->lru_prev != NIL)
        t->cl[c->lru_prev - 1].lru_next = c->lru_next;
    else
        t->lru_head = c->lru_next;
    if (c->lru_next != NIL)
        t->cl[c->lru_next - 1].lru_prev = c->lru_prev;
    else
        t->lru_tail = c->lru_prev;
    c->lru_prev = c->lru_next = NIL;
}

static void
lru_push_front(wave_table *t, uint32_t i)
{
    cluster *c = &t->cl[i - 1];
    c->lru_prev = NIL;
    c->lru_next = t->lru_head;
    if (t->lru_head != NIL)
        t->cl[t->lru_head - 1].lru_prev = i;
    t->lru_head = i;
    if (t->lru_tail == NIL)
        t->lru_tail = i;
}

static void
wave_end(wave_table *t, uint32_t ws)
{
    wave_slot *w = &t->waves[ws - 1];
    if (w->owner != NIL)
        t->cl[w->owner - 1].wave = 0;
    w->owner = NIL;
    w->w.ended = true;
    w->dirty = true;
    t->n_waves_open--;
}

static void
cluster_remove(wave_table *t, uint32_t i)
{
    cluster *c = &t->cl[i - 1];
    for (int b = 0; b < nbands(c->kind); b++) {
        if (c->prev[b] != NIL)
            t->cl[c->prev[b] - 1].next[b] = c->next[b];
        else
            t->heads[b][slot_of(t, c->kind, c->key, b)] = c->next[b];
        if (c->next[b] != NIL)
            t->cl[c->next[b] - 1].prev[b] = c->prev[b];
    }
    if (c->wave != 0)
        wave_end(t, c->wave);
    lru_unlink(t, i);
    memset(c, 0, sizeof(*c));
    c->lru_next = t->free_head;
    t->free_head = i;
    t->n_used--;
}

/* A fresh slot: a free one, a new one (growing the array), or the least recently seen. */
static uint32_t
cluster_alloc(wave_table *t)
{
    if (t->free_head == NIL && t->n_alloc < t->p.max_clusters) {
        uint32_t n = t->n_alloc == 0 ? 1024 : t->n_alloc * 2;
        if (n > t->p.max_clusters)
            n = t->p.max_clusters;
        cluster *cl = realloc(t->cl, (size_t)n * sizeof(*cl));
        if (cl != NULL) {
            memset(cl + t->n_alloc, 0, (size_t)(n - t->n_alloc) * sizeof(*cl));
            for (uint32_t k = n; k > t->n_alloc; k--) {
                cl[k - 1].lru_next = t->free_head;
                t->free_head = k;
            }
            t->cl = cl;
            t->n_alloc = n;
        }
    }
    if (t->free_head == NIL) {
        if (t->lru_tail == NIL)
            return NIL;
        cluster_remove(t, t->lru_tail);
        t->evicted++;
    }
    uint32_t i = t->free_head;
    t->free_head = t->cl[i - 1].lru_next;
    t->cl[i - 1].lru_next = NIL;
    t->n_used++;
    return i;
}

static uint32_t
cluster_insert(wave_table *t, int kind, uint64_t key)
{
    uint32_t i = cluster_alloc(t);
    if (i == NIL)
        return NIL;
    cluster *c = &t->cl[i - 1];
    c->kind = (uint8_t)kind;
    c->key = key;
    for (int b = 0; b < nbands(kind); b++) {
        uint32_t *h = &t->heads[b][slot_of(t, kind, key, b)];
        c->next[b] = *h;
        c->prev[b] = NIL;
        if (*h != NIL)
            t->cl[*h - 1].prev[b] = i;
        *h = i;
    }
    lru_push_front(t, i);
    return i;
}

/* ---- waves ---- */

static uint32_t
wave_slot_alloc(wave_table *t)
{
    uint32_t ended = NIL, open = NIL;
    for (uint32_t k = 0; k < t->p.max_waves; k++) {
        wave_slot *w = &t->waves[k];
        if (!w->in_use)
            return k + 1;
        uint32_t *v = w->owner == NIL ? &ended : &open;
        if (*v == NIL || w->w.last < t->waves[*v - 1].w.last)
            *v = k + 1;
    }
    /* full: an ended wave gives way, else the open wave seen least recently is ended */
    if (ended != NIL)
        return ended;
    wave_end(t, open);
    return open;
}

static void
wave_open(wave_table *t, uint32_t ci, long long time, uint32_t wcount, const char *subject,
          const char *domains)
{
    cluster *c = &t->cl[ci - 1];
    uint32_t ws = wave_slot_alloc(t);
    wave_slot *w = &t->waves[ws - 1];
    memset(w, 0, sizeof(*w));
    w->in_use = true;
    w->dirty = true;
    w->owner = ci;
    w->w.id = ++t->g.next_wave_id;
    w->w.kind = c->kind;
    w->w.key = c->key;
    w->w.first = c->run_start;
    w->w.start = time;
    w->w.last = c->last_seen;
    w->w.count = c->run_count;
    w->w.peak = wcount;
    snprintf(w->w.subject, sizeof w->w.subject, "%s", subject != NULL ? subject : "");
    snprintf(w->w.domains, sizeof w->w.domains, "%s", domains != NULL ? domains : "");
    c->wave = ws;
    t->n_waves_open++;
    t->waves_total++;
    t->g_dirty = true;
}

/* ---- volume ---- */

static void
volume_check(wave_table *t, long long time, wave_result *res)
{
    const wave_params *p = &t->p;
    wave_global_rec *g = &t->g;
    uint32_t w = counter_window(&g->c);
    double hist = (double)(g->last_seen - g->first_seen) / t->bucket_len - WAVE_RING;
    if (hist * t->bucket_len < (double)p->volume_min_history - (double)p->window)
        return;
    /* old / (tau * (1 - e^(-hist/tau))): the mean rate per bucket over the history seen */
    double eff = t->tau_volume * -expm1(-hist / t->tau_volume);
    if (eff <= 0 || g->c.old <= 0)
        return;
    double mean = g->c.old / eff;
    double covered = WAVE_RING - 1 + (double)(time % t->bucket_len + 1) / t->bucket_len;
    double now_rate = w / covered;
    double ratio = now_rate / mean;
    wave_volume_info *v = &g->volume;
    if (v->id != 0 && !v->ended) {
        v->last = time > v->last ? time : v->last;
        if (ratio > v->peak_ratio)
            v->peak_ratio = ratio;
        if (ratio < p->ratio / 2) {
            v->ended = true;
            t->ended_volume = *v;
            t->ended_volume_dirty = true;
            memset(v, 0, sizeof(*v));
        }
        t->volume_dirty = true;
        return;
    }
    if (w >= p->volume_min_count && ratio >= p->ratio) {
        memset(v, 0, sizeof(*v));
        v->id = ++g->next_volume_id;
        v->start = v->last = time;
        v->window_count = w;
        v->ratio = v->peak_ratio = ratio;
        res->volume_start = true;
        res->volume = *v;
        t->volume_dirty = true;
    }
}

/* ---- the entry point ---- */

void
wave_table_observe(wave_table *t, int kind, uint64_t key, long long time, const char *subject,
                   const char *domains, wave_result *res)
{
    memset(res, 0, sizeof(*res));
    if (time < 0)
        time = 0;
    uint32_t b = bucket_of(t, time);
    pthread_mutex_lock(&t->mu);
    res->since_flush = ++t->since_flush;
    wave_global_rec *g = &t->g;
    g->messages++;
    if (g->first_seen == 0 || time < g->first_seen)
        g->first_seen = time;
    if (time > g->last_seen)
        g->last_seen = time;
    counter_add(&g->c, b, t->decay_volume, t->tau_volume);
    t->g_dirty = true;
    volume_check(t, time, res);
    if (kind == WAVE_KEY_NONE)
        goto out;
    uint32_t i = cluster_find(t, kind, key);
    if (i == NIL && (i = cluster_insert(t, kind, key)) == NIL)
        goto out;
    cluster *c = &t->cl[i - 1];
    lru_unlink(t, i);
    lru_push_front(t, i);
    res->clustered = true;
    res->cluster_key = c->key;
    c->dirty = true;
    c->total++;
    if (c->first_seen == 0 || time < c->first_seen)
        c->first_seen = time;
    /* a run is the cluster's messages without a gap longer than the window */
    if (c->run_count == 0 || time > c->last_seen + (long long)t->p.window) {
        if (c->wave != 0)
            wave_end(t, c->wave);
        c->run_start = time;
        c->run_count = 0;
    }
    c->run_count++;
    if (time < c->run_start)
        c->run_start = time;
    if (time > c->last_seen)
        c->last_seen = time;
    counter_add(&c->c, b, t->decay_cluster, t->tau_cluster);
    uint32_t w = counter_window(&c->c);
    double earlier = c->c.old * WAVE_RING / t->tau_cluster;
    res->window_count = w;
    res->earlier_per_window = earlier;
    if (c->wave == 0 && w >= t->p.min_count && w >= t->p.ratio * (earlier < 1 ? 1 : earlier)) {
        wave_open(t, i, time, w, subject, domains);
        res->surge_start = true;
    }
    if (c->wave != 0) {
        wave_slot *ws = &t->waves[c->wave - 1];
        ws->w.count = c->run_count;
        ws->w.first = c->run_start;
        if (time > ws->w.last)
            ws->w.last = time;
        if (w > ws->w.peak)
            ws->w.peak = w;
        ws->dirty = true;
        res->member = true;
        res->wave = ws->w;
    }
out:
    pthread_mutex_unlock(&t->mu);
}

/* ---- life ---- */

wave_table *
wave_table_new(const wave_params *p)
{
    wave_table *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->p = *p;
    if (t->p.window < WAVE_RING)
        t->p.window = WAVE_RING;
    if (t->p.max_clusters < 16)
        t->p.max_clusters = 16;
    if (t->p.max_waves < 1)
        t->p.max_waves = 1;
    t->bucket_len = t->p.window / WAVE_RING;
    t->tau_cluster = (double)(p->baseline > p->window ? p->baseline : p->window) / t->bucket_len;
    t->tau_volume =
        (double)(p->volume_baseline > p->window ? p->volume_baseline : p->window) / t->bucket_len;
    t->decay_cluster = (float)exp(-1.0 / t->tau_cluster);
    t->decay_volume = (float)exp(-1.0 / t->tau_volume);
    /* band values have 16 bits: more than 2^16 heads per band only help subject keys */
    uint32_t nb = 64;
    while (nb < t->p.max_clusters && nb < (1u << 18))
        nb <<= 1;
    t->mask = nb - 1;
    for (int b = 0; b < NBANDS; b++)
        if ((t->heads[b] = calloc(nb, sizeof(uint32_t))) == NULL)
            goto fail;
    if ((t->waves = calloc(t->p.max_waves, sizeof(wave_slot))) == NULL)
        goto fail;
    if (pthread_mutex_init(&t->mu, NULL) != 0)
        goto fail;
    return t;
fail:
    for (int b = 0; b < NBANDS; b++)
        free(t->heads[b]);
    free(t->waves);
    free(t);
    return NULL;
}

void
wave_table_free(wave_table *t)
{
    if (t == NULL)
        return;
    pthread_mutex_destroy(&t->mu);
    for (int b = 0; b < NBANDS; b++)
        free(t->heads[b]);
    free(t->waves);
    free(t->cl);
    free(t);
}

void
wave_table_params(const wave_table *t, wave_params *p)
{
    *p = t->p;
}

void
wave_table_stats(wave_table *t, wave_stats *st)
{
    pthread_mutex_lock(&t->mu);
    st->clusters = t->n_used;
    st->waves_open = t->n_waves_open;
    st->waves_total = t->waves_total;
    st->evicted = t->evicted;
    st->messages = t->g.messages;
    st->bytes = sizeof(*t) + (size_t)t->n_alloc * sizeof(cluster) +
                (size_t)NBANDS * (t->mask + 1) * sizeof(uint32_t) +
                (size_t)t->p.max_waves * sizeof(wave_slot);
    pthread_mutex_unlock(&t->mu);
}

/* ---- persistence hooks ---- */

uint64_t
wave_table_messages_since_flush(wave_table *t)
{
    pthread_mutex_lock(&t->mu);
    uint64_t n = t->since_flush;
    pthread_mutex_unlock(&t->mu);
    return n;
}

static void
cluster_to_rec(const cluster *c, const wave_slot *waves, wave_cluster_rec *r)
{
    *r = (wave_cluster_rec){.kind = c->kind,
                            .key = c->key,
                            .first_seen = c->first_seen,
                            .last_seen = c->last_seen,
                            .run_start = c->run_start,
                            .run_count = c->run_count,
                            .total = c->total,
                            .c = c->c,
                            .wave_id = c->wave != 0 ? waves[c->wave - 1].w.id : 0};
}

bool
wave_table_take_dirty(wave_table *t, wave_dirty *d)
{
    memset(d, 0, sizeof(*d));
    pthread_mutex_lock(&t->mu);
    /* open waves whose cluster has been quiet for a window are over */
    for (uint32_t k = 0; k < t->p.max_waves; k++) {
        wave_slot *w = &t->waves[k];
        if (w->in_use && w->owner != NIL && w->w.last + (long long)t->p.window < t->g.last_seen)
            wave_end(t, k + 1);
    }
    size_t nc = 0, nw = 0;
    for (uint32_t i = 0; i < t->n_alloc; i++)
        nc += t->cl[i].kind != 0 && t->cl[i].dirty;
    for (uint32_t k = 0; k < t->p.max_waves; k++)
        nw += t->waves[k].in_use && t->waves[k].dirty;
    d->clusters = nc ? malloc(nc * sizeof(*d->clusters)) : NULL;
    d->waves = nw ? malloc(nw * sizeof(*d->waves)) : NULL;
    d->volumes = malloc(2 * sizeof(*d->volumes));
    if ((nc && d->clusters == NULL) || (nw && d->waves == NULL) || d->volumes == NULL) {
        pthread_mutex_unlock(&t->mu);
        wave_dirty_free(d);
        return false;
    }
    for (uint32_t i = 0; i < t->n_alloc; i++) {
        cluster *c = &t->cl[i];
        if (c->kind != 0 && c->dirty) {
            cluster_to_rec(c, t->waves, &d->clusters[d->n_clusters++]);
            c->dirty = false;
        }
    }
    for (uint32_t k = 0; k < t->p.max_waves; k++) {
        wave_slot *w = &t->waves[k];
        if (!w->in_use || !w->dirty)
            continue;
        d->waves[d->n_waves++] = w->w;
        w->dirty = false;
        if (w->w.ended)
            w->in_use = false; /* recorded: the slot is free */
    }
    if (t->ended_volume_dirty)
        d->volumes[d->n_volumes++] = t->ended_volume;
    if (t->volume_dirty && t->g.volume.id != 0)
        d->volumes[d->n_volumes++] = t->g.volume;
    t->ended_volume_dirty = t->volume_dirty = false;
    d->global = t->g;
    t->g_dirty = false;
    t->since_flush = 0;
    pthread_mutex_unlock(&t->mu);
    return true;
}

void
wave_dirty_free(wave_dirty *d)
{
    free(d->clusters);
    free(d->waves);
    free(d->volumes);
    memset(d, 0, sizeof(*d));
}

void
wave_table_restore_global(wave_table *t, const wave_global_rec *g)
{
    pthread_mutex_lock(&t->mu);
    t->g = *g;
    pthread_mutex_unlock(&t->mu);
}

void
wave_table_restore_cluster(wave_table *t, const wave_cluster_rec *r, const wave_info *w)
{
    if (r->kind != WAVE_KEY_BODY && r->kind != WAVE_KEY_SUBJECT)
        return;
    pthread_mutex_lock(&t->mu);
    uint32_t i = cluster_find(t, r->kind, r->key);
    if (i == NIL || t->cl[i - 1].key != r->key)
        i = cluster_insert(t, r->kind, r->key);
    if (i != NIL) {
        cluster *c = &t->cl[i - 1];
        c->first_seen = r->first_seen;
        c->last_seen = r->last_seen;
        c->run_start = r->run_start;
        c->run_count = r->run_count;
        c->total = r->total;
        c->c = r->c;
        if (w != NULL && c->wave == 0 && !w->ended) {
            uint32_t ws = wave_slot_alloc(t);
            wave_slot *s = &t->waves[ws - 1];
            memset(s, 0, sizeof(*s));
            s->in_use = true;
            s->owner = i;
            s->w = *w;
            c->wave = ws;
            t->n_waves_open++;
        }
    }
    pthread_mutex_unlock(&t->mu);
}
