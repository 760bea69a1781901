/* cmd_token.c - specdec token: multi-draft acceptance probabilities of
 * one draft/target token pair: RRS with and without replacement, K-SEQ,
 * ERSD, the optimal transport bound alpha*_k (sorted-prefix form, any V)
 * and the membership upper bound, k = 1..K. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "block.h"
#include "cmds.h"
#include "ersd.h"
#include "kseq.h"
#include "npy.h"
#include "otbound.h"
#include "prog.h"
#include "rrs.h"
#include "rrswor.h"
#include "step.h"

/* Sum tolerance of an input distribution (the README, "Model files"). */
#define TOKEN_SUM_TOL 1e-6
#define TOKEN_SUM_TOL_F32 1e-4
/* ERSD quadrature tolerances and subinterval limit per piece. */
#define TOKEN_ERSD_EPSABS 1e-13
#define TOKEN_ERSD_EPSREL 1e-12
#define TOKEN_ERSD_LIMIT 1000
/* ERSD costs about 1000 V^2 k operations per k (quadrature of V
 * integrands of O(V k)); beyond this V^2 k it is reported as null. */
#define TOKEN_ERSD_MAX_WORK 1e7
/* Largest --drafts accepted. */
#define TOKEN_MAX_K 1000
/* Most draft lengths in one --gamma list of specdec block. */
#define BLOCK_MAX_LIST 64

static void help(void)
{
    printf("Usage: specdec token --p LIST|FILE --q LIST|FILE [--drafts K] [--lp]\n"
           "                     [--format table|json|tsv] [--output FILE]\n"
           "Acceptance probabilities of multi-draft verification for one draft law p and\n"
           "target law q (doc/theory.md, multi-draft verification), for k = 1..K drafts:\n"
           "RRS (recursive rejection sampling, batch SD), RRS without replacement (rrs_wor:\n"
           "k distinct drafts, Jeon et al. 2024; null where its exact sum over rejection\n"
           "paths exceeds %.0e operations), SpecTr's K-SEQ (with its rho*), exponential\n"
           "races (ERSD, k distinct drafts; with the quadrature's error bound), the optimal\n"
           "transport bound alpha*_k over all verifiers of k i.i.d. drafts (sorted-prefix\n"
           "form, O(V log V), any V) and the membership upper bound\n"
           "sum_x min(q, 1 - (1-p)^k).\n\n"
           "  --p LIST|FILE        draft distribution: comma-separated probabilities\n"
           "                       (e.g. 0.1,0.9) or a .npy file of shape (V,)\n"
           "  --q LIST|FILE        target distribution, likewise, of the same length\n"
           "  --drafts K           largest number of drafts, 1..%d (default 4)\n"
           "  --lp                 also compute alpha*_k by the two cross-checks: the 2^V\n"
           "                       min-cut enumeration (optimal_mincut; null for V > %d)\n"
           "                       and GLPK's linear program over couplings (optimal_lp;\n"
           "                       null where V^(k+1) > %.0f variables)\n"
           "Entries must be finite and >= 0 and sum to 1 within %g (%g for float32\n"
           "files); they are then renormalised.  ERSD is null when V^2 K > %.0e.\n\n",
           SD_RRS_WOR_MAX_WORK, TOKEN_MAX_K, SD_OT_MINCUT_MAX_V, SD_OT_LP_MAX_VARS,
           TOKEN_SUM_TOL, TOKEN_SUM_TOL_F32, TOKEN_ERSD_MAX_WORK);
}

/* Read a distribution from a list or a .npy file into a new array
 * (*out, *V).  Prints the message and returns the exit code on error. */
static int read_dist(const sd_cli *c, const char *opt, const char *arg, double **out,
                     size_t *V)
{
    double *w, sum = 0.0, tol = TOKEN_SUM_TOL;
    size_t n = 1, i;
    const char *s;
    *out = NULL;
    if (sd_cli_is_npy(arg)) {
        sd_array a;
        sd_error err;
        sd_error_clear(&err);
        if (sd_npy_read(arg, &a, &err) != SD_OK) {
            fprintf(stderr, "%s: %s: %s\n", c->prog, opt, err.msg);
            return sd_status_exit_code(err.code);
        }
        if (a.ndim != 1 || a.size == 0) {
            sd_array_free(&a);
            return sd_cli_usage_error(c, "%s: %s must hold a vector of shape (V,) with V >= 1",
                                      opt, arg);
        }
        w = malloc(a.size * sizeof *w);
        if (w == NULL) {
            sd_array_free(&a);
            fprintf(stderr, "%s: out of memory\n", c->prog);
            return 3;
        }
        memcpy(w, a.data, a.size * sizeof *w);
        n = a.size;
        if (a.was_float32)
            tol = TOKEN_SUM_TOL_F32;
        sd_array_free(&a);
    } else {
        for (s = arg; *s; s++)
            n += *s == ',';
        w = malloc(n * sizeof *w);
        if (w == NULL) {
            fprintf(stderr, "%s: out of memory\n", c->prog);
            return 3;
        }
        if (sd_cli_double_list(c, opt, arg, w, n, &n)) {
            free(w);
            return 2;
        }
    }
    for (i = 0; i < n; i++) {
        if (!isfinite(w[i]) || w[i] < 0.0) {
            double bad = w[i];
            free(w);
            return sd_cli_usage_error(c, "%s: entry %zu is %g: probabilities must be finite "
                                         "and >= 0", opt, i, bad);
        }
        sum += w[i];
    }
    if (!(fabs(sum - 1.0) <= tol)) {
        free(w);
        return sd_cli_usage_error(c, "%s: entries sum to %.10g, not 1 (tolerance %g)", opt, sum,
                                  tol);
    }
    for (i = 0; i < n; i++)
        w[i] /= sum;
    *out = w;
    *V = n;
    return 0;
}

/* One row of the report. */
typedef struct {
    size_t k;
    double rrs, rrs_wor, kseq, kseq_rho, ersd, ersd_err, opt, opt_mincut, opt_lp, upper;
} token_row;

/* Compute every row; returns the exit code (0 on success). */
static int compute(const sd_cli *c, const double *p, const double *q, size_t V, size_t K,
                   int want_lp, token_row *rows)
{
    double *tmp = malloc(2 * V * sizeof *tmp);
    sd_ersd_ws *ws = NULL;
    sd_error err;
    size_t k;
    int do_ersd = (double)V * (double)V * (double)K <= TOKEN_ERSD_MAX_WORK;
    sd_status rc = SD_OK;
    sd_error_clear(&err);
    if (tmp == NULL) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return 3;
    }
    if (do_ersd)
        rc = sd_ersd_ws_alloc(&ws, V, K, TOKEN_ERSD_EPSABS, TOKEN_ERSD_EPSREL, TOKEN_ERSD_LIMIT,
                              &err);
    for (k = 1; rc == SD_OK && k <= K; k++) {
        token_row *r = &rows[k - 1];
        r->k = k;
        r->rrs = 1.0 - sd_rrs_rho(p, q, V, k, tmp);
        r->upper = sd_ot_upper(p, q, V, k);
        r->rrs_wor = r->ersd = r->ersd_err = r->opt = r->opt_mincut = r->opt_lp = NAN;
        rc = sd_kseq_accept(p, q, V, k, &r->kseq, &r->kseq_rho, &err);
        if (rc == SD_OK && sd_rrs_wor_cost(p, q, V, k) <= SD_RRS_WOR_MAX_WORK)
            rc = sd_rrs_wor_accept(p, q, V, k, &r->rrs_wor, &err);
        if (rc == SD_OK && do_ersd)
            rc = sd_ersd_accept(p, q, V, k, ws, &r->ersd, &r->ersd_err, &err);
        if (rc == SD_OK)
            rc = sd_ot_prefix(p, q, V, k, &r->opt, NULL, &err);
        if (rc == SD_OK && want_lp && V <= SD_OT_MINCUT_MAX_V)
            rc = sd_ot_mincut(p, q, V, k, &r->opt_mincut, &err);
        if (rc == SD_OK && want_lp && sd_ot_lp_feasible(V, k))
            rc = sd_ot_lp(p, q, V, k, &r->opt_lp, &err);
    }
    sd_ersd_ws_free(ws);
    free(tmp);
    return rc == SD_OK ? 0 : sd_cli_fail(c, &err);
}

static void provenance_json(FILE *f, const sd_cli *c, const char *ps, const char *qs, size_t V)
{
    sd_cli_json_program(f, c);
    fputs(",\"p\":", f);
    sd_json_str(f, ps);
    fputs(",\"q\":", f);
    sd_json_str(f, qs);
    fprintf(f, ",\"vocab\":%zu,\"ersd_epsabs\":", V);
    sd_json_num(f, TOKEN_ERSD_EPSABS);
    fputs(",\"ersd_epsrel\":", f);
    sd_json_num(f, TOKEN_ERSD_EPSREL);
}

static void provenance_comments(FILE *f, const sd_cli *c, const char *ps, const char *qs,
                                size_t V)
{
    fprintf(f, "# %s %s\n# command: %s\n# p: %s\n# q: %s\n# vocab: %zu\n", c->prog,
            PACKAGE_VERSION, c->command, ps, qs, V);
}

/* A number for table/TSV output ('-' for not computed). */
static void num(FILE *f, double x, int width)
{
    if (isnan(x))
        fprintf(f, "%*s", width, "-");
    else
        fprintf(f, "%*.*g", width, width > 0 ? 12 : 17, x);
}

/* The numbers of a row in the order of the TSV columns: rrs, rrs_wor,
 * kseq, ersd, optimal, upper, kseq_rho, ersd_abserr, optimal_mincut,
 * optimal_lp. */
static void row_values(const token_row *r, double *v)
{
    const double w[10] = {r->rrs,      r->rrs_wor, r->kseq,       r->ersd,   r->opt,
                          r->upper,    r->kseq_rho, r->ersd_err, r->opt_mincut, r->opt_lp};
    memcpy(v, w, sizeof w);
}

static void report(FILE *f, const sd_cli *c, const char *ps, const char *qs, size_t V,
                   double tv, const token_row *rows, size_t K, int want_lp)
{
    const int tsv = c->format == SD_FMT_TSV;
    size_t i;
    if (c->format == SD_FMT_JSON) {
        fputs("{\"tv\":", f);
        sd_json_num(f, tv);
        fputs(",\"rows\":[", f);
        for (i = 0; i < K; i++) {
            const token_row *r = &rows[i];
            sd_kv kv[] = {SD_KV_I("k", r->k), SD_KV_N("rrs", r->rrs), SD_KV_N("kseq", r->kseq),
                          SD_KV_N("ersd", r->ersd), SD_KV_N("optimal", r->opt),
                          SD_KV_N("upper", r->upper), SD_KV_N("rrs_wor", r->rrs_wor),
                          SD_KV_N("kseq_rho", r->kseq_rho),
                          SD_KV_N("ersd_abserr", r->ersd_err),
                          SD_KV_N("optimal_mincut", r->opt_mincut),
                          SD_KV_N("optimal_lp", r->opt_lp)};
            fputs(i ? ",{" : "{", f);
            sd_json_members(f, kv, want_lp ? 11 : 9, 0);
            fputc('}', f);
        }
        fputc(']', f);
        provenance_json(f, c, ps, qs, V);
        fputs("}\n", f);
        return;
    }
    provenance_comments(f, c, ps, qs, V);
    fputs("# tv: ", f);
    sd_print_double(f, tv);
    fputc('\n', f);
    fprintf(f, "# acceptance probabilities; optimal = alpha*_k (sorted prefix), upper = "
               "sum_x min(q, 1-(1-p)^k): both for k i.i.d. drafts (rrs, kseq); rrs_wor and "
               "ersd draw distinct drafts and may exceed them; '-' = not computed\n");
    if (tsv) {
        fprintf(f, "k\trrs\trrs_wor\tkseq\tersd\toptimal\tupper\tkseq_rho\tersd_abserr%s\n",
                want_lp ? "\toptimal_mincut\toptimal_lp" : "");
    } else {
        fprintf(f, "TV = %.12g (SD accepts with 1 - TV = %.12g)\n", tv, 1.0 - tv);
        fprintf(f, "%4s %14s %14s %14s %14s %14s %14s %14s%s\n", "k", "rrs", "rrs_wor", "kseq",
                "ersd", "optimal", "upper", "kseq_rho",
                want_lp ? "  optimal_mincut     optimal_lp" : "");
    }
    for (i = 0; i < K; i++) {
        double v[10];
        size_t j;
        row_values(&rows[i], v);
        fprintf(f, tsv ? "%zu" : "%4zu", rows[i].k);
        /* the table leaves out ersd_abserr; both the cross-checks without --lp */
        for (j = 0; j < (want_lp ? 10u : 8u); j++) {
            if (j == 7 && !tsv)
                continue;
            fputs(tsv ? "\t" : j == 8 ? "  " : " ", f);
            num(f, v[j], tsv ? 0 : 14);
        }
        fputc('\n', f);
    }
}

/* The options of token and block, and the work on the distributions. */
typedef struct pq_args {
    const char *ps, *qs;  /* --p, --q as given */
    size_t K;             /* token: --drafts */
    int want_lp;          /* token: --lp */
    size_t gam[BLOCK_MAX_LIST], ng; /* block: --gamma */
    /* compute and write the report; the exit code */
    int (*work)(sd_cli *c, const struct pq_args *a, const double *p, const double *q, size_t V);
} token_args;

/* The --p and --q options of token and block (files are inputs). */
#define PQ_ARGS(a)                                                                         \
    {"p", SD_ARG_INPUT, &(a).ps, NULL, 0, 0, 0, NULL, NULL},                               \
    {"q", SD_ARG_INPUT, &(a).qs, NULL, 0, 0, 0, NULL, NULL}

/* The run function of token and block: read --p and --q (of the same
 * length V), do the command's work on them; the exit code. */
static int pq_run(sd_cli *c, const sd_model *unused, void *arg)
{
    const token_args *a = arg;
    double *p = NULL, *q = NULL;
    size_t V = 0, Vq = 0;
    int rc;
    (void)unused;
    if ((rc = read_dist(c, "--p", a->ps, &p, &V)) == 0 &&
        (rc = read_dist(c, "--q", a->qs, &q, &Vq)) == 0) {
        if (V != Vq)
            rc = sd_cli_usage_error(c, "--p has %zu entries but --q has %zu", V, Vq);
        else
            rc = a->work(c, a, p, q, V);
    }
    free(p);
    free(q);
    return rc;
}

static int token_check(sd_cli *c, void *arg)
{
    const token_args *a = arg;
    if (a->ps == NULL || a->qs == NULL)
        return sd_cli_usage_error(c, "--p and --q are required");
    return 0;
}

static int token_work(sd_cli *c, const token_args *a, const double *p, const double *q,
                      size_t V)
{
    token_row *rows = calloc(a->K, sizeof *rows);
    int rc = 0;
    sd_out out;
    if (rows == NULL) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return 3;
    }
    rc = compute(c, p, q, V, a->K, a->want_lp, rows);
    if (rc == 0 && (rc = sd_out_open(c, &out)) == 0) {
        report(out.f, c, a->ps, a->qs, V, sd_tv(p, q, V), rows, a->K, a->want_lp);
        rc = sd_out_close(c, &out, 1);
    }
    free(rows);
    return rc;
}

int sd_cmd_token(int argc, char **argv)
{
    token_args a;
    const sd_arg opts[] = {
        PQ_ARGS(a),
        {"drafts", SD_ARG_SIZE, &a.K, NULL, 1, 0, TOKEN_MAX_K, NULL, NULL},
        {"lp", SD_ARG_FLAG, &a.want_lp, NULL, 1, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"specdec token", help, SD_PROG_OUTPUT, 0, 0, 0, 0, opts, token_check,
                          pq_run};
    memset(&a, 0, sizeof a);
    a.K = 4;
    a.work = token_work;
    return sd_prog_run(&prog, argc, argv, &a);
}

/* ---- specdec block ------------------------------------------------------- */

static void block_help(void)
{
    printf("Usage: specdec block --p LIST|FILE --q LIST|FILE --gamma LIST\n"
           "                     [--format table|json|tsv] [--output FILE]\n"
           "Expected drafts accepted per target call when the same draft law p and target\n"
           "law q hold at every position (context-free), for draft length gamma: token by\n"
           "token verification, sum_{j=1..gamma} (1 - TV)^j, and block verification (Sun\n"
           "et al., ICLR 2025; doc/theory.md), exactly by enumerating the V^gamma blocks\n"
           "(refused when V^(gamma+1) > %.0e).  Block verification is never below token\n"
           "verification and equal at gamma = 1.\n\n"
           "  --p LIST|FILE        draft distribution: comma-separated probabilities or a\n"
           "                       .npy file of shape (V,)\n"
           "  --q LIST|FILE        target distribution, likewise, of the same length\n"
           "  --gamma LIST         draft lengths, comma-separated, each 1..%d\n\n",
           SD_BLOCK_MAX_WORK, SD_CALLS_MAX_GAMMA);
}

static int block_check(sd_cli *c, void *arg)
{
    const token_args *a = arg;
    if (a->ps == NULL || a->qs == NULL || a->ng == 0)
        return sd_cli_usage_error(c, "--p, --q and --gamma are required");
    return 0;
}

static int block_work(sd_cli *c, const token_args *a, const double *p, const double *q,
                      size_t V)
{
    const size_t *gam = a->gam, ng = a->ng;
    double tb[BLOCK_MAX_LIST], tt[BLOCK_MAX_LIST];
    size_t i;
    int rc = 0;
    sd_out out;
    sd_error err;
    for (i = 0; i < ng && rc == 0; i++)
        if (pow((double)V, (double)gam[i] + 1.0) > SD_BLOCK_MAX_WORK)
            rc = sd_cli_usage_error(c, "--gamma %zu: exact block verification enumerates "
                                       "V^gamma blocks, V^(gamma+1) = %.3g for V = %zu: "
                                       "above the limit of %.0e", gam[i],
                                    pow((double)V, (double)gam[i] + 1.0), V,
                                    SD_BLOCK_MAX_WORK);
    sd_error_clear(&err);
    for (i = 0; i < ng && rc == 0; i++)
        if (sd_block_token(p, q, V, gam[i], &tb[i], &tt[i], &err) != SD_OK)
            rc = sd_cli_fail(c, &err);
    if (rc == 0 && (rc = sd_out_open(c, &out)) == 0) {
        FILE *f = out.f;
        if (c->format == SD_FMT_JSON) {
            fputs("{\"rows\":[", f);
            for (i = 0; i < ng; i++) {
                sd_kv kv[] = {SD_KV_I("gamma", gam[i]), SD_KV_N("token_accepted", tt[i]),
                              SD_KV_N("block_accepted", tb[i])};
                fputs(i ? ",{" : "{", f);
                sd_json_members(f, kv, 3, 0);
                fputc('}', f);
            }
            fputs("],\"tv\":", f);
            sd_json_num(f, sd_tv(p, q, V));
            provenance_json(f, c, a->ps, a->qs, V);
            fputs("}\n", f);
        } else {
            provenance_comments(f, c, a->ps, a->qs, V);
            fprintf(f, "# expected drafts accepted per target call, context-free p and q\n");
            if (c->format == SD_FMT_TSV) {
                fputs("gamma\ttoken_accepted\tblock_accepted\n", f);
                for (i = 0; i < ng; i++)
                    fprintf(f, "%zu\t%.17g\t%.17g\n", gam[i], tt[i], tb[i]);
            } else {
                fprintf(f, "%5s %16s %16s\n", "gamma", "token_accepted", "block_accepted");
                for (i = 0; i < ng; i++)
                    fprintf(f, "%5zu %16.12g %16.12g\n", gam[i], tt[i], tb[i]);
            }
        }
        rc = sd_out_close(c, &out, 1);
    }
    return rc;
}

int sd_cmd_block(int argc, char **argv)
{
    token_args a;
    const sd_arg opts[] = {
        PQ_ARGS(a),
        {"gamma", SD_ARG_SIZE_LIST, a.gam, &a.ng, BLOCK_MAX_LIST, 1, SD_CALLS_MAX_GAMMA, NULL,
         NULL},
        SD_ARG_END};
    const sd_prog prog = {"specdec block", block_help, SD_PROG_OUTPUT, 0, 0, 0, 0, opts,
                          block_check, pq_run};
    memset(&a, 0, sizeof a);
    a.work = block_work;
    return sd_prog_run(&prog, argc, argv, &a);
}
