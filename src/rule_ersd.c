/* rule_ersd.c - exponential races (ERSD, doc/theory.md §6) at round starts as a
 * rule: exact value by the round-start engine with the ERSD step law
 * (quadrature, ersd.h), simulation by literal races in the round-start
 * engine.  With one draft it is a different (worse: acceptance <= 1 - TV)
 * coupling than SD. */
#include "rule.h"

#include "alloc.h"
#include "ersd.h"
#include "roundstart.h"

static sd_status ws_alloc(void **ws, size_t V, size_t M, sd_error *err)
{
    sd_ersd_ws *w = NULL;
    sd_status rc = sd_ersd_ws_alloc(&w, V, M, SD_ERSD_CHAIN_EPSABS, SD_ERSD_CHAIN_EPSREL,
                                    SD_ERSD_CHAIN_LIMIT, err);
    *ws = w;
    return rc;
}

static void ws_free(void *ws)
{
    sd_ersd_ws_free(ws);
}

static double cost(const sd_model *m, size_t M)
{
    (void)M;
    return sd_rule_cost_tvv(m) * (double)m->V * 10.0;
}

static sd_status sim_alloc(void **state, const sd_rule_type *T, const sd_model *m, size_t M,
                           size_t control, sd_error *err)
{
    sd_ersd_sim *es = sd_calloc(1, sizeof *es);
    sd_rs_verifier v;
    (void)T;
    (void)control;
    *state = NULL;
    if (es == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    es->m = m;
    es->M = M;
    v = sd_ersd_rs_verifier(es);
    return sd_rule_engine_new(state, m, M, es, sd_free, &v, NULL, err);
}

const sd_rule_type sd_rule_ersd = {
    .name = "ersd", .summary = "exponential races at round starts",
    .title = "exponential races at round starts", .exact_ref = "round-start recursion",
    .flags = SD_RULE_ROUNDSTART, .step = sd_ersd_step, .ws_alloc = ws_alloc, .ws_free = ws_free,
    .cost_formula = "T V^3 (quadrature)", .cost = cost, .sim_alloc = sim_alloc,
    .sim_get = sd_rule_engine_get, .sim_free = sd_rule_engine_free,
};
