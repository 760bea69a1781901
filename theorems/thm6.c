/* thm6.c - doc/theory.md §6: token-level bounds on every row, chain values against
 * literal simulations. */
#include "thm6.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "ersd.h"
#include "exact.h"
#include "kseq.h"
#include "otbound.h"
#include "roundstart.h"
#include "rrs.h"
#include "rule.h"
#include "tol.h"

/* Worst cases of the token-level properties over all rows and k. */
typedef struct {
    double rrs_opt, kseq_opt, opt_up, a1, guar, e1, ecf, ksd, margin, lp;
    double minimal_bad;
    int have_opt, have_lp;
} worst;

static double fmax0(double a, double b)
{
    return a > b ? a : b;
}

/* The token-level quantities of one row (p, q) for k = 1..kmax. */
static sd_status token_row(const double *p, const double *q, size_t V, size_t kmax, int do_lp,
                           double *tmp, sd_ersd_ws *ws, worst *w, sd_error *err)
{
    double tv = sd_tv(p, q, V);
    size_t k;
    sd_status rc = SD_OK;
    for (k = 1; rc == SD_OK && k <= kmax; k++) {
        double rrs = 1.0 - sd_rrs_rho(p, q, V, k, tmp), ks, rho, opt = NAN, lp;
        rc = sd_kseq_accept(p, q, V, k, &ks, &rho, err);
        if (rc != SD_OK)
            break;
        w->margin = fmin(w->margin, sd_kseq_margin(p, q, V, k, rho));
        if (rho > 1.0 && sd_kseq_margin(p, q, V, k, rho * (1.0 - 1e-9)) >= 0.0)
            w->minimal_bad += 1.0;
        if (k == 1) {
            double e, eq;
            w->ksd = fmax0(w->ksd, fabs(ks - (1.0 - tv)));
            rc = sd_ersd_accept(p, q, V, 1, ws, &eq, &e, err);
            if (rc != SD_OK)
                break;
            w->ecf = fmax0(w->ecf, fabs(eq - sd_ersd_accept_k1(p, q, V)));
            w->e1 = fmax0(w->e1, eq - (1.0 - tv));
        }
        if (V > SD_OT_MINCUT_MAX_V)
            continue;
        rc = sd_ot_mincut(p, q, V, k, &opt, err);
        if (rc != SD_OK)
            break;
        w->have_opt = 1;
        w->rrs_opt = fmax0(w->rrs_opt, rrs - opt);
        w->kseq_opt = fmax0(w->kseq_opt, ks - opt);
        w->opt_up = fmax0(w->opt_up, opt - sd_ot_upper(p, q, V, k));
        w->guar = fmax0(w->guar, (1.0 - pow(1.0 - 1.0 / (double)k, (double)k)) * opt - ks);
        if (k == 1)
            w->a1 = fmax0(w->a1, fabs(opt - (1.0 - tv)));
        if (do_lp && pow((double)V, (double)(k + 1)) <= SD_THM6_LP_MAX_VARS) {
            rc = sd_ot_lp(p, q, V, k, &lp, err);
            if (rc != SD_OK)
                break;
            w->have_lp = 1;
            w->lp = fmax0(w->lp, fabs(lp - opt));
        }
    }
    return rc;
}

static sd_status token_checks(const sd_model *m, size_t kmax, sd_checklist *l, sd_error *err)
{
    const size_t V = m->V, nrows = sd_model_nrows(m);
    double *tmp = sd_malloc(2 * V, sizeof(double));
    sd_ersd_ws *ws = NULL;
    worst w;
    size_t row;
    char name[96];
    sd_status rc;
    memset(&w, 0, sizeof w);
    w.margin = INFINITY;
    if (tmp == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    rc = sd_ersd_ws_alloc(&ws, V, 1, SD_ERSD_CHAIN_EPSABS, SD_ERSD_CHAIN_EPSREL,
                          SD_ERSD_CHAIN_LIMIT, err);
    for (row = 0; rc == SD_OK && row < nrows; row++) {
        size_t t = sd_model_row_t(m, row), s = row % V;
        rc = token_row(sd_model_p(m, t, s), sd_model_q(m, t, s), V, kmax, t == 1, tmp, ws, &w,
                       err);
    }
    sd_ersd_ws_free(ws);
    sd_free(tmp);
    if (rc != SD_OK)
        return rc;
    snprintf(name, sizeof name, "K-SEQ rho* valid (k=1..%zu)", kmax);
    rc = sd_check_bound(l, name, 0.0, w.margin, 0, 0.0, err);
    if (rc == SD_OK)
        rc = sd_check_bound(l, "K-SEQ rho* minimal (violations)", 0.0, w.minimal_bad, 1, 0.0,
                            err);
    if (rc == SD_OK)
        rc = sd_check_bound(l, "K-SEQ k=1 = SD (1 - TV)", 0.0, w.ksd, 1, SD_TOL_EXACT, err);
    if (rc == SD_OK && w.have_opt) {
        rc = sd_check_bound(l, "RRS <= alpha*_k", 0.0, w.rrs_opt, 1, SD_TOL_EXACT, err);
        if (rc == SD_OK)
            rc = sd_check_bound(l, "K-SEQ <= alpha*_k", 0.0, w.kseq_opt, 1, SD_TOL_EXACT, err);
        if (rc == SD_OK)
            rc = sd_check_bound(l, "alpha*_k <= upper bound", 0.0, w.opt_up, 1, SD_TOL_EXACT, err);
        if (rc == SD_OK)
            rc = sd_check_bound(l, "alpha*_1 = 1 - TV", 0.0, w.a1, 1, SD_TOL_EXACT, err);
        if (rc == SD_OK)
            rc = sd_check_bound(l, "K-SEQ >= (1-(1-1/k)^k) alpha*_k", 0.0, w.guar, 1, SD_TOL_EXACT,
                                err);
    }
    if (rc == SD_OK && w.have_lp)
        rc = sd_check_bound(l, "alpha*_k: min-cut = LP (t=1)", 0.0, w.lp, 1, SD_TOL_LP, err);
    if (rc == SD_OK)
        rc = sd_check_bound(l, "ERSD k=1: closed form = quadrature", 0.0, w.ecf, 1, SD_TOL_EXACT_LOOSE, err);
    if (rc == SD_OK)
        rc = sd_check_bound(l, "ERSD k=1 <= 1 - TV", 0.0, w.e1, 1, SD_TOL_EXACT, err);
    return rc;
}

/* Run sim: mean against exact, output tokens against mu. */
static sd_status mc_checks(const sd_model *m, const char *label, sd_sim *sim, double exact,
                           const double *mu, const sd_mc_config *mc, sd_checklist *l,
                           sd_error *err)
{
    char mean[96], law[96];
    sd_thm_names names;
    snprintf(mean, sizeof mean, "%s: Monte Carlo mean", label);
    snprintf(law, sizeof law, "%s: unbiased x_", label);
    names.mean = mean;
    names.law_prefix = law;
    names.law_suffix = "";
    return sd_thm_mc_check(m, sim, mc, &names, exact, mu, NULL, NULL, l, NULL, err);
}

/* The rules beyond the paper: with one draft each is Algorithm SD
 * (SD_RULE_M1_IS_SD) or a worse coupling. */
static int beyond_paper(const sd_rule_type *T)
{
    return !(T->flags & SD_RULE_PAPER);
}

int sd_thm6_control_known(const char *name)
{
    const sd_rule_type *const *r;
    for (r = sd_rules; *r != NULL; r++)
        if (beyond_paper(*r) && sd_rule_control_parse(*r, name) > 0)
            return 1;
    return 0;
}

static sd_status chain_checks(const sd_model *m, const sd_thm6_opts *o, const sd_mc_config *mc,
                              sd_checklist *l, sd_error *err)
{
    const sd_rule_type *const *r;
    double E1, e, *mu = NULL;
    size_t i;
    char name[96];
    sd_status rc = sd_exact_sd_mean(m, &E1, err);
    for (r = sd_rules; rc == SD_OK && *r != NULL; r++) {
        int same = ((*r)->flags & SD_RULE_M1_IS_SD) != 0;
        if (!beyond_paper(*r))
            continue;
        rc = sd_rule_exact(*r, m, 1, &e, NULL, err);
        snprintf(name, sizeof name, "%s M=1 %s SD", (*r)->name, same ? "=" : ">=");
        if (rc == SD_OK)
            rc = same ? sd_check_close(l, name, E1, e, SD_TOL_EXACT, err)
                      : sd_check_bound(l, name, E1, e, 0, SD_TOL_EXACT * fmax(1.0, E1), err);
    }
    if (rc != SD_OK || mc->runs == 0)
        return rc;
    mu = sd_malloc(mc->npos * m->V + 1, sizeof(double));
    if (mu == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    rc = sd_exact_token_laws(m, mc->npos, mc->pos, mu, err);
    for (i = 0; rc == SD_OK && i < o->ndrafts; i++) {
        size_t M = o->drafts[i];
        for (r = sd_rules; rc == SD_OK && *r != NULL; r++) {
            int control = o->control != NULL ? sd_rule_control_parse(*r, o->control) : 0;
            char label[64];
            sd_rule_sim *as;
            sd_sim sim;
            if (!beyond_paper(*r))
                continue;
            rc = sd_rule_exact(*r, m, M, &e, NULL, err);
            if (control < 0)
                control = 0;
            snprintf(label, sizeof label, "%s M=%zu%s%s%s", (*r)->name, M,
                     control ? " (control " : "", control ? o->control : "",
                     control ? ")" : "");
            if (rc != SD_OK)
                break;
            rc = sd_rule_sim_alloc(&as, *r, m, M, (size_t)control, err);
            if (rc != SD_OK)
                break;
            sim = sd_rule_sim_get(as);
            rc = mc_checks(m, label, &sim, e, mu, mc, l, err);
            sd_rule_sim_free(as);
        }
    }
    sd_free(mu);
    return rc;
}

sd_status sd_thm6_check(const sd_model *m, const sd_thm6_opts *o, const sd_mc_config *mc,
                        sd_checklist *l, sd_error *err)
{
    sd_status rc;
    if (o->kmax == 0)
        return sd_error_set(err, SD_EINVAL, "thm6: kmax must be at least 1");
    rc = token_checks(m, o->kmax, l, err);
    if (rc == SD_OK)
        rc = chain_checks(m, o, mc, l, err);
    return rc;
}
