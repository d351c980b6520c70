/* SPDX-License-Identifier: MIT */
/*
 * log.h - one line per event on stderr, "LEVEL program: message", gated by
 * a verbosity level.  Under systemd stderr is the journal, so there is no
 * log file and no timestamp.  Values that come from outside (requests,
 * the database, the environment) go through log_sanitize first.
 */
#ifndef PGJOB_LOG_H
#define PGJOB_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* LogLevel orders events from most to least important; the names avoid
 * syslog.h's LOG_INFO and LOG_DEBUG. */
typedef enum LogLevel {
    LOG_LEVEL_ERROR = 0,
    LOG_LEVEL_WARN = 1,
    LOG_LEVEL_INFO = 2,
    LOG_LEVEL_DEBUG = 3
} LogLevel;

/* The longest line written, newline included; longer messages are cut and
 * end in "...".  Below PIPE_BUF, so one line is one atomic write. */
enum { LOG_LINE_MAX = 2048 };

/* log_set_program sets the name printed after the level (copied, at most
 * 63 bytes; NULL means "pgjob").  Call it at startup, before any thread. */
void log_set_program(const char *name);

/* log_set_level makes events up to and including level visible; the
 * default is LOG_LEVEL_INFO.  Values outside the enum are clamped.  Safe
 * to call from any thread. */
void log_set_level(LogLevel level);

/* log_get_level returns the current level. */
LogLevel log_get_level(void);

/* log_enabled says whether an event of this level would be written, so a
 * caller can skip building an expensive message. */
bool log_enabled(LogLevel level);

/* log_error, log_warn, log_info and log_debug format one event and write
 * it as one line with a single write(2) on stderr (fd 2), so lines from
 * several threads or processes never interleave.  Control characters in
 * the formatted message become '?', so an event is always one line.  They
 * never fail visibly and leave errno as it was. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_sanitize copies src into dst[dstlen] so that it is safe to log:
 * printable ASCII is kept, a backslash becomes "\\", and every other byte
 * (control characters, DEL and all non-ASCII bytes, UTF-8 included)
 * becomes "\xNN".  If the result does not fit, it is cut between two
 * escapes and ends in "...".  src NULL is written as "(null)".  Returns
 * dst (borrowed from the caller) so it can be a printf argument; with
 * dstlen 0 nothing is written. */
char *log_sanitize(char *dst, size_t dstlen, const char *src);

#endif
