/*
 * access.c - users, sessions, API tokens and the audit log (watchpost/access.h).
 *
 * Hashes in, hashes compared by SQLite's equality on the primary key: the secret itself
 * never reaches the store, so a timing difference in the lookup reveals nothing useful
 * (an attacker would have to know a SHA-256 preimage). Every value is bound.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "store_int.h"
#include "watchpost/access.h"

static const char *const role_names[WP_ROLE__COUNT] = {"viewer", "analyst", "admin"};

const char *
wp_role_name(wp_role r)
{
    return (unsigned)r < WP_ROLE__COUNT ? role_names[r] : "none";
}

int
wp_role_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < WP_ROLE__COUNT; i++) {
        if (strcmp(name, role_names[i]) == 0)
            return i;
    }
    return -1;
}

bool
wp_access_name_valid(const char *name)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > WP_ACCESS_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-' && c != '@')
            return false;
    }
    return true;
}

static void
copy(char *dst, size_t cap, const unsigned char *src)
{
    (void)snprintf(dst, cap, "%s", src != NULL ? (const char *)src : "");
}

/* One statement, bound by bind(), stepped once under the lock; *changes the rows changed. */
typedef void (*binder)(sqlite3_stmt *st, const void *ctx);

static wp_status
exec1(wp_store *s, const char *sql, binder bind, const void *ctx, int *changes, char *err,
      size_t errlen)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    wp_status ret = WP_OK;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        ret = wp_store_fail_db(s, "access", err, errlen);
    } else {
        bind(st, ctx);
        int rc = sqlite3_step(st);
        if ((rc & 0xff) == SQLITE_CONSTRAINT) {
            ret = WP_EINVAL;
        } else if (rc != SQLITE_DONE) {
            ret = wp_store_fail_db(s, "access", err, errlen);
        }
        if (ret == WP_EINVAL)
            (void)snprintf(err, errlen, "store %s: %s", s->db_path, sqlite3_errmsg(s->db));
        if (changes != NULL)
            *changes = sqlite3_changes(s->db);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

typedef struct user_args {
    const char *name, *pwhash;
    wp_role role;
    long long now;
} user_args;

static void
bind_user(sqlite3_stmt *st, const void *ctx)
{
    const user_args *u = ctx;
    sqlite3_bind_text(st, 1, u->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, wp_role_name(u->role), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, u->pwhash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, u->now);
}

wp_status
wp_store_user_put(wp_store *s, const char *name, wp_role role, const char *pwhash, bool create,
                  char *err, size_t errlen)
{
    if (!wp_access_name_valid(name) || (unsigned)role >= WP_ROLE__COUNT || pwhash == NULL ||
        strlen(pwhash) >= WP_ACCESS_HASH_MAX) {
        (void)snprintf(err, errlen, "user names are 1 to %d of A-Z a-z 0-9 . _ - @",
                       WP_ACCESS_NAME_MAX);
        return WP_EINVAL;
    }
    user_args u = {name, pwhash, role, (long long)time(NULL)};
    int n = 0;
    wp_status ret = exec1(s,
                          create ? "INSERT INTO users(name, role, pwhash, created)"
                                   " VALUES (?1, ?2, ?3, ?4)"
                                 : "UPDATE users SET role = ?2, pwhash = ?3 WHERE name = ?1",
                          bind_user, &u, &n, err, errlen);
    if (ret == WP_EINVAL && create)
        (void)snprintf(err, errlen, "user '%s' exists already", name);
    if (ret == WP_OK && n == 0) {
        (void)snprintf(err, errlen, "no user '%s'", name);
        ret = WP_ENOTFOUND;
    }
    return ret;
}

wp_status
wp_store_user_get(wp_store *s, const char *name, wp_user_info *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    wp_status ret = WP_ENOTFOUND;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT name, role, pwhash, disabled, created FROM users"
                           " WHERE name = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = wp_store_fail_db(s, "users", err, errlen);
    } else {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        int role =
            rc == SQLITE_ROW ? wp_role_from_name((const char *)sqlite3_column_text(st, 1)) : -1;
        if (rc == SQLITE_ROW && role >= 0) {
            copy(out->name, sizeof out->name, sqlite3_column_text(st, 0));
            out->role = (wp_role)role;
            copy(out->pwhash, sizeof out->pwhash, sqlite3_column_text(st, 2));
            out->disabled = sqlite3_column_int(st, 3) != 0;
            out->created = sqlite3_column_int64(st, 4);
            ret = WP_OK;
        } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            ret = wp_store_fail_db(s, "users", err, errlen);
        } else {
            (void)snprintf(err, errlen, "no user '%s'", name);
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

static void
bind_disable(sqlite3_stmt *st, const void *ctx)
{
    const user_args *u = ctx;
    sqlite3_bind_text(st, 1, u->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, u->role != 0);
}

wp_status
wp_store_user_disable(wp_store *s, const char *name, bool disabled, char *err, size_t errlen)
{
    user_args u = {.name = name, .role = disabled ? 1 : 0};
    int n = 0;
    wp_status ret = exec1(s, "UPDATE users SET disabled = ?2 WHERE name = ?1", bind_disable, &u, &n,
                          err, errlen);
    if (ret == WP_OK && n == 0) {
        (void)snprintf(err, errlen, "no user '%s'", name);
        return WP_ENOTFOUND;
    }
    if (ret == WP_OK && disabled)
        ret = exec1(s, "DELETE FROM sessions WHERE user = ?1", bind_disable, &u, NULL, err, errlen);
    return ret;
}

wp_status
wp_store_users(wp_store *s, wp_user_info *out, size_t cap, size_t *n, char *err, size_t errlen)
{
    *n = 0;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    wp_status ret = WP_OK;
    if (sqlite3_prepare_v2(s->db, "SELECT name, role, disabled, created FROM users ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = wp_store_fail_db(s, "users", err, errlen);
    } else {
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (*n < cap) {
                wp_user_info *u = &out[*n];
                memset(u, 0, sizeof(*u));
                copy(u->name, sizeof u->name, sqlite3_column_text(st, 0));
                int role = wp_role_from_name((const char *)sqlite3_column_text(st, 1));
                u->role = role >= 0 ? (wp_role)role : WP_ROLE_VIEWER;
                u->disabled = sqlite3_column_int(st, 2) != 0;
                u->created = sqlite3_column_int64(st, 3);
            }
            (*n)++;
        }
        if (rc != SQLITE_DONE)
            ret = wp_store_fail_db(s, "users", err, errlen);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

typedef struct sess_args {
    const char *hash, *user, *csrf, *address;
    long long now;
} sess_args;

static void
bind_session(sqlite3_stmt *st, const void *ctx)
{
    const sess_args *a = ctx;
    sqlite3_bind_text(st, 1, a->hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, a->csrf, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, a->now);
    sqlite3_bind_text(st, 5, a->address, -1, SQLITE_STATIC);
}

wp_status
wp_store_session_put(wp_store *s, const char *hash, const char *user, const char *csrf,
                     long long now, const char *address, char *err, size_t errlen)
{
    sess_args a = {hash, user, csrf, address, now};
    return exec1(s,
                 "INSERT INTO sessions(hash, user, csrf, created, last_used, address)"
                 " VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                 bind_session, &a, NULL, err, errlen);
}

/* One row of (user, role, csrf, created, last_used) into out; WP_ENOTFOUND when none. */
static wp_status
lookup(wp_store *s, const char *sql, const char *hash, long long a1, long long a2,
       const char *touch, long long now, wp_session_info *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    wp_status ret = WP_ENOTFOUND;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        ret = wp_store_fail_db(s, "access", err, errlen);
        goto out;
    }
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a1);
    sqlite3_bind_int64(st, 3, a2);
    int rc = sqlite3_step(st);
    int role = rc == SQLITE_ROW ? wp_role_from_name((const char *)sqlite3_column_text(st, 1)) : -1;
    if (rc == SQLITE_ROW && role >= 0) {
        copy(out->user, sizeof out->user, sqlite3_column_text(st, 0));
        out->role = (wp_role)role;
        copy(out->csrf, sizeof out->csrf, sqlite3_column_text(st, 2));
        out->created = sqlite3_column_int64(st, 3);
        out->last_used = sqlite3_column_int64(st, 4);
        ret = WP_OK;
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ret = wp_store_fail_db(s, "access", err, errlen);
    } else {
        (void)snprintf(err, errlen, "no such session or token");
    }
    sqlite3_finalize(st);
    st = NULL;
    /* last_used moves at most once a minute: a busy dashboard does not write per request */
    if (ret == WP_OK && now - out->last_used >= 60 &&
        sqlite3_prepare_v2(s->db, touch, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        (void)sqlite3_step(st);
    }
    sqlite3_finalize(st);
out:
    pthread_mutex_unlock(&s->mu);
    return ret;
}

wp_status
wp_store_session_get(wp_store *s, const char *hash, long long now, long long idle_after,
                     long long created_after, wp_session_info *out, char *err, size_t errlen)
{
    return lookup(s,
                  "SELECT u.name, u.role, x.csrf, x.created, x.last_used FROM sessions x"
                  " JOIN users u ON u.name = x.user WHERE x.hash = ?1 AND u.disabled = 0"
                  " AND x.last_used >= ?2 AND x.created >= ?3",
                  hash, idle_after, created_after,
                  "UPDATE sessions SET last_used = ?2 WHERE hash = ?1", now, out, err, errlen);
}

static void
bind_hash(sqlite3_stmt *st, const void *ctx)
{
    sqlite3_bind_text(st, 1, ctx, -1, SQLITE_STATIC);
}

wp_status
wp_store_session_delete(wp_store *s, const char *hash, char *err, size_t errlen)
{
    return exec1(s, "DELETE FROM sessions WHERE hash = ?1", bind_hash, hash, NULL, err, errlen);
}

static void
bind_end(sqlite3_stmt *st, const void *ctx)
{
    const sess_args *a = ctx;
    sqlite3_bind_text(st, 1, a->user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->hash, -1, SQLITE_STATIC);
}

wp_status
wp_store_sessions_end(wp_store *s, const char *user, const char *keep, size_t *n, char *err,
                      size_t errlen)
{
    sess_args a = {.hash = keep, .user = user};
    int changes = 0;
    wp_status ret = exec1(s, "DELETE FROM sessions WHERE user = ?1 AND (?2 IS NULL OR hash <> ?2)",
                          bind_end, &a, &changes, err, errlen);
    if (ret == WP_OK && n != NULL)
        *n = (size_t)changes;
    return ret;
}

typedef struct token_args {
    const char *hash, *user, *name;
    wp_role role;
    long long now;
} token_args;

static void
bind_token(sqlite3_stmt *st, const void *ctx)
{
    const token_args *t = ctx;
    sqlite3_bind_text(st, 1, t->hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, t->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, wp_role_name(t->role), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, t->now);
}

wp_status
wp_store_token_put(wp_store *s, const char *hash, const char *user, const char *name, wp_role role,
                   long long now, char *err, size_t errlen)
{
    wp_user_info u;
    wp_status ret = wp_store_user_get(s, user, &u, err, errlen);
    if (ret != WP_OK)
        return ret;
    if (!wp_access_name_valid(name) || role > u.role) {
        (void)snprintf(err, errlen,
                       "a token needs a name of 1 to %d of A-Z a-z 0-9 . _ - @ and a role no "
                       "higher than its user's (%s)",
                       WP_ACCESS_NAME_MAX, wp_role_name(u.role));
        return WP_EINVAL;
    }
    token_args t = {hash, user, name, role, now};
    ret = exec1(s,
                "INSERT INTO api_tokens(hash, user, name, role, created) VALUES (?1, ?2, ?3, ?4,"
                " ?5)",
                bind_token, &t, NULL, err, errlen);
    if (ret == WP_EINVAL)
        (void)snprintf(err, errlen, "user '%s' has a token named '%s' already", user, name);
    return ret;
}

wp_status
wp_store_token_get(wp_store *s, const char *hash, long long now, wp_session_info *out, char *err,
                   size_t errlen)
{
    /* the lower of the token's role and its user's: demoting a user demotes its tokens */
    return lookup(s,
                  "SELECT u.name, CASE WHEN (t.role = 'admin' OR (t.role = 'analyst' AND"
                  " u.role = 'viewer')) AND t.role <> u.role THEN u.role ELSE t.role END,"
                  " '', t.created, coalesce(t.last_used, 0) FROM api_tokens t"
                  " JOIN users u ON u.name = t.user WHERE t.hash = ?1 AND t.revoked = 0"
                  " AND u.disabled = 0 AND ?2 = ?2 AND ?3 = ?3",
                  hash, 0, 0, "UPDATE api_tokens SET last_used = ?2 WHERE hash = ?1", now, out, err,
                  errlen);
}

wp_status
wp_store_token_revoke(wp_store *s, const char *user, const char *name, char *err, size_t errlen)
{
    token_args t = {.user = user, .name = name};
    int n = 0;
    wp_status ret = exec1(s, "UPDATE api_tokens SET revoked = 1 WHERE user = ?2 AND name = ?3",
                          bind_token, &t, &n, err, errlen);
    if (ret == WP_OK && n == 0) {
        (void)snprintf(err, errlen, "user '%s' has no token named '%s'", user, name);
        ret = WP_ENOTFOUND;
    }
    return ret;
}

wp_status
wp_store_tokens(wp_store *s, const char *user, wp_token_info *out, size_t cap, size_t *n, char *err,
                size_t errlen)
{
    *n = 0;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    wp_status ret = WP_OK;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT user, name, role, created, coalesce(last_used, 0), revoked"
                           " FROM api_tokens WHERE (?1 IS NULL OR user = ?1) ORDER BY user, name",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = wp_store_fail_db(s, "api_tokens", err, errlen);
    } else {
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC); /* NULL binds NULL */
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (*n < cap) {
                wp_token_info *t = &out[*n];
                memset(t, 0, sizeof(*t));
                copy(t->user, sizeof t->user, sqlite3_column_text(st, 0));
                copy(t->name, sizeof t->name, sqlite3_column_text(st, 1));
                int role = wp_role_from_name((const char *)sqlite3_column_text(st, 2));
                t->role = role >= 0 ? (wp_role)role : WP_ROLE_VIEWER;
                t->created = sqlite3_column_int64(st, 3);
                t->last_used = sqlite3_column_int64(st, 4);
                t->revoked = sqlite3_column_int(st, 5) != 0;
            }
            (*n)++;
        }
        if (rc != SQLITE_DONE)
            ret = wp_store_fail_db(s, "api_tokens", err, errlen);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

static void
bind_audit(sqlite3_stmt *st, const void *ctx)
{
    const wp_audit_entry *e = ctx;
    sqlite3_bind_int64(st, 1, e->time != 0 ? e->time : (long long)time(NULL));
    sqlite3_bind_text(st, 2, e->user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e->address, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, e->action != NULL ? e->action : "?", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, e->object, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, e->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, e->result != NULL ? e->result : "?", -1, SQLITE_STATIC);
}

wp_status
wp_store_audit(wp_store *s, const wp_audit_entry *e, char *err, size_t errlen)
{
    return exec1(s,
                 "INSERT INTO audit(time, user, address, action, object, reason, result)"
                 " VALUES (?1, ?2, ?3, ?4, substr(?5, 1, 512), substr(?6, 1, 2048), ?7)",
                 bind_audit, e, NULL, err, errlen);
}

wp_status
wp_store_audit_list(wp_store *s, long long before_id, size_t limit, wp_audit_list **out, char *err,
                    size_t errlen)
{
    *out = NULL;
    limit = wp_store_page_size(limit);
    wp_arena *a = wp_arena_new((size_t)64 << 20);
    wp_audit_list *l = a != NULL ? wp_arena_alloc(a, sizeof(*l)) : NULL;
    if (l == NULL) {
        wp_arena_free(a);
        return WP_ENOMEM;
    }
    l->priv = a;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    wp_status ret = WP_OK;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, time, user, address, action, object, reason, result"
                           " FROM audit WHERE (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = wp_store_fail_db(s, "audit", err, errlen);
    } else {
        sqlite3_bind_int64(st, 1, before_id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)limit + 1);
        size_t cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (l->n == limit) {
                l->more = true;
                break;
            }
            if (!wp_arena_grow(a, (void **)&l->items, &cap, l->n + 1, sizeof(*l->items))) {
                ret = WP_ENOMEM;
                break;
            }
            wp_audit_entry *e = &l->items[l->n++];
            e->id = sqlite3_column_int64(st, 0);
            e->time = sqlite3_column_int64(st, 1);
            e->user = wp_store_col_text(a, st, 2);
            e->address = wp_store_col_text(a, st, 3);
            e->action = wp_store_col_text(a, st, 4);
            e->object = wp_store_col_text(a, st, 5);
            e->reason = wp_store_col_text(a, st, 6);
            e->result = wp_store_col_text(a, st, 7);
        }
        if (ret == WP_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
            ret = wp_store_fail_db(s, "audit", err, errlen);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    if (ret != WP_OK) {
        wp_arena_free(a);
        return ret;
    }
    *out = l;
    return WP_OK;
}

void
wp_audit_list_free(wp_audit_list *l)
{
    if (l != NULL)
        wp_arena_free(l->priv);
}
