/* SPDX-License-Identifier: MIT */
/*
 * handler_extract.c - the "extract" handler (handler_extract.h): read the
 * one document of the job, write its Markdown, pages and metadata.
 */
#include "handler_extract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_job.h"
#include "doc_lang.h"
#include "doc_markdown.h"

/* count_words counts runs of non-space bytes. */
static size_t count_words(const char *s)
{
    size_t n = 0;
    bool in = false;

    for (; *s != '\0'; s++) {
        bool space = *s == ' ' || *s == '\n' || *s == '\t';
        n += !space && !in;
        in = !space;
    }
    return n;
}

/* all_text returns the pages' texts joined (new), or NULL. */
static char *all_text(const DocText *doc, size_t *len)
{
    size_t n = 0;
    char *s, *p;

    for (size_t i = 0; i < doc->npages; i++)
        n += strlen(doc->pages[i].text);
    if ((s = malloc(n + 1)) == NULL)
        return NULL;
    p = s;
    for (size_t i = 0; i < doc->npages; i++) {
        size_t k = strlen(doc->pages[i].text);
        memcpy(p, doc->pages[i].text, k);
        p += k;
    }
    *p = '\0';
    *len = n;
    return s;
}

/* title_of is the document's own title, else its first heading of the
 * highest level, else NULL. */
static const char *title_of(const DocText *doc, const json_t *headings)
{
    const char *best = NULL;
    json_int_t best_level = 7;
    size_t i;
    const json_t *h;

    if (doc->title != NULL && doc->title[0] != '\0')
        return doc->title;
    json_array_foreach(headings, i, h)
    {
        json_int_t level = json_integer_value(json_object_get(h, "level"));
        if (level < best_level) {
            best_level = level;
            best = json_string_value(json_object_get(h, "text"));
        }
    }
    return best;
}

static int set(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v);
}

json_t *extract_output(const DocText *doc, bool pages)
{
    DocStyle style;
    json_t *out = json_object(), *meta = json_object(), *headings = json_array();
    json_t *page_list = pages ? json_array() : NULL;
    size_t total = 0, tables = 0, text_len = 0, words = 0;
    char **md = calloc(doc->npages + 1, sizeof(char *));
    char *text = all_text(doc, &text_len), *joined = NULL;
    int rc = 0;

    if (out == NULL || meta == NULL || headings == NULL || (pages && page_list == NULL) ||
        md == NULL || text == NULL)
        goto fail;
    doc_style(doc, &style);
    for (size_t i = 0; i < doc->npages; i++) {
        size_t t = 0;
        if ((md[i] = doc_markdown_page(&doc->pages[i], &style, headings, &t)) == NULL)
            goto fail;
        tables += t;
        total += strlen(md[i]) + 2;
        words += count_words(doc->pages[i].text);
        if (pages &&
            json_array_append_new(page_list, json_pack("{s:i, s:s}", "page", doc->pages[i].number,
                                                       "text", doc->pages[i].text)) != 0)
            goto fail;
    }
    /* The pages' Markdown, a blank line between two pages. */
    if ((joined = malloc(total + 1)) == NULL)
        goto fail;
    joined[0] = '\0';
    for (size_t i = 0, at = 0; i < doc->npages; i++) {
        size_t k = strlen(md[i]);
        if (k == 0)
            continue;
        if (at > 0) {
            memcpy(joined + at, "\n", 1);
            at += 1;
        }
        memcpy(joined + at, md[i], k + 1);
        at += k;
    }
    const char *title = title_of(doc, headings);
    rc |= set(meta, "type", json_string(doc_type_name(doc->type)));
    rc |= set(meta, "media_type", json_string(doc_media_type(doc->type)));
    rc |= set(meta, "page_count", json_integer((json_int_t)doc->npages));
    rc |= set(meta, "title", title != NULL ? json_string(title) : json_null());
    rc |= set(meta, "language", json_string(doc_lang_guess(text, text_len)));
    rc |= set(meta, "character_count", json_integer((json_int_t)doc->nchars));
    rc |= set(meta, "word_count", json_integer((json_int_t)words));
    rc |= set(meta, "heading_count", json_integer((json_int_t)json_array_size(headings)));
    rc |= set(meta, "table_count", json_integer((json_int_t)tables));
    rc |= set(meta, "has_layout", json_boolean(doc->has_layout));
    rc |= set(out, "metadata", meta);
    meta = NULL;
    rc |= set(out, "markdown", json_string(joined));
    rc |= set(out, "headings", headings);
    headings = NULL;
    if (pages) {
        rc |= set(out, "pages", page_list);
        page_list = NULL;
    }
    if (rc != 0)
        goto fail;
    goto done;
fail:
    json_decref(out);
    out = NULL;
done:
    json_decref(meta);
    json_decref(headings);
    json_decref(page_list);
    for (size_t i = 0; md != NULL && i < doc->npages; i++)
        free(md[i]);
    free(md);
    free(text);
    free(joined);
    return out;
}

/* option_pages reads the item's options.pages (default true). */
static bool option_pages(const json_t *item)
{
    const json_t *options = json_is_object(item) ? json_object_get(item, "options") : NULL;
    const json_t *pages = json_is_object(options) ? json_object_get(options, "pages") : NULL;
    return !json_is_false(pages);
}

static HandlerStatus extract_run(const HandlerContext *ctx, const HandlerJob *job,
                                 HandlerOutput *out, Error *err)
{
    const json_t *item = json_array_get(job->items, 0);
    DocText doc;
    HandlerStatus status;
    json_t *output, *result;

    snprintf(out->model, sizeof out->model, "%s", EXTRACT_MODEL);
    out->cache_hit = 0;
    if (job->items_done >= 1 && json_array_size(out->results) >= 1)
        return ctx->progress(ctx->arg, 1) ? HANDLER_OK : HANDLER_STOPPED;
    status = doc_job_read(ctx, job, ctx->settings, &doc, err);
    if (status != HANDLER_OK)
        return status;
    output = extract_output(&doc, option_pages(item));
    doc_free(&doc);
    result = output != NULL ? handler_item_result(item, output) : NULL;
    if (result == NULL || json_array_append_new(out->results, result) != 0) {
        error_set(err, 500, "out_of_memory", "out of memory writing the extraction");
        return HANDLER_RETRY;
    }
    return ctx->progress(ctx->arg, 1) ? HANDLER_OK : HANDLER_STOPPED;
}

const Handler handler_extract = {.name = "extract", .run = extract_run};
