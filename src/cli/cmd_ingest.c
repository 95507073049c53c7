/*
 * cmd_ingest.c - `watchpost ingest PATH...` (a finished set of logs, in batch) and
 * `watchpost watch PATH...` (growing logs, followed): Zeek and Suricata records through the
 * egress detectors, their findings and the recorded mail decisions through the correlator
 * into incidents, incidents to the alert sinks (docs/EGRESS.md, docs/INCIDENTS.md).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void
ingest_usage(FILE *out, bool watch)
{
    if (watch)
        fprintf(out, "NAME\n"
                     "    watchpost watch - follow growing Zeek/Suricata logs; raise incidents\n"
                     "\n"
                     "SYNOPSIS\n"
                     "    watchpost watch [-c FILE] [--db PATH] [--once] FILE...\n"
                     "\n"
                     "DESCRIPTION\n"
                     "    Follows each FILE as tail -F does (rotation, truncation and replacement\n"
                     "    are noticed and counted), feeds new records to the egress detectors\n"
                     "    every egress.poll_ms (default 1000) and correlates their findings with\n"
                     "    the mail decisions the milter records in the same store. Where each\n"
                     "    file stopped is saved in the store after every poll: a restart resumes\n"
                     "    without re-reading or skipping. SIGTERM/SIGINT finish the poll, save\n"
                     "    and exit 0.\n");
    else
        fprintf(out, "NAME\n"
                     "    watchpost ingest - read a finished set of Zeek/Suricata logs; raise "
                     "incidents\n"
                     "\n"
                     "SYNOPSIS\n"
                     "    watchpost ingest [-c FILE] [--db PATH] [--json] PATH...\n"
                     "\n"
                     "DESCRIPTION\n"
                     "    Reads every PATH (a log file, plain or gzip, or a directory of them,\n"
                     "    recursively, in name order): Zeek conn/dns/http/ssl/files/dhcp/\n"
                     "    known_hosts/kerberos logs in TSV or JSON, Suricata EVE JSON. Records\n"
                     "    go through the egress detectors (indicators from intel.file, beaconing,\n"
                     "    DNS tunnelling, exfiltration, rare destinations; docs/EGRESS.md), the\n"
                     "    findings and the store's mail decisions through the correlator into\n"
                     "    incidents (docs/INCIDENTS.md). Every line is accounted for: records,\n"
                     "    headers, skipped as bad (with the first reasons) or as of an unused\n"
                     "    kind.\n");
    fprintf(out,
            "\n"
            "OPTIONS\n"
            "    -c, --config FILE   configuration (egress.*, incident.*, intel.file, alert.*)\n"
            "    --db PATH           the store (default: store.db, else " CLI_DEFAULT_STORE_DB ")\n"
            "    --set KEY=VALUE     any configuration setting (repeatable)\n"
            "    --json              ingest: the summary as one JSON object\n"
            "    --quiet             do not print each finding and incident change\n"
            "    --once              watch: one poll of every file, then exit\n"
            "    -h, --help          this text\n"
            "\n"
            "EXIT STATUS\n"
            "    0  read, nothing found   1  findings or incidents   2  a file could not be\n"
            "    read, or lines were skipped as bad   3  usage or configuration error\n"
            "\n"
            "EXAMPLES\n"
            "    watchpost ingest /var/log/zeek/2026-11-26/\n"
            "    watchpost watch /opt/zeek/logs/current/conn.log /opt/zeek/logs/current/dns.log\n"
            "    watchpost watch /var/log/suricata/eve.json\n");
}

typedef struct run {
    wp_store *store;
    wp_egress *eg;
    wp_correlator *corr;
    wp_alerter *alerter;
    wp_intel_set *intel;
    bool quiet, json;
    double max_ts;
    unsigned long long records, host_records, findings, files, unreadable, not_logs;
    unsigned long long lines, headers, bad, unknown, out_of_order;
    unsigned long long by_kind[WP_NET__COUNT];
    unsigned long long raised, escalated;
    wp_status corr_error;
    char corr_err[512];
} run;

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void
on_finding(void *ctx, const wp_egress_finding *f)
{
    run *r = ctx;
    r->findings++;
    if (!r->quiet)
        fprintf(stderr, "finding %s %s -> %s%s%s score=%.2f: %s\n", wp_egress_code_name(f->code),
                f->src, f->dst, f->indicator[0] ? " listed " : "", f->indicator, f->score,
                f->evidence);
    char err[512] = "";
    wp_status st = wp_correlator_net(r->corr, f, err, sizeof err);
    if (st != WP_OK && r->corr_error == WP_OK) {
        r->corr_error = st;
        snprintf(r->corr_err, sizeof r->corr_err, "%s", err);
    }
}

static void
on_incident(void *ctx, const wp_incident_change *ch)
{
    run *r = ctx;
    if (ch->from_severity < 0)
        r->raised++;
    else
        r->escalated++;
    if (!r->quiet) {
        if (ch->from_severity < 0)
            fprintf(stderr, "incident %lld raised at severity %d: %s (%s)\n", (long long)ch->id,
                    ch->to_severity, ch->title, ch->reason);
        else
            fprintf(stderr, "incident %lld severity %d -> %d: %s\n", (long long)ch->id,
                    ch->from_severity, ch->to_severity, ch->reason);
    }
    if (r->alerter != NULL) {
        wp_incident_alert ia = {.id = ch->id,
                                .severity = ch->to_severity,
                                .from_severity = ch->from_severity,
                                .title = ch->title,
                                .reason = ch->reason,
                                .evidence_ts = ch->evidence_ts,
                                .first_evidence = ch->first_evidence,
                                .detected_at = ch->detected_at};
        wp_alert_incident(r->alerter, &ia);
    }
}

/* The alerter's sender thread: an incident alert went out; record when (time to alert). */
static void
on_alert_done(void *ctx, const char *ref, double detected_at, double finished_at, bool delivered)
{
    (void)detected_at;
    run *r = ctx;
    long long id;
    char err[256];
    if (delivered && ref != NULL && sscanf(ref, "incident-%lld", &id) == 1)
        wp_store_incident_alerted(r->store, id, finished_at, err, sizeof err);
}

static bool
on_record(void *ctx, const wp_net_record *rec)
{
    run *r = ctx;
    r->records++;
    if (rec->kind < WP_NET__COUNT)
        r->by_kind[rec->kind]++;
    if (rec->ts > r->max_ts)
        r->max_ts = rec->ts;
    if (rec->kind == WP_NET_HOST) {
        r->host_records++;
        char err[256];
        wp_correlator_host(r->corr, rec, err, sizeof err);
        return true;
    }
    wp_egress_add(r->eg, rec);
    /* windowed detectors every 1M records, so a long batch reports as it goes; more often
     * costs sorting (beacon scoring sorts each busy pair's samples) for nothing, since a
     * batch's verdicts are final only at its end anyway */
    if ((r->records & 0xfffff) == 0)
        wp_egress_tick(r->eg, r->max_ts);
    return true;
}

static void
add_stats(run *r, const wp_netlog_stats *s, const char *path)
{
    r->lines += s->lines;
    r->headers += s->headers;
    r->bad += s->skipped_bad;
    r->unknown += s->skipped_unknown;
    r->out_of_order += s->out_of_order;
    for (unsigned i = 0; i < s->n_reasons && i < WP_NETLOG_REASONS; i++)
        fprintf(stderr, "watchpost: %s:%llu: skipped: %s\n", path, s->reasons[i].line,
                s->reasons[i].text);
    if (s->skipped_bad > s->n_reasons)
        fprintf(stderr, "watchpost: %s: %llu lines skipped as bad in all\n", path, s->skipped_bad);
}

static bool
setup(run *r, cli_config *cfg, const char *db)
{
    char err[512] = "";
    if (!cli_store_open_sync(cfg, db, NULL, false, true, &r->store))
        return false;
    cli_netconfig_apply(&cfg->net);
    if (cfg->net.n_intel_files > 0) {
        wp_intel_options io;
        wp_intel_options_init(&io);
        if (wp_intel_set_new(&io, &r->intel) != WP_OK) {
            fprintf(stderr, "watchpost: out of memory\n");
            return false;
        }
        for (size_t i = 0; i < cfg->net.n_intel_files; i++) {
            wp_intel_load_stats ls;
            if (wp_intel_load_file(r->intel, cfg->net.intel_files[i], &ls, err, sizeof err) !=
                WP_OK) {
                fprintf(stderr, "watchpost: %s\n", err);
                return false;
            }
        }
    }
    if (wp_egress_new(&cfg->net.egress, r->intel, on_finding, r, &r->eg, err, sizeof err) !=
        WP_OK) {
        fprintf(stderr, "watchpost: %s\n", err);
        return false;
    }
    if (wp_correlator_new(r->store, &cfg->net.incident, on_incident, r, &r->corr, err,
                          sizeof err) != WP_OK) {
        fprintf(stderr, "watchpost: %s\n", err);
        return false;
    }
    cfg->alert.on_done = on_alert_done;
    cfg->alert.on_done_ctx = r;
    if (wp_alerter_new(&cfg->alert, &r->alerter, err, sizeof err) != WP_OK) {
        fprintf(stderr, "watchpost: alerts: %s\n", err);
        return false;
    }
    size_t n;
    if (wp_correlator_mail(r->corr, &n, err, sizeof err) != WP_OK) {
        fprintf(stderr, "watchpost: %s\n", err);
        return false;
    }
    return true;
}

static void
teardown(run *r)
{
    if (r->alerter != NULL) {
        wp_alerter_flush(r->alerter, 5000);
        wp_alerter_free(r->alerter);
    }
    wp_correlator_free(r->corr);
    wp_egress_free(r->eg);
    wp_intel_set_free(r->intel);
    wp_store_close(r->store);
}

/* ---- batch ---- */

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void ingest_path(run *r, const char *path, int depth);

/* In a directory, the names Zeek and Suricata give their logs: "conn.log",
 * "dns.18:00:00-19:00:00.log.gz", "dns.json.gz", "eve.json", "eve.json.1",
 * "eve-2026-11-26.json"; a README, a pcap or a notes file beside them is left alone (and
 * said so), and so are Suricata's own text logs (fast.log, suricata.log, stats.log), which are not
 * records. Files named on the command line are always read. */
static bool
log_name(const char *name)
{
    if (strncmp(name, "fast.log", 8) == 0 || strncmp(name, "suricata.log", 12) == 0 ||
        strncmp(name, "stats.log", 9) == 0) /* Suricata's is text; Zeek's has no records */
        return false;
    return strstr(name, ".log") != NULL || strstr(name, ".json") != NULL ||
           strncmp(name, "eve", 3) == 0;
}

static void
ingest_dir(run *r, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "watchpost: %s: %s\n", dir, strerror(errno));
        r->unreadable++;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (nn == NULL)
                break;
            names = nn;
        }
        if ((names[n] = malloc(strlen(dir) + strlen(de->d_name) + 2)) == NULL)
            break;
        sprintf(names[n], "%s/%s", dir, de->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        const char *base = strrchr(names[i], '/') + 1;
        struct stat sb;
        if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode) && !log_name(base)) {
            r->not_logs++;
            if (!r->quiet)
                fprintf(stderr, "watchpost: %s: not a log by its name, left alone\n", names[i]);
        } else {
            ingest_path(r, names[i], depth + 1);
        }
        free(names[i]);
    }
    free(names);
}

static void
ingest_path(run *r, const char *path, int depth)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "watchpost: %s: %s\n", path, strerror(errno));
        r->unreadable++;
        return;
    }
    if (S_ISDIR(sb.st_mode)) {
        if (depth < 16)
            ingest_dir(r, path, depth);
        return;
    }
    if (!S_ISREG(sb.st_mode))
        return;
    char err[512] = "";
    r->files++;
    /* a parser per file: its counts and reasons are this file's */
    wp_netlog_parser *fp = NULL;
    if (wp_netlog_parser_new(NULL, &fp) != WP_OK) {
        fprintf(stderr, "watchpost: %s: out of memory\n", path);
        r->unreadable++;
        return;
    }
    wp_status st = wp_netlog_read_file(fp, path, on_record, r, err, sizeof err);
    add_stats(r, wp_netlog_parser_stats(fp), path);
    wp_netlog_parser_free(fp);
    if (st != WP_OK) {
        fprintf(stderr, "watchpost: %s: %s\n", path, err[0] ? err : wp_strerror(st));
        r->unreadable++;
    }
}

static void
print_summary(run *r, bool json)
{
    const wp_egress_stats *es = wp_egress_stats_get(r->eg);
    if (json) {
        json_t *o = json_object(), *k = json_object(), *f = json_object();
        json_object_set_new(o, "files", json_integer((json_int_t)r->files));
        json_object_set_new(o, "unreadable", json_integer((json_int_t)r->unreadable));
        json_object_set_new(o, "not_logs", json_integer((json_int_t)r->not_logs));
        json_object_set_new(o, "lines", json_integer((json_int_t)r->lines));
        json_object_set_new(o, "records", json_integer((json_int_t)r->records));
        json_object_set_new(o, "headers", json_integer((json_int_t)r->headers));
        json_object_set_new(o, "skipped_bad", json_integer((json_int_t)r->bad));
        json_object_set_new(o, "skipped_unknown", json_integer((json_int_t)r->unknown));
        json_object_set_new(o, "out_of_order", json_integer((json_int_t)r->out_of_order));
        for (int i = 0; i < WP_NET__COUNT; i++)
            json_object_set_new(k, wp_net_kind_name((wp_net_kind)i),
                                json_integer((json_int_t)r->by_kind[i]));
        json_object_set_new(o, "records_by_kind", k);
        for (int i = 0; i < WP_EG__COUNT; i++)
            if (es->findings_by_code[i] > 0)
                json_object_set_new(f, wp_egress_code_name((wp_egress_code)i),
                                    json_integer((json_int_t)es->findings_by_code[i]));
        json_object_set_new(o, "findings", f);
        json_object_set_new(o, "capped", json_integer((json_int_t)es->capped));
        json_object_set_new(o, "incidents_raised", json_integer((json_int_t)r->raised));
        json_object_set_new(o, "incidents_escalated", json_integer((json_int_t)r->escalated));
        char *s = json_dumps(o, JSON_COMPACT);
        if (s != NULL)
            puts(s);
        free(s);
        json_decref(o);
        return;
    }
    printf("files %llu (unreadable %llu, not logs by name %llu), lines %llu: records %llu, headers "
           "%llu, skipped bad "
           "%llu, skipped unused kind %llu, out of order %llu\n",
           r->files, r->unreadable, r->not_logs, r->lines, r->records, r->headers, r->bad,
           r->unknown, r->out_of_order);
    printf("records:");
    for (int i = 0; i < WP_NET__COUNT; i++)
        printf(" %s %llu", wp_net_kind_name((wp_net_kind)i), r->by_kind[i]);
    printf("\nfindings %llu:", r->findings);
    for (int i = 0; i < WP_EG__COUNT; i++)
        if (es->findings_by_code[i] > 0)
            printf(" %s %llu", wp_egress_code_name((wp_egress_code)i), es->findings_by_code[i]);
    if (es->capped > 0)
        printf(" (state refused by caps: %llu records)", es->capped);
    printf("\nincidents: %llu raised, %llu escalated\n", r->raised, r->escalated);
}

/* ---- follow ---- */

typedef struct followed {
    const char *path;
    wp_netlog_follower *f;
    wp_netlog_parser *p;
    wp_netlog_file_stats reported;   /* what was already said about rotations etc. */
    unsigned long long bad_reported; /* skipped-bad lines already said */
} followed;

static void
report_file_events(followed *fl)
{
    const wp_netlog_file_stats *fs = wp_netlog_follower_stats(fl->f);
    if (fs->rotations > fl->reported.rotations)
        fprintf(stderr, "watchpost: %s: rotated (%llu so far)\n", fl->path, fs->rotations);
    if (fs->truncations > fl->reported.truncations)
        fprintf(stderr, "watchpost: %s: truncated, read again from the start\n", fl->path);
    if (fs->replacements > fl->reported.replacements)
        fprintf(stderr, "watchpost: %s: replaced by a different file, read from the start\n",
                fl->path);
    if (fs->lost_bytes > fl->reported.lost_bytes)
        fprintf(stderr,
                "watchpost: %s: a rotated file could not be found again: %llu bytes unread\n",
                fl->path, fs->lost_bytes - fl->reported.lost_bytes);
    fl->reported = *fs;
}

static int
watch_loop(run *r, int n, char **paths, bool once, long poll_ms)
{
    followed *fl = calloc((size_t)n, sizeof *fl);
    int rc = WP_EXIT_CLEAN;
    char err[512];
    if (fl == NULL) {
        fprintf(stderr, "watchpost: out of memory\n");
        return WP_EXIT_ERRORS;
    }
    for (int i = 0; i < n; i++) {
        wp_netlog_cursor cur;
        bool found = false;
        fl[i].path = paths[i];
        err[0] = '\0';
        if (wp_store_cursor_get(r->store, paths[i], &cur, &found, err, sizeof err) != WP_OK ||
            wp_netlog_parser_new(NULL, &fl[i].p) != WP_OK ||
            wp_netlog_follower_new(paths[i], found ? &cur : NULL, &fl[i].f) != WP_OK) {
            fprintf(stderr, "watchpost: %s: cannot follow%s%s\n", paths[i], err[0] ? ": " : "",
                    err);
            rc = WP_EXIT_ERRORS;
            goto out;
        }
        if (found && !r->quiet)
            fprintf(stderr, "watchpost: %s: resuming at byte %llu\n", paths[i],
                    (unsigned long long)cur.offset);
        r->files++;
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    while (!stop_flag) {
        for (int i = 0; i < n; i++) {
            size_t got = 0;
            err[0] = '\0';
            wp_status st =
                wp_netlog_follower_poll(fl[i].f, fl[i].p, on_record, r, &got, err, sizeof err);
            if (st != WP_OK)
                fprintf(stderr, "watchpost: %s: %s\n", fl[i].path, err[0] ? err : wp_strerror(st));
            report_file_events(&fl[i]);
            /* a long-running follower says at once when lines are skipped, not at exit */
            const wp_netlog_stats *ps = wp_netlog_parser_stats(fl[i].p);
            if (ps->skipped_bad > fl[i].bad_reported) {
                fprintf(stderr, "watchpost: %s: %llu more lines skipped as bad (%llu in all)\n",
                        fl[i].path, ps->skipped_bad - fl[i].bad_reported, ps->skipped_bad);
                fl[i].bad_reported = ps->skipped_bad;
            }
        }
        wp_egress_tick(r->eg, r->max_ts);
        wp_correlator_mail(r->corr, NULL, err, sizeof err);
        /* saved after the records were handled: a crash re-reads at most one poll */
        for (int i = 0; i < n; i++) {
            wp_netlog_cursor cur;
            wp_netlog_follower_cursor(fl[i].f, &cur);
            if (wp_store_cursor_put(r->store, fl[i].path, &cur, err, sizeof err) != WP_OK)
                fprintf(stderr, "watchpost: %s\n", err);
        }
        if (once)
            break;
        struct timespec ts = {poll_ms / 1000, (poll_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
out:
    for (int i = 0; i < n; i++) {
        if (fl[i].p != NULL)
            add_stats(r, wp_netlog_parser_stats(fl[i].p), fl[i].path);
        wp_netlog_follower_free(fl[i].f);
        wp_netlog_parser_free(fl[i].p);
    }
    free(fl);
    if (rc == WP_EXIT_CLEAN)
        rc = r->bad > 0                         ? WP_EXIT_ERRORS
             : r->findings > 0 || r->raised > 0 ? WP_EXIT_FINDINGS
                                                : WP_EXIT_CLEAN;
    return rc;
}

enum { O_DB = 256, O_JSON, O_QUIET, O_ONCE, O_SET };

static int
ingest_main(int argc, char **argv, bool watch)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, O_DB},   {"json", no_argument, NULL, O_JSON},
        {"quiet", no_argument, NULL, O_QUIET},   {"once", no_argument, NULL, O_ONCE},
        {"set", required_argument, NULL, O_SET}, {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    cli_config cfg;
    cli_config_init(&cfg);
    run r = {0};
    const char *db = NULL;
    bool once = false;
    int rc = WP_EXIT_USAGE, c;
    if (!cli_config_load_args(&cfg, argc, argv))
        goto out;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case O_DB:
            db = optarg;
            break;
        case O_JSON:
            r.json = true;
            break;
        case O_QUIET:
            r.quiet = true;
            break;
        case O_ONCE:
            once = true;
            break;
        case O_SET:
            if (!cli_config_set(&cfg, optarg))
                goto out;
            break;
        case 'c':
            break;
        case 'h':
            ingest_usage(stdout, watch);
            rc = WP_EXIT_CLEAN;
            goto out;
        default:
            ingest_usage(stderr, watch);
            goto out;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "watchpost: %s wants at least one PATH\n", watch ? "watch" : "ingest");
        goto out;
    }
    if (!setup(&r, &cfg, db)) {
        rc = WP_EXIT_ERRORS;
        goto done;
    }
    if (!watch) {
        for (int i = optind; i < argc; i++)
            ingest_path(&r, argv[i], 0);
        wp_egress_tick(r.eg, r.max_ts);
        char err[512];
        wp_correlator_mail(r.corr, NULL, err, sizeof err);
        print_summary(&r, r.json);
    } else {
        rc = watch_loop(&r, argc - optind, argv + optind, once, cfg.net.poll_ms);
        print_summary(&r, false);
        goto done;
    }
    if (r.corr_error != WP_OK)
        fprintf(stderr, "watchpost: %s\n", r.corr_err);
    rc = r.unreadable > 0 || r.bad > 0 || r.corr_error != WP_OK ? WP_EXIT_ERRORS
         : r.findings > 0 || r.raised > 0                       ? WP_EXIT_FINDINGS
                                                                : WP_EXIT_CLEAN;
done:
    teardown(&r);
out:
    cli_config_fini(&cfg);
    return rc;
}

int
cmd_ingest(int argc, char **argv)
{
    return ingest_main(argc, argv, false);
}

int
cmd_watch(int argc, char **argv)
{
    return ingest_main(argc, argv, true);
}
