/*
 * auth.c - who is asking: passwords, sessions, API tokens, CSRF and login rate limits.
 *
 * Passwords are Argon2id strings (libsodium crypto_pwhash_str, the "interactive" limits:
 * 64 MiB and a few tenths of a second per attempt). Session ids and API tokens are 32
 * random bytes; the store keeps only their SHA-256, so a copy of the database logs nobody
 * in. The CSRF token is per session and compared in constant time. Login failures are
 * counted per account and per address in a small in-memory table (a fixed number of slots,
 * the oldest reused), so a password-guessing run is slowed to a handful of tries per
 * quarter hour whichever it rotates.
 */
#include <microhttpd.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "serve.h"

#define COOKIE_NAME   "wp_session"
#define RATE_SLOTS    4096
#define RATE_WINDOW_S 900

/* A real Argon2id hash of a random password: an unknown user name is checked against it,
 * so a login costs the same time whether the account exists or not. */
static char dummy_hash[crypto_pwhash_STRBYTES];

bool
wps_auth_init(void)
{
    if (sodium_init() < 0)
        return false; /* no random source: nothing here would be safe */
    char pw[80];
    wps_new_secret("", pw, sizeof pw, NULL);
    return wps_password_hash(pw, dummy_hash, sizeof dummy_hash);
}

void
wps_sha256_hex(const char *s, char out[65])
{
    unsigned char d[32];
    unsigned int n = 0;
    (void)EVP_Digest(s, strlen(s), d, &n, EVP_sha256(), NULL);
    for (size_t i = 0; i < 32; i++)
        (void)snprintf(out + 2 * i, 3, "%02x", d[i]);
    out[64] = '\0';
}

void
wps_new_secret(const char *prefix, char *token, size_t cap, char hash[65])
{
    unsigned char raw[32];
    char hex[65];
    randombytes_buf(raw, sizeof raw);
    (void)sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    (void)snprintf(token, cap, "%s%s", prefix, hex);
    sodium_memzero(raw, sizeof raw);
    if (hash != NULL)
        wps_sha256_hex(token, hash);
}

bool
wps_password_hash(const char *password, char *out, size_t cap)
{
    if (cap < crypto_pwhash_STRBYTES)
        return false;
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
}

/* The session cookie's value, or NULL. */
static const char *
session_cookie(const wps_req *r)
{
    return r->conn != NULL ? MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, COOKIE_NAME)
                           : NULL;
}

/* The store could not say who this is: that is the server's trouble (503, logged), not a
 * wrong credential (401). */
static void
store_trouble(wps_req *r, const char *err)
{
    (void)fprintf(stderr, "watchpost serve: authentication: %s\n", err);
    wps_error(r, 503, "the store is busy; try again");
}

bool
wps_authenticate(wps_req *r)
{
    if (r->authed)
        return true;
    wp_store *s = wps_store(r);
    if (s == NULL)
        return false;
    char err[256], hash[65];
    long long now = (long long)time(NULL);
    const char *authz = r->conn != NULL
                            ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization")
                            : NULL;
    if (authz != NULL && strncmp(authz, "Bearer ", 7) == 0) {
        r->via_token = true;
        const char *tok = authz + 7;
        if (strlen(tok) > 200)
            return false;
        wps_sha256_hex(tok, hash);
        wp_status st = wp_store_token_get(s, hash, now, &r->who, err, sizeof err);
        if (st != WP_OK && st != WP_ENOTFOUND)
            store_trouble(r, err);
        r->authed = st == WP_OK;
        return r->authed;
    }
    const char *sid = session_cookie(r);
    if (sid == NULL || strlen(sid) > 200)
        return false;
    wps_sha256_hex(sid, hash);
    wp_status st = wp_store_session_get(s, hash, now, now - r->cfg->session_idle_s,
                                        now - r->cfg->session_max_s, &r->who, err, sizeof err);
    if (st != WP_OK && st != WP_ENOTFOUND)
        store_trouble(r, err);
    if (st != WP_OK)
        return false;
    memcpy(r->session_hash, hash, sizeof r->session_hash);
    r->authed = true;
    return true;
}

bool
wps_csrf_ok(const wps_req *r)
{
    if (r->via_token)
        return true; /* a token is sent deliberately by a script: no ambient authority */
    const char *h = r->conn != NULL
                        ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token")
                        : NULL;
    size_t n = strlen(r->who.csrf);
    return h != NULL && n > 0 && strlen(h) == n && sodium_memcmp(h, r->who.csrf, n) == 0;
}

/* ---- login rate limits ---- */

typedef struct rate_slot {
    char key[80]; /* "u:alice" or "a:192.0.2.1" */
    long long first;
    unsigned failures;
} rate_slot;

static rate_slot slots[RATE_SLOTS];
static pthread_mutex_t rate_mu = PTHREAD_MUTEX_INITIALIZER;

/* The slot of key (made when create), NULL otherwise. Caller holds rate_mu. */
static rate_slot *
slot_of(const char *key, long long now, bool create)
{
    rate_slot *oldest = &slots[0];
    for (size_t i = 0; i < RATE_SLOTS; i++) {
        rate_slot *s = &slots[i];
        if (s->key[0] != '\0' && now - s->first >= RATE_WINDOW_S)
            s->key[0] = '\0'; /* its window is over */
        if (s->key[0] != '\0' && strcmp(s->key, key) == 0)
            return s;
        if (s->key[0] == '\0' || s->first < oldest->first)
            oldest = s;
    }
    if (!create)
        return NULL;
    (void)snprintf(oldest->key, sizeof oldest->key, "%s", key);
    oldest->first = now;
    oldest->failures = 0;
    return oldest;
}

bool
wps_login_allowed(const char *user, const char *address, unsigned max, long *retry_after)
{
    char ku[80], ka[80];
    (void)snprintf(ku, sizeof ku, "u:%.70s", user);
    (void)snprintf(ka, sizeof ka, "a:%.70s", address);
    long long now = (long long)time(NULL);
    pthread_mutex_lock(&rate_mu);
    bool ok = true;
    const char *keys[2] = {ku, ka};
    for (int i = 0; i < 2; i++) {
        rate_slot *s = slot_of(keys[i], now, false);
        if (s != NULL && s->failures >= max) {
            ok = false;
            *retry_after = (long)(s->first + RATE_WINDOW_S - now);
        }
    }
    pthread_mutex_unlock(&rate_mu);
    return ok;
}

void
wps_login_failed(const char *user, const char *address)
{
    char ku[80], ka[80];
    (void)snprintf(ku, sizeof ku, "u:%.70s", user);
    (void)snprintf(ka, sizeof ka, "a:%.70s", address);
    long long now = (long long)time(NULL);
    pthread_mutex_lock(&rate_mu);
    slot_of(ku, now, true)->failures++;
    slot_of(ka, now, true)->failures++;
    pthread_mutex_unlock(&rate_mu);
}

void
wps_login_succeeded(const char *user, const char *address)
{
    char ku[80];
    (void)snprintf(ku, sizeof ku, "u:%.70s", user);
    (void)address; /* an address keeps its count: one good password does not clear a spray */
    pthread_mutex_lock(&rate_mu);
    rate_slot *s = slot_of(ku, (long long)time(NULL), false);
    if (s != NULL)
        s->key[0] = '\0';
    pthread_mutex_unlock(&rate_mu);
}

/* ---- the endpoints ---- */

static void
set_cookie(wps_req *r, const char *value, long max_age)
{
    char c[160];
    (void)snprintf(c, sizeof c, COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict%s; Max-Age=%ld",
                   value, r->cfg->insecure_http ? "" : "; Secure", max_age);
    wps_set_header(r, "Set-Cookie", c);
}

void
wps_api_login(wps_req *r)
{
    json_t *b = wps_body_json(r);
    if (b == NULL)
        return;
    const char *uname = json_string_value(json_object_get(b, "username"));
    const char *pass = json_string_value(json_object_get(b, "password"));
    if (uname == NULL || pass == NULL || !wp_access_name_valid(uname) || strlen(pass) > 1024) {
        json_decref(b);
        wps_error(r, 400, "want {\"username\": ..., \"password\": ...}");
        return;
    }
    char user[WP_ACCESS_NAME_MAX + 1]; /* the body is freed before the last use of the name */
    (void)snprintf(user, sizeof user, "%s", uname);
    long retry = 0;
    if (!wps_login_allowed(user, r->address, r->cfg->login_attempts, &retry)) {
        char ra[24];
        (void)snprintf(ra, sizeof ra, "%ld", retry > 0 ? retry : 1);
        wps_set_header(r, "Retry-After", ra);
        wps_audit(r, "login", user, NULL, "rate limited");
        json_decref(b);
        wps_error(r, 429, "too many failed logins; try again in %ld s", retry);
        return;
    }
    wp_store *s = wps_store(r);
    if (s == NULL) {
        json_decref(b);
        return;
    }
    wp_user_info u;
    char err[256];
    bool found = wp_store_user_get(s, user, &u, err, sizeof err) == WP_OK;
    /* verify against a real hash even for an unknown user: the same time either way */
    bool ok = crypto_pwhash_str_verify(found ? u.pwhash : dummy_hash, pass, strlen(pass)) == 0 &&
              found && !u.disabled;
    json_decref(b);
    if (!ok) {
        wps_login_failed(user, r->address);
        wps_audit(r, "login", user, NULL, "bad credentials");
        wps_error(r, 401, "wrong user name or password");
        return;
    }
    wps_login_succeeded(user, r->address);
    char sid[80], hash[65], csrf[80];
    wps_new_secret("", sid, sizeof sid, hash);
    wps_new_secret("", csrf, sizeof csrf, NULL);
    if (wp_store_session_put(s, hash, u.name, csrf, (long long)time(NULL), r->address, err,
                             sizeof err) != WP_OK) {
        wps_error(r, 503, "cannot record the session");
        return;
    }
    set_cookie(r, sid, r->cfg->session_max_s);
    r->authed = true;
    (void)snprintf(r->who.user, sizeof r->who.user, "%s", u.name);
    r->who.role = u.role;
    wps_audit(r, "login", u.name, NULL, "ok");
    wps_json(
        r, 200,
        json_pack("{s:s,s:s,s:s}", "user", u.name, "role", wp_role_name(u.role), "csrf", csrf));
}

void
wps_api_logout(wps_req *r)
{
    char err[256];
    wp_store *s = wps_store(r);
    if (s == NULL)
        return;
    if (!r->via_token && r->session_hash[0] != '\0')
        (void)wp_store_session_delete(s, r->session_hash, err, sizeof err);
    set_cookie(r, "", 0);
    wps_audit(r, "logout", r->who.user, NULL, "ok");
    wps_raw(r, 204, "application/json", "", 0, NULL);
}

void
wps_api_me(wps_req *r)
{
    wps_json(r, 200,
             json_pack("{s:s,s:s,s:s}", "user", r->who.user, "role", wp_role_name(r->who.role),
                       "csrf", r->who.csrf));
}
