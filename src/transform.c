/* transform.c - temperature, top-k, top-p and min-p on one row. */
#define _GNU_SOURCE /* qsort_r */
#include "transform.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct sd_transform_ws {
    size_t V;
    double *val;  /* working copy of the values */
    size_t *idx;  /* their token indices */
};

void sd_sampling_default(sd_sampling *s)
{
    s->temperature = 1.0;
    s->top_k = 0;
    s->top_p = 1.0;
    s->min_p = 0.0;
}

int sd_sampling_is_identity(const sd_sampling *s)
{
    return s->temperature == 1.0 && s->top_k == 0 && s->top_p >= 1.0 && s->min_p <= 0.0;
}

sd_status sd_sampling_check(const sd_sampling *s, sd_error *err)
{
    if (!(isfinite(s->temperature) && s->temperature >= 0.0))
        return sd_error_set(err, SD_EINVAL, "temperature %g: must be finite and >= 0",
                            s->temperature);
    if (!(s->top_p > 0.0 && s->top_p <= 1.0))
        return sd_error_set(err, SD_EINVAL, "top-p %g: must be in (0, 1]", s->top_p);
    if (!(s->min_p >= 0.0 && s->min_p <= 1.0))
        return sd_error_set(err, SD_EINVAL, "min-p %g: must be in [0, 1]", s->min_p);
    return SD_OK;
}

sd_transform_ws *sd_transform_ws_alloc(size_t V)
{
    /* one block: the workspace, V values, then V indices (a size_t takes
     * idx_words doubles' room; its alignment is no stricter than a
     * double's on the platforms GSL supports) */
    const size_t idx_words = (sizeof(size_t) + sizeof(double) - 1) / sizeof(double);
    sd_transform_ws *ws;
    double *d;
    if (V == 0)
        return NULL;
    ws = sd_alloc_with_doubles(sizeof *ws, sd_size_mad(1 + idx_words, V, 0), &d);
    if (ws != NULL) {
        ws->V = V;
        ws->val = d;
        ws->idx = (size_t *)(void *)(d + V);
    }
    return ws;
}

void sd_transform_ws_free(sd_transform_ws *ws)
{
    sd_free(ws);
}

/* The median of three values. */
static double median3(double a, double b, double c)
{
    if (a < b) {
        if (b < c)
            return b;
        return a < c ? c : a;
    }
    if (a < c)
        return a;
    return b < c ? c : b;
}

/* The k-th largest (k >= 1) of a[0..n-1], k <= n, by quickselect with a
 * three-way partition (a is permuted). */
static double kth_largest(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n; /* the answer is in a[lo..hi) at rank k - lo */
    for (;;) {
        double piv = median3(a[lo], a[lo + (hi - lo) / 2], a[hi - 1]);
        size_t gt = lo, i = lo, lt = hi; /* [lo,gt) > piv, [gt,i) == piv, [lt,hi) < piv */
        while (i < lt) {
            double v = a[i];
            if (v > piv) {
                a[i] = a[gt];
                a[gt++] = v;
                i++;
            } else if (v < piv) {
                a[i] = a[--lt];
                a[lt] = v;
            } else {
                i++;
            }
        }
        if (k <= gt - lo) {
            hi = gt;
        } else if (k <= lt - lo) {
            return piv;
        } else {
            k -= lt - lo;
            lo = lt;
        }
    }
}

/* Order of the top-p prefix: probability descending, ties by index. */
static int cmp_desc(const void *pa, const void *pb, void *ctx)
{
    const size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const double *w = ctx;
    if (w[a] != w[b])
        return w[a] > w[b] ? -1 : 1;
    return a < b ? -1 : (a > b);
}

/* Swap entries i and j of both arrays. */
static void swap2(double *val, size_t *idx, size_t i, size_t j)
{
    double v = val[i];
    size_t x = idx[i];
    val[i] = val[j];
    idx[i] = idx[j];
    val[j] = v;
    idx[j] = x;
}

/* Move to the front of (val, idx)[0..n) a set of the largest entries (in
 * the order value descending, index ascending) whose mass, summed in any
 * order, reaches need; return its size (n if the whole mass is below
 * need).  Expected O(n). */
static size_t mass_select(double *val, size_t *idx, size_t n, double need)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        double piv = median3(val[lo], val[lo + (hi - lo) / 2], val[hi - 1]);
        double sgt = 0.0, seq = 0.0;
        size_t gt = lo, i = lo, lt = hi;
        while (i < lt) {
            double v = val[i];
            if (v > piv) {
                sgt += v;
                swap2(val, idx, i, gt);
                gt++;
                i++;
            } else if (v < piv) {
                swap2(val, idx, i, --lt);
            } else {
                seq += v;
                i++;
            }
        }
        if (sgt >= need) {
            if (gt == hi)
                return hi; /* no progress possible: keep the range */
            hi = gt;
        } else if (sgt + seq >= need) {
            /* the boundary is inside the tie [gt, lt): keep all of it (the
             * caller's sort orders a tie by index) */
            return lt;
        } else {
            need -= sgt + seq;
            lo = lt;
        }
    }
    return hi;
}

/* Greedy: one-hot on the largest entry, lowest index on ties. */
static size_t greedy(const double *in, size_t V, double *out, size_t *support)
{
    size_t i, a = 0;
    for (i = 1; i < V; i++)
        if (in[i] > in[a])
            a = i;
    memset(out, 0, V * sizeof *out);
    out[a] = 1.0;
    if (support)
        support[0] = a;
    return 1;
}

/* Unnormalised weights of temperature tau > 0 into out. */
static void temper(const double *in, size_t V, int probs, double tau, double *out)
{
    size_t i;
    double mx = -INFINITY;
    for (i = 0; i < V; i++)
        if (in[i] > mx)
            mx = in[i];
    if (probs) {
        if (tau == 1.0) {
            if (out != in)
                memcpy(out, in, V * sizeof *out);
            return;
        }
        for (i = 0; i < V; i++)
            out[i] = in[i] > 0.0 ? pow(in[i] / mx, 1.0 / tau) : 0.0;
        return;
    }
    if (tau == 1.0) {
        for (i = 0; i < V; i++)
            out[i] = exp(in[i] - mx);
    } else {
        const double inv = 1.0 / tau;
        for (i = 0; i < V; i++)
            out[i] = exp((in[i] - mx) * inv);
    }
}

/* Top-k on weights w: zero every entry below the k-th largest. */
static void top_k(double *w, size_t V, size_t k, sd_transform_ws *ws)
{
    double th;
    size_t i;
    if (k == 0 || k >= V)
        return;
    memcpy(ws->val, w, V * sizeof *w);
    th = kth_largest(ws->val, V, k);
    for (i = 0; i < V; i++)
        if (w[i] < th)
            w[i] = 0.0;
}

/* Top-p on weights w: keep the shortest prefix (descending, ties by
 * index) whose mass is >= top_p times the total. */
static void top_p(double *w, size_t V, double p, sd_transform_ws *ws)
{
    size_t i, n = 0, c, keep;
    double Z = 0.0, need, s, th;
    for (i = 0; i < V; i++)
        Z += w[i];
    /* Entries below th = (1-p) Z / (2V) hold less than (1-p) Z / 2 of
     * the mass together, so the largest entries reaching p Z (plus the
     * rounding margin below) are all >= th: only those are candidates. */
    th = (1.0 - p) * Z / (2.0 * (double)V);
    if ((1.0 - p) / 2.0 < 8.0 * (double)V * DBL_EPSILON)
        th = 0.0; /* p within rounding of 1: no room for the filter's slack */
    for (i = 0; i < V; i++)
        if (w[i] > 0.0 && w[i] >= th) {
            ws->val[n] = w[i];
            ws->idx[n++] = i;
        }
    need = p * Z;
    /* a superset of the prefix: summation order changes a sum of n terms
     * by at most n eps Z, so a set reaching need + that bound in any
     * order reaches need in the sorted order too */
    c = mass_select(ws->val, ws->idx, n, need + 2.0 * (double)n * DBL_EPSILON * Z);
    qsort_r(ws->idx, c, sizeof(size_t), cmp_desc, w);
    s = 0.0;
    keep = c;
    for (i = 0; i < c; i++) {
        s += w[ws->idx[i]];
        if (s >= need) {
            keep = i + 1;
            break;
        }
    }
    /* zero everything, then restore the kept prefix */
    for (i = 0; i < keep; i++)
        ws->val[i] = w[ws->idx[i]];
    memset(w, 0, V * sizeof *w);
    for (i = 0; i < keep; i++)
        w[ws->idx[i]] = ws->val[i];
}

size_t sd_transform_row(const sd_sampling *s, const double *in, size_t V, int probs,
                        double *out, size_t *support, sd_transform_ws *ws)
{
    size_t i, n = 0;
    double Z = 0.0, inv;
    if (s->temperature == 0.0)
        return greedy(in, V, out, support);
    temper(in, V, probs, s->temperature, out);
    top_k(out, V, s->top_k, ws);
    if (s->top_p < 1.0)
        top_p(out, V, s->top_p, ws);
    if (s->min_p > 0.0) {
        double mx = 0.0, th;
        for (i = 0; i < V; i++)
            if (out[i] > mx)
                mx = out[i];
        th = s->min_p * mx;
        for (i = 0; i < V; i++)
            if (out[i] < th)
                out[i] = 0.0;
    }
    for (i = 0; i < V; i++)
        Z += out[i];
    inv = 1.0 / Z;
    for (i = 0; i < V; i++)
        if (out[i] > 0.0) {
            out[i] *= inv;
            if (support)
                support[n] = i;
            n++;
        }
    return n;
}
