/* fig7 - data for Figure 7 (ours): draft length and wall time on the
 * Fig. 2 chains.  For gamma = 1..G and each cost ratio c: tokens per
 * call and speed-up T / W of token verification (exact, and simulated
 * with standard errors), of block verification (exact where the
 * enumeration is within its limit, simulated always), Leviathan's closed
 * form with the chain's mean acceptance, and the optimal policy's
 * speed-up (a constant over gamma).  One block per c (gnuplot index). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "calls.h"
#include "cli.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_GMAX = SD_OPT_FIRST_LOCAL, OPT_COSTS };

#define MAX_COSTS 8
#define MAX_G 64

static void help(void)
{
    printf("Usage: fig7 [MODEL] [--gamma-max G] [--costs LIST] [--runs N] --output FILE\n"
           "Write the data of Figure 7: tokens per target call and speed-up against the\n"
           "draft length gamma = 1..G (default 12) for each cost ratio c (default\n"
           "0.05,0.2): token verification exact and simulated (N runs, default 4000),\n"
           "block verification (exact where the enumeration is within %.0e operations,\n"
           "simulated), Leviathan's closed form, and the optimal policy's speed-up\n"
           "(gamma_max = G).  Default model: --random 7,50.\n\n",
           SD_BLOCK_MAX_WORK);
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_mc, stdout);
    fputs(sd_cli_help_output, stdout);
}

/* Simulate gamma with verify; *e for cost c = 0 (calls, steps). */
static sd_status sim(const sd_cli *c, const sd_model *m, sd_calls_verify v, size_t g,
                     sd_mc_result *res, sd_error *err)
{
    sd_calls_sim S;
    sd_sim s;
    sd_mc_config cfg;
    sd_status rc = sd_calls_sim_alloc(&S, m, v, g, NULL, err);
    if (rc != SD_OK)
        return rc;
    s = sd_calls_sim_sim(&S);
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = c->mc.runs;
    cfg.seed = c->mc.seed;
    cfg.threads = c->mc.threads;
    cfg.rng = c->mc.rng;
    rc = sd_mc_run(&cfg, sd_calls_sim_hist_size(m, S.gmax) - 1, m->V, &s, res, err);
    sd_calls_sim_free(&S);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_MC_OPTIONS, SD_CLI_OUTPUT_OPTIONS,
        {"gamma-max", required_argument, 0, OPT_GMAX},
        {"costs", required_argument, 0, OPT_COSTS},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_error err;
    size_t G = 12, nc = 2, g, i;
    double costs[MAX_COSTS] = {0.05, 0.2};
    int opt, r, rc;
    sd_out out;
    sd_calls_row tok[MAX_G + 1], blk[MAX_G + 1];
    sd_mc_result rt[MAX_G + 1], rb[MAX_G + 1];
    double jstar[MAX_COSTS];

    sd_cli_init(&c, "fig7", argc, argv, 4000);
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case OPT_GMAX:
            if (sd_cli_size(&c, "--gamma-max", optarg, 1, &G))
                return 2;
            if (G > MAX_G)
                return sd_cli_usage_error(&c, "--gamma-max: at most %d", MAX_G);
            break;
        case OPT_COSTS:
            if (sd_cli_double_list(&c, "--costs", optarg, costs, MAX_COSTS, &nc))
                return 2;
            for (i = 0; i < nc; i++)
                if (!(costs[i] >= 0.0) || !isfinite(costs[i]))
                    return sd_cli_usage_error(&c, "--costs: entry %zu is %g: each cost ratio "
                                                  "must be finite and >= 0", i + 1, costs[i]);
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
    if (c.mc.runs == 0)
        return sd_cli_usage_error(&c, "--runs must be at least 1");
    if ((rc = sd_cli_load_model(&c, &m)) != 0)
        return rc;
    if (sd_calls_sim_hist_size(&m, G < m.T ? G : m.T) == 0 ||
        sd_calls_sim_hist_size(&m, G < m.T ? G : m.T) > SD_CALLS_SIM_MAX_HIST) {
        size_t T = m.T;
        sd_model_free(&m);
        return sd_cli_usage_error(&c, "--gamma-max %zu on T = %zu: the simulation histogram "
                                      "exceeds %zu bins", G, T, (size_t)SD_CALLS_SIM_MAX_HIST);
    }
    sd_error_clear(&err);
    memset(rt, 0, sizeof rt);
    memset(rb, 0, sizeof rb);
    rc = 0;
    for (g = 1; rc == 0 && g <= G; g++) {
        blk[g].calls = blk[g].draft_steps = NAN;
        if (sd_calls_exact(&m, g, 0.0, &tok[g], NULL, &err) != SD_OK ||
            (sd_block_cost(&m, g) <= SD_BLOCK_MAX_WORK &&
             sd_block_exact(&m, g, 0.0, &blk[g], NULL, &err) != SD_OK) ||
            sim(&c, &m, SD_CALLS_TOKEN, g, &rt[g], &err) != SD_OK ||
            sim(&c, &m, SD_CALLS_BLOCK, g, &rb[g], &err) != SD_OK)
            rc = sd_cli_fail(&c, &err);
    }
    for (i = 0; rc == 0 && i < nc; i++)
        if (sd_calls_optimal(&m, G, costs[i], NULL, NULL, &jstar[i], &err) != SD_OK)
            rc = sd_cli_fail(&c, &err);
    if (rc == 0 && (rc = sd_out_open(&c, &out)) == 0) {
        const double T = (double)m.T;
        FILE *f = out.f;
        sd_cli_comment_provenance(f, &c, 1);
        fprintf(f, "# draft length and wall time; gamma_max %zu; mean acceptance %.12f\n", G,
                tok[1].mean_accept);
        for (i = 0; i < nc; i++) {
            const double cc = costs[i];
            if (i > 0)
                fputs("\n\n", f);
            fprintf(f, "# block %zu: cost ratio c = %g; optimal policy J* = %.12f, speed-up "
                       "%.12f\n", i, cc, jstar[i], T / jstar[i]);
            fputs("# columns: gamma token_tpc token_speedup sim_token_tpc sim_token_tpc_se "
                  "sim_token_speedup sim_token_speedup_se block_tpc block_speedup "
                  "sim_block_tpc sim_block_tpc_se sim_block_speedup sim_block_speedup_se "
                  "leviathan_tpc leviathan_speedup policy_speedup\n",
                  f);
            for (g = 1; g <= G; g++) {
                sd_calls_estimate et, eb;
                double wt = tok[g].calls + cc * tok[g].draft_steps;
                double wb = blk[g].calls + cc * blk[g].draft_steps;
                sd_calls_estimate_from(&rt[g], m.T, cc, &et);
                sd_calls_estimate_from(&rb[g], m.T, cc, &eb);
                /* delta method for T / mean */
                fprintf(f, "%zu %.10g %.10g %.10g %.6g %.10g %.6g %.10g %.10g %.10g %.6g %.10g "
                           "%.6g %.10g %.10g %.10g\n",
                        g, T / tok[g].calls, T / wt, T / et.calls,
                        T / (et.calls * et.calls) * et.calls_se, T / et.wall,
                        T / (et.wall * et.wall) * et.wall_se, T / blk[g].calls, T / wb,
                        T / eb.calls, T / (eb.calls * eb.calls) * eb.calls_se, T / eb.wall,
                        T / (eb.wall * eb.wall) * eb.wall_se,
                        tok[g].leviathan_tokens_per_call,
                        tok[g].leviathan_tokens_per_call / ((double)g * cc + 1.0),
                        T / jstar[i]);
            }
        }
        rc = sd_out_close(&c, &out, 1);
    }
    for (g = 1; g <= G; g++) {
        sd_mc_result_free(&rt[g]);
        sd_mc_result_free(&rb[g]);
    }
    sd_model_free(&m);
    return rc;
}
