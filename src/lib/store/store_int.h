/*
 * store_int.h - internals of the decision store and the quarantine spool.
 *
 * One SQLite connection per wp_store, opened SQLITE_OPEN_NOMUTEX and guarded by our own
 * mutex: a decision is several statements in one transaction, which SQLite's FULLMUTEX would
 * not keep together, and the prepared statements are shared.
 */
#ifndef WATCHPOST_STORE_INT_H
#define WATCHPOST_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "core/arena.h"
#include "store_sql.h"
#include "watchpost/store.h"

/* The event query is built from fixed clauses, one per filter set; the statement for each
 * combination is prepared on first use and kept. */
enum {
    EVF_SINCE,
    EVF_UNTIL,
    EVF_SEVERITY,
    EVF_VERDICT,
    EVF_ACTION,
    EVF_SENDER,
    EVF_SENDER_DOMAIN,
    EVF_RCPT,
    EVF_CODE,
    EVF_ID,
    EVF_BEFORE,
    EVF_SUBJECT,
    EVF_SHA256,
    EVF_DIRECTION,
    EVF__COUNT
};

typedef enum store_stmt {
    SQ_INSERT_DECISION,
    SQ_INSERT_FINDING,
    SQ_INSERT_RCPT,
    SQ_INSERT_QUARANTINE,
    SQ_SELECT_FINDINGS,
    SQ_SELECT_RCPT,
    SQ_SELECT_QUARANTINE,
    SQ_CLAIM,
    SQ_RELEASE,
    SQ_UNCLAIM,
    SQ_TOMBSTONE,
    SQ_SELECT_LIVE,
    SQ_INSERT_REPORT,
    SQ_INSERT_ATTACHMENT,
    SQ__COUNT
} store_stmt;

struct wp_store {
    pthread_mutex_t mu;
    sqlite3 *db;
    char *db_path;
    char *spool_dir; /* NULL: no quarantine */
    int spool_fd;    /* the spool directory, -1 when none */
    int schema_version;
    sqlite3_stmt *stmt[SQ__COUNT];
    sqlite3_stmt *events[1u << EVF__COUNT];
    sqlite3_stmt *qlist[1u << EVF__COUNT];
};

/* wp_store_fail_db, wp_store_lock/unlock and wp_store_sqlite are in store_sql.h */
/* Prepared statement number k, prepared on first use (under the mutex). */
sqlite3_stmt *wp_store_stmt(wp_store *s, store_stmt k);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int wp_store_exec(wp_store *s, const char *sql);

/* Migrations: bring the database to WP_STORE_SCHEMA_VERSION (schema.c). */
wp_status wp_store_migrate(sqlite3 *db, const char *path, int *version, char *err, size_t errlen);

/* A report is present; an envelope's recipient count has a list (err set otherwise). */
bool wp_store_valid_decision(const wp_store *s, const wp_store_decision *d, char *err,
                             size_t errlen);
/* Inserts a decision, its recipients and findings; inside the caller's transaction. */
wp_status wp_store_insert_decision(wp_store *s, const wp_store_decision *d, long long now,
                                   int64_t *id, char *err, size_t errlen);

/* The report as compressed JSON and its attachments' hashes (reports.c); inside the
 * caller's transaction, after the decision row. */
wp_status wp_store_insert_report(wp_store *s, wp_arena *a, int64_t id, const wp_report *r,
                                 char *err, size_t errlen);

/* Text columns: names of enums and back. -1 when unknown. */
int wp_store_verdict_from_name(const char *name);
int wp_store_action_from_name(const char *name);
const char *wp_store_direction_name(wp_direction d);
wp_direction wp_store_direction_from_name(const char *name);

/* The columns of one quarantine entry (quarantine.c reads them in this order). */
#define QUARANTINE_SELECT                                                                      \
    "SELECT q.ref, q.decision_id, q.created, q.size, q.sha256, q.state, q.released_by,"        \
    " q.released_at, q.deleted_by, q.deleted_at, q.delete_reason, d.mail_from, d.hdr_subject," \
    " d.hdr_from, d.verdict, d.severity, d.client_ip, d.client_name, d.helo, d.direction,"     \
    " d.authenticated, d.arrival, q.truncated, q.whole_size, q.claimed_by, q.claimed_at,"      \
    " d.queue_id FROM quarantine q JOIN decisions d ON d.id = q.decision_id"

/* The statement for one combination of filter clauses (mask of bits 0..EVF__COUNT-1),
 * prepared on first use into cache[mask]; clauses[i] is used when bit i is set. */
sqlite3_stmt *wp_store_filtered(wp_store *s, sqlite3_stmt **cache, const char *select,
                                const char *const *clauses, unsigned mask, const char *order);
/* A filter's limit: 0 is the default, and the ceiling applies. */
size_t wp_store_page_size(size_t limit);

/* The sender's domain of a decision row d: mail_from from its last '@' on, ASCII lower case.
 * The same expression (on the bare column) is the index decisions_sender_domain (schema.c,
 * migration 5), so a "sender=@domain" filter written with it is an index search; the store
 * test checks the planner uses that index for it. */
#define WP_STORE_SENDER_DOMAIN_EXPR \
    "lower(substr(d.mail_from, length(rtrim(d.mail_from, replace(d.mail_from, '@', '')))))"

/* "@domain" sender filters of the quarantine list become a LIKE pattern with % and _
 * escaped; arena-allocated. */
char *wp_store_like_domain(wp_arena *a, const char *domain);
/* "%text%" with % _ \ escaped, for a substring LIKE; arena-allocated. */
char *wp_store_like_text(wp_arena *a, const char *text);
/* Column text copied into the arena; NULL stays NULL. */
const char *wp_store_col_text(wp_arena *a, sqlite3_stmt *st, int col);
/* Recipients of a decision into the arena. */
wp_status wp_store_load_rcpt(wp_store *s, wp_arena *a, int64_t id, const char ***out, size_t *n);

/* Spool files (spool.c): durable write, read, unlink. */
void wp_spool_new_ref(char ref[WP_QUARANTINE_REF_SIZE]);
bool wp_spool_ref_valid(const char *ref);
wp_status wp_spool_write(wp_store *s, const uint8_t *data, size_t len,
                         char ref[WP_QUARANTINE_REF_SIZE], char *err, size_t errlen);
wp_status wp_spool_read(wp_store *s, const char *ref, uint64_t max, uint8_t **data, size_t *len,
                        char *err, size_t errlen);
/* Unlinks the file and fsyncs the directory; *missing says whether it was already gone. */
wp_status wp_spool_unlink(wp_store *s, const char *ref, bool *missing, char *err, size_t errlen);
/* Modification time of the file; WP_ENOTFOUND when it is gone. */
wp_status wp_spool_mtime(wp_store *s, const char *ref, long long *mtime, char *err, size_t errlen);
void wp_spool_sha256(const uint8_t *data, size_t len, char out[65]);

#endif
