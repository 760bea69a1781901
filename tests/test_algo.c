/* test_algo.c - every row of the rule table (rule.h) against a
 * brute-force enumeration of its literal algorithm, written here apart
 * from the library's engines: on tiny chains, every draft token, every
 * accept/reject outcome and every emitted token is enumerated with its
 * probability, position by position, and the expected number of
 * rejections summed.  Then each rule's literal simulation against its
 * exact value.  A rule added to the table without an enumeration here
 * fails the test. */
#include "mcutil.h"

#include <math.h>
#include <string.h>

#include "kseq.h"
#include "mc.h"
#include "model.h"
#include "rule.h"

#define VMAX 3
#define MMAX 3
#define KMAX (MMAX + 1)

/* The outcome law of verifying one tuple of draft tokens at a row:
 * acc[y][L] = P(accept y with L drafts holding y), rej[y] = P(all
 * rejected, emit y). */
typedef struct {
    double acc[VMAX][KMAX], rej[VMAX];
} outcome;

/* Verify the tuple tok[0..k-1] at row (p, q): adds w times the outcome
 * law to *o. */
typedef void (*verify_fn)(const double *p, const double *q, size_t V, size_t k,
                          const size_t *tok, double w, outcome *o);

static size_t holding(const size_t *tok, size_t k, size_t y)
{
    size_t i, n = 0;
    for (i = 0; i < k; i++)
        n += tok[i] == y;
    return n;
}

/* Add w * law (normalised [a - b]_+) to rej; returns the mass of [a-b]_+. */
static double residual(const double *a, const double *b, size_t V, double *r)
{
    double s = 0.0;
    size_t x;
    for (x = 0; x < V; x++)
        s += r[x] = a[x] > b[x] ? a[x] - b[x] : 0.0;
    for (x = 0; x < V && s > 0.0; x++)
        r[x] /= s;
    return s;
}

/* Recursive rejection sampling, as in the paper (Algorithm 4): try draft
 * i against r_{i-1} (r_0 = q) with min(1, r/p), else r_i = [r - p]_+
 * normalised; all rejected: emit from r_k. */
static void verify_rrs(const double *p, const double *q, size_t V, size_t k, const size_t *tok,
                       double w, outcome *o)
{
    double r[VMAX], next[VMAX], reach = w;
    size_t i, x;
    memcpy(r, q, V * sizeof *r);
    for (i = 0; i < k && reach > 0.0; i++) {
        size_t y = tok[i];
        double a = r[y] >= p[y] ? 1.0 : r[y] / p[y];
        o->acc[y][holding(tok, k, y)] += reach * a;
        reach *= 1.0 - a;
        if (residual(r, p, V, next) > 0.0)
            memcpy(r, next, V * sizeof *r);
    }
    for (x = 0; x < V; x++)
        o->rej[x] += reach * r[x];
}

/* K-SEQ (SpecTr): with rho = rho*(k), try each draft with
 * min(1, q/(rho p)); all rejected: emit from [q - acc]_+ normalised,
 * acc the law of the accepted token. */
static void verify_kseq(const double *p, const double *q, size_t V, size_t k, const size_t *tok,
                        double w, outcome *o)
{
    double rho, beta = 0.0, acc[VMAX] = {0}, r[VMAX], reach = w, all;
    size_t i, x;
    assert_int_equal(sd_kseq_rho(p, q, V, k, &rho, NULL), SD_OK);
    for (x = 0; x < V; x++)
        beta += fmin(p[x], q[x] / rho);
    all = pow(1.0 - beta, (double)k);
    for (x = 0; x < V; x++)
        acc[x] = beta > 0.0 ? fmin(p[x], q[x] / rho) * (1.0 - all) / beta : 0.0;
    residual(q, acc, V, r);
    for (i = 0; i < k && reach > 0.0; i++) {
        size_t y = tok[i];
        double a = q[y] >= rho * p[y] ? 1.0 : q[y] / (rho * p[y]);
        o->acc[y][holding(tok, k, y)] += reach * a;
        reach *= 1.0 - a;
    }
    for (x = 0; x < V; x++)
        o->rej[x] += reach * r[x];
}

/* The outcome law of k i.i.d. drafts from p verified by fn: every tuple. */
static void enumerate_tuples(verify_fn fn, const double *p, const double *q, size_t V, size_t k,
                             outcome *o)
{
    size_t tok[MMAX], n, total = 1, i;
    memset(o, 0, sizeof *o);
    for (i = 0; i < k; i++)
        total *= V;
    for (n = 0; n < total; n++) {
        size_t c = n;
        double w = 1.0;
        for (i = 0; i < k; i++) {
            tok[i] = c % V;
            c /= V;
            w *= p[tok[i]];
        }
        if (w > 0.0)
            fn(p, q, V, k, tok, w, o);
    }
}

/* Exponential races on V = 2 tokens with k drafts: E_x ~ Exp(1); the
 * target's race winner y (least E_x / q(x)) is emitted; accepted iff
 * p(y) > 0 and fewer than k tokens beat y in the draft's race (least
 * E_x / p(x)).  With o the other token, P(y wins both races) =
 * P(E_o > E_y max(q_o/q_y, p_o/p_y)) = 1 / (1 + max(...)). */
static void enumerate_ersd(const double *p, const double *q, size_t V, size_t k, outcome *o)
{
    size_t y;
    assert_int_equal(V, 2);
    memset(o, 0, sizeof *o);
    for (y = 0; y < 2; y++) {
        size_t other = 1 - y;
        double both;
        if (q[y] == 0.0)
            continue;
        if (p[y] == 0.0)
            both = 0.0;
        else if (k >= 2)
            both = q[y]; /* only one other token: it cannot be k >= 2 tokens */
        else
            both = 1.0 / (1.0 + fmax(q[other] / q[y], p[other] / p[y]));
        o->acc[y][1] += both;
        o->rej[y] += q[y] - both;
    }
}

/* RRS without replacement (Jeon et al. 2024), literally: draft i from p
 * without the tokens already rejected (renormalised), accepted with
 * min(1, r/d); rejected: r <- [r - d]_+ normalised and the token is
 * removed; after k drafts (or when no token is left) emit from r.  Every
 * drafted token is a branch. */
static void wor_branch(const double *p, size_t V, size_t k, size_t i, unsigned removed,
                       const double *r, double w, outcome *o)
{
    double rem = 0.0, d[VMAX], next[VMAX];
    size_t x, y;
    for (x = 0; x < V; x++)
        rem += (removed >> x & 1u) ? 0.0 : p[x];
    if (i == k || rem <= 0.0) {
        for (x = 0; x < V; x++)
            o->rej[x] += w * r[x];
        return;
    }
    for (x = 0; x < V; x++)
        d[x] = (removed >> x & 1u) ? 0.0 : p[x] / rem;
    for (y = 0; y < V; y++) {
        double a;
        if (d[y] <= 0.0)
            continue;
        a = r[y] >= d[y] ? 1.0 : r[y] / d[y];
        o->acc[y][1] += w * d[y] * a;
        if (a < 1.0) {
            const double *rn = residual(r, d, V, next) > 0.0 ? next : r;
            double keep[VMAX];
            memcpy(keep, rn, V * sizeof *keep);
            wor_branch(p, V, k, i + 1, removed | 1u << y, keep, w * d[y] * (1.0 - a), o);
        }
    }
}

static void enumerate_wor(const double *p, const double *q, size_t V, size_t k, outcome *o)
{
    memset(o, 0, sizeof *o);
    wor_branch(p, V, k, 0, 0u, q, 1.0, o);
}

/* Speculative decoding's step: one draft, min(1, q/p), residual. */
static void sd_outcome(const double *p, const double *q, size_t V, outcome *o)
{
    enumerate_tuples(verify_rrs, p, q, V, 1, o); /* RRS with one draft is SD */
}

/* E[N_rej] of a rule on m with M drafts, by enumeration.  Round-start
 * rules: state (x_{t-1}, in a round or at a round start); tree rules:
 * state (x_{t-1}, live drafts k). */
static double brute_force(const sd_rule_type *T, const sd_model *m, size_t M)
{
    const size_t V = m->V;
    const int tree = (T->flags & SD_RULE_TREE) != 0;
    double f[VMAX][KMAX], g[VMAX][KMAX], E = 0.0;
    size_t t, s, k, y, L;
    memset(f, 0, sizeof f);
    for (s = 0; s < V; s++)
        f[s][tree ? M : 0] = m->pi0[s]; /* round start: k = M (tree) or mode 0 */
    for (t = 1; t <= m->T; t++) {
        memset(g, 0, sizeof g);
        for (s = 0; s < V; s++)
            for (k = 0; k <= M; k++) {
                const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
                outcome o;
                if (f[s][k] == 0.0)
                    continue;
                if (strcmp(T->name, "sd") == 0 || (!tree && k == 1))
                    sd_outcome(p, q, V, &o); /* inside a round: SD along the draft */
                else if (strcmp(T->name, "batch") == 0 || strcmp(T->name, "tree") == 0)
                    enumerate_tuples(verify_rrs, p, q, V, tree ? k : M, &o);
                else if (strcmp(T->name, "kseq") == 0 || strcmp(T->name, "kseq-tree") == 0)
                    enumerate_tuples(verify_kseq, p, q, V, tree ? k : M, &o);
                else if (strcmp(T->name, "ersd") == 0)
                    enumerate_ersd(p, q, V, M, &o);
                else if (strcmp(T->name, "batch-wor") == 0)
                    enumerate_wor(p, q, V, M, &o);
                else
                    fail_msg("no brute-force enumeration for rule '%s': add one", T->name);
                for (y = 0; y < V; y++) {
                    E += f[s][k] * o.rej[y];
                    g[y][tree ? M : 0] += f[s][k] * o.rej[y];
                    for (L = 1; L <= MMAX; L++)
                        g[y][tree ? L : 1] += f[s][k] * o.acc[y][L];
                }
            }
        memcpy(f, g, sizeof f);
    }
    return E;
}

/* A chain on V tokens and T positions (nonstationary, sparse rows too). */
static void tiny_model(sd_model *m, size_t V, size_t T, uint64_t seed)
{
    assert_int_equal(sd_model_random(m, V, T, SD_FAMILY_DIRICHLET, 0.4, 0, seed, NULL), SD_OK);
}

/* Every rule, M = 1..3 (ERSD: V = 2), two chains each: exact = the
 * enumeration to 1e-12 relative. */
static void test_exact_against_enumeration(void **state)
{
    const sd_rule_type *const *r;
    (void)state;
    for (r = sd_rules; *r != NULL; r++) {
        uint64_t seed;
        size_t M, V = strcmp((*r)->name, "ersd") == 0 ? 2 : 3;
        for (seed = 1; seed <= 2; seed++)
            for (M = 1; M <= MMAX; M++) {
                sd_model m;
                double e, b;
                tiny_model(&m, V, 4, 10 * seed + M);
                assert_int_equal(sd_rule_exact(*r, &m, M, &e, NULL, NULL), SD_OK);
                b = brute_force(*r, &m, M);
                if (fabs(e - b) > 1e-12 * fmax(1.0, b))
                    fail_msg("%s M=%zu seed %llu: exact %.15g, enumeration %.15g", (*r)->name,
                             M, (unsigned long long)seed, e, b);
                sd_model_free(&m);
            }
    }
}

/* Every rule's literal simulation against its exact value: 40000 runs,
 * |z| <= 4.5 (false failure about 7e-6 per check, 1e-4 in all). */
static void test_simulation_against_exact(void **state)
{
    const sd_rule_type *const *r;
    (void)state;
    for (r = sd_rules; *r != NULL; r++) {
        size_t M;
        for (M = 1; M <= 3; M += 2) {
            sd_model m;
            sd_rule_sim *s;
            sd_sim sim;
            sd_mc_result res;
            char what[64];
            double e;
            tiny_model(&m, 3, 6, 7 + M);
            assert_int_equal(sd_rule_exact(*r, &m, M, &e, NULL, NULL), SD_OK);
            assert_int_equal(sd_rule_sim_alloc(&s, *r, &m, M, 0, NULL), SD_OK);
            sim = sd_rule_sim_get(s);
            sd_test_mc_run(&sim, m.T, m.V, 40000, 20241101, NULL, 0, NULL, &res);
            snprintf(what, sizeof what, "%s M=%zu", (*r)->name, M);
            sd_test_mc_agrees(what, &res, e, NULL);
            sd_mc_result_free(&res);
            sd_rule_sim_free(s);
            sd_model_free(&m);
        }
    }
}

/* The table: unique names, found by name, the flags consistent. */
static void test_table(void **state)
{
    const sd_rule_type *const *r, *const *o;
    (void)state;
    for (r = sd_rules; *r != NULL; r++) {
        assert_ptr_equal(sd_rule_find((*r)->name), *r);
        for (o = sd_rules; o != r; o++)
            assert_string_not_equal((*o)->name, (*r)->name);
        assert_true(((*r)->flags & SD_RULE_TREE) ? (*r)->tree_step != NULL
                                                  : ((*r)->flags & SD_RULE_ROUNDSTART) != 0);
        assert_non_null((*r)->step);
        assert_non_null((*r)->cost);
        assert_non_null((*r)->sim_alloc);
    }
    assert_null(sd_rule_find("nosuch"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_exact_against_enumeration),
        cmocka_unit_test(test_simulation_against_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
