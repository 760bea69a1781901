/* exact.c - exact quantities of speculative decoding on a chain (doc/theory.md §1). */
#include "exact.h"

#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "alloc.h"

void sd_exact_tv_rows(const sd_model *m, size_t t, double *tau)
{
    size_t s, x, V = m->V;
    for (s = 0; s < V; s++) {
        const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
        double tv = 0.0;
        for (x = 0; x < V; x++)
            if (q[x] > p[x])
                tv += q[x] - p[x];
        tau[s] = tv;
    }
}

/* mu_next = mu Q_t (a row vector times the kernel): one dgemv. */
static void propagate(const sd_model *m, size_t t, const double *mu, double *next)
{
    size_t V = m->V;
    gsl_matrix_const_view Q = gsl_matrix_const_view_array(sd_model_q(m, t, 0), V, V);
    gsl_vector_const_view x = gsl_vector_const_view_array(mu, V);
    gsl_vector_view y = gsl_vector_view_array(next, V);
    gsl_blas_dgemv(CblasTrans, 1.0, &Q.matrix, &x.vector, 0.0, &y.vector);
}

static double dot(const double *a, const double *b, size_t V)
{
    double r;
    gsl_vector_const_view x = gsl_vector_const_view_array(a, V);
    gsl_vector_const_view y = gsl_vector_const_view_array(b, V);
    gsl_blas_ddot(&x.vector, &y.vector, &r);
    return r;
}

sd_status sd_exact_sd_mean(const sd_model *m, double *mean, sd_error *err)
{
    size_t V = m->V, t;
    double *base = sd_malloc(3 * V, sizeof(double)), *mu = base, *next, *tau;
    double E = 0.0;
    if (base == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu)", V);
    next = mu + V;
    tau = mu + 2 * V;
    memcpy(mu, m->pi0, V * sizeof(double));
    for (t = 1; t <= m->T; t++) {
        double *sw;
        if (t == 1 || !sd_model_stationary(m))
            sd_exact_tv_rows(m, t, tau);
        E += dot(mu, tau, V);
        if (t == m->T)
            break;
        propagate(m, t, mu, next);
        sw = mu;
        mu = next;
        next = sw;
    }
    sd_free(base);
    *mean = E;
    return SD_OK;
}

sd_status sd_exact_sd_moments(const sd_model *m, double *mean, double *var,
                              sd_error *err)
{
    size_t V = m->V, t, s, y;
    double *buf = sd_calloc(5 * V, sizeof(double));
    double *m1, *m2, *n1, *n2, *u, E, E2;
    if (buf == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu)", V);
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
    E = dot(m->pi0, m1, V);
    E2 = dot(m->pi0, m2, V);
    if (mean != NULL)
        *mean = E;
    if (var != NULL)
        *var = E2 - E * E > 0.0 ? E2 - E * E : 0.0;
    sd_free(buf);
    return SD_OK;
}

sd_status sd_exact_sd_pmf(const sd_model *m, double *pmf, double max_work,
                          sd_error *err)
{
    size_t V = m->V, T = m->T, C = T + 1, t, s, y, c;
    double work = (double)T * (double)T * (double)V * (double)V;
    double *F, *A, *R, *J0, *J1;
    if (work > max_work)
        return sd_error_set(err, SD_ERANGE,
                            "the exact law of N_rej costs T^2 V^2 = %.3g operations, "
                            "over the limit %.3g (use a smaller T or V)", work, max_work);
    F = sd_calloc(V * C, sizeof(double));
    A = sd_calloc(V * C, sizeof(double));
    R = sd_calloc(V * C, sizeof(double));
    J0 = sd_malloc(V * V, sizeof(double));
    J1 = sd_malloc(V * V, sizeof(double));
    if (!F || !A || !R || !J0 || !J1) {
        sd_free(F); sd_free(A); sd_free(R); sd_free(J0); sd_free(J1);
        return sd_error_set(err, SD_ENOMEM, "out of memory for the law of N_rej");
    }
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
    sd_free(F); sd_free(A); sd_free(R); sd_free(J0); sd_free(J1);
    return SD_OK;
}

sd_status sd_exact_token_laws(const sd_model *m, size_t npos, const size_t *pos,
                              double *out, sd_error *err)
{
    size_t V = m->V, t, i = 0;
    double *mu = sd_malloc(2 * V, sizeof(double)), *next, *base = mu;
    if (mu == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu)", V);
    for (t = 0; t < npos; t++)
        if (pos[t] < 1 || pos[t] > m->T || (t > 0 && pos[t] <= pos[t - 1])) {
            sd_free(base);
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
    sd_free(base);
    return SD_OK;
}
