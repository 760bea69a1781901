/* test_tradeoff.c - biased rules along a chain (doc/theory.md §4, chain level) and
 * their literal simulation.  Expected values come from brute-force
 * enumeration of the biased process (every path of tokens and
 * accept/reject events, with the step laws rebuilt here from their
 * definitions), from direct enumeration of sequences, and from the
 * Theorem 1 engine. */
#include "mcutil.h"

#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "check.h"
#include "exact.h"
#include "mc.h"
#include "model.h"
#include "rng.h"
#include "sim_biased.h"
#include "tradeoff.h"

#define VMAX 5

/* A small random model whose rows have some zeros (at most one per row,
 * never the whole row) and a non-uniform start law.  stationary: one
 * kernel each. */
static void tiny_model(sd_model *m, size_t V, size_t T, int stationary, uint64_t seed)
{
    gsl_rng *g = sd_rng_stream_alloc(NULL, seed, 7);
    size_t i, x, nrows, tot = 0;
    double s;
    assert_int_equal(sd_model_random(m, V, T, SD_FAMILY_PAPER, 1.0, stationary, seed, NULL),
                     SD_OK);
    nrows = (stationary ? 1 : T) * V * 2;
    for (i = 0; i < nrows; i++) {
        double *row = (i < nrows / 2 ? m->P : m->Q) + (i % (nrows / 2)) * V;
        if (V > 1 && gsl_rng_uniform(g) < 0.3)
            row[gsl_rng_uniform_int(g, V)] = 0.0;
        for (s = 0.0, x = 0; x < V; x++)
            s += row[x];
        for (x = 0; x < V; x++)
            row[x] /= s;
    }
    for (s = 0.0, x = 0; x < V; x++) {
        m->pi0[x] = (double)(x + 1 + (x == 0 ? 2 * V : 0));
        tot += x + 1 + (x == 0 ? 2 * V : 0);
    }
    for (x = 0; x < V; x++)
        m->pi0[x] /= (double)tot;
    gsl_rng_free(g);
}

/* The step laws of b_eps rebuilt from doc/theory.md §4's formulas: accepted mass
 * w = b_eps P with b_eps = min(1, (Q+eps)/P), resampling law R (OPT:
 * [Q - w]_+ normalised; UNO: Q), output law O, rejection 1 - sum w and
 * loss TV(O, Q). */
typedef struct {
    double w[VMAX], R[VMAX], O[VMAX], rej, loss;
} ref_step;

static void ref_eps(const double *p, const double *q, size_t V, double eps, int uno,
                    ref_step *st)
{
    double a = 0.0, mass = 0.0, d = 0.0;
    size_t x;
    for (x = 0; x < V; x++) {
        double b = p[x] > 0.0 ? fmin(1.0, (q[x] + eps) / p[x]) : 1.0;
        st->w[x] = b * p[x];
        a += st->w[x];
        mass += fmax(q[x] - st->w[x], 0.0);
    }
    for (x = 0; x < V; x++)
        st->R[x] = uno || mass <= 0.0 ? q[x] : fmax(q[x] - st->w[x], 0.0) / mass;
    st->rej = 1.0 - a;
    for (x = 0; x < V; x++) {
        st->O[x] = st->w[x] + st->rej * st->R[x];
        d += fabs(st->O[x] - q[x]);
    }
    st->loss = 0.5 * d;
}

/* Brute force over every path (x_0, (r_t, x_t)_{t=1..T}) of the biased
 * process: E[N_rej], E[sum_t Loss_t(x_{t-1})]. */
static void brute_process(const sd_model *m, double eps, int uno, double *erej, double *ebias)
{
    const size_t V = m->V, T = m->T;
    size_t code, ncodes = 1, t;
    ref_step st;
    *erej = *ebias = 0.0;
    for (t = 0; t <= T; t++)
        ncodes *= t == 0 ? V : 2 * V;
    for (code = 0; code < ncodes; code++) {
        size_t c = code, s = c % V, nrej = 0;
        double prob = m->pi0[s], bias = 0.0;
        c /= V;
        for (t = 1; t <= T && prob > 0.0; t++) {
            size_t ev = c % (2 * V), x = ev % V;
            int rejected = ev >= V;
            c /= 2 * V;
            ref_eps(sd_model_p(m, t, s), sd_model_q(m, t, s), V, eps, uno, &st);
            bias += st.loss;
            prob *= rejected ? st.rej * st.R[x] : st.w[x];
            nrej += (size_t)rejected;
            s = x;
        }
        if (prob > 0.0) {
            *erej += prob * (double)nrej;
            *ebias += prob * bias;
        }
    }
}

/* Direct enumeration of TV of the laws of (x_0, x_{1:T}) under the
 * output chain and the target chain: each sequence's probability
 * computed from scratch. */
static double brute_sequence_tv(const sd_model *m, double eps, int uno)
{
    const size_t V = m->V, T = m->T;
    size_t code, ncodes = 1, t;
    double tv = 0.0;
    ref_step st;
    for (t = 0; t <= T; t++)
        ncodes *= V;
    for (code = 0; code < ncodes; code++) {
        size_t c = code, s = c % V;
        double po = m->pi0[s], pq = m->pi0[s];
        c /= V;
        for (t = 1; t <= T; t++) {
            size_t x = c % V;
            c /= V;
            ref_eps(sd_model_p(m, t, s), sd_model_q(m, t, s), V, eps, uno, &st);
            po *= st.O[x];
            pq *= sd_model_q(m, t, s)[x];
            s = x;
        }
        tv += fabs(po - pq);
    }
    return 0.5 * tv;
}

static void test_chain_against_brute_force(void **state)
{
    static const double eps[] = {0.0, 0.05, 0.2, 0.7};
    size_t i, k, sta;
    (void)state;
    for (sta = 0; sta < 2; sta++)
        for (i = 0; i < 4; i++)
            for (k = 0; k < 2; k++) {
                sd_model m;
                sd_tradeoff tr;
                sd_tradeoff_result res;
                double erej, ebias, tv;
                tiny_model(&m, 3, 4, (int)sta, 100 + i);
                assert_int_equal(sd_tradeoff_alloc(&tr, &m, NULL), SD_OK);
                sd_tradeoff_set_eps(&tr, eps[i], (sd_resample)k);
                assert_int_equal(sd_tradeoff_exact(&tr, &res, NULL), SD_OK);
                brute_process(&m, eps[i], (int)k, &erej, &ebias);
                assert_close(res.expected_rejections, erej, 1e-12);
                assert_close(res.bias_sum, ebias, 1e-12);
                assert_int_equal(sd_tradeoff_sequence_tv(&tr, 1e7, &tv, NULL), SD_OK);
                assert_close(tv, brute_sequence_tv(&m, eps[i], (int)k), 1e-12);
                sd_tradeoff_free(&tr);
                sd_model_free(&m);
            }
}

/* The per-step bias sum bounds the sequence TV (coupling step by step),
 * and OPT's chain lies on the front row by row: rejections + bias =
 * sum nu.tau; UNO is above.  Also T = 1 and V = 1 edges. */
static void test_bias_bounds_sequence_tv(void **state)
{
    static const double eps[] = {0.0, 0.02, 0.1, 0.3, 1.0};
    size_t i, k, inst;
    (void)state;
    for (inst = 0; inst < 6; inst++) {
        size_t V = inst == 5 ? 1 : 2 + inst % 3, T = inst == 4 ? 1 : 3 + inst % 3;
        sd_model m;
        sd_tradeoff tr;
        tiny_model(&m, V, T, inst == 3, 200 + inst);
        assert_int_equal(sd_tradeoff_alloc(&tr, &m, NULL), SD_OK);
        for (i = 0; i < 5; i++)
            for (k = 0; k < 2; k++) {
                sd_tradeoff_result res;
                double tv;
                sd_tradeoff_set_eps(&tr, eps[i], (sd_resample)k);
                assert_int_equal(sd_tradeoff_exact(&tr, &res, NULL), SD_OK);
                assert_int_equal(sd_tradeoff_sequence_tv(&tr, 1e7, &tv, NULL), SD_OK);
                assert_true(tv <= res.bias_sum + 1e-12);
                assert_true(tv >= -1e-15);
                if (k == SD_RESAMPLE_OPT) {
                    assert_close(res.expected_rejections + res.bias_sum, res.tv_sum, 1e-12);
                    assert_close(res.loss_star_sum, res.bias_sum, 1e-12);
                } else {
                    assert_true(res.expected_rejections + res.bias_sum >= res.tv_sum - 1e-12);
                }
                if (T == 1)  /* one step: the bias is the sequence TV */
                    assert_close(tv, res.bias_sum, 1e-12);
            }
        sd_tradeoff_free(&tr);
        sd_model_free(&m);
    }
}

/* eps = 0 with OPT is speculative decoding: Theorem 1's value, no bias,
 * output marginals = the target's. */
static void test_eps0_opt_is_sd(void **state)
{
    size_t inst;
    (void)state;
    for (inst = 0; inst < 4; inst++) {
        sd_model m;
        sd_tradeoff tr;
        sd_tradeoff_result res;
        double e1, tv, lawo[3 * 7], lawq[3 * 7];
        size_t pos[3] = {1, 4, 9}, i;
        tiny_model(&m, inst == 0 ? 2 : 7, 9, inst == 2, 300 + inst);
        assert_int_equal(sd_tradeoff_alloc(&tr, &m, NULL), SD_OK);
        sd_tradeoff_set_eps(&tr, 0.0, SD_RESAMPLE_OPT);
        assert_int_equal(sd_tradeoff_exact(&tr, &res, NULL), SD_OK);
        assert_int_equal(sd_exact_sd_mean(&m, &e1, NULL), SD_OK);
        assert_close(res.expected_rejections, e1, 1e-12);
        assert_true(res.bias_sum <= 1e-14);
        assert_true(res.loss_star_sum == 0.0);
        assert_int_equal(sd_tradeoff_token_laws(&tr, 3, pos, lawo, NULL), SD_OK);
        assert_int_equal(sd_exact_token_laws(&m, 3, pos, lawq, NULL), SD_OK);
        for (i = 0; i < 3 * m.V; i++)
            assert_close(lawo[i], lawq[i], 1e-13);
        if (m.V == 2) {
            assert_int_equal(sd_tradeoff_sequence_tv(&tr, 1e7, &tv, NULL), SD_OK);
            assert_true(tv <= 1e-13);
        }
        sd_tradeoff_free(&tr);
        sd_model_free(&m);
    }
}

/* V^T beyond the limit is refused with SD_ERANGE and a message naming
 * V^T and the limit; the boundary V^T = 1e7 is accepted. */
static void test_sequence_tv_refuses_large(void **state)
{
    sd_model m;
    sd_tradeoff tr;
    sd_error err;
    double tv = -1.0;
    (void)state;
    assert_int_equal(sd_model_random(&m, 7, 9, SD_FAMILY_PAPER, 1.0, 1, 5, NULL), SD_OK);
    assert_int_equal(sd_tradeoff_alloc(&tr, &m, NULL), SD_OK);
    sd_tradeoff_set_eps(&tr, 0.1, SD_RESAMPLE_OPT);
    sd_error_clear(&err);
    assert_int_equal(sd_tradeoff_sequence_tv(&tr, SD_TRADEOFF_MAX_SEQUENCES, &tv, &err),
                     SD_ERANGE);
    assert_true(tv == -1.0);
    assert_non_null(strstr(err.msg, "7^9"));
    assert_non_null(strstr(err.msg, "1e+07"));
    sd_tradeoff_free(&tr);
    sd_model_free(&m);
    m.V = 10;
    m.T = 7;
    assert_true(sd_tradeoff_enumerable(&m, SD_TRADEOFF_MAX_SEQUENCES));
    m.T = 8;
    assert_false(sd_tradeoff_enumerable(&m, SD_TRADEOFF_MAX_SEQUENCES));
    m.V = 7;
    m.T = 8;  /* 5.8e6: Table 1's short horizon */
    assert_true(sd_tradeoff_enumerable(&m, SD_TRADEOFF_MAX_SEQUENCES));
}

static void test_token_laws_bad_positions(void **state)
{
    sd_model m;
    sd_tradeoff tr;
    double out[3 * 3];
    size_t bad1[2] = {0, 1}, bad2[2] = {2, 2}, bad3[1] = {5};
    (void)state;
    tiny_model(&m, 3, 4, 0, 9);
    assert_int_equal(sd_tradeoff_alloc(&tr, &m, NULL), SD_OK);
    sd_tradeoff_set_eps(&tr, 0.1, SD_RESAMPLE_UNO);
    assert_int_equal(sd_tradeoff_token_laws(&tr, 2, bad1, out, NULL), SD_EINVAL);
    assert_int_equal(sd_tradeoff_token_laws(&tr, 2, bad2, out, NULL), SD_EINVAL);
    assert_int_equal(sd_tradeoff_token_laws(&tr, 1, bad3, out, NULL), SD_EINVAL);
    sd_tradeoff_free(&tr);
    sd_model_free(&m);
}

/* Sizes: V = 0 or T = 0 is SD_EINVAL, tables whose size overflows are
 * SD_ERANGE (no allocation attempted). */
static void test_alloc_bad_sizes(void **state)
{
    sd_model m;
    sd_tradeoff tr;
    (void)state;
    memset(&m, 0, sizeof m);
    m.V = 0;
    m.T = 3;
    m.nP = m.nQ = 3;
    assert_int_equal(sd_tradeoff_alloc(&tr, &m, NULL), SD_EINVAL);
    m.V = 3;
    m.T = 0;
    assert_int_equal(sd_tradeoff_alloc(&tr, &m, NULL), SD_EINVAL);
    m.V = (size_t)1 << 20;
    m.T = (size_t)1 << 30;
    m.nP = m.nQ = m.T;
    assert_int_equal(sd_tradeoff_alloc(&tr, &m, NULL), SD_ERANGE);
    m.V = SIZE_MAX / 2;
    m.T = 3;
    m.nP = m.nQ = 1;
    assert_int_equal(sd_tradeoff_alloc(&tr, &m, NULL), SD_ERANGE);
}

/* Simulation tables of a rule whose rows were never set are refused. */
static void test_sim_unset_rows(void **state)
{
    sd_model m;
    sd_tradeoff tr;
    sd_sim_biased S;
    sd_error err;
    (void)state;
    tiny_model(&m, 3, 2, 0, 10);
    assert_int_equal(sd_tradeoff_alloc(&tr, &m, NULL), SD_OK);
    sd_error_clear(&err);
    assert_int_equal(sd_sim_biased_alloc(&S, &tr, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "t = 1, s = 0"));
    sd_tradeoff_free(&tr);
    sd_model_free(&m);
}

/* The literal simulation agrees with the exact values: mean N_rej by a
 * z-test at 4.5 (false failure ~7e-6 per check) and the output law at
 * three positions by sd_check_law (bins |z| <= 4.5, chi-square p >= 1e-6;
 * together about 1e-4 per law).  Four checked rules: ~5e-4 in all.
 * A negative control (UNO's tables against OPT's exact law at eps = 0)
 * must fail.  The same seed gives the same tallies on 1 and 2 threads. */
static void run_sim(const sd_tradeoff *tr, size_t runs, int threads, const size_t *pos,
                    sd_mc_result *res)
{
    sd_sim_biased S;
    sd_sim sim;
    sd_mc_config cfg = sd_test_mc_settings(runs, 3, pos);
    cfg.seed = 77;
    cfg.threads = threads;
    assert_int_equal(sd_sim_biased_alloc(&S, tr, NULL), SD_OK);
    sim = sd_sim_biased_sim(&S);
    assert_int_equal(sd_mc_run(&cfg, tr->m->T, tr->m->V, &sim, res, NULL), SD_OK);
    sd_sim_biased_free(&S);
}

static void test_simulation_agrees(void **state)
{
    static const double eps[] = {0.0, 0.1};
    const size_t pos[3] = {1, 3, 6};
    sd_model m;
    sd_tradeoff tr, other;
    size_t i, k, j;
    (void)state;
    tiny_model(&m, 4, 6, 0, 11);
    assert_int_equal(sd_tradeoff_alloc(&tr, &m, NULL), SD_OK);
    assert_int_equal(sd_tradeoff_alloc(&other, &m, NULL), SD_OK);
    for (i = 0; i < 2; i++)
        for (k = 0; k < 2; k++) {
            sd_tradeoff_result ex;
            sd_mc_result res;
            char what[64];
            double laws[3 * 4];
            sd_tradeoff_set_eps(&tr, eps[i], (sd_resample)k);
            assert_int_equal(sd_tradeoff_exact(&tr, &ex, NULL), SD_OK);
            assert_int_equal(sd_tradeoff_token_laws(&tr, 3, pos, laws, NULL), SD_OK);
            run_sim(&tr, 200000, 2, pos, &res);
            snprintf(what, sizeof what, "eps %g %s", eps[i], sd_resample_name((sd_resample)k));
            sd_test_mc_agrees(what, &res, ex.expected_rejections, laws);
            sd_mc_result_free(&res);
        }
    /* negative control: simulate UNO, test against OPT's exact output law */
    {
        double laws[3 * 4];
        sd_mc_result res;
        sd_checklist l;
        int all = 1;
        sd_tradeoff_set_eps(&tr, 0.0, SD_RESAMPLE_OPT);
        sd_tradeoff_set_eps(&other, 0.0, SD_RESAMPLE_UNO);
        assert_int_equal(sd_tradeoff_token_laws(&tr, 3, pos, laws, NULL), SD_OK);
        run_sim(&other, 200000, 2, pos, &res);
        sd_checklist_init(&l);
        for (j = 0; j < 3; j++)
            assert_int_equal(sd_check_law(&l, "law", res.tokens + j * 4, laws + j * 4, 4, 4.5,
                                          1e-6, NULL), SD_OK);
        for (j = 0; j < 3; j++)
            all = all && l.v[j].pass;
        assert_false(all);
        sd_checklist_free(&l);
        sd_mc_result_free(&res);
    }
    /* reproducible across thread counts */
    {
        sd_mc_result r1, r2;
        sd_tradeoff_set_eps(&tr, 0.1, SD_RESAMPLE_UNO);
        run_sim(&tr, 5000, 1, pos, &r1);
        run_sim(&tr, 5000, 2, pos, &r2);
        assert_memory_equal(r1.hist, r2.hist, (m.T + 1) * sizeof(uint64_t));
        assert_memory_equal(r1.tokens, r2.tokens, 3 * m.V * sizeof(uint64_t));
        sd_mc_result_free(&r1);
        sd_mc_result_free(&r2);
    }
    sd_tradeoff_free(&other);
    sd_tradeoff_free(&tr);
    sd_model_free(&m);
}

/* Every allocation failure gives SD_ENOMEM and no leak (checked under
 * AddressSanitizer by make asan-check). */
static void test_allocation_failures(void **state)
{
    sd_model m;
    unsigned long n;
    (void)state;
    tiny_model(&m, 3, 4, 0, 13);
    for (n = 1; n < 100; n++) {
        sd_tradeoff tr;
        sd_tradeoff_result res;
        sd_sim_biased S;
        double tv;
        sd_status rc;
        sd_alloc_fail_at(n, 0);
        rc = sd_tradeoff_alloc(&tr, &m, NULL);
        if (rc == SD_OK) {
            sd_tradeoff_set_eps(&tr, 0.1, SD_RESAMPLE_OPT);
            rc = sd_tradeoff_exact(&tr, &res, NULL);
            if (rc == SD_OK)
                rc = sd_tradeoff_sequence_tv(&tr, 1e7, &tv, NULL);
            if (rc == SD_OK) {
                rc = sd_sim_biased_alloc(&S, &tr, NULL);
                if (rc == SD_OK)
                    sd_sim_biased_free(&S);
            }
            sd_tradeoff_free(&tr);
        }
        sd_alloc_fail_at(0, 0);
        if (rc == SD_OK)
            break;
        assert_int_equal(rc, SD_ENOMEM);
    }
    assert_true(n > 1 && n < 100);
    sd_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_against_brute_force),
        cmocka_unit_test(test_bias_bounds_sequence_tv),
        cmocka_unit_test(test_eps0_opt_is_sd),
        cmocka_unit_test(test_sequence_tv_refuses_large),
        cmocka_unit_test(test_token_laws_bad_positions),
        cmocka_unit_test(test_sim_unset_rows),
        cmocka_unit_test(test_alloc_bad_sizes),
        cmocka_unit_test(test_simulation_agrees),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("tradeoff", tests, NULL, NULL);
}
