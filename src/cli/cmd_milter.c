/*
 * cmd_milter.c - `watchpost milter`: options and --help; the daemon is src/milter.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "milter/milter.h"

static void
milter_usage(FILE *out)
{
    fprintf(out,
            "NAME\n"
            "    watchpost milter - scan mail inside the MTA (Postfix, Sendmail) as a milter\n"
            "\n"
            "SYNOPSIS\n"
            "    watchpost milter [-c FILE] [--listen SPEC] [--user NAME] [--foreground]\n"
            "\n"
            "DESCRIPTION\n"
            "    Speaks the milter protocol. Every message is scanned at end of data with its\n"
            "    SMTP envelope and the verdict's action is carried out: deliver and tag add\n"
            "    X-Watchpost-Verdict, -Score, -Severity and -Findings headers; quarantine keeps\n"
            "    the message in the store's spool, then discards it; reject keeps it too, then\n"
            "    answers 550 5.7.1 with the quarantine reference. Every decision is recorded in\n"
            "    the store. Any internal error answers 4xx (tempfail): nothing is accepted that\n"
            "    could not be recorded, nothing is dropped. See docs/MILTER.md.\n"
            "\n"
            "OPTIONS\n"
            "    Values go as --opt VALUE or --opt=VALUE; an unknown option is an error (exit 3).\n"
            "    -c, --config FILE   configuration file (docs/CONFIGURATION.md; milter.* keys)\n"
            "    --listen SPEC       unix:/path or inet:PORT@HOST (default: milter.listen, else\n"
            "                        " WPM_DEFAULT_LISTEN ")\n"
            "    --user NAME         the user to run as after opening the socket and building the\n"
            "                        engine (rules are read before the drop); required when\n"
            "                        started as root (default: milter.user)\n"
            "    --foreground        do not detach; log to stderr as well as syslog (until it\n"
            "                        detaches, every message goes to stderr anyway)\n"
            "    --db PATH           the store database (default: store.db, else\n"
            "                        " CLI_DEFAULT_STORE_DB ")\n"
            "    --spool DIR         the quarantine spool (default: store.spool, else\n"
            "                        " CLI_DEFAULT_STORE_SPOOL ")\n"
            "    --rules PATH        extra YARA rules (repeatable)\n"
            "    --no-default-rules  do not load the default rule set\n"
            "    --limit NAME=VALUE  one limit, e.g. --limit max_message_bytes=32M (repeatable)\n"
            "    --set KEY=VALUE     any configuration-file setting (repeatable; after -c)\n"
            "    -h, --help          this text\n"
            "\n"
            "SIGNALS\n"
            "    SIGHUP, SIGUSR1  re-read the configuration, rules, indicator lists and limits;\n"
            "                     messages being scanned finish with the engine they started\n"
            "                     with. Reloads run as the --user: every file they name must be\n"
            "                     readable by it, or the reload is refused (logged, naming the\n"
            "                     file) and the running engine stays. Signals sent during start-\n"
            "                     up are held and taken once it is ready; several coalesce.\n"
            "                     Needing a restart: milter.listen, milter.user, store.db,\n"
            "                     store.spool and alert.* (the alert sinks and their queue).\n"
            "    SIGTERM, SIGINT  stop accepting connections and exit\n"
            "\n"
            "EXIT STATUS\n"
            "    0  stopped by SIGTERM/SIGINT   2  runtime error (store, socket), or the milter\n"
            "    library stopped without being asked   3  usage/configuration\n"
            "\n"
            "EXAMPLES\n"
            "    watchpost milter -c /etc/watchpost/watchpost.conf --user watchpost\n"
            "    watchpost milter --listen inet:8890@127.0.0.1 --foreground --db /tmp/w.db\n");
}

enum { O_LISTEN = 256, O_USER, O_FG, O_DB, O_SPOOL, O_RULES, O_NODEF, O_LIMIT, O_SET };

static const struct option long_opts[] = {{"config", required_argument, NULL, 'c'},
                                          {"listen", required_argument, NULL, O_LISTEN},
                                          {"user", required_argument, NULL, O_USER},
                                          {"foreground", no_argument, NULL, O_FG},
                                          {"db", required_argument, NULL, O_DB},
                                          {"spool", required_argument, NULL, O_SPOOL},
                                          {"rules", required_argument, NULL, O_RULES},
                                          {"no-default-rules", no_argument, NULL, O_NODEF},
                                          {"limit", required_argument, NULL, O_LIMIT},
                                          {"set", required_argument, NULL, O_SET},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};

typedef struct loader {
    int argc;
    char **argv;
    char *cache_default; /* "rules.cache=DIR" applied before the configuration, or NULL */
    /* --rules, --limit, --set, --no-default-rules in command-line order, as getopt_long saw
     * them (both "--opt value" and "--opt=value"), replayed at start and on every reload */
    struct {
        int opt;
        const char *val;
    } * ov;
    int n_ov;
} loader;

/* The configuration files, then the command line's rules, limits and settings in order:
 * the same at start and on every SIGHUP. */
static bool
load_config(void *ctx, cli_config *cfg)
{
    loader *l = ctx;
    if (l->cache_default != NULL && !cli_config_set(cfg, l->cache_default))
        return false;
    if (!cli_config_load_args(cfg, l->argc, l->argv))
        return false;
    for (int i = 0; i < l->n_ov; i++) {
        const char *v = l->ov[i].val;
        bool ok = true;
        switch (l->ov[i].opt) {
        case O_NODEF:
            cfg->default_rules = false;
            break;
        case O_RULES:
            ok = cli_config_add_rules(cfg, v);
            break;
        case O_LIMIT:
            ok = cli_config_limit(cfg, v);
            break;
        case O_SET:
            ok = cli_config_set(cfg, v);
            break;
        default:
            break;
        }
        if (!ok)
            return false;
    }
    return true;
}

/*
 * The compiled-rules cache defaults to "rules-cache" beside the store database: the milter
 * runs as an unprivileged user whose $HOME (inherited, or /nonexistent) it cannot write, and
 * without a cache every start and every SIGHUP would recompile the rules (seconds, during
 * which a reload is not yet in effect). rules.cache in the configuration still wins.
 */
static char *
rules_cache_default(const char *db)
{
    if (db == NULL)
        db = CLI_DEFAULT_STORE_DB;
    const char *slash = strrchr(db, '/');
    int dirlen = slash == NULL ? 0 : (int)(slash - db);
    char cwd[4096] = "";
    if (db[0] != '/' && getcwd(cwd, sizeof cwd) == NULL)
        return NULL; /* no absolute directory to offer: the rules module's own default */
    size_t cap = strlen(cwd) + (size_t)dirlen + 64;
    char *s = malloc(cap);
    if (s != NULL)
        snprintf(s, cap, "rules.cache=%s%s%.*s/rules-cache", cwd, cwd[0] && dirlen ? "/" : "",
                 dirlen, db);
    return s;
}

int
cmd_milter(int argc, char **argv)
{
    wpm_options o = {0};
    loader l = {.argc = argc, .argv = argv};
    int c, rc = WP_EXIT_USAGE;
    l.ov = calloc((size_t)argc, sizeof *l.ov); /* at most one per argument */
    if (l.ov == NULL)
        return WP_EXIT_ERRORS;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            break; /* cli_config_load_args() reads them, at start and on reload */
        case O_RULES:
        case O_NODEF:
        case O_LIMIT:
        case O_SET:
            l.ov[l.n_ov].opt = c; /* load_config() applies them, in order */
            l.ov[l.n_ov++].val = optarg;
            break;
        case O_LISTEN:
            o.listen = optarg;
            break;
        case O_USER:
            o.user = optarg;
            break;
        case O_FG:
            o.foreground = true;
            break;
        case O_DB:
            o.db = optarg;
            break;
        case O_SPOOL:
            o.spool = optarg;
            break;
        case 'h':
            milter_usage(stdout);
            rc = 0;
            goto out;
        default:
            milter_usage(stderr);
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "watchpost: milter takes no arguments ('%s')\n", argv[optind]);
        goto out;
    }
    /* a configuration error is reported now, on the terminal, not only in syslog */
    cli_config probe;
    cli_config_init(&probe);
    bool ok = load_config(&l, &probe);
    if (ok)
        l.cache_default = rules_cache_default(o.db ? o.db : probe.store_db);
    cli_config_fini(&probe);
    if (!ok)
        goto out;
    o.load = load_config;
    o.load_ctx = &l;
    rc = wpm_run(&o);
out:
    free(l.cache_default);
    free(l.ov);
    return rc;
}
