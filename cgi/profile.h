/* SPDX-License-Identifier: MIT */
/*
 * profile.h - API profiles: one installation answering exactly as one of
 * the hosted APIs pgjob stands in for (ParseTx, Pulse, Parzo, the
 * enrichment service), over the same jobs and the same engine.
 *
 * A profile is data (a Profile, listed in profiles.c), not code: its
 * routes (method and path pattern to an action), the status word of each
 * internal status, which fields a job shows in which status and under
 * which names, the time format, the accepted auth headers, the error
 * envelope and its exact texts, how a job of another key is answered, the
 * job type and body of a submission, limits and Retry-After.  Adding a
 * profile is one more entry in profiles.c; the code here and in
 * profile_api.c reads the tables and knows no profile by name.
 *
 * The web server chooses the profile per request with the FastCGI
 * parameter PGJOB_PROFILE (its configuration sets it per virtual host,
 * port or path prefix); PGJOB_PREFIX, when set, is a path prefix the
 * profile is mounted under, taken off before routing.  Without
 * PGJOB_PROFILE the native API answers.
 *
 * This module is pure (no database, no FastCGI): matching, status words,
 * error envelopes and the rendering of a job, so that the tables are unit
 * tested (tests/unit/test_cgi_profile.c).  profile_api.c answers requests.
 */
#ifndef PGJOB_PROFILE_H
#define PGJOB_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "job_view.h"
#include "jobstatus.h"
#include "request.h"
#include "uuid.h"

/* ProfileAction is what a profile route does. */
typedef enum ProfileAction {
    PROFILE_SUBMIT,      /* create a job of the profile's type from the body */
    PROFILE_GET,         /* the job {id} */
    PROFILE_LIST,        /* the caller's jobs, newest first, a page at a time */
    PROFILE_CANCEL,      /* cancel {id} */
    PROFILE_PAUSE,       /* pause {id} */
    PROFILE_RESUME,      /* resume {id} */
    PROFILE_CONTROL,     /* pause or resume the job the body names */
    PROFILE_RESULTS,     /* the results of {id} when completed or paused */
    PROFILE_RESULT_FILE, /* the full result (first item's output) of {id} as a JSON file */
} ProfileAction;

/* ProfileRoute is one route: {id} in a pattern is a job id in uuid
 * syntax (router.h's rules).  A GET route answers HEAD too. */
typedef struct ProfileRoute {
    const char *method; /* "GET" or "POST" */
    const char *pattern;
    ProfileAction action;
    const char *name; /* the operationId of the profile's OpenAPI document */
} ProfileRoute;

/* ProfileSource is where a shown field's value comes from. */
typedef enum ProfileSource {
    PS_ID,         /* the job id */
    PS_STATUS,     /* the profile's word for the status */
    PS_CREATED_AT, /* times, in the profile's time format */
    PS_UPDATED_AT,
    PS_STARTED_AT,
    PS_COMPLETED_AT,
    PS_ITEM_COUNT, /* integers */
    PS_ATTEMPT_COUNT,
    PS_PROCESSING_MS,
    PS_CONFIDENCE,       /* a number */
    PS_MODEL,            /* a string */
    PS_CACHE_HIT,        /* a boolean */
    PS_VALIDATION_FLAGS, /* the array, as stored */
    PS_RESULTS,          /* the results array as stored ({status, output, error} per item) */
    PS_OUTPUTS_DONE,     /* [] until completed, then one output per item in order */
    PS_RESULT,           /* the first item's output, or the large-result pointer */
    PS_ERROR_MESSAGE,    /* the job error's message, a string */
    PS_EXPIRED_STUB,     /* {"expired": true, "expired_at": <expires_at>} */
} ProfileSource;

/* ProfileField flags. */
enum {
    PF_OMIT_NULL = 1u << 0,    /* absent, not null, when the value is missing */
    PF_ONCE_STARTED = 1u << 1, /* absent until the job was first picked up (started_at) */
};

/* The states bit of an internal status, and all of them. */
#define PROFILE_STATE(s)   (1u << (s))
#define PROFILE_ALL_STATES ((1u << JOB_STATUS_COUNT) - 1u)

/* ProfileField is one key of a job as a profile shows it: shown when the
 * job's internal status is in states.  Two fields may share a name with
 * disjoint states (Pulse's result: the output, or a stub once expired). */
typedef struct ProfileField {
    const char *name;
    ProfileSource source;
    unsigned states; /* PROFILE_STATE bits */
    unsigned flags;  /* PF_* */
} ProfileField;

/* ProfileFields is a list of fields, in the order they are written. */
typedef struct ProfileFields {
    const ProfileField *fields;
    size_t count;
} ProfileFields;

/* ProfileTime is a profile's time format (UTC). */
typedef enum ProfileTime {
    PROFILE_TIME_MILLIS,  /* 2026-04-01T10:00:00.000Z */
    PROFILE_TIME_SECONDS, /* 2026-05-06T14:23:11Z */
} ProfileTime;

/* ProfileErrorKind is each error a profile words in its own way. */
typedef enum ProfileErrorKind {
    PERR_MISSING_KEY,     /* no key in an accepted header */
    PERR_INVALID_KEY,     /* unknown, revoked or expired key */
    PERR_FOREIGN_JOB,     /* a key-scoped profile: a job another key created */
    PERR_JOB_NOT_FOUND,   /* no such job for the caller (also: expired where no word) */
    PERR_ROUTE_NOT_FOUND, /* no route at this path */
    PERR_METHOD,          /* a route's path with another method (Allow is sent) */
    PERR_BODY_TOO_LARGE,  /* over max_body_bytes (before the body is read) */
    PERR_BAD_REQUEST,     /* malformed request or body */
    PERR_MEDIA_TYPE,      /* a body of a type the route does not take */
    PERR_UNPROCESSABLE,   /* well-formed but refused (items, limits) */
    PERR_CONFLICT,        /* the job's state forbids the action */
    PERR_UNAVAILABLE,     /* the database is unavailable (Retry-After) */
    PERR_INTERNAL,        /* anything unexpected */
    PERR_COUNT
} ProfileErrorKind;

/* ProfileError is how a profile answers one kind of error:
 * {"<key>": "<text>"} with status.  key NULL: the profile's error_key;
 * text NULL: the error's own message (what pgjob found wrong). */
typedef struct ProfileError {
    int status;
    const char *key;
    const char *text;
} ProfileError;

/* Accepted auth headers (Profile.auth). */
enum {
    PROFILE_AUTH_X_API_KEY = 1u << 0, /* X-API-Key: <key> */
    PROFILE_AUTH_BEARER = 1u << 1,    /* Authorization: Bearer <key> */
};

/* ProfileBody is the body a profile's submit takes. */
typedef enum ProfileBody {
    PROFILE_BODY_JSON_ITEMS, /* a JSON object whose items_field is the items array */
    PROFILE_BODY_DOCUMENT,   /* multipart/form-data with one "file" part: one item */
} ProfileBody;

/* Profile is one profile; see above. */
typedef struct Profile {
    const char *name;  /* the PGJOB_PROFILE value: "parsetx" */
    const char *title; /* "ParseTx" */
    const ProfileRoute *routes;
    size_t route_count;
    const char *words[JOB_STATUS_COUNT]; /* the word of each status; NULL: answered as not found */
    ProfileFields job;                   /* a job as a read answers it */
    ProfileFields submitted;             /* the submit's answer; count 0: as job */
    ProfileFields results;               /* PROFILE_RESULTS' answer */
    unsigned results_states;             /* the states PROFILE_RESULTS answers in (else 409) */
    const char *list_key;                /* the key of a list page's array ("results") */
    const char *list_next_key;           /* the key of the next page's URL (null on the last) */
    ProfileTime time;
    unsigned auth;                /* PROFILE_AUTH_* */
    const char *www_authenticate; /* sent with a 401; NULL: none */
    bool key_scoped;              /* a job read with another key than its creator's is foreign */
    const char *error_key;        /* the envelope's key: {"error": ...} */
    ProfileError errors[PERR_COUNT];
    const char *job_type;     /* the type a submit creates */
    ProfileBody body;         /* what a submit takes */
    const char *items_field;  /* PROFILE_BODY_JSON_ITEMS: the array's key */
    const char *async_field;  /* a body field that must be true ("async"); NULL: none */
    const char *result_route; /* the PROFILE_RESULT_FILE pattern a large result points to */
    int submit_status;        /* 202 or 201 */
    int max_items;            /* most items per job (at most max_items of pgjob.conf); 0: that */
    int retry_after_seconds;  /* Retry-After while a job is not finished; 0: pgjob.conf's */
    int list_page_size;       /* jobs per list page */
} Profile;

/* profile_find returns the profile called name, or NULL. */
const Profile *profile_find(const char *name);

/* profile_all returns the table of every profile and its length. */
const Profile *const *profile_all(size_t *count);

/* ProfileMatch is what profile_match found. */
typedef struct ProfileMatch {
    const ProfileRoute *route; /* NULL when nothing matched */
    char id[UUID_TEXT_SIZE];   /* the {id}, lower case; "" when the route has none */
    bool head;                 /* HEAD, answered as GET without a body */
    char allow[32];            /* on 405: the Allow header */
} ProfileMatch;

/* profile_match matches method and path (decoded, the prefix taken off)
 * against p's routes.  false with err (PERR_ROUTE_NOT_FOUND 404, or
 * PERR_METHOD 405 and out->allow) when nothing matched. */
bool profile_match(const Profile *p, const char *method, const char *path, ProfileMatch *out,
                   Error *err) __attribute__((warn_unused_result));

/* profile_strip_prefix returns path without prefix (NULL or "": path)
 * when it starts with it at a segment boundary, else NULL. */
const char *profile_strip_prefix(const char *path, const char *prefix);

/* profile_error_kind classifies a native Error (its status and code). */
ProfileErrorKind profile_error_kind(const Error *err);

/* profile_render_error makes err the response in p's envelope: status,
 * {"<key>": "<text>"}, WWW-Authenticate with a 401, Retry-After with a
 * 503 (unless set).  kind is err's class, profile_error_kind(err) unless
 * the caller knows better (PERR_FOREIGN_JOB).  Returns false when memory
 * runs out (res is then an empty 500). */
bool profile_render_error(const Profile *p, Response *res, ProfileErrorKind kind, const Error *err)
    __attribute__((warn_unused_result));

/* profile_word returns p's word for the internal status word (the
 * database's), NULL when p answers that status as not found or the word
 * is no status. */
const char *profile_word(const Profile *p, const char *status);

/* ProfileRow is a job row as text (JobView, plus what profile reads add),
 * every field borrowed; NULL for SQL NULL or not selected. */
typedef struct ProfileRow {
    JobView job;
    const char *results_bytes; /* bytes of the results */
    const char *outputs;       /* JSON array: one output per item */
    const char *first_output;  /* JSON: the first item's output */
    const char *error_message; /* the job error's message */
    const char *result_url;    /* where a large result is (PROFILE_RESULT_FILE), or NULL */
} ProfileRow;

/* profile_row_set sets the field of row named column (a JobView field
 * or one of ProfileRow's) to value; false when no field has that name. */
bool profile_row_set(ProfileRow *row, const char *column, const char *value);

/* profile_job_json writes row as fields say for p (time format, words).
 * Returns new text (free()) and its length in *len, or NULL with err
 * (500 bad_job_row naming a field that cannot be read, 500
 * out_of_memory).  A status p has no word for is 500 too: the caller
 * answers those as not found first. */
char *profile_job_json(const Profile *p, const ProfileFields *fields, const ProfileRow *row,
                       size_t *len, Error *err) __attribute__((warn_unused_result));

/* profile_time writes the timestamptz text pg in p's format to out[size]
 * (at least TIMESTAMP_RFC3339_SIZE); false when pg cannot be read. */
bool profile_time(const Profile *p, const char *pg, char *out, size_t size)
    __attribute__((warn_unused_result));

#endif
