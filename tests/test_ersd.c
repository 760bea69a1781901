/* test_ersd.c - exponential races (doc/theory.md §6.4): the quadrature against the
 * k = 1 closed form and hand-solved instances, the literal race by Monte
 * Carlo (acceptance, accepted-token law, rejection law, unbiasedness),
 * the coupling bound at k = 1, and the chain form against its
 * simulation. */
#include "testutil.h"
#include "chain_ref.h"

#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "check.h"
#include "ersd.h"
#include "exact.h"
#include "mc.h"
#include "model.h"
#include "rng.h"
#include "roundstart.h"
#include "token_instances.h"

#define MAXV 8
#define MAXK 8
#define EPSREL 1e-12
#define EPSABS 1e-13

static sd_ersd_ws *new_ws(size_t V, size_t K)
{
    sd_ersd_ws *ws = NULL;
    assert_int_equal(sd_ersd_ws_alloc(&ws, V, K, EPSABS, EPSREL, 1000, NULL), SD_OK);
    return ws;
}

static void test_closed_form_vs_quadrature_k1(void **state)
{
    gsl_rng *r = sd_rng_stream_alloc(NULL, 21, 0);
    double p[MAXV], q[MAXV];
    int n;
    (void)state;
    for (n = 0; n < 400; n++) {
        size_t V = 1 + (size_t)n % MAXV;
        sd_ersd_ws *ws = new_ws(V, 1);
        double a, e;
        ti_pair(r, V, n, p, q);
        assert_int_equal(sd_ersd_accept(p, q, V, 1, ws, &a, &e, NULL), SD_OK);
        assert_true(e >= 0.0 && e < 1e-9);
        assert_close(a, sd_ersd_accept_k1(p, q, V), 1e-10);
        sd_ersd_ws_free(ws);
    }
    gsl_rng_free(r);
}

static void test_closed_form_extreme_scales(void **state)
{
    /* Rows with entries u^20 (Dirichlet(0.1)-like: ratios Q/P up to 1e15
     * and more) put each token's mass at scales s ~ 1/c many orders below
     * 1; the piecewise quadrature must still match the closed form
     * (relative 1e-10 per token's share, checked on the total). */
    gsl_rng *r = sd_rng_stream_alloc(NULL, 25, 0);
    double p[MAXV], q[MAXV];
    int n;
    (void)state;
    for (n = 0; n < 300; n++) {
        size_t V = 2 + (size_t)n % (MAXV - 1), x;
        sd_ersd_ws *ws = new_ws(V, 1);
        double a, cf, acc[MAXV];
        for (x = 0; x < V; x++) {
            p[x] = pow(gsl_rng_uniform_pos(r), 20.0);
            q[x] = pow(gsl_rng_uniform_pos(r), 20.0);
        }
        ti_normalise(p, V);
        ti_normalise(q, V);
        assert_int_equal(sd_ersd_acc(p, q, V, 1, ws, acc, NULL, NULL), SD_OK);
        for (x = 0, a = 0.0; x < V; x++)
            a += acc[x];
        cf = sd_ersd_accept_k1(p, q, V);
        if (!(fabs(a - cf) <= 1e-10 * cf))
            fail_msg("V = %zu: quadrature %.17g, closed form %.17g", V, a, cf);
        sd_ersd_ws_free(ws);
    }
    gsl_rng_free(r);
}

static void test_hand_instances(void **state)
{
    /* P uniform on V, Q = delta_0: the target is always 0, and 0 is among
     * the first k arrivals of V symmetric clocks with probability k/V.
     * P = Q: both races are the same race, the target arrives first. */
    enum { V = 5 };
    double p[V], q[V];
    size_t k, x;
    sd_ersd_ws *ws = new_ws(V, V);
    (void)state;
    for (x = 0; x < V; x++) {
        p[x] = 1.0 / V;
        q[x] = x == 0 ? 1.0 : 0.0;
    }
    for (k = 1; k <= V; k++) {
        double a;
        assert_int_equal(sd_ersd_accept(p, q, V, k, ws, &a, NULL, NULL), SD_OK);
        assert_close(a, (double)k / V, 1e-10);
    }
    assert_close(sd_ersd_accept_k1(p, q, V), 1.0 / V, 1e-15);
    for (x = 0; x < V; x++)
        q[x] = p[x] = ((double)x + 1.0) / 15.0;
    for (k = 1; k <= 3; k++) {
        double a;
        assert_int_equal(sd_ersd_accept(p, q, V, k, ws, &a, NULL, NULL), SD_OK);
        assert_close(a, 1.0, 1e-10);
    }
    sd_ersd_ws_free(ws);
}

static void test_coupling_bound_k1(void **state)
{
    /* doc/theory.md §2 corollary: one draft coupled with one target token disagrees
     * with probability >= TV, so ERSD's k = 1 acceptance <= 1 - TV. */
    gsl_rng *r = sd_rng_stream_alloc(NULL, 22, 0);
    double p[MAXV], q[MAXV];
    int n;
    (void)state;
    for (n = 0; n < 2000; n++) {
        size_t V = 1 + (size_t)n % MAXV;
        ti_pair(r, V, n, p, q);
        assert_true(sd_ersd_accept_k1(p, q, V) <= 1.0 - sd_tv(p, q, V) + 1e-12);
    }
    gsl_rng_free(r);
}

static void test_step_laws(void **state)
{
    /* acc + rej res = q, res a law; acceptance non-decreasing in k and
     * equal to Q(supp P) once k >= |supp P| (every token P can draft is
     * then a draft). */
    gsl_rng *r = sd_rng_stream_alloc(NULL, 23, 0);
    double p[MAXV], q[MAXV];
    sd_step st;
    int n;
    (void)state;
    assert_int_equal(sd_step_alloc(&st, MAXV, NULL), SD_OK);
    for (n = 0; n < 120; n++) {
        size_t V = 1 + (size_t)n % MAXV, k, x, supp = 0;
        double prev = -1.0, qsupp = 0.0;
        sd_ersd_ws *ws = new_ws(V, V);
        ti_pair(r, V, n, p, q);
        for (x = 0; x < V; x++)
            if (p[x] > 0.0) {
                supp++;
                qsupp += q[x];
            }
        for (k = 1; k <= V; k++) {
            double a = 0.0, rs = 0.0;
            assert_int_equal(sd_ersd_step(p, q, V, k, ws, &st, NULL), SD_OK);
            for (x = 0; x < V; x++) {
                a += st.acc[x];
                rs += st.res[x];
                assert_true(st.res[x] >= 0.0 && st.acc[x] >= 0.0);
                assert_true(st.acc[x] <= q[x] + 1e-12);
                assert_close(st.acc[x] + st.rej * st.res[x], q[x], 1e-10);
                if (p[x] == 0.0)
                    assert_true(st.acc[x] == 0.0); /* never a draft */
            }
            assert_close(a + st.rej, 1.0, 1e-12);
            if (st.rej > 0.0)
                assert_close(rs, 1.0, 1e-12);
            assert_true(a >= prev - 1e-10);
            prev = a;
            if (k >= supp)
                assert_close(a, qsupp, 1e-10);
        }
        sd_ersd_ws_free(ws);
    }
    sd_step_free(&st);
    gsl_rng_free(r);
}

static void test_race_monte_carlo(void **state)
{
    /* 400000 literal races (V = 6, k = 1, 2, 3) against the quadrature:
     * emitted tokens ~ q (unbiased), accepted tokens ~ acc / sum acc,
     * tokens after rejection ~ res, and the acceptance rate (z-test).
     * 4 checks per k at z 4.5 / p 1e-6: false failure about 1e-4 in all. */
    enum { V = 6, N = 400000 };
    gsl_rng *r = sd_rng_stream_alloc(NULL, 24, 0);
    double p[V], q[V], clocks[V];
    sd_ersd_ws *ws = new_ws(V, 3);
    sd_step st;
    size_t k, x, n;
    (void)state;
    ti_pair(r, V, TI_SKEWED, p, q);
    assert_int_equal(sd_step_alloc(&st, V, NULL), SD_OK);
    for (k = 1; k <= 3; k++) {
        uint64_t tok[V] = {0}, acc_tok[V] = {0}, rej_tok[V] = {0}, nacc = 0;
        double accl[V], a;
        sd_checklist l;
        assert_int_equal(sd_ersd_step(p, q, V, k, ws, &st, NULL), SD_OK);
        a = 1.0 - st.rej;
        for (x = 0; x < V; x++)
            accl[x] = st.acc[x] / a;
        for (n = 0; n < N; n++) {
            int ok;
            size_t y = sd_ersd_race(p, q, V, k, r, clocks, &ok);
            tok[y]++;
            if (ok) {
                acc_tok[y]++;
                nacc++;
            } else {
                rej_tok[y]++;
            }
        }
        sd_checklist_init(&l);
        assert_int_equal(sd_check_law(&l, "emitted", tok, q, V, 4.5, 1e-6, NULL), SD_OK);
        assert_int_equal(sd_check_law(&l, "accepted", acc_tok, accl, V, 4.5, 1e-6, NULL),
                         SD_OK);
        assert_int_equal(sd_check_law(&l, "rejected", rej_tok, st.res, V, 4.5, 1e-6, NULL),
                         SD_OK);
        assert_int_equal(sd_check_z(&l, "acceptance", a, (double)nacc / N,
                                    sqrt(a * (1.0 - a) / N), 4.5, NULL), SD_OK);
        for (x = 0; x < l.n; x++)
            if (!l.v[x].pass)
                fail_msg("k = %zu, %s: %s", k, l.v[x].name, l.v[x].detail);
        sd_checklist_free(&l);
    }
    sd_step_free(&st);
    sd_ersd_ws_free(ws);
    gsl_rng_free(r);
}

static void test_chain_mc(void **state)
{
    /* Round-start ERSD on a small chain: exact against 200000 literal runs
     * (z 4.5: false failure about once in 150000), bit-identical on 1 and 2
     * threads; k = 1 differs from SD (ERSD's k = 1 acceptance is at most
     * 1 - TV, so it rejects more). */
    sd_model m;
    sd_ersd_ws *ws = new_ws(4, 3);
    sd_ersd_sim es;
    sd_roundstart_sim rs;
    sd_rs_verifier v;
    sd_sim sim;
    sd_mc_result res;
    double exact, e1, sd;
    (void)state;
    assert_int_equal(sd_model_random(&m, 4, 10, SD_FAMILY_PAPER, 1.0, 0, 9, NULL), SD_OK);
    assert_int_equal(sd_roundstart_exact(&m, sd_ersd_step, ws, 3, &exact, NULL, NULL), SD_OK);
    assert_int_equal(sd_roundstart_exact(&m, sd_ersd_step, ws, 1, &e1, NULL, NULL), SD_OK);
    assert_int_equal(sd_exact_sd_mean(&m, &sd, NULL), SD_OK);
    assert_true(e1 >= sd - 1e-12);
    es.m = &m;
    es.M = 3;
    v = sd_ersd_rs_verifier(&es);
    assert_int_equal(sd_roundstart_sim_alloc(&rs, &m, &v, NULL), SD_OK);
    sim = sd_roundstart_sim_sim(&rs);
    cr_mc_mean_keep(&sim, &m, exact, 200000, 78, &res);
    {
        /* the same seed gives the same histogram on 1 thread (per-thread clocks) */
        sd_mc_config cfg;
        sd_mc_result one;
        size_t c;
        memset(&cfg, 0, sizeof cfg);
        cfg.runs = 200000;
        cfg.seed = 78;
        cfg.threads = 1;
        assert_int_equal(sd_mc_run(&cfg, m.T, m.V, &sim, &one, NULL), SD_OK);
        for (c = 0; c <= m.T; c++)
            assert_true(one.hist[c] == res.hist[c]);
        sd_mc_result_free(&one);
    }
    sd_mc_result_free(&res);
    sd_roundstart_sim_free(&rs);
    sd_ersd_ws_free(ws);
    sd_model_free(&m);
}

static void test_errors(void **state)
{
    const double p[2] = {0.5, 0.5}, q[2] = {0.2, 0.8};
    double acc[2];
    sd_ersd_ws *ws = NULL;
    sd_error err;
    (void)state;
    assert_int_equal(sd_ersd_ws_alloc(&ws, 0, 1, 1e-10, 1e-10, 100, &err), SD_EINVAL);
    assert_int_equal(sd_ersd_ws_alloc(&ws, 2, 0, 1e-10, 1e-10, 100, &err), SD_EINVAL);
    assert_int_equal(sd_ersd_ws_alloc(&ws, 2, 1, 0.0, 0.0, 100, &err), SD_EINVAL);
    assert_null(ws);
    ws = new_ws(2, 2);
    assert_int_equal(sd_ersd_acc(p, q, 2, 3, ws, acc, NULL, &err), SD_EINVAL);
    assert_int_equal(sd_ersd_acc(p, q, 2, 0, ws, acc, NULL, &err), SD_EINVAL);
    assert_int_equal(sd_ersd_acc(p, q, 3, 1, ws, acc, NULL, &err), SD_EINVAL);
    sd_ersd_ws_free(ws);
}

static void test_alloc_failure(void **state)
{
    unsigned long n;
    sd_status rc = SD_ENOMEM;
    (void)state;
    for (n = 1; n < 50 && rc != SD_OK; n++) {
        sd_ersd_ws *ws = NULL;
        sd_error err;
        sd_alloc_fail_at(n, 0);
        rc = sd_ersd_ws_alloc(&ws, 4, 2, 1e-10, 1e-10, 100, &err);
        sd_alloc_fail_at(0, 0);
        if (rc != SD_OK) {
            assert_int_equal(rc, SD_ENOMEM);
            assert_null(ws);
        }
        sd_ersd_ws_free(ws);
    }
    assert_int_equal(rc, SD_OK);
    assert_true(n >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_form_vs_quadrature_k1),
        cmocka_unit_test(test_closed_form_extreme_scales),
        cmocka_unit_test(test_hand_instances),
        cmocka_unit_test(test_coupling_bound_k1),
        cmocka_unit_test(test_step_laws),
        cmocka_unit_test(test_race_monte_carlo),
        cmocka_unit_test(test_chain_mc),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests_name("ersd", tests, NULL, NULL);
}
