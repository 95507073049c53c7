/*
 * parse.c - the content rule file format (docs/CONTENT-RULES.md), one rule per logical line:
 *
 *   rule NAME CATEGORY WEIGHT TARGET /REGEX/FLAGS ["description"]
 *   meta NAME CATEGORY WEIGHT EXPRESSION ["description"]
 *
 * '#' starts a comment outside a regex or a quoted string; a line ending in '\' continues on
 * the next. Each field is checked in turn and the first problem stops the load with
 * "file:line: why" (the line where the rule starts). Everything is bounded: line length,
 * pattern and name length, rule count, file size (WP_RULES_MAX_* in rules.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <strings.h>

#include "rules.h"

static const struct {
    const char *name;
    wp_category cat;
} categories[] = {
    {"phishing", WP_CAT_PHISHING},
    {"spam", WP_CAT_SPAM},
    {"malware", WP_CAT_MALWARE},
    {"anomaly", WP_CAT_ANOMALY},
    {"impersonation", WP_CAT_IMPERSONATION},
    {"policy", WP_CAT_POLICY},
    {"dlp", WP_CAT_DLP},
};

static const char *const target_names[WP_RT__COUNT] = {
    [WP_RT_SUBJECT] = "subject", [WP_RT_FROM] = "from", [WP_RT_HEADER] = "header",
    [WP_RT_BODY] = "body",       [WP_RT_URL] = "url",   [WP_RT_ATTACHMENT_NAME] = "attachment_name",
    [WP_RT_META] = "meta",
};

const char *
wp_rule_target_name(wp_rule_target t)
{
    return (unsigned)t < WP_RT__COUNT ? target_names[t] : "?";
}

wp_ruleset *
wp_rules_new(void)
{
    wp_ruleset *rs = calloc(1, sizeof(*rs));
    if (rs != NULL)
        rs->max_rules = WP_RULES_MAX_RULES;
    return rs;
}

void
wp_rules_free(wp_ruleset *rs)
{
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->n_rules; i++) {
        wp_rule *r = &rs->rules[i];
        free(r->name);
        free(r->header);
        free(r->pattern);
        free(r->desc);
        free(r->file);
        free(r->meta_src);
        free(r->rpn);
    }
    free(rs->rules);
    for (size_t i = 0; i < rs->n_dbs; i++) {
        hs_free_database(rs->dbs[i].db);
        free(rs->dbs[i].header);
    }
    free(rs->dbs);
    free(rs->cache_dir);
    if (rs->pool_ready) {
        for (size_t i = 0; i < rs->pool.n_idle; i++)
            hs_free_scratch(rs->pool.idle[i]);
        free(rs->pool.idle);
        hs_free_scratch(rs->pool.proto);
        pthread_mutex_destroy(&rs->pool.mu);
    }
    free(rs);
}

long
wp_rules_find(const wp_ruleset *rs, const char *name)
{
    for (size_t i = 0; i < rs->n_rules; i++)
        if (strcmp(rs->rules[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* ---- one logical line ---- */

typedef struct cursor {
    const char *p, *end;
    const char *file;
    unsigned line;
    char *err;
    size_t errlen;
} cursor;

static wp_status fail(cursor *c, const char *fmt, ...) WP_PRINTF(2, 3);

static wp_status
fail(cursor *c, const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s:%u: %s", c->file, c->line, why);
    return WP_EPARSE;
}

static void
skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static bool
at_end(cursor *c)
{
    skip_ws(c);
    return c->p >= c->end || *c->p == '#';
}

/* The next whitespace-delimited word into buf; false when none or too long. */
static bool
word(cursor *c, char *buf, size_t cap)
{
    skip_ws(c);
    const char *s = c->p;
    while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
        c->p++;
    size_t n = (size_t)(c->p - s);
    if (n == 0 || n >= cap)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return true;
}

static bool
valid_name(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

static bool
valid_header_name(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) /* RFC 5322 field name: printable ASCII except ':' */
        if ((unsigned char)*s <= 32 || (unsigned char)*s >= 127 || *s == ':')
            return false;
    return true;
}

/* "/regex/flags": the body without delimiters, '\/' kept as is (Hyperscan reads it as '/'). */
static wp_status
regex(cursor *c, const char *rule, char **pat, unsigned *flags)
{
    skip_ws(c);
    if (c->p >= c->end || *c->p != '/')
        return fail(c, "rule %s: expected /regex/flags after the target", rule);
    const char *s = ++c->p;
    while (c->p < c->end && *c->p != '/') {
        if (*c->p == '\\' && c->p + 1 < c->end)
            c->p++;
        c->p++;
    }
    if (c->p >= c->end)
        return fail(c, "rule %s: regex has no closing '/' (write '/' inside it as '\\/')", rule);
    size_t n = (size_t)(c->p - s);
    c->p++;
    if (n == 0)
        return fail(c, "rule %s: empty regex", rule);
    if (n > WP_RULES_MAX_PATTERN)
        return fail(c, "rule %s: regex is %zu bytes (at most %u)", rule, n, WP_RULES_MAX_PATTERN);
    unsigned f = 0;
    while (c->p < c->end && *c->p != ' ' && *c->p != '\t') {
        switch (*c->p) {
        case 'i':
            f |= HS_FLAG_CASELESS;
            break;
        case 's':
            f |= HS_FLAG_DOTALL;
            break;
        case 'm':
            f |= HS_FLAG_MULTILINE;
            break;
        case 'u':
            f |= HS_FLAG_UTF8; /* not UCP: Hyperscan has no \b in UCP mode */
            break;
        default:
            return fail(c, "rule %s: unknown regex flag '%c' (i, s, m, u)", rule, *c->p);
        }
        c->p++;
    }
    if (memchr(s, '\0', n) != NULL)
        return fail(c, "rule %s: NUL byte in regex (write it as \\x00)", rule);
    if ((*pat = strndup(s, n)) == NULL)
        return WP_ENOMEM;
    *flags = f;
    return WP_OK;
}

/* Optional "description" with \" and \\ escapes, then nothing but a comment. */
static wp_status
description(cursor *c, const char *rule, char **desc)
{
    char buf[WP_RULES_MAX_DESC + 1];
    size_t n = 0;
    if (!at_end(c) && *c->p == '"') {
        c->p++;
        for (;;) {
            if (c->p >= c->end)
                return fail(c, "rule %s: description has no closing '\"'", rule);
            char ch = *c->p++;
            if (ch == '"')
                break;
            if (ch == '\\' && c->p < c->end && (*c->p == '"' || *c->p == '\\'))
                ch = *c->p++;
            if (ch == '\0' || (unsigned char)ch < 0x20)
                return fail(c, "rule %s: control character in description", rule);
            if (n >= WP_RULES_MAX_DESC)
                return fail(c, "rule %s: description longer than %u bytes", rule,
                            WP_RULES_MAX_DESC);
            buf[n++] = ch;
        }
    }
    if (!at_end(c))
        return fail(c, "rule %s: unexpected text after the rule: '%.20s'", rule, c->p);
    buf[n] = '\0';
    return (*desc = strdup(buf)) == NULL ? WP_ENOMEM : WP_OK;
}

static wp_rule *
append(wp_ruleset *rs)
{
    if (rs->n_rules == rs->cap_rules) {
        size_t cap = rs->cap_rules ? rs->cap_rules * 2 : 64;
        wp_rule *n = realloc(rs->rules, cap * sizeof(*n));
        if (n == NULL)
            return NULL;
        rs->rules = n;
        rs->cap_rules = cap;
    }
    wp_rule *r = &rs->rules[rs->n_rules];
    memset(r, 0, sizeof(*r));
    return r;
}

static wp_status
parse_line(wp_ruleset *rs, cursor *c)
{
    char kw[8], name[WP_RULES_MAX_NAME + 1], cat[32], wbuf[16], tgt[WP_RULES_MAX_NAME + 16];
    if (at_end(c))
        return WP_OK;
    if (!word(c, kw, sizeof kw) || (strcmp(kw, "rule") != 0 && strcmp(kw, "meta") != 0))
        return fail(c, "expected 'rule' or 'meta' at the start of the line");
    bool meta = kw[0] == 'm';
    if (!word(c, name, sizeof name))
        return fail(c, "%s: missing name, or name longer than %u bytes", kw, WP_RULES_MAX_NAME);
    if (!valid_name(name))
        return fail(c, "%s '%s': names are letters, digits and '_', not starting with a digit", kw,
                    name);
    long dup = wp_rules_find(rs, name);
    if (dup >= 0)
        return fail(c, "rule %s: duplicate name (first defined at %s:%u)", name,
                    rs->rules[dup].file, rs->rules[dup].line);
    if (rs->n_rules >= rs->max_rules)
        return fail(c, "rule %s: more than %zu rules", name, rs->max_rules);
    if (!word(c, cat, sizeof cat))
        return fail(c, "rule %s: missing category", name);
    int ci = -1;
    for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++)
        if (strcmp(cat, categories[i].name) == 0)
            ci = (int)i;
    if (ci < 0)
        return fail(c,
                    "rule %s: unknown category '%s' (phishing, spam, malware, anomaly, "
                    "impersonation, policy, dlp)",
                    name, cat);
    if (!word(c, wbuf, sizeof wbuf))
        return fail(c, "rule %s: missing weight", name);
    char *endp;
    errno = 0;
    long w = strtol(wbuf, &endp, 10);
    if (*endp != '\0' || errno != 0 || w < -WP_RULES_MAX_WEIGHT || w > WP_RULES_MAX_WEIGHT)
        return fail(c, "rule %s: weight must be an integer from -%d to %d, not '%s'", name,
                    WP_RULES_MAX_WEIGHT, WP_RULES_MAX_WEIGHT, wbuf);

    wp_rule tmp = {0};
    tmp.cat = categories[ci].cat;
    tmp.weight = (int)w;
    tmp.line = c->line;
    wp_status st = WP_OK;
    if (meta) {
        tmp.target = WP_RT_META;
        skip_ws(c);
        const char *s = c->p;
        while (c->p < c->end && *c->p != '"' && *c->p != '#')
            c->p++;
        const char *e = c->p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e == s)
            return fail(c, "meta %s: missing expression", name);
        if ((tmp.meta_src = strndup(s, (size_t)(e - s))) == NULL)
            return WP_ENOMEM;
    } else {
        if (!word(c, tgt, sizeof tgt))
            return fail(c, "rule %s: missing target", name);
        int ti = -1;
        for (int i = 0; i < WP_RT__COUNT; i++)
            if (i != WP_RT_HEADER && i != WP_RT_META && strcmp(tgt, target_names[i]) == 0)
                ti = i;
        if (ti < 0 && strncmp(tgt, "header:", 7) == 0) {
            if (!valid_header_name(tgt + 7))
                return fail(c, "rule %s: bad header name in target '%s'", name, tgt);
            ti = WP_RT_HEADER;
            if ((tmp.header = strdup(tgt + 7)) == NULL)
                return WP_ENOMEM;
        }
        if (ti < 0)
            return fail(c,
                        "rule %s: unknown target '%s' (subject, from, header:Name, body, url, "
                        "attachment_name)",
                        name, tgt);
        tmp.target = (wp_rule_target)ti;
        st = regex(c, name, &tmp.pattern, &tmp.flags);
    }
    if (st == WP_OK)
        st = description(c, name, &tmp.desc);
    if (st == WP_OK && ((tmp.name = strdup(name)) == NULL || (tmp.file = strdup(c->file)) == NULL))
        st = WP_ENOMEM;
    wp_rule *r = st == WP_OK ? append(rs) : NULL;
    if (r == NULL) {
        free(tmp.name);
        free(tmp.file);
        free(tmp.header);
        free(tmp.pattern);
        free(tmp.desc);
        free(tmp.meta_src);
        return st == WP_OK ? WP_ENOMEM : st;
    }
    *r = tmp;
    rs->n_rules++;
    return WP_OK;
}

wp_status
wp_rules_parse(wp_ruleset *rs, const char *file, const char *text, size_t len, char *err,
               size_t errlen)
{
    char *buf = malloc(WP_RULES_MAX_LINE + 1);
    if (buf == NULL)
        return WP_ENOMEM;
    cursor c = {.file = file, .err = err, .errlen = errlen};
    wp_status st = WP_OK;
    if (len > WP_RULES_MAX_FILE) {
        c.line = 0;
        st = fail(&c, "rule file is %zu bytes (at most %u)", len, WP_RULES_MAX_FILE);
        goto out;
    }
    const char *p = text, *end = text + len;
    unsigned lineno = 0;
    while (p < end && st == WP_OK) {
        size_t n = 0;
        unsigned first = lineno + 1;
        bool more = true;
        while (more && p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *le = nl ? nl : end;
            lineno++;
            size_t l = (size_t)(le - p);
            if (l > 0 && p[l - 1] == '\r')
                l--;
            more = l > 0 && p[l - 1] == '\\';
            if (more)
                l--;
            if (n + l > WP_RULES_MAX_LINE) {
                c.line = first;
                st = fail(&c, "line longer than %u bytes", WP_RULES_MAX_LINE);
                goto out;
            }
            memcpy(buf + n, p, l);
            n += l;
            p = nl ? nl + 1 : end;
        }
        if (memchr(buf, '\0', n) != NULL) {
            c.line = first;
            st = fail(&c, "NUL byte in rule file");
            goto out;
        }
        c.p = buf;
        c.end = buf + n;
        c.line = first;
        st = parse_line(rs, &c);
    }
out:
    free(buf);
    return st;
}

/* ---- files and directories ---- */

static wp_status
load_file(wp_ruleset *rs, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open rule file: %s", path, strerror(errno));
        return WP_EIO;
    }
    char *data = malloc(WP_RULES_MAX_FILE + 1);
    if (data == NULL) {
        fclose(f);
        return WP_ENOMEM;
    }
    size_t n = fread(data, 1, WP_RULES_MAX_FILE + 1, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    wp_status st;
    if (bad) {
        snprintf(err, errlen, "%s: read error", path);
        st = WP_EIO;
    } else {
        st = wp_rules_parse(rs, path, data, n, err, errlen);
    }
    free(data);
    return st;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

wp_status
wp_rules_load_path(wp_ruleset *rs, const char *path, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return WP_EIO;
    }
    if (!S_ISDIR(sb.st_mode))
        return load_file(rs, path, err, errlen);
    DIR *d = opendir(path);
    if (d == NULL) {
        snprintf(err, errlen, "%s: cannot open directory: %s", path, strerror(errno));
        return WP_EIO;
    }
    char *names[WP_RULES_MAX_FILES];
    size_t n = 0;
    wp_status st = WP_OK;
    struct dirent *de;
    while (st == WP_OK && (de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 7 || strcmp(de->d_name + l - 6, ".rules") != 0)
            continue;
        if (n >= WP_RULES_MAX_FILES) {
            snprintf(err, errlen, "%s: more than %u rule files", path, WP_RULES_MAX_FILES);
            st = WP_ELIMIT;
        } else if ((names[n] = strdup(de->d_name)) == NULL) {
            st = WP_ENOMEM;
        } else {
            n++;
        }
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof names[0], cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (st == WP_OK) {
            char full[4096];
            int k = snprintf(full, sizeof full, "%s/%s", path, names[i]);
            if (k < 0 || (size_t)k >= sizeof full) {
                snprintf(err, errlen, "%s/%s: path too long", path, names[i]);
                st = WP_EINVAL;
            } else {
                st = load_file(rs, full, err, errlen);
            }
        }
        free(names[i]);
    }
    return st;
}
