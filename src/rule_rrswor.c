/* rule_rrswor.c - RRS without replacement (Jeon et al., Recursive
 * Speculative Decoding, 2024) at round starts: the first tokens of M
 * drafts that are distinct tokens, verified by rrswor.h, then SD along
 * the accepted draft.  Exact by the round-start engine with the step law
 * of rrswor.h; literal simulation by its verifier. */
#include "rule.h"

#include <string.h>

#include "alloc.h"
#include "roundstart.h"
#include "rrswor.h"

static sd_status ws_alloc(void **ws, size_t V, size_t M, sd_error *err)
{
    *ws = sd_rrs_wor_ws_alloc(V, M);
    return *ws != NULL ? SD_OK
                       : sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu, M = %zu)", V,
                                      M);
}

static void ws_free(void *ws)
{
    sd_rrs_wor_ws_free(ws);
}

/* T V^2 for the chain plus the walk over rejection paths of every row. */
static double cost(const sd_model *m, size_t M)
{
    size_t rows = sd_model_stationary(m) ? 1 : m->T, t, s;
    double tot = sd_rule_cost_tvv(m);
    for (t = 1; t <= rows; t++)
        for (s = 0; s < m->V; s++)
            tot += sd_rrs_wor_cost(sd_model_p(m, t, s), sd_model_q(m, t, s), m->V, M) *
                   (sd_model_stationary(m) ? (double)m->T : 1.0);
    return tot;
}

static sd_status sim_alloc(void **state, const sd_rule_type *T, const sd_model *m, size_t M,
                           size_t control, sd_error *err)
{
    sd_rrs_wor_sim *w = sd_calloc(1, sizeof *w);
    sd_rs_verifier v;
    sd_status rc;
    (void)T;
    (void)control;
    *state = NULL;
    if (w == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory for the simulation");
    if ((rc = sd_rrs_wor_sim_init(w, m, M, err)) != SD_OK) {
        sd_free(w);
        return rc;
    }
    v = sd_rrs_wor_rs_verifier(w);
    return sd_rule_engine_new(state, m, M, w, sd_free, &v, NULL, err);
}

const sd_rule_type sd_rule_batch_wor = {
    .name = "batch-wor",
    .summary = "RRS without replacement at round starts",
    .title = "batch SD with distinct drafts (RRS without replacement)",
    .exact_ref = "round-start recursion",
    .flags = SD_RULE_ROUNDSTART | SD_RULE_M1_IS_SD,
    .step = sd_rrs_wor_step,
    .tree_step = NULL,
    .ws_alloc = ws_alloc,
    .ws_free = ws_free,
    .exact = NULL,
    .cost_formula = "T V^2 + rejection paths (V n^(M-1) per row)",
    .cost = cost,
    .controls = NULL,
    .sim_alloc = sim_alloc,
    .sim_get = sd_rule_engine_get,
    .sim_free = sd_rule_engine_free,
};
