/* thm6.h - multi-draft verification beyond the paper (SPEC 6): K-SEQ,
 * the optimal-transport bound alpha*_k and exponential races, at the
 * token level on every row (t, s) of a model and at the chain level
 * (round-start K-SEQ and ERSD, K-SEQ in tree form) against literal Monte
 * Carlo simulations.  The check executable is thm-multidraft. */
#ifndef SD_THM6_H
#define SD_THM6_H

#include <stddef.h>

#include "check.h"
#include "model.h"
#include "thm.h"

/* Limit on V^(k+1) for the rows whose alpha*_k is also solved as a
 * linear program (GLPK) in the check: 20000 variables, about 0.4 s per
 * solve (the LP check uses the V rows of t = 1 only). */
#define SD_THM6_LP_MAX_VARS 20000.0

/* What thm6 checks besides the Monte Carlo settings. */
typedef struct {
    size_t kmax;           /* token level: k = 1..kmax */
    size_t ndrafts;        /* chain level: numbers of drafts M ... */
    const size_t *drafts;  /* ... each >= 1 */
    const char *control;   /* a negative control (rule.h) simulated instead of the rule
                              that has it (e.g. kseq-rho1), or NULL */
} sd_thm6_opts;

/* Append to l (tolerance 1e-12 unless said):
 * token level, the worst case over every row (t, s) and k = 1..kmax:
 *  - "K-SEQ rho* valid" (margin >= 0) and "K-SEQ rho* minimal" (margin
 *    < 0 at rho* (1 - 1e-9) when rho* > 1; the value is the number of
 *    violations);
 *  - "K-SEQ k=1 = SD (1 - TV)";
 *  - "RRS <= alpha*_k", "K-SEQ <= alpha*_k", "alpha*_k <= upper bound",
 *    "alpha*_1 = 1 - TV", "K-SEQ >= (1-(1-1/k)^k) alpha*_k" (V <= 24);
 *  - "alpha*_k: min-cut = LP" (rows of t = 1, V^(k+1) <= SD_THM6_LP_MAX_VARS, 1e-9);
 *  - "ERSD k=1: closed form = quadrature" (1e-10), "ERSD k=1 <= 1 - TV";
 * chain level:
 *  - "kseq M=1 = SD", "kseq-tree M=1 = SD", "ersd M=1 >= SD";
 *  - for each M and each of kseq, kseq-tree, ersd (with mc->runs > 0):
 *    "<algo> M=<M>: Monte Carlo mean" (z-test against the exact value) and
 *    "<algo> M=<M>: unbiased x_t" (output tokens against the q-marginal,
 *    three layers).  With o->control the rule that has that negative
 *    control is simulated with it instead (the checks must then fail).
 * Returns SD_OK whatever the verdicts, or an error. */
/* 1 if name is a negative control of a rule thm6 checks, else 0. */
int sd_thm6_control_known(const char *name);

sd_status sd_thm6_check(const sd_model *m, const sd_thm6_opts *o, const sd_mc_config *mc,
                        sd_checklist *l, sd_error *err);

#endif
