/* alias.c - building Walker alias tables with GSL (alias.h). */
#include "alias.h"

#include "alloc.h"
#include "error.h"

gsl_ran_discrete_t *sd_alias_alloc(const double *w, size_t V)
{
    double sum = 0.0;
    size_t x;
    for (x = 0; x < V; x++)
        sum += w[x];
    if (!(sum > 0.0))
        return NULL;
    sd_gsl_quiet();
    return gsl_ran_discrete_preproc(V, w);
}

void sd_alias_free_array(gsl_ran_discrete_t **g, size_t n)
{
    size_t i;
    for (i = 0; g != NULL && i < n; i++)
        if (g[i] != NULL)
            gsl_ran_discrete_free(g[i]);
    sd_free(g);
}

void sd_alias_flatten(const gsl_ran_discrete_t *g, sd_alias_cell *cells, size_t V)
{
    size_t c;
    for (c = 0; c < V; c++) {
        cells[c].F = g != NULL ? g->F[c] : 1.0;
        cells[c].A = g != NULL ? g->A[c] : c;
    }
}

int sd_alias_build(const double *w, size_t V, sd_alias_cell *cells)
{
    gsl_ran_discrete_t *g = sd_alias_alloc(w, V);
    if (g == NULL)
        return 0;
    sd_alias_flatten(g, cells, V);
    gsl_ran_discrete_free(g);
    return 1;
}
