/* algo.c - one entry point per decoding algorithm. */
#include "algo.h"

#include <math.h>

#include "alloc.h"
#include "batch.h"
#include "exact.h"
#include "multidraft.h"

struct sd_algo_sim {
    sd_algo algo;
    sd_sim_sd sd;   /* algo == SD_ALGO_SD */
    sd_batch_sim batch; /* SD_ALGO_BATCH, SD_ALGO_TREE */
    sd_multidraft_sim md; /* SD_ALGO_KSEQ, SD_ALGO_KSEQ_TREE, SD_ALGO_ERSD */
};

static sd_status unsupported(sd_algo algo, size_t M, sd_error *err)
{
    return sd_error_set(err, SD_EINVAL, "--algo %s with --drafts %zu is not available",
                        sd_algo_name(algo), M);
}

double sd_algo_cost(const sd_model *m, sd_algo algo, size_t M, const char **formula)
{
    double tvv = (double)m->T * (double)m->V * (double)m->V, k = (double)M;
    const char *f = "T V^2";
    double cost = tvv;
    switch (algo) {
    case SD_ALGO_SD: break;
    case SD_ALGO_BATCH:
    case SD_ALGO_KSEQ: f = "T V^2 M"; cost = tvv * k; break;
    case SD_ALGO_ERSD: f = "T V^3 (quadrature)"; cost = tvv * (double)m->V * 10.0; break;
    case SD_ALGO_TREE: f = "T V^2 M^3"; cost = tvv * k * k * k; break;
    /* measured about ten times the RRS tree's cost per unit */
    case SD_ALGO_KSEQ_TREE: f = "10 T V^2 M^3"; cost = 10.0 * tvv * k * k * k; break;
    }
    if (formula != NULL)
        *formula = f;
    return cost;
}

sd_status sd_algo_exact(const sd_model *m, sd_algo algo, size_t M, double *mean,
                        double *var, sd_error *err)
{
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "--drafts must be at least 1");
    switch (algo) {
    case SD_ALGO_SD: {
        sd_status rc = sd_exact_sd_mean(m, mean, err);
        if (rc == SD_OK && var != NULL)
            rc = sd_exact_sd_moments(m, NULL, var, err);
        return rc;
    }
    case SD_ALGO_BATCH:
    case SD_ALGO_TREE:
        if (var != NULL)
            *var = NAN;
        return algo == SD_ALGO_BATCH ? sd_batch_exact(m, M, mean, NULL, err)
                                     : sd_batch_tree_exact(m, M, mean, NULL, err);
    case SD_ALGO_KSEQ:
    case SD_ALGO_KSEQ_TREE:
    case SD_ALGO_ERSD:
        if (var != NULL)
            *var = NAN;
        return sd_multidraft_exact(m, algo, M, mean, NULL, err);
    default:
        if (var != NULL)
            *var = NAN;
        return unsupported(algo, M, err);
    }
}

sd_status sd_algo_sim_alloc(sd_algo_sim **out, const sd_model *m, sd_algo algo, size_t M,
                            sd_sim_variant variant, sd_error *err)
{
    sd_algo_sim *s;
    sd_status rc;
    *out = NULL;
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "--drafts must be at least 1");
    if (algo != SD_ALGO_SD && algo != SD_ALGO_BATCH && algo != SD_ALGO_TREE &&
        !sd_multidraft_handles(algo))
        return unsupported(algo, M, err);
    s = sd_calloc(1, sizeof *s);
    if (s == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    s->algo = algo;
    if (algo == SD_ALGO_BATCH || algo == SD_ALGO_TREE)
        rc = variant != SD_SIM_CORRECT
                 ? sd_error_set(err, SD_EINVAL, "negative controls are for --algo sd only")
                 : sd_batch_sim_alloc(&s->batch, m, M, algo == SD_ALGO_TREE, err);
    else if (sd_multidraft_handles(algo))
        rc = variant != SD_SIM_CORRECT
                 ? sd_error_set(err, SD_EINVAL, "negative controls are for --algo sd only")
                 : sd_multidraft_sim_alloc(&s->md, m, algo, M, err);
    else
        rc = sd_sim_sd_alloc(&s->sd, m, variant, err);
    if (rc != SD_OK) {
        sd_free(s);
        return rc;
    }
    *out = s;
    return SD_OK;
}

sd_sim sd_algo_sim_get(const sd_algo_sim *s)
{
    if (s->algo == SD_ALGO_BATCH || s->algo == SD_ALGO_TREE)
        return sd_batch_sim_sim(&s->batch);
    if (sd_multidraft_handles(s->algo))
        return sd_multidraft_sim_sim(&s->md);
    return sd_sim_sd_sim(&s->sd);
}

void sd_algo_sim_free(sd_algo_sim *s)
{
    if (s == NULL)
        return;
    if (s->algo == SD_ALGO_SD)
        sd_sim_sd_free(&s->sd);
    if (s->algo == SD_ALGO_BATCH || s->algo == SD_ALGO_TREE)
        sd_batch_sim_free(&s->batch);
    if (sd_multidraft_handles(s->algo))
        sd_multidraft_sim_free(&s->md);
    sd_free(s);
}
