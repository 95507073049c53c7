/*
 * payload.c - what an alert says: the JSON document for the webhook and the mail, the
 * one-line key=value syslog record, the mail subject.
 *
 * Built in the caller's thread, at wp_alert_decision() time, because the report dies with
 * the caller. Every string taken from the report is cut to WP_ALERT_MAX_FIELD bytes at a
 * UTF-8 boundary; the report has already replaced control characters. The syslog line and
 * the subject carry no message text but the sender, escaped and capped, and no secrets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/alert_int.h"
#include "core/util.h"

void
alert_item_free(alert_item *it)
{
    if (it == NULL)
        return;
    json_decref(it->payload);
    free(it->syslog_line);
    free(it->subject);
    free(it->ref);
    free(it);
}

/* A JSON string of at most cap bytes cut at a UTF-8 boundary; invalid UTF-8 (the report
 * promises none) becomes '?' rather than losing the field. */
static json_t *
jstr(const char *s, size_t cap)
{
    if (s == NULL)
        return json_null();
    size_t n = strlen(s);
    if (n > cap) {
        n = cap;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    json_t *j = json_stringn(s, n);
    if (j != NULL)
        return j;
    char *copy = strndup(s, n);
    if (copy == NULL)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static const char *
direction_name(wp_direction d)
{
    return d == WP_DIR_INBOUND ? "inbound" : d == WP_DIR_OUTBOUND ? "outbound" : "unknown";
}

/* Findings ordered by what they added to the score, then weight: the strongest first. */
static int
cmp_finding(const void *a, const void *b)
{
    const wp_finding *x = *(const wp_finding *const *)a, *y = *(const wp_finding *const *)b;
    if (x->contribution != y->contribution)
        return x->contribution < y->contribution ? 1 : -1;
    if (x->weight != y->weight)
        return x->weight < y->weight ? 1 : -1;
    return 0;
}

static int
set(json_t *o, const char *k, json_t *v)
{
    return v == NULL ? -1 : json_object_set_new(o, k, v);
}

static json_t *
build_findings(const wp_report *r)
{
    json_t *arr = json_array();
    if (arr == NULL || r->n_findings == 0)
        return arr;
    const wp_finding **sorted = calloc(r->n_findings, sizeof *sorted);
    if (sorted == NULL) {
        json_decref(arr);
        return NULL;
    }
    for (size_t i = 0; i < r->n_findings; i++)
        sorted[i] = &r->findings[i];
    qsort(sorted, r->n_findings, sizeof *sorted, cmp_finding);
    int bad = 0;
    for (size_t i = 0; i < r->n_findings && i < WP_ALERT_MAX_FINDINGS; i++) {
        const wp_finding *f = sorted[i];
        json_t *o = json_object();
        bad |= o == NULL || json_array_append_new(arr, o);
        if (o == NULL)
            break;
        bad |= set(o, "code", jstr(f->code, 64));
        bad |= set(o, "category", json_string(wp_category_name(f->category)));
        bad |= set(o, "weight", json_integer(f->weight));
        bad |= set(o, "contribution", json_integer(f->contribution));
        bad |= set(o, "evidence", jstr(f->evidence, WP_ALERT_MAX_FIELD));
        bad |= set(o, "where", jstr(f->where, 256));
    }
    free(sorted);
    if (bad) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static json_t *
build_envelope(const wp_envelope *env)
{
    if (env == NULL)
        return json_null();
    json_t *o = json_object(), *rcpt = json_array();
    int bad = o == NULL || rcpt == NULL;
    for (size_t i = 0; !bad && i < env->n_rcpt && i < 100; i++)
        bad |= json_array_append_new(rcpt, jstr(env->rcpt[i], 256));
    if (bad) {
        json_decref(o);
        json_decref(rcpt);
        return NULL;
    }
    bad |= set(o, "client_ip", jstr(env->client_ip, 64));
    bad |= set(o, "client_name", jstr(env->client_name, 256));
    bad |= set(o, "helo", jstr(env->helo, 256));
    bad |= set(o, "mail_from", jstr(env->mail_from, 256));
    bad |= set(o, "rcpt", rcpt);
    bad |= set(o, "n_rcpt", json_integer((json_int_t)env->n_rcpt));
    bad |= set(o, "direction", json_string(direction_name(env->direction)));
    bad |= set(o, "authenticated", json_boolean(env->authenticated));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *
build_payload(const wp_report *r, const wp_envelope *env, const char *ref, double detected_at)
{
    const wp_verdict *v = &r->verdict;
    json_t *root = json_object(), *verdict = json_object(), *reasons = json_array(),
           *message = json_object();
    int bad = root == NULL || verdict == NULL || reasons == NULL || message == NULL;
    if (bad) {
        json_decref(root);
        json_decref(verdict);
        json_decref(reasons);
        json_decref(message);
        return NULL;
    }
    bad |= set(root, "schema", json_string("watchpost.alert"));
    bad |= set(root, "schema_version", json_integer(WP_ALERT_SCHEMA_VERSION));
    bad |= set(root, "ref", jstr(ref, 128));
    bad |= set(root, "detected_at", json_real(detected_at));
    bad |= set(root, "queued_at", json_real(wp_wall_now()));
    bad |= set(root, "sent_at", json_null());

    bad |= set(root, "verdict", verdict);
    bad |= set(verdict, "class", json_string(wp_verdict_name(v->cls)));
    bad |= set(verdict, "score", json_integer(v->score));
    bad |= set(verdict, "severity", json_integer(v->severity));
    bad |= set(verdict, "severity_name", json_string(wp_severity_name(v->severity)));
    bad |= set(verdict, "action", json_string(wp_action_name(v->action)));
    bad |= set(verdict, "reasons", reasons);
    for (size_t i = 0; i < v->n_reasons && i < 16; i++)
        bad |= json_array_append_new(reasons, jstr(v->reasons[i], WP_ALERT_MAX_FIELD));

    bad |= set(root, "findings", build_findings(r));
    bad |= set(root, "n_findings", json_integer((json_int_t)r->n_findings));

    bad |= set(root, "message", message);
    bad |= set(message, "from", jstr(r->from, WP_ALERT_MAX_FIELD));
    bad |= set(message, "to", jstr(r->to, WP_ALERT_MAX_FIELD));
    bad |= set(message, "subject", jstr(r->subject, WP_ALERT_MAX_FIELD));
    bad |= set(message, "message_id", jstr(r->message_id, WP_ALERT_MAX_FIELD));
    bad |= set(message, "source", jstr(r->source, WP_ALERT_MAX_FIELD));
    bad |= set(message, "size", json_integer((json_int_t)r->size));

    bad |= set(root, "envelope", build_envelope(env));
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* Append `key="value"` with quotes, backslashes and non-printable bytes escaped, cut at 120
 * bytes of the value: the syslog line stays one line and short. */
static void
kv_quoted(char *buf, size_t cap, size_t *len, const char *key, const char *value)
{
    if (value == NULL || *len >= cap)
        return;
    int n = snprintf(buf + *len, cap - *len, " %s=\"", key);
    if (n < 0 || (size_t)n >= cap - *len) {
        *len = cap;
        return;
    }
    *len += (size_t)n;
    for (size_t i = 0; value[i] != '\0' && i < 120 && *len + 5 < cap; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c == '"' || c == '\\')
            *len += (size_t)snprintf(buf + *len, cap - *len, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            *len += (size_t)snprintf(buf + *len, cap - *len, "\\x%02x", c);
        else
            buf[(*len)++] = (char)c;
    }
    if (*len + 2 < cap) {
        buf[(*len)++] = '"';
        buf[*len] = '\0';
    }
}

static char *
build_syslog_line(const wp_report *r, const wp_envelope *env, const char *ref)
{
    enum { CAP = 1024 };
    char *buf = malloc(CAP);
    if (buf == NULL)
        return NULL;
    const wp_verdict *v = &r->verdict;
    int n = snprintf(buf, CAP,
                     "watchpost alert schema=%d severity=%d severity_name=%s verdict=%s "
                     "score=%d action=%s findings=%zu",
                     WP_ALERT_SCHEMA_VERSION, v->severity, wp_severity_name(v->severity),
                     wp_verdict_name(v->cls), v->score, wp_action_name(v->action), r->n_findings);
    size_t len = n < 0 ? 0 : (size_t)n < CAP ? (size_t)n : CAP - 1;
    kv_quoted(buf, CAP, &len, "ref", ref);
    kv_quoted(buf, CAP, &len, "from", r->from);
    kv_quoted(buf, CAP, &len, "message_id", r->message_id);
    if (env != NULL) {
        kv_quoted(buf, CAP, &len, "client_ip", env->client_ip);
        kv_quoted(buf, CAP, &len, "mail_from", env->mail_from);
        if (len + 32 < CAP)
            len += (size_t)snprintf(buf + len, CAP - len, " rcpts=%zu", env->n_rcpt);
    }
    buf[len < CAP ? len : CAP - 1] = '\0';
    return buf;
}

/* Only watchpost's own words: nothing from the message reaches a mail header. */
static char *
build_subject(const wp_report *r, const char *ref)
{
    char buf[256];
    char safe_ref[65] = "";
    size_t j = 0;
    for (size_t i = 0; ref != NULL && ref[i] != '\0' && j + 1 < sizeof safe_ref; i++)
        if ((unsigned char)ref[i] > 0x20 && (unsigned char)ref[i] < 0x7f)
            safe_ref[j++] = ref[i];
    safe_ref[j] = '\0';
    snprintf(buf, sizeof buf, "[watchpost] severity %d (%s): %s, %s%s%s", r->verdict.severity,
             wp_severity_name(r->verdict.severity), wp_verdict_name(r->verdict.cls),
             wp_action_name(r->verdict.action), j ? " ref " : "", safe_ref);
    return strdup(buf);
}

alert_item *
alert_item_build(const wp_report *r, const wp_envelope *env, const char *ref, double detected_at)
{
    alert_item *it = calloc(1, sizeof *it);
    if (it == NULL)
        return NULL;
    it->severity = r->verdict.severity;
    it->detected_at = detected_at;
    it->payload = build_payload(r, env, ref, detected_at);
    it->syslog_line = build_syslog_line(r, env, ref);
    it->subject = build_subject(r, ref);
    it->ref = ref != NULL ? strndup(ref, 128) : NULL;
    if (it->payload == NULL || it->syslog_line == NULL || it->subject == NULL ||
        (ref != NULL && it->ref == NULL)) {
        alert_item_free(it);
        return NULL;
    }
    return it;
}

/* ---- incidents: raised or escalated (docs/INCIDENTS.md) ---- */

alert_item *
alert_item_build_incident(const wp_incident_alert *ia)
{
    alert_item *it = calloc(1, sizeof *it);
    json_t *root = json_object(), *inc = json_object();
    char ref[48];
    snprintf(ref, sizeof ref, "incident-%lld", (long long)ia->id);
    if (it == NULL || root == NULL || inc == NULL) {
        free(it);
        json_decref(root);
        json_decref(inc);
        return NULL;
    }
    int bad = 0;
    bad |= set(root, "schema", json_string("watchpost.alert"));
    bad |= set(root, "schema_version", json_integer(WP_ALERT_SCHEMA_VERSION));
    bad |= set(root, "kind", json_string("incident"));
    bad |= set(root, "ref", json_string(ref));
    bad |= set(root, "detected_at", json_real(ia->detected_at));
    bad |= set(root, "queued_at", json_real(wp_wall_now()));
    bad |= set(root, "sent_at", json_null());
    bad |= set(root, "incident", inc);
    bad |= set(inc, "id", json_integer((json_int_t)ia->id));
    bad |= set(inc, "severity", json_integer(ia->severity));
    bad |= set(inc, "severity_name", json_string(wp_severity_name(ia->severity)));
    bad |= set(inc, "previous_severity",
               ia->from_severity < 0 ? json_null() : json_integer(ia->from_severity));
    bad |= set(inc, "title", jstr(ia->title, WP_ALERT_MAX_FIELD));
    bad |= set(inc, "reason", jstr(ia->reason, WP_ALERT_MAX_FIELD));
    bad |= set(inc, "evidence_at", json_real(ia->evidence_ts));
    bad |= set(inc, "first_evidence_at", json_real(ia->first_evidence));
    it->payload = root;
    it->severity = ia->severity;
    it->detected_at = ia->detected_at;
    it->ref = strdup(ref);
    enum { CAP = 1024 };
    it->syslog_line = malloc(CAP);
    it->subject = malloc(160);
    if (bad || it->ref == NULL || it->syslog_line == NULL || it->subject == NULL) {
        alert_item_free(it);
        return NULL;
    }
    int n = snprintf(it->syslog_line, CAP,
                     "watchpost alert schema=%d kind=incident id=%lld severity=%d "
                     "severity_name=%s previous=%d",
                     WP_ALERT_SCHEMA_VERSION, (long long)ia->id, ia->severity,
                     wp_severity_name(ia->severity), ia->from_severity);
    size_t len = n < 0 ? 0 : (size_t)n < CAP ? (size_t)n : CAP - 1;
    kv_quoted(it->syslog_line, CAP, &len, "title", ia->title);
    kv_quoted(it->syslog_line, CAP, &len, "reason", ia->reason);
    it->syslog_line[len < CAP ? len : CAP - 1] = '\0';
    snprintf(it->subject, 160, "[watchpost] incident %lld %s: severity %d (%s)", (long long)ia->id,
             ia->from_severity < 0 ? "raised" : "escalated", ia->severity,
             wp_severity_name(ia->severity));
    return it;
}
