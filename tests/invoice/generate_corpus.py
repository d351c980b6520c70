#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the invoice handler's training corpus, tests/invoice/corpus/:
one text fixture per invoice (NNN_LANG.txt, laid out the way a PDF's
text comes out of a layout-keeping extractor: columns kept by spaces) and
labels.jsonl, one line per fixture with the fields and flags it must give.

The labels come from the same values the text is written from, so they
are right by construction; the values are drawn with a fixed seed, so the
files are reproducible (run it again and git diff shows nothing).  The
flags of each fixture are chosen by plan (PLAN below), not computed by
the handler's code: every flag alone, several together, and the edges
(a difference of exactly one cent, equal dates, an Italian rate of 21,
a non-Italian invoice with a rate Italy does not have).

usage: generate_corpus.py [OUTDIR]
"""
import json
import os
import random
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
rnd = random.Random(20260312)

MONTHS = {
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"],
}

# ---- values ------------------------------------------------------------------

def piva(valid=True):
    """An 11-digit Italian partita IVA, its check digit right or wrong."""
    digits = [rnd.randint(0, 9) for _ in range(7)] + [0, 0, rnd.randint(1, 9)]
    total = 0
    for i, d in enumerate(digits):
        if i % 2 == 0:
            total += d
        else:
            total += d * 2 - 9 if d * 2 > 9 else d * 2
    check = (10 - total % 10) % 10
    if not valid:
        check = (check + rnd.randint(1, 9)) % 10
    return "".join(map(str, digits)) + str(check)


def vat_id(country):
    if country == "DE":
        return "DE" + "".join(str(rnd.randint(0, 9)) for _ in range(9))
    if country == "FR":
        return "FR" + "".join(str(rnd.randint(0, 9)) for _ in range(11))
    if country == "GB":
        return "GB" + "".join(str(rnd.randint(0, 9)) for _ in range(9))
    if country == "IE":
        return "IE" + "".join(str(rnd.randint(0, 9)) for _ in range(7)) + "W"
    if country == "NL":
        return "NL" + "".join(str(rnd.randint(0, 9)) for _ in range(9)) + "B01"
    raise ValueError(country)


def money(cents, style):
    """cents as text: it/de 1.234,56, en 1,234.56, fr 1 234,56 (sep given)."""
    neg = cents < 0
    cents = abs(cents)
    units, frac = divmod(cents, 100)
    groups = []
    s = str(units)
    while len(s) > 3:
        groups.insert(0, s[-3:])
        s = s[:-3]
    groups.insert(0, s)
    if style in ("it", "de"):
        text = ".".join(groups) + "," + f"{frac:02d}"
    elif style == "en":
        text = ",".join(groups) + "." + f"{frac:02d}"
    elif style == "fr":
        text = " ".join(groups) + "," + f"{frac:02d}"
    elif style == "fr_nbsp":
        text = "\u00a0".join(groups) + "," + f"{frac:02d}"
    else:
        raise ValueError(style)
    return ("-" if neg else "") + text


def qty_text(q, style):
    if q == int(q):
        return str(int(q))
    s = f"{q:.1f}" if round(q, 1) == q else f"{q:.2f}"
    return s.replace(".", ",") if style != "en" else s


def date_text(d, fmt, lang):
    y, m, day = d
    if fmt == "dmy/":
        return f"{day:02d}/{m:02d}/{y}"
    if fmt == "dmy.":
        return f"{day:02d}.{m:02d}.{y}"
    if fmt == "iso":
        return f"{y}-{m:02d}-{day:02d}"
    if fmt == "long":
        name = MONTHS[lang][m - 1]
        if lang == "de":
            return f"{day}. {name} {y}"
        if lang == "en":
            return f"{day:02d} {name} {y}" if rnd.random() < 0.5 else f"{day} {name} {y}"
        return f"{day} {name} {y}"
    raise ValueError(fmt)


def iso(d):
    return f"{d[0]}-{d[1]:02d}-{d[2]:02d}"


DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def add_days(d, n):
    y, m, day = d
    day += n
    while day > DAYS[m - 1]:
        day -= DAYS[m - 1]
        m += 1
        if m > 12:
            m, y = 1, y + 1
    while day < 1:
        m -= 1
        if m < 1:
            m, y = 12, y - 1
        day += DAYS[m - 1]
    return (y, m, day)


SUPPLIERS = {
    "it": ["Tecnoservizi S.r.l.", "Rossi Impianti S.p.A.", "Studio Bianchi & Associati",
           "Ferramenta Conti S.n.c.", "Lombarda Software S.r.l.", "Edilgreco S.r.l.",
           "Cartoleria Moretti di Moretti Luca", "Verdi Logistica S.p.A."],
    "en": ["Northwind Supplies Ltd", "Blue Harbor Consulting LLC", "Greenfield Print Ltd",
           "Atlas Cloud Services Ltd", "Kestrel Engineering Ltd", "Orchard Media Group Inc.",
           "Brightline Analytics Ltd", "Harper & Cole Ltd"],
    "de": ["Müller Haustechnik GmbH", "Schneider IT-Service GmbH", "Becker & Sohn OHG",
           "Weber Logistik AG", "Fischer Druck GmbH", "Hoffmann Elektro e.K.",
           "Krüger Bürobedarf GmbH", "Wagner Consulting GmbH"],
    "fr": ["Dupont Informatique SARL", "Atelier Lefèvre SAS", "Moreau Transports SA",
           "Garnier Conseil EURL", "Boulangerie Rousseau SARL", "Société Bernard & Fils",
           "Petit Imprimerie SAS", "Lambert Énergie SAS"],
}
CUSTOMERS = {
    "it": ["Alfa Costruzioni S.r.l.", "Comune di Vignate", "Ristorante Da Mario S.n.c.",
           "Farmacia Galli S.r.l.", "Hotel Belvedere S.p.A.", "Autofficina Ricci",
           "Gruppo Esposito S.p.A.", "Agenzia Marino S.r.l."],
    "en": ["Contoso Trading Ltd", "Fabrikam Retail Inc.", "Tailspin Toys Ltd",
           "Litware Holdings plc", "Adventure Works Ltd", "Wide World Importers Ltd",
           "Proseware Inc.", "Lucerne Publishing Ltd"],
    "de": ["Schmidt & Partner KG", "Stadtwerke Neustadt GmbH", "Bäckerei Zimmermann",
           "Klein Maschinenbau GmbH", "Autohaus Richter GmbH", "Praxis Dr. Wolf",
           "Neumann Immobilien GmbH", "Schulz Gastronomie GmbH"],
    "fr": ["Martin & Fils SAS", "Mairie de Saint-Loup", "Hôtel du Parc SARL",
           "Cabinet Durand", "Garage Leroy SARL", "Pharmacie Roux",
           "Groupe Fournier SA", "Librairie Girard SARL"],
}
ITEMS = {
    "it": ["Consulenza tecnica", "Manutenzione impianto elettrico", "Licenza software annuale",
           "Installazione rete dati", "Materiale di consumo", "Trasporto e consegna",
           "Formazione del personale", "Assistenza remota (ore)", "Carta A4 80g (risme)",
           "Progettazione grafica"],
    "en": ["Consulting services", "Web hosting (annual)", "Design work", "Printer toner",
           "On-site support (hours)", "Software licence", "Shipping and handling",
           "Training session", "Data migration", "Office chairs"],
    "de": ["Wartung Heizungsanlage", "Beratung (Stunden)", "Softwarelizenz",
           "Druck Visitenkarten", "Montage vor Ort", "Versandkosten", "Ersatzteile",
           "Schulung Mitarbeiter", "Netzwerkkabel Cat6", "Reinigung Büro"],
    "fr": ["Prestation de conseil", "Maintenance informatique", "Licence logicielle",
           "Impression brochures", "Déplacement technicien", "Frais de port",
           "Formation du personnel", "Heures de développement", "Fournitures de bureau",
           "Installation réseau"],
}

# ---- the plan: which flags each fixture trips --------------------------------
# Per language, 16 fixtures; each entry (name, flags, knobs).
A, T, R, P, D = ("ARITHMETIC_MISMATCH", "INVALID_TOTAL", "INVALID_IT_VAT_RATE",
                 "INVALID_PIVA_CHECKSUM", "DATE_INCOHERENCE")


def plan(lang):
    common = [
        ("clean", [], {}),
        ("clean", [], {}),
        ("clean", [], {}),
        ("clean", [], {}),
        ("clean", [], {}),
        ("clean", [], {"rates": 2}),
        ("clean", [], {"no_items": True}),
        ("one_cent_off", [], {"total_delta": 1}),     # exactly a cent: no flag
        ("equal_dates", [], {"due_days": 0}),          # issued on the due day: no flag
        ("mismatch", [A], {"total_delta": rnd.choice([2, 1000, -500, 10000])}),
        ("zero_total", [T], {"zero": True}),
        ("due_before_issue", [D], {"due_days": -rnd.randint(1, 40)}),
        ("mismatch_and_dates", [A, D], {"total_delta": 2500, "due_days": -5}),
    ]
    if lang == "it":
        return common + [
            ("rate_21", [R], {"rate": 21}),
            ("bad_piva", [P], {"bad_supplier_piva": True}),
            ("rate_piva_mismatch", [A, R, P], {"rate": 20, "bad_customer_piva": True,
                                               "total_delta": 100}),
            ("credit_note", [T, D], {"negative": True, "due_days": -3}),
        ]
    if lang == "en":
        return common + [
            ("it_supplier_rate_21", [R], {"italian_supplier": True, "rate": 21}),
            ("it_supplier_ok", [], {"italian_supplier": True, "rate": 22}),
            ("bad_customer_piva", [P], {"italian_customer": True, "bad_customer_piva": True}),
            ("negative_and_mismatch", [T, A], {"negative": True, "total_delta": -300}),
        ]
    if lang == "de":
        return common + [
            ("nl_rate_21", [], {"rate": 21}),                # not Italian: no rate flag
            ("bad_customer_piva", [P], {"italian_customer": True, "bad_customer_piva": True}),
            ("zero_and_dates", [T, D], {"zero": True, "due_days": -10}),
            ("it_customer_ok", [], {"italian_customer": True}),
        ]
    return common + [
        ("rate_5_5", [], {"rate": 5.5}),                     # French reduced rate: no flag
        ("bad_customer_piva", [P], {"italian_customer": True, "bad_customer_piva": True}),
        ("all_but_rate", [A, T, D, P], {"negative": True, "total_delta": 700, "due_days": -7,
                                        "italian_customer": True, "bad_customer_piva": True}),
        ("it_supplier_rate_20", [R], {"italian_supplier": True, "rate": 20}),
    ]


DEFAULT_RATE = {"it": 22, "en": 20, "de": 19, "fr": 20}
SECOND_RATE = {"it": 10, "en": 5, "de": 7, "fr": 10}
CURRENCY = {"it": ["EUR"], "en": ["GBP", "USD", "EUR"], "de": ["EUR", "CHF"], "fr": ["EUR"]}
SYMBOL = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}


def tax_of(cents, rate):
    return int(round(cents * rate / 100 + 1e-9))


def draw(lang, knobs):
    """The invoice's values, as the labels give them (amounts in cents)."""
    rate = knobs.get("rate", DEFAULT_RATE[lang])
    nitems = 1 if knobs.get("no_items") else rnd.randint(1, 4)
    names = rnd.sample(ITEMS[lang], nitems)
    items = []
    for i, name in enumerate(names):
        q = rnd.choice([1, 1, 2, 3, 5, 10, 12, 1.5, 2.5, 0.5]) if not knobs.get("zero") else 1
        unit = rnd.choice([1990, 4500, 9500, 12000, 35000, 149999, 875, 250000, 6080])
        if knobs.get("zero"):
            unit = 0
        amount = int(round(q * unit))
        items.append({"description": name, "quantity": q, "unit_price": unit, "amount": amount})
    if knobs.get("negative"):
        for it in items:
            it["unit_price"] = -it["unit_price"]
            it["amount"] = -it["amount"]
    rates = [rate]
    per_rate = {rate: sum(it["amount"] for it in items)}
    if knobs.get("rates") == 2 and len(items) >= 2:
        r2 = SECOND_RATE[lang]
        rates = [rate, r2]
        per_rate = {rate: sum(it["amount"] for it in items[:-1]), r2: items[-1]["amount"]}
        for it in items[:-1]:
            it["rate"] = rate
        items[-1]["rate"] = r2
    elif knobs.get("rates") == 2:
        rates = [rate]
    subtotal = sum(per_rate.values())
    taxes = {r: tax_of(c, r) for r, c in per_rate.items()}
    tax = sum(taxes.values())
    total = subtotal + tax + knobs.get("total_delta", 0)
    issue = (2026, rnd.randint(1, 11), rnd.randint(1, 28))
    due = add_days(issue, knobs.get("due_days", rnd.choice([15, 30, 30, 60])))
    return dict(items=items, rates=rates, per_rate=per_rate, taxes=taxes, subtotal=subtotal,
                tax=tax, total=total, issue=issue, due=due,
                currency=rnd.choice(CURRENCY[lang]))


# ---- layouts -------------------------------------------------------------------

def col(left, right, width=64):
    """left and right on one line, right flush to width."""
    gap = max(2, width - len(left) - len(right))
    return left + " " * gap + right


def two(left, right, at=40):
    """Two columns, the right one starting at column at."""
    return (left.ljust(at - 2) + "  " + right).rstrip()


def table(headers, rows, widths, right_from=1):
    """A table as a layout extractor gives it: the first column left,
    the others right-aligned, at least two spaces between cells."""
    lines = []
    for r in [headers] + rows:
        cells = []
        for i, (c, w) in enumerate(zip(r, widths)):
            cells.append(c.ljust(w) if i < right_from else c.rjust(w))
        lines.append("  ".join(cells).rstrip())
    return lines


def amount(cents, v, style, symbol_mode):
    text = money(cents, style)
    sym = SYMBOL[v["currency"]]
    if symbol_mode == "before":
        return f"{sym} {text}" if sym != "$" and sym != "£" else f"{sym}{text}"
    if symbol_mode == "after":
        return f"{text} {sym}"
    if symbol_mode == "code":
        return f"{text} {v['currency']}"
    return text


def it_layout(v, idx, knobs, sup, cus):
    style = "it"
    sm = rnd.choice(["before", "none", "after"])
    dfmt = "long" if idx % 3 == 2 else "dmy/"
    num = rnd.choice([f"{idx + 1}/2026", f"2026/{idx + 101:04d}", f"FT-{idx + 40}"])
    L = []
    if idx % 2 == 0:
        L += [sup["name"], "Via Roma 12, 20121 Milano (MI)",
              f"Partita IVA: {sup['vat_text']}   C.F. {sup['vat_digits']}", ""]
        L += [col("", f"FATTURA N. {num}"), col("", f"Data: {date_text(v['issue'], dfmt, 'it')}"),
              col("", f"Scadenza: {date_text(v['due'], dfmt, 'it')}"), ""]
        L += ["Spett.le", cus["name"], "Via Garibaldi 3, 10121 Torino",
              f"P.IVA {cus['vat_text']}", ""]
        head = ["Descrizione", "Q.tà", "Prezzo unit.", "Importo"]
    else:
        L += [f"Fattura n° {num} del {date_text(v['issue'], dfmt, 'it')}", "",
              "Cedente/Prestatore:", sup["name"], "Corso Vittorio Emanuele 88, 80121 Napoli",
              f"P.IVA {sup['vat_text']}", "",
              "Cessionario/Committente:", cus["name"], "Piazza Duomo 1, 50122 Firenze",
              f"Partita IVA {cus['vat_text']}", ""]
        L += [f"Data scadenza pagamento: {date_text(v['due'], dfmt, 'it')}", ""]
        head = ["Descrizione", "Quantità", "Prezzo unitario", "Totale"]
    rows = [[it["description"], qty_text(it["quantity"], style),
             money(it["unit_price"], style), money(it["amount"], style)] for it in v["items"]]
    if len(v["rates"]) > 1:
        head = head + ["IVA %"]
        for r, it in zip(rows, v["items"]):
            r.append(str(it["rate"]))
    if not knobs.get("no_items"):
        L += table(head, rows, [34, 8, 15, 12] + ([6] if len(v["rates"]) > 1 else [])) + [""]
    else:
        L += [f"Oggetto: {v['items'][0]['description']}", ""]
    L.append(col("", f"Imponibile      {amount(v['subtotal'], v, style, sm)}"))
    for r in v["rates"]:
        L.append(col("", f"IVA {fmt_rate(r, style)}%      {amount(v['taxes'][r], v, style, sm)}"))
    L.append(col("", f"{rnd.choice(['Totale documento', 'Totale', 'Totale fattura', 'Totale da pagare'])}"
                     f"      {amount(v['total'], v, style, sm if sm != 'none' else 'before')}"))
    L += ["", "Pagamento: bonifico bancario", "IBAN: IT60X0542811101000000123456"]
    return L, num


def fmt_rate(r, style):
    if r == int(r):
        return str(int(r))
    return str(r).replace(".", ",") if style != "en" else str(r)


def en_layout(v, idx, knobs, sup, cus):
    style = "en"
    sm = rnd.choice(["before", "code"])
    dfmt = rnd.choice(["long", "iso", "dmy/"])
    num = rnd.choice([f"INV-2026-{idx + 30:04d}", f"{idx + 5001}", f"NW/{idx + 17}/26"])
    L = []
    if idx % 2 == 0:
        L += [sup["name"], "12 High Street, London EC1A 1BB", f"VAT No: {sup['vat_text']}", "",
              "INVOICE", "", f"Invoice No: {num}",
              f"Invoice Date: {date_text(v['issue'], dfmt, 'en')}",
              f"Due Date: {date_text(v['due'], dfmt, 'en')}", "",
              "Bill To:", cus["name"], "4 Market Square, Leeds LS1 6DT"]
        if cus["vat_text"]:
            L.append(f"VAT No: {cus['vat_text']}")
        L.append("")
        head = ["Description", "Qty", "Unit Price", "Amount"]
    else:
        L += [col("Invoice", f"Invoice # {num}"), "",
              two("From:", "Bill To:"),
              two(sup["name"], cus["name"]),
              two("200 Park Avenue", "9 Harbour Road"),
              two(f"Tax ID: {sup['vat_text']}", f"Tax ID: {cus['vat_text']}" if cus["vat_text"] else ""),
              "",
              f"Date: {date_text(v['issue'], dfmt, 'en')}",
              f"Payment due: {date_text(v['due'], dfmt, 'en')}", ""]
        head = ["Item", "Quantity", "Rate", "Line Total"]
    rows = [[it["description"], qty_text(it["quantity"], style),
             money(it["unit_price"], style), money(it["amount"], style)] for it in v["items"]]
    if not knobs.get("no_items"):
        L += table(head, rows, [30, 8, 12, 12]) + [""]
    else:
        L += [f"For: {v['items'][0]['description']}", ""]
    L.append(col("", f"Subtotal      {amount(v['subtotal'], v, style, sm)}"))
    for r in v["rates"]:
        word = "VAT" if idx % 2 == 0 else "Tax"
        L.append(col("", f"{word} ({fmt_rate(r, style)}%)      {amount(v['taxes'][r], v, style, sm)}"))
    L.append(col("", f"{rnd.choice(['Total', 'Total Due', 'Amount Due', 'Invoice Total'])}"
                     f"      {amount(v['total'], v, style, sm)}"))
    L += ["", "Thank you for your business."]
    return L, num


def de_layout(v, idx, knobs, sup, cus):
    style = "de"
    sm = rnd.choice(["after", "code"])
    dfmt = "long" if idx % 3 == 1 else "dmy."
    num = rnd.choice([f"RE-2026-{idx + 100}", f"2026{idx + 1:04d}", f"R{idx + 7781}"])
    L = []
    if idx % 2 == 0:
        L += [sup["name"], "Hauptstraße 5, 10115 Berlin", f"USt-IdNr.: {sup['vat_text']}", "",
              "Rechnung", "", f"Rechnungsnummer: {num}",
              f"Rechnungsdatum: {date_text(v['issue'], dfmt, 'de')}",
              f"Fällig am: {date_text(v['due'], dfmt, 'de')}", "",
              "Kunde:", cus["name"], "Lindenweg 7, 80331 München"]
        if cus["vat_text"]:
            L.append(f"USt-IdNr.: {cus['vat_text']}")
        L.append("")
        head = ["Pos.", "Bezeichnung", "Menge", "Einzelpreis", "Gesamt"]
        widths = [4, 30, 6, 12, 12]
        rows = [[str(i + 1), it["description"], qty_text(it["quantity"], style),
                 money(it["unit_price"], style), money(it["amount"], style)]
                for i, it in enumerate(v["items"])]
        right_from = 2
    else:
        L += [sup["name"] + " · Industriestr. 22 · 70565 Stuttgart", "",
              "Rechnungsempfänger:", cus["name"], "Am Markt 3, 01067 Dresden"]
        if cus["vat_text"]:
            L.append(f"USt-IdNr. {cus['vat_text']}")
        L += ["", f"Rechnung Nr. {num} vom {date_text(v['issue'], dfmt, 'de')}",
              f"Zahlbar bis: {date_text(v['due'], dfmt, 'de')}", ""]
        head = ["Artikel", "Anzahl", "Preis", "Betrag"]
        widths = [30, 7, 12, 12]
        rows = [[it["description"], qty_text(it["quantity"], style),
                 money(it["unit_price"], style), money(it["amount"], style)] for it in v["items"]]
        right_from = 1
    if not knobs.get("no_items"):
        L += table(head, rows, widths, right_from) + [""]
    else:
        L += [f"Leistung: {v['items'][0]['description']}", ""]
    first = "Nettobetrag" if idx % 2 == 0 else "Zwischensumme"
    L.append(col("", f"{first}      {amount(v['subtotal'], v, style, sm)}"))
    for r in v["rates"]:
        word = f"MwSt. {fmt_rate(r, style)} %" if idx % 2 == 0 else f"zzgl. {fmt_rate(r, style)}% USt."
        L.append(col("", f"{word}      {amount(v['taxes'][r], v, style, sm)}"))
    L.append(col("", f"{'Gesamtbetrag' if idx % 2 == 0 else 'Rechnungsbetrag'}"
                     f"      {amount(v['total'], v, style, sm)}"))
    if idx % 2 == 1:
        # layout B gives the supplier's VAT id in the footer
        L += ["", f"USt-IdNr. {sup['vat_text']}"]
    L += ["", "Bankverbindung: IBAN DE89 3704 0044 0532 0130 00",
          f"Geschäftsführer: {rnd.choice(['Hans Meier', 'Anna Koch'])}  Amtsgericht Berlin HRB 12345",
          f"Steuernummer: 27/{rnd.randint(100, 999)}/{rnd.randint(10000, 99999)}"]
    return L, num


def fr_layout(v, idx, knobs, sup, cus):
    style = rnd.choice(["fr", "fr_nbsp"])
    sm = rnd.choice(["after", "code"])
    dfmt = "long" if idx % 2 == 1 else "dmy/"
    num = rnd.choice([f"F-2026-{idx + 80:04d}", f"FA{idx + 2201}", f"2026-{idx + 12}"])
    L = []
    if idx % 2 == 0:
        L += [sup["name"], "12 rue de la Paix, 75002 Paris",
              f"N° TVA intracommunautaire : {sup['vat_text']}", "SIRET 123 456 789 00012", "",
              f"FACTURE N° {num}", f"Date : {date_text(v['issue'], dfmt, 'fr')}",
              f"Échéance : {date_text(v['due'], dfmt, 'fr')}", "",
              "Client :", cus["name"], "8 avenue Jean Jaurès, 69007 Lyon"]
        if cus["vat_text"]:
            L.append(f"TVA : {cus['vat_text']}")
        L.append("")
        head = ["Désignation", "Qté", "Prix unitaire HT", "Montant HT"]
    else:
        L += [col(sup["name"], f"Facture numéro {num}"),
              "3 place Bellecour, 69002 Lyon",
              f"TVA intracom. {sup['vat_text']}", "",
              f"Date de facturation : {date_text(v['issue'], dfmt, 'fr')}",
              f"Date d'échéance : {date_text(v['due'], dfmt, 'fr')}", "",
              "Facturé à :", cus["name"], "21 boulevard Victor Hugo, 06000 Nice"]
        if cus["vat_text"]:
            L.append(f"N° TVA : {cus['vat_text']}")
        L.append("")
        head = ["Description", "Quantité", "P.U. HT", "Total HT"]
    rows = [[it["description"], qty_text(it["quantity"], style),
             money(it["unit_price"], style), money(it["amount"], style)] for it in v["items"]]
    if not knobs.get("no_items"):
        L += table(head, rows, [30, 9, 16, 12]) + [""]
    else:
        L += [f"Objet : {v['items'][0]['description']}", ""]
    L.append(col("", f"{'Total HT' if idx % 2 == 0 else 'Montant HT'}      {amount(v['subtotal'], v, style, sm)}"))
    for r in v["rates"]:
        L.append(col("", f"TVA {fmt_rate(r, 'fr')} %      {amount(v['taxes'][r], v, style, sm)}"))
    L.append(col("", f"{'Total TTC' if idx % 2 == 0 else 'Net à payer'}      {amount(v['total'], v, style, sm)}"))
    L += ["", "Conditions de paiement : 30 jours fin de mois",
          "En cas de retard, pénalité de 3 fois le taux d'intérêt légal."]
    return L, num


LAYOUTS = {"it": it_layout, "en": en_layout, "de": de_layout, "fr": fr_layout}
OWN_COUNTRY = {"it": "IT", "en": "GB", "de": "DE", "fr": "FR"}


def party(lang, name, knobs, role):
    italian = (lang == "it" or knobs.get(f"italian_{role}"))
    if italian:
        digits = piva(not knobs.get(f"bad_{role}_piva"))
        # Italian layouts write the number bare or with IT; labels keep IT.
        text = digits if (lang == "it" and rnd.random() < 0.5) else "IT" + digits
        return {"name": name, "vat": "IT" + digits, "vat_text": text, "vat_digits": digits}
    if role == "customer" and rnd.random() < 0.3:
        return {"name": name, "vat": None, "vat_text": "", "vat_digits": ""}
    country = OWN_COUNTRY[lang]
    if lang == "de" and knobs.get("rate") == 21:
        country = "NL"
    if lang == "en" and rnd.random() < 0.3:
        country = "IE"
    vid = vat_id(country)
    return {"name": name, "vat": vid, "vat_text": vid, "vat_digits": ""}


def main():
    os.makedirs(OUT, exist_ok=True)
    labels = []
    n = 0
    for lang in ("it", "en", "de", "fr"):
        for idx, (kind, flags, knobs) in enumerate(plan(lang)):
            n += 1
            v = draw(lang, knobs)
            sname = rnd.choice(SUPPLIERS[lang])
            cname = rnd.choice(CUSTOMERS[lang])
            if knobs.get("italian_supplier"):
                sname = rnd.choice(SUPPLIERS["it"])
            if knobs.get("italian_customer"):
                cname = rnd.choice(CUSTOMERS["it"])
            sup = party(lang, sname, knobs, "supplier")
            cus = party(lang, cname, knobs, "customer")
            lines, number = LAYOUTS[lang](v, idx, knobs, sup, cus)
            name = f"{n:03d}_{lang}_{kind}.txt"
            with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
            labels.append({
                "file": name, "language": lang,
                "number": number, "issue_date": iso(v["issue"]), "due_date": iso(v["due"]),
                "supplier_name": sup["name"], "supplier_vat": sup["vat"],
                "customer_name": cus["name"], "customer_vat": cus["vat"],
                "currency": v["currency"],
                "subtotal": v["subtotal"] / 100, "tax": v["tax"] / 100,
                "vat_rates": sorted(v["rates"], reverse=True), "total": v["total"] / 100,
                "line_items": [] if knobs.get("no_items") else [
                    {"description": it["description"], "quantity": it["quantity"],
                     "unit_price": it["unit_price"] / 100, "amount": it["amount"] / 100}
                    for it in v["items"]],
                "flags": sorted(flags),
            })
    with open(os.path.join(OUT, "labels.jsonl"), "w", encoding="utf-8") as f:
        for row in labels:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{n} invoices in {OUT}")


if __name__ == "__main__":
    main()
