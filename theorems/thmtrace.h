/* thmtrace.h - the trace statistics (doc/theory.md, Traces) against the
 * exact values of a pair of chains: B paths sampled from the target chain
 * are written as a trace, read back by the trace reader, and the path
 * averages of the trace estimates must agree with Theorem 1, the slot DP
 * of the draft length (Leviathan et al.) and Theorem 3 (batch SD); the
 * conformance tests must accept that trace and reject two broken ones. */
#ifndef SD_THMTRACE_H
#define SD_THMTRACE_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "model.h"

typedef struct {
    size_t B;             /* sequences sampled */
    size_t ngamma;        /* draft lengths checked ... */
    const size_t *gamma;  /* ... each 1..SD_TRACE_MAX_GAMMA */
    double cost;          /* draft step cost for the slot DP rows */
    size_t K;             /* batch SD checked for M = 2..K (K <= SD_TRACE_MAX_DRAFTS) */
    size_t top_k;         /* k of the top-k negative control (>= 1, < V) */
    const char *dir;      /* an existing directory for the trace files */
    uint64_t seed;        /* paths of sequence b: stream (seed, b); controls seed + 1, + 2 */
    int threads;
    double z_max;         /* z-test limit */
    double p_min;         /* PIT p-value limit */
} sd_thmtrace_opts;

/* Append to l:
 *  - "Theorem 1: mean sum TV" and "Theorem 1: mean sum r_t" (z-tests of
 *    the path averages against E[N_rej]);
 *  - "calls gamma=g" for each gamma (z-test against the slot DP);
 *  - "batch M=k" for k = 2..K (z-test against Theorem 3's exact value);
 *  - "conformance: target tokens" (must pass);
 *  - "control: tokens from the draft chain fail conformance" and
 *    "control: q recorded before top-k fails conformance" (must fail
 *    conformance, so the check passes when they do).
 * The statistical checks have a false-failure rate of about 7e-6 each
 * at z_max = 4.5 (and p_min for the PIT).  Returns SD_OK whatever the
 * verdicts, or an error (I/O on dir, memory, input). */
sd_status sd_thmtrace_check(const sd_model *m, const sd_thmtrace_opts *o, sd_checklist *l,
                            sd_error *err);

#endif
