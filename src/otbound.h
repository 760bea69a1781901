/* otbound.h - the optimal-transport bound alpha*_k of SpecTr (doc/theory.md §6.3).
 *
 * alpha*_k = max over couplings pi of Y ~ Q and X = (X_1..X_k) ~ P^{(x)k}
 * of P(Y in {X_1..X_k}): the best acceptance probability any verifier
 * of k i.i.d. drafts can have while emitting exactly Q.  Two
 * independent computations that must agree:
 *  - min-cut (max-flow duality on the bipartite graph token -- k-tuple):
 *    alpha*_k = min over token sets S of [Q(S) + 1 - P(S)^k], by
 *    enumerating all 2^V sets (exact; refused for V > SD_OT_MINCUT_MAX_V);
 *  - the linear program over the V * V^k coupling entries, solved by
 *    GLPK's simplex (refused beyond SD_OT_LP_MAX_VARS variables).
 * and, for any V, the sorted-prefix form: a minimising set can be taken
 * as a prefix of the tokens sorted by P(x)/Q(x) descending, so
 * alpha*_k = min over the V+1 prefixes, O(V log V) (Sun et al.,
 * SpecTr, and Hu et al., Towards Optimal Multi-draft Speculative
 * Decoding, ICLR 2025).  The two enumerations above stay as its
 * cross-checks for small V.
 * Also the (possibly loose) membership upper bound
 * sum_x min(Q(x), 1 - (1 - P(x))^k).
 */
#ifndef SD_OTBOUND_H
#define SD_OTBOUND_H

#include <stddef.h>

#include "error.h"

/* The min-cut form enumerates 2^V token sets: 2^24 = 1.7e7 sets, about a
 * second; each further token doubles the time. */
#define SD_OT_MINCUT_MAX_V 24

/* The linear program has V * V^k variables and V + V^k equality rows.
 * GLPK's simplex takes about 3 s on 46656 variables (V = 6, k = 5) and
 * 20 s on 117649 (V = 7, k = 5), growing faster than linearly, so the
 * limit keeps one solve within a few seconds. */
#define SD_OT_LP_MAX_VARS 50000.0

/* alpha*_k by the min-cut form.  SD_EINVAL for k = 0 or V = 0,
 * SD_ERANGE (message states the limit and why) for V > SD_OT_MINCUT_MAX_V,
 * SD_ENOMEM. */
sd_status sd_ot_mincut(const double *p, const double *q, size_t V, size_t k, double *alpha,
                       sd_error *err);

/* alpha*_k by the sorted prefix: sort the tokens by P(x)/Q(x) descending
 * (Q(x) = 0 < P(x) first, P(x) = Q(x) = 0 last), S_j = the first j of
 * them, alpha*_k = min_{j=0..V} [Q(S_j) + 1 - P(S_j)^k].  Any V >= 1,
 * O(V log V) time, V indices and V doubles of scratch allocated here.
 * *argmin_j (if not NULL) gets the size j of a minimising prefix.
 * SD_EINVAL for k = 0 or V = 0, SD_ENOMEM. */
sd_status sd_ot_prefix(const double *p, const double *q, size_t V, size_t k, double *alpha,
                       size_t *argmin_j, sd_error *err);

/* alpha*_k for every k = 1..K into alpha[k-1], equal to sd_ot_prefix's
 * values, from one sort: O(V log V + V K).  SD_EINVAL for K = 0 or
 * V = 0, SD_ENOMEM. */
sd_status sd_ot_prefix_all(const double *p, const double *q, size_t V, size_t K, double *alpha,
                           sd_error *err);

/* 1 if the linear program for (V, k) is within SD_OT_LP_MAX_VARS. */
int sd_ot_lp_feasible(size_t V, size_t k);

/* alpha*_k by the linear program: maximise sum_{y in x} pi(y, x) over
 * pi >= 0 with row sums Q(y) and column sums P^k(x) = prod_i P(x_i),
 * solved with GLPK's primal simplex (messages off).  SD_EINVAL for
 * k = 0 or V = 0, SD_ERANGE beyond SD_OT_LP_MAX_VARS (message states
 * the limit and why), SD_ENOMEM, SD_EINTERNAL if GLPK does not report
 * an optimal solution (message gives GLPK's status). */
sd_status sd_ot_lp(const double *p, const double *q, size_t V, size_t k, double *alpha,
                   sd_error *err);

/* sum_x min(q[x], 1 - (1 - p[x])^k): an upper bound on alpha*_k (each
 * token can be accepted at most as often as Y = x and as x is drafted). */
double sd_ot_upper(const double *p, const double *q, size_t V, size_t k);

#endif
