/*
 * daemon.c - the milter process: socket, privileges, store, engine, signals.
 *
 * libmilter owns SIGHUP/SIGTERM/SIGINT in a sigwait thread of its own and stops on any of
 * them. To make SIGHUP mean "reload", smfi_main() runs in a second thread and the main
 * thread sigwaits for the same signals: Linux hands a process-directed signal to the main
 * thread first when it is waiting for it. SIGUSR1 reloads too and is never contended.
 * SIGUSR2 is how the milter thread tells the main thread that smfi_main() returned.
 */
#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actions.h"
#include "callbacks.h"
#include "common/privdrop.h"
#include "gen.h"
#include "log.h"
#include "milter.h"

static int milter_status = -1;
static long retention_days;       /* quarantine.retention_days, as of the last (re)load */
static long store_retention_days; /* store.retention_days, likewise */

/* store.retention_days: the records of the store (wp_store_prune, docs/STORE.md), in small
 * transactions so the callbacks writing decisions meanwhile wait one batch at most. */
static void
run_store_retention(wp_store *store)
{
    if (store_retention_days <= 0)
        return;
    wp_store_prune_counts n;
    char err[512] = "";
    wp_status st = wp_store_prune(store, (unsigned)store_retention_days, 0, &n, err, sizeof err);
    if (st != WP_OK) {
        wpm_log(LOG_ERR, "store retention: %s", err[0] ? err : wp_strerror(st));
        return;
    }
    if (n.decisions + n.tombstones + n.net_findings + n.incidents + n.host_map > 0) {
        wpm_log(LOG_NOTICE,
                "store retention: deleted %llu decisions, %llu tombstones, %llu network "
                "findings, %llu closed incidents, %llu host mappings (older than %ld days)",
                (unsigned long long)n.decisions, (unsigned long long)n.tombstones,
                (unsigned long long)n.net_findings, (unsigned long long)n.incidents,
                (unsigned long long)n.host_map, store_retention_days);
    }
}

/* Quarantine retention: every file older than retention_days goes, each logged with its
 * reference (nothing is deleted silently). */
static void
run_quarantine_retention(wp_store *store)
{
    if (retention_days <= 0)
        return;
    wp_quarantine_list *gone = NULL;
    size_t n = 0;
    char err[512] = "";
    wp_status st =
        wp_store_quarantine_expire(store, (unsigned)retention_days, 0, &gone, &n, err, sizeof err);
    if (st != WP_OK) {
        wpm_log(LOG_ERR, "retention: %s", err[0] ? err : wp_strerror(st));
        return;
    }
    for (size_t i = 0; gone != NULL && i < gone->n; i++)
        wpm_log(LOG_NOTICE, "retention: deleted %s (older than %ld days, %s)", gone->entries[i].ref,
                retention_days,
                gone->entries[i].delete_reason ? gone->entries[i].delete_reason : "retention");
    wp_quarantine_list_free(gone);
}

/* Hourly from the main thread: the spool first (its tombstones may then be old enough for
 * the store's retention), then the store's records. */
static void
run_retention(wp_store *store)
{
    run_quarantine_retention(store);
    run_store_retention(store);
}

static void *
milter_thread(void *arg)
{
    (void)arg;
    milter_status = smfi_main();
    kill(getpid(), SIGUSR2);
    return NULL;
}

/* Switch to user (and its groups) when root; refuse to serve as root by accident. */
static bool
drop_privileges(const char *user, const char *sock_path)
{
    if (geteuid() != 0) {
        if (user != NULL)
            wpm_log(LOG_WARNING, "not root: --user %s ignored", user);
        return true;
    }
    if (user == NULL) {
        wpm_log(LOG_ERR, "started as root: give --user NAME (or milter.user) to run as");
        return false;
    }
    if (strcmp(user, "root") == 0) {
        wpm_log(LOG_WARNING, "running as root (--user root)");
        return true;
    }
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        wpm_log(LOG_ERR, "unknown user '%s'", user);
        return false;
    }
    if (sock_path != NULL && chown(sock_path, pw->pw_uid, pw->pw_gid) != 0)
        wpm_log(LOG_WARNING, "chown %s: %s", sock_path, strerror(errno));
    char err[256];
    if (!cli_switch_user(user, err, sizeof err)) {
        wpm_log(LOG_ERR, "%s", err);
        return false;
    }
    wpm_log(LOG_INFO, "running as %s (uid %u)", user, (unsigned)pw->pw_uid);
    return true;
}

/*
 * TCP_NODELAY on the listening TCP socket (Linux passes it on to every accepted
 * connection). libmilter writes each added header and the final reply as separate small
 * packets and sets no socket options, so over inet: Nagle held the last of them until the
 * MTA's delayed ACK, about 40-50 ms added to every message (bench/milter_load.sh, strace).
 * libmilter does not hand out its listening descriptor, so it is found among ours: the one
 * TCP socket in the listening state at this point of start-up.
 */
static void
tcp_nodelay_on_listener(void)
{
    for (int fd = 3; fd < 1024; fd++) {
        int acc = 0, type = 0;
        socklen_t len = sizeof acc;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) != 0 || !acc)
            continue;
        len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM ||
            getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
            (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
            continue;
        int one = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
            wpm_log(LOG_WARNING, "TCP_NODELAY on the listening socket: %s", strerror(errno));
    }
}

/*
 * At most one malloc arena per CPU (glibc's default is 8 per CPU: 16 on the 2-core bench
 * box). libmilter runs every SMTP connection in a thread of its own, a thread that meets a
 * locked arena gets another, and each arena keeps the memory freed after its bursts (the
 * libarchive, YARA and message buffers of attachment scans) resident. With quarantined EICAR
 * mail (bench/milter_load.sh, N=3000 C=20) malloc_info() showed 16 arenas holding 64 MB, of
 * which 22 MB was in use; RssAnon at the end was 50-59 MB, and 39-44 MB with one arena per
 * CPU. More arenas than CPUs buy little: no more threads than that run malloc at once.
 * MALLOC_ARENA_MAX or GLIBC_TUNABLES in the environment still decide when set.
 */
static void
limit_malloc_arenas(void)
{
#ifdef M_ARENA_MAX
    if (getenv("MALLOC_ARENA_MAX") != NULL || getenv("GLIBC_TUNABLES") != NULL)
        return;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    mallopt(M_ARENA_MAX, n < 2 ? 2 : n > 64 ? 64 : (int)n);
#endif
}

/* After the drop: a rules path the run user cannot read works now (the first engine was
 * built before the drop) but will fail every reload. Said once at start-up, on the terminal
 * too, rather than discovered at the first SIGHUP. */
static void
warn_unreadable_rules(const cli_config *cfg, const char *user)
{
    const char *d = cfg->default_rules ? cli_default_rules_dir() : NULL;
    for (size_t i = 0; i <= cfg->n_rule_paths; i++) {
        const char *p = i == 0 ? d : cfg->rule_paths[i - 1];
        if (p == NULL)
            continue;
        struct stat st;
        int need = stat(p, &st) == 0 && S_ISDIR(st.st_mode) ? R_OK | X_OK : R_OK;
        if (access(p, need) != 0)
            wpm_log(LOG_WARNING,
                    "%s: not readable as %s (%s): the running engine has it, but a reload will "
                    "fail; keep rules where %s can read them (the package's "
                    "/usr/share/watchpost/rules)",
                    p, user ? user : "the run user", strerror(errno), user ? user : "it");
    }
}

static bool
reload(const wpm_options *o)
{
    cli_config cfg;
    cli_config_init(&cfg);
    if (!o->load(o->load_ctx, &cfg)) {
        cli_config_fini(&cfg);
        wpm_log(LOG_ERR, "reload: configuration error; keeping the running engine");
        return false;
    }
    char err[512];
    wpm_gen *g = wpm_gen_build(&cfg, err, sizeof err);
    long cfg_retention = cfg.retention_days;
    long cfg_store_retention = cfg.store_retention_days;
    cli_config_fini(&cfg);
    if (g == NULL) {
        wpm_log(LOG_ERR, "reload: %s; keeping the running engine", err);
        return false;
    }
    wpm_gen_publish(g);
    retention_days = cfg_retention;
    store_retention_days = cfg_store_retention;
    wpm_log(LOG_INFO, "reload: engine generation %u serves new messages", wpm_gen_number(g));
    return true;
}

/*
 * The state directories (the store database's directory and the spool) made before the
 * privilege drop when they are missing, mode 0750, owned by the run user: a fresh machine has
 * no /var/lib/watchpost, and only root can make it. Existing directories are left as they
 * are. The compiled-rules cache "rules-cache" beside the database is made the same way so
 * that the run user can keep it (the first engine is compiled as root, which never uses a
 * cache directory it does not own: rules/cache.c).
 */
static void
make_state_dir(const char *dir, const struct passwd *pw)
{
    struct stat sb;
    if (dir == NULL || dir[0] == '\0' || stat(dir, &sb) == 0)
        return;
    if (mkdir(dir, 0750) != 0) {
        wpm_log(LOG_WARNING, "cannot create %s: %s", dir, strerror(errno));
        return;
    }
    if (pw != NULL && chown(dir, pw->pw_uid, pw->pw_gid) != 0)
        wpm_log(LOG_WARNING, "chown %s: %s", dir, strerror(errno));
    wpm_log(LOG_INFO, "created %s", dir);
}

static void
make_state_dirs(const char *db, const char *spool, const char *user)
{
    const struct passwd *pw = NULL;
    if (geteuid() == 0 && user != NULL && strcmp(user, "root") != 0)
        pw = getpwnam(user);
    char dir[4096];
    const char *slash = strrchr(db, '/');
    if (slash != NULL && slash != db && (size_t)(slash - db) < sizeof dir) {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - db), db);
        make_state_dir(dir, pw);
        char cache[4096 + 16];
        snprintf(cache, sizeof cache, "%s/rules-cache", dir);
        make_state_dir(cache, pw);
    }
    make_state_dir(spool, pw);
}

/* SIGHUP and SIGUSR1 ask for a reload. They are caught by a handler in the main thread, not
 * sigwaited: libmilter's own signal thread sigwaits for SIGHUP and stops the milter on it,
 * and Linux offers a process-directed signal to the main thread first whenever that thread
 * has it unblocked. So the main thread keeps them unblocked (every other thread has them
 * blocked) even while it is busy reloading; a SIGHUP then only sets the flag, and reloads
 * that were asked for during a reload coalesce into one more. */
static volatile sig_atomic_t reload_wanted;

static void
on_reload_signal(int sig)
{
    (void)sig;
    reload_wanted = 1;
}

int
wpm_run(const wpm_options *o)
{
    /* until detached, every word also goes to the terminal: an error before the daemon is up
     * must be seen by whoever started it, not only in syslog */
    wpm_log_open(true);
    limit_malloc_arenas(); /* before any thread: every arena is made by one */
    sigset_t reload_set;
    sigemptyset(&reload_set);
    sigaddset(&reload_set, SIGHUP);
    sigaddset(&reload_set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &reload_set, NULL); /* main() did too; callers may not */
    cli_config cfg;
    cli_config_init(&cfg);
    if (!o->load(o->load_ctx, &cfg)) {
        cli_config_fini(&cfg);
        return WP_EXIT_USAGE;
    }
    const char *listen = o->listen           ? o->listen
                         : cfg.milter_listen ? cfg.milter_listen
                                             : WPM_DEFAULT_LISTEN;
    const char *user = o->user ? o->user : cfg.milter_user;
    int rc = WP_EXIT_USAGE;
    wp_store *store = NULL;
    wp_alerter *alerter = NULL;
    char err[512];
    wp_store_config sc;
    wp_store_config_init(&sc);
    sc.db_path = o->db ? o->db : cfg.store_db ? cfg.store_db : CLI_DEFAULT_STORE_DB;
    sc.spool_dir = o->spool          ? o->spool
                   : cfg.store_spool ? cfg.store_spool
                                     : CLI_DEFAULT_STORE_SPOOL;

    if (geteuid() == 0 && user == NULL) {
        wpm_log(LOG_ERR, "started as root: give --user NAME (or milter.user) to run as");
        goto out;
    }
    if (smfi_setconn((char *)listen) != MI_SUCCESS ||
        smfi_register(*wpm_callbacks(NULL)) != MI_SUCCESS) {
        wpm_log(LOG_ERR, "bad listen address '%s'", listen);
        goto out;
    }
    if (smfi_opensocket(true) != MI_SUCCESS) {
        wpm_log(LOG_ERR, "cannot listen on '%s'", listen);
        goto out;
    }
    tcp_nodelay_on_listener();
    const char *sock_path = NULL;
    if (strncmp(listen, "unix:", 5) == 0)
        sock_path = listen + 5;
    else if (strncmp(listen, "local:", 6) == 0)
        sock_path = listen + 6;
    if (sock_path != NULL)
        chmod(sock_path, 0660); /* the MTA reaches it through the group */

    /* The engine (rules, indicator lists, models) is built with the starting user's rights,
     * before the drop: the run user may not be able to read them where they are (a checkout
     * in root's mode-700 home, a configuration directory readable by root only). After the
     * drop nothing of it is read again but on SIGHUP, as the run user (docs/MILTER.md). */
    make_state_dirs(sc.db_path, sc.spool_dir, user);
    wpm_gen *g = wpm_gen_build(&cfg, err, sizeof err);
    if (g == NULL) {
        wpm_log(LOG_ERR, "%s", err);
        goto out;
    }
    wpm_gen_publish(g);
    if (!drop_privileges(user, sock_path))
        goto out;
    warn_unreadable_rules(&cfg, user);

    /* the store (as the unprivileged user, so its files are that user's) */
    err[0] = '\0';
    wp_status st = wp_store_open(&sc, &store, err, sizeof err);
    if (st != WP_OK) {
        wpm_log(LOG_ERR, "%s", err[0] ? err : wp_strerror(st));
        rc = WP_EXIT_ERRORS;
        goto out;
    }
    wpm_callbacks(store);

    /* The last word on the terminal: from here on, syslog only (unless --foreground). No
     * thread may exist yet, since fork() keeps only the calling one. */
    if (!o->foreground) {
        if (daemon(0, 0) != 0) {
            wpm_log(LOG_ERR, "cannot detach: %s", strerror(errno));
            goto out;
        }
        closelog();
        wpm_log_open(false);
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR2);
    sigset_t all = set;
    sigaddset(&all, SIGHUP);
    sigaddset(&all, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    /* alerts: syslog by default, a webhook and mail when configured (alert.*). Made after the
     * signals are blocked, so its sender thread never takes the signals meant for this one. */
    err[0] = '\0';
    st = wp_alerter_new(&cfg.alert, &alerter, err, sizeof err);
    if (st != WP_OK) {
        wpm_log(LOG_ERR, "alerts: %s", err[0] ? err : wp_strerror(st));
        goto out;
    }
    wpm_actions_set_alerter(alerter);

    pthread_t th;
    if (pthread_create(&th, NULL, milter_thread, NULL) != 0) {
        wpm_log(LOG_ERR, "cannot start the milter thread");
        goto out;
    }
    /* ready to reload: a SIGHUP held since start-up is taken now, by the handler */
    struct sigaction sa = {.sa_handler = on_reload_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    pthread_sigmask(SIG_UNBLOCK, &reload_set, NULL);
    wpm_log(LOG_INFO, "listening on %s (engine generation %u)", listen, wpm_gen_number(g));
    bool stopping = false;
    retention_days = cfg.retention_days;
    store_retention_days = cfg.store_retention_days;
    run_retention(store);
    for (;;) {
        while (reload_wanted && !stopping) {
            reload_wanted = 0;
            reload(o);
        }
        /* an hour without a signal: time for retention */
        struct timespec hour = {3600, 0};
        int sig = sigtimedwait(&set, NULL, &hour);
        if (sig < 0) {
            if (errno == EAGAIN && !stopping)
                run_retention(store);
            continue; /* EINTR: the reload handler ran */
        }
        if (sig == SIGUSR2)
            break; /* smfi_main returned */
        if (!stopping) {
            wpm_log(LOG_INFO, "signal %d: stopping", sig);
            stopping = true;
            smfi_stop();
        }
    }
    pthread_join(th, NULL);
    if (!stopping) {
        /* nobody asked for it: a supervisor (systemd Restart=) must see a failure */
        wpm_log(LOG_ERR, "the milter library stopped by itself (status %d)", milter_status);
        rc = WP_EXIT_ERRORS;
    } else {
        rc = milter_status == MI_SUCCESS ? 0 : WP_EXIT_ERRORS;
    }
    wpm_log(LOG_INFO, "stopped");
out:
    if (alerter != NULL) {
        wp_alerter_flush(alerter, 2000); /* what is queued still goes out, briefly */
        wpm_actions_set_alerter(NULL);
        wp_alerter_free(alerter);
    }
    wpm_gen_shutdown();
    wp_store_close(store);
    cli_config_fini(&cfg);
    closelog();
    return rc;
}
