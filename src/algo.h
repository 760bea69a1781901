/* algo.h - one entry point per decoding algorithm for the exact and the
 * Monte Carlo engine, so the command line and the theorem checks reach
 * every algorithm (--algo) the same way.  A new algorithm adds a case
 * here and nowhere else.
 */
#ifndef SD_ALGO_H
#define SD_ALGO_H

#include <stddef.h>

#include "error.h"
#include "mc.h"
#include "model.h"
#include "rule.h"
#include "sim_sd.h"

/* Exact E[N_rej] of decoding m with algo and M drafts; *var gets the
 * exact variance where the algorithm has it, else NAN (var may be NULL).
 * SD_EINVAL for an algorithm/M this build cannot compute. */
sd_status sd_algo_exact(const sd_model *m, sd_algo algo, size_t M, double *mean,
                        double *var, sd_error *err);

/* A rough count of the elementary operations sd_algo_exact needs for
 * algo with M drafts on m (about 1e8 to 1e9 of them a second here), and
 * in *formula (if not NULL) how it grows, e.g. "T V^2 M^3".  Callers use
 * it to refuse work that would run for hours instead of hanging. */
double sd_algo_cost(const sd_model *m, sd_algo algo, size_t M, const char **formula);

/* A prepared simulation of an algorithm. */
typedef struct sd_algo_sim sd_algo_sim;

/* Prepare the simulation of algo with M drafts on m (which must outlive
 * it).  variant selects a negative control (SD only; others need
 * SD_SIM_CORRECT). */
sd_status sd_algo_sim_alloc(sd_algo_sim **out, const sd_model *m, sd_algo algo, size_t M,
                            sd_sim_variant variant, sd_error *err);
/* Its interface for sd_mc_run. */
sd_sim sd_algo_sim_get(const sd_algo_sim *s);
void sd_algo_sim_free(sd_algo_sim *s);

#endif
