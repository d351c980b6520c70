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
    "usage: pgjobctl migrate [--database CONNINFO] [--status]\n"
    "\n"
    "Applies the schema migrations built into pgjobctl that the database\n"
    "lacks, each in its own transaction, and prints one line per migration\n"
    "applied.  Then it makes the shipped rows of the merchant table\n"
    "pgjob.merchant (origin 'shipped') equal to the ones built into pgjobctl,\n"
    "in one statement; operators' rows (origin 'operator') are never touched.\n"
    "Running it again is a no-op.  A database that a newer pgjob migrated, or\n"
    "whose applied migrations differ from these, is refused.\n"
    "\n"
    "  -d, --database CONNINFO  libpq connection string or postgresql:// URL\n"
    "                           (default: $PGJOB_DATABASE, else PGHOST, PGDATABASE...)\n"
    "  -s, --status             list applied and pending migrations, change nothing\n"
    "  -h, --help               show this help\n";

/* MigrateStatus sums up schema_status's entries for the closing line. */
typedef struct MigrateStatus {
    int version; /* highest version recorded in the database */
    int pending;
    int problems; /* changed or unknown entries */
} MigrateStatus;

/* print_applied prints one line per migration applied, flushed at once so
 * that what is printed is what is committed even if pgjobctl dies next. */
static void print_applied(const Migration *m, void *ctx)
{
    (void)ctx;
    printf("applied %s\n", m->name);
    fflush(stdout);
}

/* print_entry prints one line of --status and sums it up in ctx, a
 * MigrateStatus. */
static void print_entry(const SchemaEntry *e, void *ctx)
{
    MigrateStatus *st = ctx;
    char name[128];

    log_sanitize(name, sizeof name, e->name);
    switch (e->state) {
        case SCHEMA_APPLIED:
            printf("applied %s %s\n", name, e->applied_at);
            break;
        case SCHEMA_PENDING:
            printf("pending %s\n", name);
            st->pending++;
            break;
        case SCHEMA_CHANGED:
            printf("changed %s %s (differs from this pgjob's text)\n", name, e->applied_at);
            st->problems++;
            break;
        case SCHEMA_UNKNOWN:
            printf("unknown %s %s (applied by a newer pgjob)\n", name, e->applied_at);
            st->problems++;
            break;
    }
    if (e->state != SCHEMA_PENDING && e->version > st->version)
        st->version = e->version;
}

/* run_status is "migrate --status": list, change nothing. */
static int run_status(PGconn *c)
{
    MigrateStatus st = {0, 0, 0};
    Error err;

    error_clear(&err);
    if (!schema_status(c, print_entry, &st, &err)) {
        log_error("%s", err.message);
        return CTL_EXIT_RUNTIME;
    }
    if (st.pending == 0 && st.problems == 0)
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
    int applied = 0;
    MerchantSync counts = {0};

    error_clear(&err);
    if (!schema_migrate(c, print_applied, NULL, &applied, &err) ||
        !merchants_sync(c, &counts, &err)) {
        log_error("%s", err.message);
        return CTL_EXIT_RUNTIME;
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
        {"database", required_argument, NULL, 'd'},
        {"status", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *database = NULL;
    bool status = false;
    PGconn *c;
    int opt, rc;

    opterr = 0;
    optind = 0; /* glibc: start a fresh scan of this argv */
    while ((opt = getopt_long(argc, argv, "+:d:sh", options, NULL)) != -1) {
        switch (opt) {
            case 'd':
                database = optarg;
                break;
            case 's':
                status = true;
                break;
            case 'h':
                fputs(migrate_usage, stdout);
                return CTL_EXIT_OK;
            case ':':
                return ctl_usage_error("migrate", "%s needs a value", argv[optind - 1]);
            default:
                return ctl_usage_error("migrate", "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ctl_usage_error("migrate", "unexpected argument %s", argv[optind]);

    c = ctl_connect(database);
    if (c == NULL)
        return CTL_EXIT_RUNTIME;
    rc = status ? run_status(c) : run_migrate(c);
    PQfinish(c);
    return rc;
}
