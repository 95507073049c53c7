/*
 * daemon.c - `watchpost serve` from start to stop.
 *
 * Order matters: the TLS key is read while still root (it is mode 0600), the engine for
 * POST /scan was built by the caller before this (rules may sit in a checkout only root can
 * read), then the privilege drop, then the store is opened once as the run user (its files
 * must be that user's: migrations, WAL), then libmicrohttpd starts listening. Plain HTTP is
 * accepted only with --insecure-http and only on a loopback address: anything else would
 * send session cookies in clear over the mission's LAN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/privdrop.h"
#include "serve.h"
#include "tls.h"

void
wps_config_init(wps_config *c)
{
    memset(c, 0, sizeof(*c));
    c->listen = "127.0.0.1:8443";
    c->max_connections = 1024;
    c->per_ip_connections = 64;
    c->timeout_s = 30;
    c->max_header_bytes = 32 * 1024;
    c->max_body_bytes = 64 * 1024;
    c->max_scan_bytes = 25u << 20;
    c->session_idle_s = 30 * 60;
    c->session_max_s = 12 * 3600;
    c->login_attempts = 5;
}

/* "HOST:PORT" or "[V6]:PORT" into a socket address; loopback says whether it is one. */
static bool
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len, bool *loopback)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof host)
        return false;
    const char *h = spec;
    size_t hl = (size_t)(colon - spec);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535)
        return false;
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (strcmp(host, "localhost") == 0)
        (void)snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof(*v4);
        *loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
        return true;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*v6);
        *loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
        return true;
    }
    return false;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)fputs("watchpost serve: ", stderr);
    (void)vfprintf(stderr, fmt, ap);
}

static bool
become_user(const char *user)
{
    if (geteuid() != 0)
        return true;
    if (user == NULL) {
        (void)fprintf(stderr, "watchpost serve: started as root: give --user NAME (or "
                              "serve.user) to run as\n");
        return false;
    }
    if (strcmp(user, "root") == 0) {
        (void)fprintf(stderr, "watchpost serve: running as root (--user root)\n");
        return true;
    }
    char err[256];
    if (!cli_switch_user(user, err, sizeof err)) {
        (void)fprintf(stderr, "watchpost serve: %s\n", err);
        return false;
    }
    return true;
}

int
wps_run(const wps_config *c)
{
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    bool loopback = false;
    if (!parse_listen(c->listen, &ss, &sl, &loopback)) {
        (void)fprintf(stderr, "watchpost serve: --listen wants HOST:PORT or [V6]:PORT, not '%s'\n",
                      c->listen);
        return 3;
    }
    if (c->insecure_http && !loopback) {
        (void)fprintf(stderr, "watchpost serve: --insecure-http only on a loopback address "
                              "(127.0.0.1, ::1): session cookies must not cross a network in "
                              "clear\n");
        return 3;
    }
    if (!wps_auth_init()) {
        (void)fprintf(stderr, "watchpost serve: libsodium cannot start (no random source)\n");
        return 2;
    }
    wps_tls tls = {0};
    char err[512] = "";
    if (!c->insecure_http && !wps_tls_load(c->cert, c->key, c->tls_dir, &tls, err, sizeof err)) {
        (void)fprintf(stderr, "watchpost serve: TLS: %s\n", err);
        return 2;
    }
    if (!become_user(c->user)) {
        wps_tls_free(&tls);
        return 2;
    }
    /* the store once, as the run user: migrations and the WAL files are its own */
    wp_store_config sc;
    wp_store_config_init(&sc);
    sc.db_path = c->db;
    sc.spool_dir = c->spool;
    wp_store *probe = NULL;
    if (wp_store_open(&sc, &probe, err, sizeof err) != WP_OK) {
        (void)fprintf(stderr, "watchpost serve: %s\n", err);
        wps_tls_free(&tls);
        return 2;
    }
    wp_store_close(probe);

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* MHD's threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);

    unsigned threads = c->threads ? c->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
                     (c->insecure_http ? 0 : MHD_USE_TLS);
    uint16_t port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                             : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, port, NULL, NULL, wps_access, (void *)c, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        threads < 1 ? 1u : threads, MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        c->timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->max_header_bytes,
        MHD_OPTION_NOTIFY_COMPLETED, wps_completed, NULL,
        c->insecure_http ? MHD_OPTION_END : MHD_OPTION_HTTPS_MEM_KEY, tls.key_pem,
        MHD_OPTION_HTTPS_MEM_CERT, tls.cert_pem, MHD_OPTION_END);
    if (d == NULL) {
        (void)fprintf(stderr, "watchpost serve: cannot listen on %s: %s\n", c->listen,
                      errno != 0 ? strerror(errno) : "libmicrohttpd refused the options");
        wps_tls_free(&tls);
        return 2;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned bound = di != NULL ? di->port : port;
    const char *colon = strrchr(c->listen, ':');
    (void)printf("watchpost serve: listening on %s://%.*s:%u/ (%u threads)\n",
                 c->insecure_http ? "http" : "https", (int)(colon - c->listen), c->listen, bound,
                 threads);
    if (!c->insecure_http)
        (void)printf("watchpost serve: certificate %s%s, SHA-256 fingerprint %s\n", tls.cert_path,
                     tls.generated ? " (self-signed, made now)" : "", tls.fingerprint);
    (void)fflush(stdout);
    int sig = 0;
    for (;;) {
        if (sigwait(&stop, &sig) != 0)
            continue;
        if (sig != SIGHUP)
            break; /* a reload has nothing to reload yet: users and tokens live in the store */
    }
    (void)fprintf(stderr, "watchpost serve: signal %d: stopping\n", sig);
    MHD_stop_daemon(d);
    wps_tls_free(&tls);
    return 0;
}
