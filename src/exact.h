/* exact.h - exact quantities of speculative decoding on a chain (doc/theory.md §1).
 *
 * All functions are O(T V^2) or as stated, use GSL's BLAS interface
 * (OpenBLAS underneath) and never copy a stationary kernel.  Their
 * scratch memory is a caller-owned workspace (sd_exact_ws): the _ws
 * functions compute in it and allocate nothing; the functions without
 * the suffix are conveniences that allocate one for the call.
 */
#ifndef SD_EXACT_H
#define SD_EXACT_H

#include <stddef.h>

#include "error.h"
#include "model.h"

/* Workspace of the exact computations for V tokens; with T > 0 it also
 * serves the law of N_rej (sd_exact_sd_pmf_ws) for horizons up to T:
 * 5 V + T = 0 ? 0 : 3 V (T + 1) + 2 V^2 doubles.  NULL on allocation
 * failure or when the size overflows. */
typedef struct sd_exact_ws sd_exact_ws;
sd_exact_ws *sd_exact_ws_alloc(size_t V, size_t T);
/* Release it (NULL is a no-op). */
void sd_exact_ws_free(sd_exact_ws *w);

/* next = mu K for a row vector mu and a V x V row-major kernel K (one
 * dgemv): the law of the next state. */
void sd_exact_propagate(const double *K, size_t V, const double *mu, double *next);

/* The dot product of a and b (V entries, BLAS ddot). */
double sd_exact_dot(const double *a, const double *b, size_t V);

/* tau[s] = TV(P_t(s,.), Q_t(s,.)) for s in [V] (1 <= t <= T). */
void sd_exact_tv_rows(const sd_model *m, size_t t, double *tau);

/* Theorem 1: E[N_rej] = sum_t mu_t . tau_t with mu the q-marginal of
 * x_{t-1}, by forward propagation (T dgemv).  Sets *mean. */
sd_status sd_exact_sd_mean(const sd_model *m, double *mean, sd_error *err);
sd_status sd_exact_sd_mean_ws(const sd_model *m, sd_exact_ws *w, double *mean, sd_error *err);

/* E[N_rej] and Var[N_rej] by the backward moment recursion of doc/theory.md §1
 * (an independent second computation of the mean).  Either pointer may
 * be NULL.  Var is clamped at 0 against rounding. */
sd_status sd_exact_sd_moments(const sd_model *m, double *mean, double *var,
                              sd_error *err);
sd_status sd_exact_sd_moments_ws(const sd_model *m, sd_exact_ws *w, double *mean, double *var,
                                 sd_error *err);

/* The law of N_rej: pmf[c] = P(N_rej = c), c = 0..T (caller supplies
 * T+1 doubles), by the forward DP over (t, s, count) in O(T^2 V^2).
 * Refuses with SD_ERANGE when T*T*V*V exceeds max_work, saying so. */
sd_status sd_exact_sd_pmf(const sd_model *m, double *pmf, double max_work,
                          sd_error *err);
sd_status sd_exact_sd_pmf_ws(const sd_model *m, sd_exact_ws *w, double *pmf, double max_work,
                             sd_error *err);

/* Laws of the output tokens x_t under the target chain (the q-marginals)
 * at positions pos[0..npos-1] (ascending, each in 1..T): out[i*V + x] =
 * P(x_{pos[i]} = x). */
sd_status sd_exact_token_laws(const sd_model *m, size_t npos, const size_t *pos,
                              double *out, sd_error *err);
sd_status sd_exact_token_laws_ws(const sd_model *m, sd_exact_ws *w, size_t npos,
                                 const size_t *pos, double *out, sd_error *err);

/* The _ws functions return SD_EINVAL when w serves another V (or, for the
 * law of N_rej, a shorter horizon); the conveniences SD_ENOMEM when no
 * workspace can be had. */

#endif
