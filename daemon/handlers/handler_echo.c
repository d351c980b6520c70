/* SPDX-License-Identifier: MIT */
/*
 * handler_echo.c - the "echo" built-in handler: each item's output is the
 * item itself.  It does no work, which makes it the measure of pgjob's
 * own overhead (make bench) and a handy smoke test of an installation.
 */
#include "handler_echo.h"

static json_t *echo_item(void *arg, const json_t *item)
{
    (void)arg;
    return handler_item_result(item, json_deep_copy(item));
}

static HandlerStatus echo_run(const HandlerContext *ctx, const HandlerJob *job, HandlerOutput *out,
                              Error *err)
{
    return handler_each_item(ctx, job, out, 1, echo_item, NULL, err);
}

const Handler handler_echo = {.name = "echo", .run = echo_run};
