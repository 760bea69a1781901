/* rrs.h - recursive rejection sampling (RRS) with k i.i.d. drafts
 * (doc/theory.md §3, §6.1): the token rule of batch speculative decoding
 * (paper Algorithm 4) and of tree verification.
 *
 * RRS at one (t, s) with draft row P and target row Q: r_0 = Q; for
 * m = 1..k draft x_m ~ P is accepted with probability
 * min{1, r_{m-1}(x_m)/P(x_m)}; if rejected, r_m = res(r_{m-1}, P) =
 * [r_{m-1} - P]_+ / TV(P, r_{m-1}).  If every draft is rejected the
 * token is drawn from r_k.  The residuals do not depend on which tokens
 * were rejected, so
 *   P(reach trial m) = rho_{m-1},  rho_m = prod_{j<m} TV(P, r_j),
 *   P(first acceptance at trial m with token y) = rho_{m-1} min(P(y), r_{m-1}(y)),
 * and the output is Q-distributed.  As k -> infinity, rho_k -> rho_inf =
 * Q({P = 0}) and r_k -> r_inf = Q restricted to {P = 0}, normalised.
 * When some TV(P, r_m) is 0 (r_m = P), every later draft is accepted:
 * rho_j = 0 for j > m and the residuals beyond are left as r_m.
 *
 * The module gives these numbers, the step laws for the exact engines
 * (sd_step_fn for round-start decoding, sd_tree_step_fn for trees), and
 * literal verifiers with precomputed tables for the simulations.
 */
#ifndef SD_RRS_H
#define SD_RRS_H

#include <stddef.h>

#include <gsl/gsl_randist.h>

#include "alias.h"
#include "error.h"
#include "model.h"
#include "roundstart.h"
#include "step.h"
#include "tree.h"

/* The residual sequence: r[m*V + x] = r_m(x) for m = 0..k (r holds
 * (k+1) V doubles) and tv[m] = TV(P, r_m) for m = 0..k-1 (tv may be
 * NULL).  Returns rho_k = prod_m tv[m].  Never fails. */
double sd_rrs_residuals(const double *p, const double *q, size_t V, size_t k, double *r,
                        double *tv);

/* rho_k(P, Q), the probability that RRS rejects all k drafts; tmp holds
 * 2V doubles. */
double sd_rrs_rho(const double *p, const double *q, size_t V, size_t k, double *tmp);

/* rho_inf = Q({x : P(x) = 0}), the limit of rho_k. */
double sd_rrs_rho_inf(const double *p, const double *q, size_t V);

/* Batch improvement BI_k = TV(P, Q) - rho_k (paper Fig. 3); tmp holds 2V
 * doubles.  k = 0 means the limit BI_inf = TV - rho_inf. */
double sd_rrs_bi(const double *p, const double *q, size_t V, size_t k, double *tmp);

/* The acceptance law: law[(m-1)*V + y] = P(the first accepted draft is
 * draft m and its token is y), m = 1..k (law holds k V doubles); tmp
 * holds 2V doubles.  Returns rho_k (the mass not in law). */
double sd_rrs_accept_law(const double *p, const double *q, size_t V, size_t k, double *law,
                         double *tmp);

/* Workspace of the step functions: 2V doubles (NULL on failure); free
 * with sd_rrs_ws_free (NULL is fine). */
double *sd_rrs_ws_alloc(size_t V);
void sd_rrs_ws_free(double *ws);

/* sd_step_fn of RRS with k drafts: rej = rho_k, acc[y] = sum over trials
 * of P(first acceptance there with y), res = r_k (zero if rho_k = 0).
 * ws: sd_rrs_ws_alloc(V).  O(k V).  Never fails. */
sd_status sd_rrs_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                      sd_step *out, sd_error *err);

/* sd_step_fn of the limit k -> infinity (k ignored, ws unused): rej =
 * rho_inf, res = r_inf, acc = Q on {P > 0}. */
sd_status sd_rrs_limit_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                            sd_step *out, sd_error *err);

/* sd_tree_step_fn of RRS with k live drafts (doc/theory.md §3): acc(y, L) =
 * sum_m rho_{m-1} min(P(y), r_{m-1}(y)) Binomial(L-1; k-m, P(y)),
 * rej = rho_k, res = r_k.  ws: sd_rrs_ws_alloc(V).  O(k^2 V). */
sd_status sd_rrs_tree_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                           sd_tree_step *out, sd_error *err);

/* Largest number of table doubles sd_rrs_sim_alloc builds (about 1 GB). */
#define SD_RRS_SIM_MAX_TABLE ((size_t)1 << 27)

/* Literal RRS verifier tables of a model for up to M drafts: per row
 * (t, s), the draft alias table of P, the thresholds r_{m-1}(x)/P(x) of
 * trials m = 1..M and alias tables of the rejection laws r_k (k = M only,
 * or every k = 1..M for trees), flattened (alias.h) so that a draw is
 * gsl_ran_discrete's without its call. */
typedef struct {
    const sd_model *m;
    size_t M, nrows;
    int all_k;                  /* tables of r_k for every k (tree) or k = M only */
    sd_alias_cell *draft;       /* [row*V + c]: P */
    double *thr;                /* [(row*M + m-1)*V + x]: accept iff u < thr */
    sd_alias_cell *resid;       /* [(row*K + k')*V + c]: r_k, k' = k-1 (all_k, K = M)
                                   or 0 (k = M only, K = 1) */
    unsigned char *has_resid;   /* [row*K + k']: 1 if that table exists (rho_k > 0) */
} sd_rrs_sim;

/* RRS on the tokens of k <= M drafts at table row i (tok = NULL: each
 * drawn from P when its trial comes), with uniforms in [0, 1) from
 * uniform(src), consumed in this order: per trial the draft (if drawn)
 * and the test; if every trial fails, the draw from r_k.  Returns 1 with
 * the accepted token in *y, or 0 with the token drawn from r_k.  Inline,
 * so that a simulator's own uniform source costs no call. */
static inline int sd_rrs_verify_row(const sd_rrs_sim *S, size_t i, size_t k, const size_t *tok,
                                    double (*uniform)(void *src), void *src, size_t *y)
{
    const size_t V = S->m->V, M = S->M;
    const double *thr = S->thr + i * M * V;
    const sd_alias_cell *draft = S->draft + i * V;
    size_t mm, j;
    for (mm = 0; mm < k; mm++, thr += V) {
        size_t x = tok != NULL ? tok[mm] : sd_alias_draw(draft, V, uniform(src));
        if (uniform(src) < thr[x]) {
            *y = x;
            return 1;
        }
    }
    /* Reaching here means every threshold met was finite, so every
     * TV(P, r_j), j < k, was positive and the table of r_k exists. */
    j = S->all_k ? i * M + k - 1 : i;
    *y = sd_alias_draw(S->resid + j * V, V, uniform(src));
    return 0;
}

/* Build the tables for m (which must outlive them) with M >= 1 drafts;
 * all_k != 0 for tree verification.  SD_EINVAL for M = 0, SD_ERANGE when
 * the tables would exceed SD_RRS_SIM_MAX_TABLE doubles, SD_ENOMEM; on
 * failure everything is released. */
sd_status sd_rrs_sim_alloc(sd_rrs_sim *s, const sd_model *m, size_t M, int all_k,
                           sd_error *err);
/* Release the tables (safe on a zeroed struct). */
void sd_rrs_sim_free(sd_rrs_sim *s);

/* The round-start verifier of batch SD (Algorithm 4): draw the M first
 * tokens lazily from P and run RRS on them.  ctx = the sd_rrs_sim. */
sd_rs_verifier sd_rrs_rs_verifier(const sd_rrs_sim *s);

/* The tree verifier: RRS on k live drafts' tokens (tables need all_k). */
sd_tree_verifier sd_rrs_tree_verifier(const sd_rrs_sim *s);

#endif
