/* par.h - the processes of an MPI job, for the command-line programs.
 *
 * The only module that knows MPI (built with ./configure --with-mpi; the
 * library itself never sees it).  Under mpirun or srun every process
 * runs the same program on the same arguments; sd_mc_run spreads its
 * chunks over them through the team given here and sums the integer
 * tallies, so every process holds the same numbers and rank 0 alone
 * writes: the other processes' standard output goes to /dev/null and
 * their standard error is kept aside, to be printed by rank 0 if that
 * process fails.  Failures are agreed collectively (no process is ever
 * left waiting in a collective for one that has quit): the job ends
 * with the message and exit status of the lowest-ranked process that
 * failed.  Run without a launcher, or built without MPI, a program is
 * one process and behaves exactly as it would without this module.
 *
 * Process-wide state (MPI_COMM_WORLD is one per process) lives in this
 * module; nothing else keeps any.
 */
#ifndef SD_PAR_H
#define SD_PAR_H

#include "mc.h"

/* Start: when the program was started by an MPI launcher, start MPI
 * and become one process of the job (the other processes' output is
 * set aside here).  Returns 0, or 3 after a message.  Calls nest: only
 * the outermost start/finish pair acts. */
int sd_par_start(int *argc, char ***argv);

/* Finish: agree on the outcome with the other processes and stop MPI.
 * code is this process's exit status; returns the job's: code, or,
 * when another process failed, that process's (its message printed by
 * rank 0). */
int sd_par_finish(int code);

/* sd_par_start, main_fn(argc, argv), sd_par_finish.  Use as:
 * int main(int c, char **v) { return sd_par_main(run, c, v); } */
int sd_par_main(int (*main_fn)(int, char **), int argc, char **argv);

/* This process's rank (0 when alone) and the number of processes (1
 * when alone or built without MPI). */
int sd_par_rank(void);
int sd_par_size(void);

/* The team that spreads sd_mc_run over the processes, or NULL when
 * there is one process. */
const sd_mc_team *sd_par_team(void);

/* Collective: every process passes its exit status so far (0 = fine).
 * Returns 0 when every process is fine, else the status of the
 * lowest-ranked failing process (whose message rank 0 prints).  Call it
 * on every process before rank 0 commits an output. */
int sd_par_agree(int code);

/* Non-zero on rank 0 once this module has printed the message of a
 * failure that happened on another process: the caller prints no
 * message of its own for it. */
int sd_par_reported(void);

/* The name messages start with (the sd_cli's prog), for a failure that
 * rank 0 prints on behalf of another process. */
void sd_par_set_prog(const char *prog);

#endif
