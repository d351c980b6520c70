/* SPDX-License-Identifier: MIT */
/* contact_company.c - registrable domains and the table of well-known companies. */
#include "contact_company.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Second-level public suffixes under which names are registered one level
 * deeper ("acme.co.uk"). */
static const char *const two_level_suffixes[] = {
    "co.uk",  "org.uk", "ac.uk",  "gov.uk", "ltd.uk", "plc.uk", "me.uk",  "com.au", "net.au",
    "org.au", "co.nz",  "org.nz", "co.jp",  "ne.jp",  "or.jp",  "co.kr",  "com.br", "com.mx",
    "com.ar", "com.cn", "com.hk", "com.sg", "com.my", "com.tr", "co.in",  "co.za",  "co.il",
    "com.tw", "co.id",  "com.ph", "com.vn", "co.th",  "com.co", "com.pe", "com.eg", "com.ng",
    "co.ke",  "gv.at",  "co.at",  "com.pl", "com.ua", "com.sa",
};

/* Well-known companies by registrable domain. */
static const struct {
    const char *domain, *name;
} known_companies[] = {
    {"google.com", "Google"},
    {"alphabet.com", "Alphabet"},
    {"microsoft.com", "Microsoft"},
    {"apple.com", "Apple"},
    {"amazon.com", "Amazon"},
    {"aws.amazon.com", "Amazon Web Services"},
    {"meta.com", "Meta"},
    {"fb.com", "Meta"},
    {"facebook.com", "Meta"},
    {"ibm.com", "IBM"},
    {"oracle.com", "Oracle"},
    {"sap.com", "SAP"},
    {"salesforce.com", "Salesforce"},
    {"hubspot.com", "HubSpot"},
    {"adobe.com", "Adobe"},
    {"intel.com", "Intel"},
    {"nvidia.com", "NVIDIA"},
    {"amd.com", "AMD"},
    {"cisco.com", "Cisco"},
    {"dell.com", "Dell Technologies"},
    {"hp.com", "HP"},
    {"hpe.com", "Hewlett Packard Enterprise"},
    {"netflix.com", "Netflix"},
    {"uber.com", "Uber"},
    {"airbnb.com", "Airbnb"},
    {"spotify.com", "Spotify"},
    {"slack.com", "Slack"},
    {"zoom.us", "Zoom"},
    {"dropbox.com", "Dropbox"},
    {"github.com", "GitHub"},
    {"gitlab.com", "GitLab"},
    {"atlassian.com", "Atlassian"},
    {"stripe.com", "Stripe"},
    {"shopify.com", "Shopify"},
    {"twilio.com", "Twilio"},
    {"paypal.com", "PayPal"},
    {"visa.com", "Visa"},
    {"mastercard.com", "Mastercard"},
    {"linkedin.com", "LinkedIn"},
    {"x.com", "X"},
    {"twitter.com", "X"},
    {"openai.com", "OpenAI"},
    {"anthropic.com", "Anthropic"},
    {"datadoghq.com", "Datadog"},
    {"snowflake.com", "Snowflake"},
    {"mongodb.com", "MongoDB"},
    {"elastic.co", "Elastic"},
    {"cloudflare.com", "Cloudflare"},
    {"zendesk.com", "Zendesk"},
    {"intercom.com", "Intercom"},
    {"mailchimp.com", "Mailchimp"},
    {"notion.so", "Notion"},
    {"figma.com", "Figma"},
    {"canva.com", "Canva"},
    {"tesla.com", "Tesla"},
    {"spacex.com", "SpaceX"},
    {"samsung.com", "Samsung"},
    {"sony.com", "Sony"},
    {"toyota.com", "Toyota"},
    {"siemens.com", "Siemens"},
    {"bosch.com", "Bosch"},
    {"bmw.com", "BMW"},
    {"bmw.de", "BMW"},
    {"volkswagen.de", "Volkswagen"},
    {"mercedes-benz.com", "Mercedes-Benz"},
    {"deloitte.com", "Deloitte"},
    {"pwc.com", "PwC"},
    {"ey.com", "EY"},
    {"kpmg.com", "KPMG"},
    {"accenture.com", "Accenture"},
    {"mckinsey.com", "McKinsey & Company"},
    {"bcg.com", "Boston Consulting Group"},
    {"bain.com", "Bain & Company"},
    {"gs.com", "Goldman Sachs"},
    {"goldmansachs.com", "Goldman Sachs"},
    {"jpmorgan.com", "JPMorgan Chase"},
    {"jpmchase.com", "JPMorgan Chase"},
    {"morganstanley.com", "Morgan Stanley"},
    {"ubs.com", "UBS"},
    {"hsbc.com", "HSBC"},
    {"barclays.com", "Barclays"},
    {"bnpparibas.com", "BNP Paribas"},
    {"ing.com", "ING"},
    {"unilever.com", "Unilever"},
    {"nestle.com", "Nestlé"},
    {"loreal.com", "L'Oréal"},
    {"lvmh.com", "LVMH"},
    {"shell.com", "Shell"},
    {"bp.com", "BP"},
    {"ericsson.com", "Ericsson"},
    {"nokia.com", "Nokia"},
    {"philips.com", "Philips"},
    {"booking.com", "Booking.com"},
    {"adyen.com", "Adyen"},
    {"zalando.de", "Zalando"},
    {"revolut.com", "Revolut"},
    {"klarna.com", "Klarna"},
    {"n26.com", "N26"},
    {"asml.com", "ASML"},
    {"infosys.com", "Infosys"},
    {"tcs.com", "Tata Consultancy Services"},
    {"wipro.com", "Wipro"},
    {"alibaba-inc.com", "Alibaba"},
    {"tencent.com", "Tencent"},
    {"rakuten.com", "Rakuten"},
    {"atlassian.net", "Atlassian"},
    {"vodafone.com", "Vodafone"},
    {"telefonica.com", "Telefónica"},
    {"walmart.com", "Walmart"},
    {"coca-cola.com", "The Coca-Cola Company"},
    {"pepsico.com", "PepsiCo"},
    {"pg.com", "Procter & Gamble"},
    {"jnj.com", "Johnson & Johnson"},
    {"pfizer.com", "Pfizer"},
    {"novartis.com", "Novartis"},
    {"roche.com", "Roche"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* host_of copies the host part of text, lower case, into out. */
static bool host_of(const char *text, char *out, size_t n)
{
    const char *p = text, *scheme;
    size_t k = 0;

    while (isspace((unsigned char)*p))
        p++;
    if ((scheme = strstr(p, "://")) != NULL)
        p = scheme + 3;
    if (strchr(p, '@') != NULL && strchr(p, '@') < p + strcspn(p, "/?#"))
        p = strchr(p, '@') + 1; /* an e-mail address or user@host */
    for (; *p != '\0' && strchr("/?#: \t", *p) == NULL; p++) {
        unsigned char c = (unsigned char)*p;
        if (k + 1 >= n || !(isalnum(c) || c == '.' || c == '-'))
            return false;
        out[k++] = (char)tolower(c);
    }
    while (k > 0 && out[k - 1] == '.')
        k--;
    out[k] = '\0';
    return k > 0;
}

bool contact_domain_normalize(const char *text, char *out, size_t n)
{
    char host[256];
    const char *last, *cut;
    size_t labels = 1;

    if (text == NULL || !host_of(text, host, sizeof host))
        return false;
    for (const char *p = host; *p != '\0'; p++) {
        if (*p == '.' && (p[1] == '.' || p == host))
            return false;
        labels += *p == '.';
    }
    last = strrchr(host, '.');
    if (last == NULL || strlen(last + 1) < 2)
        return false;
    for (const char *t = last + 1; *t != '\0'; t++)
        if (!isalpha((unsigned char)*t))
            return false; /* an IP address or junk */
    /* Keep the last two labels, or three under a two-level suffix. */
    size_t keep = 2;
    for (size_t i = 0; i < NELEM(two_level_suffixes); i++) {
        size_t sl = strlen(two_level_suffixes[i]), hl = strlen(host);
        if (strcmp(host, two_level_suffixes[i]) == 0)
            return false; /* a public suffix alone */
        if (hl > sl + 1 && strcmp(host + hl - sl, two_level_suffixes[i]) == 0 &&
            host[hl - sl - 1] == '.')
            keep = 3;
    }
    if (labels < keep)
        return false;
    cut = host + strlen(host);
    for (size_t dots = 0; cut > host; cut--) {
        if (cut[-1] == '.' && ++dots == keep)
            break;
    }
    if (strlen(cut) >= n)
        return false;
    memcpy(out, cut, strlen(cut) + 1);
    return true;
}

bool contact_company_name(const char *domain, char *out, size_t n, bool *known)
{
    size_t k = 0;
    bool word = true;

    *known = false;
    if (domain == NULL || domain[0] == '\0')
        return false;
    for (size_t i = 0; i < NELEM(known_companies); i++) {
        if (strcmp(known_companies[i].domain, domain) == 0) {
            *known = true;
            return snprintf(out, n, "%s", known_companies[i].name) < (int)n;
        }
    }
    /* Derived: the first label, each hyphen a space, words capitalized. */
    for (const char *p = domain; *p != '\0' && *p != '.'; p++) {
        if (k + 2 >= n)
            return false;
        if (*p == '-') {
            if (k > 0 && out[k - 1] != ' ')
                out[k++] = ' ';
            word = true;
            continue;
        }
        out[k++] = word ? (char)toupper((unsigned char)*p) : *p;
        word = false;
    }
    while (k > 0 && out[k - 1] == ' ')
        k--;
    out[k] = '\0';
    return k > 0;
}

bool contact_company_clean(const char *text, char *out, size_t n)
{
    size_t k = 0;
    bool space = false;

    if (text == NULL)
        return false;
    for (const char *p = text; *p != '\0'; p++) {
        if (isspace((unsigned char)*p)) {
            space = k > 0;
            continue;
        }
        if (k + 6 >= n && ((unsigned char)*p & 0xC0) != 0x80)
            break; /* only ever before a character, never inside one */
        if (space)
            out[k++] = ' ';
        space = false;
        out[k++] = *p;
    }
    out[k] = '\0';
    return k > 0;
}
