/*
 * auth_int.h - the pieces of the auth module and how they fit (internal to src/lib/auth).
 *
 *   module.c   settings, open/close, analyze: picks trust or check mode
 *   ar.c       bounded parser of Authentication-Results values (RFC 8601)
 *   trust.c    trust mode: believe the topmost A-R headers of our own authserv-ids
 *   dns.c      the configured resolver: one UDP (TCP on truncation) query at a time
 *   envelope.c client IP / HELO / MAIL FROM from the envelope or the headers; From domain
 *   spf.c      SPF with libspf2 over dns.c
 *   dkim.c     DKIM with libopendkim over dns.c; raw header splitting
 *   dmarc.c    DMARC with libopendmarc over dns.c; organisational domains
 *   check.c    check mode: SPF, DKIM, DMARC, findings
 */
#ifndef WATCHPOST_AUTH_INT_H
#define WATCHPOST_AUTH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "engine/scan.h"

/* ---- limits on hostile input (documented in docs/AUTH.md) ---- */
#define AUTH_MAX_AR_HEADERS   50         /* A-R headers examined per message */
#define AUTH_MAX_AR_BYTES     8192       /* one A-R value; longer ones are malformed */
#define AUTH_MAX_RESINFO      32         /* results per A-R header */
#define AUTH_MAX_DKIM_SIGS    5          /* DKIM-Signature headers verified */
#define AUTH_MAX_DKIM_SIG_LEN 16384      /* one DKIM-Signature header */
#define AUTH_MAX_HDR_BLOCK    (1u << 20) /* header bytes given to libopendkim */
#define AUTH_MAX_HDR_FIELDS   1000       /* header fields given to libopendkim */
#define AUTH_MAX_DNS_QUERIES  60         /* DNS queries per message, all checks */
#define AUTH_MAX_AUTHSERV_IDS 16

typedef enum auth_mode { AUTH_MODE_OFF, AUTH_MODE_TRUST, AUTH_MODE_CHECK } auth_mode;

typedef struct auth_resolver {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char label[96]; /* "127.0.0.1:5353" for evidence */
} auth_resolver;

typedef struct auth_settings {
    auth_mode mode;
    char *authserv_id[AUTH_MAX_AUTHSERV_IDS];
    size_t n_authserv_id;
    char *resolver; /* NULL: /etc/resolv.conf */
    int dns_timeout_ms;
    char *public_suffix_list; /* NULL: the system list when present */
} auth_settings;

typedef struct auth_state {
    auth_mode mode;
    char *authserv_id[AUTH_MAX_AUTHSERV_IDS];
    size_t n_authserv_id;
    auth_resolver resolver;
    int dns_timeout_ms;
    void *dkim_lib; /* DKIM_LIB *, check mode only */
} auth_state;

/* ---- ar.c ---- */
typedef struct auth_ar_prop {
    const char *key; /* "smtp.mailfrom", "header.d", "reason", "policy.dmarc" ... */
    const char *value;
} auth_ar_prop;

typedef struct auth_ar_result {
    const char *method;  /* lower case: "spf", "dkim", "dmarc", ... */
    const char *result;  /* lower case: "pass", "fail", ... */
    const char *comment; /* text of the first comment after the result, or NULL */
    auth_ar_prop props[8];
    size_t n_props;
} auth_ar_result;

typedef struct auth_ar {
    const char *authserv_id; /* lower case */
    auth_ar_result res[AUTH_MAX_RESINFO];
    size_t n_res;
    bool none; /* "; none" */
    char *buf; /* storage of every string above (malloc'd) */
} auth_ar;

/* Parse one A-R value. false with *why set when it does not parse; free with
 * auth_ar_free() either way. */
bool auth_ar_parse(const char *value, size_t len, auth_ar *out, const char **why);
void auth_ar_free(auth_ar *ar);
const char *auth_ar_prop_get(const auth_ar_result *r, const char *key);

/* ---- trust.c ---- */
/* Trust mode: findings from the topmost A-R headers of our authserv-ids. Both modes: note
 * A-R headers that claim a pass for an authserv-id that is not ours (check mode believes
 * none, and leaves those of our own ids alone). */
void auth_trust_analyze(wp_scan *s, const auth_state *st);
bool auth_is_trusted_id(const auth_state *st, const char *id);

/* ---- dns.c ---- */
typedef enum auth_dns_status {
    AUTH_DNS_OK,
    AUTH_DNS_NXDOMAIN,
    AUTH_DNS_NODATA,
    AUTH_DNS_TEMPFAIL
} auth_dns_status;

#define AUTH_DNS_MAX_RR 32
typedef struct auth_dns_answer {
    int n;
    struct {
        int type;
        size_t off, len; /* in pool; TXT strings joined and names NUL-terminated */
    } rr[AUTH_DNS_MAX_RR];
    unsigned char pool[16384];
    size_t used;
} auth_dns_answer;

/* One message's DNS session: after a timeout or refusal the resolver is treated as dead for
 * the rest of the message, so a blackholed resolver costs one timeout, not one per query. */
typedef struct auth_dns {
    const auth_resolver *res;
    int timeout_ms;
    int queries;
    bool dead;
    char error[160]; /* the first failure, for evidence */
} auth_dns;

/* "IP", "IP:port", "[IPv6]:port"; false with err set when it does not parse. */
bool auth_resolver_parse(const char *spec, auth_resolver *out, char *err, size_t errlen);
/* The first nameserver of /etc/resolv.conf (127.0.0.1:53 when there is none). */
void auth_resolver_system(auth_resolver *out);
void auth_dns_init(auth_dns *d, const auth_resolver *res, int timeout_ms);
auth_dns_status auth_dns_query(auth_dns *d, const char *name, int qtype, auth_dns_answer *ans);
/* The TXT records of name that start with prefix (case-insensitive); returns how many; the
 * first is copied to out (NUL-terminated, cut to outlen). */
int auth_dns_txt_prefixed(const auth_dns_answer *ans, const char *prefix, char *out, size_t outlen);

/* ---- envelope.c ---- */
typedef struct auth_envelope {
    char ip[64];
    char helo[256];
    char mail_from[320];
    char mail_domain[256]; /* domain of mail_from, or helo for the null sender */
    const char *source;    /* "SMTP envelope" or "headers (Received, Return-Path)" */
} auth_envelope;

bool auth_envelope_get(const wp_scan *s, auth_envelope *env);
/* Domain of the first address of a From value, lower case; false when none. *multiple is set
 * when the header names more than one address. */
bool auth_from_domain(const char *from, char *out, size_t outlen, bool *multiple);
/* Lower-case a domain and check it is a plausible host name. */
bool auth_domain_clean(const char *in, size_t len, char *out, size_t outlen);

/* ---- spf.c ---- */
typedef enum auth_result {
    AUTH_R_NONE,
    AUTH_R_PASS,
    AUTH_R_FAIL,
    AUTH_R_SOFTFAIL,
    AUTH_R_NEUTRAL,
    AUTH_R_TEMPERROR,
    AUTH_R_PERMERROR,
    AUTH_R_MALFORMED
} auth_result;

auth_result auth_spf_check(auth_dns *d, const auth_envelope *env, char *why, size_t whylen);
void auth_spf_global_init(void);

/* ---- dkim.c ---- */
typedef struct auth_dkim_sig {
    char domain[256];
    char selector[128];
    auth_result result;
    char why[160];
} auth_dkim_sig;

typedef struct auth_dkim_result {
    auth_dkim_sig sig[AUTH_MAX_DKIM_SIGS];
    size_t n_sig;
    size_t n_skipped; /* signatures beyond AUTH_MAX_DKIM_SIGS */
    bool too_big;     /* header block over the limits: nothing verified */
    char why[160];
} auth_dkim_result;

void *auth_dkim_lib_new(void);
void auth_dkim_lib_free(void *lib);
void auth_dkim_verify(void *lib, auth_dns *d, const uint8_t *raw, size_t len,
                      auth_dkim_result *out);

/* One header field of a raw message. */
typedef struct auth_hdr {
    const char *field; /* "Name: value", folding kept, final line end not included */
    size_t flen;
    size_t nlen; /* length of the name */
} auth_hdr;

/* Split the header block of raw; returns the number of fields (at most max); *body is the
 * offset of the body; *over is set when the block is larger than the limits. */
size_t auth_split_headers(const uint8_t *raw, size_t len, auth_hdr *out, size_t max, size_t *body,
                          bool *over);

/* ---- dmarc.c ---- */
typedef struct auth_dmarc_result {
    auth_result result; /* NONE: no record */
    char policy[16];    /* "reject", "quarantine", "none" */
    char record_domain[256];
    char why[200];
} auth_dmarc_result;

/* Load the public suffix list once per process (path NULL: the system's, if present). */
bool auth_psl_load(const char *path, char *err, size_t errlen);
/* Organisational domain of domain (the public suffix list when loaded). */
void auth_org_domain(const char *domain, char *out, size_t outlen);
bool auth_aligned(const char *a, const char *b);
void auth_dmarc_check(auth_dns *d, const char *from_domain, const auth_envelope *env,
                      auth_result spf, const auth_dkim_result *dkim, auth_dmarc_result *out);

/* ---- check.c ---- */
void auth_check_analyze(wp_scan *s, const auth_state *st);

/* ---- findings (module.c) ---- */
/* Evidence-safe copy of hostile text. */
const char *auth_safe(wp_scan *s, const char *text);
/* AUTH_DMARC_FAIL at the weight its policy deserves. */
void auth_dmarc_fail_finding(wp_scan *s, const char *policy, const char *fmt, ...) WP_PRINTF(3, 4);

#endif
