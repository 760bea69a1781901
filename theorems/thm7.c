/* thm7.c - draft length, wall time and block verification checks. */
#include "thm7.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "block.h"
#include "exact.h"
#include "step.h"
#include "tol.h"

/* Simulate (verify, gamma or policy) and append the z-checks of calls,
 * steps and wall time and, with laws, the token laws at mc->pos. */
static sd_status mc_calls(const sd_model *m, sd_calls_verify verify, size_t gamma,
                          const uint16_t *pol, double cost, const sd_calls_row *x,
                          const char *label, const double *mu, const sd_mc_config *mc,
                          sd_checklist *l, sd_error *err)
{
    sd_calls_sim S;
    sd_sim sim;
    sd_mc_config cfg = *mc;
    sd_mc_result res;
    sd_calls_estimate e;
    char name[96];
    size_t i, range;
    sd_status rc = sd_calls_sim_alloc(&S, m, verify, gamma, pol, err);
    if (rc != SD_OK)
        return rc;
    sim = sd_calls_sim_sim(&S);
    rc = sd_mc_run(&cfg, sd_calls_sim_hist_size(m, S.gmax) - 1, m->V, &sim, &res, err);
    range = m->T * S.gmax;
    sd_calls_sim_free(&S);
    if (rc != SD_OK)
        return rc;
    sd_calls_estimate_from(&res, m->T, cost, &e);
    snprintf(name, sizeof name, "%s: Monte Carlo calls", label);
    rc = sd_check_mean_bounded(l, name, x->calls, e.calls, e.calls_se, (double)res.runs,
                               (double)m->T, mc->z_max, err);
    snprintf(name, sizeof name, "%s: Monte Carlo draft steps", label);
    if (rc == SD_OK)
        rc = sd_check_mean_bounded(l, name, x->draft_steps, e.steps, e.steps_se,
                                   (double)res.runs, (double)range, mc->z_max, err);
    snprintf(name, sizeof name, "%s: Monte Carlo wall time", label);
    if (rc == SD_OK)
        rc = sd_check_mean_bounded(l, name, x->wall_time, e.wall, e.wall_se, (double)res.runs,
                                   (double)m->T + cost * (double)range, mc->z_max, err);
    for (i = 0; rc == SD_OK && mu != NULL && i < mc->npos; i++) {
        snprintf(name, sizeof name, "%s: lossless x_%zu", label, mc->pos[i]);
        rc = sd_check_law(l, name, res.tokens + i * m->V, mu + i * m->V, m->V, mc->z_max,
                          mc->p_min, err);
    }
    sd_mc_result_free(&res);
    return rc;
}

/* The first T - 1 positions of m, sharing its storage (T >= 2). */
static sd_model head_model(const sd_model *m)
{
    sd_model h = *m;
    h.T = m->T - 1;
    if (h.nP != 1)
        h.nP = h.T;
    if (h.nQ != 1)
        h.nQ = h.T;
    h.owns_pq = 0;
    memset(&h.pstore, 0, sizeof h.pstore);
    memset(&h.qstore, 0, sizeof h.qstore);
    return h;
}

/* The context-free chain of row (t = 1, s = 0), horizon T. */
static sd_status context_free(const sd_model *m, size_t T, sd_model *cf, sd_error *err)
{
    size_t s, V = m->V;
    sd_status rc = sd_model_alloc(cf, V, T, 1, 1, err);
    if (rc != SD_OK)
        return rc;
    for (s = 0; s < V; s++) {
        memcpy(cf->P + s * V, sd_model_p(m, 1, 0), V * sizeof(double));
        memcpy(cf->Q + s * V, sd_model_q(m, 1, 0), V * sizeof(double));
    }
    return SD_OK;
}

static sd_status static_checks(const sd_model *m, const sd_thm7_opts *o, sd_checklist *l,
                               double *wmin, sd_error *err)
{
    const size_t V = m->V, T = m->T;
    uint16_t *pol = sd_malloc(T * V, sizeof *pol);
    sd_model cf;
    char name[96];
    size_t i, k, s, gcf = 0;
    sd_status rc = SD_OK;
    if (pol == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory for a policy");
    *wmin = INFINITY;
    for (i = 0; i < o->ngamma; i++)
        gcf = o->gamma[i] > gcf ? o->gamma[i] : gcf;
    rc = context_free(m, gcf + 2, &cf, err);
    for (i = 0; rc == SD_OK && i < o->ngamma; i++) {
        const size_t g = o->gamma[i];
        sd_calls_row r;
        double v, tok, a = 1.0 - sd_tv(sd_model_p(m, 1, 0), sd_model_q(m, 1, 0), V);
        for (k = 0; k < T * V; k++)
            pol[k] = (uint16_t)g;
        if ((rc = sd_calls_exact(m, g, o->cost, &r, NULL, err)) != SD_OK ||
            (rc = sd_calls_policy_value(m, pol, o->cost, &v, err)) != SD_OK)
            break;
        if (g <= o->gmax && r.wall_time < *wmin)
            *wmin = r.wall_time;
        snprintf(name, sizeof name, "slot DP = J-recursion gamma=%zu", g);
        if ((rc = sd_check_close(l, name, v, r.wall_time, SD_TOL_EXACT_LOOSE, err)) != SD_OK)
            break;
        if ((rc = sd_calls_first_call_tokens(&cf, g, &tok, err)) != SD_OK)
            break;
        snprintf(name, sizeof name, "Leviathan exact gamma=%zu (context-free row 1,0)", g);
        if ((rc = sd_check_close(l, name, a < 1.0 ? (1.0 - pow(a, (double)g + 1.0)) / (1.0 - a)
                                                  : (double)g + 1.0,
                                 tok, SD_TOL_EXACT, err)) != SD_OK)
            break;
        for (s = 0; rc == SD_OK && s < V; s++) {
            double b, t;
            size_t ge = g < T ? g : T;
            if (pow((double)V, (double)ge + 1.0) > SD_BLOCK_MAX_WORK)
                break;
            if ((rc = sd_block_first_call(m, g, s, &b, &t, err)) != SD_OK)
                break;
            snprintf(name, sizeof name, "block >= token gamma=%zu s=%zu", g, s);
            rc = sd_check_bound(l, name, t, b, 0, SD_TOL_EXACT, err);
        }
    }
    sd_model_free(&cf);
    if (rc == SD_OK) {
        /* gamma >= T: one round until the first rejection */
        sd_calls_row r;
        double e = 0.0;
        if ((rc = sd_calls_exact(m, T, o->cost, &r, NULL, err)) == SD_OK && T >= 2) {
            sd_model h = head_model(m);
            rc = sd_exact_sd_mean(&h, &e, err);
        }
        if (rc == SD_OK)
            rc = sd_check_close(l, "gamma >= T: calls = 1 + N_rej(t < T) (Theorem 1)",
                                1.0 + e, r.calls, SD_TOL_EXACT_LOOSE, err);
    }
    sd_free(pol);
    return rc;
}

sd_status sd_thm7_check(const sd_model *m, const sd_thm7_opts *o, const sd_mc_config *mc,
                        sd_checklist *l, sd_error *err)
{
    const size_t V = m->V, T = m->T;
    uint16_t *pol = NULL;
    double *mu = NULL, J, wmin = INFINITY, calls0, w1;
    char label[96];
    size_t i;
    sd_status rc = static_checks(m, o, l, &wmin, err);
    if (rc != SD_OK)
        return rc;
    pol = sd_malloc(T * V, sizeof *pol);
    mu = sd_malloc(mc->npos * V + 1, sizeof(double));
    if (pol == NULL || mu == NULL) {
        sd_free(pol), sd_free(mu);
        return sd_error_set(err, SD_ENOMEM, "out of memory for the policy");
    }
    rc = sd_calls_optimal(m, o->gmax, o->cost, pol, NULL, &J, err);
    if (rc == SD_OK && isfinite(wmin)) {
        snprintf(label, sizeof label, "J* <= min_gamma W(gamma), gamma <= %zu", o->gmax);
        rc = sd_check_bound(l, label, wmin, J, 1, SD_TOL_EXACT, err);
    }
    if (rc == SD_OK && mc->runs > 0 && mc->npos > 0)
        rc = sd_exact_token_laws(m, mc->npos, mc->pos, mu, err);
    for (i = 0; rc == SD_OK && mc->runs > 0 && i < o->ngamma; i++) {
        const size_t g = o->gamma[i];
        sd_calls_row r;
        if ((rc = sd_calls_exact(m, g, o->cost, &r, NULL, err)) != SD_OK)
            break;
        snprintf(label, sizeof label, "token gamma=%zu", g);
        if ((rc = mc_calls(m, SD_CALLS_TOKEN, g, NULL, o->cost, &r, label, mu, mc, l, err)) !=
            SD_OK)
            break;
        if (sd_block_cost(m, g) > SD_BLOCK_MAX_WORK)
            continue;
        if ((rc = sd_block_exact(m, g, o->cost, &r, NULL, err)) != SD_OK)
            break;
        snprintf(label, sizeof label, "block gamma=%zu%s", g,
                 o->control ? " (control: tau = first failure)" : "");
        rc = mc_calls(m, o->control ? SD_CALLS_BLOCK_FIRST_FAIL : SD_CALLS_BLOCK, g, NULL,
                      o->cost, &r, label, mu, mc, l, err);
    }
    if (rc == SD_OK && mc->runs > 0 &&
        (rc = sd_calls_policy_value(m, pol, 0.0, &calls0, err)) == SD_OK &&
        (rc = sd_calls_policy_value(m, pol, 1.0, &w1, err)) == SD_OK) {
        sd_calls_row r;
        memset(&r, 0, sizeof r);
        r.calls = calls0;
        r.draft_steps = w1 - calls0;
        r.wall_time = J;
        snprintf(label, sizeof label, "optimal policy gamma<=%zu", o->gmax);
        rc = mc_calls(m, SD_CALLS_TOKEN, 0, pol, o->cost, &r, label, mu, mc, l, err);
    }
    sd_free(pol);
    sd_free(mu);
    return rc;
}
