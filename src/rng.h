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

/* A random law on V tokens from r: with alphas == NULL the paper family
 * (V i.i.d. U(0,1) entries divided by their sum; uniform if they are all
 * 0), else Dirichlet(alphas[0..V-1]) (gsl_ran_dirichlet). */
void sd_rng_row(gsl_rng *r, const double *alphas, double *row, size_t V);

/* Lanes: SD_RNG_LANES independent xoshiro256** generators stepped
 * together, so a simulation can advance that many runs side by side
 * (the loops below vectorise; the runs' table look-ups overlap).  The
 * lanes are seeded from a parent generator, so a chunk's lanes are a
 * function of the chunk's stream alone. */
#define SD_RNG_LANES 16

/* The lane helpers are inlined even into functions compiled for another
 * target (run-time dispatched SIMD kernels), which GCC otherwise refuses. */
#if defined(__GNUC__)
#define SD_RNG_INLINE static inline __attribute__((always_inline))
#else
#define SD_RNG_INLINE static inline
#endif

typedef struct {
    uint64_t s0[SD_RNG_LANES], s1[SD_RNG_LANES], s2[SD_RNG_LANES], s3[SD_RNG_LANES];
} sd_rng_lanes;

/* Seed every lane from the next outputs of r (each 64-bit state word is
 * splitmix64 of two outputs of r, so generators with 32-bit outputs
 * seed all bits too). */
void sd_rng_lanes_seed(sd_rng_lanes *g, gsl_rng *r);

/* One xoshiro256** output of every lane into out[0..SD_RNG_LANES-1]. */
SD_RNG_INLINE void sd_rng_lanes_next(sd_rng_lanes *g, uint64_t *out)
{
    int j;
    for (j = 0; j < SD_RNG_LANES; j++) {
        const uint64_t a = g->s1[j] * 5, t = g->s1[j] << 17;
        out[j] = ((a << 7) | (a >> 57)) * 9;
        g->s2[j] ^= g->s0[j];
        g->s3[j] ^= g->s1[j];
        g->s1[j] ^= g->s2[j];
        g->s0[j] ^= g->s3[j];
        g->s2[j] ^= t;
        g->s3[j] = (g->s3[j] << 45) | (g->s3[j] >> 19);
    }
}

/* The 53-bit double in [0,1) of a 64-bit output (as the default
 * generator's gsl_rng_uniform). */
SD_RNG_INLINE double sd_rng_u01(uint64_t x)
{
    return (double)(x >> 11) * 0x1.0p-53;
}

#endif
