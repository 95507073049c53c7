/*
 * static.c - the dashboard's files, embedded in the binary (assets.c, made from web/ by
 * tools/embed_assets.cmake): nothing is read from disk and nothing from outside.
 *
 * GET / is index.html, with each {{asset:NAME}} replaced by /static/NAME.HASH (computed once):
 * a hashed name is served with a year's cache, so a new release is fetched at once and an
 * unchanged one never again. Every asset is also served under its plain name, uncached, so
 * that ES modules can import each other by relative name.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

static char *index_html;
static size_t index_len;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static const wps_asset *
asset_named(const char *name, size_t n, bool hashed)
{
    for (size_t i = 0; i < wps_n_assets; i++) {
        const char *k = hashed ? wps_assets[i].hashed : wps_assets[i].name;
        if (strlen(k) == n && memcmp(k, name, n) == 0)
            return &wps_assets[i];
    }
    return NULL;
}

static void
build_index(void)
{
    const wps_asset *a = asset_named("index.html", 10, false);
    if (a == NULL)
        return;
    size_t cap = a->len + 1024, o = 0;
    char *out = malloc(cap);
    const char *p = (const char *)a->data, *end = p + a->len;
    while (out != NULL && p < end) {
        const char *m = memmem(p, (size_t)(end - p), "{{asset:", 8);
        const char *close = m != NULL ? memmem(m, (size_t)(end - m), "}}", 2) : NULL;
        size_t lit = (size_t)((m != NULL && close != NULL ? m : end) - p);
        const wps_asset *x =
            close != NULL ? asset_named(m + 8, (size_t)(close - m - 8), false) : NULL;
        size_t need = o + lit + (x != NULL ? strlen(x->hashed) + 8 : 0) + 1;
        if (need > cap) {
            cap = need * 2;
            char *n = realloc(out, cap);
            if (n == NULL) {
                free(out);
                out = NULL;
                break;
            }
            out = n;
        }
        memcpy(out + o, p, lit);
        o += lit;
        if (close == NULL)
            break;
        if (x != NULL)
            o += (size_t)sprintf(out + o, "/static/%s", x->hashed);
        p = close + 2;
    }
    index_html = out;
    index_len = o;
}

void
wps_static(wps_req *r)
{
    if (strcmp(r->path, "/") == 0) {
        (void)pthread_once(&index_once, build_index);
        if (index_html == NULL) {
            wps_error(r, 500, "the dashboard is missing from this build");
            return;
        }
        wps_raw(r, 200, "text/html; charset=utf-8", index_html, index_len, NULL);
        return;
    }
    const char *name = r->params[0];
    const wps_asset *a = name != NULL ? asset_named(name, strlen(name), true) : NULL;
    bool immutable = a != NULL;
    if (a == NULL && name != NULL && strcmp(name, "index.html") != 0)
        a = asset_named(name, strlen(name), false);
    if (a == NULL) {
        wps_error(r, 404, "no such file");
        return;
    }
    wps_set_header(r, "Cache-Control",
                   immutable ? "public, max-age=31536000, immutable" : "no-cache");
    wps_raw(r, 200, a->type, a->data, a->len, NULL);
}
