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
