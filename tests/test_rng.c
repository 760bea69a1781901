/* test_rng.c - the default generator and stream derivation.
 * Golden values come from tests/golden_rng.py, an independent Python
 * implementation of the published splitmix64 and xoshiro256** reference
 * code; the splitmix64 vector is the reference one for seed 1234567. */
#include "testutil.h"

#include <gsl/gsl_rng.h>

#include "rng.h"

static void test_splitmix64_reference(void **state)
{
    uint64_t x = 1234567;
    (void)state;
    assert_true(sd_splitmix64(&x) == UINT64_C(6457827717110365317));
    assert_true(sd_splitmix64(&x) == UINT64_C(3203168211198807973));
}

static void test_stream_keys(void **state)
{
    (void)state;
    assert_true(sd_rng_stream_key(20241101, 0) == UINT64_C(0xd799df0fc5ec0cd7));
    assert_true(sd_rng_stream_key(20241101, 1) == UINT64_C(0x7ff001c5071f4c6a));
    assert_true(sd_rng_stream_key(0, 0) == UINT64_C(0xa706dd2f4d197e6f));
}

static void test_golden_first_outputs(void **state)
{
    static const uint64_t want0[4] = {
        UINT64_C(0x18f30360febf1040), UINT64_C(0x3ea5f7a4e92a7de7),
        UINT64_C(0x5ffe873d493f41bd), UINT64_C(0x64e9f891f163457f)};
    static const uint64_t want1[4] = {
        UINT64_C(0xfd092c55da0c425f), UINT64_C(0x09da629f7efd70fd),
        UINT64_C(0x8e9e5f28b699b7c9), UINT64_C(0x61496f5c541a0763)};
    gsl_rng *r0 = sd_rng_stream_alloc(NULL, 20241101, 0);
    gsl_rng *r1 = sd_rng_stream_alloc(NULL, 20241101, 1);
    int i;
    (void)state;
    assert_non_null(r0);
    assert_non_null(r1);
    for (i = 0; i < 4; i++) {
        assert_true(gsl_rng_get(r0) == want0[i]);
        assert_true(gsl_rng_get(r1) == want1[i]);
    }
    gsl_rng_free(r0);
    gsl_rng_free(r1);
}

static void test_golden_doubles(void **state)
{
    /* 53-bit doubles: (x >> 11) * 2^-53 */
    gsl_rng *r = sd_rng_stream_alloc(NULL, 0, 0);
    (void)state;
    assert_true(gsl_rng_uniform(r) == 0.5479969354209024);
    assert_true(gsl_rng_uniform(r) == 0.9544143600762116);
    assert_true(gsl_rng_uniform(r) == 0.4164741882313483);
    assert_true(gsl_rng_uniform(r) == 0.8721960555153794);
    gsl_rng_free(r);
}

static void test_uniform_range_and_mean(void **state)
{
    /* 10^6 uniforms: all in [0,1), mean within 5 standard errors of 1/2
     * (sd of the mean = sqrt(1/12/n) = 2.9e-4; false failure ~ 6e-7). */
    gsl_rng *r = sd_rng_stream_alloc(NULL, 7, 3);
    double s = 0.0;
    int i, n = 1000000;
    (void)state;
    for (i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r);
        assert_true(u >= 0.0 && u < 1.0);
        s += u;
    }
    assert_true(fabs(s / n - 0.5) <= 5.0 * sqrt(1.0 / 12.0 / n));
    gsl_rng_free(r);
}

static void test_type_by_name(void **state)
{
    (void)state;
    assert_ptr_equal(sd_rng_type_by_name(NULL), sd_rng_xoshiro256ss);
    assert_ptr_equal(sd_rng_type_by_name("xoshiro256ss"), sd_rng_xoshiro256ss);
    assert_ptr_equal(sd_rng_type_by_name("mt19937"), gsl_rng_mt19937);
    assert_null(sd_rng_type_by_name("no-such-generator"));
}

static void test_gsl_type_streams_differ(void **state)
{
    gsl_rng *a = sd_rng_stream_alloc(gsl_rng_mt19937, 5, 0);
    gsl_rng *b = sd_rng_stream_alloc(gsl_rng_mt19937, 5, 1);
    gsl_rng *c = sd_rng_stream_alloc(gsl_rng_mt19937, 5, 0);
    unsigned long x = gsl_rng_get(a);
    (void)state;
    assert_true(x != gsl_rng_get(b));
    assert_true(x == gsl_rng_get(c));
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
}

/* The lanes seeded from stream (20241101, 0): first two outputs of lanes
 * 0, 1 and 15 (golden_rng.py, lanes()); and the seeding consumes exactly
 * 8 outputs of the parent per lane. */
static void test_lanes_golden(void **state)
{
    static const uint64_t want[3][2] = {
        {UINT64_C(0xf26cd251047a23ab), UINT64_C(0xea0383e5f0f2fdf2)},
        {UINT64_C(0x4d83a214d5005667), UINT64_C(0x754819c31d31e68d)},
        {UINT64_C(0xbd29264e0c5085a5), UINT64_C(0xdc2d9a54ac71e35f)}};
    static const int lane[3] = {0, 1, 15};
    gsl_rng *r = sd_rng_stream_alloc(NULL, 20241101, 0);
    gsl_rng *ref = sd_rng_stream_alloc(NULL, 20241101, 0);
    sd_rng_lanes g;
    uint64_t out[2][SD_RNG_LANES];
    int i, k;
    (void)state;
    assert_int_equal(SD_RNG_LANES, 16);
    assert_non_null(r);
    assert_non_null(ref);
    sd_rng_lanes_seed(&g, r);
    sd_rng_lanes_next(&g, out[0]);
    sd_rng_lanes_next(&g, out[1]);
    for (i = 0; i < 3; i++)
        for (k = 0; k < 2; k++)
            assert_true(out[k][lane[i]] == want[i][k]);
    for (i = 0; i < 8 * SD_RNG_LANES; i++)
        (void)gsl_rng_get(ref);
    assert_true(gsl_rng_get(r) == gsl_rng_get(ref));
    assert_true(sd_rng_u01(UINT64_C(0xffffffffffffffff)) < 1.0);
    assert_true(sd_rng_u01(0) == 0.0);
    gsl_rng_free(r);
    gsl_rng_free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splitmix64_reference),
        cmocka_unit_test(test_stream_keys),
        cmocka_unit_test(test_golden_first_outputs),
        cmocka_unit_test(test_golden_doubles),
        cmocka_unit_test(test_uniform_range_and_mean),
        cmocka_unit_test(test_type_by_name),
        cmocka_unit_test(test_gsl_type_streams_differ),
        cmocka_unit_test(test_lanes_golden),
    };
    return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
