/* SPDX-License-Identifier: MIT */
/*
 * multipart.c splits a multipart/form-data body into its parts; see
 * multipart.h for the grammar it accepts.
 *
 * Wording: a "boundary line" is "--" boundary and what follows it up to
 * CRLF; a "delimiter" is CRLF "--" boundary, what ends a part's content.
 */
#include "multipart.h"

#include <string.h>
#include <strings.h>

/* The media type multipart_boundary accepts. */
static const char form_data_type[] = "multipart/form-data";

/* fail fills err with a 400 invalid_multipart and message; false. */
static bool fail(Error *err, const char *message)
{
    error_set(err, 400, "invalid_multipart", "%s", message);
    return false;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_crlf(const char *p, const char *end)
{
    return end - p >= 2 && p[0] == '\r' && p[1] == '\n';
}

/* is_tchar: a character of an HTTP token (RFC 9110, 5.6.2). */
static bool is_tchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* is_bchar: a character of a boundary (RFC 2046, 5.1.1). */
static bool is_bchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

/* is_text: a byte a header value may hold: not a control but HTAB. */
static bool is_text(char c)
{
    unsigned char u = (unsigned char)c;
    return u == '\t' || (u >= 0x20 && u != 0x7F);
}

/* is_unquoted: a character of a parameter value sent without quotes: a
 * token's, or one of the specials a boundary may use. */
static bool is_unquoted(char c)
{
    return c > 0x20 && c < 0x7F && c != '"' && c != ';' && c != '\\';
}

/* span_is says whether the n bytes at s are word, without case. */
static bool span_is(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

/* find returns the first occurrence of the n bytes of needle in [p, end),
 * or NULL. */
static const char *find(const char *p, const char *end, const char *needle, size_t n)
{
    while ((size_t)(end - p) >= n) {
        const char *c = memchr(p, needle[0], (size_t)(end - p) - n + 1);
        if (c == NULL)
            return NULL;
        if (memcmp(c, needle, n) == 0)
            return c;
        p = c + 1;
    }
    return NULL;
}

/* ---- parameters ---------------------------------------------------------- */

/* A parameter's value is at most a header line long. */
enum { VALUE_SIZE = MULTIPART_LINE_MAX + 1 };

/* ParamFn receives one parameter: its name (n bytes, not NUL-terminated)
 * and its value, unquoted and NUL-terminated (value_len bytes).  Returns
 * false with err to stop. */
typedef bool (*ParamFn)(void *ctx, const char *name, size_t n, const char *value, size_t value_len,
                        Error *err);

/* read_value reads the value at *p, a quoted-string or a run of unquoted
 * characters, into out[VALUE_SIZE] and moves *p past it.  Returns its
 * length, or -1 when it is malformed or too long. */
static long read_value(const char **p, const char *end, char out[VALUE_SIZE])
{
    const char *s = *p;
    size_t n = 0;

    if (s < end && *s == '"') {
        for (s++;; s++) {
            char c;
            if (s == end)
                return -1; /* no closing quote */
            if (*s == '"')
                break;
            if (!is_text(*s))
                return -1;
            c = *s;
            if (c == '\\' && end - s >= 2 && (s[1] == '"' || s[1] == '\\'))
                c = *++s;
            if (n + 1 >= VALUE_SIZE)
                return -1;
            out[n++] = c;
        }
        s++;
    } else {
        for (; s < end && is_unquoted(*s); s++) {
            if (n + 1 >= VALUE_SIZE)
                return -1;
            out[n++] = *s;
        }
        if (n == 0)
            return -1;
    }
    out[n] = '\0';
    *p = s;
    return (long)n;
}

/* read_params reads the parameters of a header value from p (just past
 * the media type or disposition type) to end and hands each to fn.
 * Empty parameters (";;") are skipped, as RFC 9110 (5.6.6) allows. */
static bool read_params(const char *p, const char *end, ParamFn fn, void *ctx, const char *what,
                        Error *err)
{
    char value[VALUE_SIZE];

    for (;;) {
        const char *name;
        size_t name_len;
        long len;

        while (p < end && is_ows(*p))
            p++;
        if (p == end)
            return true;
        if (*p != ';')
            break;
        for (p++; p < end && is_ows(*p); p++)
            ;
        if (p == end || *p == ';')
            continue;
        for (name = p; p < end && is_tchar(*p); p++)
            ;
        name_len = (size_t)(p - name);
        if (name_len == 0 || p == end || *p != '=')
            break;
        p++;
        len = read_value(&p, end, value);
        if (len < 0)
            break;
        if (!fn(ctx, name, name_len, value, (size_t)len, err))
            return false;
    }
    error_set(err, 400, "invalid_multipart", "malformed parameters in %s", what);
    return false;
}

/* ---- the boundary ---------------------------------------------------------- */

typedef struct BoundaryParam {
    char *out; /* MULTIPART_BOUNDARY_MAX + 1 bytes */
    bool found;
} BoundaryParam;

static bool boundary_param(void *ctx, const char *name, size_t n, const char *value,
                           size_t value_len, Error *err)
{
    BoundaryParam *b = ctx;

    if (!span_is(name, n, "boundary"))
        return true;
    if (b->found)
        return fail(err, "the Content-Type has two boundary parameters");
    if (value_len == 0 || value_len > MULTIPART_BOUNDARY_MAX || value[value_len - 1] == ' ')
        return fail(err, "the boundary must have 1 to 70 characters and not end in a space");
    for (size_t i = 0; i < value_len; i++) {
        if (!is_bchar(value[i]))
            return fail(err, "the boundary has a character RFC 2046 does not allow");
    }
    memcpy(b->out, value, value_len + 1);
    b->found = true;
    return true;
}

bool multipart_boundary(const char *content_type, char out[MULTIPART_BOUNDARY_MAX + 1], Error *err)
{
    const char *p = content_type, *end;
    size_t type_len = sizeof form_data_type - 1;
    BoundaryParam b = {out, false};

    if (p == NULL) {
        error_set(err, 415, "unsupported_media_type", "the body must be multipart/form-data");
        return false;
    }
    end = p + strlen(p);
    while (is_ows(*p))
        p++;
    if ((size_t)(end - p) < type_len || strncasecmp(p, form_data_type, type_len) != 0 ||
        (p[type_len] != '\0' && p[type_len] != ';' && !is_ows(p[type_len]))) {
        error_set(err, 415, "unsupported_media_type", "the body must be multipart/form-data");
        return false;
    }
    if (!read_params(p + type_len, end, boundary_param, &b, "the Content-Type", err))
        return false;
    if (!b.found)
        return fail(err, "the Content-Type has no boundary parameter");
    return true;
}

/* ---- part headers ------------------------------------------------------------ */

/* Which headers a part has sent. */
enum { SEEN_DISPOSITION = 1, SEEN_TYPE = 2, SEEN_ENCODING = 4 };

static bool disposition_param(void *ctx, const char *name, size_t n, const char *value,
                              size_t value_len, Error *err)
{
    MultipartPart *part = ctx;

    if (span_is(name, n, "name")) {
        if (part->name[0] != '\0')
            return fail(err, "a part's Content-Disposition has two name parameters");
        if (value_len == 0 || value_len >= MULTIPART_NAME_SIZE)
            return fail(err, "a part's name must have 1 to 63 bytes");
        memcpy(part->name, value, value_len + 1);
    } else if (span_is(name, n, "filename")) {
        if (part->has_filename)
            return fail(err, "a part's Content-Disposition has two filename parameters");
        if (value_len >= MULTIPART_FILENAME_SIZE)
            return fail(err, "a filename is longer than 255 bytes");
        memcpy(part->filename, value, value_len + 1);
        part->has_filename = true;
    }
    return true;
}

/* parse_disposition reads "form-data; name=...; filename=..." at
 * [p, end) into part. */
static bool parse_disposition(const char *p, const char *end, MultipartPart *part, Error *err)
{
    const char *type = p;

    while (p < end && is_tchar(*p))
        p++;
    if (!span_is(type, (size_t)(p - type), "form-data"))
        return fail(err, "a part's Content-Disposition is not form-data");
    if (!read_params(p, end, disposition_param, part, "a part's Content-Disposition", err))
        return false;
    if (part->name[0] == '\0')
        return fail(err, "a part's Content-Disposition has no name");
    return true;
}

/* parse_content_type keeps the part's Content-Type [p, end) after
 * checking that it starts with a type/subtype. */
static bool parse_content_type(const char *p, const char *end, MultipartPart *part, Error *err)
{
    const char *s = p, *subtype;
    size_t len = (size_t)(end - p);

    while (s < end && is_tchar(*s))
        s++;
    if (s == p || s == end || *s != '/')
        return fail(err, "a part's Content-Type is not a media type");
    for (subtype = ++s; s < end && is_tchar(*s); s++)
        ;
    if (s == subtype || (s < end && *s != ';' && !is_ows(*s)))
        return fail(err, "a part's Content-Type is not a media type");
    if (len >= MULTIPART_CONTENT_TYPE_SIZE)
        return fail(err, "a part's Content-Type is longer than 255 bytes");
    memcpy(part->content_type, p, len);
    part->content_type[len] = '\0';
    return true;
}

/* parse_encoding accepts the identity transfer encodings only. */
static bool parse_encoding(const char *p, const char *end, Error *err)
{
    size_t n = (size_t)(end - p);

    if (span_is(p, n, "binary") || span_is(p, n, "8bit") || span_is(p, n, "7bit"))
        return true;
    return fail(err, "a part's Content-Transfer-Encoding must be binary, 8bit or 7bit");
}

/* parse_header reads one header line of len bytes (CRLF excluded). */
static bool parse_header(const char *line, size_t len, MultipartPart *part, unsigned *seen,
                         Error *err)
{
    const char *end = line + len, *p = line, *value;
    unsigned bit;

    for (size_t i = 0; i < len; i++) {
        if (!is_text(line[i]))
            return fail(err, "a part header line has a control character");
    }
    while (p < end && is_tchar(*p))
        p++;
    if (p == line || p == end || *p != ':')
        return fail(err, "a part header line is not \"Name: value\"");
    for (value = p + 1; value < end && is_ows(*value); value++)
        ;
    while (end > value && is_ows(end[-1]))
        end--;
    if (span_is(line, (size_t)(p - line), "Content-Disposition"))
        bit = SEEN_DISPOSITION;
    else if (span_is(line, (size_t)(p - line), "Content-Type"))
        bit = SEEN_TYPE;
    else if (span_is(line, (size_t)(p - line), "Content-Transfer-Encoding"))
        bit = SEEN_ENCODING;
    else
        return true; /* RFC 7578, 4.8: other header fields are ignored */
    if (*seen & bit)
        return fail(err, "a part has the same header twice");
    *seen |= bit;
    switch (bit) {
        case SEEN_DISPOSITION:
            return parse_disposition(value, end, part, err);
        case SEEN_TYPE:
            return parse_content_type(value, end, part, err);
        default:
            return parse_encoding(value, end, err);
    }
}

/* ---- the body ------------------------------------------------------------------ */

/* parse_part reads the part that starts at p (just past its boundary
 * line) up to its delimiter [delim, dlen) into part, and sets *next past
 * that delimiter. */
static bool parse_part(const char *p, const char *end, const char *delim, size_t dlen,
                       MultipartPart *part, const char **next, Error *err)
{
    unsigned seen = 0, headers = 0;
    const char *found;

    memset(part, 0, sizeof *part);
    while (!is_crlf(p, end)) {
        size_t room = (size_t)(end - p);
        const char *cr =
            memchr(p, '\r', room < MULTIPART_LINE_MAX + 1 ? room : MULTIPART_LINE_MAX + 1);
        if (cr == NULL)
            return fail(err, room <= MULTIPART_LINE_MAX
                                 ? "the body ends inside a part's headers"
                                 : "a part header line is longer than 1024 bytes");
        if (!is_crlf(cr, end))
            return fail(err, "a part header line has a CR without LF");
        if (++headers > MULTIPART_MAX_HEADERS)
            return fail(err, "a part has more than 16 header lines");
        if (!parse_header(p, (size_t)(cr - p), part, &seen, err))
            return false;
        p = cr + 2;
    }
    if (!(seen & SEEN_DISPOSITION))
        return fail(err, "a part has no Content-Disposition");
    /* p is at a CRLF: the blank line before the content, or the
     * delimiter's own when the part has no content (RFC 2046's
     * body-part := headers [CRLF *OCTET]). */
    found = find(p, end, delim, dlen);
    if (found == NULL)
        return fail(err, "the body ends before the closing boundary");
    part->data = found == p ? p : p + 2;
    part->len = (size_t)(found - part->data);
    *next = found + dlen;
    return true;
}

/* after_close checks what follows a closing boundary line's "--": spaces
 * and tabs, then the end or CRLF and an epilogue. */
static bool after_close(const char *p, const char *end, Error *err)
{
    while (p < end && is_ows(*p))
        p++;
    if (p == end || is_crlf(p, end))
        return true;
    return fail(err, "the closing boundary line has other text after the boundary");
}

bool multipart_parse(const char *content_type, const char *body, size_t len, MultipartForm *form,
                     Error *err)
{
    char boundary[MULTIPART_BOUNDARY_MAX + 1], delim[4 + MULTIPART_BOUNDARY_MAX];
    const char *p, *end;
    size_t dlen;

    form->count = 0;
    if (!multipart_boundary(content_type, boundary, err))
        return false;
    dlen = 4 + strlen(boundary);
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, dlen - 4);
    if (body == NULL) {
        body = "";
        len = 0;
    }
    end = body + len;
    /* The first boundary line starts the body, or a line after a preamble. */
    if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
        p = body + dlen - 2;
    } else {
        p = find(body, end, delim, dlen);
        if (p == NULL)
            return fail(err, "the body has no boundary line");
        p += dlen;
    }
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return after_close(p + 2, end, err);
        while (p < end && is_ows(*p))
            p++;
        if (!is_crlf(p, end))
            return fail(err, "a boundary line has other text after the boundary");
        if (form->count == MULTIPART_MAX_PARTS)
            return fail(err, "the body has more than 16 parts");
        if (!parse_part(p + 2, end, delim, dlen, &form->parts[form->count], &p, err))
            return false;
        form->count++;
    }
}
