/*
 * stats.c - the counts behind the dashboard's overview: decisions per time bucket by verdict
 * and severity, the top senders, sender domains and finding codes, and the open incidents.
 *
 * Each is one aggregate query over the time index; with a million decisions a day's worth
 * is read in milliseconds. Buckets are filled in C so that empty ones are present too (a
 * chart with gaps would lie about quiet hours).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static wp_status
buckets(wp_store *s, wp_stats *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT (time - ?1) / ?3, verdict, severity, count(*) FROM decisions"
                           " WHERE time >= ?1 AND time < ?2 GROUP BY 1, 2, 3",
                           -1, &st, NULL) != SQLITE_OK)
        return wp_store_fail_db(s, "stats", err, errlen);
    sqlite3_bind_int64(st, 1, out->since);
    sqlite3_bind_int64(st, 2, out->until);
    sqlite3_bind_int64(st, 3, out->bucket);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 k = sqlite3_column_int64(st, 0);
        int v = wp_store_verdict_from_name((const char *)sqlite3_column_text(st, 1));
        int sev = sqlite3_column_int(st, 2);
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 3);
        if (k < 0 || (size_t)k >= out->n_buckets || v < 0 || sev < 0 || sev > 5)
            continue;
        out->buckets[k].verdicts[v] += n;
        out->buckets[k].severity[sev] += n;
        out->verdicts[v] += n;
        out->severity[sev] += n;
        out->total += n;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? WP_OK : wp_store_fail_db(s, "stats", err, errlen);
}

/* SELECT value, count ... LIMIT WP_STATS_TOP into top[], *n */
static wp_status
top(wp_store *s, const char *sql, const wp_stats *in, wp_stats_top *t, size_t *n, char *err,
    size_t errlen)
{
    sqlite3_stmt *st = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return wp_store_fail_db(s, "stats", err, errlen);
    sqlite3_bind_int64(st, 1, in->since);
    sqlite3_bind_int64(st, 2, in->until);
    sqlite3_bind_int(st, 3, WP_STATS_TOP);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < WP_STATS_TOP) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        (void)snprintf(t[*n].value, sizeof t[*n].value, "%s", v != NULL ? (const char *)v : "");
        t[*n].count = (uint64_t)sqlite3_column_int64(st, 1);
        (*n)++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? WP_OK
                                                 : wp_store_fail_db(s, "stats", err, errlen);
}

static wp_status
counts(wp_store *s, wp_stats *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT severity, count(*) FROM incidents WHERE status <> 'closed'"
                           " GROUP BY severity",
                           -1, &st, NULL) != SQLITE_OK)
        return wp_store_fail_db(s, "stats", err, errlen);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int sev = sqlite3_column_int(st, 0);
        if (sev >= 0 && sev <= 5)
            out->open_incidents[sev] = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return wp_store_fail_db(s, "stats", err, errlen);
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM quarantine WHERE state = 'held'", -1, &st,
                           NULL) != SQLITE_OK)
        return wp_store_fail_db(s, "stats", err, errlen);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        out->quarantine_held = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? WP_OK : wp_store_fail_db(s, "stats", err, errlen);
}

wp_status
wp_store_stats(wp_store *s, long long since, long long until, long long bucket, wp_stats *out,
               char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (bucket < 1 || until <= since) {
        (void)snprintf(err, errlen, "stats: want a bucket of at least a second and since < until");
        return WP_EINVAL;
    }
    /* whole buckets ending at until, at most WP_STATS_MAX_BUCKETS of them */
    long long n = (until - since + bucket - 1) / bucket;
    if (n > WP_STATS_MAX_BUCKETS)
        n = WP_STATS_MAX_BUCKETS;
    out->bucket = bucket;
    out->until = until;
    out->since = until - n * bucket;
    out->n_buckets = (size_t)n;
    out->buckets = calloc((size_t)n, sizeof(*out->buckets));
    if (out->buckets == NULL)
        return WP_ENOMEM;
    for (long long i = 0; i < n; i++)
        out->buckets[i].t = out->since + i * bucket;
    pthread_mutex_lock(&s->mu);
    (void)wp_store_exec(s, "BEGIN"); /* one snapshot for every count */
    wp_status ret = buckets(s, out, err, errlen);
    if (ret == WP_OK) {
        ret = top(s,
                  "SELECT mail_from, count(*) FROM decisions WHERE time >= ?1 AND time < ?2"
                  " AND mail_from IS NOT NULL AND mail_from <> '' GROUP BY mail_from"
                  " COLLATE NOCASE ORDER BY 2 DESC, 1 LIMIT ?3",
                  out, out->senders, &out->n_senders, err, errlen);
    }
    if (ret == WP_OK) {
        ret = top(s,
                  "SELECT lower(substr(mail_from, instr(mail_from, '@') + 1)), count(*)"
                  " FROM decisions WHERE time >= ?1 AND time < ?2 AND instr(mail_from, '@') > 0"
                  " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?3",
                  out, out->domains, &out->n_domains, err, errlen);
    }
    if (ret == WP_OK) {
        ret = top(s,
                  "SELECT f.code, count(*) FROM findings f JOIN decisions d ON d.id ="
                  " f.decision_id WHERE d.time >= ?1 AND d.time < ?2 AND f.weight > 0"
                  " GROUP BY f.code ORDER BY 2 DESC, 1 LIMIT ?3",
                  out, out->findings, &out->n_findings, err, errlen);
    }
    if (ret == WP_OK)
        ret = counts(s, out, err, errlen);
    (void)wp_store_exec(s, "COMMIT");
    pthread_mutex_unlock(&s->mu);
    if (ret != WP_OK)
        wp_stats_free(out);
    return ret;
}

void
wp_stats_free(wp_stats *st)
{
    free(st->buckets);
    st->buckets = NULL;
    st->n_buckets = 0;
}
