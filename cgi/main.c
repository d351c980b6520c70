/* SPDX-License-Identifier: MIT */
/*
 * main.c - pgjob.fcgi, the HTTP front end: a multi-threaded FastCGI
 * program.  Each thread accepts requests on the one listening socket and
 * has its own database connection.  The socket is, in this order: one
 * passed by systemd (LISTEN_FDS, checked to be a listening stream socket),
 * the one named by --listen or fcgi_listen (a path, host:port or :port),
 * or fd 0 as a spawning web server (lighttpd mod_fastcgi, Apache
 * mod_fcgid) passes it.
 *
 * Signals: TERM, INT and QUIT stop accepting, answer every parked
 * long-poll with its job as it is now, let requests in progress finish
 * and exit 0; HUP is ignored (restart to change settings).  Exit
 * status: 0 clean exit, 1 runtime failure, 2 usage or no socket, 78
 * configuration error.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <jansson.h>

#include "api.h"
#include "config.h"
#include "dbconn.h"
#include "fcgi_io.h"
#include "log.h"
#include "mem.h"
#include "profile.h"
#include "router.h"
#include "strnum.h"
#include "submit_group.h"

#ifndef PGJOB_VERSION
#define PGJOB_VERSION "0.0.0-dev"
#endif

extern char **environ;

/* The first socket systemd passes (sd_listen_fds(3)). */
enum { SD_LISTEN_FDS_START = 3 };

/* Worker is one request thread. */
typedef struct Worker {
    struct Server *server;
    DbConn *db;
    pthread_t thread;
    bool started;
} Worker;

typedef struct Server {
    Config *cfg;
    Api *api;
    int fd;
    atomic_bool stopping;
    atomic_int running; /* worker threads not yet finished */
    atomic_long served;
    int nworkers;
    Worker *workers;
} Server;

static void usage(FILE *out)
{
    fputs(
        "Usage: pgjob.fcgi [--config FILE] [--listen SOCKET] [--threads N]\n"
        "       pgjob.fcgi --check-config | --print-routes [PROFILE] | --version | --help\n"
        "\n"
        "The pgjob HTTP API as a FastCGI program.\n"
        "\n"
        "  -c, --config FILE    read FILE (default: $PGJOB_CONFIG, else none)\n"
        "  -l, --listen SOCKET  listen on SOCKET: a path, host:port or :port\n"
        "                       (default: fcgi_listen, else the socket systemd or\n"
        "                       the spawning web server passes)\n"
        "  -t, --threads N      request threads (default: fcgi_threads)\n"
        "      --check-config   check the configuration and exit\n"
        "      --print-routes [PROFILE]\n"
        "                       print the route table of the native API, or of the\n"
        "                       API profile PROFILE (parsetx, pulse, parzo,\n"
        "                       enrichment), one \"METHOD PATTERN NAME\" a line\n"
        "                       (GET routes answer HEAD too), and exit\n"
        "  -V, --version        print the version and exit\n"
        "  -h, --help           print this help and exit\n"
        "\n"
        "Exit status: 0 clean exit, 1 runtime failure, 2 usage or no socket,\n"
        "78 configuration error.\n",
        out);
}

/* print_routes writes the route table of the native API, or of the
 * profile called profile (NULL: native): "METHOD PATTERN NAME" a line,
 * NAME being the OpenAPI operationId (and the native API's metrics
 * label, router.h).  Returns the exit status: 2 for an unknown profile. */
static int print_routes(const char *profile)
{
    size_t count;
    const Route *routes = router_routes(&count);
    const Profile *p = profile_find(profile);

    if (profile != NULL && p == NULL) {
        fprintf(stderr, "pgjob.fcgi: no API profile \"%s\"\n", profile);
        return 2;
    }
    for (size_t i = 0; p != NULL && i < p->route_count; i++)
        printf("%s %s %s\n", p->routes[i].method, p->routes[i].pattern, p->routes[i].name);
    for (size_t i = 0; p == NULL && i < count; i++)
        printf("%s %s %s\n", routes[i].method, routes[i].pattern, routes[i].name);
    return 0;
}

/* is_listening_stream says whether fd is a listening stream socket. */
static bool is_listening_stream(int fd)
{
    int value = 0;
    socklen_t len = sizeof(value);

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &len) != 0 || value != SOCK_STREAM)
        return false;
    len = sizeof(value);
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &len) == 0 && value == 1;
}

/* systemd_socket returns the socket systemd passed, -1 when it passed
 * none, or -2 when what it passed is unusable (logged). */
static int systemd_socket(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    long p, n;

    if (pid == NULL || fds == NULL)
        return -1;
    if (!strnum_long(pid, 1, 2147483647L, &p) || p != (long)getpid())
        return -1;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (!strnum_long(fds, 0, 1024, &n) || n != 1) {
        log_error("systemd passed %s sockets; pgjob.fcgi takes exactly one", fds);
        return -2;
    }
    if (!is_listening_stream(SD_LISTEN_FDS_START)) {
        log_error("the socket systemd passed (fd 3) is not a listening stream socket");
        return -2;
    }
    return SD_LISTEN_FDS_START;
}

/* choose_socket picks the listening socket; -1 when there is none. */
static int choose_socket(const char *listen_on)
{
    int fd = systemd_socket();

    if (fd != -1)
        return fd < 0 ? -1 : fd;
    if (listen_on != NULL && listen_on[0] != '\0') {
        fd = FCGX_OpenSocket(listen_on, 128);
        if (fd < 0)
            log_error("cannot listen on %s: %s", listen_on, strerror(errno));
        return fd < 0 ? -1 : fd;
    }
    if (is_listening_stream(0))
        return 0;
    log_error(
        "no socket to listen on: pass --listen, set fcgi_listen, or run pgjob.fcgi"
        " under a web server that spawns FastCGI programs or under systemd socket"
        " activation");
    return -1;
}

static void on_wakeup(int signo)
{
    (void)signo; /* only there to interrupt accept() */
}

static void handle(void *arg, Request *req, Response *res)
{
    Worker *w = arg;
    api_handle(w->server->api, w->db, req, res);
}

static void rejected(void *arg, int status)
{
    Worker *w = arg;
    api_observe_rejected(w->server->api, status);
}

static void *worker_main(void *arg)
{
    Worker *w = arg;
    Server *s = w->server;
    FCGX_Request *fr = calloc(1, sizeof *fr);
    sigset_t wake;
    char id[32];

    if (fr == NULL || FCGX_InitRequest(fr, s->fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        log_error("out of memory starting a request thread");
        free(fr);
        atomic_fetch_sub(&s->running, 1);
        return NULL;
    }
    sigemptyset(&wake);
    sigaddset(&wake, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
    bool accept_failing = false;
    while (!atomic_load(&s->stopping)) {
        if (FCGX_Accept_r(fr) < 0) {
            int e = errno;
            if (atomic_load(&s->stopping))
                break;
            /* Out of file descriptors, say: pause instead of spinning,
             * and log the first failure of a run, not every one. */
            if (!accept_failing)
                log_warn("accepting a connection failed: %s; retrying every 100 ms", strerror(e));
            accept_failing = true;
            nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
            continue;
        }
        if (accept_failing)
            log_info("accepting connections again");
        accept_failing = false;
        snprintf(id, sizeof(id), "%ld-%ld", (long)getpid(), atomic_fetch_add(&s->served, 1) + 1);
        /* A parked long-poll keeps fr: accept the next one with a new one. */
        FCGX_Request *next =
            fcgi_io_serve(fr, s->cfg->max_body_bytes, s->cfg->body_timeout_seconds * 1000L, id,
                          handle, rejected, w);
        if (next == fr)
            FCGX_Finish_r(fr);
        fr = next;
    }
    FCGX_Free(fr, 0);
    free(fr);
    atomic_fetch_sub(&s->running, 1);
    return NULL;
}

/* start_workers starts the request threads with every signal blocked
 * (the main thread takes them with sigwait; SIGUSR1 is unblocked in the
 * workers to interrupt accept()). */
static bool start_workers(Server *s)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_wakeup;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        return false;
    s->workers = calloc((size_t)s->nworkers, sizeof(Worker));
    if (s->workers == NULL)
        return false;
    for (int i = 0; i < s->nworkers; i++) {
        Worker *w = &s->workers[i];
        w->server = s;
        w->db = dbconn_new(s->cfg->database, s->cfg->statement_timeout_seconds);
        if (w->db == NULL)
            return false;
        atomic_fetch_add(&s->running, 1);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            atomic_fetch_sub(&s->running, 1);
            return false;
        }
        w->started = true;
    }
    return true;
}

/* stop_workers makes the workers leave accept() and waits for them: the
 * wake-up signal is repeated because one sent just before a thread enters
 * accept() is lost. */
static void stop_workers(Server *s)
{
    struct timespec pause = {0, 50 * 1000 * 1000};

    atomic_store(&s->stopping, true);
    for (int round = 0; round < 600 && atomic_load(&s->running) > 0; round++) {
        for (int i = 0; i < s->nworkers; i++) {
            if (s->workers[i].started)
                pthread_kill(s->workers[i].thread, SIGUSR1);
        }
        nanosleep(&pause, NULL);
    }
    for (int i = 0; i < s->nworkers; i++) {
        if (s->workers[i].started)
            pthread_join(s->workers[i].thread, NULL);
        dbconn_free(s->workers[i].db);
    }
    free(s->workers);
}

/* wait_for_stop returns when TERM, INT or QUIT arrives. */
static void wait_for_stop(const sigset_t *set)
{
    int signo = 0;

    for (;;) {
        if (sigwait(set, &signo) != 0)
            continue;
        if (signo == SIGHUP) {
            log_info("SIGHUP ignored: restart pgjob.fcgi to apply a new configuration");
            continue;
        }
        log_info("signal %d: stopping", signo);
        return;
    }
}

/* Descriptors a process needs besides its parked long-polls: the
 * request threads' connections (to the database, to the web server),
 * the listener's and the group submit's, logs, the listening socket,
 * libraries; and the client connections of the submits handed to the
 * group submit (submit_group.h). */
enum {
    FD_RESERVE_PER_THREAD = 4,
    FD_RESERVE = 64,
    FD_RESERVE_HANDED = SUBMIT_GROUP_QUEUE_MAX,
};

/* raise_fd_limit raises the soft RLIMIT_NOFILE to what max_waiters
 * parked long-polls and the submits handed to the group need (each holds
 * its client connection open), up to the hard limit, and lowers
 * cfg->max_waiters, with a warning, to what the limit allows.
 * pgjob.fcgi never uses select(), so descriptors past 1024 are fine. */
static void raise_fd_limit(Config *cfg, int threads)
{
    struct rlimit rl;
    rlim_t reserve = (rlim_t)threads * FD_RESERVE_PER_THREAD + FD_RESERVE + FD_RESERVE_HANDED;
    rlim_t need = (rlim_t)(cfg->max_waiters > 0 ? cfg->max_waiters : 0) + reserve;
    long room;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
        struct rlimit raised = {.rlim_cur = want, .rlim_max = rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl.rlim_cur = want;
        else
            log_debug("cannot raise the open-file limit: %s", strerror(errno));
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return;
    room = (long)rl.rlim_cur - (long)reserve;
    if (cfg->max_waiters <= 0) {
        log_warn(
            "the open-file limit (%ld) is below the %ld this process may need (%d of them for "
            "submits handed to the group submit): raise LimitNOFILE (systemd) or ulimit -n",
            (long)rl.rlim_cur, (long)need, FD_RESERVE_HANDED);
        return;
    }
    log_warn(
        "the open-file limit (%ld) leaves room for %ld long-polls, not max_waiters = %d, beside "
        "%d for submits handed to the group submit: raise LimitNOFILE (systemd) or ulimit -n to "
        "%ld",
        (long)rl.rlim_cur, room > 0 ? room : 0, cfg->max_waiters, FD_RESERVE_HANDED, (long)need);
    cfg->max_waiters = room > 0 ? (int)room : 0;
}

/* set_test_sndbuf applies PGJOB_TEST_SNDBUF (fcgi_io_set_test_sndbuf), a
 * seam for the tests of slow clients, with a warning: it has no use in
 * production. */
static void set_test_sndbuf(void)
{
    const char *text = getenv("PGJOB_TEST_SNDBUF");
    int bytes = 0;

    if (text == NULL || text[0] == '\0')
        return;
    if (!strnum_int(text, 1, 1 << 24, &bytes)) {
        log_warn("PGJOB_TEST_SNDBUF \"%s\" ignored: not a number from 1 to 16777216", text);
        return;
    }
    log_warn(
        "PGJOB_TEST_SNDBUF: every connection's send buffer is about %d bytes (a test "
        "setting)",
        bytes);
    fcgi_io_set_test_sndbuf(bytes);
}

/* serve runs the server until a stop signal; returns the exit status. */
static int serve(Config *cfg, const char *listen_on, int threads)
{
    Server s = {.cfg = cfg, .nworkers = threads};
    Error err = {0};
    sigset_t set;
    int status = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigdelset(&set, SIGUSR1);

    /* jansson allocates through mem.h, so that running out of memory while
     * parsing a body is told apart from a syntax error (validate.h). */
    json_set_alloc_funcs(mem_malloc, free);
    if (FCGX_Init() != 0) {
        log_error("FCGX_Init failed");
        return 1;
    }
    s.fd = choose_socket(listen_on);
    if (s.fd < 0)
        return 2;
    /* The threads that run, whatever set them (api_new sizes by them). */
    cfg->fcgi_threads = threads;
    raise_fd_limit(cfg, threads);
    s.api = api_new(cfg, &err);
    if (s.api == NULL) {
        log_error("cannot start: %s", err.message);
        return 1;
    }
    if (!start_workers(&s)) {
        log_error("cannot start the request threads");
        status = 1;
    } else {
        log_info("pgjob.fcgi %s serving with %d threads, up to %d long-polls", PGJOB_VERSION,
                 threads, cfg->max_waiters);
        wait_for_stop(&set);
    }
    api_shutdown(s.api);
    stop_workers(&s);
    api_free(s.api);
    log_info("stopped after %ld requests", atomic_load(&s.served));
    return status;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'l'},
        {"threads", required_argument, NULL, 't'},
        {"check-config", no_argument, NULL, 'k'},
        {"print-routes", optional_argument, NULL, 'R'}, /* long only */
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = getenv("PGJOB_CONFIG"), *listen_on = NULL;
    int threads = 0, opt, status;
    bool check = false;
    Error err = {0};

    log_set_program("pgjob.fcgi");
    while ((opt = getopt_long(argc, argv, "c:l:t:Vh", options, NULL)) != -1) {
        switch (opt) {
            case 'c':
                path = optarg;
                break;
            case 'l':
                listen_on = optarg;
                break;
            case 't':
                if (!strnum_int(optarg, 1, 256, &threads)) {
                    fprintf(stderr, "pgjob.fcgi: --threads takes a number from 1 to 256\n");
                    return 2;
                }
                break;
            case 'k':
                check = true;
                break;
            case 'R':
                /* An optional argument of a long option must follow "=";
                 * take the next word as well. */
                if (optarg == NULL && optind < argc && argv[optind][0] != '-')
                    optarg = argv[optind++];
                return print_routes(optarg);
            case 'V':
                printf("pgjob.fcgi %s\n", PGJOB_VERSION);
                return 0;
            case 'h':
                usage(stdout);
                return 0;
            default:
                usage(stderr);
                return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pgjob.fcgi: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    if (path != NULL && path[0] == '\0')
        path = NULL;
    set_test_sndbuf();
    Config *cfg = config_load(path, environ, &err);
    if (cfg == NULL) {
        log_error("%s", err.message);
        return CONFIG_EXIT_CODE;
    }
    if (check) {
        printf("configuration ok\n");
        config_free(cfg);
        return 0;
    }
    log_set_level((LogLevel)cfg->log_level);
    status = serve(cfg, listen_on ? listen_on : cfg->fcgi_listen,
                   threads > 0 ? threads : cfg->fcgi_threads);
    config_free(cfg);
    return status;
}
