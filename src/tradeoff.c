/* tradeoff.c - biased rules along a chain (doc/theory.md §4, chain level). */
#include "tradeoff.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "exact.h"
#include "step.h"
#include "tol.h"

void sd_tradeoff_free(sd_tradeoff *tr)
{
    sd_free(tr->w); /* the one block behind every table */
    memset(tr, 0, sizeof *tr);
}

sd_status sd_tradeoff_alloc(sd_tradeoff *tr, const sd_model *m, sd_error *err)
{
    size_t V = m->V, n;
    memset(tr, 0, sizeof *tr);
    if (V == 0 || m->T == 0)
        return sd_error_set(err, SD_EINVAL, "tradeoff tables need V >= 1 and T >= 1");
    if ((!sd_model_stationary(m) && m->T > SIZE_MAX / V) ||
        (sd_model_nrows(m)) > SIZE_MAX / V / 4 / sizeof(double))
        return sd_error_set(err, SD_ERANGE, "tradeoff tables for V = %zu, T = %zu are too large",
                            V, m->T);
    tr->nrows = sd_model_nrows(m);
    n = tr->nrows * V;
    /* one block: w, r, o (n each), then the four per-row scalars */
    tr->w = sd_calloc(sd_size_mad(tr->nrows, 3 * V + 4, 0), sizeof(double));
    if (tr->w == NULL) {
        sd_tradeoff_free(tr);
        return sd_error_set(err, SD_ENOMEM, "out of memory for tradeoff tables (V = %zu, T = %zu)",
                            V, m->T);
    }
    tr->r = tr->w + n;
    tr->o = tr->r + n;
    tr->rej = tr->o + n;
    tr->m = m;
    tr->loss = tr->rej + tr->nrows;
    tr->loss_star = tr->rej + 2 * tr->nrows;
    tr->tv = tr->rej + 3 * tr->nrows;
    return SD_OK;
}

size_t sd_tradeoff_row(const sd_tradeoff *tr, size_t t, size_t s)
{
    return sd_model_row(tr->m, t, s);
}

/* The (t, s) of a row, for the model's P and Q rows. */
static void row_ts(const sd_tradeoff *tr, size_t row, size_t *t, size_t *s)
{
    *t = sd_model_row_t(tr->m, row);
    *s = row % tr->m->V;
}

void sd_tradeoff_set_row(sd_tradeoff *tr, size_t row, const double *w, sd_resample resample)
{
    size_t V = tr->m->V, t, s, x;
    const double *p, *q;
    double *wr = tr->w + row * V, *rr = tr->r + row * V, *orow = tr->o + row * V;
    row_ts(tr, row, &t, &s);
    p = sd_model_p(tr->m, t, s);
    q = sd_model_q(tr->m, t, s);
    if (wr != w)
        memcpy(wr, w, V * sizeof(double));
    if (resample == SD_RESAMPLE_UNO)
        memcpy(rr, q, V * sizeof(double));
    else
        sd_biased_r_star(wr, q, V, rr);
    sd_biased_output(wr, rr, V, orow);
    /* 1 - a as sum (P - w): exactly 0 where the rule accepts every draft */
    tr->rej[row] = 0.0;
    for (x = 0; x < V; x++)
        tr->rej[row] += p[x] - wr[x];
    if (tr->rej[row] < 0.0)
        tr->rej[row] = 0.0;
    tr->loss[row] = sd_biased_loss_tv(wr, rr, q, V);
    tr->loss_star[row] = sd_biased_loss_star(wr, q, V);
    tr->tv[row] = sd_tv(p, q, V);
}

void sd_tradeoff_set_eps(sd_tradeoff *tr, double eps, sd_resample resample)
{
    size_t V = tr->m->V, row, t, s;
    for (row = 0; row < tr->nrows; row++) {
        row_ts(tr, row, &t, &s);
        sd_biased_w_eps(sd_model_p(tr->m, t, s), sd_model_q(tr->m, t, s), V, eps,
                        tr->w + row * V);
        sd_tradeoff_set_row(tr, row, tr->w + row * V, resample);
    }
}

void sd_tradeoff_set_typical(sd_tradeoff *tr, double eps, double delta, sd_resample resample)
{
    size_t V = tr->m->V, row, t, s;
    for (row = 0; row < tr->nrows; row++) {
        row_ts(tr, row, &t, &s);
        sd_biased_w_typical(sd_model_p(tr->m, t, s), sd_model_q(tr->m, t, s), V, eps, delta,
                            tr->w + row * V);
        sd_tradeoff_set_row(tr, row, tr->w + row * V, resample);
    }
}

/* next = nu O_t (row vector times the output kernel of position t). */
static void propagate(const sd_tradeoff *tr, size_t t, const double *nu, double *next)
{
    size_t V = tr->m->V;
    sd_exact_propagate(tr->o + sd_tradeoff_row(tr, t, 0) * V, V, nu, next);
}

sd_status sd_tradeoff_exact(const sd_tradeoff *tr, sd_tradeoff_result *res, sd_error *err)
{
    size_t V = tr->m->V, t, r0;
    double *buf = sd_malloc(2 * V, sizeof(double)), *nu, *next, *sw;
    if (buf == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu)", V);
    nu = buf;
    next = buf + V;
    memcpy(nu, tr->m->pi0, V * sizeof(double));
    memset(res, 0, sizeof *res);
    for (t = 1; t <= tr->m->T; t++) {
        r0 = sd_tradeoff_row(tr, t, 0);
        res->expected_rejections += sd_exact_dot(nu, tr->rej + r0, V);
        res->bias_sum += sd_exact_dot(nu, tr->loss + r0, V);
        res->loss_star_sum += sd_exact_dot(nu, tr->loss_star + r0, V);
        res->tv_sum += sd_exact_dot(nu, tr->tv + r0, V);
        if (t == tr->m->T)
            break;
        propagate(tr, t, nu, next);
        sw = nu;
        nu = next;
        next = sw;
    }
    sd_free(buf);
    return SD_OK;
}

sd_status sd_tradeoff_token_laws(const sd_tradeoff *tr, size_t npos, const size_t *pos,
                                 double *out, sd_error *err)
{
    size_t V = tr->m->V, t, i = 0;
    double *buf, *nu, *next, *sw;
    for (i = 0; i < npos; i++)
        if (pos[i] < 1 || pos[i] > tr->m->T || (i > 0 && pos[i] <= pos[i - 1]))
            return sd_error_set(err, SD_EINVAL,
                                "positions must be ascending in 1..%zu (position %zu is %zu)",
                                tr->m->T, i + 1, pos[i]);
    buf = sd_malloc(2 * V, sizeof(double));
    if (buf == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu)", V);
    nu = buf;
    next = buf + V;
    memcpy(nu, tr->m->pi0, V * sizeof(double));
    /* nu holds the law of x_{t-1}; after propagating with O_t, x_t */
    for (t = 1, i = 0; t <= tr->m->T && i < npos; t++) {
        propagate(tr, t, nu, next);
        sw = nu;
        nu = next;
        next = sw;
        if (pos[i] == t)
            memcpy(out + (i++) * V, nu, V * sizeof(double));
    }
    sd_free(buf);
    return SD_OK;
}

int sd_tradeoff_enumerable(const sd_model *m, double max_sequences)
{
    return (double)m->T * log((double)m->V) <= log(max_sequences) + SD_TOL_EXACT;
}

/* Depth-first enumeration of x_{1:T} from prompt state x0.  At depth d
 * the node is the prefix x_{0:d}: state[d] = x_d, po[d] and pq[d] its
 * probabilities under O and Q, child[d] the next x_{d+1} to try.  Returns
 * sum |O(x_{1:T}) - Q(x_{1:T})| given x0.  A subtree that one law gives
 * probability 0 contributes the other law's prefix mass whole. */
static double enumerate(const sd_tradeoff *tr, size_t x0, size_t *state, size_t *child,
                        double *po, double *pq)
{
    const sd_model *m = tr->m;
    const size_t V = m->V, T = m->T;
    double sum = 0.0;
    size_t d = 0, x;
    state[0] = x0;
    child[0] = 0;
    po[0] = pq[0] = 1.0;
    for (;;) {
        const size_t t = d + 1;
        const double *orow = tr->o + sd_tradeoff_row(tr, t, state[d]) * V;
        const double *qrow = sd_model_q(m, t, state[d]);
        if (t < T && child[d] < V) {
            double a, b;
            x = child[d]++;
            a = po[d] * orow[x];
            b = pq[d] * qrow[x];
            if (a == 0.0 || b == 0.0) {
                sum += a + b;
            } else {
                d++;
                state[d] = x;
                child[d] = 0;
                po[d] = a;
                pq[d] = b;
            }
            continue;
        }
        if (t == T)
            for (x = 0; x < V; x++)
                sum += fabs(po[d] * orow[x] - pq[d] * qrow[x]);
        if (d == 0)
            break;
        d--;
    }
    return sum;
}

sd_status sd_tradeoff_sequence_tv(const sd_tradeoff *tr, double max_sequences, double *tv,
                                  sd_error *err)
{
    const sd_model *m = tr->m;
    size_t V = m->V, T = m->T, x0;
    size_t *state, *child;
    double *po, *pq, total = 0.0;
    if (!sd_tradeoff_enumerable(m, max_sequences))
        return sd_error_set(err, SD_ERANGE,
                            "sequence-level TV needs all V^T = %zu^%zu = 10^%.1f token sequences; "
                            "exact enumeration is limited to V^T <= %g (running time, and "
                            "rounding of the sum) - use a shorter horizon",
                            V, T, (double)T * log10((double)V), max_sequences);
    state = sd_malloc(T, sizeof *state);
    child = sd_malloc(T, sizeof *child);
    po = sd_malloc(T, sizeof *po);
    pq = sd_malloc(T, sizeof *pq);
    if (!state || !child || !po || !pq) {
        sd_free(state);
        sd_free(child);
        sd_free(po);
        sd_free(pq);
        return sd_error_set(err, SD_ENOMEM, "out of memory (T = %zu)", T);
    }
    for (x0 = 0; x0 < V; x0++)
        if (m->pi0[x0] > 0.0)
            total += m->pi0[x0] * 0.5 * enumerate(tr, x0, state, child, po, pq);
    sd_free(state);
    sd_free(child);
    sd_free(po);
    sd_free(pq);
    *tv = total;
    return SD_OK;
}
