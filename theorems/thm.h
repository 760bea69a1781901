/* thm.h - what the theorem checks share: a literal simulation checked
 * against exact values. */
#ifndef SD_THM_H
#define SD_THM_H

#include <stddef.h>

#include "check.h"
#include "mc.h"
#include "model.h"

/* Names of the checks of sd_thm_mc_check. */
typedef struct {
    const char *mean;       /* name of the mean check, or NULL for none */
    const char *law_prefix; /* the law check at position t is named */
    const char *law_suffix; /* law_prefix t law_suffix, e.g. "unbiased x_" t "" */
} sd_thm_names;

/* Simulate sim per mc on m (horizon T, vocabulary V), then append to l:
 * the sample mean of N_rej against exact (sd_check_mean_bounded with
 * mc->z_max; skipped when names->mean is NULL); then, if more is not
 * NULL, more(more_arg, result, l, err) for checks of the caller's; then
 * at each tracked position mc->pos[i] the output tokens against the law
 * mu[i V .. i V + V - 1] (sd_check_law with mc->z_max, mc->p_min), into
 * laws_into instead of l if it is not NULL.  Returns the first error. */
sd_status sd_thm_mc_check(const sd_model *m, const sd_sim *sim, const sd_mc_config *mc,
                          const sd_thm_names *names, double exact, const double *mu,
                          sd_status (*more)(void *more_arg, const sd_mc_result *res,
                                            sd_checklist *l, sd_error *err),
                          void *more_arg, sd_checklist *l, sd_checklist *laws_into,
                          sd_error *err);

#endif
