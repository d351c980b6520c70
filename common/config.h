/* SPDX-License-Identifier: MIT */
/*
 * config.h - pgjob.conf, the one configuration file that pgjobd,
 * pgjob.fcgi and pgjobctl read, and the Config struct it fills.
 *
 * The file is "key = value" lines; '#' starts a comment at the start of a
 * line or after whitespace; blank lines are skipped; a value may be written
 * in double quotes to keep leading or trailing spaces or a '#' (inside the
 * quotes, \" is a quote and \\ a backslash).  There are no sections.
 *
 * One table in config.c (key, type, field, default, range, flags, doc)
 * drives parsing, defaults, environment overrides, config_print and
 * config_write_docs: adding a key is one row there plus one field here.
 * Each table key can be overridden by the environment variable PGJOB_ +
 * the key upper-cased with '.' turned into '_' (PGJOB_WORKERS=8).
 *
 * Pattern keys name a job type <type>, written [a-z][a-z0-9_-]{0,63}:
 *   exec.<type>.command            the program of an exec type, split on
 *                                  whitespace into argv (no shell)
 *   exec.<type>.timeout_seconds    wall-clock limit of one run
 *   exec.<type>.max_output_bytes   most bytes read from its stdout
 *   concurrency.<type>             most jobs of that type running at once
 *                                  in one daemon (0: no limit)
 * They come only from the file, and changing them needs a restart.
 *
 * Errors name where the bad value came from:
 *   pgjob.conf:12: workers: "abc" is not an integer between 1 and 1024
 *   PGJOB_WORKERS: "abc" is not an integer between 1 and 1024
 * and fill an Error with status 500 and code "bad_config".  A program
 * that cannot load its configuration at startup exits with
 * CONFIG_EXIT_CODE.
 */
#ifndef PGJOB_CONFIG_H
#define PGJOB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* The exit status for a configuration error (EX_CONFIG of sysexits.h). */
#define CONFIG_EXIT_CODE 78

/* The Error code of every configuration error. */
#define CONFIG_ERROR_CODE "bad_config"

/* ExecType is one operator-configured exec job type. */
typedef struct ExecType {
    char *type;            /* job type name, owned */
    char **argv;           /* program and arguments, NULL-terminated, owned; NULL: no command */
    int timeout_seconds;   /* wall-clock limit of one run, seconds */
    long max_output_bytes; /* most bytes of stdout read, bytes */
    char **environment;    /* names passed on from pgjobd's environment, NULL-terminated, owned;
                              NULL: none but the safe list of handler_exec.h */
} ExecType;

/* TypeLimit caps how many jobs of one type a daemon runs at once. */
typedef struct TypeLimit {
    char *type;      /* job type name, owned */
    int concurrency; /* most jobs at once; 0: no limit */
} TypeLimit;

/* Config is the whole configuration; each field is named exactly like its
 * key.  Strings are owned, never NULL (empty when unset).  Exec types and
 * limits are sorted by type name. */
typedef struct Config {
    char *database;                /* libpq conninfo or URL; "": the PG* environment */
    int log_level;                 /* a LogLevel (log.h): error, warn, info or debug */
    int stats_period_seconds;      /* between two counter summaries, seconds */
    int workers;                   /* jobs run at once by one pgjobd */
    int claim_batch;               /* most jobs per claim */
    int complete_batch;            /* most jobs per complete/fail call */
    int prefetch;                  /* jobs claimed beyond the free workers */
    int flush_delay_ms;            /* most a finished job waits for a batch, ms */
    char *types;                   /* comma-separated job types to claim; "": every handled type */
    int lease_seconds;             /* lease taken by a claim, seconds */
    int heartbeat_seconds;         /* between two heartbeats, seconds; < lease_seconds */
    int poll_interval_ms;          /* polling fallback when no NOTIFY arrives, ms */
    bool listen;                   /* LISTEN for notifications; false: poll only */
    int shutdown_grace_seconds;    /* in-flight jobs may finish for this long on SIGTERM */
    int backoff_base_ms;           /* retry backoff of the first failed attempt, ms */
    int backoff_max_ms;            /* retry backoff cap, ms; >= backoff_base_ms */
    int rescue_interval_seconds;   /* between two rescues of expired leases, seconds */
    int expire_interval_seconds;   /* between two expiry runs, seconds */
    int prune_interval_seconds;    /* between two prune runs, seconds */
    int prune_after_days;          /* expired stubs older than this are deleted, days */
    int maintenance_batch;         /* most rows per rescue/expire/prune statement */
    int reconnect_max_seconds;     /* cap of the reconnect backoff, seconds */
    int enrich_cache_entries;      /* results the enrich handler caches; 0: none */
    char *metrics_listen;          /* host:port of pgjobd's GET /metrics; "": off */
    int document_max_pages;        /* pages of a document a handler reads */
    int document_page_seconds;     /* the PDF reader's time for one page, seconds */
    int document_max_memory_bytes; /* the PDF reader's memory for one document, bytes */
    int document_max_page_chars;   /* characters the PDF reader takes from one page */
    int result_cache_entries;      /* rows of the result cache maintenance keeps */

    /* pgjob.fcgi; a restart applies them. */
    char *fcgi_listen;           /* listening socket; "": inherited */
    int fcgi_threads;            /* request threads per process */
    int max_body_bytes;          /* request body cap, bytes */
    int max_items;               /* items per job cap */
    int wait_max_seconds;        /* long-poll cap, seconds */
    int max_waiters;             /* long-polls held at once per process */
    int large_result_bytes;      /* inline results cap, bytes */
    int retention_days;          /* job retention, days */
    int retry_after_seconds;     /* polling hint, seconds */
    int document_max_pdf_bytes;  /* a PDF document's size cap, bytes */
    int document_max_html_bytes; /* an HTML document's size cap, bytes */
    int document_max_text_bytes; /* a text document's size cap, bytes */
    char *results_url_secret;    /* key of signed results URLs; "": none */
    int results_url_seconds;     /* a signed results URL's life, seconds */

    /* Both: the result cache of document jobs. */
    int result_cache_seconds; /* age of a cached result that answers a submit; 0: off */
    bool result_cache_shared; /* one cache for all accounts, not one per account */

    int body_timeout_seconds;      /* time a request body may take to arrive, seconds */
    int statement_timeout_seconds; /* pgjob.fcgi: longest statement, seconds */

    ExecType *exec;     /* exec types, exec_count of them, owned */
    size_t exec_count;  /* entries in exec */
    TypeLimit *limits;  /* per-type concurrency limits, owned */
    size_t limit_count; /* entries in limits */
    char *path;         /* the file loaded last, owned; NULL: none */
} Config;

/* config_new returns a new Config holding every key's default, no exec
 * types or limits, and path NULL; free it with config_free.  Returns NULL
 * when out of memory. */
Config *config_new(void) __attribute__((warn_unused_result));

/* config_load_file reads the file at path into c: each key in it replaces
 * c's value, and exec types and limits are added to c's.  It sets c->path
 * to a copy of path.  A missing or unreadable file, a syntax error, an
 * unknown or repeated key, a bad value, or an exec type without a command
 * fails with err naming the file and line.  On failure c may be partly
 * updated: throw it away. */
bool config_load_file(Config *c, const char *path, Error *err) __attribute__((warn_unused_result));

/* config_apply_env applies the PGJOB_* overrides found in envp (a
 * NULL-terminated "NAME=value" array such as environ; borrowed) to c.
 * PGJOB_* variables that name no key are ignored (other tools may set
 * them).  A bad value fails with err naming the variable; c may then be
 * partly updated: throw it away. */
bool config_apply_env(Config *c, char *const *envp, Error *err) __attribute__((warn_unused_result));

/* config_check runs the checks that involve more than one key
 * (heartbeat_seconds < lease_seconds, backoff_base_ms <= backoff_max_ms,
 * every exec type has a command).  Fails with err naming the keys. */
bool config_check(const Config *c, Error *err) __attribute__((warn_unused_result));

/* config_load does it all: defaults, then the file at path_or_null (NULL:
 * no file), then envp's overrides (NULL: none), then config_check.
 * Returns a new Config (free with config_free) or NULL with err filled. */
Config *config_load(const char *path_or_null, char *const *envp, Error *err)
    __attribute__((warn_unused_result));

/* config_free releases c and everything it owns; c may be NULL. */
void config_free(Config *c);

/* config_print writes c to out as a file config_load_file reads back to
 * an equal Config: every table key in table order, then each exec type's
 * keys, then each concurrency limit.  Strings are written quoted.  Note
 * that database is printed in full, password included. */
void config_print(const Config *c, FILE *out);

/* config_changed_unreloadable says whether fresh differs from old in a
 * setting that only a restart applies: a key without the reloadable flag,
 * or any exec or concurrency key.  It logs nothing. */
bool config_changed_unreloadable(const Config *old, const Config *fresh);

/* config_log_changes logs one line per key whose value differs between
 * old and fresh: log_info for a reloadable key, log_warn ending in "needs
 * a restart" for the others, exec and concurrency keys included.  The
 * database value is never logged (it may hold a password). */
void config_log_changes(const Config *old, const Config *fresh);

/* config_copy_reloadable copies the reloadable keys of fresh into live and
 * leaves every other field of live as it was (the reload of STYLE 10:
 * parse into fresh, log the changes, copy, free fresh).  It does not act
 * on the values: the caller applies log_level with log_set_level.  All or
 * nothing: if a string cannot be copied (out of memory) it logs an error
 * and leaves live unchanged. */
void config_copy_reloadable(Config *live, const Config *fresh);

/* config_exec_type returns the exec type named type, borrowed from c
 * (valid until c is freed), or NULL if there is none. */
const ExecType *config_exec_type(const Config *c, const char *type);

/* config_type_limit returns the concurrency limit of type, 0 when it has
 * none. */
int config_type_limit(const Config *c, const char *type);

/* config_write_docs writes a Markdown table of every key (type, default,
 * allowed values, reloadable, description) to out, for
 * docs/configuration.md. */
void config_write_docs(FILE *out);

#endif
