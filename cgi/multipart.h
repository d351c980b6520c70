/* SPDX-License-Identifier: MIT */
/*
 * multipart.h - a strict parser of a multipart/form-data body (RFC 7578,
 * with the framing of RFC 2046, 5.1.1), for job submissions that upload
 * a document.  Pure: no allocation, and no copy of a part's content.
 *
 * The boundary is the "boundary" parameter of the Content-Type (a token
 * or a quoted-string, 1 to 70 characters of RFC 2046's bchars, not
 * ending in a space).  Lines end in CRLF.  The preamble before the first
 * boundary line and the epilogue after the closing one are ignored.  A
 * boundary line is "--" boundary, optional spaces and tabs, CRLF; the
 * closing one ends in "--".  Anything else that starts with
 * CRLF "--" boundary inside a part is refused rather than taken as
 * content (RFC 2046: the boundary must not occur in a part).
 *
 * Each part has header lines (at most MULTIPART_MAX_HEADERS, each at most
 * MULTIPART_LINE_MAX bytes, no obsolete folding), a blank line and its
 * content:
 *   Content-Disposition  required, once: form-data; name=...; filename=...
 *                        (parameter names without case; values a token or
 *                        a quoted-string; other parameters, filename*
 *                        included, are ignored; name must not be empty)
 *   Content-Type         optional, once: a media type (type/subtype and
 *                        parameters), kept as sent
 *   Content-Transfer-Encoding  optional: only 7bit, 8bit or binary (RFC
 *                        7578, 4.7: no other encoding is used)
 * Other header fields are ignored (RFC 7578, 4.8).  A quoted-string
 * loses its quotes, and its \" and \\ become " and \; any other backslash
 * is kept, since browsers send Windows paths unescaped (and write a quote
 * as %22, which is kept as it is: no percent-decoding happens here).
 *
 * Every failure is 400 invalid_multipart, with a message that says what
 * is wrong (but for a Content-Type that is not multipart/form-data at
 * all: 415 unsupported_media_type).
 */
#ifndef PGJOB_MULTIPART_H
#define PGJOB_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum {
    MULTIPART_MAX_PARTS = 16,          /* most parts in one body */
    MULTIPART_MAX_HEADERS = 16,        /* most header lines in one part */
    MULTIPART_LINE_MAX = 1024,         /* longest part header line, CRLF excluded, bytes */
    MULTIPART_BOUNDARY_MAX = 70,       /* longest boundary, bytes (RFC 2046) */
    MULTIPART_NAME_SIZE = 64,          /* a part name, NUL included */
    MULTIPART_FILENAME_SIZE = 256,     /* a filename, NUL included */
    MULTIPART_CONTENT_TYPE_SIZE = 256, /* a part's Content-Type, NUL included */
};

/* MultipartPart is one part of a form.  The strings are NUL-terminated
 * copies of header values; the content is borrowed from the body. */
typedef struct MultipartPart {
    char name[MULTIPART_NAME_SIZE];                 /* the name parameter; never empty */
    char filename[MULTIPART_FILENAME_SIZE];         /* the filename parameter; "" when absent */
    bool has_filename;                              /* a filename parameter was sent (maybe "") */
    char content_type[MULTIPART_CONTENT_TYPE_SIZE]; /* Content-Type, trimmed; "" when absent */
    const char *data;                               /* the content, inside the body: borrowed */
    size_t len;                                     /* bytes at data; may hold NULs */
} MultipartPart;

/* MultipartForm is the parts of a body, in the body's order. */
typedef struct MultipartForm {
    MultipartPart parts[MULTIPART_MAX_PARTS];
    size_t count; /* parts used; 0 for a body with a closing boundary only */
} MultipartForm;

/* multipart_boundary reads the boundary of content_type (a Content-Type
 * value, borrowed; NULL is an error) into out, NUL-terminated, after
 * checking that the media type is multipart/form-data (without case).
 * Other parameters are ignored; a repeated boundary parameter is an
 * error.  Returns false with err (see above). */
bool multipart_boundary(const char *content_type, char out[MULTIPART_BOUNDARY_MAX + 1], Error *err)
    __attribute__((warn_unused_result));

/* multipart_parse splits the len bytes of body (borrowed; may hold NULs)
 * into form's parts, with the boundary of content_type (as
 * multipart_boundary reads it).  The parts' data point into body and are
 * valid as long as it is.  Returns false with err (see above) and form's
 * content unspecified on the first thing that is wrong.  Never allocates:
 * form may live on the caller's stack (about 10 KB). */
bool multipart_parse(const char *content_type, const char *body, size_t len, MultipartForm *form,
                     Error *err) __attribute__((warn_unused_result));

#endif
