/* rng.h - random number streams for reproducible parallel Monte Carlo.
 *
 * The default generator is xoshiro256** (Blackman & Vigna) wrapped as a
 * gsl_rng_type, giving 53-bit doubles in [0,1).  Any GSL generator can
 * be chosen instead by name.  A stream is identified by (seed, stream):
 * its generator is seeded from splitmix64 of both, so chunk c of a run
 * always draws the same numbers whatever the thread count.
 */
#ifndef SD_RNG_H
#define SD_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* The default generator type (name "xoshiro256ss"). */
extern const gsl_rng_type *sd_rng_xoshiro256ss;

/* The generator type called name: "xoshiro256ss" or any GSL name
 * (e.g. "mt19937", "ranlxd2").  NULL name gives the default.  Returns
 * NULL if unknown. */
const gsl_rng_type *sd_rng_type_by_name(const char *name);

/* The 64-bit key that seeds stream `stream` of `seed`. */
uint64_t sd_rng_stream_key(uint64_t seed, uint64_t stream);

/* A new generator of type T (NULL: default) seeded for (seed, stream);
 * NULL on allocation failure.  Free with gsl_rng_free. */
gsl_rng *sd_rng_stream_alloc(const gsl_rng_type *T, uint64_t seed, uint64_t stream);

/* splitmix64: the next output for state *x (advancing it). */
uint64_t sd_splitmix64(uint64_t *x);

#endif
