/*
 * fake_peer.h - real network peers for the alert tests, on 127.0.0.1 with a port the kernel
 * picks: an HTTP/1.1 responder that records each request and answers with a scripted status,
 * and an SMTP listener that takes messages and records envelope and data.
 */
#ifndef FAKE_PEER_H
#define FAKE_PEER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define FAKE_MAX_REQ 16

typedef struct fake_peer {
    bool smtp; /* false: HTTP */
    int lfd, port;
    pthread_t th;
    atomic_bool stop;
    int statuses[FAKE_MAX_REQ]; /* HTTP status of request i; after n_statuses: the last one */
    int n_statuses;
    pthread_mutex_t mu;
    int requests;
    double times[FAKE_MAX_REQ]; /* monotonic seconds each request arrived */
    char *last_head;            /* HTTP: request line and headers; SMTP: "MAIL..\nRCPT..\n" */
    char *last_body;            /* HTTP body; SMTP DATA (dot-unstuffed is not needed here) */
} fake_peer;

/* Starts the peer; fails the test when it cannot listen. statuses may be NULL (200). */
fake_peer *fake_http_start(const int *statuses, int n);
fake_peer *fake_smtp_start(void);
void fake_peer_stop(fake_peer *p);
/* A copy of the counters/strings, under the lock. Strings are malloc'd (or NULL). */
int fake_requests(fake_peer *p);
char *fake_last_body(fake_peer *p);
char *fake_last_head(fake_peer *p);
double fake_time(fake_peer *p, int i);

/* A port nothing listens on (bound, then closed): connections are refused. */
int fake_closed_port(void);
/* A socket that listens but never accepts: connections hang until the client times out. */
int fake_black_hole(int *port);

double mono_now(void);

#endif
