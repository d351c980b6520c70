/* SPDX-License-Identifier: MIT */
/* invoice_labels.c - the label dictionary of the invoice rules (invoice_labels.h). */
#include "invoice_labels.h"

#include <string.h>

#define L(text, kind, lang) {text, kind, lang, 0, 0}
#define T(text, lang, prio) {text, LABEL_TOTAL, lang, prio, 0}
#define ALONE(text, kind, lang) {text, kind, lang, 0, 1}

static const InvoiceLabel labels[] = {
    /* ---- the invoice's number ---- */
    L("fattura n", LABEL_NUMBER, LANG_IT), L("fattura nr", LABEL_NUMBER, LANG_IT),
    L("fattura no", LABEL_NUMBER, LANG_IT), L("fattura numero", LABEL_NUMBER, LANG_IT),
    L("fattura #", LABEL_NUMBER, LANG_IT), L("numero fattura", LABEL_NUMBER, LANG_IT),
    L("n fattura", LABEL_NUMBER, LANG_IT), L("nr fattura", LABEL_NUMBER, LANG_IT),
    L("numero documento", LABEL_NUMBER, LANG_IT), L("n documento", LABEL_NUMBER, LANG_IT),
    L("num documento", LABEL_NUMBER, LANG_IT), L("documento n", LABEL_NUMBER, LANG_IT),
    L("fattura elettronica n", LABEL_NUMBER, LANG_IT), L("nota di credito n", LABEL_NUMBER, LANG_IT),
    L("invoice no", LABEL_NUMBER, LANG_EN), L("invoice number", LABEL_NUMBER, LANG_EN),
    L("invoice nr", LABEL_NUMBER, LANG_EN), L("invoice #", LABEL_NUMBER, LANG_EN),
    L("invoice num", LABEL_NUMBER, LANG_EN), L("inv no", LABEL_NUMBER, LANG_EN),
    L("inv #", LABEL_NUMBER, LANG_EN), L("invoice id", LABEL_NUMBER, LANG_EN),
    L("invoice ref", LABEL_NUMBER, LANG_EN), L("invoice reference", LABEL_NUMBER, LANG_EN),
    L("bill no", LABEL_NUMBER, LANG_EN), L("bill number", LABEL_NUMBER, LANG_EN),
    L("credit note no", LABEL_NUMBER, LANG_EN), L("document no", LABEL_NUMBER, LANG_EN),
    L("document number", LABEL_NUMBER, LANG_EN), L("tax invoice no", LABEL_NUMBER, LANG_EN),
    L("rechnungsnummer", LABEL_NUMBER, LANG_DE), L("rechnung nr", LABEL_NUMBER, LANG_DE),
    L("rechnung nummer", LABEL_NUMBER, LANG_DE), L("rechnungs nr", LABEL_NUMBER, LANG_DE),
    L("rechnungsnr", LABEL_NUMBER, LANG_DE), L("rechnung #", LABEL_NUMBER, LANG_DE),
    L("re nr", LABEL_NUMBER, LANG_DE), L("belegnummer", LABEL_NUMBER, LANG_DE),
    L("beleg nr", LABEL_NUMBER, LANG_DE), L("gutschrift nr", LABEL_NUMBER, LANG_DE),
    L("facture n", LABEL_NUMBER, LANG_FR), L("facture no", LABEL_NUMBER, LANG_FR),
    L("facture numero", LABEL_NUMBER, LANG_FR), L("facture nr", LABEL_NUMBER, LANG_FR),
    L("facture #", LABEL_NUMBER, LANG_FR), L("numero de facture", LABEL_NUMBER, LANG_FR),
    L("n de facture", LABEL_NUMBER, LANG_FR), L("no de facture", LABEL_NUMBER, LANG_FR),
    L("numero facture", LABEL_NUMBER, LANG_FR), L("n facture", LABEL_NUMBER, LANG_FR),
    L("avoir n", LABEL_NUMBER, LANG_FR),

    /* ---- dates ---- */
    L("data", LABEL_ISSUE_DATE, LANG_IT), L("data fattura", LABEL_ISSUE_DATE, LANG_IT),
    L("data documento", LABEL_ISSUE_DATE, LANG_IT), L("data emissione", LABEL_ISSUE_DATE, LANG_IT),
    L("data di emissione", LABEL_ISSUE_DATE, LANG_IT), L("del", LABEL_ISSUE_DATE, LANG_IT),
    L("emessa il", LABEL_ISSUE_DATE, LANG_IT),
    L("date", LABEL_ISSUE_DATE, LANG_ANY), L("invoice date", LABEL_ISSUE_DATE, LANG_EN),
    L("issue date", LABEL_ISSUE_DATE, LANG_EN), L("date of issue", LABEL_ISSUE_DATE, LANG_EN),
    L("issued", LABEL_ISSUE_DATE, LANG_EN), L("issued on", LABEL_ISSUE_DATE, LANG_EN),
    L("dated", LABEL_ISSUE_DATE, LANG_EN), L("billing date", LABEL_ISSUE_DATE, LANG_EN),
    L("datum", LABEL_ISSUE_DATE, LANG_DE), L("rechnungsdatum", LABEL_ISSUE_DATE, LANG_DE),
    L("ausstellungsdatum", LABEL_ISSUE_DATE, LANG_DE), L("belegdatum", LABEL_ISSUE_DATE, LANG_DE),
    L("vom", LABEL_ISSUE_DATE, LANG_DE),
    L("date de facture", LABEL_ISSUE_DATE, LANG_FR), L("date de facturation", LABEL_ISSUE_DATE, LANG_FR),
    L("date d emission", LABEL_ISSUE_DATE, LANG_FR), L("date de la facture", LABEL_ISSUE_DATE, LANG_FR),
    L("emise le", LABEL_ISSUE_DATE, LANG_FR), L("du", LABEL_ISSUE_DATE, LANG_FR),

    L("scadenza", LABEL_DUE_DATE, LANG_IT), L("data scadenza", LABEL_DUE_DATE, LANG_IT),
    L("scadenza pagamento", LABEL_DUE_DATE, LANG_IT), L("data scadenza pagamento", LABEL_DUE_DATE, LANG_IT),
    L("data di scadenza", LABEL_DUE_DATE, LANG_IT), L("scade il", LABEL_DUE_DATE, LANG_IT),
    L("da pagare entro", LABEL_DUE_DATE, LANG_IT), L("pagamento entro", LABEL_DUE_DATE, LANG_IT),
    L("entro il", LABEL_DUE_DATE, LANG_IT), L("scadenze", LABEL_DUE_DATE, LANG_IT),
    L("due date", LABEL_DUE_DATE, LANG_EN), L("due", LABEL_DUE_DATE, LANG_EN),
    L("payment due", LABEL_DUE_DATE, LANG_EN), L("due by", LABEL_DUE_DATE, LANG_EN),
    L("due on", LABEL_DUE_DATE, LANG_EN), L("pay by", LABEL_DUE_DATE, LANG_EN),
    L("payable by", LABEL_DUE_DATE, LANG_EN), L("payment due date", LABEL_DUE_DATE, LANG_EN),
    L("date due", LABEL_DUE_DATE, LANG_EN), L("payment date", LABEL_DUE_DATE, LANG_EN),
    L("fallig", LABEL_DUE_DATE, LANG_DE), L("fallig am", LABEL_DUE_DATE, LANG_DE),
    L("faellig", LABEL_DUE_DATE, LANG_DE), L("falligkeit", LABEL_DUE_DATE, LANG_DE),
    L("falligkeitsdatum", LABEL_DUE_DATE, LANG_DE), L("zahlbar bis", LABEL_DUE_DATE, LANG_DE),
    L("zahlbar bis zum", LABEL_DUE_DATE, LANG_DE), L("zahlungsziel", LABEL_DUE_DATE, LANG_DE),
    L("zahlbar am", LABEL_DUE_DATE, LANG_DE), L("zahlungstermin", LABEL_DUE_DATE, LANG_DE),
    L("bitte zahlen sie bis", LABEL_DUE_DATE, LANG_DE),
    L("echeance", LABEL_DUE_DATE, LANG_FR), L("date d echeance", LABEL_DUE_DATE, LANG_FR),
    L("date limite de paiement", LABEL_DUE_DATE, LANG_FR), L("date limite", LABEL_DUE_DATE, LANG_FR),
    L("a payer avant le", LABEL_DUE_DATE, LANG_FR), L("payable avant le", LABEL_DUE_DATE, LANG_FR),
    L("paiement avant le", LABEL_DUE_DATE, LANG_FR), L("date de paiement", LABEL_DUE_DATE, LANG_FR),
    L("date d exigibilite", LABEL_DUE_DATE, LANG_FR),

    /* ---- amounts ---- */
    L("imponibile", LABEL_SUBTOTAL, LANG_IT), L("totale imponibile", LABEL_SUBTOTAL, LANG_IT),
    L("imponibile totale", LABEL_SUBTOTAL, LANG_IT), L("totale netto", LABEL_SUBTOTAL, LANG_IT),
    L("subtotale", LABEL_SUBTOTAL, LANG_IT), L("sub totale", LABEL_SUBTOTAL, LANG_IT),
    L("totale merce", LABEL_SUBTOTAL, LANG_IT), L("totale imponibile iva", LABEL_SUBTOTAL, LANG_IT),
    L("subtotal", LABEL_SUBTOTAL, LANG_EN), L("sub total", LABEL_SUBTOTAL, LANG_EN),
    L("net total", LABEL_SUBTOTAL, LANG_EN), L("total net", LABEL_SUBTOTAL, LANG_EN),
    L("net amount", LABEL_SUBTOTAL, LANG_EN), L("total excl vat", LABEL_SUBTOTAL, LANG_EN),
    L("total excluding vat", LABEL_SUBTOTAL, LANG_EN), L("amount excl vat", LABEL_SUBTOTAL, LANG_EN),
    L("total before tax", LABEL_SUBTOTAL, LANG_EN), L("total excl tax", LABEL_SUBTOTAL, LANG_EN),
    L("net", LABEL_SUBTOTAL, LANG_EN), L("taxable amount", LABEL_SUBTOTAL, LANG_EN),
    L("nettobetrag", LABEL_SUBTOTAL, LANG_DE), L("netto", LABEL_SUBTOTAL, LANG_DE),
    L("summe netto", LABEL_SUBTOTAL, LANG_DE), L("zwischensumme", LABEL_SUBTOTAL, LANG_DE),
    L("nettosumme", LABEL_SUBTOTAL, LANG_DE), L("gesamt netto", LABEL_SUBTOTAL, LANG_DE),
    L("netto summe", LABEL_SUBTOTAL, LANG_DE), L("warenwert", LABEL_SUBTOTAL, LANG_DE),
    L("rechnungsbetrag netto", LABEL_SUBTOTAL, LANG_DE), L("gesamtbetrag netto", LABEL_SUBTOTAL, LANG_DE),
    L("nettopreis", LABEL_SUBTOTAL, LANG_DE), L("summe ohne mwst", LABEL_SUBTOTAL, LANG_DE),
    L("total ht", LABEL_SUBTOTAL, LANG_FR), L("montant ht", LABEL_SUBTOTAL, LANG_FR),
    L("sous total", LABEL_SUBTOTAL, LANG_FR), L("total hors taxes", LABEL_SUBTOTAL, LANG_FR),
    L("montant hors taxes", LABEL_SUBTOTAL, LANG_FR), L("total h t", LABEL_SUBTOTAL, LANG_FR),
    L("net ht", LABEL_SUBTOTAL, LANG_FR), L("montant total ht", LABEL_SUBTOTAL, LANG_FR),
    L("sous total ht", LABEL_SUBTOTAL, LANG_FR),

    L("iva", LABEL_TAX, LANG_IT), L("imposta", LABEL_TAX, LANG_IT), L("importo iva", LABEL_TAX, LANG_IT),
    L("totale iva", LABEL_TAX_TOTAL, LANG_IT), L("iva totale", LABEL_TAX_TOTAL, LANG_IT),
    L("totale imposta", LABEL_TAX_TOTAL, LANG_IT), L("totale imposte", LABEL_TAX_TOTAL, LANG_IT),
    L("vat", LABEL_TAX, LANG_EN), L("tax", LABEL_TAX, LANG_EN), L("sales tax", LABEL_TAX, LANG_EN),
    L("vat amount", LABEL_TAX, LANG_EN), L("gst", LABEL_TAX, LANG_EN),
    L("total vat", LABEL_TAX_TOTAL, LANG_EN), L("total tax", LABEL_TAX_TOTAL, LANG_EN),
    L("vat total", LABEL_TAX_TOTAL, LANG_EN), L("tax total", LABEL_TAX_TOTAL, LANG_EN),
    L("mwst", LABEL_TAX, LANG_DE), L("ust", LABEL_TAX, LANG_DE), L("umsatzsteuer", LABEL_TAX, LANG_DE),
    L("mehrwertsteuer", LABEL_TAX, LANG_DE), L("zzgl", LABEL_TAX, LANG_DE),
    L("zzgl mwst", LABEL_TAX, LANG_DE), L("zzgl ust", LABEL_TAX, LANG_DE),
    L("mwst betrag", LABEL_TAX, LANG_DE), L("enthaltene mwst", LABEL_TAX, LANG_DE),
    L("summe mwst", LABEL_TAX_TOTAL, LANG_DE), L("gesamt mwst", LABEL_TAX_TOTAL, LANG_DE),
    L("summe ust", LABEL_TAX_TOTAL, LANG_DE), L("umsatzsteuer gesamt", LABEL_TAX_TOTAL, LANG_DE),
    L("tva", LABEL_TAX, LANG_FR), L("montant tva", LABEL_TAX, LANG_FR),
    L("montant de la tva", LABEL_TAX, LANG_FR), L("total tva", LABEL_TAX_TOTAL, LANG_FR),
    L("montant total tva", LABEL_TAX_TOTAL, LANG_FR),

    T("totale documento", LANG_IT, 2), T("totale fattura", LANG_IT, 2),
    T("totale complessivo", LANG_IT, 2), T("totale generale", LANG_IT, 2),
    T("importo totale", LANG_IT, 2), T("totale ivato", LANG_IT, 2), T("totale", LANG_IT, 1),
    T("totale da pagare", LANG_IT, 1), T("netto a pagare", LANG_IT, 1),
    T("importo da pagare", LANG_IT, 1), T("totale a pagare", LANG_IT, 1),
    T("grand total", LANG_EN, 2), T("invoice total", LANG_EN, 2), T("total amount", LANG_EN, 2),
    T("total due", LANG_EN, 2), T("amount due", LANG_EN, 2), T("total payable", LANG_EN, 2),
    T("total incl vat", LANG_EN, 2), T("total including vat", LANG_EN, 2),
    T("total inc vat", LANG_EN, 2), T("invoice amount", LANG_EN, 2), T("total", LANG_EN, 1),
    T("balance due", LANG_EN, 1), T("amount payable", LANG_EN, 1), T("total to pay", LANG_EN, 1),
    T("gesamtbetrag", LANG_DE, 2), T("rechnungsbetrag", LANG_DE, 2), T("summe brutto", LANG_DE, 2),
    T("bruttobetrag", LANG_DE, 2), T("gesamtsumme", LANG_DE, 2), T("endbetrag", LANG_DE, 2),
    T("brutto", LANG_DE, 2), T("rechnungssumme", LANG_DE, 2), T("gesamt brutto", LANG_DE, 2),
    T("gesamtbetrag brutto", LANG_DE, 2), T("rechnungsbetrag brutto", LANG_DE, 2),
    T("zu zahlen", LANG_DE, 1), T("zahlbetrag", LANG_DE, 1), T("gesamt", LANG_DE, 1),
    T("summe", LANG_DE, 1), T("zu zahlender betrag", LANG_DE, 1),
    T("total ttc", LANG_FR, 2), T("montant ttc", LANG_FR, 2), T("montant total ttc", LANG_FR, 2),
    T("ttc", LANG_FR, 2), T("total t t c", LANG_FR, 2), T("net a payer", LANG_FR, 1),
    T("montant total", LANG_FR, 1), T("total a payer", LANG_FR, 1), T("reste a payer", LANG_FR, 1),
    T("montant a payer", LANG_FR, 1),

    /* ---- VAT ids ---- */
    L("partita iva", LABEL_VAT_ID_IT, LANG_IT), L("p iva", LABEL_VAT_ID_IT, LANG_IT),
    L("piva", LABEL_VAT_ID_IT, LANG_IT), L("part iva", LABEL_VAT_ID_IT, LANG_IT),
    L("c f e p iva", LABEL_VAT_ID_IT, LANG_IT), L("cod fisc e p iva", LABEL_VAT_ID_IT, LANG_IT),
    L("codice fiscale e partita iva", LABEL_VAT_ID_IT, LANG_IT),
    L("p iva e c f", LABEL_VAT_ID_IT, LANG_IT), L("p iva c f", LABEL_VAT_ID_IT, LANG_IT),
    L("c f p iva", LABEL_VAT_ID_IT, LANG_IT), L("partita iva e codice fiscale", LABEL_VAT_ID_IT, LANG_IT),
    L("vat no", LABEL_VAT_ID, LANG_EN), L("vat number", LABEL_VAT_ID, LANG_EN),
    L("vat reg no", LABEL_VAT_ID, LANG_EN), L("vat registration no", LABEL_VAT_ID, LANG_EN),
    L("vat registration number", LABEL_VAT_ID, LANG_EN), L("vat id", LABEL_VAT_ID, LANG_EN),
    L("vat reg", LABEL_VAT_ID, LANG_EN), L("tax id", LABEL_VAT_ID, LANG_EN),
    L("vat identification number", LABEL_VAT_ID, LANG_EN), L("vat nr", LABEL_VAT_ID, LANG_EN),
    L("ust idnr", LABEL_VAT_ID, LANG_DE), L("ust id", LABEL_VAT_ID, LANG_DE),
    L("ustid", LABEL_VAT_ID, LANG_DE), L("ust id nr", LABEL_VAT_ID, LANG_DE),
    L("ustidnr", LABEL_VAT_ID, LANG_DE), L("umsatzsteuer id", LABEL_VAT_ID, LANG_DE),
    L("umsatzsteuer identifikationsnummer", LABEL_VAT_ID, LANG_DE),
    L("mwst nr", LABEL_VAT_ID, LANG_DE), L("uid", LABEL_VAT_ID, LANG_DE),
    L("uid nr", LABEL_VAT_ID, LANG_DE), L("n tva", LABEL_VAT_ID, LANG_FR),
    L("numero de tva", LABEL_VAT_ID, LANG_FR), L("tva intracom", LABEL_VAT_ID, LANG_FR),
    L("tva intracommunautaire", LABEL_VAT_ID, LANG_FR),
    L("n tva intracommunautaire", LABEL_VAT_ID, LANG_FR), L("n tva intracom", LABEL_VAT_ID, LANG_FR),
    L("numero tva", LABEL_VAT_ID, LANG_FR), L("no tva", LABEL_VAT_ID, LANG_FR),
    L("identifiant tva", LABEL_VAT_ID, LANG_FR), L("btw", LABEL_VAT_ID, LANG_ANY),

    /* ---- parties ---- */
    L("cedente prestatore", LABEL_SUPPLIER, LANG_IT), L("cedente", LABEL_SUPPLIER, LANG_IT),
    L("prestatore", LABEL_SUPPLIER, LANG_IT), L("fornitore", LABEL_SUPPLIER, LANG_IT),
    L("mittente", LABEL_SUPPLIER, LANG_IT), L("emittente", LABEL_SUPPLIER, LANG_IT),
    L("venditore", LABEL_SUPPLIER, LANG_IT),
    ALONE("from", LABEL_SUPPLIER, LANG_EN), L("seller", LABEL_SUPPLIER, LANG_EN),
    L("supplier", LABEL_SUPPLIER, LANG_EN), L("vendor", LABEL_SUPPLIER, LANG_EN),
    L("sold by", LABEL_SUPPLIER, LANG_EN), L("bill from", LABEL_SUPPLIER, LANG_EN),
    L("issued by", LABEL_SUPPLIER, LANG_EN), L("invoice from", LABEL_SUPPLIER, LANG_EN),
    L("lieferant", LABEL_SUPPLIER, LANG_DE), L("verkaufer", LABEL_SUPPLIER, LANG_DE),
    L("rechnungssteller", LABEL_SUPPLIER, LANG_DE), L("absender", LABEL_SUPPLIER, LANG_DE),
    L("auftragnehmer", LABEL_SUPPLIER, LANG_DE), L("leistungserbringer", LABEL_SUPPLIER, LANG_DE),
    L("emetteur", LABEL_SUPPLIER, LANG_FR), L("vendeur", LABEL_SUPPLIER, LANG_FR),
    L("fournisseur", LABEL_SUPPLIER, LANG_FR), L("prestataire", LABEL_SUPPLIER, LANG_FR),
    L("expediteur", LABEL_SUPPLIER, LANG_FR),

    L("cessionario committente", LABEL_CUSTOMER, LANG_IT), L("cessionario", LABEL_CUSTOMER, LANG_IT),
    L("committente", LABEL_CUSTOMER, LANG_IT), L("cliente", LABEL_CUSTOMER, LANG_IT),
    L("spett le", LABEL_CUSTOMER, LANG_IT), L("spettabile", LABEL_CUSTOMER, LANG_IT),
    L("spett", LABEL_CUSTOMER, LANG_IT), L("destinatario", LABEL_CUSTOMER, LANG_IT),
    L("intestatario", LABEL_CUSTOMER, LANG_IT), L("acquirente", LABEL_CUSTOMER, LANG_IT),
    L("fatturare a", LABEL_CUSTOMER, LANG_IT), L("intestato a", LABEL_CUSTOMER, LANG_IT),
    L("bill to", LABEL_CUSTOMER, LANG_EN), L("billed to", LABEL_CUSTOMER, LANG_EN),
    L("invoice to", LABEL_CUSTOMER, LANG_EN), L("invoiced to", LABEL_CUSTOMER, LANG_EN),
    L("customer", LABEL_CUSTOMER, LANG_EN), ALONE("client", LABEL_CUSTOMER, LANG_ANY),
    L("sold to", LABEL_CUSTOMER, LANG_EN), L("buyer", LABEL_CUSTOMER, LANG_EN),
    ALONE("to", LABEL_CUSTOMER, LANG_EN),
    L("kunde", LABEL_CUSTOMER, LANG_DE), L("rechnungsempfanger", LABEL_CUSTOMER, LANG_DE),
    L("empfanger", LABEL_CUSTOMER, LANG_DE), ALONE("an", LABEL_CUSTOMER, LANG_DE),
    L("auftraggeber", LABEL_CUSTOMER, LANG_DE), L("kaufer", LABEL_CUSTOMER, LANG_DE),
    L("leistungsempfanger", LABEL_CUSTOMER, LANG_DE), L("rechnungsadresse", LABEL_CUSTOMER, LANG_DE),
    L("facture a", LABEL_CUSTOMER, LANG_FR), L("factures a", LABEL_CUSTOMER, LANG_FR),
    L("destinataire", LABEL_CUSTOMER, LANG_FR), L("adresse de facturation", LABEL_CUSTOMER, LANG_FR),
    L("acheteur", LABEL_CUSTOMER, LANG_FR),

    /* ---- VAT summary tables ---- */
    L("aliquota", LABEL_RATE_HEAD, LANG_IT), L("aliquota iva", LABEL_RATE_HEAD, LANG_IT),
    L("aliq", LABEL_RATE_HEAD, LANG_IT), L("vat rate", LABEL_RATE_HEAD, LANG_EN),
    L("tax rate", LABEL_RATE_HEAD, LANG_EN), L("steuersatz", LABEL_RATE_HEAD, LANG_DE),
    L("mwst satz", LABEL_RATE_HEAD, LANG_DE), L("ust satz", LABEL_RATE_HEAD, LANG_DE),
    L("taux", LABEL_RATE_HEAD, LANG_FR), L("taux tva", LABEL_RATE_HEAD, LANG_FR),
    L("taux de tva", LABEL_RATE_HEAD, LANG_FR),

    /* ---- the document's kind ---- */
    L("fattura", LABEL_TITLE, LANG_IT), L("nota di credito", LABEL_TITLE, LANG_IT),
    L("invoice", LABEL_TITLE, LANG_EN), L("tax invoice", LABEL_TITLE, LANG_EN),
    L("credit note", LABEL_TITLE, LANG_EN), L("rechnung", LABEL_TITLE, LANG_DE),
    L("gutschrift", LABEL_TITLE, LANG_DE), L("facture", LABEL_TITLE, LANG_FR),
    L("avoir", LABEL_TITLE, LANG_FR),

    /* ---- others that hide shorter labels ---- */
    L("ship to", LABEL_OTHER, LANG_EN), L("deliver to", LABEL_OTHER, LANG_EN),
    L("delivery address", LABEL_OTHER, LANG_EN), L("customer no", LABEL_OTHER, LANG_EN),
    L("customer number", LABEL_OTHER, LANG_EN), L("customer id", LABEL_OTHER, LANG_EN),
    L("client no", LABEL_OTHER, LANG_EN), L("lieferadresse", LABEL_OTHER, LANG_DE),
    L("lieferanschrift", LABEL_OTHER, LANG_DE), L("kundennummer", LABEL_OTHER, LANG_DE),
    L("kunden nr", LABEL_OTHER, LANG_DE), L("kundennr", LABEL_OTHER, LANG_DE),
    L("steuernummer", LABEL_OTHER, LANG_DE), L("steuer nr", LABEL_OTHER, LANG_DE),
    L("codice cliente", LABEL_OTHER, LANG_IT), L("codice fiscale", LABEL_OTHER, LANG_IT),
    L("cod fisc", LABEL_OTHER, LANG_IT), L("c f", LABEL_OTHER, LANG_IT),
    L("numero client", LABEL_OTHER, LANG_FR), L("n client", LABEL_OTHER, LANG_FR),
    L("adresse de livraison", LABEL_OTHER, LANG_FR), L("livre a", LABEL_OTHER, LANG_FR),
    L("iban", LABEL_OTHER, LANG_ANY), L("bic", LABEL_OTHER, LANG_ANY),
    L("swift", LABEL_OTHER, LANG_ANY), L("tel", LABEL_OTHER, LANG_ANY),
    L("fax", LABEL_OTHER, LANG_ANY), L("rea", LABEL_OTHER, LANG_IT),
    L("cap soc", LABEL_OTHER, LANG_IT), L("capitale sociale", LABEL_OTHER, LANG_IT),
    L("capital social", LABEL_OTHER, LANG_FR), L("siret", LABEL_OTHER, LANG_FR),
    L("siren", LABEL_OTHER, LANG_FR), L("rcs", LABEL_OTHER, LANG_FR),
    L("hrb", LABEL_OTHER, LANG_DE), L("amtsgericht", LABEL_OTHER, LANG_DE),
    L("company no", LABEL_OTHER, LANG_EN), L("company number", LABEL_OTHER, LANG_EN),
    L("order no", LABEL_OTHER, LANG_EN), L("order number", LABEL_OTHER, LANG_EN),
    L("po number", LABEL_OTHER, LANG_EN), L("ordine n", LABEL_OTHER, LANG_IT),
    L("bestellnummer", LABEL_OTHER, LANG_DE), L("auftragsnummer", LABEL_OTHER, LANG_DE),
    L("bon de commande", LABEL_OTHER, LANG_FR), L("ddt n", LABEL_OTHER, LANG_IT),
    L("lieferschein nr", LABEL_OTHER, LANG_DE), L("page", LABEL_OTHER, LANG_ANY),
    L("pagina", LABEL_OTHER, LANG_IT), L("seite", LABEL_OTHER, LANG_DE),
};
enum { NLABELS = sizeof(labels) / sizeof(labels[0]) };

const char *invoice_language_code(InvoiceLanguage lang)
{
    static const char *const codes[LANG_COUNT] = {NULL, "it", "en", "de", "fr"};
    return lang > LANG_ANY && lang < LANG_COUNT ? codes[lang] : NULL;
}

size_t invoice_labels_find(const InvoiceFolded *f, InvoiceLabelMatch *out, size_t max)
{
    size_t n = 0, i = 0;

    while (i < f->len && n < max) {
        const InvoiceLabel *best = NULL;
        size_t best_len = 0;
        for (size_t k = 0; k < NLABELS; k++) {
            if (labels[k].text[0] != f->s[i])
                continue;
            size_t len = strlen(labels[k].text);
            if (len > best_len && i + len <= f->len &&
                memcmp(f->s + i, labels[k].text, len) == 0 &&
                (i + len == f->len || f->s[i + len] == ' ' ||
                 labels[k].text[len - 1] == '#')) {
                best = &labels[k];
                best_len = len;
            }
        }
        if (best != NULL) {
            out[n++] = (InvoiceLabelMatch){.label = best,
                                           .fstart = i,
                                           .fend = i + best_len,
                                           .start = f->from[i],
                                           .end = f->from[i + best_len]};
            i += best_len;
        }
        /* the next word */
        while (i < f->len && f->s[i] != ' ')
            i++;
        while (i < f->len && f->s[i] == ' ')
            i++;
    }
    return n;
}

/* Table headings, folded, whole cell. */
static const struct {
    const char *text;
    InvoiceColumn column;
    int strength;
} columns[] = {
    {"descrizione", COLUMN_DESCRIPTION, 2}, {"description", COLUMN_DESCRIPTION, 2},
    {"designation", COLUMN_DESCRIPTION, 2}, {"bezeichnung", COLUMN_DESCRIPTION, 2},
    {"beschreibung", COLUMN_DESCRIPTION, 2}, {"libelle", COLUMN_DESCRIPTION, 2},
    {"artikelbezeichnung", COLUMN_DESCRIPTION, 2}, {"leistungsbeschreibung", COLUMN_DESCRIPTION, 2},
    {"denominazione", COLUMN_DESCRIPTION, 2}, {"descrizione articolo", COLUMN_DESCRIPTION, 2},
    {"item description", COLUMN_DESCRIPTION, 2}, {"description of services", COLUMN_DESCRIPTION, 2},
    {"details", COLUMN_DESCRIPTION, 1}, {"item", COLUMN_DESCRIPTION, 1},
    {"items", COLUMN_DESCRIPTION, 1}, {"artikel", COLUMN_DESCRIPTION, 1},
    {"articolo", COLUMN_DESCRIPTION, 1}, {"prodotto", COLUMN_DESCRIPTION, 1},
    {"product", COLUMN_DESCRIPTION, 1}, {"service", COLUMN_DESCRIPTION, 1},
    {"services", COLUMN_DESCRIPTION, 1}, {"leistung", COLUMN_DESCRIPTION, 1},
    {"produit", COLUMN_DESCRIPTION, 1}, {"article", COLUMN_DESCRIPTION, 1},
    {"prestation", COLUMN_DESCRIPTION, 1}, {"position", COLUMN_DESCRIPTION, 1},
    {"qta", COLUMN_QUANTITY, 0}, {"q ta", COLUMN_QUANTITY, 0}, {"quantita", COLUMN_QUANTITY, 0},
    {"qty", COLUMN_QUANTITY, 0}, {"quantity", COLUMN_QUANTITY, 0}, {"menge", COLUMN_QUANTITY, 0},
    {"anzahl", COLUMN_QUANTITY, 0}, {"qte", COLUMN_QUANTITY, 0}, {"quantite", COLUMN_QUANTITY, 0},
    {"std", COLUMN_QUANTITY, 0}, {"stunden", COLUMN_QUANTITY, 0}, {"hours", COLUMN_QUANTITY, 0},
    {"hrs", COLUMN_QUANTITY, 0}, {"ore", COLUMN_QUANTITY, 0}, {"qt", COLUMN_QUANTITY, 0},
    {"quant", COLUMN_QUANTITY, 0}, {"stk", COLUMN_QUANTITY, 0}, {"stuck", COLUMN_QUANTITY, 0},
    {"nb", COLUMN_QUANTITY, 0}, {"heures", COLUMN_QUANTITY, 0}, {"units", COLUMN_QUANTITY, 0},
    {"prezzo", COLUMN_UNIT_PRICE, 0}, {"prezzo unitario", COLUMN_UNIT_PRICE, 0},
    {"prezzo unit", COLUMN_UNIT_PRICE, 0}, {"prezzo un", COLUMN_UNIT_PRICE, 0},
    {"importo unitario", COLUMN_UNIT_PRICE, 0}, {"p unitario", COLUMN_UNIT_PRICE, 0},
    {"price", COLUMN_UNIT_PRICE, 0}, {"unit price", COLUMN_UNIT_PRICE, 0},
    {"unit cost", COLUMN_UNIT_PRICE, 0}, {"rate", COLUMN_UNIT_PRICE, 0},
    {"price each", COLUMN_UNIT_PRICE, 0}, {"unit price excl vat", COLUMN_UNIT_PRICE, 0},
    {"einzelpreis", COLUMN_UNIT_PRICE, 0}, {"preis", COLUMN_UNIT_PRICE, 0},
    {"satz", COLUMN_UNIT_PRICE, 0}, {"stuckpreis", COLUMN_UNIT_PRICE, 0},
    {"e preis", COLUMN_UNIT_PRICE, 0}, {"ep", COLUMN_UNIT_PRICE, 0},
    {"einzelpreis netto", COLUMN_UNIT_PRICE, 0}, {"preis netto", COLUMN_UNIT_PRICE, 0},
    {"prix unitaire", COLUMN_UNIT_PRICE, 0}, {"prix unitaire ht", COLUMN_UNIT_PRICE, 0},
    {"p u", COLUMN_UNIT_PRICE, 0}, {"p u ht", COLUMN_UNIT_PRICE, 0}, {"pu", COLUMN_UNIT_PRICE, 0},
    {"pu ht", COLUMN_UNIT_PRICE, 0}, {"prix", COLUMN_UNIT_PRICE, 0}, {"tarif", COLUMN_UNIT_PRICE, 0},
    {"prix ht", COLUMN_UNIT_PRICE, 0}, {"prix u ht", COLUMN_UNIT_PRICE, 0},
    {"importo", COLUMN_AMOUNT, 0}, {"totale", COLUMN_AMOUNT, 0}, {"prezzo totale", COLUMN_AMOUNT, 0},
    {"valore", COLUMN_AMOUNT, 0}, {"importo totale", COLUMN_AMOUNT, 0}, {"amount", COLUMN_AMOUNT, 0},
    {"total", COLUMN_AMOUNT, 0}, {"line total", COLUMN_AMOUNT, 0}, {"total price", COLUMN_AMOUNT, 0},
    {"net amount", COLUMN_AMOUNT, 0}, {"amount excl vat", COLUMN_AMOUNT, 0},
    {"subtotal", COLUMN_AMOUNT, 0}, {"gesamt", COLUMN_AMOUNT, 0}, {"betrag", COLUMN_AMOUNT, 0},
    {"gesamtpreis", COLUMN_AMOUNT, 0}, {"summe", COLUMN_AMOUNT, 0}, {"gp", COLUMN_AMOUNT, 0},
    {"gesamt netto", COLUMN_AMOUNT, 0}, {"betrag netto", COLUMN_AMOUNT, 0},
    {"nettobetrag", COLUMN_AMOUNT, 0}, {"montant", COLUMN_AMOUNT, 0},
    {"montant ht", COLUMN_AMOUNT, 0}, {"total ht", COLUMN_AMOUNT, 0}, {"prix total", COLUMN_AMOUNT, 0},
    {"prix total ht", COLUMN_AMOUNT, 0}, {"montant total ht", COLUMN_AMOUNT, 0},
    {"iva", COLUMN_VAT_RATE, 0}, {"iva %", COLUMN_VAT_RATE, 0}, {"% iva", COLUMN_VAT_RATE, 0},
    {"aliquota", COLUMN_VAT_RATE, 0}, {"aliq iva", COLUMN_VAT_RATE, 0}, {"cod iva", COLUMN_VAT_RATE, 0},
    {"vat", COLUMN_VAT_RATE, 0}, {"vat %", COLUMN_VAT_RATE, 0}, {"% vat", COLUMN_VAT_RATE, 0},
    {"vat rate", COLUMN_VAT_RATE, 0}, {"tax %", COLUMN_VAT_RATE, 0}, {"mwst", COLUMN_VAT_RATE, 0},
    {"mwst %", COLUMN_VAT_RATE, 0}, {"ust", COLUMN_VAT_RATE, 0}, {"ust %", COLUMN_VAT_RATE, 0},
    {"steuer", COLUMN_VAT_RATE, 0}, {"tva", COLUMN_VAT_RATE, 0}, {"tva %", COLUMN_VAT_RATE, 0},
    {"% tva", COLUMN_VAT_RATE, 0}, {"taux tva", COLUMN_VAT_RATE, 0},
    {"codice", COLUMN_CODE, 0}, {"cod", COLUMN_CODE, 0}, {"code", COLUMN_CODE, 0},
    {"art nr", COLUMN_CODE, 0}, {"artikelnummer", COLUMN_CODE, 0}, {"artikel nr", COLUMN_CODE, 0},
    {"item no", COLUMN_CODE, 0}, {"sku", COLUMN_CODE, 0}, {"ref", COLUMN_CODE, 0},
    {"reference", COLUMN_CODE, 0}, {"pos", COLUMN_CODE, 0}, {"n", COLUMN_CODE, 0},
    {"#", COLUMN_CODE, 0}, {"nr", COLUMN_CODE, 0}, {"no", COLUMN_CODE, 0}, {"riga", COLUMN_CODE, 0},
    {"codice articolo", COLUMN_CODE, 0}, {"part no", COLUMN_CODE, 0},
    {"sconto", COLUMN_DISCOUNT, 0}, {"sconto %", COLUMN_DISCOUNT, 0}, {"sc %", COLUMN_DISCOUNT, 0},
    {"discount", COLUMN_DISCOUNT, 0}, {"disc", COLUMN_DISCOUNT, 0}, {"rabatt", COLUMN_DISCOUNT, 0},
    {"remise", COLUMN_DISCOUNT, 0}, {"rabais", COLUMN_DISCOUNT, 0},
    {"um", COLUMN_UNIT, 0}, {"u m", COLUMN_UNIT, 0}, {"unit", COLUMN_UNIT, 0},
    {"einheit", COLUMN_UNIT, 0}, {"unite", COLUMN_UNIT, 0}, {"me", COLUMN_UNIT, 0},
};

InvoiceColumn invoice_labels_column(const char *folded, int *strength)
{
    *strength = 0;
    for (size_t k = 0; k < sizeof(columns) / sizeof(columns[0]); k++) {
        if (strcmp(columns[k].text, folded) == 0) {
            *strength = columns[k].strength;
            return columns[k].column;
        }
    }
    return COLUMN_NONE;
}
