/*
 * alerter.c - the alert queue and its sending thread.
 *
 * wp_alert_decision() builds the alert in the caller's thread (the report dies with the
 * caller) and puts it on a bounded ring; it never waits for the network. When the ring is
 * full the oldest waiting alert is dropped: a burst must not stall the mail flow, and the
 * newest alerts are the ones the CSIRT can still act on. One thread per alerter takes alerts
 * off the ring and sends them on every channel, retrying with exponential backoff and
 * jitter; the wait between tries and every transfer end at once when the alerter is freed.
 * The latency of each delivered alert (decision to last channel done) goes into a small ring
 * for the p50/p99 of wp_alerter_stats() and to the optional on_done callback.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/alert_int.h"
#include "core/util.h"

struct wp_alerter {
    wp_alert_config cfg; /* deep copy */
    pthread_mutex_t mu;
    pthread_cond_t work; /* an alert was queued, or stop */
    pthread_cond_t idle; /* the ring emptied and nothing is being sent */
    alert_item **ring;
    size_t cap, head, count;
    bool busy;
    atomic_bool stop;
    pthread_t thread;
    alert_sender *sender;
    unsigned rng;
    wp_alert_stats st; /* counters only; the latency fields are computed on demand */
    double lat[WP_ALERT_LATENCY_SAMPLES];
    size_t lat_n, lat_pos;
};

static void alert_log(wp_alerter *a, wp_log_level level, const char *fmt, ...) WP_PRINTF(3, 4);

static void
alert_log(wp_alerter *a, wp_log_level level, const char *fmt, ...)
{
    if (a->cfg.log == NULL)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    a->cfg.log(a->cfg.log_ctx, level, msg);
}

static void
deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Sleeps ms unless the alerter is being freed; false when it is. */
static bool
pause_ms(wp_alerter *a, long ms)
{
    struct timespec until;
    deadline_in(&until, ms);
    pthread_mutex_lock(&a->mu);
    int rc = 0;
    while (!atomic_load(&a->stop) && rc == 0)
        rc = pthread_cond_timedwait(&a->work, &a->mu, &until);
    pthread_mutex_unlock(&a->mu);
    return !atomic_load(&a->stop);
}

/* backoff_ms * 2^attempt, times a jitter in [0.8, 1.2) so that alerters restarted together
 * do not retry in step, and never above backoff_max_ms. */
static long
backoff(wp_alerter *a, int attempt)
{
    double d = (double)a->cfg.backoff_ms * ldexp(1.0, attempt < 30 ? attempt : 30);
    d *= 0.8 + 0.4 * ((double)rand_r(&a->rng) / ((double)RAND_MAX + 1.0));
    if (d > (double)a->cfg.backoff_max_ms)
        d = (double)a->cfg.backoff_max_ms;
    return (long)d;
}

typedef enum channel { CH_WEBHOOK, CH_MAIL } channel;

/* One channel, with its retries. ALERT_OK, ALERT_FATAL (gave up), or ALERT_RETRY meaning
 * abandoned because the alerter is being freed. */
static alert_result
deliver_channel(wp_alerter *a, alert_item *it, channel ch)
{
    const char *name = ch == CH_WEBHOOK ? "webhook" : "mail";
    char why[256] = "";
    for (int attempt = 0;; attempt++) {
        if (atomic_load(&a->stop))
            return ALERT_RETRY;
        json_object_set_new(it->payload, "sent_at", json_real(wp_wall_now()));
        char *body = json_dumps(it->payload, ch == CH_WEBHOOK ? JSON_COMPACT : JSON_INDENT(2));
        alert_result res;
        if (body == NULL) {
            snprintf(why, sizeof why, "%s: out of memory", name);
            res = ALERT_RETRY;
        } else {
            res = ch == CH_WEBHOOK ? alert_send_webhook(a->sender, body, why, sizeof why)
                                   : alert_send_mail(a->sender, it, body, why, sizeof why);
            pthread_mutex_lock(&a->mu);
            a->st.attempts++;
            pthread_mutex_unlock(&a->mu);
        }
        free(body);
        if (res == ALERT_OK)
            return ALERT_OK;
        if (atomic_load(&a->stop))
            return ALERT_RETRY;
        if (res == ALERT_FATAL || attempt >= a->cfg.retries) {
            alert_log(a, WP_LOG_ERROR, "alert ref=%s: %s: giving up after %d attempt(s): %s",
                      it->ref ? it->ref : "-", name, attempt + 1, why);
            return ALERT_FATAL;
        }
        long wait = backoff(a, attempt);
        alert_log(a, WP_LOG_WARN, "alert ref=%s: %s attempt %d failed (%s), retrying in %ld ms",
                  it->ref ? it->ref : "-", name, attempt + 1, why, wait);
        if (!pause_ms(a, wait))
            return ALERT_RETRY;
    }
}

static void
record_latency(wp_alerter *a, double ms)
{
    a->lat[a->lat_pos] = ms;
    a->lat_pos = (a->lat_pos + 1) % WP_ALERT_LATENCY_SAMPLES;
    if (a->lat_n < WP_ALERT_LATENCY_SAMPLES)
        a->lat_n++;
}

/* The syslog channel, written by the front end's writer (alert.h). */
static void
syslog_channel(wp_alerter *a, bool alert, const char *line)
{
    if (a->cfg.syslog_line != NULL)
        a->cfg.syslog_line(a->cfg.syslog_ctx, alert, line);
    else if (a->cfg.log != NULL)
        a->cfg.log(a->cfg.log_ctx, WP_LOG_WARN, line);
}

static void
deliver(wp_alerter *a, alert_item *it)
{
    if (a->cfg.syslog)
        syslog_channel(a, it->severity >= 4, it->syslog_line);
    alert_result res = ALERT_OK;
    if (a->cfg.webhook != NULL)
        res = deliver_channel(a, it, CH_WEBHOOK);
    /* Mail goes out even when the webhook gave up: it is the fallback path to the CSIRT. */
    if (a->cfg.mail_to != NULL && res != ALERT_RETRY) {
        alert_result m = deliver_channel(a, it, CH_MAIL);
        if (m != ALERT_OK)
            res = m;
    }
    double done = wp_wall_now();
    double ms = (done - it->detected_at) * 1000.0;
    pthread_mutex_lock(&a->mu);
    if (res == ALERT_OK) {
        a->st.sent++;
        record_latency(a, ms < 0 ? 0 : ms);
    } else if (res == ALERT_FATAL) {
        a->st.failed++;
    } else {
        a->st.dropped++; /* abandoned at shutdown */
    }
    pthread_mutex_unlock(&a->mu);
    if (res == ALERT_OK)
        alert_log(a, WP_LOG_DEBUG, "alert ref=%s delivered in %.1f ms", it->ref ? it->ref : "-",
                  ms);
    if (a->cfg.on_done != NULL)
        a->cfg.on_done(a->cfg.on_done_ctx, it->ref, it->detected_at, done, res == ALERT_OK);
}

static void *
sender_main(void *arg)
{
    wp_alerter *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!atomic_load(&a->stop) && a->count == 0)
            pthread_cond_wait(&a->work, &a->mu);
        if (atomic_load(&a->stop))
            break;
        alert_item *it = a->ring[a->head];
        a->ring[a->head] = NULL;
        a->head = (a->head + 1) % a->cap;
        a->count--;
        a->busy = true;
        pthread_mutex_unlock(&a->mu);
        deliver(a, it);
        alert_item_free(it);
        pthread_mutex_lock(&a->mu);
        a->busy = false;
        if (a->count == 0)
            pthread_cond_broadcast(&a->idle);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

static wp_status
copy_str(char **dst, const char *src)
{
    if (src == NULL) {
        *dst = NULL;
        return WP_OK;
    }
    return (*dst = strdup(src)) != NULL ? WP_OK : WP_ENOMEM;
}

static wp_status
copy_config(wp_alert_config *dst, const wp_alert_config *src)
{
    *dst = *src;
    dst->webhook = dst->mail_to = dst->mail_from = dst->smtp = NULL;
    dst->n_headers = 0;
    wp_status st = WP_OK;
    if (copy_str(&dst->webhook, src->webhook) || copy_str(&dst->mail_to, src->mail_to) ||
        copy_str(&dst->mail_from, src->mail_from) || copy_str(&dst->smtp, src->smtp))
        st = WP_ENOMEM;
    for (size_t i = 0; st == WP_OK && i < src->n_headers; i++) {
        if (copy_str(&dst->headers[i], src->headers[i]) != WP_OK)
            st = WP_ENOMEM;
        else
            dst->n_headers++;
    }
    return st;
}

static void
alerter_release(wp_alerter *a)
{
    alert_sender_free(a->sender);
    free(a->ring);
    pthread_cond_destroy(&a->work);
    pthread_cond_destroy(&a->idle);
    pthread_mutex_destroy(&a->mu);
    wp_alert_config_fini(&a->cfg);
    free(a);
}

wp_status
wp_alerter_new(const wp_alert_config *cfg, wp_alerter **out, char *err, size_t errlen)
{
    if (cfg == NULL || out == NULL) {
        snprintf(err, errlen, "alert: no configuration");
        return WP_EINVAL;
    }
    if (!cfg->syslog && cfg->webhook == NULL && cfg->mail_to == NULL) {
        snprintf(err, errlen, "alert: no channel (alert.syslog, alert.webhook, alert.mail_to)");
        return WP_EINVAL;
    }
    if (cfg->min_severity < 0 || cfg->min_severity > 5 || cfg->queue_size < 1 ||
        cfg->queue_size > WP_ALERT_MAX_QUEUE || cfg->retries < 0 || cfg->backoff_ms < 1 ||
        cfg->webhook_timeout_ms < 1 || cfg->n_headers > WP_ALERT_MAX_HEADERS) {
        snprintf(err, errlen, "alert: a setting is out of range (see docs/ALERTS.md)");
        return WP_EINVAL;
    }
    if ((cfg->webhook != NULL || cfg->mail_to != NULL) && !alert_curl_init()) {
        snprintf(err, errlen, "alert: libcurl failed to initialise");
        return WP_EINTERNAL;
    }
    wp_alerter *a = calloc(1, sizeof *a);
    if (a == NULL)
        return WP_ENOMEM;
    pthread_mutex_init(&a->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->work, &ca);
    pthread_cond_init(&a->idle, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&a->stop, false);
    wp_status st = copy_config(&a->cfg, cfg);
    if (a->cfg.backoff_max_ms < a->cfg.backoff_ms)
        a->cfg.backoff_max_ms = a->cfg.backoff_ms;
    a->cap = (size_t)cfg->queue_size;
    a->rng = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)a;
    if (st == WP_OK && (a->ring = calloc(a->cap, sizeof *a->ring)) == NULL)
        st = WP_ENOMEM;
    if (st == WP_OK && (cfg->webhook != NULL || cfg->mail_to != NULL) &&
        (a->sender = alert_sender_new(&a->cfg, &a->stop)) == NULL)
        st = WP_ENOMEM;
    if (st == WP_OK && pthread_create(&a->thread, NULL, sender_main, a) != 0) {
        snprintf(err, errlen, "alert: cannot start the sending thread");
        st = WP_EINTERNAL;
    }
    if (st != WP_OK) {
        if (st == WP_ENOMEM)
            snprintf(err, errlen, "alert: out of memory");
        alerter_release(a);
        return st;
    }
    *out = a;
    return WP_OK;
}

void
wp_alerter_free(wp_alerter *a)
{
    if (a == NULL)
        return;
    pthread_mutex_lock(&a->mu);
    atomic_store(&a->stop, true);
    pthread_cond_broadcast(&a->work);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    size_t left = a->count;
    a->st.dropped += left; /* for symmetry with the docs; nobody can read it any more */
    for (size_t i = 0; i < a->count; i++)
        alert_item_free(a->ring[(a->head + i) % a->cap]);
    if (left > 0)
        alert_log(a, WP_LOG_WARN, "alert: shutting down with %zu alert(s) unsent", left);
    alerter_release(a);
}

wp_status
wp_alerter_flush(wp_alerter *a, int timeout_ms)
{
    struct timespec until;
    deadline_in(&until, timeout_ms < 0 ? 0 : timeout_ms);
    wp_status st = WP_OK;
    pthread_mutex_lock(&a->mu);
    while ((a->count > 0 || a->busy) && !atomic_load(&a->stop)) {
        if (pthread_cond_timedwait(&a->idle, &a->mu, &until) != 0) {
            st = a->count > 0 || a->busy ? WP_ETIMEOUT : WP_OK;
            break;
        }
    }
    pthread_mutex_unlock(&a->mu);
    return st;
}

/* Queue an alert; a full queue drops its oldest (counted, logged sparingly). */
static void
enqueue(wp_alerter *a, alert_item *it)
{
    alert_item *old = NULL;
    uint64_t dropped = 0;
    pthread_mutex_lock(&a->mu);
    if (a->count == a->cap) {
        old = a->ring[a->head];
        a->head = (a->head + 1) % a->cap;
        a->count--;
        dropped = ++a->st.dropped;
    }
    a->ring[(a->head + a->count) % a->cap] = it;
    a->count++;
    a->st.queued++;
    pthread_cond_signal(&a->work);
    pthread_mutex_unlock(&a->mu);
    if (old != NULL) {
        /* Warn on the 1st, 2nd, 4th, 8th ... drop: a flood must not become a log flood. */
        if ((dropped & (dropped - 1)) == 0) {
            if (a->cfg.syslog) {
                char line[256];
                snprintf(line, sizeof line,
                         "watchpost alert queue full (%zu): dropped the oldest alert ref=%s, "
                         "%llu dropped so far",
                         a->cap, old->ref ? old->ref : "-", (unsigned long long)dropped);
                syslog_channel(a, false, line);
            }
            alert_log(a, WP_LOG_WARN,
                      "alert queue full (%zu): dropped the oldest alert ref=%s, %llu dropped "
                      "so far",
                      a->cap, old->ref ? old->ref : "-", (unsigned long long)dropped);
        }
        alert_item_free(old);
    }
}

wp_status
wp_alert_decision(wp_alerter *a, const wp_report *r, const wp_envelope *env, const char *ref,
                  double detected_at)
{
    if (a == NULL || r == NULL)
        return WP_EINVAL;
    if (r->verdict.severity < a->cfg.min_severity) {
        pthread_mutex_lock(&a->mu);
        a->st.below_min++;
        pthread_mutex_unlock(&a->mu);
        return WP_OK;
    }
    alert_item *it = alert_item_build(r, env, ref, detected_at > 0 ? detected_at : wp_wall_now());
    if (it == NULL) {
        pthread_mutex_lock(&a->mu);
        a->st.failed++;
        pthread_mutex_unlock(&a->mu);
        alert_log(a, WP_LOG_ERROR, "alert ref=%s: out of memory building the alert",
                  ref ? ref : "-");
        return WP_ENOMEM;
    }
    enqueue(a, it);
    return WP_OK;
}

wp_status
wp_alert_incident(wp_alerter *a, const wp_incident_alert *ia)
{
    if (a == NULL || ia == NULL)
        return WP_EINVAL;
    if (ia->severity < a->cfg.min_severity) {
        pthread_mutex_lock(&a->mu);
        a->st.below_min++;
        pthread_mutex_unlock(&a->mu);
        return WP_OK;
    }
    alert_item *it = alert_item_build_incident(ia);
    if (it == NULL) {
        pthread_mutex_lock(&a->mu);
        a->st.failed++;
        pthread_mutex_unlock(&a->mu);
        alert_log(a, WP_LOG_ERROR, "alert incident %lld: out of memory building the alert",
                  (long long)ia->id);
        return WP_ENOMEM;
    }
    enqueue(a, it);
    return WP_OK;
}

static int
cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

void
wp_alerter_stats(wp_alerter *a, wp_alert_stats *out)
{
    double *s = malloc(sizeof(double) * WP_ALERT_LATENCY_SAMPLES);
    pthread_mutex_lock(&a->mu);
    *out = a->st;
    out->pending = a->count + (a->busy ? 1 : 0);
    size_t n = s != NULL ? a->lat_n : 0;
    if (n > 0)
        memcpy(s, a->lat, n * sizeof *s);
    pthread_mutex_unlock(&a->mu);
    out->latency_samples = n;
    out->latency_p50_ms = out->latency_p99_ms = out->latency_max_ms = 0;
    if (n > 0) {
        qsort(s, n, sizeof *s, cmp_double);
        out->latency_p50_ms = s[(n - 1) / 2];
        size_t i99 = (size_t)ceil(0.99 * (double)n);
        out->latency_p99_ms = s[i99 > 0 ? i99 - 1 : 0];
        out->latency_max_ms = s[n - 1];
    }
    free(s);
}
