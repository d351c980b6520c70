/* SPDX-License-Identifier: MIT */
/*
 * request.h - one HTTP request as the front end sees it, and the response
 * built for it, both plain structs that know nothing of FastCGI.
 *
 * fcgi_io.c turns an FCGX_Request into a Request with request_from_params
 * (its envp is the CGI parameter array this takes) and request_set_body,
 * and writes a Response back (render_head, then the body).  Everything in
 * between (router, API handlers, renderer) sees only these structs, so it
 * is tested without libfcgi.  A Request copies every string it keeps:
 * FCGX parameters die at FCGX_Finish_r.
 *
 * Wording: a "header" is an HTTP header field; a "parameter" is a CGI
 * variable such as REQUEST_METHOD or HTTP_X_API_KEY; a "query parameter"
 * is a name=value pair of the query string.
 */
#ifndef PGJOB_REQUEST_H
#define PGJOB_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Size of Request.id, NUL included; a longer id is cut. */
enum { REQUEST_ID_SIZE = 64 };

struct Request;

/* HeldRequest is a request its handler keeps past its return, to be
 * answered later by another thread (a parked long-poll, api_wait.c); it
 * owns the Request and the connection.  fcgi_io.h answers it. */
typedef struct HeldRequest HeldRequest;

/* RequestHolder takes r over from the thread that serves it (see
 * request_hold). */
typedef HeldRequest *(*RequestHolder)(void *io, struct Request *r);

/* BodyReader reads the declared body of r into it (request_set_body),
 * within whatever time its reader allows; false with err filled. */
typedef bool (*BodyReader)(void *io, struct Request *r, Error *err);

/* Request is one HTTP request.  Every pointer is owned by the Request and
 * freed by request_free, but for body_io; a header that was not sent is
 * NULL. */
typedef struct Request {
    char *method;             /* REQUEST_METHOD, e.g. "GET"; case kept */
    char *path;               /* the raw path, escapes kept: REQUEST_URI up to '?' */
    char *path_decoded;       /* path with %XX decoded ('+' stays, %2F is '/'); what routes */
    char *query;              /* the query string without '?'; "" when none */
    char *content_type;       /* Content-Type */
    long content_length;      /* Content-Length, bytes; 0 when not sent */
    char *x_api_key;          /* X-API-Key */
    char *authorization;      /* Authorization */
    char *if_none_match;      /* If-None-Match */
    char *prefer;             /* Prefer */
    char *idempotency_key;    /* Idempotency-Key */
    char *accept;             /* Accept */
    char *remote_addr;        /* REMOTE_ADDR; "" when not given */
    char *profile;            /* PGJOB_PROFILE: the API profile (profile.h); NULL: native */
    char *prefix;             /* PGJOB_PREFIX: the path the profile is mounted under */
    char *host;               /* Host */
    bool https;               /* HTTPS is "on" (the web server's TLS) */
    bool keep_conn;           /* the web server keeps the connection for more (FCGI_KEEP_CONN) */
    char *body;               /* NULL until request_set_body; then body[body_len] is '\0' */
    size_t body_len;          /* bytes of body */
    BodyReader body_reader;   /* reads the body on request_read_body; NULL: none to read */
    void *body_io;            /* body_reader's argument, borrowed */
    bool body_read;           /* request_read_body was called */
    RequestHolder holder;     /* takes the request over on request_hold; NULL: cannot */
    void *hold_io;            /* holder's argument, borrowed */
    char id[REQUEST_ID_SIZE]; /* the request id for logs, e.g. "4711-42" */
} Request;

/* request_from_params builds a Request from params, a NULL-terminated
 * array of "NAME=value" CGI parameters (FCGX_Request.envp; borrowed, only
 * read during the call), and id (copied into Request.id; NULL: "").
 *
 * The path is REQUEST_URI up to its '?' (an absolute-form "http://host"
 * prefix is dropped); without REQUEST_URI it is SCRIPT_NAME + PATH_INFO,
 * which the web server has already decoded, so path_decoded is then the
 * same text.  The query is QUERY_STRING, else what follows REQUEST_URI's
 * '?'.  Headers come from CONTENT_TYPE, CONTENT_LENGTH and HTTP_*.
 * PGJOB_PROFILE and PGJOB_PREFIX are set by the web server's
 * configuration, never by a client (whose headers are all HTTP_*).
 *
 * Returns a new Request (free with request_free), or NULL with err:
 *   400 bad_request             no REQUEST_METHOD, or not a method token
 *   400 invalid_path            no path, not starting with '/', a
 *                               malformed %-escape or an escaped NUL
 *   400 invalid_content_length  CONTENT_LENGTH is not a decimal number
 *                               of bytes
 *   500 out_of_memory */
Request *request_from_params(char *const *params, const char *id, Error *err)
    __attribute__((warn_unused_result));

/* request_free releases r and all it owns; r may be NULL. */
void request_free(Request *r);

/* request_check_length fails with 413 body_too_large when the declared
 * Content-Length exceeds max_body bytes.  Call it before reading the body
 * (STYLE 15), and answer 413 without reading. */
bool request_check_length(const Request *r, long max_body, Error *err)
    __attribute__((warn_unused_result));

/* request_read_body reads the body through r->body_reader, once: the
 * front end calls it only once the request is authenticated, so that an
 * unauthenticated client never holds a thread with a slow body.  True
 * when there is nothing (more) to read. */
bool request_read_body(Request *r, Error *err) __attribute__((warn_unused_result));

/* request_hold takes r over from the thread serving it: afterwards the
 * serving thread writes no response and frees neither r nor its
 * connection; the HeldRequest does, when it is answered (fcgi_io.h).
 * NULL when r cannot be held (no holder: a unit test; out of memory; a
 * body that does not end in time): answer it as usual then.  A request
 * is held at most once. */
HeldRequest *request_hold(Request *r) __attribute__((warn_unused_result));

/* request_set_body copies the len bytes at data (borrowed; may hold NULs)
 * into r->body, adds a terminating NUL and sets r->body_len, replacing a
 * body set before.  Fails with 500 out_of_memory. */
bool request_set_body(Request *r, const char *data, size_t len, Error *err)
    __attribute__((warn_unused_result));

/* request_content_type_is says whether r's Content-Type is media_type
 * ("application/json"), compared without case, parameters such as
 * "; charset=utf-8" ignored.  False when no Content-Type was sent. */
bool request_content_type_is(const Request *r, const char *media_type);

/* QueryResult is what query_get found. */
typedef enum QueryResult {
    QUERY_ABSENT,   /* no pair has that name */
    QUERY_FOUND,    /* out holds the decoded value ("" for "name=" or "name") */
    QUERY_INVALID,  /* the value has a malformed %-escape or an escaped NUL */
    QUERY_REPEATED, /* the name appears more than once */
    QUERY_TOO_LONG, /* the decoded value does not fit in out */
} QueryResult;

/* query_get finds the query parameter called name in query (a query
 * string such as "status=queued&limit=10", borrowed) and writes its value
 * to out[outsize], decoded as application/x-www-form-urlencoded: '+' is
 * a space and %XX a byte (either case of hex).  Names are decoded the
 * same way before they are compared, exactly; a pair whose name does not
 * decode is nobody's.  Empty pairs ("a=1&&b=2") are skipped.  out is an
 * empty string on any result but QUERY_FOUND (when outsize > 0). */
QueryResult query_get(const char *query, const char *name, char *out, size_t outsize)
    __attribute__((warn_unused_result));

/* query_error fills err for a query_get result that is a client error:
 * 400 invalid_query with a message naming the parameter.  Does nothing
 * for QUERY_ABSENT and QUERY_FOUND.  Returns whether it filled err. */
bool query_error(QueryResult result, const char *name, Error *err);

/* prefer_wait finds the "wait" preference of RFC 7240 in prefer (the
 * Prefer header, borrowed; NULL is fine), e.g. "respond-async, wait=10".
 * Preference names are matched without case and the first "wait" is the
 * only one considered (RFC 7240, 2); its value is decimal seconds, bare or
 * quoted ("wait=\"5\""); a value past INT_MAX is INT_MAX (delta-seconds,
 * RFC 9111 1.2.2); parameters after ';' are ignored.  Returns true and
 * stores the value in *seconds, or false, leaving *seconds unchanged, when
 * there is no wait preference or it is malformed (a server ignores a
 * preference it cannot understand).  The caller caps the value. */
bool prefer_wait(const char *prefer, int *seconds) __attribute__((warn_unused_result));

/* api_key_from_headers finds the API key of r: the X-API-Key header or
 * "Authorization: Bearer <key>" (scheme without case, one or more spaces
 * after it), each trimmed of spaces and tabs; an empty header counts as
 * not sent.  Both may be sent if they hold the same key.  Writes the key
 * to out[size] and returns true, or returns false with err:
 *   401 missing_api_key          neither header holds a key
 *   401 unsupported_auth_scheme  only an Authorization of another scheme
 *   401 invalid_api_key          an empty Bearer, a key with characters
 *                                outside printable ASCII, or one too long
 *                                for out
 *   400 conflicting_api_keys     both headers, with different keys
 * It never logs, and never puts the key in err. */
bool api_key_from_headers(const Request *r, char *out, size_t size, Error *err)
    __attribute__((warn_unused_result));

/* The most headers a Response holds besides Content-Type and
 * Content-Length. */
enum { RESPONSE_MAX_HEADERS = 16 };

/* ResponseHeader is one header of a Response; both strings owned. */
typedef struct ResponseHeader {
    char *name;
    char *value;
} ResponseHeader;

/* Response is what the front end answers.  Build it with the functions
 * below rather than by hand; every pointer is owned by the Response. */
typedef struct Response {
    int status;                                   /* HTTP status; 200 when new */
    char *content_type;                           /* NULL: no body */
    ResponseHeader headers[RESPONSE_MAX_HEADERS]; /* in the order added */
    size_t header_count;                          /* entries used in headers */
    char *body;                                   /* NULL: empty */
    size_t body_len;                              /* bytes of body */
    /* Set by response_set_body_owned: body is borrowed from body_owner,
     * which body_release(body_owner) releases instead of free(body). */
    void (*body_release)(void *owner);
    void *body_owner;
} Response;

/* response_new returns a new empty Response with status 200 (free with
 * response_free), or NULL when out of memory. */
Response *response_new(void) __attribute__((warn_unused_result));

/* response_free releases res and all it owns; res may be NULL. */
void response_free(Response *res);

/* response_header sets header name to value (both copied), replacing a
 * header of that name (compared without case) added before.  Returns
 * false, changing nothing, when name is not an HTTP token, is
 * Content-Type, Content-Length or Status (they come from the Response's
 * fields), value holds a control character other than tab (CR and LF
 * would split the header), RESPONSE_MAX_HEADERS are already set, or
 * memory runs out. */
bool response_header(Response *res, const char *name, const char *value)
    __attribute__((warn_unused_result));

/* response_header_value returns the value of header name (compared
 * without case), borrowed from res until the header changes, or NULL. */
const char *response_header_value(const Response *res, const char *name);

/* response_clear_body drops res's body and content type. */
void response_clear_body(Response *res);

/* response_set_body makes body (stolen: freed by res, or at once on
 * failure; NULL for none) with len bytes the response's body, and
 * content_type (copied; NULL for none) its type, replacing what was set
 * before.  Returns false only when memory runs out; the old body and type
 * are then gone too. */
bool response_set_body(Response *res, const char *content_type, char *body, size_t len)
    __attribute__((warn_unused_result));

/* response_set_body_owned is response_set_body for a body that lives in
 * owner (a database result, say): body[len] is sent as it is, without a
 * copy, and release(owner) is called once when the body is dropped
 * (replaced, cleared, the response freed) or at once on failure. */
bool response_set_body_owned(Response *res, const char *content_type, const char *body, size_t len,
                             void (*release)(void *owner), void *owner)
    __attribute__((warn_unused_result));

#endif
