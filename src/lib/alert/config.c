/*
 * config.c - the alert.* settings: defaults, parsing with range checks, release.
 *
 * Values are copied; wp_alert_config_fini() releases them. Error messages name the key
 * and the accepted range, but never echo a webhook header (it usually holds a token).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert_int.h"
#include "core/util.h"

void
wp_alert_config_init(wp_alert_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->min_severity = 2;
    cfg->syslog = true;
    cfg->webhook_timeout_ms = 5000;
    cfg->retries = 5;
    cfg->backoff_ms = 500;
    cfg->backoff_max_ms = 30000;
    cfg->queue_size = 256;
}

void
wp_alert_config_fini(wp_alert_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->webhook);
    for (size_t i = 0; i < cfg->n_headers; i++)
        free(cfg->headers[i]);
    free(cfg->mail_to);
    free(cfg->mail_from);
    free(cfg->smtp);
    wp_alert_config_init(cfg);
}

static bool
parse_int(const char *value, long lo, long hi, int *out)
{
    char *end;
    long v = strtol(value, &end, 10);
    if (end == value || *end != '\0' || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

/* No CR, LF or other control bytes: values end up in protocol lines. */
static bool
has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* One plain address: local@domain, no spaces, brackets or controls. */
static bool
is_address(const char *s)
{
    size_t n = strlen(s);
    const char *at = strchr(s, '@');
    return n >= 3 && n <= 254 && at != NULL && at != s && at[1] != '\0' &&
           strchr(at + 1, '@') == NULL && strpbrk(s, " \t<>,;\"()") == NULL && !has_ctl(s);
}

static const struct {
    const char *key;
    long lo, hi;
    size_t off;
} int_keys[] = {
    {"min_severity", 0, 5, offsetof(wp_alert_config, min_severity)},
    {"webhook_timeout_ms", 100, 120000, offsetof(wp_alert_config, webhook_timeout_ms)},
    {"webhook_retries", 0, 20, offsetof(wp_alert_config, retries)},
    {"retries", 0, 20, offsetof(wp_alert_config, retries)},
    {"backoff_ms", 1, 600000, offsetof(wp_alert_config, backoff_ms)},
    {"backoff_max_ms", 1, 3600000, offsetof(wp_alert_config, backoff_max_ms)},
    {"queue_size", 1, WP_ALERT_MAX_QUEUE, offsetof(wp_alert_config, queue_size)},
};

wp_status
wp_alerter_config_set(wp_alert_config *cfg, const char *key, const char *value, char *err,
                      size_t errlen)
{
    if (strncmp(key, "alert.", 6) != 0) {
        snprintf(err, errlen, "'%s' is not an alert.* setting", key);
        return WP_ENOTFOUND;
    }
    key += 6;
    for (size_t i = 0; i < sizeof int_keys / sizeof int_keys[0]; i++) {
        if (strcmp(key, int_keys[i].key) != 0)
            continue;
        if (!parse_int(value, int_keys[i].lo, int_keys[i].hi,
                       (int *)(void *)((char *)cfg + int_keys[i].off))) {
            snprintf(err, errlen, "alert.%s: '%.40s' is not a number from %ld to %ld", key, value,
                     int_keys[i].lo, int_keys[i].hi);
            return WP_EINVAL;
        }
        return WP_OK;
    }
    if (strcmp(key, "syslog") == 0) {
        if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
            cfg->syslog = true;
        else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
            cfg->syslog = false;
        else {
            snprintf(err, errlen, "alert.syslog: '%.40s' is not yes or no", value);
            return WP_EINVAL;
        }
        return WP_OK;
    }
    if (strcmp(key, "webhook") == 0) {
        /* The URL itself may carry a token (Slack-style hooks): it is not echoed. */
        if ((strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0) ||
            strlen(value) > 2048 || has_ctl(value) || strchr(value, ' ') != NULL) {
            snprintf(err, errlen,
                     "alert.webhook: not an http:// or https:// URL of at most 2048 bytes");
            return WP_EINVAL;
        }
        return wp_str_replace(&cfg->webhook, value);
    }
    if (strcmp(key, "webhook_header") == 0) {
        const char *colon = strchr(value, ':');
        if (colon == NULL || colon == value || strlen(value) > 4096 || has_ctl(value) ||
            strcspn(value, " \t") < (size_t)(colon - value)) {
            snprintf(err, errlen, "alert.webhook_header: not a 'Name: value' header line");
            return WP_EINVAL;
        }
        if (cfg->n_headers == WP_ALERT_MAX_HEADERS) {
            snprintf(err, errlen, "alert.webhook_header: at most %d", WP_ALERT_MAX_HEADERS);
            return WP_EINVAL;
        }
        if ((cfg->headers[cfg->n_headers] = strdup(value)) == NULL)
            return WP_ENOMEM;
        cfg->n_headers++;
        return WP_OK;
    }
    if (strcmp(key, "mail_to") == 0 || strcmp(key, "mail_from") == 0) {
        if (!is_address(value)) {
            snprintf(err, errlen, "alert.%s: '%.80s' is not one plain address (local@domain)", key,
                     value);
            return WP_EINVAL;
        }
        return wp_str_replace(key[5] == 't' ? &cfg->mail_to : &cfg->mail_from, value);
    }
    if (strcmp(key, "smtp") == 0) {
        if (value[0] == '\0' || strlen(value) > 512 || has_ctl(value) ||
            strchr(value, ' ') != NULL ||
            (strstr(value, "://") != NULL && strncmp(value, "smtp://", 7) != 0 &&
             strncmp(value, "smtps://", 8) != 0)) {
            snprintf(err, errlen, "alert.smtp: '%.80s' is not host:port or an smtp[s]:// URL",
                     value);
            return WP_EINVAL;
        }
        return wp_str_replace(&cfg->smtp, value);
    }
    snprintf(err, errlen,
             "unknown setting 'alert.%.60s' (min_severity, syslog, webhook, webhook_timeout_ms, "
             "webhook_retries, backoff_ms, backoff_max_ms, webhook_header, mail_to, mail_from, "
             "smtp, queue_size)",
             key);
    return WP_ENOTFOUND;
}
