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
 * and need no locks.  Only the PDF reader is opened (no other format's
 * handler is registered: no EPUB, XPS, HTML or JavaScript engine).
 *
 * A PDF's size does not bound its cost: a few KB of Flate can show
 * millions of characters.  A Guard bounds it (DocLimits): the context's
 * allocator counts the bytes MuPDF holds and refuses past max_memory; a
 * device in front of the structured-text device counts each page's
 * characters; the page runs with an fz_cookie whose abort is set when the
 * page's time (page_seconds) is over, when a bound is passed or when
 * page_done says stop (it is called about every second meanwhile).  The
 * allocator also refuses once the time is over, so that one long
 * operation cannot outlast it.  All but the stop fail the read with
 * DOC_ERR_TOO_COMPLEX.  MuPDF reports errors by longjmp (fz_try/fz_catch):
 * what it allocates is released in fz_always, and locals changed inside
 * a try are marked fz_var.
 */
#include "doc_build.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>

#include "log.h"
#include "utf8.h"

/* A gap wider than this many ems between two characters of a line
 * starts a new span. */
#define SPAN_GAP_EM 1.2
/* The store (MuPDF's cache of decoded objects) of one document. */
enum { PDF_STORE_BYTES = 32 << 20 };

/* Room before each block MuPDF allocates for its size: as aligned as
 * malloc's blocks are. */
#define GUARD_HEADER _Alignof(max_align_t)

/* Guard bounds the cost of one document (see the top of the file).  It
 * outlives the fz_context whose allocator it is. */
typedef struct Guard {
    const DocLimits *limits; /* never NULL */
    size_t used;             /* bytes MuPDF holds now */
    double deadline;         /* monotonic seconds the current step must end by; 0: none */
    double next_progress;    /* when page_done is called next inside a page; 0: not in a page */
    size_t chars;            /* characters of the current page */
    fz_cookie cookie;        /* of the current page's run */
    bool refused;            /* an allocation was refused for memory */
    bool late;               /* the time of a step ran out */
    bool over_chars;         /* a page showed more than max_page_chars */
    bool stopped;            /* page_done answered false */
} Guard;

static double monotonic_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* guard_start starts a step (opening the document, one page) of at most
 * page_seconds; in_page: page_done is called about every second. */
static void guard_start(Guard *g, bool in_page)
{
    double now = monotonic_seconds();

    g->deadline = g->limits->page_seconds > 0 ? now + g->limits->page_seconds : 0;
    g->next_progress = in_page ? now + 1 : 0;
    g->chars = 0;
    memset(&g->cookie, 0, sizeof g->cookie);
}

/* guard_end ends a step: nothing is timed until the next one starts. */
static void guard_end(Guard *g)
{
    g->deadline = 0;
    g->next_progress = 0;
}

/* guard_tick checks the step's time and reports progress when due:
 * false, with the cookie's abort set, when the step must stop. */
static bool guard_tick(Guard *g)
{
    if (g->cookie.abort)
        return false;
    if (g->deadline <= 0 && g->next_progress <= 0)
        return true;
    double now = monotonic_seconds();
    if (g->deadline > 0 && now > g->deadline) {
        g->late = true;
    } else if (g->next_progress > 0 && now >= g->next_progress) {
        g->next_progress = now + 1;
        if (g->limits->page_done != NULL && !g->limits->page_done(g->limits->arg))
            g->stopped = true;
    }
    if (g->late || g->stopped)
        g->cookie.abort = 1;
    return !g->cookie.abort;
}

/* guard_admit says whether MuPDF may hold `more` bytes more. */
static bool guard_admit(Guard *g, size_t more)
{
    size_t cap = g->limits->max_memory;

    if (!guard_tick(g))
        return false;
    if (cap > 0 && (more > cap || g->used > cap - more)) {
        g->refused = true;
        return false;
    }
    return true;
}

static void *guard_malloc(void *user, size_t size)
{
    Guard *g = user;
    unsigned char *p;

    if (size > SIZE_MAX - GUARD_HEADER || !guard_admit(g, size))
        return NULL;
    if ((p = malloc(size + GUARD_HEADER)) == NULL)
        return NULL;
    memcpy(p, &size, sizeof size);
    g->used += size;
    return p + GUARD_HEADER;
}

static void guard_free(void *user, void *block)
{
    Guard *g = user;
    unsigned char *p;
    size_t size;

    if (block == NULL)
        return;
    p = (unsigned char *)block - GUARD_HEADER;
    memcpy(&size, p, sizeof size);
    g->used -= size;
    free(p);
}

static void *guard_realloc(void *user, void *block, size_t size)
{
    Guard *g = user;
    unsigned char *p, *q;
    size_t old;

    if (block == NULL)
        return guard_malloc(user, size);
    if (size == 0) {
        guard_free(user, block);
        return NULL;
    }
    p = (unsigned char *)block - GUARD_HEADER;
    memcpy(&old, p, sizeof old);
    if (size > SIZE_MAX - GUARD_HEADER || (size > old && !guard_admit(g, size - old)))
        return NULL;
    if ((q = realloc(p, size + GUARD_HEADER)) == NULL)
        return NULL;
    memcpy(q, &size, sizeof size);
    g->used = g->used - old + size;
    return q + GUARD_HEADER;
}

/* GuardDevice stands in front of the structured-text device: it counts
 * the characters of each text call before passing it on. */
typedef struct GuardDevice {
    fz_device super;
    fz_device *target;
    Guard *guard;
} GuardDevice;

/* guard_text counts text's characters; throws when the page must stop
 * (the cookie's abort is set: the interpreter stops too). */
static void guard_text(fz_context *ctx, GuardDevice *d, const fz_text *text)
{
    Guard *g = d->guard;
    size_t max = g->limits->max_page_chars;

    for (const fz_text_span *span = text->head; span != NULL; span = span->next)
        g->chars += span->len > 0 ? (size_t)span->len : 0;
    if (max > 0 && g->chars > max) {
        g->over_chars = true;
        g->cookie.abort = 1;
    }
    if (!guard_tick(g))
        fz_throw(ctx, FZ_ERROR_ABORT, "page reading stopped");
}

static void guard_fill_text(fz_context *ctx, fz_device *dev, const fz_text *text, fz_matrix ctm,
                            fz_colorspace *cs, const float *color, float alpha,
                            fz_color_params params)
{
    GuardDevice *d = (GuardDevice *)dev;

    guard_text(ctx, d, text);
    fz_fill_text(ctx, d->target, text, ctm, cs, color, alpha, params);
}

static void guard_stroke_text(fz_context *ctx, fz_device *dev, const fz_text *text,
                              const fz_stroke_state *stroke, fz_matrix ctm, fz_colorspace *cs,
                              const float *color, float alpha, fz_color_params params)
{
    GuardDevice *d = (GuardDevice *)dev;

    guard_text(ctx, d, text);
    fz_stroke_text(ctx, d->target, text, stroke, ctm, cs, color, alpha, params);
}

/* Text that clips, or is invisible, is text all the same; the clip
 * itself means nothing to the text device, so it is not passed on (nor
 * its pop: no clip of any kind is). */
static void guard_ignore_text(fz_context *ctx, fz_device *dev, const fz_text *text, fz_matrix ctm)
{
    GuardDevice *d = (GuardDevice *)dev;

    guard_text(ctx, d, text);
    fz_ignore_text(ctx, d->target, text, ctm);
}

static void guard_clip_text(fz_context *ctx, fz_device *dev, const fz_text *text, fz_matrix ctm,
                            fz_rect scissor)
{
    (void)scissor;
    guard_ignore_text(ctx, dev, text, ctm);
}

static void guard_clip_stroke_text(fz_context *ctx, fz_device *dev, const fz_text *text,
                                   const fz_stroke_state *stroke, fz_matrix ctm, fz_rect scissor)
{
    (void)stroke;
    (void)scissor;
    guard_ignore_text(ctx, dev, text, ctm);
}

static void guard_close(fz_context *ctx, fz_device *dev)
{
    fz_close_device(ctx, ((GuardDevice *)dev)->target);
}

static fz_device *new_guard_device(fz_context *ctx, fz_device *target, Guard *g)
{
    GuardDevice *d = fz_new_derived_device(ctx, GuardDevice);

    d->super.fill_text = guard_fill_text;
    d->super.stroke_text = guard_stroke_text;
    d->super.clip_text = guard_clip_text;
    d->super.clip_stroke_text = guard_clip_stroke_text;
    d->super.ignore_text = guard_ignore_text;
    d->super.close_device = guard_close;
    d->target = target;
    d->guard = g;
    return &d->super;
}

/* too_complex says whether the failure of a step came from a bound of
 * g (caught: the MuPDF error code, or FZ_ERROR_NONE for none). */
static bool too_complex(const Guard *g, int caught)
{
    return g->late || g->over_chars || (caught == FZ_ERROR_MEMORY && g->refused);
}

/* set_too_complex fills err for the bound g passed on page (from 1; 0:
 * while the document was opened). */
static void set_too_complex(const Guard *g, Error *err, int page)
{
    const DocLimits *l = g->limits;

    if (g->over_chars)
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_TOO_COMPLEX,
                  "page %d shows more than %zu characters", page, l->max_page_chars);
    else if (g->late && page == 0)
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_TOO_COMPLEX,
                  "the document takes longer than %d seconds to open", l->page_seconds);
    else if (g->late)
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_TOO_COMPLEX,
                  "page %d takes longer than %d seconds to read", page, l->page_seconds);
    else
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_TOO_COMPLEX,
                  "the document needs more than %zu bytes of memory to read", l->max_memory);
}

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

/* read_page adds page number i (from 0) of d to doc, within g. */
static bool read_page(fz_context *ctx, fz_document *d, int i, Guard *g, DocText *doc, Error *err)
{
    fz_page *page = NULL;
    fz_stext_page *text = NULL;
    fz_device *dev = NULL, *guard = NULL;
    SpanText s = {.box = fz_empty_rect};
    bool ok = false, oom = false;
    int caught = FZ_ERROR_NONE;
    char message[256] = "";
    fz_stext_options opts = {.flags = 0};

    fz_var(page);
    fz_var(text);
    fz_var(dev);
    fz_var(guard);
    fz_var(ok);
    fz_var(oom);
    fz_var(caught);
    guard_start(g, true);
    fz_try(ctx)
    {
        page = fz_load_page(ctx, d, i);
        fz_rect bounds = fz_bound_page(ctx, page);
        text = fz_new_stext_page(ctx, bounds);
        dev = fz_new_stext_device(ctx, text, &opts);
        guard = new_guard_device(ctx, dev, g);
        /* The page's contents, as fz_new_stext_page_from_page runs them
         * (no annotations), but with the cookie. */
        fz_run_page_contents(ctx, page, guard, fz_identity, &g->cookie);
        fz_close_device(ctx, guard);
        if (!g->cookie.abort) {
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
    }
    fz_always(ctx)
    {
        fz_drop_device(ctx, guard);
        fz_drop_device(ctx, dev);
        fz_drop_stext_page(ctx, text);
        fz_drop_page(ctx, page);
    }
    fz_catch(ctx)
    {
        caught = fz_caught(ctx);
        snprintf(message, sizeof message, "%s", fz_caught_message(ctx));
        ok = false;
    }
    guard_end(g);
    free(s.text);
    if (ok)
        return true;
    if (g->stopped)
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_STOPPED, "stopped on page %d", i + 1);
    else if (too_complex(g, caught))
        set_too_complex(g, err, i + 1);
    else if (oom)
        error_set(err, 500, "out_of_memory", "out of memory");
    else
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_CORRUPT, "page %d cannot be read: %s", i + 1,
                  message[0] != '\0' ? message : "its contents stopped");
    return false;
}

bool doc_read_pdf(const unsigned char *bytes, size_t len, const DocLimits *limits, DocText *doc,
                  Error *err)
{
    static const DocLimits none = {0};
    Guard g = {.limits = limits != NULL ? limits : &none};
    fz_alloc_context alloc = {&g, guard_malloc, guard_realloc, guard_free};
    fz_context *ctx = fz_new_context(&alloc, NULL, PDF_STORE_BYTES);
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
    guard_start(&g, false);
    fz_try(ctx)
    {
        buf = fz_new_buffer_from_shared_data(ctx, bytes, len);
        stream = fz_open_buffer(ctx, buf);
        /* The PDF reader itself, not fz_open_document's table of every
         * format: only PDF code runs on these bytes. */
        d = (fz_document *)pdf_open_document_with_stream(ctx, stream);
        if (!fz_needs_password(ctx, d))
            pages = fz_count_pages(ctx, d);
    }
    fz_catch(ctx)
    {
        guard_end(&g);
        if (too_complex(&g, fz_caught(ctx)))
            set_too_complex(&g, err, 0);
        else
            error_set(err, DOC_ERROR_STATUS, DOC_ERR_CORRUPT, "the PDF cannot be read: %s",
                      fz_caught_message(ctx));
        goto done;
    }
    guard_end(&g);
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
        if (!read_page(ctx, d, i, &g, doc, err))
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
    if (title[0] != '\0' && utf8_valid(title) && (doc->title = strdup(title)) == NULL) {
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
