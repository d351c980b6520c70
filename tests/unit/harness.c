/* SPDX-License-Identifier: MIT */
/* harness.c runs unit tests, each forked into its own process and temporary directory. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

/* A test that runs longer than this is killed (SIGALRM) and fails. */
enum { TEST_TIMEOUT_SECONDS = 60 };

/* Failed checks in the current test; only meaningful in the test's child. */
static int failures;

bool harness_check(bool ok, const char *file, int line, const char *what)
{
    if (!ok) {
        fprintf(stderr, "%s:%d: %s failed\n", file, line, what);
        failures++;
    }
    return ok;
}

bool harness_check_str(const char *a, const char *b, const char *file, int line, const char *ea,
                       const char *eb)
{
    char sa[512], sb[512];

    if ((a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0))
        return true;
    fprintf(stderr, "%s:%d: CHECK_STR(%s, %s) failed: \"%s\" != \"%s\"\n", file, line, ea, eb,
            log_sanitize(sa, sizeof sa, a), log_sanitize(sb, sizeof sb, b));
    failures++;
    return false;
}

bool harness_check_long(long a, long b, const char *file, int line, const char *ea, const char *eb)
{
    if (a == b)
        return true;
    fprintf(stderr, "%s:%d: CHECK_INT(%s, %s) failed: %ld != %ld\n", file, line, ea, eb, a, b);
    failures++;
    return false;
}

void harness_stop(void)
{
    exit(1);
}

/* remove_tree deletes path and everything below it, without following
 * symbolic links; errors are ignored (it is a temporary directory). */
static void remove_tree(const char *path)
{
    struct stat st;
    DIR *dir;
    struct dirent *de;

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    dir = opendir(path);
    if (dir != NULL) {
        while ((de = readdir(dir)) != NULL) {
            char child[4096];
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if (snprintf(child, sizeof child, "%s/%s", path, de->d_name) < (int)sizeof child)
                remove_tree(child);
        }
        closedir(dir);
    }
    rmdir(path);
}

/* run_child is the forked test process: into dir, run, exit 0 or 1. */
_Noreturn static void run_child(const Test *t, const char *dir)
{
    if (chdir(dir) != 0) {
        fprintf(stderr, "cannot enter %s: %s\n", dir, strerror(errno));
        exit(1);
    }
    alarm(TEST_TIMEOUT_SECONDS);
    failures = 0;
    t->run();
    exit(failures == 0 ? 0 : 1);
}

/* run_test runs t in a child process and a fresh temporary directory and
 * prints its result line; returns whether it passed. */
static bool run_test(const Test *t)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    int status = 0;
    pid_t pid;

    snprintf(dir, sizeof dir, "%s/pgjob-unit-XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        printf("FAIL %s (cannot create a temporary directory: %s)\n", t->name, strerror(errno));
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0)
        run_child(t, dir);
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        printf("FAIL %s (cannot run it: %s)\n", t->name, strerror(errno));
        remove_tree(dir);
        return false;
    }
    remove_tree(dir);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        printf("ok %s\n", t->name);
        return true;
    }
    if (WIFSIGNALED(status))
        printf("FAIL %s (killed by signal %d: %s)\n", t->name, WTERMSIG(status),
               strsignal(WTERMSIG(status)));
    else
        printf("FAIL %s (exit status %d)\n", t->name, WEXITSTATUS(status));
    return false;
}

/* find_test returns the first test named name in tables, or NULL. */
static const Test *find_test(const Test *const *tables, const char *name)
{
    for (size_t i = 0; tables[i] != NULL; i++) {
        for (const Test *t = tables[i]; t->name != NULL; t++) {
            if (strcmp(t->name, name) == 0)
                return t;
        }
    }
    return NULL;
}

/* names_unique reports any test name listed twice; a repeated name would
 * make "unit_tests NAME" ambiguous. */
static bool names_unique(const Test *const *tables)
{
    bool ok = true;

    for (size_t i = 0; tables[i] != NULL; i++) {
        for (const Test *t = tables[i]; t->name != NULL; t++) {
            if (find_test(tables, t->name) != t) {
                fprintf(stderr, "unit_tests: test %s is listed twice\n", t->name);
                ok = false;
            }
        }
    }
    return ok;
}

/* run_counted runs t and counts the outcome in *passed or *failed. */
static void run_counted(const Test *t, int *passed, int *failed)
{
    if (run_test(t))
        (*passed)++;
    else
        (*failed)++;
}

/* summary prints the closing "N passed, N failed" line and returns the
 * exit code. */
static int summary(int passed, int failed)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

int harness_main(int argc, char **argv, const Test *const *tables)
{
    int passed = 0, failed = 0;

    if (!names_unique(tables))
        return 2;
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; tables[i] != NULL; i++) {
            for (const Test *t = tables[i]; t->name != NULL; t++)
                printf("%s\n", t->name);
        }
        return 0;
    }
    if (argc == 1) {
        for (size_t i = 0; tables[i] != NULL; i++) {
            for (const Test *t = tables[i]; t->name != NULL; t++)
                run_counted(t, &passed, &failed);
        }
        return summary(passed, failed);
    }
    for (int i = 1; i < argc; i++) {
        if (find_test(tables, argv[i]) == NULL) {
            fprintf(stderr, "unit_tests: no test named %s (see unit_tests --list)\n", argv[i]);
            return 2;
        }
    }
    for (int i = 1; i < argc; i++)
        run_counted(find_test(tables, argv[i]), &passed, &failed);
    return summary(passed, failed);
}
