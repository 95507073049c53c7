/*
 * ar.c - a bounded parser of Authentication-Results values (RFC 8601 section 2.2).
 *
 *   value     = [CFWS] authserv-id [CFWS version] ( "; none" / 1*( ";" resinfo ) )
 *   resinfo   = method [ "/" version ] "=" result [comment] *( ptype "." property "=" pvalue )
 *
 * The value comes from a hostile message, so everything is bounded: the value length
 * (AUTH_MAX_AR_BYTES), comment nesting (8), results kept (AUTH_MAX_RESINFO) and properties
 * kept per result (8). Every string of the result is copied into one buffer that the caller
 * frees with auth_ar_free(). A value that does not follow the grammar is refused as a whole:
 * a half-understood result header is not evidence.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "auth_int.h"

#define MAX_COMMENT_DEPTH 8

typedef struct parser {
    const char *p, *end;
    char *out; /* next free byte of the string buffer */
    char *out_end;
    const char *why;
} parser;

static bool
fail(parser *ps, const char *why)
{
    if (ps->why == NULL)
        ps->why = why;
    return false;
}

/* Copy [s, s+n) into the string buffer, lower-cased when asked. */
static const char *
keep(parser *ps, const char *s, size_t n, bool lower)
{
    if ((size_t)(ps->out_end - ps->out) < n + 1)
        return NULL; /* cannot happen: the buffer is as large as the input plus slack */
    char *d = ps->out;
    for (size_t i = 0; i < n; i++)
        d[i] = lower ? (char)tolower((unsigned char)s[i]) : s[i];
    d[n] = '\0';
    ps->out += n + 1;
    return d;
}

/* Skip folding white space and comments; the text of the first comment goes to *comment. */
static bool
skip_cfws(parser *ps, const char **comment)
{
    for (;;) {
        while (ps->p < ps->end &&
               (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' || *ps->p == '\n'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p != '(')
            return true;
        const char *start = ++ps->p;
        int depth = 1;
        while (ps->p < ps->end && depth > 0) {
            char c = *ps->p++;
            if (c == '\\' && ps->p < ps->end)
                ps->p++;
            else if (c == '(' && ++depth > MAX_COMMENT_DEPTH)
                return fail(ps, "comments nested too deeply");
            else if (c == ')')
                depth--;
        }
        if (depth > 0)
            return fail(ps, "unterminated comment");
        if (comment != NULL && *comment == NULL)
            *comment = keep(ps, start, (size_t)(ps->p - 1 - start), false);
    }
}

static bool
is_token_char(char c, bool allow_eq)
{
    unsigned char u = (unsigned char)c;
    if (u <= ' ' || u == 0x7f || c == '(' || c == ')' || c == ';' || c == '"')
        return false;
    return allow_eq || c != '=';
}

/* A token, or a quoted string when quoted_ok. */
static const char *
value(parser *ps, bool allow_eq, bool quoted_ok, bool lower)
{
    if (ps->p < ps->end && *ps->p == '"') {
        if (!quoted_ok) {
            fail(ps, "unexpected quoted string");
            return NULL;
        }
        const char *s = ++ps->p;
        char *d = ps->out, *start = d;
        while (ps->p < ps->end && *ps->p != '"') {
            if (*ps->p == '\\' && ps->p + 1 < ps->end)
                ps->p++;
            if (d + 1 >= ps->out_end)
                return NULL;
            *d++ = lower ? (char)tolower((unsigned char)*ps->p) : *ps->p;
            ps->p++;
        }
        (void)s;
        if (ps->p >= ps->end) {
            fail(ps, "unterminated quoted string");
            return NULL;
        }
        ps->p++;
        *d++ = '\0';
        ps->out = d;
        return start;
    }
    const char *s = ps->p;
    while (ps->p < ps->end && is_token_char(*ps->p, allow_eq))
        ps->p++;
    if (ps->p == s) {
        fail(ps, "expected a word");
        return NULL;
    }
    return keep(ps, s, (size_t)(ps->p - s), lower);
}

static bool
expect(parser *ps, char c, const char *why)
{
    if (ps->p >= ps->end || *ps->p != c)
        return fail(ps, why);
    ps->p++;
    return true;
}

static bool
is_keyword(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return false;
    return true;
}

/* method [/version] = result [comment] props... up to the next ';' or the end. */
static bool
resinfo(parser *ps, auth_ar_result *r)
{
    const char *method = value(ps, false, false, true);
    if (method == NULL)
        return fail(ps, "missing method");
    /* "dkim/1": the slash is a token character, so the version arrives with the method */
    char *slash = strchr(method, '/');
    if (slash != NULL)
        *slash = '\0';
    if (!is_keyword(method))
        return fail(ps, "method is not a keyword");
    if (!skip_cfws(ps, NULL))
        return false;
    if (ps->p < ps->end && *ps->p == '/') { /* "dkim / 1" */
        ps->p++;
        if (!skip_cfws(ps, NULL) || value(ps, false, false, false) == NULL || !skip_cfws(ps, NULL))
            return fail(ps, "bad method version");
    }
    if (!expect(ps, '=', "missing '=' after the method") || !skip_cfws(ps, NULL))
        return false;
    const char *result = value(ps, false, false, true);
    if (result == NULL || !is_keyword(result))
        return fail(ps, "missing result");
    r->method = method;
    r->result = result;
    r->comment = NULL;
    r->n_props = 0;
    if (!skip_cfws(ps, &r->comment))
        return false;
    while (ps->p < ps->end && *ps->p != ';') {
        const char *key = value(ps, false, false, true);
        if (key == NULL)
            return fail(ps, "expected a property");
        if (!skip_cfws(ps, NULL) || !expect(ps, '=', "missing '=' after a property") ||
            !skip_cfws(ps, NULL))
            return false;
        const char *val = value(ps, true, true, false);
        if (val == NULL)
            return fail(ps, "missing property value");
        if (strcmp(key, "reason") != 0 && strchr(key, '.') == NULL)
            return fail(ps, "property without ptype");
        if (r->n_props < sizeof(r->props) / sizeof(r->props[0]))
            r->props[r->n_props++] = (auth_ar_prop){key, val};
        if (!skip_cfws(ps, r->comment == NULL ? &r->comment : NULL))
            return false;
    }
    return true;
}

bool
auth_ar_parse(const char *v, size_t len, auth_ar *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    *why = NULL;
    if (len > AUTH_MAX_AR_BYTES) {
        *why = "longer than 8192 bytes";
        return false;
    }
    /* each input byte yields at most one output byte plus a NUL per string */
    size_t cap = 2 * len + 16;
    if ((out->buf = malloc(cap)) == NULL) {
        *why = "out of memory";
        return false;
    }
    parser ps = {v, v + len, out->buf, out->buf + cap, NULL};
    bool ok = skip_cfws(&ps, NULL);
    if (ok && (out->authserv_id = value(&ps, false, true, true)) == NULL)
        ok = fail(&ps, "missing authserv-id");
    ok = ok && skip_cfws(&ps, NULL);
    if (ok && ps.p < ps.end && isdigit((unsigned char)*ps.p)) { /* authres-version */
        while (ps.p < ps.end && isdigit((unsigned char)*ps.p))
            ps.p++;
        ok = skip_cfws(&ps, NULL);
    }
    if (ok && ps.p >= ps.end)
        ok = fail(&ps, "no result");
    while (ok && ps.p < ps.end) {
        if (!expect(&ps, ';', "expected ';'") || !skip_cfws(&ps, NULL)) {
            ok = false;
            break;
        }
        if (ps.p >= ps.end)
            break; /* a trailing ';' is tolerated */
        if (ps.end - ps.p >= 4 && strncasecmp(ps.p, "none", 4) == 0 && out->n_res == 0) {
            const char *save = ps.p;
            ps.p += 4;
            if (skip_cfws(&ps, NULL) && ps.p >= ps.end) {
                out->none = true;
                break;
            }
            ps.p = save;
            ps.why = NULL;
        }
        auth_ar_result tmp;
        auth_ar_result *r = out->n_res < AUTH_MAX_RESINFO ? &out->res[out->n_res] : &tmp;
        if (!resinfo(&ps, r)) {
            ok = false;
            break;
        }
        if (r != &tmp)
            out->n_res++;
    }
    if (ok && out->n_res == 0 && !out->none)
        ok = fail(&ps, "no result");
    if (!ok)
        *why = ps.why != NULL ? ps.why : "does not parse";
    return ok;
}

void
auth_ar_free(auth_ar *ar)
{
    free(ar->buf);
    ar->buf = NULL;
}

const char *
auth_ar_prop_get(const auth_ar_result *r, const char *key)
{
    for (size_t i = 0; i < r->n_props; i++)
        if (strcmp(r->props[i].key, key) == 0)
            return r->props[i].value;
    return NULL;
}
