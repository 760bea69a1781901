/* bench_exact - Theorem 1's exact E[N_rej] against its BLAS floor.
 *
 * On a random stationary paper-family chain (default V = 2048, T = 200)
 * times sd_exact_sd_mean, which propagates the q-marginal with T - 1
 * dgemv calls plus one pass over both kernels for the TV row vector,
 * against T bare gsl_blas_dgemv(CblasTrans) calls on the same target
 * matrix (the cost of the propagation alone), best of REPS each.
 * Prints one tab-separated line:
 *   V T exact_seconds dgemv_seconds ratio E[N_rej]
 * Not part of make check: `make bench`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_blas.h>

#include "specdec.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* T bare dgemv calls y = Q^T x, alternating x and y as the propagation does. */
static double time_dgemv(const sd_model *m, double *a, double *b)
{
    size_t t, V = m->V;
    double t0 = now();
    gsl_matrix_const_view Q = gsl_matrix_const_view_array(m->Q, V, V);
    for (t = 0; t < m->T; t++) {
        gsl_vector_const_view x = gsl_vector_const_view_array(t % 2 ? b : a, V);
        gsl_vector_view y = gsl_vector_view_array(t % 2 ? a : b, V);
        gsl_blas_dgemv(CblasTrans, 1.0, &Q.matrix, &x.vector, 0.0, &y.vector);
    }
    return now() - t0;
}

int main(int argc, char **argv)
{
    size_t V = argc > 1 ? strtoul(argv[1], NULL, 10) : 2048;
    size_t T = argc > 2 ? strtoul(argv[2], NULL, 10) : 200;
    int reps = argc > 3 ? atoi(argv[3]) : 5, i;
    double best_exact = 0.0, best_gemv = 0.0, mean = 0.0, *a, *b;
    size_t x;
    sd_model m;
    sd_error err;

    if (V == 0 || T == 0 || reps < 1) {
        fprintf(stderr, "usage: bench_exact [V [T [REPS]]]\n");
        return 2;
    }
    if (sd_model_random(&m, V, T, SD_FAMILY_PAPER, 1.0, 1, 1, &err) != SD_OK) {
        fprintf(stderr, "bench_exact: %s\n", err.msg);
        return 3;
    }
    a = malloc(V * sizeof(double));
    b = malloc(V * sizeof(double));
    if (a == NULL || b == NULL) {
        fprintf(stderr, "bench_exact: out of memory\n");
        return 3;
    }
    for (x = 0; x < V; x++)
        a[x] = 1.0 / (double)V;
    /* interleave the two timings so that drifts of the machine hit both */
    for (i = 0; i < reps; i++) {
        double t0 = now(), dt, dg;
        if (sd_exact_sd_mean(&m, &mean, &err) != SD_OK) {
            fprintf(stderr, "bench_exact: %s\n", err.msg);
            return 3;
        }
        dt = now() - t0;
        dg = time_dgemv(&m, a, b);
        if (i == 0 || dt < best_exact)
            best_exact = dt;
        if (i == 0 || dg < best_gemv)
            best_gemv = dg;
    }
    printf("%zu\t%zu\t%.6f\t%.6f\t%.3f\t%.12g\n", V, T, best_exact, best_gemv,
           best_exact / best_gemv, mean);
    free(a);
    free(b);
    sd_model_free(&m);
    return 0;
}
