/* names.h - enums named by tables of strings (command-line words).
 *
 * A module whose enum values 0..n-1 have names keeps them in one array
 * and parses and names them through these two functions.
 */
#ifndef SD_NAMES_H
#define SD_NAMES_H

#include <stddef.h>
#include <string.h>

/* The index of name in names[0..n-1], or -1 if it is not there. */
static inline int sd_names_find(const char *const *names, size_t n, const char *name)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

/* names[i], or "?" for an i outside 0..n-1. */
static inline const char *sd_names_of(const char *const *names, size_t n, size_t i)
{
    return i < n ? names[i] : "?";
}

#define SD_NAMES_N(names) (sizeof(names) / sizeof((names)[0]))

#endif
