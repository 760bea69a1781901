/* test_transform.c - the sampling transforms against hand-computed
 * vectors (ties at the top-k boundary, top-p exactly at a cumulative
 * boundary, greedy ties) and the quickselect top-p against a full sort. */
#include "testutil.h"

#include "alloc.h"
#include "transform.h"

#define V_MAX 4096

static size_t run(const sd_sampling *s, const double *in, size_t V, int probs, double *out,
                  size_t *sup)
{
    sd_transform_ws *ws = sd_transform_ws_alloc(V);
    size_t n;
    assert_non_null(ws);
    n = sd_transform_row(s, in, V, probs, out, sup, ws);
    sd_transform_ws_free(ws);
    return n;
}

static void expect(const double *got, const double *want, size_t V)
{
    size_t i;
    for (i = 0; i < V; i++)
        assert_close(got[i], want[i], 1e-14);
}

static void test_softmax_temperature(void **state)
{
    sd_sampling s;
    double l[3] = {log(1.0), log(2.0), log(3.0)}, out[3];
    size_t sup[3];
    (void)state;
    sd_sampling_default(&s);
    assert_int_equal(run(&s, l, 3, 0, out, sup), 3);
    expect(out, (double[]){1.0 / 6, 2.0 / 6, 3.0 / 6}, 3);
    s.temperature = 0.5; /* weights 1, 4, 9 */
    run(&s, l, 3, 0, out, sup);
    expect(out, (double[]){1.0 / 14, 4.0 / 14, 9.0 / 14}, 3);
}

static void test_temperature_on_probs(void **state)
{
    sd_sampling s;
    double p[2] = {0.2, 0.8}, out[2];
    (void)state;
    sd_sampling_default(&s);
    s.temperature = 0.5; /* 0.04, 0.64 */
    run(&s, p, 2, 1, out, NULL);
    expect(out, (double[]){0.04 / 0.68, 0.64 / 0.68}, 2);
}

static void test_greedy_ties_lowest_index(void **state)
{
    sd_sampling s;
    double l[4] = {1.0, 3.0, 3.0, 2.0}, out[4];
    size_t sup[4];
    (void)state;
    sd_sampling_default(&s);
    s.temperature = 0.0;
    s.top_p = 0.5; /* no effect on a one-hot row */
    assert_int_equal(run(&s, l, 4, 0, out, sup), 1);
    assert_int_equal(sup[0], 1);
    expect(out, (double[]){0, 1, 0, 0}, 4);
}

static void test_masked_logit(void **state)
{
    sd_sampling s;
    double l[3] = {0.0, -INFINITY, 0.0}, out[3];
    size_t sup[3];
    (void)state;
    sd_sampling_default(&s);
    assert_int_equal(run(&s, l, 3, 0, out, sup), 2);
    assert_int_equal(sup[0], 0);
    assert_int_equal(sup[1], 2);
    expect(out, (double[]){0.5, 0, 0.5}, 3);
}

static void test_top_k_ties_at_boundary(void **state)
{
    sd_sampling s;
    double p[5] = {0.4, 0.2, 0.2, 0.1, 0.1}, out[5];
    (void)state;
    sd_sampling_default(&s);
    s.top_k = 2; /* 2nd largest is 0.2: both 0.2's stay */
    assert_int_equal(run(&s, p, 5, 1, out, NULL), 3);
    expect(out, (double[]){0.5, 0.25, 0.25, 0, 0}, 5);
    s.top_k = 4; /* 4th largest is 0.1: everything stays */
    assert_int_equal(run(&s, p, 5, 1, out, NULL), 5);
    expect(out, p, 5);
    s.top_k = 1;
    assert_int_equal(run(&s, p, 5, 1, out, NULL), 1);
    expect(out, (double[]){1, 0, 0, 0, 0}, 5);
}

static void test_top_p_at_cumulative_boundary(void **state)
{
    sd_sampling s;
    double p[4] = {0.125, 0.5, 0.125, 0.25}, out[4];
    (void)state;
    sd_sampling_default(&s);
    s.top_p = 0.75; /* 0.5 + 0.25 = 0.75 exactly: two tokens suffice */
    assert_int_equal(run(&s, p, 4, 1, out, NULL), 2);
    expect(out, (double[]){0, 2.0 / 3, 0, 1.0 / 3}, 4);
    s.top_p = 0.8; /* a third token: of the tied 0.125's, the lower index */
    assert_int_equal(run(&s, p, 4, 1, out, NULL), 3);
    expect(out, (double[]){0.125 / 0.875, 0.5 / 0.875, 0, 0.25 / 0.875}, 4);
    s.top_p = 0.5; /* the largest alone reaches 0.5 */
    assert_int_equal(run(&s, p, 4, 1, out, NULL), 1);
}

static void test_min_p(void **state)
{
    sd_sampling s;
    double p[4] = {0.5, 0.3, 0.15, 0.05}, out[4];
    (void)state;
    sd_sampling_default(&s);
    s.min_p = 0.3; /* keep >= 0.15 */
    assert_int_equal(run(&s, p, 4, 1, out, NULL), 3);
    expect(out, (double[]){0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}, 4);
}

static void test_order_top_k_before_top_p(void **state)
{
    sd_sampling s;
    double p[4] = {0.4, 0.3, 0.2, 0.1}, out[4];
    (void)state;
    sd_sampling_default(&s);
    /* after top-k 3 the law is (4,3,2)/9; 4/9 + 3/9 = 7/9 >= 0.75, whereas
     * on the original law 0.4 + 0.3 = 0.7 < 0.75 would keep three */
    s.top_k = 3;
    s.top_p = 0.75;
    assert_int_equal(run(&s, p, 4, 1, out, NULL), 2);
    expect(out, (double[]){4.0 / 7, 3.0 / 7, 0, 0}, 4);
}

/* A full-sort reference of top-p on probabilities (the definition). */
static size_t ref_top_p(const double *p, size_t V, double top, double *out)
{
    size_t idx[V_MAX], i, j, keep = V;
    double s = 0.0, Z = 0.0;
    for (i = 0; i < V; i++)
        idx[i] = i;
    for (i = 1; i < V; i++) /* insertion sort: descending, ties by index */
        for (j = i; j > 0 && (p[idx[j]] > p[idx[j - 1]] ||
                              (p[idx[j]] == p[idx[j - 1]] && idx[j] < idx[j - 1]));
             j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    for (i = 0; i < V; i++)
        Z += p[i];
    for (i = 0; i < V; i++) {
        s += p[idx[i]];
        if (s >= top * Z) {
            keep = i + 1;
            break;
        }
    }
    memset(out, 0, V * sizeof *out);
    s = 0.0;
    for (i = 0; i < keep; i++)
        s += p[idx[i]];
    for (i = 0; i < keep; i++)
        out[idx[i]] = p[idx[i]] / s;
    return keep;
}

static void test_top_p_against_full_sort(void **state)
{
    static double p[V_MAX], out[V_MAX], ref[V_MAX];
    sd_sampling s;
    unsigned long x = 12345;
    int rep;
    (void)state;
    sd_sampling_default(&s);
    for (rep = 0; rep < 200; rep++) {
        size_t V = 1 + (size_t)(rep * 37 % 1500), i, n, nr;
        double Z = 0.0;
        for (i = 0; i < V; i++) {
            x = x * 6364136223846793005ul + 1442695040888963407ul;
            /* few distinct values: many ties, some zeros */
            p[i] = (double)((x >> 33) % (rep % 2 ? 5 : 1000));
            Z += p[i];
        }
        if (Z == 0.0) {
            p[0] = 1.0;
            Z = 1.0;
        }
        s.top_p = ((double)(rep % 19) + 1.0) / 20.0;
        n = run(&s, p, V, 1, out, NULL);
        nr = ref_top_p(p, V, s.top_p, ref);
        assert_int_equal(n, nr);
        for (i = 0; i < V; i++)
            assert_close(out[i], ref[i], 1e-13);
    }
}

static void test_check_settings(void **state)
{
    sd_sampling s;
    sd_error err;
    (void)state;
    sd_sampling_default(&s);
    assert_int_equal(sd_sampling_check(&s, &err), SD_OK);
    assert_true(sd_sampling_is_identity(&s));
    s.top_p = 0.0;
    assert_int_equal(sd_sampling_check(&s, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "top-p"));
    sd_sampling_default(&s);
    s.temperature = -1.0;
    assert_int_equal(sd_sampling_check(&s, &err), SD_EINVAL);
    sd_sampling_default(&s);
    s.min_p = 1.5;
    assert_int_equal(sd_sampling_check(&s, &err), SD_EINVAL);
}

static sd_status ws_attempt(void *ctx, int which)
{
    sd_transform_ws *ws = sd_transform_ws_alloc(10);
    (void)ctx;
    (void)which;
    sd_transform_ws_free(ws);
    return ws != NULL ? SD_OK : SD_ENOMEM;
}

static void test_ws_alloc_failure(void **state)
{
    (void)state;
    sd_test_alloc_sweep(ws_attempt, NULL, 1, 10);
    assert_null(sd_transform_ws_alloc(0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax_temperature),
        cmocka_unit_test(test_temperature_on_probs),
        cmocka_unit_test(test_greedy_ties_lowest_index),
        cmocka_unit_test(test_masked_logit),
        cmocka_unit_test(test_top_k_ties_at_boundary),
        cmocka_unit_test(test_top_p_at_cumulative_boundary),
        cmocka_unit_test(test_min_p),
        cmocka_unit_test(test_order_top_k_before_top_p),
        cmocka_unit_test(test_top_p_against_full_sort),
        cmocka_unit_test(test_check_settings),
        cmocka_unit_test(test_ws_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
