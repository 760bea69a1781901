/* thm7.h - draft length, wall time and block verification on a chain
 * (Leviathan et al. 2023; Sun et al., ICLR 2025; doc/theory.md): the
 * exact slot DP, the optimal draft-length policy and exact block
 * verification against independent computations and their literal
 * simulations. */
#ifndef SD_THM7_H
#define SD_THM7_H

#include <stddef.h>

#include "calls.h"
#include "check.h"
#include "model.h"
#include "thm.h"

typedef struct {
    size_t ngamma;          /* draft lengths to check ... */
    const size_t *gamma;    /* ... each >= 1 */
    size_t gmax;            /* the policy's largest draft length */
    double cost;            /* cost ratio c */
    int control;            /* 1: simulate block verification with tau = the
                             * first failure (a negative control that must fail) */
} sd_thm7_opts;

/* Append to l:
 *  - "slot DP = J-recursion gamma=g": W(g) by the forward slot DP and by
 *    the backward recursion with the constant policy g, 1e-10;
 *  - "gamma >= T: calls = 1 + N_rej(t < T)": against Theorem 1 on the
 *    first T - 1 positions, 1e-10;
 *  - "Leviathan exact gamma=g": one call's tokens on the context-free
 *    chain of row (1, 0) against (1 - a^(g+1)) / (1 - a), 1e-12;
 *  - "J* <= W(gamma=g)" for every g <= gmax in the list;
 *  - "block >= token gamma=g s=s": first call from every start state
 *    (where the enumeration is within its limit);
 *  - with mc->runs > 0, for each g: token simulation (calls, draft
 *    steps, wall time: z) and, where block is exact, block simulation
 *    (the same three and the emitted tokens at mc->pos against the
 *    q-marginal, three layers); the policy's simulation against J*.
 * Returns SD_OK whatever the verdicts, or an error. */
sd_status sd_thm7_check(const sd_model *m, const sd_thm7_opts *o, const sd_mc_config *mc,
                        sd_checklist *l, sd_error *err);

#endif
