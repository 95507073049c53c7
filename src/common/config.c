/*
 * config.c - the configuration file and option helpers shared by subcommands.
 *
 * Format (docs/CONFIGURATION.md): one "key = value" per line; '#' at the start of a line or
 * after whitespace starts a comment; "..." quotes a value (\" and \\ escapes).
 *   rules = /etc/watchpost/rules.d     (repeatable; files or directories)
 *   default_rules = yes|no
 *   jobs = 4
 *   max_part_bytes = 32M               (any limit name from docs/CONFIGURATION.md)
 *   store.db = /var/lib/watchpost/watchpost.db, store.spool = /var/lib/watchpost/quarantine
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <syslog.h>

#include "common/config.h"
#include "watchpost/netlist.h"

/* The alerts' syslog channel: the front end writes it, the library does not (alert.h). */
static void
alert_to_syslog(void *ctx, bool alert, const char *line)
{
    (void)ctx;
    syslog(LOG_MAIL | (alert ? LOG_ALERT : LOG_WARNING), "%s", line);
}

void
cli_config_init(cli_config *c)
{
    memset(c, 0, sizeof(*c));
    wp_limits_init(&c->limits);
    c->default_rules = true;
    c->jobs = 0; /* 0: one per online CPU */
    wp_engine_config_init(&c->engine);
    wp_alert_config_init(&c->alert);
    c->alert.syslog_line = alert_to_syslog;
    cli_netconfig_init(&c->net);
    /* the shipped content rules where this installation keeps them (beside the YARA rules);
     * the configuration may still say otherwise (rules.default_dir) */
    const char *content = cli_default_content_rules_dir();
    char err[256];
    if (content != NULL)
        (void)wp_engine_config_set(&c->engine, "rules.default_dir", content, err, sizeof err);
}

void
cli_engine_config(const cli_config *c, wp_engine_config *ec)
{
    wp_engine_config_init(ec);
    ec->limits = c->limits;
    ec->settings = c->engine.settings;
}

static bool
is_limit_name(const char *key)
{
    for (int i = 0; i < WP_LIMIT__COUNT; i++)
        if (strcmp(key, wp_limit_name((wp_limit_id)i)) == 0)
            return true;
    return false;
}

/* One "key = value" that is not the command line's own (rules, jobs): a limit, or a setting
 * of the library's analyzers. err receives the reason on failure. */
/* store.db / store.spool: the CLI's own, the library's store takes paths, not settings */
static bool
set_store_path(char **dst, const char *key, const char *val, char *err, size_t errlen)
{
    if (*val == '\0' || strlen(val) >= PATH_MAX) {
        snprintf(err, errlen, "%s wants a path (1 to %d bytes)", key, PATH_MAX - 1);
        return false;
    }
    char *v = strdup(val);
    if (v == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    free(*dst);
    *dst = v;
    return true;
}

/* milter.*: the milter front end's own keys (docs/MILTER.md) */
static bool
set_milter_key(cli_config *c, const char *key, const char *val, char *err, size_t errlen)
{
    if (strcmp(key, "milter.listen") == 0)
        return set_store_path(&c->milter_listen, key, val, err, errlen);
    if (strcmp(key, "milter.user") == 0)
        return set_store_path(&c->milter_user, key, val, err, errlen);
    if (strcmp(key, "milter.internal_networks") == 0) {
        if (c->milter_networks == NULL && (c->milter_networks = wp_netlist_new()) == NULL) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        return wp_netlist_add(c->milter_networks, val, err, errlen);
    }
    snprintf(err, errlen,
             "unknown key '%s' (milter.listen, milter.user, "
             "milter.internal_networks)",
             key);
    return false;
}

/* quarantine.retention_days, store.retention_days: 0 (keep forever) to 100 years */
static bool
set_days(long *dst, const char *key, const char *val, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long d = strtol(val, &end, 10);
    if (errno != 0 || end == val || *end != '\0' || d < 0 || d > 36500) {
        (void)snprintf(err, errlen, "%s: want days from 0 (keep forever) to 36500, not '%.40s'",
                       key, val);
        return false;
    }
    *dst = d;
    return true;
}

/* quarantine.*: release and retention (docs/STORE.md) */
static bool
set_quarantine_key(cli_config *c, const char *key, const char *val, char *err, size_t errlen)
{
    if (strcmp(key, "quarantine.release_smtp") == 0) {
        if (*val == '\0' || strlen(val) > 500 ||
            (strstr(val, "://") != NULL && strncmp(val, "smtp://", 7) != 0 &&
             strncmp(val, "smtps://", 8) != 0)) {
            snprintf(err, errlen, "%s: '%.80s' is not host:port or an smtp[s]:// URL", key, val);
            return false;
        }
        char *v = strdup(val);
        if (v == NULL) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        free(c->release_smtp);
        c->release_smtp = v;
        return true;
    }
    if (strcmp(key, "quarantine.retention_days") == 0)
        return set_days(&c->retention_days, key, val, err, errlen);
    snprintf(err, errlen, "unknown key '%s' (quarantine.release_smtp, quarantine.retention_days)",
             key);
    return false;
}

/* serve.*: the HTTP front end's own keys (docs/SERVE.md) */
static bool
set_serve_key(cli_config *c, const char *key, const char *val, char *err, size_t errlen)
{
    if (strcmp(key, "serve.listen") == 0)
        return set_store_path(&c->serve_listen, key, val, err, errlen);
    if (strcmp(key, "serve.cert") == 0)
        return set_store_path(&c->serve_cert, key, val, err, errlen);
    if (strcmp(key, "serve.key") == 0)
        return set_store_path(&c->serve_key, key, val, err, errlen);
    if (strcmp(key, "serve.user") == 0)
        return set_store_path(&c->serve_user, key, val, err, errlen);
    if (strcmp(key, "serve.threads") == 0) {
        char *end;
        long n = strtol(val, &end, 10);
        if (end == val || *end != '\0' || n < 1 || n > 256) {
            (void)snprintf(err, errlen, "%s wants 1 to 256 threads, not '%.40s'", key, val);
            return false;
        }
        c->serve_threads = n;
        return true;
    }
    (void)snprintf(err, errlen,
                   "unknown key '%s' (serve.listen, serve.cert, serve.key, serve.user, "
                   "serve.threads)",
                   key);
    return false;
}

static bool
set_key(cli_config *c, const char *key, const char *val, char *err, size_t errlen)
{
    if (strncmp(key, "milter.", 7) == 0)
        return set_milter_key(c, key, val, err, errlen);
    if (strncmp(key, "alert.", 6) == 0)
        return wp_alerter_config_set(&c->alert, key, val, err, errlen) == WP_OK;
    if (strncmp(key, "quarantine.", 11) == 0)
        return set_quarantine_key(c, key, val, err, errlen);
    if (strncmp(key, "serve.", 6) == 0)
        return set_serve_key(c, key, val, err, errlen);
    if (strncmp(key, "egress.", 7) == 0 || strncmp(key, "incident.", 9) == 0)
        return cli_netconfig_set(&c->net, key, val, err, errlen);
    if (strcmp(key, "intel.file") == 0 &&
        !cli_netconfig_set_intel(&c->net, val, err, errlen)) /* and the engine's, below */
        return false;
    if (strcmp(key, "store.db") == 0)
        return set_store_path(&c->store_db, key, val, err, errlen);
    if (strcmp(key, "store.spool") == 0)
        return set_store_path(&c->store_spool, key, val, err, errlen);
    if (strcmp(key, "store.retention_days") == 0)
        return set_days(&c->store_retention_days, key, val, err, errlen);
    if (is_limit_name(key))
        return wp_limits_set_by_name(&c->limits, key, val, err, errlen) == WP_OK;
    return wp_engine_config_set(&c->engine, key, val, err, errlen) == WP_OK;
}

bool
cli_config_set(cli_config *c, const char *spec)
{
    char key[128];
    const char *eq = strchr(spec, '=');
    if (eq == NULL || (size_t)(eq - spec) >= sizeof key) {
        fprintf(stderr, "watchpost: --set wants KEY=VALUE, got '%s'\n", spec);
        return false;
    }
    memcpy(key, spec, (size_t)(eq - spec));
    key[eq - spec] = '\0';
    char err[512];
    if (!set_key(c, key, eq + 1, err, sizeof err)) {
        fprintf(stderr, "watchpost: --set %s: %s\n", key, err);
        return false;
    }
    return true;
}

void
cli_config_fini(cli_config *c)
{
    for (size_t i = 0; i < c->n_rule_paths; i++)
        free((void *)c->rule_paths[i]);
    free(c->rule_paths);
    c->rule_paths = NULL;
    c->n_rule_paths = 0;
    wp_engine_config_fini(&c->engine);
    free(c->store_db);
    free(c->store_spool);
    c->store_db = c->store_spool = NULL;
    free(c->milter_listen);
    free(c->milter_user);
    wp_netlist_free(c->milter_networks);
    c->milter_listen = c->milter_user = NULL;
    c->milter_networks = NULL;
    wp_alert_config_fini(&c->alert);
    free(c->release_smtp);
    c->release_smtp = NULL;
    cli_netconfig_fini(&c->net);
    c->retention_days = 0;
    c->store_retention_days = 0;
    free(c->serve_listen);
    free(c->serve_cert);
    free(c->serve_key);
    free(c->serve_user);
    c->serve_listen = c->serve_cert = c->serve_key = c->serve_user = NULL;
}

bool
cli_config_load_args(cli_config *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
            if (!cli_config_load(c, argv[++i]))
                return false;
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            if (!cli_config_load(c, argv[i] + 9))
                return false;
        }
    }
    return true;
}

/* The store's directory, made when missing (mode 0750: decisions and quarantined mail are
 * not for every local user), as the packaged /var/lib/watchpost is; only the last component
 * is made, so a typo in a path does not grow a tree. Says what to do when it cannot. */
static bool
make_store_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path)
        return true;
    char dir[PATH_MAX];
    if ((size_t)(slash - path) >= sizeof dir)
        return true; /* wp_store_open() reports the path */
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct stat sb;
    if (stat(dir, &sb) == 0 || errno != ENOENT)
        return true;
    if (mkdir(dir, 0750) == 0)
        return true;
    fprintf(stderr,
            "watchpost: the store directory %s does not exist and cannot be created (%s): "
            "create it (install -d -m 0750 -o USER %s) or give --db PATH\n",
            dir, strerror(errno), dir);
    return false;
}

bool
cli_store_open_sync(const cli_config *c, const char *db, const char *spool, bool want_spool,
                    bool relaxed_sync, wp_store **out)
{
    wp_store_config sc;
    wp_store_config_init(&sc);
    sc.relaxed_sync = relaxed_sync;
    sc.db_path = db ? db : c->store_db ? c->store_db : CLI_DEFAULT_STORE_DB;
    if (want_spool)
        sc.spool_dir = spool ? spool : c->store_spool ? c->store_spool : CLI_DEFAULT_STORE_SPOOL;
    /* writers make a missing state directory (ingest/watch and scan --record); readers such
     * as events say that there is no store instead */
    if ((want_spool || relaxed_sync) && !make_store_dir(sc.db_path))
        return false;
    char err[512] = "";
    wp_status st = wp_store_open(&sc, out, err, sizeof err);
    if (st != WP_OK) {
        fprintf(stderr, "watchpost: %s\n", err[0] ? err : wp_strerror(st));
        return false;
    }
    return true;
}

bool
cli_store_open(const cli_config *c, const char *db, const char *spool, bool want_spool,
               wp_store **out)
{
    return cli_store_open_sync(c, db, spool, want_spool, false, out);
}

bool
cli_config_add_rules(cli_config *c, const char *path)
{
    const char **n = realloc(c->rule_paths, (c->n_rule_paths + 1) * sizeof(char *));
    if (n == NULL)
        return false;
    c->rule_paths = n;
    c->rule_paths[c->n_rule_paths] = strdup(path);
    if (c->rule_paths[c->n_rule_paths] == NULL)
        return false;
    c->n_rule_paths++;
    return true;
}

bool
cli_config_limit(cli_config *c, const char *spec)
{
    char name[128];
    const char *eq = strchr(spec, '=');
    if (eq == NULL || (size_t)(eq - spec) >= sizeof name) {
        fprintf(stderr, "watchpost: --limit wants NAME=VALUE, got '%s'\n", spec);
        return false;
    }
    memcpy(name, spec, (size_t)(eq - spec));
    name[eq - spec] = '\0';
    char err[256];
    if (wp_limits_set_by_name(&c->limits, name, eq + 1, err, sizeof err) != WP_OK) {
        fprintf(stderr, "watchpost: %s\n", err);
        return false;
    }
    return true;
}

static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/*
 * The value part of "key = value", in place. A '#' starts a comment only at the start of a
 * line or after whitespace, so "pass#word" and "http://h/p#frag" stay whole. A value in double
 * quotes keeps everything up to the closing quote (leading and trailing spaces, " #"), with
 * \" and \\ as its only escapes; only whitespace or a comment may follow it. Returns NULL,
 * or the reason the value is malformed.
 */
static const char *
parse_value(char *s, char **out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '"') {
        char *w = s, *r = s + 1;
        for (;; r++) {
            if (*r == '\0')
                return "unterminated quoted value (a closing \" is missing)";
            if (*r == '"')
                break;
            if (*r == '\\') {
                if (r[1] != '"' && r[1] != '\\')
                    return "in a quoted value, \\ may only escape \" or \\";
                r++;
            }
            *w++ = *r;
        }
        *w = '\0';
        for (r++; isspace((unsigned char)*r); r++)
            ;
        if (*r != '\0' && *r != '#')
            return "text after the closing quote (a comment needs '#')";
        *out = s;
        return NULL;
    }
    for (char *p = s; *p != '\0'; p++)
        if (*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            break;
        }
    *out = trim(s);
    return NULL;
}

bool
cli_config_load(cli_config *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "watchpost: %s: %s\n", path, strerror(errno));
        return false;
    }
    char line[4096];
    int lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            fprintf(stderr, "%s:%d: line too long\n", path, lineno);
            ok = false;
            break;
        }
        char *l = trim(line);
        if (*l == '\0' || *l == '#')
            continue;
        char *eq = strchr(l, '=');
        if (eq == NULL) {
            fprintf(stderr, "%s:%d: expected 'key = value'\n", path, lineno);
            ok = false;
            break;
        }
        *eq = '\0';
        char *key = trim(l), *val;
        const char *why = parse_value(eq + 1, &val);
        if (why != NULL) {
            fprintf(stderr, "%s:%d: %s\n", path, lineno, why);
            ok = false;
            break;
        }
        if (strcmp(key, "rules") == 0) {
            ok = cli_config_add_rules(c, val);
        } else if (strcmp(key, "default_rules") == 0) {
            if (strcmp(val, "yes") == 0 || strcmp(val, "true") == 0)
                c->default_rules = true;
            else if (strcmp(val, "no") == 0 || strcmp(val, "false") == 0)
                c->default_rules = false;
            else {
                fprintf(stderr, "%s:%d: default_rules wants yes or no\n", path, lineno);
                ok = false;
            }
        } else if (strcmp(key, "jobs") == 0) {
            char *end;
            errno = 0;
            long v = strtol(val, &end, 10);
            if (errno || *end || v < 0 || v > 1024) {
                fprintf(stderr, "%s:%d: jobs wants a number from 0 to 1024\n", path, lineno);
                ok = false;
            } else {
                c->jobs = (int)v;
            }
        } else {
            char err[512];
            if (!set_key(c, key, val, err, sizeof err)) {
                fprintf(stderr, "%s:%d: %s\n", path, lineno, err);
                ok = false;
            }
        }
    }
    fclose(f);
    return ok;
}

static bool
is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *
cli_default_content_rules_dir(void)
{
    static char buf[PATH_MAX];
    const char *d = cli_default_rules_dir();
    if (d == NULL)
        return NULL;
    int w = snprintf(buf, sizeof buf, "%s/content", d);
    return w > 0 && (size_t)w < sizeof buf && is_dir(buf) ? buf : NULL;
}

const char *
cli_default_rules_dir(void)
{
    static char buf[PATH_MAX];
    const char *env = getenv("WATCHPOST_RULES");
    if (env != NULL && *env)
        return env;
    /* installed layout: <prefix>/bin/watchpost and <prefix>/share/watchpost/rules */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            int w = snprintf(buf, sizeof buf, "%.*s/../share/watchpost/rules", PATH_MAX - 64, exe);
            if (w > 0 && (size_t)w < sizeof buf && is_dir(buf))
                return buf;
        }
    }
    if (is_dir(WP_DEFAULT_RULES_DIR))
        return WP_DEFAULT_RULES_DIR;
    if (is_dir("/usr/share/watchpost/rules"))
        return "/usr/share/watchpost/rules";
    return NULL;
}

/* Who is acting: the name sudo was run by, the login, or the uid as a last resort. */
const char *
cli_default_actor(char *buf, size_t len)
{
    const char *names[] = {getenv("SUDO_USER"), getenv("USER")};
    for (size_t i = 0; i < 2; i++)
        if (names[i] != NULL && *names[i] != '\0' && strlen(names[i]) < WP_STORE_MAX_ACTOR)
            return names[i];
    snprintf(buf, len, "uid %ld", (long)getuid());
    return buf;
}

wp_status
cli_engine_new(const cli_config *c, wp_log_fn log, wp_engine **out, char *err, size_t errlen)
{
    const char **paths = calloc(c->n_rule_paths + 1, sizeof(char *));
    size_t np = 0;
    if (paths == NULL)
        return WP_ENOMEM;
    if (c->default_rules) {
        const char *d = cli_default_rules_dir();
        if (d != NULL)
            paths[np++] = d;
        else if (log != NULL)
            log(NULL, WP_LOG_WARN, "default rule set not found; set WATCHPOST_RULES");
    }
    for (size_t i = 0; i < c->n_rule_paths; i++)
        paths[np++] = c->rule_paths[i];
    wp_engine_config ec;
    cli_engine_config(c, &ec);
    ec.rule_paths = paths;
    ec.n_rule_paths = np;
    ec.log = log;
    wp_status st = wp_engine_new(&ec, out, err, errlen);
    free(paths);
    return st;
}
