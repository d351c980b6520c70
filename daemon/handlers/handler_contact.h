/* SPDX-License-Identifier: MIT */
/* handler_contact.h - the "contact" built-in handler (records normalized and enriched). */
#ifndef PGJOB_HANDLER_CONTACT_H
#define PGJOB_HANDLER_CONTACT_H

#include "handler.h"

extern const Handler handler_contact;

#endif
