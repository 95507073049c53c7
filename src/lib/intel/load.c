/*
 * load.c - reading indicator files into a set.
 *
 * Formats (docs/INDICATORS.md), decided by the first line that is neither blank nor a
 * "#" comment:
 *   CSV, typed    a header with a "value" (or "indicator", "ioc") column and optionally a
 *                 "type" column (MISP exports: uuid,event_id,category,type,value,...); each
 *                 row's type names its kind ("" or "auto": inferred), composite MISP types
 *                 ("filename|md5", "ip-dst|port") take the parts they can match;
 *   CSV, columns  a header naming columns by type ("md5, sha1, sha256"; abuse.ch Feodo's
 *                 quoted "first_seen_utc","dst_ip",...): every non-empty cell of such a
 *                 column is an indicator of that type;
 *   plain list    anything else: one indicator per line, its type inferred, "# ..." after
 *                 it a comment. The first line is then data like the others.
 * A "source", "feed", "event_info" or "malware" column labels its row's indicators.
 *
 * Bad lines (unknown type, bad CIDR, bad hex length, empty value, overlong) are skipped and
 * counted; the first few go to the error callback as file and line. The load fails, and the
 * set is rolled back to what it was, when the file cannot be read, holds no valid indicator,
 * or would take the set past max_indicators. The file is read in 64 KiB blocks, so loading
 * costs no memory beyond one line (max_line_bytes) and the set itself.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "names.h"
#include "set.h"

#define MAX_FIELDS 64
#define MAX_PARTS  4 /* parts of a composite MISP type */

typedef enum { MODE_UNDECIDED, MODE_PLAIN, MODE_TYPED, MODE_COLUMNS } load_mode;

typedef struct field {
    const char *p;
    size_t n;
} field;

typedef struct loader {
    wp_intel_set *set;
    const char *name;
    uint32_t file, file_label;
    unsigned long lineno;
    load_mode mode;
    int type_col, value_col, source_col, ncols;
    intel_kind col_kind[MAX_FIELDS];
    char *carry; /* a line split across reads */
    size_t carry_len;
    bool too_long;
    char *scratch; /* unquoted CSV fields of the current line */
    bool line_bad; /* the current line already counted as bad */
    wp_intel_load_stats st;
    wp_status fatal;
    char *err;
    size_t errlen;
    char first_bad[600];
} loader;

/* ---- reporting ---- */

/* A hostile value, quoted for a message: printable ASCII as is, the rest as \xHH, cut. */
static void
esc(const char *v, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)v[i];
        if (i >= 60) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    }
    out[o] = '\0';
}

static void bad(loader *L, const char *fmt, ...) WP_PRINTF(2, 3);

/* The current line is bad: count it once, tell the first few. */
static void
bad(loader *L, const char *fmt, ...)
{
    if (L->line_bad)
        return;
    L->line_bad = true;
    L->st.bad++;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (L->st.bad == 1)
        snprintf(L->first_bad, sizeof L->first_bad, "line %lu: %s", L->lineno, msg);
    if (L->set->opt.on_error != NULL && L->st.bad <= L->set->opt.max_messages)
        L->set->opt.on_error(L->set->opt.ctx, L->name, L->lineno, msg);
}

static void fail(loader *L, wp_status st, const char *fmt, ...) WP_PRINTF(3, 4);

static void
fail(loader *L, wp_status st, const char *fmt, ...)
{
    if (L->fatal != WP_OK)
        return;
    L->fatal = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->err, L->errlen, fmt, ap);
    va_end(ap);
}

/* ---- values ---- */

static void
trim(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static bool
all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* Infer the kind of an untyped value. */
static intel_kind
infer(const char *v, size_t n)
{
    if (n >= 16 && all_hex(v, n))
        return K_HASH;
    if (n > 3 && memmem(v, n, "://", 3) != NULL)
        return K_URL;
    if (memchr(v, '@', n) != NULL)
        return K_EMAIL;
    if (intel_looks_ip(v, n))
        return K_IP;
    return K_DOMAIN;
}

static void
text_key(intel_key *k, int table, const char *s, size_t n)
{
    k->table = table;
    uint64_t fp = intel_hash64(s, n);
    memcpy(k->key, &fp, sizeof fp);
    k->str = s;
    k->str_len = n;
}

/* One value of a known kind: normalize and add, or report why not. */
static void
add_value(loader *L, intel_kind kind, bool typed, const char *v, size_t n, uint32_t label)
{
    trim(&v, &n);
    char ev[256];
    if (n == 0) {
        bad(L, "empty value");
        return;
    }
    if (kind == K_AUTO)
        kind = infer(v, n);
    char buf[WP_INTEL_MAX_VALUE + 1];
    size_t len = 0;
    const char *why = NULL;
    char whybuf[160];
    intel_key k;
    bool ok;
    const char *what;
    switch (kind) {
    case K_MD5:
    case K_SHA1:
    case K_SHA256:
    case K_HASH:
        what = kind == K_MD5      ? "md5"
               : kind == K_SHA1   ? "sha1"
               : kind == K_SHA256 ? "sha256"
                                  : "hash";
        ok = intel_norm_hash(v, n, intel_kind_table(kind), &k, &why);
        if (!ok && kind == K_HASH && all_hex(v, n)) {
            snprintf(whybuf, sizeof whybuf, "%zu hex digits: md5 is 32, sha1 40, sha256 64", n);
            why = whybuf;
        }
        break;
    case K_JA3:
        /* never inferred: a bare 32-digit value in a plain list is a file md5 */
        what = "JA3 fingerprint";
        ok = intel_norm_hash(v, n, T_MD5, &k, &why);
        if (ok)
            k.table = T_JA3;
        else if (n != 32)
            why = "a JA3 fingerprint is an md5 (32 hex digits)";
        break;
    case K_EMAIL:
        what = "email";
        ok = n <= WP_INTEL_MAX_VALUE && intel_norm_email(v, n, buf, &len, &why);
        if (n > WP_INTEL_MAX_VALUE)
            why = "address too long";
        if (ok)
            text_key(&k, T_EMAIL, buf, len);
        break;
    case K_DOMAIN:
        what = "domain";
        ok = n <= WP_INTEL_MAX_VALUE && intel_norm_domain(v, n, true, buf, &len, &why);
        if (n > WP_INTEL_MAX_VALUE)
            why = "domain longer than 253 bytes";
        if (ok)
            text_key(&k, T_DOMAIN, buf, len);
        break;
    case K_URL:
        what = "URL";
        ok = intel_norm_url(v, n, typed, buf, &len, &why);
        if (ok)
            text_key(&k, T_URL, buf, len);
        break;
    case K_IP: {
        what = "IP address or network";
        uint8_t a[16];
        int fam, plen;
        ok = intel_parse_ip(v, n, true, a, &fam, &plen, whybuf, sizeof whybuf);
        why = whybuf;
        if (ok)
            intel_ip_key(a, fam, plen, &k);
        break;
    }
    default:
        return;
    }
    if (!ok) {
        esc(v, n, ev, sizeof ev);
        bad(L, "bad %s '%s': %s", what, ev, why);
        return;
    }
    uint32_t line = L->lineno > UINT32_MAX ? UINT32_MAX : (uint32_t)L->lineno;
    switch (intel_set_add(L->set, &k, label, line)) {
    case ADD_NEW:
        L->st.added++;
        break;
    case ADD_DUP:
        L->st.duplicates++;
        break;
    case ADD_LIMIT:
        fail(L, WP_ELIMIT,
             "%s:%lu: more than %zu indicators (max_indicators) or 4 GiB of indicator text",
             L->name, L->lineno, L->set->opt.max_indicators);
        break;
    case ADD_NOMEM:
        fail(L, WP_ENOMEM, "%s:%lu: out of memory", L->name, L->lineno);
        break;
    }
}

/* Split s on '|' into at most MAX_PARTS parts; the count, or MAX_PARTS + 1 when more. */
static size_t
split_bar(const char *s, size_t n, field *parts)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || s[i] == '|') {
            if (k == MAX_PARTS)
                return MAX_PARTS + 1;
            parts[k++] = (field){s + start, i - start};
            start = i + 1;
        }
    return k;
}

/* A value with its type name from a typed CSV row; composite types take each part. */
static void
add_typed(loader *L, const char *type, size_t tn, const char *v, size_t vn, uint32_t label)
{
    trim(&type, &tn);
    char ev[256];
    if (tn == 14 && strncasecmp(type, "malware-sample", 14) == 0) {
        type = "filename|md5"; /* MISP: "name.exe|<md5>" */
        tn = 12;
    }
    intel_kind whole = intel_kind_of(type, tn);
    if (whole != K_UNKNOWN || memchr(type, '|', tn) == NULL) {
        if (whole == K_UNKNOWN) {
            esc(type, tn, ev, sizeof ev);
            bad(L, "unknown type '%s' (docs/INDICATORS.md lists the types)", ev);
        } else if (whole == K_IGNORED) {
            L->st.ignored++;
        } else {
            add_value(L, whole, whole != K_AUTO, v, vn, label);
        }
        return;
    }
    field tp[MAX_PARTS], vp[MAX_PARTS];
    size_t nt = split_bar(type, tn, tp), nv = split_bar(v, vn, vp);
    if (nt > MAX_PARTS || nt != nv) {
        esc(type, tn, ev, sizeof ev);
        bad(L, "value does not have the %zu parts of composite type '%s'", nt, ev);
        return;
    }
    intel_kind kinds[MAX_PARTS];
    bool any = false;
    for (size_t i = 0; i < nt; i++) {
        kinds[i] = intel_kind_of(tp[i].p, tp[i].n);
        if (kinds[i] == K_UNKNOWN) {
            esc(type, tn, ev, sizeof ev);
            bad(L, "unknown type '%s' (docs/INDICATORS.md lists the types)", ev);
            return;
        }
        any |= kinds[i] != K_IGNORED;
    }
    if (!any) {
        L->st.ignored++;
        return;
    }
    for (size_t i = 0; i < nt; i++)
        if (kinds[i] != K_IGNORED)
            add_value(L, kinds[i], kinds[i] != K_AUTO, vp[i].p, vp[i].n, label);
}

/* ---- CSV ---- */

/* Split one line into fields (RFC 4180 quoting within the line, "" for a quote; blanks
 * around fields dropped). Unquoted text goes to L->scratch. Returns the count, -1 for an
 * unterminated quote. Fields past MAX_FIELDS are dropped. */
static int
csv_split(loader *L, const char *p, size_t n, field *f)
{
    char *out = L->scratch;
    size_t i = 0;
    int nf = 0;
    for (;;) {
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        char *start = out;
        if (i < n && p[i] == '"') {
            i++;
            for (;;) {
                if (i >= n)
                    return -1;
                if (p[i] == '"') {
                    if (i + 1 < n && p[i + 1] == '"') {
                        *out++ = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                *out++ = p[i++];
            }
            while (i < n && p[i] != ',') /* text after the closing quote is dropped */
                i++;
        } else {
            while (i < n && p[i] != ',')
                *out++ = p[i++];
            while (out > start && (out[-1] == ' ' || out[-1] == '\t'))
                out--;
        }
        if (nf < MAX_FIELDS)
            f[nf++] = (field){start, (size_t)(out - start)};
        if (i >= n)
            return nf;
        i++; /* the comma */
    }
}

static bool
name_is(const field *f, const char *name)
{
    return strlen(name) == f->n && strncasecmp(f->p, name, f->n) == 0;
}

/* Does the first line name columns? If so, remember them and return true. */
static bool
read_header(loader *L, const char *p, size_t n)
{
    field f[MAX_FIELDS];
    int nf = csv_split(L, p, n, f);
    if (nf <= 0)
        return false;
    static const char *const source_names[] = {"source", "feed", "event_info", "malware"};
    int source_rank = 99, typed = 0;
    L->type_col = L->value_col = L->source_col = -1;
    for (int i = 0; i < nf; i++) {
        const field *c = &f[i];
        /* a cell that looks like data means this is not a header */
        if (memchr(c->p, '.', c->n) || memchr(c->p, '@', c->n) || memchr(c->p, '/', c->n))
            return false;
        L->col_kind[i] = K_IGNORED;
        if (name_is(c, "type") || name_is(c, "attribute_type")) {
            L->type_col = i;
        } else if (name_is(c, "value") || name_is(c, "indicator") || name_is(c, "ioc")) {
            L->value_col = i;
        } else {
            for (int r = 0; r < 4; r++)
                if (name_is(c, source_names[r]) && r < source_rank) {
                    source_rank = r;
                    L->source_col = i;
                }
            intel_kind k = intel_kind_of(c->p, c->n);
            if (c->n > 0 && k != K_UNKNOWN && k != K_IGNORED && k != K_AUTO) {
                L->col_kind[i] = k;
                typed++;
            }
        }
    }
    L->ncols = nf;
    if (L->value_col >= 0)
        L->mode = MODE_TYPED;
    else if (typed > 0)
        L->mode = MODE_COLUMNS;
    else
        return false;
    return true;
}

static uint32_t
row_label(loader *L, const field *f, int nf)
{
    if (L->source_col < 0 || L->source_col >= nf || f[L->source_col].n == 0)
        return L->file_label;
    /* the source is printed in evidence: no control characters */
    char src[INTEL_SOURCE_MAX];
    size_t n = f[L->source_col].n < sizeof src ? f[L->source_col].n : sizeof src;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)f[L->source_col].p[i];
        src[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    uint32_t id = intel_set_label(L->set, L->file, src, n);
    if (id == UINT32_MAX) {
        fail(L, WP_ENOMEM, "%s:%lu: out of memory", L->name, L->lineno);
        return L->file_label;
    }
    return id;
}

static void
csv_row(loader *L, const char *p, size_t n)
{
    field f[MAX_FIELDS];
    int nf = csv_split(L, p, n, f);
    if (nf < 0) {
        bad(L, "unterminated quote");
        return;
    }
    uint32_t label = row_label(L, f, nf);
    if (L->mode == MODE_TYPED) {
        if (L->value_col >= nf || (L->type_col >= 0 && L->type_col >= nf)) {
            bad(L, "row has %d columns; the header names %d", nf, L->ncols);
            return;
        }
        const field *v = &f[L->value_col];
        if (L->type_col < 0)
            add_value(L, K_AUTO, false, v->p, v->n, label);
        else
            add_typed(L, f[L->type_col].p, f[L->type_col].n, v->p, v->n, label);
        return;
    }
    bool any = false;
    for (int i = 0; i < nf && i < L->ncols; i++)
        if (L->col_kind[i] != K_IGNORED && f[i].n > 0) {
            any = true;
            add_value(L, L->col_kind[i], true, f[i].p, f[i].n, label);
        }
    if (!any)
        bad(L, "no value in any indicator column");
}

/* ---- lines ---- */

static void
plain_line(loader *L, const char *p, size_t n)
{
    /* the indicator is the first word; after it only a comment may follow */
    size_t w = 0;
    while (w < n && !isspace((unsigned char)p[w]))
        w++;
    size_t r = w;
    while (r < n && isspace((unsigned char)p[r]))
        r++;
    if (r < n && p[r] != '#') {
        char ev[256];
        esc(p + r, n - r, ev, sizeof ev);
        bad(L, "unexpected text after the indicator: '%s' (comments start with #)", ev);
        return;
    }
    add_value(L, K_AUTO, false, p, w, L->file_label);
}

static void
process_line(loader *L, const char *p, size_t n)
{
    L->lineno++;
    L->line_bad = false;
    if (L->fatal != WP_OK)
        return;
    if (L->too_long) {
        L->too_long = false;
        bad(L, "line longer than %zu bytes", L->set->opt.max_line_bytes);
        return;
    }
    if (L->lineno == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3; /* UTF-8 byte order mark */
        n -= 3;
    }
    trim(&p, &n);
    if (n == 0 || p[0] == '#')
        return;
    if (L->mode == MODE_UNDECIDED) {
        if (read_header(L, p, n))
            return;
        L->mode = MODE_PLAIN;
    }
    if (L->mode == MODE_PLAIN)
        plain_line(L, p, n);
    else
        csv_row(L, p, n);
}

/* Feed bytes; complete lines are processed, a partial last line is kept for later. */
static void
feed(loader *L, const char *p, size_t n)
{
    size_t max = L->set->opt.max_line_bytes;
    while (n > 0 && L->fatal == WP_OK) {
        const char *nl = memchr(p, '\n', n);
        size_t len = nl ? (size_t)(nl - p) : n;
        if (L->too_long) {
            /* skipping the rest of an overlong line */
        } else if (L->carry_len == 0 && nl != NULL && len <= max) {
            process_line(L, p, len); /* the common case: no copy */
        } else if (L->carry_len + len > max) {
            L->too_long = true;
            L->carry_len = 0;
        } else {
            memcpy(L->carry + L->carry_len, p, len);
            L->carry_len += len;
        }
        if (nl == NULL)
            return;
        if (L->too_long || L->carry_len > 0) {
            process_line(L, L->carry, L->carry_len);
            L->carry_len = 0;
        }
        p = nl + 1;
        n -= len + 1;
    }
}

/* ---- the load ---- */

static wp_status
load_begin(loader *L, wp_intel_set *set, const char *name, char *err, size_t errlen)
{
    memset(L, 0, sizeof(*L));
    L->set = set;
    L->name = name;
    L->err = err;
    L->errlen = errlen;
    L->carry = malloc(set->opt.max_line_bytes + 1);
    L->scratch = malloc(set->opt.max_line_bytes + 1);
    if (L->carry == NULL || L->scratch == NULL)
        return WP_ENOMEM;
    L->file = intel_set_file(set, name);
    if (L->file == UINT32_MAX)
        return WP_ENOMEM;
    L->file_label = intel_set_label(set, L->file, NULL, 0);
    if (L->file_label == UINT32_MAX)
        return WP_ENOMEM;
    return WP_OK;
}

static wp_status
load_end(loader *L, const intel_mark *mk, wp_intel_load_stats *st)
{
    if (L->fatal == WP_OK && (L->carry_len > 0 || L->too_long)) /* no final newline */
        process_line(L, L->carry, L->carry_len);
    free(L->carry);
    free(L->scratch);
    wp_status ret = L->fatal;
    if (ret == WP_OK && L->st.added + L->st.duplicates == 0) {
        if (L->st.bad > 0)
            snprintf(L->err, L->errlen, "%s: no valid indicator (%zu bad lines; first, %s)",
                     L->name, L->st.bad, L->first_bad);
        else
            snprintf(L->err, L->errlen, "%s: no indicators (%lu lines%s)", L->name, L->lineno,
                     L->st.ignored ? ", only types watchpost does not match" : "");
        ret = WP_EPARSE;
    }
    if (ret != WP_OK) {
        intel_set_rollback(L->set, mk);
        return ret;
    }
    if (L->set->opt.on_error != NULL && L->st.bad > L->set->opt.max_messages) {
        char msg[128];
        snprintf(msg, sizeof msg, "%zu more bad lines not shown (%zu in all, skipped)",
                 L->st.bad - L->set->opt.max_messages, L->st.bad);
        L->set->opt.on_error(L->set->opt.ctx, L->name, 0, msg);
    }
    L->st.lines = L->lineno;
    if (st != NULL)
        *st = L->st;
    return WP_OK;
}

static char *
errbuf(char *err, size_t *errlen, char *dummy, size_t dlen)
{
    if (err == NULL || *errlen == 0) {
        *errlen = dlen;
        err = dummy;
    }
    err[0] = '\0';
    return err;
}

wp_status
wp_intel_load_buffer(wp_intel_set *set, const char *name, const void *data, size_t len,
                     wp_intel_load_stats *st, char *err, size_t errlen)
{
    char dummy[8];
    err = errbuf(err, &errlen, dummy, sizeof dummy);
    if (set == NULL || name == NULL || (data == NULL && len > 0)) {
        snprintf(err, errlen, "invalid argument");
        return WP_EINVAL;
    }
    intel_mark mk;
    intel_set_mark(set, &mk);
    loader L;
    wp_status s = load_begin(&L, set, name, err, errlen);
    if (s == WP_OK)
        feed(&L, data, len);
    else
        fail(&L, s, "%s: out of memory", name);
    return load_end(&L, &mk, st);
}

wp_status
wp_intel_load_file(wp_intel_set *set, const char *path, wp_intel_load_stats *st, char *err,
                   size_t errlen)
{
    char dummy[8];
    err = errbuf(err, &errlen, dummy, sizeof dummy);
    if (set == NULL || path == NULL) {
        snprintf(err, errlen, "invalid argument");
        return WP_EINVAL;
    }
    char ebuf[128];
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror_r(errno, ebuf, sizeof ebuf));
        return WP_EIO;
    }
    struct stat sb;
    if (fstat(fileno(fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(fp);
        snprintf(err, errlen, "%s: is a directory", path);
        return WP_EIO;
    }
    intel_mark mk;
    intel_set_mark(set, &mk);
    loader L;
    wp_status s = load_begin(&L, set, path, err, errlen);
    if (s != WP_OK)
        fail(&L, s, "%s: out of memory", path);
    static const size_t block = 64 * 1024;
    char *buf = s == WP_OK ? malloc(block) : NULL;
    if (s == WP_OK && buf == NULL)
        fail(&L, WP_ENOMEM, "%s: out of memory", path);
    while (buf != NULL && L.fatal == WP_OK) {
        size_t got = fread(buf, 1, block, fp);
        feed(&L, buf, got);
        if (got < block) {
            if (ferror(fp))
                fail(&L, WP_EIO, "%s:%lu: read error: %s", path, L.lineno,
                     strerror_r(errno, ebuf, sizeof ebuf));
            break;
        }
    }
    free(buf);
    fclose(fp);
    return load_end(&L, &mk, st);
}
