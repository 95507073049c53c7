/*
 * spf.c - SPF (RFC 7208) with libspf2, its DNS layer replaced by dns.c.
 *
 * libspf2's own resolver layer uses the thread's res_state (no configurable server, timeout
 * in seconds), so a layer of our own is given to SPF_server_new_dns(): its lookup() asks
 * dns.c and turns the answer into an SPF_dns_rr_t, with TRY_AGAIN for any failure, which
 * libspf2 reports as temperror. One SPF_server_t per check: the layer's hook is the
 * message's DNS session, and the server is cheap to make.
 *
 * libspf2 prints warnings through global handlers and aborts through SPF_error(); the
 * warning, info and debug handlers are silenced once per process (library code never
 * prints), and the arguments are checked here so that no assertion is reached.
 */
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "auth_int.h"

static void
quiet(const char *file, int line, const char *msg)
{
    (void)file;
    (void)line;
    (void)msg;
}

static void
init_once(void)
{
    SPF_warning_handler = quiet;
    SPF_info_handler = quiet;
    SPF_debug_handler = quiet;
}

void
auth_spf_global_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_once);
}

static SPF_dns_rr_t *
lookup(SPF_dns_server_t *srv, const char *domain, ns_type type, int should_cache)
{
    (void)should_cache;
    auth_dns *d = srv->hook;
    auth_dns_answer *ans = malloc(sizeof(*ans));
    if (ans == NULL)
        return SPF_dns_rr_new_init(srv, domain, type, 0, TRY_AGAIN);
    auth_dns_status st = auth_dns_query(d, domain, (int)type, ans);
    int herr = st == AUTH_DNS_OK         ? NETDB_SUCCESS
               : st == AUTH_DNS_NXDOMAIN ? HOST_NOT_FOUND
               : st == AUTH_DNS_NODATA   ? NO_DATA
                                         : TRY_AGAIN;
    SPF_dns_rr_t *rr = SPF_dns_rr_new_init(srv, domain, type, 0, herr);
    if (rr == NULL || st != AUTH_DNS_OK) {
        free(ans);
        return rr;
    }
    int n = 0;
    for (int i = 0; i < ans->n; i++) {
        size_t len = ans->rr[i].len;
        const unsigned char *data = ans->pool + ans->rr[i].off;
        size_t need = type == ns_t_a      ? sizeof(struct in_addr)
                      : type == ns_t_aaaa ? sizeof(struct in6_addr)
                                          : len + 1;
        if (SPF_dns_rr_buf_realloc(rr, n, need) != SPF_E_SUCCESS)
            break;
        memcpy(rr->rr[n], data, type == ns_t_a || type == ns_t_aaaa ? need : len + 1);
        n++;
    }
    rr->num_rr = n;
    if (n == 0)
        rr->herrno = NO_DATA;
    free(ans);
    return rr;
}

auth_result
auth_spf_check(auth_dns *d, const auth_envelope *env, char *why, size_t whylen)
{
    why[0] = '\0';
    auth_spf_global_init();
    SPF_dns_server_t layer = {0};
    layer.lookup = lookup;
    layer.name = "watchpost";
    layer.hook = d;
    /* destroy NULL: the layer lives on this stack frame, SPF_server_free() leaves it */
    SPF_server_t *srv = SPF_server_new_dns(&layer, 0);
    if (srv == NULL) {
        snprintf(why, whylen, "libspf2 could not start");
        return AUTH_R_TEMPERROR;
    }
    SPF_request_t *req = SPF_request_new(srv);
    SPF_response_t *resp = NULL;
    auth_result res = AUTH_R_TEMPERROR;
    bool v6 = strchr(env->ip, ':') != NULL;
    if (req == NULL || (v6 ? SPF_request_set_ipv6_str(req, env->ip)
                           : SPF_request_set_ipv4_str(req, env->ip)) != SPF_E_SUCCESS) {
        snprintf(why, whylen, "client IP not usable");
        goto out;
    }
    if (env->helo[0] != '\0')
        SPF_request_set_helo_dom(req, env->helo);
    /* the null sender is checked as postmaster@HELO (RFC 7208 2.4) */
    const char *from = env->mail_from;
    char pm[300];
    if (from[0] == '\0' || strchr(from, '@') == NULL) {
        snprintf(pm, sizeof pm, "postmaster@%s", env->mail_domain);
        from = pm;
    }
    if (SPF_request_set_env_from(req, from) != 0) {
        snprintf(why, whylen, "MAIL FROM not usable");
        res = AUTH_R_PERMERROR;
        goto out;
    }
    SPF_request_query_mailfrom(req, &resp);
    if (resp == NULL) {
        snprintf(why, whylen, "libspf2 gave no answer");
        goto out;
    }
    switch (SPF_response_result(resp)) {
    case SPF_RESULT_PASS:
        res = AUTH_R_PASS;
        break;
    case SPF_RESULT_FAIL:
        res = AUTH_R_FAIL;
        break;
    case SPF_RESULT_SOFTFAIL:
        res = AUTH_R_SOFTFAIL;
        break;
    case SPF_RESULT_NEUTRAL:
        res = AUTH_R_NEUTRAL;
        break;
    case SPF_RESULT_NONE:
        res = AUTH_R_NONE;
        break;
    case SPF_RESULT_PERMERROR:
        res = AUTH_R_PERMERROR;
        break;
    case SPF_RESULT_INVALID:
        /* libspf2 leaves the result unset when the record does not compile: RFC 7208 4.6
         * calls a syntax error a permerror; a DNS failure is caught just below */
        res = SPF_response_errors(resp) > 0 ? AUTH_R_PERMERROR : AUTH_R_TEMPERROR;
        break;
    default:
        res = AUTH_R_TEMPERROR;
        break;
    }
    if (d->error[0] != '\0' && res != AUTH_R_PASS && res != AUTH_R_FAIL && res != AUTH_R_SOFTFAIL) {
        /* a lookup failed on the way: never let that read as "no SPF record" */
        res = AUTH_R_TEMPERROR;
        snprintf(why, whylen, "%s", d->error);
    } else if (SPF_response_messages(resp) > 0) {
        const char *m = SPF_error_message(SPF_response_message(resp, 0));
        snprintf(why, whylen, "%s", m != NULL ? m : "");
    }
out:
    if (resp != NULL)
        SPF_response_free(resp);
    if (req != NULL)
        SPF_request_free(req);
    SPF_server_free(srv);
    return res;
}
