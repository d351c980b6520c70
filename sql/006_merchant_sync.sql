-- SPDX-License-Identifier: MIT
-- 006_merchant_sync: the shipped rows of pgjob.merchant come in as text.
--
-- pgjobctl migrate carries the enrich handler's merchant list
-- (daemon/handlers/merchants.tsv) as one text, embedded at build time, and
-- hands it to pgjob.merchant_sync() as a single parameter.  The format is
-- owned here, by the database, so pgjobctl needs none of the daemon's code:
-- one merchant a line, seven tab-separated fields (name, domain, category,
-- mcc, subscription 0/1, channel, '|'-separated aliases); lines starting
-- with '#' and blank lines are skipped; an empty domain or mcc is NULL.
--
-- The shipped rows become equal to the text: new merchants are added,
-- changed ones updated, ones no longer shipped deleted.  A row whose
-- origin is 'operator' is never touched, and a shipped name an operator
-- row already has is left to the operator.  A row changes only when a
-- field differs, so a second run changes nothing (not even updated_at).
-- A malformed line raises PJ400 and nothing changes.

CREATE FUNCTION pgjob.merchant_sync(shipped_tsv text,
                                    OUT shipped bigint, OUT added bigint,
                                    OUT updated bigint, OUT removed bigint)
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    CREATE TEMPORARY TABLE merchant_shipped ON COMMIT DROP AS
    SELECT l.n, f
      FROM unnest(string_to_array(shipped_tsv, E'\n')) WITH ORDINALITY AS l(line, n),
           LATERAL (SELECT string_to_array(rtrim(l.line, E'\r'), E'\t') AS f) AS s
     WHERE l.line !~ '^#' AND l.line !~ '^[ \t\r]*$';

    SELECT n, coalesce(array_length(f, 1), 0) AS nf INTO bad
      FROM merchant_shipped
     WHERE coalesce(array_length(f, 1), 0) <> 7 OR f[5] NOT IN ('0', '1')
     ORDER BY n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'shipped merchants: line % is not 7 tab-separated fields with subscription 0 or 1',
                        bad.n USING ERRCODE = 'PJ400';
    END IF;

    SELECT count(*) INTO shipped FROM merchant_shipped;

    WITH rows AS (
        SELECT f[1] AS name, nullif(f[2], '') AS domain, f[3] AS category,
               nullif(f[4], '') AS mcc, f[5] = '1' AS subscription, f[6] AS channel,
               CASE WHEN f[7] = '' THEN '{}'::text[] ELSE string_to_array(f[7], '|') END AS aliases
          FROM merchant_shipped
    ), upserted AS (
        INSERT INTO pgjob.merchant AS m
               (name, domain, category, mcc, subscription, channel, aliases, origin)
        SELECT name, domain, category, mcc, subscription, channel, aliases, 'shipped'
          FROM rows
        ON CONFLICT (name) DO UPDATE
           SET domain = EXCLUDED.domain, category = EXCLUDED.category, mcc = EXCLUDED.mcc,
               subscription = EXCLUDED.subscription, channel = EXCLUDED.channel,
               aliases = EXCLUDED.aliases
         WHERE m.origin = 'shipped'
           AND (m.domain, m.category, m.mcc, m.subscription, m.channel, m.aliases)
               IS DISTINCT FROM (EXCLUDED.domain, EXCLUDED.category, EXCLUDED.mcc,
                                 EXCLUDED.subscription, EXCLUDED.channel, EXCLUDED.aliases)
        RETURNING xmax = 0 AS inserted
    ), deleted AS (
        DELETE FROM pgjob.merchant m
         WHERE m.origin = 'shipped'
           AND NOT EXISTS (SELECT 1 FROM rows r WHERE r.name = m.name)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM upserted WHERE inserted),
           (SELECT count(*) FROM upserted WHERE NOT inserted),
           (SELECT count(*) FROM deleted)
      INTO added, updated, removed;

    DROP TABLE merchant_shipped;
END
$$;
