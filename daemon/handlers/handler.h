/* SPDX-License-Identifier: MIT */
/*
 * handler.h - the interface between pgjobd and the code that does a job's
 * work.  A handler turns one job's items into one result per item, plus
 * validation flags and metadata.  It reports progress after each item; the
 * daemon turns progress into heartbeats (the checkpoint) and answers
 * whether the job may go on (it may not once canceled, paused, its lease
 * was lost, or the daemon is stopping).
 *
 * The result of one item is a JSON object:
 *   {"status": "completed", "output": <any JSON>, "error": null}
 *   {"status": "failed", "output": null, "error": {"code": "...", "message": "..."}}
 * with "custom_id" copied from the item when the item is an object that
 * has one.  A per-item error never fails the job; the job fails only when
 * the handler returns HANDLER_RETRY or HANDLER_FATAL.
 */
#ifndef PGJOB_HANDLER_H
#define PGJOB_HANDLER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

/* HandlerJob is one claimed job as a handler sees it; everything in it is
 * borrowed from the daemon and valid for the duration of run(). */
typedef struct HandlerJob {
    const char *id;         /* job uuid, text */
    const char *type;       /* job type, the handler's name or an exec type */
    int attempt;            /* attempt number, from 1 */
    const json_t *items;    /* array of item_count items */
    const json_t *metadata; /* object, possibly empty */
    size_t items_done;      /* checkpoint: items [0, items_done) are done */
    const json_t *results;  /* array: results of the items done, in order */
} HandlerJob;

/* HandlerOutput is what run() fills.  The daemon creates it with
 * results = a new array holding a copy of the checkpoint's results and
 * validation_flags = a new empty array; the handler appends to both (with
 * json_array_append_new), so when run() returns HANDLER_OK results holds
 * one result per item.  The daemon releases both. */
typedef struct HandlerOutput {
    json_t *results;          /* array, owned by the daemon */
    json_t *validation_flags; /* array of {code, severity, message, item} */
    double confidence;        /* 0..1, or < 0 when the handler has none */
    char model[64];           /* empty when the handler has none */
    int cache_hit;            /* 1 or 0, or -1 when the handler has none */
} HandlerOutput;

/* HandlerStatus is how a run ended. */
typedef enum HandlerStatus {
    HANDLER_OK,      /* every item has a result (some may be per-item errors) */
    HANDLER_RETRY,   /* the attempt failed; err says why; retry with backoff */
    HANDLER_FATAL,   /* the job can never succeed; err says why; no retry */
    HANDLER_STOPPED, /* progress() answered false; stopped, nothing to record */
} HandlerStatus;

/* HandlerDocument is how a fetch of the job's document ended. */
typedef enum HandlerDocument {
    HANDLER_DOC_OK,    /* *bytes and *len hold the document */
    HANDLER_DOC_NONE,  /* the job has no document (submitted as JSON items) */
    HANDLER_DOC_LOST,  /* the attempt no longer holds the job: return HANDLER_STOPPED */
    HANDLER_DOC_ERROR, /* the database failed; err says why: return HANDLER_RETRY */
} HandlerDocument;

/* HandlerContext is the daemon's side of a run. */
typedef struct HandlerContext {
    /*
     * progress reports that output->results now holds the results of the
     * first items_done items.  Call it after each item (or each few items),
     * and at least every second or so while waiting: it is also when the
     * lease is renewed.  It returns false when the job must stop now; the
     * handler then cleans up and returns HANDLER_STOPPED.
     */
    bool (*progress)(void *arg, size_t items_done);
    void *arg;
    /* Settings of this job type's handler, or NULL; see each handler. */
    const void *settings;
    /*
     * document fetches the bytes of the job's document (a document job's
     * upload, kept apart from the claim: sql/010_documents.sql) in one
     * round trip, fenced by the attempt.  On HANDLER_DOC_OK *bytes holds
     * *len bytes, borrowed: they stay valid until run() returns (the
     * daemon hands over the database's copy, not one more), or until
     * document is called again.  NULL when the daemon offers no
     * documents (unit tests, benchmarks): treat as HANDLER_DOC_NONE.
     */
    HandlerDocument (*document)(void *arg, const unsigned char **bytes, size_t *len, Error *err);
} HandlerContext;

/* Handler is one entry of the table of built-in handlers. */
typedef struct Handler {
    const char *name;
    /* run does the work of one job.  It may block (external programs, I/O)
     * but must call ctx->progress regularly.  On HANDLER_RETRY or
     * HANDLER_FATAL it fills err (code and message; status unused). */
    HandlerStatus (*run)(const HandlerContext *ctx, const HandlerJob *job, HandlerOutput *out,
                         Error *err);
} Handler;

/* handler_item_result returns a new result object for one item: a
 * completed one holding output (stolen; may be NULL for JSON null), with
 * custom_id copied from item when it is an object that has one. */
json_t *handler_item_result(const json_t *item, json_t *output);

/* handler_item_error returns a new failed result object for one item with
 * error {code, message}, custom_id copied as above. */
json_t *handler_item_error(const json_t *item, const char *code, const char *message);

/* HandlerItemFn returns the new result object of one item (see
 * handler_item_result), or NULL when memory ran out. */
typedef json_t *(*HandlerItemFn)(void *arg, const json_t *item);

/* handler_each_item is the run of a handler that answers each item on its
 * own: one(arg, item) for every item from the checkpoint on, its result
 * appended in order, progress reported every `every` items and at the
 * end.  HANDLER_OK, HANDLER_STOPPED, or HANDLER_RETRY (out of memory). */
HandlerStatus handler_each_item(const HandlerContext *ctx, const HandlerJob *job,
                                HandlerOutput *out, size_t every, HandlerItemFn one, void *arg,
                                Error *err);

#endif
