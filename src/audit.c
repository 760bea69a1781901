/* audit.c - instances and exact acceptances for sampler audits. */
#include "audit.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "kseq.h"
#include "rng.h"
#include "rrs.h"
#include "rrswor.h"
#include "rule.h"
#include "names.h"
#include "step.h"

/* The probability the near-one-hot kind leaves off its main token, and
 * the tiny entries of the tiny kind. */
#define AUDIT_NEAR_EPS 1e-6
#define AUDIT_TINY 1e-300

static const char *const family_names[] = {"paper", "dirichlet", "hard"};
static const char *const kind_names[] = {"equal", "disjoint", "one-token-residual",
                                         "near-one-hot", "tiny", "sparse", "small-support",
                                         "paper"};
static const char *const algo_names[] = {"sd", "rrs", "rrs-wor", "kseq"};

int sd_audit_family_parse(const char *name)
{
    return sd_names_find(family_names, SD_NAMES_N(family_names), name);
}

const char *sd_audit_family_name(sd_audit_family f)
{
    return sd_names_of(family_names, SD_NAMES_N(family_names), (size_t)f);
}

const char *sd_audit_kind_name(sd_audit_kind k)
{
    return sd_names_of(kind_names, SD_NAMES_N(kind_names), (size_t)k);
}

int sd_audit_algo_parse(const char *name)
{
    return sd_names_find(algo_names, SD_NAMES_N(algo_names), name);
}

const char *sd_audit_algo_name(sd_audit_algo a)
{
    return sd_names_of(algo_names, SD_NAMES_N(algo_names), (size_t)a);
}

/* Weights U(0,1] on the tokens with mask[x] != 0, zero elsewhere,
 * normalised (mask has at least one token). */
static void masked_row(gsl_rng *r, double *w, const unsigned char *mask, size_t V)
{
    size_t x;
    for (x = 0; x < V; x++)
        w[x] = mask[x] ? gsl_rng_uniform_pos(r) : 0.0;
    sd_normalise(w, V);
}

/* A random token. */
static size_t token(gsl_rng *r, size_t V)
{
    return (size_t)gsl_rng_uniform_int(r, (unsigned long)V);
}

/* One instance of the hard family of kind k (V large enough for it). */
static void hard_row(gsl_rng *r, sd_audit_kind k, double *p, double *q, size_t V,
                     size_t *perm, unsigned char *mask)
{
    size_t x, h;
    switch (k) {
    case SD_AUDIT_EQUAL:
        sd_rng_row(r, NULL, q, V);
        memcpy(p, q, V * sizeof *p);
        break;
    case SD_AUDIT_DISJOINT:
        /* a random half of the tokens for p, the rest for q */
        for (x = 0; x < V; x++)
            perm[x] = x;
        gsl_ran_shuffle(r, perm, V, sizeof *perm);
        h = V / 2;
        memset(mask, 0, V);
        for (x = 0; x < h; x++)
            mask[perm[x]] = 1;
        masked_row(r, p, mask, V);
        for (x = 0; x < V; x++)
            mask[x] = !mask[x];
        masked_row(r, q, mask, V);
        break;
    case SD_AUDIT_ONE_RESIDUAL: {
        /* p takes part of q's mass at y and spreads it over the others in
         * proportion to q: p >= q except at y, so res(q, p) is one-hot */
        size_t y = token(r, V);
        double c = gsl_rng_uniform(r), moved, rest;
        sd_rng_row(r, NULL, q, V);
        moved = (1.0 - c) * q[y];
        rest = 1.0 - q[y];
        for (x = 0; x < V; x++)
            p[x] = x == y ? c * q[y] : q[x] * (1.0 + moved / rest);
        sd_normalise(p, V);
        break;
    }
    case SD_AUDIT_NEAR_ONE_HOT: {
        /* the main tokens agree half of the time */
        size_t a = token(r, V), b = gsl_rng_uniform(r) < 0.5 ? a : token(r, V);
        sd_rng_row(r, NULL, p, V);
        sd_rng_row(r, NULL, q, V);
        for (x = 0; x < V; x++) {
            p[x] = AUDIT_NEAR_EPS * p[x] + (x == a ? 1.0 - AUDIT_NEAR_EPS : 0.0);
            q[x] = AUDIT_NEAR_EPS * q[x] + (x == b ? 1.0 - AUDIT_NEAR_EPS : 0.0);
        }
        sd_normalise(p, V);
        sd_normalise(q, V);
        break;
    }
    case SD_AUDIT_TINY:
        /* each token is tiny in p, in q, in both or in neither (each with
         * probability 1/4, but never every token of a row) */
        sd_rng_row(r, NULL, p, V);
        sd_rng_row(r, NULL, q, V);
        for (x = 0; x < V; x++) {
            unsigned long c = gsl_rng_uniform_int(r, 4);
            if (x == 0)
                continue; /* token 0 keeps both rows' mass away from 0 */
            if (c & 1)
                p[x] = AUDIT_TINY;
            if (c & 2)
                q[x] = AUDIT_TINY;
        }
        sd_normalise(p, V);
        sd_normalise(q, V);
        break;
    case SD_AUDIT_SPARSE:
        for (x = 0; x < V; x++)
            mask[x] = gsl_rng_uniform(r) < 0.2;
        mask[token(r, V)] = 1;
        masked_row(r, p, mask, V);
        for (x = 0; x < V; x++)
            mask[x] = gsl_rng_uniform(r) < 0.2;
        mask[token(r, V)] = 1;
        masked_row(r, q, mask, V);
        break;
    case SD_AUDIT_SMALL_SUPPORT: {
        /* one or two tokens each, out of three, so supports may overlap */
        size_t t3[3];
        for (x = 0; x < 3; x++)
            t3[x] = token(r, V);
        memset(mask, 0, V);
        mask[t3[0]] = 1;
        if (gsl_rng_uniform(r) < 0.5)
            mask[t3[1]] = 1;
        masked_row(r, p, mask, V);
        memset(mask, 0, V);
        mask[t3[2]] = 1;
        if (gsl_rng_uniform(r) < 0.5)
            mask[t3[1]] = 1;
        masked_row(r, q, mask, V);
        break;
    }
    default:
        sd_rng_row(r, NULL, p, V);
        sd_rng_row(r, NULL, q, V);
        break;
    }
}

sd_status sd_audit_cases(double *p, double *q, int *kind, size_t I, size_t V,
                         sd_audit_family fam, double alpha, uint64_t seed, sd_error *err)
{
    gsl_rng *r;
    double *alphas = NULL;
    size_t *perm = NULL;
    unsigned char *mask = NULL;
    size_t i, x;

    if (I == 0 || V == 0)
        return sd_error_set(err, SD_EINVAL, "instances and vocabulary must be positive "
                            "(I = %zu, V = %zu)", I, V);
    if (fam == SD_AUDIT_DIRICHLET && !(alpha > 0.0 && isfinite(alpha)))
        return sd_error_set(err, SD_EINVAL, "alpha must be a positive number, got %g", alpha);
    r = sd_rng_stream_alloc(NULL, seed, 0);
    alphas = sd_malloc(V, sizeof *alphas);
    perm = sd_malloc(V, sizeof *perm);
    mask = sd_malloc(V, 1);
    if (r == NULL || alphas == NULL || perm == NULL || mask == NULL) {
        if (r != NULL)
            gsl_rng_free(r);
        sd_free(alphas);
        sd_free(perm);
        sd_free(mask);
        return sd_error_set(err, SD_ENOMEM, "out of memory for the instances");
    }
    for (x = 0; x < V; x++)
        alphas[x] = alpha;
    for (i = 0; i < I; i++) {
        double *pi = p + i * V, *qi = q + i * V;
        sd_audit_kind k = SD_AUDIT_NPAPER;
        if (fam == SD_AUDIT_HARD) {
            k = (sd_audit_kind)(i % SD_AUDIT_NKINDS);
            /* kinds that need two tokens become p = q on V = 1 */
            if (V < 2)
                k = SD_AUDIT_EQUAL;
            hard_row(r, k, pi, qi, V, perm, mask);
        } else {
            sd_rng_row(r, fam == SD_AUDIT_DIRICHLET ? alphas : NULL, pi, V);
            sd_rng_row(r, fam == SD_AUDIT_DIRICHLET ? alphas : NULL, qi, V);
        }
        if (kind != NULL)
            kind[i] = (int)k;
    }
    gsl_rng_free(r);
    sd_free(alphas);
    sd_free(perm);
    sd_free(mask);
    return SD_OK;
}

sd_status sd_audit_accept(const double *p, const double *q, size_t V, sd_audit_algo algo,
                          size_t k, double *tmp, double *accept, sd_error *err)
{
    if (k == 0)
        return sd_error_set(err, SD_EINVAL, "the number of drafts must be positive");
    switch (algo) {
    case SD_AUDIT_ALGO_SD:
        *accept = 1.0 - sd_tv(p, q, V);
        return SD_OK;
    case SD_AUDIT_ALGO_RRS:
        *accept = 1.0 - sd_rrs_rho(p, q, V, k, tmp);
        return SD_OK;
    case SD_AUDIT_ALGO_RRS_WOR:
        return sd_rrs_wor_accept(p, q, V, k, accept, err);
    case SD_AUDIT_ALGO_KSEQ:
        return sd_kseq_accept(p, q, V, k, accept, NULL, err);
    default:
        return sd_error_set(err, SD_EINVAL, "unknown algorithm %d", (int)algo);
    }
}
