/*
 * watchpost/access.h - who may use `watchpost serve`: users, sessions, API tokens and the
 * audit log, kept in the store (schema version 4, docs/API.md).
 *
 * The store keeps no secret: the front end hashes passwords (Argon2id, libsodium) and
 * tokens (SHA-256 of 32 random bytes) before they get here, and looks them up by hash.
 * These calls are the storage interface of the HTTP front end: a second backend
 * (PostgreSQL at headquarters) implements the same calls behind wp_store.
 */
#ifndef WATCHPOST_ACCESS_H
#define WATCHPOST_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

typedef enum wp_role { WP_ROLE_VIEWER, WP_ROLE_ANALYST, WP_ROLE_ADMIN, WP_ROLE__COUNT } wp_role;

WP_API const char *wp_role_name(wp_role r);
/* -1 when unknown */
WP_API int wp_role_from_name(const char *name);

#define WP_ACCESS_NAME_MAX 64  /* user and token names: [A-Za-z0-9._@-]{1,64} */
#define WP_ACCESS_HASH_MAX 256 /* an Argon2id string, a hex digest */

/* true when name is a valid user or token name */
WP_API bool wp_access_name_valid(const char *name);

/* Creates a user (WP_EINVAL when it exists and create is true) or, with create false,
 * replaces the password hash and role of an existing one (WP_ENOTFOUND when none). */
WP_API wp_status wp_store_user_put(wp_store *s, const char *name, wp_role role, const char *pwhash,
                                   bool create, char *err, size_t errlen);
typedef struct wp_user_info {
    char name[WP_ACCESS_NAME_MAX + 1];
    wp_role role;
    char pwhash[WP_ACCESS_HASH_MAX];
    bool disabled;
    long long created;
} wp_user_info;
WP_API wp_status wp_store_user_get(wp_store *s, const char *name, wp_user_info *out, char *err,
                                   size_t errlen);
/* Disables (or enables) a user; its sessions are deleted, its tokens stop working. */
WP_API wp_status wp_store_user_disable(wp_store *s, const char *name, bool disabled, char *err,
                                       size_t errlen);
/* Users, in name order, into out[0..cap); *n receives how many there are. */
WP_API wp_status wp_store_users(wp_store *s, wp_user_info *out, size_t cap, size_t *n, char *err,
                                size_t errlen);

typedef struct wp_session_info {
    char user[WP_ACCESS_NAME_MAX + 1];
    wp_role role;
    char csrf[WP_ACCESS_HASH_MAX];
    long long created, last_used;
} wp_session_info;
WP_API wp_status wp_store_session_put(wp_store *s, const char *hash, const char *user,
                                      const char *csrf, long long now, const char *address,
                                      char *err, size_t errlen);
/* A live session: its user exists and is not disabled, last used at or after idle_after and
 * created at or after created_after; WP_ENOTFOUND otherwise. Touches last_used to now. */
WP_API wp_status wp_store_session_get(wp_store *s, const char *hash, long long now,
                                      long long idle_after, long long created_after,
                                      wp_session_info *out, char *err, size_t errlen);
WP_API wp_status wp_store_session_delete(wp_store *s, const char *hash, char *err, size_t errlen);
/* Ends every session of user but the one whose hash is keep (NULL: all), after a password
 * reset; *n (when not NULL) receives how many ended. */
WP_API wp_status wp_store_sessions_end(wp_store *s, const char *user, const char *keep, size_t *n,
                                       char *err, size_t errlen);

/* An API token, scoped to a role no higher than its user's (WP_EINVAL otherwise). */
WP_API wp_status wp_store_token_put(wp_store *s, const char *hash, const char *user,
                                    const char *name, wp_role role, long long now, char *err,
                                    size_t errlen);
/* A token that is not revoked and whose user is enabled: its user and role (the lower of the
 * token's and the user's). Touches last_used. */
WP_API wp_status wp_store_token_get(wp_store *s, const char *hash, long long now,
                                    wp_session_info *out, char *err, size_t errlen);
WP_API wp_status wp_store_token_revoke(wp_store *s, const char *user, const char *name, char *err,
                                       size_t errlen);
typedef struct wp_token_info {
    char user[WP_ACCESS_NAME_MAX + 1];
    char name[WP_ACCESS_NAME_MAX + 1];
    bool revoked;
    wp_role role;                 /* as created; a lower user role lowers it when used */
    long long created, last_used; /* last_used 0: never used */
} wp_token_info;
/* API tokens of user (NULL: of everyone), by user then name, into out[0..cap); *n receives
 * how many there are. Never the hash: a listing cannot be turned into a credential. */
WP_API wp_status wp_store_tokens(wp_store *s, const char *user, wp_token_info *out, size_t cap,
                                 size_t *n, char *err, size_t errlen);

typedef struct wp_audit_entry {
    long long id, time;
    const char *user, *address, *action, *object, *reason, *result;
} wp_audit_entry;
/* One state-changing action: who, from where, what, on what, why, and how it ended. */
WP_API wp_status wp_store_audit(wp_store *s, const wp_audit_entry *e, char *err, size_t errlen);
typedef struct wp_audit_list {
    wp_audit_entry *items; /* newest first */
    size_t n;
    bool more;
    void *priv;
} wp_audit_list;
/* Entries with id < before_id (0: from the newest), at most limit. */
WP_API wp_status wp_store_audit_list(wp_store *s, long long before_id, size_t limit,
                                     wp_audit_list **out, char *err, size_t errlen);
WP_API void wp_audit_list_free(wp_audit_list *l);

#endif
