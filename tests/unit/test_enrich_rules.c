/* SPDX-License-Identifier: MIT */
/*
 * test_enrich_rules.c tests the rules of the enrich pipeline that read
 * descriptors from outside the US (issue 5): bank words of each country,
 * company suffixes, processors, '&' in names, names the bank cut short,
 * the guards on partial merchant matches, keyword categories in several
 * languages, places outside the US, direct debits, bank transfers,
 * payouts and refunds.  Each case is one rule; the corpora
 * (tests/enrich/, test_enrich.c) measure them all together.
 */
#include <stdio.h>
#include <string.h>

#include "enrich.h"
#include "enrich_keywords.h"
#include "enrich_table.h"
#include "enrich_tokens.h"
#include "suites.h"

static EnrichResult describe(const char *text)
{
    EnrichResult r;

    enrich_describe(enrich_table_default(), &(EnrichInput){.text = text, .len = strlen(text)}, &r);
    return r;
}

/* Case is a descriptor and what some fields must be; NULL: not checked. */
typedef struct Case {
    const char *text;
    const char *merchant;
    const char *category;
    const char *channel;
    const char *type;
    const char *processor; /* "" for none */
} Case;

static bool check_cases(const Case *cases, size_t n)
{
    bool all = true;

    for (size_t i = 0; i < n; i++) {
        const Case *c = &cases[i];
        EnrichResult r = describe(c->text);
        bool ok = CHECK(!r.rejected);
        if (c->merchant != NULL)
            ok &= CHECK_STR(r.merchant, c->merchant);
        if (c->category != NULL)
            ok &= CHECK_STR(enrich_category_name(r.category), c->category);
        if (c->channel != NULL)
            ok &= CHECK_STR(enrich_channel_name(r.channel), c->channel);
        if (c->type != NULL)
            ok &= CHECK_STR(enrich_type_name(r.type), c->type);
        if (c->processor != NULL)
            ok &= CHECK_STR(r.processor != NULL ? r.processor : "", c->processor);
        if (!ok)
            fprintf(stderr, "  in case \"%s\"\n", c->text);
        all &= ok;
    }
    return all;
}

#define CHECK_CASES(cases) check_cases(cases, sizeof(cases) / sizeof(cases[0]))

/* The tables the binary searches need sorted. */
static void rules_tables_sorted(void)
{
    CHECK(enrich_tokens_check());
    CHECK(enrich_keywords_check());
}

/* Card words of each country's banks are no part of the name. */
static void rules_bank_words(void)
{
    static const Case cases[] = {
        {"BETAALAUTOMAAT 12-03-2024 14:32 DE GOUDEN KROON 1234", "De Gouden Kroon", NULL,
         "in_store", "purchase", ""},
        {"BEA BETAALPAS SNACKBAR SMIT", "Snackbar Smit", "restaurants", NULL, NULL, NULL},
        {"KARTENZAHLUNG GASTHAUS ADLER", "Gasthaus Adler", "restaurants", NULL, NULL, NULL},
        {"CB BOULANGERIE MARTIN 12/03", "Boulangerie Martin", "restaurants", NULL, NULL, NULL},
        {"COMPRA TARJ. 4512 FARMACIA SOL", "Farmacia Sol", "health", NULL, NULL, NULL},
        {"PAGAMENTO POS PIZZERIA NAPOLI", "Pizzeria Napoli", "restaurants", NULL, NULL, NULL},
        {"CARD PAYMENT TO HILLSIDE FARM SHOP ON 12 MAR", "Hillside Farm Shop", NULL, "in_store",
         "purchase", NULL},
        {"EFTPOS PURCHASE BONDI BAKERY", "Bondi Bakery", "restaurants", NULL, NULL, NULL},
        {"VISA PURCHASE RIVERSIDE BUTCHERS", "Riverside Butchers", "groceries", NULL, NULL, NULL},
        {"VDP-GREENE'S PHARMACY", "Greene's Pharmacy", "health", NULL, NULL, NULL},
        {"KORTKOP 240312 BAGERI SOL", "Bageri Sol", "restaurants", NULL, NULL, NULL},
        /* Interac is the card network of a debit purchase, a merchant only
         * for its e-transfers */
        {"INTERAC PURCHASE - 1234 JOES DINER", "Joes Diner", "restaurants", "in_store", "purchase",
         NULL},
        {"INTERAC PURCHASE - 1234 TIM HORTONS", "Tim Hortons", NULL, NULL, "purchase", NULL},
        {"INTERAC E-TRANSFER TO JOHN DOE", "Interac", "transfers", "transfer", "transfer", NULL},
    };

    CHECK_CASES(cases);
}

/* Company suffixes end a name, dotted or not. */
static void rules_company_suffixes(void)
{
    static const Case cases[] = {
        {"NORTHWIND TRADING LTD", "Northwind Trading", NULL, NULL, NULL, NULL},
        {"BLUE HARBOUR PTY LTD", "Blue Harbour", NULL, NULL, NULL, NULL},
        {"HOFMANN BAU GMBH", "Hofmann Bau", NULL, NULL, NULL, NULL},
        {"VAN DIJK HANDEL B.V.", "Van Dijk Handel", NULL, NULL, NULL, NULL},
        {"VAN DIJK HANDEL BV", "Van Dijk Handel", NULL, NULL, NULL, NULL},
        {"GARCIA Y HIJOS S.L.", "Garcia Y Hijos", NULL, NULL, NULL, NULL},
        {"ROSSI COSTRUZIONI SPA", "Rossi Costruzioni", NULL, NULL, NULL, NULL},
        {"DUBOIS ET FILS SARL", "Dubois Et Fils", NULL, NULL, NULL, NULL},
        {"INITECH CORP", "Initech", NULL, NULL, NULL, NULL},
        {"THAMESIDE MEDIA PLC", "Thameside Media", NULL, NULL, NULL, NULL},
    };

    CHECK_CASES(cases);
}

/* Each processor prefix is recorded and skipped. */
static void rules_processors(void)
{
    static const Case cases[] = {
        {"SUMUP *CAFE ROSA", "Cafe Rosa", "coffee", "in_store", NULL, "SumUp"},
        {"SUMUP  *HILL FARM", "Hill Farm", NULL, "in_store", NULL, "SumUp"},
        {"ZTL*THE PIE SHOP", "The Pie Shop", NULL, "in_store", NULL, "Zettle"},
        {"IZ *HARBOUR FISH BAR", "Harbour Fish Bar", "restaurants", NULL, NULL, "Zettle"},
        {"IZETTLE*MARKET STALL", "Market Stall", NULL, NULL, NULL, "Zettle"},
        {"ZETTLE_*BREW CORNER", "Brew Corner", NULL, NULL, NULL, "Zettle"},
        {"SQUARE *PORTSIDE TACOS", "Portside Tacos", "restaurants", NULL, NULL, "Square"},
        {"SQU*SQ *LITTLE FOX CAFE", "Little Fox Cafe", "coffee", NULL, NULL, "Square"},
        {"SP GREYWOLF OUTFITTERS", "Greywolf Outfitters", NULL, "online", NULL, "Shopify"},
        {"SHOPIFY* 123456789", "Shopify", NULL, "online", NULL, "Shopify"},
        {"CKO*NORDIC GEAR", "Nordic Gear", NULL, "online", NULL, "Checkout.com"},
        {"ADYEN*TICKETHOUSE", "Tickethouse", NULL, "online", NULL, "Adyen"},
        {"WPY*RUNNERS CLUB", "Runners Club", NULL, "online", NULL, "WePay"},
        {"BT*DIGITALOCEAN", "DigitalOcean", NULL, "online", NULL, "Braintree"},
        {"DRI*NORTON", "Norton", NULL, "online", NULL, "Digital River"},
        {"2CO.COM*FOXIT SOFTWARE", "Foxit Software", NULL, "online", NULL, "2Checkout"},
        {"NYX*VENDING 1234", NULL, NULL, "in_store", NULL, "Nayax"},
        {"MOLLIE*BLOEMEN DIRECT", NULL, NULL, "online", NULL, "Mollie"},
        {"KLARNA*ZARA.COM", "Zara", NULL, "online", NULL, "Klarna"},
        {"AFTERPAY*KMART 1234", "Kmart", NULL, "in_store", NULL, "Afterpay"},
        {"CRV*TESCO STORES 2045", "Tesco", NULL, "in_store", NULL, "Curve"},
        {"PAYPAL *DECATHLON", "Decathlon", NULL, "online", NULL, "PayPal"},
        /* wallets are no merchant; SP+ is SP Plus parking, not Shopify */
        {"APPLE PAY SHELL 1234", "Shell", "fuel", NULL, NULL, ""},
        {"GOOGLE PAY STARBUCKS", "Starbucks", NULL, NULL, NULL, ""},
        {"SP+ PARKING 123 CHICAGO IL", NULL, "transport", NULL, NULL, ""},
    };

    CHECK_CASES(cases);
}

/* '&' stays in names and keys ignore it. */
static void rules_ampersand(void)
{
    static const Case cases[] = {
        {"A&W RESTAURANT #1234 EDMONTON AB", "A&W", "restaurants", NULL, NULL, NULL},
        {"B&Q 1234 SOUTHAMPTON", "B&Q", "shopping", NULL, NULL, NULL},
        {"AT&T UVERSE 800-288-2020 TX", "AT&T", "telecom", NULL, NULL, NULL},
        {"DAVE & BUSTERS #12 HOUSTON TX", "Dave & Buster's", NULL, NULL, NULL, NULL},
        {"SMITH & SONS BUTCHERS", "Smith & Sons Butchers", "groceries", NULL, NULL, NULL},
        {"J&J NAILS", "J&J Nails", "health", NULL, NULL, NULL},
    };
    EnrichResult r = describe("BRICK & MORTAR");

    CHECK_CASES(cases);
    CHECK_STR(r.normalized, "BRICK & MORTAR");
}

/* A name cut by the bank's field: a start of 5+ letters is completed, a
 * fragment of 2-3 dropped; short names and whole words are left alone. */
static void rules_truncation(void)
{
    static const Case cases[] = {
        {"GOLDEN DRAGON CHINESE RE", "Golden Dragon Chinese", "restaurants", NULL, NULL, NULL},
        {"GOLDEN DRAGON CHINESE RE LONDON GB", "Golden Dragon Chinese", "restaurants", NULL, NULL,
         NULL},
        {"HAPPY VALLEY SUPERMARKE", "Happy Valley Supermarket", "groceries", NULL, NULL, NULL},
        {"KENSINGTON FAMILY PHARMAC", "Kensington Family Pharmacy", "health", NULL, NULL, NULL},
        {"EL MOLINO TAQUERIA & RES", "El Molino Taqueria", "restaurants", NULL, NULL, NULL},
        {"RIVERBANK VETERINARY CLI", "Riverbank Veterinary", "health", NULL, NULL, NULL},
        /* whole words and short names */
        {"SKY ZONE TRAMPOLINE PARK", "Sky Zone Trampoline Park", NULL, NULL, NULL, NULL},
        {"THE RE STORE", NULL, NULL, NULL, NULL, NULL},
        {"WILLOWBROOK GOLF AND TENNIS INN", "Willowbrook Golf And Tennis Inn", NULL, NULL, NULL,
         NULL},
        /* numbers inside a name before a keyword */
        {"PHO 88 NOODLE HOUSE SAN JOSE CA", "Pho 88 Noodle House", "restaurants", NULL, NULL, NULL},
        {"JOES PIZZA 123 MAIN ST", "Joes Pizza", NULL, NULL, NULL, NULL},
        /* an apostrophe dropped for the key comes back in the name */
        {"MARIO'S TRATTORIA", "Mario's Trattoria", "restaurants", NULL, NULL, NULL},
        {"O'NEILL PUB", "O'Neill Pub", "restaurants", NULL, NULL, NULL},
    };
    EnrichResult r = describe("THE RE STORE");

    CHECK_CASES(cases);
    CHECK_STR(r.merchant, "The Re");
}

/* A merchant key inside another business's name is no match. */
static void rules_partial_alias(void)
{
    static const Case cases[] = {
        {"ELM STREET FRESH MARKET", "Elm Street Fresh Market", "groceries", NULL, NULL, NULL},
        {"THE GOLDEN CLIPPER BARBERS", "The Golden Clipper Barbers", "health", NULL, NULL, NULL},
        {"BULLSEYE TARGET ARCHERY CLUB", "Bullseye Target Archery Club", NULL, NULL, NULL, NULL},
        {"SUNSET SHELL BEACH CAFE", "Sunset Shell Beach Cafe", "coffee", NULL, NULL, NULL},
        {"ORANGE BLOSSOM THAI KITCHEN", "Orange Blossom Thai Kitchen", "restaurants", NULL, NULL,
         NULL},
        {"AMAZON CAFE AUSTIN TX", "Amazon Cafe", "coffee", NULL, NULL, NULL},
        {"PROGRESSIVE BAPTIST CHURCH", "Progressive Baptist Church", NULL, NULL, NULL, NULL},
        /* still matched: at the head, after bank codes, a marketplace's seller,
         * a grocer's pumps, the longer key at the name */
        {"VDP-DUNNES STORES DUBLIN", "Dunnes Stores", NULL, NULL, NULL, NULL},
        {"DOORDASH*SUSHI PLACE", "DoorDash", "restaurants", "online", NULL, NULL},
        {"MORRISONS PETROL SHEFFIELD", "Morrisons", "fuel", NULL, NULL, NULL},
        {"COMPRA EN EL CORTE INGLES MADRID", "El Corte Ingles", "shopping", NULL, NULL, NULL},
        {"SUBWAY SANDWICH SHOP", "Subway", "restaurants", NULL, NULL, NULL},
        {"CLIPPER SERVICE CONCORD CA", "Clipper", "transport", NULL, NULL, NULL},
    };

    CHECK_CASES(cases);
}

/* Keywords of several languages, and the fallback without any. */
static void rules_keywords(void)
{
    static const Case cases[] = {
        {"RISTORANTE IL GABBIANO", NULL, "restaurants", NULL, NULL, NULL},
        {"TRATTORIA DA GINO", NULL, "restaurants", NULL, NULL, NULL},
        {"HOPWORKS BREWPUB", NULL, "restaurants", NULL, NULL, NULL},
        {"TAQUERIA EL SOL", NULL, "restaurants", NULL, NULL, NULL},
        {"BISTRO 21 LYON", NULL, "restaurants", NULL, NULL, NULL},
        {"ANKARA KEBAB HAUS", NULL, "restaurants", NULL, NULL, NULL},
        {"SUPERMARKT YILDIZ", NULL, "groceries", NULL, NULL, NULL},
        {"BOULANGERIE DU PONT", NULL, "restaurants", NULL, NULL, NULL},
        {"APOTHEKE AM RING", NULL, "health", NULL, NULL, NULL},
        {"PHARMACIE CENTRALE", NULL, "health", NULL, NULL, NULL},
        {"FARMACIA SAN PAOLO", NULL, "health", NULL, NULL, NULL},
        {"TANKSTELLE HUBER", NULL, "fuel", NULL, NULL, NULL},
        {"STATION ESSENCE DU LAC", NULL, "fuel", NULL, NULL, NULL},
        {"DISTRIBUTORE BENZINA ROSSI", NULL, "fuel", NULL, NULL, NULL},
        {"STADTWERKE ULM", NULL, "utilities", "online", NULL, NULL},
        {"CITY OF BOSTON PARKING MA", "City Of Boston Parking", "transport", NULL, NULL, NULL},
        {"FINANZAMT MITTE", NULL, "taxes", "online", NULL, NULL},
        {"ZORGVERZEKERING DELTA", NULL, "insurance", NULL, NULL, NULL},
        {"KINO ASTORIA", NULL, "entertainment", NULL, NULL, NULL},
        {"GOLDEN DRAGON CHINESE", NULL, "restaurants", NULL, NULL, NULL},
    };
    EnrichResult r = describe("TST* THE FLYING PIG");

    CHECK_CASES(cases);
    /* no word, but Toast is a restaurants' till */
    CHECK_STR(enrich_category_name(r.category), "restaurants");
    r = describe("ZQXW HOLDINGS");
    /* no evidence: shopping, and a confidence that says it is a guess */
    CHECK_STR(enrich_category_name(r.category), "shopping");
    CHECK(r.confidence <= 0.25);
}

/* Places outside the US end names and make the location. */
static void rules_places(void)
{
    EnrichResult r = describe("HARBOUR LIGHTS DELI 1234 SYDNEY NSW AUS");

    CHECK_STR(r.merchant, "Harbour Lights Deli");
    CHECK_STR(r.city, "Sydney");
    CHECK_STR(r.region, "NSW");
    CHECK_STR(r.country, "AU");
    r = describe("KESTREL BOOKS MELBOURNE VIC");
    CHECK_STR(r.merchant, "Kestrel Books");
    CHECK_STR(r.region, "VIC");
    CHECK_STR(r.country, "AU");
    r = describe("MAPLE LEAF DINER HALIFAX NS");
    CHECK_STR(r.merchant, "Maple Leaf Diner");
    CHECK_STR(r.country, "CA");
    r = describe("CAFE AURORA OSLO NO");
    CHECK_STR(r.merchant, "Cafe Aurora");
    CHECK_STR(r.country, "NO");
    r = describe("LINDEN BOOKSHOP MANCHESTER");
    CHECK_STR(r.merchant, "Linden Bookshop");
    CHECK_STR(r.city, "Manchester");
    CHECK_STR(r.country, "GB");
    r = describe("BRASSERIE ANVERS FRANKFURT AM MAIN");
    CHECK_STR(r.merchant, "Brasserie Anvers");
    CHECK_STR(r.country, "DE");
    r = describe("KINGS HEAD TAVERN LONDON SW1A 1AA");
    CHECK_STR(r.merchant, "Kings Head Tavern");
    CHECK_STR(r.city, "London");
    /* a city alone is no name: kept */
    r = describe("LONDON");
    CHECK_STR(r.merchant, "London");
}

/* Direct debits and unknown billers are paid online. */
static void rules_direct_debits(void)
{
    static const Case cases[] = {
        {"DD ACME GYM", "Acme Gym", "health", "online", "purchase", NULL},
        {"DIRECT DEBIT HILLTOP LEISURE", NULL, NULL, "online", "purchase", NULL},
        {"D/D ELECTRIC IRELAND", "Electric Ireland", "utilities", "online", NULL, NULL},
        {"SEPA-LASTSCHRIFT FITNESSSTUDIO KRAFT", NULL, "health", "online", NULL, NULL},
        {"PRLV SEPA MUTUELLE BLEUE", NULL, "insurance", "online", NULL, NULL},
        {"SEPA INCASSO WATERNET", NULL, "utilities", "online", NULL, NULL},
        {"RECIBO GIMNASIO NORTE", NULL, "health", "online", NULL, NULL},
        {"ADDEBITO SDD ASSICURAZIONI ROSSI", NULL, "insurance", "online", NULL, NULL},
        {"AUTOGIRO TELIA SVERIGE", "Telia", NULL, "online", NULL, NULL},
        {"BELL CANADA PAP", "Bell Canada", NULL, "online", NULL, NULL},
        {"NORTHERN WATER UTILITY", NULL, "utilities", "online", NULL, NULL},
    };

    CHECK_CASES(cases);
}

/* Bank transfers, standing orders, payouts, benefits and refunds. */
static void rules_money_movements(void)
{
    static const Case cases[] = {
        {"FASTER PAYMENT TO JOHN SMITH REF DINNER", "", "transfers", "transfer", "transfer", NULL},
        {"STO J SMITH RENT", "", "transfers", "transfer", "transfer", NULL},
        {"SO TO MRS A JONES", "", "transfers", "transfer", "transfer", NULL},
        {"OSKO PAYMENT TO J CITIZEN", "", "transfers", "transfer", "transfer", NULL},
        {"SEPA UEBERWEISUNG AN MAX MUSTERMANN", "", "transfers", "transfer", "transfer", NULL},
        {"SEPA CREDIT TRANSFER FROM ANNA SCHMIDT", "", NULL, "transfer", "transfer", NULL},
        {"VIR SEPA M DUPONT JEAN", "", NULL, "transfer", "transfer", NULL},
        {"BONIFICO A FAVORE DI MARIO ROSSI", "", NULL, "transfer", "transfer", NULL},
        {"BGC GLOBEX LTD SALARY", "Globex", "income", "transfer", "income", NULL},
        {"GUTSCHRIFT LOHN GEHALT ACME GMBH", "Acme", "income", NULL, "income", NULL},
        {"VIR SEPA RECU SALAIRE ACME SAS", "Acme", "income", NULL, "income", NULL},
        {"DIRECT CREDIT 123456 ACME PTY LTD PAYROLL", "Acme", "income", NULL, "income", NULL},
        {"CENTRELINK 12345678 DIRECT CREDIT", "Centrelink", "income", "transfer", "income", NULL},
        {"UBER AUSTRALIA PTY LTD EDI PAYMENT", "Uber", "income", "transfer", "income", NULL},
        {"AIRBNB PAYMENTS PAYOUT", "Airbnb", "income", NULL, "income", NULL},
        {"RFND AMAZON.CO.UK", "Amazon", "refunds", NULL, "refund", NULL},
        {"REMBOURSEMENT CB FNAC PARIS", "Fnac", "refunds", NULL, "refund", NULL},
        {"GUTSCHRIFT RUECKERSTATTUNG ZALANDO SE", "Zalando", "refunds", NULL, "refund", NULL},
        {"DEVOLUCION COMPRA EL CORTE INGLES", "El Corte Ingles", "refunds", NULL, "refund", NULL},
        {"GEA GELDAUTOMAAT AMSTERDAM", "", "atm", "atm", "atm_withdrawal", NULL},
        {"RETRAIT DAB 12/03 PARIS", "", "atm", "atm", "atm_withdrawal", NULL},
        {"PRELIEVO BANCOMAT 12/03", "", "atm", "atm", "atm_withdrawal", NULL},
        {"ENTGELT KONTOFUEHRUNG", "", "fees", NULL, "fee", NULL},
        {"MB-TRANSFER TO DEPOSIT ACCOUNT", "", "transfers", "transfer", "transfer", NULL},
        {"MOBILE DEPOSIT REF 123456789", "", "income", "transfer", "income", NULL},
        {"GST CANADA", NULL, "income", "transfer", "income", NULL},
        {"CREDIT INTEREST", "", "income", NULL, "income", NULL},
        {"INTEREST CHARGED", "", "fees", NULL, "fee", NULL},
        {"REVERSAL TESCO", "Tesco", "refunds", NULL, "refund", NULL},
        {"FRAIS TENUE DE COMPTE", "", "fees", NULL, "fee", NULL},
    };

    CHECK_CASES(cases);
}

const Test enrich_rules_tests[] = {
    {"enrich_rules_tables_sorted", rules_tables_sorted},
    {"enrich_rules_bank_words", rules_bank_words},
    {"enrich_rules_company_suffixes", rules_company_suffixes},
    {"enrich_rules_processors", rules_processors},
    {"enrich_rules_ampersand", rules_ampersand},
    {"enrich_rules_truncation", rules_truncation},
    {"enrich_rules_partial_alias", rules_partial_alias},
    {"enrich_rules_keywords", rules_keywords},
    {"enrich_rules_places", rules_places},
    {"enrich_rules_direct_debits", rules_direct_debits},
    {"enrich_rules_money_movements", rules_money_movements},
    {NULL, NULL},
};
