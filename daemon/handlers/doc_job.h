/* SPDX-License-Identifier: MIT */
/*
 * doc_job.h - what every document handler (extract, invoice) does first:
 * get the job's document and read it into a DocText.
 *
 * A document job has one item.  The front end keeps the document's bytes
 * apart from the item (sql/010_documents.sql) and the item only describes
 * them: {"filename", "media_type", "size_bytes", "sha256", "options"?,
 * "custom_id"?}.  doc_job_read fetches the bytes through the context; a
 * job without stored bytes (submitted straight to SQL) may carry its
 * document in the item as {"text": "..."}.
 */
#ifndef PGJOB_DOC_JOB_H
#define PGJOB_DOC_JOB_H

#include "doc_text.h"
#include "handler.h"

/* The error code of a document job that has no document. */
#define DOC_ERR_NO_DOCUMENT "no_document"

/* DocSettings are the settings (HandlerContext.settings) of a document
 * handler: the limits from the configuration (document_max_pages). */
typedef struct DocSettings {
    DocLimits limits;
} DocSettings;

/* doc_job_read reads the document of job into *doc within the limits of
 * settings (NULL: none).  Returns
 *   HANDLER_OK       *doc holds the document (doc_free it)
 *   HANDLER_FATAL    the document cannot be read (err has a DOC_ERR_*
 *                    code, or DOC_ERR_NO_DOCUMENT): fail the job, no retry
 *   HANDLER_RETRY    the database failed or memory ran out (err says which)
 *   HANDLER_STOPPED  the attempt no longer holds the job, or progress()
 *                    answered false while a long PDF was read (it is
 *                    called after each page, with the items done so far: 0)
 * Without HANDLER_OK *doc is empty. */
HandlerStatus doc_job_read(const HandlerContext *ctx, const HandlerJob *job,
                           const DocSettings *settings, DocText *doc, Error *err);

#endif
