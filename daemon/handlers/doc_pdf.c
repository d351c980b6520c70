/* SPDX-License-Identifier: MIT */
/*
 * doc_pdf.c - the PDF reader of doc_text.h, on MuPDF (libmupdf, AGPL-3:
 * see the README on what that means for pgjobd).  The one file that
 * names the PDF library: to use another, rewrite this file alone.
 *
 * MuPDF's structured text gives blocks, lines and characters, each
 * character with its box, font and size.  A block becomes a DocLine
 * block index; a line, a DocLine; a run of characters without a wide gap
 * (SPAN_GAP_EM), a DocSpan, so that the cells of a table row stay apart.
 *
 * Every document gets its own fz_context, so that threads share nothing
 * and need no locks.  MuPDF reports errors by longjmp (fz_try/fz_catch):
 * what it allocates is released in fz_always, and locals changed inside
 * a try are marked fz_var.
 */
#include "doc_build.h"

#include <stdlib.h>
#include <string.h>

#include <mupdf/fitz.h>

#include "log.h"

/* A gap wider than this many ems between two characters of a line
 * starts a new span. */
#define SPAN_GAP_EM 1.2
/* The store (MuPDF's cache of decoded objects) of one document. */
enum { PDF_STORE_BYTES = 32 << 20 };

/* SpanText gathers the characters of one span. */
typedef struct SpanText {
    char *text;
    size_t len, cap;
    fz_rect box;
    float size;
    size_t chars, bold;
} SpanText;

static void quiet(void *user, const char *message)
{
    (void)user;
    log_debug("mupdf: %s", message);
}

static bool span_put(SpanText *s, int rune)
{
    if (s->len + FZ_UTFMAX + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 128;
        char *p = realloc(s->text, cap);
        if (p == NULL)
            return false;
        s->text = p;
        s->cap = cap;
    }
    /* Controls and the replacement of unmapped glyphs carry no text. */
    if (rune < 0x20 || rune == 0xfffd)
        rune = ' ';
    s->len += (size_t)fz_runetochar(s->text + s->len, rune);
    s->text[s->len] = '\0';
    return true;
}

/* span_flush adds the gathered span to line and empties s. */
static bool span_flush(SpanText *s, DocLine *line, fz_rect page)
{
    bool ok = true;

    if (s->len > 0) {
        DocBox box = {s->box.x0 - page.x0, s->box.y0 - page.y0, s->box.x1 - page.x0,
                      s->box.y1 - page.y0};
        ok = doc_add_span(line, s->text, s->len, box, s->size, s->bold * 2 > s->chars);
    }
    s->len = 0;
    s->box = fz_empty_rect;
    s->size = 0;
    s->chars = s->bold = 0;
    return ok;
}

static bool font_bold(fz_context *ctx, fz_font *font)
{
    const char *name;

    if (font == NULL)
        return false;
    if (fz_font_is_bold(ctx, font))
        return true;
    name = fz_font_name(ctx, font);
    return name != NULL && (strstr(name, "Bold") != NULL || strstr(name, "Black") != NULL ||
                            strstr(name, "Heavy") != NULL);
}

/* add_line turns one MuPDF line into a DocLine of page.  False when out
 * of memory. */
static bool add_line(fz_context *ctx, fz_stext_line *src, DocPage *page, int block, fz_rect bounds,
                     SpanText *s)
{
    DocLine *line = doc_add_line(page, DOC_LINE_TEXT, 0, block);
    float right = 0;
    bool any = false;

    if (line == NULL)
        return false;
    for (fz_stext_char *c = src->first_char; c != NULL; c = c->next) {
        fz_rect r = fz_rect_from_quad(c->quad);
        if (c->c != ' ') {
            if (any && s->len > 0 && r.x0 - right > SPAN_GAP_EM * c->size &&
                !span_flush(s, line, bounds))
                return false;
            right = r.x1;
            any = true;
            s->box = fz_union_rect(s->box, r);
            s->chars++;
            s->bold += font_bold(ctx, c->font);
            if (c->size > s->size)
                s->size = c->size;
        }
        if (!span_put(s, c->c))
            return false;
    }
    return span_flush(s, line, bounds);
}

/* read_page adds page number i (from 0) of d to doc. */
static bool read_page(fz_context *ctx, fz_document *d, int i, DocText *doc, Error *err)
{
    fz_page *page = NULL;
    fz_stext_page *text = NULL;
    SpanText s = {.box = fz_empty_rect};
    bool ok = false, oom = false;
    fz_stext_options opts = {.flags = 0};

    fz_var(page);
    fz_var(text);
    fz_var(ok);
    fz_var(oom);
    fz_try(ctx)
    {
        page = fz_load_page(ctx, d, i);
        fz_rect bounds = fz_bound_page(ctx, page);
        text = fz_new_stext_page_from_page(ctx, page, &opts);
        DocPage *out = doc_add_page(doc, bounds.x1 - bounds.x0, bounds.y1 - bounds.y0);
        oom = out == NULL;
        int block = 0;
        for (fz_stext_block *b = text->first_block; !oom && b != NULL; b = b->next) {
            if (b->type != FZ_STEXT_BLOCK_TEXT)
                continue;
            for (fz_stext_line *l = b->u.t.first_line; !oom && l != NULL; l = l->next)
                oom = !add_line(ctx, l, out, block, bounds, &s);
            block++;
        }
        oom = oom || !doc_merge_rows(out);
        ok = !oom;
    }
    fz_always(ctx)
    {
        fz_drop_stext_page(ctx, text);
        fz_drop_page(ctx, page);
    }
    fz_catch(ctx)
    {
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_CORRUPT, "page %d cannot be read: %s", i + 1,
                  fz_caught_message(ctx));
    }
    free(s.text);
    if (oom)
        error_set(err, 500, "out_of_memory", "out of memory");
    return ok;
}

bool doc_read_pdf(const unsigned char *bytes, size_t len, const DocLimits *limits, DocText *doc,
                  Error *err)
{
    fz_context *ctx = fz_new_context(NULL, NULL, PDF_STORE_BYTES);
    fz_buffer *buf = NULL;
    fz_stream *stream = NULL;
    fz_document *d = NULL;
    int pages = -1;
    bool ok = false;

    if (ctx == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return false;
    }
    fz_set_warning_callback(ctx, quiet, NULL);
    fz_set_error_callback(ctx, quiet, NULL);
    fz_var(buf);
    fz_var(stream);
    fz_var(d);
    fz_var(pages);
    fz_try(ctx)
    {
        fz_register_document_handlers(ctx);
        buf = fz_new_buffer_from_shared_data(ctx, bytes, len);
        stream = fz_open_buffer(ctx, buf);
        d = fz_open_document_with_stream(ctx, "application/pdf", stream);
        if (!fz_needs_password(ctx, d))
            pages = fz_count_pages(ctx, d);
    }
    fz_catch(ctx)
    {
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_CORRUPT, "the PDF cannot be read: %s",
                  fz_caught_message(ctx));
        goto done;
    }
    if (pages < 0) {
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_ENCRYPTED,
                  "the PDF is encrypted and needs a password");
        goto done;
    }
    if (pages == 0) {
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_CORRUPT, "the PDF has no pages");
        goto done;
    }
    if (limits != NULL && limits->max_pages > 0 && pages > limits->max_pages) {
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_TOO_MANY_PAGES,
                  "the document has %d pages; at most %d are accepted", pages, limits->max_pages);
        goto done;
    }
    for (int i = 0; i < pages; i++) {
        if (!read_page(ctx, d, i, doc, err))
            goto done;
        if (limits != NULL && limits->page_done != NULL && !limits->page_done(limits->arg)) {
            error_set(err, DOC_ERROR_STATUS, DOC_ERR_STOPPED, "stopped after page %d", i + 1);
            goto done;
        }
    }
    char title[512] = "";
    fz_try(ctx)
    {
        if (fz_lookup_metadata(ctx, d, FZ_META_INFO_TITLE, title, (int)sizeof title) <= 0)
            title[0] = '\0';
    }
    fz_catch(ctx)
    {
        title[0] = '\0'; /* a broken Info dictionary: no title, the text stands */
    }
    if (title[0] != '\0' && doc_utf8_valid((const unsigned char *)title, strlen(title)) &&
        (doc->title = strdup(title)) == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        goto done;
    }
    doc->has_layout = true;
    ok = true;
done:
    fz_drop_document(ctx, d);
    fz_drop_stream(ctx, stream);
    fz_drop_buffer(ctx, buf);
    fz_drop_context(ctx);
    return ok;
}
