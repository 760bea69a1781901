/* thm3.c - Theorem 3 and Proposition 1: batch SD and tree verification,
 * exact against literal simulations. */
#include "thm3.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "batch.h"
#include "exact.h"
#include "rule.h"
#include "tol.h"

/* Theorem 3(b) as printed: sum_t sum_s g_t(s) tau_t(s) - f_t(s) BI_M(t,s),
 * with g the q-marginal by sd_exact_token_laws, f from the engine. */
static sd_status theorem3_form(const sd_model *m, size_t M, const double *f, double *out,
                               sd_error *err)
{
    const size_t V = m->V, T = m->T;
    double *g = sd_malloc(T * V, sizeof(double)), *tau = sd_malloc(3 * V, sizeof(double));
    size_t *pos = sd_malloc(T, sizeof(size_t)), t, s;
    sd_status rc = SD_OK;
    double F = 0.0;
    if (g == NULL || tau == NULL || pos == NULL)
        rc = sd_error_set(err, SD_ENOMEM, "out of memory");
    for (t = 1; rc == SD_OK && t < T; t++)
        pos[t - 1] = t;
    if (rc == SD_OK) {
        memcpy(g, m->pi0, V * sizeof(double));
        if (T > 1)
            rc = sd_exact_token_laws(m, T - 1, pos, g + V, err);
    }
    for (t = 1; rc == SD_OK && t <= T; t++) {
        sd_exact_tv_rows(m, t, tau);
        for (s = 0; s < V; s++)
            F += g[(t - 1) * V + s] * tau[s] -
                 f[(t - 1) * V + s] *
                     sd_rrs_bi(sd_model_p(m, t, s), sd_model_q(m, t, s), V, M, tau + V);
    }
    *out = F;
    sd_free(g);
    sd_free(tau);
    sd_free(pos);
    return rc;
}

/* Simulate algo with M drafts: mean against exact, tokens against mu. */
static sd_status mc_algo(const sd_model *m, const sd_rule_type *algo, size_t M, double exact,
                         const double *mu, const sd_mc_config *mc, sd_checklist *l, sd_error *err)
{
    sd_rule_sim *as;
    sd_sim sim;
    char mean[96], law[96];
    sd_thm_names names;
    sd_status rc = sd_rule_sim_alloc(&as, algo, m, M, 0, err);
    if (rc != SD_OK)
        return rc;
    snprintf(mean, sizeof mean, "%s M=%zu: Monte Carlo mean", algo->name, M);
    snprintf(law, sizeof law, "%s M=%zu: unbiased x_", algo->name, M);
    names.mean = mean;
    names.law_prefix = law;
    names.law_suffix = "";
    sim = sd_rule_sim_get(as);
    rc = sd_thm_mc_check(m, &sim, mc, &names, exact, mu, NULL, NULL, l, NULL, err);
    sd_rule_sim_free(as);
    return rc;
}

/* A strict inequality lo < hi as a check (sd_check_bound allows
 * equality); the value shown is lo when lo_is_value, else hi. */
static sd_status check_strict(sd_checklist *l, const char *name, double lo, double hi,
                              int lo_is_value, int strict, sd_error *err)
{
    /* the non-strict form allows rounding: both sides are exact sums */
    double tol = strict ? 0.0 : SD_TOL_EXACT * fmax(1.0, fmax(fabs(lo), fabs(hi)));
    sd_status rc = lo_is_value ? sd_check_bound(l, name, hi, lo, 1, tol, err)
                               : sd_check_bound(l, name, lo, hi, 0, tol, err);
    if (rc == SD_OK && strict && !(lo < hi)) {
        l->v[l->n - 1].pass = 0;
        snprintf(l->v[l->n - 1].detail, sizeof l->v[0].detail, "must hold strictly");
    }
    return rc;
}

/* The checks of one M. */
static sd_status check_M(const sd_model *m, size_t M, int tree, int strict, double E1,
                         double lim,
                         const double *mu, double *f, const sd_mc_config *mc, sd_checklist *l,
                         sd_error *err)
{
    double Eb, Et = 0.0, F;
    char name[96];
    sd_status rc = sd_batch_exact(m, M, &Eb, f, err);
    if (rc == SD_OK)
        rc = theorem3_form(m, M, f, &F, err);
    snprintf(name, sizeof name, "batch M=%zu: Theorem 3(b) form", M);
    if (rc == SD_OK)
        rc = sd_check_close(l, name, Eb, F, SD_TOL_EXACT, err);
    snprintf(name, sizeof name, "batch M=%zu <= SD", M);
    if (rc == SD_OK)
        rc = sd_check_bound(l, name, E1, Eb, 1, SD_TOL_EXACT * fmax(1.0, E1), err);
    snprintf(name, sizeof name, strict ? "limit < batch M=%zu" : "limit <= batch M=%zu", M);
    if (rc == SD_OK)
        rc = check_strict(l, name, lim, Eb, 1, strict, err);
    if (rc == SD_OK && tree) {
        rc = sd_batch_tree_exact(m, M, &Et, NULL, err);
        snprintf(name, sizeof name, "tree M=%zu <= batch M=%zu", M, M);
        if (rc == SD_OK)
            rc = sd_check_bound(l, name, Eb, Et, 1, SD_TOL_EXACT * fmax(1.0, Eb), err);
    }
    if (rc == SD_OK && mc->runs > 0)
        rc = mc_algo(m, &sd_rule_batch, M, Eb, mu, mc, l, err);
    if (rc == SD_OK && mc->runs > 0 && tree)
        rc = mc_algo(m, &sd_rule_tree, M, Et, mu, mc, l, err);
    return rc;
}

sd_status sd_thm3_check(const sd_model *m, const sd_thm3_opts *o, const sd_mc_config *mc,
                        sd_checklist *l, sd_error *err)
{
    double E1, Eb1, Et1, lim, *mu = NULL, *f = NULL;
    size_t i;
    sd_status rc = sd_exact_sd_mean(m, &E1, err);
    if (rc == SD_OK)
        rc = sd_batch_exact(m, 1, &Eb1, NULL, err);
    if (rc == SD_OK)
        rc = sd_batch_limit(m, &lim, err);
    if (rc == SD_OK)
        rc = sd_check_close(l, "M = 1: batch = Theorem 1", E1, Eb1, SD_TOL_EXACT, err);
    if (rc == SD_OK && o->tree) {
        rc = sd_batch_tree_exact(m, 1, &Et1, NULL, err);
        if (rc == SD_OK)
            rc = sd_check_close(l, "M = 1: tree = Theorem 1", E1, Et1, SD_TOL_EXACT, err);
    }
    if (rc == SD_OK)
        rc = check_strict(l, o->strict ? "limit > 0" : "limit >= 0", 0.0, lim, 0, o->strict,
                          err);
    if (rc != SD_OK)
        return rc;
    mu = sd_malloc(mc->npos * m->V + 1, sizeof(double));
    f = sd_malloc(m->T * m->V, sizeof(double));
    if (mu == NULL || f == NULL)
        rc = sd_error_set(err, SD_ENOMEM, "out of memory");
    if (rc == SD_OK && mc->npos > 0)
        rc = sd_exact_token_laws(m, mc->npos, mc->pos, mu, err);
    for (i = 0; rc == SD_OK && i < o->ndrafts; i++)
        rc = check_M(m, o->drafts[i], o->tree, o->strict, E1, lim, mu, f, mc, l, err);
    sd_free(mu);
    sd_free(f);
    return rc;
}
