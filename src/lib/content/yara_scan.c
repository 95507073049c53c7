/*
 * yara_scan.c - run the engine's compiled YARA rules over one blob.
 *
 * Each scanner owns a YR_SCANNER (libyara's per-thread scan state); the rules are shared.
 * A match becomes a YARA_MATCH finding whose weight comes from the rule's integer meta
 * "weight" (default: the catalogue's) and a wp_yara_match row with namespace, tags and meta
 * for the report. Timeouts become LIMIT_YARA_TIMEOUT.
 */
#include <stdio.h>
#include <string.h>

#include "content.h"
#include "core/util.h"

typedef struct cb_ctx {
    wp_scan *s;
    const char *where;
} cb_ctx;

static int
on_match(YR_SCAN_CONTEXT *ctx, int message, void *message_data, void *user_data)
{
    (void)ctx;
    if (message != CALLBACK_MSG_RULE_MATCHING)
        return CALLBACK_CONTINUE;
    cb_ctx *c = user_data;
    wp_scan *s = c->s;
    YR_RULE *rule = message_data;
    int weight = -1;
    const char *desc = NULL;
    size_t nmeta = 0;
    YR_META *m;
    yr_rule_metas_foreach(rule, m)
    {
        nmeta++;
    }
    if (nmeta > 64)
        nmeta = 64;
    const char **keys = wp_arena_alloc(s->a, (nmeta + 1) * sizeof(char *));
    const char **vals = wp_arena_alloc(s->a, (nmeta + 1) * sizeof(char *));
    unsigned char *isstr = wp_arena_alloc(s->a, nmeta + 1);
    size_t k = 0;
    yr_rule_metas_foreach(rule, m)
    {
        if (k >= nmeta || keys == NULL || vals == NULL || isstr == NULL)
            break;
        keys[k] = wp_arena_sanitize(s->a, m->identifier, strlen(m->identifier), 128);
        if (m->type == META_TYPE_INTEGER) {
            vals[k] = wp_arena_printf(s->a, "%lld", (long long)m->integer);
            isstr[k] = 0;
            if (strcmp(m->identifier, "weight") == 0)
                weight = (int)m->integer;
        } else if (m->type == META_TYPE_BOOLEAN) {
            vals[k] = m->integer ? "true" : "false";
            isstr[k] = 0;
        } else {
            vals[k] = wp_arena_sanitize(s->a, m->string, strlen(m->string), 1024);
            isstr[k] = 1;
            if (strcmp(m->identifier, "description") == 0)
                desc = m->string;
        }
        if (keys[k] != NULL && vals[k] != NULL)
            k++;
    }

    char tags[256];
    size_t t = 0;
    tags[0] = '\0';
    const char *tag;
    yr_rule_tags_foreach(rule, tag)
    {
        int w = snprintf(tags + t, sizeof tags - t, "%s%s", t ? "," : "", tag);
        if (w < 0 || (size_t)w >= sizeof tags - t)
            break;
        t += (size_t)w;
    }

    if (wp_arena_grow(s->a, (void **)&s->yara, &s->cap_yara, s->n_yara + 1,
                      sizeof(wp_yara_match)) &&
        s->n_yara < wp_limit(s->lim, WP_LIMIT_FINDINGS)) {
        wp_yara_match *y = &s->yara[s->n_yara++];
        y->where = c->where;
        y->rule = wp_arena_strdup(s->a, rule->identifier);
        y->ns = rule->ns ? wp_arena_strdup(s->a, rule->ns->name) : NULL;
        y->tags = wp_arena_strdup(s->a, tags);
        y->meta_keys = keys;
        y->meta_values = vals;
        y->meta_is_string = isstr;
        y->n_meta = keys && vals && isstr ? k : 0;
    }
    const wp_finding_def *def = wp_finding_lookup("YARA_MATCH");
    wp_scan_finding_weighted(s, "YARA_MATCH", weight >= 0 ? weight : def->weight, c->where,
                             "rule %s%s%s%s%s%s", rule->identifier, t ? " [" : "", tags,
                             t ? "]" : "", desc ? ": " : "",
                             desc ? wp_arena_sanitize(s->a, desc, strlen(desc), 200) : "");
    return CALLBACK_CONTINUE;
}

void
wp_yara_scan(wp_scan *s, const uint8_t *data, size_t len, const char *where)
{
    YR_SCANNER *y = s->sc->yara;
    if (y == NULL || len == 0)
        return;
    cb_ctx c = {.s = s, .where = where};
    yr_scanner_set_callback(y, on_match, &c);
    uint64_t ms = wp_limit(s->lim, WP_LIMIT_YARA_TIMEOUT_MS);
    uint64_t left = wp_scan_ms_left(s); /* YARA's own clock counts whole seconds */
    if (left == 0)
        return;
    yr_scanner_set_timeout(y, (int)(((ms < left ? ms : left) + 999) / 1000));
    int rc = yr_scanner_scan_mem(y, data, len);
    if (rc == ERROR_SCAN_TIMEOUT)
        wp_scan_limit(s, WP_LIMIT_YARA_TIMEOUT_MS, where, "YARA scan exceeded %llu ms",
                      (unsigned long long)ms);
    else if (rc != ERROR_SUCCESS)
        wp_scan_finding(s, "YARA_ERROR", where, "YARA error %d", rc);
}
