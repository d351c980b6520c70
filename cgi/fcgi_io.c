/* SPDX-License-Identifier: MIT */
/* fcgi_io.c - FCGX_Request in, Response out, and nothing else. */
#include "fcgi_io.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <fcgiapp.h>

#include "clock.h"
#include "log.h"
#include "profile.h"
#include "render.h"

/* BodyIo is what read_body needs of the connection. */
typedef struct BodyIo {
    FCGX_Request *fr;
    long timeout_ms; /* for the whole body */
} BodyIo;

/* set_read_timeout bounds each read(2) on the connection to ms (0: no
 * bound), so that a stalled body cannot hold the thread in libfcgi. */
static void set_read_timeout(int fd, long long ms)
{
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};

    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
        log_debug("cannot set a read timeout on the FastCGI connection");
}

/* read_body reads exactly req->content_length bytes of stdin into req
 * within the deadline (a BodyReader).  A body that ends early is a 400, one
 * that does not come in time a 408; max_body was checked before. */
static bool read_body(void *arg, Request *req, Error *err)
{
    BodyIo *io = arg;
    size_t want = (size_t)req->content_length, got = 0;
    long long deadline = clock_ms() + io->timeout_ms;
    char *buf;
    bool ok;

    if (want == 0)
        return true;
    buf = malloc(want);
    if (buf == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory reading the request body");
        return false;
    }
    while (got < want) {
        long long left = deadline - clock_ms();
        if (left <= 0)
            break;
        set_read_timeout(io->fr->ipcFd, left);
        size_t chunk = want - got > 65536 ? 65536 : want - got;
        int n = FCGX_GetStr(buf + got, (int)chunk, io->fr->in);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    set_read_timeout(io->fr->ipcFd, 0);
    if (got < want && clock_ms() >= deadline) {
        error_set(err, 408, "body_timeout",
                  "the body did not arrive within %ld ms (%zu of %zu bytes came)", io->timeout_ms,
                  got, want);
        free(buf);
        return false;
    }
    if (got < want) {
        error_set(err, 400, "incomplete_body", "the body ended after %zu of %zu bytes", got, want);
        free(buf);
        return false;
    }
    ok = request_set_body(req, buf, want, err);
    free(buf);
    return ok;
}

/* write_response writes res's head and, if wanted, its body. */
static void write_response(FCGX_Request *fr, const Response *res, bool head, const char *id)
{
    size_t len;
    char *text = render_head(res, &len);

    if (text == NULL) {
        static const char fallback[] = "Status: 500 Internal Server Error\r\n\r\n";
        FCGX_PutStr(fallback, (int)sizeof(fallback) - 1, fr->out);
        return;
    }
    bool ok = FCGX_PutStr(text, (int)len, fr->out) == (int)len;
    free(text);
    if (ok && render_body_wanted(res, head)) {
        size_t done = 0;
        while (ok && done < res->body_len) {
            size_t chunk = res->body_len - done > 1048576 ? 1048576 : res->body_len - done;
            ok = FCGX_PutStr(res->body + done, (int)chunk, fr->out) == (int)chunk;
            done += chunk;
        }
    }
    if (!ok)
        log_debug("[req %s] the client went away before the response was written", id);
}

/* answer_error writes err as a problem document, or in the envelope of
 * the API profile the web server named (profile.h). */
static void answer_error(FCGX_Request *fr, const Error *err, bool head, const char *id)
{
    const Profile *profile = profile_find(FCGX_GetParam("PGJOB_PROFILE", fr->envp));
    Response *res = response_new();
    bool ok = res != NULL &&
              (profile != NULL ? profile_render_error(profile, res, profile_error_kind(err), err)
                               : render_problem(res, err, NULL));

    if (!ok) {
        static const char fallback[] = "Status: 500 Internal Server Error\r\n\r\n";
        FCGX_PutStr(fallback, (int)sizeof(fallback) - 1, fr->out);
    } else {
        write_response(fr, res, head, id);
    }
    response_free(res);
}

void fcgi_io_serve(FCGX_Request *fr, long max_body, long body_timeout_ms, const char *id,
                   RequestHandler handle, RejectObserver rejected, void *arg)
{
    Error err = {0};
    Request *req = request_from_params(fr->envp, id, &err);
    Response *res = NULL;
    BodyIo io = {.fr = fr, .timeout_ms = body_timeout_ms};
    bool head = false;

    if (req == NULL) {
        answer_error(fr, &err, false, id);
        rejected(arg, err.status);
        return;
    }
    head = strcmp(req->method, "HEAD") == 0;
    if (!request_check_length(req, max_body, &err)) {
        answer_error(fr, &err, head, id);
        rejected(arg, err.status);
        goto out;
    }
    res = response_new();
    if (res == NULL) {
        error_set(&err, 500, "out_of_memory", "out of memory");
        answer_error(fr, &err, head, id);
        goto out;
    }
    req->body_reader = read_body;
    req->body_io = &io;
    handle(arg, req, res);
    write_response(fr, res, head, id);
out:
    response_free(res);
    request_free(req);
}
