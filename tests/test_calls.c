/* test_calls.c - draft length, wall time and block verification on
 * chains: the slot DP against the policy recursion with a constant
 * policy, gamma >= T against Theorem 1, Leviathan's closed form where it
 * is exact, the optimal policy, block verification (hand vectors, block
 * >= token per start state, block with gamma = 1 is token), every exact
 * value against its literal simulation, the law of the emitted tokens,
 * a negative control, and the input errors. */
#include "testutil.h"

#include "alloc.h"
#include "block.h"
#include "calls.h"
#include "check.h"
#include "mc.h"
#include "model.h"
#include "step.h"

/* sum_{t < T} mu_t . tau_t, computed here from the rows (mu the
 * q-marginal): the expected rejections before the last position. */
static double rejections_before_T(const sd_model *m)
{
    size_t V = m->V, t, s, y;
    double *mu = calloc(2 * V, sizeof *mu), *mn = mu + V, tot = 0.0;
    memcpy(mu, m->pi0, V * sizeof *mu);
    for (t = 1; t < m->T; t++) {
        memset(mn, 0, V * sizeof *mn);
        for (s = 0; s < V; s++) {
            const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
            tot += mu[s] * sd_tv(p, q, V);
            for (y = 0; y < V; y++)
                mn[y] += mu[s] * q[y];
        }
        memcpy(mu, mn, V * sizeof *mu);
    }
    free(mu);
    return tot;
}

static void random_model(sd_model *m, size_t V, size_t T, int stationary, uint64_t seed)
{
    assert_int_equal(sd_model_random(m, V, T, SD_FAMILY_PAPER, 1.0, stationary, seed, NULL),
                     SD_OK);
}

static void test_block_hand_vectors(void **state)
{
    /* P = (2/3, 1/3), Q = (1/3, 2/3), gamma = 2 (Sun et al.): token by
     * token sum_{j=1,2} (2/3)^j = 10/9; block 11/9.  gamma = 1: both are
     * 1 - TV = 2/3 (block verification of one draft is the SD rule). */
    const double p[2] = {2.0 / 3, 1.0 / 3}, q[2] = {1.0 / 3, 2.0 / 3};
    double b, t;
    (void)state;
    assert_int_equal(sd_block_token(p, q, 2, 2, &b, &t, NULL), SD_OK);
    assert_close(t, 10.0 / 9.0, 1e-14);
    assert_close(b, 11.0 / 9.0, 1e-14);
    assert_int_equal(sd_block_token(p, q, 2, 1, &b, &t, NULL), SD_OK);
    assert_close(t, 2.0 / 3.0, 1e-14);
    assert_close(b, 2.0 / 3.0, 1e-14);
    /* P = Q: every draft accepted by both: gamma */
    assert_int_equal(sd_block_token(p, p, 2, 3, &b, &t, NULL), SD_OK);
    assert_close(t, 3.0, 1e-14);
    assert_close(b, 3.0, 1e-14);
}

static void test_slot_dp_equals_policy_recursion(void **state)
{
    /* Two independent computations of W(gamma): the forward slot DP and
     * the backward J-recursion with the constant policy gamma. */
    const double cs[3] = {0.0, 0.05, 0.7};
    int st;
    (void)state;
    for (st = 0; st < 2; st++) {
        sd_model m;
        size_t g, i;
        random_model(&m, 5, 23, st, 70 + (uint64_t)st);
        for (g = 1; g <= 25; g += 3)
            for (i = 0; i < 3; i++) {
                sd_calls_row r;
                uint16_t pol[23 * 5];
                double v;
                size_t k;
                for (k = 0; k < 23 * 5; k++)
                    pol[k] = (uint16_t)g;
                assert_int_equal(sd_calls_exact(&m, g, cs[i], &r, NULL, NULL), SD_OK);
                assert_int_equal(sd_calls_policy_value(&m, pol, cs[i], &v, NULL), SD_OK);
                assert_close(r.wall_time, v, 1e-12);
                assert_close(r.tokens_per_call, 23.0 / r.calls, 1e-15);
                assert_true(r.calls >= 23.0 / (double)(g + 1) - 1e-12);
            }
        sd_model_free(&m);
    }
}

static void test_gamma_at_least_T_is_theorem1(void **state)
{
    /* gamma >= T: one round until the first rejection, so calls = 1 +
     * rejections at t < T; steps = sum_t pi_t (T - t + 1). */
    sd_model m;
    size_t T = 17;
    (void)state;
    random_model(&m, 6, T, 0, 71);
    {
        double want = 1.0 + rejections_before_T(&m), pis[17], steps = 0.0;
        size_t g, t;
        for (g = T; g <= T + 5; g += 5) {
            sd_calls_row r;
            assert_int_equal(sd_calls_exact(&m, g, 0.3, &r, pis, NULL), SD_OK);
            assert_close(r.calls, want, 1e-12);
            for (t = 1, steps = 0.0; t <= T; t++)
                steps += pis[t - 1] * (double)(T - t + 1);
            assert_close(r.draft_steps, steps, 1e-12);
            assert_close(pis[0], 1.0, 1e-15);
        }
    }
    sd_model_free(&m);
}

/* Rows all with TV = tau: context-free (every row p, q) or permuted per
 * state (row s = p, q rotated by s). */
static void same_tv_model(sd_model *m, size_t V, size_t T, int rotate, const double *p,
                          const double *q)
{
    size_t s, y;
    assert_int_equal(sd_model_alloc(m, V, T, 1, 1, NULL), SD_OK);
    for (s = 0; s < V; s++)
        for (y = 0; y < V; y++) {
            m->P[s * V + y] = p[rotate ? (y + s) % V : y];
            m->Q[s * V + y] = q[rotate ? (y + s) % V : y];
        }
}

static void test_leviathan_exact_with_constant_tv(void **state)
{
    /* With TV = 1 - alpha in every row, one call from a fixed prefix
     * produces (1 - alpha^(gamma+1)) / (1 - alpha) tokens (T > gamma);
     * the chain's mean acceptance is alpha. */
    const double p[3] = {0.5, 0.3, 0.2}, q[3] = {0.2, 0.3, 0.5}; /* TV 0.3 */
    int rot;
    (void)state;
    for (rot = 0; rot < 2; rot++) {
        sd_model m;
        size_t g;
        same_tv_model(&m, 3, 20, rot, p, q);
        for (g = 1; g <= 12; g++) {
            double tok, want = (1.0 - pow(0.7, (double)g + 1.0)) / 0.3;
            sd_calls_row r;
            assert_int_equal(sd_calls_first_call_tokens(&m, g, &tok, NULL), SD_OK);
            assert_close(tok, want, 1e-13);
            assert_int_equal(sd_calls_exact(&m, g, 0.1, &r, NULL, NULL), SD_OK);
            assert_close(r.mean_accept, 0.7, 1e-13);
            assert_close(r.leviathan_tokens_per_call, want, 1e-13);
            assert_close(r.leviathan_speedup, want / (0.1 * (double)g + 1.0), 1e-13);
        }
        sd_model_free(&m);
    }
}

static void test_optimal_policy(void **state)
{
    /* J* <= min_gamma W(gamma) (gamma <= gamma_max); with c = 0 drafting
     * more never hurts, so gamma_max is optimal and J* = W(gamma_max);
     * the optimal policy's own value is J*; policy entries within
     * 1..min(gamma_max, T - t + 1). */
    sd_model m;
    const size_t V = 5, T = 30, gmax = 8;
    uint16_t pol[30 * 5];
    double J, Jc, v, best = INFINITY;
    size_t g, i;
    (void)state;
    random_model(&m, V, T, 0, 72);
    assert_int_equal(sd_calls_optimal(&m, gmax, 0.15, pol, NULL, &J, NULL), SD_OK);
    for (g = 1; g <= gmax; g++) {
        sd_calls_row r;
        assert_int_equal(sd_calls_exact(&m, g, 0.15, &r, NULL, NULL), SD_OK);
        best = fmin(best, r.wall_time);
    }
    assert_true(J <= best + 1e-12);
    assert_int_equal(sd_calls_policy_value(&m, pol, 0.15, &v, NULL), SD_OK);
    assert_close(v, J, 1e-12);
    for (i = 0; i < T * V; i++) {
        size_t t = i / V + 1;
        assert_true(pol[i] >= 1 && pol[i] <= gmax && pol[i] <= T - t + 1);
    }
    assert_int_equal(sd_calls_optimal(&m, gmax, 0.0, NULL, NULL, &Jc, NULL), SD_OK);
    {
        sd_calls_row r;
        assert_int_equal(sd_calls_exact(&m, gmax, 0.0, &r, NULL, NULL), SD_OK);
        assert_close(Jc, r.wall_time, 1e-12);
    }
    sd_model_free(&m);
}

static void test_block_at_least_token(void **state)
{
    /* Sun et al. Thm 2: from every start state, block verification
     * accepts at least as many drafts per call as token verification;
     * with gamma = 1 they are equal, also on the whole chain. */
    sd_model m;
    size_t s, g;
    (void)state;
    random_model(&m, 4, 12, 0, 73);
    for (g = 1; g <= 4; g++) {
        sd_calls_row rt, rb;
        for (s = 0; s < 4; s++) {
            double b, t;
            assert_int_equal(sd_block_first_call(&m, g, s, &b, &t, NULL), SD_OK);
            assert_true(b >= t - 1e-12);
            if (g == 1)
                assert_close(b, t, 1e-13);
        }
        assert_int_equal(sd_calls_exact(&m, g, 0.1, &rt, NULL, NULL), SD_OK);
        assert_int_equal(sd_block_exact(&m, g, 0.1, &rb, NULL, NULL), SD_OK);
        if (g == 1) {
            assert_close(rb.calls, rt.calls, 1e-12);
            assert_close(rb.draft_steps, rt.draft_steps, 1e-12);
        }
    }
    sd_model_free(&m);
}

/* Block verification on a path, averaged over every path of the target
 * chain (weights pi0(x_0) prod Q_t(x_t | x_{t-1})), against the walk over
 * the V^gamma blocks of sd_block_exact: calls, draft steps and accepted
 * drafts.  Also: on every path the conditional law of the round ends sums
 * to 1 (the round-start masses are those of a Markov chain), and gamma = 1
 * is SD's slot recursion (independent rejections r_t). */
static void test_block_on_paths(void **state)
{
    const size_t V = 3, T = 6, gammas[] = {1, 2, 3, 7};
    sd_model m;
    size_t gi, idx, t, npaths = 1;
    (void)state;
    random_model(&m, V, T, 0, 91);
    for (t = 0; t < T + 1; t++)
        npaths *= V;
    for (gi = 0; gi < sizeof gammas / sizeof gammas[0]; gi++) {
        const size_t g = gammas[gi];
        double calls = 0.0, steps = 0.0, acc = 0.0, acc_exact;
        sd_calls_row r;
        for (idx = 0; idx < npaths; idx++) { /* x_0..x_T in base V */
            size_t x[8], i = idx;
            double w, px[7], qx[7], start[8];
            sd_block_path_row row;
            for (t = 0; t <= T; t++, i /= V)
                x[t] = i % V;
            w = m.pi0[x[0]];
            for (t = 1; t <= T; t++) {
                px[t - 1] = sd_model_p(&m, t, x[t - 1])[x[t]];
                qx[t - 1] = sd_model_q(&m, t, x[t - 1])[x[t]];
                w *= qx[t - 1];
            }
            assert_int_equal(sd_block_path(px, qx, T, g, start, &row, NULL), SD_OK);
            if (g == 1) { /* SD: a round per position unless the previous was kept */
                double c = 1.0, k = 1.0; /* P(slot 0 at t) */
                for (t = 1; t < T; t++) {
                    double rt = fmax(qx[t - 1] - px[t - 1], 0.0) / qx[t - 1];
                    k = k * rt + (1.0 - k);
                    c += k;
                }
                assert_close(row.calls, c, 1e-12);
            }
            calls += w * row.calls;
            steps += w * row.draft_steps;
            acc += w * row.accepted;
        }
        assert_int_equal(sd_block_exact(&m, g, 0.0, &r, &acc_exact, NULL), SD_OK);
        assert_close(calls, r.calls, 1e-12);
        assert_close(steps, r.draft_steps, 1e-12);
        assert_close(acc, acc_exact * r.calls, 1e-12);
    }
    {
        double px[2] = {0.5, 0.5}, qx[2] = {0.5, 0.0}, start[3];
        sd_block_path_row row;
        sd_error err;
        assert_int_equal(sd_block_path(px, qx, 2, 0, start, &row, &err), SD_EINVAL);
        assert_int_equal(sd_block_path(px, qx, 2, 2, start, &row, &err), SD_EINVAL);
        assert_non_null(strstr(err.msg, "position 2"));
    }
    sd_model_free(&m);
}

/* The q-marginal of x_t for t = 1..T: mu[(t-1) V + y]. */
static double *q_marginals(const sd_model *m)
{
    size_t V = m->V, t, s, y;
    double *mu = calloc(m->T * V, sizeof *mu), *prev = m->pi0;
    for (t = 1; t <= m->T; t++) {
        for (s = 0; s < V; s++)
            for (y = 0; y < V; y++)
                mu[(t - 1) * V + y] += prev[s] * sd_model_q(m, t, s)[y];
        prev = mu + (t - 1) * V;
    }
    return mu;
}

/* Simulate and check calls, steps, wall time (z) and the emitted tokens
 * at positions 1, T/2, T (three layers); returns 1 if every check held. */
static int simulate(const sd_model *m, sd_calls_verify verify, size_t gamma,
                    const uint16_t *pol, double c, double calls, double steps, double wall,
                    size_t runs, uint64_t seed)
{
    sd_calls_sim S;
    sd_sim sim;
    sd_mc_config cfg;
    sd_mc_result res;
    sd_calls_estimate e;
    sd_checklist l;
    size_t pos[3] = {1, m->T / 2, m->T}, i, hs;
    double *mu = q_marginals(m);
    int pass;
    assert_int_equal(sd_calls_sim_alloc(&S, m, verify, gamma, pol, NULL), SD_OK);
    sim = sd_calls_sim_sim(&S);
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = runs;
    cfg.seed = seed;
    cfg.threads = 2;
    cfg.npos = 3;
    cfg.pos = pos;
    hs = sd_calls_sim_hist_size(m, S.gmax);
    assert_int_equal(sd_mc_run(&cfg, hs - 1, m->V, &sim, &res, NULL), SD_OK);
    sd_calls_estimate_from(&res, m->T, c, &e);
    sd_checklist_init(&l);
    sd_check_z(&l, "calls", calls, e.calls, e.calls_se, 4.5, NULL);
    sd_check_z(&l, "steps", steps, e.steps, e.steps_se, 4.5, NULL);
    sd_check_z(&l, "wall", wall, e.wall, e.wall_se, 4.5, NULL);
    for (i = 0; i < 3; i++)
        sd_check_law(&l, "tokens", res.tokens + i * m->V, mu + (pos[i] - 1) * m->V, m->V, 4.5,
                     1e-6, NULL);
    pass = sd_checklist_pass(&l);
    if (!pass)
        for (i = 0; i < l.n; i++)
            if (!l.v[i].pass)
                print_message("# failed %s: exact %.6g estimate %.6g z %.2f p %.3g\n",
                              l.v[i].name, l.v[i].exact, l.v[i].estimate, l.v[i].z,
                              l.v[i].p_value);
    sd_checklist_free(&l);
    sd_mc_result_free(&res);
    sd_calls_sim_free(&S);
    free(mu);
    return pass;
}

static void test_simulation_agrees(void **state)
{
    /* Token gamma = 3, block gamma = 3, the optimal policy: 6 checks each
     * (3 z at 4.5, 3 laws at z 4.5 / p 1e-6): about 1e-4 false failures
     * in all. */
    sd_model m;
    sd_calls_row r;
    uint16_t pol[20 * 4];
    double J;
    (void)state;
    random_model(&m, 4, 20, 0, 74);
    assert_int_equal(sd_calls_exact(&m, 3, 0.2, &r, NULL, NULL), SD_OK);
    assert_true(simulate(&m, SD_CALLS_TOKEN, 3, NULL, 0.2, r.calls, r.draft_steps,
                         r.wall_time, 40000, 1));
    assert_int_equal(sd_block_exact(&m, 3, 0.2, &r, NULL, NULL), SD_OK);
    assert_true(simulate(&m, SD_CALLS_BLOCK, 3, NULL, 0.2, r.calls, r.draft_steps,
                         r.wall_time, 40000, 2));
    assert_int_equal(sd_calls_optimal(&m, 6, 0.2, pol, NULL, &J, NULL), SD_OK);
    {
        /* J* splits into calls and steps by evaluating the policy at c = 0
         * (calls) and from J* itself (steps = (J* - calls) / c) */
        double calls0;
        assert_int_equal(sd_calls_policy_value(&m, pol, 0.0, &calls0, NULL), SD_OK);
        assert_true(simulate(&m, SD_CALLS_TOKEN, 0, pol, 0.2, calls0, (J - calls0) / 0.2, J,
                             40000, 3));
    }
    sd_model_free(&m);
}

static void test_negative_control(void **state)
{
    /* Block verification with tau = the first failure instead of the last
     * passing index: the same exact values must be rejected. */
    sd_model m;
    sd_calls_row r;
    (void)state;
    random_model(&m, 4, 20, 0, 75);
    assert_int_equal(sd_block_exact(&m, 4, 0.2, &r, NULL, NULL), SD_OK);
    assert_false(simulate(&m, SD_CALLS_BLOCK_FIRST_FAIL, 4, NULL, 0.2, r.calls,
                          r.draft_steps, r.wall_time, 40000, 4));
    sd_model_free(&m);
}

static void test_bad_inputs(void **state)
{
    sd_model m;
    sd_calls_row r;
    sd_error err;
    double v;
    (void)state;
    random_model(&m, 7, 50, 0, 76);
    assert_int_equal(sd_calls_exact(&m, 0, 0.1, &r, NULL, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "gamma = 0"));
    assert_int_equal(sd_calls_exact(&m, SD_CALLS_MAX_GAMMA + 1, 0.1, &r, NULL, &err),
                     SD_EINVAL);
    assert_non_null(strstr(err.msg, "1024"));
    assert_int_equal(sd_calls_exact(&m, 2, -0.1, &r, NULL, &err), SD_EINVAL);
    assert_int_equal(sd_calls_exact(&m, 2, NAN, &r, NULL, &err), SD_EINVAL);
    assert_int_equal(sd_calls_optimal(&m, 2, INFINITY, NULL, NULL, &v, &err), SD_EINVAL);
    assert_int_equal(sd_block_exact(&m, 12, 0.1, &r, NULL, &err), SD_ERANGE);
    assert_non_null(strstr(err.msg, "limit"));
    sd_model_free(&m);
}

static sd_status calls_attempt(void *ctx, int which)
{
    const sd_model *m = ctx;
    sd_calls_row r;
    double v;
    return which == 0   ? sd_calls_exact(m, 2, 0.1, &r, NULL, NULL)
           : which == 1 ? sd_calls_optimal(m, 3, 0.1, NULL, NULL, &v, NULL)
                        : sd_block_exact(m, 2, 0.1, &r, NULL, NULL);
}

static void test_alloc_failure(void **state)
{
    sd_model m;
    (void)state;
    random_model(&m, 3, 6, 0, 77);
    sd_test_alloc_sweep(calls_attempt, &m, 3, 60);
    sd_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_hand_vectors),
        cmocka_unit_test(test_slot_dp_equals_policy_recursion),
        cmocka_unit_test(test_gamma_at_least_T_is_theorem1),
        cmocka_unit_test(test_leviathan_exact_with_constant_tv),
        cmocka_unit_test(test_optimal_policy),
        cmocka_unit_test(test_block_at_least_token),
        cmocka_unit_test(test_block_on_paths),
        cmocka_unit_test(test_simulation_agrees),
        cmocka_unit_test(test_negative_control),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests_name("calls", tests, NULL, NULL);
}
