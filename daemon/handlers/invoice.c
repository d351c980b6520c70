/* SPDX-License-Identifier: MIT */
/* invoice.c - the fields of an invoice (invoice.h). */
#include "invoice.h"

#include <stdlib.h>
#include <string.h>

#include "invoice_text.h"

void invoice_init(Invoice *inv)
{
    memset(inv, 0, sizeof(*inv));
}

void invoice_free(Invoice *inv)
{
    free(inv->items);
    invoice_init(inv);
}

void invoice_add_rate(Invoice *inv, long long rate)
{
    if (rate < 0 || rate > 100LL * INVOICE_SCALE || inv->nrates == INVOICE_MAX_RATES)
        return;
    for (size_t i = 0; i < inv->nrates; i++) {
        if (inv->rates[i] == rate)
            return;
    }
    size_t at = inv->nrates;
    while (at > 0 && inv->rates[at - 1] < rate) {
        inv->rates[at] = inv->rates[at - 1];
        at--;
    }
    inv->rates[at] = rate;
    inv->nrates++;
}

InvoiceItem *invoice_add_item(Invoice *inv)
{
    if (inv->nitems == INVOICE_MAX_ITEMS)
        return NULL;
    if (inv->nitems == inv->items_cap) {
        size_t cap = inv->items_cap != 0 ? inv->items_cap * 2 : 8;
        InvoiceItem *items = realloc(inv->items, cap * sizeof(*items));
        if (items == NULL)
            return NULL;
        inv->items = items;
        inv->items_cap = cap;
    }
    InvoiceItem *it = &inv->items[inv->nitems++];
    memset(it, 0, sizeof(*it));
    return it;
}

bool invoice_is_italian(const Invoice *inv)
{
    if (inv->supplier_vat[0] != '\0')
        return invoice_vat_is_italian(inv->supplier_vat);
    return inv->language == LANG_IT;
}

static bool trim_byte(char c)
{
    return c == ' ' || c == '\t' || c == ':' || c == ',' || c == ';';
}

void invoice_copy_text(char *dst, size_t size, const char *src, size_t len)
{
    size_t n = 0;

    while (len > 0 && trim_byte(src[0])) {
        src++;
        len--;
    }
    while (len > 0 && trim_byte(src[len - 1]))
        len--;
    /* whole characters only, and only well-formed ones: a byte that is
     * not UTF-8 becomes '?', so that a result is always valid JSON text */
    for (size_t i = 0; i < len && src[i] != '\0';) {
        size_t k = invoice_utf8_valid(src, len, i);
        if (k == 0) {
            if (n + 1 >= size)
                break;
            dst[n++] = '?';
            i++;
            continue;
        }
        if (n + k >= size)
            break;
        memcpy(dst + n, src + i, k);
        n += k;
        i += k;
    }
    dst[n] = '\0';
}
