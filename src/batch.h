/* batch.h - batch speculative decoding (paper Algorithm 4) and tree
 * verification with RRS (doc/theory.md §3), assembled from the generic engines
 * (roundstart.h, tree.h) and the RRS rule (rrs.h).
 *
 * Batch SD: M i.i.d. drafts at each round start, RRS on their first
 * tokens, then SD along the accepted draft.  Tree: all drafts that agree
 * with the committed prefix stay live, RRS over the live ones at every
 * position.  M = 1 is Algorithm SD in both cases.
 */
#ifndef SD_BATCH_H
#define SD_BATCH_H

#include <stddef.h>

#include "error.h"
#include "mc.h"
#include "model.h"
#include "roundstart.h"
#include "rrs.h"
#include "tree.h"

/* Theorem 3: exact E[N_rej] of batch SD with M >= 1 drafts, O(T V^2 M).
 * fstart (optional, T V doubles) gets f_t(s), the probability that a
 * round starts at t with x_{t-1} = s.  SD_EINVAL for M = 0, SD_ENOMEM. */
sd_status sd_batch_exact(const sd_model *m, size_t M, double *mean, double *fstart,
                         sd_error *err);

/* Proposition 1: the limit of sd_batch_exact as M -> infinity (rho_inf
 * and r_inf in place of rho_M and r_M).  SD_ENOMEM. */
sd_status sd_batch_limit(const sd_model *m, double *mean, sd_error *err);

/* Exact E[N_rej] of tree verification with RRS and M >= 1 drafts per
 * round, O(T V^2 M^3).  live (optional, T (M+1) doubles) gets
 * P(k live drafts at t).  SD_EINVAL for M = 0, SD_ENOMEM. */
sd_status sd_batch_tree_exact(const sd_model *m, size_t M, double *mean, double *live,
                              sd_error *err);

/* Workspace of the exact computations above for V tokens (RRS's step
 * workspace and the engines' own), serving batch SD with any number of
 * drafts and tree verification with up to M (M = 0: none): NULL on
 * allocation failure.  The _ws functions compute in it without
 * allocating (SD_EINVAL if it serves another V or fewer tree drafts);
 * those without the suffix allocate one for the call. */
typedef struct sd_batch_ws sd_batch_ws;
sd_batch_ws *sd_batch_ws_alloc(size_t V, size_t M);
void sd_batch_ws_free(sd_batch_ws *w);
sd_status sd_batch_exact_ws(const sd_model *m, size_t M, sd_batch_ws *w, double *mean,
                            double *fstart, sd_error *err);
sd_status sd_batch_tree_exact_ws(const sd_model *m, size_t M, sd_batch_ws *w, double *mean,
                                 double *live, sd_error *err);

/* A literal simulation of batch SD or tree verification (opaque). */
typedef struct sd_batch_sim sd_batch_sim;

/* Build the simulation of m (which must outlive it) with M >= 1 drafts:
 * batch SD (tree = 0) or tree verification (tree != 0).  Errors of
 * sd_rrs_sim_alloc (SD_EINVAL, SD_ERANGE, SD_ENOMEM); on failure *out is
 * NULL and everything is released. */
sd_status sd_batch_sim_alloc(sd_batch_sim **out, const sd_model *m, size_t M, int tree,
                             sd_error *err);
/* Release everything (NULL is a no-op). */
void sd_batch_sim_free(sd_batch_sim *s);

/* Its sd_sim interface for sd_mc_run: RRS inlined, uniforms from
 * xoshiro256** lanes seeded from each chunk's generator (from the
 * generator itself for a non-default --rng). */
sd_sim sd_batch_sim_sim(const sd_batch_sim *s);

/* The same algorithm through the generic engines (roundstart.h, tree.h)
 * with the RRS verifiers of rrs.h and gsl_rng draws: slower, kept as a
 * second implementation that the tests compare. */
sd_sim sd_batch_sim_generic(const sd_batch_sim *s);

#endif
