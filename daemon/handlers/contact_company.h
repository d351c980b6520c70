/* SPDX-License-Identifier: MIT */
/* contact_company.h - a company's domain from a website or e-mail, and its name. */
#ifndef PGJOB_CONTACT_COMPANY_H
#define PGJOB_CONTACT_COMPANY_H

#include <stdbool.h>
#include <stddef.h>

/* contact_domain_normalize writes into out (size n) the registrable domain
 * of text, a URL, host or bare domain ("https://www.Acme.co.uk/about" ->
 * "acme.co.uk", "shop.acme.com" -> "acme.com").  Returns false when text
 * holds no plausible domain (no dot, bad characters, too long). */
bool contact_domain_normalize(const char *text, char *out, size_t n)
    __attribute__((warn_unused_result));

/* contact_company_name writes into out (size n) the name of the company
 * at domain (a registrable domain): from the shipped table of well-known
 * companies (then *known is true), else derived from the domain's first
 * label ("acme-robotics.com" -> "Acme Robotics").  Returns false when no
 * name can be made. */
bool contact_company_name(const char *domain, char *out, size_t n, bool *known)
    __attribute__((warn_unused_result));

/* contact_company_clean writes into out (size n) a company name as given,
 * trimmed and with runs of spaces made one.  Returns false when nothing is
 * left. */
bool contact_company_clean(const char *text, char *out, size_t n)
    __attribute__((warn_unused_result));

#endif
