/* SPDX-License-Identifier: MIT */
/* fcgi_io.c - FCGX_Request in, Response out, and nothing else. */
#include "fcgi_io.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "clock.h"
#include "log.h"
#include "profile.h"
#include "render.h"

/* BodyIo is what read_body and hold need of the connection. */
typedef struct BodyIo {
    FCGX_Request *fr;
    long timeout_ms;     /* for the whole body */
    bool head;           /* a HEAD request: no body in the answer */
    HeldRequest *held;   /* set by hold: fr is the HeldRequest's now */
    FCGX_Request *spare; /* set by hold: what the caller accepts with next */
} BodyIo;

/* HeldRequest owns a held request and its libfcgi state (request.h). */
struct HeldRequest {
    FCGX_Request *fr;
    Request *req;
    bool head;
    char *out;       /* its answer as FastCGI records (fcgi_io_held_answer) */
    size_t out_len;  /* bytes in out */
    size_t out_sent; /* of them written */
};

/* set_timeout bounds each read(2) (SO_RCVTIMEO) or write(2) (SO_SNDTIMEO)
 * on the connection to ms (0: no bound), so that a stalled peer cannot
 * hold a thread in libfcgi. */
static void set_timeout(int fd, int option, long long ms)
{
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};

    if (setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv)) != 0)
        log_debug("cannot set a timeout on the FastCGI connection");
}

static void set_read_timeout(int fd, long long ms)
{
    set_timeout(fd, SO_RCVTIMEO, ms);
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

/* drain_input reads what is left of the request's stdin up to its end,
 * within timeout_ms: a held connection must have nothing left to read,
 * so that anything it brings later means the client left. */
static bool drain_input(FCGX_Request *fr, long timeout_ms)
{
    char buf[4096];
    long long deadline = clock_ms() + timeout_ms;
    bool ended = false;

    while (!ended && FCGX_GetError(fr->in) == 0) {
        long long left = deadline - clock_ms();
        if (left <= 0)
            break;
        set_read_timeout(fr->ipcFd, left);
        if (FCGX_GetStr(buf, (int)sizeof buf, fr->in) <= 0)
            ended = FCGX_HasSeenEOF(fr->in) == EOF && FCGX_GetError(fr->in) == 0;
    }
    set_read_timeout(fr->ipcFd, 0);
    return ended;
}

/* hold is the Request's holder (request_hold): it takes fr over for a
 * HeldRequest, with a fresh FCGX_Request for the serving thread. */
static HeldRequest *hold(void *arg, Request *req)
{
    BodyIo *io = arg;
    HeldRequest *h;
    FCGX_Request *spare;

    if (io->held != NULL || !drain_input(io->fr, io->timeout_ms))
        return NULL;
    h = calloc(1, sizeof *h);
    spare = calloc(1, sizeof *spare);
    if (h == NULL || spare == NULL ||
        FCGX_InitRequest(spare, io->fr->listen_sock, io->fr->flags) != 0) {
        free(h);
        free(spare);
        return NULL;
    }
    h->fr = io->fr;
    h->req = req;
    h->head = io->head;
    io->held = h;
    io->spare = spare;
    /* Neither the body reader nor this holder may run again: their
     * argument lives on the serving thread's stack. */
    req->body_reader = NULL;
    req->body_io = NULL;
    req->holder = NULL;
    req->hold_io = NULL;
    return h;
}

Request *fcgi_io_held_request(HeldRequest *h)
{
    return h->req;
}

int fcgi_io_held_fd(const HeldRequest *h)
{
    return h->fr->ipcFd;
}

/* put_header writes a FastCGI record header of type and content length
 * len for request id at p; returns the end. */
static char *put_header(char *p, int type, int id, size_t len)
{
    p[0] = FCGI_VERSION_1;
    p[1] = (char)type;
    p[2] = (char)((id >> 8) & 0xff);
    p[3] = (char)(id & 0xff);
    p[4] = (char)((len >> 8) & 0xff);
    p[5] = (char)(len & 0xff);
    p[6] = 0; /* no padding */
    p[7] = 0;
    return p + FCGI_HEADER_LEN;
}

bool fcgi_io_held_answer(HeldRequest *h, const Response *res)
{
    static const char fallback[] = "Status: 500 Internal Server Error\r\n\r\n";
    size_t head_len = 0, body_len, len, records, at = 0;
    char *head = render_head(res, &head_len), *p;
    int id = h->fr->requestId;

    if (head == NULL)
        log_error("[req %s] out of memory rendering a held request's answer", h->req->id);
    body_len = head != NULL && render_body_wanted(res, h->head) ? res->body_len : 0;
    len = head != NULL ? head_len + body_len : sizeof fallback - 1;
    /* STDOUT records of at most FCGI_MAX_LENGTH bytes, the empty one that
     * ends the stream, and END_REQUEST: what FCGX_Finish_r would send. */
    records = (len + FCGI_MAX_LENGTH - 1) / FCGI_MAX_LENGTH;
    free(h->out);
    h->out = malloc(len + (records + 2) * FCGI_HEADER_LEN + sizeof(FCGI_EndRequestBody));
    if (h->out == NULL) {
        free(head);
        log_error("[req %s] out of memory answering a held request", h->req->id);
        return false;
    }
    p = h->out;
    while (at < len) {
        size_t n = len - at > FCGI_MAX_LENGTH ? FCGI_MAX_LENGTH : len - at;
        p = put_header(p, FCGI_STDOUT, id, n);
        for (size_t end = at + n; at < end;) {
            /* From the head, then from the body (or the fallback). */
            const char *src = head == NULL    ? fallback + at
                              : at < head_len ? head + at
                                              : res->body + (at - head_len);
            size_t avail = head != NULL && at < head_len ? head_len - at : len - at;
            size_t k = avail < end - at ? avail : end - at;
            memcpy(p, src, k);
            p += k;
            at += k;
        }
    }
    p = put_header(p, FCGI_STDOUT, id, 0);
    p = put_header(p, FCGI_END_REQUEST, id, sizeof(FCGI_EndRequestBody));
    memset(p, 0, sizeof(FCGI_EndRequestBody)); /* appStatus 0, FCGI_REQUEST_COMPLETE */
    p += sizeof(FCGI_EndRequestBody);
    h->out_len = (size_t)(p - h->out);
    h->out_sent = 0;
    free(head);
    return true;
}

HeldSend fcgi_io_held_send(HeldRequest *h, long wait_ms)
{
    long long deadline = clock_ms() + wait_ms;

    while (h->out_sent < h->out_len) {
        ssize_t n = send(h->fr->ipcFd, h->out + h->out_sent, h->out_len - h->out_sent,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            h->out_sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            long long left = deadline - clock_ms();
            struct pollfd pfd = {.fd = h->fr->ipcFd, .events = POLLOUT};
            if (left <= 0)
                return HELD_PENDING;
            if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
                return HELD_FAILED;
            continue;
        }
        log_debug("[req %s] the client went away before its held answer was written", h->req->id);
        return HELD_FAILED;
    }
    return HELD_SENT;
}

void fcgi_io_held_close(HeldRequest *h)
{
    if (h == NULL)
        return;
    /* Its answer, if any, went out through fcgi_io_held_send, and its
     * input was read to the end (hold): free libfcgi's state without
     * writing, and close the connection here at once (libfcgi's close
     * would wait up to 2 s for the peer to hang up first, in the thread
     * that answers every parked request).  A connection the web server
     * would keep (FCGI_KEEP_CONN) is closed too: nobody accepts on it. */
    FCGX_Free(h->fr, 0);
    if (h->fr->ipcFd >= 0)
        close(h->fr->ipcFd);
    free(h->fr);
    request_free(h->req);
    free(h->out);
    free(h);
}

/* The send buffer set on each accepted connection; 0: the kernel's
 * (fcgi_io_set_test_sndbuf).  Set once, before the request threads. */
static int test_sndbuf;

void fcgi_io_set_test_sndbuf(int bytes)
{
    test_sndbuf = bytes;
}

FCGX_Request *fcgi_io_serve(FCGX_Request *fr, long max_body, long body_timeout_ms, const char *id,
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
        return fr;
    }
    head = strcmp(req->method, "HEAD") == 0;
    io.head = head;
    req->keep_conn = fr->keepConnection != 0;
    if (test_sndbuf > 0 &&
        setsockopt(fr->ipcFd, SOL_SOCKET, SO_SNDBUF, &test_sndbuf, sizeof test_sndbuf) != 0)
        log_debug("[req %s] cannot set SO_SNDBUF: %s", id, strerror(errno));
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
    req->holder = hold;
    req->hold_io = &io;
    handle(arg, req, res);
    if (io.held != NULL) {
        /* req and fr are the HeldRequest's, maybe already answered. */
        response_free(res);
        return io.spare;
    }
    write_response(fr, res, head, id);
out:
    response_free(res);
    request_free(req);
    return fr;
}
