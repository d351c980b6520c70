/* SPDX-License-Identifier: MIT */
/*
 * key.c is "pgjobctl key create|list|revoke|rotate|import": the API keys
 * of accounts.  A key pgjob makes is printed once; the database keeps only
 * its SHA-256 (sql/008_keys.sql makes keys, imports and rotates them, and
 * says which keys are live).
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "strnum.h"
#include "table.h"

static const char key_usage[] =
    "usage: pgjobctl key create --account ACCOUNT [--prefix PREFIX] [--name LABEL]\n"
    "                           [--expires TIME | --expires-in DURATION]\n"
    "       pgjobctl key list [--account ACCOUNT]\n"
    "       pgjobctl key revoke KEY_ID\n"
    "       pgjobctl key rotate KEY_ID [--grace DURATION] [--name LABEL]\n"
    "                           [--expires TIME | --expires-in DURATION]\n"
    "       pgjobctl key import --account ACCOUNT (--value KEY | --sha256 HEX)\n"
    "                           [--prefix PREFIX] [--name LABEL]\n"
    "                           [--expires TIME | --expires-in DURATION]\n"
    "\n"
    "create  makes a key for the account: PREFIX (default pgj_) and 64 random\n"
    "        hex digits.  The key is printed this once: only its SHA-256 is kept.\n"
    "list    lists keys (never the key itself): id, account, the prefix and\n"
    "        last 4 characters shown in listings, state (live, revoked or\n"
    "        expired), times\n"
    "revoke  revokes a key for good\n"
    "rotate  makes a new key like KEY_ID (same account, prefix and label),\n"
    "        printed once, and makes the old key expire after the grace period\n"
    "        (default 24h; 0 ends it now)\n"
    "import  records a key another service issued, so its client keeps it:\n"
    "        by value (--value -: read it from stdin) or by its SHA-256\n"
    "\n"
    "  -a, --account ACCOUNT    the account's id or name\n"
    "  -p, --prefix PREFIX      0 to 32 of A-Z a-z 0-9 _ . - (pt_live_, inv_)\n"
    "  -n, --name LABEL         a label for listings\n"
    "  -e, --expires TIME       the key stops working at TIME (2027-01-01T00:00:00Z)\n"
    "  -E, --expires-in DURATION  ... that long from now: 90d, 12h, 30m, 45s\n"
    "  -g, --grace DURATION     rotate: how long the old key keeps working\n"
    "  -V, --value KEY          import: the key (- reads one line from stdin)\n"
    "  -S, --sha256 HEX         import: the key's SHA-256, 64 hex digits\n"
    "\n" CTL_COMMON_HELP;

/* KeyArgs are key's own options. */
typedef struct KeyArgs {
    const char *account, *prefix, *name, *expires, *expires_in, *grace, *value, *sha256;
} KeyArgs;

/* The expiry of the options: the time given, else now() + $n seconds. */
#define EXPIRY(t, s) "coalesce(" t "::timestamptz, now() + " s "::bigint * interval '1 second')"

static const char create_sql[] =
    "SELECT k.key_id AS id, $1::bigint AS account, k.key, k.prefix, k.expires_at"
    "  FROM pgjob.create_api_key($1::bigint, $2::text, $3::text, " EXPIRY("$4", "$5") ") k";

static const char list_sql[] =
    "SELECT k.id, k.account_id AS account, k.prefix, k.last4, k.label AS name, k.origin,"
    "       pgjob.api_key_state(k.id) AS state, k.created_at, k.expires_at, k.revoked_at,"
    "       k.rotated_from"
    "  FROM pgjob.api_key k WHERE $1::bigint IS NULL OR k.account_id = $1::bigint"
    " ORDER BY k.id";

static const char revoke_sql[] =
    "SELECT $1::bigint AS id, pgjob.revoke_api_key($1::bigint) AS revoked_now";

static const char rotate_sql[] =
    "SELECT r.key_id AS id, r.key, r.prefix, r.expires_at, r.old_key_id, r.old_expires_at"
    "  FROM pgjob.rotate_api_key($1::bigint, $2::bigint * interval '1 second', $3::text, " EXPIRY(
        "$4", "$5") ") r";

static const char import_sql[] =
    "SELECT i.key_id AS id, $1::bigint AS account, i.prefix, i.last4, i.expires_at"
    "  FROM pgjob.import_api_key($1::bigint, $2::text, decode($3::text, 'hex'), $4::text,"
    "                            $5::text, " EXPIRY("$6", "$7") ") i";

/* key_option stores one of key's own options. */
static int key_option(int opt, const char *arg, void *ctx)
{
    KeyArgs *a = ctx;

    switch (opt) {
        case 'a':
            a->account = arg;
            break;
        case 'p':
            a->prefix = arg;
            break;
        case 'n':
            a->name = arg;
            break;
        case 'e':
            a->expires = arg;
            break;
        case 'E':
            a->expires_in = arg;
            break;
        case 'g':
            a->grace = arg;
            break;
        case 'V':
            a->value = arg;
            break;
        case 'S':
            a->sha256 = arg;
            break;
        default:
            return CTL_EXIT_USAGE;
    }
    return -1;
}

/* Which options each action takes, as a string of short letters. */
typedef struct KeyAction {
    const char *verb;
    const char *allowed; /* own options it accepts */
    int operands;        /* 0, or 1 for KEY_ID */
} KeyAction;

static const KeyAction actions[] = {
    {"create", "apneE", 0}, {"list", "a", 0},         {"revoke", "", 1},
    {"rotate", "gneE", 1},  {"import", "apneEVS", 0},
};

/* check_args checks what the command line gave against the action:
 * options it does not take, the operand, the formats of durations and
 * hashes.  Fills expires_seconds (text, "" for none) and grace_seconds. */
static int check_args(const KeyAction *act, const KeyArgs *a, int count, char expires_seconds[24],
                      char grace_seconds[24])
{
    const char *given[] = {a->account,    a->prefix, a->name,  a->expires,
                           a->expires_in, a->grace,  a->value, a->sha256};
    static const char letters[] = "apneEgVS";
    static const char *const names[] = {"--account",    "--prefix", "--name",  "--expires",
                                        "--expires-in", "--grace",  "--value", "--sha256"};
    char cmd[32];
    long seconds;

    snprintf(cmd, sizeof cmd, "key %s", act->verb);
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++) {
        if (given[i] != NULL && strchr(act->allowed, letters[i]) == NULL)
            return ctl_usage_error(cmd, "%s does not apply here", names[i]);
    }
    if (count != act->operands)
        return ctl_usage_error(cmd, act->operands ? "give one KEY_ID" : "takes no operand");
    if ((strcmp(act->verb, "create") == 0 || strcmp(act->verb, "import") == 0) &&
        a->account == NULL)
        return ctl_usage_error(cmd, "--account is required");
    if (a->expires != NULL && a->expires_in != NULL)
        return ctl_usage_error(cmd, "give --expires or --expires-in, not both");
    expires_seconds[0] = '\0';
    if (a->expires_in != NULL) {
        if (!ctl_parse_duration(a->expires_in, &seconds) || seconds == 0)
            return ctl_usage_error(cmd, "--expires-in wants a duration like 90d, 12h, 30m");
        snprintf(expires_seconds, 24, "%ld", seconds);
    }
    seconds = 86400;
    if (a->grace != NULL && !ctl_parse_duration(a->grace, &seconds))
        return ctl_usage_error(cmd, "--grace wants a duration like 24h, 30m or 0");
    snprintf(grace_seconds, 24, "%ld", seconds);
    if (strcmp(act->verb, "import") == 0) {
        if ((a->value == NULL) == (a->sha256 == NULL))
            return ctl_usage_error(cmd, "give --value or --sha256 (one of them)");
        if (a->sha256 != NULL &&
            (strlen(a->sha256) != 64 || strspn(a->sha256, "0123456789abcdefABCDEF") != 64))
            return ctl_usage_error(cmd, "--sha256 wants 64 hex digits");
    }
    return -1;
}

/* read_key_line reads the key of "--value -" from stdin: one line, its
 * newline dropped.  False when there is none. */
static bool read_key_line(char *buf, size_t size)
{
    size_t len;

    if (fgets(buf, (int)size, stdin) == NULL)
        return false;
    len = strcspn(buf, "\r\n");
    buf[len] = '\0';
    return len > 0;
}

/* run_action runs a checked action on c. */
static int run_action(PGconn *c, const KeyAction *act, const KeyArgs *a, const char *key_id,
                      const char *expires_seconds, const char *grace_seconds)
{
    const char *expires_in = expires_seconds[0] != '\0' ? expires_seconds : NULL;
    char account[24], value[512];
    int rc = CTL_EXIT_OK;

    if (a->account != NULL && (rc = ctl_account_id(c, a->account, account)) != CTL_EXIT_OK)
        return rc;
    if (strcmp(act->verb, "create") == 0) {
        const char *p[5] = {account, a->name, a->prefix != NULL ? a->prefix : "pgj_", a->expires,
                            expires_in};
        rc = table_run_record(c, create_sql, 5, p, "key create", "no key was made");
        if (rc == CTL_EXIT_OK)
            log_info("this is the only time the key is shown: store it now");
    } else if (strcmp(act->verb, "list") == 0) {
        const char *p[1] = {a->account != NULL ? account : NULL};
        rc = table_run_rows(c, list_sql, 1, p, "key list");
    } else if (strcmp(act->verb, "revoke") == 0) {
        const char *p[1] = {key_id};
        rc = table_run_record(c, revoke_sql, 1, p, "key revoke", "no key was revoked");
    } else if (strcmp(act->verb, "rotate") == 0) {
        const char *p[5] = {key_id, grace_seconds, a->name, a->expires, expires_in};
        rc = table_run_record(c, rotate_sql, 5, p, "key rotate", "no key was made");
        if (rc == CTL_EXIT_OK)
            log_info("this is the only time the new key is shown: store it now");
    } else {
        const char *key = a->value;
        if (key != NULL && strcmp(key, "-") == 0) {
            if (!read_key_line(value, sizeof value))
                return ctl_usage_error("key import", "--value -: no key on stdin");
            key = value;
        }
        const char *p[7] = {account, key,        a->sha256, a->prefix != NULL ? a->prefix : "",
                            a->name, a->expires, expires_in};
        rc = table_run_record(c, import_sql, 7, p, "key import", "no key was imported");
    }
    return rc;
}

int key_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"account", required_argument, NULL, 'a'},
        {"prefix", required_argument, NULL, 'p'},
        {"name", required_argument, NULL, 'n'},
        {"expires", required_argument, NULL, 'e'},
        {"expires-in", required_argument, NULL, 'E'},
        {"grace", required_argument, NULL, 'g'},
        {"value", required_argument, NULL, 'V'},
        {"sha256", required_argument, NULL, 'S'},
        CTL_COMMON_OPTIONS,
    };
    const char *verb;
    const KeyAction *act = NULL;
    KeyArgs a = {0};
    char expires_seconds[24], grace_seconds[24];
    long id;
    int rc, count;
    PGconn *c;

    /* Options may come anywhere: the action is the first operand. */
    rc = ctl_parse_options(argc, argv, "key", key_usage, "a:p:n:e:E:g:V:S:", options, key_option,
                           &a);
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return ctl_usage_error("key", "say create, list, revoke, rotate or import");
    verb = argv[optind];
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (strcmp(verb, actions[i].verb) == 0)
            act = &actions[i];
    }
    if (act == NULL)
        return ctl_usage_error("key",
                               "unknown action '%.40s': say create, list, revoke, rotate "
                               "or import",
                               verb);
    count = argc - optind - 1;
    if ((rc = check_args(act, &a, count, expires_seconds, grace_seconds)) >= 0)
        return rc;
    if (act->operands == 1 && !strnum_long(argv[optind + 1], 1, 9223372036854775807L, &id))
        return ctl_usage_error("key", "KEY_ID is a key's number, as key list shows it");

    if ((rc = ctl_connect(&c, true)) != CTL_EXIT_OK)
        return rc;
    rc = run_action(c, act, &a, act->operands == 1 ? argv[optind + 1] : NULL, expires_seconds,
                    grace_seconds);
    PQfinish(c);
    return rc;
}
