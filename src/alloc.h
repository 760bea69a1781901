/* alloc.h - the library's allocator, with a failure hook for tests.
 *
 * All library allocations go through these functions so that a test can
 * make the n-th allocation fail (SQLite's test_malloc idea) and check
 * that every public entry point fails cleanly with SD_ENOMEM and no leak.
 */
#ifndef SD_ALLOC_H
#define SD_ALLOC_H

#include <stddef.h>

/* malloc(n * size), or NULL on overflow or exhaustion (or injected failure). */
void *sd_malloc(size_t n, size_t size);
/* calloc(n, size), or NULL likewise. */
void *sd_calloc(size_t n, size_t size);
/* a * b + c, or SIZE_MAX when that overflows (a size no allocation
 * then gets): for sizing workspaces. */
size_t sd_size_mad(size_t a, size_t b, size_t c);
/* One zeroed allocation of a header of hsize bytes (a workspace struct)
 * followed by n doubles, *data pointing at the doubles: a workspace and
 * its arrays in one block, freed with one sd_free.  NULL on overflow or
 * exhaustion. */
void *sd_alloc_with_doubles(size_t hsize, size_t n, double **data);
/* free(p); p may be NULL. */
void sd_free(void *p);

/* Test hook: make the n-th allocation from now fail (n >= 1), and every
 * one after it too if sticky is non-zero; n = 0 turns injection off.
 * Returns nothing; not thread-safe (tests call it single-threaded). */
void sd_alloc_fail_at(unsigned long n, int sticky);

#endif
