/*
 * hunt.c - network findings grouped per (host, destination, code) and ranked, for hunting
 * below the incident threshold (watchpost/hunt.h, docs/EGRESS.md "Hunting").
 *
 * One aggregate query over the time index of net_findings, under the store's lock as the
 * other readers take it; the latest finding of each group (its evidence, port and incident)
 * is looked up for the top N only. The list lives in one arena, freed with the list. The
 * beacon's score components are read back from the evidence line that egress/beacon.c
 * writes; a line in another form leaves them absent rather than failing the list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "store_int.h"
#include "watchpost/egress.h"
#include "watchpost/hunt.h"

#define HUNT_ARENA_BUDGET ((size_t)64 << 20)

/* Families: a name and its codes as ",A,B," (matched with instr() in the query). */
static const struct {
    const char *name, *codes;
} families[] = {
    {"beacon", ",NET_BEACON,"},
    {"long", ",NET_LONG_CONN,"},
    {"rare", ",NET_RARE_DOMAIN,"},
    {"dns", ",NET_DNS_TUNNEL,"},
    {"exfil", ",NET_EXFIL_VOLUME,NET_EXFIL_NEW_DEST,NET_CRED_POST,"},
    {"ids", ",NET_IDS_ALERT,"},
    {"intel", ",NET_IOC_IP,NET_IOC_DOMAIN,NET_IOC_URL,NET_IOC_JA3,NET_IOC_HASH,"},
};

static const struct {
    const char *code, *unit;
} units[] = {
    {"NET_IOC_", "hits"},         {"NET_IDS_ALERT", "alerts"},      {"NET_BEACON", "connections"},
    {"NET_LONG_CONN", "seconds"}, {"NET_DNS_TUNNEL", "names"},      {"NET_EXFIL_", "bytes"},
    {"NET_CRED_POST", "POSTs"},   {"NET_RARE_DOMAIN", "sightings"},
};

/* The ",CODE," set for a code or family into buf; false when unknown. */
static bool
code_set(const char *code, char *buf, size_t cap)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        if (strcasecmp(code, families[i].name) == 0) {
            (void)snprintf(buf, cap, "%s", families[i].codes);
            return true;
        }
    }
    for (int c = 0; c < WP_EG__COUNT; c++) {
        const char *name = wp_egress_code_name((wp_egress_code)c);
        if (strcasecmp(code, name) == 0) {
            (void)snprintf(buf, cap, ",%s,", name);
            return true;
        }
    }
    return false;
}

bool
wp_hunt_code_valid(const char *code)
{
    char set[128];
    return code != NULL && code_set(code, set, sizeof set);
}

const char *
wp_hunt_count_unit(const char *code)
{
    for (size_t i = 0; code != NULL && i < sizeof units / sizeof units[0]; i++) {
        if (strncmp(code, units[i].code, strlen(units[i].code)) == 0)
            return units[i].unit;
    }
    return "";
}

void
wp_hunt_filter_init(wp_hunt_filter *f)
{
    memset(f, 0, sizeof *f);
    f->limit = WP_HUNT_DEFAULT_LIMIT;
}

void
wp_hunt_list_free(wp_hunt_list *l)
{
    if (l != NULL)
        wp_arena_free(l->priv); /* l itself is in the arena */
}

/* beacon.c writes "beacon score %.2f over %zu connections in %.0f s: interval median %.1f s
 * (skew %.2f, MAD %.2f, coverage %.2f), size median %.0f B (skew %.2f, MAD %.2f, small %.2f)":
 * each literal in turn, then a number. */
static void
beacon_parts(const char *ev, wp_hunt_beacon *b)
{
    static const char *const lit[] = {
        "beacon score ", " over ", " connections in ", " s: interval median ",
        " s (skew ",     ", MAD ", ", coverage ",      "), size median ",
        " B (skew ",     ", MAD ", ", small "};
    double *val[] = {&b->score,         &b->connections,  &b->span_s,    &b->interval_median_s,
                     &b->interval_skew, &b->interval_mad, &b->coverage,  &b->size_median_b,
                     &b->size_skew,     &b->size_mad,     &b->size_small};
    memset(b, 0, sizeof *b);
    const char *p = ev;
    for (size_t i = 0; p != NULL && i < sizeof lit / sizeof lit[0]; i++) {
        size_t n = strlen(lit[i]);
        char *end = NULL;
        if (strncmp(p, lit[i], n) != 0)
            return;
        *val[i] = strtod(p + n, &end);
        if (end == p + n)
            return;
        p = end;
    }
    b->present = p != NULL && strcmp(p, ")") == 0;
}

/* The groups (?1 since, ?2 code set or NULL, ?3 host or NULL, ?4 min score, ?5 include those
 * in an incident, ?6 limit), then each group's latest finding and latest incident. */
static const char hunt_sql[] =
    "WITH g AS (SELECT code, src, dst, max(score) AS ms, count(*) AS n, sum(count) AS cs,"
    " max(count) AS cm, min(first_ts) AS ft, max(ts) AS lt, count(incident_id) AS ni"
    " FROM net_findings WHERE ts >= ?1 AND (?2 IS NULL OR instr(?2, ',' || code || ',') > 0)"
    " AND (?3 IS NULL OR src = ?3) GROUP BY code, src, dst"
    " HAVING ms >= ?4 AND (?5 OR ni = 0) ORDER BY ms DESC, lt DESC, src, dst, code LIMIT ?6)"
    " SELECT g.code, g.src, g.dst, g.ms, g.n, g.cs, g.cm, g.ft, g.lt,"
    " x.evidence, coalesce(x.dst_port, -1),"
    " (SELECT y.incident_id FROM net_findings y WHERE y.src = g.src AND y.dst = g.dst"
    "  AND y.code = g.code AND y.ts >= ?1 AND y.incident_id IS NOT NULL"
    "  ORDER BY y.ts DESC, y.id DESC LIMIT 1)"
    " FROM g JOIN net_findings x ON x.id = (SELECT z.id FROM net_findings z WHERE"
    "  z.src = g.src AND z.dst = g.dst AND z.code = g.code AND z.ts >= ?1"
    "  ORDER BY z.ts DESC, z.id DESC LIMIT 1)"
    " ORDER BY g.ms DESC, g.lt DESC, g.src, g.dst, g.code";

static void
read_item(wp_arena *a, sqlite3_stmt *st, wp_hunt_item *it)
{
    it->code = wp_store_col_text(a, st, 0);
    it->src = wp_store_col_text(a, st, 1);
    it->dst = wp_store_col_text(a, st, 2);
    it->max_score = sqlite3_column_double(st, 3);
    it->findings = (uint64_t)sqlite3_column_int64(st, 4);
    it->count_sum = (uint64_t)sqlite3_column_int64(st, 5);
    it->count_max = (uint64_t)sqlite3_column_int64(st, 6);
    it->first_ts = sqlite3_column_double(st, 7);
    it->last_ts = sqlite3_column_double(st, 8);
    it->evidence = wp_store_col_text(a, st, 9);
    it->dst_port = sqlite3_column_int(st, 10);
    it->incident_id = sqlite3_column_int64(st, 11);
    if (it->code != NULL && strcmp(it->code, "NET_BEACON") == 0)
        beacon_parts(it->evidence, &it->beacon);
}

/* Runs the query into l (under the store's lock, held by the caller). */
static wp_status
run(wp_store *s, wp_arena *a, const wp_hunt_filter *f, const char *set, size_t limit,
    wp_hunt_list *l, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, hunt_sql, -1, &st, NULL) != SQLITE_OK)
        return wp_store_fail_db(s, "hunt", err, errlen);
    sqlite3_bind_double(st, 1, f->since);
    if (set != NULL)
        sqlite3_bind_text(st, 2, set, -1, SQLITE_STATIC);
    if (f->host != NULL && f->host[0] != '\0')
        sqlite3_bind_text(st, 3, f->host, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, f->min_score);
    sqlite3_bind_int(st, 5, f->include_incidents ? 1 : 0);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)limit + 1); /* one more says "truncated" */
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (l->n == limit) {
            l->truncated = true;
            continue;
        }
        if (!wp_arena_grow(a, (void **)&l->items, &cap, l->n + 1, sizeof(*l->items)))
            break;
        wp_hunt_item *it = &l->items[l->n++];
        memset(it, 0, sizeof *it);
        read_item(a, st, it);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return wp_store_fail_db(s, "hunt", err, errlen);
    return WP_OK;
}

wp_status
wp_store_hunt(wp_store *s, const wp_hunt_filter *f, wp_hunt_list **out, char *err, size_t errlen)
{
    wp_hunt_filter def;
    if (f == NULL) {
        wp_hunt_filter_init(&def);
        f = &def;
    }
    char set[128];
    if (f->code != NULL && f->code[0] != '\0' && !code_set(f->code, set, sizeof set)) {
        (void)snprintf(err, errlen,
                       "hunt: code is a NET_* code or beacon, long, rare, dns, exfil, ids, "
                       "intel, not '%.40s'",
                       f->code);
        return WP_EINVAL;
    }
    if (f->min_score != f->min_score) { /* NaN */
        (void)snprintf(err, errlen, "hunt: the minimum score is not a number");
        return WP_EINVAL;
    }
    size_t limit = f->limit == 0 ? WP_HUNT_DEFAULT_LIMIT : f->limit;
    if (limit > WP_HUNT_MAX_LIMIT)
        limit = WP_HUNT_MAX_LIMIT;
    wp_arena *a = wp_arena_new(HUNT_ARENA_BUDGET);
    wp_hunt_list *l = a != NULL ? wp_arena_alloc(a, sizeof *l) : NULL;
    if (l == NULL) {
        wp_arena_free(a);
        (void)snprintf(err, errlen, "hunt: out of memory");
        return WP_ENOMEM;
    }
    l->priv = a;
    pthread_mutex_lock(&s->mu);
    wp_status r =
        run(s, a, f, f->code != NULL && f->code[0] != '\0' ? set : NULL, limit, l, err, errlen);
    pthread_mutex_unlock(&s->mu);
    if (r == WP_OK && wp_arena_exhausted(a)) {
        (void)snprintf(err, errlen, "hunt: out of memory");
        r = WP_ENOMEM;
    }
    if (r != WP_OK) {
        wp_hunt_list_free(l);
        return r;
    }
    *out = l;
    return WP_OK;
}
