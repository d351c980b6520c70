/* SPDX-License-Identifier: MIT */
/*
 * contact_title.c - job titles to seniority and department by ordered
 * phrase tables: the title is made " word word ... " (lower case, words of
 * letters and digits) and the first row whose phrase occurs in it wins, so
 * the more specific phrases come first ("vice president" before
 * "president", "product marketing" before "product").  Abbreviations are
 * written out first, word by word ("Sr Mktg Mgr" is read as "senior
 * marketing manager", "SWE II" as "software engineer ii"), so that the
 * phrase tables hold whole words only.
 */
#include "contact_title.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Abbreviations in titles and what they stand for, in strcmp order of the
 * abbreviation (searched by bisection).  "acct" is left alone: "Acct Exec"
 * is sales and "Sr Acct" accounting, so the phrase tables tell. */
typedef struct Abbreviation {
    const char *abbr, *words;
} Abbreviation;

static const Abbreviation abbreviations[] = {
    {"acctg", "accounting"},
    {"acq", "acquisition"},
    {"admin", "administrator"},
    {"ae", "account executive"},
    {"ap", "accounts payable"},
    {"apm", "associate product manager"},
    {"ar", "accounts receivable"},
    {"assoc", "associate"},
    {"asst", "assistant"},
    {"bd", "business development"},
    {"bde", "business development executive"},
    {"bdm", "business development manager"},
    {"bdr", "business development representative"},
    {"biz", "business"},
    {"chmn", "chairman"},
    {"comms", "communications"},
    {"coord", "coordinator"},
    {"csm", "customer success manager"},
    {"csr", "customer service representative"},
    {"cust", "customer"},
    {"cx", "customer experience"},
    {"dba", "database administrator"},
    {"dep", "deputy"},
    {"dept", "department"},
    {"dev", "developer"},
    {"dir", "director"},
    {"ea", "executive assistant"},
    {"em", "engineering manager"},
    {"eng", "engineer"},
    {"engg", "engineering"},
    {"engr", "engineer"},
    {"exec", "executive"},
    {"fin", "finance"},
    {"fndr", "founder"},
    {"gen", "general"},
    {"gm", "general manager"},
    {"gpm", "group product manager"},
    {"hd", "head"},
    {"hrbp", "hr business partner"},
    {"hrg", "hr generalist"},
    {"hrm", "hr manager"},
    {"infosec", "information security"},
    {"intl", "international"},
    {"isr", "inside sales representative"},
    {"jr", "junior"},
    {"kam", "key account manager"},
    {"mfg", "manufacturing"},
    {"mgmt", "management"},
    {"mgr", "manager"},
    {"mkt", "marketing"},
    {"mktg", "marketing"},
    {"ml", "machine learning"},
    {"mle", "machine learning engineer"},
    {"mng", "managing"},
    {"mngr", "manager"},
    {"ops", "operations"},
    {"pm", "product manager"},
    {"pmm", "product marketing manager"},
    {"pres", "president"},
    {"prin", "principal"},
    {"princ", "principal"},
    {"prod", "product"},
    {"prog", "program"},
    {"proj", "project"},
    {"ptnr", "partner"},
    {"rep", "representative"},
    {"rev", "revenue"},
    {"revops", "revenue operations"},
    {"rsm", "regional sales manager"},
    {"sci", "scientist"},
    {"sde", "software development engineer"},
    {"sdet", "software development engineer in test"},
    {"sdr", "sales development representative"},
    {"snr", "senior"},
    {"spec", "specialist"},
    {"sr", "senior"},
    {"sre", "site reliability engineer"},
    {"supt", "superintendent"},
    {"supv", "supervisor"},
    {"supvr", "supervisor"},
    {"svc", "service"},
    {"svcs", "services"},
    {"swe", "software engineer"},
    {"sys", "systems"},
    {"tpm", "technical program manager"},
};

typedef struct Phrase {
    const char *words; /* " word word " */
    const char *value;
} Phrase;

static const Phrase seniorities[] = {
    {" assistant to ", "individual_contributor"},
    {" executive assistant ", "individual_contributor"},
    {" personal assistant ", "individual_contributor"},
    {" intern ", "individual_contributor"},
    {" internship ", "individual_contributor"},
    {" vice president ", "vp"},
    {" vicepresident ", "vp"},
    {" vp ", "vp"},
    {" svp ", "vp"},
    {" evp ", "vp"},
    {" avp ", "vp"},
    {" chief ", "c_level"},
    {" ceo ", "c_level"},
    {" cto ", "c_level"},
    {" cfo ", "c_level"},
    {" coo ", "c_level"},
    {" cmo ", "c_level"},
    {" cio ", "c_level"},
    {" ciso ", "c_level"},
    {" cro ", "c_level"},
    {" cpo ", "c_level"},
    {" chro ", "c_level"},
    {" cdo ", "c_level"},
    {" cco ", "c_level"},
    {" cso ", "c_level"},
    {" founder ", "c_level"},
    {" co founder ", "c_level"},
    {" cofounder ", "c_level"},
    {" owner ", "c_level"},
    {" president ", "c_level"},
    {" chairman ", "c_level"},
    {" chairwoman ", "c_level"},
    {" chair ", "c_level"},
    {" managing director ", "c_level"},
    {" geschäftsführer ", "c_level"},
    {" geschaftsfuhrer ", "c_level"},
    {" managing partner ", "c_level"},
    {" general manager ", "director"},
    {" director ", "director"},
    {" directeur ", "director"},
    {" direktor ", "director"},
    {" direttore ", "director"},
    {" dir ", "director"},
    {" head ", "director"},
    {" manager ", "manager"},
    {" mgr ", "manager"},
    {" management ", "manager"},
    {" supervisor ", "manager"},
    {" team lead ", "manager"},
    {" team leader ", "manager"},
    {" superintendent ", "manager"},
    {" foreman ", "manager"},
};

static const Phrase departments[] = {
    /* Two-word phrases whose words would mislead alone. */
    {" product marketing ", "marketing"},
    {" sales engineer ", "sales"},
    {" sales engineering ", "sales"},
    {" solutions engineer ", "sales"},
    {" customer success ", "customer_success"},
    {" customer support ", "customer_success"},
    {" customer service ", "customer_success"},
    {" customer experience ", "customer_success"},
    {" client services ", "customer_success"},
    {" technical support ", "customer_success"},
    {" accounts payable ", "finance"},
    {" accounts receivable ", "finance"},
    {" acct executive ", "sales"},
    {" acct manager ", "sales"},
    {" acct director ", "sales"},
    {" acct representative ", "sales"},
    {" acct management ", "sales"},
    {" account representative ", "sales"},
    {" account management ", "sales"},
    {" key account ", "sales"},
    {" business developer ", "sales"},
    {" sales operations ", "sales"},
    {" revenue operations ", "sales"},
    {" revenue accountant ", "finance"},
    {" revenue acct ", "finance"},
    {" revenue accounting ", "finance"},
    {" customer care ", "customer_success"},
    {" client success ", "customer_success"},
    {" database administrator ", "it"},
    {" plant manager ", "operations"},
    {" production manager ", "operations"},
    {" a p ", "finance"},
    {" a r ", "finance"},
    {" tech lead ", "engineering"},
    {" tech support ", "customer_success"},
    {" social media ", "marketing"},
    {" l d ", "hr"},
    {" service desk ", "it"},
    {" desktop support ", "it"},
    {" human resources ", "hr"},
    {" people operations ", "hr"},
    {" people ops ", "hr"},
    {" account executive ", "sales"},
    {" account manager ", "sales"},
    {" account director ", "sales"},
    {" business development ", "sales"},
    {" general counsel ", "legal"},
    {" information technology ", "it"},
    {" information security ", "it"},
    {" supply chain ", "operations"},
    {" office manager ", "operations"},
    {" data scientist ", "data"},
    {" data engineer ", "data"},
    {" machine learning ", "data"},
    {" chief executive ", "executive"},
    {" chief technology ", "engineering"},
    {" chief technical ", "engineering"},
    {" chief financial ", "finance"},
    {" chief operating ", "operations"},
    {" chief marketing ", "marketing"},
    {" chief revenue ", "sales"},
    {" chief people ", "hr"},
    {" chief product ", "product"},
    {" chief information ", "it"},
    {" chief data ", "data"},
    {" r d ", "engineering"},
    /* C-level abbreviations. */
    {" cto ", "engineering"},
    {" cfo ", "finance"},
    {" coo ", "operations"},
    {" cmo ", "marketing"},
    {" cro ", "sales"},
    {" chro ", "hr"},
    {" cpo ", "product"},
    {" cio ", "it"},
    {" ciso ", "it"},
    {" cdo ", "data"},
    /* Single words. */
    {" sales ", "sales"},
    {" bdr ", "sales"},
    {" sdr ", "sales"},
    {" partnerships ", "sales"},
    {" territory ", "sales"},
    {" channel ", "sales"},
    {" revenue ", "sales"},
    {" commercial ", "sales"},
    {" vendite ", "sales"},
    {" vertrieb ", "sales"},
    {" ventas ", "sales"},
    {" marketing ", "marketing"},
    {" brand ", "marketing"},
    {" growth ", "marketing"},
    {" seo ", "marketing"},
    {" content ", "marketing"},
    {" communications ", "marketing"},
    {" pr ", "marketing"},
    {" demand ", "marketing"},
    {" events ", "marketing"},
    {" sem ", "marketing"},
    {" finance ", "finance"},
    {" financial ", "finance"},
    {" accountant ", "finance"},
    {" accounting ", "finance"},
    {" controller ", "finance"},
    {" comptroller ", "finance"},
    {" treasurer ", "finance"},
    {" treasury ", "finance"},
    {" fp a ", "finance"},
    {" acct ", "finance"},
    {" billing ", "finance"},
    {" collections ", "finance"},
    {" credit ", "finance"},
    {" cpa ", "finance"},
    {" payable ", "finance"},
    {" receivable ", "finance"},
    {" bookkeeper ", "finance"},
    {" audit ", "finance"},
    {" auditor ", "finance"},
    {" tax ", "finance"},
    {" payroll ", "finance"},
    {" hr ", "hr"},
    {" people ", "hr"},
    {" talent ", "hr"},
    {" recruiter ", "hr"},
    {" recruiting ", "hr"},
    {" recruitment ", "hr"},
    {" benefits ", "hr"},
    {" compensation ", "hr"},
    {" hris ", "hr"},
    {" legal ", "legal"},
    {" counsel ", "legal"},
    {" attorney ", "legal"},
    {" lawyer ", "legal"},
    {" paralegal ", "legal"},
    {" compliance ", "legal"},
    {" design ", "design"},
    {" designer ", "design"},
    {" product ", "product"},
    {" ux ", "design"},
    {" ui ", "design"},
    {" creative ", "design"},
    {" art ", "design"},
    {" it ", "it"},
    {" security ", "it"},
    {" sysadmin ", "it"},
    {" helpdesk ", "it"},
    {" noc ", "it"},
    {" mis ", "it"},
    {" network ", "it"},
    {" infrastructure ", "it"},
    {" systems administrator ", "it"},
    {" data ", "data"},
    {" analytics ", "data"},
    {" bi ", "data"},
    {" engineer ", "engineering"},
    {" engineering ", "engineering"},
    {" developer ", "engineering"},
    {" software ", "engineering"},
    {" devops ", "engineering"},
    {" sre ", "engineering"},
    {" architect ", "engineering"},
    {" programmer ", "engineering"},
    {" qa ", "engineering"},
    {" technology ", "engineering"},
    {" technical ", "engineering"},
    {" operations ", "operations"},
    {" ops ", "operations"},
    {" logistics ", "operations"},
    {" procurement ", "operations"},
    {" purchasing ", "operations"},
    {" facilities ", "operations"},
    {" warehouse ", "operations"},
    {" support ", "customer_success"},
    {" ceo ", "executive"},
    {" founder ", "executive"},
    {" co founder ", "executive"},
    {" cofounder ", "executive"},
    {" owner ", "executive"},
    {" president ", "executive"},
    {" managing director ", "executive"},
    {" geschäftsführer ", "executive"},
    {" general manager ", "executive"},
    {" chairman ", "executive"},
    {" managing partner ", "executive"},
};

const char *contact_title_abbreviation(size_t i, const char **words)
{
    if (i >= sizeof abbreviations / sizeof abbreviations[0])
        return NULL;
    *words = abbreviations[i].words;
    return abbreviations[i].abbr;
}

static int abbr_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const Abbreviation *)elem)->abbr);
}

/* expand writes text (" word word ") into out (size n) with every
 * abbreviation written out; a title too long for out is cut at a word. */
static void expand(const char *text, char *out, size_t n)
{
    size_t k = 0;

    out[k++] = ' ';
    for (const char *p = text + 1; *p != '\0';) {
        const char *end = strchr(p, ' ');
        size_t len = (size_t)(end - p);
        char word[16];
        const char *w = p;
        if (len < sizeof word) {
            const Abbreviation *hit;
            memcpy(word, p, len);
            word[len] = '\0';
            hit = bsearch(word, abbreviations, sizeof abbreviations / sizeof abbreviations[0],
                          sizeof abbreviations[0], abbr_cmp);
            if (hit != NULL) {
                w = hit->words;
                len = strlen(w);
            }
        }
        if (k + len + 2 > n)
            break;
        memcpy(out + k, w, len);
        k += len;
        out[k++] = ' ';
        p = end + 1;
    }
    out[k] = '\0';
}

static const char *match(const Phrase *table, size_t n, const char *text)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(text, table[i].words) != NULL)
            return table[i].value;
    return NULL;
}

bool contact_title_classify(const char *title, ContactTitle *out)
{
    char text[512], words[1024];
    size_t k = 0;

    memset(out, 0, sizeof(*out));
    if (title == NULL)
        return false;
    text[k++] = ' ';
    for (const char *p = title; *p != '\0' && k + 3 < sizeof text; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) || c >= 0x80)
            text[k++] = (char)tolower(c);
        else if (c != '.' && text[k - 1] != ' ')
            text[k++] = ' '; /* dots vanish: "Sr." and "V.P." */
        else if (c == '.' && k > 1 && text[k - 1] != ' ' && p[1] == ' ')
            text[k++] = ' ';
    }
    if (text[k - 1] != ' ')
        text[k++] = ' ';
    text[k] = '\0';
    if (k < 3)
        return false;
    /* "V.P." is "vp"; "Sr." is "sr ", then "senior ". */
    expand(text, words, sizeof words);
    out->seniority = match(seniorities, sizeof seniorities / sizeof seniorities[0], words);
    out->confidence = 0.9;
    if (out->seniority == NULL) {
        out->seniority = "individual_contributor";
        out->confidence = 0.7;
    }
    out->department = match(departments, sizeof departments / sizeof departments[0], words);
    return true;
}
