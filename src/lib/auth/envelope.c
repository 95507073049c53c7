/*
 * envelope.c - what SPF and DMARC need to know about the sender, and where it came from.
 *
 * With an SMTP envelope (wp_scan_message_env) the MTA's client IP, HELO and MAIL FROM are
 * used. A stored file has none, so the values are read back from the headers our own border
 * wrote: the client IP from the first (topmost) Received header carrying a bracketed IP
 * literal that is not loopback (content filters re-inject through 127.0.0.1), the HELO name
 * from that header's "from" clause, and MAIL FROM from Return-Path. Evidence says which
 * source was used, since header values are only as good as the hops that wrote them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "auth_int.h"

bool
auth_domain_clean(const char *in, size_t len, char *out, size_t outlen)
{
    while (len > 0 && in[len - 1] == '.')
        len--;
    if (len == 0 || len > 253 || len + 1 > outlen)
        return false;
    bool dot = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (!isalnum(c) && c != '-' && c != '.' && c != '_')
            return false;
        if (c == '.') {
            if (i == 0 || in[i - 1] == '.')
                return false;
            dot = true;
        }
        out[i] = (char)tolower(c);
    }
    out[len] = '\0';
    return dot;
}

/* Copy s without quoted strings and comments (display names may hold '@', ',' or '<'). */
static void
strip_quotes_comments(const char *s, char *out, size_t outlen)
{
    size_t n = 0;
    int depth = 0;
    bool quoted = false;
    for (; *s && n + 1 < outlen; s++) {
        if (*s == '\\' && s[1] != '\0' && (quoted || depth > 0)) {
            s++;
            continue;
        }
        if (depth == 0 && *s == '"') {
            quoted = !quoted;
            continue;
        }
        if (!quoted && *s == '(') {
            depth++;
            continue;
        }
        if (!quoted && depth > 0 && *s == ')') {
            depth--;
            continue;
        }
        if (!quoted && depth == 0)
            out[n++] = *s;
    }
    out[n] = '\0';
}

static bool
addr_domain(const char *addr, size_t len, char *out, size_t outlen)
{
    const char *at = NULL;
    for (size_t i = 0; i < len; i++)
        if (addr[i] == '@')
            at = addr + i;
    if (at == NULL)
        return false;
    const char *d = at + 1, *e = d;
    while (e < addr + len && !isspace((unsigned char)*e) && *e != '>' && *e != ',' && *e != ';')
        e++;
    return auth_domain_clean(d, (size_t)(e - d), out, outlen);
}

bool
auth_from_domain(const char *from, char *out, size_t outlen, bool *multiple)
{
    *multiple = false;
    if (from == NULL)
        return false;
    char buf[2048];
    strip_quotes_comments(from, buf, sizeof buf);
    const char *comma = strchr(buf, ',');
    if (comma != NULL) {
        const char *rest = comma + 1;
        while (isspace((unsigned char)*rest))
            rest++;
        *multiple = *rest != '\0';
    }
    size_t first = comma != NULL ? (size_t)(comma - buf) : strlen(buf);
    const char *lt = memchr(buf, '<', first);
    if (lt != NULL) {
        const char *gt = memchr(lt, '>', first - (size_t)(lt - buf));
        if (gt == NULL)
            return false;
        return addr_domain(lt + 1, (size_t)(gt - lt - 1), out, outlen);
    }
    return addr_domain(buf, first, out, outlen);
}

static bool
is_loopback(const char *ip)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, ip, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, ip, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* The first bracketed IP literal of a Received value: "[192.0.2.1]" or "[IPv6:2001:db8::1]". */
static bool
received_ip(const char *v, char *ip, size_t iplen)
{
    for (const char *p = strchr(v, '['); p != NULL; p = strchr(p + 1, '[')) {
        const char *q = strchr(p, ']');
        if (q == NULL)
            return false;
        const char *s = p + 1;
        if (strncasecmp(s, "IPv6:", 5) == 0)
            s += 5;
        size_t n = (size_t)(q - s);
        if (n == 0 || n >= iplen || n >= 64)
            continue;
        char tmp[64];
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        unsigned char bin[16];
        if ((inet_pton(AF_INET, tmp, bin) == 1 || inet_pton(AF_INET6, tmp, bin) == 1) &&
            !is_loopback(tmp)) {
            memcpy(ip, tmp, n + 1);
            return true;
        }
    }
    return false;
}

/* "from mail.example.org (...)" -> "mail.example.org" */
static void
received_helo(const char *v, char *out, size_t outlen)
{
    out[0] = '\0';
    while (isspace((unsigned char)*v))
        v++;
    if (strncasecmp(v, "from", 4) != 0 || !isspace((unsigned char)v[4]))
        return;
    v += 4;
    while (isspace((unsigned char)*v))
        v++;
    size_t n = 0;
    while (v[n] != '\0' && !isspace((unsigned char)v[n]) && v[n] != '(' && v[n] != ';')
        n++;
    if (!auth_domain_clean(v, n, out, outlen))
        out[0] = '\0';
}

/* "<user@example.org>" -> "user@example.org"; "<>" -> "" */
static void
strip_angle(const char *v, char *out, size_t outlen)
{
    while (isspace((unsigned char)*v))
        v++;
    const char *lt = strchr(v, '<');
    if (lt != NULL) {
        const char *gt = strchr(lt, '>');
        size_t n = gt != NULL ? (size_t)(gt - lt - 1) : strlen(lt + 1);
        snprintf(out, outlen, "%.*s", (int)n, lt + 1);
    } else {
        size_t n = strcspn(v, " \t\r\n");
        snprintf(out, outlen, "%.*s", (int)n, v);
    }
}

bool
auth_envelope_get(const wp_scan *s, auth_envelope *env)
{
    memset(env, 0, sizeof(*env));
    const wp_envelope *e = s->env;
    if (e != NULL && e->client_ip != NULL && e->client_ip[0] != '\0') {
        snprintf(env->ip, sizeof env->ip, "%s", e->client_ip);
        if (e->helo != NULL &&
            !auth_domain_clean(e->helo, strlen(e->helo), env->helo, sizeof env->helo))
            env->helo[0] = '\0';
        if (e->mail_from != NULL)
            snprintf(env->mail_from, sizeof env->mail_from, "%s", e->mail_from);
        env->source = "SMTP envelope";
    } else {
        const wp_report *r = s->r;
        for (size_t i = 0; i < r->n_received && env->ip[0] == '\0'; i++)
            if (r->received[i] != NULL && received_ip(r->received[i], env->ip, sizeof env->ip))
                received_helo(r->received[i], env->helo, sizeof env->helo);
        if (env->ip[0] == '\0')
            return false;
        if (r->return_path != NULL)
            strip_angle(r->return_path, env->mail_from, sizeof env->mail_from);
        env->source = "headers (topmost Received with an IP literal, Return-Path)";
    }
    unsigned char bin[16];
    if (inet_pton(AF_INET, env->ip, bin) != 1 && inet_pton(AF_INET6, env->ip, bin) != 1)
        return false;
    if (!(env->mail_from[0] != '\0' && addr_domain(env->mail_from, strlen(env->mail_from),
                                                   env->mail_domain, sizeof env->mail_domain)))
        snprintf(env->mail_domain, sizeof env->mail_domain, "%s", env->helo);
    return env->mail_domain[0] != '\0';
}
