/* biased.c - biased token rules (b, R) at one step (doc/theory.md §4). */
#include "biased.h"

#include "names.h"

#include <math.h>
#include <string.h>

static const char *const resample_names[] = {"opt", "uno"}; /* by sd_resample */

int sd_resample_parse(const char *name)
{
    return sd_names_find(resample_names, SD_NAMES_N(resample_names), name);
}

const char *sd_resample_name(sd_resample r)
{
    return r == SD_RESAMPLE_UNO ? "uno" : "opt";
}

void sd_biased_mass(const double *b, const double *p, size_t V, double *w)
{
    size_t x;
    for (x = 0; x < V; x++)
        w[x] = b[x] * p[x];
}

void sd_biased_b_eps(const double *p, const double *q, size_t V, double eps, double *b)
{
    size_t x;
    for (x = 0; x < V; x++) {
        double num = q[x] + eps;
        b[x] = (p[x] > 0.0 && num < p[x]) ? num / p[x] : 1.0;
    }
}

void sd_biased_w_eps(const double *p, const double *q, size_t V, double eps, double *w)
{
    size_t x;
    for (x = 0; x < V; x++) {
        double num = q[x] + eps;
        w[x] = num < p[x] ? num : p[x];
    }
}

double sd_biased_accept(const double *w, size_t V)
{
    double a = 0.0;
    size_t x;
    for (x = 0; x < V; x++)
        a += w[x];
    return a < 0.0 ? 0.0 : (a > 1.0 ? 1.0 : a);
}

double sd_biased_loss_star(const double *w, const double *q, size_t V)
{
    return sd_tv(q, w, V); /* sum [w - q]_+ */
}

double sd_biased_front(const double *w, const double *q, size_t V)
{
    double m = 0.0;
    size_t x;
    for (x = 0; x < V; x++)
        m += w[x] < q[x] ? w[x] : q[x];
    return 1.0 - m;
}

double sd_biased_r_star(const double *w, const double *q, size_t V, double *r)
{
    return sd_residual(w, q, V, r);
}

void sd_biased_output(const double *w, const double *r, size_t V, double *o)
{
    double rej = 1.0 - sd_biased_accept(w, V);
    size_t x;
    for (x = 0; x < V; x++)
        o[x] = w[x] + rej * r[x];
}

double sd_biased_loss_tv(const double *w, const double *r, const double *q, size_t V)
{
    double rej = 1.0 - sd_biased_accept(w, V), d = 0.0;
    size_t x;
    for (x = 0; x < V; x++)
        d += fabs(w[x] + rej * r[x] - q[x]);
    return 0.5 * d;
}

void sd_biased_step(const double *w, const double *q, size_t V, sd_resample resample,
                    sd_step *out)
{
    size_t x;
    out->rej = 1.0 - sd_biased_accept(w, V);
    if (out->acc != w)
        memcpy(out->acc, w, V * sizeof(double));
    if (!(out->rej > 0.0))
        memset(out->res, 0, V * sizeof(double));
    else if (resample == SD_RESAMPLE_UNO)
        for (x = 0; x < V; x++)
            out->res[x] = q[x];
    else
        sd_biased_r_star(w, q, V, out->res);
}

void sd_biased_eps_step(const double *p, const double *q, size_t V, double eps,
                        sd_resample resample, sd_step *out)
{
    sd_biased_w_eps(p, q, V, eps, out->acc);
    sd_biased_step(out->acc, q, V, resample, out);
}

double sd_biased_typical_threshold(const double *q, size_t V, double eps, double delta)
{
    double H = 0.0, t;
    size_t x;
    for (x = 0; x < V; x++)
        if (q[x] > 0.0)
            H -= q[x] * log(q[x]);
    t = delta * exp(-H);
    return eps < t ? eps : t;
}

void sd_biased_w_typical(const double *p, const double *q, size_t V, double eps, double delta,
                         double *w)
{
    double thr = sd_biased_typical_threshold(q, V, eps, delta);
    size_t x;
    for (x = 0; x < V; x++)
        w[x] = q[x] > thr ? p[x] : 0.0;
}
