/* SPDX-License-Identifier: MIT */
/*
 * doc_markdown.h - a DocText (doc_text.h) as Markdown: headings, lists,
 * tables and paragraphs, page by page.
 *
 * Where the format marks structure (HTML) it is taken as marked.  Where
 * only layout is known (PDF), it is inferred:
 *   heading    a line whose font is at least DOC_HEADING_RATIO times the
 *              body size (the size most characters have); level 1 for
 *              the largest such size, 2 for the next, and so on; or a
 *              bold line of body size alone in its block, shorter than a
 *              sentence and not ending in a full stop (a run-in section
 *              title), one level below the sized ones
 *   list item  a line starting with a bullet (• · ◦ ▪ - * –) or a number
 *              or letter followed by "." or ")" and a space
 *   table      two or more consecutive lines with the same number (two
 *              or more) of spans, the first row the header
 *   paragraph  the other lines of one block, joined; a word broken by a
 *              hyphen at a line's end is joined again
 * A laid-out page's first or last line that is only a page number ("7",
 * "- 7 -", "Page 7") is left out.
 * Plain text keeps its lines and blank-line blocks, with list items
 * recognized the same way.
 */
#ifndef PGJOB_DOC_MARKDOWN_H
#define PGJOB_DOC_MARKDOWN_H

#include <jansson.h>

#include "doc_text.h"

/* A heading's font is at least this many times the body's. */
#define DOC_HEADING_RATIO 1.15

/* DocStyle is what the inference needs to know of the whole document. */
typedef struct DocStyle {
    double body_size;  /* the font size of most characters; 0 without layout */
    double heading[6]; /* distinct heading sizes, largest first */
    int nheading;      /* entries in heading */
} DocStyle;

/* doc_style measures doc's body and heading sizes. */
void doc_style(const DocText *doc, DocStyle *style);

/* doc_markdown_page returns page as new Markdown text (free() it), or
 * NULL when out of memory.  When headings is an array, each heading found
 * is appended to it as {"page": n, "level": l, "text": "..."}; tables
 * counts the tables written (may be NULL). */
char *doc_markdown_page(const DocPage *page, const DocStyle *style, json_t *headings,
                        size_t *tables);

#endif
