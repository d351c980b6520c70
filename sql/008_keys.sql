-- SPDX-License-Identifier: MIT
-- 008_keys: API keys with a chosen prefix, an expiry, rotation and import;
-- and retries of finished jobs as new jobs linked to the original.
--
-- A key made by pgjob is its prefix ("pgj_" unless the operator chose
-- another, such as "pt_live_" or "inv_") and 64 hex digits from the
-- server's strong random source (pgjob.make_api_key).  An imported key is
-- whatever another service issued, given by value or by its SHA-256.
-- Either way the database keeps only the SHA-256, the characters safe to
-- show in listings (prefix) and, for keys whose value it saw, the last 4.
--
-- The one rule of which keys are live is pgjob.api_key_lookup: not
-- revoked, and not past expires_at.  Everything else (rotation, listings)
-- asks it.
--
-- Errors as in 002_jobs.sql: PJ400 bad argument (COLUMN names it), PJ404
-- no such account, key or job, PJ409 the state forbids it.

ALTER TABLE pgjob.api_key
    -- The prefix the key was made or imported with ("pgj_", "pt_live_";
    -- "" when an imported key has none); a rotation makes the new key
    -- with the same one.
    ADD COLUMN key_prefix  text NOT NULL DEFAULT 'pgj_'
        CHECK (key_prefix ~ '^[A-Za-z0-9_.-]{0,32}$'),
    -- The key's last 4 characters, to tell keys apart; NULL for a key
    -- imported by its SHA-256.
    ADD COLUMN last4       text CHECK (length(last4) = 4),
    -- After this time the key is no longer live; NULL: never.
    ADD COLUMN expires_at  timestamptz,
    -- 'created' (made here) or 'imported' (by value or SHA-256).
    ADD COLUMN origin      text NOT NULL DEFAULT 'created'
        CHECK (origin IN ('created', 'imported')),
    -- The key this one replaced (key rotate); NULL for a first key.
    ADD COLUMN rotated_from bigint REFERENCES pgjob.api_key (id) ON DELETE SET NULL;

-- Keys made before this migration: their last 4 characters are unknown.
-- (The defaults above describe them: "pgj_" keys made here.)

-- A job made by pgjob.retry from another.  No foreign key, as with
-- pgjob.ready: the original may be pruned long before its retry.
ALTER TABLE pgjob.job
    ADD COLUMN retry_of    uuid,
    -- The 0-based indexes, in the original's items, of the items this
    -- retry carries (in that order); NULL when it carries them all.
    ADD COLUMN retry_items integer[];
-- "Which retries were made of this job": few rows, so a partial index.
CREATE INDEX job_retry_of_idx ON pgjob.job (retry_of) WHERE retry_of IS NOT NULL;

-- api_key_lookup finds the account of a live key by its hash: not
-- revoked and not expired.  No row means: no such key, revoked, or
-- expired.  A plain SQL function, STABLE (now()), which the planner
-- inlines into the front end's statements.
CREATE OR REPLACE FUNCTION pgjob.api_key_lookup(p_key_hash bytea)
RETURNS TABLE (account_id bigint, key_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT k.account_id, k.id
      FROM pgjob.api_key k
     WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL
       AND (k.expires_at IS NULL OR k.expires_at > now())
$$;

-- api_key_state says what a key is now: 'live' (pgjob.api_key_lookup
-- finds it), 'revoked', or 'expired'.
CREATE FUNCTION pgjob.api_key_state(p_key_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM pgjob.api_key_lookup(k.key_hash) l
                              WHERE l.key_id = k.id) THEN 'live'
                WHEN k.revoked_at IS NOT NULL THEN 'revoked'
                ELSE 'expired' END
      FROM pgjob.api_key k
     WHERE k.id = p_key_id
$$;

-- check_key_prefix raises PJ400 unless p_prefix is 0 to 32 of
-- A-Z a-z 0-9 _ . - (what may start a key in an HTTP header and a log).
CREATE FUNCTION pgjob.check_key_prefix(p_prefix text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_prefix IS NULL OR p_prefix !~ '^[A-Za-z0-9_.-]{0,32}$' THEN
        RAISE EXCEPTION 'prefix must be 0 to 32 letters, digits, "_", "." or "-"'
            USING ERRCODE = 'PJ400', COLUMN = 'prefix';
    END IF;
END
$$;

-- check_key_expiry raises PJ400 when an expiry is not in the future.
CREATE FUNCTION pgjob.check_key_expiry(p_expires_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_expires_at IS NOT NULL AND p_expires_at <= now() THEN
        RAISE EXCEPTION 'expiry % is not in the future', p_expires_at
            USING ERRCODE = 'PJ400', COLUMN = 'expires';
    END IF;
END
$$;

-- check_account raises PJ404 for an unknown account.
CREATE FUNCTION pgjob.check_account(p_account_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM pgjob.account a WHERE a.id = p_account_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % not found', p_account_id USING ERRCODE = 'PJ404';
    END IF;
END
$$;

-- make_api_key returns a new key: p_prefix and 64 hex digits (244 random
-- bits: two version-4 UUIDs from the server's strong random source).
-- The only place pgjob makes a key.
CREATE FUNCTION pgjob.make_api_key(p_prefix text) RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT p_prefix || replace(gen_random_uuid()::text, '-', '')
                    || replace(gen_random_uuid()::text, '-', '')
$$;

-- create_api_key (replacing 003's) makes a new key for an account and
-- returns it, the only time it can be seen.  prefix is what listings show:
-- the key's first length(p_prefix) + 8 characters.  Raises PJ404 for an
-- unknown account, PJ400 for a bad prefix or an expiry not in the future.
DROP FUNCTION pgjob.create_api_key(bigint, text);
CREATE FUNCTION pgjob.create_api_key(
    p_account_id bigint,
    p_label      text        DEFAULT NULL,
    p_prefix     text        DEFAULT 'pgj_',
    p_expires_at timestamptz DEFAULT NULL)
RETURNS TABLE (key_id bigint, key text, prefix text, expires_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_key text;
    v_id  bigint;
BEGIN
    PERFORM pgjob.check_account(p_account_id);
    PERFORM pgjob.check_key_prefix(p_prefix);
    PERFORM pgjob.check_key_expiry(p_expires_at);
    v_key := pgjob.make_api_key(p_prefix);
    INSERT INTO pgjob.api_key (account_id, prefix, key_hash, label, key_prefix, last4,
                               expires_at, origin)
    VALUES (p_account_id, left(v_key, length(p_prefix) + 8), pgjob.api_key_hash(v_key),
            p_label, p_prefix, right(v_key, 4), p_expires_at, 'created')
    RETURNING id INTO v_id;
    RETURN QUERY SELECT v_id, v_key, left(v_key, length(p_prefix) + 8), p_expires_at;
END
$$;

-- import_api_key records a key another service issued, so that its
-- client keeps it: by value (p_key, hashed here, then forgotten) or by
-- its SHA-256 (p_key_sha256, 32 bytes), exactly one of the two.  p_prefix
-- is how the key starts (a value must start with it); listings show it,
-- and the value's last 4 characters when the value is at least 24 long.
-- A value must be 16 to 255 printable ASCII characters without spaces
-- (what the front end accepts in a header).  Raises PJ400 for a bad
-- argument, PJ404 for an unknown account, PJ409 when the key is already
-- known (to any account).
CREATE FUNCTION pgjob.import_api_key(
    p_account_id bigint,
    p_key        text,
    p_key_sha256 bytea,
    p_prefix     text        DEFAULT '',
    p_label      text        DEFAULT NULL,
    p_expires_at timestamptz DEFAULT NULL)
RETURNS TABLE (key_id bigint, prefix text, last4 text, expires_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_hash  bytea;
    v_last4 text;
    v_id    bigint;
BEGIN
    PERFORM pgjob.check_account(p_account_id);
    PERFORM pgjob.check_key_prefix(p_prefix);
    PERFORM pgjob.check_key_expiry(p_expires_at);
    IF (p_key IS NULL) = (p_key_sha256 IS NULL) THEN
        RAISE EXCEPTION 'give the key or its SHA-256, not both nor neither'
            USING ERRCODE = 'PJ400', COLUMN = 'key';
    END IF;
    IF p_key IS NOT NULL THEN
        IF p_key !~ '^[!-~]{16,255}$' THEN
            RAISE EXCEPTION 'a key must be 16 to 255 printable ASCII characters without spaces'
                USING ERRCODE = 'PJ400', COLUMN = 'key';
        END IF;
        IF left(p_key, length(p_prefix)) <> p_prefix THEN
            RAISE EXCEPTION 'the key does not start with the prefix %', p_prefix
                USING ERRCODE = 'PJ400', COLUMN = 'prefix';
        END IF;
        v_hash := pgjob.api_key_hash(p_key);
        v_last4 := CASE WHEN length(p_key) >= 24 THEN right(p_key, 4) END;
    ELSE
        IF length(p_key_sha256) <> 32 THEN
            RAISE EXCEPTION 'a SHA-256 has 32 bytes (64 hex digits)'
                USING ERRCODE = 'PJ400', COLUMN = 'sha256';
        END IF;
        v_hash := p_key_sha256;
    END IF;
    INSERT INTO pgjob.api_key (account_id, prefix, key_hash, label, key_prefix, last4,
                               expires_at, origin)
    VALUES (p_account_id, p_prefix, v_hash, p_label, p_prefix, v_last4, p_expires_at,
            'imported')
    ON CONFLICT (key_hash) DO NOTHING
    RETURNING id INTO v_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this key is already known' USING ERRCODE = 'PJ409';
    END IF;
    RETURN QUERY SELECT v_id, p_prefix, v_last4, p_expires_at;
END
$$;

-- rotate_api_key replaces a live key: it makes a new key for the same
-- account with the same key_prefix (and label, unless p_label is given),
-- returned once, and makes the old key expire p_grace from now (or keeps
-- its earlier expiry), so clients have the grace period to switch.
-- Raises PJ404 for an unknown key, PJ409 when it is not live, PJ400 for a
-- negative grace or an expiry not in the future.
CREATE FUNCTION pgjob.rotate_api_key(
    p_key_id     bigint,
    p_grace      interval    DEFAULT '24 hours',
    p_label      text        DEFAULT NULL,
    p_expires_at timestamptz DEFAULT NULL)
RETURNS TABLE (key_id bigint, key text, prefix text, expires_at timestamptz,
               old_key_id bigint, old_expires_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_old     pgjob.api_key;
    v_key     text;
    v_id      bigint;
    v_old_end timestamptz;
BEGIN
    IF p_grace IS NULL OR p_grace < interval '0' THEN
        RAISE EXCEPTION 'grace must not be negative' USING ERRCODE = 'PJ400', COLUMN = 'grace';
    END IF;
    PERFORM pgjob.check_key_expiry(p_expires_at);
    SELECT k.* INTO v_old FROM pgjob.api_key k WHERE k.id = p_key_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'api key % not found', p_key_id USING ERRCODE = 'PJ404';
    END IF;
    IF pgjob.api_key_state(p_key_id) <> 'live' THEN
        RAISE EXCEPTION 'api key % is %: only a live key can be rotated', p_key_id,
            pgjob.api_key_state(p_key_id) USING ERRCODE = 'PJ409';
    END IF;
    v_old_end := least(coalesce(v_old.expires_at, 'infinity'), now() + p_grace);
    UPDATE pgjob.api_key k SET expires_at = v_old_end WHERE k.id = p_key_id;
    v_key := pgjob.make_api_key(v_old.key_prefix);
    INSERT INTO pgjob.api_key (account_id, prefix, key_hash, label, key_prefix, last4,
                               expires_at, origin, rotated_from)
    VALUES (v_old.account_id, left(v_key, length(v_old.key_prefix) + 8),
            pgjob.api_key_hash(v_key), coalesce(p_label, v_old.label), v_old.key_prefix,
            right(v_key, 4), p_expires_at, 'created', p_key_id)
    RETURNING id INTO v_id;
    RETURN QUERY SELECT v_id, v_key, left(v_key, length(v_old.key_prefix) + 8), p_expires_at,
                        p_key_id, v_old_end;
END
$$;

-- item_failed says whether item p_index (0-based) of a job did not
-- succeed: it has no result (the job stopped before it), or its result
-- carries a non-null "error".
CREATE FUNCTION pgjob.item_failed(p_results jsonb, p_index integer) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_results IS NULL OR p_index >= jsonb_array_length(p_results)
           OR coalesce(jsonb_typeof(p_results -> p_index -> 'error'), 'null') <> 'null'
$$;

-- retry submits a new job from a finished job of the account, linked to
-- it by retry_of; the original never changes.  With p_failed_items_only
-- false it carries all the original's items, and the original must be
-- failed or canceled.  With true it carries only the items that did not
-- succeed (pgjob.item_failed; retry_items lists their indexes), and the
-- original may also be a completed job with failed items.  Type, priority,
-- max_attempts, metadata, retention and the submitting key are the
-- original's; it runs now.  Raises PJ404 for no such job, PJ409 when the
-- job's status forbids it (an expired job has no items left) or it has no
-- failed item to retry.
CREATE FUNCTION pgjob.retry(p_account_id bigint, p_job_id uuid,
                            p_failed_items_only boolean DEFAULT false)
RETURNS SETOF pgjob.job
LANGUAGE plpgsql AS $$
DECLARE
    v_orig  pgjob.job;
    v_items jsonb;
    v_index integer[];
    v_job   pgjob.job;
BEGIN
    -- FOR SHARE: expire, which drops the items, waits (or skips it).
    SELECT j.* INTO v_orig
      FROM pgjob.job j
     WHERE j.id = p_job_id AND j.account_id = p_account_id
       FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % not found', p_job_id USING ERRCODE = 'PJ404';
    END IF;
    IF NOT (v_orig.status IN ('failed', 'canceled')
            OR (coalesce(p_failed_items_only, false) AND v_orig.status = 'completed')) THEN
        RAISE EXCEPTION 'cannot retry a job that is %', v_orig.status
            USING ERRCODE = 'PJ409', DETAIL = v_orig.status;
    END IF;
    IF coalesce(p_failed_items_only, false) THEN
        SELECT coalesce(jsonb_agg(i.item ORDER BY i.n), '[]'),
               coalesce(array_agg((i.n - 1)::integer ORDER BY i.n), '{}')
          INTO v_items, v_index
          FROM jsonb_array_elements(v_orig.items) WITH ORDINALITY AS i(item, n)
         WHERE pgjob.item_failed(v_orig.results, (i.n - 1)::integer);
        IF cardinality(v_index) = 0 THEN
            RAISE EXCEPTION 'job % has no failed items to retry', p_job_id
                USING ERRCODE = 'PJ409', DETAIL = v_orig.status;
        END IF;
    ELSE
        v_items := v_orig.items;
    END IF;
    SELECT (s.job).* INTO v_job
      FROM pgjob.submit(v_orig.account_id, v_orig.type, v_items, v_orig.priority, NULL,
                        v_orig.max_attempts, v_orig.metadata, NULL, v_orig.api_key_id,
                        v_orig.retention) AS s;
    UPDATE pgjob.job j
       SET retry_of = p_job_id, retry_items = v_index
     WHERE j.id = v_job.id
    RETURNING j.* INTO v_job;
    RETURN NEXT v_job;
END
$$;
