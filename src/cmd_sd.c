/* cmd_sd.c - specdec random, rejections and simulate. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "exact.h"
#include "rule.h"
#include "sim_sd.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Upper limit on T^2 V^2 for the exact law of N_rej (--pmf). */
#define PMF_MAX_WORK 4e10

static int version(const char *prog)
{
    printf("%s (specdec) %s\n", prog, PACKAGE_VERSION);
    return 0;
}

/* ---- specdec random ---------------------------------------------------- */

enum { OPT_VOCAB = SD_OPT_FIRST_LOCAL, OPT_DRAFT_OUT, OPT_TARGET_OUT, OPT_ALGO, OPT_DRAFTS,
       OPT_PMF, OPT_CONTROL };

static void random_help(void)
{
    printf("Usage: specdec random --vocab V --horizon T --draft-out FILE --target-out FILE\n"
           "                      [--family paper|dirichlet] [--alpha A] [--stationary]\n"
           "                      [--seed S]\n"
           "Write a random draft/target pair of chains (SPEC.md section 5) as float64 .npy\n"
           "files: shape (T,V,V), or (V,V) with --stationary.\n\n"
           "  --vocab V            number of states (tokens), at least 1\n"
           "  --horizon T          number of generated tokens, at least 1\n"
           "  --family NAME        'paper': rows of i.i.d. U(0,1) entries normalised to sum 1\n"
           "                       (default); 'dirichlet': rows ~ Dirichlet(alpha)\n"
           "  --alpha A            Dirichlet parameter (default 1)\n"
           "  --stationary         one kernel for every t\n"
           "  --seed S             generator seed (default 1); draft rows are drawn first,\n"
           "                       then target rows, from stream (S, 0) of xoshiro256ss\n"
           "  --draft-out FILE     where to write the draft kernels\n"
           "  --target-out FILE    where to write the target kernels\n"
           "  --help, --version\n");
}

int sd_cmd_random(int argc, char **argv)
{
    static const struct option opts[] = {
        {"vocab", required_argument, 0, OPT_VOCAB},
        {"horizon", required_argument, 0, SD_OPT_HORIZON},
        {"family", required_argument, 0, SD_OPT_FAMILY},
        {"alpha", required_argument, 0, SD_OPT_ALPHA},
        {"stationary", no_argument, 0, SD_OPT_STATIONARY},
        {"seed", required_argument, 0, SD_OPT_MODEL_SEED},
        {"draft-out", required_argument, 0, OPT_DRAFT_OUT},
        {"target-out", required_argument, 0, OPT_TARGET_OUT},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_error err;
    const char *dout = NULL, *tout = NULL;
    size_t V = 0;
    int opt, r;

    sd_cli_init(&c, "specdec random", argc, argv, 0);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': random_help(); return 0;
        case 'V': return version(c.prog);
        case OPT_VOCAB:
            if (sd_cli_size(&c, "--vocab", optarg, 1, &V))
                return 2;
            break;
        case OPT_DRAFT_OUT: dout = optarg; break;
        case OPT_TARGET_OUT: tout = optarg; break;
        case '?': return sd_cli_usage_error(&c, "bad option");
        default:
            r = sd_cli_option(&c, opt, optarg);
            if (r < 0)
                return 2;
            break;
        }
    }
    if (optind < argc)
        return sd_cli_usage_error(&c, "unexpected argument '%s'", argv[optind]);
    if (V == 0 || c.horizon == 0 || dout == NULL || tout == NULL)
        return sd_cli_usage_error(&c, "--vocab, --horizon, --draft-out and --target-out "
                                      "are required");
    if (strcmp(dout, tout) == 0)
        return sd_cli_usage_error(&c, "--draft-out and --target-out name the same file");
    sd_error_clear(&err);
    if (sd_model_random(&m, V, c.horizon, (sd_family)c.family, c.alpha, c.stationary,
                        c.model_seed, &err) != SD_OK)
        return sd_cli_fail(&c, &err);
    if (sd_model_save(&m, dout, tout, &err) != SD_OK) {
        sd_model_free(&m);
        remove(dout);
        return sd_cli_fail(&c, &err);
    }
    sd_model_free(&m);
    return 0;
}

/* ---- shared by rejections and simulate ---------------------------------- */

/* Largest sd_rule_cost the command accepts: about a minute or two. */
#define ALGO_MAX_WORK 1e11

/* Refuse (exit 2) an algorithm/M whose exact computation would take
 * far too long; 0 if fine. */
static int refuse_cost(const sd_cli *c, const sd_model *m, const sd_rule_type *algo, size_t M)
{
    const char *formula;
    double cost = sd_rule_cost(algo, m, M, &formula);
    if (cost <= ALGO_MAX_WORK)
        return 0;
    fprintf(stderr,
            "%s: --algo %s --drafts %zu on V = %zu, T = %zu costs about %s = %.3g "
            "operations, over the limit of %.0e (minutes to hours of computing): use "
            "fewer drafts or a smaller model\n",
            c->prog, algo->name, M, m->V, m->T, formula, cost, ALGO_MAX_WORK);
    return 2;
}

static double speedup(double T, double E)
{
    return E > 0 ? T / E : INFINITY;
}

/* ---- specdec rejections -------------------------------------------------- */

static void rejections_help(void)
{
    char names[256];
    printf("Usage: specdec rejections MODEL [--algo %s]\n"
           "                          [--drafts M]\n"
           "                          [--pmf] [--format table|json|tsv] [--output FILE]\n"
           "Exact expected number of rejections E[N_rej] of decoding the target chain with\n"
           "the draft chain (SPEC.md 1; Theorem 1 for sd), its variance, the speed-up\n"
           "T / E[N_rej] and, with --pmf, the whole law of N_rej.\n\n",
           sd_rule_names(names, sizeof names, "|", 0));
    sd_cli_help_rules(stdout, 0, &sd_rule_sd, "; SPEC.md 3, 6");
    printf("  --drafts M           drafts per round for multi-draft algorithms (default 1)\n"
           "  --pmf                also the law P(N_rej = c), c = 0..T (sd; T^2 V^2 <= 4e10)\n"
           "An exact computation estimated above 1e11 operations (e.g. --algo tree with\n"
           "a very large --drafts: T V^2 M^3) is refused with exit status 2.\n\n");
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_output, stdout);
}

int sd_cmd_rejections(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_OUTPUT_OPTIONS,
        {"algo", required_argument, 0, OPT_ALGO},
        {"drafts", required_argument, 0, OPT_DRAFTS},
        {"pmf", no_argument, 0, OPT_PMF},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_error err;
    const sd_rule_type *algo = &sd_rule_sd;
    size_t M = 1;
    int opt, r, want_pmf = 0, rc;
    char names[256];
    double mean, var, *pmf = NULL;
    sd_out out;

    sd_cli_init(&c, "specdec rejections", argc, argv, 0);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': rejections_help(); return 0;
        case 'V': return version(c.prog);
        case OPT_ALGO:
            if (sd_cli_rule(&c, optarg, 0, &algo))
                return 2;
            break;
        case OPT_DRAFTS:
            if (sd_cli_size(&c, "--drafts", optarg, 1, &M))
                return 2;
            break;
        case OPT_PMF: want_pmf = 1; break;
        case '?': return sd_cli_usage_error(&c, "bad option");
        default:
            r = sd_cli_option(&c, opt, optarg);
            if (r < 0)
                return 2;
            break;
        }
    }
    if (sd_cli_finish(&c, argc, argv, 1, 0, 0))
        return 2;
    if (want_pmf && !(algo->flags & SD_RULE_VARIANCE))
        return sd_cli_usage_error(&c, "--pmf is available for --algo %s only",
                                  sd_rule_names(names, sizeof names, ", ", SD_RULE_VARIANCE));
    if ((rc = sd_cli_load_model(&c, &m)) != 0)
        return rc;
    if ((rc = refuse_cost(&c, &m, algo, M)) != 0) {
        sd_model_free(&m);
        return rc;
    }
    sd_error_clear(&err);
    if (sd_rule_exact(algo, &m, M, &mean, &var, &err) != SD_OK) {
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    if (want_pmf) {
        pmf = malloc((m.T + 1) * sizeof *pmf);
        if (pmf == NULL || sd_exact_sd_pmf(&m, pmf, PMF_MAX_WORK, &err) != SD_OK) {
            if (pmf == NULL)
                sd_error_set(&err, SD_ENOMEM, "out of memory");
            free(pmf);
            sd_model_free(&m);
            return sd_cli_fail(&c, &err);
        }
    }
    if ((rc = sd_out_open(&c, &out)) == 0) {
        sd_kv kv[] = {
            SD_KV_S("algo", algo->name),
            SD_KV_I("drafts", M),
            SD_KV_I("vocab", m.V),
            SD_KV_I("horizon", m.T),
            SD_KV_N("expected_rejections", mean),
            SD_KV_N("variance", var),
            SD_KV_N("speedup", speedup((double)m.T, mean)),
            SD_KV_A("pmf", pmf, pmf ? m.T + 1 : 0),
        };
        sd_report_kv(out.f, &c, kv, pmf ? 8 : 7, 0);
        rc = sd_out_close(&c, &out, 1);
    }
    free(pmf);
    sd_model_free(&m);
    return rc;
}

/* The control index of name for algo (0 for "none"), or -1 after a
 * usage message. */
static int control_arg(const sd_cli *c, const sd_rule_type *algo, const char *name)
{
    const sd_rule_type *const *r;
    char names[256] = "";
    int k = sd_rule_control_parse(algo, name);
    if (k >= 0)
        return k;
    if (algo->controls == NULL) {
        for (r = sd_rules; *r != NULL; r++)
            if ((*r)->controls != NULL)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         names[0] != '\0' ? ", " : "", (*r)->name);
        sd_cli_usage_error(c, "--control is available for --algo %s only", names);
        return -1;
    }
    for (k = 0; algo->controls[k] != NULL; k++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                 algo->controls[k + 1] != NULL ? ", " : " or ", algo->controls[k]);
    sd_cli_usage_error(c, "--control: '%s' is not none%s", name, names);
    return -1;
}

/* ---- specdec simulate ---------------------------------------------------- */

static void simulate_help(void)
{
    char names[256];
    printf("Usage: specdec simulate MODEL [--algo %s]\n"
           "                        [--drafts M]\n"
           "                        [--runs N] [--seed S] [--threads K] [--z Z]\n"
           "Simulate the decoding algorithm itself N times and compare the mean number of\n"
           "rejections with the exact value: z = (mean - exact) / stderr, pass iff |z| <= Z.\n\n",
           sd_rule_names(names, sizeof names, "|", 0));
    sd_cli_help_rules(stdout, 0, &sd_rule_sd, "; SPEC.md 3, 6");
    printf("  --drafts M           drafts per round for multi-draft algorithms (default 1)\n"
           "  --control C          a deliberately wrong algorithm, to see a check fail:\n"
           "                       resample-q (draw from Q after a rejection) or\n"
           "                       accept-p-over-q (accept with min(1, P/Q)); sd only\n"
           "  --runs N             simulated runs (default 100000)\n"
           "The exact value is computed first; above 1e11 estimated operations (e.g.\n"
           "--algo tree with a very large --drafts) the command refuses (exit 2).\n\n");
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_mc, stdout);
    fputs(sd_cli_help_output, stdout);
}

int sd_cmd_simulate(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_MC_OPTIONS, SD_CLI_OUTPUT_OPTIONS,
        {"algo", required_argument, 0, OPT_ALGO},
        {"drafts", required_argument, 0, OPT_DRAFTS},
        {"control", required_argument, 0, OPT_CONTROL},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_error err;
    const sd_rule_type *algo = &sd_rule_sd;
    const char *control_name = "none";
    size_t M = 1, control;
    int opt, r, rc, pass;
    double exact, var;
    sd_rule_sim *as = NULL;
    sd_sim sim;
    sd_mc_config cfg;
    sd_mc_result res;
    sd_out out;

    sd_cli_init(&c, "specdec simulate", argc, argv, 100000);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': simulate_help(); return 0;
        case 'V': return version(c.prog);
        case OPT_ALGO:
            if (sd_cli_rule(&c, optarg, 0, &algo))
                return 2;
            break;
        case OPT_DRAFTS:
            if (sd_cli_size(&c, "--drafts", optarg, 1, &M))
                return 2;
            break;
        case OPT_CONTROL: control_name = optarg; break;
        case '?': return sd_cli_usage_error(&c, "bad option");
        default:
            r = sd_cli_option(&c, opt, optarg);
            if (r < 0)
                return 2;
            break;
        }
    }
    if (sd_cli_finish(&c, argc, argv, 1, 0, 0))
        return 2;
    if ((r = control_arg(&c, algo, control_name)) < 0)
        return 2;
    control = (size_t)r;
    if ((rc = sd_cli_load_model(&c, &m)) != 0)
        return rc;
    if ((rc = refuse_cost(&c, &m, algo, M)) != 0) {
        sd_model_free(&m);
        return rc;
    }
    sd_error_clear(&err);
    if (sd_rule_exact(algo, &m, M, &exact, &var, &err) != SD_OK ||
        sd_rule_sim_alloc(&as, algo, &m, M, control, &err) != SD_OK) {
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    sim = sd_rule_sim_get(as);
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = c.runs;
    cfg.seed = c.seed;
    cfg.threads = c.threads;
    cfg.rng = c.rng;
    cfg.progress = sd_cli_progress;
    cfg.progress_arg = &c;
    if (sd_mc_run(&cfg, m.T, m.V, &sim, &res, &err) != SD_OK) {
        sd_rule_sim_free(as);
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    {
        sd_checklist l;
        sd_checklist_init(&l);
        if (sd_check_mean_bounded(&l, "mean", exact, res.mean, res.stderr_mean,
                                   (double)res.runs, (double)res.T, c.z, &err) != SD_OK) {
            sd_mc_result_free(&res);
            sd_rule_sim_free(as);
            sd_model_free(&m);
            return sd_cli_fail(&c, &err);
        }
        pass = l.v[0].pass;
        if ((rc = sd_out_open(&c, &out)) == 0) {
            sd_kv kv[] = {
                SD_KV_S("algo", algo->name),
                SD_KV_I("drafts", M),
                SD_KV_I("runs", res.runs),
                SD_KV_I("seed", c.seed),
                SD_KV_N("mean", res.mean),
                SD_KV_N("stderr", res.stderr_mean),
                SD_KV_N("exact", exact),
                SD_KV_N("z", l.v[0].z),
                SD_KV_B("pass", pass),
                SD_KV_N("z_max", c.z),
                SD_KV_N("sample_variance", res.var),
                SD_KV_N("exact_variance", var),
                SD_KV_S("control", sd_rule_control_name(algo, control)),
                SD_KV_I("vocab", m.V),
                SD_KV_I("horizon", m.T),
            };
            sd_report_kv(out.f, &c, kv, sizeof kv / sizeof kv[0], 1);
            rc = sd_out_close(&c, &out, 1);
        }
        sd_checklist_free(&l);
    }
    sd_mc_result_free(&res);
    sd_rule_sim_free(as);
    sd_model_free(&m);
    return rc != 0 ? rc : (pass ? 0 : 1);
}
