/* roundstart.h - exact and Monte Carlo engines for round-start
 * multi-draft decoding (doc/theory.md §3, §6 "Chain level").
 *
 * The decoding scheme: at the start of a round (position t, committed
 * state s) a multi-draft token rule verifies the first tokens of M
 * drafts.  If it accepts a draft, the round continues along that draft
 * alone with the SD rule of doc/theory.md §1; if it rejects (every draft fails) it
 * emits a token from its rejection law, counts one rejection, and a new
 * round starts at t+1.  Batch SD (paper Algorithm 4) is this scheme with
 * RRS as the rule; K-SEQ and exponential races plug in the same way.
 *
 * How a new rule plugs in:
 *  - exact: write an sd_step_fn (step.h) that, for M drafts at one (t,s),
 *    gives rej = rho (probability every draft fails), res = the law of
 *    the token emitted then, and acc[y] = P(accept a draft with token y).
 *    Pass it, with its workspace, to sd_roundstart_exact.  The recursion
 *    (Theorem 3 generalised) is, with f_t(s) = P(x_{t-1} = s and a round
 *    starts at t) and g_t the law of x_{t-1}:
 *      f_1 = g_1 = pi0,
 *      f_{t+1}(y) = sum_s f_t(s) rho(s) res(s,y) + (g_t(s)-f_t(s)) [Q-P]_+(s,y),
 *      g_{t+1}(y) = sum_s f_t(s) (acc(s,y) + rho(s) res(s,y)) + (g_t(s)-f_t(s)) Q(s,y),
 *      E[N_rej]  = sum_t sum_s f_t(s) rho_t(s) + (g_t(s)-f_t(s)) tau_t(s).
 *    For an unbiased rule acc + rho res = Q and g_t is the q-marginal mu_t.
 *    The engine assumes only that, given the accepted first token, the
 *    accepted draft continues as the draft chain P (true for i.i.d.
 *    drafts and for exponential-race drafts).
 *  - Monte Carlo: write an sd_rs_verifier whose verify callback runs the
 *    rule's own first-position procedure with random numbers at (t, s):
 *    draw the M drafts' first tokens (e.g. from P), accept or reject them
 *    as the rule does, and report the emitted token.  sd_roundstart_sim
 *    wraps it in an sd_sim (mc.h) that continues accepted rounds with the
 *    literal SD step (lazy drafting, alias tables of sim_sd.h).
 */
#ifndef SD_ROUNDSTART_H
#define SD_ROUNDSTART_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "error.h"
#include "mc.h"
#include "model.h"
#include "step.h"
#include "sim_sd.h"

/* Exact E[N_rej] of round-start decoding of m with the rule step (its
 * workspace ws, M drafts per round), by the recursion above, in
 * O(T V^2) plus T V calls of step.  Optional outputs (NULL to skip):
 * fstart[(t-1) V + s] = f_t(s), the probability that a round starts at
 * t with x_{t-1} = s (T V doubles).  Returns the step's error, SD_ENOMEM,
 * or SD_OK. */
sd_status sd_roundstart_exact(const sd_model *m, sd_step_fn step, void *ws, size_t M,
                              double *mean, double *fstart, sd_error *err);

/* The engine's own workspace for V tokens (the laws f, g and a step):
 * NULL on allocation failure.  sd_roundstart_exact_ws computes in it
 * without allocating (SD_EINVAL if it serves another V);
 * sd_roundstart_exact above allocates one for the call. */
typedef struct sd_roundstart_ws sd_roundstart_ws;
sd_roundstart_ws *sd_roundstart_ws_alloc(size_t V);
void sd_roundstart_ws_free(sd_roundstart_ws *w);
sd_status sd_roundstart_exact_ws(const sd_model *m, sd_step_fn step, void *ws, size_t M,
                                 sd_roundstart_ws *w, double *mean, double *fstart,
                                 sd_error *err);

/* A rule's literal first-position procedure for the Monte Carlo engine. */
typedef struct {
    const void *ctx; /* read-only, shared by all threads (tables, M, ...) */
    /* Optional per-thread workspace (NULL ws_alloc: none). */
    sd_status (*ws_alloc)(const void *ctx, void **ws, sd_error *err);
    void (*ws_free)(void *ws);
    /* At a round start at position t (1..T) with x_{t-1} = s: draw the
     * drafts' first tokens and verify them with random numbers from r.
     * Sets *y to the emitted token; returns 1 if a draft was accepted,
     * 0 if every draft was rejected (a rejection is counted). */
    int (*verify)(const void *ctx, void *ws, size_t t, size_t s, gsl_rng *r, size_t *y);
} sd_rs_verifier;

/* The literal round-start simulation: SD tables for inside rounds plus
 * the rule's verifier for round starts. */
typedef struct {
    sd_sim_sd sd;      /* within-round SD step: draft and residual tables */
    sd_rs_verifier v;  /* the rule at round starts */
} sd_roundstart_sim;

/* Build the simulation of m (which must outlive it) with verifier v
 * (copied; its ctx must outlive the simulation).  SD_ENOMEM with
 * everything released on failure. */
sd_status sd_roundstart_sim_alloc(sd_roundstart_sim *s, const sd_model *m,
                                  const sd_rs_verifier *v, sd_error *err);
/* Release the tables (safe on a zeroed struct). */
void sd_roundstart_sim_free(sd_roundstart_sim *s);

/* Its sd_sim interface for sd_mc_run. */
sd_sim sd_roundstart_sim_sim(const sd_roundstart_sim *s);

#endif
