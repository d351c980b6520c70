/* SPDX-License-Identifier: MIT */
/*
 * test_contact.c tests the contact modules (daemon/handlers/contact*.c) one by one,
 * the whole record (contact_enrich) and the "contact" handler, and holds
 * the corpus evaluator: contact_corpus reads the labeled records of
 * $PGJOB_CONTACT_CORPUS (tests/contact/corpus.jsonl) and prints the
 * accuracy of each field; tests/integration/test_contact_corpus.py runs it
 * and asserts the floors.  Without the variable it only checks that it
 * has nothing to do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "contact.h"
#include "contact_company.h"
#include "contact_country.h"
#include "contact_email.h"
#include "contact_name.h"
#include "contact_phone.h"
#include "contact_title.h"
#include "handler_contact.h"
#include "suites.h"

static void country_codes(void)
{
    CHECK_STR(contact_country_code("Germany"), "DE");
    CHECK_STR(contact_country_code("  deutschland "), "DE");
    CHECK_STR(contact_country_code("U.S.A."), "US");
    CHECK_STR(contact_country_code("usa"), "US");
    CHECK_STR(contact_country_code("United States of America"), "US");
    CHECK_STR(contact_country_code("U.K."), "GB");
    CHECK_STR(contact_country_code("Great Britain"), "GB");
    CHECK_STR(contact_country_code("gb"), "GB");
    CHECK_STR(contact_country_code("Holland"), "NL");
    CHECK_STR(contact_country_code("España"), "ES");
    CHECK_STR(contact_country_code("ÖSTERREICH"), "AT");
    CHECK_STR(contact_country_code("CHE"), "CH");
    CHECK_STR(contact_country_code("Korea, Republic of"), "KR");
    CHECK(contact_country_code("Atlantis") == NULL);
    CHECK(contact_country_code("") == NULL);
    CHECK(contact_country_code(NULL) == NULL);
    CHECK_STR(contact_country_from_tld("acme.de"), "DE");
    CHECK_STR(contact_country_from_tld("acme.co.uk"), "GB");
    CHECK(contact_country_from_tld("acme.com") == NULL);
    CHECK(contact_country_from_tld("acme.io") == NULL);
    CHECK(contact_country_from_tld(NULL) == NULL);
}

/* phone checks that raw in country gives e164 in e164_country, or (e164
 * NULL) that it is refused. */
static void phone(const char *raw, const char *country, const char *e164, const char *e164_country)
{
    ContactPhone p;
    bool ok = contact_phone_parse(raw, country, &p);

    if (e164 == NULL) {
        if (!CHECK(!ok))
            fprintf(stderr, "  %s (%s) gave %s\n", raw, country ? country : "-", p.e164);
        return;
    }
    if (!CHECK(ok)) {
        fprintf(stderr, "  %s (%s) refused\n", raw, country ? country : "-");
        return;
    }
    CHECK_STR(p.e164, e164);
    CHECK_STR(p.country, e164_country);
}

static void phone_numbers(void)
{
    CHECK(contact_phone_country_count() >= 30);
    phone("(415) 555-0134", "US", "+14155550134", "US");
    phone("1-415-555-0134", "US", "+14155550134", "US");
    phone("+1 416 555 0199", NULL, "+14165550199", "CA");
    phone("415.555.0134", NULL, "+14155550134", "US");
    phone("020 7946 0958", "GB", "+442079460958", "GB");
    phone("+44 (0)20 7946 0958", NULL, "+442079460958", "GB");
    phone("0044 20 7946 0958", "FR", "+442079460958", "GB");
    phone("011 44 20 7946 0958", "US", "+442079460958", "GB");
    phone("02 1234 5678", "IT", "+390212345678", "IT");
    phone("06 1 234 5678", "HU", "+3612345678", "HU");
    phone("8 (495) 123-45-67", "RU", "+74951234567", "RU");
    phone("tel: +49 30 901820 ext. 12", NULL, "+4930901820", "DE");
    phone("+1 650 253 0000 x123", NULL, "+16502530000", "US");
    phone("555-0134", "US", NULL, NULL);
    phone("N/A", "US", NULL, NULL);
    phone("12345", NULL, NULL, NULL);
    phone("+999 123 456", NULL, NULL, NULL);
    phone("+1 055 555 0134", NULL, NULL, NULL); /* area codes start with 2-9 */
    phone("call me maybe", NULL, NULL, NULL);
    phone("", NULL, NULL, NULL);
    phone("+33 1 23 45 67 89 01 23 45 67 89", NULL, NULL, NULL);
}

static void email_classes(void)
{
    ContactEmail e;

    REQUIRE(contact_email_parse("  <John.Doe@ACME.com> ", &e));
    CHECK_STR(e.address, "john.doe@acme.com");
    CHECK_STR(e.domain, "acme.com");
    CHECK(e.valid && !e.free_mail && !e.role && !e.disposable);
    REQUIRE(contact_email_parse("mailto:Jane@Gmail.com", &e));
    CHECK_STR(e.address, "jane@gmail.com");
    CHECK(e.valid && e.free_mail);
    REQUIRE(contact_email_parse("Sales Team <sales+eu@vandelay.com>", &e));
    CHECK(e.valid && e.role);
    REQUIRE(contact_email_parse("x@mailinator.com", &e));
    CHECK(e.valid && e.disposable && !e.free_mail);
    const char *bad[] = {"jane@acme",    "jane@@acme.com", "jane doe@acme.com", "jane@acme,com",
                         "jane..d@x.io", ".jane@x.io",     "jane@-acme.com",    "jane@acme.c0m",
                         "janeacme.com", "jane@",          "@acme.com"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        REQUIRE(contact_email_parse(bad[i], &e));
        if (!CHECK(!e.valid))
            fprintf(stderr, "  %s taken as valid\n", bad[i]);
        CHECK(!e.free_mail && !e.role && !e.disposable);
    }
    CHECK(!contact_email_parse("   ", &e));
    CHECK(!contact_email_parse(NULL, &e));
}

static void email_person(void)
{
    ContactEmail e;
    char first[32], last[32];

    REQUIRE(contact_email_parse("jane.doe@acme.com", &e));
    REQUIRE(contact_email_person(&e, first, sizeof first, last, sizeof last));
    CHECK_STR(first, "jane");
    CHECK_STR(last, "doe");
    REQUIRE(contact_email_parse("jdoe@acme.com", &e));
    CHECK(!contact_email_person(&e, first, sizeof first, last, sizeof last));
    REQUIRE(contact_email_parse("j.doe@acme.com", &e));
    CHECK(!contact_email_person(&e, first, sizeof first, last, sizeof last));
    REQUIRE(contact_email_parse("a.b.c@acme.com", &e));
    CHECK(!contact_email_person(&e, first, sizeof first, last, sizeof last));
}

static void domains_and_companies(void)
{
    char d[256], name[256];
    bool known;

    REQUIRE(contact_domain_normalize("https://www.Acme.co.uk/about?x=1", d, sizeof d));
    CHECK_STR(d, "acme.co.uk");
    REQUIRE(contact_domain_normalize("shop.acme.com:8080", d, sizeof d));
    CHECK_STR(d, "acme.com");
    REQUIRE(contact_domain_normalize("jane@mail.acme.com.au", d, sizeof d));
    CHECK_STR(d, "acme.com.au");
    CHECK(!contact_domain_normalize("not a website", d, sizeof d));
    CHECK(!contact_domain_normalize("192.168.0.1", d, sizeof d));
    CHECK(!contact_domain_normalize("co.uk", d, sizeof d));
    CHECK(!contact_domain_normalize("", d, sizeof d));
    REQUIRE(contact_company_name("mckinsey.com", name, sizeof name, &known));
    CHECK_STR(name, "McKinsey & Company");
    CHECK(known);
    REQUIRE(contact_company_name("acme-robotics.co.uk", name, sizeof name, &known));
    CHECK_STR(name, "Acme Robotics");
    CHECK(!known);
    REQUIRE(contact_company_clean("  Globex \t Corp  ", name, sizeof name));
    CHECK_STR(name, "Globex Corp");
    CHECK(!contact_company_clean("   ", name, sizeof name));
}

/* split checks that full splits into first and last. */
static void split(const char *full, const char *first, const char *last)
{
    char f[CONTACT_NAME_SIZE], l[CONTACT_NAME_SIZE];

    if (!CHECK(contact_name_split(full, f, sizeof f, l, sizeof l))) {
        fprintf(stderr, "  %s refused\n", full);
        return;
    }
    CHECK_STR(f, first);
    CHECK_STR(l, last);
}

static void names(void)
{
    char out[CONTACT_NAME_SIZE];

    split("Jane Doe", "Jane", "Doe");
    split("JOHN F. SMITH", "John", "Smith");
    split("Dr. Jane van der Berg, PhD", "Jane", "van der Berg");
    split("Berg, Jane", "Jane", "Berg");
    split("van der berg, jan", "Jan", "van der Berg");
    split("patrick o'brien", "Patrick", "O'Brien");
    split("ronald mcdonald", "Ronald", "McDonald");
    split("Robert (Bob) Johnson Jr.", "Robert", "Johnson");
    split("jean-luc picard", "Jean-Luc", "Picard");
    split("Madonna", "Madonna", "");
    split("ÉMILE ZOLA", "Émile", "Zola");
    split("Danny DeVito", "Danny", "DeVito");
    CHECK(contact_name_case("VAN GOGH", true, out, sizeof out));
    CHECK_STR(out, "van Gogh");
    CHECK(contact_name_case("van", true, out, sizeof out));
    CHECK_STR(out, "Van"); /* a particle alone is the whole name */
    CHECK(contact_name_case("zoë", false, out, sizeof out));
    CHECK_STR(out, "Zoë");
    CHECK(!contact_name_case("   ", false, out, sizeof out));
    CHECK(!contact_name_split("  ", out, sizeof out, out, sizeof out));
}

/* title checks the seniority and department (NULL: none) of t. */
static void title(const char *t, const char *seniority, const char *department)
{
    ContactTitle c;

    if (!CHECK(contact_title_classify(t, &c)))
        return;
    if (!harness_check_str(c.seniority, seniority, __FILE__, __LINE__, t, "seniority") ||
        !harness_check_str(c.department, department, __FILE__, __LINE__, t, "department"))
        fprintf(stderr, "  title: %s\n", t);
}

static void titles(void)
{
    ContactTitle c;

    title("CEO", "c_level", "executive");
    title("Co-Founder & CTO", "c_level", "engineering");
    title("Sr. VP, Global Sales", "vp", "sales");
    title("Vice President of Marketing", "vp", "marketing");
    title("V.P. Finance", "vp", "finance");
    title("Head of People", "director", "hr");
    title("Director, Product Marketing", "director", "marketing");
    title("Engineering Manager", "manager", "engineering");
    title("Senior Software Engineer", "individual_contributor", "engineering");
    title("Account Executive", "individual_contributor", "sales");
    title("Executive Assistant to the CEO", "individual_contributor", "executive");
    title("President", "c_level", "executive");
    title("Teacher", "individual_contributor", NULL);
    CHECK(!contact_title_classify("  - ", &c));
    CHECK(!contact_title_classify(NULL, &c));
}

/* enrich returns contact_enrich of the JSON text, which must succeed. */
static json_t *enrich(const char *text)
{
    json_t *item = json_loads(text, 0, NULL);
    Error err;
    json_t *out;

    error_clear(&err);
    REQUIRE(item != NULL);
    out = contact_enrich(item, &err);
    json_decref(item);
    if (out == NULL)
        fprintf(stderr, "  %s: %s %s\n", text, err.code, err.message);
    REQUIRE(out != NULL);
    return out;
}

static const char *str(const json_t *o, const char *path1, const char *path2)
{
    const json_t *v = json_object_get(o, path1);
    if (path2 != NULL)
        v = json_object_get(v, path2);
    return json_string_value(v);
}

static void enrich_full(void)
{
    json_t *out = enrich(
        "{\"name\": \"dr. jane VAN DER BERG\", \"email\": \" Jane@Acme-Robotics.nl\","
        " \"phone\": \"020 123 4567\", \"title\": \"VP Sales\", \"custom_id\": 7}");
    json_t *undet;

    CHECK_STR(str(out, "email", "address"), "jane@acme-robotics.nl");
    CHECK(json_is_true(json_object_get(json_object_get(out, "email"), "valid")));
    CHECK(json_is_false(json_object_get(json_object_get(out, "email"), "free_mail")));
    CHECK_STR(str(out, "domain", NULL), "acme-robotics.nl");
    CHECK_STR(str(out, "company", NULL), "Acme Robotics");
    CHECK_STR(str(out, "country", NULL), "NL"); /* from .nl, which also reads the phone */
    CHECK_STR(str(out, "phone", "e164"), "+31201234567");
    CHECK_STR(str(out, "phone", "country"), "NL");
    CHECK_STR(str(out, "first_name", NULL), "Jane");
    CHECK_STR(str(out, "last_name", NULL), "van der Berg");
    CHECK_STR(str(out, "seniority", NULL), "vp");
    CHECK_STR(str(out, "department", NULL), "sales");
    CHECK(json_integer_value(json_object_get(json_object_get(out, "input"), "custom_id")) == 7);
    CHECK(json_real_value(json_object_get(json_object_get(out, "confidence"), "domain")) > 0.5);
    undet = json_object_get(out, "undetermined");
    CHECK(json_is_array(undet) && json_array_size(undet) == 0);
    json_decref(out);
}

static void enrich_undetermined(void)
{
    json_t *out = enrich("{\"email\": \"kwalker@gmail.com\", \"phone\": \"12\"}");
    json_t *undet = json_object_get(out, "undetermined");
    const char *want[] = {"domain",     "company",   "phone",     "country",
                          "first_name", "last_name", "seniority", "department"};

    CHECK(json_is_true(json_object_get(json_object_get(out, "email"), "free_mail")));
    REQUIRE(json_array_size(undet) == sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        CHECK_STR(json_string_value(json_array_get(undet, i)), want[i]);
        CHECK(json_is_null(json_object_get(out, want[i])));
        CHECK(json_object_get(json_object_get(out, "confidence"), want[i]) == NULL);
    }
    json_decref(out);
}

static void enrich_errors(void)
{
    const char *bad[][2] = {
        {"42", "invalid_item"},
        {"\"jane@acme.com\"", "invalid_item"},
        {"[1]", "invalid_item"},
        {"{}", "empty_record"},
        {"{\"custom_id\": \"a\", \"other\": \"x\"}", "empty_record"},
        {"{\"name\": \"  \"}", "empty_record"},
        {"{\"email\": 12}", "invalid_field"},
        {"{\"phone\": -5}", "invalid_field"},
        {"{\"name\": [\"a\"]}", "invalid_field"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *item = json_loads(bad[i][0], JSON_DECODE_ANY, NULL);
        Error err;
        REQUIRE(item != NULL);
        error_clear(&err);
        CHECK(contact_enrich(item, &err) == NULL);
        CHECK_INT(err.status, 400);
        CHECK_STR(err.code, bad[i][1]);
        json_decref(item);
    }
    /* Too long a field. */
    char big[CONTACT_FIELD_MAX + 40];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    json_t *item = json_pack("{s:s}", "name", big);
    Error err;
    error_clear(&err);
    CHECK(contact_enrich(item, &err) == NULL);
    CHECK_STR(err.code, "invalid_field");
    json_decref(item);
}

/* Fields at the length limit, of multi-byte characters, come out as valid
 * UTF-8 (json_string would refuse anything else). */
static void enrich_long_utf8(void)
{
    char big[CONTACT_FIELD_MAX + 1] = "";
    const char *fields[] = {"name", "first_name", "last_name", "company", "title", "email"};

    while (strlen(big) + 3 <= CONTACT_FIELD_MAX)
        strcat(big, strlen(big) % 91 == 90 ? " " : "\xc3\xa9"); /* e-acute and spaces */
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *item = json_pack("{s:s, s:s}", fields[i], big, "phone", big);
        Error err;
        json_t *out;
        REQUIRE(item != NULL);
        error_clear(&err);
        out = contact_enrich(item, &err);
        if (!CHECK(out != NULL))
            fprintf(stderr, "  %s: %s\n", fields[i], err.code);
        json_decref(out);
        json_decref(item);
    }
}

static void enrich_deterministic(void)
{
    json_t *a =
        enrich("{\"name\": \"Jane Doe\", \"email\": \"jane@x.de\", \"phone\": \"030 1234567\"}");
    json_t *b =
        enrich("{\"name\": \"Jane Doe\", \"email\": \"jane@x.de\", \"phone\": \"030 1234567\"}");
    CHECK(json_equal(a, b));
    json_decref(a);
    json_decref(b);
}

static bool progress_ok(void *arg, size_t items_done)
{
    *(size_t *)arg = items_done;
    return true;
}

static void handler_run(void)
{
    size_t done = 0;
    HandlerContext ctx = {.progress = progress_ok, .arg = &done};
    json_t *items = json_loads(
        "[{\"email\": \"a.b@acme.com\", \"custom_id\": \"one\"}, 42, {}, "
        "{\"name\": \"Jane Doe\"}]",
        0, NULL);
    HandlerJob job = {.id = "j", .type = "contact", .attempt = 1, .items = items};
    HandlerOutput out = {.results = json_array(), .validation_flags = json_array()};
    Error err;

    REQUIRE(items != NULL);
    error_clear(&err);
    CHECK_STR(handler_contact.name, "contact");
    CHECK(handler_contact.run(&ctx, &job, &out, &err) == HANDLER_OK);
    CHECK_INT(done, 4);
    REQUIRE(json_array_size(out.results) == 4);
    CHECK_STR(str(json_array_get(out.results, 0), "status", NULL), "completed");
    CHECK_STR(str(json_array_get(out.results, 0), "custom_id", NULL), "one");
    CHECK_STR(str(json_array_get(out.results, 0), "output", "company"), "Acme");
    CHECK_STR(str(json_array_get(out.results, 1), "status", NULL), "failed");
    CHECK_STR(str(json_array_get(out.results, 1), "error", "code"), "invalid_item");
    CHECK_STR(str(json_array_get(out.results, 2), "error", "code"), "empty_record");
    CHECK_STR(str(json_array_get(out.results, 3), "output", "last_name"), "Doe");
    json_decref(items);
    json_decref(out.results);
    json_decref(out.validation_flags);
}

/* ---- the corpus evaluator ------------------------------------------------- */

/* The scored fields: the corpus's "expected" key and where the output
 * holds it (path2 NULL: a top-level field). */
static const struct {
    const char *key, *path1, *path2;
} scored[] = {
    {"error", NULL, NULL},
    {"email_valid", "email", "valid"},
    {"email_address", "email", "address"},
    {"free_mail", "email", "free_mail"},
    {"role", "email", "role"},
    {"disposable", "email", "disposable"},
    {"domain", "domain", NULL},
    {"company", "company", NULL},
    {"phone_e164", "phone", "e164"},
    {"phone_country", "phone", "country"},
    {"country", "country", NULL},
    {"first_name", "first_name", NULL},
    {"last_name", "last_name", NULL},
    {"seniority", "seniority", NULL},
    {"department", "department", NULL},
};
enum { NSCORED = sizeof(scored) / sizeof(scored[0]) };

/* actual returns the output's value (borrowed) for scored field i, JSON
 * null when absent; for "error", the error code as a new string in *own. */
static const json_t *actual(size_t i, const json_t *out, const Error *err, json_t **own)
{
    const json_t *v;

    *own = NULL;
    if (i == 0)
        return *own = out == NULL ? json_string(err->code) : json_null();
    if (out == NULL)
        return NULL;
    v = json_object_get(out, scored[i].path1);
    if (scored[i].path2 != NULL)
        v = json_object_get(v, scored[i].path2);
    return v != NULL ? v : (*own = json_null());
}

static void corpus(void)
{
    const char *path = getenv("PGJOB_CONTACT_CORPUS");
    bool verbose = getenv("PGJOB_CONTACT_VERBOSE") != NULL;
    int right[NSCORED] = {0}, total[NSCORED] = {0}, records = 0;
    char *line = NULL;
    size_t cap = 0;
    FILE *f;

    if (path == NULL || path[0] == '\0')
        return; /* run by tests/integration/test_contact_corpus.py */
    f = fopen(path, "r");
    REQUIRE(f != NULL);
    while (getline(&line, &cap, f) > 0) {
        json_error_t jerr;
        json_t *rec = json_loads(line, 0, &jerr), *out, *own;
        const json_t *expected = json_object_get(rec, "expected");
        Error err;
        if (!CHECK(rec != NULL && json_is_object(expected))) {
            fprintf(stderr, "  corpus line %d: %s\n", records + 1, jerr.text);
            json_decref(rec);
            continue;
        }
        records++;
        error_clear(&err);
        out = contact_enrich(json_object_get(rec, "input"), &err);
        for (size_t i = 0; i < NSCORED; i++) {
            const json_t *want = json_object_get(expected, scored[i].key), *got;
            if (want == NULL || (i > 0 && json_object_get(expected, "error") != NULL))
                continue;
            got = actual(i, out, &err, &own);
            total[i]++;
            if (got != NULL && json_equal(want, got)) {
                right[i]++;
            } else if (verbose) {
                char *w = json_dumps(want, JSON_ENCODE_ANY), *g = json_dumps(got, JSON_ENCODE_ANY);
                fprintf(stderr, "miss %-13s want %-28s got %-28s %s", scored[i].key, w, g, line);
                free(w);
                free(g);
            }
            json_decref(own);
        }
        json_decref(out);
        json_decref(rec);
    }
    free(line);
    fclose(f);
    printf("corpus %s: %d records\n", path, records);
    printf("%-14s %7s %7s %9s\n", "field", "right", "scored", "accuracy");
    for (size_t i = 0; i < NSCORED; i++)
        printf("%-14s %7d %7d %9.3f\n", scored[i].key, right[i], total[i],
               total[i] > 0 ? (double)right[i] / total[i] : 0.0);
    fflush(stdout);
    CHECK(records > 0);
}

const Test contact_tests[] = {
    {"contact_country_codes", country_codes},
    {"contact_phone_numbers", phone_numbers},
    {"contact_email_classes", email_classes},
    {"contact_email_person", email_person},
    {"contact_domains_and_companies", domains_and_companies},
    {"contact_names", names},
    {"contact_titles", titles},
    {"contact_enrich_full", enrich_full},
    {"contact_enrich_undetermined", enrich_undetermined},
    {"contact_enrich_errors", enrich_errors},
    {"contact_enrich_long_utf8", enrich_long_utf8},
    {"contact_enrich_deterministic", enrich_deterministic},
    {"contact_handler_run", handler_run},
    {"contact_corpus", corpus},
    {NULL, NULL},
};
