/*
 * prune.c - store retention: rows older than the retention go, in small batches.
 *
 * What goes (docs/STORE.md, "Retention"):
 *   decisions (with their recipients and findings) recorded before the cut-off, unless a
 *     quarantine file of theirs still exists (state other than 'deleted': the spool has its
 *     own retention, quarantine.retention_days) or an incident that is kept cites them;
 *     a 'deleted' tombstone goes with its decision;
 *   network findings whose log time is before the cut-off, unless an incident that is kept
 *     holds or cites them;
 *   incidents closed before the cut-off whose last evidence is before it too (with their
 *     entities, timeline and severity history);
 *   host-to-user mappings last seen before the cut-off.
 * Open and acknowledged incidents and everything they cite stay, however old: an analyst is
 * still working on them.
 *
 * Batches of PRUNE_BATCH rows per transaction keep the write lock short, so a milter or an
 * ingest writing to the same store waits milliseconds, not the length of a purge. Freed pages
 * are returned to the file system by incremental vacuum when the database was created with
 * auto_vacuum = INCREMENTAL (open.c sets it on every new store); a store made before that
 * keeps its size and reuses the freed pages (`sqlite3 FILE 'PRAGMA auto_vacuum=2; VACUUM'`
 * once, with the writers stopped, converts it).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

#define PRUNE_BATCH 2000

/* Runs one DELETE/UPDATE with the cut-off bound to ?1 until it changes nothing; adds the rows
 * changed to *n. The store's mutex is taken per batch, not for the whole purge, so the
 * milter's decisions (same process, same connection) wait one batch at most. */
static wp_status
batched(wp_store *s, const char *sql, double cutoff, uint64_t *n, char *err, size_t errlen)
{
    wp_status st = WP_OK;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
        st = wp_store_fail_db(s, "prune", err, errlen);
    pthread_mutex_unlock(&s->mu);
    for (bool more = st == WP_OK; more;) {
        pthread_mutex_lock(&s->mu);
        int changed = 0;
        if (wp_store_exec(s, "BEGIN IMMEDIATE") != SQLITE_OK) {
            st = wp_store_fail_db(s, "prune: begin", err, errlen);
        } else {
            sqlite3_bind_double(q, 1, cutoff);
            sqlite3_bind_int(q, 2, PRUNE_BATCH);
            int rc = sqlite3_step(q);
            sqlite3_reset(q);
            changed = sqlite3_changes(s->db);
            if (rc != SQLITE_DONE) {
                st = wp_store_fail_db(s, "prune", err, errlen);
            } else if (wp_store_exec(s, "COMMIT") != SQLITE_OK) {
                st = wp_store_fail_db(s, "prune: commit", err, errlen);
            }
            if (st != WP_OK)
                (void)wp_store_exec(s, "ROLLBACK");
        }
        pthread_mutex_unlock(&s->mu);
        if (st == WP_OK && n != NULL)
            *n += (uint64_t)changed;
        more = st == WP_OK && changed >= PRUNE_BATCH;
    }
    sqlite3_finalize(q);
    return st;
}

/* Incidents go first, so that what is still cited afterwards is cited by an incident that
 * stays: nothing kept ever points at a row that is gone. NOT IN over the timeline is
 * evaluated once per statement (SQLite builds a transient index), not once per row. */
#define OLD_CLOSED_INCIDENT \
    "SELECT id FROM incidents WHERE status = 'closed' AND closed_at < ?1 AND last_evidence < ?1"
#define NOT_CITED(col) \
    "x.id NOT IN (SELECT " col " FROM incident_timeline WHERE " col " IS NOT NULL)"

/* an old closed incident's network findings are let go first (the reference is not cascaded) */
static const char *const sql_unlink =
    "UPDATE net_findings SET incident_id = NULL WHERE id IN (SELECT id FROM net_findings"
    " WHERE incident_id IN (" OLD_CLOSED_INCIDENT ") LIMIT ?2)";
static const char *const sql_incidents =
    "DELETE FROM incidents WHERE id IN (" OLD_CLOSED_INCIDENT " LIMIT ?2)";
static const char *const sql_tombstones =
    "DELETE FROM quarantine WHERE rowid IN (SELECT q.rowid FROM quarantine q"
    " JOIN decisions x ON x.id = q.decision_id WHERE q.state = 'deleted' AND x.time < ?1"
    " AND " NOT_CITED("decision_id") " LIMIT ?2)";
static const char *const sql_decisions =
    "DELETE FROM decisions WHERE id IN (SELECT x.id FROM decisions x WHERE x.time < ?1"
    " AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.decision_id = x.id)"
    " AND " NOT_CITED("decision_id") " LIMIT ?2)";
static const char *const sql_net =
    "DELETE FROM net_findings WHERE id IN (SELECT x.id FROM net_findings x WHERE x.ts < ?1"
    " AND x.incident_id IS NULL AND " NOT_CITED("net_finding_id") " LIMIT ?2)";
static const char *const sql_hosts =
    "DELETE FROM host_map WHERE rowid IN (SELECT rowid FROM host_map WHERE seen < ?1 LIMIT ?2)";

wp_status
wp_store_prune(wp_store *s, unsigned days, long long now, wp_store_prune_counts *out, char *err,
               size_t errlen)
{
    wp_store_prune_counts c = {0};
    if (days == 0) {
        (void)snprintf(err, errlen,
                       "store %s: a retention of 0 days would delete everything; refused",
                       s->db_path);
        return WP_EINVAL;
    }
    if (now <= 0)
        now = (long long)time(NULL);
    double cutoff = (double)now - (double)days * 86400.0;
    uint64_t unlinked = 0;
    wp_status st = batched(s, sql_unlink, cutoff, &unlinked, err, errlen);
    if (st == WP_OK)
        st = batched(s, sql_incidents, cutoff, &c.incidents, err, errlen);
    if (st == WP_OK)
        st = batched(s, sql_tombstones, cutoff, &c.tombstones, err, errlen);
    if (st == WP_OK)
        st = batched(s, sql_decisions, cutoff, &c.decisions, err, errlen);
    if (st == WP_OK)
        st = batched(s, sql_net, cutoff, &c.net_findings, err, errlen);
    if (st == WP_OK)
        st = batched(s, sql_hosts, cutoff, &c.host_map, err, errlen);
    if (st == WP_OK) {
        /* give freed pages back when the file allows it (a no-op otherwise) */
        pthread_mutex_lock(&s->mu);
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(s->db, "PRAGMA auto_vacuum", -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 2)
            (void)wp_store_exec(s, "PRAGMA incremental_vacuum");
        sqlite3_finalize(q);
        pthread_mutex_unlock(&s->mu);
    }
    if (out != NULL)
        *out = c;
    return st;
}
