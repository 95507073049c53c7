/*
 * schema.c - the store's schema and its ordered migrations.
 *
 * migrations[i] takes a database from version i to i + 1; schema_version holds one row per
 * applied migration (version, applied_at). A migration and its schema_version row commit in
 * one transaction, so a crash leaves the database at a whole version. Migrations are only
 * ever appended: a released one is never edited (docs/STORE.md). A database whose version is
 * above what this build knows is refused rather than written by code that does not know
 * its shape.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

static const char *const migrations[] = {
    /* 1: the initial schema */
    "CREATE TABLE decisions("
    " id INTEGER PRIMARY KEY,"
    " time INTEGER NOT NULL," /* decision, seconds since the epoch */
    " arrival INTEGER,"       /* envelope time */
    " queue_id TEXT, message_id TEXT,"
    " client_ip TEXT, client_name TEXT, helo TEXT, mail_from TEXT,"
    " n_rcpt INTEGER NOT NULL DEFAULT 0," /* as many as the envelope had */
    " direction TEXT NOT NULL DEFAULT 'unknown',"
    " authenticated INTEGER NOT NULL DEFAULT 0,"
    " hdr_from TEXT, hdr_sender TEXT, hdr_reply_to TEXT, hdr_return_path TEXT,"
    " hdr_to TEXT, hdr_cc TEXT, hdr_subject TEXT, hdr_date TEXT,"
    " size INTEGER NOT NULL DEFAULT 0,"
    " verdict TEXT NOT NULL, score INTEGER NOT NULL, severity INTEGER NOT NULL,"
    " action TEXT NOT NULL,"
    " reasons TEXT,"                           /* newline-separated sentences */
    " n_findings INTEGER NOT NULL DEFAULT 0);" /* as many as the report had */
    "CREATE INDEX decisions_time ON decisions(time);"
    "CREATE INDEX decisions_severity ON decisions(severity);"
    "CREATE INDEX decisions_verdict ON decisions(verdict);"
    "CREATE INDEX decisions_mail_from ON decisions(mail_from COLLATE NOCASE);"
    "CREATE INDEX decisions_message_id ON decisions(message_id);"
    "CREATE TABLE recipients("
    " decision_id INTEGER NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL, rcpt TEXT NOT NULL, PRIMARY KEY(decision_id, seq));"
    "CREATE INDEX recipients_rcpt ON recipients(rcpt COLLATE NOCASE);"
    "CREATE TABLE findings("
    " decision_id INTEGER NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL, code TEXT NOT NULL, category TEXT NOT NULL,"
    " weight INTEGER NOT NULL, contribution INTEGER NOT NULL,"
    " evidence TEXT, \"where\" TEXT, PRIMARY KEY(decision_id, seq));"
    "CREATE INDEX findings_code ON findings(code);"
    "CREATE TABLE quarantine("
    " ref TEXT PRIMARY KEY,"
    " decision_id INTEGER NOT NULL UNIQUE REFERENCES decisions(id),"
    " created INTEGER NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'released', 'deleted')),"
    " released_by TEXT, released_at INTEGER,"
    " deleted_by TEXT, deleted_at INTEGER, delete_reason TEXT);"
    "CREATE INDEX quarantine_state ON quarantine(state, created);",

    /* 2: the network side and incidents (docs/INCIDENTS.md) */
    "CREATE TABLE net_findings("
    " id INTEGER PRIMARY KEY,"
    " recorded REAL NOT NULL,"                   /* wall clock when watchpost saw it */
    " ts REAL NOT NULL, first_ts REAL NOT NULL," /* log time of the evidence */
    " code TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL, dst_port INTEGER,"
    " score REAL NOT NULL, count INTEGER NOT NULL,"
    " indicator TEXT, source TEXT, evidence TEXT NOT NULL,"
    " incident_id INTEGER REFERENCES incidents(id));"
    "CREATE INDEX net_findings_ts ON net_findings(ts);"
    "CREATE INDEX net_findings_src ON net_findings(src, ts);"
    "CREATE TABLE incidents("
    " id INTEGER PRIMARY KEY,"
    " status TEXT NOT NULL DEFAULT 'open' CHECK(status IN ('open','acked','closed')),"
    " severity INTEGER NOT NULL CHECK(severity BETWEEN 0 AND 5),"
    " title TEXT NOT NULL,"
    " first_evidence REAL NOT NULL, last_evidence REAL NOT NULL," /* log/mail time */
    " detected_at REAL NOT NULL,"                                 /* wall clock when raised */
    " updated REAL NOT NULL, alerted_at REAL,"
    " ack_by TEXT, ack_at REAL, closed_by TEXT, closed_at REAL, close_reason TEXT);"
    "CREATE INDEX incidents_status ON incidents(status, severity);"
    "CREATE TABLE incident_entities("
    " incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL, value TEXT NOT NULL COLLATE NOCASE, first_ts REAL NOT NULL,"
    " PRIMARY KEY(incident_id, kind, value));"
    "CREATE INDEX incident_entities_value ON incident_entities(kind, value);"
    "CREATE TABLE incident_timeline("
    " incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL, ts REAL NOT NULL, kind TEXT NOT NULL, code TEXT,"
    " summary TEXT NOT NULL, decision_id INTEGER, net_finding_id INTEGER,"
    " PRIMARY KEY(incident_id, seq));"
    "CREATE TABLE incident_severity("
    " incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL, at REAL NOT NULL, evidence_ts REAL NOT NULL,"
    " from_severity INTEGER, to_severity INTEGER NOT NULL, reason TEXT NOT NULL,"
    " PRIMARY KEY(incident_id, seq));"
    "CREATE TABLE host_map("
    " address TEXT PRIMARY KEY, user TEXT COLLATE NOCASE, host_name TEXT, source TEXT NOT NULL,"
    " seen REAL NOT NULL);"
    "CREATE INDEX host_map_user ON host_map(user);"
    "CREATE TABLE ingest_cursors("
    " path TEXT PRIMARY KEY, dev INTEGER NOT NULL, ino INTEGER NOT NULL,"
    " offset INTEGER NOT NULL, head_hash INTEGER NOT NULL, head_len INTEGER NOT NULL,"
    " size INTEGER NOT NULL DEFAULT 0, updated REAL NOT NULL);"
    "CREATE TABLE correlation_state(key TEXT PRIMARY KEY, value INTEGER NOT NULL);",

    /* 3: release claims and truncated copies (docs/STORE.md). A 'releasing' state with the
     * claim's token, who took it and when, so two releases never both re-inject; and
     * whether the spool copy is only the first part of the message (whole_size: the
     * message's size when known). SQLite cannot change a CHECK constraint in place, so the
     * table is rebuilt. Rows kept before this version are marked truncated when their
     * decision has the LIMIT_MESSAGE_SIZE finding: that is how a cut copy showed then. */
    "CREATE TABLE quarantine_v3("
    " ref TEXT PRIMARY KEY,"
    " decision_id INTEGER NOT NULL UNIQUE REFERENCES decisions(id),"
    " created INTEGER NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'held'"
    "  CHECK (state IN ('held', 'releasing', 'released', 'deleted')),"
    " released_by TEXT, released_at INTEGER,"
    " deleted_by TEXT, deleted_at INTEGER, delete_reason TEXT,"
    " claim TEXT, claimed_by TEXT, claimed_at INTEGER,"
    " truncated INTEGER NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1)), whole_size INTEGER);"
    "INSERT INTO quarantine_v3(ref, decision_id, created, size, sha256, state, released_by,"
    " released_at, deleted_by, deleted_at, delete_reason)"
    " SELECT ref, decision_id, created, size, sha256, state, released_by, released_at,"
    " deleted_by, deleted_at, delete_reason FROM quarantine;"
    "UPDATE quarantine_v3 SET truncated = 1 WHERE decision_id IN"
    " (SELECT decision_id FROM findings WHERE code = 'LIMIT_MESSAGE_SIZE');"
    "DROP TABLE quarantine;"
    "ALTER TABLE quarantine_v3 RENAME TO quarantine;"
    "CREATE INDEX quarantine_state ON quarantine(state, created);",

    /* 4: what the dashboard needs (docs/API.md): each decision's whole report, kept as
     * zlib-compressed JSON so an analyst sees the MIME tree and every object later; the
     * attachments' SHA-256 to search by; and the users, sessions, API tokens and audit log
     * of `watchpost serve`. Secrets are never stored: passwords as Argon2id strings,
     * session and API tokens as SHA-256 of the token. */
    "CREATE TABLE reports("
    " decision_id INTEGER PRIMARY KEY REFERENCES decisions(id) ON DELETE CASCADE,"
    " json_len INTEGER NOT NULL, json_z BLOB NOT NULL);"
    "CREATE TABLE attachments("
    " decision_id INTEGER NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,"
    " sha256 TEXT NOT NULL, name TEXT, type TEXT);"
    "CREATE INDEX attachments_sha256 ON attachments(sha256);"
    "CREATE INDEX attachments_decision ON attachments(decision_id);"
    "CREATE TABLE users("
    " name TEXT PRIMARY KEY,"
    " role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),"
    " pwhash TEXT NOT NULL, created INTEGER NOT NULL,"
    " disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)));"
    "CREATE TABLE sessions("
    " hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
    " csrf TEXT NOT NULL, created INTEGER NOT NULL, last_used INTEGER NOT NULL,"
    " address TEXT);"
    "CREATE INDEX sessions_user ON sessions(user);"
    "CREATE TABLE api_tokens("
    " hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),"
    " created INTEGER NOT NULL, last_used INTEGER,"
    " revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),"
    " UNIQUE (user, name));"
    "CREATE TABLE audit("
    " id INTEGER PRIMARY KEY, time INTEGER NOT NULL, user TEXT, address TEXT,"
    " action TEXT NOT NULL, object TEXT, reason TEXT, result TEXT NOT NULL);"
    "CREATE INDEX audit_time ON audit(time);",

    /* 5: searching a large store (bench/serve_bench.sh: 1,000,000 decisions, docs/
     * PERFORMANCE.md "watchpost serve"). The sender's domain - from the last '@', lower
     * case, WP_STORE_SENDER_DOMAIN_EXPR of store_int.h on the bare column - is indexed, so
     * "@domain" is an index search instead of a LIKE '%@domain' that read every row of the other
     * index (verdict=phishing&sender=@domain: 150-230 ms). The indexes behind the "d.id IN (SELECT
     * decision_id ...)" filters (finding code, attachment SHA-256, recipient) also carry
     * decision_id: the subquery then reads only the index, not one table row per match (a common
     * finding code: 40-60 ms -> 4 ms). */
    "CREATE INDEX decisions_sender_domain ON decisions("
    " lower(substr(mail_from, length(rtrim(mail_from, replace(mail_from, '@', ''))))));"
    "DROP INDEX findings_code;"
    "CREATE INDEX findings_code ON findings(code, decision_id);"
    "DROP INDEX attachments_sha256;"
    "CREATE INDEX attachments_sha256 ON attachments(sha256, decision_id);"
    "DROP INDEX recipients_rcpt;"
    "CREATE INDEX recipients_rcpt ON recipients(rcpt COLLATE NOCASE, decision_id);",
};

#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])

_Static_assert(N_MIGRATIONS == WP_STORE_SCHEMA_VERSION,
               "WP_STORE_SCHEMA_VERSION must be the number of migrations");

static wp_status
db_fail(sqlite3 *db, const char *path, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "store %s: %s: %s", path, what, sqlite3_errmsg(db));
    return WP_EIO;
}

/* The current version: 0 for an empty database, -1 (err set) for one that is not ours. */
static int
current_version(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int n_tables = 0, has_version = 0, v = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*), sum(name = 'schema_version') FROM sqlite_schema "
                           "WHERE type = 'table'",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        /* "file is not a database" lands here: the first read of a non-SQLite file */
        snprintf(err, errlen, "store %s: not a SQLite database (%s)", path, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return -1;
    }
    n_tables = sqlite3_column_int(st, 0);
    has_version = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    if (n_tables == 0)
        return 0;
    if (!has_version) {
        snprintf(err, errlen,
                 "store %s: a SQLite database without a schema_version table: not a watchpost "
                 "store",
                 path);
        return -1;
    }
    if (sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        db_fail(db, path, "cannot read schema_version", err, errlen);
        sqlite3_finalize(st);
        return -1;
    }
    v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static wp_status
apply(sqlite3 *db, const char *path, int to, char *err, size_t errlen)
{
    char what[64];
    snprintf(what, sizeof what, "migration %d", to);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(db, path, what, err, errlen);
    if (to == 1 && sqlite3_exec(db,
                                "CREATE TABLE IF NOT EXISTS schema_version("
                                " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                                NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    /* another process may have migrated while we waited for the lock */
    sqlite3_stmt *st = NULL;
    int done = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM schema_version WHERE version = ?", -1, &st,
                           NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int(st, 1, to);
    if (sqlite3_step(st) == SQLITE_ROW)
        done = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (!done) {
        if (sqlite3_exec(db, migrations[to - 1], NULL, NULL, NULL) != SQLITE_OK)
            goto fail;
        if (sqlite3_prepare_v2(db, "INSERT INTO schema_version(version, applied_at) VALUES (?, ?)",
                               -1, &st, NULL) != SQLITE_OK)
            goto fail;
        sqlite3_bind_int(st, 1, to);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            goto fail;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    return WP_OK;
fail:;
    wp_status ret = db_fail(db, path, what, err, errlen);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

wp_status
wp_store_migrate(sqlite3 *db, const char *path, int *version, char *err, size_t errlen)
{
    int v = current_version(db, path, err, errlen);
    if (v < 0)
        return WP_EPARSE;
    if (v > (int)N_MIGRATIONS) {
        snprintf(err, errlen,
                 "store %s: schema version %d is newer than this build's %d: use a newer "
                 "watchpost (the database is left untouched)",
                 path, v, (int)N_MIGRATIONS);
        return WP_EPARSE;
    }
    for (int to = v + 1; to <= (int)N_MIGRATIONS; to++) {
        wp_status st = apply(db, path, to, err, errlen);
        if (st != WP_OK)
            return st;
    }
    *version = (int)N_MIGRATIONS;
    return WP_OK;
}
