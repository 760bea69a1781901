/* thm.c - settings shared by the theorem checks. */
#include "thm.h"

#include <string.h>

sd_mc_config sd_thm_mc_config(const sd_thm_mc *mc)
{
    sd_mc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.runs = mc->runs;
    cfg.seed = mc->seed;
    cfg.threads = mc->threads;
    cfg.rng = mc->rng;
    cfg.npos = mc->npos;
    cfg.pos = mc->pos;
    cfg.progress = mc->progress;
    cfg.progress_arg = mc->progress_arg;
    cfg.team = mc->team;
    return cfg;
}
