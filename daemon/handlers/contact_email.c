/* SPDX-License-Identifier: MIT */
/* contact_email.c - e-mail syntax, free-mail (contact_freemail.c), role and disposable classes. */
#include "contact_email.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "contact_freemail.h"

/* Throw-away address services. */
static const char *const disposable_domains[] = {
    "mailinator.com",    "guerrillamail.com",
    "guerrillamail.net", "guerrillamailblock.com",
    "sharklasers.com",   "grr.la",
    "10minutemail.com",  "20minutemail.com",
    "tempmail.com",      "temp-mail.org",
    "tempmail.net",      "tempail.com",
    "yopmail.com",       "yopmail.fr",
    "yopmail.net",       "trashmail.com",
    "trash-mail.com",    "getnada.com",
    "dispostable.com",   "maildrop.cc",
    "throwawaymail.com", "fakeinbox.com",
    "mailnesia.com",     "mintemail.com",
    "spamgourmet.com",   "mohmal.com",
    "emailondeck.com",   "tempr.email",
    "discard.email",     "mytemp.email",
    "tempinbox.com",     "33mail.com",
    "burnermail.io",     "spam4.me",
    "mailcatch.com",     "jetable.org",
    "mailnull.com",      "emailfake.com",
    "moakt.com",         "inboxkitten.com",
    "mail.tm",           "getairmail.com",
    "fakemail.net",      "mailpoof.com",
};

/* Local parts of role accounts (a mailbox of a function, not a person). */
static const char *const role_locals[] = {
    "info",       "sales",        "support",      "admin",        "administrator",
    "contact",    "contactus",    "hello",        "hi",           "office",
    "help",       "helpdesk",     "billing",      "accounts",     "accounting",
    "invoices",   "invoice",      "marketing",    "hr",           "jobs",
    "careers",    "recruiting",   "press",        "media",        "pr",
    "noreply",    "no-reply",     "donotreply",   "do-not-reply", "webmaster",
    "postmaster", "hostmaster",   "abuse",        "team",         "enquiries",
    "enquiry",    "inquiries",    "inquiry",      "service",      "customerservice",
    "legal",      "finance",      "privacy",      "security",     "orders",
    "reception",  "partners",     "newsletter",   "feedback",     "ops",
    "it",         "investors",    "ir",           "mail",         "general",
    "bookings",   "reservations", "customercare", "care",         "compliance",
    "purchasing", "procurement",  "payments",     "events",       "studio",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool listed(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* local_ok checks a dot-atom local part (RFC 5322, no quoted strings). */
static bool local_ok(const char *s, size_t len)
{
    if (len == 0 || len > 64 || s[0] == '.' || s[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.' && s[i + 1] == '.')
            return false;
        if (!isalnum(c) && strchr(".!#$%&'*+/=?^_`{|}~-", c) == NULL)
            return false;
    }
    return true;
}

/* domain_ok checks a host name of two labels or more, the last alphabetic. */
static bool domain_ok(const char *s)
{
    size_t len = strlen(s), label = 0, labels = 1;
    const char *tld = strrchr(s, '.');

    if (len == 0 || len > 253 || tld == NULL || strlen(tld + 1) < 2)
        return false;
    for (const char *t = tld + 1; *t != '\0'; t++)
        if (!isalpha((unsigned char)*t))
            return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
            labels++;
        } else if (isalnum(c) || (c == '-' && label > 0)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0 && labels >= 2;
}

bool contact_email_parse(const char *raw, ContactEmail *out)
{
    const char *start = raw, *end, *lt, *at;
    size_t len, k = 0;

    memset(out, 0, sizeof(*out));
    out->domain = "";
    if (raw == NULL)
        return false;
    /* "Jane Doe <jane@x.io>": the part in angle brackets. */
    if ((lt = strchr(raw, '<')) != NULL && strchr(lt, '>') != NULL) {
        start = lt + 1;
        end = strchr(lt, '>');
    } else {
        end = raw + strlen(raw);
    }
    while (start < end && (isspace((unsigned char)*start) || *start == '"'))
        start++;
    while (end > start && (isspace((unsigned char)end[-1]) || end[-1] == '"' || end[-1] == '.' ||
                           end[-1] == ',' || end[-1] == ';'))
        end--;
    if ((size_t)(end - start) > 7 && strncasecmp(start, "mailto:", 7) == 0)
        start += 7;
    len = (size_t)(end - start);
    if (len == 0 || len >= sizeof out->address)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)start[i];
        out->address[k++] = (char)tolower(c);
    }
    out->address[k] = '\0';
    at = strchr(out->address, '@');
    if (at == NULL)
        return true;
    out->domain = at + 1;
    out->valid = strchr(at + 1, '@') == NULL &&
                 local_ok(out->address, (size_t)(at - out->address)) && domain_ok(at + 1);
    if (!out->valid)
        return true;
    out->free_mail = contact_freemail_is(out->domain);
    out->disposable = listed(disposable_domains, NELEM(disposable_domains), out->domain);
    {
        char local[65];
        size_t n = (size_t)(at - out->address);
        const char *plus = memchr(out->address, '+', n);
        if (plus != NULL)
            n = (size_t)(plus - out->address);
        memcpy(local, out->address, n);
        local[n] = '\0';
        out->role = listed(role_locals, NELEM(role_locals), local);
    }
    return true;
}

/* alpha_part copies the letters of [s, s+n) to out when all are letters
 * and there are at least two. */
static bool alpha_part(const char *s, size_t n, char *out, size_t size)
{
    if (n < 2 || n >= size)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isalpha((unsigned char)s[i]))
            return false;
        out[i] = s[i];
    }
    out[n] = '\0';
    return true;
}

bool contact_email_person(const ContactEmail *e, char *first, size_t first_size, char *last,
                          size_t last_size)
{
    const char *at, *sep;

    if (!e->valid || e->role)
        return false;
    at = strchr(e->address, '@');
    sep = strpbrk(e->address, "._");
    if (at == NULL || sep == NULL || sep > at || memchr(sep + 1, '.', (size_t)(at - sep - 1)) ||
        memchr(sep + 1, '_', (size_t)(at - sep - 1)))
        return false;
    return alpha_part(e->address, (size_t)(sep - e->address), first, first_size) &&
           alpha_part(sep + 1, (size_t)(at - sep - 1), last, last_size);
}
