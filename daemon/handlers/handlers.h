/* SPDX-License-Identifier: MIT */
/*
 * handlers.h - which handler runs which job type.  Built-in handlers have
 * a fixed name; every exec type of the configuration runs the exec
 * handler with that type's settings.  The table is built once at start
 * (exec types change only with a restart).
 */
#ifndef PGJOB_HANDLERS_H
#define PGJOB_HANDLERS_H

#include <stddef.h>

#include <libpq-fe.h>

#include "config.h"
#include "error.h"
#include "handler.h"

typedef struct HandlerTable HandlerTable;

/* handlers_new builds the table for cfg (borrowed: it must outlive the
 * table) and the list of types this daemon claims: cfg->types when set,
 * every type it has a handler for otherwise.  A type in cfg->types with
 * no handler is an error.  Handlers start with their built-in data (the
 * enrich handler with the merchants built into pgjobd) until
 * handlers_load reads the database's.  Returns a new table (free with
 * handlers_free) or NULL with err filled. */
HandlerTable *handlers_new(const Config *cfg, Error *err);

/* handlers_free releases the table; NULL is fine. */
void handlers_free(HandlerTable *t);

/* handlers_find returns the handler of type and sets *settings to its
 * settings (borrowed from the table), or returns NULL. */
const Handler *handlers_find(HandlerTable *t, const char *type, const void **settings);

/* handlers_load reads what handlers keep in the database (today the
 * enrich handler's merchant table, pgjob.merchant) on c and hands it to
 * the workers; a running job keeps what it started with.  The daemon
 * calls it after connecting and on SIGHUP.  Returns false with err filled
 * when the connection failed (the caller reconnects and calls again);
 * any other failure is logged and the current data stays. */
bool handlers_load(HandlerTable *t, PGconn *c, Error *err);

/* handlers_types returns the number of types claimed and, in *types, the
 * array of their names (borrowed from the table). */
size_t handlers_types(const HandlerTable *t, const char *const **types);

#endif
