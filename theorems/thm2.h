/* thm2.h - Theorem 2 (SPEC 2): among unbiased rejection rules of class F
 * (draft x ~ P, accept with probability b(x), else emit from R), SD
 * rejects least: 1 - sum bP >= TV(P, Q) at every (t, s), hence
 * E[N_rej] >= the Theorem 1 value, with equality iff bP = min(P, Q).
 *
 * Random unbiased rules: b = lambda min(1, Q/P), R forced to
 * (Q - bP)/(1 - sum bP); rule i of n has lambda = 1 - (i/n) u with u ~
 * U(0,1) independently per row (t, s) and token (from near SD for small
 * i to lambda ~ U(0,1)^V for i = n).  The
 * negative control is the over-accepting rule b_eps = min(1, (Q+eps)/P)
 * with R* (Decoding-OPT of SPEC 4): it rejects less than the bound
 * allows, and only because it is biased. */
#ifndef SD_THM2_H
#define SD_THM2_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "model.h"
#include "thm.h"

/* What thm2 checks besides the Monte Carlo settings. */
typedef struct {
    size_t rules;        /* random unbiased rules */
    uint64_t seed;       /* rule i draws its lambdas from stream (seed, i) of sd_rng */
    double eps;          /* the control's over-acceptance eps > 0 */
    int control_as_rule; /* also run the control through the unbiased-rule checks
                            (they must then fail) */
} sd_thm2_opts;

/* Append to l, with E1 the Theorem 1 value of m:
 *  - "SD (lambda = 1): E = Theorem 1": class F with lambda = 1 by the
 *    rule engine, to 1e-12;
 *  for each random rule i (and the control if control_as_rule):
 *  - "rule i: unbiased": max over rows of TV(O, Q) <= 1e-12, and the
 *    output marginals at the tracked positions equal the q-marginal;
 *  - "rule i: rows >= TV": min over rows of (1 - sum bP) - TV >= -1e-12;
 *  - "rule i: E >= Theorem 1" (exact, -1e-12 slack for rounding);
 *  - with mc->runs > 0: "rule i: Monte Carlo mean" (z-test against the
 *    rule's exact value) and "rule i: Monte Carlo x_t" (output tokens
 *    against the q-marginal, three layers);
 *  the control, when E1 > 0 (with E1 = 0 nothing can beat the bound),
 *  with verdicts inverted (pass means the bias was caught):
 *  - "control: beats the bound": E_control < E1;
 *  - "control: biased (exact)": max row TV(O, Q) > 1e-9;
 *  - with mc->runs > 0: "control: Monte Carlo flags bias": the three-layer
 *    law check of x_T against the q-marginal fails.
 * Returns SD_OK whatever the verdicts, or an error. */
sd_status sd_thm2_check(const sd_model *m, const sd_thm2_opts *o, const sd_mc_config *mc,
                        sd_checklist *l, sd_error *err);

#endif
