/* thm5.h - Theorems 4 and 5 (SPEC 4): the optimal resampling law R* and
 * the Pareto front P_rej + Loss* >= TV of biased rules, on every row of a
 * model, and the chain-level tradeoff of b_eps against a literal
 * simulation of the biased process. */
#ifndef SD_THM5_H
#define SD_THM5_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "model.h"
#include "thm.h"

/* What thm5 checks besides the Monte Carlo settings. */
typedef struct {
    size_t nb;            /* random acceptance rules b per row (each kind) */
    size_t nr;            /* random resampling laws R per (row, b) */
    uint64_t seed;        /* seed of the random b's and R's */
    size_t neps;          /* the b_eps sweep ... */
    const double *eps;    /* ... eps >= 0 */
    int control_swap;     /* negative control: simulate the other resampling law */
} sd_thm5_opts;

/* Append to l, on every row (t, s) of m:
 *  - "T5 identity, random b": max |P_rej + Loss* - (1 - sum min(bP,Q))|
 *    over random b in [0,1]^V, to 1e-12;
 *  - "T5 bound >= TV, random b": min (P_rej + Loss* - TV) >= -1e-12;
 *  - "T5 front, over-accepting b": max |P_rej + Loss* - TV| over random b
 *    in [min(1,Q/P), 1]^V, to 1e-12;
 *  - "T5 front, b_eps sweep": the same along the sweep;
 *  - "T4 R* attains Loss*": max |Loss_TV(b, R*) - Loss*|;
 *  - "T4 no random R beats R*": min over random R (Dirichlet(1) and the
 *    vertices) of Loss_TV(b, R) - Loss* >= -1e-12;
 *  - "T4 OPT <= UNO": min (Loss_TV(b, Q) - Loss*) >= -1e-12;
 * and on the chain, for each eps of the sweep and OPT/UNO:
 *  - "eps=0 OPT is Theorem 1" (rejections, and zero bias);
 *  - "front eps=E opt" (rejections + bias = sum nu.tau) / "above front
 *    eps=E uno" (>=);
 *  - "seq TV <= bias eps=E ..." when V^T <= SD_TRADEOFF_MAX_SEQUENCES;
 *  - with mc->runs > 0: "rejections eps=E R" (z-test of the simulated
 *    mean) and "law x_t eps=E R" (output tokens against the exact
 *    output-chain marginal, three layers).
 * Returns SD_OK whatever the verdicts, or an error. */
sd_status sd_thm5_check(const sd_model *m, const sd_thm5_opts *o, const sd_mc_config *mc,
                        sd_checklist *l, sd_error *err);

#endif
