/* SPDX-License-Identifier: MIT */
/*
 * render.h - turning results into HTTP responses: a JSON body, the
 * problem document of an error, a job or a page of jobs, a 304, and the
 * CGI head that fcgi_io writes before the body.
 *
 * Errors are RFC 9457 problem documents, Content-Type
 * application/problem+json:
 *   {"type": "about:blank", "title": "Not Found", "status": 404,
 *    "detail": "job ... not found", "code": "job_not_found", "field": "..."}
 * type is always "about:blank": pgjob publishes no page per problem, and
 * RFC 9457 (4.2.1) then makes title the status's reason phrase.  The
 * machine-readable kind is the "code" extension (the Error's code); "field"
 * names the request field at fault, when there is one.
 */
#ifndef PGJOB_RENDER_H
#define PGJOB_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "job_view.h"
#include "request.h"

/* The Retry-After that render_problem adds to a 429 or 503 when the caller
 * has not set one, seconds. */
enum { RENDER_RETRY_AFTER_SECONDS = 5 };

/* The "type" of every problem document. */
#define RENDER_PROBLEM_TYPE "about:blank"

/* render_reason returns the reason phrase of status as RFC 9110 names it
 * ("Not Found", "Content Too Large"), static; "Unknown" for a status it
 * does not know. */
const char *render_reason(int status);

/* render_json makes body (stolen, as json_object_set_new steals: a NULL
 * body, from a failed constructor, fails) the response: status, compact
 * JSON and a newline, Content-Type application/json.  Headers already set
 * are kept.  Returns false when body is NULL or memory runs out; res is
 * then an empty 500. */
bool render_json(Response *res, int status, json_t *body) __attribute__((warn_unused_result));

/* render_problem makes err the response as a problem document (above),
 * with field (borrowed; NULL: no "field") naming the request field at
 * fault.  An err that is not an error status (400-599) is rendered as 500
 * internal_error, a bug of the caller.  Headers already set are kept, so
 * a caller adds Allow (405) or its own Retry-After first; a 429 or 503
 * without Retry-After gets RENDER_RETRY_AFTER_SECONDS, and a 401 without
 * WWW-Authenticate gets `Bearer realm="pgjob"` (RFC 9110, 15.5.2).
 * detail is err->message, with each byte that is not UTF-8 made '?'
 * (as code and field are): never put a secret in it.  Returns false when
 * memory runs out; res is then an empty 500. */
bool render_problem(Response *res, const Error *err, const char *field)
    __attribute__((warn_unused_result));

/* render_job makes the job v the response with status (200, or 202 for a
 * new job), its ETag header set (job_view.h).  Location and Retry-After
 * are the caller's.  Fails with err as job_view_json does, leaving res
 * unchanged (but for 500 out_of_memory, after which res may carry the
 * ETag); the caller then renders err. */
bool render_job(Response *res, int status, const JobView *v, Error *err)
    __attribute__((warn_unused_result));

/* render_job_list makes a page of count jobs the 200 response
 * (job_view_list_json).  Fails with err as render_job does. */
bool render_job_list(Response *res, const JobView *views, size_t count, const char *next_cursor,
                     Error *err) __attribute__((warn_unused_result));

/* render_not_modified makes res a 304: no body and no Content-Type;
 * headers already set (the ETag) are kept. */
void render_not_modified(Response *res);

/* etag_matches says whether the If-None-Match header (borrowed; NULL: not
 * sent) matches etag (a strong "..." or weak W/"..." entity-tag), with the
 * weak comparison of RFC 9110 (13.1.2, 8.8.3.2): W/ is ignored on both
 * sides.  The header is "*" (matches any current representation) or a
 * comma-separated list of entity-tags.  A malformed header matches
 * nothing, so the full response is sent. */
bool etag_matches(const char *if_none_match, const char *etag);

/* render_head writes the CGI response head of res into a new string
 * (free with free()), NUL-terminated, its length in *len:
 *   Status: 200 OK\r\n
 *   Content-Type: application/json\r\n
 *   Content-Length: 123\r\n
 *   <each header>\r\n
 *   \r\n
 * A 204 or 304 has no Content-Type or Content-Length.  Content-Length is
 * the body's length even for HEAD, whose body is then not written (see
 * render_body_wanted).  Returns NULL when memory runs out or the content
 * type holds a control character. */
char *render_head(const Response *res, size_t *len) __attribute__((warn_unused_result));

/* render_body_wanted says whether fcgi_io writes res->body after the head:
 * not for HEAD, a 204 or a 304, nor when the body is empty. */
bool render_body_wanted(const Response *res, bool head);

#endif
