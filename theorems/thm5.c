/* thm5.c - Theorems 4 and 5: the tradeoff front on every row of a model
 * and the chain-level values of b_eps against a literal simulation. */
#include "thm5.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "biased.h"
#include "exact.h"
#include "rng.h"
#include "sim_biased.h"
#include "tradeoff.h"
#include "tol.h"

/* Extremes of the token-level checks over all rows. */
typedef struct {
    double identity_dev;   /* max |P_rej + Loss* - (1 - sum min)| */
    double bound_slack;    /* min (P_rej + Loss* - TV), arbitrary b */
    double front_dev;      /* max |P_rej + Loss* - TV|, over-accepting b */
    double eps_dev;        /* the same along the b_eps sweep */
    double rstar_dev;      /* max |Loss_TV(R*) - Loss*| */
    double random_r_slack; /* min (Loss_TV(R) - Loss*) over random R */
    double uno_slack;      /* min (Loss_TV(Q) - Loss*) */
    size_t rules;          /* acceptance rules tried */
} token_stats;

/* Scratch vectors of V doubles. */
typedef struct {
    double *b, *w, *rs, *r, *alpha;
} scratch;

static void one_rule(const double *p, const double *q, size_t V, double tv, int over,
                     size_t nr, gsl_rng *g, scratch *sc, token_stats *ts)
{
    double ls, fr, front, rej;
    size_t k;
    sd_biased_mass(sc->b, p, V, sc->w);
    rej = 1.0 - sd_biased_accept(sc->w, V);
    ls = sd_biased_loss_star(sc->w, q, V);
    fr = sd_biased_front(sc->w, q, V);
    front = rej + ls;
    ts->identity_dev = fmax(ts->identity_dev, fabs(front - fr));
    if (over)
        ts->front_dev = fmax(ts->front_dev, fabs(front - tv));
    else
        ts->bound_slack = fmin(ts->bound_slack, front - tv);
    sd_biased_r_star(sc->w, q, V, sc->rs);
    ts->rstar_dev = fmax(ts->rstar_dev, fabs(sd_biased_loss_tv(sc->w, sc->rs, q, V) - ls));
    ts->uno_slack = fmin(ts->uno_slack, sd_biased_loss_tv(sc->w, q, q, V) - ls);
    for (k = 0; k < nr; k++) {
        if (k < V) {  /* the vertices of the simplex, then Dirichlet(1) draws */
            memset(sc->r, 0, V * sizeof(double));
            sc->r[k] = 1.0;
        } else {
            gsl_ran_dirichlet(g, V, sc->alpha, sc->r);
        }
        ts->random_r_slack =
            fmin(ts->random_r_slack, sd_biased_loss_tv(sc->w, sc->r, q, V) - ls);
    }
    ts->rules++;
}

static void token_checks_row(const double *p, const double *q, size_t V,
                             const sd_thm5_opts *o, gsl_rng *g, scratch *sc, token_stats *ts)
{
    double tv = sd_tv(p, q, V);
    size_t i, x;
    for (i = 0; i < o->nb; i++) {
        for (x = 0; x < V; x++)
            sc->b[x] = gsl_rng_uniform(g);
        one_rule(p, q, V, tv, 0, o->nr, g, sc, ts);
        /* over-accepting: b in [min(1, Q/P), 1] (1 where P = 0) */
        for (x = 0; x < V; x++) {
            double lo = p[x] > 0.0 && q[x] < p[x] ? q[x] / p[x] : 1.0;
            sc->b[x] = lo + (1.0 - lo) * gsl_rng_uniform(g);
        }
        one_rule(p, q, V, tv, 1, o->nr, g, sc, ts);
    }
    for (i = 0; i < o->neps; i++) {
        double rej, ls;
        sd_biased_w_eps(p, q, V, o->eps[i], sc->w);
        rej = 1.0 - sd_biased_accept(sc->w, V);
        ls = sd_biased_loss_star(sc->w, q, V);
        ts->eps_dev = fmax(ts->eps_dev, fabs(rej + ls - tv));
    }
}

static sd_status token_checks(const sd_model *m, const sd_thm5_opts *o, const sd_mc_config *mc,
                              sd_checklist *l, sd_error *err)
{
    const size_t V = m->V, nt = sd_model_stationary(m) ? 1 : m->T;
    token_stats ts = {0.0, INFINITY, 0.0, 0.0, 0.0, INFINITY, INFINITY, 0};
    scratch sc;
    double *buf = sd_malloc(5 * V, sizeof(double));
    /* a stream far from the Monte Carlo chunks' (seed, 0, 1, ...) */
    gsl_rng *g = sd_rng_stream_alloc(mc->rng, o->seed, UINT64_C(1) << 48);
    size_t t, s, x;
    sd_status rc = SD_OK;
    if (buf == NULL || g == NULL) {
        sd_free(buf);
        if (g)
            gsl_rng_free(g);
        return sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu)", V);
    }
    sc.b = buf;
    sc.w = buf + V;
    sc.rs = buf + 2 * V;
    sc.r = buf + 3 * V;
    sc.alpha = buf + 4 * V;
    for (x = 0; x < V; x++)
        sc.alpha[x] = 1.0;
    for (t = 1; t <= nt; t++)
        for (s = 0; s < V; s++)
            token_checks_row(sd_model_p(m, t, s), sd_model_q(m, t, s), V, o, g, &sc, &ts);
    gsl_rng_free(g);
    sd_free(buf);
    if (o->nb > 0) {
        rc = sd_check_close(l, "T5 identity, random b", 0.0, ts.identity_dev, SD_TOL_EXACT, err);
        if (rc == SD_OK)
            rc = sd_check_bound(l, "T5 bound >= TV, random b", 0.0, ts.bound_slack, 0, SD_TOL_EXACT,
                                err);
        if (rc == SD_OK)
            rc = sd_check_close(l, "T5 front, over-accepting b", 0.0, ts.front_dev, SD_TOL_EXACT, err);
        if (rc == SD_OK)
            rc = sd_check_close(l, "T4 R* attains Loss*", 0.0, ts.rstar_dev, SD_TOL_EXACT, err);
        if (rc == SD_OK && o->nr > 0)
            rc = sd_check_bound(l, "T4 no random R beats R*", 0.0, ts.random_r_slack, 0, SD_TOL_EXACT,
                                err);
        if (rc == SD_OK)
            rc = sd_check_bound(l, "T4 OPT <= UNO", 0.0, ts.uno_slack, 0, SD_TOL_EXACT, err);
    }
    if (rc == SD_OK && o->neps > 0)
        rc = sd_check_close(l, "T5 front, b_eps sweep", 0.0, ts.eps_dev, SD_TOL_EXACT, err);
    return rc;
}

/* Monte Carlo checks of one rule: rejections (z-test) and output laws. */
static sd_status mc_checks(const sd_tradeoff *tr, const sd_tradeoff *sim_tr,
                           const sd_tradeoff_result *ex, const sd_mc_config *mc, const char *tag,
                           sd_checklist *l, sd_error *err)
{
    const sd_model *m = tr->m;
    sd_sim_biased S;
    sd_sim sim;
    char mean[96], suffix[64];
    sd_thm_names names;
    double *laws = sd_malloc(mc->npos * m->V + 1, sizeof(double));
    sd_status rc;
    if (laws == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    rc = sd_tradeoff_token_laws(tr, mc->npos, mc->pos, laws, err);
    if (rc == SD_OK)
        rc = sd_sim_biased_alloc(&S, sim_tr, err);
    if (rc == SD_OK) {
        snprintf(mean, sizeof mean, "rejections %s", tag);
        snprintf(suffix, sizeof suffix, " %s", tag);
        names.mean = mean;
        names.law_prefix = "law x_";
        names.law_suffix = suffix;
        sim = sd_sim_biased_sim(&S);
        rc = sd_thm_mc_check(m, &sim, mc, &names, ex->expected_rejections, laws, NULL, NULL, l,
                             NULL, err);
        sd_sim_biased_free(&S);
    }
    sd_free(laws);
    return rc;
}

static sd_status chain_checks(const sd_model *m, const sd_thm5_opts *o, const sd_mc_config *mc,
                              sd_checklist *l, sd_error *err)
{
    sd_tradeoff tr, other;
    double sdmean;
    size_t i;
    int k, enumerable = sd_tradeoff_enumerable(m, SD_TRADEOFF_MAX_SEQUENCES);
    char name[96], tag[48];
    sd_status rc = sd_exact_sd_mean(m, &sdmean, err);
    if (rc != SD_OK)
        return rc;
    if ((rc = sd_tradeoff_alloc(&tr, m, err)) != SD_OK)
        return rc;
    if ((rc = sd_tradeoff_alloc(&other, m, err)) != SD_OK) {
        sd_tradeoff_free(&tr);
        return rc;
    }
    for (i = 0; rc == SD_OK && i < o->neps; i++)
        for (k = 0; rc == SD_OK && k < 2; k++) {
            sd_tradeoff_result ex;
            snprintf(tag, sizeof tag, "eps=%g %s", o->eps[i], sd_resample_name((sd_resample)k));
            sd_tradeoff_set_eps(&tr, o->eps[i], (sd_resample)k);
            rc = sd_tradeoff_exact(&tr, &ex, err);
            if (rc == SD_OK && o->eps[i] == 0.0 && k == SD_RESAMPLE_OPT) {
                rc = sd_check_close(l, "eps=0 OPT is Theorem 1", sdmean, ex.expected_rejections,
                                    SD_TOL_EXACT, err);
                if (rc == SD_OK)
                    rc = sd_check_bound(l, "eps=0 OPT has no bias", 0.0, ex.bias_sum, 1, SD_TOL_EXACT,
                                        err);
            }
            if (rc == SD_OK && k == SD_RESAMPLE_OPT) {
                snprintf(name, sizeof name, "front %s", tag);
                rc = sd_check_close(l, name, ex.tv_sum, ex.expected_rejections + ex.bias_sum,
                                    SD_TOL_EXACT, err);
            } else if (rc == SD_OK) {
                snprintf(name, sizeof name, "above front %s", tag);
                rc = sd_check_bound(l, name, ex.tv_sum, ex.expected_rejections + ex.bias_sum, 0,
                                    SD_TOL_EXACT, err);
            }
            if (rc == SD_OK && enumerable) {
                double tv;
                rc = sd_tradeoff_sequence_tv(&tr, SD_TRADEOFF_MAX_SEQUENCES, &tv, err);
                snprintf(name, sizeof name, "seq TV <= bias %s", tag);
                if (rc == SD_OK)
                    rc = sd_check_bound(l, name, ex.bias_sum, tv, 1, SD_TOL_EXACT, err);
            }
            if (rc == SD_OK && mc->runs > 0) {
                const sd_tradeoff *sim_tr = &tr;
                if (o->control_swap) {
                    sd_tradeoff_set_eps(&other, o->eps[i], (sd_resample)(1 - k));
                    sim_tr = &other;
                }
                rc = mc_checks(&tr, sim_tr, &ex, mc, tag, l, err);
            }
        }
    sd_tradeoff_free(&other);
    sd_tradeoff_free(&tr);
    return rc;
}

sd_status sd_thm5_check(const sd_model *m, const sd_thm5_opts *o, const sd_mc_config *mc,
                        sd_checklist *l, sd_error *err)
{
    sd_status rc = token_checks(m, o, mc, l, err);
    if (rc == SD_OK)
        rc = chain_checks(m, o, mc, l, err);
    return rc;
}
