/* thmutil.h - helpers shared by the theorem-check test programs. */
#ifndef SD_THMUTIL_H
#define SD_THMUTIL_H

#include "testutil.h"

#include "check.h"
#include "thm.h"

/* Monte Carlo settings of SPEC 8 (z 4.5, p 1e-6), seed 20241101, 2
 * threads, the given runs and tracked positions. */
static inline sd_mc_config sd_test_mc_settings(size_t runs, size_t npos, const size_t *pos)
{
    sd_mc_config mc;
    memset(&mc, 0, sizeof mc);
    mc.runs = runs;
    mc.seed = 20241101;
    mc.threads = 2;
    mc.z_max = 4.5;
    mc.p_min = 1e-6;
    mc.npos = npos;
    mc.pos = pos;
    return mc;
}

/* The check called name in l; fails the test if there is none. */
static inline const sd_check *sd_test_find_check(const sd_checklist *l, const char *name)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return &l->v[i];
    fail_msg("no check named '%s'", name);
    return NULL;
}

/* Print every failed check of l (before failing a test on it). */
static inline void sd_test_print_failures(const sd_checklist *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (!l->v[i].pass)
            print_message("  failed: %s exact %.10g estimate %.10g z %.3g p %.3g (%s)\n",
                          l->v[i].name, l->v[i].exact, l->v[i].estimate, l->v[i].z,
                          l->v[i].p_value, l->v[i].detail);
}

#endif
