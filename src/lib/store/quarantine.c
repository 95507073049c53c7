/*
 * quarantine.c - the quarantine: keeping a message, listing, showing, releasing, deleting,
 * expiring.
 *
 * Order of writes, so that a failure or a crash never leaves an index row without its file:
 *   keep:    spool file durable (spool.c) -> one transaction: decision + quarantine row.
 *            If the transaction fails the file is removed again.
 *   delete:  transaction open, row turned into a tombstone -> file unlinked, directory
 *            fsynced -> commit. If the unlink fails the transaction is rolled back; so a
 *            file is never removed without its tombstone (nothing is deleted silently).
 *   release: held -> releasing (the claim, one UPDATE whose changes() says who won) ->
 *            the caller re-injects -> released, or back to held when that failed. A claim
 *            older than WP_QUARANTINE_CLAIM_TIMEOUT belongs to a process that died.
 * A crash between the rename and the commit of a keep leaves a file without a row; it is
 * never deleted by retention, which works from the rows (docs/STORE.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

#define ENTRY_ARENA_BUDGET ((size_t)64 << 20)

static const char *const state_names[] = {"held", "releasing", "released", "deleted"};
#define N_STATES (sizeof state_names / sizeof state_names[0])

const char *
wp_quarantine_state_name(wp_quarantine_state st)
{
    return (unsigned)st < N_STATES ? state_names[st] : "unknown";
}

static wp_quarantine_state
state_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < (int)N_STATES; i++) {
        if (strcmp(name, state_names[i]) == 0)
            return (wp_quarantine_state)i;
    }
    return WP_QUARANTINE_DELETED; /* unreachable: a CHECK constraint keeps the names */
}

static bool
need_spool(wp_store *s, char *err, size_t errlen)
{
    if (s->spool_fd >= 0)
        return true;
    snprintf(err, errlen, "store %s: no quarantine spool directory configured", s->db_path);
    return false;
}

static bool
check_ref(wp_store *s, const char *ref, char *err, size_t errlen)
{
    if (wp_spool_ref_valid(ref))
        return true;
    snprintf(err, errlen, "quarantine: '%.40s' is not a quarantine reference (16 hex digits)",
             ref != NULL ? ref : "(null)");
    return false;
}

/* Whether raw is only the first part of the message: the front end says so (whole_size), or
 * the scan found the message over max_message_bytes, which is how a cut copy shows when the
 * front end did not say. */
static bool
copy_truncated(const wp_store_decision *d, size_t len)
{
    if (d->whole_size > (uint64_t)len)
        return true;
    for (size_t i = 0; i < d->report->n_findings; i++) {
        const char *code = d->report->findings[i].code;
        if (code != NULL && strcmp(code, "LIMIT_MESSAGE_SIZE") == 0)
            return true;
    }
    return false;
}

wp_status
wp_store_quarantine(wp_store *s, const wp_store_decision *d, const uint8_t *raw, size_t len,
                    char ref[WP_QUARANTINE_REF_SIZE], int64_t *id, char *err, size_t errlen)
{
    if (!need_spool(s, err, errlen) || !wp_store_valid_decision(s, d, err, errlen))
        return WP_EINVAL;
    if (raw == NULL && len > 0) {
        snprintf(err, errlen, "store %s: quarantine without the message", s->db_path);
        return WP_EINVAL;
    }
    if ((uint64_t)len > WP_STORE_MAX_SPOOL_BYTES) {
        snprintf(err, errlen, "quarantine spool %s: message of %zu bytes exceeds %llu",
                 s->spool_dir, len, (unsigned long long)WP_STORE_MAX_SPOOL_BYTES);
        return WP_ELIMIT;
    }
    char r[WP_QUARANTINE_REF_SIZE], sha[65];
    wp_spool_sha256(raw, len, sha);
    /* the slow part (two fsyncs) outside the mutex: other threads go on recording */
    wp_status ret = wp_spool_write(s, raw, len, r, err, errlen);
    if (ret != WP_OK)
        return ret;
    int64_t rowid = 0;
    long long now = (long long)time(NULL);
    pthread_mutex_lock(&s->mu);
    if (wp_store_exec(s, "BEGIN IMMEDIATE") != SQLITE_OK) {
        ret = wp_store_fail_db(s, "cannot begin a transaction", err, errlen);
        goto out;
    }
    ret = wp_store_insert_decision(s, d, now, &rowid, err, errlen);
    sqlite3_stmt *st = ret == WP_OK ? wp_store_stmt(s, SQ_INSERT_QUARANTINE) : NULL;
    if (ret == WP_OK && st == NULL)
        ret = wp_store_fail_db(s, "cannot index the quarantined message", err, errlen);
    if (ret == WP_OK) {
        sqlite3_bind_text(st, 1, r, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, rowid);
        sqlite3_bind_int64(st, 3, d->time != 0 ? d->time : now);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
        sqlite3_bind_text(st, 5, sha, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, copy_truncated(d, len) ? 1 : 0);
        if (d->whole_size > (uint64_t)len)
            sqlite3_bind_int64(st, 7, (sqlite3_int64)d->whole_size);
        if (sqlite3_step(st) != SQLITE_DONE)
            ret = wp_store_fail_db(s, "cannot index the quarantined message", err, errlen);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    if (ret == WP_OK && wp_store_exec(s, "COMMIT") != SQLITE_OK)
        ret = wp_store_fail_db(s, "cannot commit the quarantined message", err, errlen);
    if (ret != WP_OK)
        wp_store_exec(s, "ROLLBACK");
out:
    pthread_mutex_unlock(&s->mu);
    if (ret != WP_OK) {
        bool missing;
        char ignored[256];
        wp_spool_unlink(s, r, &missing, ignored, sizeof ignored);
        return ret;
    }
    memcpy(ref, r, sizeof r);
    if (id != NULL)
        *id = rowid;
    return WP_OK;
}

/* One row of QUARANTINE_SELECT into e (strings into a); the envelope parts into env. */
static void
read_entry(wp_arena *a, sqlite3_stmt *st, wp_quarantine_entry *e, wp_envelope *env)
{
    const unsigned char *ref = sqlite3_column_text(st, 0);
    snprintf(e->ref, sizeof e->ref, "%s", ref != NULL ? (const char *)ref : "");
    e->decision_id = sqlite3_column_int64(st, 1);
    e->created = sqlite3_column_int64(st, 2);
    e->size = (uint64_t)sqlite3_column_int64(st, 3);
    const unsigned char *sha = sqlite3_column_text(st, 4);
    snprintf(e->sha256, sizeof e->sha256, "%s", sha != NULL ? (const char *)sha : "");
    e->state = state_from_name((const char *)sqlite3_column_text(st, 5));
    e->released_by = wp_store_col_text(a, st, 6);
    e->released_at = sqlite3_column_int64(st, 7);
    e->deleted_by = wp_store_col_text(a, st, 8);
    e->deleted_at = sqlite3_column_int64(st, 9);
    e->delete_reason = wp_store_col_text(a, st, 10);
    e->mail_from = wp_store_col_text(a, st, 11);
    e->subject = wp_store_col_text(a, st, 12);
    e->from = wp_store_col_text(a, st, 13);
    int v = wp_store_verdict_from_name((const char *)sqlite3_column_text(st, 14));
    e->verdict = v >= 0 ? (wp_verdict_class)v : WP_VERDICT_CLEAN;
    e->severity = sqlite3_column_int(st, 15);
    if (env != NULL) {
        env->mail_from = e->mail_from;
        env->client_ip = wp_store_col_text(a, st, 16);
        env->client_name = wp_store_col_text(a, st, 17);
        env->helo = wp_store_col_text(a, st, 18);
        env->direction = wp_store_direction_from_name((const char *)sqlite3_column_text(st, 19));
        env->authenticated = sqlite3_column_int(st, 20) != 0;
        env->time = sqlite3_column_int64(st, 21);
    }
    e->truncated = sqlite3_column_int(st, 22) != 0;
    e->whole_size = (uint64_t)sqlite3_column_int64(st, 23);
    e->claimed_by = wp_store_col_text(a, st, 24);
    e->claimed_at = sqlite3_column_int64(st, 25);
    e->queue_id = wp_store_col_text(a, st, 26);
}

void
wp_quarantine_filter_init(wp_quarantine_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->state = -1;
}

/* Same bit positions as the event filter, so the shared builder and cache layout apply;
 * the severity slot holds the state. */
static const char *const q_clauses[EVF__COUNT] = {
    [EVF_SINCE] = "q.created >= ?1",
    [EVF_UNTIL] = "q.created < ?2",
    [EVF_SEVERITY] = "q.state = ?3",
    [EVF_SENDER] = "d.mail_from = ?6 COLLATE NOCASE",
    [EVF_SENDER_DOMAIN] = "d.mail_from LIKE ?7 ESCAPE '\\'",
    [EVF_RCPT] = "d.id IN (SELECT decision_id FROM recipients WHERE rcpt = ?8 COLLATE NOCASE)",
    [EVF_BEFORE] = "q.decision_id < ?11",
};

wp_status
wp_store_quarantine_list(wp_store *s, const wp_quarantine_filter *f, wp_quarantine_list **out,
                         char *err, size_t errlen)
{
    if (f->state > WP_QUARANTINE_DELETED || f->before_id < 0) {
        snprintf(err, errlen, "store %s: invalid quarantine filter (state %d)", s->db_path,
                 f->state);
        return WP_EINVAL;
    }
    wp_arena *a = wp_arena_new(ENTRY_ARENA_BUDGET * 8);
    wp_quarantine_list *l = a != NULL ? wp_arena_alloc(a, sizeof(*l)) : NULL;
    if (l == NULL) {
        wp_arena_free(a);
        snprintf(err, errlen, "store %s: out of memory", s->db_path);
        return WP_ENOMEM;
    }
    l->priv = a;
    unsigned mask = 0;
    mask |= f->since != 0 ? 1u << EVF_SINCE : 0;
    mask |= f->until != 0 ? 1u << EVF_UNTIL : 0;
    mask |= f->state >= 0 ? 1u << EVF_SEVERITY : 0;
    if (f->sender != NULL)
        mask |= f->sender[0] == '@' ? 1u << EVF_SENDER_DOMAIN : 1u << EVF_SENDER;
    mask |= f->recipient != NULL ? 1u << EVF_RCPT : 0;
    mask |= f->before_id != 0 ? 1u << EVF_BEFORE : 0;
    size_t limit = wp_store_page_size(f->limit), cap = 0;
    wp_status ret = WP_OK;
    pthread_mutex_lock(&s->mu);
    wp_store_exec(s, "BEGIN");
    sqlite3_stmt *st = wp_store_filtered(s, s->qlist, QUARANTINE_SELECT, q_clauses, mask,
                                         " ORDER BY q.decision_id DESC LIMIT ?12");
    if (st == NULL) {
        ret = wp_store_fail_db(s, "cannot list the quarantine", err, errlen);
        goto out;
    }
    sqlite3_bind_int64(st, 1, f->since);
    sqlite3_bind_int64(st, 2, f->until);
    sqlite3_bind_text(st, 3, f->state >= 0 ? state_names[f->state] : NULL, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, f->sender, -1, SQLITE_TRANSIENT);
    if (f->sender != NULL && f->sender[0] == '@')
        sqlite3_bind_text(st, 7, wp_store_like_domain(a, f->sender), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, f->recipient, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 11, f->before_id);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)limit + 1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (l->n == limit) {
            l->more = true;
            break;
        }
        if (!wp_arena_grow(a, (void **)&l->entries, &cap, l->n + 1, sizeof(*l->entries))) {
            ret = WP_ENOMEM;
            break;
        }
        wp_quarantine_entry *e = &l->entries[l->n++];
        memset(e, 0, sizeof(*e));
        read_entry(a, st, e, NULL);
        if (wp_store_load_rcpt(s, a, e->decision_id, &e->rcpt, &e->n_rcpt) != WP_OK) {
            ret = wp_store_fail_db(s, "cannot read recipients", err, errlen);
            break;
        }
    }
    if (ret == WP_OK && wp_arena_exhausted(a))
        ret = WP_ENOMEM;
    else if (ret == WP_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = wp_store_fail_db(s, "cannot list the quarantine", err, errlen);
    if (ret == WP_ENOMEM)
        snprintf(err, errlen, "store %s: out of memory listing the quarantine", s->db_path);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
out:
    wp_store_exec(s, "COMMIT");
    pthread_mutex_unlock(&s->mu);
    if (ret != WP_OK) {
        wp_arena_free(a);
        return ret;
    }
    *out = l;
    return WP_OK;
}

void
wp_quarantine_list_free(wp_quarantine_list *l)
{
    if (l != NULL)
        wp_arena_free(l->priv);
}

/* The index row of ref, under the mutex. WP_ENOTFOUND (err set) when there is none. */
static wp_status
select_entry(wp_store *s, wp_arena *a, const char *ref, wp_quarantine_entry *e, wp_envelope *env,
             char *err, size_t errlen)
{
    sqlite3_stmt *st = wp_store_stmt(s, SQ_SELECT_QUARANTINE);
    if (st == NULL)
        return wp_store_fail_db(s, "cannot read the quarantine", err, errlen);
    sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    wp_status ret = WP_OK;
    if (rc == SQLITE_ROW) {
        read_entry(a, st, e, env);
    } else if (rc == SQLITE_DONE) {
        snprintf(err, errlen, "quarantine: no message %s in %s", ref, s->db_path);
        ret = WP_ENOTFOUND;
    } else {
        ret = wp_store_fail_db(s, "cannot read the quarantine", err, errlen);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (ret == WP_OK && wp_store_load_rcpt(s, a, e->decision_id, &e->rcpt, &e->n_rcpt) != WP_OK)
        ret = wp_store_fail_db(s, "cannot read recipients", err, errlen);
    if (ret == WP_OK && wp_arena_exhausted(a)) {
        snprintf(err, errlen, "store %s: out of memory", s->db_path);
        ret = WP_ENOMEM;
    }
    return ret;
}

wp_status
wp_store_quarantine_get(wp_store *s, const char *ref, wp_quarantine_message **out, char *err,
                        size_t errlen)
{
    if (!need_spool(s, err, errlen) || !check_ref(s, ref, err, errlen))
        return WP_EINVAL;
    wp_arena *a = wp_arena_new(ENTRY_ARENA_BUDGET);
    wp_quarantine_message *m = a != NULL ? wp_arena_alloc(a, sizeof(*m)) : NULL;
    if (m == NULL) {
        wp_arena_free(a);
        snprintf(err, errlen, "store %s: out of memory", s->db_path);
        return WP_ENOMEM;
    }
    m->priv = a;
    pthread_mutex_lock(&s->mu);
    wp_status ret = select_entry(s, a, ref, &m->entry, &m->env, err, errlen);
    pthread_mutex_unlock(&s->mu);
    if (ret == WP_OK && m->entry.state == WP_QUARANTINE_DELETED) {
        snprintf(err, errlen, "quarantine: message %s was deleted by %s at %lld (%s)", ref,
                 m->entry.deleted_by != NULL ? m->entry.deleted_by : "?", m->entry.deleted_at,
                 m->entry.delete_reason != NULL ? m->entry.delete_reason : "?");
        ret = WP_ENOTFOUND;
    }
    m->env.rcpt = m->entry.rcpt;
    m->env.n_rcpt = m->entry.n_rcpt;
    if (ret == WP_OK)
        ret = wp_spool_read(s, ref, WP_STORE_MAX_SPOOL_BYTES, &m->data, &m->len, err, errlen);
    if (ret == WP_OK) {
        char sha[65];
        wp_spool_sha256(m->data, m->len, sha);
        if ((uint64_t)m->len != m->entry.size || strcmp(sha, m->entry.sha256) != 0) {
            snprintf(err, errlen,
                     "quarantine spool %s/%s.eml: %zu bytes, SHA-256 %s; the index recorded "
                     "%llu bytes, %s: the file was altered",
                     s->spool_dir, ref, m->len, sha, (unsigned long long)m->entry.size,
                     m->entry.sha256);
            ret = WP_EPARSE;
        }
    }
    if (ret != WP_OK) {
        wp_quarantine_message_free(m);
        return ret;
    }
    *out = m;
    return WP_OK;
}

void
wp_quarantine_message_free(wp_quarantine_message *m)
{
    if (m == NULL)
        return;
    free(m->data);
    wp_arena_free(m->priv);
}

static bool
check_actor(wp_store *s, const char *by, char *err, size_t errlen)
{
    if (by != NULL && by[0] != '\0' && strlen(by) <= WP_STORE_MAX_ACTOR)
        return true;
    snprintf(err, errlen, "quarantine: who acts must be named (1 to %d bytes)", WP_STORE_MAX_ACTOR);
    return false;
}

/* Why an UPDATE on ref changed nothing: no such row, or the row's state forbids it. */
static wp_status
explain_unchanged(wp_store *s, const char *ref, const char *verb, char *err, size_t errlen)
{
    wp_arena *a = wp_arena_new(ENTRY_ARENA_BUDGET);
    if (a == NULL) {
        snprintf(err, errlen, "store %s: out of memory", s->db_path);
        return WP_ENOMEM;
    }
    wp_quarantine_entry e = {0};
    wp_status ret = select_entry(s, a, ref, &e, NULL, err, errlen);
    if (ret == WP_OK) {
        snprintf(err, errlen, "quarantine: cannot %s message %s: it is %s", verb, ref,
                 wp_quarantine_state_name(e.state));
        ret = WP_EINVAL;
    }
    wp_arena_free(a);
    return ret;
}

/* Why a claim was refused, from the row as it is now: err says who holds it, or why a
 * truncated copy is never sent and where the whole message may be. */
static wp_status
explain_claim(wp_store *s, const char *ref, char *err, size_t errlen)
{
    wp_arena *a = wp_arena_new(ENTRY_ARENA_BUDGET);
    if (a == NULL) {
        (void)snprintf(err, errlen, "store %s: out of memory", s->db_path);
        return WP_ENOMEM;
    }
    wp_quarantine_entry e = {0};
    wp_status ret = select_entry(s, a, ref, &e, NULL, err, errlen);
    if (ret != WP_OK)
        goto out;
    ret = WP_EINVAL;
    if (e.truncated && (e.state == WP_QUARANTINE_HELD || e.state == WP_QUARANTINE_RELEASING)) {
        char whole[64] = "of unknown size";
        if (e.whole_size > 0)
            (void)snprintf(whole, sizeof whole, "of %llu bytes", (unsigned long long)e.whole_size);
        (void)snprintf(err, errlen,
                       "quarantine: refusing to release %s: the spool copy is truncated (only "
                       "the first %llu bytes of a message %s were kept) and is never re-injected; "
                       "%s%s%s",
                       ref, (unsigned long long)e.size, whole,
                       e.queue_id != NULL ? "the MTA may hold the whole message as queue id " : "",
                       e.queue_id != NULL ? e.queue_id : "the original was not kept",
                       e.queue_id != NULL ? " (Postfix: postsuper -H)" : "");
    } else if (e.state == WP_QUARANTINE_RELEASING) {
        (void)snprintf(err, errlen,
                       "quarantine: %s is already being released by %s since %lld (a claim is "
                       "taken to be abandoned after %d s)",
                       ref, e.claimed_by != NULL ? e.claimed_by : "?", e.claimed_at,
                       WP_QUARANTINE_CLAIM_TIMEOUT);
    } else if (e.state == WP_QUARANTINE_RELEASED) {
        (void)snprintf(err, errlen, "quarantine: %s was already released by %s at %lld", ref,
                       e.released_by != NULL ? e.released_by : "?", e.released_at);
    } else {
        (void)snprintf(err, errlen, "quarantine: cannot release message %s: it is %s", ref,
                       wp_quarantine_state_name(e.state));
    }
out:
    wp_arena_free(a);
    return ret;
}

static bool
check_claim(const char *claim, char *err, size_t errlen)
{
    if (wp_spool_ref_valid(claim))
        return true;
    (void)snprintf(err, errlen, "quarantine: not a release claim (16 hex digits)");
    return false;
}

/* Runs one claim statement (SQ_CLAIM, SQ_RELEASE, SQ_UNCLAIM) on ref, under the mutex;
 * *changed: whether it changed the row. */
static wp_status
claim_step(wp_store *s, store_stmt k, const char *ref, const char *claim, const char *by,
           long long when, bool *changed, char *err, size_t errlen)
{
    sqlite3_stmt *st = wp_store_stmt(s, k);
    if (st == NULL)
        return wp_store_fail_db(s, "cannot release", err, errlen);
    sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, claim, -1, SQLITE_STATIC);
    if (k == SQ_CLAIM) {
        sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, when);
        sqlite3_bind_int64(st, 5, WP_QUARANTINE_CLAIM_TIMEOUT);
    } else if (k == SQ_RELEASE) {
        sqlite3_bind_int64(st, 3, when);
    }
    int rc = sqlite3_step(st);
    *changed = sqlite3_changes(s->db) == 1;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? WP_OK : wp_store_fail_db(s, "cannot release", err, errlen);
}

wp_status
wp_store_quarantine_claim(wp_store *s, const char *ref, const char *by, long long now,
                          char claim[WP_QUARANTINE_REF_SIZE], char *err, size_t errlen)
{
    if (!check_ref(s, ref, err, errlen) || !check_actor(s, by, err, errlen))
        return WP_EINVAL;
    char token[WP_QUARANTINE_REF_SIZE];
    wp_spool_new_ref(token); /* 64 random bits: no other claim has it */
    bool changed = false;
    pthread_mutex_lock(&s->mu);
    wp_status ret = claim_step(s, SQ_CLAIM, ref, token, by, now != 0 ? now : (long long)time(NULL),
                               &changed, err, errlen);
    if (ret == WP_OK && !changed)
        ret = explain_claim(s, ref, err, errlen);
    pthread_mutex_unlock(&s->mu);
    if (ret == WP_OK)
        memcpy(claim, token, sizeof token);
    return ret;
}

/* Releases or unclaims; a claim that changed nothing is no longer the caller's. */
static wp_status
settle(wp_store *s, store_stmt k, const char *ref, const char *claim, long long when, char *err,
       size_t errlen)
{
    if (!check_ref(s, ref, err, errlen) || !check_claim(claim, err, errlen))
        return WP_EINVAL;
    bool changed = false;
    pthread_mutex_lock(&s->mu);
    wp_status ret = claim_step(s, k, ref, claim, NULL, when, &changed, err, errlen);
    if (ret == WP_OK && !changed) {
        wp_arena *a = wp_arena_new(ENTRY_ARENA_BUDGET);
        wp_quarantine_entry e = {0};
        ret = a != NULL ? select_entry(s, a, ref, &e, NULL, err, errlen) : WP_ENOMEM;
        if (ret == WP_OK) {
            (void)snprintf(
                err, errlen, "quarantine: the release claim on %s is no longer ours: it is %s%s%s",
                ref, wp_quarantine_state_name(e.state), e.claimed_by != NULL ? ", claimed by " : "",
                e.claimed_by != NULL ? e.claimed_by : "");
            ret = WP_EINVAL;
        } else if (ret == WP_ENOMEM) {
            (void)snprintf(err, errlen, "store %s: out of memory", s->db_path);
        }
        wp_arena_free(a);
    }
    pthread_mutex_unlock(&s->mu);
    return ret;
}

wp_status
wp_store_quarantine_release(wp_store *s, const char *ref, const char *claim, long long when,
                            char *err, size_t errlen)
{
    return settle(s, SQ_RELEASE, ref, claim, when != 0 ? when : (long long)time(NULL), err, errlen);
}

wp_status
wp_store_quarantine_unclaim(wp_store *s, const char *ref, const char *claim, char *err,
                            size_t errlen)
{
    return settle(s, SQ_UNCLAIM, ref, claim, 0, err, errlen);
}

/* Under the mutex: tombstone the row and unlink the file in one transaction. */
static wp_status
tombstone(wp_store *s, const char *ref, const char *by, const char *reason, char *err,
          size_t errlen)
{
    if (wp_store_exec(s, "BEGIN IMMEDIATE") != SQLITE_OK)
        return wp_store_fail_db(s, "cannot begin a transaction", err, errlen);
    wp_status ret = WP_OK;
    sqlite3_stmt *st = wp_store_stmt(s, SQ_TOMBSTONE);
    if (st == NULL) {
        ret = wp_store_fail_db(s, "cannot delete", err, errlen);
        goto out;
    }
    sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (long long)time(NULL));
    sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, WP_QUARANTINE_CLAIM_TIMEOUT);
    int rc = sqlite3_step(st);
    int changed = sqlite3_changes(s->db);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        ret = wp_store_fail_db(s, "cannot delete", err, errlen);
        goto out;
    }
    if (changed == 0) {
        ret = explain_unchanged(s, ref, "delete", err, errlen);
        goto out;
    }
    bool missing;
    if ((ret = wp_spool_unlink(s, ref, &missing, err, errlen)) != WP_OK)
        goto out;
    if (wp_store_exec(s, "COMMIT") != SQLITE_OK)
        ret = wp_store_fail_db(s, "cannot commit the deletion (the file is gone)", err, errlen);
out:
    if (ret != WP_OK)
        wp_store_exec(s, "ROLLBACK");
    return ret;
}

wp_status
wp_store_quarantine_delete(wp_store *s, const char *ref, const char *by, char *err, size_t errlen)
{
    if (!need_spool(s, err, errlen) || !check_ref(s, ref, err, errlen) ||
        !check_actor(s, by, err, errlen))
        return WP_EINVAL;
    pthread_mutex_lock(&s->mu);
    wp_status ret = tombstone(s, ref, by, "operator", err, errlen);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

/* The references of every row that still has a file, oldest first. */
static wp_status
live_refs(wp_store *s, char (**refs)[WP_QUARANTINE_REF_SIZE], size_t *n, char *err, size_t errlen)
{
    char(*v)[WP_QUARANTINE_REF_SIZE] = NULL;
    size_t cnt = 0, cap = 0;
    wp_status ret = WP_OK;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = wp_store_stmt(s, SQ_SELECT_LIVE);
    int rc = SQLITE_ERROR;
    while (st != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *ref = (const char *)sqlite3_column_text(st, 0);
        if (!wp_spool_ref_valid(ref))
            continue; /* not ours to name a file with */
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            void *nv = realloc(v, ncap * sizeof(*v));
            if (nv == NULL) {
                ret = WP_ENOMEM;
                snprintf(err, errlen, "store %s: out of memory", s->db_path);
                break;
            }
            v = nv;
            cap = ncap;
        }
        memcpy(v[cnt++], ref, WP_QUARANTINE_REF_SIZE);
    }
    if (ret == WP_OK && rc != SQLITE_DONE)
        ret = wp_store_fail_db(s, "cannot list the quarantine", err, errlen);
    if (st != NULL)
        sqlite3_reset(st);
    pthread_mutex_unlock(&s->mu);
    if (ret != WP_OK) {
        free(v);
        return ret;
    }
    *refs = v;
    *n = cnt;
    return WP_OK;
}

wp_status
wp_store_quarantine_expire(wp_store *s, unsigned max_age_days, long long now,
                           wp_quarantine_list **deleted, size_t *n_deleted, char *err,
                           size_t errlen)
{
    if (!need_spool(s, err, errlen))
        return WP_EINVAL;
    if (now == 0)
        now = (long long)time(NULL);
    long long cutoff = now - (long long)max_age_days * 86400;
    char(*refs)[WP_QUARANTINE_REF_SIZE] = NULL;
    size_t n = 0, n_gone = 0;
    wp_status ret = live_refs(s, &refs, &n, err, errlen);
    if (ret != WP_OK)
        return ret;
    /* refs[0..n_gone) are reused for the ones deleted; one lock per file, so the milter is
     * never held up for the whole sweep */
    for (size_t i = 0; i < n && ret == WP_OK; i++) {
        long long mtime = 0;
        const char *reason = NULL;
        pthread_mutex_lock(&s->mu);
        wp_status m = wp_spool_mtime(s, refs[i], &mtime, err, errlen);
        if (m == WP_ENOTFOUND)
            reason = "retention: file missing";
        else if (m != WP_OK)
            ret = m;
        else if (mtime < cutoff)
            reason = "retention";
        if (reason != NULL) {
            wp_status t = tombstone(s, refs[i], "retention", reason, err, errlen);
            if (t == WP_OK)
                memmove(refs[n_gone++], refs[i], WP_QUARANTINE_REF_SIZE);
            else if (t != WP_EINVAL) /* deleted meanwhile by an operator: not ours */
                ret = t;
        }
        pthread_mutex_unlock(&s->mu);
    }
    wp_quarantine_list *l = NULL;
    if (ret == WP_OK && deleted != NULL) {
        wp_arena *a = wp_arena_new(ENTRY_ARENA_BUDGET * 8);
        l = a != NULL ? wp_arena_alloc(a, sizeof(*l)) : NULL;
        if (l != NULL)
            l->entries = wp_arena_alloc(a, (n_gone ? n_gone : 1) * sizeof(*l->entries));
        if (l == NULL || l->entries == NULL) {
            wp_arena_free(a);
            l = NULL;
            snprintf(err, errlen, "store %s: out of memory", s->db_path);
            ret = WP_ENOMEM;
        } else {
            l->priv = a;
            pthread_mutex_lock(&s->mu);
            for (size_t i = 0; i < n_gone && ret == WP_OK; i++)
                ret = select_entry(s, a, refs[i], &l->entries[l->n++], NULL, err, errlen);
            pthread_mutex_unlock(&s->mu);
        }
    }
    free(refs);
    if (ret != WP_OK) {
        wp_quarantine_list_free(l);
        return ret;
    }
    if (deleted != NULL)
        *deleted = l;
    if (n_deleted != NULL)
        *n_deleted = n_gone;
    return WP_OK;
}
