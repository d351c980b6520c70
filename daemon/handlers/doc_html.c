/* SPDX-License-Identifier: MIT */
/*
 * doc_html.c - the HTML reader of doc_text.h, on libxml2's HTML parser
 * (which recovers from broken markup the way browsers do).  An HTML
 * document is one page without layout; its elements say what each line
 * is: h1..h6 headings, li list items (nesting depth, ordered or not), tr
 * table rows (one span per cell), and block elements (p, div, br...)
 * end a line.  script, style, template and the head's content but its
 * title carry no text.
 */
#include "doc_build.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

/* Deeper elements than this are read as if flat (libxml2 stops at 256). */
enum { MAX_DEPTH = 200 };

/* Walk is the state of one reading. */
typedef struct Walk {
    DocPage *page;
    char *buf; /* the text of the line being gathered */
    size_t len, cap;
    DocLineKind kind; /* of the line being gathered */
    int level;
    bool ordered;
    int block;
    int list_depth;
    bool oom;
} Walk;

static const char *const skipped[] = {"script", "style", "template", "noscript", "head", NULL};
static const char *const blocks[] = {
    "p",       "div",  "br",  "hr",      "section",    "article", "header",     "footer", "nav",
    "aside",   "main", "pre", "address", "blockquote", "dd",      "dt",         "dl",     "figure",
    "caption", "ul",   "ol",  "form",    "fieldset",   "legend",  "figcaption", NULL};

static bool named(const xmlNode *n, const char *const *names)
{
    for (; *names != NULL; names++)
        if (strcasecmp((const char *)n->name, *names) == 0)
            return true;
    return false;
}

static bool is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcasecmp((const char *)n->name, name) == 0;
}

static void put(Walk *w, const char *s, size_t n)
{
    if (w->oom || n == 0)
        return;
    if (w->len + n + 2 > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n + 2)
            cap *= 2;
        char *p = realloc(w->buf, cap);
        if (p == NULL) {
            w->oom = true;
            return;
        }
        w->buf = p;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* flush ends the line being gathered (if it has text) and starts a plain
 * one in a new block. */
static void flush(Walk *w)
{
    if (w->len > 0 && !w->oom) {
        DocLine *line = doc_add_line(w->page, w->kind, w->level, w->block);
        if (line == NULL || !doc_add_span(line, w->buf, w->len, (DocBox){0, 0, 0, 0}, 0, false))
            w->oom = true;
        else if (line->nspans > 0)
            w->block++;
        if (line != NULL)
            line->ordered = w->ordered;
    }
    w->len = 0;
    w->kind = DOC_LINE_TEXT;
    w->level = 0;
    w->ordered = false;
}

static void walk(Walk *w, xmlNode *n, int depth);

/* text_of gathers the text under n into w's buffer, without structure
 * (a table cell, a heading). */
static void text_of(Walk *w, xmlNode *n, int depth)
{
    for (xmlNode *c = n->children; c != NULL && !w->oom; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            put(w, (const char *)c->content, strlen((const char *)c->content));
        } else if (c->type == XML_ELEMENT_NODE && !named(c, skipped) && depth < MAX_DEPTH) {
            put(w, " ", 1);
            text_of(w, c, depth + 1);
            put(w, " ", 1);
        }
    }
}

static void table_row(Walk *w, xmlNode *tr, int depth)
{
    DocLine *line;
    bool header = true;

    flush(w);
    line = doc_add_line(w->page, DOC_LINE_TABLE_ROW, 0, w->block);
    if (line == NULL) {
        w->oom = true;
        return;
    }
    for (xmlNode *c = tr->children; c != NULL && !w->oom; c = c->next) {
        if (!is(c, "td") && !is(c, "th"))
            continue;
        header = header && is(c, "th");
        w->len = 0;
        text_of(w, c, depth + 1);
        /* line stays put: only spans are added until the row ends. */
        if (!w->oom &&
            !doc_add_span(line, w->len > 0 ? w->buf : "", w->len, (DocBox){0, 0, 0, 0}, 0, false))
            w->oom = true;
    }
    w->len = 0;
    line->level = header && line->nspans > 0 ? 1 : 0;
}

static void table(Walk *w, xmlNode *n, int depth)
{
    for (xmlNode *c = n->children; c != NULL && !w->oom; c = c->next) {
        if (is(c, "tr"))
            table_row(w, c, depth + 1);
        else if (c->type == XML_ELEMENT_NODE && depth < MAX_DEPTH)
            table(w, c, depth + 1); /* thead, tbody, tfoot */
    }
    w->block++;
}

static void element(Walk *w, xmlNode *n, int depth)
{
    const char *name = (const char *)n->name;

    if (named(n, skipped) || depth >= MAX_DEPTH)
        return;
    if (strlen(name) == 2 && (name[0] == 'h' || name[0] == 'H') && name[1] >= '1' &&
        name[1] <= '6') {
        flush(w);
        w->kind = DOC_LINE_HEADING;
        w->level = name[1] - '0';
        text_of(w, n, depth + 1);
        flush(w);
        return;
    }
    if (is(n, "table")) {
        flush(w);
        table(w, n, depth + 1);
        return;
    }
    if (is(n, "li")) {
        bool ordered = n->parent != NULL && is(n->parent, "ol");
        flush(w);
        w->kind = DOC_LINE_LIST_ITEM;
        w->level = w->list_depth > 0 ? w->list_depth : 1;
        w->ordered = ordered;
        /* The item's own text; a nested list inside flushes it first. */
        for (xmlNode *c = n->children; c != NULL && !w->oom; c = c->next) {
            if (c->type == XML_ELEMENT_NODE && (is(c, "ul") || is(c, "ol"))) {
                element(w, c, depth + 1);
            } else if (c->type == XML_ELEMENT_NODE) {
                if (w->kind != DOC_LINE_LIST_ITEM) {
                    w->kind = DOC_LINE_LIST_ITEM;
                    w->level = w->list_depth > 0 ? w->list_depth : 1;
                    w->ordered = ordered;
                }
                text_of(w, c, depth + 1);
                put(w, " ", 1);
            } else if (c->type == XML_TEXT_NODE) {
                if (w->kind != DOC_LINE_LIST_ITEM) {
                    w->kind = DOC_LINE_LIST_ITEM;
                    w->level = w->list_depth > 0 ? w->list_depth : 1;
                    w->ordered = ordered;
                }
                put(w, (const char *)c->content, strlen((const char *)c->content));
            }
        }
        flush(w);
        return;
    }
    bool block = named(n, blocks);
    bool list = is(n, "ul") || is(n, "ol");
    if (block)
        flush(w);
    w->list_depth += list;
    walk(w, n, depth + 1);
    w->list_depth -= list;
    if (block)
        flush(w);
}

static void walk(Walk *w, xmlNode *n, int depth)
{
    for (xmlNode *c = n->children; c != NULL && !w->oom; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
            put(w, (const char *)c->content, strlen((const char *)c->content));
        else if (c->type == XML_ELEMENT_NODE)
            element(w, c, depth);
    }
}

/* find_title returns the text of the first <title>, or NULL. */
static xmlNode *find_title(xmlNode *n, int depth)
{
    for (xmlNode *c = n; c != NULL && depth < MAX_DEPTH; c = c->next) {
        if (is(c, "title"))
            return c;
        if (is(c, "body"))
            continue;
        xmlNode *t = c->type == XML_ELEMENT_NODE ? find_title(c->children, depth + 1) : NULL;
        if (t != NULL)
            return t;
    }
    return NULL;
}

void doc_html_init(void)
{
    xmlInitParser();
}

bool doc_read_html(const unsigned char *bytes, size_t len, const DocLimits *limits, DocText *doc,
                   Error *err)
{
    Walk w = {0};
    htmlDocPtr html;
    xmlNode *root, *title;

    (void)limits;
    if (len > (size_t)INT32_MAX) {
        error_set(err, 413, DOC_ERR_TOO_LARGE, "the document is too large");
        return false;
    }
    /* No network, no entities from outside; errors are recovered from,
     * not printed.  No encoding forced: the parser takes it from a BOM or
     * <meta charset>, else reads UTF-8 (and Latin-1 when the bytes are
     * not UTF-8). */
    html = htmlReadMemory((const char *)bytes, (int)len, NULL, NULL,
                          HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                              HTML_PARSE_NOWARNING | HTML_PARSE_COMPACT);
    if (html == NULL) {
        error_set(err, DOC_ERROR_STATUS, DOC_ERR_CORRUPT, "the HTML cannot be parsed");
        return false;
    }
    root = xmlDocGetRootElement(html);
    w.page = doc_add_page(doc, 0, 0);
    if (w.page == NULL) {
        xmlFreeDoc(html);
        error_set(err, 500, "out_of_memory", "out of memory");
        return false;
    }
    if (root != NULL && (title = find_title(root, 0)) != NULL) {
        text_of(&w, title, 0);
        if (!w.oom && w.len > 0) {
            DocLine tmp = {0};
            /* Through a span, to get its spaces folded like the text's. */
            if (!doc_add_span(&tmp, w.buf, w.len, (DocBox){0, 0, 0, 0}, 0, false))
                w.oom = true;
            else if (tmp.nspans > 0)
                doc->title = tmp.spans[0].text;
            free(tmp.spans);
        }
        w.len = 0;
    }
    if (root != NULL && !w.oom) {
        if (is(root, "html") || is(root, "body"))
            walk(&w, root, 0);
        else
            element(&w, root, 0);
        flush(&w);
    }
    free(w.buf);
    xmlFreeDoc(html);
    if (w.oom) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return false;
    }
    return true;
}
