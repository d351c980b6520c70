/* SPDX-License-Identifier: MIT */
/*
 * upload.h - a job submission that uploads one document (a PDF, an image,
 * HTML, text) instead of JSON items: POST /v1/jobs with a
 * multipart/form-data body (multipart.h) becomes the SubmitRequest of
 * validate.h and the JSON text the SQL call reads items and metadata from,
 * so that the rest of the submit route is the same for both.
 *
 * The parts, by name (exact), each sent at most once:
 *   type          required text: the job type, as in JSON
 *   file          required: the document; its part must have a filename
 *                 (UTF-8), and its Content-Type is the document's
 *                 (default application/octet-stream)
 *   priority      optional text: a decimal integer, -1000 to 1000
 *   max_attempts  optional text: a decimal integer, 1 to 100
 *   run_at        optional text: RFC 3339 with an offset (timestamp.h)
 *   metadata      optional text: a JSON object of at most
 *                 VALIDATE_METADATA_MAX_KEYS keys; "null" is the same as
 *                 absent
 * A text part must not have a filename; its Content-Type is ignored.
 * Text values are taken exactly: no spaces around a number.
 *
 * The job gets one item:
 *   {"filename": "scan.pdf", "content_type": "application/pdf",
 *    "size_bytes": 5120, "data_base64": "JVBERi0xLjQK..."}
 * with data_base64 the file's bytes in standard padded base64 (base64.h).
 *
 * The checks run in this order, and the first failure is reported: the
 * multipart framing, unknown and repeated parts (the first in the body's
 * order), type, file, priority, max_attempts, run_at, metadata.
 *
 * Errors (Error status and code, and the field named), in validate.h's
 * words where the JSON body has the same fault:
 *   415 unsupported_media_type  -        not multipart/form-data
 *   400 invalid_multipart  -             no or a bad boundary, a malformed
 *                                        part (multipart.h)
 *   400 invalid_multipart  that part     a part sent twice
 *   400 unknown_field      that part     a part of another name
 *   400 missing_field      type, file
 *   400 invalid_field      the part      a bad value; a text part with a
 *                                        filename; a file without one
 *   422 unknown_type       type
 *   422 empty_items        file          the file has no bytes
 *   500 out_of_memory
 */
#ifndef PGJOB_UPLOAD_H
#define PGJOB_UPLOAD_H

#include <stddef.h>

#include "error.h"
#include "validate.h"

/* The Content-Type of a file part that has none (RFC 7578, 4.4). */
#define UPLOAD_DEFAULT_CONTENT_TYPE "application/octet-stream"

/* upload_submit checks the len bytes of body (borrowed; may hold NULs),
 * sent with content_type (the request's Content-Type, borrowed), against
 * rules.  Returns a new SubmitRequest (free with submit_request_free) and
 * sets *body_text to new text (free with free()):
 *   {"items":[<the item>],"metadata":<the metadata part as sent, or {}>}
 * to pass where a JSON submission passes its body.  The metadata part is
 * copied as sent, once jansson has checked it, so that no number loses a
 * digit (validate.h).  In the SubmitRequest, items is an array of the
 * item without data_base64 (good for counting and checks: the document
 * is in the body text alone, not held twice), and metadata the parsed
 * object.  On failure returns NULL with err filled, field set to the
 * field at fault ("" for none) and *body_text NULL. */
SubmitRequest *upload_submit(const char *content_type, const char *body, size_t len,
                             const SubmitRules *rules, char **body_text, Error *err,
                             char field[VALIDATE_FIELD_SIZE]) __attribute__((warn_unused_result));

#endif
