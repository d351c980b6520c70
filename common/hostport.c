/* SPDX-License-Identifier: MIT */
/* hostport.c parses "host:port" addresses (see hostport.h). */
#include "hostport.h"

#include <string.h>

#include "strnum.h"

const char *host_port_parse(const char *text, char *host, size_t hsize, long *port)
{
    const char *colon = strrchr(text, ':');
    const char *h = text;
    size_t hlen;

    if (colon == NULL || colon == text || !strnum_digits(colon + 1, 0, 65535, port))
        return "is not host:port (e.g. 127.0.0.1:9465) with a port from 1 to 65535";
    hlen = (size_t)(colon - text);
    if (text[0] == '[') {
        if (colon[-1] != ']' || hlen < 3)
            return "is not host:port: write an IPv6 address in brackets ([::1]:9465)";
        h++;
        hlen -= 2;
    } else if (memchr(text, ':', hlen) != NULL) {
        return "is not host:port: write an IPv6 address in brackets ([::1]:9465)";
    }
    for (size_t i = 0; i < hlen; i++) {
        if (h[i] == ' ' || h[i] == '\t' || h[i] == '[' || h[i] == ']')
            return h[i] == ' ' || h[i] == '\t' ? "is not host:port: the host holds a space"
                                               : "is not host:port: a bracket out of place";
    }
    if (hlen >= hsize)
        return "is not host:port: the host is too long";
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    return NULL;
}
