/* kseq.h - SpecTr's K-SEQ verification of k i.i.d. drafts (SPEC 6.2).
 *
 * Drafts x_1..x_k are drawn i.i.d. from P.  For rho in [1, k] let
 * beta(rho) = sum_x min(P(x), Q(x)/rho).  Draft i (in order) is accepted
 * with probability a(x_i) = min{1, Q(x_i)/(rho P(x_i))}; if none is,
 * the token is drawn from p_res, proportional to
 * Q - min(P, Q/rho) (1 - (1-beta)^k) / beta.  p_res is a law iff
 * rho beta(rho) >= 1 - (1-beta(rho))^k ("rho is valid"); the margin
 * rho beta(rho) - 1 + (1-beta(rho))^k is non-decreasing in rho and
 * non-negative at rho = k, so the valid rhos form an interval [rho*, k]
 * whose left end is found by GSL's Brent solver.  With rho*, the output
 * token has exactly the law Q and the acceptance probability is
 * 1 - (1 - beta(rho*))^k.  For k = 1, rho* = 1 and K-SEQ is SD.
 *
 * The module gives the numbers (beta, margin, rho*, acceptance), the
 * step laws for the chain engines (sd_step_fn for round-start decoding,
 * sd_tree_step_fn for K-SEQ in tree form), a literal token-level
 * sampler, and the verifiers the simulations of both chain forms use.
 */
#ifndef SD_KSEQ_H
#define SD_KSEQ_H

#include <stddef.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "error.h"
#include "model.h"
#include "roundstart.h"
#include "step.h"
#include "tree.h"

/* beta(rho) = sum_x min(p[x], q[x]/rho), for rho >= 1. */
double sd_kseq_beta(const double *p, const double *q, size_t V, double rho);

/* The validity margin rho beta(rho) - (1 - (1 - beta(rho))^k), computed
 * with log1p/expm1 so that it keeps its sign for tiny beta.  rho is
 * valid iff the margin is >= 0. */
double sd_kseq_margin(const double *p, const double *q, size_t V, size_t k, double rho);

/* The smallest valid rho in [1, k] (rho* of SPEC 6.2): 1 if the margin
 * at 1 is already >= 0 (k = 1, p = q, disjoint supports), else the root
 * of the margin bracketed in [1, k] and polished by gsl_root_fsolver_brent
 * to machine precision; the upper end of the final bracket is returned,
 * so the margin there is >= 0 as evaluated.  SD_EINVAL for k = 0 or
 * V = 0; SD_EINTERNAL if GSL's solver fails (message says so). */
sd_status sd_kseq_rho(const double *p, const double *q, size_t V, size_t k, double *rho,
                      sd_error *err);

/* The acceptance probability 1 - (1 - beta(rho*))^k in *alpha (and rho*
 * in *rho if rho is not NULL).  Errors as sd_kseq_rho. */
sd_status sd_kseq_accept(const double *p, const double *q, size_t V, size_t k,
                         double *alpha, double *rho, sd_error *err);

/* The laws of one K-SEQ step at rho given (rho must be valid for k):
 * out->rej = (1-beta)^k, out->acc[y] = min(p, q/rho)(y) (1-(1-beta)^k)/beta,
 * out->res = p_res (zero if rej = 0).  Negative rounding residue of
 * p_res is clamped to 0 before normalising.  Never fails. */
void sd_kseq_step_at(const double *p, const double *q, size_t V, size_t k, double rho,
                     sd_step *out);

/* sd_step_fn of K-SEQ with rho = rho* (ws unused, may be NULL). */
sd_status sd_kseq_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                       sd_step *out, sd_error *err);

/* K-SEQ in tree form (SPEC 6, last paragraph), an sd_tree_step_fn: with
 * k live drafts all tried in order against the rho* of k, a draft
 * rejected earlier whose token is the one finally accepted stays live.
 * With a(y) = min(1, q(y)/(rho p(y))):
 *   P(accept at trial i with y) = (1-beta)^(i-1) p(y) a(y),
 *   live drafts at t+1 = 1 + Bin(i-1, p(y)(1-a(y))/(1-beta)) + Bin(k-i, p(y)),
 * so out->acc[y (K+1) + L] sums these over i (binomial pmfs by GSL);
 * rej and res as sd_kseq_step.  ws: sd_kseq_tree_ws_alloc(K) for
 * k <= K = out->K.  O(V k^3).  Errors as sd_kseq_rho. */
sd_status sd_kseq_tree_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                            sd_tree_step *out, sd_error *err);

/* Workspace of sd_kseq_tree_step for up to K drafts (NULL on failure;
 * free with sd_free). */
double *sd_kseq_tree_ws_alloc(size_t K);

/* A literal K-SEQ verifier for one (p, q, k): alias tables of p and of
 * p_res and the acceptance thresholds at rho*. */
typedef struct {
    size_t V, k;
    double rho;                 /* rho* for k */
    gsl_ran_discrete_t *draft;  /* alias table of p */
    gsl_ran_discrete_t *resid;  /* alias table of p_res (of q if rejection is impossible) */
    double *thr;                /* thr[x] = q[x] / (rho p[x]) (INFINITY where p = 0) */
} sd_kseq_sampler;

/* Build the sampler (free with sd_kseq_sampler_free, also after a
 * failure, and on a zeroed sampler).  SD_ENOMEM, or errors as
 * sd_kseq_rho. */
sd_status sd_kseq_sampler_init(sd_kseq_sampler *s, const double *p, const double *q,
                               size_t V, size_t k, sd_error *err);
void sd_kseq_sampler_free(sd_kseq_sampler *s);

/* The same verifier at a given rho >= 1 instead of rho*.  If rho is not
 * valid for k, the negative part of p_res is clamped and the output is
 * NOT q-distributed: this is the negative control of thm-multidraft.
 * SD_EINVAL for k = 0, V = 0 or rho < 1; SD_ENOMEM. */
sd_status sd_kseq_sampler_init_at(sd_kseq_sampler *s, const double *p, const double *q,
                                  size_t V, size_t k, double rho, sd_error *err);

/* Run K-SEQ once: draw drafts i.i.d. from p one at a time (lazily: drafts
 * after the accepted one are never looked at), accept draft i iff
 * u < thr[x_i] with u uniform in [0,1), else after k failures draw from
 * p_res.  Returns the emitted token; *trial = index (1..k) of the
 * accepted draft, 0 on rejection. */
size_t sd_kseq_sampler_draw(const sd_kseq_sampler *s, gsl_rng *r, size_t *trial);

/* Run K-SEQ on given draft tokens tok[0..s->k-1] (tree form): try them in
 * order; returns 1 and sets *y to the accepted token, or 0 and draws *y
 * from p_res. */
int sd_kseq_sampler_verify(const sd_kseq_sampler *s, const size_t *tok, gsl_rng *r,
                           size_t *y);

/* Literal K-SEQ verifier tables of a model: one sampler per row (t, s)
 * for k = M (round start) or for every k = 1..M (tree). */
typedef struct {
    const sd_model *m;
    size_t M, nk, nrows;
    sd_kseq_sampler *smp;       /* [row * nk + (nk == 1 ? 0 : k - 1)] */
} sd_kseq_sim;

/* Largest number of table doubles sd_kseq_sim_alloc builds (about 1 GB). */
#define SD_KSEQ_SIM_MAX_TABLE ((size_t)1 << 27)

/* Build the tables for m (which must outlive them) with M >= 1 drafts;
 * all_k != 0 for the tree form.  SD_EINVAL for M = 0, SD_ERANGE when the
 * tables would exceed SD_KSEQ_SIM_MAX_TABLE doubles, SD_ENOMEM, or the
 * errors of sd_kseq_rho; on failure everything is released. */
sd_status sd_kseq_sim_alloc(sd_kseq_sim *s, const sd_model *m, size_t M, int all_k,
                            sd_error *err);
void sd_kseq_sim_free(sd_kseq_sim *s);

/* Negative control: round-start tables (k = M) built with rho = 1 in
 * every row, i.e. accept draft i with min(1, q/p) and reject to the
 * clamped residual: a biased verifier for M >= 2 wherever 0 < TV < 1.
 * Errors as sd_kseq_sim_alloc. */
sd_status sd_kseq_sim_alloc_rho1(sd_kseq_sim *s, const sd_model *m, size_t M, sd_error *err);

/* The round-start verifier (M lazily drawn first tokens, K-SEQ) and the
 * tree verifier (K-SEQ with the rho* of the live count; needs all_k). */
sd_rs_verifier sd_kseq_rs_verifier(const sd_kseq_sim *s);
sd_tree_verifier sd_kseq_tree_verifier(const sd_kseq_sim *s);

#endif
