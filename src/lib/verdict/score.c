/*
 * score.c - the verdict module: findings -> score, verdict class, severity, action, reasons.
 *
 * The rules are written out in docs/VERDICTS.md and docs/SEVERITY.md so an analyst can
 * predict and audit every verdict; keep the three in step.
 *
 *  1. Contribution. Each finding code counts once per message, at its highest weight (ten
 *     copies of the same suspicious link are one piece of evidence, not ten); the other
 *     instances contribute 0. Weights come from "weight.CODE" or the catalogue.
 *  2. Score = sum of contributions; category scores likewise.
 *  3. Class. Below threshold.spam: clean. Otherwise the dominant malicious evidence decides:
 *     malware when the malware category reaches threshold.malware; else phishing when
 *     phishing + impersonation reach threshold.phishing; else spam.
 *     Independently of the total, a malware category at threshold.malware or a phishing +
 *     impersonation total at threshold.phishing is enough on its own (a lone trojan with no
 *     spam signs is still malware).
 *  4. Targeted. Impersonation-category findings only come from the organisation's own
 *     protected domains, VIP names and partners (a bank brand is phishing, not
 *     impersonation). A phishing or malware verdict with impersonation evidence of at least
 *     threshold.targeted becomes targeted; so does impersonation alone at
 *     threshold.targeted_alone (the linkless "are you at your desk?" of CEO fraud).
 *  5. Severity (docs/SEVERITY.md): clean and spam 0, phishing and malware 1, targeted 2.
 *     Levels 3-5 need evidence from outside one message (a host contacting the sender's
 *     infrastructure, outbound classification markings) and are set by the incident and DLP
 *     stages.
 *  6. Action: action.<class> (deliver, tag, quarantine, reject); with threshold.reject set,
 *     a score at or above it is rejected whatever the class.
 *  7. DLP: a contributing DLP_CLASSIFIED_MARKING (a classification marking in outbound mail,
 *     dlp module) sets severity 5 and action quarantine (hold), whatever the class and
 *     threshold.reject.
 *  8. Incomplete: a scan that ran out of time or memory (LIMIT_TIME, LIMIT_MEMORY) gets at
 *     least action.incomplete (default quarantine); a stronger action stands.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "engine/module.h"
#include "engine/scan.h"

typedef struct verdict_settings {
    int *weight; /* per catalogue row; INT_MIN: default */
    size_t n_weight;
    int t_spam, t_phishing, t_malware, t_targeted, t_targeted_alone, t_reject;
    wp_action action[WP_VERDICT__COUNT];
    wp_action incomplete; /* action.incomplete: the least action for an unfinished scan */
} verdict_settings;

static const char *const verdict_names[WP_VERDICT__COUNT] = {"clean", "spam", "phishing", "malware",
                                                             "targeted"};
static const char *const action_names[WP_ACTION__COUNT] = {"deliver", "tag", "quarantine",
                                                           "reject"};
static const char *const severity_names[6] = {"routine",
                                              "untargeted malicious",
                                              "targeted attempt",
                                              "suspected compromise",
                                              "confirmed compromise",
                                              "classified at risk"};

const char *
wp_verdict_name(wp_verdict_class c)
{
    return (unsigned)c < WP_VERDICT__COUNT ? verdict_names[c] : "unknown";
}

const char *
wp_action_name(wp_action a)
{
    return (unsigned)a < WP_ACTION__COUNT ? action_names[a] : "unknown";
}

const char *
wp_severity_name(int level)
{
    return level >= 0 && level <= 5 ? severity_names[level] : "unknown";
}

static void *
settings_new(void)
{
    verdict_settings *v = calloc(1, sizeof(*v));
    if (v == NULL)
        return NULL;
    size_t n;
    wp_finding_catalogue(&n);
    v->weight = malloc(n * sizeof(int));
    if (v->weight == NULL) {
        free(v);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v->weight[i] = INT_MIN;
    v->n_weight = n;
    v->t_spam = 6;
    v->t_phishing = 6;
    v->t_malware = 6;
    v->t_targeted = 3;
    v->t_targeted_alone = 6;
    v->t_reject = 0; /* off: refused mail would leave the sender's MTA with a bounce, kept
                        mail stays retrievable in quarantine */
    v->action[WP_VERDICT_CLEAN] = WP_ACTION_DELIVER;
    v->action[WP_VERDICT_SPAM] = WP_ACTION_TAG;
    v->action[WP_VERDICT_PHISHING] = WP_ACTION_QUARANTINE;
    v->action[WP_VERDICT_MALWARE] = WP_ACTION_QUARANTINE;
    v->action[WP_VERDICT_TARGETED] = WP_ACTION_QUARANTINE;
    v->incomplete = WP_ACTION_QUARANTINE;
    return v;
}

static void
settings_free(void *p)
{
    verdict_settings *v = p;
    if (v == NULL)
        return;
    free(v->weight);
    free(v);
}

static bool
parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long x = strtol(s, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    if (end == s || *end != '\0' || x < lo || x > hi)
        return false;
    *out = (int)x;
    return true;
}

static wp_status
settings_set(void *p, const char *key, const char *value, char *err, size_t errlen)
{
    verdict_settings *v = p;
    if (strncmp(key, "weight.", 7) == 0) {
        size_t n;
        const wp_finding_def *cat = wp_finding_catalogue(&n);
        const wp_finding_def *d = wp_finding_lookup(key + 7);
        if (d == NULL) {
            snprintf(err, errlen, "unknown finding code '%s' (see `watchpost findings`)", key + 7);
            return WP_ENOTFOUND;
        }
        if (!parse_int(value, -100, 100, &v->weight[d - cat])) {
            snprintf(err, errlen, "weight of %s must be an integer from -100 to 100, not '%s'",
                     d->code, value);
            return WP_EINVAL;
        }
        return WP_OK;
    }
    static const struct {
        const char *key;
        size_t off;
    } th[] = {
        {"threshold.spam", offsetof(verdict_settings, t_spam)},
        {"threshold.phishing", offsetof(verdict_settings, t_phishing)},
        {"threshold.malware", offsetof(verdict_settings, t_malware)},
        {"threshold.targeted", offsetof(verdict_settings, t_targeted)},
        {"threshold.targeted_alone", offsetof(verdict_settings, t_targeted_alone)},
        {"threshold.reject", offsetof(verdict_settings, t_reject)},
    };
    for (size_t i = 0; i < sizeof th / sizeof th[0]; i++) {
        if (strcmp(key, th[i].key) != 0)
            continue;
        if (!parse_int(value, 0, 10000, (int *)((char *)v + th[i].off))) {
            snprintf(err, errlen, "%s must be an integer from 0 to 10000, not '%s'", key, value);
            return WP_EINVAL;
        }
        return WP_OK;
    }
    if (strncmp(key, "action.", 7) == 0) {
        int cls = -1, act = -1;
        for (int i = 0; i < WP_VERDICT__COUNT; i++) {
            if (strcmp(key + 7, verdict_names[i]) == 0)
                cls = i;
        }
        bool incomplete = strcmp(key + 7, "incomplete") == 0;
        for (int i = 0; i < WP_ACTION__COUNT; i++) {
            if (strcmp(value, action_names[i]) == 0)
                act = i;
        }
        if (cls < 0 && !incomplete) {
            snprintf(err, errlen,
                     "unknown verdict in '%s' (clean, spam, phishing, malware, targeted, "
                     "incomplete)",
                     key);
            return WP_ENOTFOUND;
        }
        if (act < 0) {
            snprintf(err, errlen, "%s must be deliver, tag, quarantine or reject, not '%s'", key,
                     value);
            return WP_EINVAL;
        }
        if (incomplete)
            v->incomplete = (wp_action)act;
        else
            v->action[cls] = (wp_action)act;
        return WP_OK;
    }
    snprintf(err, errlen, "unknown setting '%s'", key);
    return WP_ENOTFOUND;
}

static wp_status
verdict_open(const void *settings, const wp_engine_config *cfg, void **state, char *err,
             size_t errlen)
{
    (void)cfg;
    (void)err;
    (void)errlen;
    verdict_settings *v = settings_new();
    if (v == NULL)
        return WP_ENOMEM;
    if (settings != NULL) {
        const verdict_settings *src = settings;
        int *w = v->weight;
        *v = *src;
        v->weight = w;
        memcpy(w, src->weight, src->n_weight * sizeof(int));
    }
    *state = v;
    return WP_OK;
}

int
wp_scan_weight(const wp_scan *s, const wp_finding_def *def)
{
    if (def == NULL)
        return 0;
    const verdict_settings *v = s->eng->mod_state[WP_MOD_VERDICT];
    if (v != NULL) {
        size_t n;
        const wp_finding_def *cat = wp_finding_catalogue(&n);
        size_t i = (size_t)(def - cat);
        if (i < v->n_weight && v->weight[i] != INT_MIN)
            return v->weight[i];
    }
    return def->weight;
}

static void add_reason(wp_scan *s, size_t *cap, const char *fmt, ...) WP_PRINTF(3, 4);

static void
add_reason(wp_scan *s, size_t *cap, const char *fmt, ...)
{
    wp_verdict *vd = &s->r->verdict;
    if (vd->n_reasons >= 8 ||
        !wp_arena_grow(s->a, (void **)&vd->reasons, cap, vd->n_reasons + 1, sizeof(char *)))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *line = wp_arena_vprintf(s->a, fmt, ap);
    va_end(ap);
    if (line != NULL)
        vd->reasons[vd->n_reasons++] = line;
}

/* "URL_TEXT_HREF_MISMATCH (+5), URL_IP_HOST (+4)": the strongest contributions of the
 * categories in mask, at most three. */
static char *
leaders(wp_scan *s, unsigned mask)
{
    const wp_report *r = s->r;
    const wp_finding *top[3] = {NULL, NULL, NULL};
    for (size_t i = 0; i < r->n_findings; i++) {
        const wp_finding *f = &r->findings[i];
        if (f->contribution <= 0 || !(mask & (1u << f->category)))
            continue;
        for (int k = 0; k < 3; k++) {
            if (top[k] == NULL || f->contribution > top[k]->contribution) {
                for (int j = 2; j > k; j--)
                    top[j] = top[j - 1];
                top[k] = f;
                break;
            }
        }
    }
    char buf[512];
    size_t o = 0;
    buf[0] = '\0';
    for (int k = 0; k < 3 && top[k] != NULL; k++) {
        int n = snprintf(buf + o, sizeof buf - o, "%s%s (+%d)", k ? ", " : "", top[k]->code,
                         top[k]->contribution);
        if (n < 0 || (size_t)n >= sizeof buf - o)
            break;
        o += (size_t)n;
    }
    return wp_arena_strdup(s->a, o ? buf : "no single finding");
}

/* The evidence sentence of the strongest finding of a category, for "why targeted". */
static const wp_finding *
strongest(const wp_report *r, wp_category cat)
{
    const wp_finding *best = NULL;
    for (size_t i = 0; i < r->n_findings; i++)
        if (r->findings[i].category == cat &&
            (best == NULL || r->findings[i].contribution > best->contribution))
            best = &r->findings[i];
    return best;
}

static void
verdict_score(wp_scan *s, void *state)
{
    const verdict_settings *v = state;
    wp_report *r = s->r;
    wp_verdict *vd = &r->verdict;
    memset(vd, 0, sizeof(*vd));
    if (v == NULL)
        return;
    /* 1-2: each code once, at its highest weight */
    for (size_t i = 0; i < r->n_findings; i++) {
        wp_finding *f = &r->findings[i];
        f->contribution = f->weight;
        for (size_t j = 0; j < r->n_findings; j++) {
            const wp_finding *g = &r->findings[j];
            if (j != i && strcmp(g->code, f->code) == 0 &&
                (g->weight > f->weight || (g->weight == f->weight && j < i))) {
                f->contribution = 0;
                break;
            }
        }
        vd->score += f->contribution;
        vd->category_score[f->category] += f->contribution;
    }
    /* 3 */
    int mal = vd->category_score[WP_CAT_MALWARE];
    int imp = vd->category_score[WP_CAT_IMPERSONATION];
    int phish = vd->category_score[WP_CAT_PHISHING] + imp;
    size_t cap = 0;
    if (mal >= v->t_malware)
        vd->cls = WP_VERDICT_MALWARE;
    else if (phish >= v->t_phishing)
        vd->cls = WP_VERDICT_PHISHING;
    /* DLP evidence says what leaves us, not what is wrong with the sender: it sets severity
     * and action (7) but does not make our own mail spam */
    else if (vd->score - vd->category_score[WP_CAT_DLP] >= v->t_spam)
        vd->cls = phish >= v->t_phishing / 2 + 1 ? WP_VERDICT_PHISHING : WP_VERDICT_SPAM;
    else
        vd->cls = WP_VERDICT_CLEAN;
    /* 4 */
    bool targeted = false;
    if ((vd->cls == WP_VERDICT_MALWARE || vd->cls == WP_VERDICT_PHISHING) && imp >= v->t_targeted)
        targeted = true;
    if (imp >= v->t_targeted_alone)
        targeted = true;
    wp_verdict_class base = vd->cls;
    if (targeted)
        vd->cls = WP_VERDICT_TARGETED;
    /* 5 */
    vd->severity = vd->cls == WP_VERDICT_TARGETED                                      ? 2
                   : (vd->cls == WP_VERDICT_MALWARE || vd->cls == WP_VERDICT_PHISHING) ? 1
                                                                                       : 0;
    /* 6 */
    vd->action = v->action[vd->cls];
    if (v->t_reject > 0 && vd->score >= v->t_reject)
        vd->action = WP_ACTION_REJECT;

    unsigned all = (1u << WP_CAT__COUNT) - 1;
    switch (vd->cls) {
    case WP_VERDICT_CLEAN: {
        /* the sentence states the number the decision compared (3): without DLP evidence */
        int dlp = vd->category_score[WP_CAT_DLP];
        if (dlp > 0)
            add_reason(s, &cap,
                       "clean: score %d without the DLP evidence (%d) is below the spam "
                       "threshold %d; markings decide severity and action, not the class",
                       vd->score - dlp, dlp, v->t_spam);
        else
            add_reason(s, &cap, "clean: score %d is below the spam threshold %d", vd->score,
                       v->t_spam);
        break;
    }
    case WP_VERDICT_SPAM:
        add_reason(s, &cap, "spam: score %d reaches the spam threshold %d; led by %s", vd->score,
                   v->t_spam, leaders(s, all));
        break;
    case WP_VERDICT_MALWARE:
        add_reason(s, &cap, "malware: malware evidence %d reaches threshold %d; led by %s", mal,
                   v->t_malware, leaders(s, 1u << WP_CAT_MALWARE));
        break;
    case WP_VERDICT_PHISHING:
        add_reason(s, &cap, "phishing: phishing evidence %d, score %d; led by %s", phish, vd->score,
                   leaders(s, 1u << WP_CAT_PHISHING | 1u << WP_CAT_IMPERSONATION));
        break;
    case WP_VERDICT_TARGETED: {
        const wp_finding *f = strongest(r, WP_CAT_IMPERSONATION);
        if (base == WP_VERDICT_MALWARE || base == WP_VERDICT_PHISHING)
            add_reason(s, &cap,
                       "targeted: %s aimed at us (impersonation evidence %d >= %d); "
                       "led by %s",
                       wp_verdict_name(base), imp, v->t_targeted, leaders(s, all));
        else
            add_reason(s, &cap,
                       "targeted: impersonation of our own people or domains alone "
                       "(evidence %d >= %d), with no malicious payload needed",
                       imp, v->t_targeted_alone);
        if (f != NULL)
            add_reason(s, &cap, "why aimed at us: %s (%s)", f->evidence, f->code);
        break;
    }
    default:
        break;
    }
    /* 7. DLP: a classification marking leaving the organisation is the gravest event on the
     * scale whatever the class; it is held (not rejected: the sender is our own, and the
     * copy is the evidence). The class stays as computed. Keyed to the marking finding, not
     * to any DLP-category score: a site's content rule of category dlp (RULE_DLP) matches in
     * every direction and says nothing about classification; weight.DLP_CLASSIFIED_MARKING = 0
     * keeps the finding visible without the hold. */
    const wp_finding *mark = NULL;
    for (size_t i = 0; i < r->n_findings && mark == NULL; i++)
        if (r->findings[i].contribution > 0 &&
            strcmp(r->findings[i].code, "DLP_CLASSIFIED_MARKING") == 0)
            mark = &r->findings[i];
    if (mark != NULL) {
        vd->severity = 5;
        vd->action = WP_ACTION_QUARANTINE;
        /* the evidence names the marking first, in quotes (dlp/module.c) */
        const char *q = strchr(mark->evidence, '\'');
        const char *qe = q != NULL ? strchr(q + 1, '\'') : NULL;
        const char *dir = s->env == NULL                         ? "unrouted"
                          : s->env->direction == WP_DIR_OUTBOUND ? "outbound"
                          : s->env->direction == WP_DIR_INBOUND  ? "inbound"
                                                                 : "unrouted";
        add_reason(s, &cap,
                   "classified marking '%.*s' in %s mail: held; classified material travels "
                   "only on the closed network",
                   qe != NULL ? (int)(qe - q - 1) : 1, qe != NULL ? q + 1 : "?", dir);
    }
    /* 8. An unfinished analysis (time or memory budget spent, LIMIT_TIME / LIMIT_MEMORY) is
     * not a clean bill: whatever was not looked at may be the payload, and a message built to
     * be slow must not buy delivery. It gets at least action.incomplete (quarantine: kept,
     * retrievable, in front of an analyst); a stronger computed action stands. */
    const wp_finding *unfinished = NULL;
    for (size_t i = 0; i < r->n_findings && unfinished == NULL; i++) {
        if (strcmp(r->findings[i].code, "LIMIT_TIME") == 0 ||
            strcmp(r->findings[i].code, "LIMIT_MEMORY") == 0)
            unfinished = &r->findings[i];
    }
    if (unfinished != NULL && v->incomplete > vd->action) {
        vd->action = v->incomplete;
        add_reason(s, &cap, "incomplete analysis (%s): action.incomplete is %s", unfinished->code,
                   wp_action_name(v->incomplete));
    }
    add_reason(s, &cap, "severity %d (%s); action %s", vd->severity, wp_severity_name(vd->severity),
               wp_action_name(vd->action));
}

static void
verdict_close(void *state)
{
    settings_free(state);
}

const wp_module wp_module_verdict = {
    .name = "verdict",
    .settings_new = settings_new,
    .settings_free = settings_free,
    .set = settings_set,
    .open = verdict_open,
    .close = verdict_close,
    .analyze = verdict_score,
};
