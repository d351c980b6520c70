# SPDX-License-Identifier: MIT
"""Held-out accuracy of the enrich and contact handlers (issue 5, part 4).

tests/enrich/heldout.tsv (474 descriptors, 8 to be rejected) and
tests/contact/heldout.jsonl (194 records) were labeled BLIND by a different
engineer from the one who wrote the rules: labels come from knowledge of
real merchants, bank statement formats, mail providers, numbering plans
and job titles, written and committed (2d0a92d) before the handlers were
run on them or their code, tuned corpora and tests were read.  No label
was changed after the run.  Rules must never be tuned on these files (that
would make them one more tuned corpus); fix a miss with new rows in the
tuned corpora instead.

Each handler runs as pgjobd runs it: one job over the whole corpus, run
by the real daemon, results read from pgjob.job.

Scoring.  enrich: a label "A|B" accepts any of its answers; "?" is not
scored; a row of all "-" must be rejected (error code "rejected"), and the
other fields are scored on the rows that must not be (a wrongly rejected
row misses every field).  Merchant and processor names compare folded
(accents and case folded, "&" read as "and", a leading "The" dropped, then
letters and digits only): "Dunkin'" is "DUNKIN", but a name that is a
different string of words is a miss, e.g. "Amazon Marketplace" for the
merchant labeled "Amazon" (the marketplace is the processor), "Internal
Revenue Service" for "IRS" (a naming-only miss, 2 rows, left as a miss
since the label cannot be changed after the run).  Rows whose descriptor
is verbatim in the tuned corpus tests/enrich/corpus.tsv (69 of 474: both
labelers wrote the canonical format of common merchants) are left out of
the "unseen" table; that table is the honest figure.  contact: exact
values; a list accepts any of its values; null wants the field absent or
null; department names "support"/"customer_support" are the handler's
"customer_success" (names mapped, not answers); labels with no
counterpart in the handler's vocabulary (e.g. "administrative") only
appear beside one that has.  Consumer ISP mailboxes are labeled free mail.

Measured (enrich at a4f98b1, contact at 2d0a92d), beside the tuned
corpora of the same code (enrich before issue 5's rules, at 2d0a92d:
unseen 0.741 / 0.812 / 0.916 / 0.975 / 0.986):

  enrich              unseen (405)   all (474)   tuned corpus (518)
  merchant            0.911          0.920       0.979
  category            0.937          0.942       0.990
  channel             0.980          0.980       0.988
  transaction_type    0.992          0.994       0.998
  payment_processor   0.997          0.998       1.000
  rejection           1.000          1.000       (4 rejected, in fields)

  contact (194)   held-out   tuned      contact         held-out  tuned  (66b3193)
  email           1.000      1.000      phone_e164      1.000     1.000
  email_valid     1.000      1.000      phone_country   1.000     1.000
  free_mail       1.000      1.000      country         1.000     1.000
  role_account    1.000      1.000      first_name      1.000     0.961
  disposable      1.000      1.000      last_name       1.000     0.978
  company_domain  1.000      1.000      seniority       1.000     1.000
                                        department      1.000     0.986

Merchant and category both right, by the result's confidence (all rows,
after enrich-general and the unknown merchants' confidences set from the
training corpora): 0.27 below 0.5 (34 rows), 0.84 from 0.5 to 0.8 (94),
0.96 from 0.8 (304); the test holds each band of 20 rows or more above
the band below it.

Floors: the measured figure rounded down to the 0.05 step under it (a
figure on a step, like 1.000 or 0.950, gets the step below), so a
regression fails and the files stay a guard, not a target.

Known misses, by cause (run with HELDOUT_VERBOSE=1 to list them all):

enrich merchant (99 of 435):
- Trailing place names kept on merchants not in the table, mostly outside
  the US (AU states, UK/EU/Canadian cities, US cities without a state):
  "Gloria Jeans Coffees Sydney", "Qantas Airways Mascot Nsw", "Premier Inn
  London", "Maple Leaf Diner Toronto", "Valley View Golf Club Boise".
- Non-US bank words and legal suffixes kept: "Betaalautomaat Albert
  Heijn", "Kartenzahlung Rewe Sagt Danke", "Compra Tarjeta Mercadona", "Cb
  Carrefour City", "Eftpos Coles", "Thames Water Dd", "Virgin Media
  Pymts", "Bupa Australia Pty", "Telstra Corp", "Zalando Se Berlin".
- Processor prefixes the table lacks become the merchant: "SUMUP *" ->
  "Sumup", "ZTL*" -> "Ztl", "IZ *" -> "Iz", "CREDIT VOUCHER SQ *TONY'S
  TAQUERIA" -> "Credit Voucher Sq".
- Names cut at 22-25 characters left cut ("Bella Napoli Ristorant",
  "Golden Dragon Chinese Re", "Bright Smiles Family Dent") and real words
  cut off ("Pho 88 Noodle House" -> "Pho", "Mike's Auto Repair" ->
  "Mikes", "Thrifty Threads Consignm" -> "Thrifty", "Hand Poured Candle
  Co" -> "Hand Poured").
- "&" dropped inside names: "Hops Barley Brewpub", "Parkside Deli Grill",
  "Aw Restaurant" (A&W), "Marksspencer Plc Sacat London".
- A word of an unknown name matched a table merchant: "ELM STREET FRESH
  MARKET" -> "The Fresh Market", "LITTLE SPROUTS DAYCARE" -> "Sprouts
  Farmers Market", "CLIPPER SERVICE" -> "BART".
- Well-known names shortened or joined: "American" (American Airlines),
  "Fi" (Google Fi), "Comcast Xfinity", "Real Cdn Superstore", "Wm
  Morrisons", "Internal Revenue Service" (IRS, naming only).
enrich category (76 of 463): a merchant not in the table falls back to
"shopping" (64 rows): non-US grocers, fuel, telecoms, transit and
tax offices (REWE, Edeka, Coles, Esso, Aral, Telstra, Optus, HMRC, ATO),
and local restaurants whose cue word is unknown ("Ristorant", "Bistrot",
"Brewpub", "Food Truck", "Kiosk", "Pub"); non-US transfers ("FASTER
PAYMENT", "OSKO PAYMENT", "SEPA UEBERWEISUNG", "TFR TO SAVINGS") and
payouts ("CENTRELINK", "UBER USA EDI PYMNTS" -> transport); the "RFND"
prefix; "CARD PAYMENT TO <shop>" (UK card format) read as a transfer; an
add-on taking its parent's category ("INSTACART*SUBSCRIPTION" groceries,
"DOORDASH DASHPASS" restaurants).
enrich channel (35 of 455): unknown billers default to in_store where the
bill is paid online or by direct debit (utilities, telecoms, insurers,
tax offices, "DD"), and the same non-US transfers.
enrich transaction_type (10 of 466): the same non-US transfers, payouts,
"RFND", "BARGELDAUSZAHLUNG GELDAUTOMAT" (German ATM) as a purchase.
enrich payment_processor (5 of 409): SumUp, Zettle/iZettle, a Square
prefix after "CREDIT VOUCHER".
contact, as first measured (2d0a92d): consumer ISP mailboxes missing
from the free-mail table (eircom.net, a1.net, sapo.pt, online.no,
netvigator.com: 5 free_mail and 5 company_domain misses); Côte d'Ivoire
in no spelling (3 country) and its calling code +225 (1 phone_e164, 1
phone_country); abbreviated or unlisted department words ("Sr Mktg Mgr",
"SWE II", "Accounts Payable Clerk", "Accounts Receivable Specialist": 4
department).  These causes, reported as causes only, were then fixed in
general on a new training corpus (tests/contact/international.jsonl) by
an engineer who did not open this corpus; since 66b3193 every contact
field scores 1.000 here, which, the causes having been named, is
optimistic for new data.  Input overlap
with the tuned contact corpus is at the value level only (33 of 104
titles, 10 of 139 names, common country spellings; 1 identical record).
"""

import json
import os
import re
import unicodedata

import programs
# Fixtures, found by pytest under these names:
from daemon import acct, daemon, ddir  # noqa: F401
from daemon import submit, wait_status

ENRICH = os.path.join(programs.REPO_ROOT, "tests", "enrich", "heldout.tsv")
CONTACT = os.path.join(programs.REPO_ROOT, "tests", "contact", "heldout.jsonl")
TUNED_ENRICH = os.path.join(programs.REPO_ROOT, "tests", "enrich", "corpus.tsv")

# Set HELDOUT_VERBOSE=1 to print every miss (label, answer, input).
VERBOSE = bool(os.environ.get("HELDOUT_VERBOSE"))

ENRICH_FIELDS = ("merchant", "category", "channel", "transaction_type",
                 "payment_processor")
CATEGORIES = {"groceries", "restaurants", "coffee", "travel", "transport", "fuel",
              "shopping", "subscriptions", "utilities", "telecom", "entertainment",
              "health", "education", "insurance", "fees", "transfers", "atm", "income",
              "refunds", "taxes"}
CHANNELS = {"online", "in_store", "atm", "transfer"}
TYPES = {"purchase", "refund", "transfer", "fee", "atm_withdrawal", "income"}

ENRICH_FLOORS = {
    "all": {"merchant": 0.90, "category": 0.90, "channel": 0.95,
            "transaction_type": 0.95, "payment_processor": 0.95, "rejection": 0.95},
    "unseen": {"merchant": 0.90, "category": 0.90, "channel": 0.95,
               "transaction_type": 0.95, "payment_processor": 0.95, "rejection": 0.95},
}

# The contact corpus's field names and where the handler's output holds them.
CONTACT_PATHS = {
    "email": ("email", "address"),
    "email_valid": ("email", "valid"),
    "free_mail": ("email", "free_mail"),
    "role_account": ("email", "role"),
    "disposable": ("email", "disposable"),
    "company_domain": ("domain",),
    "phone_e164": ("phone", "e164"),
    "phone_country": ("phone", "country"),
    "country": ("country",),
    "first_name": ("first_name",),
    "last_name": ("last_name",),
    "seniority": ("seniority",),
    "department": ("department",),
}

# Names of the same answer: the labeler's value -> the handler's.  Only
# names are mapped; a label with no counterpart in the handler's
# vocabulary (e.g. "administrative") stays as it is and cannot match.
CONTACT_NAMES = {
    "department": {"support": "customer_success",
                   "customer_support": "customer_success"},
}

CONTACT_FLOORS = {
    "email": 0.95, "email_valid": 0.95, "free_mail": 0.95, "role_account": 0.95,
    "disposable": 0.95, "company_domain": 0.95, "phone_e164": 0.95,
    "phone_country": 0.95, "country": 0.95, "first_name": 0.95, "last_name": 0.95,
    "seniority": 0.95, "department": 0.95,
}


# ---- comparison ----------------------------------------------------------

def fold(s):
    """A merchant or processor name for comparison: accents folded,
    lower case, "&" read as "and", a leading "the" dropped, then letters
    and digits only ("Dunkin'" == "DUNKIN", "Marks & Spencer" == "Marks and
    Spencer", "The Home Depot" == "Home Depot")."""
    s = unicodedata.normalize("NFKD", s or "")
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = s.replace("&", " and ")
    s = re.sub(r"^\W*the\s+", "", s)
    return "".join(ch for ch in s if ch.isalnum())


def enrich_right(field, label, got):
    """None when the label does not score this field ("?"), else whether
    got is one of the "|"-separated answers of the label."""
    if label == "?":
        return None
    answers = label.split("|")
    if "?" in answers:
        return None
    if field in ("merchant", "payment_processor"):
        got_f = fold(got) if got not in (None, "-") else ""
        return any((fold(a) if a != "-" else "") == got_f for a in answers)
    return (got or "-") in answers


def contact_right(field, want, got):
    """Whether got is the labeled answer (or one of a list of them); a null
    label wants the field absent or null."""
    answers = want if isinstance(want, list) else [want]
    names = CONTACT_NAMES.get(field, {})
    answers = [names.get(a, a) if isinstance(a, str) else a for a in answers]
    if field == "company_domain" and isinstance(got, str):
        got = got.lower()
    return got in answers


# ---- the corpora -----------------------------------------------------------

def enrich_rows():
    """[(descriptor, mcc, {field: label})] of tests/enrich/heldout.tsv."""
    rows = []
    with open(ENRICH, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if not line.startswith("# ")]
    header, body = lines[0], lines[1:]
    assert header.split("\t") == ["descriptor", "mcc", *ENRICH_FIELDS], header
    for line in body:
        cols = line.split("\t")
        assert len(cols) == 7, line
        rows.append((cols[0], cols[1], dict(zip(ENRICH_FIELDS, cols[2:]))))
    return rows


def enrich_item(descriptor, mcc):
    return descriptor if mcc == "-" else {"description": descriptor, "mcc": mcc}


def is_reject(labels):
    return all(v == "-" for v in labels.values())


def contact_records():
    with open(CONTACT, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_heldout_corpora_are_labeled():
    rows = enrich_rows()
    assert len(rows) >= 250
    assert sum(is_reject(labels) for _, _, labels in rows) >= 3
    allowed = {"category": CATEGORIES, "channel": CHANNELS, "transaction_type": TYPES}
    for descriptor, mcc, labels in rows:
        assert mcc == "-" or re.fullmatch(r"\d{4}", mcc), descriptor
        if is_reject(labels):
            continue
        for field, values in allowed.items():
            for v in labels[field].split("|"):
                assert v in values or v == "?", (descriptor, field, v)
        assert labels["merchant"] != "-", descriptor
    records = contact_records()
    assert len(records) >= 150
    for r in records:
        assert set(r) == {"input", "expect"}, r
        assert r["expect"] and set(r["expect"]) <= set(CONTACT_PATHS), r


# ---- running the handlers --------------------------------------------------

def run_job(daemon, conn, acct, type_, items):
    """The results of one job of type_ over items, run by the real pgjobd."""
    daemon()
    jid = submit(conn, acct, type_, items)
    job = wait_status(conn, jid, "completed", timeout=120)
    assert len(job["results"]) == len(items)
    return job["results"]


def table(title, counts, floors):
    """Prints the accuracy table; returns {field: accuracy}."""
    print(f"\n{title}")
    print(f"{'field':<18} {'right':>7} {'scored':>7} {'accuracy':>9} {'floor':>6}")
    acc = {}
    for field, (right, scored) in counts.items():
        acc[field] = right / scored if scored else 0.0
        floor = floors.get(field)
        print(f"{field:<18} {right:>7} {scored:>7} {acc[field]:>9.3f} "
              f"{'' if floor is None else f'{floor:.2f}':>6}")
    return acc


def check_floors(acc, floors, text):
    assert set(acc) == set(floors), f"fields {sorted(acc)} vs floors {sorted(floors)}"
    low = {f: f"{acc[f]:.3f} < {floors[f]}" for f in floors if acc[f] < floors[f]}
    assert not low, f"{text}: fields under their floor: {low}"


def tuned_descriptors():
    """The descriptors of the tuned corpus tests/enrich/corpus.tsv, upper
    case: held-out rows that repeat one verbatim are not unseen."""
    with open(TUNED_ENRICH, encoding="utf-8") as f:
        return {line.split("\t")[0].strip().upper() for line in f
                if line.strip() and not line.startswith("#")}


def test_enrich_heldout_accuracy(daemon, conn, acct):
    rows = enrich_rows()
    results = run_job(daemon, conn, acct, "enrich",
                      [enrich_item(d, mcc) for d, mcc, _ in rows])
    tuned = tuned_descriptors()
    fields = ENRICH_FIELDS + ("rejection",)
    counts = {"all": {f: [0, 0] for f in fields}, "unseen": {f: [0, 0] for f in fields}}
    bands = {band: [0, 0] for band in CONFIDENCE_BANDS}  # merchant right, scored
    for (descriptor, _, labels), result in zip(rows, results):
        sets = ["all"] if descriptor.strip().upper() in tuned else ["all", "unseen"]
        rejected = (result["status"] == "failed"
                    and result["error"]["code"] == "rejected")
        want_reject = is_reject(labels)
        outcomes = {"rejection": rejected == want_reject}
        if not want_reject:
            out = result.get("output") or {}
            for field in ENRICH_FIELDS:
                ok = enrich_right(field, labels[field],
                                  None if rejected else out.get(field))
                if ok is not None:
                    outcomes[field] = ok
            if (not rejected and outcomes.get("merchant") is not None
                    and outcomes.get("category") is not None):
                band = confidence_band(out["confidence"])
                bands[band][0] += outcomes["merchant"] and outcomes["category"]
                bands[band][1] += 1
                if ok is False and VERBOSE:
                    print(f"miss {field:<17} want {labels[field]!r:<34} "
                          f"got {out.get(field)!r:<28} | {descriptor}")
        if not outcomes["rejection"] and VERBOSE:
            print(f"miss rejection: want {want_reject} got {rejected} | {descriptor!r}")
        for name in sets:
            for field, ok in outcomes.items():
                counts[name][field][1] += 1
                counts[name][field][0] += ok
    acc = {}
    for name in ("all", "unseen"):
        acc[name] = table(f"enrich held-out corpus ({name}): "
                          f"{counts[name]['rejection'][1]} descriptors",
                          {f: tuple(c) for f, c in counts[name].items()},
                          ENRICH_FLOORS[name])
    check_calibration(bands)
    for name in ("all", "unseen"):
        check_floors(acc[name], ENRICH_FLOORS[name], f"enrich held-out ({name})")


# Confidence must mean something: over the held-out rows, the merchant and
# the category are both right more often the higher the confidence.  Bands of the merchant's
# confidence, lowest bound first.
CONFIDENCE_BANDS = ("0.00-0.50", "0.50-0.80", "0.80-1.00")


def confidence_band(confidence):
    if confidence < 0.5:
        return CONFIDENCE_BANDS[0]
    return CONFIDENCE_BANDS[1] if confidence < 0.8 else CONFIDENCE_BANDS[2]


def check_calibration(bands):
    """Prints the accuracy of merchant and category together per
    confidence band and holds each band with enough rows (20) to be more
    accurate than the band below it."""
    print("\nenrich held-out: merchant and category both right, by confidence")
    print(f"{'confidence':<12} {'right':>6} {'rows':>6} {'accuracy':>9}")
    for band in CONFIDENCE_BANDS:
        right, n = bands[band]
        print(f"{band:<12} {right:>6} {n:>6} {right / n if n else 0:>9.3f}")
    sized = [(band, bands[band][0] / bands[band][1]) for band in CONFIDENCE_BANDS
             if bands[band][1] >= 20]
    assert len(sized) >= 2, f"confidence does not spread the rows: {bands}"
    for (low, a), (high, b) in zip(sized, sized[1:]):
        assert b > a, f"accuracy at confidence {high} ({b:.3f}) is not above {low} ({a:.3f})"


def test_contact_heldout_accuracy(daemon, conn, acct):
    records = contact_records()
    results = run_job(daemon, conn, acct, "contact", [r["input"] for r in records])
    counts = {f: [0, 0] for f in CONTACT_PATHS}
    for rec, result in zip(records, results):
        out = result.get("output") if result["status"] == "completed" else None
        for field, want in rec["expect"].items():
            got = out
            for key in CONTACT_PATHS[field]:
                got = got.get(key) if isinstance(got, dict) else None
            ok = contact_right(field, want, got)
            counts[field][1] += 1
            counts[field][0] += ok
            if not ok and VERBOSE:
                print(f"miss {field:<15} want {json.dumps(want, ensure_ascii=False):<34} "
                      f"got {json.dumps(got, ensure_ascii=False):<28} | "
                      f"{json.dumps(rec['input'], ensure_ascii=False)}")
    acc = table(f"contact held-out corpus: {len(records)} records",
                {f: tuple(c) for f, c in counts.items()}, CONTACT_FLOORS)
    check_floors(acc, CONTACT_FLOORS, "contact held-out")
