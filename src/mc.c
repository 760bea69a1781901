/* mc.c - the Monte Carlo engine: chunked, seeded, parallel runs. */
#include "mc.h"

#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "rng.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(SD_SIM_NO_SIMD)
int sd_mc_cpu_v4(void)
{
    __builtin_cpu_init(); /* idempotent; needed if called before constructors ran */
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512cd");
}
#endif

size_t sd_mc_nchunks(const sd_mc_config *cfg)
{
    size_t chunk = cfg->chunk ? cfg->chunk : SD_MC_CHUNK;
    return (cfg->runs + chunk - 1) / chunk;
}

void sd_mc_hist_moments(const uint64_t *hist, size_t T, double *mean, double *var,
                        double *m4)
{
    double n = 0.0, s = 0.0, mu, s2 = 0.0, s4 = 0.0;
    size_t c;
    for (c = 0; c <= T; c++) {
        n += (double)hist[c];
        s += (double)hist[c] * (double)c;
    }
    mu = n > 0 ? s / n : 0.0;
    for (c = 0; c <= T; c++) {
        double d = (double)c - mu;
        s2 += (double)hist[c] * d * d;
        s4 += (double)hist[c] * d * d * d * d;
    }
    *mean = mu;
    *var = n > 1 ? s2 / (n - 1) : 0.0;
    *m4 = n > 0 ? s4 / n : 0.0;
}

void sd_mc_result_free(sd_mc_result *res)
{
    sd_free(res->hist);
    sd_free(res->tokens);
    sd_free(res->pos);
    memset(res, 0, sizeof *res);
}

/* One thread's private state. */
typedef struct {
    gsl_rng *r;
    void *ws;
    sd_tally tally;
} worker;

static void worker_free(worker *w, const sd_sim *sim)
{
    if (w->r != NULL)
        gsl_rng_free(w->r);
    if (w->ws != NULL && sim->ws_free != NULL)
        sim->ws_free(w->ws);
    sd_free(w->tally.hist);
    sd_free(w->tally.tokens);
}

static sd_status worker_init(worker *w, const sd_mc_config *cfg, const sd_sim *sim,
                             size_t T, size_t V, const int *pos_index, sd_error *err)
{
    memset(w, 0, sizeof *w);
    w->r = sd_rng_stream_alloc(cfg->rng, cfg->seed, 0);
    w->tally.T = T;
    w->tally.V = V;
    w->tally.npos = cfg->npos;
    w->tally.pos_index = pos_index;
    w->tally.hist = sd_calloc(T + 1, sizeof(uint64_t));
    w->tally.tokens = sd_calloc(cfg->npos * V + 1, sizeof(uint64_t));
    if (w->r == NULL || w->tally.hist == NULL || w->tally.tokens == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory for a Monte Carlo worker");
    if (sim->ws_alloc != NULL)
        return sim->ws_alloc(sim->ctx, &w->ws, err);
    return SD_OK;
}

static sd_status check_config(const sd_mc_config *cfg, size_t T, sd_error *err)
{
    size_t i;
    if (cfg->runs == 0)
        return sd_error_set(err, SD_EINVAL, "the number of runs must be at least 1");
    if (cfg->threads < 1)
        return sd_error_set(err, SD_EINVAL, "the number of threads must be at least 1");
    for (i = 0; i < cfg->npos; i++)
        if (cfg->pos[i] < 1 || cfg->pos[i] > T || (i > 0 && cfg->pos[i] <= cfg->pos[i - 1]))
            return sd_error_set(err, SD_EINVAL,
                                "tracked positions must be ascending in 1..%zu (got %zu)",
                                T, cfg->pos[i]);
    return SD_OK;
}

/* The block of chunks [*lo, *hi) that process rank of size runs. */
static void my_chunks(const sd_mc_team *team, size_t nchunks, size_t *lo, size_t *hi)
{
    if (team == NULL) {
        *lo = 0;
        *hi = nchunks;
        return;
    }
    /* nchunks * rank fits: nchunks <= runs and size is small */
    *lo = nchunks / (size_t)team->size * (size_t)team->rank +
          nchunks % (size_t)team->size * (size_t)team->rank / (size_t)team->size;
    *hi = nchunks / (size_t)team->size * (size_t)(team->rank + 1) +
          nchunks % (size_t)team->size * (size_t)(team->rank + 1) / (size_t)team->size;
}

/* A digest of the run cfg describes on a chain T x V: processes that
 * would sum tallies of different runs differ here. */
static uint64_t run_key(const sd_mc_config *cfg, size_t T, size_t V)
{
    uint64_t k = sd_rng_stream_key(cfg->seed, (uint64_t)cfg->runs);
    size_t i;
    k = sd_rng_stream_key(k, (uint64_t)(cfg->chunk ? cfg->chunk : SD_MC_CHUNK));
    k = sd_rng_stream_key(k, (uint64_t)T);
    k = sd_rng_stream_key(k, (uint64_t)V);
    k = sd_rng_stream_key(k, (uint64_t)cfg->npos * 2u + (cfg->chunk_sums != NULL));
    for (i = 0; i < cfg->npos; i++)
        k = sd_rng_stream_key(k, (uint64_t)cfg->pos[i]);
    if (cfg->rng != NULL)
        for (i = 0; cfg->rng->name[i] != '\0'; i++)
            k = sd_rng_stream_key(k, (uint64_t)(unsigned char)cfg->rng->name[i]);
    return k;
}

/* Progress of this process after one of its chunks (thread 0 only). */
static void report(const sd_mc_config *cfg, size_t done, size_t nchunks, int last)
{
    if (cfg->team != NULL)
        cfg->team->progress(cfg->team->arg, done, last, nchunks, cfg->progress,
                            cfg->progress_arg);
    else if (cfg->progress != NULL && !last)
        cfg->progress(cfg->progress_arg, done, nchunks);
}

/* Run chunks [lo, hi) on the workers; the first error a chunk met. */
static sd_status run_chunks(const sd_mc_config *cfg, const sd_sim *sim, worker *workers,
                            int nthreads, size_t T, size_t lo, size_t hi, size_t nchunks,
                            sd_error *err)
{
    size_t chunk = cfg->chunk ? cfg->chunk : SD_MC_CHUNK;
    size_t done = 0;
    sd_status first = SD_OK;
    sd_error first_err;

    sd_error_clear(&first_err);
#pragma omp parallel num_threads(nthreads)
    {
        int me = 0;
        long c;
#ifdef _OPENMP
        me = omp_get_thread_num();
#endif
        worker *w = &workers[me];
#pragma omp for schedule(dynamic, 1)
        for (c = (long)lo; c < (long)hi; c++) {
            size_t n = (size_t)c + 1 < nchunks ? chunk : cfg->runs - (size_t)c * chunk;
            sd_status crc;
            sd_error cerr;
            uint64_t before = 0, before2 = 0;
            size_t k;
            int stop;
#pragma omp atomic read
            stop = first;
            if (stop != SD_OK)
                continue;
            if (cfg->chunk_sums != NULL || cfg->chunk_sumsq != NULL)
                for (k = 0; k <= T; k++) {
                    before += w->tally.hist[k] * k;
                    before2 += w->tally.hist[k] * k * k;
                }
            gsl_rng_set(w->r, sd_rng_stream_key(cfg->seed, (uint64_t)c));
            crc = sim->run(sim->ctx, w->ws, w->r, n, &w->tally, &cerr);
            if (crc != SD_OK) {
#pragma omp critical(sd_mc_error)
                if (first == SD_OK) {
                    first = crc;
                    first_err = cerr;
                }
            }
            if (cfg->chunk_sums != NULL || cfg->chunk_sumsq != NULL) {
                uint64_t after = 0, after2 = 0;
                for (k = 0; k <= T; k++) {
                    after += w->tally.hist[k] * k;
                    after2 += w->tally.hist[k] * k * k;
                }
                if (cfg->chunk_sums != NULL)
                    cfg->chunk_sums[c] = after - before;
                if (cfg->chunk_sumsq != NULL)
                    cfg->chunk_sumsq[c] = after2 - before2;
            }
#pragma omp atomic
            done++;
            if (me == 0) {
                size_t d;
#pragma omp atomic read
                d = done;
                report(cfg, d, nchunks, 0);
            }
        }
    }
    report(cfg, done, nchunks, 1);
    if (first != SD_OK && err != NULL)
        *err = first_err;
    return first;
}

/* Add the workers' tallies into res and, with a team, sum res and the
 * chunk sums over the processes. */
static void reduce(const sd_mc_config *cfg, const worker *workers, int nthreads,
                   size_t T, size_t V, size_t lo, size_t hi, size_t nchunks,
                   sd_mc_result *res)
{
    const sd_mc_team *team = cfg->team;
    size_t i, k;
    for (i = 0; i < (size_t)nthreads; i++) {
        for (k = 0; k <= T; k++)
            res->hist[k] += workers[i].tally.hist[k];
        for (k = 0; k < cfg->npos * V; k++)
            res->tokens[k] += workers[i].tally.tokens[k];
    }
    if (team == NULL)
        return;
    team->sum(team->arg, res->hist, T + 1);
    if (cfg->npos > 0)
        team->sum(team->arg, res->tokens, cfg->npos * V);
    if (cfg->chunk_sums != NULL) {
        /* the other processes' chunks: zero here, their sums there */
        for (k = 0; k < nchunks; k++)
            if (k < lo || k >= hi)
                cfg->chunk_sums[k] = 0;
        team->sum(team->arg, cfg->chunk_sums, nchunks);
    }
    if (cfg->chunk_sumsq != NULL) {
        for (k = 0; k < nchunks; k++)
            if (k < lo || k >= hi)
                cfg->chunk_sumsq[k] = 0;
        team->sum(team->arg, cfg->chunk_sumsq, nchunks);
    }
}

sd_status sd_mc_run(const sd_mc_config *cfg, size_t T, size_t V, const sd_sim *sim,
                    sd_mc_result *res, sd_error *err)
{
    const sd_mc_team *team = cfg->team;
    size_t nchunks = 0, lo = 0, hi = 0, i;
    int nthreads = 1, *pos_index = NULL;
    worker *workers = NULL;
    sd_status rc;
    uint64_t key;

    memset(res, 0, sizeof *res);
    rc = check_config(cfg, T, err);
    key = rc == SD_OK ? run_key(cfg, T, V) : 0;
    if (rc == SD_OK) {
        nchunks = sd_mc_nchunks(cfg);
        my_chunks(team, nchunks, &lo, &hi);
        nthreads = cfg->threads;
        if ((size_t)nthreads > hi - lo)
            nthreads = hi > lo ? (int)(hi - lo) : 1;
        pos_index = sd_malloc(T + 1, sizeof(int));
        workers = sd_calloc((size_t)nthreads, sizeof(worker));
        res->hist = sd_calloc(T + 1, sizeof(uint64_t));
        res->tokens = sd_calloc(cfg->npos * V + 1, sizeof(uint64_t));
        res->pos = sd_malloc(cfg->npos + 1, sizeof(size_t));
        if (!pos_index || !workers || !res->hist || !res->tokens || !res->pos)
            rc = sd_error_set(err, SD_ENOMEM, "out of memory for Monte Carlo tallies");
    }
    if (rc == SD_OK) {
        for (i = 0; i <= T; i++)
            pos_index[i] = -1;
        for (i = 0; i < cfg->npos; i++) {
            pos_index[cfg->pos[i]] = (int)i;
            res->pos[i] = cfg->pos[i];
        }
        for (i = 0; i < (size_t)nthreads && rc == SD_OK; i++)
            rc = worker_init(&workers[i], cfg, sim, T, V, pos_index, err);
    }
    /* every process starts the chunks, or none does */
    if (team != NULL)
        rc = team->agree(team->arg, rc, key, err);
    if (rc != SD_OK)
        goto done;
    rc = run_chunks(cfg, sim, workers, nthreads, T, lo, hi, nchunks, err);
    if (team != NULL)
        rc = team->agree(team->arg, rc, key, err);
    if (rc != SD_OK)
        goto done;
    reduce(cfg, workers, nthreads, T, V, lo, hi, nchunks, res);
    res->runs = cfg->runs;
    res->T = T;
    res->V = V;
    res->npos = cfg->npos;
    sd_mc_hist_moments(res->hist, T, &res->mean, &res->var, &res->m4);
    res->stderr_mean = sqrt(res->var / (double)res->runs);
    if (cfg->progress != NULL && (team == NULL || team->rank == 0))
        cfg->progress(cfg->progress_arg, nchunks, nchunks);
done:
    if (workers != NULL)
        for (i = 0; i < (size_t)nthreads; i++)
            worker_free(&workers[i], sim);
    sd_free(workers);
    sd_free(pos_index);
    if (rc != SD_OK)
        sd_mc_result_free(res);
    return rc;
}
