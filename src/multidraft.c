/* multidraft.c - K-SEQ and ERSD on a chain from the generic engines. */
#include "multidraft.h"

#include <string.h>

#include "alloc.h"

int sd_multidraft_handles(sd_algo algo)
{
    return algo == SD_ALGO_KSEQ || algo == SD_ALGO_KSEQ_TREE || algo == SD_ALGO_ERSD;
}

/* The ERSD step with the largest error bound of all calls kept. */
typedef struct {
    sd_ersd_ws *ws;
    double worst;
} ersd_ctx;

static sd_status ersd_step(const double *p, const double *q, size_t V, size_t k, void *ctx,
                           sd_step *out, sd_error *err)
{
    ersd_ctx *c = ctx;
    sd_status rc = sd_ersd_step(p, q, V, k, c->ws, out, err);
    if (rc == SD_OK && c->ws->abserr > c->worst)
        c->worst = c->ws->abserr;
    return rc;
}

sd_status sd_multidraft_exact(const sd_model *m, sd_algo algo, size_t M, double *mean,
                              double *abserr, sd_error *err)
{
    sd_status rc;
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "the number of drafts must be at least 1");
    if (abserr != NULL)
        *abserr = 0.0;
    switch (algo) {
    case SD_ALGO_KSEQ:
        return sd_roundstart_exact(m, sd_kseq_step, NULL, M, mean, NULL, err);
    case SD_ALGO_KSEQ_TREE: {
        double *ws = sd_kseq_tree_ws_alloc(M);
        if (ws == NULL)
            return sd_error_set(err, SD_ENOMEM, "out of memory for the K-SEQ tree step");
        rc = sd_tree_exact(m, sd_kseq_tree_step, ws, M, mean, NULL, err);
        sd_free(ws);
        return rc;
    }
    case SD_ALGO_ERSD: {
        ersd_ctx c;
        c.worst = 0.0;
        rc = sd_ersd_ws_alloc(&c.ws, m->V, M, SD_MULTIDRAFT_ERSD_EPSABS,
                              SD_MULTIDRAFT_ERSD_EPSREL, SD_MULTIDRAFT_ERSD_LIMIT, err);
        if (rc != SD_OK)
            return rc;
        rc = sd_roundstart_exact(m, ersd_step, &c, M, mean, NULL, err);
        sd_ersd_ws_free(c.ws);
        if (rc == SD_OK && abserr != NULL)
            *abserr = c.worst;
        return rc;
    }
    default:
        return sd_error_set(err, SD_EINVAL, "multidraft: --algo %s is not K-SEQ or ERSD",
                            sd_algo_name(algo));
    }
}

sd_status sd_multidraft_sim_alloc(sd_multidraft_sim *s, const sd_model *m, sd_algo algo,
                                  size_t M, sd_error *err)
{
    sd_status rc;
    memset(s, 0, sizeof *s);
    s->algo = algo;
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "the number of drafts must be at least 1");
    if (!sd_multidraft_handles(algo))
        return sd_error_set(err, SD_EINVAL, "multidraft: --algo %s is not K-SEQ or ERSD",
                            sd_algo_name(algo));
    if (algo == SD_ALGO_ERSD) {
        sd_rs_verifier v;
        s->es.m = m;
        s->es.M = M;
        v = sd_ersd_rs_verifier(&s->es);
        return sd_roundstart_sim_alloc(&s->rs, m, &v, err);
    }
    rc = sd_kseq_sim_alloc(&s->ks, m, M, algo == SD_ALGO_KSEQ_TREE, err);
    if (rc != SD_OK)
        return rc;
    if (algo == SD_ALGO_KSEQ_TREE) {
        sd_tree_verifier v = sd_kseq_tree_verifier(&s->ks);
        rc = sd_tree_sim_alloc(&s->ts, m, &v, M, err);
    } else {
        sd_rs_verifier v = sd_kseq_rs_verifier(&s->ks);
        rc = sd_roundstart_sim_alloc(&s->rs, m, &v, err);
    }
    if (rc != SD_OK)
        sd_kseq_sim_free(&s->ks);
    return rc;
}

void sd_multidraft_sim_free(sd_multidraft_sim *s)
{
    if (s->algo == SD_ALGO_KSEQ_TREE)
        sd_tree_sim_free(&s->ts);
    else
        sd_roundstart_sim_free(&s->rs);
    sd_kseq_sim_free(&s->ks);
}

sd_sim sd_multidraft_sim_sim(const sd_multidraft_sim *s)
{
    return s->algo == SD_ALGO_KSEQ_TREE ? sd_tree_sim_sim(&s->ts) : sd_roundstart_sim_sim(&s->rs);
}
