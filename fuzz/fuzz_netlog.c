/*
 * fuzz_netlog.c - the network-log parser (netlog.h): Zeek TSV headers and data lines, Zeek
 * JSON and Suricata EVE through the JSON scanner, and the follower's line assembly.
 *
 * Input: the first byte picks the file-name hint (none, conn, dns, files, known_hosts,
 * eve.json, stats), the rest is log text. Small limits (2 KiB lines, 64 fields, JSON depth
 * 8) so every limit path is reached. Checked, with "watchpost-fuzz: INVARIANT ..." on
 * failure: every string of every record is readable and non-empty exactly when its pointer
 * is set; numbers are in their documented ranges; every line is counted exactly once;
 * feeding the whole buffer and feeding it line by line give the same counters; the reasons
 * are bounded and NUL-terminated. When the input is at most 64 KiB, it is also written to a
 * temporary file and read back with wp_netlog_read_file() and a follower, plain and (when
 * it starts with the gzip magic) as gzip, which must count the same lines as the buffer.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "watchpost/netlog.h"

static void
inv(const char *what)
{
    fz_die("INVARIANT", what);
}

static void
check_str(wp_net_str s)
{
    if ((s.n == 0) != (s.p == NULL))
        inv("a string is empty but set, or set but empty");
    volatile unsigned char sink = 0;
    for (size_t i = 0; i < s.n; i++)
        sink ^= (unsigned char)s.p[i]; /* ASan: every byte readable */
    (void)sink;
}

static bool
check(void *ctx, const wp_net_record *r)
{
    unsigned long long *n = ctx;
    (*n)++;
    if ((unsigned)r->kind >= WP_NET__COUNT)
        inv("record kind out of range");
    if (r->src_port < -1 || r->src_port > 65535 || r->dst_port < -1 || r->dst_port > 65535)
        inv("port out of range");
    if (r->status_code < -1 || r->status_code > 999)
        inv("status out of range");
    if (r->alert_severity < -1 || r->alert_severity > 255)
        inv("severity out of range");
    if (r->orig_bytes < -1 || r->resp_bytes < -1 || r->orig_pkts < -1 || r->resp_pkts < -1 ||
        r->request_body_len < -1 || r->response_body_len < -1 || r->signature_id < -1)
        inv("count out of range");
    if (!(r->duration >= 0 || r->duration == -1) || !(r->ts >= 0))
        inv("duration or ts out of range");
    const wp_net_str s[] = {
        r->uid,        r->src_ip,   r->dst_ip,    r->proto,          r->service,
        r->conn_state, r->query,    r->qtype,     r->rcode,          r->answers,
        r->method,     r->host,     r->uri,       r->user_agent,     r->referrer,
        r->post_body,  r->sni,      r->ja3,       r->ja3s,           r->tls_version,
        r->subject,    r->issuer,   r->md5,       r->sha1,           r->sha256,
        r->mime_type,  r->filename, r->signature, r->alert_category, r->host_name,
        r->mac,        r->user,
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        check_str(s[i]);
    return true;
}

static void
check_stats(const wp_netlog_stats *st, unsigned long long seen)
{
    if (st->lines != st->records + st->headers + st->skipped_bad + st->skipped_unknown)
        inv("a line not accounted for");
    if (st->records != seen)
        inv("records counted != records handed over");
    if (st->n_reasons > WP_NETLOG_REASONS || st->n_reasons > st->skipped_bad)
        inv("reasons out of bounds");
    for (unsigned i = 0; i < st->n_reasons; i++) {
        if (memchr(st->reasons[i].text, 0, sizeof st->reasons[i].text) == NULL)
            inv("reason not NUL-terminated");
        if (st->reasons[i].line == 0 || st->reasons[i].line > st->lines)
            inv("reason line out of range");
    }
}

static wp_netlog_parser *
new_parser(void)
{
    wp_netlog_limits lim;
    wp_netlog_limits_init(&lim);
    lim.max_line_bytes = 2048;
    lim.max_fields = 64;
    lim.json_depth = 8;
    wp_netlog_parser *p = NULL;
    if (wp_netlog_parser_new(&lim, &p) != WP_OK)
        fz_die("wp_netlog_parser_new failed", NULL);
    return p;
}

/* the same counters from the file readers as from the buffer */
static void
files(const char *hint, const uint8_t *d, size_t n, const wp_netlog_stats *want)
{
    /* the file is named after the hint: read_file takes its hint from the name */
    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/fuzz_netlog.%ld", (long)getpid());
    (void)mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/%s", dir, hint ? hint : "x");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    bool ok = write(fd, d, n) == (ssize_t)n;
    close(fd);
    wp_netlog_parser *p = new_parser();
    unsigned long long seen = 0;
    char err[256];
    wp_status s = ok ? wp_netlog_read_file(p, path, check, &seen, err, sizeof err) : WP_EIO;
    bool gz = n >= 2 && d[0] == 0x1f && d[1] == 0x8b;
    if (s != WP_OK && !(gz && s == WP_EPARSE))
        fz_die("INVARIANT wp_netlog_read_file failed", err);
    check_stats(wp_netlog_parser_stats(p), seen);
    if (!gz && (wp_netlog_parser_stats(p)->lines != want->lines ||
                wp_netlog_parser_stats(p)->records != want->records))
        inv("read_file and feed disagree");
    wp_netlog_parser_free(p);

    /* a follower sees the same (plus the last line without '\n', left unread) */
    p = new_parser();
    seen = 0;
    wp_netlog_follower *f = NULL;
    if (wp_netlog_follower_new(path, NULL, &f) != WP_OK)
        fz_die("wp_netlog_follower_new failed", NULL);
    size_t got;
    s = wp_netlog_follower_poll(f, p, check, &seen, &got, err, sizeof err);
    if (s != WP_OK && !(gz && s == WP_EPARSE))
        fz_die("INVARIANT wp_netlog_follower_poll failed", err);
    check_stats(wp_netlog_parser_stats(p), seen);
    if (!gz && wp_netlog_parser_stats(p)->lines > want->lines)
        inv("the follower read more lines than there are");
    wp_netlog_follower_free(f);
    wp_netlog_parser_free(p);
    unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const hints[] = {NULL,        "conn.log",        "dns.18:00:00.log.gz",
                                        "files.log", "known_hosts.log", "eve.json",
                                        "stats.log"};
    if (size == 0)
        return 0;
    const char *hint = hints[data[0] % (sizeof hints / sizeof hints[0])];
    const char *text = (const char *)data + 1;
    size_t n = size - 1;

    wp_netlog_parser *p = new_parser();
    unsigned long long seen = 0;
    wp_netlog_parser_reset(p, hint);
    if (wp_netlog_feed(p, text, n, check, &seen) != WP_OK)
        inv("wp_netlog_feed failed");
    const wp_netlog_stats *a = wp_netlog_parser_stats(p);
    check_stats(a, seen);

    wp_netlog_parser *q = new_parser();
    unsigned long long seen2 = 0;
    wp_netlog_parser_reset(q, hint);
    for (const char *l = text, *end = text + n; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l);
        if (wp_netlog_feed_line(q, l, len, check, &seen2) != WP_OK)
            inv("wp_netlog_feed_line failed");
        l += len + 1;
    }
    const wp_netlog_stats *b = wp_netlog_parser_stats(q);
    check_stats(b, seen2);
    if (a->lines != b->lines || a->records != b->records || a->headers != b->headers ||
        a->skipped_bad != b->skipped_bad || a->skipped_unknown != b->skipped_unknown ||
        a->out_of_order != b->out_of_order)
        inv("feed and feed_line disagree");
    if (n <= 64 * 1024 && getenv("WP_FUZZ_NETLOG_NOFILES") == NULL)
        files(hint, (const uint8_t *)text, n, a);
    wp_netlog_parser_free(q);
    wp_netlog_parser_free(p);
    return 0;
}
