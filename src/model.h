/* model.h - a draft/target pair of Markov chains on [V] with horizon T.
 *
 * Token t (t = 1..T) is drawn from K_t(x_{t-1}, .), the prompt state x_0
 * from the start law pi0.  Each of the two chains is either stationary
 * (one V x V kernel used at every t, never copied T times) or
 * nonstationary (T kernels).  See doc/theory.md §0.
 */
#ifndef SD_MODEL_H
#define SD_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "npy.h"

typedef struct {
    size_t V;          /* vocabulary size = number of states */
    size_t T;          /* horizon: number of generated tokens */
    size_t nP, nQ;     /* number of kernels stored: 1 (stationary) or T */
    double *P;         /* draft kernels, nP blocks of V*V, row-major */
    double *Q;         /* target kernels, nQ blocks of V*V */
    double *pi0;       /* start law of x_0, V entries */
    sd_array pstore;   /* storage behind P when loaded from a file */
    sd_array qstore;   /* storage behind Q when loaded from a file */
    int owns_pq;       /* P and Q were allocated by sd_model_alloc */
} sd_model;

/* Row s of the draft kernel used for token t (1 <= t <= T). */
static inline const double *sd_model_p(const sd_model *m, size_t t, size_t s)
{
    return m->P + (m->nP == 1 ? 0 : (t - 1) * m->V * m->V) + s * m->V;
}

/* Row s of the target kernel used for token t (1 <= t <= T). */
static inline const double *sd_model_q(const sd_model *m, size_t t, size_t s)
{
    return m->Q + (m->nQ == 1 ? 0 : (t - 1) * m->V * m->V) + s * m->V;
}

/* Both chains use one kernel for every t. */
static inline int sd_model_stationary(const sd_model *m)
{
    return m->nP == 1 && m->nQ == 1;
}

/* Tables built per row (t, s) of a model (sampling tables, thresholds,
 * verifiers) hold one row per state when both chains are stationary and
 * one per (t, s) otherwise: sd_model_nrows rows, (t, s) at index
 * sd_model_row = (t - 1) sd_model_row_step + s, and row i at position
 * sd_model_row_t(m, i), state i % V. */
static inline size_t sd_model_nrows(const sd_model *m)
{
    return sd_model_stationary(m) ? m->V : m->T * m->V;
}

static inline size_t sd_model_row_step(const sd_model *m)
{
    return sd_model_stationary(m) ? 0 : m->V;
}

static inline size_t sd_model_row(const sd_model *m, size_t t, size_t s)
{
    return sd_model_stationary(m) ? s : (t - 1) * m->V + s;
}

static inline size_t sd_model_row_t(const sd_model *m, size_t row)
{
    return sd_model_stationary(m) ? 1 : row / m->V + 1;
}

/* Allocate an uninitialised model: nP, nQ in {1, T}; pi0 set uniform.
 * Returns SD_EINVAL for V = 0, T = 0 or bad nP/nQ, SD_ERANGE when the
 * sizes overflow, SD_ENOMEM on allocation failure (nothing leaked). */
sd_status sd_model_alloc(sd_model *m, size_t V, size_t T, size_t nP,
                         size_t nQ, sd_error *err);

/* Release everything a model holds (safe on a zeroed model). */
void sd_model_free(sd_model *m);

/* Load draft and target kernels from .npy files.  Shapes (T,V,V), or
 * (V,V) with horizon > 0 giving T (horizon = 0 means "not given"; it is
 * then required when both files are (V,V) and must equal T for (T,V,V)
 * ones).  Draft and target may differ in shape: a (T,V,V) file beside a
 * (V,V) one (e.g. a nonstationary draft against a fixed target) uses the
 * stationary kernel at every t, with T from the other file.
 * start is "uniform", a state index, or a .npy file of shape (V,);
 * NULL means uniform.  Validates everything (sd_model_validate) and
 * renormalises rows within tolerance.  Errors name the file and the
 * position (t, s, x). */
sd_status sd_model_load(sd_model *m, const char *draft, const char *target,
                        size_t horizon, const char *start, sd_error *err);

/* Check that every kernel row and pi0 is a distribution: finite,
 * non-negative, summing to 1 within tol (1e-6 for float64 inputs, 1e-4
 * for float32), then renormalise rows exactly.  dname/qname name the
 * sources in messages.  Returns SD_EINVAL with position and value. */
sd_status sd_model_validate(sd_model *m, const char *dname, const char *qname,
                            double ptol, double qtol, sd_error *err);

/* Set pi0 from a start specification (see sd_model_load). */
sd_status sd_model_set_start(sd_model *m, const char *start, sd_error *err);

/* Random model families of doc/theory.md §5. */
typedef enum {
    SD_FAMILY_PAPER = 0,     /* rows of i.i.d. U(0,1) entries, normalised */
    SD_FAMILY_DIRICHLET = 1  /* rows ~ Dirichlet(alpha, ..., alpha) */
} sd_family;

/* Parse "paper" / "dirichlet"; returns -1 if unknown. */
int sd_family_parse(const char *name);
const char *sd_family_name(sd_family f);

/* Fill a new model with a random draft/target pair: draft kernels first,
 * then target kernels, rows drawn in order from the generator stream
 * (seed, 0) of sd_rng.  stationary != 0 stores one kernel each.
 * pi0 is uniform.  alpha > 0 is used by the Dirichlet family only. */
sd_status sd_model_random(sd_model *m, size_t V, size_t T, sd_family fam,
                          double alpha, int stationary, uint64_t seed,
                          sd_error *err);

/* Write draft and target kernels as float64 .npy files: shape (V,V) for a
 * stationary chain of T > 1 steps, (T,V,V) otherwise (so a horizon of 1
 * loads back without one being given).  Both are written to temporary
 * files first and renamed into place only when both are complete, so on
 * failure the two paths keep what they held before. */
sd_status sd_model_save(const sd_model *m, const char *draft_path,
                        const char *target_path, sd_error *err);

#endif
