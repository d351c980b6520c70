/* SPDX-License-Identifier: MIT */
/* enrich_fields.c parses and checks an enrich item's amount, currency and date. */
#include "enrich_fields.h"

#include <stdio.h>
#include <string.h>

#include "strnum.h"

/* ---- amount -------------------------------------------------------------- */

/* The longest decimal string read as an amount: more digits than a double
 * holds mean a mistake, not a movement of money. */
enum { AMOUNT_TEXT_MAX = 32 };

bool enrich_amount_parse(const char *s, size_t len, double *out)
{
    char buf[AMOUNT_TEXT_MAX + 1];
    size_t i = 0, digits = 0, fraction = 0;

    if (len == 0 || len > AMOUNT_TEXT_MAX)
        return false;
    if (s[0] == '-' || s[0] == '+')
        i++;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            fraction++;
        if (fraction == 0)
            return false; /* "12." */
    }
    /* The shape checked here (no exponent, no "inf", "nan" or hex) leaves
     * strtod nothing to read differently, as long as the decimal point is
     * '.': neither program calls setlocale, so LC_NUMERIC stays "C". */
    if (i != len || digits == 0)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return strnum_double(buf, -ENRICH_AMOUNT_MAX, ENRICH_AMOUNT_MAX, out);
}

/* ---- currency ------------------------------------------------------------ */

typedef struct Currency {
    char code[4];
    char country[3]; /* the issuing country, "" for a currency of several */
} Currency;

/* The active currencies of ISO 4217, sorted by code for the binary search;
 * without fund codes (BOV, CLF, USN, ...), precious metals (XAU, ...),
 * the testing code XTS and XXX (no currency), which no purchase is made in.
 * The country is the issuer's, a weak hint of where a merchant is: the
 * currency an account is kept in often differs from the merchant's. */
static const Currency currencies[] = {
    {"AED", "AE"}, {"AFN", "AF"}, {"ALL", "AL"}, {"AMD", "AM"}, {"ANG", ""},   {"AOA", "AO"},
    {"ARS", "AR"}, {"AUD", "AU"}, {"AWG", "AW"}, {"AZN", "AZ"}, {"BAM", "BA"}, {"BBD", "BB"},
    {"BDT", "BD"}, {"BGN", "BG"}, {"BHD", "BH"}, {"BIF", "BI"}, {"BMD", "BM"}, {"BND", "BN"},
    {"BOB", "BO"}, {"BRL", "BR"}, {"BSD", "BS"}, {"BTN", "BT"}, {"BWP", "BW"}, {"BYN", "BY"},
    {"BZD", "BZ"}, {"CAD", "CA"}, {"CDF", "CD"}, {"CHF", "CH"}, {"CLP", "CL"}, {"CNY", "CN"},
    {"COP", "CO"}, {"CRC", "CR"}, {"CUP", "CU"}, {"CVE", "CV"}, {"CZK", "CZ"}, {"DJF", "DJ"},
    {"DKK", "DK"}, {"DOP", "DO"}, {"DZD", "DZ"}, {"EGP", "EG"}, {"ERN", "ER"}, {"ETB", "ET"},
    {"EUR", ""},   {"FJD", "FJ"}, {"FKP", "FK"}, {"GBP", "GB"}, {"GEL", "GE"}, {"GHS", "GH"},
    {"GIP", "GI"}, {"GMD", "GM"}, {"GNF", "GN"}, {"GTQ", "GT"}, {"GYD", "GY"}, {"HKD", "HK"},
    {"HNL", "HN"}, {"HTG", "HT"}, {"HUF", "HU"}, {"IDR", "ID"}, {"ILS", "IL"}, {"INR", "IN"},
    {"IQD", "IQ"}, {"IRR", "IR"}, {"ISK", "IS"}, {"JMD", "JM"}, {"JOD", "JO"}, {"JPY", "JP"},
    {"KES", "KE"}, {"KGS", "KG"}, {"KHR", "KH"}, {"KMF", "KM"}, {"KPW", "KP"}, {"KRW", "KR"},
    {"KWD", "KW"}, {"KYD", "KY"}, {"KZT", "KZ"}, {"LAK", "LA"}, {"LBP", "LB"}, {"LKR", "LK"},
    {"LRD", "LR"}, {"LSL", "LS"}, {"LYD", "LY"}, {"MAD", "MA"}, {"MDL", "MD"}, {"MGA", "MG"},
    {"MKD", "MK"}, {"MMK", "MM"}, {"MNT", "MN"}, {"MOP", "MO"}, {"MRU", "MR"}, {"MUR", "MU"},
    {"MVR", "MV"}, {"MWK", "MW"}, {"MXN", "MX"}, {"MYR", "MY"}, {"MZN", "MZ"}, {"NAD", "NA"},
    {"NGN", "NG"}, {"NIO", "NI"}, {"NOK", "NO"}, {"NPR", "NP"}, {"NZD", "NZ"}, {"OMR", "OM"},
    {"PAB", "PA"}, {"PEN", "PE"}, {"PGK", "PG"}, {"PHP", "PH"}, {"PKR", "PK"}, {"PLN", "PL"},
    {"PYG", "PY"}, {"QAR", "QA"}, {"RON", "RO"}, {"RSD", "RS"}, {"RUB", "RU"}, {"RWF", "RW"},
    {"SAR", "SA"}, {"SBD", "SB"}, {"SCR", "SC"}, {"SDG", "SD"}, {"SEK", "SE"}, {"SGD", "SG"},
    {"SHP", "SH"}, {"SLE", "SL"}, {"SOS", "SO"}, {"SRD", "SR"}, {"SSP", "SS"}, {"STN", "ST"},
    {"SVC", "SV"}, {"SYP", "SY"}, {"SZL", "SZ"}, {"THB", "TH"}, {"TJS", "TJ"}, {"TMT", "TM"},
    {"TND", "TN"}, {"TOP", "TO"}, {"TRY", "TR"}, {"TTD", "TT"}, {"TWD", "TW"}, {"TZS", "TZ"},
    {"UAH", "UA"}, {"UGX", "UG"}, {"USD", "US"}, {"UYU", "UY"}, {"UZS", "UZ"}, {"VED", "VE"},
    {"VES", "VE"}, {"VND", "VN"}, {"VUV", "VU"}, {"WST", "WS"}, {"XAF", ""},   {"XCD", ""},
    {"XCG", ""},   {"XOF", ""},   {"XPF", ""},   {"YER", "YE"}, {"ZAR", "ZA"}, {"ZMW", "ZM"},
    {"ZWG", "ZW"},
};

static const Currency *currency_find(const char *code)
{
    size_t lo = 0, hi = sizeof(currencies) / sizeof(currencies[0]);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(code, currencies[mid].code);
        if (c == 0)
            return &currencies[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

bool enrich_currency_parse(const char *s, size_t len, char out[4])
{
    char code[4];

    if (len != 3)
        return false;
    for (size_t i = 0; i < 3; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return false;
        code[i] = c;
    }
    code[3] = '\0';
    if (currency_find(code) == NULL)
        return false;
    memcpy(out, code, 4);
    return true;
}

const char *enrich_currency_country(const char *code)
{
    const Currency *c = code != NULL ? currency_find(code) : NULL;

    return c != NULL ? c->country : NULL;
}

/* ---- date ---------------------------------------------------------------- */

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

bool enrich_date_valid(int y, int m, int d)
{
    return y >= 1900 && y <= 2199 && m >= 1 && m <= 12 && d >= 1 && d <= month_days(y, m);
}

long enrich_date_days(const EnrichDate *d)
{
    /* Days from civil (proleptic Gregorian), counting years from March so
     * that the leap day ends a year. */
    long y = d->year - (d->month <= 2);
    long era = y / 400; /* y >= 1899: no negative division */
    long yoe = y - era * 400;
    long mp = (d->month + 9) % 12;
    long doy = (153 * mp + 2) / 5 + d->day - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* digits reads n decimal digits at s[*i] into *v and advances *i. */
static bool digits(const char *s, size_t len, size_t *i, size_t n, int *v)
{
    *v = 0;
    if (*i + n > len)
        return false;
    for (size_t k = 0; k < n; k++) {
        char c = s[*i + k];
        if (c < '0' || c > '9')
            return false;
        *v = *v * 10 + (c - '0');
    }
    *i += n;
    return true;
}

static bool expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return false;
    (*i)++;
    return true;
}

/* time_part checks "HH:MM[:SS[.f]][Z|+HH:MM|-HH:MM]" from s[*i] to the end. */
static bool time_part(const char *s, size_t len, size_t i)
{
    int hh, mm, ss, oh, om;

    if (!digits(s, len, &i, 2, &hh) || !expect(s, len, &i, ':') || !digits(s, len, &i, 2, &mm) ||
        hh > 23 || mm > 59)
        return false;
    if (i < len && s[i] == ':') {
        i++;
        if (!digits(s, len, &i, 2, &ss) || ss > 60) /* 60: a leap second */
            return false;
        if (i < len && (s[i] == '.' || s[i] == ',')) {
            size_t from = ++i;
            while (i < len && s[i] >= '0' && s[i] <= '9')
                i++;
            if (i == from || i - from > 9)
                return false;
        }
    }
    if (i == len)
        return true; /* local time */
    if (s[i] == 'Z' || s[i] == 'z')
        return i + 1 == len;
    if (s[i] != '+' && s[i] != '-')
        return false;
    i++;
    return digits(s, len, &i, 2, &oh) && expect(s, len, &i, ':') && digits(s, len, &i, 2, &om) &&
           i == len && oh <= 23 && om <= 59;
}

bool enrich_date_parse(const char *s, size_t len, EnrichDate *d)
{
    size_t i = 0;
    EnrichDate v;

    if (!digits(s, len, &i, 4, &v.year) || !expect(s, len, &i, '-') ||
        !digits(s, len, &i, 2, &v.month) || !expect(s, len, &i, '-') ||
        !digits(s, len, &i, 2, &v.day) || !enrich_date_valid(v.year, v.month, v.day))
        return false;
    if (i < len) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
            return false;
        if (!time_part(s, len, i + 1))
            return false;
    }
    *d = v;
    return true;
}

/* ---- an item's fields ---------------------------------------------------- */

/* read_mcc reads an MCC (a 4-digit string or an integer 0..9999) into
 * out; false when malformed.  A whole number may come as a JSON real (the
 * front end decodes every number as one). */
static bool read_mcc(const json_t *mcc, char out[5])
{
    if (json_is_number(mcc)) {
        double v = json_number_value(mcc);
        if (!(v >= 0 && v <= 9999) || v != (double)(int)v)
            return false;
        snprintf(out, 5, "%04d", (int)v);
        return true;
    }
    if (json_is_string(mcc) && json_string_length(mcc) == 4 &&
        strspn(json_string_value(mcc), "0123456789") == 4) {
        memcpy(out, json_string_value(mcc), 5);
        return true;
    }
    return false;
}

const char *enrich_fields_read(const json_t *item, EnrichFields *f)
{
    const json_t *mcc = json_object_get(item, "mcc");
    const json_t *amount = json_object_get(item, "amount");
    const json_t *currency = json_object_get(item, "currency");
    const json_t *date = json_object_get(item, "date");

    memset(f, 0, sizeof(*f));
    if (mcc != NULL && !json_is_null(mcc) && !read_mcc(mcc, f->mcc))
        return "mcc must be 4 digits, as a string (\"5812\") or an integer";
    if (amount != NULL && !json_is_null(amount)) {
        if (json_is_number(amount)) {
            /* jansson holds no NaN or infinity; the test is written
             * so that one would fail it all the same */
            double v = json_number_value(amount);
            if (!(v >= -ENRICH_AMOUNT_MAX && v <= ENRICH_AMOUNT_MAX))
                return "amount must be a number between -1e12 and 1e12";
            f->amount = v;
        } else if (!json_is_string(amount) ||
                   !enrich_amount_parse(json_string_value(amount), json_string_length(amount),
                                        &f->amount)) {
            return "amount must be a number or a decimal string such as \"-12.50\" (between -1e12 "
                   "and 1e12)";
        }
        f->has_amount = true;
        if (f->amount == 0)
            f->amount = 0; /* no "-0" in the output */
    }
    if (currency != NULL && !json_is_null(currency)) {
        if (!json_is_string(currency) ||
            !enrich_currency_parse(json_string_value(currency), json_string_length(currency),
                                   f->currency))
            return "currency must be the ISO 4217 code of an active currency such as \"USD\"";
    }
    if (date != NULL && !json_is_null(date)) {
        if (!json_is_string(date) ||
            !enrich_date_parse(json_string_value(date), json_string_length(date), &f->date))
            return "date must be a real ISO 8601 date (YYYY-MM-DD, years 1900 to 2199) or "
                   "date-time (YYYY-MM-DDTHH:MM:SSZ)";
        f->has_date = true;
        snprintf(f->date_text, sizeof(f->date_text), "%04d-%02d-%02d", f->date.year, f->date.month,
                 f->date.day);
    }
    return NULL;
}
