/* tracefile.h - reading a recorded trace (doc/theory.md, Traces) from
 * NumPy files and running the statistics of trace.h over it.
 *
 * A trace is three files: draft and target logits (or probabilities),
 * float16/32/64 of shape (N, V) or (B, N, V), and the emitted tokens,
 * int32/int64 of shape (N,) or (B, N), where -1 pads a sequence after its
 * end.  The logit files are memory-mapped and streamed: rows are read
 * ahead of the threads, and the pages of rows whose statistics are
 * reduced are handed back to the kernel, so the memory used does not
 * grow with N.
 */
#ifndef SD_TRACEFILE_H
#define SD_TRACEFILE_H

#include <stddef.h>

#include "error.h"
#include "npy.h"
#include "trace.h"
#include "transform.h"

/* Row-sum tolerances of probability files, by stored precision. */
#define SD_TRACE_SUM_TOL_F64 1e-6
#define SD_TRACE_SUM_TOL_F32 1e-4
#define SD_TRACE_SUM_TOL_F16 1e-2

typedef struct {
    sd_npy_view draft, target, tokens;
    const char *dname, *tname, *kname; /* the paths, for messages */
    size_t B, N, V;       /* sequences, positions per sequence (with padding), vocabulary */
    size_t *len;          /* B sequence lengths (positions before the padding) */
    size_t positions;     /* sum of len */
    int probs;            /* the rows are probabilities, not logits */
} sd_trace_file;

/* Open and check the three files: dtypes, shapes (the same B, N and V;
 * V >= 1, N >= 1), every token in [0, V) or -1, and -1 only as padding
 * at a sequence's end.  SD_EINVAL/SD_EFORMAT/SD_ERANGE with a message
 * naming the file and, for a token, its index [b, t] and value; SD_EIO,
 * SD_ENOMEM.  Row values are checked later, as they are read. */
sd_status sd_trace_file_open(sd_trace_file *f, const char *draft, const char *target,
                             const char *tokens, int probs, sd_error *err);
/* Unmap and free (safe on a zeroed struct). */
void sd_trace_file_close(sd_trace_file *f);

/* Row [b, t] of the draft (which = 0) or target (which = 1) file as
 * doubles into row[0..V-1], checked: logits must not be NaN or +inf (a
 * logit of -inf is a masked token) and not all -inf; probabilities must
 * be finite, >= 0 and sum to 1 within the tolerance of the stored
 * precision.  SD_EINVAL with a message naming the file, [b, t] and the
 * entry. */
sd_status sd_trace_file_row(const sd_trace_file *f, int which, size_t b, size_t t,
                            double *row, sd_error *err);

/* Called for every position in order (sequence by sequence) after its
 * statistics are pushed; returns 0 to go on, else the run stops with
 * SD_EIO. */
typedef int (*sd_trace_visit_fn)(void *arg, size_t b, size_t t, size_t token,
                                 const sd_trace_pos *pos);

typedef struct {
    sd_sampling draft, target;   /* the transforms of each row */
    size_t K;                    /* drafts of the per-position statistics */
    int threads;                 /* OpenMP threads (<= 0: the default) */
    size_t block;                /* positions in flight at most (0: as many as fit in
                                    8 MiB of rows, 16..256) */
    sd_trace_visit_fn visit;     /* or NULL */
    void *visit_arg;
    void (*progress)(void *arg, size_t done, size_t total); /* or NULL */
    void *progress_arg;
} sd_trace_run_opts;

/* Compute every position of f (the threads take positions one at a
 * time) and push them into st in trace order, beginning and ending each
 * sequence; visit and progress are called in that order, under a lock,
 * from any of the threads.  The numbers do not depend on the thread
 * count.  Stops at the first bad row
 * (in trace order) with its error; SD_ENOMEM; SD_EIO if visit stopped. */
sd_status sd_trace_run(const sd_trace_file *f, const sd_trace_run_opts *o,
                       sd_trace_stats *st, sd_error *err);

/* ---- traces sampled from a pair of chains (tests, examples) ---------- */

#include <stdint.h>

#include "model.h"

/* Where the tokens of a sampled trace come from. */
typedef enum {
    SD_TRACE_FROM_TARGET = 0, /* x_t ~ Q_t(x_{t-1}, .): a correct trace */
    SD_TRACE_FROM_DRAFT,      /* x_t ~ P_t(x_{t-1}, .): negative control */
    SD_TRACE_FROM_TOP_K       /* x_t ~ top-k of Q_t, q recorded before it: negative control */
} sd_trace_source;

/* Largest B T V of a sampled trace (each file holds that many values). */
#define SD_TRACE_SAMPLE_MAX 100000000.0

typedef struct {
    size_t B;               /* sequences */
    uint64_t seed;          /* sequence b draws from stream (seed, b) */
    sd_trace_source source;
    size_t top_k;           /* for SD_TRACE_FROM_TOP_K */
    int logits;             /* write float32 log-probabilities instead of float64
                               probabilities (log 0 = -inf, a masked token) */
} sd_trace_sample_opts;

/* Sample B paths x_0 ~ pi0, x_1..x_T of m and write the trace: draft and
 * target rows P_t(x_{t-1}, .), Q_t(x_{t-1}, .) as (B, T, V) arrays and
 * the tokens x_1..x_T as (B, T) int64, each file atomically.  SD_EINVAL
 * for B = 0 or top_k = 0 with SD_TRACE_FROM_TOP_K, SD_ERANGE beyond
 * SD_TRACE_SAMPLE_MAX, SD_ENOMEM, and the errors of sd_npy_write_typed. */
sd_status sd_trace_sample_chain(const sd_model *m, const sd_trace_sample_opts *o,
                                const char *draft_path, const char *target_path,
                                const char *tokens_path, sd_error *err);

#endif
