/* SPDX-License-Identifier: MIT */
/* handlers.c - the table from job type to handler and settings. */
#include "handlers.h"

#include <stdlib.h>
#include <string.h>

#include "doc_job.h"
#include "doc_text.h"
#include "enrich_load.h"
#include "handler_enrich.h"
#include "handler_exec.h"
#include "handler_extract.h"
#include "handler_invoice.h"
#include "log.h"

/* The built-in handlers, one per line of jobtypes.def: type "x" is run
 * by handler_x. */
#define JOBTYPE(name) extern const Handler handler_##name;
#include "jobtypes.def"
#undef JOBTYPE

static const Handler *const builtins[] = {
#define JOBTYPE(name) &handler_##name,
#include "jobtypes.def"
#undef JOBTYPE
};
enum { NBUILTINS = sizeof(builtins) / sizeof(builtins[0]) };

struct HandlerTable {
    const Config *cfg;
    EnrichSlot enrich;  /* the enrich handler's settings: its merchant table */
    bool enrich_ok;     /* enrich was initialized */
    DocSettings doc;    /* the document handlers' settings */
    ExecSettings *exec; /* one per cfg->exec entry */
    const char **types; /* claimed types; names borrowed or owned in names */
    size_t ntypes;
    char *names; /* copy of cfg->types, cut at the commas */
};

/* builtin_named returns the built-in handler called name, or NULL. */
static const Handler *builtin_named(const char *name)
{
    for (size_t i = 0; i < NBUILTINS; i++) {
        if (strcmp(builtins[i]->name, name) == 0)
            return builtins[i];
    }
    return NULL;
}

static const Handler *find(HandlerTable *t, const char *type, const void **settings)
{
    for (size_t i = 0; i < t->cfg->exec_count; i++) {
        if (strcmp(t->cfg->exec[i].type, type) == 0) {
            *settings = &t->exec[i];
            return &handler_exec;
        }
    }
    const Handler *h = builtin_named(type);
    if (h == &handler_enrich)
        *settings = &t->enrich;
    else if (h == &handler_extract || h == &handler_invoice)
        *settings = &t->doc;
    else if (h != NULL)
        *settings = NULL;
    return h;
}

/* all_types lists every type there is a handler for. */
static bool all_types(HandlerTable *t)
{
    t->types = calloc(t->cfg->exec_count + NBUILTINS, sizeof(char *));
    if (t->types == NULL)
        return false;
    for (size_t i = 0; i < t->cfg->exec_count; i++)
        t->types[t->ntypes++] = t->cfg->exec[i].type;
    for (size_t i = 0; i < NBUILTINS; i++)
        t->types[t->ntypes++] = builtins[i]->name;
    return true;
}

/* listed_types lists the types of cfg->types, each checked. */
static bool listed_types(HandlerTable *t, Error *err)
{
    size_t max = 1;
    const void *settings;
    char *save = NULL;

    t->names = strdup(t->cfg->types);
    for (const char *p = t->cfg->types; *p != '\0'; p++)
        max += *p == ',';
    t->types = calloc(max, sizeof(char *));
    if (t->names == NULL || t->types == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return false;
    }
    for (char *name = strtok_r(t->names, ", ", &save); name != NULL;
         name = strtok_r(NULL, ", ", &save)) {
        if (find(t, name, &settings) == NULL) {
            error_set(err, 500, CONFIG_ERROR_CODE, "types: no handler for job type \"%.64s\"",
                      name);
            return false;
        }
        t->types[t->ntypes++] = name;
    }
    if (t->ntypes == 0) {
        error_set(err, 500, CONFIG_ERROR_CODE, "types: lists no job type");
        return false;
    }
    return true;
}

HandlerTable *handlers_new(const Config *cfg, Error *err)
{
    HandlerTable *t;

    /* An exec type may not take a built-in type's name: it would hide the
     * built-in handler, and the type would be claimed twice. */
    for (size_t i = 0; i < cfg->exec_count; i++) {
        if (builtin_named(cfg->exec[i].type) != NULL) {
            error_set(err, 500, CONFIG_ERROR_CODE,
                      "exec.%.64s.command: \"%.64s\" is the name of a built-in job type",
                      cfg->exec[i].type, cfg->exec[i].type);
            return NULL;
        }
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        goto oom;
    t->cfg = cfg;
    doc_init(); /* before the pool's threads read documents */
    t->doc.limits.max_pages = cfg->document_max_pages;
    t->doc.limits.page_seconds = cfg->document_page_seconds;
    t->doc.limits.max_memory = (size_t)cfg->document_max_memory_bytes;
    t->doc.limits.max_page_chars = (size_t)cfg->document_max_page_chars;
    t->enrich_ok = enrich_slot_init(&t->enrich);
    if (!t->enrich_ok)
        goto oom;
    EnrichTable *merchants = enrich_table_embedded((size_t)cfg->enrich_cache_entries, NULL, NULL);
    if (merchants == NULL)
        goto oom;
    enrich_slot_set(&t->enrich, merchants);
    t->exec = calloc(cfg->exec_count + 1, sizeof(ExecSettings));
    if (t->exec == NULL)
        goto oom;
    for (size_t i = 0; i < cfg->exec_count; i++) {
        t->exec[i].argv = cfg->exec[i].argv;
        t->exec[i].timeout_seconds = cfg->exec[i].timeout_seconds;
        t->exec[i].max_output_bytes = cfg->exec[i].max_output_bytes;
        t->exec[i].environment = cfg->exec[i].environment;
    }
    if (cfg->types[0] != '\0') {
        if (!listed_types(t, err))
            goto fail;
    } else if (!all_types(t)) {
        goto oom;
    }
    return t;
oom:
    error_set(err, 500, "out_of_memory", "out of memory");
fail:
    handlers_free(t);
    return NULL;
}

void handlers_free(HandlerTable *t)
{
    if (t == NULL)
        return;
    if (t->enrich_ok)
        enrich_slot_destroy(&t->enrich);
    free(t->exec);
    free(t->types);
    free(t->names);
    free(t);
}

const Handler *handlers_find(HandlerTable *t, const char *type, const void **settings)
{
    return find(t, type, settings);
}

bool handlers_load(HandlerTable *t, PGconn *c, Error *err)
{
    EnrichTable *merchants = enrich_load(c, (size_t)t->cfg->enrich_cache_entries, err);

    if (merchants == NULL && (PQstatus(c) != CONNECTION_OK || err->status == 503))
        return false;
    if (merchants == NULL) {
        log_error("cannot load the merchant table, keeping the current one: %s", err->message);
        return true;
    }
    /* Logged after the swap, so that a job submitted after the line is
     * seen uses the new table.  The slot keeps the table alive for the
     * log. */
    enrich_slot_set(&t->enrich, merchants);
    enrich_log_table(merchants, "merchant table loaded");
    return true;
}

size_t handlers_types(const HandlerTable *t, const char *const **types)
{
    *types = t->types;
    return t->ntypes;
}
