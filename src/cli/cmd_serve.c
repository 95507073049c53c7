/*
 * cmd_serve.c - `watchpost serve`, `watchpost user` and `watchpost token`: the command line
 * of the HTTP front end (src/serve/). Options override the configuration (serve.* keys).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "serve/serve.h"

static void
serve_usage(FILE *out)
{
    (void)fprintf(out,
                  "NAME\n"
                  "    watchpost serve - the analysts' REST API and web dashboard\n"
                  "\n"
                  "SYNOPSIS\n"
                  "    watchpost serve [-c FILE] [--db PATH] [--spool DIR] [--listen HOST:PORT]\n"
                  "                    [--cert PEM --key PEM] [--insecure-http] [--user NAME]\n"
                  "                    [--threads N] [--release-smtp URL]\n"
                  "\n"
                  "DESCRIPTION\n"
                  "    Serves the dashboard at / and the API at /api/v1 (docs/API.md, OpenAPI at\n"
                  "    /api/v1/openapi.json) over HTTPS, reading the store the milter and ingest\n"
                  "    write. Without --cert/--key a self-signed pair is made on the first start\n"
                  "    beside the store (serve-cert.pem, serve-key.pem) and its SHA-256\n"
                  "    fingerprint is printed. Users come from 'watchpost user add', API tokens\n"
                  "    from 'watchpost token create'. Started as root it reads the key, then runs\n"
                  "    as --user. Stops on SIGTERM or SIGINT.\n"
                  "\n"
                  "OPTIONS\n"
                  "    --listen HOST:PORT  address (serve.listen, default 127.0.0.1:8443)\n"
                  "    --db PATH           the store (store.db)\n"
                  "    --spool DIR         the quarantine (store.spool)\n"
                  "    --cert PEM, --key PEM  TLS certificate and key (serve.cert, serve.key)\n"
                  "    --insecure-http     plain HTTP; refused unless HOST is a loopback address\n"
                  "    --user NAME         run as NAME when started as root (serve.user)\n"
                  "    --threads N         worker threads (serve.threads; default one per CPU)\n"
                  "    --release-smtp URL  where released mail goes (quarantine.release_smtp)\n"
                  "    -c, --config FILE   configuration file (docs/CONFIGURATION.md)\n"
                  "    -h, --help          this text\n"
                  "\n"
                  "EXIT STATUS\n"
                  "    0 stopped by a signal, 2 cannot start (store, TLS, address), 3 usage.\n"
                  "\n"
                  "EXAMPLES\n"
                  "    watchpost user add alice --role analyst\n"
                  "    watchpost serve -c /etc/watchpost/watchpost.conf\n"
                  "    curl -k -H \"Authorization: Bearer $TOK\" \\\n"
                  "         'https://127.0.0.1:8443/api/v1/events?verdict=targeted&since=24h'\n");
}

enum { O_LISTEN = 256, O_DB, O_SPOOL, O_CERT, O_KEY, O_INSECURE, O_USER, O_THREADS, O_SMTP };

static const struct option serve_opts[] = {{"listen", required_argument, NULL, O_LISTEN},
                                           {"db", required_argument, NULL, O_DB},
                                           {"spool", required_argument, NULL, O_SPOOL},
                                           {"cert", required_argument, NULL, O_CERT},
                                           {"key", required_argument, NULL, O_KEY},
                                           {"insecure-http", no_argument, NULL, O_INSECURE},
                                           {"user", required_argument, NULL, O_USER},
                                           {"threads", required_argument, NULL, O_THREADS},
                                           {"release-smtp", required_argument, NULL, O_SMTP},
                                           {"config", required_argument, NULL, 'c'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};

static void
log_to_stderr(void *ctx, wp_log_level level, const char *msg)
{
    (void)ctx;
    if (level >= WP_LOG_WARN)
        (void)fprintf(stderr, "watchpost serve: %s\n", msg);
}

/* The directory of path ("." when none), into buf. */
static const char *
dir_of(const char *path, char *buf, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return ".";
    (void)snprintf(buf, cap, "%.*s", (int)(slash - path), path);
    return buf[0] ? buf : "/";
}

int
cmd_serve(int argc, char **argv)
{
    cli_config cfg;
    cli_config_init(&cfg);
    wps_config sc;
    wps_config_init(&sc);
    const char *db = NULL, *spool = NULL;
    int rc = WP_EXIT_USAGE, c;
    long threads = 0;
    bool listen_given = false;
    wp_engine *eng = NULL;
    if (!cli_config_load_args(&cfg, argc, argv))
        goto out;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", serve_opts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN:
            sc.listen = optarg;
            listen_given = true;
            break;
        case O_DB:
            db = optarg;
            break;
        case O_SPOOL:
            spool = optarg;
            break;
        case O_CERT:
            sc.cert = optarg;
            break;
        case O_KEY:
            sc.key = optarg;
            break;
        case O_INSECURE:
            sc.insecure_http = true;
            break;
        case O_USER:
            sc.user = optarg;
            break;
        case O_THREADS:
            if (!cli_opt_long("--threads", optarg, 1, 256, &threads))
                goto out;
            break;
        case O_SMTP:
            sc.release_smtp = optarg;
            break;
        case 'c':
            break;
        case 'h':
            serve_usage(stdout);
            rc = 0;
            goto out;
        default:
            serve_usage(stderr);
            goto out;
        }
    }
    if (optind < argc) {
        (void)fprintf(stderr, "watchpost: serve takes no arguments ('%s')\n", argv[optind]);
        goto out;
    }
    if ((sc.cert == NULL) != (sc.key == NULL)) {
        (void)fprintf(stderr, "watchpost: serve wants --cert and --key together\n");
        goto out;
    }
    /* options win over the configuration (serve.*) */
    if (!listen_given && cfg.serve_listen != NULL)
        sc.listen = cfg.serve_listen;
    if (sc.cert == NULL && cfg.serve_cert != NULL && cfg.serve_key != NULL) {
        sc.cert = cfg.serve_cert;
        sc.key = cfg.serve_key;
    }
    if (sc.user == NULL)
        sc.user = cfg.serve_user;
    if (threads == 0)
        threads = cfg.serve_threads;
    sc.threads = (unsigned)threads;
    sc.db = db != NULL ? db : cfg.store_db != NULL ? cfg.store_db : CLI_DEFAULT_STORE_DB;
    sc.spool = spool != NULL             ? spool
               : cfg.store_spool != NULL ? cfg.store_spool
                                         : CLI_DEFAULT_STORE_SPOOL;
    if (sc.release_smtp == NULL)
        sc.release_smtp = cfg.release_smtp != NULL ? cfg.release_smtp : CLI_DEFAULT_RELEASE_SMTP;
    char dirbuf[4096];
    sc.tls_dir = dir_of(sc.db, dirbuf, sizeof dirbuf);
    /* the engine for POST /scan, while the rules are still readable (before the drop) */
    char err[512] = "";
    if (cli_engine_new(&cfg, log_to_stderr, &eng, err, sizeof err) != WP_OK) {
        (void)fprintf(stderr, "watchpost serve: %s\n", err[0] ? err : "cannot build the engine");
        goto out;
    }
    sc.engine = eng;
    rc = wps_run(&sc);
out:
    wp_engine_free(eng);
    cli_config_fini(&cfg);
    return rc;
}

/* ---- watchpost user / watchpost token ---- */

static void
user_usage(FILE *out)
{
    (void)fprintf(out,
                  "NAME\n"
                  "    watchpost user, watchpost token - who may use watchpost serve\n"
                  "\n"
                  "SYNOPSIS\n"
                  "    watchpost user add NAME --role viewer|analyst|admin [--password-stdin]\n"
                  "    watchpost user passwd NAME [--password-stdin]\n"
                  "    watchpost user disable|enable NAME\n"
                  "    watchpost user list\n"
                  "    watchpost token create --user NAME --name LABEL [--role ROLE]\n"
                  "    watchpost token revoke --user NAME --name LABEL\n"
                  "    (each also takes --db PATH and -c FILE)\n"
                  "\n"
                  "DESCRIPTION\n"
                  "    'user add' creates a user; without --password-stdin it makes a random\n"
                  "    password and prints it once. The password is stored as an Argon2id\n"
                  "    hash. 'token create' prints a new API token alone on its last line,\n"
                  "    once: only its SHA-256 is stored. A token's role is at most its user's\n"
                  "    (default: the user's). A disabled user's sessions end at once.\n"
                  "\n"
                  "EXIT STATUS\n"
                  "    0 done, 1 no such user or token, 2 store error, 3 usage.\n"
                  "\n"
                  "EXAMPLES\n"
                  "    watchpost user add alice --role analyst\n"
                  "    echo \"$PW\" | watchpost user add bob --role admin --password-stdin\n"
                  "    watchpost token create --user alice --name soar\n");
}

/* A password from stdin (first line), or a random one printed to stdout. */
static bool
get_password(bool from_stdin, char *pw, size_t cap, bool *made)
{
    *made = false;
    if (from_stdin) {
        if (fgets(pw, (int)cap, stdin) == NULL)
            return false;
        pw[strcspn(pw, "\r\n")] = '\0';
        if (strlen(pw) < 8) {
            (void)fprintf(stderr, "watchpost: a password has at least 8 characters\n");
            return false;
        }
        return true;
    }
    char hash[65];
    wps_new_secret("", pw, cap, hash);
    pw[24] = '\0'; /* 96 bits of the 256 are plenty for a first password */
    *made = true;
    return true;
}

static int
status_exit(wp_status st, const char *err)
{
    (void)fprintf(stderr, "watchpost: %s\n", err[0] ? err : wp_strerror(st));
    return st == WP_ENOTFOUND ? 1 : st == WP_EINVAL ? WP_EXIT_USAGE : WP_EXIT_ERRORS;
}

enum { U_ROLE = 300, U_STDIN, U_DB, U_USER, U_NAME };

static const struct option user_opts[] = {
    {"role", required_argument, NULL, U_ROLE}, {"password-stdin", no_argument, NULL, U_STDIN},
    {"db", required_argument, NULL, U_DB},     {"user", required_argument, NULL, U_USER},
    {"name", required_argument, NULL, U_NAME}, {"config", required_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};

typedef struct uopts {
    const char *role, *db, *user, *name;
    bool from_stdin;
} uopts;

static int
user_action(wp_store *st, const char *action, const char *name, const uopts *o)
{
    char err[512] = "", pw[128], hash[256];
    wp_status s;
    bool made = false;
    if (strcmp(action, "list") == 0) {
        wp_user_info u[512];
        size_t n = 0;
        if ((s = wp_store_users(st, u, 512, &n, err, sizeof err)) != WP_OK)
            return status_exit(s, err);
        for (size_t i = 0; i < n && i < 512; i++) {
            (void)printf("%s\t%s%s\n", u[i].name, wp_role_name(u[i].role),
                         u[i].disabled ? "\tdisabled" : "");
        }
        return 0;
    }
    if (name == NULL) {
        (void)fprintf(stderr, "watchpost: user %s wants a NAME\n", action);
        return WP_EXIT_USAGE;
    }
    if (strcmp(action, "disable") == 0 || strcmp(action, "enable") == 0) {
        s = wp_store_user_disable(st, name, action[0] == 'd', err, sizeof err);
        if (s != WP_OK)
            return status_exit(s, err);
        (void)printf("user %s %sd\n", name, action);
        return 0;
    }
    bool add = strcmp(action, "add") == 0;
    if (!add && strcmp(action, "passwd") != 0) {
        (void)fprintf(stderr, "watchpost: user: unknown action '%s'\n", action);
        return WP_EXIT_USAGE;
    }
    int role = add ? wp_role_from_name(o->role) : -1;
    wp_user_info cur;
    if (add && role < 0) {
        (void)fprintf(stderr, "watchpost: user add wants --role viewer, analyst or admin\n");
        return WP_EXIT_USAGE;
    }
    if (!add) {
        if ((s = wp_store_user_get(st, name, &cur, err, sizeof err)) != WP_OK)
            return status_exit(s, err);
        role = (int)cur.role;
    }
    if (!wps_auth_init() || !get_password(o->from_stdin, pw, sizeof pw, &made) ||
        !wps_password_hash(pw, hash, sizeof hash)) {
        (void)fprintf(stderr, "watchpost: no password read\n");
        return WP_EXIT_USAGE;
    }
    s = wp_store_user_put(st, name, (wp_role)role, hash, add, err, sizeof err);
    if (s != WP_OK)
        return status_exit(s, err);
    (void)printf("user %s (%s) %s\n", name, wp_role_name((wp_role)role), add ? "added" : "updated");
    if (made)
        (void)printf("password: %s\n", pw);
    return 0;
}

static int
token_action(wp_store *st, const char *action, const uopts *o)
{
    char err[512] = "";
    if (o->user == NULL || o->name == NULL) {
        (void)fprintf(stderr, "watchpost: token %s wants --user NAME --name LABEL\n", action);
        return WP_EXIT_USAGE;
    }
    wp_status s;
    if (strcmp(action, "revoke") == 0) {
        if ((s = wp_store_token_revoke(st, o->user, o->name, err, sizeof err)) != WP_OK)
            return status_exit(s, err);
        (void)printf("token %s of %s revoked\n", o->name, o->user);
        return 0;
    }
    if (strcmp(action, "create") != 0) {
        (void)fprintf(stderr, "watchpost: token: unknown action '%s'\n", action);
        return WP_EXIT_USAGE;
    }
    wp_user_info u;
    if ((s = wp_store_user_get(st, o->user, &u, err, sizeof err)) != WP_OK)
        return status_exit(s, err);
    int role = o->role != NULL ? wp_role_from_name(o->role) : (int)u.role;
    if (role < 0) {
        (void)fprintf(stderr, "watchpost: --role wants viewer, analyst or admin\n");
        return WP_EXIT_USAGE;
    }
    char tok[96], hash[65];
    if (!wps_auth_init())
        return WP_EXIT_ERRORS;
    wps_new_secret("wpt_", tok, sizeof tok, hash);
    s = wp_store_token_put(st, hash, o->user, o->name, (wp_role)role, (long long)time(NULL), err,
                           sizeof err);
    if (s != WP_OK)
        return status_exit(s, err);
    (void)printf("token %s for %s (%s); shown once:\n%s\n", o->name, o->user,
                 wp_role_name((wp_role)role), tok);
    return 0;
}

int
cmd_user(int argc, char **argv)
{
    cli_config cfg;
    cli_config_init(&cfg);
    uopts o = {0};
    int rc = WP_EXIT_USAGE, c;
    bool token = strcmp(argv[0], "token") == 0;
    if (!cli_config_load_args(&cfg, argc, argv))
        goto out;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", user_opts, NULL)) != -1) {
        switch (c) {
        case U_ROLE:
            o.role = optarg;
            break;
        case U_STDIN:
            o.from_stdin = true;
            break;
        case U_DB:
            o.db = optarg;
            break;
        case U_USER:
            o.user = optarg;
            break;
        case U_NAME:
            o.name = optarg;
            break;
        case 'c':
            break;
        case 'h':
            user_usage(stdout);
            rc = 0;
            goto out;
        default:
            user_usage(stderr);
            goto out;
        }
    }
    if (optind >= argc) {
        user_usage(stderr);
        goto out;
    }
    const char *action = argv[optind++];
    const char *name = optind < argc ? argv[optind++] : NULL;
    if (optind < argc || (token && name != NULL)) {
        (void)fprintf(stderr, "watchpost: %s: unexpected argument\n", argv[0]);
        goto out;
    }
    wp_store *st = NULL;
    if (!cli_store_open(&cfg, o.db, NULL, false, &st)) {
        rc = WP_EXIT_ERRORS;
        goto out;
    }
    rc = token ? token_action(st, action, &o) : user_action(st, action, name, &o);
    wp_store_close(st);
out:
    cli_config_fini(&cfg);
    return rc;
}
