/*
 * api_quarantine.c - the quarantine over HTTP: list, download the original, release and
 * delete. Release is the store's claim -> re-inject -> release sequence (docs/STORE.md), so
 * the dashboard and `watchpost quarantine release` can race and still deliver once. Every
 * action wants a reason and lands in the audit log, refused or not.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "serve.h"
#include "watchpost/deliver.h"

void
wps_api_quarantine(wps_req *r)
{
    static const char *const states[] = {"held", "releasing", "released", "deleted"};
    wp_quarantine_filter f;
    wp_quarantine_filter_init(&f);
    const char *st = wps_arg_get(r, "state");
    if (st != NULL && st[0] != '\0' && strcmp(st, "all") != 0) {
        f.state = -2;
        for (int i = 0; i < 4; i++) {
            if (strcmp(st, states[i]) == 0)
                f.state = i;
        }
        if (f.state == -2) {
            wps_error(r, 400, "state wants held, releasing, released, deleted or all");
            return;
        }
    }
    bool ok = true;
    f.limit = wps_arg_limit(r, &ok);
    if (!ok || !wps_arg_cursor(r, &f.before_id))
        return;
    wp_store *s = wps_store(r);
    if (s == NULL)
        return;
    wp_quarantine_list *l = NULL;
    char err[512];
    if (wp_store_quarantine_list(s, &f, &l, err, sizeof err) != WP_OK) {
        wps_error(r, 500, "the store cannot be read");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(items, wps_quarantine_entry_json(&l->entries[i]));
    bool more = l->more && l->n > 0;
    long long last = more ? (long long)l->entries[l->n - 1].decision_id : 0;
    wp_quarantine_list_free(l);
    wps_page(r, items, more, last);
}

/* The {ref} of the path: 16 hex digits, or 404. */
static const char *
param_ref(wps_req *r)
{
    const char *v = r->params[0];
    bool ok = v != NULL && strlen(v) == WP_QUARANTINE_REF_SIZE - 1;
    for (size_t i = 0; ok && v[i] != '\0'; i++)
        ok = isxdigit((unsigned char)v[i]) != 0;
    if (!ok) {
        wps_error(r, 404, "no such quarantined message");
        return NULL;
    }
    return v;
}

/* A damaged spool copy is ours (500); anything else past the claim is the MTA's (502). */
static unsigned
other_status(wp_status s)
{
    return s == WP_EPARSE ? 500 : 502;
}

void
wps_api_quarantine_raw(wps_req *r)
{
    const char *ref = param_ref(r);
    wp_store *s = ref != NULL ? wps_store(r) : NULL;
    if (s == NULL)
        return;
    wp_quarantine_message *m = NULL;
    char err[512], disp[96];
    wp_status st = wp_store_quarantine_get(s, ref, &m, err, sizeof err);
    if (st != WP_OK) {
        wps_store_refused(r, st,
                          st == WP_ENOTFOUND ? "no such quarantined message"
                                             : "the stored copy cannot be read",
                          other_status(st));
        return;
    }
    (void)snprintf(disp, sizeof disp, "attachment; filename=\"%s.eml\"", ref);
    wps_audit(r, "quarantine.download", ref, NULL, "ok");
    wps_raw(r, 200, "message/rfc822", m->data, m->len, disp);
    wp_quarantine_message_free(m);
}

/* {"reason": "..."} of 1 to 500 bytes, or NULL (400 sent). *owner keeps it alive. */
static const char *
reason_of(wps_req *r, const char *key, json_t **owner)
{
    *owner = wps_body_json(r);
    if (*owner == NULL)
        return NULL;
    const char *v = json_string_value(json_object_get(*owner, key));
    if (v == NULL || v[0] == '\0' || strlen(v) > 500) {
        wps_error(r, 400, "give a %s (1 to 500 bytes)", key);
        json_decref(*owner);
        *owner = NULL;
        return NULL;
    }
    return v;
}

/* What release and delete both start with: the {ref}, a {"reason"} and the store. */
typedef struct action {
    const char *ref, *reason;
    json_t *body; /* owns reason; the caller decrefs it */
} action;

static wp_store *
action_begin(wps_req *r, action *a)
{
    a->body = NULL;
    a->ref = param_ref(r);
    a->reason = a->ref != NULL ? reason_of(r, "reason", &a->body) : NULL;
    wp_store *s = a->reason != NULL ? wps_store(r) : NULL;
    if (s == NULL)
        json_decref(a->body);
    return s;
}

void
wps_api_quarantine_release(wps_req *r)
{
    action a;
    wp_store *s = action_begin(r, &a);
    if (s == NULL)
        return;
    const char *ref = a.ref, *reason = a.reason;
    json_t *body = a.body;
    char err[512] = "", claim[WP_QUARANTINE_REF_SIZE];
    wp_quarantine_message *m = NULL;
    wp_status st = wp_store_quarantine_claim(s, ref, r->who.user, 0, claim, err, sizeof err);
    if (st == WP_OK)
        st = wp_store_quarantine_get(s, ref, &m, err, sizeof err);
    if (st == WP_OK) {
        st = wp_deliver_reinject(m, r->cfg->release_smtp, r->who.user, 30000, err, sizeof err);
        if (st != WP_OK) {
            char uerr[256];
            (void)wp_store_quarantine_unclaim(s, ref, claim, uerr, sizeof uerr);
        } else {
            st = wp_store_quarantine_release(s, ref, claim, 0, err, sizeof err);
        }
    } else if (st != WP_EINVAL && st != WP_ENOTFOUND) {
        char uerr[256];
        (void)wp_store_quarantine_unclaim(s, ref, claim, uerr, sizeof uerr);
    }
    wps_audit(r, "quarantine.release", ref, reason, st == WP_OK ? "ok" : err);
    json_decref(body);
    if (st != WP_OK) {
        wp_quarantine_message_free(m);
        wps_store_refused(r, st, err, other_status(st));
        return;
    }
    json_t *o = json_pack("{s:s,s:s,s:i}", "ref", ref, "state", "released", "recipients",
                          (int)m->env.n_rcpt);
    wp_quarantine_message_free(m);
    wps_json(r, 200, o);
}

void
wps_api_quarantine_delete(wps_req *r)
{
    action a;
    wp_store *s = action_begin(r, &a);
    if (s == NULL)
        return;
    const char *ref = a.ref, *reason = a.reason;
    json_t *body = a.body;
    char err[512] = "";
    wp_status st = wp_store_quarantine_delete(s, ref, r->who.user, err, sizeof err);
    wps_audit(r, "quarantine.delete", ref, reason, st == WP_OK ? "ok" : err);
    json_decref(body);
    if (st != WP_OK) {
        wps_store_refused(r, st, err, other_status(st));
        return;
    }
    wps_json(r, 200, json_pack("{s:s,s:s}", "ref", ref, "state", "deleted"));
}
