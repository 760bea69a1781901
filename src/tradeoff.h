/* tradeoff.h - biased rules along a chain: the quality-speed tradeoff
 * (doc/theory.md §4, chain level).
 *
 * A biased rule (b, R) at every (t, s) turns the output into a new chain
 * O_t(s, .) = w + (1 - a) R with w = b P_t(s, .).  Its marginals nu_t
 * (nu_1 = pi0, nu_{t+1} = nu_t O_t) - not the target's mu - weight the
 * per-row quantities: expected rejections sum_t nu_t . (1 - a_t), per-step
 * bias sum_t nu_t . Loss_t.  The sequence-level TV between the output and
 * the target chain is computed by enumerating sequences.
 *
 * An sd_tradeoff holds the per-row laws (w, R, O and the scalars) of one
 * rule on one model; rows are (t, s) pairs, one block of V rows per t
 * (a single block when both chains are stationary).
 */
#ifndef SD_TRADEOFF_H
#define SD_TRADEOFF_H

#include <stddef.h>

#include "biased.h"
#include "error.h"
#include "model.h"

/* Largest number of token sequences per prompt state (V^T) that
 * sd_tradeoff_sequence_tv enumerates: 1e7 sequences take about a second
 * per prompt state and keep the rounding of the sum near 1e-12. */
#define SD_TRADEOFF_MAX_SEQUENCES 1e7

typedef struct {
    const sd_model *m;  /* the model (must outlive the tables) */
    size_t nrows;       /* V (both chains stationary) or T*V */
    double *w;          /* accepted mass b P of each row, nrows*V */
    double *r;          /* resampling law R of each row, nrows*V */
    double *o;          /* output law O of each row, nrows*V */
    double *rej;        /* rejection probability 1 - a of each row */
    double *loss;       /* Loss_TV = TV(O, Q) of each row */
    double *loss_star;  /* Loss* = sum [w - Q]_+ of each row (Theorem 4) */
    double *tv;         /* TV(P, Q) of each row (doc/theory.md §1's tau) */
} sd_tradeoff;

/* Allocate the tables for m (every row zero until set).  SD_ERANGE when
 * nrows*V overflows, SD_ENOMEM on failure (nothing leaked). */
sd_status sd_tradeoff_alloc(sd_tradeoff *tr, const sd_model *m, sd_error *err);
/* Release the tables (safe on a zeroed or freed struct). */
void sd_tradeoff_free(sd_tradeoff *tr);

/* The row of position t (1..T) and prefix state s. */
size_t sd_tradeoff_row(const sd_tradeoff *tr, size_t t, size_t s);

/* Set row `row` to the rule with accepted mass w (V doubles, w <= P
 * entrywise) and resampling law per resample (R* or Q). */
void sd_tradeoff_set_row(sd_tradeoff *tr, size_t row, const double *w,
                         sd_resample resample);

/* Set every row to the over-acceptance rule b_eps (eps >= 0) with
 * resample: Decoding-OPT or Decoding-UNO of doc/theory.md §4. */
void sd_tradeoff_set_eps(sd_tradeoff *tr, double eps, sd_resample resample);

/* Set every row to typical acceptance with (eps, delta) and resample. */
void sd_tradeoff_set_typical(sd_tradeoff *tr, double eps, double delta, sd_resample resample);

/* Chain-level values of the rule, each a sum over t of nu_t . (row value). */
typedef struct {
    double expected_rejections; /* sum_t nu_t . (1 - a_t) */
    double bias_sum;            /* sum_t nu_t . Loss_TV_t (per-step bias) */
    double loss_star_sum;       /* sum_t nu_t . Loss*_t (= bias_sum for OPT) */
    double tv_sum;              /* sum_t nu_t . tau_t: for an over-accepting OPT
                                   rule, expected_rejections + bias_sum equals it */
} sd_tradeoff_result;

/* The values above by forward propagation of nu through the output
 * chain (T dgemv).  SD_ENOMEM on failure. */
sd_status sd_tradeoff_exact(const sd_tradeoff *tr, sd_tradeoff_result *res,
                            sd_error *err);

/* Laws of the output tokens x_t under the output chain O at positions
 * pos[0..npos-1] (ascending, each in 1..T): out[i*V + x] = P(x_{pos[i]} = x).
 * SD_EINVAL for bad positions, SD_ENOMEM. */
sd_status sd_tradeoff_token_laws(const sd_tradeoff *tr, size_t npos, const size_t *pos,
                                 double *out, sd_error *err);

/* Sequence-level TV between the output and the target chain, with the
 * prompt x_0 ~ pi0 common to both: sum_{x_0} pi0(x_0) TV(O(x_{1:T} | x_0),
 * Q(x_{1:T} | x_0)), which is also the TV of the laws of (x_0, ..., x_T).
 * Enumerates all V^T sequences per prompt state (subtrees that both laws
 * give probability 0 are skipped).  Refuses with SD_ERANGE, saying the
 * limit and why, when V^T > max_sequences (use SD_TRADEOFF_MAX_SEQUENCES).
 * SD_ENOMEM on failure. */
sd_status sd_tradeoff_sequence_tv(const sd_tradeoff *tr, double max_sequences, double *tv,
                                  sd_error *err);

/* 1 if V^T <= max_sequences (sd_tradeoff_sequence_tv would run). */
int sd_tradeoff_enumerable(const sd_model *m, double max_sequences);

#endif
