/*
 * json.c - a report as one line of JSON (schema in docs/SCHEMA.md, version in
 * WP_REPORT_SCHEMA_VERSION). Built with jansson; all strings in a report are already valid
 * UTF-8 (sanitised on the way in), so encoding cannot fail on hostile text.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "engine/scan.h"
#include "watchpost/report.h"

static void
set_str(json_t *o, const char *k, const char *v)
{
    if (v != NULL)
        json_object_set_new(o, k, json_string(v));
}

static json_t *
str_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

wp_status
wp_report_to_json(const wp_report *r, char **out)
{
    json_t *root = json_object();
    if (root == NULL)
        return WP_ENOMEM;
    json_object_set_new(root, "schema", json_string(r->schema_version));
    set_str(root, "source", r->source);
    json_object_set_new(root, "size", json_integer((json_int_t)r->size));
    json_object_set_new(root, "parsed", json_boolean(r->parsed));

    json_t *h = json_object();
    set_str(h, "from", r->from);
    set_str(h, "sender", r->sender);
    set_str(h, "reply_to", r->reply_to);
    set_str(h, "return_path", r->return_path);
    set_str(h, "to", r->to);
    set_str(h, "cc", r->cc);
    set_str(h, "subject", r->subject);
    set_str(h, "message_id", r->message_id);
    set_str(h, "date", r->date);
    set_str(h, "in_reply_to", r->in_reply_to);
    set_str(h, "x_mailer", r->x_mailer);
    json_object_set_new(h, "received", str_array(r->received, r->n_received));
    json_object_set_new(h, "authentication_results",
                        str_array(r->authentication_results, r->n_authentication_results));
    json_object_set_new(root, "headers", h);

    json_t *parts = json_array();
    for (size_t i = 0; i < r->n_parts; i++) {
        const wp_part *p = &r->parts[i];
        json_t *o = json_object();
        set_str(o, "id", p->id);
        set_str(o, "parent", p->parent);
        json_object_set_new(o, "depth", json_integer(p->depth));
        set_str(o, "content_type", p->content_type);
        set_str(o, "charset", p->charset);
        set_str(o, "encoding", p->encoding);
        set_str(o, "disposition", p->disposition);
        set_str(o, "filename", p->filename);
        if (!p->is_container)
            json_object_set_new(o, "size", json_integer((json_int_t)p->size));
        json_object_set_new(o, "container", json_boolean(p->is_container));
        json_array_append_new(parts, o);
    }
    json_object_set_new(root, "parts", parts);

    json_t *objs = json_array();
    for (size_t i = 0; i < r->n_objects; i++) {
        const wp_object *b = &r->objects[i];
        json_t *o = json_object();
        set_str(o, "where", b->where);
        set_str(o, "name", b->name);
        set_str(o, "declared_type", b->declared_type);
        set_str(o, "true_type", b->true_type);
        set_str(o, "kind", b->kind);
        json_object_set_new(o, "size", json_integer((json_int_t)b->size));
        json_object_set_new(o, "depth", json_integer(b->depth));
        json_object_set_new(o, "attachment", json_boolean(b->is_attachment));
        if (b->encrypted)
            json_object_set_new(o, "encrypted", json_true());
        if (b->truncated)
            json_object_set_new(o, "truncated", json_true());
        if (b->has_hashes) {
            set_str(o, "md5", b->hashes.md5);
            set_str(o, "sha1", b->hashes.sha1);
            set_str(o, "sha256", b->hashes.sha256);
        }
        json_array_append_new(objs, o);
    }
    json_object_set_new(root, "objects", objs);

    json_t *urls = json_array();
    for (size_t i = 0; i < r->n_urls; i++) {
        const wp_url *u = &r->urls[i];
        json_t *o = json_object();
        set_str(o, "url", u->url);
        set_str(o, "host", u->host);
        set_str(o, "text", u->text);
        set_str(o, "source", u->source);
        set_str(o, "where", u->where);
        json_array_append_new(urls, o);
    }
    json_object_set_new(root, "urls", urls);

    size_t ny = 0;
    const wp_yara_match *ym = wp_report_yara(r, &ny);
    json_t *yara = json_array();
    for (size_t i = 0; i < ny; i++) {
        json_t *o = json_object();
        set_str(o, "rule", ym[i].rule);
        set_str(o, "namespace", ym[i].ns);
        set_str(o, "where", ym[i].where);
        json_t *tags = json_array();
        if (ym[i].tags != NULL && ym[i].tags[0] != '\0') {
            const char *p = ym[i].tags;
            while (*p) {
                size_t l = strcspn(p, ",");
                json_array_append_new(tags, json_stringn(p, l));
                p += l;
                if (*p == ',')
                    p++;
            }
        }
        json_object_set_new(o, "tags", tags);
        json_t *meta = ym[i].meta ? json_loads(ym[i].meta, 0, NULL) : NULL;
        json_object_set_new(o, "meta", meta ? meta : json_object());
        json_array_append_new(yara, o);
    }
    json_object_set_new(root, "yara", yara);

    json_t *fs = json_array();
    for (size_t i = 0; i < r->n_findings; i++) {
        const wp_finding *f = &r->findings[i];
        json_t *o = json_object();
        set_str(o, "code", f->code);
        set_str(o, "category", wp_category_name(f->category));
        json_object_set_new(o, "weight", json_integer(f->weight));
        set_str(o, "evidence", f->evidence);
        set_str(o, "where", f->where);
        json_array_append_new(fs, o);
    }
    json_object_set_new(root, "findings", fs);
    json_object_set_new(root, "weight", json_integer(wp_report_weight(r)));

    json_t *body = json_object();
    json_object_set_new(body, "text_bytes", json_integer((json_int_t)r->text_bytes));
    set_str(body, "excerpt", r->text_excerpt);
    json_object_set_new(root, "body", body);
    json_object_set_new(root, "scan_ms", json_real(r->scan_ms));

    char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
    json_decref(root);
    if (s == NULL)
        return WP_ENOMEM;
    *out = s;
    return WP_OK;
}
