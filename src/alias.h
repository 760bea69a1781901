/* alias.h - GSL's Walker alias draw on flattened tables.
 *
 * gsl_ran_discrete(r, g) draws u = gsl_rng_uniform(r), takes column
 * c = floor(u K) and returns c if F[c] = 1 or u < F[c], else A[c] (F in
 * Knuth's convention).  The simulations copy F and A of each table into
 * one array of cells, so a draw costs no call and no pointer chase, and
 * draw exactly what gsl_ran_discrete would from the same u.
 */
#ifndef SD_ALIAS_H
#define SD_ALIAS_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_randist.h>

/* One column of a flattened alias table. */
typedef struct {
    double F;   /* gsl_ran_discrete_t's F[c] */
    size_t A;   /* gsl_ran_discrete_t's A[c] */
} sd_alias_cell;

/* Copy the K = V columns of g into cells[0..V-1]. */
static inline void sd_alias_flatten(const gsl_ran_discrete_t *g, sd_alias_cell *cells)
{
    size_t c;
    for (c = 0; c < g->K; c++) {
        cells[c].F = g->F[c];
        cells[c].A = g->A[c];
    }
}

/* The token gsl_ran_discrete would return for uniform u in [0,1). */
static inline size_t sd_alias_draw(const sd_alias_cell *cells, size_t V, double u)
{
    size_t c = (size_t)(u * (double)V);
    if (c >= V)
        c = V - 1;
    const double F = cells[c].F;
    const size_t A = cells[c].A;
    return ((u < F) | (F == 1.0)) ? c : A; /* a select, not a branch */
}

#endif
