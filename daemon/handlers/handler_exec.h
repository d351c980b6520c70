/* SPDX-License-Identifier: MIT */
/*
 * handler_exec.h - the "exec" handler: an operator-configured program
 * (never one named by a request) runs once per attempt and speaks JSON
 * Lines.  It gets the job's items from items_done on, one compact JSON
 * value per line on stdin, and writes one line per item on stdout, in
 * order:
 *
 *   {"error": "message"}                         the item failed, code item_error
 *   {"error": {"code": "c", "message": "m"}}     the item failed with that code
 *   any other JSON value                         the item's output
 *
 * A line that is not JSON, an empty line included, fails its item with
 * code bad_output.  A last line without a newline still counts.  Items
 * left without a line when the program exits with status 0 fail with
 * code no_output.
 *
 * After the last item's line the program may report on the whole job
 * with a line {"job": {...}} holding any of
 *   "validation_flags": [{"code", "severity" (error|warning|info),
 *                         "message", "item"?}, ...]   appended to the job's
 *   "confidence": a number from 0 to 1
 *   "model": a string of at most 63 bytes
 *   "cache_hit": true or false
 * (docs/handlers/exec.md has a whole program); a flag's numeric "item"
 * is an index of the job's items.  A report with another field or a
 * malformed one, or a second report, fails the job, not retried, with
 * code bad_job_report; nothing of it is taken.  Other lines past the last
 * item are ignored (one warning).
 *
 * The program runs with no shell (argv[0] is its path), its stdin, stdout
 * and stderr on pipes and no other descriptor open, default signal
 * dispositions and an empty signal mask, in a process group of its own,
 * and a clean environment: never the daemon's whole one, which holds the
 * database's credentials (PGPASSWORD, the URL in PGJOB_DATABASE) and
 * whatever else the service was given.  It gets:
 *   PATH, HOME, LANG, LC_* (each locale variable), TZ and TMPDIR, when
 *   the daemon has them;
 *   the variables ExecSettings.environment names (exec.<type>.environment;
 *   the configuration refuses PG* names), when the daemon has them;
 *   PGJOB_JOB_ID, PGJOB_JOB_TYPE, PGJOB_ATTEMPT (from 1),
 *   PGJOB_ITEM_OFFSET (index of the first item fed = items_done),
 *   PGJOB_METADATA (the job's metadata, compact JSON; the front end
 *   refuses metadata over 64 KiB, well within Linux's 128 KiB for one
 *   variable).
 * When the program exits, whatever is left of its process group is
 * killed: a job's helpers never outlive it.
 *
 * How a run ends:
 *   exit status 0                       HANDLER_OK
 *   exit status 64-78 but 75            HANDLER_FATAL, code exit_status
 *     (the permanent sysexits.h codes: EX_USAGE, EX_DATAERR, ... EX_CONFIG)
 *   any other exit status (75           HANDLER_RETRY, code exit_status
 *     EX_TEMPFAIL included)
 *   killed by a signal                  HANDLER_RETRY, code killed
 *   over timeout_seconds (wall clock)   SIGTERM to the group, SIGKILL after
 *                                       EXEC_GRACE_MS; HANDLER_RETRY, code timeout
 *   over max_output_bytes of stdout     SIGKILL; HANDLER_FATAL, code output_too_large
 *   cannot be started (execve fails)    HANDLER_FATAL, code exec_failed
 *   no pipe, fork or memory             HANDLER_RETRY, code spawn_failed / out_of_memory
 *   progress() answers false            SIGKILL; HANDLER_STOPPED
 * Failure messages end with the last lines of the program's stderr.  The
 * results of the items done before a failure stay in out->results.  Every
 * path reaps the program.  The daemon must ignore SIGPIPE (pgjobd does):
 * a program may exit without reading all of its input, which is fine.
 */
#ifndef PGJOB_HANDLER_EXEC_H
#define PGJOB_HANDLER_EXEC_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "handler.h"

/* ExecSettings is what HandlerContext.settings points to for an exec
 * type; the daemon fills one per configured type (config.h's ExecType). */
typedef struct ExecSettings {
    char *const *argv;        /* program and arguments, NULL-terminated; argv[0] is a path */
    int timeout_seconds;      /* wall-clock limit of one run, seconds; <= 0: none */
    long max_output_bytes;    /* most bytes read from stdout in one run; <= 0: no cap */
    char *const *environment; /* names passed on from the daemon's environment,
                                 NULL-terminated; NULL: none */
} ExecSettings;

enum {
    EXEC_GRACE_MS = 2000,      /* SIGTERM to SIGKILL; pipes drained after exit, ms */
    EXEC_STDERR_TAIL = 4096,   /* stderr bytes kept for the failure message */
    EXEC_BAD_LINE_PREFIX = 64, /* bytes of a non-JSON line quoted in its error */
};

/* handler_exec is the exec handler; ctx->settings is a const ExecSettings *. */
extern const Handler handler_exec;

/* handler_exec_line_result classifies one stdout line (line[len], no
 * newline, need not be NUL-terminated) as the result of item: a per-item
 * error ({"error": ...} not null, or bad_output when it is not JSON) or a
 * completed result holding the parsed value.  Returns a new result object
 * (see handler.h), or NULL when memory runs out. */
json_t *handler_exec_line_result(const json_t *item, const char *line, size_t len);

/* handler_exec_job_report takes line[len] as a job report (above) of a
 * job of item_count items into out: 1 when it was one and is taken, 0
 * when it is not a report (not an object whose one key is "job" holding
 * an object), -1 with err filled (bad_job_report, out_of_memory) when it
 * is a bad one, which changes nothing in out.  A report is bad when
 * reported (one was taken already), or when a flag's numeric item is
 * not from 0 to item_count - 1. */
int handler_exec_job_report(const char *line, size_t len, size_t item_count, bool reported,
                            HandlerOutput *out, Error *err);

/* handler_exec_exit_status maps a waitpid status to how the run ends (see
 * the table above).  For anything but HANDLER_OK it fills err with the
 * code (exit_status or killed) and a message naming the status or signal
 * and ending with the last lines of stderr_tail[tail_len] (borrowed; may
 * be NULL when tail_len is 0). */
HandlerStatus handler_exec_exit_status(int wait_status, const char *stderr_tail, size_t tail_len,
                                       Error *err);

/* handler_exec_stderr_excerpt writes into dst[size] the end of a stderr
 * tail, sanitized (log_sanitize) and made one line: its last lines,
 * oldest first, joined by " | ", as many as fit, the first one cut and
 * led by "..." when even it does not fit whole.  Empty when tail holds
 * only blanks.  Returns dst (borrowed from the caller). */
char *handler_exec_stderr_excerpt(char *dst, size_t size, const char *tail, size_t len);

#endif
