/* specdec.c - the specdec tool: subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"random", sd_cmd_random, "write a random draft/target pair of chains as .npy files"},
    {"rejections", sd_cmd_rejections, "exact expected rejections, variance, speed-up, law"},
    {"simulate", sd_cmd_simulate, "Monte Carlo of the algorithm itself, z-score against exact"},
    {"tradeoff", sd_cmd_tradeoff, "over-acceptance b_eps: rejections, bias, sequence TV (OPT/UNO)"},
    {"token", sd_cmd_token, "multi-draft acceptance of one token pair: RRS, K-SEQ, ERSD, alpha*_k"},
    {"calls", sd_cmd_calls, "draft length: target calls, wall time, speed-up, optimal policy"},
    {"block", sd_cmd_block, "block vs token verification of one token pair, per draft length"},
    {"trace", sd_cmd_trace, "the theory on recorded draft/target logits and tokens of real models"},
    {"trace-sample", sd_cmd_trace_sample, "write a trace (logits, tokens) sampled from a pair of chains"},
};

static void usage(FILE *f)
{
    size_t i;
    fprintf(f,
            "Usage: specdec COMMAND [OPTIONS]\n"
            "Exact answers and Monte Carlo checks for speculative decoding of a draft/target\n"
            "pair of Markov chains (see SPEC.md).\n\nCommands:\n");
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'specdec COMMAND --help' describes a command's options.\n"
               "Exit status: 0 done, 1 a check failed, 2 usage or input error, 3 internal error.\n");
}

int main(int argc, char **argv)
{
    size_t i;
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("specdec %s\n", PACKAGE_VERSION);
        return 0;
    }
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "specdec: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
