/* rrswor.c - recursive rejection sampling without replacement (Jeon et
 * al. 2024): exact step law by a walk over rejection paths, and the
 * literal verifier. */
#include "rrswor.h"

#include <math.h>
#include <string.h>

#include "alloc.h"
#include "scan.h"

struct sd_rrs_wor_ws {
    size_t V, k;
    double *r;              /* (k + 1) V: r_i at level i = 1..k+1 */
    double *d;              /* V: the current draft law (literal verifier) */
    unsigned char *removed; /* V: rejected tokens of the current path */
};

sd_rrs_wor_ws *sd_rrs_wor_ws_alloc(size_t V, size_t k)
{
    /* (k + 2) V doubles, then the V bytes of removed in whole doubles */
    const size_t nd = sd_size_mad(k + 2, V, (V + sizeof(double) - 1) / sizeof(double));
    double *d;
    sd_rrs_wor_ws *w = V > 0 && k > 0 && k < (size_t)-2 ? sd_alloc_with_doubles(sizeof *w, nd, &d)
                                                         : NULL;
    if (w != NULL)
        *w = (sd_rrs_wor_ws){V, k, d, d + (k + 1) * V, (unsigned char *)(d + (k + 2) * V)};
    return w;
}

void sd_rrs_wor_ws_free(sd_rrs_wor_ws *ws)
{
    sd_free(ws);
}

double sd_rrs_wor_cost(const double *p, const double *q, size_t V, size_t k)
{
    double n1 = 0.0, n = 0.0, nodes = 1.0, level = 1.0;
    size_t x, i;
    for (x = 0; x < V; x++) {
        n1 += p[x] > q[x];
        n += p[x] > 0.0;
    }
    for (i = 2; i <= k; i++) {
        level = i == 2 ? n1 : level * n;
        nodes += level;
        if (nodes > 1e300)
            break;
    }
    return nodes * (double)V;
}

/* Mass of p on the tokens not yet rejected. */
static double remaining(const double *p, const unsigned char *removed, size_t V)
{
    double rem = 0.0;
    size_t x;
    for (x = 0; x < V; x++)
        if (!removed[x])
            rem += p[x];
    return rem;
}

/* The node at level i (1..k) of the walk, reached with probability w:
 * draft law d_i = p off the removed tokens / rem, residual r_i at
 * ws->r + (i-1) V.  Adds its acceptances to out->acc and, at the leaves,
 * its rejections to out->rej and out->res (unnormalised). */
static void walk(const double *p, size_t V, size_t k, size_t i, double w, sd_rrs_wor_ws *ws,
                 sd_step *out)
{
    const double *r = ws->r + (i - 1) * V;
    double *nxt = ws->r + i * V, rem = remaining(p, ws->removed, V), s = 0.0;
    size_t x;
    if (rem <= 0.0) {
        /* no token left to draft: the residual r_i is emitted */
        out->rej += w;
        for (x = 0; x < V; x++)
            out->res[x] += w * r[x];
        return;
    }
    for (x = 0; x < V; x++) {
        double d = ws->removed[x] ? 0.0 : p[x] / rem;
        out->acc[x] += w * fmin(d, r[x]);
        nxt[x] = r[x] > d ? r[x] - d : 0.0;
        s += nxt[x];
    }
    if (s <= 0.0)
        return; /* r_i = d_i: every draft is accepted */
    for (x = 0; x < V; x++)
        nxt[x] /= s;
    if (i == k) {
        /* every rejection here emits from the same r_{k+1}: add it once */
        double csum = 0.0;
        for (x = 0; x < V; x++) {
            double d = ws->removed[x] ? 0.0 : p[x] / rem;
            csum += d > r[x] ? d - r[x] : 0.0;
        }
        out->rej += w * csum;
        for (x = 0; x < V; x++)
            out->res[x] += w * csum * nxt[x];
        return;
    }
    for (x = 0; x < V; x++) {
        double d = ws->removed[x] ? 0.0 : p[x] / rem;
        double c = d > r[x] ? d - r[x] : 0.0; /* P(draft x, rejected) */
        if (c <= 0.0)
            continue;
        ws->removed[x] = 1;
        walk(p, V, k, i + 1, w * c, ws, out);
        ws->removed[x] = 0;
    }
}

sd_status sd_rrs_wor_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                          sd_step *out, sd_error *err)
{
    sd_rrs_wor_ws *w = ws;
    double cost;
    size_t x;
    if (k == 0)
        return sd_error_set(err, SD_EINVAL, "RRS without replacement needs k >= 1 drafts");
    if (w == NULL || w->V < V || w->k < k)
        return sd_error_set(err, SD_EINVAL, "RRS without replacement: workspace missing or "
                                            "smaller than V = %zu, k = %zu", V, k);
    cost = sd_rrs_wor_cost(p, q, V, k);
    if (cost > SD_RRS_WOR_MAX_WORK)
        return sd_error_set(err, SD_ERANGE,
                            "RRS without replacement: the exact law sums over rejection "
                            "paths, about %.3g operations for V = %zu, k = %zu: above the "
                            "limit of %.3g", cost, V, k, SD_RRS_WOR_MAX_WORK);
    memset(out->acc, 0, V * sizeof(double));
    memset(out->res, 0, V * sizeof(double));
    memset(w->removed, 0, V);
    out->rej = 0.0;
    memcpy(w->r, q, V * sizeof(double));
    walk(p, V, k, 1, 1.0, w, out);
    if (out->rej > 0.0)
        for (x = 0; x < V; x++)
            out->res[x] /= out->rej;
    return SD_OK;
}

sd_status sd_rrs_wor_accept(const double *p, const double *q, size_t V, size_t k,
                            double *accept, sd_error *err)
{
    sd_rrs_wor_ws *ws;
    sd_step st;
    sd_status rc;
    if (k == 0 || V == 0)
        return sd_error_set(err, SD_EINVAL, "RRS without replacement needs k >= 1 drafts and "
                                            "V >= 1 tokens");
    if ((rc = sd_step_alloc(&st, V, err)) != SD_OK)
        return rc;
    ws = sd_rrs_wor_ws_alloc(V, k);
    if (ws == NULL) {
        sd_step_free(&st);
        return sd_error_set(err, SD_ENOMEM, "out of memory for RRS without replacement");
    }
    rc = sd_rrs_wor_step(p, q, V, k, ws, &st, err);
    if (rc == SD_OK)
        *accept = 1.0 - st.rej;
    sd_rrs_wor_ws_free(ws);
    sd_step_free(&st);
    return rc;
}

int sd_rrs_wor_verify(const double *p, const double *q, size_t V, size_t k, gsl_rng *r,
                      sd_rrs_wor_ws *ws, size_t *y, size_t *trial)
{
    double *cur = ws->r, *nxt = ws->r + V, *d = ws->d, *sw;
    size_t i, x;
    memcpy(cur, q, V * sizeof(double));
    memcpy(d, p, V * sizeof(double));
    for (i = 1; i <= k; i++) {
        double rem = 0.0, s = 0.0, u;
        size_t xi;
        for (x = 0; x < V; x++)
            rem += d[x];
        if (rem <= 0.0)
            break; /* every token drafted and rejected */
        xi = sd_scan_draw(d, V, rem, gsl_rng_uniform(r));
        u = gsl_rng_uniform(r);
        if (u < cur[xi] * rem / d[xi]) {
            *y = xi;
            *trial = i;
            return 1;
        }
        for (x = 0; x < V; x++) {
            double dx = d[x] / rem;
            nxt[x] = cur[x] > dx ? cur[x] - dx : 0.0;
            s += nxt[x];
        }
        if (s > 0.0) {
            for (x = 0; x < V; x++)
                nxt[x] /= s;
            sw = cur, cur = nxt, nxt = sw;
        }
        d[xi] = 0.0;
    }
    *trial = 0;
    *y = sd_scan_draw(cur, V, 1.0, gsl_rng_uniform(r));
    return 0;
}

sd_status sd_rrs_wor_sim_init(sd_rrs_wor_sim *s, const sd_model *m, size_t M, sd_error *err)
{
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "the number of drafts must be at least 1");
    s->m = m;
    s->M = M;
    return SD_OK;
}

static sd_status wor_ws_alloc(const void *ctx, void **ws, sd_error *err)
{
    const sd_rrs_wor_sim *S = ctx;
    *ws = sd_rrs_wor_ws_alloc(S->m->V, S->M);
    return *ws ? SD_OK : sd_error_set(err, SD_ENOMEM, "out of memory for RRS without "
                                                      "replacement");
}

static void wor_ws_free(void *ws)
{
    sd_rrs_wor_ws_free(ws);
}

static int wor_verify(const void *ctx, void *ws, size_t t, size_t s, gsl_rng *r, size_t *y)
{
    const sd_rrs_wor_sim *S = ctx;
    size_t trial;
    return sd_rrs_wor_verify(sd_model_p(S->m, t, s), sd_model_q(S->m, t, s), S->m->V, S->M,
                             r, ws, y, &trial);
}

sd_rs_verifier sd_rrs_wor_rs_verifier(const sd_rrs_wor_sim *s)
{
    return (sd_rs_verifier){s, wor_ws_alloc, wor_ws_free, wor_verify};
}
