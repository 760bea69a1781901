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
#include <stdint.h>

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

/* The same for int64 values: a version 1.0 '<i8' file, written the
 * same way (temporary file renamed into place). */
sd_status sd_npy_write_int64(const char *path, const int64_t *data, size_t ndim,
                             const size_t *shape, sd_error *err);

/* An integer array read from a .npy file (token ids, flags). */
typedef struct {
    size_t ndim;                  /* number of dimensions */
    size_t shape[SD_NPY_MAX_DIM]; /* extent of each dimension */
    size_t size;                  /* product of the shape */
    int was_int32;                /* stored as int32 */
    int64_t *data;                /* size values, C order */
    void *base;                   /* the allocation behind data, or NULL */
    void *map;                    /* read-only mapping behind data, or NULL */
    size_t map_len;               /* its length */
} sd_iarray;

/* Read the .npy file at path holding little-endian int32 ('<i4') or
 * int64 ('<i8') values in C order into *out (free with sd_iarray_free;
 * large int64 files are mapped read-only, not copied: do not write to
 * out->data).
 * Errors as sd_npy_read (a float or other dtype is SD_EFORMAT naming
 * the dtype); *out is then left empty. */
sd_status sd_npy_read_int(const char *path, sd_iarray *out, sd_error *err);

/* Release the storage of a (does nothing to an empty array). */
void sd_iarray_free(sd_iarray *a);


/* ---- typed read-only views: traces of logits and tokens ---------------- */

#include <stdint.h>

typedef enum {
    SD_NPY_F16 = 0, SD_NPY_F32 = 1, SD_NPY_F64 = 2, SD_NPY_I32 = 3, SD_NPY_I64 = 4
} sd_npy_dtype;

/* Bit masks of dtypes for sd_npy_view_open's accept argument. */
#define SD_NPY_FLOATS ((1u << SD_NPY_F16) | (1u << SD_NPY_F32) | (1u << SD_NPY_F64))
#define SD_NPY_INTS ((1u << SD_NPY_I32) | (1u << SD_NPY_I64))

/* A .npy file mapped read-only, its data left in the stored dtype, so
 * that a file larger than memory is read block by block and never
 * copied whole. */
typedef struct {
    size_t ndim;                  /* number of dimensions */
    size_t shape[SD_NPY_MAX_DIM]; /* extent of each dimension */
    size_t size;                  /* product of the shape */
    sd_npy_dtype dtype;           /* stored element type (little-endian) */
    size_t itemsize;              /* bytes per element */
    const unsigned char *data;    /* first element (possibly unaligned) */
    void *map;                    /* mmap base (NULL for an in-memory image) */
    size_t map_len;               /* length of the mapping */
} sd_npy_view;

/* "float16", "float32", ... */
const char *sd_npy_dtype_name(sd_npy_dtype d);

/* Map the .npy file at path read-only into *v (close with
 * sd_npy_view_close).  accept is a mask of (1 << dtype) bits, e.g.
 * SD_NPY_FLOATS.  Errors as sd_npy_read (SD_EINVAL for a missing or
 * unreadable file; SD_EFORMAT for a bad header, a dtype outside accept,
 * Fortran order, truncated or trailing data; SD_ERANGE; SD_EIO), with a
 * message naming path; *v is then empty. */
sd_status sd_npy_view_open(const char *path, unsigned accept, sd_npy_view *v, sd_error *err);

/* The same on an in-memory image buf[0..len) (which must outlive *v);
 * name is used in messages.  Nothing to close. */
sd_status sd_npy_view_image(const unsigned char *buf, size_t len, const char *name,
                            unsigned accept, sd_npy_view *v, sd_error *err);

/* Unmap (safe on an empty view). */
void sd_npy_view_close(sd_npy_view *v);

/* Elements first .. first+n-1 (flat C-order index) converted to double
 * into out.  Never fails (the caller keeps the range inside v->size). */
void sd_npy_view_row(const sd_npy_view *v, size_t first, size_t n, double *out);

/* Element i of an int32/int64 view. */
int64_t sd_npy_view_int(const sd_npy_view *v, size_t i);

/* Tell the kernel that elements first .. first+count-1 will not be read
 * again, so that their pages leave the process's resident set (peak
 * memory independent of the file size).  Only whole pages inside the
 * range are dropped; a later read maps them in again.  No-op for
 * in-memory images. */
void sd_npy_view_release(const sd_npy_view *v, size_t first, size_t count);

/* IEEE binary16 to float (exact, with subnormals, infinities and NaN). */
float sd_half_to_float(uint16_t h);

/* The permissions a new file (full = 0666) or directory (0777) gets:
 * full less the process umask. */
unsigned sd_umask_mode(unsigned full);

/* Write n = prod(shape) elements of the given dtype from data (C order)
 * as a version 1.0 file, atomically as sd_npy_write (same errors). */
sd_status sd_npy_write_typed(const char *path, const void *data, sd_npy_dtype dtype,
                             size_t ndim, const size_t *shape, sd_error *err);

#endif
