/* tree.c - exact DP and literal simulation of tree verification (doc/theory.md §3). */
#include "tree.h"

#include <string.h>

#include "alloc.h"
#include "roundstart.h"

sd_status sd_tree_step_alloc(sd_tree_step *st, size_t V, size_t K, sd_error *err)
{
    st->V = V;
    st->K = K;
    st->rej = 0.0;
    st->res = sd_calloc(V, sizeof(double));
    st->acc = K + 1 > (size_t)-1 / (V ? V : 1) ? NULL : sd_calloc(V * (K + 1), sizeof(double));
    if (st->res == NULL || st->acc == NULL) {
        sd_tree_step_free(st);
        return sd_error_set(err, SD_ENOMEM, "out of memory for a tree step (V = %zu, M = %zu)",
                            V, K);
    }
    return SD_OK;
}

void sd_tree_step_free(sd_tree_step *st)
{
    sd_free(st->res);
    sd_free(st->acc);
    st->res = st->acc = NULL;
}

/* One position t: add to *E and fill hn (the law of (x_t, live drafts
 * at t+1)) from h. */
static sd_status tree_position(const sd_model *m, size_t t, sd_tree_step_fn step, void *ws,
                               size_t M, const double *h, double *hn, sd_tree_step *st,
                               double *E, sd_error *err)
{
    const size_t V = m->V, W = M + 1;
    size_t s, k, y, L;
    memset(hn, 0, V * W * sizeof(double));
    for (s = 0; s < V; s++) {
        const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
        for (k = 1; k <= M; k++) {
            double w = h[s * W + k];
            sd_status rc;
            if (w == 0.0)
                continue;
            rc = step(p, q, V, k, ws, st, err);
            if (rc != SD_OK)
                return rc;
            *E += w * st->rej;
            for (y = 0; y < V; y++) {
                const double *a = st->acc + y * (st->K + 1);
                double *out = hn + y * W;
                for (L = 1; L <= k; L++)
                    out[L] += w * a[L];
                out[M] += w * st->rej * st->res[y];
            }
        }
    }
    return SD_OK;
}

struct sd_tree_ws {
    size_t V, M;      /* vocabulary and most drafts it serves */
    double *buf;      /* 2 V (M + 1) doubles: h and its successor */
    sd_tree_step st;  /* the rule's step laws (arrays in the same block) */
};

sd_tree_ws *sd_tree_ws_alloc(size_t V, size_t M)
{
    /* h and its successor, 2 V (M + 1); the step's acc V (M + 1) and res V */
    const size_t vw = sd_size_mad(V, M, V);
    double *d;
    sd_tree_ws *w = M > 0 ? sd_alloc_with_doubles(sizeof *w, sd_size_mad(3, vw, V), &d) : NULL;
    if (w != NULL)
        *w = (sd_tree_ws){V, M, d, {V, M, 0.0, d + 3 * vw, d + 2 * vw}};
    return w;
}

void sd_tree_ws_free(sd_tree_ws *w)
{
    sd_free(w);
}

sd_status sd_tree_exact(const sd_model *m, sd_tree_step_fn step, void *ws, size_t M,
                        double *mean, double *live, sd_error *err)
{
    sd_tree_ws *w = sd_tree_ws_alloc(m->V, M > 0 ? M : 1); /* M = 0 is refused by _ws */
    sd_status rc = w == NULL ? sd_error_set(err, SD_ENOMEM, "out of memory for the tree DP "
                                            "(V = %zu, M = %zu)", m->V, M)
                             : sd_tree_exact_ws(m, step, ws, M, w, mean, live, err);
    sd_tree_ws_free(w);
    return rc;
}

sd_status sd_tree_exact_ws(const sd_model *m, sd_tree_step_fn step, void *ws, size_t M,
                           sd_tree_ws *w, double *mean, double *live, sd_error *err)
{
    const size_t V = m->V, W = M + 1;
    size_t t, s, k;
    double *h, *hn, *sw, E = 0.0;
    sd_status rc = SD_OK;
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "the number of drafts must be at least 1");
    if (w->V != V || w->M < M)
        return sd_error_set(err, SD_EINVAL,
                            "tree workspace for V = %zu, M = %zu used on V = %zu, M = %zu",
                            w->V, w->M, V, M);
    h = w->buf;
    hn = h + V * W;
    memset(h, 0, V * W * sizeof(double));
    for (s = 0; s < V; s++)
        h[s * W + M] = m->pi0[s];
    for (t = 1; t <= m->T; t++) {
        if (live != NULL) {
            double *row = live + (t - 1) * W;
            memset(row, 0, W * sizeof(double));
            for (s = 0; s < V; s++)
                for (k = 1; k <= M; k++)
                    row[k] += h[s * W + k];
        }
        rc = tree_position(m, t, step, ws, M, h, hn, &w->st, &E, err);
        if (rc != SD_OK)
            break;
        sw = h; h = hn; hn = sw;
    }
    if (rc == SD_OK)
        *mean = E;
    return rc;
}

/* ---- Monte Carlo ----------------------------------------------------------- */

typedef struct {
    size_t *tok;                 /* the live drafts' tokens at the current position */
    void *rule_ws;               /* the verifier's own workspace */
    void (*rule_free)(void *ws); /* and how to free it */
} tree_ws;

sd_status sd_tree_sim_alloc(sd_tree_sim *s, const sd_model *m, const sd_tree_verifier *v,
                            size_t M, sd_error *err)
{
    memset(s, 0, sizeof *s);
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "the number of drafts must be at least 1");
    s->v = *v;
    s->M = M;
    return sd_sim_sd_alloc(&s->sd, m, SD_SIM_CORRECT, err);
}

void sd_tree_sim_free(sd_tree_sim *s)
{
    sd_sim_sd_free(&s->sd);
    memset(s, 0, sizeof *s);
}

/* Frees the rule's workspace, then the engine's. */
static void tree_ws_free(void *p)
{
    tree_ws *w = p;
    if (w == NULL)
        return;
    if (w->rule_ws != NULL && w->rule_free != NULL)
        w->rule_free(w->rule_ws);
    sd_free(w->tok);
    sd_free(w);
}

static sd_status tree_ws_alloc(const void *ctx, void **ws, sd_error *err)
{
    const sd_tree_sim *S = ctx;
    tree_ws *w = sd_calloc(1, sizeof *w);
    sd_status rc = SD_OK;
    *ws = NULL;
    if (w == NULL || (w->tok = sd_malloc(S->M, sizeof(size_t))) == NULL) {
        tree_ws_free(w);
        return sd_error_set(err, SD_ENOMEM, "out of memory for a tree simulation workspace");
    }
    w->rule_free = S->v.ws_free;
    if (S->v.ws_alloc != NULL)
        rc = S->v.ws_alloc(S->v.ctx, &w->rule_ws, err);
    if (rc != SD_OK) {
        tree_ws_free(w);
        return rc;
    }
    *ws = w;
    return SD_OK;
}

static double rng_uniform(void *r)
{
    return gsl_rng_uniform(r);
}

/* The rule's verifier on the live drafts (vctx: the simulation and the
 * thread's workspace), with the run's generator. */
typedef struct {
    const sd_tree_sim *S;
    void *rule_ws;
} verify_ctx;

static int rule_verify(const void *vctx, void *r, size_t t, size_t s, size_t row, size_t k,
                       const size_t *tok, size_t *y)
{
    const verify_ctx *c = vctx;
    (void)row;
    return c->S->v.verify(c->S->v.ctx, c->rule_ws, t, s, k, tok, r, y);
}

static sd_status tree_run(const void *ctx, void *wsp, gsl_rng *r, size_t nruns,
                          sd_tally *tally, sd_error *err)
{
    const sd_tree_sim *S = ctx;
    tree_ws *w = wsp;
    const verify_ctx c = {S, w->rule_ws};
    size_t n, x = 0, t = 0;
    for (n = 0; n < nruns; n++) {
        size_t nrej = sd_tree_run_one(&S->sd, S->M, w->tok, rng_uniform, r, rule_verify, &c,
                                      tally, &x, &t);
        if (nrej == (size_t)-1)
            return sd_error_set(err, SD_EINTERNAL,
                                "tree verifier accepted token %zu that no live draft holds "
                                "(t = %zu)", x, t);
        tally->hist[nrej]++;
    }
    return SD_OK;
}

sd_sim sd_tree_sim_sim(const sd_tree_sim *s)
{
    return (sd_sim){s, tree_ws_alloc, tree_ws_free, tree_run};
}

sd_status sd_engine_sim_init(sd_engine_sim *e, const sd_model *m, size_t M,
                             const sd_rs_verifier *rv, const sd_tree_verifier *tv,
                             sd_error *err)
{
    memset(e, 0, sizeof *e);
    e->tree = tv != NULL;
    return e->tree ? sd_tree_sim_alloc(&e->ts, m, tv, M, err)
                   : sd_roundstart_sim_alloc(&e->rs, m, rv, err);
}

void sd_engine_sim_free(sd_engine_sim *e)
{
    if (e->tree)
        sd_tree_sim_free(&e->ts);
    else
        sd_roundstart_sim_free(&e->rs);
}

sd_sim sd_engine_sim_get(const sd_engine_sim *e)
{
    return e->tree ? sd_tree_sim_sim(&e->ts) : sd_roundstart_sim_sim(&e->rs);
}
