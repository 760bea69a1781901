/* ngram - speculative decoding on a real language-model pair: CMU's
 * English back-off trigram model (target) against the bigram and the
 * unigram models of the same file (drafts); doc/theory.md, "A real
 * language-model pair".
 *
 * 1. Trace: B sequences of at most N words sampled from the target (start
 *    context <s>, stop at </s>).  At every position the draft and target
 *    rows are compared on the union of their listed words (O(listed)) by
 *    the trace statistics of trace.h (TV, the rejection probability r_t
 *    of the emitted word, RRS / K-SEQ / alpha*_k acceptance for k drafts,
 *    the batch-SD rejection at a round start), pushed to one streaming
 *    accumulator per draft and sequence (sum TV, sum r_t, the
 *    Poisson-binomial law of the rejections, expected calls, rejections
 *    and draft steps on the path for each draft length gamma, round-start
 *    RRS drafting to the end); besides, over-acceptance b_eps with OPT
 *    and UNO, block verification on the path (block.h) and round-start
 *    RRS without replacement with k drafts (k = 2: sd_ngram_wor2_reject;
 *    k >= 3 on small vocabularies only: rrswor.h's walk), through a second
 *    accumulator's round-start recursion.
 * 2. Literal speculative decoding on the live models: token-level SD
 *    (gamma = 1..G and drafting to the end), block verification
 *    (gamma = 1..G), RRS with k drafts and RRS without replacement with k
 *    drafts at the round starts (drafting to the end), and a negative
 *    control (every draft accepted without the test: biased, must be
 *    caught).  Its means are checked against the trace predictions by
 *    z-tests, and its output words against the target rows in three
 *    layers (first word against the row after <s>; randomised PIT of
 *    every word).
 * 3. Writes the report (table/JSON, every check), the figure data (with
 *    --data-dir) and a small trace as NPY for `specdec trace` (with
 *    --trace-out).  Exit 0 when every check holds, 1 when one fails. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_statistics_double.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "block.h"
#include "check.h"
#include "prog.h"
#include "ngram.h"
#include "npy.h"
#include "rng.h"
#include "rrs.h"
#include "rrswor.h"
#include "step.h"
#include "trace.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif
#ifndef NGRAM_DEFAULT_MODEL
#define NGRAM_DEFAULT_MODEL "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"
#endif

#define ND 2            /* drafts: bigram, unigram */
#define MAX_G 16
#define MAX_EPS 8
#define MAX_COST 8
#define MAX_K 8
#define HIST_BINS 50
#define PIT_BINS 20
/* RRS without replacement with k >= 3 drafts is predicted by rrswor.h's
 * walk over the rejection paths on the support of the rows, about n^k
 * operations per position for n words of positive unigram probability:
 * only k with n^k within this limit are run (tiny or --vocab-limit models;
 * k = 2 has its O(V) form and always runs). */
#define WOR_WALK_MAX 1e6
static const int draft_order[ND] = {2, 1};
static const char *const draft_name[ND] = {"bigram", "unigram"};

typedef struct {
    const char *model;
    size_t B, N, vocab, G, K, trace_seq;
    size_t wor_k; /* RRS without replacement for k = 2..wor_k (set after loading) */
    double cost[MAX_COST], eps[MAX_EPS];
    size_t ncost, neps;
    const char *data_dir, *trace_out;
} params;

static void help(void)
{
    printf("Usage: ngram [--model FILE] [--sequences B] [--length N] [--runs R] [options]\n"
           "Speculative decoding on a real language-model pair: CMU's English back-off\n"
           "trigram model (target) against its bigram and unigram models (drafts).\n"
           "Samples B sequences of at most N words from the target (start <s>, stop at\n"
           "</s>) and computes on them, streaming, the trace quantities (sum of TV with\n"
           "its standard error, r_t, the Poisson-binomial law of rejections, calls, tokens\n"
           "per call and speed-up on the path for every draft length, Leviathan's form,\n"
           "multi-draft acceptance: RRS, K-SEQ, alpha*_k, over-acceptance OPT/UNO, block\n"
           "verification and round-start RRS with and without replacement on the path);\n"
           "then runs speculative decoding literally on the live models (SD with gamma =\n"
           "1..G and to the end, block verification, RRS with k drafts and without\n"
           "replacement at round starts, a negative control) R times per setting and\n"
           "checks every mean against the trace prediction\n"
           "(|z| <= Z) and the output words against the target rows (three layers).\n"
           "Exit 0 when every check holds, 1 when one fails, 2 on bad input.\n\n"
           "  --model FILE         the model (default %s;\n"
           "                       sphinxbase's trie binary, or ARPA text)\n"
           "  --sequences B        trace sequences (default 300)\n"
           "  --length N           words per sequence at most (default 30, at most %d)\n"
           "  --vocab-limit K      keep the K most probable words (and </s>) only\n"
           "  --gamma-max G        draft lengths 1..G (default 8, at most %d)\n"
           "  --cost LIST          draft/target cost ratios c (default 0.02,0.1)\n"
           "  --eps LIST           over-acceptance values (default 0.1,0.2,0.4,0.8)\n"
           "  --drafts-max K       multi-draft bounds and RRS for k = 2..K (default 4, at\n"
           "                       most %d); RRS without replacement for k = 2, and for\n"
           "                       k >= 3 where n^k <= %g (n: words of positive\n"
           "                       probability; e.g. with --vocab-limit 30)\n"
           "  --data-dir DIR       write the figure data ngram-*.dat / .tsv there\n"
           "  --trace-out DIR      write a small trace (draft.npy, target.npy: (S, N, V)\n"
           "                       float64 probabilities; tokens.npy: (S, N) int64, -1 after\n"
           "                       the end) for `specdec trace --probs`\n"
           "  --trace-sequences S  sequences in that trace (default 1)\n\n",
           NGRAM_DEFAULT_MODEL, SD_TRACE_MAX_GAMMA, MAX_G, MAX_K, WOR_WALK_MAX);
}

/* ---- per-thread workspace ------------------------------------------------ */

typedef struct {
    sd_ngram_row q, p[ND];
    sd_ngram_pair pr[ND];
    sd_ngram_pair *blk;     /* [G] pairs along a drafted block */
    sd_ngram_row bq, bp;    /* rows along a block */
    double *resid;          /* (K+1) (V+1): RRS residuals on compressed items */
    double *tvs, *lw;       /* K; V+1 */
    sd_trace_pos_ws *tpw;   /* position statistics on compressed pairs (V+1, K) */
    uint32_t *hist;         /* N + 2 */
    double *px[ND], *qx[ND], *bstart; /* N each: the path's token probabilities; N + 1 */
    double *dp, *dq;        /* V each: dense rows (RRS without replacement) */
    sd_rrs_wor_ws *wor;     /* its literal verifier and exact walk, K drafts */
    sd_step step;           /* the walk's step law, V entries */
    size_t *starts;         /* N + 1 round starts */
    size_t nblk;
} work;

static void work_free(work *w)
{
    size_t i;
    sd_ngram_row_free(&w->q);
    sd_ngram_row_free(&w->bq);
    sd_ngram_row_free(&w->bp);
    for (i = 0; i < ND; i++) {
        sd_ngram_row_free(&w->p[i]);
        sd_ngram_pair_free(&w->pr[i]);
    }
    for (i = 0; w->blk && i < w->nblk; i++)
        sd_ngram_pair_free(&w->blk[i]);
    sd_free(w->blk);
    sd_free(w->resid);
    sd_free(w->tvs);
    sd_free(w->lw);
    sd_trace_pos_ws_free(w->tpw);
    sd_free(w->hist);
    sd_free(w->px[0]);
    sd_free(w->dp);
    sd_rrs_wor_ws_free(w->wor);
    sd_step_free(&w->step);
    sd_free(w->starts);
    memset(w, 0, sizeof *w);
}

static sd_status work_alloc(work *w, const sd_ngram *m, const params *P, sd_error *err)
{
    size_t i, V1 = m->V + 1;
    memset(w, 0, sizeof *w);
    if (sd_ngram_row_alloc(m, &w->q, err) || sd_ngram_row_alloc(m, &w->bq, err) ||
        sd_ngram_row_alloc(m, &w->bp, err))
        goto fail;
    for (i = 0; i < ND; i++)
        if (sd_ngram_row_alloc(m, &w->p[i], err) || sd_ngram_pair_alloc(m, &w->pr[i], err))
            goto fail;
    w->blk = sd_calloc(P->G + 1, sizeof *w->blk);
    if (!w->blk)
        goto nomem;
    w->nblk = P->G + 1;
    for (i = 0; i < w->nblk; i++)
        if (sd_ngram_pair_alloc(m, &w->blk[i], err))
            goto fail;
    w->resid = sd_malloc((P->K + 1) * V1, sizeof(double));
    w->tvs = sd_malloc(P->K + 1, sizeof(double));
    w->lw = sd_malloc(V1, sizeof(double));
    w->tpw = sd_trace_pos_ws_alloc(V1, P->K);
    w->hist = sd_malloc(P->N + 2, sizeof(uint32_t));
    if ((w->px[0] = sd_malloc((2 * ND + 1) * P->N + 1, sizeof(double))) != NULL) {
        for (i = 0; i < ND; i++) {
            w->px[i] = w->px[0] + 2 * i * P->N;
            w->qx[i] = w->px[i] + P->N;
        }
        w->bstart = w->px[0] + 2 * ND * P->N;
    }
    if ((w->dp = sd_malloc(2 * m->V, sizeof(double))) != NULL)
        w->dq = w->dp + m->V;
    w->wor = sd_rrs_wor_ws_alloc(m->V, P->K);
    if (sd_step_alloc(&w->step, m->V, err) != SD_OK)
        goto fail;
    w->starts = sd_malloc(P->N + 1, sizeof(size_t));
    if (!w->resid || !w->tvs || !w->lw || !w->tpw || !w->hist || !w->px[0] || !w->dp ||
        !w->wor || !w->starts)
        goto nomem;
    return SD_OK;
nomem:
    sd_error_set(err, SD_ENOMEM, "out of memory (workspace)");
fail:
    work_free(w);
    return err ? err->code : SD_ENOMEM;
}

/* The row of draft d after hist[0..len-1] (and first the target's, when
 * with_q), and their compressed pair. */
static sd_status pair_at(const sd_ngram *m, const uint32_t *hist, size_t len, int d,
                         sd_ngram_row *q, sd_ngram_row *p, sd_ngram_pair *pr, int with_q,
                         sd_error *err)
{
    sd_status st;
    if ((with_q && (st = sd_ngram_row_build(m, 3, hist, len, q, err)) != SD_OK) ||
        (st = sd_ngram_row_build(m, draft_order[d], hist, len, p, err)) != SD_OK)
        return st;
    sd_ngram_compare(m, p, q, pr);
    return SD_OK;
}

/* ---- the trace ------------------------------------------------------------ */

/* What one trace sequence contributes.  The per-gamma arrays have G+1
 * entries: gamma = 1..G, and [0] = drafting to the end.  The path
 * quantities come from the trace accumulator (trace.h), one per draft
 * and sequence. */
typedef struct {
    size_t T;
    double tv[ND], r[ND];
    double calls[ND][MAX_G + 1], rej[ND][MAX_G + 1], steps[ND][MAX_G + 1];
    double batch_rej[ND][MAX_K + 1]; /* round-start RRS with k drafts, drafting to the end */
    sd_block_path_row block[ND][MAX_G + 1]; /* block verification, gamma = 1..G */
    double wor_rej[ND][MAX_K + 1]; /* round-start RRS without replacement, k drafts, to the end */
    double surprisal[3];   /* sum of -log q(x_t), its mean and variance under x_t ~ q_t */
    /* sums over positions */
    double acc_rrs[ND][MAX_K + 1], acc_kseq[ND][MAX_K + 1], acc_opt[ND][MAX_K + 1];
    double ea_rej[ND][MAX_EPS], ea_opt[ND][MAX_EPS], ea_uno[ND][MAX_EPS];
    unsigned hist[ND][HIST_BINS];
} seq_stats;

/* The accumulator options of one sequence: gamma = N (to the end: no
 * sequence is longer) and 1..G, K drafts, the law of N_rej kept. */
static void trace_opts(const params *P, sd_trace_opts *o)
{
    size_t g;
    sd_trace_opts_default(o);
    o->K = P->K;
    o->ngamma = P->G + 1;
    o->gamma[0] = P->N;
    for (g = 1; g <= P->G; g++)
        o->gamma[g] = g;
    o->pmf_max = P->N;
}

/* Copy the accumulated path quantities of draft d into S (and the law of
 * N_rej into pmf, T + 1 entries). */
static void take_result(const sd_trace_result *res, size_t G, size_t K, int d, seq_stats *S,
                        double *pmf)
{
    const double T = (double)res->positions;
    size_t g, k;
    S->tv[d] = res->tv_sum;
    S->r[d] = res->r_sum;
    for (g = 0; g <= G; g++) {
        S->calls[d][g] = res->rows[g].calls;
        S->rej[d][g] = res->rows[g].rejections;
        S->steps[d][g] = res->rows[g].draft_steps;
    }
    for (k = 1; k <= K; k++) {
        S->batch_rej[d][k] = res->md[k - 1].batch_rejections;
        S->acc_rrs[d][k] = res->md[k - 1].rrs * T;
        S->acc_kseq[d][k] = res->md[k - 1].kseq * T;
        S->acc_opt[d][k] = res->md[k - 1].optimal * T;
    }
    memcpy(pmf, res->pmf, res->pmf_len * sizeof(double));
    if (d == 0) { /* the target's words, on the first draft's compressed rows */
        S->surprisal[0] = res->surprisal;
        S->surprisal[1] = res->surprisal_mean;
        S->surprisal[2] = res->surprisal_var;
    }
}

/* RRS without replacement with k = 3..wor_k drafts at a round start:
 * P(every draft rejected, x) / Q(x) into pos->batch[k-1], from rrswor.h's
 * walk on the dense rows of draft d and the target restricted to their
 * support (the words of positive probability). */
static sd_status wor_walk(const sd_ngram *m, const params *P, work *w, int d, size_t x,
                          sd_trace_pos *pos, sd_error *err)
{
    size_t i, n = 0, xi = 0, k;
    sd_status st;
    sd_ngram_row_dense(m, &w->p[d], w->dp);
    sd_ngram_row_dense(m, &w->q, w->dq);
    for (i = 0; i < m->V; i++)
        if (w->dp[i] > 0.0 || w->dq[i] > 0.0 || i == x) {
            if (i == x)
                xi = n;
            w->dp[n] = w->dp[i];
            w->dq[n++] = w->dq[i];
        }
    for (k = 3; k <= P->wor_k; k++) {
        if ((st = sd_rrs_wor_step(w->dp, w->dq, n, k, w->wor, &w->step, err)) != SD_OK)
            return st;
        pos->batch[k - 1] = w->dq[xi] > 0.0 ? w->step.rej * w->step.res[xi] / w->dq[xi] : 0.0;
    }
    return SD_OK;
}

/* One target sequence: stream `b` of the seed.  At every position the
 * statistics of trace.h are computed on the compressed pair (the union
 * of the listed words and the rest block: every quantity used here is
 * homogeneous on the rest, so the block acts as one entry) and pushed to
 * the sequence's accumulator of each draft. */
static sd_status trace_one(const sd_ngram *m, const params *P, work *w, gsl_rng *rng,
                           seq_stats *S, double *const *pmf, uint32_t *tokens, sd_error *err)
{
    size_t len = 1, t, d, e, g;
    sd_trace_opts o, ow;
    sd_trace_stats *acc[ND] = {NULL, NULL}, *accw[ND] = {NULL, NULL};
    sd_trace_result res;
    sd_status st = SD_OK;
    memset(S, 0, sizeof *S);
    trace_opts(P, &o);
    /* RRS without replacement: the accumulator's round-start recursion
     * with the rule's rejection probability given the word (its k = 2
     * slot), nothing else */
    sd_trace_opts_default(&ow);
    ow.K = P->wor_k;
    ow.ngamma = 0;
    ow.pmf_max = 0;
    for (d = 0; d < ND && st == SD_OK; d++)
        if ((st = sd_trace_stats_alloc(&acc[d], &o, err)) == SD_OK &&
            (st = sd_trace_stats_begin(acc[d], err)) == SD_OK &&
            (st = sd_trace_stats_alloc(&accw[d], &ow, err)) == SD_OK)
            st = sd_trace_stats_begin(accw[d], err);
    w->hist[0] = (uint32_t)m->bos;
    for (t = 0; t < P->N && st == SD_OK; t++) {
        size_t x;
        if ((st = sd_ngram_row_build(m, 3, w->hist, len, &w->q, err)) != SD_OK)
            break;
        for (d = 0; d < ND && st == SD_OK; d++)
            st = pair_at(m, w->hist, len, (int)d, &w->q, &w->p[d], &w->pr[d], 0, err);
        if (st != SD_OK)
            break;
        x = sd_ngram_pair_draw(m, &w->pr[0], w->pr[0].q, rng);
        for (d = 0; d < ND && st == SD_OK; d++) {
            const sd_ngram_pair *pr = &w->pr[d];
            sd_trace_pos pos;
            size_t bin;
            if ((st = sd_trace_pos_compute(pr->p, pr->q, pr->n + 1, sd_ngram_pair_index(pr, x),
                                           P->K, w->tpw, &pos, err)) != SD_OK ||
                (st = sd_trace_stats_push(acc[d], &pos, err)) != SD_OK)
                break;
            pos.batch[1] = sd_ngram_wor2_reject(m, pr, x);
            if ((P->wor_k > 2 && (st = wor_walk(m, P, w, (int)d, x, &pos, err)) != SD_OK) ||
                (st = sd_trace_stats_push(accw[d], &pos, err)) != SD_OK)
                break;
            sd_ngram_pair_word(m, pr, x, &w->px[d][t], &w->qx[d][t]);
            bin = (size_t)((1.0 - pr->tv) * HIST_BINS);
            S->hist[d][bin >= HIST_BINS ? HIST_BINS - 1 : bin]++;
            for (e = 0; e < P->neps; e++) {
                double rj, lo, lu;
                sd_ngram_overaccept(m, pr, P->eps[e], &rj, &lo, &lu);
                S->ea_rej[d][e] += rj;
                S->ea_opt[d][e] += lo;
                S->ea_uno[d][e] += lu;
            }
        }
        if (tokens)
            tokens[t] = (uint32_t)x;
        w->hist[len++] = (uint32_t)x;
        if (x == m->eos)
            break;
    }
    S->T = len - 1;
    for (d = 0; d < ND && st == SD_OK; d++)
        if ((st = sd_trace_stats_end(acc[d], err)) == SD_OK &&
            (st = sd_trace_stats_result(acc[d], &res, err)) == SD_OK)
            take_result(&res, P->G, P->K, (int)d, S, pmf[d]);
    for (d = 0; d < ND && st == SD_OK; d++)
        if ((st = sd_trace_stats_end(accw[d], err)) == SD_OK &&
            (st = sd_trace_stats_result(accw[d], &res, err)) == SD_OK)
            for (e = 2; e <= P->wor_k; e++)
                S->wor_rej[d][e] = res.md[e - 1].batch_rejections;
    for (d = 0; d < ND && st == SD_OK; d++)
        for (g = 1; g <= P->G && st == SD_OK; g++)
            st = sd_block_path(w->px[d], w->qx[d], S->T, g, w->bstart, &S->block[d][g], err);
    for (d = 0; d < ND; d++) {
        sd_trace_stats_free(acc[d]);
        sd_trace_stats_free(accw[d]);
    }
    return st;
}

/* ---- literal speculative decoding ---------------------------------------- */

typedef enum { ALG_SD = 0, ALG_BLOCK, ALG_RRS, ALG_CONTROL, ALG_WOR, NALG } alg_t;
static const char *const alg_name[NALG] = {"sd", "block", "rrs", "control", "rrs-wor"};

typedef struct {
    double T, calls, rej, steps, acc; /* acc: drafts accepted (block verification) */
} run_result;

typedef struct {
    uint64_t *first;     /* [V] first words */
    uint64_t pit[PIT_BINS];
} law_counts;

/* The randomised PIT of word x under the target row q: F(x-1) + U q(x). */
static double pit_of(const sd_ngram *m, const double *cum1, const sd_ngram_row *q, size_t x,
                     double u)
{
    double below = 0.0, p1b = 0.0, qx;
    size_t i;
    for (i = 0; i < q->n && q->w[i] < x; i++) {
        below += q->val[i];
        p1b += m->p1[q->w[i]];
    }
    qx = (i < q->n && q->w[i] == x) ? q->val[i] : q->a * m->p1[x];
    below += q->a * (cum1[x] - p1b);
    return (below + u * qx) / q->z;
}

typedef struct {
    const sd_ngram *m;
    const double *cum1;
    work *w;
    law_counts *lc;
    gsl_rng *rng;
    size_t N;
    size_t len;       /* history length (1 + words emitted) */
    int ended;
} runner;

static void emit(runner *R, const sd_ngram_row *q, size_t x)
{
    size_t b = (size_t)(pit_of(R->m, R->cum1, q, x, gsl_rng_uniform(R->rng)) * PIT_BINS);
    R->lc->pit[b >= PIT_BINS ? PIT_BINS - 1 : b]++;
    if (R->len == 1)
        R->lc->first[x]++;
    R->w->hist[R->len++] = (uint32_t)x;
    if (x == R->m->eos || R->len - 1 >= R->N)
        R->ended = 1;
}

/* One round of token-level SD (k = 1) or of round-start RRS (k > 1) with
 * draft length g; control != 0 accepts every draft without the test (the
 * negative control: its output has the draft's law).  *rejected = 1 if
 * the round ended in a rejection. */
static sd_status round_token(runner *R, alg_t alg, int d, size_t g, size_t k, int *rejected,
                             sd_error *err)
{
    const int control = alg == ALG_CONTROL;
    work *w = R->w;
    sd_ngram_pair *pr = &w->pr[d];
    size_t j, i, n1;
    sd_status st;
    *rejected = 0;
    for (j = 0; j < g && !R->ended; j++) {
        size_t x, ix;
        int acc = 0;
        if ((st = pair_at(R->m, w->hist, R->len, d, &w->q, &w->p[d], pr, 1, err)) != SD_OK)
            return st;
        n1 = pr->n + 1;
        if (j == 0 && k > 1 && alg == ALG_WOR) { /* on the dense rows, rrswor.h */
            size_t trial;
            sd_ngram_row_dense(R->m, &w->p[d], w->dp);
            sd_ngram_row_dense(R->m, &w->q, w->dq);
            acc = sd_rrs_wor_verify(w->dp, w->dq, R->m->V, k, R->rng, w->wor, &x, &trial);
            emit(R, &w->q, x);
            if (!acc) {
                *rejected = 1;
                return SD_OK;
            }
            continue;
        }
        if (j == 0 && k > 1) {
            size_t mm;
            sd_rrs_residuals(pr->p, pr->q, n1, k, w->resid, w->tvs);
            for (mm = 1; mm <= k && !acc; mm++) {
                x = sd_ngram_pair_draw(R->m, pr, pr->p, R->rng);
                ix = sd_ngram_pair_index(pr, x);
                if (gsl_rng_uniform(R->rng) * pr->p[ix] < w->resid[(mm - 1) * n1 + ix]) {
                    acc = 1;
                    emit(R, &w->q, x);
                }
            }
            if (!acc) {
                x = sd_ngram_pair_draw(R->m, pr, w->resid + k * n1, R->rng);
                emit(R, &w->q, x);
                *rejected = 1;
                return SD_OK;
            }
            continue;
        }
        x = sd_ngram_pair_draw(R->m, pr, pr->p, R->rng);
        ix = sd_ngram_pair_index(pr, x);
        if (control || gsl_rng_uniform(R->rng) * pr->p[ix] < pr->q[ix]) {
            emit(R, &w->q, x);
            continue;
        }
        for (i = 0; i < n1; i++)
            w->lw[i] = fmax(pr->q[i] - pr->p[i], 0.0);
        x = sd_ngram_pair_draw(R->m, pr, w->lw, R->rng);
        emit(R, &w->q, x);
        *rejected = 1;
        return SD_OK;
    }
    if (!R->ended) { /* all g accepted: the bonus word from the target */
        if ((st = pair_at(R->m, w->hist, R->len, d, &w->q, &w->p[d], pr, 1, err)) != SD_OK)
            return st;
        emit(R, &w->q, sd_ngram_pair_draw(R->m, pr, pr->q, R->rng));
    }
    return SD_OK;
}

/* One round of block verification (Sun et al., ICLR 2025) with draft
 * length g: drafts X_1..X_h (h <= g; drafting stops at </s> or the
 * length cap, after which both laws are the end: then no bonus), the
 * weights p_i, the residual masses rho_i and the last passing index. */
static sd_status round_block(runner *R, int d, size_t g, int *rejected, size_t *accepted,
                             sd_error *err)
{
    work *w = R->w;
    const sd_ngram *m = R->m;
    size_t h = 0, i, tau, len0 = R->len, x, ix, n1;
    double pw[MAX_G + 1], hh[MAX_G + 1];
    int stop = 0;
    sd_status st;
    *rejected = 0;
    pw[0] = 1.0;
    /* draft autoregressively; pair i (0-based) is at the prefix + X_1..X_i */
    while (h < g && !stop) {
        sd_ngram_pair *pr = &w->blk[h];
        if ((st = pair_at(m, w->hist, len0 + h, d, &w->bq, &w->bp, pr, 1, err)) != SD_OK)
            return st;
        x = sd_ngram_pair_draw(m, pr, pr->p, R->rng);
        ix = sd_ngram_pair_index(pr, x);
        pw[h + 1] = fmin(pw[h] * pr->q[ix] / pr->p[ix], 1.0);
        w->hist[len0 + h] = (uint32_t)x;
        h++;
        if (x == m->eos || len0 - 1 + h >= R->N)
            stop = 1;
    }
    if (!stop) { /* the pair after the whole block (bonus / last residual) */
        if ((st = pair_at(m, w->hist, len0 + h, d, &w->bq, &w->bp, &w->blk[h], 1, err)) != SD_OK)
            return st;
    }
    hh[0] = 1.0;
    for (i = 1; i <= h; i++) {
        if (i == h) {
            hh[i] = pw[i];
        } else {
            const sd_ngram_pair *nx = &w->blk[i];
            double rho = 0.0, den;
            size_t y;
            for (y = 0; y <= nx->n; y++)
                rho += fmax(pw[i] * nx->q[y] - nx->p[y], 0.0);
            den = rho + 1.0 - pw[i];
            hh[i] = den > 0.0 ? rho / den : 1.0;
        }
    }
    tau = 0;
    for (i = 0; i <= h; i++)
        if (gsl_rng_uniform(R->rng) < hh[i] || i == 0)
            tau = i;
    *accepted = tau;
    /* emit X_1..X_tau (the target rows at their prefixes for the law checks) */
    for (i = 0; i < tau; i++) {
        x = w->hist[len0 + i];
        if ((st = sd_ngram_row_build(m, 3, w->hist, len0 + i, &w->bq, err)) != SD_OK)
            return st;
        emit(R, &w->bq, x);
    }
    if (R->ended)
        return SD_OK;
    if (tau == h && stop) /* the block reached the end */
        return SD_OK;
    {
        const sd_ngram_pair *nx = &w->blk[tau];
        n1 = nx->n + 1;
        if (tau == h) { /* bonus */
            for (i = 0; i < n1; i++)
                w->lw[i] = nx->q[i];
        } else {
            for (i = 0; i < n1; i++)
                w->lw[i] = fmax(pw[tau] * nx->q[i] - nx->p[i], 0.0);
            *rejected = 1;
        }
        if ((st = sd_ngram_row_build(m, 3, w->hist, R->len, &w->bq, err)) != SD_OK)
            return st;
        emit(R, &w->bq, sd_ngram_pair_draw(m, nx, w->lw, R->rng));
    }
    return SD_OK;
}

/* One literal run: a whole sequence.  g = 0 drafts to the end. */
static sd_status run_one(runner *R, alg_t alg, int d, size_t g, size_t k, run_result *out,
                         sd_error *err)
{
    size_t nr = 0, i;
    double calls = 0.0, rej = 0.0, steps = 0.0, acc = 0.0;
    sd_status st;
    R->len = 1;
    R->ended = 0;
    R->w->hist[0] = (uint32_t)R->m->bos;
    while (!R->ended) {
        int rj;
        size_t gg = g ? g : R->N, tau = 0;
        R->w->starts[nr++] = R->len;
        calls += 1.0;
        if (alg == ALG_BLOCK)
            st = round_block(R, d, gg, &rj, &tau, err);
        else
            st = round_token(R, alg, d, gg, k, &rj, err);
        if (st != SD_OK)
            return st;
        rej += rj;
        acc += (double)tau;
    }
    out->T = (double)(R->len - 1);
    for (i = 0; i < nr; i++) {
        size_t left = R->len - R->w->starts[i], gg = g ? g : R->N;
        steps += (double)(gg < left ? gg : left);
    }
    out->calls = calls;
    out->rej = rej;
    out->steps = steps;
    out->acc = acc;
    return SD_OK;
}

/* ---- reductions ------------------------------------------------------------ */

typedef struct {
    alg_t alg;
    int d;
    size_t g, k;
} setting;

typedef struct {
    double *T, *calls, *rej, *steps, *acc; /* [runs], one allocation at T */
} run_arrays;


/* A ratio of means sum(y)/sum(x) with its delta-method standard error. */
static void ratio_se(const double *y, const double *x, size_t n, double *ratio, double *se)
{
    double sy = 0.0, sx = 0.0, v = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        sy += y[i];
        sx += x[i];
    }
    *ratio = sy / sx;
    for (i = 0; i < n; i++) {
        double e = y[i] - *ratio * x[i];
        v += e * e;
    }
    *se = n > 1 ? sqrt(v / (double)(n - 1) / (double)n) / (sx / (double)n) : NAN;
}

/* ---- output helpers ------------------------------------------------------- */

static void provenance(FILE *f, const sd_cli *c, const params *P, const sd_ngram *m)
{
    fprintf(f, "# ngram (specdec %s)\n# command: %s\n", PACKAGE_VERSION, c->command);
    fprintf(f, "# model: %s (V = %zu, %zu bigrams, %zu trigrams%s); target trigram, drafts "
               "bigram and unigram\n", P->model, m->V, m->nb, m->nt,
            P->vocab ? ", vocabulary limited" : "");
    fprintf(f, "# trace: sequences=%zu length<=%zu seed=%llu; literal runs=%zu per setting; "
               "rng=%s\n", P->B, P->N, (unsigned long long)c->mc.seed, c->mc.runs,
            c->mc.rng ? c->mc.rng->name : "xoshiro256ss");
}

/* Open the data file DIR/name (sd_out_open_file: written beside it and
 * renamed by sd_out_close_file) and write the provenance lines. */
static int open_data(const sd_cli *c, const params *P, const sd_ngram *m, const char *name,
                     sd_out *o, char *dst)
{
    int rc;
    if (snprintf(dst, 4096, "%s/%s", P->data_dir, name) >= 4096)
        return sd_cli_usage_error(c, "--data-dir: path too long");
    if ((rc = sd_out_open_file(c, dst, o)) == 0)
        provenance(o->f, c, P, m);
    return rc;
}

static int trace_out(const sd_cli *c, const params *P, const sd_ngram *m, work *w,
                     const uint32_t *tok, const size_t *lens, sd_error *err)
{
    size_t S = P->trace_seq < P->B ? P->trace_seq : P->B, N = P->N, V = m->V, b, t;
    size_t shape[3] = {S, N, V};
    double *dp = sd_calloc(S * N * V, sizeof(double)), *dq = sd_calloc(S * N * V, sizeof(double));
    int64_t *tk = sd_malloc(S * N, sizeof(int64_t));
    char path[4096];
    int rc = 0;
    if (!dp || !dq || !tk) {
        sd_free(dp);
        sd_free(dq);
        sd_free(tk);
        fprintf(stderr, "%s: out of memory for the trace (%zu x %zu x %zu)\n", c->prog, S, N, V);
        return 3;
    }
    for (b = 0; b < S; b++) {
        w->hist[0] = (uint32_t)m->bos;
        for (t = 0; t < N; t++) {
            if (t >= lens[b]) {
                tk[b * N + t] = -1;
                /* padding rows: the target row there is any law; use the last one */
                memcpy(dp + (b * N + t) * V, dp + (b * N + t - 1) * V, V * sizeof(double));
                memcpy(dq + (b * N + t) * V, dq + (b * N + t - 1) * V, V * sizeof(double));
                continue;
            }
            if (sd_ngram_row_build(m, 3, w->hist, t + 1, &w->q, err) ||
                sd_ngram_row_build(m, 2, w->hist, t + 1, &w->p[0], err)) {
                rc = sd_cli_fail(c, err);
                goto done;
            }
            sd_ngram_row_dense(m, &w->p[0], dp + (b * N + t) * V);
            sd_ngram_row_dense(m, &w->q, dq + (b * N + t) * V);
            tk[b * N + t] = tok[b * N + t];
            w->hist[t + 1] = tok[b * N + t];
        }
    }
    { /* each file written to a temporary name and renamed into place */
        const size_t shape2[2] = {S, N};
        sd_status st;
        snprintf(path, sizeof path, "%s/draft.npy", P->trace_out);
        if ((st = sd_npy_write(path, dp, 3, shape, err)) == SD_OK) {
            snprintf(path, sizeof path, "%s/target.npy", P->trace_out);
            st = sd_npy_write(path, dq, 3, shape, err);
        }
        if (st == SD_OK) {
            snprintf(path, sizeof path, "%s/tokens.npy", P->trace_out);
            st = sd_npy_write_int64(path, tk, 2, shape2, err);
        }
        if (st != SD_OK)
            rc = sd_cli_fail(c, err);
    }
done:
    sd_free(dp);
    sd_free(dq);
    sd_free(tk);
    return rc;
}

/* ---- the report ------------------------------------------------------------- */

/* The first-word law in bins a sample of n can test: every word whose
 * expected count is at least 5 on its own, the other words of positive
 * probability pooled, and the words of probability 0 (<s>, words outside
 * --vocab-limit) in a bin that must stay empty.  cnt, pr: V + 2 entries. */
static size_t law_bins(const uint64_t *counts, const double *row, size_t V, uint64_t *cnt,
                       double *pr)
{
    uint64_t n = 0;
    size_t x, nb = 0;
    for (x = 0; x < V; x++)
        n += counts[x];
    cnt[0] = cnt[1] = 0;
    pr[0] = pr[1] = 0.0;
    nb = 2;
    for (x = 0; x < V; x++) {
        if (row[x] == 0.0) {
            cnt[1] += counts[x];
        } else if (row[x] * (double)n >= 5.0) {
            cnt[nb] = counts[x];
            pr[nb++] = row[x];
        } else {
            cnt[0] += counts[x];
            pr[0] += row[x];
        }
    }
    return nb;
}

/* The mean of x[0..n-1] and its standard error (NaN for n = 1). */
static void mean_se(const double *x, size_t n, double *mean, double *se)
{
    *mean = gsl_stats_mean(x, 1, n);
    *se = n > 1 ? gsl_stats_sd_m(x, 1, n, *mean) / sqrt((double)n) : NAN;
}

static size_t find_set(const setting *set, size_t nset, alg_t alg, size_t d, size_t g, size_t k)
{
    size_t i;
    for (i = 0; i < nset; i++)
        if (set[i].alg == alg && (size_t)set[i].d == d && set[i].g == g && set[i].k == k)
            return i;
    return SIZE_MAX;
}

/* The z-tests of simulated means (runs) against trace means (sequences):
 * both are estimates, so the standard error is the combined one.  The
 * first error (out of memory) sticks and later checks are skipped. */
typedef struct {
    sd_checklist *L;
    double zmax;
    size_t nb, ns; /* sequences, runs */
    sd_status st;
    sd_error *err;
} zchecks;

static void z_named(zchecks *z, double exact, double se_exact, double est, double se_est,
                    const char *fmt, va_list ap)
{
    char name[128];
    vsnprintf(name, sizeof name, fmt, ap);
    z->st = sd_check_z(z->L, name, exact, est, sqrt(se_exact * se_exact + se_est * se_est),
                       z->zmax, z->err);
}

/* Mean of tr (per sequence) against mean of sim (per run). */
static void z_mean(zchecks *z, const double *tr, const double *sim, const char *fmt, ...)
{
    double mt, st, ms, ss;
    va_list ap;
    if (z->st != SD_OK)
        return;
    mean_se(tr, z->nb, &mt, &st);
    mean_se(sim, z->ns, &ms, &ss);
    va_start(ap, fmt);
    z_named(z, mt, st, ms, ss, fmt, ap);
    va_end(ap);
}

/* Ratio of sums ty/tx (sequences) against sy/sx (runs), delta method. */
static void z_ratio(zchecks *z, const double *ty, const double *tx, const double *sy,
                    const double *sx, const char *fmt, ...)
{
    double rt, set, rs, ses;
    va_list ap;
    if (z->st != SD_OK)
        return;
    ratio_se(ty, tx, z->nb, &rt, &set);
    ratio_se(sy, sx, z->ns, &rs, &ses);
    va_start(ap, fmt);
    z_named(z, rt, set, rs, ses, fmt, ap);
    va_end(ap);
}

/* Trace speed-up E[T] / E[calls + c steps] with its delta-method error. */
static void speedup_of(const double *T, const double *calls, const double *steps, size_t n,
                       double cst, double *tmp, double *sp, double *se)
{
    size_t i;
    for (i = 0; i < n; i++)
        tmp[i] = calls[i] + cst * steps[i];
    ratio_se(T, tmp, n, sp, se);
}

typedef struct {
    double *T, *tv[ND], *r[ND], *calls[ND][MAX_G + 1], *rej[ND][MAX_G + 1],
        *steps[ND][MAX_G + 1], *brej[ND][MAX_K + 1];
    /* block verification on the path, gamma = 1..G */
    double *bcalls[ND][MAX_G + 1], *brejs[ND][MAX_G + 1], *bsteps[ND][MAX_G + 1],
        *bacc[ND][MAX_G + 1], *wrej[ND][MAX_K + 1];
} trace_cols;

static int report(sd_cli *c, const params *P, const sd_ngram *m, const seq_stats *S,
                  double *const *pmf_all, const setting *set, size_t nset, const run_arrays *ra,
                  const law_counts *lc, work *w, const uint32_t *tokens, const size_t *lens,
                  double secs_trace, double secs_sim, sd_checklist *L, sd_error *err)
{
    const size_t B = P->B, R = c->mc.runs, V = m->V;
    trace_cols tc;
    double *pool = NULL, *tmp = NULL, *tmp2 = NULL, *row = NULL, *bpr = NULL, positions = 0.0;
    uint64_t *bcnt = NULL;
    double mean_acc[ND], alpha_k[ND][MAX_K + 1], rrs_k[ND][MAX_K + 1], kseq_k[ND][MAX_K + 1];
    double tvm[ND], tvse[ND];
    size_t ncols = 1 + ND * (2 + 7 * (MAX_G + 1) + 2 * (MAX_K + 1)), b, d, g, k, e, i;
    sd_checklist ctl;
    sd_status st = SD_OK;
    char name[96];
    int rc = 0, control_caught;
    sd_out out;

    sd_checklist_init(&ctl);
    pool = sd_malloc(ncols * B, sizeof(double));
    tmp = sd_malloc(B > R ? B : R, sizeof(double));
    tmp2 = sd_malloc(B > R ? B : R, sizeof(double));
    row = sd_malloc(V, sizeof(double));
    bpr = sd_malloc(V + 2, sizeof(double));
    bcnt = sd_malloc(V + 2, sizeof(uint64_t));
    if (!pool || !tmp || !tmp2 || !row || !bpr || !bcnt) {
        st = sd_error_set(err, SD_ENOMEM, "out of memory (report)");
        goto done;
    }
    { /* per-sequence columns */
        double *p = pool;
        tc.T = p, p += B;
        for (d = 0; d < ND; d++) {
            tc.tv[d] = p, p += B;
            tc.r[d] = p, p += B;
            for (k = 0; k <= MAX_K; k++)
                tc.wrej[d][k] = p, p += B;
            for (g = 0; g <= MAX_G; g++) {
                tc.calls[d][g] = p, p += B;
                tc.rej[d][g] = p, p += B;
                tc.steps[d][g] = p, p += B;
                tc.bcalls[d][g] = p, p += B;
                tc.brejs[d][g] = p, p += B;
                tc.bsteps[d][g] = p, p += B;
                tc.bacc[d][g] = p, p += B;
            }
            for (k = 0; k <= MAX_K; k++)
                tc.brej[d][k] = p, p += B;
        }
        for (b = 0; b < B; b++) {
            tc.T[b] = (double)S[b].T;
            positions += (double)S[b].T;
            for (d = 0; d < ND; d++) {
                tc.tv[d][b] = S[b].tv[d];
                tc.r[d][b] = S[b].r[d];
                for (k = 2; k <= P->wor_k; k++)
                    tc.wrej[d][k][b] = S[b].wor_rej[d][k];
                for (g = 0; g <= P->G; g++) {
                    tc.calls[d][g][b] = S[b].calls[d][g];
                    tc.rej[d][g][b] = S[b].rej[d][g];
                    tc.steps[d][g][b] = S[b].steps[d][g];
                    tc.bcalls[d][g][b] = S[b].block[d][g].calls;
                    tc.brejs[d][g][b] = S[b].block[d][g].rejections;
                    tc.bsteps[d][g][b] = S[b].block[d][g].draft_steps;
                    tc.bacc[d][g][b] = S[b].block[d][g].accepted;
                }
                for (k = 1; k <= P->K; k++)
                    tc.brej[d][k][b] = S[b].batch_rej[d][k];
            }
        }
    }
    for (d = 0; d < ND; d++) {
        double sacc = 0.0;
        mean_se(tc.tv[d], B, &tvm[d], &tvse[d]);
        for (b = 0; b < B; b++)
            sacc += S[b].tv[d];
        mean_acc[d] = 1.0 - sacc / positions;
        for (k = 1; k <= P->K; k++) {
            double a = 0.0, r2 = 0.0, q2 = 0.0;
            for (b = 0; b < B; b++) {
                a += S[b].acc_opt[d][k];
                r2 += S[b].acc_rrs[d][k];
                q2 += S[b].acc_kseq[d][k];
            }
            alpha_k[d][k] = a / positions;
            rrs_k[d][k] = r2 / positions;
            kseq_k[d][k] = q2 / positions;
        }
    }

    /* the checks */
    for (d = 0; d < ND; d++) {
        const char *dn = draft_name[d];
        zchecks z = {L, c->mc.z_max, B, R, SD_OK, err};
        size_t s0 = find_set(set, nset, ALG_SD, d, 0, 1);
        z_mean(&z, tc.tv[d], ra[s0].rej, "%s: SD to the end, rejections vs sum TV", dn);
        z_mean(&z, tc.r[d], ra[s0].rej, "%s: SD to the end, rejections vs sum r_t", dn);
        z_mean(&z, tc.calls[d][0], ra[s0].calls, "%s: SD to the end, calls", dn);
        z_mean(&z, tc.T, ra[s0].T, "%s: sequence length (target law)", dn);
        for (g = 1; g <= P->G; g++) {
            const run_arrays *rt = &ra[find_set(set, nset, ALG_SD, d, g, 1)];
            const run_arrays *rb = &ra[find_set(set, nset, ALG_BLOCK, d, g, 1)];
            double tt, tse, bt, bse;
            z_mean(&z, tc.calls[d][g], rt->calls, "%s: SD gamma=%zu calls", dn, g);
            z_mean(&z, tc.rej[d][g], rt->rej, "%s: SD gamma=%zu rejections", dn, g);
            z_ratio(&z, tc.T, tc.calls[d][g], rt->T, rt->calls, "%s: SD gamma=%zu tokens per call",
                    dn, g);
            z_mean(&z, tc.bcalls[d][g], rb->calls, "%s: block gamma=%zu calls", dn, g);
            z_mean(&z, tc.brejs[d][g], rb->rej, "%s: block gamma=%zu rejections", dn, g);
            z_ratio(&z, tc.T, tc.bcalls[d][g], rb->T, rb->calls,
                    "%s: block gamma=%zu tokens per call", dn, g);
            z_ratio(&z, tc.bacc[d][g], tc.bcalls[d][g], rb->acc, rb->calls,
                    "%s: block gamma=%zu accepted drafts per call", dn, g);
            if (z.st != SD_OK)
                break;
            /* Sun et al.: never fewer tokens per call than token verification */
            ratio_se(tc.T, tc.calls[d][g], B, &tt, &tse);
            ratio_se(tc.T, tc.bcalls[d][g], B, &bt, &bse);
            snprintf(name, sizeof name, "%s: block gamma=%zu tokens per call >= token-level "
                     "(on the paths)", dn, g);
            z.st = sd_check_bound(L, name, tt, bt + c->mc.z_max * sqrt(tse * tse + bse * bse), 0,
                                  0.0, err);
        }
        for (k = 2; k <= P->K; k++)
            z_mean(&z, tc.brej[d][k], ra[find_set(set, nset, ALG_RRS, d, 0, k)].rej,
                   "%s: RRS k=%zu at round starts, rejections", dn, k);
        for (k = 2; k <= P->wor_k; k++)
            z_mean(&z, tc.wrej[d][k], ra[find_set(set, nset, ALG_WOR, d, 0, k)].rej,
                   "%s: RRS without replacement k=%zu at round starts, rejections", dn, k);
        if ((st = z.st) != SD_OK)
            break;
    }
    if (st == SD_OK) { /* the trace itself: its words drawn from the target rows */
        double so = 0.0, sm = 0.0, sv = 0.0;
        for (b = 0; b < B; b++) {
            so += S[b].surprisal[0];
            sm += S[b].surprisal[1];
            sv += S[b].surprisal[2];
        }
        st = sd_check_z(L, "trace: surprisal of the sampled words (sum of -log q)", sm, so,
                        sqrt(sv), c->mc.z_max, err);
    }
    if (st != SD_OK)
        goto done;
    { /* output words: the first against the row after <s>, every one by its PIT */
        uint32_t h[1];
        double unif[PIT_BINS];
        int a;
        h[0] = (uint32_t)m->bos;
        if ((st = sd_ngram_row_build(m, 3, h, 1, &w->q, err)) != SD_OK)
            goto done;
        sd_ngram_row_dense(m, &w->q, row);
        for (i = 0; i < PIT_BINS; i++)
            unif[i] = 1.0 / PIT_BINS;
        for (a = 0; a < NALG; a++) {
            sd_checklist *T = a == ALG_CONTROL ? &ctl : L;
            size_t nbins = law_bins(lc[a].first, row, V, bcnt, bpr);
            snprintf(name, sizeof name, "%s: first word ~ target row after <s>", alg_name[a]);
            if ((st = sd_check_law(T, name, bcnt, bpr, nbins, c->mc.z_max, 1e-6, err)) != SD_OK)
                goto done;
            snprintf(name, sizeof name, "%s: PIT of every word ~ U(0,1)", alg_name[a]);
            if ((st = sd_check_law(T, name, lc[a].pit, unif, PIT_BINS, c->mc.z_max, 1e-6, err)) != SD_OK)
                goto done;
        }
        control_caught = !sd_checklist_pass(&ctl);
        if ((st = sd_check_bound(L, "negative control (every draft accepted unverified) is caught",
                                 1.0, (double)control_caught, 0, 0.0, err)) != SD_OK)
            goto done;
        if (!control_caught)
            snprintf(L->v[L->n - 1].detail, sizeof L->v[L->n - 1].detail,
                     "the control's law checks passed on %zu runs: too few to see its bias; "
                     "raise --runs", c->mc.runs);
    }

    /* the report */
    c->draft = c->target = P->model;
    if ((rc = sd_out_open(c, &out)) == 0) {
        sd_kv kv[40];
        size_t nk = 0;
        kv[nk++] = (sd_kv)SD_KV_S("model", P->model);
        kv[nk++] = (sd_kv)SD_KV_I("vocab", V);
        kv[nk++] = (sd_kv)SD_KV_I("sequences", B);
        kv[nk++] = (sd_kv)SD_KV_I("max_length", P->N);
        kv[nk++] = (sd_kv)SD_KV_N("positions", positions);
        for (d = 0; d < ND; d++) {
            static char keys[ND][8][48];
            double wm, wse, btr, bse;
            snprintf(keys[d][0], 48, "tv_sum_%s", draft_name[d]);
            snprintf(keys[d][1], 48, "tv_sum_%s_stderr", draft_name[d]);
            snprintf(keys[d][2], 48, "mean_acceptance_%s", draft_name[d]);
            snprintf(keys[d][3], 48, "rrs_acceptance_k%zu_%s", P->K, draft_name[d]);
            snprintf(keys[d][4], 48, "kseq_acceptance_k%zu_%s", P->K, draft_name[d]);
            snprintf(keys[d][5], 48, "optimal_acceptance_k%zu_%s", P->K, draft_name[d]);
            kv[nk++] = (sd_kv)SD_KV_N(keys[d][0], tvm[d]);
            kv[nk++] = (sd_kv)SD_KV_N(keys[d][1], tvse[d]);
            kv[nk++] = (sd_kv)SD_KV_N(keys[d][2], mean_acc[d]);
            kv[nk++] = (sd_kv)SD_KV_N(keys[d][3], rrs_k[d][P->K]);
            kv[nk++] = (sd_kv)SD_KV_N(keys[d][4], kseq_k[d][P->K]);
            kv[nk++] = (sd_kv)SD_KV_N(keys[d][5], alpha_k[d][P->K]);
            snprintf(keys[d][6], 48, "block_tokens_per_call_g%zu_%s", P->G, draft_name[d]);
            snprintf(keys[d][7], 48, "rrs_wor_rejections_k2_%s", draft_name[d]);
            ratio_se(tc.T, tc.bcalls[d][P->G], B, &btr, &bse);
            mean_se(tc.wrej[d][2], B, &wm, &wse);
            kv[nk++] = (sd_kv)SD_KV_N(keys[d][6], btr);
            kv[nk++] = (sd_kv)SD_KV_N(keys[d][7], wm);
        }
        kv[nk++] = (sd_kv)SD_KV_N("seconds_trace", secs_trace);
        kv[nk++] = (sd_kv)SD_KV_N("seconds_simulation", secs_sim);
        sd_report_checks(out.f, c, "ngram", NULL, L, kv, nk);
        rc = sd_out_close(c, &out, 1);
    }
    if (rc)
        goto done;

    if (P->data_dir) { /* the figure data */
        sd_out out_data;
        FILE *f = NULL;
        char dst[4096];
        static const char *const files[] = {"ngram-accept.dat", "ngram-speedup.dat",
                                            "ngram-table1.tsv", "ngram-nrej.dat"};
        size_t fi;
        for (fi = 0; fi < sizeof files / sizeof files[0] && rc == 0; fi++) {
            if ((rc = open_data(c, P, m, files[fi], &out_data, dst)) != 0)
                break;
            f = out_data.f;
            switch (fi) {
            case 0: /* per-position acceptance */
                fprintf(f,
                        "# per-position acceptance 1 - TV(draft, target) on the sampled contexts "
                        "(%g positions); density per bin\n# bin_centre\tbigram\tunigram\n",
                        positions);
                for (i = 0; i < HIST_BINS; i++) {
                    double cnt[ND] = {0, 0};
                    for (b = 0; b < B; b++)
                        for (d = 0; d < ND; d++)
                            cnt[d] += S[b].hist[d][i];
                    fprintf(f, "%.4f\t%.6g\t%.6g\n", ((double)i + 0.5) / HIST_BINS,
                            cnt[0] / positions * HIST_BINS, cnt[1] / positions * HIST_BINS);
                }
                break;
            case 1: /* speed-up against gamma */
                fprintf(f,
                        "# speed-up E[T] / E[calls + c draft steps] against gamma; one block per "
                        "cost c (index = position in --cost); per draft (bigram, unigram):\n"
                        "# exact on the path (trace) and its stderr, simulated SD and stderr, "
                        "Leviathan's closed form with the mean acceptance, simulated block "
                        "verification and stderr, the multi-draft bound with alpha*_%zu at the "
                        "first draft (Leviathan form); then per draft block verification exact on "
                        "the path and its stderr\n",
                        P->K);
                for (e = 0; e < P->ncost; e++) {
                    double cst = P->cost[e];
                    fprintf(f, "# c = %g\n# gamma", cst);
                    for (d = 0; d < ND; d++)
                        fprintf(f,
                                "\t%s_exact\tse\t%s_sim\tse\t%s_leviathan\t%s_block\tse\t"
                                "%s_multidraft",
                                draft_name[d], draft_name[d], draft_name[d], draft_name[d],
                                draft_name[d]);
                    for (d = 0; d < ND; d++)
                        fprintf(f, "\t%s_block_exact\tse", draft_name[d]);
                    fputc('\n', f);
                    for (g = 1; g <= P->G; g++) {
                        fprintf(f, "%zu", g);
                        for (d = 0; d < ND; d++) {
                            size_t si = find_set(set, nset, ALG_SD, d, g, 1);
                            size_t bi = find_set(set, nset, ALG_BLOCK, d, g, 1);
                            double x, se, al = mean_acc[d], a0 = alpha_k[d][P->K];
                            double lev = (1.0 - pow(al, (double)g + 1)) /
                                         ((1.0 - al) * ((double)g * cst + 1.0));
                            double mdb = (1.0 + a0 * (1.0 - pow(al, (double)g)) / (1.0 - al)) /
                                         ((double)g * cst + 1.0);
                            speedup_of(tc.T, tc.calls[d][g], tc.steps[d][g], B, cst, tmp, &x, &se);
                            fprintf(f, "\t%.6f\t%.6f", x, se);
                            speedup_of(ra[si].T, ra[si].calls, ra[si].steps, R, cst, tmp, &x, &se);
                            fprintf(f, "\t%.6f\t%.6f\t%.6f", x, se, lev);
                            speedup_of(ra[bi].T, ra[bi].calls, ra[bi].steps, R, cst, tmp, &x, &se);
                            fprintf(f, "\t%.6f\t%.6f\t%.6f", x, se, mdb);
                        }
                        for (d = 0; d < ND; d++) {
                            double x, se;
                            speedup_of(tc.T, tc.bcalls[d][g], tc.bsteps[d][g], B, cst, tmp, &x,
                                       &se);
                            fprintf(f, "\t%.6f\t%.6f", x, se);
                        }
                        fputc('\n', f);
                    }
                    fputs("\n\n", f);
                }
                break;
            case 2: /* Table 1 on the real model */
                fprintf(
                    f,
                    "# over-acceptance b_eps = min(1, (Q+eps)/P) on the sampled target contexts "
                    "(%g positions): rejection rate, speed-up 1/rate (tokens per rejection), "
                    "per-step bias (OPT: resample from the optimal law; UNO: from the target); "
                    "eps = 0 is SD\n",
                    positions);
                fputs("draft\teps\tdecoding\trejection_rate\tspeedup\tbias_per_step\n", f);
                for (d = 0; d < ND; d++) {
                    fprintf(f, "%s\t0\tSD\t%.6f\t%.4f\t0\n", draft_name[d], 1.0 - mean_acc[d],
                            1.0 / (1.0 - mean_acc[d]));
                    for (e = 0; e < P->neps; e++) {
                        double rj = 0.0, lo = 0.0, lu = 0.0;
                        for (b = 0; b < B; b++) {
                            rj += S[b].ea_rej[d][e];
                            lo += S[b].ea_opt[d][e];
                            lu += S[b].ea_uno[d][e];
                        }
                        if (rj < 1e-12 * positions) /* rounding of 1 - sum: nothing rejected */
                            rj = 0.0;
                        fprintf(f, "%s\t%g\tOPT\t%.3e\t%.4g\t%.6f\n", draft_name[d], P->eps[e],
                                rj / positions, rj > 0.0 ? positions / rj : INFINITY,
                                lo / positions);
                        fprintf(f, "%s\t%g\tUNO\t%.3e\t%.4g\t%.6f\n", draft_name[d], P->eps[e],
                                rj / positions, rj > 0.0 ? positions / rj : INFINITY,
                                lu / positions);
                    }
                }
                break;
            case 3: /* the law of the rejections of SD to the end */
                fputs(
                    "# rejections of SD drafting to the end: the mean over sequences of the "
                    "Poisson-binomial law given the path, and the frequencies of the literal runs\n"
                    "# n\tbigram_trace\tbigram_sim\tunigram_trace\tunigram_sim\n",
                    f);
                for (i = 0; i <= P->N; i++) {
                    fprintf(f, "%zu", i);
                    for (d = 0; d < ND; d++) {
                        size_t s0 = find_set(set, nset, ALG_SD, d, 0, 1), rr, cnt = 0;
                        double pm = 0.0;
                        for (b = 0; b < B; b++)
                            pm += pmf_all[d][b * (P->N + 1) + i];
                        for (rr = 0; rr < R; rr++)
                            cnt += ra[s0].rej[rr] == (double)i;
                        fprintf(f, "\t%.6g\t%.6g", pm / (double)B, (double)cnt / (double)R);
                    }
                    fputc('\n', f);
                }
                break;
            }
            rc = sd_out_close_file(c, dst, &out_data, 1);
        }
        if (rc != 0)
            goto done;
    }
    if (P->trace_out && (rc = trace_out(c, P, m, w, tokens, lens, err)) != 0)
        goto done;
    rc = sd_checklist_pass(L) ? 0 : 1;
done:
    if (st != SD_OK)
        rc = sd_cli_fail(c, err);
    sd_checklist_free(&ctl);
    sd_free(pool);
    sd_free(tmp);
    sd_free(tmp2);
    sd_free(row);
    sd_free(bpr);
    sd_free(bcnt);
    return rc;
}

/* ---- main ------------------------------------------------------------------ */

/* Keep the first error of a parallel loop. */
static void keep_error(sd_status *st, sd_error *err, sd_status s2, const sd_error *lerr)
{
#pragma omp critical
    {
        if (*st == SD_OK) {
            *st = s2;
            *err = *lerr;
        }
    }
}


/* The options checked together, before any work. */
static int check(sd_cli *c, void *arg)
{
    const params *P = arg;
    struct stat sb;
    if (P->G > MAX_G)
        return sd_cli_usage_error(c, "--gamma-max: at most %d", MAX_G);
    if (P->K > MAX_K)
        return sd_cli_usage_error(c, "--drafts-max: at most %d", MAX_K);
    if (c->mc.runs < 2)
        return sd_cli_usage_error(c, "--runs: at least 2 (standard errors)");
    if (P->N > SD_TRACE_MAX_GAMMA)
        return sd_cli_usage_error(c, "--length: at most %d", SD_TRACE_MAX_GAMMA);
    if (access(P->model, R_OK) != 0)
        return sd_cli_usage_error(c, "--model: cannot read %s: %s", P->model, strerror(errno));
    if (P->data_dir && (stat(P->data_dir, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
                        access(P->data_dir, W_OK) != 0))
        return sd_cli_usage_error(c, "--data-dir: %s is not a writable directory", P->data_dir);
    if (P->trace_out && (stat(P->trace_out, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
                         access(P->trace_out, W_OK) != 0))
        return sd_cli_usage_error(c, "--trace-out: %s is not a writable directory", P->trace_out);
    return 0;
}

static int run(sd_cli *cp, const sd_model *unused, void *arg)

{
    sd_cli c = *cp;
    params P = *(const params *)arg;
    sd_ngram *m = NULL;
    sd_error err;
    sd_status st = SD_OK;
    int rc, nthreads = 1;
    size_t b, d, g, k, e, i, nset = 0, Nmax;
    seq_stats *S = NULL;
    uint32_t *tokens = NULL;
    size_t *lens = NULL;
    double *pmf_all[ND] = {NULL, NULL}, *cum1 = NULL;
    setting *set = NULL;
    run_arrays *ra = NULL;
    law_counts *lc = NULL; /* [thread * NALG + alg] */
    work *ws = NULL;
    sd_checklist L;
    struct timespec t0, t1;
    double secs_trace, secs_sim;

    (void)unused;
    Nmax = P.N;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((st = sd_ngram_load(P.model, P.vocab, &m, &err)) != SD_OK) {
        fprintf(stderr, "%s: %s\n", c.prog, err.msg);
        return st == SD_ENOMEM || st == SD_EINTERNAL ? 3 : 2;
    }
    if (m->bos == SIZE_MAX || m->eos == SIZE_MAX) {
        fprintf(stderr, "%s: %s: the model has no <s> or no </s>\n", c.prog, P.model);
        sd_ngram_free(m);
        return 2;
    }
    { /* RRS without replacement: k >= 3 only where its walk is affordable */
        double active = 0.0;
        for (i = 0; i < m->V; i++)
            active += m->p1[i] > 0.0;
        for (P.wor_k = 2; P.wor_k < P.K && pow(active, (double)P.wor_k + 1.0) <= WOR_WALK_MAX;)
            P.wor_k++;
    }
#ifdef _OPENMP
    nthreads = c.mc.threads > 0 ? c.mc.threads : omp_get_max_threads();
#endif
    sd_checklist_init(&L);
    S = sd_calloc(P.B, sizeof *S);
    tokens = sd_calloc(P.B * Nmax, sizeof *tokens);
    lens = sd_calloc(P.B, sizeof *lens);
    for (d = 0; d < ND; d++)
        pmf_all[d] = sd_calloc(P.B * (Nmax + 1), sizeof(double));
    cum1 = sd_malloc(m->V + 1, sizeof(double));
    ws = sd_calloc((size_t)nthreads, sizeof *ws);
    if (!S || !tokens || !lens || !pmf_all[0] || !pmf_all[1] || !cum1 || !ws) {
        st = sd_error_set(&err, SD_ENOMEM, "out of memory");
        goto fail;
    }
    cum1[0] = 0.0;
    for (i = 0; i < m->V; i++)
        cum1[i + 1] = cum1[i] + m->p1[i];
    for (i = 0; i < (size_t)nthreads; i++)
        if ((st = work_alloc(&ws[i], m, &P, &err)) != SD_OK)
            goto fail;

    /* 1. the trace */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (b = 0; b < P.B; b++) {
        int tid = 0;
        double *pmf[ND];
        gsl_rng *rng;
        sd_error lerr;
        sd_status s2 = SD_ENOMEM;
        size_t dd;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        for (dd = 0; dd < ND; dd++)
            pmf[dd] = pmf_all[dd] + b * (Nmax + 1);
        rng = sd_rng_stream_alloc(c.mc.rng, c.mc.seed, b);
        if (rng == NULL)
            sd_error_set(&lerr, SD_ENOMEM, "out of memory (generator)");
        else
            s2 = trace_one(m, &P, &ws[tid], rng, &S[b], pmf, tokens + b * Nmax, &lerr);
        lens[b] = S[b].T;
        if (rng)
            gsl_rng_free(rng);
        if (s2 != SD_OK)
            keep_error(&st, &err, s2, &lerr);
    }
    if (st != SD_OK)
        goto fail;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs_trace = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);

    /* 2. literal runs */
    set = sd_calloc(ND * (2 * MAX_G + 2 + 2 * MAX_K) + 4, sizeof *set);
    if (!set) {
        st = sd_error_set(&err, SD_ENOMEM, "out of memory");
        goto fail;
    }
    for (d = 0; d < ND; d++) {
        for (g = 0; g <= P.G; g++)
            set[nset++] = (setting){ALG_SD, (int)d, g, 1};
        for (g = 1; g <= P.G; g++)
            set[nset++] = (setting){ALG_BLOCK, (int)d, g, 1};
        for (k = 2; k <= P.K; k++)
            set[nset++] = (setting){ALG_RRS, (int)d, 0, k};
    }
    set[nset++] = (setting){ALG_CONTROL, 1, 4 <= P.G ? 4 : P.G, 1};
    for (d = 0; d < ND; d++) /* after the others: their streams stay as they were */
        for (k = 2; k <= P.wor_k; k++)
            set[nset++] = (setting){ALG_WOR, (int)d, 0, k};
    ra = sd_calloc(nset, sizeof *ra);
    lc = sd_calloc((size_t)nthreads * NALG, sizeof *lc);
    if (!ra || !lc) {
        st = sd_error_set(&err, SD_ENOMEM, "out of memory");
        goto fail;
    }
    for (i = 0; i < nset; i++) {
        if (!(ra[i].T = sd_malloc(5 * c.mc.runs, sizeof(double)))) {
            st = sd_error_set(&err, SD_ENOMEM, "out of memory");
            goto fail;
        }
        ra[i].calls = ra[i].T + c.mc.runs;
        ra[i].rej = ra[i].calls + c.mc.runs;
        ra[i].steps = ra[i].rej + c.mc.runs;
        ra[i].acc = ra[i].steps + c.mc.runs;
    }
    for (i = 0; i < (size_t)nthreads * NALG; i++)
        if (!(lc[i].first = sd_calloc(m->V, sizeof(uint64_t)))) {
            st = sd_error_set(&err, SD_ENOMEM, "out of memory");
            goto fail;
        }
    {
        const size_t ntask = nset * c.mc.runs;
        size_t done = 0;
        long task;
#pragma omp parallel for schedule(dynamic, 4) num_threads(nthreads)
        for (task = 0; task < (long)ntask; task++) {
            int tid = 0;
            size_t si = (size_t)task / c.mc.runs, run = (size_t)task % c.mc.runs;
            gsl_rng *rng;
            runner R;
            run_result res;
            sd_error lerr;
            sd_status s2;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
            if (st != SD_OK)
                continue;
            rng = sd_rng_stream_alloc(c.mc.rng, c.mc.seed, P.B + (uint64_t)task);
            if (!rng) {
                keep_error(&st, &err, sd_error_set(&lerr, SD_ENOMEM, "out of memory (generator)"),
                           &lerr);
                continue;
            }
            R.m = m;
            R.cum1 = cum1;
            R.w = &ws[tid];
            R.lc = &lc[(size_t)tid * NALG + set[si].alg];
            R.rng = rng;
            R.N = P.N;
            s2 = run_one(&R, set[si].alg, set[si].d, set[si].g, set[si].k, &res, &lerr);
            gsl_rng_free(rng);
            if (s2 != SD_OK) {
                keep_error(&st, &err, s2, &lerr);
                continue;
            }
            ra[si].T[run] = res.T;
            ra[si].calls[run] = res.calls;
            ra[si].rej[run] = res.rej;
            ra[si].steps[run] = res.steps;
            ra[si].acc[run] = res.acc;
#pragma omp atomic
            done++;
            if (!c.quiet && tid == 0)
                sd_cli_progress(&c, done, ntask);
        }
    }
    if (st != SD_OK)
        goto fail;
    for (i = 1; i < (size_t)nthreads; i++) { /* merge the law counts (integers: any order) */
        int a;
        size_t x;
        for (a = 0; a < NALG; a++) {
            for (x = 0; x < m->V; x++)
                lc[a].first[x] += lc[i * NALG + (size_t)a].first[x];
            for (x = 0; x < PIT_BINS; x++)
                lc[a].pit[x] += lc[i * NALG + (size_t)a].pit[x];
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    secs_sim = (double)(t0.tv_sec - t1.tv_sec) + 1e-9 * (double)(t0.tv_nsec - t1.tv_nsec);

    rc = report(&c, &P, m, S, pmf_all, set, nset, ra, lc, ws, tokens, lens, secs_trace, secs_sim,
                &L, &err);
    goto cleanup;
fail:
    rc = sd_cli_fail(&c, &err);
cleanup:
    for (i = 0; ra && i < nset; i++)
        sd_free(ra[i].T);
    for (i = 0; lc && i < (size_t)nthreads * NALG; i++)
        sd_free(lc[i].first);
    for (i = 0; ws && i < (size_t)nthreads; i++)
        work_free(&ws[i]);
    sd_free(ws);
    sd_free(ra);
    sd_free(lc);
    sd_free(set);
    sd_free(S);
    sd_free(tokens);
    sd_free(lens);
    sd_free(cum1);
    for (d = 0; d < ND; d++)
        sd_free(pmf_all[d]);
    sd_checklist_free(&L);
    sd_ngram_free(m);
    (void)e;
    return rc;
}

/* The defaults, and the option table's two kinds of rows. */
static const params defaults = {NGRAM_DEFAULT_MODEL, 300, 30, 0, 8, 4, 1, 2, {0.02, 0.1},
                                {0.1, 0.2, 0.4, 0.8}, 2, 4, NULL, NULL};
#define OPT_SIZE(name, dest, min) {name, SD_ARG_SIZE, dest, NULL, min, 0, 0, NULL, NULL}
#define OPT_STRING(name, dest) {name, SD_ARG_STRING, dest, NULL, 0, 0, 0, NULL, NULL}

int main(int argc, char **argv)
{
    params P = defaults;
    {
        const sd_arg opts[] = {
            {"model", SD_ARG_INPUT, &P.model, NULL, 0, 0, 0, NULL, NULL},
            OPT_SIZE("sequences", &P.B, 2),
            OPT_SIZE("length", &P.N, 1),
            OPT_SIZE("vocab-limit", &P.vocab, 1),
            OPT_SIZE("gamma-max", &P.G, 1),
            {"cost", SD_ARG_DOUBLE_LIST, P.cost, &P.ncost, MAX_COST, 0.0, 1e300, NULL, NULL},
            {"eps", SD_ARG_DOUBLE_LIST, P.eps, &P.neps, MAX_EPS, 0.0, 1.0, NULL, NULL},
            OPT_SIZE("drafts-max", &P.K, 2),
            OPT_STRING("data-dir", &P.data_dir),
            OPT_STRING("trace-out", &P.trace_out),
            OPT_SIZE("trace-sequences", &P.trace_seq, 1),
            SD_ARG_END};
        const sd_prog prog = {"ngram", help, SD_PROG_MC | SD_PROG_OUTPUT, 200, 0, 0, 0, opts,
                              check, run};
        return sd_prog_run(&prog, argc, argv, &P);
    }
}
