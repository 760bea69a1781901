/* fig-batch-curve - data for panel (c) of Figures 2 and 5 (doc/theory.md §5): the
 * exact E[N_rej] of batch speculative decoding (Theorem 3) against the
 * number of drafts M = 1..max, with the M -> infinity limit
 * (Proposition 1), SD's value (Theorem 1, = M = 1) and, beyond the
 * paper, tree verification with the same M.  All exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cli.h"
#include "exact.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_MAX_DRAFTS = SD_OPT_FIRST_LOCAL };

static void help(void)
{
    printf("Usage: fig-batch-curve [MODEL] [--max-drafts N] --output FILE\n"
           "Write the exact E[N_rej] of batch SD (Theorem 3) and of tree verification for\n"
           "M = 1..N drafts (default N = 20) beside the M -> infinity limit (Proposition 1)\n"
           "and SD's value (Theorem 1), as gnuplot data with the provenance in '#' lines.\n"
           "Default model: --random 7,50.\n\n"
           "  --max-drafts N       largest M (default 20)\n\n");
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_output, stdout);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_OUTPUT_OPTIONS,
        {"max-drafts", required_argument, 0, OPT_MAX_DRAFTS},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_error err;
    size_t maxM = 20, M;
    double E1, lim, *eb, *et;
    int opt, r, rc = 0;
    sd_out out;

    sd_cli_init(&c, "fig-batch-curve", argc, argv, 0);
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case OPT_MAX_DRAFTS:
            if (sd_cli_size(&c, "--max-drafts", optarg, 1, &maxM))
                return 2;
            if (maxM > 100000)
                return sd_cli_usage_error(&c, "--max-drafts: at most 100000");
            break;
        case '?': return sd_cli_bad_option(&c, argv);
        default:
            r = sd_cli_option(&c, opt, optarg);
            if (r < 0)
                return 2;
            break;
        }
    }
    if (sd_cli_finish(&c, argc, argv, 0, 7, 50))
        return 2;
    if ((rc = sd_cli_load_model(&c, &m)) != 0)
        return rc;
    eb = malloc(2 * maxM * sizeof *eb);
    if (eb == NULL) {
        sd_model_free(&m);
        fprintf(stderr, "%s: out of memory\n", c.prog);
        return 3;
    }
    et = eb + maxM;
    sd_error_clear(&err);
    if (sd_exact_sd_mean(&m, &E1, &err) != SD_OK || sd_batch_limit(&m, &lim, &err) != SD_OK)
        rc = sd_cli_fail(&c, &err);
    for (M = 1; rc == 0 && M <= maxM; M++)
        if (sd_batch_exact(&m, M, &eb[M - 1], NULL, &err) != SD_OK ||
            sd_batch_tree_exact(&m, M, &et[M - 1], NULL, &err) != SD_OK)
            rc = sd_cli_fail(&c, &err);
    if (rc == 0 && (rc = sd_out_open(&c, &out)) == 0) {
        sd_cli_comment_provenance(out.f, &c, 0);
        fprintf(out.f, "# figure panel (c): exact E[N_rej] of batch SD (Theorem 3) against M\n");
        fprintf(out.f, "# SD (Theorem 1) = %.10f, limit M -> infinity (Proposition 1) = %.10f\n",
                E1, lim);
        fprintf(out.f, "# columns: M batch_exact tree_exact limit sd\n");
        for (M = 1; M <= maxM; M++)
            fprintf(out.f, "%zu %.10f %.10f %.10f %.10f\n", M, eb[M - 1], et[M - 1], lim, E1);
        rc = sd_out_close(&c, &out, 1);
    }
    free(eb);
    sd_model_free(&m);
    return rc;
}
