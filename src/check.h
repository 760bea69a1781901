/* check.h - verdicts: exact values against Monte Carlo estimates (doc/theory.md §8).
 *
 * A check list collects named checks, each with an exact value, an
 * optional Monte Carlo estimate with its standard error and z-score,
 * and a verdict.  Distribution checks use three layers (doc/design.md
 * Tests): every bin's z-score within z_max, bins of exact probability
 * zero exactly empty, and a global chi-square p-value >= p_min.
 */
#ifndef SD_CHECK_H
#define SD_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum {
    SD_CHECK_VALUE = 0,  /* exact only: a value against a bound or a second method */
    SD_CHECK_Z,          /* exact against estimate +- stderr */
    SD_CHECK_LAW         /* an empirical law against an exact one */
} sd_check_kind;

typedef struct {
    char name[96];        /* short identifier, e.g. "mean", "unbiased t=25" */
    sd_check_kind kind;
    double exact;         /* the exact value (or the bound) */
    double estimate;      /* the Monte Carlo estimate / compared value / empirical TV */
    double stderr_est;    /* its standard error (SD_CHECK_Z) */
    double z;             /* (estimate - exact) / stderr, or max bin |z| (LAW) */
    double chi2, p_value; /* LAW: global chi-square and its p-value */
    size_t df;            /* LAW: degrees of freedom */
    size_t empty_violations; /* LAW: hits in bins of exact probability 0 */
    int pass;
    char detail[160];     /* a plain-language note (tolerance, why it failed) */
} sd_check;

typedef struct {
    sd_check *v;
    size_t n, cap;
} sd_checklist;

void sd_checklist_init(sd_checklist *l);
void sd_checklist_free(sd_checklist *l);
/* 1 if every check passed. */
int sd_checklist_pass(const sd_checklist *l);

/* Append a z-test: pass iff |estimate - exact| <= z_max * stderr.  With
 * stderr = 0 (every run gave the same value) it passes iff estimate and
 * exact agree to 1e-12 relative; with a NaN stderr (undefined, e.g. too
 * few runs) it fails.  Returns SD_ENOMEM or SD_OK. */
sd_status sd_check_z(sd_checklist *l, const char *name, double exact,
                     double estimate, double stderr_est, double z_max,
                     sd_error *err);

/* Append a z-test of a Monte Carlo mean of n runs whose values lie in
 * [0, range] (e.g. rejection counts, range = T).  With stderr_est > 0
 * it is sd_check_z.  When every run gave the same value (stderr 0) a
 * z-test is undefined; the check then asks whether so uniform a sample
 * is plausible: with q the exact probability of other values, q >=
 * |exact - mean| / range and P(all n equal) = (1-q)^n; it fails iff
 * that bound is below the z-test's two-sided false-failure rate at
 * z_max.  Returns SD_ENOMEM or SD_OK. */
sd_status sd_check_mean_bounded(sd_checklist *l, const char *name, double exact,
                                double mean, double stderr_est, double n, double range,
                                double z_max, sd_error *err);

/* The same for a sample variance var (exact variance exact): with var
 * = 0 (every run equal) it uses q >= exact / range^2. */
sd_status sd_check_var_bounded(sd_checklist *l, const char *name, double exact,
                               double var, double stderr_est, double n, double range,
                               double z_max, sd_error *err);

/* Append an exact comparison: pass iff |value - exact| <= tol*max(1,|exact|). */
sd_status sd_check_close(sd_checklist *l, const char *name, double exact,
                         double value, double tol, sd_error *err);

/* Append an inequality check: pass iff value >= bound - tol (or, with
 * below != 0, value <= bound + tol). */
sd_status sd_check_bound(sd_checklist *l, const char *name, double bound,
                         double value, int below, double tol, sd_error *err);

/* Append a three-layer check of counts[0..K-1] (n = their sum) against
 * the law probs[0..K-1].  Bins whose expected count is below 5 are
 * pooled for the chi-square. */
sd_status sd_check_law(sd_checklist *l, const char *name, const uint64_t *counts,
                       const double *probs, size_t K, double z_max, double p_min,
                       sd_error *err);

/* Append a three-layer check of counts[0..K-1] (n = their sum) against
 * probs[0..K-1] whose per-bin layer is exact: a bin with 0 < probs < 1
 * fails iff the binomial two-sided p-value of its count (twice the
 * smaller tail, GSL's binomial CDF; skipped where Slud's inequality or
 * P(X = 0) already bounds the tail above alpha_bin / 2) is below
 * alpha_bin; bins of
 * probability 0 must be empty; the global chi-square needs p-value >=
 * p_min, with every cell of expected count >= 5 (bins of expected count
 * < 5 pooled, and the pool joined to the smallest other cell when its
 * own expectation is < 5).  For a sample from probs the
 * check fails with probability at most alpha_bin times the number of
 * bins with 0 < probs < 1, plus p_min (the chi-square's share is
 * asymptotic).  z holds the largest bin |z| for display, estimate the
 * empirical TV; detail names the worst bin.  SD_ERANGE when n exceeds
 * UINT_MAX, SD_ENOMEM. */
sd_status sd_check_law_exact(sd_checklist *l, const char *name, const uint64_t *counts,
                             const double *probs, size_t K, double alpha_bin, double p_min,
                             sd_error *err);

/* Append an exact binomial test of successes out of n trials of
 * probability prob: it fails iff the two-sided p-value (twice the
 * smaller tail) is below alpha, so with probability at most alpha when
 * the trials are Binomial(n, prob).  prob 0 or 1 requires 0 or n
 * successes.  z is the normal score for display.  SD_ERANGE when n
 * exceeds UINT_MAX, SD_ENOMEM. */
sd_status sd_check_binomial(sd_checklist *l, const char *name, uint64_t successes,
                            uint64_t n, double prob, double alpha, sd_error *err);

/* Standard error of the sample variance of n draws with sample variance
 * var and fourth central moment m4: sqrt((m4 - var^2 (n-3)/(n-1)) / n). */
double sd_check_var_stderr(double var, double m4, double n);

#endif
