/*
 * learn.c - the learner of watchpost/bayes.h: messages in, token counts out to SQLite.
 *
 * The learner scans each message with a private engine whose bayes state has `capture` set,
 * so the module's analyze() hands over the token set instead of classifying: the tokens are
 * the ones a scan sees, by construction. That engine keeps the MIME walk and drops the other
 * analyzer modules' states right after creation (learning needs no DNS or rules).
 *
 * Counts are gathered in memory per batch (a token in 500 messages is one row update, not
 * 500) and written with the learned-message rows in one transaction by wp_bayes_commit().
 * A failed commit rolls the whole batch back, learned rows included, so the file never
 * holds counts without the messages they came from.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bayes_int.h"

typedef struct delta {
    uint64_t h; /* 0: empty */
    int32_t spam, ham;
} delta;

struct wp_bayes {
    char *path;
    sqlite3 *db;
    wp_engine *eng;
    wp_scanner *sc;
    wp_bayes_state cap; /* installed as the private engine's bayes state */
    wp_bayes_tokset *set;
    delta *d;
    size_t d_cap, d_n;
    int64_t d_nspam, d_nham;
    bool negative; /* a count went down: empty rows to delete at commit */
    bool in_tx;
    size_t pending;
    sqlite3_stmt *q_get, *q_add, *q_move, *q_del, *q_tok;
    char err[512];
};

static wp_status set_err(wp_bayes *b, wp_status st, const char *fmt, ...) WP_PRINTF(3, 4);

static wp_status
set_err(wp_bayes *b, wp_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err, sizeof b->err, fmt, ap);
    va_end(ap);
    return st;
}

static wp_status
db_err(wp_bayes *b, const char *what)
{
    return set_err(b, WP_EIO, "bayes.db %s: %s: %s", b->path, what, sqlite3_errmsg(b->db));
}

const char *
wp_bayes_errmsg(const wp_bayes *b)
{
    return b != NULL ? b->err : "";
}

const char *
wp_bayes_outcome_name(wp_bayes_outcome o)
{
    static const char *const names[] = {"learned",   "already learned", "moved",
                                        "forgotten", "not learned",     "no tokens"};
    return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "unknown";
}

/* ---- pending counts ---- */

static bool
delta_grow(wp_bayes *b)
{
    size_t ncap = b->d_cap ? b->d_cap * 2 : 1u << 14;
    delta *nd = calloc(ncap, sizeof(delta));
    if (nd == NULL)
        return false;
    for (size_t i = 0; i < b->d_cap; i++) {
        if (b->d[i].h == 0)
            continue;
        size_t j = (size_t)(b->d[i].h ^ (b->d[i].h >> 31)) & (ncap - 1);
        while (nd[j].h != 0)
            j = (j + 1) & (ncap - 1);
        nd[j] = b->d[i];
    }
    free(b->d);
    b->d = nd;
    b->d_cap = ncap;
    return true;
}

static delta *
delta_at(wp_bayes *b, uint64_t h)
{
    if ((b->d_n + 1) * 2 > b->d_cap && !delta_grow(b))
        return NULL;
    size_t j = (size_t)(h ^ (h >> 31)) & (b->d_cap - 1);
    while (b->d[j].h != 0 && b->d[j].h != h)
        j = (j + 1) & (b->d_cap - 1);
    if (b->d[j].h == 0) {
        b->d[j].h = h;
        b->d_n++;
    }
    return &b->d[j];
}

static wp_status
apply(wp_bayes *b, bool is_spam, int sign)
{
    for (size_t i = 0; i < b->set->n; i++) {
        delta *d = delta_at(b, b->set->list[i]);
        if (d == NULL)
            return set_err(b, WP_ENOMEM, "out of memory for pending token counts");
        if (is_spam)
            d->spam += sign;
        else
            d->ham += sign;
    }
    if (is_spam)
        b->d_nspam += sign;
    else
        b->d_nham += sign;
    if (sign < 0)
        b->negative = true;
    return WP_OK;
}

static void
delta_clear(wp_bayes *b)
{
    if (b->d != NULL)
        memset(b->d, 0, b->d_cap * sizeof(delta));
    b->d_n = 0;
    b->d_nspam = b->d_nham = 0;
    b->negative = false;
}

/* ---- transactions ---- */

static wp_status
begin(wp_bayes *b)
{
    if (b->in_tx)
        return WP_OK;
    if (sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_err(b, "cannot start a transaction");
    b->in_tx = true;
    return WP_OK;
}

static wp_status
write_pending(wp_bayes *b)
{
    for (size_t i = 0; i < b->d_cap; i++) {
        const delta *d = &b->d[i];
        if (d->h == 0 || (d->spam == 0 && d->ham == 0))
            continue;
        sqlite3_reset(b->q_tok);
        sqlite3_bind_int64(b->q_tok, 1, (sqlite3_int64)d->h);
        sqlite3_bind_int(b->q_tok, 2, d->spam);
        sqlite3_bind_int(b->q_tok, 3, d->ham);
        if (sqlite3_step(b->q_tok) != SQLITE_DONE)
            return db_err(b, "cannot write token counts");
    }
    if (b->negative && sqlite3_exec(b->db, "DELETE FROM tokens WHERE spam <= 0 AND ham <= 0", NULL,
                                    NULL, NULL) != SQLITE_OK)
        return db_err(b, "cannot remove unused tokens");
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE totals SET nspam = max(nspam + %lld, 0), nham = max(nham + %lld, 0) "
             "WHERE id = 1",
             (long long)b->d_nspam, (long long)b->d_nham);
    if (sqlite3_exec(b->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_err(b, "cannot write the totals");
    if (sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return db_err(b, "cannot commit");
    return WP_OK;
}

wp_status
wp_bayes_commit(wp_bayes *b)
{
    if (!b->in_tx)
        return WP_OK;
    wp_status st = write_pending(b);
    if (st != WP_OK)
        sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
    b->in_tx = false;
    b->pending = 0;
    delta_clear(b);
    return st;
}

/* ---- open and close ---- */

static const struct {
    size_t off;
    const char *sql;
} stmts[] = {
    {offsetof(wp_bayes, q_get), "SELECT is_spam FROM learned WHERE msg = ?1"},
    {offsetof(wp_bayes, q_add), "INSERT INTO learned(msg, is_spam) VALUES (?1, ?2)"},
    {offsetof(wp_bayes, q_move), "UPDATE learned SET is_spam = ?2 WHERE msg = ?1"},
    {offsetof(wp_bayes, q_del), "DELETE FROM learned WHERE msg = ?1"},
    {offsetof(wp_bayes, q_tok),
     "INSERT INTO tokens(hash, spam, ham) VALUES (?1, max(?2, 0), max(?3, 0)) "
     "ON CONFLICT(hash) DO UPDATE SET spam = max(spam + ?2, 0), ham = max(ham + ?3, 0)"},
};

void
wp_bayes_close(wp_bayes *b)
{
    if (b == NULL)
        return;
    if (b->db != NULL)
        wp_bayes_commit(b);
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
        sqlite3_finalize(*(sqlite3_stmt **)((char *)b + stmts[i].off));
    sqlite3_close(b->db);
    wp_scanner_free(b->sc);
    if (b->eng != NULL) {
        b->eng->mod_state[WP_MOD_BAYES] = NULL; /* ours, not the module's to close */
        wp_engine_free(b->eng);
    }
    free(b->set);
    free(b->d);
    free(b->path);
    free(b);
}

static wp_status
make_engine(wp_bayes *b, const wp_engine_config *cfg, char *err, size_t errlen)
{
    wp_engine_config ec;
    wp_engine_config_init(&ec);
    if (cfg != NULL) {
        ec.limits = cfg->limits;
        ec.magic_file = cfg->magic_file;
    }
    wp_status st = wp_engine_new(&ec, &b->eng, err, errlen);
    if (st != WP_OK)
        return st;
    /* the walk only: the analyzer modules with their defaults would look up DNS and such,
     * and add nothing to the tokens */
    for (int i = WP_MOD_VERDICT + 1; i < WP_MOD__COUNT; i++) {
        if (b->eng->mod_state[i] != NULL && wp_modules[i]->close != NULL)
            wp_modules[i]->close(b->eng->mod_state[i]);
        b->eng->mod_state[i] = NULL;
    }
    b->cap.capture = b->set;
    b->eng->mod_state[WP_MOD_BAYES] = &b->cap;
    return wp_scanner_new(b->eng, &b->sc);
}

wp_status
wp_bayes_open(const char *path, const wp_engine_config *cfg, wp_bayes **out, char *err,
              size_t errlen)
{
    char dummy[8];
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    if (path == NULL || path[0] == '\0') {
        snprintf(err, errlen, "bayes: no database path");
        return WP_EINVAL;
    }
    wp_bayes *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return WP_ENOMEM;
    wp_status st = WP_ENOMEM;
    if ((b->path = strdup(path)) == NULL || (b->set = malloc(sizeof(*b->set))) == NULL)
        goto fail;
    wp_bayes_tokset_clear(b->set);
    if ((st = wp_bayes_store_open(path, true, &b->db, err, errlen)) != WP_OK)
        goto fail;
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        sqlite3_stmt **q = (sqlite3_stmt **)((char *)b + stmts[i].off);
        if (sqlite3_prepare_v2(b->db, stmts[i].sql, -1, q, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "bayes.db %s: %s", path, sqlite3_errmsg(b->db));
            st = WP_EIO;
            goto fail;
        }
    }
    if ((st = make_engine(b, cfg, err, errlen)) != WP_OK)
        goto fail;
    *out = b;
    return WP_OK;
fail:
    wp_bayes_close(b);
    return st;
}

/* ---- learning ---- */

static wp_status
tokenize(wp_bayes *b, const uint8_t *data, size_t len)
{
    wp_bayes_tokset_clear(b->set);
    wp_report *r = NULL;
    wp_status st = wp_scan_message(b->sc, data, len, &r);
    if (st != WP_OK)
        return set_err(b, st, "cannot take the message apart: %s", wp_strerror(st));
    wp_report_free(r);
    return WP_OK;
}

/* -1: not learned; 0 ham; 1 spam */
static wp_status
learned_as(wp_bayes *b, uint64_t key, int *cls)
{
    sqlite3_reset(b->q_get);
    sqlite3_bind_int64(b->q_get, 1, (sqlite3_int64)key);
    int rc = sqlite3_step(b->q_get);
    if (rc == SQLITE_ROW)
        *cls = sqlite3_column_int(b->q_get, 0) != 0;
    else if (rc == SQLITE_DONE)
        *cls = -1;
    else
        return db_err(b, "cannot read the learned messages");
    sqlite3_reset(b->q_get);
    return WP_OK;
}

static wp_status
exec_key(wp_bayes *b, sqlite3_stmt *q, uint64_t key, int cls)
{
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, (sqlite3_int64)key);
    if (cls >= 0)
        sqlite3_bind_int(q, 2, cls);
    if (sqlite3_step(q) != SQLITE_DONE)
        return db_err(b, "cannot write the learned messages");
    return WP_OK;
}

static wp_status
finish(wp_bayes *b, wp_status st)
{
    if (st != WP_OK) {
        /* the batch is inconsistent now: drop it whole */
        sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
        b->in_tx = false;
        b->pending = 0;
        delta_clear(b);
        return st;
    }
    if (++b->pending >= WP_BAYES_BATCH)
        return wp_bayes_commit(b);
    return WP_OK;
}

wp_status
wp_bayes_learn(wp_bayes *b, const uint8_t *data, size_t len, bool is_spam, wp_bayes_outcome *out)
{
    wp_status st = tokenize(b, data, len);
    if (st != WP_OK)
        return st;
    uint64_t key = wp_bayes_tokset_key(b->set);
    if (key == 0) {
        if (out != NULL)
            *out = WP_BAYES_NO_TOKENS;
        return WP_OK;
    }
    int was;
    if ((st = begin(b)) != WP_OK || (st = learned_as(b, key, &was)) != WP_OK)
        return finish(b, st);
    wp_bayes_outcome o;
    if (was == (int)is_spam) {
        o = WP_BAYES_ALREADY;
    } else if (was >= 0) {
        o = WP_BAYES_MOVED;
        if ((st = apply(b, was == 1, -1)) == WP_OK && (st = apply(b, is_spam, 1)) == WP_OK)
            st = exec_key(b, b->q_move, key, is_spam);
    } else {
        o = WP_BAYES_LEARNED;
        if ((st = apply(b, is_spam, 1)) == WP_OK)
            st = exec_key(b, b->q_add, key, is_spam);
    }
    st = finish(b, st);
    if (st == WP_OK && out != NULL)
        *out = o;
    return st;
}

wp_status
wp_bayes_forget(wp_bayes *b, const uint8_t *data, size_t len, wp_bayes_outcome *out)
{
    wp_status st = tokenize(b, data, len);
    if (st != WP_OK)
        return st;
    uint64_t key = wp_bayes_tokset_key(b->set);
    int was = -1;
    if (key != 0) {
        if ((st = begin(b)) != WP_OK || (st = learned_as(b, key, &was)) != WP_OK)
            return finish(b, st);
        if (was >= 0 && (st = apply(b, was == 1, -1)) == WP_OK)
            st = exec_key(b, b->q_del, key, -1);
        if ((st = finish(b, st)) != WP_OK)
            return st;
    }
    if (out != NULL)
        *out = key == 0 ? WP_BAYES_NO_TOKENS : was >= 0 ? WP_BAYES_FORGOTTEN : WP_BAYES_UNKNOWN;
    return WP_OK;
}

wp_status
wp_bayes_get_stats(wp_bayes *b, wp_bayes_stats *out)
{
    wp_status st = wp_bayes_commit(b);
    if (st != WP_OK)
        return st;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(b->db,
                           "SELECT nspam, nham, (SELECT count(*) FROM tokens) FROM totals "
                           "WHERE id = 1",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        st = db_err(b, "cannot read the totals");
        sqlite3_finalize(q);
        return st;
    }
    out->nspam = (uint64_t)sqlite3_column_int64(q, 0);
    out->nham = (uint64_t)sqlite3_column_int64(q, 1);
    out->ntokens = (uint64_t)sqlite3_column_int64(q, 2);
    out->schema_version = WP_BAYES_SCHEMA_VERSION;
    out->tokenizer_version = WP_BAYES_TOKENIZER_VERSION;
    sqlite3_finalize(q);
    return WP_OK;
}
