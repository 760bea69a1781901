/* token_instances.h - seeded random token pairs (p, q) for the
 * multi-draft tests (test_kseq, test_ersd, test_otbound), covering the
 * edge cases of doc/design.md Tests: zeros in rows, p = q, disjoint
 * supports, one-hot rows, V = 1. */
#ifndef SD_TOKEN_INSTANCES_H
#define SD_TOKEN_INSTANCES_H

#include <math.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "step.h"

enum { TI_UNIFORM, TI_ZEROS, TI_EQUAL, TI_DISJOINT, TI_ONEHOT, TI_SKEWED, TI_NKINDS };

static inline void ti_normalise(double *w, size_t V)
{
    sd_normalise(w, V);
}

/* A random row: i.i.d. U(0,1) entries normalised (the paper family),
 * each entry zeroed with probability zero_prob (keeping one entry). */
static inline void ti_row(gsl_rng *r, double *w, size_t V, double zero_prob)
{
    size_t x, keep = gsl_rng_uniform_int(r, V);
    for (x = 0; x < V; x++) {
        w[x] = gsl_rng_uniform_pos(r);
        if (x != keep && gsl_rng_uniform(r) < zero_prob)
            w[x] = 0.0;
    }
    ti_normalise(w, V);
}

/* Fill p, q (V entries each) with an instance of the given kind
 * (kind % TI_NKINDS).  Disjoint supports need V >= 2 (else uniform). */
static inline void ti_pair(gsl_rng *r, size_t V, int kind, double *p, double *q)
{
    size_t x, cut;
    switch (kind % TI_NKINDS) {
    case TI_ZEROS:
        ti_row(r, p, V, 0.4);
        ti_row(r, q, V, 0.4);
        break;
    case TI_EQUAL:
        ti_row(r, p, V, 0.0);
        for (x = 0; x < V; x++)
            q[x] = p[x];
        break;
    case TI_DISJOINT:
        if (V < 2) {
            ti_row(r, p, V, 0.0);
            ti_row(r, q, V, 0.0);
            break;
        }
        cut = 1 + gsl_rng_uniform_int(r, V - 1);
        for (x = 0; x < V; x++) {
            p[x] = x < cut ? gsl_rng_uniform_pos(r) : 0.0;
            q[x] = x < cut ? 0.0 : gsl_rng_uniform_pos(r);
        }
        ti_normalise(p, V);
        ti_normalise(q, V);
        break;
    case TI_ONEHOT:
        ti_row(r, p, V, 0.0);
        for (x = 0; x < V; x++)
            q[x] = 0.0;
        q[gsl_rng_uniform_int(r, V)] = 1.0;
        break;
    case TI_SKEWED:
        for (x = 0; x < V; x++) {
            p[x] = pow(gsl_rng_uniform_pos(r), 4.0);
            q[x] = pow(gsl_rng_uniform_pos(r), 4.0);
        }
        ti_normalise(p, V);
        ti_normalise(q, V);
        break;
    default:
        ti_row(r, p, V, 0.0);
        ti_row(r, q, V, 0.0);
        break;
    }
}

#endif
