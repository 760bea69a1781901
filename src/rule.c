/* rule.c - the table of rules and what works on any rule. */
#include "rule.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "roundstart.h"

const sd_rule_type *const sd_rules[] = {
    &sd_rule_sd,   &sd_rule_batch,     &sd_rule_tree,
    &sd_rule_kseq, &sd_rule_kseq_tree, &sd_rule_ersd,
    &sd_rule_batch_wor, NULL};

const sd_rule_type *sd_rule_find(const char *name)
{
    const sd_rule_type *const *r;
    for (r = sd_rules; *r != NULL; r++)
        if (strcmp((*r)->name, name) == 0)
            return *r;
    return NULL;
}

char *sd_rule_names(char *buf, size_t n, const char *sep, unsigned need)
{
    const sd_rule_type *const *r;
    if (n == 0)
        return buf;
    buf[0] = '\0';
    for (r = sd_rules; *r != NULL; r++) {
        size_t used = strlen(buf);
        if (((*r)->flags & need) == need)
            snprintf(buf + used, n - used, "%s%s", used > 0 ? sep : "", (*r)->name);
    }
    return buf;
}

int sd_rule_control_parse(const sd_rule_type *T, const char *name)
{
    size_t c;
    if (strcmp(name, "none") == 0)
        return 0;
    for (c = 0; T->controls != NULL && T->controls[c] != NULL; c++)
        if (strcmp(name, T->controls[c]) == 0)
            return (int)c + 1;
    return -1;
}

static size_t ncontrols(const sd_rule_type *T)
{
    size_t c = 0;
    while (T->controls != NULL && T->controls[c] != NULL)
        c++;
    return c;
}

const char *sd_rule_control_name(const sd_rule_type *T, size_t control)
{
    if (control == 0)
        return "none";
    return control <= ncontrols(T) ? T->controls[control - 1] : "?";
}

sd_status sd_rule_exact(const sd_rule_type *T, const sd_model *m, size_t M, double *mean,
                        double *var, sd_error *err)
{
    void *ws = NULL;
    sd_status rc;
    if (var != NULL)
        *var = NAN;
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "%s: the number of drafts must be at least 1",
                            T->name);
    if (T->exact != NULL)
        return T->exact(m, M, mean, (T->flags & SD_RULE_VARIANCE) ? var : NULL, err);
    if (T->ws_alloc != NULL && (rc = T->ws_alloc(&ws, m->V, M, err)) != SD_OK)
        return rc;
    if (T->flags & SD_RULE_TREE)
        rc = sd_tree_exact(m, T->tree_step, ws, M, mean, NULL, err);
    else
        rc = sd_roundstart_exact(m, T->step, ws, M, mean, NULL, err);
    if (T->ws_free != NULL)
        T->ws_free(ws);
    return rc;
}

double sd_rule_cost_tvv(const sd_model *m)
{
    return (double)m->T * (double)m->V * (double)m->V;
}

double sd_rule_cost_tvvm(const sd_model *m, size_t M)
{
    return sd_rule_cost_tvv(m) * (double)M;
}

double sd_rule_cost_tvvm3(const sd_model *m, size_t M)
{
    double k = (double)M;
    return sd_rule_cost_tvv(m) * k * k * k;
}

double sd_rule_cost(const sd_rule_type *T, const sd_model *m, size_t M, const char **formula)
{
    if (formula != NULL)
        *formula = T->cost_formula;
    return T->cost(m, M);
}

struct sd_rule_sim {
    const sd_rule_type *type;
    void *state;
};

sd_status sd_rule_sim_alloc(sd_rule_sim **out, const sd_rule_type *T, const sd_model *m,
                            size_t M, size_t control, sd_error *err)
{
    sd_rule_sim *s;
    sd_status rc;
    *out = NULL;
    if (M == 0)
        return sd_error_set(err, SD_EINVAL, "%s: the number of drafts must be at least 1",
                            T->name);
    if (control > ncontrols(T))
        return sd_error_set(err, SD_EINVAL, "%s has no negative control %zu", T->name,
                            control);
    s = sd_calloc(1, sizeof *s);
    if (s == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    s->type = T;
    rc = T->sim_alloc(&s->state, T, m, M, control, err);
    if (rc != SD_OK) {
        sd_free(s);
        return rc;
    }
    *out = s;
    return SD_OK;
}

sd_sim sd_rule_sim_get(const sd_rule_sim *s)
{
    return s->type->sim_get(s->state);
}

void sd_rule_sim_free(sd_rule_sim *s)
{
    if (s == NULL)
        return;
    s->type->sim_free(s->state);
    sd_free(s);
}

typedef struct {
    sd_engine_sim eng;            /* the engine */
    void *tables;                 /* the rule's verifier tables */
    void (*tables_free)(void *);  /* and how to release them */
} engine_state;

sd_status sd_rule_engine_new(void **state, const sd_model *m, size_t M, void *tables,
                             void (*tables_free)(void *), const sd_rs_verifier *rv,
                             const sd_tree_verifier *tv, sd_error *err)
{
    engine_state *s = sd_calloc(1, sizeof *s);
    sd_status rc;
    *state = NULL;
    if (s == NULL) {
        tables_free(tables);
        return sd_error_set(err, SD_ENOMEM, "out of memory for the simulation");
    }
    s->tables = tables;
    s->tables_free = tables_free;
    if ((rc = sd_engine_sim_init(&s->eng, m, M, rv, tv, err)) != SD_OK) {
        sd_rule_engine_free(s);
        return rc;
    }
    *state = s;
    return SD_OK;
}

sd_sim sd_rule_engine_get(const void *state)
{
    return sd_engine_sim_get(&((const engine_state *)state)->eng);
}

void sd_rule_engine_free(void *state)
{
    engine_state *s = state;
    if (s == NULL)
        return;
    sd_engine_sim_free(&s->eng);
    s->tables_free(s->tables);
    sd_free(s);
}
