/*
 * api_incidents.c - incidents over HTTP: the list, one incident with its timeline and its
 * severity history, acknowledge and close (with a note, audited).
 */
#include <stdlib.h>
#include <string.h>

#include "serve.h"
#include "watchpost/incident.h"

static json_t *
strings(const char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *
incident_json(const wp_incident *it)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(it->id));
    json_object_set_new(o, "status", json_string(it->status));
    json_object_set_new(o, "severity", json_integer(it->severity));
    json_object_set_new(o, "title", json_string(it->title));
    json_object_set_new(o, "first_evidence", json_real(it->first_evidence));
    json_object_set_new(o, "last_evidence", json_real(it->last_evidence));
    json_object_set_new(o, "detected_at", json_real(it->detected_at));
    json_object_set_new(o, "hosts", strings(it->hosts, it->n_hosts));
    json_object_set_new(o, "users", strings(it->users, it->n_users));
    json_object_set_new(o, "destinations", strings(it->destinations, it->n_destinations));
    json_object_set_new(o, "senders", strings(it->senders, it->n_senders));
    if (it->ack_by != NULL)
        json_object_set_new(o, "ack_by", json_string(it->ack_by));
    if (it->closed_by != NULL)
        json_object_set_new(o, "closed_by", json_string(it->closed_by));
    if (it->close_reason != NULL)
        json_object_set_new(o, "close_reason", json_string(it->close_reason));
    return o;
}

void
wps_api_incidents(wps_req *r)
{
    wp_incident_filter f;
    wp_incident_filter_init(&f);
    const char *st = wps_arg_get(r, "status");
    if (st != NULL && st[0] != '\0') {
        if (strcmp(st, "all") != 0 && strcmp(st, "open") != 0 && strcmp(st, "acked") != 0 &&
            strcmp(st, "closed") != 0) {
            wps_error(r, 400, "status wants open, acked, closed or all");
            return;
        }
        f.status = st;
    }
    long long sev = -1;
    bool ok = true;
    f.limit = wps_arg_limit(r, &ok);
    if (!ok || !wps_arg_int(r, "severity", 0, 5, &sev))
        return;
    f.min_severity = (int)sev;
    wp_store *s = wps_store(r);
    if (s == NULL)
        return;
    wp_incident_list *l = NULL;
    char err[512];
    if (wp_store_incidents(s, &f, &l, err, sizeof err) != WP_OK) {
        wps_error(r, 500, "the store cannot be read");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(items, incident_json(&l->items[i]));
    wp_incident_list_free(l);
    /* highest severity first: one page of the most urgent (limit), no cursor */
    wps_page(r, items, false, 0);
}

static void
answer_incident(wps_req *r, wp_store *s, int64_t id)
{
    wp_incident_list *l = NULL;
    char err[512];
    wp_status st = wp_store_incident_get(s, id, &l, err, sizeof err);
    if (st != WP_OK || l->n == 0) {
        wp_incident_list_free(l);
        wps_error(r, st == WP_ENOTFOUND || st == WP_OK ? 404 : 500, "no such incident");
        return;
    }
    const wp_incident *it = &l->items[0];
    json_t *o = incident_json(it), *tl = json_array(), *lv = json_array();
    for (size_t i = 0; i < it->n_timeline; i++) {
        const wp_incident_step *p = &it->timeline[i];
        json_array_append_new(tl, json_pack("{s:f,s:s,s:o,s:s}", "ts", p->ts, "kind", p->kind,
                                            "code", wps_json_str(p->code), "summary",
                                            p->summary != NULL ? p->summary : ""));
    }
    for (size_t i = 0; i < it->n_levels; i++) {
        const wp_incident_level *v = &it->levels[i];
        json_array_append_new(
            lv, json_pack("{s:f,s:o,s:i,s:s}", "at", v->at, "from",
                          v->from_severity >= 0 ? json_integer(v->from_severity) : json_null(),
                          "to", v->to_severity, "reason", v->reason != NULL ? v->reason : ""));
    }
    json_object_set_new(o, "timeline", tl);
    json_object_set_new(o, "levels", lv);
    wp_incident_list_free(l);
    wps_json(r, 200, o);
}

void
wps_api_incident(wps_req *r)
{
    int64_t id;
    wp_store *s = wps_param_id(r, "incident", &id) ? wps_store(r) : NULL;
    if (s != NULL)
        answer_incident(r, s, id);
}

static void
change(wps_req *r, bool close)
{
    int64_t id;
    wp_store *s = wps_param_id(r, "incident", &id) ? wps_store(r) : NULL;
    if (s == NULL)
        return;
    json_t *b = wps_body_json(r);
    if (b == NULL)
        return;
    const char *note = json_string_value(json_object_get(b, "note"));
    if (note == NULL || note[0] == '\0' || strlen(note) > 1000) {
        json_decref(b);
        wps_error(r, 400, "give a note (1 to 1000 bytes)");
        return;
    }
    char err[512] = "", obj[32];
    (void)snprintf(obj, sizeof obj, "incident %lld", (long long)id);
    wp_status st = close ? wp_store_incident_close(s, id, r->who.user, note, err, sizeof err)
                         : wp_store_incident_ack(s, id, r->who.user, err, sizeof err);
    wps_audit(r, close ? "incident.close" : "incident.ack", obj, note, st == WP_OK ? "ok" : err);
    json_decref(b);
    if (st != WP_OK) {
        wps_error(r,
                  st == WP_ENOTFOUND ? 404
                  : st == WP_EINVAL  ? 409
                                     : 500,
                  "%s", err[0] ? err : wp_strerror(st));
        return;
    }
    answer_incident(r, s, id);
}

void
wps_api_incident_ack(wps_req *r)
{
    change(r, false);
}

void
wps_api_incident_close(wps_req *r)
{
    change(r, true);
}
