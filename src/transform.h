/* transform.h - the sampling transforms of inference engines (temperature,
 * top-k, top-p, min-p) that turn a row of logits or probabilities into
 * the distribution a token is actually drawn from.
 *
 * Applied in this order, renormalising after each (doc/theory.md, Traces):
 *  - temperature tau: softmax of logits / tau (probabilities: p^(1/tau)
 *    renormalised); tau = 0 is greedy: all mass on the largest entry, the
 *    lowest index on ties;
 *  - top-k: keep the entries >= the k-th largest value (ties at the
 *    boundary are all kept);
 *  - top-p: sort by probability, descending, ties by index; keep the
 *    shortest prefix whose mass is >= top_p;
 *  - min-p: keep the entries >= min_p times the largest.
 * The top-p prefix is found without a full sort: a mass-weighted
 * quickselect isolates a superset of the prefix (O(V) expected) and only
 * that superset is sorted.  A logit of -infinity is a masked token
 * (probability 0).
 */
#ifndef SD_TRANSFORM_H
#define SD_TRANSFORM_H

#include <stddef.h>

#include "error.h"

/* One engine's sampling settings. */
typedef struct {
    double temperature; /* >= 0; 1 = unchanged, 0 = greedy */
    size_t top_k;       /* 0 = off */
    double top_p;       /* in (0, 1]; 1 = off */
    double min_p;       /* in [0, 1]; 0 = off */
} sd_sampling;

/* The identity settings: temperature 1, no truncation. */
void sd_sampling_default(sd_sampling *s);

/* 1 if the settings change nothing (temperature 1, no truncation). */
int sd_sampling_is_identity(const sd_sampling *s);

/* SD_EINVAL (message naming the setting) unless temperature is finite and
 * >= 0, top_p in (0, 1] and min_p in [0, 1]. */
sd_status sd_sampling_check(const sd_sampling *s, sd_error *err);

/* Scratch memory of sd_transform_row for rows of up to V entries. */
typedef struct sd_transform_ws sd_transform_ws;

/* A workspace for rows of up to V entries, or NULL when out of memory
 * (or V = 0).  Free with sd_transform_ws_free (NULL is fine). */
sd_transform_ws *sd_transform_ws_alloc(size_t V);
void sd_transform_ws_free(sd_transform_ws *ws);

/* Apply the settings s to the row in[0..V-1]: logits when probs = 0
 * (finite, or -infinity for a masked token, at least one finite), else
 * probabilities (finite, >= 0, positive sum; they need not be exactly
 * normalised).  Writes the distribution to out[0..V-1] (exact zeros off
 * its support) and, if support is not NULL, the indices of its nonzero
 * entries in increasing order to support[0..n-1].  Returns n, the size
 * of the support (>= 1).  in and out may be the same array.  The input
 * is not validated here (the trace reader does that); a row breaking
 * the conditions above gives an unspecified distribution, never a crash.
 * O(V) expected time plus O(m log m) for a top-p prefix of m entries. */
size_t sd_transform_row(const sd_sampling *s, const double *in, size_t V, int probs,
                        double *out, size_t *support, sd_transform_ws *ws);

#endif
