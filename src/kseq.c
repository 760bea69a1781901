/* kseq.c - SpecTr's K-SEQ (doc/theory.md §6.2): rho*, step laws, tree law, sampler. */
#include "kseq.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "alloc.h"
#include "sim_sd.h"

/* Brent iterations allowed; convergence to machine precision takes a
 * few dozen at most (Brent falls back to bisection: 64 halvings of
 * [1, k] reach the spacing of doubles). */
#define KSEQ_MAX_ITER 500

double sd_kseq_beta(const double *p, const double *q, size_t V, double rho)
{
    double b = 0.0;
    size_t x;
    for (x = 0; x < V; x++) {
        double c = q[x] / rho;
        b += p[x] < c ? p[x] : c;
    }
    return b;
}

/* The parts of K-SEQ at rho, each computed without cancellation:
 * *b = beta(rho), *rej = (1 - beta)^k, *acc = 1 - (1 - beta)^k and
 * (if margin is not NULL) *margin = rho beta - 1 + (1 - beta)^k.
 * For beta <= 1/2 these come from beta itself via log1p/expm1; for
 * beta > 1/2 from the small sums 1 - beta = sum [p - q/rho]_+ and
 * 1 - rho beta = sum [q - rho p]_+ (rows sum to 1), so that p = q gives
 * rejection and margin exactly 0 at rho = 1. */
static void kseq_parts(const double *p, const double *q, size_t V, size_t k, double rho,
                       double *b, double *rej, double *acc, double *margin)
{
    double lb;
    size_t x;
    *b = sd_kseq_beta(p, q, V, rho);
    if (*b <= 0.5) {
        lb = (double)k * log1p(-*b);
        *rej = exp(lb);
        *acc = -expm1(lb);
        if (margin != NULL)
            *margin = rho * *b - *acc;
    } else {
        double bbar = 0.0, deficit = 0.0;
        for (x = 0; x < V; x++) {
            double c = q[x] / rho, d = q[x] - rho * p[x];
            bbar += p[x] > c ? p[x] - c : 0.0;
            deficit += d > 0.0 ? d : 0.0;
        }
        *rej = pow(bbar, (double)k);
        *acc = 1.0 - *rej;
        if (margin != NULL)
            *margin = *rej - deficit;
    }
    /* k = 1: the margin is (rho - 1) beta identically; say so exactly. */
    if (k == 1 && margin != NULL)
        *margin = (rho - 1.0) * *b;
}

double sd_kseq_margin(const double *p, const double *q, size_t V, size_t k, double rho)
{
    double b, rej, acc, margin;
    kseq_parts(p, q, V, k, rho, &b, &rej, &acc, &margin);
    return margin;
}

typedef struct {
    const double *p, *q;
    size_t V, k;
} margin_args;

static double margin_fn(double rho, void *arg)
{
    const margin_args *a = arg;
    return sd_kseq_margin(a->p, a->q, a->V, a->k, rho);
}

sd_status sd_kseq_rho(const double *p, const double *q, size_t V, size_t k, double *rho,
                      sd_error *err)
{
    margin_args a;
    gsl_function F;
    gsl_root_fsolver *s;
    double lo = 1.0, hi = (double)k;
    int status = GSL_CONTINUE, it;

    if (k == 0 || V == 0)
        return sd_error_set(err, SD_EINVAL, "K-SEQ needs k >= 1 drafts and V >= 1 tokens");
    if (sd_kseq_margin(p, q, V, k, 1.0) >= 0.0) {
        *rho = 1.0;
        return SD_OK;
    }
    /* The margin is >= 0 at k in exact arithmetic (k beta >= 1-(1-beta)^k);
     * if rounding says otherwise, k is still the valid answer. */
    if (!(sd_kseq_margin(p, q, V, k, hi) > 0.0)) {
        *rho = hi;
        return SD_OK;
    }
    a.p = p;
    a.q = q;
    a.V = V;
    a.k = k;
    F.function = margin_fn;
    F.params = &a;
    sd_gsl_quiet();
    s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (s == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory for the K-SEQ root finder");
    if (gsl_root_fsolver_set(s, &F, lo, hi) != GSL_SUCCESS) {
        gsl_root_fsolver_free(s);
        return sd_error_set(err, SD_EINTERNAL, "K-SEQ: GSL Brent solver refused the bracket "
                                               "[1, %zu]", k);
    }
    for (it = 0; it < KSEQ_MAX_ITER && status == GSL_CONTINUE; it++) {
        if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS)
            break;
        lo = gsl_root_fsolver_x_lower(s);
        hi = gsl_root_fsolver_x_upper(s);
        status = gsl_root_test_interval(lo, hi, 0.0, 2.0 * DBL_EPSILON);
    }
    gsl_root_fsolver_free(s);
    if (status != GSL_SUCCESS)
        return sd_error_set(err, SD_EINTERNAL, "K-SEQ: Brent solver did not converge for "
                                               "k = %zu (bracket [%.17g, %.17g])", k, lo, hi);
    /* Return a point where the margin is non-negative as evaluated. */
    while (hi < (double)k && sd_kseq_margin(p, q, V, k, hi) < 0.0)
        hi = nextafter(hi, INFINITY);
    *rho = hi;
    return SD_OK;
}

sd_status sd_kseq_accept(const double *p, const double *q, size_t V, size_t k,
                         double *alpha, double *rho, sd_error *err)
{
    double r;
    sd_status rc = sd_kseq_rho(p, q, V, k, &r, err);
    if (rc != SD_OK)
        return rc;
    double b, rej;
    kseq_parts(p, q, V, k, r, &b, &rej, alpha, NULL);
    if (rho != NULL)
        *rho = r;
    return SD_OK;
}

/* The rejection law res[0..V-1] from the unnormalised residual (total
 * tot) when the step rejects with probability rej: zero if rej = 0, else
 * normalised, or q itself when rounding left no residual mass (only q
 * keeps the output law). */
static void rejection_law(double rej, double tot, const double *q, size_t V, double *res)
{
    size_t x;
    for (x = 0; x < V; x++) {
        if (!(rej > 0.0))
            res[x] = 0.0;
        else if (tot > 0.0)
            res[x] /= tot;
        else
            res[x] = q[x];
    }
}

void sd_kseq_step_at(const double *p, const double *q, size_t V, size_t k, double rho,
                     sd_step *out)
{
    double b, rej, A, scale, tot = 0.0;
    size_t x;
    kseq_parts(p, q, V, k, rho, &b, &rej, &A, NULL);
    scale = b > 0.0 ? A / b : 0.0;
    for (x = 0; x < V; x++) {
        double c = q[x] / rho, m = p[x] < c ? p[x] : c, w;
        out->acc[x] = m * scale;
        w = q[x] - out->acc[x];
        out->res[x] = w > 0.0 ? w : 0.0;
        tot += out->res[x];
    }
    rejection_law(rej, tot, q, V, out->res);
    out->rej = rej;
}

sd_status sd_kseq_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                       sd_step *out, sd_error *err)
{
    double rho;
    sd_status rc = sd_kseq_rho(p, q, V, k, &rho, err);
    (void)ws;
    if (rc != SD_OK)
        return rc;
    sd_kseq_step_at(p, q, V, k, rho, out);
    return SD_OK;
}

/* pmf[0..n] of Binomial(n, pr), via GSL (pr clamped to [0, 1]). */
static void binom_pmf(double *pmf, size_t n, double pr)
{
    size_t j;
    pr = pr < 0.0 ? 0.0 : (pr > 1.0 ? 1.0 : pr);
    for (j = 0; j <= n; j++)
        pmf[j] = gsl_ran_binomial_pdf((unsigned int)j, pr, (unsigned int)n);
}

double *sd_kseq_tree_ws_alloc(size_t K)
{
    return K + 1 > (size_t)-1 / 2 / sizeof(double) ? NULL : sd_malloc(2 * (K + 1), sizeof(double));
}

sd_status sd_kseq_tree_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                            sd_tree_step *out, sd_error *err)
{
    const size_t W = out->K + 1;
    double rho, b, rej, fail, A, scale, tot = 0.0;
    double *b1 = ws, *b2 = (double *)ws + (k + 1);
    size_t y, i, j1, j2;
    sd_status rc;
    if (k == 0 || k > out->K)
        return sd_error_set(err, SD_EINVAL, "K-SEQ tree step: k = %zu live drafts is not in "
                                            "1..%zu", k, out->K);
    rc = sd_kseq_rho(p, q, V, k, &rho, err);
    if (rc != SD_OK)
        return rc;
    kseq_parts(p, q, V, k, rho, &b, &rej, &A, NULL);
    fail = 0.0; /* 1 - beta, summed directly */
    for (y = 0; y < V; y++)
        fail += p[y] > q[y] / rho ? p[y] - q[y] / rho : 0.0;
    scale = b > 0.0 ? A / b : 0.0;
    memset(out->acc, 0, V * W * sizeof(double));
    for (y = 0; y < V; y++) {
        double c = q[y] / rho, m = p[y] < c ? p[y] : c; /* p(y) a(y) */
        double stay = fail > 0.0 ? (p[y] - m) / fail : 0.0, w = m, r;
        r = q[y] - m * scale;
        out->res[y] = r > 0.0 ? r : 0.0;
        tot += out->res[y];
        for (i = 1; i <= k && w > 0.0; i++, w *= fail) {
            /* w = (1-beta)^(i-1) p(y) a(y) */
            binom_pmf(b1, i - 1, stay);
            binom_pmf(b2, k - i, p[y]);
            for (j1 = 0; j1 < i; j1++)
                for (j2 = 0; j2 <= k - i; j2++)
                    out->acc[y * W + 1 + j1 + j2] += w * b1[j1] * b2[j2];
        }
    }
    rejection_law(rej, tot, q, V, out->res);
    out->rej = rej;
    return SD_OK;
}

void sd_kseq_sampler_free(sd_kseq_sampler *s)
{
    if (s->draft)
        gsl_ran_discrete_free(s->draft);
    if (s->resid)
        gsl_ran_discrete_free(s->resid);
    sd_free(s->thr);
    memset(s, 0, sizeof *s);
}

sd_status sd_kseq_sampler_init_at(sd_kseq_sampler *s, const double *p, const double *q,
                                  size_t V, size_t k, double rho, sd_error *err)
{
    sd_step st;
    sd_status rc;
    size_t x;
    memset(s, 0, sizeof *s);
    if (k == 0 || V == 0 || !(rho >= 1.0))
        return sd_error_set(err, SD_EINVAL, "K-SEQ sampler needs k >= 1, V >= 1, rho >= 1");
    s->V = V;
    s->k = k;
    s->rho = rho;
    rc = sd_step_alloc(&st, V, err);
    if (rc != SD_OK)
        return rc;
    sd_kseq_step_at(p, q, V, k, s->rho, &st);
    s->thr = sd_malloc(V, sizeof(double));
    s->draft = sd_alias_alloc(p, V);
    /* Where rejection has probability 0 (or below rounding), q is the
     * only law consistent with the output law q. */
    s->resid = sd_alias_alloc(st.rej > 0.0 ? st.res : q, V);
    sd_step_free(&st);
    if (s->thr == NULL || s->draft == NULL || s->resid == NULL) {
        sd_kseq_sampler_free(s);
        return sd_error_set(err, SD_ENOMEM, "out of memory for a K-SEQ sampler (V = %zu)", V);
    }
    for (x = 0; x < V; x++)
        s->thr[x] = p[x] > 0.0 ? q[x] / (s->rho * p[x]) : INFINITY;
    return SD_OK;
}

sd_status sd_kseq_sampler_init(sd_kseq_sampler *s, const double *p, const double *q,
                               size_t V, size_t k, sd_error *err)
{
    double rho;
    sd_status rc;
    memset(s, 0, sizeof *s);
    rc = sd_kseq_rho(p, q, V, k, &rho, err);
    return rc != SD_OK ? rc : sd_kseq_sampler_init_at(s, p, q, V, k, rho, err);
}

size_t sd_kseq_sampler_draw(const sd_kseq_sampler *s, gsl_rng *r, size_t *trial)
{
    size_t i;
    for (i = 1; i <= s->k; i++) {
        size_t x = gsl_ran_discrete(r, s->draft);
        if (gsl_rng_uniform(r) < s->thr[x]) {
            *trial = i;
            return x;
        }
    }
    *trial = 0;
    return gsl_ran_discrete(r, s->resid);
}

int sd_kseq_sampler_verify(const sd_kseq_sampler *s, const size_t *tok, gsl_rng *r,
                           size_t *y)
{
    size_t i;
    for (i = 0; i < s->k; i++)
        if (gsl_rng_uniform(r) < s->thr[tok[i]]) {
            *y = tok[i];
            return 1;
        }
    *y = gsl_ran_discrete(r, s->resid);
    return 0;
}

/* ---- model-level verifier tables ------------------------------------------ */

void sd_kseq_sim_free(sd_kseq_sim *s)
{
    size_t i;
    for (i = 0; s->smp != NULL && i < s->nrows * s->nk; i++)
        sd_kseq_sampler_free(&s->smp[i]);
    sd_free(s->smp);
    memset(s, 0, sizeof *s);
}

/* The tables; rho_fixed > 0 uses that rho in every row instead of rho*. */
static sd_status sim_build(sd_kseq_sim *s, const sd_model *m, size_t M, int all_k,
                           double rho_fixed, sd_error *err)
{
    size_t row, j, V = m->V;
    sd_status rc = SD_OK;
    memset(s, 0, sizeof *s);
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "the number of drafts must be at least 1");
    s->m = m;
    s->M = M;
    s->nk = all_k ? M : 1;
    s->nrows = sd_model_nrows(m);
    if ((double)s->nrows * (double)s->nk * 3.0 * (double)V > (double)SD_KSEQ_SIM_MAX_TABLE)
        return sd_error_set(err, SD_ERANGE, "K-SEQ sampling tables for V = %zu, %zu rows and "
                                            "%zu draft counts exceed %zu doubles",
                            V, s->nrows, s->nk, (size_t)SD_KSEQ_SIM_MAX_TABLE);
    s->smp = sd_calloc(s->nrows * s->nk, sizeof *s->smp);
    if (s->smp == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory for K-SEQ sampling tables");
    for (row = 0; rc == SD_OK && row < s->nrows; row++) {
        size_t t = sd_model_row_t(m, row), st = row % V;
        const double *p = sd_model_p(m, t, st), *q = sd_model_q(m, t, st);
        for (j = 0; rc == SD_OK && j < s->nk; j++) {
            size_t k = all_k ? j + 1 : M;
            sd_kseq_sampler *smp = &s->smp[row * s->nk + j];
            rc = rho_fixed > 0.0 ? sd_kseq_sampler_init_at(smp, p, q, V, k, rho_fixed, err)
                                 : sd_kseq_sampler_init(smp, p, q, V, k, err);
        }
    }
    if (rc != SD_OK)
        sd_kseq_sim_free(s);
    return rc;
}

sd_status sd_kseq_sim_alloc(sd_kseq_sim *s, const sd_model *m, size_t M, int all_k,
                            sd_error *err)
{
    return sim_build(s, m, M, all_k, 0.0, err);
}

sd_status sd_kseq_sim_alloc_rho1(sd_kseq_sim *s, const sd_model *m, size_t M, sd_error *err)
{
    return sim_build(s, m, M, 0, 1.0, err);
}

static int rs_verify(const void *ctx, void *ws, size_t t, size_t s, gsl_rng *r, size_t *y)
{
    const sd_kseq_sim *S = ctx;
    size_t trial;
    (void)ws;
    *y = sd_kseq_sampler_draw(&S->smp[sd_model_row(S->m, t, s) * S->nk + S->nk - 1], r, &trial);
    return trial > 0;
}

static int tree_verify(const void *ctx, void *ws, size_t t, size_t s, size_t k,
                       const size_t *tok, gsl_rng *r, size_t *y)
{
    const sd_kseq_sim *S = ctx;
    (void)ws;
    return sd_kseq_sampler_verify(&S->smp[sd_model_row(S->m, t, s) * S->nk + k - 1], tok, r, y);
}

sd_rs_verifier sd_kseq_rs_verifier(const sd_kseq_sim *s)
{
    return (sd_rs_verifier){s, NULL, NULL, rs_verify};
}

sd_tree_verifier sd_kseq_tree_verifier(const sd_kseq_sim *s)
{
    return (sd_tree_verifier){s, NULL, NULL, tree_verify};
}
