/* SPDX-License-Identifier: MIT */
/*
 * test_handlers.c tests that the job types the front end accepts
 * (common/jobtypes.c) and the handlers pgjobd has (daemon/handlers/
 * handlers.c) are the same list: both come from common/jobtypes.def, and
 * these tests fail if either side stops following it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "handlers.h"
#include "jobtypes.h"
#include "suites.h"

/* contains says whether list[0, n) holds name. */
static bool contains(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], name) == 0)
            return true;
    }
    return false;
}

/* Every accepted type has a handler named after it, and the daemon
 * claims exactly the accepted types when no `types` is configured. */
static void accepted_types_have_handlers(void)
{
    Config *cfg = config_new();
    Error err = {0};
    size_t naccepted;
    const char *const *claimed;

    CHECK(cfg != NULL);
    HandlerTable *t = handlers_new(cfg, &err);
    CHECK(t != NULL);
    const char **accepted = jobtypes_all(cfg, &naccepted);
    CHECK(accepted != NULL);
    size_t nclaimed = handlers_types(t, &claimed);

    CHECK(naccepted == jobtypes_builtin_count + cfg->exec_count);
    CHECK(nclaimed == naccepted);
    for (size_t i = 0; i < naccepted; i++) {
        const void *settings;
        const Handler *h = handlers_find(t, accepted[i], &settings);
        CHECK(h != NULL);
        CHECK(strcmp(h->name, accepted[i]) == 0);
        CHECK(contains(claimed, nclaimed, accepted[i]));
    }
    for (size_t i = 0; i < nclaimed; i++)
        CHECK(contains(accepted, naccepted, claimed[i]));
    CHECK(handlers_find(t, "no-such-type", &(const void *){NULL}) == NULL);
    free(accepted);
    handlers_free(t);
    config_free(cfg);
}

/* The built-in list is the one of jobtypes.def, whatever it holds. */
static void builtin_list_is_the_def_file(void)
{
    static const char *const def[] = {
#define JOBTYPE(name) #name,
#include "jobtypes.def"
#undef JOBTYPE
    };

    CHECK(jobtypes_builtin_count == sizeof def / sizeof def[0]);
    for (size_t i = 0; i < jobtypes_builtin_count; i++)
        CHECK(strcmp(jobtypes_builtin[i], def[i]) == 0);
}

/* An exec type named like a built-in one is refused: it would hide the
 * built-in handler and be claimed twice. */
static void exec_type_may_not_shadow_a_builtin(void)
{
    char path[] = "/tmp/pgjob-test-handlers-XXXXXX";
    static const char text[] = "exec.echo.command = /bin/cat\n";
    int fd = mkstemp(path);
    Error err = {0};

    REQUIRE(fd >= 0);
    REQUIRE(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    Config *cfg = config_load(path, (char *[]){NULL}, &err);
    unlink(path);
    REQUIRE(cfg != NULL);
    CHECK(handlers_new(cfg, &err) == NULL);
    CHECK(strstr(err.message, "\"echo\" is the name of a built-in job type") != NULL);
    config_free(cfg);
}

const Test handlers_tests[] = {
    {"handlers_accepted_types_have_handlers", accepted_types_have_handlers},
    {"handlers_builtin_list_is_the_def_file", builtin_list_is_the_def_file},
    {"handlers_exec_type_may_not_shadow_a_builtin", exec_type_may_not_shadow_a_builtin},
    {NULL, NULL},
};
