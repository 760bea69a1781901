/* calls.c - draft length and wall time on a chain: the slot DP, the
 * optimal draft-length policy, and the literal simulation. */
#include "calls.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_blas.h>

#include "alloc.h"
#include "roundstart.h"
#include "step.h"
#include "scan.h"

/* ---- per-position kernels ---------------------------------------------- */

/* min(P_t, Q_t) and [Q_t - P_t]_+ for every t (one block when both
 * chains are stationary), and tau_t(s) = TV of row s. */
typedef struct {
    size_t nk, V;
    double *M, *R, *tau;
} kernels;

static void kernels_free(kernels *k)
{
    sd_free(k->M);
    sd_free(k->R);
    sd_free(k->tau);
    memset(k, 0, sizeof *k);
}

static sd_status kernels_alloc(kernels *k, const sd_model *m, sd_error *err)
{
    size_t b, s, y, V = m->V;
    k->V = V;
    k->nk = sd_model_stationary(m) ? 1 : m->T;
    k->M = sd_malloc(k->nk * V * V, sizeof(double));
    k->R = sd_malloc(k->nk * V * V, sizeof(double));
    k->tau = sd_malloc(k->nk * V, sizeof(double));
    if (k->M == NULL || k->R == NULL || k->tau == NULL) {
        kernels_free(k);
        return sd_error_set(err, SD_ENOMEM, "out of memory for the per-position kernels "
                                            "(%zu blocks of V^2 = %zu)", k->nk, V * V);
    }
    for (b = 0; b < k->nk; b++)
        for (s = 0; s < V; s++) {
            const double *p = sd_model_p(m, b + 1, s), *q = sd_model_q(m, b + 1, s);
            double *Mr = k->M + (b * V + s) * V, *Rr = k->R + (b * V + s) * V, tv = 0.0;
            for (y = 0; y < V; y++) {
                Mr[y] = p[y] < q[y] ? p[y] : q[y];
                Rr[y] = q[y] > p[y] ? q[y] - p[y] : 0.0;
                tv += Rr[y];
            }
            k->tau[b * V + s] = tv;
        }
    return SD_OK;
}

static _gsl_matrix_const_view kmat(const double *base, const kernels *k, size_t t)
{
    return gsl_matrix_const_view_array(base + (k->nk == 1 ? 0 : (t - 1) * k->V * k->V), k->V,
                                       k->V);
}

static _gsl_matrix_const_view qmat(const sd_model *m, size_t t)
{
    return gsl_matrix_const_view_array(sd_model_q(m, t, 0), m->V, m->V);
}

sd_status sd_calls_check_args(size_t gamma, double c, sd_error *err)
{
    if (gamma == 0)
        return sd_error_set(err, SD_EINVAL, "draft length gamma = 0: at least 1 draft token "
                                            "per round");
    if (gamma > SD_CALLS_MAX_GAMMA)
        return sd_error_set(err, SD_EINVAL, "draft length gamma = %zu is above the limit "
                                            "%d", gamma, SD_CALLS_MAX_GAMMA);
    if (!(c >= 0.0) || !isfinite(c))
        return sd_error_set(err, SD_EINVAL, "cost ratio c = %g: must be finite and >= 0", c);
    return SD_OK;
}

double sd_leviathan_tokens_per_call(double a, size_t gamma)
{
    return a < 1.0 ? -expm1((double)(gamma + 1) * log(a)) / (1.0 - a) : (double)(gamma + 1);
}

void sd_calls_row_set(sd_calls_row *row, size_t gamma, size_t T, double c, double calls,
                      double steps)
{
    row->gamma = gamma;
    row->calls = calls;
    row->draft_steps = steps;
    row->wall_time = calls + c * steps;
    row->tokens_per_call = (double)T / calls;
    row->speedup = (double)T / row->wall_time;
    row->leviathan_tokens_per_call = row->leviathan_speedup = row->mean_accept = NAN;
}

sd_status sd_calls_check_work(const sd_model *m, size_t gamma, double c, double cost,
                              double limit, const char *what, const char *how,
                              sd_error *err)
{
    sd_status rc = sd_calls_check_args(gamma, c, err);
    if (rc == SD_OK && cost > limit)
        rc = sd_error_set(err, SD_ERANGE, "%s: about %.3g operations for V = %zu, T = %zu, "
                          "gamma = %zu (%s), above the limit of %.3g", what, cost, m->V, m->T,
                          gamma, how, limit);
    return rc;
}

/* ---- the slot DP ------------------------------------------------------- */

/* The forward slot recursion; first_call != 0 follows only the first
 * round (no new round is started) and returns its expected tokens. */
static sd_status slot_dp(const sd_model *m, size_t gamma, double c, sd_calls_row *row,
                         double *pistart, int first_call, double *tokens, sd_error *err)
{
    const size_t V = m->V, T = m->T, G = gamma < T ? gamma : T;
    kernels k;
    double *buf, *H, *Hn, *S, calls = 0.0, steps = 0.0, nrej = 0.0, tok = 0.0;
    size_t t, j, s;
    sd_status rc;
    if ((rc = sd_calls_check_args(gamma, c, err)) != SD_OK)
        return rc;
    if ((rc = kernels_alloc(&k, m, err)) != SD_OK)
        return rc;
    H = buf = sd_calloc(2 * (G + 1) * V + V, sizeof(double));
    if (buf == NULL) {
        kernels_free(&k);
        return sd_error_set(err, SD_ENOMEM, "out of memory for the slot DP");
    }
    Hn = H + (G + 1) * V;
    S = Hn + (G + 1) * V;
    memcpy(H, m->pi0, V * sizeof(double));
    for (t = 1; t <= T; t++) {
        const double *tau = k.tau + (k.nk == 1 ? 0 : (t - 1) * V);
        double pi = 0.0;
        size_t g = gamma < T - t + 1 ? gamma : T - t + 1;
        for (s = 0; s < V; s++) {
            double mu = 0.0;
            pi += H[s];
            for (j = 0; j <= G; j++)
                mu += H[j * V + s];
            nrej += mu * tau[s];
            tok += mu; /* first_call: each reached (t, slot) emits one token */
        }
        if (pistart != NULL)
            pistart[t - 1] = pi;
        calls += pi;
        steps += pi * (double)g;
        if (t == T)
            break;
        {
            gsl_matrix_const_view Mt = kmat(k.M, &k, t), Rt = kmat(k.R, &k, t), Qt = qmat(m, t);
            gsl_matrix_const_view Hv = gsl_matrix_const_view_array(H, G, V);
            gsl_matrix_view Hnv = gsl_matrix_view_array(Hn + V, G, V);
            gsl_vector_view Sv = gsl_vector_view_array(S, V), H0 = gsl_vector_view_array(Hn, V);
            gsl_vector_const_view Hb = gsl_vector_const_view_array(H + G * V, V);
            memset(S, 0, V * sizeof(double));
            for (j = 0; j < G; j++)
                for (s = 0; s < V; s++)
                    S[s] += H[j * V + s];
            /* slots 0..G-1 verify: reject -> a new round at t+1, accept -> slot j+1 */
            gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &Hv.matrix, &Mt.matrix, 0.0,
                           &Hnv.matrix);
            if (first_call)
                memset(Hn, 0, V * sizeof(double));
            else
                gsl_blas_dgemv(CblasTrans, 1.0, &Rt.matrix, &Sv.vector, 0.0, &H0.vector);
            /* slot gamma (when G = gamma): the bonus token, then a new round */
            if (G == gamma && !first_call)
                gsl_blas_dgemv(CblasTrans, 1.0, &Qt.matrix, &Hb.vector, 1.0, &H0.vector);
        }
        {
            double *sw = H;
            H = Hn;
            Hn = sw;
        }
    }
    if (tokens != NULL)
        *tokens = tok;
    if (row != NULL) {
        double a = 1.0 - nrej / (double)T, lt;
        sd_calls_row_set(row, gamma, T, c, calls, steps);
        lt = sd_leviathan_tokens_per_call(a, gamma);
        row->mean_accept = a;
        row->leviathan_tokens_per_call = lt;
        row->leviathan_speedup = lt / ((double)gamma * c + 1.0);
    }
    sd_free(buf);
    kernels_free(&k);
    return SD_OK;
}

sd_status sd_calls_exact(const sd_model *m, size_t gamma, double c, sd_calls_row *row,
                         double *pistart, sd_error *err)
{
    return slot_dp(m, gamma, c, row, pistart, 0, NULL, err);
}

sd_status sd_calls_first_call_tokens(const sd_model *m, size_t gamma, double *tokens,
                                     sd_error *err)
{
    return slot_dp(m, gamma, 0.0, NULL, NULL, 1, tokens, err);
}

/* ---- the optimal policy ------------------------------------------------- */

double sd_calls_policy_cost(const sd_model *m, size_t gmax)
{
    double G = (double)(gmax < m->T ? gmax : m->T), V = (double)m->V;
    return (double)m->T * (G * (G + 1.0) + 4.0) * V * V;
}

/* Backward induction.  fixed != NULL evaluates that policy; else the
 * minimum over gamma = 1..min(gmax, T-t+1) is taken and stored in
 * policy (may be NULL).  J: (T+1) V doubles or NULL. */
static sd_status backward(const sd_model *m, size_t gmax, double c, const uint16_t *fixed,
                          uint16_t *policy, double *Jout, double *value, sd_error *err)
{
    const size_t V = m->V, T = m->T, Gmax = gmax < T ? gmax : T;
    kernels k;
    double *J, *wR, *wB, *v, *vn, *best, tot = 0.0;
    size_t t, s, g, j;
    sd_status rc;
    if ((rc = sd_calls_check_work(m, gmax, c, sd_calls_policy_cost(m, gmax), SD_CALLS_MAX_WORK,
                                  "optimal draft-length policy up to gamma",
                                  "T (gamma^2 + gamma) V^2", err)) != SD_OK)
        return rc;
    if ((rc = kernels_alloc(&k, m, err)) != SD_OK)
        return rc;
    /* J, wR, wB indexed by position 1..T+1 (row t-1); row T+1 of wB is 0 */
    J = sd_calloc(3 * (T + 1) * V + 3 * V, sizeof(double));
    if (J == NULL) {
        kernels_free(&k);
        return sd_error_set(err, SD_ENOMEM, "out of memory for the policy recursion");
    }
    wR = J + (T + 1) * V;
    wB = wR + (T + 1) * V;
    v = wB + (T + 1) * V;
    vn = v + V;
    best = vn + V;
    for (t = T; t >= 1; t--) {
        const size_t G = Gmax < T - t + 1 ? Gmax : T - t + 1;
        gsl_matrix_const_view Rt = kmat(k.R, &k, t), Qt = qmat(m, t);
        gsl_vector_const_view Jn = gsl_vector_const_view_array(J + t * V, V);
        gsl_vector_view wr = gsl_vector_view_array(wR + (t - 1) * V, V);
        gsl_vector_view wb = gsl_vector_view_array(wB + (t - 1) * V, V);
        /* rejection at t, or the bonus at t: the next round starts at t+1 */
        gsl_blas_dgemv(CblasNoTrans, 1.0, &Rt.matrix, &Jn.vector, 0.0, &wr.vector);
        gsl_blas_dgemv(CblasNoTrans, 1.0, &Qt.matrix, &Jn.vector, 0.0, &wb.vector);
        for (s = 0; s < V; s++)
            best[s] = INFINITY;
        for (g = 1; g <= G; g++) {
            /* v(x) = expected remaining cost at slot j in state x */
            if (t + g <= T)
                memcpy(v, wB + (t + g - 1) * V, V * sizeof(double));
            else
                memset(v, 0, V * sizeof(double));
            for (j = g; j-- > 0;) {
                gsl_matrix_const_view Mu = kmat(k.M, &k, t + j);
                gsl_vector_const_view vv = gsl_vector_const_view_array(v, V);
                gsl_vector_view vnv = gsl_vector_view_array(vn, V);
                memcpy(vn, wR + (t + j - 1) * V, V * sizeof(double));
                gsl_blas_dgemv(CblasNoTrans, 1.0, &Mu.matrix, &vv.vector, 1.0, &vnv.vector);
                memcpy(v, vn, V * sizeof(double));
            }
            for (s = 0; s < V; s++) {
                double cand = 1.0 + c * (double)g + v[s];
                if (fixed != NULL) {
                    size_t want = fixed[(t - 1) * V + s];
                    if (want > G)
                        want = G;
                    if (want == g)
                        best[s] = cand;
                } else if (cand < best[s]) {
                    best[s] = cand;
                    if (policy != NULL)
                        policy[(t - 1) * V + s] = (uint16_t)g;
                }
            }
        }
        memcpy(J + (t - 1) * V, best, V * sizeof(double));
    }
    for (s = 0; s < V; s++)
        tot += m->pi0[s] * J[s];
    *value = tot;
    if (Jout != NULL)
        memcpy(Jout, J, (T + 1) * V * sizeof(double));
    sd_free(J);
    kernels_free(&k);
    return SD_OK;
}

sd_status sd_calls_optimal(const sd_model *m, size_t gmax, double c, uint16_t *policy,
                           double *J, double *jstar, sd_error *err)
{
    return backward(m, gmax, c, NULL, policy, J, jstar, err);
}

sd_status sd_calls_policy_value(const sd_model *m, const uint16_t *policy, double c,
                                double *value, sd_error *err)
{
    size_t i, gmax = 0;
    for (i = 0; i < m->T * m->V; i++) {
        if (policy[i] == 0)
            return sd_error_set(err, SD_EINVAL, "policy entry %zu (t = %zu, s = %zu) is 0: "
                                                "draft lengths are >= 1", i, i / m->V + 1,
                                i % m->V);
        if (policy[i] > gmax)
            gmax = policy[i];
    }
    return backward(m, gmax, c, policy, NULL, NULL, value, err);
}

/* ---- literal simulation ------------------------------------------------- */

size_t sd_calls_sim_hist_size(const sd_model *m, size_t gmax)
{
    double n = ((double)m->T + 1.0) * ((double)m->T * (double)gmax + 1.0);
    return n > (double)SD_CALLS_SIM_MAX_HIST * 4.0 ? 0 : (size_t)n;
}

void sd_calls_sim_free(sd_calls_sim *s)
{
    sd_sim_sd_free(&s->sd);
    sd_free(s->qcells);
    memset(s, 0, sizeof *s);
}

sd_status sd_calls_sim_alloc(sd_calls_sim *s, const sd_model *m, sd_calls_verify verify,
                             size_t gamma, const uint16_t *policy, sd_error *err)
{
    size_t row, nrows = sd_model_nrows(m), V = m->V, i, hs;
    sd_status rc;
    memset(s, 0, sizeof *s);
    s->m = m;
    s->verify = verify;
    s->policy = policy;
    s->gamma = gamma;
    if (policy != NULL) {
        s->gmax = 0;
        for (i = 0; i < m->T * V; i++)
            if (policy[i] > s->gmax)
                s->gmax = policy[i];
        if (s->gmax == 0)
            return sd_error_set(err, SD_EINVAL, "the policy has no draft length >= 1");
    } else {
        if ((rc = sd_calls_check_args(gamma, 0.0, err)) != SD_OK)
            return rc;
        s->gmax = gamma;
    }
    if (s->gmax > m->T)
        s->gmax = m->T;
    hs = sd_calls_sim_hist_size(m, s->gmax);
    if (hs == 0 || hs > SD_CALLS_SIM_MAX_HIST)
        return sd_error_set(err, SD_ERANGE, "the simulation tallies each run by (calls, draft "
                                            "steps): (T+1)(T gamma + 1) = %.3g bins for T = "
                                            "%zu, gamma = %zu, above the limit of %zu",
                            ((double)m->T + 1.0) * ((double)m->T * (double)s->gmax + 1.0),
                            m->T, s->gmax, (size_t)SD_CALLS_SIM_MAX_HIST);
    if ((rc = sd_sim_sd_alloc(&s->sd, m, SD_SIM_CORRECT, err)) != SD_OK)
        return rc;
    s->qcells = sd_malloc(nrows * V, sizeof *s->qcells);
    if (s->qcells == NULL) {
        sd_calls_sim_free(s);
        return sd_error_set(err, SD_ENOMEM, "out of memory for the target sampling tables");
    }
    for (row = 0; row < nrows; row++) {
        size_t t = sd_model_row_t(m, row);
        if (!sd_alias_build(sd_model_q(m, t, row % V), V, s->qcells + row * V)) {
            sd_calls_sim_free(s);
            return sd_error_set(err, SD_ENOMEM, "out of memory for the target sampling "
                                                "tables");
        }
    }
    return SD_OK;
}

/* Per-thread workspace: the block's tokens, p_i, h_i and a residual. */
typedef struct {
    size_t *X;
    double *p, *h, *w;
} calls_ws;

static void calls_ws_free(void *ws)
{
    calls_ws *w = ws;
    if (w == NULL)
        return;
    sd_free(w->X);
    sd_free(w->p);
    sd_free(w->w);
    sd_free(w);
}

static sd_status calls_ws_alloc(const void *ctx, void **out, sd_error *err)
{
    const sd_calls_sim *S = ctx;
    calls_ws *w = sd_calloc(1, sizeof *w);
    if (w != NULL) {
        w->X = sd_malloc(S->gmax + 1, sizeof(size_t));
        w->p = sd_malloc(2 * (S->gmax + 1), sizeof(double));
        w->w = sd_malloc(S->m->V, sizeof(double));
    }
    if (w == NULL || w->X == NULL || w->p == NULL || w->w == NULL) {
        calls_ws_free(w);
        *out = NULL;
        return sd_error_set(err, SD_ENOMEM, "out of memory for a simulation workspace");
    }
    w->h = w->p + S->gmax + 1;
    *out = w;
    return SD_OK;
}

static inline const sd_sim_cell *pcells(const sd_calls_sim *S, size_t t, size_t s)
{
    return S->sd.cells + sd_model_row(S->m, t, s) * S->m->V;
}

/* A token-by-token round from (t, *s) with g drafts; returns the next
 * round's position and sets *s. */
static size_t round_token(const sd_calls_sim *S, size_t t, size_t *s, size_t g, gsl_rng *r,
                          sd_tally *tl)
{
    const size_t V = S->m->V, T = S->m->T;
    size_t j, x;
    for (j = 0; j < g; j++, t++) {
        const sd_sim_cell *row = pcells(S, t, *s);
        x = sd_sim_draft_draw(row, V, gsl_rng_uniform(r));
        if (!(gsl_rng_uniform(r) < row[x].ratio)) {
            x = sd_sim_resid_draw(row, V, gsl_rng_uniform(r));
            sd_tally_token(tl, t, x);
            *s = x;
            return t + 1;
        }
        sd_tally_token(tl, t, x);
        *s = x;
    }
    if (t <= T) { /* the bonus token */
        x = sd_alias_draw(S->qcells + sd_model_row(S->m, t, *s) * V, V, gsl_rng_uniform(r));
        sd_tally_token(tl, t, x);
        *s = x;
        t++;
    }
    return t;
}

/* A block-verification round (Sun et al., ICLR 2025) from (t0, *s). */
static size_t round_block(const sd_calls_sim *S, calls_ws *w, size_t t0, size_t *s,
                          size_t g, gsl_rng *r, sd_tally *tl)
{
    const sd_model *m = S->m;
    const size_t V = m->V, T = m->T;
    size_t i, x, tau = 0;
    w->X[0] = *s;
    w->p[0] = 1.0;
    w->h[0] = 1.0;
    for (i = 1; i <= g; i++) {
        const size_t u = t0 + i - 1;
        const double *P = sd_model_p(m, u, w->X[i - 1]), *Q = sd_model_q(m, u, w->X[i - 1]);
        double pi;
        x = sd_sim_draft_draw(pcells(S, u, w->X[i - 1]), V, gsl_rng_uniform(r));
        w->X[i] = x;
        pi = w->p[i - 1] * Q[x] / P[x];
        w->p[i] = pi < 1.0 ? pi : 1.0;
    }
    for (i = 1; i < g; i++) {
        const double *P = sd_model_p(m, t0 + i, w->X[i]), *Q = sd_model_q(m, t0 + i, w->X[i]);
        double rho = 0.0, den;
        for (x = 0; x < V; x++) {
            double d = w->p[i] * Q[x] - P[x];
            rho += d > 0.0 ? d : 0.0;
        }
        den = rho + 1.0 - w->p[i];
        w->h[i] = den > 0.0 ? rho / den : 1.0;
    }
    w->h[g] = w->p[g];
    if (S->verify == SD_CALLS_BLOCK_FIRST_FAIL) {
        /* negative control: stop at the first failing index */
        for (i = 1; i <= g && gsl_rng_uniform(r) < w->h[i]; i++)
            ;
        tau = i - 1;
    } else {
        for (i = 1; i <= g; i++)
            if (gsl_rng_uniform(r) < w->h[i])
                tau = i;
    }
    for (i = 1; i <= tau; i++)
        sd_tally_token(tl, t0 + i - 1, w->X[i]);
    if (tau < g) {
        const size_t u = t0 + tau;
        const double *P = sd_model_p(m, u, w->X[tau]), *Q = sd_model_q(m, u, w->X[tau]);
        double tot = 0.0;
        for (x = 0; x < V; x++) {
            double d = w->p[tau] * Q[x] - P[x];
            w->w[x] = d > 0.0 ? d : 0.0;
            tot += w->w[x];
        }
        /* tot = 0 only when h_tau = 1 came from 0/0, a probability-0 path */
        x = tot > 0.0 ? sd_scan_draw(w->w, V, tot, gsl_rng_uniform(r))
                      : sd_alias_draw(S->qcells + sd_model_row(m, u, w->X[tau]) * V, V,
                                      gsl_rng_uniform(r));
        sd_tally_token(tl, u, x);
        *s = x;
        return u + 1;
    }
    *s = w->X[g];
    if (t0 + g <= T) {
        const size_t u = t0 + g;
        x = sd_alias_draw(S->qcells + sd_model_row(m, u, *s) * V, V, gsl_rng_uniform(r));
        sd_tally_token(tl, u, x);
        *s = x;
        return u + 1;
    }
    return t0 + g;
}

static sd_status calls_run(const void *ctx, void *ws, gsl_rng *r, size_t nruns,
                           sd_tally *tl, sd_error *err)
{
    const sd_calls_sim *S = ctx;
    const sd_model *m = S->m;
    const size_t V = m->V, T = m->T;
    size_t n;
    (void)err;
    for (n = 0; n < nruns; n++) {
        size_t s = sd_sim_draft_draw(S->sd.start_cells, V, gsl_rng_uniform(r)), t = 1, calls = 0,
               steps = 0;
        while (t <= T) {
            size_t g = S->policy != NULL ? S->policy[(t - 1) * V + s] : S->gamma;
            if (g > T - t + 1)
                g = T - t + 1;
            calls++;
            steps += g;
            t = S->verify == SD_CALLS_TOKEN ? round_token(S, t, &s, g, r, tl)
                                            : round_block(S, ws, t, &s, g, r, tl);
        }
        tl->hist[calls + (T + 1) * steps]++;
    }
    return SD_OK;
}

sd_sim sd_calls_sim_sim(const sd_calls_sim *s)
{
    return (sd_sim){s, calls_ws_alloc, calls_ws_free, calls_run};
}

/* The (calls, draft steps, wall time) of histogram bin idx (idx = calls +
 * (T + 1) steps, calls_run's encoding). */
static void bin_values(size_t idx, size_t T, double c, double v[3])
{
    v[0] = (double)(idx % (T + 1));
    v[1] = (double)(idx / (T + 1));
    v[2] = v[0] + c * v[1];
}

void sd_calls_estimate_from(const sd_mc_result *res, size_t T, double c,
                            sd_calls_estimate *e)
{
    double n = 0.0, s1[3] = {0, 0, 0}, mean[3], ss[3] = {0, 0, 0};
    size_t idx, i;
    for (idx = 0; idx <= res->T; idx++) {
        double h = (double)res->hist[idx], v[3];
        if (h == 0.0)
            continue;
        bin_values(idx, T, c, v);
        n += h;
        for (i = 0; i < 3; i++)
            s1[i] += h * v[i];
    }
    for (i = 0; i < 3; i++)
        mean[i] = n > 0.0 ? s1[i] / n : NAN;
    for (idx = 0; idx <= res->T; idx++) {
        double h = (double)res->hist[idx], v[3];
        if (h == 0.0)
            continue;
        bin_values(idx, T, c, v);
        for (i = 0; i < 3; i++)
            ss[i] += h * (v[i] - mean[i]) * (v[i] - mean[i]);
    }
    e->calls = mean[0];
    e->steps = mean[1];
    e->wall = mean[2];
    e->calls_se = n > 1.0 ? sqrt(ss[0] / (n - 1.0) / n) : NAN;
    e->steps_se = n > 1.0 ? sqrt(ss[1] / (n - 1.0) / n) : NAN;
    e->wall_se = n > 1.0 ? sqrt(ss[2] / (n - 1.0) / n) : NAN;
}
