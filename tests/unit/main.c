/* SPDX-License-Identifier: MIT */
/* main.c is unit_tests: the explicit list of test tables, run by harness.c. */
#include <stddef.h>

#include "harness.h"
#include "suites.h"

static const Test *const tables[] = {
    strnum_tests, log_tests,      error_tests,        db_tests, migrations_tests,
    config_tests, sdnotify_tests, handler_exec_tests, NULL,
};

int main(int argc, char **argv)
{
    return harness_main(argc, argv, tables);
}
