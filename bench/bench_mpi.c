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
    return bench_sd_main("bench_mpi", 1, argc, argv);
}

/* One process of an MPI job (par.h). */
int main(int argc, char **argv)
{
    return sd_par_main(program, argc, argv);
}
