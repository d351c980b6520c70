/* SPDX-License-Identifier: MIT */
/* contact_freemail.h - the mail domains of webmail providers and consumer ISPs. */
#ifndef PGJOB_CONTACT_FREEMAIL_H
#define PGJOB_CONTACT_FREEMAIL_H

#include <stdbool.h>
#include <stddef.h>

/* contact_freemail_is says whether domain (lower case, no trailing dot)
 * gives mailboxes to the public rather than to one organization: a
 * webmail provider (gmail.com), a consumer ISP or telco (eircom.net,
 * chello.at, sapo.pt), a host under one of them ("ms12.hinet.net",
 * "nc.rr.com"), or a global webmail brand under a country suffix
 * ("yahoo.com.hk", "hotmail.be", "outlook.com.ar").  domain may be NULL. */
bool contact_freemail_is(const char *domain);

/* The shipped table, for the unit tests: its size and its i-th domain. */
size_t contact_freemail_count(void);
const char *contact_freemail_at(size_t i);

#endif
