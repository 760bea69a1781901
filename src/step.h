/* step.h - token rules: what one verification step does at one (t, s).
 *
 * A token rule (SD, RRS with k drafts, K-SEQ, exponential races, a
 * biased (b, R) rule) is described once, at one position t and prefix
 * state s, by the laws of that step: the probability that every draft is
 * rejected, the joint law of (accepted, token), and the law of the token
 * emitted after a rejection.  The exact engines compose these laws along
 * the chain; the Monte Carlo engines run the same rule with random
 * numbers.  rule.h collects the rules, as types, in one table.
 */
#ifndef SD_STEP_H
#define SD_STEP_H

#include <stddef.h>

#include "error.h"

/* The laws of one verification step with V tokens. */
typedef struct {
    size_t V;     /* vocabulary size */
    double rej;   /* probability that the step rejects (every draft fails) */
    double *acc;  /* acc[y] = P(step accepts a draft whose token is y) */
    double *res;  /* res[y] = P(emitted token is y | step rejects); zero if rej = 0 */
} sd_step;

/* A rule's step function: fill out (whose arrays hold V doubles) for
 * draft row p, target row q and k drafts; ws is the rule's workspace. */
typedef sd_status (*sd_step_fn)(const double *p, const double *q, size_t V,
                                size_t k, void *ws, sd_step *out, sd_error *err);

/* Allocate/free a step whose arrays hold V doubles. */
sd_status sd_step_alloc(sd_step *st, size_t V, sd_error *err);
void sd_step_free(sd_step *st);

/* Total variation distance TV(p, q) = sum_x [q - p]_+ (doc/theory.md §0). */
double sd_tv(const double *p, const double *q, size_t V);

/* Divide w[0..V-1] by its sum (which must be positive). */
void sd_normalise(double *w, size_t V);

/* The residual res(q, p) = [q - p]_+ / TV(p, q) into out, returning
 * TV(p, q) = sum [q - p]_+; when that is 0 (q = p up to rounding) out := q.
 * out must not overlap q. */
double sd_residual(const double *p, const double *q, size_t V, double *out);

/* The speculative decoding rule (doc/theory.md §1), k ignored: accept draft y with
 * probability min(1, q/p), else draw from res(q, p).  Then rej = TV,
 * acc = min(p, q), res = [q - p]_+ / TV. */
sd_status sd_rule_sd_step(const double *p, const double *q, size_t V, size_t k,
                          void *ws, sd_step *out, sd_error *err);

#endif
