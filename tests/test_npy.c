/* test_npy.c - reading and writing NumPy .npy files.
 * Files with unusual headers are built byte by byte here (magic, version,
 * header length, dictionary, data), so the expected contents are known
 * independently of the writer under test. */
#include "testutil.h"

#include <sys/stat.h>

#include "alloc.h"
#include "error.h"
#include "npy.h"

/* Read path, expecting failure with code; the message must name path. */
static void expect_read_error(const char *path, sd_status code)
{
    sd_array a;
    sd_error err;
    sd_status rc;
    sd_error_clear(&err);
    memset(&a, 0x5a, sizeof a);
    rc = sd_npy_read(path, &a, &err);
    if (rc != code)
        fail_msg("%s: status %d (%s), expected %d; message: %s", path, (int)rc,
                 sd_strerror(rc), (int)code, err.msg);
    assert_int_equal(err.code, code);
    assert_msg_has(err.msg, path);
    /* the array is left empty: nothing to free, freeing is harmless */
    assert_null(a.data);
    assert_null(a.map);
    assert_int_equal(a.size, 0);
    sd_array_free(&a);
}

/* Write a (header dict, f64 data) file with a 64-aligned v1.0 header and
 * expect the given failure. */
static void expect_dict_error(const char *name, const char *dict, size_t nbytes,
                              sd_status code, const char *needle)
{
    char path[600];
    unsigned char data[64];
    sd_array a;
    sd_error err;
    memset(data, 0, sizeof data);
    sd_test_npy_bytes(sd_test_path(path, sizeof path, name), 1, dict, 64, data, nbytes);
    expect_read_error(path, code);
    sd_error_clear(&err);
    assert_int_equal(sd_npy_read(path, &a, &err), code);
    if (needle != NULL)
        assert_msg_has(err.msg, needle);
}

static void roundtrip(const char *name, size_t ndim, const size_t *shape)
{
    char path[600];
    size_t n = 1, k, i;
    double *x;
    sd_array a;
    sd_error err;
    for (k = 0; k < ndim; k++)
        n *= shape[k];
    x = malloc((n ? n : 1) * sizeof *x);
    assert_non_null(x);
    for (i = 0; i < n; i++) /* values with full 53-bit mantissas, signs, tiny and huge */
        x[i] = (i % 3 == 0 ? -1.0 : 1.0) * ldexp(1.0 + (double)i / 3.0, (int)(i % 40) - 20) /
               7.0;
    sd_test_path(path, sizeof path, name);
    assert_int_equal(sd_npy_write(path, x, ndim, shape, &err), SD_OK);
    assert_int_equal(sd_npy_read(path, &a, &err), SD_OK);
    assert_int_equal(a.ndim, ndim);
    for (k = 0; k < ndim; k++)
        assert_int_equal(a.shape[k], shape[k]);
    assert_int_equal(a.size, n);
    assert_false(a.was_float32);
    assert_true(n == 0 || memcmp(a.data, x, n * sizeof *x) == 0);
    sd_array_free(&a);
    sd_array_free(&a); /* a second free of an emptied array is harmless */
    free(x);
}

static void test_roundtrip_1d(void **state)
{
    size_t shape[1] = {5};
    (void)state;
    roundtrip("r1.npy", 1, shape);
}

static void test_roundtrip_2d(void **state)
{
    size_t shape[2] = {3, 4};
    (void)state;
    roundtrip("r2.npy", 2, shape);
}

static void test_roundtrip_3d(void **state)
{
    size_t shape[3] = {4, 3, 3};
    size_t zero[3] = {0, 2, 2};
    size_t eight[8] = {1, 2, 1, 2, 1, 2, 1, 3};
    (void)state;
    roundtrip("r3.npy", 3, shape);
    roundtrip("r0.npy", 3, zero);   /* an empty array */
    roundtrip("r8.npy", 8, eight);  /* the largest rank */
}

static void test_write_header_layout(void **state)
{
    /* The writer's bytes: magic, version 1.0, a header padded to 64 ending
     * in '\n', then the data (what NumPy itself writes). */
    char path[600];
    size_t shape[2] = {2, 2};
    double x[4] = {0.25, 0.75, 1.0, 0.0};
    unsigned char b[256];
    size_t hl, len;
    FILE *f;
    sd_error err;
    (void)state;
    sd_test_path(path, sizeof path, "layout.npy");
    assert_int_equal(sd_npy_write(path, x, 2, shape, &err), SD_OK);
    f = fopen(path, "rb");
    assert_non_null(f);
    len = fread(b, 1, sizeof b, f);
    fclose(f);
    assert_memory_equal(b, "\x93NUMPY\x01\x00", 8);
    hl = (size_t)b[8] | (size_t)b[9] << 8;
    assert_int_equal((10 + hl) % 64, 0);
    assert_int_equal(len, 10 + hl + 32);
    assert_int_equal(b[10 + hl - 1], '\n');
    assert_non_null(strstr((const char *)b + 10, "'descr': '<f8'"));
    assert_non_null(strstr((const char *)b + 10, "'fortran_order': False"));
    assert_non_null(strstr((const char *)b + 10, "'shape': (2, 2)"));
    assert_memory_equal(b + 10 + hl, x, 32);
}

static void test_float32(void **state)
{
    char path[600];
    float f[6] = {0.5f, 0.25f, 0.25f, 1.0f / 3.0f, -2.0f, 1e-30f};
    sd_array a;
    sd_error err;
    size_t i;
    (void)state;
    sd_test_npy_bytes(sd_test_path(path, sizeof path, "f4.npy"), 1,
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 64, f,
                      sizeof f);
    assert_int_equal(sd_npy_read(path, &a, &err), SD_OK);
    assert_true(a.was_float32);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 3);
    for (i = 0; i < 6; i++)
        assert_true(a.data[i] == (double)f[i]);
    sd_array_free(&a);
}

static void test_versions(void **state)
{
    /* the same 2x2 array behind version 1.0, 2.0 and 3.0 headers, with
     * double-quoted keys, no trailing comma, keys in another order and
     * no padding at all (data at an unaligned offset) */
    static const char *dicts[] = {
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
        "{\"shape\": (2,2), \"fortran_order\": False, \"descr\": \"<f8\"}",
        "{ 'fortran_order' : False , 'descr':'<f8','shape':(2, 2) }",
    };
    double x[4] = {0.1, 0.9, 0.3, 0.7};
    char path[600], name[32];
    int major;
    size_t d, align;
    (void)state;
    for (major = 1; major <= 3; major++)
        for (d = 0; d < 3; d++)
            for (align = 0; align <= 64; align += 64) {
                sd_array a;
                sd_error err;
                snprintf(name, sizeof name, "v%d-%zu-%zu.npy", major, d, align);
                sd_test_npy_bytes(sd_test_path(path, sizeof path, name), major, dicts[d],
                                  align, x, sizeof x);
                sd_error_clear(&err);
                if (sd_npy_read(path, &a, &err) != SD_OK)
                    fail_msg("%s: %s", name, err.msg);
                assert_int_equal(a.ndim, 2);
                assert_int_equal(a.size, 4);
                assert_memory_equal(a.data, x, sizeof x);
                sd_array_free(&a);
            }
}

static void test_scalar_and_1d_tuple(void **state)
{
    double x[3] = {1.0, 2.0, 3.0};
    char path[600];
    sd_array a;
    sd_error err;
    (void)state;
    sd_test_npy_bytes(sd_test_path(path, sizeof path, "scalar.npy"), 1,
                      "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 64, x, 8);
    assert_int_equal(sd_npy_read(path, &a, &err), SD_OK);
    assert_int_equal(a.ndim, 0);
    assert_int_equal(a.size, 1);
    assert_true(a.data[0] == 1.0);
    sd_array_free(&a);
    sd_test_npy_bytes(sd_test_path(path, sizeof path, "tuple1.npy"), 1,
                      "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 64, x, 24);
    assert_int_equal(sd_npy_read(path, &a, &err), SD_OK);
    assert_int_equal(a.ndim, 1);
    assert_int_equal(a.shape[0], 3);
    assert_memory_equal(a.data, x, 24);
    sd_array_free(&a);
}

/* The value stored at index i of the large test arrays. */
static double big_value(size_t i)
{
    return (double)(i % 1000) / 1000.0 + (double)i * 1e-9;
}

static void test_mmap_large(void **state)
{
    /* 400 x 400 float64 = 1.28 MB >= SD_NPY_MMAP_MIN: mapped, not read */
    size_t shape[2] = {400, 400}, n = 160000, i;
    double *x = malloc(n * sizeof *x);
    char path[600];
    sd_array a;
    sd_error err;
    (void)state;
    assert_true(n * sizeof(double) > SD_NPY_MMAP_MIN);
    assert_non_null(x);
    for (i = 0; i < n; i++)
        x[i] = big_value(i);
    sd_test_path(path, sizeof path, "big.npy");
    assert_int_equal(sd_npy_write(path, x, 2, shape, &err), SD_OK);
    assert_int_equal(sd_npy_read(path, &a, &err), SD_OK);
    assert_non_null(a.map);
    assert_int_equal(a.size, n);
    assert_memory_equal(a.data, x, n * sizeof *x);
    /* the mapping is private: writing to it leaves the file alone */
    a.data[0] = 42.0;
    a.data[n - 1] = -1.0;
    sd_array_free(&a);
    assert_int_equal(sd_npy_read(path, &a, &err), SD_OK);
    assert_memory_equal(a.data, x, n * sizeof *x);
    sd_array_free(&a);
    free(x);
}

static void test_mmap_matches_read_path(void **state)
{
    /* The same large array stored so that the mapped data cannot be used
     * in place (version 2.0 header, unpadded: data at an odd offset, and
     * float32) must give the same values as the aligned mapped file, and
     * a small file (the read() path) the same values as its prefix. */
    size_t n = 160000, i;
    double *x = malloc(n * sizeof *x);
    float *f = malloc(n * sizeof *f);
    char path[600];
    sd_array a, b, c, d;
    sd_error err;
    (void)state;
    assert_non_null(x);
    assert_non_null(f);
    for (i = 0; i < n; i++) {
        x[i] = big_value(i);
        f[i] = (float)x[i];
    }
    sd_test_npy_bytes(sd_test_path(path, sizeof path, "big-al.npy"), 1,
                      "{'descr': '<f8', 'fortran_order': False, 'shape': (400, 400), }", 64,
                      x, n * 8);
    assert_int_equal(sd_npy_read(path, &a, &err), SD_OK);
    assert_non_null(a.map);
    sd_test_npy_bytes(sd_test_path(path, sizeof path, "big-un.npy"), 2,
                      "{'descr': '<f8', 'fortran_order': False, 'shape': (400, 400)}", 0, x,
                      n * 8);
    assert_int_equal(sd_npy_read(path, &b, &err), SD_OK);
    assert_null(b.map);
    assert_memory_equal(a.data, b.data, n * sizeof(double));
    sd_test_npy_bytes(sd_test_path(path, sizeof path, "big-f4.npy"), 3,
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (400, 400), }", 64,
                      f, n * 4);
    assert_int_equal(sd_npy_read(path, &c, &err), SD_OK);
    assert_true(c.was_float32);
    for (i = 0; i < n; i++)
        assert_true(c.data[i] == (double)f[i]);
    sd_test_npy_bytes(sd_test_path(path, sizeof path, "small.npy"), 1,
                      "{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }", 64, x,
                      8000);
    assert_int_equal(sd_npy_read(path, &d, &err), SD_OK);
    assert_null(d.map);
    assert_memory_equal(d.data, a.data, 8000);
    sd_array_free(&a);
    sd_array_free(&b);
    sd_array_free(&c);
    sd_array_free(&d);
    free(x);
    free(f);
}

static void test_err_bad_magic(void **state)
{
    char path[600];
    double x[4] = {0};
    (void)state;
    sd_test_write_file(sd_test_path(path, sizeof path, "magic.npy"), "\x93NUMPZ\x01\x00", 8);
    expect_read_error(path, SD_EFORMAT);
    sd_test_write_file(sd_test_path(path, sizeof path, "empty.npy"), "", 0);
    expect_read_error(path, SD_EFORMAT);
    sd_test_write_file(sd_test_path(path, sizeof path, "text.npy"), "hello, world\n", 13);
    expect_read_error(path, SD_EFORMAT);
    /* a right magic with an unknown format version */
    sd_test_npy_bytes(sd_test_path(path, sizeof path, "v4.npy"), 4,
                      "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 64, x,
                      sizeof x);
    expect_read_error(path, SD_EFORMAT);
}

static void test_err_truncated_header(void **state)
{
    char path[600];
    (void)state;
    /* the preamble itself cut short */
    sd_test_write_file(sd_test_path(path, sizeof path, "th1.npy"), "\x93NUMPY\x01\x00\x76", 9);
    expect_read_error(path, SD_EFORMAT);
    sd_test_write_file(sd_test_path(path, sizeof path, "th2.npy"), "\x93NUMPY\x02\x00\x76\x00",
                       10);
    expect_read_error(path, SD_EFORMAT);
    /* a header length of 118 with only 40 bytes behind it */
    static const char cut[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': Fa";
    sd_test_write_file(sd_test_path(path, sizeof path, "th3.npy"), cut, sizeof cut - 1);
    expect_read_error(path, SD_EFORMAT);
    /* a version 2.0 length field of 2^31 */
    sd_test_write_file(sd_test_path(path, sizeof path, "th4.npy"),
                       "\x93NUMPY\x02\x00\x00\x00\x00\x80{}", 14);
    expect_read_error(path, SD_EFORMAT);
}

static void test_err_truncated_data(void **state)
{
    (void)state;
    /* (2,3) needs 48 bytes: 40, 8 and 0 given */
    expect_dict_error("td1.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                      40, SD_EFORMAT, "truncated");
    expect_dict_error("td2.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                      8, SD_EFORMAT, "truncated");
    expect_dict_error("td3.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                      0, SD_EFORMAT, "truncated");
}

static void test_err_trailing_bytes(void **state)
{
    (void)state;
    expect_dict_error("tb1.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                      49, SD_EFORMAT, "unexpected bytes");
    expect_dict_error("tb2.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                      48, SD_EFORMAT, "unexpected bytes");
    expect_dict_error("tb3.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }",
                      8, SD_EFORMAT, "unexpected bytes");
}

static void test_err_malformed_header(void **state)
{
    static const char *bad[] = {
        "",                                                               /* nothing */
        "'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",       /* no '{' */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), ",       /* no '}' */
        "{'descr': '<f8', 'fortran_order': False}",                       /* no shape */
        "{'fortran_order': False, 'shape': (2,)}",                        /* no descr */
        "{'descr': '<f8', 'shape': (2,)}",                                /* no order */
        "{'descr' '<f8', 'fortran_order': False, 'shape': (2,)}",         /* no ':' */
        "{'descr': '<f8' 'fortran_order': False, 'shape': (2,)}",         /* no ',' */
        "{'descr': '<f8, 'fortran_order': False, 'shape': (2,)}",         /* quotes */
        "{'descr': '<f8', 'fortran_order': false, 'shape': (2,)}",        /* false */
        "{'descr': '<f8', 'fortran_order': False, 'shape': [2]}",         /* list */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, x)}",      /* x */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,)}",       /* negative */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2.0,)}",      /* float */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (,)}",         /* empty */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,,)}",       /* ,, */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2 2)}",       /* no comma */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,}",         /* no ')' */
        "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,)}", /* record */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", /* unknown key */
        "{descr: '<f8', 'fortran_order': False, 'shape': (2,)}",          /* bare key */
    };
    size_t i;
    char name[32];
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(name, sizeof name, "mal%02zu.npy", i);
        expect_dict_error(name, bad[i], 16, SD_EFORMAT, "header");
    }
}

static void test_err_dtype(void **state)
{
    (void)state;
    expect_dict_error("i4.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", 8,
                      SD_EFORMAT, "'<i4'");
    expect_dict_error("c16.npy", "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
                      16, SD_EFORMAT, "'<c16'");
    expect_dict_error("u8.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (8,), }", 8,
                      SD_EFORMAT, "dtype");
    expect_dict_error("be8.npy", "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }",
                      16, SD_EFORMAT, "big-endian");
    expect_dict_error("be4.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8,
                      SD_EFORMAT, "big-endian");
}

static void test_err_fortran_order(void **state)
{
    (void)state;
    expect_dict_error("fo.npy", "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }",
                      32, SD_EFORMAT, "Fortran");
}

static void test_err_rank_too_large(void **state)
{
    (void)state;
    expect_dict_error("rank9.npy",
                      "{'descr': '<f8', 'fortran_order': False, "
                      "'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }",
                      8, SD_ERANGE, "dimensions");
}

static void test_err_size_overflow(void **state)
{
    (void)state;
    /* 2^32 * 2^32 values overflow size_t; so do 2^61 values of 8 bytes */
    expect_dict_error("ovf1.npy",
                      "{'descr': '<f8', 'fortran_order': False, "
                      "'shape': (4294967296, 4294967296), }",
                      8, SD_ERANGE, "overflow");
    expect_dict_error("ovf2.npy",
                      "{'descr': '<f8', 'fortran_order': False, "
                      "'shape': (2305843009213693952,), }",
                      8, SD_ERANGE, "overflow");
    /* a single dimension beyond 2^64 */
    expect_dict_error("ovf3.npy",
                      "{'descr': '<f8', 'fortran_order': False, "
                      "'shape': (99999999999999999999999,), }",
                      8, SD_ERANGE, "overflow");
    /* a zero dimension makes the rest irrelevant: an empty array */
    {
        char path[600];
        sd_array a;
        sd_error err;
        sd_test_npy_bytes(sd_test_path(path, sizeof path, "zero.npy"), 1,
                          "{'descr': '<f8', 'fortran_order': False, "
                          "'shape': (0, 4294967296, 4294967296), }",
                          64, NULL, 0);
        assert_int_equal(sd_npy_read(path, &a, &err), SD_OK);
        assert_int_equal(a.size, 0);
        sd_array_free(&a);
    }
}

static void test_err_missing_file(void **state)
{
    char path[600];
    sd_error err;
    sd_array a;
    (void)state;
    expect_read_error(sd_test_path(path, sizeof path, "no-such-file.npy"), SD_EINVAL);
    sd_npy_read(path, &a, &err);
    assert_msg_has(err.msg, "cannot open");
    assert_int_equal(sd_status_exit_code(err.code), 2);
    /* a directory is not a model file either */
    expect_read_error(sd_test_dir(), SD_EINVAL);
}

static void test_err_write_fails_cleanly(void **state)
{
    /* writing into a missing directory is the user's error (SD_EINVAL,
     * exit 2) and leaves nothing */
    char path[600];
    size_t shape[1] = {2};
    double x[2] = {1, 2};
    sd_error err;
    struct stat st;
    (void)state;
    sd_test_path(path, sizeof path, "no-dir/out.npy");
    sd_error_clear(&err);
    assert_int_equal(sd_npy_write(path, x, 1, shape, &err), SD_EINVAL);
    assert_msg_has(err.msg, path);
    assert_int_not_equal(stat(path, &st), 0);
}

static void test_alloc_failure_read(void **state)
{
    /* Make the n-th allocation fail for n = 1, 2, ... until the call
     * succeeds: each failure must be SD_ENOMEM with an empty array (no
     * leak: run under AddressSanitizer).  Small (read) and large
     * (mapped, and mapped-then-converted) files. */
    static const char *names[] = {"r2.npy", "big.npy", "big-f4.npy", "big-un.npy", "f4.npy"};
    char path[600];
    size_t k;
    (void)state;
    for (k = 0; k < sizeof names / sizeof names[0]; k++) {
        unsigned long n;
        sd_status rc = SD_ENOMEM;
        sd_test_path(path, sizeof path, names[k]);
        for (n = 1; n < 100 && rc != SD_OK; n++) {
            sd_array a;
            sd_error err;
            sd_error_clear(&err);
            sd_alloc_fail_at(n, 0);
            rc = sd_npy_read(path, &a, &err);
            sd_alloc_fail_at(0, 0);
            if (rc != SD_OK) {
                assert_int_equal(rc, SD_ENOMEM);
                assert_msg_has(err.msg, path);
                assert_null(a.data);
            } else {
                sd_array_free(&a);
            }
        }
        assert_int_equal(rc, SD_OK);
    }
}

static void test_alloc_failure_write(void **state)
{
    char path[600];
    size_t shape[2] = {2, 2};
    double x[4] = {1, 2, 3, 4};
    unsigned long n;
    sd_status rc = SD_ENOMEM;
    struct stat st;
    (void)state;
    sd_test_path(path, sizeof path, "w-alloc.npy");
    for (n = 1; n < 100 && rc != SD_OK; n++) {
        sd_error err;
        sd_alloc_fail_at(n, 0);
        rc = sd_npy_write(path, x, 2, shape, &err);
        sd_alloc_fail_at(0, 0);
        if (rc != SD_OK) {
            assert_int_equal(rc, SD_ENOMEM);
            assert_int_not_equal(stat(path, &st), 0); /* nothing written */
        }
    }
    assert_int_equal(rc, SD_OK);
    assert_int_equal(stat(path, &st), 0);
}

/* ---- typed views (traces) ---- */

static void test_half_to_float(void **state)
{
    (void)state;
    assert_true(sd_half_to_float(0x3C00) == 1.0f);
    assert_true(sd_half_to_float(0xC000) == -2.0f);
    assert_true(sd_half_to_float(0x3800) == 0.5f);
    assert_true(sd_half_to_float(0x7BFF) == 65504.0f);
    assert_true(sd_half_to_float(0x0001) == 0x1p-24f);
    assert_true(sd_half_to_float(0x03FF) == 1023 * 0x1p-24f);
    assert_true(sd_half_to_float(0x8000) == 0.0f && signbit(sd_half_to_float(0x8000)));
    assert_true(isinf(sd_half_to_float(0x7C00)) && sd_half_to_float(0x7C00) > 0);
    assert_true(isinf(sd_half_to_float(0xFC00)) && sd_half_to_float(0xFC00) < 0);
    assert_true(isnan(sd_half_to_float(0x7E00)));
    assert_true(sd_half_to_float(0x3555) == (float)(1 + 0x155 / 1024.0) * 0.25f);
}

/* float16 values against the float32 file of the same values */
static void test_view_float16_matches_float32(void **state)
{
    const uint16_t h[6] = {0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x3555};
    float f[6];
    double a[6], b[6];
    size_t shape[2] = {2, 3}, i;
    char p16[512], p32[512];
    sd_npy_view v16, v32;
    sd_error err;
    (void)state;
    f[0] = 1.0f; f[1] = -2.0f; f[2] = 0.5f; f[3] = 65504.0f; f[4] = 0x1p-24f;
    f[5] = (float)(1 + 0x155 / 1024.0) * 0.25f;
    sd_test_path(p16, sizeof p16, "h.npy");
    sd_test_path(p32, sizeof p32, "f.npy");
    assert_int_equal(sd_npy_write_typed(p16, h, SD_NPY_F16, 2, shape, &err), SD_OK);
    assert_int_equal(sd_npy_write_typed(p32, f, SD_NPY_F32, 2, shape, &err), SD_OK);
    assert_int_equal(sd_npy_view_open(p16, SD_NPY_FLOATS, &v16, &err), SD_OK);
    assert_int_equal(sd_npy_view_open(p32, SD_NPY_FLOATS, &v32, &err), SD_OK);
    assert_int_equal(v16.dtype, SD_NPY_F16);
    assert_int_equal(v16.ndim, 2);
    assert_int_equal(v16.shape[1], 3);
    sd_npy_view_row(&v16, 0, 6, a);
    sd_npy_view_row(&v32, 0, 6, b);
    for (i = 0; i < 6; i++)
        assert_true(a[i] == b[i]);
    sd_npy_view_release(&v16, 0, 6);
    sd_npy_view_close(&v16);
    sd_npy_view_close(&v32);
}

static void test_view_ints_and_dtype_mask(void **state)
{
    const int32_t t32[3] = {5, -1, 7};
    const int64_t t64[3] = {5, -1, (int64_t)1 << 40};
    size_t shape[1] = {3};
    char p[512];
    sd_npy_view v;
    sd_error err;
    (void)state;
    sd_test_path(p, sizeof p, "t32.npy");
    assert_int_equal(sd_npy_write_typed(p, t32, SD_NPY_I32, 1, shape, &err), SD_OK);
    assert_int_equal(sd_npy_view_open(p, SD_NPY_INTS, &v, &err), SD_OK);
    assert_int_equal(sd_npy_view_int(&v, 1), -1);
    assert_int_equal(sd_npy_view_int(&v, 2), 7);
    sd_npy_view_close(&v);
    assert_int_equal(sd_npy_view_open(p, SD_NPY_FLOATS, &v, &err), SD_EFORMAT);
    assert_non_null(strstr(err.msg, "float16, float32, float64"));
    sd_test_path(p, sizeof p, "t64.npy");
    assert_int_equal(sd_npy_write_typed(p, t64, SD_NPY_I64, 1, shape, &err), SD_OK);
    assert_int_equal(sd_npy_view_open(p, SD_NPY_INTS, &v, &err), SD_OK);
    assert_true(sd_npy_view_int(&v, 2) == (int64_t)1 << 40);
    sd_npy_view_close(&v);
    sd_test_path(p, sizeof p, "missing.npy");
    assert_int_equal(sd_npy_view_open(p, SD_NPY_INTS, &v, &err), SD_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_1d),
        cmocka_unit_test(test_roundtrip_2d),
        cmocka_unit_test(test_roundtrip_3d),
        cmocka_unit_test(test_write_header_layout),
        cmocka_unit_test(test_float32),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_scalar_and_1d_tuple),
        cmocka_unit_test(test_mmap_large),
        cmocka_unit_test(test_mmap_matches_read_path),
        cmocka_unit_test(test_err_bad_magic),
        cmocka_unit_test(test_err_truncated_header),
        cmocka_unit_test(test_err_truncated_data),
        cmocka_unit_test(test_err_trailing_bytes),
        cmocka_unit_test(test_err_malformed_header),
        cmocka_unit_test(test_err_dtype),
        cmocka_unit_test(test_err_fortran_order),
        cmocka_unit_test(test_err_rank_too_large),
        cmocka_unit_test(test_err_size_overflow),
        cmocka_unit_test(test_err_missing_file),
        cmocka_unit_test(test_err_write_fails_cleanly),
        cmocka_unit_test(test_alloc_failure_read),
        cmocka_unit_test(test_alloc_failure_write),
        cmocka_unit_test(test_half_to_float),
        cmocka_unit_test(test_view_float16_matches_float32),
        cmocka_unit_test(test_view_ints_and_dtype_mask),
    };
    return cmocka_run_group_tests_name("npy", tests, NULL, sd_test_cleanup);
}
