/* biased.h - biased token rules (b, R) at one step (SPEC 4).
 *
 * A rule of class F (SPEC 2) drafts x ~ P, accepts it with probability
 * b(x) and otherwise emits a token drawn from a resampling law R.  Its
 * output law is O = bP + (1 - a) R with a = sum_x b(x) P(x), it rejects
 * with probability 1 - a, and its quality loss is Loss_TV(b, R) =
 * TV(O, Q).  Theorem 4: for fixed b the smallest loss over R is
 * Loss*(b) = sum [bP - Q]_+, attained by R* = [Q - bP]_+ / sum.
 * Theorem 5: P_rej(b) + Loss*(b) = 1 - sum min(bP, Q) >= TV(P, Q), with
 * equality for every over-accepting b.  The over-acceptance family
 * b_eps(x) = min{1, (Q(x) + eps)/P(x)} with Decoding-OPT (R = R*) and
 * Decoding-UNO (R = Q) are the rules of the paper's Table 1.
 *
 * Every quantity depends on b only through the accepted mass w = bP, so
 * the core functions take w; the b_eps rules compute w = min(P, Q + eps)
 * exactly (no division), which makes eps = 0 reproduce SD to the last bit.
 * All functions work on caller-owned vectors of V doubles and never
 * allocate.
 */
#ifndef SD_BIASED_H
#define SD_BIASED_H

#include <stddef.h>

#include "error.h"
#include "step.h"

/* The law a biased rule draws from after a rejection. */
typedef enum {
    SD_RESAMPLE_OPT = 0,  /* Decoding-OPT: R* = [Q - bP]_+ / sum (Theorem 4) */
    SD_RESAMPLE_UNO = 1   /* Decoding-UNO: R = Q */
} sd_resample;

/* Parse "opt" / "uno"; -1 if unknown. */
int sd_resample_parse(const char *name);
/* "opt" or "uno". */
const char *sd_resample_name(sd_resample r);

/* Accepted mass w(x) = b(x) P(x) of an acceptance rule b on draft row p. */
void sd_biased_mass(const double *b, const double *p, size_t V, double *w);

/* The over-acceptance rule b_eps(x) = min{1, (Q(x) + eps)/P(x)} (eps >= 0).
 * Tokens with P(x) = 0 are never drafted; b_eps(x) = 1 there (the limit
 * of the formula as P(x) -> 0, and the choice that keeps b_eps
 * over-accepting).  eps = 0 gives SD's rule min(1, Q/P). */
void sd_biased_b_eps(const double *p, const double *q, size_t V, double eps, double *b);

/* The accepted mass of b_eps, w = min(P, Q + eps), computed without
 * dividing (so that eps = 0 gives exactly SD's min(P, Q)). */
void sd_biased_w_eps(const double *p, const double *q, size_t V, double eps, double *w);

/* Acceptance probability a = sum w (clamped to [0, 1] against rounding). */
double sd_biased_accept(const double *w, size_t V);

/* Loss*(w) = sum_x [w(x) - Q(x)]_+ (Theorem 4). */
double sd_biased_loss_star(const double *w, const double *q, size_t V);

/* The Theorem 5 value 1 - sum_x min(w(x), Q(x)) (= P_rej + Loss*). */
double sd_biased_front(const double *w, const double *q, size_t V);

/* The optimal resampling law R* = [Q - w]_+ / sum [Q - w]_+ into r.  When
 * that sum is 0 (then a = 1 and no rejection can happen) any R is
 * optimal; r is then set to Q.  Returns sum [Q - w]_+ (>= 1 - a). */
double sd_biased_r_star(const double *w, const double *q, size_t V, double *r);

/* Output law o = w + (1 - a) r with a = sum w. */
void sd_biased_output(const double *w, const double *r, size_t V, double *o);

/* Loss_TV(w, r) = TV(w + (1 - a) r, Q) = 1/2 sum |O - Q|, without a buffer. */
double sd_biased_loss_tv(const double *w, const double *r, const double *q, size_t V);

/* The step laws (step.h) of the biased rule with accepted mass w and
 * resampling law per resample: rej = 1 - a, acc = w, res = R* or Q
 * (res is zero when rej = 0).  out->V must be V. */
void sd_biased_step(const double *w, const double *q, size_t V, sd_resample resample,
                    sd_step *out);

/* The step laws of b_eps with resample (the rule of Table 1). */
void sd_biased_eps_step(const double *p, const double *q, size_t V, double eps,
                        sd_resample resample, sd_step *out);

#endif
