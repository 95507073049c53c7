/*
 * fuzz_router.c - the request router and query readers of `watchpost serve` (src/serve/router.c):
 * wps_route_find(), wps_event_filter(), wps_arg_cursor(), wps_arg_time(), wps_arg_int(),
 * wps_arg_limit() and wps_body_json().
 *
 * Input, split here the way libmicrohttpd would hand the pieces over:
 *   line 1         METHOD SP PATH          (no space: all of it is the method, the path is "")
 *   lines 2..      key=value               (one query argument each; no '=': value ""), at
 *                                           most WPS_MAX_ARGS, more sets args_overflow
 *   an empty line, then the body (any bytes, for wps_body_json)
 * Every piece is its own exact-size heap copy, so ASan sees any read past its NUL.
 *
 * The request has conn == NULL: the answer functions (http.c) then only record r->status.
 * Invariants, beyond "no crash": every answer is a status in 400..599; each reader answers
 * exactly when it returns false (and then with 400; 500 only for wps_body_json out of memory);
 * what a reader accepts is inside its documented range; a found route has the method asked
 * for and its {} captures are non-empty, NUL-terminated, < 128 bytes, free of '/', and put
 * back into the pattern they give the path again; a path reported known under another method
 * is found with GET or POST (the only methods of the table).
 */
#include <limits.h>

#include "fuzz_common.h"

#include "serve/serve.h"

#define FZ_NOW     1795000000LL /* 2026-11-18: a fixed "now" keeps finds reproducible */
#define FZ_MAX_LEN 4096         /* longer inputs only slow the fuzzer down */

typedef struct fz_input {
    char *method, *path;
    char *keys[WPS_MAX_ARGS], *values[WPS_MAX_ARGS];
    size_t n;
    bool overflow;
    uint8_t *body;
    size_t body_len;
} fz_input;

static char *
dup_span(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        fz_die("out of memory", NULL);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* The next line of data[*pos..size) (without its '\n'); false at the end of the input. */
static bool
next_line(const uint8_t *data, size_t size, size_t *pos, const uint8_t **line, size_t *len)
{
    if (*pos >= size)
        return false;
    const uint8_t *start = data + *pos;
    const uint8_t *nl = memchr(start, '\n', size - *pos);
    *line = start;
    *len = nl != NULL ? (size_t)(nl - start) : size - *pos;
    *pos += *len + (nl != NULL ? 1 : 0);
    return true;
}

static void
split_input(const uint8_t *data, size_t size, fz_input *in)
{
    size_t pos = 0, len = 0;
    const uint8_t *line = NULL;
    memset(in, 0, sizeof *in);
    if (!next_line(data, size, &pos, &line, &len))
        len = 0;
    const uint8_t *sp = len > 0 ? memchr(line, ' ', len) : NULL;
    size_t mlen = sp != NULL ? (size_t)(sp - line) : len;
    in->method = dup_span(line != NULL ? line : data, mlen);
    in->path = sp != NULL ? dup_span(sp + 1, len - mlen - 1) : dup_span(data, 0);
    while (next_line(data, size, &pos, &line, &len) && len > 0) {
        if (in->n >= WPS_MAX_ARGS) {
            in->overflow = true;
            continue;
        }
        const uint8_t *eq = memchr(line, '=', len);
        size_t klen = eq != NULL ? (size_t)(eq - line) : len;
        in->keys[in->n] = dup_span(line, klen);
        in->values[in->n] = eq != NULL ? dup_span(eq + 1, len - klen - 1) : dup_span(line, 0);
        in->n++;
    }
    in->body_len = pos < size ? size - pos : 0;
    in->body = malloc(in->body_len + 1); /* never malloc(0): NULL would mean "no memory" */
    if (in->body == NULL)
        fz_die("out of memory", NULL);
    memcpy(in->body, data + pos, in->body_len);
}

static void
free_input(fz_input *in)
{
    for (size_t i = 0; i < in->n; i++) {
        free(in->keys[i]);
        free(in->values[i]);
    }
    free(in->method);
    free(in->path);
    free(in->body);
}

static void
fill_req(wps_req *r, const fz_input *in)
{
    memset(r, 0, sizeof *r);
    r->conn = NULL;
    r->method = in->method;
    r->path = in->path;
    for (size_t i = 0; i < in->n; i++) {
        r->args[i].key = in->keys[i];
        r->args[i].value = in->values[i];
    }
    r->n_args = in->n;
    r->args_overflow = in->overflow;
    r->body = in->body;
    r->body_len = in->body_len;
}

static void
clear_answer(wps_req *r)
{
    r->answered = false;
    r->status = 0;
}

/* A reader's contract: it answers (with want, 400) exactly when it returns false. */
static void
check_answer(const wps_req *r, bool ok, const char *what)
{
    if (r->answered && (r->status < 400 || r->status > 599))
        fz_die("INVARIANT answer status outside 400..599", what);
    if (ok && r->answered)
        fz_die("INVARIANT reader answered but returned true", what);
    if (!ok && !r->answered)
        fz_die("INVARIANT reader returned false without an answer", what);
    if (!ok && r->status != 400)
        fz_die("INVARIANT reader refused with a status other than 400", what);
}

/* The path rebuilt from the pattern and the captures. */
static void
check_captures(const wps_route *rt, const wps_req *r, const char *path)
{
    char rebuilt[1024];
    size_t n = 0, np = 0;
    for (const char *p = rt->pattern; *p != '\0'; p++) {
        const char *piece = p;
        size_t len = 1;
        if (p[0] == '{' && p[1] == '}') {
            if (np >= WPS_MAX_PARAMS || r->params[np] == NULL)
                fz_die("INVARIANT route capture missing", rt->pattern);
            piece = r->params[np++];
            len = strnlen(piece, sizeof r->param_buf[0]);
            if (len == 0 || len >= sizeof r->param_buf[0] || memchr(piece, '/', len) != NULL)
                fz_die("INVARIANT route capture empty, unterminated or with '/'", rt->pattern);
            p++;
        }
        if (n + len >= sizeof rebuilt)
            fz_die("INVARIANT route capture longer than the path allows", rt->pattern);
        memcpy(rebuilt + n, piece, len);
        n += len;
    }
    rebuilt[n] = '\0';
    if (strcmp(rebuilt, path) != 0)
        fz_die("INVARIANT route captures do not give the path back", path);
}

static void
check_route(const fz_input *in)
{
    wps_req r;
    fill_req(&r, in);
    bool known = true;
    const wps_route *rt = wps_route_find(in->method, in->path, &r, &known);
    if (r.answered)
        fz_die("INVARIANT wps_route_find answered", NULL);
    if (rt == NULL) {
        if (!known)
            return;
        bool found_other = false;
        static const char *const methods[] = {"GET", "POST"};
        for (size_t i = 0; i < 2 && !found_other; i++) {
            wps_req r2;
            fill_req(&r2, in);
            bool k2 = false;
            found_other = wps_route_find(methods[i], in->path, &r2, &k2) != NULL;
        }
        if (!found_other)
            fz_die("INVARIANT path known but under no method", in->path);
        return;
    }
    if (!known || strcmp(rt->method, in->method) != 0)
        fz_die("INVARIANT route found for another method or an unknown path", in->method);
    if (rt->fn == NULL || rt->min_role < -1 || rt->min_role > (int)WP_ROLE_ADMIN)
        fz_die("INVARIANT route without handler or with a bad role", rt->pattern);
    check_captures(rt, &r, in->path);
}

static void
check_filter(wps_req *r)
{
    wp_event_filter f;
    clear_answer(r);
    bool ok = wps_event_filter(r, FZ_NOW, &f);
    check_answer(r, ok, "wps_event_filter");
    if (!ok)
        return;
    if (f.limit < 1 || f.limit > 500 || f.min_severity < -1 || f.min_severity > 5 ||
        f.verdict < -1 || f.verdict > 4 || (int)f.direction < 0 || (int)f.direction > 2 ||
        f.before_id < 0)
        fz_die("INVARIANT event filter value out of range", NULL);
    if (f.since != 0 && f.until != 0 && f.since >= f.until)
        fz_die("INVARIANT event filter since >= until", NULL);
    if ((f.sender != NULL && strlen(f.sender) > 320) ||
        (f.recipient != NULL && strlen(f.recipient) > 320) ||
        (f.subject != NULL && strlen(f.subject) > 200) ||
        (f.finding_code != NULL && strlen(f.finding_code) > 64) ||
        (f.sha256 != NULL && strlen(f.sha256) != 64))
        fz_die("INVARIANT event filter text longer than its limit", NULL);
}

static void
check_readers(wps_req *r, const fz_input *in)
{
    int64_t cursor = -1;
    clear_answer(r);
    bool ok = wps_arg_cursor(r, &cursor);
    check_answer(r, ok, "wps_arg_cursor");
    if (ok && (cursor < 0 || cursor > 999999999999999999LL))
        fz_die("INVARIANT cursor out of range", NULL);

    /* the time and number readers on their usual keys and on the input's first key */
    const char *keys[] = {"since", "until", in->n > 0 ? in->keys[0] : "limit"};
    static const long long bounds[][2] = {{0, 5}, {1, 500}, {LLONG_MIN, LLONG_MAX}};
    for (size_t i = 0; i < 3; i++) {
        long long t = LLONG_MIN;
        clear_answer(r);
        ok = wps_arg_time(r, keys[i], FZ_NOW, &t);
        check_answer(r, ok, "wps_arg_time");
        long long n = LLONG_MIN;
        clear_answer(r);
        ok = wps_arg_int(r, keys[i], bounds[i][0], bounds[i][1], &n);
        check_answer(r, ok, "wps_arg_int");
        if (ok && n != LLONG_MIN && (n < bounds[i][0] || n > bounds[i][1]))
            fz_die("INVARIANT wps_arg_int accepted a number outside its bounds", keys[i]);
    }
    clear_answer(r);
    size_t limit = wps_arg_limit(r, &ok);
    check_answer(r, ok, "wps_arg_limit");
    if (ok && (limit < 1 || limit > 500))
        fz_die("INVARIANT limit outside 1..500", NULL);
}

static void
check_body(wps_req *r)
{
    clear_answer(r);
    json_t *o = wps_body_json(r);
    if (r->answered && (r->status < 400 || r->status > 599))
        fz_die("INVARIANT answer status outside 400..599", "wps_body_json");
    if (o == NULL && !(r->answered && (r->status == 400 || r->status == 500)))
        fz_die("INVARIANT wps_body_json failed without a 400/500", NULL);
    if (o != NULL && (r->answered || !json_is_object(o)))
        fz_die("INVARIANT wps_body_json gave a non-object or answered too", NULL);
    json_decref(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FZ_MAX_LEN)
        return 0;
    fz_input in;
    split_input(data, size, &in);
    check_route(&in);
    wps_req r;
    fill_req(&r, &in);
    check_filter(&r);
    check_readers(&r, &in);
    check_body(&r);
    free_input(&in);
    return 0;
}
