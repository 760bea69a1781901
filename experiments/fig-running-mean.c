/* fig-running-mean - data for panels (a) and (b) of Figures 2 and 5
 * (doc/theory.md §5): the running mean of N_rej over the first per_point*N runs of
 * Algorithm SD (or, with --algo batch|tree --drafts M, of batch SD or
 * tree verification), against N, with the exact value (Theorem 1, 3).
 *
 * Runs are cut into chunks of per_point runs; chunk c draws from stream
 * (seed, c), so point N is the mean of chunks 0..N-1 and the file is the
 * same for any --threads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog.h"
#include "rule.h"


static void help(void)
{
    printf("Usage: fig-running-mean [MODEL] [--points N] [--per-point R] [--seed S]\n"
           "                        --output FILE\n"
           "Write the running mean of N_rej of Algorithm SD over the first R*n runs for\n"
           "n = 1..N (default N = 1000, R = 100) beside the exact E[N_rej] (Theorem 1),\n"
           "as gnuplot data with the provenance in '#' lines.  Default model: --random 7,50.\n\n");
    sd_cli_help_rules(stdout, SD_RULE_PAPER, &sd_rule_sd, NULL);
    printf("  --drafts M           drafts per round for batch and tree (default 1)\n\n");
}

typedef struct {
    size_t points, per, M;
    const sd_rule_type *algo;
    const sd_model *m;
    double exact, var;
    const uint64_t *sums;
    const sd_mc_result *res;
} args;

static sd_status write_curve(FILE *f, void *arg, sd_error *err)
{
    const args *a = arg;
    const sd_rule_type *algo = a->algo;
    const double exact = a->exact, T = (double)a->m->T;
    double total = 0.0;
    long double total2 = 0.0L;
    size_t n;
    (void)err;
    if (algo->flags & SD_RULE_VARIANCE) { /* panel (a): Algorithm SD */
        fprintf(f, "# figure panel (a): running mean of N_rej of %s, %zu runs per point\n",
                algo->title, a->per);
        fprintf(f, "# exact E[N_rej] (%s) = %.10f, Var = %.10f, speed-up T/E = %.6f\n",
                algo->exact_ref, exact, a->var, exact > 0 ? T / exact : 0.0);
    } else {
        fprintf(f, "# figure panel (b): running mean of N_rej of %s with M = %zu drafts, "
                   "%zu runs per point\n", algo->title, a->M, a->per);
        fprintf(f, "# algo = %s, drafts = %zu\n", algo->name, a->M);
        fprintf(f, "# exact E[N_rej] (%s) = %.10f, speed-up T/E = %.6f\n", algo->exact_ref,
                exact, exact > 0 ? T / exact : 0.0);
    }
    fprintf(f, "# final Monte Carlo mean = %.10f +- %.3g (stderr), runs = %zu\n", a->res->mean,
            a->res->stderr_mean, a->res->runs);
    fprintf(f, "# stderr: the standard error of the running mean, sqrt(s^2 / runs) with s^2 "
               "the sample variance of its runs\n");
    fprintf(f, "# columns: N runs running_mean exact stderr\n");
    for (n = 0; n < a->points; n++) {
        long double nr = (long double)((n + 1) * a->per), s2;
        total += (double)a->sums[n];
        total2 += (long double)a->sums[a->points + n];
        s2 = nr > 1 ? (total2 - (long double)total * (long double)total / nr) / (nr - 1) : 0.0L;
        fprintf(f, "%zu %zu %.10f %.10f %.10f\n", n + 1, (n + 1) * a->per,
                total / (double)((n + 1) * a->per), exact, s2 > 0 ? (double)sqrtl(s2 / nr) : 0.0);
    }
    return SD_OK;
}

static int check(sd_cli *c, void *arg)
{
    const args *a = arg;
    if (a->points > SIZE_MAX / a->per / 2)
        return sd_cli_usage_error(c, "--points * --per-point is too large");
    c->mc.runs = a->points * a->per;
    return 0;
}

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    args *a = arg;
    sd_error err;
    sd_rule_sim *as = NULL;
    sd_sim sim;
    sd_mc_config cfg = c->mc;
    sd_mc_result res;
    uint64_t *sums = malloc(2 * a->points * sizeof *sums);
    int rc;
    if (sums == NULL) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return 3;
    }
    sd_error_clear(&err);
    if (sd_rule_exact(a->algo, m, a->M, &a->exact, &a->var, &err) != SD_OK ||
        sd_rule_sim_alloc(&as, a->algo, m, a->M, 0, &err) != SD_OK) {
        free(sums);
        return sd_cli_fail(c, &err);
    }
    sim = sd_rule_sim_get(as);
    cfg.chunk = a->per;
    cfg.chunk_sums = sums;
    cfg.chunk_sumsq = sums + a->points;
    rc = sd_mc_run(&cfg, m->T, m->V, &sim, &res, &err) == SD_OK ? 0 : sd_cli_fail(c, &err);
    sd_rule_sim_free(as);
    if (rc == 0) {
        a->m = m;
        a->sums = sums;
        a->res = &res;
        rc = sd_prog_write_data(c, 1, write_curve, a);
        sd_mc_result_free(&res);
    }
    free(sums);
    return rc;
}

int main(int argc, char **argv)
{
    args a = {1000, 100, 1, &sd_rule_sd, NULL, 0.0, 0.0, NULL, NULL};
    const sd_arg opts[] = {
        {"points", SD_ARG_SIZE, &a.points, NULL, 1, 0, 0, NULL, NULL},
        {"per-point", SD_ARG_SIZE, &a.per, NULL, 1, 0, 0, NULL, NULL},
        {"algo", SD_ARG_RULE, &a.algo, NULL, SD_RULE_PAPER, 0, 0, NULL, NULL},
        {"drafts", SD_ARG_SIZE, &a.M, NULL, 1, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"fig-running-mean", help, SD_PROG_MODEL | SD_PROG_MC | SD_PROG_OUTPUT, 0,
                          0, SD_PROG_PAPER_MODEL, opts, check, run};
    return sd_prog_run(&prog, argc, argv, &a);
}
