/* test_roundstart.c - the round-start engine (src/roundstart.c): the
 * exact recursion over (round-start law f, token law g) and the literal
 * simulation, with rules written here.
 *
 * Rules: RRS through the library's sd_rrs_step; "smallest", written here
 * twice (the smallest of the M drafts' first tokens is tested with
 * min(1, Q/P); on failure the token is drawn from Q itself), a biased
 * rule whose law has nothing in common with RRS; SD with one draft.
 * The reference is the literal algorithm: a forward pass over (state,
 * round starts or not, rejections so far) that enumerates at a round
 * start every tuple of the M drafts' first tokens and runs the rule on
 * it, and inside a round takes the SD step along the accepted draft.
 * Hand-computed values on a two-token chain, Theorem 1 and the
 * M -> infinity limit complete it. */
#include "testutil.h"

#include "alloc.h"
#include "chain_ref.h"
#include "roundstart.h"
#include "rng.h"
#include "rrs.h"
#include "step.h"

#define MAXV 3
#define MAXM 3
#define MAXT 4

/* ---- the rule "smallest", written twice ------------------------------------ */

static void smallest_literal(const double *p, const double *q, size_t V, const size_t *tok,
                             size_t k, double *acc, double *rej, double *res)
{
    size_t i, x = tok[0];
    double a;
    for (i = 1; i < k; i++)
        x = tok[i] < x ? tok[i] : x;
    a = q[x] >= p[x] ? 1.0 : q[x] / p[x];
    memset(acc, 0, V * sizeof(double));
    acc[x] = a;
    *rej = 1.0 - a;
    memcpy(res, q, V * sizeof(double));
}

/* Its step law: the smallest of k i.i.d. tokens is x with probability
 * S(x)^k - S(x+1)^k, S(x) = P(token >= x). */
static sd_status smallest_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                               sd_step *out, sd_error *err)
{
    double S = 1.0;
    size_t x;
    (void)ws;
    (void)err;
    out->rej = 0.0;
    for (x = 0; x < V; x++) {
        const double Sn = S - p[x] > 0.0 ? S - p[x] : 0.0;
        const double pm = pow(S, (double)k) - pow(Sn, (double)k);
        const double a = p[x] > 0.0 ? fmin(1.0, q[x] / p[x]) : 0.0;
        out->acc[x] = pm * a;
        out->rej += pm * (1.0 - a);
        out->res[x] = q[x];
        S = Sn;
    }
    return SD_OK;
}

/* ---- the reference: the literal algorithm, enumerated ---------------------- */

typedef struct {
    long double law[MAXT + 1];     /* law of N_rej */
    long double f[MAXT][MAXV];     /* f[t-1][s] = P(x_{t-1} = s, a round starts at t) */
} rs_ref;

/* Position t from state cur[s][start][c] into nxt. */
static void rs_position(const sd_model *m, size_t t, size_t M, cr_literal_fn rule,
                        long double (*cur)[2][MAXT + 1], long double (*nxt)[2][MAXT + 1])
{
    const size_t V = m->V;
    size_t s, c, x, y, code, n, i;
    for (s = 0; s < V; s++)
        for (c = 0; c < t; c++) {
            const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
            double acc[MAXV], res[MAXV], rej;
            size_t tok[MAXM];
            /* a round starts: the rule on every tuple of first tokens */
            for (n = 1, i = 0; i < M; i++)
                n *= V;
            for (code = 0; cur[s][1][c] != 0 && code < n; code++) {
                const long double wt = cur[s][1][c] * cr_tuple(code, p, V, M, tok);
                if (wt == 0)
                    continue;
                rule(p, q, V, tok, M, acc, &rej, res);
                for (y = 0; y < V; y++) {
                    nxt[y][0][c] += wt * acc[y];
                    nxt[y][1][c + 1] += wt * rej * res[y];
                }
            }
            /* inside a round: the SD step along the accepted draft */
            cr_residual(p, q, V, res);
            for (x = 0; cur[s][0][c] != 0 && x < V; x++) {
                const long double wt = cur[s][0][c] * p[x];
                const double a = p[x] > 0.0 ? fmin(1.0, q[x] / p[x]) : 0.0;
                nxt[x][0][c] += wt * a;
                for (y = 0; y < V; y++)
                    nxt[y][1][c + 1] += wt * (1.0 - a) * res[y];
            }
        }
}

static void rs_reference(const sd_model *m, size_t M, cr_literal_fn rule, rs_ref *out)
{
    static long double cur[MAXV][2][MAXT + 1], nxt[MAXV][2][MAXT + 1];
    const size_t V = m->V;
    size_t t, s, c;
    memset(out, 0, sizeof *out);
    memset(cur, 0, sizeof cur);
    for (s = 0; s < V; s++)
        cur[s][1][0] = m->pi0[s];
    for (t = 1; t <= m->T; t++) {
        for (s = 0; s < V; s++)
            for (c = 0; c < t; c++)
                out->f[t - 1][s] += cur[s][1][c];
        memset(nxt, 0, sizeof nxt);
        rs_position(m, t, M, rule, cur, nxt);
        memcpy(cur, nxt, sizeof cur);
    }
    for (s = 0; s < V; s++)
        for (c = 0; c <= m->T; c++)
            out->law[c] += cur[s][0][c] + cur[s][1][c];
}

/* The two rules as the engine and the reference see them. */
static const struct {
    sd_step_fn step;
    cr_literal_fn literal;
} rules[] = {{smallest_step, smallest_literal}, {sd_rrs_step, cr_rrs_literal}};

/* E[N_rej] of rule j with M drafts by the engine (fstart: its
 * round-start law); the workspace is RRS's, which "smallest" ignores. */
static double rs_engine(const sd_model *m, size_t j, size_t M, double *fstart)
{
    sd_error err;
    double E = NAN, ws[2 * 16]; /* RRS's workspace: 2V doubles */
    assert_int_equal(sd_roundstart_exact(m, rules[j].step, ws, M, &E, fstart, &err), SD_OK);
    return E;
}

/* ---- cases ------------------------------------------------------------------- */

/* E[N_rej] and the round-start law f_t against the enumerated literal
 * algorithm. */
static void against_enumeration(const sd_model *m, size_t M, size_t j)
{
    double f[MAXT * MAXV];
    rs_ref ref;
    size_t t, s;
    rs_reference(m, M, rules[j].literal, &ref);
    assert_close(rs_engine(m, j, M, f), cr_law_mean(ref.law, m->T), SD_TOL_EXACT);
    for (t = 1; t <= m->T; t++)
        for (s = 0; s < m->V; s++)
            assert_close(f[(t - 1) * m->V + s], (double)ref.f[t - 1][s], SD_TOL_EXACT);
}

/* ... for both rules, over sizes, numbers of drafts and rows with zeros
 * (where P = 0 but Q > 0 some mass is never drafted). */
static void test_exact_against_enumeration(void **state)
{
    (void)state;
    cr_sweep(43, cr_small_sizes, CR_NSMALL, 2, against_enumeration);
}

/* By hand on the two-token chain.  RRS: draft 1 fails only holding token
 * 0 and failing its test (3/4 - 1/4 = 1/2); then r = (0, 1) and every
 * later draft fails iff it holds 0 (3/4): rho_M = 1/2 (3/4)^(M-1), the
 * closed form BI_M = (u - v)(1 - u^(M-1)) of doc/theory.md §3 read as
 * rho_M = TV - BI_M.  T = 1: E = rho_M.  T = 2, M = 2: a round starts at
 * t = 2 after a rejection at t = 1 (3/8, then x_1 = 1: f_2 = (0, 3/8)),
 * else the SD step rejects with TV = 1/2: E = 3/8 + 3/8 * 3/8 + 5/8 * 1/2
 * = 53/64.  "smallest" with M = 2: the smallest token is 0 unless both
 * drafts hold 1 (15/16), accepted with 1/3: T = 1 gives E = 15/16 * 2/3
 * = 5/8.  The limit M -> infinity: no rejection at a round start (P has
 * full support), so T = 2 gives E = TV = 1/2. */
static void test_hand_computed(void **state)
{
    sd_model m;
    sd_error err;
    double f[2 * 2], E;
    size_t M;
    (void)state;
    for (M = 1; M <= 5; M++) {
        cr_two_token_chain(&m, 1);
        assert_close(rs_engine(&m, 1, M, NULL), 0.5 * pow(0.75, (double)M - 1.0),
                     SD_TOL_EXACT);
        sd_model_free(&m);
    }
    cr_two_token_chain(&m, 1);
    assert_close(rs_engine(&m, 0, 2, NULL), 5.0 / 8.0, SD_TOL_EXACT);
    sd_model_free(&m);
    cr_two_token_chain(&m, 2);
    E = rs_engine(&m, 1, 2, f);
    assert_close(E, 53.0 / 64.0, SD_TOL_EXACT);
    assert_close(f[0], 0.5, SD_TOL_EXACT);
    assert_close(f[1], 0.5, SD_TOL_EXACT);
    assert_close(f[2], 0.0, SD_TOL_EXACT);
    assert_close(f[3], 3.0 / 8.0, SD_TOL_EXACT);
    assert_int_equal(sd_roundstart_exact(&m, sd_rrs_limit_step, NULL, 1, &E, NULL, &err), SD_OK);
    assert_close(E, 0.5, SD_TOL_EXACT);
    sd_model_free(&m);
}

/* One draft: RRS and the SD rule are Algorithm SD, Theorem 1's value;
 * more drafts reject no more often, and never fewer times than the limit. */
static void test_theorem1_and_limit(void **state)
{
    sd_error err;
    int i;
    (void)state;
    for (i = 0; i < 12; i++) {
        sd_model m;
        double e1, e, lim, prev;
        size_t M;
        cr_instance(&m, i, 700);
        e1 = cr_theorem1(&m);
        assert_int_equal(sd_roundstart_exact(&m, sd_rule_sd_step, NULL, 1, &e, NULL, &err),
                         SD_OK);
        assert_close(e, e1, SD_TOL_EXACT);
        assert_int_equal(sd_roundstart_exact(&m, sd_rrs_limit_step, NULL, 1, &lim, NULL, &err),
                         SD_OK);
        for (prev = e1, M = 1; M <= 5; M++) {
            e = rs_engine(&m, 1, M, NULL);
            if (M == 1)
                assert_close(e, e1, SD_TOL_EXACT);
            assert_true(e <= prev + SD_TOL_EXACT);
            assert_true(lim <= e + SD_TOL_EXACT);
            prev = e;
        }
        sd_model_free(&m);
    }
}

/* ---- Monte Carlo: the engine's simulation with verifiers written here ------ */

typedef struct {
    const sd_model *m;
    size_t M;
} vctx;

/* RRS run literally on M first tokens drawn here. */
static int rrs_verify(const void *ctx, void *ws, size_t t, size_t s, gsl_rng *r, size_t *y)
{
    const vctx *c = ctx;
    const double *p = sd_model_p(c->m, t, s);
    double res[16];
    size_t i;
    (void)ws;
    memcpy(res, sd_model_q(c->m, t, s), c->m->V * sizeof(double));
    for (i = 0; i < c->M; i++) {
        const size_t x = cr_draw(p, c->m->V, r);
        if (gsl_rng_uniform(r) * p[x] < res[x]) {
            *y = x;
            return 1;
        }
        cr_residual(p, res, c->m->V, res);
    }
    *y = cr_draw(res, c->m->V, r);
    return 0;
}

/* "smallest" run literally, its drafts in a per-thread workspace. */
static sd_status smallest_ws_alloc(const void *ctx, void **ws, sd_error *err)
{
    const vctx *c = ctx;
    *ws = sd_malloc(c->M, sizeof(size_t));
    return *ws != NULL ? SD_OK : sd_error_set(err, SD_ENOMEM, "no workspace");
}

static int smallest_verify(const void *ctx, void *ws, size_t t, size_t s, gsl_rng *r,
                           size_t *y)
{
    const vctx *c = ctx;
    const double *p = sd_model_p(c->m, t, s), *q = sd_model_q(c->m, t, s);
    size_t *tok = ws, i, x;
    for (i = 0; i < c->M; i++)
        tok[i] = cr_draw(p, c->m->V, r);
    for (x = tok[0], i = 1; i < c->M; i++)
        x = tok[i] < x ? tok[i] : x;
    if (gsl_rng_uniform(r) * p[x] < q[x]) {
        *y = x;
        return 1;
    }
    *y = cr_draw(q, c->m->V, r);
    return 0;
}

/* The simulation's mean against the exact value, for both rules. */
static void test_monte_carlo(void **state)
{
    sd_model m;
    sd_error err;
    size_t j;
    (void)state;
    assert_int_equal(sd_model_random(&m, 4, 10, SD_FAMILY_DIRICHLET, 0.5, 0, 19, &err), SD_OK);
    for (j = 0; j < 2; j++) {
        const vctx c = {&m, 3};
        const sd_rs_verifier v = j == 0 ? (sd_rs_verifier){&c, smallest_ws_alloc, sd_free,
                                                           smallest_verify}
                                        : (sd_rs_verifier){&c, NULL, NULL, rrs_verify};
        sd_roundstart_sim S;
        sd_sim sim;
        assert_int_equal(sd_roundstart_sim_alloc(&S, &m, &v, &err), SD_OK);
        sim = sd_roundstart_sim_sim(&S);
        cr_mc_mean(&sim, &m, rs_engine(&m, j, 3, NULL), 40000, 23 + j);
        sd_roundstart_sim_free(&S);
    }
    sd_model_free(&m);
}

/* ---- errors ------------------------------------------------------------------ */

/* A step that fails on its third call. */
static sd_status failing_step(const double *p, const double *q, size_t V, size_t k, void *ws,
                              sd_step *out, sd_error *err)
{
    int *calls = ws;
    if (++*calls == 3)
        return sd_error_set(err, SD_EINVAL, "step refused");
    return smallest_step(p, q, V, k, NULL, out, err);
}

static sd_status no_ws(const void *ctx, void **ws, sd_error *err)
{
    (void)ctx;
    *ws = NULL;
    return sd_error_set(err, SD_ENOMEM, "verifier workspace refused");
}

static void test_errors(void **state)
{
    sd_model m;
    sd_error err;
    sd_roundstart_sim S;
    sd_sim sim;
    sd_mc_config cfg;
    sd_mc_result res;
    double E = -1.0;
    int calls = 0;
    vctx c;
    sd_rs_verifier v = {NULL, no_ws, NULL, rrs_verify};
    (void)state;
    assert_int_equal(sd_model_random(&m, 3, 4, SD_FAMILY_PAPER, 1.0, 0, 5, &err), SD_OK);
    c.m = &m;
    c.M = 2;
    v.ctx = &c;
    assert_int_equal(sd_roundstart_exact(&m, smallest_step, NULL, 0, &E, NULL, &err), SD_EINVAL);
    assert_true(E == -1.0);
    assert_int_equal(sd_roundstart_exact(&m, failing_step, &calls, 2, &E, NULL, &err),
                     SD_EINVAL);
    assert_string_equal(err.msg, "step refused");
    assert_true(E == -1.0);
    /* the verifier's workspace error reaches the caller of sd_mc_run */
    assert_int_equal(sd_roundstart_sim_alloc(&S, &m, &v, &err), SD_OK);
    sim = sd_roundstart_sim_sim(&S);
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = 10;
    cfg.seed = 1;
    cfg.threads = 1;
    assert_int_equal(sd_mc_run(&cfg, m.T, m.V, &sim, &res, &err), SD_ENOMEM);
    sd_roundstart_sim_free(&S);
    CR_ENOMEM_UNTIL_OK(sd_roundstart_exact(&m, smallest_step, NULL, 2, &E, NULL, &err));
    CR_ENOMEM_UNTIL_OK(sd_roundstart_sim_alloc(&S, &m, &v, &err));
    sd_roundstart_sim_free(&S);
    sd_model_free(&m);
}

/* One caller-owned workspace serves many rules and numbers of drafts,
 * with the convenience's numbers bit for bit; a workspace of another V is
 * refused. */
static void test_workspace(void **state)
{
    sd_model m;
    sd_error err;
    sd_roundstart_ws *w = sd_roundstart_ws_alloc(4);
    double ws[8], f[9 * 4], f2[9 * 4], a, b;
    size_t M;
    (void)state;
    assert_non_null(w);
    assert_int_equal(sd_model_random(&m, 4, 9, SD_FAMILY_DIRICHLET, 0.5, 0, 8, &err), SD_OK);
    for (M = 1; M <= 4; M++) {
        assert_int_equal(sd_roundstart_exact_ws(&m, sd_rrs_step, ws, M, w, &a, f, &err), SD_OK);
        assert_int_equal(sd_roundstart_exact(&m, sd_rrs_step, ws, M, &b, f2, &err), SD_OK);
        assert_true(a == b);
        assert_memory_equal(f, f2, sizeof f);
        assert_int_equal(sd_roundstart_exact_ws(&m, smallest_step, NULL, M, w, &a, NULL, &err),
                         SD_OK);
        assert_int_equal(sd_roundstart_exact(&m, smallest_step, NULL, M, &b, NULL, &err), SD_OK);
        assert_true(a == b);
    }
    sd_model_free(&m);
    assert_int_equal(sd_model_random(&m, 3, 9, SD_FAMILY_PAPER, 1.0, 0, 8, &err), SD_OK);
    assert_int_equal(sd_roundstart_exact_ws(&m, sd_rrs_step, ws, 2, w, &a, NULL, &err),
                     SD_EINVAL);
    sd_model_free(&m);
    sd_roundstart_ws_free(w);
    sd_roundstart_ws_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_against_enumeration),
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_theorem1_and_limit),
        cmocka_unit_test(test_monte_carlo),
        cmocka_unit_test(test_workspace),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("roundstart", tests, NULL, NULL);
}
