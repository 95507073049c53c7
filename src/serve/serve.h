/*
 * serve.h - `watchpost serve`: the analysts' REST API and dashboard over libmicrohttpd.
 *
 * One more thin front end on libwatchpost (docs/API.md, docs/SERVE.md). The pieces:
 *   daemon.c    start-up: TLS material, the listening daemon, privilege drop, signals
 *   http.c      the request cycle: limits, body, authentication, routing, answers
 *   router.c    the route table and the query-string readers (fuzzed: fuzz_router)
 *   auth.c      passwords (Argon2id), sessions, API tokens, CSRF, login rate limits
 *   tls.c       a self-signed certificate when none is configured
 *   api_*.c     one file per resource; handlers see a wps_req and the store API only
 *   assets.c    the dashboard's files, embedded at build time (tools/embed_assets.cmake)
 * Handlers never touch SQL: they call the store's public API (watchpost/store.h,
 * watchpost/access.h), which is what a second backend (PostgreSQL) implements.
 */
#ifndef WATCHPOST_SERVE_H
#define WATCHPOST_SERVE_H

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watchpost/access.h"
#include "watchpost/engine.h"
#include "watchpost/hunt.h"
#include "watchpost/store.h"

typedef struct wps_config {
    const char *listen;     /* "HOST:PORT", "[v6]:PORT" */
    const char *db, *spool; /* the store */
    const char *cert, *key; /* PEM files; NULL: self-signed, kept in tls_dir */
    const char *tls_dir;    /* where a generated pair is kept (the store's directory) */
    const char *user;       /* run as this user when started as root */
    const char *release_smtp;
    bool insecure_http; /* plain HTTP, loopback only */
    unsigned threads;   /* worker threads; 0: one per CPU */
    unsigned max_connections, per_ip_connections, timeout_s;
    size_t max_header_bytes, max_body_bytes, max_scan_bytes;
    long session_idle_s, session_max_s;
    unsigned login_attempts; /* failures per account and per address in 15 minutes */
    wp_engine *engine;       /* for POST /api/v1/scan; NULL: the endpoint answers 503 */
} wps_config;

void wps_config_init(wps_config *c);

/* Runs until SIGTERM/SIGINT. Returns a process exit status. */
int wps_run(const wps_config *c);

/* ---- one request ---- */

#define WPS_MAX_ARGS   32
#define WPS_MAX_PARAMS 2

typedef struct wps_arg {
    const char *key, *value;
} wps_arg;

typedef struct wps_req {
    struct MHD_Connection *conn;
    const wps_config *cfg;
    const char *method, *path;
    char address[64]; /* the client's address, for the audit log and rate limits */
    wps_arg args[WPS_MAX_ARGS];
    size_t n_args;
    bool args_overflow;
    const char *params[WPS_MAX_PARAMS]; /* {id} segments of the matched route */
    char param_buf[2][128];
    uint8_t *body;
    size_t body_len;
    bool body_too_large;
    /* who is asking: set by authentication */
    bool authed, via_token;
    wp_session_info who;
    char session_hash[65];
    /* the answer */
    char extra_header[2][160]; /* one more header (Set-Cookie, Retry-After): name, value */
    unsigned status;
    bool answered;
    double started;
} wps_req;

/* The calling thread's store (opened on first use, one connection per worker thread), or
 * NULL after answering 503 itself. */
wp_store *wps_store(wps_req *r);
/* The calling thread's scanner for POST /scan (NULL when the engine is absent). */
wp_scanner *wps_scanner(wps_req *r);

/* Answers. Each queues exactly one response; the first one wins. */
void wps_json(wps_req *r, unsigned status, json_t *body); /* takes the reference */
/* A page of a list: {"items": items, "next_cursor": "<last_id>" when more, else null}. */
void wps_page(wps_req *r, json_t *items, bool more, long long last_id);
void wps_error(wps_req *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The store said no: 404 for an unknown object, 409 for one whose state does not allow the
 * request, `other` for anything else; err (or the status's name) is the message. */
void wps_store_refused(wps_req *r, wp_status st, const char *err, unsigned other);
/* A JSON string, or null for NULL. */
json_t *wps_json_str(const char *s);
void wps_raw(wps_req *r, unsigned status, const char *type, const void *data, size_t len,
             const char *disposition);
/* One more header on the answer (Set-Cookie, Retry-After); before answering. */
void wps_set_header(wps_req *r, const char *name, const char *value);
/* An argument of the query string, or NULL. */
const char *wps_arg_get(const wps_req *r, const char *key);

/* A state-changing action in the audit log; result "ok" or the reason it failed. */
void wps_audit(wps_req *r, const char *action, const char *object, const char *reason,
               const char *result);

/* ---- routing (router.c) ---- */

typedef void (*wps_handler)(wps_req *r);

typedef struct wps_route {
    const char *method;  /* "GET", "POST" */
    const char *pattern; /* "/api/v1/events/{}" : {} is one path segment */
    wps_handler fn;
    int min_role; /* -1: no authentication, else a wp_role */
} wps_route;

/* The route for method and path, with the {} segments copied into r->params; NULL when none
 * matches. *path_known is set when the path exists under another method (405, not 404). */
const wps_route *wps_route_find(const char *method, const char *path, wps_req *r, bool *path_known);

/* Query readers: false (and an answer of 400 sent) on a bad value. */
bool wps_arg_int(wps_req *r, const char *key, long long lo, long long hi, long long *out);
bool wps_arg_time(wps_req *r, const char *key, long long now, long long *out);
bool wps_arg_cursor(wps_req *r, int64_t *before_id);
size_t wps_arg_limit(wps_req *r, bool *ok);
/* The filter of GET /api/v1/events from the query; false (400 sent) on a bad value. */
bool wps_event_filter(wps_req *r, long long now, wp_event_filter *f);
/* The numeric {id} of the path (1..10^18), or false with a 404 naming what. */
bool wps_param_id(wps_req *r, const char *what, int64_t *id);
/* The JSON body as an object, or NULL (400 sent). */
json_t *wps_body_json(wps_req *r);

/* ---- authentication (auth.c) ---- */

/* libsodium and the dummy hash of unknown users; false when no random source */
bool wps_auth_init(void);
/* Authenticates from the Bearer token or the session cookie; false when neither is valid. */
bool wps_authenticate(wps_req *r);
/* A session-authenticated request that changes state carries the right CSRF token. */
bool wps_csrf_ok(const wps_req *r);
/* Argon2id string of password (false when out of memory). */
bool wps_password_hash(const char *password, char *out, size_t cap);
/* "wpt_..." token and its hash; "<32 random bytes hex>" session id, its hash, a CSRF token. */
void wps_new_secret(const char *prefix, char *token, size_t cap, char hash[65]);
void wps_sha256_hex(const char *s, char out[65]);
/* Login rate limit: false when account or address is locked out; *retry_after seconds. */
bool wps_login_allowed(const char *user, const char *address, unsigned max, long *retry_after);
void wps_login_failed(const char *user, const char *address);
void wps_login_succeeded(const char *user, const char *address);

/* ---- handlers ---- */
json_t *wps_quarantine_entry_json(const wp_quarantine_entry *q);
void wps_api_login(wps_req *r);
void wps_api_logout(wps_req *r);
void wps_api_me(wps_req *r);
void wps_api_events(wps_req *r);
void wps_api_event(wps_req *r);
void wps_api_quarantine(wps_req *r);
void wps_api_quarantine_raw(wps_req *r);
void wps_api_quarantine_release(wps_req *r);
void wps_api_quarantine_delete(wps_req *r);
void wps_api_incidents(wps_req *r);
void wps_api_incident(wps_req *r);
void wps_api_incident_ack(wps_req *r);
void wps_api_incident_close(wps_req *r);
void wps_api_stats(wps_req *r);
void wps_api_scan(wps_req *r);
void wps_api_audit(wps_req *r);
void wps_api_healthz(wps_req *r);
void wps_api_metrics(wps_req *r);
void wps_api_openapi(wps_req *r);
void wps_static(wps_req *r);
void wps_api_stream(wps_req *r);

/* live updates (stream.c): the broadcaster thread, started after the daemon and stopped
 * before it; the security and event-stream headers of its responses (http.c) */
void wps_stream_start(const wps_config *cfg);
void wps_stream_stop(void);
void wps_stream_free(void); /* after MHD_stop_daemon */
void wps_stream_headers(struct MHD_Response *resp);
/* administration (api_admin.c) */
void wps_api_users(wps_req *r);
void wps_api_user_create(wps_req *r);
void wps_api_user_disable(wps_req *r);
void wps_api_user_enable(wps_req *r);
void wps_api_user_password(wps_req *r);
void wps_api_user_role(wps_req *r);
void wps_api_tokens(wps_req *r);
void wps_api_token_create(wps_req *r);
void wps_api_token_revoke(wps_req *r);
void wps_api_hunt(wps_req *r);
/* One hunt group as the API (and `watchpost hunt --json`) prints it; NULL when out of memory. */
json_t *wps_hunt_item_json(const wp_hunt_item *it);

/* libmicrohttpd's callbacks (http.c) */
enum MHD_Result wps_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                           const char *version, const char *upload, size_t *upload_size,
                           void **con_cls);
void wps_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                   enum MHD_RequestTerminationCode toe);

/* metrics kept by http.c, read by wps_api_metrics */
void wps_metrics_request(unsigned status, double seconds);
void wps_metrics_text(char **out, size_t *len);

/* ---- embedded assets (assets.c, generated) ---- */
typedef struct wps_asset {
    const char *name;   /* "app.js" */
    const char *hashed; /* "app.3f9c0a1b.js" */
    const char *type;   /* MIME type */
    const unsigned char *data;
    size_t len;
} wps_asset;
extern const wps_asset wps_assets[];
extern const size_t wps_n_assets;

#endif
