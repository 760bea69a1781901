/* thm-cli.c - command-line glue shared by the theorem-check executables. */
#include "thm-cli.h"

#include "par.h"

int sd_thm_cli_settings(sd_cli *c, size_t T, size_t *pos, size_t *npos, sd_thm_mc *mc)
{
    size_t i;
    if (*npos == 0) {
        pos[(*npos)++] = 1;
        if (T / 2 > 1)
            pos[(*npos)++] = T / 2;
        if (T > 1 && T != T / 2)
            pos[(*npos)++] = T;
    }
    for (i = 0; i < *npos; i++)
        if (pos[i] < 1 || pos[i] > T || (i > 0 && pos[i] <= pos[i - 1]))
            return sd_cli_usage_error(c, "--positions: must be ascending in 1..%zu", T);
    mc->runs = c->runs;
    mc->seed = c->seed;
    mc->threads = c->threads;
    mc->rng = c->rng;
    mc->z_max = c->z;
    mc->npos = *npos;
    mc->pos = pos;
    mc->progress = sd_cli_progress;
    mc->progress_arg = c;
    mc->team = sd_par_team();
    return 0;
}

int sd_thm_cli_option(sd_cli *c, int opt, const char *arg, size_t *pos, size_t *npos,
                      sd_thm_mc *mc)
{
    switch (opt) {
    case SD_OPT_POSITIONS:
        return sd_cli_size_list(c, "--positions", arg, pos, SD_THM_MAX_POS, npos) ? -1 : 1;
    case SD_OPT_PMIN:
        return sd_cli_double(c, "--p-min", arg, 0.0, 1.0, &mc->p_min) ? -1 : 1;
    default:
        return sd_cli_option(c, opt, arg);
    }
}
