/*
 * input.c - where messages come from: a file (one message, or an mbox), a directory
 * (recursively, which covers Maildir's cur/ and new/), or standard input.
 *
 * Messages are handed out one at a time, so memory is bounded by the queue, never by the
 * size of a batch. A message larger than the limit is read up to limit + 1 bytes: the library
 * sees that it is over and says so. Directory walks do not follow symbolic links to
 * directories (no loops) and stop at depth 64.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define MAX_DIR_DEPTH 64

typedef struct walker {
    size_t max_bytes;
    input_cb cb;
    input_err_cb err;
    void *ctx;
    size_t produced;
} walker;

static int
emit(walker *w, const char *source, unsigned char *data, size_t len, size_t over)
{
    input_msg m = {
        .source = strdup(source), .data = data, .len = len, .total = (uint64_t)len + over};
    if (m.source == NULL) {
        free(data);
        return -1;
    }
    w->produced++;
    return w->cb(w->ctx, &m);
}

/* Read a stream: one message, or an mbox split on "From " lines after a blank line. */
static void
read_stream(walker *w, FILE *f, const char *source)
{
    size_t cap = 64 * 1024, len = 0;
    unsigned char *buf = malloc(cap);
    if (buf == NULL) {
        w->err(w->ctx, source, "out of memory");
        return;
    }
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    bool mbox = false, first = true, prev_blank = true;
    size_t index = 0, over = 0;
    while ((n = getline(&line, &lcap, f)) > 0) {
        if (first) {
            mbox = n >= 5 && memcmp(line, "From ", 5) == 0;
            first = false;
            if (mbox)
                continue; /* the envelope line is not part of the message */
        }
        if (mbox && prev_blank && n >= 5 && memcmp(line, "From ", 5) == 0) {
            char src[4096];
            snprintf(src, sizeof src, "%s#%zu", source, ++index);
            if (emit(w, src, buf, len, over) != 0) {
                buf = NULL;
                break;
            }
            cap = 64 * 1024;
            len = 0;
            over = 0;
            buf = malloc(cap);
            if (buf == NULL)
                break;
            prev_blank = false;
            continue;
        }
        prev_blank = (n == 1 && line[0] == '\n') || (n == 2 && line[0] == '\r' && line[1] == '\n');
        /* keep at most max_bytes + 1 so the library can see and report the excess */
        size_t take = (size_t)n;
        if (len + take > w->max_bytes + 1) {
            take = len < w->max_bytes + 1 ? w->max_bytes + 1 - len : 0;
            over += (size_t)n - take;
        }
        if (take == 0)
            continue;
        if (len + take > cap) {
            size_t ncap = cap;
            while (ncap < len + take)
                ncap *= 2;
            unsigned char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                w->err(w->ctx, source, "out of memory");
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        memcpy(buf + len, line, take);
        len += take;
    }
    free(line);
    if (ferror(f))
        w->err(w->ctx, source, strerror(errno));
    if (buf == NULL)
        return;
    if (len == 0 && index == 0) {
        w->err(w->ctx, source, "empty input");
        free(buf);
        return;
    }
    if (len == 0) {
        free(buf);
        return;
    }
    if (mbox) {
        char src[4096];
        snprintf(src, sizeof src, "%s#%zu", source, ++index);
        emit(w, src, buf, len, over);
    } else {
        emit(w, source, buf, len, over);
    }
}

static void
walk_path(walker *w, const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        w->err(w->ctx, path, strerror(errno));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        if (depth >= MAX_DIR_DEPTH) {
            w->err(w->ctx, path, "directory nesting too deep; skipped");
            return;
        }
        struct dirent **list = NULL;
        int n = scandir(path, &list, NULL, alphasort);
        if (n < 0) {
            w->err(w->ctx, path, strerror(errno));
            return;
        }
        /* a Maildir (cur/ and new/ beside tmp/): tmp/ holds deliveries still being written */
        bool maildir = false;
        for (int i = 0, seen = 0; i < n; i++)
            if (strcmp(list[i]->d_name, "cur") == 0 || strcmp(list[i]->d_name, "new") == 0)
                maildir = ++seen == 2;
        for (int i = 0; i < n; i++) {
            const char *name = list[i]->d_name;
            if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
                !(maildir && strcmp(name, "tmp") == 0)) {
                char child[4096];
                int l = snprintf(child, sizeof child, "%s/%s", path, name);
                struct stat lst;
                if (l > 0 && (size_t)l < sizeof child && lstat(child, &lst) == 0) {
                    /* follow links to files, never to directories */
                    if (!(S_ISLNK(lst.st_mode) && stat(child, &st) == 0 && S_ISDIR(st.st_mode)))
                        walk_path(w, child, depth + 1);
                }
            }
            free(list[i]);
        }
        free(list);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        w->err(w->ctx, path, "not a regular file");
        return;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        w->err(w->ctx, path, strerror(errno));
        return;
    }
    /* A single message (no mbox "From " line) is read whole with one read(2) of its size,
     * not line by line: cheaper for the common case of one message per file. */
    if (st.st_size > 0 && (uint64_t)st.st_size <= w->max_bytes) {
        int c0 = getc(f);
        if (c0 != 'F' && c0 != EOF) {
            ungetc(c0, f);
            size_t want = (size_t)st.st_size;
            unsigned char *buf = malloc(want + 1);
            if (buf == NULL) {
                w->err(w->ctx, path, "out of memory");
                fclose(f);
                return;
            }
            size_t got = fread(buf, 1, want + 1, f);
            if (ferror(f)) {
                w->err(w->ctx, path, strerror(errno));
                free(buf);
            } else if (got == 0) {
                w->err(w->ctx, path, "empty input");
                free(buf);
            } else {
                emit(w, path, buf, got, 0);
            }
            fclose(f);
            return;
        }
        if (c0 != EOF)
            ungetc(c0, f);
    }
    read_stream(w, f, path);
    fclose(f);
}

size_t
input_walk(const char *arg, size_t max_bytes, input_cb cb, input_err_cb err, void *ctx)
{
    walker w = {.max_bytes = max_bytes, .cb = cb, .err = err, .ctx = ctx};
    if (strcmp(arg, "-") == 0)
        read_stream(&w, stdin, "-");
    else
        walk_path(&w, arg, 0);
    return w.produced;
}
