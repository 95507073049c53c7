/*
 * incidents.c - incidents read back, acknowledged and closed (`watchpost incidents`).
 *
 * A list and every string and array it hands out live in one arena (core/arena.h), as the
 * store's other lists do, freed with the list.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/util.h"
#include "store_int.h"
#include "watchpost/incident.h"

#define LIST_ARENA_BUDGET ((size_t)64 << 20)

void
wp_incident_filter_init(wp_incident_filter *f)
{
    memset(f, 0, sizeof *f);
    f->limit = 100;
}

void
wp_incident_list_free(wp_incident_list *l)
{
    if (l != NULL)
        wp_arena_free(l->priv); /* l itself is in the arena */
}

#define INC_COLS                                                                                \
    "id, status, severity, title, first_evidence, last_evidence, detected_at, updated, "        \
    "coalesce(alerted_at, 0), ack_by, coalesce(ack_at, 0), closed_by, coalesce(closed_at, 0), " \
    "close_reason"

static void
read_row(wp_arena *a, sqlite3_stmt *st, wp_incident *it)
{
    it->id = sqlite3_column_int64(st, 0);
    it->status = wp_store_col_text(a, st, 1);
    it->severity = sqlite3_column_int(st, 2);
    it->title = wp_store_col_text(a, st, 3);
    it->first_evidence = sqlite3_column_double(st, 4);
    it->last_evidence = sqlite3_column_double(st, 5);
    it->detected_at = sqlite3_column_double(st, 6);
    it->updated = sqlite3_column_double(st, 7);
    it->alerted_at = sqlite3_column_double(st, 8);
    it->ack_by = wp_store_col_text(a, st, 9);
    it->ack_at = sqlite3_column_double(st, 10);
    it->closed_by = wp_store_col_text(a, st, 11);
    it->closed_at = sqlite3_column_double(st, 12);
    it->close_reason = wp_store_col_text(a, st, 13);
}

/* Entities of one kind, as an array in the list's arena. */
static const char **
entities(wp_arena *a, sqlite3 *db, int64_t id, const char *kind, size_t *n)
{
    sqlite3_stmt *st = NULL;
    const char **v = NULL;
    size_t cnt = 0, cap = 0;
    *n = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT value FROM incident_entities WHERE incident_id = ? AND "
                           "kind = ? ORDER BY first_ts, value LIMIT 1000",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW &&
           wp_arena_grow(a, (void **)&v, &cap, cnt + 1, sizeof(*v)))
        v[cnt++] = wp_store_col_text(a, st, 0);
    sqlite3_finalize(st);
    *n = cnt;
    return v;
}

static void
fill_entities(wp_arena *a, sqlite3 *db, wp_incident *it)
{
    it->hosts = entities(a, db, it->id, "host", &it->n_hosts);
    it->users = entities(a, db, it->id, "user", &it->n_users);
    it->destinations = entities(a, db, it->id, "destination", &it->n_destinations);
    it->senders = entities(a, db, it->id, "sender", &it->n_senders);
}

wp_status
wp_store_incidents(wp_store *s, const wp_incident_filter *f, wp_incident_list **out, char *err,
                   size_t errlen)
{
    wp_incident_filter def;
    if (f == NULL) {
        wp_incident_filter_init(&def);
        f = &def;
    }
    const char *status = f->status;
    if (status != NULL && strcmp(status, "all") != 0 && strcmp(status, "open") != 0 &&
        strcmp(status, "acked") != 0 && strcmp(status, "closed") != 0) {
        snprintf(err, errlen, "incidents: status is all, open, acked or closed, not '%.40s'",
                 status);
        return WP_EINVAL;
    }
    wp_arena *a = wp_arena_new(LIST_ARENA_BUDGET);
    wp_incident_list *l = a != NULL ? wp_arena_alloc(a, sizeof *l) : NULL;
    if (l == NULL) {
        wp_arena_free(a);
        snprintf(err, errlen, "incidents: out of memory");
        return WP_ENOMEM;
    }
    l->priv = a;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT " INC_COLS " FROM incidents WHERE "
                           "(?1 IS NULL AND status != 'closed' OR ?1 = 'all' OR status = ?1) "
                           "AND severity >= ?2 AND detected_at >= ?3 AND updated > ?5"
                           " ORDER BY severity DESC, id DESC LIMIT ?4",
                           -1, &st, NULL) != SQLITE_OK) {
        wp_status r = wp_store_fail_db(s, "incidents", err, errlen);
        pthread_mutex_unlock(&s->mu);
        wp_incident_list_free(l);
        return r;
    }
    if (status != NULL)
        sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, f->min_severity);
    sqlite3_bind_double(st, 3, f->since);
    sqlite3_bind_int64(st, 4, f->limit ? (sqlite3_int64)f->limit : 100);
    sqlite3_bind_double(st, 5, f->updated_after);
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW &&
           wp_arena_grow(a, (void **)&l->items, &cap, l->n + 1, sizeof(*l->items))) {
        wp_incident *it = &l->items[l->n++];
        memset(it, 0, sizeof *it);
        read_row(a, st, it);
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < l->n; i++)
        fill_entities(a, s->db, &l->items[i]);
    pthread_mutex_unlock(&s->mu);
    if (wp_arena_exhausted(a)) {
        wp_incident_list_free(l);
        snprintf(err, errlen, "incidents: out of memory");
        return WP_ENOMEM;
    }
    *out = l;
    return WP_OK;
}

wp_status
wp_store_incident_get(wp_store *s, int64_t id, wp_incident_list **out, char *err, size_t errlen)
{
    wp_arena *a = wp_arena_new(LIST_ARENA_BUDGET);
    wp_incident_list *l = a != NULL ? wp_arena_alloc(a, sizeof *l) : NULL;
    wp_incident *it = l != NULL ? wp_arena_alloc(a, sizeof *it) : NULL;
    if (it == NULL) {
        wp_arena_free(a);
        snprintf(err, errlen, "incidents: out of memory");
        return WP_ENOMEM;
    }
    l->priv = a;
    l->items = it;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    wp_status r = WP_OK;
    if (sqlite3_prepare_v2(s->db, "SELECT " INC_COLS " FROM incidents WHERE id = ?", -1, &st,
                           NULL) != SQLITE_OK) {
        r = wp_store_fail_db(s, "incidents", err, errlen);
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, errlen, "no incident %lld", (long long)id);
        r = WP_ENOTFOUND;
        goto out;
    }
    read_row(a, st, it);
    l->n = 1;
    sqlite3_finalize(st);
    st = NULL;
    fill_entities(a, s->db, it);
    size_t cap = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT ts, kind, code, summary FROM incident_timeline WHERE "
                           "incident_id = ? ORDER BY ts, seq LIMIT 10000",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        while (sqlite3_step(st) == SQLITE_ROW &&
               wp_arena_grow(a, (void **)&it->timeline, &cap, it->n_timeline + 1,
                             sizeof(*it->timeline))) {
            wp_incident_step *p = &it->timeline[it->n_timeline++];
            p->ts = sqlite3_column_double(st, 0);
            p->kind = wp_store_col_text(a, st, 1);
            p->code = wp_store_col_text(a, st, 2);
            p->summary = wp_store_col_text(a, st, 3);
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    cap = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT at, evidence_ts, coalesce(from_severity, -1), to_severity, "
                           "reason FROM incident_severity WHERE incident_id = ? ORDER BY seq",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        while (
            sqlite3_step(st) == SQLITE_ROW &&
            wp_arena_grow(a, (void **)&it->levels, &cap, it->n_levels + 1, sizeof(*it->levels))) {
            wp_incident_level *v = &it->levels[it->n_levels++];
            v->at = sqlite3_column_double(st, 0);
            v->evidence_ts = sqlite3_column_double(st, 1);
            v->from_severity = sqlite3_column_int(st, 2);
            v->to_severity = sqlite3_column_int(st, 3);
            v->reason = wp_store_col_text(a, st, 4);
        }
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    if (r == WP_OK && wp_arena_exhausted(a)) {
        snprintf(err, errlen, "incidents: out of memory");
        r = WP_ENOMEM;
    }
    if (r != WP_OK) {
        wp_incident_list_free(l);
        return r;
    }
    *out = l;
    return WP_OK;
}

/* A status change: UPDATE guarded by the allowed previous states, plus a timeline step. */
static wp_status
set_status(wp_store *s, int64_t id, const char *sql, const char *by, const char *reason,
           const char *summary, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->mu);
    double now = wp_wall_now();
    wp_status r = WP_OK;
    sqlite3_stmt *st = NULL;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "incidents: %s", sqlite3_errmsg(s->db));
        r = WP_EIO;
        goto out;
    }
    sqlite3_bind_text(st, 1, by, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, now);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        snprintf(err, errlen, "incidents: %s", sqlite3_errmsg(s->db));
        r = WP_EIO;
        goto out;
    }
    if (sqlite3_changes(s->db) == 0) {
        sqlite3_finalize(st);
        st = NULL;
        bool exists = false;
        if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM incidents WHERE id = ?", -1, &st, NULL) ==
            SQLITE_OK) {
            sqlite3_bind_int64(st, 1, id);
            exists = sqlite3_step(st) == SQLITE_ROW;
        }
        snprintf(err, errlen,
                 exists ? "incident %lld is not in a state that allows it" : "no incident %lld",
                 (long long)id);
        r = exists ? WP_EINVAL : WP_ENOTFOUND;
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    char text[600];
    snprintf(text, sizeof text, "%s by %s%s%s", summary, by, reason ? ": " : "",
             reason ? reason : "");
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO incident_timeline(incident_id, seq, ts, kind, summary) "
                           "VALUES (?1, (SELECT coalesce(max(seq),0)+1 FROM incident_timeline "
                           "WHERE incident_id = ?1), ?2, 'status', ?3)",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "incidents: %s", sqlite3_errmsg(s->db));
        r = WP_EIO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_double(st, 2, now);
    sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        snprintf(err, errlen, "incidents: %s", sqlite3_errmsg(s->db));
        r = WP_EIO;
    }
out:
    sqlite3_finalize(st);
    sqlite3_exec(s->db, r == WP_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->mu);
    return r;
}

wp_status
wp_store_incident_ack(wp_store *s, int64_t id, const char *by, char *err, size_t errlen)
{
    return set_status(s, id,
                      "UPDATE incidents SET status = 'acked', ack_by = ?1, ack_at = ?2, "
                      "updated = ?2 WHERE ?3 IS NULL AND id = ?4 AND status = 'open'",
                      by, NULL, "acknowledged", err, errlen);
}

wp_status
wp_store_incident_close(wp_store *s, int64_t id, const char *by, const char *reason, char *err,
                        size_t errlen)
{
    return set_status(s, id,
                      "UPDATE incidents SET status = 'closed', closed_by = ?1, closed_at = ?2, "
                      "close_reason = ?3, updated = ?2 WHERE id = ?4 AND status != 'closed'",
                      by, reason ? reason : "closed", "closed", err, errlen);
}

wp_status
wp_store_incident_alerted(wp_store *s, int64_t id, double at, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    wp_status r = WP_OK;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE incidents SET alerted_at = ? WHERE id = ? AND alerted_at IS "
                           "NULL",
                           -1, &st, NULL) != SQLITE_OK) {
        r = WP_EIO;
    } else {
        sqlite3_bind_double(st, 1, at);
        sqlite3_bind_int64(st, 2, id);
        if (sqlite3_step(st) != SQLITE_DONE)
            r = WP_EIO;
    }
    if (r != WP_OK)
        snprintf(err, errlen, "incidents: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return r;
}

static int
cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

wp_status
wp_store_incident_times(wp_store *s, double since, wp_incident_times *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT detected_at - first_evidence, coalesce(alerted_at - "
                           "detected_at, -1) FROM incidents WHERE detected_at >= ? LIMIT 100000",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "incidents: %s", sqlite3_errmsg(s->db));
        pthread_mutex_unlock(&s->mu);
        return WP_EIO;
    }
    sqlite3_bind_double(st, 1, since);
    size_t cap = 1024, n = 0, na = 0;
    double *d = malloc(cap * sizeof *d), *a = malloc(cap * sizeof *a);
    while (d != NULL && a != NULL && n < cap && sqlite3_step(st) == SQLITE_ROW) {
        d[n++] = sqlite3_column_double(st, 0);
        double al = sqlite3_column_double(st, 1);
        if (al >= 0)
            a[na++] = al;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    if (d == NULL || a == NULL) {
        free(d);
        free(a);
        snprintf(err, errlen, "incidents: out of memory");
        return WP_ENOMEM;
    }
    qsort(d, n, sizeof *d, cmp_d);
    qsort(a, na, sizeof *a, cmp_d);
    out->n = n;
    out->n_alerted = na;
    if (n > 0) {
        out->detect_p50 = d[n / 2];
        out->detect_max = d[n - 1];
    }
    if (na > 0) {
        out->alert_p50 = a[na / 2];
        out->alert_max = a[na - 1];
    }
    free(d);
    free(a);
    return WP_OK;
}
