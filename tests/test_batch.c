/* test_batch.c - batch SD (Algorithm 4, Theorem 3) and tree verification
 * on chains, against brute-force enumeration of the literal algorithms.
 *
 * The references enumerate every path of the algorithms on tiny chains:
 * at a round start every tuple of the M drafts' first tokens (weight
 * prod P), RRS trial by trial (residuals recomputed here), then inside a
 * round the SD step along the accepted draft; for trees every tuple of
 * the k live drafts' tokens at every position, the live drafts at the
 * next position being those whose token was accepted.  Summation in long
 * double.  Nothing of the library's recursions is reused. */
#include "mcutil.h"
#include "token_instances.h"
#include "chain_ref.h"

#include <gsl/gsl_rng.h>

#include "rule.h"
#include "alloc.h"
#include "batch.h"
#include "check.h"
#include "exact.h"
#include "mc.h"
#include "model.h"
#include "rng.h"

#define MAXV 4
#define MAXM 4
#define MAXT 6

/* ---- the brute-force references ------------------------------------------ */

typedef struct {
    const sd_model *m;
    size_t M;
    int tree;
    long double *law; /* law[c] += weight of paths with c rejections */
} bf;

static void bf_go(const bf *b, size_t t, size_t s, size_t k, int start, size_t c,
                  long double w);

/* RRS trial i of the k drafts tok[] against residual r at (t, s). */
static void bf_trial(const bf *b, size_t t, size_t s, const size_t *tok, size_t k, size_t i,
                     const double *r, size_t c, long double w)
{
    const sd_model *m = b->m;
    const double *p = sd_model_p(m, t, s);
    double nxt[MAXV], a;
    size_t x, y, j, L;
    if (w == 0)
        return;
    if (i == k) { /* all rejected: emit from r, count, new round */
        for (y = 0; y < m->V; y++)
            if (r[y] > 0)
                bf_go(b, t + 1, y, b->M, 1, c + 1, w * r[y]);
        return;
    }
    x = tok[i];
    a = r[x] >= p[x] ? 1.0 : r[x] / p[x];
    if (a > 0) {
        for (j = 0, L = 0; j < k; j++)
            L += tok[j] == x;
        /* batch: the round goes on along draft i alone */
        bf_go(b, t + 1, x, b->tree ? L : 1, 0, c, w * a);
    }
    if (a < 1) {
        cr_residual(p, r, m->V, nxt);
        bf_trial(b, t, s, tok, k, i + 1, nxt, c, w * (1 - a));
    }
}

/* Position t with x_{t-1} = s and k live drafts (start: a round starts). */
static void bf_go(const bf *b, size_t t, size_t s, size_t k, int start, size_t c,
                  long double w)
{
    const sd_model *m = b->m;
    const size_t V = m->V;
    const double *p, *q;
    size_t tok[MAXM], n = 1, i, cc, code;
    if (t > m->T) {
        b->law[c] += w;
        return;
    }
    p = sd_model_p(m, t, s);
    q = sd_model_q(m, t, s);
    if (!start && !b->tree)
        k = 1; /* batch inside a round: one draft, the SD step */
    for (i = 0; i < k; i++)
        n *= V;
    for (code = 0; code < n; code++) {
        long double wt = w;
        for (i = 0, cc = code; i < k; i++, cc /= V) {
            tok[i] = cc % V;
            wt *= p[tok[i]];
        }
        if (wt > 0)
            bf_trial(b, t, s, tok, k, 0, q, c, wt);
    }
}

/* E[N_rej] of the literal algorithm (law summing to 1 checked). */
static double bf_mean(const sd_model *m, size_t M, int tree)
{
    long double law[MAXT + 1] = {0};
    bf b = {m, M, tree, law};
    size_t s;
    for (s = 0; s < m->V; s++)
        if (m->pi0[s] > 0)
            bf_go(&b, 1, s, M, 1, 0, m->pi0[s]);
    return cr_law_mean(law, m->T);
}

/* ---- cases ------------------------------------------------------------------- */

/* Exact batch and tree E[N_rej] against the enumerated literal
 * algorithms, over sizes, M and rows with zeros. */
/* batch (j = 0) and tree (j = 1) against the enumerated literal algorithm */
static void against_enumeration(const sd_model *m, size_t M, size_t j)
{
    sd_error err;
    double e;
    assert_int_equal(j ? sd_batch_tree_exact(m, M, &e, NULL, &err)
                       : sd_batch_exact(m, M, &e, NULL, &err), SD_OK);
    assert_close(e, bf_mean(m, M, (int)j), 1e-12);
}

static void test_against_enumeration(void **state)
{
    static const size_t cfg[][3] = {{2, 2, 5}, {2, 3, 4}, {3, 2, 4}, {3, 3, 3}, {2, 4, 3},
                                    {1, 3, 3}, {3, 1, 5}, {4, 2, 3}};
    (void)state;
    cr_sweep(21, cfg, sizeof cfg / sizeof cfg[0], 2, against_enumeration);
}

/* M = 1: batch and tree are Algorithm SD, so Theorem 1's value, on
 * stationary and nonstationary chains of several sizes. */
static void test_one_draft_is_theorem1(void **state)
{
    sd_error err;
    int i;
    (void)state;
    for (i = 0; i < 40; i++) {
        sd_model m;
        double e1, eb, et;
        size_t V = 1 + (size_t)i % 9, T = 1 + (size_t)(i * 7) % 30;
        assert_int_equal(sd_model_random(&m, V, T, i % 3 ? SD_FAMILY_PAPER : SD_FAMILY_DIRICHLET,
                                         0.3, i % 2, 100 + (uint64_t)i, &err), SD_OK);
        assert_int_equal(sd_exact_sd_mean(&m, &e1, &err), SD_OK);
        assert_int_equal(sd_batch_exact(&m, 1, &eb, NULL, &err), SD_OK);
        assert_int_equal(sd_batch_tree_exact(&m, 1, &et, NULL, &err), SD_OK);
        assert_close(eb, e1, 1e-12);
        assert_close(et, e1, 1e-12);
        sd_model_free(&m);
    }
}

/* tree <= batch <= SD for M = 2..6 on many seeded instances (paper and
 * sparse Dirichlet rows), and the batch value stays above its limit. */
static void test_tree_below_batch_below_sd(void **state)
{
    sd_error err;
    int i;
    (void)state;
    for (i = 0; i < 60; i++) {
        sd_model m;
        double e1, eb, et, lim;
        size_t V = 2 + (size_t)i % 7, T = 1 + (size_t)(i * 5) % 20, M;
        assert_int_equal(sd_model_random(&m, V, T, i % 2 ? SD_FAMILY_PAPER : SD_FAMILY_DIRICHLET,
                                         0.2, 0, 200 + (uint64_t)i, &err), SD_OK);
        assert_int_equal(sd_exact_sd_mean(&m, &e1, &err), SD_OK);
        assert_int_equal(sd_batch_limit(&m, &lim, &err), SD_OK);
        for (M = 2; M <= 6; M++) {
            assert_int_equal(sd_batch_exact(&m, M, &eb, NULL, &err), SD_OK);
            assert_int_equal(sd_batch_tree_exact(&m, M, &et, NULL, &err), SD_OK);
            assert_true(eb <= e1 + 1e-12);
            assert_true(et <= eb + 1e-12);
            assert_true(lim <= eb + 1e-12);
        }
        sd_model_free(&m);
    }
}

/* Theorem 3(b) in its printed form, sum_t sum_s g_t tau_t - f_t BI_M,
 * with g the q-marginal (sd_exact_token_laws) and f the round-start law,
 * equals the engine's value. */
static void test_theorem3_form(void **state)
{
    sd_model m;
    sd_error err;
    double *f, *g, *tmp, E, F = 0.0, tau[8];
    size_t t, s, M = 4, V = 7, T = 30, *pos;
    (void)state;
    assert_int_equal(sd_model_random(&m, V, T, SD_FAMILY_PAPER, 1.0, 0, 7, &err), SD_OK);
    f = malloc(T * V * sizeof *f);
    g = malloc(T * V * sizeof *g);
    tmp = malloc(2 * V * sizeof *tmp);
    pos = malloc(T * sizeof *pos);
    assert_non_null(f);
    assert_non_null(g);
    assert_non_null(tmp);
    assert_non_null(pos);
    for (t = 1; t < T; t++)
        pos[t - 1] = t; /* g_{t+1} = law of x_t */
    memcpy(g, m.pi0, V * sizeof *g);
    assert_int_equal(sd_exact_token_laws(&m, T - 1, pos, g + V, &err), SD_OK);
    assert_int_equal(sd_batch_exact(&m, M, &E, f, &err), SD_OK);
    for (t = 1; t <= T; t++) {
        sd_exact_tv_rows(&m, t, tau);
        for (s = 0; s < V; s++)
            F += g[(t - 1) * V + s] * tau[s] -
                 f[(t - 1) * V + s] *
                     sd_rrs_bi(sd_model_p(&m, t, s), sd_model_q(&m, t, s), V, M, tmp);
    }
    assert_close(E, F, 1e-12);
    free(f);
    free(g);
    free(tmp);
    free(pos);
    sd_model_free(&m);
}

/* Proposition 1: the batch value converges to the limit; with P = 0
 * where Q > 0 the limit is positive. */
static void test_limit(void **state)
{
    sd_model m;
    sd_error err;
    double lim, e;
    gsl_rng *r = sd_rng_stream_alloc(NULL, 22, 0);
    (void)state;
    cr_chain(&m, r, 3, 4, 0.0);
    assert_int_equal(sd_batch_limit(&m, &lim, &err), SD_OK);
    assert_int_equal(sd_batch_exact(&m, 20000, &e, NULL, &err), SD_OK);
    assert_close(e, lim, 1e-9);
    sd_model_free(&m);
    /* zeros: P(0) = 0 in every draft row, Q(0) = 1/2 */
    assert_int_equal(sd_model_alloc(&m, 2, 3, 1, 1, &err), SD_OK);
    m.P[0] = 0.0; m.P[1] = 1.0; m.P[2] = 0.0; m.P[3] = 1.0;
    m.Q[0] = 0.5; m.Q[1] = 0.5; m.Q[2] = 0.5; m.Q[3] = 0.5;
    assert_int_equal(sd_batch_limit(&m, &lim, &err), SD_OK);
    /* every round start rejects with 1/2 whatever M; a round that
     * accepted goes on with SD, TV = 1/2: E = 3 * 1/2 */
    assert_close(lim, 1.5, 1e-14);
    assert_int_equal(sd_batch_exact(&m, 7, &e, NULL, &err), SD_OK);
    assert_close(e, 1.5, 1e-14);
    sd_model_free(&m);
    gsl_rng_free(r);
}

/* Hand-computed edge cases: V = 1, p = q, disjoint supports (every
 * position rejects: E = T), T = 1 (E = sum pi0 rho_M). */
static void test_edge_cases(void **state)
{
    sd_model m;
    sd_error err;
    double e, tmp[16];
    size_t M, s;
    (void)state;
    assert_int_equal(sd_model_random(&m, 1, 5, SD_FAMILY_PAPER, 1.0, 0, 1, &err), SD_OK);
    for (M = 1; M <= 4; M++) {
        assert_int_equal(sd_batch_exact(&m, M, &e, NULL, &err), SD_OK);
        assert_true(e == 0.0);
        assert_int_equal(sd_batch_tree_exact(&m, M, &e, NULL, &err), SD_OK);
        assert_true(e == 0.0);
    }
    sd_model_free(&m);
    /* p = q */
    assert_int_equal(sd_model_random(&m, 4, 6, SD_FAMILY_PAPER, 1.0, 0, 2, &err), SD_OK);
    memcpy(m.P, m.Q, 6 * 16 * sizeof(double));
    assert_int_equal(sd_batch_exact(&m, 3, &e, NULL, &err), SD_OK);
    assert_close(e, 0.0, 1e-14);
    assert_int_equal(sd_batch_tree_exact(&m, 3, &e, NULL, &err), SD_OK);
    assert_close(e, 0.0, 1e-14);
    sd_model_free(&m);
    /* disjoint supports, one-hot draft rows: P always drafts token 0, Q never emits it */
    assert_int_equal(sd_model_alloc(&m, 3, 4, 1, 1, &err), SD_OK);
    for (s = 0; s < 3; s++) {
        m.P[s * 3 + 0] = 1.0; m.P[s * 3 + 1] = 0.0; m.P[s * 3 + 2] = 0.0;
        m.Q[s * 3 + 0] = 0.0; m.Q[s * 3 + 1] = 0.3; m.Q[s * 3 + 2] = 0.7;
    }
    for (M = 1; M <= 4; M++) {
        assert_int_equal(sd_batch_exact(&m, M, &e, NULL, &err), SD_OK);
        assert_close(e, 4.0, 1e-14);
        assert_int_equal(sd_batch_tree_exact(&m, M, &e, NULL, &err), SD_OK);
        assert_close(e, 4.0, 1e-14);
    }
    sd_model_free(&m);
    /* T = 1 */
    assert_int_equal(sd_model_random(&m, 5, 1, SD_FAMILY_PAPER, 1.0, 0, 3, &err), SD_OK);
    for (M = 1; M <= 5; M++) {
        double want = 0.0;
        for (s = 0; s < 5; s++)
            want += m.pi0[s] * sd_rrs_rho(sd_model_p(&m, 1, s), sd_model_q(&m, 1, s), 5, M, tmp);
        assert_int_equal(sd_batch_exact(&m, M, &e, NULL, &err), SD_OK);
        assert_close(e, want, 1e-14);
        assert_int_equal(sd_batch_tree_exact(&m, M, &e, NULL, &err), SD_OK);
        assert_close(e, want, 1e-14);
    }
    sd_model_free(&m);
}

/* Literal simulations against the exact values (z-test) and their
 * output law against the q-marginal at three positions (three layers),
 * for batch and tree.  False failure about 1e-4 per case in total
 * (z 4.5 over ~50 bins and 2 means, p-values 1e-6). */
static void test_monte_carlo(void **state)
{
    sd_model m;
    sd_error err;
    size_t pos[3] = {1, 4, 8}, M = 3;
    double laws[3 * 5];
    int tree;
    (void)state;
    assert_int_equal(sd_model_random(&m, 5, 8, SD_FAMILY_DIRICHLET, 0.5, 0, 31, &err), SD_OK);
    assert_int_equal(sd_exact_token_laws(&m, 3, pos, laws, &err), SD_OK);
    for (tree = 0; tree <= 1; tree++) {
        sd_rule_sim *as;
        sd_sim sim;
        sd_mc_result res;
        double exact, var;
        const sd_rule_type *algo = tree ? &sd_rule_tree : &sd_rule_batch;
        assert_int_equal(sd_rule_exact(algo, &m, M, &exact, &var, &err), SD_OK);
        assert_true(isnan(var));
        assert_int_equal(sd_rule_sim_alloc(&as, algo, &m, M, 0, &err), SD_OK);
        sim = sd_rule_sim_get(as);
        sd_test_mc_run(&sim, m.T, m.V, 100000, 77, NULL, 3, pos, &res);
        sd_test_mc_agrees(tree ? "tree" : "batch", &res, exact, laws);
        sd_mc_result_free(&res);
        sd_rule_sim_free(as);
    }
    sd_model_free(&m);
}

/* The other implementations of the same algorithms agree with the exact
 * values too: the generic engines with the RRS verifiers (gsl_rng draws)
 * and the inlined kernels' serial path for a non-default generator.
 * False failure about 1e-4 in total (4 z-tests and 4 laws of 5 bins at
 * z 4.5, p 1e-6). */
static void test_other_implementations(void **state)
{
    sd_model m;
    sd_error err;
    size_t pos = 6, M = 3;
    double law[5];
    int tree, kind;
    (void)state;
    assert_int_equal(sd_model_random(&m, 5, 6, SD_FAMILY_PAPER, 1.0, 0, 41, &err), SD_OK);
    assert_int_equal(sd_exact_token_laws(&m, 1, &pos, law, &err), SD_OK);
    for (tree = 0; tree <= 1; tree++)
        for (kind = 0; kind <= 1; kind++) {
            sd_batch_sim *B;
            sd_sim sim;
            sd_mc_result res;
            char what[32];
            double exact;
            assert_int_equal(tree ? sd_batch_tree_exact(&m, M, &exact, NULL, &err)
                                  : sd_batch_exact(&m, M, &exact, NULL, &err), SD_OK);
            assert_int_equal(sd_batch_sim_alloc(&B, &m, M, tree, &err), SD_OK);
            sim = kind ? sd_batch_sim_sim(B) : sd_batch_sim_generic(B);
            sd_test_mc_run(&sim, m.T, m.V, 60000, 5, kind ? gsl_rng_mt19937 : NULL, 1, &pos, &res);
            snprintf(what, sizeof what, "tree %d kind %d", tree, kind);
            sd_test_mc_agrees(what, &res, exact, law);
            sd_mc_result_free(&res);
            sd_batch_sim_free(B);
        }
    sd_model_free(&m);
}

/* Same seed, 1 or 3 threads: identical tallies. */
static void test_reproducible(void **state)
{
    sd_model m;
    sd_error err;
    int tree;
    (void)state;
    assert_int_equal(sd_model_random(&m, 4, 10, SD_FAMILY_PAPER, 1.0, 0, 5, &err), SD_OK);
    for (tree = 0; tree <= 1; tree++) {
        sd_batch_sim *B;
        sd_sim sim;
        sd_mc_config cfg;
        sd_mc_result a, b;
        assert_int_equal(sd_batch_sim_alloc(&B, &m, 4, tree, &err), SD_OK);
        sim = sd_batch_sim_sim(B);
        memset(&cfg, 0, sizeof cfg);
        cfg.runs = 5000;
        cfg.seed = 9;
        cfg.chunk = 300;
        cfg.threads = 1;
        assert_int_equal(sd_mc_run(&cfg, m.T, m.V, &sim, &a, &err), SD_OK);
        cfg.threads = 3;
        assert_int_equal(sd_mc_run(&cfg, m.T, m.V, &sim, &b, &err), SD_OK);
        assert_memory_equal(a.hist, b.hist, (m.T + 1) * sizeof(uint64_t));
        sd_mc_result_free(&a);
        sd_mc_result_free(&b);
        sd_batch_sim_free(B);
    }
    sd_model_free(&m);
}

/* M = 0 is refused; every allocation failure is clean (SD_ENOMEM). */
/* One caller-owned workspace serves batch SD with any M and trees up to
 * its own M, with the conveniences' numbers bit for bit; a workspace of
 * another V, or of fewer tree drafts, is refused. */
static void test_workspace(void **state)
{
    sd_model m;
    sd_error err;
    sd_batch_ws *w = sd_batch_ws_alloc(5, 3), *w0 = sd_batch_ws_alloc(5, 0);
    double a, b;
    size_t M;
    (void)state;
    assert_non_null(w);
    assert_non_null(w0);
    assert_int_equal(sd_model_random(&m, 5, 12, SD_FAMILY_PAPER, 1.0, 0, 4, &err), SD_OK);
    for (M = 1; M <= 6; M++) {
        assert_int_equal(sd_batch_exact_ws(&m, M, w0, &a, NULL, &err), SD_OK);
        assert_int_equal(sd_batch_exact(&m, M, &b, NULL, &err), SD_OK);
        assert_true(a == b);
        if (M > 3) {
            assert_int_equal(sd_batch_tree_exact_ws(&m, M, w, &a, NULL, &err), SD_EINVAL);
            continue;
        }
        assert_int_equal(sd_batch_tree_exact_ws(&m, M, w, &a, NULL, &err), SD_OK);
        assert_int_equal(sd_batch_tree_exact(&m, M, &b, NULL, &err), SD_OK);
        assert_true(a == b);
    }
    assert_int_equal(sd_batch_exact_ws(&m, 0, w, &a, NULL, &err), SD_EINVAL);
    sd_model_free(&m);
    assert_int_equal(sd_model_random(&m, 4, 12, SD_FAMILY_PAPER, 1.0, 0, 4, &err), SD_OK);
    assert_int_equal(sd_batch_exact_ws(&m, 2, w, &a, NULL, &err), SD_EINVAL);
    sd_model_free(&m);
    sd_batch_ws_free(w);
    sd_batch_ws_free(w0);
    sd_batch_ws_free(NULL);
}

static void test_errors(void **state)
{
    sd_model m;
    sd_error err;
    sd_rule_sim *as;
    double e;
    unsigned long n;
    int which;
    (void)state;
    assert_int_equal(sd_model_random(&m, 3, 4, SD_FAMILY_PAPER, 1.0, 0, 5, &err), SD_OK);
    assert_int_equal(sd_batch_exact(&m, 0, &e, NULL, &err), SD_EINVAL);
    assert_int_equal(sd_batch_tree_exact(&m, 0, &e, NULL, &err), SD_EINVAL);
    assert_int_equal(sd_rule_exact(&sd_rule_tree, &m, 0, &e, NULL, &err), SD_EINVAL);
    assert_int_equal(sd_rule_sim_alloc(&as, &sd_rule_batch, &m, 2, 1, &err), SD_EINVAL);
    assert_null(as);
    for (which = 0; which < 4; which++)
        for (n = 1;; n++) {
            sd_status rc;
            sd_alloc_fail_at(n, 0);
            switch (which) {
            case 0: rc = sd_batch_exact(&m, 3, &e, NULL, &err); break;
            case 1: rc = sd_batch_tree_exact(&m, 3, &e, NULL, &err); break;
            case 2: rc = sd_batch_limit(&m, &e, &err); break;
            default: rc = sd_rule_sim_alloc(&as, &sd_rule_tree, &m, 3, 0, &err);
            }
            sd_alloc_fail_at(0, 0);
            if (rc == SD_OK) {
                if (which == 3)
                    sd_rule_sim_free(as);
                break;
            }
            assert_int_equal(rc, SD_ENOMEM);
        }
    sd_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_enumeration),
        cmocka_unit_test(test_one_draft_is_theorem1),
        cmocka_unit_test(test_tree_below_batch_below_sd),
        cmocka_unit_test(test_theorem3_form),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_monte_carlo),
        cmocka_unit_test(test_other_implementations),
        cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_workspace),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("batch", tests, NULL, NULL);
}
