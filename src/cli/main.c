/*
 * main.c - `watchpost`: dispatch to subcommands.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void
usage(FILE *out)
{
    fprintf(out, "usage: watchpost <command> [options]\n"
                 "\n"
                 "Targeted-attack surveillance: inspects mail and reports what it saw and why.\n"
                 "\n"
                 "commands:\n"
                 "  scan       analyse messages (files, directories, Maildir, mbox, stdin)\n"
                 "  findings   list the finding codes this build can emit\n"
                 "  learn      teach the learned classifier spam and ham (--spam, --ham)\n"
                 "  events     list the decisions recorded in the store\n"
                 "  quarantine list, show, release, delete or expire quarantined messages\n"
                 "  milter     the milter daemon in front of Postfix or Sendmail\n"
                 "  ingest     read finished Zeek/Suricata logs: egress findings, incidents\n"
                 "  watch      follow growing Zeek/Suricata logs: egress findings, incidents\n"
                 "  incidents  list, show, acknowledge or close incidents\n"
                 "  prune      delete store records older than the retention\n"
                 "  hunt       rank the network findings not (yet) in an incident\n"
                 "  serve      the analysts' REST API and web dashboard (HTTPS)\n"
                 "  user       add, list, disable users of serve; token: API tokens\n"
                 "  paths      print where this installation looks for its rules and state\n"
                 "  version    print the version (and the paths)\n"
                 "\n"
                 "Run 'watchpost <command> --help' for a command's options.\n");
}

/*
 * `watchpost paths`: where the data comes from, so that an administrator can see why a rule
 * set is (not) used. Rules are resolved at run time: $WATCHPOST_RULES, then
 * <executable>/../share/watchpost/rules (an installed package or `cmake --install`), then the
 * compiled-in directory (the build tree's checkout), then /usr/share/watchpost/rules.
 */
static int
cmd_paths(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: watchpost paths\n");
        return WP_EXIT_USAGE;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *env = getenv("WATCHPOST_RULES");
    const char *yara = cli_default_rules_dir();
    const char *content = cli_default_content_rules_dir();
    printf("executable:     %s\n", exe[0] ? exe : "(unknown)");
    printf("rules looked for in: $WATCHPOST_RULES (%s), <executable>/../share/watchpost/rules, "
           "%s, /usr/share/watchpost/rules\n",
           env && *env ? env : "unset", WP_DEFAULT_RULES_DIR);
    printf("yara rules:     %s\n", yara ? yara : "(none found)");
    printf("content rules:  %s\n", content ? content
                                           : "(none found: the library's compiled-in "
                                             "directory is tried)");
    printf("store:          %s (store.db, --db)\n", CLI_DEFAULT_STORE_DB);
    printf("spool:          %s (store.spool, --spool)\n", CLI_DEFAULT_STORE_SPOOL);
    printf("configuration:  -c FILE only (the package installs /etc/watchpost/watchpost.conf)\n");
    return 0;
}

int
main(int argc, char **argv)
{
    /* The milter's reload signals are held from the first instruction: a SIGHUP sent while
     * it is still loading rules (logrotate, configuration management) must wait for the
     * reload handler, not kill the process with the default action. The daemon unblocks
     * them once it can reload (src/milter/daemon.c); other commands keep the defaults. */
    if (argc >= 2 && strcmp(argv[1], "milter") == 0) {
        sigset_t reload;
        sigemptyset(&reload);
        sigaddset(&reload, SIGHUP);
        sigaddset(&reload, SIGUSR1);
        sigprocmask(SIG_BLOCK, &reload, NULL);
    }
    if (argc < 2) {
        usage(stderr);
        return WP_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "scan") == 0)
        return cmd_scan(argc - 1, argv + 1);
    if (strcmp(cmd, "learn") == 0)
        return cmd_learn(argc - 1, argv + 1);
    if (strcmp(cmd, "events") == 0)
        return cmd_events(argc - 1, argv + 1);
    if (strcmp(cmd, "quarantine") == 0)
        return cmd_quarantine(argc - 1, argv + 1);
    if (strcmp(cmd, "milter") == 0)
        return cmd_milter(argc - 1, argv + 1);
    if (strcmp(cmd, "ingest") == 0)
        return cmd_ingest(argc - 1, argv + 1);
    if (strcmp(cmd, "watch") == 0)
        return cmd_watch(argc - 1, argv + 1);
    if (strcmp(cmd, "incidents") == 0)
        return cmd_incidents(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "user") == 0 || strcmp(cmd, "token") == 0)
        return cmd_user(argc - 1, argv + 1);
    if (strcmp(cmd, "prune") == 0)
        return cmd_prune(argc - 1, argv + 1);
    if (strcmp(cmd, "findings") == 0)
        return cmd_findings(argc - 1, argv + 1);
    if (strcmp(cmd, "hunt") == 0)
        return cmd_hunt(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("watchpost %s\n", wp_version());
        return cmd_paths(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "paths") == 0)
        return cmd_paths(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "watchpost: unknown command '%s'\n", cmd);
    usage(stderr);
    return WP_EXIT_USAGE;
}
