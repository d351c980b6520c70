/* SPDX-License-Identifier: MIT */
/*
 * schema.c applies the embedded migrations to a database and compares a
 * database's recorded schema version with this build's.
 *
 * Wording: a migration is one embedded sql/NNN_name.sql file; it is
 * applied once recorded in pgjob.schema_migration; the database's version
 * is the highest version recorded there (0 without the table).
 */
#include "schema.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "strnum.h"

/* lock_key is the pg_advisory_lock key that serializes migrate runs:
 * "pgjob" in ASCII read as a big-endian number. */
static const char *const lock_key[] = {"482771365730"};

/* Columns of applied_sql. */
enum { COL_VERSION, COL_NAME, COL_CHECKSUM, COL_APPLIED_AT };

static const char applied_sql[] =
    "SELECT version, name, checksum,"
    " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM pgjob.schema_migration ORDER BY version";

static const char create_schema_sql[] = "CREATE SCHEMA IF NOT EXISTS pgjob";

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS pgjob.schema_migration ("
    " version int PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

static const char record_sql[] =
    "INSERT INTO pgjob.schema_migration (version, name, checksum)"
    " VALUES ($1::int, $2::text, md5($3::text))";

/* A migration that replaces a function (CREATE OR REPLACE, or DROP and
 * CREATE) resets what an operator set on it: CREATE OR REPLACE makes it
 * SECURITY INVOKER without its SET options, and a new function gets
 * EXECUTE for PUBLIC.  The services' roles (sql/roles.sql.example) rely
 * on exactly those, so every migration runs between keep_rights_sql,
 * which notes per function name of schema pgjob whether it was SECURITY
 * DEFINER and with which settings, whether PUBLIC may execute it and who
 * else may, and restore_rights_sql, which gives each function of that
 * name (overloads and new signatures too) the same again, in the same
 * transaction.  A function whose rights nobody changed is left as the
 * migration made it. */
static const char keep_rights_sql[] =
    "CREATE TEMP TABLE pgjob_kept_rights ON COMMIT DROP AS"
    " SELECT p.proname AS name,"
    "        bool_or(p.prosecdef) AS definer,"
    "        (array_agg(p.proconfig::text) FILTER (WHERE p.prosecdef))[1]::text[] AS config,"
    "        bool_and(a.public) AS public_execute,"
    "        array_remove(array_agg(DISTINCT g.grantee), NULL) AS grantees"
    "   FROM pg_proc p"
    "  CROSS JOIN LATERAL (SELECT EXISTS (SELECT FROM aclexplode(coalesce(p.proacl,"
    "                             acldefault('f', p.proowner))) x"
    "                      WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE') AS public) a"
    "   LEFT JOIN LATERAL (SELECT x.grantee FROM aclexplode(p.proacl) x"
    "                      WHERE x.grantee NOT IN (0, p.proowner)"
    "                        AND x.privilege_type = 'EXECUTE') g ON true"
    "  WHERE p.pronamespace = to_regnamespace('pgjob')"
    "  GROUP BY p.proname"
    " HAVING bool_or(p.prosecdef) OR NOT bool_and(a.public) OR count(g.grantee) > 0";

/* The settings are put back with SET ... FROM CURRENT after set_config,
 * so that no value is ever written into a statement. */
static const char restore_rights_sql[] =
    "DO $$\n"
    "DECLARE\n"
    "    k record;\n"
    "    f regprocedure;\n"
    "    setting text;\n"
    "    role name;\n"
    "    old text;\n"
    "BEGIN\n"
    "    FOR k IN SELECT * FROM pg_temp.pgjob_kept_rights LOOP\n"
    "        FOR f IN SELECT p.oid::regprocedure FROM pg_proc p\n"
    "                  WHERE p.pronamespace = 'pgjob'::regnamespace AND p.proname = k.name\n"
    "        LOOP\n"
    "            IF k.definer THEN\n"
    "                EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER', f);\n"
    "                FOREACH setting IN ARRAY coalesce(k.config, '{}') LOOP\n"
    "                    old := current_setting(split_part(setting, '=', 1));\n"
    "                    PERFORM set_config(split_part(setting, '=', 1),\n"
    "                                       substr(setting, strpos(setting, '=') + 1), true);\n"
    "                    EXECUTE format('ALTER FUNCTION %s SET %I FROM CURRENT', f,\n"
    "                                   split_part(setting, '=', 1));\n"
    "                    PERFORM set_config(split_part(setting, '=', 1), old, true);\n"
    "                END LOOP;\n"
    "            END IF;\n"
    "            IF NOT k.public_execute THEN\n"
    "                EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);\n"
    "            END IF;\n"
    "            FOR role IN SELECT r.rolname FROM pg_roles r WHERE r.oid = ANY (k.grantees) LOOP\n"
    "                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, role);\n"
    "            END LOOP;\n"
    "        END LOOP;\n"
    "    END LOOP;\n"
    "END\n"
    "$$";

int schema_latest(void)
{
    return migrations_count > 0 ? migrations[migrations_count - 1].version : 0;
}

/* missing_table says whether r failed only because schema pgjob or its
 * schema_migration table does not exist yet. */
static bool missing_table(const PGresult *r)
{
    const char *state = db_sqlstate(r);
    return strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0;
}

/* load_applied reads pgjob.schema_migration, ordered by version, into
 * *out: a new result the caller PQclears, or NULL (no rows) when the table
 * does not exist. */
static bool load_applied(PGconn *c, PGresult **out, Error *err)
{
    PGresult *r = db_exec(c, applied_sql, 0, NULL);

    *out = NULL;
    if (db_tuples_ok(r)) {
        *out = r;
        return true;
    }
    if (missing_table(r)) {
        PQclear(r);
        return true;
    }
    db_error(c, r, "cannot read pgjob.schema_migration", err);
    PQclear(r);
    return false;
}

/* applied_count returns the rows of load_applied's result (0 for NULL). */
static int applied_count(const PGresult *applied)
{
    return applied != NULL ? PQntuples(applied) : 0;
}

/* applied_version returns the version of a row of load_applied, -1 if it
 * does not parse (it always does: the column is an int). */
static int applied_version(const PGresult *applied, int row)
{
    int v;

    if (!strnum_int(PQgetvalue(applied, row, COL_VERSION), INT_MIN, INT_MAX, &v))
        return -1;
    return v;
}

/* applied_find returns the row that records version, or -1. */
static int applied_find(const PGresult *applied, int version)
{
    for (int row = 0; row < applied_count(applied); row++) {
        if (applied_version(applied, row) == version)
            return row;
    }
    return -1;
}

/* applied_max returns the database's version: the last row's, rows being
 * ordered, or 0 when nothing is recorded. */
static int applied_max(const PGresult *applied)
{
    int n = applied_count(applied);
    return n > 0 ? applied_version(applied, n - 1) : 0;
}

/* checksum_matches sets *match to whether stored equals the md5 of m's
 * text, computed by the server exactly as when the row was recorded. */
static bool checksum_matches(PGconn *c, const Migration *m, const char *stored, bool *match,
                             Error *err)
{
    const char *params[] = {m->sql, stored};
    PGresult *r = db_exec(c, "SELECT md5($1::text) = $2::text", 2, params);
    bool ok = db_tuples_ok(r) && PQntuples(r) == 1;

    if (ok)
        *match = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    else
        db_error(c, r, "cannot compute a migration checksum", err);
    PQclear(r);
    return ok;
}

/* check_compatible refuses a database that is ahead of this build or
 * whose applied migrations differ from the embedded ones. */
static bool check_compatible(PGconn *c, const PGresult *applied, Error *err)
{
    int latest = schema_latest();
    int current = applied_max(applied);

    if (current > latest) {
        error_set(err, 500, "schema_too_new",
                  "database schema is at version %d but this pgjob knows versions up to %d; "
                  "upgrade pgjob before using this database",
                  current, latest);
        return false;
    }
    for (int row = 0; row < applied_count(applied); row++) {
        int v = applied_version(applied, row);
        bool match;

        if (v < 1 || v > latest)
            continue;
        if (!checksum_matches(c, &migrations[v - 1], PQgetvalue(applied, row, COL_CHECKSUM), &match,
                              err))
            return false;
        if (!match) {
            error_set(err, 500, "migration_changed",
                      "migration %s was changed after it was applied; "
                      "use the pgjob version that applied it",
                      migrations[v - 1].name);
            return false;
        }
    }
    return true;
}

/* migration_error fills err for a migration whose text failed, with the
 * line of the error when the server reports a position. */
static void migration_error(PGconn *c, const PGresult *r, const Migration *m, Error *err)
{
    const char *state = db_sqlstate(r);
    const char *pos = r != NULL ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
    char where[32] = "";
    long position;
    int line;

    if (state[0] == '\0' || db_status_for_sqlstate(state) == 503) {
        char context[96];
        snprintf(context, sizeof context, "migration %s failed", m->name);
        db_error(c, r, context, err);
        return;
    }
    if (pos != NULL && strnum_long(pos, 1, LONG_MAX, &position)) {
        line = migrations_line_of(m->sql, position);
        if (line > 0)
            snprintf(where, sizeof where, " at line %d", line);
    }
    error_set(err, 500, "migration_failed", "migration %s failed%s: %s (SQLSTATE %s)", m->name,
              where, db_message(r), state);
}

/* rollback ends whatever transaction a failed apply_one left open.  Its
 * own failure is ignored: the connection is then gone, and with it the
 * transaction. */
static void rollback(PGconn *c)
{
    PGTransactionStatusType ts = PQtransactionStatus(c);

    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
        PQclear(PQexec(c, "ROLLBACK"));
}

/* text_ok says whether a migration's text ran: a command, a query, or
 * nothing but comments. */
static bool text_ok(const PGresult *r)
{
    return db_command_ok(r) || db_tuples_ok(r) ||
           (r != NULL && PQresultStatus(r) == PGRES_EMPTY_QUERY);
}

/* apply_one runs m's text and records it, in one transaction. */
static bool apply_one(PGconn *c, const Migration *m, Error *err)
{
    char version[16];
    char context[96];
    const char *params[] = {version, m->name, m->sql};
    PGresult *r = NULL;
    bool ok = false;

    snprintf(version, sizeof version, "%d", m->version);
    snprintf(context, sizeof context, "cannot record migration %s", m->name);
    if (!db_run(c, "BEGIN", 0, NULL, "cannot begin a transaction", err) ||
        !db_run(c, keep_rights_sql, 0, NULL, "cannot note the rights of pgjob's functions", err))
        goto out;
    /* A migration is code with many statements: the simple protocol runs
     * them all (PQexecParams takes one), and nothing in it is a value. */
    r = PQexec(c, m->sql);
    if (!text_ok(r)) {
        migration_error(c, r, m, err);
        goto out;
    }
    if (PQtransactionStatus(c) != PQTRANS_INTRANS) {
        error_set(err, 500, "migration_failed",
                  "migration %s ended the transaction it runs in, so what it did before "
                  "is committed but not recorded; a migration must not contain BEGIN, "
                  "COMMIT or ROLLBACK",
                  m->name);
        goto out;
    }
    if (!db_run(c, restore_rights_sql, 0, NULL, "cannot restore the rights of pgjob's functions",
                err) ||
        !db_run(c, record_sql, 3, params, context, err) ||
        !db_run(c, "COMMIT", 0, NULL, context, err))
        goto out;
    ok = true;
out:
    PQclear(r);
    if (!ok)
        rollback(c);
    return ok;
}

/* apply_pending applies each embedded migration not in applied, in
 * order, counting them in *count. */
static bool apply_pending(PGconn *c, const PGresult *applied, SchemaAppliedFn on_applied, void *ctx,
                          int *count, Error *err)
{
    for (size_t i = 0; i < migrations_count; i++) {
        const Migration *m = &migrations[i];

        if (applied_find(applied, m->version) >= 0)
            continue;
        if (!apply_one(c, m, err))
            return false;
        (*count)++;
        if (on_applied != NULL)
            on_applied(m, ctx);
    }
    return true;
}

bool schema_migrate(PGconn *c, SchemaAppliedFn on_applied, void *ctx, int *applied_out, Error *err)
{
    PGresult *applied = NULL;
    bool locked = false;
    bool ok = false;
    int count = 0;

    if (!migrations_validate(migrations, migrations_count, err))
        goto out;
    if (!db_run(c, "SELECT pg_advisory_lock($1::bigint)", 1, lock_key,
                "cannot take the migration lock", err))
        goto out;
    locked = true;
    /* Under the lock: a concurrent run has finished, and sees what it did. */
    if (!db_run(c, create_schema_sql, 0, NULL, "cannot create schema pgjob", err) ||
        !db_run(c, create_table_sql, 0, NULL, "cannot create pgjob.schema_migration", err) ||
        !load_applied(c, &applied, err) || !check_compatible(c, applied, err))
        goto out;
    ok = apply_pending(c, applied, on_applied, ctx, &count, err);
out:
    PQclear(applied);
    if (locked)
        PQclear(db_exec(c, "SELECT pg_advisory_unlock($1::bigint)", 1, lock_key));
    if (applied_out != NULL)
        *applied_out = count;
    return ok;
}

bool schema_version(PGconn *c, int *version_out, Error *err)
{
    PGresult *applied = NULL;

    if (!load_applied(c, &applied, err))
        return false;
    *version_out = applied_max(applied);
    PQclear(applied);
    return true;
}

bool schema_check(PGconn *c, Error *err)
{
    int latest = schema_latest();
    int current;

    if (!schema_version(c, &current, err))
        return false;
    if (current < latest) {
        error_set(err, 503, "schema_too_old",
                  "database schema is at version %d but this pgjob needs version %d; "
                  "run pgjobctl migrate",
                  current, latest);
        return false;
    }
    if (current > latest) {
        error_set(err, 500, "schema_too_new",
                  "database schema is at version %d but this pgjob knows versions up to %d; "
                  "upgrade pgjob before using this database",
                  current, latest);
        return false;
    }
    return true;
}

/* report_embedded calls fn for embedded migration m: pending, applied or
 * changed. */
static bool report_embedded(PGconn *c, const PGresult *applied, const Migration *m,
                            SchemaEntryFn fn, void *ctx, Error *err)
{
    SchemaEntry e = {m->version, m->name, SCHEMA_PENDING, NULL};
    int row = applied_find(applied, m->version);
    bool match;

    if (row >= 0) {
        if (!checksum_matches(c, m, PQgetvalue(applied, row, COL_CHECKSUM), &match, err))
            return false;
        e.state = match ? SCHEMA_APPLIED : SCHEMA_CHANGED;
        e.applied_at = PQgetvalue(applied, row, COL_APPLIED_AT);
    }
    fn(&e, ctx);
    return true;
}

bool schema_status(PGconn *c, SchemaEntryFn fn, void *ctx, Error *err)
{
    PGresult *applied = NULL;
    bool ok = false;

    if (!migrations_validate(migrations, migrations_count, err) || !load_applied(c, &applied, err))
        goto out;
    for (size_t i = 0; i < migrations_count; i++) {
        if (!report_embedded(c, applied, &migrations[i], fn, ctx, err))
            goto out;
    }
    for (int row = 0; row < applied_count(applied); row++) {
        SchemaEntry e = {applied_version(applied, row), PQgetvalue(applied, row, COL_NAME),
                         SCHEMA_UNKNOWN, PQgetvalue(applied, row, COL_APPLIED_AT)};
        if (e.version > schema_latest())
            fn(&e, ctx);
    }
    ok = true;
out:
    PQclear(applied);
    return ok;
}
