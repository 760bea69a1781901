/* ersd.c - exponential races (doc/theory.md §6.4): closed form, quadrature, race. */
#include "ersd.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "alloc.h"

double sd_ersd_accept_k1(const double *p, const double *q, size_t V)
{
    double acc = 0.0;
    size_t x, y;
    for (y = 0; y < V; y++) {
        double d = 0.0;
        if (!(p[y] > 0.0 && q[y] > 0.0))
            continue;
        for (x = 0; x < V; x++) {
            double a = q[x] / q[y], b = p[x] / p[y];
            d += a > b ? a : b;
        }
        acc += 1.0 / d;
    }
    return acc;
}

sd_status sd_ersd_ws_alloc(sd_ersd_ws **out, size_t V, size_t k_max, double epsabs,
                           double epsrel, size_t limit, sd_error *err)
{
    sd_ersd_ws *ws;
    *out = NULL;
    if (V == 0 || k_max == 0 || limit == 0)
        return sd_error_set(err, SD_EINVAL, "ERSD workspace: V, k and the subinterval limit "
                                            "must be positive");
    if (!(epsabs > 0.0) && !(epsrel > 0.0))
        return sd_error_set(err, SD_EINVAL, "ERSD workspace: a positive absolute or relative "
                                            "tolerance is required");
    ws = sd_calloc(1, sizeof *ws);
    if (ws == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory for the ERSD workspace");
    ws->V = V;
    ws->k_max = k_max;
    ws->epsabs = epsabs > 0.0 ? epsabs : 0.0;
    ws->epsrel = epsrel > 0.0 ? epsrel : 0.0;
    ws->limit = limit;
    ws->c = sd_malloc(V, sizeof(double));
    ws->dp = sd_malloc(k_max, sizeof(double));
    sd_gsl_quiet();
    if (ws->c != NULL && ws->dp != NULL)
        ws->w = gsl_integration_workspace_alloc(limit);
    if (ws->w == NULL) {
        sd_ersd_ws_free(ws);
        return sd_error_set(err, SD_ENOMEM, "out of memory for the ERSD workspace");
    }
    *out = ws;
    return SD_OK;
}

void sd_ersd_ws_free(sd_ersd_ws *ws)
{
    if (ws == NULL)
        return;
    if (ws->w)
        gsl_integration_workspace_free(ws->w);
    sd_free(ws->c);
    sd_free(ws->dp);
    sd_free(ws);
}

/* Integrand state: the n rates c[0..n-1] of the tokens that can beat y. */
typedef struct {
    const double *c;
    size_t n, k;
    double *dp;
} race_args;

/* e^{-s} P(fewer than k of n independent events of probabilities
 * 1 - exp(-s c_j)), by the recursion on dp[j] = P(j events so far), j < k. */
static double integrand(double s, void *arg)
{
    const race_args *a = arg;
    size_t i, j;
    double tail = 0.0;
    a->dp[0] = 1.0;
    for (j = 1; j < a->k; j++)
        a->dp[j] = 0.0;
    for (i = 0; i < a->n; i++) {
        double pi = -expm1(-s * a->c[i]), stay = 1.0 - pi;
        for (j = a->k - 1; j > 0; j--)
            a->dp[j] = a->dp[j] * stay + a->dp[j - 1] * pi;
        a->dp[0] *= stay;
    }
    for (j = 0; j < a->k; j++)
        tail += a->dp[j];
    return exp(-s) * tail;
}

/* F(s) at s = u / scale: the integrand on the scaled axis. */
typedef struct {
    gsl_function *F;
    double scale;
} scaled_args;

static double scaled(double u, void *arg)
{
    const scaled_args *a = arg;
    return GSL_FN_EVAL(a->F, u / a->scale);
}

/* int_0^inf F by pieces.  The integrand varies on the scales 1/c_x of
 * the n rates in ws->c (and 1 for e^{-s}), which can be many orders
 * apart: a token with Q(y)/P(y) = 1e6 has all its mass below s = 1e-5,
 * and over [1/c, 1] a Gauss-Kronrod rule never sees it.  So the pieces
 * form a geometric grid [0, h], [h, 2h], [2h, 4h], ... from
 * h = 1/(1 + sum_x c_x), the fastest scale, up to s = 1, each integrated
 * with gsl_integration_qags (on [a, 2a] every component changes by a
 * bounded factor), then gsl_integration_qagiu beyond 1; values and error
 * estimates are summed.  Below s = 1 the integration runs on the axis
 * u = s / h, so that a rate as large as 1e307 (a draft probability near
 * the smallest subnormal) never gives the rule pieces of subnormal
 * width. */
static int integrate(gsl_function *F, sd_ersd_ws *ws, size_t n, double *val, double *abserr)
{
    size_t i;
    double lo = 0.0, hi, tot = 1.0, v, e;
    int st;
    scaled_args sa;
    gsl_function G;
    for (i = 0; i < n; i++)
        tot += ws->c[i];
    sa.F = F;
    sa.scale = tot;
    G.function = scaled;
    G.params = &sa;
    *val = *abserr = 0.0;
    for (hi = 1.0; hi < tot; hi *= 2.0) {
        st = gsl_integration_qags(&G, lo, hi, ws->epsabs * tot, ws->epsrel, ws->limit, ws->w,
                                  &v, &e);
        if (st != GSL_SUCCESS)
            return st;
        *val += v / tot;
        *abserr += e / tot;
        lo = hi;
    }
    lo = lo / tot;
    st = gsl_integration_qagiu(F, lo, ws->epsabs, ws->epsrel, ws->limit, ws->w, &v, &e);
    if (st != GSL_SUCCESS)
        return st;
    *val += v;
    *abserr += e;
    return GSL_SUCCESS;
}

sd_status sd_ersd_acc(const double *p, const double *q, size_t V, size_t k, sd_ersd_ws *ws,
                      double *acc, double *abserr, sd_error *err)
{
    race_args a;
    gsl_function F;
    double errsum = 0.0;
    size_t x, y;
    if (k == 0 || V == 0 || ws == NULL || V != ws->V || k > ws->k_max)
        return sd_error_set(err, SD_EINVAL, "ERSD: k = %zu drafts, V = %zu does not fit the "
                                            "workspace", k, V);
    a.c = ws->c;
    a.dp = ws->dp;
    F.function = integrand;
    F.params = &a;
    for (y = 0; y < V; y++) {
        double val, e;
        int st;
        acc[y] = 0.0;
        if (!(p[y] > 0.0 && q[y] > 0.0))
            continue;
        a.n = 0;
        a.k = k;
        for (x = 0; x < V; x++) {
            double c = q[y] * (p[x] / p[y]) - q[x];
            if (x == y || !(c > 0.0))
                continue;
            if (!(c <= DBL_MAX / (double)V)) /* P(y) subnormal against P(x): */
                a.k--;                      /* x beats y at once, surely */
            else
                ws->c[a.n++] = c;
            if (a.k == 0)
                break;
        }
        if (a.k == 0) { /* k tokens beat y at once: never a draft */
            acc[y] = 0.0;
            continue;
        }
        if (a.n < a.k) { /* fewer than k tokens can ever beat y */
            acc[y] = q[y];
            continue;
        }
        st = integrate(&F, ws, a.n, &val, &e);
        if (st != GSL_SUCCESS) {
            ws->abserr = NAN;
            return sd_error_set(err, SD_EINTERNAL, "ERSD: quadrature for token %zu, k = %zu "
                                                   "failed: %s", y, k, gsl_strerror(st));
        }
        acc[y] = q[y] * val;
        errsum += q[y] * e;
    }
    ws->abserr = errsum;
    if (abserr != NULL)
        *abserr = errsum;
    return SD_OK;
}

sd_status sd_ersd_accept(const double *p, const double *q, size_t V, size_t k,
                         sd_ersd_ws *ws, double *alpha, double *abserr, sd_error *err)
{
    double *acc = sd_malloc(V, sizeof(double)), s = 0.0;
    size_t y;
    sd_status rc;
    if (acc == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    rc = sd_ersd_acc(p, q, V, k, ws, acc, abserr, err);
    for (y = 0; rc == SD_OK && y < V; y++)
        s += acc[y];
    sd_free(acc);
    if (rc == SD_OK)
        *alpha = s;
    return rc;
}

sd_status sd_ersd_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                       sd_step *out, sd_error *err)
{
    double a = 0.0, tot = 0.0;
    size_t y;
    sd_status rc = sd_ersd_acc(p, q, V, k, ws, out->acc, NULL, err);
    if (rc != SD_OK)
        return rc;
    for (y = 0; y < V; y++) {
        double w = q[y] - out->acc[y];
        a += out->acc[y];
        out->res[y] = w > 0.0 ? w : 0.0;
        tot += out->res[y];
    }
    out->rej = a < 1.0 ? 1.0 - a : 0.0;
    for (y = 0; y < V; y++)
        out->res[y] = out->rej > 0.0 && tot > 0.0 ? out->res[y] / tot : 0.0;
    if (!(tot > 0.0))
        out->rej = 0.0;
    return SD_OK;
}

size_t sd_ersd_race(const double *p, const double *q, size_t V, size_t k, gsl_rng *r,
                    double *clocks, int *accepted)
{
    size_t x, y = V, beat = 0;
    double best = INFINITY, ty;
    for (x = 0; x < V; x++) {
        clocks[x] = gsl_ran_exponential(r, 1.0);
        if (q[x] > 0.0 && clocks[x] / q[x] < best) {
            best = clocks[x] / q[x];
            y = x;
        }
    }
    if (!(p[y] > 0.0)) {
        *accepted = 0;
        return y;
    }
    ty = clocks[y] / p[y];
    for (x = 0; x < V; x++)
        if (x != y && p[x] > 0.0 && clocks[x] / p[x] < ty)
            beat++;
    *accepted = beat < k;
    return y;
}

static sd_status rs_ws_alloc(const void *ctx, void **ws, sd_error *err)
{
    const sd_ersd_sim *S = ctx;
    *ws = sd_malloc(S->m->V, sizeof(double));
    return *ws != NULL ? SD_OK : sd_error_set(err, SD_ENOMEM, "out of memory for race clocks");
}

static int rs_verify(const void *ctx, void *ws, size_t t, size_t s, gsl_rng *r, size_t *y)
{
    const sd_ersd_sim *S = ctx;
    int accepted;
    *y = sd_ersd_race(sd_model_p(S->m, t, s), sd_model_q(S->m, t, s), S->m->V, S->M, r, ws,
                      &accepted);
    return accepted;
}

sd_rs_verifier sd_ersd_rs_verifier(const sd_ersd_sim *s)
{
    return (sd_rs_verifier){s, rs_ws_alloc, sd_free, rs_verify};
}
