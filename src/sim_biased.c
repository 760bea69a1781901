/* sim_biased.c - literal Monte Carlo simulation of a biased rule. */
#include "sim_biased.h"

#include <string.h>

#include "alloc.h"
#include "sim_sd.h"

void sd_sim_biased_free(sd_sim_biased *S)
{
    if (S->start)
        gsl_ran_discrete_free(S->start);
    sd_alias_free_array(S->draft, S->nrows);
    sd_alias_free_array(S->resid, S->nrows);
    sd_free(S->accept);
    memset(S, 0, sizeof *S);
}

sd_status sd_sim_biased_alloc(sd_sim_biased *S, const sd_tradeoff *tr, sd_error *err)
{
    const sd_model *m = tr->m;
    size_t V = m->V, i, x, t, s;
    double mass;
    memset(S, 0, sizeof *S);
    S->tr = tr;
    S->nrows = tr->nrows;
    S->draft = sd_calloc(S->nrows, sizeof *S->draft);
    S->resid = sd_calloc(S->nrows, sizeof *S->resid);
    S->accept = sd_malloc(S->nrows * V, sizeof(double));
    S->start = sd_alias_alloc(m->pi0, V);
    if (!S->draft || !S->resid || !S->accept || !S->start)
        goto nomem;
    for (i = 0; i < S->nrows; i++) {
        const double *p, *w = tr->w + i * V;
        double *b = S->accept + i * V;
        t = sd_model_row_t(m, i);
        s = i % V;
        p = sd_model_p(m, t, s);
        for (x = 0; x < V; x++)
            b[x] = p[x] > 0.0 ? (w[x] >= p[x] ? 1.0 : w[x] / p[x]) : 1.0;
        for (mass = 0.0, x = 0; x < V; x++)
            mass += tr->r[i * V + x];
        if (!(mass > 0.0)) {
            sd_sim_biased_free(S);
            return sd_error_set(err, SD_EINVAL,
                                "resampling law of row (t = %zu, s = %zu) is zero (row not set)",
                                t, s);
        }
        S->draft[i] = sd_alias_alloc(p, V);
        S->resid[i] = sd_alias_alloc(tr->r + i * V, V);
        if (S->draft[i] == NULL || S->resid[i] == NULL)
            goto nomem;
    }
    return SD_OK;
nomem:
    sd_sim_biased_free(S);
    return sd_error_set(err, SD_ENOMEM, "out of memory for sampling tables (V = %zu, T = %zu)",
                        m->V, m->T);
}

static sd_status biased_run(const void *ctx, void *ws, gsl_rng *r, size_t nruns,
                            sd_tally *tally, sd_error *err)
{
    const sd_sim_biased *S = ctx;
    const size_t V = S->tr->m->V, T = S->tr->m->T;
    const size_t rowstep = sd_model_row_step(S->tr->m);
    size_t n;
    (void)ws;
    (void)err;
    for (n = 0; n < nruns; n++) {
        size_t s = gsl_ran_discrete(r, S->start), base = 0, t, nrej = 0;
        for (t = 1; t <= T; t++, base += rowstep) {
            const size_t row = base + s;
            size_t x = gsl_ran_discrete(r, S->draft[row]);
            if (!(gsl_rng_uniform(r) < S->accept[row * V + x])) {
                x = gsl_ran_discrete(r, S->resid[row]);
                nrej++;
            }
            sd_tally_token(tally, t, x);
            s = x;
        }
        tally->hist[nrej]++;
    }
    return SD_OK;
}

sd_sim sd_sim_biased_sim(const sd_sim_biased *S)
{
    return (sd_sim){S, NULL, NULL, biased_run};
}
