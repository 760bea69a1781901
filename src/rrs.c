/* rrs.c - recursive rejection sampling with k i.i.d. drafts (doc/theory.md §3). */
#include "rrs.h"

#include <math.h>
#include <string.h>

#include "alloc.h"

double sd_rrs_residuals(const double *p, const double *q, size_t V, size_t k, double *r,
                        double *tv)
{
    double rho = 1.0;
    size_t m;
    memcpy(r, q, V * sizeof(double));
    for (m = 0; m < k; m++) {
        double d = sd_residual(p, r + m * V, V, r + (m + 1) * V);
        if (tv != NULL)
            tv[m] = d;
        rho *= d;
    }
    return rho;
}

double sd_rrs_rho(const double *p, const double *q, size_t V, size_t k, double *tmp)
{
    double *cur = tmp, *nxt = tmp + V, *sw, rho = 1.0;
    size_t m;
    memcpy(cur, q, V * sizeof(double));
    for (m = 0; m < k && rho > 0.0; m++) {
        rho *= sd_residual(p, cur, V, nxt);
        sw = cur; cur = nxt; nxt = sw;
    }
    return rho;
}

double sd_rrs_rho_inf(const double *p, const double *q, size_t V)
{
    double rho = 0.0;
    size_t x;
    for (x = 0; x < V; x++)
        if (p[x] == 0.0)
            rho += q[x];
    return rho;
}

double sd_rrs_bi(const double *p, const double *q, size_t V, size_t k, double *tmp)
{
    double tv = sd_tv(p, q, V);
    return tv - (k == 0 ? sd_rrs_rho_inf(p, q, V) : sd_rrs_rho(p, q, V, k, tmp));
}

double sd_rrs_accept_law(const double *p, const double *q, size_t V, size_t k, double *law,
                         double *tmp)
{
    double *cur = tmp, *nxt = tmp + V, *sw, reach = 1.0;
    size_t m, y;
    memset(law, 0, k * V * sizeof(double));
    memcpy(cur, q, V * sizeof(double));
    for (m = 1; m <= k && reach > 0.0; m++) {
        double *row = law + (m - 1) * V;
        for (y = 0; y < V; y++)
            row[y] = reach * fmin(p[y], cur[y]);
        reach *= sd_residual(p, cur, V, nxt);
        sw = cur; cur = nxt; nxt = sw;
    }
    return reach;
}

double *sd_rrs_ws_alloc(size_t V)
{
    return sd_malloc(2 * V, sizeof(double));
}

void sd_rrs_ws_free(double *ws)
{
    sd_free(ws);
}

/* After a trial reached with probability reach on residual *cur: the
 * next residual into *nxt (then swapped with *cur); returns the
 * probability of reaching the next trial. */
static double next_trial(const double *p, size_t V, double reach, double **cur, double **nxt)
{
    double *sw;
    reach *= sd_residual(p, *cur, V, *nxt);
    sw = *cur;
    *cur = *nxt;
    *nxt = sw;
    return reach;
}

/* The rejection law after the last trial: rho_k = reach and r_k = cur
 * (zero if rho_k = 0). */
static void rejection_law(double reach, const double *cur, size_t V, double *rej, double *res)
{
    size_t y;
    *rej = reach;
    for (y = 0; y < V; y++)
        res[y] = reach > 0.0 ? cur[y] : 0.0;
}

sd_status sd_rrs_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                      sd_step *out, sd_error *err)
{
    double *cur = ws, *nxt = cur + V, reach = 1.0;
    size_t m, y;
    (void)err;
    memset(out->acc, 0, V * sizeof(double));
    memcpy(cur, q, V * sizeof(double));
    for (m = 1; m <= k && reach > 0.0; m++) {
        for (y = 0; y < V; y++)
            out->acc[y] += reach * fmin(p[y], cur[y]);
        reach = next_trial(p, V, reach, &cur, &nxt);
    }
    rejection_law(reach, cur, V, &out->rej, out->res);
    return SD_OK;
}

sd_status sd_rrs_limit_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                            sd_step *out, sd_error *err)
{
    double rho = sd_rrs_rho_inf(p, q, V);
    size_t y;
    (void)k;
    (void)ws;
    (void)err;
    for (y = 0; y < V; y++) {
        int never = p[y] == 0.0;
        out->acc[y] = never ? 0.0 : q[y];
        out->res[y] = never && rho > 0.0 ? q[y] / rho : 0.0;
    }
    out->rej = rho;
    return SD_OK;
}

sd_status sd_rrs_tree_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                           sd_tree_step *out, sd_error *err)
{
    double *cur = ws, *nxt = cur + V, reach = 1.0;
    const size_t W = out->K + 1;
    size_t m, y, L;
    if (k == 0 || k > out->K)
        return sd_error_set(err, SD_EINVAL, "tree step: %zu live drafts (1..%zu allowed)", k,
                            out->K);
    memset(out->acc, 0, V * W * sizeof(double));
    memcpy(cur, q, V * sizeof(double));
    for (m = 1; m <= k && reach > 0.0; m++) {
        for (y = 0; y < V; y++) {
            double a = reach * fmin(p[y], cur[y]);
            double *row = out->acc + y * W;
            if (a == 0.0)
                continue;
            /* the untried drafts m+1..k that hold y stay live with it */
            for (L = 1; L <= k - m + 1; L++)
                row[L] += a * gsl_ran_binomial_pdf((unsigned)(L - 1), p[y], (unsigned)(k - m));
        }
        reach = next_trial(p, V, reach, &cur, &nxt);
    }
    rejection_law(reach, cur, V, &out->rej, out->res);
    return SD_OK;
}

/* ---- literal verifiers ---------------------------------------------------- */

void sd_rrs_sim_free(sd_rrs_sim *s)
{
    sd_free(s->draft);
    sd_free(s->resid);
    sd_free(s->has_resid);
    sd_free(s->thr);
    memset(s, 0, sizeof *s);
}

/* Tables of row i: thresholds of trials 1..M and residual alias tables.
 * Once some TV(P, r_j) is 0, r_j = P up to rounding and trial j+1
 * accepts every draft, so its threshold (and every later one) is
 * infinite and no later residual is needed.  r holds (M+1) V doubles,
 * tv M.  Returns 0 on allocation failure. */
static int rrs_row(sd_rrs_sim *S, size_t i, const double *p, const double *q, double *r,
                   double *tv)
{
    const size_t V = S->m->V, M = S->M, K = S->all_k ? M : 1;
    size_t mm, x;
    int frozen = 0;
    if (!sd_alias_build(p, V, S->draft + i * V))
        return 0;
    sd_rrs_residuals(p, q, V, M, r, tv);
    for (mm = 0; mm < M; mm++) {
        double *thr = S->thr + (i * M + mm) * V;
        const double *rm = r + mm * V;
        frozen = frozen || tv[mm] == 0.0;
        for (x = 0; x < V; x++)
            thr[x] = frozen || p[x] == 0.0 ? INFINITY : rm[x] / p[x];
        /* r_{mm+1} is drawn from when trials 1..mm+1 all reject */
        if (!frozen && (S->all_k || mm + 1 == M)) {
            size_t j = i * K + (S->all_k ? mm : 0);
            if (!sd_alias_build(r + (mm + 1) * V, V, S->resid + j * V))
                return 0;
            S->has_resid[j] = 1;
        }
    }
    return 1;
}

sd_status sd_rrs_sim_alloc(sd_rrs_sim *S, const sd_model *m, size_t M, int all_k,
                           sd_error *err)
{
    const size_t V = m->V;
    size_t i, t, s, K, nrows = sd_model_nrows(m);
    double *r = NULL, *tv = NULL;
    memset(S, 0, sizeof *S);
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "the number of drafts must be at least 1");
    if (M > SD_RRS_SIM_MAX_TABLE / V / nrows / (all_k ? 3 : 1))
        return sd_error_set(err, SD_ERANGE,
                            "the RRS sampling tables of %zu drafts (%zu rows x %zu drafts x "
                            "V = %zu) exceed %zu doubles; use fewer drafts", M, nrows, M, V,
                            (size_t)SD_RRS_SIM_MAX_TABLE);
    K = all_k ? M : 1;
    S->m = m;
    S->M = M;
    S->nrows = nrows;
    S->all_k = all_k != 0;
    S->draft = sd_malloc(nrows * V, sizeof *S->draft);
    /* zeroed: the vectorised kernels read (and discard) unused tables */
    S->resid = sd_calloc(nrows * K * V, sizeof *S->resid);
    S->has_resid = sd_calloc(nrows * K, 1);
    S->thr = sd_malloc(nrows * M * V, sizeof(double));
    r = sd_malloc((M + 1) * V, sizeof(double));
    tv = sd_malloc(M, sizeof(double));
    if (!S->draft || !S->resid || !S->has_resid || !S->thr || !r || !tv)
        goto fail;
    for (i = 0; i < nrows; i++) {
        t = sd_model_row_t(m, i);
        s = i % V;
        if (!rrs_row(S, i, sd_model_p(m, t, s), sd_model_q(m, t, s), r, tv))
            goto fail;
    }
    sd_free(r);
    sd_free(tv);
    return SD_OK;
fail:
    sd_free(r);
    sd_free(tv);
    sd_rrs_sim_free(S);
    return sd_error_set(err, SD_ENOMEM, "out of memory for RRS sampling tables (V = %zu, "
                        "M = %zu)", V, M);
}

static double rng_uniform(void *r)
{
    return gsl_rng_uniform(r);
}

static int rs_verify(const void *ctx, void *ws, size_t t, size_t s, gsl_rng *r, size_t *y)
{
    const sd_rrs_sim *S = ctx;
    (void)ws;
    return sd_rrs_verify_row(S, sd_model_row(S->m, t, s), S->M, NULL, rng_uniform, r, y);
}

static int tree_verify(const void *ctx, void *ws, size_t t, size_t s, size_t k,
                       const size_t *tok, gsl_rng *r, size_t *y)
{
    const sd_rrs_sim *S = ctx;
    (void)ws;
    return sd_rrs_verify_row(S, sd_model_row(S->m, t, s), k, tok, rng_uniform, r, y);
}

sd_rs_verifier sd_rrs_rs_verifier(const sd_rrs_sim *s)
{
    return (sd_rs_verifier){s, NULL, NULL, rs_verify};
}

sd_tree_verifier sd_rrs_tree_verifier(const sd_rrs_sim *s)
{
    return (sd_tree_verifier){s, NULL, NULL, tree_verify};
}
