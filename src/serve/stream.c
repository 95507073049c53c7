/*
 * stream.c - GET /api/v1/stream: Server-Sent Events of new decisions and incident changes,
 * so the dashboard shows mail and incidents as they arrive without polling.
 *
 * One broadcaster thread reads the store once a second (its own connection: id > the last
 * decision seen, incidents updated since the last look) and appends the events to every
 * client's buffer; a client's content reader hands its buffer to libmicrohttpd and, when it
 * is empty, suspends its connection (MHD_ALLOW_SUSPEND_RESUME) instead of busy-waiting; the
 * broadcaster resumes it when there is something to send. Suspend and resume both happen
 * under the client's lock, so a resume never comes before the suspend it answers. A comment
 * line every 15 s lets a dead client show up as a failed write. A client that falls more
 * than STREAM_BUF_MAX behind is dropped (it reconnects and reloads), so a stalled reader
 * never costs more than that; at most STREAM_MAX_CLIENTS are served at once (503 beyond).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"
#include "watchpost/incident.h"

#define STREAM_BUF_MAX     (64 * 1024)
#define STREAM_MAX_CLIENTS 2000
#define HEARTBEAT_S        15

typedef struct client {
    pthread_mutex_t mu;
    struct MHD_Connection *conn;
    char *buf;
    size_t len, off;
    bool suspended, closing;
    bool dead; /* libmicrohttpd is done with it: the broadcaster frees it */
    struct client *next, *prev;
} client;

static struct {
    pthread_mutex_t mu; /* the list; a client's own lock is taken inside this one */
    client *head;
    size_t n;
    pthread_t thread;
    bool running, stop;
    const wps_config *cfg;
} hub = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Appends text to c (under c->mu); false when the client fell too far behind. */
static bool
client_append(client *c, const char *text, size_t n)
{
    if (c->len - c->off + n > STREAM_BUF_MAX)
        return false;
    if (c->off > 0) { /* what was sent goes */
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    char *nb = realloc(c->buf, c->len + n);
    if (nb == NULL)
        return false;
    memcpy(nb + c->len, text, n);
    c->buf = nb;
    c->len += n;
    return true;
}

static void sweep(bool all);

/* Sends text to every client and wakes the suspended ones. */
static void
broadcast(const char *text, size_t n)
{
    pthread_mutex_lock(&hub.mu);
    sweep(false);
    for (client *c = hub.head; c != NULL; c = c->next) {
        pthread_mutex_lock(&c->mu);
        if (!c->closing && !client_append(c, text, n))
            c->closing = true; /* too slow: its reader ends the stream */
        if (c->suspended) {
            c->suspended = false;
            MHD_resume_connection(c->conn);
        }
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&hub.mu);
}

static ssize_t
reader(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    client *c = cls;
    pthread_mutex_lock(&c->mu);
    ssize_t n = 0;
    if (c->len > c->off) {
        size_t k = c->len - c->off < max ? c->len - c->off : max;
        memcpy(out, c->buf + c->off, k);
        c->off += k;
        n = (ssize_t)k;
    } else if (c->closing) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        c->suspended = true;
        MHD_suspend_connection(c->conn);
    }
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* libmicrohttpd's end of a stream. It only marks the client: taking the list's lock here
 * could wait on the broadcaster while it waits on libmicrohttpd (resume), so the
 * broadcaster, the list's only writer besides a new stream, unlinks and frees. */
static void
client_done(void *cls)
{
    client *c = cls;
    pthread_mutex_lock(&c->mu);
    c->dead = true;
    pthread_mutex_unlock(&c->mu);
}

/* Frees the clients libmicrohttpd is done with (all of them when all). Caller holds hub.mu. */
static void
sweep(bool all)
{
    client *c = hub.head;
    while (c != NULL) {
        client *next = c->next;
        pthread_mutex_lock(&c->mu);
        bool dead = c->dead || all;
        pthread_mutex_unlock(&c->mu);
        if (dead) {
            if (c->prev != NULL)
                c->prev->next = c->next;
            else
                hub.head = c->next;
            if (c->next != NULL)
                c->next->prev = c->prev;
            hub.n--;
            pthread_mutex_destroy(&c->mu);
            free(c->buf);
            free(c);
        }
        c = next;
    }
}

/* "event: NAME\ndata: JSON\n\n" of o (taken) into the broadcast. */
static void
send_event(const char *name, json_t *o)
{
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (s == NULL)
        return;
    size_t n = strlen(s) + strlen(name) + 32;
    char *text = malloc(n);
    if (text != NULL) {
        int k = snprintf(text, n, "event: %s\ndata: %s\n\n", name, s);
        if (k > 0 && (size_t)k < n)
            broadcast(text, (size_t)k);
    }
    free(text);
    free(s);
}

/* New decisions since *last_id (the first look only sets it). Only the decisions of the
 * seconds since the last one seen are read (time >= its time; ids above last_id are sent):
 * an idle store costs one indexed probe a second, not a page of events with their
 * findings. */
static void
poll_decisions(wp_store *s, int64_t *last_id, long long *last_time, bool first)
{
    wp_event_filter f;
    wp_event_filter_init(&f);
    f.limit = first ? 1 : 200;
    f.since = *last_time;
    wp_event_list *l = NULL;
    char err[256];
    if (wp_store_events(s, &f, &l, err, sizeof err) != WP_OK) {
        (void)fprintf(stderr, "watchpost serve: live updates: %s\n", err);
        return;
    }
    /* newest first: send oldest first, only those above last_id */
    for (size_t i = l->n; i-- > 0;) {
        const wp_event *e = &l->events[i];
        if (e->id <= *last_id)
            continue;
        if (!first) {
            send_event("decision",
                       json_pack("{s:I,s:I,s:s,s:i,s:s,s:s?,s:s?,s:s?}", "id", (json_int_t)e->id,
                                 "time", (json_int_t)e->time, "verdict",
                                 wp_verdict_name(e->verdict), "severity", e->severity, "action",
                                 wp_action_name(e->action), "from", e->from, "subject", e->subject,
                                 "quarantine_ref", e->quarantine_ref));
        }
        *last_id = e->id;
        *last_time = e->time;
    }
    wp_event_list_free(l);
}

/* Incidents whose last change is after *since (the store selects them: an incident far down
 * the severity order is not missed, and an idle store returns nothing). */
static void
poll_incidents(wp_store *s, double *since, bool first)
{
    wp_incident_filter f;
    wp_incident_filter_init(&f);
    f.status = "all";
    f.limit = 500;
    f.updated_after = *since;
    wp_incident_list *l = NULL;
    char err[256];
    if (wp_store_incidents(s, &f, &l, err, sizeof err) != WP_OK) {
        (void)fprintf(stderr, "watchpost serve: live updates: %s\n", err);
        return;
    }
    double newest = *since;
    for (size_t i = 0; i < l->n; i++) {
        const wp_incident *it = &l->items[i];
        if (it->updated <= *since)
            continue;
        if (!first) {
            send_event("incident", json_pack("{s:I,s:s,s:i,s:s,s:f}", "id", (json_int_t)it->id,
                                             "status", it->status, "severity", it->severity,
                                             "title", it->title, "updated", it->updated));
        }
        if (it->updated > newest)
            newest = it->updated;
    }
    *since = newest;
    wp_incident_list_free(l);
}

static void *
broadcaster(void *arg)
{
    (void)arg;
    wp_store_config sc;
    wp_store_config_init(&sc);
    sc.db_path = hub.cfg->db;
    wp_store *s = NULL;
    char err[256];
    int64_t last_id = 0;
    long long last_time = 0;
    double since = 0;
    bool first = true;
    time_t beat = time(NULL);
    while (!hub.stop) {
        if (s == NULL && wp_store_open(&sc, &s, err, sizeof err) != WP_OK)
            s = NULL;
        if (s != NULL) {
            poll_decisions(s, &last_id, &last_time, first);
            poll_incidents(s, &since, first);
            first = false;
        }
        if (time(NULL) - beat >= HEARTBEAT_S) {
            broadcast(": ping\n\n", 8);
            beat = time(NULL);
        }
        sleep(1);
    }
    wp_store_close(s);
    return NULL;
}

void
wps_stream_start(const wps_config *cfg)
{
    hub.cfg = cfg;
    hub.stop = false;
    hub.running = pthread_create(&hub.thread, NULL, broadcaster, NULL) == 0;
}

void
wps_stream_stop(void)
{
    if (!hub.running)
        return;
    hub.stop = true;
    (void)pthread_join(hub.thread, NULL);
    hub.running = false;
    /* no connection may stay suspended past MHD_stop_daemon */
    pthread_mutex_lock(&hub.mu);
    for (client *c = hub.head; c != NULL; c = c->next) {
        pthread_mutex_lock(&c->mu);
        c->closing = true;
        if (c->suspended) {
            c->suspended = false;
            MHD_resume_connection(c->conn);
        }
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&hub.mu);
}

void
wps_stream_free(void)
{
    pthread_mutex_lock(&hub.mu);
    sweep(true);
    pthread_mutex_unlock(&hub.mu);
}

void
wps_api_stream(wps_req *r)
{
    if (r->conn == NULL || !hub.running) {
        wps_error(r, 503, "live updates are not running");
        return;
    }
    client *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        wps_error(r, 500, "out of memory");
        return;
    }
    pthread_mutex_init(&c->mu, NULL);
    c->conn = r->conn;
    pthread_mutex_lock(&hub.mu);
    bool full = hub.n >= STREAM_MAX_CLIENTS;
    if (!full) {
        c->next = hub.head;
        if (hub.head != NULL)
            hub.head->prev = c;
        hub.head = c;
        hub.n++;
        /* the first bytes: a retry hint, so the browser reconnects after 3 s */
        (void)client_append(c, "retry: 3000\n\n", 13);
    }
    pthread_mutex_unlock(&hub.mu);
    if (full) {
        pthread_mutex_destroy(&c->mu);
        free(c);
        wps_error(r, 503, "too many live-update clients");
        return;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, c, client_done);
    if (resp == NULL) {
        client_done(c); /* swept at the next tick */
        wps_error(r, 500, "out of memory");
        return;
    }
    wps_stream_headers(resp);
    r->answered = true;
    r->status = 200;
    (void)MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
}
