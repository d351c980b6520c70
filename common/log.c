/* SPDX-License-Identifier: MIT */
/* log.c writes one-line events to stderr and makes outside values safe to log. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_int log_level = LOG_LEVEL_INFO;
static char log_program[64] = "pgjob";

static const char *const level_names[] = {
    [LOG_LEVEL_ERROR] = "ERROR",
    [LOG_LEVEL_WARN] = "WARN",
    [LOG_LEVEL_INFO] = "INFO",
    [LOG_LEVEL_DEBUG] = "DEBUG",
};

static const char ellipsis[] = "...";

void log_set_program(const char *name)
{
    snprintf(log_program, sizeof log_program, "%s", name != NULL ? name : "pgjob");
}

void log_set_level(LogLevel level)
{
    if (level < LOG_LEVEL_ERROR)
        level = LOG_LEVEL_ERROR;
    if (level > LOG_LEVEL_DEBUG)
        level = LOG_LEVEL_DEBUG;
    atomic_store(&log_level, (int)level);
}

LogLevel log_get_level(void)
{
    return (LogLevel)atomic_load(&log_level);
}

bool log_enabled(LogLevel level)
{
    return (int)level <= atomic_load(&log_level);
}

/* write_all writes len bytes of buf to fd, retrying after EINTR and short
 * writes; it gives up silently on any other error (there is nowhere left
 * to report it). */
static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

/* log_emit builds "LEVEL program: message\n" in one buffer and writes it
 * with one write(2). */
__attribute__((format(printf, 2, 0))) static void log_emit(LogLevel level, const char *fmt,
                                                           va_list ap)
{
    char line[LOG_LINE_MAX];
    size_t room = sizeof line - 1; /* keep one byte for the newline */
    size_t start, len;
    int n;
    int saved_errno = errno;

    if (!log_enabled(level))
        return;
    n = snprintf(line, room, "%s %s: ", level_names[level], log_program);
    start = n > 0 && (size_t)n < room ? (size_t)n : 0;
    n = vsnprintf(line + start, room - start, fmt, ap);
    len = n < 0 ? start : start + (size_t)n;
    if (len >= room) {
        len = room - 1;
        memcpy(line + len - (sizeof ellipsis - 1), ellipsis, sizeof ellipsis - 1);
    }
    for (size_t i = start; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < ' ' || c == 0x7f)
            line[i] = '?';
    }
    line[len++] = '\n';
    write_all(STDERR_FILENO, line, len);
    errno = saved_errno;
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(LOG_LEVEL_ERROR, fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(LOG_LEVEL_WARN, fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(LOG_LEVEL_INFO, fmt, ap);
    va_end(ap);
}

void log_debug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(LOG_LEVEL_DEBUG, fmt, ap);
    va_end(ap);
}

/* escape writes the safe form of byte c into out (at most 4 bytes plus a
 * NUL) and returns its length. */
static size_t escape(unsigned char c, char out[5])
{
    if (c == '\\') {
        memcpy(out, "\\\\", 3);
        return 2;
    }
    if (c >= ' ' && c < 0x7f) {
        out[0] = (char)c;
        out[1] = '\0';
        return 1;
    }
    snprintf(out, 5, "\\x%02x", c);
    return 4;
}

char *log_sanitize(char *dst, size_t dstlen, const char *src)
{
    const unsigned char *p;
    size_t need = 0, limit, pos = 0;
    char piece[5];

    if (dstlen == 0)
        return dst;
    if (src == NULL)
        src = "(null)";
    for (p = (const unsigned char *)src; *p != '\0'; p++)
        need += escape(*p, piece);
    /* Everything fits, or leave room for the "..." that says it did not. */
    limit = need < dstlen ? need : (dstlen > sizeof ellipsis ? dstlen - sizeof ellipsis : 0);
    for (p = (const unsigned char *)src; *p != '\0'; p++) {
        size_t n = escape(*p, piece);
        if (pos + n > limit)
            break;
        memcpy(dst + pos, piece, n);
        pos += n;
    }
    if (need >= dstlen) {
        size_t dots = dstlen - 1 - pos;
        if (dots > sizeof ellipsis - 1)
            dots = sizeof ellipsis - 1;
        memcpy(dst + pos, ellipsis, dots);
        pos += dots;
    }
    dst[pos] = '\0';
    return dst;
}
