/* test_kseq.c - SpecTr's K-SEQ (doc/theory.md §6.2) against independent references:
 * a hand-solved instance, rho* by plain bisection written here, brute-force
 * enumeration of all k-tuples of drafts through the literal algorithm
 * (output law, acceptance, tree live-draft law), the SD rule at k = 1,
 * and Monte Carlo of the literal sampler and of both chain forms. */
#include "testutil.h"
#include "chain_ref.h"

#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "check.h"
#include "exact.h"
#include "kseq.h"
#include "mc.h"
#include "rule.h"
#include "model.h"
#include "rng.h"
#include "roundstart.h"
#include "tree.h"
#include "token_instances.h"

#define MAXV 8
#define MAXK 8

/* ---- independent references ------------------------------------------------ */

/* rho beta(rho) - 1 + (1-beta(rho))^k, straight from doc/theory.md §6.2, in long
 * double. */
static long double ref_margin(const double *p, const double *q, size_t V, size_t k, double rho)
{
    long double b = 0.0L;
    size_t x;
    for (x = 0; x < V; x++)
        b += fminl(p[x], (long double)q[x] / rho);
    return rho * b - 1.0L + powl(1.0L - b, (long double)k);
}

/* The smallest valid rho by 200 bisection steps on [1, k]. */
static double ref_rho(const double *p, const double *q, size_t V, size_t k)
{
    double lo = 1.0, hi = (double)k;
    int i;
    if (ref_margin(p, q, V, k, 1.0) >= 0.0L)
        return 1.0;
    for (i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (ref_margin(p, q, V, k, mid) >= 0.0L)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* Enumerate every k-tuple of drafts through the literal algorithm at rho:
 * out[y] = P(emit y), acc_tok[y] = P(accept with token y), *acc = P(accept),
 * tree[y * (k+1) + L] = P(accept y with L drafts of token y), and the
 * unnormalised p_res of doc/theory.md §6.2 is used after k failures. */
static void enumerate(const double *p, const double *q, size_t V, size_t k, double rho,
                      double *out, double *acc_tok, double *acc, double *tree)
{
    size_t tup[MAXK] = {0}, x, i, j, n, N = 1;
    double b = 0.0, A, res[MAXV], rs = 0.0;
    for (i = 0; i < k; i++)
        N *= V;
    for (x = 0; x < V; x++)
        b += fmin(p[x], q[x] / rho);
    A = 1.0 - pow(1.0 - b, (double)k);
    for (x = 0; x < V; x++) {
        res[x] = fmax(0.0, q[x] - (b > 0 ? fmin(p[x], q[x] / rho) * A / b : 0.0));
        rs += res[x];
    }
    memset(out, 0, V * sizeof(double));
    memset(acc_tok, 0, V * sizeof(double));
    memset(tree, 0, V * (k + 1) * sizeof(double));
    *acc = 0.0;
    for (n = 0; n < N; n++) {
        double w = 1.0, alive;
        for (i = 0; i < k; i++)
            w *= p[tup[i]];
        alive = w;
        for (i = 0; i < k && alive > 0.0; i++) {
            size_t y = tup[i], L = 0;
            double a = fmin(1.0, q[y] / (rho * p[y]));
            for (j = 0; j < k; j++)
                L += tup[j] == y;
            out[y] += alive * a;
            acc_tok[y] += alive * a;
            *acc += alive * a;
            tree[y * (k + 1) + L] += alive * a;
            alive *= 1.0 - a;
        }
        if (alive > 0.0 && rs > 0.0)
            for (x = 0; x < V; x++)
                out[x] += alive * res[x] / rs;
        for (i = 0; i < k && ++tup[i] == V; i++)
            tup[i] = 0;
    }
}

/* ---- tests ----------------------------------------------------------------- */

static void test_hand_instance(void **state)
{
    /* P = (1/2, 1/2), Q = (1, 0): beta(rho) = 1/2 on [1, 2], so the margin
     * is rho/2 - 1 + 2^-k, rho* = 2 (1 - 2^-k), acceptance 1 - 2^-k, and
     * p_res = (1, 0). */
    const double p[2] = {0.5, 0.5}, q[2] = {1.0, 0.0};
    size_t k;
    (void)state;
    for (k = 1; k <= 10; k++) {
        double rho, alpha;
        sd_step st;
        assert_int_equal(sd_kseq_accept(p, q, 2, k, &alpha, &rho, NULL), SD_OK);
        assert_close(rho, 2.0 * (1.0 - ldexp(1.0, -(int)k)), 1e-14);
        assert_close(alpha, 1.0 - ldexp(1.0, -(int)k), 1e-14);
        assert_int_equal(sd_step_alloc(&st, 2, NULL), SD_OK);
        assert_int_equal(sd_kseq_step(p, q, 2, k, NULL, &st, NULL), SD_OK);
        assert_close(st.rej, ldexp(1.0, -(int)k), 1e-14);
        assert_close(st.res[0], 1.0, 1e-14);
        assert_close(st.res[1], 0.0, 1e-14);
        assert_close(st.acc[0], 1.0 - ldexp(1.0, -(int)k), 1e-14);
        sd_step_free(&st);
    }
}

static void test_rho_valid_and_minimal(void **state)
{
    /* rho* against bisection (and, where the margin is flat at rounding
     * level, against hand-derived values): p = q and disjoint supports
     * give rho* = 1 exactly; a one-hot q = delta_j gives
     * rho* = (1 - (1-p_j)^k) / p_j (the root of rho p_j - 1 + (1-p_j)^k). */
    gsl_rng *r = sd_rng_stream_alloc(NULL, 11, 0);
    double p[MAXV], q[MAXV];
    int n, inner = 0;
    (void)state;
    for (n = 0; n < 600; n++) {
        size_t V = 1 + (size_t)n % MAXV, k = 1 + (size_t)(n / 7) % MAXK, j;
        int kind = n % TI_NKINDS;
        double rho;
        ti_pair(r, V, kind, p, q);
        assert_int_equal(sd_kseq_rho(p, q, V, k, &rho, NULL), SD_OK);
        assert_true(rho >= 1.0 && rho <= (double)k);
        assert_true(sd_kseq_margin(p, q, V, k, rho) >= 0.0); /* valid */
        if (kind == TI_EQUAL || (kind == TI_DISJOINT && V > 1) || V == 1 || k == 1) {
            assert_true(rho == 1.0);
            continue;
        }
        if (kind == TI_ONEHOT) {
            for (j = 0; q[j] != 1.0; j++)
                ;
            assert_close(rho, -expm1((double)k * log1p(-p[j])) / p[j], 1e-12);
        } else {
            assert_close(rho, ref_rho(p, q, V, k), 1e-9);
        }
        if (rho > 1.0) { /* minimal: validity fails just below */
            assert_true(ref_margin(p, q, V, k, rho * (1.0 - 1e-9)) < 0.0L);
            assert_true(sd_kseq_margin(p, q, V, k, rho * (1.0 - 1e-9)) < 0.0);
            inner++;
        }
    }
    assert_true(inner > 200); /* the interior case was exercised */
    gsl_rng_free(r);
}

static void test_k1_is_sd(void **state)
{
    gsl_rng *r = sd_rng_stream_alloc(NULL, 12, 0);
    double p[MAXV], q[MAXV];
    sd_step a, b;
    int n;
    size_t x;
    (void)state;
    assert_int_equal(sd_step_alloc(&a, MAXV, NULL), SD_OK);
    assert_int_equal(sd_step_alloc(&b, MAXV, NULL), SD_OK);
    for (n = 0; n < 200; n++) {
        size_t V = 1 + (size_t)n % MAXV;
        double rho;
        ti_pair(r, V, n, p, q);
        assert_int_equal(sd_kseq_rho(p, q, V, 1, &rho, NULL), SD_OK);
        assert_true(rho == 1.0);
        assert_int_equal(sd_kseq_step(p, q, V, 1, NULL, &a, NULL), SD_OK);
        assert_int_equal(sd_rule_sd_step(p, q, V, 1, NULL, &b, NULL), SD_OK);
        assert_close(a.rej, b.rej, 1e-14);
        assert_close(a.rej, sd_tv(p, q, V), 1e-14);
        for (x = 0; x < V; x++) {
            assert_close(a.acc[x], b.acc[x], 1e-14);
            assert_close(a.res[x], b.res[x], 1e-12);
        }
    }
    sd_step_free(&a);
    sd_step_free(&b);
    gsl_rng_free(r);
}

static void test_unbiased_by_enumeration(void **state)
{
    /* The literal algorithm, enumerated over all k-tuples, emits exactly q,
     * with the acceptance and acceptance law the step reports. */
    gsl_rng *r = sd_rng_stream_alloc(NULL, 13, 0);
    double p[MAXV], q[MAXV], out[MAXV], acc_tok[MAXV], tree[MAXV * (MAXK + 1)], acc;
    sd_step st;
    int n;
    size_t x;
    (void)state;
    assert_int_equal(sd_step_alloc(&st, MAXV, NULL), SD_OK);
    for (n = 0; n < 300; n++) {
        size_t V = 1 + (size_t)n % 5, k = 1 + (size_t)(n / 5) % 5;
        double rho, alpha, sum = 0.0;
        ti_pair(r, V, n, p, q);
        assert_int_equal(sd_kseq_accept(p, q, V, k, &alpha, &rho, NULL), SD_OK);
        assert_int_equal(sd_kseq_step(p, q, V, k, NULL, &st, NULL), SD_OK);
        enumerate(p, q, V, k, rho, out, acc_tok, &acc, tree);
        assert_close(alpha, acc, 1e-12);
        assert_close(st.rej, 1.0 - acc, 1e-12);
        for (x = 0; x < V; x++) {
            assert_close(out[x], q[x], 1e-12);                       /* unbiased */
            assert_close(st.acc[x], acc_tok[x], 1e-12);
            assert_close(st.acc[x] + st.rej * st.res[x], q[x], 1e-12);
            assert_true(st.res[x] >= 0.0);
            sum += st.res[x];
        }
        if (st.rej > 0.0)
            assert_close(sum, 1.0, 1e-12);
    }
    sd_step_free(&st);
    gsl_rng_free(r);
}

static void test_tree_law_by_enumeration(void **state)
{
    /* The live-draft law of K-SEQ in tree form (binomials of doc/theory.md §6)
     * against the enumerated count of drafts holding the accepted token. */
    gsl_rng *r = sd_rng_stream_alloc(NULL, 14, 0);
    double p[MAXV], q[MAXV], out[MAXV], acc_tok[MAXV], tree[MAXV * (MAXK + 1)], acc;
    double *ws = sd_kseq_tree_ws_alloc(MAXK);
    sd_tree_step ts;
    sd_step st;
    int n;
    size_t x, L;
    (void)state;
    assert_non_null(ws);
    assert_int_equal(sd_tree_step_alloc(&ts, MAXV, MAXK, NULL), SD_OK);
    assert_int_equal(sd_step_alloc(&st, MAXV, NULL), SD_OK);
    for (n = 0; n < 300; n++) {
        size_t V = 1 + (size_t)n % 5, k = 1 + (size_t)(n / 5) % 5;
        double rho;
        ti_pair(r, V, n, p, q);
        assert_int_equal(sd_kseq_rho(p, q, V, k, &rho, NULL), SD_OK);
        assert_int_equal(sd_kseq_tree_step(p, q, V, k, ws, &ts, NULL), SD_OK);
        assert_int_equal(sd_kseq_step(p, q, V, k, NULL, &st, NULL), SD_OK);
        enumerate(p, q, V, k, rho, out, acc_tok, &acc, tree);
        assert_close(ts.rej, st.rej, 1e-14);
        for (x = 0; x < V; x++) {
            assert_close(ts.res[x], st.res[x], 1e-12);
            assert_true(ts.acc[x * (MAXK + 1)] == 0.0); /* L = 0 never */
            for (L = 1; L <= k; L++)
                assert_close(ts.acc[x * (MAXK + 1) + L], tree[x * (k + 1) + L], 1e-12);
            for (L = k + 1; L <= MAXK; L++)
                assert_true(ts.acc[x * (MAXK + 1) + L] == 0.0);
        }
    }
    sd_tree_step_free(&ts);
    sd_step_free(&st);
    sd_free(ws);
    gsl_rng_free(r);
}

static void test_sampler_monte_carlo(void **state)
{
    /* 400000 literal K-SEQ steps (V = 5, k = 3): the emitted token law is
     * q, the trial of acceptance is geometric (1-beta)^(i-1) beta with
     * rejection (1-beta)^k, and the accepted-token law is acc.  Three-layer
     * law checks at z 4.5 and p 1e-6: false failure about 1e-4 in all. */
    enum { V = 5, K = 3, N = 400000 };
    gsl_rng *r = sd_rng_stream_alloc(NULL, 15, 0);
    double p[V], q[V], trial_law[K + 1], rho, b;
    uint64_t tok[V] = {0}, acc_tok[V] = {0}, trials[K + 1] = {0};
    sd_kseq_sampler s;
    sd_checklist l;
    sd_step st;
    size_t i, n;
    (void)state;
    ti_pair(r, V, TI_SKEWED, p, q);
    assert_int_equal(sd_kseq_sampler_init(&s, p, q, V, K, NULL), SD_OK);
    assert_int_equal(sd_step_alloc(&st, V, NULL), SD_OK);
    assert_int_equal(sd_kseq_step(p, q, V, K, NULL, &st, NULL), SD_OK);
    rho = s.rho;
    assert_true(rho > 1.0);
    b = sd_kseq_beta(p, q, V, rho);
    trial_law[0] = pow(1.0 - b, K);
    for (i = 1; i <= K; i++)
        trial_law[i] = pow(1.0 - b, (double)i - 1.0) * b;
    for (n = 0; n < N; n++) {
        size_t t, y = sd_kseq_sampler_draw(&s, r, &t);
        tok[y]++;
        trials[t]++;
        if (t > 0)
            acc_tok[y]++;
    }
    for (i = 0; i < V; i++)
        st.acc[i] /= 1.0 - st.rej;
    sd_checklist_init(&l);
    assert_int_equal(sd_check_law(&l, "tokens", tok, q, V, 4.5, 1e-6, NULL), SD_OK);
    assert_int_equal(sd_check_law(&l, "trials", trials, trial_law, K + 1, 4.5, 1e-6, NULL),
                     SD_OK);
    assert_int_equal(sd_check_law(&l, "accepted", acc_tok, st.acc, V, 4.5, 1e-6, NULL), SD_OK);
    for (i = 0; i < l.n; i++)
        if (!l.v[i].pass)
            fail_msg("%s: %s", l.v[i].name, l.v[i].detail);
    sd_checklist_free(&l);
    sd_step_free(&st);
    sd_kseq_sampler_free(&s);
    gsl_rng_free(r);
}

static void test_sampler_verify_given_tokens(void **state)
{
    /* Tokens q cannot produce are never accepted and p = 0 tokens get an
     * infinite threshold; given a draft token with threshold >= 1 the
     * verifier always accepts it. */
    const double p[3] = {0.5, 0.5, 0.0}, q[3] = {0.0, 0.5, 0.5};
    gsl_rng *r = sd_rng_stream_alloc(NULL, 16, 0);
    sd_kseq_sampler s;
    size_t tok[2], y;
    int i;
    (void)state;
    assert_int_equal(sd_kseq_sampler_init(&s, p, q, 3, 2, NULL), SD_OK);
    assert_true(s.thr[0] == 0.0);
    assert_true(isinf(s.thr[2]));
    for (i = 0; i < 1000; i++) {
        tok[0] = 0;
        tok[1] = 0;
        assert_int_equal(sd_kseq_sampler_verify(&s, tok, r, &y), 0);
        assert_true(y != 0); /* p_res has no mass where q = 0 */
    }
    sd_kseq_sampler_free(&s);
    gsl_rng_free(r);
}

/* A small paper-family chain. */
static void small_model(sd_model *m, size_t V, size_t T, uint64_t seed)
{
    assert_int_equal(sd_model_random(m, V, T, SD_FAMILY_PAPER, 1.0, 0, seed, NULL), SD_OK);
}

static void test_chain_k1_is_sd(void **state)
{
    /* Round-start and tree K-SEQ with one draft are Theorem 1. */
    sd_model m;
    double sd, rs, tr, *ws = sd_kseq_tree_ws_alloc(1);
    (void)state;
    small_model(&m, 5, 12, 3);
    assert_int_equal(sd_exact_sd_mean(&m, &sd, NULL), SD_OK);
    assert_int_equal(sd_roundstart_exact(&m, sd_kseq_step, NULL, 1, &rs, NULL, NULL), SD_OK);
    assert_int_equal(sd_tree_exact(&m, sd_kseq_tree_step, ws, 1, &tr, NULL, NULL), SD_OK);
    assert_close(rs, sd, 1e-12);
    assert_close(tr, sd, 1e-12);
    sd_free(ws);
    sd_model_free(&m);
}

/* Exact value against the mean of 200000 literal runs (z <= 4.5: a false
 * failure about once in 150000). */
static void chain_mc(int tree, size_t M)
{
    sd_model m;
    sd_kseq_sim ks;
    sd_engine_sim eng;
    sd_rs_verifier rv;
    sd_tree_verifier tv;
    sd_sim sim;
    double exact, *ws = sd_kseq_tree_ws_alloc(M);
    small_model(&m, 4, 10, 5);
    if (tree)
        assert_int_equal(sd_tree_exact(&m, sd_kseq_tree_step, ws, M, &exact, NULL, NULL), SD_OK);
    else
        assert_int_equal(sd_roundstart_exact(&m, sd_kseq_step, NULL, M, &exact, NULL, NULL),
                         SD_OK);
    assert_int_equal(sd_kseq_sim_alloc(&ks, &m, M, tree, NULL), SD_OK);
    rv = sd_kseq_rs_verifier(&ks);
    tv = sd_kseq_tree_verifier(&ks);
    assert_int_equal(sd_engine_sim_init(&eng, &m, M, &rv, tree ? &tv : NULL, NULL), SD_OK);
    sim = sd_engine_sim_get(&eng);
    cr_mc_mean(&sim, &m, exact, 200000, 77);
    sd_engine_sim_free(&eng);
    sd_kseq_sim_free(&ks);
    sd_free(ws);
    sd_model_free(&m);
}

static void test_chain_roundstart_mc(void **state)
{
    (void)state;
    chain_mc(0, 3);
}

static void test_chain_tree_mc(void **state)
{
    (void)state;
    chain_mc(1, 3);
}

static void test_errors(void **state)
{
    const double p[2] = {0.5, 0.5}, q[2] = {0.2, 0.8};
    double rho, *ws = sd_kseq_tree_ws_alloc(2);
    sd_tree_step ts;
    sd_kseq_sim ks;
    sd_model m;
    sd_error err;
    (void)state;
    assert_int_equal(sd_kseq_rho(p, q, 2, 0, &rho, &err), SD_EINVAL);
    assert_int_equal(sd_kseq_rho(p, q, 0, 2, &rho, &err), SD_EINVAL);
    assert_int_equal(sd_tree_step_alloc(&ts, 2, 2, NULL), SD_OK);
    assert_int_equal(sd_kseq_tree_step(p, q, 2, 3, ws, &ts, &err), SD_EINVAL);
    assert_int_equal(sd_kseq_tree_step(p, q, 2, 0, ws, &ts, &err), SD_EINVAL);
    small_model(&m, 3, 4, 1);
    assert_int_equal(sd_kseq_sim_alloc(&ks, &m, 0, 0, &err), SD_EINVAL);
    sd_tree_step_free(&ts);
    sd_free(ws);
    sd_model_free(&m);
}

static void test_alloc_failure(void **state)
{
    /* Every allocation of the sampler and the model tables fails cleanly. */
    const double p[3] = {0.2, 0.3, 0.5}, q[3] = {0.6, 0.3, 0.1};
    sd_model m;
    int fn;
    (void)state;
    small_model(&m, 3, 4, 2);
    for (fn = 0; fn < 2; fn++) {
        unsigned long n;
        sd_status rc = SD_ENOMEM;
        for (n = 1; n < 200 && rc != SD_OK; n++) {
            sd_kseq_sampler s;
            sd_kseq_sim ks;
            sd_error err;
            sd_alloc_fail_at(n, 0);
            rc = fn == 0 ? sd_kseq_sampler_init(&s, p, q, 3, 2, &err)
                         : sd_kseq_sim_alloc(&ks, &m, 3, 1, &err);
            sd_alloc_fail_at(0, 0);
            if (rc != SD_OK)
                assert_int_equal(rc, SD_ENOMEM);
            else if (fn == 0)
                sd_kseq_sampler_free(&s);
            else
                sd_kseq_sim_free(&ks);
        }
        assert_int_equal(rc, SD_OK);
        assert_true(n >= 3);
    }
    sd_model_free(&m);
}

static void test_rule_entry_points(void **state)
{
    /* Every rule of the table (rule.h): argument errors, and every
     * allocation of its exact and simulation entry points failing cleanly. */
    const sd_rule_type *const *r;
    sd_model m;
    sd_rule_sim *s;
    sd_error err;
    double e;
    int fn;
    (void)state;
    small_model(&m, 3, 4, 4);
    for (r = sd_rules; *r != NULL; r++) {
        assert_int_equal(sd_rule_exact(*r, &m, 0, &e, NULL, &err), SD_EINVAL);
        assert_int_equal(sd_rule_sim_alloc(&s, *r, &m, 0, 0, &err), SD_EINVAL);
        assert_null(s);
        for (fn = 0; fn < 2; fn++) {
            unsigned long n;
            sd_status rc = SD_ENOMEM;
            for (n = 1; n < 500 && rc != SD_OK; n++) {
                sd_alloc_fail_at(n, 0);
                rc = fn == 0 ? sd_rule_exact(*r, &m, 3, &e, NULL, &err)
                             : sd_rule_sim_alloc(&s, *r, &m, 3, 0, &err);
                sd_alloc_fail_at(0, 0);
                if (rc != SD_OK)
                    assert_int_equal(rc, SD_ENOMEM);
                else if (fn == 1)
                    sd_rule_sim_free(s);
            }
            assert_int_equal(rc, SD_OK);
            assert_true(n >= 3);
        }
    }
    sd_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_instance),
        cmocka_unit_test(test_rho_valid_and_minimal),
        cmocka_unit_test(test_k1_is_sd),
        cmocka_unit_test(test_unbiased_by_enumeration),
        cmocka_unit_test(test_tree_law_by_enumeration),
        cmocka_unit_test(test_sampler_monte_carlo),
        cmocka_unit_test(test_sampler_verify_given_tokens),
        cmocka_unit_test(test_chain_k1_is_sd),
        cmocka_unit_test(test_chain_roundstart_mc),
        cmocka_unit_test(test_chain_tree_mc),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_rule_entry_points),
    };
    return cmocka_run_group_tests_name("kseq", tests, NULL, NULL);
}
