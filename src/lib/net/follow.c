/*
 * follow.c - log files, read whole (wp_netlog_read_file) or followed as they grow
 * (wp_netlog_follower_*), plain or gzip (by the magic 1f 8b; members concatenated).
 *
 * Bytes go through one bounded line buffer (max_line_bytes + a read chunk): a longer line is
 * counted skipped-bad once and its bytes are dropped up to the next newline. A follower's
 * cursor offset is always the start of the first line not yet handed over (while an
 * over-long line is being dropped, its start), so a restart re-reads at most one line.
 *
 * Following: each poll first checks the open file (smaller than what was read: truncated;
 * its first bytes changed: replaced; both read again from 0), reads to its end, then looks
 * at the path: another inode there means rotation, so the old file is read to its end (a
 * last line without '\n' included, it will not grow) before the new one is opened at 0. A
 * gzip file is decompressed in one go; if the callback stops in the middle, the next poll
 * decompresses again and skips the lines already handed over. After a restart, a cursor
 * whose inode is no longer at the path is looked for in the same directory (rotated by
 * renaming) and finished first; when it is gone, lost_files and lost_bytes say so.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "netlog_int.h"

#define CHUNK    (64 * 1024)
#define HEAD_MAX 256

typedef struct net_lines {
    char *buf;
    size_t len, cap;
    bool skipping;                 /* dropping the rest of an over-long line */
    unsigned long long skip_lines; /* lines to pass over (already handed over before) */
    unsigned long long lines_done; /* lines consumed from this file */
} net_lines;

struct wp_netlog_follower {
    char *path;
    int fd;
    uint64_t dev, ino, size;
    uint64_t read_pos;   /* bytes read from fd */
    uint64_t line_start; /* the cursor offset */
    unsigned char head[HEAD_MAX];
    uint32_t head_len;
    bool gz;
    bool fresh;   /* the parser is reset before the file's first line */
    bool restore; /* resumed mid-file: its '#' header lines are read again, quietly */
    bool old;     /* fd is a rotated file being finished; then the path is opened */
    unsigned long long gz_lines; /* lines of a gzip file handed over in earlier polls */
    bool have_cur;
    wp_netlog_cursor cur;
    net_lines L;
    wp_netlog_file_stats st;
};

static void WP_PRINTF(3, 4) seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static wp_status
lines_alloc(net_lines *L, const wp_netlog_parser *p)
{
    size_t want = p->lim.max_line_bytes + 2 + CHUNK;
    if (L->cap >= want)
        return WP_OK;
    char *b = realloc(L->buf, want);
    if (b == NULL)
        return WP_ENOMEM;
    L->buf = b;
    L->cap = want;
    return WP_OK;
}

static void
lines_clear(net_lines *L)
{
    L->len = 0;
    L->skipping = false;
    L->skip_lines = 0;
    L->lines_done = 0;
}

static wp_status
one_line(net_lines *L, wp_netlog_parser *p, const char *s, size_t n, wp_net_record_fn fn, void *ctx)
{
    L->lines_done++;
    if (L->skip_lines > 0) {
        /* handed over before (and counted then): only the layout is taken again */
        unsigned long long ln = p->lineno;
        L->skip_lines--;
        net_restore_header(p, s, n);
        p->lineno = ln;
        return WP_OK;
    }
    return wp_netlog_feed_line(p, s, n, fn, ctx);
}

/* Hand over the complete lines in L (all of it when final); *back gets how far before the
 * buffer's end an over-long line began when dropping one starts (else left alone). */
static wp_status
lines_run(net_lines *L, wp_netlog_parser *p, wp_net_record_fn fn, void *ctx, bool final,
          uint64_t *back)
{
    const size_t max = p->lim.max_line_bytes;
    const char *q = L->buf, *end = L->buf + L->len;
    wp_status s = WP_OK;
    while (q < end) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        if (nl == NULL)
            break;
        size_t n = (size_t)(nl - q);
        if (L->skipping) {
            L->skipping = false;
            p->st.bytes += n;
        } else {
            s = one_line(L, p, q, n, fn, ctx);
        }
        p->st.bytes++;
        q = nl + 1;
        if (s != WP_OK)
            break;
    }
    size_t rem = (size_t)(end - q);
    if (s == WP_OK && rem > 0) {
        if (final && !L->skipping) {
            s = one_line(L, p, q, rem, fn, ctx);
            rem = 0;
        } else if (L->skipping) {
            p->st.bytes += rem; /* still inside the over-long line (its end when final) */
            rem = 0;
        } else if (rem > max + 1) {
            net_line_too_long(p, rem);
            L->lines_done++;
            L->skipping = true;
            if (back != NULL)
                *back = rem;
            p->st.bytes += rem;
            rem = 0;
        }
        if (rem == 0)
            q = end;
    }
    if (final && s == WP_OK)
        L->skipping = false;
    memmove(L->buf, q, rem);
    L->len = rem;
    return s;
}

static bool
is_gzip(int fd, uint64_t at)
{
    unsigned char m[2];
    return pread(fd, m, 2, (off_t)at) == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

/* Decompress from *pos to the end of the file, members one after another. */
static wp_status
gz_run(int fd, uint64_t *pos, net_lines *L, wp_netlog_parser *p, wp_net_record_fn fn, void *ctx,
       const char *path, char *err, size_t errlen)
{
    unsigned char *in = malloc(CHUNK);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (in == NULL || inflateInit2(&z, 15 + 16) != Z_OK) {
        free(in);
        return WP_ENOMEM;
    }
    wp_status s = WP_OK;
    bool in_member = false, any = false;
    for (;;) {
        if (z.avail_in == 0) {
            ssize_t r = pread(fd, in, CHUNK, (off_t)*pos);
            if (r < 0) {
                seterr(err, errlen, "%s: %s", path, strerror(errno));
                s = WP_EIO;
                goto out;
            }
            if (r == 0)
                break;
            *pos += (uint64_t)r;
            z.next_in = in;
            z.avail_in = (uInt)r;
        }
        if (!in_member) {
            /* another member must start here; anything else is not gzip data */
            if (z.next_in[0] != 0x1f || (z.avail_in > 1 && z.next_in[1] != 0x8b)) {
                seterr(err, errlen, "%s: %s", path,
                       any ? "data after the last gzip member ignored" : "not gzip data");
                s = WP_EPARSE;
                break;
            }
            inflateReset(&z);
            in_member = any = true;
        }
        z.next_out = (unsigned char *)L->buf + L->len;
        z.avail_out = (uInt)(L->cap - L->len);
        int zr = inflate(&z, Z_NO_FLUSH);
        L->len = L->cap - z.avail_out;
        if (zr == Z_STREAM_END) {
            in_member = false;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            seterr(err, errlen, "%s: corrupt gzip data (%s)", path, z.msg ? z.msg : "inflate");
            s = WP_EPARSE;
            break;
        }
        s = lines_run(L, p, fn, ctx, false, NULL);
        if (s != WP_OK)
            goto out;
    }
    if (s == WP_OK && in_member) {
        seterr(err, errlen, "%s: %s", path, "gzip data truncated");
        s = WP_EPARSE;
    }
    /* the last line, even after a gzip error: what was decompressed is counted */
    wp_status s2 = lines_run(L, p, fn, ctx, true, NULL);
    if (s2 != WP_OK)
        s = s2;
out:
    inflateEnd(&z);
    free(in);
    return s;
}

wp_status
wp_netlog_read_file(wp_netlog_parser *p, const char *path, wp_net_record_fn fn, void *ctx,
                    char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (p == NULL || path == NULL || fn == NULL)
        return WP_EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return WP_EIO;
    }
    net_lines L = {0};
    wp_status s = lines_alloc(&L, p);
    if (s != WP_OK)
        goto out;
    wp_netlog_parser_reset(p, path);
    uint64_t pos = 0;
    if (is_gzip(fd, 0)) {
        s = gz_run(fd, &pos, &L, p, fn, ctx, path, err, errlen);
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, L.buf + L.len, L.cap - L.len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            seterr(err, errlen, "%s: %s", path, strerror(errno));
            s = WP_EIO;
            goto out;
        }
        L.len += (size_t)r;
        s = lines_run(&L, p, fn, ctx, r == 0, NULL);
        if (s != WP_OK || r == 0)
            break;
    }
out:
    free(L.buf);
    close(fd);
    return s;
}

/* ---- following ---- */

wp_status
wp_netlog_follower_new(const char *path, const wp_netlog_cursor *cur, wp_netlog_follower **out)
{
    if (path == NULL || *path == '\0' || out == NULL)
        return WP_EINVAL;
    wp_netlog_follower *f = calloc(1, sizeof *f);
    if (f == NULL || (f->path = strdup(path)) == NULL) {
        free(f);
        return WP_ENOMEM;
    }
    f->fd = -1;
    if (cur != NULL) {
        f->have_cur = true;
        f->cur = *cur;
        if (f->cur.head_len > HEAD_MAX)
            f->cur.head_len = HEAD_MAX;
    }
    *out = f;
    return WP_OK;
}

void
wp_netlog_follower_free(wp_netlog_follower *f)
{
    if (f == NULL)
        return;
    if (f->fd >= 0)
        close(f->fd);
    free(f->L.buf);
    free(f->path);
    free(f);
}

void
wp_netlog_follower_cursor(const wp_netlog_follower *f, wp_netlog_cursor *cur)
{
    if (f == NULL || cur == NULL)
        return;
    if (f->fd < 0) {
        if (f->have_cur)
            *cur = f->cur;
        else
            memset(cur, 0, sizeof *cur);
        return;
    }
    cur->dev = f->dev;
    cur->ino = f->ino;
    cur->offset = f->line_start;
    cur->head_len = f->head_len;
    cur->head_hash = net_fnv64(f->head, f->head_len);
    cur->size = f->size;
}

const wp_netlog_file_stats *
wp_netlog_follower_stats(const wp_netlog_follower *f)
{
    return f ? &f->st : NULL;
}

/* Start (again) at the beginning of the open file. */
static void
from_start(wp_netlog_follower *f)
{
    f->read_pos = f->line_start = 0;
    f->head_len = 0;
    f->fresh = true;
    f->restore = false;
    f->gz_lines = 0;
    f->gz = is_gzip(f->fd, 0);
    lines_clear(&f->L);
}

static void
adopt(wp_netlog_follower *f, int fd, const struct stat *sb)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = fd;
    f->dev = (uint64_t)sb->st_dev;
    f->ino = (uint64_t)sb->st_ino;
    f->size = (uint64_t)sb->st_size;
}

/* The first n bytes of fd hash to h (read into f->head when they do). */
static bool
head_matches(wp_netlog_follower *f, int fd, uint32_t n, uint64_t h)
{
    if (pread(fd, f->head, n, 0) != (ssize_t)n || net_fnv64(f->head, n) != h)
        return false;
    f->head_len = n;
    return true;
}

/* Continue at the cursor in the open file. */
static void
resume(wp_netlog_follower *f, const wp_netlog_cursor *c)
{
    f->read_pos = f->line_start = c->offset;
    f->fresh = true;
    f->gz = is_gzip(f->fd, 0);
    f->restore = c->offset > 0 && !f->gz;
    f->gz_lines = 0;
    lines_clear(&f->L);
}

static char *
find_by_inode(const char *path, uint64_t dev, uint64_t ino)
{
    const char *slash = strrchr(path, '/');
    size_t dn = slash ? (size_t)(slash - path) : 1;
    char *dir = slash ? strndup(path, dn == 0 ? 1 : dn) : strdup(".");
    if (dir == NULL)
        return NULL;
    DIR *d = opendir(dir);
    char *found = NULL;
    struct dirent *e;
    while (d != NULL && found == NULL && (e = readdir(d)) != NULL) {
        if ((uint64_t)e->d_ino != ino)
            continue;
        char *full = NULL;
        if (asprintf(&full, "%s/%s", dir, e->d_name) < 0)
            break;
        struct stat sb;
        if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_dev == dev &&
            (uint64_t)sb.st_ino == ino)
            found = full;
        else
            free(full);
    }
    if (d != NULL)
        closedir(d);
    free(dir);
    return found;
}

/* Open the path. With a cursor from a previous run: resume, or notice what happened to
 * the file since. Returns WP_ENOTFOUND when the path does not exist (yet). */
static wp_status
open_path(wp_netlog_follower *f, char *err, size_t errlen)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0) {
        if (errno == ENOENT)
            return WP_ENOTFOUND;
        seterr(err, errlen, "%s: %s", f->path, strerror(errno));
        return WP_EIO;
    }
    if (fstat(fd, &sb) != 0) {
        seterr(err, errlen, "%s: %s", f->path, strerror(errno));
        close(fd);
        return WP_EIO;
    }
    bool had = f->have_cur;
    wp_netlog_cursor c = f->cur;
    f->have_cur = false;
    if (had && c.dev == (uint64_t)sb.st_dev && c.ino == (uint64_t)sb.st_ino) {
        adopt(f, fd, &sb);
        if ((uint64_t)sb.st_size < c.offset) {
            f->st.truncations++;
            from_start(f);
        } else if (c.head_len > 0 && !head_matches(f, fd, c.head_len, c.head_hash)) {
            f->st.replacements++;
            from_start(f);
        } else {
            resume(f, &c);
        }
        return WP_OK;
    }
    if (had && c.offset > 0) {
        /* rotated while we were not running: finish the old file first when it is here */
        char *old = find_by_inode(f->path, c.dev, c.ino);
        int ofd = old ? open(old, O_RDONLY | O_CLOEXEC) : -1;
        struct stat osb;
        free(old);
        f->st.rotations++;
        if (ofd >= 0 && fstat(ofd, &osb) == 0 && (uint64_t)osb.st_size >= c.offset &&
            (c.head_len == 0 || head_matches(f, ofd, c.head_len, c.head_hash))) {
            close(fd);
            adopt(f, ofd, &osb);
            resume(f, &c);
            f->old = true;
            return WP_OK;
        }
        if (ofd >= 0)
            close(ofd);
        f->st.lost_files++;
        f->st.lost_bytes += c.size > c.offset ? c.size - c.offset : 0;
    }
    adopt(f, fd, &sb);
    from_start(f);
    return WP_OK;
}

/* Re-read the leading '#' lines of a file resumed mid-way: the TSV layout, no counting. */
static void
restore_header(wp_netlog_follower *f, wp_netlog_parser *p)
{
    uint64_t pos = 0;
    char *b = f->L.buf; /* empty at this point */
    size_t cap = p->lim.max_line_bytes + 2;
    while (pos < f->line_start) {
        ssize_t r = pread(f->fd, b, cap, (off_t)pos);
        if (r <= 0 || b[0] != '#')
            break;
        char *nl = memchr(b, '\n', (size_t)r);
        if (nl == NULL)
            break;
        net_restore_header(p, b, (size_t)(nl - b));
        pos += (uint64_t)(nl - b) + 1;
    }
    p->lineno = 0; /* line numbers count what is read from the cursor on */
}

/* Read the open file to its end (final: its last line even without '\n'). */
static wp_status
drain(wp_netlog_follower *f, wp_netlog_parser *p, wp_net_record_fn fn, void *ctx, bool final,
      char *err, size_t errlen)
{
    wp_status s = lines_alloc(&f->L, p);
    if (s != WP_OK)
        return s;
    if (f->fresh) {
        wp_netlog_parser_reset(p, f->path);
        f->fresh = false;
        if (f->restore)
            restore_header(f, p);
        f->restore = false;
    }
    struct stat sb;
    if (fstat(f->fd, &sb) == 0)
        f->size = (uint64_t)sb.st_size;
    /* the first bytes, to notice a replaced file later */
    uint32_t want = f->size < HEAD_MAX ? (uint32_t)f->size : HEAD_MAX;
    if (want > f->head_len) {
        ssize_t r = pread(f->fd, f->head + f->head_len, want - f->head_len, f->head_len);
        if (r > 0)
            f->head_len += (uint32_t)r;
    }
    if (f->gz) {
        if (f->read_pos >= f->size)
            return WP_OK;
        uint64_t pos = f->read_pos;
        lines_clear(&f->L);
        f->L.skip_lines = f->gz_lines;
        s = gz_run(f->fd, &pos, &f->L, p, fn, ctx, f->path, err, errlen);
        if (s == WP_EINVAL) {
            f->gz_lines = f->L.lines_done; /* stopped: again from the member start */
            return s;
        }
        f->read_pos = f->line_start = pos;
        f->gz_lines = 0;
        return s;
    }
    for (;;) {
        if (f->L.len > 0 || final) {
            uint64_t back = 0;
            s = lines_run(&f->L, p, fn, ctx, false, &back);
            if (back > 0)
                f->line_start = f->read_pos - back;
            else if (!f->L.skipping)
                f->line_start = f->read_pos - f->L.len;
            if (s != WP_OK)
                return s;
        }
        ssize_t r = pread(f->fd, f->L.buf + f->L.len, f->L.cap - f->L.len, (off_t)f->read_pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            seterr(err, errlen, "%s: %s", f->path, strerror(errno));
            return WP_EIO;
        }
        if (r == 0)
            break;
        f->read_pos += (uint64_t)r;
        f->L.len += (size_t)r;
    }
    if (final) {
        s = lines_run(&f->L, p, fn, ctx, true, NULL);
        if (s == WP_OK)
            f->line_start = f->read_pos;
    }
    return s;
}

/* Truncated or replaced since the last poll: read again from 0. */
static void
check_same(wp_netlog_follower *f)
{
    struct stat sb;
    if (fstat(f->fd, &sb) != 0)
        return;
    if ((uint64_t)sb.st_size < f->read_pos) {
        f->st.truncations++;
        from_start(f);
        return;
    }
    unsigned char now[HEAD_MAX];
    if (f->head_len > 0 && (pread(f->fd, now, f->head_len, 0) != (ssize_t)f->head_len ||
                            memcmp(now, f->head, f->head_len) != 0)) {
        f->st.replacements++;
        from_start(f);
    }
}

wp_status
wp_netlog_follower_poll(wp_netlog_follower *f, wp_netlog_parser *p, wp_net_record_fn fn, void *ctx,
                        size_t *n_records, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (n_records != NULL)
        *n_records = 0;
    if (f == NULL || p == NULL || fn == NULL)
        return WP_EINVAL;
    unsigned long long before = p->st.records;
    wp_status s = WP_OK;
    if (f->fd < 0) {
        s = open_path(f, err, errlen);
        if (s != WP_OK) {
            s = s == WP_ENOTFOUND ? WP_OK : s;
            goto out;
        }
    }
    for (int round = 0; round < 4; round++) {
        if (f->old) {
            s = drain(f, p, fn, ctx, true, err, errlen);
            if (s != WP_OK)
                goto out;
            f->old = false;
            close(f->fd);
            f->fd = -1;
            s = open_path(f, err, errlen);
            if (s != WP_OK) {
                s = s == WP_ENOTFOUND ? WP_OK : s;
                goto out;
            }
            continue;
        }
        check_same(f);
        s = drain(f, p, fn, ctx, false, err, errlen);
        if (s != WP_OK)
            goto out;
        struct stat sb;
        if (stat(f->path, &sb) != 0 ||
            ((uint64_t)sb.st_dev == f->dev && (uint64_t)sb.st_ino == f->ino))
            break; /* unchanged, or gone for now (being rotated) */
        f->st.rotations++;
        f->old = true;
    }
out:
    if (n_records != NULL)
        *n_records = (size_t)(p->st.records - before);
    return s;
}
