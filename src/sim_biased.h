/* sim_biased.h - literal Monte Carlo simulation of a biased rule (b, R)
 * along a chain (doc/theory.md §4).
 *
 * Each position: draft x ~ P(x_{t-1}, .) (Walker alias table), accept
 * with u < b(x) = w(x)/P(x), else draw the token from R (alias table)
 * and count a rejection.  The tables come from an sd_tradeoff, whose
 * exact values (expected rejections, output-chain marginals) the
 * simulation must reproduce.
 */
#ifndef SD_SIM_BIASED_H
#define SD_SIM_BIASED_H

#include <gsl/gsl_randist.h>

#include "error.h"
#include "mc.h"
#include "tradeoff.h"

/* Precomputed sampling tables (read-only once built). */
typedef struct {
    const sd_tradeoff *tr;        /* the rule (must outlive the tables) */
    size_t nrows;                 /* rows of tr */
    gsl_ran_discrete_t *start;    /* alias table of pi0 */
    gsl_ran_discrete_t **draft;   /* alias table of the P row of each (t, s) */
    gsl_ran_discrete_t **resid;   /* alias table of the R row of each (t, s) */
    double *accept;               /* b(x) = w(x)/P(x) of each row (1 where P(x) = 0) */
} sd_sim_biased;

/* Build the tables of tr.  SD_ENOMEM on failure (everything released);
 * SD_EINVAL if a row of R is all zero (a row never set). */
sd_status sd_sim_biased_alloc(sd_sim_biased *s, const sd_tradeoff *tr, sd_error *err);
/* Release the tables (safe on a zeroed struct). */
void sd_sim_biased_free(sd_sim_biased *s);

/* The sd_sim interface of these tables, for sd_mc_run. */
sd_sim sd_sim_biased_sim(const sd_sim_biased *s);

#endif
