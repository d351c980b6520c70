/* SPDX-License-Identifier: MIT */
/*
 * fuzz_document.c is a libFuzzer target for the document readers of
 * pgjobd (daemon/handlers/doc_*.c): the input is a document of any
 * format, read by doc_read within small limits and, when it reads, turned
 * into the extract handler's output (Markdown, pages, metadata).  Besides
 * crashes, leaks and sanitizer reports it checks properties and aborts
 * when one fails: a read document has a page with text, every text is
 * UTF-8, page numbers count from 1, a failure has one of the documented
 * codes, and the output encodes as JSON.
 *
 * MuPDF and libxml2 are Debian's builds, not instrumented: the fuzzer
 * steers by the coverage of pgjob's own code, and ASan sees the memory
 * those libraries hand to it.
 *
 * Built and run by "make fuzz-doc" (clang -fsanitize=fuzzer,address,undefined).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "doc_text.h"
#include "handler_extract.h"
#include "utf8.h"

static void check(bool ok)
{
    if (!ok)
        abort();
}

static bool known_code(const char *code)
{
    static const char *const codes[] = {
        DOC_ERR_UNSUPPORTED, DOC_ERR_CORRUPT,        DOC_ERR_ENCRYPTED,
        DOC_ERR_NO_TEXT,     DOC_ERR_TOO_MANY_PAGES, DOC_ERR_TOO_LARGE,
        DOC_ERR_TOO_COMPLEX, "out_of_memory",        NULL};
    for (int i = 0; codes[i] != NULL; i++)
        if (strcmp(code, codes[i]) == 0)
            return true;
    return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    doc_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    DocLimits limits = {.max_bytes = 1 << 20,
                        .max_pages = 20,
                        .page_seconds = 10,
                        .max_memory = 256 << 20,
                        .max_page_chars = 100000};
    DocText doc;
    Error err = {0};

    if (!doc_read(data, size, &limits, &doc, &err)) {
        check(known_code(err.code));
        check(doc.pages == NULL && doc.npages == 0);
        return 0;
    }
    check(doc.npages >= 1 && doc.nchars > 0);
    for (size_t i = 0; i < doc.npages; i++) {
        const DocPage *p = &doc.pages[i];
        check(p->number == (int)i + 1);
        check(utf8_valid(p->text));
        for (size_t k = 0; k < p->nlines; k++)
            check(p->lines[k].nspans >= 1 && strchr(p->lines[k].text, '\n') == NULL);
    }
    json_t *out = extract_output(&doc, true);
    if (out != NULL) {
        char *text = json_dumps(out, JSON_COMPACT);
        check(text != NULL);
        free(text);
        json_decref(out);
    }
    doc_free(&doc);
    return 0;
}
