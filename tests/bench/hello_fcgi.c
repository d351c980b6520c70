/* SPDX-License-Identifier: MIT */
/*
 * hello_fcgi.c - the baseline of the HTTP benchmark (tests/bench/bench_http.py):
 * the least a FastCGI program can do to answer a job read.  Threaded like
 * pgjob.fcgi: THREADS threads accept on the socket the web server passes
 * as fd 0 (FCGX_Accept_r, no lock, as pgjob.fcgi does), each with its own
 * libpq connection and one prepared primary-key SELECT of a job row.  No
 * API key, no routing, no JSON library: GET /anything?id=UUID answers
 * {"id":...,"status":...,"version":...}, 404 when there is no such job,
 * 400 for a malformed id, 503 when the database fails.
 *
 * Usage: hello_fcgi THREADS, with the database in HELLO_DATABASE (a
 * libpq conninfo; empty or unset: the PG* variables).  Built by
 * "make bench" only.  TERM, INT and QUIT end it at once: like pgjob.fcgi,
 * the main thread takes them with sigwait (FCGX_Init's own SIGTERM
 * handler only sets a flag that threads blocked in accept never see).
 * It also gets SIGTERM when the web server that spawned it dies, however
 * that dies (PR_SET_PDEATHSIG), so a failed benchmark leaves none behind.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <libpq-fe.h>

enum { MAX_THREADS = 256, ID_SIZE = 64, BODY_SIZE = 256 };

static const char select_sql[] = "SELECT id, status, version FROM pgjob.job WHERE id = $1";

typedef struct Worker {
    const char *conninfo;
    PGconn *conn;
    pthread_t thread;
} Worker;

/* connect_db opens and prepares w's connection; false (logged) on failure. */
static bool connect_db(Worker *w)
{
    PGresult *r;
    bool ok;

    if (w->conn != NULL)
        return true;
    w->conn = PQconnectdb(w->conninfo);
    if (PQstatus(w->conn) != CONNECTION_OK) {
        fprintf(stderr, "hello_fcgi: cannot connect: %s", PQerrorMessage(w->conn));
        PQfinish(w->conn);
        w->conn = NULL;
        return false;
    }
    r = PQprepare(w->conn, "job", select_sql, 1, NULL);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "hello_fcgi: cannot prepare: %s", PQerrorMessage(w->conn));
    PQclear(r);
    if (!ok) {
        PQfinish(w->conn);
        w->conn = NULL;
    }
    return ok;
}

/* query_id copies the value of "id" in the query string q into out;
 * false when there is none or it does not fit. */
static bool query_id(const char *q, char *out, size_t size)
{
    while (q != NULL && *q != '\0') {
        size_t len = strcspn(q, "&");
        if (len > 3 && strncmp(q, "id=", 3) == 0) {
            if (len - 3 >= size)
                return false;
            memcpy(out, q + 3, len - 3);
            out[len - 3] = '\0';
            return true;
        }
        q += len;
        if (*q == '&')
            q++;
    }
    return false;
}

/* valid_id says whether id holds only what a UUID's text may hold, so
 * that it can be echoed in JSON as it is. */
static bool valid_id(const char *id)
{
    return id[0] != '\0' && strspn(id, "0123456789abcdefABCDEF-{}") == strlen(id);
}

/* answer writes the response in one piece (libfcgi's own printf knows no %zu). */
static void answer(FCGX_Request *fr, const char *status, const char *body)
{
    char text[BODY_SIZE + 128];
    int len = snprintf(text, sizeof(text),
                       "Status: %s\r\nContent-Type: application/json\r\nContent-Length: %zu"
                       "\r\n\r\n%s",
                       status, strlen(body), body);

    if (len > 0 && (size_t)len < sizeof(text))
        FCGX_PutStr(text, len, fr->out);
}

static void serve(Worker *w, FCGX_Request *fr)
{
    char id[ID_SIZE], body[BODY_SIZE];
    const char *params[1] = {id};
    PGresult *r;

    if (!query_id(FCGX_GetParam("QUERY_STRING", fr->envp), id, sizeof(id)) || !valid_id(id)) {
        answer(fr, "400 Bad Request", "{\"error\":\"id\"}");
        return;
    }
    if (!connect_db(w)) {
        answer(fr, "503 Service Unavailable", "{\"error\":\"database\"}");
        return;
    }
    r = PQexecPrepared(w->conn, "job", 1, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        bool bad_id = state != NULL && strcmp(state, "22P02") == 0;
        answer(fr, bad_id ? "400 Bad Request" : "503 Service Unavailable",
               bad_id ? "{\"error\":\"id\"}" : "{\"error\":\"database\"}");
        PQclear(r);
        if (PQstatus(w->conn) != CONNECTION_OK) {
            PQfinish(w->conn);
            w->conn = NULL;
        }
        return;
    }
    if (PQntuples(r) != 1) {
        answer(fr, "404 Not Found", "{\"error\":\"not_found\"}");
    } else {
        snprintf(body, sizeof(body), "{\"id\":\"%s\",\"status\":\"%s\",\"version\":%s}",
                 PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
        answer(fr, "200 OK", body);
    }
    PQclear(r);
}

static void *worker_main(void *arg)
{
    Worker *w = arg;
    FCGX_Request fr;

    FCGX_InitRequest(&fr, 0, 0);
    (void)connect_db(w);
    while (FCGX_Accept_r(&fr) >= 0) {
        serve(w, &fr);
        FCGX_Finish_r(&fr);
    }
    FCGX_Free(&fr, 1);
    return NULL;
}

int main(int argc, char **argv)
{
    static Worker workers[MAX_THREADS];
    const char *conninfo = getenv("HELLO_DATABASE");
    char *end = NULL;
    long threads = argc == 2 ? strtol(argv[1], &end, 10) : 0;
    sigset_t stop;
    int signo = 0;

    if (end == NULL || *end != '\0' || threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "usage: hello_fcgi THREADS (1 to %d), database in HELLO_DATABASE\n",
                MAX_THREADS);
        return 2;
    }
    /* Blocked before the threads start, so that they inherit the mask. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
        return 1; /* the web server is gone already */
    if (FCGX_Init() != 0) {
        fprintf(stderr, "hello_fcgi: FCGX_Init failed\n");
        return 1;
    }
    for (long i = 0; i < threads; i++) {
        workers[i].conninfo = conninfo != NULL ? conninfo : "";
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
            fprintf(stderr, "hello_fcgi: cannot start a thread\n");
            return 1;
        }
    }
    while (sigwait(&stop, &signo) != 0)
        continue;
    /* exit, not a join: the threads sit in accept(); the kernel closes
     * the database connections. */
    return 0;
}
