/* cmd_audit.c - specdec audit-cases and specdec audit: a lossless-
 * conformance test for other people's speculative samplers, through
 * files.  audit-cases writes instances (P_i, Q_i); the sampler runs R
 * times on each and writes the emitted tokens (and whether a draft was
 * accepted) as (I, R) integer arrays; audit tests them against Q_i and
 * against the exact acceptance of the algorithm the sampler declares. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "alloc.h"
#include "audit.h"
#include "check.h"
#include "cli.h"
#include "cmds.h"
#include "npy.h"
#include "prog.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Sum tolerance of an input row (float64, float32 files). */
#define AUDIT_SUM_TOL 1e-6
#define AUDIT_SUM_TOL_F32 1e-4
/* Largest I V audit-cases writes (2 GB per file) and largest --drafts. */
#define AUDIT_MAX_CELLS ((size_t)1 << 28)
#define AUDIT_MAX_K 1000
/* Repetitions suggested to the sampler in cases.json (--runs). */
#define AUDIT_DEFAULT_RUNS 10000
/* The probability with which min_detectable_tv is detected. */
#define AUDIT_POWER 0.99
/* Failures listed on stderr. */
#define AUDIT_MAX_LISTED 10

/* The files of a case set: DIR/p.npy, DIR/q.npy, DIR/cases.json. */
static const char *const case_files[] = {"p.npy", "q.npy", "cases.json"};

/* Refuse (2, after a message) an --output that is one of the files of
 * the case set in dir, which the command reads (or, written != 0,
 * writes); 0 if fine. */
static int refuse_case_output(const sd_cli *c, const char *dir, int written)
{
    char path[4096];
    size_t i;
    for (i = 0; c->output != NULL && i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, case_files[i]);
        if (sd_cli_same_path(c->output, path))
            return sd_cli_usage_error(c, written ? "--output '%s' and --out's '%s' name the "
                                                   "same file"
                                                 : "--output: '%s' is the input file '%s': "
                                                   "writing there would destroy it",
                                      c->output, path);
    }
    return 0;
}

/* ---- audit-cases ---------------------------------------------------------- */

static void help_cases(void)
{
    printf("Usage: specdec audit-cases --vocab V --instances I --drafts K --out DIR\n"
           "                           [--family paper|dirichlet|hard] [--alpha A]\n"
           "                           [--seed S] [--runs R]\n"
           "Write I test instances for a speculative sampler: DIR/p.npy (draft laws) and\n"
           "DIR/q.npy (target laws), float64 arrays of shape (I, V), row i = instance i,\n"
           "and DIR/cases.json (command, version, seed, family, V, I, K, R and, for the\n"
           "hard family, the kind of each instance).  The sampler runs R times on each\n"
           "instance with K drafts and writes the emitted tokens (and whether a draft was\n"
           "accepted) for 'specdec audit'.\n\n"
           "  --vocab V            vocabulary size (>= 1)\n"
           "  --instances I        number of instances (>= 1)\n"
           "  --drafts K           drafts per step, 1..%d (recorded for the sampler and\n"
           "                       for the audit)\n"
           "  --out DIR            output directory (created if missing; its parent must\n"
           "                       exist); the three files appear together or not at all\n"
           "  --family F           paper: rows of i.i.d. U(0,1), normalised (default);\n"
           "                       dirichlet: rows ~ Dirichlet(A); hard: the cases that\n"
           "                       break samplers, in turn: equal (p = q), disjoint\n"
           "                       supports, one-token-residual (p >= q except at one\n"
           "                       token), near-one-hot, tiny (entries of 1e-300),\n"
           "                       sparse (about 80%% zeros), small-support (one or two\n"
           "                       tokens); kinds needing two tokens are 'equal' at V = 1\n"
           "  --alpha A            Dirichlet parameter (default 1)\n"
           "  --seed S             seed of the instances (default %u)\n"
           "  --runs R             repetitions per instance suggested to the sampler\n"
           "                       (default %d; recorded in cases.json)\n"
           "A short report of what was written goes to standard output (or --output).\n\n",
           AUDIT_MAX_K, SD_DEFAULT_SEED, AUDIT_DEFAULT_RUNS);
}

/* Write cases.json into dir. */
static int write_cases_json(const sd_cli *c, const char *path, sd_audit_family fam,
                            double alpha, uint64_t seed, size_t I, size_t V, size_t K,
                            size_t R, const int *kind)
{
    FILE *f = fopen(path, "w");
    size_t i;
    int bad;
    if (f == NULL)
        return -1;
    fprintf(f, "{\"seed\":%llu,\"family\":", (unsigned long long)seed);
    sd_json_str(f, sd_audit_family_name(fam));
    if (fam == SD_AUDIT_DIRICHLET) {
        fputs(",\"alpha\":", f);
        sd_json_num(f, alpha);
    }
    fprintf(f, ",\"vocab\":%zu,\"instances\":%zu,\"drafts\":%zu,\"runs\":%zu", V, I, K, R);
    sd_cli_json_program(f, c);
    fputs(",\"p\":\"p.npy\",\"q\":\"q.npy\",\"protocol\":\"run the sampler runs times on each "
          "instance (row i of p.npy, q.npy) with drafts drafts; write the emitted token of "
          "each run as an (instances, runs) int32/int64 .npy array, and optionally whether a "
          "draft was accepted (0 or 1) as a second one; then run specdec audit\"",
          f);
    if (fam == SD_AUDIT_HARD) {
        fputs(",\"kinds\":[", f);
        for (i = 0; i < I; i++) {
            if (i)
                fputc(',', f);
            sd_json_str(f, sd_audit_kind_name((sd_audit_kind)kind[i]));
        }
        fputc(']', f);
    }
    fputs("}\n", f);
    bad = ferror(f) != 0;
    bad = fclose(f) != 0 || bad;
    return bad ? -1 : 0;
}

/* Move the three files of tmpdir into dir (which exists), or rename
 * tmpdir to dir when dir does not exist.  0 on success. */
static int commit_dir(const char *tmpdir, const char *dir, int dir_exists)
{
    char from[4096], to[4096];
    size_t i;
    if (!dir_exists)
        return rename(tmpdir, dir);
    /* cases.json last: a directory with it is complete */
    for (i = 0; i < 3; i++) {
        snprintf(from, sizeof from, "%s/%s", tmpdir, case_files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, case_files[i]);
        if (rename(from, to) != 0)
            return -1;
    }
    return rmdir(tmpdir);
}

/* Remove tmpdir and whatever of the three files it holds. */
static void remove_tmpdir(const char *tmpdir)
{
    char path[4096];
    size_t i;
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, case_files[i]);
        unlink(path);
    }
    rmdir(tmpdir);
}

/* The options of audit-cases. */
typedef struct {
    size_t V, I, K, R;
    const char *out, *family;
    double alpha;
    uint64_t seed;
} cases_args;

static int cases_check(sd_cli *c, void *arg)
{
    cases_args *a = arg;
    struct stat st;
    if (a->V == 0 || a->I == 0 || a->K == 0 || a->out == NULL)
        return sd_cli_usage_error(c, "--vocab, --instances, --drafts and --out are required");
    if (a->K > AUDIT_MAX_K)
        return sd_cli_usage_error(c, "--drafts: at most %d", AUDIT_MAX_K);
    if (sd_audit_family_parse(a->family) < 0)
        return sd_cli_usage_error(c, "--family: unknown family '%s' (paper, dirichlet or hard)",
                                  a->family);
    if (a->I > AUDIT_MAX_CELLS / a->V)
        return sd_cli_usage_error(c, "--instances %zu x --vocab %zu = %.3g entries per file, "
                                     "more than the limit %zu (2 GB)", a->I, a->V,
                                  (double)a->I * (double)a->V, AUDIT_MAX_CELLS);
    if (strlen(a->out) + 32 > 4096)
        return sd_cli_usage_error(c, "--out: path too long");
    if (stat(a->out, &st) == 0 && !S_ISDIR(st.st_mode))
        return sd_cli_usage_error(c, "--out: %s exists and is not a directory", a->out);
    return refuse_case_output(c, a->out, 1);
}

/* Generate the instances and write the three files into tmpdir; exit code. */
static int cases_write(sd_cli *c, const cases_args *a, sd_audit_family fam,
                       const char *tmpdir)
{
    double *p = sd_malloc(a->I * a->V, sizeof *p), *q = sd_malloc(a->I * a->V, sizeof *q);
    int *kind = sd_malloc(a->I, sizeof *kind), rc = 0;
    size_t shp[2];
    char path[4096];
    sd_error err;
    sd_error_clear(&err);
    shp[0] = a->I;
    shp[1] = a->V;
    if (p == NULL || q == NULL || kind == NULL) {
        fprintf(stderr, "%s: out of memory for %zu x %zu instances\n", c->prog, a->I, a->V);
        rc = 3;
    }
    if (rc == 0 && sd_audit_cases(p, q, kind, a->I, a->V, fam, a->alpha, a->seed, &err) != SD_OK)
        rc = sd_cli_fail(c, &err);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/p.npy", tmpdir);
        if (sd_npy_write(path, p, 2, shp, &err) != SD_OK)
            rc = sd_cli_fail(c, &err);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/q.npy", tmpdir);
        if (sd_npy_write(path, q, 2, shp, &err) != SD_OK)
            rc = sd_cli_fail(c, &err);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/cases.json", tmpdir);
        if (write_cases_json(c, path, fam, a->alpha, a->seed, a->I, a->V, a->K, a->R, kind)) {
            fprintf(stderr, "%s: cannot write %s: %s\n", c->prog, path, strerror(errno));
            rc = 3;
        }
    }
    sd_free(p);
    sd_free(q);
    sd_free(kind);
    return rc;
}

static int cases_run(sd_cli *c, const sd_model *m, void *arg)
{
    cases_args *a = arg;
    sd_audit_family fam = (sd_audit_family)sd_audit_family_parse(a->family);
    struct stat st;
    int dir_exists = stat(a->out, &st) == 0, rc;
    char *tmpdir = malloc(strlen(a->out) + 16);
    (void)m;
    if (tmpdir == NULL) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return 3;
    }
    /* everything is written into a fresh directory beside DIR first */
    sprintf(tmpdir, "%s.tmpXXXXXX", a->out);
    if (mkdtemp(tmpdir) == NULL) {
        int user = errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == EROFS;
        fprintf(stderr, "%s: --out: cannot create a directory beside %s: %s\n", c->prog,
                a->out, strerror(errno));
        free(tmpdir);
        return user ? 2 : 3;
    }
    rc = cases_write(c, a, fam, tmpdir);
    if (rc == 0) {
        chmod(tmpdir, (mode_t)sd_umask_mode(0777));
        if (commit_dir(tmpdir, a->out, dir_exists) != 0) {
            fprintf(stderr, "%s: cannot move the files into %s: %s\n", c->prog, a->out,
                    strerror(errno));
            rc = 3;
        }
    }
    if (rc != 0)
        remove_tmpdir(tmpdir);
    free(tmpdir);
    if (rc == 0) {
        sd_kv kv[] = {
            SD_KV_S("out", a->out),
            SD_KV_S("family", sd_audit_family_name(fam)),
            SD_KV_I("vocab", a->V),
            SD_KV_I("instances", a->I),
            SD_KV_I("drafts", a->K),
            SD_KV_I("runs", a->R),
            SD_KV_I("seed", a->seed),
        };
        rc = sd_prog_report_kv(c, kv, sizeof kv / sizeof kv[0], 0);
    }
    return rc;
}

int sd_cmd_audit_cases(int argc, char **argv)
{
    cases_args a = {0, 0, 0, AUDIT_DEFAULT_RUNS, NULL, "paper", 1.0, SD_DEFAULT_SEED};
    const sd_arg opts[] = {
        {"vocab", SD_ARG_SIZE, &a.V, NULL, 1, 0, 0, NULL, NULL},
        {"instances", SD_ARG_SIZE, &a.I, NULL, 1, 0, 0, NULL, NULL},
        {"drafts", SD_ARG_SIZE, &a.K, NULL, 1, 0, 0, NULL, NULL},
        {"out", SD_ARG_STRING, &a.out, NULL, 0, 0, 0, NULL, NULL},
        {"family", SD_ARG_STRING, &a.family, NULL, 0, 0, 0, NULL, NULL},
        {"alpha", SD_ARG_DOUBLE, &a.alpha, NULL, 0, 1e-300, 1e300, NULL, NULL},
        {"seed", SD_ARG_U64, &a.seed, NULL, 0, 0, 0, NULL, NULL},
        {"runs", SD_ARG_SIZE, &a.R, NULL, 1, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"specdec audit-cases", help_cases, SD_PROG_OUTPUT, 0, 0, 0, 0, opts,
                          cases_check,
                          cases_run};
    return sd_prog_run(&prog, argc, argv, &a);
}

/* ---- audit ------------------------------------------------------------------ */

static void help_audit(void)
{
    printf("Usage: specdec audit DIR --algo sd|rrs|rrs-wor|kseq --tokens FILE\n"
           "                     [--accepted FILE] [--z Z] [--format table|json|tsv]\n"
           "                     [--output FILE]\n"
           "Test a speculative sampler's output for losslessness.  DIR is written by\n"
           "'specdec audit-cases' (p.npy, q.npy of shape (I, V), cases.json with the\n"
           "number of drafts K).  The sampler ran R times on each instance and wrote:\n\n"
           "  --tokens FILE        the emitted token of each run, .npy int32/int64 of\n"
           "                       shape (I, R), R >= 1\n"
           "  --accepted FILE      optional: 1 if the run accepted a draft, else 0, same\n"
           "                       shape and dtypes\n"
           "  --algo A             the algorithm the sampler claims: sd (speculative\n"
           "                       sampling, one draft: Leviathan et al. 2023, Chen et al.\n"
           "                       2023), rrs (recursive rejection sampling with K i.i.d.\n"
           "                       drafts: batch speculative decoding, Yin et al. 2024),\n"
           "                       rrs-wor (the same with K drafts without replacement:\n"
           "                       Jeon et al. 2024; its exact acceptance walks the\n"
           "                       rejection paths and is refused, exit 2, where that\n"
           "                       is too costly), kseq (SpecTr's K-SEQ, Sun et al. 2023)\n"
           "  --z Z                the audit's overall false-failure rate is 2 (1 - Phi(Z))\n"
           "                       (default 4.5: 6.8e-6, once in 150 000 audits of a\n"
           "                       correct sampler)\n\n"
           "Tests, per instance i: the tokens' law against Q_i in three layers (every\n"
           "token's count by an exact binomial test; tokens of probability 0 never\n"
           "emitted; a chi-square over all tokens); the number of acceptances against\n"
           "Binomial(R, a_i), a_i the exact acceptance of the declared algorithm (the\n"
           "values of 'specdec token'); ids outside [0, V) and flags other than 0/1 fail\n"
           "on their own.  Overall: a pooled chi-square over all instances (a small bias\n"
           "spread over many instances).  The false-failure rate is split evenly\n"
           "(Bonferroni) over the I (2 + [--accepted]) + 1 tests, and a test's share over\n"
           "its tokens; the chi-square shares are asymptotic.  The report states\n"
           "min_detectable_tv: the smallest bias, mass TV moved onto or off one token of\n"
           "one instance, detected with probability %.2f (normal approximation).\n\n",
           AUDIT_POWER);
    fputs("A failed test is also named on standard error (up to 10 of them; --quiet: none).\n"
          "Bad input (exit 2): missing files, shapes, dtypes, R = 0, rows that are not\n"
          "distributions, a cases.json that disagrees with p.npy.\n\n",
          stdout);
}

/* The unsigned integer value of the top-level key in a JSON text (our own
 * cases.json: keys appear once, values are plain numbers).  0 on success. */
static int json_uint(const char *text, const char *key, unsigned long long *out)
{
    char pat[64];
    const char *s;
    char *end;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    s = strstr(text, pat);
    if (s == NULL)
        return -1;
    s += strlen(pat);
    while (*s == ' ')
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno == 0 && (*end == ',' || *end == '}' || *end == ' ' || *end == '\n') ? 0 : -1;
}

/* Read DIR/cases.json: drafts K and seed.  Exit code (0 on success). */
static int read_cases_json(const sd_cli *c, const char *dir, size_t *K, uint64_t *seed,
                           size_t *I, size_t *V)
{
    char path[4096], *text;
    FILE *f;
    long len;
    unsigned long long k, s, ii, vv;
    snprintf(path, sizeof path, "%s/cases.json", dir);
    f = fopen(path, "rb");
    if (f == NULL)
        return sd_cli_usage_error(c, "%s: cannot open: %s (DIR must be written by specdec "
                                     "audit-cases)", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return sd_cli_usage_error(c, "%s: cannot read", path);
    }
    text = malloc((size_t)len + 1);
    if (text == NULL) {
        fclose(f);
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return 3;
    }
    if (fread(text, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(text);
        return sd_cli_usage_error(c, "%s: cannot read", path);
    }
    fclose(f);
    text[len] = '\0';
    if (json_uint(text, "drafts", &k) != 0 || k == 0 || k > AUDIT_MAX_K ||
        json_uint(text, "seed", &s) != 0 || json_uint(text, "instances", &ii) != 0 ||
        json_uint(text, "vocab", &vv) != 0) {
        free(text);
        return sd_cli_usage_error(c, "%s: not a cases file of specdec audit-cases (needs "
                                     "\"drafts\" in 1..%d, \"seed\", \"instances\", "
                                     "\"vocab\")", path, AUDIT_MAX_K);
    }
    free(text);
    *K = (size_t)k;
    *seed = (uint64_t)s;
    *I = (size_t)ii;
    *V = (size_t)vv;
    return 0;
}

/* Read DIR/NAME as an (I, V) array of distributions (renormalised). */
static int read_laws(const sd_cli *c, const char *dir, const char *name, sd_array *a)
{
    char path[4096];
    sd_error err;
    size_t i, x, I, V;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sd_error_clear(&err);
    if (sd_npy_read(path, a, &err) != SD_OK)
        return sd_cli_fail(c, &err);
    if (a->ndim != 2 || a->shape[0] == 0 || a->shape[1] == 0) {
        sd_array_free(a);
        return sd_cli_usage_error(c, "%s: shape must be (I, V) with I, V >= 1", path);
    }
    I = a->shape[0];
    V = a->shape[1];
    for (i = 0; i < I; i++) {
        double *row = a->data + i * V, s = 0.0;
        double tol = a->was_float32 ? AUDIT_SUM_TOL_F32 : AUDIT_SUM_TOL;
        for (x = 0; x < V; x++) {
            if (!isfinite(row[x]) || row[x] < 0.0) {
                double bad = row[x];
                sd_array_free(a);
                return sd_cli_usage_error(c, "%s: instance %zu, token %zu is %g: "
                                             "probabilities must be finite and >= 0",
                                          path, i, x, bad);
            }
            s += row[x];
        }
        if (!(fabs(s - 1.0) <= tol)) {
            sd_array_free(a);
            return sd_cli_usage_error(c, "%s: instance %zu sums to %.10g, not 1 (tolerance "
                                         "%g)", path, i, s, tol);
        }
        for (x = 0; x < V; x++)
            row[x] /= s;
    }
    return 0;
}

/* Read an (I, R) integer array from opt's FILE. */
static int read_runs(const sd_cli *c, const char *opt, const char *path, size_t I,
                     sd_iarray *a)
{
    sd_error err;
    sd_error_clear(&err);
    if (sd_npy_read_int(path, a, &err) != SD_OK) {
        fprintf(stderr, "%s: %s: %s\n", c->prog, opt, err.msg);
        return sd_status_exit_code(err.code);
    }
    if (a->ndim != 2 || a->shape[0] != I || a->shape[1] == 0) {
        char shp[128];
        size_t k, pos = 0;
        shp[0] = '\0';
        for (k = 0; k < a->ndim && pos < sizeof shp - 24; k++)
            pos += (size_t)snprintf(shp + pos, sizeof shp - pos, "%s%zu", k ? ", " : "",
                                    a->shape[k]);
        sd_iarray_free(a);
        return sd_cli_usage_error(c, "%s: %s has shape (%s); expected (I, R) = (%zu, R) "
                                     "with R >= 1 runs", opt, path, shp, I);
    }
    return 0;
}

/* What the sampler's files say about one instance. */
typedef struct {
    uint64_t invalid;        /* ids outside [0, V) */
    size_t first_bad_run;    /* the first such run */
    int64_t first_bad_id;    /* and its id */
    uint64_t accepted;       /* runs with flag 1 */
    uint64_t bad_flags;      /* flags other than 0 and 1 */
    size_t first_bad_flag_run;
    int64_t first_bad_flag;
} inst_tally;

/* Count the tokens of instance i into counts[0..V-1]. */
static void tally(const int64_t *tok, const int64_t *acc, size_t R, size_t V,
                  uint64_t *counts, inst_tally *t)
{
    size_t r;
    memset(t, 0, sizeof *t);
    for (r = 0; r < R; r++) {
        int64_t y = tok[r];
        if (y >= 0 && (uint64_t)y < (uint64_t)V) {
            counts[y]++;
        } else if (t->invalid++ == 0) {
            t->first_bad_run = r;
            t->first_bad_id = y;
        }
    }
    if (acc == NULL)
        return;
    for (r = 0; r < R; r++) {
        if (acc[r] == 1) {
            t->accepted++;
        } else if (acc[r] != 0 && t->bad_flags++ == 0) {
            t->first_bad_flag_run = r;
            t->first_bad_flag = acc[r];
        }
    }
}

/* Append a check that failed for a reason stated in detail. */
static int push_failure(sd_checklist *l, const char *name, double exact, double value,
                        const char *detail, sd_error *err)
{
    if (sd_check_close(l, name, exact, value, 0.0, err) != SD_OK)
        return -1;
    snprintf(l->v[l->n - 1].detail, sizeof l->v[l->n - 1].detail, "%s", detail);
    return 0;
}

/* The audit's numbers beyond the checks. */
typedef struct {
    size_t tests;            /* Bonferroni denominator */
    double alpha;            /* overall false-failure rate */
    double alpha_test;       /* per test */
    double alpha_bin_min;    /* smallest per-token level */
    double min_tv;           /* min_detectable_tv */
    double min_acc;          /* smallest detectable acceptance shift (NAN without flags) */
    uint64_t invalid;        /* ids outside [0, V) over all instances */
} audit_summary;

/* Run every test; fills l and s.  Exit code (0 on success, even when a
 * test fails; 3 on an internal error). */
static int run_audit(const sd_cli *c, const double *P, const double *Q, size_t I, size_t V,
                     const int64_t *tok, const int64_t *acc, size_t R, sd_audit_algo algo,
                     size_t K, sd_checklist *l, audit_summary *s)
{
    uint64_t *counts = sd_malloc(V, sizeof *counts);
    double *tmp = sd_malloc(2 * V, sizeof *tmp);
    double chi2 = 0.0, zb, zp = gsl_cdf_ugaussian_Pinv(AUDIT_POWER), pooled_p;
    size_t i, x, df = 0, maxbins = 1;
    sd_error err;
    char name[96], detail[160];
    int rc = 0;

    sd_error_clear(&err);
    if (counts == NULL || tmp == NULL) {
        sd_free(counts);
        sd_free(tmp);
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return 3;
    }
    memset(s, 0, sizeof *s);
    s->alpha = 2.0 * gsl_cdf_ugaussian_Q(c->mc.z_max);
    s->tests = I * (acc != NULL ? 3 : 2) + 1;
    s->alpha_test = s->alpha / (double)s->tests;
    for (i = 0; i < I && rc == 0; i++) {
        const double *q = Q + i * V, *p = P + i * V;
        inst_tally t;
        size_t bins = 0;
        memset(counts, 0, V * sizeof *counts);
        tally(tok + i * R, acc != NULL ? acc + i * R : NULL, R, V, counts, &t);
        for (x = 0; x < V; x++)
            bins += q[x] > 0.0 && q[x] < 1.0;
        if (bins > maxbins)
            maxbins = bins;
        if (t.invalid) {
            snprintf(name, sizeof name, "instance %zu: token ids", i);
            snprintf(detail, sizeof detail,
                     "%llu ids outside [0, %zu), the first %lld in run %zu",
                     (unsigned long long)t.invalid, V, (long long)t.first_bad_id,
                     t.first_bad_run);
            if (push_failure(l, name, 0.0, (double)t.invalid, detail, &err))
                rc = 3;
            s->invalid += t.invalid;
        }
        if (rc == 0 && t.bad_flags) {
            snprintf(name, sizeof name, "instance %zu: accepted flags", i);
            snprintf(detail, sizeof detail, "%llu flags not 0 or 1, the first %lld in run %zu",
                     (unsigned long long)t.bad_flags, (long long)t.first_bad_flag,
                     t.first_bad_flag_run);
            if (push_failure(l, name, 0.0, (double)t.bad_flags, detail, &err))
                rc = 3;
        }
        snprintf(name, sizeof name, "instance %zu: law", i);
        if (rc == 0 && sd_check_law_exact(l, name, counts, q, V,
                                          s->alpha_test / (double)(bins ? bins : 1),
                                          s->alpha_test, &err) != SD_OK)
            rc = sd_cli_fail(c, &err);
        if (rc == 0 && t.invalid == 0) {
            chi2 += l->v[l->n - 1].chi2;
            df += l->v[l->n - 1].df;
        }
        if (rc == 0 && acc != NULL) {
            double a;
            if (sd_audit_accept(p, q, V, algo, K, tmp, &a, &err) != SD_OK) {
                rc = sd_cli_fail(c, &err);
                break;
            }
            /* rounding can leave 1 - TV a hair outside [0, 1] */
            a = a < 0.0 ? 0.0 : (a > 1.0 ? 1.0 : a);
            snprintf(name, sizeof name, "instance %zu: acceptance", i);
            if (sd_check_binomial(l, name, t.accepted, R, a, s->alpha_test, &err) != SD_OK)
                rc = sd_cli_fail(c, &err);
        }
    }
    if (rc == 0) {
        pooled_p = df > 0 ? gsl_cdf_chisq_Q(chi2, (double)df) : 1.0;
        if (sd_check_bound(l, "pooled chi-square p-value", s->alpha_test, pooled_p, 0, 0.0,
                           &err) != SD_OK)
            rc = 3;
        else
            snprintf(l->v[l->n - 1].detail, sizeof l->v[l->n - 1].detail,
                     "chi-square %.6g on %zu df over the instances without invalid ids",
                     chi2, df);
    }
    if (rc == 0 && sd_check_close(l, "token ids in [0, V)", 0.0, (double)s->invalid, 0.0,
                                  &err) != SD_OK)
        rc = 3;
    /* a mass delta moved onto one token of probability q shifts its count
     * by R delta; the test at level a detects it with probability 0.99 when
     * R delta >= (z_a + z_0.99) sqrt(R q (1-q)) (both standard deviations
     * at most sqrt(R)/2) */
    s->alpha_bin_min = s->alpha_test / (double)maxbins;
    zb = gsl_cdf_ugaussian_Qinv(s->alpha_bin_min / 2.0);
    s->min_tv = fmin(1.0, (zb + zp) / (2.0 * sqrt((double)R)));
    s->min_acc = acc != NULL ? fmin(1.0, (gsl_cdf_ugaussian_Qinv(s->alpha_test / 2.0) + zp) /
                                             (2.0 * sqrt((double)R)))
                             : NAN;
    sd_free(counts);
    sd_free(tmp);
    return rc;
}

/* The options of audit. */
typedef struct {
    const char *dir, *tokens, *accepted;
    int algo;
    double z;
} audit_args;

static int parse_algo(sd_cli *c, const char *arg, void *dest)
{
    int a = sd_audit_algo_parse(arg);
    if (a < 0)
        return sd_cli_usage_error(c, "--algo: unknown algorithm '%s' (sd, rrs, rrs-wor or kseq)", arg),
               -1;
    *(int *)dest = a;
    return 0;
}

static int audit_check(sd_cli *c, void *arg)
{
    audit_args *a = arg;
    if (a->dir == NULL || a->algo < 0 || a->tokens == NULL)
        return sd_cli_usage_error(c, "DIR, --algo and --tokens are required");
    c->mc.z_max = a->z;
    return refuse_case_output(c, a->dir, 0);
}

/* Read the case set and the sampler's files, run the tests, report. */
static int audit_run(sd_cli *c, const sd_model *m, void *arg)
{
    audit_args *a = arg;
    size_t K = 0, I, V, R, cI = 0, cV = 0, i, listed = 0;
    uint64_t seed = 0;
    sd_array P, Q;
    sd_iarray T, A;
    sd_checklist l;
    audit_summary s;
    char ppath[4096], qpath[4096];
    int rc;
    (void)m;
    if ((rc = read_cases_json(c, a->dir, &K, &seed, &cI, &cV)) != 0)
        return rc;
    if ((rc = read_laws(c, a->dir, "p.npy", &P)) != 0)
        return rc;
    if ((rc = read_laws(c, a->dir, "q.npy", &Q)) != 0) {
        sd_array_free(&P);
        return rc;
    }
    I = P.shape[0];
    V = P.shape[1];
    if (Q.shape[0] != I || Q.shape[1] != V || cI != I || cV != V) {
        sd_array_free(&P);
        sd_array_free(&Q);
        return sd_cli_usage_error(c, "%s: p.npy is (%zu, %zu), q.npy (%zu, %zu), cases.json "
                                     "says (%zu, %zu): they must agree", a->dir, I, V,
                                  Q.shape[0], Q.shape[1], cI, cV);
    }
    memset(&A, 0, sizeof A);
    rc = read_runs(c, "--tokens", a->tokens, I, &T);
    if (rc == 0 && a->accepted != NULL) {
        rc = read_runs(c, "--accepted", a->accepted, I, &A);
        if (rc == 0 && A.shape[1] != T.shape[1]) {
            rc = sd_cli_usage_error(c, "--accepted has %zu runs per instance, --tokens %zu",
                                    A.shape[1], T.shape[1]);
            sd_iarray_free(&A);
        }
        if (rc != 0)
            sd_iarray_free(&T);
    }
    if (rc != 0) {
        sd_array_free(&P);
        sd_array_free(&Q);
        return rc;
    }
    R = T.shape[1];
    /* the report's provenance: the instance files, their seed, R runs */
    c->mc.runs = R;
    c->mc.seed = seed;
    snprintf(ppath, sizeof ppath, "%s/p.npy", a->dir);
    snprintf(qpath, sizeof qpath, "%s/q.npy", a->dir);
    c->random = 0;
    c->draft = ppath;
    c->target = qpath;
    if (a->algo == SD_AUDIT_ALGO_SD)
        K = 1; /* one draft, whatever the case set offers */
    sd_checklist_init(&l);
    rc = run_audit(c, P.data, Q.data, I, V, T.data, a->accepted ? A.data : NULL, R,
                   (sd_audit_algo)a->algo, K, &l, &s);
    if (rc == 0) {
        int pass = sd_checklist_pass(&l);
        for (i = 0; !pass && i < l.n; i++) {
            if (l.v[i].pass)
                continue;
            if (!c->quiet && listed < AUDIT_MAX_LISTED)
                fprintf(stderr, "%s: FAIL %s: %s\n", c->prog, l.v[i].name, l.v[i].detail);
            listed++;
        }
        if (!c->quiet && listed > AUDIT_MAX_LISTED)
            fprintf(stderr, "%s: ... and %zu more failed tests\n", c->prog,
                    listed - AUDIT_MAX_LISTED);
        {
            sd_kv extra[] = {
                SD_KV_N("min_detectable_tv", s.min_tv),
                SD_KV_S("algo", sd_audit_algo_name((sd_audit_algo)a->algo)),
                SD_KV_I("drafts", K),
                SD_KV_I("instances", I),
                SD_KV_I("vocab", V),
                SD_KV_I("repetitions", R),
                SD_KV_N("false_failure_rate", s.alpha),
                SD_KV_I("tests", s.tests),
                SD_KV_N("alpha_per_test", s.alpha_test),
                SD_KV_N("alpha_per_token_min", s.alpha_bin_min),
                SD_KV_N("min_detectable_acceptance_shift", s.min_acc),
                SD_KV_I("invalid_ids", s.invalid),
                SD_KV_S("cases", a->dir),
                SD_KV_S("tokens", a->tokens),
                SD_KV_S("accepted", a->accepted ? a->accepted : "-"),
            };
            rc = sd_prog_report_checks(c, "audit", NULL, &l, extra, sizeof extra / sizeof extra[0]);
        }
    } else {
        sd_checklist_free(&l);
    }
    sd_iarray_free(&T);
    sd_iarray_free(&A);
    sd_array_free(&P);
    sd_array_free(&Q);
    return rc;
}

int sd_cmd_audit(int argc, char **argv)
{
    audit_args a = {NULL, NULL, NULL, -1, 4.5};
    const sd_arg opts[] = {
        {"cases", SD_ARG_OPERAND, &a.dir, NULL, 0, 0, 0, NULL, NULL},
        {"algo", SD_ARG_FN, &a.algo, NULL, 0, 0, 0, parse_algo, NULL},
        {"tokens", SD_ARG_INPUT, &a.tokens, NULL, 0, 0, 0, NULL, NULL},
        {"accepted", SD_ARG_INPUT, &a.accepted, NULL, 0, 0, 0, NULL, NULL},
        {"z", SD_ARG_DOUBLE, &a.z, NULL, 0, 1e-3, 1e3, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"specdec audit", help_audit, SD_PROG_OUTPUT, 0, 0, 0, 0, opts,
                          audit_check,
                          audit_run};
    return sd_prog_run(&prog, argc, argv, &a);
}
