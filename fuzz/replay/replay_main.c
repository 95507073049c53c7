/*
 * replay_main.c - run a fuzz target's LLVMFuzzerTestOneInput() on files, without libFuzzer.
 *
 *   replay_message DIR_OR_FILE...
 *
 * Each argument is a file or a directory; directories are walked recursively and their
 * files replayed in name order. Names starting with '.' are skipped (regression directories
 * hold a .keep file so that git keeps them when empty). A missing argument is an error, so a
 * typo in a test command cannot pass by replaying nothing.
 *
 * A crash in the target is the failure signal for memory errors. Timeouts are regressions
 * too: an input that takes longer than WP_REPLAY_TIMEOUT_S seconds (default 5, wall clock;
 * 0 disables) is reported as SLOW and makes the exit code 1, as do usage and I/O errors.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t n_inputs, n_slow;
static double timeout_s = 5.0;

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            fclose(f);
            fprintf(stderr, "replay: %s: out of memory\n", path);
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap);
        if (nb == NULL)
            free(buf);
        buf = nb;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        fprintf(stderr, "replay: %s: read error\n", path);
        return -1;
    }
    /* an exact-size copy, so an over-read is an over-read under ASan too */
    uint8_t *exact = malloc(n ? n : 1);
    if (exact == NULL) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    double t0 = now_s();
    LLVMFuzzerTestOneInput(exact, n);
    double el = now_s() - t0;
    free(exact);
    n_inputs++;
    fprintf(stderr, "replay: %s (%zu bytes) %.3f s\n", path, n, el);
    if (timeout_s > 0 && el > timeout_s) {
        fprintf(stderr, "replay: SLOW: %s took %.1f s (WP_REPLAY_TIMEOUT_S=%g)\n", path, el,
                timeout_s);
        n_slow++;
        return -1;
    }
    return 0;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(path);
    DIR *d = opendir(path);
    if (d == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof(char *));
            if (nn == NULL) {
                rc = -1;
                break;
            }
            names = nn;
        }
        size_t len = strlen(path) + strlen(de->d_name) + 2;
        names[n] = malloc(len);
        if (names[n] == NULL) {
            rc = -1;
            break;
        }
        snprintf(names[n], len, "%s/%s", path, de->d_name);
        n++;
    }
    closedir(d);
    if (names != NULL)
        qsort(names, n, sizeof(char *), cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (replay_path(names[i]) != 0)
            rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 1;
    }
    const char *t = getenv("WP_REPLAY_TIMEOUT_S");
    if (t != NULL && *t != '\0')
        timeout_s = strtod(t, NULL);
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (replay_path(argv[i]) != 0)
            rc = 1;
    fprintf(stderr, "replay: %zu input(s) replayed, %zu slow\n", n_inputs, n_slow);
    return rc;
}
