/* cmd_calls.c - specdec calls: target calls, draft steps, wall time and
 * speed-up against the draft length gamma (token or block verification),
 * Leviathan's closed form beside them, the optimal draft-length policy,
 * and with --runs the literal simulation of each. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "calls.h"
#include "prog.h"
#include "cmds.h"
#include "npy.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Most draft lengths in one --gamma list. */
#define CALLS_MAX_LIST 256

static void help(void)
{
    printf("Usage: specdec calls MODEL --gamma LIST [--verify token|block] [--cost C]\n"
           "                     [--policy] [--gamma-max G] [--policy-out FILE.tsv|.npy]\n"
           "                     [--runs N] [--seed S] [--threads K] [--z Z]\n"
           "Wall time of speculative decoding with draft length gamma (Leviathan et al.,\n"
           "ICML 2023; doc/theory.md): each round drafts g = min(gamma, T - t + 1) tokens\n"
           "and makes one target call, which also yields a bonus token when all g drafts\n"
           "are accepted.  For each gamma, exactly: expected target calls, draft steps,\n"
           "wall time W = calls + C draft steps (unit: one target call), speed-up T / W\n"
           "over autoregressive decoding, tokens per call T / calls, and Leviathan's\n"
           "closed form (1 - a^(gamma+1)) / (1 - a) with the chain's mean acceptance a.\n\n"
           "  --gamma LIST         draft lengths, comma-separated, each 1..%d\n"
           "  --verify V           token (default): draft by draft; block: block\n"
           "                       verification (Sun et al., ICLR 2025), exact by\n"
           "                       enumerating the V^gamma blocks of every round start\n"
           "                       (refused above %.0e operations unless --runs is given,\n"
           "                       which then simulates instead)\n"
           "  --cost C             draft step / target call cost ratio c >= 0 (default 0)\n"
           "  --policy             also the optimal policy gamma(t, s) in 1..G chosen at\n"
           "                       every round start by backward induction: its wall time\n"
           "                       J* <= min over gamma of W(gamma) (token verification)\n"
           "  --gamma-max G        the policy's largest draft length (default: the\n"
           "                       largest in --gamma)\n"
           "  --policy-out FILE    write the policy: .npy (float64, shape (T, V)) or a\n"
           "                       TSV of t, s, gamma, J(t, s)\n"
           "  --runs N             also simulate each row (and the policy) N times and\n"
           "                       report z-scores of calls, draft steps and wall time\n"
           "                       (exit 1 if |z| > Z); default 0: exact only\n"
           "The exact policy costs about T (G^2 + G) V^2 operations and is refused above\n"
           "%.0e.  The simulation tallies each run by (calls, draft steps): at most %zu\n"
           "bins, (T + 1)(T G + 1).\n\n",
           SD_CALLS_MAX_GAMMA, SD_BLOCK_MAX_WORK, SD_CALLS_MAX_WORK,
           (size_t)SD_CALLS_SIM_MAX_HIST);
}

/* One row of the report: exact (NaN when not computed) and simulated. */
typedef struct {
    sd_calls_row x;
    double accepted;      /* block: drafts accepted per call */
    int have_sim;
    sd_calls_estimate e;
    double z_calls, z_steps, z_wall;
    int pass;
} calls_out;

/* Simulate; fills e and the z-scores against the exact row (when
 * finite).  Returns the exit code (0 on success). */
static int simulate(const sd_cli *c, const sd_model *m, sd_calls_verify verify, size_t gamma,
                    const uint16_t *pol, double cost, calls_out *o)
{
    sd_calls_sim S;
    sd_sim sim;
    sd_mc_config cfg;
    sd_mc_result res;
    sd_error err;
    sd_checklist l;
    sd_error_clear(&err);
    if (sd_calls_sim_alloc(&S, m, verify, gamma, pol, &err) != SD_OK)
        return sd_cli_fail(c, &err);
    sim = sd_calls_sim_sim(&S);
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = c->mc.runs;
    cfg.seed = c->mc.seed;
    cfg.threads = c->mc.threads;
    cfg.rng = c->mc.rng;
    cfg.progress = sd_cli_progress;
    cfg.progress_arg = (void *)c;
    if (sd_mc_run(&cfg, sd_calls_sim_hist_size(m, S.gmax) - 1, m->V, &sim, &res, &err) !=
        SD_OK) {
        sd_calls_sim_free(&S);
        return sd_cli_fail(c, &err);
    }
    sd_calls_estimate_from(&res, m->T, cost, &o->e);
    o->have_sim = 1;
    o->pass = 1;
    o->z_calls = o->z_steps = o->z_wall = NAN;
    if (isfinite(o->x.calls)) {
        sd_checklist_init(&l);
        sd_check_mean_bounded(&l, "calls", o->x.calls, o->e.calls, o->e.calls_se,
                              (double)c->mc.runs, (double)m->T, c->mc.z_max, NULL);
        sd_check_mean_bounded(&l, "steps", o->x.draft_steps, o->e.steps, o->e.steps_se,
                              (double)c->mc.runs, (double)m->T * (double)S.gmax, c->mc.z_max, NULL);
        sd_check_mean_bounded(&l, "wall", o->x.wall_time, o->e.wall, o->e.wall_se,
                              (double)c->mc.runs, (double)m->T * (1.0 + cost * (double)S.gmax),
                              c->mc.z_max, NULL);
        if (l.n == 3) {
            o->z_calls = l.v[0].z;
            o->z_steps = l.v[1].z;
            o->z_wall = l.v[2].z;
        }
        o->pass = l.n == 3 && sd_checklist_pass(&l);
        sd_checklist_free(&l);
    }
    sd_mc_result_free(&res);
    sd_calls_sim_free(&S);
    return 0;
}

static void json_row_sim(FILE *f, const calls_out *o)
{
    const sd_kv kv[] = {
        SD_KV_N("sim_calls", o->e.calls),     SD_KV_N("sim_calls_stderr", o->e.calls_se),
        SD_KV_N("sim_draft_steps", o->e.steps), SD_KV_N("sim_draft_steps_stderr", o->e.steps_se),
        SD_KV_N("sim_wall_time", o->e.wall),  SD_KV_N("sim_wall_time_stderr", o->e.wall_se),
        SD_KV_N("z_calls", o->z_calls),       SD_KV_N("z_draft_steps", o->z_steps),
        SD_KV_N("z_wall_time", o->z_wall),    SD_KV_B("pass", o->pass)};
    if (o->have_sim)
        sd_json_members(f, kv, sizeof kv / sizeof kv[0], 1);
    fputc('}', f);
}

static void report(FILE *f, const sd_cli *c, const sd_model *m, const char *verify,
                   double cost, const calls_out *rows, size_t n, const calls_out *pol,
                   size_t gmax, double mean_accept)
{
    size_t i;
    const double T = (double)m->T;
    if (c->format == SD_FMT_JSON) {
        const sd_kv head[] = {SD_KV_S("verify", verify), SD_KV_N("cost", cost)};
        const sd_kv tail[] = {SD_KV_N("mean_acceptance", mean_accept), SD_KV_I("vocab", m->V),
                              SD_KV_I("horizon", m->T), SD_KV_I("runs", c->mc.runs),
                              SD_KV_U("seed", c->mc.seed)};
        fputc('{', f);
        sd_json_members(f, head, 2, 0);
        fputs(",\"rows\":[", f);
        for (i = 0; i < n; i++) {
            const calls_out *o = &rows[i];
            const sd_kv kv[] = {
                SD_KV_I("gamma", o->x.gamma),
                SD_KV_N("expected_calls", o->x.calls),
                SD_KV_N("draft_steps", o->x.draft_steps),
                SD_KV_N("wall_time", o->x.wall_time),
                SD_KV_N("tokens_per_call", o->x.tokens_per_call),
                SD_KV_N("speedup", o->x.speedup),
                SD_KV_N("leviathan_tokens_per_call", o->x.leviathan_tokens_per_call),
                SD_KV_N("leviathan_speedup", o->x.leviathan_speedup),
                SD_KV_N("accepted_per_call", o->accepted)};
            fputs(i ? ",{" : "{", f);
            sd_json_members(f, kv, sizeof kv / sizeof kv[0], 0);
            json_row_sim(f, o);
        }
        fputc(']', f);
        if (pol != NULL) {
            const sd_kv kv[] = {SD_KV_N("wall_time", pol->x.wall_time),
                                SD_KV_N("speedup", T / pol->x.wall_time),
                                SD_KV_N("expected_calls", pol->x.calls),
                                SD_KV_N("draft_steps", pol->x.draft_steps),
                                SD_KV_I("gamma_max", gmax)};
            fputs(",\"policy\":{", f);
            sd_json_members(f, kv, sizeof kv / sizeof kv[0], 0);
            json_row_sim(f, pol);
        }
        sd_json_members(f, tail, rows[0].have_sim ? 5 : 3, 1);
        sd_cli_json_provenance(f, c, rows[0].have_sim);
        fputs("}\n", f);
        return;
    }
    sd_cli_comment_provenance(f, c, rows[0].have_sim);
    fprintf(f, "# verify: %s  cost ratio c: %g  T: %zu  V: %zu  mean acceptance: %.12g\n",
            verify, cost, m->T, m->V, mean_accept);
    if (c->format == SD_FMT_TSV) {
        fputs("gamma\texpected_calls\tdraft_steps\twall_time\ttokens_per_call\tspeedup\t"
              "leviathan_tokens_per_call\tleviathan_speedup\taccepted_per_call\tsim_calls\t"
              "sim_calls_stderr\tsim_wall_time\tsim_wall_time_stderr\n",
              f);
        for (i = 0; i < n; i++) {
            const calls_out *o = &rows[i];
            fprintf(f, "%zu\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t"
                       "%.17g\t%.17g\t%.17g\n",
                    o->x.gamma, o->x.calls, o->x.draft_steps, o->x.wall_time,
                    o->x.tokens_per_call, o->x.speedup, o->x.leviathan_tokens_per_call,
                    o->x.leviathan_speedup, o->accepted, o->have_sim ? o->e.calls : NAN,
                    o->have_sim ? o->e.calls_se : NAN, o->have_sim ? o->e.wall : NAN,
                    o->have_sim ? o->e.wall_se : NAN);
        }
        if (pol != NULL)
            fprintf(f, "# policy (gamma_max %zu): wall_time %.17g speedup %.17g calls %.17g "
                       "draft_steps %.17g\n",
                    gmax, pol->x.wall_time, T / pol->x.wall_time, pol->x.calls,
                    pol->x.draft_steps);
        return;
    }
    fprintf(f, "%5s %12s %12s %12s %10s %9s %10s %9s%s\n", "gamma", "calls", "draft_steps",
            "wall_time", "tok/call", "speedup", "lev_tok/c", "lev_spd",
            rows[0].have_sim ? "   sim_calls (z)   sim_wall (z)" : "");
    for (i = 0; i < n; i++) {
        const calls_out *o = &rows[i];
        fprintf(f, "%5zu %12.6f %12.6f %12.6f %10.5f %9.5f %10.5f %9.5f", o->x.gamma,
                o->x.calls, o->x.draft_steps, o->x.wall_time, o->x.tokens_per_call,
                o->x.speedup, o->x.leviathan_tokens_per_call, o->x.leviathan_speedup);
        if (o->have_sim)
            fprintf(f, "  %9.4f (%+.2f) %9.4f (%+.2f)%s", o->e.calls, o->z_calls, o->e.wall,
                    o->z_wall, o->pass ? "" : "  FAIL");
        fputc('\n', f);
    }
    if (pol != NULL) {
        fprintf(f, "optimal policy (gamma in 1..%zu per round start): wall time %.6f, speed-up "
                   "%.5f, calls %.6f, draft steps %.6f",
                gmax, pol->x.wall_time, T / pol->x.wall_time, pol->x.calls,
                pol->x.draft_steps);
        if (pol->have_sim)
            fprintf(f, "; simulated wall time %.6f +- %.6f (z %+.2f)%s", pol->e.wall,
                    pol->e.wall_se, pol->z_wall, pol->pass ? "" : "  FAIL");
        fputc('\n', f);
    }
}

/* Write the policy; returns the exit code. */
static int write_policy(const sd_cli *c, const char *path, const sd_model *m,
                        const uint16_t *pol, const double *J, size_t gmax, double cost)
{
    const size_t T = m->T, V = m->V;
    sd_error err;
    size_t i, t, s;
    sd_error_clear(&err);
    if (sd_cli_is_npy(path)) {
        size_t shape[2] = {T, V};
        double *d = malloc(T * V * sizeof *d);
        sd_status st;
        if (d == NULL) {
            fprintf(stderr, "%s: out of memory\n", c->prog);
            return 3;
        }
        for (i = 0; i < T * V; i++)
            d[i] = pol[i];
        st = sd_npy_write(path, d, 2, shape, &err);
        free(d);
        return st == SD_OK ? 0 : sd_cli_fail(c, &err);
    }
    {
        sd_cli pc = *c;
        sd_out out;
        int rc;
        pc.output = path;
        if ((rc = sd_out_open(&pc, &out)) != 0)
            return rc;
        sd_cli_comment_provenance(out.f, c, 0);
        fprintf(out.f, "# optimal draft-length policy: gamma(t, s) in 1..%zu, cost ratio %g; "
                       "J = expected remaining wall time from a round start at (t, s)\n",
                gmax, cost);
        fputs("t\ts\tgamma\tJ\n", out.f);
        for (t = 1; t <= T; t++)
            for (s = 0; s < V; s++)
                fprintf(out.f, "%zu\t%zu\t%u\t%.17g\n", t, s, (unsigned)pol[(t - 1) * V + s],
                        J[(t - 1) * V + s]);
        return sd_out_close(&pc, &out, 1);
    }
}

typedef struct {
    size_t gam[CALLS_MAX_LIST], ng, gmax;
    double cost;
    int want_policy;
    const char *verify, *policy_out;
    int block; /* set by check */
} args;

static int check(sd_cli *c, void *arg)
{
    args *a = arg;
    size_t i;
    if (a->ng == 0)
        return sd_cli_usage_error(c, "--gamma LIST is required (e.g. --gamma 1,2,4,8)");
    if (strcmp(a->verify, "token") == 0)
        a->block = 0;
    else if (strcmp(a->verify, "block") == 0)
        a->block = 1;
    else
        return sd_cli_usage_error(c, "--verify: '%s' is not token or block", a->verify);
    if ((a->gmax != 0 || a->policy_out != NULL) && !a->want_policy)
        return sd_cli_usage_error(c, "--gamma-max and --policy-out need --policy");
    if (a->gmax == 0)
        for (i = 0; i < a->ng; i++)
            a->gmax = a->gam[i] > a->gmax ? a->gam[i] : a->gmax;
    return 0;
}

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    const args *a = arg;
    const size_t *gam = a->gam, ng = a->ng, gmax = a->gmax;
    const double cost = a->cost;
    const int want_policy = a->want_policy, block = a->block;
    const char *policy_out = a->policy_out;
    sd_error err;
    size_t i;
    double mean_accept = NAN;
    int rc = 0, all_pass = 1;
    calls_out *rows = NULL, pol;
    uint16_t *policy = NULL;
    double *J = NULL;
    sd_out out;

    /* refuse what cannot be done before doing any of it */
    sd_error_clear(&err);
    for (i = 0; i < ng; i++) {
        if (block && sd_block_cost(m, gam[i]) > SD_BLOCK_MAX_WORK && c->mc.runs == 0) {
            double cst = sd_block_cost(m, gam[i]);
            size_t V = m->V, T = m->T;
                        return sd_cli_usage_error(c, "--verify block --gamma %zu: exact block "
                                          "verification enumerates the V^gamma blocks of "
                                          "every round start, about %.3g operations for "
                                          "V = %zu, T = %zu: above the limit of %.0e (add "
                                          "--runs N to simulate instead)",
                                      gam[i], cst, V, T, SD_BLOCK_MAX_WORK);
        }
        if (c->mc.runs > 0) {
            size_t g = gam[i] < m->T ? gam[i] : m->T, hs = sd_calls_sim_hist_size(m, g);
            if (hs == 0 || hs > SD_CALLS_SIM_MAX_HIST) {
                size_t T = m->T;
                                return sd_cli_usage_error(c, "--runs with --gamma %zu on T = %zu: the "
                                              "simulation's (calls, draft steps) histogram "
                                              "needs (T+1)(T gamma+1) bins, above the limit "
                                              "of %zu", gam[i], T,
                                          (size_t)SD_CALLS_SIM_MAX_HIST);
            }
        }
    }
    if (want_policy && sd_calls_policy_cost(m, gmax) > SD_CALLS_MAX_WORK) {
        double cst = sd_calls_policy_cost(m, gmax);
        size_t V = m->V, T = m->T;
                return sd_cli_usage_error(c, "--policy with gamma_max = %zu on V = %zu, T = %zu: "
                                      "about %.3g operations, above the limit of %.0e",
                                  gmax, V, T, cst, SD_CALLS_MAX_WORK);
    }
    rows = calloc(ng, sizeof *rows);
    if (want_policy) {
        policy = malloc(m->T * m->V * sizeof *policy);
        J = malloc((m->T + 1) * m->V * sizeof *J);
    }
    if (rows == NULL || (want_policy && (policy == NULL || J == NULL))) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        rc = 3;
        goto done;
    }
    for (i = 0; i < ng && rc == 0; i++) {
        calls_out *o = &rows[i];
        sd_calls_row tok;
        sd_status st = sd_calls_exact(m, gam[i], cost, &tok, NULL, &err);
        if (st != SD_OK) {
            rc = sd_cli_fail(c, &err);
            break;
        }
        mean_accept = tok.mean_accept;
        o->accepted = NAN;
        if (!block) {
            o->x = tok;
        } else if (sd_block_cost(m, gam[i]) <= SD_BLOCK_MAX_WORK) {
            st = sd_block_exact(m, gam[i], cost, &o->x, &o->accepted, &err);
            if (st != SD_OK) {
                rc = sd_cli_fail(c, &err);
                break;
            }
        } else {
            o->x.gamma = gam[i];
            o->x.calls = o->x.draft_steps = o->x.wall_time = NAN;
            o->x.tokens_per_call = o->x.speedup = NAN;
        }
        o->x.leviathan_tokens_per_call = tok.leviathan_tokens_per_call;
        o->x.leviathan_speedup = tok.leviathan_speedup;
        if (c->mc.runs > 0) {
            rc = simulate(c, m, block ? SD_CALLS_BLOCK : SD_CALLS_TOKEN, gam[i], NULL, cost,
                          o);
            all_pass &= o->pass;
        }
    }
    if (rc == 0 && want_policy) {
        /* a fixed policy's wall time is calls + c steps: its values at
         * c = 0 and c = 1 give both counts */
        double calls0, w1;
        memset(&pol, 0, sizeof pol);
        if (sd_calls_optimal(m, gmax, cost, policy, J, &pol.x.wall_time, &err) != SD_OK ||
            sd_calls_policy_value(m, policy, 0.0, &calls0, &err) != SD_OK ||
            sd_calls_policy_value(m, policy, 1.0, &w1, &err) != SD_OK) {
            rc = sd_cli_fail(c, &err);
        } else {
            pol.x.calls = calls0;
            pol.x.draft_steps = w1 - calls0;
            pol.x.gamma = gmax;
            if (rc == 0 && c->mc.runs > 0) {
                rc = simulate(c, m, SD_CALLS_TOKEN, 0, policy, cost, &pol);
                all_pass &= pol.pass;
            }
            if (rc == 0 && policy_out != NULL)
                rc = write_policy(c, policy_out, m, policy, J, gmax, cost);
        }
    }
    if (rc == 0 && (rc = sd_out_open(c, &out)) == 0) {
        report(out.f, c, m, block ? "block" : "token", cost, rows, ng,
               want_policy ? &pol : NULL, gmax, mean_accept);
        rc = sd_out_close(c, &out, 1);
    }
done:
    free(rows);
    free(policy);
    free(J);
    return rc != 0 ? rc : (all_pass ? 0 : 1);
}

int sd_cmd_calls(int argc, char **argv)
{
    args a;
    const sd_arg opts[] = {
        {"gamma", SD_ARG_SIZE_LIST, a.gam, &a.ng, CALLS_MAX_LIST, 1, SD_CALLS_MAX_GAMMA, NULL,
         NULL},
        {"verify", SD_ARG_STRING, &a.verify, NULL, 0, 0, 0, NULL, NULL},
        {"cost", SD_ARG_DOUBLE, &a.cost, NULL, 0, 0.0, 1e300, NULL, NULL},
        {"policy", SD_ARG_FLAG, &a.want_policy, NULL, 1, 0, 0, NULL, NULL},
        {"gamma-max", SD_ARG_SIZE, &a.gmax, NULL, 1, 0, SD_CALLS_MAX_GAMMA, NULL, NULL},
        {"policy-out", SD_ARG_OUTPUT, &a.policy_out, NULL, 0, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"specdec calls", help,
                          SD_PROG_MODEL | SD_PROG_MC | SD_PROG_OUTPUT, 0, 1, 0, 0, opts, check,
                          run};
    memset(&a, 0, sizeof a);
    a.verify = "token";
    return sd_prog_run(&prog, argc, argv, &a);
}
