/* thm.c - what the theorem checks share. */
#include "thm.h"

#include <stdio.h>

sd_status sd_thm_mc_check(const sd_model *m, const sd_sim *sim, const sd_mc_config *mc,
                          const sd_thm_names *names, double exact, const double *mu,
                          sd_status (*more)(void *more_arg, const sd_mc_result *res,
                                            sd_checklist *l, sd_error *err),
                          void *more_arg, sd_checklist *l, sd_checklist *laws_into,
                          sd_error *err)
{
    sd_mc_result res;
    char name[160];
    size_t i;
    sd_status rc = sd_mc_run(mc, m->T, m->V, sim, &res, err);
    if (rc != SD_OK)
        return rc;
    if (names->mean != NULL)
        rc = sd_check_mean_bounded(l, names->mean, exact, res.mean, res.stderr_mean,
                                   (double)res.runs, (double)res.T, mc->z_max, err);
    if (rc == SD_OK && more != NULL)
        rc = more(more_arg, &res, l, err);
    for (i = 0; rc == SD_OK && i < mc->npos; i++) {
        snprintf(name, sizeof name, "%s%zu%s", names->law_prefix, mc->pos[i],
                 names->law_suffix);
        rc = sd_check_law(laws_into != NULL ? laws_into : l, name, res.tokens + i * m->V,
                          mu + i * m->V, m->V, mc->z_max, mc->p_min, err);
    }
    sd_mc_result_free(&res);
    return rc;
}
