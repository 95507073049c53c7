/*
 * api_misc.c - the smaller endpoints: health, metrics, statistics, scan, audit, OpenAPI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

void
wps_api_healthz(wps_req *r)
{
    wp_store *s = wps_store(r);
    if (s == NULL)
        return;
    wps_json(r, 200,
             json_pack("{s:s,s:s,s:i}", "status", "ok", "store", "ok", "schema",
                       wp_store_schema_version(s)));
}

void
wps_api_metrics(wps_req *r)
{
    wp_store *s = wps_store(r);
    if (s == NULL)
        return;
    char *text = NULL;
    size_t len = 0;
    wps_metrics_text(&text, &len);
    long long now = (long long)time(NULL);
    wp_stats st;
    char err[256];
    char *more = NULL;
    size_t mlen = 0;
    FILE *f = open_memstream(&more, &mlen);
    if (f != NULL && wp_store_stats(s, now - 86400, now, 86400, &st, err, sizeof err) == WP_OK) {
        (void)fprintf(f, "# HELP watchpost_decisions_24h Decisions recorded in the last 24 hours, "
                         "by verdict.\n# TYPE watchpost_decisions_24h gauge\n");
        for (int v = 0; v < WP_VERDICT__COUNT; v++) {
            (void)fprintf(f, "watchpost_decisions_24h{verdict=\"%s\"} %llu\n",
                          wp_verdict_name((wp_verdict_class)v), (unsigned long long)st.verdicts[v]);
        }
        (void)fprintf(f, "# HELP watchpost_incidents_open Open and acknowledged incidents, by "
                         "severity.\n# TYPE watchpost_incidents_open gauge\n");
        for (int v = 0; v < 6; v++) {
            (void)fprintf(f, "watchpost_incidents_open{severity=\"%d\"} %llu\n", v,
                          (unsigned long long)st.open_incidents[v]);
        }
        (void)fprintf(f,
                      "# HELP watchpost_quarantine_held Messages held in quarantine.\n"
                      "# TYPE watchpost_quarantine_held gauge\nwatchpost_quarantine_held %llu\n",
                      (unsigned long long)st.quarantine_held);
        wp_stats_free(&st);
    }
    if (f != NULL)
        (void)fclose(f);
    size_t tl = len + mlen;
    char *all = malloc(tl + 1);
    if (all == NULL || text == NULL) {
        free(all);
        free(text);
        free(more);
        wps_error(r, 500, "out of memory");
        return;
    }
    memcpy(all, text, len);
    if (more != NULL)
        memcpy(all + len, more, mlen);
    wps_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", all, tl, NULL);
    free(all);
    free(text);
    free(more);
}

static json_t *
top_json(const wp_stats_top *t, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(
            a, json_pack("{s:s,s:I}", "value", t[i].value, "count", (json_int_t)t[i].count));
    }
    return a;
}

static json_t *
counts_json(const uint64_t *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)v[i]));
    return a;
}

static json_t *
verdicts_json(const uint64_t *v)
{
    json_t *o = json_object();
    for (int i = 0; i < WP_VERDICT__COUNT; i++) {
        json_object_set_new(o, wp_verdict_name((wp_verdict_class)i),
                            json_integer((json_int_t)v[i]));
    }
    return o;
}

void
wps_api_stats(wps_req *r)
{
    long long now = (long long)time(NULL), since = now - 86400, until = now;
    if (!wps_arg_time(r, "since", now, &since) || !wps_arg_time(r, "until", now, &until))
        return;
    const char *b = wps_arg_get(r, "bucket");
    long long bucket = 3600;
    if (b != NULL && strcmp(b, "minute") == 0) {
        bucket = 60;
    } else if (b != NULL && strcmp(b, "day") == 0) {
        bucket = 86400;
    } else if (b != NULL && strcmp(b, "hour") != 0) {
        wps_error(r, 400, "bucket wants minute, hour or day");
        return;
    }
    if (since >= until) {
        wps_error(r, 400, "since must be before until");
        return;
    }
    wp_store *s = wps_store(r);
    if (s == NULL)
        return;
    wp_stats st;
    char err[256];
    if (wp_store_stats(s, since, until, bucket, &st, err, sizeof err) != WP_OK) {
        wps_error(r, 500, "the store cannot be read");
        return;
    }
    json_t *bk = json_array();
    for (size_t i = 0; i < st.n_buckets; i++) {
        json_array_append_new(bk, json_pack("{s:I,s:o,s:o}", "t", (json_int_t)st.buckets[i].t,
                                            "verdicts", verdicts_json(st.buckets[i].verdicts),
                                            "severity", counts_json(st.buckets[i].severity, 6)));
    }
    double span = (double)(st.until - st.since);
    json_t *o = json_pack(
        "{s:I,s:I,s:I,s:o,s:{s:I,s:o,s:o,s:f},s:o,s:o,s:o,s:o,s:I}", "since", (json_int_t)st.since,
        "until", (json_int_t)st.until, "bucket", (json_int_t)st.bucket, "buckets", bk, "totals",
        "messages", (json_int_t)st.total, "verdicts", verdicts_json(st.verdicts), "severity",
        counts_json(st.severity, 6), "messages_per_s", span > 0 ? (double)st.total / span : 0.0,
        "top_senders", top_json(st.senders, st.n_senders), "top_domains",
        top_json(st.domains, st.n_domains), "top_findings", top_json(st.findings, st.n_findings),
        "open_incidents", counts_json(st.open_incidents, 6), "quarantine_held",
        (json_int_t)st.quarantine_held);
    wp_stats_free(&st);
    wps_json(r, 200, o);
}

void
wps_api_scan(wps_req *r)
{
    wp_scanner *sc = wps_scanner(r);
    if (sc == NULL) {
        wps_error(r, 503, "this server has no scanning engine");
        return;
    }
    if (r->body_len == 0) {
        wps_error(r, 400, "POST the raw message as the body");
        return;
    }
    wp_report *rep = NULL;
    wp_status st = wp_scan_message(sc, r->body, r->body_len, &rep);
    char *json = NULL;
    if (st != WP_OK || wp_report_to_json(rep, &json) != WP_OK) {
        wp_report_free(rep);
        wps_error(r, 500, "the scan failed: %s", wp_strerror(st));
        return;
    }
    wp_report_free(rep);
    wps_audit(r, "scan", NULL, NULL, "ok");
    wps_raw(r, 200, "application/json", json, strlen(json), NULL);
    free(json);
}

void
wps_api_audit(wps_req *r)
{
    int64_t before = 0;
    bool ok = true;
    size_t limit = wps_arg_limit(r, &ok);
    if (!ok || !wps_arg_cursor(r, &before))
        return;
    wp_store *s = wps_store(r);
    if (s == NULL)
        return;
    wp_audit_list *l = NULL;
    char err[256];
    if (wp_store_audit_list(s, before, limit, &l, err, sizeof err) != WP_OK) {
        wps_error(r, 500, "the store cannot be read");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < l->n; i++) {
        const wp_audit_entry *e = &l->items[i];
        json_array_append_new(items,
                              json_pack("{s:I,s:I,s:o,s:o,s:s,s:o,s:o,s:s}", "id",
                                        (json_int_t)e->id, "time", (json_int_t)e->time, "user",
                                        wps_json_str(e->user), "address", wps_json_str(e->address),
                                        "action", e->action, "object", wps_json_str(e->object),
                                        "reason", wps_json_str(e->reason), "result", e->result));
    }
    bool more = l->more && l->n > 0;
    long long last = more ? l->items[l->n - 1].id : 0;
    wp_audit_list_free(l);
    wps_page(r, items, more, last);
}

void
wps_api_openapi(wps_req *r)
{
    for (size_t i = 0; i < wps_n_assets; i++) {
        if (strcmp(wps_assets[i].name, "openapi.json") == 0) {
            wps_raw(r, 200, "application/json", wps_assets[i].data, wps_assets[i].len, NULL);
            return;
        }
    }
    wps_error(r, 404, "no OpenAPI document in this build");
}
