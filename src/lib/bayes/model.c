/*
 * model.c - the token table and the classifier.
 *
 * The table is an open-addressing hash table of (token hash, spam count, ham count), filled
 * once when the engine opens and read-only afterwards, so every scanner thread reads it
 * without locks.
 *
 * Classification is Gary Robinson's, as SpamBayes and SpamAssassin's Bayes do it:
 *   p(w) = (spam(w)/nspam) / (spam(w)/nspam + ham(w)/nham)       per-token spam ratio
 *   f(w) = (s*x + n*p(w)) / (s + n), n = spam(w) + ham(w)         shrunk toward x = 0.5 by
 *                                                                 s = 0.45 for rare tokens
 * Tokens seen in fewer than WP_BAYES_MIN_COUNT learned messages, and tokens with
 * |f - 0.5| < 0.1, are left out; of the rest the WP_BAYES_MAX_CLUES most significant are
 * combined with Fisher's method, C being the chi-square survival function with 2k degrees of
 * freedom: S = 1 - C(-2 sum ln(1-f)) (spamminess), H = 1 - C(-2 sum ln f) (hamminess), and
 * the probability is (S - H + 1) / 2: near 1 or 0 when the clues agree, 0.5 when they
 * cancel or are absent.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bayes_int.h"

#define WP_BAYES_MIN_COUNT    2    /* learned messages a token must occur in to count */
#define WP_BAYES_S            0.45 /* strength of the prior for rare tokens */
#define WP_BAYES_X            0.5  /* the prior: an unknown token says nothing */
#define WP_BAYES_MIN_STRENGTH 0.1  /* |f - 0.5| below this is noise */

wp_status
wp_bayes_model_init(wp_bayes_model *m, size_t expected)
{
    memset(m, 0, sizeof(*m));
    size_t cap = 64;
    while (cap < expected * 2 + 16)
        cap *= 2;
    m->tab = calloc(cap, sizeof(wp_bayes_entry));
    if (m->tab == NULL)
        return WP_ENOMEM;
    m->cap = cap;
    return WP_OK;
}

void
wp_bayes_model_fini(wp_bayes_model *m)
{
    free(m->tab);
    memset(m, 0, sizeof(*m));
}

static size_t
slot_of(const wp_bayes_model *m, uint64_t h)
{
    size_t i = (size_t)(h ^ (h >> 31)) & (m->cap - 1);
    while (m->tab[i].h != 0 && m->tab[i].h != h)
        i = (i + 1) & (m->cap - 1);
    return i;
}

wp_status
wp_bayes_model_put(wp_bayes_model *m, uint64_t h, uint32_t spam, uint32_t ham)
{
    if (h == 0 || m->cap == 0)
        return WP_EINVAL;
    if (m->n + 1 > m->cap / 2)
        return WP_ELIMIT; /* sized at init from the row count; more rows than counted */
    size_t i = slot_of(m, h);
    if (m->tab[i].h == 0) {
        m->tab[i].h = h;
        m->n++;
    }
    m->tab[i].spam = m->tab[i].spam + spam < m->tab[i].spam ? UINT32_MAX : m->tab[i].spam + spam;
    m->tab[i].ham = m->tab[i].ham + ham < m->tab[i].ham ? UINT32_MAX : m->tab[i].ham + ham;
    return WP_OK;
}

const wp_bayes_entry *
wp_bayes_model_get(const wp_bayes_model *m, uint64_t h)
{
    if (m->cap == 0)
        return NULL;
    size_t i = slot_of(m, h);
    return m->tab[i].h == h ? &m->tab[i] : NULL;
}

double
wp_bayes_chi2q(double x2, unsigned dof)
{
    /* dof is even: Q = e^-m * sum_{i<dof/2} m^i / i!, m = x2/2 */
    double m = x2 / 2.0, term = exp(-m), sum = term;
    for (unsigned i = 1; i < dof / 2; i++) {
        term *= m / i;
        sum += term;
    }
    return sum < 1.0 ? sum : 1.0;
}

static int
cmp_clue(const void *a, const void *b)
{
    double x = fabs(((const wp_bayes_clue *)a)->prob - 0.5);
    double y = fabs(((const wp_bayes_clue *)b)->prob - 0.5);
    if (x != y)
        return x > y ? -1 : 1;
    /* ties by hash, so the choice does not depend on the message's word order */
    uint64_t ha = ((const wp_bayes_clue *)a)->h, hb = ((const wp_bayes_clue *)b)->h;
    return ha < hb ? -1 : ha > hb;
}

void
wp_bayes_classify(const wp_bayes_model *m, const wp_bayes_tokset *set, wp_bayes_result *out)
{
    out->prob = 0.5;
    out->n_clues = 0;
    if (m->nspam == 0 || m->nham == 0)
        return;
    wp_bayes_clue *cand = malloc(set->n * sizeof(wp_bayes_clue) + 1);
    size_t nc = 0;
    if (cand == NULL)
        return; /* no opinion rather than a partial one */
    for (size_t i = 0; i < set->n; i++) {
        const wp_bayes_entry *e = wp_bayes_model_get(m, set->list[i]);
        if (e == NULL || (uint64_t)e->spam + e->ham < WP_BAYES_MIN_COUNT)
            continue;
        double sr = (double)e->spam / (double)m->nspam, hr = (double)e->ham / (double)m->nham;
        if (sr > 1.0)
            sr = 1.0; /* counts can exceed totals after a partial forget */
        if (hr > 1.0)
            hr = 1.0;
        double p = sr / (sr + hr), n = (double)e->spam + e->ham;
        double f = (WP_BAYES_S * WP_BAYES_X + n * p) / (WP_BAYES_S + n);
        if (fabs(f - 0.5) < WP_BAYES_MIN_STRENGTH)
            continue;
        cand[nc++] = (wp_bayes_clue){set->list[i], f};
    }
    if (nc == 0) {
        free(cand);
        return;
    }
    qsort(cand, nc, sizeof cand[0], cmp_clue);
    if (nc > WP_BAYES_MAX_CLUES)
        nc = WP_BAYES_MAX_CLUES;
    double sum_ln_f = 0, sum_ln_1f = 0;
    for (size_t i = 0; i < nc; i++) {
        sum_ln_f += log(cand[i].prob);
        sum_ln_1f += log(1.0 - cand[i].prob);
        out->clues[i] = cand[i];
    }
    out->n_clues = nc;
    free(cand);
    double s = 1.0 - wp_bayes_chi2q(-2.0 * sum_ln_1f, 2 * (unsigned)nc);
    double h = 1.0 - wp_bayes_chi2q(-2.0 * sum_ln_f, 2 * (unsigned)nc);
    out->prob = (s - h + 1.0) / 2.0;
}
