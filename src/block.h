/* block.h - block verification (Sun, Mendlovic, Leviathan, Aharoni,
 * Beirami, Ro, Suresh, "Block Verification Accelerates Speculative
 * Decoding", ICLR 2025), exactly on a chain.
 *
 * A round at (t0, s0) drafts g = min(gamma, T - t0 + 1) tokens X_1..X_g
 * from the draft chain, with P_i, Q_i the kernels at position t0 + i - 1
 * from X_{i-1} (X_0 = s0).  p_0 = 1, p_i = min{p_{i-1} Q_i(X_i)/P_i(X_i), 1};
 * rho_i = sum_x [p_i Q_{i+1}(x) - P_{i+1}(x)]_+; h_i = rho_i / (rho_i + 1 -
 * p_i) for 0 < i < g (1 when the denominator is 0), h_g = p_g, h_0 = 1.
 * With independent eta_i ~ U(0,1), tau = the LAST index with eta_i <= h_i;
 * X_1..X_tau are emitted, then Y ~ norm([p_tau Q_{tau+1} - P_{tau+1}]_+)
 * if tau < g, else the bonus Y ~ Q_{g+1} (none when the block reaches T).
 * Lossless, and never fewer tokens per call than token verification.
 *
 * Exact: the law of tau and of the next round start is summed over the
 * V^g blocks of each round start, by a depth-first walk that shares block
 * prefixes: P(tau = i | prefix) = h_i E[prod_{j>i} (1 - h_j) | prefix].
 * About T V^(gamma+2) operations from every start state; refused beyond
 * SD_BLOCK_MAX_WORK (the simulation of calls.h covers larger gamma).
 */
#ifndef SD_BLOCK_H
#define SD_BLOCK_H

#include <stddef.h>

#include "calls.h"
#include "error.h"
#include "model.h"

/* Largest operation count of an exact block computation (seconds). */
#define SD_BLOCK_MAX_WORK 1e9

/* Operations of sd_block_exact for draft length gamma on m. */
double sd_block_cost(const sd_model *m, size_t gamma);

/* Exact calls, draft steps, wall time, tokens per call and speed-up of
 * block verification with draft length gamma and cost ratio c (row's
 * Leviathan fields are left NaN); *accepted (may be NULL) gets the
 * expected drafts accepted per call (E[sum tau] / E[calls]).  SD_EINVAL
 * for gamma = 0 or above SD_CALLS_MAX_GAMMA, c < 0 or not finite;
 * SD_ERANGE above SD_BLOCK_MAX_WORK (message names the estimate and the
 * limit); SD_ENOMEM. */
sd_status sd_block_exact(const sd_model *m, size_t gamma, double c, sd_calls_row *row,
                         double *accepted, sd_error *err);

/* The first call from x_0 = s at t = 1 with draft length gamma (cut at
 * T): expected drafts accepted by block verification (*block) and token
 * by token (*token, the slot recursion).  Sun et al. (Thm 2): block >=
 * token.  Same errors as sd_block_exact, SD_EINVAL for s >= V. */
sd_status sd_block_first_call(const sd_model *m, size_t gamma, size_t s, double *block,
                              double *token, sd_error *err);

/* Context-free P and Q (the same rows at every position): the expected
 * accepted drafts of one call with draft length gamma, by block
 * verification (*block) and token by token (*token = sum_{j=1..gamma}
 * (1 - TV)^j).  SD_EINVAL for V = 0 or gamma out of range; SD_ERANGE
 * when V^(gamma+1) exceeds SD_BLOCK_MAX_WORK; SD_ENOMEM. */
sd_status sd_block_token(const double *p, const double *q, size_t V, size_t gamma,
                         double *block, double *token, sd_error *err);

/* ---- on a recorded path (doc/theory.md, Block verification on a trace) ----
 *
 * Given the tokens x_1..x_T emitted along a path, with a_t = P_t(x_t)
 * and b_t = Q_t(x_t) the draft and target probabilities of the path's
 * token at each position (rows at the path's own prefix), the rounds of
 * block verification are a Markov chain of round starts: from a start s
 * with g = min(gamma, T - s + 1), the round emits x_s..x_{s+j-1} with
 * tau = j - 1 and the last word from the residual with conditional
 * probability
 *   (prod_{i<j} a_i / b_i) [p_{j-1} b_j - a_j]_+ / b_j      (j = 1..g),
 * and tau = g with probability (prod_{i<=g} a_i / b_i) p_g (then the bonus
 * word x_{s+g}, or the end when the block reaches T), where p_0 = 1,
 * p_i = min{p_{i-1} b_i / a_i, 1} and the index i runs over the block
 * (i = 1 at position s).  This follows from P(tau >= i | X_1..X_i) = p_i
 * (induction from i = gamma down, with h_i as in the algorithm): the
 * joint law of (tau = j - 1, X_{<j}, Y) is P(X_{<j}) [p_{j-1} Q_j -
 * P_j]_+ (Y), and dividing by the target's probability of the emitted
 * words conditions on them.  Averaged over paths from the target these
 * give sd_block_exact's values on a chain.  O(T gamma). */
typedef struct {
    double calls;       /* E[target calls | path] */
    double draft_steps; /* E[draft steps | path]: sum over rounds of g */
    double accepted;    /* E[sum of tau over the rounds | path]: drafts accepted */
    double rejections;  /* E[rounds ending in a residual word | path] */
} sd_block_path_row;

/* The values above on one path of T positions: px[t], qx[t] (t = 0..T-1)
 * the draft and target probabilities of its tokens; start: workspace of
 * T + 1 doubles (on return, start[t] = P(a round starts at position
 * t + 1)).  SD_EINVAL for gamma = 0, a qx[t] <= 0 or a px[t] < 0 (or NaN). */
sd_status sd_block_path(const double *px, const double *qx, size_t T, size_t gamma,
                        double *start, sd_block_path_row *out, sd_error *err);

#endif
