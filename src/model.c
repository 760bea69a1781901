/* model.c - a draft/target pair of Markov chains on [V] with horizon T. */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "rng.h"
#include "tol.h"
#include "names.h"

sd_status sd_model_alloc(sd_model *m, size_t V, size_t T, size_t nP,
                         size_t nQ, sd_error *err)
{
    size_t vv, i;
    memset(m, 0, sizeof *m);
    if (V == 0)
        return sd_error_set(err, SD_EINVAL, "vocabulary size V must be at least 1");
    if (T == 0)
        return sd_error_set(err, SD_EINVAL, "horizon T must be at least 1");
    if ((nP != 1 && nP != T) || (nQ != 1 && nQ != T))
        return sd_error_set(err, SD_EINVAL, "a chain holds 1 or T kernels");
    if (V > SIZE_MAX / sizeof(double) / V)
        return sd_error_set(err, SD_ERANGE, "V = %zu overflows V*V", V);
    vv = V * V;
    if (nP > SIZE_MAX / sizeof(double) / vv || nQ > SIZE_MAX / sizeof(double) / vv)
        return sd_error_set(err, SD_ERANGE, "T*V*V overflows (V = %zu, T = %zu)", V, T);
    m->V = V;
    m->T = T;
    m->nP = nP;
    m->nQ = nQ;
    m->P = sd_malloc(nP * vv, sizeof(double));
    m->Q = sd_malloc(nQ * vv, sizeof(double));
    m->pi0 = sd_malloc(V, sizeof(double));
    m->owns_pq = 1;
    if (m->P == NULL || m->Q == NULL || m->pi0 == NULL) {
        /* a model of a gigabyte or more that cannot be had is a size the
         * user asked for (exit 2), not an internal failure */
        double bytes = ((double)nP + (double)nQ) * (double)vv * sizeof(double);
        sd_model_free(m);
        if (bytes >= 1073741824.0)
            return sd_error_set(err, SD_ERANGE,
                                "a model with V = %zu, T = %zu needs %.3g bytes: it does not "
                                "fit in memory", V, T, bytes);
        return sd_error_set(err, SD_ENOMEM,
                            "out of memory for a model with V = %zu, T = %zu", V, T);
    }
    for (i = 0; i < V; i++)
        m->pi0[i] = 1.0 / (double)V;
    return SD_OK;
}

void sd_model_free(sd_model *m)
{
    if (m == NULL)
        return;
    if (m->owns_pq) {
        sd_free(m->P);
        sd_free(m->Q);
    }
    sd_array_free(&m->pstore);
    sd_array_free(&m->qstore);
    sd_free(m->pi0);
    memset(m, 0, sizeof *m);
}

/* Validate and renormalise one distribution; where describes it. */
/* Where entry x of a row is, for messages: the NumPy index when the row
 * is a kernel row (idx "3,2" for [3,2,:]), then the position. */
static void entry_where(char *buf, size_t n, const char *where, const char *idx, size_t x)
{
    if (idx != NULL)
        snprintf(buf, n, "entry [%s,%zu] (%s, x=%zu%s)", idx, x, where, x,
                 strchr(idx, ',') ? "; t counts from 1" : "");
    else
        snprintf(buf, n, "%s, x=%zu", where, x);
}

static sd_status check_row_at(double *row, size_t V, double tol, const char *name,
                              const char *where, const char *idx, sd_error *err)
{
    double sum = 0.0;
    size_t x;
    char at[192];
    for (x = 0; x < V; x++) {
        if (!isfinite(row[x])) {
            entry_where(at, sizeof at, where, idx, x);
            return sd_error_set(err, SD_EINVAL, "%s: %s: value %g is not finite", name, at,
                                row[x]);
        }
        if (row[x] < 0.0) {
            entry_where(at, sizeof at, where, idx, x);
            return sd_error_set(err, SD_EINVAL, "%s: %s: negative probability %.17g", name, at,
                                row[x]);
        }
        sum += row[x];
    }
    if (!(fabs(sum - 1.0) <= tol)) {
        if (idx != NULL)
            snprintf(at, sizeof at, "row [%s,:] (%s%s)", idx, where,
                     strchr(idx, ',') ? "; t counts from 1" : "");
        else
            snprintf(at, sizeof at, "%s", where);
        return sd_error_set(err, SD_EINVAL, "%s: %s: row sums to %.17g, off 1 by more than %g",
                            name, at, sum, tol);
    }
    for (x = 0; x < V; x++)
        row[x] /= sum;
    return SD_OK;
}

static sd_status check_row(double *row, size_t V, double tol, const char *name,
                           const char *where, sd_error *err)
{
    return check_row_at(row, V, tol, name, where, NULL, err);
}

static sd_status check_kernels(double *K, size_t nK, size_t V, double tol,
                               const char *name, sd_error *err)
{
    size_t t, s;
    char where[96], idx[64];
    for (t = 0; t < nK; t++)
        for (s = 0; s < V; s++) {
            sd_status rc;
            /* the NumPy index, then the position (t counts from 1) */
            if (nK == 1) {
                snprintf(idx, sizeof idx, "%zu", s);
                snprintf(where, sizeof where, "s=%zu", s);
            } else {
                snprintf(idx, sizeof idx, "%zu,%zu", t, s);
                snprintf(where, sizeof where, "t=%zu, s=%zu", t + 1, s);
            }
            rc = check_row_at(K + (t * V + s) * V, V, tol, name, where, idx, err);
            if (rc != SD_OK)
                return rc;
        }
    return SD_OK;
}

sd_status sd_model_validate(sd_model *m, const char *dname, const char *qname,
                            double ptol, double qtol, sd_error *err)
{
    sd_status rc = check_kernels(m->P, m->nP, m->V, ptol, dname, err);
    if (rc == SD_OK)
        rc = check_kernels(m->Q, m->nQ, m->V, qtol, qname, err);
    if (rc == SD_OK)
        rc = check_row(m->pi0, m->V, SD_TOL_ROW_F64, "start law", "pi0", err);
    return rc;
}

static const char *const family_names[] = {"paper", "dirichlet"}; /* by sd_family */

int sd_family_parse(const char *name)
{
    return sd_names_find(family_names, SD_NAMES_N(family_names), name);
}

const char *sd_family_name(sd_family f)
{
    return f == SD_FAMILY_DIRICHLET ? "dirichlet" : "paper";
}

sd_status sd_model_set_start(sd_model *m, const char *start, sd_error *err)
{
    size_t i;
    if (start == NULL || strcmp(start, "uniform") == 0) {
        for (i = 0; i < m->V; i++)
            m->pi0[i] = 1.0 / (double)m->V;
        return SD_OK;
    }
    if (start[0] == '\0')
        return sd_error_set(err, SD_EINVAL,
                            "start law '': expected 'uniform', a state index or a .npy file");
    if (start[0] >= '0' && start[0] <= '9') {
        char *end;
        unsigned long long s;
        errno = 0;
        s = strtoull(start, &end, 10);
        if (*end != '\0')
            return sd_error_set(err, SD_EINVAL,
                                "start law '%s': expected 'uniform', a state index or a .npy "
                                "file",
                                start);
        if (s >= m->V || errno == ERANGE)
            return sd_error_set(err, SD_EINVAL,
                                "start state %s out of range (V = %zu, states 0..%zu)",
                                start, m->V, m->V - 1);
        for (i = 0; i < m->V; i++)
            m->pi0[i] = (i == s) ? 1.0 : 0.0;
        return SD_OK;
    } else {
        sd_array a;
        sd_status rc = sd_npy_read(start, &a, err);
        if (rc != SD_OK) {
            if (err != NULL) { /* say what the file was for */
                char msg[sizeof err->msg];
                snprintf(msg, sizeof msg, "start law: %.750s", err->msg);
                memcpy(err->msg, msg, sizeof msg);
            }
            return rc;
        }
        if (a.ndim != 1 || a.shape[0] != m->V) {
            sd_error_set(err, SD_EINVAL, "%s: start law must have shape (%zu,), got rank %zu%s",
                         start, m->V, a.ndim, a.ndim == 1 ? " of another length" : "");
            sd_array_free(&a);
            return SD_EINVAL;
        }
        memcpy(m->pi0, a.data, m->V * sizeof(double));
        rc = check_row(m->pi0, m->V, a.was_float32 ? SD_TOL_ROW_F32 : SD_TOL_ROW_F64, start, "start law", err);
        sd_array_free(&a);
        return rc;
    }
}

/* Interpret an array's shape as kernels: sets *V, *nK. */
static sd_status kernel_shape(const sd_array *a, const char *path, size_t horizon,
                              size_t *V, size_t *nK, size_t *T, sd_error *err)
{
    if (a->ndim == 3) {
        if (a->shape[1] != a->shape[2])
            return sd_error_set(err, SD_EINVAL,
                                "%s: kernels must be square, shape is (%zu, %zu, %zu)",
                                path, a->shape[0], a->shape[1], a->shape[2]);
        if (a->shape[0] == 0)
            return sd_error_set(err, SD_EINVAL, "%s: horizon T = 0 (shape (0, %zu, %zu))",
                                path, a->shape[1], a->shape[2]);
        if (horizon != 0 && horizon != a->shape[0])
            return sd_error_set(err, SD_EINVAL,
                                "%s: horizon %zu disagrees with the file's T = %zu",
                                path, horizon, a->shape[0]);
        *T = a->shape[0];
        *V = a->shape[1];
        *nK = a->shape[0];
    } else if (a->ndim == 2) {
        if (a->shape[0] != a->shape[1])
            return sd_error_set(err, SD_EINVAL,
                                "%s: kernel must be square, shape is (%zu, %zu)",
                                path, a->shape[0], a->shape[1]);
        if (horizon == 0)
            return sd_error_set(err, SD_EINVAL,
                                "%s: a stationary (V,V) kernel needs a horizon T", path);
        *T = horizon;
        *V = a->shape[0];
        *nK = 1;
    } else {
        return sd_error_set(err, SD_EINVAL,
                            "%s: expected shape (T,V,V) or (V,V), got an array of rank %zu",
                            path, a->ndim);
    }
    if (*V == 0)
        return sd_error_set(err, SD_EINVAL, "%s: vocabulary size V = 0", path);
    return SD_OK;
}

sd_status sd_model_load(sd_model *m, const char *draft, const char *target,
                        size_t horizon, const char *start, sd_error *err)
{
    sd_array pa, qa;
    size_t Vp, Vq, nP, nQ, Tp, Tq;
    sd_status rc;

    memset(m, 0, sizeof *m);
    rc = sd_npy_read(draft, &pa, err);
    if (rc != SD_OK)
        return rc;
    rc = sd_npy_read(target, &qa, err);
    if (rc != SD_OK) {
        sd_array_free(&pa);
        return rc;
    }
    /* a (T,V,V) file beside a (V,V) one: the stationary kernel is used at
     * every t, and the horizon is the other file's T */
    if (horizon == 0 && pa.ndim == 3 && qa.ndim == 2)
        horizon = pa.shape[0];
    else if (horizon == 0 && pa.ndim == 2 && qa.ndim == 3)
        horizon = qa.shape[0];
    rc = kernel_shape(&pa, draft, horizon, &Vp, &nP, &Tp, err);
    if (rc == SD_OK)
        rc = kernel_shape(&qa, target, horizon, &Vq, &nQ, &Tq, err);
    if (rc == SD_OK && Vp != Vq)
        rc = sd_error_set(err, SD_EINVAL,
                          "draft %s has V = %zu but target %s has V = %zu", draft, Vp,
                          target, Vq);
    if (rc == SD_OK && Tp != Tq)
        rc = sd_error_set(err, SD_EINVAL,
                          "draft %s has T = %zu but target %s has T = %zu", draft, Tp,
                          target, Tq);
    if (rc == SD_OK)
        m->pi0 = sd_malloc(Vp, sizeof(double));
    if (rc == SD_OK && m->pi0 == NULL)
        rc = sd_error_set(err, SD_ENOMEM, "out of memory");
    if (rc != SD_OK) {
        sd_array_free(&pa);
        sd_array_free(&qa);
        sd_model_free(m);
        return rc;
    }
    m->V = Vp;
    m->T = Tp;
    m->nP = nP;
    m->nQ = nQ;
    m->pstore = pa;
    m->qstore = qa;
    m->P = pa.data;
    m->Q = qa.data;
    rc = sd_model_set_start(m, start, err);
    if (rc == SD_OK)
        rc = sd_model_validate(m, draft, target, pa.was_float32 ? SD_TOL_ROW_F32 : SD_TOL_ROW_F64,
                               qa.was_float32 ? SD_TOL_ROW_F32 : SD_TOL_ROW_F64, err);
    if (rc != SD_OK)
        sd_model_free(m);
    return rc;
}

sd_status sd_model_random(sd_model *m, size_t V, size_t T, sd_family fam,
                          double alpha, int stationary, uint64_t seed,
                          sd_error *err)
{
    size_t nK = stationary ? 1 : T, i;
    gsl_rng *r;
    double *alphas;
    sd_status rc;

    if (fam == SD_FAMILY_DIRICHLET && !(alpha > 0.0 && isfinite(alpha)))
        return sd_error_set(err, SD_EINVAL,
                            "the Dirichlet parameter alpha must be a positive number, got %g",
                            alpha);
    rc = sd_model_alloc(m, V, T, nK, nK, err);
    if (rc != SD_OK)
        return rc;
    r = sd_rng_stream_alloc(NULL, seed, 0);
    alphas = sd_malloc(V, sizeof(double));
    if (r == NULL || alphas == NULL) {
        if (r != NULL)
            gsl_rng_free(r);
        sd_free(alphas);
        sd_model_free(m);
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    }
    for (i = 0; i < V; i++)
        alphas[i] = alpha;
    for (i = 0; i < 2 * nK * V; i++) /* draft rows, then target rows */
        sd_rng_row(r, fam == SD_FAMILY_DIRICHLET ? alphas : NULL,
                   (i < nK * V ? m->P : m->Q) + (i % (nK * V)) * V, V);
    gsl_rng_free(r);
    sd_free(alphas);
    return SD_OK;
}

sd_status sd_model_save(const sd_model *m, const char *draft_path,
                        const char *target_path, sd_error *err)
{
    /* one kernel for T > 1 steps is written (V,V); a horizon of 1 as
     * (1,V,V), which loads back without --horizon */
    int pstat = m->nP == 1 && m->T > 1, qstat = m->nQ == 1 && m->T > 1;
    size_t shp[3];
    sd_status rc;
    char *tp = NULL, *tq = NULL;
    shp[0] = pstat ? m->V : m->T;
    shp[1] = m->V;
    shp[2] = m->V;
    rc = sd_npy_write_tmp(draft_path, m->P, pstat ? 2 : 3, shp, &tp, err);
    if (rc != SD_OK)
        return rc;
    shp[0] = qstat ? m->V : m->T;
    rc = sd_npy_write_tmp(target_path, m->Q, qstat ? 2 : 3, shp, &tq, err);
    /* both files are complete before either is renamed into place, so a
     * failure leaves whatever was at the two paths untouched */
    if (rc == SD_OK)
        rc = sd_npy_commit(tp, draft_path, err);
    else
        unlink(tp);
    if (rc == SD_OK)
        rc = sd_npy_commit(tq, target_path, err);
    else if (tq != NULL)
        unlink(tq);
    sd_free(tp);
    sd_free(tq);
    return rc;
}
