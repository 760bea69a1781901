/* test_biased.c - biased token rules at one step: Theorems 4 and 5
 * (doc/theory.md §4).  Expected numbers come from hand calculation (documented in
 * each case), from brute force over a grid of the simplex, or from the
 * definitions evaluated directly in the test (min/max, no library). */
#include "testutil.h"

#include <gsl/gsl_rng.h>

#include "biased.h"
#include "rng.h"
#include "rule.h"

#define VMAX 9

/* A random law on [V] with about a quarter of the entries zero (never
 * all): the edge cases "zeros in rows", one-hot rows, V = 1. */
static void random_law(gsl_rng *r, size_t V, double *p)
{
    double s = 0.0;
    size_t x;
    for (x = 0; x < V; x++) {
        p[x] = gsl_rng_uniform(r) < 0.25 ? 0.0 : gsl_rng_uniform_pos(r);
        s += p[x];
    }
    if (s == 0.0) {
        p[gsl_rng_uniform_int(r, V)] = 1.0;
        return;
    }
    for (x = 0; x < V; x++)
        p[x] /= s;
}

/* min(1, Q/P) with the never-drafted convention 1 where P = 0. */
static double b_sd(double p, double q)
{
    return p > 0.0 && q < p ? q / p : 1.0;
}

static double tv_direct(const double *p, const double *q, size_t V)
{
    double d = 0.0;
    size_t x;
    for (x = 0; x < V; x++)
        d += fabs(p[x] - q[x]);
    return 0.5 * d;
}

static void test_resample_names(void **state)
{
    (void)state;
    assert_int_equal(sd_resample_parse("opt"), SD_RESAMPLE_OPT);
    assert_int_equal(sd_resample_parse("uno"), SD_RESAMPLE_UNO);
    assert_int_equal(sd_resample_parse("OPT"), -1);
    assert_int_equal(sd_resample_parse(""), -1);
    assert_string_equal(sd_resample_name(SD_RESAMPLE_OPT), "opt");
    assert_string_equal(sd_resample_name(SD_RESAMPLE_UNO), "uno");
}

static void test_b_eps_by_hand(void **state)
{
    /* P = (.5,.3,.2,0), Q = (.2,.2,.5,.1).  eps = .1: (Q+eps)/P =
     * (.6, 1, 3, -) -> b = (.6, 1, 1, 1 [never drafted]).
     * eps = 0: b = (.4, 2/3, 1, 1). */
    const double p[4] = {0.5, 0.3, 0.2, 0.0}, q[4] = {0.2, 0.2, 0.5, 0.1};
    double b[4], w[4];
    (void)state;
    sd_biased_b_eps(p, q, 4, 0.1, b);
    assert_close(b[0], 0.6, 1e-15);
    assert_true(b[1] == 1.0 && b[2] == 1.0 && b[3] == 1.0);
    sd_biased_w_eps(p, q, 4, 0.1, w);
    assert_close(w[0], 0.3, 1e-15);
    assert_true(w[1] == 0.3 && w[2] == 0.2 && w[3] == 0.0);
    sd_biased_b_eps(p, q, 4, 0.0, b);
    assert_close(b[0], 0.4, 1e-15);
    assert_close(b[1], 2.0 / 3.0, 1e-15);
    assert_true(b[2] == 1.0 && b[3] == 1.0);
    sd_biased_w_eps(p, q, 4, 0.0, w);
    assert_true(w[0] == 0.2 && w[1] == 0.2 && w[2] == 0.2 && w[3] == 0.0);
}

static void test_theorem4_by_hand(void **state)
{
    /* P = (.5,.5), Q = (.9,.1), b = (.2, 1): w = (.1,.5), a = .6.
     * Loss* = [.1-.9]_+ + [.5-.1]_+ = .4; R* = [Q-w]_+ = (.8,0)/.8 = (1,0);
     * O = (.1+.4, .5) = (.5,.5), TV(O,Q) = .4 = Loss*.
     * UNO: O = (.1+.4*.9, .5+.4*.1) = (.46,.54), TV = .44.
     * Theorem 5: 1 - sum min(w,Q) = 1 - (.1+.1) = .8 = P_rej + Loss*. */
    const double p[2] = {0.5, 0.5}, q[2] = {0.9, 0.1}, b[2] = {0.2, 1.0};
    double w[2], r[2], o[2];
    (void)state;
    sd_biased_mass(b, p, 2, w);
    assert_close(sd_biased_accept(w, 2), 0.6, 1e-15);
    assert_close(sd_biased_loss_star(w, q, 2), 0.4, 1e-15);
    assert_close(sd_biased_r_star(w, q, 2, r), 0.8, 1e-15);
    assert_close(r[0], 1.0, 1e-15);
    assert_true(r[1] == 0.0);
    sd_biased_output(w, r, 2, o);
    assert_close(o[0], 0.5, 1e-15);
    assert_close(o[1], 0.5, 1e-15);
    assert_close(sd_biased_loss_tv(w, r, q, 2), 0.4, 1e-15);
    assert_close(sd_biased_loss_tv(w, q, q, 2), 0.44, 1e-15);
    assert_close(sd_biased_front(w, q, 2), 0.8, 1e-15);
}

/* Theorem 4: R* attains Loss*, and none of 300 random R (uniform and
 * sparse laws, one-hot vertices) does better, over 400 random instances
 * of sizes 1..8 with arbitrary b. */
static void test_theorem4_random_r(void **state)
{
    gsl_rng *g = sd_rng_stream_alloc(NULL, 41, 0);
    double p[VMAX], q[VMAX], b[VMAX], w[VMAX], r[VMAX], rs[VMAX];
    int inst, k;
    (void)state;
    for (inst = 0; inst < 400; inst++) {
        size_t V = 1 + (size_t)inst % 8, x;
        double ls;
        random_law(g, V, p);
        random_law(g, V, q);
        for (x = 0; x < V; x++)
            b[x] = gsl_rng_uniform(g);
        sd_biased_mass(b, p, V, w);
        ls = sd_biased_loss_star(w, q, V);
        sd_biased_r_star(w, q, V, rs);
        assert_close(sd_biased_loss_tv(w, rs, q, V), ls, 1e-14);
        for (k = 0; k < 300; k++) {
            if (k < (int)V) {
                memset(r, 0, V * sizeof r[0]);
                r[k] = 1.0;
            } else {
                random_law(g, V, r);
            }
            assert_true(sd_biased_loss_tv(w, r, q, V) >= ls - 1e-14);
        }
    }
    gsl_rng_free(g);
}

/* Theorem 4 by brute force: on V = 2 and V = 3, the smallest Loss_TV over
 * a grid of the simplex with step 1/N equals Loss*.  Loss_TV is
 * Lipschitz in R: TV(O1, O2) = (1-a) TV(R1, R2), and every law is within
 * TV (V-1)/N of a grid point, so min_grid <= Loss* + (1-a)(V-1)/N. */
static void test_theorem4_grid(void **state)
{
    gsl_rng *g = sd_rng_stream_alloc(NULL, 42, 0);
    const int N = 150;
    double p[3], q[3], b[3], w[3], r[3];
    int inst, i, j;
    (void)state;
    for (inst = 0; inst < 40; inst++) {
        size_t V = inst % 2 ? 3 : 2, x;
        double ls, best = INFINITY, a;
        random_law(g, V, p);
        random_law(g, V, q);
        for (x = 0; x < V; x++)
            b[x] = gsl_rng_uniform(g);
        sd_biased_mass(b, p, V, w);
        a = 0.0;
        for (x = 0; x < V; x++)
            a += w[x];
        /* Loss* from its definition: the positive part of w - Q */
        ls = 0.0;
        for (x = 0; x < V; x++)
            ls += fmax(w[x] - q[x], 0.0);
        for (i = 0; i <= N; i++)
            for (j = 0; j <= (V == 3 ? N - i : 0); j++) {
                double o[3], d = 0.0;
                r[0] = (double)i / N;
                if (V == 2) {
                    r[1] = 1.0 - r[0];
                } else {
                    r[1] = (double)j / N;
                    r[2] = 1.0 - r[0] - r[1];
                }
                for (x = 0; x < V; x++) {
                    o[x] = w[x] + (1.0 - a) * r[x];
                    d += fabs(o[x] - q[x]);
                }
                if (0.5 * d < best)
                    best = 0.5 * d;
            }
        assert_true(best >= ls - 1e-14);
        assert_true(best <= ls + (1.0 - a) * (double)(V - 1) / N + 1e-14);
        assert_close(sd_biased_loss_star(w, q, V), ls, 1e-15);
    }
    gsl_rng_free(g);
}

/* Theorem 5: P_rej + Loss* = 1 - sum min(bP, Q) for every b (to
 * rounding), which equals TV(P, Q) for every over-accepting b
 * (b >= min(1, Q/P)), and is >= TV for arbitrary b. */
static void test_theorem5_identity_and_bound(void **state)
{
    gsl_rng *g = sd_rng_stream_alloc(NULL, 43, 0);
    double p[VMAX], q[VMAX], b[VMAX], w[VMAX];
    int inst;
    (void)state;
    for (inst = 0; inst < 3000; inst++) {
        size_t V = 1 + (size_t)inst % VMAX, x;
        double tv, front, m = 0.0;
        int over = inst % 3 != 0;
        random_law(g, V, p);
        random_law(g, V, q);
        tv = tv_direct(p, q, V);
        for (x = 0; x < V; x++) {
            double lo = b_sd(p[x], q[x]), u = gsl_rng_uniform(g);
            /* over-accepting: anywhere in [min(1,Q/P), 1], half the time
             * exactly at either end; otherwise anywhere in [0, 1] */
            b[x] = over ? (u < 0.25 ? lo : u < 0.5 ? 1.0 : lo + (1.0 - lo) * u) : u;
        }
        sd_biased_mass(b, p, V, w);
        for (x = 0; x < V; x++)
            m += fmin(w[x], q[x]);
        front = (1.0 - sd_biased_accept(w, V)) + sd_biased_loss_star(w, q, V);
        assert_close(front, 1.0 - m, 1e-14);
        assert_close(sd_biased_front(w, q, V), 1.0 - m, 1e-15);
        if (over)
            assert_close(front, tv, 1e-14);
        else
            assert_true(front >= tv - 1e-14);
    }
    gsl_rng_free(g);
}

/* Strictly above the front when min(bP, Q) != min(P, Q): halving the SD
 * acceptance on a token with P, Q > 0 costs (P/2 min(1,Q/P)) = min(P,Q)/2. */
static void test_theorem5_strict(void **state)
{
    /* P = (.6,.4), Q = (.3,.7), TV = .3.  b = (.25, 1): w = (.15,.4),
     * sum min(w,Q) = .15 + .4 = .55 -> P_rej + Loss* = .45 = .3 + .15. */
    const double p[2] = {0.6, 0.4}, q[2] = {0.3, 0.7}, b[2] = {0.25, 1.0};
    double w[2];
    (void)state;
    sd_biased_mass(b, p, 2, w);
    assert_close(1.0 - sd_biased_accept(w, 2) + sd_biased_loss_star(w, q, 2), 0.45, 1e-15);
}

/* Decoding-OPT's bias never exceeds Decoding-UNO's, for arbitrary b and
 * for b_eps; the steps' laws are the rule's. */
static void test_opt_le_uno(void **state)
{
    gsl_rng *g = sd_rng_stream_alloc(NULL, 44, 0);
    double p[VMAX], q[VMAX], b[VMAX], w[VMAX], rs[VMAX], acc[VMAX], res[VMAX];
    sd_step st = {0, 0.0, acc, res};
    int inst;
    (void)state;
    for (inst = 0; inst < 2000; inst++) {
        size_t V = 1 + (size_t)inst % VMAX, x;
        double eps = 0.5 * gsl_rng_uniform(g), lopt, luno;
        random_law(g, V, p);
        random_law(g, V, q);
        for (x = 0; x < V; x++)
            b[x] = gsl_rng_uniform(g);
        sd_biased_mass(b, p, V, w);
        sd_biased_r_star(w, q, V, rs);
        assert_true(sd_biased_loss_tv(w, rs, q, V) <= sd_biased_loss_tv(w, q, q, V) + 1e-14);
        st.V = V;
        sd_biased_eps_step(p, q, V, eps, SD_RESAMPLE_OPT, &st);
        lopt = sd_biased_loss_tv(acc, res, q, V);
        sd_biased_eps_step(p, q, V, eps, SD_RESAMPLE_UNO, &st);
        luno = st.rej > 0.0 ? sd_biased_loss_tv(acc, res, q, V) : sd_biased_loss_tv(acc, q, q, V);
        assert_true(lopt <= luno + 1e-14);
        /* b_eps is over-accepting: OPT lies on the front */
        assert_close(st.rej + lopt, tv_direct(p, q, V), 1e-14);
    }
    gsl_rng_free(g);
}

/* b = min(1, Q/P) is SD: zero bias, rejection probability TV, output Q,
 * the same step laws as sd_rule_sd_step. */
static void test_sd_rule_is_unbiased(void **state)
{
    gsl_rng *g = sd_rng_stream_alloc(NULL, 45, 0);
    double p[VMAX], q[VMAX], b[VMAX], w[VMAX], r[VMAX], o[VMAX];
    double acc[VMAX], res[VMAX], acc2[VMAX], res2[VMAX];
    sd_step st = {0, 0.0, acc, res}, sd = {0, 0.0, acc2, res2};
    int inst;
    (void)state;
    for (inst = 0; inst < 1000; inst++) {
        size_t V = 1 + (size_t)inst % VMAX, x;
        double tv;
        random_law(g, V, p);
        random_law(g, V, q);
        tv = tv_direct(p, q, V);
        for (x = 0; x < V; x++)
            b[x] = b_sd(p[x], q[x]);
        sd_biased_mass(b, p, V, w);
        assert_true(sd_biased_loss_star(w, q, V) <= 1e-15);
        assert_close(1.0 - sd_biased_accept(w, V), tv, 1e-14);
        sd_biased_r_star(w, q, V, r);
        sd_biased_output(w, r, V, o);
        for (x = 0; x < V; x++)
            assert_close(o[x], q[x], 1e-14);
        /* the division-free b_0 gives exactly zero Loss* */
        st.V = sd.V = V;
        sd_biased_eps_step(p, q, V, 0.0, SD_RESAMPLE_OPT, &st);
        assert_true(sd_biased_loss_star(acc, q, V) == 0.0);
        sd_rule_sd_step(p, q, V, 1, NULL, &sd, NULL);
        assert_close(st.rej, sd.rej, 1e-14);
        for (x = 0; x < V; x++) {
            assert_true(acc[x] == acc2[x]);
            if (sd.rej > 1e-9)
                assert_close(res[x], res2[x], 1e-12);
        }
    }
    gsl_rng_free(g);
}

/* eps >= max P: b_eps = 1, no rejection, bias TV(P, Q) for OPT and UNO. */
static void test_large_eps(void **state)
{
    gsl_rng *g = sd_rng_stream_alloc(NULL, 46, 0);
    double p[VMAX], q[VMAX], b[VMAX], acc[VMAX], res[VMAX];
    sd_step st = {0, 0.0, acc, res};
    int inst, k;
    (void)state;
    for (inst = 0; inst < 500; inst++) {
        size_t V = 1 + (size_t)inst % VMAX, x;
        double tv, eps = inst % 2 ? 1.0 : 0.0;
        random_law(g, V, p);
        random_law(g, V, q);
        tv = tv_direct(p, q, V);
        for (x = 0; x < V; x++)
            eps = fmax(eps, p[x]);
        sd_biased_b_eps(p, q, V, eps, b);
        for (x = 0; x < V; x++)
            assert_true(b[x] == 1.0);
        st.V = V;
        for (k = 0; k < 2; k++) {
            sd_biased_eps_step(p, q, V, eps, (sd_resample)k, &st);
            assert_true(st.rej == 0.0 || fabs(st.rej) <= 1e-15);
            for (x = 0; x < V; x++)
                assert_true(acc[x] == p[x]);
            assert_close(sd_biased_loss_tv(acc, q, q, V), tv, 1e-14);
            assert_close(sd_biased_loss_star(acc, q, V), tv, 1e-14);
        }
    }
    gsl_rng_free(g);
}

/* Along b_eps, OPT moves down the front: P_rej falls and Loss* grows
 * with eps (each by the same amount). */
static void test_eps_monotone(void **state)
{
    gsl_rng *g = sd_rng_stream_alloc(NULL, 47, 0);
    double p[VMAX], q[VMAX], w[VMAX];
    int inst, k;
    (void)state;
    for (inst = 0; inst < 300; inst++) {
        size_t V = 2 + (size_t)inst % (VMAX - 1);
        double prev_rej = 2.0, prev_loss = -1.0;
        random_law(g, V, p);
        random_law(g, V, q);
        for (k = 0; k <= 20; k++) {
            double rej, loss;
            sd_biased_w_eps(p, q, V, 0.05 * k, w);
            rej = 1.0 - sd_biased_accept(w, V);
            loss = sd_biased_loss_star(w, q, V);
            assert_true(rej <= prev_rej + 1e-15);
            assert_true(loss >= prev_loss - 1e-15);
            prev_rej = rej;
            prev_loss = loss;
        }
    }
    gsl_rng_free(g);
}

/* Edge cases: V = 1; P = Q; disjoint supports; a = 1 (R* arbitrary). */
static void test_typical_by_hand(void **state)
{
    /* Q = (0.95, 0.04, 0.01): H = -(0.95 ln 0.95 + 0.04 ln 0.04 + 0.01 ln 0.01)
     * = 0.0487292 + 0.1287550 + 0.0460517 = 0.2235354, 0.3 exp(-H) =
     * 0.2399060, so the threshold is min(0.09, 0.2399) = 0.09 and only
     * token 0 is accepted.  With P = (0.5, 0.3, 0.2): w = (0.5, 0, 0),
     * P_rej = 0.5, Loss* = 0, above Theorem 5's front TV = 0.45 by 0.05.
     * Q = (0.5, 0.3, 0.2): H = 1.0296530, 0.3 exp(-H) = 0.1071393 > 0.09:
     * threshold 0.09, every token accepted: with P = (0.2, 0.3, 0.5),
     * P_rej = 0 and Loss* = TV = 0.3 (on the front).  delta = 0.05 gives
     * 0.05 exp(-H) = 0.0178565 < 0.09: the entropy term decides. */
    const double q1[3] = {0.95, 0.04, 0.01}, p1[3] = {0.5, 0.3, 0.2};
    const double q2[3] = {0.5, 0.3, 0.2}, p2[3] = {0.2, 0.3, 0.5};
    double w[3];
    (void)state;
    assert_close(sd_biased_typical_threshold(q1, 3, 0.09, 0.3), 0.09, 1e-15);
    assert_close(sd_biased_typical_threshold(q1, 3, 1.0, 0.3), 0.2399060, 1e-6);
    sd_biased_w_typical(p1, q1, 3, 0.09, 0.3, w);
    assert_true(w[0] == 0.5 && w[1] == 0.0 && w[2] == 0.0);
    assert_close(1.0 - sd_biased_accept(w, 3), 0.5, 1e-15);
    assert_close(sd_biased_loss_star(w, q1, 3), 0.0, 1e-15);
    assert_close(sd_biased_front(w, q1, 3), 0.5, 1e-15);
    assert_close(sd_tv(p1, q1, 3), 0.45, 1e-15);
    sd_biased_w_typical(p2, q2, 3, 0.09, 0.3, w);
    assert_close(1.0 - sd_biased_accept(w, 3), 0.0, 1e-15);
    assert_close(sd_biased_loss_star(w, q2, 3), 0.3, 1e-15);
    assert_close(sd_biased_typical_threshold(q2, 3, 0.09, 0.05), 0.0178565, 1e-5);
}

static void test_edge_cases(void **state)
{
    const double one[1] = {1.0};
    const double pd[2] = {1.0, 0.0}, qd[2] = {0.0, 1.0};
    const double pe[3] = {0.2, 0.3, 0.5};
    double w[3], r[3], acc[3], res[3];
    sd_step st = {0, 0.0, acc, res};
    (void)state;
    /* V = 1: nothing to reject, nothing lost */
    st.V = 1;
    sd_biased_eps_step(one, one, 1, 0.0, SD_RESAMPLE_OPT, &st);
    assert_true(st.rej == 0.0 && res[0] == 0.0);
    assert_true(sd_biased_loss_tv(acc, one, one, 1) == 0.0);
    /* P = Q: b_eps = 1, no rejection, no bias, whatever eps */
    st.V = 3;
    sd_biased_eps_step(pe, pe, 3, 0.3, SD_RESAMPLE_UNO, &st);
    assert_true(st.rej == 0.0);
    assert_true(sd_biased_loss_star(acc, pe, 3) == 0.0);
    /* disjoint supports, eps = .3: w = (.3, 0), P_rej = .7, Loss* = .3,
     * R* = Q = (0,1), O = (.3,.7), TV(O,Q) = .3; the front: .7+.3 = 1 = TV */
    st.V = 2;
    sd_biased_eps_step(pd, qd, 2, 0.3, SD_RESAMPLE_OPT, &st);
    assert_close(st.rej, 0.7, 1e-15);
    assert_true(res[0] == 0.0 && res[1] == 1.0);
    assert_close(sd_biased_loss_tv(acc, res, qd, 2), 0.3, 1e-15);
    assert_close(sd_biased_loss_star(acc, qd, 2), 0.3, 1e-15);
    /* w = Q: sum [Q - w]_+ = 0, R* set to Q */
    memcpy(w, pe, sizeof w);
    assert_true(sd_biased_r_star(w, pe, 3, r) == 0.0);
    assert_true(r[0] == pe[0] && r[1] == pe[1] && r[2] == pe[2]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resample_names),
        cmocka_unit_test(test_b_eps_by_hand),
        cmocka_unit_test(test_theorem4_by_hand),
        cmocka_unit_test(test_theorem4_random_r),
        cmocka_unit_test(test_theorem4_grid),
        cmocka_unit_test(test_theorem5_identity_and_bound),
        cmocka_unit_test(test_theorem5_strict),
        cmocka_unit_test(test_opt_le_uno),
        cmocka_unit_test(test_sd_rule_is_unbiased),
        cmocka_unit_test(test_large_eps),
        cmocka_unit_test(test_eps_monotone),
        cmocka_unit_test(test_typical_by_hand),
        cmocka_unit_test(test_edge_cases),
    };
    return cmocka_run_group_tests_name("biased", tests, NULL, NULL);
}
