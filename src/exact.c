/* exact.c - exact quantities of speculative decoding on a chain (doc/theory.md §1). */
#include "exact.h"

#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "alloc.h"
#include "step.h"

struct sd_exact_ws {
    size_t V;      /* vocabulary it serves */
    size_t T;      /* longest horizon of the law of N_rej it serves (0: none) */
    double *vec;   /* 5 V doubles: the vectors of the recursions */
    double *law;   /* 3 V (T + 1) doubles: the law's DP over (state, count) */
    double *jump;  /* 2 V^2 doubles: the law's accept and reject kernels */
};

sd_exact_ws *sd_exact_ws_alloc(size_t V, size_t T)
{
    /* 5 V, then 3 V (T + 1) + 2 V^2 for the law */
    const size_t law = T > 0 ? sd_size_mad(V, sd_size_mad(3, T, 3), 0) : 0;
    const size_t jump = T > 0 ? sd_size_mad(2 * V, V, 0) : 0;
    double *d;
    sd_exact_ws *w = sd_alloc_with_doubles(sizeof *w, sd_size_mad(5, V, sd_size_mad(1, law, jump)),
                                           &d);
    if (w != NULL) {
        w->V = V;
        w->T = T;
        w->vec = d;
        w->law = d + 5 * V;
        w->jump = w->law + law;
    }
    return w;
}

void sd_exact_ws_free(sd_exact_ws *w)
{
    sd_free(w);
}

/* SD_EINVAL unless w serves m (and, with law != 0, its law of N_rej). */
static sd_status ws_check(const sd_model *m, const sd_exact_ws *w, int law, sd_error *err)
{
    if (w->V != m->V || (law && w->T < m->T))
        return sd_error_set(err, SD_EINVAL,
                            "exact workspace for V = %zu, T = %zu used on V = %zu, T = %zu",
                            w->V, w->T, m->V, m->T);
    return SD_OK;
}

/* A workspace for m (law: with the law of N_rej), or NULL with SD_ENOMEM
 * in err. */
static sd_exact_ws *ws_for(const sd_model *m, int law, sd_error *err)
{
    sd_exact_ws *w = sd_exact_ws_alloc(m->V, law ? m->T : 0);
    if (w == NULL)
        sd_error_set(err, SD_ENOMEM, "out of memory for exact workspace (V = %zu)", m->V);
    return w;
}

void sd_exact_tv_rows(const sd_model *m, size_t t, double *tau)
{
    size_t s, V = m->V;
    for (s = 0; s < V; s++)
        tau[s] = sd_tv(sd_model_p(m, t, s), sd_model_q(m, t, s), V);
}

void sd_exact_propagate(const double *K, size_t V, const double *mu, double *next)
{
    gsl_matrix_const_view k = gsl_matrix_const_view_array(K, V, V);
    gsl_vector_const_view x = gsl_vector_const_view_array(mu, V);
    gsl_vector_view y = gsl_vector_view_array(next, V);
    gsl_blas_dgemv(CblasTrans, 1.0, &k.matrix, &x.vector, 0.0, &y.vector);
}

/* mu_next = mu Q_t. */
static void propagate(const sd_model *m, size_t t, const double *mu, double *next)
{
    sd_exact_propagate(sd_model_q(m, t, 0), m->V, mu, next);
}

double sd_exact_dot(const double *a, const double *b, size_t V)
{
    double r;
    gsl_vector_const_view x = gsl_vector_const_view_array(a, V);
    gsl_vector_const_view y = gsl_vector_const_view_array(b, V);
    gsl_blas_ddot(&x.vector, &y.vector, &r);
    return r;
}

sd_status sd_exact_sd_mean(const sd_model *m, double *mean, sd_error *err)
{
    sd_exact_ws *w = ws_for(m, 0, err);
    sd_status rc = w != NULL ? sd_exact_sd_mean_ws(m, w, mean, err) : SD_ENOMEM;
    sd_exact_ws_free(w);
    return rc;
}

sd_status sd_exact_sd_mean_ws(const sd_model *m, sd_exact_ws *w, double *mean, sd_error *err)
{
    size_t V = m->V, t;
    double *mu = w->vec, *next, *tau;
    double E = 0.0;
    if (ws_check(m, w, 0, err) != SD_OK)
        return SD_EINVAL;
    next = mu + V;
    tau = mu + 2 * V;
    memcpy(mu, m->pi0, V * sizeof(double));
    for (t = 1; t <= m->T; t++) {
        double *sw;
        if (t == 1 || !sd_model_stationary(m))
            sd_exact_tv_rows(m, t, tau);
        E += sd_exact_dot(mu, tau, V);
        if (t == m->T)
            break;
        propagate(m, t, mu, next);
        sw = mu;
        mu = next;
        next = sw;
    }
    *mean = E;
    return SD_OK;
}

sd_status sd_exact_sd_moments(const sd_model *m, double *mean, double *var,
                              sd_error *err)
{
    sd_exact_ws *w = ws_for(m, 0, err);
    sd_status rc = w != NULL ? sd_exact_sd_moments_ws(m, w, mean, var, err) : SD_ENOMEM;
    sd_exact_ws_free(w);
    return rc;
}

sd_status sd_exact_sd_moments_ws(const sd_model *m, sd_exact_ws *w, double *mean, double *var,
                                 sd_error *err)
{
    size_t V = m->V, t, s, y;
    double *buf = w->vec;
    double *m1, *m2, *n1, *n2, *u, E, E2;
    if (ws_check(m, w, 0, err) != SD_OK)
        return SD_EINVAL;
    memset(buf, 0, 5 * V * sizeof(double));
    m1 = buf;
    m2 = buf + V;
    n1 = buf + 2 * V;
    n2 = buf + 3 * V;
    u = buf + 4 * V;
    for (t = m->T; t >= 1; t--) {
        gsl_matrix_const_view Q = gsl_matrix_const_view_array(sd_model_q(m, t, 0), V, V);
        gsl_vector_view v1 = gsl_vector_view_array(m1, V), v2 = gsl_vector_view_array(m2, V);
        gsl_vector_view w1 = gsl_vector_view_array(n1, V), w2 = gsl_vector_view_array(n2, V);
        double *sw;
        for (y = 0; y < V; y++)
            u[y] = 1.0 + 2.0 * m1[y];
        /* n1 = tau + Q m1;  n2 = Q m2 + [Q-P]_+ (1 + 2 m1), using
         * [Q-P]_+ + min(P,Q) = Q to fold the accept term into Q m2. */
        for (s = 0; s < V; s++) {
            const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
            double tv = 0.0, du = 0.0;
            for (y = 0; y < V; y++) {
                double d = q[y] - p[y];
                if (d > 0) {
                    tv += d;
                    du += d * u[y];
                }
            }
            n1[s] = tv;
            n2[s] = du;
        }
        gsl_blas_dgemv(CblasNoTrans, 1.0, &Q.matrix, &v1.vector, 1.0, &w1.vector);
        gsl_blas_dgemv(CblasNoTrans, 1.0, &Q.matrix, &v2.vector, 1.0, &w2.vector);
        sw = m1; m1 = n1; n1 = sw;
        sw = m2; m2 = n2; n2 = sw;
    }
    E = sd_exact_dot(m->pi0, m1, V);
    E2 = sd_exact_dot(m->pi0, m2, V);
    if (mean != NULL)
        *mean = E;
    if (var != NULL)
        *var = E2 - E * E > 0.0 ? E2 - E * E : 0.0;
    return SD_OK;
}

/* SD_ERANGE when the law of N_rej of m costs more than max_work. */
static sd_status pmf_work(const sd_model *m, double max_work, sd_error *err)
{
    double work = (double)m->T * (double)m->T * (double)m->V * (double)m->V;
    if (work > max_work)
        return sd_error_set(err, SD_ERANGE,
                            "the exact law of N_rej costs T^2 V^2 = %.3g operations, "
                            "over the limit %.3g (use a smaller T or V)", work, max_work);
    return SD_OK;
}

sd_status sd_exact_sd_pmf(const sd_model *m, double *pmf, double max_work,
                          sd_error *err)
{
    sd_exact_ws *w;
    sd_status rc = pmf_work(m, max_work, err);
    if (rc != SD_OK)
        return rc;
    w = ws_for(m, 1, err);
    rc = w != NULL ? sd_exact_sd_pmf_ws(m, w, pmf, max_work, err) : SD_ENOMEM;
    sd_exact_ws_free(w);
    return rc;
}

sd_status sd_exact_sd_pmf_ws(const sd_model *m, sd_exact_ws *w, double *pmf, double max_work,
                             sd_error *err)
{
    size_t V = m->V, T = m->T, C = T + 1, t, s, y, c;
    double *F, *A, *R, *J0, *J1;
    sd_status rc = pmf_work(m, max_work, err);
    if (rc != SD_OK || (rc = ws_check(m, w, 1, err)) != SD_OK)
        return rc;
    F = w->law;
    A = F + V * C;
    R = A + V * C;
    J0 = w->jump;
    J1 = J0 + V * V;
    memset(F, 0, V * C * sizeof(double));
    /* F[s*C + c] = P(x_{t-1} = s, c rejections so far) */
    for (s = 0; s < V; s++)
        F[s * C] = m->pi0[s];
    for (t = 1; t <= T; t++) {
        gsl_matrix_view mF = gsl_matrix_view_array(F, V, C);
        gsl_matrix_view mA = gsl_matrix_view_array(A, V, C);
        gsl_matrix_view mR = gsl_matrix_view_array(R, V, C);
        gsl_matrix_view m0 = gsl_matrix_view_array(J0, V, V);
        gsl_matrix_view m1 = gsl_matrix_view_array(J1, V, V);
        if (t == 1 || !sd_model_stationary(m))
            for (s = 0; s < V; s++) {
                const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
                for (y = 0; y < V; y++) {
                    double d = q[y] - p[y];
                    J0[s * V + y] = d > 0 ? p[y] : q[y];
                    J1[s * V + y] = d > 0 ? d : 0.0;
                }
            }
        /* accept: A = J0^T F ; reject: R = J1^T F, shifted one count up */
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, &m0.matrix, &mF.matrix, 0.0, &mA.matrix);
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, &m1.matrix, &mF.matrix, 0.0, &mR.matrix);
        for (y = 0; y < V; y++) {
            for (c = C - 1; c >= 1; c--)
                A[y * C + c] += R[y * C + c - 1];
        }
        memcpy(F, A, V * C * sizeof(double));
    }
    for (c = 0; c < C; c++) {
        double sum = 0.0;
        for (s = 0; s < V; s++)
            sum += F[s * C + c];
        pmf[c] = sum;
    }
    return SD_OK;
}

sd_status sd_exact_token_laws(const sd_model *m, size_t npos, const size_t *pos,
                              double *out, sd_error *err)
{
    sd_exact_ws *w = ws_for(m, 0, err);
    sd_status rc = w != NULL ? sd_exact_token_laws_ws(m, w, npos, pos, out, err) : SD_ENOMEM;
    sd_exact_ws_free(w);
    return rc;
}

sd_status sd_exact_token_laws_ws(const sd_model *m, sd_exact_ws *w, size_t npos,
                                 const size_t *pos, double *out, sd_error *err)
{
    size_t V = m->V, t, i = 0;
    double *mu = w->vec, *next;
    if (ws_check(m, w, 0, err) != SD_OK)
        return SD_EINVAL;
    for (t = 0; t < npos; t++)
        if (pos[t] < 1 || pos[t] > m->T || (t > 0 && pos[t] <= pos[t - 1])) {
            return sd_error_set(err, SD_EINVAL,
                                "positions must be ascending in 1..%zu (got %zu)",
                                m->T, pos[t]);
        }
    next = mu + V;
    memcpy(mu, m->pi0, V * sizeof(double));
    for (t = 1; t <= m->T && i < npos; t++) {
        double *sw;
        propagate(m, t, mu, next);
        sw = mu; mu = next; next = sw;
        if (pos[i] == t)
            memcpy(out + V * i++, mu, V * sizeof(double));
    }
    return SD_OK;
}
