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
#include "prog.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

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
}

/* Simulate gamma with verify. */
static sd_status sim(const sd_cli *c, const sd_model *m, sd_calls_verify v, size_t g,
                     sd_mc_result *res, sd_error *err)
{
    sd_calls_sim S;
    sd_sim s;
    sd_mc_config cfg = c->mc;
    sd_status rc = sd_calls_sim_alloc(&S, m, v, g, NULL, err);
    if (rc != SD_OK)
        return rc;
    s = sd_calls_sim_sim(&S);
    cfg.npos = 0;
    cfg.pos = NULL;
    cfg.progress = NULL;
    rc = sd_mc_run(&cfg, sd_calls_sim_hist_size(m, S.gmax) - 1, m->V, &s, res, err);
    sd_calls_sim_free(&S);
    return rc;
}

typedef struct {
    size_t G, nc;
    double costs[MAX_COSTS];
    /* filled by run for the data body */
    const sd_model *m;
    sd_calls_row tok[MAX_G + 1], blk[MAX_G + 1];
    sd_mc_result rt[MAX_G + 1], rb[MAX_G + 1];
    double jstar[MAX_COSTS];
} args;

static int check(sd_cli *c, void *arg)
{
    const args *a = arg;
    if (a->G > MAX_G)
        return sd_cli_usage_error(c, "--gamma-max: at most %d", MAX_G);
    if (c->mc.runs == 0)
        return sd_cli_usage_error(c, "--runs must be at least 1");
    return 0;
}

static sd_status body(FILE *f, void *arg, sd_error *err)
{
    const args *a = arg;
    const sd_model *m = a->m;
    const double T = (double)m->T;
    size_t i, g;
    (void)err;
    fprintf(f, "# draft length and wall time; gamma_max %zu; mean acceptance %.12f\n", a->G,
            a->tok[1].mean_accept);
    for (i = 0; i < a->nc; i++) {
        const double cc = a->costs[i];
        if (i > 0)
            fputs("\n\n", f);
        fprintf(f, "# block %zu: cost ratio c = %g; optimal policy J* = %.12f, speed-up "
                   "%.12f\n", i, cc, a->jstar[i], T / a->jstar[i]);
        fputs("# columns: gamma token_tpc token_speedup sim_token_tpc sim_token_tpc_se "
              "sim_token_speedup sim_token_speedup_se block_tpc block_speedup "
              "sim_block_tpc sim_block_tpc_se sim_block_speedup sim_block_speedup_se "
              "leviathan_tpc leviathan_speedup policy_speedup\n",
              f);
        for (g = 1; g <= a->G; g++) {
            const sd_calls_row *tk = &a->tok[g], *bk = &a->blk[g];
            sd_calls_estimate et, eb;
            double wt = tk->calls + cc * tk->draft_steps;
            double wb = bk->calls + cc * bk->draft_steps;
            sd_calls_estimate_from(&a->rt[g], m->T, cc, &et);
            sd_calls_estimate_from(&a->rb[g], m->T, cc, &eb);
            /* standard errors of T / mean by the delta method */
            fprintf(f, "%zu %.10g %.10g %.10g %.6g %.10g %.6g %.10g %.10g %.10g %.6g %.10g "
                       "%.6g %.10g %.10g %.10g\n",
                    g, T / tk->calls, T / wt, T / et.calls,
                    T / (et.calls * et.calls) * et.calls_se, T / et.wall,
                    T / (et.wall * et.wall) * et.wall_se, T / bk->calls, T / wb,
                    T / eb.calls, T / (eb.calls * eb.calls) * eb.calls_se, T / eb.wall,
                    T / (eb.wall * eb.wall) * eb.wall_se, tk->leviathan_tokens_per_call,
                    tk->leviathan_tokens_per_call / ((double)g * cc + 1.0), T / a->jstar[i]);
        }
    }
    return SD_OK;
}

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    args *a = arg;
    sd_error err;
    size_t g, i, G = a->G, gs = G < m->T ? G : m->T;
    int rc = 0;
    if (sd_calls_sim_hist_size(m, gs) == 0 ||
        sd_calls_sim_hist_size(m, gs) > SD_CALLS_SIM_MAX_HIST)
        return sd_cli_usage_error(c, "--gamma-max %zu on T = %zu: the simulation histogram "
                                     "exceeds %zu bins", G, m->T,
                                  (size_t)SD_CALLS_SIM_MAX_HIST);
    sd_error_clear(&err);
    a->m = m;
    memset(a->rt, 0, sizeof a->rt);
    memset(a->rb, 0, sizeof a->rb);
    for (g = 1; rc == 0 && g <= G; g++) {
        a->blk[g].calls = a->blk[g].draft_steps = NAN;
        if (sd_calls_exact(m, g, 0.0, &a->tok[g], NULL, &err) != SD_OK ||
            (sd_block_cost(m, g) <= SD_BLOCK_MAX_WORK &&
             sd_block_exact(m, g, 0.0, &a->blk[g], NULL, &err) != SD_OK) ||
            sim(c, m, SD_CALLS_TOKEN, g, &a->rt[g], &err) != SD_OK ||
            sim(c, m, SD_CALLS_BLOCK, g, &a->rb[g], &err) != SD_OK)
            rc = sd_cli_fail(c, &err);
    }
    for (i = 0; rc == 0 && i < a->nc; i++)
        if (sd_calls_optimal(m, G, a->costs[i], NULL, NULL, &a->jstar[i], &err) != SD_OK)
            rc = sd_cli_fail(c, &err);
    if (rc == 0)
        rc = sd_prog_write_data(c, 1, body, a);
    for (g = 1; g <= G; g++) {
        sd_mc_result_free(&a->rt[g]);
        sd_mc_result_free(&a->rb[g]);
    }
    return rc;
}

int main(int argc, char **argv)
{
    static args a = {12, 2, {0.05, 0.2}, NULL, {{0}}, {{0}}, {{0}}, {{0}}, {0}};
    const sd_arg opts[] = {
        {"gamma-max", SD_ARG_SIZE, &a.G, NULL, 1, 0, 0, NULL, NULL},
        {"costs", SD_ARG_DOUBLE_LIST, a.costs, &a.nc, MAX_COSTS, 0.0, 1e300, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"fig7", help, SD_PROG_MODEL | SD_PROG_MC | SD_PROG_OUTPUT, 4000, 0,
                          SD_PROG_PAPER_MODEL, opts, check, run};
    return sd_prog_run(&prog, argc, argv, &a);
}
