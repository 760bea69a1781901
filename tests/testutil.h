/* testutil.h - shared helpers for the cmocka test programs.
 * Each test program's main runs one group; the Makefile sets
 * CMOCKA_MESSAGE_OUTPUT=TAP so automake's TAP driver lists each case. */
#ifndef SD_TESTUTIL_H
#define SD_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"

/* |a - b| <= rel * max(1, |a|, |b|) */
#define assert_close(a, b, rel)                                                    \
    do {                                                                           \
        double a_ = (a), b_ = (b);                                                 \
        double s_ = fmax(1.0, fmax(fabs(a_), fabs(b_)));                           \
        if (!(fabs(a_ - b_) <= (rel) * s_))                                        \
            fail_msg("%s = %.17g and %s = %.17g differ by more than %g relative",  \
                     #a, a_, #b, b_, (double)(rel));                               \
    } while (0)

/* ---- allocation failures ------------------------------------------------ */

/* One call of entry point `which` of a test's (context ctx), freeing what
 * it made when it succeeds. */
typedef sd_status (*sd_test_attempt_fn)(void *ctx, int which);

/* For each entry point which in [0, nwhich): attempt it with its n-th
 * allocation failing, n = 1, 2, ..., until it succeeds, which it must
 * before n = max.  Every failure must be a clean SD_ENOMEM (a leak on the
 * way out is caught by AddressSanitizer).  Returns the fewest allocations
 * any entry point made when it succeeded. */
static inline unsigned long sd_test_alloc_sweep(sd_test_attempt_fn attempt, void *ctx,
                                                int nwhich, unsigned long max)
{
    unsigned long fewest = max;
    int which;
    for (which = 0; which < nwhich; which++) {
        unsigned long n;
        sd_status rc = SD_ENOMEM;
        for (n = 1; n < max && rc != SD_OK; n++) {
            sd_alloc_fail_at(n, 0);
            rc = attempt(ctx, which);
            sd_alloc_fail_at(0, 0);
            if (rc != SD_OK)
                assert_int_equal(rc, SD_ENOMEM);
        }
        if (rc != SD_OK)
            fail_msg("entry point %d still fails after %lu allocations", which, max);
        if (n - 2 < fewest)
            fewest = n - 2; /* it succeeded with its (n - 1)-th allocation failing */
    }
    return fewest;
}

/* ---- scratch files ------------------------------------------------------ */

/* The scratch directory of this test program (created on first use under
 * $TMPDIR or /tmp; removed with its files by sd_test_cleanup). */
static inline const char *sd_test_dir(void)
{
    static char dir[512];
    if (dir[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/specdec-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(dir) == NULL) {
            perror("mkdtemp");
            exit(99);
        }
    }
    return dir;
}

/* buf := the scratch directory / name; returns buf.  Fails the test if
 * the path does not fit. */
static inline char *sd_test_path(char *buf, size_t cap, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", sd_test_dir(), name);
    if (n < 0 || (size_t)n >= cap)
        fail_msg("scratch path %s/%s is longer than %zu bytes", sd_test_dir(), name, cap);
    return buf;
}

/* Remove the scratch directory and the files in it (group teardown). */
static inline int sd_test_cleanup(void **state)
{
    const char *dir = sd_test_dir();
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[1024];
    (void)state;
    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
    return 0;
}

/* Write len bytes to path; fails the test on an I/O error. */
static inline void sd_test_write_file(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(bytes, 1, len, f) != len || fclose(f) != 0)
        fail_msg("cannot write %s", path);
}

/* Write a .npy file by hand: magic, version major.0, the header length
 * (2 bytes for version 1, 4 for versions 2 and 3), the dictionary text
 * dict padded with spaces and a newline so that the data starts at a
 * multiple of align (64 in NumPy; 0 = no padding, no newline), then
 * datalen bytes of data. */
static inline void sd_test_npy_bytes(const char *path, int major, const char *dict,
                                     size_t align, const void *data, size_t datalen)
{
    size_t pre = major == 1 ? 10 : 12, hl = strlen(dict), total, k;
    unsigned char *b;
    if (align) {
        hl++; /* the newline */
        while ((pre + hl) % align != 0)
            hl++;
    }
    total = pre + hl + datalen;
    b = malloc(total);
    assert_non_null(b);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    for (k = 0; k < pre - 8; k++)
        b[8 + k] = (unsigned char)((hl >> (8 * k)) & 0xff);
    memcpy(b + pre, dict, strlen(dict));
    if (align) {
        memset(b + pre + strlen(dict), ' ', hl - strlen(dict) - 1);
        b[pre + hl - 1] = '\n';
    }
    if (datalen)
        memcpy(b + pre + hl, data, datalen);
    sd_test_write_file(path, b, total);
    free(b);
}

/* Fail unless the message msg contains needle. */
#define assert_msg_has(msg, needle)                                                \
    do {                                                                           \
        if (strstr((msg), (needle)) == NULL)                                       \
            fail_msg("message \"%s\" does not contain \"%s\"", (msg), (needle));  \
    } while (0)

#endif
