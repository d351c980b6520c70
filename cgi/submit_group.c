/* SPDX-License-Identifier: MIT */
/*
 * submit_group.c - the group submit (submit_group.h).
 *
 * Two threads of the group's own share the work.  The writer takes the
 * submits waiting whenever there are any (up to a statement's worth:
 * SUBMIT_GROUP_STATEMENT_MAX and _BYTES) and writes them on the group's
 * connection (one submit: the statement a lone submit always used; two
 * or more: STMT_SUBMIT_GROUP), then passes them to the answerer, which
 * calls each submit's callback with its answer, in arrival order, while
 * the writer writes the next statement: rendering and sending the
 * answers of one group does not delay the next.  Submits that arrive
 * while the writer writes wait for its next turn.  One mutex guards both
 * lists; neither thread holds it while it waits for the database or runs
 * a callback.  A request thread that waits for its answer
 * (submit_group_run) sleeps on a condition variable of its own.
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

/* Entry is one submit from the time it is queued until it is answered. */
typedef struct Entry {
    const GroupSubmit *s;
    size_t bytes;           /* of its body */
    bool handed;            /* by submit_group_hand (counted in SubmitGroup.handed) */
    GroupAnswered answered; /* called once, by the answerer, with the answer */
    void *arg;
    PGresult *result; /* the answer: a result of its own, or NULL with err */
    Error err;
    char field[DB_FIELD_SIZE];
    struct Entry *next;
} Entry;

struct SubmitGroup {
    pthread_mutex_t lock;
    pthread_cond_t work; /* signaled when a submit is added, or when stopping */
    Entry *head, *tail;  /* the submits waiting, in arrival order */
    int waiting;
    int handed;    /* submits handed (submit_group_hand) and not answered yet */
    bool stopping; /* submit_group_free: write what waits, take no more */
    pthread_t writer;
    pthread_cond_t answer;         /* signaled when written grows, or the writer is done */
    Entry *written, *written_tail; /* written and not answered yet, in order */
    bool writer_done;              /* the writer ended: nothing more is written */
    pthread_t answerer;
    DbConn *db; /* used by the writer only (so its backend stays warm) */
    long long statements;
    long long grouped;
    long long refused; /* hands refused because SUBMIT_GROUP_QUEUE_MAX were unanswered */
};

GroupCounts submit_group_counts(SubmitGroup *g)
{
    GroupCounts c = {0};

    if (g == NULL)
        return c;
    pthread_mutex_lock(&g->lock);
    c.waiting = g->waiting;
    c.statements = g->statements;
    c.grouped = g->grouped;
    c.refused = g->refused;
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
    /* The text between quotes and backslashes a run at a time. */
    while (*v != '\0') {
        size_t run = strcspn(v, "\"\\");
        fwrite(v, 1, run, f);
        v += run;
        if (*v == '\0')
            break;
        fputc('\\', f);
        fputc(*v, f);
        v++;
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

/* ---- the writer and the answerer ---- */

/* answer_list calls each submit's callback with its answer, in order,
 * and frees the entries.  A handed one stops counting against
 * SUBMIT_GROUP_QUEUE_MAX as soon as it is answered: its connection is
 * closed or with the listener then. */
static void answer_list(SubmitGroup *g, Entry *list)
{
    while (list != NULL) {
        Entry *e = list;
        bool handed = e->handed;

        list = e->next;
        e->answered(e->arg, e->result, &e->err, e->field);
        free(e);
        if (handed) {
            pthread_mutex_lock(&g->lock);
            g->handed--;
            pthread_mutex_unlock(&g->lock);
        }
    }
}

/* answerer_main is the answerer thread: it answers what the writer
 * wrote, in order, while the writer writes the next statement, until the
 * writer is done and everything is answered. */
static void *answerer_main(void *arg)
{
    SubmitGroup *g = arg;

    pthread_mutex_lock(&g->lock);
    for (;;) {
        while (g->written == NULL && !g->writer_done)
            pthread_cond_wait(&g->answer, &g->lock);
        if (g->written == NULL)
            break; /* the writer is done, and everything is answered */
        Entry *list = g->written;

        g->written = g->written_tail = NULL;
        pthread_mutex_unlock(&g->lock);
        answer_list(g, list);
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

/* take_statement takes from g's list what one statement writes: the
 * first submit, and those after it up to SUBMIT_GROUP_STATEMENT_MAX
 * submits and SUBMIT_GROUP_STATEMENT_BYTES of bodies; *count is how
 * many, *tail the last of them.  The lock is held. */
static Entry *take_statement(SubmitGroup *g, int *count, Entry **tail)
{
    Entry *list = g->head, *last = list;
    size_t bytes = list->bytes;
    int n = 1;

    while (last->next != NULL && n < SUBMIT_GROUP_STATEMENT_MAX &&
           bytes + last->next->bytes <= SUBMIT_GROUP_STATEMENT_BYTES) {
        last = last->next;
        bytes += last->bytes;
        n++;
    }
    g->head = last->next;
    if (g->head == NULL)
        g->tail = NULL;
    last->next = NULL;
    g->waiting -= n;
    *count = n;
    *tail = last;
    return list;
}

/* writer_main is the writer thread: it writes whatever waits, until the
 * group stops and nothing waits any more. */
static void *writer_main(void *arg)
{
    SubmitGroup *g = arg;

    pthread_mutex_lock(&g->lock);
    for (;;) {
        while (g->head == NULL && !g->stopping)
            pthread_cond_wait(&g->work, &g->lock);
        if (g->head == NULL)
            break; /* stopping, and everything is written */
        int count = 0;
        Entry *last = NULL;
        Entry *list = take_statement(g, &count, &last);
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
        /* The answerer answers them while the next statement is written. */
        if (g->written_tail != NULL)
            g->written_tail->next = list;
        else
            g->written = list;
        g->written_tail = last;
        pthread_cond_signal(&g->answer);
    }
    g->writer_done = true;
    pthread_cond_signal(&g->answer);
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

/* add queues s for the writer; handed: by submit_group_hand, bounded by
 * SUBMIT_GROUP_QUEUE_MAX (a waiting thread is bounded by the threads).
 * False, with nothing done, when it cannot. */
static bool add(SubmitGroup *g, const GroupSubmit *s, GroupAnswered answered, void *arg,
                bool handed)
{
    Entry *e = calloc(1, sizeof *e);
    bool taken;

    if (e == NULL)
        return false;
    e->s = s;
    e->bytes = s->params[2] != NULL ? strlen(s->params[2]) : 0;
    e->handed = handed;
    e->answered = answered;
    e->arg = arg;
    pthread_mutex_lock(&g->lock);
    bool full = handed && g->handed >= SUBMIT_GROUP_QUEUE_MAX;
    taken = !g->stopping && !full;
    g->refused += full;
    if (taken) {
        if (g->tail != NULL)
            g->tail->next = e;
        else
            g->head = e;
        g->tail = e;
        g->waiting++;
        g->handed += handed;
        pthread_cond_signal(&g->work);
    }
    pthread_mutex_unlock(&g->lock);
    if (!taken)
        free(e);
    return taken;
}

bool submit_group_hand(SubmitGroup *g, const GroupSubmit *s, GroupAnswered answered, void *arg)
{
    return add(g, s, answered, arg, true);
}

/* ---- a submit whose thread waits ---- */

/* Waiting is a submit_group_run call's answer, on its thread's stack. */
typedef struct Waiting {
    pthread_mutex_t lock;
    pthread_cond_t done_cv;
    bool done;
    PGresult *result;
    Error err;
    char field[DB_FIELD_SIZE];
} Waiting;

/* waiting_answered is submit_group_run's callback, run by the answerer. */
static void waiting_answered(void *arg, PGresult *r, const Error *err, const char *field)
{
    Waiting *w = arg;

    pthread_mutex_lock(&w->lock);
    w->result = r;
    if (r == NULL) {
        w->err = *err;
        snprintf(w->field, sizeof(w->field), "%s", field);
    }
    w->done = true;
    pthread_cond_signal(&w->done_cv);
    pthread_mutex_unlock(&w->lock);
}

PGresult *submit_group_run(SubmitGroup *g, const GroupSubmit *s, Error *err, char *field)
{
    Waiting w = {.done = false};

    if (pthread_mutex_init(&w.lock, NULL) != 0)
        goto no_wait;
    if (pthread_cond_init(&w.done_cv, NULL) != 0) {
        pthread_mutex_destroy(&w.lock);
        goto no_wait;
    }
    if (!add(g, s, waiting_answered, &w, false)) {
        pthread_cond_destroy(&w.done_cv);
        pthread_mutex_destroy(&w.lock);
        goto no_wait;
    }
    pthread_mutex_lock(&w.lock);
    while (!w.done)
        pthread_cond_wait(&w.done_cv, &w.lock);
    pthread_mutex_unlock(&w.lock);
    pthread_cond_destroy(&w.done_cv);
    pthread_mutex_destroy(&w.lock);
    if (w.result == NULL) {
        *err = w.err;
        snprintf(field, DB_FIELD_SIZE, "%s", w.field);
    }
    return w.result;
no_wait:
    error_set(err, 500, "out_of_resources", "cannot wait for a group submit");
    return NULL;
}

/* ---- the group ---- */

SubmitGroup *submit_group_new(const char *conninfo, int statement_timeout_seconds)
{
    SubmitGroup *g = calloc(1, sizeof *g);

    if (g == NULL)
        return NULL;
    g->db = dbconn_new(conninfo, statement_timeout_seconds);
    if (g->db == NULL)
        goto fail_db;
    if (pthread_mutex_init(&g->lock, NULL) != 0)
        goto fail_db;
    if (pthread_cond_init(&g->work, NULL) != 0)
        goto fail_lock;
    if (pthread_cond_init(&g->answer, NULL) != 0)
        goto fail_work;
    if (pthread_create(&g->answerer, NULL, answerer_main, g) != 0)
        goto fail_answer;
    if (pthread_create(&g->writer, NULL, writer_main, g) != 0)
        goto fail_answerer;
    return g;
fail_answerer:
    pthread_mutex_lock(&g->lock);
    g->writer_done = true; /* there is no writer: the answerer ends */
    pthread_cond_signal(&g->answer);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->answerer, NULL);
fail_answer:
    pthread_cond_destroy(&g->answer);
fail_work:
    pthread_cond_destroy(&g->work);
fail_lock:
    pthread_mutex_destroy(&g->lock);
fail_db:
    dbconn_free(g->db);
    free(g);
    return NULL;
}

void submit_group_free(SubmitGroup *g)
{
    if (g == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    g->stopping = true;
    pthread_cond_signal(&g->work);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->writer, NULL); /* it passed everything to the answerer */
    pthread_join(g->answerer, NULL);
    pthread_cond_destroy(&g->answer);
    pthread_cond_destroy(&g->work);
    pthread_mutex_destroy(&g->lock);
    dbconn_free(g->db);
    free(g);
}
