/*
 * api_hunt.c - GET /api/v1/hunt: network findings grouped per (host, destination, code) and
 * ranked by score, the groups not (yet) in an incident by default (watchpost/hunt.h,
 * docs/EGRESS.md "Hunting").
 *
 * A ranked top-N, not a page: next_cursor is always null and `truncated` says more groups
 * matched than `limit`. The item object is built here once for the API and for
 * `watchpost hunt --json` (wps_hunt_item_json), so both print the same fields.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

static json_t *
beacon_json(const wp_hunt_beacon *b)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "score", b->score,
                     "connections", b->connections, "span_s", b->span_s, "interval_median_s",
                     b->interval_median_s, "interval_skew", b->interval_skew, "interval_mad",
                     b->interval_mad, "coverage", b->coverage, "size_median_b", b->size_median_b,
                     "size_skew", b->size_skew, "size_mad", b->size_mad, "size_small",
                     b->size_small);
}

json_t *
wps_hunt_item_json(const wp_hunt_item *it)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "code", json_string(it->code != NULL ? it->code : ""));
    json_object_set_new(o, "src", json_string(it->src != NULL ? it->src : ""));
    json_object_set_new(o, "dst", json_string(it->dst != NULL ? it->dst : ""));
    json_object_set_new(o, "dst_port",
                        it->dst_port >= 0 ? json_integer(it->dst_port) : json_null());
    json_object_set_new(o, "score", json_real(it->max_score));
    json_object_set_new(o, "findings", json_integer((json_int_t)it->findings));
    json_object_set_new(o, "count", json_integer((json_int_t)it->count_max));
    json_object_set_new(o, "count_sum", json_integer((json_int_t)it->count_sum));
    json_object_set_new(o, "count_unit", json_string(wp_hunt_count_unit(it->code)));
    json_object_set_new(o, "first_ts", json_real(it->first_ts));
    json_object_set_new(o, "last_ts", json_real(it->last_ts));
    json_object_set_new(o, "evidence", json_string(it->evidence != NULL ? it->evidence : ""));
    json_object_set_new(o, "incident_id",
                        it->incident_id > 0 ? json_integer(it->incident_id) : json_null());
    if (it->beacon.present)
        json_object_set_new(o, "beacon", beacon_json(&it->beacon));
    return o;
}

/* min_score: a decimal from 0 to 1 */
static bool
arg_score(wps_req *r, double *out)
{
    const char *v = wps_arg_get(r, "min_score");
    if (v == NULL || v[0] == '\0')
        return true;
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !(d >= 0 && d <= 1)) {
        wps_error(r, 400, "min_score wants a number from 0 to 1");
        return false;
    }
    *out = d;
    return true;
}

/* all: include the groups already in an incident */
static bool
arg_bool(wps_req *r, const char *key, bool *out)
{
    const char *v = wps_arg_get(r, key);
    if (v == NULL || v[0] == '\0')
        return true;
    if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
        *out = true;
    } else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0) {
        *out = false;
    } else {
        wps_error(r, 400, "%s wants true or false", key);
        return false;
    }
    return true;
}

/* The filter from the query; false (400 sent) on a bad value. */
static bool
hunt_filter(wps_req *r, wp_hunt_filter *f)
{
    long long now = (long long)time(NULL), since = 0;
    bool ok = true;
    wp_hunt_filter_init(f);
    f->limit = wps_arg_limit(r, &ok);
    if (!ok || !wps_arg_time(r, "since", now, &since) || !arg_score(r, &f->min_score) ||
        !arg_bool(r, "all", &f->include_incidents))
        return false;
    f->since = (double)since;
    const char *code = wps_arg_get(r, "code");
    if (code != NULL && code[0] != '\0') {
        if (!wp_hunt_code_valid(code)) {
            wps_error(r, 400,
                      "code wants a NET_* code or beacon, long, rare, dns, exfil, ids, intel");
            return false;
        }
        f->code = code;
    }
    const char *host = wps_arg_get(r, "host");
    if (host != NULL && host[0] != '\0') {
        if (strlen(host) > 255) {
            wps_error(r, 400, "host is longer than 255 bytes");
            return false;
        }
        f->host = host;
    }
    return true;
}

void
wps_api_hunt(wps_req *r)
{
    wp_hunt_filter f;
    if (!hunt_filter(r, &f))
        return;
    wp_store *s = wps_store(r);
    if (s == NULL)
        return;
    wp_hunt_list *l = NULL;
    char err[256];
    if (wp_store_hunt(s, &f, &l, err, sizeof err) != WP_OK) {
        wps_error(r, 500, "the store cannot be read");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < l->n; i++)
        json_array_append_new(items, wps_hunt_item_json(&l->items[i]));
    json_t *o = items != NULL ? json_pack("{s:o,s:b,s:n}", "items", items, "truncated",
                                          l->truncated ? 1 : 0, "next_cursor")
                              : NULL;
    wp_hunt_list_free(l);
    if (o == NULL) {
        wps_error(r, 500, "out of memory");
        return;
    }
    wps_json(r, 200, o);
}
