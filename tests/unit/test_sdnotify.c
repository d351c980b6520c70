/* SPDX-License-Identifier: MIT */
/* test_sdnotify.c tests the systemd notify datagrams and watchdog settings (common/sdnotify.c). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"
#include "suites.h"

/* bind_notify binds a datagram socket to name, a path or "@abstract",
 * the way the service manager does, and returns its fd. */
static int bind_notify(const char *name)
{
    struct sockaddr_un addr;
    size_t n = strlen(name);
    socklen_t len;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

    REQUIRE(fd >= 0);
    REQUIRE(n < sizeof addr.sun_path);
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, name, n);
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    if (name[0] == '@')
        addr.sun_path[0] = '\0';
    else
        len++; /* count the NUL of a path */
    REQUIRE(bind(fd, (struct sockaddr *)&addr, len) == 0);
    return fd;
}

/* check_received checks that the next datagram on fd, already queued
 * (AF_UNIX datagrams arrive during sendto, so nothing is waited for), is
 * exactly expected. */
static void check_received(int fd, const char *expected)
{
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);

    REQUIRE(n >= 0);
    buf[n] = '\0';
    CHECK_INT(n, strlen(expected));
    CHECK_STR(buf, expected);
}

/* socket_path writes the absolute path of name in the test's directory. */
static void socket_path(char *buf, size_t size, const char *name)
{
    char cwd[256];

    REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
    REQUIRE((size_t)snprintf(buf, size, "%s/%s", cwd, name) < size);
}

static void unset_is_noop(void)
{
    REQUIRE(unsetenv("NOTIFY_SOCKET") == 0);
    CHECK(!sdnotify_under_systemd());
    CHECK(sdnotify_send("READY=1"));
    CHECK(sdnotify_sendf("STATUS=%d jobs", 3));
    REQUIRE(setenv("NOTIFY_SOCKET", "", 1) == 0);
    CHECK(!sdnotify_under_systemd());
    CHECK(sdnotify_send("READY=1"));
}

static void path_socket(void)
{
    char path[108];
    int fd;

    socket_path(path, sizeof path, "notify.sock");
    fd = bind_notify(path);
    REQUIRE(setenv("NOTIFY_SOCKET", path, 1) == 0);
    CHECK(sdnotify_under_systemd());
    CHECK(sdnotify_send("READY=1\nSTATUS=waiting for jobs"));
    check_received(fd, "READY=1\nSTATUS=waiting for jobs");
    CHECK(sdnotify_sendf("STATUS=%d running, %s", 4, "0 failed"));
    check_received(fd, "STATUS=4 running, 0 failed");
    CHECK(sdnotify_send("WATCHDOG=1"));
    check_received(fd, "WATCHDOG=1");
    close(fd);
}

static void abstract_socket(void)
{
    char name[64];
    int fd;

    snprintf(name, sizeof name, "@pgjob-unit-sdnotify-%ld", (long)getpid());
    fd = bind_notify(name);
    REQUIRE(setenv("NOTIFY_SOCKET", name, 1) == 0);
    CHECK(sdnotify_send("STOPPING=1"));
    check_received(fd, "STOPPING=1");
    close(fd);
}

static void bad_addresses(void)
{
    char path[200];

    REQUIRE(setenv("NOTIFY_SOCKET", "relative/notify.sock", 1) == 0);
    errno = 0;
    CHECK(!sdnotify_send("READY=1"));
    CHECK_INT(errno, EINVAL);

    memset(path, 'x', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    REQUIRE(setenv("NOTIFY_SOCKET", path, 1) == 0);
    errno = 0;
    CHECK(!sdnotify_send("READY=1"));
    CHECK_INT(errno, ENAMETOOLONG);
    path[0] = '@';
    REQUIRE(setenv("NOTIFY_SOCKET", path, 1) == 0);
    errno = 0;
    CHECK(!sdnotify_send("READY=1"));
    CHECK_INT(errno, ENAMETOOLONG);

    /* Nobody bound there. */
    socket_path(path, sizeof path, "nobody.sock");
    REQUIRE(setenv("NOTIFY_SOCKET", path, 1) == 0);
    CHECK(!sdnotify_send("READY=1"));
    CHECK(!sdnotify_sendf("STATUS=%s", "x"));
}

static void watchdog(void)
{
    char pid[32];

    REQUIRE(unsetenv("WATCHDOG_USEC") == 0 && unsetenv("WATCHDOG_PID") == 0);
    CHECK(sdnotify_watchdog_usec() == 0);

    REQUIRE(setenv("WATCHDOG_USEC", "30000000", 1) == 0);
    CHECK(sdnotify_watchdog_usec() == 30000000u); /* no WATCHDOG_PID: meant for us */

    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    REQUIRE(setenv("WATCHDOG_PID", pid, 1) == 0);
    CHECK(sdnotify_watchdog_usec() == 30000000u);

    snprintf(pid, sizeof pid, "%ld", (long)getppid());
    REQUIRE(setenv("WATCHDOG_PID", pid, 1) == 0);
    CHECK(sdnotify_watchdog_usec() == 0); /* inherited from our parent */
    REQUIRE(setenv("WATCHDOG_PID", "12abc", 1) == 0);
    CHECK(sdnotify_watchdog_usec() == 0);
    REQUIRE(setenv("WATCHDOG_PID", "", 1) == 0);
    CHECK(sdnotify_watchdog_usec() == 0);
    REQUIRE(unsetenv("WATCHDOG_PID") == 0);

    static const char *const garbage[] = {"",   "0",  "-5",  "abc",
                                          "5s", " 5", "1e6", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        REQUIRE(setenv("WATCHDOG_USEC", garbage[i], 1) == 0);
        CHECK(sdnotify_watchdog_usec() == 0);
    }
    REQUIRE(setenv("WATCHDOG_USEC", "1", 1) == 0);
    CHECK(sdnotify_watchdog_usec() == 1);
}

const Test sdnotify_tests[] = {
    {"sdnotify_unset_is_noop", unset_is_noop},
    {"sdnotify_path_socket", path_socket},
    {"sdnotify_abstract_socket", abstract_socket},
    {"sdnotify_bad_addresses", bad_addresses},
    {"sdnotify_watchdog", watchdog},
    {NULL, NULL},
};
