/*
 * netlog_parse_bench.c - throughput of the network-log parser (include/watchpost/netlog.h).
 *
 *   netlog_parse_bench [-n LINES] [-r ROUNDS]     a generated Zeek conn.log, in memory
 *   netlog_parse_bench FILE...                    real logs (plain or gzip), read whole
 *
 * The generated log is a conn.log in Zeek's TSV layout (21 columns, ~190 bytes a line) fed
 * to wp_netlog_feed() from memory, so the number is the parser's alone: lines/s and MB/s
 * per core (process CPU time, best of ROUNDS; the wall-clock rate is printed beside it). With
 * files, each is read by wp_netlog_read_file() (I/O and gzip included) and the per-file counters
 * are printed. Target: >= 1,000,000 conn.log lines/s per core with the release build.
 *
 * Not part of ctest. Build it against a release library, e.g.:
 *   cmake --preset release && cmake --build build/release --target watchpost_lib
 *   gcc -O2 -std=gnu17 -Iinclude bench/netlog_parse_bench.c build/release/src/lib/libwatchpost.a \
 *       $(pkg-config --libs gmime-3.0 yara libarchive jansson libcrypto zlib libhs opendkim \
 *         sqlite3 libpsl libidn2 libcurl) -lspf2 -lopendmarc -lmagic -lpthread -lm \
 *       -o /tmp/netlog_parse_bench
 * (only zlib is used by the parser; the rest is what the static library pulls in).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "watchpost/netlog.h"

static double
clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this process: the per-core rate, whatever else runs on the machine */
static double
cpu(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static bool
count(void *ctx, const wp_net_record *r)
{
    unsigned long long *sum = ctx;
    /* touch the record so nothing is optimised away */
    *sum += (unsigned long long)r->orig_bytes + r->src_ip.n + (unsigned long long)r->dst_port;
    return true;
}

static char *
gen_conn(unsigned long n, size_t *len)
{
    static const char hdr[] =
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        "#path\tconn\n#open\t2024-01-01-00-00-00\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\t"
        "duration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\t"
        "history\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n"
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t"
        "string\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n";
    size_t cap = sizeof hdr + n * 256;
    char *b = malloc(cap);
    if (b == NULL)
        return NULL;
    size_t o = sizeof hdr - 1;
    memcpy(b, hdr, o);
    unsigned long x = 12345;
    for (unsigned long i = 0; i < n; i++) {
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        unsigned a = (unsigned)(x >> 33);
        o += (size_t)snprintf(
            b + o, cap - o,
            "%lu.%06u\tC%08x%08xab\t10.%u.%u.%u\t%u\t%u.%u.%u.%u\t%u\t%s\t%s\t%u.%06u\t%u\t%u\t%s\t"
            "T\tF\t0\tShADadFf\t%u\t%u\t%u\t%u\t-\n",
            1700000000UL + i / 10, a % 1000000, a, a ^ 0x5a5a5a5au, a & 255, (a >> 8) & 255,
            (a >> 16) & 255, 1024 + a % 60000, (a >> 3) & 255, (a >> 11) & 255, (a >> 19) & 255,
            (a >> 5) & 255, a % 3 ? 443 : 53, a % 3 ? "tcp" : "udp", a % 3 ? "ssl" : "dns", a % 100,
            a % 999983, a % 5000, a % 90000, a % 2 ? "SF" : "S0", a % 40, a % 7000, a % 50,
            a % 95000);
    }
    *len = o;
    return b;
}

int
main(int argc, char **argv)
{
    unsigned long n = 1000000;
    int rounds = 5, first = 1;
    for (; first < argc && argv[first][0] == '-'; first += 2) {
        if (first + 1 >= argc)
            break;
        if (strcmp(argv[first], "-n") == 0)
            n = strtoul(argv[first + 1], NULL, 10);
        else if (strcmp(argv[first], "-r") == 0)
            rounds = atoi(argv[first + 1]) > 0 ? atoi(argv[first + 1]) : 1;
    }
    wp_netlog_parser *p;
    if (wp_netlog_parser_new(NULL, &p) != WP_OK)
        return 1;
    unsigned long long sum = 0;
    if (first < argc) {
        for (int i = first; i < argc; i++) {
            char err[256];
            wp_netlog_stats before = *wp_netlog_parser_stats(p);
            double t0 = now();
            wp_status s = wp_netlog_read_file(p, argv[i], count, &sum, err, sizeof err);
            double dt = now() - t0;
            const wp_netlog_stats *st = wp_netlog_parser_stats(p);
            printf("%s: %s lines=%llu records=%llu headers=%llu bad=%llu unknown=%llu "
                   "out_of_order=%llu %.0f lines/s%s%s\n",
                   argv[i], wp_strerror(s), st->lines - before.lines, st->records - before.records,
                   st->headers - before.headers, st->skipped_bad - before.skipped_bad,
                   st->skipped_unknown - before.skipped_unknown,
                   st->out_of_order - before.out_of_order,
                   dt > 0 ? (double)(st->lines - before.lines) / dt : 0, err[0] ? " " : "", err);
        }
        const wp_netlog_stats *st = wp_netlog_parser_stats(p);
        for (unsigned i = 0; i < st->n_reasons; i++)
            printf("reason: line %llu: %s\n", st->reasons[i].line, st->reasons[i].text);
        wp_netlog_parser_free(p);
        return 0;
    }
    size_t len;
    char *buf = gen_conn(n, &len);
    if (buf == NULL)
        return 1;
    double best = 1e30, best_wall = 1e30;
    for (int r = 0; r < rounds; r++) {
        wp_netlog_parser_reset(p, "conn.log");
        double t0 = cpu(), w0 = now();
        if (wp_netlog_feed(p, buf, len, count, &sum) != WP_OK)
            return 1;
        double dt = cpu() - t0, dw = now() - w0;
        if (dt < best)
            best = dt;
        if (dw < best_wall)
            best_wall = dw;
    }
    const wp_netlog_stats *st = wp_netlog_parser_stats(p);
    printf("conn.log TSV: %lu lines, %.1f MB, best of %d: %.3f s CPU, %.0f lines/s, %.1f MB/s "
           "per core (wall: %.0f lines/s) (records %llu, bad %llu; checksum %llu)\n",
           n, (double)len / 1e6, rounds, best, (double)n / best, (double)len / 1e6 / best,
           (double)n / best_wall, st->records, st->skipped_bad, sum % 1000);
    free(buf);
    wp_netlog_parser_free(p);
    return st->skipped_bad == 0 ? 0 : 1;
}
