/* SPDX-License-Identifier: MIT */
/*
 * submit_group.c - the group submit (submit_group.h).
 *
 * One mutex guards the list of submits waiting and whether a write is
 * under way.  A thread adds its submit to the list; when no write is
 * under way it takes the whole list and writes it on the group's own
 * connection (one submit: the statement a lone submit always used; two
 * or more: STMT_SUBMIT_GROUP).  Every waiting thread sleeps on a
 * condition variable of its own: the writer wakes each thread it
 * answered, then the first of those that gathered meanwhile, which
 * writes the next list.  No thread holds the mutex while it waits for
 * the database.
 */
#define _GNU_SOURCE /* open_memstream */
#include "submit_group.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strnum.h"

/* Entry is one submit while it waits, on its thread's stack. */
typedef struct Entry {
    const GroupSubmit *s;
    PGresult *result; /* the answer: a result of its own, or NULL with err */
    Error err;
    char field[DB_FIELD_SIZE];
    bool taken;        /* a writer took it */
    bool done;         /* answered */
    pthread_cond_t cv; /* signaled when done, or when its thread is to write */
    struct Entry *next;
} Entry;

struct SubmitGroup {
    pthread_mutex_t lock;
    Entry *head, *tail; /* the submits waiting, in arrival order */
    int waiting;
    bool writing; /* a write is under way, on db */
    DbConn *db;   /* used by the one thread writing (so its backend stays warm) */
    long long statements;
    long long grouped;
};

SubmitGroup *submit_group_new(const char *conninfo, int statement_timeout_seconds)
{
    SubmitGroup *g = calloc(1, sizeof *g);

    if (g == NULL)
        return NULL;
    g->db = dbconn_new(conninfo, statement_timeout_seconds);
    if (g->db == NULL || pthread_mutex_init(&g->lock, NULL) != 0) {
        dbconn_free(g->db);
        free(g);
        return NULL;
    }
    return g;
}

void submit_group_free(SubmitGroup *g)
{
    if (g == NULL)
        return;
    pthread_mutex_destroy(&g->lock);
    dbconn_free(g->db);
    free(g);
}

GroupCounts submit_group_counts(SubmitGroup *g)
{
    GroupCounts c = {0};

    if (g == NULL)
        return c;
    pthread_mutex_lock(&g->lock);
    c.waiting = g->waiting;
    c.statements = g->statements;
    c.grouped = g->grouped;
    pthread_mutex_unlock(&g->lock);
    return c;
}

/* ---- one submit alone ---- */

PGresult *submit_alone(DbConn *db, const GroupSubmit *s, Error *err, char *field)
{
    const char *const *p = s->params;

    if (p[0] != NULL && p[0][0] != '\0')
        return dbconn_exec(db, STMT_SUBMIT, p, err, field);
    /* STMT_SUBMIT_KEY's parameters: the key hash for account and key id. */
    const char *key_params[9] = {s->key_hash, p[1], p[2], p[3], p[4], p[5], p[6], p[8], p[9]};
    return dbconn_exec(db, STMT_SUBMIT_KEY, key_params, err, field);
}

/* write_alone writes one submit of a list with the statement a lone
 * submit uses. */
static void write_alone(DbConn *db, Entry *e)
{
    e->result = submit_alone(db, e->s, &e->err, e->field);
}

/* ---- a group ---- */

/* put_element writes v (NULL: SQL NULL) as one element of a PostgreSQL
 * array literal: quoted, with backslash and double quote escaped. */
static void put_element(FILE *f, const char *v, bool first)
{
    if (!first)
        fputc(',', f);
    if (v == NULL) {
        fputs("NULL", f);
        return;
    }
    fputc('"', f);
    for (const char *c = v; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', f);
        fputc(*c, f);
    }
    fputc('"', f);
}

/* The arrays of STMT_SUBMIT_GROUP, in its order. */
enum { ARRAYS = 8 };

/* array_value is what element `which` of the group's arrays holds for
 * submit s (NULL: SQL NULL). */
static const char *array_value(const GroupSubmit *s, int which)
{
    const char *const *p = s->params;
    bool by_key = p[0] == NULL || p[0][0] == '\0';

    switch (which) {
        case 0:
            return by_key ? NULL : p[0]; /* account */
        case 1:
            return by_key ? s->key_hash : NULL;
        case 2:
            return by_key ? NULL : p[7]; /* api key id */
        case 3:
            return p[1]; /* type */
        case 4:
            return p[2]; /* body */
        case 5:
            return p[3]; /* priority */
        case 6:
            return p[4]; /* run_at */
        default:
            return p[5]; /* max_attempts */
    }
}

/* build_arrays fills texts[ARRAYS] with the group's array literals (free
 * each); false when out of memory. */
static bool build_arrays(Entry *list, char *texts[ARRAYS])
{
    for (int a = 0; a < ARRAYS; a++) {
        size_t len = 0;
        FILE *f = open_memstream(&texts[a], &len);

        if (f == NULL) {
            texts[a] = NULL;
            return false;
        }
        fputc('{', f);
        for (Entry *e = list; e != NULL; e = e->next)
            put_element(f, array_value(e->s, a), e == list);
        fputc('}', f);
        if (fclose(f) != 0)
            return false;
    }
    return true;
}

/* row_result copies row `row` of r into a result of its own: one row, or
 * none when keep_row is false (a key that is not live). */
static PGresult *row_result(const PGresult *r, int row, bool keep_row)
{
    PGresult *one = PQcopyResult(r, PG_COPYRES_ATTRS);

    if (one == NULL || !keep_row)
        return one;
    for (int c = 0; c < PQnfields(r); c++) {
        bool null = PQgetisnull(r, row, c);
        if (!PQsetvalue(one, 0, c, null ? NULL : PQgetvalue(r, row, c),
                        null ? -1 : PQgetlength(r, row, c))) {
            PQclear(one);
            return NULL;
        }
    }
    return one;
}

/* hand_out gives each submit of list its row of r (one per submit, in
 * order: n is 1, 2, ...); false when r does not hold them or memory ran
 * out (the caller then answers every submit). */
static bool hand_out(Entry *list, int count, const PGresult *r)
{
    int c_n = PQfnumber(r, "n");
    int c_id = PQfnumber(r, "id");
    int row = 0;

    if (PQntuples(r) != count || c_n < 0 || c_id < 0)
        return false;
    for (Entry *e = list; e != NULL; e = e->next, row++) {
        long n = 0;
        if (!strnum_long(PQgetvalue(r, row, c_n), 1, INT_MAX, &n) || n != row + 1)
            return false;
        const char *account = e->s->params[0];
        bool by_key = account == NULL || account[0] == '\0';
        /* No job: only a key that is not live (the key was looked up). */
        bool keep = !PQgetisnull(r, row, c_id);

        if (!keep && !by_key)
            return false;
        e->result = row_result(r, row, keep);
        if (e->result == NULL)
            return false;
    }
    return true;
}

/* write_group writes the submits of list (count of them, two or more) in
 * one statement, and answers each; false when that statement did not
 * write them (each was then written alone, or failed). */
static bool write_group(DbConn *db, Entry *list, int count)
{
    char *texts[ARRAYS] = {0};
    Error err = {0};
    char field[DB_FIELD_SIZE] = "";
    PGresult *r = NULL;
    bool built = build_arrays(list, texts);

    if (built) {
        const char *params[10] = {texts[0],           texts[1],          texts[2], texts[3],
                                  texts[4],           texts[5],          texts[6], texts[7],
                                  list->s->params[8], list->s->params[9]};
        r = dbconn_exec(db, STMT_SUBMIT_GROUP, params, &err, field);
    }
    for (int a = 0; a < ARRAYS; a++)
        free(texts[a]);
    if (r != NULL && hand_out(list, count, r)) {
        PQclear(r);
        return true;
    }
    for (Entry *e = list; e != NULL; e = e->next) {
        PQclear(e->result);
        e->result = NULL;
    }
    if (r != NULL) {
        /* Written (the statement ended), but not answered: never written
         * again, so each submit is told it failed. */
        log_error(
            "a group submit of %d was written but its answer could not be read "
            "(%d rows, or out of memory)",
            count, PQntuples(r));
        PQclear(r);
        for (Entry *e = list; e != NULL; e = e->next)
            error_set(&e->err, 500, "internal_error", "the request failed; see the server log");
        return false;
    }
    if (built && (err.status == 503 || dbconn_last_sqlstate(db)[0] == '\0')) {
        /* Unreachable, timed out, or failed in libpq (the statement may
         * have been done): the error of each, as alone, never sent again. */
        for (Entry *e = list; e != NULL; e = e->next) {
            e->err = err;
            snprintf(e->field, sizeof(e->field), "%s", field);
        }
        return false;
    }
    /* Not sent, or refused by the server (an error with a SQLSTATE: the
     * statement was rolled back), so nothing was written: each alone, for
     * its own answer. */
    if (!built)
        log_warn("out of memory building a group submit of %d; writing alone", count);
    else
        log_debug("a group submit of %d was refused (%s: %s); writing alone", count, err.code,
                  err.message);
    for (Entry *e = list; e != NULL; e = e->next)
        write_alone(db, e);
    return false;
}

/* ---- gathering ---- */

PGresult *submit_group_run(SubmitGroup *g, const GroupSubmit *s, Error *err, char *field)
{
    Entry self = {.s = s};

    if (pthread_cond_init(&self.cv, NULL) != 0) {
        error_set(err, 500, "out_of_resources", "cannot wait for a group submit");
        return NULL;
    }
    pthread_mutex_lock(&g->lock);
    if (g->tail != NULL)
        g->tail->next = &self;
    else
        g->head = &self;
    g->tail = &self;
    g->waiting++;
    /* Woken when answered, or, first in the list, when a write ended. */
    while (!self.done && (self.taken || g->writing))
        pthread_cond_wait(&self.cv, &g->lock);
    if (!self.done) {
        /* Nothing is being written: write every submit waiting. */
        Entry *list = g->head;
        int count = g->waiting;

        for (Entry *e = list; e != NULL; e = e->next)
            e->taken = true;
        g->head = g->tail = NULL;
        g->waiting = 0;
        g->writing = true;
        pthread_mutex_unlock(&g->lock);

        bool grouped = false;
        if (count == 1)
            write_alone(g->db, list);
        else
            grouped = write_group(g->db, list, count);

        pthread_mutex_lock(&g->lock);
        if (grouped) {
            g->statements++;
            g->grouped += count;
        }
        g->writing = false;
        /* The threads woken here return only once the lock is released,
         * so their entries stay valid until then. */
        for (Entry *e = list; e != NULL; e = e->next) {
            e->done = true;
            if (e != &self)
                pthread_cond_signal(&e->cv);
        }
        /* The first submit that gathered meanwhile writes next. */
        if (g->head != NULL)
            pthread_cond_signal(&g->head->cv);
    }
    pthread_mutex_unlock(&g->lock);
    pthread_cond_destroy(&self.cv);
    if (self.result == NULL) {
        *err = self.err;
        snprintf(field, DB_FIELD_SIZE, "%s", self.field);
    }
    return self.result;
}
