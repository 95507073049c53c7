/*
 * json.c - a report as one line of JSON (schema in docs/SCHEMA.md, version in
 * WP_REPORT_SCHEMA_VERSION).
 *
 * Written directly into a growable buffer rather than through jansson's object tree: with
 * jansson, serialising took a third of all scan time on plain mail (callgrind), almost all
 * of it in malloc/free of temporary nodes. Key order is fixed, which also makes output
 * diffable. Strings are escaped by wp_buf_json_str (valid UTF-8 out, always).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "engine/scan.h"
#include "watchpost/report.h"

typedef struct jw {
    wp_buf *b;
    bool first;         /* no comma before the next member */
    const wp_report *r; /* the report being written (element writers index into it) */
    const wp_yara_match *y;
} jw;

static void
key(jw *w, const char *k)
{
    if (!w->first)
        wp_buf_putc(w->b, ',');
    w->first = false;
    wp_buf_putc(w->b, '"');
    wp_buf_puts(w->b, k);
    wp_buf_put(w->b, "\":", 2);
}

static void
kstr(jw *w, const char *k, const char *v)
{
    if (v == NULL)
        return;
    key(w, k);
    wp_buf_json_str(w->b, v);
}

static void
kint(jw *w, const char *k, long long v)
{
    key(w, k);
    wp_buf_printf(w->b, "%lld", v);
}

static void
kbool(jw *w, const char *k, bool v)
{
    key(w, k);
    wp_buf_puts(w->b, v ? "true" : "false");
}

static void
open_obj(jw *w, char c)
{
    wp_buf_putc(w->b, c);
    w->first = true;
}

static void
close_obj(jw *w, char c)
{
    wp_buf_putc(w->b, c);
    w->first = false;
}

static void
str_array(jw *w, const char *k, const char *const *v, size_t n)
{
    key(w, k);
    wp_buf_putc(w->b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            wp_buf_putc(w->b, ',');
        wp_buf_json_str(w->b, v[i]);
    }
    wp_buf_putc(w->b, ']');
}

/* Array of objects: the element writer is called between '{' and '}'. */
#define ARRAY(w, k, n, ELEM)                  \
    do {                                      \
        key(w, k);                            \
        wp_buf_putc((w)->b, '[');             \
        for (size_t i_ = 0; i_ < (n); i_++) { \
            if (i_)                           \
                wp_buf_putc((w)->b, ',');     \
            open_obj(w, '{');                 \
            ELEM(w, i_);                      \
            close_obj(w, '}');                \
        }                                     \
        wp_buf_putc((w)->b, ']');             \
    } while (0)

static void
part_elem(jw *w, size_t i)
{
    const wp_part *p = &w->r->parts[i];
    kstr(w, "id", p->id);
    kstr(w, "parent", p->parent);
    kint(w, "depth", p->depth);
    kstr(w, "content_type", p->content_type);
    kstr(w, "charset", p->charset);
    kstr(w, "encoding", p->encoding);
    kstr(w, "disposition", p->disposition);
    kstr(w, "filename", p->filename);
    if (!p->is_container)
        kint(w, "size", (long long)p->size);
    kbool(w, "container", p->is_container);
}

static void
object_elem(jw *w, size_t i)
{
    const wp_object *o = &w->r->objects[i];
    kstr(w, "where", o->where);
    kstr(w, "name", o->name);
    kstr(w, "declared_type", o->declared_type);
    kstr(w, "true_type", o->true_type);
    kstr(w, "kind", o->kind);
    kint(w, "size", (long long)o->size);
    kint(w, "depth", o->depth);
    kbool(w, "attachment", o->is_attachment);
    if (o->encrypted)
        kbool(w, "encrypted", true);
    if (o->truncated)
        kbool(w, "truncated", true);
    if (o->has_hashes) {
        kstr(w, "md5", o->hashes.md5);
        kstr(w, "sha1", o->hashes.sha1);
        kstr(w, "sha256", o->hashes.sha256);
    }
}

static void
url_elem(jw *w, size_t i)
{
    const wp_url *u = &w->r->urls[i];
    kstr(w, "url", u->url);
    kstr(w, "host", u->host);
    kstr(w, "text", u->text);
    kstr(w, "source", u->source);
    kstr(w, "where", u->where);
}

static void
yara_elem(jw *w, size_t i)
{
    const wp_yara_match *y = &w->y[i];
    kstr(w, "rule", y->rule);
    kstr(w, "namespace", y->ns);
    kstr(w, "where", y->where);
    key(w, "tags");
    wp_buf_putc(w->b, '[');
    const char *p = y->tags ? y->tags : "";
    bool first = true;
    while (*p) {
        size_t l = strcspn(p, ",");
        char tag[128];
        snprintf(tag, sizeof tag, "%.*s", (int)(l < 127 ? l : 127), p);
        if (!first)
            wp_buf_putc(w->b, ',');
        wp_buf_json_str(w->b, tag);
        first = false;
        p += l;
        if (*p == ',')
            p++;
    }
    wp_buf_putc(w->b, ']');
    key(w, "meta");
    open_obj(w, '{');
    for (size_t k = 0; k < y->n_meta; k++) {
        if (k > 0)
            wp_buf_putc(w->b, ',');
        wp_buf_json_str(w->b, y->meta_keys[k]); /* rule authors' identifiers: escape them */
        wp_buf_putc(w->b, ':');
        if (y->meta_is_string[k])
            wp_buf_json_str(w->b, y->meta_values[k]);
        else
            wp_buf_puts(w->b, y->meta_values[k]);
    }
    close_obj(w, '}');
}

static void
finding_elem(jw *w, size_t i)
{
    const wp_finding *f = &w->r->findings[i];
    kstr(w, "code", f->code);
    kstr(w, "category", wp_category_name(f->category));
    kint(w, "weight", f->weight);
    kint(w, "contribution", f->contribution);
    kstr(w, "evidence", f->evidence);
    kstr(w, "where", f->where);
}

static void
write_verdict(jw *w, const wp_verdict *v)
{
    key(w, "verdict");
    open_obj(w, '{');
    kstr(w, "class", wp_verdict_name(v->cls));
    kint(w, "score", v->score);
    kint(w, "severity", v->severity);
    kstr(w, "severity_name", wp_severity_name(v->severity));
    kstr(w, "action", wp_action_name(v->action));
    key(w, "category_scores");
    open_obj(w, '{');
    for (int c = 0; c < WP_CAT__COUNT; c++)
        kint(w, wp_category_name((wp_category)c), v->category_score[c]);
    close_obj(w, '}');
    str_array(w, "reasons", v->reasons, v->n_reasons);
    close_obj(w, '}');
}

static void
write_report(jw *w, const wp_report *r)
{
    size_t ny = 0;
    w->r = r;
    w->y = wp_report_yara(r, &ny);
    open_obj(w, '{');
    kstr(w, "schema", r->schema_version);
    kstr(w, "source", r->source);
    kint(w, "size", (long long)r->size);
    kbool(w, "parsed", r->parsed);
    key(w, "headers");
    open_obj(w, '{');
    kstr(w, "from", r->from);
    kstr(w, "sender", r->sender);
    kstr(w, "reply_to", r->reply_to);
    kstr(w, "return_path", r->return_path);
    kstr(w, "to", r->to);
    kstr(w, "cc", r->cc);
    kstr(w, "subject", r->subject);
    kstr(w, "message_id", r->message_id);
    kstr(w, "date", r->date);
    kstr(w, "in_reply_to", r->in_reply_to);
    kstr(w, "x_mailer", r->x_mailer);
    str_array(w, "received", r->received, r->n_received);
    str_array(w, "authentication_results", r->authentication_results, r->n_authentication_results);
    close_obj(w, '}');
    ARRAY(w, "parts", r->n_parts, part_elem);
    ARRAY(w, "objects", r->n_objects, object_elem);
    ARRAY(w, "urls", r->n_urls, url_elem);
    ARRAY(w, "yara", ny, yara_elem);
    ARRAY(w, "findings", r->n_findings, finding_elem);
    kint(w, "weight", wp_report_weight(r));
    write_verdict(w, &r->verdict);
    key(w, "body");
    open_obj(w, '{');
    kint(w, "text_bytes", (long long)r->text_bytes);
    kstr(w, "excerpt", r->text_excerpt);
    close_obj(w, '}');
    key(w, "scan_ms");
    wp_buf_printf(w->b, "%.3f", r->scan_ms);
    close_obj(w, '}');
}

wp_status
wp_report_to_json(const wp_report *r, char **out)
{
    wp_buf b = {0};
    jw w = {.b = &b, .first = true};
    write_report(&w, r);
    if (wp_buf_failed(&b)) {
        free(b.p);
        return WP_ENOMEM;
    }
    *out = b.p;
    return WP_OK;
}
