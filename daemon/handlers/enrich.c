/* SPDX-License-Identifier: MIT */
/* enrich.c normalizes, matches and classifies one bank descriptor (see enrich.h). */
#include "enrich.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "enrich_keywords.h"
#include "enrich_merchants.h"
#include "enrich_place.h"
#include "enrich_table.h"
#include "enrich_tokens.h"

/* ---- MCC ----------------------------------------------------------------- */

typedef struct MccRange {
    int lo, hi;
    EnrichCategory category;
} MccRange;

/* First matching range wins, so single codes come before their ranges. */
static const MccRange mcc_ranges[] = {
    {742, 742, ENRICH_HEALTH},          {3000, 3350, ENRICH_TRAVEL},
    {3351, 3500, ENRICH_TRAVEL},        {3501, 3999, ENRICH_TRAVEL},
    {4111, 4111, ENRICH_TRANSPORT},     {4112, 4112, ENRICH_TRAVEL},
    {4121, 4121, ENRICH_TRANSPORT},     {4131, 4131, ENRICH_TRAVEL},
    {4215, 4215, ENRICH_SHOPPING},      {4411, 4411, ENRICH_TRAVEL},
    {4511, 4511, ENRICH_TRAVEL},        {4722, 4722, ENRICH_TRAVEL},
    {4784, 4784, ENRICH_TRANSPORT},     {4789, 4789, ENRICH_TRANSPORT},
    {4812, 4816, ENRICH_TELECOM},       {4829, 4829, ENRICH_TRANSFERS},
    {4899, 4899, ENRICH_TELECOM},       {4900, 4900, ENRICH_UTILITIES},
    {5200, 5299, ENRICH_SHOPPING},      {5300, 5300, ENRICH_GROCERIES},
    {5310, 5399, ENRICH_SHOPPING},      {5411, 5411, ENRICH_GROCERIES},
    {5422, 5451, ENRICH_GROCERIES},     {5462, 5462, ENRICH_RESTAURANTS},
    {5499, 5499, ENRICH_GROCERIES},     {5511, 5531, ENRICH_SHOPPING},
    {5532, 5533, ENRICH_TRANSPORT},     {5541, 5542, ENRICH_FUEL},
    {5552, 5552, ENRICH_FUEL},          {5983, 5983, ENRICH_FUEL},
    {5551, 5599, ENRICH_SHOPPING},      {5600, 5799, ENRICH_SHOPPING},
    {5811, 5814, ENRICH_RESTAURANTS},   {5815, 5815, ENRICH_SUBSCRIPTIONS},
    {5816, 5816, ENRICH_ENTERTAINMENT}, {5817, 5818, ENRICH_SUBSCRIPTIONS},
    {5912, 5912, ENRICH_HEALTH},        {5921, 5921, ENRICH_GROCERIES},
    {5968, 5968, ENRICH_SUBSCRIPTIONS}, {5975, 5976, ENRICH_HEALTH},
    {5900, 5999, ENRICH_SHOPPING},      {6010, 6011, ENRICH_ATM},
    {6012, 6012, ENRICH_TRANSFERS},     {6051, 6051, ENRICH_TRANSFERS},
    {6211, 6211, ENRICH_TRANSFERS},     {6300, 6399, ENRICH_INSURANCE},
    {6540, 6540, ENRICH_TRANSFERS},     {7011, 7012, ENRICH_TRAVEL},
    {7210, 7299, ENRICH_HEALTH},        {7372, 7372, ENRICH_SUBSCRIPTIONS},
    {7512, 7519, ENRICH_TRAVEL},        {7523, 7523, ENRICH_TRANSPORT},
    {7531, 7549, ENRICH_TRANSPORT},     {7832, 7841, ENRICH_ENTERTAINMENT},
    {7997, 7997, ENRICH_HEALTH},        {7911, 7999, ENRICH_ENTERTAINMENT},
    {8011, 8099, ENRICH_HEALTH},        {8211, 8299, ENRICH_EDUCATION},
    {9211, 9399, ENRICH_TAXES},         {9402, 9402, ENRICH_SHOPPING},
};

static bool mcc_valid(const char *mcc)
{
    if (mcc == NULL || strlen(mcc) != 4)
        return false;
    for (int i = 0; i < 4; i++) {
        if (mcc[i] < '0' || mcc[i] > '9')
            return false;
    }
    return true;
}

bool enrich_mcc_category(const char *mcc, EnrichCategory *c)
{
    int code;

    if (!mcc_valid(mcc))
        return false;
    code = (mcc[0] - '0') * 1000 + (mcc[1] - '0') * 100 + (mcc[2] - '0') * 10 + (mcc[3] - '0');
    for (size_t i = 0; i < sizeof(mcc_ranges) / sizeof(mcc_ranges[0]); i++) {
        if (code >= mcc_ranges[i].lo && code <= mcc_ranges[i].hi) {
            *c = mcc_ranges[i].category;
            return true;
        }
    }
    return false;
}

/* ---- processors ---------------------------------------------------------- */

typedef struct Processor {
    const char *words[3]; /* the tokens, in order */
    bool star;            /* a '*' must follow the last */
    const char *name;
    const char *implied; /* the merchant when nothing follows, or NULL */
    EnrichChannel channel;
    bool any_channel; /* used online and in stores alike: the channel is the merchant's */
} Processor;

static const Processor processors[] = {
    {{"SQ"}, true, "Square", NULL, ENRICH_CHANNEL_IN_STORE, false},
    {{"SQU"}, true, "Square", NULL, ENRICH_CHANNEL_IN_STORE, false},
    {{"TST"}, true, "Toast", NULL, ENRICH_CHANNEL_IN_STORE, false},
    {{"CLV"}, true, "Clover", NULL, ENRICH_CHANNEL_IN_STORE, false},
    {{"PAYPAL"}, true, "PayPal", "PAYPAL", ENRICH_CHANNEL_ONLINE, false},
    {{"PP"}, true, "PayPal", "PAYPAL", ENRICH_CHANNEL_ONLINE, false},
    {{"STRIPE"}, true, "Stripe", NULL, ENRICH_CHANNEL_ONLINE, false},
    {{"GOOGLE"}, true, "Google", "GOOGLE", ENRICH_CHANNEL_ONLINE, false},
    {{"APL"}, true, "Apple", "APPLE", ENRICH_CHANNEL_ONLINE, false},
    {{"APPLE", "COM", "BILL"}, false, "Apple", "APPLE", ENRICH_CHANNEL_ONLINE, false},
    {{"AMZN", "MKTP", "US"}, false, "Amazon Marketplace", "AMAZON", ENRICH_CHANNEL_ONLINE, false},
    {{"AMZN", "MKTP"}, false, "Amazon Marketplace", "AMAZON", ENRICH_CHANNEL_ONLINE, false},
    {{"AMAZON", "MKTPL"}, false, "Amazon Marketplace", "AMAZON", ENRICH_CHANNEL_ONLINE, false},
    {{"AMAZON", "MKTPLACE"}, false, "Amazon Marketplace", "AMAZON", ENRICH_CHANNEL_ONLINE, false},
    {{"AMAZON", "MARKETPLACE"},
     false,
     "Amazon Marketplace",
     "AMAZON",
     ENRICH_CHANNEL_ONLINE,
     false},
    {{"SP"}, true, "Shopify", NULL, ENRICH_CHANNEL_ONLINE, false},
    {{"SHOPIFY"}, true, "Shopify", "SHOPIFY", ENRICH_CHANNEL_ONLINE, false},
    {{"IN"}, true, "Intuit", NULL, ENRICH_CHANNEL_ONLINE, false},
    {{"FS"}, true, "FastSpring", NULL, ENRICH_CHANNEL_ONLINE, false},
    {{"PADDLE", "NET"}, true, "Paddle", NULL, ENRICH_CHANNEL_ONLINE, false},
    /* card readers of small shops outside the US, and online resellers */
    {{"SUMUP"}, true, "SumUp", NULL, ENRICH_CHANNEL_IN_STORE, false},
    {{"SUMUP"}, false, "SumUp", NULL, ENRICH_CHANNEL_IN_STORE, false},
    {{"ZTL"}, true, "Zettle", NULL, ENRICH_CHANNEL_IN_STORE, false},
    {{"IZ"}, true, "Zettle", NULL, ENRICH_CHANNEL_IN_STORE, false},
    {{"IZETTLE"}, true, "Zettle", NULL, ENRICH_CHANNEL_IN_STORE, false},
    {{"ZETTLE"}, true, "Zettle", NULL, ENRICH_CHANNEL_IN_STORE, false},
    {{"NYX"}, true, "Nayax", NULL, ENRICH_CHANNEL_IN_STORE, false},
    {{"WPY"}, true, "WePay", NULL, ENRICH_CHANNEL_ONLINE, false},
    {{"DRI"}, true, "Digital River", NULL, ENRICH_CHANNEL_ONLINE, false},
    {{"MOLLIE"}, true, "Mollie", NULL, ENRICH_CHANNEL_ONLINE, false},
    {{"AMZNMKTPLACE"}, false, "Amazon Marketplace", "AMAZON", ENRICH_CHANNEL_ONLINE, false},
    {{"SQUARE"}, true, "Square", NULL, ENRICH_CHANNEL_IN_STORE, false},
    {{"CKO"}, true, "Checkout.com", NULL, ENRICH_CHANNEL_ONLINE, false},
    {{"ADYEN"}, true, "Adyen", NULL, ENRICH_CHANNEL_ONLINE, false},
    {{"BT"}, true, "Braintree", NULL, ENRICH_CHANNEL_ONLINE, false},
    {{"2CO", "COM"}, true, "2Checkout", NULL, ENRICH_CHANNEL_ONLINE, false},
    /* buy now, pay later and card wrappers, online and in stores */
    {{"KLARNA"}, true, "Klarna", NULL, ENRICH_CHANNEL_ONLINE, true},
    {{"AFTERPAY"}, true, "Afterpay", NULL, ENRICH_CHANNEL_ONLINE, true},
    {{"CLEARPAY"}, true, "Clearpay", NULL, ENRICH_CHANNEL_ONLINE, true},
    {{"ZIP"}, true, "Zip", NULL, ENRICH_CHANNEL_ONLINE, true},
    {{"CRV"}, true, "Curve", NULL, ENRICH_CHANNEL_IN_STORE, true},
    {{"CURVE"}, true, "Curve", NULL, ENRICH_CHANNEL_IN_STORE, true},
    /* Shopify's newer descriptors drop the star: "SP GYMSHARK" (first word only) */
    {{"SP"}, false, "Shopify", NULL, ENRICH_CHANNEL_ONLINE, false},
};

/* Processors that serve one trade only. */
static const struct {
    const char *processor;
    EnrichCategory category;
} processor_categories[] = {
    {"Toast", ENRICH_RESTAURANTS},
};

/* processor_category sets *c to the one trade processor p serves, if any. */
static bool processor_category(const Processor *p, EnrichCategory *c)
{
    for (size_t i = 0; i < sizeof(processor_categories) / sizeof(processor_categories[0]); i++) {
        if (strcmp(processor_categories[i].processor, p->name) == 0) {
            *c = processor_categories[i].category;
            return true;
        }
    }
    return false;
}

/* match_processor returns the processor whose words start at tokens[i], and
 * sets *next to the token after them; NULL when none does. */
static const Processor *match_processor(const Tokens *tk, size_t i, size_t *next)
{
    for (size_t p = 0; p < sizeof(processors) / sizeof(processors[0]); p++) {
        const Processor *pr = &processors[p];
        size_t k = 0;
        while (k < 3 && pr->words[k] != NULL && i + k < tk->n &&
               token_is(&tk->t[i + k], pr->words[k]))
            k++;
        if (k == 3 || pr->words[k] == NULL) {
            if (pr->star && !tk->t[i + k - 1].star)
                continue;
            /* one word without a star needs a name after it ("SP+" is SP
             * Plus parking) */
            if (!pr->star && k == 1 && !tk->t[i].star &&
                (i + 1 >= tk->n || token_is(&tk->t[i + 1], "PLUS")))
                continue;
            *next = i + k;
            return pr;
        }
    }
    return NULL;
}

/* ---- the transaction type ------------------------------------------------- */

static const char *const fee_words[] = {
    "FEE",
    "FEES",
    "SERVICE CHARGE",
    "OVERDRAFT",
    "NSF",
    "INTEREST CHARGE",
    "FINANCE CHARGE",
    "OD CHARGE",
    "DEBIT INTEREST",
    "INTEREST CHARGED",
    "OVERDRAFT INTEREST",
    /* German, French, Italian, Spanish */
    "ENTGELT",
    "GEBUEHR",
    "GEBUEHREN",
    "KONTOFUEHRUNGSGEBUEHR",
    "FRAIS",
    "COMMISSIONE",
    "COMMISSIONI",
    "COMISION",
    NULL,
};
static const char *const refund_words[] = {
    "REFUND",
    "RETURN",
    "REVERSAL",
    "REFUNDED",
    "TAX REF",
    "MERCHANDISE CREDIT",
    "PURCHASE CREDIT",
    "CREDIT VOUCHER",
    "RFND",
    "CHARGEBACK",
    /* French, German, Spanish, Italian, Dutch */
    "REMBOURSEMENT",
    "RUECKERSTATTUNG",
    "ERSTATTUNG",
    "DEVOLUCION",
    "RIMBORSO",
    "RETOUR",
    "TERUGBETALING",
    "TERUGSTORTING",
    NULL,
};
static const char *const atm_words[] = {
    "ATM",
    "CASH WITHDRAWAL",
    "ATM WITHDRAWAL",
    "CASH WDL",
    "ATM WDL",
    "CASH MACHINE",
    /* Dutch, French, German, Spanish, Italian */
    "GEA",
    "GELDAUTOMAAT",
    "RETRAIT DAB",
    "DAB",
    "BARGELDAUSZAHLUNG",
    "GELDAUTOMAT",
    "CAJERO",
    "RETIRADA EFECTIVO",
    "PRELIEVO",
    "BANCOMAT",
    NULL,
};
static const char *const income_words[] = {
    "PAYROLL",
    "DIR DEP",
    "DIRECT DEP",
    "DIRECT DEPOSIT",
    "DIRDEP",
    "SALARY",
    "INTEREST PAYMENT",
    "INTEREST PAID",
    "INTEREST EARNED",
    "DIVIDEND",
    "PAYRLL",
    "WAGES",
    "CREDIT INTEREST",
    "INTEREST CREDIT",
    "GROSS INTEREST",
    "PENSION PAYMENT",
    /* UK bank giro credit, Australian direct credit, platform payouts, benefits */
    "BGC",
    "DIRECT CREDIT",
    "PAYOUT",
    "PAYOUTS",
    "EDI PAYMENT",
    "CHILD BENEFIT",
    "HOUSING BENEFIT",
    "STATE PENSION",
    "TAX CREDITS",
    /* salary in French, German, Spanish, Italian */
    "SALAIRE",
    "LOHN",
    "GEHALT",
    "SALARIO",
    "NOMINA",
    "STIPENDIO",
    /* benefits and pensions: Dutch, German, French, Canadian */
    "UITKERING",
    "KINDERGELD",
    "ARBEITSLOSENGELD",
    "ALLOCATIONS FAMILIALES",
    "SERVICE CANADA",
    "CCB",
    "GST CANADA",
    "CANADA FED",
    NULL,
};
static const char *const transfer_words[] = {
    "TRANSFER",
    "XFER",
    "WIRE",
    "AUTOPAY",
    "AUTO PAY",
    "CRCARDPMT",
    "EPAYMENT",
    "E PAYMENT",
    "PAYMENT THANK YOU",
    "ONLINE PAYMENT",
    "ONLINE PMT",
    "CREDIT CARD PMT",
    "CREDIT CRD",
    "ZELLE",
    "VENMO",
    "CREDIT CARD PAYMENT",
    "PAYMENT RECEIVED",
    "TOP UP",
    "TOPUP",
    /* and bank_transfer_words below */
    "E TRANSFER",
    "ETRANSFER",
    NULL,
};
/* Phones' wallets, printed before the merchant: never the merchant. */
static const char *const wallet_words[] = {"APPLE PAY", "GOOGLE PAY", "SAMSUNG PAY", "GPAY", NULL};

/* Transfers between bank accounts (UK, Australian, European transfers and
 * standing orders), to a person more often than not; transfers too. */
static const char *const bank_transfer_words[] = {
    "FASTER PAYMENT",
    "FASTER PAYMENTS",
    "FPO",
    "FPI",
    "STANDING ORDER",
    "OSKO",
    "BANK TRANSFER",
    "CREDIT TRANSFER",
    "UEBERWEISUNG",
    "UBERWEISUNG",
    "OVERBOEKING",
    "VIREMENT",
    "VIR SEPA",
    "TRANSFERENCIA",
    "BONIFICO",
    NULL,
};
static const char *const deposit_words[] = {"DEPOSIT", NULL};
/* Words that mean a transfer only as the first word: UK standing orders. */
static const char *const leading_transfer_words[] = {"STO", "SO", NULL};
/* Direct debits and other bills the payee pulls: paid online, never in a
 * store (UK, Irish, German, Dutch, French, Spanish, Italian, Nordic,
 * Canadian and Australian words). */
static const char *const direct_debit_words[] = {
    "DD",
    "DIRECT DEBIT",
    "D D",
    "LASTSCHRIFT",
    "INCASSO",
    "PRLV",
    "PRELEVEMENT",
    "RECIBO",
    "DOMICILIACION",
    "ADDEBITO",
    "SDD",
    "AUTOGIRO",
    "BETALINGSSERVICE",
    "PAP",
    "BPAY",
    NULL,
};
static const char *const subscription_words[] = {
    "RECURRING", "SUBSCRIPTION", "SUBSCR", "MEMBERSHIP", "MONTHLY", "AUTO RENEW", "RENEWAL", NULL,
};
static const char *const fuel_words[] = {"FUEL", "GAS", "PETROL", "PFS", NULL};
static const char *const online_words[] = {
    "WWW", "ONLINE", "INTERNET", "WEB", "HTTP", "HTTPS", "ECOMMERCE", "DIGITAL", "IDEAL", NULL,
};

/* ---- the merchant -------------------------------------------------------- */

/* short_code tells whether a token of letters and digits
 * may start a merchant key: two characters, "O2", "E1" (longer ones are
 * store numbers and references, "F12345"). */
static bool short_code(const Token *t)
{
    return t->len == 2;
}

/* find_merchant looks for the earliest token in [from, to) where a run of
 * tokens is a merchant key, taking the longest run there.  Returns the
 * merchant index or -1; sets *start, *end (token range) and *keylen. */
static int find_merchant(const EnrichTable *table, const Tokens *tk, size_t from, size_t to,
                         size_t *start, size_t *end, size_t *keylen)
{
    for (size_t i = from; i < to; i++) {
        char key[ENRICH_KEY_MAX + 1];
        size_t len = 0;
        int found = -1;
        const Token *t = &tk->t[i];

        if ((t->digit && (t->len > 2 || (t->alpha && !short_code(t)))) || (t->amp && t->len == 1))
            continue; /* a store number, date or code starts no name ("O2" may) */
        for (size_t j = i; j < to && j < i + MAX_RUN; j++) {
            int m;
            if (len + tk->t[j].len > ENRICH_KEY_MAX)
                break;
            for (size_t k = 0; k < tk->t[j].len; k++) {
                if (tk->t[j].s[k] != '&') /* keys are letters and digits: A&W is AW */
                    key[len++] = tk->t[j].s[k];
            }
            if (tk->t[j].amp && tk->t[j].len == 1)
                continue; /* a lone '&' adds nothing to the key */
            m = enrich_table_find(table, key, len);
            if (m >= 0) {
                found = m;
                *end = j + 1;
                *keylen = len;
            }
        }
        if (found >= 0) {
            *start = i;
            return found;
        }
    }
    return -1;
}

/* Top-level domains after a '.': generic ones and European and Pacific
 * countries' ("BAHN.DE", "BOLT.EU"); not CA, which follows "Co." too. */
static const char *const web_suffixes[] = {
    "COM", "NET", "ORG", "IO", "GOV", "UK", "CO", "AI", "SO", "INFO", "LY", "DE", "NL", "FR",
    "EU",  "ES",  "IT",  "AU", "NZ",  "IE", "SE", "DK", "FI", "NO",   "BE", "AT", "CH", NULL};

/* online_signal: a web address, an online word, or a phone number where
 * card-present transactions print the city. */
static bool online_signal(const Tokens *tk)
{
    if (enrich_has_phrase(tk, online_words))
        return true;
    for (size_t i = 0; i < tk->n; i++) {
        const Token *t = &tk->t[i];
        if (t->dot && t->alpha && token_in_list(t, web_suffixes))
            return true;
        if (t->digit && !t->alpha) {
            if (t->len == 10 && t->s[0] >= '2')
                return true;
            if (i > 0 && tk->t[i - 1].len == 3 && tk->t[i - 1].digit && !tk->t[i - 1].alpha &&
                t->len == 3 && i + 1 < tk->n && tk->t[i + 1].len == 4 && tk->t[i + 1].digit)
                return true; /* 866-579-7172 */
        }
    }
    return false;
}

/* bank_transfer tells whether the text says a bank transfer (not a
 * payment app's) or a standing order. */
static bool bank_transfer(const Tokens *tk)
{
    return enrich_has_phrase(tk, bank_transfer_words) ||
           (tk->n > 1 && token_in_list(&tk->t[0], leading_transfer_words));
}

static EnrichType classify_type(const Tokens *tk)
{
    if (enrich_has_phrase(tk, fee_words))
        return ENRICH_TYPE_FEE;
    if (enrich_has_phrase(tk, refund_words))
        return ENRICH_TYPE_REFUND;
    if (enrich_has_phrase(tk, atm_words))
        return ENRICH_TYPE_ATM_WITHDRAWAL;
    if (enrich_has_phrase(tk, income_words))
        return ENRICH_TYPE_INCOME;
    if (enrich_has_phrase(tk, transfer_words) || bank_transfer(tk))
        return ENRICH_TYPE_TRANSFER;
    /* a deposit is income unless the words say transfer ("TRANSFER TO
     * DEPOSIT ACCOUNT") */
    if (enrich_has_phrase(tk, deposit_words))
        return ENRICH_TYPE_INCOME;
    return ENRICH_TYPE_PURCHASE;
}

static void normalized_text(const Tokens *tk, EnrichResult *r)
{
    size_t o = 0;

    for (size_t i = 0; i < tk->n && o + tk->t[i].len + 1 < sizeof(r->normalized); i++) {
        if (o > 0)
            r->normalized[o++] = ' ';
        memcpy(r->normalized + o, tk->t[i].s, tk->t[i].len);
        o += tk->t[i].len;
    }
    r->normalized[o] = '\0';
}

static void reject(EnrichResult *r, const char *reason)
{
    r->rejected = true;
    r->reason = reason;
    r->confidence = 0;
}

/* ---- guards on a match, and unknown names ---------------------------------- */

/* MAX_LEAD_WORDS, MAX_LEAD_LEN: a merchant key may start after at most
 * this many name words of at most this length (bank codes the noise list
 * lacks: "VDP", "BEA"); after longer words it is a word inside another
 * business's name ("ELM STREET FRESH MARKET" is no "The Fresh Market"). */
enum { MAX_LEAD_WORDS = 2, MAX_LEAD_LEN = 4 };

/* all_bank_words tells whether tokens [from, to) are all bank words (not
 * numbers: "76" is a merchant). */
static bool all_bank_words(const Tokens *tk, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (!token_noise(&tk->t[i]) || tk->t[i].digit)
            return false;
    }
    return true;
}

/* repeats tells whether token i is one of the key's tokens [from, to)
 * again ("HOTELS.COM123 HOTELS.COM"). */
static bool repeats(const Tokens *tk, size_t i, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++) {
        if (strcmp(tk->t[i].s, tk->t[k].s) == 0)
            return true;
    }
    return false;
}

/* match_at_head tells whether a key found at mstart starts the name (head:
 * the first token that is no bank word) or follows only short codes. */
static bool match_at_head(const Tokens *tk, size_t head, size_t mstart, size_t mend)
{
    size_t lead = 0;

    if (mstart <= head)
        return true;
    for (size_t i = head; i < mstart; i++) {
        EnrichCategory c;
        bool weak;
        if (token_noise(&tk->t[i]) || (tk->t[i].amp && tk->t[i].len == 1) ||
            repeats(tk, i, mstart, mend))
            continue;
        if (++lead > MAX_LEAD_WORDS || tk->t[i].len > MAX_LEAD_LEN ||
            enrich_keyword_of(&tk->t[i], &c, &weak))
            return false;
    }
    return true;
}

/* location_at tells whether token i is where the location starts. */
static bool location_at(const Location *loc, size_t i)
{
    return (loc->city_from >= 0 && (long)i >= loc->city_from) ||
           (loc->region_at >= 0 && (long)i >= loc->region_at) ||
           (loc->country_at >= 0 && (long)i >= loc->country_at);
}

/* match_fits_name tells whether the name words after a one-word key that
 * ends at mend agree with merchant m.  A strong keyword of another
 * category there means the key is a word of another business's name
 * ("ORANGE BLOSSOM THAI KITCHEN" is no Orange), unless it is a grocer's
 * or store's pumps ("MORRISONS PETROL").  A merchant billed online or by
 * transfer (an insurer, a utility, a web shop; not a bank, payment app or
 * tax office, which print a person or a tax) prints its name alone, with
 * numbers and codes: any venue word after it, even a weak one ("AMAZON
 * CAFE"), or in a purchase two words of 4+ letters ("CHASE FIELD
 * CONCESSIONS"; not codes like "SCGC", nor the street of a bank's ATM)
 * name another business. */
static bool match_fits_name(const EnrichTable *table, const Tokens *tk, int m, size_t mend,
                            const Location *loc, EnrichType type)
{
    const EnrichMerchant *em = enrich_table_row(table, m);
    EnrichCategory mc = ENRICH_SHOPPING;
    bool remote = strcmp(em->channel, "in_store") != 0;
    size_t words = 0;

    if (!enrich_category_parse(em->category, &mc))
        mc = ENRICH_SHOPPING;
    if (tk->t[mend - 1].star)
        return true; /* a marketplace's prefix: the shop after it is its seller */
    /* payment apps and banks print the person, tax offices the tax */
    if (mc == ENRICH_TRANSFERS || mc == ENRICH_INCOME || mc == ENRICH_TAXES)
        remote = false;
    for (size_t i = mend; i < tk->n && !location_at(loc, i); i++) {
        EnrichCategory c;
        bool weak;
        const Token *t = &tk->t[i];
        if (token_noise(t) || (t->amp && t->len == 1) || !t->alpha || t->len < 2 || t->dot ||
            (i + 1 < tk->n && tk->t[i + 1].dot))
            continue; /* a web address is no name word: "AWS EMEA aws.amazon.co" */
        words += t->len >= 4 && strpbrk(t->s, "AEIOUY") != NULL; /* a word, not a code */
        if (enrich_keyword_of(t, &c, &weak) && (!weak || remote) && c != mc &&
            !(c == ENRICH_FUEL && (mc == ENRICH_GROCERIES || mc == ENRICH_SHOPPING)))
            return false;
    }
    return !(remote && words >= 2 && type == ENRICH_TYPE_PURCHASE);
}

/* Bank words that are words of names too when a name word follows them:
 * "PRAXIS DR MUELLER", "PHARMACIE DES ARTS", "HOTEL ON THE PARK". */
static const char *const inner_words[] = {"DR", "DES", "ON", "IN", "EN", "TO", "FOR", "NO", NULL};

/* MAX_NAME_WORDS: an unknown name is at most this many tokens. */
enum { MAX_NAME_WORDS = 6 };

/* name_end returns the end of the unknown name that starts at from: up to
 * a bank word, the location or a '*', keeping a short number between two
 * words when a keyword follows it ("PHO 88 NOODLE HOUSE", not the store
 * number of "JOES 123 MAIN") and an inner word before a name word, and
 * dropping a trailing '&'. */
static size_t name_end(const Tokens *tk, size_t from, const Location *loc)
{
    size_t to = from;

    while (to < tk->n && to - from < MAX_NAME_WORDS && !location_at(loc, to)) {
        const Token *t = &tk->t[to];
        if (to > from && t->dot && token_in_list(t, web_suffixes))
            break; /* "THREE.CO.UK": the address's end is no name */
        if (token_noise(t)) {
            EnrichCategory c;
            bool weak;
            bool word_next = to > from && to + 1 < tk->n && !location_at(loc, to + 1) &&
                             !token_noise(&tk->t[to + 1]) && tk->t[to + 1].alpha;
            bool inner = word_next && ((t->digit && !t->alpha && t->len <= 3 &&
                                        enrich_keyword_of(&tk->t[to + 1], &c, &weak)) ||
                                       token_in_list(t, inner_words));
            if (!inner)
                break;
        }
        to++;
        if (t->star)
            break;
    }
    while (to > from && tk->t[to - 1].amp && tk->t[to - 1].len == 1)
        to--;
    return to;
}

/* TRUNCATED_NAME: banks cut the name field at 22 to 25 characters; a name
 * this long whose last word is no word may have been cut. */
enum { TRUNCATED_NAME = 20 };

/* unknown_name writes the title-cased name of tokens [from, to) to out.
 * When the name is long enough to have been cut by the bank, a last word
 * that starts a known business word is completed ("PHARMAC" -> Pharmacy)
 * or, when too short to tell ("RE", "RES"), dropped; returns true and
 * sets *cat to that word's category then. */
static bool unknown_name(const Tokens *tk, size_t from, size_t to, char *out, size_t n,
                         EnrichCategory *cat)
{
    size_t chars = 0;
    const Token *last = &tk->t[to - 1];
    const char *word = NULL;
    bool found = false;

    for (size_t i = from; i < to; i++)
        chars += tk->t[i].len + (i > from);
    if (to - from >= 2 && chars >= TRUNCATED_NAME && last->alpha && !last->digit && !last->star) {
        bool has_cat = false;
        switch (enrich_keyword_cut(last, &word, cat, &has_cat)) {
            case ENRICH_CUT_NONE:
                break;
            case ENRICH_CUT_COMPLETED:
                found = has_cat;
                to--;
                break;
            case ENRICH_CUT_FRAGMENT:
                found = has_cat;
                to--;
                while (to > from && tk->t[to - 1].amp && tk->t[to - 1].len == 1)
                    to--;
                break;
        }
    }
    enrich_copy_title(tk, from, to, out, n);
    if (word != NULL) {
        size_t o = strlen(out);
        for (size_t k = 0; word[k] != '\0' && o + 2 < n; k++) {
            if (k == 0 && o > 0)
                out[o++] = ' ';
            out[o++] =
                (char)(k > 0 && word[k] >= 'A' && word[k] <= 'Z' ? word[k] - 'A' + 'a' : word[k]);
        }
        out[o] = '\0';
    }
    return found;
}

/* ---- the item's date ---------------------------------------------------- */

/* POSTING_LAG_DAYS: a descriptor's date (the card's transaction date) may
 * be this many days before the item's date (often the posting date). */
enum { POSTING_LAG_DAYS = 7 };

static int two_digits(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* date_fits tells whether month/day, in the item's year or the one before
 * (a December date posted in January), falls on the item's date or up to
 * POSTING_LAG_DAYS before it; sets *d to that date. */
static bool date_fits(int month, int day, const EnrichDate *item, EnrichDate *d)
{
    long to = enrich_date_days(item);

    for (int y = item->year; y >= item->year - 1; y--) {
        if (!enrich_date_valid(y, month, day))
            continue;
        *d = (EnrichDate){y, month, day};
        long from = enrich_date_days(d);
        if (from <= to && to - from <= POSTING_LAG_DAYS)
            return true;
    }
    return false;
}

/* find_date looks for the first date banks print in descriptors, "0412"
 * (MMDD) or "04/12", "04-12" (MM/DD), that agrees with the item's date,
 * and writes the date it stands for to r->descriptor_date.  Without an
 * item date nothing tells such a token from a store number, so none is
 * read as a date.  Numbers are noise to the rest of the pipeline either
 * way, so the date found changes nothing else. */
static void find_date(const Tokens *tk, const EnrichDate *item, EnrichResult *r)
{
    for (size_t i = 0; i < tk->n; i++) {
        const Token *t = &tk->t[i];
        EnrichDate d;
        bool found;

        if (t->alpha)
            continue;
        /* "04/12" but not "04/12/2026" nor "555-12-34": other things */
        if (t->len == 4)
            found = !t->slash && date_fits(two_digits(t->s), two_digits(t->s + 2), item, &d);
        else
            found = t->len == 2 && !t->slash && i + 1 < tk->n && tk->t[i + 1].len == 2 &&
                    tk->t[i + 1].slash && !tk->t[i + 1].alpha &&
                    (i + 2 >= tk->n || !tk->t[i + 2].slash || tk->t[i + 2].alpha) &&
                    date_fits(two_digits(t->s), two_digits(tk->t[i + 1].s), item, &d);
        if (!found)
            continue;
        snprintf(r->descriptor_date, sizeof(r->descriptor_date), "%04d-%02d-%02d", d.year, d.month,
                 d.day);
        return;
    }
}

/* ---- the amount ---------------------------------------------------------- */

/* Words of ACH entries (a company's credit to the account holder). */
static const char *const ach_words[] = {"PPD", "CCD", "ACH", "DES", "INDN", NULL};

/* apply_amount settles the transaction type with the direction of the
 * money where the text left it open, and lowers the confidence where the
 * two disagree (see enrich.h, step 7).  known: a merchant of the table. */
static void apply_amount(const Tokens *tk, bool known, EnrichResult *r)
{
    if (r->direction == ENRICH_DIRECTION_CREDIT) {
        switch (r->type) {
            case ENRICH_TYPE_PURCHASE:
                /* money back from a merchant: a refund; from an unknown
                 * name, a refund of a card purchase or a company's ACH
                 * credit, and less sure either way */
                if (known) {
                    r->type = ENRICH_TYPE_REFUND;
                } else {
                    r->type =
                        enrich_has_phrase(tk, ach_words) ? ENRICH_TYPE_INCOME : ENRICH_TYPE_REFUND;
                    r->confidence -= 0.1;
                }
                break;
            case ENRICH_TYPE_FEE: /* a fee paid back */
                if (!enrich_has_phrase(tk, refund_words))
                    r->confidence -= 0.1;
                r->type = ENRICH_TYPE_REFUND;
                break;
            case ENRICH_TYPE_ATM_WITHDRAWAL:
                /* "ATM CASH DEPOSIT" reads as a withdrawal by its first word */
                if (enrich_has_phrase(tk, income_words) || enrich_has_phrase(tk, deposit_words))
                    r->type = ENRICH_TYPE_INCOME;
                else
                    r->confidence -= 0.2; /* a reversal, or a deposit: unclear */
                break;
            case ENRICH_TYPE_REFUND:
            case ENRICH_TYPE_TRANSFER:
            case ENRICH_TYPE_INCOME:
                break;
        }
    } else if (r->direction == ENRICH_DIRECTION_DEBIT) {
        switch (r->type) {
            case ENRICH_TYPE_INCOME:
                /* money out is no income: a payroll run, a deposit elsewhere */
                r->type = ENRICH_TYPE_TRANSFER;
                r->confidence -= 0.2;
                break;
            case ENRICH_TYPE_REFUND:
                r->confidence -= 0.2; /* the words say refund, the money says no */
                break;
            case ENRICH_TYPE_PURCHASE:
            case ENRICH_TYPE_TRANSFER:
            case ENRICH_TYPE_FEE:
            case ENRICH_TYPE_ATM_WITHDRAWAL:
                break;
        }
    }
}

/* ---- the pipeline, run --------------------------------------------------- */

/* Describe is one run of the pipeline: its input, what the steps found
 * so far, and the result they fill. */
typedef struct Describe {
    const EnrichTable *table;
    const EnrichInput *in;
    EnrichResult *r;
    Tokens tk;
    size_t start;          /* first token after the bank's words and the processor */
    size_t head;           /* first token of the name */
    bool skipped;          /* leading wallet or bank words were skipped */
    const Processor *proc; /* the payment processor, or NULL */
    int m;                 /* the merchant's row, or -1 */
    size_t mstart, mend;   /* the merchant's key, tokens [mstart, mend) */
    size_t keylen;         /* letters in the key */
    Location loc;
    EnrichCategory mcc_cat; /* the MCC's category, when have_mcc_cat */
    bool have_mcc_cat;
    bool atm_word; /* the descriptor says ATM */
} Describe;

/* 1. read_input checks and tokenizes the descriptor and reads the date,
 * amount and MCC; false when the descriptor is rejected. */
static bool read_input(Describe *d)
{
    EnrichResult *r = d->r;
    const EnrichInput *in = d->in;

    if (in->len > ENRICH_INPUT_MAX) {
        reject(r, "descriptor longer than 512 bytes");
        return false;
    }
    enrich_tokenize(in->text, in->len, &d->tk);
    normalized_text(&d->tk, r);
    if (d->tk.n == 0) {
        reject(r, "descriptor has no letters or digits");
        return false;
    }
    if (in->has_date)
        find_date(&d->tk, &in->date, r);
    if (in->has_amount && in->amount != 0)
        r->direction = in->amount < 0 ? ENRICH_DIRECTION_DEBIT : ENRICH_DIRECTION_CREDIT;
    if (mcc_valid(in->mcc)) {
        memcpy(r->mcc, in->mcc, 5);
        d->have_mcc_cat = enrich_mcc_category(in->mcc, &d->mcc_cat);
    }
    return true;
}

/* 2. find_processor finds the processor, after the bank's leading words
 * and a phone's wallet, and sets start past it. */
static void find_processor(Describe *d)
{
    const Tokens *tk = &d->tk;
    size_t next = 0;

    if ((d->proc = match_processor(tk, 0, &next)) == NULL) {
        for (;;) {
            size_t wallet = 0;
            for (const char *const *w = wallet_words; *w != NULL && wallet == 0; w++)
                wallet = enrich_phrase_end(tk, d->start, *w);
            if (wallet != 0) {
                d->start = wallet;
                d->skipped = true;
            } else if (d->start < tk->n && token_noise(&tk->t[d->start]) && !tk->t[d->start].star) {
                d->start++;
            } else {
                break;
            }
        }
    }
    if (d->proc != NULL ||
        (d->start < tk->n && (d->proc = match_processor(tk, d->start, &next)) != NULL)) {
        const Processor *again;
        d->r->processor = d->proc->name;
        d->start = next;
        /* "SQU*SQ *LITTLE DUCK": the reader's prefix twice */
        while (d->start < tk->n && (again = match_processor(tk, d->start, &next)) != NULL &&
               strcmp(again->name, d->proc->name) == 0)
            d->start = next;
    }
}

/* 3. classify finds the transaction's type; 4. match_merchant the
 * merchant whose key the descriptor holds at its name, if any. */
static void classify(Describe *d)
{
    d->r->type = classify_type(&d->tk);
    d->atm_word = enrich_has_phrase(&d->tk, atm_words);
}

static void match_merchant(Describe *d)
{
    const Tokens *tk = &d->tk;
    size_t head;

    /* bank words never make a key, but may start one ("7-ELEVEN", "IN N OUT") */
    d->m = find_merchant(d->table, tk, d->proc != NULL || d->skipped ? d->start : 0, tk->n,
                         &d->mstart, &d->mend, &d->keylen);
    head = d->start;
    while (head < tk->n && (token_noise(&tk->t[head]) || (tk->t[head].amp && tk->t[head].len == 1)))
        head++;
    d->head = head;
    if (d->m >= 0 && d->mstart < head) {
        /* a key begun in bank words yields to a longer one at the name
         * ("COMPRA EN EL CORTE INGLES" is El Corte Ingles, not ENEL) */
        size_t s2, e2, k2;
        int m2 = find_merchant(d->table, tk, head, tk->n, &s2, &e2, &k2);
        if (m2 >= 0 && s2 == head && e2 > d->mend) {
            d->m = m2;
            d->mstart = s2;
            d->mend = e2;
            d->keylen = k2;
        }
    }
    if (d->m >= 0 && !match_at_head(tk, head, d->mstart, d->mend))
        d->m = -1;
    /* a key of bank words alone ("INTERAC" of "INTERAC PURCHASE - JOES
     * DINER", a suffix "SL") names no shop when the name has a word */
    if (d->m >= 0 && head < tk->n && all_bank_words(tk, d->mstart, d->mend))
        d->m = -1;
    /* a bank transfer names a person, whose name may be a merchant's
     * ("SEPA UEBERWEISUNG AN MAX MUSTERMANN") */
    if (d->m >= 0 && d->r->type == ENRICH_TYPE_TRANSFER && bank_transfer(tk) &&
        strcmp(enrich_table_row(d->table, d->m)->category, "transfers") != 0)
        d->m = -1;
}

/* Location confidences: a place the text names, or only the currency's
 * issuer (weak: an account's currency is often not the merchant's). */
#define LOCATION_CONFIDENCE_TEXT     0.9
#define LOCATION_CONFIDENCE_CURRENCY 0.4

/* 5. locate finds the location, after the merchant when there is one; a
 * one-word merchant key that the place shows to be part of another name
 * is dropped. */
static void locate(Describe *d)
{
    EnrichResult *r = d->r;
    size_t start = d->start;

    enrich_locate(&d->tk, start, d->m >= 0 ? d->mend : start + 1, &d->loc, r);
    if (d->m >= 0 && d->mend - d->mstart == 1 &&
        !match_fits_name(d->table, &d->tk, d->m, d->mend, &d->loc, r->type)) {
        d->m = -1;
        memset(r->city, 0, sizeof(r->city));
        memset(r->region, 0, sizeof(r->region));
        memset(r->country, 0, sizeof(r->country));
        enrich_locate(&d->tk, start, start + 1, &d->loc, r);
    }
    if (r->country[0] != '\0') {
        r->country_source = ENRICH_COUNTRY_DESCRIPTOR;
        r->location_confidence = LOCATION_CONFIDENCE_TEXT;
    } else if (d->in->currency != NULL) {
        const char *hint = enrich_currency_country(d->in->currency);
        if (hint != NULL && hint[0] != '\0') {
            snprintf(r->country, sizeof(r->country), "%s", hint);
            r->country_source = ENRICH_COUNTRY_CURRENCY;
            r->location_confidence = LOCATION_CONFIDENCE_CURRENCY;
        }
    }
}

/* 6a. known_merchant fills the result from the merchant's row. */
static void known_merchant(Describe *d)
{
    EnrichResult *r = d->r;
    const EnrichMerchant *em = enrich_table_row(d->table, d->m);
    EnrichCategory c = ENRICH_SHOPPING;

    r->merchant_index = d->m;
    snprintf(r->merchant, sizeof(r->merchant), "%s", em->name);
    r->domain = em->domain[0] != '\0' ? em->domain : NULL;
    if (!enrich_category_parse(em->category, &c))
        c = ENRICH_SHOPPING;
    r->category = c;
    if (r->mcc[0] == '\0' && em->mcc[0] != '\0')
        memcpy(r->mcc, em->mcc, 5);
    r->is_subscription = em->subscription;
    r->confidence = d->keylen >= 6 ? 0.92 : d->keylen >= 4 ? 0.85 : 0.7;
    if (d->have_mcc_cat && d->mcc_cat != c)
        r->confidence -= 0.15;
    if (strcmp(em->channel, "online") == 0)
        r->channel = ENRICH_CHANNEL_ONLINE;
    else if (strcmp(em->channel, "transfer") == 0)
        r->channel = ENRICH_CHANNEL_TRANSFER;
    /* a merchant's own fees and autopays are purchases; banks' are not */
    if ((r->type == ENRICH_TYPE_FEE || r->type == ENRICH_TYPE_TRANSFER) && c != ENRICH_TRANSFERS &&
        c != ENRICH_INCOME && c != ENRICH_TAXES)
        r->type = ENRICH_TYPE_PURCHASE;
    /* a grocer's or store's pumps: KROGER FUEL, COSTCO GAS */
    if ((c == ENRICH_GROCERIES || c == ENRICH_SHOPPING) && (enrich_has_phrase(&d->tk, fuel_words)))
        r->category = ENRICH_FUEL;
    if (r->type == ENRICH_TYPE_PURCHASE && c == ENRICH_INCOME)
        r->type = ENRICH_TYPE_INCOME;
    if (r->type == ENRICH_TYPE_PURCHASE && c == ENRICH_TRANSFERS)
        r->type = ENRICH_TYPE_TRANSFER;
}

/* 6b. unknown_merchant cleans the name of tokens [name_from, name_to)
 * and guesses its category; false when a purchase has no name. */
static bool unknown_merchant(Describe *d, size_t name_from, size_t name_to)
{
    EnrichResult *r = d->r;
    EnrichCategory cut_cat, kw_cat;
    bool cut_cat_found = false;

    if (name_to > name_from)
        cut_cat_found =
            unknown_name(&d->tk, name_from, name_to, r->merchant, sizeof(r->merchant), &cut_cat);
    if (strlen(r->merchant) < 2 && r->type == ENRICH_TYPE_PURCHASE) {
        reject(r, "no merchant name in descriptor");
        return false;
    }
    /* a transfer's unknown name is a person or an account, no merchant */
    if (r->type == ENRICH_TYPE_ATM_WITHDRAWAL || r->type == ENRICH_TYPE_FEE ||
        r->type == ENRICH_TYPE_TRANSFER || strlen(r->merchant) < 2)
        r->merchant[0] = '\0';
    /* Confidences of unknown merchants, from how often name and
     * category were both right on the training corpora (corpus.tsv
     * and international.tsv: 0.90 with a trade word, 0.55 with no
     * evidence), set lower because those corpora are tuned on. */
    if (d->have_mcc_cat) {
        r->category = d->mcc_cat;
        r->confidence = 0.65;
    } else if (enrich_keyword_category(&d->tk, d->start, d->tk.n, &kw_cat)) {
        r->category = kw_cat;
        r->confidence = 0.6;
    } else if (cut_cat_found) { /* only the word the bank cut says what it is */
        r->category = cut_cat;
        r->confidence = 0.45;
    } else if (d->proc != NULL && processor_category(d->proc, &kw_cat)) {
        r->category = kw_cat; /* a restaurants' till: Toast */
        r->confidence = 0.45;
    } else {
        r->category = ENRICH_SHOPPING;
        r->confidence = 0.25;
    }
    if (r->type != ENRICH_TYPE_PURCHASE)
        r->confidence = 0.7;
    return true;
}

/* 6. name_merchant names the merchant, known or not (a processor that
 * implies one names it when the descriptor has no name); false when the
 * descriptor is rejected. */
static bool name_merchant(Describe *d)
{
    size_t name_from = d->head, name_to = name_end(&d->tk, d->head, &d->loc);

    if (d->m < 0 && d->proc != NULL && d->proc->implied != NULL && name_to == name_from) {
        d->m = enrich_table_find(d->table, d->proc->implied, strlen(d->proc->implied));
        d->keylen = 6;
    }
    if (d->m >= 0) {
        known_merchant(d);
        return true;
    }
    return unknown_merchant(d, name_from, name_to);
}

/* 8. settle_by_type sets channel, category and subscription from the
 * processor, the words and the type. */
static void settle_by_type(Describe *d)
{
    EnrichResult *r = d->r;
    const Tokens *tk = &d->tk;

    if (d->proc != NULL && !d->proc->any_channel)
        r->channel = d->proc->channel;
    else if (online_signal(tk))
        r->channel = ENRICH_CHANNEL_ONLINE;
    /* an unknown biller (a utility, telecom or tax office) or a recurring
     * bill is paid online */
    if (d->m < 0 && r->channel == ENRICH_CHANNEL_IN_STORE && r->type == ENRICH_TYPE_PURCHASE &&
        (r->category == ENRICH_UTILITIES || r->category == ENRICH_TELECOM ||
         r->category == ENRICH_TAXES || enrich_has_phrase(tk, subscription_words)))
        r->channel = ENRICH_CHANNEL_ONLINE;
    /* a bill the payee pulls (direct debit) is paid online, never in a store */
    if ((r->channel == ENRICH_CHANNEL_TRANSFER || r->channel == ENRICH_CHANNEL_IN_STORE) &&
        r->type == ENRICH_TYPE_PURCHASE && enrich_has_phrase(tk, direct_debit_words))
        r->channel = ENRICH_CHANNEL_ONLINE;
    if (r->channel == ENRICH_CHANNEL_TRANSFER && r->type == ENRICH_TYPE_PURCHASE)
        r->channel = ENRICH_CHANNEL_ONLINE;
    if (enrich_has_phrase(tk, subscription_words))
        r->is_subscription = true;
    switch (r->type) {
        case ENRICH_TYPE_PURCHASE:
            break;
        case ENRICH_TYPE_REFUND:
            r->category = ENRICH_REFUNDS;
            r->is_subscription = false;
            break;
        case ENRICH_TYPE_FEE:
            r->category = ENRICH_FEES;
            r->channel = d->atm_word ? ENRICH_CHANNEL_ATM : ENRICH_CHANNEL_TRANSFER;
            r->is_subscription = false;
            break;
        case ENRICH_TYPE_ATM_WITHDRAWAL:
            r->category = ENRICH_ATM;
            r->channel = ENRICH_CHANNEL_ATM;
            r->is_subscription = false;
            break;
        case ENRICH_TYPE_INCOME:
            r->category = ENRICH_INCOME;
            r->channel = d->atm_word ? ENRICH_CHANNEL_ATM : ENRICH_CHANNEL_TRANSFER;
            r->is_subscription = false;
            break;
        case ENRICH_TYPE_TRANSFER:
            r->category = ENRICH_TRANSFERS;
            r->channel = ENRICH_CHANNEL_TRANSFER;
            r->is_subscription = false;
            break;
    }
}

void enrich_describe(const EnrichTable *table, const EnrichInput *in, EnrichResult *r)
{
    Describe d = {.table = table, .in = in, .r = r, .m = -1, .mcc_cat = ENRICH_SHOPPING};

    memset(r, 0, sizeof(*r));
    r->merchant_index = -1;
    r->category = ENRICH_SHOPPING;
    r->channel = ENRICH_CHANNEL_IN_STORE;
    if (!read_input(&d))
        return;
    find_processor(&d);
    classify(&d);
    match_merchant(&d);
    locate(&d);
    if (!name_merchant(&d))
        return;
    /* 7. the direction of the money */
    apply_amount(&d.tk, d.m >= 0, r);
    settle_by_type(&d);
    if (r->confidence > 1)
        r->confidence = 1;
    if (r->confidence < 0.05)
        r->confidence = 0.05;
}
