/* rule_kseq.c - SpecTr's K-SEQ (doc/theory.md §6) as two rules: at round starts
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

/* measured about ten times the RRS tree's cost per unit */
static double tree_cost(const sd_model *m, size_t M)
{
    return 10.0 * sd_rule_cost_tvvm3(m, M);
}

static void tables_free(void *ks)
{
    sd_kseq_sim_free(ks);
    sd_free(ks);
}

/* Control 1 of the round-start form is K-SEQ with rho = 1. */
static sd_status sim_alloc(void **state, const sd_rule_type *T, const sd_model *m, size_t M,
                           size_t control, sd_error *err)
{
    sd_kseq_sim *ks = sd_calloc(1, sizeof *ks);
    const int tree = (T->flags & SD_RULE_TREE) != 0, rho1 = control == 1;
    sd_rs_verifier rv;
    sd_tree_verifier tv;
    sd_status rc;
    *state = NULL;
    if (ks == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    rc = rho1 ? sd_kseq_sim_alloc_rho1(ks, m, M, err) : sd_kseq_sim_alloc(ks, m, M, tree, err);
    if (rc != SD_OK) {
        sd_free(ks);
        return rc;
    }
    rv = sd_kseq_rs_verifier(ks);
    tv = sd_kseq_tree_verifier(ks);
    return sd_rule_engine_new(state, m, M, ks, tables_free, &rv, tree ? &tv : NULL, err);
}

static const char *const kseq_controls[] = {"kseq-rho1", NULL};

const sd_rule_type sd_rule_kseq = {
    .name = "kseq", .summary = "SpecTr K-SEQ at round starts", .title = "K-SEQ at round starts",
    .exact_ref = "round-start recursion", .flags = SD_RULE_ROUNDSTART | SD_RULE_M1_IS_SD,
    .step = sd_kseq_step, .cost_formula = "T V^2 M", .cost = sd_rule_cost_tvvm,
    .controls = kseq_controls, .sim_alloc = sim_alloc, .sim_get = sd_rule_engine_get,
    .sim_free = sd_rule_engine_free,
};

const sd_rule_type sd_rule_kseq_tree = {
    .name = "kseq-tree", .summary = "K-SEQ over live drafts",
    .title = "K-SEQ over the live drafts of a tree", .exact_ref = "tree DP",
    .flags = SD_RULE_TREE | SD_RULE_M1_IS_SD, .step = sd_kseq_step,
    .tree_step = sd_kseq_tree_step, .ws_alloc = tree_ws_alloc, .ws_free = tree_ws_free,
    .cost_formula = "10 T V^2 M^3", .cost = tree_cost, .sim_alloc = sim_alloc,
    .sim_get = sd_rule_engine_get, .sim_free = sd_rule_engine_free,
};
