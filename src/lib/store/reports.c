/*
 * reports.c - each decision's whole report, kept for the analyst who opens it later.
 *
 * The decision row holds what lists and filters need; the dashboard's message page wants
 * everything the scan saw: the MIME tree, every object with its hashes and true type, the
 * URLs. That is the report's JSON (docs/SCHEMA.md), compressed with zlib (typically 5-10x)
 * and stored beside the decision, deleted with it (retention cascades). A report whose JSON
 * exceeds WP_STORE_MAX_REPORT_JSON is not kept (the decision row and its findings still are).
 * The attachments' SHA-256 go into their own indexed table, so an analyst can ask "who else
 * received this file?".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "store_int.h"

#define MAX_ATTACHMENTS 256 /* hashes kept per decision */

static wp_status
insert_json(wp_store *s, int64_t id, const wp_report *r, char *err, size_t errlen)
{
    char *json = NULL;
    if (wp_report_to_json(r, &json) != WP_OK || json == NULL) {
        free(json);
        (void)snprintf(err, errlen, "store %s: out of memory serialising a report", s->db_path);
        return WP_ENOMEM;
    }
    size_t n = strlen(json);
    if (n > WP_STORE_MAX_REPORT_JSON) {
        free(json);
        return WP_OK; /* too large to keep: the row and its findings tell the story */
    }
    uLongf zn = compressBound((uLong)n);
    Bytef *z = malloc(zn);
    wp_status ret = WP_OK;
    if (z == NULL || compress2(z, &zn, (const Bytef *)json, (uLong)n, 6) != Z_OK) {
        (void)snprintf(err, errlen, "store %s: cannot compress a report", s->db_path);
        ret = WP_ENOMEM;
    } else {
        sqlite3_stmt *st = wp_store_stmt(s, SQ_INSERT_REPORT);
        if (st == NULL) {
            ret = wp_store_fail_db(s, "cannot keep the report", err, errlen);
        } else {
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_int64(st, 2, (sqlite3_int64)n);
            sqlite3_bind_blob(st, 3, z, (int)zn, SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE)
                ret = wp_store_fail_db(s, "cannot keep the report", err, errlen);
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
        }
    }
    free(z);
    free(json);
    return ret;
}

wp_status
wp_store_insert_report(wp_store *s, wp_arena *a, int64_t id, const wp_report *r, char *err,
                       size_t errlen)
{
    wp_status ret = insert_json(s, id, r, err, errlen);
    size_t kept = 0;
    for (size_t i = 0; ret == WP_OK && i < r->n_objects && kept < MAX_ATTACHMENTS; i++) {
        const wp_object *o = &r->objects[i];
        if (!o->has_hashes || (!o->is_attachment && o->depth == 0))
            continue;
        sqlite3_stmt *st = wp_store_stmt(s, SQ_INSERT_ATTACHMENT);
        if (st == NULL)
            return wp_store_fail_db(s, "cannot record an attachment", err, errlen);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, o->hashes.sha256, -1, SQLITE_STATIC);
        const char *name = o->name != NULL
                               ? wp_arena_sanitize(a, o->name, strlen(o->name), WP_STORE_MAX_WHERE)
                               : NULL;
        sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, o->true_type, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            ret = wp_store_fail_db(s, "cannot record an attachment", err, errlen);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        kept++;
    }
    return ret;
}

wp_status
wp_store_event_report(wp_store *s, int64_t id, char **json, char *err, size_t errlen)
{
    *json = NULL;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    wp_status ret = WP_OK;
    if (sqlite3_prepare_v2(s->db, "SELECT json_len, json_z FROM reports WHERE decision_id = ?1", -1,
                           &st, NULL) != SQLITE_OK) {
        ret = wp_store_fail_db(s, "cannot read a report", err, errlen);
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        (void)snprintf(err, errlen, "store %s: no report kept for decision %lld", s->db_path,
                       (long long)id);
        ret = WP_ENOTFOUND;
        goto out;
    }
    if (rc != SQLITE_ROW) {
        ret = wp_store_fail_db(s, "cannot read a report", err, errlen);
        goto out;
    }
    sqlite3_int64 n = sqlite3_column_int64(st, 0);
    const void *z = sqlite3_column_blob(st, 1);
    int zn = sqlite3_column_bytes(st, 1);
    if (n <= 0 || (uint64_t)n > WP_STORE_MAX_REPORT_JSON || z == NULL) {
        (void)snprintf(err, errlen, "store %s: report of decision %lld is damaged", s->db_path,
                       (long long)id);
        ret = WP_EPARSE;
        goto out;
    }
    char *out = malloc((size_t)n + 1);
    uLongf on = (uLongf)n;
    if (out == NULL) {
        ret = WP_ENOMEM;
        (void)snprintf(err, errlen, "store %s: out of memory", s->db_path);
        goto out;
    }
    if (uncompress((Bytef *)out, &on, z, (uLong)zn) != Z_OK || on != (uLongf)n) {
        free(out);
        (void)snprintf(err, errlen, "store %s: report of decision %lld is damaged", s->db_path,
                       (long long)id);
        ret = WP_EPARSE;
        goto out;
    }
    out[n] = '\0';
    *json = out;
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return ret;
}
