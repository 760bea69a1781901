/* cmd_trace_sample.c - specdec trace-sample: a trace sampled from a pair
 * of chains, in the files specdec trace reads (no GPU needed). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cmds.h"
#include "tracefile.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_SEQ = SD_OPT_FIRST_LOCAL, OPT_OUT, OPT_LOGITS, OPT_FROM, OPT_TOPK };

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
           "  --seed S             seed; sequence b uses stream (S, b) (default %u)\n\n",
           SD_DEFAULT_SEED);
    fputs(sd_cli_help_model, stdout);
    fputs("  --quiet              nothing on standard output\n"
          "  --help, --version    this help; the version\n"
          "Exit status: 0 done, 2 usage or input error, 3 internal error.\n",
          stdout);
}

int sd_cmd_trace_sample(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS,
        {"sequences", required_argument, 0, OPT_SEQ},
        {"out", required_argument, 0, OPT_OUT},
        {"logits", no_argument, 0, OPT_LOGITS},
        {"from", required_argument, 0, OPT_FROM},
        {"top-k", required_argument, 0, OPT_TOPK},
        {"seed", required_argument, 0, SD_OPT_SEED},
        {"quiet", no_argument, 0, SD_OPT_QUIET},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_trace_sample_opts o;
    sd_error err;
    const char *dir = NULL;
    char *dp = NULL, *tp = NULL, *kp = NULL;
    size_t L;
    int opt, r, rc;

    memset(&o, 0, sizeof o);
    o.B = 100;
    o.top_k = 2;
    sd_cli_init(&c, "specdec trace-sample", argc, argv, 0);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("specdec %s\n", PACKAGE_VERSION); return 0;
        case OPT_SEQ:
            if (sd_cli_size(&c, "--sequences", optarg, 1, &o.B))
                return 2;
            break;
        case OPT_OUT: dir = optarg; break;
        case OPT_LOGITS: o.logits = 1; break;
        case OPT_FROM:
            if (strcmp(optarg, "target") == 0)
                o.source = SD_TRACE_FROM_TARGET;
            else if (strcmp(optarg, "draft") == 0)
                o.source = SD_TRACE_FROM_DRAFT;
            else if (strcmp(optarg, "top-k") == 0)
                o.source = SD_TRACE_FROM_TOP_K;
            else
                return sd_cli_usage_error(&c, "--from: '%s' is not one of target, draft, top-k",
                                          optarg);
            break;
        case OPT_TOPK:
            if (sd_cli_size(&c, "--top-k", optarg, 1, &o.top_k))
                return 2;
            break;
        case '?': return sd_cli_usage_error(&c, "bad option (see --help)");
        default:
            r = sd_cli_option(&c, opt, optarg);
            if (r < 0)
                return 2;
            break;
        }
    }
    if (dir == NULL)
        return sd_cli_usage_error(&c, "--out DIR is required");
    if (sd_cli_finish(&c, argc, argv, 1, 0, 0))
        return 2;
    o.seed = c.mc.seed;
    if ((rc = sd_cli_load_model(&c, &m)) != 0)
        return rc;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        int e = errno;
        sd_model_free(&m);
        fprintf(stderr, "%s: --out: cannot create %s: %s\n", c.prog, dir, strerror(e));
        return e == ENOENT || e == EACCES || e == ENOTDIR || e == EROFS ? 2 : 3;
    }
    L = strlen(dir) + 16;
    dp = malloc(L);
    tp = malloc(L);
    kp = malloc(L);
    if (!dp || !tp || !kp) {
        free(dp);
        free(tp);
        free(kp);
        sd_model_free(&m);
        fprintf(stderr, "%s: out of memory\n", c.prog);
        return 3;
    }
    snprintf(dp, L, "%s/draft.npy", dir);
    snprintf(tp, L, "%s/target.npy", dir);
    snprintf(kp, L, "%s/tokens.npy", dir);
    sd_error_clear(&err);
    rc = sd_trace_sample_chain(&m, &o, dp, tp, kp, &err) == SD_OK ? 0 : sd_cli_fail(&c, &err);
    if (rc == 0 && !c.quiet)
        printf("wrote %s, %s (%s, shape (%zu, %zu, %zu)) and %s (int64, shape (%zu, %zu)); "
               "seed %llu, tokens from the %s\nread them with: specdec trace --draft-logits %s "
               "--target-logits %s --tokens %s%s\n",
               dp, tp, o.logits ? "float32 log-probabilities" : "float64 probabilities", o.B,
               m.T, m.V, kp, o.B, m.T, (unsigned long long)o.seed,
               o.source == SD_TRACE_FROM_TARGET ? "target chain"
               : o.source == SD_TRACE_FROM_DRAFT ? "draft chain (a broken trace)"
                                                 : "top-k of the target rows (a broken trace)",
               dp, tp, kp, o.logits ? "" : " --probs");
    free(dp);
    free(tp);
    free(kp);
    sd_model_free(&m);
    return rc;
}
