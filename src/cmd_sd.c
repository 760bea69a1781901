/* cmd_sd.c - specdec random, rejections and simulate. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo.h"
#include "cli.h"
#include "cmds.h"
#include "exact.h"

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
           "Write a random draft/target pair of chains (doc/theory.md §1, §5) as\n"
           "float64 .npy files: shape (T,V,V), or (V,V) with --stationary.\n\n"
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
        case '?': return sd_cli_bad_option(&c, argv);
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
    if (sd_cli_same_path(dout, tout))
        return sd_cli_usage_error(&c, "--draft-out '%s' and --target-out '%s' name the same "
                                  "file", dout, tout);
    if (sd_cli_check_output(&c, "--draft-out", dout, NULL, 0) != 0 ||
        sd_cli_check_output(&c, "--target-out", tout, NULL, 0) != 0)
        return 2;
    {
        /* the kernels in memory, and the same again as the files' contents */
        double kern = (double)V * (double)V * (c.stationary ? 1.0 : (double)c.horizon);
        char what[96];
        snprintf(what, sizeof what, "a model with V = %zu, T = %zu%s", V, c.horizon,
                 c.stationary ? " (stationary)" : "");
        if (sd_cli_refuse_memory(&c, 2.0 * kern * sizeof(double), what) != 0)
            return 2;
    }
    sd_error_clear(&err);
    if (sd_model_random(&m, V, c.horizon, (sd_family)c.family, c.alpha, c.stationary,
                        c.model_seed, &err) != SD_OK)
        return sd_cli_fail(&c, &err);
    if (sd_model_save(&m, dout, tout, &err) != SD_OK) {
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    sd_model_free(&m);
    return 0;
}

/* ---- shared by rejections and simulate ---------------------------------- */

static int parse_algo(sd_cli *c, const char *arg, sd_algo *algo)
{
    int a = sd_algo_parse(arg);
    if (a < 0)
        return sd_cli_usage_error(c, "--algo: unknown algorithm '%s' (sd, batch, tree, kseq, "
                                  "kseq-tree, ersd)",
                                  arg);
    *algo = (sd_algo)a;
    return 0;
}

/* Refuse (exit 2) an algorithm/M whose exact computation would take
 * far too long; 0 if fine. */
static int refuse_cost(const sd_cli *c, const sd_model *m, sd_algo algo, size_t M)
{
    return sd_cli_refuse_cost(c, m, (int)algo, M, SD_CLI_MAX_WORK);
}

/* --drafts M: 1 <= M <= SD_CLI_MAX_DRAFTS; 0 or prints and returns 2. */
static int parse_drafts(const sd_cli *c, const char *arg, size_t *M)
{
    if (sd_cli_size(c, "--drafts", arg, 1, M))
        return 2;
    if (*M > SD_CLI_MAX_DRAFTS)
        return sd_cli_usage_error(c, "--drafts: at most %d, got %s", SD_CLI_MAX_DRAFTS, arg);
    return 0;
}

/* --drafts with --algo sd (one draft per round by definition): refused
 * unless it says 1, rather than silently ignored. */
static int refuse_sd_drafts(const sd_cli *c, sd_algo algo, size_t M)
{
    if (algo == SD_ALGO_SD && M != 1)
        return sd_cli_usage_error(c, "--drafts %zu: speculative decoding (--algo sd) verifies "
                                  "one draft per round; choose a multi-draft --algo (batch, "
                                  "tree, kseq, kseq-tree, ersd)", M);
    return 0;
}

static double speedup(double T, double E)
{
    return E > 0 ? T / E : INFINITY;
}

/* ---- specdec rejections -------------------------------------------------- */

static void rejections_help(void)
{
    printf("Usage: specdec rejections MODEL [--algo sd|batch|tree|kseq|kseq-tree|ersd]\n"
           "                          [--drafts M]\n"
           "                          [--pmf] [--format table|json|tsv] [--output FILE]\n"
           "Exact expected number of rejections E[N_rej] of decoding the target chain with\n"
           "the draft chain (Theorem 1 for sd; doc/theory.md §1), its variance, the\n"
           "speed-up T / E[N_rej] and, with --pmf, the whole law of N_rej.\n\n"
           "  --algo A             sd (default), batch (RRS at round starts), tree (RRS\n"
           "                       over live drafts), kseq (SpecTr K-SEQ at round\n"
           "                       starts), kseq-tree (K-SEQ over live drafts), ersd\n"
           "                       (exponential races at round starts);\n"
           "                       doc/theory.md §3, §6\n"
           "  --drafts M           drafts per round for multi-draft algorithms (default 1)\n"
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
    sd_algo algo = SD_ALGO_SD;
    size_t M = 1;
    int opt, r, want_pmf = 0, rc, drafts_given = 0;
    double mean, var, *pmf = NULL;
    sd_out out;

    sd_cli_init(&c, "specdec rejections", argc, argv, 0);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': rejections_help(); return 0;
        case 'V': return version(c.prog);
        case OPT_ALGO:
            if (parse_algo(&c, optarg, &algo))
                return 2;
            break;
        case OPT_DRAFTS:
            if (parse_drafts(&c, optarg, &M))
                return 2;
            drafts_given = 1;
            break;
        case OPT_PMF: want_pmf = 1; break;
        case '?': return sd_cli_bad_option(&c, argv);
        default:
            r = sd_cli_option(&c, opt, optarg);
            if (r < 0)
                return 2;
            break;
        }
    }
    if (sd_cli_finish(&c, argc, argv, 1, 0, 0))
        return 2;
    if (want_pmf && algo != SD_ALGO_SD)
        return sd_cli_usage_error(&c, "--pmf is available for --algo sd only");
    if (drafts_given && refuse_sd_drafts(&c, algo, M))
        return 2;
    if ((rc = sd_cli_load_model(&c, &m)) != 0)
        return rc;
    if ((rc = refuse_cost(&c, &m, algo, M)) != 0) {
        sd_model_free(&m);
        return rc;
    }
    if (want_pmf && (double)m.T * m.T * m.V * m.V > PMF_MAX_WORK) {
        fprintf(stderr, "%s: --pmf on V = %zu, T = %zu costs T^2 V^2 = %.3g operations, "
                        "over the limit of %.0e: use a shorter --horizon\n",
                c.prog, m.V, m.T, (double)m.T * m.T * m.V * m.V, PMF_MAX_WORK);
        sd_model_free(&m);
        return 2;
    }
    sd_error_clear(&err);
    if (sd_algo_exact(&m, algo, M, &mean, &var, &err) != SD_OK) {
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
            SD_KV_S("algo", sd_algo_name(algo)),
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

/* ---- specdec simulate ---------------------------------------------------- */

static void simulate_help(void)
{
    printf("Usage: specdec simulate MODEL [--algo sd|batch|tree|kseq|kseq-tree|ersd]\n"
           "                        [--drafts M]\n"
           "                        [--runs N] [--seed S] [--threads K] [--z Z]\n"
           "Simulate the decoding algorithm itself N times and compare the mean number of\n"
           "rejections with the exact value: z = (mean - exact) / stderr, pass iff |z| <= Z.\n\n"
           "  --algo A             sd (default), batch (RRS at round starts), tree (RRS\n"
           "                       over live drafts), kseq (SpecTr K-SEQ at round\n"
           "                       starts), kseq-tree (K-SEQ over live drafts), ersd\n"
           "                       (exponential races at round starts);\n"
           "                       doc/theory.md §3, §6\n"
           "  --drafts M           drafts per round for multi-draft algorithms (default 1)\n"
           "  --control C          a deliberately wrong algorithm, to see a check fail:\n"
           "                       resample-q (draw from Q after a rejection) or\n"
           "                       accept-p-over-q (accept with min(1, P/Q)); sd only\n"
           "The default is 100000 runs.  With one run there is no standard error: z,\n"
           "stderr and sample_variance are reported as undefined (null, '-') and the check\n"
           "asks whether one run is plausible (README, \"Two rules\").  The exact value is computed first; above 1e11 estimated operations (e.g.\n"
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
    sd_algo algo = SD_ALGO_SD;
    sd_sim_variant variant = SD_SIM_CORRECT;
    size_t M = 1;
    int opt, r, rc, pass, drafts_given = 0;
    double exact, var;
    sd_algo_sim *as = NULL;
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
            if (parse_algo(&c, optarg, &algo))
                return 2;
            break;
        case OPT_DRAFTS:
            if (parse_drafts(&c, optarg, &M))
                return 2;
            drafts_given = 1;
            break;
        case OPT_CONTROL:
            r = sd_sim_variant_parse(optarg);
            if (r < 0)
                return sd_cli_usage_error(&c, "--control: '%s' is not none, resample-q or "
                                              "accept-p-over-q", optarg);
            variant = (sd_sim_variant)r;
            break;
        case '?': return sd_cli_bad_option(&c, argv);
        default:
            r = sd_cli_option(&c, opt, optarg);
            if (r < 0)
                return 2;
            break;
        }
    }
    if (sd_cli_finish(&c, argc, argv, 1, 0, 0))
        return 2;
    if (variant != SD_SIM_CORRECT && algo != SD_ALGO_SD)
        return sd_cli_usage_error(&c, "--control is available for --algo sd only");
    if (drafts_given && refuse_sd_drafts(&c, algo, M))
        return 2;
    if ((rc = sd_cli_load_model(&c, &m)) != 0)
        return rc;
    {
        /* the model and the simulation's sampling tables (alias and
         * threshold tables, about three words per entry of each chain) */
        double entries = (double)m.V * m.V * (double)(m.nP > m.nQ ? m.nP : m.nQ);
        if (sd_cli_refuse_memory(&c, entries * 8.0 * (2.0 + 6.0) * (algo == SD_ALGO_SD ? 1 : 2),
                                 "the simulation") != 0) {
            sd_model_free(&m);
            return 2;
        }
    }
    if ((rc = refuse_cost(&c, &m, algo, M)) != 0) {
        sd_model_free(&m);
        return rc;
    }
    sd_error_clear(&err);
    if (sd_algo_exact(&m, algo, M, &exact, &var, &err) != SD_OK ||
        sd_algo_sim_alloc(&as, &m, algo, M, variant, &err) != SD_OK) {
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    sim = sd_algo_sim_get(as);
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = c.runs;
    cfg.seed = c.seed;
    cfg.threads = c.threads;
    cfg.rng = c.rng;
    cfg.progress = sd_cli_progress;
    cfg.progress_arg = &c;
    if (sd_mc_run(&cfg, m.T, m.V, &sim, &res, &err) != SD_OK) {
        sd_algo_sim_free(as);
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    {
        sd_checklist l;
        sd_checklist_init(&l);
        if (sd_check_mean_bounded(&l, "mean", exact, res.mean, res.stderr_mean,
                                   (double)res.runs, (double)res.T, c.z, &err) != SD_OK) {
            sd_mc_result_free(&res);
            sd_algo_sim_free(as);
            sd_model_free(&m);
            return sd_cli_fail(&c, &err);
        }
        pass = l.v[0].pass;
        if ((rc = sd_out_open(&c, &out)) == 0) {
            /* one run has no spread: stderr, z and the sample variance are
             * undefined, and the verdict is the plausibility rule's */
            int one = res.runs < 2;
            sd_kv kv[] = {
                SD_KV_S("algo", sd_algo_name(algo)),
                SD_KV_I("drafts", M),
                SD_KV_I("runs", res.runs),
                SD_KV_U("seed", c.seed),
                SD_KV_N("mean", res.mean),
                SD_KV_N("stderr", one ? NAN : res.stderr_mean),
                SD_KV_N("exact", exact),
                SD_KV_N("z", one ? NAN : l.v[0].z),
                SD_KV_B("pass", pass),
                SD_KV_N("z_max", c.z),
                SD_KV_N("sample_variance", one ? NAN : res.var),
                SD_KV_N("exact_variance", var),
                SD_KV_S("control", sd_sim_variant_name(variant)),
                SD_KV_I("vocab", m.V),
                SD_KV_I("horizon", m.T),
                SD_KV_S("note", one ? "one run: no standard error, z or sample variance; the "
                                      "verdict asks whether a single run is plausible"
                                    : ""),
            };
            sd_report_kv(out.f, &c, kv, sizeof kv / sizeof kv[0] - (one ? 0 : 1), 1);
            rc = sd_out_close(&c, &out, 1);
        }
        sd_checklist_free(&l);
    }
    sd_mc_result_free(&res);
    sd_algo_sim_free(as);
    sd_model_free(&m);
    return rc != 0 ? rc : (pass ? 0 : 1);
}
