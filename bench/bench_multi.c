/* bench_multi - Monte Carlo throughput of the multi-draft simulations
 * (batch SD, tree verification) beside SD's, through the same entry
 * point as `specdec simulate` (sd_rule_sim + sd_mc_run).
 *
 * Loads a draft/target pair of .npy files, builds the sampling tables
 * once, then times sd_mc_run with the given threads, best of REPS.
 * Prints one tab-separated line:
 *   algo drafts threads runs T V seconds tokens_per_second mean_N_rej
 * where a token is one position of one run.  Not part of make check:
 * `make bench` builds it; bench/run-multi runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "specdec.h"
#include "rule.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    sd_model m;
    sd_rule_sim *as;
    const sd_rule_type *algo;
    sd_sim sim;
    sd_mc_config cfg = {0};
    sd_mc_result res;
    sd_error err;
    double best = 0.0, mean = 0.0;
    int reps, i;
    size_t M;

    if (argc != 8) {
        fprintf(stderr, "usage: bench_multi DRAFT.npy TARGET.npy RUNS THREADS REPS ALGO M\n");
        return 2;
    }
    cfg.runs = strtoul(argv[3], NULL, 10);
    cfg.threads = atoi(argv[4]);
    reps = atoi(argv[5]);
    algo = sd_rule_find(argv[6]);
    M = strtoul(argv[7], NULL, 10);
    cfg.seed = 20241101;
    if (cfg.runs == 0 || cfg.threads < 1 || reps < 1 || algo == NULL || M < 1) {
        fprintf(stderr, "bench_multi: RUNS, THREADS, REPS, M must be positive, ALGO an "
                        "algorithm name\n");
        return 2;
    }
    if (sd_model_load(&m, argv[1], argv[2], 0, NULL, &err) != SD_OK) {
        fprintf(stderr, "bench_multi: %s\n", err.msg);
        return 2;
    }
    if (sd_rule_sim_alloc(&as, algo, &m, M, 0, &err) != SD_OK) {
        fprintf(stderr, "bench_multi: %s\n", err.msg);
        sd_model_free(&m);
        return 3;
    }
    sim = sd_rule_sim_get(as);
    for (i = 0; i < reps; i++) {
        double t0 = now(), dt;
        if (sd_mc_run(&cfg, m.T, m.V, &sim, &res, &err) != SD_OK) {
            fprintf(stderr, "bench_multi: %s\n", err.msg);
            sd_rule_sim_free(as);
            sd_model_free(&m);
            return 3;
        }
        dt = now() - t0;
        if (i == 0 || dt < best)
            best = dt;
        mean = res.mean;
        sd_mc_result_free(&res);
    }
    printf("%s\t%zu\t%d\t%zu\t%zu\t%zu\t%.6f\t%.6g\t%.6f\n", argv[6], M, cfg.threads, cfg.runs,
           m.T, m.V, best, (double)cfg.runs * (double)m.T / best, mean);
    sd_rule_sim_free(as);
    sd_model_free(&m);
    return 0;
}
