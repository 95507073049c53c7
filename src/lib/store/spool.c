/*
 * spool.c - quarantined messages on disk, one file per message: <ref>.eml, mode 0600, in
 * the spool directory (0700).
 *
 * A file is written to ".tmp-<ref>" (O_EXCL, O_NOFOLLOW), fsynced, closed, renamed to its
 * final name without replacing anything, and then the directory is fsynced so the name
 * itself survives a power cut. Any failure along the way (a full disk, EFBIG, EIO at fsync
 * or close) removes what was written and returns WP_EIO naming the path: the caller answers
 * the SMTP client with a temporary failure and nothing is half-kept. The reference is 64
 * random bits from getrandom(), in hex: unguessable, and the name the SMTP reply gives.
 * All paths are relative to the directory's descriptor, so a renamed or replaced spool path
 * does not redirect writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_int.h"

#define PATH_TMP_PREFIX ".tmp-"
#define PATH_SUFFIX     ".eml"

void
wp_spool_new_ref(char ref[WP_QUARANTINE_REF_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[8];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n > 0) {
            got += (size_t)n;
        } else if (n < 0 && errno != EINTR) {
            /* no entropy source: fall back to time and address bits; O_EXCL and
             * RENAME_NOREPLACE still keep names unique */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            unsigned long long x = (unsigned long long)ts.tv_nsec ^
                                   ((unsigned long long)ts.tv_sec << 20) ^
                                   (unsigned long long)(uintptr_t)&ts;
            for (size_t i = got; i < sizeof r; i++, x >>= 8)
                r[i] = (unsigned char)x;
            got = sizeof r;
        }
    }
    for (size_t i = 0; i < sizeof r; i++) {
        ref[2 * i] = hex[r[i] >> 4];
        ref[2 * i + 1] = hex[r[i] & 15];
    }
    ref[WP_QUARANTINE_REF_SIZE - 1] = '\0';
}

/* A reference names a file: only 16 lower-case hex digits are accepted, so "../x" or
 * "a/b" never reach a path. */
bool
wp_spool_ref_valid(const char *ref)
{
    if (ref == NULL || strlen(ref) != WP_QUARANTINE_REF_SIZE - 1)
        return false;
    for (const char *p = ref; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static void
names(const char *ref, char tmp[64], char final[64])
{
    snprintf(tmp, 64, PATH_TMP_PREFIX "%s", ref);
    snprintf(final, 64, "%s" PATH_SUFFIX, ref);
}

static wp_status
io_fail(wp_store *s, const char *name, const char *what, int e, char *err, size_t errlen)
{
    snprintf(err, errlen, "quarantine spool %s/%s: %s: %s", s->spool_dir, name, what, strerror(e));
    return WP_EIO;
}

static bool
write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* One attempt under one reference: WP_OK, WP_EIO (err set), or WP_ENOTFOUND meaning the
 * name was taken and another reference should be tried. */
static wp_status
write_once(wp_store *s, const uint8_t *data, size_t len, const char *ref, char *err, size_t errlen)
{
    char tmp[64], final[64];
    names(ref, tmp, final);
    int fd = openat(s->spool_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return errno == EEXIST ? WP_ENOTFOUND
                               : io_fail(s, tmp, "cannot create", errno, err, errlen);
    const char *what = NULL;
    if (!write_all(fd, data, len))
        what = "cannot write";
    else if (fsync(fd) != 0)
        what = "cannot fsync";
    int e = errno;
    if (close(fd) != 0 && what == NULL) {
        what = "cannot close";
        e = errno;
    }
    if (what != NULL) {
        unlinkat(s->spool_fd, tmp, 0);
        return io_fail(s, tmp, what, e, err, errlen);
    }
    if (renameat2(s->spool_fd, tmp, s->spool_fd, final, RENAME_NOREPLACE) != 0) {
        e = errno;
        unlinkat(s->spool_fd, tmp, 0);
        return e == EEXIST ? WP_ENOTFOUND : io_fail(s, final, "cannot rename", e, err, errlen);
    }
    if (fsync(s->spool_fd) != 0) {
        e = errno;
        unlinkat(s->spool_fd, final, 0);
        return io_fail(s, final, "cannot fsync the directory", e, err, errlen);
    }
    return WP_OK;
}

wp_status
wp_spool_write(wp_store *s, const uint8_t *data, size_t len, char ref[WP_QUARANTINE_REF_SIZE],
               char *err, size_t errlen)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        wp_spool_new_ref(ref);
        wp_status st = write_once(s, data, len, ref, err, errlen);
        if (st != WP_ENOTFOUND)
            return st;
    }
    snprintf(err, errlen, "quarantine spool %s: no free name after 4 random references",
             s->spool_dir);
    return WP_EIO;
}

wp_status
wp_spool_read(wp_store *s, const char *ref, uint64_t max, uint8_t **data, size_t *len, char *err,
              size_t errlen)
{
    char tmp[64], final[64];
    names(ref, tmp, final);
    int fd = openat(s->spool_fd, final, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        io_fail(s, final, "cannot open", e, err, errlen);
        return e == ENOENT ? WP_ENOTFOUND : WP_EIO;
    }
    struct stat sb;
    wp_status ret = WP_OK;
    uint8_t *buf = NULL;
    if (fstat(fd, &sb) != 0) {
        ret = io_fail(s, final, "cannot stat", errno, err, errlen);
        goto out;
    }
    if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
        snprintf(err, errlen, "quarantine spool %s/%s: not a regular file of at most %llu bytes",
                 s->spool_dir, final, (unsigned long long)max);
        ret = WP_EPARSE;
        goto out;
    }
    size_t n = (size_t)sb.st_size, got = 0;
    if ((buf = malloc(n + 1)) == NULL) {
        snprintf(err, errlen, "quarantine spool %s/%s: out of memory", s->spool_dir, final);
        ret = WP_ENOMEM;
        goto out;
    }
    while (got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            ret = k == 0 ? WP_EPARSE : io_fail(s, final, "cannot read", errno, err, errlen);
            if (k == 0)
                snprintf(err, errlen, "quarantine spool %s/%s: shorter than it was", s->spool_dir,
                         final);
            goto out;
        }
        got += (size_t)k;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return ret;
}

wp_status
wp_spool_unlink(wp_store *s, const char *ref, bool *missing, char *err, size_t errlen)
{
    char tmp[64], final[64];
    names(ref, tmp, final);
    *missing = false;
    if (unlinkat(s->spool_fd, final, 0) != 0) {
        if (errno != ENOENT)
            return io_fail(s, final, "cannot delete", errno, err, errlen);
        *missing = true;
        return WP_OK;
    }
    if (fsync(s->spool_fd) != 0)
        return io_fail(s, final, "cannot fsync the directory after deleting", errno, err, errlen);
    return WP_OK;
}

wp_status
wp_spool_mtime(wp_store *s, const char *ref, long long *mtime, char *err, size_t errlen)
{
    char tmp[64], final[64];
    names(ref, tmp, final);
    struct stat sb;
    if (fstatat(s->spool_fd, final, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
        int e = errno;
        io_fail(s, final, "cannot stat", e, err, errlen);
        return e == ENOENT ? WP_ENOTFOUND : WP_EIO;
    }
    *mtime = (long long)sb.st_mtim.tv_sec;
    return WP_OK;
}

void
wp_spool_sha256(const uint8_t *data, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32) {
        out[0] = '\0';
        return;
    }
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}
