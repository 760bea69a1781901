/* multidraft.h - K-SEQ and exponential races on a chain (doc/theory.md §6, "Chain
 * level"), assembled from the generic engines (roundstart.h, tree.h) and
 * the token rules (kseq.h, ersd.h), as batch.h does for RRS.
 *
 * Round-start decoding (--algo kseq, --algo ersd): at each round start
 * the rule verifies the first tokens of M drafts; on acceptance the round
 * continues along the accepted draft with SD, on rejection the rule's
 * rejection law gives the token and a new round starts.  Exact: the
 * generic recursion of roundstart.h with the rule's sd_step_fn.
 *
 * K-SEQ in tree form (--algo kseq-tree): all drafts agreeing with the
 * committed prefix stay live; at every position K-SEQ verifies the k live
 * drafts with the rho* of k, and the drafts whose token is the accepted
 * one (tried or not) stay live.  Exact: the generic tree DP of tree.h
 * with sd_kseq_tree_step.
 *
 * M = 1 is Algorithm SD for both K-SEQ forms; ERSD with one draft is a
 * different (worse: acceptance <= 1 - TV) coupling.
 */
#ifndef SD_MULTIDRAFT_H
#define SD_MULTIDRAFT_H

#include <stddef.h>

#include "error.h"
#include "ersd.h"
#include "kseq.h"
#include "mc.h"
#include "model.h"
#include "roundstart.h"
#include "rule.h"
#include "tree.h"

/* ERSD quadrature tolerances of the chain computations (per piece of each
 * acc[y]/Q(y), see ersd.h) and the subinterval limit per piece: the
 * acceptance law of each row is then accurate to about 1e-12. */
#define SD_MULTIDRAFT_ERSD_EPSABS 1e-13
#define SD_MULTIDRAFT_ERSD_EPSREL 1e-12
#define SD_MULTIDRAFT_ERSD_LIMIT 1000

/* 1 if algo is one of SD_ALGO_KSEQ, SD_ALGO_KSEQ_TREE, SD_ALGO_ERSD. */
int sd_multidraft_handles(sd_algo algo);

/* Exact E[N_rej] of decoding m with algo (kseq, kseq-tree or ersd) and
 * M >= 1 drafts per round.  For ERSD, *abserr (if not NULL) gets the
 * largest quadrature error bound of the acceptance probability over all
 * rows (t, s) (0 for K-SEQ).  SD_EINVAL for M = 0 or another algo,
 * SD_ENOMEM, or the rule's errors. */
sd_status sd_multidraft_exact(const sd_model *m, sd_algo algo, size_t M, double *mean,
                              double *abserr, sd_error *err);

/* A literal simulation of one of these algorithms.  Holds pointers into
 * itself: do not move it once built. */
typedef struct {
    sd_algo algo;
    sd_kseq_sim ks;        /* K-SEQ verifier tables */
    sd_ersd_sim es;        /* ERSD verifier (model and M) */
    sd_roundstart_sim rs;  /* kseq, ersd: the round-start engine */
    sd_tree_sim ts;        /* kseq-tree: the tree engine */
} sd_multidraft_sim;

/* Build the simulation of m (which must outlive it) with M >= 1 drafts.
 * SD_EINVAL for M = 0 or another algo, SD_ERANGE or SD_ENOMEM from the
 * tables; on failure everything is released. */
sd_status sd_multidraft_sim_alloc(sd_multidraft_sim *s, const sd_model *m, sd_algo algo,
                                  size_t M, sd_error *err);
void sd_multidraft_sim_free(sd_multidraft_sim *s);

/* Its sd_sim interface for sd_mc_run. */
sd_sim sd_multidraft_sim_sim(const sd_multidraft_sim *s);

#endif
