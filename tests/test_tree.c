/* test_tree.c - the tree-verification engine (src/tree.c): its exact DP
 * over (state, live drafts) and its literal simulation.
 *
 * The engine takes any rule; two are used here.  "first": SD on the
 * first live draft alone (accept with min(1, Q/P), else emit from
 * res(Q, P)), whose step law is written here; and RRS through the
 * library's sd_rrs_tree_step.  The reference is the literal algorithm
 * itself: a forward pass over (state, live drafts, rejections so far)
 * that, at every position, enumerates every tuple of the live drafts'
 * tokens, runs the rule on that tuple (chain_ref.h), and keeps live the
 * drafts whose token was accepted.  Hand-computed values on a
 * two-token chain and Theorem 1 complete it. */
#include "testutil.h"

#include <gsl/gsl_randist.h>

#include "alloc.h"
#include "chain_ref.h"
#include "rng.h"
#include "rrs.h"
#include "tree.h"

#define MAXV 3
#define MAXM 3
#define MAXT 4

/* ---- the rule "first", written twice -------------------------------------- */

/* Literal: only the first draft is verified. */
static void first_literal(const double *p, const double *q, size_t V, const size_t *tok,
                          size_t k, double *acc, double *rej, double *res)
{
    const size_t x = tok[0];
    const double a = q[x] >= p[x] ? 1.0 : q[x] / p[x];
    (void)k;
    memset(acc, 0, V * sizeof(double));
    acc[x] = a;
    *rej = 1.0 - a;
    cr_residual(p, q, V, res);
}

/* Its step law: acc(y, L) = min(P(y), Q(y)) Binomial(L - 1; k - 1, P(y))
 * (the other k - 1 drafts hold y independently), rej = TV, res = res(Q, P). */
static sd_status first_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                            sd_tree_step *out, sd_error *err)
{
    const size_t W = out->K + 1;
    size_t y, L;
    (void)ws;
    (void)err;
    memset(out->acc, 0, V * W * sizeof(double));
    cr_residual(p, q, V, out->res);
    out->rej = sd_tv(p, q, V);
    for (y = 0; y < V; y++)
        for (L = 1; L <= k; L++)
            out->acc[y * W + L] = fmin(p[y], q[y]) *
                                  gsl_ran_binomial_pdf((unsigned)(L - 1), p[y], (unsigned)(k - 1));
    return SD_OK;
}

/* ---- the reference: the literal algorithm, enumerated ---------------------- */

typedef struct {
    long double law[MAXT + 1];          /* law of N_rej */
    long double live[MAXT][MAXM + 1];   /* live[t-1][k] = P(k live drafts at t) */
} tree_ref;

static void tree_reference(const sd_model *m, size_t M, cr_literal_fn rule, tree_ref *out)
{
    static long double cur[MAXV][MAXM + 1][MAXT + 1], nxt[MAXV][MAXM + 1][MAXT + 1];
    const size_t V = m->V, T = m->T;
    size_t t, s, k, c, y, i, code, n;
    memset(out, 0, sizeof *out);
    memset(cur, 0, sizeof cur);
    for (s = 0; s < V; s++)
        cur[s][M][0] = m->pi0[s];
    for (t = 1; t <= T; t++) {
        memset(nxt, 0, sizeof nxt);
        for (s = 0; s < V; s++)
            for (k = 1; k <= M; k++)
                for (c = 0; c < t; c++) {
                    const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
                    const long double w = cur[s][k][c];
                    if (w == 0)
                        continue;
                    out->live[t - 1][k] += w;
                    for (n = 1, i = 0; i < k; i++)
                        n *= V;
                    for (code = 0; code < n; code++) {
                        size_t tok[MAXM];
                        double acc[MAXV], res[MAXV], rej;
                        const long double wt = w * cr_tuple(code, p, V, k, tok);
                        if (wt == 0)
                            continue;
                        rule(p, q, V, tok, k, acc, &rej, res);
                        for (y = 0; y < V; y++) {
                            size_t L = 0;
                            for (i = 0; i < k; i++)
                                L += tok[i] == y;
                            if (acc[y] > 0.0)
                                nxt[y][L][c] += wt * acc[y];
                            nxt[y][M][c + 1] += wt * rej * res[y];
                        }
                    }
                }
        memcpy(cur, nxt, sizeof cur);
    }
    for (s = 0; s < V; s++)
        for (k = 1; k <= M; k++)
            for (c = 0; c <= T; c++)
                out->law[c] += cur[s][k][c];
}

/* The two rules as the engine and the reference see them. */
static const struct {
    sd_tree_step_fn step;
    cr_literal_fn literal;
} rules[] = {{first_step, first_literal}, {sd_rrs_tree_step, cr_rrs_literal}};

/* E[N_rej] of rule j with M drafts by the engine (live: its live-draft
 * law); the workspace is RRS's, which "first" ignores. */
static double engine(const sd_model *m, size_t j, size_t M, double *live)
{
    sd_error err;
    double E = NAN, ws[2 * 16]; /* RRS's workspace: 2V doubles */
    assert_int_equal(sd_tree_exact(m, rules[j].step, ws, M, &E, live, &err), SD_OK);
    return E;
}

/* ---- cases ------------------------------------------------------------------- */

/* E[N_rej] and the law of the live-draft count at every position against
 * the enumerated literal algorithm. */
static void against_enumeration(const sd_model *m, size_t M, size_t j)
{
    double live[MAXT * (MAXM + 1)];
    tree_ref ref;
    size_t t, k;
    tree_reference(m, M, rules[j].literal, &ref);
    assert_close(engine(m, j, M, live), cr_law_mean(ref.law, m->T), SD_TOL_EXACT);
    for (t = 1; t <= m->T; t++)
        for (k = 1; k <= M; k++)
            assert_close(live[(t - 1) * (M + 1) + k], (double)ref.live[t - 1][k], SD_TOL_EXACT);
}

/* ... for both rules, over sizes, numbers of drafts and rows with zeros. */
static void test_exact_against_enumeration(void **state)
{
    (void)state;
    cr_sweep(41, cr_small_sizes, CR_NSMALL, 2, against_enumeration);
}

/* By hand, on the stationary two-token chain P = (3/4, 1/4), Q = (1/4,
 * 3/4) in every row.  RRS rejects draft 1 only when it holds token 0
 * and fails its test (3/4 - 1/4 = 1/2), after which r = (0, 1) and each
 * further draft is rejected iff it holds token 0 (3/4): rho_k = 1/2 (3/4)^(k-1).
 * T = 1: E = rho_M.  T = 2, M = 2: after an acceptance at t = 1 the live
 * count is 2 with probability 1/4 * 3/4 (token 0 accepted at trial 1,
 * draft 2 holds 0) + 1/4 * 1/4 (token 1 at trial 1, draft 2 holds 1) =
 * 1/4, and 1 with probability 1 - 3/8 - 1/4 = 3/8; a rejection at t = 1
 * (3/8) gives 2 fresh drafts.  E = 3/8 + 3/8 rho_2 + 3/8 rho_1 + 1/4 rho_2
 * = 3/8 + 9/64 + 3/16 + 3/32 = 51/64. */
static void test_hand_computed(void **state)
{
    sd_model m;
    double live[2 * 3], E;
    size_t M;
    (void)state;
    for (M = 1; M <= 4; M++) {
        cr_two_token_chain(&m, 1);
        assert_close(engine(&m, 1, M, NULL), 0.5 * pow(0.75, (double)M - 1.0),
                     SD_TOL_EXACT);
        /* "first" rejects with TV = 1/2 whatever M */
        assert_close(engine(&m, 0, M, NULL), 0.5, SD_TOL_EXACT);
        sd_model_free(&m);
    }
    cr_two_token_chain(&m, 2);
    E = engine(&m, 1, 2, live);
    assert_close(E, 51.0 / 64.0, SD_TOL_EXACT);
    assert_close(live[0 * 3 + 2], 1.0, SD_TOL_EXACT);
    assert_close(live[1 * 3 + 1], 3.0 / 8.0, SD_TOL_EXACT);
    assert_close(live[1 * 3 + 2], 5.0 / 8.0, SD_TOL_EXACT);
    sd_model_free(&m);
}

/* "first" verifies one draft whatever the tree holds, so every position
 * rejects with TV at the state's q-marginal law: Theorem 1 for every M;
 * RRS with one draft is SD, and with more it rejects no more often. */
static void test_theorem1(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < 12; i++) {
        sd_model m;
        double e1;
        size_t M;
        cr_instance(&m, i, 500);
        e1 = cr_theorem1(&m);
        assert_close(engine(&m, 1, 1, NULL), e1, SD_TOL_EXACT);
        for (M = 1; M <= 4; M++) {
            assert_close(engine(&m, 0, M, NULL), e1, SD_TOL_EXACT);
            assert_true(engine(&m, 1, M, NULL) <= e1 + SD_TOL_EXACT);
        }
        sd_model_free(&m);
    }
}

/* The live-draft law: a law at every position (sums to 1), M live drafts
 * at t = 1, E within [0, T], on a larger instance. */
static void test_live_law(void **state)
{
    const size_t V = 6, T = 25, M = 5;
    double live[25 * 6], E, tot;
    sd_model m;
    sd_error err;
    size_t t, k, j;
    (void)state;
    assert_int_equal(sd_model_random(&m, V, T, SD_FAMILY_DIRICHLET, 0.5, 0, 9, &err), SD_OK);
    for (j = 0; j < 2; j++) {
        E = engine(&m, j, M, live);
        assert_true(E >= 0.0 && E <= (double)T);
        assert_close(live[M], 1.0, SD_TOL_EXACT);
        for (t = 1; t <= T; t++) {
            for (tot = 0.0, k = 1; k <= M; k++) {
                assert_true(live[(t - 1) * (M + 1) + k] >= 0.0);
                tot += live[(t - 1) * (M + 1) + k];
            }
            assert_close(tot, 1.0, SD_TOL_EXACT);
        }
    }
    sd_model_free(&m);
}

/* ---- Monte Carlo: the engine's simulation with verifiers written here ------ */

/* "first" run literally: the first live draft's test, else a residual draw. */
static int first_verify(const void *ctx, void *ws, size_t t, size_t s, size_t k,
                        const size_t *tok, gsl_rng *r, size_t *y)
{
    const sd_model *m = ctx;
    const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
    double res[16];
    (void)ws;
    (void)k;
    if (gsl_rng_uniform(r) * p[tok[0]] < q[tok[0]]) {
        *y = tok[0];
        return 1;
    }
    cr_residual(p, q, m->V, res);
    *y = cr_draw(res, m->V, r);
    return 0;
}

/* RRS run literally, trial by trial. */
static int rrs_verify(const void *ctx, void *ws, size_t t, size_t s, size_t k,
                      const size_t *tok, gsl_rng *r, size_t *y)
{
    const sd_model *m = ctx;
    const double *p = sd_model_p(m, t, s);
    double res[16];
    size_t i;
    (void)ws;
    memcpy(res, sd_model_q(m, t, s), m->V * sizeof(double));
    for (i = 0; i < k; i++) {
        if (gsl_rng_uniform(r) * p[tok[i]] < res[tok[i]]) {
            *y = tok[i];
            return 1;
        }
        cr_residual(p, res, m->V, res);
    }
    *y = cr_draw(res, m->V, r);
    return 0;
}

/* The simulation's mean against the exact value, for both rules. */
static void test_monte_carlo(void **state)
{
    const sd_tree_verifier v[2] = {{NULL, NULL, NULL, first_verify},
                                   {NULL, NULL, NULL, rrs_verify}};
    sd_model m;
    sd_error err;
    size_t j;
    (void)state;
    assert_int_equal(sd_model_random(&m, 4, 10, SD_FAMILY_DIRICHLET, 0.5, 0, 13, &err), SD_OK);
    for (j = 0; j < 2; j++) {
        sd_tree_verifier vj = v[j];
        sd_tree_sim S;
        sd_sim sim;
        vj.ctx = &m;
        assert_int_equal(sd_tree_sim_alloc(&S, &m, &vj, 3, &err), SD_OK);
        sim = sd_tree_sim_sim(&S);
        cr_mc_mean(&sim, &m, engine(&m, j, 3, NULL), 40000, 17 + j);
        sd_tree_sim_free(&S);
    }
    sd_model_free(&m);
}

/* ---- errors ------------------------------------------------------------------ */

/* A step that fails on its third call. */
static sd_status failing_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                              sd_tree_step *out, sd_error *err)
{
    int *calls = ws;
    if (++*calls == 3)
        return sd_error_set(err, SD_EINVAL, "step refused");
    return first_step(p, q, V, k, NULL, out, err);
}

/* A verifier that accepts a token no live draft holds. */
static int bad_verify(const void *ctx, void *ws, size_t t, size_t s, size_t k,
                      const size_t *tok, gsl_rng *r, size_t *y)
{
    (void)ctx; (void)ws; (void)t; (void)s; (void)k; (void)r;
    *y = (tok[0] + 1) % 3;
    return 1;
}

static void test_errors(void **state)
{
    const sd_tree_verifier bad = {NULL, NULL, NULL, bad_verify};
    sd_model m;
    sd_error err;
    sd_tree_sim S;
    sd_tree_step st;
    sd_sim sim;
    sd_mc_config cfg;
    sd_mc_result res;
    double E = -1.0;
    int calls = 0;
    (void)state;
    assert_int_equal(sd_model_random(&m, 3, 4, SD_FAMILY_PAPER, 1.0, 0, 3, &err), SD_OK);
    /* no drafts */
    assert_int_equal(sd_tree_exact(&m, first_step, NULL, 0, &E, NULL, &err), SD_EINVAL);
    assert_true(E == -1.0);
    assert_int_equal(sd_tree_sim_alloc(&S, &m, &bad, 0, &err), SD_EINVAL);
    /* the step's error comes back, and *mean is left alone */
    assert_int_equal(sd_tree_exact(&m, failing_step, &calls, 2, &E, NULL, &err), SD_EINVAL);
    assert_string_equal(err.msg, "step refused");
    assert_true(E == -1.0);
    /* a verifier that breaks the tree's invariant is caught, not followed */
    assert_int_equal(sd_tree_sim_alloc(&S, &m, &bad, 1, &err), SD_OK);
    sim = sd_tree_sim_sim(&S);
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = 10;
    cfg.seed = 1;
    cfg.threads = 1;
    assert_int_equal(sd_mc_run(&cfg, m.T, m.V, &sim, &res, &err), SD_EINTERNAL);
    sd_tree_sim_free(&S);
    /* every allocation failing in turn: SD_ENOMEM, then success */
    CR_ENOMEM_UNTIL_OK(sd_tree_exact(&m, first_step, NULL, 3, &E, NULL, &err));
    CR_ENOMEM_UNTIL_OK(sd_tree_sim_alloc(&S, &m, &bad, 3, &err));
    sd_tree_sim_free(&S);
    sd_alloc_fail_at(1, 1);
    assert_int_equal(sd_tree_step_alloc(&st, 3, 2, &err), SD_ENOMEM);
    sd_alloc_fail_at(0, 0);
    sd_tree_step_free(&st);
    sd_model_free(&m);
}

/* One caller-owned workspace serves every M up to its own, with the
 * convenience's numbers bit for bit; a workspace of another V or fewer
 * drafts is refused. */
static void test_workspace(void **state)
{
    sd_model m;
    sd_error err;
    sd_tree_ws *w = sd_tree_ws_alloc(4, 3);
    double ws[8], live[9 * 4], live2[9 * 4], a, b;
    size_t M;
    (void)state;
    assert_non_null(w);
    assert_null(sd_tree_ws_alloc(4, 0));
    assert_int_equal(sd_model_random(&m, 4, 9, SD_FAMILY_PAPER, 1.0, 0, 8, &err), SD_OK);
    for (M = 3; M >= 1; M--) {
        assert_int_equal(sd_tree_exact_ws(&m, sd_rrs_tree_step, ws, M, w, &a, live, &err), SD_OK);
        assert_int_equal(sd_tree_exact(&m, sd_rrs_tree_step, ws, M, &b, live2, &err), SD_OK);
        assert_true(a == b);
        assert_memory_equal(live, live2, 9 * (M + 1) * sizeof(double));
    }
    assert_int_equal(sd_tree_exact_ws(&m, sd_rrs_tree_step, ws, 4, w, &a, NULL, &err),
                     SD_EINVAL);
    sd_model_free(&m);
    assert_int_equal(sd_model_random(&m, 3, 9, SD_FAMILY_PAPER, 1.0, 0, 8, &err), SD_OK);
    assert_int_equal(sd_tree_exact_ws(&m, sd_rrs_tree_step, ws, 2, w, &a, NULL, &err),
                     SD_EINVAL);
    sd_model_free(&m);
    sd_tree_ws_free(w);
    sd_tree_ws_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_against_enumeration),
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_theorem1),
        cmocka_unit_test(test_live_law),
        cmocka_unit_test(test_monte_carlo),
        cmocka_unit_test(test_workspace),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("tree", tests, NULL, NULL);
}
