/* step.c - the laws of one verification step: helpers and the SD rule (doc/theory.md §1). */
#include "step.h"

#include <string.h>

#include "alloc.h"

sd_status sd_step_alloc(sd_step *st, size_t V, sd_error *err)
{
    st->V = V;
    st->rej = 0.0;
    st->acc = sd_calloc(V, sizeof(double));
    st->res = sd_calloc(V, sizeof(double));
    if (st->acc == NULL || st->res == NULL) {
        sd_step_free(st);
        return sd_error_set(err, SD_ENOMEM, "out of memory for a step of V = %zu", V);
    }
    return SD_OK;
}

void sd_step_free(sd_step *st)
{
    sd_free(st->acc);
    sd_free(st->res);
    st->acc = st->res = NULL;
}

double sd_tv(const double *p, const double *q, size_t V)
{
    double tv = 0.0;
    size_t x;
    for (x = 0; x < V; x++)
        if (q[x] > p[x])
            tv += q[x] - p[x];
    return tv;
}

void sd_normalise(double *w, size_t V)
{
    double s = 0.0;
    size_t x;
    for (x = 0; x < V; x++)
        s += w[x];
    for (x = 0; x < V; x++)
        w[x] /= s;
}

double sd_residual(const double *p, const double *q, size_t V, double *out)
{
    double d = 0.0;
    size_t x;
    for (x = 0; x < V; x++) {
        out[x] = q[x] > p[x] ? q[x] - p[x] : 0.0;
        d += out[x];
    }
    if (d > 0.0)
        for (x = 0; x < V; x++)
            out[x] /= d;
    else
        memcpy(out, q, V * sizeof(double));
    return d;
}

sd_status sd_rule_sd_step(const double *p, const double *q, size_t V, size_t k,
                          void *ws, sd_step *out, sd_error *err)
{
    size_t x;
    double tv = 0.0;
    (void)k;
    (void)ws;
    (void)err;
    for (x = 0; x < V; x++) {
        double d = q[x] - p[x];
        out->acc[x] = d > 0 ? p[x] : q[x];
        out->res[x] = d > 0 ? d : 0.0;
        tv += out->res[x];
    }
    out->rej = tv;
    if (tv > 0.0)
        for (x = 0; x < V; x++)
            out->res[x] /= tv;
    return SD_OK;
}
