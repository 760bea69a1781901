/* mc.h - the Monte Carlo engine: chunked, seeded, parallel runs.
 *
 * A simulation is any algorithm that, given a generator, runs the
 * decoding process n times and tallies the number of rejections of each
 * run and the output tokens at chosen positions.  sd_mc_run cuts the
 * runs into fixed chunks; chunk c draws only from stream (seed, c) of
 * sd_rng, and tallies are integers, so results are bit-identical for
 * any number of threads.  Chunks are spread over OpenMP threads, and,
 * given a team (sd_mc_team), over the processes of a job: each process
 * runs a contiguous block of chunks and the integer tallies are summed,
 * so the result is bit-identical for any number of processes as well.
 * The library knows nothing of MPI; the caller supplies the team's
 * collective operations (the command-line layer does it with MPI).
 */
#ifndef SD_MC_H
#define SD_MC_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "error.h"

#define SD_MC_CHUNK 1024 /* default runs per chunk */

/* Integer tallies of a set of runs. */
typedef struct {
    size_t T, V;          /* horizon and vocabulary */
    size_t npos;          /* number of tracked positions */
    const int *pos_index; /* pos_index[t] = i if position t is tracked as i, else -1 (t = 0..T) */
    uint64_t *hist;       /* hist[c] = runs with N_rej = c, c = 0..T */
    uint64_t *tokens;     /* tokens[i*V + x] = runs whose tracked token i was x */
} sd_tally;

/* Count the output token x at position t if t is tracked. */
static inline void sd_tally_token(sd_tally *tally, size_t t, size_t x)
{
    if (tally->pos_index[t] >= 0)
        tally->tokens[(size_t)tally->pos_index[t] * tally->V + x]++;
}

/* Tally a wave of n runs advanced side by side: their tokens s[0..n-1]
 * at position t (if tracked), or their rejection counts nrej[0..n-1]
 * when they end. */
static inline void sd_tally_wave_tokens(sd_tally *tally, size_t t, const size_t *s, size_t n)
{
    size_t j;
    if (tally->pos_index[t] >= 0) {
        uint64_t *tok = tally->tokens + (size_t)tally->pos_index[t] * tally->V;
        for (j = 0; j < n; j++)
            tok[s[j]]++;
    }
}

static inline void sd_tally_wave_end(sd_tally *tally, const size_t *nrej, size_t n)
{
    size_t j;
    for (j = 0; j < n; j++)
        tally->hist[nrej[j]]++;
}

/* Run-time dispatched simulation kernels.  SD_MC_KERNEL(name, body, Ctx)
 * defines static void name(const Ctx *c, gsl_rng *r, size_t n,
 * sd_tally *t) that calls body(c, r, n, t) (an SD_RNG_INLINE function)
 * compiled twice where GCC targets x86-64: for the build's target and
 * for AVX-512 (x86-64-v4, with gathers), the latter chosen when the CPU
 * has it (sd_mc_cpu_v4).  Both are the same IEEE operations in the same
 * order, so the tallies are bit-identical on any CPU.  Define
 * SD_SIM_NO_SIMD to build the first alone. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(SD_SIM_NO_SIMD)
int sd_mc_cpu_v4(void);
#define SD_MC_KERNEL(name, body, Ctx)                                                      \
    static void name##_base(const Ctx *c, gsl_rng *r, size_t n, sd_tally *t)               \
    {                                                                                      \
        body(c, r, n, t);                                                                  \
    }                                                                                      \
    __attribute__((target("arch=x86-64-v4,tune=icelake-server,prefer-vector-width=512")))  \
    static void name##_v4(const Ctx *c, gsl_rng *r, size_t n, sd_tally *t)                 \
    {                                                                                      \
        body(c, r, n, t);                                                                  \
    }                                                                                      \
    static void name(const Ctx *c, gsl_rng *r, size_t n, sd_tally *t)                      \
    {                                                                                      \
        (sd_mc_cpu_v4() ? name##_v4 : name##_base)(c, r, n, t);                            \
    }
#else
#define SD_MC_KERNEL(name, body, Ctx)                                                      \
    static void name(const Ctx *c, gsl_rng *r, size_t n, sd_tally *t)                      \
    {                                                                                      \
        body(c, r, n, t);                                                                  \
    }
#endif

/* A simulation: ctx is read-only and shared by all threads; each thread
 * gets its own workspace from ws_alloc (NULL ws_alloc: no workspace). */
typedef struct {
    const void *ctx;
    sd_status (*ws_alloc)(const void *ctx, void **ws, sd_error *err);
    void (*ws_free)(void *ws);
    /* Simulate nruns runs drawing from r, adding to tally. */
    sd_status (*run)(const void *ctx, void *ws, gsl_rng *r, size_t nruns,
                     sd_tally *tally, sd_error *err);
} sd_sim;

/* The processes one run is spread over, seen through the collective
 * operations the caller supplies.  Every process calls sd_mc_run with
 * the same configuration; process rank runs chunks
 * [rank*n/size, (rank+1)*n/size) of the n chunks.  The operations are
 * called only from the thread that called sd_mc_run. */
typedef struct {
    int rank, size;           /* this process, and how many there are (>= 1) */
    void *arg;                /* passed to the operations */
    /* Collective: combine every process's status rc and key (a digest of
     * the run it is about to make).  Returns SD_OK when all are SD_OK
     * with equal keys; else, on every process, the status of the
     * lowest-ranked failing process with its message in err (if not
     * NULL), or SD_EINVAL when the keys differ (the processes were given
     * different runs, and summing their tallies would mean nothing). */
    sd_status (*agree)(void *arg, sd_status rc, uint64_t key, sd_error *err);
    /* Collective: replace buf[0..n) by its element-wise sum over every
     * process (integers, so the order of the sum does not matter). */
    void (*sum)(void *arg, uint64_t *buf, size_t n);
    /* Progress: this process has finished mine of its chunks.  Rank 0
     * calls show(show_arg, d, total) with d the chunks finished by every
     * process as far as it knows; other ranks show nothing.  With
     * last != 0 (once per run, after this process's chunks, on every
     * process) rank 0 waits for the last report of every process. */
    void (*progress)(void *arg, size_t mine, int last, size_t total,
                     void (*show)(void *show_arg, size_t done, size_t total),
                     void *show_arg);
} sd_mc_team;

/* Monte Carlo settings: how to run (sd_mc_run) and the limits of the
 * checks made on the result (sd_mc_run ignores z_max and p_min). */
typedef struct {
    size_t runs;               /* number of runs (>= 1) */
    uint64_t seed;             /* master seed */
    int threads;               /* OpenMP threads (>= 1) */
    const gsl_rng_type *rng;   /* generator type, NULL = default */
    size_t chunk;              /* runs per chunk, 0 = SD_MC_CHUNK */
    size_t npos;               /* tracked positions ... */
    const size_t *pos;         /* ... ascending, in 1..T */
    uint64_t *chunk_sums;      /* optional: sum of N_rej of each chunk, in chunk order */
    uint64_t *chunk_sumsq;     /* optional: sum of N_rej^2 of each chunk, likewise */
    void (*progress)(void *arg, size_t done, size_t total); /* optional, thread 0 only */
    void *progress_arg;
    const sd_mc_team *team;    /* optional: spread the chunks over processes (NULL: one) */
    double z_max;              /* z-score limit of the checks (doc/theory.md §8: 4.5) */
    double p_min;              /* chi-square p-value limit of the checks (doc/theory.md §8: 1e-6) */
} sd_mc_config;

typedef struct {
    size_t runs, T, V, npos;
    size_t *pos;        /* copy of the tracked positions */
    uint64_t *hist;     /* T+1 counts of N_rej */
    uint64_t *tokens;   /* npos*V token counts */
    double mean;        /* sample mean of N_rej */
    double var;         /* sample variance (n-1 denominator) */
    double stderr_mean; /* sqrt(var / runs) */
    double m4;          /* sample fourth central moment (n denominator) */
} sd_mc_result;

/* Number of chunks cfg cuts its runs into. */
size_t sd_mc_nchunks(const sd_mc_config *cfg);

/* Run sim per cfg on a chain of horizon T and vocabulary V; fill *res
 * (free with sd_mc_result_free).  Returns the first error a chunk met.
 * With a team, every process must call it; each returns the same result
 * (and cfg->chunk_sums complete) or the same error, that of the
 * lowest-ranked process that failed; progress is reported on rank 0 only,
 * counting the chunks of every process. */
sd_status sd_mc_run(const sd_mc_config *cfg, size_t T, size_t V, const sd_sim *sim,
                    sd_mc_result *res, sd_error *err);

void sd_mc_result_free(sd_mc_result *res);

/* Sample mean, variance (n-1) and fourth central moment (n) of a
 * histogram hist[0..T] of n runs. */
void sd_mc_hist_moments(const uint64_t *hist, size_t T, double *mean, double *var,
                        double *m4);

#endif
