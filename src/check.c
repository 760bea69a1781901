/* check.c - verdicts: exact values against Monte Carlo estimates. */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>

#include <gsl/gsl_cdf.h>

#include "alloc.h"
#include "tol.h"

void sd_checklist_init(sd_checklist *l)
{
    memset(l, 0, sizeof *l);
}

void sd_checklist_free(sd_checklist *l)
{
    sd_free(l->v);
    memset(l, 0, sizeof *l);
}

int sd_checklist_pass(const sd_checklist *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (!l->v[i].pass)
            return 0;
    return 1;
}

static sd_check *push(sd_checklist *l, const char *name, sd_check_kind kind,
                      sd_error *err)
{
    sd_check *c;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        sd_check *v = sd_malloc(cap, sizeof *v);
        if (v == NULL) {
            sd_error_set(err, SD_ENOMEM, "out of memory for the check list");
            return NULL;
        }
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        sd_free(l->v);
        l->v = v;
        l->cap = cap;
    }
    c = &l->v[l->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->kind = kind;
    c->z = NAN;
    c->stderr_est = NAN;
    c->estimate = NAN;
    c->chi2 = c->p_value = NAN;
    return c;
}

sd_status sd_check_z(sd_checklist *l, const char *name, double exact,
                     double estimate, double stderr_est, double z_max,
                     sd_error *err)
{
    sd_check *c = push(l, name, SD_CHECK_Z, err);
    if (c == NULL)
        return SD_ENOMEM;
    c->exact = exact;
    c->estimate = estimate;
    c->stderr_est = stderr_est;
    if (isnan(stderr_est)) {
        /* e.g. the variance's standard error from fewer than 4 runs: the
         * check cannot be made, which is not a pass */
        c->pass = 0;
        snprintf(c->detail, sizeof c->detail,
                 "standard error undefined (too few runs): cannot check");
    } else if (stderr_est > 0) {
        c->z = (estimate - exact) / stderr_est;
        c->pass = fabs(c->z) <= z_max;
        snprintf(c->detail, sizeof c->detail, c->pass ? "|z| <= %g" : "|z| > %g", z_max);
    } else {
        c->pass = fabs(estimate - exact) <= SD_TOL_EXACT * fmax(1.0, fabs(exact));
        c->z = c->pass ? 0.0 : (estimate > exact ? INFINITY : -INFINITY);
        snprintf(c->detail, sizeof c->detail,
                 "no spread in the sample: equal to %g required", SD_TOL_EXACT);
    }
    return SD_OK;
}

sd_status sd_check_close(sd_checklist *l, const char *name, double exact,
                         double value, double tol, sd_error *err)
{
    sd_check *c = push(l, name, SD_CHECK_VALUE, err);
    if (c == NULL)
        return SD_ENOMEM;
    c->exact = exact;
    c->estimate = value;
    c->pass = fabs(value - exact) <= tol * fmax(1.0, fabs(exact));
    snprintf(c->detail, sizeof c->detail, c->pass ? "agree to %g relative"
                                                  : "differ by more than %g relative", tol);
    return SD_OK;
}

sd_status sd_check_bound(sd_checklist *l, const char *name, double bound,
                         double value, int below, double tol, sd_error *err)
{
    sd_check *c = push(l, name, SD_CHECK_VALUE, err);
    if (c == NULL)
        return SD_ENOMEM;
    c->exact = bound;
    c->estimate = value;
    c->pass = below ? value <= bound + tol : value >= bound - tol;
    snprintf(c->detail, sizeof c->detail, "value %s bound %s %g",
             below ? (c->pass ? "<=" : ">") : (c->pass ? ">=" : "<"), below ? "+" : "-", tol);
    return SD_OK;
}

/* Fill the common fields of a law check: the empirical TV, the largest
 * bin |z|, the chi-square over bins cells with its p-value, and the
 * draws in bins of probability 0. */
static void law_result(sd_check *c, double tv, double maxz, double chi2, size_t bins,
                       size_t empty)
{
    c->exact = 0.0;
    c->estimate = tv;
    c->z = maxz;
    c->chi2 = chi2;
    c->df = bins > 1 ? bins - 1 : 0;
    c->p_value = c->df > 0 ? gsl_cdf_chisq_Q(chi2, (double)c->df) : 1.0;
    c->empty_violations = empty;
}

/* Binomial tails of a count o of n draws of probability q: the smaller
 * of P(X >= o) and P(X <= o), doubled and capped at 1.  (No shortcut for
 * counts next to the mean: with n q = 0.02, the count 1 = ceil(n q) has
 * the upper tail P(X >= 1) = 0.0198.) */
static double binom_two_sided(uint64_t o, double n, double q)
{
    double e = n * q, t;
    unsigned nn = (unsigned)n, k = (unsigned)o;
    if ((double)o == e)
        return 1.0; /* e is then the median: both tails are >= 1/2 */
    if ((double)o > e)
        t = gsl_cdf_binomial_Q(k - 1, q, nn);   /* P(X > o-1) = P(X >= o) */
    else
        t = gsl_cdf_binomial_P(k, q, nn);
    return t >= 0.5 ? 1.0 : 2.0 * t;
}

/* The two-sided p-value of a bin when it may be below alpha, else 1.
 * Exact tails are skipped where a lower bound already shows the tail on
 * the count's side is >= alpha / 2: Slud's inequality (Ann. Probab. 5,
 * 1977: for q <= 1/4 and k >= nq, P(X >= k) >= 1 - Phi((k - nq) /
 * sqrt(nq(1-q)))), applied to X for upper tails and to n - X for lower
 * tails when q >= 3/4, and P(X <= k) >= P(X = 0) = (1-q)^n.  zcrit =
 * Phi^-1(1 - alpha/2). */
static double bin_pvalue(uint64_t o, double n, double q, double alpha, double zcrit)
{
    double e = n * q, sd = sqrt(e * (1.0 - q));
    if ((double)o > e) {
        if (q <= 0.25 && ((double)o - e) / sd <= zcrit)
            return 1.0;
    } else {
        if (n * log1p(-q) >= log(alpha / 2.0))
            return 1.0;
        if (q >= 0.75 && (e - (double)o) / sd <= zcrit)
            return 1.0;
    }
    return binom_two_sided(o, n, q);
}

/* What one pass over the bins of a law check finds. */
typedef struct {
    double n;       /* draws */
    double tv;      /* total variation between the frequencies and the law */
    double chi2;    /* over the cells of expectation >= 5 (see scan_law) */
    size_t bins;    /* cells of the chi-square */
    size_t empty;   /* draws in bins of probability 0 */
    double maxz;    /* the largest |z| of a bin */
    double minp;    /* the smallest two-sided binomial p-value of a bin ... */
    size_t worst;   /* ... and its bin */
} law_scan;

/* One pass over the K bins.  Bins of expectation < 5 are pooled into one
 * cell; a pool below 5 joins the large cell of least expectation (a cell
 * of expectation 0.01 hit once would add 98 to the statistic: the
 * chi-square law holds only for cells of expectation >= 5).  Each bin of
 * probability in (0, 1) gets its two-sided binomial p-value where it may
 * be below alpha (bin_pvalue; zcrit = Phi^-1(1 - alpha/2)) and a |z|:
 * with exact_z the normal quantile of that same tail, Phi^-1(1 - p/2), so
 * that |z| <= zcrit holds exactly when p >= alpha, whatever the bin's
 * expectation (the plain (o - e) / sd of a bin of expectation 0.01 hit
 * once is 9.9, an event of probability 0.01); otherwise (o - e) / sd.
 * With exact_z and more than UINT_MAX draws (beyond GSL's binomial) the
 * normal |z| is used. */
static void scan_law(const uint64_t *counts, const double *probs, size_t K, double alpha,
                     int exact_z, law_scan *s)
{
    double pool_o = 0.0, pool_e = 0.0, small_o = 0.0, small_e = INFINITY;
    double zcrit = gsl_cdf_ugaussian_Qinv(alpha / 2.0);
    size_t k;
    memset(s, 0, sizeof *s);
    s->minp = 1.0;
    for (k = 0; k < K; k++)
        s->n += (double)counts[k];
    for (k = 0; k < K; k++) {
        double o = (double)counts[k], e = s->n * probs[k];
        s->tv += 0.5 * fabs(o / (s->n > 0 ? s->n : 1.0) - probs[k]);
        if (probs[k] <= 0.0) {
            s->empty += (size_t)counts[k];
            continue;
        }
        if (probs[k] < 1.0) {
            double z = fabs(o - e) / sqrt(e * (1.0 - probs[k])), pv = 1.0;
            if (s->n <= (double)UINT_MAX) {
                pv = bin_pvalue(counts[k], s->n, probs[k], alpha, zcrit);
                if (pv < s->minp) {
                    s->minp = pv;
                    s->worst = k;
                }
                if (exact_z && pv < 1.0 && pv > 0.0)
                    z = gsl_cdf_ugaussian_Qinv(pv / 2.0);
            }
            if (z > s->maxz)
                s->maxz = z;
        }
        if (e >= 5.0) {
            s->chi2 += (o - e) * (o - e) / e;
            s->bins++;
            if (e < small_e) {
                small_e = e;
                small_o = o;
            }
        } else {
            pool_o += o;
            pool_e += e;
        }
    }
    if (pool_e >= 5.0 || (pool_e > 0.0 && s->bins == 0)) {
        s->chi2 += (pool_o - pool_e) * (pool_o - pool_e) / pool_e;
        s->bins++;
    } else if (pool_e > 0.0) {
        s->chi2 -= (small_o - small_e) * (small_o - small_e) / small_e;
        small_o += pool_o;
        small_e += pool_e;
        s->chi2 += (small_o - small_e) * (small_o - small_e) / small_e;
    }
}

sd_status sd_check_law(sd_checklist *l, const char *name, const uint64_t *counts,
                       const double *probs, size_t K, double z_max, double p_min,
                       sd_error *err)
{
    sd_check *c = push(l, name, SD_CHECK_LAW, err);
    law_scan s;
    if (c == NULL)
        return SD_ENOMEM;
    scan_law(counts, probs, K, 2.0 * gsl_cdf_ugaussian_Q(z_max), 1, &s);
    law_result(c, s.tv, s.maxz, s.chi2, s.bins, s.empty);
    c->pass = s.maxz <= z_max && s.empty == 0 && c->p_value >= p_min;
    if (s.empty)
        snprintf(c->detail, sizeof c->detail, "%zu draws in bins of probability 0", s.empty);
    else if (s.maxz > z_max)
        snprintf(c->detail, sizeof c->detail, "a bin is off by |z| = %.3g > %g", s.maxz, z_max);
    else if (c->p_value < p_min)
        snprintf(c->detail, sizeof c->detail, "chi-square p = %.3g < %g", c->p_value, p_min);
    else
        snprintf(c->detail, sizeof c->detail, "bins |z| <= %g, zero bins empty, p >= %g",
                 z_max, p_min);
    return SD_OK;
}

sd_status sd_check_law_exact(sd_checklist *l, const char *name, const uint64_t *counts,
                             const double *probs, size_t K, double alpha_bin, double p_min,
                             sd_error *err)
{
    sd_check *c;
    law_scan s;
    double n = 0.0;
    size_t k;
    for (k = 0; k < K; k++)
        n += (double)counts[k];
    if (n > (double)UINT_MAX)
        return sd_error_set(err, SD_ERANGE, "%s: %.0f draws, more than the binomial test "
                            "handles (%u)", name, n, UINT_MAX);
    c = push(l, name, SD_CHECK_LAW, err);
    if (c == NULL)
        return SD_ENOMEM;
    scan_law(counts, probs, K, alpha_bin, 0, &s);
    law_result(c, s.tv, s.maxz, s.chi2, s.bins, s.empty);
    c->pass = s.minp >= alpha_bin && s.empty == 0 && c->p_value >= p_min;
    if (s.empty)
        snprintf(c->detail, sizeof c->detail, "%zu draws in bins of probability 0", s.empty);
    else if (s.minp < alpha_bin)
        snprintf(c->detail, sizeof c->detail,
                 "token %zu: %llu draws, expected %.4g (binomial p = %.3g < %.3g)", s.worst,
                 (unsigned long long)counts[s.worst], n * probs[s.worst], s.minp, alpha_bin);
    else if (c->p_value < p_min)
        snprintf(c->detail, sizeof c->detail, "chi-square p = %.3g < %.3g", c->p_value, p_min);
    else
        snprintf(c->detail, sizeof c->detail,
                 "bins binomial p >= %.3g, zero bins empty, chi-square p >= %.3g", alpha_bin,
                 p_min);
    return SD_OK;
}

sd_status sd_check_binomial(sd_checklist *l, const char *name, uint64_t successes,
                            uint64_t n, double prob, double alpha, sd_error *err)
{
    sd_check *c;
    double pv, sd;
    if ((double)n > (double)UINT_MAX)
        return sd_error_set(err, SD_ERANGE, "%s: %llu trials, more than the binomial test "
                            "handles (%u)", name, (unsigned long long)n, UINT_MAX);
    c = push(l, name, SD_CHECK_Z, err);
    if (c == NULL)
        return SD_ENOMEM;
    c->exact = prob;
    c->estimate = n ? (double)successes / (double)n : NAN;
    sd = sqrt(prob * (1.0 - prob) / (double)n);
    c->stderr_est = sd;
    if (prob <= 0.0 || prob >= 1.0) {
        /* a certain outcome: every trial must show it */
        uint64_t want = prob >= 1.0 ? n : 0;
        c->pass = successes == want;
        c->z = c->pass ? 0.0 : (successes > want ? INFINITY : -INFINITY);
        snprintf(c->detail, sizeof c->detail, "probability %g: %llu of %llu required", prob,
                 (unsigned long long)want, (unsigned long long)n);
        return SD_OK;
    }
    c->z = (c->estimate - prob) / sd;
    pv = binom_two_sided(successes, (double)n, prob);
    c->pass = pv >= alpha;
    snprintf(c->detail, sizeof c->detail, "binomial two-sided p = %.3g %s %.3g", pv,
             c->pass ? ">=" : "<", alpha);
    return SD_OK;
}

/* The test for a sample in which all n runs gave the same value: if the
 * exact law puts probability q >= qmin off that value, P(all n equal) =
 * (1-q)^n <= (1-qmin)^n; the sample is implausible when that is below
 * the two-sided normal tail of z_max (the z-test's own false-failure
 * rate). */
static sd_status uniform_sample(sd_checklist *l, const char *name, double exact,
                                double estimate, double n, double qmin, double z_max,
                                sd_error *err)
{
    sd_check *c = push(l, name, SD_CHECK_Z, err);
    double alpha = 2.0 * gsl_cdf_ugaussian_Q(z_max), bound;
    if (c == NULL)
        return SD_ENOMEM;
    qmin = qmin < 0.0 ? 0.0 : (qmin > 1.0 ? 1.0 : qmin);
    bound = exp(n * log1p(-qmin));
    c->exact = exact;
    c->estimate = estimate;
    c->stderr_est = 0.0;
    c->pass = bound >= alpha;
    c->z = c->pass ? 0.0 : (estimate > exact ? INFINITY : -INFINITY);
    snprintf(c->detail, sizeof c->detail,
             "all %.0f runs equal: P(that) <= %.3g, %s %.3g", n, bound,
             c->pass ? ">=" : "<", alpha);
    return SD_OK;
}

sd_status sd_check_mean_bounded(sd_checklist *l, const char *name, double exact,
                                double mean, double stderr_est, double n, double range,
                                double z_max, sd_error *err)
{
    if (!(stderr_est == 0.0) || !(range > 0.0))
        return sd_check_z(l, name, exact, mean, stderr_est, z_max, err);
    /* |E - c| <= q * range when the values lie in an interval of that width */
    return uniform_sample(l, name, exact, mean, n, fabs(exact - mean) / range, z_max, err);
}

sd_status sd_check_var_bounded(sd_checklist *l, const char *name, double exact,
                               double var, double stderr_est, double n, double range,
                               double z_max, sd_error *err)
{
    if (!(var == 0.0) || !(range > 0.0))
        return sd_check_z(l, name, exact, var, stderr_est, z_max, err);
    /* Var <= E[(N - c)^2] <= q * range^2 */
    return uniform_sample(l, name, exact, var, n, exact / (range * range), z_max, err);
}

double sd_check_var_stderr(double var, double m4, double n)
{
    double v;
    if (n < 4)
        return NAN;
    v = (m4 - var * var * (n - 3.0) / (n - 1.0)) / n;
    return v > 0 ? sqrt(v) : 0.0;
}
