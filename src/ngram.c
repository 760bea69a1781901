/* ngram.c - a back-off trigram model read into the toolkit's own tables,
 * its next-word rows in O(listed) / O(V) and the comparison of two rows
 * on the union of their listed words (see ngram.h).
 *
 * The trie binary format of sphinxbase (a reversed-suffix trie as in
 * KenLM): a 19-byte magic, the order (1 byte), the counts (uint32 each),
 * an int32, the quantiser's float tables (bigram probabilities, bigram
 * back-off weights, trigram probabilities: 65536 each), V+1 unigram
 * records {float prob, float bo, uint32 first bigram}, the packed bigram
 * records (word, 16-bit back-off code, 16-bit probability code, first
 * trigram), the packed trigram records (word, 16-bit probability code),
 * and the word strings.  The bigram records under unigram w are the
 * histories v of the bigrams "v w"; the trigram records under bigram
 * record (w, v) are the u of the trigrams "u v w".  Lookups in that
 * trie go from the predicted word back into the history, so the module
 * turns it around into successor lists sorted by word.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sphinxbase/bitarr.h>
#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/ngram_model.h>

#include "alloc.h"
#include "ngram.h"

static const char trie_magic[] = "Trie Language Model";
#define MAGIC_LEN 19u
#define QBINS 65536u

/* ---- small helpers ----------------------------------------------------- */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float lef(const unsigned char *p)
{
    uint32_t u = le32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Probability of a log value in base SD_NGRAM_LOGBASE, as sphinxbase's
 * logmath defines it. */
static double lin(float lg)
{
    return exp((double)lg * log1p(SD_NGRAM_LOGBASE - 1.0));
}

static uint32_t bits_at(const unsigned char *base, uint64_t off, uint8_t len, uint32_t mask)
{
    bitarr_address_t a;
    a.base = (void *)(uintptr_t)base;
    a.offset = (uint32)off;
    return bitarr_read_int25(a, len, mask);
}

static sd_status read_file(const char *path, unsigned char **buf, size_t *len, sd_error *err)
{
    FILE *f = fopen(path, "rb");
    long sz;
    *buf = NULL;
    if (!f)
        return sd_error_set(err, SD_EIO, "%s: cannot open the language model", path);
    if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return sd_error_set(err, SD_EIO, "%s: cannot read the language model", path);
    }
    *buf = sd_malloc((size_t)sz + 1, 1);
    if (!*buf) {
        fclose(f);
        return sd_error_set(err, SD_ENOMEM, "%s: out of memory reading %ld bytes", path, sz);
    }
    if (fread(*buf, 1, (size_t)sz, f) != (size_t)sz) {
        fclose(f);
        sd_free(*buf);
        *buf = NULL;
        return sd_error_set(err, SD_EIO, "%s: short read", path);
    }
    fclose(f);
    *len = (size_t)sz;
    return SD_OK;
}

void sd_ngram_free(sd_ngram *m)
{
    size_t i;
    if (!m)
        return;
    {
        void *const tables[] = {m->words, m->wordbuf, m->p1, m->bo1, m->lp1, m->lbo1,
                                m->b_off, m->b_word, m->b_prob, m->b_bo, m->b_lprob,
                                m->b_lbo, m->t_off, m->t_word, m->t_prob, m->t_lprob,
                                m->p1_sorted, m->p1_cum};
        for (i = 0; i < sizeof tables / sizeof tables[0]; i++)
            sd_free(tables[i]);
    }
    if (m->p1_alias)
        gsl_ran_discrete_free(m->p1_alias);
    sd_free(m);
}

size_t sd_ngram_bigram(const sd_ngram *m, size_t u, size_t v)
{
    size_t lo, hi;
    if (u >= m->V)
        return SIZE_MAX;
    lo = m->b_off[u];
    hi = m->b_off[u + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->b_word[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->b_off[u + 1] && m->b_word[lo] == v ? lo : SIZE_MAX;
}

size_t sd_ngram_id(const sd_ngram *m, const char *word)
{
    size_t i;
    for (i = 0; i < m->V; i++)
        if (strcmp(m->words[i], word) == 0)
            return i;
    return SIZE_MAX;
}

/* ---- the trie binary ---------------------------------------------------- */

typedef struct {
    const unsigned char *buf;
    size_t len;
    uint32_t V, B, T;                /* header counts */
    const unsigned char *qmp, *qmb, *qlp; /* quantiser tables */
    const unsigned char *uni;        /* unigram records */
    const unsigned char *mid, *lon;  /* packed records */
    uint8_t wbits, nbits;            /* word bits, next-pointer bits */
    uint32_t wmask, nmask;
    uint64_t mtot, ltot;             /* bits per bigram / trigram record */
    const unsigned char *wstr;
    uint32_t wlen;
} trie_view;

static sd_status trie_layout(trie_view *t, const char *path, sd_error *err)
{
    const unsigned char *b = t->buf;
    bitarr_mask_t nm;
    uint64_t off, msize, lsize;
    int32_t k;
    if (t->len < MAGIC_LEN + 1 + 12)
        return sd_error_set(err, SD_EFORMAT, "%s: truncated header", path);
    if (b[MAGIC_LEN] != 3)
        return sd_error_set(err, SD_ERANGE, "%s: an order-%u model; only trigram models "
                            "(order 3) are supported", path, (unsigned)b[MAGIC_LEN]);
    t->V = le32(b + 20);
    t->B = le32(b + 24);
    t->T = le32(b + 28);
    if (t->V < 2 || t->V >= (1u << 25) || t->B >= (1u << 25) || t->T >= (1u << 25))
        return sd_error_set(err, SD_EFORMAT, "%s: implausible n-gram counts %u, %u, %u", path,
                            t->V, t->B, t->T);
    off = 32 + 4;
    t->qmp = b + off;
    t->qmb = b + off + 4 * (uint64_t)QBINS;
    t->qlp = b + off + 8 * (uint64_t)QBINS;
    off += 12 * (uint64_t)QBINS;
    t->uni = b + off;
    off += 12 * ((uint64_t)t->V + 1);
    t->wbits = bitarr_required_bits(t->V);
    t->wmask = (t->wbits >= 32) ? 0xffffffffu : ((1u << t->wbits) - 1u);
    bitarr_mask_from_max(&nm, t->T);
    t->nbits = nm.bits;
    t->nmask = nm.mask;
    t->mtot = (uint64_t)t->wbits + 32 + t->nbits;
    t->ltot = (uint64_t)t->wbits + 16;
    if ((1 + (uint64_t)t->B) * t->mtot + 64 >= ((uint64_t)1 << 32) ||
        (1 + (uint64_t)t->T) * t->ltot + 64 >= ((uint64_t)1 << 32))
        return sd_error_set(err, SD_ERANGE, "%s: too many n-grams for 32-bit bit offsets", path);
    msize = ((1 + (uint64_t)t->B) * t->mtot + 7) / 8 + 8;
    lsize = ((1 + (uint64_t)t->T) * t->ltot + 7) / 8 + 8;
    t->mid = b + off;
    off += msize;
    t->lon = b + off;
    off += lsize;
    if (t->len < off + 4)
        return sd_error_set(err, SD_EFORMAT, "%s: truncated (%zu bytes, the tables need %llu)",
                            path, t->len, (unsigned long long)(off + 4));
    k = (int32_t)le32(b + off);
    if (k <= 0 || (uint64_t)t->len != off + 4 + (uint64_t)k)
        return sd_error_set(err, SD_EFORMAT, "%s: size %zu does not match its tables "
                            "(expected %llu bytes)", path, t->len,
                            (unsigned long long)(off + 4 + (uint64_t)(k > 0 ? k : 0)));
    t->wstr = b + off + 4;
    t->wlen = (uint32_t)k;
    return SD_OK;
}

static sd_status read_words(sd_ngram *m, const trie_view *t, const char *path, sd_error *err)
{
    uint32_t i, n = 0;
    size_t w = 0;
    if (t->wstr[t->wlen - 1] != '\0')
        return sd_error_set(err, SD_EFORMAT, "%s: word list not terminated", path);
    for (i = 0; i < t->wlen; i++)
        n += t->wstr[i] == '\0';
    if (n != t->V)
        return sd_error_set(err, SD_EFORMAT, "%s: %u word strings for %u unigrams", path, n,
                            t->V);
    m->wordbuf = sd_malloc(t->wlen, 1);
    m->words = sd_malloc(t->V, sizeof *m->words);
    if (!m->wordbuf || !m->words)
        return sd_error_set(err, SD_ENOMEM, "out of memory (word list)");
    memcpy(m->wordbuf, t->wstr, t->wlen);
    m->bos = m->eos = SIZE_MAX;
    for (i = 0; i < t->V; i++) {
        m->words[i] = m->wordbuf + w;
        if (strcmp(m->words[i], "<s>") == 0)
            m->bos = i;
        else if (strcmp(m->words[i], "</s>") == 0)
            m->eos = i;
        w += strlen(m->words[i]) + 1;
    }
    return SD_OK;
}

static sd_status read_unigrams(sd_ngram *m, const trie_view *t, uint32_t *unext,
                               const char *path, sd_error *err)
{
    size_t V = t->V, i;
    m->V = V;
    m->p1 = sd_malloc(V, sizeof(double));
    m->bo1 = sd_malloc(V, sizeof(double));
    m->lp1 = sd_malloc(V, sizeof(float));
    m->lbo1 = sd_malloc(V, sizeof(float));
    if (!m->p1 || !m->bo1 || !m->lp1 || !m->lbo1)
        return sd_error_set(err, SD_ENOMEM, "out of memory (unigrams)");
    for (i = 0; i <= V; i++) {
        const unsigned char *r = t->uni + 12 * i;
        unext[i] = le32(r + 8);
        if (i > 0 && unext[i] < unext[i - 1])
            return sd_error_set(err, SD_EFORMAT, "%s: unigram %zu: bigram pointers decrease",
                                path, i);
        if (i == V)
            break;
        m->lp1[i] = lef(r);
        m->lbo1[i] = lef(r + 4);
        if (!isfinite(m->lp1[i]) || !isfinite(m->lbo1[i]) || m->lp1[i] > 0.0f)
            return sd_error_set(err, SD_EFORMAT, "%s: unigram %zu (%s): bad log probability "
                                "%g or back-off %g", path, i, m->words[i], (double)m->lp1[i],
                                (double)m->lbo1[i]);
        m->p1[i] = lin(m->lp1[i]);
        m->bo1[i] = lin(m->lbo1[i]);
    }
    if (unext[V] > t->B)
        return sd_error_set(err, SD_EFORMAT, "%s: %u bigrams in the trie, header says %u", path,
                            unext[V], t->B);
    if (m->bos != SIZE_MAX)
        m->p1[m->bos] = 0.0;
    return SD_OK;
}

/* The first list of a CSR table that is not strictly increasing (a word
 * listed twice), or SIZE_MAX. */
static size_t csr_unsorted(const uint32_t *off, size_t nlists, const uint32_t *word)
{
    size_t c, i;
    for (c = 0; c < nlists; c++)
        for (i = (size_t)off[c] + 1; i < off[c + 1]; i++)
            if (word[i] <= word[i - 1])
                return c;
    return SIZE_MAX;
}

static float qval(const unsigned char *table, uint32_t code)
{
    return lef(table + 4 * (size_t)code);
}

/* The bigram successor lists (CSR by history v), from the trie's bigram
 * records grouped by predicted word w.  tpos[ptr] = the CSR position of
 * trie record ptr. */
static sd_status read_bigrams(sd_ngram *m, const trie_view *t, const uint32_t *unext,
                              uint32_t *tpos, uint32_t *tnext, const char *path, sd_error *err)
{
    size_t V = m->V, nb = unext[V], w, ptr;
    uint32_t *cur;
    m->nb = nb;
    m->b_off = sd_calloc(V + 1, sizeof(uint32_t));
    m->b_word = sd_malloc(nb ? nb : 1, sizeof(uint32_t));
    m->b_prob = sd_malloc(nb ? nb : 1, sizeof(double));
    m->b_bo = sd_malloc(nb ? nb : 1, sizeof(double));
    m->b_lprob = sd_malloc(nb ? nb : 1, sizeof(float));
    m->b_lbo = sd_malloc(nb ? nb : 1, sizeof(float));
    cur = sd_malloc(V + 1, sizeof(uint32_t));
    if (!m->b_off || !m->b_word || !m->b_prob || !m->b_bo || !m->b_lprob || !m->b_lbo || !cur) {
        sd_free(cur);
        return sd_error_set(err, SD_ENOMEM, "out of memory (%zu bigrams)", nb);
    }
    for (ptr = 0; ptr <= nb; ptr++) {
        uint64_t o = ptr * t->mtot;
        tnext[ptr] = bits_at(t->mid, o + t->wbits + 32, t->nbits, t->nmask);
        if (ptr > 0 && tnext[ptr] < tnext[ptr - 1]) {
            sd_free(cur);
            return sd_error_set(err, SD_EFORMAT, "%s: bigram record %zu: trigram pointers "
                                "decrease", path, ptr);
        }
        if (ptr == nb)
            break;
        {
            uint32_t v = bits_at(t->mid, o, t->wbits, t->wmask);
            if (v >= V) {
                sd_free(cur);
                return sd_error_set(err, SD_EFORMAT, "%s: bigram record %zu: word %u >= V",
                                    path, ptr, v);
            }
            m->b_off[v + 1]++;
        }
    }
    if (tnext[nb] > t->T) {
        sd_free(cur);
        return sd_error_set(err, SD_EFORMAT, "%s: %u trigrams in the trie, header says %u", path,
                            tnext[nb], t->T);
    }
    for (w = 0; w < V; w++)
        m->b_off[w + 1] += m->b_off[w];
    memcpy(cur, m->b_off, (V + 1) * sizeof(uint32_t));
    for (w = 0; w < V; w++) {
        for (ptr = unext[w]; ptr < unext[w + 1]; ptr++) {
            uint64_t o = ptr * t->mtot;
            uint32_t v = bits_at(t->mid, o, t->wbits, t->wmask);
            uint32_t bc = bits_at(t->mid, o + t->wbits, 16, 0xffffu);
            uint32_t pc = bits_at(t->mid, o + t->wbits + 16, 16, 0xffffu);
            uint32_t pos = cur[v]++;
            m->b_word[pos] = (uint32_t)w;
            m->b_lprob[pos] = qval(t->qmp, pc);
            m->b_lbo[pos] = qval(t->qmb, bc);
            if (!isfinite(m->b_lprob[pos]) || !isfinite(m->b_lbo[pos]) ||
                m->b_lprob[pos] > 0.0f) {
                sd_free(cur);
                return sd_error_set(err, SD_EFORMAT, "%s: bigram %s %s: bad log probability",
                                    path, m->words[v], m->words[w]);
            }
            m->b_prob[pos] = (w == m->bos) ? 0.0 : lin(m->b_lprob[pos]);
            m->b_bo[pos] = lin(m->b_lbo[pos]);
            tpos[ptr] = pos;
        }
    }
    sd_free(cur);
    return SD_OK;
}

/* The trigram successor lists (CSR by the bigram position of "u v"). */
static sd_status read_trigrams(sd_ngram *m, const trie_view *t, const uint32_t *unext,
                               const uint32_t *tpos, const uint32_t *tnext, const char *path,
                               sd_error *err)
{
    size_t V = m->V, nb = m->nb, nt = tnext[nb], w, ptr, j, c;
    uint32_t *ctx, *cur;
    m->nt = nt;
    m->t_off = sd_calloc(nb + 1, sizeof(uint32_t));
    m->t_word = sd_malloc(nt ? nt : 1, sizeof(uint32_t));
    m->t_prob = sd_malloc(nt ? nt : 1, sizeof(double));
    m->t_lprob = sd_malloc(nt ? nt : 1, sizeof(float));
    ctx = sd_malloc(nt ? nt : 1, sizeof(uint32_t));
    cur = sd_malloc(nb + 1, sizeof(uint32_t));
    if (!m->t_off || !m->t_word || !m->t_prob || !m->t_lprob || !ctx || !cur) {
        sd_free(ctx);
        sd_free(cur);
        return sd_error_set(err, SD_ENOMEM, "out of memory (%zu trigrams)", nt);
    }
    /* trie record ptr (word v under w) is bigram "v w"; its children u
     * are the trigrams "u v w", whose context is the bigram "u v" */
    for (ptr = 0; ptr < nb; ptr++) {
        uint32_t v = bits_at(t->mid, ptr * t->mtot, t->wbits, t->wmask);
        for (j = tnext[ptr]; j < tnext[ptr + 1]; j++) {
            uint32_t u = bits_at(t->lon, j * t->ltot, t->wbits, t->wmask);
            if (u >= V) {
                sd_free(ctx);
                sd_free(cur);
                return sd_error_set(err, SD_EFORMAT, "%s: trigram record %zu: word %u >= V",
                                    path, j, u);
            }
            c = sd_ngram_bigram(m, u, v);
            if (c == SIZE_MAX) {
                sd_free(ctx);
                sd_free(cur);
                return sd_error_set(err, SD_EFORMAT, "%s: trigram %s %s %s without the bigram "
                                    "%s %s", path, m->words[u], m->words[v],
                                    m->words[m->b_word[tpos[ptr]]], m->words[u], m->words[v]);
            }
            ctx[j] = (uint32_t)c;
            m->t_off[c + 1]++;
        }
    }
    for (c = 0; c < nb; c++)
        m->t_off[c + 1] += m->t_off[c];
    memcpy(cur, m->t_off, (nb + 1) * sizeof(uint32_t));
    /* visiting records by predicted word w keeps each list sorted */
    for (w = 0; w < V; w++)
        for (ptr = unext[w]; ptr < unext[w + 1]; ptr++)
            for (j = tnext[ptr]; j < tnext[ptr + 1]; j++) {
                uint32_t pc = bits_at(t->lon, j * t->ltot + t->wbits, 16, 0xffffu);
                uint32_t pos = cur[ctx[j]]++;
                m->t_word[pos] = (uint32_t)w;
                m->t_lprob[pos] = qval(t->qlp, pc);
                if (!isfinite(m->t_lprob[pos]) || m->t_lprob[pos] > 0.0f) {
                    sd_free(ctx);
                    sd_free(cur);
                    return sd_error_set(err, SD_EFORMAT, "%s: trigram record %zu: bad log "
                                        "probability", path, j);
                }
                m->t_prob[pos] = (w == m->bos) ? 0.0 : lin(m->t_lprob[pos]);
            }
    sd_free(ctx);
    sd_free(cur);
    if ((c = csr_unsorted(m->b_off, V, m->b_word)) != SIZE_MAX)
        return sd_error_set(err, SD_EFORMAT, "%s: a bigram listed twice after %s", path,
                            m->words[c]);
    if ((c = csr_unsorted(m->t_off, nb, m->t_word)) != SIZE_MAX)
        return sd_error_set(err, SD_EFORMAT, "%s: a trigram listed twice", path);
    return SD_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Keep the limit (< V) most probable words (ties at the boundary: the
 * lowest ids) and </s>: every other word's probability becomes 0
 * everywhere. */
static sd_status restrict_vocab(sd_ngram *m, size_t limit, sd_error *err)
{
    double *sorted = sd_malloc(m->V, sizeof *sorted), thr;
    unsigned char *keep = sd_calloc(m->V, 1);
    size_t i, ties = limit;
    if (!sorted || !keep) {
        sd_free(sorted);
        sd_free(keep);
        return sd_error_set(err, SD_ENOMEM, "out of memory (vocabulary limit)");
    }
    memcpy(sorted, m->p1, m->V * sizeof *sorted);
    qsort(sorted, m->V, sizeof *sorted, cmp_double);
    thr = sorted[m->V - limit]; /* the limit-th largest */
    sd_free(sorted);
    for (i = 0; i < m->V; i++)
        if (m->p1[i] > thr)
            ties--;
    for (i = 0; i < m->V; i++)
        if (m->p1[i] > thr || (m->p1[i] == thr && ties > 0 && ties--))
            keep[i] = 1;
    if (m->eos != SIZE_MAX)
        keep[m->eos] = 1;
    for (i = 0; i < m->V; i++)
        if (!keep[i])
            m->p1[i] = 0.0;
    for (i = 0; i < m->nb; i++)
        if (!keep[m->b_word[i]])
            m->b_prob[i] = 0.0;
    for (i = 0; i < m->nt; i++)
        if (!keep[m->t_word[i]])
            m->t_prob[i] = 0.0;
    sd_free(keep);
    return SD_OK;
}

static sd_status unigram_tables(sd_ngram *m, sd_error *err)
{
    size_t i, V = m->V;
    double s = 0.0, c = 0.0;
    for (i = 0; i < V; i++) { /* Neumaier summation */
        double t = s + m->p1[i];
        c += fabs(s) >= fabs(m->p1[i]) ? (s - t) + m->p1[i] : (m->p1[i] - t) + s;
        s = t;
    }
    m->p1_sum = s + c;
    if (!(m->p1_sum > 0.0))
        return sd_error_set(err, SD_EFORMAT, "the unigram probabilities sum to 0");
    m->p1_sorted = sd_malloc(V, sizeof(double));
    m->p1_cum = sd_malloc(V + 1, sizeof(double));
    if (!m->p1_sorted || !m->p1_cum)
        return sd_error_set(err, SD_ENOMEM, "out of memory (unigram tables)");
    memcpy(m->p1_sorted, m->p1, V * sizeof(double));
    qsort(m->p1_sorted, V, sizeof(double), cmp_double);
    m->p1_cum[0] = 0.0;
    for (i = 0; i < V; i++)
        m->p1_cum[i + 1] = m->p1_cum[i] + m->p1_sorted[i];
    sd_gsl_quiet();
    m->p1_alias = gsl_ran_discrete_preproc(V, m->p1);
    if (!m->p1_alias)
        return sd_error_set(err, SD_ENOMEM, "out of memory (unigram alias table)");
    return SD_OK;
}

static sd_status parse_trie(sd_ngram *m, const unsigned char *buf, size_t len, const char *path,
                            size_t vocab_limit, sd_error *err)
{
    trie_view t;
    uint32_t *unext = NULL, *tpos = NULL, *tnext = NULL;
    sd_status st;
    memset(&t, 0, sizeof t);
    t.buf = buf;
    t.len = len;
    if ((st = trie_layout(&t, path, err)) != SD_OK || (st = read_words(m, &t, path, err)) != SD_OK)
        return st;
    unext = sd_malloc((size_t)t.V + 1, sizeof(uint32_t));
    tpos = sd_malloc((size_t)t.B + 1, sizeof(uint32_t));
    tnext = sd_malloc((size_t)t.B + 1, sizeof(uint32_t));
    if (!unext || !tpos || !tnext)
        st = sd_error_set(err, SD_ENOMEM, "out of memory (trie pointers)");
    else if ((st = read_unigrams(m, &t, unext, path, err)) == SD_OK &&
             (st = read_bigrams(m, &t, unext, tpos, tnext, path, err)) == SD_OK &&
             (st = read_trigrams(m, &t, unext, tpos, tnext, path, err)) == SD_OK &&
             (vocab_limit == 0 || vocab_limit >= m->V ||
              (st = restrict_vocab(m, vocab_limit, err)) == SD_OK))
        st = unigram_tables(m, err);
    sd_free(unext);
    sd_free(tpos);
    sd_free(tnext);
    return st;
}

/* Ask sphinxbase to read a model in any format it knows and write it in
 * its trie binary format to a temporary file; *out = that file's bytes. */
static sd_status convert_with_sphinxbase(const char *path, unsigned char **out, size_t *len,
                                         sd_error *err)
{
    logmath_t *lm;
    ngram_model_t *nm;
    char tmp[4096];
    const char *dir = getenv("TMPDIR");
    int fd, order;
    sd_status st;
    *out = NULL;
    err_set_logfp(NULL);
    lm = logmath_init(SD_NGRAM_LOGBASE, 0, 0);
    if (!lm)
        return sd_error_set(err, SD_ENOMEM, "out of memory (sphinxbase logmath)");
    nm = ngram_model_read(NULL, path, NGRAM_AUTO, lm);
    logmath_free(lm);
    if (!nm)
        return sd_error_set(err, SD_EFORMAT, "%s: not a language model (neither sphinxbase's "
                            "trie binary nor a file sphinxbase can read: ARPA text, DMP)", path);
    order = ngram_model_get_size(nm);
    if (order != 3) {
        ngram_model_free(nm);
        return sd_error_set(err, SD_ERANGE, "%s: an order-%d model; only trigram models "
                            "(order 3) are supported", path, order);
    }
    snprintf(tmp, sizeof tmp, "%s/specdec-ngram-XXXXXX", dir && *dir ? dir : "/tmp");
    fd = mkstemp(tmp);
    if (fd < 0) {
        ngram_model_free(nm);
        return sd_error_set(err, SD_EIO, "cannot create a temporary file in %s",
                            dir && *dir ? dir : "/tmp");
    }
    close(fd);
    if (ngram_model_write(nm, tmp, NGRAM_BIN) != 0)
        st = sd_error_set(err, SD_EIO, "%s: sphinxbase could not convert it (writing %s)", path,
                          tmp);
    else
        st = read_file(tmp, out, len, err);
    unlink(tmp);
    ngram_model_free(nm);
    return st;
}

sd_status sd_ngram_load(const char *path, size_t vocab_limit, sd_ngram **out, sd_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    sd_ngram *m;
    sd_status st;
    *out = NULL;
    if ((st = read_file(path, &buf, &len, err)) != SD_OK)
        return st;
    if (len < MAGIC_LEN || memcmp(buf, trie_magic, MAGIC_LEN) != 0) {
        sd_free(buf);
        if ((st = convert_with_sphinxbase(path, &buf, &len, err)) != SD_OK)
            return st;
        if (len < MAGIC_LEN || memcmp(buf, trie_magic, MAGIC_LEN) != 0) {
            sd_free(buf);
            return sd_error_set(err, SD_EINTERNAL, "%s: sphinxbase's conversion gave no trie "
                                "binary", path);
        }
    }
    m = sd_calloc(1, sizeof *m);
    if (!m) {
        sd_free(buf);
        return sd_error_set(err, SD_ENOMEM, "out of memory (model)");
    }
    st = parse_trie(m, buf, len, path, vocab_limit, err);
    sd_free(buf);
    if (st != SD_OK) {
        sd_ngram_free(m);
        return st;
    }
    *out = m;
    return SD_OK;
}

/* ---- rows ----------------------------------------------------------------- */

/* A word list of V entries and nval values for rows and pairs. */
static sd_status words_alloc(const sd_ngram *m, uint32_t **w, double **val, size_t nval,
                             const char *what, sd_error *err)
{
    *w = sd_malloc(m->V, sizeof **w);
    *val = sd_malloc(nval, sizeof **val);
    if (*w && *val)
        return SD_OK;
    sd_free(*w);
    sd_free(*val);
    *w = NULL;
    *val = NULL;
    return sd_error_set(err, SD_ENOMEM, "out of memory (%s of %zu words)", what, m->V);
}

sd_status sd_ngram_row_alloc(const sd_ngram *m, sd_ngram_row *r, sd_error *err)
{
    sd_status st;
    memset(r, 0, sizeof *r);
    if ((st = words_alloc(m, &r->w, &r->val, m->V, "row", err)) == SD_OK)
        r->cap = m->V;
    return st;
}

void sd_ngram_row_free(sd_ngram_row *r)
{
    sd_free(r->w);
    sd_free(r->val);
    memset(r, 0, sizeof *r);
}

static void row_push(const sd_ngram *m, sd_ngram_row *r, uint32_t w, double val, double *sum)
{
    r->w[r->n] = w;
    r->val[r->n] = val;
    r->n++;
    r->p1_listed += m->p1[w];
    *sum += val;
}

sd_status sd_ngram_row_build(const sd_ngram *m, int order, const uint32_t *hist, size_t nhist,
                             sd_ngram_row *r, sd_error *err)
{
    double sum = 0.0;
    size_t i;
    if (order < 1 || order > 3)
        return sd_error_set(err, SD_EINVAL, "n-gram order %d is not 1, 2 or 3", order);
    for (i = 0; i < nhist; i++)
        if (hist[i] >= m->V)
            return sd_error_set(err, SD_EINVAL, "history word %u >= V = %zu", hist[i], m->V);
    if ((size_t)order > nhist + 1)
        order = (int)nhist + 1;
    r->order = order;
    r->n = 0;
    r->p1_listed = 0.0;
    if (order == 1) {
        r->a = 1.0;
    } else if (order == 2) {
        uint32_t v = hist[nhist - 1];
        r->a = m->bo1[v];
        for (i = m->b_off[v]; i < m->b_off[v + 1]; i++)
            row_push(m, r, m->b_word[i], m->b_prob[i], &sum);
    } else {
        uint32_t u = hist[nhist - 2], v = hist[nhist - 1];
        size_t c = sd_ngram_bigram(m, u, v);
        double bo2 = c == SIZE_MAX ? 1.0 : m->b_bo[c];
        size_t bi = m->b_off[v], be = m->b_off[v + 1];
        size_t ti = c == SIZE_MAX ? 0 : m->t_off[c], te = c == SIZE_MAX ? 0 : m->t_off[c + 1];
        r->a = bo2 * m->bo1[v];
        while (bi < be || ti < te) {
            if (ti < te && (bi >= be || m->t_word[ti] <= m->b_word[bi])) {
                if (bi < be && m->b_word[bi] == m->t_word[ti])
                    bi++;
                row_push(m, r, m->t_word[ti], m->t_prob[ti], &sum);
                ti++;
            } else {
                row_push(m, r, m->b_word[bi], bo2 * m->b_prob[bi], &sum);
                bi++;
            }
        }
    }
    r->z = r->a * (m->p1_sum - r->p1_listed) + sum;
    if (!(r->z > 0.0))
        return sd_error_set(err, SD_EINVAL, "the row after this history has no mass");
    return SD_OK;
}

static size_t find_word(const uint32_t *w, size_t n, size_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && w[lo] == x ? lo : SIZE_MAX;
}

double sd_ngram_row_prob(const sd_ngram *m, const sd_ngram_row *r, size_t w)
{
    size_t i = find_word(r->w, r->n, w);
    return (i == SIZE_MAX ? r->a * m->p1[w] : r->val[i]) / r->z;
}

void sd_ngram_row_dense(const sd_ngram *m, const sd_ngram_row *r, double *restrict out)
{
    const double s = r->a / r->z, iz = 1.0 / r->z;
    const double *restrict p1 = m->p1;
    size_t i, V = m->V;
    for (i = 0; i < V; i++)
        out[i] = s * p1[i];
    for (i = 0; i < r->n; i++)
        out[r->w[i]] = r->val[i] * iz;
}

/* ---- pairs ---------------------------------------------------------------- */

sd_status sd_ngram_pair_alloc(const sd_ngram *m, sd_ngram_pair *pr, sd_error *err)
{
    sd_status st;
    memset(pr, 0, sizeof *pr);
    if ((st = words_alloc(m, &pr->w, &pr->p, 2 * (m->V + 1), "row pair", err)) == SD_OK) {
        pr->q = pr->p + m->V + 1;
        pr->cap = m->V;
    }
    return st;
}

void sd_ngram_pair_free(sd_ngram_pair *pr)
{
    sd_free(pr->w);
    sd_free(pr->p); /* q lives in the same block */
    memset(pr, 0, sizeof *pr);
}

void sd_ngram_compare(const sd_ngram *m, const sd_ngram_row *p, const sd_ngram_row *q,
                      sd_ngram_pair *pr)
{
    size_t i = 0, j = 0, n = 0;
    double izp = 1.0 / p->z, izq = 1.0 / q->z, p1u = 0.0, tv = 0.0;
    pr->sp = p->a * izp;
    pr->sq = q->a * izq;
    while (i < p->n || j < q->n) {
        uint32_t w;
        double P, Q;
        if (j >= q->n || (i < p->n && p->w[i] < q->w[j])) {
            w = p->w[i];
            P = p->val[i++] * izp;
            Q = pr->sq * m->p1[w];
        } else if (i >= p->n || q->w[j] < p->w[i]) {
            w = q->w[j];
            P = pr->sp * m->p1[w];
            Q = q->val[j++] * izq;
        } else {
            w = p->w[i];
            P = p->val[i++] * izp;
            Q = q->val[j++] * izq;
        }
        pr->w[n] = w;
        pr->p[n] = P;
        pr->q[n] = Q;
        n++;
        p1u += m->p1[w];
        if (Q > P)
            tv += Q - P;
    }
    pr->n = n;
    pr->p1_rest = fmax(m->p1_sum - p1u, 0.0);
    pr->p[n] = pr->sp * pr->p1_rest;
    pr->q[n] = pr->sq * pr->p1_rest;
    if (pr->q[n] > pr->p[n])
        tv += pr->q[n] - pr->p[n];
    pr->tv = tv;
}

size_t sd_ngram_pair_index(const sd_ngram_pair *pr, size_t w)
{
    size_t i = find_word(pr->w, pr->n, w);
    return i == SIZE_MAX ? pr->n : i;
}

void sd_ngram_pair_word(const sd_ngram *m, const sd_ngram_pair *pr, size_t w, double *p,
                        double *q)
{
    size_t i = find_word(pr->w, pr->n, w);
    if (i == SIZE_MAX) {
        *p = pr->sp * m->p1[w];
        *q = pr->sq * m->p1[w];
    } else {
        *p = pr->p[i];
        *q = pr->q[i];
    }
}

/* Over all words: mass of p1 at or below thr, and count and mass above. */
static void p1_split(const sd_ngram *m, double thr, double *le, double *cnt_gt, double *gt)
{
    size_t lo = 0, hi = m->V;
    while (lo < hi) { /* first index with p1_sorted > thr */
        size_t mid = lo + (hi - lo) / 2;
        if (m->p1_sorted[mid] <= thr)
            lo = mid + 1;
        else
            hi = mid;
    }
    *le = m->p1_cum[lo];
    *gt = m->p1_cum[m->V] - m->p1_cum[lo];
    *cnt_gt = (double)(m->V - lo);
}

void sd_ngram_overaccept(const sd_ngram *m, const sd_ngram_pair *pr, double eps, double *rej,
                         double *loss_opt, double *loss_uno)
{
    double acc = 0.0, lopt = 0.0, uno = 0.0, le, gt, cgt;
    const double sp = pr->sp, sq = pr->sq;
    const int split = sp > sq;
    const double thr = split ? eps / (sp - sq) : INFINITY;
    size_t i;
    /* the rest block: over all words, minus the union words */
    if (split) {
        p1_split(m, thr, &le, &cgt, &gt);
        for (i = 0; i < pr->n; i++) {
            double x = m->p1[pr->w[i]];
            if (x <= thr)
                le -= x;
            else {
                gt -= x;
                cgt -= 1.0;
            }
        }
        le = fmax(le, 0.0);
        gt = fmax(gt, 0.0);
        acc = sp * le + sq * gt + eps * cgt;
        lopt = (sp - sq) * le + eps * cgt;
    } else {
        le = pr->p1_rest;
        gt = cgt = 0.0;
        acc = sp * le;
    }
    for (i = 0; i < pr->n; i++) {
        acc += fmin(pr->p[i], pr->q[i] + eps);
        lopt += fmin(fmax(pr->p[i] - pr->q[i], 0.0), eps);
    }
    for (i = 0; i < pr->n; i++)
        uno += fabs(fmin(pr->p[i], pr->q[i] + eps) - acc * pr->q[i]);
    uno += fabs(sp - acc * sq) * le + ((1.0 - acc) * sq * gt + eps * cgt);
    *rej = fmax(1.0 - acc, 0.0);
    *loss_opt = lopt;
    *loss_uno = 0.5 * uno;
}

/* (P(y) - Q(y)) [a - b / (1 - P(y))]_+ for a word y with P(y) > Q(y): its
 * term of the k = 2 sum (a when y holds the whole draft mass: then no
 * second draft, the residual r_2 is emitted). */
static double wor2_term(double py, double qy, double a, double b)
{
    double rem = 1.0 - py;
    return (py - qy) * (rem > 0.0 ? fmax(a - b / rem, 0.0) : a);
}

double sd_ngram_wor2_reject(const sd_ngram *m, const sd_ngram_pair *pr, size_t x)
{
    double px, qx, a, b, sum = 0.0;
    const double sp = pr->sp, sq = pr->sq;
    size_t i;
    sd_ngram_pair_word(m, pr, x, &px, &qx);
    if (!(pr->tv > 0.0) || !(qx > px))
        return 0.0; /* x is never emitted from the residual */
    a = (qx - px) / pr->tv; /* r_2(x) */
    b = px;
    /* only words with P > Q are rejected first, and x is not one of them */
    for (i = 0; i < pr->n; i++)
        if (pr->p[i] > pr->q[i])
            sum += wor2_term(pr->p[i], pr->q[i], a, b);
    if (sp > sq) { /* the rest: every word, ascending p1, minus the union */
        const double cut = 1.0 - b / a; /* terms vanish once P(y) >= cut */
        for (i = 0; i < m->V && sp * m->p1_sorted[i] < cut; i++)
            sum += wor2_term(sp * m->p1_sorted[i], sq * m->p1_sorted[i], a, b);
        for (i = 0; i < pr->n; i++)
            if (sp * m->p1[pr->w[i]] < cut)
                sum -= wor2_term(sp * m->p1[pr->w[i]], sq * m->p1[pr->w[i]], a, b);
    }
    return fmin(fmax(sum, 0.0) / qx, 1.0);
}

size_t sd_ngram_pair_draw(const sd_ngram *m, const sd_ngram_pair *pr, const double *lw,
                          gsl_rng *r)
{
    size_t i, n = pr->n, last = SIZE_MAX, tries;
    double tot = 0.0, u, c = 0.0;
    for (i = 0; i <= n; i++)
        tot += lw[i];
    u = gsl_rng_uniform(r) * tot;
    for (i = 0; i < n; i++) {
        if (lw[i] > 0.0) {
            last = i;
            c += lw[i];
            if (u < c)
                return pr->w[i];
        }
    }
    if (!(lw[n] > 0.0) || !(pr->p1_rest > 0.0))
        return last == SIZE_MAX ? (pr->n ? pr->w[0] : 0) : pr->w[last];
    for (tries = 0; tries < 64; tries++) {
        size_t w = gsl_ran_discrete(r, m->p1_alias);
        if (m->p1[w] > 0.0 && find_word(pr->w, n, w) == SIZE_MAX)
            return w;
    }
    { /* the rest holds little unigram mass: scan it */
        size_t j = 0, w, lastw = SIZE_MAX;
        double v = gsl_rng_uniform(r) * pr->p1_rest, cc = 0.0;
        for (w = 0; w < m->V; w++) {
            if (j < n && pr->w[j] == w) {
                j++;
                continue;
            }
            if (m->p1[w] > 0.0) {
                lastw = w;
                cc += m->p1[w];
                if (v < cc)
                    return w;
            }
        }
        return lastw;
    }
}
