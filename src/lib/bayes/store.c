/*
 * store.c - the SQLite file of a learned model.
 *
 *   version(schema, tokenizer)            one row; both must match this build
 *   totals(id = 1, nspam, nham)           learned messages per class
 *   tokens(hash PRIMARY KEY, spam, ham)   per token, the learned messages it occurred in
 *   learned(msg PRIMARY KEY, is_spam)     every learned message, keyed by the hash of its
 *                                         token set: learning it again is a no-op, learning
 *                                         it as the other class moves it
 *
 * WAL journal, so scanners that load the table while `watchpost learn` writes see the last
 * committed model and do not block it. Errors name the file.
 */
#include <stdio.h>
#include <string.h>

#include "bayes_int.h"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS version(schema INTEGER NOT NULL, tokenizer INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS totals(id INTEGER PRIMARY KEY CHECK (id = 1),"
    " nspam INTEGER NOT NULL, nham INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tokens(hash INTEGER PRIMARY KEY, spam INTEGER NOT NULL,"
    " ham INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS learned(msg INTEGER PRIMARY KEY, is_spam INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO totals(id, nspam, nham) VALUES (1, 0, 0);";

static wp_status
fail(sqlite3 *db, const char *path, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "bayes.db %s: %s: %s", path, what,
             db != NULL ? sqlite3_errmsg(db) : "out of memory");
    return WP_EIO;
}

static wp_status
check_version(sqlite3 *db, const char *path, bool create, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT schema, tokenizer FROM version", -1, &st, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "bayes.db %s: not a watchpost Bayes database (%s)", path,
                 sqlite3_errmsg(db));
        return WP_EPARSE;
    }
    int rc = sqlite3_step(st);
    wp_status ret = WP_OK;
    if (rc == SQLITE_ROW) {
        int schema = sqlite3_column_int(st, 0), tok = sqlite3_column_int(st, 1);
        if (schema != WP_BAYES_SCHEMA_VERSION || tok != WP_BAYES_TOKENIZER_VERSION) {
            snprintf(err, errlen,
                     "bayes.db %s: schema %d, tokenizer %d; this build uses schema %d, "
                     "tokenizer %d: train a new database",
                     path, schema, tok, WP_BAYES_SCHEMA_VERSION, WP_BAYES_TOKENIZER_VERSION);
            ret = WP_EPARSE;
        }
    } else if (rc == SQLITE_DONE && create) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO version(schema, tokenizer) VALUES (%d, %d)",
                 WP_BAYES_SCHEMA_VERSION, WP_BAYES_TOKENIZER_VERSION);
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            ret = fail(db, path, "cannot write the version", err, errlen);
    } else {
        snprintf(err, errlen, "bayes.db %s: no version row: not a watchpost Bayes database", path);
        ret = WP_EPARSE;
    }
    sqlite3_finalize(st);
    return ret;
}

wp_status
wp_bayes_store_open(const char *path, bool create, sqlite3 **out, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        wp_status st = fail(db, path, "cannot open", err, errlen);
        sqlite3_close(db);
        return st;
    }
    sqlite3_busy_timeout(db, 10000);
    wp_status st = WP_OK;
    if (create && (sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
                   sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK))
        st = fail(db, path, "cannot create the schema", err, errlen);
    if (st == WP_OK)
        st = check_version(db, path, create, err, errlen);
    if (st != WP_OK) {
        sqlite3_close(db);
        return st;
    }
    *out = db;
    return WP_OK;
}

wp_status
wp_bayes_store_load(sqlite3 *db, const char *path, wp_bayes_model *m, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int64_t nspam = 0, nham = 0, ntok = 0;
    memset(m, 0, sizeof(*m));
    /* one read transaction, so the totals and the tokens are of the same commit */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, path, "cannot read", err, errlen);
    wp_status ret = WP_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT nspam, nham, (SELECT count(*) FROM tokens) FROM totals "
                           "WHERE id = 1",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        ret = fail(db, path, "cannot read the totals", err, errlen);
        goto out;
    }
    nspam = sqlite3_column_int64(st, 0);
    nham = sqlite3_column_int64(st, 1);
    ntok = sqlite3_column_int64(st, 2);
    sqlite3_finalize(st);
    st = NULL;
    if (nspam < 0 || nham < 0 || ntok < 0 || ntok > (int64_t)WP_BAYES_MAX_MODEL) {
        snprintf(err, errlen, "bayes.db %s: %lld tokens (at most %u are loaded) or negative totals",
                 path, (long long)ntok, WP_BAYES_MAX_MODEL);
        ret = WP_ELIMIT;
        goto out;
    }
    if ((ret = wp_bayes_model_init(m, (size_t)ntok)) != WP_OK) {
        snprintf(err, errlen, "bayes.db %s: no memory for %lld tokens", path, (long long)ntok);
        goto out;
    }
    m->nspam = (uint64_t)nspam;
    m->nham = (uint64_t)nham;
    if (sqlite3_prepare_v2(db, "SELECT hash, spam, ham FROM tokens", -1, &st, NULL) != SQLITE_OK) {
        ret = fail(db, path, "cannot read the tokens", err, errlen);
        goto out;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t s = sqlite3_column_int64(st, 1), h = sqlite3_column_int64(st, 2);
        s = s < 0 ? 0 : s > UINT32_MAX ? UINT32_MAX : s;
        h = h < 0 ? 0 : h > UINT32_MAX ? UINT32_MAX : h;
        ret =
            wp_bayes_model_put(m, (uint64_t)sqlite3_column_int64(st, 0), (uint32_t)s, (uint32_t)h);
        if (ret != WP_OK) {
            snprintf(err, errlen, "bayes.db %s: bad or unexpected token row", path);
            goto out;
        }
    }
    if (rc != SQLITE_DONE)
        ret = fail(db, path, "cannot read the tokens", err, errlen);
out:
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (ret != WP_OK)
        wp_bayes_model_fini(m);
    return ret;
}
