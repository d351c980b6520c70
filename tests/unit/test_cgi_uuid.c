/* SPDX-License-Identifier: MIT */
/* test_cgi_uuid.c tests the job id syntax (cgi/uuid.c). */
#include <string.h>

#include "suites.h"
#include "uuid.h"

static const char lower[] = "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71";

static void valid(void)
{
    CHECK(uuid_valid(lower, strlen(lower)));
    CHECK(uuid_valid("0B9F7C1E-5D2A-4C1B-9E0F-3A6D8B2C4E71", 36));
    CHECK(uuid_valid("00000000-0000-0000-0000-000000000000", 36));
    /* Only the first len bytes count. */
    CHECK(uuid_valid("0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/cancel", 36));
}

static void invalid(void)
{
    CHECK(!uuid_valid(NULL, 36));
    CHECK(!uuid_valid("", 0));
    CHECK(!uuid_valid(lower, 35));
    CHECK(!uuid_valid("0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e711", 37));
    CHECK(!uuid_valid("0b9f7c1e5d2a-4c1b-9e0f-3a6d8b2c4e71-", 36)); /* dash moved */
    CHECK(!uuid_valid("0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e7g", 36)); /* not hex */
    CHECK(!uuid_valid("0b9f7c1e-5d2a-4c1b-9e0f_3a6d8b2c4e71", 36)); /* not a dash */
    CHECK(!uuid_valid("{b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71", 36));
    CHECK(!uuid_valid("0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e7\0", 36)); /* NUL inside */
    CHECK(!uuid_valid("0b9f7c1e05d2a04c1b09e0f03a6d8b2c4e71", 36));  /* no dashes */
}

static void normalize(void)
{
    char out[UUID_TEXT_SIZE] = "unchanged";

    CHECK(uuid_normalize("0B9F7C1E-5D2A-4C1B-9E0F-3A6D8B2C4E71", 36, out));
    CHECK_STR(out, lower);
    CHECK(uuid_normalize(lower, 36, out));
    CHECK_STR(out, lower);
    strcpy(out, "unchanged");
    CHECK(!uuid_normalize("not-a-uuid", 10, out));
    CHECK_STR(out, "unchanged");
}

const Test cgi_uuid_tests[] = {
    {"cgi_uuid_valid", valid},
    {"cgi_uuid_invalid", invalid},
    {"cgi_uuid_normalize", normalize},
    {NULL, NULL},
};
