/* calls.h - draft length and wall time of speculative decoding on a chain
 * (Leviathan, Kalman, Matias, ICML 2023; doc/theory.md "Draft length and
 * wall time").
 *
 * A round that starts at position t (x_{t-1} = s) drafts g = min(gamma,
 * T - t + 1) tokens from the draft chain and costs one target call and g
 * draft steps, 1 + c g in units of a target call (c = draft step / target
 * step).  The drafts are verified in order with the SD rule; the first
 * rejection emits a token from [Q - P]_+ and ends the round; when all g
 * are accepted the call also yields a bonus token from Q (unless the
 * round already reached T).
 *
 *  - Fixed gamma, exactly: the slot DP over (t, s, slot j = drafts
 *    accepted so far, gamma = the bonus slot), O(T gamma V^2) with BLAS.
 *    pi_t = P(a round starts at t): E[calls] = sum_t pi_t, E[draft steps]
 *    = sum_t pi_t min(gamma, T - t + 1), W = E[calls] + c E[steps].
 *  - Leviathan's closed form with the chain's mean acceptance alpha =
 *    1 - E[N_rej]/T (Theorem 1): tokens per call (1 - alpha^(gamma+1)) /
 *    (1 - alpha), speed-up that over (gamma c + 1).
 *  - The optimal policy gamma(t, s) in 1..gamma_max, by backward
 *    induction on J(t, s) = the expected remaining wall time from a round
 *    start at (t, s); J* = pi0 . J(1, .).  O(T gamma_max^2 V^2).
 *  - The literal simulation of both (sd_calls_sim) through the Monte
 *    Carlo engine of mc.h.
 */
#ifndef SD_CALLS_H
#define SD_CALLS_H

#include <stddef.h>
#include <stdint.h>

#include "alias.h"
#include "error.h"
#include "mc.h"
#include "model.h"
#include "sim_sd.h"

/* Largest draft length accepted anywhere (the policy table stores it in
 * 16 bits; nobody drafts more than a few dozen tokens). */
#define SD_CALLS_MAX_GAMMA 1024

/* SD_EINVAL unless 1 <= gamma <= SD_CALLS_MAX_GAMMA and the cost ratio c
 * is finite and >= 0 (the arguments of every draft-length computation,
 * token or block verification). */
sd_status sd_calls_check_args(size_t gamma, double c, sd_error *err);

/* sd_calls_check_args, then SD_ERANGE when cost (operations) is above
 * limit, the message saying what would cost that on m: "<what>: about
 * <cost> operations for V, T, gamma (<how>), above the limit of ...". */
sd_status sd_calls_check_work(const sd_model *m, size_t gamma, double c, double cost,
                              double limit, const char *what, const char *how,
                              sd_error *err);

/* Largest operation count of an exact policy solve (about a minute). */
#define SD_CALLS_MAX_WORK 1e11

/* Exact values for one fixed gamma. */
typedef struct {
    size_t gamma;
    double calls;           /* E[target calls] */
    double draft_steps;     /* E[draft steps] */
    double wall_time;       /* calls + c draft_steps */
    double tokens_per_call; /* T / calls */
    double speedup;         /* T / wall_time */
    double leviathan_tokens_per_call; /* (1 - a^(g+1)) / (1 - a), a = mean acceptance */
    double leviathan_speedup;         /* that / (gamma c + 1) */
    double mean_accept;     /* a = 1 - E[N_rej] / T */
} sd_calls_row;

/* Leviathan et al.'s expected tokens per target call for a constant
 * acceptance a in [0, 1] and draft length gamma: (1 - a^(gamma+1)) /
 * (1 - a), gamma + 1 when a = 1. */
double sd_leviathan_tokens_per_call(double a, size_t gamma);

/* row := the values of a verification scheme that makes `calls` target
 * calls and `steps` draft steps over T tokens at draft length gamma and
 * cost ratio c (wall time, tokens per call, speed-up); Leviathan's form
 * and the mean acceptance NaN (token verification sets them). */
void sd_calls_row_set(sd_calls_row *row, size_t gamma, size_t T, double c, double calls,
                      double steps);

/* The slot DP for draft length gamma >= 1 and cost ratio c >= 0 (finite).
 * pistart (T doubles, may be NULL) gets pi_t.  SD_EINVAL for gamma = 0,
 * gamma > SD_CALLS_MAX_GAMMA, c < 0 or not finite; SD_ENOMEM. */
sd_status sd_calls_exact(const sd_model *m, size_t gamma, double c, sd_calls_row *row,
                         double *pistart, sd_error *err);

/* Expected number of tokens the first call produces from the start law
 * (drafts accepted, the rejection's token, the bonus), by the slot
 * recursion: sum_{j=0}^{g-1} P(reach slot j) + P(reach the bonus slot) when
 * gamma < T.  With tau = 1 - alpha in every row it is Leviathan's
 * (1 - alpha^(gamma+1)) / (1 - alpha).  Same errors as sd_calls_exact. */
sd_status sd_calls_first_call_tokens(const sd_model *m, size_t gamma, double *tokens,
                                     sd_error *err);

/* Operations of an exact policy solve with draft lengths up to gmax. */
double sd_calls_policy_cost(const sd_model *m, size_t gmax);

/* The optimal draft-length policy.  policy[(t-1) V + s] (T V entries,
 * may be NULL) gets gamma(t, s) in 1..min(gmax, T - t + 1) (the smallest
 * minimiser); J[(t-1) V + s] ((T+1) V doubles, may be NULL; row T+1 is
 * 0) the optimal expected wall time from a round start at (t, s);
 * *jstar = pi0 . J(1, .).  SD_EINVAL for gmax = 0 or above
 * SD_CALLS_MAX_GAMMA, c < 0 or not finite; SD_ERANGE when
 * sd_calls_policy_cost exceeds SD_CALLS_MAX_WORK (message gives both);
 * SD_ENOMEM. */
sd_status sd_calls_optimal(const sd_model *m, size_t gmax, double c, uint16_t *policy,
                           double *J, double *jstar, sd_error *err);

/* The wall time of a given policy (T V entries, each >= 1; values above
 * T - t + 1 act as T - t + 1) by the same backward recursion without the
 * minimum.  A constant policy gives W(gamma) of sd_calls_exact by another
 * route.  Same errors as sd_calls_optimal (gmax = the largest entry). */
sd_status sd_calls_policy_value(const sd_model *m, const uint16_t *policy, double c,
                                double *value, sd_error *err);

/* ---- literal simulation --------------------------------------------------- */

/* How each round is verified in the simulation. */
typedef enum {
    SD_CALLS_TOKEN = 0,  /* token by token (SD with draft length gamma) */
    SD_CALLS_BLOCK,      /* block verification (Sun et al., ICLR 2025) */
    SD_CALLS_BLOCK_FIRST_FAIL /* negative control: block with tau = first failure - 1 */
} sd_calls_verify;

/* Largest histogram (T + 1)(T gamma_max + 1) of one simulation: each run
 * is tallied by the pair (calls, draft steps) so that the wall time of
 * any c has its exact sample mean and variance. */
#define SD_CALLS_SIM_MAX_HIST ((size_t)1 << 24)

typedef struct {
    const sd_model *m;
    sd_calls_verify verify;
    size_t gamma;              /* fixed draft length (policy == NULL) */
    const uint16_t *policy;    /* or gamma(t, s), T V entries (not owned) */
    size_t gmax;               /* largest draft length used */
    sd_sim_sd sd;              /* draft and residual tables */
    sd_alias_cell *qcells;     /* nrows V: alias tables of the Q rows (bonus) */
} sd_calls_sim;

/* The histogram size the simulation needs (0 if it overflows). */
size_t sd_calls_sim_hist_size(const sd_model *m, size_t gmax);

/* Build the simulation of m (must outlive it) with draft length gamma, or
 * with the policy (gamma ignored; must outlive it).  SD_EINVAL for
 * gamma = 0 or above SD_CALLS_MAX_GAMMA; SD_ERANGE when the histogram
 * exceeds SD_CALLS_SIM_MAX_HIST; SD_ENOMEM.  Everything released on
 * failure. */
sd_status sd_calls_sim_alloc(sd_calls_sim *s, const sd_model *m, sd_calls_verify verify,
                             size_t gamma, const uint16_t *policy, sd_error *err);
void sd_calls_sim_free(sd_calls_sim *s);

/* Its sd_sim for sd_mc_run, which must be called with horizon
 * sd_calls_sim_hist_size(m, gmax) - 1: run n is tallied at index
 * calls + (T + 1) draft_steps.  Tracked positions (<= T) tally the
 * emitted tokens. */
sd_sim sd_calls_sim_sim(const sd_calls_sim *s);

/* Summary of a simulation's histogram: sample means and standard errors
 * of calls, draft steps and wall time calls + c steps (from the joint
 * histogram, so the wall time's variance includes the covariance). */
typedef struct {
    double calls, calls_se;
    double steps, steps_se;
    double wall, wall_se;
} sd_calls_estimate;

/* Decode res (from sd_mc_run on sd_calls_sim_sim) for cost c. */
void sd_calls_estimate_from(const sd_mc_result *res, size_t T, double c,
                            sd_calls_estimate *e);

#endif
