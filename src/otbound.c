/* otbound.c - alpha*_k by min-cut enumeration and by GLPK (doc/theory.md §6.3). */
#include "otbound.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glpk.h>
#include <gsl/gsl_math.h>

#include "alloc.h"
#include "tol.h"

/* sums[mask] = sum of w[i] over the bits i of mask, for masks < 2^n;
 * each sum is accumulated along at most n additions (no drift). */
static void subset_sums(const double *w, size_t n, double *sums)
{
    size_t mask, N = (size_t)1 << n;
    sums[0] = 0.0;
    for (mask = 1; mask < N; mask++) {
        size_t low = mask & (~mask + 1), bit = 0;
        while (((size_t)1 << bit) != low)
            bit++;
        sums[mask] = sums[mask ^ low] + w[bit];
    }
}

sd_status sd_ot_mincut(const double *p, const double *q, size_t V, size_t k, double *alpha,
                       sd_error *err)
{
    size_t L, H, a, b, NL, NH;
    double *pl, *ql, *ph, *qh, best = INFINITY;
    if (k == 0 || V == 0)
        return sd_error_set(err, SD_EINVAL, "alpha*_k needs k >= 1 drafts and V >= 1 tokens");
    if (V > SD_OT_MINCUT_MAX_V)
        return sd_error_set(err, SD_ERANGE,
                            "alpha*_k by min-cut enumerates all 2^V token sets: V = %zu is "
                            "above the limit V <= %d (2^%d sets, about a second; each further "
                            "token doubles the time)", V, SD_OT_MINCUT_MAX_V, SD_OT_MINCUT_MAX_V);
    /* Split the tokens in two halves so that every set's P(S) and Q(S)
     * is one addition of two exactly-accumulated half sums. */
    L = V / 2;
    H = V - L;
    NL = (size_t)1 << L;
    NH = (size_t)1 << H;
    pl = sd_malloc(2 * (NL + NH), sizeof(double));
    if (pl == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory for the min-cut enumeration");
    ql = pl + NL;
    ph = ql + NL;
    qh = ph + NH;
    subset_sums(p, L, pl);
    subset_sums(q, L, ql);
    subset_sums(p + L, H, ph);
    subset_sums(q + L, H, qh);
    for (b = 0; b < NH; b++)
        for (a = 0; a < NL; a++) {
            double ps = pl[a] + ph[b];
            double v = ql[a] + qh[b] + 1.0 - gsl_pow_uint(ps < 1.0 ? ps : 1.0, (unsigned)k);
            if (v < best)
                best = v;
        }
    sd_free(pl);
    *alpha = best;
    return SD_OK;
}

/* Sort key of a token for the prefix form: P/Q, +inf when Q = 0 < P,
 * -1 (after every ratio) when P = Q = 0; such tokens change neither sum. */
typedef struct {
    double key;
    size_t x;
} prefix_item;

static int prefix_cmp(const void *a, const void *b)
{
    const prefix_item *u = a, *v = b;
    if (u->key != v->key)
        return u->key > v->key ? -1 : 1;
    return u->x < v->x ? -1 : u->x > v->x;
}

/* *s + *c += x, Neumaier's compensated summation. */
static void neumaier_add(double *s, double *c, double x)
{
    double t = *s + x;
    *c += fabs(*s) >= fabs(x) ? (*s - t) + x : (x - t) + *s;
    *s = t;
}

/* alpha*_k for k = k0..k1 into alpha[k - k0] (and the size of a
 * minimising prefix into argmin[k - k0] if not NULL): one sort, then one
 * pass over the prefixes for every k. */
static sd_status prefix_min(const double *p, const double *q, size_t V, size_t k0, size_t k1,
                            double *alpha, size_t *argmin, sd_error *err)
{
    prefix_item *it;
    double ps = 0.0, pc = 0.0, qs = 0.0, qc = 0.0;
    size_t j, x, k;
    if (k0 == 0 || k1 < k0 || V == 0)
        return sd_error_set(err, SD_EINVAL, "alpha*_k needs k >= 1 drafts and V >= 1 tokens");
    it = sd_malloc(V, sizeof *it);
    if (it == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory for the sorted prefix (V = %zu)",
                            V);
    for (x = 0; x < V; x++) {
        it[x].x = x;
        if (q[x] > 0.0)
            it[x].key = p[x] / q[x];
        else
            it[x].key = p[x] > 0.0 ? INFINITY : -1.0;
    }
    qsort(it, V, sizeof *it, prefix_cmp);
    for (k = k0; k <= k1; k++) {
        alpha[k - k0] = 1.0; /* S_0 = {} gives 1 */
        if (argmin != NULL)
            argmin[k - k0] = 0;
    }
    for (j = 1; j <= V; j++) {
        double pj, qj;
        /* Neumaier-compensated running sums: with V ~ 1e5 plain sums
         * drift by ~1e-12, compensated ones stay within a few ulps. */
        neumaier_add(&ps, &pc, p[it[j - 1].x]);
        neumaier_add(&qs, &qc, q[it[j - 1].x]);
        pj = ps + pc;
        pj = pj < 1.0 ? pj : 1.0;
        qj = qs + qc;
        for (k = k0; k <= k1; k++) {
            double v = qj + 1.0 - gsl_pow_uint(pj, (unsigned)k);
            if (v < alpha[k - k0]) {
                alpha[k - k0] = v;
                if (argmin != NULL)
                    argmin[k - k0] = j;
            }
        }
    }
    sd_free(it);
    return SD_OK;
}

sd_status sd_ot_prefix(const double *p, const double *q, size_t V, size_t k, double *alpha,
                       size_t *argmin_j, sd_error *err)
{
    return prefix_min(p, q, V, k, k, alpha, argmin_j, err);
}

sd_status sd_ot_prefix_all(const double *p, const double *q, size_t V, size_t K, double *alpha,
                           sd_error *err)
{
    return prefix_min(p, q, V, 1, K, alpha, NULL, err);
}

/* V^(k+1) as a double (exact for the sizes that matter). */
static double lp_vars(size_t V, size_t k)
{
    return pow((double)V, (double)(k + 1));
}

int sd_ot_lp_feasible(size_t V, size_t k)
{
    return V > 0 && k > 0 && lp_vars(V, k) <= SD_OT_LP_MAX_VARS;
}

sd_status sd_ot_lp(const double *p, const double *q, size_t V, size_t k, double *alpha,
                   sd_error *err)
{
    size_t NX, N, x, y, i, col;
    int *ia = NULL, *ja = NULL, st, ok;
    double *ar = NULL, *px = NULL;
    unsigned char *member = NULL;
    size_t *digits = NULL;
    glp_prob *lp;
    glp_smcp parm;
    if (k == 0 || V == 0)
        return sd_error_set(err, SD_EINVAL, "alpha*_k needs k >= 1 drafts and V >= 1 tokens");
    if (!sd_ot_lp_feasible(V, k))
        return sd_error_set(err, SD_ERANGE,
                            "alpha*_k by linear program has V * V^k = %.0f coupling variables "
                            "for V = %zu, k = %zu: above the limit of %.0f (GLPK's simplex "
                            "takes seconds at the limit and grows faster than linearly; the "
                            "min-cut form gives the same value)",
                            lp_vars(V, k), V, k, SD_OT_LP_MAX_VARS);
    NX = (size_t)lp_vars(V, k - 1); /* V^k tuples */
    N = V * NX;
    ia = sd_malloc(2 * N + 1, sizeof(int));
    ja = sd_malloc(2 * N + 1, sizeof(int));
    ar = sd_malloc(2 * N + 1, sizeof(double));
    px = sd_malloc(NX, sizeof(double));
    member = sd_calloc(NX * V, 1);
    digits = sd_calloc(k, sizeof(size_t));
    if (!ia || !ja || !ar || !px || !member || !digits) {
        sd_free(ia), sd_free(ja), sd_free(ar), sd_free(px), sd_free(member), sd_free(digits);
        return sd_error_set(err, SD_ENOMEM, "out of memory for the linear program "
                                            "(%zu variables)", N);
    }
    /* Tuple x in base V, digits[0] fastest: P^k(x) and which tokens it holds. */
    for (x = 0; x < NX; x++) {
        double pr = 1.0;
        for (i = 0; i < k; i++) {
            pr *= p[digits[i]];
            member[x * V + digits[i]] = 1;
        }
        px[x] = pr;
        for (i = 0; i < k && ++digits[i] == V; i++)
            digits[i] = 0;
    }
    glp_term_out(GLP_OFF);
    lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MAX);
    glp_add_rows(lp, (int)(V + NX));
    for (y = 0; y < V; y++)
        glp_set_row_bnds(lp, (int)y + 1, GLP_FX, q[y], q[y]);
    for (x = 0; x < NX; x++)
        glp_set_row_bnds(lp, (int)(V + x) + 1, GLP_FX, px[x], px[x]);
    glp_add_cols(lp, (int)N);
    for (col = 0; col < N; col++) {
        y = col / NX;
        x = col % NX;
        glp_set_col_bnds(lp, (int)col + 1, GLP_LO, 0.0, 0.0);
        glp_set_obj_coef(lp, (int)col + 1, member[x * V + y] ? 1.0 : 0.0);
        ia[2 * col + 1] = (int)y + 1;
        ja[2 * col + 1] = (int)col + 1;
        ar[2 * col + 1] = 1.0;
        ia[2 * col + 2] = (int)(V + x) + 1;
        ja[2 * col + 2] = (int)col + 1;
        ar[2 * col + 2] = 1.0;
    }
    glp_load_matrix(lp, (int)(2 * N), ia, ja, ar);
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    /* Coupling entries can be as small as P^k(x) ~ 1e-20: GLPK's default
     * feasibility tolerances (1e-7) then leave the optimum off by ~1e-7,
     * tight ones reach ~1e-15 (checked against the min-cut form). */
    parm.tol_bnd = SD_TOL_GLPK;
    parm.tol_dj = SD_TOL_GLPK;
    st = glp_simplex(lp, &parm);
    ok = st == 0 && glp_get_status(lp) == GLP_OPT;
    if (ok)
        *alpha = glp_get_obj_val(lp);
    else
        sd_error_set(err, SD_EINTERNAL, "GLPK simplex did not find the optimal coupling for "
                                        "V = %zu, k = %zu (glp_simplex returned %d, status %d)",
                     V, k, st, glp_get_status(lp));
    glp_delete_prob(lp);
    sd_free(ia), sd_free(ja), sd_free(ar), sd_free(px), sd_free(member), sd_free(digits);
    return ok ? SD_OK : SD_EINTERNAL;
}

double sd_ot_upper(const double *p, const double *q, size_t V, size_t k)
{
    double u = 0.0;
    size_t x;
    for (x = 0; x < V; x++) {
        /* 1 - (1-p)^k; log1p(-1) = -inf gives d = 1 */
        double d = -expm1((double)k * log1p(-(p[x] < 1.0 ? p[x] : 1.0)));
        u += q[x] < d ? q[x] : d;
    }
    return u;
}
