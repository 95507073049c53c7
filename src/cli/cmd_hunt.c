/*
 * cmd_hunt.c - `watchpost hunt`: the network findings of the store grouped per (host,
 * destination, code) and ranked by score, those not (yet) in an incident by default: what
 * the egress detectors saw, for an analyst to look through (docs/EGRESS.md "Hunting"). The
 * grouping and ranking are the library's (wp_store_hunt, src/lib/store/hunt.c); --json
 * prints the objects of GET /api/v1/hunt.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serve/serve.h"
#include "watchpost/hunt.h"

static void
hunt_usage(FILE *out)
{
    (void)fprintf(
        out, "NAME\n"
             "    watchpost hunt - rank the network findings not (yet) in an incident\n"
             "\n"
             "SYNOPSIS\n"
             "    watchpost hunt [--since T] [--code C] [--host ADDR] [--min-score X] [--all]\n"
             "                   [--limit N] [--json] [--db PATH] [-c FILE]\n"
             "\n"
             "DESCRIPTION\n"
             "    Groups the network findings that 'watchpost ingest' and 'watchpost watch'\n"
             "    recorded per internal host, destination and code, and lists the groups by\n"
             "    their highest score, then by their latest evidence: score, code, host,\n"
             "    destination and port, findings in the group, the largest count (its unit\n"
             "    depends on the code: connections for a beacon, seconds for a long\n"
             "    connection, bytes for exfiltration), first and last time of the evidence,\n"
             "    the incident when there is one, and the latest evidence (a beacon's carries\n"
             "    its score components). A group of which a finding is already in an\n"
             "    incident is left out unless --all is given: it is triaged there. The list\n"
             "    is the top N of a ranking, not a page. Times are log time (UTC).\n"
             "\n"
             "OPTIONS\n"
             "    --since T        findings at or after T: ISO-8601 UTC (2026-11-26,\n"
             "                     2026-11-26T10:00:00Z) or relative to now (-1h, -7d);\n"
             "                     default: all\n"
             "    --code C         a code (NET_BEACON) or a family: beacon, long, rare, dns,\n"
             "                     exfil, ids, intel\n"
             "    --host ADDR      the internal host (source address), exactly\n"
             "    --min-score X    groups whose highest score is at least X (0 to 1)\n"
             "    --all            also the groups already in an incident\n"
             "    --limit N        at most N groups, 1 to 10000 (default 100)\n"
             "    --json           one JSON object per group (the fields of GET /api/v1/hunt)\n"
             "    --db PATH        the store (store.db, default " CLI_DEFAULT_STORE_DB ")\n"
             "    -c FILE          configuration file (store.db)\n"
             "    -h, --help       this text\n"
             "\n"
             "EXIT STATUS\n"
             "    0 at least one group listed, 1 none matched, 2 the store could not be\n"
             "    opened or read, 3 usage.\n"
             "\n"
             "EXAMPLES\n"
             "    watchpost hunt --since -24h\n"
             "    watchpost hunt --code beacon --min-score 0.7 --all\n"
             "    watchpost hunt --host 10.1.0.15 --json\n");
}

typedef struct hopts {
    const char *db;
    long limit;
    bool json, help;
    wp_hunt_filter f;
    long long since;
} hopts;

static bool
opt_score(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double d = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(d >= 0 && d <= 1)) {
        (void)fprintf(stderr, "watchpost: --min-score wants a number from 0 to 1, not '%s'\n", s);
        return false;
    }
    *out = d;
    return true;
}

static bool
opt_code(const char *s, const char **out)
{
    if (!wp_hunt_code_valid(s)) {
        (void)fprintf(stderr,
                      "watchpost: --code wants a NET_* code ('watchpost findings') or beacon, "
                      "long, rare, dns, exfil, ids, intel, not '%s'\n",
                      s);
        return false;
    }
    *out = s;
    return true;
}

static bool
parse_args(int argc, char **argv, hopts *o)
{
    enum { O_SINCE = 256, O_CODE, O_HOST, O_MIN, O_ALL, O_LIMIT, O_JSON, O_DB };
    static const struct option opts[] = {{"since", required_argument, NULL, O_SINCE},
                                         {"code", required_argument, NULL, O_CODE},
                                         {"host", required_argument, NULL, O_HOST},
                                         {"min-score", required_argument, NULL, O_MIN},
                                         {"all", no_argument, NULL, O_ALL},
                                         {"limit", required_argument, NULL, O_LIMIT},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"db", required_argument, NULL, O_DB},
                                         {"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    bool ok = true;
    optind = 1;
    while (ok && (c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case O_SINCE:
            ok = cli_opt_time("--since", optarg, &o->since);
            break;
        case O_CODE:
            ok = opt_code(optarg, &o->f.code);
            break;
        case O_HOST:
            o->f.host = optarg;
            break;
        case O_MIN:
            ok = opt_score(optarg, &o->f.min_score);
            break;
        case O_ALL:
            o->f.include_incidents = true;
            break;
        case O_LIMIT:
            ok = cli_opt_long("--limit", optarg, 1, WP_HUNT_MAX_LIMIT, &o->limit);
            break;
        case O_JSON:
            o->json = true;
            break;
        case O_DB:
            o->db = optarg;
            break;
        case 'c':
            break; /* loaded by cli_config_load_args() */
        case 'h':
            o->help = true;
            return true;
        default:
            return false;
        }
    }
    if (ok && optind < argc) {
        (void)fprintf(stderr, "watchpost: hunt: unexpected argument '%s'\n", argv[optind]);
        return false;
    }
    return ok;
}

static bool
print_json(const wp_hunt_item *it)
{
    json_t *o = wps_hunt_item_json(it);
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (s == NULL)
        return false;
    (void)puts(s);
    free(s);
    return true;
}

static void
print_row(const wp_hunt_item *it)
{
    char dst[300], cut[33], last[32], ev[200], inc[24] = "-";
    if (it->dst_port >= 0) {
        (void)snprintf(dst, sizeof dst, "%s:%d", it->dst, it->dst_port);
    } else {
        (void)snprintf(dst, sizeof dst, "%s", it->dst);
    }
    if (it->incident_id > 0)
        (void)snprintf(inc, sizeof inc, "%lld", (long long)it->incident_id);
    printf("%-5.2f %-18s %-15s %-32s %4llu %10llu %-11s %-20s %-5s %s\n", it->max_score, it->code,
           it->src, cli_cut(dst, cut, sizeof cut), (unsigned long long)it->findings,
           (unsigned long long)it->count_max, wp_hunt_count_unit(it->code),
           cli_format_time((long long)it->last_ts, last, sizeof last), inc,
           cli_cut(it->evidence, ev, sizeof ev));
}

int
cmd_hunt(int argc, char **argv)
{
    hopts o = {.limit = WP_HUNT_DEFAULT_LIMIT};
    wp_hunt_filter_init(&o.f);
    cli_config cfg;
    cli_config_init(&cfg);
    int rc = WP_EXIT_USAGE;
    if (!cli_config_load_args(&cfg, argc, argv) || !parse_args(argc, argv, &o))
        goto out;
    if (o.help) {
        hunt_usage(stdout);
        rc = WP_EXIT_CLEAN;
        goto out;
    }
    o.f.since = (double)o.since;
    o.f.limit = (size_t)o.limit;
    wp_store *st = NULL;
    if (!cli_store_open(&cfg, o.db, NULL, false, &st)) {
        rc = WP_EXIT_ERRORS;
        goto out;
    }
    wp_hunt_list *l = NULL;
    char err[512] = "";
    wp_status s = wp_store_hunt(st, &o.f, &l, err, sizeof err);
    wp_store_close(st);
    if (s != WP_OK) {
        (void)fprintf(stderr, "watchpost: %s\n", err[0] ? err : wp_strerror(s));
        rc = s == WP_EINVAL ? WP_EXIT_USAGE : WP_EXIT_ERRORS;
        goto out;
    }
    if (!o.json && l->n > 0) {
        printf("%-5s %-18s %-15s %-32s %4s %10s %-11s %-20s %-5s %s\n", "SCORE", "CODE", "HOST",
               "DESTINATION", "FIND", "COUNT", "UNIT", "LAST SEEN", "INC", "EVIDENCE");
    }
    rc = l->n > 0 ? WP_EXIT_CLEAN : WP_EXIT_NOTFOUND;
    for (size_t i = 0; i < l->n; i++) {
        if (!o.json) {
            print_row(&l->items[i]);
        } else if (!print_json(&l->items[i])) {
            (void)fprintf(stderr, "watchpost: hunt: out of memory\n");
            rc = WP_EXIT_ERRORS;
            break;
        }
    }
    if (!o.json && l->n == 0) {
        (void)fprintf(stderr, "watchpost: hunt: no group matched%s\n",
                      o.f.include_incidents ? ""
                                            : " (groups already in an incident are left out: "
                                              "--all lists them)");
    }
    if (!o.json && l->truncated) {
        (void)fprintf(stderr, "watchpost: hunt: more groups matched than --limit %ld\n", o.limit);
    }
    wp_hunt_list_free(l);
out:
    cli_config_fini(&cfg);
    return rc;
}
