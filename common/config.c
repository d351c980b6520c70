/* SPDX-License-Identifier: MIT */
/* config.c fills a Config from defaults, pgjob.conf and PGJOB_* variables, driven by one table. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "hostport.h"
#include "log.h"
#include "strnum.h"

/*
 * Wording: a "key" is a name in the file ("workers"); a "row" describes
 * one key in the table below; a "field" is the member of Config (or of
 * ExecType / TypeLimit) a row fills; a "pattern key" holds a job type in
 * its name ("exec.<type>.command").
 */

/* ValueType is how a row's text becomes its field. */
typedef enum ValueType {
    VALUE_STRING, /* char *, owned */
    VALUE_INT,    /* int in [min, max] */
    VALUE_LONG,   /* long in [min, max] */
    VALUE_BOOL,   /* bool: true/false, yes/no, on/off, 1/0 */
    VALUE_ENUM,   /* int: index into words */
    VALUE_ARGV,   /* char **, split on whitespace, NULL-terminated, owned */
    VALUE_NAMES,  /* char **: names split on whitespace, NULL-terminated, owned */
} ValueType;

/* ValueSpec is what a value must look like. */
typedef struct ValueSpec {
    ValueType type;
    long min, max;                          /* VALUE_INT, VALUE_LONG */
    const char *const *words;               /* VALUE_ENUM: NULL-terminated */
    const char *(*check)(const char *text); /* VALUE_STRING: NULL, or the reason text is bad */
} ValueSpec;

/* Row flags. */
enum {
    KEY_RELOADABLE = 1, /* SIGHUP applies it; otherwise it needs a restart */
    KEY_SECRET = 2,     /* never logged (may hold a password) */
};

/* KeyRow is one key of the table. */
typedef struct KeyRow {
    const char *key;
    ValueSpec spec;
    size_t offset;            /* of the field in Config */
    const char *default_text; /* parsed like a value from the file */
    unsigned flags;           /* KEY_* */
    const char *doc;          /* one line for config_write_docs */
} KeyRow;

/* PatternTarget is the struct a pattern row fills. */
typedef enum PatternTarget {
    PATTERN_EXEC,  /* an ExecType of Config.exec */
    PATTERN_LIMIT, /* a TypeLimit of Config.limits */
} PatternTarget;

/* PatternRow is one pattern key; "<type>" in key stands for a job type. */
typedef struct PatternRow {
    const char *key; /* e.g. "exec.<type>.command" */
    PatternTarget target;
    ValueSpec spec;
    size_t offset;            /* of the field in ExecType or TypeLimit */
    const char *default_text; /* NULL: no default (the key is required) */
    const char *doc;
} PatternRow;

/* The longest job type in a pattern key, and longest key. */
enum { TYPE_NAME_MAX = 64, KEY_NAME_MAX = 128 };

/* How much of a bad value an error message quotes. */
enum { QUOTE_MAX = 72 };

static const char *check_type_list(const char *text);
static const char *check_host_port(const char *text);
static const char *check_secret(const char *text);

/* Log levels in LogLevel order, so that the index is the level. */
static const char *const log_level_words[] = {"error", "warn", "info", "debug", NULL};
_Static_assert(LOG_LEVEL_ERROR == 0 && LOG_LEVEL_WARN == 1 && LOG_LEVEL_INFO == 2 &&
                   LOG_LEVEL_DEBUG == 3,
               "log_level_words must follow LogLevel");

/* FIELD is the offset of Config's field f, which must have type T: a row
 * pointing at a field of another type does not compile. */
#define FIELD(f, T) _Generic(((Config *)0)->f, T : offsetof(Config, f))

/* The rows name their field, and the key is the field's name.  (The
 * formatter cannot lay out a braced initializer inside a macro.) */
/* clang-format off */
#define ROW_STRING(f, def, flags, doc) \
    {#f, {VALUE_STRING, 0, 0, NULL, NULL}, FIELD(f, char *), def, flags, doc}
#define ROW_STRING_CHECKED(f, def, check, flags, doc) \
    {#f, {VALUE_STRING, 0, 0, NULL, check}, FIELD(f, char *), def, flags, doc}
#define ROW_INT(f, def, min, max, flags, doc) \
    {#f, {VALUE_INT, min, max, NULL, NULL}, FIELD(f, int), #def, flags, doc}
#define ROW_BOOL(f, def, flags, doc) \
    {#f, {VALUE_BOOL, 0, 0, NULL, NULL}, FIELD(f, bool), def, flags, doc}
#define ROW_ENUM(f, def, words, flags, doc) \
    {#f, {VALUE_ENUM, 0, 0, words, NULL}, FIELD(f, int), def, flags, doc}
/* clang-format on */

#define RELOAD  KEY_RELOADABLE
#define RESTART 0

/* The table: every key of pgjob.conf, in the order config_print and the
 * documentation use. */
static const KeyRow key_rows[] = {
    ROW_STRING(database, "", RESTART | KEY_SECRET,
               "libpq conninfo or URL, passed to libpq unchanged; empty: libpq's environment "
               "variables (PGHOST, PGDATABASE, ...)"),
    ROW_ENUM(log_level, "info", log_level_words, RELOAD, "most detailed events written to stderr"),
    ROW_INT(stats_period_seconds, 60, 1, 86400, RELOAD,
            "seconds between two counter summaries in the log and in systemd STATUS="),
    ROW_INT(workers, 4, 1, 1024, RESTART, "jobs one pgjobd runs at once"),
    ROW_INT(claim_batch, 100, 1, 1000, RELOAD, "most jobs taken by one claim"),
    ROW_INT(complete_batch, 100, 1, 1000, RELOAD,
            "most jobs recorded by one complete or fail call"),
    ROW_INT(prefetch, 0, 0, 1000, RELOAD,
            "jobs claimed beyond the free workers, queued in the daemon; for many short jobs"),
    ROW_INT(flush_delay_ms, 2, 0, 10000, RELOAD,
            "milliseconds a finished job may wait to be recorded with others in one batch"),
    ROW_STRING_CHECKED(types, "", check_type_list, RESTART,
                       "comma-separated job types this daemon claims; empty: every type it has a "
                       "handler for"),
    ROW_INT(lease_seconds, 30, 2, 3600, RELOAD,
            "seconds a claim holds a job before another daemon may rescue it"),
    ROW_INT(heartbeat_seconds, 10, 1, 3600, RELOAD,
            "seconds between two lease extensions of a running job; less than lease_seconds"),
    ROW_INT(poll_interval_ms, 1000, 10, 3600000, RELOAD,
            "milliseconds between two claims when no notification arrives (the polling fallback)"),
    ROW_BOOL(listen, "true", RESTART,
             "wait for notifications with LISTEN; false: poll only (PgBouncer in transaction "
             "mode)"),
    ROW_INT(shutdown_grace_seconds, 30, 0, 3600, RELOAD,
            "seconds running jobs may finish after SIGTERM before their leases are handed back"),
    ROW_INT(backoff_base_ms, 1000, 0, 86400000, RELOAD,
            "retry delay after a first failed attempt in milliseconds, doubled per attempt, with "
            "jitter"),
    ROW_INT(backoff_max_ms, 3600000, 0, 604800000, RELOAD,
            "longest retry delay in milliseconds; at least backoff_base_ms"),
    ROW_INT(rescue_interval_seconds, 5, 1, 3600, RELOAD,
            "seconds between two rescues of jobs whose lease expired"),
    ROW_INT(expire_interval_seconds, 60, 1, 86400, RELOAD,
            "seconds between two runs that expire finished jobs past their retention"),
    ROW_INT(prune_interval_seconds, 3600, 1, 604800, RELOAD,
            "seconds between two runs that delete old expired jobs"),
    ROW_INT(prune_after_days, 30, 0, 36500, RELOAD, "days an expired job's stub is kept"),
    ROW_INT(maintenance_batch, 1000, 1, 100000, RELOAD,
            "most rows one rescue, expire or prune statement touches"),
    ROW_INT(reconnect_max_seconds, 30, 1, 3600, RELOAD,
            "longest wait between two attempts to reconnect to the database"),
    ROW_INT(enrich_cache_entries, 10000, 0, 10000000, RELOAD,
            "results of the enrich handler kept in memory, answered again for identical items; "
            "0: no cache. A reload empties it"),
    ROW_STRING_CHECKED(metrics_listen, "", check_host_port, RESTART,
                       "host:port where pgjobd answers GET /metrics (Prometheus text), e.g. "
                       "127.0.0.1:9465 or [::1]:9465; empty: off. One address: write a numeric one "
                       "(a name listens on the first address it resolves to). A port in use "
                       "exits 78. No authentication: keep it on a loopback address or a "
                       "private network"),
    ROW_INT(document_max_pages, 2000, 1, 1000000, RESTART,
            "most pages of a document the extract and invoice handlers read; a longer one fails "
            "its job with too_many_pages"),
    ROW_INT(document_page_seconds, 30, 1, 3600, RESTART,
            "longest time the PDF reader spends on one page; a page that takes longer fails its "
            "job with document_too_complex"),
    ROW_INT(document_max_memory_bytes, 268435456, 16777216, 2147483647, RESTART,
            "most memory the PDF reader holds for one document, in bytes; a document that needs "
            "more fails its job with document_too_complex"),
    ROW_INT(document_max_page_chars, 200000, 1000, 100000000, RESTART,
            "most characters the PDF reader takes from one page; a page that shows more fails its "
            "job with document_too_complex"),
    ROW_INT(result_cache_entries, 100000, 0, 100000000, RELOAD,
            "results of document jobs kept in the database's result cache; maintenance deletes "
            "the oldest beyond this, and those older than result_cache_seconds"),
    ROW_STRING(
        fcgi_listen, "", RESTART,
        "socket pgjob.fcgi listens on when not given one: a path (Unix socket), host:port or "
        ":port; empty: the socket systemd passes (LISTEN_FDS) or the spawning web server's (fd 0)"),
    ROW_INT(fcgi_threads, 8, 1, 256, RESTART,
            "threads of one pgjob.fcgi process, each with its own database connection"),
    ROW_INT(max_body_bytes, 10485760, 1024, 1073741824, RESTART,
            "largest request body accepted, in bytes; larger ones get 413 before a byte is read"),
    ROW_INT(body_timeout_seconds, 10, 1, 3600, RESTART,
            "longest time a request body may take to arrive once its headers are authenticated, in "
            "seconds; a slower one gets 408 and frees the thread"),
    ROW_INT(statement_timeout_seconds, 10, 1, 3600, RESTART,
            "longest time one database statement of pgjob.fcgi may run (PostgreSQL's "
            "statement_timeout for its sessions), in seconds; a request whose statement takes "
            "longer (a lock held, an overloaded database) gets 503 db_timeout with Retry-After"),
    ROW_INT(max_items, 10000, 1, 1000000, RESTART, "most items in one submitted job"),
    ROW_INT(wait_max_seconds, 30, 0, 600, RESTART,
            "longest long-poll (?wait=N, Prefer: wait=N), in seconds"),
    ROW_INT(max_waiters, 4096, 0, 65536, RESTART,
            "long-polls one process holds at once (a parked read holds no thread); further waits "
            "answer at once"),
    ROW_INT(large_result_bytes, 5242880, 1024, 1073741824, RESTART,
            "results this large or larger are served behind a pointer to the results route, not "
            "inline, in bytes"),
    ROW_INT(retention_days, 7, 0, 3650, RESTART,
            "days a finished job submitted over HTTP keeps its items and results"),
    ROW_INT(retry_after_seconds, 1, 1, 3600, RESTART,
            "Retry-After sent with 202 and with a job that is not finished, in seconds"),
    ROW_INT(document_max_pdf_bytes, 10485760, 1, 1073741824, RESTART,
            "largest PDF document a job may carry, in bytes; larger ones get 413"),
    ROW_INT(document_max_html_bytes, 5242880, 1, 1073741824, RESTART,
            "largest HTML document a job may carry, in bytes; larger ones get 413"),
    ROW_INT(document_max_text_bytes, 5242880, 1, 1073741824, RESTART,
            "largest plain-text document a job may carry, in bytes; larger ones get 413"),
    ROW_STRING_CHECKED(
        results_url_secret, "", check_secret, RESTART | KEY_SECRET,
        "secret key (at least 32 characters) that signs the results URL of a large result "
        "so that it works without an API key until it expires; empty: no signed URLs"),
    ROW_INT(results_url_seconds, 3600, 60, 604800, RESTART,
            "seconds a signed results URL stays valid (never past the job's own expiry)"),
    ROW_INT(result_cache_seconds, 86400, 0, 31536000, RESTART,
            "a document job identical to one completed this many seconds ago or less (same type, "
            "bytes and options) completes at submit with the cached results; 0: no result cache"),
    ROW_BOOL(result_cache_shared, "false", RESTART,
             "true: one result cache for all accounts; false: each account its own"),
};

enum { KEY_ROW_COUNT = sizeof key_rows / sizeof key_rows[0] };

/* The pattern keys, in the order config_print uses for each type. */
static const PatternRow pattern_rows[] = {
    {"exec.<type>.command",
     PATTERN_EXEC,
     {VALUE_ARGV, 0, 0, NULL, NULL},
     offsetof(ExecType, argv),
     NULL,
     "the program that runs jobs of this exec type and its arguments, split on whitespace, no "
     "shell (an absolute path is best); required for the type to exist"},
    {"exec.<type>.timeout_seconds",
     PATTERN_EXEC,
     {VALUE_INT, 1, 86400, NULL, NULL},
     offsetof(ExecType, timeout_seconds),
     "300",
     "seconds one run of the program may take before it is killed"},
    {"exec.<type>.max_output_bytes",
     PATTERN_EXEC,
     {VALUE_LONG, 1024, 1073741824, NULL, NULL},
     offsetof(ExecType, max_output_bytes),
     "16777216",
     "most bytes read from the program's stdout"},
    {"exec.<type>.environment",
     PATTERN_EXEC,
     {VALUE_NAMES, 0, 0, NULL, NULL},
     offsetof(ExecType, environment),
     NULL,
     "names of variables of pgjobd's environment the program also gets, split on whitespace "
     "(besides PATH, HOME, LANG, LC_*, TZ and TMPDIR); never a PG* variable"},
    {"concurrency.<type>",
     PATTERN_LIMIT,
     {VALUE_INT, 0, 1024, NULL, NULL},
     offsetof(TypeLimit, concurrency),
     "0",
     "most jobs of this type one daemon runs at once; 0: no limit but workers"},
};

enum { PATTERN_ROW_COUNT = sizeof pattern_rows / sizeof pattern_rows[0] };

/* ---- Values ---------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* quote writes text, made safe to show and cut to QUOTE_MAX, into buf. */
static const char *quote(char buf[QUOTE_MAX], const char *text)
{
    return log_sanitize(buf, QUOTE_MAX, text);
}

/* job_type_ok says whether name[0..len) is a job type: [a-z] then
 * [a-z0-9_-] (and '.' when dots is true), at most TYPE_NAME_MAX long. */
static bool job_type_ok(const char *name, size_t len, bool dots)
{
    if (len == 0 || len > TYPE_NAME_MAX || name[0] < 'a' || name[0] > 'z')
        return false;
    for (size_t i = 1; i < len; i++) {
        char ch = name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
                  (dots && ch == '.');
        if (!ok)
            return false;
    }
    return true;
}

/* check_host_port is the check of metrics_listen: empty, or a host (a
 * name, an IPv4 address or an IPv6 address in brackets) and a port
 * 1..65535 after the last colon.  Whether the host resolves is seen when
 * pgjobd binds it. */
static const char *check_host_port(const char *text)
{
    char host[HOSTPORT_HOST_SIZE];
    long port;
    const char *wrong;

    if (*text == '\0')
        return NULL;
    wrong = host_port_parse(text, host, sizeof host, &port);
    if (wrong == NULL && port == 0)
        return "is not host:port (e.g. 127.0.0.1:9465) with a port from 1 to 65535";
    return wrong;
}

/* check_secret is the check of "results_url_secret": empty, or long
 * enough that guessing it is hopeless. */
static const char *check_secret(const char *text)
{
    return text[0] == '\0' || strlen(text) >= 32 ? NULL : "must be empty or at least 32 characters";
}

/* check_type_list is the check of "types": empty, or job types separated
 * by commas, with optional spaces around each. */
static const char *check_type_list(const char *text)
{
    const char *p = text;

    if (*p == '\0')
        return NULL;
    for (;;) {
        const char *start, *end;

        while (is_space(*p))
            p++;
        start = p;
        while (*p != ',' && *p != '\0')
            p++;
        end = p;
        while (end > start && is_space(end[-1]))
            end--;
        if (!job_type_ok(start, (size_t)(end - start), true))
            return "is not a comma-separated list of job types";
        if (*p == '\0')
            return NULL;
        p++;
    }
}

/* has_control says whether s holds a control character other than tab. */
static bool has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p < ' ' && *p != '\t') || *p == 0x7f)
            return true;
    }
    return false;
}

static void argv_free(char **argv)
{
    if (argv == NULL)
        return;
    for (char **a = argv; *a != NULL; a++)
        free(*a);
    free(argv);
}

/* argv_split splits text on spaces and tabs into a new NULL-terminated
 * array (free with argv_free); NULL when out of memory. */
static char **argv_split(const char *text)
{
    size_t n = 0, i = 0;
    char **argv;
    const char *p;

    for (p = text; *p != '\0';) {
        while (is_space(*p))
            p++;
        if (*p == '\0')
            break;
        n++;
        while (*p != '\0' && !is_space(*p))
            p++;
    }
    argv = calloc(n + 1, sizeof *argv);
    if (argv == NULL)
        return NULL;
    for (p = text; i < n; i++) {
        const char *start;

        while (is_space(*p))
            p++;
        start = p;
        while (*p != '\0' && !is_space(*p))
            p++;
        argv[i] = strndup(start, (size_t)(p - start));
        if (argv[i] == NULL) {
            argv_free(argv);
            return NULL;
        }
    }
    return argv;
}

static bool parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* words_list writes "a, b, c" of words into buf[size]. */
static const char *words_list(char *buf, size_t size, const char *const *words)
{
    size_t used = 0;

    buf[0] = '\0';
    for (const char *const *w = words; *w != NULL && used < size; w++) {
        int n = snprintf(buf + used, size - used, "%s%s", w == words ? "" : ", ", *w);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return buf;
}

/* value_set parses text by spec into *field, replacing (and releasing)
 * what was there.  On failure *field is unchanged and why[whylen] says
 * what is wrong, starting with the quoted value. */
static bool value_set(const ValueSpec *spec, void *field, const char *text, char *why,
                      size_t whylen)
{
    char q[QUOTE_MAX];
    const char *reason;

    switch (spec->type) {
        case VALUE_STRING: {
            char *copy;

            if (has_control(text)) {
                snprintf(why, whylen, "\"%s\" holds a control character", quote(q, text));
                return false;
            }
            reason = spec->check != NULL ? spec->check(text) : NULL;
            if (reason != NULL) {
                snprintf(why, whylen, "\"%s\" %s", quote(q, text), reason);
                return false;
            }
            copy = strdup(text);
            if (copy == NULL) {
                snprintf(why, whylen, "out of memory");
                return false;
            }
            free(*(char **)field);
            *(char **)field = copy;
            return true;
        }
        case VALUE_INT:
            if (!strnum_int(text, (int)spec->min, (int)spec->max, (int *)field)) {
                snprintf(why, whylen, "\"%s\" is not an integer between %ld and %ld",
                         quote(q, text), spec->min, spec->max);
                return false;
            }
            return true;
        case VALUE_LONG:
            if (!strnum_long(text, spec->min, spec->max, (long *)field)) {
                snprintf(why, whylen, "\"%s\" is not an integer between %ld and %ld",
                         quote(q, text), spec->min, spec->max);
                return false;
            }
            return true;
        case VALUE_BOOL:
            if (!parse_bool(text, (bool *)field)) {
                snprintf(why, whylen, "\"%s\" is not a boolean (true/false, yes/no, on/off, 1/0)",
                         quote(q, text));
                return false;
            }
            return true;
        case VALUE_ENUM:
            for (int i = 0; spec->words[i] != NULL; i++) {
                if (strcasecmp(text, spec->words[i]) == 0) {
                    *(int *)field = i;
                    return true;
                }
            }
            {
                char list[128];
                snprintf(why, whylen, "\"%s\" is not one of %s", quote(q, text),
                         words_list(list, sizeof list, spec->words));
            }
            return false;
        case VALUE_ARGV:
        case VALUE_NAMES: {
            char **argv;

            if (has_control(text)) {
                snprintf(why, whylen, "\"%s\" holds a control character", quote(q, text));
                return false;
            }
            argv = argv_split(text);
            if (argv == NULL) {
                snprintf(why, whylen, "out of memory");
                return false;
            }
            if (argv[0] == NULL) {
                argv_free(argv);
                snprintf(why, whylen, "\"%s\" names no %s", quote(q, text),
                         spec->type == VALUE_ARGV ? "program" : "variable");
                return false;
            }
            argv_free(*(char ***)field);
            *(char ***)field = argv;
            return true;
        }
    }
    snprintf(why, whylen, "unknown value type");
    return false;
}

/* value_free releases what the field owns, leaving it NULL. */
static void value_free(const ValueSpec *spec, void *field)
{
    if (spec->type == VALUE_STRING) {
        free(*(char **)field);
        *(char **)field = NULL;
    } else if (spec->type == VALUE_ARGV || spec->type == VALUE_NAMES) {
        argv_free(*(char ***)field);
        *(char ***)field = NULL;
    }
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

static bool value_equal(const ValueSpec *spec, const void *a, const void *b)
{
    switch (spec->type) {
        case VALUE_STRING:
            return strcmp(*(char *const *)a, *(char *const *)b) == 0;
        case VALUE_INT:
        case VALUE_ENUM:
            return *(const int *)a == *(const int *)b;
        case VALUE_LONG:
            return *(const long *)a == *(const long *)b;
        case VALUE_BOOL:
            return *(const bool *)a == *(const bool *)b;
        case VALUE_ARGV:
        case VALUE_NAMES:
            return argv_equal(*(char **const *)a, *(char **const *)b);
    }
    return false;
}

/* write_quoted writes s in double quotes, escaping '"' and '\'. */
static void write_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* value_write writes the field as the file spells it. */
static void value_write(FILE *out, const ValueSpec *spec, const void *field)
{
    switch (spec->type) {
        case VALUE_STRING:
            write_quoted(out, *(char *const *)field);
            return;
        case VALUE_INT:
            fprintf(out, "%d", *(const int *)field);
            return;
        case VALUE_LONG:
            fprintf(out, "%ld", *(const long *)field);
            return;
        case VALUE_BOOL:
            fputs(*(const bool *)field ? "true" : "false", out);
            return;
        case VALUE_ENUM: {
            int i = *(const int *)field, n = 0;

            while (spec->words[n] != NULL)
                n++;
            if (i >= 0 && i < n)
                fputs(spec->words[i], out);
            else
                fprintf(out, "%d", i);
            return;
        }
        case VALUE_ARGV:
        case VALUE_NAMES: {
            char *const *argv = *(char **const *)field;

            fputc('"', out);
            for (size_t i = 0; argv != NULL && argv[i] != NULL; i++) {
                if (i > 0)
                    fputc(' ', out);
                for (const char *s = argv[i]; *s != '\0'; s++) {
                    if (*s == '"' || *s == '\\')
                        fputc('\\', out);
                    fputc(*s, out);
                }
            }
            fputc('"', out);
            return;
        }
    }
}

/* value_text returns the field as value_write spells it, as a new string
 * (free it), or NULL when out of memory. */
static char *value_text(const ValueSpec *spec, const void *field)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    if (out == NULL)
        return NULL;
    value_write(out, spec, field);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- Config, ExecType, TypeLimit ------------------------------------- */

static void *config_field(Config *c, const KeyRow *row)
{
    return (char *)c + row->offset;
}

static const void *config_field_const(const Config *c, const KeyRow *row)
{
    return (const char *)c + row->offset;
}

/* pattern_field is the field of row in target, an ExecType or TypeLimit. */
static void *pattern_field(void *target, const PatternRow *row)
{
    return (char *)target + row->offset;
}

static void exec_type_clear(ExecType *e)
{
    for (size_t i = 0; i < PATTERN_ROW_COUNT; i++) {
        if (pattern_rows[i].target == PATTERN_EXEC)
            value_free(&pattern_rows[i].spec, pattern_field(e, &pattern_rows[i]));
    }
    free(e->type);
    e->type = NULL;
}

static void type_limit_clear(TypeLimit *t)
{
    free(t->type);
    t->type = NULL;
}

/* pattern_defaults sets the defaults of target's fields; false only if a
 * default in the table is wrong (or out of memory), a programming error. */
static bool pattern_defaults(void *target, PatternTarget kind)
{
    char why[ERROR_MESSAGE_SIZE];

    for (size_t i = 0; i < PATTERN_ROW_COUNT; i++) {
        const PatternRow *row = &pattern_rows[i];
        if (row->target != kind || row->default_text == NULL)
            continue;
        if (!value_set(&row->spec, pattern_field(target, row), row->default_text, why, sizeof why))
            return false;
    }
    return true;
}

/* find_slot returns the index of type among n sorted entries whose type
 * name is at offset type_offset of each elem_size-byte element; *found
 * says whether it is there (otherwise the index is where it would go). */
static size_t find_slot(const void *base, size_t n, size_t elem_size, size_t type_offset,
                        const char *type, bool *found)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *name = *(char *const *)((const char *)base + mid * elem_size + type_offset);
        int cmp = strcmp(name, type);
        if (cmp == 0) {
            *found = true;
            return mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* pattern_target returns the ExecType or TypeLimit of type in c, adding
 * one with the defaults (keeping the arrays sorted) if there is none.
 * The pointer is borrowed until the next addition; NULL when out of
 * memory. */
static void *pattern_target(Config *c, PatternTarget kind, const char *type)
{
    bool exec = kind == PATTERN_EXEC;
    char *base = exec ? (char *)c->exec : (char *)c->limits;
    size_t *count = exec ? &c->exec_count : &c->limit_count;
    size_t size = exec ? sizeof(ExecType) : sizeof(TypeLimit);
    size_t type_offset = exec ? offsetof(ExecType, type) : offsetof(TypeLimit, type);
    bool found;
    size_t at = find_slot(base, *count, size, type_offset, type, &found);
    char *grown, *slot, *name;

    if (found)
        return base + at * size;
    name = strdup(type);
    if (name == NULL)
        return NULL;
    grown = realloc(base, (*count + 1) * size);
    if (grown == NULL) {
        free(name);
        return NULL;
    }
    if (exec)
        c->exec = (ExecType *)(void *)grown;
    else
        c->limits = (TypeLimit *)(void *)grown;
    slot = grown + at * size;
    memmove(slot + size, slot, (*count - at) * size);
    memset(slot, 0, size);
    memcpy(slot + type_offset, &name, sizeof name);
    (*count)++;
    if (!pattern_defaults(slot, kind))
        return NULL; /* the new entry stays, with its type name: config_free releases it */
    return slot;
}

Config *config_new(void)
{
    Config *c = calloc(1, sizeof *c);
    char why[ERROR_MESSAGE_SIZE];

    if (c == NULL)
        return NULL;
    for (size_t i = 0; i < KEY_ROW_COUNT; i++) {
        const KeyRow *row = &key_rows[i];
        if (!value_set(&row->spec, config_field(c, row), row->default_text, why, sizeof why))
            goto fail;
    }
    return c;
fail:
    config_free(c);
    return NULL;
}

void config_free(Config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < KEY_ROW_COUNT; i++)
        value_free(&key_rows[i].spec, config_field(c, &key_rows[i]));
    for (size_t i = 0; i < c->exec_count; i++)
        exec_type_clear(&c->exec[i]);
    free(c->exec);
    for (size_t i = 0; i < c->limit_count; i++)
        type_limit_clear(&c->limits[i]);
    free(c->limits);
    free(c->path);
    free(c);
}

const ExecType *config_exec_type(const Config *c, const char *type)
{
    bool found;
    size_t at;

    if (c == NULL || type == NULL)
        return NULL;
    at = find_slot(c->exec, c->exec_count, sizeof *c->exec, offsetof(ExecType, type), type, &found);
    return found ? &c->exec[at] : NULL;
}

int config_type_limit(const Config *c, const char *type)
{
    bool found;
    size_t at;

    if (c == NULL || type == NULL)
        return 0;
    at = find_slot(c->limits, c->limit_count, sizeof *c->limits, offsetof(TypeLimit, type), type,
                   &found);
    return found ? c->limits[at].concurrency : 0;
}

/* ---- The file -------------------------------------------------------- */

/* SeenKey remembers where a key was set, to refuse a second setting. */
typedef struct SeenKey {
    char *key;
    int line;
} SeenKey;

/* Loader is the state of one config_load_file. */
typedef struct Loader {
    Config *c;
    const char *path;
    int line;      /* current line number, from 1 */
    SeenKey *seen; /* keys set so far, owned */
    size_t seen_count;
    Error *err;
} Loader;

static const KeyRow *key_row_find(const char *key)
{
    for (size_t i = 0; i < KEY_ROW_COUNT; i++) {
        if (strcmp(key_rows[i].key, key) == 0)
            return &key_rows[i];
    }
    return NULL;
}

/* pattern_parts splits a row's key around "<type>". */
static void pattern_parts(const PatternRow *row, size_t *prefix_len, const char **suffix)
{
    const char *mark = strstr(row->key, "<type>");

    *prefix_len = (size_t)(mark - row->key);
    *suffix = mark + strlen("<type>");
}

/* pattern_row_find finds the pattern row whose shape key has and copies
 * the job type into type[TYPE_NAME_MAX + 1].  Returns NULL for a key of no
 * known shape, and sets *bad_type when the shape is known but the job
 * type in it is not valid. */
static const PatternRow *pattern_row_find(const char *key, char type[TYPE_NAME_MAX + 1],
                                          bool *bad_type)
{
    size_t key_len = strlen(key);

    *bad_type = false;
    for (size_t i = 0; i < PATTERN_ROW_COUNT; i++) {
        const PatternRow *row = &pattern_rows[i];
        size_t prefix_len, suffix_len, type_len;
        const char *suffix;

        pattern_parts(row, &prefix_len, &suffix);
        suffix_len = strlen(suffix);
        if (key_len < prefix_len + suffix_len || strncmp(key, row->key, prefix_len) != 0 ||
            strcmp(key + key_len - suffix_len, suffix) != 0)
            continue;
        type_len = key_len - prefix_len - suffix_len;
        if (!job_type_ok(key + prefix_len, type_len, false)) {
            *bad_type = true;
            continue;
        }
        memcpy(type, key + prefix_len, type_len);
        type[type_len] = '\0';
        *bad_type = false;
        return row;
    }
    return NULL;
}

static bool loader_fail_oom(Loader *ld)
{
    error_set(ld->err, 500, CONFIG_ERROR_CODE, "%s:%d: out of memory", ld->path, ld->line);
    return false;
}

/* loader_remember records that key was set on the current line, failing
 * if it was set before. */
static bool loader_remember(Loader *ld, const char *key)
{
    SeenKey *grown;
    char *copy;

    for (size_t i = 0; i < ld->seen_count; i++) {
        if (strcmp(ld->seen[i].key, key) == 0) {
            error_set(ld->err, 500, CONFIG_ERROR_CODE,
                      "%s:%d: duplicate key \"%s\" (first set on line %d)", ld->path, ld->line, key,
                      ld->seen[i].line);
            return false;
        }
    }
    copy = strdup(key);
    if (copy == NULL)
        return loader_fail_oom(ld);
    grown = realloc(ld->seen, (ld->seen_count + 1) * sizeof *grown);
    if (grown == NULL) {
        free(copy);
        return loader_fail_oom(ld);
    }
    ld->seen = grown;
    ld->seen[ld->seen_count].key = copy;
    ld->seen[ld->seen_count].line = ld->line;
    ld->seen_count++;
    return true;
}

/* loader_set gives key the value text. */
static bool loader_set(Loader *ld, const char *key, const char *text)
{
    char why[ERROR_MESSAGE_SIZE], type[TYPE_NAME_MAX + 1], q[QUOTE_MAX];
    const KeyRow *row = key_row_find(key);
    const PatternRow *prow;
    bool bad_type;
    void *target;

    if (row != NULL) {
        if (!value_set(&row->spec, config_field(ld->c, row), text, why, sizeof why))
            goto bad_value;
        return true;
    }
    prow = pattern_row_find(key, type, &bad_type);
    if (prow == NULL) {
        if (bad_type) {
            error_set(ld->err, 500, CONFIG_ERROR_CODE,
                      "%s:%d: %s: the job type in it must be [a-z][a-z0-9_-]*, at most %d "
                      "characters",
                      ld->path, ld->line, quote(q, key), TYPE_NAME_MAX);
        } else {
            error_set(ld->err, 500, CONFIG_ERROR_CODE, "%s:%d: unknown key \"%s\"", ld->path,
                      ld->line, quote(q, key));
        }
        return false;
    }
    target = pattern_target(ld->c, prow->target, type);
    if (target == NULL)
        return loader_fail_oom(ld);
    if (!value_set(&prow->spec, pattern_field(target, prow), text, why, sizeof why))
        goto bad_value;
    return true;
bad_value:
    error_set(ld->err, 500, CONFIG_ERROR_CODE, "%s:%d: %s: %s", ld->path, ld->line, key, why);
    return false;
}

/* unquote turns the quoted value starting at p (on the opening quote) into
 * its text, in place, and points *rest after the closing quote.  False if
 * there is no closing quote. */
static bool unquote(char *p, char **rest)
{
    char *out = p;

    for (char *in = p + 1; *in != '\0'; in++) {
        if (*in == '"') {
            *out = '\0';
            *rest = in + 1;
            return true;
        }
        if (*in == '\\' && (in[1] == '"' || in[1] == '\\'))
            in++;
        *out++ = *in;
    }
    return false;
}

/* loader_line handles one line (newline removed), modifying it in place. */
static bool loader_line(Loader *ld, char *line)
{
    char *p = line, *key, *end, *value, *rest;
    char q[QUOTE_MAX];

    while (is_space(*p))
        p++;
    if (*p == '\0' || *p == '#')
        return true;
    key = p;
    value = strchr(p, '=');
    if (value == NULL) {
        error_set(ld->err, 500, CONFIG_ERROR_CODE,
                  "%s:%d: missing \"=\" in \"%s\" (expected key = value)", ld->path, ld->line,
                  quote(q, key));
        return false;
    }
    end = value;
    while (end > key && is_space(end[-1]))
        end--;
    *end = '\0';
    if (*key == '\0') {
        error_set(ld->err, 500, CONFIG_ERROR_CODE, "%s:%d: missing key before \"=\"", ld->path,
                  ld->line);
        return false;
    }
    if (!loader_remember(ld, key))
        return false;
    value++;
    while (is_space(*value))
        value++;
    if (*value == '"') {
        if (!unquote(value, &rest)) {
            error_set(ld->err, 500, CONFIG_ERROR_CODE, "%s:%d: %s: missing closing quote", ld->path,
                      ld->line, key);
            return false;
        }
        while (is_space(*rest))
            rest++;
        if (*rest != '\0' && *rest != '#') {
            error_set(ld->err, 500, CONFIG_ERROR_CODE,
                      "%s:%d: %s: unexpected text after the closing quote", ld->path, ld->line,
                      key);
            return false;
        }
    } else {
        /* A '#' starts a comment at the start of the value or after a space. */
        for (end = value; *end != '\0'; end++) {
            if (*end == '#' && (end == value || is_space(end[-1])))
                break;
        }
        while (end > value && is_space(end[-1]))
            end--;
        *end = '\0';
    }
    return loader_set(ld, key, value);
}

/* loader_check_exec fails if an exec type set in this file has no
 * command, naming the first line that mentioned the type. */
static bool loader_check_exec(Loader *ld)
{
    char prefix[KEY_NAME_MAX];

    for (size_t i = 0; i < ld->c->exec_count; i++) {
        const ExecType *e = &ld->c->exec[i];
        if (e->argv != NULL)
            continue;
        snprintf(prefix, sizeof prefix, "exec.%s.", e->type);
        for (size_t k = 0; k < ld->seen_count; k++) {
            if (strncmp(ld->seen[k].key, prefix, strlen(prefix)) != 0)
                continue;
            error_set(ld->err, 500, CONFIG_ERROR_CODE,
                      "%s:%d: %s: exec type \"%s\" has no exec.%s.command", ld->path,
                      ld->seen[k].line, ld->seen[k].key, e->type, e->type);
            return false;
        }
    }
    return true;
}

bool config_load_file(Config *c, const char *path, Error *err)
{
    Loader ld = {.c = c, .path = path, .err = err};
    FILE *f = NULL;
    char *line = NULL, *path_copy;
    size_t cap = 0;
    ssize_t n;
    bool ok = false;

    path_copy = strdup(path);
    if (path_copy == NULL) {
        error_set(err, 500, CONFIG_ERROR_CODE, "%s: out of memory", path);
        goto out;
    }
    free(c->path);
    c->path = path_copy;
    f = fopen(path, "r");
    if (f == NULL) {
        error_set(err, 500, CONFIG_ERROR_CODE, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    while ((n = getline(&line, &cap, f)) >= 0) {
        char *text = line;

        ld.line++;
        if ((size_t)n != strlen(line)) {
            error_set(err, 500, CONFIG_ERROR_CODE, "%s:%d: holds a NUL byte", path, ld.line);
            goto out;
        }
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (ld.line == 1 && strncmp(text, "\xef\xbb\xbf", 3) == 0)
            text += 3; /* a UTF-8 byte order mark some editors write */
        if (!loader_line(&ld, text))
            goto out;
    }
    if (ferror(f)) {
        error_set(err, 500, CONFIG_ERROR_CODE, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    ok = loader_check_exec(&ld);
out:
    for (size_t i = 0; i < ld.seen_count; i++)
        free(ld.seen[i].key);
    free(ld.seen);
    free(line);
    if (f != NULL)
        fclose(f);
    return ok;
}

/* ---- Environment, checks, loading ------------------------------------ */

/* env_name writes PGJOB_ + key upper-cased, '.' as '_', into buf. */
static const char *env_name(char buf[KEY_NAME_MAX], const char *key)
{
    size_t i = 0;

    memcpy(buf, "PGJOB_", 6);
    for (i = 6; *key != '\0' && i < KEY_NAME_MAX - 1; key++, i++) {
        char ch = *key;
        buf[i] = ch == '.' ? '_' : (ch >= 'a' && ch <= 'z') ? (char)(ch - 'a' + 'A') : ch;
    }
    buf[i] = '\0';
    return buf;
}

/* env_find returns the value of name in envp (the first, like getenv),
 * borrowed, or NULL. */
static const char *env_find(char *const *envp, const char *name)
{
    size_t len = strlen(name);

    for (; envp != NULL && *envp != NULL; envp++) {
        if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
            return *envp + len + 1;
    }
    return NULL;
}

bool config_apply_env(Config *c, char *const *envp, Error *err)
{
    char name[KEY_NAME_MAX], why[ERROR_MESSAGE_SIZE];

    for (size_t i = 0; i < KEY_ROW_COUNT; i++) {
        const KeyRow *row = &key_rows[i];
        const char *value = env_find(envp, env_name(name, row->key));
        if (value == NULL)
            continue;
        if (!value_set(&row->spec, config_field(c, row), value, why, sizeof why)) {
            error_set(err, 500, CONFIG_ERROR_CODE, "%s: %s", name, why);
            return false;
        }
    }
    return true;
}

/* env_name_ok says whether name may be passed to an exec program: a
 * variable name ([A-Za-z_][A-Za-z0-9_]*) that is not libpq's (PG*: the
 * database credentials, PGJOB_DATABASE among them). */
static bool env_name_ok(const char *name)
{
    if (strncmp(name, "PG", 2) == 0 || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return false;
    for (const char *p = name; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    }
    return true;
}

bool config_check(const Config *c, Error *err)
{
    const char *where = c->path != NULL ? c->path : "configuration";

    for (size_t i = 0; i < c->exec_count; i++) {
        for (char **n = c->exec[i].environment; n != NULL && *n != NULL; n++) {
            if (!env_name_ok(*n)) {
                error_set(err, 500, CONFIG_ERROR_CODE,
                          "%s: exec.%s.environment: \"%s\" is not a variable an exec program "
                          "may get (a name, not one of libpq's PG* variables)",
                          where, c->exec[i].type, *n);
                return false;
            }
        }
    }

    if (c->heartbeat_seconds >= c->lease_seconds) {
        error_set(err, 500, CONFIG_ERROR_CODE,
                  "%s: heartbeat_seconds (%d) must be less than lease_seconds (%d)", where,
                  c->heartbeat_seconds, c->lease_seconds);
        return false;
    }
    if (c->backoff_base_ms > c->backoff_max_ms) {
        error_set(err, 500, CONFIG_ERROR_CODE,
                  "%s: backoff_base_ms (%d) must not be more than backoff_max_ms (%d)", where,
                  c->backoff_base_ms, c->backoff_max_ms);
        return false;
    }
    for (size_t i = 0; i < c->exec_count; i++) {
        if (c->exec[i].argv == NULL) {
            error_set(err, 500, CONFIG_ERROR_CODE, "%s: exec type \"%s\" has no exec.%s.command",
                      where, c->exec[i].type, c->exec[i].type);
            return false;
        }
    }
    return true;
}

Config *config_load(const char *path_or_null, char *const *envp, Error *err)
{
    Config *c = config_new();

    if (c == NULL) {
        error_set(err, 500, CONFIG_ERROR_CODE, "configuration: out of memory");
        return NULL;
    }
    if (path_or_null != NULL && !config_load_file(c, path_or_null, err))
        goto fail;
    if (!config_apply_env(c, envp, err))
        goto fail;
    if (!config_check(c, err))
        goto fail;
    return c;
fail:
    config_free(c);
    return NULL;
}

/* ---- Printing, comparing, reloading ---------------------------------- */

/* pattern_key writes row's key for type into buf. */
static const char *pattern_key(char buf[KEY_NAME_MAX], const PatternRow *row, const char *type)
{
    size_t prefix_len;
    const char *suffix;

    pattern_parts(row, &prefix_len, &suffix);
    snprintf(buf, KEY_NAME_MAX, "%.*s%s%s", (int)prefix_len, row->key, type, suffix);
    return buf;
}

/* PatternVisit is called by pattern_walk for one pattern key of one type;
 * old_field or new_field is NULL when that config lacks the type. */
typedef void PatternVisit(const PatternRow *row, const char *type, const void *old_field,
                          const void *new_field, void *arg);

/* pattern_entry returns the ExecType or TypeLimit at index i of c. */
static const void *pattern_entry(const Config *c, PatternTarget kind, size_t i)
{
    return kind == PATTERN_EXEC ? (const void *)&c->exec[i] : (const void *)&c->limits[i];
}

static const char *pattern_entry_type(const Config *c, PatternTarget kind, size_t i)
{
    return kind == PATTERN_EXEC ? c->exec[i].type : c->limits[i].type;
}

/* pattern_walk visits every pattern key of every type in old or fresh
 * (either may be NULL), by target, then type name, then table order. */
static void pattern_walk(const Config *old, const Config *fresh, PatternVisit *visit, void *arg)
{
    static const PatternTarget kinds[] = {PATTERN_EXEC, PATTERN_LIMIT};

    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        PatternTarget kind = kinds[k];
        size_t no = old == NULL ? 0 : kind == PATTERN_EXEC ? old->exec_count : old->limit_count;
        size_t nf = fresh == NULL          ? 0
                    : kind == PATTERN_EXEC ? fresh->exec_count
                                           : fresh->limit_count;
        size_t io = 0, jf = 0;

        while (io < no || jf < nf) {
            const void *eo = NULL, *ef = NULL;
            const char *type;
            int cmp;

            if (io == no)
                cmp = 1;
            else if (jf == nf)
                cmp = -1;
            else
                cmp =
                    strcmp(pattern_entry_type(old, kind, io), pattern_entry_type(fresh, kind, jf));
            if (cmp <= 0)
                eo = pattern_entry(old, kind, io++);
            if (cmp >= 0)
                ef = pattern_entry(fresh, kind, jf++);
            type = kind == PATTERN_EXEC ? ((const ExecType *)(eo ? eo : ef))->type
                                        : ((const TypeLimit *)(eo ? eo : ef))->type;
            for (size_t r = 0; r < PATTERN_ROW_COUNT; r++) {
                const PatternRow *row = &pattern_rows[r];
                if (row->target != kind)
                    continue;
                visit(row, type, eo ? (const char *)eo + row->offset : NULL,
                      ef ? (const char *)ef + row->offset : NULL, arg);
            }
        }
    }
}

static void print_visit(const PatternRow *row, const char *type, const void *old_field,
                        const void *new_field, void *arg)
{
    char key[KEY_NAME_MAX];
    FILE *out = arg;

    (void)new_field;
    if ((row->spec.type == VALUE_ARGV || row->spec.type == VALUE_NAMES) &&
        *(char **const *)old_field == NULL)
        return; /* no command (config_check refuses such a Config), or no names */
    fprintf(out, "%s = ", pattern_key(key, row, type));
    value_write(out, &row->spec, old_field);
    fputc('\n', out);
}

void config_print(const Config *c, FILE *out)
{
    for (size_t i = 0; i < KEY_ROW_COUNT; i++) {
        const KeyRow *row = &key_rows[i];
        fprintf(out, "%s = ", row->key);
        value_write(out, &row->spec, config_field_const(c, row));
        fputc('\n', out);
    }
    pattern_walk(c, NULL, print_visit, out);
}

/* pattern_differs says whether a pattern key differs between two configs. */
static bool pattern_differs(const PatternRow *row, const void *old_field, const void *new_field)
{
    if (old_field == NULL || new_field == NULL)
        return true;
    return !value_equal(&row->spec, old_field, new_field);
}

static void differs_visit(const PatternRow *row, const char *type, const void *old_field,
                          const void *new_field, void *arg)
{
    (void)type;
    if (pattern_differs(row, old_field, new_field))
        *(bool *)arg = true;
}

bool config_changed_unreloadable(const Config *old, const Config *fresh)
{
    bool changed = false;

    for (size_t i = 0; i < KEY_ROW_COUNT; i++) {
        const KeyRow *row = &key_rows[i];
        if ((row->flags & KEY_RELOADABLE) == 0 &&
            !value_equal(&row->spec, config_field_const(old, row), config_field_const(fresh, row)))
            return true;
    }
    pattern_walk(old, fresh, differs_visit, &changed);
    return changed;
}

/* log_change logs that key went from old_field to new_field (either NULL:
 * the key was added or removed). */
static void log_change(const char *key, const ValueSpec *spec, const void *old_field,
                       const void *new_field, bool reloadable, bool secret)
{
    char *old_text = NULL, *new_text = NULL;
    char old_safe[128], new_safe[128], what[300];

    if (secret) {
        snprintf(what, sizeof what, "changed (value not shown)");
    } else {
        old_text = old_field != NULL ? value_text(spec, old_field) : NULL;
        new_text = new_field != NULL ? value_text(spec, new_field) : NULL;
        if (old_field == NULL)
            snprintf(what, sizeof what, "added: %s",
                     log_sanitize(new_safe, sizeof new_safe, new_text));
        else if (new_field == NULL)
            snprintf(what, sizeof what, "removed (was %s)",
                     log_sanitize(old_safe, sizeof old_safe, old_text));
        else
            snprintf(what, sizeof what, "changed from %s to %s",
                     log_sanitize(old_safe, sizeof old_safe, old_text),
                     log_sanitize(new_safe, sizeof new_safe, new_text));
    }
    if (reloadable)
        log_info("config: %s %s", key, what);
    else
        log_warn("config: %s %s; needs a restart", key, what);
    free(old_text);
    free(new_text);
}

static void log_visit(const PatternRow *row, const char *type, const void *old_field,
                      const void *new_field, void *arg)
{
    char key[KEY_NAME_MAX];

    (void)arg;
    /* An unset list (exec.<type>.environment) of a type added or removed
     * is no change worth a line. */
    if (row->spec.type == VALUE_NAMES && (old_field == NULL || new_field == NULL) &&
        *(char **const *)(old_field != NULL ? old_field : new_field) == NULL)
        return;
    if (pattern_differs(row, old_field, new_field))
        log_change(pattern_key(key, row, type), &row->spec, old_field, new_field, false, false);
}

void config_log_changes(const Config *old, const Config *fresh)
{
    for (size_t i = 0; i < KEY_ROW_COUNT; i++) {
        const KeyRow *row = &key_rows[i];
        const void *a = config_field_const(old, row), *b = config_field_const(fresh, row);
        if (!value_equal(&row->spec, a, b))
            log_change(row->key, &row->spec, a, b, (row->flags & KEY_RELOADABLE) != 0,
                       (row->flags & KEY_SECRET) != 0);
    }
    pattern_walk(old, fresh, log_visit, NULL);
}

/* value_size is the size of a scalar field. */
static size_t value_size(ValueType type)
{
    switch (type) {
        case VALUE_INT:
        case VALUE_ENUM:
            return sizeof(int);
        case VALUE_LONG:
            return sizeof(long);
        case VALUE_BOOL:
            return sizeof(bool);
        case VALUE_STRING:
        case VALUE_ARGV:
        case VALUE_NAMES:
            break;
    }
    return 0;
}

void config_copy_reloadable(Config *live, const Config *fresh)
{
    char *copies[KEY_ROW_COUNT] = {NULL};

    /* Copy every reloadable string first, so that running out of memory
     * leaves live as it was. */
    for (size_t i = 0; i < KEY_ROW_COUNT; i++) {
        const KeyRow *row = &key_rows[i];
        if ((row->flags & KEY_RELOADABLE) == 0 || row->spec.type != VALUE_STRING)
            continue;
        copies[i] = strdup(*(char *const *)config_field_const(fresh, row));
        if (copies[i] == NULL)
            goto oom;
    }
    for (size_t i = 0; i < KEY_ROW_COUNT; i++) {
        const KeyRow *row = &key_rows[i];
        void *to = config_field(live, row);
        if ((row->flags & KEY_RELOADABLE) == 0)
            continue;
        if (row->spec.type == VALUE_STRING) {
            free(*(char **)to);
            *(char **)to = copies[i];
        } else {
            memcpy(to, config_field_const(fresh, row), value_size(row->spec.type));
        }
    }
    return;
oom:
    log_error("config: out of memory while applying the new configuration; keeping the old one");
    for (size_t i = 0; i < KEY_ROW_COUNT; i++)
        free(copies[i]);
}

/* ---- Documentation --------------------------------------------------- */

static const char *type_word(ValueType type)
{
    switch (type) {
        case VALUE_STRING:
            return "string";
        case VALUE_INT:
        case VALUE_LONG:
            return "integer";
        case VALUE_BOOL:
            return "boolean";
        case VALUE_ENUM:
            return "enum";
        case VALUE_ARGV:
            return "command";
        case VALUE_NAMES:
            return "names";
    }
    return "?";
}

/* write_allowed writes the values spec accepts. */
static void write_allowed(FILE *out, const ValueSpec *spec)
{
    char list[128];

    switch (spec->type) {
        case VALUE_INT:
        case VALUE_LONG:
            fprintf(out, "%ld to %ld", spec->min, spec->max);
            return;
        case VALUE_BOOL:
            fputs("true/false, yes/no, on/off, 1/0", out);
            return;
        case VALUE_ENUM:
            fputs(words_list(list, sizeof list, spec->words), out);
            return;
        case VALUE_STRING:
            fputs(spec->check == check_type_list   ? "job types, comma-separated"
                  : spec->check == check_host_port ? "host:port, or empty"
                  : spec->check == check_secret    ? "empty, or 32 characters or more"
                                                   : "any text",
                  out);
            return;
        case VALUE_ARGV:
            fputs("program and arguments", out);
            return;
        case VALUE_NAMES:
            fputs("variable names, none PG*", out);
            return;
    }
}

/* write_default writes default_text as a Markdown code span. */
static void write_default(FILE *out, const ValueSpec *spec, const char *default_text)
{
    if (default_text == NULL && spec->type == VALUE_NAMES)
        fputs("none", out);
    else if (default_text == NULL)
        fputs("(required)", out);
    else if (spec->type == VALUE_STRING)
        fprintf(out, "`\"%s\"`", default_text);
    else
        fprintf(out, "`%s`", default_text);
}

void config_write_docs(FILE *out)
{
    char name[KEY_NAME_MAX];

    fputs("| key | type | default | allowed | reload | environment | description |\n", out);
    fputs("|---|---|---|---|---|---|---|\n", out);
    for (size_t i = 0; i < KEY_ROW_COUNT; i++) {
        const KeyRow *row = &key_rows[i];
        fprintf(out, "| `%s` | %s | ", row->key, type_word(row->spec.type));
        write_default(out, &row->spec, row->default_text);
        fputs(" | ", out);
        write_allowed(out, &row->spec);
        fprintf(out, " | %s | `%s` | %s |\n",
                (row->flags & KEY_RELOADABLE) != 0 ? "SIGHUP" : "restart", env_name(name, row->key),
                row->doc);
    }
    for (size_t i = 0; i < PATTERN_ROW_COUNT; i++) {
        const PatternRow *row = &pattern_rows[i];
        fprintf(out, "| `%s` | %s | ", row->key, type_word(row->spec.type));
        write_default(out, &row->spec, row->default_text);
        fputs(" | ", out);
        write_allowed(out, &row->spec);
        fprintf(out, " | restart | none | %s |\n", row->doc);
    }
}
