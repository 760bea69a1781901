/* thm1.h - Theorem 1 (SPEC 1): speculative decoding is unbiased and
 * E[N_rej] = sum_t sum_s mu_t(s) TV(P_t(s,.), Q_t(s,.)). */
#ifndef SD_THM1_H
#define SD_THM1_H

#include "check.h"
#include "model.h"
#include "sim_sd.h"
#include "thm.h"

/* Largest T^2 V^2 for which the exact law of N_rej is also checked. */
#define SD_THM1_PMF_MAX_WORK 1e9

/* Append to l the checks of Theorem 1 on m:
 *  - "mean: two exact methods": forward (mu-propagation) and backward
 *    (moment recursion) E[N_rej] agree to 1e-12;
 *  - "law of N_rej sums to 1", "law of N_rej: mean" (when T^2 V^2 is
 *    small enough for the exact law);
 *  - "mean": Monte Carlo mean against exact (z-test);
 *  - "variance": sample variance against exact (z-test);
 *  - "law of N_rej": histogram against the exact law (three layers);
 *  - "unbiased x_t" for each tracked t: output tokens against the
 *    q-marginal (three layers).
 * The simulation is Algorithm SD, or the negative control variant.
 * Returns SD_OK (whatever the verdicts) or an error. */
sd_status sd_thm1_check(const sd_model *m, sd_sim_variant variant, const sd_mc_config *mc,
                        sd_checklist *l, sd_error *err);

#endif
