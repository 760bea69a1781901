/* sim_sd.h - literal Monte Carlo simulation of speculative decoding
 * (paper Algorithm 1, doc/theory.md §1), with lazy drafting.
 *
 * Each position: draft x ~ P(x_{t-1}, .) (Walker alias table), accept
 * with u < Q(x)/P(x), else draw from res(Q, P) (alias table) and count a
 * rejection.  Two deliberately wrong variants serve as negative controls
 * for the theorem checks.
 *
 * Speed (bench/): the alias tables are flattened into one array of
 * cells, and with the default generator (V <= SD_SIM_PACK_MAX_V) runs
 * advance side by side from SD_RNG_LANES xoshiro256** lanes seeded from
 * the chunk's stream, three uniforms per position, on the tables packed
 * as exact 53-bit integer thresholds, in a loop compiled for AVX-512 too
 * and chosen at run time.  Any other generator (--rng) or V draws
 * exactly as gsl_ran_discrete and gsl_rng_uniform would, run after run.
 * Either way the tallies depend only on (seed, chunk), not on threads
 * or CPU.
 */
#ifndef SD_SIM_SD_H
#define SD_SIM_SD_H

#include <stdint.h>

#include <gsl/gsl_randist.h>

#include "alias.h"
#include "error.h"
#include "mc.h"
#include "model.h"

typedef enum {
    SD_SIM_CORRECT = 0,      /* Algorithm SD as published */
    SD_SIM_RESAMPLE_Q,       /* wrong: on rejection draw from Q, not res(Q,P) */
    SD_SIM_ACCEPT_P_OVER_Q   /* wrong: accept with min(1, P/Q) */
} sd_sim_variant;

/* Parse "none" / "resample-q" / "accept-p-over-q"; -1 if unknown. */
int sd_sim_variant_parse(const char *name);
const char *sd_sim_variant_name(sd_sim_variant v);

/* Entry x of row (t, s) of the flattened tables: the GSL alias tables
 * (gsl_ran_discrete_t's F and A, Knuth convention) of the draft law and
 * of the rejection law (the identity table F = 1 in rows where no
 * rejection can happen), copied side by side so that a token costs no
 * pointer chase, and the acceptance threshold of draft token x. */
typedef struct {
    double dF;      /* draft alias table: F[x] */
    double ratio;   /* accept draft token x iff u < ratio */
    double rF;      /* rejection-law alias table: F[x] */
    uint32_t dA;    /* draft alias table: A[x] */
    uint32_t rA;    /* rejection-law alias table: A[x] */
} sd_sim_cell;

/* Precomputed sampling tables of a model (read-only once built). */
typedef struct {
    const sd_model *m;
    sd_sim_variant variant;
    size_t nrows;                 /* V (both chains stationary) or T*V */
    gsl_ran_discrete_t *start;    /* alias table of pi0 */
    gsl_ran_discrete_t **draft;   /* alias table of P row (t, s) */
    gsl_ran_discrete_t **resid;   /* alias table of the rejection law, or NULL if it cannot happen */
    double *ratio;                /* acceptance threshold of draft token x at row (t, s) */
    sd_sim_cell *cells;           /* nrows*V: the three above, flattened (64-byte aligned) */
    void *cells_mem;              /* the allocation behind cells */
    sd_sim_cell *start_cells;     /* V: the alias table of pi0 (dF, dA) */
    /* The same tables packed for the default generator's fast path, for
     * V <= SD_SIM_PACK_MAX_V (else NULL): three words per entry of row
     * (t, s) -- draft threshold | A << 54, acceptance threshold, rejection
     * law threshold | A << 54 -- where a threshold is ceil(F 2^53), so
     * that u = k 2^-53 < F iff the integer k is below it (exactly). */
    uint64_t *packed;             /* nrows*V*3 words, 64-byte aligned */
    void *pack_mem;               /* the allocation behind packed */
} sd_sim_sd;

/* Largest vocabulary of the packed tables (the index takes 10 bits). */
#define SD_SIM_PACK_MAX_V 1024

/* Build the tables for m (which must outlive them).  SD_ENOMEM on
 * failure, with everything released. */
sd_status sd_sim_sd_alloc(sd_sim_sd *s, const sd_model *m, sd_sim_variant v,
                          sd_error *err);
void sd_sim_sd_free(sd_sim_sd *s);

/* The sd_sim interface of these tables, for sd_mc_run. */
sd_sim sd_sim_sd_sim(const sd_sim_sd *s);

/* gsl_ran_discrete's draw (alias.h) for u in [0, 1) on the flattened
 * tables: the draft law of a row of cells (or of start_cells, the start
 * law), and the rejection law of a row. */
static inline size_t sd_sim_draft_draw(const sd_sim_cell *row, size_t V, double u)
{
    const size_t c = sd_alias_column(V, u);
    return sd_alias_pick(row[c].dF, row[c].dA, c, u);
}

static inline size_t sd_sim_resid_draw(const sd_sim_cell *row, size_t V, double u)
{
    const size_t c = sd_alias_column(V, u);
    return sd_alias_pick(row[c].rF, row[c].rA, c, u);
}

#endif
