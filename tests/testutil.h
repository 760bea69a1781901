/* testutil.h - shared helpers for the cmocka test programs.
 * Each test program's main runs one group; the Makefile sets
 * CMOCKA_MESSAGE_OUTPUT=TAP so automake's TAP driver lists each case. */
#ifndef SD_TESTUTIL_H
#define SD_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* |a - b| <= rel * max(1, |a|, |b|) */
#define assert_close(a, b, rel)                                                    \
    do {                                                                           \
        double a_ = (a), b_ = (b);                                                 \
        double s_ = fmax(1.0, fmax(fabs(a_), fabs(b_)));                           \
        if (!(fabs(a_ - b_) <= (rel) * s_))                                        \
            fail_msg("%s = %.17g and %s = %.17g differ by more than %g relative",  \
                     #a, a_, #b, b_, (double)(rel));                               \
    } while (0)

#endif
