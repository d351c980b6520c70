/* SPDX-License-Identifier: MIT */
/*
 * doc_text.c - the building of a DocText, which the readers of
 * doc_read.c (plain text), doc_pdf.c and doc_html.c share (doc_build.h).
 */
#include "doc_build.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

/* ---- building ---------------------------------------------------------- */

/* grow makes room for one more element of size in *arr (count *n, room
 * *cap); false when out of memory. */
static bool grow(void **arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return true;
    size_t want = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, want * size);
    if (p == NULL)
        return false;
    *arr = p;
    *cap = want;
    return true;
}

/* The arrays of a DocText keep no room field: they grow from 8 by
 * doubling, so their room is the count rounded up to such a size, which
 * room() recomputes. */
static size_t room(size_t n)
{
    size_t r = 8;
    if (n == 0)
        return 0;
    while (r < n)
        r *= 2;
    return r;
}

DocPage *doc_add_page(DocText *doc, double width, double height)
{
    size_t cap = room(doc->npages);
    void *arr = doc->pages;

    if (!grow(&arr, doc->npages, &cap, sizeof(DocPage)))
        return NULL;
    doc->pages = arr;
    DocPage *p = &doc->pages[doc->npages++];
    memset(p, 0, sizeof *p);
    p->number = (int)doc->npages;
    p->width = width;
    p->height = height;
    return p;
}

DocLine *doc_add_line(DocPage *page, DocLineKind kind, int level, int block)
{
    size_t cap = room(page->nlines);
    void *arr = page->lines;

    if (!grow(&arr, page->nlines, &cap, sizeof(DocLine)))
        return NULL;
    page->lines = arr;
    DocLine *l = &page->lines[page->nlines++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->level = level;
    l->block = block;
    return l;
}

bool doc_add_span(DocLine *line, const char *text, size_t len, DocBox box, double font_size,
                  bool bold)
{
    const char *nul = memchr(text, '\0', len);
    size_t cap = room(line->nspans);
    void *arr = line->spans;
    char *copy;
    size_t n = 0;

    if (nul != NULL)
        len = (size_t)(nul - text);
    while (len > 0 && (unsigned char)text[0] <= ' ') {
        text++;
        len--;
    }
    while (len > 0 && (unsigned char)text[len - 1] <= ' ')
        len--;
    /* An empty cell still holds its column. */
    if (len == 0 && line->kind != DOC_LINE_TABLE_ROW)
        return true;
    copy = malloc(len + 1);
    if (copy == NULL)
        return false;
    /* Runs of spaces and controls become one space. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c <= ' ' || c == 0x7f) {
            if (n > 0 && copy[n - 1] != ' ')
                copy[n++] = ' ';
        } else {
            copy[n++] = (char)c;
        }
    }
    copy[n] = '\0';
    utf8_scrub_n(copy, n); /* a reader may hand over a stray byte */
    if (!grow(&arr, line->nspans, &cap, sizeof(DocSpan))) {
        free(copy);
        return false;
    }
    line->spans = arr;
    line->spans[line->nspans++] =
        (DocSpan){.text = copy, .box = box, .font_size = font_size, .bold = bold};
    return true;
}

/* utf8_count counts the characters of s (its bytes but continuation
 * bytes). */
static size_t utf8_count(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void free_line(DocLine *l)
{
    for (size_t i = 0; i < l->nspans; i++)
        free(l->spans[i].text);
    free(l->spans);
    free(l->text);
}

/* finish_line joins the spans and sums up their boxes and fonts. */
static bool finish_line(DocLine *l)
{
    const char *sep = l->kind == DOC_LINE_TABLE_ROW ? "\t" : " ";
    size_t len = 0;
    char *p;

    for (size_t i = 0; i < l->nspans; i++)
        len += strlen(l->spans[i].text) + 1;
    free(l->text);
    l->text = malloc(len + 1);
    if (l->text == NULL)
        return false;
    p = l->text;
    l->bold = true;
    l->font_size = 0;
    for (size_t i = 0; i < l->nspans; i++) {
        const DocSpan *s = &l->spans[i];
        size_t n = strlen(s->text);
        if (i > 0)
            *p++ = *sep;
        memcpy(p, s->text, n);
        p += n;
        l->bold = l->bold && s->bold;
        if (s->font_size > l->font_size)
            l->font_size = s->font_size;
        if (i == 0) {
            l->box = s->box;
        } else {
            l->box.x0 = s->box.x0 < l->box.x0 ? s->box.x0 : l->box.x0;
            l->box.y0 = s->box.y0 < l->box.y0 ? s->box.y0 : l->box.y0;
            l->box.x1 = s->box.x1 > l->box.x1 ? s->box.x1 : l->box.x1;
            l->box.y1 = s->box.y1 > l->box.y1 ? s->box.y1 : l->box.y1;
        }
    }
    *p = '\0';
    return true;
}

bool doc_finish(DocText *doc)
{
    doc->nchars = 0;
    for (size_t i = 0; i < doc->npages; i++) {
        DocPage *page = &doc->pages[i];
        size_t kept = 0, len = 0;
        for (size_t k = 0; k < page->nlines; k++) {
            if (page->lines[k].nspans == 0) {
                free_line(&page->lines[k]);
                continue;
            }
            page->lines[kept++] = page->lines[k];
        }
        page->nlines = kept;
        for (size_t k = 0; k < page->nlines; k++) {
            if (!finish_line(&page->lines[k]))
                return false;
            len += strlen(page->lines[k].text) + 1;
        }
        free(page->text);
        page->text = malloc(len + 1);
        if (page->text == NULL)
            return false;
        char *p = page->text;
        for (size_t k = 0; k < page->nlines; k++) {
            size_t n = strlen(page->lines[k].text);
            memcpy(p, page->lines[k].text, n);
            p += n;
            *p++ = '\n';
        }
        *p = '\0';
        doc->nchars += utf8_count(page->text);
    }
    return true;
}

/* same_row says whether boxes a and b sit on one baseline, side by side:
 * their vertical middles within a third of the lower one's height, and
 * their horizontal extents apart. */
static bool same_row(DocBox a, DocBox b)
{
    double ha = a.y1 - a.y0, hb = b.y1 - b.y0;
    double h = ha < hb ? ha : hb;
    double ma = (a.y0 + a.y1) / 2, mb = (b.y0 + b.y1) / 2;

    return h > 0 && (ma > mb ? ma - mb : mb - ma) < h / 3 && (a.x1 <= b.x0 || b.x1 <= a.x0);
}

static int by_x(const void *a, const void *b)
{
    double xa = ((const DocSpan *)a)->box.x0, xb = ((const DocSpan *)b)->box.x0;
    return xa < xb ? -1 : xa > xb;
}

/* How many lines back doc_merge_rows looks for a line on the same row. */
enum { MERGE_WINDOW = 64 };

bool doc_merge_rows(DocPage *page)
{
    size_t kept = 0;

    for (size_t i = 0; i < page->nlines; i++) {
        DocLine *l = &page->lines[i];
        DocBox box = l->nspans > 0 ? l->spans[0].box : (DocBox){0, 0, 0, 0};
        size_t into = kept;
        for (size_t k = 1; k < l->nspans; k++) {
            box.x0 = l->spans[k].box.x0 < box.x0 ? l->spans[k].box.x0 : box.x0;
            box.x1 = l->spans[k].box.x1 > box.x1 ? l->spans[k].box.x1 : box.x1;
        }
        for (size_t j = kept; j > 0 && kept - j < MERGE_WINDOW; j--) {
            DocLine *o = &page->lines[j - 1];
            if (o->nspans == 0)
                continue;
            DocBox ob = o->spans[0].box;
            for (size_t k = 1; k < o->nspans; k++) {
                ob.x0 = o->spans[k].box.x0 < ob.x0 ? o->spans[k].box.x0 : ob.x0;
                ob.x1 = o->spans[k].box.x1 > ob.x1 ? o->spans[k].box.x1 : ob.x1;
            }
            if (l->nspans > 0 && same_row(ob, box)) {
                into = j - 1;
                break;
            }
        }
        if (l->nspans == 0 || into == kept) {
            page->lines[kept++] = *l;
            continue;
        }
        DocLine *o = &page->lines[into];
        DocSpan *spans = realloc(o->spans, (o->nspans + l->nspans) * sizeof(DocSpan));
        if (spans == NULL) {
            /* Keep what is merged so far consistent: the rest stays. */
            memmove(&page->lines[kept], l, (page->nlines - i) * sizeof(DocLine));
            page->nlines = kept + (page->nlines - i);
            return false;
        }
        memcpy(spans + o->nspans, l->spans, l->nspans * sizeof(DocSpan));
        o->spans = spans;
        o->nspans += l->nspans;
        qsort(o->spans, o->nspans, sizeof(DocSpan), by_x);
        free(l->spans);
        free(l->text);
    }
    page->nlines = kept;
    return true;
}

void doc_free(DocText *doc)
{
    if (doc == NULL)
        return;
    for (size_t i = 0; i < doc->npages; i++) {
        DocPage *page = &doc->pages[i];
        for (size_t k = 0; k < page->nlines; k++)
            free_line(&page->lines[k]);
        free(page->lines);
        free(page->text);
    }
    free(doc->pages);
    free(doc->title);
    free(doc->plain);
    memset(doc, 0, sizeof *doc);
}
