/*
 * cursor.c - where `watchpost watch` stopped in each followed log (ingest_cursors): saved
 * after every poll, read at start, so a restart neither re-reads nor skips.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

wp_status
wp_store_cursor_get(wp_store *s, const char *path, wp_netlog_cursor *cur, bool *found, char *err,
                    size_t errlen)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    *found = false;
    wp_status r = WP_OK;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT dev, ino, offset, head_hash, head_len, size FROM ingest_cursors "
                           "WHERE path = ?",
                           -1, &st, NULL) != SQLITE_OK) {
        r = wp_store_fail_db(s, "reading a log cursor", err, errlen);
    } else {
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            memset(cur, 0, sizeof *cur);
            cur->dev = (uint64_t)sqlite3_column_int64(st, 0);
            cur->ino = (uint64_t)sqlite3_column_int64(st, 1);
            cur->offset = (uint64_t)sqlite3_column_int64(st, 2);
            cur->head_hash = (uint64_t)sqlite3_column_int64(st, 3);
            cur->head_len = (uint32_t)sqlite3_column_int64(st, 4);
            cur->size = (uint64_t)sqlite3_column_int64(st, 5);
            *found = true;
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return r;
}

wp_status
wp_store_cursor_put(wp_store *s, const char *path, const wp_netlog_cursor *cur, char *err,
                    size_t errlen)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    wp_status r = WP_OK;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO ingest_cursors(path, dev, ino, offset, head_hash, "
                           "head_len, size, updated) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(path) "
                           "DO UPDATE SET dev = excluded.dev, ino = excluded.ino, offset = "
                           "excluded.offset, head_hash = excluded.head_hash, head_len = "
                           "excluded.head_len, size = excluded.size, updated = excluded.updated",
                           -1, &st, NULL) != SQLITE_OK) {
        r = wp_store_fail_db(s, "saving a log cursor", err, errlen);
    } else {
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
        /* SQLite integers are signed 64-bit: the bits round-trip through the cast */
        sqlite3_bind_int64(st, 2, (sqlite3_int64)cur->dev);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)cur->ino);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)cur->offset);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)cur->head_hash);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)cur->head_len);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)cur->size);
        sqlite3_bind_double(st, 8, (double)time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE)
            r = wp_store_fail_db(s, "saving a log cursor", err, errlen);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return r;
}
