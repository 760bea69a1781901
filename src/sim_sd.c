/* sim_sd.c - literal Monte Carlo simulation of speculative decoding. */
#include "sim_sd.h"

#include <math.h>
#include <string.h>

#include "alloc.h"

int sd_sim_variant_parse(const char *name)
{
    if (strcmp(name, "none") == 0)
        return SD_SIM_CORRECT;
    if (strcmp(name, "resample-q") == 0)
        return SD_SIM_RESAMPLE_Q;
    if (strcmp(name, "accept-p-over-q") == 0)
        return SD_SIM_ACCEPT_P_OVER_Q;
    return -1;
}

const char *sd_sim_variant_name(sd_sim_variant v)
{
    switch (v) {
    case SD_SIM_RESAMPLE_Q: return "resample-q";
    case SD_SIM_ACCEPT_P_OVER_Q: return "accept-p-over-q";
    default: return "none";
    }
}

gsl_ran_discrete_t *sd_alias_alloc(const double *w, size_t V)
{
    double sum = 0.0;
    size_t x;
    for (x = 0; x < V; x++)
        sum += w[x];
    if (!(sum > 0.0))
        return NULL;
    sd_gsl_quiet();
    return gsl_ran_discrete_preproc(V, w);
}

void sd_sim_sd_free(sd_sim_sd *s)
{
    size_t i;
    if (s->start)
        gsl_ran_discrete_free(s->start);
    for (i = 0; s->draft && i < s->nrows; i++)
        if (s->draft[i])
            gsl_ran_discrete_free(s->draft[i]);
    for (i = 0; s->resid && i < s->nrows; i++)
        if (s->resid[i])
            gsl_ran_discrete_free(s->resid[i]);
    sd_free(s->draft);
    sd_free(s->resid);
    sd_free(s->ratio);
    memset(s, 0, sizeof *s);
}

/* Tables of row i = (t, s): draft law, acceptance thresholds, and the
 * law drawn from on rejection.  Returns 0 on allocation failure. */
static int build_row(sd_sim_sd *S, size_t i, const double *p, const double *q,
                     double *tmp)
{
    size_t x, V = S->m->V;
    double *ratio = S->ratio + i * V, mass = 0.0;
    int can_reject = 0;
    S->draft[i] = sd_alias_alloc(p, V);
    if (S->draft[i] == NULL)
        return 0;
    for (x = 0; x < V; x++) {
        if (S->variant == SD_SIM_ACCEPT_P_OVER_Q)
            ratio[x] = q[x] > 0 ? p[x] / q[x] : INFINITY;
        else
            ratio[x] = p[x] > 0 ? q[x] / p[x] : INFINITY;
        if (p[x] > 0 && ratio[x] < 1.0)
            can_reject = 1;
        tmp[x] = q[x] > p[x] ? q[x] - p[x] : 0.0;
        mass += tmp[x];
    }
    if (!can_reject)
        return 1;
    /* With rows renormalised, [Q-P]_+ has positive mass whenever some
     * Q(x) < P(x); if rounding left it empty, Q itself is the only law
     * consistent with the output being Q, so draw from Q. */
    if (S->variant == SD_SIM_RESAMPLE_Q || !(mass > 0.0))
        memcpy(tmp, q, V * sizeof(double));
    S->resid[i] = sd_alias_alloc(tmp, V);
    return S->resid[i] != NULL;
}

sd_status sd_sim_sd_alloc(sd_sim_sd *S, const sd_model *m, sd_sim_variant v,
                          sd_error *err)
{
    size_t V = m->V, i, t, s;
    double *tmp;
    memset(S, 0, sizeof *S);
    S->m = m;
    S->variant = v;
    S->nrows = sd_model_stationary(m) ? V : m->T * V;
    S->draft = sd_calloc(S->nrows, sizeof *S->draft);
    S->resid = sd_calloc(S->nrows, sizeof *S->resid);
    S->ratio = sd_malloc(S->nrows * V, sizeof(double));
    tmp = sd_malloc(V, sizeof(double));
    S->start = sd_alias_alloc(m->pi0, V);
    if (!S->draft || !S->resid || !S->ratio || !tmp || !S->start)
        goto fail;
    for (i = 0; i < S->nrows; i++) {
        t = sd_model_stationary(m) ? 1 : i / V + 1;
        s = i % V;
        if (!build_row(S, i, sd_model_p(m, t, s), sd_model_q(m, t, s), tmp))
            goto fail;
    }
    sd_free(tmp);
    return SD_OK;
fail:
    sd_free(tmp);
    sd_sim_sd_free(S);
    return sd_error_set(err, SD_ENOMEM, "out of memory for sampling tables (V = %zu, T = %zu)",
                        m->V, m->T);
}

static sd_status sd_run(const void *ctx, void *ws, gsl_rng *r, size_t nruns,
                        sd_tally *tally, sd_error *err)
{
    const sd_sim_sd *S = ctx;
    const size_t V = S->m->V, T = S->m->T;
    const size_t rowstep = sd_model_stationary(S->m) ? 0 : V;
    size_t n;
    (void)ws;
    (void)err;
    for (n = 0; n < nruns; n++) {
        size_t s = gsl_ran_discrete(r, S->start), base = 0, t, nrej = 0;
        for (t = 1; t <= T; t++, base += rowstep) {
            const size_t row = base + s;
            size_t x = gsl_ran_discrete(r, S->draft[row]);
            if (!(gsl_rng_uniform(r) < S->ratio[row * V + x])) {
                x = gsl_ran_discrete(r, S->resid[row]);
                nrej++;
            }
            if (tally->pos_index[t] >= 0)
                tally->tokens[(size_t)tally->pos_index[t] * V + x]++;
            s = x;
        }
        tally->hist[nrej]++;
    }
    return SD_OK;
}

sd_sim sd_sim_sd_sim(const sd_sim_sd *s)
{
    sd_sim sim;
    sim.ctx = s;
    sim.ws_alloc = NULL;
    sim.ws_free = NULL;
    sim.run = sd_run;
    return sim;
}
