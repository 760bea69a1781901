/* bench_mpi - Monte Carlo throughput of the literal SD simulation on the
 * processes of an MPI job (run it under mpirun -n K).
 *
 * As bench_mpi, but sd_mc_run spreads the chunks over the processes
 * (par.h); each repetition is timed between two collective agreements
 * (which act as barriers), so the launcher's start-up is not counted;
 * best of REPS.  Rank 0 prints one tab-separated line:
 *   processes threads runs T V seconds tokens_per_second mean_N_rej
 * where a token is one position of one run (draft, test, and on
 * rejection a residual draw).  Not part of make check: `make bench`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "par.h"
#include "specdec.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int program(int argc, char **argv)
{
    sd_model m;
    sd_sim_sd S;
    sd_sim sim;
    sd_mc_config cfg = {0};
    sd_mc_result res;
    sd_error err;
    double best = 0.0, mean = 0.0;
    int reps, i;

    if (argc != 6) {
        fprintf(stderr, "usage: bench_mpi DRAFT.npy TARGET.npy RUNS THREADS REPS\n");
        return 2;
    }
    cfg.runs = strtoul(argv[3], NULL, 10);
    cfg.threads = atoi(argv[4]);
    reps = atoi(argv[5]);
    cfg.seed = 20241101;
    if (cfg.runs == 0 || cfg.threads < 1 || reps < 1) {
        fprintf(stderr, "bench_mpi: RUNS, THREADS and REPS must be positive\n");
        return 2;
    }
    if (sd_model_load(&m, argv[1], argv[2], 0, NULL, &err) != SD_OK) {
        fprintf(stderr, "bench_mpi: %s\n", err.msg);
        return 2;
    }
    if (sd_sim_sd_alloc(&S, &m, SD_SIM_CORRECT, &err) != SD_OK) {
        fprintf(stderr, "bench_mpi: %s\n", err.msg);
        sd_model_free(&m);
        return 3;
    }
    sim = sd_sim_sd_sim(&S);
    cfg.team = sd_par_team();
    for (i = 0; i < reps; i++) {
        double t0, dt;
        sd_par_agree(0);
        t0 = now();
        if (sd_mc_run(&cfg, m.T, m.V, &sim, &res, &err) != SD_OK) {
            fprintf(stderr, "bench_mpi: %s\n", err.msg);
            sd_sim_sd_free(&S);
            sd_model_free(&m);
            return 3;
        }
        sd_par_agree(0);
        dt = now() - t0;
        if (i == 0 || dt < best)
            best = dt;
        mean = res.mean;
        sd_mc_result_free(&res);
    }
    printf("%d\t%d\t%zu\t%zu\t%zu\t%.6f\t%.6g\t%.6f\n", sd_par_size(), cfg.threads,
           cfg.runs, m.T, m.V, best, (double)cfg.runs * (double)m.T / best, mean);
    sd_sim_sd_free(&S);
    sd_model_free(&m);
    return 0;
}

/* One process of an MPI job (par.h). */
int main(int argc, char **argv)
{
    return sd_par_main(program, argc, argv);
}
