/* SPDX-License-Identifier: MIT */
/* invoice_score.c - scoring the invoice handler on a labeled corpus (invoice_score.h). */
#include "invoice_score.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "handler_invoice.h"
#include "invoice_confidence.h"
#include "invoice_doc.h"
#include "invoice_extract.h"
#include "invoice_flags.h"
#include "invoice_json.h"
#include "invoice_text.h"

static const char *const names[SCORE_FIELDS] = {
    "invoice_number", "issue_date",   "due_date",   "supplier_name", "supplier_vat",
    "customer_name",  "customer_vat", "currency",   "subtotal",      "tax",
    "vat_rates",      "total",        "line_items", "flags",         "key_fields",
};

const char *invoice_score_name(int f)
{
    return f >= 0 && f < SCORE_FIELDS ? names[f] : "?";
}

/* read_file returns the contents of path (free it), or NULL. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)n, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

static bool same_text(const json_t *want, const json_t *got, bool folded)
{
    if (json_is_null(want) || want == NULL)
        return got == NULL || json_is_null(got);
    if (!json_is_string(got))
        return false;
    if (!folded)
        return strcmp(json_string_value(want), json_string_value(got)) == 0;
    char a[256], b[256];
    invoice_fold_cstr(json_string_value(want), a, sizeof(a));
    invoice_fold_cstr(json_string_value(got), b, sizeof(b));
    return strcmp(a, b) == 0;
}

static bool same_number(const json_t *want, const json_t *got)
{
    if (want == NULL || json_is_null(want))
        return got == NULL || json_is_null(got);
    if (!json_is_number(got))
        return false;
    double d = json_number_value(want) - json_number_value(got);
    return d < 0.005 && d > -0.005;
}

static bool same_rates(const json_t *want, const json_t *got)
{
    size_t i;
    const json_t *w;

    if (json_array_size(want) != json_array_size(got))
        return false;
    json_array_foreach(want, i, w)
    {
        bool found = false;
        for (size_t k = 0; k < json_array_size(got); k++)
            found |= same_number(w, json_array_get(got, k));
        if (!found)
            return false;
    }
    return true;
}

static bool same_items(const json_t *want, const json_t *got)
{
    size_t i;
    const json_t *w;

    if (json_array_size(want) != json_array_size(got))
        return false;
    json_array_foreach(want, i, w)
    {
        const json_t *g = json_array_get(got, i);
        if (!same_text(json_object_get(w, "description"), json_object_get(g, "description"),
                       true) ||
            !same_number(json_object_get(w, "quantity"), json_object_get(g, "quantity")) ||
            !same_number(json_object_get(w, "unit_price"), json_object_get(g, "unit_price")) ||
            !same_number(json_object_get(w, "amount"), json_object_get(g, "amount")))
            return false;
    }
    return true;
}

static unsigned flag_bits(const json_t *codes, bool objects)
{
    unsigned bits = 0;
    size_t i;
    const json_t *c;

    json_array_foreach(codes, i, c)
    {
        const json_t *code = objects ? json_object_get(c, "code") : c;
        bits |=
            invoice_flag_by_code(json_string_value(code) != NULL ? json_string_value(code) : "");
    }
    return bits;
}

static int band_of(double c)
{
    return c < 0.5 ? 0 : c < 0.7 ? 1 : c < 0.9 ? 2 : 3;
}

/* raw_band is the band of a raw score. */
static int raw_band(double r)
{
    return r < 0.4 ? 0 : r < 0.6 ? 1 : r < 0.75 ? 2 : r < 0.9 ? 3 : 4;
}

/* raw_score is the uncalibrated score of text. */
static double raw_score(const char *text, size_t len)
{
    InvoiceText t;
    Invoice inv;
    double r = 0;

    if (!invoice_text_from_plain(text, len, &t))
        return 0;
    if (invoice_extract(&t, &inv)) {
        r = invoice_confidence_score(&inv, invoice_flags_check(&inv));
        invoice_free(&inv);
    }
    invoice_text_free(&t);
    return r;
}

/* score_output scores one extraction's output against its label. */
static void score_output(const char *file, const json_t *out, double confidence, double raw,
                         const json_t *label, bool verbose, InvoiceScore *s)
{
    const json_t *sup = json_object_get(out, "supplier"), *cus = json_object_get(out, "customer");
    bool ok[SCORE_FIELDS];

    ok[SCORE_NUMBER] =
        same_text(json_object_get(label, "number"), json_object_get(out, "invoice_number"), false);
    ok[SCORE_ISSUE_DATE] =
        same_text(json_object_get(label, "issue_date"), json_object_get(out, "issue_date"), false);
    ok[SCORE_DUE_DATE] =
        same_text(json_object_get(label, "due_date"), json_object_get(out, "due_date"), false);
    ok[SCORE_SUPPLIER_NAME] =
        same_text(json_object_get(label, "supplier_name"), json_object_get(sup, "name"), true);
    ok[SCORE_SUPPLIER_VAT] =
        same_text(json_object_get(label, "supplier_vat"), json_object_get(sup, "vat_id"), false);
    ok[SCORE_CUSTOMER_NAME] =
        same_text(json_object_get(label, "customer_name"), json_object_get(cus, "name"), true);
    ok[SCORE_CUSTOMER_VAT] =
        same_text(json_object_get(label, "customer_vat"), json_object_get(cus, "vat_id"), false);
    ok[SCORE_CURRENCY] =
        same_text(json_object_get(label, "currency"), json_object_get(out, "currency"), false);
    ok[SCORE_SUBTOTAL] =
        same_number(json_object_get(label, "subtotal"), json_object_get(out, "subtotal"));
    ok[SCORE_TAX] = same_number(json_object_get(label, "tax"), json_object_get(out, "tax"));
    ok[SCORE_VAT_RATES] =
        same_rates(json_object_get(label, "vat_rates"), json_object_get(out, "vat_rates"));
    ok[SCORE_TOTAL] = same_number(json_object_get(label, "total"), json_object_get(out, "total"));
    ok[SCORE_LINE_ITEMS] =
        same_items(json_object_get(label, "line_items"), json_object_get(out, "line_items"));
    unsigned want = flag_bits(json_object_get(label, "flags"), false);
    unsigned got = flag_bits(json_object_get(out, "validation_flags"), true);
    ok[SCORE_FLAGS] = want == got && out != NULL;
    ok[SCORE_KEY_FIELDS] = ok[SCORE_NUMBER] && ok[SCORE_ISSUE_DATE] && ok[SCORE_SUPPLIER_NAME] &&
                           ok[SCORE_SUBTOTAL] && ok[SCORE_TAX] && ok[SCORE_TOTAL];

    s->invoices++;
    for (int f = 0; f < SCORE_FIELDS; f++) {
        s->right[f] += ok[f];
        if (!ok[f] && verbose && f != SCORE_KEY_FIELDS) {
            char *w = NULL, *g = NULL;
            static const char *const keys[] = {
                "number",        "issue_date",   "due_date",   "supplier_name", "supplier_vat",
                "customer_name", "customer_vat", "currency",   "subtotal",      "tax",
                "vat_rates",     "total",        "line_items", "flags"};
            w = json_dumps(json_object_get(label, keys[f]), JSON_ENCODE_ANY | JSON_COMPACT);
            const json_t *gv = f == SCORE_NUMBER          ? json_object_get(out, "invoice_number")
                               : f == SCORE_SUPPLIER_NAME ? json_object_get(sup, "name")
                               : f == SCORE_SUPPLIER_VAT  ? json_object_get(sup, "vat_id")
                               : f == SCORE_CUSTOMER_NAME ? json_object_get(cus, "name")
                               : f == SCORE_CUSTOMER_VAT  ? json_object_get(cus, "vat_id")
                               : f == SCORE_FLAGS         ? json_object_get(out, "validation_flags")
                                                          : json_object_get(out, keys[f]);
            g = json_dumps(gv, JSON_ENCODE_ANY | JSON_COMPACT);
            fprintf(stderr, "MISS %s %s: want %s got %s\n", file, names[f], w ? w : "?",
                    g ? g : "null");
            free(w);
            free(g);
        }
    }
    for (int k = 0; k < 5; k++) {
        unsigned bit = 1u << k;
        s->flag_tp[k] += (want & bit) && (got & bit);
        s->flag_fn[k] += (want & bit) && !(got & bit);
        s->flag_fp[k] += !(want & bit) && (got & bit);
    }
    int b = band_of(confidence);
    s->band_n[b]++;
    s->band_right[b] += ok[SCORE_KEY_FIELDS];
    /* INVOICE_RAW_DUMP=1: one line per extraction, its raw score and
     * whether its key fields were right, to place the bands of
     * invoice_confidence.c (docs/handlers/invoice.md) */
    if (getenv("INVOICE_RAW_DUMP") != NULL)
        fprintf(stderr, "RAW %.2f %d\n", raw, ok[SCORE_KEY_FIELDS] ? 1 : 0);
    int rb = raw_band(raw);
    s->raw_n[rb]++;
    s->raw_right[rb] += ok[SCORE_KEY_FIELDS];
}

/* score_text scores one labeled invoice's text, read by the handler. */
static void score_text(const char *file, const char *text, size_t len, const json_t *label,
                       bool verbose, InvoiceScore *s)
{
    json_t *item = json_pack("{s:s%}", "text", text, len);
    unsigned flags;
    double confidence;
    json_t *result = handler_invoice_item(item, 0, &flags, &confidence);

    score_output(file, json_object_get(result, "output"), confidence, raw_score(text, len), label,
                 verbose, s);
    json_decref(result);
    json_decref(item);
}

/* score_document scores one labeled invoice read from a document. */
static bool score_document(const char *dir, const char *ext, const json_t *label, bool verbose,
                           InvoiceScore *s)
{
    char path[2048], base[1024];
    const char *file = json_string_value(json_object_get(label, "file"));
    size_t len = 0;
    Invoice inv;
    Error err = {0};

    snprintf(base, sizeof(base), "%s", file != NULL ? file : "");
    char *dot = strrchr(base, '.');
    if (dot != NULL)
        *dot = '\0';
    snprintf(path, sizeof(path), "%s/%s.%s", dir, base, ext);
    char *bytes = read_file(path, &len);
    if (bytes == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        return false;
    }
    if (!invoice_read_document((const unsigned char *)bytes, len, NULL, &inv, &err)) {
        fprintf(stderr, "%s: %s: %s\n", path, err.code, err.message);
        free(bytes);
        return false;
    }
    unsigned flags = invoice_flags_check(&inv);
    double confidence = invoice_confidence(&inv, flags);
    json_t *out = invoice_to_json(&inv, flags, confidence, 0, "document");
    score_output(file, out, confidence, invoice_confidence_score(&inv, flags), label, verbose, s);
    json_decref(out);
    invoice_free(&inv);
    free(bytes);
    return true;
}

bool invoice_score_documents(const char *labels, const char *dir, const char *ext, bool verbose,
                             InvoiceScore *s)
{
    char line[65536];
    FILE *f = fopen(labels, "r");

    if (f == NULL) {
        fprintf(stderr, "cannot read %s\n", labels);
        return false;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        json_t *label = json_loads(line, 0, NULL);
        bool ok = label == NULL || score_document(dir, ext, label, verbose, s);
        json_decref(label);
        if (!ok) {
            fclose(f);
            return false;
        }
    }
    fclose(f);
    return true;
}

/* load_text reads the fixture of label; NULL when it is missing. */
static char *load_text(const char *dir, const json_t *label, size_t *len)
{
    char path[2048];
    const char *file = json_string_value(json_object_get(label, "file"));

    snprintf(path, sizeof(path), "%s/%s", dir, file != NULL ? file : "");
    char *text = read_file(path, len);
    if (text == NULL)
        fprintf(stderr, "cannot read %s\n", path);
    return text;
}

/* score_one scores one labeled invoice; false when its file is missing. */
static bool score_one(const char *dir, const json_t *label, bool verbose, InvoiceScore *s)
{
    size_t len = 0;
    char *text = load_text(dir, label, &len);

    if (text == NULL)
        return false;
    score_text(json_string_value(json_object_get(label, "file")), text, len, label, verbose, s);
    free(text);
    return true;
}

/* damage writes text with the lines i where (i + v) % 5 == 0 dropped
 * (v < 5), or, for v >= 5, every run of spaces squeezed to one. */
static size_t damage(const char *text, size_t len, int v, char *out)
{
    size_t n = 0, line = 0;
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        bool keep = v >= 5 || (line + (size_t)v) % 5 != 0;
        for (size_t k = i; keep && k <= end && k < len; k++) {
            if (v >= 5 && text[k] == ' ' && n > 0 && out[n - 1] == ' ')
                continue;
            out[n++] = text[k];
        }
        i = end + 1;
        line++;
    }
    out[n] = '\0';
    return n;
}

static bool score_damaged_one(const char *dir, const json_t *label, int variants, InvoiceScore *s)
{
    size_t len = 0;
    char *text = load_text(dir, label, &len);
    char *copy = text != NULL ? malloc(len + 1) : NULL;

    if (copy == NULL) {
        free(text);
        return false;
    }
    for (int v = 0; v < variants; v++) {
        size_t n = damage(text, len, v, copy);
        score_text(json_string_value(json_object_get(label, "file")), copy, n, label, false, s);
    }
    free(copy);
    free(text);
    return true;
}

bool invoice_score_damaged(const char *const *labels, size_t nlabels, int variants, InvoiceScore *s)
{
    for (size_t k = 0; k < nlabels; k++) {
        char dir[1024], line[65536];
        FILE *f = fopen(labels[k], "r");
        if (f == NULL)
            return false;
        snprintf(dir, sizeof(dir), "%s", labels[k]);
        char *slash = strrchr(dir, '/');
        if (slash != NULL)
            *slash = '\0';
        while (fgets(line, sizeof(line), f) != NULL) {
            json_t *label = json_loads(line, 0, NULL);
            bool ok = label == NULL || score_damaged_one(dir, label, variants, s);
            json_decref(label);
            if (!ok) {
                fclose(f);
                return false;
            }
        }
        fclose(f);
    }
    return true;
}

bool invoice_score_corpus(const char *const *labels, size_t nlabels, bool verbose, InvoiceScore *s)
{
    for (size_t k = 0; k < nlabels; k++) {
        char dir[1024], line[65536];
        FILE *f = fopen(labels[k], "r");
        if (f == NULL) {
            fprintf(stderr, "cannot read %s\n", labels[k]);
            return false;
        }
        snprintf(dir, sizeof(dir), "%s", labels[k]);
        char *slash = strrchr(dir, '/');
        if (slash != NULL)
            *slash = '\0';
        while (fgets(line, sizeof(line), f) != NULL) {
            json_t *label = json_loads(line, 0, NULL);
            if (label == NULL)
                continue; /* a blank or comment line */
            bool ok = score_one(dir, label, verbose, s);
            json_decref(label);
            if (!ok) {
                fclose(f);
                return false;
            }
        }
        fclose(f);
    }
    return true;
}

void invoice_score_print(const char *title, const InvoiceScore *s)
{
    static const char *const bands[] = {"[0.0, 0.5)", "[0.5, 0.7)", "[0.7, 0.9)", "[0.9, 1.0]"};

    printf("%s: %zu invoices\n", title, s->invoices);
    printf("%-16s %9s %8s\n", "field", "right", "accuracy");
    for (int f = 0; f < SCORE_FIELDS; f++)
        printf("%-16s %4zu/%-4zu %8.3f\n", names[f], s->right[f], s->invoices,
               s->invoices > 0 ? (double)s->right[f] / (double)s->invoices : 0);
    printf("%-22s %5s %5s %5s\n", "flag", "tp", "fn", "fp");
    for (int k = 0; k < 5; k++)
        printf("%-22s %5zu %5zu %5zu\n", invoice_flag_info[k].code, s->flag_tp[k], s->flag_fn[k],
               s->flag_fp[k]);
    printf("%-12s %9s %s\n", "confidence", "invoices", "key fields right");
    for (int b = 0; b < 4; b++)
        printf("%-12s %9zu %.2f\n", bands[b], s->band_n[b],
               s->band_n[b] > 0 ? (double)s->band_right[b] / (double)s->band_n[b] : 0);
    static const char *const raw[] = {"[0.0, 0.4)", "[0.4, 0.6)", "[0.6, 0.75)", "[0.75, 0.9)",
                                      "[0.9, 1.0]"};
    printf("%-12s %9s %s\n", "raw score", "invoices", "key fields right");
    for (int b = 0; b < 5; b++)
        printf("%-12s %9zu %.2f\n", raw[b], s->raw_n[b],
               s->raw_n[b] > 0 ? (double)s->raw_right[b] / (double)s->raw_n[b] : 0);
}
