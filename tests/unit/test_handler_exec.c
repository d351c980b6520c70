/* SPDX-License-Identifier: MIT */
/*
 * test_handler_exec.c tests the exec handler (daemon/handlers/handler_exec.c): its
 * pure helpers, then real runs of small /bin/sh programs written into the
 * test's directory, with a fake daemon side (progress) that counts calls
 * and can tell the run to stop.  The test process is a child subreaper, so
 * that whatever a program leaves behind is reparented to it and can be
 * waited for: "the program's group is gone" is then checked exactly.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "handler_exec.h"
#include "log.h"
#include "suites.h"

/* Fake is the daemon's side of a run. */
typedef struct Fake {
    const HandlerOutput *out;
    size_t calls;      /* progress() calls */
    size_t last_done;  /* items_done of the last call */
    size_t stop_at;    /* answer false once items_done reaches this; 0: never */
    bool went_back;    /* items_done ever decreased */
    bool inconsistent; /* results did not hold items_done results at a call */
} Fake;

/* Case is one run of the handler and what it returned. */
typedef struct Case {
    char path[1024];
    char *argv[2];
    ExecSettings settings;
    json_t *items;    /* owned */
    json_t *metadata; /* owned */
    size_t items_done;
    int attempt;
    HandlerOutput out; /* results and validation_flags owned */
    Fake fake;
    Error err;
    HandlerStatus status;
    long long ms; /* wall time of the run */
} Case;

static long long clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool fake_progress(void *arg, size_t items_done)
{
    Fake *f = arg;

    if (items_done < f->last_done)
        f->went_back = true;
    if (json_array_size(f->out->results) != items_done)
        f->inconsistent = true;
    f->calls++;
    f->last_done = items_done;
    return f->stop_at == 0 || items_done < f->stop_at;
}

/* write_file writes text to path in the test's directory. */
static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    REQUIRE(f != NULL);
    REQUIRE(fputs(text, f) >= 0);
    REQUIRE(fclose(f) == 0);
    REQUIRE(chmod(path, mode) == 0);
}

/* read_file returns the contents of path (in a static buffer), or "". */
static const char *read_file(const char *path)
{
    static char text[4096];
    FILE *f = fopen(path, "r");
    size_t n = 0;

    if (f != NULL) {
        n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
    }
    text[n] = '\0';
    return text;
}

/* case_init prepares a run of the /bin/sh program body (NULL: set
 * c->path yourself) over items (JSON text), with pgjobd's setup: SIGPIPE
 * ignored.  Generous limits unless the test changes them. */
static void case_init(Case *c, const char *body, const char *items)
{
    char cwd[512];

    memset(c, 0, sizeof *c);
    signal(SIGPIPE, SIG_IGN);
    REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) == 0);
    REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
    snprintf(c->path, sizeof c->path, "%s/prog.sh", cwd);
    if (body != NULL) {
        char script[8192];
        snprintf(script, sizeof script, "#!/bin/sh\n%s\n", body);
        write_file(c->path, script, 0755);
    }
    c->argv[0] = c->path;
    c->settings.argv = c->argv;
    c->settings.timeout_seconds = 30;
    c->settings.max_output_bytes = 64L << 20;
    c->items = json_loads(items, 0, NULL);
    REQUIRE(c->items != NULL);
    c->metadata = json_object();
    c->attempt = 1;
    c->out.results = json_array();
    c->out.validation_flags = json_array();
    c->out.confidence = -1;
    c->out.cache_hit = -1;
    REQUIRE(c->metadata != NULL && c->out.results != NULL && c->out.validation_flags != NULL);
}

static void case_run(Case *c)
{
    HandlerContext ctx = {.progress = fake_progress, .arg = &c->fake, .settings = &c->settings};
    HandlerJob job = {
        .id = "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71",
        .type = "ocr",
        .attempt = c->attempt,
        .items = c->items,
        .metadata = c->metadata,
        .items_done = c->items_done,
        .results = c->out.results,
    };
    long long t0 = clock_ms();

    c->fake.out = &c->out;
    c->status = handler_exec.run(&ctx, &job, &c->out, &c->err);
    c->ms = clock_ms() - t0;
    CHECK(!c->fake.went_back);
    CHECK(!c->fake.inconsistent);
}

static void case_free(Case *c)
{
    json_decref(c->items);
    json_decref(c->metadata);
    json_decref(c->out.results);
    json_decref(c->out.validation_flags);
}

static const json_t *result(const Case *c, size_t i)
{
    return json_array_get(c->out.results, i);
}

static const char *result_status(const Case *c, size_t i)
{
    return json_string_value(json_object_get(result(c, i), "status"));
}

static const char *result_code(const Case *c, size_t i)
{
    return json_string_value(json_object_get(json_object_get(result(c, i), "error"), "code"));
}

static const char *result_message(const Case *c, size_t i)
{
    return json_string_value(json_object_get(json_object_get(result(c, i), "error"), "message"));
}

/* output_is says whether result i completed with output equal to json. */
static bool output_is(const Case *c, size_t i, const char *json)
{
    json_t *want = json_loads(json, JSON_DECODE_ANY, NULL);
    bool same = want != NULL && json_equal(json_object_get(result(c, i), "output"), want);

    json_decref(want);
    return same;
}

static bool has(const char *text, const char *part)
{
    return text != NULL && strstr(text, part) != NULL;
}

/* program_pid reads the "pid pgid" the program wrote to the file pid. */
static pid_t program_pid(pid_t *pgid)
{
    long pid = 0, group = 0;

    REQUIRE(sscanf(read_file("pid"), "%ld %ld", &pid, &group) == 2);
    *pgid = (pid_t)group;
    return (pid_t)pid;
}

/* group_gone waits for what was reparented to this test and says whether
 * the group pgid has no process left.  A process that does not die keeps
 * waitpid blocked until the alarm fails the test. */
static bool group_gone(pid_t pgid)
{
    alarm(10);
    for (;;) {
        if (kill(-pgid, 0) == -1 && errno == ESRCH)
            return true;
        if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
            return kill(-pgid, 0) == -1 && errno == ESRCH;
    }
}

/* The first line of a program that reports its pid and group. */
#define WRITE_PID "read -r p c s pp grp rest < /proc/$$/stat; echo \"$$ $grp\" > pid\n"

/* ---- pure helpers ---------------------------------------------------------- */

static json_t *line_result(const char *item_json, const char *line)
{
    json_t *item = json_loads(item_json, JSON_DECODE_ANY, NULL);
    json_t *r = handler_exec_line_result(item, line, strlen(line));

    json_decref(item);
    return r;
}

static const char *field(const json_t *r, const char *a, const char *b)
{
    const json_t *v = json_object_get(r, a);
    return json_string_value(b != NULL ? json_object_get(v, b) : v);
}

static void line_output(void)
{
    json_t *r = line_result("{\"custom_id\": \"k1\", \"x\": 1}", "{\"total\": 12.5}");
    json_t *want = json_pack("{s:s, s:s, s:{s:f}, s:n}", "custom_id", "k1", "status", "completed",
                             "output", "total", 12.5, "error");

    CHECK(json_equal(r, want));
    json_decref(r);
    json_decref(want);

    r = line_result("\"plain\"", "\"text\"\r");
    CHECK_STR(field(r, "status", NULL), "completed");
    CHECK_STR(field(r, "output", NULL), "text");
    CHECK(json_object_get(r, "custom_id") == NULL);
    json_decref(r);

    r = line_result("1", "null");
    CHECK_STR(field(r, "status", NULL), "completed");
    CHECK(json_is_null(json_object_get(r, "output")));
    json_decref(r);

    /* "error": null is not an error: the whole object is the output. */
    r = line_result("1", "{\"error\": null, \"v\": 2}");
    CHECK_STR(field(r, "status", NULL), "completed");
    CHECK(json_integer_value(json_object_get(json_object_get(r, "output"), "v")) == 2);
    json_decref(r);
}

static void line_errors(void)
{
    json_t *r = line_result("{\"custom_id\": 7}", "{\"error\": \"no text found\"}");

    CHECK_STR(field(r, "status", NULL), "failed");
    CHECK_STR(field(r, "error", "code"), "item_error");
    CHECK_STR(field(r, "error", "message"), "no text found");
    CHECK(json_is_null(json_object_get(r, "output")));
    CHECK(json_integer_value(json_object_get(r, "custom_id")) == 7);
    json_decref(r);

    r = line_result("1", "{\"error\": {\"code\": \"ocr_failed\", \"message\": \"blurry\"}}");
    CHECK_STR(field(r, "status", NULL), "failed");
    CHECK_STR(field(r, "error", "code"), "ocr_failed");
    CHECK_STR(field(r, "error", "message"), "blurry");
    json_decref(r);

    r = line_result("1", "{\"error\": {\"message\": \"no code\"}}");
    CHECK_STR(field(r, "error", "code"), "item_error");
    CHECK_STR(field(r, "error", "message"), "no code");
    json_decref(r);

    r = line_result("1", "{\"error\": true}");
    CHECK_STR(field(r, "status", NULL), "failed");
    CHECK_STR(field(r, "error", "code"), "item_error");
    CHECK(field(r, "error", "message") != NULL);
    json_decref(r);
}

static void line_bad(void)
{
    char long_line[400];
    json_t *r = line_result("{\"custom_id\": \"k\"}", "Traceback (most recent call last):");

    CHECK_STR(field(r, "status", NULL), "failed");
    CHECK_STR(field(r, "error", "code"), "bad_output");
    CHECK(has(field(r, "error", "message"), "Traceback (most recent call last):"));
    CHECK_STR(field(r, "custom_id", NULL), "k");
    json_decref(r);

    r = line_result("1", "");
    CHECK_STR(field(r, "error", "code"), "bad_output");
    CHECK(has(field(r, "error", "message"), "empty line"));
    json_decref(r);

    r = line_result("1", "  \r");
    CHECK_STR(field(r, "error", "code"), "bad_output");
    json_decref(r);

    r = line_result("1", "{\"a\": 1} trailing");
    CHECK_STR(field(r, "error", "code"), "bad_output");
    json_decref(r);

    /* A long line is quoted in part, and control bytes are escaped. */
    memset(long_line, 'x', sizeof long_line - 1);
    long_line[sizeof long_line - 1] = '\0';
    long_line[3] = '\x1b';
    r = line_result("1", long_line);
    CHECK_STR(field(r, "error", "code"), "bad_output");
    CHECK(has(field(r, "error", "message"), "xxx\\x1bxxx"));
    CHECK(has(field(r, "error", "message"), "..."));
    CHECK(strlen(field(r, "error", "message")) < 200);
    json_decref(r);
}

/* wait_status_of returns the wait status of a child that exits with code
 * (sig 0) or dies of sig. */
static int wait_status_of(int code, int sig)
{
    int status = 0;
    pid_t pid = fork();

    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (sig != 0) {
            signal(sig, SIG_DFL);
            raise(sig);
        }
        _exit(code);
    }
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return status;
}

static void exit_status_map(void)
{
    static const char tail[] = "loading model\nerror: input.pdf is encrypted\n";
    Error err = {0};

    CHECK_INT(handler_exec_exit_status(wait_status_of(0, 0), tail, strlen(tail), &err), HANDLER_OK);
    CHECK_INT(err.status, 0);

    CHECK_INT(handler_exec_exit_status(wait_status_of(65, 0), tail, strlen(tail), &err),
              HANDLER_FATAL);
    CHECK_STR(err.code, "exit_status");
    CHECK(has(err.message, "status 65 (EX_DATAERR)"));
    CHECK(has(err.message, "error: input.pdf is encrypted"));
    CHECK(err.status != 0);

    for (int code = 64; code <= 78; code++) {
        HandlerStatus want = code == 75 ? HANDLER_RETRY : HANDLER_FATAL;
        CHECK_INT(handler_exec_exit_status(wait_status_of(code, 0), NULL, 0, &err), want);
        CHECK_STR(err.code, "exit_status");
    }
    CHECK(has(err.message, "EX_CONFIG"));
    CHECK_INT(handler_exec_exit_status(wait_status_of(75, 0), NULL, 0, &err), HANDLER_RETRY);
    CHECK(has(err.message, "EX_TEMPFAIL"));
    CHECK_INT(handler_exec_exit_status(wait_status_of(1, 0), NULL, 0, &err), HANDLER_RETRY);
    CHECK(has(err.message, "status 1"));
    CHECK(!has(err.message, "stderr"));
    CHECK_INT(handler_exec_exit_status(wait_status_of(63, 0), NULL, 0, &err), HANDLER_RETRY);
    CHECK_INT(handler_exec_exit_status(wait_status_of(79, 0), NULL, 0, &err), HANDLER_RETRY);
    CHECK_INT(handler_exec_exit_status(wait_status_of(127, 0), NULL, 0, &err), HANDLER_RETRY);

    CHECK_INT(handler_exec_exit_status(wait_status_of(0, SIGKILL), tail, strlen(tail), &err),
              HANDLER_RETRY);
    CHECK_STR(err.code, "killed");
    CHECK(has(err.message, "signal 9 (SIGKILL)"));
    CHECK(has(err.message, "encrypted"));
    CHECK_INT(handler_exec_exit_status(wait_status_of(0, SIGSEGV), NULL, 0, &err), HANDLER_RETRY);
    CHECK_STR(err.code, "killed");
}

static void stderr_excerpt(void)
{
    char dst[ERROR_MESSAGE_SIZE], small[24], big[EXEC_STDERR_TAIL];
    const char *s;

    s = "step 1\nstep 2\n\nfailed: no\x01pe\n\n";
    CHECK_STR(handler_exec_stderr_excerpt(dst, sizeof dst, s, strlen(s)),
              "step 1 | step 2 | failed: no\\x01pe");
    CHECK_STR(handler_exec_stderr_excerpt(dst, sizeof dst, "\n \n", 3), "");
    CHECK_STR(handler_exec_stderr_excerpt(dst, sizeof dst, "", 0), "");
    CHECK_STR(handler_exec_stderr_excerpt(dst, sizeof dst, "crlf\r\n", 6), "crlf");

    /* Only the last lines that fit, starting at a line start. */
    s = "an early line that is long\nlast one\n";
    CHECK_STR(handler_exec_stderr_excerpt(small, sizeof small, s, strlen(s)), "last one");

    /* A last line longer than the room: its end, led by "...". */
    s = "0123456789abcdefghijklmnopqrstuvwxyz";
    CHECK_STR(handler_exec_stderr_excerpt(small, sizeof small, s, strlen(s)),
              "...ghijklmnopqrstuvwxyz");
    CHECK(strlen(small) < sizeof small);

    /* A full tail of non-ASCII bytes still fits, escaped. */
    memset(big, 0xe9, sizeof big);
    handler_exec_stderr_excerpt(dst, sizeof dst, big, sizeof big);
    CHECK(strlen(dst) < sizeof dst);
    CHECK(has(dst, "...\\xe9\\xe9"));
}

/* ---- runs ------------------------------------------------------------------ */

static void run_echo(void)
{
    Case c;

    case_init(&c, "exec cat",
              "[{\"custom_id\": \"a\", \"n\": 1}, {\"custom_id\": \"b\", \"n\": 2}, \"three\","
              " null, [1, {\"nested\": \"caf\\u00e9\\n\"}]]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_OK);
    REQUIRE(json_array_size(c.out.results) == 5);
    for (size_t i = 0; i < 5; i++) {
        CHECK_STR(result_status(&c, i), "completed");
        CHECK(json_equal(json_object_get(result(&c, i), "output"), json_array_get(c.items, i)));
    }
    CHECK_STR(json_string_value(json_object_get(result(&c, 0), "custom_id")), "a");
    CHECK_STR(json_string_value(json_object_get(result(&c, 1), "custom_id")), "b");
    CHECK(json_object_get(result(&c, 2), "custom_id") == NULL);
    CHECK(c.fake.calls >= 5);
    CHECK_INT(c.fake.last_done, 5);
    case_free(&c);
}

static void run_item_errors(void)
{
    Case c;

    case_init(&c,
              "cat > /dev/null\n"
              "echo '{\"error\": \"no text found\"}'\n"
              "echo '{\"error\": {\"code\": \"ocr_failed\", \"message\": \"too blurry\"}}'\n"
              "echo '{\"text\": \"ok\"}'\n",
              "[{\"custom_id\": \"p1\"}, {\"custom_id\": \"p2\"}, {\"custom_id\": \"p3\"}]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_OK);
    REQUIRE(json_array_size(c.out.results) == 3);
    CHECK_STR(result_status(&c, 0), "failed");
    CHECK_STR(result_code(&c, 0), "item_error");
    CHECK_STR(result_message(&c, 0), "no text found");
    CHECK_STR(result_status(&c, 1), "failed");
    CHECK_STR(result_code(&c, 1), "ocr_failed");
    CHECK_STR(result_message(&c, 1), "too blurry");
    CHECK_STR(result_status(&c, 2), "completed");
    CHECK(output_is(&c, 2, "{\"text\": \"ok\"}"));
    CHECK_STR(json_string_value(json_object_get(result(&c, 1), "custom_id")), "p2");
    case_free(&c);
}

/* A line that is not JSON, an empty line, and a last line without its
 * newline. */
static void run_bad_output(void)
{
    Case c;

    case_init(&c, "cat > /dev/null; printf 'Segmentation fault\\n\\n{\"n\": 3}'", "[1, 2, 3]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_OK);
    REQUIRE(json_array_size(c.out.results) == 3);
    CHECK_STR(result_code(&c, 0), "bad_output");
    CHECK(has(result_message(&c, 0), "Segmentation fault"));
    CHECK_STR(result_code(&c, 1), "bad_output");
    CHECK_STR(result_status(&c, 2), "completed");
    CHECK(output_is(&c, 2, "{\"n\": 3}"));
    case_free(&c);
}

static void run_no_output(void)
{
    Case c;

    case_init(&c, "read -r line; echo \"$line\"", "[\"a\", \"b\", \"c\"]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_OK);
    REQUIRE(json_array_size(c.out.results) == 3);
    CHECK_STR(result_status(&c, 0), "completed");
    CHECK_STR(result_code(&c, 1), "no_output");
    CHECK_STR(result_code(&c, 2), "no_output");
    case_free(&c);
}

static void run_extra_lines(void)
{
    Case c;

    case_init(&c, "cat; echo 3; echo 4; echo 5", "[1, 2]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_OK);
    REQUIRE(json_array_size(c.out.results) == 2);
    CHECK(output_is(&c, 0, "1"));
    CHECK(output_is(&c, 1, "2"));
    CHECK_INT(c.fake.last_done, 2);
    case_free(&c);
}

static void run_exit_tempfail(void)
{
    Case c;

    case_init(&c, "echo 'model server busy' >&2; exit 75", "[1]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_RETRY);
    CHECK_STR(c.err.code, "exit_status");
    CHECK(has(c.err.message, "75 (EX_TEMPFAIL)"));
    CHECK(has(c.err.message, "model server busy"));
    case_free(&c);
}

static void run_exit_dataerr(void)
{
    Case c;

    case_init(&c, "cat > /dev/null; echo 'input is not a PDF' >&2; exit 65", "[1, 2]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_FATAL);
    CHECK_STR(c.err.code, "exit_status");
    CHECK(has(c.err.message, "65 (EX_DATAERR)"));
    CHECK(has(c.err.message, "input is not a PDF"));
    case_free(&c);
}

/* Exit 1 is worth a retry; the results written before it stay. */
static void run_exit_one(void)
{
    Case c;

    case_init(&c, "read -r l; echo \"$l\"; echo 'lost connection' >&2; exit 1", "[10, 20, 30]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_RETRY);
    CHECK_STR(c.err.code, "exit_status");
    CHECK(has(c.err.message, "status 1"));
    CHECK(has(c.err.message, "lost connection"));
    REQUIRE(json_array_size(c.out.results) == 1);
    CHECK(output_is(&c, 0, "10"));
    CHECK_INT(c.fake.last_done, 1);
    case_free(&c);
}

static void run_killed(void)
{
    Case c;

    case_init(&c, "echo 'out of memory' >&2; kill -KILL $$", "[1]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_RETRY);
    CHECK_STR(c.err.code, "killed");
    CHECK(has(c.err.message, "SIGKILL"));
    CHECK(has(c.err.message, "out of memory"));
    case_free(&c);
}

/* The time limit: SIGTERM to the group (the shell and its sleep). */
static void run_timeout(void)
{
    Case c;
    pid_t pgid, pid;

    case_init(&c, WRITE_PID "echo 'thinking' >&2; sleep 60", "[1, 2]");
    c.settings.timeout_seconds = 1;
    case_run(&c);
    CHECK_INT(c.status, HANDLER_RETRY);
    CHECK_STR(c.err.code, "timeout");
    CHECK(has(c.err.message, "1 s"));
    CHECK(has(c.err.message, "thinking"));
    CHECK(c.ms >= 900 && c.ms < 3000);
    CHECK(c.fake.calls >= 1);
    pid = program_pid(&pgid);
    CHECK_INT(pgid, pid); /* the program leads its own group */
    CHECK(group_gone(pgid));
    CHECK(c.ms < 3000);
    case_free(&c);
}

/* A program that ignores SIGTERM gets SIGKILL after the grace, and
 * progress() is still called every second meanwhile. */
static void run_timeout_kill(void)
{
    Case c;
    pid_t pgid;

    case_init(&c, "trap '' TERM\n" WRITE_PID "sleep 60", "[1]");
    c.settings.timeout_seconds = 1;
    case_run(&c);
    CHECK_INT(c.status, HANDLER_RETRY);
    CHECK_STR(c.err.code, "timeout");
    CHECK(c.ms >= 1000 + EXEC_GRACE_MS - 100 && c.ms < 1000 + EXEC_GRACE_MS + 1500);
    CHECK(c.fake.calls >= 2);
    program_pid(&pgid);
    CHECK(group_gone(pgid));
    case_free(&c);
}

static void run_output_too_large(void)
{
    Case c;

    case_init(&c,
              "cat > /dev/null; i=0; while [ $i -lt 100 ]; do echo '{\"n\": 1}'; i=$((i+1)); done",
              "[1, 2, 3]");
    c.settings.max_output_bytes = 100;
    case_run(&c);
    CHECK_INT(c.status, HANDLER_FATAL);
    CHECK_STR(c.err.code, "output_too_large");
    CHECK(has(c.err.message, "100 bytes"));
    case_free(&c);
}

/* One line longer than the cap, never ending, is cut off too. */
static void run_line_too_large(void)
{
    Case c;
    pid_t pgid;

    case_init(&c, WRITE_PID "printf '\"'; exec tr '\\000' x < /dev/zero", "[1]");
    c.settings.max_output_bytes = 100000;
    case_run(&c);
    CHECK_INT(c.status, HANDLER_FATAL);
    CHECK_STR(c.err.code, "output_too_large");
    CHECK_INT(json_array_size(c.out.results), 0);
    program_pid(&pgid);
    CHECK(group_gone(pgid));
    case_free(&c);
}

static void run_not_found(void)
{
    Case c;

    case_init(&c, NULL, "[1]");
    snprintf(c.path, sizeof c.path, "/nonexistent/pgjob-ocr");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_FATAL);
    CHECK_STR(c.err.code, "exec_failed");
    CHECK(has(c.err.message, "/nonexistent/pgjob-ocr"));
    CHECK(has(c.err.message, strerror(ENOENT)));
    CHECK_INT(c.fake.calls, 0);
    case_free(&c);

    /* Not executable at all (no x bit: even root gets EACCES). */
    case_init(&c, "echo 1", "[1]");
    REQUIRE(chmod(c.path, 0644) == 0);
    case_run(&c);
    CHECK_INT(c.status, HANDLER_FATAL);
    CHECK_STR(c.err.code, "exec_failed");
    CHECK(has(c.err.message, strerror(EACCES)));
    case_free(&c);
}

/* progress() answering false stops the run and kills the program and
 * its helper. */
static void run_stop(void)
{
    Case c;
    pid_t pgid;

    case_init(&c, WRITE_PID "sleep 60 &\nwhile read -r l; do echo \"$l\"; done; wait",
              "[1, 2, 3, 4, 5]");
    c.fake.stop_at = 2;
    case_run(&c);
    CHECK_INT(c.status, HANDLER_STOPPED);
    CHECK_INT(c.fake.last_done, 2);
    CHECK_INT(json_array_size(c.out.results), 2);
    CHECK(c.ms < 2000);
    program_pid(&pgid);
    CHECK(group_gone(pgid));
    case_free(&c);
}

/* A resumed attempt feeds only the items after the checkpoint. */
static void run_resume(void)
{
    Case c;

    case_init(
        &c,
        "n=0\n"
        "while read -r l; do\n"
        "  n=$((n+1)); printf '{\"offset\": %s, \"item\": %s}\\n' \"$PGJOB_ITEM_OFFSET\" \"$l\"\n"
        "done\n"
        "echo $n > count",
        "[\"a\", \"b\", \"c\", \"d\", \"e\"]");
    c.items_done = 2;
    c.attempt = 2;
    for (int i = 0; i < 2; i++) {
        json_t *done = handler_item_result(json_array_get(c.items, i), json_string("old"));
        REQUIRE(done != NULL && json_array_append_new(c.out.results, done) == 0);
    }
    case_run(&c);
    CHECK_INT(c.status, HANDLER_OK);
    REQUIRE(json_array_size(c.out.results) == 5);
    CHECK(output_is(&c, 0, "\"old\""));
    CHECK(output_is(&c, 1, "\"old\""));
    CHECK(output_is(&c, 2, "{\"offset\": 2, \"item\": \"c\"}"));
    CHECK(output_is(&c, 4, "{\"offset\": 2, \"item\": \"e\"}"));
    CHECK_STR(read_file("count"), "3\n");
    CHECK_INT(c.fake.last_done, 5);
    case_free(&c);
}

/* The program's environment, descriptors and signal state. */
static void run_environment(void)
{
    Case c;
    int leak = open("/dev/null", O_RDONLY); /* not close-on-exec, like a careless library */
    char body[2048];
    json_t *o;
    unsigned long ignored = 1, blocked = 1;
    static char *const named[] = {"EXEC_TEST_NAMED", NULL};

    REQUIRE(leak > 2);
    REQUIRE(setenv("PGJOB_JOB_ID", "stale", 1) == 0);
    /* Only the safe list and the named variables pass: never libpq's. */
    REQUIRE(setenv("EXEC_TEST_NAMED", "yes", 1) == 0);
    REQUIRE(setenv("EXEC_TEST_UNNAMED", "leaked", 1) == 0);
    REQUIRE(setenv("PGPASSWORD", "secret", 1) == 0);
    REQUIRE(setenv("PGJOB_DATABASE", "postgresql://u:secret@h/db", 1) == 0);
    REQUIRE(setenv("LC_TIME", "C", 1) == 0);
    snprintf(body, sizeof body,
             "read -r item\n"
             "if [ -e /proc/$$/fd/%d ]; then leak=true; else leak=false; fi\n"
             "ign=$(awk '/^SigIgn/ {print $2}' /proc/$$/status)\n"
             "blk=$(awk '/^SigBlk/ {print $2}' /proc/$$/status)\n"
             "ids=$(env | grep -c '^PGJOB_JOB_ID=')\n"
             "secret=$(env | grep -c -e secret -e EXEC_TEST_UNNAMED)\n"
             "printf '{\"id\": \"%%s\", \"type\": \"%%s\", \"attempt\": %%s, \"offset\": %%s, "
             "\"metadata\": %%s, \"inherited\": \"%%s\", \"ids\": %%s, \"secret\": %%s, "
             "\"path\": \"%%s\", \"lc\": \"%%s\", \"leak\": %%s, "
             "\"ign\": \"%%s\", \"blk\": \"%%s\", \"item\": %%s}\\n' \"$PGJOB_JOB_ID\" "
             "\"$PGJOB_JOB_TYPE\" \"$PGJOB_ATTEMPT\" \"$PGJOB_ITEM_OFFSET\" \"$PGJOB_METADATA\" "
             "\"$EXEC_TEST_NAMED\" \"$ids\" \"$secret\" \"$PATH\" \"$LC_TIME\" $leak \"$ign\" "
             "\"$blk\" \"$item\"\n",
             leak);
    case_init(&c, body, "[{\"q\": \"caf\\u00e9 \\\"x\\\"\"}]");
    json_object_set_new(c.metadata, "source", json_string("unit"));
    json_object_set_new(c.metadata, "n", json_integer(1));
    c.attempt = 3;
    c.settings.environment = named;
    {
        sigset_t mask; /* a worker thread of pgjobd blocks every signal */
        sigfillset(&mask);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        case_run(&c);
        sigprocmask(SIG_UNBLOCK, &mask, NULL);
    }
    CHECK_INT(c.status, HANDLER_OK);
    REQUIRE(json_array_size(c.out.results) == 1);
    CHECK_STR(result_status(&c, 0), "completed");
    o = json_object_get(result(&c, 0), "output");
    CHECK_STR(json_string_value(json_object_get(o, "id")), "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71");
    CHECK_STR(json_string_value(json_object_get(o, "type")), "ocr");
    CHECK_INT(json_integer_value(json_object_get(o, "attempt")), 3);
    CHECK_INT(json_integer_value(json_object_get(o, "offset")), 0);
    CHECK(json_equal(json_object_get(o, "metadata"), c.metadata));
    CHECK_STR(json_string_value(json_object_get(o, "inherited")), "yes");
    CHECK_INT(json_integer_value(json_object_get(o, "ids")), 1);
    CHECK_INT(json_integer_value(json_object_get(o, "secret")), 0);
    CHECK_STR(json_string_value(json_object_get(o, "path")), getenv("PATH"));
    CHECK_STR(json_string_value(json_object_get(o, "lc")), "C");
    CHECK(json_is_false(json_object_get(o, "leak")));
    CHECK(json_equal(json_object_get(o, "item"), json_array_get(c.items, 0)));
    CHECK(sscanf(json_string_value(json_object_get(o, "ign")), "%lx", &ignored) == 1);
    CHECK(sscanf(json_string_value(json_object_get(o, "blk")), "%lx", &blocked) == 1);
    CHECK((ignored & (1UL << (SIGPIPE - 1))) == 0); /* pgjobd's SIG_IGN is not inherited */
    CHECK_INT(blocked, 0);
    close(leak);
    unsetenv("EXEC_TEST_NAMED");
    unsetenv("EXEC_TEST_UNNAMED");
    unsetenv("PGPASSWORD");
    unsetenv("PGJOB_DATABASE");
    unsetenv("LC_TIME");
    case_free(&c);
}

/* A program may ignore its input and still answer; the unread input ends
 * in EPIPE, which is no error. */
static void run_ignores_stdin(void)
{
    Case c;
    json_t *big = json_array();
    char *text = malloc(60000);

    REQUIRE(big != NULL && text != NULL);
    memset(text, 'w', 59999);
    text[59999] = '\0';
    for (int i = 0; i < 3; i++)
        json_array_append_new(big, json_string(text));
    case_init(&c, "echo '\"one\"'; echo '\"two\"'; echo '\"three\"'", "[]");
    json_decref(c.items);
    c.items = big;
    case_run(&c);
    CHECK_INT(c.status, HANDLER_OK);
    REQUIRE(json_array_size(c.out.results) == 3);
    CHECK(output_is(&c, 0, "\"one\""));
    CHECK(output_is(&c, 2, "\"three\""));
    free(text);
    case_free(&c);
}

/* 10,000 items through cat: the pipes fill both ways without deadlock. */
static void run_large_input(void)
{
    enum { N = 10000 };
    Case c;
    json_t *items = json_array();
    bool all_same = true;

    REQUIRE(items != NULL);
    for (int i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "row-%d", i);
        json_array_append_new(items, json_pack("{s:s, s:i, s:s}", "custom_id", id, "n", i, "text",
                                               "the quick brown fox jumps over the lazy dog"));
    }
    case_init(&c, "exec cat", "[]");
    json_decref(c.items);
    c.items = items;
    case_run(&c);
    CHECK_INT(c.status, HANDLER_OK);
    REQUIRE(json_array_size(c.out.results) == N);
    for (size_t i = 0; i < N; i++) {
        if (!json_equal(json_object_get(result(&c, i), "output"), json_array_get(items, i)))
            all_same = false;
    }
    CHECK(all_same);
    CHECK_STR(json_string_value(json_object_get(result(&c, N - 1), "custom_id")), "row-9999");
    CHECK(c.fake.calls >= N);
    case_free(&c);
}

/* Much stderr before the program reads its input; the failure message
 * ends with the last stderr line. */
static void run_stderr_flood(void)
{
    Case c;

    case_init(
        &c,
        "awk 'BEGIN { for (i = 0; i < 20000; i++) print \"noise line \" i > \"/dev/stderr\" }'\n"
        "cat\n"
        "echo 'final words' >&2\n"
        "exit 3",
        "[1, 2, 3]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_RETRY);
    CHECK_STR(c.err.code, "exit_status");
    CHECK(has(c.err.message, "final words"));
    CHECK(has(c.err.message, "noise line 19999"));
    CHECK_INT(json_array_size(c.out.results), 3);
    case_free(&c);
}

/* A helper left running in the background (holding stdout open) is killed
 * when the program exits. */
static void run_stray_killed(void)
{
    Case c;
    pid_t pgid;

    case_init(&c, WRITE_PID "sleep 60 &\ncat", "[1, 2]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_OK);
    CHECK_INT(json_array_size(c.out.results), 2);
    CHECK(c.ms < 1500);
    program_pid(&pgid);
    CHECK(group_gone(pgid));
    case_free(&c);
}

/* A helper that left the group (setsid) and holds stdout open cannot be
 * killed by the handler: the drain gives up after the grace. */
static void run_escaped_helper(void)
{
    Case c;
    long pid = 0;

    case_init(&c,
              "setsid sh -c 'echo $$ > escaped.tmp; mv escaped.tmp escaped; exec sleep 60' &\n"
              "while [ ! -e escaped ]; do :; done\n"
              "cat",
              "[1, 2]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_OK);
    CHECK_INT(json_array_size(c.out.results), 2);
    CHECK(c.ms >= EXEC_GRACE_MS - 100 && c.ms < EXEC_GRACE_MS + 1500);
    REQUIRE(sscanf(read_file("escaped"), "%ld", &pid) == 1 && pid > 1);
    CHECK(kill((pid_t)pid, SIGKILL) == 0);
    CHECK(group_gone((pid_t)pid));
    case_free(&c);
}

/* Each stderr line is logged at debug level, sanitized, with the job. */
static void run_stderr_logged(void)
{
    Case c;
    int fd = open("log.txt", O_CREAT | O_TRUNC | O_WRONLY, 0600);
    int saved = dup(STDERR_FILENO);
    const char *log;

    REQUIRE(fd >= 0 && saved >= 0);
    case_init(&c, "printf 'page 1 of 2\\n\\033[31mred\\n' >&2; exec cat", "[1]");
    log_set_level(LOG_LEVEL_DEBUG);
    REQUIRE(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
    case_run(&c);
    REQUIRE(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
    log_set_level(LOG_LEVEL_INFO);
    close(fd);
    close(saved);
    CHECK_INT(c.status, HANDLER_OK);
    log = read_file("log.txt");
    CHECK(has(log,
              "DEBUG pgjob: [job 0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71] ocr: stderr: page 1 "
              "of 2\n"));
    CHECK(has(log, "ocr: stderr: \\x1b[31mred\n"));
    case_free(&c);
}

/* progress() is called every second while the program works on an item. */
static void run_progress_tick(void)
{
    Case c;

    case_init(&c, "read -r l; sleep 1.3; echo \"$l\"", "[1]");
    case_run(&c);
    CHECK_INT(c.status, HANDLER_OK);
    CHECK(c.fake.calls >= 2);
    CHECK_INT(c.fake.last_done, 1);
    case_free(&c);
}

/* A checkpoint that already holds every result runs nothing. */
static void run_nothing_left(void)
{
    Case c;

    case_init(&c, NULL, "[1]");
    snprintf(c.path, sizeof c.path, "/nonexistent/never-run");
    c.items_done = 1;
    json_array_append_new(c.out.results,
                          handler_item_result(json_array_get(c.items, 0), json_integer(1)));
    case_run(&c);
    CHECK_INT(c.status, HANDLER_OK);
    CHECK_INT(json_array_size(c.out.results), 1);
    case_free(&c);
}

const Test handler_exec_tests[] = {
    {"handler_exec_line_output", line_output},
    {"handler_exec_line_errors", line_errors},
    {"handler_exec_line_bad", line_bad},
    {"handler_exec_exit_status_map", exit_status_map},
    {"handler_exec_stderr_excerpt", stderr_excerpt},
    {"handler_exec_echo", run_echo},
    {"handler_exec_item_errors", run_item_errors},
    {"handler_exec_bad_output", run_bad_output},
    {"handler_exec_no_output", run_no_output},
    {"handler_exec_extra_lines", run_extra_lines},
    {"handler_exec_exit_tempfail", run_exit_tempfail},
    {"handler_exec_exit_dataerr", run_exit_dataerr},
    {"handler_exec_exit_one", run_exit_one},
    {"handler_exec_killed", run_killed},
    {"handler_exec_timeout", run_timeout},
    {"handler_exec_timeout_kill", run_timeout_kill},
    {"handler_exec_output_too_large", run_output_too_large},
    {"handler_exec_line_too_large", run_line_too_large},
    {"handler_exec_not_found", run_not_found},
    {"handler_exec_stop", run_stop},
    {"handler_exec_resume", run_resume},
    {"handler_exec_environment", run_environment},
    {"handler_exec_ignores_stdin", run_ignores_stdin},
    {"handler_exec_large_input", run_large_input},
    {"handler_exec_stderr_flood", run_stderr_flood},
    {"handler_exec_stray_killed", run_stray_killed},
    {"handler_exec_escaped_helper", run_escaped_helper},
    {"handler_exec_stderr_logged", run_stderr_logged},
    {"handler_exec_progress_tick", run_progress_tick},
    {"handler_exec_nothing_left", run_nothing_left},
    {NULL, NULL},
};
