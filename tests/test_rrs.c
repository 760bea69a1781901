/* test_rrs.c - recursive rejection sampling (doc/theory.md §3) at one token.
 *
 * The references: a literal enumeration of RRS over every tuple of k
 * draft tokens (each trial's accept/reject branch weighted by
 * min(1, r/P), residuals recomputed here by a separate implementation),
 * the closed forms of the paper's Fig. 3, and hand calculations.  The
 * Monte Carlo cases run the library's literal verifiers through the
 * round-start and tree engines on one-position chains. */
#include "testutil.h"
#include "token_instances.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "batch.h"
#include "check.h"
#include "mc.h"
#include "rng.h"
#include "rrs.h"
#include "rule.h"
#include "tree.h"

#define MAXV 8
#define MAXK 6

/* ---- instances ----------------------------------------------------------- */

enum { K_PAPER, K_ZEROS, K_EQUAL, K_DISJOINT, K_ONEHOT, K_NKINDS };

/* An instance (p, q) of the given kind: paper rows, rows with zeros
 * (P = 0 where Q > 0 happens), p = q, disjoint supports (V >= 2), one-hot
 * rows. */
static void instance(gsl_rng *r, size_t V, int kind, double *p, double *q)
{
    size_t x, cut;
    memset(p, 0, V * sizeof(double));
    memset(q, 0, V * sizeof(double));
    switch (kind) {
    case K_ZEROS:
        ti_row(r, p, V, 0.5);
        ti_row(r, q, V, 0.3);
        break;
    case K_EQUAL:
        ti_row(r, p, V, 0.2);
        memcpy(q, p, V * sizeof(double));
        break;
    case K_DISJOINT:
        if (V >= 2) {
            cut = 1 + gsl_rng_uniform_int(r, V - 1);
            for (x = 0; x < V; x++)
                (x < cut ? p : q)[x] = gsl_rng_uniform_pos(r);
            ti_normalise(p, V);
            ti_normalise(q, V);
            break;
        }
        /* V = 1 has no disjoint pair: one-hot instead */
        /* fall through */
    case K_ONEHOT:
        p[gsl_rng_uniform_int(r, V)] = 1.0;
        if (gsl_rng_uniform(r) < 0.5)
            q[gsl_rng_uniform_int(r, V)] = 1.0;
        else
            ti_row(r, q, V, 0.0);
        break;
    default:
        ti_row(r, p, V, 0.0);
        ti_row(r, q, V, 0.0);
        break;
    }
}

/* ---- the reference: literal RRS enumerated ------------------------------ */

/* res(r, p) by its definition; returns TV = 1 - sum min(p, r). */
static double ref_residual(const double *p, const double *r, double *out, size_t V)
{
    double ov = 0.0, tv;
    size_t x;
    for (x = 0; x < V; x++)
        ov += p[x] < r[x] ? p[x] : r[x];
    tv = 1.0 - ov;
    for (x = 0; x < V; x++)
        out[x] = tv > 0 && r[x] > p[x] ? (r[x] - p[x]) / tv : 0.0;
    return tv;
}

/* Literal RRS on the draft tuple tok[0..k-1] with target row r (the
 * current residual), from trial m on, with weight w: adds to
 * out[y] the probability of emitting y, to acc[(m-1)*V + y] that of a
 * first acceptance at trial m with y, to *rej that of rejecting all,
 * and to live[y*(MAXK+1) + L] that of accepting y with L drafts holding
 * y (tree form). */
static void ref_rrs(const double *p, const double *r, size_t V, const size_t *tok, size_t k,
                    size_t m, long double w, long double *out, long double *acc,
                    long double *rej, long double *live)
{
    double nxt[MAXV], a;
    size_t x, y, i, L;
    if (w == 0)
        return;
    if (m == k) {
        *rej += w;
        for (y = 0; y < V; y++)
            out[y] += w * r[y];
        return;
    }
    x = tok[m];
    a = r[x] >= p[x] ? 1.0 : r[x] / p[x];
    out[x] += w * a;
    acc[m * V + x] += w * a;
    for (i = 0, L = 0; i < k; i++)
        L += tok[i] == x;
    live[x * (MAXK + 1) + L] += w * a;
    if (a < 1.0) {
        ref_residual(p, r, nxt, V);
        ref_rrs(p, nxt, V, tok, k, m + 1, w * (1.0 - a), out, acc, rej, live);
    }
}

/* Enumerate every k-tuple of draft tokens (weight prod P) and run the
 * literal RRS on each. */
static void ref_enumerate(const double *p, const double *q, size_t V, size_t k,
                          long double *out, long double *acc, long double *rej,
                          long double *live)
{
    size_t tok[MAXK], i, n = 1;
    memset(out, 0, V * sizeof(long double));
    memset(acc, 0, k * V * sizeof(long double));
    memset(live, 0, V * (MAXK + 1) * sizeof(long double));
    *rej = 0;
    for (i = 0; i < k; i++)
        n *= V;
    for (size_t c = 0; c < n; c++) {
        long double w = 1;
        size_t cc = c;
        for (i = 0; i < k; i++) {
            tok[i] = cc % V;
            cc /= V;
            w *= p[tok[i]];
        }
        ref_rrs(p, q, V, tok, k, 0, w, out, acc, rej, live);
    }
}

/* ---- cases --------------------------------------------------------------- */

/* Output law Q, rejection rho_k, acceptance law and both step laws
 * against the enumeration, over sizes V = 1..5, k = 1..5 and every kind. */
static void test_enumeration(void **state)
{
    gsl_rng *r = sd_rng_stream_alloc(NULL, 11, 0);
    double p[MAXV], q[MAXV], law[MAXK * MAXV], tmp[2 * MAXV], *ws = sd_rrs_ws_alloc(MAXV);
    long double out[MAXV], acc[MAXK * MAXV], rej, live[MAXV * (MAXK + 1)];
    sd_step st;
    sd_tree_step ts;
    sd_error err;
    size_t V, k, y, L, m;
    int kind, rep;
    (void)state;
    assert_non_null(ws);
    assert_int_equal(sd_step_alloc(&st, MAXV, &err), SD_OK);
    assert_int_equal(sd_tree_step_alloc(&ts, MAXV, MAXK, &err), SD_OK);
    for (V = 1; V <= 5; V++)
        for (k = 1; k <= 5; k++)
            for (kind = 0; kind < K_NKINDS; kind++)
                for (rep = 0; rep < 2; rep++) {
                    double rho;
                    instance(r, V, kind, p, q);
                    ref_enumerate(p, q, V, k, out, acc, &rej, live);
                    for (y = 0; y < V; y++)
                        assert_close((double)out[y], q[y], 1e-12); /* unbiased */
                    rho = sd_rrs_accept_law(p, q, V, k, law, tmp);
                    assert_close(rho, (double)rej, 1e-12);
                    assert_close(sd_rrs_rho(p, q, V, k, tmp), (double)rej, 1e-12);
                    for (m = 0; m < k; m++)
                        for (y = 0; y < V; y++)
                            assert_close(law[m * V + y], (double)acc[m * V + y], 1e-12);
                    ts.K = MAXK;
                    assert_int_equal(sd_rrs_step(p, q, V, k, ws, &st, &err), SD_OK);
                    assert_int_equal(sd_rrs_tree_step(p, q, V, k, ws, &ts, &err), SD_OK);
                    assert_close(st.rej, (double)rej, 1e-12);
                    assert_close(ts.rej, (double)rej, 1e-12);
                    for (y = 0; y < V; y++) {
                        long double a = 0;
                        for (m = 0; m < k; m++)
                            a += acc[m * V + y];
                        assert_close(st.acc[y], (double)a, 1e-12);
                        /* rejection law times rho: Q minus the accepted mass */
                        assert_close(st.rej * st.res[y], (double)(q[y] - a), 1e-12);
                        assert_close(ts.rej * ts.res[y], (double)(q[y] - a), 1e-12);
                        for (L = 1; L <= k; L++)
                            assert_close(ts.acc[y * (MAXK + 1) + L],
                                         (double)live[y * (MAXK + 1) + L], 1e-12);
                        for (L = k + 1; L <= MAXK; L++)
                            assert_true(ts.acc[y * (MAXK + 1) + L] == 0.0);
                    }
                }
    sd_tree_step_free(&ts);
    sd_step_free(&st);
    sd_rrs_ws_free(ws);
    gsl_rng_free(r);
}

/* Given that the first m trials reject drafts with tokens x_1..x_m, the
 * law of the final output (the remaining drafts verified literally) is
 * the library's r_m whatever the rejected tokens were: enumerated from
 * the literal procedure conditioned on each rejected tuple, m = 1, 2. */
static void test_residual_independent_of_rejected_token(void **state)
{
    gsl_rng *r = sd_rng_stream_alloc(NULL, 12, 0);
    double p[MAXV], q[MAXV], lib[4 * MAXV], r1[MAXV], r2[MAXV];
    long double out[MAXV], acc[MAXK * MAXV], rej, live[MAXV * (MAXK + 1)];
    size_t V = 5, k, x1, x2, y, checked = 0;
    int rep;
    (void)state;
    for (rep = 0; rep < 20; rep++) {
        instance(r, V, rep % 2 ? K_ZEROS : K_PAPER, p, q);
        sd_rrs_residuals(p, q, V, 2, lib, NULL);
        ref_residual(p, q, r1, V);
        ref_residual(p, r1, r2, V);
        for (k = 3; k <= 4; k++)
            for (x1 = 0; x1 < V; x1++) {
                long double tot = 0;
                if (p[x1] == 0.0 || q[x1] >= p[x1])
                    continue; /* x1 is never rejected at trial 1 */
                /* trial 1 rejected x1: the other k-1 drafts against r_1 */
                ref_enumerate(p, r1, V, k - 1, out, acc, &rej, live);
                for (y = 0; y < V; y++)
                    tot += out[y];
                for (y = 0; y < V; y++)
                    assert_close((double)(out[y] / tot), lib[V + y], 1e-12);
                checked++;
                for (x2 = 0; x2 < V; x2++) {
                    if (p[x2] == 0.0 || r1[x2] >= p[x2])
                        continue; /* x2 is never rejected at trial 2 */
                    ref_enumerate(p, r2, V, k - 2, out, acc, &rej, live);
                    for (y = 0, tot = 0; y < V; y++)
                        tot += out[y];
                    for (y = 0; y < V; y++)
                        assert_close((double)(out[y] / tot), lib[2 * V + y], 1e-12);
                    checked++;
                }
            }
    }
    assert_true(checked > 40);
    gsl_rng_free(r);
}

/* rho_1 = TV, over many instances of every kind. */
static void test_rho_one_is_tv(void **state)
{
    gsl_rng *r = sd_rng_stream_alloc(NULL, 13, 0);
    double p[MAXV], q[MAXV], tmp[2 * MAXV];
    int i;
    (void)state;
    for (i = 0; i < 500; i++) {
        size_t V = 1 + (size_t)i % MAXV;
        double tv, ov = 0.0;
        size_t x;
        instance(r, V, i % K_NKINDS, p, q);
        for (x = 0; x < V; x++)
            ov += fmin(p[x], q[x]);
        tv = 1.0 - ov;
        assert_close(sd_rrs_rho(p, q, V, 1, tmp), tv, 1e-14);
        assert_close(sd_tv(p, q, V), tv, 1e-14);
        assert_close(sd_rrs_bi(p, q, V, 1, tmp), 0.0, 1e-14);
    }
    gsl_rng_free(r);
}

/* BI_M non-decreasing in M, rho_M >= rho_inf, and rho_M -> rho_inf. */
static void test_bi_monotone_and_limit(void **state)
{
    gsl_rng *r = sd_rng_stream_alloc(NULL, 14, 0);
    double p[MAXV], q[MAXV], tmp[2 * MAXV];
    int i;
    (void)state;
    for (i = 0; i < 300; i++) {
        size_t V = 1 + (size_t)i % MAXV, M;
        double prev = 0.0, rinf, bi;
        instance(r, V, i % K_NKINDS, p, q);
        rinf = sd_rrs_rho_inf(p, q, V);
        for (M = 1; M <= 40; M++) {
            bi = sd_rrs_bi(p, q, V, M, tmp);
            assert_true(bi >= prev - 1e-15);
            assert_true(sd_rrs_rho(p, q, V, M, tmp) >= rinf - 1e-15);
            prev = bi;
        }
        assert_true(sd_rrs_bi(p, q, V, 0, tmp) >= prev - 1e-15);
        /* convergence: after 5000 drafts the gap is below 1e-6 unless P
         * puts tiny mass where the residual lives (not in these rows) */
        assert_close(sd_rrs_rho(p, q, V, 5000, tmp), rinf, 1e-6);
    }
    gsl_rng_free(r);
}

/* Paper Fig. 3, top: P = Ber(u), Q = Ber(v), u >= v:
 * BI_M = (u - v)(1 - u^(M-1)). */
static void test_closed_form_bernoulli(void **state)
{
    double p[2], q[2], tmp[4];
    int iu, iv;
    size_t M;
    (void)state;
    for (iu = 0; iu <= 20; iu++)
        for (iv = 0; iv <= iu; iv++) {
            double u = iu / 20.0, v = iv / 20.0;
            p[0] = 1 - u; p[1] = u;
            q[0] = 1 - v; q[1] = v;
            for (M = 1; M <= 25; M++)
                assert_close(sd_rrs_bi(p, q, 2, M, tmp), (u - v) * (1 - pow(u, (double)M - 1)),
                             1e-13);
        }
}

/* Paper Fig. 3, bottom: P = Unif(V), Q = Unif(V') on V' of the V tokens,
 * r = V/V': BI_M = (1 - 1/r) - (1 - 1/r)^M. */
static void test_closed_form_nested_uniform(void **state)
{
    double p[64], q[64], tmp[128];
    size_t V, Vp, M, x;
    (void)state;
    for (Vp = 1; Vp <= 6; Vp++)
        for (V = Vp; V <= 48; V += Vp) {
            double c = 1.0 - (double)Vp / (double)V;
            for (x = 0; x < V; x++) {
                p[x] = 1.0 / (double)V;
                q[x] = x < Vp ? 1.0 / (double)Vp : 0.0;
            }
            for (M = 1; M <= 25; M++)
                assert_close(sd_rrs_bi(p, q, V, M, tmp), c - pow(c, (double)M), 1e-13);
        }
}

/* Edge cases by hand: p = q (no rejection), disjoint supports (rho = 1
 * for every k: P never drafts a token Q allows), P = 0 where Q > 0
 * (rho_inf = that mass, r_inf = Q there), V = 1. */
static void test_edge_cases(void **state)
{
    double tmp[8], ws[8];
    double pe[3] = {0.2, 0.3, 0.5}, pd[3] = {0.5, 0.5, 0.0}, qd[3] = {0.0, 0.0, 1.0};
    double pz[3] = {0.5, 0.5, 0.0}, qz[3] = {0.2, 0.2, 0.6}, one[1] = {1.0};
    sd_step st;
    sd_error err;
    size_t k;
    (void)state;
    assert_int_equal(sd_step_alloc(&st, 3, &err), SD_OK);
    for (k = 1; k <= 10; k++) {
        assert_true(sd_rrs_rho(pe, pe, 3, k, tmp) == 0.0);
        assert_close(sd_rrs_rho(pd, qd, 3, k, tmp), 1.0, 1e-15);
        /* zeros: r_1 = (0,0,1) after one rejection, TV(P, r_1) = 1 */
        assert_close(sd_rrs_rho(pz, qz, 3, k, tmp), 0.6, 1e-15);
        assert_true(sd_rrs_rho(one, one, 1, k, tmp) == 0.0);
    }
    assert_close(sd_rrs_rho_inf(pz, qz, 3), 0.6, 1e-15);
    assert_close(sd_rrs_rho_inf(pd, qd, 3), 1.0, 1e-15);
    assert_true(sd_rrs_rho_inf(pe, pe, 3) == 0.0);
    assert_int_equal(sd_rrs_limit_step(pz, qz, 3, 0, NULL, &st, &err), SD_OK);
    assert_close(st.rej, 0.6, 1e-15);
    assert_close(st.res[2], 1.0, 1e-15);
    assert_close(st.acc[0], 0.2, 1e-15);
    assert_int_equal(sd_rrs_step(pe, pe, 3, 4, ws, &st, &err), SD_OK);
    assert_true(st.rej == 0.0 && st.res[0] == 0.0 && st.res[2] == 0.0);
    assert_close(st.acc[2], 0.5, 1e-15);
    sd_step_free(&st);
}

/* A one-position chain whose every row is (p, q). */
static void one_position_model(sd_model *m, const double *p, const double *q, size_t V)
{
    sd_error err;
    size_t s;
    assert_int_equal(sd_model_alloc(m, V, 1, 1, 1, &err), SD_OK);
    for (s = 0; s < V; s++) {
        memcpy(m->P + s * V, p, V * sizeof(double));
        memcpy(m->Q + s * V, q, V * sizeof(double));
    }
}

/* The literal verifiers (batch and tree engines, one position): the
 * emitted token's law is Q (three-layer check) and the rejection rate
 * is rho_M (z-test).  False failure about 1e-5 per check (z 4.5 per bin
 * over <= 6 bins, p-value 1e-6). */
static void test_monte_carlo_unbiased(void **state)
{
    double p[6] = {0.3, 0.25, 0.2, 0.15, 0.1, 0.0}, q[6] = {0.05, 0.1, 0.1, 0.2, 0.3, 0.25};
    double tmp[12];
    size_t pos = 1, M, V = 6;
    int tree;
    sd_model m;
    sd_error err;
    (void)state;
    one_position_model(&m, p, q, V);
    for (tree = 0; tree <= 1; tree++)
        for (M = 1; M <= 5; M += 2) {
            sd_batch_sim *B;
            sd_sim sim;
            sd_mc_config cfg;
            sd_mc_result res;
            sd_checklist l;
            double rho = sd_rrs_rho(p, q, V, M, tmp);
            memset(&cfg, 0, sizeof cfg);
            cfg.runs = 200000;
            cfg.seed = 100 + M;
            cfg.threads = 2;
            cfg.npos = 1;
            cfg.pos = &pos;
            assert_int_equal(sd_batch_sim_alloc(&B, &m, M, tree, &err), SD_OK);
            sim = sd_batch_sim_sim(B);
            assert_int_equal(sd_mc_run(&cfg, 1, V, &sim, &res, &err), SD_OK);
            sd_checklist_init(&l);
            assert_int_equal(sd_check_law(&l, "law", res.tokens, q, V, 4.5, 1e-6, &err), SD_OK);
            assert_int_equal(sd_check_z(&l, "rho", rho, res.mean, res.stderr_mean, 4.5, &err),
                             SD_OK);
            if (!sd_checklist_pass(&l))
                fail_msg("tree %d M %zu: law z %.2f p %.2g, rho %.6f vs %.6f", tree, M,
                         l.v[0].z, l.v[0].p_value, res.mean, rho);
            assert_int_equal(l.v[0].empty_violations, 0);
            sd_checklist_free(&l);
            sd_mc_result_free(&res);
            sd_batch_sim_free(B);
        }
    sd_model_free(&m);
}

/* A tree step asked for more live drafts than it holds fails cleanly. */
static void test_tree_step_bounds(void **state)
{
    double p[2] = {0.5, 0.5}, q[2] = {0.9, 0.1}, ws[4];
    sd_tree_step ts;
    sd_error err;
    (void)state;
    assert_int_equal(sd_tree_step_alloc(&ts, 2, 3, &err), SD_OK);
    assert_int_equal(sd_rrs_tree_step(p, q, 2, 4, ws, &ts, &err), SD_EINVAL);
    assert_msg_has(err.msg, "live drafts");
    assert_int_equal(sd_rrs_tree_step(p, q, 2, 0, ws, &ts, &err), SD_EINVAL);
    sd_tree_step_free(&ts);
}

/* Every allocation of the simulation tables fails cleanly (no leak:
 * run under ASan/valgrind), and M = 0 and oversized tables are refused. */
static void test_sim_alloc_failures(void **state)
{
    sd_model m;
    sd_rrs_sim S;
    sd_error err;
    unsigned long n;
    int tree;
    (void)state;
    assert_int_equal(sd_model_random(&m, 4, 3, SD_FAMILY_PAPER, 1.0, 0, 3, &err), SD_OK);
    assert_int_equal(sd_rrs_sim_alloc(&S, &m, 0, 0, &err), SD_EINVAL);
    assert_int_equal(sd_rrs_sim_alloc(&S, &m, SD_RRS_SIM_MAX_TABLE, 1, &err), SD_ERANGE);
    assert_msg_has(err.msg, "sampling tables of");
    for (tree = 0; tree <= 1; tree++)
        for (n = 1;; n++) {
            sd_batch_sim *B;
            sd_status rc;
            sd_alloc_fail_at(n, 0);
            rc = sd_batch_sim_alloc(&B, &m, 3, tree, &err);
            sd_alloc_fail_at(0, 0);
            if (rc == SD_OK) {
                sd_batch_sim_free(B);
                break;
            }
            assert_int_equal(rc, SD_ENOMEM);
        }
    sd_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enumeration),
        cmocka_unit_test(test_residual_independent_of_rejected_token),
        cmocka_unit_test(test_rho_one_is_tv),
        cmocka_unit_test(test_bi_monotone_and_limit),
        cmocka_unit_test(test_closed_form_bernoulli),
        cmocka_unit_test(test_closed_form_nested_uniform),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_monte_carlo_unbiased),
        cmocka_unit_test(test_tree_step_bounds),
        cmocka_unit_test(test_sim_alloc_failures),
    };
    return cmocka_run_group_tests_name("rrs", tests, NULL, NULL);
}
