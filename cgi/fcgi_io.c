/* SPDX-License-Identifier: MIT */
/* fcgi_io.c - FCGX_Request in, Response out, and nothing else. */
#include "fcgi_io.h"

#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "log.h"
#include "profile.h"
#include "render.h"

/* read_body reads exactly req->content_length bytes of stdin into req.
 * A body that ends early is a 400; max_body was checked before. */
static bool read_body(FCGX_Request *fr, Request *req, Error *err)
{
    size_t want = (size_t)req->content_length, got = 0;
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
        size_t chunk = want - got > 65536 ? 65536 : want - got;
        int n = FCGX_GetStr(buf + got, (int)chunk, fr->in);
        if (n <= 0)
            break;
        got += (size_t)n;
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

void fcgi_io_serve(FCGX_Request *fr, long max_body, const char *id, RequestHandler handle,
                   RejectObserver rejected, void *arg)
{
    Error err = {0};
    Request *req = request_from_params(fr->envp, id, &err);
    Response *res = NULL;
    bool head = false;

    if (req == NULL) {
        answer_error(fr, &err, false, id);
        rejected(arg, err.status);
        return;
    }
    head = strcmp(req->method, "HEAD") == 0;
    if (!request_check_length(req, max_body, &err) || !read_body(fr, req, &err)) {
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
    handle(arg, req, res);
    write_response(fr, res, head, id);
out:
    response_free(res);
    request_free(req);
}
