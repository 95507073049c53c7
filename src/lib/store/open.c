/*
 * open.c - opening and closing a store: the connection, its pragmas, the spool directory,
 * the prepared statements.
 *
 * Pragmas: foreign_keys on (findings and recipients hang off their decision), WAL journal
 * (readers such as `watchpost events` never block the milter's writes), synchronous=FULL
 * (a committed decision or quarantine row survives a power cut: the milter has answered by
 * then), busy_timeout for other processes holding the write lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

static const char *const stmt_sql[SQ__COUNT] = {
    [SQ_INSERT_DECISION] =
        "INSERT INTO decisions(time, arrival, queue_id, message_id, client_ip, client_name,"
        " helo, mail_from, n_rcpt, direction, authenticated, hdr_from, hdr_sender, hdr_reply_to,"
        " hdr_return_path, hdr_to, hdr_cc, hdr_subject, hdr_date, size, verdict, score, severity,"
        " action, reasons, n_findings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
        " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
    [SQ_INSERT_FINDING] =
        "INSERT INTO findings(decision_id, seq, code, category, weight, contribution, evidence,"
        " \"where\") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [SQ_INSERT_RCPT] = "INSERT INTO recipients(decision_id, seq, rcpt) VALUES (?1, ?2, ?3)",
    [SQ_INSERT_QUARANTINE] = "INSERT INTO quarantine(ref, decision_id, created, size, sha256,"
                             " truncated, whole_size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQ_SELECT_FINDINGS] = "SELECT code, category, weight, contribution, evidence, \"where\""
                           " FROM findings WHERE decision_id = ?1 ORDER BY seq",
    [SQ_SELECT_RCPT] = "SELECT rcpt FROM recipients WHERE decision_id = ?1 ORDER BY seq",
    [SQ_SELECT_QUARANTINE] = QUARANTINE_SELECT " WHERE q.ref = ?1",
    /* the claim: one statement, so one transaction; whoever changes the row owns it. A held
     * row, or a claim older than ?5 (its process died), never a truncated copy. */
    [SQ_CLAIM] = "UPDATE quarantine SET state = 'releasing', claim = ?2, claimed_by = ?3,"
                 " claimed_at = ?4 WHERE ref = ?1 AND truncated = 0 AND (state = 'held'"
                 " OR (state = 'releasing' AND claimed_at <= ?4 - ?5))",
    [SQ_RELEASE] = "UPDATE quarantine SET state = 'released', released_by = claimed_by,"
                   " released_at = ?3, claim = NULL WHERE ref = ?1 AND state = 'releasing'"
                   " AND claim = ?2",
    [SQ_UNCLAIM] = "UPDATE quarantine SET state = 'held', claim = NULL, claimed_by = NULL,"
                   " claimed_at = NULL WHERE ref = ?1 AND state = 'releasing' AND claim = ?2",
    /* a live claim keeps the file: its owner may be sending it right now */
    [SQ_TOMBSTONE] = "UPDATE quarantine SET state = 'deleted', deleted_by = ?2, deleted_at = ?3,"
                     " delete_reason = ?4 WHERE ref = ?1 AND state != 'deleted'"
                     " AND NOT (state = 'releasing' AND claimed_at > ?3 - ?5)",
    [SQ_SELECT_LIVE] = "SELECT ref FROM quarantine WHERE state != 'deleted' ORDER BY created",
    [SQ_INSERT_REPORT] = "INSERT INTO reports(decision_id, json_len, json_z) VALUES (?1, ?2, ?3)",
    [SQ_INSERT_ATTACHMENT] = "INSERT INTO attachments(decision_id, sha256, name, type)"
                             " VALUES (?1, ?2, ?3, ?4)",
};

void
wp_store_lock(wp_store *s)
{
    pthread_mutex_lock(&s->mu);
}

void
wp_store_unlock(wp_store *s)
{
    pthread_mutex_unlock(&s->mu);
}

sqlite3 *
wp_store_sqlite(wp_store *s)
{
    return s->db;
}

wp_status
wp_store_fail_db(wp_store *s, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "store %s: %s: %s", s->db_path, what, sqlite3_errmsg(s->db));
    return WP_EIO;
}

sqlite3_stmt *
wp_store_stmt(wp_store *s, store_stmt k)
{
    if (s->stmt[k] == NULL && sqlite3_prepare_v3(s->db, stmt_sql[k], -1, SQLITE_PREPARE_PERSISTENT,
                                                 &s->stmt[k], NULL) != SQLITE_OK)
        return NULL;
    sqlite3_reset(s->stmt[k]);
    sqlite3_clear_bindings(s->stmt[k]);
    return s->stmt[k];
}

int
wp_store_exec(wp_store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

void
wp_store_config_init(wp_store_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->busy_timeout_ms = 5000;
}

/* The spool directory: created 0700 when absent, and it must be a directory we can open. */
static wp_status
open_spool(wp_store *s, const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "quarantine spool %s: cannot create: %s", dir, strerror(errno));
        return WP_EIO;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "quarantine spool %s: %s", dir,
                 errno == ENOTDIR ? "not a directory" : strerror(errno));
        return WP_EIO;
    }
    s->spool_fd = fd;
    s->spool_dir = strdup(dir);
    if (s->spool_dir == NULL) {
        snprintf(err, errlen, "quarantine spool %s: out of memory", dir);
        return WP_ENOMEM;
    }
    return WP_OK;
}

static wp_status
open_db(wp_store *s, const wp_store_config *cfg, char *err, size_t errlen)
{
    /* a new database is created 0600: it holds addresses and subjects. SQLite gives the
     * -wal and -shm files the mode of the database. An existing file keeps its mode; an
     * error here is left for sqlite3_open_v2 to report.
     * O_EXCL: an existing file is never opened here. Closing any descriptor of a file drops
     * every POSIX lock this process holds on it, SQLite's included; a process with a
     * connection open (watchpost serve opens one per worker thread, at any time) would then
     * look closed to other processes, and the last of those to close would checkpoint and
     * delete the WAL under it: "database disk image is malformed" (ctest serve saw it). */
    int fd = open(cfg->db_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    int rc =
        sqlite3_open_v2(cfg->db_path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "store %s: cannot open: %s", cfg->db_path,
                 s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
        return WP_EIO;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, cfg->busy_timeout_ms > 0 ? cfg->busy_timeout_ms : 5000);
    if (wp_store_exec(s, "PRAGMA foreign_keys = ON") != SQLITE_OK)
        return wp_store_fail_db(s, "cannot enable foreign keys", err, errlen);
    /* a new (empty) file returns pruned pages to the file system (prune.c); on an existing
     * database this pragma changes nothing until a VACUUM */
    (void)wp_store_exec(s, "PRAGMA auto_vacuum = INCREMENTAL");
    /* the version check reads the file first: a non-SQLite file or a newer schema is
     * refused before anything (the journal mode included) is written to it */
    wp_status st = wp_store_migrate(s->db, cfg->db_path, &s->schema_version, err, errlen);
    if (st != WP_OK)
        return st;
    sqlite3_stmt *q = NULL;
    const char *mode = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        mode = (const char *)sqlite3_column_text(q, 0);
    bool wal = mode != NULL && strcmp(mode, "wal") == 0;
    sqlite3_finalize(q);
    if (!wal)
        return wp_store_fail_db(s, "cannot switch to the WAL journal", err, errlen);
    if (wp_store_exec(s, cfg->relaxed_sync ? "PRAGMA synchronous = NORMAL"
                                           : "PRAGMA synchronous = FULL") != SQLITE_OK)
        return wp_store_fail_db(s, "cannot set synchronous", err, errlen);
    return WP_OK;
}

wp_status
wp_store_open(const wp_store_config *cfg, wp_store **out, char *err, size_t errlen)
{
    if (cfg == NULL || cfg->db_path == NULL || cfg->db_path[0] == '\0') {
        snprintf(err, errlen, "store: no database path configured");
        return WP_EINVAL;
    }
    wp_store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "store %s: out of memory", cfg->db_path);
        return WP_ENOMEM;
    }
    s->spool_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    wp_status st = WP_ENOMEM;
    if ((s->db_path = strdup(cfg->db_path)) == NULL) {
        snprintf(err, errlen, "store %s: out of memory", cfg->db_path);
        goto out;
    }
    if ((st = open_db(s, cfg, err, errlen)) != WP_OK)
        goto out;
    if (cfg->spool_dir != NULL && (st = open_spool(s, cfg->spool_dir, err, errlen)) != WP_OK)
        goto out;
    *out = s;
    return WP_OK;
out:
    wp_store_close(s);
    return st;
}

void
wp_store_close(wp_store *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < SQ__COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    for (size_t i = 0; i < sizeof s->events / sizeof s->events[0]; i++) {
        sqlite3_finalize(s->events[i]);
        sqlite3_finalize(s->qlist[i]);
    }
    sqlite3_close(s->db);
    if (s->spool_fd >= 0)
        close(s->spool_fd);
    pthread_mutex_destroy(&s->mu);
    free(s->spool_dir);
    free(s->db_path);
    free(s);
}

int
wp_store_schema_version(wp_store *s)
{
    return s->schema_version;
}
