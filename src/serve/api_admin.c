/*
 * api_admin.c - administration over HTTP (admin role): users (list, add, disable, enable,
 * reset a password, change a role) and API tokens (list, create, revoke).
 *
 * Every change is audited, refused or not, with the reason the admin gave. Two guards keep
 * the dashboard from locking everyone out: an admin cannot disable themselves, and no change
 * may leave the store without an enabled admin (both 409; the command line, run by whoever
 * owns the store, is the way back). The guard reads the user list and then writes: two
 * admins demoting each other at the same instant could both pass it, which `watchpost user`
 * repairs. New tokens are shown once, in the answer that creates them; the store keeps their
 * SHA-256 and a listing never carries a hash. A password reset ends the user's sessions (but
 * the resetting admin's own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

#define PASSWORD_MIN 12
#define PASSWORD_MAX 1024
#define REASON_MAX   1000

static json_t *
user_json(const wp_user_info *u)
{
    return json_pack("{s:s,s:s,s:b,s:I}", "name", u->name, "role", wp_role_name(u->role),
                     "disabled", u->disabled, "created", (json_int_t)u->created);
}

static json_t *
token_json(const wp_token_info *t)
{
    return json_pack("{s:s,s:s,s:s,s:I,s:o,s:b}", "user", t->user, "name", t->name, "role",
                     wp_role_name(t->role), "created", (json_int_t)t->created, "last_used",
                     t->last_used > 0 ? json_integer((json_int_t)t->last_used) : json_null(),
                     "revoked", t->revoked);
}

/* All users, on the heap (*out, free()); false with a 500 sent. */
static bool
all_users(wps_req *r, wp_store *s, wp_user_info **out, size_t *n)
{
    char err[256];
    size_t count = 0;
    *out = NULL;
    if (wp_store_users(s, NULL, 0, &count, err, sizeof err) != WP_OK) {
        wps_error(r, 500, "the store cannot be read");
        return false;
    }
    size_t cap = count + 16; /* room for users added between the two reads */
    wp_user_info *u = calloc(cap, sizeof(*u));
    if (u == NULL || wp_store_users(s, u, cap, &count, err, sizeof err) != WP_OK) {
        free(u);
        wps_error(r, 500, "the store cannot be read");
        return false;
    }
    *out = u;
    *n = count < cap ? count : cap;
    return true;
}

void
wps_api_users(wps_req *r)
{
    wp_store *s = wps_store(r);
    wp_user_info *u = NULL;
    size_t n = 0;
    if (s == NULL || !all_users(r, s, &u, &n))
        return;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        u[i].pwhash[0] = '\0'; /* never leaves the store's side */
        json_array_append_new(items, user_json(&u[i]));
    }
    free(u);
    wps_json(r, 200, json_pack("{s:o}", "items", items));
}

/* A string member of the body: NULL when absent or empty; *bad when present but not a string
 * or longer than max. */
static const char *
body_str(json_t *b, const char *key, size_t max, bool *bad)
{
    json_t *v = json_object_get(b, key);
    if (v == NULL || json_is_null(v))
        return NULL;
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) > max) {
        *bad = true;
        return NULL;
    }
    return s[0] != '\0' ? s : NULL;
}

static bool
password_ok(wps_req *r, const char *pw)
{
    if (pw == NULL || strlen(pw) < PASSWORD_MIN || strlen(pw) > PASSWORD_MAX) {
        wps_error(r, 400, "a password has %d to %d bytes", PASSWORD_MIN, PASSWORD_MAX);
        return false;
    }
    return true;
}

/* The end of a change to user u: audited, then answered with the user (never its hash) or
 * with the store's refusal. */
static void
user_answer(wps_req *r, wp_status st, const char *action, const char *obj, const char *reason,
            wp_user_info *u, const char *err)
{
    wps_audit(r, action, obj, reason, st == WP_OK ? "ok" : err);
    u->pwhash[0] = '\0';
    if (st != WP_OK) {
        wps_store_refused(r, st, err, 500);
    } else {
        wps_json(r, 200, user_json(u));
    }
}

void
wps_api_user_create(wps_req *r)
{
    json_t *b = wps_body_json(r);
    if (b == NULL)
        return;
    bool bad = false;
    const char *name = body_str(b, "name", WP_ACCESS_NAME_MAX, &bad);
    const char *role_s = body_str(b, "role", 16, &bad);
    const char *pw = body_str(b, "password", PASSWORD_MAX, &bad);
    const char *reason = body_str(b, "reason", REASON_MAX, &bad);
    int role = wp_role_from_name(role_s);
    wp_store *s = NULL;
    if (bad || name == NULL || !wp_access_name_valid(name)) {
        wps_error(r, 400,
                  "want {\"name\", \"role\", \"password\"}; a name is 1 to %d of "
                  "A-Z a-z 0-9 . _ - @",
                  WP_ACCESS_NAME_MAX);
    } else if (role < 0) {
        wps_error(r, 400, "role wants viewer, analyst or admin");
    } else if (password_ok(r, pw)) {
        s = wps_store(r);
    }
    char hash[WP_ACCESS_HASH_MAX], err[256] = "";
    if (s != NULL && !wps_password_hash(pw, hash, sizeof hash)) {
        wps_error(r, 500, "out of memory hashing the password");
        s = NULL;
    }
    if (s == NULL) {
        json_decref(b);
        return;
    }
    wp_status st = wp_store_user_put(s, name, (wp_role)role, hash, true, err, sizeof err);
    char obj[WP_ACCESS_NAME_MAX + 32];
    (void)snprintf(obj, sizeof obj, "user %s (%s)", name, wp_role_name((wp_role)role));
    wps_audit(r, "user.create", obj, reason, st == WP_OK ? "ok" : err);
    if (st != WP_OK) {
        wps_store_refused(r, st, err, 500);
    } else {
        wps_json(r, 201, json_pack("{s:s,s:s}", "name", name, "role", wp_role_name((wp_role)role)));
    }
    json_decref(b);
}

/* Would the store keep an enabled admin if user `name` became (role, disabled)? */
static bool
keeps_an_admin(const wp_user_info *u, size_t n, const char *name, wp_role role, bool disabled)
{
    for (size_t i = 0; i < n; i++) {
        bool self = strcmp(u[i].name, name) == 0;
        wp_role ro = self ? role : u[i].role;
        bool off = self ? disabled : u[i].disabled;
        if (ro == WP_ROLE_ADMIN && !off)
            return true;
    }
    return false;
}

/* The user of the path, looked up; false with an answer sent. */
static bool
path_user(wps_req *r, wp_store *s, wp_user_info *out)
{
    char err[256];
    const char *name = r->params[0];
    if (name == NULL || !wp_access_name_valid(name)) {
        wps_error(r, 404, "no such user");
        return false;
    }
    wp_status st = wp_store_user_get(s, name, out, err, sizeof err);
    if (st != WP_OK) {
        wps_store_refused(r, st, st == WP_ENOTFOUND ? "no such user" : "store error", 500);
        return false;
    }
    return true;
}

/* Refuses (409, audited) a change that would lock the dashboard out; true when it may go on. */
static bool
guard(wps_req *r, wp_store *s, const char *action, const wp_user_info *target, wp_role role,
      bool disabled, const char *reason)
{
    const char *why = NULL;
    wp_user_info *all = NULL;
    size_t n = 0;
    if (disabled && strcmp(target->name, r->who.user) == 0) {
        why = "you cannot disable your own account";
    } else if (target->role == WP_ROLE_ADMIN && !target->disabled) {
        if (!all_users(r, s, &all, &n))
            return false;
        if (!keeps_an_admin(all, n, target->name, role, disabled))
            why = "this is the last enabled admin; make another admin first";
        free(all);
    }
    if (why == NULL)
        return true;
    char obj[WP_ACCESS_NAME_MAX + 8];
    (void)snprintf(obj, sizeof obj, "user %s", target->name);
    wps_audit(r, action, obj, reason, why);
    wps_error(r, 409, "%s", why);
    return false;
}

static void
set_disabled(wps_req *r, bool disabled)
{
    const char *action = disabled ? "user.disable" : "user.enable";
    wp_store *s = wps_store(r);
    wp_user_info u;
    if (s == NULL || !path_user(r, s, &u))
        return;
    json_t *b = wps_body_json(r);
    if (b == NULL)
        return;
    bool bad = false;
    const char *reason = body_str(b, "reason", REASON_MAX, &bad);
    char err[256] = "", obj[WP_ACCESS_NAME_MAX + 8];
    (void)snprintf(obj, sizeof obj, "user %s", u.name);
    if (bad || reason == NULL) {
        wps_error(r, 400, "give a reason (1 to %d bytes)", REASON_MAX);
    } else if (guard(r, s, action, &u, u.role, disabled, reason)) {
        wp_status st = wp_store_user_disable(s, u.name, disabled, err, sizeof err);
        u.disabled = disabled;
        user_answer(r, st, action, obj, reason, &u, err);
    }
    json_decref(b);
}

void
wps_api_user_disable(wps_req *r)
{
    set_disabled(r, true);
}

void
wps_api_user_enable(wps_req *r)
{
    set_disabled(r, false);
}

void
wps_api_user_password(wps_req *r)
{
    wp_store *s = wps_store(r);
    wp_user_info u;
    if (s == NULL || !path_user(r, s, &u))
        return;
    json_t *b = wps_body_json(r);
    if (b == NULL)
        return;
    bool bad = false;
    const char *pw = body_str(b, "password", PASSWORD_MAX, &bad);
    const char *reason = body_str(b, "reason", REASON_MAX, &bad);
    char hash[WP_ACCESS_HASH_MAX] = "", err[256] = "", obj[WP_ACCESS_NAME_MAX + 8];
    (void)snprintf(obj, sizeof obj, "user %s", u.name);
    if (bad) {
        wps_error(r, 400, "want {\"password\"}");
    } else if (password_ok(r, pw) && !wps_password_hash(pw, hash, sizeof hash)) {
        wps_error(r, 500, "out of memory hashing the password");
    } else if (!r->answered) {
        wp_status st = wp_store_user_put(s, u.name, u.role, hash, false, err, sizeof err);
        /* whoever knew the old password is logged out; the admin's own session stays */
        if (st == WP_OK) {
            st = wp_store_sessions_end(s, u.name,
                                       r->session_hash[0] != '\0' ? r->session_hash : NULL, NULL,
                                       err, sizeof err);
        }
        user_answer(r, st, "user.password", obj, reason, &u, err);
    }
    json_decref(b);
}

void
wps_api_user_role(wps_req *r)
{
    wp_store *s = wps_store(r);
    wp_user_info u;
    if (s == NULL || !path_user(r, s, &u))
        return;
    json_t *b = wps_body_json(r);
    if (b == NULL)
        return;
    bool bad = false;
    int role = wp_role_from_name(body_str(b, "role", 16, &bad));
    const char *reason = body_str(b, "reason", REASON_MAX, &bad);
    char err[256] = "", obj[WP_ACCESS_NAME_MAX + 32];
    if (bad || role < 0) {
        wps_error(r, 400, "want {\"role\": \"viewer\"|\"analyst\"|\"admin\", \"reason\"}");
    } else if (reason == NULL) {
        wps_error(r, 400, "give a reason (1 to %d bytes)", REASON_MAX);
    } else if (guard(r, s, "user.role", &u, (wp_role)role, u.disabled, reason)) {
        /* the same password hash, a new role; its tokens are lowered with it when used */
        wp_status st =
            wp_store_user_put(s, u.name, (wp_role)role, u.pwhash, false, err, sizeof err);
        (void)snprintf(obj, sizeof obj, "user %s (%s -> %s)", u.name, wp_role_name(u.role),
                       wp_role_name((wp_role)role));
        u.role = (wp_role)role;
        user_answer(r, st, "user.role", obj, reason, &u, err);
    }
    json_decref(b);
}

void
wps_api_tokens(wps_req *r)
{
    const char *user = wps_arg_get(r, "user");
    if (user != NULL && user[0] == '\0')
        user = NULL;
    if (user != NULL && !wp_access_name_valid(user)) {
        wps_error(r, 400, "user: not a user name");
        return;
    }
    wp_store *s = wps_store(r);
    if (s == NULL)
        return;
    char err[256];
    size_t n = 0;
    if (wp_store_tokens(s, user, NULL, 0, &n, err, sizeof err) != WP_OK) {
        wps_error(r, 500, "the store cannot be read");
        return;
    }
    size_t cap = n + 16;
    wp_token_info *t = calloc(cap, sizeof(*t));
    if (t == NULL || wp_store_tokens(s, user, t, cap, &n, err, sizeof err) != WP_OK) {
        free(t);
        wps_error(r, 500, "the store cannot be read");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n && i < cap; i++)
        json_array_append_new(items, token_json(&t[i]));
    free(t);
    wps_json(r, 200, json_pack("{s:o}", "items", items));
}

/* The {"user", "name"} of a token request, valid names; NULL (400 sent) otherwise. */
static bool
token_names(wps_req *r, json_t *b, const char **user, const char **name, const char **reason)
{
    bool bad = false;
    *user = body_str(b, "user", WP_ACCESS_NAME_MAX, &bad);
    *name = body_str(b, "name", WP_ACCESS_NAME_MAX, &bad);
    *reason = body_str(b, "reason", REASON_MAX, &bad);
    if (bad || !wp_access_name_valid(*user) || !wp_access_name_valid(*name)) {
        wps_error(r, 400, "want {\"user\", \"name\"}: names of 1 to %d of A-Z a-z 0-9 . _ - @",
                  WP_ACCESS_NAME_MAX);
        return false;
    }
    return true;
}

void
wps_api_token_create(wps_req *r)
{
    json_t *b = wps_body_json(r);
    wp_store *s = b != NULL ? wps_store(r) : NULL;
    const char *user, *name, *reason;
    wp_user_info u;
    bool bad = false;
    if (s == NULL || !token_names(r, b, &user, &name, &reason)) {
        json_decref(b);
        return;
    }
    const char *role_s = body_str(b, "role", 16, &bad);
    int role = role_s != NULL ? wp_role_from_name(role_s) : -2;
    char err[256] = "", obj[2 * WP_ACCESS_NAME_MAX + 32];
    if (bad || role == -1) {
        wps_error(r, 400, "role wants viewer, analyst or admin");
    } else if (wp_store_user_get(s, user, &u, err, sizeof err) != WP_OK) {
        wps_error(r, 404, "no such user");
    } else if (role > (int)u.role) {
        wps_error(r, 400, "a token's role is at most its user's (%s)", wp_role_name(u.role));
    } else {
        wp_role ro = role >= 0 ? (wp_role)role : u.role;
        char token[128], hash[65];
        wps_new_secret("wpt_", token, sizeof token, hash);
        wp_status st =
            wp_store_token_put(s, hash, u.name, name, ro, (long long)time(NULL), err, sizeof err);
        (void)snprintf(obj, sizeof obj, "token %s of %s (%s)", name, u.name, wp_role_name(ro));
        wps_audit(r, "token.create", obj, reason, st == WP_OK ? "ok" : err);
        if (st != WP_OK) {
            wps_store_refused(r, st, err, 500);
        } else {
            wps_json(r, 201,
                     json_pack("{s:s,s:s,s:s,s:s}", "token", token, "user", u.name, "name", name,
                               "role", wp_role_name(ro)));
        }
        explicit_bzero(token, sizeof token);
    }
    json_decref(b);
}

void
wps_api_token_revoke(wps_req *r)
{
    json_t *b = wps_body_json(r);
    wp_store *s = b != NULL ? wps_store(r) : NULL;
    const char *user, *name, *reason;
    if (s == NULL || !token_names(r, b, &user, &name, &reason)) {
        json_decref(b);
        return;
    }
    char err[256] = "", obj[2 * WP_ACCESS_NAME_MAX + 32];
    (void)snprintf(obj, sizeof obj, "token %s of %s", name, user);
    wp_status st = wp_store_token_revoke(s, user, name, err, sizeof err);
    wps_audit(r, "token.revoke", obj, reason, st == WP_OK ? "ok" : err);
    if (st != WP_OK) {
        wps_store_refused(r, st, err, 500);
    } else {
        wps_json(r, 200, json_pack("{s:s,s:s,s:b}", "user", user, "name", name, "revoked", 1));
    }
    json_decref(b);
}
