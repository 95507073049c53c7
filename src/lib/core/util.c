/*
 * util.c - byte/string helpers and message digests (OpenSSL EVP).
 */
#include "util.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *
wp_memcasemem(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    if (nlen == 0)
        return hay;
    if (hlen < nlen)
        return NULL;
    char lo = (char)tolower((unsigned char)needle[0]);
    char up = (char)toupper((unsigned char)needle[0]);
    const char *last = hay + hlen - nlen; /* last possible start */
    /* Next occurrence of each case of the first byte, found with memchr and kept until passed,
     * so every byte is looked at a bounded number of times: linear in hlen (a rescan of the
     * remainder for a case that does not occur made this quadratic; found by fuzzing). */
    const char *a = NULL, *b = NULL;
    bool a_gone = false, b_gone = lo == up;
    for (const char *p = hay; p <= last;) {
        if (!a_gone && (a == NULL || a < p)) {
            a = memchr(p, lo, (size_t)(last - p) + 1);
            a_gone = a == NULL;
        }
        if (!b_gone && (b == NULL || b < p)) {
            b = memchr(p, up, (size_t)(last - p) + 1);
            b_gone = b == NULL;
        }
        const char *c = a_gone ? (b_gone ? NULL : b) : (b_gone || a < b ? a : b);
        if (c == NULL)
            return NULL;
        if (strncasecmp(c, needle, nlen) == 0)
            return c;
        p = c + 1;
    }
    return NULL;
}

bool
wp_has_prefix_ci(const char *s, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    return n >= pl && strncasecmp(s, prefix, pl) == 0;
}

wp_status
wp_str_replace(char **slot, const char *value)
{
    char *c = strdup(value);
    if (c == NULL)
        return WP_ENOMEM;
    free(*slot);
    *slot = c;
    return WP_OK;
}

double
wp_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
wp_ascii_lower(char *s)
{
    for (; s != NULL && *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + 32);
}

void
wp_extension(const char *name, char *buf, size_t buflen)
{
    buf[0] = '\0';
    if (name == NULL || buflen == 0)
        return;
    const char *dot = strrchr(name, '.');
    if (dot == NULL || dot[1] == '\0')
        return;
    size_t i = 0;
    for (const char *p = dot + 1; *p && i + 1 < buflen; p++) {
        if (*p == ' ' || *p == '/')
            break;
        buf[i++] = (char)tolower((unsigned char)*p);
    }
    buf[i] = '\0';
}

static void
hex(const unsigned char *d, unsigned n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* OpenSSL 3 looks an algorithm up by name on every EVP_Digest(EVP_md5()) call; fetching the
 * three once saves that on every part (callgrind: a third of hashing time). The fetched
 * objects are immutable and shared by all threads for the life of the process. */
static EVP_MD *md_md5, *md_sha1, *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
md_fetch(void)
{
    md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void
digest(const uint8_t *data, size_t len, const EVP_MD *fetched, const EVP_MD *legacy, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(data, len, md, &n, fetched ? fetched : legacy, NULL) != 1) {
        out[0] = '\0';
        return;
    }
    hex(md, n, out);
}

void
wp_hash_all(const uint8_t *data, size_t len, wp_hashes *out)
{
    pthread_once(&md_once, md_fetch);
    digest(data, len, md_md5, EVP_md5(), out->md5);
    digest(data, len, md_sha1, EVP_sha1(), out->sha1);
    digest(data, len, md_sha256, EVP_sha256(), out->sha256);
}

const void *
wp_memmem_rare(const void *hay, size_t n, const char *needle, size_t m, size_t rare)
{
    const unsigned char *h = hay;
    if (m == 0 || m > n || rare >= m)
        return m == 0 ? hay : NULL;
    /* candidate positions of the rare byte: [rare, n - m + rare] */
    const unsigned char *p = h + rare, *last = h + (n - m) + rare;
    while (p <= last) {
        p = memchr(p, (unsigned char)needle[rare], (size_t)(last - p) + 1);
        if (p == NULL)
            return NULL;
        if (memcmp(p - rare, needle, m) == 0)
            return p - rare;
        p++;
    }
    return NULL;
}
