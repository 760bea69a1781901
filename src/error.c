/* error.c - status codes and caller-owned error messages. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>

sd_status sd_error_set(sd_error *err, sd_status code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void sd_error_clear(sd_error *err)
{
    if (err != NULL) {
        err->code = SD_OK;
        err->msg[0] = '\0';
    }
}

const char *sd_strerror(sd_status code)
{
    switch (code) {
    case SD_OK: return "success";
    case SD_EINVAL: return "invalid argument";
    case SD_EFORMAT: return "malformed input";
    case SD_ERANGE: return "out of range";
    case SD_ENOMEM: return "out of memory";
    case SD_EIO: return "input/output error";
    case SD_EINTERNAL: return "internal numerical error";
    }
    return "unknown status";
}

int sd_status_exit_code(sd_status code)
{
    switch (code) {
    case SD_OK: return 0;
    case SD_EINVAL:
    case SD_EFORMAT:
    case SD_ERANGE: return 2;
    case SD_ENOMEM:
    case SD_EIO:
    case SD_EINTERNAL: return 3;
    }
    return 3;
}

void sd_gsl_quiet(void)
{
    /* Setting the same handler twice is harmless, so no once-guard is
     * needed even when threads race here. */
    gsl_set_error_handler_off();
}
