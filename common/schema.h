/* SPDX-License-Identifier: MIT */
/*
 * schema.h - the pgjob schema's version in a database: applying the
 * embedded migrations (migrations.h) and checking that a database matches
 * this build.  Applied migrations are recorded in
 * pgjob.schema_migration(version, name, checksum = md5 of the text,
 * applied_at).
 *
 * Rules for migration files, which schema_migrate relies on: a file runs
 * inside one transaction that schema_migrate opens, so it must not contain
 * BEGIN, COMMIT or ROLLBACK (PL/pgSQL bodies are fine), nor statements
 * that cannot run in a transaction (CREATE INDEX CONCURRENTLY, VACUUM),
 * nor COPY ... FROM STDIN.  It may assume schema pgjob exists.
 */
#ifndef PGJOB_SCHEMA_H
#define PGJOB_SCHEMA_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "error.h"
#include "migrations.h"

/* SchemaAppliedFn is called by schema_migrate right after migration m was
 * committed; m is static data.  ctx is the caller's. */
typedef void (*SchemaAppliedFn)(const Migration *m, void *ctx);

/* schema_migrate brings the database on c up to schema_latest().  It takes
 * a session advisory lock so that concurrent runs serialize, creates
 * schema pgjob and pgjob.schema_migration if missing, and refuses without
 * changing anything when the database holds a version newer than this
 * build knows (500 "schema_too_new") or an applied migration whose
 * checksum differs from the embedded text (500 "migration_changed").  It
 * then applies each missing migration in version order, each in its own
 * transaction together with its schema_migration row, calling on_applied
 * (may be NULL) after each commit.  On a failing migration it rolls that
 * one back and stops: 500 "migration_failed" naming the migration, the
 * line and the server's message; migrations committed before it stay.
 * The lock is released before returning.  *applied_out (may be NULL) is
 * set to the number of migrations applied by this call, also on failure.
 * Running it again once up to date changes nothing. */
bool schema_migrate(PGconn *c, SchemaAppliedFn on_applied, void *ctx, int *applied_out, Error *err)
    __attribute__((warn_unused_result));

/* schema_version stores in *version_out the highest version recorded in
 * the database on c, 0 if it has no pgjob.schema_migration table.  Reads
 * only.  Returns false with err filled (db_error) on a database error. */
bool schema_version(PGconn *c, int *version_out, Error *err) __attribute__((warn_unused_result));

/* schema_check succeeds only if the database on c is at exactly
 * schema_latest(), for pgjobd and pgjob.fcgi at startup.  Otherwise err
 * says what to do: 503 "schema_too_old" ("... run pgjobctl migrate"), 500
 * "schema_too_new" ("... upgrade pgjob"), or a database error.  Reads
 * only. */
bool schema_check(PGconn *c, Error *err) __attribute__((warn_unused_result));

/* schema_latest returns the highest embedded migration version, 0 when
 * the build has none. */
int schema_latest(void);

/* SchemaState is where one migration stands in a database. */
typedef enum SchemaState {
    SCHEMA_APPLIED, /* recorded, and the checksum matches this build's text */
    SCHEMA_PENDING, /* in this build, not yet applied */
    SCHEMA_CHANGED, /* recorded, but this build's text differs */
    SCHEMA_UNKNOWN  /* recorded by a newer pgjob; this build does not have it */
} SchemaState;

/* SchemaEntry describes one migration for schema_status; its strings are
 * borrowed and valid only during the callback. */
typedef struct SchemaEntry {
    int version;
    const char *name; /* "001_schema" */
    SchemaState state;
    const char *applied_at; /* RFC 3339 UTC, or NULL when pending */
} SchemaEntry;

typedef void (*SchemaEntryFn)(const SchemaEntry *entry, void *ctx);

/* schema_status calls fn once per migration, in version order: each
 * embedded one (applied, pending or changed), then each recorded version
 * this build does not know.  Reads only and creates nothing.  Returns
 * false with err filled on a database error (fn may have been called for
 * some entries by then). */
bool schema_status(PGconn *c, SchemaEntryFn fn, void *ctx, Error *err)
    __attribute__((warn_unused_result));

#endif
