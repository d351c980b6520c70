/* SPDX-License-Identifier: MIT */
/* cursor.c encodes and strictly decodes the paging cursor of GET /v1/jobs. */
#include "cursor.h"

#include <stdio.h>
#include <string.h>

#include "timestamp.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The payload: version, created_at, id, two commas, a NUL. */
enum { PAYLOAD_SIZE = 2 + CURSOR_CREATED_AT_SIZE + UUID_TEXT_SIZE };

/* b64_value returns the 6-bit value of base64url character c, or -1. */
static int b64_value(char c)
{
    const char *p = c != '\0' ? strchr(alphabet, c) : NULL;
    return p != NULL ? (int)(p - alphabet) : -1;
}

/* b64_encode writes the len bytes of in as base64url without padding,
 * and a NUL, to out, which must hold (len * 4 + 2) / 3 + 1 bytes. */
static void b64_encode(const unsigned char *in, size_t len, char *out)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i += 3) {
        unsigned long group = (unsigned long)in[i] << 16;
        size_t chars = len - i >= 3 ? 4 : len - i + 1;
        if (i + 1 < len)
            group |= (unsigned long)in[i + 1] << 8;
        if (i + 2 < len)
            group |= in[i + 2];
        for (size_t k = 0; k < chars; k++)
            out[n++] = alphabet[(group >> (18 - 6 * k)) & 0x3f];
    }
    out[n] = '\0';
}

/* b64_decode decodes text into out[size] (plus a NUL); false when text is
 * not canonical base64url without padding or does not fit. */
static bool b64_decode(const char *text, unsigned char *out, size_t size, size_t *len)
{
    size_t text_len = strlen(text), n = 0;
    unsigned long group = 0;
    int bits = 0;

    if (text_len % 4 == 1 || text_len * 3 / 4 >= size)
        return false;
    for (size_t i = 0; i < text_len; i++) {
        int v = b64_value(text[i]);
        if (v < 0)
            return false;
        group = (group << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(group >> bits);
            group &= (1UL << bits) - 1;
        }
    }
    /* The bits left over must be zero, so one cursor has one spelling. */
    if (group != 0)
        return false;
    out[n] = '\0';
    *len = n;
    return true;
}

bool cursor_encode(const char *created_at, const char *id, char *out, size_t size)
{
    char payload[PAYLOAD_SIZE];
    char norm_id[UUID_TEXT_SIZE];
    char encoded[CURSOR_TEXT_SIZE];
    int n;

    if (created_at == NULL || id == NULL || strlen(created_at) >= CURSOR_CREATED_AT_SIZE ||
        !timestamp_valid_pg(created_at) || !uuid_normalize(id, strlen(id), norm_id))
        return false;
    n = snprintf(payload, sizeof payload, "1,%s,%s", created_at, norm_id);
    if (n < 0 || (size_t)n >= sizeof payload)
        return false;
    b64_encode((const unsigned char *)payload, (size_t)n, encoded);
    if (strlen(encoded) >= size)
        return false;
    memcpy(out, encoded, strlen(encoded) + 1);
    return true;
}

/* parse_payload splits "1,<created_at>,<id>" into out. */
static bool parse_payload(const char *payload, Cursor *out)
{
    const char *created_at, *id;
    size_t created_len;
    char stamp[CURSOR_CREATED_AT_SIZE];

    if (strncmp(payload, "1,", 2) != 0)
        return false;
    created_at = payload + 2;
    id = strchr(created_at, ',');
    if (id == NULL)
        return false;
    created_len = (size_t)(id - created_at);
    id++;
    if (created_len >= sizeof stamp)
        return false;
    memcpy(stamp, created_at, created_len);
    stamp[created_len] = '\0';
    /* cursor_encode writes the id in lower case; another case is not its. */
    if (!timestamp_valid_pg(stamp) || !uuid_normalize(id, strlen(id), out->id) ||
        strcmp(id, out->id) != 0)
        return false;
    memcpy(out->created_at, stamp, created_len + 1);
    return true;
}

bool cursor_decode(const char *text, Cursor *out, Error *err)
{
    unsigned char payload[PAYLOAD_SIZE];
    size_t len = 0;
    Cursor c;

    if (text == NULL || strlen(text) >= CURSOR_TEXT_SIZE ||
        !b64_decode(text, payload, sizeof payload, &len) || memchr(payload, '\0', len) != NULL ||
        !parse_payload((const char *)payload, &c)) {
        error_set(err, 400, "invalid_cursor",
                  "the cursor is not one this server issued; start again without it");
        return false;
    }
    *out = c;
    return true;
}
