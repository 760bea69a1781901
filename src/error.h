/* error.h - status codes and caller-owned error messages.
 *
 * Every fallible library function returns an sd_status and, when given a
 * non-NULL sd_error, leaves a one-line message there naming what went wrong
 * (file, position, value).  The library never prints, exits or aborts.
 */
#ifndef SD_ERROR_H
#define SD_ERROR_H

typedef enum {
    SD_OK = 0,        /* success */
    SD_EINVAL = 1,    /* invalid argument or input (user error) */
    SD_EFORMAT = 2,   /* malformed file contents (user error) */
    SD_ERANGE = 3,    /* size or value out of the supported range (user error) */
    SD_ENOMEM = 4,    /* out of memory (internal error) */
    SD_EIO = 5,       /* operating-system I/O failure (internal error) */
    SD_EINTERNAL = 6  /* a numerical routine failed (internal error) */
} sd_status;

/* A message slot owned by the caller. */
typedef struct {
    sd_status code;   /* the status last set */
    char msg[768];    /* human-readable, no trailing newline */
} sd_error;

/* Record code and a printf-style message in err (if not NULL); return code.
 * Use as: return sd_error_set(err, SD_EINVAL, "V must be positive"); */
sd_status sd_error_set(sd_error *err, sd_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clear err (if not NULL) to SD_OK with an empty message. */
void sd_error_clear(sd_error *err);

/* A short constant description of a status code. */
const char *sd_strerror(sd_status code);

/* The process exit status of the command-line contract for a status:
 * 0 for SD_OK, 2 for user errors, 3 for internal errors. */
int sd_status_exit_code(sd_status code);

/* Turn GSL's abort-on-error handler off, once, before calling into GSL.
 * Library entry points that use GSL call this; it is idempotent. */
void sd_gsl_quiet(void);

#endif
