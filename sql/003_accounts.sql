-- SPDX-License-Identifier: MIT
-- 003_accounts: accounts and their API keys.
--
-- A key is "pgj_" and 64 hex digits (244 random bits from the server's
-- strong random source through gen_random_uuid()).  It is returned once by
-- create_api_key; the database keeps only its SHA-256 and its first 12
-- characters (the prefix, to tell keys apart in listings).

-- api_key_hash is the stored form of a key: SHA-256 of its UTF-8 bytes.
-- The front end computes the same hash and never sends the key itself.
CREATE FUNCTION pgjob.api_key_hash(p_key text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT sha256(convert_to(p_key, 'UTF8'))
$$;

-- create_account makes an account and returns its id.  Raises PJ400 for a
-- bad name and PJ409 when the name is taken.
CREATE FUNCTION pgjob.create_account(p_name text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_name IS NULL OR length(p_name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'account name must have 1 to 200 characters'
            USING ERRCODE = 'PJ400', COLUMN = 'name';
    END IF;
    INSERT INTO pgjob.account (name) VALUES (p_name)
    ON CONFLICT (name) DO NOTHING
    RETURNING id INTO v_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % already exists', p_name USING ERRCODE = 'PJ409';
    END IF;
    RETURN v_id;
END
$$;

-- create_api_key makes a new key for an account and returns it, the only
-- time it can be seen.  Raises PJ404 for an unknown account.
CREATE FUNCTION pgjob.create_api_key(p_account_id bigint, p_label text DEFAULT NULL)
RETURNS TABLE (key_id bigint, key text, prefix text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_key text;
    v_id  bigint;
BEGIN
    PERFORM 1 FROM pgjob.account a WHERE a.id = p_account_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % not found', p_account_id USING ERRCODE = 'PJ404';
    END IF;
    v_key := 'pgj_' || replace(gen_random_uuid()::text, '-', '')
                    || replace(gen_random_uuid()::text, '-', '');
    INSERT INTO pgjob.api_key (account_id, prefix, key_hash, label)
    VALUES (p_account_id, left(v_key, 12), pgjob.api_key_hash(v_key), p_label)
    RETURNING id INTO v_id;
    RETURN QUERY SELECT v_id, v_key, left(v_key, 12);
END
$$;

-- revoke_api_key revokes a key for good.  Returns true when this call
-- revoked it, false when it already was.  Raises PJ404 for an unknown key.
CREATE FUNCTION pgjob.revoke_api_key(p_key_id bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pgjob.api_key k SET revoked_at = now()
     WHERE k.id = p_key_id AND k.revoked_at IS NULL;
    IF FOUND THEN
        RETURN true;
    END IF;
    PERFORM 1 FROM pgjob.api_key k WHERE k.id = p_key_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'api key % not found', p_key_id USING ERRCODE = 'PJ404';
    END IF;
    RETURN false;
END
$$;

-- api_key_lookup finds the account of a live (not revoked) key by its
-- hash.  No row means: no such key, or revoked.
CREATE FUNCTION pgjob.api_key_lookup(p_key_hash bytea)
RETURNS TABLE (account_id bigint, key_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT k.account_id, k.id
      FROM pgjob.api_key k
     WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL
$$;
