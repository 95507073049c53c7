/*
 * urls.c - the "urls" analyzer: what the links of a message say about it.
 *
 * Every link the walker found (s->r->urls: text, href, form action, PDF and Office targets,
 * meta refresh) is checked for the disguises credential phishing uses: text showing one
 * domain while the link goes to another, raw IPs, user@host tricks, shorteners, punycode,
 * data: and javascript: URLs, free hosting, open redirectors, CMS internals of compromised
 * sites. Each code is reported once per message with its first example; repeats of the same
 * trick would add no evidence.
 *
 * Settings: urls.allow = DOMAIN (repeatable): registrable domains whose links are never
 * flagged (the organisation's own, its partners'); urls.shortener = DOMAIN (repeatable)
 * and urls.free_hosting = DOMAIN (repeatable) extend the built-in lists.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brands.h"
#include "core/util.h"
#include "engine/module.h"
#include "names.h"

#define LIST_MAX        4096
#define IMAGE_LURE_TEXT 300 /* bytes of visible text below which a message is "a picture" */

typedef struct strlist {
    char **v;
    size_t n;
} strlist;

typedef struct urls_settings {
    strlist allow, shortener, free_hosting;
} urls_settings;

static const char *const shorteners[] = {
    "bit.ly",      "tinyurl.com", "t.co",
    "goo.gl",      "ow.ly",       "is.gd",
    "buff.ly",     "rebrand.ly",  "cutt.ly",
    "shorturl.at", "rb.gy",       "t.ly",
    "s.id",        "tiny.cc",     "bit.do",
    "v.gd",        "qrco.de",     "shorte.st",
    "adf.ly",      "bl.ink",      "lnkd.in",
    "soo.gd",      "x.co",        "u.to",
    "clck.ru",     "tny.im",      "urlz.fr",
    "short.io",    "surl.li",     "t2m.io",
    "gg.gg",       "linktr.ee",   "encurtador.com.br",
    "l.ead.me",    "2no.co",      "ln.run",
    "y2u.be",      "tr.ee",       "qr.net",
    "snip.ly",     "bitly.com",   "1url.com",
    "tinyurl.is",  "han.gl",      "me2.do",
    "url.kr",      "vo.la",       "shorturl.asia",
};

/* Hosting where anyone can publish a page in minutes: names are registrable domains as
 * libpsl computes them (firebaseapp.com is a public suffix, so "x.firebaseapp.com" is its
 * own registrable domain: those are matched on the suffix below). */
static const char *const free_hosting[] = {
    "firebasestorage.googleapis.com",
    "storage.googleapis.com",
    "sites.google.com",
    "docs.google.com",
    "forms.gle",
    "drive.google.com",
    "script.google.com",
    "ipfs.io",
    "dweb.link",
    "cloudflare-ipfs.com",
    "r2.dev",
    "pages.dev",
    "workers.dev",
    "web.app",
    "firebaseapp.com",
    "blob.core.windows.net",
    "web.core.windows.net",
    "azurewebsites.net",
    "000webhostapp.com",
    "weebly.com",
    "wixsite.com",
    "wix.com",
    "glitch.me",
    "herokuapp.com",
    "netlify.app",
    "vercel.app",
    "github.io",
    "gitlab.io",
    "ngrok.io",
    "ngrok-free.app",
    "repl.co",
    "replit.app",
    "jotform.com",
    "formstack.com",
    "typeform.com",
    "forms.office.com",
    "sharepoint.com",
    "onedrive.live.com",
    "1drv.ms",
    "dropbox.com",
    "notion.site",
    "webflow.io",
    "squarespace.com",
    "godaddysites.com",
    "blogspot.com",
    "wordpress.com",
    "mystrikingly.com",
    "canva.site",
    "my.canva.site",
    "surge.sh",
    "fleek.co",
    "on.fleek.co",
    "translate.goog",
    "amazonaws.com",
    "digitaloceanspaces.com",
    "backblazeb2.com",
    "framer.app",
    "framer.website",
    "carrd.co",
    "webcindario.com",
    "yolasite.com",
    "tiiny.site",
    "servehttp.com",
    "duckdns.org",
    "no-ip.org",
    "hopto.org",
    "ddns.net",
};

/* Top-level domains where most registrations are abusive (Spamhaus and Interisle
 * reports): weak evidence alone, so weight 1 and category spam. */
static const char *const bad_tlds[] = {
    "xyz",  "top",  "click",   "zip",   "mov",  "icu", "cfd",    "sbs",  "rest",
    "buzz", "cyou", "monster", "quest", "bond", "tk",  "ml",     "ga",   "cf",
    "gq",   "work", "support", "cam",   "shop", "lol", "beauty", "hair", "skin"};

static bool
in_list(const char *const *list, size_t n, const char *host)
{
    size_t hl = strlen(host);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list[i]);
        if (hl == l ? strcmp(host, list[i]) == 0
                    : (hl > l && host[hl - l - 1] == '.' && strcmp(host + hl - l, list[i]) == 0))
            return true;
    }
    return false;
}

static bool
in_strlist(const strlist *l, const char *host)
{
    return l->n > 0 && in_list((const char *const *)l->v, l->n, host);
}

static void *
settings_new(void)
{
    return calloc(1, sizeof(urls_settings));
}

static void
strlist_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void
settings_free(void *p)
{
    urls_settings *u = p;
    if (u == NULL)
        return;
    strlist_free(&u->allow);
    strlist_free(&u->shortener);
    strlist_free(&u->free_hosting);
    free(u);
}

/* A domain setting: lower-cased, without scheme, leading dots or trailing dot. */
static wp_status
strlist_add(strlist *l, const char *key, const char *value, char *err, size_t errlen)
{
    while (*value == '.' || *value == ' ')
        value++;
    size_t n = strlen(value);
    while (n > 0 && (value[n - 1] == '.' || value[n - 1] == ' '))
        n--;
    if (n == 0 || n >= WP_DOMAIN_MAX || memchr(value, '/', n) || memchr(value, ' ', n)) {
        snprintf(err, errlen, "%s wants a domain name such as example.org, not '%s'", key, value);
        return WP_EINVAL;
    }
    if (l->n >= LIST_MAX) {
        snprintf(err, errlen, "%s: more than %d entries", key, LIST_MAX);
        return WP_EINVAL;
    }
    char **nv = realloc(l->v, (l->n + 1) * sizeof(char *));
    if (nv == NULL)
        return WP_ENOMEM;
    l->v = nv;
    char *d = strndup(value, n);
    if (d == NULL)
        return WP_ENOMEM;
    wp_ascii_lower(d);
    l->v[l->n++] = d;
    return WP_OK;
}

static wp_status
settings_set(void *p, const char *key, const char *value, char *err, size_t errlen)
{
    urls_settings *u = p;
    if (strcmp(key, "allow") == 0)
        return strlist_add(&u->allow, "urls.allow", value, err, errlen);
    if (strcmp(key, "shortener") == 0)
        return strlist_add(&u->shortener, "urls.shortener", value, err, errlen);
    if (strcmp(key, "free_hosting") == 0)
        return strlist_add(&u->free_hosting, "urls.free_hosting", value, err, errlen);
    snprintf(err, errlen, "unknown setting 'urls.%s' (allow, shortener, free_hosting)", key);
    return WP_ENOTFOUND;
}

static wp_status
strlist_copy(strlist *dst, const strlist *src)
{
    char e[8];
    for (size_t i = 0; i < src->n; i++)
        if (strlist_add(dst, "", src->v[i], e, sizeof e) != WP_OK)
            return WP_ENOMEM;
    return WP_OK;
}

static wp_status
urls_open(const void *settings, const wp_engine_config *cfg, void **state, char *err, size_t errlen)
{
    (void)cfg;
    (void)err;
    (void)errlen;
    urls_settings *u = settings_new();
    if (u == NULL)
        return WP_ENOMEM;
    const urls_settings *src = settings;
    if (src != NULL && (strlist_copy(&u->allow, &src->allow) != WP_OK ||
                        strlist_copy(&u->shortener, &src->shortener) != WP_OK ||
                        strlist_copy(&u->free_hosting, &src->free_hosting) != WP_OK)) {
        settings_free(u);
        return WP_ENOMEM;
    }
    *state = u;
    return WP_OK;
}

/* The domain-looking token a link's visible text shows ("www.paypal.com", "https://x.y/z",
 * "paypal.com/login"), lower-cased host into out; false when the text is prose. */
static bool
text_host(const char *text, char *out, size_t outlen)
{
    if (text == NULL)
        return false;
    while (*text == ' ' || *text == '<' || *text == '[' || *text == '(')
        text++;
    const char *p = strstr(text, "://");
    if (p != NULL && p - text <= 8)
        text = p + 3;
    size_t n = 0;
    bool dot = false;
    for (; text[n] && n + 1 < outlen; n++) {
        char c = text[n];
        if (c == '.')
            dot = true;
        else if (!isalnum((unsigned char)c) && c != '-')
            break;
        out[n] = (char)tolower((unsigned char)c);
    }
    out[n] = '\0';
    /* the text must be nothing but the address (trailing path or punctuation allowed) */
    char end = text[n];
    if (!(end == '\0' || end == '/' || end == ' ' || end == '>' || end == ']' || end == ')' ||
          end == ':'))
        return false;
    if (end == ' ' && text[n + 1] != '\0')
        return false;
    while (n > 0 && out[n - 1] == '.')
        out[--n] = '\0';
    const char *last = strrchr(out, '.');
    /* a TLD of letters: "1.5" or "v2.0" are not hosts */
    if (!dot || last == NULL || strlen(last + 1) < 2)
        return false;
    for (const char *c = last + 1; *c; c++)
        if (!isalpha((unsigned char)*c))
            return false;
    return true;
}

static bool
is_link_source(const char *src)
{
    return strcmp(src, "href") == 0 || strcmp(src, "action") == 0 || strcmp(src, "refresh") == 0 ||
           strcmp(src, "pdf") == 0 || strcmp(src, "text") == 0 || strcmp(src, "office") == 0;
}

enum {
    F_MISMATCH,
    F_IP,
    F_USERINFO,
    F_SHORT,
    F_PUNY,
    F_DATA,
    F_JS,
    F_FREE,
    F_TLD,
    F_REDIR,
    F_CMS,
    F_FORM,
    F_BRAND,
    F__COUNT
};

static void
urls_analyze(wp_scan *s, void *state)
{
    const urls_settings *cfg = state;
    const wp_report *r = s->r;
    bool done[F__COUNT] = {false};
    char from_name[256], from_addr[256], from_dom[WP_DOMAIN_MAX] = "";
    if (wp_mailbox_split(r->from, from_name, sizeof from_name, from_addr, sizeof from_addr)) {
        const char *d = wp_addr_domain(from_addr);
        if (d == NULL || !wp_registrable(d, from_dom, sizeof from_dom))
            from_dom[0] = '\0';
    }
    /* a sender address on a hosting platform's shared domain (x.firebaseapp.com, a tenant's
     * default x.onmicrosoft.com): a domain anyone gets in a minute, for a sender who did not
     * want one of their own */
    if (from_addr[0] != '\0') {
        const char *fd = wp_addr_domain(from_addr);
        if (fd != NULL && (in_list(free_hosting, sizeof free_hosting / sizeof *free_hosting, fd) ||
                           in_strlist(&cfg->free_hosting, fd)))
            wp_scan_finding(s, "FROM_FREE_HOSTING", "header:From",
                            "the sender's address is on the hosting platform domain %s", fd);
    }
    /* mail from a brand's own domain whose links all leave the brand: the classic spoofed
     * "eBay <aw-confirm@ebay.com>" with every link on a rented server */
    const wp_brand *from_brand = from_dom[0] ? wp_brand_of_domain(from_dom) : NULL;
    size_t brand_links = 0, foreign_links = 0;
    char foreign_example[WP_DOMAIN_MAX] = "";
    const char *foreign_where = NULL;
    const char *last_host = NULL;
    char last_reg[WP_DOMAIN_MAX];
    bool last_ok = false;
    for (size_t i = 0; i < r->n_urls; i++) {
        const wp_url *u = &r->urls[i];
        if (u->url == NULL || !is_link_source(u->source))
            continue;
        const char *url = u->url;
        if (!done[F_DATA] && wp_has_prefix_ci(url, strlen(url), "data:") &&
            strcmp(u->source, "src") != 0) {
            done[F_DATA] = true;
            wp_scan_finding(s, "URL_DATA_URI", u->where, "%s link to '%.60s...'", u->source, url);
        }
        if (!done[F_JS] && wp_has_prefix_ci(url, strlen(url), "javascript:")) {
            done[F_JS] = true;
            wp_scan_finding(s, "URL_JAVASCRIPT", u->where, "%s link '%.80s'", u->source, url);
        }
        if (u->host == NULL || *u->host == '\0')
            continue;
        /* links of one message mostly share a few hosts: remember the last answer, the
         * public-suffix lookup is the costliest step here */
        char reg[WP_DOMAIN_MAX];
        if (last_host != NULL && strcmp(last_host, u->host) == 0) {
            if (!last_ok)
                continue;
            memcpy(reg, last_reg, sizeof reg);
        } else {
            last_host = u->host;
            last_ok = wp_registrable(u->host, last_reg, sizeof last_reg);
            if (!last_ok)
                continue;
            memcpy(reg, last_reg, sizeof reg);
        }
        if (from_brand != NULL &&
            (strcmp(u->source, "href") == 0 || strcmp(u->source, "action") == 0)) {
            if (wp_brand_owns(from_brand, reg)) {
                brand_links++;
            } else if (foreign_links++ == 0) {
                snprintf(foreign_example, sizeof foreign_example, "%s", u->host);
                foreign_where = u->where;
            }
        }
        if (in_strlist(&cfg->allow, reg) ||
            (from_dom[0] && strcmp(reg, from_dom) == 0 && strcmp(u->source, "action") != 0))
            continue; /* the sender's own links are judged by who the sender is */
        const char *auth = strstr(url, "://");
        if (!done[F_USERINFO] && auth != NULL) {
            size_t alen = strcspn(auth + 3, "/?#");
            const char *at = memchr(auth + 3, '@', alen);
            if (at != NULL && at > auth + 3) {
                done[F_USERINFO] = true;
                wp_scan_finding(s, "URL_USERINFO", u->where,
                                "'%.*s' before '@' hides the real host %s",
                                (int)(at - auth - 3 > 60 ? 60 : at - auth - 3), auth + 3, u->host);
            }
        }
        if (!done[F_IP] && wp_host_is_ip(u->host) && !wp_ip_is_private(u->host)) {
            done[F_IP] = true;
            wp_scan_finding(s, "URL_IP_HOST", u->where, "%s link to the address %s", u->source,
                            u->host);
        }
        if (!done[F_SHORT] &&
            (in_list(shorteners, sizeof shorteners / sizeof *shorteners, u->host) ||
             in_strlist(&cfg->shortener, u->host))) {
            done[F_SHORT] = true;
            wp_scan_finding(s, "URL_SHORTENER", u->where, "%s link through %s", u->source, u->host);
        }
        char uni[WP_DOMAIN_MAX];
        if (!done[F_PUNY] && wp_host_unicode(u->host, uni, sizeof uni)) {
            done[F_PUNY] = true;
            wp_scan_finding(s, "URL_PUNYCODE", u->where, "%s link to %s, shown as '%s'", u->source,
                            u->host, uni);
        }
        if (!done[F_FREE] &&
            (in_list(free_hosting, sizeof free_hosting / sizeof *free_hosting, u->host) ||
             in_strlist(&cfg->free_hosting, u->host))) {
            done[F_FREE] = true;
            wp_scan_finding(s, "URL_FREE_HOSTING", u->where, "%s link to a page on %s", u->source,
                            u->host);
        }
        const char *tld = strrchr(u->host, '.');
        if (!done[F_TLD] && tld != NULL &&
            in_list(bad_tlds, sizeof bad_tlds / sizeof *bad_tlds, tld + 1)) {
            done[F_TLD] = true;
            wp_scan_finding(s, "URL_SUSPICIOUS_TLD", u->where, "%s link to %s", u->source, u->host);
        }
        const char *q = strchr(url, '?');
        if (!done[F_REDIR] && q != NULL) {
            /* a full URL as a parameter value of another site */
            const char *v = q;
            while ((v = strpbrk(v + 1, "=")) != NULL) {
                if (wp_has_prefix_ci(v + 1, strlen(v + 1), "http") &&
                    (strncmp(v + 5, "://", 3) == 0 || strncmp(v + 6, "://", 3) == 0 ||
                     strncasecmp(v + 5, "%3a%2f%2f", 9) == 0 ||
                     strncasecmp(v + 6, "%3a%2f%2f", 9) == 0)) {
                    done[F_REDIR] = true;
                    wp_scan_finding(s, "URL_REDIRECTOR", u->where,
                                    "link through %s to a destination given as a parameter",
                                    u->host);
                    break;
                }
            }
        }
        if (!done[F_CMS] && (strstr(url, "/wp-content/") || strstr(url, "/wp-admin/") ||
                             strstr(url, "/wp-includes/") || strstr(url, "/.well-known/") ||
                             strstr(url, "/cgi-bin/"))) {
            done[F_CMS] = true;
            wp_scan_finding(s, "URL_CMS_PATH", u->where, "link into a site's internals: '%.100s'",
                            url);
        }
        if (!done[F_FORM] && strcmp(u->source, "action") == 0) {
            done[F_FORM] = true;
            wp_scan_finding(s, "URL_FORM_OFFSITE", u->where, "form posts to %s", u->host);
        }
        const wp_brand *b;
        /* a brand's name can only hide in a subdomain or in the path: a bare registrable
         * host with a dot-free path has nowhere to put it */
        bool room = strlen(u->host) > strlen(reg) ||
                    (auth != NULL && strchr(auth + 3 + strcspn(auth + 3, "/?#"), '.') != NULL);
        if (!done[F_BRAND] && room && (b = wp_brand_in_url(url, reg)) != NULL) {
            done[F_BRAND] = true;
            wp_scan_finding(s, "URL_PROTECTED_IN_PATH", u->where,
                            "link to %s dresses up as %s: '%.100s'", reg, b->name, url);
        }
        char th[WP_DOMAIN_MAX], treg[WP_DOMAIN_MAX];
        if (!done[F_MISMATCH] && u->text != NULL && strcmp(u->source, "href") == 0 &&
            text_host(u->text, th, sizeof th) && wp_registrable(th, treg, sizeof treg) &&
            strcmp(treg, reg) != 0) {
            done[F_MISMATCH] = true;
            wp_scan_finding(s, "URL_TEXT_HREF_MISMATCH", u->where,
                            "link text shows %s but goes to %s", th, u->host);
        }
    }
    /* a picture to click: almost no text, an image and a link. Text is what filters and
     * readers judge, so lures that want to pass both carry their words inside an image;
     * mail from people and newsletters carries text, if only an unsubscribe footer */
    size_t n_img = 0, n_href = 0;
    for (size_t i = 0; i < r->n_urls; i++) {
        n_img += strcmp(r->urls[i].source, "src") == 0;
        n_href += strcmp(r->urls[i].source, "href") == 0;
    }
    if (n_img > 0 && n_href > 0 && r->text_bytes < IMAGE_LURE_TEXT)
        wp_scan_finding(s, "HTML_IMAGE_LURE", "message",
                        "%llu bytes of visible text, %zu image(s) and %zu link(s)",
                        (unsigned long long)r->text_bytes, n_img, n_href);
    if (from_brand != NULL && foreign_links > 0 && brand_links == 0)
        wp_scan_finding(s, "FROM_BRAND_FOREIGN_LINKS", foreign_where,
                        "From is %s's own %s, but none of its %zu link(s) goes to %s (e.g. %s)",
                        from_brand->name, from_dom, foreign_links, from_brand->name,
                        foreign_example);
    /* an HTML attachment the reader opens in a browser, that asks for a password, posts a
     * form, or sends the browser away: a credential-harvest page (issue: "base64-HTML
     * attachments that are credential-harvest pages") */
    for (size_t i = 0; i < r->n_objects; i++) {
        const wp_object *o = &r->objects[i];
        if (!o->is_attachment || o->kind == NULL || strcmp(o->kind, "html") != 0)
            continue;
        for (size_t k = 0; k < r->n_findings; k++) {
            const wp_finding *f = &r->findings[k];
            if (strcmp(f->where, o->where) != 0)
                continue;
            if (strcmp(f->code, "HTML_PASSWORD_FIELD") == 0 || strcmp(f->code, "HTML_FORM") == 0 ||
                strcmp(f->code, "HTML_SCRIPT_REDIRECT") == 0 ||
                strcmp(f->code, "HTML_SCRIPT_DECODE") == 0) {
                wp_scan_finding(s, "ATTACH_HTML_CREDENTIAL", o->where,
                                "HTML attachment '%s' is a page for the browser (%s)",
                                o->name ? o->name : o->where, f->code);
                break;
            }
        }
    }
}

static void
urls_close(void *state)
{
    settings_free(state);
}

const wp_module wp_module_urls = {
    .name = "urls",
    .settings_new = settings_new,
    .settings_free = settings_free,
    .set = settings_set,
    .open = urls_open,
    .close = urls_close,
    .analyze = urls_analyze,
};
