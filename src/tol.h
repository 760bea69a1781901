/* tol.h - the toolkit's named tolerances and check limits.
 *
 * The library computes; the caller decides how close is close enough and
 * passes these (or its own values) into the functions that take a
 * tolerance (sd_model_validate, sd_check_close, sd_check_bound, ...).
 * Every tolerance of the toolkit is named here, with why it has its
 * value; code and tests use the names, not the literals.
 */
#ifndef SD_TOL_H
#define SD_TOL_H

/* Row sums of kernels and start laws read from files: a row within this
 * of 1 is renormalised, one further off is refused (float64 inputs;
 * float32 ones carry about 7 digits). */
#define SD_TOL_ROW_F64 1e-6
#define SD_TOL_ROW_F32 1e-4

/* Exact against exact: two independent computations of one quantity in
 * double precision (different summation orders, recursions, BLAS)
 * agree to this, relative to max(1, |value|). */
#define SD_TOL_EXACT 1e-12

/* Exact against exact where one side sums many more terms (dynamic
 * programs over slots against recursions) or is a quadrature with
 * absolute error about 1e-13 per piece. */
#define SD_TOL_EXACT_LOOSE 1e-10

/* A linear program solved by GLPK (feasibility tolerances
 * SD_TOL_GLPK) against its exact min-cut form. */
#define SD_TOL_LP 1e-9

/* GLPK's primal and dual feasibility tolerances for the alpha*_k linear
 * program (its defaults, 1e-7, leave the optimum off by about 1e-7). */
#define SD_TOL_GLPK 1e-12

/* Quadrature of the exponential-race (ERSD) acceptance law on chains:
 * absolute and relative tolerance per piece of each acc[y]/Q(y), and the
 * subinterval limit per piece; each row is then accurate to about 1e-12. */
#define SD_ERSD_CHAIN_EPSABS 1e-13
#define SD_ERSD_CHAIN_EPSREL 1e-12
#define SD_ERSD_CHAIN_LIMIT 1000

/* Default z-score limit of a Monte Carlo check (doc/theory.md §8): a
 * correct simulation fails one z-test with probability 6.8e-6. */
#define SD_Z_MAX_DEFAULT 4.5

/* Default lower limit of a chi-square p-value in the law checks. */
#define SD_P_MIN_DEFAULT 1e-6

#endif
