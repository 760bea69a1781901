/* thm.h - settings shared by the theorem checks. */
#ifndef SD_THM_H
#define SD_THM_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "mc.h"
#include "sim_sd.h"

/* How a theorem check runs its Monte Carlo part. */
typedef struct {
    size_t runs;              /* simulated runs per Monte Carlo check */
    uint64_t seed;            /* master seed */
    int threads;              /* OpenMP threads */
    const gsl_rng_type *rng;  /* generator type, NULL = default */
    double z_max;             /* z-score limit (doc/theory.md §8: 4.5) */
    double p_min;             /* chi-square p-value limit (doc/theory.md §8: 1e-6) */
    size_t npos;              /* output positions whose law is tested ... */
    const size_t *pos;        /* ... ascending in 1..T */
    sd_sim_variant variant;   /* negative control, or SD_SIM_CORRECT */
    void (*progress)(void *arg, size_t done, size_t total);
    void *progress_arg;
} sd_thm_mc;

/* An sd_mc_config from these settings (no chunk sums). */
sd_mc_config sd_thm_mc_config(const sd_thm_mc *mc);

#endif
