/* rule_kseq.c - SpecTr's K-SEQ (SPEC 6) as two rules: at round starts
 * (kseq) and over the live drafts of a tree (kseq-tree).  Exact values by
 * the generic engines with the K-SEQ step laws (kseq.h), simulations by
 * the K-SEQ verifier tables in the generic round-start and tree engines.
 * The round-start form has a negative control, kseq-rho1: K-SEQ with
 * rho = 1 instead of rho* (a biased verifier for M >= 2). */
#include "rule.h"

#include "alloc.h"
#include "kseq.h"
#include "roundstart.h"

static sd_status tree_ws_alloc(void **ws, size_t V, size_t M, sd_error *err)
{
    (void)V;
    *ws = sd_kseq_tree_ws_alloc(M);
    return *ws != NULL ? SD_OK
                       : sd_error_set(err, SD_ENOMEM, "out of memory for the K-SEQ tree step");
}

static void tree_ws_free(void *ws)
{
    sd_free(ws);
}

static double kseq_cost(const sd_model *m, size_t M)
{
    return sd_rule_cost_tvv(m) * (double)M;
}

/* measured about ten times the RRS tree's cost per unit */
static double tree_cost(const sd_model *m, size_t M)
{
    double k = (double)M;
    return 10.0 * sd_rule_cost_tvv(m) * k * k * k;
}

/* The simulation: K-SEQ tables and the engine they plug into. */
typedef struct {
    int tree;
    sd_kseq_sim ks;
    sd_roundstart_sim rs; /* kseq */
    sd_tree_sim ts;       /* kseq-tree */
} kseq_state;

static sd_status sim_alloc(void **state, const sd_model *m, size_t M, int tree, int rho1,
                           sd_error *err)
{
    kseq_state *s = sd_calloc(1, sizeof *s);
    sd_status rc;
    if (s == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    s->tree = tree;
    rc = rho1 ? sd_kseq_sim_alloc_rho1(&s->ks, m, M, err)
              : sd_kseq_sim_alloc(&s->ks, m, M, tree, err);
    if (rc == SD_OK) {
        if (tree) {
            sd_tree_verifier v = sd_kseq_tree_verifier(&s->ks);
            rc = sd_tree_sim_alloc(&s->ts, m, &v, M, err);
        } else {
            sd_rs_verifier v = sd_kseq_rs_verifier(&s->ks);
            rc = sd_roundstart_sim_alloc(&s->rs, m, &v, err);
        }
        if (rc != SD_OK)
            sd_kseq_sim_free(&s->ks);
    }
    if (rc != SD_OK) {
        sd_free(s);
        return rc;
    }
    *state = s;
    return SD_OK;
}

static sd_status kseq_sim_alloc(void **state, const sd_model *m, size_t M, size_t control,
                                sd_error *err)
{
    return sim_alloc(state, m, M, 0, control == 1, err);
}

static sd_status tree_sim_alloc(void **state, const sd_model *m, size_t M, size_t control,
                                sd_error *err)
{
    (void)control;
    return sim_alloc(state, m, M, 1, 0, err);
}

static sd_sim sim_get(const void *state)
{
    const kseq_state *s = state;
    return s->tree ? sd_tree_sim_sim(&s->ts) : sd_roundstart_sim_sim(&s->rs);
}

static void sim_free(void *state)
{
    kseq_state *s = state;
    if (s->tree)
        sd_tree_sim_free(&s->ts);
    else
        sd_roundstart_sim_free(&s->rs);
    sd_kseq_sim_free(&s->ks);
    sd_free(s);
}

static const char *const kseq_controls[] = {"kseq-rho1", NULL};

const sd_rule_type sd_rule_kseq = {
    .name = "kseq",
    .summary = "SpecTr K-SEQ at round starts",
    .title = "K-SEQ at round starts",
    .exact_ref = "round-start recursion",
    .flags = SD_RULE_ROUNDSTART | SD_RULE_M1_IS_SD,
    .step = sd_kseq_step,
    .tree_step = NULL,
    .ws_alloc = NULL,
    .ws_free = NULL,
    .exact = NULL,
    .cost_formula = "T V^2 M",
    .cost = kseq_cost,
    .controls = kseq_controls,
    .sim_alloc = kseq_sim_alloc,
    .sim_get = sim_get,
    .sim_free = sim_free,
};

const sd_rule_type sd_rule_kseq_tree = {
    .name = "kseq-tree",
    .summary = "K-SEQ over live drafts",
    .title = "K-SEQ over the live drafts of a tree",
    .exact_ref = "tree DP",
    .flags = SD_RULE_TREE | SD_RULE_M1_IS_SD,
    .step = sd_kseq_step,
    .tree_step = sd_kseq_tree_step,
    .ws_alloc = tree_ws_alloc,
    .ws_free = tree_ws_free,
    .exact = NULL,
    .cost_formula = "10 T V^2 M^3",
    .cost = tree_cost,
    .controls = NULL,
    .sim_alloc = tree_sim_alloc,
    .sim_get = sim_get,
    .sim_free = sim_free,
};
