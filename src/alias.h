/* alias.h - Walker's alias method: GSL's tables, one draw.
 *
 * The simulators build their alias tables with GSL
 * (gsl_ran_discrete_preproc, Knuth's convention) and either draw with
 * gsl_ran_discrete itself or, on their fast paths, copy each table's F
 * and A into flat cells and draw with sd_alias_pick on a uniform u they
 * supply (so that a draw costs no call and no pointer chase, and the
 * order in which uniforms are consumed is the caller's).  For the same u
 * both give the same token:
 *
 *   gsl_ran_discrete(r, g): u = gsl_rng_uniform(r), c = floor(u K),
 *   return c if F[c] == 1 or u < F[c], else A[c].
 *
 * The F[c] == 1 test is redundant for u in [0, 1): F[c] <= 1, and F[c] = 1
 * makes u < F[c] true.  sd_alias_pick therefore tests u < F[c] alone; it
 * must only be given u in [0, 1) (gsl_rng_uniform, sd_rng_u01).
 */
#ifndef SD_ALIAS_H
#define SD_ALIAS_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_randist.h>

/* One column of a flattened alias table. */
typedef struct {
    double F;   /* gsl_ran_discrete_t's F[c] (Knuth's convention) */
    size_t A;   /* gsl_ran_discrete_t's A[c] */
} sd_alias_cell;

/* Build GSL's alias table of a nonnegative vector w of V entries (it
 * need not sum to 1).  NULL on allocation failure or if w sums to 0.
 * Free with gsl_ran_discrete_free. */
gsl_ran_discrete_t *sd_alias_alloc(const double *w, size_t V);

/* Free an array of n tables of sd_alias_alloc (NULL entries are
 * skipped) and the array itself (sd_malloc'd; NULL is a no-op). */
void sd_alias_free_array(gsl_ran_discrete_t **g, size_t n);

/* Copy the V columns of g into cells[0..V-1]; g = NULL gives the
 * identity table (F = 1, A = c: every column returns itself). */
void sd_alias_flatten(const gsl_ran_discrete_t *g, sd_alias_cell *cells, size_t V);

/* Build the alias table of w and flatten it into cells[0..V-1].  Returns
 * 0 on allocation failure or if w sums to 0, else 1. */
int sd_alias_build(const double *w, size_t V, sd_alias_cell *cells);

/* The column of a table of V columns that u in [0, 1) selects: floor(u V),
 * clamped to V - 1 against a product that rounds up to V. */
static inline size_t sd_alias_column(size_t V, double u)
{
    size_t c = (size_t)(u * (double)V);
    return c < V ? c : V - 1;
}

/* The token of column c with F = F[c], A = A[c] for u in [0, 1): the draw
 * of gsl_ran_discrete (see above), written as a select, not a branch. */
static inline size_t sd_alias_pick(double F, size_t A, size_t c, double u)
{
    return u < F ? c : A;
}

/* The token gsl_ran_discrete would return for u in [0, 1) on the
 * flattened table cells[0..V-1]. */
static inline size_t sd_alias_draw(const sd_alias_cell *cells, size_t V, double u)
{
    const size_t c = sd_alias_column(V, u);
    return sd_alias_pick(cells[c].F, cells[c].A, c, u);
}

#endif
