/* cmd_trace_sample.c - specdec trace-sample: a trace sampled from a pair
 * of chains, in the files specdec trace reads (no GPU needed). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "prog.h"
#include "tracefile.h"

static void help(void)
{
    printf("Usage: specdec trace-sample MODEL --out DIR [--sequences B] [--logits]\n"
           "                            [--from target|draft|top-k] [--top-k K] [--seed S]\n"
           "Sample B sequences x_1..x_T from the target chain of MODEL and write them as a\n"
           "trace for 'specdec trace': DIR/draft.npy and DIR/target.npy, the draft and\n"
           "target rows P_t(x_{t-1}, .) and Q_t(x_{t-1}, .) along each path, shape (B, T, V),\n"
           "and DIR/tokens.npy, shape (B, T) int64.\n\n"
           "  --out DIR            output directory (created if missing)\n"
           "  --sequences B        number of sequences (default 100)\n"
           "  --logits             write float32 log-probabilities (read them without\n"
           "                       --probs) instead of float64 probabilities (--probs)\n"
           "  --from SOURCE        where the tokens come from: target (default, a correct\n"
           "                       trace), draft (tokens from the draft chain) or top-k\n"
           "                       (tokens from the top-k of each target row while the full\n"
           "                       row is recorded): the last two are broken traces that\n"
           "                       'specdec trace' must reject\n"
           "  --top-k K            k of --from top-k (default 2)\n"
           "  --seed S             seed; sequence b uses stream (S, b) (default %u)\n"
           "  --quiet              nothing on standard output\n"
           "  --help, --version    this help; the version\n"
           "Exit status: 0 done, 2 usage or input error, 3 internal error.\n\n",
           SD_DEFAULT_SEED);
}

typedef struct {
    sd_trace_sample_opts o;
    const char *dir;
    char dp[4096], tp[4096], kp[4096]; /* DIR/draft.npy, target.npy, tokens.npy */
} sample_args;

static int from_arg(sd_cli *c, const char *arg, void *dest)
{
    static const char *const names[] = {"target", "draft", "top-k"};
    static const sd_trace_source sources[] = {SD_TRACE_FROM_TARGET, SD_TRACE_FROM_DRAFT,
                                              SD_TRACE_FROM_TOP_K};
    size_t i;
    for (i = 0; i < 3; i++)
        if (strcmp(arg, names[i]) == 0) {
            *(sd_trace_source *)dest = sources[i];
            return 0;
        }
    sd_cli_usage_error(c, "--from: '%s' is not one of target, draft, top-k", arg);
    return -1;
}

/* --out is given and can be written (a writable directory, or one that
 * can be created), and none of the three files it receives is an input
 * file; 0 or 2. */
static int sample_check(sd_cli *c, void *arg)
{
    sample_args *a = arg;
    char *const paths[] = {a->dp, a->tp, a->kp};
    static const char *const names[] = {"draft", "target", "tokens"};
    struct stat st;
    size_t i;
    if (a->dir == NULL)
        return sd_cli_usage_error(c, "--out DIR is required");
    if (strlen(a->dir) + 16 > sizeof a->dp)
        return sd_cli_usage_error(c, "--out: path too long");
    if (stat(a->dir, &st) != 0) {
        if (sd_cli_check_written(c, "--out", a->dir) != 0) /* to be created */
            return 2;
    } else if (!S_ISDIR(st.st_mode)) {
        return sd_cli_usage_error(c, "--out: '%s' exists and is not a directory", a->dir);
    } else if (access(a->dir, W_OK | X_OK) != 0) {
        return sd_cli_usage_error(c, "--out: directory '%s' is not writable", a->dir);
    }
    for (i = 0; i < 3; i++) {
        snprintf(paths[i], sizeof a->dp, "%s/%s.npy", a->dir, names[i]);
        if (sd_cli_refuse_input(c, "--out", paths[i], c->inputs, c->ninputs) != 0)
            return 2;
    }
    a->o.seed = c->mc.seed;
    return 0;
}

static int sample_run(sd_cli *c, const sd_model *m, void *arg)
{
    const sample_args *a = arg;
    const sd_trace_sample_opts *o = &a->o;
    sd_error err;
    if (mkdir(a->dir, 0777) != 0 && errno != EEXIST) {
        int e = errno;
        fprintf(stderr, "%s: --out: cannot create %s: %s\n", c->prog, a->dir, strerror(e));
        return e == ENOENT || e == EACCES || e == ENOTDIR || e == EROFS ? 2 : 3;
    }
    sd_error_clear(&err);
    if (sd_trace_sample_chain(m, o, a->dp, a->tp, a->kp, &err) != SD_OK)
        return sd_cli_fail(c, &err);
    if (!c->quiet)
        printf("wrote %s, %s (%s, shape (%zu, %zu, %zu)) and %s (int64, shape (%zu, %zu)); "
               "seed %llu, tokens from the %s\nread them with: specdec trace --draft-logits %s "
               "--target-logits %s --tokens %s%s\n",
               a->dp, a->tp, o->logits ? "float32 log-probabilities" : "float64 probabilities",
               o->B, m->T, m->V, a->kp, o->B, m->T, (unsigned long long)o->seed,
               o->source == SD_TRACE_FROM_TARGET ? "target chain"
               : o->source == SD_TRACE_FROM_DRAFT ? "draft chain (a broken trace)"
                                                  : "top-k of the target rows (a broken trace)",
               a->dp, a->tp, a->kp, o->logits ? "" : " --probs");
    return 0;
}

int sd_cmd_trace_sample(int argc, char **argv)
{
    sample_args a;
    const sd_arg opts[] = {
        {"sequences", SD_ARG_SIZE, &a.o.B, NULL, 1, 0, 0, NULL, NULL},
        {"out", SD_ARG_STRING, &a.dir, NULL, 0, 0, 0, NULL, NULL},
        {"logits", SD_ARG_FLAG, &a.o.logits, NULL, 1, 0, 0, NULL, NULL},
        {"from", SD_ARG_FN, &a.o.source, NULL, 0, 0, 0, from_arg, NULL},
        {"top-k", SD_ARG_SIZE, &a.o.top_k, NULL, 1, 0, 0, NULL, NULL},
        {"seed", SD_ARG_SHARED, NULL, NULL, SD_OPT_SEED, 0, 0, NULL, NULL},
        {"quiet", SD_ARG_SHARED, NULL, NULL, SD_OPT_QUIET, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"specdec trace-sample", help, SD_PROG_MODEL, 0, 1, 0, 0, opts,
                          sample_check, sample_run};
    memset(&a, 0, sizeof a);
    a.o.B = 100;
    a.o.top_k = 2;
    return sd_prog_run(&prog, argc, argv, &a);
}
