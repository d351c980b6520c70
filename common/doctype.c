/* SPDX-License-Identifier: MIT */
/*
 * doctype.c - a document's format from its first bytes (doctype.h).
 */
#include "doctype.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

/* How far into a file "%PDF-" may start: readers accept junk before the
 * header, and so do we, as far as this. */
enum { PDF_HEADER_WINDOW = 1024 };

/* starts_ci says whether s[len] starts with the lower-case word. */
static bool starts_ci(const unsigned char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && strncasecmp((const char *)s, word, n) == 0;
}

static bool looks_html(const unsigned char *s, size_t len)
{
    static const char *const openings[] = {"<!doctype html", "<html", "<head", "<body",
                                           "<title",         "<meta", "<h1",   "<p>"};

    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        s += 3;
        len -= 3;
    }
    for (;;) {
        while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
            s++;
            len--;
        }
        /* Comments and an XML declaration may come first. */
        if (starts_ci(s, len, "<!--") || starts_ci(s, len, "<?xml")) {
            const char *end = starts_ci(s, len, "<!--") ? "-->" : "?>";
            const unsigned char *p = s;
            size_t left = len;
            while (left >= strlen(end) && memcmp(p, end, strlen(end)) != 0) {
                p++;
                left--;
            }
            if (left < strlen(end))
                return false;
            len = left - strlen(end);
            s = p + strlen(end);
            continue;
        }
        break;
    }
    for (size_t i = 0; i < sizeof openings / sizeof openings[0]; i++)
        if (starts_ci(s, len, openings[i]))
            return true;
    return false;
}

/* looks_text: UTF-8 with no control character but tab, newline,
 * carriage return and form feed. */
static bool looks_text(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f') ||
            s[i] == 0x7f)
            return false;
    return utf8_valid_n((const char *)s, len);
}

DocType doc_detect(const unsigned char *bytes, size_t len)
{
    size_t window = len < PDF_HEADER_WINDOW ? len : PDF_HEADER_WINDOW;

    for (size_t i = 0; i + 5 <= window; i++)
        if (memcmp(bytes + i, "%PDF-", 5) == 0)
            return DOC_TYPE_PDF;
    if (looks_html(bytes, len))
        return DOC_TYPE_HTML;
    if (len > 0 && looks_text(bytes, len))
        return DOC_TYPE_TEXT;
    return DOC_TYPE_UNKNOWN;
}

const char *doc_type_name(DocType type)
{
    switch (type) {
        case DOC_TYPE_PDF:
            return "pdf";
        case DOC_TYPE_HTML:
            return "html";
        case DOC_TYPE_TEXT:
            return "text";
        default:
            return "unknown";
    }
}

const char *doc_job_model(const char *type)
{
    if (strcmp(type, "extract") == 0)
        return DOC_MODEL_EXTRACT;
    if (strcmp(type, "invoice") == 0)
        return DOC_MODEL_INVOICE;
    return NULL;
}

const char *doc_media_type(DocType type)
{
    switch (type) {
        case DOC_TYPE_PDF:
            return "application/pdf";
        case DOC_TYPE_HTML:
            return "text/html";
        case DOC_TYPE_TEXT:
            return "text/plain";
        default:
            return "application/octet-stream";
    }
}
