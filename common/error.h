/* SPDX-License-Identifier: MIT */
/*
 * error.h - the small report a fallible function fills for its caller
 * instead of logging: an HTTP-style status, a machine code and one
 * sentence.  Functions that can fail take an "Error *err" as last
 * argument, fill it on failure and leave it alone on success.
 */
#ifndef PGJOB_ERROR_H
#define PGJOB_ERROR_H

#include <stdbool.h>

/* Sizes of Error's text fields, NUL included. */
enum { ERROR_CODE_SIZE = 48, ERROR_MESSAGE_SIZE = 256 };

/* Error is what went wrong, owned by the caller (usually on its stack). */
typedef struct Error {
    int status;                       /* HTTP status (400, 404, 409, 500, 503...); 0: none */
    char code[ERROR_CODE_SIZE];       /* machine code, e.g. "db_unavailable"; NUL-terminated */
    char message[ERROR_MESSAGE_SIZE]; /* one line of text, no control characters */
} Error;

/* error_clear resets e to "no error" (status 0, empty code and message).
 * e may be NULL. */
void error_clear(Error *e);

/* error_set fills e with status, code and the printf-style message.  The
 * message is made one line: each run of control characters and spaces
 * becomes one space and the ends are trimmed; a message or code too long
 * for its field is cut (the message on a UTF-8 character boundary, ending
 * in "...").  e may be NULL, then nothing happens.  Never fails. */
void error_set(Error *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* error_is_set says whether e holds an error (status != 0). */
bool error_is_set(const Error *e);

#endif
