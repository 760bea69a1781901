/* par.c - the processes of an MPI job, for the command-line programs. */
#include "par.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SD_HAVE_MPI
#include <errno.h>
#include <unistd.h>

#include <mpi.h>

#define TAG_PROGRESS 1
#define TEXT_MAX 1024

/* A failure as the job agrees on it: sent from the failing process. */
typedef struct {
    int code;            /* exit status */
    int status;          /* sd_status, for sd_mc_run's callers */
    int rank;            /* the process it happened on */
    char text[TEXT_MAX]; /* its message, as rank 0 prints it */
} failure;

static struct {
    int active;          /* MPI started by sd_par_start */
    int depth;           /* sd_par_start calls not yet finished */
    int rank, size;
    int funneled;        /* MPI calls allowed from the main thread inside OpenMP regions */
    MPI_Comm comm;       /* a duplicate of MPI_COMM_WORLD for this module's traffic */
    FILE *err;           /* rank > 0: the file standard error goes to */
    const char *prog;
    int failed;          /* a failure has been agreed ... */
    failure f;           /* ... this one */
    int reported;        /* rank 0 printed f's message */
    sd_mc_team team;
    /* progress */
    size_t *seen;        /* rank 0: chunks finished by each process */
    int finals;          /* rank 0: processes whose last report arrived */
    MPI_Request req;     /* rank > 0: the report in flight */
    int pending;
    uint64_t sent[2];    /* its buffer: chunks done, last */
    double sent_at;      /* MPI_Wtime of that report */
} par = {.size = 1, .comm = MPI_COMM_NULL, .prog = "specdec", .team = {.size = 1},
         .req = MPI_REQUEST_NULL};

/* Started by an MPI launcher (mpirun/mpiexec of Open MPI or MPICH, srun)? */
static int launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL ||
           getenv("PMI_RANK") != NULL || getenv("PMI_SIZE") != NULL;
}

/* What this process wrote to standard error (rank > 0), its last
 * TEXT_MAX - 1 bytes, into text. */
static void captured(char *text)
{
    long end, from;
    size_t n;
    text[0] = '\0';
    if (par.err == NULL)
        return;
    fflush(stderr);
    fflush(par.err);
    if (fseek(par.err, 0, SEEK_END) != 0 || (end = ftell(par.err)) < 0)
        return;
    from = end > TEXT_MAX - 1 ? end - (TEXT_MAX - 1) : 0;
    if (fseek(par.err, from, SEEK_SET) != 0)
        return;
    n = fread(text, 1, (size_t)(end - from), par.err);
    text[n] = '\0';
    fseek(par.err, 0, SEEK_END);
}

/* One agreement round: every process says whether it failed (mine
 * describes how), whether it has finished its program, and the key of
 * the run it is about to make (0 outside sd_mc_run).  Afterwards
 * par.failed tells every process alike whether the job failed: some
 * process failed; or some finished while others had not (they would
 * wait for it in a collective for ever); or the keys differ.  Rank 0
 * prints the message of a failure that did not happen on rank 0. */
static void round_(int fail, int final, uint64_t key, const failure *mine)
{
    const long long lo32 = 0xffffffffLL;
    long long in[7], out[7];
    in[0] = fail ? par.rank : par.size;  /* lowest failing process */
    in[1] = final ? par.rank : par.size; /* lowest finished process */
    in[2] = final ? 1 : 0;               /* 0 if any has not finished */
    in[3] = (long long)(key >> 32);      /* the key's least halves ... */
    in[4] = (long long)(key & 0xffffffffu);
    in[5] = lo32 - in[3];                /* ... and greatest */
    in[6] = lo32 - in[4];
    MPI_Allreduce(in, out, 7, MPI_LONG_LONG, MPI_MIN, par.comm);
    if (out[0] < par.size) {
        if (par.rank == out[0])
            par.f = *mine;
        MPI_Bcast(&par.f, (int)sizeof par.f, MPI_BYTE, (int)out[0], par.comm);
        par.failed = 1;
    } else if (out[1] < par.size && out[2] == 0) {
        par.f.code = 3;
        par.f.status = SD_EINTERNAL;
        par.f.rank = -1;
        snprintf(par.f.text, sizeof par.f.text,
                 "%s: internal error: process %lld of %d ended while the others were still "
                 "running\n", par.prog, out[1], par.size);
        par.failed = 1;
    } else if (out[3] != lo32 - out[5] || out[4] != lo32 - out[6]) {
        par.f.code = 2;
        par.f.status = SD_EINVAL;
        par.f.rank = -1;
        snprintf(par.f.text, sizeof par.f.text,
                 "%s: the %d MPI processes were given different runs (number of runs, "
                 "seed, tested positions, generator or model size differ); every process "
                 "needs the same arguments and files\n", par.prog, par.size);
        par.failed = 1;
    }
    if (par.failed && par.rank == 0 && par.f.rank != 0) {
        if (par.f.text[0] == '\0') /* it failed without a word */
            snprintf(par.f.text, sizeof par.f.text, "%s: process %d of %d failed (exit status %d)\n",
                     par.prog, par.f.rank, par.size, par.f.code);
        fputs(par.f.text, stderr);
        fflush(stderr);
        par.reported = 1;
    }
}

static sd_status team_agree(void *arg, sd_status rc, uint64_t key, sd_error *err)
{
    failure mine;
    (void)arg;
    if (!par.failed) {
        mine.code = sd_status_exit_code(rc);
        mine.status = (int)rc;
        mine.rank = par.rank;
        snprintf(mine.text, sizeof mine.text, "%s: %s\n", par.prog,
                 err != NULL && err->msg[0] ? err->msg : sd_strerror(rc));
        round_(rc != SD_OK, 0, key, &mine);
    }
    if (!par.failed)
        return SD_OK;
    if (par.f.rank != par.rank && err != NULL) {
        size_t n = strcspn(par.f.text, "\n");
        sd_error_set(err, (sd_status)par.f.status, "%.*s", (int)n, par.f.text);
    }
    return (sd_status)par.f.status;
}

static void team_sum(void *arg, uint64_t *buf, size_t n)
{
    (void)arg;
    while (n > 0) {
        int k = n > (1u << 30) ? 1 << 30 : (int)n;
        MPI_Allreduce(MPI_IN_PLACE, buf, k, MPI_UINT64_T, MPI_SUM, par.comm);
        buf += k;
        n -= (size_t)k;
    }
}

/* Rank 0: take one report (blocking or not); 1 if one was taken. */
static int take_report(int block)
{
    uint64_t msg[2];
    MPI_Status st;
    int flag = 1;
    if (!block)
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_PROGRESS, par.comm, &flag, &st);
    if (!flag)
        return 0;
    MPI_Recv(msg, 2, MPI_UINT64_T, MPI_ANY_SOURCE, TAG_PROGRESS, par.comm, &st);
    par.seen[st.MPI_SOURCE] = (size_t)msg[0];
    if (msg[1])
        par.finals++;
    return 1;
}

static void team_progress(void *arg, size_t mine, int last, size_t total,
                          void (*show)(void *, size_t, size_t), void *show_arg)
{
    (void)arg;
    if (!last && !par.funneled)
        return;
    if (par.rank != 0) {
        double now = MPI_Wtime();
        if (par.pending) {
            int done = 0;
            if (last)
                MPI_Wait(&par.req, MPI_STATUS_IGNORE);
            else
                MPI_Test(&par.req, &done, MPI_STATUS_IGNORE);
            par.pending = !last && !done;
        }
        if (last) {
            par.sent[0] = mine;
            par.sent[1] = 1;
            MPI_Send(par.sent, 2, MPI_UINT64_T, 0, TAG_PROGRESS, par.comm);
        } else if (!par.pending && now - par.sent_at >= 0.2) {
            par.sent[0] = mine;
            par.sent[1] = 0;
            par.sent_at = now;
            MPI_Isend(par.sent, 2, MPI_UINT64_T, 0, TAG_PROGRESS, par.comm, &par.req);
            par.pending = 1;
        }
        return;
    }
    par.seen[0] = mine;
    for (;;) {
        size_t all = 0;
        int r, got = take_report(last && par.finals < par.size - 1);
        for (r = 0; r < par.size; r++)
            all += par.seen[r];
        if (show != NULL && all < total)
            show(show_arg, all, total);
        if (!got && (!last || par.finals == par.size - 1))
            break;
        if (last && par.finals == par.size - 1)
            break;
    }
    if (last) {
        memset(par.seen, 0, (size_t)par.size * sizeof *par.seen);
        par.finals = 0;
    }
}

int sd_par_start(int *argc, char ***argv)
{
    int provided;
    if (par.depth++ > 0 || !launched())
        return 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "%s: cannot start MPI\n", (*argv)[0]);
        return 3;
    }
    par.active = 1;
    par.funneled = provided >= MPI_THREAD_FUNNELED;
    MPI_Comm_dup(MPI_COMM_WORLD, &par.comm);
    MPI_Comm_rank(par.comm, &par.rank);
    MPI_Comm_size(par.comm, &par.size);
    if (par.size == 1)
        return 0;
    par.team.rank = par.rank;
    par.team.size = par.size;
    par.team.agree = team_agree;
    par.team.sum = team_sum;
    par.team.progress = team_progress;
    par.seen = calloc((size_t)par.size, sizeof *par.seen);
    if (par.seen == NULL) {
        fprintf(stderr, "%s: out of memory\n", (*argv)[0]);
        return 3;
    }
    if (par.rank != 0) {
        /* one report: rank 0's; a failure here is printed there */
        par.err = tmpfile();
        if (freopen("/dev/null", "w", stdout) == NULL || par.err == NULL ||
            dup2(fileno(par.err), STDERR_FILENO) < 0) {
            fprintf(stderr, "%s: rank %d: cannot redirect its output: %s\n", (*argv)[0],
                    par.rank, strerror(errno));
            return 3;
        }
    }
    return 0;
}

int sd_par_finish(int code)
{
    if (--par.depth > 0 || !par.active)
        return code;
    if (par.size > 1) {
        fflush(stdout);
        if (!par.failed) {
            failure mine;
            mine.code = code;
            mine.status = code == 2 ? SD_EINVAL : SD_EINTERNAL;
            mine.rank = par.rank;
            captured(mine.text);
            round_(code != 0, 1, 0, &mine);
        }
        if (par.failed)
            code = par.f.code;
    }
    fflush(stdout);
    fflush(stderr);
    if (par.pending)
        MPI_Wait(&par.req, MPI_STATUS_IGNORE);
    MPI_Comm_free(&par.comm);
    MPI_Finalize();
    par.active = 0;
    free(par.seen);
    par.seen = NULL;
    if (par.err != NULL)
        fclose(par.err);
    par.err = NULL;
    return code;
}

int sd_par_main(int (*main_fn)(int, char **), int argc, char **argv)
{
    int code = sd_par_start(&argc, &argv);
    if (code == 0)
        code = main_fn(argc, argv);
    return sd_par_finish(code);
}

int sd_par_rank(void)
{
    return par.rank;
}

int sd_par_size(void)
{
    return par.size;
}

const sd_mc_team *sd_par_team(void)
{
    return par.size > 1 ? &par.team : NULL;
}

int sd_par_agree(int code)
{
    failure mine;
    if (par.size == 1)
        return code;
    if (!par.failed) {
        mine.code = code;
        mine.status = code == 2 ? SD_EINVAL : SD_EINTERNAL;
        mine.rank = par.rank;
        captured(mine.text);
        round_(code != 0, 0, 0, &mine);
    }
    return par.failed ? par.f.code : 0;
}

int sd_par_reported(void)
{
    return par.reported;
}

void sd_par_set_prog(const char *prog)
{
    par.prog = prog;
}

#else /* one process: no MPI */

int sd_par_start(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int sd_par_finish(int code)
{
    return code;
}

int sd_par_main(int (*main_fn)(int, char **), int argc, char **argv)
{
    return main_fn(argc, argv);
}

int sd_par_rank(void)
{
    return 0;
}

int sd_par_size(void)
{
    return 1;
}

const sd_mc_team *sd_par_team(void)
{
    return NULL;
}

int sd_par_agree(int code)
{
    return code;
}

int sd_par_reported(void)
{
    return 0;
}

void sd_par_set_prog(const char *prog)
{
    (void)prog;
}

#endif
