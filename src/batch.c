/* batch.c - batch SD and tree verification with RRS (SPEC 3). */
#include "batch.h"

#include <string.h>

sd_status sd_batch_exact(const sd_model *m, size_t M, double *mean, double *fstart,
                         sd_error *err)
{
    double *ws = sd_rrs_ws_alloc(m->V);
    sd_status rc;
    if (ws == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu)", m->V);
    rc = sd_roundstart_exact(m, sd_rrs_step, ws, M, mean, fstart, err);
    sd_rrs_ws_free(ws);
    return rc;
}

sd_status sd_batch_limit(const sd_model *m, double *mean, sd_error *err)
{
    return sd_roundstart_exact(m, sd_rrs_limit_step, NULL, 1, mean, NULL, err);
}

sd_status sd_batch_tree_exact(const sd_model *m, size_t M, double *mean, double *live,
                              sd_error *err)
{
    double *ws = sd_rrs_ws_alloc(m->V);
    sd_status rc;
    if (ws == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu)", m->V);
    rc = sd_tree_exact(m, sd_rrs_tree_step, ws, M, mean, live, err);
    sd_rrs_ws_free(ws);
    return rc;
}

sd_status sd_batch_sim_alloc(sd_batch_sim *s, const sd_model *m, size_t M, int tree,
                             sd_error *err)
{
    sd_status rc;
    memset(s, 0, sizeof *s);
    s->tree = tree != 0;
    rc = sd_rrs_sim_alloc(&s->rrs, m, M, s->tree, err);
    if (rc != SD_OK)
        return rc;
    if (s->tree) {
        sd_tree_verifier v = sd_rrs_tree_verifier(&s->rrs);
        rc = sd_tree_sim_alloc(&s->ts, m, &v, M, err);
    } else {
        sd_rs_verifier v = sd_rrs_rs_verifier(&s->rrs);
        rc = sd_roundstart_sim_alloc(&s->rs, m, &v, err);
    }
    if (rc != SD_OK)
        sd_rrs_sim_free(&s->rrs);
    return rc;
}

void sd_batch_sim_free(sd_batch_sim *s)
{
    if (s->tree)
        sd_tree_sim_free(&s->ts);
    else
        sd_roundstart_sim_free(&s->rs);
    sd_rrs_sim_free(&s->rrs);
}

sd_sim sd_batch_sim_sim(const sd_batch_sim *s)
{
    return s->tree ? sd_tree_sim_sim(&s->ts) : sd_roundstart_sim_sim(&s->rs);
}
