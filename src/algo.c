/* algo.c - one entry point per decoding algorithm. */
#include "algo.h"

#include <math.h>

#include "alloc.h"
#include "exact.h"

struct sd_algo_sim {
    sd_algo algo;
    sd_sim_sd sd;   /* algo == SD_ALGO_SD */
};

static sd_status unsupported(sd_algo algo, size_t M, sd_error *err)
{
    return sd_error_set(err, SD_EINVAL, "--algo %s with --drafts %zu is not available",
                        sd_algo_name(algo), M);
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
    if (algo != SD_ALGO_SD)
        return unsupported(algo, M, err);
    s = sd_calloc(1, sizeof *s);
    if (s == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    s->algo = algo;
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
    return sd_sim_sd_sim(&s->sd);
}

void sd_algo_sim_free(sd_algo_sim *s)
{
    if (s == NULL)
        return;
    if (s->algo == SD_ALGO_SD)
        sd_sim_sd_free(&s->sd);
    sd_free(s);
}
