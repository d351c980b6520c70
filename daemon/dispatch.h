/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h - pgjobd's main loop.  The dispatcher owns one database
 * connection: it LISTENs there for new work, claims jobs for the free
 * workers, records outcomes in batches, runs the maintenance timers, talks
 * to systemd and acts on signals.  It waits in exactly one place, a poll()
 * on that connection's socket and the wake-up pipe, with a timeout.
 */
#ifndef PGJOB_DISPATCH_H
#define PGJOB_DISPATCH_H

#include "config.h"

/* dispatch_run runs the daemon with cfg (borrowed; reloads update it in
 * place) until it is told to stop.  config_path is the file SIGHUP
 * reloads, or NULL.  Returns the process exit status: 0 after a clean
 * shutdown, 1 when the daemon could not start. */
int dispatch_run(Config *cfg, const char *config_path);

#endif
