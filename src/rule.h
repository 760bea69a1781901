/* rule.h - decoding rules as types, collected in one table.
 *
 * A rule is what --algo names: a token rule (SD, RRS, K-SEQ, exponential
 * races, ...) together with the chain scheme it is run in (round starts,
 * or every position over the live drafts of a tree).  As GSL describes
 * its generators by a const gsl_rng_type, a rule is one const
 * sd_rule_type: its name, its step law (step.h) and tree law (tree.h),
 * how to build its literal simulation (mc.h), the cost of its exact
 * computation, and what it supports.  Every rule sits in one table,
 * sd_rules; the command line, the theorem checks and the figure drivers
 * loop over it and never switch on an algorithm.
 *
 * Adding a rule: write src/rule_<name>.c defining a const sd_rule_type
 * (see the fields below), declare it here and add one row to sd_rules in
 * rule.c.
 */
#ifndef SD_RULE_H
#define SD_RULE_H

#include <stddef.h>

#include "error.h"
#include "mc.h"
#include "model.h"
#include "step.h"
#include "tree.h"

/* What a rule is and supports (sd_rule_type.flags). */
#define SD_RULE_ROUNDSTART 0x01u /* verifies at round starts, SD inside rounds (roundstart.h) */
#define SD_RULE_TREE 0x02u       /* verifies the live drafts at every position (tree.h) */
#define SD_RULE_VARIANCE 0x04u   /* its exact computation also gives Var[N_rej] */
#define SD_RULE_M1_IS_SD 0x08u   /* with one draft it is Algorithm SD exactly */
#define SD_RULE_PAPER 0x10u      /* an algorithm of the paper (Figures 2 and 5) */

/* A decoding rule.  Fields marked "or NULL" are optional. */
typedef struct sd_rule_type {
    const char *name;    /* the --algo name */
    const char *summary; /* a few words for --help, e.g. "RRS at round starts" */
    const char *title;   /* long name in reports, e.g. "batch SD (Algorithm 4)" */
    const char *exact_ref; /* where its exact value comes from, e.g. "Theorem 3" */
    unsigned flags;      /* SD_RULE_* */

    /* The law of one round-start step with k drafts at a row (p, q). */
    sd_step_fn step;
    /* The law of one tree step with k live drafts (SD_RULE_TREE), or NULL. */
    sd_tree_step_fn tree_step;
    /* The workspace of step and tree_step for V tokens and up to M
     * drafts, or NULL if they need none.  ws_free(NULL) is a no-op. */
    sd_status (*ws_alloc)(void **ws, size_t V, size_t M, sd_error *err);
    void (*ws_free)(void *ws);
    /* Exact E[N_rej] (and Var[N_rej] if SD_RULE_VARIANCE; var may be
     * NULL) with M >= 1 drafts, or NULL: the engine of the scheme
     * (sd_roundstart_exact or sd_tree_exact) with step or tree_step. */
    sd_status (*exact)(const sd_model *m, size_t M, double *mean, double *var,
                       sd_error *err);

    /* How the exact computation's operation count grows, e.g. "T V^2 M^3",
     * and its estimate on m with M drafts (about 1e8 to 1e9 a second). */
    const char *cost_formula;
    double (*cost)(const sd_model *m, size_t M);

    /* The names of its negative controls (deliberately wrong simulations
     * that the checks must reject), NULL-terminated, or NULL: none.
     * Control c >= 1 of sim_alloc is controls[c - 1]; 0 is the rule. */
    const char *const *controls;
    /* Build the literal simulation of rule T (this one) on m (which must
     * outlive it) with M >= 1 drafts and control c into *state; its
     * sd_sim; release it. */
    sd_status (*sim_alloc)(void **state, const struct sd_rule_type *T, const sd_model *m,
                           size_t M, size_t control, sd_error *err);
    sd_sim (*sim_get)(const void *state);
    void (*sim_free)(void *state);
} sd_rule_type;

/* The rules (one file each, src/rule_*.c). */
extern const sd_rule_type sd_rule_sd;        /* Algorithm SD (paper Algorithm 1) */
extern const sd_rule_type sd_rule_batch;     /* batch SD: RRS at round starts (Algorithm 4) */
extern const sd_rule_type sd_rule_tree;      /* tree verification with RRS */
extern const sd_rule_type sd_rule_kseq;      /* SpecTr K-SEQ at round starts */
extern const sd_rule_type sd_rule_kseq_tree; /* K-SEQ over the live drafts of a tree */
extern const sd_rule_type sd_rule_ersd;      /* exponential races at round starts */
extern const sd_rule_type sd_rule_batch_wor; /* RRS without replacement at round starts */

/* The table: every rule, in the order of reports and help; NULL-terminated. */
extern const sd_rule_type *const sd_rules[];

/* The rule called name, or NULL. */
const sd_rule_type *sd_rule_find(const char *name);

/* Write the names of the rules whose flags include all of need, joined
 * by sep ("sd|batch|..."), into buf of n bytes (truncated, always
 * terminated).  Returns buf. */
char *sd_rule_names(char *buf, size_t n, const char *sep, unsigned need);

/* Control index of name for rule T: 0 for "none", c >= 1 for
 * T->controls[c - 1], -1 if T has no such control. */
int sd_rule_control_parse(const sd_rule_type *T, const char *name);
/* The name of control c of T ("none" for 0, "?" if out of range). */
const char *sd_rule_control_name(const sd_rule_type *T, size_t control);

/* Exact E[N_rej] of decoding m with rule T and M drafts; *var (if var is
 * not NULL) gets Var[N_rej] where T has SD_RULE_VARIANCE, else NAN.
 * SD_EINVAL for M = 0; SD_ENOMEM; the rule's errors. */
sd_status sd_rule_exact(const sd_rule_type *T, const sd_model *m, size_t M, double *mean,
                        double *var, sd_error *err);

/* A rough count of the elementary operations of sd_rule_exact(T, m, M),
 * and in *formula (if not NULL) how it grows.  Callers use it to refuse
 * work that would run for hours instead of hanging. */
double sd_rule_cost(const sd_rule_type *T, const sd_model *m, size_t M, const char **formula);

/* A prepared literal simulation of a rule (opaque). */
typedef struct sd_rule_sim sd_rule_sim;

/* Prepare the simulation of rule T with M drafts on m (which must outlive
 * it); control 0 for the rule itself, c >= 1 for its negative control c.
 * SD_EINVAL for M = 0 or a control T does not have; the rule's errors
 * (SD_ERANGE, SD_ENOMEM).  On failure *out is NULL. */
sd_status sd_rule_sim_alloc(sd_rule_sim **out, const sd_rule_type *T, const sd_model *m,
                            size_t M, size_t control, sd_error *err);
/* Its interface for sd_mc_run (valid until sd_rule_sim_free). */
sd_sim sd_rule_sim_get(const sd_rule_sim *s);
/* Release it (NULL is a no-op). */
void sd_rule_sim_free(sd_rule_sim *s);

/* The simulation of a rule that plugs verifier tables into an engine
 * (tree.h): the rule builds its tables (on the heap: the verifiers point
 * at them), and sd_rule_engine_new wraps them with the round-start engine
 * (tv = NULL) or the tree engine into *state, which the rule type's
 * sim_get and sim_free serve as sd_rule_engine_get and
 * sd_rule_engine_free.  tables_free(tables) releases the tables, also
 * when sd_rule_engine_new fails (SD_ENOMEM, the engine's errors). */
sd_status sd_rule_engine_new(void **state, const sd_model *m, size_t M, void *tables,
                             void (*tables_free)(void *), const sd_rs_verifier *rv,
                             const sd_tree_verifier *tv, sd_error *err);
sd_sim sd_rule_engine_get(const void *state);
void sd_rule_engine_free(void *state);

/* Cost building blocks for the rules' cost functions: T V^2 and M. */
double sd_rule_cost_tvv(const sd_model *m);
/* T V^2 M and T V^2 M^3, usable as a rule's cost. */
double sd_rule_cost_tvvm(const sd_model *m, size_t M);
double sd_rule_cost_tvvm3(const sd_model *m, size_t M);

#endif
