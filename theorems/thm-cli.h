/* thm-cli.h - command-line glue shared by the theorem-check executables. */
#ifndef SD_THM_CLI_H
#define SD_THM_CLI_H

#include <stddef.h>

#include "cli.h"
#include "thm.h"

/* Options every theorem check takes besides the shared ones. */
enum { SD_OPT_POSITIONS = SD_OPT_FIRST_LOCAL - 10, SD_OPT_PMIN };
#define SD_THM_CLI_OPTIONS                                                     \
    {"positions", required_argument, 0, SD_OPT_POSITIONS},                     \
    {"p-min", required_argument, 0, SD_OPT_PMIN}

/* Most tracked positions --positions takes. */
#define SD_THM_MAX_POS 64

/* Handle --positions (into pos[SD_THM_MAX_POS], *npos) and --p-min
 * (into mc->p_min), else any shared option (sd_cli_option).  Returns 1
 * if handled, 0 if opt is none of these, -1 on a bad value (message
 * already on stderr). */
int sd_thm_cli_option(sd_cli *c, int opt, const char *arg, size_t *pos, size_t *npos,
                      sd_thm_mc *mc);

/* Complete a theorem check's Monte Carlo settings *mc from the parsed
 * command line c for a model of horizon T.  With *npos == 0 the tracked
 * positions become 1, T/2 and T (without repeats; pos must hold 3);
 * given positions must be ascending in 1..T.  Copies runs, seed,
 * threads, generator and z limit, and wires the progress line; leaves
 * mc's other fields (p_min, variant) as they are.  Returns 0, or 2
 * after printing a usage error. */
int sd_thm_cli_settings(sd_cli *c, size_t T, size_t *pos, size_t *npos, sd_thm_mc *mc);

#endif
