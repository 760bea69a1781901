/* npy.h - NumPy .npy files: read (float64/float32, C order) and write.
 *
 * Reading converts to double.  A little-endian float64 file larger than
 * SD_NPY_MMAP_MIN bytes is mapped copy-on-write instead of read, so a
 * large stationary kernel costs no copy; callers may still write to the
 * data (e.g. to renormalise rows) without touching the file.
 */
#ifndef SD_NPY_H
#define SD_NPY_H

#include <stddef.h>

#include "error.h"

#define SD_NPY_MAX_DIM 8
#define SD_NPY_MMAP_MIN ((size_t)1 << 20)

typedef struct {
    size_t ndim;                  /* number of dimensions (0 for a scalar) */
    size_t shape[SD_NPY_MAX_DIM]; /* extent of each dimension */
    size_t size;                  /* product of the shape */
    int was_float32;              /* stored as float32 (looser row tolerance) */
    double *data;                 /* size doubles, C order */
    void *map;                    /* mmap base, or NULL if data is malloc'd */
    size_t map_len;               /* length of the mapping */
} sd_array;

/* Read the .npy file at path into *out (which the caller frees with
 * sd_array_free).  Accepts format versions 1.0, 2.0 and 3.0, dtypes
 * '<f8' and '<f4', C order, any rank up to SD_NPY_MAX_DIM.  On failure
 * returns SD_EINVAL (missing or unreadable file, not a regular file),
 * SD_EIO (a read failed), SD_ENOMEM, SD_EFORMAT (bad magic, malformed
 * header, unsupported dtype or order, truncated or trailing data) or
 * SD_ERANGE (sizes that overflow), with a message naming path; *out is
 * then left empty and needs no freeing. */
sd_status sd_npy_read(const char *path, sd_array *out, sd_error *err);

/* Release the storage of a (does nothing to an empty array). */
void sd_array_free(sd_array *a);

/* Write data (C order, shape[0..ndim-1]) as a version 1.0 '<f8' file.
 * Writes to a temporary file beside path and renames it into place, so
 * a failure never leaves a partial file.  Returns SD_EINVAL when the
 * directory is missing or forbidden, SD_EIO on other failures. */
/* Write like sd_npy_write, but to a new temporary file beside path
 * (mode 0666 less the umask), whose name is returned in *tmp_out (free
 * with sd_free); nothing is renamed.  On failure nothing is left. */
sd_status sd_npy_write_tmp(const char *path, const double *data, size_t ndim,
                           const size_t *shape, char **tmp_out, sd_error *err);
/* Rename the temporary file tmp to path (on failure tmp is removed). */
sd_status sd_npy_commit(const char *tmp, const char *path, sd_error *err);
sd_status sd_npy_write(const char *path, const double *data, size_t ndim,
                       const size_t *shape, sd_error *err);


#endif
