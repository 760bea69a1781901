/* audit.h - conformance tests for other people's speculative samplers.
 *
 * An external sampler is given instances (P_i, Q_i) and a number of
 * drafts k, and runs R times on each; it records the emitted token and
 * whether a draft was accepted.  If it is lossless, the emitted tokens
 * of instance i are i.i.d. Q_i and the number of acceptances is
 * Binomial(R, a_i) with a_i the exact acceptance probability of the
 * algorithm it claims to run (SD: 1 - TV; RRS with k i.i.d. drafts:
 * 1 - rho_k; RRS with k drafts without replacement: the exact walk of
 * rrswor.h; K-SEQ: 1 - (1 - beta(rho*))^k).  This module writes the
 * instances (three families, one of them made of the edge cases that
 * break samplers) and gives the exact acceptance; the tests themselves
 * are the check list's (check.h).
 */
#ifndef SD_AUDIT_H
#define SD_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Instance families. */
typedef enum {
    SD_AUDIT_PAPER = 0,   /* rows of i.i.d. U(0,1) entries, normalised */
    SD_AUDIT_DIRICHLET,   /* rows ~ Dirichlet(alpha, ..., alpha) */
    SD_AUDIT_HARD         /* the edge cases of sd_audit_kind, in turn */
} sd_audit_family;

/* The kinds of instance of the hard family (instance i has kind
 * i mod SD_AUDIT_NKINDS, or SD_AUDIT_EQUAL where V is too small). */
typedef enum {
    SD_AUDIT_EQUAL = 0,     /* p = q: nothing is ever rejected */
    SD_AUDIT_DISJOINT,      /* disjoint supports: every draft is rejected */
    SD_AUDIT_ONE_RESIDUAL,  /* p >= q except at one token: the residual is one-hot */
    SD_AUDIT_NEAR_ONE_HOT,  /* 1 - 1e-6 of the mass on one token in p and in q */
    SD_AUDIT_TINY,          /* entries of 1e-300 in p and q, some shared */
    SD_AUDIT_SPARSE,        /* about 80% zeros in each row */
    SD_AUDIT_SMALL_SUPPORT, /* p and q supported on one or two tokens */
    SD_AUDIT_NPAPER,        /* (a paper-family instance, for the other families) */
    SD_AUDIT_NKINDS = SD_AUDIT_NPAPER
} sd_audit_kind;

/* Parse "paper" / "dirichlet" / "hard"; -1 if unknown. */
int sd_audit_family_parse(const char *name);
const char *sd_audit_family_name(sd_audit_family f);
/* The name of a kind ("equal", "disjoint", "one-token-residual", ...). */
const char *sd_audit_kind_name(sd_audit_kind k);

/* Fill p and q (I V doubles each, row i = instance i) with I instances
 * of family fam on V tokens, drawn in order from the generator stream
 * (seed, 0) of sd_rng; kind[i] (may be NULL) gets each instance's kind
 * (SD_AUDIT_NPAPER for the paper and Dirichlet families).  Every row is
 * a distribution summing to 1 up to rounding.  alpha > 0 is used by the
 * Dirichlet family only.  SD_EINVAL for I = 0, V = 0 or a bad alpha,
 * SD_ENOMEM. */
sd_status sd_audit_cases(double *p, double *q, int *kind, size_t I, size_t V,
                         sd_audit_family fam, double alpha, uint64_t seed, sd_error *err);

/* Algorithms a sampler can declare. */
typedef enum {
    SD_AUDIT_ALGO_SD = 0,   /* speculative sampling, one draft */
    SD_AUDIT_ALGO_RRS,      /* recursive rejection sampling, k i.i.d. drafts */
    SD_AUDIT_ALGO_RRS_WOR,  /* recursive rejection sampling, k drafts without replacement */
    SD_AUDIT_ALGO_KSEQ,     /* SpecTr's K-SEQ, k i.i.d. drafts */
    SD_AUDIT_NALGOS
} sd_audit_algo;

/* Parse an --algo name ("sd", "rrs", "rrs-wor", "kseq"); -1 if unknown. */
int sd_audit_algo_parse(const char *name);
const char *sd_audit_algo_name(sd_audit_algo a);

/* The exact probability that algo with k drafts accepts a draft on
 * (p, q): SD 1 - TV(p, q) (k ignored), RRS 1 - rho_k (sd_rrs_rho), RRS
 * without replacement sd_rrs_wor_accept, K-SEQ sd_kseq_accept; the
 * values specdec token reports.  tmp holds 2V doubles.  SD_EINVAL for
 * k = 0, or the errors of sd_rrs_wor_accept (SD_ERANGE when its exact
 * walk over rejection paths would cost too much) and sd_kseq_accept. */
sd_status sd_audit_accept(const double *p, const double *q, size_t V, sd_audit_algo algo,
                          size_t k, double *tmp, double *accept, sd_error *err);

#endif
