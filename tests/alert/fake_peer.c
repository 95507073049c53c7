/*
 * fake_peer.c - the HTTP and SMTP peers of the alert tests (see fake_peer.h). One connection
 * at a time, plain blocking sockets with a poll() on the listener so stop is noticed.
 */
#include "fake_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

double
mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

int
fake_closed_port(void)
{
    int port = 0;
    int fd = listen_any(&port);
    if (fd >= 0)
        close(fd);
    return port;
}

int
fake_black_hole(int *port)
{
    return listen_any(port);
}

/* A growing buffer of what the client sent on one connection. */
typedef struct conn {
    int fd;
    char *buf;
    size_t len, cap;
} conn;

static bool
fill(conn *c)
{
    if (c->len + 4096 + 1 > c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 8192;
        char *nb = realloc(c->buf, ncap);
        if (nb == NULL)
            return false;
        c->buf = nb;
        c->cap = ncap;
    }
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    if (poll(&pfd, 1, 3000) <= 0)
        return false;
    ssize_t n = read(c->fd, c->buf + c->len, 4096);
    if (n <= 0)
        return false;
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    return true;
}

static void
say(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void
record(fake_peer *p, char *head, char *body)
{
    pthread_mutex_lock(&p->mu);
    if (p->requests < FAKE_MAX_REQ)
        p->times[p->requests] = mono_now();
    p->requests++;
    free(p->last_head);
    free(p->last_body);
    p->last_head = head;
    p->last_body = body;
    pthread_mutex_unlock(&p->mu);
}

static void
serve_http(fake_peer *p, int fd)
{
    conn c = {.fd = fd};
    char *end;
    while ((c.buf == NULL || (end = strstr(c.buf, "\r\n\r\n")) == NULL) && fill(&c))
        ;
    if (c.buf == NULL || (end = strstr(c.buf, "\r\n\r\n")) == NULL)
        goto out;
    size_t head_len = (size_t)(end - c.buf) + 4, clen = 0;
    for (char *h = c.buf; h < end; h = strstr(h, "\r\n") + 2)
        if (strncasecmp(h, "Content-Length:", 15) == 0)
            clen = strtoul(h + 15, NULL, 10);
    while (c.len < head_len + clen && fill(&c))
        ;
    if (c.len < head_len + clen)
        goto out;
    pthread_mutex_lock(&p->mu);
    int i = p->requests;
    pthread_mutex_unlock(&p->mu);
    int status = p->n_statuses == 0  ? 200
                 : i < p->n_statuses ? p->statuses[i]
                                     : p->statuses[p->n_statuses - 1];
    record(p, strndup(c.buf, head_len), strndup(c.buf + head_len, clen));
    char resp[200];
    snprintf(resp, sizeof resp,
             "HTTP/1.1 %d Scripted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", status);
    say(fd, resp);
out:
    free(c.buf);
}

/* Reads one CRLF-terminated line starting at *pos; NULL at end of input. */
static char *
next_line(conn *c, size_t *pos)
{
    char *nl;
    while ((c->buf == NULL || (nl = strstr(c->buf + *pos, "\r\n")) == NULL) && fill(c))
        ;
    if (c->buf == NULL || (nl = strstr(c->buf + *pos, "\r\n")) == NULL)
        return NULL;
    char *line = strndup(c->buf + *pos, (size_t)(nl - (c->buf + *pos)));
    *pos = (size_t)(nl - c->buf) + 2;
    return line;
}

static void
serve_smtp(fake_peer *p, int fd)
{
    conn c = {.fd = fd};
    size_t pos = 0;
    char envelope[1024] = "";
    say(fd, "220 fake.test ESMTP\r\n");
    for (char *line; (line = next_line(&c, &pos)) != NULL; free(line)) {
        if (strncasecmp(line, "EHLO", 4) == 0 || strncasecmp(line, "HELO", 4) == 0) {
            say(fd, "250-fake.test\r\n250 8BITMIME\r\n");
        } else if (strncasecmp(line, "MAIL FROM:", 10) == 0 ||
                   strncasecmp(line, "RCPT TO:", 8) == 0) {
            strncat(envelope, line, sizeof envelope - strlen(envelope) - 2);
            strcat(envelope, "\n");
            say(fd, "250 OK\r\n");
        } else if (strncasecmp(line, "DATA", 4) == 0) {
            say(fd, "354 go on\r\n");
            char *dot;
            while ((dot = strstr(c.buf + pos, "\r\n.\r\n")) == NULL && fill(&c))
                ;
            if (dot == NULL) {
                free(line);
                break;
            }
            record(p, strdup(envelope), strndup(c.buf + pos, (size_t)(dot - (c.buf + pos)) + 2));
            pos = (size_t)(dot - c.buf) + 5;
            envelope[0] = '\0';
            say(fd, "250 queued\r\n");
        } else if (strncasecmp(line, "QUIT", 4) == 0) {
            say(fd, "221 bye\r\n");
            free(line);
            break;
        } else {
            say(fd, "250 OK\r\n"); /* RSET, NOOP */
        }
    }
    free(c.buf);
}

static void *
peer_main(void *arg)
{
    fake_peer *p = arg;
    while (!atomic_load(&p->stop)) {
        struct pollfd pfd = {.fd = p->lfd, .events = POLLIN};
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        int fd = accept(p->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        if (p->smtp)
            serve_smtp(p, fd);
        else
            serve_http(p, fd);
        close(fd);
    }
    return NULL;
}

static fake_peer *
start(bool smtp, const int *statuses, int n)
{
    fake_peer *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->smtp = smtp;
    for (int i = 0; i < n && i < FAKE_MAX_REQ; i++)
        p->statuses[p->n_statuses++] = statuses[i];
    pthread_mutex_init(&p->mu, NULL);
    atomic_init(&p->stop, false);
    if ((p->lfd = listen_any(&p->port)) < 0 || pthread_create(&p->th, NULL, peer_main, p) != 0) {
        if (p->lfd >= 0)
            close(p->lfd);
        free(p);
        return NULL;
    }
    return p;
}

fake_peer *
fake_http_start(const int *statuses, int n)
{
    return start(false, statuses, n);
}

fake_peer *
fake_smtp_start(void)
{
    return start(true, NULL, 0);
}

void
fake_peer_stop(fake_peer *p)
{
    if (p == NULL)
        return;
    atomic_store(&p->stop, true);
    pthread_join(p->th, NULL);
    close(p->lfd);
    free(p->last_head);
    free(p->last_body);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int
fake_requests(fake_peer *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->requests;
    pthread_mutex_unlock(&p->mu);
    return n;
}

static char *
copy_locked(fake_peer *p, char **field)
{
    pthread_mutex_lock(&p->mu);
    char *s = *field != NULL ? strdup(*field) : NULL;
    pthread_mutex_unlock(&p->mu);
    return s;
}

char *
fake_last_body(fake_peer *p)
{
    return copy_locked(p, &p->last_body);
}

char *
fake_last_head(fake_peer *p)
{
    return copy_locked(p, &p->last_head);
}

double
fake_time(fake_peer *p, int i)
{
    pthread_mutex_lock(&p->mu);
    double t = i >= 0 && i < FAKE_MAX_REQ ? p->times[i] : 0;
    pthread_mutex_unlock(&p->mu);
    return t;
}
