/* test_rrswor.c - RRS without replacement (Jeon et al. 2024): hand-derived
 * acceptance probabilities and step laws, k = 1 = SD, losslessness of the
 * step law, an independent second computation (the residuals stay of the
 * form [Q - lambda P]_+ / Z(lambda)), the literal verifier against the
 * exact law (three layers, and a negative control), refusals and
 * allocation failures. */
#include "testutil.h"

#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "check.h"
#include "otbound.h"
#include "rng.h"
#include "rrs.h"
#include "rrswor.h"
#include "token_instances.h"

#define MAXV 8

static double accept(const double *p, const double *q, size_t V, size_t k)
{
    double a = NAN;
    assert_int_equal(sd_rrs_wor_accept(p, q, V, k, &a, NULL), SD_OK);
    return a;
}

static void test_hand_vectors(void **state)
{
    /* P = (0.5, 0.3, 0.2), Q = (0.2, 0.3, 0.5).  Trial 1 accepts
     * sum min(P, Q) = 0.7, min(P,Q) = (0.2, 0.3, 0.2); only token 0 can
     * be rejected (0.3), then r_2 = [Q - P]_+ / 0.3 = (0, 0, 1) and
     * d_2 = (0, 0.6, 0.4): trial 2 accepts 0.4 (token 2), rejects token 1
     * with 0.6, and r_3 = [r_2 - d_2]_+ / 0.6 = (0, 0, 1), d_3 = (0, 0, 1):
     * trial 3 accepts always.  So k = 2: 0.7 + 0.3 * 0.4 = 41/50,
     * acc = (0.2, 0.3, 0.32), rej = 0.18 with res = (0, 0, 1); k = 3: 1.
     * With replacement k = 2: 0.7 + 0.3 * min(P, r_1) = 0.76 = 19/25;
     * alpha*_2 = 43/50 (test_otbound). */
    const double p[3] = {0.5, 0.3, 0.2}, q[3] = {0.2, 0.3, 0.5};
    double tmp[6], a;
    sd_step st;
    sd_rrs_wor_ws *ws = sd_rrs_wor_ws_alloc(3, 3);
    (void)state;
    assert_non_null(ws);
    assert_close(accept(p, q, 3, 1), 0.7, 1e-15);
    assert_close(accept(p, q, 3, 2), 41.0 / 50.0, 1e-15);
    assert_close(accept(p, q, 3, 3), 1.0, 1e-15);
    assert_close(1.0 - sd_rrs_rho(p, q, 3, 2, tmp), 19.0 / 25.0, 1e-15);
    assert_int_equal(sd_ot_prefix(p, q, 3, 2, &a, NULL, NULL), SD_OK);
    assert_close(a, 43.0 / 50.0, 1e-15);
    assert_int_equal(sd_step_alloc(&st, 3, NULL), SD_OK);
    assert_int_equal(sd_rrs_wor_step(p, q, 3, 2, ws, &st, NULL), SD_OK);
    assert_close(st.acc[0], 0.2, 1e-15);
    assert_close(st.acc[1], 0.3, 1e-15);
    assert_close(st.acc[2], 0.32, 1e-15);
    assert_close(st.rej, 0.18, 1e-15);
    assert_close(st.res[0], 0.0, 1e-15);
    assert_close(st.res[1], 0.0, 1e-15);
    assert_close(st.res[2], 1.0, 1e-15);
    sd_step_free(&st);
    sd_rrs_wor_ws_free(ws);
}

static void test_distinct_drafts_beat_alpha_star(void **state)
{
    /* P = (1/2, 1/2), Q = (1, 0), k = 2: trial 1 accepts 1/2; a rejected
     * draft is token 1, then d_2 = (1, 0) = r_2: accepted.  So 1, above
     * alpha*_2 = 1 - 2^-2 = 3/4 (which bounds i.i.d. drafts only).
     * P = Unif(3), Q = (1/2, 1/2, 0): k = 1 gives 2/3; k = 2: token 2 is
     * rejected (1/3), then d_2 = (1/2, 1/2, 0) = r_2: 1, against
     * alpha*_2 = 8/9.  P one-hot on token 0, Q = (1/2, 1/2): k = 1
     * accepts 1/2; after rejecting token 0 no token is left, the token is
     * drawn from r_2 = (0, 1) whatever k: 1/2 for every k. */
    const double p[2] = {0.5, 0.5}, q[2] = {1.0, 0.0};
    const double p3[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3}, q3[3] = {0.5, 0.5, 0.0};
    const double p1[2] = {1.0, 0.0}, q1[2] = {0.5, 0.5};
    (void)state;
    assert_close(accept(p, q, 2, 2), 1.0, 1e-15);
    assert_close(accept(p3, q3, 3, 1), 2.0 / 3.0, 1e-15);
    assert_close(accept(p3, q3, 3, 2), 1.0, 1e-15);
    assert_close(accept(p1, q1, 2, 1), 0.5, 1e-15);
    assert_close(accept(p1, q1, 2, 4), 0.5, 1e-15);
}

/* The second computation: r_i = [Q - lam P]_+ / Z(lam) with lam_1 = 0
 * and lam_{i+1} = lam_i + Z(lam_i) / (1 - m_i), m_i the P-mass of the
 * tokens rejected so far (those have r = 0); rejected tokens x carry
 * probability [P(x)/(1-m) - r(x)]_+.  Returns P(every draft rejected). */
static double lambda_reject(const double *p, const double *q, size_t V, size_t k, size_t i,
                            double lam, unsigned char *removed)
{
    double Z = 0.0, total = 0.0, lam2, rem = 0.0;
    size_t x;
    /* rem = 1 - m, summed over the tokens left (1 - m itself cancels) */
    for (x = 0; x < V; x++)
        rem += removed[x] ? 0.0 : p[x];
    if (rem <= 0.0)
        return 1.0;
    for (x = 0; x < V; x++)
        Z += fmax(q[x] - lam * p[x], 0.0);
    lam2 = lam + Z / rem;
    for (x = 0; x < V; x++) {
        double c;
        if (removed[x])
            continue;
        c = p[x] / rem - fmax(q[x] - lam * p[x], 0.0) / Z;
        if (c <= 1e-15)
            continue;
        if (i == k) {
            total += c;
        } else {
            removed[x] = 1;
            total += c * lambda_reject(p, q, V, k, i + 1, lam2, removed);
            removed[x] = 0;
        }
    }
    return total;
}

static void test_random_instances(void **state)
{
    /* 1200 instances of every kind, V = 1..8, k = 1..4: k = 1 is SD
     * (acc = min(P, Q)); lossless acc + rej res = Q; the lambda form
     * gives the same rejection probability; acceptance <= 1 and
     * non-decreasing in k. */
    gsl_rng *r = sd_rng_stream_alloc(NULL, 41, 0);
    double p[MAXV], q[MAXV];
    sd_step st;
    sd_rrs_wor_ws *ws = sd_rrs_wor_ws_alloc(MAXV, 4);
    unsigned char removed[MAXV] = {0};
    int n;
    (void)state;
    assert_non_null(ws);
    assert_int_equal(sd_step_alloc(&st, MAXV, NULL), SD_OK);
    for (n = 0; n < 1200; n++) {
        size_t V = 1 + (size_t)n % MAXV, k, x;
        double prev = 0.0;
        ti_pair(r, V, n, p, q);
        for (k = 1; k <= 4; k++) {
            double two;
            assert_int_equal(sd_rrs_wor_step(p, q, V, k, ws, &st, NULL), SD_OK);
            for (x = 0; x < V; x++) {
                assert_close(st.acc[x] + st.rej * st.res[x], q[x], 1e-12);
                if (k == 1)
                    assert_close(st.acc[x], fmin(p[x], q[x]), 1e-15);
            }
            two = lambda_reject(p, q, V, k, 1, 0.0, removed);
            if (fabs(two - st.rej) > 1e-12)
                fail_msg("instance %d V = %zu k = %zu: walk %.17g, lambda form %.17g", n, V,
                         k, st.rej, two);
            assert_true(1.0 - st.rej >= prev - 1e-12);
            prev = 1.0 - st.rej;
        }
    }
    sd_step_free(&st);
    sd_rrs_wor_ws_free(ws);
    gsl_rng_free(r);
}

/* Verify n times on (p, q, k); counts[y] for accepted tokens and
 * counts[V + y] for tokens emitted after rejection.  With corrupt != 0
 * the token emitted after rejection is 0 or 1 in the ratio P(0) : P(1)
 * instead of a residual draw (a wrong rule). */
static void sample(const double *p, const double *q, size_t V, size_t k, size_t n,
                   uint64_t seed, uint64_t *counts, int corrupt)
{
    gsl_rng *r = sd_rng_stream_alloc(NULL, seed, 0);
    sd_rrs_wor_ws *ws = sd_rrs_wor_ws_alloc(V, k);
    size_t i;
    assert_non_null(ws);
    memset(counts, 0, 2 * V * sizeof *counts);
    for (i = 0; i < n; i++) {
        size_t y, trial;
        int ok = sd_rrs_wor_verify(p, q, V, k, r, ws, &y, &trial);
        assert_true(y < V);
        assert_int_equal(ok, trial > 0);
        if (!ok && corrupt) /* tokens 0 and 1 in the ratio P(0) : P(1) */
            y = gsl_rng_uniform(r) * (p[0] + p[1]) < p[0] ? 0 : 1;
        counts[(ok ? 0 : V) + y]++;
    }
    sd_rrs_wor_ws_free(ws);
    gsl_rng_free(r);
}

static void test_literal_verifier(void **state)
{
    /* The joint law of (accepted?, token) over 2V bins against the exact
     * (acc, rej res), three layers at z = 4.5, p >= 1e-6: about 1e-5
     * false failures per law, 4 laws. */
    const double P[4][4] = {{0.5, 0.3, 0.2, 0}, {0.1, 0.2, 0.3, 0.4},
                            {0.7, 0.0, 0.2, 0.1}, {0.25, 0.25, 0.25, 0.25}};
    const double Q[4][4] = {{0.2, 0.3, 0.5, 0}, {0.4, 0.3, 0.2, 0.1},
                            {0.1, 0.5, 0.0, 0.4}, {0.0, 0.0, 0.5, 0.5}};
    const size_t Vs[4] = {3, 4, 4, 4}, ks[4] = {2, 3, 2, 3};
    sd_rrs_wor_ws *ws = sd_rrs_wor_ws_alloc(4, 3);
    sd_step st;
    int c;
    (void)state;
    assert_int_equal(sd_step_alloc(&st, 4, NULL), SD_OK);
    for (c = 0; c < 4; c++) {
        size_t V = Vs[c], x;
        uint64_t counts[8];
        double probs[8];
        sd_checklist l;
        sd_checklist_init(&l);
        assert_int_equal(sd_rrs_wor_step(P[c], Q[c], V, ks[c], ws, &st, NULL), SD_OK);
        for (x = 0; x < V; x++) {
            probs[x] = st.acc[x];
            probs[V + x] = st.rej * st.res[x];
        }
        sample(P[c], Q[c], V, ks[c], 200000, 50 + (uint64_t)c, counts, 0);
        assert_int_equal(sd_check_law(&l, "rrs-wor", counts, probs, 2 * V, 4.5, 1e-6, NULL),
                         SD_OK);
        if (!sd_checklist_pass(&l))
            fail_msg("case %d: max |z| %.2f, p %.3g, %zu hits in empty bins", c, l.v[0].z,
                     l.v[0].p_value, l.v[0].empty_violations);
        sd_checklist_free(&l);
    }
    sd_step_free(&st);
    sd_rrs_wor_ws_free(ws);
}

static void test_negative_control(void **state)
{
    /* A wrong rule (after rejection emit token 0 with probability P(0),
     * else 1, instead of the residual) on P = (0.5, 0.3, 0.2), Q = (0.2,
     * 0.3, 0.5), k = 2: rejection emits token 2 always, the control emits
     * 0 or 1: the law check must fail. */
    const double p[3] = {0.5, 0.3, 0.2}, q[3] = {0.2, 0.3, 0.5};
    const double probs[6] = {0.2, 0.3, 0.32, 0.0, 0.0, 0.18};
    uint64_t counts[6];
    sd_checklist l;
    (void)state;
    sd_checklist_init(&l);
    sample(p, q, 3, 2, 20000, 60, counts, 1);
    assert_int_equal(sd_check_law(&l, "control", counts, probs, 6, 4.5, 1e-6, NULL), SD_OK);
    assert_false(sd_checklist_pass(&l));
    sd_checklist_free(&l);
}

static void test_refusals_and_cost(void **state)
{
    /* Cost bound: V = 4 all tokens P > Q impossible; P = Unif(4), Q = e_0:
     * n1 = 3 tokens with P > Q, n = 4: nodes 1 + 3 + 12 = 16 for k = 3,
     * cost 64.  Beyond the limit: SD_ERANGE naming it. */
    const double p[4] = {0.25, 0.25, 0.25, 0.25}, q[4] = {1, 0, 0, 0};
    size_t V = 200, x;
    double *pb = malloc(V * sizeof *pb), *qb = malloc(V * sizeof *qb), a;
    sd_error err;
    sd_step st;
    (void)state;
    assert_close(sd_rrs_wor_cost(p, q, 4, 3), 64.0, 0);
    assert_close(sd_rrs_wor_cost(p, q, 4, 1), 4.0, 0);
    for (x = 0; x < V; x++) {
        pb[x] = 1.0 / (double)V;
        qb[x] = x < V / 2 ? 2.0 / (double)V : 0.0;
    }
    assert_int_equal(sd_rrs_wor_accept(pb, qb, V, 5, &a, &err), SD_ERANGE);
    assert_non_null(strstr(err.msg, "limit"));
    assert_int_equal(sd_rrs_wor_accept(pb, qb, V, 0, &a, &err), SD_EINVAL);
    assert_int_equal(sd_step_alloc(&st, 4, NULL), SD_OK);
    assert_int_equal(sd_rrs_wor_step(p, q, 4, 2, NULL, &st, &err), SD_EINVAL);
    sd_step_free(&st);
    assert_null(sd_rrs_wor_ws_alloc(0, 2));
    assert_null(sd_rrs_wor_ws_alloc(3, 0));
    free(pb), free(qb);
}

static void test_alloc_failure(void **state)
{
    const double p[3] = {0.5, 0.3, 0.2}, q[3] = {0.2, 0.3, 0.5};
    unsigned long n;
    sd_status rc = SD_ENOMEM;
    (void)state;
    for (n = 1; n < 50 && rc != SD_OK; n++) {
        double a;
        sd_error err;
        sd_alloc_fail_at(n, 0);
        rc = sd_rrs_wor_accept(p, q, 3, 2, &a, &err);
        sd_alloc_fail_at(0, 0);
        if (rc != SD_OK)
            assert_int_equal(rc, SD_ENOMEM);
    }
    assert_int_equal(rc, SD_OK);
    assert_true(n >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_vectors),
        cmocka_unit_test(test_distinct_drafts_beat_alpha_star),
        cmocka_unit_test(test_random_instances),
        cmocka_unit_test(test_literal_verifier),
        cmocka_unit_test(test_negative_control),
        cmocka_unit_test(test_refusals_and_cost),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests_name("rrswor", tests, NULL, NULL);
}
