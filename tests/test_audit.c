/* test_audit.c - sampler audits: the instance families (every kind of the
 * hard family has its defining property), the exact acceptances against
 * hand calculations, the exact three-layer law test and the binomial test
 * (hand-computed p-values, a stated false-failure rate, negative controls),
 * the integer .npy reader and writer, allocation failures. */
#include "testutil.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "audit.h"
#include "check.h"
#include "npy.h"
#include "rng.h"

/* Every row of w (I x V) is a distribution. */
static void assert_rows_are_laws(const double *w, size_t I, size_t V)
{
    size_t i, x;
    for (i = 0; i < I; i++) {
        double s = 0.0;
        for (x = 0; x < V; x++) {
            assert_true(isfinite(w[i * V + x]) && w[i * V + x] >= 0.0);
            s += w[i * V + x];
        }
        assert_close(s, 1.0, 1e-12);
    }
}

static void test_families_are_laws_and_seeded(void **state)
{
    const size_t I = 30, V = 17;
    double *p = malloc(I * V * sizeof *p), *q = malloc(I * V * sizeof *q);
    double *p2 = malloc(I * V * sizeof *p2), *q2 = malloc(I * V * sizeof *q2);
    int fam;
    (void)state;
    assert_non_null(p2);
    for (fam = 0; fam < 3; fam++) {
        assert_int_equal(sd_audit_cases(p, q, NULL, I, V, (sd_audit_family)fam, 0.5, 7, NULL),
                         SD_OK);
        assert_rows_are_laws(p, I, V);
        assert_rows_are_laws(q, I, V);
        assert_int_equal(sd_audit_cases(p2, q2, NULL, I, V, (sd_audit_family)fam, 0.5, 7, NULL),
                         SD_OK);
        assert_memory_equal(p, p2, I * V * sizeof *p);
        assert_memory_equal(q, q2, I * V * sizeof *q);
        assert_int_equal(sd_audit_cases(p2, q2, NULL, I, V, (sd_audit_family)fam, 0.5, 8, NULL),
                         SD_OK);
        assert_true(memcmp(q, q2, I * V * sizeof *q) != 0);
    }
    free(p);
    free(q);
    free(p2);
    free(q2);
}

/* Each hard kind has the property it is named for. */
static void test_hard_kinds(void **state)
{
    const size_t I = 3 * SD_AUDIT_NKINDS, V = 100;
    double *p = malloc(I * V * sizeof *p), *q = malloc(I * V * sizeof *q);
    int kind[3 * SD_AUDIT_NKINDS];
    size_t i, x;
    (void)state;
    assert_int_equal(sd_audit_cases(p, q, kind, I, V, SD_AUDIT_HARD, 1.0, 3, NULL), SD_OK);
    for (i = 0; i < I; i++) {
        const double *pi = p + i * V, *qi = q + i * V;
        size_t above = 0, zp = 0, zq = 0, sp = 0, sq = 0, tiny = 0;
        double overlap = 0.0, pmax = 0.0, qmax = 0.0;
        assert_int_equal(kind[i], (int)(i % SD_AUDIT_NKINDS));
        for (x = 0; x < V; x++) {
            above += qi[x] > pi[x];
            overlap += fmin(pi[x], qi[x]);
            zp += pi[x] == 0.0;
            zq += qi[x] == 0.0;
            sp += pi[x] > 0.0;
            sq += qi[x] > 0.0;
            tiny += (pi[x] > 0.0 && pi[x] < 1e-290) || (qi[x] > 0.0 && qi[x] < 1e-290);
            pmax = fmax(pmax, pi[x]);
            qmax = fmax(qmax, qi[x]);
        }
        switch (kind[i]) {
        case SD_AUDIT_EQUAL: assert_memory_equal(pi, qi, V * sizeof *pi); break;
        case SD_AUDIT_DISJOINT: assert_true(overlap == 0.0); break;
        case SD_AUDIT_ONE_RESIDUAL:
            /* q exceeds p at one token only (rounding aside: by > 1e-12) */
            above = 0;
            for (x = 0; x < V; x++)
                above += qi[x] > pi[x] + 1e-12;
            assert_int_equal(above, 1);
            break;
        case SD_AUDIT_NEAR_ONE_HOT:
            assert_true(pmax >= 1.0 - 1.1e-6 && qmax >= 1.0 - 1.1e-6);
            break;
        case SD_AUDIT_TINY: assert_true(tiny >= 10); break;
        case SD_AUDIT_SPARSE: assert_true(zp >= V / 2 && zq >= V / 2); break;
        case SD_AUDIT_SMALL_SUPPORT:
            assert_true(sp >= 1 && sp <= 2 && sq >= 1 && sq <= 2);
            break;
        default: fail_msg("kind %d", kind[i]);
        }
    }
    /* V = 1: every instance is p = q = (1) */
    assert_int_equal(sd_audit_cases(p, q, kind, SD_AUDIT_NKINDS, 1, SD_AUDIT_HARD, 1.0, 3, NULL),
                     SD_OK);
    for (i = 0; i < SD_AUDIT_NKINDS; i++) {
        assert_int_equal(kind[i], SD_AUDIT_EQUAL);
        assert_true(p[i] == 1.0 && q[i] == 1.0);
    }
    free(p);
    free(q);
}

/* Exact acceptances against hand values: P = (0.5, 0.3, 0.2), Q = (0.2,
 * 0.3, 0.5): TV = 0.3, so SD and every k = 1 rule accept with 0.7; RRS
 * with 2 drafts accepts with 19/25 (r_1 = (0, 0, 1), rho_2 = 0.3 * 0.8),
 * without replacement with 41/50 (Jeon et al.'s vector).
 * P = (1/2, 1/2), Q = (1, 0): K-SEQ with k drafts accepts 1 - 2^-k. */
static void test_accept_hand_values(void **state)
{
    const double p[3] = {0.5, 0.3, 0.2}, q[3] = {0.2, 0.3, 0.5};
    const double p2[2] = {0.5, 0.5}, q2[2] = {1.0, 0.0};
    double tmp[6], a;
    sd_error err;
    (void)state;
    assert_int_equal(sd_audit_accept(p, q, 3, SD_AUDIT_ALGO_SD, 5, tmp, &a, NULL), SD_OK);
    assert_close(a, 0.7, 1e-15);
    assert_int_equal(sd_audit_accept(p, q, 3, SD_AUDIT_ALGO_RRS, 1, tmp, &a, NULL), SD_OK);
    assert_close(a, 0.7, 1e-15);
    assert_int_equal(sd_audit_accept(p, q, 3, SD_AUDIT_ALGO_KSEQ, 1, tmp, &a, NULL), SD_OK);
    assert_close(a, 0.7, 1e-12);
    assert_int_equal(sd_audit_accept(p, q, 3, SD_AUDIT_ALGO_RRS, 2, tmp, &a, NULL), SD_OK);
    assert_close(a, 19.0 / 25.0, 1e-15);
    /* without replacement (Jeon et al.): 41/50 by hand */
    assert_int_equal(sd_audit_accept(p, q, 3, SD_AUDIT_ALGO_RRS_WOR, 2, tmp, &a, NULL), SD_OK);
    assert_close(a, 41.0 / 50.0, 1e-15);
    assert_int_equal(sd_audit_accept(p2, q2, 2, SD_AUDIT_ALGO_KSEQ, 3, tmp, &a, NULL), SD_OK);
    assert_close(a, 0.875, 1e-13);
    assert_int_equal(sd_audit_accept(p, q, 3, SD_AUDIT_ALGO_RRS, 0, tmp, &a, &err), SD_EINVAL);
    assert_int_equal(sd_audit_algo_parse("kseq"), SD_AUDIT_ALGO_KSEQ);
    assert_int_equal(sd_audit_algo_parse("batch"), -1);
    assert_int_equal(sd_audit_family_parse("hard"), SD_AUDIT_HARD);
    assert_int_equal(sd_audit_family_parse("Hard"), -1);
}

/* The exact tests on hand instances.  One bin of probability 1/2 and 10
 * draws, all in that bin: P(X >= 10) = 2^-10, two-sided p = 2^-9. */
static void test_exact_tests_by_hand(void **state)
{
    sd_checklist l;
    const uint64_t c10[2] = {10, 0}, c55[2] = {5, 5}, zero_hit[3] = {5, 4, 1};
    const double half[2] = {0.5, 0.5}, withzero[3] = {0.5, 0.5, 0.0};
    (void)state;
    sd_checklist_init(&l);
    assert_int_equal(sd_check_law_exact(&l, "a", c10, half, 2, 0.00196, 1e-12, NULL), SD_OK);
    assert_false(l.v[0].pass); /* 2^-9 = 0.001953 < 0.00196 */
    assert_int_equal(sd_check_law_exact(&l, "b", c10, half, 2, 0.00195, 1e-12, NULL), SD_OK);
    assert_true(l.v[1].pass);
    assert_int_equal(sd_check_law_exact(&l, "c", c55, half, 2, 0.5, 0.5, NULL), SD_OK);
    assert_true(l.v[2].pass);
    assert_int_equal(sd_check_law_exact(&l, "d", zero_hit, withzero, 3, 1e-12, 1e-12, NULL),
                     SD_OK);
    assert_false(l.v[3].pass);
    assert_int_equal(l.v[3].empty_violations, 1);
    /* binomial: 10 of 10 at 1/2 is p = 2^-9; certain outcomes need all */
    assert_int_equal(sd_check_binomial(&l, "e", 10, 10, 0.5, 0.00196, NULL), SD_OK);
    assert_false(l.v[4].pass);
    assert_int_equal(sd_check_binomial(&l, "f", 0, 10, 0.5, 0.00195, NULL), SD_OK);
    assert_true(l.v[5].pass);
    assert_int_equal(sd_check_binomial(&l, "g", 10, 10, 1.0, 1e-9, NULL), SD_OK);
    assert_true(l.v[6].pass);
    assert_int_equal(sd_check_binomial(&l, "h", 9, 10, 1.0, 1e-9, NULL), SD_OK);
    assert_false(l.v[7].pass);
    assert_int_equal(sd_check_binomial(&l, "i", 1, 10, 0.0, 1e-9, NULL), SD_OK);
    assert_false(l.v[8].pass);
    sd_checklist_free(&l);
}

/* Samples of the law pass, and samples of a law moved by 0.05 at one
 * token fail.  Levels: alpha_bin = 1e-4 per bin (8 bins) and 1e-4 for
 * the chi-square, so one check fails falsely with probability at most
 * 9e-4 (chi-square asymptotic), and the 100 checks here at most 0.09 all
 * together -- so this test allows up to 3 false failures, which happens
 * with probability below 2e-4 (Poisson(0.09) tail).  With n = 20000 and
 * a shift of 0.05 at a bin of probability about 0.125 the count moves by
 * 1000 = 21 standard deviations: the negative control fails always. */
static void test_exact_law_rate_and_control(void **state)
{
    const size_t K = 8, n = 20000, reps = 100;
    double law[8], shifted[8], s = 0.0;
    uint64_t counts[8];
    unsigned int tmp[8];
    gsl_rng *r = sd_rng_stream_alloc(NULL, 11, 0);
    sd_checklist l;
    size_t i, k, bad = 0, caught = 0;
    (void)state;
    assert_non_null(r);
    for (k = 0; k < K; k++)
        s += (law[k] = 1.0 + (double)k / 4.0);
    for (k = 0; k < K; k++)
        shifted[k] = (law[k] /= s);
    shifted[0] += 0.05;
    shifted[K - 1] -= 0.05;
    sd_checklist_init(&l);
    for (i = 0; i < reps; i++) {
        gsl_ran_multinomial(r, K, (unsigned)n, law, tmp);
        for (k = 0; k < K; k++)
            counts[k] = tmp[k];
        assert_int_equal(sd_check_law_exact(&l, "law", counts, law, K, 1e-4, 1e-4, NULL), SD_OK);
        bad += !l.v[l.n - 1].pass;
        gsl_ran_multinomial(r, K, (unsigned)n, shifted, tmp);
        for (k = 0; k < K; k++)
            counts[k] = tmp[k];
        assert_int_equal(sd_check_law_exact(&l, "control", counts, law, K, 1e-4, 1e-4, NULL),
                         SD_OK);
        caught += !l.v[l.n - 1].pass;
    }
    assert_true(bad <= 3);
    assert_int_equal(caught, reps);
    sd_checklist_free(&l);
    gsl_rng_free(r);
}

static void test_npy_int(void **state)
{
    char path[1024];
    const int64_t v[6] = {0, 1, -1, 5, (int64_t)1 << 40, 7};
    const int32_t w[4] = {3, -2, 0, 2147483647};
    size_t shp[2] = {2, 3};
    sd_iarray a;
    sd_error err;
    (void)state;
    sd_test_path(path, sizeof path, "i8.npy");
    assert_int_equal(sd_npy_write_int64(path, v, 2, shp, NULL), SD_OK);
    assert_int_equal(sd_npy_read_int(path, &a, NULL), SD_OK);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 3);
    assert_false(a.was_int32);
    assert_memory_equal(a.data, v, sizeof v);
    sd_iarray_free(&a);
    sd_test_path(path, sizeof path, "i4.npy");
    sd_test_npy_bytes(path, 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }",
                      64, w, sizeof w);
    assert_int_equal(sd_npy_read_int(path, &a, NULL), SD_OK);
    assert_true(a.was_int32 && a.size == 4 && a.data[1] == -2 && a.data[3] == 2147483647);
    sd_iarray_free(&a);
    /* wrong dtypes, byte order, truncation, missing file */
    sd_test_path(path, sizeof path, "f8.npy");
    sd_test_npy_bytes(path, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
                      64, v, 8);
    assert_int_equal(sd_npy_read_int(path, &a, &err), SD_EFORMAT);
    assert_msg_has(err.msg, "'<f8'");
    assert_null(a.data);
    sd_test_path(path, sizeof path, "be.npy");
    sd_test_npy_bytes(path, 1, "{'descr': '>i8', 'fortran_order': False, 'shape': (1,), }",
                      64, v, 8);
    assert_int_equal(sd_npy_read_int(path, &a, &err), SD_EFORMAT);
    sd_test_path(path, sizeof path, "short.npy");
    sd_test_npy_bytes(path, 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                      64, v, 16);
    assert_int_equal(sd_npy_read_int(path, &a, &err), SD_EFORMAT);
    assert_msg_has(err.msg, "truncated");
    sd_test_path(path, sizeof path, "fortran.npy");
    sd_test_npy_bytes(path, 1, "{'descr': '<i8', 'fortran_order': True, 'shape': (1,), }",
                      64, v, 8);
    assert_int_equal(sd_npy_read_int(path, &a, &err), SD_EFORMAT);
    sd_test_path(path, sizeof path, "missing.npy");
    assert_int_equal(sd_npy_read_int(path, &a, &err), SD_EINVAL);
}

/* Every allocation of sd_audit_cases and sd_npy_read_int fails cleanly. */
static void test_alloc_failure(void **state)
{
    double p[40], q[40];
    char path[1024];
    const int64_t v[2] = {1, 2};
    size_t shp[1] = {2};
    sd_iarray a;
    unsigned long n;
    sd_status rc = SD_ENOMEM;
    (void)state;
    for (n = 1; rc != SD_OK && n < 100; n++) {
        sd_alloc_fail_at(n, 0);
        rc = sd_audit_cases(p, q, NULL, 4, 10, SD_AUDIT_HARD, 1.0, 1, NULL);
        sd_alloc_fail_at(0, 0);
        assert_true(rc == SD_OK || rc == SD_ENOMEM);
    }
    assert_int_equal(rc, SD_OK);
    sd_test_path(path, sizeof path, "alloc.npy");
    assert_int_equal(sd_npy_write_int64(path, v, 1, shp, NULL), SD_OK);
    rc = SD_ENOMEM;
    for (n = 1; rc != SD_OK && n < 100; n++) {
        sd_alloc_fail_at(n, 0);
        rc = sd_npy_read_int(path, &a, NULL);
        sd_alloc_fail_at(0, 0);
        assert_true(rc == SD_OK || rc == SD_ENOMEM);
    }
    assert_int_equal(rc, SD_OK);
    sd_iarray_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_families_are_laws_and_seeded),
        cmocka_unit_test(test_hard_kinds),
        cmocka_unit_test(test_accept_hand_values),
        cmocka_unit_test(test_exact_tests_by_hand),
        cmocka_unit_test(test_exact_law_rate_and_control),
        cmocka_unit_test(test_npy_int),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests_name("audit", tests, NULL, sd_test_cleanup);
}
