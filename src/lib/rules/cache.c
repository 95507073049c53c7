/*
 * cache.c - compiled Hyperscan databases kept on disk between runs (as rspamd's hs_cache).
 *
 * Hyperscan compiles a few hundred caseless phrase patterns in seconds; every `watchpost scan`
 * and every engine a test creates would pay that. A database is therefore stored, serialized,
 * under the SHA-256 of everything that determines it (Hyperscan version, every expression's
 * pattern, flags and id) and reloaded when the same rules come back: a changed rule changes
 * the key, so a stale entry is never used (old entries are simply left behind; the directory
 * may be emptied at any time).
 *
 * Trust: a serialized database is code-like input to Hyperscan, so the cache is only used in
 * a directory owned by this user and writable by no one else, and only files owned by this
 * user are read. Writes go to a temporary file renamed into place, so concurrent processes
 * never see half a database. Any failure just means compiling again.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules.h"

#define CACHE_MAX_BYTES (64u * 1024u * 1024u) /* a serialized database larger is not read */

/* The default directory: $XDG_CACHE_HOME/watchpost or $HOME/.cache/watchpost. */
bool
wp_rules_cache_default(char *buf, size_t cap)
{
    const char *x = getenv("XDG_CACHE_HOME");
    const char *h = getenv("HOME");
    int n;
    if (x != NULL && x[0] == '/')
        n = snprintf(buf, cap, "%s/watchpost", x);
    else if (h != NULL && h[0] == '/')
        n = snprintf(buf, cap, "%s/.cache/watchpost", h);
    else
        return false;
    return n > 0 && (size_t)n < cap;
}

static bool
dir_trusted(const char *dir, bool create)
{
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        if (!create || errno != ENOENT)
            return false;
        /* the parent (~/.cache) may be missing too; one level is enough */
        char parent[4096];
        snprintf(parent, sizeof parent, "%s", dir);
        char *slash = strrchr(parent, '/');
        if (slash != NULL && slash != parent) {
            *slash = '\0';
            (void)mkdir(parent, 0700);
        }
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return false;
        if (stat(dir, &sb) != 0)
            return false;
    }
    return S_ISDIR(sb.st_mode) && sb.st_uid == geteuid() && (sb.st_mode & 022) == 0;
}

void
wp_rules_cache_key(const char *const *expr, const unsigned *flags, const unsigned *ids, size_t n,
                   char hex[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    hex[0] = '\0';
    if (ctx == NULL)
        return;
    bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    const char *v = hs_version();
    ok = ok && EVP_DigestUpdate(ctx, "watchpost-hs-1\n", 15) == 1 &&
         EVP_DigestUpdate(ctx, v, strlen(v) + 1) == 1;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned long long hdr[3] = {flags[i], ids[i], strlen(expr[i])};
        ok = EVP_DigestUpdate(ctx, hdr, sizeof hdr) == 1 &&
             EVP_DigestUpdate(ctx, expr[i], strlen(expr[i])) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return;
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

hs_database_t *
wp_rules_cache_load(const char *dir, const char *key)
{
    if (dir == NULL || key[0] == '\0' || !dir_trusted(dir, false))
        return NULL;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s.hsdb", dir, key) >= (int)sizeof path)
        return NULL;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat sb;
    hs_database_t *db = NULL;
    char *buf = NULL;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
        (sb.st_mode & 022) != 0 || sb.st_size <= 0 ||
        (unsigned long long)sb.st_size > CACHE_MAX_BYTES)
        goto out;
    size_t n = (size_t)sb.st_size, got = 0;
    if ((buf = malloc(n)) == NULL)
        goto out;
    while (got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k <= 0)
            goto out;
        got += (size_t)k;
    }
    if (hs_deserialize_database(buf, n, &db) != HS_SUCCESS)
        db = NULL;
out:
    free(buf);
    close(fd);
    return db;
}

void
wp_rules_cache_store(const char *dir, const char *key, const hs_database_t *db)
{
    if (dir == NULL || key[0] == '\0' || !dir_trusted(dir, true))
        return;
    char *bytes = NULL;
    size_t n = 0;
    if (hs_serialize_database(db, &bytes, &n) != HS_SUCCESS)
        return;
    char tmp[4096], path[4096];
    int a = snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, key);
    int b = snprintf(path, sizeof path, "%s/%s.hsdb", dir, key);
    int fd = -1;
    if (a > 0 && (size_t)a < sizeof tmp && b > 0 && (size_t)b < sizeof path)
        fd = mkstemp(tmp);
    if (fd >= 0) {
        size_t put = 0;
        while (put < n) {
            ssize_t k = write(fd, bytes + put, n - put);
            if (k <= 0)
                break;
            put += (size_t)k;
        }
        bool ok = put == n;
        if (close(fd) != 0)
            ok = false;
        if (!ok || rename(tmp, path) != 0)
            unlink(tmp);
    }
    free(bytes); /* hs_serialize_database allocates with the default (libc) allocator */
}
