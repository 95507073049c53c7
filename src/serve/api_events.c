/*
 * api_events.c - GET /api/v1/events and /api/v1/events/{id}: the decisions, as the
 * dashboard's event list and message page read them (docs/API.md).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

static const char *const dir_names[] = {"unknown", "inbound", "outbound"};

/* the fields of the list; the detail adds to them */
static json_t *
event_json(const wp_event *e)
{
    json_t *o = json_object(), *rc = json_array();
    for (size_t i = 0; i < e->n_rcpt; i++)
        json_array_append_new(rc, json_string(e->rcpt[i]));
    json_object_set_new(o, "id", json_integer(e->id));
    json_object_set_new(o, "time", json_integer(e->time));
    json_object_set_new(o, "verdict", json_string(wp_verdict_name(e->verdict)));
    json_object_set_new(o, "severity", json_integer(e->severity));
    json_object_set_new(o, "score", json_integer(e->score));
    json_object_set_new(o, "action", json_string(wp_action_name(e->action)));
    json_object_set_new(
        o, "direction",
        json_string((unsigned)e->direction < 3 ? dir_names[e->direction] : "unknown"));
    json_object_set_new(o, "mail_from", wps_json_str(e->mail_from));
    json_object_set_new(o, "from", wps_json_str(e->from));
    json_object_set_new(o, "subject", wps_json_str(e->subject));
    json_object_set_new(o, "recipients", rc);
    json_object_set_new(o, "client_ip", wps_json_str(e->client_ip));
    json_object_set_new(o, "n_findings", json_integer((json_int_t)e->n_findings_total));
    json_object_set_new(o, "quarantine_ref", wps_json_str(e->quarantine_ref));
    return o;
}

void
wps_api_events(wps_req *r)
{
    wp_event_filter f;
    if (!wps_event_filter(r, (long long)time(NULL), &f))
        return;
    wp_store *s = wps_store(r);
    if (s == NULL)
        return;
    wp_event_list *l = NULL;
    char err[512];
    if (wp_store_events(s, &f, &l, err, sizeof err) != WP_OK) {
        wps_error(r, 500, "the store cannot be read");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(items, event_json(&l->events[i]));
    bool more = l->more && l->n > 0;
    long long last = more ? (long long)l->events[l->n - 1].id : 0;
    wp_event_list_free(l);
    wps_page(r, items, more, last);
}

/* The quarantine entry of the event, as the quarantine list shows it. */
json_t *
wps_quarantine_entry_json(const wp_quarantine_entry *q)
{
    json_t *o = json_object();
    json_object_set_new(o, "ref", json_string(q->ref));
    json_object_set_new(o, "event_id", json_integer(q->decision_id));
    json_object_set_new(o, "created", json_integer(q->created));
    json_object_set_new(o, "size", json_integer((json_int_t)q->size));
    json_object_set_new(o, "state", json_string(wp_quarantine_state_name(q->state)));
    json_object_set_new(o, "truncated", json_boolean(q->truncated));
    json_object_set_new(o, "verdict", json_string(wp_verdict_name(q->verdict)));
    json_object_set_new(o, "severity", json_integer(q->severity));
    json_object_set_new(o, "mail_from", wps_json_str(q->mail_from));
    json_object_set_new(o, "from", wps_json_str(q->from));
    json_object_set_new(o, "subject", wps_json_str(q->subject));
    json_object_set_new(o, "released_by", wps_json_str(q->released_by));
    json_object_set_new(o, "released_at", json_integer(q->released_at));
    json_object_set_new(o, "deleted_by", wps_json_str(q->deleted_by));
    json_object_set_new(o, "deleted_at", json_integer(q->deleted_at));
    return o;
}

void
wps_api_event(wps_req *r)
{
    int64_t id;
    if (!wps_param_id(r, "event", &id))
        return;
    wp_store *s = wps_store(r);
    if (s == NULL)
        return;
    wp_event_filter f;
    wp_event_filter_init(&f);
    f.id = id;
    wp_event_list *l = NULL;
    char err[512];
    if (wp_store_events(s, &f, &l, err, sizeof err) != WP_OK) {
        wps_error(r, 500, "the store cannot be read");
        return;
    }
    if (l->n == 0) {
        wp_event_list_free(l);
        wps_error(r, 404, "no such event");
        return;
    }
    const wp_event *e = &l->events[0];
    json_t *o = event_json(e), *fnd = json_array(), *reasons = json_array();
    for (size_t i = 0; i < e->n_findings; i++) {
        const wp_event_finding *x = &e->findings[i];
        json_array_append_new(fnd, json_pack("{s:s,s:o,s:o,s:s,s:i,s:i}", "code", x->code, "where",
                                             wps_json_str(x->where), "evidence",
                                             wps_json_str(x->evidence), "category",
                                             x->category != NULL ? x->category : "", "weight",
                                             x->weight, "contribution", x->contribution));
    }
    for (size_t i = 0; i < e->n_reasons; i++)
        json_array_append_new(reasons, json_string(e->reasons[i]));
    json_object_set_new(o, "findings", fnd);
    json_object_set_new(o, "reasons", reasons);
    json_object_set_new(o, "to", wps_json_str(e->to));
    json_object_set_new(o, "cc", wps_json_str(e->cc));
    json_object_set_new(o, "reply_to", wps_json_str(e->reply_to));
    json_object_set_new(o, "date", wps_json_str(e->date));
    json_object_set_new(o, "message_id", wps_json_str(e->message_id));
    json_object_set_new(o, "helo", wps_json_str(e->helo));
    json_object_set_new(o, "client_name", wps_json_str(e->client_name));
    json_object_set_new(o, "size", json_integer((json_int_t)e->size));
    char *report = NULL;
    if (wp_store_event_report(s, id, &report, err, sizeof err) == WP_OK) {
        json_error_t je;
        json_t *rep = json_loads(report, 0, &je);
        if (rep != NULL)
            json_object_set_new(o, "report", rep);
        free(report);
    }
    if (e->quarantine_ref != NULL) {
        wp_quarantine_filter qf;
        wp_quarantine_filter_init(&qf);
        qf.before_id = id + 1;
        qf.limit = 1;
        wp_quarantine_list *ql = NULL;
        if (wp_store_quarantine_list(s, &qf, &ql, err, sizeof err) == WP_OK && ql->n == 1 &&
            ql->entries[0].decision_id == id)
            json_object_set_new(o, "quarantine", wps_quarantine_entry_json(&ql->entries[0]));
        wp_quarantine_list_free(ql);
    }
    wp_event_list_free(l);
    wps_json(r, 200, o);
}
