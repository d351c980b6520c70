/* SPDX-License-Identifier: MIT */
/*
 * pending.c - the outcomes that came back from the workers and are not
 * yet recorded (Dispatcher.pending; see dispatcher.h).
 */
#include <stdlib.h>

#include "clock.h"
#include "dispatcher.h"
#include "log.h"

/* pending_add keeps o until it is written; false (o freed) on no memory. */
bool pending_add(Dispatcher *d, Outcome *o)
{
    if (d->npending == d->pending_cap) {
        size_t cap = d->pending_cap ? d->pending_cap * 2 : 64;
        Outcome **p = realloc(d->pending, cap * sizeof(*p));
        if (p == NULL) {
            log_error("[job %s] out of memory keeping its outcome; its lease will expire",
                      o->job->id);
            outcome_free(o);
            return false;
        }
        d->pending = p;
        d->pending_cap = cap;
    }
    if (d->npending == 0)
        d->pending_since = clock_ms();
    d->pending[d->npending++] = o;
    return true;
}
