/* SPDX-License-Identifier: MIT */
/*
 * signals.h - pgjobd's signal handling.  The handlers only count the
 * signal and write a byte to the dispatcher's wake-up pipe, so the poll()
 * the dispatcher waits in returns and its loop acts on the flags:
 *   SIGTERM, SIGINT  first: drain (stop claiming, let jobs finish within
 *                    the grace period, hand back the rest); second: fast
 *   SIGQUIT          fast exit: hand back every job now
 *   SIGHUP           reload the configuration
 *   SIGPIPE          ignored
 */
#ifndef PGJOB_SIGNALS_H
#define PGJOB_SIGNALS_H

#include <stdbool.h>

/* signals_install installs the handlers (without SA_RESTART, so blocking
 * calls return EINTR).  wake_fd is the non-blocking write end of the
 * wake-up pipe.  Returns false with errno set if sigaction fails. */
bool signals_install(int wake_fd) __attribute__((warn_unused_result));

/* signals_terms returns how many SIGTERM/SIGINT arrived so far. */
int signals_terms(void);

/* signals_quit says whether SIGQUIT arrived. */
bool signals_quit(void);

/* signals_take_hup says whether SIGHUP arrived since the last call. */
bool signals_take_hup(void);

#endif
