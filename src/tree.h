/* tree.h - exact DP and literal simulation of tree (trie) verification
 * with i.i.d. drafts (doc/theory.md §3 "Tree verification", §6.2 tree form).
 *
 * The scheme: a round starts with M drafts drawn i.i.d. from the draft
 * chain.  At every position all drafts that agree with the committed
 * prefix stay live (k of them, 1 <= k <= M).  A multi-draft token rule
 * verifies the k live drafts' tokens at (t, s); on acceptance of token y
 * the live drafts at t+1 are those whose token is y; if every draft is
 * rejected the rule emits a token from its rejection law, one rejection
 * is counted, and a new round starts with M fresh drafts.
 *
 * How a new rule plugs in:
 *  - exact: write an sd_tree_step_fn that, for k live drafts at one
 *    (t, s), gives the joint law of (accepted token y, number L of live
 *    drafts at t+1), the probability that every draft is rejected, and
 *    the law of the token emitted then (sd_tree_step below).  The DP over
 *    h_t(s, k) = P(x_{t-1} = s, k live drafts at t), h_1(s, M) = pi0(s):
 *      h_{t+1}(y, L) += h_t(s, k) acc_k(s)(y, L),
 *      h_{t+1}(y, M) += h_t(s, k) rej_k(s) res_k(s)(y),
 *      E[N_rej] = sum_t sum_{s,k} h_t(s, k) rej_k(s).
 *    RRS (rrs.h): P(first acceptance at trial m with y) times the law of
 *    L = 1 + Binomial(k - m, P(y)).  K-SEQ: doc/theory.md §6.
 *  - Monte Carlo: write an sd_tree_verifier whose verify callback runs the
 *    rule on the k live drafts' tokens (drawn by the engine, i.i.d. from
 *    P(s, .), lazily one position at a time) with random numbers.  The
 *    engine then keeps every draft whose token equals the accepted one
 *    (whether or not the rule tried it), exactly as the algorithm does.
 */
#ifndef SD_TREE_H
#define SD_TREE_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "error.h"
#include "mc.h"
#include "model.h"
#include "roundstart.h"
#include "sim_sd.h"

/* The laws of one tree-verification step with k <= K live drafts. */
typedef struct {
    size_t V, K;  /* vocabulary; most live drafts the arrays hold */
    double rej;   /* probability that every live draft is rejected */
    double *res;  /* res[y] = P(emitted token y | all rejected); zero if rej = 0 */
    double *acc;  /* acc[y*(K+1) + L] = P(accept token y, L live drafts at t+1), L = 1..k */
} sd_tree_step;

/* Allocate/free a step for V tokens and up to K live drafts (SD_ENOMEM
 * with nothing left allocated; free is safe on a freed step). */
sd_status sd_tree_step_alloc(sd_tree_step *st, size_t V, size_t K, sd_error *err);
void sd_tree_step_free(sd_tree_step *st);

/* A rule's tree step: fill out (zeroing what it does not set) for draft
 * row p, target row q, and k live drafts (1 <= k <= out->K); ws is the
 * rule's workspace. */
typedef sd_status (*sd_tree_step_fn)(const double *p, const double *q, size_t V, size_t k,
                                     void *ws, sd_tree_step *out, sd_error *err);

/* Exact E[N_rej] of tree verification of m with M drafts per round, by
 * the DP above: O(T V^2 M^2) plus T V M calls of step (RRS: O(V k^2) each,
 * so O(T V^2 M^3) in all).  Optional output
 * (NULL to skip): live[(t-1) (M+1) + k] = P(k live drafts at t).
 * Returns the step's error, SD_EINVAL for M = 0, SD_ENOMEM, or SD_OK. */
sd_status sd_tree_exact(const sd_model *m, sd_tree_step_fn step, void *ws, size_t M,
                        double *mean, double *live, sd_error *err);

/* The engine's own workspace for V tokens and up to M drafts (the law h
 * and a step): NULL on allocation failure or M = 0.  sd_tree_exact_ws
 * computes in it without allocating (SD_EINVAL if it serves another V or
 * fewer drafts); sd_tree_exact above allocates one for the call. */
typedef struct sd_tree_ws sd_tree_ws;
sd_tree_ws *sd_tree_ws_alloc(size_t V, size_t M);
void sd_tree_ws_free(sd_tree_ws *w);
sd_status sd_tree_exact_ws(const sd_model *m, sd_tree_step_fn step, void *ws, size_t M,
                           sd_tree_ws *w, double *mean, double *live, sd_error *err);

/* A rule's literal verification of k live drafts for the simulation. */
typedef struct {
    const void *ctx; /* read-only, shared by all threads */
    sd_status (*ws_alloc)(const void *ctx, void **ws, sd_error *err); /* optional */
    void (*ws_free)(void *ws);
    /* At position t with x_{t-1} = s, verify the k drafts' tokens
     * tok[0..k-1] (in draft order) with random numbers from r.  Sets *y
     * to the emitted token; returns 1 if a draft was accepted (then some
     * tok[i] == *y), 0 if all were rejected. */
    int (*verify)(const void *ctx, void *ws, size_t t, size_t s, size_t k, const size_t *tok,
                  gsl_rng *r, size_t *y);
} sd_tree_verifier;

/* The literal tree simulation with M drafts per round. */
typedef struct {
    sd_sim_sd sd;        /* draft alias tables (P rows) and the start law */
    sd_tree_verifier v;  /* the rule */
    size_t M;            /* drafts per round */
} sd_tree_sim;

/* Build the simulation of m (which must outlive it) with verifier v
 * (copied; its ctx must outlive the simulation) and M >= 1 drafts.
 * SD_EINVAL for M = 0, SD_ENOMEM with everything released. */
sd_status sd_tree_sim_alloc(sd_tree_sim *s, const sd_model *m, const sd_tree_verifier *v,
                            size_t M, sd_error *err);
/* Release the tables (safe on a zeroed struct). */
void sd_tree_sim_free(sd_tree_sim *s);

/* Its sd_sim interface for sd_mc_run. */
sd_sim sd_tree_sim_sim(const sd_tree_sim *s);

/* One run of tree verification with M drafts per round on the draft
 * tables of D, uniforms from uniform(src): the start state, then at
 * every position the k live drafts' tokens (tok, M entries) drawn from
 * P, and verify(vctx, src, t, s, row, k, tok, y) run on them (row: the
 * table row of (t, s); src: the uniform source, for its own draws), which
 * returns 1 with the accepted token or 0 with the emitted one.  Drafts holding the accepted token stay live; a rejection
 * is counted and brings M fresh drafts.  Tallies the tokens and returns
 * N_rej, or (size_t)-1 (tallying nothing more) if verify accepted a
 * token no live draft holds, with that token in *bad and its position in
 * *bad_t.  Inline so that the simulators' own sources cost no call. */
static inline size_t sd_tree_run_one(const sd_sim_sd *D, size_t M, size_t *tok,
                                     double (*uniform)(void *src), void *src,
                                     int (*verify)(const void *vctx, void *src, size_t t,
                                                   size_t s, size_t row, size_t k,
                                                   const size_t *tok, size_t *y),
                                     const void *vctx, sd_tally *tally, size_t *bad,
                                     size_t *bad_t)
{
    const size_t V = D->m->V, T = D->m->T, rowstep = sd_model_row_step(D->m);
    size_t s = sd_sim_draft_draw(D->start_cells, V, uniform(src)), base = 0, t, nrej = 0, x, i;
    size_t k = M, live;
    for (t = 1; t <= T; t++, base += rowstep) {
        const sd_sim_cell *row = D->cells + (base + s) * V;
        /* lazy drafting: each live draft's token at t, i.i.d. from P(s, .) */
        for (i = 0; i < k; i++)
            tok[i] = sd_sim_draft_draw(row, V, uniform(src));
        if (verify(vctx, src, t, s, base + s, k, tok, &x)) {
            for (i = 0, live = 0; i < k; i++)
                live += tok[i] == x;
            if (live == 0) {
                *bad = x;
                *bad_t = t;
                return (size_t)-1;
            }
            k = live;
        } else {
            nrej++;
            k = M;
        }
        sd_tally_token(tally, t, x);
        s = x;
    }
    return nrej;
}

/* A literal multi-draft simulation on one of the two engines: round
 * starts (roundstart.h) or trees, as a rule file or batch.c builds it
 * from its verifiers. */
typedef struct {
    int tree;              /* which engine */
    sd_roundstart_sim rs;  /* round starts (tree = 0) */
    sd_tree_sim ts;        /* trees (tree != 0) */
} sd_engine_sim;

/* Build the tree engine with tv if tv is not NULL, else the round-start
 * engine with rv, for m with M drafts (the verifiers are copied; their
 * ctx must outlive the simulation).  Errors of the engine's _alloc, with
 * everything released. */
sd_status sd_engine_sim_init(sd_engine_sim *e, const sd_model *m, size_t M,
                             const sd_rs_verifier *rv, const sd_tree_verifier *tv,
                             sd_error *err);
/* Release it (safe on a zeroed struct after a failed init). */
void sd_engine_sim_free(sd_engine_sim *e);
/* Its sd_sim interface for sd_mc_run. */
sd_sim sd_engine_sim_get(const sd_engine_sim *e);

#endif
