/*
 * impersonation.c - the "impersonation" analyzer: who the message says it is from.
 *
 * Two kinds of evidence, kept apart because they mean different things to an analyst:
 *   - brand phishing (category phishing): a display name naming PayPal or Microsoft on an
 *     address that is not theirs, an address of another domain in the display name, replies
 *     diverted to free mail, the recipient's own address in the Subject;
 *   - impersonation of us (category impersonation, which makes a malicious verdict
 *     "targeted"): our VIPs' names on outside addresses, our protected domains in display
 *     names, look-alikes of our domains in sender or link hosts, mail claiming our domain
 *     that is not authenticated as ours, and first contact from a never-seen domain that
 *     claims to be one of us.
 *
 * Settings (all repeatable lists, empty by default: a new install knows no organisation):
 *   impersonation.protected_domain = mofa.go.jp
 *   impersonation.vip = Taro Yamada            (or "Taro Yamada <taro@mofa.go.jp>")
 *   impersonation.org_name = Ministry of Foreign Affairs
 *   impersonation.history_db = /var/lib/watchpost/senders.db   (first-contact memory)
 *   impersonation.history_max = 1000000    (domains remembered, in memory and in the file)
 */
#include <ctype.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "brands.h"
#include "core/util.h"
#include "engine/module.h"
#include "lookalike.h"
#include "names.h"
#include "seenset.h"
#include "sender.h"

#define LIST_MAX 4096

typedef struct vip {
    char *name;  /* normalised: lower case, letters and single spaces, tokens sorted */
    char *shown; /* as configured */
    char *addr;  /* lower case, may be NULL */
} vip;

typedef struct imp_settings {
    char **prot;
    size_t n_prot;
    vip *vips;
    size_t n_vips;
    char **orgs;
    size_t n_orgs;
    char *history_db;
    size_t history_max; /* 0: WP_SEENSET_DEFAULT_MAX */
} imp_settings;

typedef struct imp_state {
    imp_settings set;
    sqlite3 *db;
    pthread_mutex_t mu;
    wp_seenset seen;     /* sender-domain hashes, bounded (seenset.h) */
    unsigned trimmed_at; /* seen.rotations when the history file was last trimmed */
} imp_state;

/* Lower-case the ASCII letters, keep UTF-8 as is, turn everything else into single spaces,
 * and sort the words, so "YAMADA, Taro" and "Taro Yamada" compare equal. */
static void
normalise_name(const char *in, char *out, size_t outlen)
{
    char words[8][64];
    int nw = 0;
    size_t wl = 0;
    for (const char *p = in;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c != '\0' && (isalnum(c) || c >= 0x80)) {
            if (nw < 8 && wl < 63)
                words[nw][wl++] = (char)tolower(c);
            continue;
        }
        if (wl > 0 && nw < 8) {
            words[nw][wl] = '\0';
            nw++;
        }
        wl = 0;
        if (c == '\0')
            break;
    }
    for (int i = 1; i < nw; i++)
        for (int j = i; j > 0 && strcmp(words[j - 1], words[j]) > 0; j--) {
            char t[64];
            memcpy(t, words[j], 64);
            memcpy(words[j], words[j - 1], 64);
            memcpy(words[j - 1], t, 64);
        }
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < nw; i++) {
        int n = snprintf(out + o, outlen - o, "%s%s", i ? " " : "", words[i]);
        if (n < 0 || (size_t)n >= outlen - o)
            break;
        o += (size_t)n;
    }
}

static void *
settings_new(void)
{
    return calloc(1, sizeof(imp_settings));
}

static void
settings_clear(imp_settings *s)
{
    for (size_t i = 0; i < s->n_prot; i++)
        free(s->prot[i]);
    free(s->prot);
    for (size_t i = 0; i < s->n_vips; i++) {
        free(s->vips[i].name);
        free(s->vips[i].shown);
        free(s->vips[i].addr);
    }
    free(s->vips);
    for (size_t i = 0; i < s->n_orgs; i++)
        free(s->orgs[i]);
    free(s->orgs);
    free(s->history_db);
    memset(s, 0, sizeof(*s));
}

static void
settings_free(void *p)
{
    if (p == NULL)
        return;
    settings_clear(p);
    free(p);
}

static bool
push(char ***v, size_t *n, const char *val)
{
    if (*n >= LIST_MAX)
        return false;
    char **nv = realloc(*v, (*n + 1) * sizeof(char *));
    if (nv == NULL)
        return false;
    *v = nv;
    if ((nv[*n] = strdup(val)) == NULL)
        return false;
    (*n)++;
    return true;
}

static wp_status
add_vip(imp_settings *s, const char *value, char *err, size_t errlen)
{
    char name[256], addr[256];
    if (!wp_mailbox_split(value, name, sizeof name, addr, sizeof addr)) {
        snprintf(name, sizeof name, "%s", value);
        addr[0] = '\0';
    }
    char norm[256];
    normalise_name(name, norm, sizeof norm);
    if (strchr(norm, ' ') == NULL) {
        snprintf(err, errlen,
                 "impersonation.vip wants a full name of two or more words, not '%s' (one word "
                 "alone matches far too many senders)",
                 value);
        return WP_EINVAL;
    }
    if (s->n_vips >= LIST_MAX)
        return WP_EINVAL;
    vip *nv = realloc(s->vips, (s->n_vips + 1) * sizeof(vip));
    if (nv == NULL)
        return WP_ENOMEM;
    s->vips = nv;
    vip *v = &nv[s->n_vips];
    v->name = strdup(norm);
    v->shown = strdup(name);
    v->addr = addr[0] ? strdup(addr) : NULL;
    if (v->name == NULL || v->shown == NULL || (addr[0] && v->addr == NULL)) {
        free(v->name);
        free(v->shown);
        free(v->addr);
        return WP_ENOMEM;
    }
    s->n_vips++;
    return WP_OK;
}

static wp_status
settings_set(void *p, const char *key, const char *value, char *err, size_t errlen)
{
    imp_settings *s = p;
    if (strcmp(key, "protected_domain") == 0) {
        char d[WP_DOMAIN_MAX], reg[WP_DOMAIN_MAX];
        snprintf(d, sizeof d, "%s", value);
        wp_ascii_lower(d);
        if (strchr(d, '.') == NULL || strpbrk(d, " /@:") != NULL ||
            !wp_registrable(d, reg, sizeof reg)) {
            snprintf(err, errlen,
                     "impersonation.protected_domain wants a domain such as "
                     "example.org, not '%s'",
                     value);
            return WP_EINVAL;
        }
        return push(&s->prot, &s->n_prot, d) ? WP_OK : WP_ENOMEM;
    }
    if (strcmp(key, "vip") == 0)
        return add_vip(s, value, err, errlen);
    if (strcmp(key, "org_name") == 0) {
        if (strlen(value) < 4) {
            snprintf(err, errlen, "impersonation.org_name '%s' is too short to match safely",
                     value);
            return WP_EINVAL;
        }
        return push(&s->orgs, &s->n_orgs, value) ? WP_OK : WP_ENOMEM;
    }
    if (strcmp(key, "history_db") == 0) {
        free(s->history_db);
        s->history_db = strdup(value);
        return s->history_db ? WP_OK : WP_ENOMEM;
    }
    if (strcmp(key, "history_max") == 0) {
        char *end;
        unsigned long long v = strtoull(value, &end, 10);
        if (end == value || *end != '\0' || v < 1000 || v > 100000000) {
            (void)snprintf(err, errlen,
                           "impersonation.history_max wants 1000 to 100000000 domains, not '%s'",
                           value);
            return WP_EINVAL;
        }
        s->history_max = (size_t)v;
        return WP_OK;
    }
    (void)snprintf(err, errlen,
                   "unknown setting 'impersonation.%s' (protected_domain, vip, org_name, "
                   "history_db, history_max)",
                   key);
    return WP_ENOTFOUND;
}

static uint64_t
hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

/* A history file from before history_max has no last_seen column: add it (once). */
static bool
history_upgrade(imp_state *st)
{
    sqlite3_stmt *q = NULL;
    bool has = false;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT 1 FROM pragma_table_info('sender_domain')"
                           " WHERE name = 'last_seen'",
                           -1, &q, NULL) != SQLITE_OK)
        return false;
    has = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    return has || sqlite3_exec(st->db, "ALTER TABLE sender_domain ADD COLUMN last_seen INTEGER",
                               NULL, NULL, NULL) == SQLITE_OK;
}

/* The file keeps what memory keeps: the history_max domains seen most recently. */
static bool
history_trim(imp_state *st)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(
            st->db,
            "DELETE FROM sender_domain WHERE domain NOT IN (SELECT domain FROM"
            " sender_domain ORDER BY coalesce(last_seen, first_seen) DESC, rowid DESC"
            " LIMIT ?)",
            -1, &q, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)st->seen.max);
    bool ok = sqlite3_step(q) == SQLITE_DONE;
    sqlite3_finalize(q);
    return ok;
}

/* Remembers reg in the file: a new domain is inserted, a revived one gets its last_seen.
 * Caller holds mu. Failures are not fatal: memory still answers for this run. */
static void
history_note(imp_state *st, const char *reg, wp_seen how)
{
    sqlite3_stmt *q = NULL;
    const char *sql = how == WP_SEEN_NEW
                          ? "INSERT OR IGNORE INTO sender_domain VALUES(?, strftime('%s','now'),"
                            " strftime('%s','now'))"
                          : "UPDATE sender_domain SET last_seen = strftime('%s','now')"
                            " WHERE domain = ?";
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, reg, -1, SQLITE_TRANSIENT);
        (void)sqlite3_step(q);
    }
    sqlite3_finalize(q);
    if (st->seen.rotations != st->trimmed_at) {
        (void)history_trim(st);
        st->trimmed_at = st->seen.rotations;
    }
}

static void
imp_close(void *p)
{
    imp_state *st = p;
    if (st == NULL)
        return;
    if (st->db != NULL)
        sqlite3_close(st->db);
    pthread_mutex_destroy(&st->mu);
    wp_seenset_free(&st->seen);
    settings_clear(&st->set);
    free(st);
}

static wp_status
imp_open(const void *settings, const wp_engine_config *cfg, void **state, char *err, size_t errlen)
{
    (void)cfg;
    imp_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return WP_ENOMEM;
    pthread_mutex_init(&st->mu, NULL);
    const imp_settings *src = settings;
    if (src != NULL) {
        char e[8];
        bool ok = true;
        for (size_t i = 0; ok && i < src->n_prot; i++)
            ok = push(&st->set.prot, &st->set.n_prot, src->prot[i]);
        for (size_t i = 0; ok && i < src->n_orgs; i++)
            ok = push(&st->set.orgs, &st->set.n_orgs, src->orgs[i]);
        for (size_t i = 0; ok && i < src->n_vips; i++) {
            char spec[600];
            snprintf(spec, sizeof spec, "%s%s%s%s", src->vips[i].shown,
                     src->vips[i].addr ? " <" : "", src->vips[i].addr ? src->vips[i].addr : "",
                     src->vips[i].addr ? ">" : "");
            ok = add_vip(&st->set, spec, e, sizeof e) == WP_OK;
        }
        if (ok && src->history_db != NULL)
            ok = (st->set.history_db = strdup(src->history_db)) != NULL;
        st->set.history_max = src->history_max;
        if (!ok) {
            imp_close(st);
            return WP_ENOMEM;
        }
    }
    wp_seenset_init(&st->seen, st->set.history_max ? st->set.history_max : WP_SEENSET_DEFAULT_MAX);
    if (st->set.history_db != NULL) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_open(st->set.history_db, &st->db) != SQLITE_OK ||
            sqlite3_exec(st->db,
                         /* NORMAL: no fsync per new domain under the mutex (a power cut
                          * may forget the last few, which then count as first contacts) */
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                         "CREATE TABLE IF NOT EXISTS sender_domain(domain TEXT PRIMARY KEY, "
                         "first_seen INTEGER NOT NULL, last_seen INTEGER)",
                         NULL, NULL, NULL) != SQLITE_OK ||
            !history_upgrade(st) || !history_trim(st) ||
            sqlite3_prepare_v2(st->db,
                               "SELECT domain FROM sender_domain"
                               " ORDER BY coalesce(last_seen, first_seen), rowid",
                               -1, &q, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "impersonation.history_db %s: %s", st->set.history_db,
                     st->db ? sqlite3_errmsg(st->db) : "cannot open");
            sqlite3_finalize(q);
            imp_close(st);
            return WP_EIO;
        }
        while (sqlite3_step(q) == SQLITE_ROW) {
            const unsigned char *d = sqlite3_column_text(q, 0);
            if (d != NULL)
                (void)wp_seenset_add(&st->seen, hash_str((const char *)d));
        }
        sqlite3_finalize(q);
        st->trimmed_at = st->seen.rotations;
    }
    *state = st;
    return WP_OK;
}

static bool
is_protected(const imp_state *st, const char *dom)
{
    size_t dl = strlen(dom);
    for (size_t i = 0; i < st->set.n_prot; i++) {
        size_t pl = strlen(st->set.prot[i]);
        if (strcmp(dom, st->set.prot[i]) == 0 ||
            (dl > pl && dom[dl - pl - 1] == '.' && strcmp(dom + dl - pl, st->set.prot[i]) == 0))
            return true;
    }
    return false;
}

static bool
has_code(const wp_report *r, const char *code)
{
    for (size_t i = 0; i < r->n_findings; i++)
        if (strcmp(r->findings[i].code, code) == 0)
            return true;
    return false;
}

/* Authenticated as its From domain: a DMARC pass, or an aligned DKIM pass (auth module). */
static bool
from_authenticated(const wp_report *r)
{
    return has_code(r, "AUTH_DMARC_PASS");
}

static bool
auth_failed(const wp_report *r)
{
    return has_code(r, "AUTH_DMARC_FAIL") || has_code(r, "AUTH_SPF_FAIL") ||
           has_code(r, "AUTH_DKIM_FAIL");
}

static void
check_lookalike(wp_scan *s, imp_state *st, const char *host, const char *where, bool *done)
{
    if (*done || host == NULL || *host == '\0')
        return;
    char why[160];
    for (size_t i = 0; i < st->set.n_prot; i++)
        if (wp_lookalike(host, st->set.prot[i], why, sizeof why)) {
            *done = true;
            wp_scan_finding(s, "IMP_LOOKALIKE_DOMAIN", where, "%s imitates our %s: %s", host,
                            st->set.prot[i], why);
            return;
        }
}

/* The brand analysis needs no configuration; it runs on every message. */
static void
brand_checks(wp_scan *s, const char *name, const char *addr, const char *reg)
{
    const wp_report *r = s->r;
    const wp_brand *b = wp_brand_in_text(name);
    if (b != NULL && !wp_brand_owns(b, reg)) {
        bool persona = b->domains[0][0] == '\0'; /* "Mail Administrator": nobody owns it */
        if (!persona || wp_domain_is_freemail(reg))
            wp_scan_finding(s, "FROM_BRAND_MISMATCH", "header:From",
                            "display name '%s' names %s, the address is at %s", name, b->name, reg);
    }
    const char *at = strchr(name, '@');
    if (at != NULL) {
        char other[WP_DOMAIN_MAX], oreg[WP_DOMAIN_MAX];
        size_t n = 0;
        for (const char *p = at + 1;
             *p && n + 1 < sizeof other && (isalnum((unsigned char)*p) || *p == '.' || *p == '-');
             p++)
            other[n++] = (char)tolower((unsigned char)*p);
        other[n] = '\0';
        if (strchr(other, '.') != NULL && wp_registrable(other, oreg, sizeof oreg) &&
            strcmp(oreg, reg) != 0)
            wp_scan_finding(s, "FROM_DISPLAY_ADDRESS", "header:From",
                            "display name shows an address at %s, the mail is from %s", oreg, reg);
    }
    char rt_name[256], rt_addr[256], rt_reg[WP_DOMAIN_MAX], list_id[8];
    if (wp_mailbox_split(r->reply_to, rt_name, sizeof rt_name, rt_addr, sizeof rt_addr)) {
        const char *d = wp_addr_domain(rt_addr);
        if (d != NULL && wp_registrable(d, rt_reg, sizeof rt_reg) && strcmp(rt_reg, reg) != 0 &&
            wp_domain_is_freemail(rt_reg) && !wp_domain_is_freemail(reg) &&
            !wp_raw_header(s, "List-Id", list_id, sizeof list_id) &&
            !wp_raw_header(s, "List-Post", list_id, sizeof list_id))
            wp_scan_finding(s, "FROM_REPLYTO_DIVERGENT", "header:Reply-To",
                            "From is at %s, replies go to free mail at %s", reg, rt_reg);
    }
}

static void
lure_checks(wp_scan *s)
{
    const wp_report *r = s->r;
    /* split once, whatever the Subject: the To address is used below too, and must never be
     * read unset (a message without a Subject used to leave it uninitialised; fuzz find) */
    char to_name[256] = "", to_addr[256] = "";
    if (!wp_mailbox_split(r->to, to_name, sizeof to_name, to_addr, sizeof to_addr))
        to_addr[0] = '\0';
    if (r->subject != NULL && strlen(to_addr) >= 6 &&
        wp_memcasemem(r->subject, strlen(r->subject), to_addr, strlen(to_addr)) != NULL)
        wp_scan_finding(s, "LURE_RCPT_IN_SUBJECT", "header:Subject",
                        "the Subject carries the recipient's address %s", to_addr);
    /* "pot Mail Administrator <x@elsewhere>": the recipient's own organisation named in an
     * outside sender's display name, the mass-produced form of a tailored lure */
    char fname[256], faddr[256], treg[WP_DOMAIN_MAX], freg[WP_DOMAIN_MAX], label[64];
    const char *td = to_addr[0] ? wp_addr_domain(to_addr) : NULL;
    if (td == NULL || !wp_mailbox_split(r->from, fname, sizeof fname, faddr, sizeof faddr) ||
        wp_addr_domain(faddr) == NULL || !wp_registrable(td, treg, sizeof treg) ||
        !wp_registrable(wp_addr_domain(faddr), freg, sizeof freg) || strcmp(treg, freg) == 0 ||
        wp_domain_is_freemail(treg))
        return;
    size_t ll = strcspn(treg, ".");
    if (ll < 3 || ll >= sizeof label)
        return;
    memcpy(label, treg, ll);
    label[ll] = '\0';
    const char *hit = wp_memcasemem(fname, strlen(fname), label, ll);
    if (hit != NULL && (hit == fname || !isalnum((unsigned char)hit[-1])) &&
        !isalnum((unsigned char)hit[ll]))
        wp_scan_finding(s, "LURE_RCPT_ORG_IN_NAME", "header:From",
                        "display name '%s' names the recipient's own domain %s; the mail is "
                        "from %s",
                        fname, treg, freg);
}

static bool
valid_domain(const char *d)
{
    size_t n = strlen(d);
    if (n < 3 || d[0] == '.' || d[n - 1] == '.' || d[0] == '-' || strchr(d, '.') == NULL ||
        strstr(d, "..") != NULL)
        return false;
    if (d[0] == '[')
        return d[n - 1] == ']';
    for (const char *p = d; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || (unsigned char)*p >= 0x80))
            return false;
    return true;
}

static void
imp_analyze(wp_scan *s, void *state)
{
    imp_state *st = state;
    const wp_report *r = s->r;
    char name[256], addr[256], reg[WP_DOMAIN_MAX] = "";
    bool have_from = wp_mailbox_split(r->from, name, sizeof name, addr, sizeof addr);
    const char *dom = have_from ? wp_addr_domain(addr) : NULL;
    lure_checks(s);
    wp_sender_checks(s);
    if (dom != NULL && !valid_domain(dom))
        wp_scan_finding(s, "FROM_BAD_DOMAIN", "header:From",
                        "'%s' cannot be a domain that receives mail", dom);
    if (dom == NULL || !wp_registrable(dom, reg, sizeof reg))
        return;
    brand_checks(s, name, addr, reg);
    if (st->set.n_prot == 0 && st->set.n_vips == 0 && st->set.n_orgs == 0)
        return;

    bool ours = is_protected(st, dom);
    bool claims_us = false;
    char nname[256];
    normalise_name(name, nname, sizeof nname);
    for (size_t i = 0; i < st->set.n_vips && name[0]; i++) {
        const vip *v = &st->set.vips[i];
        if (strcmp(nname, v->name) != 0)
            continue;
        claims_us = true;
        bool genuine =
            v->addr ? strcmp(addr, v->addr) == 0 && !auth_failed(r) : ours && !auth_failed(r);
        if (!genuine)
            wp_scan_finding(s, "IMP_DISPLAY_NAME_VIP", "header:From",
                            "'%s' is the name of our %s, the address is %s", name, v->shown, addr);
    }
    for (size_t i = 0; i < st->set.n_prot && name[0] && !ours; i++)
        if (wp_memcasemem(name, strlen(name), st->set.prot[i], strlen(st->set.prot[i]))) {
            claims_us = true;
            wp_scan_finding(s, "IMP_DISPLAY_NAME_DOMAIN", "header:From",
                            "display name '%s' shows our %s, the address is at %s", name,
                            st->set.prot[i], reg);
        }
    for (size_t i = 0; i < st->set.n_orgs && name[0] && !ours; i++)
        if (wp_memcasemem(name, strlen(name), st->set.orgs[i], strlen(st->set.orgs[i])))
            claims_us = true;

    /* look-alikes: every sender identity, then every link host */
    bool done = false;
    check_lookalike(s, st, dom, "header:From", &done);
    const char *hdrs[][2] = {{r->reply_to, "header:Reply-To"},
                             {r->return_path, "header:Return-Path"},
                             {r->sender, "header:Sender"}};
    for (size_t i = 0; i < 3; i++) {
        char n2[256], a2[256];
        if (wp_mailbox_split(hdrs[i][0], n2, sizeof n2, a2, sizeof a2))
            check_lookalike(s, st, wp_addr_domain(a2), hdrs[i][1], &done);
    }
    if (s->env != NULL && s->env->mail_from != NULL)
        check_lookalike(s, st, wp_addr_domain(s->env->mail_from), "envelope:MAIL FROM", &done);
    for (size_t i = 0; i < r->n_urls; i++)
        check_lookalike(s, st, r->urls[i].host, r->urls[i].where, &done);
    if (done)
        claims_us = true;

    if (ours) {
        claims_us = true;
        bool inbound_unauth = s->env != NULL && s->env->direction == WP_DIR_INBOUND &&
                              !s->env->authenticated && !from_authenticated(r);
        if (auth_failed(r) || inbound_unauth)
            wp_scan_finding(s, "IMP_INTERNAL_SPOOF", "header:From",
                            "From %s is our domain, but the message %s", addr,
                            auth_failed(r) ? "failed sender authentication"
                                           : "came from outside without authenticating");
        char rn[256], ra[256], rreg[WP_DOMAIN_MAX];
        if (wp_mailbox_split(r->reply_to, rn, sizeof rn, ra, sizeof ra) &&
            wp_addr_domain(ra) != NULL && !is_protected(st, wp_addr_domain(ra)) &&
            wp_registrable(wp_addr_domain(ra), rreg, sizeof rreg))
            wp_scan_finding(s, "IMP_REPLYTO_DIVERGENT", "header:Reply-To",
                            "From claims our %s, replies go to %s", reg, rreg);
    }

    /* first contact: remembered per registrable domain, only with a history database */
    if (st->db != NULL && !ours) {
        pthread_mutex_lock(&st->mu);
        wp_seen how = wp_seenset_add(&st->seen, hash_str(reg));
        bool known = how != WP_SEEN_NEW;
        if (how != WP_SEEN_CURRENT)
            history_note(st, reg, how);
        pthread_mutex_unlock(&st->mu);
        if (!known && claims_us)
            wp_scan_finding(s, "IMP_FIRST_CONTACT", "header:From",
                            "first message ever seen from %s, which presents itself as one of "
                            "us",
                            reg);
    }
}

const wp_module wp_module_impersonation = {
    .name = "impersonation",
    .settings_new = settings_new,
    .settings_free = settings_free,
    .set = settings_set,
    .open = imp_open,
    .close = imp_close,
    .analyze = imp_analyze,
};
