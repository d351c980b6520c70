/* SPDX-License-Identifier: MIT */
/*
 * promtext.h - the pieces of the Prometheus text exposition format (0.0.4)
 * that both GET /metrics (pgjob.fcgi's cgi/metrics.c and pgjobd's
 * daemon/exporter.c) write: a family's HELP and TYPE lines and an escaped
 * label value.  Each program keeps its own output buffer; these write
 * through the PromWrite it passes.
 */
#ifndef PGJOB_PROMTEXT_H
#define PGJOB_PROMTEXT_H

#include <stddef.h>

/* PromWrite appends len bytes of data to sink (the caller's buffer or
 * stream); it records its own failures (out of memory) there. */
typedef void (*PromWrite)(void *sink, const char *data, size_t len);

/* prom_family writes "# HELP name help" and "# TYPE name type", each with
 * its line break; help is escaped as the format wants (\\ and \n). */
void prom_family(PromWrite write, void *sink, const char *name, const char *type, const char *help);

/* prom_label writes value escaped as a label value, without the quotes
 * (\\, \" and \n). */
void prom_label(PromWrite write, void *sink, const char *value);

#endif
