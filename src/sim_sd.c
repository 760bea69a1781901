/* sim_sd.c - literal Monte Carlo simulation of speculative decoding. */
#include "sim_sd.h"

#include <math.h>
#include <string.h>

#include "alloc.h"
#include "rng.h"
#include "names.h"

/* by sd_sim_variant */
static const char *const variant_names[] = {"none", "resample-q", "accept-p-over-q"};

int sd_sim_variant_parse(const char *name)
{
    return sd_names_find(variant_names, SD_NAMES_N(variant_names), name);
}

const char *sd_sim_variant_name(sd_sim_variant v)
{
    return (size_t)v < SD_NAMES_N(variant_names) ? variant_names[v] : "none";
}

void sd_sim_sd_free(sd_sim_sd *s)
{
    if (s->start)
        gsl_ran_discrete_free(s->start);
    sd_alias_free_array(s->draft, s->nrows);
    sd_alias_free_array(s->resid, s->nrows);
    sd_free(s->ratio);
    sd_free(s->cells_mem);
    sd_free(s->pack_mem);
    sd_free(s->start_cells);
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

/* Copy alias table g (NULL: the identity table) into the draft (which
 * = 0) or rejection-law (which = 1) fields of cells[0..V-1]. */
static void flatten(sd_sim_cell *cells, const gsl_ran_discrete_t *g, size_t V, int which)
{
    size_t x;
    for (x = 0; x < V; x++) {
        double F = g ? g->F[x] : 1.0;
        uint32_t A = (uint32_t)(g ? g->A[x] : x);
        if (which == 0) {
            cells[x].dF = F;
            cells[x].dA = A;
        } else {
            cells[x].rF = F;
            cells[x].rA = A;
        }
    }
}

/* Fill the flattened tables from the GSL ones. */
static void flatten_all(sd_sim_sd *S)
{
    size_t i, x, V = S->m->V;
    memset(S->start_cells, 0, V * sizeof *S->start_cells);
    flatten(S->start_cells, S->start, V, 0);
    for (i = 0; i < S->nrows; i++) {
        sd_sim_cell *row = S->cells + i * V;
        flatten(row, S->draft[i], V, 0);
        flatten(row, S->resid[i], V, 1);
        for (x = 0; x < V; x++)
            row[x].ratio = S->ratio[i * V + x];
    }
}

#define PACK_SHIFT 54
#define PACK_ONE (UINT64_C(1) << 53) /* 2^53: u < 1 for every u */

/* The integer threshold of a probability or ratio f: the 53-bit integer
 * k of u = k 2^-53 satisfies u < f iff k < pack_threshold(f) (f 2^53 is
 * exact, so its ceiling is); capped at 2^53, which every k is below. */
static uint64_t pack_threshold(double f)
{
    double x = f * (double)PACK_ONE;
    return !(x < (double)PACK_ONE) ? PACK_ONE : (uint64_t)ceil(x);
}

/* Fill the packed tables from the flattened ones (V <= SD_SIM_PACK_MAX_V). */
static void pack_all(sd_sim_sd *S)
{
    size_t i, n = S->nrows * S->m->V;
    for (i = 0; i < n; i++) {
        const sd_sim_cell *e = S->cells + i;
        S->packed[3 * i] = pack_threshold(e->dF) | (uint64_t)e->dA << PACK_SHIFT;
        S->packed[3 * i + 1] = pack_threshold(e->ratio);
        S->packed[3 * i + 2] = pack_threshold(e->rF) | (uint64_t)e->rA << PACK_SHIFT;
    }
}

/* n cells aligned to 64 bytes so that none straddles two cache lines
 * (a token then costs one line per table look-up); *mem gets the
 * allocation to free.  NULL on failure. */
static sd_sim_cell *alloc_cells(size_t n, void **mem)
{
    *mem = n < SIZE_MAX / sizeof(sd_sim_cell) - 2 ? sd_malloc(n + 2, sizeof(sd_sim_cell)) : NULL;
    if (*mem == NULL)
        return NULL;
    return (sd_sim_cell *)(((uintptr_t)*mem + 63) & ~(uintptr_t)63);
}

sd_status sd_sim_sd_alloc(sd_sim_sd *S, const sd_model *m, sd_sim_variant v,
                          sd_error *err)
{
    size_t V = m->V, i, t, s;
    double *tmp;
    memset(S, 0, sizeof *S);
    S->m = m;
    S->variant = v;
    S->nrows = sd_model_nrows(m);
    S->draft = sd_calloc(S->nrows, sizeof *S->draft);
    S->resid = sd_calloc(S->nrows, sizeof *S->resid);
    if (V > UINT32_MAX)
        return sd_error_set(err, SD_ERANGE, "vocabulary too large for sampling tables (V = %zu)",
                            V);
    S->ratio = sd_malloc(S->nrows * V, sizeof(double));
    S->cells = alloc_cells(S->nrows * V, &S->cells_mem);
    S->start_cells = sd_malloc(V, sizeof(sd_sim_cell));
    tmp = sd_malloc(V, sizeof(double));
    S->start = sd_alias_alloc(m->pi0, V);
    if (V <= SD_SIM_PACK_MAX_V) {
        S->pack_mem = sd_malloc(3 * S->nrows * V + 8, sizeof(uint64_t));
        if (S->pack_mem != NULL)
            S->packed = (uint64_t *)(((uintptr_t)S->pack_mem + 63) & ~(uintptr_t)63);
    }
    if (!S->draft || !S->resid || !S->ratio || !S->cells || !S->start_cells ||
        !tmp || !S->start || (V <= SD_SIM_PACK_MAX_V && S->pack_mem == NULL))
        goto fail;
    for (i = 0; i < S->nrows; i++) {
        t = sd_model_row_t(m, i);
        s = i % V;
        if (!build_row(S, i, sd_model_p(m, t, s), sd_model_q(m, t, s), tmp))
            goto fail;
    }
    sd_free(tmp);
    flatten_all(S);
    if (S->packed != NULL)
        pack_all(S);
    return SD_OK;
fail:
    sd_free(tmp);
    sd_sim_sd_free(S);
    return sd_error_set(err, SD_ENOMEM, "out of memory for sampling tables (V = %zu, T = %zu)",
                        m->V, m->T);
}

/* Any generator: one run after the other, drawing from r exactly as
 * gsl_ran_discrete and gsl_rng_uniform would (start state; per position
 * the draft, the test, and on rejection the rejection-law draw). */
static void run_serial(const sd_sim_sd *S, gsl_rng *r, size_t nruns, sd_tally *tally)
{
    const size_t V = S->m->V, T = S->m->T;
    const size_t rowstep = sd_model_row_step(S->m);
    size_t n;
    for (n = 0; n < nruns; n++) {
        size_t s = sd_sim_draft_draw(S->start_cells, V, gsl_rng_uniform(r)), base = 0, t, nrej = 0;
        for (t = 1; t <= T; t++, base += rowstep) {
            const sd_sim_cell *row = S->cells + (base + s) * V;
            size_t x = sd_sim_draft_draw(row, V, gsl_rng_uniform(r));
            if (!(gsl_rng_uniform(r) < row[x].ratio)) {
                x = sd_sim_resid_draw(row, V, gsl_rng_uniform(r));
                nrej++;
            }
            sd_tally_token(tally, t, x);
            s = x;
        }
        tally->hist[nrej]++;
    }
}

#define L SD_RNG_LANES
#define WAVE 64 /* runs advanced together, a multiple of L */

/* An alias draw on a packed row (stride 3 words) with the 53-bit integer
 * k of a uniform u = k 2^-53: column c = floor(u V) (exactly), then c if
 * u < F[c], else A[c]. */
SD_RNG_INLINE uint64_t packed_draw(const uint64_t *row, uint64_t V, uint64_t k)
{
    const uint64_t c = (k * V) >> 53; /* exact: k V < 2^64 for V <= 2^11 */
    const uint64_t w = row[3 * c];
    return k < (w & ((UINT64_C(1) << PACK_SHIFT) - 1)) ? c : w >> PACK_SHIFT;
}

/* The default generator: runs advance in waves of WAVE side by side,
 * position by position, drawing from SD_RNG_LANES xoshiro256** lanes
 * seeded from r (lane j serves runs j, j+L, ... of a wave).  Every
 * position draws three uniforms per run (draft, test, rejection law);
 * the third is used only on rejection, so each run is still Algorithm SD
 * driven by independent uniforms.  The packed tables compare 53-bit
 * integers, the exact equivalent of the double comparisons.  Written
 * without branches on random outcomes so that the run loop vectorises
 * (gathers) where the target allows it, and the look-ups of different
 * runs overlap. */
SD_RNG_INLINE void lanes_body(const sd_sim_sd *S, gsl_rng *r, size_t nruns, sd_tally *tally)
{
    const size_t V = S->m->V, T = S->m->T;
    const size_t rowstep = sd_model_row_step(S->m);
    sd_rng_lanes g;
    uint64_t u1[WAVE], u2[WAVE], u3[WAVE];
    size_t s[WAVE], nrej[WAVE];
    size_t n, t, j, k;
    sd_rng_lanes_seed(&g, r);
    for (n = 0; n < nruns; n += WAVE) {
        const size_t live = nruns - n < WAVE ? nruns - n : WAVE;
        const size_t w = (live + L - 1) / L * L;
        size_t base = 0;
        for (k = 0; k < w; k += L)
            sd_rng_lanes_next(&g, u1 + k);
        for (j = 0; j < w; j++) {
            s[j] = sd_sim_draft_draw(S->start_cells, V, sd_rng_u01(u1[j]));
            nrej[j] = 0;
        }
        for (t = 1; t <= T; t++, base += rowstep) {
            /* draft, acceptance and rejection-law words of position t */
            const uint64_t *pd = S->packed + 3 * base * V, *pr = pd + 1, *pe = pd + 2;
            for (k = 0; k < w; k += L) {
                sd_rng_lanes_next(&g, u1 + k);
                sd_rng_lanes_next(&g, u2 + k);
                sd_rng_lanes_next(&g, u3 + k);
            }
            for (j = 0; j < w; j++) {
                const uint64_t off = 3 * s[j] * V;
                const uint64_t x = packed_draw(pd + off, V, u1[j] >> 11);
                const uint64_t y = packed_draw(pe + off, V, u3[j] >> 11);
                const uint64_t rej = (u2[j] >> 11) >= pr[off + 3 * x];
                s[j] = rej ? y : x;
                nrej[j] += rej;
            }
            sd_tally_wave_tokens(tally, t, s, live);
        }
        sd_tally_wave_end(tally, nrej, live);
    }
}

#undef WAVE
#undef L

/* lanes_body for the build's target and for AVX-512 with gathers (mc.h) */
SD_MC_KERNEL(run_lanes, lanes_body, sd_sim_sd)

static sd_status sd_run(const void *ctx, void *ws, gsl_rng *r, size_t nruns,
                        sd_tally *tally, sd_error *err)
{
    const sd_sim_sd *S = ctx;
    (void)ws;
    (void)err;
    if (r->type == sd_rng_xoshiro256ss && S->packed != NULL)
        run_lanes(S, r, nruns, tally);
    else
        run_serial(S, r, nruns, tally);
    return SD_OK;
}

sd_sim sd_sim_sd_sim(const sd_sim_sd *s)
{
    return (sd_sim){s, NULL, NULL, sd_run};
}
