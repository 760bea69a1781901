/* thm2.c - Theorem 2: random unbiased rules of class F never reject less
 * than SD; an over-accepting control does, and is caught as biased. */
#include "thm2.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "alloc.h"
#include "exact.h"
#include "rng.h"
#include "sim_biased.h"
#include "tradeoff.h"
#include "tol.h"

/* Every row of tr := the rule b = lambda min(1, Q/P) (accepted mass
 * w = lambda min(P, Q)) with the forced R, lambda = 1 - depth u with u
 * ~ U(0,1) from r, independently per (row, x); lambda = 1 when r is NULL
 * (SD itself).  depth in (0, 1] spreads the rules from near SD to
 * lambda ~ U(0,1). */
static void set_random_rule(sd_tradeoff *tr, gsl_rng *r, double depth, double *w)
{
    const sd_model *m = tr->m;
    size_t row, x, V = m->V;
    for (row = 0; row < tr->nrows; row++) {
        size_t t = sd_model_row_t(m, row), s = row % V;
        const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
        for (x = 0; x < V; x++)
            w[x] = (r != NULL ? 1.0 - depth * gsl_rng_uniform(r) : 1.0) * fmin(p[x], q[x]);
        /* with w <= Q, R* = [Q - w]_+ / sum is the forced (Q - w)/(1 - a) */
        sd_tradeoff_set_row(tr, row, w, SD_RESAMPLE_OPT);
    }
}

/* The largest TV(O, Q) over rows and the smallest (1 - a) - TV(P, Q). */
static void row_stats(const sd_tradeoff *tr, double *max_bias, double *min_gap)
{
    const sd_model *m = tr->m;
    size_t row, x, V = m->V;
    *max_bias = 0.0;
    *min_gap = INFINITY;
    for (row = 0; row < tr->nrows; row++) {
        size_t t = sd_model_row_t(m, row), s = row % V;
        const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
        const double *o = tr->o + row * V;
        double d = 0.0;
        for (x = 0; x < V; x++)
            d += fabs(o[x] - q[x]);
        *max_bias = fmax(*max_bias, 0.5 * d);
        *min_gap = fmin(*min_gap, tr->rej[row] - sd_tv(p, q, V));
    }
}

/* Largest |difference| of the output marginals of tr and the q-marginals
 * mu at the npos positions pos (buf holds 2 npos V doubles). */
static sd_status marginal_gap(const sd_tradeoff *tr, size_t npos, const size_t *pos,
                              const double *mu, double *buf, double *gap, sd_error *err)
{
    size_t i, n = npos * tr->m->V;
    sd_status rc = sd_tradeoff_token_laws(tr, npos, pos, buf, err);
    *gap = 0.0;
    for (i = 0; rc == SD_OK && i < n; i++)
        *gap = fmax(*gap, fabs(buf[i] - mu[i]));
    return rc;
}

/* Simulate tr: the mean against its exact value E and, per tracked
 * position, the output tokens against mu; into l with prefix name, or
 * (law_into != NULL) the law checks into *law_into instead. */
static sd_status mc_rule(const sd_tradeoff *tr, double E, const double *mu, const sd_mc_config *mc,
                         const char *name, sd_checklist *l, sd_checklist *law_into,
                         sd_error *err)
{
    sd_sim_biased S;
    sd_sim sim;
    char mean[96], law[96];
    sd_thm_names names;
    sd_status rc = sd_sim_biased_alloc(&S, tr, err);
    if (rc != SD_OK)
        return rc;
    snprintf(mean, sizeof mean, "%s: Monte Carlo mean", name);
    snprintf(law, sizeof law, "%s: Monte Carlo x_", name);
    names.mean = law_into == NULL ? mean : NULL;
    names.law_prefix = law;
    names.law_suffix = "";
    sim = sd_sim_biased_sim(&S);
    rc = sd_thm_mc_check(tr->m, &sim, mc, &names, E, mu, NULL, NULL, l, law_into, err);
    sd_sim_biased_free(&S);
    return rc;
}

/* The checks of one rule meant to be unbiased. */
static sd_status check_rule(const sd_tradeoff *tr, double E1, const double *mu, size_t npos,
                            const size_t *pos, double *buf, const sd_mc_config *mc,
                            const char *name, sd_checklist *l, sd_error *err)
{
    sd_tradeoff_result tres;
    double bias, gap, mgap;
    char nm[96];
    sd_status rc = sd_tradeoff_exact(tr, &tres, err);
    if (rc == SD_OK)
        rc = marginal_gap(tr, npos, pos, mu, buf, &mgap, err);
    if (rc != SD_OK)
        return rc;
    row_stats(tr, &bias, &gap);
    snprintf(nm, sizeof nm, "%s: unbiased", name);
    rc = sd_check_close(l, nm, 0.0, fmax(bias, mgap), SD_TOL_EXACT, err);
    snprintf(nm, sizeof nm, "%s: rows >= TV", name);
    if (rc == SD_OK)
        rc = sd_check_bound(l, nm, 0.0, gap, 0, SD_TOL_EXACT, err);
    snprintf(nm, sizeof nm, "%s: E >= Theorem 1", name);
    if (rc == SD_OK)
        rc = sd_check_bound(l, nm, E1, tres.expected_rejections, 0, SD_TOL_EXACT * fmax(1.0, E1), err);
    if (rc == SD_OK && mc->runs > 0)
        rc = mc_rule(tr, tres.expected_rejections, mu, mc, name, l, NULL, err);
    return rc;
}

/* About how many runs the chi-square test of the tracked output tokens
 * needs to catch the control: with D = max over positions of
 * sum_x (o - q)^2 / q (o the control's exact law, q the target's), n
 * runs give a noncentral chi-square of mean d + nD and variance about
 * 2(d + 2nD); require the mean to clear the p_min critical value by 4
 * standard deviations.  0 if the laws cannot be had. */
static double runs_needed(const sd_tradeoff *tr, const double *mu, const sd_mc_config *mc)
{
    size_t V = tr->m->V, i, x, d = V > 1 ? V - 1 : 1;
    double *o = sd_malloc(mc->npos * V + 1, sizeof(double)), D = 0.0, n, crit;
    if (o == NULL || sd_tradeoff_token_laws(tr, mc->npos, mc->pos, o, NULL) != SD_OK) {
        sd_free(o);
        return 0.0;
    }
    for (i = 0; i < mc->npos; i++) {
        double Di = 0.0;
        for (x = 0; x < V; x++)
            if (mu[i * V + x] > 0.0)
                Di += (o[i * V + x] - mu[i * V + x]) * (o[i * V + x] - mu[i * V + x]) /
                      mu[i * V + x];
        D = fmax(D, Di);
    }
    sd_free(o);
    if (!(D > 0.0))
        return 0.0;
    crit = gsl_cdf_chisq_Qinv(mc->p_min, (double)d);
    for (n = 1.0; n < 1e15; n *= 1.25)
        if ((double)d + n * D - crit >= 4.0 * sqrt(2.0 * ((double)d + 2.0 * n * D)))
            return ceil(n);
    return INFINITY;
}

/* The over-accepting control: it must beat the bound and be caught. */
static sd_status check_control(sd_tradeoff *tr, double eps, double E1, const double *mu,
                               const sd_mc_config *mc, sd_checklist *l, sd_error *err)
{
    sd_tradeoff_result tres;
    sd_checklist laws;
    double bias, gap;
    size_t i;
    int caught = 0;
    sd_status rc;
    sd_tradeoff_set_eps(tr, eps, SD_RESAMPLE_OPT);
    rc = sd_tradeoff_exact(tr, &tres, err);
    if (rc != SD_OK)
        return rc;
    row_stats(tr, &bias, &gap);
    rc = sd_check_bound(l, "control: beats the bound", E1, tres.expected_rejections, 1, 0.0,
                        err);
    if (rc == SD_OK && l->v[l->n - 1].pass && !(tres.expected_rejections < E1))
        l->v[l->n - 1].pass = 0; /* equal is not beating */
    if (rc == SD_OK)
        rc = sd_check_bound(l, "control: biased (exact)", 1e-9, bias, 0, 0.0, err);
    if (rc != SD_OK || mc->runs == 0 || mc->npos == 0)
        return rc;
    sd_checklist_init(&laws);
    rc = mc_rule(tr, tres.expected_rejections, mu, mc, "control", NULL, &laws, err);
    for (i = 0; rc == SD_OK && i < laws.n; i++)
        caught = caught || !laws.v[i].pass;
    if (rc == SD_OK) {
        rc = sd_check_bound(l, "control: Monte Carlo flags bias", 1.0, caught, 0, 0.0, err);
        if (rc == SD_OK && caught) {
            snprintf(l->v[l->n - 1].detail, sizeof l->v[0].detail,
                     "1 if a three-layer law check of the output tokens failed");
        } else if (rc == SD_OK) {
            double need = runs_needed(tr, mu, mc);
            snprintf(l->v[l->n - 1].detail, sizeof l->v[0].detail,
                     "not caught with %zu runs: about %.3g runs would surely show this bias",
                     mc->runs, need);
        }
    }
    sd_checklist_free(&laws);
    return rc;
}

sd_status sd_thm2_check(const sd_model *m, const sd_thm2_opts *o, const sd_mc_config *mc,
                        sd_checklist *l, sd_error *err)
{
    size_t npos = mc->npos > 0 ? mc->npos : 1, i;
    const size_t *pos = mc->npos > 0 ? mc->pos : &m->T;
    double E1, *mu = NULL, *buf = NULL, *w = NULL;
    sd_tradeoff tr;
    sd_tradeoff_result tres;
    char name[64];
    sd_status rc = sd_exact_sd_mean(m, &E1, err);
    if (rc != SD_OK)
        return rc;
    rc = sd_tradeoff_alloc(&tr, m, err);
    if (rc != SD_OK)
        return rc;
    mu = sd_malloc(npos * m->V, sizeof(double));
    buf = sd_malloc(npos * m->V, sizeof(double));
    w = sd_malloc(m->V, sizeof(double));
    if (mu == NULL || buf == NULL || w == NULL)
        rc = sd_error_set(err, SD_ENOMEM, "out of memory");
    if (rc == SD_OK)
        rc = sd_exact_token_laws(m, npos, pos, mu, err);
    /* SD itself: equality */
    if (rc == SD_OK) {
        set_random_rule(&tr, NULL, 1.0, w);
        rc = sd_tradeoff_exact(&tr, &tres, err);
    }
    if (rc == SD_OK)
        rc = sd_check_close(l, "SD (lambda = 1): E = Theorem 1", E1, tres.expected_rejections,
                            SD_TOL_EXACT, err);
    for (i = 0; rc == SD_OK && i < o->rules; i++) {
        gsl_rng *r = sd_rng_stream_alloc(NULL, o->seed, (uint64_t)i);
        if (r == NULL) {
            rc = sd_error_set(err, SD_ENOMEM, "out of memory");
            break;
        }
        set_random_rule(&tr, r, (double)(i + 1) / (double)o->rules, w);
        gsl_rng_free(r);
        snprintf(name, sizeof name, "rule %zu", i + 1);
        rc = check_rule(&tr, E1, mu, npos, pos, buf, mc, name, l, err);
    }
    if (rc == SD_OK && o->control_as_rule) {
        sd_tradeoff_set_eps(&tr, o->eps, SD_RESAMPLE_OPT);
        rc = check_rule(&tr, E1, mu, npos, pos, buf, mc, "control as a rule", l, err);
    }
    /* With E1 = 0 (P = Q wherever the chain goes) no rule can beat the
     * bound, so the control has nothing to show: it is left out. */
    if (rc == SD_OK && E1 > 0.0)
        rc = check_control(&tr, o->eps, E1, mu, mc, l, err);
    sd_free(mu);
    sd_free(buf);
    sd_free(w);
    sd_tradeoff_free(&tr);
    return rc;
}
