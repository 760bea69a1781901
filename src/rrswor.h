/* rrswor.h - recursive rejection sampling without replacement (Jeon et
 * al., Recursive Speculative Decoding, 2024): k drafts that are distinct
 * tokens, verified one after another against the target residual.
 *
 * At one (t, s) with draft row P and target row Q: d_1 = P, r_1 = Q.
 * Draft i is drawn from d_i and accepted with probability
 * min{1, r_i(X_i)/d_i(X_i)}; if rejected, d_{i+1} is d_i with X_i removed
 * and renormalised, and r_{i+1} = [r_i - d_i]_+ / sum [r_i - d_i]_+.  If
 * all k fail the token is drawn from r_{k+1} (and when the draft law runs
 * out of tokens before k drafts, from the residual at that point, which is
 * what the definition gives with d = 0).  Lossless: the emitted token is
 * Q-distributed.
 *
 * Unlike RRS with replacement the residuals depend on which tokens were
 * rejected, so the exact step law sums over the rejection paths: a
 * depth-first walk over the ordered sets of rejected tokens, O(V) per
 * node.  Only tokens with d_i(x) > r_i(x) can be rejected, so the walk
 * has at most 1 + n1 (1 + n + ... + n^(k-2)) nodes, n1 = |{P > Q}|, n =
 * |{P > 0}|; sd_rrs_wor_cost gives that bound and the exact functions
 * refuse above SD_RRS_WOR_MAX_WORK.  k = 1 is the SD rule.
 */
#ifndef SD_RRSWOR_H
#define SD_RRSWOR_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "error.h"
#include "model.h"
#include "roundstart.h"
#include "step.h"

/* Largest number of elementary operations (V per node of the walk) the
 * exact step law may cost: about half a second here. */
#define SD_RRS_WOR_MAX_WORK 3e8

/* Workspace of the exact step law and of the literal verifier for up to
 * k drafts over V tokens. */
typedef struct sd_rrs_wor_ws sd_rrs_wor_ws;

/* Allocate a workspace ((k + 2) V doubles and V bytes); NULL when out of
 * memory or k = 0 or V = 0.  Free with sd_rrs_wor_ws_free (NULL is fine). */
sd_rrs_wor_ws *sd_rrs_wor_ws_alloc(size_t V, size_t k);
void sd_rrs_wor_ws_free(sd_rrs_wor_ws *ws);

/* An upper bound on the operations of the exact step law for (p, q, k):
 * V times the node bound above. */
double sd_rrs_wor_cost(const double *p, const double *q, size_t V, size_t k);

/* sd_step_fn of RRS without replacement with k drafts: rej = P(no draft
 * accepted), acc[y] = P(a draft with token y is accepted), res = the law
 * of the token emitted after k rejections.  ws: an sd_rrs_wor_ws for at
 * least (V, k).  SD_EINVAL for k = 0, a NULL or too small workspace;
 * SD_ERANGE when sd_rrs_wor_cost exceeds SD_RRS_WOR_MAX_WORK (the
 * message gives both). */
sd_status sd_rrs_wor_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                          sd_step *out, sd_error *err);

/* The acceptance probability 1 - rej of the step above (its workspace
 * allocated here; SD_ENOMEM besides the step's errors). */
sd_status sd_rrs_wor_accept(const double *p, const double *q, size_t V, size_t k,
                            double *accept, sd_error *err);

/* One literal verification with k drafts drawn without replacement from
 * p by inverse-CDF draws on the current draft law (the law changes after
 * every rejection, so no table can be prepared), coins u < ratio, and the
 * residual draw after k rejections.  Sets *y to the emitted token and
 * *trial to the accepted draft's index 1..k (0 when every draft was
 * rejected); returns 1 when a draft was accepted.  O(k V).  ws: for at
 * least (V, k). */
int sd_rrs_wor_verify(const double *p, const double *q, size_t V, size_t k, gsl_rng *r,
                      sd_rrs_wor_ws *ws, size_t *y, size_t *trial);

/* The literal round-start verifier of a model with M drafts (rows read
 * from the model; per-thread workspace). */
typedef struct {
    const sd_model *m;
    size_t M;
} sd_rrs_wor_sim;

/* Set up the verifier of m (which must outlive it).  SD_EINVAL for M = 0. */
sd_status sd_rrs_wor_sim_init(sd_rrs_wor_sim *s, const sd_model *m, size_t M, sd_error *err);

/* The round-start verifier (ctx = s, which must outlive it). */
sd_rs_verifier sd_rrs_wor_rs_verifier(const sd_rrs_wor_sim *s);

#endif
