/* npy.c - NumPy .npy files: read (float64/float32, C order) and write. */
#include "npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* A cursor over the header's Python-literal dictionary text. */
typedef struct {
    const char *s;
    size_t n, i;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' ||
                           c->s[c->i] == '\n' || c->s[c->i] == '\r'))
        c->i++;
}

static int accept_char(cursor *c, char ch)
{
    skip_ws(c);
    if (c->i < c->n && c->s[c->i] == ch) {
        c->i++;
        return 1;
    }
    return 0;
}

/* Parse a quoted string into buf (up to cap-1 chars); 0 on failure. */
static int parse_string(cursor *c, char *buf, size_t cap)
{
    char q;
    size_t k = 0;
    skip_ws(c);
    if (c->i >= c->n || (c->s[c->i] != '\'' && c->s[c->i] != '"'))
        return 0;
    q = c->s[c->i++];
    while (c->i < c->n && c->s[c->i] != q) {
        if (k + 1 >= cap)
            return 0;
        buf[k++] = c->s[c->i++];
    }
    if (c->i >= c->n)
        return 0;
    c->i++;
    buf[k] = '\0';
    return 1;
}

static int parse_word(cursor *c, const char *w)
{
    size_t L = strlen(w);
    skip_ws(c);
    if (c->n - c->i >= L && memcmp(c->s + c->i, w, L) == 0) {
        c->i += L;
        return 1;
    }
    return 0;
}

/* Parse "(a, b, c)" of non-negative integers; 0 on malformed,
 * -1 on too many dimensions, -2 on an integer too large. */
static int parse_shape(cursor *c, size_t *shape, size_t *ndim)
{
    *ndim = 0;
    if (!accept_char(c, '('))
        return 0;
    for (;;) {
        size_t v = 0;
        int digits = 0;
        if (accept_char(c, ')'))
            return 1;
        skip_ws(c);
        while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
            unsigned d = (unsigned)(c->s[c->i] - '0');
            if (v > (SIZE_MAX - d) / 10)
                return -2;
            v = v * 10 + d;
            c->i++;
            digits++;
        }
        if (c->i < c->n && c->s[c->i] == 'L') /* Python 2 longs */
            c->i++;
        if (!digits)
            return 0;
        if (*ndim >= SD_NPY_MAX_DIM)
            return -1;
        shape[(*ndim)++] = v;
        if (accept_char(c, ','))
            continue;
        if (accept_char(c, ')'))
            return 1;
        return 0;
    }
}

/* The header of an in-memory .npy image, any dtype: shape into out
 * (ndim, shape), the dtype string into descr (cap 32), and whether the
 * array is Fortran-ordered; *data_offset where the data starts. */
static sd_status parse_header_any(const unsigned char *buf, size_t len, const char *name,
                                  sd_array *out, char *descr, int *fortran_out,
                                  size_t *data_offset, sd_error *err)
{
    size_t hlen, hstart;
    cursor c;
    char key[32];
    int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;

    memset(out, 0, sizeof *out);
    descr[0] = '\0';
    if (len < 6 || memcmp(buf, npy_magic, 6) != 0)
        return sd_error_set(err, SD_EFORMAT,
                            "%s: not a .npy file (bad magic string)", name);
    if (len < 10)
        return sd_error_set(err, SD_EFORMAT, "%s: truncated .npy header", name);
    if (buf[6] == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        hstart = 10;
    } else if (buf[6] == 2 || buf[6] == 3) {
        if (len < 12)
            return sd_error_set(err, SD_EFORMAT, "%s: truncated .npy header", name);
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 |
               (size_t)buf[11] << 24;
        hstart = 12;
    } else {
        return sd_error_set(err, SD_EFORMAT,
                            "%s: unsupported .npy format version %u.%u", name,
                            buf[6], buf[7]);
    }
    if (hlen > len - hstart)
        return sd_error_set(err, SD_EFORMAT,
                            "%s: truncated .npy header (header length %zu, "
                            "file has %zu bytes after the preamble)",
                            name, hlen, len - hstart);
    c.s = (const char *)buf + hstart;
    c.n = hlen;
    c.i = 0;
    if (!accept_char(&c, '{'))
        return sd_error_set(err, SD_EFORMAT,
                            "%s: malformed .npy header (no '{' at byte %zu)",
                            name, hstart);
    while (!accept_char(&c, '}')) {
        if (!parse_string(&c, key, sizeof key) || !accept_char(&c, ':'))
            return sd_error_set(err, SD_EFORMAT,
                                "%s: malformed .npy header near byte %zu",
                                name, hstart + c.i);
        if (strcmp(key, "descr") == 0) {
            if (!parse_string(&c, descr, 32))
                return sd_error_set(err, SD_EFORMAT,
                                    "%s: malformed .npy header: 'descr' is not "
                                    "a simple dtype string", name);
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (parse_word(&c, "True"))
                fortran = 1;
            else if (!parse_word(&c, "False"))
                return sd_error_set(err, SD_EFORMAT,
                                    "%s: malformed .npy header: bad "
                                    "'fortran_order' value", name);
            have_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            int r = parse_shape(&c, out->shape, &out->ndim);
            if (r == -1)
                return sd_error_set(err, SD_ERANGE,
                                    "%s: array has more than %d dimensions",
                                    name, SD_NPY_MAX_DIM);
            if (r == -2)
                return sd_error_set(err, SD_ERANGE,
                                    "%s: a dimension in the header overflows",
                                    name);
            if (r == 0)
                return sd_error_set(err, SD_EFORMAT,
                                    "%s: malformed .npy header: bad 'shape'",
                                    name);
            have_shape = 1;
        } else {
            return sd_error_set(err, SD_EFORMAT,
                                "%s: malformed .npy header: unknown key '%s'",
                                name, key);
        }
        if (!accept_char(&c, ',')) {
            if (accept_char(&c, '}'))
                break;
            return sd_error_set(err, SD_EFORMAT,
                                "%s: malformed .npy header near byte %zu",
                                name, hstart + c.i);
        }
    }
    if (!have_descr || !have_order || !have_shape)
        return sd_error_set(err, SD_EFORMAT,
                            "%s: malformed .npy header: missing '%s'", name,
                            !have_descr ? "descr"
                            : !have_order ? "fortran_order" : "shape");
    *fortran_out = fortran;
    *data_offset = hstart + hlen;
    return SD_OK;
}

/* The number of elements of out's shape into out->size, checking that
 * size * itemsize does not overflow. */
static sd_status shape_size(sd_array *out, size_t itemsize, const char *name, sd_error *err)
{
    size_t k;
    out->size = 1;
    for (k = 0; k < out->ndim; k++) {
        if (out->shape[k] != 0 && out->size > SIZE_MAX / itemsize / out->shape[k])
            return sd_error_set(err, SD_ERANGE,
                                "%s: array size overflows (shape too large)",
                                name);
        out->size *= out->shape[k];
    }
    return SD_OK;
}

/* The data of size items of itemsize bytes must fill the rest of the file. */
static sd_status check_data_len(const sd_array *out, size_t itemsize, size_t len,
                                size_t data_offset, const char *name, sd_error *err)
{
    if (out->size > (len - data_offset) / itemsize)
        return sd_error_set(err, SD_EFORMAT,
                            "%s: truncated data: the header promises %zu "
                            "values (%zu bytes), the file holds %zu bytes",
                            name, out->size, out->size * itemsize,
                            len - data_offset);
    if (out->size * itemsize != len - data_offset)
        return sd_error_set(err, SD_EFORMAT,
                            "%s: %zu unexpected bytes after the array data",
                            name, len - data_offset - out->size * itemsize);
    return SD_OK;
}

/* Parse an in-memory .npy image of a float64/float32 array: len is the
 * byte length of buf; on success *data_offset is where the array data
 * starts and *out has ndim/shape/size/was_float32 set but no data.
 * Errors as sd_npy_read, with name used in messages. */
static sd_status parse_header(const unsigned char *buf, size_t len,
                              const char *name, sd_array *out,
                              size_t *data_offset, sd_error *err)
{
    char descr[32];
    int fortran = 0;
    size_t itemsize;
    sd_status rc = parse_header_any(buf, len, name, out, descr, &fortran, data_offset, err);
    if (rc != SD_OK)
        return rc;
    if (strcmp(descr, "<f8") == 0) {
        itemsize = 8;
    } else if (strcmp(descr, "<f4") == 0) {
        itemsize = 4;
        out->was_float32 = 1;
    } else if (strcmp(descr, ">f8") == 0 || strcmp(descr, ">f4") == 0) {
        return sd_error_set(err, SD_EFORMAT,
                            "%s: big-endian dtype '%s' is not supported "
                            "(save as little-endian '<f8' or '<f4')", name, descr);
    } else {
        return sd_error_set(err, SD_EFORMAT,
                            "%s: unsupported dtype '%s' (float64 '<f8' or "
                            "float32 '<f4' expected)", name, descr);
    }
    if (fortran)
        return sd_error_set(err, SD_EFORMAT,
                            "%s: Fortran-ordered arrays are not supported "
                            "(save with C order, e.g. np.ascontiguousarray)",
                            name);
    if ((rc = shape_size(out, 8, name, err)) != SD_OK)
        return rc;
    return check_data_len(out, itemsize, len, *data_offset, name, err);
}

/* Read the whole file into memory (small files, or unaligned data). */
static sd_status read_whole(int fd, size_t len, unsigned char **buf,
                            const char *path, sd_error *err)
{
    size_t got = 0;
    *buf = sd_malloc(len ? len : 1, 1);
    if (*buf == NULL)
        return sd_error_set(err, SD_ENOMEM, "%s: out of memory reading %zu bytes",
                            path, len);
    while (got < len) {
        ssize_t r = read(fd, *buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            sd_free(*buf);
            *buf = NULL;
            return sd_error_set(err, SD_EIO, "%s: read failed: %s", path,
                                r < 0 ? strerror(errno) : "unexpected end of file");
        }
        got += (size_t)r;
    }
    return SD_OK;
}

static sd_status convert_data(const unsigned char *src, sd_array *out,
                              const char *path, sd_error *err)
{
    size_t i;
    out->data = sd_malloc(out->size ? out->size : 1, sizeof(double));
    if (out->data == NULL)
        return sd_error_set(err, SD_ENOMEM,
                            "%s: out of memory for %zu values", path, out->size);
    if (out->was_float32) {
        for (i = 0; i < out->size; i++) {
            float f;
            memcpy(&f, src + 4 * i, 4);
            out->data[i] = (double)f;
        }
    } else if (out->size) {
        memcpy(out->data, src, out->size * 8);
    }
    return SD_OK;
}

/* Open path for reading, which must be a regular file: *fd and its
 * length *len.  A missing or unreadable file is the user's input error
 * (SD_EINVAL, exit 2); other failures are SD_EIO. */
static sd_status open_regular(const char *path, int *fd, size_t *len, sd_error *err)
{
    struct stat st;
    *fd = open(path, O_RDONLY);
    if (*fd < 0) {
        int e = errno;
        int user = e == ENOENT || e == ENOTDIR || e == EACCES || e == EISDIR ||
                   e == ELOOP || e == ENAMETOOLONG;
        return sd_error_set(err, user ? SD_EINVAL : SD_EIO, "%s: cannot open: %s", path,
                            strerror(e));
    }
    if (fstat(*fd, &st) != 0) {
        int e = errno;
        close(*fd);
        return sd_error_set(err, SD_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(*fd);
        return sd_error_set(err, SD_EINVAL, "%s: not a regular file", path);
    }
    *len = (size_t)st.st_size;
    return SD_OK;
}

sd_status sd_npy_read(const char *path, sd_array *out, sd_error *err)
{
    int fd;
    size_t len, off = 0;
    unsigned char *buf = NULL;
    sd_status rc;

    memset(out, 0, sizeof *out);
    if ((rc = open_regular(path, &fd, &len, err)) != SD_OK)
        return rc;
    if (len >= SD_NPY_MMAP_MIN) {
        void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            rc = parse_header(map, len, path, out, &off, err);
            if (rc == SD_OK && !out->was_float32 && off % sizeof(double) == 0) {
                close(fd);
                out->map = map;
                out->map_len = len;
                out->data = (double *)((unsigned char *)map + off);
                return SD_OK;
            }
            if (rc == SD_OK)
                rc = convert_data((unsigned char *)map + off, out, path, err);
            munmap(map, len);
            close(fd);
            if (rc != SD_OK)
                memset(out, 0, sizeof *out);
            return rc;
        }
    }
    rc = read_whole(fd, len, &buf, path, err);
    close(fd);
    if (rc != SD_OK)
        return rc;
    rc = parse_header(buf, len, path, out, &off, err);
    if (rc == SD_OK)
        rc = convert_data(buf + off, out, path, err);
    sd_free(buf);
    if (rc != SD_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

void sd_array_free(sd_array *a)
{
    if (a == NULL)
        return;
    if (a->map != NULL)
        munmap(a->map, a->map_len);
    else
        sd_free(a->data);
    memset(a, 0, sizeof *a);
}

unsigned sd_umask_mode(unsigned full)
{
    mode_t mask = umask(0);
    umask(mask);
    return full & ~(unsigned)mask;
}

/* Write n = prod(shape) items of itemsize bytes with dtype descr, C order,
 * as a version 1.0 file to a new temporary file beside path (mode: 0666
 * less the umask); its name goes to *tmp_out (the caller frees it). */
static sd_status write_tmp_any(const char *path, const void *data, size_t itemsize,
                               const char *descr, size_t ndim, const size_t *shape,
                               char **tmp_out, sd_error *err)
{
    char header[512], shp[256];
    size_t k, n = 1, hl, pos = 0;
    size_t tmplen = strlen(path) + 16;
    char *tmp;
    FILE *f;
    int fd, ok;

    shp[0] = '\0';
    for (k = 0; k < ndim; k++) {
        pos += (size_t)snprintf(shp + pos, sizeof shp - pos, "%zu%s", shape[k],
                                ndim == 1 ? "," : (k + 1 < ndim ? ", " : ""));
        n *= shape[k];
    }
    hl = (size_t)snprintf(header, sizeof header,
                          "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                          descr, shp);
    /* pad so that magic(6)+version(2)+len(2)+header+'\n' is a multiple of 64 */
    while ((10 + hl + 1) % 64 != 0)
        header[hl++] = ' ';
    header[hl++] = '\n';
    header[hl] = '\0';

    tmp = sd_malloc(tmplen, 1);
    if (tmp == NULL)
        return sd_error_set(err, SD_ENOMEM, "%s: out of memory", path);
    snprintf(tmp, tmplen, "%s.tmpXXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        /* a missing or forbidden directory is a user error, not an I/O fault */
        sd_status code = (errno == ENOENT || errno == ENOTDIR || errno == EACCES ||
                          errno == EROFS) ? SD_EINVAL : SD_EIO;
        sd_error_set(err, code, "%s: cannot create the file: %s", path, strerror(errno));
        sd_free(tmp);
        return code;
    }
    f = fdopen(fd, "wb");
    if (f == NULL) {
        close(fd);
        unlink(tmp);
        sd_free(tmp);
        return sd_error_set(err, SD_EIO, "%s: cannot write", path);
    }
    ok = fwrite(npy_magic, 1, 6, f) == 6;
    ok = ok && fputc(1, f) != EOF && fputc(0, f) != EOF;
    ok = ok && fputc((int)(hl & 0xff), f) != EOF && fputc((int)(hl >> 8), f) != EOF;
    ok = ok && fwrite(header, 1, hl, f) == hl;
    ok = ok && (n == 0 || fwrite(data, itemsize, n, f) == n);
    ok = (fclose(f) == 0) && ok;
    if (!ok || chmod(tmp, (mode_t)sd_umask_mode(0666)) != 0) {
        sd_error_set(err, SD_EIO, "%s: write failed: %s", path, strerror(errno));
        unlink(tmp);
        sd_free(tmp);
        return SD_EIO;
    }
    *tmp_out = tmp;
    return SD_OK;
}

sd_status sd_npy_write_tmp(const char *path, const double *data, size_t ndim,
                           const size_t *shape, char **tmp_out, sd_error *err)
{
    return write_tmp_any(path, data, sizeof(double), "<f8", ndim, shape, tmp_out, err);
}

sd_status sd_npy_commit(const char *tmp, const char *path, sd_error *err)
{
    if (rename(tmp, path) != 0) {
        sd_error_set(err, SD_EIO, "%s: write failed: %s", path, strerror(errno));
        unlink(tmp);
        return SD_EIO;
    }
    return SD_OK;
}


/* Write size-byte items with dtype descr (see sd_npy_write). */
static sd_status write_any(const char *path, const void *data, size_t itemsize,
                           const char *descr, size_t ndim, const size_t *shape,
                           sd_error *err)
{
    char *tmp = NULL;
    sd_status rc = write_tmp_any(path, data, itemsize, descr, ndim, shape, &tmp, err);
    if (rc == SD_OK)
        rc = sd_npy_commit(tmp, path, err);
    sd_free(tmp);
    return rc;
}

/* ---- typed read-only views (traces: float16/32/64 and int32/64) ---- */

static const struct {
    const char *descr;
    sd_npy_dtype dtype;
    size_t itemsize;
} view_dtypes[] = {
    {"<f2", SD_NPY_F16, 2}, {"<f4", SD_NPY_F32, 4}, {"<f8", SD_NPY_F64, 8},
    {"<i4", SD_NPY_I32, 4}, {"<i8", SD_NPY_I64, 8},
    {"|f2", SD_NPY_F16, 2}, /* never written by NumPy, but unambiguous */
};

const char *sd_npy_dtype_name(sd_npy_dtype d)
{
    switch (d) {
    case SD_NPY_F16: return "float16";
    case SD_NPY_F32: return "float32";
    case SD_NPY_F64: return "float64";
    case SD_NPY_I32: return "int32";
    case SD_NPY_I64: return "int64";
    }
    return "?";
}

sd_status sd_npy_view_image(const unsigned char *buf, size_t len, const char *name,
                            unsigned accept, sd_npy_view *v, sd_error *err)
{
    sd_array a;
    char descr[32];
    int fortran = 0;
    size_t off = 0, k;
    sd_status rc;

    memset(v, 0, sizeof *v);
    rc = parse_header_any(buf, len, name, &a, descr, &fortran, &off, err);
    if (rc != SD_OK)
        return rc;
    for (k = 0; k < sizeof view_dtypes / sizeof view_dtypes[0]; k++)
        if (strcmp(descr, view_dtypes[k].descr) == 0)
            break;
    if (k == sizeof view_dtypes / sizeof view_dtypes[0] ||
        !(accept & (1u << view_dtypes[k].dtype))) {
        char want[96] = "";
        size_t j, pos = 0;
        for (j = 0; j <= SD_NPY_I64; j++)
            if (accept & (1u << j))
                pos += (size_t)snprintf(want + pos, sizeof want - pos, "%s%s",
                                        pos ? ", " : "", sd_npy_dtype_name((sd_npy_dtype)j));
        return sd_error_set(err, SD_EFORMAT,
                            "%s: unsupported dtype '%s' (little-endian %s expected)", name,
                            descr, want);
    }
    if (fortran)
        return sd_error_set(err, SD_EFORMAT,
                            "%s: Fortran-ordered arrays are not supported "
                            "(save with C order, e.g. np.ascontiguousarray)", name);
    if ((rc = shape_size(&a, view_dtypes[k].itemsize, name, err)) != SD_OK)
        return rc;
    if ((rc = check_data_len(&a, view_dtypes[k].itemsize, len, off, name, err)) != SD_OK)
        return rc;
    v->ndim = a.ndim;
    memcpy(v->shape, a.shape, sizeof v->shape);
    v->size = a.size;
    v->dtype = view_dtypes[k].dtype;
    v->itemsize = view_dtypes[k].itemsize;
    v->data = buf + off;
    return SD_OK;
}

sd_status sd_npy_view_open(const char *path, unsigned accept, sd_npy_view *v, sd_error *err)
{
    int fd;
    size_t len;
    void *map;
    sd_status rc;

    memset(v, 0, sizeof *v);
    if ((rc = open_regular(path, &fd, &len, err)) != SD_OK)
        return rc;
    if (len == 0) {
        close(fd);
        return sd_error_set(err, SD_EFORMAT, "%s: not a .npy file (empty)", path);
    }
    map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return sd_error_set(err, SD_EIO, "%s: cannot map: %s", path, strerror(errno));
    rc = sd_npy_view_image(map, len, path, accept, v, err);
    if (rc != SD_OK) {
        munmap(map, len);
        memset(v, 0, sizeof *v);
        return rc;
    }
    v->map = map;
    v->map_len = len;
    return SD_OK;
}

void sd_npy_view_release(const sd_npy_view *v, size_t first, size_t count)
{
    uintptr_t lo, hi, base;
    long pg = sysconf(_SC_PAGESIZE);
    if (v->map == NULL || count == 0 || pg <= 0)
        return;
    base = (uintptr_t)v->map;
    lo = (uintptr_t)(v->data + first * v->itemsize);
    hi = (uintptr_t)(v->data + (first + count) * v->itemsize);
    /* whole pages strictly inside [lo, hi) only: neighbours may still be in use */
    lo = (lo + (uintptr_t)pg - 1) / (uintptr_t)pg * (uintptr_t)pg;
    hi = hi / (uintptr_t)pg * (uintptr_t)pg;
    if (hi > lo && lo >= base)
        madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

void sd_npy_view_close(sd_npy_view *v)
{
    if (v == NULL)
        return;
    if (v->map != NULL)
        munmap(v->map, v->map_len);
    memset(v, 0, sizeof *v);
}

float sd_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu,
             bits;
    float f;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13); /* inf or NaN */
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (man << 13); /* normal: rebias 15 -> 127 */
    } else if (man == 0) {
        bits = sign; /* signed zero */
    } else {
        /* subnormal half: man * 2^-24, exact in float */
        f = (float)man * 0x1p-24f;
        memcpy(&bits, &f, 4);
        bits |= sign;
    }
    memcpy(&f, &bits, 4);
    return f;
}

void sd_npy_view_row(const sd_npy_view *v, size_t first, size_t n, double *out)
{
    const unsigned char *src = v->data + first * v->itemsize;
    size_t i;
/* out[i] := (double)CONV(x) for the n items x of type T at src (memcpy:
 * the mapping need not be aligned) */
#define CONVERT(T, CONV)                                                       \
    for (i = 0; i < n; i++) {                                                  \
        T x;                                                                   \
        memcpy(&x, src + sizeof x * i, sizeof x);                              \
        out[i] = (double)CONV(x);                                              \
    }
    switch (v->dtype) {
    case SD_NPY_F16:
        CONVERT(uint16_t, sd_half_to_float);
        break;
    case SD_NPY_F32:
        CONVERT(float, );
        break;
    case SD_NPY_F64:
        memcpy(out, src, n * sizeof(double));
        break;
    case SD_NPY_I32:
        CONVERT(int32_t, );
        break;
    case SD_NPY_I64:
        CONVERT(int64_t, );
        break;
    }
#undef CONVERT
}

int64_t sd_npy_view_int(const sd_npy_view *v, size_t i)
{
    const unsigned char *src = v->data + i * v->itemsize;
    if (v->dtype == SD_NPY_I32) {
        int32_t x;
        memcpy(&x, src, 4);
        return x;
    } else {
        int64_t x;
        memcpy(&x, src, 8);
        return x;
    }
}

sd_status sd_npy_write_typed(const char *path, const void *data, sd_npy_dtype dtype,
                             size_t ndim, const size_t *shape, sd_error *err)
{
    size_t k, itemsize = 8;
    const char *descr = "<f8";
    for (k = 0; k < sizeof view_dtypes / sizeof view_dtypes[0]; k++)
        if (view_dtypes[k].dtype == dtype) {
            descr = view_dtypes[k].descr;
            itemsize = view_dtypes[k].itemsize;
            break;
        }
    return write_any(path, data, itemsize, descr, ndim, shape, err);
}

sd_status sd_npy_write(const char *path, const double *data, size_t ndim,
                       const size_t *shape, sd_error *err)
{
    return write_any(path, data, sizeof(double), "<f8", ndim, shape, err);
}

/* ---- integer arrays (the audit's token and acceptance files) ---- */

sd_status sd_npy_write_int64(const char *path, const int64_t *data, size_t ndim,
                             const size_t *shape, sd_error *err)
{
    return write_any(path, data, sizeof(int64_t), "<i8", ndim, shape, err);
}

sd_status sd_npy_read_int(const char *path, sd_iarray *out, sd_error *err)
{
    sd_npy_view v;
    size_t i;
    sd_status rc;

    memset(out, 0, sizeof *out);
    rc = sd_npy_view_open(path, (1u << SD_NPY_I32) | (1u << SD_NPY_I64), &v, err);
    if (rc != SD_OK)
        return rc;
    out->data = sd_malloc(v.size ? v.size : 1, sizeof(int64_t));
    if (out->data == NULL) {
        sd_npy_view_close(&v);
        return sd_error_set(err, SD_ENOMEM, "%s: out of memory for %zu values", path, v.size);
    }
    for (i = 0; i < v.size; i++) {
        if (v.dtype == SD_NPY_I32) {
            int32_t x;
            memcpy(&x, v.data + 4 * i, 4);
            out->data[i] = x;
        } else {
            memcpy(&out->data[i], v.data + 8 * i, 8);
        }
    }
    out->base = out->data;
    out->ndim = v.ndim;
    memcpy(out->shape, v.shape, sizeof out->shape);
    out->size = v.size;
    out->was_int32 = v.dtype == SD_NPY_I32;
    sd_npy_view_close(&v);
    return SD_OK;
}

void sd_iarray_free(sd_iarray *a)
{
    if (a == NULL)
        return;
    sd_free(a->base);
    memset(a, 0, sizeof *a);
}
