/*
 * tls.c - the server's certificate: the configured PEM pair, or a self-signed one made on
 * the first start and kept (mode 0600) beside the store, so that the fingerprint an analyst
 * pinned stays the same across restarts. EC P-256, valid ten years, names localhost,
 * 127.0.0.1, ::1 and the host name. The SHA-256 fingerprint is printed at start-up: on a
 * closed network that is how a browser's warning is checked by a person.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tls.h"

static char *
slurp(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        (void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(65537);
    size_t n = buf != NULL ? fread(buf, 1, 65536, f) : 0;
    (void)fclose(f);
    if (buf == NULL || n == 0 || n == 65536) {
        (void)snprintf(err, errlen, "%s: empty, unreadable or larger than 64 KiB", path);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static bool
add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    bool ok = ex != NULL && X509_add_ext(x, ex, -1) == 1;
    X509_EXTENSION_free(ex);
    return ok;
}

/* PEM text of a new key and its self-signed certificate. */
static bool
make_pair(char **key_pem, char **cert_pem)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    char host[256] = "localhost", san[600];
    (void)gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    (void)snprintf(san, sizeof san, "DNS:localhost,IP:127.0.0.1,IP:::1,DNS:%s", host);
    bool ok = pk != NULL && x != NULL && X509_set_version(x, 2) == 1;
    if (ok) {
        unsigned char serial[16] = {0};
        FILE *r = fopen("/dev/urandom", "rb");
        ok = r != NULL && fread(serial, 1, sizeof serial, r) == sizeof serial;
        if (r != NULL)
            (void)fclose(r);
        serial[0] &= 0x7f;
        BIGNUM *bn = ok ? BN_bin2bn(serial, sizeof serial, NULL) : NULL;
        ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
        BN_free(bn);
    }
    if (ok) {
        X509_NAME *n = X509_get_subject_name(x);
        ok = X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"watchpost",
                                        -1, -1, 0) == 1 &&
             X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)host, -1, -1,
                                        0) == 1 &&
             X509_set_issuer_name(x, n) == 1 &&
             X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
             X509_gmtime_adj(X509_getm_notAfter(x), 10L * 366 * 86400) != NULL &&
             X509_set_pubkey(x, pk) == 1 && add_ext(x, NID_subject_alt_name, san) &&
             add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, NID_ext_key_usage, "serverAuth") && X509_sign(x, pk, EVP_sha256()) > 0;
    }
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    ok = ok && kb != NULL && cb != NULL &&
         PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL) == 1 &&
         PEM_write_bio_X509(cb, x) == 1;
    if (ok) {
        char *p;
        long n = BIO_get_mem_data(kb, &p);
        *key_pem = strndup(p, (size_t)n);
        n = BIO_get_mem_data(cb, &p);
        *cert_pem = strndup(p, (size_t)n);
        ok = *key_pem != NULL && *cert_pem != NULL;
    }
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(pk);
    return ok;
}

static bool
write_private(const char *path, const char *text, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    size_t n = strlen(text);
    bool ok = fd >= 0 && write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    if (!ok)
        (void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
    if (fd >= 0)
        (void)close(fd);
    return ok;
}

bool
wps_tls_load(const char *cert, const char *key, const char *dir, wps_tls *out, char *err,
             size_t errlen)
{
    memset(out, 0, sizeof(*out));
    char cpath[4096], kpath[4096];
    if (cert == NULL || key == NULL) {
        (void)snprintf(cpath, sizeof cpath, "%s/serve-cert.pem", dir);
        (void)snprintf(kpath, sizeof kpath, "%s/serve-key.pem", dir);
        if (access(cpath, F_OK) != 0 && access(kpath, F_OK) != 0) {
            char *k = NULL, *c = NULL;
            if (!make_pair(&k, &c)) {
                (void)snprintf(err, errlen, "cannot make a self-signed certificate");
                free(k);
                free(c);
                return false;
            }
            bool ok = write_private(kpath, k, err, errlen) && write_private(cpath, c, err, errlen);
            free(k);
            free(c);
            if (!ok)
                return false;
            out->generated = true;
        }
        cert = cpath;
        key = kpath;
    }
    out->cert_pem = slurp(cert, err, errlen);
    out->key_pem = out->cert_pem != NULL ? slurp(key, err, errlen) : NULL;
    if (out->key_pem == NULL) {
        wps_tls_free(out);
        return false;
    }
    (void)snprintf(out->cert_path, sizeof out->cert_path, "%s", cert);
    /* the fingerprint a person compares with the browser's */
    BIO *b = BIO_new_mem_buf(out->cert_pem, -1);
    X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    unsigned char md[32];
    unsigned int mdn = 0;
    if (x == NULL || X509_digest(x, EVP_sha256(), md, &mdn) != 1) {
        (void)snprintf(err, errlen, "%s: not a PEM certificate", cert);
        X509_free(x);
        BIO_free(b);
        wps_tls_free(out);
        return false;
    }
    for (size_t i = 0; i < mdn && i < 32; i++)
        (void)snprintf(out->fingerprint + 3 * i, 4, "%02X%s", md[i], i + 1 < mdn ? ":" : "");
    X509_free(x);
    BIO_free(b);
    return true;
}

void
wps_tls_free(wps_tls *t)
{
    free(t->cert_pem);
    if (t->key_pem != NULL)
        OPENSSL_cleanse(t->key_pem, strlen(t->key_pem));
    free(t->key_pem);
    t->cert_pem = t->key_pem = NULL;
}
