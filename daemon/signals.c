/* SPDX-License-Identifier: MIT */
/* signals.c - handlers that only count and wake; the loop acts. */
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static atomic_int term_count;
static atomic_bool quit_seen;
static atomic_bool hup_seen;
static int wake_fd = -1;

static void on_signal(int signo)
{
    int saved = errno;
    char byte = 's';

    if (signo == SIGTERM || signo == SIGINT)
        atomic_fetch_add(&term_count, 1);
    else if (signo == SIGQUIT)
        atomic_store(&quit_seen, true);
    else if (signo == SIGHUP)
        atomic_store(&hup_seen, true);
    if (wake_fd >= 0 && write(wake_fd, &byte, 1) < 0) {
        /* A full pipe already holds a wake-up. */
    }
    errno = saved;
}

bool signals_install(int fd)
{
    static const int caught[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP};
    struct sigaction sa;

    wake_fd = fd;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll() must return EINTR */
    for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++) {
        if (sigaction(caught[i], &sa, NULL) != 0)
            return false;
    }
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL) == 0;
}

int signals_terms(void)
{
    return atomic_load(&term_count);
}

bool signals_quit(void)
{
    return atomic_load(&quit_seen);
}

bool signals_take_hup(void)
{
    return atomic_exchange(&hup_seen, false);
}
