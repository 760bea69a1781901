/* rule_rrs.c - recursive rejection sampling (RRS, doc/theory.md §3) as two rules:
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

static sd_status sim_alloc(void **state, const sd_rule_type *T, const sd_model *m, size_t M,
                           size_t control, sd_error *err)
{
    sd_batch_sim *s;
    sd_status rc = sd_batch_sim_alloc(&s, m, M, (T->flags & SD_RULE_TREE) != 0, err);
    (void)control;
    *state = s;
    return rc;
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
    .name = "batch", .summary = "RRS at round starts", .title = "batch SD (Algorithm 4)",
    .exact_ref = "Theorem 3", .flags = SD_RULE_ROUNDSTART | SD_RULE_M1_IS_SD | SD_RULE_PAPER,
    .step = sd_rrs_step, .ws_alloc = ws_alloc, .ws_free = ws_free, .cost_formula = "T V^2 M",
    .cost = sd_rule_cost_tvvm, .sim_alloc = sim_alloc, .sim_get = sim_get, .sim_free = sim_free,
};

const sd_rule_type sd_rule_tree = {
    .name = "tree", .summary = "RRS over live drafts", .title = "tree verification",
    .exact_ref = "tree DP", .flags = SD_RULE_TREE | SD_RULE_M1_IS_SD | SD_RULE_PAPER,
    .step = sd_rrs_step, .tree_step = sd_rrs_tree_step, .ws_alloc = ws_alloc,
    .ws_free = ws_free, .cost_formula = "T V^2 M^3", .cost = sd_rule_cost_tvvm3, .sim_alloc = sim_alloc,
    .sim_get = sim_get, .sim_free = sim_free,
};
