/*
 * store_sql.h - the narrow interface for a library module that keeps tables of its own in
 * the store's database: today the incident correlator (incident/correlate.c), whose tables
 * (incidents, net_findings, host_map ...) are created by the store's migrations (schema.c).
 *
 * Such a module may run SQL on the store's one connection, but only between
 * wp_store_lock() and wp_store_unlock(): the connection is opened SQLITE_OPEN_NOMUTEX and
 * the store's own transactions rely on that lock (store_int.h). It sees nothing else of the
 * store: not its struct, not its prepared statements, not the spool.
 */
#ifndef WATCHPOST_STORE_SQL_H
#define WATCHPOST_STORE_SQL_H

#include <sqlite3.h>

#include "watchpost/store.h"

void wp_store_lock(wp_store *s);
void wp_store_unlock(wp_store *s);
/* The connection; use it only while holding the lock. */
sqlite3 *wp_store_sqlite(wp_store *s);
/* err = "store <path>: what: sqlite's message"; returns WP_EIO. */
wp_status wp_store_fail_db(wp_store *s, const char *what, char *err, size_t errlen);

#endif
