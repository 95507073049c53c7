/*
 * cmd_events.c - `watchpost events`: list recorded decisions from the store, newest first,
 * as an aligned table or one JSON object per line. The time helpers it uses are in
 * src/common/timefmt.c (shared with `watchpost serve`).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"

/* A listing stops here even when --limit asks for more: the store pages, the terminal not. */
#define EVENTS_MAX_LIMIT 1000000L

static void
events_usage(FILE *out)
{
    fprintf(out,
            "NAME\n"
            "    watchpost events - list the decisions recorded in the store\n"
            "\n"
            "SYNOPSIS\n"
            "    watchpost events [options]\n"
            "\n"
            "DESCRIPTION\n"
            "    Lists the decisions the milter (or 'watchpost scan --record') recorded, newest\n"
            "    first: time (UTC), decision id, severity, verdict, action, envelope sender,\n"
            "    first recipient and subject. With --json, one object per line with every\n"
            "    recorded field, the findings and the reasons (docs/STORE.md).\n"
            "    A decision recorded without an SMTP envelope (a scanned file) has no envelope\n"
            "    sender or recipients: the table shows its From and To headers instead, and\n"
            "    --sender and --recipient do not match it.\n"
            "\n"
            "OPTIONS\n"
            "    --since T           decisions at or after T\n"
            "    --until T           decisions before T; T is ISO-8601 UTC (2026-11-26,\n"
            "                        2026-11-26T10:00:00Z) or relative to now (-90s, -15m,\n"
            "                        -1h, -7d, -2w)\n"
            "    --severity N        severity N (0-5) or higher\n"
            "    --verdict CLASS     clean, spam, phishing, malware or targeted\n"
            "    --action A          deliver, tag, quarantine or reject\n"
            "    --sender ADDR       envelope sender (case-insensitive); @domain for a domain\n"
            "    --recipient ADDR    one of the envelope recipients (case-insensitive)\n"
            "    --finding CODE      decisions with this finding ('watchpost findings')\n"
            "    --id N              just decision N\n"
            "    --limit N           at most N decisions (default 100)\n"
            "    --json              one JSON object per decision\n"
            "    --db PATH           the store database (default: store.db of the\n"
            "                        configuration, else " CLI_DEFAULT_STORE_DB ")\n"
            "    -c, --config FILE   configuration file (docs/CONFIGURATION.md)\n"
            "    -h, --help          this text\n"
            "\n"
            "EXIT STATUS\n"
            "    0  at least one decision listed\n"
            "    1  no decision matched\n"
            "    2  the store could not be opened or read\n"
            "    3  usage or configuration error\n"
            "\n"
            "EXAMPLES\n"
            "    watchpost events --since -1h\n"
            "    watchpost events --verdict phishing --sender @example.com --json\n"
            "    watchpost events --severity 4 --since 2026-11-01 --until 2026-12-01\n");
}

const char *
cli_cut(const char *s, char *buf, size_t len)
{
    if (s == NULL || *s == '\0')
        return "-";
    size_t n = strlen(s);
    if (n < len)
        return s;
    size_t keep = len > 4 ? len - 4 : 0;
    while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
        keep--; /* never split a UTF-8 sequence */
    memcpy(buf, s, keep);
    memcpy(buf + keep, "...", 4);
    return buf;
}

/* ---- output ---- */

json_t *
cli_json_str(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

json_t *
cli_json_time(long long t)
{
    char b[32];
    return t > 0 ? json_string(cli_format_time(t, b, sizeof b)) : json_null();
}

json_t *
cli_event_json(const wp_event *e)
{
    static const char *const dirs[] = {"unknown", "inbound", "outbound"};
    json_t *o = json_object(), *rcpt = json_array(), *reasons = json_array(), *fnd = json_array();
    for (size_t i = 0; i < e->n_rcpt; i++)
        json_array_append_new(rcpt, cli_json_str(e->rcpt[i]));
    for (size_t i = 0; i < e->n_reasons; i++)
        json_array_append_new(reasons, cli_json_str(e->reasons[i]));
    for (size_t i = 0; i < e->n_findings; i++) {
        const wp_event_finding *f = &e->findings[i];
        json_array_append_new(
            fnd, json_pack("{s:o,s:o,s:i,s:i,s:o,s:o}", "code", cli_json_str(f->code), "category",
                           cli_json_str(f->category), "weight", f->weight, "contribution",
                           f->contribution, "evidence", cli_json_str(f->evidence), "where",
                           cli_json_str(f->where)));
    }
    json_object_set_new(o, "id", json_integer(e->id));
    json_object_set_new(o, "time", cli_json_time(e->time));
    json_object_set_new(o, "arrival", cli_json_time(e->arrival));
    json_object_set_new(o, "queue_id", cli_json_str(e->queue_id));
    json_object_set_new(o, "message_id", cli_json_str(e->message_id));
    json_object_set_new(o, "client_ip", cli_json_str(e->client_ip));
    json_object_set_new(o, "client_name", cli_json_str(e->client_name));
    json_object_set_new(o, "helo", cli_json_str(e->helo));
    json_object_set_new(o, "mail_from", cli_json_str(e->mail_from));
    json_object_set_new(o, "rcpt", rcpt);
    json_object_set_new(o, "n_rcpt_total", json_integer((json_int_t)e->n_rcpt_total));
    json_object_set_new(o, "direction",
                        json_string((unsigned)e->direction < 3 ? dirs[e->direction] : "unknown"));
    json_object_set_new(o, "authenticated", json_boolean(e->authenticated));
    json_object_set_new(o, "from", cli_json_str(e->from));
    json_object_set_new(o, "sender", cli_json_str(e->sender));
    json_object_set_new(o, "reply_to", cli_json_str(e->reply_to));
    json_object_set_new(o, "return_path", cli_json_str(e->return_path));
    json_object_set_new(o, "to", cli_json_str(e->to));
    json_object_set_new(o, "cc", cli_json_str(e->cc));
    json_object_set_new(o, "subject", cli_json_str(e->subject));
    json_object_set_new(o, "date", cli_json_str(e->date));
    json_object_set_new(o, "size", json_integer((json_int_t)e->size));
    json_object_set_new(o, "verdict", json_string(wp_verdict_name(e->verdict)));
    json_object_set_new(o, "score", json_integer(e->score));
    json_object_set_new(o, "severity", json_integer(e->severity));
    json_object_set_new(o, "action", json_string(wp_action_name(e->action)));
    json_object_set_new(o, "reasons", reasons);
    json_object_set_new(o, "findings", fnd);
    json_object_set_new(o, "n_findings_total", json_integer((json_int_t)e->n_findings_total));
    json_object_set_new(o, "quarantine_ref", cli_json_str(e->quarantine_ref));
    return o;
}

bool
cli_print_event_json(FILE *out, const wp_event *e)
{
    json_t *o = cli_event_json(e);
    /* ensure_ascii off: the store's text is sanitised UTF-8 already */
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (s == NULL)
        return false;
    fputs(s, out);
    fputc('\n', out);
    free(s);
    return true;
}

static void
print_header(void)
{
    printf("%-20s %8s %3s %-9s %-10s %-30s %-30s %s\n", "TIME", "ID", "SEV", "VERDICT", "ACTION",
           "SENDER", "RECIPIENT", "SUBJECT");
}

static void
print_row(const wp_event *e)
{
    char t[32], s1[31], s2[31], s3[61];
    /* without an envelope (a scanned file) the From header stands in for the sender */
    const char *sender = e->mail_from != NULL ? e->mail_from : e->from;
    if (sender != NULL && *sender == '\0')
        sender = "<>";
    printf("%-20s %8lld %3d %-9s %-10s %-30s %-30s %s\n", cli_format_time(e->time, t, sizeof t),
           (long long)e->id, e->severity, wp_verdict_name(e->verdict), wp_action_name(e->action),
           cli_cut(sender, s1, sizeof s1),
           cli_cut(e->n_rcpt > 0 ? e->rcpt[0] : e->to, s2, sizeof s2),
           cli_cut(e->subject, s3, sizeof s3));
}

/* ---- option parsing ---- */

static int
name_index(const char *name, const char *(*namefn)(int), int count)
{
    for (int i = 0; i < count; i++)
        if (strcasecmp(name, namefn(i)) == 0)
            return i;
    return -1;
}

static const char *
verdict_name(int i)
{
    return wp_verdict_name((wp_verdict_class)i);
}

static const char *
action_name(int i)
{
    return wp_action_name((wp_action)i);
}

bool
cli_opt_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "watchpost: %s wants a number from %ld to %ld, got '%s'\n", opt, lo, hi, s);
        return false;
    }
    *out = v;
    return true;
}

bool
cli_opt_time(const char *opt, const char *s, long long *out)
{
    if (cli_parse_time(s, (long long)time(NULL), out))
        return true;
    fprintf(stderr,
            "watchpost: %s: bad time '%s' (want 2026-11-26, 2026-11-26T10:00:00Z or -1h, -7d)\n",
            opt, s);
    return false;
}

static int events_main(int argc, char **argv, cli_config *cfg);

int
cmd_events(int argc, char **argv)
{
    cli_config cfg;
    cli_config_init(&cfg);
    int rc = events_main(argc, argv, &cfg);
    cli_config_fini(&cfg);
    return rc;
}

static int
events_main(int argc, char **argv, cli_config *cfg)
{
    enum {
        O_SINCE = 256,
        O_UNTIL,
        O_SEV,
        O_VERDICT,
        O_ACTION,
        O_SENDER,
        O_RCPT,
        O_FINDING,
        O_ID,
        O_LIMIT,
        O_JSON,
        O_DB
    };
    static const struct option opts[] = {
        {"since", required_argument, NULL, O_SINCE},
        {"until", required_argument, NULL, O_UNTIL},
        {"severity", required_argument, NULL, O_SEV},
        {"verdict", required_argument, NULL, O_VERDICT},
        {"action", required_argument, NULL, O_ACTION},
        {"sender", required_argument, NULL, O_SENDER},
        {"recipient", required_argument, NULL, O_RCPT},
        {"finding", required_argument, NULL, O_FINDING},
        {"id", required_argument, NULL, O_ID},
        {"limit", required_argument, NULL, O_LIMIT},
        {"json", no_argument, NULL, O_JSON},
        {"db", required_argument, NULL, O_DB},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (!cli_config_load_args(cfg, argc, argv))
        return WP_EXIT_USAGE;
    wp_event_filter f;
    wp_event_filter_init(&f);
    long limit = WP_STORE_DEFAULT_LIMIT, v;
    bool json = false;
    const char *db = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case O_SINCE:
            if (!cli_opt_time("--since", optarg, &f.since))
                return WP_EXIT_USAGE;
            break;
        case O_UNTIL:
            if (!cli_opt_time("--until", optarg, &f.until))
                return WP_EXIT_USAGE;
            break;
        case O_SEV:
            if (!cli_opt_long("--severity", optarg, 0, 5, &v))
                return WP_EXIT_USAGE;
            f.min_severity = (int)v;
            break;
        case O_VERDICT:
            if ((f.verdict = name_index(optarg, verdict_name, WP_VERDICT__COUNT)) < 0) {
                fprintf(stderr,
                        "watchpost: --verdict: unknown class '%s' (clean, spam, "
                        "phishing, malware, targeted)\n",
                        optarg);
                return WP_EXIT_USAGE;
            }
            break;
        case O_ACTION:
            if ((f.action = name_index(optarg, action_name, WP_ACTION__COUNT)) < 0) {
                fprintf(stderr,
                        "watchpost: --action: unknown action '%s' (deliver, tag, "
                        "quarantine, reject)\n",
                        optarg);
                return WP_EXIT_USAGE;
            }
            break;
        case O_SENDER:
            f.sender = optarg;
            break;
        case O_RCPT:
            f.recipient = optarg;
            break;
        case O_FINDING:
            f.finding_code = optarg;
            break;
        case O_ID:
            if (!cli_opt_long("--id", optarg, 1, LONG_MAX, &v))
                return WP_EXIT_USAGE;
            f.id = v;
            break;
        case O_LIMIT:
            if (!cli_opt_long("--limit", optarg, 1, EVENTS_MAX_LIMIT, &limit))
                return WP_EXIT_USAGE;
            break;
        case O_JSON:
            json = true;
            break;
        case O_DB:
            db = optarg;
            break;
        case 'c':
            break; /* loaded above */
        case 'h':
            events_usage(stdout);
            return WP_EXIT_CLEAN;
        default:
            events_usage(stderr);
            return WP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "watchpost: events: unexpected argument '%s'\n", argv[optind]);
        return WP_EXIT_USAGE;
    }
    if (f.since != 0 && f.until != 0 && f.since >= f.until) {
        fprintf(stderr, "watchpost: --since must be before --until\n");
        return WP_EXIT_USAGE;
    }

    wp_store *st = NULL;
    if (!cli_store_open(cfg, db, NULL, false, &st))
        return WP_EXIT_ERRORS;
    int rc = WP_EXIT_NOTFOUND; /* until a row is printed */
    size_t left = (size_t)limit;
    while (left > 0) {
        f.limit = left < WP_STORE_MAX_LIMIT ? left : WP_STORE_MAX_LIMIT;
        wp_event_list *l = NULL;
        char err[512] = "";
        wp_status s = wp_store_events(st, &f, &l, err, sizeof err);
        if (s != WP_OK) {
            fprintf(stderr, "watchpost: %s\n", err[0] ? err : wp_strerror(s));
            rc = WP_EXIT_ERRORS;
            break;
        }
        if (l->n > 0 && rc == WP_EXIT_NOTFOUND) {
            rc = WP_EXIT_CLEAN;
            if (!json)
                print_header();
        }
        for (size_t i = 0; i < l->n; i++) {
            if (json)
                cli_print_event_json(stdout, &l->events[i]);
            else
                print_row(&l->events[i]);
        }
        left -= l->n < left ? l->n : left;
        bool more = l->more && l->n > 0;
        if (more)
            f.before_id = l->events[l->n - 1].id;
        wp_event_list_free(l);
        if (!more)
            break;
    }
    wp_store_close(st);
    if (fflush(stdout) != 0 && rc != WP_EXIT_ERRORS) {
        fprintf(stderr, "watchpost: writing the listing: %s\n", strerror(errno));
        rc = WP_EXIT_ERRORS;
    }
    return rc;
}
