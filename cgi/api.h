/* SPDX-License-Identifier: MIT */
/*
 * api.h - the native v1 API: one request in, one SQL function call (after
 * the key lookup), one response out.  The routes are router.h's; their
 * handlers are in api_jobs.c and api_ops.c.
 */
#ifndef PGJOB_API_H
#define PGJOB_API_H

#include "config.h"
#include "dbconn.h"
#include "error.h"
#include "request.h"

typedef struct Api Api;

/* api_new builds what every request shares: the accepted job types, the
 * long-poll listener and the metrics.  cfg is borrowed and must outlive
 * the Api.  Returns a new Api (free with api_free) or NULL with err. */
Api *api_new(const Config *cfg, Error *err);

/* api_free stops the long-poll listener and frees api; NULL is fine. */
void api_free(Api *api);

/* api_shutdown answers every held long-poll at once and refuses new waits;
 * call it when the process starts to stop. */
void api_shutdown(Api *api);

/* api_observe_rejected counts in the metrics a request answered with
 * status before it reached api_handle (route "none"). */
void api_observe_rejected(Api *api, int status);

/* api_handle answers req into res (both borrowed) using db, the calling
 * thread's connection.  Every error becomes a problem document. */
void api_handle(Api *api, DbConn *db, Request *req, Response *res);

#endif
