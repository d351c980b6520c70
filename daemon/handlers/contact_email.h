/* SPDX-License-Identifier: MIT */
/* contact_email.h - an e-mail address normalized, checked and classified. */
#ifndef PGJOB_CONTACT_EMAIL_H
#define PGJOB_CONTACT_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

/* Size of an address (RFC 5321: 254 characters) with its NUL. */
enum { CONTACT_EMAIL_SIZE = 256 };

/* ContactEmail is one address and what is known about it. */
typedef struct ContactEmail {
    char address[CONTACT_EMAIL_SIZE]; /* normalized: trimmed, lower case, no "mailto:" */
    const char *domain;               /* into address, after '@'; "" when there is none */
    bool valid;                       /* the syntax is that of a deliverable address */
    bool free_mail;                   /* a free-mail provider's domain (gmail.com...) */
    bool role;                        /* a role account, not a person (info@, sales@...) */
    bool disposable;                  /* a throw-away address service (mailinator.com...) */
} ContactEmail;

/* contact_email_parse normalizes raw ("  <John.Doe@ACME.com> ",
 * "mailto:x@y.org", "Jane <jane@x.io>") into out and classifies it.
 * Returns false when raw holds nothing that looks like an address at all
 * (empty, too long); an address with a bad syntax gives true with
 * out->valid false. */
bool contact_email_parse(const char *raw, ContactEmail *out) __attribute__((warn_unused_result));

/* contact_email_person guesses a person's first and last name, in lower
 * case, from the local part of a personal address ("jane.doe",
 * "jane_doe"): both are written when it finds two alphabetic parts of at
 * least two letters each; returns whether it did. */
bool contact_email_person(const ContactEmail *e, char *first, size_t first_size, char *last,
                          size_t last_size);

#endif
