/*
 * tls.h - the server's certificate and key (tls.c).
 */
#ifndef WATCHPOST_SERVE_TLS_H
#define WATCHPOST_SERVE_TLS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wps_tls {
    char *cert_pem, *key_pem;
    char fingerprint[3 * 32 + 1]; /* SHA-256, "AB:CD:..." */
    char cert_path[4096];
    bool generated; /* made on this start */
} wps_tls;

/* The configured pair, or dir/serve-{cert,key}.pem, made (self-signed) when neither exists. */
bool wps_tls_load(const char *cert, const char *key, const char *dir, wps_tls *out, char *err,
                  size_t errlen);
void wps_tls_free(wps_tls *t);

#endif
