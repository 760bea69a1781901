/* test_ngram - the back-off model module (src/ngram.c).
 *
 * On tests/tiny.arpa (read by sphinxbase, converted by it to its trie
 * binary, read back by the module): every row equals the back-off
 * formula worked out by hand from the file's log10 values.  The module
 * keeps the values as sphinxbase stores them (floats in base 1.0001:
 * about 1e-3 of a unit of log, i.e. relative 1e-7 in probability), so
 * the hand rows agree to 1e-6 relative.
 * On the CMU model (skipped with a message when it is not installed):
 * O(V) rows sum to 1 within 1e-12; unnormalised values equal
 * sphinxbase's own per-word lookups (ngram_tg_score / ngram_bg_score)
 * on 1200 random (context, word) pairs, to the integer truncation those
 * lookups apply (score - log_b(value) in [0, 1) up to float rounding);
 * and the O(listed) comparison of two rows (TV, over-acceptance sums,
 * alpha*_k, RRS) equals the dense computation on the full rows.
 * The lookups are raw back-off log probabilities: ngram_model_read
 * without a configuration applies language weight 1 and insertion
 * penalty 1 (log 0), and this sphinxbase's trie models have no unigram
 * weight (no interpolation with the uniform law); logmath base 1.0001 as
 * the file was written with.
 */
#include "testutil.h"

#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/ngram_model.h>

#include "alloc.h"
#include "block.h"
#include "ngram.h"
#include "otbound.h"
#include "rng.h"
#include "rrs.h"
#include "rrswor.h"

static const char *src_dir(void)
{
    const char *s = getenv("top_srcdir");
    return s && *s ? s : ".";
}

static const char *cmu_path(void)
{
    const char *s = getenv("NGRAM_MODEL");
    return s && *s ? s : "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin";
}

static sd_ngram *load_tiny(void)
{
    char path[1024];
    sd_ngram *m = NULL;
    sd_error e;
    snprintf(path, sizeof path, "%s/tests/tiny.arpa", src_dir());
    if (sd_ngram_load(path, 0, &m, &e) != SD_OK)
        fail_msg("loading %s: %s", path, e.msg);
    return m;
}

static double p10(double x) { return pow(10.0, x); }

/* Ids of the tiny model: the file's unigram order. */
enum { EOS = 0, BOS = 1, A = 2, B = 3, C = 4 };

static void check_row(const sd_ngram *m, int order, const uint32_t *h, size_t nh,
                      const double *hand)
{
    sd_ngram_row r;
    sd_error e;
    double d[5], z = 0.0;
    size_t i;
    assert_int_equal(sd_ngram_row_alloc(m, &r, &e), SD_OK);
    assert_int_equal(sd_ngram_row_build(m, order, h, nh, &r, &e), SD_OK);
    sd_ngram_row_dense(m, &r, d);
    for (i = 0; i < 5; i++)
        z += hand[i];
    for (i = 0; i < 5; i++) {
        assert_close(d[i], hand[i] / z, 1e-6);
        assert_close(sd_ngram_row_prob(m, &r, i), hand[i] / z, 1e-6);
    }
    assert_true(d[BOS] == 0.0);
    sd_ngram_row_free(&r);
}

static void tiny_vocabulary(void **state)
{
    sd_ngram *m = load_tiny();
    (void)state;
    assert_int_equal(m->V, 5);
    assert_int_equal(m->bos, BOS);
    assert_int_equal(m->eos, EOS);
    assert_string_equal(m->words[A], "a");
    assert_int_equal(m->nb, 5);
    assert_int_equal(m->nt, 2);
    assert_int_equal(sd_ngram_id(m, "c"), C);
    assert_true(sd_ngram_id(m, "zzz") == SIZE_MAX);
    sd_ngram_free(m);
}

/* The rows of every order and back-off path, by hand from tiny.arpa. */
static void tiny_rows_by_hand(void **state)
{
    sd_ngram *m = load_tiny();
    const double pe = p10(-1.0), pa = p10(-0.3979), pb = p10(-0.5229), pc = p10(-0.6990);
    const double boa = p10(-0.25), bob = p10(-0.1), bos = p10(-0.3);
    (void)state;
    { /* unigram */
        const double hand[5] = {pe, 0, pa, pb, pc};
        check_row(m, 1, NULL, 0, hand);
    }
    { /* bigram after a: a </s> and a b listed, the rest bo(a) p1 */
        const uint32_t h[1] = {A};
        const double hand[5] = {p10(-0.7), 0, boa * pa, p10(-0.3), boa * pc};
        check_row(m, 2, h, 1, hand);
        check_row(m, 3, h, 1, hand); /* one word of history: the bigram applies */
    }
    { /* bigram after <s>: <s> a, <s> b listed */
        const uint32_t h[1] = {BOS};
        const double hand[5] = {bos * pe, 0, p10(-0.2), p10(-0.5), bos * pc};
        check_row(m, 2, h, 1, hand);
    }
    { /* trigram after <s> a: <s> a b listed; a </s> backs off through bo(<s> a) */
        const uint32_t h[2] = {BOS, A};
        const double b2 = p10(-0.1);
        const double hand[5] = {b2 * p10(-0.7), 0, b2 * boa * pa, p10(-0.1), b2 * boa * pc};
        check_row(m, 3, h, 2, hand);
    }
    { /* trigram after a b: a b c listed; the rest bo(a b) bo(b) p1 */
        const uint32_t h[2] = {A, B};
        const double b2 = p10(-0.2);
        const double hand[5] = {b2 * bob * pe, 0, b2 * bob * pa, b2 * bob * pb, p10(-0.15)};
        check_row(m, 3, h, 2, hand);
    }
    { /* trigram after c a: the bigram c a is not listed (bo 1): the bigram row of a */
        const uint32_t h[2] = {C, A};
        const double hand[5] = {p10(-0.7), 0, boa * pa, p10(-0.3), boa * pc};
        check_row(m, 3, h, 2, hand);
    }
    { /* trigram after b c: b c listed with bo 1, c has no successors: unigram */
        const uint32_t h[2] = {B, C};
        const double hand[5] = {pe, 0, pa, pb, pc};
        check_row(m, 3, h, 2, hand);
    }
    sd_ngram_free(m);
}

/* Dense computations of the pair quantities, on full rows p, q. */
static void dense_pair(const double *p, const double *q, size_t V, double eps, double *tv,
                       double *rej, double *lopt, double *luno)
{
    double acc = 0.0, lo = 0.0, u = 0.0, t = 0.0;
    size_t x;
    for (x = 0; x < V; x++) {
        double bp = fmin(p[x], q[x] + eps);
        acc += bp;
        lo += fmax(bp - q[x], 0.0);
        t += fmax(q[x] - p[x], 0.0);
    }
    for (x = 0; x < V; x++)
        u += fabs(fmin(p[x], q[x] + eps) - acc * q[x]);
    *tv = t;
    *rej = 1.0 - acc;
    *lopt = lo;
    *luno = 0.5 * u;
}

/* The draft (order op) and target (order oq) rows after h at one
 * context: dense p, q (V each, malloc'd) and their compressed pair. */
typedef struct {
    sd_ngram_row rp, rq;
    sd_ngram_pair pr;
    double *p, *q;
} pair_case;

static void pair_case_init(pair_case *pc, const sd_ngram *m, int op, int oq, const uint32_t *h,
                           size_t nh)
{
    sd_error e;
    pc->p = malloc(m->V * sizeof(double));
    pc->q = malloc(m->V * sizeof(double));
    assert_non_null(pc->p);
    assert_non_null(pc->q);
    assert_int_equal(sd_ngram_row_alloc(m, &pc->rp, &e), SD_OK);
    assert_int_equal(sd_ngram_row_alloc(m, &pc->rq, &e), SD_OK);
    assert_int_equal(sd_ngram_pair_alloc(m, &pc->pr, &e), SD_OK);
    assert_int_equal(sd_ngram_row_build(m, op, h, nh, &pc->rp, &e), SD_OK);
    assert_int_equal(sd_ngram_row_build(m, oq, h, nh, &pc->rq, &e), SD_OK);
    sd_ngram_row_dense(m, &pc->rp, pc->p);
    sd_ngram_row_dense(m, &pc->rq, pc->q);
    sd_ngram_compare(m, &pc->rp, &pc->rq, &pc->pr);
}

static void pair_case_free(pair_case *pc)
{
    sd_ngram_row_free(&pc->rp);
    sd_ngram_row_free(&pc->rq);
    sd_ngram_pair_free(&pc->pr);
    free(pc->p);
    free(pc->q);
}

/* The O(listed) comparison against dense rows, on one pair of contexts. */
static void compare_one(const sd_ngram *m, int op, int oq, const uint32_t *h, size_t nh,
                        int with_mincut)
{
    pair_case pc;
    const sd_ngram_pair *const pr = &pc.pr;
    const double *p, *q;
    sd_error e;
    double *tmp = malloc(2 * (m->V + 1) * sizeof(double));
    const double eps[] = {0.0, 0.1, 0.4, 0.8};
    size_t i, k;
    assert_non_null(tmp);
    pair_case_init(&pc, m, op, oq, h, nh);
    p = pc.p;
    q = pc.q;
    for (i = 0; i < 4; i++) {
        double tv, rej, lo, lu, crej, clo, clu;
        dense_pair(p, q, m->V, eps[i], &tv, &rej, &lo, &lu);
        assert_close(pr->tv, tv, 1e-12);
        sd_ngram_overaccept(m, pr, eps[i], &crej, &clo, &clu);
        assert_close(crej, rej, 1e-12);
        assert_close(clo, lo, 1e-12);
        assert_close(clu, lu, 1e-12);
    }
    for (i = 0; i < 50 && i < m->V; i++) { /* single words */
        size_t w = (i * 7919u) % m->V;
        double a, b;
        sd_ngram_pair_word(m, pr, w, &a, &b);
        assert_close(a, p[w], 1e-12);
        assert_close(b, q[w], 1e-12);
    }
    for (k = 1; k <= 4; k++) {
        /* alpha*_k: compressed sorted prefix = dense sorted prefix (= min-cut) */
        double ac4[4], ad4[4], ac, ad;
        assert_int_equal(sd_ot_prefix_all(pr->p, pr->q, pr->n + 1, 4, ac4, &e), SD_OK);
        assert_int_equal(sd_ot_prefix_all(p, q, m->V, 4, ad4, &e), SD_OK);
        ac = ac4[k - 1];
        ad = ad4[k - 1];
        assert_close(ac, ad, 1e-12);
        if (k == 1)
            assert_close(ac, 1.0 - pr->tv, 1e-12); /* alpha*_1 = 1 - TV */
        if (with_mincut) {
            double mc;
            assert_int_equal(sd_ot_mincut(p, q, m->V, k, &mc, &e), SD_OK);
            assert_close(ac, mc, 1e-12);
        }
        /* RRS: the rest block is one item of the residual recursion */
        {
            double *tmpd = malloc(2 * m->V * sizeof(double));
            assert_non_null(tmpd);
            assert_close(sd_rrs_rho(pr->p, pr->q, pr->n + 1, k, tmp),
                         sd_rrs_rho(p, q, m->V, k, tmpd), 1e-12);
            free(tmpd);
        }
    }
    pair_case_free(&pc);
    free(tmp);
}

/* RRS without replacement with 2 drafts at one context: the O(V) form on
 * the compressed pair against rrswor.h's walk over the rejection paths
 * on the dense rows (restricted to their support, where the walk is
 * cheap), for every word of the support.  Returns the number of words
 * where the value is positive. */
static size_t check_wor2(const sd_ngram *m, int op, int oq, const uint32_t *h, size_t nh)
{
    pair_case pc;
    sd_error e;
    sd_step stp;
    sd_rrs_wor_ws *ws;
    double *p, *q;
    size_t *id = malloc(m->V * sizeof(size_t)), n = 0, i, positive = 0;
    assert_non_null(id);
    pair_case_init(&pc, m, op, oq, h, nh);
    p = pc.p;
    q = pc.q;
    for (i = 0; i < m->V; i++)
        if (p[i] > 0.0 || q[i] > 0.0) {
            id[n] = i;
            p[n] = p[i];
            q[n++] = q[i];
        }
    assert_true(sd_rrs_wor_cost(p, q, n, 2) < 1e9);
    ws = sd_rrs_wor_ws_alloc(n, 2);
    assert_non_null(ws);
    assert_int_equal(sd_step_alloc(&stp, n, &e), SD_OK);
    assert_int_equal(sd_rrs_wor_step(p, q, n, 2, ws, &stp, &e), SD_OK);
    for (i = 0; i < n; i++) {
        double want = q[i] > 0.0 ? stp.rej * stp.res[i] / q[i] : 0.0;
        double got = sd_ngram_wor2_reject(m, &pc.pr, id[i]);
        assert_close(got, want, 1e-11);
        positive += want > 0.0;
    }
    sd_step_free(&stp);
    sd_rrs_wor_ws_free(ws);
    pair_case_free(&pc);
    free(id);
    return positive; /* words with a positive value */
}

/* ---- block verification along a path, by brute force ------------------ */

/* Dense rows of the draft (order od) and the target after hist[0..len-1]. */
static void rows_at(const sd_ngram *m, int od, const uint32_t *hist, size_t len, double *p,
                    double *q)
{
    sd_ngram_row r;
    sd_error e;
    assert_int_equal(sd_ngram_row_alloc(m, &r, &e), SD_OK);
    assert_int_equal(sd_ngram_row_build(m, od, hist, len, &r, &e), SD_OK);
    sd_ngram_row_dense(m, &r, p);
    assert_int_equal(sd_ngram_row_build(m, 3, hist, len, &r, &e), SD_OK);
    sd_ngram_row_dense(m, &r, q);
    sd_ngram_row_free(&r);
}

#define BF_MAXV 5
#define BF_MAXG 3

typedef struct {
    const sd_ngram *m;
    int od;
    size_t gamma, T;
    uint32_t hist[16]; /* <s> and the path */
} brute;

/* Every execution of block verification from the round start s (0-based
 * word of the path) on: the drafts enumerated word by word (drafting stops
 * at </s>), the last passing index tau with its probability, the word Y
 * after it.  Only executions emitting the path's words count.  *F = their
 * probability, *Cw = that weighted by the calls, *Aw by the drafts accepted
 * (sums over the rounds from s). */
static void brute_from(brute *bf, size_t s, double *F, double *Cw, double *Aw)
{
    const sd_ngram *m = bf->m;
    const size_t V = m->V;
    uint32_t blk[16];
    double P[BF_MAXG + 2][BF_MAXV], Q[BF_MAXG + 2][BF_MAXV];
    size_t idx[BF_MAXG + 1] = {0}, h, i, tau, x;
    *F = *Cw = *Aw = 0.0;
    if (s == bf->T) {
        *F = 1.0;
        return;
    }
    memcpy(blk, bf->hist, (s + 1) * sizeof *blk);
    /* odometer over draft blocks X_1..X_h, h <= gamma (shorter after </s>) */
    for (;;) {
        double wb = 1.0, pw[BF_MAXG + 1], hh[BF_MAXG + 1];
        int stop = 0;
        for (h = 0; h < bf->gamma && !stop; h++) {
            rows_at(m, bf->od, blk, s + 1 + h, P[h], Q[h]);
            blk[s + 1 + h] = (uint32_t)idx[h];
            wb *= P[h][idx[h]];
            stop = idx[h] == m->eos;
        }
        if (!stop)
            rows_at(m, bf->od, blk, s + 1 + h, P[h], Q[h]);
        pw[0] = 1.0;
        for (i = 1; i <= h; i++)
            pw[i] = fmin(pw[i - 1] * Q[i - 1][blk[s + i]] / P[i - 1][blk[s + i]], 1.0);
        hh[0] = 1.0;
        for (i = 1; i <= h; i++) {
            double rho = 0.0, den;
            for (x = 0; x < V; x++)
                rho += fmax(pw[i] * Q[i][x] - P[i][x], 0.0);
            den = rho + 1.0 - pw[i];
            hh[i] = i == h ? pw[h] : den > 0.0 ? rho / den : 1.0;
        }
        for (tau = 0; wb > 0.0 && tau <= h; tau++) {
            double pt = hh[tau], py = 1.0, f, c, a;
            size_t next = s + tau, ok = 1;
            for (i = tau + 1; i <= h; i++)
                pt *= 1.0 - hh[i];
            for (i = 1; i <= tau; i++)
                ok &= next <= bf->T && blk[s + i] == bf->hist[s + i];
            if (!ok || pt <= 0.0)
                continue;
            if (!(tau == h && stop)) { /* Y: the bonus or from the residual */
                double tot = 0.0, yv;
                const uint32_t y = next < bf->T ? bf->hist[next + 1] : 0;
                if (next >= bf->T)
                    continue;
                for (x = 0; x < V; x++)
                    tot += tau == h ? Q[tau][x] : fmax(pw[tau] * Q[tau][x] - P[tau][x], 0.0);
                yv = tau == h ? Q[tau][y] : fmax(pw[tau] * Q[tau][y] - P[tau][y], 0.0);
                py = tot > 0.0 ? yv / tot : 0.0;
                next++;
            } else if (next != bf->T) {
                continue; /* the block ended the sequence before the path did */
            }
            if (py <= 0.0)
                continue;
            brute_from(bf, next, &f, &c, &a);
            *F += wb * pt * py * f;
            *Cw += wb * pt * py * (c + f);
            *Aw += wb * pt * py * (a + (double)tau * f);
        }
        /* next block */
        for (i = h; i-- > 0;) {
            if (++idx[i] < V) {
                size_t j;
                for (j = i + 1; j <= BF_MAXG; j++)
                    idx[j] = 0;
                break;
            }
            idx[i] = 0;
        }
        if (i == SIZE_MAX)
            break;
    }
}

/* On every path of tiny.arpa of up to 4 words ending in </s>, and draft
 * lengths 1..3: block verification's expected calls and accepted drafts
 * given the path, by brute force over the executions, equal
 * sd_block_path's values from the path words' probabilities; and the
 * executions that emit the path have its target probability (lossless). */
static void tiny_block_on_paths(void **state)
{
    sd_ngram *m = load_tiny();
    const uint32_t words[3] = {A, B, C};
    size_t len, code, g, t, od, cases = 0;
    (void)state;
    assert_true(m->V <= BF_MAXV);
    for (len = 1; len <= 4; len++)
        for (code = 0; code < (size_t)pow(3.0, (double)len - 1); code++)
            for (od = 1; od <= 2; od++)
                for (g = 1; g <= BF_MAXG; g++) {
                    brute bf;
                    double px[4], qx[4], start[5], qpath = 1.0, F, Cw, Aw;
                    sd_block_path_row row;
                    size_t c = code;
                    bf.m = m;
                    bf.od = (int)od;
                    bf.gamma = g;
                    bf.T = len;
                    bf.hist[0] = BOS;
                    for (t = 1; t < len; t++, c /= 3)
                        bf.hist[t] = words[c % 3];
                    bf.hist[len] = EOS;
                    for (t = 0; t < len; t++) {
                        double p[BF_MAXV], q[BF_MAXV];
                        rows_at(m, (int)od, bf.hist, t + 1, p, q);
                        px[t] = p[bf.hist[t + 1]];
                        qx[t] = q[bf.hist[t + 1]];
                        qpath *= qx[t];
                    }
                    if (!(qpath > 0.0))
                        continue;
                    brute_from(&bf, 0, &F, &Cw, &Aw);
                    assert_close(F, qpath, 1e-12);
                    assert_int_equal(sd_block_path(px, qx, len, g, start, &row, NULL), SD_OK);
                    assert_close(row.calls, Cw / F, 1e-12);
                    assert_close(row.accepted, Aw / F, 1e-12);
                    cases++;
                }
    assert_true(cases >= 100);
    sd_ngram_free(m);
}

static void tiny_compare_dense(void **state)
{
    sd_ngram *m = load_tiny();
    const uint32_t hs[][2] = {{BOS, A}, {A, B}, {C, A}, {B, C}, {A, EOS}};
    size_t i, positive = 0;
    (void)state;
    for (i = 0; i < 5; i++) {
        compare_one(m, 2, 3, hs[i], 2, 1);
        compare_one(m, 1, 3, hs[i], 2, 1);
        compare_one(m, 1, 2, hs[i], 2, 1);
        positive += check_wor2(m, 2, 3, hs[i], 2);
        positive += check_wor2(m, 1, 3, hs[i], 2);
        positive += check_wor2(m, 1, 2, hs[i], 2);
    }
    assert_true(positive > 0);
    sd_ngram_free(m);
}

/* sphinxbase's integer score of w after (u, v) (u = SIZE_MAX: bigram). */
static int32 sphinx_score(ngram_model_t *nm, size_t u, size_t v, size_t w)
{
    int32 used;
    if (u == SIZE_MAX)
        return ngram_bg_score(nm, (int32)w, (int32)v, &used);
    return ngram_tg_score(nm, (int32)w, (int32)v, (int32)u, &used);
}

/* Unnormalised values against sphinxbase's lookups: score = trunc of the
 * float sum of the stored logs, so score - log_b(value) is in [0, 1)
 * up to the float rounding of that sum (< 0.05 for values < 2^22). */
static size_t lookups_agree(sd_ngram *m, const char *path, size_t pairs, uint64_t seed)
{
    logmath_t *lm;
    ngram_model_t *nm;
    sd_ngram_row r;
    sd_error e;
    size_t i, bad = 0;
    uint64_t s = seed;
    const double lnb = log1p(SD_NGRAM_LOGBASE - 1.0);
    err_set_logfp(NULL);
    lm = logmath_init(SD_NGRAM_LOGBASE, 0, 0);
    nm = ngram_model_read(NULL, path, NGRAM_AUTO, lm);
    assert_non_null(nm);
    assert_int_equal(sd_ngram_row_alloc(m, &r, &e), SD_OK);
    for (i = 0; i < pairs; i++) {
        size_t u, v, w, j;
        uint32_t h[2];
        int order = (i % 4 == 3) ? 2 : 3;
        double val, L;
        int32 sc;
        /* half the contexts are listed trigram contexts, half random words */
        if (i % 2 == 0 && m->nb > 0) {
            size_t c = sd_splitmix64(&s) % m->nb;
            v = m->b_word[c];
            for (u = 0; m->b_off[u + 1] <= c; u++)
                ;
        } else {
            u = sd_splitmix64(&s) % m->V;
            v = sd_splitmix64(&s) % m->V;
        }
        h[0] = (uint32_t)u;
        h[1] = (uint32_t)v;
        assert_int_equal(sd_ngram_row_build(m, order, h, 2, &r, &e), SD_OK);
        /* half the words listed in the row, half random */
        if (i % 3 != 0 && r.n > 0)
            w = r.w[sd_splitmix64(&s) % r.n];
        else
            w = sd_splitmix64(&s) % m->V;
        if (w == m->bos)
            w = m->eos;
        j = 0;
        while (j < r.n && r.w[j] < w)
            j++;
        val = (j < r.n && r.w[j] == w) ? r.val[j] : r.a * m->p1[w];
        L = log(val) / lnb;
        sc = sphinx_score(nm, order == 2 ? SIZE_MAX : u, v, w);
        if (!(sc - L >= -0.05 && sc - L < 1.05)) {
            if (bad < 5)
                print_message("# %s %s -> %s: sphinxbase %d, module %.4f\n",
                              order == 3 ? m->words[u] : "", m->words[v], m->words[w], sc, L);
            bad++;
        }
    }
    sd_ngram_row_free(&r);
    ngram_model_free(nm);
    logmath_free(lm);
    return bad;
}

static void tiny_lookups(void **state)
{
    char path[1024];
    sd_ngram *m = load_tiny();
    (void)state;
    snprintf(path, sizeof path, "%s/tests/tiny.arpa", src_dir());
    assert_int_equal(lookups_agree(m, path, 200, 3), 0);
    sd_ngram_free(m);
}

static sd_ngram *load_cmu(void)
{
    sd_ngram *m = NULL;
    sd_error e;
    if (access(cmu_path(), R_OK) != 0)
        return NULL;
    if (sd_ngram_load(cmu_path(), 0, &m, &e) != SD_OK)
        fail_msg("loading %s: %s", cmu_path(), e.msg);
    return m;
}

#define SKIP_WITHOUT_CMU(m)                                                              \
    do {                                                                                 \
        if (!(m)) {                                                                      \
            print_message("# %s not installed (pocketsphinx-en-us): skipped\n", cmu_path()); \
            skip();                                                                      \
        }                                                                                \
    } while (0)

static sd_ngram *cmu;

static int cmu_setup(void **state)
{
    (void)state;
    cmu = load_cmu();
    return 0;
}

static int cmu_teardown(void **state)
{
    (void)state;
    sd_ngram_free(cmu);
    cmu = NULL;
    return 0;
}

static void cmu_counts_and_sums(void **state)
{
    sd_ngram_row r;
    sd_error e;
    double *d;
    uint64_t s = 11;
    size_t i, x;
    (void)state;
    SKIP_WITHOUT_CMU(cmu);
    assert_int_equal(cmu->V, 72547);
    assert_true(cmu->nb > 2000000 && cmu->nt > 1600000);
    assert_true(fabs(cmu->p1_sum - 1.0) < 1e-3); /* a unigram law, in base 1.0001 */
    d = malloc(cmu->V * sizeof(double));
    assert_non_null(d);
    assert_int_equal(sd_ngram_row_alloc(cmu, &r, &e), SD_OK);
    for (i = 0; i < 60; i++) {
        uint32_t h[2];
        double sum = 0.0, c = 0.0;
        size_t cc = sd_splitmix64(&s) % cmu->nb;
        h[1] = cmu->b_word[cc];
        for (h[0] = 0; cmu->b_off[h[0] + 1] <= cc; h[0]++)
            ;
        assert_int_equal(sd_ngram_row_build(cmu, 1 + (int)(i % 3), h, 2, &r, &e), SD_OK);
        sd_ngram_row_dense(cmu, &r, d);
        for (x = 0; x < cmu->V; x++) { /* compensated, so the test sees the row's error */
            double t = sum + d[x];
            c += fabs(sum) >= fabs(d[x]) ? (sum - t) + d[x] : (d[x] - t) + sum;
            sum = t;
        }
        assert_true(fabs(sum + c - 1.0) <= 1e-12);
        assert_true(d[cmu->bos] == 0.0);
    }
    sd_ngram_row_free(&r);
    free(d);
}

static void cmu_lookups(void **state)
{
    (void)state;
    SKIP_WITHOUT_CMU(cmu);
    assert_int_equal(lookups_agree(cmu, cmu_path(), 1200, 7), 0);
}

static void cmu_compare_dense(void **state)
{
    const char *ctx[][2] = {{"<s>", "the"}, {"of", "the"}, {"in", "a"}, {"<s>", "<s>"},
                            {"united", "states"}};
    size_t i;
    (void)state;
    SKIP_WITHOUT_CMU(cmu);
    for (i = 0; i < 5; i++) {
        uint32_t h[2];
        h[0] = (uint32_t)sd_ngram_id(cmu, ctx[i][0]);
        h[1] = (uint32_t)sd_ngram_id(cmu, ctx[i][1]);
        assert_true(h[0] < cmu->V && h[1] < cmu->V);
        compare_one(cmu, 2, 3, h, 2, 0);
        compare_one(cmu, 1, 3, h, 2, 0);
    }
}

static void cmu_vocab_limit(void **state)
{
    sd_ngram *m = NULL;
    sd_ngram_row r;
    sd_error e;
    uint32_t h[2];
    size_t x, kept = 0;
    double *d;
    (void)state;
    SKIP_WITHOUT_CMU(cmu);
    assert_int_equal(sd_ngram_load(cmu_path(), 1000, &m, &e), SD_OK);
    for (x = 0; x < m->V; x++)
        kept += m->p1[x] > 0.0;
    assert_true(kept == 1000 || kept == 1001); /* </s> is kept in any case */
    assert_true(m->p1[m->eos] > 0.0);
    d = malloc(m->V * sizeof(double));
    assert_non_null(d);
    assert_int_equal(sd_ngram_row_alloc(m, &r, &e), SD_OK);
    h[0] = (uint32_t)m->bos;
    h[1] = (uint32_t)sd_ngram_id(m, "the");
    assert_int_equal(sd_ngram_row_build(m, 3, h, 2, &r, &e), SD_OK);
    sd_ngram_row_dense(m, &r, d);
    for (x = 0; x < m->V; x++)
        if (m->p1[x] == 0.0)
            assert_true(d[x] == 0.0);
    /* RRS without replacement, 2 drafts: the rest block is many words */
    kept = check_wor2(m, 2, 3, h, 2) + check_wor2(m, 1, 3, h, 2);
    h[0] = (uint32_t)sd_ngram_id(m, "in");
    h[1] = (uint32_t)sd_ngram_id(m, "a");
    kept += check_wor2(m, 2, 3, h, 2) + check_wor2(m, 1, 3, h, 2);
    assert_true(kept > 10);
    sd_ngram_row_free(&r);
    free(d);
    sd_ngram_free(m);
}

/* Errors: a missing file, a text that is no model, a truncated trie. */
static void bad_files(void **state)
{
    char path[1024], tiny[1024], bin[1024];
    sd_ngram *m = (sd_ngram *)1;
    sd_error e;
    logmath_t *lm;
    ngram_model_t *nm;
    FILE *f;
    unsigned char *buf;
    long n;
    (void)state;
    assert_int_equal(sd_ngram_load("/nonexistent/model.bin", 0, &m, &e), SD_EIO);
    assert_null(m);
    assert_non_null(strstr(e.msg, "/nonexistent/model.bin"));
    sd_test_path(path, sizeof path, "garbage.lm");
    sd_test_write_file(path, "hello\nworld\n", 12);
    assert_int_equal(sd_ngram_load(path, 0, &m, &e), SD_EFORMAT);
    assert_non_null(strstr(e.msg, "not a language model"));
    /* the tiny model as a trie binary, then truncated and altered */
    snprintf(tiny, sizeof tiny, "%s/tests/tiny.arpa", src_dir());
    sd_test_path(bin, sizeof bin, "tiny.lm.bin");
    err_set_logfp(NULL);
    lm = logmath_init(SD_NGRAM_LOGBASE, 0, 0);
    nm = ngram_model_read(NULL, tiny, NGRAM_AUTO, lm);
    assert_non_null(nm);
    assert_int_equal(ngram_model_write(nm, bin, NGRAM_BIN), 0);
    ngram_model_free(nm);
    logmath_free(lm);
    assert_int_equal(sd_ngram_load(bin, 0, &m, &e), SD_OK);
    sd_ngram_free(m);
    f = fopen(bin, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    sd_test_write_file(bin, buf, (size_t)n - 3);
    assert_int_equal(sd_ngram_load(bin, 0, &m, &e), SD_EFORMAT);
    assert_null(m);
    buf[19] = 2; /* order 2 */
    sd_test_write_file(bin, buf, (size_t)n);
    assert_int_equal(sd_ngram_load(bin, 0, &m, &e), SD_ERANGE);
    buf[19] = 3;
    memcpy(buf + 20, "\xff\xff\xff\x7f", 4); /* V absurd */
    sd_test_write_file(bin, buf, (size_t)n);
    assert_int_equal(sd_ngram_load(bin, 0, &m, &e), SD_EFORMAT);
    free(buf);
}

/* Every allocation failure is a clean SD_ENOMEM without a leak. */
static sd_status load_attempt(void *ctx, int which)
{
    sd_ngram *m = NULL;
    sd_status st = sd_ngram_load(ctx, 0, &m, NULL);
    (void)which;
    if (st == SD_OK)
        sd_ngram_free(m);
    else
        assert_null(m);
    return st;
}

static void alloc_failures(void **state)
{
    char path[1024];
    (void)state;
    snprintf(path, sizeof path, "%s/tests/tiny.arpa", src_dir());
    sd_test_alloc_sweep(load_attempt, path, 1, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tiny_vocabulary),
        cmocka_unit_test(tiny_rows_by_hand),
        cmocka_unit_test(tiny_compare_dense),
        cmocka_unit_test(tiny_block_on_paths),
        cmocka_unit_test(tiny_lookups),
        cmocka_unit_test(bad_files),
        cmocka_unit_test(alloc_failures),
        cmocka_unit_test(cmu_counts_and_sums),
        cmocka_unit_test(cmu_lookups),
        cmocka_unit_test(cmu_compare_dense),
        cmocka_unit_test(cmu_vocab_limit),
    };
    int rc;
    rc = cmocka_run_group_tests(tests, cmu_setup, cmu_teardown);
    sd_test_cleanup(NULL);
    return rc;
}
