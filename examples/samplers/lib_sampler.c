/* lib_sampler.c - an example sampler in C against libspecdec's verifiers:
 * SpecTr's K-SEQ (Sun et al. 2023) with K i.i.d. drafts, or recursive
 * rejection sampling with K drafts without replacement (Jeon et al. 2024),
 * run R times on every instance of a case directory written by specdec
 * audit-cases.
 *
 *   lib_sampler DIR TOKENS.npy ACCEPTED.npy [SEED [RUNS [kseq|rrs-wor]]]
 *
 * K and (unless RUNS is given) R come from DIR/cases.json.  Writes the
 * emitted tokens and 1/0 for "a draft was accepted" as (I, R) int64 .npy
 * arrays for specdec audit.  Exit 0, or 2 on bad input, 3 on failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In the source tree (-I src); an installed copy is used as
 * #include <specdec/specdec.h> with cc ... $(pkg-config --cflags --libs specdec) */
#include "specdec.h"

/* The unsigned value of "key": in the JSON text (0 if absent). */
static unsigned long json_uint(const char *text, const char *key)
{
    char pat[64];
    const char *s;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    s = strstr(text, pat);
    return s != NULL ? strtoul(s + strlen(pat), NULL, 10) : 0;
}

/* Read the whole of path into a new string (NULL on failure). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *t;
    long n;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        (t = malloc((size_t)n + 1)) == NULL) {
        fclose(f);
        return NULL;
    }
    if (fread(t, 1, (size_t)n, f) != (size_t)n) {
        free(t);
        fclose(f);
        return NULL;
    }
    fclose(f);
    t[n] = '\0';
    return t;
}

int main(int argc, char **argv)
{
    char path[4096], *meta;
    unsigned long seed = argc > 4 ? strtoul(argv[4], NULL, 10) : 1;
    size_t I, V, K, R, i, r, shp[2];
    sd_array P, Q;
    sd_error err;
    int64_t *tok, *acc;
    int rc = 0;

    const char *algo = argc > 6 ? argv[6] : "kseq";
    int wor = strcmp(algo, "rrs-wor") == 0;
    if (argc < 4 || (!wor && strcmp(algo, "kseq") != 0)) {
        fprintf(stderr, "usage: %s DIR TOKENS.npy ACCEPTED.npy [SEED [RUNS [kseq|rrs-wor]]]\n",
                argv[0]);
        return 2;
    }
    snprintf(path, sizeof path, "%s/cases.json", argv[1]);
    if ((meta = slurp(path)) == NULL) {
        fprintf(stderr, "%s: cannot read %s\n", argv[0], path);
        return 2;
    }
    K = json_uint(meta, "drafts");
    R = argc > 5 && strcmp(argv[5], "-") != 0 ? strtoul(argv[5], NULL, 10)
                                              : json_uint(meta, "runs");
    free(meta);
    snprintf(path, sizeof path, "%s/p.npy", argv[1]);
    if (sd_npy_read(path, &P, &err) != SD_OK) {
        fprintf(stderr, "%s: %s\n", argv[0], err.msg);
        return 2;
    }
    snprintf(path, sizeof path, "%s/q.npy", argv[1]);
    if (sd_npy_read(path, &Q, &err) != SD_OK) {
        fprintf(stderr, "%s: %s\n", argv[0], err.msg);
        sd_array_free(&P);
        return 2;
    }
    I = P.shape[0];
    V = P.shape[1];
    tok = malloc(I * R * sizeof *tok);
    acc = malloc(I * R * sizeof *acc);
    if (K == 0 || R == 0 || tok == NULL || acc == NULL) {
        fprintf(stderr, "%s: bad cases.json (drafts, runs) or out of memory\n", argv[0]);
        rc = 2;
    }
    for (i = 0; rc == 0 && i < I; i++) {
        const double *p = P.data + i * V, *q = Q.data + i * V;
        sd_kseq_sampler s;
        sd_rrs_wor_ws *ws = NULL;
        /* one stream per instance: the result does not depend on the order */
        gsl_rng *g = sd_rng_stream_alloc(NULL, seed, i);
        memset(&s, 0, sizeof s);
        sd_error_clear(&err);
        if (g == NULL || (wor && (ws = sd_rrs_wor_ws_alloc(V, K)) == NULL) ||
            (!wor && sd_kseq_sampler_init(&s, p, q, V, K, &err) != SD_OK)) {
            fprintf(stderr, "%s: instance %zu: %s\n", argv[0], i,
                    err.msg[0] ? err.msg : "out of memory");
            rc = 3;
        }
        for (r = 0; rc == 0 && r < R; r++) {
            size_t trial, y;
            if (wor)
                sd_rrs_wor_verify(p, q, V, K, g, ws, &y, &trial);
            else
                y = sd_kseq_sampler_draw(&s, g, &trial);
            tok[i * R + r] = (int64_t)y;
            acc[i * R + r] = trial > 0;
        }
        sd_kseq_sampler_free(&s);
        sd_rrs_wor_ws_free(ws);
        if (g != NULL)
            gsl_rng_free(g);
    }
    shp[0] = I;
    shp[1] = R;
    if (rc == 0 && (sd_npy_write_int64(argv[2], tok, 2, shp, &err) != SD_OK ||
                    sd_npy_write_int64(argv[3], acc, 2, shp, &err) != SD_OK)) {
        fprintf(stderr, "%s: %s\n", argv[0], err.msg);
        rc = 3;
    }
    free(tok);
    free(acc);
    sd_array_free(&P);
    sd_array_free(&Q);
    return rc;
}
