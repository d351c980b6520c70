-- SPDX-License-Identifier: MIT
-- 005_merchants: the merchant table of the enrich handler.
--
-- Two kinds of rows, told apart by origin:
--   shipped   the merchants of daemon/merchants.tsv.  `pgjobctl migrate`
--             copies them in after the migrations and keeps them equal to
--             the release it belongs to (adds, updates, deletes them).
--   operator  anything an operator inserts (the default).  Never touched
--             by pgjobctl.  To take over a shipped merchant, set its origin
--             to 'operator' and edit it; a later migrate leaves it alone.
-- pgjobd reads the table at start and on SIGHUP.  A name or alias is
-- matched by its key: upper case, letters and digits only ("Wal-Mart" and
-- "WALMART" are one key).  A key names one merchant: an operator's row wins
-- over a shipped one; of two rows of the same origin with one key, pgjobd
-- skips the later by name and logs it.

CREATE TABLE pgjob.merchant (
    name          text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
    -- The merchant's web domain, "netflix.com"; NULL when unknown.
    domain        text CHECK (length(domain) BETWEEN 1 AND 253),
    category      text NOT NULL
                  CHECK (category IN ('groceries', 'restaurants', 'coffee', 'travel', 'transport',
                                      'fuel', 'shopping', 'subscriptions', 'utilities', 'telecom',
                                      'entertainment', 'health', 'education', 'insurance', 'fees',
                                      'transfers', 'atm', 'income', 'refunds', 'taxes')),
    -- The usual merchant category code; NULL when unknown.
    mcc           text CHECK (mcc ~ '^[0-9]{4}$'),
    subscription  boolean NOT NULL DEFAULT false,
    -- How its customers usually pay: online, in_store, transfer, or any.
    channel       text NOT NULL DEFAULT 'any'
                  CHECK (channel IN ('online', 'in_store', 'transfer', 'any')),
    -- Other spellings as bank statements show them ("WHOLEFDS", "AMZN").
    -- '|' separates aliases in merchants.tsv, so no alias holds one.
    aliases       text[] NOT NULL DEFAULT '{}'
                  CHECK (array_position(aliases, NULL) IS NULL
                         AND strpos(array_to_string(aliases, ''), '|') = 0),
    origin        text NOT NULL DEFAULT 'operator' CHECK (origin IN ('shipped', 'operator')),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- merchant_touch keeps updated_at the time of the row's last change.
CREATE FUNCTION pgjob.merchant_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER merchant_touch BEFORE UPDATE ON pgjob.merchant
    FOR EACH ROW EXECUTE FUNCTION pgjob.merchant_touch();
