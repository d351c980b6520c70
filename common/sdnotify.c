/* SPDX-License-Identifier: MIT */
/* sdnotify.c sends systemd notify datagrams to $NOTIFY_SOCKET, as sd_notify(3) describes. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "sdnotify.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "strnum.h"

/* notify_address fills addr and *len from the value of $NOTIFY_SOCKET:
 * "/path" or "@name" (abstract: sun_path starts with a NUL byte and the
 * name is not NUL-terminated, so the length counts exactly its bytes). */
static bool notify_address(const char *socket_name, struct sockaddr_un *addr, socklen_t *len)
{
    size_t n = strlen(socket_name);

    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    if (socket_name[0] == '@') {
        if (n > sizeof addr->sun_path) {
            errno = ENAMETOOLONG;
            return false;
        }
        memcpy(addr->sun_path + 1, socket_name + 1, n - 1);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        return true;
    }
    if (socket_name[0] != '/') {
        errno = EINVAL; /* relative paths and other families (vsock:) are not supported */
        return false;
    }
    if (n >= sizeof addr->sun_path) {
        errno = ENAMETOOLONG;
        return false;
    }
    memcpy(addr->sun_path, socket_name, n + 1);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return true;
}

bool sdnotify_under_systemd(void)
{
    const char *name = getenv("NOTIFY_SOCKET");

    return name != NULL && name[0] != '\0';
}

bool sdnotify_send(const char *state)
{
    const char *name = getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr;
    socklen_t addr_len;
    size_t len;
    ssize_t sent;
    int fd, saved;

    if (name == NULL || name[0] == '\0')
        return true;
    if (state == NULL) {
        errno = EINVAL;
        return false;
    }
    if (!notify_address(name, &addr, &addr_len))
        return false;
    /* SOCK_CLOEXEC: keep the fd out of a child another thread forks meanwhile. */
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    len = strlen(state);
    /* MSG_DONTWAIT: a service manager slow to read its socket must never
     * stall the caller's loop; a full queue fails with EAGAIN and the
     * message is dropped (the next STATUS= or WATCHDOG=1 follows). */
    do {
        sent = sendto(fd, state, len, MSG_NOSIGNAL | MSG_DONTWAIT, (const struct sockaddr *)&addr,
                      addr_len);
    } while (sent < 0 && errno == EINTR);
    saved = errno;
    close(fd);
    if (sent < 0) {
        errno = saved;
        return false;
    }
    if ((size_t)sent != len) {
        errno = EMSGSIZE; /* a datagram goes whole or not at all; be safe */
        return false;
    }
    return true;
}

bool sdnotify_sendf(const char *fmt, ...)
{
    va_list ap;
    char *text;
    int n;
    bool ok;

    if (!sdnotify_under_systemd())
        return true; /* nobody listens: skip the formatting */
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        errno = EINVAL;
        return false;
    }
    text = malloc((size_t)n + 1);
    if (text == NULL) {
        errno = ENOMEM;
        return false;
    }
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ok = sdnotify_send(text);
    free(text);
    return ok;
}

uint64_t sdnotify_watchdog_usec(void)
{
    const char *usec_text = getenv("WATCHDOG_USEC");
    const char *pid_text = getenv("WATCHDOG_PID");
    long usec, pid;

    if (usec_text == NULL || !strnum_long(usec_text, 1, LONG_MAX, &usec))
        return 0;
    if (pid_text != NULL) {
        if (!strnum_long(pid_text, 1, LONG_MAX, &pid) || pid != (long)getpid())
            return 0;
    }
    return (uint64_t)usec;
}
