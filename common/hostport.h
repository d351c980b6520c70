/* SPDX-License-Identifier: MIT */
/*
 * hostport.h - the one parser of "host:port" addresses (metrics_listen):
 * a host (a name, an IPv4 address, or an IPv6 address in brackets) and a
 * decimal port after the last colon.  config.c checks the key with it and
 * pgjobd's exporter splits the address with it to bind.
 */
#ifndef PGJOB_HOSTPORT_H
#define PGJOB_HOSTPORT_H

#include <stddef.h>

/* The longest host kept, brackets removed, with its NUL. */
#define HOSTPORT_HOST_SIZE 256

/* host_port_parse splits text into host (brackets of an IPv6 address
 * removed, at most hsize - 1 bytes) and *port (0 to 65535).  Returns NULL,
 * or what is wrong with text (a phrase to follow the value in a message,
 * e.g. "is not host:port ..."); host and *port are then undefined. */
const char *host_port_parse(const char *text, char *host, size_t hsize, long *port);

#endif
