/* SPDX-License-Identifier: MIT */
/* enrich_tokens.c splits a descriptor into tokens and flags bank words (see enrich_tokens.h). */
#include "enrich_tokens.h"

static bool is_noise(const Token *t);

static bool is_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

void enrich_tokenize(const char *text, size_t len, Tokens *tk)
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

/* phrase_end returns the index after the space-separated words of phrase
 * when they start at tokens[i], else 0. */
size_t enrich_phrase_end(const Tokens *tk, size_t i, const char *phrase)
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
bool enrich_phrase_at(const Tokens *tk, size_t i, const char *phrase)
{
    return enrich_phrase_end(tk, i, phrase) != 0;
}

/* has_phrase reports whether one of the phrases occurs anywhere. */
bool enrich_has_phrase(const Tokens *tk, const char *const *phrases)
{
    for (const char *const *p = phrases; *p != NULL; p++) {
        for (uint64_t m = tk->by_first[(unsigned char)(*p)[0]]; m != 0; m &= m - 1) {
            if (enrich_phrase_at(tk, (size_t)__builtin_ctzll(m), *p))
                return true;
        }
    }
    return false;
}

/* copy_title writes tokens [from, to) of tk into out (size n) in title
 * case, skipping those flagged in skip; a lone "S" after a word becomes
 * "'s" ("JOE S" -> "Joe's"). */
void enrich_copy_title(const Tokens *tk, size_t from, size_t to, char *out, size_t n)
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
