/*
 * correlate.c - mail decisions and network findings joined into incidents (docs/INCIDENTS.md).
 *
 * The links, in the order an attack unfolds:
 *   mail     a phishing/malware/targeted decision raises an incident (or joins the open one
 *            of the same envelope sender within the link window); its recipients become
 *            "user" entities, and "delivered" ones when the message reached them;
 *   host     a network finding's source address is looked up in the host map (configuration,
 *            then what dhcp/kerberos logs taught us) to find its user; an open incident that
 *            delivered mail to that user before the evidence, or that already names the host
 *            or the destination, takes the finding;
 *   level    severity only rises, each rise recorded with its reason and the evidence time:
 *              mail blocked or delivered                        the mail's own (1-2)
 *              contact with C2 (indicator, beacon, tunnel, IDS)
 *                after a delivery to the host's user            3
 *              exfiltration (volume, new destination, credential POST) after C2 evidence or
 *                a delivery; or C2 evidence from two or more hosts 4
 *              a classified marking, or evidence from a classified network 5
 *            A network finding with no mail behind it raises its own incident: 3 for an
 *            indicator or high-severity IDS hit, 1 for behaviour alone (beacon, tunnel,
 *            exfiltration pattern: to triage), none for context (rare domain, long
 *            connection), which only joins an incident that already names the host.
 * Everything happens inside one transaction per input; the callback runs after COMMIT.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/util.h"
#include "store/store_sql.h"
#include "watchpost/incident.h"
#include "watchpost/netlist.h"

/* Titles, reasons and summaries are one line for a person: cut to fit on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define MAX_CHANGES 16 /* level changes one input can cause (one per incident touched) */
#define MAX_LINKED  8  /* incidents one finding is compared against */

typedef struct map_entry {
    char *user; /* lower case */
    char *addr;
} map_entry;

typedef struct pending_change {
    wp_incident_change ch;
    char title[256];
    char reason[320];
} pending_change;

#define N_STMTS 48 /* distinct statements the correlator runs */

struct wp_correlator {
    wp_store *store;
    struct {
        const char *sql; /* a string literal: looked up by address */
        sqlite3_stmt *st;
    } stmts[N_STMTS];
    double window;
    map_entry *map;
    size_t n_map;
    wp_netlist *classified;
    wp_incident_fn fn;
    void *ctx;
    wp_correlator_stats stats;
    pending_change changes[MAX_CHANGES];
    size_t n_changes;
};

void
wp_incident_config_init(wp_incident_config *c)
{
    memset(c, 0, sizeof *c);
    c->link_window = 7 * 86400.0;
}

wp_status
wp_correlator_new(wp_store *store, const wp_incident_config *cfg, wp_incident_fn fn, void *ctx,
                  wp_correlator **out, char *err, size_t errlen)
{
    if (store == NULL || cfg == NULL || out == NULL) {
        snprintf(err, errlen, "incidents: no store");
        return WP_EINVAL;
    }
    wp_correlator *c = calloc(1, sizeof *c);
    if (c == NULL)
        goto oom;
    c->store = store;
    c->window = cfg->link_window > 0 ? cfg->link_window : 7 * 86400.0;
    c->fn = fn;
    c->ctx = ctx;
    if ((c->classified = wp_netlist_new()) == NULL)
        goto oom;
    for (size_t i = 0; i < cfg->n_classified_nets; i++)
        if (!wp_netlist_add(c->classified, cfg->classified_nets[i], err, errlen)) {
            wp_correlator_free(c);
            return WP_EINVAL;
        }
    if (cfg->n_host_map > 0 && (c->map = calloc(cfg->n_host_map, sizeof *c->map)) == NULL)
        goto oom;
    for (size_t i = 0; i < cfg->n_host_map; i++) {
        char user[256], addr[256];
        if (sscanf(cfg->host_map[i], "%255s %255s", user, addr) != 2) {
            snprintf(err, errlen, "incident.host: want 'USER ADDRESS', not '%.80s'",
                     cfg->host_map[i]);
            wp_correlator_free(c);
            return WP_EINVAL;
        }
        wp_ascii_lower(user);
        map_entry *m = &c->map[c->n_map++];
        if ((m->user = strdup(user)) == NULL || (m->addr = strdup(addr)) == NULL)
            goto oom;
    }
    *out = c;
    return WP_OK;
oom:
    wp_correlator_free(c);
    snprintf(err, errlen, "incidents: out of memory");
    return WP_ENOMEM;
}

void
wp_correlator_free(wp_correlator *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_map; i++) {
        free(c->map[i].user);
        free(c->map[i].addr);
    }
    free(c->map);
    wp_netlist_free(c->classified);
    for (int i = 0; i < N_STMTS && c->stmts[i].sql != NULL; i++)
        sqlite3_finalize(c->stmts[i].st);
    free(c);
}

const wp_correlator_stats *
wp_correlator_stats_get(const wp_correlator *c)
{
    return &c->stats;
}

/* ---- small SQL helpers (the store's mutex is held by the caller) ---- */

/* Prepared once per correlator and kept: parsing SQL for every finding cost more than
 * running it (bench/egress_bench.sh, perf). A statement beyond the cache is prepared and
 * finalized each time (none today). */
static int
prep(wp_correlator *c, const char *sql, sqlite3_stmt **st)
{
    for (int i = 0; i < N_STMTS; i++) {
        if (c->stmts[i].sql == sql) {
            *st = c->stmts[i].st;
            return SQLITE_OK;
        }
        if (c->stmts[i].sql == NULL) {
            int rc = sqlite3_prepare_v3(wp_store_sqlite(c->store), sql, -1,
                                        SQLITE_PREPARE_PERSISTENT, &c->stmts[i].st, NULL);
            if (rc != SQLITE_OK)
                return rc;
            c->stmts[i].sql = sql;
            *st = c->stmts[i].st;
            return SQLITE_OK;
        }
    }
    return SQLITE_FULL;
}

/* Done with a cached statement: reset and unbound for its next use. */
static void
unprep(sqlite3_stmt *st)
{
    if (st != NULL) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

static bool
sql_run(wp_correlator *c, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *st = NULL;
    if (prep(c, sql, &st) != SQLITE_OK)
        return false;
    va_list ap;
    va_start(ap, fmt);
    for (int i = 0; fmt[i]; i++) {
        int k = i + 1;
        switch (fmt[i]) {
        case 's': {
            const char *v = va_arg(ap, const char *);
            if (v == NULL)
                sqlite3_bind_null(st, k);
            else
                sqlite3_bind_text(st, k, v, -1, SQLITE_TRANSIENT);
            break;
        }
        case 'i':
            sqlite3_bind_int64(st, k, va_arg(ap, long long));
            break;
        case 'd':
            sqlite3_bind_double(st, k, va_arg(ap, double));
            break;
        }
    }
    va_end(ap);
    int rc = sqlite3_step(st);
    unprep(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

typedef struct inc_row {
    int64_t id;
    int severity;
    char title[256];
    double first_evidence, detected_at;
} inc_row;

static bool
inc_load(wp_correlator *c, int64_t id, inc_row *r)
{
    sqlite3_stmt *st = NULL;
    bool ok = false;
    if (prep(c,
             "SELECT severity, title, first_evidence, detected_at FROM incidents "
             "WHERE id = ?",
             &st) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            r->id = id;
            r->severity = sqlite3_column_int(st, 0);
            snprintf(r->title, sizeof r->title, "%s", (const char *)sqlite3_column_text(st, 1));
            r->first_evidence = sqlite3_column_double(st, 2);
            r->detected_at = sqlite3_column_double(st, 3);
            ok = true;
        }
    }
    unprep(st);
    return ok;
}

static void
note_change(wp_correlator *c, const inc_row *r, int from, const char *reason, double ev_ts)
{
    if (c->n_changes == MAX_CHANGES)
        return; /* the level is committed all the same; only the callback is skipped */
    pending_change *p = &c->changes[c->n_changes++];
    snprintf(p->title, sizeof p->title, "%s", r->title);
    snprintf(p->reason, sizeof p->reason, "%s", reason);
    p->ch = (wp_incident_change){.id = r->id,
                                 .from_severity = from,
                                 .to_severity = r->severity,
                                 .evidence_ts = ev_ts,
                                 .first_evidence = r->first_evidence,
                                 .detected_at = r->detected_at};
    if (from < 0)
        c->stats.raised++;
    else
        c->stats.escalated++;
}

static int
next_seq(wp_correlator *c, const char *table, int64_t id)
{
    sqlite3_stmt *st = NULL;
    int seq = 1;
    if (prep(c,
             strcmp(table, "incident_timeline") == 0
                 ? "SELECT coalesce(max(seq), 0) + 1 FROM incident_timeline WHERE incident_id = ?"
                 : "SELECT coalesce(max(seq), 0) + 1 FROM incident_severity WHERE incident_id = ?",
             &st) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW)
            seq = sqlite3_column_int(st, 0);
    }
    unprep(st);
    return seq;
}

static bool
inc_step(wp_correlator *c, int64_t id, double ts, const char *kind, const char *code,
         const char *summary, long long decision_id, long long nf_id)
{
    return sql_run(c,
                   "INSERT INTO incident_timeline(incident_id, seq, ts, kind, code, summary, "
                   "decision_id, net_finding_id) VALUES (?,?,?,?,?,?,nullif(?,0),nullif(?,0))",
                   "iidsssii", (long long)id, (long long)next_seq(c, "incident_timeline", id), ts,
                   kind, code, summary, decision_id, nf_id);
}

static bool
inc_entity(wp_correlator *c, int64_t id, const char *kind, const char *value, double ts)
{
    if (value == NULL || *value == '\0')
        return true;
    return sql_run(c,
                   "INSERT OR IGNORE INTO incident_entities(incident_id, kind, value, first_ts) "
                   "VALUES (?,?,?,?)",
                   "issd", (long long)id, kind, value, ts);
}

/* Evidence from first to last: widen the incident's evidence span. */
static bool
inc_touch(wp_correlator *c, int64_t id, double first, double last)
{
    return sql_run(c,
                   "UPDATE incidents SET first_evidence = min(first_evidence, ?1), "
                   "last_evidence = max(last_evidence, ?2), updated = ?3 WHERE id = ?4",
                   "dddi", first, last, wp_wall_now(), (long long)id);
}

static bool
inc_create(wp_correlator *c, int sev, const char *title, double ts, const char *reason, int64_t *id)
{
    sqlite3 *db = wp_store_sqlite(c->store);
    double now = wp_wall_now();
    if (!sql_run(c,
                 "INSERT INTO incidents(severity, title, first_evidence, last_evidence, "
                 "detected_at, updated) VALUES (?,?,?,?,?,?)",
                 "isdddd", (long long)sev, title, ts, ts, now, now))
        return false;
    *id = sqlite3_last_insert_rowid(db);
    if (!sql_run(c,
                 "INSERT INTO incident_severity(incident_id, seq, at, evidence_ts, "
                 "from_severity, to_severity, reason) VALUES (?,1,?,?,NULL,?,?)",
                 "iddis", (long long)*id, now, ts, (long long)sev, reason))
        return false;
    inc_row r = {.id = *id, .severity = sev, .first_evidence = ts, .detected_at = now};
    snprintf(r.title, sizeof r.title, "%s", title);
    note_change(c, &r, -1, reason, ts);
    return true;
}

/* Raise to sev when that is higher; record why. */
static bool
inc_raise(wp_correlator *c, int64_t id, int sev, const char *reason, double ev_ts)
{
    inc_row r;
    if (!inc_load(c, id, &r))
        return false;
    if (sev <= r.severity)
        return true;
    int from = r.severity;
    double now = wp_wall_now();
    char summary[400];
    snprintf(summary, sizeof summary, "severity %d -> %d: %s", from, sev, reason);
    if (!sql_run(c,
                 "UPDATE incidents SET severity = ?, updated = ?, alerted_at = NULL "
                 "WHERE id = ?",
                 "idi", (long long)sev, now, (long long)id) ||
        !sql_run(c,
                 "INSERT INTO incident_severity(incident_id, seq, at, evidence_ts, "
                 "from_severity, to_severity, reason) VALUES (?,?,?,?,?,?,?)",
                 "iiddiis", (long long)id, (long long)next_seq(c, "incident_severity", id), now,
                 ev_ts, (long long)from, (long long)sev, reason) ||
        !inc_step(c, id, ev_ts, "severity", NULL, summary, 0, 0))
        return false;
    r.severity = sev;
    note_change(c, &r, from, reason, ev_ts);
    return true;
}

/* Open incidents that name (kind, value) with evidence in the window before ts. */
static size_t
find_by_entity(wp_correlator *c, const char *kind, const char *value, double ts, double window,
               int64_t *ids, size_t cap, size_t n)
{
    sqlite3_stmt *st = NULL;
    if (value == NULL || *value == '\0' ||
        prep(c,
             "SELECT DISTINCT i.id FROM incidents i JOIN incident_entities e "
             "ON e.incident_id = i.id WHERE i.status != 'closed' AND e.kind = ? "
             "AND e.value = ? AND i.last_evidence >= ? ORDER BY i.id",
             &st) != SQLITE_OK) {
        unprep(st);
        return n;
    }
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, ts - window);
    while (n < cap && sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup |= ids[i] == id;
        if (!dup)
            ids[n++] = id;
    }
    unprep(st);
    return n;
}

/* Did the incident deliver mail to user at or before ts? */
static bool
delivered_before(wp_correlator *c, int64_t id, const char *user, double ts)
{
    sqlite3_stmt *st = NULL;
    bool yes = false;
    if (prep(c,
             "SELECT 1 FROM incident_entities WHERE incident_id = ? AND "
             "kind = 'delivered' AND value = ? AND first_ts <= ?",
             &st) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 3, ts);
        yes = sqlite3_step(st) == SQLITE_ROW;
    }
    unprep(st);
    return yes;
}

static long long
count_rows(wp_correlator *c, const char *sql, int64_t id)
{
    sqlite3_stmt *st = NULL;
    long long n = 0;
    if (prep(c, sql, &st) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    unprep(st);
    return n;
}

/* ---- who is where ---- */

/* The user of address addr (lower case into user), from the configuration first, then the
 * learned map. */
static bool
user_of(wp_correlator *c, const char *addr, char *user, size_t cap)
{
    for (size_t i = 0; i < c->n_map; i++)
        if (strcasecmp(c->map[i].addr, addr) == 0) {
            snprintf(user, cap, "%s", c->map[i].user);
            return true;
        }
    sqlite3_stmt *st = NULL;
    bool ok = false;
    if (prep(c, "SELECT user FROM host_map WHERE address = ? AND user IS NOT NULL", &st) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            snprintf(user, cap, "%s", (const char *)sqlite3_column_text(st, 0));
            wp_ascii_lower(user);
            ok = true;
        }
    }
    unprep(st);
    return ok;
}

/* A mailbox and a login name are the same person when equal, or when the login is the
 * mailbox's local part ("bob" or "bob@REALM" for bob@mofa.example). */
static bool
same_person(const char *mailbox, const char *login)
{
    if (strcasecmp(mailbox, login) == 0)
        return true;
    size_t lm = strcspn(mailbox, "@"), ll = strcspn(login, "@/");
    return lm == ll && strncasecmp(mailbox, login, lm) == 0;
}

wp_status
wp_correlator_host(wp_correlator *c, const wp_net_record *r, char *err, size_t errlen)
{
    if (r->kind != WP_NET_HOST || r->src_ip.n == 0 || r->src_ip.n > 64)
        return WP_OK;
    if (r->user.n == 0 && r->host_name.n == 0)
        return WP_OK; /* known_hosts: an address, nobody behind it */
    char addr[65], user[256] = "", name[256] = "";
    snprintf(addr, sizeof addr, "%.*s", (int)r->src_ip.n, r->src_ip.p);
    if (r->user.n > 0)
        snprintf(user, sizeof user, "%.*s", (int)(r->user.n < 255 ? r->user.n : 255), r->user.p);
    if (r->host_name.n > 0)
        snprintf(name, sizeof name, "%.*s", (int)(r->host_name.n < 255 ? r->host_name.n : 255),
                 r->host_name.p);
    wp_store_lock(c->store);
    bool ok = sql_run(c,
                      "INSERT INTO host_map(address, user, host_name, source, seen) "
                      "VALUES (?1, nullif(?2,''), nullif(?3,''), ?4, ?5) "
                      "ON CONFLICT(address) DO UPDATE SET "
                      "user = coalesce(nullif(?2,''), user), "
                      "host_name = coalesce(nullif(?3,''), host_name), source = ?4, seen = ?5",
                      "ssssd", addr, user, name, user[0] ? "kerberos" : "dhcp", r->ts);
    wp_store_unlock(c->store);
    if (!ok) {
        snprintf(err, errlen, "incidents: host map: %s", sqlite3_errmsg(wp_store_sqlite(c->store)));
        return WP_EIO;
    }
    c->stats.hosts_learned++;
    return WP_OK;
}

/* ---- mail ---- */

static bool
state_get(wp_correlator *c, const char *key, long long *v)
{
    sqlite3_stmt *st = NULL;
    *v = 0;
    if (prep(c, "SELECT value FROM correlation_state WHERE key = ?", &st) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    unprep(st);
    return true;
}

typedef struct mail_row {
    long long id;
    double time;
    char verdict[32], action[32], mail_from[320], from[320], subject[200], direction[16];
    int severity;
    bool dlp;
} mail_row;

static void
col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static bool
is_incident_mail(const mail_row *m)
{
    return m->dlp || strcmp(m->verdict, "phishing") == 0 || strcmp(m->verdict, "malware") == 0 ||
           strcmp(m->verdict, "targeted") == 0;
}

static bool
correlate_mail(wp_correlator *c, const mail_row *m)
{
    bool delivered = strcmp(m->action, "deliver") == 0 || strcmp(m->action, "tag") == 0;
    const char *sender = m->mail_from[0] ? m->mail_from : m->from;
    int64_t ids[MAX_LINKED];
    size_t n = m->dlp ? 0 : find_by_entity(c, "sender", sender, m->time, c->window, ids, 1, 0);
    char reason[320], summary[400], title[256];
    snprintf(summary, sizeof summary, "%s mail from %s, \"%.120s\": %s (decision %lld)", m->verdict,
             sender[0] ? sender : "<>", m->subject, delivered ? "delivered" : "held", m->id);
    int64_t id;
    int sev = m->severity;
    if (m->dlp) {
        sev = 5;
        snprintf(reason, sizeof reason, "classified marking in %s mail from %s", m->direction,
                 sender);
    } else {
        snprintf(reason, sizeof reason, "%s mail %s (%s)", m->verdict,
                 delivered ? "delivered" : "blocked", m->action);
    }
    if (sev > 2 && !m->dlp)
        sev = 2; /* the mail alone is at most a targeted attempt; hosts raise it further */
    if (n == 0) {
        snprintf(title, sizeof title, "%s%s mail from %s: \"%.100s\"",
                 m->dlp ? "Classified marking in " : "", m->dlp ? m->direction : m->verdict,
                 sender[0] ? sender : "<>", m->subject);
        if (!inc_create(c, sev, title, m->time, reason, &id))
            return false;
    } else {
        id = ids[0];
        if (!inc_raise(c, id, sev, reason, m->time))
            return false;
    }
    char did[32];
    snprintf(did, sizeof did, "%lld", m->id);
    if (!inc_step(c, id, m->time, "mail", m->verdict, summary, m->id, 0) ||
        !inc_entity(c, id, "sender", sender, m->time) ||
        !inc_entity(c, id, "message", did, m->time) || !inc_touch(c, id, m->time, m->time))
        return false;
    /* recipients */
    sqlite3_stmt *st = NULL;
    if (prep(c, "SELECT rcpt FROM recipients WHERE decision_id = ? ORDER BY seq", &st) != SQLITE_OK)
        return false;
    sqlite3_bind_int64(st, 1, m->id);
    bool ok = true;
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        char rc[320];
        col_text(st, 0, rc, sizeof rc);
        wp_ascii_lower(rc);
        ok = inc_entity(c, id, "user", rc, m->time) &&
             (!delivered || inc_entity(c, id, "delivered", rc, m->time));
        /* the user's machine, when known, is watched from now on */
        for (size_t i = 0; ok && i < c->n_map; i++)
            if (same_person(rc, c->map[i].user))
                ok = inc_entity(c, id, "host", c->map[i].addr, m->time);
    }
    unprep(st);
    return ok;
}

wp_status
wp_correlator_mail(wp_correlator *c, size_t *n_out, char *err, size_t errlen)
{
    sqlite3 *db = wp_store_sqlite(c->store);
    size_t done = 0;
    for (;;) {
        wp_store_lock(c->store);
        c->n_changes = 0;
        long long last = 0;
        if (!state_get(c, "mail_decision", &last) ||
            sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "incidents: %s", sqlite3_errmsg(db));
            wp_store_unlock(c->store);
            return WP_EIO;
        }
        sqlite3_stmt *st = NULL;
        size_t batch = 0;
        bool ok = prep(c,
                       "SELECT d.id, d.time, d.verdict, d.action, d.mail_from, d.hdr_from, "
                       "d.hdr_subject, d.severity, d.direction, EXISTS(SELECT 1 FROM findings f "
                       "WHERE f.decision_id = d.id AND f.code LIKE 'DLP_%') "
                       "FROM decisions d WHERE d.id > ? ORDER BY d.id LIMIT 256",
                       &st) == SQLITE_OK;
        if (ok)
            sqlite3_bind_int64(st, 1, last);
        while (ok && sqlite3_step(st) == SQLITE_ROW) {
            mail_row m = {.id = sqlite3_column_int64(st, 0), .time = sqlite3_column_double(st, 1)};
            col_text(st, 2, m.verdict, sizeof m.verdict);
            col_text(st, 3, m.action, sizeof m.action);
            col_text(st, 4, m.mail_from, sizeof m.mail_from);
            col_text(st, 5, m.from, sizeof m.from);
            col_text(st, 6, m.subject, sizeof m.subject);
            m.severity = sqlite3_column_int(st, 7);
            col_text(st, 8, m.direction, sizeof m.direction);
            m.dlp = sqlite3_column_int(st, 9) != 0 && m.severity >= 5;
            wp_ascii_lower(m.mail_from);
            if (is_incident_mail(&m))
                ok = correlate_mail(c, &m);
            last = m.id;
            batch++;
        }
        unprep(st);
        ok = ok && sql_run(c,
                           "INSERT INTO correlation_state(key, value) VALUES ('mail_decision', ?) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           "i", last);
        if (!ok || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "incidents: mail: %s", sqlite3_errmsg(db));
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            wp_store_unlock(c->store);
            return WP_EIO;
        }
        size_t nch = c->n_changes;
        wp_store_unlock(c->store);
        for (size_t i = 0; c->fn != NULL && i < nch; i++) {
            c->changes[i].ch.title = c->changes[i].title;
            c->changes[i].ch.reason = c->changes[i].reason;
            c->fn(c->ctx, &c->changes[i].ch);
        }
        done += batch;
        c->stats.mail += batch;
        if (batch < 256)
            break;
    }
    if (n_out != NULL)
        *n_out = done;
    return WP_OK;
}

/* ---- network ---- */

typedef enum evidence_class { EV_CONTEXT, EV_C2, EV_C2_STRONG, EV_EXFIL } evidence_class;

static evidence_class
classify(const wp_egress_finding *f)
{
    switch (f->code) {
    case WP_EG_IOC_IP:
    case WP_EG_IOC_DOMAIN:
    case WP_EG_IOC_URL:
    case WP_EG_IOC_JA3:
    case WP_EG_IOC_HASH:
    case WP_EG_IDS_ALERT:
        return EV_C2_STRONG;
    case WP_EG_BEACON:
    case WP_EG_DNS_TUNNEL:
        return EV_C2;
    case WP_EG_EXFIL_VOLUME:
    case WP_EG_EXFIL_NEW_DEST:
    case WP_EG_CRED_POST:
        return EV_EXFIL;
    default:
        return EV_CONTEXT; /* rare domain, long connection: context for an incident */
    }
}

static bool
correlate_net(wp_correlator *c, const wp_egress_finding *f, long long nf_id)
{
    evidence_class ev = classify(f);
    const char *code = wp_egress_code_name(f->code);
    char user[256] = "";
    bool has_user = user_of(c, f->src, user, sizeof user);
    int64_t ids[MAX_LINKED];
    size_t n = 0;
    /* the user's incidents first: they carry the mail that explains the host */
    if (has_user) {
        n = find_by_entity(c, "delivered", user, f->ts, c->window, ids, MAX_LINKED, n);
        if (n == 0 && strchr(user, '@') == NULL) {
            /* a login name: its mailbox is any delivered address with that local part */
            sqlite3_stmt *st = NULL;
            if (prep(c,
                     "SELECT DISTINCT e.value FROM incident_entities e JOIN "
                     "incidents i ON i.id = e.incident_id WHERE e.kind = "
                     "'delivered' AND i.status != 'closed' AND e.value LIKE ? "
                     "|| '@%'",
                     &st) == SQLITE_OK) {
                sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
                if (sqlite3_step(st) == SQLITE_ROW)
                    col_text(st, 0, user, sizeof user);
            }
            unprep(st);
            n = find_by_entity(c, "delivered", user, f->ts, c->window, ids, MAX_LINKED, n);
        }
    }
    n = find_by_entity(c, "host", f->src, f->ts, c->window, ids, MAX_LINKED, n);
    if (ev != EV_CONTEXT)
        n = find_by_entity(c, "destination", f->dst, f->ts, c->window, ids, MAX_LINKED, n);
    /* one incident takes the finding: several open ones for the same user or host (three
     * lures to one person) would otherwise all rise on the same evidence. The candidates
     * come in order of relevance (a delivery to the host's user first, then the host, then
     * the destination); the most severe wins, ties go to the more relevant. */
    if (n > 1) {
        size_t best = 0;
        int best_sev = -1;
        for (size_t i = 0; i < n; i++) {
            inc_row r;
            if (inc_load(c, ids[i], &r) && r.severity > best_sev) {
                best_sev = r.severity;
                best = i;
            }
        }
        ids[0] = ids[best];
        n = 1;
    }
    bool classified = wp_netlist_contains(c->classified, f->src);
    char reason[320], summary[400], title[256];
    snprintf(summary, sizeof summary, "%s %s -> %s%s%s: %s", code, f->src, f->dst,
             f->indicator[0] ? " listed as " : "", f->indicator, f->evidence);
    int64_t id;
    if (n == 0) {
        int sev = ev == EV_C2_STRONG ? 3 : ev == EV_CONTEXT ? -1 : 1;
        if (ev == EV_C2_STRONG && f->code == WP_EG_IDS_ALERT && f->score < 0.5)
            sev = 1; /* a low-severity IDS alert is not a C2 contact */
        if (classified && sev >= 0)
            sev = 5;
        if (sev < 0)
            return true; /* context without an incident to explain */
        snprintf(title, sizeof title, "%s: %s -> %s", code, f->src, f->dst);
        snprintf(reason, sizeof reason, "%s%s from %s to %s",
                 classified ? "classified network: " : "",
                 ev == EV_C2_STRONG ? "listed or alerted destination contacted"
                 : ev == EV_EXFIL   ? "exfiltration pattern"
                                    : "command-and-control pattern",
                 f->src, f->dst);
        if (!inc_create(c, sev, title, f->first_ts, reason, &id))
            return false;
        n = 1;
        ids[0] = id;
    }
    for (size_t i = 0; i < n; i++) {
        id = ids[i];
        if (!inc_step(c, id, f->ts, "net", code, summary, 0, nf_id) ||
            !inc_entity(c, id, "host", f->src, f->first_ts) ||
            (ev != EV_CONTEXT && f->dst[0] != '(' && /* "(all destinations)" */
             !inc_entity(c, id, "destination", f->dst, f->first_ts)) ||
            (has_user && !inc_entity(c, id, "user", user, f->first_ts)) ||
            !inc_touch(c, id, fmin(f->first_ts, f->ts), fmax(f->first_ts, f->ts)) ||
            !sql_run(c, "UPDATE net_findings SET incident_id = ? WHERE id = ?", "ii", (long long)id,
                     nf_id))
            return false;
        if (ev != EV_CONTEXT &&
            !inc_entity(c, id, ev == EV_EXFIL ? "exfil_host" : "c2_host", f->src, f->ts))
            return false;
        bool after_mail = has_user && delivered_before(c, id, user, f->ts);
        long long c2_hosts = count_rows(c,
                                        "SELECT count(*) FROM incident_entities WHERE "
                                        "incident_id = ? AND kind = 'c2_host'",
                                        id);
        int sev = 0;
        if (classified) {
            sev = 5;
            snprintf(reason, sizeof reason, "%s on %s, a classified network", code, f->src);
        } else if (ev == EV_EXFIL && (after_mail || c2_hosts > 0)) {
            sev = 4;
            snprintf(reason, sizeof reason, "%s from %s to %s after %s", code, f->src, f->dst,
                     after_mail ? "the malicious mail was delivered" : "C2 contact");
        } else if ((ev == EV_C2 || ev == EV_C2_STRONG) && c2_hosts >= 2) {
            sev = 4;
            snprintf(reason, sizeof reason, "C2 evidence from %lld hosts (latest %s -> %s)",
                     c2_hosts, f->src, f->dst);
        } else if ((ev == EV_C2 || ev == EV_C2_STRONG) && after_mail) {
            sev = 3;
            snprintf(reason, sizeof reason,
                     "%s (user %s) contacted %s (%s) after the malicious mail was delivered",
                     f->src, user, f->dst, code);
        } else if (ev == EV_C2_STRONG) {
            sev = 3;
            snprintf(reason, sizeof reason, "%s contacted %s (%s)", f->src, f->dst, code);
        }
        if (sev > 0 && !inc_raise(c, id, sev, reason, f->ts))
            return false;
    }
    return true;
}

wp_status
wp_correlator_net(wp_correlator *c, const wp_egress_finding *f, char *err, size_t errlen)
{
    sqlite3 *db = wp_store_sqlite(c->store);
    wp_store_lock(c->store);
    c->n_changes = 0;
    bool ok = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
    long long nf_id = 0;
    if (ok) {
        ok = sql_run(c,
                     "INSERT INTO net_findings(recorded, ts, first_ts, code, src, dst, dst_port, "
                     "score, count, indicator, source, evidence) VALUES "
                     "(?,?,?,?,?,?,nullif(?,-1),?,?,nullif(?,''),nullif(?,''),?)",
                     "dddsssidisss", wp_wall_now(), f->ts, f->first_ts,
                     wp_egress_code_name(f->code), f->src, f->dst, (long long)f->dst_port, f->score,
                     (long long)f->count, f->indicator, f->source, f->evidence);
        nf_id = sqlite3_last_insert_rowid(db);
        ok = ok && correlate_net(c, f, nf_id);
    }
    if (!ok || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "incidents: network finding: %s", sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        wp_store_unlock(c->store);
        return WP_EIO;
    }
    size_t nch = c->n_changes;
    wp_store_unlock(c->store);
    c->stats.net++;
    for (size_t i = 0; c->fn != NULL && i < nch; i++) {
        c->changes[i].ch.title = c->changes[i].title;
        c->changes[i].ch.reason = c->changes[i].reason;
        c->fn(c->ctx, &c->changes[i].ch);
    }
    return WP_OK;
}
