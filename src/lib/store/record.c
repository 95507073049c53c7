/*
 * record.c - writing one decision: its row, its recipients, its findings.
 *
 * Every value is bound as a parameter; no SQL is ever built from data. Text is passed
 * through wp_arena_sanitize() on the way in: report strings are already clean, but the
 * envelope comes straight from the SMTP session, and the sanitizer also caps each value at a
 * UTF-8 boundary (WP_STORE_MAX_* in store.h). Findings and recipients beyond their caps are
 * counted (n_findings, n_rcpt) but not stored.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

#define RECORD_ARENA_BUDGET ((size_t)16 << 20)
#define ADDRESS_CAP         512 /* an address is at most 254 bytes (RFC 5321) */

static const char *const direction_names[] = {"unknown", "inbound", "outbound"};

const char *
wp_store_direction_name(wp_direction d)
{
    return (unsigned)d < 3 ? direction_names[d] : "unknown";
}

wp_direction
wp_store_direction_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < 3; i++)
        if (strcmp(name, direction_names[i]) == 0)
            return (wp_direction)i;
    return WP_DIR_UNKNOWN;
}

int
wp_store_verdict_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < WP_VERDICT__COUNT; i++)
        if (strcmp(name, wp_verdict_name((wp_verdict_class)i)) == 0)
            return i;
    return -1;
}

int
wp_store_action_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < WP_ACTION__COUNT; i++)
        if (strcmp(name, wp_action_name((wp_action)i)) == 0)
            return i;
    return -1;
}

/* Binds sanitized, capped text, or NULL. Returns false when the arena ran out. */
static bool
bind_text(wp_arena *a, sqlite3_stmt *st, int col, const char *s, size_t cap)
{
    if (s == NULL)
        return sqlite3_bind_null(st, col) == SQLITE_OK;
    const char *v = wp_arena_sanitize(a, s, strlen(s), cap);
    if (v == NULL)
        return false;
    return sqlite3_bind_text(st, col, v, -1, SQLITE_STATIC) == SQLITE_OK;
}

/* The reasons, one sanitized sentence per line, at most WP_STORE_MAX_REASONS in all. */
static const char *
join_reasons(wp_arena *a, const wp_verdict *v)
{
    if (v->n_reasons == 0)
        return NULL;
    char *out = wp_arena_alloc_raw(a, WP_STORE_MAX_REASONS + 1);
    if (out == NULL)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < v->n_reasons; i++) {
        if (v->reasons[i] == NULL)
            continue;
        size_t room = WP_STORE_MAX_REASONS - n - (n > 0);
        if (n > 0 && room == 0)
            break;
        const char *r = wp_arena_sanitize(a, v->reasons[i], strlen(v->reasons[i]), room);
        if (r == NULL || (n > 0 && r[0] == '\0'))
            break;
        if (n > 0)
            out[n++] = '\n';
        size_t k = strlen(r);
        memcpy(out + n, r, k);
        n += k;
    }
    out[n] = '\0';
    return out;
}

static wp_status
insert_findings(wp_store *s, wp_arena *a, int64_t id, const wp_report *r, char *err, size_t errlen)
{
    size_t n = r->n_findings < WP_STORE_MAX_FINDINGS ? r->n_findings : WP_STORE_MAX_FINDINGS;
    for (size_t i = 0; i < n; i++) {
        const wp_finding *f = &r->findings[i];
        sqlite3_stmt *st = wp_store_stmt(s, SQ_INSERT_FINDING);
        if (st == NULL)
            return wp_store_fail_db(s, "cannot record a finding", err, errlen);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        if (!bind_text(a, st, 3, f->code != NULL ? f->code : "", 128) ||
            !bind_text(a, st, 4, wp_category_name(f->category), 64) ||
            !bind_text(a, st, 7, f->evidence, WP_STORE_MAX_EVIDENCE) ||
            !bind_text(a, st, 8, f->where, WP_STORE_MAX_WHERE)) {
            snprintf(err, errlen, "store %s: finding %zu: out of memory", s->db_path, i);
            return WP_ENOMEM;
        }
        sqlite3_bind_int(st, 5, f->weight);
        sqlite3_bind_int(st, 6, f->contribution);
        if (sqlite3_step(st) != SQLITE_DONE)
            return wp_store_fail_db(s, "cannot record a finding", err, errlen);
    }
    return WP_OK;
}

static wp_status
insert_rcpt(wp_store *s, wp_arena *a, int64_t id, const wp_envelope *env, char *err, size_t errlen)
{
    size_t n = env->n_rcpt < WP_STORE_MAX_RCPT ? env->n_rcpt : WP_STORE_MAX_RCPT;
    for (size_t i = 0; i < n; i++) {
        if (env->rcpt[i] == NULL)
            continue;
        sqlite3_stmt *st = wp_store_stmt(s, SQ_INSERT_RCPT);
        if (st == NULL)
            return wp_store_fail_db(s, "cannot record a recipient", err, errlen);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        if (!bind_text(a, st, 3, env->rcpt[i], ADDRESS_CAP)) {
            snprintf(err, errlen, "store %s: out of memory", s->db_path);
            return WP_ENOMEM;
        }
        if (sqlite3_step(st) != SQLITE_DONE)
            return wp_store_fail_db(s, "cannot record a recipient", err, errlen);
    }
    return WP_OK;
}

wp_status
wp_store_insert_decision(wp_store *s, const wp_store_decision *d, long long now, int64_t *id,
                         char *err, size_t errlen)
{
    const wp_report *r = d->report;
    const wp_envelope *env = d->env;
    wp_arena *a = wp_arena_new(RECORD_ARENA_BUDGET);
    if (a == NULL) {
        snprintf(err, errlen, "store %s: out of memory", s->db_path);
        return WP_ENOMEM;
    }
    wp_status ret = WP_OK;
    sqlite3_stmt *st = wp_store_stmt(s, SQ_INSERT_DECISION);
    if (st == NULL) {
        ret = wp_store_fail_db(s, "cannot record the decision", err, errlen);
        goto out;
    }
    const size_t H = WP_STORE_MAX_HEADER;
    sqlite3_bind_int64(st, 1, d->time != 0 ? d->time : now);
    if (env != NULL && env->time != 0)
        sqlite3_bind_int64(st, 2, env->time);
    bool ok = bind_text(a, st, 3, d->queue_id, WP_STORE_MAX_QUEUE_ID) &&
              bind_text(a, st, 4, r->message_id, H);
    if (env != NULL) {
        ok = ok && bind_text(a, st, 5, env->client_ip, H) &&
             bind_text(a, st, 6, env->client_name, H) && bind_text(a, st, 7, env->helo, H) &&
             bind_text(a, st, 8, env->mail_from, ADDRESS_CAP);
        sqlite3_bind_int64(st, 9, (sqlite3_int64)env->n_rcpt);
        sqlite3_bind_int(st, 11, env->authenticated);
    } else {
        sqlite3_bind_int(st, 9, 0);
        sqlite3_bind_int(st, 11, 0);
    }
    sqlite3_bind_text(st, 10, wp_store_direction_name(env != NULL ? env->direction : 0), -1,
                      SQLITE_STATIC);
    ok = ok && bind_text(a, st, 12, r->from, H) && bind_text(a, st, 13, r->sender, H) &&
         bind_text(a, st, 14, r->reply_to, H) && bind_text(a, st, 15, r->return_path, H) &&
         bind_text(a, st, 16, r->to, H) && bind_text(a, st, 17, r->cc, H) &&
         bind_text(a, st, 18, r->subject, H) && bind_text(a, st, 19, r->date, H);
    sqlite3_bind_int64(st, 20, (sqlite3_int64)r->size);
    sqlite3_bind_text(st, 21, wp_verdict_name(r->verdict.cls), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 22, r->verdict.score);
    sqlite3_bind_int(st, 23, r->verdict.severity);
    sqlite3_bind_text(st, 24, wp_action_name(r->verdict.action), -1, SQLITE_STATIC);
    const char *reasons = join_reasons(a, &r->verdict);
    if (reasons != NULL)
        sqlite3_bind_text(st, 25, reasons, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 26, (sqlite3_int64)r->n_findings);
    if (!ok || wp_arena_exhausted(a)) {
        snprintf(err, errlen, "store %s: out of memory", s->db_path);
        ret = WP_ENOMEM;
        goto out;
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        ret = wp_store_fail_db(s, "cannot record the decision", err, errlen);
        goto out;
    }
    int64_t rowid = sqlite3_last_insert_rowid(s->db);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st); /* the arena's strings die below */
    if ((ret = insert_findings(s, a, rowid, r, err, errlen)) != WP_OK)
        goto out;
    if (env != NULL && (ret = insert_rcpt(s, a, rowid, env, err, errlen)) != WP_OK)
        goto out;
    if ((ret = wp_store_insert_report(s, a, rowid, r, err, errlen)) != WP_OK)
        goto out;
    *id = rowid;
out:
    /* no statement may keep a pointer into the arena */
    for (size_t k = 0; k < SQ__COUNT; k++)
        if (s->stmt[k] != NULL) {
            sqlite3_reset(s->stmt[k]);
            sqlite3_clear_bindings(s->stmt[k]);
        }
    wp_arena_free(a);
    return ret;
}

bool
wp_store_valid_decision(const wp_store *s, const wp_store_decision *d, char *err, size_t errlen)
{
    if (d == NULL || d->report == NULL) {
        snprintf(err, errlen, "store %s: a decision without a report", s->db_path);
        return false;
    }
    if (d->env != NULL && d->env->n_rcpt > 0 && d->env->rcpt == NULL) {
        snprintf(err, errlen, "store %s: envelope with %zu recipients and no list", s->db_path,
                 d->env->n_rcpt);
        return false;
    }
    return true;
}

wp_status
wp_store_record(wp_store *s, const wp_store_decision *d, int64_t *id, char *err, size_t errlen)
{
    if (!wp_store_valid_decision(s, d, err, errlen))
        return WP_EINVAL;
    int64_t rowid = 0;
    pthread_mutex_lock(&s->mu);
    wp_status ret;
    if (wp_store_exec(s, "BEGIN IMMEDIATE") != SQLITE_OK) {
        ret = wp_store_fail_db(s, "cannot begin a transaction", err, errlen);
        goto out;
    }
    ret = wp_store_insert_decision(s, d, (long long)time(NULL), &rowid, err, errlen);
    if (ret == WP_OK && wp_store_exec(s, "COMMIT") != SQLITE_OK)
        ret = wp_store_fail_db(s, "cannot commit the decision", err, errlen);
    if (ret != WP_OK)
        wp_store_exec(s, "ROLLBACK");
out:
    pthread_mutex_unlock(&s->mu);
    if (ret == WP_OK && id != NULL)
        *id = rowid;
    return ret;
}
