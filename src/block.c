/* block.c - block verification, exactly on a chain (see block.h). */
#include "block.h"

#include <math.h>
#include <string.h>

#include "alloc.h"
#include "step.h"

double sd_block_cost(const sd_model *m, size_t gamma)
{
    double tot = 0.0, V = (double)m->V;
    size_t t;
    for (t = 1; t <= m->T; t++) {
        size_t g = gamma < m->T - t + 1 ? gamma : m->T - t + 1;
        tot += V * pow(V, (double)g + 1.0);
        if (tot > 1e300)
            break;
    }
    return tot;
}

/* The walk from one round start. */
typedef struct {
    const sd_model *m;
    size_t t0, g, V;
    size_t *X;       /* g+1: the block, X[0] = start state */
    double *p;       /* g+1: p_i */
    double *res;     /* (g+1) V: [p_i Q_{i+1} - P_{i+1}]_+ at depth i */
    double *fnext;   /* (T+2) V: mass of the next round start at (t, y), row t-1 */
    double tau_sum;  /* sum over paths of weight * tau */
} walk_ctx;

static void walk_free(walk_ctx *w)
{
    sd_free(w->X);
    sd_free(w->p);
    sd_free(w->res);
    sd_free(w->fnext);
}

/* Set up a walk over m for blocks of up to g drafts, from t = 1 (the
 * caller moves t0 and g for later round starts).  SD_ENOMEM with
 * nothing allocated. */
static sd_status walk_init(walk_ctx *w, const sd_model *m, size_t g, sd_error *err)
{
    const size_t V = m->V;
    memset(w, 0, sizeof *w);
    w->m = m;
    w->V = V;
    w->t0 = 1;
    w->g = g;
    w->X = sd_malloc(g + 1, sizeof(size_t));
    w->p = sd_malloc(g + 1, sizeof(double));
    w->res = sd_malloc((g + 1) * V, sizeof(double));
    w->fnext = sd_calloc((m->T + 2) * V, sizeof(double));
    if (!w->X || !w->p || !w->res || !w->fnext) {
        walk_free(w);
        return sd_error_set(err, SD_ENOMEM, "out of memory for block verification");
    }
    return SD_OK;
}

/* SD_EINVAL for gamma outside 1..SD_CALLS_MAX_GAMMA, SD_ERANGE when the
 * V^(g+1) blocks of one round start (g = gamma cut at the horizon) are
 * too many to enumerate. */
static sd_status first_call_args(size_t V, size_t gamma, size_t g, sd_error *err)
{
    if (gamma == 0 || gamma > SD_CALLS_MAX_GAMMA)
        return sd_error_set(err, SD_EINVAL, "draft length gamma = %zu: must be in 1..%d",
                            gamma, SD_CALLS_MAX_GAMMA);
    if (pow((double)V, (double)g + 1.0) > SD_BLOCK_MAX_WORK)
        return sd_error_set(err, SD_ERANGE, "exact block verification enumerates V^gamma "
                                            "blocks: V^(gamma+1) = %.3g for V = %zu, gamma = "
                                            "%zu, above the limit of %.3g",
                            pow((double)V, (double)g + 1.0), V, g, SD_BLOCK_MAX_WORK);
    return SD_OK;
}

/* Node at depth i reached with probability w; returns
 * E[prod_{j=i+1..g} (1 - h_j) | the block so far]. */
static double walk(walk_ctx *c, size_t i, double w)
{
    const sd_model *m = c->m;
    const size_t V = c->V, T = m->T, u = c->t0 + i; /* position of token i+1 */
    double h, rho = 0.0, U = 0.0, a;
    size_t x;
    if (i == c->g) {
        h = c->p[i];
        a = w * h;
        c->tau_sum += a * (double)i;
        if (a > 0.0 && u <= T && u + 1 <= T) { /* bonus at u, next start u+1 */
            const double *Q = sd_model_q(m, u, c->X[i]);
            double *f = c->fnext + u * V;
            for (x = 0; x < V; x++)
                f[x] += a * Q[x];
        }
        return 1.0 - h;
    }
    {
        const double *P = sd_model_p(m, u, c->X[i]), *Q = sd_model_q(m, u, c->X[i]);
        double *r = c->res + i * V;
        for (x = 0; x < V; x++) {
            double d = c->p[i] * Q[x] - P[x];
            r[x] = d > 0.0 ? d : 0.0;
            rho += r[x];
        }
        if (i == 0)
            h = 1.0;
        else {
            double den = rho + 1.0 - c->p[i];
            h = den > 0.0 ? rho / den : 1.0;
        }
        for (x = 0; x < V; x++) {
            double pr;
            if (P[x] <= 0.0)
                continue;
            pr = c->p[i] * Q[x] / P[x];
            c->X[i + 1] = x;
            c->p[i + 1] = pr < 1.0 ? pr : 1.0;
            U += P[x] * walk(c, i + 1, w * P[x]);
        }
        /* tau = i: the token from the residual at position u, next start u+1 */
        a = w * h * U;
        c->tau_sum += a * (double)i;
        if (a > 0.0 && rho > 0.0 && u + 1 <= T) {
            double *f = c->fnext + u * V;
            const double *rr = c->res + i * V;
            for (x = 0; x < V; x++)
                f[x] += a * rr[x] / rho;
        }
    }
    return (1.0 - h) * U;
}

sd_status sd_block_exact(const sd_model *m, size_t gamma, double c, sd_calls_row *row,
                         double *accepted, sd_error *err)
{
    const size_t V = m->V, T = m->T, G = gamma < T ? gamma : T;
    walk_ctx w;
    double calls = 0.0, steps = 0.0;
    size_t t, s;
    sd_status rc = sd_calls_check_work(m, gamma, c, sd_block_cost(m, gamma), SD_BLOCK_MAX_WORK,
                                       "exact block verification (simulate instead)",
                                       "the V^gamma blocks of every round start", err);
    if (rc != SD_OK)
        return rc;
    if (walk_init(&w, m, G, err) != SD_OK)
        return SD_ENOMEM;
    memcpy(w.fnext, m->pi0, V * sizeof(double)); /* row 0: starts at t = 1 */
    for (t = 1; t <= T; t++) {
        size_t g = gamma < T - t + 1 ? gamma : T - t + 1;
        for (s = 0; s < V; s++) {
            double f = w.fnext[(t - 1) * V + s];
            if (f <= 0.0)
                continue;
            calls += f;
            steps += f * (double)g;
            w.t0 = t;
            w.g = g;
            w.X[0] = s;
            w.p[0] = 1.0;
            walk(&w, 0, f);
        }
    }
    if (row != NULL)
        sd_calls_row_set(row, gamma, T, c, calls, steps);
    if (accepted != NULL)
        *accepted = w.tau_sum / calls;
    walk_free(&w);
    return SD_OK;
}

sd_status sd_block_first_call(const sd_model *m, size_t gamma, size_t s, double *block,
                              double *token, sd_error *err)
{
    const size_t V = m->V, T = m->T, g = gamma < T ? gamma : T;
    walk_ctx w;
    double *a, *an, tok = 0.0;
    size_t j, x, y;
    sd_status rc;
    if (s >= V)
        return sd_error_set(err, SD_EINVAL, "start state %zu is not below V = %zu", s, V);
    if ((rc = first_call_args(V, gamma, g, err)) != SD_OK ||
        (rc = walk_init(&w, m, g, err)) != SD_OK)
        return rc;
    if ((a = sd_malloc(2 * V, sizeof(double))) == NULL) {
        walk_free(&w);
        return sd_error_set(err, SD_ENOMEM, "out of memory for block verification");
    }
    w.X[0] = s;
    w.p[0] = 1.0;
    walk(&w, 0, 1.0);
    *block = w.tau_sum;
    /* token by token: a_j = law of X_j on the event that j drafts passed */
    an = a + V;
    memset(a, 0, V * sizeof(double));
    a[s] = 1.0;
    for (j = 1; j <= g; j++) {
        memset(an, 0, V * sizeof(double));
        for (x = 0; x < V; x++) {
            const double *P = sd_model_p(m, j, x), *Q = sd_model_q(m, j, x);
            if (a[x] == 0.0)
                continue;
            for (y = 0; y < V; y++)
                an[y] += a[x] * (P[y] < Q[y] ? P[y] : Q[y]);
        }
        memcpy(a, an, V * sizeof(double));
        for (y = 0; y < V; y++)
            tok += a[y];
    }
    *token = tok;
    walk_free(&w);
    sd_free(a);
    return SD_OK;
}

sd_status sd_block_token(const double *p, const double *q, size_t V, size_t gamma,
                         double *block, double *token, sd_error *err)
{
    sd_model m;
    walk_ctx w;
    double a, tv;
    size_t s, j;
    sd_status rc;
    if (V == 0)
        return sd_error_set(err, SD_EINVAL, "block verification needs V >= 1 tokens");
    if ((rc = first_call_args(V, gamma, gamma, err)) != SD_OK)
        return rc;
    /* one state is enough: the rows do not depend on it; T = gamma + 1
     * leaves room for the bonus so no block is cut at the horizon */
    if ((rc = sd_model_alloc(&m, V, gamma + 1, 1, 1, err)) != SD_OK)
        return rc;
    for (s = 0; s < V; s++) {
        memcpy(m.P + s * V, p, V * sizeof(double));
        memcpy(m.Q + s * V, q, V * sizeof(double));
    }
    if ((rc = walk_init(&w, &m, gamma, err)) != SD_OK) {
        sd_model_free(&m);
        return rc;
    }
    w.X[0] = 0;
    w.p[0] = 1.0;
    walk(&w, 0, 1.0);
    *block = w.tau_sum;
    tv = sd_tv(p, q, V);
    for (j = 1, a = 1.0, *token = 0.0; j <= gamma; j++) {
        a *= 1.0 - tv;
        *token += a;
    }
    walk_free(&w);
    sd_model_free(&m);
    return SD_OK;
}

/* ---- on a recorded path ------------------------------------------------- */

sd_status sd_block_path(const double *px, const double *qx, size_t T, size_t gamma,
                        double *start, sd_block_path_row *out, sd_error *err)
{
    size_t s, t, j;
    if (gamma == 0)
        return sd_error_set(err, SD_EINVAL, "draft length gamma = 0: at least 1 draft token "
                                            "per round");
    for (t = 0; t < T; t++)
        if (!(qx[t] > 0.0) || !(px[t] >= 0.0))
            return sd_error_set(err, SD_EINVAL, "path position %zu: target probability %g "
                                                "and draft probability %g of its token (the "
                                                "target's must be > 0)", t + 1, qx[t], px[t]);
    memset(out, 0, sizeof *out);
    memset(start, 0, (T + 1) * sizeof *start);
    start[0] = 1.0;
    for (s = 0; s < T; s++) {
        const double f = start[s];
        const size_t g = gamma < T - s ? gamma : T - s;
        double w = 1.0, pw = 1.0; /* prod P/Q of the kept drafts; p_{j-1} */
        if (f <= 0.0)
            continue;
        out->calls += f;
        out->draft_steps += f * (double)g;
        for (j = 1; j <= g && w > 0.0; j++) {
            /* tau = j - 1 and the token x_t from the residual: the next
             * round starts after t */
            const double a = px[s + j - 1], b = qx[s + j - 1];
            const double e = f * w * fmax(pw * b - a, 0.0) / b;
            out->rejections += e;
            out->accepted += e * (double)(j - 1);
            start[s + j] += e;
            /* X_j = x_t drafted and kept for now */
            if (a <= 0.0)
                w = 0.0;
            else {
                w *= a / b;
                pw = fmin(pw * b / a, 1.0);
            }
        }
        /* tau = g: the bonus word (none when the block reaches the end) */
        out->accepted += f * w * pw * (double)g;
        if (s + g < T)
            start[s + g + 1] += f * w * pw;
    }
    return SD_OK;
}
