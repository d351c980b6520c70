/* SPDX-License-Identifier: MIT */
/* enrich_tokens.c splits a descriptor into tokens and flags bank words (see enrich_tokens.h). */
#include "enrich_tokens.h"

static bool is_noise(const Token *t);

static bool is_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Company suffixes and bank codes written with dots or slashes between
 * single letters: "B.V.", "S.A.", "S.P.A.", "D/D" (direct debit). */
static const char *const dotted[] = {"BV", "NV",  "SA", "SL", "SPA", "SRL", "SAS",
                                     "DD", "PLC", "AG", "AB", "SE",  NULL};

/* dotted_suffixes flags as noise each run of single letters joined by '.'
 * or '/' that spells one of dotted. */
static void dotted_suffixes(Tokens *tk)
{
    for (size_t i = 0; i < tk->n; i++) {
        char word[8];
        size_t k = 0;

        while (i + k < tk->n && k < sizeof(word) - 1 && tk->t[i + k].len == 1 &&
               tk->t[i + k].alpha && (k == 0 || tk->t[i + k].dot || tk->t[i + k].slash)) {
            word[k] = tk->t[i + k].s[0];
            k++;
        }
        word[k] = '\0';
        if (k < 2)
            continue;
        for (const char *const *d = dotted; *d != NULL; d++) {
            if (strcmp(word, *d) == 0) {
                for (size_t j = i; j < i + k; j++)
                    tk->t[j].noise = true;
                break;
            }
        }
        i += k - 1;
    }
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
        if (c == '\'' && inword) {
            /* MCDONALD'S: one word; the name shows the apostrophe again */
            if (cur->len < 255 && cur->apos == 0)
                cur->apos = (unsigned char)cur->len;
            continue;
        }
        if (c == '&' && inword) {
            tk->buf[out++] = '&'; /* A&W, AT&T: one word, '&' kept for the name */
            cur->len++;
            cur->amp = true;
            continue;
        }
        if (c == '&' && cur == NULL && (i + 1 == len || text[i + 1] == ' ') && tk->n > 0 &&
            tk->n < MAX_TOKENS) { /* "SMITH & SONS": a token of its own, so names keep it */
            tk->t[tk->n++] = (Token){.s = tk->buf + out, .len = 1, .amp = true};
            memcpy(tk->buf + out, "&", 2);
            out += 2;
            continue;
        }
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
    dotted_suffixes(tk);
}

/* Words banks add, never part of a merchant's name: the card, transfer
 * and direct debit words of US, UK, Irish, Dutch, German, French, Spanish,
 * Italian, Nordic and Australian statements (BEA, KARTENZAHLUNG, PRLV,
 * DD, EFTPOS, ...), their money words (salary, payout, refund, cash
 * machine and fee words, which name no merchant either), and company
 * suffixes (LTD, GMBH, BV, SA, PTY, CORP, ...).  Sorted byte-wise (C
 * locale) for the binary search of is_noise. */
static const char *const noise_words[] = {
    "AB",
    "ACH",
    "ADDEBITO",
    "AG",
    "APOS",
    "APPLE PAY",
    "APPLEPAY",
    "APS",
    "ARBEITSLOSENGELD",
    "ASA",
    "ATM",
    "AUT",
    "AUTH",
    "AUTHORIZED",
    "AUTO",
    "AUTOGIRO",
    "AUTOPAY",
    "BANCOMAT",
    "BARGELDAUSZAHLUNG",
    "BEA",
    "BETAALAUTOMAAT",
    "BETAALPAS",
    "BETALINGSSERVICE",
    "BETALNING",
    "BGC",
    "BILL",
    "BILLING",
    "BONIFICO",
    "BPAY",
    "BV",
    "CAJERO",
    "CARD",
    "CARTE",
    "CASH",
    "CB",
    "CCD",
    "CHARGEBACK",
    "CHARGED",
    "CHECK",
    "CHECKCARD",
    "CHECKING",
    "CHEQUE",
    "CHK",
    "CHKCARD",
    "CHQ",
    "COM",
    "COMISION",
    "COMMISSIONE",
    "COMPRA",
    "CONF",
    "CONTACTLESS",
    "CORP",
    "CORPORATION",
    "CR",
    "CRD",
    "CREDIT",
    "DAB",
    "DANKE",
    "DATE",
    "DBT",
    "DD",
    "DDA",
    "DEB",
    "DEBIT",
    "DEBITO",
    "DEP",
    "DEPOSIT",
    "DES",
    "DEVOLUCION",
    "DIR",
    "DIRECT",
    "DIVIDEND",
    "DOMICILIACION",
    "DR",
    "EC",
    "EDI",
    "EFECTIVO",
    "EFT",
    "EFTPOS",
    "EN",
    "ENDING",
    "ENTGELT",
    "ENVIADO",
    "EPAY",
    "ERSTATTUNG",
    "FASTER",
    "FEE",
    "FOR",
    "FOREIGN",
    "FPI",
    "FPO",
    "FRAIS",
    "FROM",
    "GEA",
    "GEBUEHR",
    "GEBUEHREN",
    "GEHALT",
    "GELDAUTOMAAT",
    "GELDAUTOMAT",
    "GIROCARD",
    "GMBH",
    "GOOGLEPAY",
    "GUTSCHRIFT",
    "HELP",
    "HTTP",
    "HTTPS",
    "ID",
    "IDEAL",
    "IDP",
    "IN",
    "INC",
    "INCASSO",
    "INCOMING",
    "INDN",
    "INST",
    "INTERAC",
    "INTEREST",
    "INTERNATIONAL",
    "INTERNET",
    "INTL",
    "KARTE",
    "KARTENZAHLUNG",
    "KG",
    "KINDERGELD",
    "KORTKOP",
    "KORTKÖP",
    "LASTSCHRIFT",
    "LIMITED",
    "LLC",
    "LLP",
    "LOHN",
    "LTD",
    "MAESTRO",
    "MASTERCARD",
    "MC",
    "MEMBERSHIP",
    "MOBILE",
    "MONTHLY",
    "NET",
    "NETBANK",
    "NO",
    "NOMINA",
    "NON",
    "NR",
    "NV",
    "ON",
    "ONLINE",
    "OPOS",
    "ORG",
    "OSKO",
    "OUTGOING",
    "OVERBOEKING",
    "OY",
    "OYJ",
    "PAGAMENTO",
    "PAGO",
    "PAID",
    "PAIEMENT",
    "PAP",
    "PAYE",
    "PAYMENT",
    "PAYMENTS",
    "PAYOUT",
    "PAYOUTS",
    "PAYROLL",
    "PENDING",
    "PIN",
    "PLC",
    "PLLC",
    "PMNT",
    "PMT",
    "POS",
    "POSDEB",
    "PPD",
    "PRCH",
    "PREAUTHORIZED",
    "PRELIEVO",
    "PRLV",
    "PTY",
    "PUR",
    "PURCH",
    "PURCHASE",
    "PYMNT",
    "PYMT",
    "PYMTS",
    "RCVD",
    "RECEIPT",
    "RECEIVED",
    "RECIBIDO",
    "RECIBO",
    "RECU",
    "RECUR",
    "RECURRING",
    "REF",
    "REFUND",
    "REFUNDED",
    "REMBOURSEMENT",
    "RETIRADA",
    "RETOUR",
    "RETRAIT",
    "RETURN",
    "REVERSAL",
    "RFND",
    "RIMBORSO",
    "RUECKERSTATTUNG",
    "SA",
    "SAGT",
    "SALAIRE",
    "SALARIO",
    "SALARY",
    "SALE",
    "SARL",
    "SAS",
    "SAV",
    "SAVINGS",
    "SDD",
    "SE",
    "SEND",
    "SENT",
    "SEPA",
    "SEQ",
    "SIG",
    "SL",
    "SO",
    "SPA",
    "SRL",
    "STIPENDIO",
    "STO",
    "STORE",
    "STR",
    "SUBSCR",
    "SUBSCRIPTION",
    "TAP",
    "TARJ",
    "TARJETA",
    "TERM",
    "THANK",
    "TIME",
    "TO",
    "TOPUP",
    "TRANS",
    "TRANSACTION",
    "TRANSFER",
    "TRANSFERENCIA",
    "TRX",
    "TXN",
    "UBERWEISUNG",
    "UEBERWEISUNG",
    "UITKERING",
    "US",
    "USA",
    "VDA",
    "VDC",
    "VDP",
    "VIR",
    "VIREMENT",
    "VIS",
    "VISA",
    "WAGES",
    "WALLET",
    "WDL",
    "WEB",
    "WIRE",
    "WITHDRAW",
    "WITHDRAWAL",
    "WITHDRWL",
    "WWW",
    "XFER",
    "YOU",
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

/* enrich_copy_title: see enrich_tokens.h.  A word with an '&' keeps its
 * capitals ("A&W", "B&Q"); a dropped apostrophe is put back ("Mario's"). */
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
        if (o + t->len + (t->apos != 0) + 2 >= n)
            break;
        if (o > 0)
            out[o++] = ' ';
        for (size_t k = 0; k < t->len; k++) {
            char c = t->s[k];
            /* O'REILLY: O'Reilly; MARIO'S: Mario's */
            bool upper = k == 0 || t->amp || (t->apos != 0 && k == t->apos && t->apos <= 2);
            if (t->apos != 0 && k == t->apos)
                out[o++] = '\'';
            out[o++] = (char)(!upper && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
    }
    out[o] = '\0';
}

bool enrich_tokens_check(void)
{
    for (size_t i = 1; i < sizeof(noise_words) / sizeof(noise_words[0]); i++) {
        if (strcmp(noise_words[i - 1], noise_words[i]) >= 0)
            return false;
    }
    return true;
}
