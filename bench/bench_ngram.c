/* bench_ngram - next-word rows of the CMU English trigram model per
 * second (src/ngram.c), against sphinxbase's own per-word lookups in the
 * same run (the baseline: a full row by V calls of ngram_tg_score).
 * Rates are per second of CPU time of the one thread (per core).
 *
 * Contexts: the histories of target-sampled sequences (seeded), so the
 * listed-successor counts are those the experiment meets.  Measured, on
 * one thread, best of --reps:
 *   dense    a full renormalised row (sparse build + O(V) expansion)
 *   expand   the O(V) expansion alone (row already built)
 *   pair     the O(listed) comparison of the trigram and bigram rows
 *   lookups  sphinxbase's V per-word lookups for one row (baseline)
 * Prints one line per measurement: rows/s and the ratio to the baseline.
 * Usage: bench_ngram [MODEL] [--reps R] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/ngram_model.h>

#include "ngram.h"
#include "rng.h"

#define NCTX 256

/* CPU time of this (single-threaded) process: rows per second per core,
 * unaffected by other jobs taking turns on the cores. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* What the timed passes use. */
typedef struct {
    const sd_ngram *m;
    sd_ngram_row q, p;
    sd_ngram_pair pr;
    double *out, sink;
    uint32_t (*ctx)[2];
    ngram_model_t *nm;
} bench_state;

enum { DENSE, EXPAND, PAIR, LOOKUPS, NKIND };

/* One pass of a measurement; returns the rows (or pairs) it made. */
static int one_pass(bench_state *b, int kind, int n)
{
    const sd_ngram *m = b->m;
    sd_error e;
    size_t w;
    int32 used;
    int i;
    if (kind == LOOKUPS) { /* one row by V lookups */
        for (w = 0; w < m->V; w++)
            b->sink += ngram_tg_score(b->nm, (int32)w, (int32)b->ctx[n % NCTX][1],
                                      (int32)b->ctx[n % NCTX][0], &used);
        return 1;
    }
    for (i = 0; i < NCTX; i++) {
        if (kind != EXPAND)
            sd_ngram_row_build(m, 3, b->ctx[i], 2, &b->q, &e);
        if (kind == PAIR) {
            sd_ngram_row_build(m, 2, b->ctx[i], 2, &b->p, &e);
            sd_ngram_compare(m, &b->p, &b->q, &b->pr);
            b->sink += b->pr.tv;
        } else {
            sd_ngram_row_dense(m, &b->q, b->out);
            b->sink += b->out[i];
        }
    }
    return NCTX;
}

/* Rows per CPU second of one measurement, over at least a second. */
static double rate(bench_state *b, int kind)
{
    int n = 0;
    double t0 = now(), dt;
    sd_error e;
    if (kind == EXPAND) /* the row is built once */
        sd_ngram_row_build(b->m, 3, b->ctx[0], 2, &b->q, &e);
    do
        n += one_pass(b, kind, n);
    while ((dt = now() - t0) < 1.0);
    return n / dt;
}

int main(int argc, char **argv)
{
    const char *path = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin";
    int reps = 3, r, i;
    sd_ngram *m;
    sd_error e;
    sd_ngram_row q, p;
    sd_ngram_pair pr;
    uint32_t ctx[NCTX][2];
    double *out, best[NKIND] = {0, 0, 0, 0}, sink = 0.0, listed = 0.0;
    gsl_rng *rng;
    logmath_t *lm;
    ngram_model_t *nm;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else
            path = argv[i];
    }
    if (reps < 1 || sd_ngram_load(path, 0, &m, &e) != SD_OK) {
        fprintf(stderr, "bench_ngram: %s\n", reps < 1 ? "--reps must be >= 1" : e.msg);
        return 2;
    }
    out = malloc(m->V * sizeof(double));
    rng = sd_rng_stream_alloc(NULL, 20241101u, 0);
    if (!out || !rng || sd_ngram_row_alloc(m, &q, &e) || sd_ngram_row_alloc(m, &p, &e) ||
        sd_ngram_pair_alloc(m, &pr, &e)) {
        fprintf(stderr, "bench_ngram: out of memory\n");
        return 3;
    }
    { /* contexts along target-sampled sequences of 16 words */
        uint32_t h[2] = {(uint32_t)m->bos, (uint32_t)m->bos};
        size_t len = 1;
        for (i = 0; i < NCTX; i++) {
            uint32_t hh[2];
            size_t x;
            hh[0] = h[0];
            hh[1] = h[1];
            sd_ngram_row_build(m, 3, len == 1 ? hh + 1 : hh, len == 1 ? 1 : 2, &q, &e);
            sd_ngram_row_build(m, 2, hh, 2, &p, &e);
            sd_ngram_compare(m, &p, &q, &pr);
            x = sd_ngram_pair_draw(m, &pr, pr.q, rng);
            ctx[i][0] = len == 1 ? (uint32_t)m->bos : h[0];
            ctx[i][1] = h[1];
            listed += (double)q.n;
            if (x == m->eos || i % 16 == 15) {
                h[0] = h[1] = (uint32_t)m->bos;
                len = 1;
            } else {
                h[0] = h[1];
                h[1] = (uint32_t)x;
                len++;
            }
        }
    }
    /* the baseline: sphinxbase, one lookup per word, a few rows */
    err_set_logfp(NULL);
    lm = logmath_init(SD_NGRAM_LOGBASE, 0, 0);
    nm = ngram_model_read(NULL, path, NGRAM_AUTO, lm);
    if (!nm) {
        fprintf(stderr, "bench_ngram: sphinxbase cannot read %s\n", path);
        return 2;
    }
    {
        bench_state bs = {m, q, p, pr, out, 0.0, ctx, nm};
        int k;
        for (r = 0; r < reps; r++)
            for (k = 0; k < NKIND; k++) {
                double x = rate(&bs, k);
                if (x > best[k])
                    best[k] = x;
            }
        sink = bs.sink;
    }
    printf("# bench_ngram: %s, V = %zu, %d contexts along target-sampled sequences "
           "(mean %.0f listed successors), one thread, per CPU second, best of %d\n",
           path, m->V, NCTX, listed / NCTX, reps);
    printf("full renormalised rows (build + O(V))  %10.0f rows/s   %8.0fx sphinxbase lookups  "
           "(target >= 10000: %s)\n", best[0], best[0] / best[3], best[0] >= 10000 ? "met" : "MISSED");
    printf("O(V) expansion alone                   %10.0f rows/s   %8.0fx\n", best[1],
           best[1] / best[3]);
    printf("O(listed) pair comparison (TV)         %10.0f pairs/s  %8.0fx\n", best[2],
           best[2] / best[3]);
    printf("sphinxbase per-word lookups (baseline) %10.2f rows/s\n", best[3]);
    if (sink == 42.0)
        printf("#\n");
    ngram_model_free(nm);
    logmath_free(lm);
    sd_ngram_row_free(&q);
    sd_ngram_row_free(&p);
    sd_ngram_pair_free(&pr);
    sd_ngram_free(m);
    gsl_rng_free(rng);
    free(out);
    return 0;
}
