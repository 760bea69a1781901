/* fig-running-mean - data for panels (a) and (b) of Figures 2 and 5
 * (SPEC 5): the running mean of N_rej over the first per_point*N runs of
 * Algorithm SD (or, with --algo batch|tree --drafts M, of batch SD or
 * tree verification), against N, with the exact value (Theorem 1, 3).
 *
 * Runs are cut into chunks of per_point runs; chunk c draws from stream
 * (seed, c), so point N is the mean of chunks 0..N-1 and the file is the
 * same for any --threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rule.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_POINTS = SD_OPT_FIRST_LOCAL, OPT_PER_POINT, OPT_ALGO, OPT_DRAFTS };

static void help(void)
{
    printf("Usage: fig-running-mean [MODEL] [--points N] [--per-point R] [--seed S]\n"
           "                        --output FILE\n"
           "Write the running mean of N_rej of Algorithm SD over the first R*n runs for\n"
           "n = 1..N (default N = 1000, R = 100) beside the exact E[N_rej] (Theorem 1),\n"
           "as gnuplot data with the provenance in '#' lines.  Default model: --random 7,50.\n\n");
    sd_cli_help_rules(stdout, SD_RULE_PAPER, &sd_rule_sd, NULL);
    printf("  --drafts M           drafts per round for batch and tree (default 1)\n\n");
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_mc, stdout);
    fputs(sd_cli_help_output, stdout);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_MC_OPTIONS, SD_CLI_OUTPUT_OPTIONS,
        {"points", required_argument, 0, OPT_POINTS},
        {"per-point", required_argument, 0, OPT_PER_POINT},
        {"algo", required_argument, 0, OPT_ALGO},
        {"drafts", required_argument, 0, OPT_DRAFTS},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_error err;
    sd_rule_sim *as = NULL;
    const sd_rule_type *algo = &sd_rule_sd;
    sd_sim sim;
    sd_mc_config cfg;
    sd_mc_result res;
    size_t points = 1000, per = 100, n, M = 1;
    uint64_t *sums;
    double exact, var, total = 0.0;
    int opt, r, rc;
    sd_out out;

    sd_cli_init(&c, "fig-running-mean", argc, argv, 0);
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case OPT_POINTS:
            if (sd_cli_size(&c, "--points", optarg, 1, &points))
                return 2;
            break;
        case OPT_PER_POINT:
            if (sd_cli_size(&c, "--per-point", optarg, 1, &per))
                return 2;
            break;
        case OPT_ALGO:
            if (sd_cli_rule(&c, optarg, SD_RULE_PAPER, &algo))
                return 2;
            break;
        case OPT_DRAFTS:
            if (sd_cli_size(&c, "--drafts", optarg, 1, &M))
                return 2;
            break;
        case '?': return sd_cli_usage_error(&c, "bad option");
        default:
            r = sd_cli_option(&c, opt, optarg);
            if (r < 0)
                return 2;
            break;
        }
    }
    if (sd_cli_finish(&c, argc, argv, 0, 7, 50))
        return 2;
    if (points > SIZE_MAX / per / 2)
        return sd_cli_usage_error(&c, "--points * --per-point is too large");
    c.runs = points * per;
    if ((rc = sd_cli_load_model(&c, &m)) != 0)
        return rc;
    sd_error_clear(&err);
    sums = malloc(points * sizeof *sums);
    if (sums == NULL) {
        sd_model_free(&m);
        fprintf(stderr, "%s: out of memory\n", c.prog);
        return 3;
    }
    if (sd_rule_exact(algo, &m, M, &exact, &var, &err) != SD_OK ||
        sd_rule_sim_alloc(&as, algo, &m, M, 0, &err) != SD_OK) {
        free(sums);
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    sim = sd_rule_sim_get(as);
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = c.runs;
    cfg.seed = c.seed;
    cfg.threads = c.threads;
    cfg.rng = c.rng;
    cfg.chunk = per;
    cfg.chunk_sums = sums;
    cfg.progress = sd_cli_progress;
    cfg.progress_arg = &c;
    rc = sd_mc_run(&cfg, m.T, m.V, &sim, &res, &err) == SD_OK ? 0 : sd_cli_fail(&c, &err);
    sd_rule_sim_free(as);
    if (rc == 0 && (rc = sd_out_open(&c, &out)) == 0) {
        sd_cli_comment_provenance(out.f, &c, 1);
        if (algo->flags & SD_RULE_VARIANCE) { /* panel (a): Algorithm SD */
            fprintf(out.f, "# figure panel (a): running mean of N_rej of %s, "
                           "%zu runs per point\n", algo->title, per);
            fprintf(out.f, "# exact E[N_rej] (%s) = %.10f, Var = %.10f, speed-up T/E = %.6f\n",
                    algo->exact_ref, exact, var, exact > 0 ? (double)m.T / exact : 0.0);
        } else {
            fprintf(out.f, "# figure panel (b): running mean of N_rej of %s with M = %zu drafts, "
                           "%zu runs per point\n", algo->title, M, per);
            fprintf(out.f, "# algo = %s, drafts = %zu\n", algo->name, M);
            fprintf(out.f, "# exact E[N_rej] (%s) = %.10f, speed-up T/E = %.6f\n",
                    algo->exact_ref, exact, exact > 0 ? (double)m.T / exact : 0.0);
        }
        fprintf(out.f, "# final Monte Carlo mean = %.10f +- %.3g (stderr), runs = %zu\n",
                res.mean, res.stderr_mean, res.runs);
        fprintf(out.f, "# columns: N runs running_mean exact\n");
        for (n = 0; n < points; n++) {
            total += (double)sums[n];
            fprintf(out.f, "%zu %zu %.10f %.10f\n", n + 1, (n + 1) * per,
                    total / (double)((n + 1) * per), exact);
        }
        rc = sd_out_close(&c, &out, 1);
    }
    if (rc == 0 || res.hist != NULL)
        sd_mc_result_free(&res);
    free(sums);
    sd_model_free(&m);
    return rc;
}
