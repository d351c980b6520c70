/* SPDX-License-Identifier: MIT */
/*
 * test_doc_text.c tests the document readers (daemon/handlers/doc_*.c):
 * detection from the bytes, plain text, HTML, and a small PDF written
 * here as text (the integration tests read PDFs made by groff).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_job.h"
#include "doc_lang.h"
#include "doc_markdown.h"
#include "doc_text.h"
#include "handler_extract.h"
#include "handler_invoice.h"
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
    /* A form feed that ends the text starts no page. */
    REQUIRE(read_str("a\fb\f", NULL, &d, &err));
    CHECK_INT(d.npages, 2);
    doc_free(&d);
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

static bool stop_now(void *arg)
{
    (*(int *)arg)++;
    return false;
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

    /* A reader told to stop after a page stops. */
    int calls = 0;
    DocLimits stop = {.page_done = stop_now, .arg = &calls};
    CHECK(!doc_read((const unsigned char *)buf, n, &stop, &d, &err));
    CHECK_STR(err.code, DOC_ERR_STOPPED);
    CHECK_INT(calls, 1);

    /* No text at all: the scan's error. */
    n = make_pdf(buf, sizeof buf, "0 0 m 100 100 l S");
    CHECK(!doc_read((const unsigned char *)buf, n, NULL, &d, &err));
    CHECK_STR(err.code, DOC_ERR_NO_TEXT);
}

/* complex_pdf returns a new PDF (*len bytes) whose one page shows one
 * string of `chars` characters: cheap to send, costly to read. */
static char *complex_pdf(size_t chars, size_t *len)
{
    static const char head[] =
        "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>\nendobj\n"
        "5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n";
    static const char open[] = "BT /F1 1 Tf 10 700 Td (", close[] = ") Tj ET";
    size_t content = strlen(open) + chars + strlen(close);
    char *out = malloc(strlen(head) + content + 200);
    size_t n;

    if (out == NULL)
        return NULL;
    n = (size_t)sprintf(out, "%s4 0 obj\n<< /Length %zu >>\nstream\n%s", head, content, open);
    memset(out + n, 'A', chars);
    n += chars;
    n += (size_t)sprintf(out + n, "%s\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%%%EOF\n",
                         close);
    *len = n;
    return out;
}

/* A small page that shows too much, or needs too much memory, fails with
 * document_too_complex, quickly, instead of holding a worker. */
static void pdf_too_complex(void)
{
    size_t n;
    char *buf = complex_pdf(30000, &n);
    DocText d;
    Error err;

    REQUIRE(buf != NULL);
    error_clear(&err);
    DocLimits chars = {.page_seconds = 30, .max_page_chars = 20000};
    CHECK(!doc_read((const unsigned char *)buf, n, &chars, &d, &err));
    CHECK_STR(err.code, DOC_ERR_TOO_COMPLEX);
    CHECK(strstr(err.message, "20000 characters") != NULL);
    CHECK(d.npages == 0);

    error_clear(&err);
    DocLimits memory = {.page_seconds = 30, .max_memory = 2 << 20};
    CHECK(!doc_read((const unsigned char *)buf, n, &memory, &d, &err));
    CHECK_STR(err.code, DOC_ERR_TOO_COMPLEX);
    CHECK(strstr(err.message, "memory") != NULL);

    /* Within the bounds the same page reads; and a small page reads
     * within the small memory bound. */
    error_clear(&err);
    DocLimits room = {.page_seconds = 30, .max_page_chars = 40000, .max_memory = 64 << 20};
    REQUIRE(doc_read((const unsigned char *)buf, n, &room, &d, &err));
    CHECK(d.nchars >= 30000);
    doc_free(&d);
    char small[4096];
    size_t m = make_pdf(small, sizeof small, "BT /F1 10 Tf 72 700 Td (Total 12.50) Tj ET");
    REQUIRE(doc_read((const unsigned char *)small, m, &memory, &d, &err));
    doc_free(&d);
    free(buf);
}

/* An HTML page's own charset is honoured: a Latin-1 page reads as
 * Latin-1, a UTF-8 page without a charset as UTF-8. */
static void html_charset(void)
{
    static const char latin1[] =
        "<html><head><meta charset=\"iso-8859-1\"></head>"
        "<body><p>Caf\xe9 cr\xe8me \xe0 la fran\xe7"
        "aise</p></body></html>";
    static const char latin1_http[] =
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">"
        "</head><body><p>Gr\xfc\xdf"
        "e</p></body></html>";
    static const char utf8[] = "<html><body><p>Caf\xc3\xa9 \xe2\x82\xac 5</p></body></html>";
    DocText d;
    Error err;

    error_clear(&err);
    REQUIRE(doc_read((const unsigned char *)latin1, strlen(latin1), NULL, &d, &err));
    CHECK(strstr(d.pages[0].text,
                 "Caf\xc3\xa9 cr\xc3\xa8me \xc3\xa0 la fran\xc3\xa7"
                 "aise") != NULL);
    doc_free(&d);
    REQUIRE(doc_read((const unsigned char *)latin1_http, strlen(latin1_http), NULL, &d, &err));
    CHECK(strstr(d.pages[0].text,
                 "Gr\xc3\xbc\xc3\x9f"
                 "e") != NULL);
    doc_free(&d);
    REQUIRE(doc_read((const unsigned char *)utf8, strlen(utf8), NULL, &d, &err));
    CHECK(strstr(d.pages[0].text, "Caf\xc3\xa9 \xe2\x82\xac 5") != NULL);
    doc_free(&d);
}

static void lang(void)
{
    static const struct {
        const char *text, *code;
    } cases[] = {
        {"The invoice is due at the end of the month, and the total of the order is paid.", "en"},
        {"La fattura deve essere pagata entro la fine del mese e il totale della merce non "
         "comprende le spese.",
         "it"},
        {"Die Rechnung ist bis zum Ende des Monats zu zahlen, und der Betrag wird nicht "
         "erstattet.",
         "de"},
        {"La facture est payable dans les trente jours et le montant des frais est pour le "
         "client.",
         "fr"},
        {"La factura se paga en los treinta d\xc3\xad"
         "as y el importe de las tasas es para el "
         "cliente.",
         "es"},
        {"Invoice 42 total 12.50", "und"},
        {"", "und"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_STR(doc_lang_guess(cases[i].text, strlen(cases[i].text)), cases[i].code);
}

static void markdown_html(void)
{
    DocText d;
    Error err;
    DocStyle st;
    const char *s =
        "<html><body><h1>Report</h1><p>First para.</p><p>Second para.</p>"
        "<ul><li>one</li><li>two<ol><li>inner</li></ol></li></ul>"
        "<table><tr><th>A</th><th>B|C</th></tr><tr><td>1</td><td>2</td></tr></table>"
        "<h2>End</h2></body></html>";

    REQUIRE(read_str(s, NULL, &d, &err));
    doc_style(&d, &st);
    CHECK(st.body_size == 0);
    json_t *headings = json_array();
    size_t tables = 0;
    char *md = doc_markdown_page(&d.pages[0], &st, headings, &tables);
    REQUIRE(md != NULL);
    CHECK_STR(md,
              "# Report\n\nFirst para.\n\nSecond para.\n\n- one\n- two\n  1. inner\n\n"
              "| A | B\\|C |\n| --- | --- |\n| 1 | 2 |\n\n## End\n");
    CHECK_INT(tables, 1);
    CHECK_INT(json_array_size(headings), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(headings, 1), "text")), "End");
    free(md);
    json_decref(headings);
    doc_free(&d);
}

static void markdown_text(void)
{
    DocText d;
    Error err;
    DocStyle st;

    REQUIRE(read_str("Intro line one\nand two.\n\n- apple\n- pear\n\n1. first\n2) second\n", NULL,
                     &d, &err));
    doc_style(&d, &st);
    char *md = doc_markdown_page(&d.pages[0], &st, NULL, NULL);
    REQUIRE(md != NULL);
    CHECK_STR(md, "Intro line one and two.\n\n- apple\n- pear\n\n1. first\n2. second\n");
    free(md);
    doc_free(&d);
}

static void markdown_pdf(void)
{
    char buf[4096];
    DocText d;
    Error err;
    size_t n = make_pdf(buf, sizeof buf,
                        "BT /F2 18 Tf 72 720 Td (Quarterly report) Tj ET "
                        "BT /F2 10 Tf 72 690 Td (Summary) Tj ET "
                        "BT /F1 10 Tf 72 670 Td (Sales were up in the third quar-) Tj ET "
                        "BT /F1 10 Tf 72 658 Td (ter of the year.) Tj ET "
                        "BT /F1 10 Tf 72 630 Td (Item) Tj ET BT /F1 10 Tf 300 630 Td (Qty) Tj ET "
                        "BT /F1 10 Tf 72 616 Td (Pens) Tj ET BT /F1 10 Tf 300 616 Td (4) Tj ET");

    error_clear(&err);
    REQUIRE(doc_read((const unsigned char *)buf, n, NULL, &d, &err));
    json_t *out = extract_output(&d, true);
    REQUIRE(out != NULL);
    const json_t *meta = json_object_get(out, "metadata");
    CHECK_STR(json_string_value(json_object_get(meta, "title")), "Quarterly report");
    CHECK_INT(json_integer_value(json_object_get(meta, "page_count")), 1);
    CHECK_INT(json_integer_value(json_object_get(meta, "table_count")), 1);
    CHECK_STR(json_string_value(json_object_get(meta, "type")), "pdf");
    CHECK_STR(json_string_value(json_object_get(out, "markdown")),
              "# Quarterly report\n\n## Summary\n\n"
              "Sales were up in the third quarter of the year.\n\n"
              "| Item | Qty |\n| --- | --- |\n| Pens | 4 |\n");
    const json_t *page = json_array_get(json_object_get(out, "pages"), 0);
    CHECK_INT(json_integer_value(json_object_get(page, "page")), 1);
    CHECK(strstr(json_string_value(json_object_get(page, "text")), "Pens\t") == NULL);
    json_decref(out);
    doc_free(&d);
}

/* FakeDoc is what the fake context's document callback answers. */
typedef struct FakeDoc {
    HandlerDocument answer;
    const char *bytes;
    int calls;
} FakeDoc;

static bool fake_progress(void *arg, size_t done)
{
    (void)arg;
    (void)done;
    return true;
}

static HandlerDocument fake_document(void *arg, const unsigned char **bytes, size_t *len,
                                     Error *err)
{
    FakeDoc *f = arg;

    f->calls++;
    *bytes = NULL;
    *len = 0;
    if (f->answer == HANDLER_DOC_ERROR)
        error_set(err, 503, "db_unavailable", "down");
    if (f->answer == HANDLER_DOC_OK) {
        *len = strlen(f->bytes);
        *bytes = (const unsigned char *)f->bytes; /* borrowed, as the daemon's */
    }
    return f->answer;
}

/* run_extract runs the extract handler on one item with the fake. */
static HandlerStatus run_extract(FakeDoc *f, const char *item_json, json_t **results, Error *err)
{
    json_t *items = json_loads(item_json, 0, NULL);
    HandlerContext ctx = {.progress = fake_progress, .arg = f, .document = fake_document};
    HandlerJob job = {.id = "j", .type = "extract", .attempt = 1, .items = items};
    HandlerOutput out = {.results = json_array(),
                         .validation_flags = json_array(),
                         .confidence = -1,
                         .cache_hit = -1};

    error_clear(err);
    HandlerStatus st = handler_extract.run(&ctx, &job, &out, err);
    CHECK_STR(out.model, EXTRACT_MODEL);
    CHECK_INT(out.cache_hit, 0);
    *results = out.results;
    json_decref(out.validation_flags);
    json_decref(items);
    return st;
}

static void extract_handler(void)
{
    FakeDoc f = {.answer = HANDLER_DOC_OK, .bytes = "Hello there\n\nSecond block\n"};
    json_t *results;
    Error err;

    CHECK_INT(run_extract(&f, "[{\"filename\": \"a.txt\", \"custom_id\": \"c1\"}]", &results, &err),
              HANDLER_OK);
    REQUIRE(json_array_size(results) == 1);
    const json_t *r = json_array_get(results, 0);
    CHECK_STR(json_string_value(json_object_get(r, "custom_id")), "c1");
    CHECK_STR(json_string_value(json_object_get(json_object_get(r, "output"), "markdown")),
              "Hello there\n\nSecond block\n");
    json_decref(results);

    /* Without pages. */
    CHECK_INT(run_extract(&f, "[{\"options\": {\"pages\": false}}]", &results, &err), HANDLER_OK);
    CHECK(json_object_get(json_object_get(json_array_get(results, 0), "output"), "pages") == NULL);
    json_decref(results);

    f.bytes = " \n\n ";
    CHECK_INT(run_extract(&f, "[{}]", &results, &err), HANDLER_FATAL);
    CHECK_STR(err.code, "no_text");
    CHECK_STR(err.message, "Unable to extract text from document");
    CHECK_INT(json_array_size(results), 0);
    json_decref(results);

    f.bytes = "\x01\x02binary";
    CHECK_INT(run_extract(&f, "[{}]", &results, &err), HANDLER_FATAL);
    CHECK_STR(err.code, "unsupported_type");
    json_decref(results);

    f.answer = HANDLER_DOC_LOST;
    CHECK_INT(run_extract(&f, "[{}]", &results, &err), HANDLER_STOPPED);
    json_decref(results);
    f.answer = HANDLER_DOC_ERROR;
    CHECK_INT(run_extract(&f, "[{}]", &results, &err), HANDLER_RETRY);
    CHECK_STR(err.code, "db_unavailable");
    json_decref(results);

    /* No stored document: the item's text, or a clear error. */
    f.answer = HANDLER_DOC_NONE;
    CHECK_INT(run_extract(&f, "[{\"text\": \"<h1>Hi</h1>\"}]", &results, &err), HANDLER_OK);
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(json_array_get(results, 0), "output"), "markdown")),
              "# Hi\n");
    json_decref(results);
    CHECK_INT(run_extract(&f, "[{\"filename\": \"x\"}]", &results, &err), HANDLER_FATAL);
    CHECK_STR(err.code, "no_document");
    json_decref(results);
    CHECK_INT(run_extract(&f, "[{\"text\": \"a\"}, {\"text\": \"b\"}]", &results, &err),
              HANDLER_FATAL);
    json_decref(results);
}

/* The invoice handler reads its document through doc_job_read: the
 * configured limits apply to text too, and text keeps its columns. */
static void invoice_handler_document(void)
{
    FakeDoc f = {.answer = HANDLER_DOC_OK,
                 .bytes = "Description    Qty   Amount\nWidget           2    20.00\n"};
    DocSettings settings = {.limits = {.max_pages = 2}};
    json_t *items = json_loads("[{\"filename\": \"a.txt\"}]", 0, NULL);
    HandlerContext ctx = {
        .progress = fake_progress, .arg = &f, .document = fake_document, .settings = &settings};
    HandlerJob job = {.id = "j", .type = "invoice", .attempt = 1, .items = items};
    HandlerOutput out = {.results = json_array(),
                         .validation_flags = json_array(),
                         .confidence = -1,
                         .cache_hit = -1};
    Error err = {0};

    REQUIRE(handler_invoice.run(&ctx, &job, &out, &err) == HANDLER_OK);
    const json_t *output = json_object_get(json_array_get(out.results, 0), "output");
    CHECK_INT(json_array_size(json_object_get(output, "line_items")), 1);
    json_array_clear(out.results);

    /* Three form-feed pages, two allowed: the page cap applies to text. */
    f.bytes = "Invoice 1\fpage two\fpage three\n";
    CHECK_INT(handler_invoice.run(&ctx, &job, &out, &err), HANDLER_FATAL);
    CHECK_STR(err.code, DOC_ERR_TOO_MANY_PAGES);
    CHECK_INT(json_array_size(out.results), 0);

    /* So does the size cap. */
    settings.limits.max_bytes = 10;
    f.bytes = "Invoice 1 total 20.00\n";
    CHECK_INT(handler_invoice.run(&ctx, &job, &out, &err), HANDLER_FATAL);
    CHECK_STR(err.code, DOC_ERR_TOO_LARGE);
    json_decref(out.results);
    json_decref(out.validation_flags);
    json_decref(items);
}

const Test doc_text_tests[] = {
    {"doc_text_detect", detect},
    {"doc_text_plain", plain_text},
    {"doc_text_errors", errors},
    {"doc_text_html", html},
    {"doc_text_html_charset", html_charset},
    {"doc_text_invoice_handler_document", invoice_handler_document},
    {"doc_text_pdf", pdf},
    {"doc_text_pdf_too_complex", pdf_too_complex},
    {"doc_text_lang", lang},
    {"doc_text_markdown_html", markdown_html},
    {"doc_text_markdown_text", markdown_text},
    {"doc_text_markdown_pdf", markdown_pdf},
    {"doc_text_extract_handler", extract_handler},
    {NULL, NULL},
};
