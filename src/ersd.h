/* ersd.h - speculative decoding by exponential races (ERSD, doc/theory.md §6.4;
 * Kobus and Gunduz).
 *
 * Shared clocks E_x ~ Exp(1), one per token.  The target token is the
 * winner of the Q-race, argmin_x E_x / Q(x) (a sample of Q, always); the
 * k drafts are the first k arrivals of the P-race E_x / P(x) (distinct
 * tokens).  The step accepts iff the target token is among the drafts,
 * and emits the target token either way, so it is unbiased by
 * construction.
 *
 * Acceptance law.  Given that y wins the Q-race with E_y = Q(y) s, every
 * other x independently beats y in the P-race with probability
 * pi_x(s) = 1 - exp(-s c_x), c_x = [Q(y) P(x)/P(y) - Q(x)]_+, so
 *   acc[y] = Q(y) * int_0^inf e^{-s} P(PoissonBinomial(pi(s)) < k) ds,
 * computed with the caller's tolerances piecewise on a geometric grid
 * from the fastest scale 1/(1 + sum c_x) up to 1 (gsl_integration_qags)
 * and beyond (qagiu), so that scales many orders apart are all resolved;
 * the Poisson-binomial tail by an O(V k) recursion.  For k = 1 the integral
 * is 1/(1 + sum_x c_x), i.e. doc/theory.md §6.4's closed form
 *   P(accept) = sum_y 1 / sum_x max(Q(x)/Q(y), P(x)/P(y)).
 * The rejection law is that of the target token given that it is not
 * among the drafts: res[y] = (Q(y) - acc[y]) / (1 - sum acc).
 */
#ifndef SD_ERSD_H
#define SD_ERSD_H

#include <stddef.h>

#include <gsl/gsl_integration.h>
#include <gsl/gsl_rng.h>

#include "error.h"
#include "model.h"
#include "roundstart.h"
#include "step.h"
#include "tol.h"

/* k = 1 closed form of the acceptance probability (doc/theory.md §6.4). */
double sd_ersd_accept_k1(const double *p, const double *q, size_t V);

/* Workspace of the quadrature; tolerances are the caller's. */
typedef struct {
    size_t V;                        /* vocabulary the workspace serves */
    size_t k_max;                    /* largest k it serves */
    double epsabs, epsrel;           /* quadrature tolerances per piece of acc[y] / Q(y) */
    size_t limit;                    /* subinterval limit per piece */
    gsl_integration_workspace *w;    /* GSL's workspace */
    double *c;                       /* V rates c_x */
    double *dp;                      /* k_max Poisson-binomial probabilities */
    double abserr;                   /* error bound of the last call (absolute, on sum acc) */
} sd_ersd_ws;

/* Allocate a workspace for V tokens and k <= k_max drafts, with
 * quadrature tolerances epsabs, epsrel (as GSL's: the estimate of each
 * piece is accepted when its error estimate is <= max(epsabs,
 * epsrel |value|)) and at most limit subintervals per piece.  SD_EINVAL for zero
 * sizes or tolerances both <= 0, SD_ENOMEM.  Free with sd_ersd_ws_free. */
sd_status sd_ersd_ws_alloc(sd_ersd_ws **ws, size_t V, size_t k_max, double epsabs,
                           double epsrel, size_t limit, sd_error *err);
void sd_ersd_ws_free(sd_ersd_ws *ws);

/* The acceptance law acc[y] = P(target token = y and y is a draft) for k
 * drafts (k <= ws->k_max, V == ws->V).  *abserr (if not NULL, and
 * ws->abserr) receives an error bound on sum_y acc[y]: the sum over y of
 * Q(y) times GSL's error estimates of the pieces (0 where the value is exact: y
 * certain to be a draft, or y never one).  SD_EINVAL for bad sizes;
 * SD_EINTERNAL if GSL fails to reach the tolerances (message gives
 * GSL's reason and y). */
sd_status sd_ersd_acc(const double *p, const double *q, size_t V, size_t k, sd_ersd_ws *ws,
                      double *acc, double *abserr, sd_error *err);

/* The acceptance probability sum_y acc[y] (and its error bound). */
sd_status sd_ersd_accept(const double *p, const double *q, size_t V, size_t k,
                         sd_ersd_ws *ws, double *alpha, double *abserr, sd_error *err);

/* sd_step_fn of ERSD; ws must be an sd_ersd_ws (its abserr is set). */
sd_status sd_ersd_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                       sd_step *out, sd_error *err);

/* One literal race with k drafts: draw E_x ~ Exp(1) for every token
 * (gsl_ran_exponential), find the Q-race winner y and count the tokens
 * x with p(x) > 0 that beat y in the P-race.  Returns y; *accepted = 1
 * iff p(y) > 0 and fewer than k tokens beat y.  clocks holds V doubles
 * (scratch). */
size_t sd_ersd_race(const double *p, const double *q, size_t V, size_t k, gsl_rng *r,
                    double *clocks, int *accepted);

/* The literal round-start verifier of ERSD on a model (which must
 * outlive it) with M drafts: one race per round start with the row
 * (t, s) of both chains; per-thread scratch of V clocks. */
typedef struct {
    const sd_model *m;
    size_t M;
} sd_ersd_sim;

sd_rs_verifier sd_ersd_rs_verifier(const sd_ersd_sim *s);

#endif
