/* SPDX-License-Identifier: MIT */
/*
 * profiles.c - the profiles pgjob serves (profile.h), as data: each is
 * the page of a hosted API it stands in for, answered exactly, and
 * pgjob's decisions where the page leaves something open (docs/profiles.md
 * says which).  A new profile is one more Profile here and its entry in
 * the table at the end.
 *
 * The profiles are C tables rather than data files read at start: the
 * compiler checks every entry (a misspelt source or status is an error,
 * not a runtime surprise), there is no file format, parser or install
 * path to maintain, and the unit tests read the same tables the server
 * serves.
 */
#include "profile.h"

#define ALL    PROFILE_ALL_STATES
#define Q      PROFILE_STATE(JOB_QUEUED)
#define P      PROFILE_STATE(JOB_PROCESSING)
#define PA     PROFILE_STATE(JOB_PAUSED)
#define C      PROFILE_STATE(JOB_COMPLETED)
#define F      PROFILE_STATE(JOB_FAILED)
#define X      PROFILE_STATE(JOB_CANCELED)
#define E      PROFILE_STATE(JOB_EXPIRED)
#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FIELDS(a) \
    {             \
        a, LEN(a) \
    }

/* ---- ParseTx: transaction enrichment ------------------------------------- */

static const ProfileRoute parsetx_routes[] = {
    {"POST", "/v1/enrich/async", PROFILE_SUBMIT, "submit_enrich_async"},
    {"GET", "/v1/enrich/jobs/{id}", PROFILE_GET, "get_enrich_job"},
};

/* The same shape in every state; item_count once picked up; results []
 * until complete.  The page has no error field. */
static const ProfileField parsetx_job[] = {
    {"id", PS_ID, ALL, 0},
    {"status", PS_STATUS, ALL, 0},
    {"item_count", PS_ITEM_COUNT, ALL, PF_ONCE_STARTED},
    {"results", PS_OUTPUTS_DONE, ALL, 0},
    {"created_at", PS_CREATED_AT, ALL, 0},
    {"updated_at", PS_UPDATED_AT, ALL, 0},
};

static const ProfileField parsetx_submitted[] = {
    {"job_id", PS_ID, ALL, 0},
    {"status", PS_STATUS, ALL, 0},
    {"created_at", PS_CREATED_AT, ALL, 0},
};

static const Profile parsetx = {
    .name = "parsetx",
    .title = "ParseTx",
    .routes = parsetx_routes,
    .route_count = LEN(parsetx_routes),
    .words = {[JOB_QUEUED] = "queued",
              [JOB_PROCESSING] = "processing",
              [JOB_PAUSED] = "queued",
              [JOB_COMPLETED] = "complete",
              [JOB_FAILED] = "failed",
              [JOB_CANCELED] = "failed",
              [JOB_EXPIRED] = NULL},
    .job = FIELDS(parsetx_job),
    .submitted = FIELDS(parsetx_submitted),
    .time = PROFILE_TIME_MILLIS,
    .auth = PROFILE_AUTH_X_API_KEY,
    .key_scoped = true,
    .error_key = "error",
    .errors =
        {
            [PERR_MISSING_KEY] = {401, NULL,
                                  "Missing API key. Provide your key via the X-API-Key header."},
            [PERR_INVALID_KEY] = {401, NULL, "Invalid or revoked API key."},
            [PERR_FOREIGN_JOB] = {401, NULL, "Invalid or revoked API key."},
            [PERR_JOB_NOT_FOUND] = {404, NULL, "Job not found."},
            [PERR_ROUTE_NOT_FOUND] = {404, NULL, "Not found."},
            [PERR_METHOD] = {405, NULL, "Method not allowed."},
            [PERR_BODY_TOO_LARGE] = {413, NULL, "Request body too large."},
            [PERR_BAD_REQUEST] = {400, NULL, NULL},
            [PERR_MEDIA_TYPE] = {415, NULL, "Content-Type must be application/json."},
            [PERR_UNPROCESSABLE] = {422, NULL, NULL},
            [PERR_CONFLICT] = {409, NULL, NULL},
            /* The page knows no 503: a database outage is its 500. */
            [PERR_UNAVAILABLE] = {500, NULL, "Internal Server Error"},
            [PERR_INTERNAL] = {500, NULL, "Internal Server Error"},
        },
    .job_type = "enrich",
    .body = PROFILE_BODY_JSON_ITEMS,
    .items_field = "transactions",
    .submit_status = 202,
    .max_items = 500,
    .retry_after_seconds = 1,
};

/* ---- Pulse: document extraction ------------------------------------------ */

static const ProfileRoute pulse_routes[] = {
    {"POST", "/extract", PROFILE_SUBMIT, "extract"},
    {"GET", "/job/{id}", PROFILE_GET, "poll_job"},
    {"POST", "/job/{id}/cancel", PROFILE_CANCEL, "cancel_job"},
    {"GET", "/job/{id}/result", PROFILE_RESULT_FILE, "get_job_result"},
};

/* result when completed (or the {is_url, url} pointer) and, once
 * expired, the retention stub; error only when failed. */
static const ProfileField pulse_job[] = {
    {"job_id", PS_ID, ALL, 0},
    {"status", PS_STATUS, ALL, 0},
    {"created_at", PS_CREATED_AT, ALL, 0},
    {"updated_at", PS_UPDATED_AT, ALL, 0},
    {"result", PS_RESULT, C, 0},
    {"result", PS_EXPIRED_STUB, E, 0},
    {"error", PS_ERROR_MESSAGE, F, 0},
};

static const Profile pulse = {
    .name = "pulse",
    .title = "Pulse",
    .routes = pulse_routes,
    .route_count = LEN(pulse_routes),
    .words = {[JOB_QUEUED] = "pending",
              [JOB_PROCESSING] = "processing",
              [JOB_PAUSED] = "pending",
              [JOB_COMPLETED] = "completed",
              [JOB_FAILED] = "failed",
              [JOB_CANCELED] = "canceled",
              [JOB_EXPIRED] = "expired"},
    .job = FIELDS(pulse_job),
    .time = PROFILE_TIME_MILLIS,
    .auth = PROFILE_AUTH_X_API_KEY,
    .error_key = "error",
    .errors =
        {
            [PERR_MISSING_KEY] = {401, NULL, "Missing API key."},
            [PERR_INVALID_KEY] = {401, NULL, "Invalid API key."},
            [PERR_FOREIGN_JOB] = {404, NULL, "Job not found."},
            [PERR_JOB_NOT_FOUND] = {404, NULL, "Job not found."},
            [PERR_ROUTE_NOT_FOUND] = {404, NULL, "Not found."},
            [PERR_METHOD] = {405, NULL, "Method not allowed."},
            [PERR_BODY_TOO_LARGE] = {413, NULL, "Request body too large."},
            [PERR_BAD_REQUEST] = {400, NULL, NULL},
            [PERR_MEDIA_TYPE] = {415, NULL, "Content-Type must be multipart/form-data."},
            [PERR_UNPROCESSABLE] = {422, NULL, NULL},
            [PERR_CONFLICT] = {409, NULL, NULL},
            [PERR_UNAVAILABLE] = {503, NULL, "Service unavailable."},
            [PERR_INTERNAL] = {500, NULL, "Internal server error."},
        },
    .job_type = "extract",
    .body = PROFILE_BODY_DOCUMENT,
    .async_field = "async",
    .result_route = "/job/{id}/result",
    .submit_status = 202,
};

/* ---- Parzo: invoice extraction ------------------------------------------- */

static const ProfileRoute parzo_routes[] = {
    {"POST", "/v1/extract/invoice", PROFILE_SUBMIT, "extract_invoice"},
    {"GET", "/v1/jobs/{id}", PROFILE_GET, "get_job"},
};

/* The page's three shapes: pending (processing alike), completed, failed. */
static const ProfileField parzo_job[] = {
    {"job_id", PS_ID, ALL, 0},
    {"status", PS_STATUS, ALL, 0},
    {"queued_at", PS_CREATED_AT, Q | P | PA | C, 0},
    {"started_at", PS_STARTED_AT, Q | P | PA | C, 0},
    {"completed_at", PS_COMPLETED_AT, Q | P | PA | C, 0},
    {"processing_ms", PS_PROCESSING_MS, Q | P | PA | C, 0},
    {"confidence", PS_CONFIDENCE, C, 0},
    {"model", PS_MODEL, C, 0},
    {"cache_hit", PS_CACHE_HIT, C, 0},
    {"validation_flags", PS_VALIDATION_FLAGS, C, 0},
    {"result", PS_RESULT, C, 0},
    {"error", PS_ERROR_MESSAGE, F | X, 0},
    {"attempt_count", PS_ATTEMPT_COUNT, F | X, 0},
};

static const Profile parzo = {
    .name = "parzo",
    .title = "Parzo",
    .routes = parzo_routes,
    .route_count = LEN(parzo_routes),
    .words = {[JOB_QUEUED] = "pending",
              [JOB_PROCESSING] = "processing",
              [JOB_PAUSED] = "pending",
              [JOB_COMPLETED] = "completed",
              [JOB_FAILED] = "failed",
              [JOB_CANCELED] = "failed",
              [JOB_EXPIRED] = NULL},
    .job = FIELDS(parzo_job),
    .time = PROFILE_TIME_MILLIS,
    .auth = PROFILE_AUTH_X_API_KEY,
    .error_key = "error",
    .errors =
        {
            [PERR_MISSING_KEY] = {401, NULL, "Missing API key"},
            [PERR_INVALID_KEY] = {401, NULL, "Invalid API key"},
            [PERR_FOREIGN_JOB] = {404, NULL, "Job not found"},
            [PERR_JOB_NOT_FOUND] = {404, NULL, "Job not found"},
            [PERR_ROUTE_NOT_FOUND] = {404, NULL, "Not found"},
            [PERR_METHOD] = {405, NULL, "Method not allowed"},
            [PERR_BODY_TOO_LARGE] = {413, NULL, "File too large"},
            [PERR_BAD_REQUEST] = {400, NULL, NULL},
            [PERR_MEDIA_TYPE] = {415, NULL, "Send the invoice as multipart/form-data"},
            [PERR_UNPROCESSABLE] = {422, NULL, NULL},
            [PERR_CONFLICT] = {409, NULL, NULL},
            [PERR_UNAVAILABLE] = {503, NULL, "Service unavailable"},
            [PERR_INTERNAL] = {500, NULL, "Internal server error"},
        },
    .job_type = "invoice",
    .body = PROFILE_BODY_DOCUMENT,
    .submit_status = 202,
    .retry_after_seconds = 3,
};

/* ---- the enrichment service (Django REST framework) ---------------------- */

static const ProfileRoute enrichment_routes[] = {
    {"POST", "/api/v1/enrichment/submit/", PROFILE_SUBMIT, "enrichment_submit"},
    {"GET", "/api/v1/enrichment/status/", PROFILE_LIST, "enrichment_status_list"},
    {"GET", "/api/v1/enrichment/status/{id}/", PROFILE_GET, "enrichment_status"},
    {"GET", "/api/v1/enrichment/results/{id}/", PROFILE_RESULTS, "enrichment_results"},
    {"POST", "/api/v1/enrichment-control/", PROFILE_CONTROL, "enrichment_control"},
};

static const ProfileField enrichment_job[] = {
    {"job_id", PS_ID, ALL, 0},
    {"status", PS_STATUS, ALL, 0},
    {"submitted_at", PS_CREATED_AT, ALL, 0},
    {"updated_at", PS_UPDATED_AT, ALL, 0},
};

/* Results once completed or paused ("fetch enriched data from the
 * Results endpoint"), as stored: {status, output, error} per item. */
static const ProfileField enrichment_results[] = {
    {"job_id", PS_ID, ALL, 0},
    {"status", PS_STATUS, ALL, 0},
    {"results", PS_RESULTS, ALL, 0},
};

static const Profile enrichment = {
    .name = "enrichment",
    .title = "enrichment service",
    .routes = enrichment_routes,
    .route_count = LEN(enrichment_routes),
    .words = {[JOB_QUEUED] = "queued",
              [JOB_PROCESSING] = "in-progress",
              [JOB_PAUSED] = "paused",
              [JOB_COMPLETED] = "completed",
              [JOB_FAILED] = "failed",
              [JOB_CANCELED] = "failed",
              [JOB_EXPIRED] = NULL},
    .job = FIELDS(enrichment_job),
    .results = FIELDS(enrichment_results),
    .results_states = C | PA,
    .list_key = "results",
    .list_next_key = "next",
    .time = PROFILE_TIME_SECONDS,
    .auth = PROFILE_AUTH_BEARER,
    .www_authenticate = "Bearer realm=\"api\"",
    .error_key = "detail",
    .errors =
        {
            [PERR_MISSING_KEY] = {401, "message", "Invalid or expired token"},
            [PERR_INVALID_KEY] = {401, "message", "Invalid or expired token"},
            [PERR_FOREIGN_JOB] = {404, NULL, "Not found."},
            [PERR_JOB_NOT_FOUND] = {404, NULL, "Not found."},
            [PERR_ROUTE_NOT_FOUND] = {404, NULL, "Not found."},
            [PERR_METHOD] = {405, NULL, "Method not allowed."},
            [PERR_BODY_TOO_LARGE] = {413, NULL, "Request body too large."},
            [PERR_BAD_REQUEST] = {400, NULL, NULL},
            [PERR_MEDIA_TYPE] = {415, NULL, "Unsupported media type in request."},
            /* DRF answers every validation error with 400. */
            [PERR_UNPROCESSABLE] = {400, NULL, NULL},
            [PERR_CONFLICT] = {409, NULL, NULL},
            [PERR_UNAVAILABLE] = {503, NULL, "Service temporarily unavailable, try again later."},
            [PERR_INTERNAL] = {500, NULL, "A server error occurred."},
        },
    .job_type = "contact",
    .body = PROFILE_BODY_JSON_ITEMS,
    .items_field = "contacts",
    .submit_status = 202,
    .list_page_size = 50,
};

/* ---- the table ------------------------------------------------------------ */

static const Profile *const profiles[] = {&parsetx, &pulse, &parzo, &enrichment};

const Profile *const *profile_all(size_t *count)
{
    *count = LEN(profiles);
    return profiles;
}
