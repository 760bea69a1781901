/* cli.h - the command-line contract shared by every executable.
 *
 * Parses the common options (model, Monte Carlo, output; README,
 * "Command-line contract"), loads the model, opens the output (a
 * temporary file renamed into place only on success, so nothing
 * half-written is ever left), shows progress on a terminal, and writes reports as table, JSON or TSV with
 * the provenance (program, version, command, seeds, parameters).
 * Unlike the library, this layer prints to stderr.
 */
#ifndef SD_CLI_H
#define SD_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <gsl/gsl_rng.h>

#include "check.h"
#include "mc.h"
#include "model.h"
#include "rule.h"

typedef enum { SD_FMT_TABLE = 0, SD_FMT_JSON, SD_FMT_TSV } sd_format;

enum {
    SD_OPT_DRAFT = 1000, SD_OPT_TARGET, SD_OPT_HORIZON, SD_OPT_START,
    SD_OPT_RANDOM, SD_OPT_FAMILY, SD_OPT_ALPHA, SD_OPT_MODEL_SEED,
    SD_OPT_STATIONARY, SD_OPT_RUNS, SD_OPT_SEED, SD_OPT_THREADS, SD_OPT_Z,
    SD_OPT_RNG, SD_OPT_FORMAT, SD_OPT_OUTPUT, SD_OPT_QUIET, SD_OPT_PROGRESS,
    SD_OPT_POSITIONS, SD_OPT_P_MIN,
    SD_OPT_FIRST_LOCAL = 1100 /* executables number their own options from here */
};

#define SD_CLI_MODEL_OPTIONS                                                   \
    {"draft", required_argument, 0, SD_OPT_DRAFT},                             \
    {"target", required_argument, 0, SD_OPT_TARGET},                           \
    {"horizon", required_argument, 0, SD_OPT_HORIZON},                         \
    {"start", required_argument, 0, SD_OPT_START},                             \
    {"random", required_argument, 0, SD_OPT_RANDOM},                           \
    {"family", required_argument, 0, SD_OPT_FAMILY},                           \
    {"alpha", required_argument, 0, SD_OPT_ALPHA},                             \
    {"model-seed", required_argument, 0, SD_OPT_MODEL_SEED},                   \
    {"stationary", no_argument, 0, SD_OPT_STATIONARY}

#define SD_CLI_MC_OPTIONS                                                      \
    {"runs", required_argument, 0, SD_OPT_RUNS},                               \
    {"seed", required_argument, 0, SD_OPT_SEED},                               \
    {"threads", required_argument, 0, SD_OPT_THREADS},                         \
    {"z", required_argument, 0, SD_OPT_Z},                                     \
    {"rng", required_argument, 0, SD_OPT_RNG}

#define SD_CLI_THM_OPTIONS                                                     \
    {"positions", required_argument, 0, SD_OPT_POSITIONS},                     \
    {"p-min", required_argument, 0, SD_OPT_P_MIN}

#define SD_CLI_OUTPUT_OPTIONS                                                  \
    {"format", required_argument, 0, SD_OPT_FORMAT},                           \
    {"output", required_argument, 0, SD_OPT_OUTPUT},                           \
    {"quiet", no_argument, 0, SD_OPT_QUIET},                                   \
    {"progress", no_argument, 0, SD_OPT_PROGRESS},                             \
    {"help", no_argument, 0, 'h'},                                             \
    {"version", no_argument, 0, 'V'}

/* Help text paragraphs for the shared options. */
extern const char sd_cli_help_model[];
extern const char sd_cli_help_mc[];
extern const char sd_cli_help_output[];

#define SD_DEFAULT_SEED 20241101u
#define SD_DEFAULT_MODEL_SEED 1u

/* Most input files of one command. */
#define SD_CLI_MAX_INPUTS 16

typedef struct {
    const char *prog;         /* executable (and subcommand) name for messages */
    char command[4096];       /* the command line, for provenance */
    /* model */
    const char *draft, *target, *start;
    size_t horizon;           /* 0 = not given */
    int random;               /* --random given */
    size_t rV, rT;            /* --random V,T */
    int family;               /* sd_family */
    double alpha;
    uint64_t model_seed;
    int stationary;
    /* Monte Carlo: runs, seed, threads, generator, z_max, p_min, tracked
     * positions (pointing into pos), progress line */
    sd_mc_config mc;
    const char *rng_name;
    size_t pos[64];           /* --positions */
    /* output */
    sd_format format;
    const char *output;
    int quiet;
    int progress;             /* --progress: draw it even when stderr is no terminal */
    /* input files (the model's and the program's own): no output may
     * name one (sd_cli_add_input, sd_cli_check_written) */
    const char *inputs[SD_CLI_MAX_INPUTS];
    size_t ninputs;
    /* progress */
    struct timespec started;
    int progress_shown;
    double progress_last;     /* seconds since start when the line was last drawn */
} sd_cli;

/* Defaults: runs as given, seed SD_DEFAULT_SEED, all cores, z 4.5,
 * p-value limit 1e-6, the progress line, table format.  Records argv as
 * the command. */
void sd_cli_init(sd_cli *c, const char *prog, int argc, char **argv, size_t runs);

/* Handle a shared option.  Returns 1 if handled, 0 if opt is not a
 * shared option, -1 on a bad value (message already on stderr). */
int sd_cli_option(sd_cli *c, int opt, const char *arg);

/* After parsing the model options: reject inconsistent ones and record
 * the model files as inputs.  need_model: a model must be given (else
 * --random default_V,default_T is used when default_V > 0).  -1 on
 * error. */
int sd_cli_finish_model(sd_cli *c, int need_model, size_t default_V, size_t default_T);

/* After parsing: reject stray positional arguments, an unknown --rng,
 * --quiet with --progress, and an --output that cannot be written or
 * names an input file (sd_cli_check_written).  -1 on error. */
int sd_cli_finish(sd_cli *c, int argc, char **argv);

/* 1 if the file name s ends in ".npy" (in any case). */
int sd_cli_is_npy(const char *s);

/* Record path (NULL: nothing) as an input file; -1 after a message if
 * there are too many. */
int sd_cli_add_input(sd_cli *c, const char *path);

/* Load or generate the model the options describe.  Prints the message
 * and returns the exit code (0 on success, 2 or 3). */
int sd_cli_load_model(sd_cli *c, sd_model *m);

/* Strict number parsing for option values; print "prog: --opt: ..." and
 * return -1 on error, 0 on success. */
int sd_cli_size(const sd_cli *c, const char *opt, const char *arg, size_t min, size_t *out);
int sd_cli_u64(const sd_cli *c, const char *opt, const char *arg, uint64_t *out);
int sd_cli_double(const sd_cli *c, const char *opt, const char *arg, double lo, double hi,
                  double *out);
/* A comma-separated list of positive integers (e.g. positions). */
int sd_cli_size_list(const sd_cli *c, const char *opt, const char *arg, size_t *out,
                     size_t cap, size_t *n);
/* A comma-separated list of doubles. */
int sd_cli_double_list(const sd_cli *c, const char *opt, const char *arg, double *out,
                       size_t cap, size_t *n);

/* Largest --drafts any command accepts. */
#define SD_CLI_MAX_DRAFTS 1000000
/* Largest runs x horizon (simulated tokens) a command accepts: hours of
 * simulation at 1e8 to 1e9 tokens a second. */
#define SD_CLI_MAX_TOKENS 1e12
/* Largest T V^2 (one pass over the kernels along the horizon, the least
 * any exact computation does) a command accepts. */
#define SD_CLI_MAX_PASS 1e11

/* Refuse (print, return 2) an --output that cannot be written or would
 * destroy an input, before any work: the empty name, an existing
 * directory, a missing or forbidden directory, or the same file (device
 * and inode) as one of the n paths in inputs (NULL entries skipped,
 * like the model files, which sd_cli_finish checks itself).  path is
 * the output (NULL: nothing to check), opt its option name.  0 if fine. */
int sd_cli_check_output(const sd_cli *c, const char *opt, const char *path,
                        const char *const *inputs, size_t n);

/* Refuse (print, return 2) a path written under option opt that is the
 * same file as one of the n inputs (NULL entries skipped); 0 if fine. */
int sd_cli_refuse_input(const sd_cli *c, const char *opt, const char *path,
                        const char *const *inputs, size_t n);

/* sd_cli_check_output against the recorded input files (c->inputs). */
int sd_cli_check_written(const sd_cli *c, const char *opt, const char *path);

/* 1 if paths a and b name the same file: the same device and inode when
 * both exist, else the same name in the same directory. */
int sd_cli_same_path(const char *a, const char *b);

/* Physical memory of the machine in bytes (0 if unknown). */
double sd_cli_phys_mem(void);
/* Refuse (print, return 2) when bytes (what: a description) exceed the
 * machine's physical memory; 0 if fine. */
int sd_cli_refuse_memory(const sd_cli *c, double bytes, const char *what);

/* Refuse (print, return 2) work of about `work` elementary operations
 * (what: a description, e.g. "--rules 1000 on V = 7, T = 50: T V^2 x
 * rules") above limit; 0 if fine. */
int sd_cli_refuse_work(const sd_cli *c, double work, const char *what, double limit);
/* Refuse (print, return 2) an exact computation of rule with M drafts
 * on m whose estimated cost is above limit; 0 if fine. */
int sd_cli_refuse_cost(const sd_cli *c, const sd_model *m, const sd_rule_type *rule, size_t M,
                       double limit);
/* The limit of sd_cli_refuse_cost for a theorem check, which also
 * simulates and repeats the exact computation. */
#define SD_CLI_MAX_WORK_CHECK 1e10

/* getopt_long returned '?': name the offending option once (getopt's
 * own message is turned off by sd_cli_init) and return 2. */
int sd_cli_bad_option(const sd_cli *c, char **argv);

/* --algo: the rule named arg among those whose flags include need; else
 * print "prog: --algo: unknown algorithm 'arg' (list)" and return -1. */
int sd_cli_rule(const sd_cli *c, const char *arg, unsigned need, const sd_rule_type **out);
/* --control: *out = 0 for "none", c for algo's negative control c; else
 * print why not (algo has no such control, or none at all) and return -1. */
int sd_cli_control(const sd_cli *c, const sd_rule_type *algo, const char *name, size_t *out);
/* Print the help paragraph of --algo for the rules whose flags include
 * need, dflt first marked "(default)", the others with their summaries,
 * tail (or NULL) right after the last, wrapped at 77 columns. */
void sd_cli_help_rules(FILE *f, unsigned need, const sd_rule_type *dflt, const char *tail);

/* --row T,S: parse into dest (size_t[2]); 0, or -1 after a message. */
int sd_cli_row(sd_cli *c, const char *arg, void *dest);
/* 0 if row is a row (t, s) of m, else 2 after a message. */
int sd_cli_row_check(const sd_cli *c, const sd_model *m, const size_t *row);

/* Print "prog: msg" to stderr and return 2 (usage error). */
int sd_cli_usage_error(const sd_cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print "prog: what: msg" (what: the option or input the failure is
 * about) and return err's exit code. */
int sd_cli_fail_opt(const sd_cli *c, const char *what, const sd_error *err);
/* Print err's message and return its exit code. */
int sd_cli_fail(const sd_cli *c, const sd_error *err);

/* Progress callback for sd_mc_config (arg = the sd_cli). */
void sd_cli_progress(void *arg, size_t done, size_t total);

/* Output: open stdout or a temporary file beside --output.  Under MPI
 * only rank 0 writes (the others get standard output, /dev/null there);
 * opening and committing are agreed by every process (par.h). */
typedef struct {
    FILE *f;
    char *tmp;        /* temporary path, or NULL for stdout */
} sd_out;

/* 0 on success, else prints and returns 2 (the directory is missing or
 * forbidden) or 3 (another I/O failure). */
int sd_out_open(const sd_cli *c, sd_out *o);
/* Finish: commit != 0 renames the temporary file into place, else
 * removes it.  Returns 0, or 3 on an I/O failure. */
int sd_out_close(const sd_cli *c, sd_out *o, int commit);

/* The same for a file path a program writes besides --output, on this
 * process alone (no MPI agreement): a temporary file beside path, renamed
 * into place with the umask's mode when committed. */
int sd_out_open_file(const sd_cli *c, const char *path, sd_out *o);
int sd_out_close_file(const sd_cli *c, const char *path, sd_out *o, int commit);

/* JSON helpers: a number (non-finite as null), a string (escaped). */
void sd_json_num(FILE *f, double x);
/* x with the fewest significant digits (15, 16 or 17) that read back as
 * exactly x, e.g. 0.1 rather than 0.10000000000000001. */
void sd_print_double(FILE *f, double x);
void sd_json_str(FILE *f, const char *s);

/* One field of a flat report. */
typedef enum {
    SD_KV_NUM, SD_KV_INT, SD_KV_STR, SD_KV_BOOL, SD_KV_NULL, SD_KV_ARRAY, SD_KV_U64
} sd_kv_type;
typedef struct {
    const char *key;
    sd_kv_type type;
    double num;
    long long i;
    const char *str;
    const double *arr;  /* SD_KV_ARRAY: i doubles */
    uint64_t u;         /* SD_KV_U64 */
} sd_kv;

#define SD_KV_N(k, v) {(k), SD_KV_NUM, (v), 0, NULL, NULL, 0}
#define SD_KV_I(k, v) {(k), SD_KV_INT, 0.0, (long long)(v), NULL, NULL, 0}
#define SD_KV_S(k, v) {(k), SD_KV_STR, 0.0, 0, (v), NULL, 0}
#define SD_KV_B(k, v) {(k), SD_KV_BOOL, 0.0, (long long)(v), NULL, NULL, 0}
#define SD_KV_A(k, a, n) {(k), SD_KV_ARRAY, 0.0, (long long)(n), NULL, (a), 0}
/* A string, or null when s is NULL. */
#define SD_KV_SN(k, s) {(k), (s) != NULL ? SD_KV_STR : SD_KV_NULL, 0.0, 0, (s), NULL, 0}
/* An unsigned 64-bit value (seeds), printed as such. */
#define SD_KV_U(k, v) {(k), SD_KV_U64, 0.0, 0, NULL, NULL, (uint64_t)(v)}

/* Write the n fields of kv as JSON members "key":value separated by
 * commas (the first preceded by one when comma != 0). */
void sd_json_members(FILE *f, const sd_kv *kv, size_t n, int comma);

/* Write program, version and command as JSON members (each preceded by
 * a comma). */
void sd_cli_json_program(FILE *f, const sd_cli *c);
/* Write the provenance fields as JSON members (each preceded by a
 * comma): program, version, command and the model description. */
void sd_cli_json_provenance(FILE *f, const sd_cli *c, int with_mc);
/* Write provenance as '# ' comment lines (table and TSV formats). */
void sd_cli_comment_provenance(FILE *f, const sd_cli *c, int with_mc);

/* Write a flat report of n fields in c->format. */
void sd_report_kv(FILE *f, const sd_cli *c, const sd_kv *kv, size_t n, int with_mc);

/* Write a theorem check report (the JSON contract in the README) in
 * c->format: with a model m (may be NULL), its vocab and horizon come
 * first among the report's members, then the nextra members extra. */
void sd_report_checks(FILE *f, const sd_cli *c, const char *theorem, const sd_model *m,
                      const sd_checklist *l, const sd_kv *extra, size_t nextra);

#endif
