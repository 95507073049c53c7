/*
 * common/config.h - the configuration shared by the front ends (`watchpost` subcommands and
 * the milter daemon): the cli_config struct, the configuration file, --set/--limit, the
 * store paths and the data paths. It lives outside src/cli so src/milter need not include
 * the command line's header (docs/DESIGN.md, "Front-end configuration"). Front-end code:
 * it prints its errors to stderr and is not part of libwatchpost.
 */
#ifndef WATCHPOST_COMMON_CONFIG_H
#define WATCHPOST_COMMON_CONFIG_H

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
    char *release_smtp;        /* "quarantine.release_smtp"; NULL: CLI_DEFAULT_RELEASE_SMTP */
    long retention_days;       /* "quarantine.retention_days"; 0: no automatic expiry */
    long store_retention_days; /* "store.retention_days"; 0: records are kept forever */
    cli_netconfig net;         /* "egress.*", "incident.*" */
    /* "serve.*": watchpost serve (docs/SERVE.md); NULL/0: its defaults */
    char *serve_listen, *serve_cert, *serve_key, *serve_user;
    long serve_threads;
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
/* The engine of this configuration: the default rule set (when default_rules and one is
 * installed; a warning through log otherwise), then the configured rule paths in order.
 * err says why not. */
wp_status cli_engine_new(const cli_config *c, wp_log_fn log, wp_engine **out, char *err,
                         size_t errlen);
/* The default rules directory, or NULL when none is installed. */
const char *cli_default_rules_dir(void);
/* <the directory above>/content when it exists (the shipped Hyperscan content rules), or NULL;
 * given to the library as rules.default_dir. */
const char *cli_default_content_rules_dir(void);

#endif
