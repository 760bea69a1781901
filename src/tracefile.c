/* tracefile.c - the trace reader and the parallel runner. */
#include "tracefile.h"

#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "rng.h"

void sd_trace_file_close(sd_trace_file *f)
{
    if (f == NULL)
        return;
    sd_npy_view_close(&f->draft);
    sd_npy_view_close(&f->target);
    sd_npy_view_close(&f->tokens);
    sd_free(f->len);
    memset(f, 0, sizeof *f);
}

/* (B, N, V) of a row file: (N, V) or (B, N, V). */
static sd_status row_shape(const sd_npy_view *v, const char *name, size_t *B, size_t *N,
                           size_t *V, sd_error *err)
{
    if (v->ndim == 2) {
        *B = 1;
        *N = v->shape[0];
        *V = v->shape[1];
    } else if (v->ndim == 3) {
        *B = v->shape[0];
        *N = v->shape[1];
        *V = v->shape[2];
    } else {
        return sd_error_set(err, SD_EINVAL,
                            "%s: shape with %zu dimensions: (N, V) or (B, N, V) expected", name,
                            v->ndim);
    }
    if (*B == 0 || *N == 0 || *V == 0)
        return sd_error_set(err, SD_EINVAL, "%s: empty array (B = %zu, N = %zu, V = %zu)",
                            name, *B, *N, *V);
    return SD_OK;
}

sd_status sd_trace_file_open(sd_trace_file *f, const char *draft, const char *target,
                             const char *tokens, int probs, sd_error *err)
{
    size_t B2, N2, V2, b, t;
    sd_status rc;
    memset(f, 0, sizeof *f);
    f->dname = draft;
    f->tname = target;
    f->kname = tokens;
    f->probs = probs;
    if ((rc = sd_npy_view_open(draft, SD_NPY_FLOATS, &f->draft, err)) != SD_OK ||
        (rc = sd_npy_view_open(target, SD_NPY_FLOATS, &f->target, err)) != SD_OK ||
        (rc = sd_npy_view_open(tokens, SD_NPY_INTS, &f->tokens, err)) != SD_OK)
        goto fail;
    if ((rc = row_shape(&f->draft, draft, &f->B, &f->N, &f->V, err)) != SD_OK ||
        (rc = row_shape(&f->target, target, &B2, &N2, &V2, err)) != SD_OK)
        goto fail;
    if (f->draft.ndim != f->target.ndim || B2 != f->B || N2 != f->N || V2 != f->V) {
        rc = sd_error_set(err, SD_EINVAL,
                          "shape mismatch: %s is (%zu, %zu, %zu) but %s is (%zu, %zu, %zu) "
                          "as (B, N, V)", draft, f->B, f->N, f->V, target, B2, N2, V2);
        goto fail;
    }
    if (f->tokens.ndim != f->draft.ndim - 1 ||
        (f->tokens.ndim == 1 && f->tokens.shape[0] != f->N) ||
        (f->tokens.ndim == 2 && (f->tokens.shape[0] != f->B || f->tokens.shape[1] != f->N))) {
        char shp[64], want[64];
        if (f->tokens.ndim == 1)
            snprintf(shp, sizeof shp, "(%zu,)", f->tokens.shape[0]);
        else if (f->tokens.ndim == 2)
            snprintf(shp, sizeof shp, "(%zu, %zu)", f->tokens.shape[0], f->tokens.shape[1]);
        else
            snprintf(shp, sizeof shp, "of %zu dimensions", f->tokens.ndim);
        if (f->draft.ndim == 2)
            snprintf(want, sizeof want, "(%zu,)", f->N);
        else
            snprintf(want, sizeof want, "(%zu, %zu)", f->B, f->N);
        rc = sd_error_set(err, SD_EINVAL, "shape mismatch: %s is %s but the logits need %s",
                          tokens, shp, want);
        goto fail;
    }
    f->len = sd_malloc(f->B, sizeof(size_t));
    if (f->len == NULL) {
        rc = sd_error_set(err, SD_ENOMEM, "out of memory");
        goto fail;
    }
    for (b = 0; b < f->B; b++) {
        size_t end = f->N;
        for (t = 0; t < f->N; t++) {
            int64_t x = sd_npy_view_int(&f->tokens, b * f->N + t);
            if (x == -1) {
                if (end == f->N)
                    end = t;
            } else if (x < 0 || (uint64_t)x >= f->V) {
                rc = sd_error_set(err, SD_EINVAL,
                                  "%s: token [%zu, %zu] = %lld outside [0, %zu) (-1 pads "
                                  "after a sequence's end)", tokens, b, t, (long long)x, f->V);
                goto fail;
            } else if (end != f->N) {
                rc = sd_error_set(err, SD_EINVAL,
                                  "%s: token [%zu, %zu] = %lld after the padding -1 at "
                                  "[%zu, %zu]: -1 may only pad the end of a sequence", tokens,
                                  b, t, (long long)x, b, end);
                goto fail;
            }
        }
        f->len[b] = end;
        f->positions += end;
    }
    return SD_OK;
fail:
    sd_trace_file_close(f);
    return rc;
}

sd_status sd_trace_file_row(const sd_trace_file *f, int which, size_t b, size_t t,
                            double *row, sd_error *err)
{
    const sd_npy_view *v = which ? &f->target : &f->draft;
    const char *name = which ? f->tname : f->dname;
    const size_t V = f->V;
    size_t i;
    sd_npy_view_row(v, (b * f->N + t) * V, V, row);
    if (!f->probs) {
        int finite = 0;
        for (i = 0; i < V; i++) {
            if (isnan(row[i]) || row[i] == INFINITY)
                return sd_error_set(err, SD_EINVAL, "%s: logit [%zu, %zu, %zu] is %s", name, b,
                                    t, i, isnan(row[i]) ? "NaN" : "+inf");
            finite |= row[i] != -INFINITY;
        }
        if (!finite)
            return sd_error_set(err, SD_EINVAL, "%s: row [%zu, %zu]: every logit is -inf",
                                name, b, t);
    } else {
        double s = 0.0, tol = v->dtype == SD_NPY_F64   ? SD_TRACE_SUM_TOL_F64
                              : v->dtype == SD_NPY_F32 ? SD_TRACE_SUM_TOL_F32
                                                       : SD_TRACE_SUM_TOL_F16;
        for (i = 0; i < V; i++) {
            if (!isfinite(row[i]) || row[i] < 0.0)
                return sd_error_set(err, SD_EINVAL,
                                    "%s: probability [%zu, %zu, %zu] is %g: must be finite "
                                    "and >= 0", name, b, t, i, row[i]);
            s += row[i];
        }
        if (!(fabs(s - 1.0) <= tol))
            return sd_error_set(err, SD_EINVAL,
                                "%s: row [%zu, %zu] sums to %.10g, not 1 (tolerance %g for "
                                "%s)", name, b, t, s, tol, sd_npy_dtype_name(v->dtype));
    }
    return SD_OK;
}

/* Per-thread buffers: p, q, pc, qc (V doubles each) and sp, sq (V
 * indices each) in one block. */
typedef struct {
    double *p, *q, *pc, *qc, *block;
    size_t *sp, *sq;
    sd_transform_ws *tws;
    sd_trace_pos_ws *pws;
} run_ws;

static void run_ws_free(run_ws *w)
{
    sd_free(w->block);
    sd_transform_ws_free(w->tws);
    sd_trace_pos_ws_free(w->pws);
    memset(w, 0, sizeof *w);
}

static int run_ws_alloc(run_ws *w, size_t V, size_t K)
{
    const size_t idx_words = (sizeof(size_t) + sizeof(double) - 1) / sizeof(double);
    memset(w, 0, sizeof *w);
    w->block = sd_malloc(sd_size_mad(4 + 2 * idx_words, V, 0), sizeof(double));
    w->tws = sd_transform_ws_alloc(V);
    w->pws = sd_trace_pos_ws_alloc(V, K);
    if (!w->block || !w->tws || !w->pws) {
        run_ws_free(w);
        return -1;
    }
    w->p = w->block;
    w->q = w->p + V;
    w->pc = w->q + V;
    w->qc = w->pc + V;
    w->sp = (size_t *)(void *)(w->qc + V);
    w->sq = (size_t *)(void *)(w->qc + V + idx_words * V);
    return 0;
}

/* One position: read, check, transform, compress to the union of the
 * supports (and the token), compute. */
static sd_status one_position(const sd_trace_file *f, const sd_trace_run_opts *o, size_t b,
                              size_t t, size_t x, run_ws *w, sd_trace_pos *pos, sd_error *err)
{
    size_t np, nq, i = 0, j = 0, n = 0, xi = 0;
    int xdone = 0;
    sd_status rc;
    if ((rc = sd_trace_file_row(f, 0, b, t, w->p, err)) != SD_OK ||
        (rc = sd_trace_file_row(f, 1, b, t, w->q, err)) != SD_OK)
        return rc;
    np = sd_transform_row(&o->draft, w->p, f->V, f->probs, w->p, w->sp, w->tws);
    nq = sd_transform_row(&o->target, w->q, f->V, f->probs, w->q, w->sq, w->tws);
    /* merge the two sorted supports, with x inserted where it belongs */
    for (;;) {
        size_t a = i < np ? w->sp[i] : SIZE_MAX, c = j < nq ? w->sq[j] : SIZE_MAX;
        size_t y = a < c ? a : c;
        if (!xdone && x <= y) {
            xi = n;
            xdone = 1;
            y = x;
        } else if (y == SIZE_MAX) {
            break;
        }
        w->pc[n] = w->p[y];
        w->qc[n++] = w->q[y];
        i += i < np && w->sp[i] == y;
        j += j < nq && w->sq[j] == y;
    }
    return sd_trace_pos_compute(w->pc, w->qc, n, xi, o->K, w->pws, pos, err);
}

/* A position in flight: claimed by a thread, computed outside the lock,
 * marked ready, and pushed in trace order by whichever thread finds it at
 * the head of the ring. */
typedef struct {
    size_t b, t, x;
    int ready;
    sd_status rc;
    sd_trace_pos pos;
    sd_error err;
} slot;

/* What the threads of sd_trace_run share; every field after ring is
 * guarded by lock. */
typedef struct {
    const sd_trace_file *f;
    const sd_trace_run_opts *o;
    sd_trace_stats *st;
    sd_error *err;
    slot *ring;
    size_t W;               /* ring slots: at most W positions claimed and not pushed */
    size_t back;            /* rows spanning a page (see page_take) */
#ifdef _OPENMP
    omp_lock_t lock;
#endif
    size_t cb, ct;          /* the next position to claim */
    size_t claimed, pushed; /* positions claimed, pushed */
    size_t next;            /* advance_to: the next sequence to open */
    int open;
    size_t done;            /* rows before done are reduced (updated every W/4) */
    size_t released, rel;   /* rows before released are handed back; the next range
                               starts at rel, `back` rows earlier */
    size_t ahead;           /* rows before ahead are advised to be read */
    sd_status rc;
} runner;

/* Take (on != 0) or release the runner's lock. */
static void runner_lock(runner *r, int on)
{
#ifdef _OPENMP
    if (on)
        omp_set_lock(&r->lock);
    else
        omp_unset_lock(&r->lock);
#else
    (void)r;
    (void)on;
#endif
}

/* Make sequence b the open one: close the open sequence, and open (and
 * close, if they are empty) every sequence up to b.  *next is the next
 * sequence not yet opened. */
static sd_status advance_to(sd_trace_stats *st, size_t b, size_t *next, int *open,
                            sd_error *err)
{
    sd_status rc = SD_OK;
    while (rc == SD_OK && *next <= b) {
        if (*open)
            rc = sd_trace_stats_end(st, err);
        if (rc == SD_OK)
            rc = sd_trace_stats_begin(st, err);
        *open = rc == SD_OK;
        ++*next;
    }
    return rc;
}

/* Ask the kernel to start reading the rows [first, end) of a view (whole
 * pages around them), so that a trace not in the page cache is read
 * ahead of the threads instead of one page fault at a time. */
static void will_need(const sd_npy_view *v, size_t V, size_t first, size_t end)
{
    const long pg = sysconf(_SC_PAGESIZE);
    uintptr_t lo, hi;
    if (v->map == NULL || end <= first || pg <= 0)
        return;
    lo = (uintptr_t)(v->data + first * V * v->itemsize);
    hi = (uintptr_t)(v->data + end * V * v->itemsize);
    lo = lo / (uintptr_t)pg * (uintptr_t)pg;
    if (lo < (uintptr_t)v->map)
        lo = (uintptr_t)v->map;
    if (hi > (uintptr_t)v->map + v->map_len)
        hi = (uintptr_t)v->map + v->map_len;
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_WILLNEED);
}

/* Rows to hand back to the kernel and rows to read ahead, taken from the
 * runner under the lock and done outside it. */
typedef struct {
    size_t rel0, rel1, ahead0, ahead1;
} page_job;

/* Lock held: the page work due now that the rows before r->done are
 * reduced: release them (the view releases whole pages strictly inside
 * a range, so the next range starts `back` rows earlier, at or before
 * the page that straddles r->done, still in use by the row there), and
 * keep the rows up to 2 W past r->done read ahead, a quarter ring at a
 * time. */
static page_job page_take(runner *r)
{
    const size_t rows = r->f->B * r->f->N;
    size_t to = r->done + 2 * r->W < rows ? r->done + 2 * r->W : rows;
    page_job j = {0, 0, 0, 0};
    if (r->done > r->released) {
        j.rel0 = r->rel;
        j.rel1 = r->released = r->done;
        r->rel = r->done > r->back ? r->done - r->back : 0;
    }
    if (to > r->ahead && (to == rows || to - r->ahead >= r->W / 4)) {
        j.ahead0 = r->ahead;
        j.ahead1 = to;
        r->ahead = to;
    }
    return j;
}

static void page_do(const runner *r, const page_job *j)
{
    const sd_trace_file *f = r->f;
    if (j->rel1 > j->rel0) {
        sd_npy_view_release(&f->draft, j->rel0 * f->V, (j->rel1 - j->rel0) * f->V);
        sd_npy_view_release(&f->target, j->rel0 * f->V, (j->rel1 - j->rel0) * f->V);
    }
    if (j->ahead1 > j->ahead0) {
        will_need(&f->draft, f->V, j->ahead0, j->ahead1);
        will_need(&f->target, f->V, j->ahead0, j->ahead1);
    }
}

/* Push every computed position at the head of the ring, in trace order
 * (so the result does not depend on the threads).  Lock held. */
static void drain(runner *r)
{
    const sd_trace_file *f = r->f;
    const sd_trace_run_opts *o = r->o;
    const size_t every = r->W / 4 ? r->W / 4 : 1;
    while (r->rc == SD_OK && r->pushed < r->claimed) {
        slot *s = &r->ring[r->pushed % r->W];
        if (!s->ready)
            break;
        if (s->rc != SD_OK) {
            *r->err = s->err;
            r->rc = s->rc;
            break;
        }
        r->rc = advance_to(r->st, s->b, &r->next, &r->open, r->err);
        if (r->rc == SD_OK)
            r->rc = sd_trace_stats_push(r->st, &s->pos, r->err);
        if (r->rc == SD_OK && o->visit != NULL &&
            o->visit(o->visit_arg, s->b, s->t, s->x, &s->pos) != 0)
            r->rc = sd_error_set(r->err, SD_EIO, "writing the per-position output failed");
        s->ready = 0;
        r->pushed++;
        if (r->pushed % every == 0 || r->pushed == f->positions)
            r->done = s->b * f->N + s->t + 1;
        if (o->progress && (r->pushed % r->W == 0 || r->pushed == f->positions))
            o->progress(o->progress_arg, r->pushed, f->positions);
    }
}

/* One thread: claim the next position, compute it, push what is ready;
 * until every position is claimed or the run failed. */
static void work(runner *r, run_ws *w)
{
    const sd_trace_file *f = r->f;
    unsigned waits = 0;
    runner_lock(r, 1);
    for (;;) {
        slot *s;
        page_job pj;
        drain(r);
        if (r->rc != SD_OK || r->claimed == f->positions)
            break;
        if (r->claimed - r->pushed >= r->W) {
            /* the ring is full: its head is being computed by another
             * thread (a single thread always drains before it claims) */
            runner_lock(r, 0);
            if (++waits < 64) {
                sched_yield();
            } else {
                struct timespec ts = {0, 20000};
                nanosleep(&ts, NULL);
            }
            runner_lock(r, 1);
            continue;
        }
        waits = 0;
        while (r->ct >= f->len[r->cb]) { /* claimed < positions: one is left */
            r->cb++;
            r->ct = 0;
        }
        s = &r->ring[r->claimed++ % r->W];
        s->b = r->cb;
        s->t = r->ct++;
        s->x = (size_t)sd_npy_view_int(&f->tokens, s->b * f->N + s->t);
        pj = page_take(r);
        runner_lock(r, 0);
        page_do(r, &pj);
        s->rc = one_position(f, r->o, s->b, s->t, s->x, w, &s->pos, &s->err);
        runner_lock(r, 1);
        s->ready = 1;
    }
    runner_lock(r, 0);
}

sd_status sd_trace_run(const sd_trace_file *f, const sd_trace_run_opts *o,
                       sd_trace_stats *st, sd_error *err)
{
    /* by default at most 8 MiB of rows of the two files are in flight
     * (claimed and not yet pushed), so that the pages in use (and the
     * resident memory) stay small whatever N is; but at least 16
     * positions, so that a slow position does not stall the threads */
    const size_t rowbytes = 2 * f->V * f->draft.itemsize;
    const size_t L = o->block ? o->block
                              : (((size_t)8 << 20) / rowbytes < 16   ? 16
                                 : ((size_t)8 << 20) / rowbytes > 256 ? 256
                                                                      : ((size_t)8 << 20) / rowbytes);
    const size_t item = f->draft.itemsize < f->target.itemsize ? f->draft.itemsize
                                                               : f->target.itemsize;
    const long pg = sysconf(_SC_PAGESIZE);
    int nth = 1, th;
    run_ws *ws = NULL;
    runner r;
    memset(&r, 0, sizeof r);
    r.f = f;
    r.o = o;
    r.st = st;
    r.err = err;
    r.W = L;
    r.back = ((pg > 0 ? (size_t)pg : 4096) + f->V * item - 1) / (f->V * item);
#ifdef _OPENMP
    nth = o->threads > 0 ? o->threads : omp_get_max_threads();
#endif
    ws = sd_calloc((size_t)nth, sizeof *ws);
    r.ring = sd_calloc(L, sizeof *r.ring);
    if (ws == NULL || r.ring == NULL)
        r.rc = sd_error_set(err, SD_ENOMEM, "out of memory");
    for (th = 0; r.rc == SD_OK && th < nth; th++)
        if (run_ws_alloc(&ws[th], f->V, o->K) != 0)
            r.rc = sd_error_set(err, SD_ENOMEM,
                                "out of memory for the row buffers (V = %zu)", f->V);
    if (r.rc == SD_OK) {
        page_job pj = page_take(&r);
        page_do(&r, &pj);
#ifdef _OPENMP
        omp_init_lock(&r.lock);
#pragma omp parallel num_threads(nth)
        work(&r, &ws[omp_get_thread_num()]);
        omp_destroy_lock(&r.lock);
#else
        work(&r, &ws[0]);
#endif
    }
    if (r.rc == SD_OK && f->B > 0)
        r.rc = advance_to(st, f->B - 1, &r.next, &r.open, err);
    if (r.rc == SD_OK && r.open)
        r.rc = sd_trace_stats_end(st, err);
    for (th = 0; ws != NULL && th < nth; th++)
        run_ws_free(&ws[th]);
    sd_free(ws);
    sd_free(r.ring);
    return r.rc;
}

/* Inverse-CDF draw from w[0..V-1] (summing to 1 up to rounding). */
static size_t draw(const double *w, size_t V, double u)
{
    double c = 0.0;
    size_t i, last = 0;
    for (i = 0; i < V; i++) {
        if (w[i] > 0.0) {
            last = i;
            c += w[i];
            if (u < c)
                return i;
        }
    }
    return last;
}

sd_status sd_trace_sample_chain(const sd_model *m, const sd_trace_sample_opts *o,
                                const char *draft_path, const char *target_path,
                                const char *tokens_path, sd_error *err)
{
    const size_t V = m->V, T = m->T, B = o->B;
    size_t b, t, i, shape[3];
    double *P = NULL, *Q = NULL, *tk = NULL;
    float *fP = NULL, *fQ = NULL;
    int64_t *X = NULL;
    sd_transform_ws *tws = NULL;
    sd_sampling topk;
    sd_status rc = SD_OK;
    if (B == 0)
        return sd_error_set(err, SD_EINVAL, "the number of sequences must be at least 1");
    if (o->source == SD_TRACE_FROM_TOP_K && o->top_k == 0)
        return sd_error_set(err, SD_EINVAL, "top-k control with k = 0");
    if ((double)B * (double)T * (double)V > SD_TRACE_SAMPLE_MAX)
        return sd_error_set(err, SD_ERANGE,
                            "a trace of B T V = %zu x %zu x %zu values per file is beyond the "
                            "limit of %.0e", B, T, V, SD_TRACE_SAMPLE_MAX);
    sd_sampling_default(&topk);
    topk.top_k = o->top_k;
    P = sd_malloc(B * T * V, sizeof(double));
    Q = sd_malloc(B * T * V, sizeof(double));
    X = sd_malloc(B * T, sizeof(int64_t));
    tk = sd_malloc(V, sizeof(double));
    tws = sd_transform_ws_alloc(V);
    if (o->logits) {
        fP = sd_malloc(B * T * V, sizeof(float));
        fQ = sd_malloc(B * T * V, sizeof(float));
    }
    if (!P || !Q || !X || !tk || !tws || (o->logits && (!fP || !fQ))) {
        rc = sd_error_set(err, SD_ENOMEM, "out of memory for a trace of %zu x %zu x %zu", B, T,
                          V);
        goto done;
    }
    for (b = 0; b < B; b++) {
        gsl_rng *r = sd_rng_stream_alloc(NULL, o->seed, b);
        size_t s;
        if (r == NULL) {
            rc = sd_error_set(err, SD_ENOMEM, "out of memory");
            goto done;
        }
        s = draw(m->pi0, V, gsl_rng_uniform(r));
        for (t = 1; t <= T; t++) {
            const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
            double *dp = P + ((b * T) + t - 1) * V, *dq = Q + ((b * T) + t - 1) * V;
            const double *law = o->source == SD_TRACE_FROM_DRAFT ? p : q;
            memcpy(dp, p, V * sizeof(double));
            memcpy(dq, q, V * sizeof(double));
            if (o->source == SD_TRACE_FROM_TOP_K) {
                sd_transform_row(&topk, q, V, 1, tk, NULL, tws);
                law = tk;
            }
            s = draw(law, V, gsl_rng_uniform(r));
            X[b * T + t - 1] = (int64_t)s;
        }
        gsl_rng_free(r);
    }
    shape[0] = B;
    shape[1] = T;
    shape[2] = V;
    if (o->logits) {
        for (i = 0; i < B * T * V; i++) {
            fP[i] = P[i] > 0.0 ? (float)log(P[i]) : -INFINITY;
            fQ[i] = Q[i] > 0.0 ? (float)log(Q[i]) : -INFINITY;
        }
        rc = sd_npy_write_typed(draft_path, fP, SD_NPY_F32, 3, shape, err);
        if (rc == SD_OK)
            rc = sd_npy_write_typed(target_path, fQ, SD_NPY_F32, 3, shape, err);
    } else {
        rc = sd_npy_write_typed(draft_path, P, SD_NPY_F64, 3, shape, err);
        if (rc == SD_OK)
            rc = sd_npy_write_typed(target_path, Q, SD_NPY_F64, 3, shape, err);
    }
    if (rc == SD_OK)
        rc = sd_npy_write_typed(tokens_path, X, SD_NPY_I64, 2, shape, err);
done:
    sd_free(P);
    sd_free(Q);
    sd_free(X);
    sd_free(tk);
    sd_free(fP);
    sd_free(fQ);
    sd_transform_ws_free(tws);
    return rc;
}
