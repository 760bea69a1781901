/* cli.c - the command-line contract shared by every executable. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "npy.h"
#include "par.h"
#include "rng.h"
#include "tol.h"

const char sd_cli_help_model[] =
    "Model (a draft/target pair of Markov chains):\n"
    "  --draft FILE         draft kernels P, .npy float64/float32, shape (T,V,V) or (V,V)\n"
    "  --target FILE        target kernels Q, same shape as the draft\n"
    "  --horizon T          horizon, required for (V,V) stationary kernels\n"
    "  --start S            start law of x_0: 'uniform' (default), a state index,\n"
    "                       or a .npy file of shape (V,)\n"
    "  --random V,T         instead of files: a random pair with V states, horizon T\n"
    "  --family NAME        random family: 'paper' (rows of i.i.d. U(0,1), normalised;\n"
    "                       default) or 'dirichlet'\n"
    "  --alpha A            Dirichlet parameter (default 1)\n"
    "  --model-seed S       seed of the random model (default 1)\n"
    "  --stationary         random model with one kernel for every t\n";

const char sd_cli_help_mc[] =
    "Monte Carlo:\n"
    "  --runs N             number of simulated runs\n"
    "  --seed S             master seed (default 20241101); the same seed gives the\n"
    "                       same numbers on any number of threads and, under\n"
    "                       mpirun or srun, of MPI processes\n"
    "  --threads K          OpenMP threads (per MPI process; default: all cores)\n"
    "  --z Z                z-score limit of a check (default 4.5: a false failure\n"
    "                       about once in 150 000 checks)\n"
    "  --rng NAME           generator: xoshiro256ss (default) or any GSL name\n"
    "                       (mt19937, ranlxd2, ...); GSL_RNG_TYPE is honoured too\n";

const char sd_cli_help_output[] =
    "Output:\n"
    "  --format F           table (default), json or tsv\n"
    "  --output FILE        write there (atomically) instead of standard output\n"
    "  --quiet              no progress line on stderr\n"
    "  --progress           a progress line (with the time left) on stderr even when\n"
    "                       it is not a terminal, e.g. in CI logs (under mpirun:\n"
    "                       rank 0 counts every process)\n"
    "  --help, --version    this help; the version\n"
    "Exit status: 0 done (every check held), 1 a check failed, 2 usage or input\n"
    "error, 3 internal error.\n";

void sd_cli_init(sd_cli *c, const char *prog, int argc, char **argv, size_t runs)
{
    size_t pos = 0;
    int i;
    memset(c, 0, sizeof *c);
    c->prog = prog;
    sd_par_set_prog(prog);
    c->alpha = 1.0;
    c->model_seed = SD_DEFAULT_MODEL_SEED;
    c->mc.runs = runs;
    c->mc.seed = SD_DEFAULT_SEED;
#ifdef _OPENMP
    c->mc.threads = omp_get_num_procs();
#else
    c->mc.threads = 1;
#endif
    c->mc.z_max = SD_Z_MAX_DEFAULT;
    c->mc.p_min = SD_P_MIN_DEFAULT;
    c->mc.progress = sd_cli_progress;
    c->mc.progress_arg = c;
    c->mc.team = sd_par_team(); /* NULL unless this is one process of an MPI job */
    c->rng_name = getenv("GSL_RNG_TYPE");
    c->format = SD_FMT_TABLE;
    /* the program's own name instead of argv[0], which may be a libtool path */
    pos = (size_t)snprintf(c->command, sizeof c->command, "%s", prog);
    for (i = 1; i < argc && pos + 1 < sizeof c->command; i++) {
        int n = snprintf(c->command + pos, sizeof c->command - pos, " %s", argv[i]);
        if (n < 0)
            break;
        pos += (size_t)n;
    }
    if (pos >= sizeof c->command)
        pos = sizeof c->command - 1;
    c->command[pos] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &c->started);
    opterr = 0; /* sd_cli_bad_option names a bad option, once */
}

int sd_cli_refuse_work(const sd_cli *c, double work, const char *what, double limit)
{
    if (!(work > limit))
        return 0;
    fprintf(stderr, "%s: %s: about %.3g operations, over the limit of %.0e (hours of "
                    "computing)\n", c->prog, what, work, limit);
    return 2;
}

int sd_cli_refuse_cost(const sd_cli *c, const sd_model *m, const sd_rule_type *rule, size_t M,
                       double limit)
{
    double cost = rule->cost != NULL ? rule->cost(m, M) : 0.0;
    if (cost <= limit)
        return 0;
    fprintf(stderr,
            "%s: --algo %s --drafts %zu on V = %zu, T = %zu costs about %s = %.3g "
            "operations, over the limit of %.0e (minutes to hours of computing): use "
            "fewer drafts or a smaller model\n",
            c->prog, rule->name, M, m->V, m->T, rule->cost_formula ? rule->cost_formula : "?",
            cost, limit);
    return 2;
}

int sd_cli_bad_option(const sd_cli *c, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    if (optopt != 0 && strncmp(arg, "--", 2) != 0)
        return sd_cli_usage_error(c, "unknown option '-%c'", optopt);
    if (optopt != 0)
        return sd_cli_usage_error(c, "option '%s' needs a value", arg);
    return sd_cli_usage_error(c, "unknown option '%s'", arg);
}

double sd_cli_phys_mem(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (double)pages * (double)size : 0.0;
}

int sd_cli_refuse_memory(const sd_cli *c, double bytes, const char *what)
{
    double phys = sd_cli_phys_mem();
    if (phys <= 0.0 || bytes <= phys)
        return 0;
    fprintf(stderr, "%s: %s needs about %.3g GB of memory, more than this machine's %.3g GB: "
                    "use a smaller model\n",
            c->prog, what, bytes / 1e9, phys / 1e9);
    return 2;
}


/* The directory part of path ("." if none), malloc'ed; NULL when out of
 * memory. */
static char *dir_of(const char *path)
{
    char *dir = strdup(path), *slash;
    if (dir == NULL)
        return NULL;
    slash = strrchr(dir, '/');
    if (slash == NULL)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    return dir;
}

int sd_cli_same_path(const char *a, const char *b)
{
    struct stat sa, sb;
    const char *ba, *bb;
    char *da, *db;
    int same;
    if (a == NULL || b == NULL)
        return 0;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    /* not both existing: the same name in the same directory */
    ba = strrchr(a, '/') ? strrchr(a, '/') + 1 : a;
    bb = strrchr(b, '/') ? strrchr(b, '/') + 1 : b;
    if (strcmp(ba, bb) != 0)
        return 0;
    da = dir_of(a);
    db = dir_of(b);
    same = da != NULL && db != NULL && stat(da, &sa) == 0 && stat(db, &sb) == 0 &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    free(da);
    free(db);
    return same;
}

int sd_cli_refuse_input(const sd_cli *c, const char *opt, const char *path,
                        const char *const *inputs, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (sd_cli_same_path(path, inputs[i]))
            return sd_cli_usage_error(c, "%s: '%s' is the input file '%s': writing there "
                                      "would destroy it", opt, path, inputs[i]);
    return 0;
}

int sd_cli_check_output(const sd_cli *c, const char *opt, const char *path,
                        const char *const *inputs, size_t n)
{
    struct stat st;
    char *dir;
    if (path == NULL || strcmp(path, "-") == 0)
        return 0;
    if (path[0] == '\0')
        return sd_cli_usage_error(c, "%s: the file name is empty", opt);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return sd_cli_usage_error(c, "%s: '%s' is a directory, not a file", opt, path);
    if (sd_cli_refuse_input(c, opt, path, inputs, n) != 0)
        return 2;
    dir = dir_of(path);
    if (dir == NULL) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return 3;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0) {
        int e = errno;
        int missing = stat(dir, &st) != 0;
        int rc = sd_cli_usage_error(c, "%s: cannot write '%s': directory '%s'%s %s", opt, path,
                                    dir, missing ? ":" : "",
                                    missing ? strerror(e)
                                    : !S_ISDIR(st.st_mode) ? "is not a directory"
                                                           : "is not writable");
        free(dir);
        return rc;
    }
    free(dir);
    return 0;
}

int sd_cli_usage_error(const sd_cli *c, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", c->prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", c->prog);
    return 2;
}

int sd_cli_fail_opt(const sd_cli *c, const char *what, const sd_error *err)
{
    if (sd_par_reported())
        return sd_status_exit_code(err->code);
    fprintf(stderr, "%s: %s: %s\n", c->prog, what,
            err->msg[0] ? err->msg : sd_strerror(err->code));
    return sd_status_exit_code(err->code);
}

int sd_cli_fail(const sd_cli *c, const sd_error *err)
{
    if (sd_par_reported()) /* another MPI process failed; its message is out */
        return sd_status_exit_code(err->code);
    fprintf(stderr, "%s: %s\n", c->prog, err->msg[0] ? err->msg : sd_strerror(err->code));
    return sd_status_exit_code(err->code);
}

/* arg as an unsigned decimal into *v: 0, or -1 if it does not start
 * with a digit, -2 if something follows the digits, -3 if it is 2^64 or
 * more. */
static int read_unsigned(const char *arg, unsigned long long *v)
{
    char *end;
    if (arg[0] < '0' || arg[0] > '9')
        return -1;
    errno = 0;
    *v = strtoull(arg, &end, 10);
    return *end != '\0' ? -2 : errno == ERANGE ? -3 : 0;
}

int sd_cli_size(const sd_cli *c, const char *opt, const char *arg, size_t min, size_t *out)
{
    unsigned long long v;
    int r = read_unsigned(arg, &v);
    if (r == -1 || r == -2)
        sd_cli_usage_error(c, "%s: '%s' is not a whole number", opt, arg);
    else if (r == -3 || v > SIZE_MAX / 16)
        sd_cli_usage_error(c, "%s: %s is above the largest accepted value, %zu", opt, arg,
                           (size_t)(SIZE_MAX / 16));
    else if (v < min)
        sd_cli_usage_error(c, "%s: must be at least %zu, got %s", opt, min, arg);
    else
        *out = (size_t)v;
    return r == 0 && v <= SIZE_MAX / 16 && v >= min ? 0 : -1;
}

int sd_cli_u64(const sd_cli *c, const char *opt, const char *arg, uint64_t *out)
{
    unsigned long long v;
    int r = read_unsigned(arg, &v);
    if (r == -1)
        sd_cli_usage_error(c, "%s: '%s' is not a non-negative whole number", opt, arg);
    else if (r != 0)
        sd_cli_usage_error(c, "%s: '%s' is not a whole number below 2^64", opt, arg);
    else
        *out = (uint64_t)v;
    return r == 0 ? 0 : -1;
}

int sd_cli_double(const sd_cli *c, const char *opt, const char *arg, double lo, double hi,
                  double *out)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(arg, &end);
    if (end == arg || *end != '\0' || !isfinite(v)) {
        sd_cli_usage_error(c, "%s: '%s' is not a finite number", opt, arg);
        return -1;
    }
    if (v < lo || v > hi) {
        sd_cli_usage_error(c, "%s: %s is outside [%g, %g]", opt, arg, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* Split a comma-separated list into at most cap entries, parsing entry
 * k (a NUL-terminated copy) with one(c, opt, text, out, k).  Returns the
 * number of entries in *n and 0, or -1 after printing a usage error. */
static int split_list(const sd_cli *c, const char *opt, const char *arg, void *out,
                      size_t cap, size_t *n,
                      int (*one)(const sd_cli *, const char *, const char *, void *, size_t))
{
    char buf[64];
    const char *p = arg;
    *n = 0;
    while (*p) {
        size_t L = strcspn(p, ",");
        if (L == 0 || L >= sizeof buf) {
            sd_cli_usage_error(c, "%s: '%s' is not a comma-separated list", opt, arg);
            return -1;
        }
        if (*n >= cap) {
            sd_cli_usage_error(c, "%s: at most %zu entries", opt, cap);
            return -1;
        }
        memcpy(buf, p, L);
        buf[L] = '\0';
        if (one(c, opt, buf, out, *n) != 0)
            return -1;
        (*n)++;
        p += L;
        if (*p == ',' && *++p == '\0') {
            sd_cli_usage_error(c, "%s: trailing comma in '%s'", opt, arg);
            return -1;
        }
    }
    if (*n == 0) {
        sd_cli_usage_error(c, "%s: empty list", opt);
        return -1;
    }
    return 0;
}

static int one_size(const sd_cli *c, const char *opt, const char *text, void *out, size_t k)
{
    return sd_cli_size(c, opt, text, 1, (size_t *)out + k);
}

static int one_double(const sd_cli *c, const char *opt, const char *text, void *out, size_t k)
{
    return sd_cli_double(c, opt, text, -HUGE_VAL, HUGE_VAL, (double *)out + k);
}

int sd_cli_size_list(const sd_cli *c, const char *opt, const char *arg, size_t *out,
                     size_t cap, size_t *n)
{
    return split_list(c, opt, arg, out, cap, n, one_size);
}

int sd_cli_double_list(const sd_cli *c, const char *opt, const char *arg, double *out,
                       size_t cap, size_t *n)
{
    return split_list(c, opt, arg, out, cap, n, one_double);
}

static int parse_random(sd_cli *c, const char *arg)
{
    char buf[64];
    const char *comma = strchr(arg, ',');
    size_t L;
    if (comma == NULL || (L = (size_t)(comma - arg)) >= sizeof buf || L == 0) {
        sd_cli_usage_error(c, "--random: expected V,T (e.g. 7,50), got '%s'", arg);
        return -1;
    }
    memcpy(buf, arg, L);
    buf[L] = '\0';
    if (sd_cli_size(c, "--random V", buf, 1, &c->rV) != 0 ||
        sd_cli_size(c, "--random T", comma + 1, 1, &c->rT) != 0)
        return -1;
    c->random = 1;
    return 0;
}

int sd_cli_option(sd_cli *c, int opt, const char *arg)
{
    double d;
    size_t n;
    switch (opt) {
    case SD_OPT_DRAFT: c->draft = arg; return 1;
    case SD_OPT_TARGET: c->target = arg; return 1;
    case SD_OPT_HORIZON: return sd_cli_size(c, "--horizon", arg, 1, &c->horizon) ? -1 : 1;
    case SD_OPT_START:
        /* 'uniform', a state index or a file (a name starting with a digit
         * is taken for an index: write ./7.npy) */
        if (arg[0] == '\0' ||
            (arg[0] >= '0' && arg[0] <= '9' && arg[strspn(arg, "0123456789")] != '\0')) {
            sd_cli_usage_error(c, "--start '%s': expected 'uniform', a state index or a .npy "
                                  "file", arg);
            return -1;
        }
        c->start = arg;
        return 1;
    case SD_OPT_RANDOM: return parse_random(c, arg) ? -1 : 1;
    case SD_OPT_FAMILY:
        c->family = sd_family_parse(arg);
        if (c->family < 0) {
            sd_cli_usage_error(c, "--family: unknown family '%s' (paper or dirichlet)", arg);
            return -1;
        }
        return 1;
    case SD_OPT_ALPHA:
        if (sd_cli_double(c, "--alpha", arg, 1e-300, 1e300, &c->alpha))
            return -1;
        return 1;
    case SD_OPT_MODEL_SEED: return sd_cli_u64(c, "--model-seed", arg, &c->model_seed) ? -1 : 1;
    case SD_OPT_STATIONARY: c->stationary = 1; return 1;
    case SD_OPT_RUNS: return sd_cli_size(c, "--runs", arg, 1, &c->mc.runs) ? -1 : 1;
    case SD_OPT_SEED: return sd_cli_u64(c, "--seed", arg, &c->mc.seed) ? -1 : 1;
    case SD_OPT_THREADS:
        if (sd_cli_size(c, "--threads", arg, 1, &n))
            return -1;
        if (n > 1024) {
            sd_cli_usage_error(c, "--threads: at most 1024, got %zu", n);
            return -1;
        }
        c->mc.threads = (int)n;
        return 1;
    case SD_OPT_Z:
        if (sd_cli_double(c, "--z", arg, 1e-3, 1e3, &d))
            return -1;
        c->mc.z_max = d;
        return 1;
    case SD_OPT_RNG: c->rng_name = arg; return 1;
    case SD_OPT_POSITIONS:
        return sd_cli_size_list(c, "--positions", arg, c->pos, sizeof c->pos / sizeof c->pos[0],
                                &c->mc.npos) ? -1 : 1;
    case SD_OPT_P_MIN: return sd_cli_double(c, "--p-min", arg, 0.0, 1.0, &c->mc.p_min) ? -1 : 1;
    case SD_OPT_FORMAT:
        if (strcmp(arg, "table") == 0)
            c->format = SD_FMT_TABLE;
        else if (strcmp(arg, "json") == 0)
            c->format = SD_FMT_JSON;
        else if (strcmp(arg, "tsv") == 0)
            c->format = SD_FMT_TSV;
        else {
            sd_cli_usage_error(c, "--format: '%s' is not one of table, json, tsv", arg);
            return -1;
        }
        return 1;
    case SD_OPT_OUTPUT: c->output = arg; return 1;
    case SD_OPT_QUIET: c->quiet = 1; return 1;
    case SD_OPT_PROGRESS: c->progress = 1; return 1;
    default: return 0;
    }
}

int sd_cli_is_npy(const char *s)
{
    size_t n = strlen(s);
    return n >= 4 && s[n - 4] == '.' && tolower((unsigned char)s[n - 3]) == 'n' &&
           tolower((unsigned char)s[n - 2]) == 'p' && tolower((unsigned char)s[n - 1]) == 'y';
}

int sd_cli_add_input(sd_cli *c, const char *path)
{
    if (path == NULL)
        return 0;
    if (c->ninputs == SD_CLI_MAX_INPUTS) {
        fprintf(stderr, "%s: more than %d input files\n", c->prog, SD_CLI_MAX_INPUTS);
        return -1;
    }
    c->inputs[c->ninputs++] = path;
    return 0;
}

int sd_cli_check_written(const sd_cli *c, const char *opt, const char *path)
{
    return sd_cli_check_output(c, opt, path, c->inputs, c->ninputs);
}

int sd_cli_finish(sd_cli *c, int argc, char **argv)
{
    if (optind < argc) {
        sd_cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    c->mc.rng = sd_rng_type_by_name(c->rng_name);
    if (c->mc.rng == NULL) {
        sd_cli_usage_error(c, "--rng: unknown generator '%s'", c->rng_name);
        return -1;
    }
    if (c->quiet && c->progress) {
        sd_cli_usage_error(c, "--quiet and --progress contradict each other");
        return -1;
    }
    return sd_cli_check_written(c, "--output", c->output) != 0 ? -1 : 0;
}

int sd_cli_finish_model(sd_cli *c, int need_model, size_t default_V, size_t default_T)
{
    if (c->random && (c->draft || c->target)) {
        sd_cli_usage_error(c, "give either --random or --draft/--target, not both");
        return -1;
    }
    if (!c->random && (c->draft != NULL) != (c->target != NULL)) {
        sd_cli_usage_error(c, "--draft and --target go together (missing --%s)",
                           c->draft ? "target" : "draft");
        return -1;
    }
    if (!c->random && c->draft == NULL) {
        if (need_model && default_V == 0) {
            sd_cli_usage_error(c, "no model: give --draft FILE --target FILE, or --random V,T");
            return -1;
        }
        c->random = 1;
        c->rV = default_V;
        c->rT = default_T;
    }
    if (c->random && c->horizon)
        c->rT = c->horizon;
    /* --start names a file unless it is 'uniform' or a state index */
    if (sd_cli_add_input(c, c->draft) != 0 || sd_cli_add_input(c, c->target) != 0 ||
        (c->start != NULL && strcmp(c->start, "uniform") != 0 &&
         !(c->start[0] >= '0' && c->start[0] <= '9') && sd_cli_add_input(c, c->start) != 0))
        return -1;
    return 0;
}

/* Refuse a model (what: its description) whose kernels, bytes in
 * memory, do not fit, or whose horizon makes even one pass over the
 * kernels (T V^2) take hours, or runs x T simulated tokens beyond
 * SD_CLI_MAX_TOKENS; 0 if fine. */
static int refuse_size(const sd_cli *c, size_t V, size_t T, double bytes, const char *what)
{
    double VV = (double)V * (double)V;
    if (sd_cli_refuse_memory(c, bytes, what) != 0)
        return 2;
    if ((double)T * VV > SD_CLI_MAX_PASS) {
        fprintf(stderr, "%s: V = %zu, T = %zu: one pass over the kernels along the horizon "
                        "is T V^2 = %.3g operations, over the limit of %.0e (hours of "
                        "computing): use a shorter --horizon\n",
                c->prog, V, T, (double)T * VV, SD_CLI_MAX_PASS);
        return 2;
    }
    if ((double)c->mc.runs * (double)T > SD_CLI_MAX_TOKENS) {
        fprintf(stderr, "%s: --runs %zu with T = %zu simulates %.3g tokens, over the limit "
                        "of %.0e (hours of computing): use fewer runs\n",
                c->prog, c->mc.runs, T, (double)c->mc.runs * (double)T, SD_CLI_MAX_TOKENS);
        return 2;
    }
    return 0;
}

/* Before the model files are read: their shapes and dtypes from the
 * headers alone, checked against --horizon, and the memory the kernels
 * take as doubles and the work of one pass refused as for --random.  0
 * if fine, or if a file cannot be read as a square (T,V,V) or (V,V)
 * array of floats (sd_model_load says why), else 2 after a message. */
static int precheck_files(const sd_cli *c)
{
    const char *path[2] = {c->draft, c->target};
    sd_npy_view v[2];
    sd_error err;
    size_t i, V, T = c->horizon;
    int rc = 0, ok = 1;
    char what[512];
    memset(v, 0, sizeof v);
    for (i = 0; i < 2 && ok; i++)
        ok = sd_npy_view_open(path[i], SD_NPY_FLOATS, &v[i], &err) == SD_OK &&
             (v[i].ndim == 2 || v[i].ndim == 3) &&
             v[i].shape[v[i].ndim - 1] == v[i].shape[v[i].ndim - 2] &&
             v[i].shape[v[i].ndim - 1] == v[0].shape[v[0].ndim - 1] && v[i].shape[0] > 0;
    for (i = 0; i < 2 && ok && rc == 0; i++) {
        if (v[i].ndim == 3 && c->horizon != 0 && c->horizon != v[i].shape[0])
            rc = sd_cli_usage_error(c, "%s: --horizon %zu disagrees with the file's T = %zu",
                                    path[i], c->horizon, v[i].shape[0]);
        else if (v[i].ndim == 3 && T == 0)
            T = v[i].shape[0];
    }
    if (ok && rc == 0 && T == 0)
        rc = sd_cli_usage_error(c, "%s: a stationary (V,V) kernel needs --horizon T", path[0]);
    if (ok && rc == 0) {
        V = v[0].shape[1];
        snprintf(what, sizeof what, "--draft %.200s and --target %.200s (V = %zu, T = %zu)",
                 path[0], path[1], V, T);
        rc = refuse_size(c, V, T, 8.0 * ((double)v[0].size + (double)v[1].size), what);
    }
    sd_npy_view_close(&v[0]);
    sd_npy_view_close(&v[1]);
    return rc;
}

/* The start law of x_0 (--start); 0, or the exit code after a message
 * naming the option. */
static int set_start(const sd_cli *c, sd_model *m)
{
    sd_error err;
    const char *s = c->start;
    sd_error_clear(&err);
    if (s != NULL && s[0] >= '0' && s[0] <= '9' && strtoull(s, NULL, 10) >= m->V)
        return sd_cli_usage_error(c, "--start %s: state out of range (V = %zu, states 0..%zu)",
                                  s, m->V, m->V - 1);
    if (sd_model_set_start(m, s, &err) != SD_OK)
        return sd_cli_fail_opt(c, "--start", &err);
    return 0;
}

int sd_cli_load_model(sd_cli *c, sd_model *m)
{
    sd_error err;
    sd_status st;
    int rc;
    sd_error_clear(&err);
    if (c->random) {
        double kern = (double)c->rV * (double)c->rV * (c->stationary ? 1.0 : (double)c->rT);
        char what[96];
        snprintf(what, sizeof what, "a model with V = %zu, T = %zu%s", c->rV, c->rT,
                 c->stationary ? " (stationary)" : "");
        if (refuse_size(c, c->rV, c->rT, 2.0 * kern * sizeof(double), what) != 0)
            return 2;
        st = sd_model_random(m, c->rV, c->rT, (sd_family)c->family, c->alpha, c->stationary,
                             c->model_seed, &err);
    } else {
        if ((rc = precheck_files(c)) != 0)
            return rc;
        st = sd_model_load(m, c->draft, c->target, c->horizon, NULL, &err);
    }
    if (st != SD_OK)
        return sd_cli_fail(c, &err);
    if ((rc = set_start(c, m)) != 0)
        sd_model_free(m);
    return rc;
}

void sd_cli_progress(void *arg, size_t done, size_t total)
{
    sd_cli *c = arg;
    struct timespec now;
    double el;
    int tty = isatty(STDERR_FILENO);
    if (c->quiet || (!tty && !c->progress))
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    el = (double)(now.tv_sec - c->started.tv_sec) + 1e-9 * (double)(now.tv_nsec - c->started.tv_nsec);
    if (done >= total) {
        if (c->progress_shown && tty)
            fprintf(stderr, "\r%78s\r", "");
        else if (c->progress_shown)
            fprintf(stderr, "%s: simulating done (%zu chunks, %.0f s)\n", c->prog, total, el);
        c->progress_shown = 0;
        return;
    }
    /* on a terminal from one second on, redrawn at most five times a
     * second; elsewhere (--progress) a new line at the first chunk and
     * then every ten seconds */
    if (tty ? (el < 1.0 || (c->progress_shown && el - c->progress_last < 0.2))
            : (c->progress_shown && el - c->progress_last < 10.0))
        return;
    c->progress_last = el;
    fprintf(stderr, "%s%s: simulating %3.0f%% (chunk %zu of %zu, %.0f s", tty ? "\r" : "",
            c->prog, 100.0 * (double)done / (double)total, done, total, el);
    if (done > 0)
        fprintf(stderr, ", about %.0f s left", el * (double)(total - done) / (double)done);
    fputs(tty ? ")   " : ")\n", stderr);
    c->progress_shown = 1;
}

/* Open the output on this process (rank 0 of an MPI job, or alone). */
int sd_out_open_file(const sd_cli *c, const char *path, sd_out *o)
{
    int fd;
    size_t L = strlen(path) + 16;
    o->f = stdout;
    o->tmp = malloc(L);
    if (o->tmp == NULL) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return 3;
    }
    snprintf(o->tmp, L, "%s.tmpXXXXXX", path);
    fd = mkstemp(o->tmp);
    if (fd < 0 || (o->f = fdopen(fd, "w")) == NULL) {
        /* a missing or forbidden directory is the user's to fix (exit 2);
         * anything else is an I/O failure (exit 3) */
        int user = fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == EACCES ||
                              errno == EROFS || errno == EISDIR);
        fprintf(stderr, "%s: cannot write %s: %s\n", c->prog, path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        free(o->tmp);
        o->f = stdout;
        o->tmp = NULL;
        return user ? 2 : 3;
    }
    return 0;
}

static int out_open_here(const sd_cli *c, sd_out *o)
{
    o->f = stdout;
    o->tmp = NULL;
    if (c->output == NULL || strcmp(c->output, "-") == 0)
        return 0;
    return sd_out_open_file(c, c->output, o);
}

int sd_out_open(const sd_cli *c, sd_out *o)
{
    int rc = 0, agreed;
    o->f = stdout; /* /dev/null on the other processes of an MPI job */
    o->tmp = NULL;
    if (sd_par_rank() == 0)
        rc = out_open_here(c, o);
    agreed = sd_par_agree(rc);
    if (agreed != 0 && rc == 0 && o->tmp != NULL) {
        /* another process failed: write nothing */
        fclose(o->f);
        unlink(o->tmp);
        free(o->tmp);
        o->f = stdout;
        o->tmp = NULL;
    }
    return agreed;
}

int sd_out_close_file(const sd_cli *c, const char *path, sd_out *o, int commit)
{
    int bad = ferror(o->f) != 0;
    bad = (fclose(o->f) != 0) || bad;
    if (commit && !bad) {
        chmod(o->tmp, (mode_t)sd_umask_mode(0666));
        if (rename(o->tmp, path) != 0)
            bad = 1;
    }
    if (!commit || bad) {
        unlink(o->tmp);
        if (bad)
            fprintf(stderr, "%s: cannot write %s: %s\n", c->prog, path, strerror(errno));
    }
    free(o->tmp);
    o->tmp = NULL;
    o->f = stdout;
    return bad ? 3 : 0;
}

/* Close the output on this process. */
static int out_close_here(const sd_cli *c, sd_out *o, int commit)
{
    if (o->tmp != NULL)
        return sd_out_close_file(c, c->output, o, commit);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: write error on standard output: %s\n", c->prog, strerror(errno));
        return 3;
    }
    return 0;
}

int sd_out_close(const sd_cli *c, sd_out *o, int commit)
{
    /* commit only what every process of an MPI job agrees on */
    int agreed = commit ? sd_par_agree(0) : 0;
    int rc = out_close_here(c, o, commit && agreed == 0);
    return agreed != 0 ? agreed : rc;
}

void sd_print_double(FILE *f, double x)
{
    char buf[40];
    int p;
    for (p = 15; p < 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    fprintf(f, "%.*g", p, x);
}

void sd_json_num(FILE *f, double x)
{
    if (isfinite(x))
        sd_print_double(f, x);
    else
        fputs("null", f);
}

void sd_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

void sd_cli_json_program(FILE *f, const sd_cli *c)
{
    fputs(",\"program\":", f);
    sd_json_str(f, c->prog);
    fputs(",\"version\":", f);
    sd_json_str(f, PACKAGE_VERSION);
    fputs(",\"command\":", f);
    sd_json_str(f, c->command);
}

/* The model description as the JSON member "model" (with its comma). */
static void json_model(FILE *f, const sd_cli *c)
{
    fputs(",\"model\":{", f);
    if (c->random) {
        fprintf(f, "\"random\":true,\"vocab\":%zu,\"horizon\":%zu,\"family\":", c->rV, c->rT);
        sd_json_str(f, sd_family_name((sd_family)c->family));
        if (c->family == SD_FAMILY_DIRICHLET) {
            fputs(",\"alpha\":", f);
            sd_json_num(f, c->alpha);
        }
        fprintf(f, ",\"model_seed\":%llu,\"stationary\":%s", (unsigned long long)c->model_seed,
                c->stationary ? "true" : "false");
    } else {
        fputs("\"random\":false,\"draft\":", f);
        sd_json_str(f, c->draft);
        fputs(",\"target\":", f);
        sd_json_str(f, c->target);
    }
    fputs(",\"start\":", f);
    sd_json_str(f, c->start ? c->start : "uniform");
    fputc('}', f);
}

void sd_cli_json_provenance(FILE *f, const sd_cli *c, int with_mc)
{
    sd_cli_json_program(f, c);
    if (c->random || c->draft != NULL)
        json_model(f, c);
    if (with_mc) {
        fprintf(f, ",\"rng\":");
        sd_json_str(f, c->mc.rng ? c->mc.rng->name : "xoshiro256ss");
        fprintf(f, ",\"threads\":%d", c->mc.threads);
        if (sd_par_size() > 1)
            fprintf(f, ",\"ranks\":%d", sd_par_size());
    }
}

void sd_cli_comment_provenance(FILE *f, const sd_cli *c, int with_mc)
{
    fprintf(f, "# %s %s\n# command: %s\n", c->prog, PACKAGE_VERSION, c->command);
    if (c->random) {
        fprintf(f, "# model: random %s", sd_family_name((sd_family)c->family));
        if (c->family == SD_FAMILY_DIRICHLET)
            fprintf(f, " alpha=%g", c->alpha);
        fprintf(f, " V=%zu T=%zu model_seed=%llu%s start=%s\n", c->rV, c->rT,
                (unsigned long long)c->model_seed, c->stationary ? " stationary" : "",
                c->start ? c->start : "uniform");
    } else if (c->draft != NULL) {
        fprintf(f, "# model: draft=%s target=%s start=%s\n", c->draft, c->target,
                c->start ? c->start : "uniform");
    }
    if (with_mc) {
        fprintf(f, "# monte carlo: runs=%zu seed=%llu rng=%s threads=%d", c->mc.runs,
                (unsigned long long)c->mc.seed, c->mc.rng ? c->mc.rng->name : "xoshiro256ss",
                c->mc.threads);
        if (sd_par_size() > 1)
            fprintf(f, " ranks=%d", sd_par_size());
        fputc('\n', f);
    }
}

static void kv_value(FILE *f, const sd_kv *kv, int json)
{
    switch (kv->type) {
    case SD_KV_NUM:
        if (json)
            sd_json_num(f, kv->num);
        else if (isfinite(kv->num))
            sd_print_double(f, kv->num);
        else
            fputs(isnan(kv->num) ? "-" : (kv->num > 0 ? "inf" : "-inf"), f);
        break;
    case SD_KV_INT: fprintf(f, "%lld", kv->i); break;
    case SD_KV_U64: fprintf(f, "%llu", (unsigned long long)kv->u); break;
    case SD_KV_STR:
        if (json)
            sd_json_str(f, kv->str);
        else
            fputs(kv->str, f);
        break;
    case SD_KV_BOOL: fputs(kv->i ? "true" : "false", f); break;
    case SD_KV_NULL: fputs(json ? "null" : "-", f); break;
    case SD_KV_ARRAY: {
        long long k;
        if (json)
            fputc('[', f);
        for (k = 0; k < kv->i; k++) {
            if (k)
                fputc(',', f);
            if (json)
                sd_json_num(f, kv->arr[k]);
            else
                sd_print_double(f, kv->arr[k]);
        }
        if (json)
            fputc(']', f);
        break;
    }
    }
}

void sd_json_members(FILE *f, const sd_kv *kv, size_t n, int comma)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (i || comma)
            fputc(',', f);
        sd_json_str(f, kv[i].key);
        fputc(':', f);
        kv_value(f, &kv[i], 1);
    }
}

void sd_report_kv(FILE *f, const sd_cli *c, const sd_kv *kv, size_t n, int with_mc)
{
    size_t i;
    if (c->format == SD_FMT_JSON) {
        fputc('{', f);
        sd_json_members(f, kv, n, 0);
        sd_cli_json_provenance(f, c, with_mc);
        fputs("}\n", f);
        return;
    }
    sd_cli_comment_provenance(f, c, with_mc);
    if (c->format == SD_FMT_TSV) {
        for (i = 0; i < n; i++)
            fprintf(f, "%s%s", i ? "\t" : "", kv[i].key);
        fputc('\n', f);
        for (i = 0; i < n; i++) {
            if (i)
                fputc('\t', f);
            kv_value(f, &kv[i], 0);
        }
        fputc('\n', f);
        return;
    }
    for (i = 0; i < n; i++) {
        fprintf(f, "%-22s ", kv[i].key);
        kv_value(f, &kv[i], 0);
        fputc('\n', f);
    }
}

/* One check as a JSON object (preceded by a comma if comma != 0): name,
 * exact, then value (a value check) or estimate, stderr (a z check) and
 * z, then chi2, df, p_value and empty_violations (a law check), pass
 * and detail. */
static void json_check(FILE *f, const sd_check *k, int comma)
{
    sd_kv kv[12];
    size_t n = 0;
    const sd_kv head[] = {SD_KV_S("name", k->name), SD_KV_N("exact", k->exact)};
    const sd_kv value[] = {SD_KV_N("value", k->estimate)};
    const sd_kv est[] = {SD_KV_N("estimate", k->estimate), SD_KV_N("stderr", k->stderr_est),
                         SD_KV_N("z", k->z)};
    const sd_kv law[] = {SD_KV_N("chi2", k->chi2), SD_KV_I("df", k->df),
                         SD_KV_N("p_value", k->p_value),
                         SD_KV_I("empty_violations", k->empty_violations)};
    const sd_kv tail[] = {SD_KV_B("pass", k->pass), SD_KV_S("detail", k->detail)};
#define ADD(a, from, count) (memcpy(kv + n, (a) + (from), (count) * sizeof *kv), n += (count))
    ADD(head, 0, 2);
    if (k->kind == SD_CHECK_VALUE)
        ADD(value, 0, 1);
    else if (k->kind == SD_CHECK_Z)
        ADD(est, 0, 3);
    else { /* no standard error */
        ADD(est, 0, 1);
        ADD(est, 2, 1);
    }
    if (k->kind == SD_CHECK_LAW)
        ADD(law, 0, 4);
    ADD(tail, 0, 2);
#undef ADD
    fputs(comma ? ",{" : "{", f);
    sd_json_members(f, kv, n, 0);
    fputc('}', f);
}

static const char *verdict(int pass)
{
    return pass ? "PASS" : "FAIL";
}

/* The members kv as '#' comment lines. */
static void comment_members(FILE *f, const sd_kv *kv, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        fprintf(f, "# %s: ", kv[i].key);
        kv_value(f, &kv[i], 0);
        fputc('\n', f);
    }
}

void sd_report_checks(FILE *f, const sd_cli *c, const char *theorem, const sd_model *m,
                      const sd_checklist *l, const sd_kv *extra, size_t nextra)
{
    size_t i;
    int all = sd_checklist_pass(l);
    const sd_kv model[] = {SD_KV_I("vocab", m != NULL ? m->V : 0),
                           SD_KV_I("horizon", m != NULL ? m->T : 0)};
    const size_t nmodel = m != NULL ? 2 : 0;
    if (c->format == SD_FMT_JSON) {
        fputs("{\"theorem\":", f);
        sd_json_str(f, theorem);
        fprintf(f, ",\"pass\":%s", all ? "true" : "false");
        sd_json_members(f, model, nmodel, 1);
        sd_json_members(f, extra, nextra, 1);
        sd_cli_json_provenance(f, c, 1);
        fprintf(f, ",\"runs\":%zu,\"seed\":%llu,\"z_max\":", c->mc.runs, (unsigned long long)c->mc.seed);
        sd_json_num(f, c->mc.z_max);
        fputs(",\"checks\":[", f);
        for (i = 0; i < l->n; i++)
            json_check(f, &l->v[i], i > 0);
        fputs("]}\n", f);
        return;
    }
    sd_cli_comment_provenance(f, c, 1);
    comment_members(f, model, nmodel);
    comment_members(f, extra, nextra);
    if (c->format == SD_FMT_TSV) {
        fputs("name\texact\testimate\tstderr\tz\tp_value\tpass\tdetail\n", f);
        for (i = 0; i < l->n; i++) {
            const sd_check *k = &l->v[i];
            fprintf(f, "%s\t%.17g\t%.17g\t%.6g\t%.6g\t%.6g\t%s\t%s\n", k->name, k->exact,
                    k->estimate, k->stderr_est, k->z, k->p_value, k->pass ? "true" : "false",
                    k->detail);
        }
        return;
    }
    {
        int w = 28, has_law = 0;
        for (i = 0; i < l->n; i++) {
            if ((int)strlen(l->v[i].name) > w)
                w = (int)strlen(l->v[i].name);
            has_law |= l->v[i].kind == SD_CHECK_LAW;
        }
        if (has_law)
            fputs("# a law check (empirical law against the exact one): estimate = their TV\n"
                  "# distance, z = the largest |z| of a bin (from its binomial tail),\n"
                  "# chi2/df/p = Pearson's test\n", f);
        fprintf(f, "%-*s %18s %18s %12s %9s  %s\n", w, "check", "exact", "estimate/value",
                "stderr", "z", "verdict");
        for (i = 0; i < l->n; i++) {
            const sd_check *k = &l->v[i];
            fprintf(f, "%-*s %18.12g %18.12g ", w, k->name, k->exact, k->estimate);
            if (k->kind == SD_CHECK_Z && isfinite(k->stderr_est) && isfinite(k->z))
                fprintf(f, "%12.4g %9.3f", k->stderr_est, k->z);
            else if (k->kind == SD_CHECK_Z)
                fprintf(f, "%12s %9s", "-", "-");
            else if (k->kind == SD_CHECK_LAW)
                fprintf(f, "%12s %9.3f", "", k->z);
            else
                fprintf(f, "%12s %9s", "", "");
            fprintf(f, "  %s  (%s", verdict(k->pass), k->detail);
            if (k->kind == SD_CHECK_LAW)
                fprintf(f, "; chi2 = %.4g, df = %zu, p = %.3g", k->chi2, k->df, k->p_value);
            fputs(")\n", f);
        }
    }
    fprintf(f, "theorem %s: %s\n", theorem, all ? "all checks hold" : "SOME CHECKS FAILED");
}

int sd_cli_rule(const sd_cli *c, const char *arg, unsigned need, const sd_rule_type **out)
{
    const sd_rule_type *T = sd_rule_find(arg);
    char names[512];
    if (T != NULL && (T->flags & need) == need) {
        *out = T;
        return 0;
    }
    sd_cli_usage_error(c, "--algo: unknown algorithm '%s' (%s)", arg,
                       sd_rule_names(names, sizeof names, ", ", need));
    return -1;
}

/* Append word to the help paragraph being wrapped at 77 columns. */
static void help_word(FILE *f, const char *word, size_t *col)
{
    size_t n = strlen(word);
    if (*col + 1 + n > 77) {
        fprintf(f, "\n%23s%s", "", word);
        *col = 23 + n;
    } else {
        fprintf(f, "%s%s", *col > 23 ? " " : "", word);
        *col += (*col > 23 ? 1 : 0) + n;
    }
}

/* Append text word by word. */
static void help_words(FILE *f, const char *text, size_t *col)
{
    char word[128];
    while (*text != '\0') {
        size_t n = strcspn(text, " ");
        if (n > 0 && n < sizeof word) {
            memcpy(word, text, n);
            word[n] = '\0';
            help_word(f, word, col);
        }
        text += n;
        text += strspn(text, " ");
    }
}

void sd_cli_help_rules(FILE *f, unsigned need, const sd_rule_type *dflt, const char *tail)
{
    const sd_rule_type *const *r;
    char buf[256];
    size_t col = 23, left = 0;
    for (r = sd_rules; *r != NULL; r++)
        left += ((*r)->flags & need) == need && *r != dflt;
    fputs("  --algo A             ", f);
    if (dflt != NULL) {
        snprintf(buf, sizeof buf, "%s (default)%s", dflt->name,
                 left > 0 ? "," : tail != NULL ? tail : "");
        help_words(f, buf, &col);
    }
    for (r = sd_rules; *r != NULL; r++) {
        if (((*r)->flags & need) != need || *r == dflt)
            continue;
        left--;
        snprintf(buf, sizeof buf, "%s (%s)%s", (*r)->name, (*r)->summary,
                 left > 0 ? "," : tail != NULL ? tail : "");
        help_words(f, buf, &col);
    }
    fputc('\n', f);
}

int sd_cli_control(const sd_cli *c, const sd_rule_type *algo, const char *name, size_t *out)
{
    const sd_rule_type *const *r;
    char names[256] = "";
    int k = sd_rule_control_parse(algo, name);
    if (k >= 0) {
        *out = (size_t)k;
        return 0;
    }
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

int sd_cli_row(sd_cli *c, const char *arg, void *dest)
{
    size_t *row = dest;
    unsigned long tt, ss;
    char tail;
    if (arg[0] < '0' || arg[0] > '9' || strchr(arg, '-') != NULL ||
        sscanf(arg, "%lu,%lu%c", &tt, &ss, &tail) != 2) {
        sd_cli_usage_error(c, "--row: '%s' is not T,S (position, state)", arg);
        return -1;
    }
    row[0] = tt;
    row[1] = ss;
    return 0;
}

int sd_cli_row_check(const sd_cli *c, const sd_model *m, const size_t *row)
{
    if (row[0] < 1 || row[0] > m->T || row[1] >= m->V)
        return sd_cli_usage_error(c, "--row: %zu,%zu is not a row (t in 1..%zu, s in 0..%zu)",
                                  row[0], row[1], m->T, m->V - 1);
    return 0;
}
