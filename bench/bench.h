/* bench.h - what the Monte Carlo benchmarks share: the command line
 * DRAFT.npy TARGET.npy RUNS THREADS REPS [extra...], a monotonic clock and
 * the best-of-REPS timing of sd_mc_run (on the processes of an MPI job
 * when cfg->team is set). */
#ifndef SD_BENCH_H
#define SD_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "par.h"
#include "specdec.h"

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Parse DRAFT.npy TARGET.npy RUNS THREADS REPS followed by nextra more
 * arguments (described by usage_extra) into cfg (seed 20241101) and
 * *reps, and load the model into m.  0, or 2 after a message naming
 * prog. */
static inline int bench_load(const char *prog, int argc, char **argv, int nextra,
                             const char *usage_extra, sd_model *m, sd_mc_config *cfg, int *reps)
{
    sd_error err;
    if (argc != 6 + nextra) {
        fprintf(stderr, "usage: %s DRAFT.npy TARGET.npy RUNS THREADS REPS%s\n", prog,
                usage_extra);
        return 2;
    }
    cfg->runs = strtoul(argv[3], NULL, 10);
    cfg->threads = atoi(argv[4]);
    *reps = atoi(argv[5]);
    cfg->seed = 20241101;
    if (cfg->runs == 0 || cfg->threads < 1 || *reps < 1) {
        fprintf(stderr, "%s: RUNS, THREADS and REPS must be positive\n", prog);
        return 2;
    }
    if (sd_model_load(m, argv[1], argv[2], 0, NULL, &err) != SD_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        return 2;
    }
    return 0;
}

/* Run sim per cfg reps times on m; *best gets the shortest wall time,
 * *mean the mean N_rej of the last run.  With a team (MPI), each
 * repetition is timed between two collective agreements, which act as
 * barriers.  0, or 3 after a message naming prog. */
static inline int bench_time(const char *prog, const sd_model *m, const sd_sim *sim,
                             const sd_mc_config *cfg, int reps, double *best, double *mean)
{
    sd_mc_result res;
    sd_error err;
    int i;
    for (i = 0; i < reps; i++) {
        double t0, dt;
        if (cfg->team != NULL)
            sd_par_agree(0);
        t0 = bench_now();
        if (sd_mc_run(cfg, m->T, m->V, sim, &res, &err) != SD_OK) {
            fprintf(stderr, "%s: %s\n", prog, err.msg);
            return 3;
        }
        if (cfg->team != NULL)
            sd_par_agree(0);
        dt = bench_now() - t0;
        if (i == 0 || dt < *best)
            *best = dt;
        *mean = res.mean;
        sd_mc_result_free(&res);
    }
    return 0;
}

/* The whole of bench_mc (mpi = 0) and of bench_mpi (mpi = 1: the runs
 * spread over the processes of the job, and the number of processes as
 * a first column): time the literal SD simulation and print one line. */
static inline int bench_sd_main(const char *prog, int mpi, int argc, char **argv)
{
    sd_model m;
    sd_sim_sd S;
    sd_sim sim;
    sd_mc_config cfg = {0};
    sd_error err;
    double best = 0.0, mean = 0.0;
    int reps, rc;

    if ((rc = bench_load(prog, argc, argv, 0, "", &m, &cfg, &reps)) != 0)
        return rc;
    if (sd_sim_sd_alloc(&S, &m, SD_SIM_CORRECT, &err) != SD_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        sd_model_free(&m);
        return 3;
    }
    sim = sd_sim_sd_sim(&S);
    if (mpi)
        cfg.team = sd_par_team();
    rc = bench_time(prog, &m, &sim, &cfg, reps, &best, &mean);
    if (rc == 0) {
        if (mpi)
            printf("%d\t", sd_par_size());
        printf("%d\t%zu\t%zu\t%zu\t%.6f\t%.6g\t%.6f\n", cfg.threads, cfg.runs, m.T, m.V,
               best, (double)cfg.runs * (double)m.T / best, mean);
    }
    sd_sim_sd_free(&S);
    sd_model_free(&m);
    return rc;
}

#endif
