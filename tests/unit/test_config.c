/* SPDX-License-Identifier: MIT */
/* test_config.c tests pgjob.conf parsing, overrides, printing and reloading (common/config.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "suites.h"

/* Each test runs in its own temporary directory, so one name serves all. */
#define CONF "pgjob.conf"

/* write_file creates path holding text. */
static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    REQUIRE(f != NULL);
    REQUIRE(fputs(text, f) >= 0);
    REQUIRE(fclose(f) == 0);
}

/* read_file returns the contents of path as a new string (free it). */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text;
    long size;

    REQUIRE(f != NULL);
    REQUIRE(fseek(f, 0, SEEK_END) == 0);
    size = ftell(f);
    REQUIRE(size >= 0);
    rewind(f);
    text = calloc(1, (size_t)size + 1);
    REQUIRE(text != NULL);
    REQUIRE(fread(text, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    return text;
}

/* load_text writes text to CONF and loads it with envp (may be NULL). */
static Config *load_text(const char *text, char *const *envp, Error *err)
{
    write_file(CONF, text);
    error_clear(err);
    return config_load(CONF, envp, err);
}

/* check_load_error loads text and checks that it fails with message. */
static void check_load_error(const char *text, const char *message)
{
    Error err;
    Config *c = load_text(text, NULL, &err);

    CHECK(c == NULL);
    CHECK_INT(err.status, 500);
    CHECK_STR(err.code, CONFIG_ERROR_CODE);
    CHECK_STR(err.message, message);
    config_free(c);
}

static bool argv_equal(char *const *a, char *const *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    for (; *a != NULL && *b != NULL; a++, b++) {
        if (strcmp(*a, *b) != 0)
            return false;
    }
    return *a == NULL && *b == NULL;
}

/* check_same checks that a and b hold the same settings, field by field
 * (path aside). */
static void check_same(const Config *a, const Config *b)
{
    CHECK_STR(a->database, b->database);
    CHECK_INT(a->log_level, b->log_level);
    CHECK_INT(a->stats_period_seconds, b->stats_period_seconds);
    CHECK_INT(a->workers, b->workers);
    CHECK_INT(a->claim_batch, b->claim_batch);
    CHECK_INT(a->complete_batch, b->complete_batch);
    CHECK_INT(a->prefetch, b->prefetch);
    CHECK_INT(a->flush_delay_ms, b->flush_delay_ms);
    CHECK_STR(a->types, b->types);
    CHECK_INT(a->lease_seconds, b->lease_seconds);
    CHECK_INT(a->heartbeat_seconds, b->heartbeat_seconds);
    CHECK_INT(a->poll_interval_ms, b->poll_interval_ms);
    CHECK_INT(a->listen, b->listen);
    CHECK_INT(a->shutdown_grace_seconds, b->shutdown_grace_seconds);
    CHECK_INT(a->backoff_base_ms, b->backoff_base_ms);
    CHECK_INT(a->backoff_max_ms, b->backoff_max_ms);
    CHECK_INT(a->rescue_interval_seconds, b->rescue_interval_seconds);
    CHECK_INT(a->expire_interval_seconds, b->expire_interval_seconds);
    CHECK_INT(a->prune_interval_seconds, b->prune_interval_seconds);
    CHECK_INT(a->prune_after_days, b->prune_after_days);
    CHECK_INT(a->maintenance_batch, b->maintenance_batch);
    CHECK_INT(a->enrich_cache_entries, b->enrich_cache_entries);
    CHECK_INT(a->reconnect_max_seconds, b->reconnect_max_seconds);
    CHECK_STR(a->fcgi_listen, b->fcgi_listen);
    CHECK_INT(a->fcgi_threads, b->fcgi_threads);
    CHECK_INT(a->max_body_bytes, b->max_body_bytes);
    CHECK_INT(a->max_items, b->max_items);
    CHECK_INT(a->wait_max_seconds, b->wait_max_seconds);
    CHECK_INT(a->max_waiters, b->max_waiters);
    CHECK_INT(a->large_result_bytes, b->large_result_bytes);
    CHECK_INT(a->retention_days, b->retention_days);
    CHECK_INT(a->retry_after_seconds, b->retry_after_seconds);
    REQUIRE(a->exec_count == b->exec_count);
    for (size_t i = 0; i < a->exec_count; i++) {
        CHECK_STR(a->exec[i].type, b->exec[i].type);
        CHECK(argv_equal(a->exec[i].argv, b->exec[i].argv));
        CHECK_INT(a->exec[i].timeout_seconds, b->exec[i].timeout_seconds);
        CHECK_INT(a->exec[i].max_output_bytes, b->exec[i].max_output_bytes);
    }
    REQUIRE(a->limit_count == b->limit_count);
    for (size_t i = 0; i < a->limit_count; i++) {
        CHECK_STR(a->limits[i].type, b->limits[i].type);
        CHECK_INT(a->limits[i].concurrency, b->limits[i].concurrency);
    }
}

static void defaults(void)
{
    Config *c = config_new();
    Error err;

    REQUIRE(c != NULL);
    CHECK_STR(c->database, "");
    CHECK_INT(c->log_level, LOG_LEVEL_INFO);
    CHECK_INT(c->stats_period_seconds, 60);
    CHECK_INT(c->workers, 4);
    CHECK_INT(c->claim_batch, 100);
    CHECK_INT(c->complete_batch, 100);
    CHECK_STR(c->types, "");
    CHECK_INT(c->lease_seconds, 30);
    CHECK_INT(c->heartbeat_seconds, 10);
    CHECK_INT(c->poll_interval_ms, 1000);
    CHECK(c->listen);
    CHECK_INT(c->shutdown_grace_seconds, 30);
    CHECK_INT(c->backoff_base_ms, 1000);
    CHECK_INT(c->backoff_max_ms, 3600000);
    CHECK_INT(c->rescue_interval_seconds, 5);
    CHECK_INT(c->expire_interval_seconds, 60);
    CHECK_INT(c->prune_interval_seconds, 3600);
    CHECK_INT(c->prune_after_days, 30);
    CHECK_INT(c->maintenance_batch, 1000);
    CHECK_INT(c->reconnect_max_seconds, 30);
    CHECK_INT(c->enrich_cache_entries, 10000);
    CHECK_INT(c->exec_count, 0);
    CHECK_INT(c->limit_count, 0);
    CHECK(c->path == NULL);
    error_clear(&err);
    CHECK(config_check(c, &err));
    CHECK(!error_is_set(&err));
    config_free(c);
    config_free(NULL);
}

static void load_without_file(void)
{
    char *env[] = {"PATH=/bin", "PGJOB_WORKERS=9", NULL};
    Error err;
    Config *c = config_load(NULL, env, &err);
    Config *d = config_load(NULL, NULL, &err);

    REQUIRE(c != NULL && d != NULL);
    CHECK_INT(c->workers, 9);
    CHECK(c->path == NULL);
    CHECK_INT(d->workers, 4);
    config_free(c);
    config_free(d);
}

static void good_file(void)
{
    Error err;
    Config *c = load_text(
        "database = postgresql://pgjob@db.example/pgjob?sslmode=require\n"
        "log_level = debug\n"
        "stats_period_seconds = 15\n"
        "workers = 16\n"
        "claim_batch = 50\n"
        "complete_batch = 25\n"
        "types = enrich, invoice,exec.v2\n"
        "lease_seconds = 60\n"
        "heartbeat_seconds = 20\n"
        "poll_interval_ms = 250\n"
        "listen = no\n"
        "shutdown_grace_seconds = 0\n"
        "backoff_base_ms = 0\n"
        "backoff_max_ms = 0\n"
        "rescue_interval_seconds = 1\n"
        "expire_interval_seconds = 86400\n"
        "prune_interval_seconds = 604800\n"
        "prune_after_days = 36500\n"
        "maintenance_batch = 100000\n"
        "reconnect_max_seconds = 3600\n",
        NULL, &err);

    if (c == NULL)
        fprintf(stderr, "unexpected error: %s\n", err.message);
    REQUIRE(c != NULL);
    CHECK_STR(c->database, "postgresql://pgjob@db.example/pgjob?sslmode=require");
    CHECK_INT(c->log_level, LOG_LEVEL_DEBUG);
    CHECK_INT(c->stats_period_seconds, 15);
    CHECK_INT(c->workers, 16);
    CHECK_INT(c->claim_batch, 50);
    CHECK_INT(c->complete_batch, 25);
    CHECK_STR(c->types, "enrich, invoice,exec.v2");
    CHECK_INT(c->lease_seconds, 60);
    CHECK_INT(c->heartbeat_seconds, 20);
    CHECK_INT(c->poll_interval_ms, 250);
    CHECK(!c->listen);
    CHECK_INT(c->shutdown_grace_seconds, 0);
    CHECK_INT(c->backoff_base_ms, 0);
    CHECK_INT(c->backoff_max_ms, 0);
    CHECK_INT(c->rescue_interval_seconds, 1);
    CHECK_INT(c->expire_interval_seconds, 86400);
    CHECK_INT(c->prune_interval_seconds, 604800);
    CHECK_INT(c->prune_after_days, 36500);
    CHECK_INT(c->maintenance_batch, 100000);
    CHECK_INT(c->reconnect_max_seconds, 3600);
    CHECK_STR(c->path, CONF);
    config_free(c);
}

static void syntax(void)
{
    Error err;
    Config *c = load_text(
        "\xef\xbb\xbf# a comment; the file starts with a byte order mark\n"
        "\n"
        "   \t \n"
        "   # an indented comment\n"
        "workers=8#x\n",
        NULL, &err);

    /* '#' right after a value (no space) is part of the value. */
    CHECK(c == NULL);
    CHECK_STR(err.message, "pgjob.conf:5: workers: \"8#x\" is not an integer between 1 and 1024");

    c = load_text(
        "\xef\xbb\xbf# a comment; the file starts with a byte order mark\n"
        "\n"
        "   \t \n"
        "   # an indented comment\n"
        "workers=8   # a trailing comment\n"
        "\tclaim_batch\t=\t7\t\n"
        "complete_batch = 9\r\n"
        "database = \"  host=x # not a comment \"   # but this is\n"
        "types = \"\"\n"
        "log_level = WARN\n"
        "listen = \"Off\"\n",
        NULL, &err);
    if (c == NULL)
        fprintf(stderr, "unexpected error: %s\n", err.message);
    REQUIRE(c != NULL);
    CHECK_INT(c->workers, 8);
    CHECK_INT(c->claim_batch, 7);
    CHECK_INT(c->complete_batch, 9);
    CHECK_STR(c->database, "  host=x # not a comment ");
    CHECK_STR(c->types, "");
    CHECK_INT(c->log_level, LOG_LEVEL_WARN);
    CHECK(!c->listen);
    config_free(c);

    c = load_text(
        "database = \"say \\\"hi\\\" \\\\ and \\n\"\n"
        "types =\n",
        NULL, &err);
    REQUIRE(c != NULL);
    CHECK_STR(c->database, "say \"hi\" \\ and \\n");
    CHECK_STR(c->types, "");
    config_free(c);

    c = load_text(
        "database = a#b  \n"
        "types = # only a comment: an empty value\n",
        NULL, &err);
    REQUIRE(c != NULL);
    CHECK_STR(c->database, "a#b");
    CHECK_STR(c->types, "");
    config_free(c);
}

static void booleans(void)
{
    static const char *const yes[] = {"true", "yes", "on", "1", "TRUE", "Yes"};
    static const char *const no[] = {"false", "no", "off", "0", "FALSE", "Off"};
    char text[64];
    Error err;

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        Config *c;

        snprintf(text, sizeof text, "listen = %s\n", no[i]);
        c = load_text(text, NULL, &err);
        REQUIRE(c != NULL);
        CHECK(!c->listen);
        config_free(c);
        snprintf(text, sizeof text, "listen = %s\n", yes[i]);
        c = load_text(text, NULL, &err);
        REQUIRE(c != NULL);
        CHECK(c->listen);
        config_free(c);
    }
}

static void value_errors(void)
{
    check_load_error("workers = abc\n",
                     "pgjob.conf:1: workers: \"abc\" is not an integer between 1 and 1024");
    check_load_error("# comment\n\nworkers = 0\n",
                     "pgjob.conf:3: workers: \"0\" is not an integer between 1 and 1024");
    check_load_error("workers = 1025\n",
                     "pgjob.conf:1: workers: \"1025\" is not an integer between 1 and 1024");
    check_load_error("workers = \n",
                     "pgjob.conf:1: workers: \"\" is not an integer between 1 and 1024");
    check_load_error("workers = 4.5\n",
                     "pgjob.conf:1: workers: \"4.5\" is not an integer between 1 and 1024");
    check_load_error("workers = 99999999999999999999\n",
                     "pgjob.conf:1: workers: \"99999999999999999999\" is not an integer between "
                     "1 and 1024");
    check_load_error("listen = maybe\n",
                     "pgjob.conf:1: listen: \"maybe\" is not a boolean "
                     "(true/false, yes/no, on/off, 1/0)");
    check_load_error("log_level = loud\n",
                     "pgjob.conf:1: log_level: \"loud\" is not one of error, warn, info, debug");
    check_load_error("types = enrich,,invoice\n",
                     "pgjob.conf:1: types: \"enrich,,invoice\" is not a comma-separated list of "
                     "job types");
    check_load_error("types = \" \"\n",
                     "pgjob.conf:1: types: \" \" is not a comma-separated list of job types");
    check_load_error("types = Enrich\n",
                     "pgjob.conf:1: types: \"Enrich\" is not a comma-separated list of job types");
    check_load_error("database = \"tab\tok, bell \a not\"\n",
                     "pgjob.conf:1: database: \"tab\\x09ok, bell \\x07 not\" holds a control "
                     "character");
}

static void syntax_errors(void)
{
    check_load_error("workers = 4\n\nwrokers = 5\n", "pgjob.conf:3: unknown key \"wrokers\"");
    check_load_error("workers = 4\nworkers = 5\n",
                     "pgjob.conf:2: duplicate key \"workers\" (first set on line 1)");
    check_load_error("workers 4\n",
                     "pgjob.conf:1: missing \"=\" in \"workers 4\" (expected key = value)");
    check_load_error("  = 4\n", "pgjob.conf:1: missing key before \"=\"");
    check_load_error("database = \"open\n", "pgjob.conf:1: database: missing closing quote");
    check_load_error("database = \"a\" b\n",
                     "pgjob.conf:1: database: unexpected text after the closing quote");
    check_load_error("Workers = 4\n", "pgjob.conf:1: unknown key \"Workers\"");
}

static void missing_file(void)
{
    Error err;
    Config *c = config_load("no-such.conf", NULL, &err);

    CHECK(c == NULL);
    CHECK_INT(err.status, 500);
    CHECK_STR(err.message, "no-such.conf: cannot open: No such file or directory");
}

static void cross_checks(void)
{
    check_load_error("heartbeat_seconds = 30\n",
                     "pgjob.conf: heartbeat_seconds (30) must be less than lease_seconds (30)");
    check_load_error("lease_seconds = 5\nheartbeat_seconds = 6\n",
                     "pgjob.conf: heartbeat_seconds (6) must be less than lease_seconds (5)");
    check_load_error("backoff_base_ms = 2000\nbackoff_max_ms = 1000\n",
                     "pgjob.conf: backoff_base_ms (2000) must not be more than backoff_max_ms "
                     "(1000)");
}

static void env_override(void)
{
    char *env[] = {
        "PGJOB_WORKERS=16",
        "PGJOB_DATABASE=host=/run/postgresql dbname=jobs",
        "PGJOB_LISTEN=off",
        "PGJOB_LOG_LEVEL=error",
        "PGJOB_NOT_A_KEY=whatever",
        "PGJOB_WORKERSX=1",
        "PGJOB_CLAIM_BATCH=5",
        "PGJOB_CLAIM_BATCH=6", /* the first one wins, as with getenv */
        "workers=2",
        NULL,
    };
    Error err;
    Config *c = load_text("workers = 8\nclaim_batch = 7\ncomplete_batch = 3\n", env, &err);

    REQUIRE(c != NULL);
    CHECK_INT(c->workers, 16);
    CHECK_STR(c->database, "host=/run/postgresql dbname=jobs");
    CHECK(!c->listen);
    CHECK_INT(c->log_level, LOG_LEVEL_ERROR);
    CHECK_INT(c->claim_batch, 5);
    CHECK_INT(c->complete_batch, 3);
    config_free(c);
}

static void env_errors(void)
{
    char *bad_int[] = {"PGJOB_WORKERS=many", NULL};
    char *bad_bool[] = {"PGJOB_LISTEN=sometimes", NULL};
    char *bad_check[] = {"PGJOB_LEASE_SECONDS=10", NULL};
    Error err;
    Config *c = load_text("workers = 8\n", bad_int, &err);

    CHECK(c == NULL);
    CHECK_STR(err.message, "PGJOB_WORKERS: \"many\" is not an integer between 1 and 1024");
    c = load_text("", bad_bool, &err);
    CHECK(c == NULL);
    CHECK_STR(err.message,
              "PGJOB_LISTEN: \"sometimes\" is not a boolean (true/false, yes/no, "
              "on/off, 1/0)");
    c = load_text("heartbeat_seconds = 10\n", bad_check, &err);
    CHECK(c == NULL);
    CHECK_STR(err.message,
              "pgjob.conf: heartbeat_seconds (10) must be less than lease_seconds (10)");
}

static void pattern_keys(void)
{
    Error err;
    const ExecType *e;
    Config *c = load_text(
        "exec.zeta.command = /usr/bin/tr  a-z\tA-Z\n"
        "exec.alpha.timeout_seconds = 5\n"
        "exec.alpha.command = \"/usr/local/lib/pgjob/alpha.sh\"\n"
        "exec.alpha.max_output_bytes = 1024\n"
        "concurrency.invoice = 2\n"
        "concurrency.enrich = 0\n"
        "concurrency.zeta = 1024\n",
        NULL, &err);

    if (c == NULL)
        fprintf(stderr, "unexpected error: %s\n", err.message);
    REQUIRE(c != NULL);
    REQUIRE(c->exec_count == 2);
    CHECK_STR(c->exec[0].type, "alpha"); /* sorted by type */
    CHECK_STR(c->exec[1].type, "zeta");
    e = config_exec_type(c, "zeta");
    REQUIRE(e == &c->exec[1]);
    REQUIRE(e->argv != NULL);
    CHECK_STR(e->argv[0], "/usr/bin/tr");
    CHECK_STR(e->argv[1], "a-z");
    CHECK_STR(e->argv[2], "A-Z");
    CHECK(e->argv[3] == NULL);
    CHECK_INT(e->timeout_seconds, 300);
    CHECK_INT(e->max_output_bytes, 16777216);
    e = config_exec_type(c, "alpha");
    REQUIRE(e != NULL && e->argv != NULL);
    CHECK_STR(e->argv[0], "/usr/local/lib/pgjob/alpha.sh");
    CHECK(e->argv[1] == NULL);
    CHECK_INT(e->timeout_seconds, 5);
    CHECK_INT(e->max_output_bytes, 1024);
    CHECK(config_exec_type(c, "enrich") == NULL);
    CHECK(config_exec_type(c, "alph") == NULL);
    CHECK(config_exec_type(NULL, "alpha") == NULL);
    CHECK_INT(config_type_limit(c, "invoice"), 2);
    CHECK_INT(config_type_limit(c, "enrich"), 0);
    CHECK_INT(config_type_limit(c, "zeta"), 1024);
    CHECK_INT(config_type_limit(c, "contact"), 0);
    REQUIRE(c->limit_count == 3);
    CHECK_STR(c->limits[0].type, "enrich");
    CHECK_STR(c->limits[1].type, "invoice");
    CHECK_STR(c->limits[2].type, "zeta");
    config_free(c);
}

static void pattern_errors(void)
{
    check_load_error("exec.foo.timeout_seconds = 10\n",
                     "pgjob.conf:1: exec.foo.timeout_seconds: exec type \"foo\" has no "
                     "exec.foo.command");
    check_load_error(
        "workers = 2\nexec.bar.max_output_bytes = 2048\nexec.bar.timeout_seconds = 1\n",
        "pgjob.conf:2: exec.bar.max_output_bytes: exec type \"bar\" has no "
        "exec.bar.command");
    check_load_error("exec.foo.command = \"\"\n",
                     "pgjob.conf:1: exec.foo.command: \"\" names no program");
    /* error_set makes runs of spaces one space. */
    check_load_error("exec.foo.command = \" \t \"\n",
                     "pgjob.conf:1: exec.foo.command: \" \\x09 \" names no program");
    check_load_error("exec.foo.command = /bin/true\nexec.foo.timeout_seconds = 0\n",
                     "pgjob.conf:2: exec.foo.timeout_seconds: \"0\" is not an integer between 1 "
                     "and 86400");
    check_load_error("exec.foo.command = /bin/true\nexec.foo.max_output_bytes = 1023\n",
                     "pgjob.conf:2: exec.foo.max_output_bytes: \"1023\" is not an integer "
                     "between 1024 and 1073741824");
    check_load_error("concurrency.enrich = -1\n",
                     "pgjob.conf:1: concurrency.enrich: \"-1\" is not an integer between 0 and "
                     "1024");
    check_load_error("exec.foo.command = /bin/true\nexec.foo.command = /bin/false\n",
                     "pgjob.conf:2: duplicate key \"exec.foo.command\" (first set on line 1)");
    check_load_error("exec.Foo.command = /bin/true\n",
                     "pgjob.conf:1: exec.Foo.command: the job type in it must be "
                     "[a-z][a-z0-9_-]*, at most 64 characters");
    check_load_error("concurrency.a.b = 1\n",
                     "pgjob.conf:1: concurrency.a.b: the job type in it must be "
                     "[a-z][a-z0-9_-]*, at most 64 characters");
    check_load_error("exec..command = /bin/true\n",
                     "pgjob.conf:1: exec..command: the job type in it must be "
                     "[a-z][a-z0-9_-]*, at most 64 characters");
    check_load_error("exec.foo.comand = /bin/true\n",
                     "pgjob.conf:1: unknown key \"exec.foo.comand\"");
    check_load_error("exec.foo = /bin/true\n", "pgjob.conf:1: unknown key \"exec.foo\"");
    check_load_error("concurrency = 1\n", "pgjob.conf:1: unknown key \"concurrency\"");
}

static void pattern_type_length(void)
{
    char text[256], type[80];
    Error err;
    Config *c;

    memset(type, 'a', 64);
    type[64] = '\0';
    snprintf(text, sizeof text, "concurrency.%s = 3\n", type);
    c = load_text(text, NULL, &err);
    REQUIRE(c != NULL);
    CHECK_INT(config_type_limit(c, type), 3);
    config_free(c);
    memset(type, 'a', 65);
    type[65] = '\0';
    snprintf(text, sizeof text, "concurrency.%s = 3\n", type);
    c = load_text(text, NULL, &err);
    CHECK(c == NULL);
    config_free(c);
}

/* A config with every key away from its default, quotes and escapes. */
static const char busy_conf[] =
    "database = \"host=db port=5433 password='p#ss w\\\"ord' \"\n"
    "log_level = warn\n"
    "stats_period_seconds = 5\n"
    "workers = 7\n"
    "claim_batch = 11\n"
    "complete_batch = 12\n"
    "types = enrich,exec.v2\n"
    "lease_seconds = 40\n"
    "heartbeat_seconds = 13\n"
    "poll_interval_ms = 14\n"
    "listen = off\n"
    "shutdown_grace_seconds = 15\n"
    "backoff_base_ms = 16\n"
    "backoff_max_ms = 17\n"
    "rescue_interval_seconds = 18\n"
    "expire_interval_seconds = 19\n"
    "prune_interval_seconds = 20\n"
    "prune_after_days = 21\n"
    "maintenance_batch = 22\n"
    "reconnect_max_seconds = 23\n"
    "exec.upper.command = /usr/local/lib/pgjob/upper.sh --mode \\x #arg\n"
    "exec.upper.timeout_seconds = 24\n"
    "exec.b-2.command = \"/opt/b2 #1 \\\"q\\\"\"\n"
    "exec.b-2.max_output_bytes = 4096\n"
    "concurrency.upper = 1\n"
    "concurrency.enrich = 25\n";

static void print_round_trip(void)
{
    Error err;
    Config *a = load_text(busy_conf, NULL, &err), *b = NULL;
    char *first = NULL, *second = NULL;
    FILE *out;

    if (a == NULL)
        fprintf(stderr, "unexpected error: %s\n", err.message);
    REQUIRE(a != NULL);
    CHECK_STR(a->database, "host=db port=5433 password='p#ss w\"ord' ");
    REQUIRE(config_exec_type(a, "b-2") != NULL);
    CHECK_STR(config_exec_type(a, "b-2")->argv[1], "#1");
    CHECK_STR(config_exec_type(a, "b-2")->argv[2], "\"q\"");
    REQUIRE(config_exec_type(a, "upper") != NULL);
    CHECK_STR(config_exec_type(a, "upper")->argv[2], "\\x");
    CHECK(config_exec_type(a, "upper")->argv[3] == NULL);

    out = fopen("printed.conf", "w");
    REQUIRE(out != NULL);
    config_print(a, out);
    REQUIRE(fclose(out) == 0);
    b = config_load("printed.conf", NULL, &err);
    if (b == NULL)
        fprintf(stderr, "printed config does not load: %s\n", err.message);
    REQUIRE(b != NULL);
    check_same(a, b);
    CHECK(!config_changed_unreloadable(a, b));

    out = fopen("printed2.conf", "w");
    REQUIRE(out != NULL);
    config_print(b, out);
    REQUIRE(fclose(out) == 0);
    first = read_file("printed.conf");
    second = read_file("printed2.conf");
    CHECK_STR(first, second);
    CHECK(strstr(first, "workers = 7\n") != NULL);
    CHECK(strstr(first, "listen = false\n") != NULL);
    CHECK(strstr(first, "log_level = warn\n") != NULL);
    CHECK(strstr(first, "exec.b-2.command = \"/opt/b2 #1 \\\"q\\\"\"\n") != NULL);
    CHECK(strstr(first, "concurrency.enrich = 25\nconcurrency.upper = 1\n") != NULL);
    free(first);
    free(second);
    config_free(a);
    config_free(b);
}

static void print_defaults(void)
{
    Config *a = config_new(), *b = NULL;
    Error err;
    char *text;
    FILE *out;

    REQUIRE(a != NULL);
    out = fopen("defaults.conf", "w");
    REQUIRE(out != NULL);
    config_print(a, out);
    REQUIRE(fclose(out) == 0);
    text = read_file("defaults.conf");
    CHECK(strncmp(text, "database = \"\"\nlog_level = info\n", 31) == 0);
    b = config_load("defaults.conf", NULL, &err);
    REQUIRE(b != NULL);
    check_same(a, b);
    free(text);
    config_free(a);
    config_free(b);
}

static void copy_reloadable(void)
{
    Error err;
    Config *live = config_load(NULL, NULL, &err);
    Config *fresh = load_text(busy_conf, NULL, &err);

    REQUIRE(live != NULL && fresh != NULL);
    config_copy_reloadable(live, fresh);
    /* Reloadable: copied. */
    CHECK_INT(live->log_level, LOG_LEVEL_WARN);
    CHECK_INT(live->stats_period_seconds, 5);
    CHECK_INT(live->claim_batch, 11);
    CHECK_INT(live->complete_batch, 12);
    CHECK_INT(live->lease_seconds, 40);
    CHECK_INT(live->heartbeat_seconds, 13);
    CHECK_INT(live->poll_interval_ms, 14);
    CHECK_INT(live->shutdown_grace_seconds, 15);
    CHECK_INT(live->backoff_base_ms, 16);
    CHECK_INT(live->backoff_max_ms, 17);
    CHECK_INT(live->rescue_interval_seconds, 18);
    CHECK_INT(live->expire_interval_seconds, 19);
    CHECK_INT(live->prune_interval_seconds, 20);
    CHECK_INT(live->prune_after_days, 21);
    CHECK_INT(live->maintenance_batch, 22);
    CHECK_INT(live->reconnect_max_seconds, 23);
    /* Not reloadable: as they were. */
    CHECK_STR(live->database, "");
    CHECK_INT(live->workers, 4);
    CHECK_STR(live->types, "");
    CHECK(live->listen);
    CHECK_INT(live->exec_count, 0);
    CHECK_INT(live->limit_count, 0);
    CHECK(live->path == NULL);
    config_free(live);
    config_free(fresh);
}

static void changed_unreloadable(void)
{
    Error err;
    Config *old = load_text("exec.a.command = /bin/a\nconcurrency.a = 1\n", NULL, &err);
    Config *fresh = load_text(
        "exec.a.command = /bin/a\nconcurrency.a = 1\n"
        "workers = 4\nclaim_batch = 1\npoll_interval_ms = 99\n",
        NULL, &err);

    REQUIRE(old != NULL && fresh != NULL);
    CHECK(!config_changed_unreloadable(old, fresh)); /* only reloadable keys differ */
    config_free(fresh);

    fresh = load_text("exec.a.command = /bin/a\nconcurrency.a = 1\nworkers = 5\n", NULL, &err);
    REQUIRE(fresh != NULL);
    CHECK(config_changed_unreloadable(old, fresh));
    config_free(fresh);

    fresh = load_text("exec.a.command = /bin/a x\nconcurrency.a = 1\n", NULL, &err);
    REQUIRE(fresh != NULL);
    CHECK(config_changed_unreloadable(old, fresh));
    config_free(fresh);

    fresh = load_text("exec.a.command = /bin/a\nexec.a.timeout_seconds = 9\nconcurrency.a = 1\n",
                      NULL, &err);
    REQUIRE(fresh != NULL);
    CHECK(config_changed_unreloadable(old, fresh));
    config_free(fresh);

    fresh = load_text("exec.a.command = /bin/a\n", NULL, &err); /* a limit removed */
    REQUIRE(fresh != NULL);
    CHECK(config_changed_unreloadable(old, fresh));
    CHECK(config_changed_unreloadable(fresh, old));
    config_free(fresh);

    fresh =
        load_text("exec.a.command = /bin/a\nconcurrency.a = 1\ndatabase = dbname=x\n", NULL, &err);
    REQUIRE(fresh != NULL);
    CHECK(config_changed_unreloadable(old, fresh));
    config_free(fresh);
    config_free(old);
}

/* capture_stderr points fd 2 at path and returns the old fd 2. */
static int capture_stderr(const char *path)
{
    FILE *f = fopen(path, "w");
    int saved = dup(2);

    REQUIRE(f != NULL && saved >= 0);
    REQUIRE(dup2(fileno(f), 2) == 2);
    fclose(f);
    return saved;
}

static void restore_stderr(int saved)
{
    REQUIRE(dup2(saved, 2) == 2);
    close(saved);
}

static void log_changes(void)
{
    Error err;
    Config *old = load_text(
        "database = \"password=old\"\nexec.a.command = /bin/a\n"
        "concurrency.gone = 3\n",
        NULL, &err);
    Config *fresh = load_text(
        "database = \"password=secret\"\nclaim_batch = 7\nworkers = 5\n"
        "exec.a.command = /bin/a -v\nexec.b.command = /bin/b\n",
        NULL, &err);
    char *text;
    int saved;

    REQUIRE(old != NULL && fresh != NULL);
    log_set_program("test");
    log_set_level(LOG_LEVEL_INFO);
    saved = capture_stderr("log.txt");
    config_log_changes(old, fresh);
    config_log_changes(old, old); /* no change: no line */
    restore_stderr(saved);
    text = read_file("log.txt");
    CHECK_STR(text,
              "WARN test: config: database changed (value not shown); needs a restart\n"
              "WARN test: config: workers changed from 4 to 5; needs a restart\n"
              "INFO test: config: claim_batch changed from 100 to 7\n"
              "WARN test: config: exec.a.command changed from \"/bin/a\" to \"/bin/a -v\"; "
              "needs a restart\n"
              "WARN test: config: exec.b.command added: \"/bin/b\"; needs a restart\n"
              "WARN test: config: exec.b.timeout_seconds added: 300; needs a restart\n"
              "WARN test: config: exec.b.max_output_bytes added: 16777216; needs a restart\n"
              "WARN test: config: concurrency.gone removed (was 3); needs a restart\n");
    CHECK(strstr(text, "secret") == NULL);
    free(text);
    config_free(old);
    config_free(fresh);
}

static void write_docs(void)
{
    static const char *const keys[] = {
        "database",
        "log_level",
        "stats_period_seconds",
        "workers",
        "claim_batch",
        "complete_batch",
        "types",
        "lease_seconds",
        "heartbeat_seconds",
        "prefetch",
        "flush_delay_ms",
        "poll_interval_ms",
        "listen",
        "shutdown_grace_seconds",
        "backoff_base_ms",
        "backoff_max_ms",
        "rescue_interval_seconds",
        "expire_interval_seconds",
        "prune_interval_seconds",
        "prune_after_days",
        "maintenance_batch",
        "reconnect_max_seconds",
        "enrich_cache_entries",
        "metrics_listen",
        "document_max_pages",
        "document_page_seconds",
        "document_max_memory_bytes",
        "document_max_page_chars",
        "result_cache_entries",
        "fcgi_listen",
        "fcgi_threads",
        "max_body_bytes",
        "body_timeout_seconds",
        "statement_timeout_seconds",
        "max_items",
        "wait_max_seconds",
        "max_waiters",
        "large_result_bytes",
        "retention_days",
        "retry_after_seconds",
        "document_max_pdf_bytes",
        "document_max_html_bytes",
        "document_max_text_bytes",
        "results_url_secret",
        "results_url_seconds",
        "result_cache_seconds",
        "result_cache_shared",
        "exec.<type>.command",
        "exec.<type>.timeout_seconds",
        "exec.<type>.max_output_bytes",
        "exec.<type>.environment",
        "concurrency.<type>",
    };
    FILE *out = fopen("docs.md", "w");
    char *text, needle[64];
    size_t lines = 0;

    REQUIRE(out != NULL);
    config_write_docs(out);
    REQUIRE(fclose(out) == 0);
    text = read_file("docs.md");
    for (const char *p = text; *p != '\0'; p++)
        lines += *p == '\n';
    CHECK_INT(lines, 2 + sizeof keys / sizeof keys[0]);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        snprintf(needle, sizeof needle, "\n| `%s` |", keys[i]);
        CHECK(strstr(text, needle) != NULL);
    }
    CHECK(strstr(text, "| `workers` | integer | `4` | 1 to 1024 | restart | `PGJOB_WORKERS` |") !=
          NULL);
    CHECK(strstr(text,
                 "| `log_level` | enum | `info` | error, warn, info, debug | SIGHUP | "
                 "`PGJOB_LOG_LEVEL` |") != NULL);
    CHECK(strstr(text, "| `database` | string | `\"\"` |") != NULL);
    CHECK(strstr(text, "| `exec.<type>.command` | command | (required) |") != NULL);
    free(text);
}

const Test config_tests[] = {
    {"config_defaults", defaults},
    {"config_load_without_file", load_without_file},
    {"config_good_file", good_file},
    {"config_syntax", syntax},
    {"config_booleans", booleans},
    {"config_value_errors", value_errors},
    {"config_syntax_errors", syntax_errors},
    {"config_missing_file", missing_file},
    {"config_cross_checks", cross_checks},
    {"config_env_override", env_override},
    {"config_env_errors", env_errors},
    {"config_pattern_keys", pattern_keys},
    {"config_pattern_errors", pattern_errors},
    {"config_pattern_type_length", pattern_type_length},
    {"config_print_round_trip", print_round_trip},
    {"config_print_defaults", print_defaults},
    {"config_copy_reloadable", copy_reloadable},
    {"config_changed_unreloadable", changed_unreloadable},
    {"config_log_changes", log_changes},
    {"config_write_docs", write_docs},
    {NULL, NULL},
};
