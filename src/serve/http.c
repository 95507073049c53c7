/*
 * http.c - one request from its first byte to its answer.
 *
 * libmicrohttpd calls the access handler several times per request: first with the
 * headers, then once per chunk of body, then with no more data. The body is gathered into
 * a buffer capped by serve.max_body_bytes (serve.max_scan_bytes for POST /api/v1/scan); a
 * Content-Length above the cap is refused before a byte of it is read (413). Header bytes
 * are capped by libmicrohttpd itself (MHD_OPTION_CONNECTION_MEMORY_LIMIT: 431), connections
 * per address and the idle timeout likewise (daemon.c).
 *
 * Then: the route (404/405), authentication (401), the role (403), the CSRF token for a
 * state-changing request made with the session cookie (403), and the handler. Every answer
 * carries the security headers; JSON above 1 KiB is gzip-compressed when the client says it
 * accepts it.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "serve.h"

static const char *const security_headers[][2] = {
    {"Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                                "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
};

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* gzip of data when it pays and the client accepts it; NULL otherwise */
static uint8_t *
maybe_gzip(wps_req *r, const void *data, size_t len, size_t *zlen)
{
    const char *ae = r->conn != NULL ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                                   MHD_HTTP_HEADER_ACCEPT_ENCODING)
                                     : NULL;
    if (len < 1024 || ae == NULL || strstr(ae, "gzip") == NULL)
        return NULL;
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)len);
    uint8_t *out = malloc(cap);
    if (out == NULL) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)data; /* zlib's next_in is not const, deflate only reads it */
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *zlen = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static void
security_headers_on(struct MHD_Response *resp)
{
    for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++)
        (void)MHD_add_response_header(resp, security_headers[i][0], security_headers[i][1]);
}

void
wps_stream_headers(struct MHD_Response *resp)
{
    security_headers_on(resp);
    (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    (void)MHD_add_response_header(resp, "X-Accel-Buffering", "no");
}

/* Queues data (copied) with the security headers. */
static void
answer(wps_req *r, unsigned status, const char *type, const void *data, size_t len,
       const char *disposition, bool may_gzip)
{
    if (r->answered)
        return;
    r->answered = true;
    r->status = status;
    if (r->conn == NULL)
        return; /* fuzzing: the status is the answer */
    size_t zlen = 0;
    uint8_t *z = may_gzip ? maybe_gzip(r, data, len, &zlen) : NULL;
    struct MHD_Response *resp =
        z != NULL ? MHD_create_response_from_buffer(zlen, z, MHD_RESPMEM_MUST_FREE)
                  : MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) {
        free(z);
        return;
    }
    security_headers_on(resp);
    (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (z != NULL)
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (may_gzip)
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (disposition != NULL)
        (void)MHD_add_response_header(resp, "Content-Disposition", disposition);
    if (strncmp(r->path, "/static/", 8) != 0)
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == 401 && !r->via_token) {
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                      "Bearer realm=\"watchpost\"");
    }
    if (r->extra_header[0][0] != '\0')
        (void)MHD_add_response_header(resp, r->extra_header[0], r->extra_header[1]);
    (void)MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
}

void
wps_json(wps_req *r, unsigned status, json_t *body)
{
    char *s = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    if (s == NULL) {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        answer(r, 500, "application/json", oom, sizeof oom - 1, NULL, false);
        return;
    }
    answer(r, status, "application/json", s, strlen(s), NULL, true);
    free(s);
}

/* Length of the valid UTF-8 sequence at p (as jansson checks it: no overlong form, no
 * surrogate, nothing above U+10FFFF), 0 when there is none. */
static size_t
utf8_len(const unsigned char *p)
{
    size_t n;
    uint32_t min;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        min = 0x80;
    } else if ((p[0] & 0xf0) == 0xe0) {
        n = 3;
        min = 0x800;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    uint32_t cp = p[0] & (0x7fU >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = cp << 6 | (p[i] & 0x3fU);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void
wps_page(wps_req *r, json_t *items, bool more, long long last_id)
{
    json_t *next = json_null();
    if (more) {
        char c[24];
        (void)snprintf(c, sizeof c, "%lld", last_id);
        json_decref(next);
        next = json_string(c);
    }
    wps_json(r, 200, json_pack("{s:o,s:o}", "items", items, "next_cursor", next));
}

void
wps_error(wps_req *r, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->answered)
        return;
    /* The message may quote the client's bytes (a query key) and may be cut inside a
     * character; jansson refuses invalid UTF-8, which turned a 400 into a 500 "out of
     * memory" (found by fuzz_router). Each stray byte becomes '?'. */
    for (unsigned char *p = (unsigned char *)msg; *p != '\0';) {
        size_t n = utf8_len(p);
        if (n == 0) {
            *p++ = '?';
        } else {
            p += n;
        }
    }
    wps_json(r, status, json_pack("{s:s}", "error", msg));
}

void
wps_store_refused(wps_req *r, wp_status st, const char *err, unsigned other)
{
    unsigned status = st == WP_ENOTFOUND ? 404 : st == WP_EINVAL ? 409 : other;
    wps_error(r, status, "%s", err != NULL && err[0] != '\0' ? err : wp_strerror(st));
}

json_t *
wps_json_str(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

void
wps_raw(wps_req *r, unsigned status, const char *type, const void *data, size_t len,
        const char *disposition)
{
    answer(r, status, type, data, len, disposition, false);
}

void
wps_set_header(wps_req *r, const char *name, const char *value)
{
    (void)snprintf(r->extra_header[0], sizeof r->extra_header[0], "%s", name);
    (void)snprintf(r->extra_header[1], sizeof r->extra_header[1], "%s", value);
}

void
wps_audit(wps_req *r, const char *action, const char *object, const char *reason,
          const char *result)
{
    wp_store *s = wps_store(r);
    if (s == NULL)
        return;
    wp_audit_entry e = {.user = r->authed ? r->who.user : NULL,
                        .address = r->address,
                        .action = action,
                        .object = object,
                        .reason = reason,
                        .result = result};
    char err[256];
    (void)wp_store_audit(s, &e, err, sizeof err);
}

/* ---- per-thread store and scanner ---- */

static pthread_key_t store_key, scanner_key;
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void
close_store(void *p)
{
    wp_store_close(p);
}

static void
free_scanner(void *p)
{
    wp_scanner_free(p);
}

static void
make_keys(void)
{
    (void)pthread_key_create(&store_key, close_store);
    (void)pthread_key_create(&scanner_key, free_scanner);
}

wp_store *
wps_store(wps_req *r)
{
    (void)pthread_once(&keys_once, make_keys);
    wp_store *s = pthread_getspecific(store_key);
    if (s != NULL)
        return s;
    wp_store_config sc;
    wp_store_config_init(&sc);
    sc.db_path = r->cfg->db;
    sc.spool_dir = r->cfg->spool;
    char err[512] = "";
    if (wp_store_open(&sc, &s, err, sizeof err) != WP_OK) {
        wps_error(r, 503, "the store cannot be opened");
        return NULL;
    }
    (void)pthread_setspecific(store_key, s);
    return s;
}

wp_scanner *
wps_scanner(wps_req *r)
{
    if (r->cfg->engine == NULL)
        return NULL;
    (void)pthread_once(&keys_once, make_keys);
    wp_scanner *sc = pthread_getspecific(scanner_key);
    if (sc == NULL && wp_scanner_new(r->cfg->engine, &sc) == WP_OK)
        (void)pthread_setspecific(scanner_key, sc);
    return sc;
}

/* ---- metrics ---- */

static const double buckets_s[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define N_BUCKETS (sizeof buckets_s / sizeof buckets_s[0])
static struct {
    pthread_mutex_t mu;
    uint64_t by_class[6]; /* 1xx..5xx */
    uint64_t hist[N_BUCKETS + 1];
    double sum;
    uint64_t count;
} metrics = {.mu = PTHREAD_MUTEX_INITIALIZER};

void
wps_metrics_request(unsigned status, double seconds)
{
    pthread_mutex_lock(&metrics.mu);
    metrics.by_class[status / 100 < 6 ? status / 100 : 5]++;
    size_t b = 0;
    while (b < N_BUCKETS && seconds > buckets_s[b])
        b++;
    metrics.hist[b]++;
    metrics.sum += seconds;
    metrics.count++;
    pthread_mutex_unlock(&metrics.mu);
}

void
wps_metrics_text(char **out, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (f == NULL) {
        *out = NULL;
        return;
    }
    pthread_mutex_lock(&metrics.mu);
    (void)fprintf(f, "# HELP watchpost_http_requests_total HTTP requests answered, by status "
                     "class.\n# TYPE watchpost_http_requests_total counter\n");
    for (int c = 1; c < 6; c++) {
        (void)fprintf(f, "watchpost_http_requests_total{code=\"%dxx\"} %llu\n", c,
                      (unsigned long long)metrics.by_class[c]);
    }
    (void)fprintf(f, "# HELP watchpost_http_request_duration_seconds Time to answer.\n"
                     "# TYPE watchpost_http_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        cum += metrics.hist[b];
        (void)fprintf(f, "watchpost_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                      buckets_s[b], (unsigned long long)cum);
    }
    cum += metrics.hist[N_BUCKETS];
    (void)fprintf(f,
                  "watchpost_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                  "watchpost_http_request_duration_seconds_sum %.6f\n"
                  "watchpost_http_request_duration_seconds_count %llu\n",
                  (unsigned long long)cum, metrics.sum, (unsigned long long)metrics.count);
    pthread_mutex_unlock(&metrics.mu);
    (void)fclose(f);
    *out = buf;
}

/* ---- the access handler ---- */

typedef struct conn_state {
    wps_req req;
    uint8_t *buf;
    size_t len, cap, max;
} conn_state;

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    wps_req *r = cls;
    if (r->n_args >= WPS_MAX_ARGS) {
        r->args_overflow = true;
        return MHD_NO;
    }
    r->args[r->n_args].key = key;
    r->args[r->n_args].value = value != NULL ? value : "";
    r->n_args++;
    return MHD_YES;
}

static void
client_address(struct MHD_Connection *c, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    char host[64] = "";
    if (sa->sa_family == AF_INET) {
        (void)inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, host,
                        sizeof host);
    } else if (sa->sa_family == AF_INET6) {
        (void)inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, host,
                        sizeof host);
    }
    (void)snprintf(out, cap, "%s", host);
}

/* Runs the request once the body is complete. */
static void
dispatch(wps_req *r)
{
    if (r->args_overflow) {
        wps_error(r, 400, "more than %d query parameters", WPS_MAX_ARGS);
        return;
    }
    if (r->body_too_large) {
        wps_error(r, 413, "the body is larger than this endpoint accepts");
        return;
    }
    bool known = false;
    const wps_route *rt = wps_route_find(r->method, r->path, r, &known);
    if (rt == NULL) {
        if (known) {
            wps_error(r, 405, "%s is not allowed here", r->method);
        } else {
            wps_error(r, 404, "no such page");
        }
        return;
    }
    if (rt->min_role >= 0) {
        if (!wps_authenticate(r)) {
            wps_error(r, 401, "log in first (or send a Bearer token)");
            return;
        }
        if ((int)r->who.role < rt->min_role) {
            wps_error(r, 403, "this needs the %s role", wp_role_name((wp_role)rt->min_role));
            return;
        }
        if (strcmp(r->method, "GET") != 0 && !wps_csrf_ok(r)) {
            wps_error(r, 403, "missing or wrong X-CSRF-Token");
            return;
        }
    }
    rt->fn(r);
    if (!r->answered)
        wps_error(r, 500, "no answer");
}

static size_t
body_cap(const wps_config *cfg, const char *path)
{
    return strcmp(path, "/api/v1/scan") == 0 ? cfg->max_scan_bytes : cfg->max_body_bytes;
}

enum MHD_Result
wps_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    const wps_config *cfg = cls;
    conn_state *cs = *con_cls;
    if (cs == NULL) {
        cs = calloc(1, sizeof(*cs));
        if (cs == NULL)
            return MHD_NO;
        *con_cls = cs;
        wps_req *r = &cs->req;
        r->conn = c;
        r->cfg = cfg;
        r->method = method;
        r->path = url;
        r->started = now_s();
        client_address(c, r->address, sizeof r->address);
        (void)MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, r);
        cs->max = body_cap(cfg, url);
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > cs->max) {
            r->body_too_large = true;
            dispatch(r); /* 413 before reading the body */
        }
        return MHD_YES;
    }
    wps_req *r = &cs->req;
    if (*upload_size > 0) {
        if (!r->answered && !r->body_too_large) {
            if (cs->len + *upload_size > cs->max) {
                r->body_too_large = true;
                free(cs->buf);
                cs->buf = NULL;
                cs->len = 0;
            } else {
                if (cs->len + *upload_size > cs->cap) {
                    size_t ncap = cs->cap ? cs->cap : 4096;
                    while (ncap < cs->len + *upload_size)
                        ncap *= 2;
                    uint8_t *nb = realloc(cs->buf, ncap);
                    if (nb == NULL)
                        return MHD_NO;
                    cs->buf = nb;
                    cs->cap = ncap;
                }
                memcpy(cs->buf + cs->len, upload, *upload_size);
                cs->len += *upload_size;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (!r->answered) {
        r->body = cs->buf;
        r->body_len = cs->len;
        dispatch(r);
    }
    return MHD_YES;
}

void
wps_completed(void *cls, struct MHD_Connection *c, void **con_cls,
              enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    conn_state *cs = *con_cls;
    if (cs == NULL)
        return;
    if (cs->req.answered)
        wps_metrics_request(cs->req.status, now_s() - cs->req.started);
    free(cs->buf);
    free(cs);
    *con_cls = NULL;
}
