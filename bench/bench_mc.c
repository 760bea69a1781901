/* bench_mc - Monte Carlo throughput of the literal SD simulation.
 *
 * Loads a draft/target pair of .npy files, builds the sampling tables
 * once, then times sd_mc_run (the engine behind `specdec simulate`) with
 * the given number of threads, best of REPS repetitions.  Prints one
 * tab-separated line:
 *   threads runs T V seconds tokens_per_second mean_N_rej
 * where a token is one position of one run (draft, test, and on
 * rejection a residual draw).  Not part of make check: `make bench`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

int main(int argc, char **argv)
{
    sd_model m;
    sd_sim_sd S;
    sd_sim sim;
    sd_mc_config cfg = {0};
    sd_error err;
    double best = 0.0, mean = 0.0;
    int reps, rc;

    if ((rc = bench_load("bench_mc", argc, argv, 0, "", &m, &cfg, &reps)) != 0)
        return rc;
    if (sd_sim_sd_alloc(&S, &m, SD_SIM_CORRECT, &err) != SD_OK) {
        fprintf(stderr, "bench_mc: %s\n", err.msg);
        sd_model_free(&m);
        return 3;
    }
    sim = sd_sim_sd_sim(&S);
    rc = bench_time("bench_mc", &m, &sim, &cfg, reps, &best, &mean);
    if (rc == 0)
        printf("%d\t%zu\t%zu\t%zu\t%.6f\t%.6g\t%.6f\n", cfg.threads, cfg.runs, m.T, m.V,
               best, (double)cfg.runs * (double)m.T / best, mean);
    sd_sim_sd_free(&S);
    sd_model_free(&m);
    return rc;
}
