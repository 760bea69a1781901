/* bench_mpi - Monte Carlo throughput of the literal SD simulation on the
 * processes of an MPI job (run it under mpirun -n K).
 *
 * As bench_mc, but sd_mc_run spreads the chunks over the processes
 * (par.h); each repetition is timed between two collective agreements
 * (which act as barriers), so the launcher's start-up is not counted;
 * best of REPS.  Rank 0 prints one tab-separated line:
 *   processes threads runs T V seconds tokens_per_second mean_N_rej
 * where a token is one position of one run (draft, test, and on
 * rejection a residual draw).  Not part of make check: `make bench`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

static int program(int argc, char **argv)
{
    sd_model m;
    sd_sim_sd S;
    sd_sim sim;
    sd_mc_config cfg = {0};
    sd_error err;
    double best = 0.0, mean = 0.0;
    int reps, rc;

    if ((rc = bench_load("bench_mpi", argc, argv, 0, "", &m, &cfg, &reps)) != 0)
        return rc;
    if (sd_sim_sd_alloc(&S, &m, SD_SIM_CORRECT, &err) != SD_OK) {
        fprintf(stderr, "bench_mpi: %s\n", err.msg);
        sd_model_free(&m);
        return 3;
    }
    sim = sd_sim_sd_sim(&S);
    cfg.team = sd_par_team();
    rc = bench_time("bench_mpi", &m, &sim, &cfg, reps, &best, &mean);
    if (rc == 0)
        printf("%d\t%d\t%zu\t%zu\t%zu\t%.6f\t%.6g\t%.6f\n", sd_par_size(), cfg.threads,
               cfg.runs, m.T, m.V, best, (double)cfg.runs * (double)m.T / best, mean);
    sd_sim_sd_free(&S);
    sd_model_free(&m);
    return rc;
}

/* One process of an MPI job (par.h). */
int main(int argc, char **argv)
{
    return sd_par_main(program, argc, argv);
}
