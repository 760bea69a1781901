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

#include "bench.h"

int main(int argc, char **argv)
{
    sd_model m;
    sd_rule_sim *as;
    const sd_rule_type *algo;
    sd_sim sim;
    sd_mc_config cfg = {0};
    sd_error err;
    double best = 0.0, mean = 0.0;
    int reps, rc;
    size_t M;

    if ((rc = bench_load("bench_multi", argc, argv, 2, " ALGO M", &m, &cfg, &reps)) != 0)
        return rc;
    algo = sd_rule_find(argv[6]);
    M = strtoul(argv[7], NULL, 10);
    if (algo == NULL || M < 1) {
        fprintf(stderr, "bench_multi: ALGO must be a rule name and M positive\n");
        sd_model_free(&m);
        return 2;
    }
    if (sd_rule_sim_alloc(&as, algo, &m, M, 0, &err) != SD_OK) {
        fprintf(stderr, "bench_multi: %s\n", err.msg);
        sd_model_free(&m);
        return 3;
    }
    sim = sd_rule_sim_get(as);
    rc = bench_time("bench_multi", &m, &sim, &cfg, reps, &best, &mean);
    if (rc == 0)
        printf("%s\t%zu\t%d\t%zu\t%zu\t%zu\t%.6f\t%.6g\t%.6f\n", argv[6], M, cfg.threads,
               cfg.runs, m.T, m.V, best, (double)cfg.runs * (double)m.T / best, mean);
    sd_rule_sim_free(as);
    sd_model_free(&m);
    return rc;
}
