/* SPDX-License-Identifier: MIT */
/*
 * test_contact_intl.c tests the contact rules for records from anywhere:
 * free mail of consumer ISPs and telcos (contact_freemail.c), every
 * country's codes and spellings (contact_countries.c, contact_country.c),
 * the numbering plans beyond the first thirty (contact_phone.c) and
 * abbreviated job titles (contact_title.c).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "contact.h"
#include "contact_countries.h"
#include "contact_country.h"
#include "contact_email.h"
#include "contact_freemail.h"
#include "contact_phone.h"
#include "contact_title.h"
#include "suites.h"

static void freemail_table(void)
{
    size_t n = contact_freemail_count();

    REQUIRE(n >= 500);
    CHECK(contact_freemail_at(n) == NULL);
    for (size_t i = 0; i < n; i++) {
        const char *d = contact_freemail_at(i);
        if (i > 0 && !CHECK(strcmp(contact_freemail_at(i - 1), d) < 0))
            fprintf(stderr, "  out of order or twice: %s after %s\n", d,
                    contact_freemail_at(i - 1));
        if (!CHECK(contact_freemail_is(d)))
            fprintf(stderr, "  not found: %s\n", d);
        for (const char *p = d; *p != '\0'; p++)
            CHECK((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-');
    }
}

static void freemail_isp(void)
{
    static const char *const isp[] = {
        "eircom.net",     "chello.at",      "aon.at",       "sapo.pt",         "online.no",
        "netvigator.com", "earthlink.net",  "ntlworld.com", "arcor.de",        "neuf.fr",
        "tin.it",         "telefonica.net", "nifty.com",    "bol.com.br",      "sify.com",
        "xs4all.nl",      "telia.com",      "mweb.co.za",   "bigpond.com",     "videotron.ca",
        "naver.com",      "qq.com",         "seznam.cz",    "abv.bg",          "ukr.net",
        "hinet.net",      "singnet.com.sg", "xtra.co.nz",   "fibertel.com.ar",
    };
    for (size_t i = 0; i < sizeof isp / sizeof isp[0]; i++)
        if (!CHECK(contact_freemail_is(isp[i])))
            fprintf(stderr, "  %s\n", isp[i]);
    /* Hosts under a listed domain. */
    CHECK(contact_freemail_is("nc.rr.com"));
    CHECK(contact_freemail_is("ms12.hinet.net"));
    CHECK(contact_freemail_is("mail.telepac.pt"));
    /* Webmail brands under country suffixes. */
    CHECK(contact_freemail_is("yahoo.com.hk"));
    CHECK(contact_freemail_is("hotmail.be"));
    CHECK(contact_freemail_is("outlook.com.ar"));
    CHECK(contact_freemail_is("live.se"));
    CHECK(contact_freemail_is("yahoo.co.id"));
    CHECK(contact_freemail_is("gmx.es"));
    /* Companies, and names that only look like the above. */
    CHECK(!contact_freemail_is("acme.com"));
    CHECK(!contact_freemail_is("acme.co.uk"));
    CHECK(!contact_freemail_is("yahoo.acme.com"));
    CHECK(!contact_freemail_is("hotmail.example.org"));
    CHECK(!contact_freemail_is("myhotmail.com"));
    CHECK(!contact_freemail_is("rr.com.example"));
    CHECK(!contact_freemail_is("com"));
    CHECK(!contact_freemail_is("net"));
    CHECK(!contact_freemail_is(""));
    CHECK(!contact_freemail_is(NULL));
}

static void freemail_records(void)
{
    ContactEmail e;
    Error err;
    json_t *in, *out;

    REQUIRE(contact_email_parse("Aoife Murphy <Aoife.Murphy@EIRCOM.net>", &e));
    CHECK(e.valid && e.free_mail && !e.role && !e.disposable);
    /* An ISP mailbox gives no company domain; a website beside it does. */
    in = json_pack("{s:s, s:s}", "name", "Hans Pichler", "email", "h.pichler@aon.at");
    REQUIRE(in != NULL);
    out = contact_enrich(in, &err);
    REQUIRE(out != NULL);
    CHECK(json_is_null(json_object_get(out, "domain")));
    CHECK(json_is_null(json_object_get(out, "company")));
    CHECK(json_is_true(json_object_get(json_object_get(out, "email"), "free_mail")));
    json_decref(out);
    json_object_set_new(in, "website", json_string("https://www.pichler-bau.at/"));
    out = contact_enrich(in, &err);
    REQUIRE(out != NULL);
    CHECK_STR(json_string_value(json_object_get(out, "domain")), "pichler-bau.at");
    CHECK_STR(json_string_value(json_object_get(out, "country")), "AT");
    json_decref(out);
    json_decref(in);
    /* A national ISP's country still hints where a national number is. */
    in = json_pack("{s:s, s:s}", "email", "joao.silva@sapo.pt", "phone", "912 345 678");
    REQUIRE(in != NULL);
    out = contact_enrich(in, &err);
    REQUIRE(out != NULL);
    CHECK(json_is_null(json_object_get(out, "domain")));
    CHECK_STR(json_string_value(json_object_get(json_object_get(out, "phone"), "e164")),
              "+351912345678");
    CHECK_STR(json_string_value(json_object_get(out, "country")), "PT");
    json_decref(out);
    /* Alone, it gives the country with less confidence than a company's. */
    json_object_del(in, "phone");
    out = contact_enrich(in, &err);
    REQUIRE(out != NULL);
    CHECK_STR(json_string_value(json_object_get(out, "country")), "PT");
    CHECK(json_real_value(json_object_get(json_object_get(out, "confidence"), "country")) < 0.6);
    json_decref(out);
    json_decref(in);
}

/* every_country checks that each code and name of the table is read as
 * its country: no spelling is shadowed by another country's. */
static void every_country(void)
{
    REQUIRE(contact_countries_count >= 249);
    for (size_t i = 0; i < contact_countries_count; i++) {
        const ContactCountry *c = &contact_countries[i];
        const char *p = c->names;
        CHECK_STR(contact_country_code(c->a2), c->a2);
        CHECK_STR(contact_country_code(c->a3), c->a2);
        CHECK(strlen(c->a2) == 2 && strlen(c->a3) == 3);
        for (size_t j = 0; j < i; j++)
            if (!CHECK(strcmp(contact_countries[j].a2, c->a2) != 0 &&
                       strcmp(contact_countries[j].a3, c->a3) != 0))
                fprintf(stderr, "  %s listed twice\n", c->a2);
        while (*p != '\0') {
            char name[160];
            size_t n = strcspn(p, "|");
            REQUIRE(n < sizeof name);
            memcpy(name, p, n);
            name[n] = '\0';
            if (!harness_check_str(contact_country_code(name), c->a2, __FILE__, __LINE__, name,
                                   c->a2))
                fprintf(stderr, "  name \"%s\"\n", name);
            p += n + (p[n] == '|');
        }
    }
}

static void country_spellings(void)
{
    static const struct {
        const char *text, *code;
    } cases[] = {
        {"Côte d'Ivoire", "CI"},
        {"Cote d'Ivoire", "CI"},
        {"COTE D’IVOIRE", "CI"},
        {"Côte-d'Ivoire", "CI"},
        {"cote divoire", "CI"},
        {"Ivory Coast", "CI"},
        {"CIV", "CI"},
        {"ci", "CI"},
        {"Curaçao", "CW"},
        {"CURACAO", "CW"},
        {"Réunion", "RE"},
        {"São Tomé and Príncipe", "ST"},
        {"Sao Tome & Principe", "ST"},
        {"Åland", "AX"},
        {"Korea, Republic of", "KR"},
        {"Korea (South)", "KR"},
        {"Korea, Democratic People's Republic of", "KP"},
        {"Viet Nam", "VN"},
        {"Türkiye", "TR"},
        {"TÜRKIYE", "TR"},
        {"Czechia", "CZ"},
        {"Holland", "NL"},
        {"the Netherlands", "NL"},
        {"Great Britain", "GB"},
        {"U.K.", "GB"},
        {"U.S.A.", "US"},
        {"St. Kitts & Nevis", "KN"},
        {"St Vincent and the Grenadines", "VC"},
        {"Dem. Rep. Congo", "CD"},
        {"Republic of the Congo", "CG"},
        {"The Gambia", "GM"},
        {"Bosnia & Herzegovina", "BA"},
        {"Ελλάδα", "GR"},
        {"РОССИЯ", "RU"},
        {"日本", "JP"},
        {"대한민국", "KR"},
        {"Łódź, Polska", "PL"},
        {"Berlin, Germany", "DE"},
        {"Spain (Europe)", "ES"},
        {"Kosovo", "XK"},
        {"Co\xCC\x82te d'Ivoire", "CI"}, /* decomposed ô */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (!harness_check_str(contact_country_code(cases[i].text), cases[i].code, __FILE__,
                               __LINE__, cases[i].text, cases[i].code))
            fprintf(stderr, "  country: %s\n", cases[i].text);
    CHECK(contact_country_code("Côte d'Azur") == NULL);
    CHECK(contact_country_code("New Jersey") == NULL);
    CHECK(contact_country_code("Europe") == NULL);
    CHECK(contact_country_code("Paris, Texas") == NULL);
    CHECK(contact_country_code("the") == NULL);
    CHECK(contact_country_code("\xC3") == NULL); /* cut UTF-8 */
    CHECK(contact_country_code("United Kingdom of Great Britain and Northern Ireland and "
                               "some more words to make it far too long") == NULL);
    CHECK_STR(contact_country_from_tld("cacao-ivoire.ci"), "CI");
    CHECK_STR(contact_country_from_tld("ACME.CH"), "CH");
    CHECK_STR(contact_country_from_tld("acme.uk"), "GB");
    CHECK(contact_country_from_tld("acme.tk") == NULL);
    CHECK(contact_country_from_tld("acme.eu") == NULL);
    CHECK(contact_country_from_tld("acme.4x") == NULL);
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

static void numbering_plans(void)
{
    CHECK(contact_phone_country_count() >= 140);
    /* Côte d'Ivoire: ten digits since 2021, the leading 0 is the number's. */
    phone("07 07 12 34 56", "CI", "+2250707123456", "CI");
    phone("+225 27 22 44 55 66", NULL, "+2252722445566", "CI");
    phone("00225 05 44 12 34 56", "FR", "+2250544123456", "CI");
    phone("+225 20 21 22 23", NULL, NULL, NULL); /* the old eight digits */
    /* Trunk prefixes and lengths elsewhere. */
    phone("77 123 45 67", "SN", "+221771234567", "SN");
    phone("0612-345678", "MA", "+212612345678", "MA");
    phone("0300 1234567", "PK", "+923001234567", "PK");
    phone("(02) 2345-6789", "TW", "+886223456789", "TW");
    phone("8 029 123 45 67", "BY", "+375291234567", "BY");
    phone("5123 4567", "EE", "+37251234567", "EE");
    phone("0412-1234567", "VE", "+584121234567", "VE");
    phone("+974 5512 3456", NULL, "+97455123456", "QA");
    /* Shared calling codes placed by the number. */
    phone("+7 701 123 4567", NULL, "+77011234567", "KZ");
    phone("+7 495 123 4567", NULL, "+74951234567", "RU");
    phone("8 (727) 123-45-67", "KZ", "+77271234567", "KZ");
    phone("(809) 555-0123", "DO", "+18095550123", "DO");
    phone("+1 787 555 0199", NULL, "+17875550199", "PR");
    phone("+1 876 555 0142", NULL, "+18765550142", "JM");
    phone("+1 212 555 0142", NULL, "+12125550142", "US");
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

static void abbreviated_titles(void)
{
    const char *words, *prev = "", *abbr;

    for (size_t i = 0; (abbr = contact_title_abbreviation(i, &words)) != NULL; i++) {
        if (!CHECK(strcmp(prev, abbr) < 0))
            fprintf(stderr, "  abbreviations out of order: %s after %s\n", abbr, prev);
        CHECK(words[0] != '\0' && strchr(abbr, ' ') == NULL);
        prev = abbr;
    }
    title("Sr Mktg Mgr", "manager", "marketing");
    title("SWE II", "individual_contributor", "engineering");
    title("Accounts Payable Specialist", "individual_contributor", "finance");
    title("Accounts Receivable Clerk", "individual_contributor", "finance");
    title("AR Analyst", "individual_contributor", "finance");
    title("Sr. Dir., Eng", "director", "engineering");
    title("Sr Acct Exec", "individual_contributor", "sales");
    title("Acct Mgr", "manager", "sales");
    title("Sr Acct", "individual_contributor", "finance");
    title("Cust Svc Rep", "individual_contributor", "customer_success");
    title("SDE III", "individual_contributor", "engineering");
    title("Sr. PM", "manager", "product");
    title("Enterprise AE", "individual_contributor", "sales");
    title("CSM", "manager", "customer_success");
    title("FP&A Mgr", "manager", "finance");
    title("HRBP", "individual_contributor", "hr");
    title("GM", "director", "executive");
    title("Svc Desk Analyst", "individual_contributor", "it");
    title("ML Engr", "individual_contributor", "data");
    title("Assoc. Dir, Biz Dev", "director", "sales");
    title("A/P Clerk", "individual_contributor", "finance");
    title("Revenue Acct", "individual_contributor", "finance");
    title("Benefits Admin", "individual_contributor", "hr");
    title("Sr. DBA", "individual_contributor", "it");
    title("Sr. Data Sci", "individual_contributor", "data");
    title("Fndr & CEO", "c_level", "executive");
    title("Territory Acct Mgr", "manager", "sales");
    title("Sr. PMM", "manager", "marketing");
    title("SDET II", "individual_contributor", "engineering");
    title("Hd of Sales", "director", "sales");
    title("Tech Lead", "individual_contributor", "engineering");
    /* Words that are not abbreviations are left alone. */
    title("Pharmacy Tech", "individual_contributor", NULL);
    title("Mgrs", "individual_contributor", NULL);
}

const Test contact_intl_tests[] = {
    {"contact_freemail_table", freemail_table},
    {"contact_freemail_isp", freemail_isp},
    {"contact_freemail_records", freemail_records},
    {"contact_every_country", every_country},
    {"contact_country_spellings", country_spellings},
    {"contact_numbering_plans", numbering_plans},
    {"contact_abbreviated_titles", abbreviated_titles},
    {NULL, NULL},
};
