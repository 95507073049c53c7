/*
 * cmd_quarantine.c - `watchpost quarantine list|show|release|delete|expire`: the operator's
 * view of the quarantine spool, through the store library (docs/STORE.md).
 *
 * release claims the message in the store first (held -> releasing, one statement), so of two
 * releases of one message only one sends it; it re-injects through wp_deliver_reinject() or,
 * with --to-stdout, hands the original bytes to the operator's own pipeline, then marks it
 * released, or returns it to held when the sending failed. A truncated spool copy is never
 * released (the store refuses the claim); `show --raw` still exports it, with a warning.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void
quarantine_usage(FILE *out)
{
    fprintf(
        out,
        "NAME\n"
        "    watchpost quarantine - list, inspect, release and delete quarantined messages\n"
        "\n"
        "SYNOPSIS\n"
        "    watchpost quarantine list [--all | --state STATE] [filters] [--json]\n"
        "    watchpost quarantine show REF [--raw | --json]\n"
        "    watchpost quarantine release REF [--by NAME] [--smtp URL | --to-stdout]\n"
        "    watchpost quarantine delete REF [--by NAME]\n"
        "    watchpost quarantine expire --days N\n"
        "\n"
        "DESCRIPTION\n"
        "    REF is the quarantine reference (16 hex digits) named in the SMTP reply and in\n"
        "    the listings. 'list' shows held and released messages, newest first ('--all'\n"
        "    adds the tombstones of deleted ones). 'show' prints the envelope, headers,\n"
        "    verdict, reasons and findings; '--raw' writes the original bytes instead (checked\n"
        "    against the recorded SHA-256). 'release' re-injects a held message over SMTP to\n"
        "    its original sender and recipients, with an X-Watchpost-Released header, into a\n"
        "    listener that does not run the milter (quarantine.release_smtp, default\n"
        "    " CLI_DEFAULT_RELEASE_SMTP "; see contrib/postfix-master.cf.snippet), then marks it\n"
        "    released and records who did it; a refused re-injection leaves it held. A release\n"
        "    first claims the message (state 'releasing'), so of two releases of one message\n"
        "    only one sends it and the other is refused; a claim left by a release that died\n"
        "    is taken over after 10 minutes. A message whose spool copy is truncated (it was\n"
        "    over max_message_bytes; list shows COPY 'truncated') is never released, with or\n"
        "    without --to-stdout: the error names the MTA queue id that may hold the whole\n"
        "    message. 'show --raw' still writes such a copy, with a warning on stderr.\n"
        "    '--to-stdout' writes the message instead of sending it. 'delete' removes the file\n"
        "    and leaves a tombstone saying who and when. 'expire' deletes every file older\n"
        "    than N days (--days, else quarantine.retention_days) as tombstones by\n"
        "    'retention' and prints each one; the milter runs it hourly when\n"
        "    quarantine.retention_days is set.\n"
        "\n"
        "OPTIONS\n"
        "    --all               list: include deleted messages (tombstones)\n"
        "    --state STATE       list: only held, releasing, released or deleted messages\n"
        "    --since T, --until T\n"
        "                        list: kept in this time range (as in 'watchpost events')\n"
        "    --sender ADDR       list: envelope sender; @domain for a domain\n"
        "    --recipient ADDR    list: one of the envelope recipients\n"
        "    --limit N           list: at most N messages (default 100)\n"
        "    --json              list, show: one JSON object per message\n"
        "    --raw               show: write the original message to standard output\n"
        "    --by NAME           release, delete: who (default: $SUDO_USER, $USER or the uid)\n"
        "    --smtp URL          release: the SMTP server, smtp://host:port or host:port\n"
        "    --to-stdout         release: write the original message to standard output\n"
        "                        instead of re-injecting it (marked released all the same)\n"
        "    --days N            expire: the retention in days (0: everything)\n"
        "    --db PATH           the store database (default: store.db of the configuration,\n"
        "                        else " CLI_DEFAULT_STORE_DB ")\n"
        "    --spool DIR         the spool directory (default: store.spool of the\n"
        "                        configuration, else " CLI_DEFAULT_STORE_SPOOL ")\n"
        "    -c, --config FILE   configuration file (docs/CONFIGURATION.md)\n"
        "    -h, --help          this text\n"
        "\n"
        "EXIT STATUS\n"
        "    0  done (expire: also when nothing was old enough)\n"
        "    1  nothing listed, or REF is unknown or already deleted\n"
        "    2  the store failed, the message file does not match its record, or the\n"
        "       message is not in a state that allows the request (release of a released one,\n"
        "       of one another release is sending, or of a truncated copy)\n"
        "    3  usage or configuration error\n"
        "\n"
        "EXAMPLES\n"
        "    watchpost quarantine list --since -1d\n"
        "    watchpost quarantine show 3f9c0a1b2c3d4e5f\n"
        "    watchpost quarantine release 3f9c0a1b2c3d4e5f --by analyst1\n"
        "    watchpost quarantine release 3f9c0a1b2c3d4e5f --to-stdout |\n"
        "        sendmail -i -f alice@example.com -- bob@example.org\n"
        "    watchpost quarantine expire --days 30\n");
}

typedef struct qopts {
    const char *action, *ref, *db, *spool, *by;
    const char *smtp; /* release: where to re-inject (--smtp, quarantine.release_smtp) */
    bool json, raw, all, to_stdout, help, smtp_given;
    long days; /* -1: not given */
    long limit;
    wp_quarantine_filter f;
} qopts;

static int
status_exit(wp_status s, const char *err)
{
    fprintf(stderr, "watchpost: %s\n", err[0] ? err : wp_strerror(s));
    return s == WP_ENOTFOUND ? WP_EXIT_NOTFOUND : WP_EXIT_ERRORS;
}

static json_t *
entry_json(const wp_quarantine_entry *e)
{
    json_t *rcpt = json_array();
    for (size_t i = 0; i < e->n_rcpt; i++)
        json_array_append_new(rcpt, cli_json_str(e->rcpt[i]));
    json_t *o = json_object();
    json_object_set_new(o, "ref", json_string(e->ref));
    json_object_set_new(o, "decision_id", json_integer(e->decision_id));
    json_object_set_new(o, "created", cli_json_time(e->created));
    json_object_set_new(o, "size", json_integer((json_int_t)e->size));
    json_object_set_new(o, "sha256", json_string(e->sha256));
    json_object_set_new(o, "state", json_string(wp_quarantine_state_name(e->state)));
    json_object_set_new(o, "released_by", cli_json_str(e->released_by));
    json_object_set_new(o, "released_at", cli_json_time(e->released_at));
    json_object_set_new(o, "deleted_by", cli_json_str(e->deleted_by));
    json_object_set_new(o, "deleted_at", cli_json_time(e->deleted_at));
    json_object_set_new(o, "delete_reason", cli_json_str(e->delete_reason));
    json_object_set_new(o, "claimed_by", cli_json_str(e->claimed_by));
    json_object_set_new(o, "claimed_at", cli_json_time(e->claimed_at));
    json_object_set_new(o, "truncated", json_boolean(e->truncated));
    json_object_set_new(o, "whole_size",
                        e->whole_size > 0 ? json_integer((json_int_t)e->whole_size) : json_null());
    json_object_set_new(o, "queue_id", cli_json_str(e->queue_id));
    json_object_set_new(o, "mail_from", cli_json_str(e->mail_from));
    json_object_set_new(o, "from", cli_json_str(e->from));
    json_object_set_new(o, "subject", cli_json_str(e->subject));
    json_object_set_new(o, "rcpt", rcpt);
    json_object_set_new(o, "verdict", json_string(wp_verdict_name(e->verdict)));
    json_object_set_new(o, "severity", json_integer(e->severity));
    return o;
}

static bool
print_json(json_t *o)
{
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (s == NULL)
        return false;
    puts(s);
    free(s);
    return true;
}

static void
print_entry_row(const wp_quarantine_entry *e)
{
    char t[32], s1[31], s2[31], s3[41], b[21];
    const char *sender = e->mail_from != NULL ? e->mail_from : e->from;
    const char *by = e->state == WP_QUARANTINE_RELEASED    ? e->released_by
                     : e->state == WP_QUARANTINE_RELEASING ? e->claimed_by
                     : e->state == WP_QUARANTINE_DELETED   ? e->deleted_by
                                                           : NULL;
    printf("%-16s %-20s %-9s %-12s %-9s %3d %-9s %-30s %-30s %s\n", e->ref,
           cli_format_time(e->created, t, sizeof t), wp_quarantine_state_name(e->state),
           cli_cut(by, b, sizeof b), e->truncated ? "truncated" : "whole", e->severity,
           wp_verdict_name(e->verdict), cli_cut(sender, s1, sizeof s1),
           cli_cut(e->n_rcpt > 0 ? e->rcpt[0] : NULL, s2, sizeof s2),
           cli_cut(e->subject, s3, sizeof s3));
}

static int
do_list(wp_store *st, qopts *o)
{
    int rc = WP_EXIT_NOTFOUND;
    size_t left = (size_t)o->limit;
    while (left > 0) {
        o->f.limit = WP_STORE_MAX_LIMIT < left ? WP_STORE_MAX_LIMIT : left;
        wp_quarantine_list *l = NULL;
        char err[512] = "";
        wp_status s = wp_store_quarantine_list(st, &o->f, &l, err, sizeof err);
        if (s != WP_OK) {
            status_exit(s, err);
            return WP_EXIT_ERRORS; /* a failed listing is never "nothing found" */
        }
        for (size_t i = 0; i < l->n && left > 0; i++) {
            const wp_quarantine_entry *e = &l->entries[i];
            /* tombstones only when asked for: by --all or --state deleted */
            if (e->state == WP_QUARANTINE_DELETED && !o->all && o->f.state < 0)
                continue;
            if (rc == WP_EXIT_NOTFOUND && !o->json)
                printf("%-16s %-20s %-9s %-12s %-9s %3s %-9s %-30s %-30s %s\n", "REF", "KEPT",
                       "STATE", "BY", "COPY", "SEV", "VERDICT", "SENDER", "RECIPIENT", "SUBJECT");
            rc = WP_EXIT_CLEAN;
            left--;
            if (o->json)
                print_json(entry_json(e));
            else
                print_entry_row(e);
        }
        bool more = l->more && l->n > 0;
        if (more)
            o->f.before_id = l->entries[l->n - 1].decision_id;
        wp_quarantine_list_free(l);
        if (!more)
            break;
    }
    return rc;
}

/* The decision behind a quarantined message, for its headers, reasons and findings. */
static wp_event_list *
decision_of(wp_store *st, int64_t id)
{
    wp_event_filter f;
    wp_event_filter_init(&f);
    f.id = id;
    f.limit = 1;
    wp_event_list *l = NULL;
    char err[512] = "";
    wp_status s = wp_store_events(st, &f, &l, err, sizeof err);
    if (s != WP_OK) {
        fprintf(stderr, "watchpost: %s\n", err[0] ? err : wp_strerror(s));
        return NULL;
    }
    if (l->n == 0) {
        fprintf(stderr, "watchpost: decision %lld of the message is missing\n", (long long)id);
        wp_event_list_free(l);
        return NULL;
    }
    return l;
}

static void
field(const char *name, const char *value)
{
    if (value != NULL)
        printf("  %-14s %s\n", name, value);
}

static void
print_show(const wp_quarantine_message *m, const wp_event *e)
{
    const wp_quarantine_entry *q = &m->entry;
    char t[32];
    printf("Reference:     %s\n", q->ref);
    printf("State:         %s", wp_quarantine_state_name(q->state));
    if (q->state == WP_QUARANTINE_RELEASED) {
        printf(" by %s at %s", q->released_by ? q->released_by : "?",
               cli_format_time(q->released_at, t, sizeof t));
    } else if (q->state == WP_QUARANTINE_RELEASING) {
        printf(" (claimed by %s at %s)", q->claimed_by ? q->claimed_by : "?",
               cli_format_time(q->claimed_at, t, sizeof t));
    }
    printf("\nKept:          %s\n", cli_format_time(q->created, t, sizeof t));
    printf("Size:          %llu bytes, SHA-256 %s\n", (unsigned long long)q->size, q->sha256);
    if (q->truncated) {
        char whole[48] = "unknown";
        if (q->whole_size > 0)
            (void)snprintf(whole, sizeof whole, "%llu bytes", (unsigned long long)q->whole_size);
        printf("Truncated:     yes: only the first %llu bytes were kept (whole message: %s); "
               "it cannot be released%s%s\n",
               (unsigned long long)q->size, whole,
               q->queue_id != NULL ? "; the MTA may hold it as queue id " : "",
               q->queue_id != NULL ? q->queue_id : "");
    }
    printf("Decision:      %lld at %s\n", (long long)e->id, cli_format_time(e->time, t, sizeof t));
    printf("Envelope:\n");
    field("client", e->client_ip);
    field("client name", e->client_name);
    field("helo", e->helo);
    field("mail from", e->mail_from == NULL ? "(none: not received over SMTP)"
                       : *e->mail_from      ? e->mail_from
                                            : "<>");
    for (size_t i = 0; i < m->env.n_rcpt; i++)
        field(i == 0 ? "rcpt to" : "", m->env.rcpt[i]);
    if (e->n_rcpt_total > e->n_rcpt)
        printf("  %-14s (%zu more not stored)\n", "", e->n_rcpt_total - e->n_rcpt);
    printf("Headers:\n");
    field("From", e->from);
    field("Sender", e->sender);
    field("Reply-To", e->reply_to);
    field("Return-Path", e->return_path);
    field("To", e->to);
    field("Cc", e->cc);
    field("Subject", e->subject);
    field("Date", e->date);
    field("Message-ID", e->message_id);
    printf("Verdict:       %s, severity %d, score %d, action %s\n", wp_verdict_name(e->verdict),
           e->severity, e->score, wp_action_name(e->action));
    printf("Reasons:\n");
    for (size_t i = 0; i < e->n_reasons; i++)
        printf("  - %s\n", e->reasons[i]);
    printf("Findings:\n");
    for (size_t i = 0; i < e->n_findings; i++) {
        const wp_event_finding *f = &e->findings[i];
        printf("  %-28s %-10s %+4d  %s%s%s\n", f->code, f->category ? f->category : "-",
               f->contribution, f->evidence ? f->evidence : "", f->where ? " @ " : "",
               f->where ? f->where : "");
    }
    if (e->n_findings_total > e->n_findings)
        printf("  (%zu more not stored)\n", e->n_findings_total - e->n_findings);
}

static bool
write_all(const uint8_t *p, size_t n)
{
    if (n > 0 && fwrite(p, 1, n, stdout) != n)
        return false;
    return fflush(stdout) == 0;
}

static int
do_show(wp_store *st, const qopts *o)
{
    wp_quarantine_message *m = NULL;
    char err[512] = "";
    wp_status s = wp_store_quarantine_get(st, o->ref, &m, err, sizeof err);
    if (s != WP_OK)
        return status_exit(s, err);
    int rc = WP_EXIT_CLEAN;
    if (o->raw) {
        if (m->entry.truncated) {
            (void)fprintf(stderr,
                          "watchpost: WARNING: %s is TRUNCATED: these are only the first %llu "
                          "bytes of the message; do not deliver them\n",
                          o->ref, (unsigned long long)m->entry.size);
        }
        if (!write_all(m->data, m->len)) {
            fprintf(stderr, "watchpost: writing the message: %s\n", strerror(errno));
            rc = WP_EXIT_ERRORS;
        }
        wp_quarantine_message_free(m);
        return rc;
    }
    wp_event_list *l = decision_of(st, m->entry.decision_id);
    if (l == NULL) {
        rc = WP_EXIT_ERRORS;
    } else if (o->json) {
        json_t *j = entry_json(&m->entry); /* the index row, its decision inside */
        json_object_set_new(j, "decision", cli_event_json(&l->events[0]));
        print_json(j);
    } else {
        print_show(m, &l->events[0]);
    }
    wp_event_list_free(l);
    wp_quarantine_message_free(m);
    return rc;
}

/* Sends or writes the claimed message; err set on failure. */
static wp_status
hand_over(const wp_quarantine_message *m, const qopts *o, char *err, size_t errlen)
{
    if (!o->to_stdout)
        return wp_deliver_reinject(m, o->smtp, o->by, 30000, err, errlen);
    if (write_all(m->data, m->len))
        return WP_OK;
    (void)snprintf(err, errlen, "writing the message: %s", strerror(errno));
    return WP_EIO;
}

static int
do_release(wp_store *st, const qopts *o)
{
    char err[512] = "", claim[WP_QUARANTINE_REF_SIZE];
    /* the claim first: of two releases of one message only one gets past it, and a
     * truncated copy never does */
    wp_status s = wp_store_quarantine_claim(st, o->ref, o->by, 0, claim, err, sizeof err);
    if (s != WP_OK)
        return status_exit(s, err);
    wp_quarantine_message *m = NULL;
    s = wp_store_quarantine_get(st, o->ref, &m, err, sizeof err);
    if (s == WP_OK)
        s = hand_over(m, o, err, sizeof err);
    if (s != WP_OK) {
        char uerr[512] = "";
        (void)fprintf(stderr, "watchpost: %s\n", err[0] ? err : wp_strerror(s));
        if (wp_store_quarantine_unclaim(st, o->ref, claim, uerr, sizeof uerr) == WP_OK) {
            (void)fprintf(stderr, "watchpost: %s stays held\n", o->ref);
        } else {
            (void)fprintf(stderr, "watchpost: %s; %s stays claimed for %d s\n", uerr, o->ref,
                          WP_QUARANTINE_CLAIM_TIMEOUT);
        }
        wp_quarantine_message_free(m);
        return s == WP_ENOTFOUND ? WP_EXIT_NOTFOUND : WP_EXIT_ERRORS;
    }
    s = wp_store_quarantine_release(st, o->ref, claim, 0, err, sizeof err);
    if (s != WP_OK) {
        (void)fprintf(stderr, "watchpost: %s was %s but cannot be marked released\n", o->ref,
                      o->to_stdout ? "written out" : "re-injected");
        wp_quarantine_message_free(m);
        return status_exit(s, err);
    }
    FILE *note = o->to_stdout ? stderr : stdout; /* stdout carries the message */
    if (o->to_stdout)
        fprintf(note, "released %s by %s (written to standard output, not re-injected)\n", o->ref,
                o->by);
    else
        fprintf(note, "released %s by %s: re-injected via %s to %zu recipient%s\n", o->ref, o->by,
                o->smtp, m->env.n_rcpt, m->env.n_rcpt == 1 ? "" : "s");
    wp_quarantine_message_free(m);
    return WP_EXIT_CLEAN;
}

static int
do_delete(wp_store *st, const qopts *o)
{
    char err[512] = "";
    wp_status s = wp_store_quarantine_delete(st, o->ref, o->by, err, sizeof err);
    if (s != WP_OK)
        return status_exit(s, err);
    printf("deleted %s by %s\n", o->ref, o->by);
    return WP_EXIT_CLEAN;
}

static int
do_expire(wp_store *st, const qopts *o)
{
    wp_quarantine_list *del = NULL;
    size_t n = 0;
    char err[512] = "";
    wp_status s = wp_store_quarantine_expire(st, (unsigned)o->days, 0, &del, &n, err, sizeof err);
    if (s != WP_OK) {
        status_exit(s, err);
        return WP_EXIT_ERRORS;
    }
    for (size_t i = 0; del != NULL && i < del->n; i++)
        printf("%s\t%s\n", del->entries[i].ref,
               del->entries[i].delete_reason ? del->entries[i].delete_reason : "retention");
    fprintf(stderr, "watchpost: expired %zu message%s older than %ld day%s\n", n, n == 1 ? "" : "s",
            o->days, o->days == 1 ? "" : "s");
    wp_quarantine_list_free(del);
    return WP_EXIT_CLEAN;
}

static bool
is_ref(const char *s)
{
    if (strlen(s) != WP_QUARANTINE_REF_SIZE - 1)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

/* The actions, as bits: each option says which actions it applies to, so that a misplaced
 * one is an error rather than silently ignored. */
enum { A_LIST = 1, A_SHOW = 2, A_RELEASE = 4, A_DELETE = 8, A_EXPIRE = 16, A_ANY = 31 };
static const char *const action_names[] = {"list", "show", "release", "delete", "expire"};

static unsigned
action_bit(const char *name)
{
    for (unsigned i = 0; i < sizeof action_names / sizeof *action_names; i++)
        if (strcmp(name, action_names[i]) == 0)
            return 1u << i;
    return 0;
}

/* Parses argv (argv[0] is "quarantine"; options may come before or after the action);
 * false after printing the reason. */
static bool
parse_args(int argc, char **argv, qopts *o)
{
    enum {
        O_ALL = 256,
        O_STATE,
        O_SINCE,
        O_UNTIL,
        O_SENDER,
        O_RCPT,
        O_LIMIT,
        O_JSON,
        O_RAW,
        O_BY,
        O_TOSTDOUT,
        O_SMTP,
        O_DAYS,
        O_DB,
        O_SPOOL
    };
    static const struct option opts[] = {
        {"all", no_argument, NULL, O_ALL},
        {"state", required_argument, NULL, O_STATE},
        {"since", required_argument, NULL, O_SINCE},
        {"until", required_argument, NULL, O_UNTIL},
        {"sender", required_argument, NULL, O_SENDER},
        {"recipient", required_argument, NULL, O_RCPT},
        {"limit", required_argument, NULL, O_LIMIT},
        {"json", no_argument, NULL, O_JSON},
        {"raw", no_argument, NULL, O_RAW},
        {"by", required_argument, NULL, O_BY},
        {"to-stdout", no_argument, NULL, O_TOSTDOUT},
        {"smtp", required_argument, NULL, O_SMTP},
        {"days", required_argument, NULL, O_DAYS},
        {"db", required_argument, NULL, O_DB},
        {"spool", required_argument, NULL, O_SPOOL},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct {
        unsigned actions;
        const char *name;
    } seen[32];
    size_t n_seen = 0;
    optind = 1;
    int c, li;
    while ((c = getopt_long(argc, argv, "c:h", opts, &li)) != -1) {
        unsigned applies = A_ANY;
        switch (c) {
        case O_ALL:
            applies = A_LIST;
            o->all = true;
            break;
        case O_STATE:
            applies = A_LIST;
            o->f.state = -1;
            for (int s = WP_QUARANTINE_HELD; s <= WP_QUARANTINE_DELETED; s++)
                if (strcmp(optarg, wp_quarantine_state_name((wp_quarantine_state)s)) == 0)
                    o->f.state = s;
            if (o->f.state < 0) {
                (void)fprintf(stderr,
                              "watchpost: --state wants held, releasing, released or deleted\n");
                return false;
            }
            break;
        case O_SINCE:
            applies = A_LIST;
            if (!cli_opt_time("--since", optarg, &o->f.since))
                return false;
            break;
        case O_UNTIL:
            applies = A_LIST;
            if (!cli_opt_time("--until", optarg, &o->f.until))
                return false;
            break;
        case O_SENDER:
            applies = A_LIST;
            o->f.sender = optarg;
            break;
        case O_RCPT:
            applies = A_LIST;
            o->f.recipient = optarg;
            break;
        case O_LIMIT:
            applies = A_LIST;
            if (!cli_opt_long("--limit", optarg, 1, 1000000, &o->limit))
                return false;
            break;
        case O_JSON:
            applies = A_LIST | A_SHOW;
            o->json = true;
            break;
        case O_RAW:
            applies = A_SHOW;
            o->raw = true;
            break;
        case O_BY:
            applies = A_RELEASE | A_DELETE;
            if (*optarg == '\0' || strlen(optarg) >= WP_STORE_MAX_ACTOR) {
                fprintf(stderr, "watchpost: --by wants a name of 1 to %d bytes\n",
                        WP_STORE_MAX_ACTOR - 1);
                return false;
            }
            o->by = optarg;
            break;
        case O_TOSTDOUT:
            applies = A_RELEASE;
            o->to_stdout = true;
            break;
        case O_SMTP:
            applies = A_RELEASE;
            o->smtp = optarg;
            o->smtp_given = true;
            break;
        case O_DAYS:
            applies = A_EXPIRE;
            if (!cli_opt_long("--days", optarg, 0, 36500, &o->days))
                return false;
            break;
        case O_DB:
            o->db = optarg;
            break;
        case O_SPOOL:
            o->spool = optarg;
            break;
        case 'c':
            break; /* loaded before */
        case 'h':
            o->help = true;
            return true;
        default:
            return false;
        }
        if (applies != A_ANY && n_seen < sizeof seen / sizeof *seen) {
            seen[n_seen].actions = applies;
            seen[n_seen++].name = opts[li].name; /* every restricted option is long-only */
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "watchpost: quarantine wants an action: list, show, release, delete "
                        "or expire\n");
        return false;
    }
    const char *a = o->action = argv[optind++];
    unsigned bit = action_bit(a);
    if (bit == 0) {
        fprintf(stderr,
                "watchpost: quarantine: unknown action '%s' (list, show, release, "
                "delete, expire)\n",
                a);
        return false;
    }
    for (size_t i = 0; i < n_seen; i++) {
        if ((seen[i].actions & bit) == 0) {
            fprintf(stderr, "watchpost: quarantine %s: option --%s does not apply\n", a,
                    seen[i].name);
            return false;
        }
    }
    int npos = argc - optind;
    if (bit & (A_SHOW | A_RELEASE | A_DELETE)) {
        if (npos != 1) {
            fprintf(stderr, "watchpost: quarantine %s wants one REF\n", a);
            return false;
        }
        o->ref = argv[optind];
        if (!is_ref(o->ref)) {
            fprintf(stderr, "watchpost: '%s' is not a quarantine reference (16 hex digits)\n",
                    o->ref);
            return false;
        }
    } else if (npos != 0) {
        fprintf(stderr, "watchpost: quarantine %s: unexpected argument '%s'\n", a, argv[optind]);
        return false;
    }
    if (o->raw && o->json) {
        fprintf(stderr, "watchpost: --raw and --json exclude each other\n");
        return false;
    }
    if (o->all && o->f.state >= 0) {
        fprintf(stderr, "watchpost: --all and --state exclude each other\n");
        return false;
    }
    if (o->f.since != 0 && o->f.until != 0 && o->f.since >= o->f.until) {
        fprintf(stderr, "watchpost: --since must be before --until\n");
        return false;
    }
    return true;
}

int
cmd_quarantine(int argc, char **argv)
{
    if (argc < 2) {
        quarantine_usage(stderr);
        return WP_EXIT_USAGE;
    }
    if (strcmp(argv[1], "help") == 0) {
        quarantine_usage(stdout);
        return WP_EXIT_CLEAN;
    }
    qopts o = {.days = -1, .limit = WP_STORE_DEFAULT_LIMIT};
    wp_quarantine_filter_init(&o.f);
    cli_config cfg;
    cli_config_init(&cfg);
    int rc = WP_EXIT_USAGE;
    char actor[64];
    if (!cli_config_load_args(&cfg, argc, argv) || !parse_args(argc, argv, &o))
        goto out;
    if (o.help) {
        quarantine_usage(stdout);
        rc = WP_EXIT_CLEAN;
        goto out;
    }
    if (o.by == NULL)
        o.by = cli_default_actor(actor, sizeof actor);
    if (o.smtp == NULL)
        o.smtp = cfg.release_smtp != NULL ? cfg.release_smtp : CLI_DEFAULT_RELEASE_SMTP;
    if (o.days < 0 && cfg.retention_days > 0)
        o.days = cfg.retention_days;
    if (strcmp(o.action, "expire") == 0 && o.days < 0) {
        fprintf(stderr, "watchpost: quarantine expire wants --days N (or "
                        "quarantine.retention_days in the configuration)\n");
        goto out;
    }
    if (o.to_stdout && o.smtp_given) {
        fprintf(stderr, "watchpost: --smtp and --to-stdout exclude each other\n");
        goto out;
    }
    const char *a = o.action;
    wp_store *st = NULL;
    /* the spool is needed for the message files; a listing reads only the database */
    if (!cli_store_open(&cfg, o.db, o.spool, strcmp(a, "list") != 0, &st)) {
        rc = WP_EXIT_ERRORS;
        goto out;
    }
    if (strcmp(a, "list") == 0)
        rc = do_list(st, &o);
    else if (strcmp(a, "show") == 0)
        rc = do_show(st, &o);
    else if (strcmp(a, "release") == 0)
        rc = do_release(st, &o);
    else if (strcmp(a, "delete") == 0)
        rc = do_delete(st, &o);
    else
        rc = do_expire(st, &o);
    wp_store_close(st);
    if (fflush(stdout) != 0 && rc == WP_EXIT_CLEAN) {
        fprintf(stderr, "watchpost: writing to standard output: %s\n", strerror(errno));
        rc = WP_EXIT_ERRORS;
    }
out:
    cli_config_fini(&cfg);
    return rc;
}
