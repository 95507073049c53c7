/*
 * router.c - which handler answers a request, and the readers of its query string.
 *
 * Everything here reads hostile input (any path, any query) and is fuzzed by fuzz_router:
 * paths are matched segment by segment against a fixed table, {} captures one segment of
 * at most 127 bytes, and each query value is checked against its own grammar before the
 * store sees it. A bad value is a 400 that names the parameter.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timefmt.h"
#include "serve.h"

#define ANY (-1)

static const wps_route routes[] = {
    {"GET", "/healthz", wps_api_healthz, ANY},
    {"GET", "/metrics", wps_api_metrics, WP_ROLE_VIEWER},
    {"GET", "/api/v1/openapi.json", wps_api_openapi, ANY},
    {"POST", "/api/v1/login", wps_api_login, ANY},
    {"POST", "/api/v1/logout", wps_api_logout, WP_ROLE_VIEWER},
    {"GET", "/api/v1/me", wps_api_me, WP_ROLE_VIEWER},
    {"GET", "/api/v1/events", wps_api_events, WP_ROLE_VIEWER},
    {"GET", "/api/v1/events/{}", wps_api_event, WP_ROLE_VIEWER},
    {"GET", "/api/v1/quarantine", wps_api_quarantine, WP_ROLE_VIEWER},
    {"GET", "/api/v1/quarantine/{}/raw", wps_api_quarantine_raw, WP_ROLE_ANALYST},
    {"POST", "/api/v1/quarantine/{}/release", wps_api_quarantine_release, WP_ROLE_ANALYST},
    {"POST", "/api/v1/quarantine/{}/delete", wps_api_quarantine_delete, WP_ROLE_ANALYST},
    {"GET", "/api/v1/incidents", wps_api_incidents, WP_ROLE_VIEWER},
    {"GET", "/api/v1/incidents/{}", wps_api_incident, WP_ROLE_VIEWER},
    {"POST", "/api/v1/incidents/{}/ack", wps_api_incident_ack, WP_ROLE_ANALYST},
    {"POST", "/api/v1/incidents/{}/close", wps_api_incident_close, WP_ROLE_ANALYST},
    {"GET", "/api/v1/stats", wps_api_stats, WP_ROLE_VIEWER},
    {"POST", "/api/v1/scan", wps_api_scan, WP_ROLE_ANALYST},
    {"GET", "/api/v1/audit", wps_api_audit, WP_ROLE_ADMIN},
    {"GET", "/api/v1/stream", wps_api_stream, WP_ROLE_VIEWER},
    {"GET", "/", wps_static, ANY},
    {"GET", "/static/{}", wps_static, ANY},
    {"GET", "/api/v1/users", wps_api_users, WP_ROLE_ADMIN},
    {"POST", "/api/v1/users", wps_api_user_create, WP_ROLE_ADMIN},
    {"POST", "/api/v1/users/{}/disable", wps_api_user_disable, WP_ROLE_ADMIN},
    {"POST", "/api/v1/users/{}/enable", wps_api_user_enable, WP_ROLE_ADMIN},
    {"POST", "/api/v1/users/{}/password", wps_api_user_password, WP_ROLE_ADMIN},
    {"POST", "/api/v1/users/{}/role", wps_api_user_role, WP_ROLE_ADMIN},
    {"GET", "/api/v1/tokens", wps_api_tokens, WP_ROLE_ADMIN},
    {"POST", "/api/v1/tokens", wps_api_token_create, WP_ROLE_ADMIN},
    {"POST", "/api/v1/tokens/revoke", wps_api_token_revoke, WP_ROLE_ADMIN},
    {"GET", "/api/v1/hunt", wps_api_hunt, WP_ROLE_VIEWER},
};

/* Matches path against pattern; captures into r->params. */
static bool
match(const char *pattern, const char *path, wps_req *r)
{
    size_t np = 0;
    const char *p = pattern, *s = path;
    while (*p != '\0') {
        if (p[0] == '{' && p[1] == '}') {
            const char *end = strchr(s, '/');
            size_t n = end != NULL ? (size_t)(end - s) : strlen(s);
            if (n == 0 || n >= sizeof r->param_buf[0] || np >= WPS_MAX_PARAMS)
                return false;
            memcpy(r->param_buf[np], s, n);
            r->param_buf[np][n] = '\0';
            r->params[np] = r->param_buf[np];
            np++;
            s += n;
            p += 2;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *s == '\0';
}

const wps_route *
wps_route_find(const char *method, const char *path, wps_req *r, bool *path_known)
{
    *path_known = false;
    if (method == NULL || path == NULL || path[0] != '/')
        return NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!match(routes[i].pattern, path, r))
            continue;
        *path_known = true;
        if (strcmp(routes[i].method, method) == 0)
            return &routes[i];
    }
    return NULL;
}

const char *
wps_arg_get(const wps_req *r, const char *key)
{
    for (size_t i = 0; i < r->n_args; i++) {
        if (strcmp(r->args[i].key, key) == 0)
            return r->args[i].value;
    }
    return NULL;
}

bool
wps_arg_int(wps_req *r, const char *key, long long lo, long long hi, long long *out)
{
    const char *v = wps_arg_get(r, key);
    if (v == NULL)
        return true;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi) {
        wps_error(r, 400, "%s wants a whole number from %lld to %lld", key, lo, hi);
        return false;
    }
    *out = n;
    return true;
}

/* "24h", "-24h", "90m", "7d" (before now), or ISO-8601 UTC */
bool
wps_arg_time(wps_req *r, const char *key, long long now, long long *out)
{
    const char *v = wps_arg_get(r, key);
    if (v == NULL)
        return true;
    char rel[32];
    if (isdigit((unsigned char)v[0]) && strlen(v) < sizeof rel - 1 &&
        strchr("smhdw", v[strlen(v) - 1]) != NULL && strchr(v, '-') == NULL) {
        (void)snprintf(rel, sizeof rel, "-%s", v);
        v = rel;
    }
    if (!cli_parse_time(v, now, out)) {
        wps_error(r, 400, "%s wants ISO-8601 UTC (2026-11-26T10:00:00Z) or an age (24h, 7d)", key);
        return false;
    }
    return true;
}

/* The cursor is the last id of the previous page: 1 to 18 decimal digits. */
bool
wps_arg_cursor(wps_req *r, int64_t *before_id)
{
    const char *v = wps_arg_get(r, "cursor");
    *before_id = 0;
    if (v == NULL || v[0] == '\0')
        return true;
    size_t n = strlen(v);
    bool ok = n <= 18;
    for (size_t i = 0; ok && i < n; i++)
        ok = isdigit((unsigned char)v[i]) != 0;
    long long id = ok ? strtoll(v, NULL, 10) : 0;
    if (!ok || id <= 0) {
        wps_error(r, 400, "invalid cursor");
        return false;
    }
    *before_id = id;
    return true;
}

size_t
wps_arg_limit(wps_req *r, bool *ok)
{
    long long n = 50;
    *ok = wps_arg_int(r, "limit", 1, 500, &n);
    return (size_t)n;
}

static bool
arg_text(wps_req *r, const char *key, size_t max, const char **out)
{
    const char *v = wps_arg_get(r, key);
    if (v == NULL || v[0] == '\0')
        return true;
    if (strlen(v) > max) {
        wps_error(r, 400, "%s is longer than %zu bytes", key, max);
        return false;
    }
    *out = v;
    return true;
}

static bool
arg_sha256(wps_req *r, const char **out)
{
    const char *v = wps_arg_get(r, "sha256");
    if (v == NULL || v[0] == '\0')
        return true;
    bool ok = strlen(v) == 64;
    for (size_t i = 0; ok && i < 64; i++)
        ok = isxdigit((unsigned char)v[i]) && !isupper((unsigned char)v[i]);
    if (!ok) {
        wps_error(r, 400, "sha256 wants 64 lower-case hex digits");
        return false;
    }
    *out = v;
    return true;
}

static bool
arg_enum(wps_req *r, const char *key, const char *const *names, int n, int *out)
{
    const char *v = wps_arg_get(r, key);
    if (v == NULL || v[0] == '\0')
        return true;
    for (int i = 0; i < n; i++) {
        if (names[i] != NULL && strcmp(v, names[i]) == 0) {
            *out = i;
            return true;
        }
    }
    wps_error(r, 400, "%s: unknown value", key);
    return false;
}

bool
wps_event_filter(wps_req *r, long long now, wp_event_filter *f)
{
    static const char *const verdicts[] = {"clean", "spam", "phishing", "malware", "targeted"};
    static const char *const dirs[] = {NULL, "inbound", "outbound"};
    wp_event_filter_init(f);
    long long sev = -1;
    int verdict = -1, dir = 0;
    bool ok = true;
    size_t limit = wps_arg_limit(r, &ok);
    ok = ok && wps_arg_time(r, "since", now, &f->since) &&
         wps_arg_time(r, "until", now, &f->until) && wps_arg_int(r, "severity", 0, 5, &sev) &&
         arg_enum(r, "verdict", verdicts, 5, &verdict) && arg_enum(r, "direction", dirs, 3, &dir) &&
         arg_text(r, "sender", 320, &f->sender) && arg_text(r, "recipient", 320, &f->recipient) &&
         arg_text(r, "subject", 200, &f->subject) && arg_text(r, "finding", 64, &f->finding_code) &&
         arg_sha256(r, &f->sha256) && wps_arg_cursor(r, &f->before_id);
    if (!ok)
        return false;
    if (f->since != 0 && f->until != 0 && f->since >= f->until) {
        wps_error(r, 400, "since must be before until");
        return false;
    }
    f->min_severity = (int)sev;
    f->verdict = verdict;
    f->direction = (wp_direction)dir;
    f->limit = limit;
    return true;
}

bool
wps_param_id(wps_req *r, const char *what, int64_t *id)
{
    const char *v = r->params[0];
    char *end = NULL;
    long long n = v != NULL && strlen(v) <= 18 ? strtoll(v, &end, 10) : 0;
    if (end == NULL || *end != '\0' || n <= 0) {
        wps_error(r, 404, "no such %s", what);
        return false;
    }
    *id = n;
    return true;
}

json_t *
wps_body_json(wps_req *r)
{
    if (r->body_len == 0) {
        json_t *o = json_object();
        if (o == NULL)
            wps_error(r, 500, "out of memory");
        return o;
    }
    json_error_t je;
    json_t *o = json_loadb((const char *)r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        wps_error(r, 400, "the body is not a JSON object (%s)", o == NULL ? je.text : "type");
        return NULL;
    }
    return o;
}
