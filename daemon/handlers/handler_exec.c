/* SPDX-License-Identifier: MIT */
/*
 * handler_exec.c runs an exec type's program for one attempt of a job and
 * turns its JSON Lines into results; the contract is in handler_exec.h.
 *
 * Wording: the "program" is the configured command; its "group" is the
 * process group it leads (group id = its pid), which every signal
 * targets so that whatever it started dies with it.  The "feed" is the
 * items serialized for its stdin and not yet written.  A "line" is one
 * line of its stdout without the newline.  The "grace" (EXEC_GRACE_MS)
 * is how long a program has between SIGTERM and SIGKILL, and how long its
 * pipes are drained after it exits.
 *
 * A run is a small state machine driven by one poll() loop that writes
 * stdin and reads stdout and stderr together, so that a program may write
 * a lot before it has read everything without either side blocking, and
 * that wakes at least once a second so that progress() renews the lease:
 *
 *   RUN_ACTIVE --time limit--> RUN_TERMINATING (SIGTERM) --grace--> SIGKILL --+
 *       |                           | the program exits                       |
 *       | the program exits         +-------------------------------------+   |
 *       v                                                                 v   v
 *   RUN_DRAINING (read the pipes to EOF, at most the grace) ---------> RUN_DONE
 *
 * Too much output, progress() answering false and the handler's own
 * failures (memory, poll) go straight to RUN_DONE through SIGKILL and a
 * blocking reap.  The program is reaped on every path.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2, environ, NSIG, syscall */
#endif
#include "handler_exec.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

enum {
    TICK_MS = 1000,     /* longest time between two progress() calls, ms */
    EXIT_POLL_MS = 10,  /* exit check step without a pidfd once the pipes are closed, ms */
    READ_CHUNK = 32768, /* bytes read from a pipe per wakeup */
    FEED_CHUNK = 65536, /* bytes of items serialized ahead of the program */
    STDERR_LINE = 256,  /* longest stderr line logged whole, bytes */
    NENV = 5,           /* PGJOB_* variables set for the program */
};

/* RunState is where a run is; see the diagram at the top. */
typedef enum RunState {
    RUN_ACTIVE,      /* the program runs within its time limit */
    RUN_TERMINATING, /* SIGTERM sent at the time limit; SIGKILL at until_ms */
    RUN_DRAINING,    /* the program exited; its pipes are read until EOF or until_ms */
    RUN_DONE,        /* the program is reaped; nothing more is read */
} RunState;

/* RunEnd is why a run ended, which decides what run() returns. */
typedef enum RunEnd {
    END_EXITED,    /* the program ended on its own: its wait status decides */
    END_TIMEOUT,   /* over timeout_seconds */
    END_TOO_LARGE, /* over max_output_bytes of stdout */
    END_STOPPED,   /* progress() answered false */
    END_FAILED,    /* the handler itself failed (memory, poll); fail says why */
} RunEnd;

/* Buf is a growable byte buffer; data is NULL until the first reserve. */
typedef struct Buf {
    char *data;
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
} Buf;

/* ExecRun is one run of the program for one attempt. */
typedef struct ExecRun {
    const HandlerContext *ctx;
    const HandlerJob *job;
    const ExecSettings *settings;
    HandlerOutput *out;
    size_t count;       /* items in the job */
    size_t fed;         /* index of the next item to serialize into the feed */
    size_t produced;    /* results appended by this run */
    size_t extra_lines; /* stdout lines past the last item, ignored */
    pid_t pid;          /* the program; -1 when not started or reaped */
    pid_t pgid;         /* its group: its pid */
    int wait_status;    /* from waitpid once reaped; -1: lost */
    int pidfd;          /* readable once the program exits; -1: none (old kernel) */
    int in_fd;          /* our end of its stdin; -1 once closed */
    int out_fd;         /* our end of its stdout; -1 once at EOF */
    int err_fd;         /* our end of its stderr; -1 once at EOF */
    Buf feed;           /* serialized items, written from feed_pos on */
    size_t feed_pos;
    Buf line;                        /* the stdout line read so far */
    long long out_bytes;             /* stdout bytes read, for max_output_bytes */
    char err_tail[EXEC_STDERR_TAIL]; /* the last bytes of stderr */
    size_t err_tail_len;
    char err_line[STDERR_LINE]; /* the stderr line being collected for the log */
    size_t err_line_len;
    bool err_line_long; /* err_line was cut */
    RunState state;
    RunEnd end;
    long long deadline_ms; /* monotonic time limit; LLONG_MAX: none */
    long long until_ms;    /* RUN_TERMINATING: SIGKILL; RUN_DRAINING: stop draining */
    long long progress_ms; /* last progress() call */
    Error fail;            /* END_FAILED: why */
    Error report;          /* a bad job report line: fails the job when set */
    size_t reports;        /* job report lines taken */
} ExecRun;

/* Spawn holds what starting the program needs; -1 marks a closed fd. */
typedef struct Spawn {
    int in[2], out[2], err[2];
    int report[2]; /* the child writes execve's errno here; EOF means it ran */
    char **envp;   /* entries [0, NENV) owned, the rest borrowed from environ (env_passed) */
    pid_t parent;  /* pgjobd's pid, for the child's parent-death check */
} Spawn;

extern char **environ;

static const char *const env_names[NENV] = {
    "PGJOB_JOB_ID", "PGJOB_JOB_TYPE", "PGJOB_ATTEMPT", "PGJOB_ITEM_OFFSET", "PGJOB_METADATA",
};

/* The sysexits.h names of exit statuses EX__BASE (64) to EX__MAX (78). */
static const char *const sysexits_names[] = {
    "EX_USAGE",       "EX_DATAERR",  "EX_NOINPUT",  "EX_NOUSER", "EX_NOHOST",
    "EX_UNAVAILABLE", "EX_SOFTWARE", "EX_OSERR",    "EX_OSFILE", "EX_CANTCREAT",
    "EX_IOERR",       "EX_TEMPFAIL", "EX_PROTOCOL", "EX_NOPERM", "EX_CONFIG",
};

static void run_kill(ExecRun *r);

static void fd_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* buf_reserve makes room for more bytes after b->len; false when out of
 * memory (b is unchanged). */
static bool buf_reserve(Buf *b, size_t more)
{
    size_t cap = b->cap != 0 ? b->cap : 256;
    char *data;

    if (b->cap - b->len >= more)
        return true;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2)
            return false;
        cap *= 2;
    }
    data = realloc(b->data, cap);
    if (data == NULL)
        return false;
    b->data = data;
    b->cap = cap;
    return true;
}

static bool buf_append(Buf *b, const char *p, size_t n)
{
    if (n == 0)
        return true;
    if (!buf_reserve(b, n))
        return false;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return true;
}

/* ---- pure helpers -------------------------------------------------------- */

/* sanitized_width is how many bytes log_sanitize turns byte c into. */
static size_t sanitized_width(unsigned char c)
{
    if (c == '\\')
        return 2;
    return c >= ' ' && c < 0x7f ? 1 : 4;
}

/* is_blank says whether text[len] holds only whitespace. */
static bool is_blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!isspace((unsigned char)text[i]))
            return false;
    }
    return true;
}

/* excerpt_start returns where the excerpt of tail[0, end) begins: as far
 * back as fits in room sanitized bytes (a newline counts as the " | " it
 * becomes), moved on to the next line start when one is inside.  *cut
 * says that it begins inside a line. */
static size_t excerpt_start(const char *tail, size_t end, size_t room, bool *cut)
{
    size_t start = end, width = 0;
    const char *nl;

    while (start > 0) {
        unsigned char c = (unsigned char)tail[start - 1];
        size_t w = c == '\n' ? 3 : sanitized_width(c);
        if (width + w > room)
            break;
        width += w;
        start--;
    }
    *cut = false;
    if (start == 0 || tail[start - 1] == '\n')
        return start;
    nl = memchr(tail + start, '\n', end - start);
    if (nl != NULL)
        return (size_t)(nl - tail) + 1;
    *cut = true;
    return start;
}

char *handler_exec_stderr_excerpt(char *dst, size_t size, const char *tail, size_t len)
{
    static const char sep[] = " | ", dots[] = "...";
    char line[EXEC_STDERR_TAIL + 1];
    size_t end = len, start, pos = 0;
    bool cut, first = true;

    if (size == 0)
        return dst;
    dst[0] = '\0';
    while (end > 0 && isspace((unsigned char)tail[end - 1]))
        end--;
    if (end == 0 || size <= sizeof dots)
        return dst;
    start = excerpt_start(tail, end, size - sizeof dots, &cut);
    if (cut) {
        memcpy(dst, dots, sizeof dots);
        pos = sizeof dots - 1;
    }
    while (start < end && pos + 1 < size) {
        const char *nl = memchr(tail + start, '\n', end - start);
        size_t stop = nl != NULL ? (size_t)(nl - tail) : end;
        size_t n = stop - start;

        while (n > 0 && isspace((unsigned char)tail[start + n - 1]))
            n--;
        if (n > 0 && !is_blank(tail + start, n)) {
            if (!first && pos + sizeof sep <= size) {
                memcpy(dst + pos, sep, sizeof sep);
                pos += sizeof sep - 1;
            }
            first = false;
            if (n > sizeof line - 1)
                n = sizeof line - 1;
            memcpy(line, tail + start, n);
            line[n] = '\0';
            log_sanitize(dst + pos, size - pos, line);
            pos += strlen(dst + pos);
        }
        start = stop + 1;
    }
    return dst;
}

/* error_with_stderr fills err with code and "the program <what>", plus
 * "; stderr: " and the excerpt of the stderr tail that fits. */
static void error_with_stderr(Error *err, const char *code, const char *what, const char *tail,
                              size_t tail_len)
{
    static const char lead[] = "the program ", join[] = "; stderr: ";
    char excerpt[ERROR_MESSAGE_SIZE] = "";
    size_t used = sizeof lead - 1 + strlen(what) + sizeof join - 1;

    if (used < sizeof excerpt && tail != NULL)
        handler_exec_stderr_excerpt(excerpt, sizeof excerpt - used, tail, tail_len);
    error_set(err, 500, code, "%s%s%s%s", lead, what, excerpt[0] != '\0' ? join : "", excerpt);
}

/* The names of the signals a program usually dies of (strsignal is not
 * thread-safe everywhere). */
static const struct {
    int sig;
    const char *name;
} signal_names[] = {
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
    {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},   {SIGKILL, "SIGKILL"},
    {SIGSEGV, "SIGSEGV"}, {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
    {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
};

/* signal_name returns the name of sig, or NULL for a rare one. */
static const char *signal_name(int sig)
{
    for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++) {
        if (signal_names[i].sig == sig)
            return signal_names[i].name;
    }
    return NULL;
}

HandlerStatus handler_exec_exit_status(int wait_status, const char *stderr_tail, size_t tail_len,
                                       Error *err)
{
    char what[96];
    const char *code = "exit_status";
    HandlerStatus status = HANDLER_RETRY;

    if (WIFEXITED(wait_status)) {
        int exit_status = WEXITSTATUS(wait_status);
        if (exit_status == 0)
            return HANDLER_OK;
        if (exit_status >= EX__BASE && exit_status <= EX__MAX) {
            snprintf(what, sizeof what, "exited with status %d (%s)", exit_status,
                     sysexits_names[exit_status - EX__BASE]);
            /* The sysexits codes say "this input or setup is wrong", except
             * EX_TEMPFAIL, which says "try again later". */
            if (exit_status != EX_TEMPFAIL)
                status = HANDLER_FATAL;
        } else {
            snprintf(what, sizeof what, "exited with status %d", exit_status);
        }
    } else if (WIFSIGNALED(wait_status)) {
        int sig = WTERMSIG(wait_status);
        const char *name = signal_name(sig);
        code = "killed";
        if (name != NULL)
            snprintf(what, sizeof what, "was killed by signal %d (%s)", sig, name);
        else
            snprintf(what, sizeof what, "was killed by signal %d", sig);
    } else {
        snprintf(what, sizeof what, "ended with an unknown wait status (%d)", wait_status);
    }
    error_with_stderr(err, code, what, stderr_tail, tail_len);
    return status;
}

/* item_error_parts finds the code and message of a per-item error value:
 * a string is the message; an object may hold "code" and "message"
 * strings; anything missing gets a default. */
static void item_error_parts(const json_t *error, const char **code, const char **message)
{
    const json_t *c = json_is_object(error) ? json_object_get(error, "code") : NULL;
    const json_t *m = json_is_object(error) ? json_object_get(error, "message") : error;

    *code = json_is_string(c) && json_string_length(c) > 0 ? json_string_value(c) : "item_error";
    *message = json_is_string(m) ? json_string_value(m) : "the program reported an error";
}

json_t *handler_exec_line_result(const json_t *item, const char *line, size_t len)
{
    char raw[EXEC_BAD_LINE_PREFIX + 1], safe[EXEC_BAD_LINE_PREFIX * 4 + 8], message[512];
    json_error_t jerr;
    json_t *value = json_loadb(line, len, JSON_DECODE_ANY, &jerr);
    const json_t *error;

    if (value == NULL) {
        size_t n = len < EXEC_BAD_LINE_PREFIX ? len : EXEC_BAD_LINE_PREFIX;
        memcpy(raw, line, n);
        raw[n] = '\0';
        if (is_blank(line, len))
            snprintf(message, sizeof message, "the program wrote an empty line, not JSON");
        else
            snprintf(message, sizeof message, "the program wrote a line that is not JSON: %s%s",
                     log_sanitize(safe, sizeof safe, raw), len > n ? "..." : "");
        return handler_item_error(item, "bad_output", message);
    }
    error = json_is_object(value) ? json_object_get(value, "error") : NULL;
    if (error != NULL && !json_is_null(error)) {
        const char *code, *text;
        json_t *result;
        item_error_parts(error, &code, &text);
        result = handler_item_error(item, code, text);
        json_decref(value);
        return result;
    }
    return handler_item_result(item, value);
}

/* flag_ok says whether v is a validation flag {code, severity, message,
 * item?} as handler.h has them. */
static bool flag_ok(const json_t *v, size_t item_count)
{
    const char *severity = json_string_value(json_object_get(v, "severity"));
    const json_t *item = json_object_get(v, "item");

    /* A number names an item of this job: 0 <= item < item_count. */
    if (json_is_integer(item) &&
        (json_integer_value(item) < 0 || (json_int_t)item_count <= json_integer_value(item)))
        return false;
    return json_is_object(v) && json_is_string(json_object_get(v, "code")) &&
           json_string_length(json_object_get(v, "code")) > 0 && severity != NULL &&
           (strcmp(severity, "error") == 0 || strcmp(severity, "warning") == 0 ||
            strcmp(severity, "info") == 0) &&
           json_is_string(json_object_get(v, "message")) &&
           (item == NULL || json_is_null(item) || json_is_integer(item) || json_is_string(item));
}

int handler_exec_job_report(const char *line, size_t len, size_t item_count, bool reported,
                            HandlerOutput *out, Error *err)
{
    json_t *value = json_loadb(line, len, JSON_DECODE_ANY, NULL);
    const json_t *job = json_object_get(value, "job"), *v;
    const char *key;
    int rc = 0;

    if (!json_is_object(value) || json_object_size(value) != 1 || !json_is_object(job)) {
        json_decref(value);
        return 0;
    }
    /* One report per run: a second would grow the job's flags without
     * bound (and say the job's confidence twice). */
    if (reported) {
        json_decref(value);
        error_set(err, 500, "bad_job_report", "the program reported on the job more than once");
        return -1;
    }
    /* Every field is checked before any is taken: a bad report changes
     * nothing. */
    json_object_foreach((json_t *)job, key, v)
    {
        bool ok = true;
        if (strcmp(key, "validation_flags") == 0) {
            size_t i;
            const json_t *flag;
            ok = json_is_array(v);
            json_array_foreach(v, i, flag) ok = ok && flag_ok(flag, item_count);
        } else if (strcmp(key, "confidence") == 0) {
            ok = json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 1;
        } else if (strcmp(key, "model") == 0) {
            ok = json_is_string(v) && json_string_length(v) < sizeof out->model &&
                 strlen(json_string_value(v)) == json_string_length(v);
        } else if (strcmp(key, "cache_hit") == 0) {
            ok = json_is_boolean(v);
        } else {
            error_set(err, 500, "bad_job_report", "the job report has an unknown field \"%.40s\"",
                      key);
            rc = -1;
            break;
        }
        if (!ok) {
            error_set(err, 500, "bad_job_report",
                      "the job report's %s is malformed (see docs/handlers/exec.md)", key);
            rc = -1;
            break;
        }
    }
    if (rc == 0) {
        json_object_foreach((json_t *)job, key, v)
        {
            if (strcmp(key, "validation_flags") == 0)
                rc |= json_array_extend(out->validation_flags, (json_t *)v);
            else if (strcmp(key, "confidence") == 0)
                out->confidence = json_number_value(v);
            else if (strcmp(key, "model") == 0)
                snprintf(out->model, sizeof out->model, "%s", json_string_value(v));
            else if (strcmp(key, "cache_hit") == 0)
                out->cache_hit = json_is_true(v);
        }
        if (rc != 0) {
            error_set(err, 500, "out_of_memory", "out of memory taking the job report");
            rc = -1;
        } else {
            rc = 1;
        }
    }
    json_decref(value);
    return rc;
}

/* ---- starting the program ------------------------------------------------ */

/* env_pair returns a new "name=value" string, or NULL. */
static char *env_pair(const char *name, const char *value)
{
    size_t size = strlen(name) + strlen(value) + 2;
    char *s = malloc(size);

    if (s != NULL)
        snprintf(s, size, "%s=%s", name, value);
    return s;
}

/* The daemon's variables every program gets (when set): what a program
 * needs to find programs, its home and temporary folder, and to speak the
 * operator's locale and time zone.  LC_* is matched as a prefix. */
static const char *const env_safe[] = {"PATH", "HOME", "LANG", "TZ", "TMPDIR"};

/* env_named says whether entry ("NAME=value") is the variable name. */
static bool env_named(const char *entry, const char *name)
{
    size_t n = strlen(name);
    return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* env_passed says whether the daemon's variable entry goes to the program:
 * on the safe list or named by the type's configuration, never one of
 * the PGJOB_* the handler sets itself, never one of libpq's. */
static bool env_passed(const char *entry, const ExecSettings *settings)
{
    if (strncmp(entry, "PG", 2) == 0)
        return false;
    if (strncmp(entry, "LC_", 3) == 0)
        return true;
    for (size_t i = 0; i < sizeof(env_safe) / sizeof(env_safe[0]); i++) {
        if (env_named(entry, env_safe[i]))
            return true;
    }
    for (char *const *n = settings->environment; n != NULL && *n != NULL; n++) {
        if (env_named(entry, *n))
            return true;
    }
    return false;
}

static void env_free(char **envp)
{
    if (envp == NULL)
        return;
    for (size_t i = 0; i < NENV; i++)
        free(envp[i]);
    free(envp);
}

/* env_build returns the program's new environment: the PGJOB_* variables
 * of job (owned), then the daemon's variables env_passed lets through
 * (borrowed from environ); free it with env_free.  NULL when out of
 * memory. */
static char **env_build(const HandlerJob *job, const ExecSettings *settings)
{
    char attempt[24], offset[24];
    char *metadata = NULL;
    const char *values[NENV];
    size_t n = 0, k = NENV;
    char **envp;

    while (environ != NULL && environ[n] != NULL)
        n++;
    envp = calloc(n + NENV + 1, sizeof(char *));
    if (job->metadata != NULL)
        metadata = json_dumps(job->metadata, JSON_COMPACT | JSON_ENCODE_ANY);
    if (envp == NULL || (job->metadata != NULL && metadata == NULL))
        goto fail;
    snprintf(attempt, sizeof attempt, "%d", job->attempt);
    snprintf(offset, sizeof offset, "%zu", job->items_done);
    values[0] = job->id != NULL ? job->id : "";
    values[1] = job->type != NULL ? job->type : "";
    values[2] = attempt;
    values[3] = offset;
    values[4] = metadata != NULL ? metadata : "{}";
    for (size_t i = 0; i < NENV; i++) {
        envp[i] = env_pair(env_names[i], values[i]);
        if (envp[i] == NULL)
            goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if (env_passed(environ[i], settings))
            envp[k++] = environ[i];
    }
    free(metadata);
    return envp;
fail:
    free(metadata);
    env_free(envp);
    return NULL;
}

/* fd_above_stdio moves *fd above 2 (keeping close-on-exec), so that the
 * child's dup2 onto 0, 1 and 2 never overwrites another pipe end; that
 * can only happen when the daemon runs with a standard fd closed. */
static bool fd_above_stdio(int *fd)
{
    int moved;

    if (*fd > STDERR_FILENO)
        return true;
    moved = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (moved < 0)
        return false;
    close(*fd);
    *fd = moved;
    return true;
}

/* pipe_open opens a close-on-exec pipe, end ours (0 or 1) non-blocking:
 * the program's end stays blocking, as programs expect. */
static bool pipe_open(int p[2], int ours)
{
    int flags;

    if (pipe2(p, O_CLOEXEC) != 0)
        return false;
    if (!fd_above_stdio(&p[0]) || !fd_above_stdio(&p[1]))
        return false;
    if (ours < 0)
        return true;
    flags = fcntl(p[ours], F_GETFL);
    return flags >= 0 && fcntl(p[ours], F_SETFL, flags | O_NONBLOCK) == 0;
}

/* close_fds_from closes every fd from low up, except keep (>= low).  It
 * runs in the forked child, so it makes system calls only. */
static void close_fds_from(int low, int keep)
{
    struct rlimit rl;
    int max = 4096;

#ifdef SYS_close_range
    if ((keep == low || syscall(SYS_close_range, (unsigned)low, (unsigned)keep - 1, 0U) == 0) &&
        syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0)
        return;
#endif
    /* Without close_range, a bounded loop: our own fds are close-on-exec
     * anyway, this only tidies what the rest of the daemon left open. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        max = rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
    for (int fd = low; fd < max; fd++) {
        if (fd != keep)
            close(fd);
    }
}

/* child_exec runs in the forked child and never returns.  The daemon has
 * threads, so only async-signal-safe calls are allowed here; everything
 * it needs was prepared before fork. */
_Noreturn static void child_exec(char *const *argv, const Spawn *sp)
{
    struct sigaction dfl;
    sigset_t none;
    int e;

    (void)setpgid(0, 0);
    /* If pgjobd dies (kill -9), the program dies with it rather than run on
     * beside the attempt that rescues its job.  The signal comes when the
     * forking thread ends: a worker thread, which lives as long as pgjobd.
     * (Its parent may already be gone by now: then exit at once.) */
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != sp->parent)
        _exit(127);
    /* Ignored signals (SIGPIPE in pgjobd) and the worker thread's blocked
     * mask would otherwise survive execve. */
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        (void)sigaction(sig, &dfl, NULL);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(sp->in[0], STDIN_FILENO) < 0 || dup2(sp->out[1], STDOUT_FILENO) < 0 ||
        dup2(sp->err[1], STDERR_FILENO) < 0)
        goto fail;
    close_fds_from(STDERR_FILENO + 1, sp->report[1]);
    execve(argv[0], argv, sp->envp);
fail:
    e = errno;
    if (write(sp->report[1], &e, sizeof e) < 0) {
        /* Nothing left to tell: the parent sees exit status 127. */
    }
    _exit(127);
}

/* read_report waits for the child to run its program or fail to: returns
 * execve's errno, or 0 when the pipe closed on exec. */
static int read_report(int fd)
{
    int e = 0;
    ssize_t n;

    do {
        n = read(fd, &e, sizeof e);
    } while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof e ? e : 0;
}

/* pidfd_for returns an fd that poll() sees readable once pid exits, or
 * -1 where the kernel has no pidfd_open (then run_timeout polls). */
static int pidfd_for(pid_t pid)
{
#ifdef SYS_pidfd_open
    long fd = syscall(SYS_pidfd_open, pid, 0U);
    if (fd >= 0)
        return (int)fd;
#else
    (void)pid;
#endif
    return -1;
}

/* run_wait reaps the program, blocking. */
static void run_wait(ExecRun *r)
{
    pid_t got;

    do {
        got = waitpid(r->pid, &r->wait_status, 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        log_error("[job %s] %s: cannot reap pid %d: %s", r->job->id, r->job->type, (int)r->pid,
                  strerror(errno));
        r->wait_status = -1;
    }
    r->pid = -1;
}

/* spawn_close closes every fd of sp still open and frees its environment. */
static void spawn_close(Spawn *sp)
{
    int *fds[] = {&sp->in[0],  &sp->in[1],  &sp->out[0],    &sp->out[1],
                  &sp->err[0], &sp->err[1], &sp->report[0], &sp->report[1]};

    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        fd_close(fds[i]);
    env_free(sp->envp);
    sp->envp = NULL;
}

/* run_start starts the program with its pipes and environment.  Returns
 * HANDLER_OK when it runs, else HANDLER_FATAL (execve failed) or
 * HANDLER_RETRY (no memory, pipe or fork) with err filled. */
static HandlerStatus run_start(ExecRun *r, Error *err)
{
    Spawn sp = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}, NULL, 0};
    const char *path = r->settings->argv[0];
    char safe[256];
    HandlerStatus status = HANDLER_RETRY;
    int child_errno;

    sp.envp = env_build(r->job, r->settings);
    if (sp.envp == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory preparing the program's environment");
        goto out;
    }
    if (!pipe_open(sp.in, 1) || !pipe_open(sp.out, 0) || !pipe_open(sp.err, 0) ||
        !pipe_open(sp.report, -1)) {
        error_set(err, 500, "spawn_failed", "cannot create pipes: %s", strerror(errno));
        goto out;
    }
    sp.parent = getpid();
    r->pid = fork();
    if (r->pid < 0) {
        error_set(err, 500, "spawn_failed", "cannot fork: %s", strerror(errno));
        r->pid = -1;
        goto out;
    }
    if (r->pid == 0)
        child_exec(r->settings->argv, &sp);
    /* Both sides set the group, so that it exists whichever runs first. */
    r->pgid = r->pid;
    (void)setpgid(r->pid, r->pid);
    fd_close(&sp.in[0]);
    fd_close(&sp.out[1]);
    fd_close(&sp.err[1]);
    fd_close(&sp.report[1]);
    child_errno = read_report(sp.report[0]);
    if (child_errno != 0) {
        run_wait(r);
        error_set(err, 500, "exec_failed", "cannot run %s: %s",
                  log_sanitize(safe, sizeof safe, path), strerror(child_errno));
        status = HANDLER_FATAL;
        goto out;
    }
    r->in_fd = sp.in[1];
    r->out_fd = sp.out[0];
    r->err_fd = sp.err[0];
    sp.in[1] = sp.out[0] = sp.err[0] = -1;
    r->pidfd = pidfd_for(r->pid);
    log_debug("[job %s] %s: started %s as pid %d at item %zu", r->job->id, r->job->type,
              log_sanitize(safe, sizeof safe, path), (int)r->pid, r->job->items_done);
    status = HANDLER_OK;
out:
    spawn_close(&sp);
    return status;
}

/* ---- the run --------------------------------------------------------------- */

/* run_kill ends the run now: SIGKILL to the group while the program is
 * not reaped (its zombie keeps the group id from being reused), then a
 * blocking reap. */
static void run_kill(ExecRun *r)
{
    if (r->pid > 0) {
        (void)kill(-r->pgid, SIGKILL);
        (void)kill(r->pid, SIGKILL); /* in case setpgid failed in both processes */
        run_wait(r);
    }
    r->state = RUN_DONE;
}

/* run_failed ends the run for a failure of the handler itself. */
static void run_failed(ExecRun *r, const char *code, const char *message)
{
    error_set(&r->fail, 500, code, "%s", message);
    r->end = END_FAILED;
    run_kill(r);
}

/* run_progress reports the results so far; when the daemon answers that
 * the job must stop, the program is killed.  Returns whether to go on. */
static bool run_progress(ExecRun *r)
{
    const HandlerContext *ctx = r->ctx;

    r->progress_ms = clock_ms();
    if (ctx->progress == NULL || ctx->progress(ctx->arg, r->job->items_done + r->produced))
        return true;
    log_debug("[job %s] %s: told to stop after %zu items; killing the program", r->job->id,
              r->job->type, r->job->items_done + r->produced);
    r->end = END_STOPPED;
    run_kill(r);
    return false;
}

/* run_line makes the result of the next item from one stdout line. */
static void run_line(ExecRun *r, const char *text, size_t len)
{
    size_t index = r->job->items_done + r->produced;
    json_t *result;

    if (index >= r->count) {
        /* Past the last item: a job report, or a line to ignore. */
        Error err = {0};
        int taken = handler_exec_job_report(text, len, r->count, r->reports > 0, r->out, &err);
        if (taken < 0 && !error_is_set(&r->report))
            r->report = err;
        if (taken != 0)
            r->reports++;
        else
            r->extra_lines++;
        return;
    }
    result = handler_exec_line_result(json_array_get(r->job->items, index), text, len);
    if (result == NULL || json_array_append_new(r->out->results, result) != 0) {
        run_failed(r, "out_of_memory", "out of memory storing a result");
        return;
    }
    r->produced++;
    run_progress(r);
}

/* run_take_stdout splits a chunk of stdout into lines. */
static void run_take_stdout(ExecRun *r, const char *p, size_t n)
{
    while (n > 0 && r->state != RUN_DONE) {
        const char *nl = memchr(p, '\n', n);
        size_t part = nl != NULL ? (size_t)(nl - p) : n;

        if (nl != NULL && r->line.len == 0) {
            run_line(r, p, part); /* the whole line is in the chunk: no copy */
        } else if (!buf_append(&r->line, p, part)) {
            run_failed(r, "out_of_memory", "out of memory reading the program's output");
            return;
        } else if (nl != NULL) {
            run_line(r, r->line.data, r->line.len);
            r->line.len = 0;
        }
        if (nl == NULL)
            return;
        p += part + 1;
        n -= part + 1;
    }
}

static void run_read_stdout(ExecRun *r)
{
    char chunk[READ_CHUNK];
    long max = r->settings->max_output_bytes;
    ssize_t n = read(r->out_fd, chunk, sizeof chunk);

    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        if (n < 0)
            log_warn("[job %s] %s: reading stdout: %s", r->job->id, r->job->type, strerror(errno));
        fd_close(&r->out_fd);
        if (r->line.len > 0) /* a last line without its newline */
            run_line(r, r->line.data, r->line.len);
        r->line.len = 0;
        return;
    }
    r->out_bytes += n;
    if (max > 0 && r->out_bytes > max) {
        log_warn("[job %s] %s: the program wrote more than %ld bytes; killing it", r->job->id,
                 r->job->type, max);
        r->end = END_TOO_LARGE;
        run_kill(r);
        return;
    }
    run_take_stdout(r, chunk, (size_t)n);
}

/* err_keep appends stderr bytes to the bounded tail. */
static void err_keep(ExecRun *r, const char *p, size_t n)
{
    size_t cap = sizeof r->err_tail;

    if (n >= cap) {
        memcpy(r->err_tail, p + n - cap, cap);
        r->err_tail_len = cap;
        return;
    }
    if (r->err_tail_len + n > cap) {
        size_t drop = r->err_tail_len + n - cap;
        memmove(r->err_tail, r->err_tail + drop, r->err_tail_len - drop);
        r->err_tail_len -= drop;
    }
    memcpy(r->err_tail + r->err_tail_len, p, n);
    r->err_tail_len += n;
}

/* err_flush logs the collected stderr line at debug level. */
static void err_flush(ExecRun *r)
{
    char safe[STDERR_LINE * 4 + 8];

    r->err_line[r->err_line_len] = '\0';
    log_debug("[job %s] %s: stderr: %s%s", r->job->id, r->job->type,
              log_sanitize(safe, sizeof safe, r->err_line), r->err_line_long ? "..." : "");
    r->err_line_len = 0;
    r->err_line_long = false;
}

/* err_log collects stderr into lines for the debug log. */
static void err_log(ExecRun *r, const char *p, size_t n)
{
    if (!log_enabled(LOG_LEVEL_DEBUG))
        return;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n')
            err_flush(r);
        else if (r->err_line_len < sizeof r->err_line - 1)
            r->err_line[r->err_line_len++] = p[i];
        else
            r->err_line_long = true;
    }
}

static void run_read_stderr(ExecRun *r)
{
    char chunk[8192];
    ssize_t n = read(r->err_fd, chunk, sizeof chunk);

    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        if (r->err_line_len > 0 && log_enabled(LOG_LEVEL_DEBUG))
            err_flush(r);
        fd_close(&r->err_fd);
        return;
    }
    err_keep(r, chunk, (size_t)n);
    err_log(r, chunk, (size_t)n);
}

/* feed_item appends item as one compact JSON line to the feed. */
static bool feed_item(Buf *b, const json_t *item)
{
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    size_t n;

    if (!buf_reserve(b, 64))
        return false;
    n = json_dumpb(item, b->data + b->len, b->cap - b->len, flags);
    if (n == 0)
        return false;
    if (n + 1 > b->cap - b->len) { /* it did not fit: make room, write again */
        if (!buf_reserve(b, n + 1) || json_dumpb(item, b->data + b->len, n, flags) != n)
            return false;
    }
    b->data[b->len + n] = '\n';
    b->len += n + 1;
    return true;
}

/* run_refill serializes the next items into the emptied feed.  Once every
 * item is written it closes stdin, the program's end of input.  Returns
 * whether the feed holds bytes to write. */
static bool run_refill(ExecRun *r)
{
    r->feed.len = 0;
    r->feed_pos = 0;
    while (r->fed < r->count && r->feed.len < FEED_CHUNK) {
        if (!feed_item(&r->feed, json_array_get(r->job->items, r->fed))) {
            run_failed(r, "out_of_memory", "out of memory writing the items");
            return false;
        }
        r->fed++;
    }
    if (r->feed.len == 0)
        fd_close(&r->in_fd);
    return r->feed.len > 0;
}

static void run_write_stdin(ExecRun *r)
{
    while (r->in_fd >= 0) {
        ssize_t n;

        if (r->feed_pos == r->feed.len && !run_refill(r))
            return;
        n = write(r->in_fd, r->feed.data + r->feed_pos, r->feed.len - r->feed_pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0) {
            /* EPIPE: the program stopped reading, which is its right. */
            if (errno == EPIPE)
                log_debug("[job %s] %s: the program closed its stdin", r->job->id, r->job->type);
            else
                log_warn("[job %s] %s: writing stdin: %s", r->job->id, r->job->type,
                         strerror(errno));
            fd_close(&r->in_fd);
            return;
        }
        r->feed_pos += (size_t)n;
    }
}

/* run_reap reaps the program if it has exited.  Before that it kills what
 * is left of its group: the zombie still holds the group id, so the
 * signal cannot reach anyone else. */
static void run_reap(ExecRun *r)
{
    siginfo_t si;

    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (errno == EINTR)
            return;
    } else if (si.si_pid == 0) {
        return; /* still running */
    }
    (void)kill(-r->pgid, SIGKILL);
    run_wait(r);
    fd_close(&r->in_fd);
    fd_close(&r->pidfd);
    if (r->state == RUN_ACTIVE) {
        r->state = RUN_DRAINING;
        r->until_ms = clock_ms() + EXEC_GRACE_MS;
    } else {
        r->state = RUN_DONE;
    }
}

/* run_clock acts on the time: the time limit, the end of the grace, and
 * the progress() call due every TICK_MS. */
static void run_clock(ExecRun *r)
{
    long long now = clock_ms();

    if (r->state == RUN_ACTIVE && now >= r->deadline_ms) {
        log_info("[job %s] %s: time limit of %d s is up; terminating the program", r->job->id,
                 r->job->type, r->settings->timeout_seconds);
        (void)kill(-r->pgid, SIGTERM);
        fd_close(&r->in_fd);
        r->end = END_TIMEOUT;
        r->state = RUN_TERMINATING;
        r->until_ms = now + EXEC_GRACE_MS;
    } else if (r->state == RUN_TERMINATING && now >= r->until_ms) {
        log_warn("[job %s] %s: the program outlived SIGTERM by %d ms; killing it", r->job->id,
                 r->job->type, EXEC_GRACE_MS);
        run_kill(r);
    } else if (r->state == RUN_DRAINING && now >= r->until_ms) {
        /* Only a process that left the group can still hold the pipes. */
        log_warn("[job %s] %s: stdout still open %d ms after the program exited; giving up",
                 r->job->id, r->job->type, EXEC_GRACE_MS);
        r->state = RUN_DONE;
    }
    if (r->state != RUN_DONE && now - r->progress_ms >= TICK_MS)
        run_progress(r);
}

/* run_timeout is poll()'s timeout: until the next progress() call, the
 * time limit or the end of the grace, whichever comes first. */
static int run_timeout(const ExecRun *r)
{
    long long now = clock_ms();
    long long wake = r->progress_ms + TICK_MS;

    if (r->state == RUN_ACTIVE && r->deadline_ms < wake)
        wake = r->deadline_ms;
    if (r->state != RUN_ACTIVE && r->until_ms < wake)
        wake = r->until_ms;
    /* Without a pidfd nothing wakes us when the program exits after
     * closing its pipes, so look every few ms. */
    if (r->pid > 0 && r->pidfd < 0 && r->out_fd < 0 && r->err_fd < 0 && now + EXIT_POLL_MS < wake)
        wake = now + EXIT_POLL_MS;
    return wake <= now ? 0 : (int)(wake - now);
}

/* run_step waits once for the pipes, the exit or the clock, and acts. */
static void run_step(ExecRun *r)
{
    struct pollfd pfd[4];

    run_clock(r);
    if (r->state == RUN_DONE)
        return;
    pfd[0] = (struct pollfd){.fd = r->in_fd, .events = POLLOUT};
    pfd[1] = (struct pollfd){.fd = r->out_fd, .events = POLLIN};
    pfd[2] = (struct pollfd){.fd = r->err_fd, .events = POLLIN};
    pfd[3] = (struct pollfd){.fd = r->pidfd, .events = POLLIN};
    if (poll(pfd, 4, run_timeout(r)) < 0) {
        if (errno != EINTR)
            run_failed(r, "spawn_failed", "poll failed while running the program");
        return;
    }
    if (pfd[1].revents != 0)
        run_read_stdout(r);
    if (r->state != RUN_DONE && pfd[2].revents != 0)
        run_read_stderr(r);
    if (r->state != RUN_DONE && pfd[0].revents != 0)
        run_write_stdin(r);
    if (r->state != RUN_DONE && r->pid > 0)
        run_reap(r);
    if (r->state == RUN_DRAINING && r->out_fd < 0 && r->err_fd < 0)
        r->state = RUN_DONE;
}

/* run_fill_missing gives each item left without a line a no_output error. */
static bool run_fill_missing(ExecRun *r, Error *err)
{
    size_t first = r->job->items_done + r->produced;

    for (size_t i = first; i < r->count; i++) {
        json_t *result = handler_item_error(json_array_get(r->job->items, i), "no_output",
                                            "the program exited without a line for this item");
        if (result == NULL || json_array_append_new(r->out->results, result) != 0) {
            error_set(err, 500, "out_of_memory", "out of memory storing a result");
            return false;
        }
    }
    if (first < r->count)
        log_warn("[job %s] %s: the program exited without output for %zu of %zu items", r->job->id,
                 r->job->type, r->count - first, r->count - r->job->items_done);
    return true;
}

/* run_outcome turns the end of the run into run()'s return and err. */
static HandlerStatus run_outcome(ExecRun *r, Error *err)
{
    char what[96];
    HandlerStatus status;

    if (r->extra_lines > 0)
        log_warn("[job %s] %s: ignored %zu stdout lines past the last item", r->job->id,
                 r->job->type, r->extra_lines);
    switch (r->end) {
        case END_STOPPED:
            return HANDLER_STOPPED;
        case END_FAILED:
            *err = r->fail;
            return HANDLER_RETRY;
        case END_TOO_LARGE:
            error_set(err, 500, "output_too_large", "the program wrote more than %ld bytes",
                      r->settings->max_output_bytes);
            return HANDLER_FATAL;
        case END_TIMEOUT:
            snprintf(what, sizeof what, "did not finish within %d s", r->settings->timeout_seconds);
            error_with_stderr(err, "timeout", what, r->err_tail, r->err_tail_len);
            return HANDLER_RETRY;
        case END_EXITED:
            break;
    }
    status = handler_exec_exit_status(r->wait_status, r->err_tail, r->err_tail_len, err);
    if (status == HANDLER_OK && !run_fill_missing(r, err))
        status = HANDLER_RETRY;
    /* A program that reports badly is wrong the same way every time. */
    if (status == HANDLER_OK && error_is_set(&r->report)) {
        *err = r->report;
        status = strcmp(err->code, "out_of_memory") == 0 ? HANDLER_RETRY : HANDLER_FATAL;
    }
    return status;
}

/* run_release kills and reaps the program if it still runs and frees the
 * run's buffers. */
static void run_release(ExecRun *r)
{
    if (r->pid > 0)
        run_kill(r);
    fd_close(&r->in_fd);
    fd_close(&r->out_fd);
    fd_close(&r->err_fd);
    fd_close(&r->pidfd);
    free(r->feed.data);
    free(r->line.data);
}

static HandlerStatus exec_run(const HandlerContext *ctx, const HandlerJob *job, HandlerOutput *out,
                              Error *err)
{
    const ExecSettings *s = ctx->settings;
    ExecRun r = {
        .ctx = ctx,
        .job = job,
        .settings = s,
        .out = out,
        .count = json_array_size(job->items),
        .fed = job->items_done,
        .pid = -1,
        .pgid = -1,
        .pidfd = -1,
        .in_fd = -1,
        .out_fd = -1,
        .err_fd = -1,
        .state = RUN_ACTIVE,
        .end = END_EXITED,
        .deadline_ms = LLONG_MAX,
    };
    HandlerStatus status;

    if (s == NULL || s->argv == NULL || s->argv[0] == NULL || s->argv[0][0] == '\0') {
        error_set(err, 500, "exec_failed", "no program is configured for this job type");
        return HANDLER_FATAL;
    }
    if (job->items_done >= r.count)
        return HANDLER_OK; /* nothing left to feed */
    status = run_start(&r, err);
    if (status == HANDLER_OK) {
        r.progress_ms = clock_ms();
        if (s->timeout_seconds > 0)
            r.deadline_ms = r.progress_ms + (long long)s->timeout_seconds * 1000;
        while (r.state != RUN_DONE)
            run_step(&r);
        status = run_outcome(&r, err);
    }
    run_release(&r);
    return status;
}

const Handler handler_exec = {.name = "exec", .run = exec_run};
