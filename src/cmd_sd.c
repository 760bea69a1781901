/* cmd_sd.c - specdec random, rejections and simulate. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "par.h"
#include "exact.h"
#include "prog.h"
#include "rule.h"

/* Upper limit on T^2 V^2 for the exact law of N_rej (--pmf). */
#define PMF_MAX_WORK 4e10

/* ---- specdec random ---------------------------------------------------- */

static void random_help(void)
{
    printf("Usage: specdec random --vocab V --horizon T --draft-out FILE --target-out FILE\n"
           "                      [--family paper|dirichlet] [--alpha A] [--stationary]\n"
           "                      [--seed S]\n"
           "Write a random draft/target pair of chains (doc/theory.md §5) as float64 .npy\n"
           "files: shape (T,V,V), or (V,V) with --stationary (T > 1).\n\n"
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

typedef struct {
    size_t V;
    const char *dout, *tout;
} random_args;

static int random_check(sd_cli *c, void *arg)
{
    const random_args *a = arg;
    if (a->V == 0 || c->horizon == 0 || a->dout == NULL || a->tout == NULL)
        return sd_cli_usage_error(c, "--vocab, --horizon, --draft-out and --target-out "
                                     "are required");
    {
        /* the kernels in memory: draft and target */
        double kern = (double)a->V * (double)a->V * (c->stationary ? 1.0 : (double)c->horizon);
        char what[96];
        snprintf(what, sizeof what, "a model with V = %zu, T = %zu%s", a->V, c->horizon,
                 c->stationary ? " (stationary)" : "");
        if (sd_cli_refuse_memory(c, 2.0 * kern * sizeof(double), what) != 0)
            return 2;
    }
    return 0;
}

static int random_run(sd_cli *c, const sd_model *unused, void *arg)
{
    const random_args *a = arg;
    sd_model m;
    sd_error err;
    (void)unused;
    sd_error_clear(&err);
    if (sd_model_random(&m, a->V, c->horizon, (sd_family)c->family, c->alpha, c->stationary,
                        c->model_seed, &err) != SD_OK)
        return sd_cli_fail(c, &err);
    /* one writer in an MPI job: rank 0 (the job's exit status is agreed) */
    if (sd_par_rank() == 0 && sd_model_save(&m, a->dout, a->tout, &err) != SD_OK) {
        sd_model_free(&m);
        return sd_cli_fail(c, &err);
    }
    sd_model_free(&m);
    return 0;
}

int sd_cmd_random(int argc, char **argv)
{
    random_args a = {0, NULL, NULL};
    sd_cli c;
    const sd_arg opts[] = {
        {"vocab", SD_ARG_SIZE, &a.V, NULL, 1, 0, 0, NULL, NULL},
        {"horizon", SD_ARG_SIZE, &c.horizon, NULL, 1, 0, 0, NULL, NULL},
        {"family", SD_ARG_SHARED, NULL, NULL, SD_OPT_FAMILY, 0, 0, NULL, NULL},
        {"alpha", SD_ARG_DOUBLE, &c.alpha, NULL, 0, 1e-300, 1e300, NULL, NULL},
        {"stationary", SD_ARG_FLAG, &c.stationary, NULL, 1, 0, 0, NULL, NULL},
        {"seed", SD_ARG_U64, &c.model_seed, NULL, 0, 0, 0, NULL, NULL},
        {"draft-out", SD_ARG_OUTPUT, &a.dout, NULL, 0, 0, 0, NULL, NULL},
        {"target-out", SD_ARG_OUTPUT, &a.tout, NULL, 0, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"specdec random", random_help, 0, 0, 0, 0, 0, opts, random_check,
                          random_run};
    return sd_prog_main(&prog, &c, argc, argv, &a);
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

/* --drafts: at most SD_CLI_MAX_DRAFTS, and not M > 1 with a rule that
 * verifies one draft per round (Algorithm SD); 0 or 2 after a message. */
static int check_drafts(const sd_cli *c, const sd_rule_type *algo, size_t M)
{
    if (M > SD_CLI_MAX_DRAFTS)
        return sd_cli_usage_error(c, "--drafts: at most %d, got %zu", SD_CLI_MAX_DRAFTS, M);
    if (algo == &sd_rule_sd && M != 1)
        return sd_cli_usage_error(c, "--drafts %zu: speculative decoding (--algo sd) verifies "
                                  "one draft per round; choose a multi-draft --algo (batch, "
                                  "tree, kseq, kseq-tree, ersd)", M);
    return 0;
}

static double speedup(double T, double E)
{
    return E > 0 ? T / E : INFINITY;
}

/* Options of rejections and simulate. */
typedef struct {
    const sd_rule_type *algo;
    size_t M;
    int pmf;                  /* rejections --pmf */
    const char *control_name; /* simulate --control */
    size_t control;
} algo_args;

/* The --algo and --drafts options of rejections and simulate. */
#define ALGO_ARGS(a)                                                                       \
    {"algo", SD_ARG_RULE, &(a).algo, NULL, 0, 0, 0, NULL, NULL},                           \
    {"drafts", SD_ARG_SIZE, &(a).M, NULL, 1, 0, 0, NULL, NULL}

/* ---- specdec rejections -------------------------------------------------- */

/* The usage of rejections or simulate: its name, its options after
 * [--drafts M] (spaces keep the columns), what it does, the --algo and
 * --drafts paragraphs; the caller adds its own options. */
static void algo_help(const char *cmd, const char *opts, const char *what)
{
    char names[256];
    printf("Usage: specdec %s MODEL [--algo %s]\n"
           "%*s[--drafts M]\n%s%s", cmd, sd_rule_names(names, sizeof names, "|", 0),
           (int)(strlen(cmd) + 16), "", opts, what);
    sd_cli_help_rules(stdout, 0, &sd_rule_sd, "; doc/theory.md §3, §6");
    printf("  --drafts M           drafts per round for multi-draft algorithms (default 1)\n");
}

static void rejections_help(void)
{
    algo_help("rejections",
              "                          [--pmf] [--format table|json|tsv] [--output FILE]\n",
              "Exact expected number of rejections E[N_rej] of decoding the target chain with\n"
              "the draft chain (doc/theory.md §1; Theorem 1 for sd), its variance, the speed-up\n"
              "T / E[N_rej] and, with --pmf, the whole law of N_rej.\n\n");
    printf("  --pmf                also the law P(N_rej = c), c = 0..T (sd; T^2 V^2 <= 4e10)\n"
           "An exact computation estimated above 1e11 operations (e.g. --algo tree with\n"
           "a very large --drafts: T V^2 M^3) is refused with exit status 2.\n\n");
}

static int rejections_check(sd_cli *c, void *arg)
{
    const algo_args *a = arg;
    char names[256];
    if (a->pmf && !(a->algo->flags & SD_RULE_VARIANCE))
        return sd_cli_usage_error(c, "--pmf is available for --algo %s only",
                                  sd_rule_names(names, sizeof names, ", ", SD_RULE_VARIANCE));
    return check_drafts(c, a->algo, a->M);
}

static int rejections_run(sd_cli *c, const sd_model *m, void *arg)
{
    const algo_args *a = arg;
    sd_error err;
    double mean, var, *pmf = NULL;
    int rc;
    if ((rc = refuse_cost(c, m, a->algo, a->M)) != 0)
        return rc;
    if (a->pmf && (double)m->T * (double)m->T * (double)m->V * (double)m->V > PMF_MAX_WORK) {
        fprintf(stderr, "%s: --pmf on V = %zu, T = %zu costs T^2 V^2 = %.3g operations, "
                        "over the limit of %.0e: use a shorter --horizon\n",
                c->prog, m->V, m->T, (double)m->T * (double)m->T * (double)m->V * (double)m->V, PMF_MAX_WORK);
        return 2;
    }
    sd_error_clear(&err);
    if (sd_rule_exact(a->algo, m, a->M, &mean, &var, &err) != SD_OK)
        return sd_cli_fail(c, &err);
    if (a->pmf) {
        pmf = malloc((m->T + 1) * sizeof *pmf);
        if (pmf == NULL || sd_exact_sd_pmf(m, pmf, PMF_MAX_WORK, &err) != SD_OK) {
            if (pmf == NULL)
                sd_error_set(&err, SD_ENOMEM, "out of memory");
            free(pmf);
            return sd_cli_fail(c, &err);
        }
    }
    {
        sd_kv kv[] = {
            SD_KV_S("algo", a->algo->name),
            SD_KV_I("drafts", a->M),
            SD_KV_I("vocab", m->V),
            SD_KV_I("horizon", m->T),
            SD_KV_N("expected_rejections", mean),
            SD_KV_N("variance", var),
            SD_KV_N("speedup", speedup((double)m->T, mean)),
            SD_KV_A("pmf", pmf, pmf ? m->T + 1 : 0),
        };
        rc = sd_prog_report_kv(c, kv, pmf ? 8 : 7, 0);
    }
    free(pmf);
    return rc;
}

int sd_cmd_rejections(int argc, char **argv)
{
    algo_args a = {&sd_rule_sd, 1, 0, "none", 0};
    const sd_arg opts[] = {
        ALGO_ARGS(a),
        {"pmf", SD_ARG_FLAG, &a.pmf, NULL, 1, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"specdec rejections", rejections_help, SD_PROG_MODEL | SD_PROG_OUTPUT,
                          0, 1, 0, 0, opts, rejections_check, rejections_run};
    return sd_prog_run(&prog, argc, argv, &a);
}

/* ---- specdec simulate ---------------------------------------------------- */

static void simulate_help(void)
{
    algo_help("simulate", "                        [--runs N] [--seed S] [--threads K] [--z Z]\n",
              "Simulate the decoding algorithm itself N times and compare the mean number of\n"
              "rejections with the exact value: z = (mean - exact) / stderr, pass iff |z| <= "
              "Z.\n\n");
    printf("  --control C          a deliberately wrong algorithm, to see a check fail:\n"
           "                       resample-q (draw from Q after a rejection) or\n"
           "                       accept-p-over-q (accept with min(1, P/Q)); sd only\n"
           "The default is 100000 runs.  With one run there is no standard error: z,\n"
           "stderr and sample_variance are reported as undefined (null, '-') and the check\n"
           "asks whether one run is plausible (README, \"Two rules\").  The exact value is computed first; above 1e11 estimated operations (e.g.\n"
           "--algo tree with a very large --drafts) the command refuses (exit 2).\n\n");
}

static int simulate_check(sd_cli *c, void *arg)
{
    algo_args *a = arg;
    if (sd_cli_control(c, a->algo, a->control_name, &a->control))
        return 2;
    return check_drafts(c, a->algo, a->M);
}

static int simulate_run(sd_cli *c, const sd_model *m, void *arg)
{
    const algo_args *a = arg;
    sd_error err;
    double exact, var;
    sd_rule_sim *as = NULL;
    sd_sim sim;
    sd_mc_result res;
    sd_checklist l;
    int rc, pass;
    if ((rc = refuse_cost(c, m, a->algo, a->M)) != 0)
        return rc;
    {
        /* the simulation's sampling tables (alias and threshold tables,
         * about three words per entry of each chain) beside the model */
        double entries = (double)m->V * (double)m->V * (double)(m->nP > m->nQ ? m->nP : m->nQ);
        if (sd_cli_refuse_memory(c, entries * 8.0 * 8.0 * (a->algo == &sd_rule_sd ? 1 : 2),
                                 "the simulation") != 0)
            return 2;
    }
    sd_error_clear(&err);
    if (sd_rule_exact(a->algo, m, a->M, &exact, &var, &err) != SD_OK)
        return sd_cli_fail(c, &err);
    if (sd_rule_sim_alloc(&as, a->algo, m, a->M, a->control, &err) != SD_OK) {
        char what[96];
        snprintf(what, sizeof what, "--algo %s --drafts %zu", a->algo->name, a->M);
        return sd_cli_fail_opt(c, what, &err);
    }
    sim = sd_rule_sim_get(as);
    rc = sd_mc_run(&c->mc, m->T, m->V, &sim, &res, &err);
    sd_rule_sim_free(as);
    if (rc != SD_OK)
        return sd_cli_fail(c, &err);
    sd_checklist_init(&l);
    if (sd_check_mean_bounded(&l, "mean", exact, res.mean, res.stderr_mean, (double)res.runs,
                              (double)res.T, c->mc.z_max, &err) != SD_OK) {
        sd_checklist_free(&l);
        sd_mc_result_free(&res);
        return sd_cli_fail(c, &err);
    }
    pass = l.v[0].pass;
    {
        /* one run has no spread: stderr, z and the sample variance are
         * undefined, and the verdict is the plausibility rule's */
        int one = res.runs < 2;
        sd_kv kv[] = {
            SD_KV_S("algo", a->algo->name),
            SD_KV_I("drafts", a->M),
            SD_KV_I("runs", res.runs),
            SD_KV_U("seed", c->mc.seed),
            SD_KV_N("mean", res.mean),
            SD_KV_N("stderr", one ? NAN : res.stderr_mean),
            SD_KV_N("exact", exact),
            SD_KV_N("z", one ? NAN : l.v[0].z),
            SD_KV_B("pass", pass),
            SD_KV_N("z_max", c->mc.z_max),
            SD_KV_N("sample_variance", one ? NAN : res.var),
            SD_KV_N("exact_variance", var),
            SD_KV_S("control", sd_rule_control_name(a->algo, a->control)),
            SD_KV_I("vocab", m->V),
            SD_KV_I("horizon", m->T),
            SD_KV_S("note", "one run: no standard error, z or sample variance; the verdict "
                            "asks whether a single run is plausible"),
        };
        rc = sd_prog_report_kv(c, kv, sizeof kv / sizeof kv[0] - (one ? 0 : 1), 1);
    }
    sd_checklist_free(&l);
    sd_mc_result_free(&res);
    return rc != 0 ? rc : (pass ? 0 : 1);
}

int sd_cmd_simulate(int argc, char **argv)
{
    algo_args a = {&sd_rule_sd, 1, 0, "none", 0};
    const sd_arg opts[] = {
        ALGO_ARGS(a),
        {"control", SD_ARG_STRING, &a.control_name, NULL, 0, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"specdec simulate", simulate_help,
                          SD_PROG_MODEL | SD_PROG_MC | SD_PROG_OUTPUT, 100000, 1, 0, 0, opts,
                          simulate_check, simulate_run};
    return sd_prog_run(&prog, argc, argv, &a);
}
