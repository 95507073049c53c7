/*
 * ids.c - Suricata alerts as findings: severity 1 (high) and 2 only; 3 and the unset ones
 * are the sensor's housekeeping (policy, info) and would drown the rest. One finding per
 * (our host, signature, other end), repeated as its count doubles (eg_once).
 */
#include <stdio.h>
#include <string.h>

#include "egress_int.h"

void
eg_ids_record(wp_egress *e, eg_rec *x)
{
    const wp_net_record *r = x->r;
    if (r->alert_severity != 1 && r->alert_severity != 2)
        return;
    if (x->dst_allowed)
        return;
    /* the alert's source may be the outside attacker: the finding names our host */
    eg_rec_text(x);
    eg_rec y = *x;
    bool swapped = !x->src_internal && x->dst_internal;
    if (swapped) {
        memcpy(y.src, x->dst, 16);
        memcpy(y.src_txt, x->dst_txt, sizeof y.src_txt);
        memcpy(y.dst_txt, x->src_txt, sizeof y.dst_txt);
    }
    char what[96];
    int wn = snprintf(what, sizeof what, "%lld|%s", (long long)r->signature_id, y.dst_txt);
    unsigned long long count;
    double first;
    bool go = eg_once(e, &y, WP_EG_IDS_ALERT, what, (size_t)wn < sizeof what ? (size_t)wn : 0,
                      &count, &first);
    x->capped |= y.capped;
    if (!go)
        return;
    wp_egress_finding f;
    eg_finding_init(&f, WP_EG_IDS_ALERT, r->ts, y.src_txt);
    f.first_ts = first;
    snprintf(f.dst, sizeof f.dst, "%s", y.dst_txt);
    f.dst_port = swapped ? r->src_port : r->dst_port;
    f.score = r->alert_severity == 1 ? 1.0 : 0.8;
    f.count = count;
    char sig[200];
    eg_safe_copy(sig, sizeof sig, r->signature.p, r->signature.n);
    eg_evidence(&f, "IDS alert [%lld] %s (severity %d), %llu time%s", (long long)r->signature_id,
                sig[0] ? sig : "(no signature text)", r->alert_severity, count,
                count == 1 ? "" : "s");
    eg_emit(e, &f);
}
