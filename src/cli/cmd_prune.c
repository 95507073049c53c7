/*
 * cmd_prune.c - `watchpost prune`: store retention on demand (the milter runs the same
 * hourly when store.retention_days is set; a sensor without the milter runs this from cron
 * or a systemd timer). The rules of what goes and what stays are the library's
 * (wp_store_prune, src/lib/store/prune.c, docs/STORE.md); this prints what it did.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void
prune_usage(FILE *out)
{
    (void)fprintf(
        out, "NAME\n"
             "    watchpost prune - delete store records older than the retention\n"
             "\n"
             "SYNOPSIS\n"
             "    watchpost prune [--days N] [--db PATH] [-c FILE] [--json]\n"
             "\n"
             "DESCRIPTION\n"
             "    Deletes, in small transactions, what the store holds from before N days\n"
             "    ago (--days, else store.retention_days): decisions with their findings and\n"
             "    recipients, quarantine tombstones, network findings, closed incidents\n"
             "    (closed and last seen before the cut-off) and host-to-user mappings.\n"
             "    Kept however old: a decision whose quarantined file still exists (the\n"
             "    spool has its own retention, quarantine.retention_days), open and\n"
             "    acknowledged incidents, and everything an incident that stays cites.\n"
             "    Writers (milter, ingest, watch) may run meanwhile. The milter runs the same\n"
             "    sweep hourly when store.retention_days is set.\n"
             "\n"
             "OPTIONS\n"
             "    --days N       the retention in days, 1 to 36500\n"
             "    --db PATH      the store (store.db, default " CLI_DEFAULT_STORE_DB ")\n"
             "    -c FILE        configuration file (store.db, store.retention_days)\n"
             "    --json         print the counts as one JSON object\n"
             "    -h, --help     this text\n"
             "\n"
             "EXIT STATUS\n"
             "    0 done (also when nothing was old enough), 2 the store could not be\n"
             "    opened or written, 3 usage (no retention given or configured).\n"
             "\n"
             "EXAMPLES\n"
             "    watchpost prune --days 400 --db /var/lib/watchpost/watchpost.db\n"
             "    watchpost prune -c /etc/watchpost/watchpost.conf --json\n");
}

typedef struct popts {
    long days; /* -1: from the configuration */
    const char *db;
    bool json, help;
} popts;

static bool
parse_args(int argc, char **argv, popts *o)
{
    enum { O_DAYS = 256, O_DB, O_JSON };
    static const struct option opts[] = {
        {"days", required_argument, NULL, O_DAYS}, {"db", required_argument, NULL, O_DB},
        {"json", no_argument, NULL, O_JSON},       {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case O_DAYS:
            if (!cli_opt_long("--days", optarg, 1, 36500, &o->days))
                return false;
            break;
        case O_DB:
            o->db = optarg;
            break;
        case O_JSON:
            o->json = true;
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
    if (optind < argc) {
        (void)fprintf(stderr, "watchpost: prune: unexpected argument '%s'\n", argv[optind]);
        return false;
    }
    return true;
}

int
cmd_prune(int argc, char **argv)
{
    popts o = {.days = -1};
    cli_config cfg;
    cli_config_init(&cfg);
    int rc = WP_EXIT_USAGE;
    if (!cli_config_load_args(&cfg, argc, argv) || !parse_args(argc, argv, &o))
        goto out;
    if (o.help) {
        prune_usage(stdout);
        rc = WP_EXIT_CLEAN;
        goto out;
    }
    if (o.days < 0)
        o.days = cfg.store_retention_days;
    if (o.days <= 0) {
        (void)fprintf(stderr, "watchpost: prune wants --days N (or store.retention_days in the "
                              "configuration)\n");
        goto out;
    }
    wp_store *st = NULL;
    if (!cli_store_open(&cfg, o.db, NULL, false, &st)) {
        rc = WP_EXIT_ERRORS;
        goto out;
    }
    wp_store_prune_counts n;
    char err[512] = "";
    wp_status s = wp_store_prune(st, (unsigned)o.days, 0, &n, err, sizeof err);
    wp_store_close(st);
    if (s != WP_OK) {
        (void)fprintf(stderr, "watchpost: prune: %s\n", err[0] ? err : wp_strerror(s));
        rc = WP_EXIT_ERRORS;
        goto out;
    }
    if (o.json) {
        printf("{\"days\":%ld,\"decisions\":%llu,\"tombstones\":%llu,\"net_findings\":%llu,"
               "\"incidents\":%llu,\"host_map\":%llu}\n",
               o.days, (unsigned long long)n.decisions, (unsigned long long)n.tombstones,
               (unsigned long long)n.net_findings, (unsigned long long)n.incidents,
               (unsigned long long)n.host_map);
    } else {
        printf("pruned records older than %ld days: %llu decisions, %llu quarantine "
               "tombstones, %llu network findings, %llu closed incidents, %llu host "
               "mappings\n",
               o.days, (unsigned long long)n.decisions, (unsigned long long)n.tombstones,
               (unsigned long long)n.net_findings, (unsigned long long)n.incidents,
               (unsigned long long)n.host_map);
    }
    rc = WP_EXIT_CLEAN;
out:
    cli_config_fini(&cfg);
    return rc;
}
