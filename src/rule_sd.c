/* rule_sd.c - Algorithm SD (paper Algorithm 1, SPEC 1) as a rule: exact
 * mean and variance by the forward recursion (exact.h), literal
 * simulation with two negative controls (sim_sd.h). */
#include "rule.h"

#include "alloc.h"
#include "exact.h"
#include "sim_sd.h"

static sd_status exact(const sd_model *m, size_t M, double *mean, double *var,
                          sd_error *err)
{
    sd_status rc = sd_exact_sd_mean(m, mean, err);
    (void)M;
    if (rc == SD_OK && var != NULL)
        rc = sd_exact_sd_moments(m, NULL, var, err);
    return rc;
}

static double cost(const sd_model *m, size_t M)
{
    (void)M;
    return sd_rule_cost_tvv(m);
}

/* Control c is sd_sim_variant c (SD_SIM_RESAMPLE_Q, SD_SIM_ACCEPT_P_OVER_Q). */
static const char *const controls[] = {"resample-q", "accept-p-over-q", NULL};

static sd_status sim_alloc(void **state, const sd_model *m, size_t M, size_t control,
                           sd_error *err)
{
    sd_sim_sd *s = sd_calloc(1, sizeof *s);
    sd_status rc;
    (void)M;
    if (s == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    rc = sd_sim_sd_alloc(s, m, (sd_sim_variant)control, err);
    if (rc != SD_OK) {
        sd_free(s);
        return rc;
    }
    *state = s;
    return SD_OK;
}

static sd_sim sim_get(const void *state)
{
    return sd_sim_sd_sim(state);
}

static void sim_free(void *state)
{
    sd_sim_sd_free(state);
    sd_free(state);
}

const sd_rule_type sd_rule_sd = {
    .name = "sd",
    .summary = "Algorithm SD",
    .title = "Algorithm SD",
    .exact_ref = "Theorem 1",
    .flags = SD_RULE_ROUNDSTART | SD_RULE_VARIANCE | SD_RULE_M1_IS_SD | SD_RULE_PAPER,
    .step = sd_rule_sd_step,
    .tree_step = NULL,
    .ws_alloc = NULL,
    .ws_free = NULL,
    .exact = exact,
    .cost_formula = "T V^2",
    .cost = cost,
    .controls = controls,
    .sim_alloc = sim_alloc,
    .sim_get = sim_get,
    .sim_free = sim_free,
};
