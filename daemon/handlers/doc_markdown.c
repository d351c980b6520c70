/* SPDX-License-Identifier: MIT */
/*
 * doc_markdown.c - Markdown from a DocText: the rules are in
 * doc_markdown.h.  Each line is classified once (heading, list item,
 * table row, text), then runs of lines become blocks of Markdown.
 */
#include "doc_markdown.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Sizes are compared in half points. */
#define SIZE_STEP 0.5
/* A run-in heading is shorter than this many bytes. */
enum { RUN_IN_MAX = 90, HIST_MAX = 400 };

/* ---- the style ------------------------------------------------------- */

static int size_bin(double size)
{
    int b = (int)(size / SIZE_STEP + 0.5);
    return b < 0 ? 0 : b >= HIST_MAX ? HIST_MAX - 1 : b;
}

void doc_style(const DocText *doc, DocStyle *style)
{
    size_t *hist = calloc(HIST_MAX, sizeof(size_t));
    int body = 0;

    memset(style, 0, sizeof *style);
    if (hist == NULL || !doc->has_layout) {
        free(hist);
        return;
    }
    for (size_t p = 0; p < doc->npages; p++)
        for (size_t i = 0; i < doc->pages[p].nlines; i++) {
            const DocLine *l = &doc->pages[p].lines[i];
            for (size_t s = 0; s < l->nspans; s++)
                hist[size_bin(l->spans[s].font_size)] += strlen(l->spans[s].text);
        }
    for (int b = 1; b < HIST_MAX; b++)
        if (hist[b] > hist[body])
            body = b;
    style->body_size = body * SIZE_STEP;
    /* Heading sizes: the distinct sizes above the ratio, largest first. */
    for (int b = HIST_MAX - 1; b > body && style->nheading < 6; b--)
        if (hist[b] > 0 && b * SIZE_STEP >= style->body_size * DOC_HEADING_RATIO)
            style->heading[style->nheading++] = b * SIZE_STEP;
    free(hist);
}

/* ---- the output buffer ------------------------------------------------ */

typedef struct Buf {
    char *s;
    size_t len, cap;
    bool oom;
} Buf;

static void put(Buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void puts_(Buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* put_cell writes s with the characters that would end a cell escaped. */
static void put_cell(Buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '|')
            put(b, "\\|", 2);
        else
            put(b, s, 1);
    }
}

/* ---- classifying lines ------------------------------------------------ */

typedef enum Kind { K_TEXT, K_HEADING, K_LIST, K_ROW, K_SKIP } Kind;

typedef struct Class {
    Kind kind;
    int level;        /* heading level; list depth */
    bool ordered;     /* list */
    const char *text; /* the text without a list marker */
    char marker[16];  /* an ordered item's number, as written ("3.") */
} Class;

/* bullet_len is the length of the bullet that starts s followed by a
 * space, or 0. */
static size_t bullet_len(const char *s)
{
    static const char *const bullets[] = {
        "\xe2\x80\xa2", "\xc2\xb7", "\xe2\x97\xa6", "\xe2\x96\xaa", "\xe2\x80\x93", "-", "*",
        "\xe2\x96\xa0", NULL};
    for (int i = 0; bullets[i] != NULL; i++) {
        size_t n = strlen(bullets[i]);
        if (strncmp(s, bullets[i], n) == 0 && s[n] == ' ')
            return n + 1;
    }
    return 0;
}

/* number_len is the length of "12. " or "b) " that starts s, or 0; the
 * number (with its dot or parenthesis) goes to marker. */
static size_t number_len(const char *s, char marker[16])
{
    size_t n = 0;

    while (n < 4 && isdigit((unsigned char)s[n]))
        n++;
    if (n == 0 && islower((unsigned char)s[0]) && (s[1] == ')' || s[1] == '.'))
        n = 1;
    if (n == 0 || (s[n] != '.' && s[n] != ')') || s[n + 1] != ' ')
        return 0;
    memcpy(marker, s, n);
    marker[n] = '.';
    marker[n + 1] = '\0';
    return n + 2;
}

static int size_level(const DocStyle *st, double size)
{
    for (int i = 0; i < st->nheading; i++)
        if (size >= st->heading[i] - SIZE_STEP / 2)
            return i + 1;
    return 0;
}

/* alone says whether line i is the only line of its block on the page. */
static bool alone(const DocPage *page, size_t i)
{
    int b = page->lines[i].block;
    return (i == 0 || page->lines[i - 1].block != b) &&
           (i + 1 == page->nlines || page->lines[i + 1].block != b);
}

/* page_number says whether text is a bare page number: "7", "- 7 -",
 * "-7-", "Page 7", "7/12". */
static bool page_number(const char *text)
{
    const char *p = text;
    bool digits = false;

    if (strncmp(p, "Page ", 5) == 0 || strncmp(p, "page ", 5) == 0)
        p += 5;
    for (; *p != '\0'; p++) {
        if (isdigit((unsigned char)*p))
            digits = true;
        else if (*p != '-' && *p != ' ' && *p != '/')
            return false;
    }
    return digits;
}

static void classify(const DocPage *page, size_t i, const DocStyle *st, Class *c)
{
    const DocLine *l = &page->lines[i];
    size_t n;

    memset(c, 0, sizeof *c);
    c->text = l->text;
    switch (l->kind) {
        case DOC_LINE_HEADING:
            c->kind = K_HEADING;
            c->level = l->level;
            return;
        case DOC_LINE_LIST_ITEM:
            c->kind = K_LIST;
            c->level = l->level > 0 ? l->level : 1;
            c->ordered = l->ordered;
            snprintf(c->marker, sizeof c->marker, "1.");
            return;
        case DOC_LINE_TABLE_ROW:
            c->kind = K_ROW;
            return;
        case DOC_LINE_TEXT:
            break;
    }
    /* A page number heading or footing a laid-out page is no content. */
    if (st->body_size > 0 && (i == 0 || i + 1 == page->nlines) && page->nlines > 1 &&
        page_number(l->text)) {
        c->kind = K_SKIP;
        return;
    }
    if (l->nspans >= 2) {
        c->kind = K_ROW;
        return;
    }
    if (st->body_size > 0) {
        int level =
            l->font_size >= st->body_size * DOC_HEADING_RATIO ? size_level(st, l->font_size) : 0;
        size_t len = strlen(l->text);
        if (level > 0 && len < 200) {
            c->kind = K_HEADING;
            c->level = level;
            return;
        }
        if (l->bold && len < RUN_IN_MAX && alone(page, i) && l->text[len - 1] != '.' &&
            l->font_size < st->body_size * DOC_HEADING_RATIO) {
            c->kind = K_HEADING;
            c->level = st->nheading + 1 > 6 ? 6 : st->nheading + 1;
            return;
        }
    }
    if ((n = bullet_len(l->text)) > 0) {
        c->kind = K_LIST;
        c->level = 1;
        c->text = l->text + n;
        return;
    }
    if ((n = number_len(l->text, c->marker)) > 0) {
        c->kind = K_LIST;
        c->level = 1;
        c->ordered = true;
        c->text = l->text + n;
        return;
    }
    c->kind = K_TEXT;
}

/* ---- writing ----------------------------------------------------------- */

static void heading(Buf *b, const Class *c, int page_number, json_t *headings)
{
    static const char hashes[] = "######";
    int level = c->level < 1 ? 1 : c->level > 6 ? 6 : c->level;

    put(b, hashes, (size_t)level);
    put(b, " ", 1);
    puts_(b, c->text);
    puts_(b, "\n\n");
    if (headings != NULL &&
        json_array_append_new(headings, json_pack("{s:i, s:i, s:s}", "page", page_number, "level",
                                                  level, "text", c->text)) != 0)
        b->oom = true;
}

/* table writes the rows [from, to) of page, the first as the header. */
static void table(Buf *b, const DocPage *page, size_t from, size_t to)
{
    size_t cols = 0;

    for (size_t i = from; i < to; i++)
        if (page->lines[i].nspans > cols)
            cols = page->lines[i].nspans;
    for (size_t i = from; i < to; i++) {
        const DocLine *l = &page->lines[i];
        put(b, "|", 1);
        for (size_t k = 0; k < cols; k++) {
            put(b, " ", 1);
            if (k < l->nspans)
                put_cell(b, l->spans[k].text);
            put(b, " |", 2);
        }
        put(b, "\n", 1);
        if (i == from) {
            put(b, "|", 1);
            for (size_t k = 0; k < cols; k++)
                put(b, " --- |", 6);
            put(b, "\n", 1);
        }
    }
    put(b, "\n", 1);
}

/* paragraph writes lines [from, to) joined, a hyphen at a line's end
 * before a lower-case letter taken as a broken word. */
static void paragraph(Buf *b, const DocPage *page, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        const char *t = page->lines[i].text;
        size_t n = strlen(t);
        bool broken = i + 1 < to && n > 1 && t[n - 1] == '-' && isalpha((unsigned char)t[n - 2]) &&
                      islower((unsigned char)page->lines[i + 1].text[0]);
        put(b, t, broken ? n - 1 : n);
        if (i + 1 < to && !broken)
            put(b, " ", 1);
    }
    put(b, "\n\n", 2);
}

char *doc_markdown_page(const DocPage *page, const DocStyle *style, json_t *headings,
                        size_t *tables)
{
    Buf b = {0};
    Class *cls = calloc(page->nlines + 1, sizeof(Class));
    size_t i = 0;

    if (tables != NULL)
        *tables = 0;
    if (cls == NULL)
        return NULL;
    for (size_t k = 0; k < page->nlines; k++)
        classify(page, k, style, &cls[k]);
    put(&b, "", 0);
    while (i < page->nlines && !b.oom) {
        const Class *c = &cls[i];
        size_t j = i + 1;
        switch (c->kind) {
            case K_HEADING:
                heading(&b, c, page->number, headings);
                break;
            case K_LIST:
                /* One list; a switch between bullets and numbers at the same
                 * depth starts another. */
                while (j < page->nlines && cls[j].kind == K_LIST &&
                       (cls[j].level != c->level || cls[j].ordered == c->ordered))
                    j++;
                for (size_t k = i; k < j; k++) {
                    for (int d = 1; d < cls[k].level; d++)
                        puts_(&b, "  ");
                    puts_(&b, cls[k].ordered ? cls[k].marker : "-");
                    put(&b, " ", 1);
                    puts_(&b, cls[k].text);
                    put(&b, "\n", 1);
                }
                put(&b, "\n", 1);
                break;
            case K_ROW:
                /* A table: rows of one width (HTML marks its rows; a PDF's
                 * are lines of as many spans). */
                while (j < page->nlines && cls[j].kind == K_ROW &&
                       (page->lines[i].kind == DOC_LINE_TABLE_ROW
                            ? page->lines[j].kind == DOC_LINE_TABLE_ROW
                            : page->lines[j].nspans == page->lines[i].nspans))
                    j++;
                if (j - i >= 2 || page->lines[i].kind == DOC_LINE_TABLE_ROW) {
                    table(&b, page, i, j);
                    if (tables != NULL)
                        (*tables)++;
                } else {
                    paragraph(&b, page, i, j);
                }
                break;
            case K_SKIP:
                break;
            case K_TEXT:
                while (j < page->nlines && cls[j].kind == K_TEXT &&
                       page->lines[j].block == page->lines[i].block)
                    j++;
                paragraph(&b, page, i, j);
                break;
        }
        i = j;
    }
    free(cls);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    /* One newline at the end, not a blank line. */
    while (b.len > 1 && b.s[b.len - 1] == '\n' && b.s[b.len - 2] == '\n')
        b.s[--b.len] = '\0';
    return b.s;
}
