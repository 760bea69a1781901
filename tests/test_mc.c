/* test_mc.c - the Monte Carlo engine and the literal SD simulation. */
#include "testutil.h"

#include <pthread.h>

#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "exact.h"
#include "mc.h"
#include "model.h"
#include "rng.h"
#include "sim_sd.h"

/* Run the SD simulation of m; fails the test on an error. */
static void run_sd(const sd_model *m, size_t runs, uint64_t seed, int threads, size_t npos,
                   const size_t *pos, uint64_t *chunk_sums, sd_mc_result *res)
{
    sd_sim_sd S;
    sd_sim sim;
    sd_mc_config cfg;
    sd_error err;
    sd_error_clear(&err);
    assert_int_equal(sd_sim_sd_alloc(&S, m, SD_SIM_CORRECT, &err), SD_OK);
    sim = sd_sim_sd_sim(&S);
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = runs;
    cfg.seed = seed;
    cfg.threads = threads;
    cfg.npos = npos;
    cfg.pos = pos;
    cfg.chunk_sums = chunk_sums;
    if (sd_mc_run(&cfg, m->T, m->V, &sim, res, &err) != SD_OK)
        fail_msg("sd_mc_run: %s", err.msg);
    sd_sim_sd_free(&S);
}

static void test_threads_bit_identical(void **state)
{
    /* the same seed gives the same integer tallies on 1, 2 and 3 threads
     * (20000 runs = 20 chunks of 1024 and a short last one) */
    sd_model m;
    sd_error err;
    size_t pos[3] = {1, 6, 12}, k;
    sd_mc_result r[3];
    int th;
    (void)state;
    assert_int_equal(sd_model_random(&m, 5, 12, SD_FAMILY_PAPER, 1.0, 0, 3, &err), SD_OK);
    for (th = 1; th <= 3; th++)
        run_sd(&m, 20000, 99, th, 3, pos, NULL, &r[th - 1]);
    for (k = 1; k < 3; k++) {
        assert_int_equal(r[k].runs, 20000);
        assert_memory_equal(r[0].hist, r[k].hist, 13 * sizeof(uint64_t));
        assert_memory_equal(r[0].tokens, r[k].tokens, 3 * 5 * sizeof(uint64_t));
        assert_true(r[0].mean == r[k].mean);
        assert_true(r[0].var == r[k].var);
        assert_true(r[0].m4 == r[k].m4);
    }
    /* the tallies count every run once */
    {
        uint64_t n = 0, tok = 0;
        for (k = 0; k <= 12; k++)
            n += r[0].hist[k];
        assert_true(n == 20000);
        for (k = 0; k < 5; k++)
            tok += r[0].tokens[5 + k];
        assert_true(tok == 20000);
        assert_int_equal(r[0].npos, 3);
        assert_int_equal(r[0].pos[1], 6);
    }
    for (k = 0; k < 3; k++)
        sd_mc_result_free(&r[k]);
    sd_model_free(&m);
}

static void test_chunk_sums(void **state)
{
    /* chunk_sums add up to the total number of rejections, and are the
     * same on any number of threads */
    sd_model m;
    sd_error err;
    sd_mc_config cfg;
    uint64_t sums1[10], sums2[10], total = 0, hsum = 0;
    sd_mc_result a, b;
    size_t c;
    (void)state;
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = 9000;
    assert_int_equal(sd_mc_nchunks(&cfg), 9); /* 8 * 1024 + 808 */
    cfg.chunk = 1000;
    assert_int_equal(sd_mc_nchunks(&cfg), 9);
    cfg.runs = 9001;
    assert_int_equal(sd_mc_nchunks(&cfg), 10);
    assert_int_equal(sd_model_random(&m, 4, 9, SD_FAMILY_DIRICHLET, 0.5, 1, 8, &err), SD_OK);
    run_sd(&m, 9000, 5, 1, 0, NULL, sums1, &a);
    run_sd(&m, 9000, 5, 2, 0, NULL, sums2, &b);
    for (c = 0; c < 9; c++)
        total += sums1[c];
    for (c = 0; c <= 9; c++)
        hsum += a.hist[c] * c;
    assert_true(total == hsum);
    assert_memory_equal(sums1, sums2, 9 * sizeof(uint64_t));
    assert_close(a.mean, (double)total / 9000.0, 1e-15);
    sd_mc_result_free(&a);
    sd_mc_result_free(&b);
    sd_model_free(&m);
}

static void test_different_seed_differs(void **state)
{
    sd_model m;
    sd_error err;
    size_t pos[1] = {4};
    sd_mc_result a, b;
    (void)state;
    assert_int_equal(sd_model_random(&m, 5, 8, SD_FAMILY_PAPER, 1.0, 0, 1, &err), SD_OK);
    run_sd(&m, 5000, 1, 2, 1, pos, NULL, &a);
    run_sd(&m, 5000, 2, 2, 1, pos, NULL, &b);
    /* equal histograms of 5000 runs over 9 bins by chance: negligible */
    assert_memory_not_equal(a.hist, b.hist, 9 * sizeof(uint64_t));
    assert_memory_not_equal(a.tokens, b.tokens, 5 * sizeof(uint64_t));
    sd_mc_result_free(&a);
    sd_mc_result_free(&b);
    sd_model_free(&m);
}

/* A probe simulation: each run draws one 64-bit output and tallies
 * hist[x % (T+1)]; its tallies can be recomputed from the streams. */
static sd_status probe_run(const void *ctx, void *ws, gsl_rng *r, size_t nruns,
                           sd_tally *tally, sd_error *err)
{
    size_t n;
    (void)ctx;
    (void)ws;
    (void)err;
    for (n = 0; n < nruns; n++)
        tally->hist[gsl_rng_get(r) % (tally->T + 1)]++;
    return SD_OK;
}

static void test_chunk_streams(void **state)
{
    /* chunk c of the runs draws from stream (seed, c), chunks of cfg.chunk
     * runs and a short last one, whatever the thread count */
    sd_sim sim = {NULL, NULL, NULL, probe_run};
    sd_mc_config cfg;
    sd_mc_result res;
    sd_error err;
    uint64_t want[8] = {0};
    size_t c, n, runs = 3100, chunk = 300, T = 7; /* 10 full chunks and 1 of 100 */
    int th;
    (void)state;
    for (c = 0; c * chunk < runs; c++) {
        gsl_rng *r = sd_rng_stream_alloc(NULL, 1234, c);
        for (n = 0; n < chunk && c * chunk + n < runs; n++)
            want[gsl_rng_get(r) % (T + 1)]++;
        gsl_rng_free(r);
    }
    for (th = 1; th <= 3; th++) {
        memset(&cfg, 0, sizeof cfg);
        cfg.runs = runs;
        cfg.seed = 1234;
        cfg.threads = th;
        cfg.chunk = chunk;
        assert_int_equal(sd_mc_run(&cfg, T, 2, &sim, &res, &err), SD_OK);
        assert_memory_equal(res.hist, want, sizeof want);
        sd_mc_result_free(&res);
    }
}

static void test_mean_against_exact(void **state)
{
    /* Monte Carlo mean within 5 standard errors of the exact E[N_rej] on
     * three instances.  False-failure rate: P(|Z| > 5) = 5.7e-7 per
     * instance, 1.7e-6 in all (and the seeds are fixed, so a pass is a
     * pass for good). */
    static const struct {
        size_t V, T;
        int fam, stat;
        double alpha;
    } cases[3] = {{7, 20, 0, 0, 1.0}, {4, 10, 1, 0, 0.2}, {6, 15, 0, 1, 1.0}};
    size_t i;
    (void)state;
    for (i = 0; i < 3; i++) {
        sd_model m;
        sd_error err;
        sd_mc_result r;
        double E, z;
        assert_int_equal(sd_model_random(&m, cases[i].V, cases[i].T, (sd_family)cases[i].fam,
                                         cases[i].alpha, cases[i].stat, 40 + i, &err),
                         SD_OK);
        assert_int_equal(sd_exact_sd_mean(&m, &E, &err), SD_OK);
        run_sd(&m, 40000, 7 + i, 2, 0, NULL, NULL, &r);
        z = (r.mean - E) / r.stderr_mean;
        if (!(fabs(z) <= 5.0))
            fail_msg("case %zu: mean %.6f, exact %.6f, z = %.2f", i, r.mean, E, z);
        assert_close(r.stderr_mean, sqrt(r.var / 40000.0), 1e-15);
        sd_mc_result_free(&r);
        sd_model_free(&m);
    }
}

static void test_p_equals_q_never_rejects(void **state)
{
    sd_model m;
    sd_error err;
    sd_mc_result r;
    size_t pos[2] = {1, 10};
    (void)state;
    assert_int_equal(sd_model_random(&m, 6, 10, SD_FAMILY_DIRICHLET, 0.3, 0, 2, &err), SD_OK);
    memcpy(m.P, m.Q, 10 * 36 * sizeof(double));
    run_sd(&m, 10000, 3, 2, 2, pos, NULL, &r);
    assert_true(r.hist[0] == 10000);
    assert_true(r.mean == 0.0 && r.var == 0.0);
    sd_mc_result_free(&r);
    sd_model_free(&m);
}

static void test_disjoint_always_rejects(void **state)
{
    /* P puts all mass on state 0, Q never does: every token is rejected */
    sd_model m;
    sd_error err;
    sd_mc_result r;
    size_t s, x, V = 4, T = 9, pos[1] = {9};
    (void)state;
    assert_int_equal(sd_model_alloc(&m, V, T, 1, 1, &err), SD_OK);
    for (s = 0; s < V; s++)
        for (x = 0; x < V; x++) {
            m.P[s * V + x] = x == 0 ? 1.0 : 0.0;
            m.Q[s * V + x] = x == 0 ? 0.0 : (double)(x + s) / (double)(3 * s + 6);
        }
    run_sd(&m, 5000, 4, 2, 1, pos, NULL, &r);
    assert_true(r.hist[T] == 5000);
    assert_true(r.mean == (double)T);
    assert_true(r.tokens[0] == 0); /* state 0 is never emitted */
    sd_mc_result_free(&r);
    sd_model_free(&m);
}

static void test_vocab_one(void **state)
{
    sd_model m;
    sd_error err;
    sd_mc_result r;
    size_t pos[2] = {1, 5};
    (void)state;
    assert_int_equal(sd_model_random(&m, 1, 5, SD_FAMILY_PAPER, 1.0, 0, 1, &err), SD_OK);
    run_sd(&m, 3000, 1, 3, 2, pos, NULL, &r);
    assert_true(r.hist[0] == 3000);
    assert_true(r.tokens[0] == 3000 && r.tokens[1] == 3000);
    sd_mc_result_free(&r);
    sd_model_free(&m);
}

static void test_invalid_config(void **state)
{
    sd_sim sim = {NULL, NULL, NULL, probe_run};
    sd_mc_config cfg;
    sd_mc_result res;
    sd_error err;
    size_t unsorted[2] = {3, 2}, dup[2] = {2, 2}, zero[1] = {0}, big[1] = {6};
    (void)state;
    memset(&cfg, 0, sizeof cfg);
    cfg.threads = 1;
    cfg.runs = 0;
    assert_int_equal(sd_mc_run(&cfg, 5, 2, &sim, &res, &err), SD_EINVAL);
    assert_msg_has(err.msg, "runs");
    assert_null(res.hist);
    cfg.runs = 10;
    cfg.threads = 0;
    assert_int_equal(sd_mc_run(&cfg, 5, 2, &sim, &res, &err), SD_EINVAL);
    assert_msg_has(err.msg, "threads");
    cfg.threads = -3;
    assert_int_equal(sd_mc_run(&cfg, 5, 2, &sim, &res, &err), SD_EINVAL);
    cfg.threads = 1;
    cfg.npos = 2;
    cfg.pos = unsorted;
    assert_int_equal(sd_mc_run(&cfg, 5, 2, &sim, &res, &err), SD_EINVAL);
    assert_msg_has(err.msg, "ascending");
    cfg.pos = dup;
    assert_int_equal(sd_mc_run(&cfg, 5, 2, &sim, &res, &err), SD_EINVAL);
    cfg.npos = 1;
    cfg.pos = zero;
    assert_int_equal(sd_mc_run(&cfg, 5, 2, &sim, &res, &err), SD_EINVAL);
    cfg.pos = big;
    assert_int_equal(sd_mc_run(&cfg, 5, 2, &sim, &res, &err), SD_EINVAL);
    cfg.pos = big;
    assert_int_equal(sd_mc_run(&cfg, 6, 2, &sim, &res, &err), SD_OK); /* 6 is in 1..6 */
    sd_mc_result_free(&res);
}

/* A simulation with a workspace that fails in chunk `fail_chunk` (counted
 * by the number of calls, single-threaded). */
typedef struct {
    int calls;
    int fail_call;
} failing_ctx;

static sd_status failing_ws_alloc(const void *ctx, void **ws, sd_error *err)
{
    (void)ctx;
    *ws = sd_malloc(16, 1);
    return *ws ? SD_OK : sd_error_set(err, SD_ENOMEM, "workspace: out of memory");
}

static void failing_ws_free(void *ws)
{
    sd_free(ws);
}

static sd_status failing_run(const void *ctx, void *ws, gsl_rng *r, size_t nruns,
                             sd_tally *tally, sd_error *err)
{
    failing_ctx *f = (failing_ctx *)ctx;
    (void)ws;
    (void)r;
    tally->hist[0] += nruns;
    if (++f->calls == f->fail_call)
        return sd_error_set(err, SD_EINTERNAL, "chunk %d failed on purpose", f->calls);
    return SD_OK;
}

static void test_chunk_error_propagates(void **state)
{
    failing_ctx f = {0, 3};
    sd_sim sim = {&f, failing_ws_alloc, failing_ws_free, failing_run};
    sd_mc_config cfg;
    sd_mc_result res;
    sd_error err;
    (void)state;
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = 10;
    cfg.chunk = 2;
    cfg.threads = 1;
    sd_error_clear(&err);
    assert_int_equal(sd_mc_run(&cfg, 4, 2, &sim, &res, &err), SD_EINTERNAL);
    assert_msg_has(err.msg, "chunk 3 failed on purpose");
    assert_null(res.hist);
    assert_int_equal(f.calls, 3); /* later chunks are skipped */
    f.calls = 0;
    f.fail_call = 0;
    assert_int_equal(sd_mc_run(&cfg, 4, 2, &sim, &res, &err), SD_OK);
    assert_true(res.hist[0] == 10);
    sd_mc_result_free(&res);
}

/* ---- a team of processes, played by threads ----------------------------
 * An independent implementation of sd_mc_team (shared memory, barriers)
 * so that the engine's side of the MPI scale-out (blocks of chunks,
 * agreement on errors, sums) is tested without MPI, also under the
 * sanitizers.  cmocka's assertions are made on the main thread only. */
#define TEAM_MAX 5

typedef struct {
    int size;
    pthread_barrier_t bar;
    pthread_mutex_t mu;
    sd_status st[TEAM_MAX];
    uint64_t keys[TEAM_MAX];
    sd_error errs[TEAM_MAX];
    uint64_t *acc;        /* the running sum of one team_sum */
    int agrees;           /* agreements made (rank 0 counts) */
} team_shared;

typedef struct {
    team_shared *sh;
    sd_mc_team team;
    /* what this member runs */
    const sd_sim *sim;
    sd_mc_config cfg;
    size_t T, V;
    /* what it got */
    sd_status rc;
    sd_error err;
    sd_mc_result res;
} team_member;

static sd_status thr_agree(void *arg, sd_status rc, uint64_t key, sd_error *err)
{
    team_member *me = arg;
    team_shared *sh = me->sh;
    int r, first = -1, differ = 0;
    sh->st[me->team.rank] = rc;
    sh->keys[me->team.rank] = key;
    if (err != NULL)
        sh->errs[me->team.rank] = *err;
    else
        sd_error_clear(&sh->errs[me->team.rank]);
    pthread_barrier_wait(&sh->bar);
    for (r = sh->size - 1; r >= 0; r--)
        if (sh->st[r] != SD_OK)
            first = r;
    for (r = 1; r < sh->size; r++)
        differ |= sh->keys[r] != sh->keys[0];
    if (first >= 0 && err != NULL)
        *err = sh->errs[first];
    if (me->team.rank == 0)
        sh->agrees++;
    pthread_barrier_wait(&sh->bar); /* nobody writes the next round's status before all read */
    if (first >= 0)
        return sh->st[first];
    return differ ? sd_error_set(err, SD_EINVAL, "the processes were given different runs")
                  : SD_OK;
}

static void thr_sum(void *arg, uint64_t *buf, size_t n)
{
    team_member *me = arg;
    team_shared *sh = me->sh;
    size_t k;
    if (me->team.rank == 0)
        sh->acc = calloc(n, sizeof(uint64_t));
    pthread_barrier_wait(&sh->bar);
    pthread_mutex_lock(&sh->mu);
    for (k = 0; k < n; k++)
        sh->acc[k] += buf[k];
    pthread_mutex_unlock(&sh->mu);
    pthread_barrier_wait(&sh->bar);
    memcpy(buf, sh->acc, n * sizeof(uint64_t));
    pthread_barrier_wait(&sh->bar);
    if (me->team.rank == 0) {
        free(sh->acc);
        sh->acc = NULL;
    }
}

static void thr_progress(void *arg, size_t mine, int last, size_t total,
                         void (*show)(void *, size_t, size_t), void *show_arg)
{
    (void)arg;
    (void)mine;
    (void)last;
    (void)total;
    (void)show;
    (void)show_arg;
}

static void *thr_member(void *arg)
{
    team_member *me = arg;
    sd_error_clear(&me->err);
    me->rc = sd_mc_run(&me->cfg, me->T, me->V, me->sim, &me->res, &me->err);
    return NULL;
}

/* Run cfg on `size` members (member r runs sims[r]); results in m[]. */
static void run_team(int size, const sd_mc_config *cfg, size_t T, size_t V,
                     const sd_sim *const *sims, uint64_t *const *chunk_sums,
                     team_shared *sh, team_member *m)
{
    pthread_t th[TEAM_MAX];
    int r;
    memset(sh, 0, sizeof *sh);
    sh->size = size;
    assert_int_equal(pthread_barrier_init(&sh->bar, NULL, (unsigned)size), 0);
    assert_int_equal(pthread_mutex_init(&sh->mu, NULL), 0);
    for (r = 0; r < size; r++) {
        memset(&m[r], 0, sizeof m[r]);
        m[r].sh = sh;
        m[r].team.rank = r;
        m[r].team.size = size;
        m[r].team.arg = &m[r];
        m[r].team.agree = thr_agree;
        m[r].team.sum = thr_sum;
        m[r].team.progress = thr_progress;
        m[r].sim = sims[r];
        m[r].cfg = *cfg;
        m[r].cfg.team = &m[r].team;
        m[r].cfg.chunk_sums = chunk_sums != NULL ? chunk_sums[r] : NULL;
        m[r].T = T;
        m[r].V = V;
        assert_int_equal(pthread_create(&th[r], NULL, thr_member, &m[r]), 0);
    }
    for (r = 0; r < size; r++)
        pthread_join(th[r], NULL);
    pthread_barrier_destroy(&sh->bar);
    pthread_mutex_destroy(&sh->mu);
}

static void test_team_bit_identical(void **state)
{
    /* 1..5 processes (each on 1 or 2 threads) give every process the
     * tallies, moments and chunk sums of one process: 20000 runs are 20
     * chunks (uneven over 3), 3000 runs are 3 chunks (4 and 5 processes
     * leave some without a chunk) */
    sd_model m;
    sd_error err;
    sd_sim_sd S;
    sd_sim sim;
    const sd_sim *sims[TEAM_MAX];
    size_t pos[2] = {1, 9}, runs[2] = {20000, 3000}, nch, k;
    uint64_t sums1[20], sums[TEAM_MAX][20], *sp[TEAM_MAX];
    sd_mc_config cfg;
    sd_mc_result one;
    team_shared sh;
    team_member mem[TEAM_MAX];
    int K, r, i;
    (void)state;
    assert_int_equal(sd_model_random(&m, 4, 9, SD_FAMILY_PAPER, 1.0, 0, 5, &err), SD_OK);
    assert_int_equal(sd_sim_sd_alloc(&S, &m, SD_SIM_CORRECT, &err), SD_OK);
    sim = sd_sim_sd_sim(&S);
    for (r = 0; r < TEAM_MAX; r++) {
        sims[r] = &sim;
        sp[r] = sums[r];
    }
    for (i = 0; i < 2; i++) {
        nch = (runs[i] + SD_MC_CHUNK - 1) / SD_MC_CHUNK;
        run_sd(&m, runs[i], 77, 2, 2, pos, sums1, &one);
        for (K = 1; K <= TEAM_MAX; K++) {
            memset(&cfg, 0, sizeof cfg);
            cfg.runs = runs[i];
            cfg.seed = 77;
            cfg.threads = 1 + K % 2;
            cfg.npos = 2;
            cfg.pos = pos;
            memset(sums, 0xff, sizeof sums); /* stale values must be overwritten */
            run_team(K, &cfg, m.T, m.V, sims, sp, &sh, mem);
            for (r = 0; r < K; r++) {
                if (mem[r].rc != SD_OK)
                    fail_msg("%d processes, rank %d: %s", K, r, mem[r].err.msg);
                assert_memory_equal(mem[r].res.hist, one.hist, (m.T + 1) * sizeof(uint64_t));
                assert_memory_equal(mem[r].res.tokens, one.tokens, 2 * m.V * sizeof(uint64_t));
                assert_memory_equal(sums[r], sums1, nch * sizeof(uint64_t));
                assert_true(mem[r].res.mean == one.mean && mem[r].res.var == one.var &&
                            mem[r].res.m4 == one.m4);
                assert_int_equal(mem[r].res.runs, runs[i]);
                sd_mc_result_free(&mem[r].res);
            }
            assert_int_equal(sh.agrees, 2); /* before and after the chunks */
        }
        sd_mc_result_free(&one);
    }
    /* the one-process sums are themselves right: they add up to the total */
    {
        uint64_t tot = 0, want = 0;
        run_sd(&m, 3000, 77, 1, 0, NULL, sums1, &one);
        for (k = 0; k < 3; k++)
            tot += sums1[k];
        for (k = 0; k <= m.T; k++)
            want += one.hist[k] * k;
        assert_true(tot == want);
        sd_mc_result_free(&one);
    }
    sd_sim_sd_free(&S);
    sd_model_free(&m);
}

static sd_status nows_alloc(const void *ctx, void **ws, sd_error *err)
{
    (void)ctx;
    *ws = NULL;
    return sd_error_set(err, SD_ENOMEM, "no workspace here");
}

static sd_status counting_run(const void *ctx, void *ws, gsl_rng *r, size_t nruns,
                              sd_tally *tally, sd_error *err)
{
    failing_ctx *f = (failing_ctx *)ctx;
    (void)ws;
    (void)r;
    tally->hist[0] += nruns;
    if (f->fail_call != 0)
        return sd_error_set(err, SD_EINTERNAL, "a chunk failed on this process");
#pragma omp atomic
    f->calls++;
    return SD_OK;
}

static void test_team_errors_agreed(void **state)
{
    /* a failure on one process ends sd_mc_run on every process with that
     * process's status and message (the lowest-ranked one if several);
     * a workspace that cannot be made on one process, or processes given
     * different runs, stop every process before any chunk runs */
    failing_ctx ok = {0, 0}, bad = {0, 1};
    sd_sim good = {&ok, NULL, NULL, counting_run};
    sd_sim failing = {&bad, NULL, NULL, counting_run};
    sd_sim nows = {&ok, nows_alloc, NULL, counting_run};
    const sd_sim *sims[TEAM_MAX];
    sd_mc_config cfg;
    team_shared sh;
    team_member mem[TEAM_MAX];
    int r;
    (void)state;
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = 8 * 64;
    cfg.chunk = 64;
    cfg.threads = 1;

    /* rank 2 of 3 fails in its chunks */
    sims[0] = sims[1] = &good;
    sims[2] = &failing;
    run_team(3, &cfg, 4, 2, sims, NULL, &sh, mem);
    for (r = 0; r < 3; r++) {
        assert_int_equal(mem[r].rc, SD_EINTERNAL);
        assert_msg_has(mem[r].err.msg, "a chunk failed on this process");
        assert_null(mem[r].res.hist);
    }

    /* ranks 1 and 3 of 4 cannot make their workspace: rank 1's error, no chunk run */
    ok.calls = 0;
    sims[0] = sims[2] = &good;
    sims[1] = sims[3] = &nows;
    run_team(4, &cfg, 4, 2, sims, NULL, &sh, mem);
    for (r = 0; r < 4; r++) {
        assert_int_equal(mem[r].rc, SD_ENOMEM);
        assert_msg_has(mem[r].err.msg, "no workspace here");
    }
    assert_int_equal(ok.calls, 0);
    assert_int_equal(sh.agrees, 1);

    /* a bad configuration is refused alike everywhere */
    cfg.runs = 0;
    sims[1] = sims[3] = &good;
    run_team(2, &cfg, 4, 2, sims, NULL, &sh, mem);
    for (r = 0; r < 2; r++)
        assert_int_equal(mem[r].rc, SD_EINVAL);

    /* processes given different runs (here: a different number of
     * runs on rank 1) are stopped before any chunk, not summed */
    {
        team_member *mm = mem;
        pthread_t th[2];
        ok.calls = 0;
        memset(&sh, 0, sizeof sh);
        sh.size = 2;
        assert_int_equal(pthread_barrier_init(&sh.bar, NULL, 2), 0);
        assert_int_equal(pthread_mutex_init(&sh.mu, NULL), 0);
        for (r = 0; r < 2; r++) {
            memset(&mm[r], 0, sizeof mm[r]);
            mm[r].sh = &sh;
            mm[r].team = (sd_mc_team){r, 2, &mm[r], thr_agree, thr_sum, thr_progress};
            mm[r].sim = &good;
            mm[r].cfg = cfg;
            mm[r].cfg.runs = r == 0 ? 8 * 64 : 9 * 64;
            mm[r].cfg.team = &mm[r].team;
            mm[r].T = 4;
            mm[r].V = 2;
            assert_int_equal(pthread_create(&th[r], NULL, thr_member, &mm[r]), 0);
        }
        for (r = 0; r < 2; r++)
            pthread_join(th[r], NULL);
        pthread_barrier_destroy(&sh.bar);
        pthread_mutex_destroy(&sh.mu);
        for (r = 0; r < 2; r++) {
            assert_int_equal(mm[r].rc, SD_EINVAL);
            assert_msg_has(mm[r].err.msg, "different runs");
        }
        assert_int_equal(ok.calls, 0);
    }

    /* control: every process fine */
    cfg.runs = 8 * 64;
    ok.calls = 0;
    run_team(3, &cfg, 4, 2, sims, NULL, &sh, mem);
    for (r = 0; r < 3; r++) {
        assert_int_equal(mem[r].rc, SD_OK);
        assert_true(mem[r].res.hist[0] == 8 * 64);
        sd_mc_result_free(&mem[r].res);
    }
    assert_int_equal(ok.calls, 8); /* each chunk ran once, on one process */
}

static void test_alloc_failure(void **state)
{
    /* allocation n fails, n = 1, 2, ...: sd_sim_sd_alloc and sd_mc_run
     * (with a simulation workspace, and with the SD tables) return
     * SD_ENOMEM and free what they had (checked under ASan) */
    sd_model m;
    sd_error err;
    size_t pos[2] = {2, 5};
    unsigned long n;
    sd_status rc = SD_ENOMEM;
    sd_sim_sd S;
    int th;
    (void)state;
    assert_int_equal(sd_model_random(&m, 4, 5, SD_FAMILY_PAPER, 1.0, 0, 2, &err), SD_OK);
    for (n = 1; n < 1000 && rc != SD_OK; n++) {
        sd_alloc_fail_at(n, 0);
        rc = sd_sim_sd_alloc(&S, &m, SD_SIM_CORRECT, &err);
        sd_alloc_fail_at(0, 0);
        if (rc != SD_OK)
            assert_int_equal(rc, SD_ENOMEM);
    }
    assert_int_equal(rc, SD_OK);
    for (th = 1; th <= 2; th++) {
        sd_sim sim = sd_sim_sd_sim(&S);
        failing_ctx f = {0, 0};
        sd_sim wsim = {&f, failing_ws_alloc, failing_ws_free, failing_run};
        int which;
        for (which = 0; which < 2; which++) {
            unsigned long fails = 0;
            rc = SD_ENOMEM;
            for (n = 1; n < 1000 && rc != SD_OK; n++) {
                sd_mc_config cfg;
                sd_mc_result res;
                memset(&cfg, 0, sizeof cfg);
                cfg.runs = 3000;
                cfg.seed = 1;
                cfg.threads = th;
                cfg.npos = 2;
                cfg.pos = pos;
                sd_alloc_fail_at(n, 0);
                rc = sd_mc_run(&cfg, m.T, m.V, which ? &wsim : &sim, &res, &err);
                sd_alloc_fail_at(0, 0);
                if (rc != SD_OK) {
                    assert_int_equal(rc, SD_ENOMEM);
                    assert_null(res.hist);
                    fails++;
                } else {
                    sd_mc_result_free(&res);
                }
            }
            assert_int_equal(rc, SD_OK);
            assert_true(fails >= 5);
        }
    }
    sd_sim_sd_free(&S);
    sd_model_free(&m);
}

static void test_hist_moments(void **state)
{
    /* runs 0, 0, 2, 2, 2: mean 6/5, variance (2*1.44 + 3*0.64)/4 = 1.2,
     * fourth central moment (2*1.2^4 + 3*0.8^4)/5 = 1.0752 */
    uint64_t h[3] = {2, 0, 3};
    double mean, var, m4;
    (void)state;
    sd_mc_hist_moments(h, 2, &mean, &var, &m4);
    assert_close(mean, 1.2, 1e-15);
    assert_close(var, 1.2, 1e-15);
    assert_close(m4, 1.0752, 1e-15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_bit_identical),
        cmocka_unit_test(test_chunk_sums),
        cmocka_unit_test(test_different_seed_differs),
        cmocka_unit_test(test_chunk_streams),
        cmocka_unit_test(test_mean_against_exact),
        cmocka_unit_test(test_p_equals_q_never_rejects),
        cmocka_unit_test(test_disjoint_always_rejects),
        cmocka_unit_test(test_vocab_one),
        cmocka_unit_test(test_invalid_config),
        cmocka_unit_test(test_chunk_error_propagates),
        cmocka_unit_test(test_team_bit_identical),
        cmocka_unit_test(test_team_errors_agreed),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_hist_moments),
    };
    return cmocka_run_group_tests_name("mc", tests, NULL, NULL);
}
