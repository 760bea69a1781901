/* mc.c - the Monte Carlo engine: chunked, seeded, parallel runs. */
#include "mc.h"

#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "rng.h"

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

sd_status sd_mc_run(const sd_mc_config *cfg, size_t T, size_t V, const sd_sim *sim,
                    sd_mc_result *res, sd_error *err)
{
    size_t chunk = cfg->chunk ? cfg->chunk : SD_MC_CHUNK;
    size_t nchunks, i, done = 0;
    int nthreads = cfg->threads, *pos_index = NULL;
    worker *workers = NULL;
    sd_status rc, first = SD_OK;
    sd_error first_err;

    memset(res, 0, sizeof *res);
    sd_error_clear(&first_err);
    rc = check_config(cfg, T, err);
    if (rc != SD_OK)
        return rc;
    nchunks = sd_mc_nchunks(cfg);
    if ((size_t)nthreads > nchunks)
        nthreads = (int)nchunks;
    pos_index = sd_malloc(T + 1, sizeof(int));
    workers = sd_calloc((size_t)nthreads, sizeof(worker));
    res->hist = sd_calloc(T + 1, sizeof(uint64_t));
    res->tokens = sd_calloc(cfg->npos * V + 1, sizeof(uint64_t));
    res->pos = sd_malloc(cfg->npos + 1, sizeof(size_t));
    if (!pos_index || !workers || !res->hist || !res->tokens || !res->pos) {
        rc = sd_error_set(err, SD_ENOMEM, "out of memory for Monte Carlo tallies");
        goto done;
    }
    for (i = 0; i <= T; i++)
        pos_index[i] = -1;
    for (i = 0; i < cfg->npos; i++) {
        pos_index[cfg->pos[i]] = (int)i;
        res->pos[i] = cfg->pos[i];
    }
    for (i = 0; i < (size_t)nthreads; i++) {
        rc = worker_init(&workers[i], cfg, sim, T, V, pos_index, err);
        if (rc != SD_OK)
            goto done;
    }

#pragma omp parallel num_threads(nthreads)
    {
        int me = 0;
        long c;
#ifdef _OPENMP
        me = omp_get_thread_num();
#endif
        worker *w = &workers[me];
#pragma omp for schedule(dynamic, 1)
        for (c = 0; c < (long)nchunks; c++) {
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
            if (me == 0 && cfg->progress != NULL) {
                size_t d;
#pragma omp atomic read
                d = done;
                cfg->progress(cfg->progress_arg, d, nchunks);
            }
        }
    }
    if (first != SD_OK) {
        rc = first;
        if (err != NULL)
            *err = first_err;
        goto done;
    }
    for (i = 0; i < (size_t)nthreads; i++) {
        size_t k;
        for (k = 0; k <= T; k++)
            res->hist[k] += workers[i].tally.hist[k];
        for (k = 0; k < cfg->npos * V; k++)
            res->tokens[k] += workers[i].tally.tokens[k];
    }
    res->runs = cfg->runs;
    res->T = T;
    res->V = V;
    res->npos = cfg->npos;
    sd_mc_hist_moments(res->hist, T, &res->mean, &res->var, &res->m4);
    res->stderr_mean = sqrt(res->var / (double)res->runs);
    if (cfg->progress != NULL)
        cfg->progress(cfg->progress_arg, nchunks, nchunks);
    rc = SD_OK;
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
