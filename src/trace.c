/* trace.c - statistics of recorded draft/target distributions. */
#include "trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_rstat.h>

#include "alloc.h"
#include "kseq.h"
#include "otbound.h"
#include "calls.h"
#include "rng.h"
#include "rrs.h"
#include "rrswor.h"
#include "rule.h"

struct sd_trace_pos_ws {
    size_t n, K;
    double *resid;       /* (K+1) n: RRS residuals */
    double *tvs;         /* K: TV(P, r_m) */
    sd_rrs_wor_ws *wor;  /* RRS without replacement, (n, K) */
    sd_step step;        /* its step law, n entries */
};

sd_trace_pos_ws *sd_trace_pos_ws_alloc(size_t n, size_t K)
{
    sd_trace_pos_ws *ws;
    double *d;
    if (n == 0 || K > SD_TRACE_MAX_DRAFTS)
        return NULL;
    /* one block: the workspace, the residuals, then the TVs */
    ws = sd_alloc_with_doubles(sizeof *ws, sd_size_mad(K + 1, n, K ? K : 1), &d);
    if (ws == NULL)
        return NULL;
    ws->n = n;
    ws->K = K;
    ws->resid = d;
    ws->tvs = d + (K + 1) * n;
    if (K > 0 && ((ws->wor = sd_rrs_wor_ws_alloc(n, K)) == NULL ||
                  sd_step_alloc(&ws->step, n, NULL) != SD_OK)) {
        sd_trace_pos_ws_free(ws);
        return NULL;
    }
    return ws;
}

void sd_trace_pos_ws_free(sd_trace_pos_ws *ws)
{
    if (ws == NULL)
        return;
    sd_rrs_wor_ws_free(ws->wor);
    sd_step_free(&ws->step);
    sd_free(ws);
}

sd_status sd_trace_pos_compute(const double *p, const double *q, size_t n, size_t x,
                               size_t K, sd_trace_pos_ws *ws, sd_trace_pos *out,
                               sd_error *err)
{
    double tv = 0.0, H = 0.0, m2 = 0.0, below = 0.0;
    size_t i, k;
    if (x >= n)
        return sd_error_set(err, SD_EINVAL, "token entry %zu outside the row of %zu", x, n);
    if (K > ws->K || n > ws->n)
        return sd_error_set(err, SD_EINVAL, "%zu drafts or %zu entries beyond the workspace",
                            K, n);
    for (i = 0; i < n; i++) {
        double d = q[i] - p[i];
        if (d > 0.0)
            tv += d;
        if (q[i] > 0.0) {
            double s = -log(q[i]);
            H += q[i] * s;
        }
        if (i < x)
            below += q[i];
    }
    for (i = 0; i < n; i++)
        if (q[i] > 0.0) {
            double s = -log(q[i]) - H;
            m2 += q[i] * s * s;
        }
    out->tv = tv;
    out->px = p[x];
    out->qx = q[x];
    out->r = q[x] > 0.0 ? fmax(q[x] - p[x], 0.0) / q[x] : 0.0;
    out->entropy = H;
    out->svar = m2;
    out->surprisal = q[x] > 0.0 ? -log(q[x]) : INFINITY;
    out->below = below;
    out->K = K;
    if (K == 0)
        return SD_OK;
    {
        double *tvs = ws->tvs, rho = 1.0;
        sd_rrs_residuals(p, q, n, K, ws->resid, tvs);
        for (k = 1; k <= K; k++) {
            rho *= tvs[k - 1];
            out->rrs[k - 1] = 1.0 - rho;
            out->batch[k - 1] = q[x] > 0.0 ? rho * ws->resid[k * n + x] / q[x] : 0.0;
        }
    }
    for (k = 1; k <= K; k++) {
        sd_status rc = sd_kseq_accept(p, q, n, k, &out->kseq[k - 1], NULL, err);
        if (rc != SD_OK)
            return rc;
    }
    {
        sd_status rc = sd_ot_prefix_all(p, q, n, K, out->alpha, err);
        if (rc != SD_OK)
            return rc;
    }
    for (k = 1; k <= K; k++) {
        out->rrs_wor[k - 1] = NAN;
        if (sd_rrs_wor_cost(p, q, n, k) <= SD_TRACE_WOR_MAX_WORK) {
            sd_status rc = sd_rrs_wor_step(p, q, n, k, ws->wor, &ws->step, err);
            if (rc != SD_OK)
                return rc;
            out->rrs_wor[k - 1] = 1.0 - ws->step.rej;
        }
    }
    return SD_OK;
}

/* ---- the accumulator ---------------------------------------------------- */

struct sd_trace_stats {
    sd_trace_opts o;
    int open;                 /* a sequence is open */
    size_t b, t;              /* sequences closed so far; positions in the open one */
    size_t positions;
    /* the open sequence */
    double seq_tv, seq_r, seq_s, seq_h, seq_v;
    double *slot;             /* per gamma: gamma_max + 1 slot probabilities ... */
    double *ring;             /* ... and the last gamma round-start probabilities
                                 (both in the accumulator's own block) */
    double seq_calls[SD_TRACE_MAX_GAMMAS], seq_steps[SD_TRACE_MAX_GAMMAS],
        seq_rej[SD_TRACE_MAX_GAMMAS];
    double bstart[SD_TRACE_MAX_DRAFTS], seq_batch[SD_TRACE_MAX_DRAFTS];
    gsl_rng *rng;             /* PIT uniforms of the open sequence */
    /* across sequences */
    gsl_rstat_workspace *rs_tv, *rs_r, *rs_calls[SD_TRACE_MAX_GAMMAS],
        *rs_batch[SD_TRACE_MAX_DRAFTS];
    double tv_total, r_total, rej_var;
    double tot_calls[SD_TRACE_MAX_GAMMAS], tot_steps[SD_TRACE_MAX_GAMMAS],
        tot_rej[SD_TRACE_MAX_GAMMAS];
    double md_sum[4][SD_TRACE_MAX_DRAFTS]; /* rrs, wor, kseq, alpha */
    int wor_missing[SD_TRACE_MAX_DRAFTS]; /* some position lacks RRS w/o replacement at k */
    double *pmf;              /* law of N_rej, positions + 1 entries, or NULL */
    size_t pmf_cap;
    int pmf_off;
    size_t zero_prob, zero_b, zero_t;
    double s_obs, s_mean, s_var;
    double worst_b_z;
    size_t worst_b;
    double worst_pos_z;
    size_t worst_pos_b, worst_pos_t;
    /* PIT: every u is kept binned at the finest resolution and pooled at the end */
    uint64_t pit[1024];
    size_t gmax;
};

#define PIT_FINE 1024

/* With var > 0: whether |d| / sqrt(var), a surprisal z, is above *worst;
 * if so it becomes *worst. */
static int worse_z(double d, double var, double *worst)
{
    double z = var > 0.0 ? fabs(d) / sqrt(var) : -1.0;
    if (!(z > *worst))
        return 0;
    *worst = z;
    return 1;
}

void sd_trace_opts_default(sd_trace_opts *o)
{
    static const size_t g[] = {1, 2, 3, 4, 5, 6, 8};
    memset(o, 0, sizeof *o);
    o->ngamma = sizeof g / sizeof g[0];
    memcpy(o->gamma, g, sizeof g);
    o->seed = 20241101u;
    o->pmf_max = 20000;
}

/* gsl_rstat_free, which does not take NULL. */
static void rstat_free(gsl_rstat_workspace *w)
{
    if (w != NULL)
        gsl_rstat_free(w);
}

void sd_trace_stats_free(sd_trace_stats *st)
{
    size_t i;
    if (st == NULL)
        return;
    sd_free(st->pmf);
    if (st->rng)
        gsl_rng_free(st->rng);
    rstat_free(st->rs_tv);
    rstat_free(st->rs_r);
    for (i = 0; i < SD_TRACE_MAX_GAMMAS; i++)
        rstat_free(st->rs_calls[i]);
    for (i = 0; i < SD_TRACE_MAX_DRAFTS; i++)
        rstat_free(st->rs_batch[i]);
    sd_free(st);
}

sd_status sd_trace_stats_alloc(sd_trace_stats **out, const sd_trace_opts *o, sd_error *err)
{
    sd_trace_stats *st;
    size_t i, G;
    *out = NULL;
    if (o->K > SD_TRACE_MAX_DRAFTS)
        return sd_error_set(err, SD_EINVAL, "drafts %zu: at most %d", o->K,
                            SD_TRACE_MAX_DRAFTS);
    if (o->ngamma > SD_TRACE_MAX_GAMMAS)
        return sd_error_set(err, SD_EINVAL, "%zu draft lengths: at most %d", o->ngamma,
                            SD_TRACE_MAX_GAMMAS);
    for (i = 0; i < o->ngamma; i++)
        if (o->gamma[i] < 1 || o->gamma[i] > SD_TRACE_MAX_GAMMA)
            return sd_error_set(err, SD_EINVAL, "draft length %zu: must be in 1..%d",
                                o->gamma[i], SD_TRACE_MAX_GAMMA);
    if (!(o->cost >= 0.0 && isfinite(o->cost)))
        return sd_error_set(err, SD_EINVAL, "cost ratio %g: must be finite and >= 0", o->cost);
    if (o->pit_bins > PIT_FINE)
        return sd_error_set(err, SD_EINVAL, "PIT bins %zu: at most %d", o->pit_bins, PIT_FINE);
    sd_gsl_quiet();
    for (i = 0, G = 0; i < o->ngamma; i++)
        if (o->gamma[i] > G)
            G = o->gamma[i];
    {
        /* one block: the accumulator, then slot and ring */
        const size_t ng = o->ngamma ? o->ngamma : 1;
        double *d;
        st = sd_alloc_with_doubles(sizeof *st, sd_size_mad(2 * ng, G + 1, 0), &d);
        if (st == NULL)
            return sd_error_set(err, SD_ENOMEM, "out of memory");
        st->slot = d;
        st->ring = d + ng * (G + 1);
    }
    st->o = *o;
    st->gmax = G;
    st->rs_tv = gsl_rstat_alloc();
    st->rs_r = gsl_rstat_alloc();
    if (st->rs_tv == NULL || st->rs_r == NULL)
        goto oom;
    for (i = 0; i < o->ngamma; i++)
        if ((st->rs_calls[i] = gsl_rstat_alloc()) == NULL)
            goto oom;
    for (i = 0; i < o->K; i++)
        if ((st->rs_batch[i] = gsl_rstat_alloc()) == NULL)
            goto oom;
    if (o->pmf_max > 0) {
        st->pmf_cap = 1024;
        st->pmf = sd_malloc(st->pmf_cap, sizeof(double));
        if (st->pmf == NULL)
            goto oom;
        st->pmf[0] = 1.0;
    }
    st->worst_b_z = -1.0;
    st->worst_pos_z = -1.0;
    *out = st;
    return SD_OK;
oom:
    sd_trace_stats_free(st);
    return sd_error_set(err, SD_ENOMEM, "out of memory");
}

sd_status sd_trace_stats_begin(sd_trace_stats *st, sd_error *err)
{
    size_t g, k;
    if (st->open)
        return sd_error_set(err, SD_EINVAL, "sequence %zu is still open", st->b);
    {
        /* a seed of its own for the PIT, so that a trace sampled with the
         * same seed (trace-sample, thm-trace) does not share its streams */
        uint64_t x = st->o.seed ^ UINT64_C(0x5049542d756e6966); /* "PIT-unif" */
        st->rng = sd_rng_stream_alloc(NULL, sd_splitmix64(&x), st->b);
    }
    if (st->rng == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    st->open = 1;
    st->t = 0;
    st->seq_tv = st->seq_r = st->seq_s = st->seq_h = st->seq_v = 0.0;
    for (g = 0; g < st->o.ngamma; g++) {
        double *sl = st->slot + g * (st->gmax + 1);
        memset(sl, 0, (st->gmax + 1) * sizeof *sl);
        sl[0] = 1.0; /* the first round starts at position 1 */
        st->seq_calls[g] = st->seq_steps[g] = st->seq_rej[g] = 0.0;
    }
    for (k = 0; k < st->o.K; k++) {
        st->bstart[k] = 1.0;
        st->seq_batch[k] = 0.0;
    }
    return SD_OK;
}

/* The slot DP of one gamma on the path, one position further, with
 * rejection probability r at the drafted slots. */
static void slot_step(sd_trace_stats *st, size_t g, double r)
{
    const size_t G = st->o.gamma[g];
    double *sl = st->slot + g * (st->gmax + 1), *ring = st->ring + g * (st->gmax + 1);
    double start = sl[0], rej = 0.0;
    size_t j;
    st->seq_calls[g] += start;
    st->seq_steps[g] += start * (double)G;
    ring[st->t % G] = start;
    for (j = 0; j < G; j++)
        rej += sl[j];
    st->seq_rej[g] += rej * r;
    rej = rej * r + sl[G]; /* a rejection, or the bonus slot, ends the round here */
    for (j = G; j > 0; j--)
        sl[j] = sl[j - 1] * (1.0 - r);
    sl[0] = rej;
}

sd_status sd_trace_stats_push(sd_trace_stats *st, const sd_trace_pos *pos, sd_error *err)
{
    size_t g, k;
    double r = pos->r;
    if (!st->open)
        return sd_error_set(err, SD_EINVAL, "no open sequence");
    if (pos->K < st->o.K)
        return sd_error_set(err, SD_EINVAL, "position statistics with %zu drafts, %zu needed",
                            pos->K, st->o.K);
    st->seq_tv += pos->tv;
    st->seq_r += r;
    st->rej_var += r * (1.0 - r);
    for (g = 0; g < st->o.ngamma; g++)
        slot_step(st, g, r);
    for (k = 0; k < st->o.K; k++) {
        double s = st->bstart[k], a = pos->batch[k];
        double rej = s * a + (1.0 - s) * r;
        st->seq_batch[k] += rej;
        st->bstart[k] = rej;
        st->md_sum[0][k] += pos->rrs[k];
        st->md_sum[1][k] += pos->rrs_wor[k];
        st->md_sum[2][k] += pos->kseq[k];
        st->md_sum[3][k] += pos->alpha[k];
        if (isnan(pos->rrs_wor[k]))
            st->wor_missing[k] = 1;
    }
    /* the law of N_rej given the paths: one more Bernoulli(r) */
    if (st->pmf != NULL) {
        size_t n = st->positions + 1, j;
        if (n + 1 > st->o.pmf_max + 1) {
            sd_free(st->pmf);
            st->pmf = NULL;
            st->pmf_off = 1;
        } else {
            if (n + 1 > st->pmf_cap) {
                size_t cap = 2 * st->pmf_cap;
                double *np = sd_malloc(cap, sizeof(double));
                if (np == NULL)
                    return sd_error_set(err, SD_ENOMEM, "out of memory");
                memcpy(np, st->pmf, n * sizeof(double));
                sd_free(st->pmf);
                st->pmf = np;
                st->pmf_cap = cap;
            }
            st->pmf[n] = st->pmf[n - 1] * r;
            for (j = n - 1; j > 0; j--)
                st->pmf[j] = st->pmf[j] * (1.0 - r) + st->pmf[j - 1] * r;
            st->pmf[0] *= 1.0 - r;
        }
    }
    /* conformance */
    if (!(pos->qx > 0.0)) {
        if (st->zero_prob++ == 0) {
            st->zero_b = st->b;
            st->zero_t = st->t;
        }
    } else {
        st->seq_s += pos->surprisal;
        st->seq_h += pos->entropy;
        st->seq_v += pos->svar;
        if (worse_z(pos->surprisal - pos->entropy, pos->svar, &st->worst_pos_z)) {
            st->worst_pos_b = st->b;
            st->worst_pos_t = st->t;
        }
    }
    {
        double u = pos->below + gsl_rng_uniform(st->rng) * pos->qx;
        size_t bin = (size_t)(u * PIT_FINE);
        st->pit[bin < PIT_FINE ? bin : PIT_FINE - 1]++;
    }
    st->t++;
    st->positions++;
    return SD_OK;
}

sd_status sd_trace_stats_end(sd_trace_stats *st, sd_error *err)
{
    size_t g, k, N;
    if (!st->open)
        return sd_error_set(err, SD_EINVAL, "no open sequence");
    N = st->t;
    for (g = 0; g < st->o.ngamma; g++) {
        /* rounds starting within gamma of the end draft only up to position N */
        const size_t G = st->o.gamma[g];
        const double *ring = st->ring + g * (st->gmax + 1);
        size_t t;
        for (t = N > G ? N - G + 1 : 1; t <= N; t++) {
            size_t left = N - t + 1;
            if (left < G)
                st->seq_steps[g] -= ring[(t - 1) % G] * (double)(G - left);
        }
        gsl_rstat_add(st->seq_calls[g], st->rs_calls[g]);
        st->tot_calls[g] += st->seq_calls[g];
        st->tot_steps[g] += st->seq_steps[g];
        st->tot_rej[g] += st->seq_rej[g];
    }
    for (k = 0; k < st->o.K; k++)
        gsl_rstat_add(st->seq_batch[k], st->rs_batch[k]);
    gsl_rstat_add(st->seq_tv, st->rs_tv);
    gsl_rstat_add(st->seq_r, st->rs_r);
    st->tv_total += st->seq_tv;
    st->r_total += st->seq_r;
    st->s_obs += st->seq_s;
    st->s_mean += st->seq_h;
    st->s_var += st->seq_v;
    if (worse_z(st->seq_s - st->seq_h, st->seq_v, &st->worst_b_z))
        st->worst_b = st->b;
    gsl_rng_free(st->rng);
    st->rng = NULL;
    st->open = 0;
    st->b++;
    return SD_OK;
}

sd_status sd_trace_stats_add(sd_trace_stats *st, const double *p, const double *q, size_t V,
                             size_t x, sd_error *err)
{
    size_t n = 0, i, xi = 0;
    double *pc, *qc;
    sd_trace_pos_ws *ws;
    sd_trace_pos pos;
    sd_status rc;
    if (x >= V)
        return sd_error_set(err, SD_EINVAL, "token %zu outside the vocabulary of %zu", x, V);
    pc = sd_malloc(2 * V, sizeof(double));
    ws = sd_trace_pos_ws_alloc(V, st->o.K);
    if (pc == NULL || ws == NULL) {
        sd_free(pc);
        sd_trace_pos_ws_free(ws);
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    }
    qc = pc + V;
    for (i = 0; i < V; i++)
        if (p[i] > 0.0 || q[i] > 0.0 || i == x) {
            if (i == x)
                xi = n;
            pc[n] = p[i];
            qc[n++] = q[i];
        }
    rc = sd_trace_pos_compute(pc, qc, n, xi, st->o.K, ws, &pos, err);
    if (rc == SD_OK) {
        /* the PIT's lower mass over the full row (equal: entries left out are 0) */
        rc = sd_trace_stats_push(st, &pos, err);
    }
    sd_free(pc);
    sd_trace_pos_ws_free(ws);
    return rc;
}

/* Pool the fine PIT histogram into nb equal bins: chi-square, p-value,
 * and the bin of the largest standardised deviation. */
static void pit_test(const sd_trace_stats *st, sd_trace_result *res)
{
    size_t nb = st->o.pit_bins, j, n = st->positions;
    double chi2 = 0.0;
    if (nb == 0) { /* equal bins with at least 50 expected, from 2 to 20 */
        nb = n / 50;
        nb = nb < 2 ? 2 : nb > 20 ? 20 : nb;
    }
    while (PIT_FINE % nb != 0) /* fine bins must pool evenly */
        nb--;
    res->pit_bins = nb;
    res->pit_worst_z = 0.0;
    res->pit_worst_bin = 0;
    if (n == 0 || nb < 2) {
        res->pit_chi2 = 0.0;
        res->pit_p = 1.0;
        return;
    }
    for (j = 0; j < nb; j++) {
        uint64_t c = 0;
        size_t f;
        double e = (double)n / (double)nb, z;
        for (f = j * (PIT_FINE / nb); f < (j + 1) * (PIT_FINE / nb); f++)
            c += st->pit[f];
        chi2 += ((double)c - e) * ((double)c - e) / e;
        z = ((double)c - e) / sqrt(e * (1.0 - 1.0 / (double)nb));
        if (fabs(z) > fabs(res->pit_worst_z)) {
            res->pit_worst_z = z;
            res->pit_worst_bin = j;
        }
    }
    res->pit_chi2 = chi2;
    res->pit_p = gsl_cdf_chisq_Q(chi2, (double)(nb - 1));
}

sd_status sd_trace_stats_result(const sd_trace_stats *st, sd_trace_result *res,
                                sd_error *err)
{
    size_t g, k;
    const double B = (double)st->b, N = (double)st->positions;
    double a;
    if (st->b == 0)
        return sd_error_set(err, SD_EINVAL, "no complete sequence");
    memset(res, 0, sizeof *res);
    res->sequences = st->b;
    res->positions = st->positions;
    res->tv_sum = gsl_rstat_mean(st->rs_tv);
    res->r_sum = gsl_rstat_mean(st->rs_r);
    res->tv_sum_stderr = st->b > 1 ? gsl_rstat_sd_mean(st->rs_tv) : NAN;
    res->r_sum_stderr = st->b > 1 ? gsl_rstat_sd_mean(st->rs_r) : NAN;
    res->tv_total = st->tv_total;
    res->r_total = st->r_total;
    res->rej_var = st->rej_var;
    res->pmf = st->pmf;
    res->pmf_len = st->pmf ? st->positions + 1 : 0;
    a = st->positions ? 1.0 - st->tv_total / N : NAN;
    res->mean_acceptance = a;
    res->ngamma = st->o.ngamma;
    for (g = 0; g < st->o.ngamma; g++) {
        sd_trace_gamma_row *r = &res->rows[g];
        const double G = (double)st->o.gamma[g];
        r->gamma = st->o.gamma[g];
        r->calls = st->tot_calls[g] / B;
        r->calls_stderr = st->b > 1 ? gsl_rstat_sd_mean(st->rs_calls[g]) : NAN;
        r->draft_steps = st->tot_steps[g] / B;
        r->rejections = st->tot_rej[g] / B;
        r->wall_time = r->calls + st->o.cost * r->draft_steps;
        r->tokens_per_call = N / st->tot_calls[g];
        r->speedup = N / (st->tot_calls[g] + st->o.cost * st->tot_steps[g]);
        r->leviathan_tokens_per_call = sd_leviathan_tokens_per_call(a, r->gamma);
        r->leviathan_speedup = r->leviathan_tokens_per_call / (G * st->o.cost + 1.0);
    }
    res->K = st->o.K;
    for (k = 0; k < st->o.K; k++) {
        sd_trace_md_row *m = &res->md[k];
        m->k = k + 1;
        m->rrs = st->md_sum[0][k] / N;
        m->rrs_wor = st->wor_missing[k] ? NAN : st->md_sum[1][k] / N;
        m->kseq = st->md_sum[2][k] / N;
        m->optimal = st->md_sum[3][k] / N;
        m->batch_rejections = gsl_rstat_mean(st->rs_batch[k]);
        m->batch_rejections_stderr = st->b > 1 ? gsl_rstat_sd_mean(st->rs_batch[k]) : NAN;
    }
    res->zero_prob = st->zero_prob;
    res->zero_b = st->zero_b;
    res->zero_t = st->zero_t;
    res->surprisal = st->s_obs;
    res->surprisal_mean = st->s_mean;
    res->surprisal_var = st->s_var;
    res->surprisal_z = st->s_var > 0.0 ? (st->s_obs - st->s_mean) / sqrt(st->s_var) : 0.0;
    res->worst_b = st->worst_b;
    res->worst_b_z = st->worst_b_z < 0.0 ? 0.0 : st->worst_b_z;
    res->worst_pos_b = st->worst_pos_b;
    res->worst_pos_t = st->worst_pos_t;
    res->worst_pos_z = st->worst_pos_z < 0.0 ? 0.0 : st->worst_pos_z;
    pit_test(st, res);
    return SD_OK;
}

int sd_trace_conforms(const sd_trace_result *res, double z_max, double p_min,
                      const char **failed)
{
    const char *f = NULL;
    if (res->zero_prob > 0)
        f = "zero-probability tokens";
    else if (!(fabs(res->surprisal_z) <= z_max))
        f = "surprisal";
    else if (!(res->pit_p >= p_min))
        f = "PIT";
    if (failed)
        *failed = f;
    return f == NULL;
}
