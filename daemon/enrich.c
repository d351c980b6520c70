/* SPDX-License-Identifier: MIT */
/* enrich.c normalizes, matches and classifies one bank descriptor (see enrich.h). */
#include "enrich.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "enrich_table.h"

static const char *const category_names[ENRICH_NCATEGORIES] = {
    "groceries",     "restaurants", "coffee",        "travel",    "transport",
    "fuel",          "shopping",    "subscriptions", "utilities", "telecom",
    "entertainment", "health",      "education",     "insurance", "fees",
    "transfers",     "atm",         "income",        "refunds",   "taxes",
};

const char *enrich_category_name(EnrichCategory c)
{
    return c >= 0 && c < ENRICH_NCATEGORIES ? category_names[c] : "shopping";
}

const char *enrich_channel_name(EnrichChannel c)
{
    static const char *const names[] = {"online", "in_store", "atm", "transfer"};
    return names[c];
}

const char *enrich_type_name(EnrichType t)
{
    static const char *const names[] = {"purchase", "refund",         "transfer",
                                        "fee",      "atm_withdrawal", "income"};
    return names[t];
}

const char *enrich_direction_name(EnrichDirection d)
{
    static const char *const names[] = {NULL, "debit", "credit"};
    return names[d];
}

const char *enrich_country_source_name(EnrichCountrySource s)
{
    static const char *const names[] = {NULL, "descriptor", "currency"};
    return names[s];
}

bool enrich_category_parse(const char *name, EnrichCategory *c)
{
    for (int i = 0; i < ENRICH_NCATEGORIES; i++) {
        if (strcmp(category_names[i], name) == 0) {
            *c = (EnrichCategory)i;
            return true;
        }
    }
    return false;
}

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

/* ---- tokens -------------------------------------------------------------- */

enum { MAX_TOKENS = 64, MAX_RUN = 6 };

/* Token is one word of the normalized descriptor. */
typedef struct Token {
    const char *s; /* into Tokens.buf, NUL-terminated */
    size_t len;
    bool digit; /* has a digit */
    bool alpha; /* has a letter */
    bool star;  /* a '*' follows */
    bool dot;   /* a '.' comes right before ("NETFLIX.COM") */
    bool slash; /* a '/' or '-' comes right before ("04/12") */
    bool noise; /* a bank word, number or mask: see is_noise */
} Token;

typedef struct Tokens {
    char buf[2 * ENRICH_INPUT_MAX + 2];
    Token t[MAX_TOKENS];
    size_t n;
    uint64_t by_first[256]; /* bit i: token i starts with this byte */
} Tokens;

static bool is_noise(const Token *t);

static bool noise(const Token *t)
{
    return t->noise;
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static void tokenize(const char *text, size_t len, Tokens *tk)
{
    size_t out = 0;
    Token *cur = NULL;
    bool dot = false, slash = false;

    tk->n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        bool inword = cur != NULL && i + 1 < len && is_alnum((unsigned char)text[i + 1]);

        if (is_alnum(c)) {
            if (cur == NULL) {
                if (tk->n == MAX_TOKENS)
                    break;
                cur = &tk->t[tk->n++];
                *cur = (Token){.s = tk->buf + out, .dot = dot, .slash = slash};
            }
            if (c >= 'a' && c <= 'z')
                c = (unsigned char)(c - 'a' + 'A');
            if (c >= '0' && c <= '9')
                cur->digit = true;
            else
                cur->alpha = true;
            tk->buf[out++] = (char)c;
            cur->len++;
            dot = false;
            slash = false;
            continue;
        }
        if ((c == '\'' || c == '&') && inword)
            continue; /* MCDONALD'S, AT&T */
        if (cur != NULL) {
            tk->buf[out++] = '\0';
            cur = NULL;
            if (c == '+' && tk->n < MAX_TOKENS) { /* DISNEY+ reads DISNEY PLUS */
                tk->t[tk->n++] = (Token){.s = tk->buf + out, .len = 4, .alpha = true};
                memcpy(tk->buf + out, "PLUS", 5);
                out += 5;
            }
        }
        dot = c == '.';
        slash = c == '/' || c == '-';
        if (c == '*' && tk->n > 0)
            tk->t[tk->n - 1].star = true;
    }
    if (cur != NULL)
        tk->buf[out++] = '\0';
    memset(tk->by_first, 0, sizeof(tk->by_first));
    for (size_t i = 0; i < tk->n; i++) {
        tk->t[i].noise = is_noise(&tk->t[i]);
        tk->by_first[(unsigned char)tk->t[i].s[0]] |= (uint64_t)1 << i;
    }
}

static bool tok_is(const Token *t, const char *word)
{
    return t->s[0] == word[0] && strcmp(t->s, word) == 0;
}

static bool in_list(const Token *t, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (tok_is(t, *list))
            return true;
    }
    return false;
}

/* Words banks add, never part of a merchant's name; sorted (C locale)
 * for the binary search of is_noise. */
static const char *const noise_words[] = {
    "ACH",          "APPLE PAY",   "APPLEPAY",      "ATM",       "AUT",        "AUTH",
    "AUTHORIZED",   "AUTO",        "AUTOPAY",       "BILL",      "CARD",       "CASH",
    "CCD",          "CHECK",       "CHECKCARD",     "CHECKING",  "CHK",        "CHKCARD",
    "COM",          "CONF",        "CONTACTLESS",   "CR",        "CRD",        "DATE",
    "DBT",          "DDA",         "DEB",           "DEBIT",     "DEP",        "DEPOSIT",
    "DES",          "DIR",         "DIRECT",        "DIVIDEND",  "DR",         "EFT",
    "ENDING",       "EPAY",        "FEE",           "FOR",       "FOREIGN",    "FROM",
    "GOOGLEPAY",    "HELP",        "HTTP",          "HTTPS",     "ID",         "IN",
    "INC",          "INCOMING",    "INDN",          "INST",      "INTEREST",   "INTERNATIONAL",
    "INTERNET",     "INTL",        "LLC",           "LTD",       "MASTERCARD", "MC",
    "MEMBERSHIP",   "MOBILE",      "MONTHLY",       "NET",       "NO",         "NON",
    "ON",           "ONLINE",      "ORG",           "OUTGOING",  "PAYMENT",    "PAYROLL",
    "PENDING",      "PIN",         "PMNT",          "PMT",       "POS",        "POSDEB",
    "PPD",          "PRCH",        "PREAUTHORIZED", "PUR",       "PURCH",      "PURCHASE",
    "RCVD",         "RECEIVED",    "RECUR",         "RECURRING", "REF",        "REFUND",
    "REFUNDED",     "RETURN",      "SALE",          "SAV",       "SAVINGS",    "SEND",
    "SENT",         "SEQ",         "SIG",           "STORE",     "STR",        "SUBSCR",
    "SUBSCRIPTION", "TAP",         "TERM",          "THANK",     "TIME",       "TO",
    "TRANS",        "TRANSACTION", "TRANSFER",      "TRX",       "TXN",        "US",
    "USA",          "VIS",         "VISA",          "WALLET",    "WEB",        "WIRE",
    "WITHDRAW",     "WITHDRAWAL",  "WITHDRWL",      "WWW",       "XFER",       "YOU",
};

/* is_noise reports whether a token is never part of a name: a bank word,
 * a number or a card mask (XXXX).  tokenize stores it in Token.noise. */
static bool is_noise(const Token *t)
{
    if (t->digit)
        return true;
    if (t->len >= 2 && strspn(t->s, "X") == t->len)
        return true;
    size_t lo = 0, hi = sizeof(noise_words) / sizeof(noise_words[0]);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(t->s, noise_words[mid]);
        if (c == 0)
            return true;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
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
} Processor;

static const Processor processors[] = {
    {{"SQ"}, true, "Square", NULL, ENRICH_CHANNEL_IN_STORE},
    {{"SQU"}, true, "Square", NULL, ENRICH_CHANNEL_IN_STORE},
    {{"TST"}, true, "Toast", NULL, ENRICH_CHANNEL_IN_STORE},
    {{"CLV"}, true, "Clover", NULL, ENRICH_CHANNEL_IN_STORE},
    {{"PAYPAL"}, true, "PayPal", "PAYPAL", ENRICH_CHANNEL_ONLINE},
    {{"PP"}, true, "PayPal", "PAYPAL", ENRICH_CHANNEL_ONLINE},
    {{"STRIPE"}, true, "Stripe", NULL, ENRICH_CHANNEL_ONLINE},
    {{"GOOGLE"}, true, "Google", "GOOGLE", ENRICH_CHANNEL_ONLINE},
    {{"APL"}, true, "Apple", "APPLE", ENRICH_CHANNEL_ONLINE},
    {{"APPLE", "COM", "BILL"}, false, "Apple", "APPLE", ENRICH_CHANNEL_ONLINE},
    {{"AMZN", "MKTP", "US"}, false, "Amazon Marketplace", "AMAZON", ENRICH_CHANNEL_ONLINE},
    {{"AMZN", "MKTP"}, false, "Amazon Marketplace", "AMAZON", ENRICH_CHANNEL_ONLINE},
    {{"AMAZON", "MKTPL"}, false, "Amazon Marketplace", "AMAZON", ENRICH_CHANNEL_ONLINE},
    {{"AMAZON", "MKTPLACE"}, false, "Amazon Marketplace", "AMAZON", ENRICH_CHANNEL_ONLINE},
    {{"AMAZON", "MARKETPLACE"}, false, "Amazon Marketplace", "AMAZON", ENRICH_CHANNEL_ONLINE},
    {{"SP"}, true, "Shopify", NULL, ENRICH_CHANNEL_ONLINE},
    {{"SHOPIFY"}, true, "Shopify", NULL, ENRICH_CHANNEL_ONLINE},
    {{"IN"}, true, "Intuit", NULL, ENRICH_CHANNEL_ONLINE},
    {{"FS"}, true, "FastSpring", NULL, ENRICH_CHANNEL_ONLINE},
    {{"PADDLE", "NET"}, true, "Paddle", NULL, ENRICH_CHANNEL_ONLINE},
};

/* match_processor returns the processor whose words start at tokens[i], and
 * sets *next to the token after them; NULL when none does. */
static const Processor *match_processor(const Tokens *tk, size_t i, size_t *next)
{
    for (size_t p = 0; p < sizeof(processors) / sizeof(processors[0]); p++) {
        const Processor *pr = &processors[p];
        size_t k = 0;
        while (k < 3 && pr->words[k] != NULL && i + k < tk->n &&
               tok_is(&tk->t[i + k], pr->words[k]))
            k++;
        if (k == 3 || pr->words[k] == NULL) {
            if (pr->star && !tk->t[i + k - 1].star)
                continue;
            *next = i + k;
            return pr;
        }
    }
    return NULL;
}

/* ---- keywords ------------------------------------------------------------ */

/* phrase_end returns the index after the space-separated words of phrase
 * when they start at tokens[i], else 0. */
static size_t phrase_end(const Tokens *tk, size_t i, const char *phrase)
{
    while (*phrase != '\0') {
        size_t len;
        if (i >= tk->n || tk->t[i].s[0] != phrase[0])
            return 0;
        len = strcspn(phrase, " ");
        if (i >= tk->n || tk->t[i].len != len || memcmp(tk->t[i].s, phrase, len) != 0)
            return 0;
        phrase += len;
        phrase += *phrase == ' ';
        i++;
    }
    return i;
}

/* phrase_at reports whether the space-separated words of phrase start at tokens[i]. */
static bool phrase_at(const Tokens *tk, size_t i, const char *phrase)
{
    return phrase_end(tk, i, phrase) != 0;
}

/* has_phrase reports whether one of the phrases occurs anywhere. */
static bool has_phrase(const Tokens *tk, const char *const *phrases)
{
    for (const char *const *p = phrases; *p != NULL; p++) {
        for (uint64_t m = tk->by_first[(unsigned char)(*p)[0]]; m != 0; m &= m - 1) {
            if (phrase_at(tk, (size_t)__builtin_ctzll(m), *p))
                return true;
        }
    }
    return false;
}

static const char *const fee_words[] = {
    "FEE",       "FEES", "SERVICE CHARGE", "OVERDRAFT", "NSF", "INTEREST CHARGE", "FINANCE CHARGE",
    "OD CHARGE", NULL,
};
static const char *const refund_words[] = {
    "REFUND",          "RETURN",         "REVERSAL", "REFUNDED", "TAX REF", "MERCHANDISE CREDIT",
    "PURCHASE CREDIT", "CREDIT VOUCHER", NULL,
};
static const char *const atm_words[] = {"ATM", "CASH WITHDRAWAL", "ATM WITHDRAWAL", NULL};
static const char *const income_words[] = {
    "PAYROLL", "DIR DEP",          "DIRECT DEP",    "DIRECT DEPOSIT",  "DIRDEP",   "SALARY",
    "DEPOSIT", "INTEREST PAYMENT", "INTEREST PAID", "INTEREST EARNED", "DIVIDEND", "PAYRLL",
    NULL,
};
static const char *const transfer_words[] = {
    "TRANSFER",        "XFER",       "WIRE",
    "AUTOPAY",         "AUTO PAY",   "CRCARDPMT",
    "EPAYMENT",        "E PAYMENT",  "PAYMENT THANK YOU",
    "ONLINE PAYMENT",  "ONLINE PMT", "CARD PAYMENT",
    "CREDIT CARD PMT", "CREDIT CRD", "ZELLE",
    "VENMO",           NULL,
};
static const char *const subscription_words[] = {
    "RECURRING", "SUBSCRIPTION", "SUBSCR", "MEMBERSHIP", "MONTHLY", "AUTO RENEW", "RENEWAL", NULL,
};
static const char *const fuel_words[] = {"FUEL", "GAS", NULL};
static const char *const online_words[] = {
    "WWW", "ONLINE", "INTERNET", "WEB", "HTTP", "HTTPS", "ECOMMERCE", "DIGITAL", NULL,
};

/* Keywords of unknown merchants' names; a weak one yields to any strong one. */
typedef struct Keyword {
    const char *word;
    EnrichCategory category;
    bool weak;
} Keyword;

static const Keyword keywords[] = {
    {"COFFEE", ENRICH_COFFEE, false},
    {"COFFE", ENRICH_COFFEE, false},
    {"ESPRESSO", ENRICH_COFFEE, false},
    {"ROASTERS", ENRICH_COFFEE, false},
    {"ROASTERY", ENRICH_COFFEE, false},
    {"CAFE", ENRICH_COFFEE, true},
    {"TEA", ENRICH_COFFEE, true},
    {"RESTAURANT", ENRICH_RESTAURANTS, false},
    {"REST", ENRICH_RESTAURANTS, false},
    {"RSTRNT", ENRICH_RESTAURANTS, false},
    {"GRILL", ENRICH_RESTAURANTS, false},
    {"PIZZA", ENRICH_RESTAURANTS, false},
    {"PIZZERIA", ENRICH_RESTAURANTS, false},
    {"TACO", ENRICH_RESTAURANTS, false},
    {"TACOS", ENRICH_RESTAURANTS, false},
    {"TAQUERIA", ENRICH_RESTAURANTS, false},
    {"SUSHI", ENRICH_RESTAURANTS, false},
    {"BURGER", ENRICH_RESTAURANTS, false},
    {"BURGERS", ENRICH_RESTAURANTS, false},
    {"KITCHEN", ENRICH_RESTAURANTS, false},
    {"BBQ", ENRICH_RESTAURANTS, false},
    {"DINER", ENRICH_RESTAURANTS, false},
    {"BISTRO", ENRICH_RESTAURANTS, false},
    {"THAI", ENRICH_RESTAURANTS, false},
    {"PHO", ENRICH_RESTAURANTS, false},
    {"RAMEN", ENRICH_RESTAURANTS, false},
    {"BAKERY", ENRICH_RESTAURANTS, false},
    {"DELI", ENRICH_RESTAURANTS, false},
    {"BAR", ENRICH_RESTAURANTS, false},
    {"PUB", ENRICH_RESTAURANTS, false},
    {"TAVERN", ENRICH_RESTAURANTS, false},
    {"CANTINA", ENRICH_RESTAURANTS, false},
    {"BREWING", ENRICH_RESTAURANTS, false},
    {"BREWERY", ENRICH_RESTAURANTS, false},
    {"WINGS", ENRICH_RESTAURANTS, false},
    {"NOODLE", ENRICH_RESTAURANTS, false},
    {"NOODLES", ENRICH_RESTAURANTS, false},
    {"STEAKHOUSE", ENRICH_RESTAURANTS, false},
    {"CHICKEN", ENRICH_RESTAURANTS, false},
    {"SANDWICH", ENRICH_RESTAURANTS, false},
    {"BAGEL", ENRICH_RESTAURANTS, false},
    {"BAGELS", ENRICH_RESTAURANTS, false},
    {"DONUT", ENRICH_RESTAURANTS, false},
    {"DONUTS", ENRICH_RESTAURANTS, false},
    {"CREAMERY", ENRICH_RESTAURANTS, false},
    {"GELATO", ENRICH_RESTAURANTS, false},
    {"EATERY", ENRICH_RESTAURANTS, false},
    {"TRATTORIA", ENRICH_RESTAURANTS, false},
    {"OSTERIA", ENRICH_RESTAURANTS, false},
    {"CUCINA", ENRICH_RESTAURANTS, false},
    {"BRASSERIE", ENRICH_RESTAURANTS, false},
    {"GASTROPUB", ENRICH_RESTAURANTS, false},
    {"SMOKEHOUSE", ENRICH_RESTAURANTS, false},
    {"DUMPLING", ENRICH_RESTAURANTS, false},
    {"KABOB", ENRICH_RESTAURANTS, false},
    {"KEBAB", ENRICH_RESTAURANTS, false},
    {"FALAFEL", ENRICH_RESTAURANTS, false},
    {"BURRITO", ENRICH_RESTAURANTS, false},
    {"CAFETERIA", ENRICH_RESTAURANTS, false},
    {"WINGS", ENRICH_RESTAURANTS, false},
    {"GROCERY", ENRICH_GROCERIES, false},
    {"GROCERIES", ENRICH_GROCERIES, false},
    {"SUPERMARKET", ENRICH_GROCERIES, false},
    {"MERCADO", ENRICH_GROCERIES, false},
    {"CARNICERIA", ENRICH_GROCERIES, false},
    {"PRODUCE", ENRICH_GROCERIES, false},
    {"BUTCHER", ENRICH_GROCERIES, false},
    {"LIQUOR", ENRICH_GROCERIES, false},
    {"LIQUORS", ENRICH_GROCERIES, false},
    {"FOODS", ENRICH_GROCERIES, true},
    {"MARKET", ENRICH_GROCERIES, true},
    {"MKT", ENRICH_GROCERIES, true},
    {"FARMERS", ENRICH_GROCERIES, true},
    {"GAS", ENRICH_FUEL, true},
    {"FUEL", ENRICH_FUEL, false},
    {"FUELS", ENRICH_FUEL, false},
    {"PETRO", ENRICH_FUEL, false},
    {"PETROLEUM", ENRICH_FUEL, false},
    {"GASOLINE", ENRICH_FUEL, false},
    {"OIL", ENRICH_FUEL, true},
    {"PARKING", ENRICH_TRANSPORT, false},
    {"GARAGE", ENRICH_TRANSPORT, true},
    {"TAXI", ENRICH_TRANSPORT, false},
    {"CAB", ENRICH_TRANSPORT, false},
    {"LIMO", ENRICH_TRANSPORT, false},
    {"TRANSIT", ENRICH_TRANSPORT, false},
    {"TOLL", ENRICH_TRANSPORT, false},
    {"TOLLWAY", ENRICH_TRANSPORT, false},
    {"FERRY", ENRICH_TRANSPORT, false},
    {"SHUTTLE", ENRICH_TRANSPORT, false},
    {"CARWASH", ENRICH_TRANSPORT, false},
    {"WASH", ENRICH_TRANSPORT, true},
    {"TIRE", ENRICH_TRANSPORT, false},
    {"TIRES", ENRICH_TRANSPORT, false},
    {"LUBE", ENRICH_TRANSPORT, false},
    {"AUTOMOTIVE", ENRICH_TRANSPORT, false},
    {"HOTEL", ENRICH_TRAVEL, false},
    {"HOTELS", ENRICH_TRAVEL, false},
    {"INN", ENRICH_TRAVEL, false},
    {"MOTEL", ENRICH_TRAVEL, false},
    {"RESORT", ENRICH_TRAVEL, false},
    {"SUITES", ENRICH_TRAVEL, false},
    {"LODGE", ENRICH_TRAVEL, true},
    {"AIRLINE", ENRICH_TRAVEL, false},
    {"AIRLINES", ENRICH_TRAVEL, false},
    {"AIRWAYS", ENRICH_TRAVEL, false},
    {"AIRPORT", ENRICH_TRAVEL, false},
    {"TRAVEL", ENRICH_TRAVEL, false},
    {"TOURS", ENRICH_TRAVEL, false},
    {"CRUISE", ENRICH_TRAVEL, false},
    {"HOSTEL", ENRICH_TRAVEL, false},
    {"PHARMACY", ENRICH_HEALTH, false},
    {"PHARM", ENRICH_HEALTH, false},
    {"DRUG", ENRICH_HEALTH, false},
    {"DRUGS", ENRICH_HEALTH, false},
    {"DENTAL", ENRICH_HEALTH, false},
    {"DENTIST", ENRICH_HEALTH, false},
    {"DDS", ENRICH_HEALTH, false},
    {"MEDICAL", ENRICH_HEALTH, false},
    {"CLINIC", ENRICH_HEALTH, false},
    {"HOSPITAL", ENRICH_HEALTH, false},
    {"HEALTH", ENRICH_HEALTH, false},
    {"HEALTHCARE", ENRICH_HEALTH, false},
    {"MD", ENRICH_HEALTH, false},
    {"PEDIATRICS", ENRICH_HEALTH, false},
    {"ORTHODONTICS", ENRICH_HEALTH, false},
    {"OPTOMETRY", ENRICH_HEALTH, false},
    {"VISION", ENRICH_HEALTH, false},
    {"CHIROPRACTIC", ENRICH_HEALTH, false},
    {"THERAPY", ENRICH_HEALTH, false},
    {"URGENT", ENRICH_HEALTH, false},
    {"VET", ENRICH_HEALTH, false},
    {"VETERINARY", ENRICH_HEALTH, false},
    {"FITNESS", ENRICH_HEALTH, false},
    {"GYM", ENRICH_HEALTH, false},
    {"YOGA", ENRICH_HEALTH, false},
    {"PILATES", ENRICH_HEALTH, false},
    {"CROSSFIT", ENRICH_HEALTH, false},
    {"SALON", ENRICH_HEALTH, false},
    {"SPA", ENRICH_HEALTH, false},
    {"BARBER", ENRICH_HEALTH, false},
    {"BARBERSHOP", ENRICH_HEALTH, false},
    {"NAILS", ENRICH_HEALTH, false},
    {"SCHOOL", ENRICH_EDUCATION, false},
    {"UNIVERSITY", ENRICH_EDUCATION, false},
    {"UNIV", ENRICH_EDUCATION, false},
    {"COLLEGE", ENRICH_EDUCATION, false},
    {"ACADEMY", ENRICH_EDUCATION, true},
    {"TUITION", ENRICH_EDUCATION, false},
    {"LEARNING", ENRICH_EDUCATION, false},
    {"INSTITUTE", ENRICH_EDUCATION, false},
    {"MONTESSORI", ENRICH_EDUCATION, false},
    {"PRESCHOOL", ENRICH_EDUCATION, false},
    {"INSURANCE", ENRICH_INSURANCE, false},
    {"INS", ENRICH_INSURANCE, false},
    {"ASSURANCE", ENRICH_INSURANCE, false},
    {"ELECTRIC", ENRICH_UTILITIES, false},
    {"ELEC", ENRICH_UTILITIES, false},
    {"ENERGY", ENRICH_UTILITIES, false},
    {"POWER", ENRICH_UTILITIES, true},
    {"WATER", ENRICH_UTILITIES, false},
    {"SEWER", ENRICH_UTILITIES, false},
    {"UTILITY", ENRICH_UTILITIES, false},
    {"UTILITIES", ENRICH_UTILITIES, false},
    {"UTIL", ENRICH_UTILITIES, false},
    {"WASTE", ENRICH_UTILITIES, false},
    {"TRASH", ENRICH_UTILITIES, false},
    {"SANITATION", ENRICH_UTILITIES, false},
    {"PROPANE", ENRICH_UTILITIES, false},
    {"WIRELESS", ENRICH_TELECOM, false},
    {"TELECOM", ENRICH_TELECOM, false},
    {"CABLE", ENRICH_TELECOM, false},
    {"BROADBAND", ENRICH_TELECOM, false},
    {"FIBER", ENRICH_TELECOM, false},
    {"CELLULAR", ENRICH_TELECOM, false},
    {"COMMUNICATIONS", ENRICH_TELECOM, false},
    {"TELEPHONE", ENRICH_TELECOM, false},
    {"CINEMA", ENRICH_ENTERTAINMENT, false},
    {"CINEMAS", ENRICH_ENTERTAINMENT, false},
    {"THEATER", ENRICH_ENTERTAINMENT, false},
    {"THEATRE", ENRICH_ENTERTAINMENT, false},
    {"THEATRES", ENRICH_ENTERTAINMENT, false},
    {"MOVIES", ENRICH_ENTERTAINMENT, false},
    {"TICKETS", ENRICH_ENTERTAINMENT, false},
    {"GAMES", ENRICH_ENTERTAINMENT, false},
    {"GAMING", ENRICH_ENTERTAINMENT, false},
    {"BOWLING", ENRICH_ENTERTAINMENT, false},
    {"ARCADE", ENRICH_ENTERTAINMENT, false},
    {"MUSEUM", ENRICH_ENTERTAINMENT, false},
    {"ZOO", ENRICH_ENTERTAINMENT, false},
    {"AQUARIUM", ENRICH_ENTERTAINMENT, false},
    {"CONCERT", ENRICH_ENTERTAINMENT, false},
    {"GOLF", ENRICH_ENTERTAINMENT, false},
    {"CASINO", ENRICH_ENTERTAINMENT, false},
    {"KARAOKE", ENRICH_ENTERTAINMENT, false},
    {"STADIUM", ENRICH_ENTERTAINMENT, false},
    {"ARENA", ENRICH_ENTERTAINMENT, false},
    {"BOUTIQUE", ENRICH_SHOPPING, false},
    {"OUTLET", ENRICH_SHOPPING, false},
    {"HARDWARE", ENRICH_SHOPPING, false},
    {"FURNITURE", ENRICH_SHOPPING, false},
    {"JEWELERS", ENRICH_SHOPPING, false},
    {"JEWELRY", ENRICH_SHOPPING, false},
    {"BOOKS", ENRICH_SHOPPING, false},
    {"BOOKSTORE", ENRICH_SHOPPING, false},
    {"FLORIST", ENRICH_SHOPPING, false},
    {"FLOWERS", ENRICH_SHOPPING, false},
    {"GIFTS", ENRICH_SHOPPING, false},
    {"TOYS", ENRICH_SHOPPING, false},
    {"CLOTHING", ENRICH_SHOPPING, false},
    {"APPAREL", ENRICH_SHOPPING, false},
    {"SHOES", ENRICH_SHOPPING, false},
    {"ELECTRONICS", ENRICH_SHOPPING, false},
    {"THRIFT", ENRICH_SHOPPING, false},
    {"ANTIQUES", ENRICH_SHOPPING, false},
    {"SHOP", ENRICH_SHOPPING, true},
    {"TAX", ENRICH_TAXES, false},
    {"TAXES", ENRICH_TAXES, false},
    {"TREASURER", ENRICH_TAXES, false},
    {"SUBSCRIPTION", ENRICH_SUBSCRIPTIONS, false},
};

/* keyword_category finds the category of the first strong keyword, else of
 * the first weak one, among tokens [from, to). */
static bool keyword_category(const Tokens *tk, size_t from, size_t to, EnrichCategory *c)
{
    bool weak_found = false;
    EnrichCategory weak = ENRICH_SHOPPING;

    uint64_t range =
        (to >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << to) - 1) & ~(((uint64_t)1 << from) - 1);

    for (size_t i = from; i < to; i++) {
        if ((tk->by_first[(unsigned char)tk->t[i].s[0]] & range) == 0)
            continue;
        for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++) {
            if (!tok_is(&tk->t[i], keywords[k].word))
                continue;
            if (!keywords[k].weak) {
                *c = keywords[k].category;
                return true;
            }
            if (!weak_found) {
                weak_found = true;
                weak = keywords[k].category;
            }
        }
    }
    *c = weak;
    return weak_found;
}

/* ---- location ------------------------------------------------------------ */

static const char *const us_states[] = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
    "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
    "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", NULL,
};
static const char *const ca_provinces[] = {"ON", "QC", "BC", "AB", "MB", "SK", "NS", "NB", NULL};

typedef struct Country {
    const char *code, *iso;
} Country;

static const Country countries[] = {
    {"USA", "US"}, {"GB", "GB"},  {"GBR", "GB"}, {"UK", "GB"},  {"CAN", "CA"}, {"IE", "IE"},
    {"IRL", "IE"}, {"FR", "FR"},  {"FRA", "FR"}, {"DEU", "DE"}, {"NL", "NL"},  {"NLD", "NL"},
    {"AU", "AU"},  {"AUS", "AU"}, {"MX", "MX"},  {"MEX", "MX"}, {"ESP", "ES"}, {"ITA", "IT"},
};

/* Cities of more than one word, or that could pass for a name's last word. */
static const char *const known_cities[] = {
    "SAN FRANCISCO",
    "SAN JOSE",
    "SAN DIEGO",
    "SAN ANTONIO",
    "SAN MATEO",
    "SANTA MONICA",
    "SANTA CLARA",
    "SANTA BARBARA",
    "SANTA CRUZ",
    "SANTA ANA",
    "SANTA FE",
    "LOS ANGELES",
    "LOS GATOS",
    "LAS VEGAS",
    "NEW YORK",
    "NEW ORLEANS",
    "NEW HAVEN",
    "JERSEY CITY",
    "FORT WORTH",
    "FT WORTH",
    "FORT LAUDERDALE",
    "FT LAUDERDALE",
    "ST LOUIS",
    "SAINT LOUIS",
    "ST PAUL",
    "ST PETERSBURG",
    "SALT LAKE CITY",
    "SALT LAKE CTY",
    "KANSAS CITY",
    "OKLAHOMA CITY",
    "COLORADO SPRINGS",
    "PALO ALTO",
    "MOUNTAIN VIEW",
    "MENLO PARK",
    "REDWOOD CITY",
    "DALY CITY",
    "BEVERLY HILLS",
    "CULVER CITY",
    "LONG BEACH",
    "LONG ISLAND CITY",
    "VIRGINIA BEACH",
    "BATON ROUGE",
    "CORPUS CHRISTI",
    "EL PASO",
    "ANN ARBOR",
    "GRAND RAPIDS",
    "DES MOINES",
    "BOCA RATON",
    "CORAL GABLES",
    "MIAMI BEACH",
    "WEST PALM BEACH",
    "PALM SPRINGS",
    "CHAPEL HILL",
    "WINSTON SALEM",
    "NEWPORT BEACH",
    "HUNTINGTON BEACH",
    "THOUSAND OAKS",
    "WALNUT CREEK",
    "SOUTH SAN FRANCISCO",
    "NORTH HOLLYWOOD",
    "WEST HOLLYWOOD",
    "ST AUGUSTINE",
    "CEDAR RAPIDS",
    "SIOUX FALLS",
    "ROUND ROCK",
    "COLLEGE STATION",
    "OVERLAND PARK",
    "NEW BRUNSWICK",
    "WHITE PLAINS",
    "SILVER SPRING",
    "CHEVY CHASE",
    "BOWLING GREEN",
    "LITTLE ROCK",
    "PANAMA CITY",
    "DAYTONA BEACH",
    "POMPANO BEACH",
    "RANCHO CUCAMONGA",
    "DELRAY BEACH",
    "GREEN BAY",
    "PORT ST LUCIE",
    "SOUTH BEND",
    "FORT COLLINS",
    "FT COLLINS",
    "CAPE CORAL",
    "LAKE FOREST",
    "ELK GROVE",
    NULL,
};

/* ---- the pipeline -------------------------------------------------------- */

/* copy_title writes tokens [from, to) of tk into out (size n) in title
 * case, skipping those flagged in skip; a lone "S" after a word becomes
 * "'s" ("JOE S" -> "Joe's"). */
static void copy_title(const Tokens *tk, size_t from, size_t to, char *out, size_t n)
{
    size_t o = 0;

    out[0] = '\0';
    for (size_t i = from; i < to; i++) {
        const Token *t = &tk->t[i];
        bool possessive = t->len == 1 && t->s[0] == 'S' && o > 0;
        if (possessive) {
            if (o + 3 >= n)
                break;
            out[o++] = '\'';
            out[o++] = 's';
            continue;
        }
        if (o + t->len + 2 >= n)
            break;
        if (o > 0)
            out[o++] = ' ';
        for (size_t k = 0; k < t->len; k++) {
            char c = t->s[k];
            out[o++] = (char)(k > 0 && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
    }
    out[o] = '\0';
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

        if (t->digit && (t->alpha || t->len > 2))
            continue; /* a store number, date or code starts no name */
        for (size_t j = i; j < to && j < i + MAX_RUN; j++) {
            int m;
            if (len + tk->t[j].len > ENRICH_KEY_MAX)
                break;
            memcpy(key + len, tk->t[j].s, tk->t[j].len);
            len += tk->t[j].len;
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

/* Location is where the location words are: tokens [city, region_at) are
 * the city, region_at the region, country_at the country (or -1 each). */
typedef struct Location {
    long city_from, city_to, region_at, country_at;
} Location;

static bool is_place_word(const Token *t)
{
    return t->alpha && !t->digit && !noise(t) && !t->dot && t->len >= 3;
}

/* locate finds a trailing location among tokens [from, n), keeping at
 * least keep tokens before it for the name (keep = from when a merchant
 * matched already). */
static void locate(const Tokens *tk, size_t from, size_t keep, Location *loc, EnrichResult *r)
{
    long i = (long)tk->n - 1;

    *loc = (Location){-1, -1, -1, -1};
    while (i >= (long)from && (tk->t[i].digit || (noise(&tk->t[i]) && !tok_is(&tk->t[i], "US") &&
                                                  !tok_is(&tk->t[i], "USA"))))
        i--;
    if (i < (long)from)
        return;
    for (size_t c = 0; c < sizeof(countries) / sizeof(countries[0]); c++) {
        if (tok_is(&tk->t[i], countries[c].code) ||
            (tok_is(&tk->t[i], "US") && strcmp(countries[c].iso, "US") == 0)) {
            snprintf(r->country, sizeof(r->country), "%s", countries[c].iso);
            loc->country_at = i--;
            break;
        }
    }
    while (i >= (long)from && tk->t[i].digit)
        i--;
    if (i >= (long)from && i >= (long)keep && tk->t[i].len == 2 && !tk->t[i].dot &&
        (in_list(&tk->t[i], us_states) || in_list(&tk->t[i], ca_provinces))) {
        bool canada = in_list(&tk->t[i], ca_provinces);
        snprintf(r->region, sizeof(r->region), "%s", tk->t[i].s);
        if (r->country[0] == '\0' || loc->country_at < 0)
            snprintf(r->country, sizeof(r->country), "%s", canada ? "CA" : "US");
        loc->region_at = i--;
    }
    if (loc->region_at < 0 && loc->country_at < 0)
        return;
    while (i >= (long)from && tk->t[i].digit)
        i--;
    /* a known city of several words, else one place word */
    for (long j = i - 3 > (long)keep ? i - 3 : (long)keep; j <= i && loc->city_from < 0; j++) {
        for (const char *const *c = known_cities; *c != NULL; c++) {
            if ((*c)[0] == tk->t[j].s[0] && phrase_end(tk, (size_t)j, *c) == (size_t)i + 1) {
                loc->city_from = j;
                loc->city_to = i + 1;
                break;
            }
        }
    }
    if (loc->city_from < 0 && i >= (long)keep && (i > (long)keep || keep > from) &&
        is_place_word(&tk->t[i]) && !tk->t[i].star) {
        loc->city_from = i;
        loc->city_to = i + 1;
    }
    if (loc->city_from >= 0)
        copy_title(tk, (size_t)loc->city_from, (size_t)loc->city_to, r->city, sizeof(r->city));
}

static const char *const web_suffixes[] = {"COM", "NET", "ORG", "IO",   "GOV", "UK",
                                           "CO",  "AI",  "SO",  "INFO", "LY",  NULL};

/* online_signal: a web address, an online word, or a phone number where
 * card-present transactions print the city. */
static bool online_signal(const Tokens *tk)
{
    if (has_phrase(tk, online_words))
        return true;
    for (size_t i = 0; i < tk->n; i++) {
        const Token *t = &tk->t[i];
        if (t->dot && t->alpha && in_list(t, web_suffixes))
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

static EnrichType classify_type(const Tokens *tk)
{
    if (has_phrase(tk, fee_words))
        return ENRICH_TYPE_FEE;
    if (has_phrase(tk, refund_words))
        return ENRICH_TYPE_REFUND;
    if (has_phrase(tk, atm_words))
        return ENRICH_TYPE_ATM_WITHDRAWAL;
    if (has_phrase(tk, income_words))
        return ENRICH_TYPE_INCOME;
    if (has_phrase(tk, transfer_words))
        return ENRICH_TYPE_TRANSFER;
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
                    r->type = has_phrase(tk, ach_words) ? ENRICH_TYPE_INCOME : ENRICH_TYPE_REFUND;
                    r->confidence -= 0.1;
                }
                break;
            case ENRICH_TYPE_FEE: /* a fee paid back */
                if (!has_phrase(tk, refund_words))
                    r->confidence -= 0.1;
                r->type = ENRICH_TYPE_REFUND;
                break;
            case ENRICH_TYPE_ATM_WITHDRAWAL:
                /* "ATM CASH DEPOSIT" reads as a withdrawal by its first word */
                if (has_phrase(tk, income_words))
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

/* Location confidences: a place the text names, or only the currency's
 * issuer (weak: an account's currency is often not the merchant's). */
#define LOCATION_CONFIDENCE_TEXT     0.9
#define LOCATION_CONFIDENCE_CURRENCY 0.4

void enrich_describe(const EnrichTable *table, const EnrichInput *in, EnrichResult *r)
{
    const char *text = in->text, *mcc = in->mcc;
    size_t len = in->len;
    Tokens tk;
    size_t start = 0, next = 0, mstart = 0, mend = 0, keylen = 0, name_from, name_to;
    const Processor *proc = NULL;
    int m = -1;
    Location loc;
    EnrichCategory mcc_cat = ENRICH_SHOPPING, kw_cat;
    bool have_mcc_cat = false, atm_word;

    memset(r, 0, sizeof(*r));
    r->merchant_index = -1;
    r->category = ENRICH_SHOPPING;
    r->channel = ENRICH_CHANNEL_IN_STORE;
    if (len > ENRICH_INPUT_MAX) {
        reject(r, "descriptor longer than 512 bytes");
        return;
    }
    tokenize(text, len, &tk);
    normalized_text(&tk, r);
    if (tk.n == 0) {
        reject(r, "descriptor has no letters or digits");
        return;
    }
    if (in->has_date)
        find_date(&tk, &in->date, r);
    if (in->has_amount && in->amount != 0)
        r->direction = in->amount < 0 ? ENRICH_DIRECTION_DEBIT : ENRICH_DIRECTION_CREDIT;
    if (mcc_valid(mcc)) {
        memcpy(r->mcc, mcc, 5);
        have_mcc_cat = enrich_mcc_category(mcc, &mcc_cat);
    }

    /* 2. processor, after the bank's leading words */
    while (start < tk.n && noise(&tk.t[start]) && !tk.t[start].star)
        start++;
    if (start < tk.n && (proc = match_processor(&tk, start, &next)) != NULL) {
        r->processor = proc->name;
        start = next;
    }

    /* 3. type, 4. merchant */
    r->type = classify_type(&tk);
    atm_word = has_phrase(&tk, atm_words);
    /* bank words never make a key, but may start one ("7-ELEVEN", "IN N OUT") */
    m = find_merchant(table, &tk, proc != NULL ? next : 0, tk.n, &mstart, &mend, &keylen);

    /* 5. location: after the merchant when there is one */
    locate(&tk, start, m >= 0 ? mend : start + 1, &loc, r);
    if (r->country[0] != '\0') {
        r->country_source = ENRICH_COUNTRY_DESCRIPTOR;
        r->location_confidence = LOCATION_CONFIDENCE_TEXT;
    } else if (in->currency != NULL) {
        const char *hint = enrich_currency_country(in->currency);
        if (hint != NULL && hint[0] != '\0') {
            snprintf(r->country, sizeof(r->country), "%s", hint);
            r->country_source = ENRICH_COUNTRY_CURRENCY;
            r->location_confidence = LOCATION_CONFIDENCE_CURRENCY;
        }
    }

    /* 6. the name */
    name_from = start;
    while (name_from < tk.n && noise(&tk.t[name_from]))
        name_from++;
    name_to = name_from;
    while (name_to < tk.n && name_to - name_from < 6 && !noise(&tk.t[name_to]) &&
           (loc.city_from < 0 || (long)name_to < loc.city_from) &&
           (loc.region_at < 0 || (long)name_to < loc.region_at) &&
           (loc.country_at < 0 || (long)name_to < loc.country_at)) {
        name_to++;
        if (tk.t[name_to - 1].star)
            break;
    }

    if (m < 0 && proc != NULL && proc->implied != NULL && name_to == name_from) {
        m = enrich_table_find(table, proc->implied, strlen(proc->implied));
        keylen = 6;
    }
    if (m >= 0) {
        const EnrichMerchant *em = enrich_table_row(table, m);
        EnrichCategory c = ENRICH_SHOPPING;
        r->merchant_index = m;
        snprintf(r->merchant, sizeof(r->merchant), "%s", em->name);
        r->domain = em->domain[0] != '\0' ? em->domain : NULL;
        if (!enrich_category_parse(em->category, &c))
            c = ENRICH_SHOPPING;
        r->category = c;
        if (r->mcc[0] == '\0' && em->mcc[0] != '\0')
            memcpy(r->mcc, em->mcc, 5);
        r->is_subscription = em->subscription;
        r->confidence = keylen >= 6 ? 0.92 : keylen >= 4 ? 0.85 : 0.7;
        if (have_mcc_cat && mcc_cat != c)
            r->confidence -= 0.15;
        if (strcmp(em->channel, "online") == 0)
            r->channel = ENRICH_CHANNEL_ONLINE;
        else if (strcmp(em->channel, "transfer") == 0)
            r->channel = ENRICH_CHANNEL_TRANSFER;
        /* a merchant's own fees and autopays are purchases; banks' are not */
        if ((r->type == ENRICH_TYPE_FEE || r->type == ENRICH_TYPE_TRANSFER) &&
            c != ENRICH_TRANSFERS && c != ENRICH_INCOME && c != ENRICH_TAXES)
            r->type = ENRICH_TYPE_PURCHASE;
        /* a grocer's or store's pumps: KROGER FUEL, COSTCO GAS */
        if ((c == ENRICH_GROCERIES || c == ENRICH_SHOPPING) && (has_phrase(&tk, fuel_words)))
            r->category = ENRICH_FUEL;
        if (r->type == ENRICH_TYPE_PURCHASE && c == ENRICH_INCOME)
            r->type = ENRICH_TYPE_INCOME;
        if (r->type == ENRICH_TYPE_PURCHASE && c == ENRICH_TRANSFERS)
            r->type = ENRICH_TYPE_TRANSFER;
    } else {
        if (name_to > name_from)
            copy_title(&tk, name_from, name_to, r->merchant, sizeof(r->merchant));
        if (strlen(r->merchant) < 2 && r->type == ENRICH_TYPE_PURCHASE) {
            reject(r, "no merchant name in descriptor");
            return;
        }
        if (r->type == ENRICH_TYPE_ATM_WITHDRAWAL || r->type == ENRICH_TYPE_FEE ||
            strlen(r->merchant) < 2)
            r->merchant[0] = '\0';
        if (have_mcc_cat) {
            r->category = mcc_cat;
            r->confidence = 0.55;
        } else if (keyword_category(&tk, start, tk.n, &kw_cat)) {
            r->category = kw_cat;
            r->confidence = 0.45;
        } else {
            r->category = ENRICH_SHOPPING;
            r->confidence = 0.2;
        }
        if (r->type != ENRICH_TYPE_PURCHASE)
            r->confidence = 0.7;
    }

    /* 7. the direction of the money */
    apply_amount(&tk, m >= 0, r);

    /* 8. channel, category and subscription by type */
    if (proc != NULL)
        r->channel = proc->channel;
    else if (online_signal(&tk))
        r->channel = ENRICH_CHANNEL_ONLINE;
    if (r->channel == ENRICH_CHANNEL_TRANSFER && r->type == ENRICH_TYPE_PURCHASE)
        r->channel = ENRICH_CHANNEL_ONLINE;
    if (has_phrase(&tk, subscription_words))
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
            r->channel = atm_word ? ENRICH_CHANNEL_ATM : ENRICH_CHANNEL_TRANSFER;
            r->is_subscription = false;
            break;
        case ENRICH_TYPE_ATM_WITHDRAWAL:
            r->category = ENRICH_ATM;
            r->channel = ENRICH_CHANNEL_ATM;
            r->is_subscription = false;
            break;
        case ENRICH_TYPE_INCOME:
            r->category = ENRICH_INCOME;
            r->channel = atm_word ? ENRICH_CHANNEL_ATM : ENRICH_CHANNEL_TRANSFER;
            r->is_subscription = false;
            break;
        case ENRICH_TYPE_TRANSFER:
            r->category = ENRICH_TRANSFERS;
            r->channel = ENRICH_CHANNEL_TRANSFER;
            r->is_subscription = false;
            break;
    }
    if (r->confidence > 1)
        r->confidence = 1;
    if (r->confidence < 0.05)
        r->confidence = 0.05;
}
