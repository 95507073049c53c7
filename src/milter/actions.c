/*
 * actions.c - from collected message to verdict to milter reply.
 */
#include "actions.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gen.h"
#include "log.h"

/* Where decisions are pushed (alert.*); NULL: nowhere. Set once before serving. */
static wp_alerter *the_alerter;

void
wpm_actions_set_alerter(wp_alerter *a)
{
    the_alerter = a;
}

/* Push the decision at once; wp_alert_decision() only enqueues and applies the severity
 * gate, so the mail flow never waits for a webhook. */
static void
alert(const wp_report *r, const wp_envelope *env, const char *ref)
{
    if (the_alerter == NULL)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    wp_alert_decision(the_alerter, r, env, ref, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Codes of the findings that carry weight, comma separated, cut with ",..." to fit. */
static void
findings_value(const wp_report *r, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n_findings; i++) {
        const char *code = r->findings[i].code;
        if (code == NULL || strstr(out, code) != NULL) /* a code once, however often found */
            continue;
        size_t cl = strlen(code);
        if (n + cl + 2 + 4 >= outlen) {
            snprintf(out + n, outlen - n, "%s...", n ? "," : "");
            return;
        }
        n += (size_t)snprintf(out + n, outlen - n, "%s%s", n ? "," : "", code);
    }
    if (n == 0)
        snprintf(out, outlen, "none");
}

/* Removes forged X-Watchpost-* headers, then adds ours. */
static bool
add_headers(SMFICTX *ctx, const wpm_conn *c, const wp_report *r)
{
    for (int h = 0; h < WPM_N_OWN_HDRS; h++)
        for (int i = c->own_hdrs[h]; i >= 1; i--)
            if (smfi_chgheader(ctx, (char *)wpm_own_headers[h], i, NULL) != MI_SUCCESS)
                return false;
    char score[32], sev[32], fnd[WPM_MAX_FINDINGS_HDR];
    snprintf(score, sizeof score, "%d", r->verdict.score);
    snprintf(sev, sizeof sev, "%d (%s)", r->verdict.severity,
             wp_severity_name(r->verdict.severity));
    findings_value(r, fnd, sizeof fnd);
    const char *vals[WPM_N_OWN_HDRS] = {wp_verdict_name(r->verdict.cls), score, sev, fnd};
    for (int h = 0; h < WPM_N_OWN_HDRS; h++)
        if (smfi_addheader(ctx, (char *)wpm_own_headers[h], (char *)vals[h]) != MI_SUCCESS)
            return false;
    return true;
}

static const char *
qid_of(SMFICTX *ctx)
{
    const char *q = smfi_getsymval(ctx, "i");
    return q != NULL ? q : "NOQUEUE";
}

/* Carries out the verdict; the report and store are valid for the call. */
/* Milliseconds since t0: the time this message spent in watchpost at end of data (scan,
 * store, quarantine), logged with every decision as ms= for latency percentiles. */
static double
ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static sfsistat
act(SMFICTX *ctx, wpm_conn *c, wp_store *store, const wp_report *r, const wp_envelope *env,
    const struct timespec *t0)
{
    const char *qid = qid_of(ctx);
    bool truncated = c->total > c->len;
    /* a cut copy is recorded as such: the store refuses to release it (Postfix holds it) */
    wp_store_decision d = {
        .report = r, .env = env, .queue_id = qid, .whole_size = truncated ? c->total : 0};
    char err[512] = "", ref[WP_QUARANTINE_REF_SIZE] = "";
    wp_action a = r->verdict.action;
    const char *vname = wp_verdict_name(r->verdict.cls);

    if (a == WP_ACTION_DELIVER || a == WP_ACTION_TAG) {
        wp_status st = wp_store_record(store, &d, NULL, err, sizeof err);
        if (st != WP_OK) {
            wpm_log(LOG_ERR, "%s: tempfail: cannot record the decision: %s", qid,
                    err[0] ? err : wp_strerror(st));
            return SMFIS_TEMPFAIL;
        }
        if (!add_headers(ctx, c, r)) {
            wpm_log(LOG_ERR, "%s: tempfail: cannot add headers", qid);
            return SMFIS_TEMPFAIL;
        }
        /* over max_message_bytes only the first part was judged: say so, with the size */
        char over[64] = "";
        if (truncated)
            snprintf(over, sizeof over, " scanned=%zu of size=%llu", c->len,
                     (unsigned long long)c->total);
        wpm_log(LOG_INFO, "%s: %s verdict=%s score=%d severity=%d ms=%.1f%s", qid,
                wp_action_name(a), vname, r->verdict.score, r->verdict.severity, ms_since(t0),
                over);
        alert(r, env, NULL);
        return SMFIS_ACCEPT;
    }

    /* quarantine and reject: the durable copy comes first; without it, tempfail */
    wp_status st = wp_store_quarantine(store, &d, c->buf, c->len, ref, NULL, err, sizeof err);
    if (st != WP_OK) {
        wpm_log(LOG_ERR, "%s: tempfail: cannot quarantine: %s", qid,
                err[0] ? err : wp_strerror(st));
        return SMFIS_TEMPFAIL;
    }
    /* kept durably: from here on the decision stands, whatever the reply path does */
    alert(r, env, ref);
    if (a == WP_ACTION_REJECT) {
        char text[96];
        snprintf(text, sizeof text, "rejected by policy, reference %s", ref);
        if (smfi_setreply(ctx, "550", "5.7.1", text) != MI_SUCCESS) {
            wpm_log(LOG_ERR, "%s: tempfail: cannot set the reply (ref %s kept)", qid, ref);
            return SMFIS_TEMPFAIL;
        }
        wpm_log(LOG_NOTICE, "%s: reject verdict=%s score=%d severity=%d ref=%s ms=%.1f", qid, vname,
                r->verdict.score, r->verdict.severity, ref, ms_since(t0));
        return SMFIS_REJECT;
    }
    if (truncated) {
        /* our copy holds only the first max_message_bytes: let Postfix hold the whole */
        char reason[96];
        snprintf(reason, sizeof reason, "watchpost quarantine %s (message truncated)", ref);
        if (smfi_quarantine(ctx, reason) != MI_SUCCESS) {
            wpm_log(LOG_ERR, "%s: tempfail: cannot hold the truncated message (ref %s)", qid, ref);
            return SMFIS_TEMPFAIL;
        }
        wpm_log(LOG_NOTICE, "%s: quarantine+hold verdict=%s score=%d ref=%s size=%llu ms=%.1f", qid,
                vname, r->verdict.score, ref, (unsigned long long)c->total, ms_since(t0));
        return SMFIS_ACCEPT;
    }
    wpm_log(LOG_NOTICE, "%s: quarantine verdict=%s score=%d severity=%d ref=%s ms=%.1f", qid, vname,
            r->verdict.score, r->verdict.severity, ref, ms_since(t0));
    return SMFIS_DISCARD;
}

sfsistat
wpm_end_of_message(SMFICTX *ctx, wpm_conn *c, wp_store *store)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (c->failed) {
        wpm_log(LOG_ERR, "%s: tempfail: out of memory while receiving", qid_of(ctx));
        return SMFIS_TEMPFAIL;
    }
    wpm_gen *g = wpm_gen_acquire();
    wp_scanner *sc = g ? wpm_gen_scanner(g) : NULL;
    if (sc == NULL) {
        wpm_log(LOG_ERR, "%s: tempfail: no scanner (out of memory)", qid_of(ctx));
        wpm_gen_release(g);
        return SMFIS_TEMPFAIL;
    }
    wp_envelope env;
    wpm_conn_envelope(c, wp_netlist_contains(wpm_gen_networks(g), c->client_ip), &env);
    wp_report *r = NULL;
    wp_status st = wp_scan_message_env(sc, c->buf ? c->buf : (const uint8_t *)"", c->len, &env, &r);
    wpm_gen_scanner_done(g, sc);
    sfsistat res;
    if (st != WP_OK) {
        wpm_log(LOG_ERR, "%s: tempfail: scan failed: %s", qid_of(ctx), wp_strerror(st));
        res = SMFIS_TEMPFAIL;
    } else {
        wp_report_set_source(r, qid_of(ctx));
        res = act(ctx, c, store, r, &env, &t0);
    }
    wp_report_free(r);
    wpm_gen_release(g);
    return res;
}
