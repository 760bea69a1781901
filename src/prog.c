/* prog.c - one driver for every program. */
#include "prog.h"

#include <stdlib.h>
#include <string.h>

#include "par.h"

/* The getopt tables of the shared option groups; a program's own
 * options get the codes SD_OPT_FIRST_LOCAL + their index. */
static const struct option model_opts[] = {SD_CLI_MODEL_OPTIONS};
static const struct option mc_opts[] = {SD_CLI_MC_OPTIONS};
static const struct option out_opts[] = {SD_CLI_OUTPUT_OPTIONS};
#define NOUT_ONLY 3 /* out_opts without --help and --version */
static const struct option thm_opts[] = {SD_CLI_THM_OPTIONS};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static size_t add(struct option *o, size_t n, const struct option *src, size_t k)
{
    memcpy(o + n, src, k * sizeof *src);
    return n + k;
}

/* Whether the shared option with getopt code val takes a value. */
static int shared_has_arg(int val)
{
    const struct option *groups[] = {model_opts, mc_opts, thm_opts, out_opts};
    const size_t sizes[] = {COUNT(model_opts), COUNT(mc_opts), COUNT(thm_opts),
                            COUNT(out_opts)};
    size_t g, i;
    for (g = 0; g < COUNT(groups); g++)
        for (i = 0; i < sizes[g]; i++)
            if (groups[g][i].val == val)
                return groups[g][i].has_arg;
    return required_argument;
}

/* The getopt table of p (free with free); NULL if out of memory. */
static struct option *options(const sd_prog *p)
{
    size_t nargs = 0, n = 0, i;
    struct option *o;
    while (p->args != NULL && p->args[nargs].name != NULL)
        nargs++;
    o = calloc(COUNT(model_opts) + COUNT(mc_opts) + COUNT(out_opts) + COUNT(thm_opts) + nargs + 1,
               sizeof *o);
    if (o == NULL)
        return NULL;
    if (p->groups & SD_PROG_MODEL)
        n = add(o, n, model_opts, COUNT(model_opts));
    if (p->groups & SD_PROG_MC)
        n = add(o, n, mc_opts, COUNT(mc_opts));
    if (p->groups & SD_PROG_THM)
        n = add(o, n, thm_opts, COUNT(thm_opts));
    if (p->groups & SD_PROG_OUTPUT)
        n = add(o, n, out_opts, NOUT_ONLY);
    n = add(o, n, out_opts + NOUT_ONLY, COUNT(out_opts) - NOUT_ONLY);
    for (i = 0; i < nargs; i++, n++) {
        o[n].name = p->args[i].name;
        o[n].has_arg = p->args[i].kind == SD_ARG_FLAG ? no_argument : required_argument;
        if (p->args[i].kind == SD_ARG_SHARED)
            o[n].has_arg = shared_has_arg((int)p->args[i].min);
        o[n].val = SD_OPT_FIRST_LOCAL + (int)i;
    }
    return o;
}

/* Parse the value of a program option into its destination; 0 or -1. */
static int parse_arg(sd_cli *c, const sd_arg *a, const char *arg)
{
    char opt[96];
    size_t i;
    snprintf(opt, sizeof opt, "--%s", a->name);
    switch (a->kind) {
    case SD_ARG_FLAG: *(int *)a->dest = (int)a->min; return 0;
    case SD_ARG_SIZE:
        if (sd_cli_size(c, opt, arg, a->min, a->dest))
            return -1;
        if (a->hi > 0.0 && (double)*(size_t *)a->dest > a->hi) {
            sd_cli_usage_error(c, "%s: at most %.0f, got %s", opt, a->hi, arg);
            return -1;
        }
        return 0;
    case SD_ARG_U64: return sd_cli_u64(c, opt, arg, a->dest);
    case SD_ARG_DOUBLE: return sd_cli_double(c, opt, arg, a->lo, a->hi, a->dest);
    case SD_ARG_STRING:
    case SD_ARG_OPERAND:
    case SD_ARG_INPUT:
    case SD_ARG_OUTPUT: *(const char **)a->dest = arg; return 0;
    case SD_ARG_SHARED: return sd_cli_option(c, (int)a->min, arg) < 0 ? -1 : 0;
    case SD_ARG_SIZE_LIST:
        if (sd_cli_size_list(c, opt, arg, a->dest, a->min, a->n))
            return -1;
        for (i = 0; i < *a->n; i++) {
            size_t v = ((size_t *)a->dest)[i];
            if ((double)v < a->lo) {
                sd_cli_usage_error(c, "%s: each value must be at least %g", opt, a->lo);
                return -1;
            }
            if (a->hi > 0.0 && (double)v > a->hi) {
                sd_cli_usage_error(c, "%s: entry %zu is %zu, above the limit %.0f", opt, i + 1,
                                   v, a->hi);
                return -1;
            }
        }
        return 0;
    case SD_ARG_DOUBLE_LIST:
        if (sd_cli_double_list(c, opt, arg, a->dest, a->min, a->n))
            return -1;
        for (i = 0; i < *a->n; i++) {
            double v = ((double *)a->dest)[i];
            if (a->lo == 0.0 && v < 0.0) {
                sd_cli_usage_error(c, "%s: %g is negative (values >= 0)", opt, v);
                return -1;
            }
            if (!(v >= a->lo && v <= a->hi)) {
                sd_cli_usage_error(c, "%s: %g is not in [%g, %g]", opt, v, a->lo, a->hi);
                return -1;
            }
        }
        return 0;
    case SD_ARG_RULE: return sd_cli_rule(c, arg, (unsigned)a->min, a->dest);
    case SD_ARG_WORD:
        if (strcmp(arg, "none") != 0 && strcmp(arg, a->word) != 0) {
            sd_cli_usage_error(c, "%s: '%s' is not none or %s", opt, arg, a->word);
            return -1;
        }
        *(int *)a->dest = strcmp(arg, a->word) == 0;
        return 0;
    case SD_ARG_FN: return a->fn(c, arg, a->dest);
    }
    return -1;
}

static void help(const sd_prog *p)
{
    p->help();
    if (p->groups & SD_PROG_MODEL)
        fputs(sd_cli_help_model, stdout);
    if (p->groups & SD_PROG_MC)
        fputs(sd_cli_help_mc, stdout);
    if (p->groups & SD_PROG_OUTPUT)
        fputs(sd_cli_help_output, stdout);
}

/* Refuse, before any work, a program's own output file that cannot be
 * written, names an input file, or names the same file as --output or
 * another of them; 0 or 2. */
static int outputs(const sd_prog *p, const sd_cli *c)
{
    size_t i, j;
    for (i = 0; p->args != NULL && p->args[i].name != NULL; i++) {
        const sd_arg *a = &p->args[i];
        const char *path = a->kind == SD_ARG_OUTPUT ? *(const char **)a->dest : NULL;
        char opt[96];
        if (path == NULL)
            continue;
        snprintf(opt, sizeof opt, "--%s", a->name);
        if (sd_cli_check_written(c, opt, path) != 0)
            return 2;
        if (c->output != NULL && sd_cli_same_path(path, c->output))
            return sd_cli_usage_error(c, "%s '%s' and --output '%s' name the same file", opt,
                                      path, c->output);
        for (j = 0; j < i; j++)
            if (p->args[j].kind == SD_ARG_OUTPUT &&
                sd_cli_same_path(path, *(const char **)p->args[j].dest))
                return sd_cli_usage_error(c, "--%s '%s' and %s '%s' name the same file",
                                          p->args[j].name, *(const char **)p->args[j].dest,
                                          opt, path);
    }
    return 0;
}

/* Parse argv; -1 after --help/--version (exit 0), else 0 or 2. */
static int parse(const sd_prog *p, sd_cli *c, const struct option *o, int argc, char **argv)
{
    int opt;
    size_t i;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hV", o, NULL)) != -1) {
        if (opt == 'h') {
            help(p);
            return -1;
        }
        if (opt == 'V') {
            printf("%s (specdec) %s\n", c->prog, PACKAGE_VERSION);
            return -1;
        }
        if (opt == '?')
            return sd_cli_bad_option(c, argv);
        if (opt >= SD_OPT_FIRST_LOCAL) {
            if (parse_arg(c, &p->args[opt - SD_OPT_FIRST_LOCAL], optarg))
                return 2;
        } else if (sd_cli_option(c, opt, optarg) < 0) {
            return 2;
        }
    }
    /* the operand, if the program takes one and it was not given as --name */
    for (i = 0; optind < argc && p->args != NULL && p->args[i].name != NULL; i++)
        if (p->args[i].kind == SD_ARG_OPERAND && *(const char **)p->args[i].dest == NULL)
            *(const char **)p->args[i].dest = argv[optind++];
    if ((p->groups & SD_PROG_MODEL) &&
        sd_cli_finish_model(c, p->need_model, p->default_V, p->default_T) != 0)
        return 2;
    for (i = 0; p->args != NULL && p->args[i].name != NULL; i++)
        if (p->args[i].kind == SD_ARG_INPUT &&
            sd_cli_add_input(c, *(const char **)p->args[i].dest) != 0)
            return 2;
    return sd_cli_finish(c, argc, argv) != 0 || outputs(p, c) != 0 ? 2 : 0;
}

/* The tracked positions of a theorem check on a model of horizon T: as
 * given (ascending in 1..T), or 1, T/2 and T without repeats.  0 or 2. */
static int positions(sd_cli *c, size_t T)
{
    size_t i, n = c->mc.npos;
    if (n == 0) {
        c->pos[n++] = 1;
        if (T / 2 > 1)
            c->pos[n++] = T / 2;
        if (T > 1 && T != T / 2)
            c->pos[n++] = T;
    }
    for (i = 0; i < n; i++)
        if (c->pos[i] < 1 || c->pos[i] > T || (i > 0 && c->pos[i] <= c->pos[i - 1]))
            return sd_cli_usage_error(c, "--positions: must be ascending in 1..%zu", T);
    c->mc.npos = n;
    c->mc.pos = c->pos;
    return 0;
}

/* Parse, load, run: the program on this process; its exit status. */
static int prog_run(const sd_prog *p, sd_cli *c, int argc, char **argv, void *arg)
{
    struct option *o = options(p);
    sd_model m;
    int rc;
    sd_cli_init(c, p->name, argc, argv, p->runs);
    if (o == NULL) {
        fprintf(stderr, "%s: out of memory\n", p->name);
        return 3;
    }
    rc = parse(p, c, o, argc, argv);
    free(o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (p->check != NULL && (rc = p->check(c, arg)) != 0)
        return rc;
    if (!(p->groups & SD_PROG_MODEL))
        return p->run(c, NULL, arg);
    if ((rc = sd_cli_load_model(c, &m)) != 0)
        return rc;
    if (!(p->groups & SD_PROG_THM) || (rc = positions(c, m.T)) == 0)
        rc = p->run(c, &m, arg);
    sd_model_free(&m);
    return rc;
}

int sd_prog_main(const sd_prog *p, sd_cli *c, int argc, char **argv, void *arg)
{
    /* under mpirun/srun: one process of the job (par.h) */
    int rc = sd_par_start(&argc, &argv);
    if (rc == 0)
        rc = prog_run(p, c, argc, argv, arg);
    return sd_par_finish(rc);
}

int sd_prog_report_kv(sd_cli *c, const sd_kv *kv, size_t n, int with_mc)
{
    sd_out out;
    int rc = sd_out_open(c, &out);
    if (rc != 0)
        return rc;
    sd_report_kv(out.f, c, kv, n, with_mc);
    return sd_out_close(c, &out, 1);
}

int sd_prog_report_checks(sd_cli *c, const char *theorem, const sd_model *m, sd_checklist *l,
                          const sd_kv *extra, size_t nextra)
{
    sd_out out;
    int pass = sd_checklist_pass(l), rc = sd_out_open(c, &out);
    if (rc == 0) {
        sd_report_checks(out.f, c, theorem, m, l, extra, nextra);
        rc = sd_out_close(c, &out, 1);
    }
    sd_checklist_free(l);
    return rc != 0 ? rc : (pass ? 0 : 1);
}

int sd_prog_checks_failed(sd_cli *c, sd_checklist *l, const sd_error *err)
{
    sd_checklist_free(l);
    return sd_cli_fail(c, err);
}

int sd_prog_write_data(sd_cli *c, int with_mc,
                       sd_status (*body)(FILE *f, void *arg, sd_error *err), void *arg)
{
    sd_out out;
    sd_error err;
    int rc = sd_out_open(c, &out);
    if (rc != 0)
        return rc;
    sd_error_clear(&err);
    sd_cli_comment_provenance(out.f, c, with_mc);
    if (body(out.f, arg, &err) != SD_OK) {
        sd_out_close(c, &out, 0);
        return sd_cli_fail(c, &err);
    }
    return sd_out_close(c, &out, 1);
}

int sd_prog_run(const sd_prog *p, int argc, char **argv, void *arg)
{
    sd_cli c;
    return sd_prog_main(p, &c, argc, argv, arg);
}
