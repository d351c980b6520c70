/* SPDX-License-Identifier: MIT */
/* migrate.c is "pgjobctl migrate": apply the embedded schema migrations, or list them. */
#include "ctl.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "merchants.h"
#include "schema.h"

static const char migrate_usage[] =
    "usage: pgjobctl migrate [--status] [--config FILE] [--database CONNINFO] [--json]\n"
    "\n"
    "Applies the schema migrations built into pgjobctl that the database\n"
    "lacks, each in its own transaction, and prints one line per migration\n"
    "applied.  Then it makes the shipped rows of the merchant table\n"
    "pgjob.merchant (origin 'shipped') equal to the ones built into pgjobctl,\n"
    "in one statement; operators' rows (origin 'operator') are never touched.\n"
    "The rights set on pgjob's functions (SECURITY DEFINER, its settings,\n"
    "EXECUTE grants; see roles.sql.example) are kept across each migration.\n"
    "Running it again is a no-op.  A database that a newer pgjob migrated, or\n"
    "whose applied migrations differ from these, is refused.\n"
    "\n"
    "  -s, --status             list applied and pending migrations, change nothing\n"
    "\n"
    "With --json: {\"applied\": [names], \"version\": N, \"merchants\": {...}}, or\n"
    "with --status an array of {\"name\", \"state\", \"applied_at\"}.\n"
    "\n" CTL_COMMON_HELP;

/* MigrateStatus sums up schema_status's entries for the closing line. */
typedef struct MigrateStatus {
    int version; /* highest version recorded in the database */
    int pending;
    int problems; /* changed or unknown entries */
    int entries;  /* printed so far */
} MigrateStatus;

/* print_applied prints one line per migration applied, flushed at once so
 * that what is printed is what is committed even if pgjobctl dies next. */
static void print_applied(const Migration *m, void *ctx)
{
    int *count = ctx;

    if (ctl_options.json)
        printf("%s\"%s\"", (*count)++ > 0 ? ", " : "", m->name);
    else
        printf("applied %s\n", m->name);
    fflush(stdout);
}

/* print_entry prints one line of --status and sums it up in ctx, a
 * MigrateStatus. */
static void print_entry(const SchemaEntry *e, void *ctx)
{
    MigrateStatus *st = ctx;
    char name[128];

    static const char *const words[] = {"applied", "pending", "changed", "unknown"};

    log_sanitize(name, sizeof name, e->name);
    if (e->state != SCHEMA_PENDING && e->version > st->version)
        st->version = e->version;
    st->pending += e->state == SCHEMA_PENDING;
    st->problems += e->state == SCHEMA_CHANGED || e->state == SCHEMA_UNKNOWN;
    if (ctl_options.json) {
        /* name is "NNN_word" and applied_at RFC 3339: nothing to escape. */
        printf("%s{\"name\": \"%s\", \"state\": \"%s\", \"applied_at\": ",
               st->entries++ ? ",\n " : "", name, words[e->state]);
        printf(e->applied_at != NULL ? "\"%s\"}" : "null}", e->applied_at);
        return;
    }
    switch (e->state) {
        case SCHEMA_APPLIED:
            printf("applied %s %s\n", name, e->applied_at);
            break;
        case SCHEMA_PENDING:
            printf("pending %s\n", name);
            break;
        case SCHEMA_CHANGED:
            printf("changed %s %s (differs from this pgjob's text)\n", name, e->applied_at);
            break;
        case SCHEMA_UNKNOWN:
            printf("unknown %s %s (applied by a newer pgjob)\n", name, e->applied_at);
            break;
    }
}

/* run_status is "migrate --status": list, change nothing. */
static int run_status(PGconn *c)
{
    MigrateStatus st = {0, 0, 0, 0};
    Error err;

    error_clear(&err);
    if (ctl_options.json)
        putchar('[');
    if (!schema_status(c, print_entry, &st, &err)) {
        if (ctl_options.json)
            putchar('\n');
        log_error("%s", err.message);
        return err.status == 503 ? CTL_EXIT_TEMPFAIL : CTL_EXIT_RUNTIME;
    }
    if (ctl_options.json)
        puts("]");
    else if (st.pending == 0 && st.problems == 0)
        printf("schema is up to date at version %d\n", st.version);
    else if (st.problems == 0)
        printf("schema is at version %d; this pgjob knows versions up to %d (%d pending)\n",
               st.version, schema_latest(), st.pending);
    else
        printf(
            "schema is at version %d; this pgjob knows versions up to %d (%d pending, "
            "%d changed or unknown: migrate will refuse this database)\n",
            st.version, schema_latest(), st.pending, st.problems);
    return CTL_EXIT_OK;
}

/* run_migrate applies what is missing, brings the shipped merchants up
 * to date and says where the schema stands. */
static int run_migrate(PGconn *c)
{
    Error err;
    int applied = 0, printed = 0;
    MerchantSync counts = {0};

    error_clear(&err);
    if (ctl_options.json)
        fputs("{\"applied\": [", stdout);
    if (!schema_migrate(c, print_applied, &printed, &applied, &err) ||
        !merchants_sync(c, &counts, &err)) {
        if (ctl_options.json)
            putchar('\n');
        log_error("%s", err.message);
        return err.status == 503 ? CTL_EXIT_TEMPFAIL : CTL_EXIT_RUNTIME;
    }
    if (ctl_options.json) {
        printf(
            "], \"version\": %d, \"merchants\": {\"shipped\": %ld, \"added\": %ld, "
            "\"updated\": %ld, \"removed\": %ld}}\n",
            schema_latest(), counts.shipped, counts.added, counts.updated, counts.removed);
        return CTL_EXIT_OK;
    }
    printf("merchants: %ld shipped (%ld added, %ld updated, %ld removed)\n", counts.shipped,
           counts.added, counts.updated, counts.removed);
    printf("schema is up to date at version %d\n", schema_latest());
    return CTL_EXIT_OK;
}

/* migrate_main parses migrate's options, connects and runs it. */
int migrate_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"status", no_argument, NULL, 's'},
        CTL_COMMON_OPTIONS,
    };
    bool status = false;
    PGconn *c;
    int opt, rc;

    opterr = 0;
    optind = 0; /* glibc: start a fresh scan of this argv */
    while ((opt = getopt_long(argc, argv, ":s" CTL_COMMON_SHORT, options, NULL)) != -1) {
        if (opt == 's') {
            status = true;
        } else if ((rc = ctl_common_option(opt, "migrate", migrate_usage, argv)) >= 0) {
            return rc;
        }
    }
    if (optind < argc)
        return ctl_usage_error("migrate", "unexpected argument %s", argv[optind]);

    if ((rc = ctl_connect(&c, true)) != CTL_EXIT_OK)
        return rc;
    rc = status ? run_status(c) : run_migrate(c);
    PQfinish(c);
    return rc;
}
