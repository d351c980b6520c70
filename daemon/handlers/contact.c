/* SPDX-License-Identifier: MIT */
/*
 * contact.c - one record through the contact modules: read and check the
 * fields, derive each output field from the best source there is, and
 * write the enriched object with a confidence per field.
 */
#include "contact.h"

#include <stdio.h>
#include <string.h>

#include "contact_company.h"
#include "contact_country.h"
#include "contact_email.h"
#include "contact_name.h"
#include "contact_phone.h"
#include "contact_title.h"

/* The input fields read, in Input's order. */
enum {
    F_NAME,
    F_FIRST,
    F_LAST,
    F_EMAIL,
    F_PHONE,
    F_COMPANY,
    F_DOMAIN,
    F_WEBSITE,
    F_TITLE,
    F_COUNTRY,
    NFIELDS
};
static const char *const field_names[NFIELDS] = {"name",  "first_name", "last_name", "email",
                                                 "phone", "company",    "domain",    "website",
                                                 "title", "country"};

/* The output fields that can be undetermined, in output order. */
static const char *const out_names[] = {"email",     "domain",    "company",
                                        "phone",     "country",   "first_name",
                                        "last_name", "seniority", "department"};
enum { NOUT = sizeof(out_names) / sizeof(out_names[0]) };

/* Input is the record's fields: borrowed strings, NULL when absent. */
typedef struct Input {
    const char *f[NFIELDS];
    char phone_digits[32]; /* a phone given as a JSON number, as text */
} Input;

/* Output is what contact_enrich computes before it writes JSON. */
typedef struct Output {
    ContactEmail email;
    bool has_email;
    char domain[256];
    char company[CONTACT_FIELD_MAX + 8];
    ContactPhone phone;
    bool has_phone;
    const char *country;
    char first[CONTACT_NAME_SIZE], last[CONTACT_NAME_SIZE];
    ContactTitle title;
    double conf[NOUT]; /* by out_names index; 0: undetermined */
} Output;

enum { O_EMAIL, O_DOMAIN, O_COMPANY, O_PHONE, O_COUNTRY, O_FIRST, O_LAST, O_SENIORITY, O_DEPT };

/* read_input fills in from item, or fills err. */
static bool read_input(const json_t *item, Input *in, Error *err)
{
    bool any = false;

    memset(in, 0, sizeof(*in));
    if (!json_is_object(item)) {
        error_set(err, 400, "invalid_item", "a contact record must be a JSON object");
        return false;
    }
    for (int i = 0; i < NFIELDS; i++) {
        const json_t *v = json_object_get(item, field_names[i]);
        if (v == NULL || json_is_null(v))
            continue;
        if (i == F_PHONE && json_is_integer(v) && json_integer_value(v) > 0) {
            snprintf(in->phone_digits, sizeof in->phone_digits, "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
            in->f[i] = in->phone_digits;
        } else if (!json_is_string(v)) {
            error_set(err, 400, "invalid_field", "field \"%s\" must be a string", field_names[i]);
            return false;
        } else if (json_string_length(v) > CONTACT_FIELD_MAX) {
            error_set(err, 400, "invalid_field", "field \"%s\" is longer than %d bytes",
                      field_names[i], CONTACT_FIELD_MAX);
            return false;
        } else {
            in->f[i] = json_string_value(v);
        }
        for (const char *p = in->f[i]; *p != '\0'; p++)
            any |= *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r';
    }
    if (!any) {
        error_set(err, 400, "empty_record", "the record has none of the contact fields");
        return false;
    }
    return true;
}

static void derive_domain(const Input *in, Output *o)
{
    if (contact_domain_normalize(in->f[F_DOMAIN], o->domain, sizeof o->domain))
        o->conf[O_DOMAIN] = 1.0;
    else if (contact_domain_normalize(in->f[F_WEBSITE], o->domain, sizeof o->domain))
        o->conf[O_DOMAIN] = 0.95;
    else if (o->has_email && o->email.valid && !o->email.free_mail && !o->email.disposable &&
             contact_domain_normalize(o->email.domain, o->domain, sizeof o->domain))
        o->conf[O_DOMAIN] = 0.8;
}

static void derive_company(const Input *in, Output *o)
{
    bool known;

    if (contact_company_clean(in->f[F_COMPANY], o->company, sizeof o->company))
        o->conf[O_COMPANY] = 1.0;
    else if (o->conf[O_DOMAIN] > 0 &&
             contact_company_name(o->domain, o->company, sizeof o->company, &known))
        o->conf[O_COMPANY] = known ? 0.9 : 0.5;
}

/* derive_place finds the country and the phone, each helping the other:
 * a given country reads a national number; an international number, or
 * else the domain's ccTLD, gives the country.  Without a company domain
 * of a country, the address's own does, less surely: a mailbox at a
 * national ISP (sapo.pt, eircom.net's peers at .ie) is a hint of where
 * its owner lives, though no company's. */
static void derive_place(const Input *in, Output *o)
{
    const char *tld = o->conf[O_DOMAIN] > 0 ? contact_country_from_tld(o->domain) : NULL;
    double tld_conf = 0.6;

    if (tld == NULL && o->has_email && o->email.valid && !o->email.disposable) {
        tld = contact_country_from_tld(o->email.domain);
        tld_conf = 0.5;
    }

    o->country = contact_country_code(in->f[F_COUNTRY]);
    if (o->country != NULL)
        o->conf[O_COUNTRY] = 1.0;
    /* Without a given country, an international or North American number
     * is read as such before the domain's country is tried: national
     * numbers elsewhere start with a trunk 0 that no NANP number has. */
    if (in->f[F_PHONE] != NULL &&
        (contact_phone_parse(in->f[F_PHONE], o->country, &o->phone) ||
         (o->country == NULL && contact_phone_parse(in->f[F_PHONE], tld, &o->phone)))) {
        o->has_phone = true;
        o->conf[O_PHONE] = o->phone.confidence;
    }
    if (o->country == NULL && o->has_phone && o->phone.confidence >= 0.7) {
        o->country = o->phone.country;
        o->conf[O_COUNTRY] = 0.8;
    } else if (o->country == NULL && tld != NULL) {
        o->country = tld;
        o->conf[O_COUNTRY] = tld_conf;
    }
}

static void derive_name(const Input *in, Output *o)
{
    char first[CONTACT_NAME_SIZE], last[CONTACT_NAME_SIZE];

    if (in->f[F_FIRST] != NULL && in->f[F_LAST] == NULL && strchr(in->f[F_FIRST], ' ') &&
        contact_name_split(in->f[F_FIRST], o->first, sizeof o->first, o->last, sizeof o->last)) {
        /* "first_name": "Jane Doe", a whole name in one column. */
        o->conf[O_FIRST] = 0.9;
        o->conf[O_LAST] = o->last[0] != '\0' ? 0.8 : 0;
        return;
    }
    if (contact_name_case(in->f[F_FIRST], false, o->first, sizeof o->first))
        o->conf[O_FIRST] = 1.0;
    if (contact_name_case(in->f[F_LAST], true, o->last, sizeof o->last))
        o->conf[O_LAST] = 1.0;
    if ((o->conf[O_FIRST] == 0 || o->conf[O_LAST] == 0) &&
        contact_name_split(in->f[F_NAME], first, sizeof first, last, sizeof last)) {
        if (o->conf[O_FIRST] == 0 && first[0] != '\0') {
            memcpy(o->first, first, sizeof first);
            o->conf[O_FIRST] = 0.9;
        }
        if (o->conf[O_LAST] == 0 && last[0] != '\0') {
            memcpy(o->last, last, sizeof last);
            o->conf[O_LAST] = 0.85;
        }
    }
    if (o->conf[O_FIRST] == 0 && o->conf[O_LAST] == 0 && o->has_email &&
        contact_email_person(&o->email, first, sizeof first, last, sizeof last) &&
        contact_name_case(first, false, o->first, sizeof o->first) &&
        contact_name_case(last, true, o->last, sizeof o->last)) {
        o->conf[O_FIRST] = 0.5;
        o->conf[O_LAST] = 0.5;
    }
}

static void derive(const Input *in, Output *o)
{
    memset(o, 0, sizeof(*o));
    o->has_email = contact_email_parse(in->f[F_EMAIL], &o->email);
    if (o->has_email)
        o->conf[O_EMAIL] = 1.0;
    derive_domain(in, o);
    derive_company(in, o);
    derive_place(in, o);
    derive_name(in, o);
    if (contact_title_classify(in->f[F_TITLE], &o->title)) {
        o->conf[O_SENIORITY] = o->title.confidence;
        if (o->title.department != NULL)
            o->conf[O_DEPT] = 0.8;
    }
}

/* str_or_null returns a new string, or JSON null when determined is false. */
static json_t *str_or_null(bool determined, const char *s)
{
    return determined ? json_string(s) : json_null();
}

/* write_output returns the new JSON object of o, or NULL (out of memory). */
static json_t *write_output(const json_t *item, const Output *o)
{
    json_t *out = json_object(), *conf = json_object(), *undet = json_array();
    json_t *email = json_null(), *phone = json_null();
    int failed = out == NULL || conf == NULL || undet == NULL;

    if (o->has_email)
        email = json_pack("{s:s, s:b, s:b, s:b, s:b}", "address", o->email.address, "valid",
                          o->email.valid, "free_mail", o->email.free_mail, "role", o->email.role,
                          "disposable", o->email.disposable);
    if (o->has_phone)
        phone = json_pack("{s:s, s:s}", "e164", o->phone.e164, "country", o->phone.country);
    if (failed) {
        json_decref(email);
        json_decref(phone);
        goto fail;
    }
    failed |= json_object_set_new(out, "input", json_deep_copy(item));
    failed |= json_object_set_new(out, "email", email);
    failed |= json_object_set_new(out, "domain", str_or_null(o->conf[O_DOMAIN] > 0, o->domain));
    failed |= json_object_set_new(out, "company", str_or_null(o->conf[O_COMPANY] > 0, o->company));
    failed |= json_object_set_new(out, "phone", phone);
    failed |= json_object_set_new(out, "country", str_or_null(o->country != NULL, o->country));
    failed |= json_object_set_new(out, "first_name", str_or_null(o->conf[O_FIRST] > 0, o->first));
    failed |= json_object_set_new(out, "last_name", str_or_null(o->conf[O_LAST] > 0, o->last));
    failed |= json_object_set_new(out, "seniority",
                                  str_or_null(o->conf[O_SENIORITY] > 0, o->title.seniority));
    failed |= json_object_set_new(out, "department",
                                  str_or_null(o->conf[O_DEPT] > 0, o->title.department));
    for (int i = 0; i < NOUT; i++) {
        if (o->conf[i] > 0)
            failed |= json_object_set_new(conf, out_names[i], json_real(o->conf[i]));
        else
            failed |= json_array_append_new(undet, json_string(out_names[i]));
    }
    failed |= json_object_set_new(out, "confidence", conf);
    conf = NULL;
    failed |= json_object_set_new(out, "undetermined", undet);
    undet = NULL;
    if (failed == 0)
        return out;
fail:
    json_decref(out);
    json_decref(conf);
    json_decref(undet);
    return NULL;
}

json_t *contact_enrich(const json_t *item, Error *err)
{
    Input in;
    Output o;
    json_t *out;

    if (!read_input(item, &in, err))
        return NULL;
    derive(&in, &o);
    out = write_output(item, &o);
    if (out == NULL)
        error_set(err, 500, "out_of_memory", "out of memory");
    return out;
}
