/* rule_rrs.c - recursive rejection sampling (RRS, SPEC 3) as two rules:
 * batch SD (paper Algorithm 4: RRS on the first tokens of M i.i.d.
 * drafts at round starts) and tree verification (RRS over the live
 * drafts at every position).  Exact values by the generic engines with
 * the RRS step laws (rrs.h), simulations by the specialised kernels of
 * batch.h. */
#include "rule.h"

#include "batch.h"
#include "rrs.h"

static sd_status ws_alloc(void **ws, size_t V, size_t M, sd_error *err)
{
    (void)M;
    *ws = sd_rrs_ws_alloc(V);
    return *ws != NULL ? SD_OK : sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu)", V);
}

static void ws_free(void *ws)
{
    sd_rrs_ws_free(ws);
}

static double batch_cost(const sd_model *m, size_t M)
{
    return sd_rule_cost_tvv(m) * (double)M;
}

static double tree_cost(const sd_model *m, size_t M)
{
    double k = (double)M;
    return sd_rule_cost_tvv(m) * k * k * k;
}

static sd_status sim_alloc(void **state, const sd_model *m, size_t M, int tree,
                           sd_error *err)
{
    sd_batch_sim *s;
    sd_status rc = sd_batch_sim_alloc(&s, m, M, tree, err);
    *state = s;
    return rc;
}

static sd_status batch_sim_alloc(void **state, const sd_model *m, size_t M, size_t control,
                                 sd_error *err)
{
    (void)control;
    return sim_alloc(state, m, M, 0, err);
}

static sd_status tree_sim_alloc(void **state, const sd_model *m, size_t M, size_t control,
                                sd_error *err)
{
    (void)control;
    return sim_alloc(state, m, M, 1, err);
}

static sd_sim sim_get(const void *state)
{
    return sd_batch_sim_sim(state);
}

static void sim_free(void *state)
{
    sd_batch_sim_free(state);
}

const sd_rule_type sd_rule_batch = {
    .name = "batch",
    .summary = "RRS at round starts",
    .title = "batch SD (Algorithm 4)",
    .exact_ref = "Theorem 3",
    .flags = SD_RULE_ROUNDSTART | SD_RULE_M1_IS_SD | SD_RULE_PAPER,
    .step = sd_rrs_step,
    .tree_step = NULL,
    .ws_alloc = ws_alloc,
    .ws_free = ws_free,
    .exact = NULL,
    .cost_formula = "T V^2 M",
    .cost = batch_cost,
    .controls = NULL,
    .sim_alloc = batch_sim_alloc,
    .sim_get = sim_get,
    .sim_free = sim_free,
};

const sd_rule_type sd_rule_tree = {
    .name = "tree",
    .summary = "RRS over live drafts",
    .title = "tree verification",
    .exact_ref = "tree DP",
    .flags = SD_RULE_TREE | SD_RULE_M1_IS_SD | SD_RULE_PAPER,
    .step = sd_rrs_step,
    .tree_step = sd_rrs_tree_step,
    .ws_alloc = ws_alloc,
    .ws_free = ws_free,
    .exact = NULL,
    .cost_formula = "T V^2 M^3",
    .cost = tree_cost,
    .controls = NULL,
    .sim_alloc = tree_sim_alloc,
    .sim_get = sim_get,
    .sim_free = sim_free,
};
