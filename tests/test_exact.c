/* test_exact.c - Theorem 1's exact engine against brute-force enumeration.
 *
 * The reference here is the literal algorithm, enumerated: at each
 * position every draft token x is drawn with probability P(x), accepted
 * with probability min(1, Q(x)/P(x)), else rejected and replaced by y
 * with probability [Q-P]_+(y) / sum_z [Q-P]_+(z); the weight of every
 * leaf is added to the law of its rejection count.  Nothing of the
 * library's forward/backward recursions is reused.  The reference sums in
 * long double: summing millions of leaves in double drifts by ~1e-12
 * relative (seen at V = T = 6), the very tolerance being tested. */
#include "testutil.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "exact.h"
#include "model.h"
#include "rng.h"

#define MAXV 16
#define MAXT 8

/* ---- the brute-force reference ------------------------------------------ */

/* Past the horizon (t > T) a path of c rejections and weight w adds w to
 * law[c] and ends. */
static int past_horizon(const sd_model *m, size_t t, size_t c, long double w, long double *law)
{
    if (t <= m->T)
        return 0;
    law[c] += w;
    return 1;
}

/* Fully literal: branch on the draft token, then on accept/reject, then
 * on the replacement token. */
static void bf_literal(const sd_model *m, size_t t, size_t s, size_t c, long double w,
                       long double *law)
{
    const double *p, *q;
    double mass = 0.0;
    size_t x, y, V = m->V;
    if (past_horizon(m, t, c, w, law))
        return;
    p = sd_model_p(m, t, s);
    q = sd_model_q(m, t, s);
    for (y = 0; y < V; y++)
        if (q[y] > p[y])
            mass += q[y] - p[y];
    for (x = 0; x < V; x++) {
        double a;
        if (p[x] == 0.0)
            continue; /* never drafted */
        a = q[x] >= p[x] ? 1.0 : q[x] / p[x];
        if (a > 0.0)
            bf_literal(m, t + 1, x, c, w * p[x] * a, law);
        if (a < 1.0)
            for (y = 0; y < V; y++)
                if (q[y] > p[y])
                    bf_literal(m, t + 1, y, c + 1, w * p[x] * (1.0 - a) * (q[y] - p[y]) / mass,
                               law);
    }
}

/* The same algorithm with the draft token summed out inside each step
 * (the future depends only on the emitted token and the count): per
 * step the emitted token y and the accept/reject flag are enumerated,
 * with weights accumulated literally over the draft tokens. */
static void bf_merged(const sd_model *m, size_t t, size_t s, size_t c, long double w,
                      long double *law)
{
    const double *p, *q;
    long double mass = 0.0, acc[MAXV], rej[MAXV], prej = 0.0;
    size_t x, y, V = m->V;
    if (past_horizon(m, t, c, w, law))
        return;
    p = sd_model_p(m, t, s);
    q = sd_model_q(m, t, s);
    for (y = 0; y < V; y++) {
        acc[y] = rej[y] = 0.0;
        if (q[y] > p[y])
            mass += q[y] - p[y];
    }
    for (x = 0; x < V; x++) {
        double a;
        if (p[x] == 0.0)
            continue;
        a = q[x] >= p[x] ? 1.0 : q[x] / p[x];
        acc[x] += p[x] * a;
        prej += p[x] * (1.0 - a);
    }
    for (y = 0; y < V; y++)
        if (q[y] > p[y])
            rej[y] = prej * (q[y] - p[y]) / mass;
    for (y = 0; y < V; y++) {
        if (acc[y] > 0.0)
            bf_merged(m, t + 1, y, c, w * acc[y], law);
        if (rej[y] > 0.0)
            bf_merged(m, t + 1, y, c + 1, w * rej[y], law);
    }
}

/* The law of N_rej by enumeration (law: T+1 entries); literal when the
 * tree is small enough, else merged per step. */
static void bf_law(const sd_model *m, double *out)
{
    size_t s, c;
    double lit = pow((double)(m->V + m->V * m->V), (double)m->T);
    long double law[MAXT + 1];
    for (c = 0; c <= m->T; c++)
        law[c] = 0.0;
    for (s = 0; s < m->V; s++) {
        if (m->pi0[s] == 0.0)
            continue;
        if (lit <= 2e6)
            bf_literal(m, 1, s, 0, m->pi0[s], law);
        else
            bf_merged(m, 1, s, 0, m->pi0[s], law);
    }
    for (c = 0; c <= m->T; c++)
        out[c] = (double)law[c];
}

static void law_moments(const double *law, size_t T, double *mean, double *var)
{
    double e = 0.0, e2 = 0.0;
    size_t c;
    for (c = 0; c <= T; c++) {
        e += (double)c * law[c];
        e2 += (double)c * (double)c * law[c];
    }
    *mean = e;
    *var = e2 - e * e;
}

/* Marginals of x_t under the target chain by enumerating q-paths. */
static void bf_qpaths(const sd_model *m, size_t t, size_t s, double w, double *marg)
{
    const double *q;
    size_t y;
    if (t > m->T)
        return;
    q = sd_model_q(m, t, s);
    for (y = 0; y < m->V; y++)
        if (q[y] > 0.0) {
            marg[(t - 1) * m->V + y] += w * q[y];
            bf_qpaths(m, t + 1, y, w * q[y], marg);
        }
}

/* ---- instances ----------------------------------------------------------- */

/* Fill rows of K (rows x V) from r: paper family, or Dirichlet(alpha). */
static void rows(gsl_rng *r, double *K, size_t nrows, size_t V, double alpha)
{
    size_t i, x;
    double a[MAXV];
    for (x = 0; x < V; x++)
        a[x] = alpha;
    for (i = 0; i < nrows; i++) {
        double *row = K + i * V, sum = 0.0;
        if (alpha > 0.0) {
            gsl_ran_dirichlet(r, V, a, row);
        } else {
            for (x = 0; x < V; x++)
                row[x] = gsl_rng_uniform_pos(r);
        }
        for (x = 0; x < V; x++)
            sum += row[x];
        for (x = 0; x < V; x++)
            row[x] /= sum;
    }
}

/* An instance: kind 0 nonstationary, 1 stationary, 2 stationary draft
 * with nonstationary target, 3 the reverse; alpha > 0 Dirichlet, else
 * paper; zeros: set about a third of the entries to 0 (each row keeps
 * one); start: 0 uniform, 1 random law, 2 a fixed state. */
static void instance(sd_model *m, size_t V, size_t T, int kind, double alpha, int zeros,
                     int start, uint64_t seed)
{
    size_t nP = (kind == 1 || kind == 2) ? 1 : T, nQ = (kind == 1 || kind == 3) ? 1 : T;
    gsl_rng *r = sd_rng_stream_alloc(NULL, seed, 99);
    sd_error err;
    size_t i, x;
    assert_int_equal(sd_model_alloc(m, V, T, nP, nQ, &err), SD_OK);
    rows(r, m->P, nP * V, V, alpha);
    rows(r, m->Q, nQ * V, V, alpha);
    if (zeros) {
        double *K[2] = {m->P, m->Q};
        size_t n[2] = {nP * V, nQ * V}, k;
        for (k = 0; k < 2; k++)
            for (i = 0; i < n[k]; i++) {
                double *row = K[k] + i * V, sum = 0.0;
                size_t keep = gsl_rng_uniform_int(r, V);
                for (x = 0; x < V; x++)
                    if (x != keep && gsl_rng_uniform(r) < 1.0 / 3.0)
                        row[x] = 0.0;
                for (x = 0; x < V; x++)
                    sum += row[x];
                for (x = 0; x < V; x++)
                    row[x] /= sum;
            }
    }
    if (start == 1)
        rows(r, m->pi0, 1, V, 0.0);
    else if (start == 2)
        for (x = 0; x < V; x++)
            m->pi0[x] = x == (size_t)(seed % V) ? 1.0 : 0.0;
    gsl_rng_free(r);
}

/* Compare every exact quantity of m with the enumeration, to 1e-12. */
static void compare_with_bruteforce(const sd_model *m, const char *what)
{
    double law[MAXT + 1], pmf[MAXT + 1], bmean, bvar, mean, mean2, var;
    double marg[MAXT * MAXV], laws[MAXT * MAXV];
    size_t pos[MAXT], c, t;
    sd_error err;
    bf_law(m, law);
    law_moments(law, m->T, &bmean, &bvar);
    sd_error_clear(&err);
    if (sd_exact_sd_mean(m, &mean, &err) != SD_OK ||
        sd_exact_sd_moments(m, &mean2, &var, &err) != SD_OK ||
        sd_exact_sd_pmf(m, pmf, 1e12, &err) != SD_OK)
        fail_msg("%s: %s", what, err.msg);
    if (!(fabs(mean - bmean) <= 1e-12 * fmax(1.0, bmean)) ||
        !(fabs(mean2 - bmean) <= 1e-12 * fmax(1.0, bmean)) ||
        !(fabs(var - bvar) <= 1e-12 * fmax(1.0, bvar)))
        fail_msg("%s: mean %.17g / %.17g, variance %.17g; enumeration: %.17g, %.17g", what,
                 mean, mean2, var, bmean, bvar);
    for (c = 0; c <= m->T; c++)
        if (!(fabs(pmf[c] - law[c]) <= 1e-12))
            fail_msg("%s: P(N_rej = %zu) = %.17g, enumeration %.17g", what, c, pmf[c], law[c]);
    /* the output token laws at every position */
    memset(marg, 0, sizeof marg);
    for (t = 0; t < m->V; t++)
        if (m->pi0[t] > 0.0)
            bf_qpaths(m, 1, t, m->pi0[t], marg);
    for (t = 0; t < m->T; t++)
        pos[t] = t + 1;
    if (sd_exact_token_laws(m, m->T, pos, laws, &err) != SD_OK)
        fail_msg("%s: %s", what, err.msg);
    for (t = 0; t < m->T * m->V; t++)
        if (!(fabs(laws[t] - marg[t]) <= 1e-12))
            fail_msg("%s: P(x_%zu = %zu) = %.17g, enumeration %.17g", what, t / m->V + 1,
                     t % m->V, laws[t], marg[t]);
}

/* ---- property tests ------------------------------------------------------ */

static void sweep(double alpha, int zeros)
{
    size_t V, T;
    int kind, start;
    char what[160];
    for (V = 1; V <= 6; V++)
        for (T = 1; T <= 6; T++)
            for (kind = 0; kind < 4; kind++) {
                sd_model m;
                uint64_t seed = 1000 * V + 10 * T + (uint64_t)kind;
                start = (int)((V + T + (size_t)kind) % 3);
                instance(&m, V, T, kind, alpha, zeros, start, seed);
                snprintf(what, sizeof what, "V=%zu T=%zu kind=%d alpha=%g zeros=%d start=%d", V,
                         T, kind, alpha, zeros, start);
                compare_with_bruteforce(&m, what);
                sd_model_free(&m);
            }
}

static void test_paper_family(void **state)
{
    (void)state;
    sweep(0.0, 0);
}

static void test_dirichlet_small_alpha(void **state)
{
    /* alpha = 0.1: many entries near zero, some underflowing to 0 */
    (void)state;
    sweep(0.1, 0);
}

static void test_zero_entries(void **state)
{
    (void)state;
    sweep(0.0, 1);
    sweep(0.5, 1);
}

static void test_literal_equals_merged(void **state)
{
    /* the two enumerations agree where both are cheap (a check of the
     * reference itself) */
    size_t V, T;
    (void)state;
    for (V = 1; V <= 4; V++)
        for (T = 1; T <= 3; T++) {
            sd_model m;
            long double a[MAXT + 1] = {0}, b[MAXT + 1] = {0};
            size_t s, c;
            instance(&m, V, T, 0, 0.3, 1, 1, V * T);
            for (s = 0; s < V; s++) {
                bf_literal(&m, 1, s, 0, m.pi0[s], a);
                bf_merged(&m, 1, s, 0, m.pi0[s], b);
            }
            for (c = 0; c <= T; c++)
                assert_close((double)a[c], (double)b[c], 1e-14);
            sd_model_free(&m);
        }
}

/* ---- edge cases ---------------------------------------------------------- */

static void exact_all(const sd_model *m, double *mean, double *mean2, double *var, double *pmf)
{
    sd_error err;
    assert_int_equal(sd_exact_sd_mean(m, mean, &err), SD_OK);
    assert_int_equal(sd_exact_sd_moments(m, mean2, var, &err), SD_OK);
    assert_int_equal(sd_exact_sd_pmf(m, pmf, 1e12, &err), SD_OK);
}

static void test_p_equals_q(void **state)
{
    size_t V, c;
    (void)state;
    for (V = 1; V <= 6; V++) {
        sd_model m;
        double mean, mean2, var, pmf[6];
        instance(&m, V, 5, (int)(V % 4), V % 2 ? 0.0 : 0.2, 0, 1, V);
        if (m.nP == m.nQ)
            memcpy(m.P, m.Q, m.nQ * V * V * sizeof(double));
        else if (m.nP == 1) /* stationary draft: make the target stationary-valued */
            for (c = 0; c < 5; c++)
                memcpy(m.Q + c * V * V, m.P, V * V * sizeof(double));
        else
            for (c = 0; c < 5; c++)
                memcpy(m.P + c * V * V, m.Q, V * V * sizeof(double));
        exact_all(&m, &mean, &mean2, &var, pmf);
        assert_true(mean == 0.0);
        assert_true(mean2 == 0.0);
        assert_true(var == 0.0);
        assert_close(pmf[0], 1.0, 1e-14);
        for (c = 1; c <= 5; c++)
            assert_true(pmf[c] == 0.0);
        sd_model_free(&m);
    }
}

static void test_disjoint_supports(void **state)
{
    /* P rows live on the even states, Q rows on the odd ones: every
     * draft is rejected, N_rej = T surely */
    size_t V, T = 6, t, s, x;
    (void)state;
    for (V = 2; V <= 8; V++) {
        sd_model m;
        sd_error err;
        double mean, mean2, var, pmf[7], law[7];
        gsl_rng *r = sd_rng_stream_alloc(NULL, V, 5);
        assert_int_equal(sd_model_alloc(&m, V, T, T, T, &err), SD_OK);
        for (t = 0; t < T; t++)
            for (s = 0; s < V; s++) {
                double *p = m.P + (t * V + s) * V, *q = m.Q + (t * V + s) * V, sp = 0, sq = 0;
                for (x = 0; x < V; x++) {
                    double u = gsl_rng_uniform_pos(r);
                    p[x] = x % 2 == 0 ? u : 0.0;
                    q[x] = x % 2 == 1 ? u : 0.0;
                    sp += p[x];
                    sq += q[x];
                }
                for (x = 0; x < V; x++) {
                    p[x] /= sp;
                    q[x] /= sq;
                }
            }
        exact_all(&m, &mean, &mean2, &var, pmf);
        assert_close(mean, (double)T, 1e-14);
        assert_close(mean2, (double)T, 1e-14);
        assert_true(fabs(var) <= 1e-12);
        for (t = 0; t < T; t++)
            assert_true(fabs(pmf[t]) <= 1e-15);
        assert_close(pmf[T], 1.0, 1e-14);
        if (V <= 6) {
            bf_law(&m, law);
            assert_close(law[T], 1.0, 1e-14);
        }
        gsl_rng_free(r);
        sd_model_free(&m);
    }
}

static void test_vocab_one(void **state)
{
    size_t T;
    (void)state;
    for (T = 1; T <= 50; T += 7) {
        sd_model m;
        sd_error err;
        double mean, mean2, var, pmf[64];
        size_t pos[1] = {T};
        double law1;
        assert_int_equal(sd_model_random(&m, 1, T, SD_FAMILY_PAPER, 1.0, T % 2, T, &err), SD_OK);
        exact_all(&m, &mean, &mean2, &var, pmf);
        assert_true(mean == 0.0 && mean2 == 0.0 && var == 0.0);
        assert_true(pmf[0] == 1.0);
        assert_int_equal(sd_exact_token_laws(&m, 1, pos, &law1, &err), SD_OK);
        assert_true(law1 == 1.0);
        sd_model_free(&m);
    }
}

static void test_horizon_one(void **state)
{
    /* T = 1: E[N_rej] = sum_s pi0(s) TV(P(s,.), Q(s,.)), with TV taken
     * here as half the L1 distance; Var = E - E^2 (a Bernoulli count) */
    size_t V;
    (void)state;
    for (V = 1; V <= 12; V++) {
        sd_model m;
        double mean, mean2, var, pmf[2], E = 0.0, tau[16];
        size_t s, x;
        instance(&m, V, 1, 0, V % 3 ? 0.0 : 0.3, (int)(V % 2), 1, 40 + V);
        for (s = 0; s < V; s++) {
            double l1 = 0.0;
            for (x = 0; x < V; x++)
                l1 += fabs(m.P[s * V + x] - m.Q[s * V + x]);
            E += m.pi0[s] * 0.5 * l1;
        }
        exact_all(&m, &mean, &mean2, &var, pmf);
        assert_close(mean, E, 1e-13);
        assert_close(mean2, E, 1e-13);
        assert_close(var, E - E * E, 1e-13);
        assert_close(pmf[1], E, 1e-13);
        assert_close(pmf[0], 1.0 - E, 1e-13);
        sd_exact_tv_rows(&m, 1, tau);
        for (s = 0; s < V; s++) {
            double l1 = 0.0;
            for (x = 0; x < V; x++)
                l1 += fabs(m.P[s * V + x] - m.Q[s * V + x]);
            assert_close(tau[s], 0.5 * l1, 1e-14);
        }
        sd_model_free(&m);
    }
}

static void test_one_hot_rows(void **state)
{
    /* P(s,.) = delta_a(s), Q(s,.) = delta_b(s): from x_{t-1} = s the step
     * rejects iff a(s) != b(s), and x_t = b(s) surely.  So from each start
     * the count is deterministic: follow the path s, b(s), b(b(s)), ... */
    size_t V = 7, T = 9, s, t, c;
    size_t a[7] = {0, 2, 2, 5, 4, 6, 1}, b[7] = {3, 2, 0, 5, 1, 6, 4};
    sd_model m;
    sd_error err;
    double mean, mean2, var, pmf[10], law[10] = {0}, E = 0.0, E2 = 0.0;
    (void)state;
    assert_int_equal(sd_model_alloc(&m, V, T, 1, 1, &err), SD_OK);
    memset(m.P, 0, V * V * sizeof(double));
    memset(m.Q, 0, V * V * sizeof(double));
    for (s = 0; s < V; s++) {
        m.P[s * V + a[s]] = 1.0;
        m.Q[s * V + b[s]] = 1.0;
    }
    for (s = 0; s < V; s++) {
        size_t x = s, n = 0;
        for (t = 1; t <= T; t++) {
            n += a[x] != b[x];
            x = b[x];
        }
        law[n] += 1.0 / (double)V;
        E += (double)n / (double)V;
        E2 += (double)(n * n) / (double)V;
    }
    exact_all(&m, &mean, &mean2, &var, pmf);
    assert_close(mean, E, 1e-14);
    assert_close(mean2, E, 1e-14);
    assert_close(var, E2 - E * E, 1e-13);
    for (c = 0; c <= T; c++)
        assert_close(pmf[c], law[c], 1e-14);
    sd_model_free(&m);
}

static void test_start_state_fixed(void **state)
{
    /* --start s gives the enumeration started at s, and the uniform start
     * is the average of the V fixed starts */
    size_t V = 4, T = 5, s;
    sd_model m;
    sd_error err;
    double avg = 0.0, mean, uni;
    (void)state;
    instance(&m, V, T, 0, 0.0, 0, 0, 17);
    assert_int_equal(sd_exact_sd_mean(&m, &uni, &err), SD_OK);
    for (s = 0; s < V; s++) {
        char spec[8];
        snprintf(spec, sizeof spec, "%zu", s);
        assert_int_equal(sd_model_set_start(&m, spec, &err), SD_OK);
        compare_with_bruteforce(&m, spec);
        assert_int_equal(sd_exact_sd_mean(&m, &mean, &err), SD_OK);
        avg += mean / (double)V;
    }
    assert_close(avg, uni, 1e-14);
    sd_model_free(&m);
}

static void test_stationary_equals_copies(void **state)
{
    /* a stationary chain and the same chain written out T times */
    size_t V, T;
    (void)state;
    for (V = 1; V <= 9; V += 2)
        for (T = 1; T <= 40; T += 13) {
            sd_model a, b;
            sd_error err;
            double ma, mb, m2a, m2b, va, vb, pa[41], pb[41], la[9 * 40], lb[9 * 40];
            size_t pos[40], t, c;
            assert_int_equal(sd_model_random(&a, V, T, SD_FAMILY_DIRICHLET, 0.4, 1, V + T, &err),
                             SD_OK);
            assert_int_equal(sd_model_alloc(&b, V, T, T, T, &err), SD_OK);
            for (t = 0; t < T; t++) {
                memcpy(b.P + t * V * V, a.P, V * V * sizeof(double));
                memcpy(b.Q + t * V * V, a.Q, V * V * sizeof(double));
            }
            assert_int_equal(sd_model_set_start(&a, V > 2 ? "2" : "0", &err), SD_OK);
            assert_int_equal(sd_model_set_start(&b, V > 2 ? "2" : "0", &err), SD_OK);
            exact_all(&a, &ma, &m2a, &va, pa);
            exact_all(&b, &mb, &m2b, &vb, pb);
            assert_close(ma, mb, 1e-13);
            assert_close(m2a, m2b, 1e-13);
            assert_close(va, vb, 1e-13);
            for (c = 0; c <= T; c++)
                assert_true(fabs(pa[c] - pb[c]) <= 1e-13);
            for (t = 0; t < T; t++)
                pos[t] = t + 1;
            assert_int_equal(sd_exact_token_laws(&a, T, pos, la, &err), SD_OK);
            assert_int_equal(sd_exact_token_laws(&b, T, pos, lb, &err), SD_OK);
            for (c = 0; c < T * V; c++)
                assert_true(fabs(la[c] - lb[c]) <= 1e-13);
            sd_model_free(&a);
            sd_model_free(&b);
        }
}

static void test_token_laws_subset(void **state)
{
    /* a few ascending positions give the rows of the full set */
    sd_model m;
    sd_error err;
    size_t all[6] = {1, 2, 3, 4, 5, 6}, some[3] = {2, 5, 6}, i, x;
    double full[6 * 5], part[3 * 5];
    (void)state;
    instance(&m, 5, 6, 3, 0.0, 1, 1, 5);
    assert_int_equal(sd_exact_token_laws(&m, 6, all, full, &err), SD_OK);
    assert_int_equal(sd_exact_token_laws(&m, 3, some, part, &err), SD_OK);
    for (i = 0; i < 3; i++)
        for (x = 0; x < 5; x++)
            assert_true(part[i * 5 + x] == full[(some[i] - 1) * 5 + x]);
    sd_model_free(&m);
}

static void test_token_laws_invalid(void **state)
{
    sd_model m;
    sd_error err;
    size_t unsorted[2] = {3, 2}, dup[2] = {2, 2}, zero[1] = {0}, big[1] = {7};
    double out[2 * 4];
    (void)state;
    instance(&m, 4, 6, 0, 0.0, 0, 0, 1);
    assert_int_equal(sd_exact_token_laws(&m, 2, unsorted, out, &err), SD_EINVAL);
    assert_msg_has(err.msg, "ascending");
    assert_int_equal(sd_exact_token_laws(&m, 2, dup, out, &err), SD_EINVAL);
    assert_int_equal(sd_exact_token_laws(&m, 1, zero, out, &err), SD_EINVAL);
    assert_int_equal(sd_exact_token_laws(&m, 1, big, out, &err), SD_EINVAL);
    assert_int_equal(sd_exact_token_laws(&m, 0, big, out, &err), SD_OK); /* nothing asked */
    sd_model_free(&m);
}

static void test_pmf_refused_above_max_work(void **state)
{
    /* T^2 V^2 = 36 * 25 = 900: refused with a limit of 899, done with 900 */
    sd_model m;
    sd_error err;
    double pmf[7] = {-1, -1, -1, -1, -1, -1, -1};
    size_t c;
    (void)state;
    instance(&m, 5, 6, 0, 0.0, 0, 0, 2);
    sd_error_clear(&err);
    assert_int_equal(sd_exact_sd_pmf(&m, pmf, 899.0, &err), SD_ERANGE);
    assert_msg_has(err.msg, "limit");
    for (c = 0; c <= 6; c++)
        assert_true(pmf[c] == -1);
    assert_int_equal(sd_exact_sd_pmf(&m, pmf, 900.0, &err), SD_OK);
    sd_model_free(&m);
}

/* One workspace serves many calls and models of its V (and horizon, for
 * the law) with the conveniences' numbers bit for bit; a workspace of
 * another V, or too short a horizon for the law, is refused. */
static void test_workspace(void **state)
{
    sd_model m, m2;
    sd_error err;
    sd_exact_ws *w = sd_exact_ws_alloc(4, 6), *w0 = sd_exact_ws_alloc(4, 0);
    size_t pos[2] = {1, 4};
    double a, b, c, d, pmf[7], pmf2[7], laws[8], laws2[8];
    int rep;
    (void)state;
    assert_non_null(w);
    assert_non_null(w0);
    instance(&m, 4, 6, 0, 0.0, 0, 0, 5);
    instance(&m2, 4, 5, 1, 0.3, 0, 1, 6);
    for (rep = 0; rep < 2; rep++) {
        const sd_model *x = rep ? &m2 : &m;
        assert_int_equal(sd_exact_sd_mean_ws(x, w, &a, &err), SD_OK);
        assert_int_equal(sd_exact_sd_mean(x, &b, &err), SD_OK);
        assert_true(a == b);
        assert_int_equal(sd_exact_sd_moments_ws(x, w0, &a, &c, &err), SD_OK);
        assert_int_equal(sd_exact_sd_moments(x, &b, &d, &err), SD_OK);
        assert_true(a == b && c == d);
        assert_int_equal(sd_exact_sd_pmf_ws(x, w, pmf, 1e9, &err), SD_OK);
        assert_int_equal(sd_exact_sd_pmf(x, pmf2, 1e9, &err), SD_OK);
        assert_memory_equal(pmf, pmf2, (x->T + 1) * sizeof(double));
        assert_int_equal(sd_exact_token_laws_ws(x, w, 2, pos, laws, &err), SD_OK);
        assert_int_equal(sd_exact_token_laws(x, 2, pos, laws2, &err), SD_OK);
        assert_memory_equal(laws, laws2, sizeof laws);
    }
    assert_int_equal(sd_exact_sd_pmf_ws(&m, w0, pmf, 1e9, &err), SD_EINVAL);
    sd_model_free(&m);
    instance(&m, 3, 6, 0, 0.0, 0, 0, 7);
    assert_int_equal(sd_exact_sd_mean_ws(&m, w, &a, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "V = 4"));
    sd_model_free(&m);
    sd_model_free(&m2);
    sd_exact_ws_free(w);
    sd_exact_ws_free(w0);
    sd_exact_ws_free(NULL);
    sd_alloc_fail_at(1, 0);
    w = sd_exact_ws_alloc(4, 6);
    sd_alloc_fail_at(0, 0);
    assert_null(w);
    assert_null(sd_exact_ws_alloc((size_t)1 << 40, (size_t)1 << 40)); /* overflows */
}

static void test_alloc_failure(void **state)
{
    /* every exact function fails cleanly with SD_ENOMEM */
    sd_model m;
    int fn;
    size_t pos[2] = {1, 4};
    (void)state;
    instance(&m, 4, 4, 0, 0.0, 0, 0, 3);
    for (fn = 0; fn < 4; fn++) {
        unsigned long n;
        sd_status rc = SD_ENOMEM;
        for (n = 1; n < 50 && rc != SD_OK; n++) {
            double a, b, pmf[5], laws[8];
            sd_error err;
            sd_alloc_fail_at(n, 0);
            switch (fn) {
            case 0: rc = sd_exact_sd_mean(&m, &a, &err); break;
            case 1: rc = sd_exact_sd_moments(&m, &a, &b, &err); break;
            case 2: rc = sd_exact_sd_pmf(&m, pmf, 1e9, &err); break;
            default: rc = sd_exact_token_laws(&m, 2, pos, laws, &err); break;
            }
            sd_alloc_fail_at(0, 0);
            if (rc != SD_OK)
                assert_int_equal(rc, SD_ENOMEM);
        }
        assert_int_equal(rc, SD_OK);
        assert_true(n >= 3); /* at least one allocation failed */
    }
    sd_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paper_family),
        cmocka_unit_test(test_dirichlet_small_alpha),
        cmocka_unit_test(test_zero_entries),
        cmocka_unit_test(test_literal_equals_merged),
        cmocka_unit_test(test_p_equals_q),
        cmocka_unit_test(test_disjoint_supports),
        cmocka_unit_test(test_vocab_one),
        cmocka_unit_test(test_horizon_one),
        cmocka_unit_test(test_one_hot_rows),
        cmocka_unit_test(test_start_state_fixed),
        cmocka_unit_test(test_stationary_equals_copies),
        cmocka_unit_test(test_token_laws_subset),
        cmocka_unit_test(test_token_laws_invalid),
        cmocka_unit_test(test_pmf_refused_above_max_work),
        cmocka_unit_test(test_workspace),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests_name("exact", tests, NULL, NULL);
}
