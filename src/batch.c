/* batch.c - batch SD and tree verification with RRS (doc/theory.md §3). */
#include "batch.h"

#include <string.h>

#include "alloc.h"
#include "rng.h"

struct sd_batch_ws {
    size_t V, M;          /* vocabulary and most tree drafts it serves */
    double *rrs;          /* RRS's step workspace, 2 V doubles (same block) */
    sd_roundstart_ws *rs; /* the round-start engine's */
    sd_tree_ws *tree;     /* the tree engine's */
};

sd_batch_ws *sd_batch_ws_alloc(size_t V, size_t M)
{
    double *d;
    sd_batch_ws *w = sd_alloc_with_doubles(sizeof *w, sd_size_mad(2, V, 0), &d);
    if (w == NULL)
        return NULL;
    w->V = V;
    w->M = M;
    w->rrs = d;
    w->rs = sd_roundstart_ws_alloc(V);
    w->tree = M > 0 ? sd_tree_ws_alloc(V, M) : NULL;
    if (w->rs == NULL || (M > 0 && w->tree == NULL)) {
        sd_batch_ws_free(w);
        return NULL;
    }
    return w;
}

void sd_batch_ws_free(sd_batch_ws *w)
{
    if (w == NULL)
        return;
    sd_roundstart_ws_free(w->rs);
    sd_tree_ws_free(w->tree);
    sd_free(w);
}

/* Batch SD (tree = 0: out gets f_t) or tree verification (out gets the
 * live-draft law) in w, after checking that w serves (m, M). */
static sd_status exact_in(const sd_model *m, size_t M, int tree, sd_batch_ws *w, double *mean,
                          double *out, sd_error *err)
{
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "the number of drafts must be at least 1");
    if (w->V != m->V || (tree && w->M < M))
        return sd_error_set(err, SD_EINVAL,
                            "batch workspace for V = %zu, M = %zu used on V = %zu, M = %zu",
                            w->V, w->M, m->V, M);
    return tree ? sd_tree_exact_ws(m, sd_rrs_tree_step, w->rrs, M, w->tree, mean, out, err)
                : sd_roundstart_exact_ws(m, sd_rrs_step, w->rrs, M, w->rs, mean, out, err);
}

sd_status sd_batch_exact_ws(const sd_model *m, size_t M, sd_batch_ws *w, double *mean,
                            double *fstart, sd_error *err)
{
    return exact_in(m, M, 0, w, mean, fstart, err);
}

sd_status sd_batch_tree_exact_ws(const sd_model *m, size_t M, sd_batch_ws *w, double *mean,
                                 double *live, sd_error *err)
{
    return exact_in(m, M, 1, w, mean, live, err);
}

/* The exact value of batch SD (tree = 0) or tree verification with a
 * workspace for this call. */
static sd_status exact_once(const sd_model *m, size_t M, int tree, double *mean, double *out,
                            sd_error *err)
{
    sd_batch_ws *w = sd_batch_ws_alloc(m->V, tree ? M : 0);
    sd_status rc = w == NULL ? sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu, M = %zu)",
                                            m->V, M)
                             : exact_in(m, M, tree, w, mean, out, err);
    sd_batch_ws_free(w);
    return rc;
}

sd_status sd_batch_exact(const sd_model *m, size_t M, double *mean, double *fstart,
                         sd_error *err)
{
    return exact_once(m, M, 0, mean, fstart, err);
}

sd_status sd_batch_limit(const sd_model *m, double *mean, sd_error *err)
{
    return sd_roundstart_exact(m, sd_rrs_limit_step, NULL, 1, mean, NULL, err);
}

sd_status sd_batch_tree_exact(const sd_model *m, size_t M, double *mean, double *live,
                              sd_error *err)
{
    return exact_once(m, M, 1, mean, live, err);
}

struct sd_batch_sim {
    sd_rrs_sim rrs;        /* RRS tables */
    sd_engine_sim eng;     /* the round-start (batch) or tree engine (eng.tree) */
};

sd_status sd_batch_sim_alloc(sd_batch_sim **out, const sd_model *m, size_t M, int tree,
                             sd_error *err)
{
    sd_batch_sim *s = sd_calloc(1, sizeof *s);
    sd_status rc;
    *out = NULL;
    if (s == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    if ((rc = sd_rrs_sim_alloc(&s->rrs, m, M, tree != 0, err)) == SD_OK) {
        const sd_rs_verifier rv = sd_rrs_rs_verifier(&s->rrs);
        const sd_tree_verifier tv = sd_rrs_tree_verifier(&s->rrs);
        rc = sd_engine_sim_init(&s->eng, m, M, &rv, tree ? &tv : NULL, err);
    }
    if (rc == SD_OK)
        *out = s;
    else
        sd_batch_sim_free(s); /* safe on what a failed build leaves */
    return rc;
}

void sd_batch_sim_free(sd_batch_sim *s)
{
    if (s == NULL)
        return;
    sd_engine_sim_free(&s->eng);
    sd_rrs_sim_free(&s->rrs);
    sd_free(s);
}

/* ---- the RRS-specialised kernels -------------------------------------------
 *
 * The generic engines call the rule through a callback that draws from a
 * gsl_rng; for RRS the same algorithm runs here inline: uniforms from a
 * buffer of SD_RNG_LANES xoshiro256** lanes seeded from the chunk's
 * generator (or from the generator itself when --rng names another one),
 * alias draws on the flattened tables.  Same law as the generic path
 * (test_batch checks both against the exact values); the numbers drawn
 * differ, and depend only on (seed, chunk). */

/* A source of uniforms in [0,1). */
typedef struct {
    gsl_rng *r;
    int fast;                    /* lanes (default generator) or r itself */
    int pos;                     /* next unused entry of buf */
    sd_rng_lanes g;
    uint64_t buf[SD_RNG_LANES];
} usrc;

static void usrc_init(usrc *u, gsl_rng *r)
{
    u->r = r;
    u->fast = r->type == sd_rng_xoshiro256ss;
    u->pos = SD_RNG_LANES;
    if (u->fast)
        sd_rng_lanes_seed(&u->g, r);
}

static inline double unext(usrc *u)
{
    if (!u->fast)
        return gsl_rng_uniform(u->r);
    if (u->pos == SD_RNG_LANES) {
        sd_rng_lanes_next(&u->g, u->buf);
        u->pos = 0;
    }
    return sd_rng_u01(u->buf[u->pos++]);
}

static double usrc_uniform(void *u)
{
    return unext(u);
}

/* RRS on k drafts at table row i (rrs.h) with uniforms from u. */
static inline int rrs_fast(const sd_rrs_sim *R, size_t i, size_t k, const size_t *tok,
                           usrc *u, size_t *y)
{
    return sd_rrs_verify_row(R, i, k, tok, usrc_uniform, u, y);
}

#define LN SD_RNG_LANES
#define WAVE 64 /* runs advanced together, a multiple of LN */

/* Fill u[0..w-1] (w a multiple of LN) with fresh lane outputs. */
SD_RNG_INLINE void lanes_fill(sd_rng_lanes *g, uint64_t *u, size_t w)
{
    size_t k;
    for (k = 0; k < w; k += LN)
        sd_rng_lanes_next(g, u + k);
}

/* Batch SD with the default generator: runs advance in waves of WAVE,
 * position by position, drawing from xoshiro256** lanes seeded from r.
 * Every position draws three uniforms per run for the SD step; at a
 * round start RRS runs trial by trial over the runs still verifying
 * (two uniforms per run and trial), then one uniform for the rejection
 * law.  The loops over runs have no branches on random outcomes, so they
 * vectorise where the target allows; each run is still Algorithm 4
 * driven by independent uniforms. */
SD_RNG_INLINE void batch_lanes_body(const sd_batch_sim *B, gsl_rng *r, size_t nruns,
                                    sd_tally *tally)
{
    const sd_sim_sd *D = &B->eng.rs.sd;
    const sd_rrs_sim *R = &B->rrs;
    const size_t V = D->m->V, T = D->m->T, M = R->M;
    const size_t rowstep = sd_model_row_step(D->m);
    sd_rng_lanes g;
    uint64_t u1[WAVE], u2[WAVE], u3[WAVE];
    size_t s[WAVE], nrej[WAVE], xr[WAVE], act[WAVE], n, t, j, m;
    int start[WAVE], active[WAVE];
    sd_rng_lanes_seed(&g, r);
    for (n = 0; n < nruns; n += WAVE) {
        const size_t live = nruns - n < WAVE ? nruns - n : WAVE;
        const size_t w = (live + LN - 1) / LN * LN;
        size_t base = 0;
        lanes_fill(&g, u1, w);
        for (j = 0; j < w; j++) {
            s[j] = sd_sim_draft_draw(D->start_cells, V, sd_rng_u01(u1[j]));
            nrej[j] = 0;
            start[j] = 1;
        }
        for (t = 1; t <= T; t++, base += rowstep) {
            size_t na = 0, q, kept;
            /* round starts: RRS trial by trial over the list act[0..na-1]
             * of runs still verifying (compacted without branches) */
            for (j = 0; j < w; j++) {
                act[na] = j;
                na += (size_t)start[j];
                active[j] = 0;
            }
            for (m = 0; na > 0 && m < M; m++) {
                const size_t wa = (na + LN - 1) / LN * LN;
                lanes_fill(&g, u1, wa);
                lanes_fill(&g, u2, wa);
                for (q = 0, kept = 0; q < na; q++) {
                    const size_t jj = act[q], i = base + s[jj];
                    const size_t x = sd_alias_draw(R->draft + i * V, V, sd_rng_u01(u1[q]));
                    const int acc = sd_rng_u01(u2[q]) < R->thr[(i * M + m) * V + x];
                    xr[jj] = acc ? x : xr[jj];
                    act[kept] = jj;
                    kept += (size_t)!acc;
                }
                na = kept;
            }
            for (q = 0; q < na; q++)
                active[act[q]] = 1; /* every draft rejected */
            /* the SD step inside rounds (three uniforms), and the
             * rejection law for the runs whose M drafts all failed */
            lanes_fill(&g, u1, w);
            lanes_fill(&g, u2, w);
            lanes_fill(&g, u3, w);
            for (j = 0; j < w; j++) {
                const size_t i = base + s[j];
                const sd_sim_cell *row = D->cells + i * V;
                const size_t x = sd_sim_draft_draw(row, V, sd_rng_u01(u1[j]));
                const size_t y = sd_sim_resid_draw(row, V, sd_rng_u01(u3[j]));
                const size_t z = sd_alias_draw(R->resid + i * V, V, sd_rng_u01(u3[j]));
                const int rej = !(sd_rng_u01(u2[j]) < row[x].ratio);
                const size_t sd_next = rej ? y : x;
                const size_t rs_next = active[j] ? z : xr[j];
                const int rs_rej = start[j] & active[j], sd_rej = (!start[j]) & rej;
                s[j] = start[j] ? rs_next : sd_next;
                nrej[j] += (size_t)(rs_rej | sd_rej);
                start[j] = rs_rej | sd_rej;
            }
            sd_tally_wave_tokens(tally, t, s, live);
        }
        sd_tally_wave_end(tally, nrej, live);
    }
}

/* batch_lanes_body for the build's target and for AVX-512 (mc.h) */
SD_MC_KERNEL(batch_lanes, batch_lanes_body, sd_batch_sim)

/* Any other generator: one run after the other, drawing from r. */
static void batch_serial(const sd_batch_sim *B, gsl_rng *r, size_t nruns, sd_tally *tally)
{
    const sd_sim_sd *D = &B->eng.rs.sd;
    const size_t V = D->m->V, T = D->m->T;
    const size_t rowstep = sd_model_row_step(D->m);
    size_t n;
    usrc u;
    usrc_init(&u, r);
    for (n = 0; n < nruns; n++) {
        size_t s = sd_sim_draft_draw(D->start_cells, V, unext(&u)), base = 0, t, nrej = 0, x;
        int start = 1;
        for (t = 1; t <= T; t++, base += rowstep) {
            if (start) {
                start = !rrs_fast(&B->rrs, base + s, B->rrs.M, NULL, &u, &x);
                nrej += (size_t)start;
            } else {
                const sd_sim_cell *row = D->cells + (base + s) * V;
                x = sd_sim_draft_draw(row, V, unext(&u));
                if (!(unext(&u) < row[x].ratio)) {
                    x = sd_sim_resid_draw(row, V, unext(&u));
                    nrej++;
                    start = 1;
                }
            }
            sd_tally_token(tally, t, x);
            s = x;
        }
        tally->hist[nrej]++;
    }
}

static sd_status batch_run(const void *ctx, void *ws, gsl_rng *r, size_t nruns,
                           sd_tally *tally, sd_error *err)
{
    const sd_batch_sim *B = ctx;
    (void)ws;
    (void)err;
    if (r->type != sd_rng_xoshiro256ss)
        batch_serial(B, r, nruns, tally);
    else
        batch_lanes(B, r, nruns, tally);
    return SD_OK;
}

/* The tree kernel's workspace: the live drafts' tokens. */
static sd_status tree_ws_alloc(const void *ctx, void **ws, sd_error *err)
{
    const sd_batch_sim *B = ctx;
    *ws = sd_malloc(B->rrs.M, sizeof(size_t));
    return *ws != NULL ? SD_OK
                       : sd_error_set(err, SD_ENOMEM, "out of memory for a tree workspace");
}

/* RRS (the tables R) on the live drafts at a table row, uniforms from u. */
static int tree_verify(const void *R, void *u, size_t t, size_t s, size_t row, size_t k,
                       const size_t *tok, size_t *y)
{
    (void)t;
    (void)s;
    return rrs_fast(R, row, k, tok, u, y);
}

/* Tree verification, one run after the other (uniforms from usrc).  A
 * wave kernel like batch_lanes_body was tried and gained nothing: the
 * k live drafts make the work per run and position uneven.  RRS never
 * accepts a token no live draft holds. */
static void tree_serial(const sd_batch_sim *B, size_t *tok, gsl_rng *r, size_t nruns,
                        sd_tally *tally)
{
    usrc u;
    size_t n, x, t;
    usrc_init(&u, r);
    for (n = 0; n < nruns; n++)
        tally->hist[sd_tree_run_one(&B->eng.ts.sd, B->rrs.M, tok, usrc_uniform, &u, tree_verify,
                                    &B->rrs, tally, &x, &t)]++;
}

static sd_status tree_run(const void *ctx, void *ws, gsl_rng *r, size_t nruns,
                          sd_tally *tally, sd_error *err)
{
    (void)err;
    tree_serial(ctx, ws, r, nruns, tally);
    return SD_OK;
}

sd_sim sd_batch_sim_sim(const sd_batch_sim *s)
{
    sd_sim sim = {s, s->eng.tree ? tree_ws_alloc : NULL, s->eng.tree ? sd_free : NULL,
                  s->eng.tree ? tree_run : batch_run};
    return sim;
}

sd_sim sd_batch_sim_generic(const sd_batch_sim *s)
{
    return sd_engine_sim_get(&s->eng);
}
