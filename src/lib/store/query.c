/*
 * query.c - reading decisions back (`watchpost events`).
 *
 * The WHERE clause is assembled from fixed fragments, one per filter that is set, with
 * fixed parameter numbers; data is only ever bound. Each combination of filters is prepared
 * once and kept (at most 2^EVF__COUNT statements, in practice a handful), so the planner
 * sees a plain query and can use the index of the filter that is set. Pages go newest first
 * by id; `before_id` continues after the last row of the previous page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "store_int.h"

#define RESULT_ARENA_BUDGET ((size_t)512 << 20)

/* "@domain": an index search (decisions_sender_domain) */
static const char sender_domain_clause[] = WP_STORE_SENDER_DOMAIN_EXPR " = lower(?7)";

static const char *const event_clauses[EVF__COUNT] = {
    [EVF_SINCE] = "d.time >= ?1",
    [EVF_UNTIL] = "d.time < ?2",
    [EVF_SEVERITY] = "d.severity >= ?3",
    [EVF_VERDICT] = "d.verdict = ?4",
    [EVF_ACTION] = "d.action = ?5",
    [EVF_SENDER] = "d.mail_from = ?6 COLLATE NOCASE",
    [EVF_SENDER_DOMAIN] = sender_domain_clause,
    [EVF_RCPT] = "d.id IN (SELECT decision_id FROM recipients WHERE rcpt = ?8 COLLATE NOCASE)",
    [EVF_CODE] = "d.id IN (SELECT decision_id FROM findings WHERE code = ?9)",
    [EVF_ID] = "d.id = ?10",
    [EVF_BEFORE] = "d.id < ?11",
    [EVF_SUBJECT] = "d.hdr_subject LIKE ?13 ESCAPE '\\'",
    [EVF_SHA256] = "d.id IN (SELECT decision_id FROM attachments WHERE sha256 = ?14)",
    [EVF_DIRECTION] = "d.direction = ?15",
};

static const char event_select[] =
    "SELECT d.id, d.time, d.arrival, d.queue_id, d.message_id, d.client_ip, d.client_name,"
    " d.helo, d.mail_from, d.n_rcpt, d.direction, d.authenticated, d.hdr_from, d.hdr_sender,"
    " d.hdr_reply_to, d.hdr_return_path, d.hdr_to, d.hdr_cc, d.hdr_subject, d.hdr_date, d.size,"
    " d.verdict, d.score, d.severity, d.action, d.reasons, d.n_findings, q.ref"
    " FROM decisions d LEFT JOIN quarantine q ON q.decision_id = d.id";

sqlite3_stmt *
wp_store_filtered(wp_store *s, sqlite3_stmt **cache, const char *select, const char *const *clauses,
                  unsigned mask, const char *order)
{
    if (cache[mask] != NULL) {
        sqlite3_reset(cache[mask]);
        sqlite3_clear_bindings(cache[mask]);
        return cache[mask];
    }
    wp_buf b = {0};
    wp_buf_puts(&b, select);
    const char *sep = " WHERE ";
    for (unsigned i = 0; i < EVF__COUNT; i++)
        if (mask & (1u << i)) {
            wp_buf_puts(&b, sep);
            wp_buf_puts(&b, clauses[i]);
            sep = " AND ";
        }
    wp_buf_puts(&b, order);
    wp_buf_putc(&b, '\0');
    if (!wp_buf_failed(&b) && sqlite3_prepare_v3(s->db, b.p, -1, SQLITE_PREPARE_PERSISTENT,
                                                 &cache[mask], NULL) != SQLITE_OK)
        cache[mask] = NULL;
    free(b.p);
    return cache[mask];
}

/* "%" + s (+ "%" when both) for a LIKE with % _ and \\ escaped; arena-allocated. */
static char *
like_pattern(wp_arena *a, const char *s, bool both)
{
    size_t n = strlen(s);
    char *p = wp_arena_alloc_raw(a, 2 * n + 3);
    if (p == NULL)
        return NULL;
    size_t o = 0;
    p[o++] = '%';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
            p[o++] = '\\';
        p[o++] = s[i];
    }
    if (both)
        p[o++] = '%';
    p[o] = '\0';
    return p;
}

/* SQLite's LIKE folds ASCII case only: a subject search is case-insensitive for Latin
 * letters, exact otherwise. */
char *
wp_store_like_text(wp_arena *a, const char *text)
{
    return like_pattern(a, text, true);
}

char *
wp_store_like_domain(wp_arena *a, const char *domain)
{
    return like_pattern(a, domain, false);
}

const char *
wp_store_col_text(wp_arena *a, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (t == NULL)
        return NULL;
    return wp_arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, col));
}

wp_status
wp_store_load_rcpt(wp_store *s, wp_arena *a, int64_t id, const char ***out, size_t *n)
{
    sqlite3_stmt *st = wp_store_stmt(s, SQ_SELECT_RCPT);
    if (st == NULL)
        return WP_EIO;
    sqlite3_bind_int64(st, 1, id);
    const char **v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!wp_arena_grow(a, (void **)&v, &cap, cnt + 1, sizeof(*v)) ||
            (v[cnt] = wp_store_col_text(a, st, 0)) == NULL)
            return WP_ENOMEM;
        cnt++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return WP_EIO;
    *out = v;
    *n = cnt;
    return WP_OK;
}

static wp_status
load_findings(wp_store *s, wp_arena *a, wp_event *e)
{
    sqlite3_stmt *st = wp_store_stmt(s, SQ_SELECT_FINDINGS);
    if (st == NULL)
        return WP_EIO;
    sqlite3_bind_int64(st, 1, e->id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!wp_arena_grow(a, (void **)&e->findings, &cap, e->n_findings + 1, sizeof(*e->findings)))
            return WP_ENOMEM;
        wp_event_finding *f = &e->findings[e->n_findings++];
        f->code = wp_store_col_text(a, st, 0);
        f->category = wp_store_col_text(a, st, 1);
        f->weight = sqlite3_column_int(st, 2);
        f->contribution = sqlite3_column_int(st, 3);
        f->evidence = wp_store_col_text(a, st, 4);
        f->where = wp_store_col_text(a, st, 5);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? WP_OK : WP_EIO;
}

/* The newline-separated reasons column back into an array. */
static bool
split_reasons(wp_arena *a, const char *joined, wp_event *e)
{
    if (joined == NULL || joined[0] == '\0')
        return true;
    size_t n = 1;
    for (const char *p = joined; *p != '\0'; p++)
        n += *p == '\n';
    e->reasons = wp_arena_alloc(a, n * sizeof(*e->reasons));
    char *copy = wp_arena_strdup(a, joined);
    if (e->reasons == NULL || copy == NULL)
        return false;
    char *save = NULL;
    for (char *t = strtok_r(copy, "\n", &save); t != NULL; t = strtok_r(NULL, "\n", &save))
        e->reasons[e->n_reasons++] = t;
    return true;
}

static wp_status
read_event(wp_store *s, wp_arena *a, sqlite3_stmt *st, wp_event *e, char *err, size_t errlen)
{
    e->id = sqlite3_column_int64(st, 0);
    e->time = sqlite3_column_int64(st, 1);
    e->arrival = sqlite3_column_int64(st, 2);
    e->queue_id = wp_store_col_text(a, st, 3);
    e->message_id = wp_store_col_text(a, st, 4);
    e->client_ip = wp_store_col_text(a, st, 5);
    e->client_name = wp_store_col_text(a, st, 6);
    e->helo = wp_store_col_text(a, st, 7);
    e->mail_from = wp_store_col_text(a, st, 8);
    e->n_rcpt_total = (size_t)sqlite3_column_int64(st, 9);
    e->direction = wp_store_direction_from_name((const char *)sqlite3_column_text(st, 10));
    e->authenticated = sqlite3_column_int(st, 11) != 0;
    e->from = wp_store_col_text(a, st, 12);
    e->sender = wp_store_col_text(a, st, 13);
    e->reply_to = wp_store_col_text(a, st, 14);
    e->return_path = wp_store_col_text(a, st, 15);
    e->to = wp_store_col_text(a, st, 16);
    e->cc = wp_store_col_text(a, st, 17);
    e->subject = wp_store_col_text(a, st, 18);
    e->date = wp_store_col_text(a, st, 19);
    e->size = (uint64_t)sqlite3_column_int64(st, 20);
    int v = wp_store_verdict_from_name((const char *)sqlite3_column_text(st, 21));
    e->score = sqlite3_column_int(st, 22);
    e->severity = sqlite3_column_int(st, 23);
    int act = wp_store_action_from_name((const char *)sqlite3_column_text(st, 24));
    if (v < 0 || act < 0) {
        snprintf(err, errlen, "store %s: decision %lld: unknown verdict or action '%s'/'%s'",
                 s->db_path, (long long)e->id, sqlite3_column_text(st, 21),
                 sqlite3_column_text(st, 24));
        return WP_EPARSE;
    }
    e->verdict = (wp_verdict_class)v;
    e->action = (wp_action)act;
    e->n_findings_total = (size_t)sqlite3_column_int64(st, 26);
    e->quarantine_ref = wp_store_col_text(a, st, 27);
    wp_status ret = WP_OK;
    if (!split_reasons(a, (const char *)sqlite3_column_text(st, 25), e))
        ret = WP_ENOMEM;
    if (ret == WP_OK)
        ret = wp_store_load_rcpt(s, a, e->id, &e->rcpt, &e->n_rcpt);
    if (ret == WP_OK)
        ret = load_findings(s, a, e);
    if (ret == WP_OK && wp_arena_exhausted(a))
        ret = WP_ENOMEM;
    if (ret == WP_ENOMEM)
        snprintf(err, errlen, "store %s: out of memory reading decision %lld", s->db_path,
                 (long long)e->id);
    else if (ret != WP_OK)
        wp_store_fail_db(s, "cannot read a decision", err, errlen);
    return ret;
}

void
wp_event_filter_init(wp_event_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->min_severity = -1;
    f->verdict = -1;
    f->action = -1;
}

size_t
wp_store_page_size(size_t limit)
{
    return limit == 0                   ? WP_STORE_DEFAULT_LIMIT
           : limit > WP_STORE_MAX_LIMIT ? WP_STORE_MAX_LIMIT
                                        : limit;
}

static wp_status
check_filter(const wp_store *s, const wp_event_filter *f, char *err, size_t errlen)
{
    if (f->verdict >= WP_VERDICT__COUNT || f->action >= WP_ACTION__COUNT || f->min_severity > 5 ||
        f->id < 0 || f->before_id < 0) {
        snprintf(err, errlen,
                 "store %s: invalid event filter (verdict %d, action %d, "
                 "severity %d)",
                 s->db_path, f->verdict, f->action, f->min_severity);
        return WP_EINVAL;
    }
    return WP_OK;
}

/* Binds the filter's values; returns the mask of the clauses in use. */
static unsigned
filter_mask(const wp_event_filter *f)
{
    unsigned m = 0;
    m |= f->since != 0 ? 1u << EVF_SINCE : 0;
    m |= f->until != 0 ? 1u << EVF_UNTIL : 0;
    m |= f->min_severity >= 0 ? 1u << EVF_SEVERITY : 0;
    m |= f->verdict >= 0 ? 1u << EVF_VERDICT : 0;
    m |= f->action >= 0 ? 1u << EVF_ACTION : 0;
    if (f->sender != NULL)
        m |= f->sender[0] == '@' ? 1u << EVF_SENDER_DOMAIN : 1u << EVF_SENDER;
    m |= f->recipient != NULL ? 1u << EVF_RCPT : 0;
    m |= f->finding_code != NULL ? 1u << EVF_CODE : 0;
    m |= f->id != 0 ? 1u << EVF_ID : 0;
    m |= f->before_id != 0 ? 1u << EVF_BEFORE : 0;
    m |= f->subject != NULL ? 1u << EVF_SUBJECT : 0;
    m |= f->sha256 != NULL ? 1u << EVF_SHA256 : 0;
    m |= f->direction != WP_DIR_UNKNOWN ? 1u << EVF_DIRECTION : 0;
    return m;
}

wp_status
wp_store_events(wp_store *s, const wp_event_filter *f, wp_event_list **out, char *err,
                size_t errlen)
{
    wp_status ret = check_filter(s, f, err, errlen);
    if (ret != WP_OK)
        return ret;
    wp_arena *a = wp_arena_new(RESULT_ARENA_BUDGET);
    wp_event_list *l = a != NULL ? wp_arena_alloc(a, sizeof(*l)) : NULL;
    if (l == NULL) {
        wp_arena_free(a);
        snprintf(err, errlen, "store %s: out of memory", s->db_path);
        return WP_ENOMEM;
    }
    l->priv = a;
    size_t limit = wp_store_page_size(f->limit);
    unsigned mask = filter_mask(f);
    pthread_mutex_lock(&s->mu);
    /* one read transaction: the rows, their findings and recipients are of one commit */
    wp_store_exec(s, "BEGIN");
    sqlite3_stmt *st = wp_store_filtered(s, s->events, event_select, event_clauses, mask,
                                         " ORDER BY d.id DESC LIMIT ?12");
    if (st == NULL) {
        ret = wp_store_fail_db(s, "cannot query decisions", err, errlen);
        goto out;
    }
    /* "@domain": the part of mail_from from its last '@' on, ASCII case folded (as the LIKE
     * '%@domain' that it replaced, but through an index) */
    const char *domain = f->sender != NULL && f->sender[0] == '@' ? f->sender : NULL;
    sqlite3_bind_int64(st, 1, f->since);
    sqlite3_bind_int64(st, 2, f->until);
    sqlite3_bind_int(st, 3, f->min_severity);
    sqlite3_bind_text(st, 4, f->verdict >= 0 ? wp_verdict_name(f->verdict) : NULL, -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 5, f->action >= 0 ? wp_action_name(f->action) : NULL, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, f->sender, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, domain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, f->recipient, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 9, f->finding_code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 10, f->id);
    sqlite3_bind_int64(st, 11, f->before_id);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)limit + 1);
    sqlite3_bind_text(st, 13, f->subject != NULL ? wp_store_like_text(a, f->subject) : NULL, -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 14, f->sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 15, wp_store_direction_name(f->direction), -1, SQLITE_STATIC);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (l->n == limit) {
            l->more = true;
            break;
        }
        if (!wp_arena_grow(a, (void **)&l->events, &cap, l->n + 1, sizeof(*l->events))) {
            snprintf(err, errlen, "store %s: out of memory", s->db_path);
            ret = WP_ENOMEM;
            goto out;
        }
        wp_event *e = &l->events[l->n];
        memset(e, 0, sizeof(*e));
        if ((ret = read_event(s, a, st, e, err, errlen)) != WP_OK)
            goto out;
        l->n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = wp_store_fail_db(s, "cannot query decisions", err, errlen);
out:
    if (st != NULL) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
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
wp_event_list_free(wp_event_list *l)
{
    if (l != NULL)
        wp_arena_free(l->priv);
}
