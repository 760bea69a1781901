/* check.c - verdicts: exact values against Monte Carlo estimates. */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "alloc.h"

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
        c->pass = fabs(estimate - exact) <= 1e-12 * fmax(1.0, fabs(exact));
        c->z = c->pass ? 0.0 : (estimate > exact ? INFINITY : -INFINITY);
        snprintf(c->detail, sizeof c->detail,
                 "no spread in the sample: equal to 1e-12 required");
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

sd_status sd_check_law(sd_checklist *l, const char *name, const uint64_t *counts,
                       const double *probs, size_t K, double z_max, double p_min,
                       sd_error *err)
{
    sd_check *c = push(l, name, SD_CHECK_LAW, err);
    double n = 0.0, chi2 = 0.0, pool_o = 0.0, pool_e = 0.0, maxz = 0.0, tv = 0.0;
    size_t k, bins = 0, empty = 0;
    if (c == NULL)
        return SD_ENOMEM;
    for (k = 0; k < K; k++)
        n += (double)counts[k];
    for (k = 0; k < K; k++) {
        double o = (double)counts[k], e = n * probs[k];
        tv += 0.5 * fabs(o / (n > 0 ? n : 1.0) - probs[k]);
        if (probs[k] <= 0.0) {
            if (counts[k] != 0)
                empty += (size_t)counts[k];
            continue;
        }
        if (probs[k] < 1.0) {
            double z = (o - e) / sqrt(e * (1.0 - probs[k]));
            if (fabs(z) > maxz)
                maxz = fabs(z);
        }
        if (e >= 5.0) {
            chi2 += (o - e) * (o - e) / e;
            bins++;
        } else {
            pool_o += o;
            pool_e += e;
        }
    }
    if (pool_e > 0.0) {
        chi2 += (pool_o - pool_e) * (pool_o - pool_e) / pool_e;
        bins++;
    }
    c->exact = 0.0;
    c->estimate = tv;
    c->z = maxz;
    c->chi2 = chi2;
    c->df = bins > 1 ? bins - 1 : 0;
    c->p_value = c->df > 0 ? gsl_cdf_chisq_Q(chi2, (double)c->df) : 1.0;
    c->empty_violations = empty;
    c->pass = maxz <= z_max && empty == 0 && c->p_value >= p_min;
    if (empty)
        snprintf(c->detail, sizeof c->detail, "%zu draws in bins of probability 0", empty);
    else if (maxz > z_max)
        snprintf(c->detail, sizeof c->detail, "a bin is off by |z| = %.3g > %g", maxz, z_max);
    else if (c->p_value < p_min)
        snprintf(c->detail, sizeof c->detail, "chi-square p = %.3g < %g", c->p_value, p_min);
    else
        snprintf(c->detail, sizeof c->detail, "bins |z| <= %g, zero bins empty, p >= %g",
                 z_max, p_min);
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
