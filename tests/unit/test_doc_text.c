/* SPDX-License-Identifier: MIT */
/*
 * test_doc_text.c tests the document readers (daemon/handlers/doc_*.c):
 * detection from the bytes, plain text, HTML, and a small PDF written
 * here as text (the integration tests read PDFs made by groff).
 */
#include <stdio.h>
#include <string.h>

#include "doc_text.h"
#include "suites.h"

static bool read_str(const char *s, const DocLimits *limits, DocText *d, Error *err)
{
    error_clear(err);
    return doc_read((const unsigned char *)s, strlen(s), limits, d, err);
}

static void detect(void)
{
    CHECK_INT(doc_detect((const unsigned char *)"%PDF-1.4\n", 9), DOC_TYPE_PDF);
    CHECK_INT(doc_detect((const unsigned char *)"junk\n%PDF-1.7", 13), DOC_TYPE_PDF);
    CHECK_INT(doc_detect((const unsigned char *)"  <!DOCTYPE html><p>x", 21), DOC_TYPE_HTML);
    CHECK_INT(doc_detect((const unsigned char *)"<!-- c --><HTML>", 16), DOC_TYPE_HTML);
    CHECK_INT(doc_detect((const unsigned char *)"hello <b>", 9), DOC_TYPE_TEXT);
    CHECK_INT(doc_detect((const unsigned char *)"caf\xc3\xa9\n", 6), DOC_TYPE_TEXT);
    CHECK_INT(doc_detect((const unsigned char *)"\x89PNG\r\n\x1a\n", 8), DOC_TYPE_UNKNOWN);
    CHECK_INT(doc_detect((const unsigned char *)"PK\x03\x04", 4), DOC_TYPE_UNKNOWN);
    CHECK_INT(doc_detect((const unsigned char *)"caf\xe9", 4), DOC_TYPE_UNKNOWN);
    CHECK_INT(doc_detect((const unsigned char *)"", 0), DOC_TYPE_UNKNOWN);
    CHECK_STR(doc_media_type(DOC_TYPE_PDF), "application/pdf");
    CHECK_STR(doc_type_name(DOC_TYPE_HTML), "html");
}

static void plain_text(void)
{
    DocText d;
    Error err;

    REQUIRE(read_str("Title line\n\n  first  para\r\nsecond\fpage two\n", NULL, &d, &err));
    CHECK_INT(d.type, DOC_TYPE_TEXT);
    CHECK(!d.has_layout);
    REQUIRE(d.npages == 2);
    REQUIRE(d.pages[0].nlines == 3);
    CHECK_STR(d.pages[0].lines[1].text, "first para");
    CHECK_INT(d.pages[0].lines[0].block, 0);
    CHECK_INT(d.pages[0].lines[1].block, 1);
    CHECK_INT(d.pages[0].lines[2].block, 1);
    CHECK_STR(d.pages[0].text, "Title line\nfirst para\nsecond\n");
    CHECK_INT(d.pages[1].number, 2);
    CHECK_STR(d.pages[1].text, "page two\n");
    CHECK_INT(d.nchars, strlen("Title line\nfirst para\nsecond\npage two\n"));
    doc_free(&d);
    CHECK(d.pages == NULL);
}

static void errors(void)
{
    DocText d;
    Error err;
    DocLimits small = {.max_bytes = 4, .max_pages = 0};
    DocLimits pages = {.max_bytes = 0, .max_pages = 2};

    CHECK(!read_str("  \n\n\t\n", NULL, &d, &err));
    CHECK_STR(err.code, DOC_ERR_NO_TEXT);
    CHECK_STR(err.message, DOC_NO_TEXT_MESSAGE);
    CHECK_INT(err.status, 422);
    CHECK(
        !read_str("\x7f"
                  "ELF",
                  NULL, &d, &err));
    CHECK_STR(err.code, DOC_ERR_UNSUPPORTED);
    CHECK(!read_str("hello", &small, &d, &err));
    CHECK_STR(err.code, DOC_ERR_TOO_LARGE);
    CHECK_INT(err.status, 413);
    CHECK(!read_str("a\fb\fc", &pages, &d, &err));
    CHECK_STR(err.code, DOC_ERR_TOO_MANY_PAGES);
    CHECK(read_str("a\fb", &pages, &d, &err));
    doc_free(&d);
    CHECK(!read_str("%PDF-1.4\nnothing else", NULL, &d, &err));
    CHECK_STR(err.code, DOC_ERR_CORRUPT);
    CHECK(d.npages == 0);
}

static void html(void)
{
    DocText d;
    Error err;
    const char *s =
        "<!DOCTYPE html><html><head><title> The  title </title>"
        "<script>var x = 'hidden';</script></head><body>"
        "<h2>Heading</h2><p>Some <b>bold</b> text.</p>"
        "<ol><li>one<ul><li>inner</li></ul></li></ol>"
        "<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td></td></tr></table>"
        "tail<br>more</body></html>";

    REQUIRE(read_str(s, NULL, &d, &err));
    CHECK_INT(d.type, DOC_TYPE_HTML);
    CHECK_STR(d.title, "The title");
    REQUIRE(d.npages == 1);
    const DocPage *p = &d.pages[0];
    REQUIRE(p->nlines == 8);
    CHECK_INT(p->lines[0].kind, DOC_LINE_HEADING);
    CHECK_INT(p->lines[0].level, 2);
    CHECK_STR(p->lines[1].text, "Some bold text.");
    CHECK_INT(p->lines[2].kind, DOC_LINE_LIST_ITEM);
    CHECK(p->lines[2].ordered);
    CHECK_INT(p->lines[3].level, 2);
    CHECK(!p->lines[3].ordered);
    CHECK_INT(p->lines[4].kind, DOC_LINE_TABLE_ROW);
    CHECK_INT(p->lines[4].level, 1);
    CHECK_STR(p->lines[4].text, "A\tB");
    CHECK_INT(p->lines[5].nspans, 2);
    CHECK_STR(p->lines[5].text, "1\t");
    CHECK_STR(p->lines[6].text, "tail");
    CHECK_STR(p->lines[7].text, "more");
    CHECK(strstr(p->text, "hidden") == NULL);
    doc_free(&d);
}

/* A one-page PDF with two fonts, built with its offsets right. */
static size_t make_pdf(char *out, size_t size, const char *content)
{
    const char *objs[6];
    char stream[1024];
    size_t offs[6], n;

    snprintf(stream, sizeof stream, "<< /Length %zu >>\nstream\n%s\nendstream", strlen(content),
             content);
    objs[1] = "<< /Type /Catalog /Pages 2 0 R >>";
    objs[2] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
    objs[3] =
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>";
    objs[4] = stream;
    objs[5] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
    n = (size_t)snprintf(out, size, "%%PDF-1.4\n");
    for (int i = 1; i <= 5; i++) {
        offs[i] = n;
        n += (size_t)snprintf(out + n, size - n, "%d 0 obj\n%s\nendobj\n", i, objs[i]);
    }
    size_t six = n;
    n += (size_t)snprintf(out + n, size - n,
                          "6 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>\n"
                          "endobj\n");
    size_t xref = n;
    n += (size_t)snprintf(out + n, size - n, "xref\n0 7\n0000000000 65535 f \n");
    for (int i = 1; i <= 5; i++)
        n += (size_t)snprintf(out + n, size - n, "%010zu 00000 n \n", offs[i]);
    n += (size_t)snprintf(out + n, size - n, "%010zu 00000 n \n", six);
    n += (size_t)snprintf(out + n, size - n,
                          "trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", xref);
    return n;
}

static void pdf(void)
{
    char buf[4096];
    DocText d;
    Error err;
    size_t n = make_pdf(buf, sizeof buf,
                        "BT /F2 18 Tf 72 700 Td (Big Title) Tj ET "
                        "BT /F1 10 Tf 72 650 Td (Total) Tj ET "
                        "BT /F1 10 Tf 300 650 Td (12.50) Tj ET");

    error_clear(&err);
    REQUIRE(doc_read((const unsigned char *)buf, n, NULL, &d, &err));
    CHECK_INT(d.type, DOC_TYPE_PDF);
    CHECK(d.has_layout);
    REQUIRE(d.npages == 1);
    CHECK(d.pages[0].width > 611 && d.pages[0].width < 613);
    REQUIRE(d.pages[0].nlines == 2);
    const DocLine *title = &d.pages[0].lines[0], *total = &d.pages[0].lines[1];
    CHECK_STR(title->text, "Big Title");
    CHECK(title->bold);
    CHECK(title->font_size > 17.9 && title->font_size < 18.1);
    CHECK(title->box.y0 > 70 && title->box.y1 < 100); /* from the top */
    /* One line, two spans: the label and its value apart. */
    CHECK_STR(total->text, "Total 12.50");
    REQUIRE(total->nspans == 2);
    CHECK(!total->bold);
    CHECK(total->spans[1].box.x0 > 299 && total->spans[1].box.x0 < 301);
    doc_free(&d);

    /* No text at all: the scan's error. */
    n = make_pdf(buf, sizeof buf, "0 0 m 100 100 l S");
    CHECK(!doc_read((const unsigned char *)buf, n, NULL, &d, &err));
    CHECK_STR(err.code, DOC_ERR_NO_TEXT);
}

const Test doc_text_tests[] = {
    {"doc_text_detect", detect}, {"doc_text_plain", plain_text}, {"doc_text_errors", errors},
    {"doc_text_html", html},     {"doc_text_pdf", pdf},          {NULL, NULL},
};
