/* thm-cli.h - command-line glue shared by the theorem-check executables. */
#ifndef SD_THM_CLI_H
#define SD_THM_CLI_H

#include <stddef.h>

#include "cli.h"
#include "thm.h"

/* Complete a theorem check's Monte Carlo settings *mc from the parsed
 * command line c for a model of horizon T.  With *npos == 0 the tracked
 * positions become 1, T/2 and T (without repeats; pos must hold 3);
 * given positions must be ascending in 1..T.  Copies runs, seed,
 * threads, generator and z limit, and wires the progress line; leaves
 * mc's other fields (p_min, variant) as they are.  Returns 0, or 2
 * after printing a usage error. */
int sd_thm_cli_settings(sd_cli *c, size_t T, size_t *pos, size_t *npos, sd_thm_mc *mc);

#endif
