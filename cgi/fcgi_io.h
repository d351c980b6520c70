/* SPDX-License-Identifier: MIT */
/*
 * fcgi_io.h - the boundary with libfcgi: one accepted FastCGI request
 * turned into a Request, handed to a handler, and its Response written
 * back.  Only this file and main.c include fcgiapp.h.
 */
#ifndef PGJOB_FCGI_IO_H
#define PGJOB_FCGI_IO_H

#include "request.h"

struct FCGX_Request;

/* RequestHandler fills res for req; both borrowed for the call.  It reads
 * the body, when it wants it, with request_read_body. */
typedef void (*RequestHandler)(void *arg, Request *req, Response *res);

/* RejectObserver learns of a request answered before it reached the
 * handler (malformed, or a body over the cap), with its status, so that
 * metrics count it too. */
typedef void (*RejectObserver)(void *arg, int status);

/* fcgi_io_serve serves the request fr has accepted: it builds a Request
 * from the FastCGI parameters (copied: they die at FCGX_Finish_r), checks
 * the declared Content-Length against max_body before reading a byte
 * (413 otherwise), calls handle(arg, req, res) and writes the response
 * (no body for HEAD).  The handler reads the body with request_read_body,
 * which fails with 408 body_timeout when the whole body has not come
 * within body_timeout_ms of that call (a slow client cannot hold the
 * thread longer).  Malformed input is answered with a problem document
 * and never reaches the handler.  id names the request in logs;
 * rejected(arg, status) is told of every request answered before the
 * handler.  Never fails visibly: a client that went away is only logged
 * at debug level.
 *
 * The handler may hold the request (request_hold): fcgi_io_serve then
 * writes nothing and returns a new FCGX_Request, initialised on fr's
 * socket, for the caller to accept the next request with; fr belongs to
 * the HeldRequest, and the caller neither finishes nor frees it.
 * Otherwise it returns fr, which the caller finishes as usual.  NULL
 * never. */
struct FCGX_Request *fcgi_io_serve(struct FCGX_Request *fr, long max_body, long body_timeout_ms,
                                   const char *id, RequestHandler handle, RejectObserver rejected,
                                   void *arg);

/* fcgi_io_set_test_sndbuf sets the send buffer of every connection
 * accepted from now on to about bytes (SO_SNDBUF), so that an answer of
 * some kilobytes does not fit at once.  A test seam, for the tests of
 * answers written as a slow client reads (pgjob.fcgi takes it from the
 * environment variable PGJOB_TEST_SNDBUF); never needed in use. */
void fcgi_io_set_test_sndbuf(int bytes);

/* The longest a held request's answer (a parked long-poll's, a handed
 * submit's) may take to be written, in ms: a client that stops reading
 * gives its slot back then. */
enum { FCGI_IO_HELD_WRITE_MS = 30000 };

/* fcgi_io_held_request returns the Request h owns. */
Request *fcgi_io_held_request(HeldRequest *h);

/* fcgi_io_held_fd returns the file descriptor of h's connection, which
 * its peer closes when the client goes away (to watch it, not to use). */
int fcgi_io_held_fd(const HeldRequest *h);

/* fcgi_io_held_answer prepares res (its head, and its body unless the
 * request is a HEAD) as h's answer, framed as FastCGI records, for
 * fcgi_io_held_send.  false when out of memory (logged). */
bool fcgi_io_held_answer(HeldRequest *h, const Response *res) __attribute__((warn_unused_result));

/* HeldSend is how far fcgi_io_held_send got. */
typedef enum HeldSend {
    HELD_SENT,    /* the whole answer is written */
    HELD_PENDING, /* the connection takes no more now: call again when it is writable */
    HELD_FAILED,  /* the client went away (logged at debug level) */
} HeldSend;

/* fcgi_io_held_send writes what is left of h's answer, waiting at most
 * wait_ms for the connection to take it (0: never blocks).  Any one
 * thread at a time may call it. */
HeldSend fcgi_io_held_send(HeldRequest *h, long wait_ms);

/* fcgi_io_held_close ends h without writing anything more, closes its
 * connection and frees h, its Request and its FCGX_Request. */
void fcgi_io_held_close(HeldRequest *h);

#endif
