/* SPDX-License-Identifier: MIT */
/*
 * sdnotify.h - the systemd notify protocol (sd_notify(3)) without
 * libsystemd: one datagram of "VAR=value" lines to the AF_UNIX socket
 * named by $NOTIFY_SOCKET, a path, or with a leading '@' a name in Linux's
 * abstract namespace.  The service manager reads the sender's credentials
 * from the socket itself.  Well-known states: READY=1, RELOADING=1 with
 * MONOTONIC_USEC=..., STOPPING=1, STATUS=..., WATCHDOG=1.
 *
 * When $NOTIFY_SOCKET is not set (not started by systemd, or not as
 * Type=notify), every send is a no-op that succeeds.  Every function is
 * thread-safe as long as no thread changes the environment meanwhile; none
 * is async-signal-safe: call them from the main loop, never a signal
 * handler.
 */
#ifndef PGJOB_SDNOTIFY_H
#define PGJOB_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* sdnotify_send sends state (e.g. "READY=1\nSTATUS=idle"; a trailing
 * newline is not needed) as one datagram to $NOTIFY_SOCKET.  Each call
 * opens a socket, sends and closes it: no fd is kept, so nothing leaks
 * into the children a daemon starts and threads share no state.  Returns
 * true when the datagram was sent or $NOTIFY_SOCKET is unset or empty;
 * false with errno set when the address is unusable (EINVAL: neither an
 * absolute path nor '@'; ENAMETOOLONG: longer than a socket address holds)
 * or the socket calls failed (e.g. ECONNREFUSED, ENOENT: nobody listens;
 * EAGAIN: the receiver's queue is full, and the message is dropped rather
 * than waited for).  It never blocks and never raises SIGPIPE. */
bool sdnotify_send(const char *state) __attribute__((warn_unused_result));

/* sdnotify_sendf is sdnotify_send of a printf-style formatted state;
 * false (errno ENOMEM) also when the text cannot be built. */
bool sdnotify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
__attribute__((warn_unused_result));

/* sdnotify_watchdog_usec returns the watchdog timeout the service manager
 * expects keep-alives ("WATCHDOG=1") within, in microseconds; send one
 * every half of it (sd_watchdog_enabled(3)).  It returns 0 (no watchdog)
 * when $WATCHDOG_USEC is unset or not a positive integer, or when
 * $WATCHDOG_PID is set to anything but this process's pid (the variables
 * were inherited from a parent and are not meant for us). */
uint64_t sdnotify_watchdog_usec(void);

/* sdnotify_under_systemd says whether $NOTIFY_SOCKET is set (and not
 * empty), i.e. whether the service manager is waiting for notifications
 * from this process. */
bool sdnotify_under_systemd(void);

#endif
