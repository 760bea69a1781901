/* roundstart.c - exact and Monte Carlo engines for round-start
 * multi-draft decoding (doc/theory.md §3). */
#include "roundstart.h"

#include <string.h>

#include "alloc.h"

/* One position t of the recursion: add to *E and fill fn, gn (the
 * t+1 laws) from f, g.  st is the rule's step buffer. */
static sd_status roundstart_position(const sd_model *m, size_t t, sd_step_fn step, void *ws,
                                     size_t M, const double *f, const double *g, double *fn,
                                     double *gn, sd_step *st, double *E, sd_error *err)
{
    const size_t V = m->V;
    size_t s, y;
    memset(fn, 0, V * sizeof(double));
    memset(gn, 0, V * sizeof(double));
    for (s = 0; s < V; s++) {
        const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
        /* mass of x_{t-1} = s inside a round (no round starts here) */
        double fs = f[s], in = g[s] - f[s], tau = 0.0;
        sd_status rc;
        if (in < 0.0)
            in = 0.0; /* rounding: f <= g holds exactly */
        if (fs == 0.0 && in == 0.0)
            continue;
        rc = step(p, q, V, M, ws, st, err);
        if (rc != SD_OK)
            return rc;
        for (y = 0; y < V; y++) {
            double d = q[y] > p[y] ? q[y] - p[y] : 0.0;
            double rj = st->rej * st->res[y];
            tau += d;
            fn[y] += fs * rj + in * d;
            gn[y] += fs * (st->acc[y] + rj) + in * q[y];
        }
        *E += fs * st->rej + in * tau;
    }
    return SD_OK;
}

struct sd_roundstart_ws {
    size_t V;     /* vocabulary it serves */
    double *buf;  /* 4 V doubles: f, g and their successors */
    sd_step st;   /* the rule's step laws (arrays in the same block) */
};

sd_roundstart_ws *sd_roundstart_ws_alloc(size_t V)
{
    double *d;
    sd_roundstart_ws *w = sd_alloc_with_doubles(sizeof *w, sd_size_mad(6, V, 0), &d);
    if (w != NULL)
        *w = (sd_roundstart_ws){V, d, {V, 0.0, d + 4 * V, d + 5 * V}};
    return w;
}

void sd_roundstart_ws_free(sd_roundstart_ws *w)
{
    sd_free(w);
}

sd_status sd_roundstart_exact(const sd_model *m, sd_step_fn step, void *ws, size_t M,
                              double *mean, double *fstart, sd_error *err)
{
    sd_roundstart_ws *w = sd_roundstart_ws_alloc(m->V);
    sd_status rc = w == NULL ? sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu)", m->V)
                             : sd_roundstart_exact_ws(m, step, ws, M, w, mean, fstart, err);
    sd_roundstart_ws_free(w);
    return rc;
}

sd_status sd_roundstart_exact_ws(const sd_model *m, sd_step_fn step, void *ws, size_t M,
                                 sd_roundstart_ws *w, double *mean, double *fstart,
                                 sd_error *err)
{
    const size_t V = m->V;
    double *f, *g, *fn, *gn, *sw, E = 0.0;
    sd_status rc = SD_OK;
    size_t t;
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "the number of drafts must be at least 1");
    if (w->V != V)
        return sd_error_set(err, SD_EINVAL, "round-start workspace for V = %zu used on V = %zu",
                            w->V, V);
    f = w->buf;
    g = f + V;
    fn = f + 2 * V;
    gn = f + 3 * V;
    memcpy(f, m->pi0, V * sizeof(double));
    memcpy(g, m->pi0, V * sizeof(double));
    for (t = 1; t <= m->T; t++) {
        if (fstart != NULL)
            memcpy(fstart + (t - 1) * V, f, V * sizeof(double));
        rc = roundstart_position(m, t, step, ws, M, f, g, fn, gn, &w->st, &E, err);
        if (rc != SD_OK)
            break;
        sw = f; f = fn; fn = sw;
        sw = g; g = gn; gn = sw;
    }
    if (rc == SD_OK)
        *mean = E;
    return rc;
}

/* ---- Monte Carlo ----------------------------------------------------------- */

sd_status sd_roundstart_sim_alloc(sd_roundstart_sim *s, const sd_model *m,
                                  const sd_rs_verifier *v, sd_error *err)
{
    memset(s, 0, sizeof *s);
    s->v = *v;
    return sd_sim_sd_alloc(&s->sd, m, SD_SIM_CORRECT, err);
}

void sd_roundstart_sim_free(sd_roundstart_sim *s)
{
    sd_sim_sd_free(&s->sd);
    memset(s, 0, sizeof *s);
}

static sd_status rs_ws_alloc(const void *ctx, void **ws, sd_error *err)
{
    const sd_roundstart_sim *S = ctx;
    *ws = NULL;
    return S->v.ws_alloc != NULL ? S->v.ws_alloc(S->v.ctx, ws, err) : SD_OK;
}

static sd_status rs_run(const void *ctx, void *ws, gsl_rng *r, size_t nruns, sd_tally *tally,
                        sd_error *err)
{
    const sd_roundstart_sim *S = ctx;
    const sd_sim_sd *D = &S->sd;
    const size_t V = D->m->V, T = D->m->T;
    const size_t rowstep = sd_model_row_step(D->m);
    size_t n;
    (void)err;
    for (n = 0; n < nruns; n++) {
        size_t s = sd_sim_draft_draw(D->start_cells, V, gsl_rng_uniform(r)), base = 0, t, nrej = 0, x;
        int start = 1;
        for (t = 1; t <= T; t++, base += rowstep) {
            if (start) {
                /* the rule verifies the M drafts' first tokens */
                start = !S->v.verify(S->v.ctx, ws, t, s, r, &x);
                nrej += (size_t)start;
            } else {
                /* inside a round: the SD step along the accepted draft,
                 * drawn as gsl_ran_discrete would from sd_sim_sd's tables */
                const sd_sim_cell *row = D->cells + (base + s) * V;
                x = sd_sim_draft_draw(row, V, gsl_rng_uniform(r));
                if (!(gsl_rng_uniform(r) < row[x].ratio)) {
                    x = sd_sim_resid_draw(row, V, gsl_rng_uniform(r));
                    nrej++;
                    start = 1;
                }
            }
            sd_tally_token(tally, t, x);
            s = x;
        }
        tally->hist[nrej]++;
    }
    return SD_OK;
}

sd_sim sd_roundstart_sim_sim(const sd_roundstart_sim *s)
{
    return (sd_sim){s, rs_ws_alloc, s->v.ws_free, rs_run};
}
