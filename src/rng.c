/* rng.c - random number streams for reproducible parallel Monte Carlo. */
#include "rng.h"

#include <limits.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "error.h"

_Static_assert(sizeof(unsigned long) == 8, "64-bit unsigned long required");

typedef struct {
    uint64_t s[4];
} xoshiro_state;

uint64_t sd_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t xoshiro_next(xoshiro_state *st)
{
    uint64_t *s = st->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void xoshiro_set(void *vstate, unsigned long seed)
{
    xoshiro_state *st = vstate;
    uint64_t x = seed;
    int i;
    for (i = 0; i < 4; i++)
        st->s[i] = sd_splitmix64(&x);
}

static unsigned long xoshiro_get(void *vstate)
{
    return xoshiro_next(vstate);
}

static double xoshiro_get_double(void *vstate)
{
    return (double)(xoshiro_next(vstate) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xoshiro_type = {
    "xoshiro256ss", ULONG_MAX, 0, sizeof(xoshiro_state),
    xoshiro_set, xoshiro_get, xoshiro_get_double};

const gsl_rng_type *sd_rng_xoshiro256ss = &xoshiro_type;

const gsl_rng_type *sd_rng_type_by_name(const char *name)
{
    const gsl_rng_type **t;
    if (name == NULL || strcmp(name, "xoshiro256ss") == 0)
        return sd_rng_xoshiro256ss;
    for (t = gsl_rng_types_setup(); *t != NULL; t++)
        if (strcmp((*t)->name, name) == 0)
            return *t;
    return NULL;
}

uint64_t sd_rng_stream_key(uint64_t seed, uint64_t stream)
{
    uint64_t x = seed, k1, k2;
    k1 = sd_splitmix64(&x);
    x = k1 ^ stream;
    k2 = sd_splitmix64(&x);
    return k2;
}

gsl_rng *sd_rng_stream_alloc(const gsl_rng_type *T, uint64_t seed, uint64_t stream)
{
    gsl_rng *r;
    sd_gsl_quiet();
    r = gsl_rng_alloc(T != NULL ? T : sd_rng_xoshiro256ss);
    if (r != NULL)
        gsl_rng_set(r, sd_rng_stream_key(seed, stream));
    return r;
}

void sd_rng_lanes_seed(sd_rng_lanes *g, gsl_rng *r)
{
    uint64_t *words[4] = {g->s0, g->s1, g->s2, g->s3};
    int j, k;
    for (j = 0; j < SD_RNG_LANES; j++)
        for (k = 0; k < 4; k++) {
            uint64_t x = (uint64_t)gsl_rng_get(r) << 32; /* two statements: a fixed order */
            x ^= (uint64_t)gsl_rng_get(r);
            words[k][j] = sd_splitmix64(&x);
        }
}

void sd_rng_row(gsl_rng *r, const double *alphas, double *row, size_t V)
{
    double sum = 0.0;
    size_t x;
    if (alphas != NULL) {
        gsl_ran_dirichlet(r, V, alphas, row);
        return;
    }
    for (x = 0; x < V; x++)
        sum += (row[x] = gsl_rng_uniform(r));
    for (x = 0; x < V; x++)
        row[x] = sum > 0.0 ? row[x] / sum : 1.0 / (double)V;
}
