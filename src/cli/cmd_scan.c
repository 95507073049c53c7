/*
 * cmd_scan.c - `watchpost scan`: analyse messages and print a summary or JSON lines.
 *
 * One producer (this thread) walks the inputs and fills a bounded queue; N workers, each with
 * its own wp_scanner, scan and print. The queue bound keeps peak memory independent of the
 * number of messages. Output is written whole per message under a lock, in completion order
 * (input order with --jobs 1).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void
scan_usage(FILE *out)
{
    fprintf(
        out,
        "NAME\n"
        "    watchpost scan - analyse mail messages and report findings\n"
        "\n"
        "SYNOPSIS\n"
        "    watchpost scan [options] INPUT...\n"
        "\n"
        "DESCRIPTION\n"
        "    Each INPUT is a message file, an mbox file (split on \"From \" lines), a directory\n"
        "    (scanned recursively; Maildir cur/ and new/ included, tmp/ skipped) or '-' for\n"
        "    standard input. Every MIME part, archive member, TNEF attachment and uuencoded file\n"
        "    is hashed, typed, name-checked, taken apart and scanned with YARA. Malformed input "
        "is\n"
        "    analysed as far as it goes; its malformations are findings.\n"
        "\n"
        "    The analyzers (sender authentication, impersonation, URLs, indicators, content\n"
        "    rules, the learned classifier, spam waves) add their findings; the findings are\n"
        "    scored into a verdict (clean, spam, phishing, malware, targeted), a severity 0-5\n"
        "    and an action (deliver, tag, quarantine, reject), each with the reasons that\n"
        "    decided it (docs/VERDICTS.md, docs/SEVERITY.md).\n"
        "\n"
        "OPTIONS\n"
        "    --json              one JSON object per message (schema: docs/SCHEMA.md)\n"
        "    --rules PATH        extra YARA rules: a file or a directory of *.yar/*.yara;\n"
        "                        repeatable; added to the default rule set\n"
        "    --no-default-rules  do not load the default rule set\n"
        "    -c, --config FILE   configuration file (docs/CONFIGURATION.md)\n"
        "    --limit NAME=VALUE  set one limit, e.g. --limit max_part_bytes=8M (repeatable);\n"
        "                        'watchpost scan --limits' lists them\n"
        "    --limits            print every limit with its value and ceiling, then exit\n"
        "    --set KEY=VALUE     any configuration-file setting, e.g. --set threshold.spam=8,\n"
        "                        --set intel.file=iocs.csv (repeatable; after -c)\n"
        "    -j, --jobs N        worker threads (default: one per CPU)\n"
        "    --progress          force the progress line (default: on when stderr is a\n"
        "                        terminal and stdout is not)\n"
        "    -q, --quiet         print nothing for messages judged clean (summary mode)\n"
        "    --record            record each decision in the store (docs/STORE.md) and keep\n"
        "                        messages whose action is quarantine or reject in its spool\n"
        "                        ('watchpost events', 'watchpost quarantine list'); a store\n"
        "                        error counts as an unreadable input (exit 2)\n"
        "    --db PATH           --record: the store database (default: store.db of the\n"
        "                        configuration, else " CLI_DEFAULT_STORE_DB ")\n"
        "    --spool DIR         --record: the spool directory (default: store.spool, else\n"
        "                        " CLI_DEFAULT_STORE_SPOOL ")\n"
        "    --mail-from ADDR    analyse and record every message with this envelope sender\n"
        "    --rcpt ADDR         ... and this envelope recipient (repeatable)\n"
        "    -h, --help          this text\n"
        "\n"
        "EXIT STATUS\n"
        "    0  every message scanned and judged clean\n"
        "    1  at least one message judged spam, phishing, malware or targeted\n"
        "    2  at least one input could not be read (other inputs were still scanned)\n"
        "    3  usage, configuration or rule compilation error; nothing scanned\n"
        "\n"
        "ENVIRONMENT\n"
        "    WATCHPOST_RULES     directory of the default rule set (overrides the built-in path)\n"
        "\n"
        "EXAMPLES\n"
        "    watchpost scan suspicious.eml\n"
        "    watchpost scan --json Maildir/ archive.mbox *.eml > results.jsonl\n"
        "    cat msg.eml | watchpost scan -\n"
        "    watchpost scan --rules ./yara/ --limit max_archive_depth=4 mail/\n"
        "    watchpost scan --record --db /tmp/w.db --spool /tmp/q suspicious.mbox\n");
}

typedef struct queue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    input_msg *items;
    size_t cap, head, count;
    bool closed;
} queue;

typedef struct shared {
    queue q;
    wp_engine *eng;
    wp_store *store;        /* --record: where decisions go; thread-safe (store.h) */
    const wp_envelope *env; /* --mail-from/--rcpt, else NULL */
    bool json, quiet, color, progress;
    pthread_mutex_t out_mu;
    size_t scanned, with_findings, errors;
    uint64_t bytes;
    struct timespec t0, last_progress;
} shared;

static double
secs_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void scan_one(shared *sh, wp_scanner *sc, input_msg *m);
static void input_error(void *ctx, const char *source, const char *what);

/* --jobs 1: scan in the reading thread, no queue and no hand-off between threads */
typedef struct inline_ctx {
    shared *sh;
    wp_scanner *sc;
} inline_ctx;

static int
scan_inline(void *ctx, input_msg *m)
{
    inline_ctx *ic = ctx;
    scan_one(ic->sh, ic->sc, m);
    return 0;
}

static void
inline_error(void *ctx, const char *source, const char *what)
{
    input_error(((inline_ctx *)ctx)->sh, source, what);
}

static int
enqueue(void *ctx, input_msg *m)
{
    shared *sh = ctx;
    queue *q = &sh->q;
    pthread_mutex_lock(&q->mu);
    while (q->count == q->cap)
        pthread_cond_wait(&q->not_full, &q->mu);
    q->items[(q->head + q->count) % q->cap] = *m;
    q->count++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

static bool
dequeue(queue *q, input_msg *m)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->mu);
    if (q->count == 0) {
        pthread_mutex_unlock(&q->mu);
        return false;
    }
    *m = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return true;
}

static void
input_error(void *ctx, const char *source, const char *what)
{
    shared *sh = ctx;
    pthread_mutex_lock(&sh->out_mu);
    sh->errors++;
    if (sh->progress)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "watchpost: %s: %s\n", source, what);
    pthread_mutex_unlock(&sh->out_mu);
}

static bool
judged_bad(const wp_report *r)
{
    return r->verdict.cls != WP_VERDICT_CLEAN;
}

/* --record: the decision into the store, the message itself into the spool when the action
 * would keep it from the recipient. A failure is the input's error (exit 2). */
static void
record_one(shared *sh, const input_msg *m, const wp_report *r)
{
    /* a copy cut by max_message_bytes is recorded as such and never released */
    wp_store_decision d = {
        .report = r, .env = sh->env, .whole_size = m->total > m->len ? m->total : 0};
    char err[512] = "", ref[WP_QUARANTINE_REF_SIZE];
    wp_status st;
    if (r->verdict.action == WP_ACTION_QUARANTINE || r->verdict.action == WP_ACTION_REJECT)
        st = wp_store_quarantine(sh->store, &d, m->data, m->len, ref, NULL, err, sizeof err);
    else
        st = wp_store_record(sh->store, &d, NULL, err, sizeof err);
    if (st != WP_OK)
        input_error(sh, m->source, err[0] ? err : wp_strerror(st));
}

static void
scan_one(shared *sh, wp_scanner *sc, input_msg *m)
{
    wp_report *r = NULL;
    wp_status st = wp_scan_message_env(sc, m->data, m->len, sh->env, &r);
    if (st != WP_OK) {
        input_error(sh, m->source, wp_strerror(st));
    } else {
        wp_report_set_source(r, m->source);
        if (sh->store != NULL)
            record_one(sh, m, r);
        char *json = NULL;
        bool weighty = judged_bad(r);
        if (sh->json && wp_report_to_json(r, &json) != WP_OK)
            json = NULL;
        pthread_mutex_lock(&sh->out_mu);
        sh->scanned++;
        sh->bytes += m->len;
        if (weighty)
            sh->with_findings++;
        if (sh->progress)
            fputs("\r\033[K", stderr);
        if (sh->json) {
            if (json != NULL) {
                fputs(json, stdout);
                fputc('\n', stdout);
            }
        } else if (!sh->quiet || weighty) {
            summary_print(stdout, r, sh->color);
        }
        if (sh->progress && secs_since(&sh->last_progress) > 0.25) {
            fflush(stdout);
            double el = secs_since(&sh->t0);
            fprintf(stderr, "scanned %zu messages, %.1f MB, %.0f msg/s, %zu not clean", sh->scanned,
                    (double)sh->bytes / 1e6, el > 0 ? (double)sh->scanned / el : 0.0,
                    sh->with_findings);
            clock_gettime(CLOCK_MONOTONIC, &sh->last_progress);
        }
        pthread_mutex_unlock(&sh->out_mu);
        free(json);
        wp_report_free(r);
    }
    free(m->source);
    free(m->data);
}

static void *
worker(void *arg)
{
    shared *sh = arg;
    wp_scanner *sc = NULL;
    if (wp_scanner_new(sh->eng, &sc) != WP_OK) {
        fprintf(stderr, "watchpost: cannot create a scanner (out of memory)\n");
        return NULL;
    }
    input_msg m;
    while (dequeue(&sh->q, &m))
        scan_one(sh, sc, &m);
    wp_scanner_free(sc);
    return NULL;
}

static void
log_to_stderr(void *ctx, wp_log_level level, const char *msg)
{
    (void)ctx;
    if (level >= WP_LOG_WARN)
        fprintf(stderr, "watchpost: %s\n", msg);
}

static void
print_limits(const wp_limits *l)
{
    printf("%-22s %14s %14s\n", "limit", "value", "ceiling");
    for (int i = 0; i < WP_LIMIT__COUNT; i++)
        printf("%-22s %14llu %14llu\n", wp_limit_name((wp_limit_id)i),
               (unsigned long long)wp_limit(l, (wp_limit_id)i),
               (unsigned long long)wp_limit_ceiling((wp_limit_id)i));
}

/* --record and the envelope options; owned by cmd_scan like the configuration */
typedef struct record_opts {
    bool record;
    const char *db, *spool;
    wp_envelope env;
    const char **rcpt;
    bool have_env;
} record_opts;

static int scan_main(int argc, char **argv, cli_config *cfgp, record_opts *ro);

int
cmd_scan(int argc, char **argv)
{
    /* the configuration is owned here so every exit path of scan_main releases it */
    cli_config cfg;
    cli_config_init(&cfg);
    record_opts ro = {0};
    int rc = scan_main(argc, argv, &cfg, &ro);
    free(ro.rcpt);
    cli_config_fini(&cfg);
    return rc;
}

static bool
add_rcpt(record_opts *ro, const char *addr)
{
    if (ro->env.n_rcpt >= WP_STORE_MAX_RCPT) {
        fprintf(stderr, "watchpost: --rcpt: at most %d recipients\n", WP_STORE_MAX_RCPT);
        return false;
    }
    const char **n = realloc(ro->rcpt, (ro->env.n_rcpt + 1) * sizeof(char *));
    if (n == NULL)
        return false;
    ro->rcpt = n;
    ro->rcpt[ro->env.n_rcpt++] = addr;
    ro->env.rcpt = ro->rcpt;
    ro->have_env = true;
    return true;
}

static int
scan_main(int argc, char **argv, cli_config *cfgp, record_opts *ro)
{
    enum {
        O_JSON = 256,
        O_RULES,
        O_NODEF,
        O_LIMIT,
        O_LIMITS,
        O_PROGRESS,
        O_SET,
        O_RECORD,
        O_DB,
        O_SPOOL,
        O_MAILFROM,
        O_RCPT
    };
    static const struct option opts[] = {
        {"json", no_argument, NULL, O_JSON},
        {"rules", required_argument, NULL, O_RULES},
        {"no-default-rules", no_argument, NULL, O_NODEF},
        {"config", required_argument, NULL, 'c'},
        {"limit", required_argument, NULL, O_LIMIT},
        {"limits", no_argument, NULL, O_LIMITS},
        {"set", required_argument, NULL, O_SET},
        {"jobs", required_argument, NULL, 'j'},
        {"progress", no_argument, NULL, O_PROGRESS},
        {"quiet", no_argument, NULL, 'q'},
        {"record", no_argument, NULL, O_RECORD},
        {"db", required_argument, NULL, O_DB},
        {"spool", required_argument, NULL, O_SPOOL},
        {"mail-from", required_argument, NULL, O_MAILFROM},
        {"rcpt", required_argument, NULL, O_RCPT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
#define cfg (*cfgp)
    bool json = false, quiet = false, show_limits = false, force_progress = false;
    int jobs = -1;
    /* pass 1: the configuration file, so command-line options override it */
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
            if (!cli_config_load(&cfg, argv[i + 1]))
                return WP_EXIT_USAGE;
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            if (!cli_config_load(&cfg, argv[i] + 9))
                return WP_EXIT_USAGE;
        }
    }
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:j:qh", opts, NULL)) != -1) {
        switch (c) {
        case O_JSON:
            json = true;
            break;
        case O_RULES:
            if (!cli_config_add_rules(&cfg, optarg))
                return WP_EXIT_USAGE;
            break;
        case O_NODEF:
            cfg.default_rules = false;
            break;
        case 'c':
            break; /* done in pass 1 */
        case O_LIMIT:
            if (!cli_config_limit(&cfg, optarg))
                return WP_EXIT_USAGE;
            break;
        case O_LIMITS:
            show_limits = true;
            break;
        case O_SET:
            if (!cli_config_set(&cfg, optarg))
                return WP_EXIT_USAGE;
            break;
        case 'j': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 1024) {
                fprintf(stderr, "watchpost: --jobs wants a number from 1 to 1024\n");
                return WP_EXIT_USAGE;
            }
            jobs = (int)v;
            break;
        }
        case O_PROGRESS:
            force_progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case O_RECORD:
            ro->record = true;
            break;
        case O_DB:
            ro->db = optarg;
            break;
        case O_SPOOL:
            ro->spool = optarg;
            break;
        case O_MAILFROM:
            ro->env.mail_from = optarg;
            ro->have_env = true;
            break;
        case O_RCPT:
            if (!add_rcpt(ro, optarg))
                return WP_EXIT_USAGE;
            break;
        case 'h':
            scan_usage(stdout);
            return 0;
        default:
            scan_usage(stderr);
            return WP_EXIT_USAGE;
        }
    }
    if (show_limits) {
        print_limits(&cfg.limits);
        return 0;
    }
    if ((ro->db != NULL || ro->spool != NULL) && !ro->record) {
        fprintf(stderr, "watchpost: --db and --spool go with --record\n");
        return WP_EXIT_USAGE;
    }
    if (optind >= argc) {
        if (isatty(STDIN_FILENO)) {
            fprintf(stderr, "watchpost: no input (give files, directories or '-' for stdin)\n");
            return WP_EXIT_USAGE;
        }
        argv[--optind] = "-"; /* piped input without an argument */
        argc = optind + 1;
    }

    /* rules: the default set first, then --rules and config 'rules' in order */
    wp_engine *eng = NULL;
    char err[512] = "";
    wp_status st = cli_engine_new(&cfg, log_to_stderr, &eng, err, sizeof err);
    if (st != WP_OK) {
        fprintf(stderr, "watchpost: %s\n", err[0] ? err : wp_strerror(st));
        return WP_EXIT_USAGE;
    }

    if (jobs < 1)
        jobs = cfg.jobs > 0 ? cfg.jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1)
        jobs = 1;

    shared sh = {0};
    sh.eng = eng;
    sh.env = ro->have_env ? &ro->env : NULL;
    /* one handle for all workers; an unusable store is a runtime error, nothing scanned */
    if (ro->record && !cli_store_open(&cfg, ro->db, ro->spool, true, &sh.store)) {
        wp_engine_free(eng);
        return WP_EXIT_ERRORS;
    }
    sh.json = json;
    sh.quiet = quiet;
    sh.color = !json && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
    sh.progress = force_progress || (isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO));
    pthread_mutex_init(&sh.q.mu, NULL);
    pthread_cond_init(&sh.q.not_empty, NULL);
    pthread_cond_init(&sh.q.not_full, NULL);
    pthread_mutex_init(&sh.out_mu, NULL);
    sh.q.cap = (size_t)jobs * 2;
    sh.q.items = calloc(sh.q.cap, sizeof(input_msg));
    clock_gettime(CLOCK_MONOTONIC, &sh.t0);
    sh.last_progress = sh.t0;
    pthread_t *th = calloc((size_t)jobs, sizeof(pthread_t));
    if (sh.q.items == NULL || th == NULL) {
        fprintf(stderr, "watchpost: out of memory\n");
        free(sh.q.items);
        free(th);
        wp_store_close(sh.store);
        wp_engine_free(eng);
        return WP_EXIT_USAGE;
    }
    size_t max_bytes = (size_t)wp_limit(&cfg.limits, WP_LIMIT_MESSAGE_BYTES);
    if (jobs == 1) {
        inline_ctx ic = {.sh = &sh};
        if (wp_scanner_new(eng, &ic.sc) != WP_OK) {
            fprintf(stderr, "watchpost: cannot create a scanner (out of memory)\n");
            jobs = 0; /* nothing to join */
            sh.errors++;
        } else {
            for (int i = optind; i < argc; i++)
                input_walk(argv[i], max_bytes, scan_inline, inline_error, &ic);
            wp_scanner_free(ic.sc);
        }
        jobs = 0;
    } else {
        for (int i = 0; i < jobs; i++)
            pthread_create(&th[i], NULL, worker, &sh);
        for (int i = optind; i < argc; i++)
            input_walk(argv[i], max_bytes, enqueue, input_error, &sh);
    }

    pthread_mutex_lock(&sh.q.mu);
    sh.q.closed = true;
    pthread_cond_broadcast(&sh.q.not_empty);
    pthread_mutex_unlock(&sh.q.mu);
    for (int i = 0; i < jobs; i++)
        pthread_join(th[i], NULL);
    fflush(stdout);
    if (sh.progress) {
        double el = secs_since(&sh.t0);
        fprintf(stderr,
                "\r\033[Kscanned %zu messages (%.1f MB) in %.2f s, %zu with findings, %zu errors\n",
                sh.scanned, (double)sh.bytes / 1e6, el, sh.with_findings, sh.errors);
    }

    free(th);
    free(sh.q.items);
    wp_store_close(sh.store);
    wp_engine_free(eng);
    if (sh.errors > 0)
        return WP_EXIT_ERRORS;
    return sh.with_findings > 0 ? WP_EXIT_FINDINGS : WP_EXIT_CLEAN;
#undef cfg
}

int
cmd_findings(int argc, char **argv)
{
    bool md = argc > 1 && strcmp(argv[1], "--markdown") == 0;
    if (argc > 1 && !md) {
        printf("usage: watchpost findings [--markdown]\n"
               "    List every finding code with its category, default weight and meaning.\n");
        return strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ? 0 : WP_EXIT_USAGE;
    }
    size_t n;
    const wp_finding_def *d = wp_finding_catalogue(&n);
    if (md)
        printf("| code | category | weight | meaning |\n|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        if (md)
            printf("| `%s` | %s | %d | %s |\n", d[i].code, wp_category_name(d[i].category),
                   d[i].weight, d[i].summary);
        else
            printf("%-28s %-10s %2d  %s\n", d[i].code, wp_category_name(d[i].category), d[i].weight,
                   d[i].summary);
    }
    return 0;
}
