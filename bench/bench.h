/* bench.h - what the Monte Carlo benchmarks share: a monotonic clock and
 * the best-of-REPS timing of sd_mc_run. */
#ifndef SD_BENCH_H
#define SD_BENCH_H

#include <stdio.h>
#include <time.h>

#include "specdec.h"

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Run sim per cfg reps times on m; *best gets the shortest wall time,
 * *mean the mean N_rej of the last run.  0, or 3 after a message naming
 * prog. */
static inline int bench_time(const char *prog, const sd_model *m, const sd_sim *sim,
                             const sd_mc_config *cfg, int reps, double *best, double *mean)
{
    sd_mc_result res;
    sd_error err;
    int i;
    for (i = 0; i < reps; i++) {
        double t0 = bench_now(), dt;
        if (sd_mc_run(cfg, m->T, m->V, sim, &res, &err) != SD_OK) {
            fprintf(stderr, "%s: %s\n", prog, err.msg);
            return 3;
        }
        dt = bench_now() - t0;
        if (i == 0 || dt < *best)
            *best = dt;
        *mean = res.mean;
        sd_mc_result_free(&res);
    }
    return 0;
}

#endif
