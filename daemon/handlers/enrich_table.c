/* SPDX-License-Identifier: MIT */
/* enrich_table.c builds, indexes, shares and frees merchant tables (see enrich_table.h). */
#include "enrich_table.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich_result.h"
#include "hash.h"

/* Slot is one key of the open-addressing index: where its text is in
 * pool and the row it names. */
typedef struct Slot {
    uint32_t offset; /* into pool, + 1; 0: empty */
    uint32_t len;
    uint32_t row;
} Slot;

struct EnrichTable {
    atomic_size_t refs;
    EnrichMerchant *rows; /* stats.rows of them; strings in text */
    char *text;
    size_t text_used;
    Slot *slots; /* nslots, a power of two at least twice the keys */
    size_t nslots;
    char *pool; /* the keys' bytes */
    size_t pool_used;
    EnrichTableStats stats;
    EnrichCache *cache; /* NULL: none */
};

/* slot_of returns the slot holding key, or the empty slot where it goes. */
static Slot *slot_of(const EnrichTable *t, const char *key, size_t len)
{
    size_t i = (size_t)(hash_bytes(key, len) & (t->nslots - 1));

    for (;;) {
        Slot *s = &t->slots[i];
        if (s->offset == 0 || (s->len == len && memcmp(t->pool + s->offset - 1, key, len) == 0))
            return s;
        i = (i + 1) & (t->nslots - 1);
    }
}

static const char *str(const char *s)
{
    return s != NULL ? s : "";
}

/* KeyIter walks the keys of a row: its name, then each alias. */
typedef struct KeyIter {
    const EnrichMerchant *m;
    const char *next; /* the aliases left; NULL before the name */
    bool done;
    const char *text; /* the spelling of the current key */
    size_t text_len;
} KeyIter;

/* key_next computes the next key of the row into key (ENRICH_KEY_MAX + 1
 * bytes) and returns its length, 0 for a spelling that has no key; false
 * at the end. */
static bool key_next(KeyIter *it, char *key, size_t *len)
{
    if (it->done)
        return false;
    if (it->next == NULL) {
        it->text = str(it->m->name);
        it->text_len = strlen(it->text);
        it->next = str(it->m->aliases);
    } else {
        if (*it->next == '\0') {
            it->done = true;
            return false;
        }
        it->text = it->next;
        it->text_len = strcspn(it->next, "|");
        it->next += it->text_len;
        if (*it->next == '|')
            it->next++;
    }
    *len = enrich_merchants_key(it->text, it->text_len, key);
    return true;
}

static bool mcc_ok(const char *mcc)
{
    return mcc[0] == '\0' || (strlen(mcc) == 4 && strspn(mcc, "0123456789") == 4);
}

static bool channel_ok(const char *channel)
{
    return strcmp(channel, "online") == 0 || strcmp(channel, "in_store") == 0 ||
           strcmp(channel, "transfer") == 0 || strcmp(channel, "any") == 0;
}

/* problem counts and reports a skipped row. */
__attribute__((format(printf, 4, 5))) static void problem(EnrichTable *t, EnrichReportFn report,
                                                          void *arg, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    t->stats.skipped++;
    if (report == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    report(arg, msg);
}

/* check_row says whether m may be added; reports why not. */
static bool check_row(EnrichTable *t, const EnrichMerchant *m, EnrichReportFn report, void *arg)
{
    const char *name = str(m->name);
    EnrichCategory c;
    KeyIter it = {.m = m};
    char key[ENRICH_KEY_MAX + 1];
    size_t len, usable = 0;

    if (name[0] == '\0') {
        problem(t, report, arg, "a merchant with an empty name skipped");
        return false;
    }
    if (!enrich_category_parse(str(m->category), &c)) {
        problem(t, report, arg, "merchant \"%s\" skipped: unknown category \"%s\"", name,
                str(m->category));
        return false;
    }
    if (!mcc_ok(str(m->mcc)) || !channel_ok(str(m->channel))) {
        problem(t, report, arg, "merchant \"%s\" skipped: mcc \"%s\" or channel \"%s\" invalid",
                name, str(m->mcc), str(m->channel));
        return false;
    }
    while (key_next(&it, key, &len)) {
        if (len == 0)
            continue;
        usable++;
        const Slot *s = slot_of(t, key, len);
        if (s->offset != 0 && t->rows[s->row].operator_row == m->operator_row) {
            int shown = (int)(it.text_len < 96 ? it.text_len : 96);
            problem(t, report, arg,
                    "merchant \"%s\" skipped: \"%.*s\" has the key of merchant \"%s\"", name, shown,
                    it.text, t->rows[s->row].name);
            return false;
        }
    }
    if (usable == 0) {
        problem(t, report, arg,
                "merchant \"%s\" skipped: neither its name nor an alias makes a key (letters "
                "or digits, at most %d)",
                name, ENRICH_KEY_MAX);
        return false;
    }
    return true;
}

/* copy_str copies s into the table's text and returns the copy. */
static const char *copy_str(EnrichTable *t, const char *s)
{
    size_t n = strlen(str(s)) + 1;
    char *dst = t->text + t->text_used;

    memcpy(dst, str(s), n);
    t->text_used += n;
    return dst;
}

/* seen_before says whether a spelling before the current one of it has
 * the same key (a name that is also an alias), so that a key is counted
 * once per row. */
static bool seen_before(const KeyIter *it, const char *key, size_t len)
{
    KeyIter again = {.m = it->m};
    char other[ENRICH_KEY_MAX + 1];
    size_t n;

    while (key_next(&again, other, &n) && again.text != it->text) {
        if (n == len && memcmp(other, key, len) == 0)
            return true;
    }
    return false;
}

/* add_row copies m into the table and indexes its keys. */
static void add_row(EnrichTable *t, const EnrichMerchant *m)
{
    uint32_t row = (uint32_t)t->stats.rows;
    EnrichMerchant *dst = &t->rows[row];
    KeyIter it = {.m = dst};
    char key[ENRICH_KEY_MAX + 1];
    size_t len;

    *dst = (EnrichMerchant){
        .name = copy_str(t, m->name),
        .domain = copy_str(t, m->domain),
        .category = copy_str(t, m->category),
        .mcc = copy_str(t, m->mcc),
        .subscription = m->subscription,
        .channel = copy_str(t, m->channel),
        .aliases = copy_str(t, m->aliases),
        .operator_row = m->operator_row,
    };
    t->stats.rows++;
    t->stats.operator+= m->operator_row;
    while (key_next(&it, key, &len)) {
        if (len == 0)
            continue;
        Slot *s = slot_of(t, key, len);
        if (s->offset != 0) {
            /* The row's own repeated key, or an operator row's (checked). */
            t->stats.overridden += s->row != row && !seen_before(&it, key, len);
            continue;
        }
        memcpy(t->pool + t->pool_used, key, len);
        *s = (Slot){.offset = (uint32_t)t->pool_used + 1, .len = (uint32_t)len, .row = row};
        t->pool_used += len;
        t->stats.keys++;
    }
}

/* sizes computes upper bounds of the keys, key bytes and text of rows. */
static void sizes(const EnrichMerchant *rows, size_t n, size_t *keys, size_t *pool, size_t *text)
{
    *keys = *pool = *text = 0;
    for (size_t i = 0; i < n; i++) {
        const EnrichMerchant *m = &rows[i];
        const char *a = str(m->aliases);
        *keys += 1;
        for (const char *p = a; *p != '\0'; p++)
            *keys += *p == '|';
        *keys += a[0] != '\0';
        *pool += strlen(str(m->name)) + strlen(a);
        *text += strlen(str(m->name)) + strlen(str(m->domain)) + strlen(str(m->category)) +
                 strlen(str(m->mcc)) + strlen(str(m->channel)) + strlen(a) + 6;
    }
}

static void table_free(EnrichTable *t)
{
    if (t == NULL)
        return;
    enrich_cache_free(t->cache);
    free(t->rows);
    free(t->text);
    free(t->slots);
    free(t->pool);
    free(t);
}

EnrichTable *enrich_table_new(const EnrichMerchant *rows, size_t n, size_t cache_entries,
                              EnrichReportFn report, void *arg)
{
    EnrichTable *t = calloc(1, sizeof(*t));
    size_t keys, pool, text;

    if (t == NULL || n >= UINT32_MAX)
        goto fail;
    atomic_init(&t->refs, 1);
    sizes(rows, n, &keys, &pool, &text);
    if (keys > UINT32_MAX / 4 || pool >= UINT32_MAX)
        goto fail;
    t->nslots = 16;
    while (t->nslots < 2 * keys)
        t->nslots *= 2;
    t->slots = calloc(t->nslots, sizeof(Slot));
    t->rows = calloc(n + 1, sizeof(EnrichMerchant));
    t->pool = malloc(pool + 1);
    t->text = malloc(text + 1);
    if (t->slots == NULL || t->rows == NULL || t->pool == NULL || t->text == NULL)
        goto fail;
    if (cache_entries > 0 && (t->cache = enrich_cache_new(cache_entries)) == NULL)
        goto fail;
    /* Operator rows first: their keys win over shipped rows'. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            if (rows[i].operator_row == (pass == 0) && check_row(t, &rows[i], report, arg))
                add_row(t, &rows[i]);
        }
    }
    return t;
fail:
    table_free(t);
    return NULL;
}

EnrichTable *enrich_table_embedded(size_t cache_entries, EnrichReportFn report, void *arg)
{
    return enrich_table_new(enrich_merchants, enrich_merchants_count, cache_entries, report, arg);
}

static EnrichTable *default_table;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void build_default(void)
{
    default_table = enrich_table_embedded(0, NULL, NULL);
}

EnrichTable *enrich_table_default(void)
{
    pthread_once(&default_once, build_default);
    return default_table;
}

EnrichTable *enrich_table_ref(EnrichTable *t)
{
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void enrich_table_unref(EnrichTable *t)
{
    /* acq_rel: every use of the table by the other holders happens before
     * the free. */
    if (t != NULL && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
        table_free(t);
}

int enrich_table_find(const EnrichTable *t, const char *key, size_t len)
{
    const Slot *s;

    if (len == 0 || len > ENRICH_KEY_MAX)
        return -1;
    s = slot_of(t, key, len);
    return s->offset != 0 ? (int)s->row : -1;
}

const EnrichMerchant *enrich_table_row(const EnrichTable *t, int i)
{
    return &t->rows[i];
}

void enrich_table_stats(const EnrichTable *t, EnrichTableStats *st)
{
    *st = t->stats;
}

EnrichCache *enrich_table_cache(const EnrichTable *t)
{
    return t->cache;
}

bool enrich_slot_init(EnrichSlot *s)
{
    s->table = NULL;
    return pthread_mutex_init(&s->lock, NULL) == 0;
}

void enrich_slot_destroy(EnrichSlot *s)
{
    enrich_table_unref(s->table);
    s->table = NULL;
    pthread_mutex_destroy(&s->lock);
}

EnrichTable *enrich_slot_get(EnrichSlot *s)
{
    EnrichTable *t;

    pthread_mutex_lock(&s->lock);
    t = s->table != NULL ? enrich_table_ref(s->table) : NULL;
    pthread_mutex_unlock(&s->lock);
    return t;
}

void enrich_slot_set(EnrichSlot *s, EnrichTable *t)
{
    EnrichTable *old;

    pthread_mutex_lock(&s->lock);
    old = s->table;
    s->table = t;
    pthread_mutex_unlock(&s->lock);
    enrich_table_unref(old);
}
