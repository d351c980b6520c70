/* SPDX-License-Identifier: MIT */
/*
 * api_documents.c - the routes' parts that concern documents and large
 * results: the submit of a document job (document.h; sql 011's
 * pgjob.submit_document, with the result cache) and the download of all
 * of a job's results at once, by API key or by signed URL (hmac.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_request.h"
#include "document.h"
#include "hmac.h"
#include "log.h"

PGresult *api_submit_document(ApiRequest *ar, const SubmitRequest *s, const char *text, bool upload,
                              bool *is_document, Error *err, char *field)
{
    const Config *cfg = ar->shared->cfg;
    DocumentCaps caps = {.pdf = (size_t)cfg->document_max_pdf_bytes,
                         .html = (size_t)cfg->document_max_html_bytes,
                         .text = (size_t)cfg->document_max_text_bytes};
    char priority[16], attempts[16], retention[16], inline_max[24], cache[16];
    char *fields = NULL;
    DocType type = DOC_TYPE_UNKNOWN;
    PGresult *r;

    *is_document = false;
    switch (document_check(s, text, upload, &caps, &fields, &type, err, field)) {
        case DOCUMENT_NONE:
            return NULL;
        case DOCUMENT_FAIL:
            *is_document = true;
            return NULL;
        case DOCUMENT_OK:
            break;
    }
    *is_document = true;
    snprintf(priority, sizeof(priority), "%d", s->priority);
    snprintf(attempts, sizeof(attempts), "%d", s->max_attempts);
    snprintf(retention, sizeof(retention), "%d", cfg->retention_days);
    snprintf(inline_max, sizeof(inline_max), "%d", cfg->large_result_bytes);
    snprintf(cache, sizeof(cache), "%d", cfg->result_cache_seconds);
    const char *params[15] = {
        ar->account,
        s->type,
        text,
        priority,
        s->run_at[0] ? s->run_at : NULL,
        attempts,
        ar->req->idempotency_key,
        ar->key_id,
        retention,
        inline_max,
        fields,
        doc_media_type(type),
        cache,
        cfg->result_cache_shared ? "true" : "false",
        doc_job_model(s->type),
    };
    r = dbconn_exec(ar->db, STMT_SUBMIT_DOCUMENT, params, err, field);
    free(fields);
    return r;
}

/* signed_ok checks the signed URL of the request: true when it is
 * valid (then the read needs no account); false with the response
 * rendered (403) when it is bad or expired. */
static bool signed_ok(ApiRequest *ar, const char *expires, const char *signature)
{
    Error err = {0};

    switch (hmac_results_check(ar->shared->cfg->results_url_secret, ar->match.id, expires,
                               signature, (long long)time(NULL))) {
        case HMAC_VALID:
            return true;
        case HMAC_EXPIRED:
            error_set(&err, 403, "url_expired", "this signed URL has expired; read the job again");
            break;
        case HMAC_BAD:
            error_set(&err, 403, "invalid_signature", "the URL's signature is not valid");
            break;
    }
    api_fail(ar, &err, "signature");
    return false;
}

bool api_results_signed(ApiRequest *ar, bool *is_signed)
{
    char expires[32], signature[80];
    QueryResult qe = query_get(ar->req->query, "expires", expires, sizeof(expires));
    QueryResult qs = query_get(ar->req->query, "signature", signature, sizeof(signature));
    Error err = {0};

    *is_signed = qe != QUERY_ABSENT || qs != QUERY_ABSENT;
    if (!*is_signed)
        return true;
    if (query_error(qe, "expires", &err) || query_error(qs, "signature", &err)) {
        api_fail(ar, &err, NULL);
        return false;
    }
    return signed_ok(ar, qe == QUERY_FOUND ? expires : NULL, qs == QUERY_FOUND ? signature : NULL);
}

static void clear_result(void *r)
{
    PQclear(r);
}

void api_results_full(ApiRequest *ar)
{
    char field[DB_FIELD_SIZE];
    Error err = {0};
    PGresult *r;
    /* An account is set only by a key; a signed URL reads any account's
     * job (the signature names it). */
    const char *params[2] = {ar->account[0] != '\0' ? ar->account : NULL, ar->match.id};

    r = dbconn_exec(ar->db, STMT_ALL_RESULTS, params, &err, field);
    if (r == NULL) {
        api_fail_db(ar, &err, field);
        return;
    }
    /* The body is the result's one value, built by the statement: sent
     * from the PGresult, which the response frees when it is done, so
     * that a large result is held once, not twice. */
    if (!response_set_body_owned(ar->res, "application/json", PQgetvalue(r, 0, 0),
                                 (size_t)PQgetlength(r, 0, 0), clear_result, r)) {
        error_set(&err, 500, "out_of_memory", "out of memory");
        api_fail(ar, &err, NULL);
    }
}
