/*
 * dns.c - DNS queries to the configured resolver, for SPF, DKIM keys and DMARC records.
 *
 * Why not res_nquery(): the resolver must be configurable per engine (auth.resolver, IPv4
 * or IPv6, any port), the timeout is in milliseconds, and one message must not wait once
 * per query on a dead resolver. So each query is one UDP exchange (EDNS0, 4096 bytes)
 * repeated over TCP when the answer is truncated; names in answers are expanded with libc's
 * dn_expand(). Answers are untrusted input: every length is checked against the message.
 *
 * Any failure to get an answer (timeout, refusal, SERVFAIL, REFUSED, a garbled reply) is
 * AUTH_DNS_TEMPFAIL, which the checks turn into a temperror, never into a pass or a "none".
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth_int.h"

#define UDP_PAYLOAD 4096
#define TCP_MAX     65535

bool
auth_resolver_parse(const char *spec, auth_resolver *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    char host[64];
    long port = 53;
    const char *p = spec, *colon = NULL;
    size_t hlen;
    if (*p == '[') { /* [IPv6]:port */
        const char *close = strchr(p, ']');
        if (close == NULL) {
            snprintf(err, errlen, "resolver '%s': missing ']'", spec);
            return false;
        }
        hlen = (size_t)(close - p - 1);
        p++;
        if (close[1] == ':')
            colon = close + 1;
        else if (close[1] != '\0') {
            snprintf(err, errlen, "resolver '%s': expected ':port' after ']'", spec);
            return false;
        }
    } else {
        colon = strchr(p, ':');
        if (colon != NULL && strchr(colon + 1, ':') != NULL)
            colon = NULL; /* a bare IPv6 address */
        hlen = colon != NULL ? (size_t)(colon - p) : strlen(p);
    }
    if (hlen == 0 || hlen >= sizeof host) {
        snprintf(err, errlen, "resolver '%s': not an IP address", spec);
        return false;
    }
    memcpy(host, p, hlen);
    host[hlen] = '\0';
    if (colon != NULL) {
        char *end;
        port = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || *end != '\0' || port < 1 || port > 65535) {
            snprintf(err, errlen, "resolver '%s': bad port", spec);
            return false;
        }
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        out->addrlen = sizeof(*v4);
        snprintf(out->label, sizeof out->label, "%s:%ld", host, port);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        out->addrlen = sizeof(*v6);
        snprintf(out->label, sizeof out->label, "[%s]:%ld", host, port);
    } else {
        snprintf(err, errlen,
                 "resolver '%s': '%s' is not an IP address (no host names: the "
                 "resolver cannot be looked up with itself)",
                 spec, host);
        return false;
    }
    return true;
}

void
auth_resolver_system(auth_resolver *out)
{
    char err[128];
    FILE *f = fopen("/etc/resolv.conf", "re");
    if (f != NULL) {
        char line[512];
        for (int n = 0; n < 200 && fgets(line, sizeof line, f) != NULL; n++) {
            char addr[64];
            if (sscanf(line, " nameserver %63s", addr) != 1)
                continue;
            char *pct = strchr(addr, '%'); /* fe80::1%eth0: the scope is not supported */
            if (pct != NULL)
                continue;
            if (auth_resolver_parse(addr, out, err, sizeof err)) {
                fclose(f);
                return;
            }
        }
        fclose(f);
    }
    auth_resolver_parse("127.0.0.1", out, err, sizeof err); /* glibc's default too */
}

void
auth_dns_init(auth_dns *d, const auth_resolver *res, int timeout_ms)
{
    memset(d, 0, sizeof(*d));
    d->res = res;
    d->timeout_ms = timeout_ms;
}

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static auth_dns_status tempfail(auth_dns *d, bool dead, const char *fmt, ...) WP_PRINTF(3, 4);

/* Remember the first failure of the message (for evidence); dead: give up on the resolver. */
static auth_dns_status
tempfail(auth_dns *d, bool dead, const char *fmt, ...)
{
    if (d->error[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->error, sizeof d->error, fmt, ap);
        va_end(ap);
    }
    if (dead)
        d->dead = true;
    return AUTH_DNS_TEMPFAIL;
}

/* Query in wire format: header, QNAME, QTYPE, QCLASS IN, and an EDNS0 OPT record. */
static size_t
build_query(const char *name, int qtype, uint16_t id, unsigned char *q, size_t cap)
{
    size_t n = 12;
    memset(q, 0, 12);
    q[0] = (unsigned char)(id >> 8);
    q[1] = (unsigned char)id;
    q[2] = 0x01; /* RD */
    q[5] = 1;    /* QDCOUNT */
    q[11] = 1;   /* ARCOUNT: OPT */
    const char *p = name;
    while (*p != '\0') {
        const char *dot = strchr(p, '.');
        size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);
        if (l == 0 || l > 63 || n + l + 1 > 12 + 255)
            return 0;
        q[n++] = (unsigned char)l;
        memcpy(q + n, p, l);
        n += l;
        p += l;
        if (*p == '.')
            p++;
    }
    if (n + 1 + 4 + 11 > cap)
        return 0;
    q[n++] = 0;
    q[n++] = (unsigned char)(qtype >> 8);
    q[n++] = (unsigned char)qtype;
    q[n++] = 0;
    q[n++] = 1; /* IN */
    static const unsigned char opt[11] = {0, 0, 41, UDP_PAYLOAD >> 8, UDP_PAYLOAD & 0xff, 0, 0, 0,
                                          0, 0, 0};
    memcpy(q + n, opt, sizeof opt);
    return n + sizeof opt;
}

static int
wait_fd(int fd, short ev, int64_t deadline)
{
    struct pollfd pfd = {fd, ev, 0};
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        int r = poll(&pfd, 1, (int)left);
        if (r >= 0 || errno != EINTR)
            return r;
    }
}

static int
open_socket(const auth_resolver *res, int type)
{
    int fd = socket(res->addr.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&res->addr, res->addrlen) != 0 &&
        errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One UDP exchange; returns the reply length, 0 on timeout, -1 on a hard error. */
static ssize_t
udp_exchange(auth_dns *d, const unsigned char *q, size_t qlen, unsigned char *r, size_t cap,
             int64_t deadline)
{
    int fd = open_socket(d->res, SOCK_DGRAM);
    if (fd < 0)
        return -1;
    if (send(fd, q, qlen, 0) != (ssize_t)qlen) {
        close(fd);
        return -1;
    }
    for (;;) {
        int w = wait_fd(fd, POLLIN, deadline);
        if (w <= 0) {
            close(fd);
            return w;
        }
        ssize_t n = recv(fd, r, cap, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0) {
            close(fd);
            return -1; /* ECONNREFUSED: nothing listens there */
        }
        /* ignore stray datagrams: the reply carries our id and the QR bit */
        if (n >= 12 && r[0] == q[0] && r[1] == q[1] && (r[2] & 0x80)) {
            close(fd);
            return n;
        }
    }
}

static bool
io_all(int fd, unsigned char *buf, size_t n, bool write, int64_t deadline)
{
    size_t done = 0;
    while (done < n) {
        if (wait_fd(fd, write ? POLLOUT : POLLIN, deadline) <= 0)
            return false;
        ssize_t k = write ? send(fd, buf + done, n - done, MSG_NOSIGNAL)
                          : recv(fd, buf + done, n - done, 0);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (k <= 0)
            return false;
        done += (size_t)k;
    }
    return true;
}

static ssize_t
tcp_exchange(auth_dns *d, const unsigned char *q, size_t qlen, unsigned char *r, size_t cap,
             int64_t deadline)
{
    int fd = open_socket(d->res, SOCK_STREAM);
    if (fd < 0)
        return -1;
    unsigned char msg[2 + 512];
    if (qlen > 512) {
        close(fd);
        return -1;
    }
    msg[0] = (unsigned char)(qlen >> 8);
    msg[1] = (unsigned char)qlen;
    memcpy(msg + 2, q, qlen);
    unsigned char lb[2];
    ssize_t ret = -1;
    if (io_all(fd, msg, qlen + 2, true, deadline) && io_all(fd, lb, 2, false, deadline)) {
        size_t n = (size_t)lb[0] << 8 | lb[1];
        if (n >= 12 && n <= cap && io_all(fd, r, n, false, deadline) && r[0] == q[0] &&
            r[1] == q[1])
            ret = (ssize_t)n;
    }
    close(fd);
    return ret;
}

static uint16_t
get16(const unsigned char *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Keep one answer record of the queried type in ans. */
static bool
keep_rr(auth_dns_answer *ans, int type, const unsigned char *msg, size_t mlen,
        const unsigned char *rd, size_t rdlen)
{
    if (ans->n >= AUTH_DNS_MAX_RR)
        return true;
    unsigned char *dst = ans->pool + ans->used;
    size_t room = sizeof ans->pool - ans->used, len = 0;
    switch (type) {
    case ns_t_a:
    case ns_t_aaaa:
        len = type == ns_t_a ? 4 : 16;
        if (rdlen != len || room < len)
            return rdlen == len; /* pool full: drop quietly; wrong size: garbled */
        memcpy(dst, rd, len);
        break;
    case ns_t_txt: /* character-strings joined without separators (RFC 7208 3.3, 6376 3.6.2.2) */
        for (size_t i = 0; i < rdlen;) {
            size_t l = rd[i++];
            if (l > rdlen - i)
                return false;
            if (len + l + 1 > room)
                return true;
            memcpy(dst + len, rd + i, l);
            len += l;
            i += l;
        }
        if (len + 1 > room)
            return true;
        dst[len] = '\0';
        break;
    case ns_t_mx:
    case ns_t_ptr: {
        size_t skip = type == ns_t_mx ? 2 : 0;
        char name[NS_MAXDNAME];
        if (rdlen < skip + 1 || dn_expand(msg, msg + mlen, rd + skip, name, (int)sizeof name) < 0)
            return false;
        len = strlen(name);
        if (len + 1 > room)
            return true;
        memcpy(dst, name, len + 1);
        break;
    }
    default:
        return true;
    }
    ans->rr[ans->n].type = type;
    ans->rr[ans->n].off = ans->used;
    ans->rr[ans->n].len = len;
    ans->n++;
    ans->used += len + (type == ns_t_txt || type == ns_t_mx || type == ns_t_ptr ? 1 : 0);
    return true;
}

/* Walk the reply: rcode, the question, the answer records of qtype. */
static auth_dns_status
parse_reply(auth_dns *d, const char *name, int qtype, const unsigned char *m, size_t n,
            auth_dns_answer *ans)
{
    int rcode = m[3] & 0x0f;
    if (rcode == ns_r_nxdomain)
        return AUTH_DNS_NXDOMAIN;
    if (rcode != ns_r_noerror) {
        static const char *const names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                            "NXDOMAIN", "NOTIMP",  "REFUSED"};
        return tempfail(d, false, "DNS answer %s from %s", rcode < 6 ? names[rcode] : "error",
                        d->res->label);
    }
    size_t qd = get16(m + 4), an = get16(m + 6), off = 12;
    char tmp[NS_MAXDNAME];
    for (size_t i = 0; i < qd; i++) {
        int l = dn_expand(m, m + n, m + off, tmp, (int)sizeof tmp);
        if (l < 0 || off + (size_t)l + 4 > n)
            return tempfail(d, false, "garbled DNS answer (%s) from %s", "question", d->res->label);
        off += (size_t)l + 4;
    }
    for (size_t i = 0; i < an; i++) {
        int l = dn_expand(m, m + n, m + off, tmp, (int)sizeof tmp);
        if (l < 0 || off + (size_t)l + 10 > n)
            return tempfail(d, false, "garbled DNS answer (%s) from %s", "record", d->res->label);
        off += (size_t)l;
        int type = get16(m + off), cls = get16(m + off + 2);
        size_t rdlen = get16(m + off + 8);
        off += 10;
        if (rdlen > n - off)
            return tempfail(d, false, "garbled DNS answer (%s) from %s", "record length",
                            d->res->label);
        if (type == qtype && cls == ns_c_in && !keep_rr(ans, type, m, n, m + off, rdlen))
            return tempfail(d, false, "garbled DNS answer (%s) from %s", "record data",
                            d->res->label);
        off += rdlen;
    }
    (void)name;
    return ans->n > 0 ? AUTH_DNS_OK : AUTH_DNS_NODATA;
}

auth_dns_status
auth_dns_query(auth_dns *d, const char *name, int qtype, auth_dns_answer *ans)
{
    ans->n = 0;
    ans->used = 0;
    if (d->dead)
        return AUTH_DNS_TEMPFAIL;
    if (++d->queries > AUTH_MAX_DNS_QUERIES)
        return tempfail(d, false, "more than %s DNS queries for one message (resolver %s)", "60",
                        d->res->label);
    unsigned char q[12 + 256 + 4 + 11 + 16];
    uint16_t id;
    if (getrandom(&id, sizeof id, 0) != sizeof id)
        id = (uint16_t)now_ms();
    size_t qlen = build_query(name, qtype, id, q, sizeof q);
    if (qlen == 0)
        return AUTH_DNS_NXDOMAIN; /* not a valid domain name: it cannot exist */
    int64_t deadline = now_ms() + d->timeout_ms;
    unsigned char *r = malloc(TCP_MAX);
    if (r == NULL)
        return tempfail(d, false, "out of memory querying %s via %s", name, d->res->label);
    ssize_t n = udp_exchange(d, q, qlen, r, UDP_PAYLOAD, deadline);
    if (n > 0 && (r[2] & 0x02)) /* TC: ask again over TCP */
        n = tcp_exchange(d, q, qlen, r, TCP_MAX, deadline);
    auth_dns_status st;
    if (n == 0)
        st = tempfail(d, true, "DNS query for %s timed out (resolver %s)", name, d->res->label);
    else if (n < 0)
        st = tempfail(d, true, "resolver unreachable for %s (%s)", name, d->res->label);
    else
        st = parse_reply(d, name, qtype, r, (size_t)n, ans);
    free(r);
    return st;
}

int
auth_dns_txt_prefixed(const auth_dns_answer *ans, const char *prefix, char *out, size_t outlen)
{
    int found = 0;
    size_t pl = strlen(prefix);
    for (int i = 0; i < ans->n; i++) {
        const char *t = (const char *)ans->pool + ans->rr[i].off;
        if (ans->rr[i].type != ns_t_txt || ans->rr[i].len < pl || strncasecmp(t, prefix, pl))
            continue;
        if (found++ == 0 && outlen > 0)
            snprintf(out, outlen, "%s", t);
    }
    return found;
}
