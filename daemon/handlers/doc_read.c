/* SPDX-License-Identifier: MIT */
/*
 * doc_read.c - doc_read, the entry point of the document readers (see
 * doc_text.h): the format from the first bytes, the limits, the reader of
 * plain text, and handing PDF and HTML to doc_pdf.c and doc_html.c.  It
 * sits above them and doc_text.c (which builds what they read into).
 */
#include "doc_build.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

/* ---- plain text -------------------------------------------------------- */

/* read_text: a form feed starts a page, a newline a line, a blank line a
 * block. */
static bool read_text(const unsigned char *bytes, size_t len, const DocLimits *limits, DocText *doc,
                      Error *err)
{
    const char *s = (const char *)bytes, *end = s + len;
    DocPage *page = NULL;
    int block = 0;
    bool blank = true;

    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        s += 3;
    doc->plain_len = (size_t)(end - s);
    if ((doc->plain = malloc(doc->plain_len + 1)) == NULL)
        goto oom;
    memcpy(doc->plain, s, doc->plain_len);
    doc->plain[doc->plain_len] = '\0';
    while (s <= end) {
        /* A form feed that ends the text starts no page. */
        if (page == NULL && s == end && doc->npages > 0)
            break;
        if (page == NULL) {
            if (limits != NULL && limits->max_pages > 0 &&
                doc->npages >= (size_t)limits->max_pages) {
                error_set(err, DOC_ERROR_STATUS, DOC_ERR_TOO_MANY_PAGES,
                          "the document has more than %d pages", limits->max_pages);
                return false;
            }
            if ((page = doc_add_page(doc, 0, 0)) == NULL)
                goto oom;
            block = 0;
            blank = true;
        }
        const char *eol = s;
        while (eol < end && *eol != '\n' && *eol != '\f')
            eol++;
        size_t n = (size_t)(eol - s);
        if (n > 0 && s[n - 1] == '\r')
            n--;
        size_t k = 0;
        while (k < n && (s[k] == ' ' || s[k] == '\t'))
            k++;
        if (k == n) {
            if (!blank)
                block++;
            blank = true;
        } else {
            DocLine *line = doc_add_line(page, DOC_LINE_TEXT, 0, block);
            if (line == NULL || !doc_add_span(line, s, n, (DocBox){0, 0, 0, 0}, 0, false))
                goto oom;
            blank = false;
        }
        if (eol < end && *eol == '\f')
            page = NULL;
        s = eol + 1;
    }
    return true;
oom:
    error_set(err, 500, "out_of_memory", "out of memory");
    return false;
}

/* ---- the entry point --------------------------------------------------- */

void doc_init(void)
{
    doc_html_init();
}

bool doc_read(const unsigned char *bytes, size_t len, const DocLimits *limits, DocText *out,
              Error *err)
{
    DocType type = doc_detect(bytes, len);
    bool ok = false;

    memset(out, 0, sizeof *out);
    if (limits != NULL && limits->max_bytes > 0 && len > limits->max_bytes) {
        error_set(err, 413, DOC_ERR_TOO_LARGE,
                  "the document has %zu bytes; at most %zu are accepted", len, limits->max_bytes);
        return false;
    }
    out->type = type;
    switch (type) {
        case DOC_TYPE_PDF:
            ok = doc_read_pdf(bytes, len, limits, out, err);
            break;
        case DOC_TYPE_HTML:
            ok = doc_read_html(bytes, len, limits, out, err);
            break;
        case DOC_TYPE_TEXT:
            ok = read_text(bytes, len, limits, out, err);
            break;
        default:
            error_set(err, DOC_ERROR_STATUS, DOC_ERR_UNSUPPORTED,
                      "the document is not PDF, HTML or UTF-8 text");
            return false;
    }
    if (ok && !doc_finish(out)) {
        error_set(err, 500, "out_of_memory", "out of memory");
        ok = false;
    }
    if (ok && out->nchars == 0) {
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_NO_TEXT, DOC_NO_TEXT_MESSAGE);
        ok = false;
    }
    if (!ok)
        doc_free(out);
    return ok;
}
