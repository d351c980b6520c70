/* SPDX-License-Identifier: MIT */
/*
 * config_docs.c - a build tool: writes the table of pgjob.conf's keys
 * (config_write_docs, from the same table the programs parse with) to
 * stdout, for man/keys.awk to turn into pgjob.conf(5)'s list of keys.
 * Not installed.
 */
#include <stdio.h>

#include "config.h"

int main(void)
{
    config_write_docs(stdout);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
