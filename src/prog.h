/* prog.h - one driver for every program: a declarative option table and
 * one run function (parse, load the model, run, map the outcome to the
 * exit status).
 *
 * A program describes itself by an sd_prog: its help text, which shared
 * option groups it takes (model, Monte Carlo, theorem checks, output), its own options as a table of sd_arg (each parsed
 * into the variable it points to), an optional check of the parsed
 * options and the run function.  sd_prog_main does the rest: --help and
 * --version, strict parsing with "prog: --opt: ..." messages and exit 2,
 * the model (or the default --random V,T), the tracked positions of the
 * theorem checks, and freeing the model.  Before any work it refuses an
 * output file (--output, SD_ARG_OUTPUT) that would destroy an input file
 * (the model files, SD_ARG_INPUT), compared by device and inode; the
 * input files are listed in sd_cli.inputs for the program's own checks.
 */
#ifndef SD_PROG_H
#define SD_PROG_H

#include <stddef.h>

#include "cli.h"
#include "rule.h"

/* How an option's value is parsed into dest. */
typedef enum {
    SD_ARG_FLAG,        /* no value: *(int *)dest = (int)min */
    SD_ARG_SIZE,        /* size_t >= min, and <= hi when hi > 0 */
    SD_ARG_U64,         /* uint64_t */
    SD_ARG_DOUBLE,      /* double in [lo, hi] */
    SD_ARG_STRING,      /* const char * (the argument itself) */
    SD_ARG_SIZE_LIST,   /* comma-separated size_t, each >= lo (and <= hi when hi > 0), at
                           most min of them, count in *n */
    SD_ARG_DOUBLE_LIST, /* comma-separated doubles in [lo, hi], at most min, count in *n */
    SD_ARG_RULE,        /* const sd_rule_type *: a rule whose flags include min */
    SD_ARG_WORD,        /* "none" or word: *(int *)dest = 0 or 1 */
    SD_ARG_FN,          /* fn(c, arg, dest): 0, or -1 after a message */
    SD_ARG_OPERAND,     /* const char *: the program's one operand (e.g. DIR), given
                           as the first argument that is not an option or as --name */
    SD_ARG_INPUT,       /* const char *: an input file; no output may name it */
    SD_ARG_OUTPUT,      /* const char *: a file the program writes besides --output,
                           checked like it before any work (writable, not a
                           directory, not an input file, not another output) */
    SD_ARG_SHARED       /* one shared option (sd_cli_option) outside the groups:
                           min is its SD_OPT_* code, e.g. --seed alone */
} sd_arg_kind;

/* One program-specific option. */
typedef struct {
    const char *name; /* long name without "--" */
    sd_arg_kind kind;
    void *dest;       /* where the value goes */
    size_t *n;        /* lists: number of values */
    size_t min;       /* see sd_arg_kind */
    double lo, hi;    /* see sd_arg_kind */
    int (*fn)(sd_cli *c, const char *arg, void *dest);
    const char *word; /* SD_ARG_WORD */
} sd_arg;

#define SD_ARG_END {NULL, SD_ARG_FLAG, NULL, NULL, 0, 0.0, 0.0, NULL, NULL}

/* Shared option groups (sd_prog.groups); --help and --version always. */
#define SD_PROG_MODEL 0x1u /* --draft/--target/--random/... */
#define SD_PROG_MC 0x2u    /* --runs/--seed/--threads/--z/--rng */
#define SD_PROG_THM 0x4u   /* --positions/--p-min; positions default to 1, T/2, T */
#define SD_PROG_OUTPUT 0x8u /* --format/--output/--quiet */

/* The option groups of every theorem check. */
#define SD_PROG_THEOREM (SD_PROG_MODEL | SD_PROG_MC | SD_PROG_THM | SD_PROG_OUTPUT)
/* The default model of the paper's programs (default_V, default_T of an
 * sd_prog): --random 7,50, the paper's chain. */
#define SD_PROG_PAPER_MODEL 7, 50

/* A program. */
typedef struct {
    const char *name;      /* for messages and provenance, e.g. "thm3-batch" */
    void (*help)(void);    /* its usage and own options; the shared groups follow */
    unsigned groups;       /* SD_PROG_* */
    size_t runs;           /* default --runs */
    int need_model;        /* with SD_PROG_MODEL: a model must be given, else --random
                              default_V,default_T */
    size_t default_V, default_T;
    const sd_arg *args;    /* its own options, ended by SD_ARG_END */
    /* Optional: check the parsed options together, before the model is
     * loaded; 0 or an exit status (after a message). */
    int (*check)(sd_cli *c, void *arg);
    /* The work on the loaded model: compute, write the report; returns
     * the exit status (0 all well, 1 a check failed, 2 bad input, 3
     * internal error). */
    int (*run)(sd_cli *c, const sd_model *m, void *arg);
} sd_prog;

/* Run program p on the command line with c (initialised here) and the
 * program's own state arg.  Returns the exit status.  Under an MPI
 * launcher it runs as one process of the job (par.h): the Monte Carlo
 * settings c->mc carry the team, rank 0 alone writes, and the exit
 * status is agreed by every process. */
int sd_prog_main(const sd_prog *p, sd_cli *c, int argc, char **argv, void *arg);

/* sd_prog_main with a command line of its own: the whole of a program's
 * main after its option table. */
int sd_prog_run(const sd_prog *p, int argc, char **argv, void *arg);

/* Write a flat report (sd_report_kv) to the output; 0 or the exit
 * status of the failure. */
int sd_prog_report_kv(sd_cli *c, const sd_kv *kv, size_t n, int with_mc);

/* Write a data file (figure .dat, table): open the output, write the
 * provenance as '#' lines (with the Monte Carlo settings if with_mc),
 * then body(f, arg, err); the file is put in place only if body returns
 * SD_OK.  Returns 0 or the exit status of the failure. */
int sd_prog_write_data(sd_cli *c, int with_mc,
                       sd_status (*body)(FILE *f, void *arg, sd_error *err), void *arg);

/* Write a theorem check report (sd_report_checks) to the output and
 * free l; the exit status: 0 if every check passed, 1 if one failed, or
 * that of an output failure.  With a model m, its vocab and horizon come
 * first among the report members (sd_report_checks). */
int sd_prog_report_checks(sd_cli *c, const char *theorem, const sd_model *m, sd_checklist *l,
                          const sd_kv *extra, size_t nextra);

/* A check that could not be made: free l and report err; the exit status
 * (sd_cli_fail). */
int sd_prog_checks_failed(sd_cli *c, sd_checklist *l, const sd_error *err);

#endif
