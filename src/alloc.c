/* alloc.c - the library's allocator, with a failure hook for tests. */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>

/* The only mutable globals of the library: a test-only fault injector.
 * They are written only by sd_alloc_fail_at (tests, single-threaded). */
static unsigned long fail_at;
static int fail_sticky;
static unsigned long alloc_seen;

static int injected_failure(void)
{
    unsigned long n;
    if (fail_at == 0)
        return 0;
#pragma omp atomic capture
    n = ++alloc_seen;
    return fail_sticky ? n >= fail_at : n == fail_at;
}

void *sd_malloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    if (injected_failure())
        return NULL;
    return malloc(n * size == 0 ? 1 : n * size);
}

void *sd_calloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    if (injected_failure())
        return NULL;
    return calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
}

size_t sd_size_mad(size_t a, size_t b, size_t c)
{
    if (b != 0 && a > (SIZE_MAX - c) / b)
        return SIZE_MAX;
    return a * b + c;
}

void *sd_alloc_with_doubles(size_t hsize, size_t n, double **data)
{
    const size_t h = (hsize + sizeof(double) - 1) / sizeof(double); /* header in doubles */
    double *block = n < SIZE_MAX - h ? sd_calloc(h + n, sizeof(double)) : NULL;
    *data = block != NULL ? block + h : NULL;
    return block;
}

void sd_free(void *p)
{
    free(p);
}

void sd_alloc_fail_at(unsigned long n, int sticky)
{
    fail_at = n;
    fail_sticky = sticky;
    alloc_seen = 0;
}
