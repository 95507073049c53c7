/*
 * names.c - what the type names of indicator files mean: watchpost's own names, MISP
 * attribute types, STIX-ish and feed column names (abuse.ch "dst_ip"), each mapped to the
 * kind of indicator it holds, to "known but not matched here" (a MISP "mutex" row is
 * counted and skipped, not an error), or to nothing (a typo: a bad line).
 */
#include <string.h>
#include <strings.h>

#include "names.h"

static const struct {
    const char *name;
    intel_kind kind;
} names[] = {
    {"md5", K_MD5},
    {"sha1", K_SHA1},
    {"sha-1", K_SHA1},
    {"sha256", K_SHA256},
    {"sha-256", K_SHA256},
    {"hash", K_HASH},
    {"filehash", K_HASH},
    {"file_hash", K_HASH},
    {"email", K_EMAIL},
    {"e-mail", K_EMAIL},
    {"email-src", K_EMAIL},
    {"email-dst", K_EMAIL},
    {"email-reply-to", K_EMAIL},
    {"email-addr", K_EMAIL},
    {"email-address", K_EMAIL},
    {"email_address", K_EMAIL},
    {"sender", K_EMAIL},
    {"whois-registrant-email", K_EMAIL},
    {"domain", K_DOMAIN},
    {"domain-name", K_DOMAIN},
    {"hostname", K_DOMAIN},
    {"host", K_DOMAIN},
    {"fqdn", K_DOMAIN},
    {"url", K_URL},
    {"uri", K_URL},
    {"ip", K_IP},
    {"ip-dst", K_IP},
    {"ip-src", K_IP},
    {"ipv4", K_IP},
    {"ipv6", K_IP},
    {"ipv4-addr", K_IP},
    {"ipv6-addr", K_IP},
    {"ip-addr", K_IP},
    {"ip_address", K_IP},
    {"ip-address", K_IP},
    {"cidr", K_IP},
    {"network", K_IP},
    {"dst_ip", K_IP},
    {"src_ip", K_IP},
    {"ja3", K_JA3},
    {"ja3s", K_JA3},
    {"ja3_md5", K_JA3}, /* abuse.ch SSLBL JA3 list */
    {"ja3-fingerprint-md5", K_JA3},
    {"ja3s-fingerprint-md5", K_JA3},
    {"auto", K_AUTO},
    /* MISP attribute types with no matcher here: counted as ignored */
    {"filename", K_IGNORED},
    {"port", K_IGNORED},
    {"size-in-bytes", K_IGNORED},
    {"regkey", K_IGNORED},
    {"regkey|value", K_IGNORED},
    {"mutex", K_IGNORED},
    {"text", K_IGNORED},
    {"comment", K_IGNORED},
    {"other", K_IGNORED},
    {"yara", K_IGNORED},
    {"snort", K_IGNORED},
    {"sigma", K_IGNORED},
    {"pattern-in-file", K_IGNORED},
    {"pattern-in-traffic", K_IGNORED},
    {"pattern-in-memory", K_IGNORED},
    {"user-agent", K_IGNORED},
    {"vulnerability", K_IGNORED},
    {"as", K_IGNORED},
    {"link", K_IGNORED},
    {"attachment", K_IGNORED},
    {"campaign-name", K_IGNORED},
    {"threat-actor", K_IGNORED},
    {"email-subject", K_IGNORED},
    {"email-body", K_IGNORED},
    {"email-attachment", K_IGNORED},
    {"email-display-name", K_IGNORED},
    {"email-header", K_IGNORED},
    {"email-message-id", K_IGNORED},
    {"email-x-mailer", K_IGNORED},
    {"http-method", K_IGNORED},
    {"btc", K_IGNORED},
    {"whois-registrant-name", K_IGNORED},
    {"whois-registrar", K_IGNORED},
    {"ssdeep", K_IGNORED},
    {"imphash", K_IGNORED},
    {"authentihash", K_IGNORED},
    {"tlsh", K_IGNORED},
    {"sha224", K_IGNORED},
    {"sha384", K_IGNORED},
    {"sha512", K_IGNORED},
    {"pehash", K_IGNORED},
    {"x509-fingerprint-sha1", K_IGNORED},
    {"x509-fingerprint-sha256", K_IGNORED},
    {"x509-fingerprint-md5", K_IGNORED},
    {"hassh-md5", K_IGNORED},
    {"named pipe", K_IGNORED},
    {"mac-address", K_IGNORED},
    {"hex", K_IGNORED},
};

intel_kind
intel_kind_of(const char *s, size_t n)
{
    if (n == 0)
        return K_AUTO;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == n && strncasecmp(names[i].name, s, n) == 0)
            return names[i].kind;
    return K_UNKNOWN;
}

int
intel_kind_table(intel_kind k)
{
    switch (k) {
    case K_MD5:
        return T_MD5;
    case K_SHA1:
        return T_SHA1;
    case K_SHA256:
        return T_SHA256;
    default:
        return -1;
    }
}
