/* chain_ref.h - references on tiny chains for the engine tests
 * (test_tree, test_roundstart), written from the definitions in
 * doc/theory.md without the library's engines or step laws: random
 * chains, Theorem 1 by the q-marginal recursion, literal verification of
 * one tuple of draft tokens, and a Monte Carlo mean check. */
#ifndef SD_CHAIN_REF_H
#define SD_CHAIN_REF_H

#include <gsl/gsl_rng.h>

#include "mcutil.h"

#include "alloc.h"
#include "check.h"
#include "mc.h"
#include "model.h"
#include "rng.h"
#include "tol.h"
#include "token_instances.h"

/* A nonstationary chain with T kernels per side and a random start law,
 * rows of U(0,1) entries normalised, each entry zeroed with probability
 * zero_prob (one kept per row). */
static inline void cr_chain(sd_model *m, gsl_rng *r, size_t V, size_t T, double zero_prob)
{
    sd_error err;
    size_t i;
    assert_int_equal(sd_model_alloc(m, V, T, T, T, &err), SD_OK);
    for (i = 0; i < T * V; i++) {
        ti_row(r, m->P + i * V, V, zero_prob);
        ti_row(r, m->Q + i * V, V, zero_prob);
    }
    ti_row(r, m->pi0, V, zero_prob);
}

/* Instance i of a seeded family of small random chains: V = 2..6,
 * T = 1..15, paper and Dirichlet(0.3) rows, one in three stationary. */
static inline void cr_instance(sd_model *m, int i, uint64_t seed)
{
    sd_error err;
    const size_t V = 2 + (size_t)i % 5, T = 1 + (size_t)(i * 7) % 15;
    assert_int_equal(sd_model_random(m, V, T, i % 2 ? SD_FAMILY_PAPER : SD_FAMILY_DIRICHLET, 0.3,
                                     i % 3 == 0, seed + (uint64_t)i, &err), SD_OK);
}

/* The mean of a law of N_rej law[0..T], which must sum to 1. */
static inline double cr_law_mean(const long double *law, size_t T)
{
    long double E = 0, tot = 0;
    size_t c;
    for (c = 0; c <= T; c++) {
        E += c * law[c];
        tot += law[c];
    }
    assert_close((double)tot, 1.0, SD_TOL_EXACT);
    return (double)E;
}

/* Run call (an expression giving an sd_status) with the n-th allocation
 * and every later one failing, n = 1, 2, ...: each must give SD_ENOMEM
 * until one succeeds. */
#define CR_ENOMEM_UNTIL_OK(call)                                                   \
    do {                                                                           \
        unsigned long n_;                                                          \
        for (n_ = 1;; n_++) {                                                      \
            sd_status rc_;                                                         \
            sd_alloc_fail_at(n_, 1);                                               \
            rc_ = (call);                                                          \
            sd_alloc_fail_at(0, 0);                                                \
            if (rc_ == SD_OK)                                                      \
                break;                                                             \
            assert_int_equal(rc_, SD_ENOMEM);                                      \
        }                                                                          \
    } while (0)

/* The stationary two-token chain with P = (3/4, 1/4), Q = (1/4, 3/4) in
 * every row, from a uniform start. */
static inline void cr_two_token_chain(sd_model *m, size_t T)
{
    sd_error err;
    size_t s;
    assert_int_equal(sd_model_alloc(m, 2, T, 1, 1, &err), SD_OK);
    for (s = 0; s < 2; s++) {
        m->P[2 * s] = 0.75; m->P[2 * s + 1] = 0.25;
        m->Q[2 * s] = 0.25; m->Q[2 * s + 1] = 0.75;
    }
}

/* res(r, p) = [r - p]_+ / TV(p, r) into out (zeros if r <= p). */
static inline void cr_residual(const double *p, const double *r, size_t V, double *out)
{
    double tv = 0.0;
    size_t x;
    for (x = 0; x < V; x++)
        tv += r[x] > p[x] ? r[x] - p[x] : 0.0;
    for (x = 0; x < V; x++)
        out[x] = tv > 0.0 && r[x] > p[x] ? (r[x] - p[x]) / tv : 0.0;
}

/* Theorem 1: sum_t sum_s mu_t(s) TV(P_t(s), Q_t(s)) with mu_1 = pi0 and
 * mu_{t+1} = mu_t Q_t (V <= 16). */
static inline double cr_theorem1(const sd_model *m)
{
    double mu[16], nu[16], E = 0.0;
    size_t t, s, y, V = m->V;
    memcpy(mu, m->pi0, V * sizeof(double));
    for (t = 1; t <= m->T; t++) {
        memset(nu, 0, sizeof nu);
        for (s = 0; s < V; s++) {
            const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
            for (y = 0; y < V; y++) {
                E += mu[s] * (q[y] > p[y] ? q[y] - p[y] : 0.0);
                nu[y] += mu[s] * q[y];
            }
        }
        memcpy(mu, nu, V * sizeof(double));
    }
    return E;
}

/* Draft tuple number code (base V digits) of k tokens into tok; returns
 * its probability prod_i p[tok[i]]. */
static inline long double cr_tuple(size_t code, const double *p, size_t V, size_t k,
                                   size_t *tok)
{
    long double w = 1;
    size_t i;
    for (i = 0; i < k; i++, code /= V) {
        tok[i] = code % V;
        w *= p[tok[i]];
    }
    return w;
}

/* The outcome of a rule on the draft tokens tok[0..k-1] at rows (p, q):
 * acc[y] = P(a draft with token y is accepted), *rej = P(every draft is
 * rejected), res[y] = P(emitted token y | rejected). */
typedef void (*cr_literal_fn)(const double *p, const double *q, size_t V, const size_t *tok,
                              size_t k, double *acc, double *rej, double *res);

/* RRS as doc/theory.md §3 states it: r = Q; draft i accepted with
 * probability min(1, r(x_i)/P(x_i)), else r := res(r, P); all rejected:
 * emit from r. */
static inline void cr_rrs_literal(const double *p, const double *q, size_t V, const size_t *tok,
                                  size_t k, double *acc, double *rej, double *res)
{
    double r[16], w = 1.0;
    size_t i;
    memcpy(r, q, V * sizeof(double));
    memset(acc, 0, V * sizeof(double));
    for (i = 0; i < k && w > 0.0; i++) {
        const size_t x = tok[i];
        const double a = r[x] >= p[x] ? 1.0 : r[x] / p[x];
        acc[x] += w * a;
        w *= 1.0 - a;
        if (w > 0.0)
            cr_residual(p, r, V, r);
    }
    *rej = w;
    memcpy(res, r, V * sizeof(double));
}

/* Sizes (V, M, T) small enough to enumerate the literal algorithms. */
static const size_t cr_small_sizes[][3] = {{2, 2, 4}, {2, 3, 3}, {3, 2, 3}, {3, 3, 2},
                                           {1, 2, 3}, {3, 1, 4}, {2, 1, 2}, {2, 3, 4}};
#define CR_NSMALL (sizeof cr_small_sizes / sizeof cr_small_sizes[0])

/* Call check(m, M, j) on seeded random chains of each size (V, M, T) of
 * sizes[0..nsizes-1], four per size (rows with and without zeros), for
 * rules j = 0..nrules-1. */
static inline void cr_sweep(uint64_t seed, const size_t (*sizes)[3], size_t nsizes,
                            size_t nrules, void (*check)(const sd_model *m, size_t M, size_t j))
{
    gsl_rng *r = sd_rng_stream_alloc(NULL, seed, 0);
    size_t i, j;
    int rep;
    for (i = 0; i < nsizes; i++)
        for (rep = 0; rep < 4; rep++)
            for (j = 0; j < nrules; j++) {
                sd_model m;
                cr_chain(&m, r, sizes[i][0], sizes[i][2], rep % 2 ? 0.4 : 0.0);
                check(&m, sizes[i][1], j);
                sd_model_free(&m);
            }
    gsl_rng_free(r);
}

/* Simulate sim for runs runs (seed, 2 threads) and require its mean
 * N_rej within SD_Z_MAX_DEFAULT standard errors of exact; the result
 * goes to *keep (the caller frees it) or is freed (keep = NULL). */
static inline void cr_mc_mean_keep(const sd_sim *sim, const sd_model *m, double exact,
                                   size_t runs, uint64_t seed, sd_mc_result *keep)
{
    sd_mc_result res;
    sd_test_mc_run(sim, m->T, m->V, runs, seed, NULL, 0, NULL, &res);
    sd_test_mc_agrees("mean", &res, exact, NULL);
    if (keep != NULL)
        *keep = res;
    else
        sd_mc_result_free(&res);
}

static inline void cr_mc_mean(const sd_sim *sim, const sd_model *m, double exact, size_t runs,
                              uint64_t seed)
{
    cr_mc_mean_keep(sim, m, exact, runs, seed, NULL);
}

/* A draw from the law w[0..V-1] (summing to 1 up to rounding) by
 * inversion, for the literal verifiers written in the tests. */
static inline size_t cr_draw(const double *w, size_t V, gsl_rng *r)
{
    double u = gsl_rng_uniform(r), c = 0.0;
    size_t x, last = 0;
    for (x = 0; x < V; x++) {
        if (w[x] <= 0.0)
            continue;
        last = x;
        c += w[x];
        if (u < c)
            return x;
    }
    return last;
}

#endif
