/* SPDX-License-Identifier: MIT */
/* handler_echo.h - the "echo" built-in handler (output = input). */
#ifndef PGJOB_HANDLER_ECHO_H
#define PGJOB_HANDLER_ECHO_H

#include "handler.h"

extern const Handler handler_echo;

#endif
