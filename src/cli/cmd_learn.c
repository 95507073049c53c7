/*
 * cmd_learn.c - `watchpost learn`: teach the learned classifier a site's own mail.
 *
 * Messages are read with input.c (files, directories, Maildir, mbox, stdin) and handed to the
 * library's learner (watchpost/bayes.h), which takes each apart exactly as a scan with the
 * same limits does and writes the token counts to the SQLite file of "bayes.db" (or --db) in
 * batched transactions. One thread: learning is bounded by the database, not the CPU.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void
learn_usage(FILE *out)
{
    fprintf(out,
            "NAME\n"
            "    watchpost learn - teach the learned classifier what is spam and what is not\n"
            "\n"
            "SYNOPSIS\n"
            "    watchpost learn --spam|--ham|--forget [options] INPUT...\n"
            "    watchpost learn --stats [options]\n"
            "\n"
            "DESCRIPTION\n"
            "    Each INPUT is a message file, an mbox file, a directory (recursive; Maildir\n"
            "    cur/ and new/) or '-' for standard input, as for 'watchpost scan'. Every\n"
            "    message is taken apart as a scan takes it apart and its tokens (words of the\n"
            "    subject, sender name and visible text, link and sender domains, attachment\n"
            "    types; never dates, numbers, ids or mailer names) are counted into the model\n"
            "    file that 'bayes.db' names. Learn phishing as spam: the class means unwanted.\n"
            "\n"
            "    A message learned twice as the same class is counted once; learned as the\n"
            "    other class it is moved. The classifier stays silent until at least\n"
            "    bayes.min_learned (default 200) spam and as many ham messages are learned.\n"
            "    Scanners read the model when they start: restart them after learning.\n"
            "    Never evaluate the classifier on messages it learned (docs/BAYES.md).\n"
            "\n"
            "OPTIONS\n"
            "    --spam              learn the inputs as spam (spam and phishing)\n"
            "    --ham               learn the inputs as ham (wanted mail)\n"
            "    --forget            remove the inputs from the model\n"
            "    --stats             print what the model holds, then exit\n"
            "    --db PATH           the model file (default: bayes.db from the configuration);\n"
            "                        created when missing\n"
            "    -c, --config FILE   configuration file (docs/CONFIGURATION.md): bayes.db and\n"
            "                        the limits, which must be those the scanners use\n"
            "    --set KEY=VALUE     any configuration-file setting (repeatable; after -c)\n"
            "    --limit NAME=VALUE  set one limit (repeatable)\n"
            "    -v, --verbose       one line per message: its source and what happened\n"
            "    -h, --help          this text\n"
            "\n"
            "EXIT STATUS\n"
            "    0  every input read and learned (or already learned)\n"
            "    2  at least one input could not be read or learned (the others were)\n"
            "    3  usage or configuration error, or the model file cannot be opened;\n"
            "       nothing learned\n"
            "\n"
            "EXAMPLES\n"
            "    watchpost learn -c /etc/watchpost.conf --spam ~/Maildir/.Junk/\n"
            "    watchpost learn --db bayes.db --ham archive.mbox\n"
            "    watchpost learn --db bayes.db --stats\n");
}

typedef struct learn_ctx {
    wp_bayes *b;
    int mode; /* 's' spam, 'h' ham, 'f' forget */
    bool verbose;
    size_t count[WP_BAYES_NO_TOKENS + 1];
    size_t errors;
} learn_ctx;

static void
learn_error(void *ctx, const char *source, const char *what)
{
    learn_ctx *lc = ctx;
    lc->errors++;
    fprintf(stderr, "watchpost: %s: %s\n", source, what);
}

static int
learn_one(void *ctx, input_msg *m)
{
    learn_ctx *lc = ctx;
    wp_bayes_outcome o;
    wp_status st = lc->mode == 'f' ? wp_bayes_forget(lc->b, m->data, m->len, &o)
                                   : wp_bayes_learn(lc->b, m->data, m->len, lc->mode == 's', &o);
    if (st != WP_OK) {
        learn_error(lc, m->source, wp_bayes_errmsg(lc->b));
    } else {
        lc->count[o]++;
        if (lc->verbose)
            printf("%s: %s\n", m->source, wp_bayes_outcome_name(o));
    }
    free(m->source);
    free(m->data);
    return 0;
}

static int
print_stats(wp_bayes *b, const char *db)
{
    wp_bayes_stats st;
    if (wp_bayes_get_stats(b, &st) != WP_OK) {
        fprintf(stderr, "watchpost: %s\n", wp_bayes_errmsg(b));
        return WP_EXIT_ERRORS;
    }
    printf("model            %s\n"
           "spam messages    %llu\n"
           "ham messages     %llu\n"
           "tokens           %llu\n"
           "schema           %d (tokenizer %d)\n",
           db, (unsigned long long)st.nspam, (unsigned long long)st.nham,
           (unsigned long long)st.ntokens, st.schema_version, st.tokenizer_version);
    return WP_EXIT_CLEAN;
}

static int learn_main(int argc, char **argv, cli_config *cfgp);

int
cmd_learn(int argc, char **argv)
{
    cli_config cfg;
    cli_config_init(&cfg);
    int rc = learn_main(argc, argv, &cfg);
    cli_config_fini(&cfg);
    return rc;
}

static int
learn_main(int argc, char **argv, cli_config *cfg)
{
    enum { O_SPAM = 256, O_HAM, O_FORGET, O_STATS, O_DB, O_SET, O_LIMIT };
    static const struct option opts[] = {
        {"spam", no_argument, NULL, O_SPAM},
        {"ham", no_argument, NULL, O_HAM},
        {"forget", no_argument, NULL, O_FORGET},
        {"stats", no_argument, NULL, O_STATS},
        {"db", required_argument, NULL, O_DB},
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, O_SET},
        {"limit", required_argument, NULL, O_LIMIT},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* pass 1: the configuration file, so command-line options override it */
    for (int i = 1; i < argc; i++) {
        const char *file = NULL;
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
        if (file != NULL && !cli_config_load(cfg, file))
            return WP_EXIT_USAGE;
    }
    int mode = 0;
    bool stats = false, verbose = false;
    const char *db = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
        switch (c) {
        case O_SPAM:
        case O_HAM:
        case O_FORGET: {
            int m = c == O_SPAM ? 's' : c == O_HAM ? 'h' : 'f';
            if (mode != 0 && mode != m) {
                fprintf(stderr, "watchpost: --spam, --ham and --forget exclude each other\n");
                return WP_EXIT_USAGE;
            }
            mode = m;
            break;
        }
        case O_STATS:
            stats = true;
            break;
        case O_DB:
            db = optarg;
            break;
        case 'c':
            break; /* done in pass 1 */
        case O_SET:
            if (!cli_config_set(cfg, optarg))
                return WP_EXIT_USAGE;
            break;
        case O_LIMIT:
            if (!cli_config_limit(cfg, optarg))
                return WP_EXIT_USAGE;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            learn_usage(stdout);
            return WP_EXIT_CLEAN;
        default:
            learn_usage(stderr);
            return WP_EXIT_USAGE;
        }
    }
    if (!stats && mode == 0) {
        fprintf(stderr, "watchpost: learn needs --spam, --ham, --forget or --stats\n");
        return WP_EXIT_USAGE;
    }
    if (stats && (mode != 0 || optind < argc)) {
        fprintf(stderr, "watchpost: --stats takes no inputs and no --spam/--ham/--forget\n");
        return WP_EXIT_USAGE;
    }
    if (!stats && optind >= argc) {
        fprintf(stderr, "watchpost: no input (give files, directories or '-' for stdin)\n");
        return WP_EXIT_USAGE;
    }
    wp_engine_config ec;
    cli_engine_config(cfg, &ec);
    if (db == NULL)
        db = wp_bayes_config_db(&ec);
    if (db == NULL) {
        fprintf(stderr, "watchpost: no model file: give --db PATH or set bayes.db in the "
                        "configuration\n");
        return WP_EXIT_USAGE;
    }
    char err[512];
    learn_ctx lc = {.mode = mode, .verbose = verbose};
    if (wp_bayes_open(db, &ec, &lc.b, err, sizeof err) != WP_OK) {
        fprintf(stderr, "watchpost: %s\n", err[0] ? err : "cannot open the model");
        return WP_EXIT_USAGE;
    }
    if (stats) {
        int rc = print_stats(lc.b, db);
        wp_bayes_close(lc.b);
        return rc;
    }
    size_t max_bytes = (size_t)wp_limit(&cfg->limits, WP_LIMIT_MESSAGE_BYTES);
    for (int i = optind; i < argc; i++)
        input_walk(argv[i], max_bytes, learn_one, learn_error, &lc);
    if (wp_bayes_commit(lc.b) != WP_OK) {
        fprintf(stderr, "watchpost: %s (the last batch was not saved)\n", wp_bayes_errmsg(lc.b));
        lc.errors++;
    }
    wp_bayes_close(lc.b);
    const char *cls = mode == 's' ? "spam" : mode == 'h' ? "ham" : NULL;
    if (cls != NULL)
        printf("%s: learned %zu new, %zu already learned, %zu moved from %s, %zu without "
               "tokens, %zu errors\n",
               cls, lc.count[WP_BAYES_LEARNED], lc.count[WP_BAYES_ALREADY],
               lc.count[WP_BAYES_MOVED], mode == 's' ? "ham" : "spam", lc.count[WP_BAYES_NO_TOKENS],
               lc.errors);
    else
        printf("forget: %zu forgotten, %zu not learned, %zu without tokens, %zu errors\n",
               lc.count[WP_BAYES_FORGOTTEN], lc.count[WP_BAYES_UNKNOWN],
               lc.count[WP_BAYES_NO_TOKENS], lc.errors);
    return lc.errors > 0 ? WP_EXIT_ERRORS : WP_EXIT_CLEAN;
}
