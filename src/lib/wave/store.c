/*
 * store.c - optional persistence of the wave state (wave.db = PATH, SQLite).
 *
 * Write-behind: a thread of its own wakes every flush_seconds, or when the module kicks it
 * after flush_messages messages, takes what changed from the table (wave_table_take_dirty,
 * one short critical section) and writes it in one transaction. Scanner threads never touch
 * the database. Close writes a last time.
 *
 * Tables (docs/WAVES.md): wave_waves has one row per wave, the "one event" an analyst reads;
 * wave_volume one row per volume surge; wave_clusters the counters of each cluster so counts
 * survive a restart; wave_meta the stream's counters and id sequences. Cluster rows not seen
 * for four baselines are pruned. Times are seconds since the epoch (UTC).
 *
 * The counters are only meaningful for the bucket length they were counted with: when
 * wave.window changed, counters are not restored (waves and ids are).
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wave.h"

#define SCHEMA_VERSION 1

struct wave_store {
    sqlite3 *db;
    wave_table *t;
    wp_log_fn log;
    void *log_ctx;
    uint32_t flush_seconds;
    uint32_t bucket_len;
    uint32_t prune_after; /* seconds */
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu; /* stop, kicked, cond */
    pthread_cond_t cond;
    bool stop, kicked;
    pthread_mutex_t dbmu; /* one writer at a time: the thread, a forced flush, close */
};

static const char *const schema =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS wave_meta(k TEXT PRIMARY KEY, v);"
    "CREATE TABLE IF NOT EXISTS wave_clusters(kind INTEGER NOT NULL, key INTEGER NOT NULL,"
    " first_seen INTEGER, last_seen INTEGER, run_start INTEGER, run_count INTEGER,"
    " total INTEGER, head INTEGER, ring BLOB, old REAL, wave_id INTEGER,"
    " PRIMARY KEY(kind, key)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS wave_clusters_last ON wave_clusters(last_seen);"
    "CREATE TABLE IF NOT EXISTS wave_waves(id INTEGER PRIMARY KEY, kind TEXT, key TEXT,"
    " first_seen INTEGER, start INTEGER, last_seen INTEGER, count INTEGER, peak INTEGER,"
    " subject TEXT, domains TEXT, ended INTEGER);"
    "CREATE TABLE IF NOT EXISTS wave_volume(id INTEGER PRIMARY KEY, start INTEGER,"
    " last_seen INTEGER, window_count INTEGER, ratio REAL, peak_ratio REAL, ended INTEGER);";

static void logf_(wave_store *st, wp_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
logf_(wave_store *st, wp_log_level lvl, const char *fmt, ...)
{
    if (st->log == NULL)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    st->log(st->log_ctx, lvl, msg);
}

static const char *
kind_name(int kind)
{
    return kind == WAVE_KEY_BODY ? "body" : kind == WAVE_KEY_SUBJECT ? "subject" : "none";
}

static void
ring_pack(const wave_counter *c, unsigned char out[4 * WAVE_RING])
{
    for (int i = 0; i < WAVE_RING; i++)
        for (int k = 0; k < 4; k++)
            out[4 * i + k] = (unsigned char)(c->ring[i] >> (8 * k));
}

static void
ring_unpack(const void *blob, int n, wave_counter *c)
{
    const unsigned char *p = blob;
    if (p == NULL || n != 4 * WAVE_RING)
        return;
    for (int i = 0; i < WAVE_RING; i++)
        c->ring[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
                     (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
}

/* ---- meta ---- */

static int
meta_put(sqlite3 *db, const char *k, sqlite3_int64 v)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO wave_meta(k, v) VALUES(?, ?)", -1, &q,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(q, 1, k, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, v);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(q);
    return rc;
}

static int
meta_put_blob(sqlite3 *db, const char *k, const void *p, int n)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO wave_meta(k, v) VALUES(?, ?)", -1, &q,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(q, 1, k, -1, SQLITE_STATIC);
    sqlite3_bind_blob(q, 2, p, n, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(q);
    return rc;
}

static int
meta_put_real(sqlite3 *db, const char *k, double v)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO wave_meta(k, v) VALUES(?, ?)", -1, &q,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(q, 1, k, -1, SQLITE_STATIC);
    sqlite3_bind_double(q, 2, v);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(q);
    return rc;
}

/* Reads every meta row into g; returns the stored bucket length (0: none). */
static uint32_t
meta_load(sqlite3 *db, wave_global_rec *g)
{
    sqlite3_stmt *q;
    uint32_t bl = 0;
    if (sqlite3_prepare_v2(db, "SELECT k, v FROM wave_meta", -1, &q, NULL) != SQLITE_OK)
        return 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(q, 0);
        sqlite3_int64 v = sqlite3_column_int64(q, 1);
        if (k == NULL)
            continue;
        if (!strcmp(k, "bucket_len"))
            bl = (uint32_t)v;
        else if (!strcmp(k, "first_seen"))
            g->first_seen = v;
        else if (!strcmp(k, "last_seen"))
            g->last_seen = v;
        else if (!strcmp(k, "messages"))
            g->messages = (uint64_t)v;
        else if (!strcmp(k, "head"))
            g->c.head = (uint32_t)v;
        else if (!strcmp(k, "old"))
            g->c.old = (float)sqlite3_column_double(q, 1);
        else if (!strcmp(k, "ring"))
            ring_unpack(sqlite3_column_blob(q, 1), sqlite3_column_bytes(q, 1), &g->c);
        else if (!strcmp(k, "next_wave_id"))
            g->next_wave_id = (uint64_t)v;
        else if (!strcmp(k, "next_volume_id"))
            g->next_volume_id = (uint64_t)v;
    }
    sqlite3_finalize(q);
    return bl;
}

/* ---- load ---- */

static int
load_wave(sqlite3 *db, uint64_t id, wave_info *w)
{
    sqlite3_stmt *q;
    int found = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT first_seen, start, last_seen, count, peak, subject, domains,"
                           " ended FROM wave_waves WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
    if (sqlite3_step(q) == SQLITE_ROW) {
        w->id = id;
        w->first = sqlite3_column_int64(q, 0);
        w->start = sqlite3_column_int64(q, 1);
        w->last = sqlite3_column_int64(q, 2);
        w->count = (uint64_t)sqlite3_column_int64(q, 3);
        w->peak = (uint32_t)sqlite3_column_int64(q, 4);
        const char *s = (const char *)sqlite3_column_text(q, 5);
        snprintf(w->subject, sizeof w->subject, "%s", s != NULL ? s : "");
        s = (const char *)sqlite3_column_text(q, 6);
        snprintf(w->domains, sizeof w->domains, "%s", s != NULL ? s : "");
        w->ended = sqlite3_column_int(q, 7) != 0;
        found = 1;
    }
    sqlite3_finalize(q);
    return found;
}

static int
load_state(wave_store *st, uint32_t max_clusters)
{
    wave_global_rec g;
    memset(&g, 0, sizeof g);
    uint32_t bl = meta_load(st->db, &g);
    bool counters = bl == st->bucket_len;
    if (!counters) {
        if (bl != 0)
            logf_(st, WP_LOG_WARN,
                  "wave.db: wave.window changed since the counts were stored (bucket %u s, "
                  "now %u s); counters start afresh",
                  bl, st->bucket_len);
        memset(&g.c, 0, sizeof g.c);
    }
    wave_table_restore_global(st->t, &g);
    if (!counters)
        return 0;
    sqlite3_stmt *q;
    /* the newest max_clusters, restored oldest first so the newest end up most recent */
    if (sqlite3_prepare_v2(st->db,
                           "SELECT kind, key, first_seen, last_seen, run_start, run_count,"
                           " total, head, ring, old, wave_id FROM (SELECT * FROM wave_clusters"
                           " ORDER BY last_seen DESC LIMIT ?) ORDER BY last_seen ASC",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(q, 1, max_clusters);
    while (sqlite3_step(q) == SQLITE_ROW) {
        wave_cluster_rec r;
        memset(&r, 0, sizeof r);
        r.kind = sqlite3_column_int(q, 0);
        r.key = (uint64_t)sqlite3_column_int64(q, 1);
        r.first_seen = sqlite3_column_int64(q, 2);
        r.last_seen = sqlite3_column_int64(q, 3);
        r.run_start = sqlite3_column_int64(q, 4);
        r.run_count = (uint64_t)sqlite3_column_int64(q, 5);
        r.total = (uint64_t)sqlite3_column_int64(q, 6);
        r.c.head = (uint32_t)sqlite3_column_int64(q, 7);
        ring_unpack(sqlite3_column_blob(q, 8), sqlite3_column_bytes(q, 8), &r.c);
        r.c.old = (float)sqlite3_column_double(q, 9);
        r.wave_id = (uint64_t)sqlite3_column_int64(q, 10);
        wave_info w;
        memset(&w, 0, sizeof w);
        bool has_wave = r.wave_id != 0 && load_wave(st->db, r.wave_id, &w);
        if (has_wave) {
            w.kind = r.kind;
            w.key = r.key;
        }
        wave_table_restore_cluster(st->t, &r, has_wave ? &w : NULL);
    }
    sqlite3_finalize(q);
    return 0;
}

/* ---- flush ---- */

static int
write_dirty(wave_store *st, const wave_dirty *d)
{
    sqlite3 *db = st->db;
    sqlite3_stmt *qc = NULL, *qw = NULL, *qv = NULL, *qp = NULL;
    int rc = -1;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO wave_clusters VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &qc, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO wave_waves VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &qw, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO wave_volume VALUES(?,?,?,?,?,?,?)", -1, &qv,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "DELETE FROM wave_clusters WHERE last_seen < ?", -1, &qp, NULL) !=
            SQLITE_OK)
        goto out;
    for (size_t i = 0; i < d->n_clusters; i++) {
        const wave_cluster_rec *c = &d->clusters[i];
        unsigned char ring[4 * WAVE_RING];
        ring_pack(&c->c, ring);
        sqlite3_reset(qc);
        sqlite3_bind_int(qc, 1, c->kind);
        sqlite3_bind_int64(qc, 2, (sqlite3_int64)c->key);
        sqlite3_bind_int64(qc, 3, c->first_seen);
        sqlite3_bind_int64(qc, 4, c->last_seen);
        sqlite3_bind_int64(qc, 5, c->run_start);
        sqlite3_bind_int64(qc, 6, (sqlite3_int64)c->run_count);
        sqlite3_bind_int64(qc, 7, (sqlite3_int64)c->total);
        sqlite3_bind_int64(qc, 8, c->c.head);
        sqlite3_bind_blob(qc, 9, ring, sizeof ring, SQLITE_TRANSIENT);
        sqlite3_bind_double(qc, 10, c->c.old);
        sqlite3_bind_int64(qc, 11, (sqlite3_int64)c->wave_id);
        if (sqlite3_step(qc) != SQLITE_DONE)
            goto out;
    }
    for (size_t i = 0; i < d->n_waves; i++) {
        const wave_info *w = &d->waves[i];
        char key[40];
        snprintf(key, sizeof key, "%s:%016llx", kind_name(w->kind), (unsigned long long)w->key);
        sqlite3_reset(qw);
        sqlite3_bind_int64(qw, 1, (sqlite3_int64)w->id);
        sqlite3_bind_text(qw, 2, kind_name(w->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(qw, 3, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(qw, 4, w->first);
        sqlite3_bind_int64(qw, 5, w->start);
        sqlite3_bind_int64(qw, 6, w->last);
        sqlite3_bind_int64(qw, 7, (sqlite3_int64)w->count);
        sqlite3_bind_int64(qw, 8, w->peak);
        sqlite3_bind_text(qw, 9, w->subject, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(qw, 10, w->domains, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(qw, 11, w->ended);
        if (sqlite3_step(qw) != SQLITE_DONE)
            goto out;
    }
    for (size_t i = 0; i < d->n_volumes; i++) {
        const wave_volume_info *v = &d->volumes[i];
        sqlite3_reset(qv);
        sqlite3_bind_int64(qv, 1, (sqlite3_int64)v->id);
        sqlite3_bind_int64(qv, 2, v->start);
        sqlite3_bind_int64(qv, 3, v->last);
        sqlite3_bind_int64(qv, 4, v->window_count);
        sqlite3_bind_double(qv, 5, v->ratio);
        sqlite3_bind_double(qv, 6, v->peak_ratio);
        sqlite3_bind_int(qv, 7, v->ended);
        if (sqlite3_step(qv) != SQLITE_DONE)
            goto out;
    }
    const wave_global_rec *g = &d->global;
    unsigned char ring[4 * WAVE_RING];
    ring_pack(&g->c, ring);
    if (meta_put(db, "schema", SCHEMA_VERSION) || meta_put(db, "bucket_len", st->bucket_len) ||
        meta_put(db, "first_seen", g->first_seen) || meta_put(db, "last_seen", g->last_seen) ||
        meta_put(db, "messages", (sqlite3_int64)g->messages) || meta_put(db, "head", g->c.head) ||
        meta_put_blob(db, "ring", ring, sizeof ring) || meta_put_real(db, "old", g->c.old) ||
        meta_put(db, "next_wave_id", (sqlite3_int64)g->next_wave_id) ||
        meta_put(db, "next_volume_id", (sqlite3_int64)g->next_volume_id))
        goto out;
    sqlite3_bind_int64(qp, 1, g->last_seen - (sqlite3_int64)st->prune_after);
    if (sqlite3_step(qp) != SQLITE_DONE)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(qc);
    sqlite3_finalize(qw);
    sqlite3_finalize(qv);
    sqlite3_finalize(qp);
    if (sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
        rc = -1;
    return rc;
}

int
wave_store_flush(wave_store *st)
{
    wave_dirty d;
    pthread_mutex_lock(&st->dbmu);
    int rc = -1;
    if (wave_table_take_dirty(st->t, &d)) {
        rc = write_dirty(st, &d);
        wave_dirty_free(&d);
    }
    if (rc != 0)
        logf_(st, WP_LOG_ERROR, "wave.db: cannot write: %s", sqlite3_errmsg(st->db));
    pthread_mutex_unlock(&st->dbmu);
    return rc;
}

static void *
writer(void *arg)
{
    wave_store *st = arg;
    pthread_mutex_lock(&st->mu);
    while (!st->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += st->flush_seconds;
        while (!st->stop && !st->kicked)
            if (pthread_cond_timedwait(&st->cond, &st->mu, &ts) == ETIMEDOUT)
                break;
        if (st->stop)
            break;
        st->kicked = false;
        pthread_mutex_unlock(&st->mu);
        wave_store_flush(st);
        pthread_mutex_lock(&st->mu);
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

void
wave_store_kick(wave_store *st)
{
    pthread_mutex_lock(&st->mu);
    if (!st->kicked) {
        st->kicked = true;
        pthread_cond_signal(&st->cond);
    }
    pthread_mutex_unlock(&st->mu);
}

int
wave_store_open(const char *path, wave_table *t, uint32_t flush_seconds, wp_log_fn log,
                void *log_ctx, wave_store **out, char *err, size_t errlen)
{
    wave_store *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        snprintf(err, errlen, "wave.db: out of memory");
        return -1;
    }
    st->t = t;
    st->log = log;
    st->log_ctx = log_ctx;
    st->flush_seconds = flush_seconds > 0 ? flush_seconds : 1;
    wave_params p;
    uint32_t max_clusters;
    wave_table_params(t, &p);
    max_clusters = p.max_clusters;
    st->bucket_len = p.window / WAVE_RING;
    st->prune_after = 4 * (p.baseline > p.window ? p.baseline : p.window);
    pthread_mutex_init(&st->mu, NULL);
    pthread_mutex_init(&st->dbmu, NULL);
    pthread_cond_init(&st->cond, NULL);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "wave.db: cannot open '%s': %s", path,
                 st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(st->db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(st->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "wave.db: '%s' is not a usable wave database: %s", path,
                 msg != NULL ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        goto fail;
    }
    if (load_state(st, max_clusters) != 0) {
        snprintf(err, errlen, "wave.db: cannot read '%s': %s", path, sqlite3_errmsg(st->db));
        goto fail;
    }
    if (pthread_create(&st->thread, NULL, writer, st) != 0) {
        snprintf(err, errlen, "wave.db: cannot start the writer thread");
        goto fail;
    }
    st->thread_started = true;
    *out = st;
    return 0;
fail:
    sqlite3_close(st->db);
    pthread_cond_destroy(&st->cond);
    pthread_mutex_destroy(&st->mu);
    pthread_mutex_destroy(&st->dbmu);
    free(st);
    return -1;
}

void
wave_store_close(wave_store *st)
{
    if (st == NULL)
        return;
    if (st->thread_started) {
        pthread_mutex_lock(&st->mu);
        st->stop = true;
        pthread_cond_signal(&st->cond);
        pthread_mutex_unlock(&st->mu);
        pthread_join(st->thread, NULL);
    }
    wave_store_flush(st);
    sqlite3_close(st->db);
    pthread_cond_destroy(&st->cond);
    pthread_mutex_destroy(&st->mu);
    pthread_mutex_destroy(&st->dbmu);
    free(st);
}
