/* thm3.h - Theorem 3 and Proposition 1 (SPEC 3): batch speculative
 * decoding (paper Algorithm 4) is unbiased, its E[N_rej] follows the f/g
 * recursion, M = 1 is Theorem 1, and as M -> infinity E[N_rej] tends to a
 * limit that is not 0 in general; tree verification (beyond the paper)
 * is checked alongside. */
#ifndef SD_THM3_H
#define SD_THM3_H

#include <stddef.h>

#include "check.h"
#include "model.h"
#include "thm.h"

/* What thm3 checks besides the Monte Carlo settings. */
typedef struct {
    size_t ndrafts;        /* numbers of drafts M to check ... */
    const size_t *drafts;  /* ... each >= 1 */
    int tree;              /* also check tree verification */
    int strict;            /* the limit must be > 0 and strictly below every finite M:
                            * so on random paper/Dirichlet instances with T >= 2;
                            * else (p = q, T = 1, loaded models) the non-strict forms */
} sd_thm3_opts;

/* Append to l, with E1 the Theorem 1 value and lim the M -> infinity
 * limit (Proposition 1):
 *  - "M = 1: batch = Theorem 1" (and "M = 1: tree = Theorem 1"), 1e-12;
 *  - "limit > 0" (o->strict) or "limit >= 0";
 *  for each M:
 *  - "batch M=k: Theorem 3(b) form": the engine against
 *    sum_t sum_s g_t tau_t - f_t BI_M (g = q-marginal), 1e-12;
 *  - "batch M=k <= SD", "limit < batch M=k" (strict);
 *  - "tree M=k <= batch M=k" (with tree);
 *  - with mc->runs > 0: "batch M=k: Monte Carlo mean" (z-test) and
 *    "batch M=k: unbiased x_t" (output tokens against the q-marginal,
 *    three layers), and the same for "tree M=k".
 * Returns SD_OK whatever the verdicts, or an error. */
sd_status sd_thm3_check(const sd_model *m, const sd_thm3_opts *o, const sd_mc_config *mc,
                        sd_checklist *l, sd_error *err);

#endif
