/* ngram.h - a back-off trigram language model as a draft/target pair
 * (doc/theory.md, "A real language-model pair").
 *
 * The model is read once into the toolkit's own tables: dense unigram
 * probabilities p1 and back-off weights bo1, and sparse successor lists
 * (sorted by word) of every listed bigram (with its probability p2 and
 * back-off weight bo2) and of every listed trigram context (with p3).
 * ARPA back-off semantics give the next-word law of order n:
 *   P3(w | u v) = p3(u v w) if listed, else bo2(u v) P2(w | v)
 *   P2(w | v)   = p2(v w)   if listed, else bo1(v) p1(w)
 *   P1(w)       = p1(w),
 * renormalised per context (back-off rows do not sum exactly to 1).
 * A row is therefore a multiple a p1 of the unigram law except on the
 * listed successors of its context: it is stored as (a, listed words
 * with values, normaliser), built in O(listed) and expanded to a dense
 * row in O(V).  Two such rows differ from multiples of p1 only on the
 * union of their listed words, so TV, residuals, the sorted prefix of
 * alpha*_k (otbound.h, on the compressed pair) and the over-acceptance
 * sums need only that union plus one block for the rest (the
 * "compressed pair").
 *
 * `<s>` is the start context and is never emitted: its probability is 0
 * in every row.  The target is the trigram model, the drafts are the
 * bigram and unigram models of the same file.
 *
 * Files: the trie binary format that CMU Sphinx's sphinxbase writes
 * (e.g. pocketsphinx's en-us.lm.bin; log probabilities in base
 * SD_NGRAM_LOGBASE, n-gram probabilities and back-off weights quantised
 * to 65536 levels) is read directly, its packed bit fields decoded with
 * sphinxbase's bitarr functions.  Any other file (ARPA text, DMP) is
 * read by sphinxbase's ngram_model_read and converted by it to that
 * binary format first.  This module exists only when configure found
 * libsphinxbase (HAVE_SPHINXBASE).
 */
#ifndef SD_NGRAM_H
#define SD_NGRAM_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "error.h"

/* The logarithm base of sphinxbase's language-model files (its
 * -logbase default, with which its tools write binary models). */
#define SD_NGRAM_LOGBASE 1.0001

/* The loaded model.  Word ids are the file's unigram order. */
typedef struct {
    size_t V;              /* vocabulary size */
    size_t bos, eos;       /* ids of <s> and </s> (SIZE_MAX if absent) */
    char **words;          /* [V] word strings (into wordbuf) */
    char *wordbuf;
    double *p1, *bo1;      /* [V] unigram probability (0 for <s>) and back-off weight */
    float *lp1, *lbo1;     /* [V] the same as stored: log base SD_NGRAM_LOGBASE */
    double p1_sum;         /* sum of p1 (compensated) */
    /* bigrams "v w": the successors of v are positions b_off[v] .. b_off[v+1]-1 */
    size_t nb;
    uint32_t *b_off;       /* [V+1] */
    uint32_t *b_word;      /* [nb] w, increasing within each v */
    double *b_prob, *b_bo; /* [nb] p2(v w) and bo2(v w) */
    float *b_lprob, *b_lbo;/* [nb] as stored (log) */
    /* trigrams "u v w": context c = the bigram position of "u v";
     * successors t_off[c] .. t_off[c+1]-1 */
    size_t nt;
    uint32_t *t_off;       /* [nb+1] */
    uint32_t *t_word;      /* [nt] w, increasing within each context */
    double *t_prob;        /* [nt] p3(u v w) */
    float *t_lprob;        /* [nt] as stored (log) */
    /* p1 sorted ascending with prefix sums, for the over-acceptance sums */
    double *p1_sorted;     /* [V] */
    double *p1_cum;        /* [V+1] p1_cum[i] = sum of the i smallest */
    gsl_ran_discrete_t *p1_alias; /* draws w with probability p1(w)/p1_sum */
} sd_ngram;

/* Read the model at path (trie binary, or anything sphinxbase reads: then
 * converted through a temporary file in $TMPDIR).  vocab_limit > 0
 * restricts the model to its vocab_limit most probable unigrams (and
 * </s>): every other word gets probability 0 in every row (rows are
 * renormalised); 0 keeps every word.  Errors: SD_EIO (cannot open/read: message names the file),
 * SD_EFORMAT (not a language model, truncated or inconsistent tables:
 * message names the file and what is wrong), SD_ERANGE (not a trigram
 * model, or sizes beyond the 32-bit tables), SD_ENOMEM.  On error *out
 * is NULL and nothing is leaked.  Silences sphinxbase's logging (a
 * process-wide setting of that library). */
sd_status sd_ngram_load(const char *path, size_t vocab_limit, sd_ngram **out,
                        sd_error *err);

/* Release the model (NULL is fine). */
void sd_ngram_free(sd_ngram *m);

/* The id of word (exact match) or SIZE_MAX.  O(V). */
size_t sd_ngram_id(const sd_ngram *m, const char *word);

/* The bigram position of "u v" (a trigram context id) or SIZE_MAX.
 * O(log listed). */
size_t sd_ngram_bigram(const sd_ngram *m, size_t u, size_t v);

/* A next-word row in sparse form: value(w) = val[i] for w = w[i] listed,
 * a p1(w) otherwise; probability = value / z. */
typedef struct {
    int order;          /* the n-gram order that applied (1, 2 or 3) */
    double a;           /* scale of the unigram law on unlisted words */
    size_t n;           /* listed words */
    uint32_t *w;        /* [n] increasing */
    double *val;        /* [n] unnormalised values */
    double p1_listed;   /* sum of p1 over the listed words */
    double z;           /* a (p1_sum - p1_listed) + sum val */
    size_t cap;
} sd_ngram_row;

/* Allocate a row with room for any context of m.  SD_ENOMEM. */
sd_status sd_ngram_row_alloc(const sd_ngram *m, sd_ngram_row *r, sd_error *err);
/* Release a row (safe on a zeroed row). */
void sd_ngram_row_free(sd_ngram_row *r);

/* Build the row of the model of order `order` (1, 2 or 3) after the
 * history hist[0..nhist-1] (most recent last; only the last order-1
 * words matter; with fewer, the lower order applies, so the row after
 * "<s>" alone is the bigram row of <s>).  O(listed successors).
 * SD_EINVAL for an order outside 1..3 or a word id >= V. */
sd_status sd_ngram_row_build(const sd_ngram *m, int order, const uint32_t *hist,
                             size_t nhist, sd_ngram_row *r, sd_error *err);

/* The normalised probability of w in r.  O(log n). */
double sd_ngram_row_prob(const sd_ngram *m, const sd_ngram_row *r, size_t w);

/* The dense normalised row: out[w] for w = 0..V-1.  O(V), never a
 * per-word lookup: a scaled copy of p1 and the listed overrides. */
void sd_ngram_row_dense(const sd_ngram *m, const sd_ngram_row *r, double *out);

/* Two rows compared on the union of their listed words plus one block
 * ("rest") holding every other word; on the rest both rows are
 * multiples (sp, sq) of p1, so any sum of a function homogeneous in
 * (P(x), Q(x)) over it is that function of the block totals. */
typedef struct {
    size_t n;           /* union size */
    uint32_t *w;        /* [n] union words, increasing */
    double *p, *q;      /* [n+1] normalised probabilities; [n] = the rest block's totals */
    double sp, sq;      /* P(x) = sp p1(x), Q(x) = sq p1(x) on the rest */
    double p1_rest;     /* sum of p1 over the rest */
    double tv;          /* TV(P, Q) */
    size_t cap;
} sd_ngram_pair;

sd_status sd_ngram_pair_alloc(const sd_ngram *m, sd_ngram_pair *pr, sd_error *err);
void sd_ngram_pair_free(sd_ngram_pair *pr);

/* Fill pr from the draft row p and the target row q.  O(n_p + n_q). */
void sd_ngram_compare(const sd_ngram *m, const sd_ngram_row *p, const sd_ngram_row *q,
                      sd_ngram_pair *pr);

/* The compressed index of word w in pr (its union position, or pr->n for
 * the rest block).  O(log n). */
size_t sd_ngram_pair_index(const sd_ngram_pair *pr, size_t w);

/* P(w) and Q(w) of one word. */
void sd_ngram_pair_word(const sd_ngram *m, const sd_ngram_pair *pr, size_t w, double *p,
                        double *q);

/* Over-acceptance b_eps(x) = min{1, (Q(x)+eps)/P(x)} (Yin et al. 2024,
 * Theorems 4-5) on the pair: *rej = 1 - sum min(P, Q+eps), *loss_opt =
 * sum min([P-Q]_+, eps) (resampling from the optimal law), *loss_uno =
 * TV(bP + (1-a)Q, Q) (resampling from Q).  Not homogeneous on the rest
 * block; exact there through the sorted prefix sums of p1.  O(n log V). */
void sd_ngram_overaccept(const sd_ngram *m, const sd_ngram_pair *pr, double eps, double *rej,
                         double *loss_opt, double *loss_uno);

/* RRS without replacement with k = 2 drafts (rrswor.h) at the pair's
 * context: P(both drafts rejected and word x emitted) / Q(x), the
 * probability that a round start rejects given that it emits x (0 when
 * Q(x) <= P(x)).  Removing the first rejected draft y changes the second
 * draft law to P / (1 - P(y)) off y while r_2 = [Q - P]_+ / TV does not
 * depend on y, so with a = r_2(x):
 *   P(reject both, x) = sum_{y: P(y) > Q(y)} (P(y) - Q(y)) [a - P(x) / (1 - P(y))]_+ .
 * The rest block is not one token here (a rejected rest word removes
 * itself only): its words are summed one by one in ascending p1 until
 * the terms vanish.  O(n + V).  k >= 3 would sum over ordered pairs of
 * rejected words: O(V^(k-1)) per position, out of reach at V = 72 547. */
double sd_ngram_wor2_reject(const sd_ngram *m, const sd_ngram_pair *pr, size_t x);

/* Draw a word from the compressed law lw[0..n] (not necessarily
 * normalised; lw[n] the weight of the rest block, spread as p1 over the
 * rest).  A rest word is drawn from p1 by the alias table, redrawn while
 * it is a union word (after 64 redraws, by a scan of the rest).  u01
 * draws are from r. */
size_t sd_ngram_pair_draw(const sd_ngram *m, const sd_ngram_pair *pr, const double *lw,
                          gsl_rng *r);

#endif
