/* SPDX-License-Identifier: MIT */
/* account.c is "pgjobctl account create|list|show": the accounts that own keys and jobs. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "table.h"

static const char account_usage[] =
    "usage: pgjobctl account create NAME [OPTIONS]\n"
    "       pgjobctl account list [OPTIONS]\n"
    "       pgjobctl account show ACCOUNT [OPTIONS]\n"
    "\n"
    "create  makes an account named NAME (1 to 200 characters, unique) and\n"
    "        prints its id\n"
    "list    lists the accounts with their number of live keys\n"
    "show    prints one account (ACCOUNT is its id or its name): its keys and\n"
    "        its jobs counted by status\n"
    "\n" CTL_COMMON_HELP;

static const char create_sql[] =
    "SELECT n.id, $1::text AS name, now() AS created_at"
    "  FROM (SELECT pgjob.create_account($1::text) AS id) n";

static const char list_sql[] =
    "SELECT a.id, a.name, a.created_at,"
    "       (SELECT count(*) FROM pgjob.api_key k"
    "         WHERE k.account_id = a.id AND pgjob.api_key_state(k.id) = 'live') AS live_keys"
    "  FROM pgjob.account a ORDER BY a.id";

static const char show_sql[] =
    "SELECT a.id, a.name, a.created_at,"
    "       (SELECT count(*) FROM pgjob.api_key k"
    "         WHERE k.account_id = a.id AND pgjob.api_key_state(k.id) = 'live') AS live_keys,"
    "       (SELECT count(*) FROM pgjob.api_key k WHERE k.account_id = a.id) AS keys,"
    "       (SELECT coalesce(json_object_agg(s.status, s.n ORDER BY s.status), '{}')"
    "          FROM (SELECT j.status, count(*) AS n FROM pgjob.job j"
    "                 WHERE j.account_id = a.id GROUP BY j.status) s) AS jobs"
    "  FROM pgjob.account a WHERE a.id = $1::bigint";

/* no_options refuses every option of its own: account has none. */
static int no_options(int opt, const char *arg, void *ctx)
{
    (void)opt;
    (void)arg;
    (void)ctx;
    return CTL_EXIT_USAGE;
}

int account_main(int argc, char **argv)
{
    static const struct option options[] = {CTL_COMMON_OPTIONS};
    const char *verb;
    char **operands;
    int count, rc;
    PGconn *c = NULL;

    /* Options may come anywhere: the action is the first operand. */
    rc = ctl_parse_options(argc, argv, "account", account_usage, "", options, no_options, NULL);
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return ctl_usage_error("account", "say create, list or show");
    verb = argv[optind];
    operands = argv + optind + 1;
    count = argc - optind - 1;

    if (strcmp(verb, "create") == 0) {
        if (count != 1)
            return ctl_usage_error("account", "create takes one NAME");
    } else if (strcmp(verb, "list") == 0) {
        if (count != 0)
            return ctl_usage_error("account", "list takes no argument");
    } else if (strcmp(verb, "show") == 0) {
        if (count != 1)
            return ctl_usage_error("account", "show takes one ACCOUNT (id or name)");
    } else {
        return ctl_usage_error("account", "unknown action '%.40s': say create, list or show", verb);
    }

    if ((rc = ctl_connect(&c, true)) != CTL_EXIT_OK)
        return rc;
    if (strcmp(verb, "create") == 0) {
        const char *params[1] = {operands[0]};
        rc = table_run_record(c, create_sql, 1, params, "account create", "no account was made");
    } else if (strcmp(verb, "list") == 0) {
        rc = table_run_rows(c, list_sql, 0, NULL, "account list");
    } else {
        char id[24];
        const char *params[1] = {id};
        rc = ctl_account_id(c, operands[0], id);
        if (rc == CTL_EXIT_OK)
            rc = table_run_record(c, show_sql, 1, params, "account show", "no such account");
    }
    PQfinish(c);
    return rc;
}
