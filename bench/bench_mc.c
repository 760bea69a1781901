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
    return bench_sd_main("bench_mc", 0, argc, argv);
}
