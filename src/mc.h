/* mc.h - the Monte Carlo engine: chunked, seeded, parallel runs.
 *
 * A simulation is any algorithm that, given a generator, runs the
 * decoding process n times and tallies the number of rejections of each
 * run and the output tokens at chosen positions.  sd_mc_run cuts the
 * runs into fixed chunks; chunk c draws only from stream (seed, c) of
 * sd_rng, and tallies are integers, so results are bit-identical for
 * any number of threads.  Chunks are spread over OpenMP threads.
 */
#ifndef SD_MC_H
#define SD_MC_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "error.h"

#define SD_MC_CHUNK 1024 /* default runs per chunk */

/* Integer tallies of a set of runs. */
typedef struct {
    size_t T, V;          /* horizon and vocabulary */
    size_t npos;          /* number of tracked positions */
    const int *pos_index; /* pos_index[t] = i if position t is tracked as i, else -1 (t = 0..T) */
    uint64_t *hist;       /* hist[c] = runs with N_rej = c, c = 0..T */
    uint64_t *tokens;     /* tokens[i*V + x] = runs whose tracked token i was x */
} sd_tally;

/* A simulation: ctx is read-only and shared by all threads; each thread
 * gets its own workspace from ws_alloc (NULL ws_alloc: no workspace). */
typedef struct {
    const void *ctx;
    sd_status (*ws_alloc)(const void *ctx, void **ws, sd_error *err);
    void (*ws_free)(void *ws);
    /* Simulate nruns runs drawing from r, adding to tally. */
    sd_status (*run)(const void *ctx, void *ws, gsl_rng *r, size_t nruns,
                     sd_tally *tally, sd_error *err);
} sd_sim;

/* Monte Carlo settings: how to run (sd_mc_run) and the limits of the
 * checks made on the result (sd_mc_run ignores z_max and p_min). */
typedef struct {
    size_t runs;               /* number of runs (>= 1) */
    uint64_t seed;             /* master seed */
    int threads;               /* OpenMP threads (>= 1) */
    const gsl_rng_type *rng;   /* generator type, NULL = default */
    size_t chunk;              /* runs per chunk, 0 = SD_MC_CHUNK */
    size_t npos;               /* tracked positions ... */
    const size_t *pos;         /* ... ascending, in 1..T */
    uint64_t *chunk_sums;      /* optional: sum of N_rej of each chunk, in chunk order */
    void (*progress)(void *arg, size_t done, size_t total); /* optional, thread 0 only */
    void *progress_arg;
    double z_max;              /* z-score limit of the checks (SPEC 8: 4.5) */
    double p_min;              /* chi-square p-value limit of the checks (SPEC 8: 1e-6) */
} sd_mc_config;

typedef struct {
    size_t runs, T, V, npos;
    size_t *pos;        /* copy of the tracked positions */
    uint64_t *hist;     /* T+1 counts of N_rej */
    uint64_t *tokens;   /* npos*V token counts */
    double mean;        /* sample mean of N_rej */
    double var;         /* sample variance (n-1 denominator) */
    double stderr_mean; /* sqrt(var / runs) */
    double m4;          /* sample fourth central moment (n denominator) */
} sd_mc_result;

/* Number of chunks cfg cuts its runs into. */
size_t sd_mc_nchunks(const sd_mc_config *cfg);

/* Run sim per cfg on a chain of horizon T and vocabulary V; fill *res
 * (free with sd_mc_result_free).  Returns the first error a chunk met. */
sd_status sd_mc_run(const sd_mc_config *cfg, size_t T, size_t V, const sd_sim *sim,
                    sd_mc_result *res, sd_error *err);

void sd_mc_result_free(sd_mc_result *res);

/* Sample mean, variance (n-1) and fourth central moment (n) of a
 * histogram hist[0..T] of n runs. */
void sd_mc_hist_moments(const uint64_t *hist, size_t T, double *mean, double *var,
                        double *m4);

#endif
