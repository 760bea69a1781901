/* rule_ersd.c - exponential races (ERSD, SPEC 6) at round starts as a
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

typedef struct {
    sd_ersd_sim es;
    sd_roundstart_sim rs;
} ersd_state;

static sd_status sim_alloc(void **state, const sd_model *m, size_t M, size_t control,
                           sd_error *err)
{
    ersd_state *s = sd_calloc(1, sizeof *s);
    sd_rs_verifier v;
    sd_status rc;
    (void)control;
    if (s == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    s->es.m = m;
    s->es.M = M;
    v = sd_ersd_rs_verifier(&s->es);
    rc = sd_roundstart_sim_alloc(&s->rs, m, &v, err);
    if (rc != SD_OK) {
        sd_free(s);
        return rc;
    }
    *state = s;
    return SD_OK;
}

static sd_sim sim_get(const void *state)
{
    const ersd_state *s = state;
    return sd_roundstart_sim_sim(&s->rs);
}

static void sim_free(void *state)
{
    ersd_state *s = state;
    sd_roundstart_sim_free(&s->rs);
    sd_free(s);
}

const sd_rule_type sd_rule_ersd = {
    .name = "ersd",
    .summary = "exponential races at round starts",
    .title = "exponential races at round starts",
    .exact_ref = "round-start recursion",
    .flags = SD_RULE_ROUNDSTART,
    .step = sd_ersd_step,
    .tree_step = NULL,
    .ws_alloc = ws_alloc,
    .ws_free = ws_free,
    .exact = NULL,
    .cost_formula = "T V^3 (quadrature)",
    .cost = cost,
    .controls = NULL,
    .sim_alloc = sim_alloc,
    .sim_get = sim_get,
    .sim_free = sim_free,
};
