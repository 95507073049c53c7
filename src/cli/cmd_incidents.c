/*
 * cmd_incidents.c - `watchpost incidents list|show|ack|close|times`: the analyst's view of
 * what the correlator raised (docs/INCIDENTS.md).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void
incidents_usage(FILE *out)
{
    fprintf(out,
            "NAME\n"
            "    watchpost incidents - list, inspect, acknowledge and close incidents\n"
            "\n"
            "SYNOPSIS\n"
            "    watchpost incidents list [--status S] [--min-severity N] [--since T] [--json]\n"
            "    watchpost incidents show ID [--json]\n"
            "    watchpost incidents ack ID [--by NAME]\n"
            "    watchpost incidents close ID [--by NAME] [--reason TEXT]\n"
            "    watchpost incidents times [--since T] [--json]\n"
            "\n"
            "DESCRIPTION\n"
            "    Incidents join mail decisions and network findings about the same people,\n"
            "    hosts and destinations ('watchpost ingest', 'watchpost watch'). Each has a\n"
            "    severity on the 0-5 scale of docs/SEVERITY.md that only rises, every rise\n"
            "    recorded with its reason. 'list' shows open and acknowledged ones, highest\n"
            "    severity first; 'show' adds the hosts, users, destinations, the timeline and\n"
            "    the level changes; 'ack' marks one being handled; 'close' ends it with a\n"
            "    reason; 'times' reports time-to-detect (first evidence to incident) and\n"
            "    time-to-alert (incident to alert delivered).\n"
            "\n"
            "OPTIONS\n"
            "    --status S          list: open, acked, closed or all (default: open and acked)\n"
            "    --min-severity N    list: at least this severity (0-5)\n"
            "    --since T           list, times: raised since T (as in 'watchpost events')\n"
            "    --limit N           list: at most N (default 100)\n"
            "    --json              one JSON object per incident\n"
            "    --by NAME           ack, close: who (default: $SUDO_USER, $USER or the uid)\n"
            "    --reason TEXT       close: why (default 'closed')\n"
            "    --db PATH           the store database (default: store.db, else\n"
            "                        " CLI_DEFAULT_STORE_DB ")\n"
            "    -c, --config FILE   configuration file\n"
            "    -h, --help          this text\n"
            "\n"
            "EXIT STATUS\n"
            "    0  done   1  nothing listed, or no such incident   2  store error, or the\n"
            "    incident is not in a state that allows it   3  usage error\n"
            "\n"
            "EXAMPLES\n"
            "    watchpost incidents list --min-severity 3\n"
            "    watchpost incidents show 12\n"
            "    watchpost incidents close 12 --reason 'host reimaged, password reset'\n");
}

typedef struct iopts {
    const char *action, *db, *by, *reason, *status;
    long long id, since;
    long min_sev, limit;
    bool json, help;
} iopts;

static const char *
fmt_ts(double t, char *buf, size_t len)
{
    return t > 0 ? cli_format_time((long long)t, buf, len) : "-";
}

static json_t *
str_array(const char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, json_string(v[i] ? v[i] : ""));
    return a;
}

static json_t *
jnum_or_null(double t)
{
    return t > 0 ? json_real(t) : json_null();
}

static void
print_json(const wp_incident *it)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(it->id));
    json_object_set_new(o, "status", json_string(it->status));
    json_object_set_new(o, "severity", json_integer(it->severity));
    json_object_set_new(o, "severity_name", json_string(wp_severity_name(it->severity)));
    json_object_set_new(o, "title", json_string(it->title ? it->title : ""));
    json_object_set_new(o, "first_evidence", json_real(it->first_evidence));
    json_object_set_new(o, "last_evidence", json_real(it->last_evidence));
    json_object_set_new(o, "detected_at", json_real(it->detected_at));
    json_object_set_new(o, "alerted_at", jnum_or_null(it->alerted_at));
    json_object_set_new(o, "time_to_detect_s", json_real(it->detected_at - it->first_evidence));
    json_object_set_new(o, "time_to_alert_s",
                        it->alerted_at > 0 ? json_real(it->alerted_at - it->detected_at)
                                           : json_null());
    json_object_set_new(o, "ack_by", cli_json_str(it->ack_by));
    json_object_set_new(o, "closed_by", cli_json_str(it->closed_by));
    json_object_set_new(o, "close_reason", cli_json_str(it->close_reason));
    json_object_set_new(o, "hosts", str_array(it->hosts, it->n_hosts));
    json_object_set_new(o, "users", str_array(it->users, it->n_users));
    json_object_set_new(o, "destinations", str_array(it->destinations, it->n_destinations));
    json_object_set_new(o, "senders", str_array(it->senders, it->n_senders));
    if (it->n_levels > 0) {
        json_t *a = json_array();
        for (size_t i = 0; i < it->n_levels; i++) {
            const wp_incident_level *v = &it->levels[i];
            json_t *l = json_object();
            json_object_set_new(l, "at", json_real(v->at));
            json_object_set_new(l, "evidence_at", json_real(v->evidence_ts));
            json_object_set_new(
                l, "from", v->from_severity < 0 ? json_null() : json_integer(v->from_severity));
            json_object_set_new(l, "to", json_integer(v->to_severity));
            json_object_set_new(l, "reason", json_string(v->reason ? v->reason : ""));
            json_array_append_new(a, l);
        }
        json_object_set_new(o, "levels", a);
    }
    if (it->n_timeline > 0) {
        json_t *a = json_array();
        for (size_t i = 0; i < it->n_timeline; i++) {
            const wp_incident_step *p = &it->timeline[i];
            json_t *l = json_object();
            json_object_set_new(l, "ts", json_real(p->ts));
            json_object_set_new(l, "kind", json_string(p->kind ? p->kind : ""));
            json_object_set_new(l, "code", cli_json_str(p->code));
            json_object_set_new(l, "summary", json_string(p->summary ? p->summary : ""));
            json_array_append_new(a, l);
        }
        json_object_set_new(o, "timeline", a);
    }
    char *s = json_dumps(o, JSON_COMPACT);
    if (s != NULL)
        puts(s);
    free(s);
    json_decref(o);
}

static void
join(char *buf, size_t cap, const char **v, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len + 1 < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "," : "", v[i]);
    if (n == 0)
        snprintf(buf, cap, "-");
}

static int
do_list(wp_store *st, const iopts *o)
{
    wp_incident_filter f;
    wp_incident_filter_init(&f);
    f.status = o->status;
    f.min_severity = (int)o->min_sev;
    f.since = (double)o->since;
    f.limit = (size_t)o->limit;
    wp_incident_list *l = NULL;
    char err[512] = "";
    wp_status s = wp_store_incidents(st, &f, &l, err, sizeof err);
    if (s != WP_OK) {
        fprintf(stderr, "watchpost: %s\n", err);
        return s == WP_EINVAL ? WP_EXIT_USAGE : WP_EXIT_ERRORS;
    }
    if (!o->json && l->n > 0)
        printf("%-5s %-3s %-6s %-20s %-24s %s\n", "ID", "SEV", "STATUS", "DETECTED", "HOSTS",
               "TITLE");
    for (size_t i = 0; i < l->n; i++) {
        const wp_incident *it = &l->items[i];
        if (o->json) {
            print_json(it);
            continue;
        }
        char t[32], hosts[256], cut[25], title[120];
        join(hosts, sizeof hosts, it->hosts, it->n_hosts);
        printf("%-5lld %-3d %-6s %-20s %-24s %s\n", (long long)it->id, it->severity, it->status,
               fmt_ts(it->detected_at, t, sizeof t), cli_cut(hosts, cut, sizeof cut),
               cli_cut(it->title, title, sizeof title));
    }
    int rc = l->n > 0 ? WP_EXIT_CLEAN : WP_EXIT_NOTFOUND;
    wp_incident_list_free(l);
    return rc;
}

static void
print_duration(const char *label, double s)
{
    if (s < 0)
        s = 0;
    if (s < 120)
        printf("%s%.1f s\n", label, s);
    else if (s < 7200)
        printf("%s%.1f min\n", label, s / 60);
    else if (s < 2 * 86400)
        printf("%s%.1f h\n", label, s / 3600);
    else
        printf("%s%.1f days\n", label, s / 86400);
}

static int
do_show(wp_store *st, const iopts *o)
{
    wp_incident_list *l = NULL;
    char err[512] = "";
    wp_status s = wp_store_incident_get(st, o->id, &l, err, sizeof err);
    if (s != WP_OK) {
        fprintf(stderr, "watchpost: %s\n", err);
        return s == WP_ENOTFOUND ? WP_EXIT_NOTFOUND : WP_EXIT_ERRORS;
    }
    const wp_incident *it = &l->items[0];
    if (o->json) {
        print_json(it);
        wp_incident_list_free(l);
        return WP_EXIT_CLEAN;
    }
    char t[32], buf[2048];
    printf("Incident %lld: %s\n", (long long)it->id, it->title);
    printf("Severity:     %d (%s)\n", it->severity, wp_severity_name(it->severity));
    printf("Status:       %s", it->status);
    if (it->ack_by)
        printf(", acknowledged by %s at %s", it->ack_by, fmt_ts(it->ack_at, t, sizeof t));
    if (it->closed_by)
        printf(", closed by %s at %s: %s", it->closed_by, fmt_ts(it->closed_at, t, sizeof t),
               it->close_reason ? it->close_reason : "");
    putchar('\n');
    printf("First evidence: %s\n", fmt_ts(it->first_evidence, t, sizeof t));
    printf("Last evidence:  %s\n", fmt_ts(it->last_evidence, t, sizeof t));
    printf("Detected:       %s\n", fmt_ts(it->detected_at, t, sizeof t));
    print_duration("Time to detect: ", it->detected_at - it->first_evidence);
    if (it->alerted_at > 0)
        print_duration("Time to alert:  ", it->alerted_at - it->detected_at);
    else
        printf("Time to alert:  not alerted (below alert.min_severity, or no alert sink)\n");
    join(buf, sizeof buf, it->hosts, it->n_hosts);
    printf("Hosts:        %s\n", buf);
    join(buf, sizeof buf, it->users, it->n_users);
    printf("Users:        %s\n", buf);
    join(buf, sizeof buf, it->destinations, it->n_destinations);
    printf("Destinations: %s\n", buf);
    join(buf, sizeof buf, it->senders, it->n_senders);
    printf("Senders:      %s\n", buf);
    printf("\nSeverity changes:\n");
    for (size_t i = 0; i < it->n_levels; i++) {
        const wp_incident_level *v = &it->levels[i];
        char t2[32];
        if (v->from_severity < 0)
            printf("  %s  raised at %d: %s (evidence %s)\n", fmt_ts(v->at, t, sizeof t),
                   v->to_severity, v->reason, fmt_ts(v->evidence_ts, t2, sizeof t2));
        else
            printf("  %s  %d -> %d: %s (evidence %s)\n", fmt_ts(v->at, t, sizeof t),
                   v->from_severity, v->to_severity, v->reason,
                   fmt_ts(v->evidence_ts, t2, sizeof t2));
    }
    printf("\nTimeline:\n");
    for (size_t i = 0; i < it->n_timeline; i++) {
        const wp_incident_step *p = &it->timeline[i];
        printf("  %s  %-8s %s\n", fmt_ts(p->ts, t, sizeof t), p->kind, p->summary);
    }
    wp_incident_list_free(l);
    return WP_EXIT_CLEAN;
}

static int
do_times(wp_store *st, const iopts *o)
{
    wp_incident_times tm;
    char err[512] = "";
    if (wp_store_incident_times(st, (double)o->since, &tm, err, sizeof err) != WP_OK) {
        fprintf(stderr, "watchpost: %s\n", err);
        return WP_EXIT_ERRORS;
    }
    if (o->json) {
        printf("{\"incidents\":%zu,\"alerted\":%zu,\"time_to_detect_p50_s\":%.3f,"
               "\"time_to_detect_max_s\":%.3f,\"time_to_alert_p50_s\":%.3f,"
               "\"time_to_alert_max_s\":%.3f}\n",
               tm.n, tm.n_alerted, tm.detect_p50, tm.detect_max, tm.alert_p50, tm.alert_max);
    } else {
        printf("incidents: %zu (alerted: %zu)\n", tm.n, tm.n_alerted);
        print_duration("time to detect, median: ", tm.detect_p50);
        print_duration("time to detect, max:    ", tm.detect_max);
        print_duration("time to alert, median:  ", tm.alert_p50);
        print_duration("time to alert, max:     ", tm.alert_max);
    }
    return tm.n > 0 ? WP_EXIT_CLEAN : WP_EXIT_NOTFOUND;
}

enum { O_STATUS = 256, O_MINSEV, O_SINCE, O_LIMIT, O_JSON, O_BY, O_REASON, O_DB };

static bool
parse_args(int argc, char **argv, iopts *o)
{
    static const struct option opts[] = {
        {"status", required_argument, NULL, O_STATUS},
        {"min-severity", required_argument, NULL, O_MINSEV},
        {"since", required_argument, NULL, O_SINCE},
        {"limit", required_argument, NULL, O_LIMIT},
        {"json", no_argument, NULL, O_JSON},
        {"by", required_argument, NULL, O_BY},
        {"reason", required_argument, NULL, O_REASON},
        {"db", required_argument, NULL, O_DB},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case O_STATUS:
            o->status = optarg;
            break;
        case O_MINSEV:
            if (!cli_opt_long("--min-severity", optarg, 0, 5, &o->min_sev))
                return false;
            break;
        case O_SINCE:
            if (!cli_opt_time("--since", optarg, &o->since))
                return false;
            break;
        case O_LIMIT:
            if (!cli_opt_long("--limit", optarg, 1, 100000, &o->limit))
                return false;
            break;
        case O_JSON:
            o->json = true;
            break;
        case O_BY:
            o->by = optarg;
            break;
        case O_REASON:
            o->reason = optarg;
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
    if (optind >= argc) {
        fprintf(stderr, "watchpost: incidents wants an action: list, show, ack, close, times\n");
        return false;
    }
    o->action = argv[optind++];
    bool needs_id = strcmp(o->action, "show") == 0 || strcmp(o->action, "ack") == 0 ||
                    strcmp(o->action, "close") == 0;
    if (!needs_id && strcmp(o->action, "list") != 0 && strcmp(o->action, "times") != 0) {
        fprintf(stderr, "watchpost: incidents: unknown action '%s'\n", o->action);
        return false;
    }
    if (needs_id) {
        long v;
        if (optind >= argc || !cli_opt_long("ID", argv[optind], 1, 0x7fffffffL, &v))
            return optind < argc
                       ? false
                       : (fprintf(stderr, "watchpost: incidents %s wants an ID\n", o->action),
                          false);
        o->id = v;
        optind++;
    }
    if (optind < argc) {
        fprintf(stderr, "watchpost: incidents %s: unexpected argument '%s'\n", o->action,
                argv[optind]);
        return false;
    }
    return true;
}

int
cmd_incidents(int argc, char **argv)
{
    iopts o = {.limit = 100};
    cli_config cfg;
    cli_config_init(&cfg);
    int rc = WP_EXIT_USAGE;
    char who[64];
    if (!cli_config_load_args(&cfg, argc, argv) || !parse_args(argc, argv, &o))
        goto out;
    if (o.help) {
        incidents_usage(stdout);
        rc = WP_EXIT_CLEAN;
        goto out;
    }
    if (o.by == NULL)
        o.by = cli_default_actor(who, sizeof who);
    wp_store *st = NULL;
    if (!cli_store_open(&cfg, o.db, NULL, false, &st)) {
        rc = WP_EXIT_ERRORS;
        goto out;
    }
    char err[512] = "";
    if (strcmp(o.action, "list") == 0) {
        rc = do_list(st, &o);
    } else if (strcmp(o.action, "show") == 0) {
        rc = do_show(st, &o);
    } else if (strcmp(o.action, "times") == 0) {
        rc = do_times(st, &o);
    } else {
        wp_status s = strcmp(o.action, "ack") == 0
                          ? wp_store_incident_ack(st, o.id, o.by, err, sizeof err)
                          : wp_store_incident_close(st, o.id, o.by, o.reason, err, sizeof err);
        if (s == WP_OK) {
            printf("incident %lld %s by %s\n", o.id,
                   strcmp(o.action, "ack") == 0 ? "acknowledged" : "closed", o.by);
            rc = WP_EXIT_CLEAN;
        } else {
            fprintf(stderr, "watchpost: %s\n", err);
            rc = s == WP_ENOTFOUND ? WP_EXIT_NOTFOUND : WP_EXIT_ERRORS;
        }
    }
    wp_store_close(st);
out:
    cli_config_fini(&cfg);
    return rc;
}
