/*
 * cli.h - the watchpost command: shared declarations of the subcommands and helpers.
 * The front end owns all printing, exit codes and I/O; judgement stays in libwatchpost.
 */
#ifndef WATCHPOST_CLI_H
#define WATCHPOST_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "watchpost/egress.h"
#include "watchpost/incident.h"
#include "watchpost/netlist.h"
#include "watchpost/watchpost.h"

/* Exit codes (documented in `watchpost scan --help` and README). */
enum {
    WP_EXIT_CLEAN = 0,    /* every message scanned, no finding of weight >= 1 */
    WP_EXIT_FINDINGS = 1, /* at least one message has a finding of weight >= 1 */
    WP_EXIT_ERRORS = 2,   /* at least one input could not be read (takes precedence) */
    WP_EXIT_USAGE = 3     /* bad command line, configuration or rules: nothing scanned */
};
/* The store commands (events, quarantine) exit 1 when nothing matched the request. */
#define WP_EXIT_NOTFOUND 1

/* egress.* and incident.* (netconfig.c), and the intel files the network side loads too */
typedef struct cli_netconfig {
    wp_egress_config egress; /* numbers; the lists below are pointed to by apply() */
    wp_incident_config incident;
    char **internal, **allow, **hosts, **classified, **intel_files;
    size_t n_internal, n_allow, n_hosts, n_classified, n_intel_files;
    long poll_ms; /* watch: how often files are polled */
} cli_netconfig;

void cli_netconfig_init(cli_netconfig *nc);
void cli_netconfig_fini(cli_netconfig *nc);
bool cli_netconfig_set(cli_netconfig *nc, const char *key, const char *val, char *err,
                       size_t errlen);
void cli_netconfig_apply(cli_netconfig *nc);
bool cli_netconfig_set_intel(cli_netconfig *nc, const char *path, char *err, size_t errlen);

typedef struct cli_config {
    wp_limits limits;
    const char **rule_paths;
    size_t n_rule_paths;
    bool default_rules;
    int jobs;
    wp_engine_config engine; /* only its settings (analyzers, weights, thresholds) are used */
    char *store_db;          /* "store.db"; NULL: CLI_DEFAULT_STORE_DB */
    char *store_spool;       /* "store.spool"; NULL: CLI_DEFAULT_STORE_SPOOL */
    char *milter_listen;     /* "milter.listen"; NULL: the milter's default */
    char *milter_user;       /* "milter.user"; NULL: the milter's default */
    struct wp_netlist *milter_networks; /* "milter.internal_networks" (repeatable) */
    wp_alert_config alert;              /* "alert.*": where decisions are pushed */
    char *release_smtp;  /* "quarantine.release_smtp"; NULL: CLI_DEFAULT_RELEASE_SMTP */
    long retention_days; /* "quarantine.retention_days"; 0: no automatic expiry */
    cli_netconfig net;   /* "egress.*", "incident.*" */
} cli_config;

#define CLI_DEFAULT_STORE_DB    "/var/lib/watchpost/watchpost.db"
#define CLI_DEFAULT_STORE_SPOOL "/var/lib/watchpost/quarantine"
/* a Postfix smtpd without milters (contrib/postfix-master.cf.snippet), as amavis' 10025 */
#define CLI_DEFAULT_RELEASE_SMTP "127.0.0.1:10025"

void cli_config_init(cli_config *c);
void cli_config_fini(cli_config *c);
/* Read a configuration file; on error prints "FILE:LINE: reason" and returns false. */
bool cli_config_load(cli_config *c, const char *path);
bool cli_config_add_rules(cli_config *c, const char *path);
/* "name=value" from --limit */
bool cli_config_limit(cli_config *c, const char *spec);
/* "key=value" from --set: any configuration-file key */
bool cli_config_set(cli_config *c, const char *spec);
/* A wp_engine_config carrying this configuration's limits and settings (borrowed). */
void cli_engine_config(const cli_config *c, wp_engine_config *ec);
/* Opens the decision store: db/spool override the configuration when not NULL; spool is
 * only opened when want_spool. Prints the reason and returns false on failure. */
bool cli_store_open(const cli_config *c, const char *db, const char *spool, bool want_spool,
                    wp_store **out);
/* ... with synchronous=NORMAL when relaxed_sync (ingest, watch: wp_store_config). */
bool cli_store_open_sync(const cli_config *c, const char *db, const char *spool, bool want_spool,
                         bool relaxed_sync, wp_store **out);
/* Who is acting on the store (--by's default): $SUDO_USER, $USER, else "uid N" in buf. */
const char *cli_default_actor(char *buf, size_t len);
/* Loads every -c/--config FILE of argv (pass 1 of option parsing, so options override it). */
bool cli_config_load_args(cli_config *c, int argc, char **argv);
/* The default rules directory, or NULL when none is installed. */
const char *cli_default_rules_dir(void);

int cmd_scan(int argc, char **argv);
int cmd_findings(int argc, char **argv);
int cmd_learn(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_quarantine(int argc, char **argv);
int cmd_milter(int argc, char **argv);
int cmd_incidents(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* cmd_events.c: times on the command line and in listings */
/* "2026-11-26", "2026-11-26T10:00[:00][Z]", or relative to now: "-90s", "-15m", "-1h",
 * "-7d", "-2w". Returns false on anything else. */
bool cli_parse_time(const char *s, long long now, long long *out);
/* Option values for the store commands: print "watchpost: OPT ..." and return false when bad. */
bool cli_opt_long(const char *opt, const char *s, long lo, long hi, long *out);
bool cli_opt_time(const char *opt, const char *s, long long *out);
/* ISO-8601 UTC, "2026-11-26T10:00:00Z"; buf of at least 21 bytes. */
const char *cli_format_time(long long t, char *buf, size_t len);
/* Copies s into buf (len bytes) cut at a UTF-8 boundary, "..." marking a cut; NULL -> "-". */
const char *cli_cut(const char *s, char *buf, size_t len);
/* JSON for a string that may be NULL (null), and for a time (ISO-8601, or null when 0). */
struct json_t *cli_json_str(const char *s);
struct json_t *cli_json_time(long long t);
/* One decision as a JSON object (every field, findings and reasons); NULL when out of memory. */
struct json_t *cli_event_json(const wp_event *e);
/* ... printed as one line; false when out of memory. */
bool cli_print_event_json(FILE *out, const wp_event *e);

/* input.c: enumerate messages from files, directories (Maildir), mbox files and stdin. */
typedef struct input_msg {
    char *source; /* "path", "path#3" for the third message of an mbox, "-" */
    unsigned char *data;
    size_t len;
} input_msg;

typedef int (*input_cb)(void *ctx, input_msg *m); /* takes ownership of m's buffers */
typedef void (*input_err_cb)(void *ctx, const char *source, const char *what);
/* Walk one argument; returns the number of messages produced. */
size_t input_walk(const char *arg, size_t max_bytes, input_cb cb, input_err_cb err, void *ctx);

/* summary.c */
void summary_print(FILE *out, const wp_report *r, bool color);

#endif
