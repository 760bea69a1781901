/* cmd_trace.c - specdec trace: the theory of speculative decoding on
 * recorded draft/target distributions (doc/theory.md §10). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "prog.h"
#include "trace.h"
#include "tracefile.h"
#include "transform.h"

#define TRACE_DEFAULT_DRAFTS 4

static void help(void)
{
    printf("Usage: specdec trace --draft-logits FILE --target-logits FILE --tokens FILE\n"
           "                     [--probs] [--temperature T] [--top-k K] [--top-p P] [--min-p M]\n"
           "                     [--draft-temperature T] [--draft-top-k K] [--draft-top-p P]\n"
           "                     [--draft-min-p M] [--gamma LIST] [--cost C] [--drafts K]\n"
           "                     [--per-position FILE.tsv] [--seed S] [--threads N]\n"
           "What speculative decoding would do on sequences your target model generated,\n"
           "from the draft and target logits you recorded along them (doc/theory.md §10):\n"
           "expected rejections (Theorem 1 of Yin et al., NeurIPS 2024, estimated as the mean\n"
           "over sequences of sum_t TV(p_t, q_t), with its standard error), the law of the\n"
           "rejections given the recorded tokens, expected target calls, draft steps, wall\n"
           "time, speed-up and rejected drafts at each draft length gamma beside Leviathan\n"
           "et al.'s closed form, multi-draft acceptance (RRS with and without replacement,\n"
           "K-SEQ, the optimal-transport bound alpha*_k) and batch SD; and a test that the\n"
           "tokens were really drawn from the recorded target distributions.\n\n"
           "  --draft-logits FILE  draft logits, .npy float16/32/64 of shape (N, V) or (B, N, V)\n"
           "  --target-logits FILE target logits, the same shape\n"
           "  --tokens FILE        emitted tokens, .npy int32/int64 of shape (N,) or (B, N);\n"
           "                       -1 pads a sequence after its end\n"
           "  --probs              the two files hold probabilities, not logits (rows must\n"
           "                       sum to 1 within %g (float64), %g (float32), %g (float16))\n"
           "  --temperature T      target sampling temperature (default 1; 0 = greedy, the\n"
           "                       lowest index on ties)\n"
           "  --top-k K            keep the entries >= the K-th largest (default 0 = off)\n"
           "  --top-p P            keep the shortest prefix, by probability, with mass >= P\n"
           "                       (default 1 = off)\n"
           "  --min-p M            keep the entries >= M times the largest (default 0 = off)\n"
           "  --draft-temperature, --draft-top-k, --draft-top-p, --draft-min-p\n"
           "                       the draft's settings (default: the target's)\n"
           "                       The transforms apply in this order, each renormalised;\n"
           "                       a logit of -inf is a masked token.\n"
           "  --gamma LIST         draft lengths (default 1,2,3,4,5,6,8; each 1..%d)\n"
           "  --cost C             cost of a draft step in target calls (default 0)\n"
           "  --drafts K           multi-draft statistics for k = 1..K (default %d, 0..%d)\n"
           "  --per-position FILE  write one TSV row per position: b, t, token, TV, r_t,\n"
           "                       q(x_t), p(x_t), entropy of q (nats)\n"
           "  --seed S             seed of the PIT's uniforms (default %u)\n"
           "  --z Z                surprisal z-test limit (default 4.5)\n"
           "  --p-min P            PIT chi-square p-value limit (default 1e-6)\n"
           "  --pit-bins N         PIT bins (default: positions/50, between 2 and 20)\n"
           "  --pmf-max N          give the exact law of N_rej up to N positions (default\n"
           "                       20000; it costs N^2/2 operations)\n"
           "  --threads N          threads (default: all cores); results do not depend on it\n",
           SD_TRACE_SUM_TOL_F64, SD_TRACE_SUM_TOL_F32, SD_TRACE_SUM_TOL_F16,
           SD_TRACE_MAX_GAMMA, TRACE_DEFAULT_DRAFTS, SD_TRACE_MAX_DRAFTS, SD_DEFAULT_SEED);
    fputs("The check of this command is that the tokens conform to the target\n"
          "distributions: exit status 1 when they do not (zero-probability tokens,\n"
          "surprisal z-test or randomised PIT chi-square; the report is still written).\n\n",
          stdout);
}

/* The per-position TSV writer (the visit callback). */
typedef struct {
    FILE *f;
    int failed;
} tsv_out;

static int visit(void *arg, size_t b, size_t t, size_t token, const sd_trace_pos *pos)
{
    tsv_out *o = arg;
    if (fprintf(o->f, "%zu\t%zu\t%zu\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\n", b, t, token, pos->tv,
                pos->r, pos->qx, pos->px, pos->entropy) < 0) {
        o->failed = 1;
        return 1;
    }
    return 0;
}

/* lead, then the object {temperature, top_k, top_p, min_p}. */
static void json_sampling(FILE *f, const char *lead, const sd_sampling *s)
{
    const sd_kv kv[] = {SD_KV_N("temperature", s->temperature), SD_KV_I("top_k", s->top_k),
                        SD_KV_N("top_p", s->top_p), SD_KV_N("min_p", s->min_p)};
    fputs(lead, f);
    sd_json_members(f, kv, 4, 0);
    fputc('}', f);
}

typedef struct {
    const char *dlog, *tlog, *tokens, *perpos;
    int probs;
    sd_sampling ds, ts;
    sd_trace_opts o;
} trace_args;

static void provenance_comments(FILE *f, const sd_cli *c, const trace_args *a,
                                const sd_trace_file *tf)
{
    fprintf(f, "# %s %s\n# command: %s\n", c->prog, PACKAGE_VERSION, c->command);
    fprintf(f, "# draft: %s\n# target: %s\n# tokens: %s\n# rows: %s, B = %zu, N = %zu, V = %zu\n",
            a->dlog, a->tlog, a->tokens, a->probs ? "probabilities" : "logits", tf->B, tf->N,
            tf->V);
    fprintf(f, "# target sampling: temperature %g, top-k %zu, top-p %g, min-p %g\n",
            a->ts.temperature, a->ts.top_k, a->ts.top_p, a->ts.min_p);
    fprintf(f, "# draft sampling: temperature %g, top-k %zu, top-p %g, min-p %g\n",
            a->ds.temperature, a->ds.top_k, a->ds.top_p, a->ds.min_p);
    fprintf(f, "# cost %g, drafts %zu, PIT seed %llu\n", a->o.cost, a->o.K,
            (unsigned long long)a->o.seed);
}

/* Element i of a JSON array: an object of the n members kv. */
static void json_element(FILE *f, size_t i, const sd_kv *kv, size_t n)
{
    fputs(i ? ",{" : "{", f);
    sd_json_members(f, kv, n, 0);
    fputc('}', f);
}

static void report_json(FILE *f, const sd_cli *c, const trace_args *a, const sd_trace_file *tf,
                        const sd_trace_result *r, int pass, const char *failed)
{
    size_t i;
    const double zero[2] = {(double)r->zero_b, (double)r->zero_t};
    const double worst[2] = {(double)r->worst_pos_b, (double)r->worst_pos_t};
    const sd_kv head[] = {
        SD_KV_I("sequences", r->sequences), SD_KV_I("positions", r->positions),
        SD_KV_N("tv_sum", r->tv_sum), SD_KV_N("tv_sum_stderr", r->tv_sum_stderr),
        SD_KV_N("r_sum", r->r_sum), SD_KV_N("mean_acceptance", r->mean_acceptance)};
    const sd_kv conf[] = {
        SD_KV_B("pass", pass), SD_KV_I("zero_prob_tokens", r->zero_prob),
        SD_KV_N("surprisal_z", r->surprisal_z), SD_KV_N("pit_p", r->pit_p),
        SD_KV_SN("failed", failed), SD_KV_A("first_zero_prob_token", zero, 2),
        SD_KV_N("surprisal", r->surprisal), SD_KV_N("surprisal_mean", r->surprisal_mean),
        SD_KV_N("surprisal_sd", sqrt(r->surprisal_var)),
        SD_KV_I("strongest_sequence", r->worst_b), SD_KV_N("strongest_sequence_z", r->worst_b_z),
        SD_KV_A("strongest_position", worst, 2), SD_KV_N("strongest_position_z", r->worst_pos_z),
        SD_KV_I("pit_bins", r->pit_bins), SD_KV_N("pit_chi2", r->pit_chi2),
        SD_KV_I("pit_worst_bin", r->pit_worst_bin), SD_KV_N("pit_worst_z", r->pit_worst_z),
        SD_KV_N("z_max", c->mc.z_max), SD_KV_N("p_min", c->mc.p_min)};
    const sd_kv tail[] = {
        SD_KV_N("r_sum_stderr", r->r_sum_stderr), SD_KV_N("tv_total", r->tv_total),
        SD_KV_N("r_total", r->r_total), SD_KV_N("rejections_variance", r->rej_var),
        r->pmf ? (sd_kv)SD_KV_A("rejections_pmf", r->pmf, r->pmf_len)
               : (sd_kv)SD_KV_SN("rejections_pmf", NULL),
        SD_KV_I("vocab", tf->V), SD_KV_I("max_length", tf->N), SD_KV_I("drafts", a->o.K),
        SD_KV_N("cost", a->o.cost)};
    const sd_kv files[] = {
        SD_KV_S("draft_logits", a->dlog), SD_KV_S("target_logits", a->tlog),
        SD_KV_S("tokens", a->tokens), SD_KV_B("probs", a->probs)};
    fputc('{', f);
    sd_json_members(f, head, sizeof head / sizeof head[0], 0);
    fputs(",\"rows\":[", f);
    for (i = 0; i < r->ngamma; i++) {
        const sd_trace_gamma_row *g = &r->rows[i];
        const sd_kv kv[] = {
            SD_KV_I("gamma", g->gamma), SD_KV_N("expected_calls", g->calls),
            SD_KV_N("tokens_per_call", g->tokens_per_call), SD_KV_N("speedup", g->speedup),
            SD_KV_N("leviathan_tokens_per_call", g->leviathan_tokens_per_call),
            SD_KV_N("expected_calls_stderr", g->calls_stderr),
            SD_KV_N("draft_steps", g->draft_steps), SD_KV_N("wall_time", g->wall_time),
            SD_KV_N("leviathan_speedup", g->leviathan_speedup),
            SD_KV_N("expected_rejections", g->rejections)};
        json_element(f, i, kv, sizeof kv / sizeof kv[0]);
    }
    fputs("],\"multidraft\":[", f);
    for (i = 0; i < r->K; i++) {
        const sd_trace_md_row *m = &r->md[i];
        const sd_kv kv[] = {
            SD_KV_I("k", m->k), SD_KV_N("rrs", m->rrs), SD_KV_N("rrs_wor", m->rrs_wor),
            SD_KV_N("kseq", m->kseq), SD_KV_N("optimal", m->optimal),
            SD_KV_N("batch_expected_rejections", m->batch_rejections),
            SD_KV_N("batch_expected_rejections_stderr", m->batch_rejections_stderr)};
        json_element(f, i, kv, sizeof kv / sizeof kv[0]);
    }
    fputs("],\"conformance\":{", f);
    /* the first zero-probability token only when there is one */
    sd_json_members(f, conf, 5, 0);
    sd_json_members(f, conf + (r->zero_prob ? 5 : 6), sizeof conf / sizeof conf[0] -
                    (r->zero_prob ? 5 : 6), 1);
    fputc('}', f);
    sd_json_members(f, tail, sizeof tail / sizeof tail[0], 1);
    sd_cli_json_program(f, c);
    sd_json_members(f, files, sizeof files / sizeof files[0], 1);
    json_sampling(f, ",\"sampling\":{\"target\":{", &a->ts);
    json_sampling(f, ",\"draft\":{", &a->ds);
    fprintf(f, "},\"seed\":%llu}\n", (unsigned long long)a->o.seed);
}

static void report_text(FILE *f, const sd_cli *c, const trace_args *a, const sd_trace_file *tf,
                        const sd_trace_result *r, int pass, const char *failed)
{
    size_t i;
    const int tsv = c->format == SD_FMT_TSV;
    provenance_comments(f, c, a, tf);
    if (tsv) {
        fprintf(f, "# sequences %zu, positions %zu, tv_sum %.17g (stderr %.6g), r_sum %.17g, "
                   "mean_acceptance %.17g\n", r->sequences, r->positions, r->tv_sum,
                r->tv_sum_stderr, r->r_sum, r->mean_acceptance);
        fprintf(f, "# conformance %s: zero_prob_tokens %zu, surprisal_z %.6g, pit_p %.6g\n",
                pass ? "pass" : "FAIL", r->zero_prob, r->surprisal_z, r->pit_p);
        fputs("gamma\texpected_calls\tdraft_steps\twall_time\ttokens_per_call\tspeedup\t"
              "leviathan_tokens_per_call\tleviathan_speedup\texpected_rejections\n", f);
        for (i = 0; i < r->ngamma; i++) {
            const sd_trace_gamma_row *g = &r->rows[i];
            fprintf(f, "%zu\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\n",
                    g->gamma, g->calls, g->draft_steps, g->wall_time, g->tokens_per_call,
                    g->speedup, g->leviathan_tokens_per_call, g->leviathan_speedup,
                    g->rejections);
        }
        if (r->K) {
            fputs("\nk\trrs\trrs_wor\tkseq\toptimal\tbatch_expected_rejections\n", f);
            for (i = 0; i < r->K; i++)
                fprintf(f, "%zu\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\n", r->md[i].k, r->md[i].rrs,
                        r->md[i].rrs_wor, r->md[i].kseq, r->md[i].optimal,
                        r->md[i].batch_rejections);
        }
        return;
    }
    fprintf(f, "\n%zu sequences, %zu positions (V = %zu)\n", r->sequences, r->positions, tf->V);
    fprintf(f, "expected rejections per sequence (Theorem 1): %.6g +- %.2g   (sum TV)\n",
            r->tv_sum, r->tv_sum_stderr);
    fprintf(f, "given the recorded tokens:                    %.6g   (sum r_t; variance "
               "%.4g over the trace)\n", r->r_sum, r->rej_var);
    fprintf(f, "mean acceptance 1 - TV:                       %.6g\n\n", r->mean_acceptance);
    fprintf(f, "draft length (cost of a draft step %g target calls)\n", a->o.cost);
    fprintf(f, "%5s %14s %12s %12s %12s %9s %14s %12s %12s\n", "gamma", "calls/seq",
            "draft steps", "wall time", "tokens/call", "speedup", "Leviathan t/c",
            "Lev. speedup", "rejections");
    for (i = 0; i < r->ngamma; i++) {
        const sd_trace_gamma_row *g = &r->rows[i];
        fprintf(f, "%5zu %14.6g %12.6g %12.6g %12.6g %9.4g %14.6g %12.4g %12.6g\n", g->gamma,
                g->calls, g->draft_steps, g->wall_time, g->tokens_per_call, g->speedup,
                g->leviathan_tokens_per_call, g->leviathan_speedup, g->rejections);
    }
    if (r->K) {
        fprintf(f, "\nmulti-draft: mean acceptance over positions; batch SD rejections per "
                   "sequence\n%3s %10s %10s %10s %10s %14s\n", "k", "RRS", "RRS w/o rep",
                "K-SEQ", "alpha*_k", "batch N_rej");
        for (i = 0; i < r->K; i++) {
            fprintf(f, "%3zu %10.6f ", r->md[i].k, r->md[i].rrs);
            if (isnan(r->md[i].rrs_wor))
                fprintf(f, "%10s ", "-");
            else
                fprintf(f, "%10.6f ", r->md[i].rrs_wor);
            fprintf(f, "%10.6f %10.6f %14.6g\n", r->md[i].kseq, r->md[i].optimal,
                    r->md[i].batch_rejections);
        }
    }
    fprintf(f, "\nconformance (were the tokens drawn from the target rows?): %s\n",
            pass ? "pass" : "FAIL");
    fprintf(f, "  zero-probability tokens: %zu\n", r->zero_prob);
    fprintf(f, "  surprisal: %.6g against %.6g +- %.4g, z = %.3g (limit %g)\n", r->surprisal,
            r->surprisal_mean, sqrt(r->surprisal_var), r->surprisal_z, c->mc.z_max);
    fprintf(f, "  randomised PIT: chi-square %.4g on %zu bins, p = %.3g (limit %g)\n",
            r->pit_chi2, r->pit_bins, r->pit_p, c->mc.p_min);
    if (failed)
        fprintf(f, "  failed: %s\n", failed);
}

/* The message of a failed conformance test, with where the evidence is
 * strongest. */
static void conformance_message(const sd_cli *c, const sd_trace_result *r, const char *failed)
{
    if (strcmp(failed, "zero-probability tokens") == 0)
        fprintf(stderr, "%s: conformance failed: %zu token(s) have target probability 0; the "
                        "first is tokens[%zu, %zu]\n", c->prog, r->zero_prob, r->zero_b,
                r->zero_t);
    else if (strcmp(failed, "surprisal") == 0)
        fprintf(stderr, "%s: conformance failed: surprisal z-test, z = %.3g (%s surprising "
                        "than the target rows predict); strongest in sequence %zu (z = %.3g) "
                        "and at position [%zu, %zu] (%.3g sd)\n", c->prog, r->surprisal_z,
                r->surprisal_z > 0 ? "more" : "less", r->worst_b, r->worst_b_z, r->worst_pos_b,
                r->worst_pos_t, r->worst_pos_z);
    else
        fprintf(stderr, "%s: conformance failed: randomised PIT chi-square, p = %.3g; "
                        "strongest in PIT bin %zu of %zu ([%.3g, %.3g), z = %.3g: %s tokens "
                        "there than the target rows predict)\n", c->prog, r->pit_p,
                r->pit_worst_bin, r->pit_bins, (double)r->pit_worst_bin / (double)r->pit_bins,
                (double)(r->pit_worst_bin + 1) / (double)r->pit_bins, r->pit_worst_z,
                r->pit_worst_z > 0 ? "more" : "fewer");
}

/* Check the options together: the draft's transforms not given follow
 * the target's; top-p in (0, 1]; PIT bins dividing 1024.  0 or 2. */
static int trace_check(sd_cli *c, void *arg)
{
    trace_args *a = arg;
    if (!a->dlog || !a->tlog || !a->tokens)
        return sd_cli_usage_error(c, "--draft-logits, --target-logits and --tokens are "
                                     "required (missing --%s)",
                                  !a->dlog ? "draft-logits" : !a->tlog ? "target-logits"
                                                                       : "tokens");
    if (isnan(a->ds.temperature))
        a->ds.temperature = a->ts.temperature;
    if (a->ds.top_k == SIZE_MAX)
        a->ds.top_k = a->ts.top_k;
    if (isnan(a->ds.top_p))
        a->ds.top_p = a->ts.top_p;
    if (isnan(a->ds.min_p))
        a->ds.min_p = a->ts.min_p;
    if (a->ts.top_p <= 0.0 || a->ds.top_p <= 0.0)
        return sd_cli_usage_error(c, "%s: must be in (0, 1], got 0",
                                  a->ts.top_p <= 0.0 ? "--top-p" : "--draft-top-p");
    if (a->o.pit_bins != 0 && 1024 % a->o.pit_bins != 0)
        return sd_cli_usage_error(c, "--pit-bins: must divide 1024 (2, 4, 8, ..., 1024), got %zu",
                                  a->o.pit_bins);
    a->o.seed = c->mc.seed;
    return 0;
}

/* Close the --per-position file (if open), committing it or not; the
 * exit code. */
static int perpos_close(const sd_cli *c, const trace_args *a, sd_out *tsv, int commit)
{
    sd_cli c2 = *c;
    if (a->perpos == NULL)
        return 0;
    c2.output = a->perpos;
    return sd_out_close(&c2, tsv, commit);
}

static int trace_run(sd_cli *c, const sd_model *unused, void *arg)
{
    const trace_args *a = arg;
    sd_trace_file tf;
    sd_trace_stats *st = NULL;
    sd_trace_result res;
    sd_trace_run_opts ro;
    sd_error err;
    sd_out out, tsv;
    tsv_out tv = {NULL, 0};
    int rc, pass;
    const char *failed = NULL;
    (void)unused;
    sd_error_clear(&err);
    if (sd_trace_file_open(&tf, a->dlog, a->tlog, a->tokens, a->probs, &err) != SD_OK)
        return sd_cli_fail(c, &err);
    if (tf.positions == 0) {
        sd_trace_file_close(&tf);
        return sd_cli_usage_error(c, "%s: every sequence is empty (all tokens are -1)",
                                  a->tokens);
    }
    if (sd_trace_stats_alloc(&st, &a->o, &err) != SD_OK) {
        sd_trace_file_close(&tf);
        return sd_cli_fail(c, &err);
    }
    if (a->perpos) {
        sd_cli c2 = *c;
        c2.output = a->perpos;
        if ((rc = sd_out_open(&c2, &tsv)) != 0) {
            sd_trace_stats_free(st);
            sd_trace_file_close(&tf);
            return rc;
        }
        tv.f = tsv.f;
        provenance_comments(tsv.f, c, a, &tf);
        fputs("b\tt\ttoken\ttv\tr\tq_token\tp_token\tentropy_q\n", tsv.f);
    }
    memset(&ro, 0, sizeof ro);
    ro.draft = a->ds;
    ro.target = a->ts;
    ro.K = a->o.K;
    ro.threads = c->mc.threads;
    ro.visit = a->perpos ? visit : NULL;
    ro.visit_arg = &tv;
    ro.progress = c->quiet ? NULL : sd_cli_progress;
    ro.progress_arg = c;
    if (sd_trace_run(&tf, &ro, st, &err) != SD_OK ||
        sd_trace_stats_result(st, &res, &err) != SD_OK) {
        perpos_close(c, a, &tsv, 0);
        sd_trace_stats_free(st);
        sd_trace_file_close(&tf);
        return sd_cli_fail(c, &err);
    }
    pass = sd_trace_conforms(&res, c->mc.z_max, c->mc.p_min, &failed);
    rc = sd_out_open(c, &out);
    if (rc == 0) {
        if (c->format == SD_FMT_JSON)
            report_json(out.f, c, a, &tf, &res, pass, failed);
        else
            report_text(out.f, c, a, &tf, &res, pass, failed);
        rc = sd_out_close(c, &out, 1);
    }
    {
        int r2 = perpos_close(c, a, &tsv, rc == 0 && !tv.failed);
        if (rc == 0)
            rc = r2;
    }
    if (rc == 0 && !pass) {
        conformance_message(c, &res, failed);
        rc = 1;
    }
    sd_trace_stats_free(st);
    sd_trace_file_close(&tf);
    return rc;
}

int sd_cmd_trace(int argc, char **argv)
{
    trace_args a;
    const sd_arg opts[] = {
        {"draft-logits", SD_ARG_INPUT, &a.dlog, NULL, 0, 0, 0, NULL, NULL},
        {"target-logits", SD_ARG_INPUT, &a.tlog, NULL, 0, 0, 0, NULL, NULL},
        {"tokens", SD_ARG_INPUT, &a.tokens, NULL, 0, 0, 0, NULL, NULL},
        {"probs", SD_ARG_FLAG, &a.probs, NULL, 1, 0, 0, NULL, NULL},
        {"temperature", SD_ARG_DOUBLE, &a.ts.temperature, NULL, 0, 0.0, 1e300, NULL, NULL},
        {"top-k", SD_ARG_SIZE, &a.ts.top_k, NULL, 0, 0, 0, NULL, NULL},
        {"top-p", SD_ARG_DOUBLE, &a.ts.top_p, NULL, 0, 0.0, 1.0, NULL, NULL},
        {"min-p", SD_ARG_DOUBLE, &a.ts.min_p, NULL, 0, 0.0, 1.0, NULL, NULL},
        {"draft-temperature", SD_ARG_DOUBLE, &a.ds.temperature, NULL, 0, 0.0, 1e300, NULL, NULL},
        {"draft-top-k", SD_ARG_SIZE, &a.ds.top_k, NULL, 0, 0, 0, NULL, NULL},
        {"draft-top-p", SD_ARG_DOUBLE, &a.ds.top_p, NULL, 0, 0.0, 1.0, NULL, NULL},
        {"draft-min-p", SD_ARG_DOUBLE, &a.ds.min_p, NULL, 0, 0.0, 1.0, NULL, NULL},
        {"gamma", SD_ARG_SIZE_LIST, a.o.gamma, &a.o.ngamma, SD_TRACE_MAX_GAMMAS, 1,
         SD_TRACE_MAX_GAMMA, NULL, NULL},
        {"cost", SD_ARG_DOUBLE, &a.o.cost, NULL, 0, 0.0, 1e300, NULL, NULL},
        {"drafts", SD_ARG_SIZE, &a.o.K, NULL, 0, 0, SD_TRACE_MAX_DRAFTS, NULL, NULL},
        {"per-position", SD_ARG_OUTPUT, &a.perpos, NULL, 0, 0, 0, NULL, NULL},
        {"p-min", SD_ARG_SHARED, NULL, NULL, SD_OPT_P_MIN, 0, 0, NULL, NULL},
        {"pit-bins", SD_ARG_SIZE, &a.o.pit_bins, NULL, 2, 0, 0, NULL, NULL},
        {"pmf-max", SD_ARG_SIZE, &a.o.pmf_max, NULL, 0, 0, 0, NULL, NULL},
        {"seed", SD_ARG_SHARED, NULL, NULL, SD_OPT_SEED, 0, 0, NULL, NULL},
        {"threads", SD_ARG_SHARED, NULL, NULL, SD_OPT_THREADS, 0, 0, NULL, NULL},
        {"z", SD_ARG_SHARED, NULL, NULL, SD_OPT_Z, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"specdec trace", help, SD_PROG_OUTPUT, 0, 0, 0, 0, opts, trace_check,
                          trace_run};
    memset(&a, 0, sizeof a);
    sd_sampling_default(&a.ts);
    /* the draft's transforms not given follow the target's (trace_check) */
    a.ds.temperature = a.ds.top_p = a.ds.min_p = NAN;
    a.ds.top_k = SIZE_MAX;
    sd_trace_opts_default(&a.o);
    a.o.K = TRACE_DEFAULT_DRAFTS;
    return sd_prog_run(&prog, argc, argv, &a);
}
