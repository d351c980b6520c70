-- SPDX-License-Identifier: MIT
-- 014_quiet_hit: a document job answered from the result cache wakes no
-- worker.
--
-- pgjob.submit_document (010_documents.sql) makes a cache hit's job with
-- pgjob.submit, for its checks and idempotency rules, and completes it in
-- the same transaction.  pgjob.submit sends pgjob_ready for every job due
-- now, and a notification cannot be taken back once sent: every daemon
-- LISTENing woke for a job that was already completed when it committed,
-- and claimed nothing.  A hit now asks pgjob.submit, through a setting
-- local to its transaction, to send no pgjob_ready: submit_document sets
-- pgjob.ready_quiet before the call and clears it after, so a later
-- submit in the same transaction notifies as before.  The completion's
-- pgjob_job notification (complete_from_cache) is sent as before: clients
-- waiting on the job want it.
--
-- This file replaces notify_ready (of 002_jobs.sql) and submit_document
-- (of 010_documents.sql); neither changes its signature.

-- notify_ready sends one pgjob_ready notification naming the job types
-- that have claimable work now; nothing while the transaction-local
-- setting pgjob.ready_quiet is 'on' (pgjob.submit_document's cache hit).
CREATE OR REPLACE FUNCTION pgjob.notify_ready(p_types text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_payload text;
BEGIN
    IF p_types IS NULL OR cardinality(p_types) = 0
       OR current_setting('pgjob.ready_quiet', true) = 'on' THEN
        RETURN;
    END IF;
    SELECT string_agg(DISTINCT t, ' ') INTO v_payload FROM unnest(p_types) AS t;
    IF length(v_payload) > 7900 THEN
        v_payload := '*';
    END IF;
    PERFORM pg_notify('pgjob_ready', v_payload);
END
$$;

-- submit_document: as in 010_documents.sql, but a cache hit's pgjob.submit
-- runs with pgjob.ready_quiet on.
CREATE OR REPLACE FUNCTION pgjob.submit_document(
    p_account_id      bigint,
    p_type            text,
    p_items           jsonb,
    p_priority        integer,
    p_run_at          timestamptz,
    p_max_attempts    integer,
    p_metadata        jsonb,
    p_idempotency_key text,
    p_api_key_id      bigint,
    p_retention       interval,
    p_bytes           bytea,
    p_media_type      text,
    p_options         jsonb       DEFAULT '{}',
    p_cache_max_age   interval    DEFAULT NULL,
    p_cache_shared    boolean     DEFAULT false,
    p_model           text        DEFAULT NULL)
RETURNS TABLE (created boolean, job pgjob.job)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_sha    bytea;
    v_key    bytea;
    v_scope  bigint;
    v_cache  pgjob.result_cache;
    v_job    pgjob.job;
    v_row    record;
BEGIN
    IF p_bytes IS NULL THEN
        RAISE EXCEPTION 'the document is required' USING ERRCODE = 'PJ400', COLUMN = 'document';
    END IF;
    IF p_media_type IS NULL OR length(p_media_type) NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'media type must have 1 to 100 characters'
            USING ERRCODE = 'PJ400', COLUMN = 'media_type';
    END IF;
    IF p_options IS NOT NULL AND jsonb_typeof(p_options) <> 'object' THEN
        RAISE EXCEPTION 'options must be an object' USING ERRCODE = 'PJ400', COLUMN = 'options';
    END IF;
    IF p_cache_max_age < interval '0' THEN
        RAISE EXCEPTION 'cache age must not be negative' USING ERRCODE = 'PJ400',
            COLUMN = 'cache_max_age';
    END IF;
    v_sha := sha256(p_bytes);
    v_key := pgjob.cache_key(p_type, v_sha, p_options);
    v_scope := CASE WHEN p_cache_shared THEN 0 ELSE p_account_id END;

    -- A hit needs one item, a job due now (a future run_at is the
    -- caller's wish to run it then: the cache does not answer early) and
    -- a cached result of the extractor the caller names.
    IF p_cache_max_age IS NOT NULL AND p_items IS NOT NULL
       AND jsonb_typeof(p_items) = 'array' AND jsonb_array_length(p_items) = 1
       AND (p_run_at IS NULL OR p_run_at <= now()) THEN
        -- FOR KEY SHARE: a concurrent prune waits for this submit, so the
        -- row read is the row used.
        SELECT c.* INTO v_cache
          FROM pgjob.result_cache c
         WHERE c.scope = v_scope AND c.cache_key = v_key AND c.type = p_type
           AND c.created_at > now() - p_cache_max_age
           AND c.model IS NOT DISTINCT FROM p_model
           AND jsonb_array_length(c.results) = 1
           FOR KEY SHARE;
        IF FOUND THEN
            -- pgjob.submit makes the job, with all its checks and its
            -- idempotency rules; complete_from_cache completes it at once.
            -- The job is completed before this transaction commits: no
            -- worker must be woken for it (see notify_ready above).
            PERFORM set_config('pgjob.ready_quiet', 'on', true);
            SELECT s.* INTO v_row
              FROM pgjob.submit(p_account_id, p_type, p_items, p_priority, p_run_at,
                                p_max_attempts, p_metadata, p_idempotency_key, p_api_key_id,
                                p_retention) AS s;
            PERFORM set_config('pgjob.ready_quiet', '', true);
            IF NOT v_row.created THEN
                RETURN QUERY SELECT false, v_row.job;
                RETURN;
            END IF;
            RETURN QUERY SELECT true, pgjob.complete_from_cache(v_row.job, v_cache);
            RETURN;
        END IF;
    END IF;

    SELECT s.* INTO v_row
      FROM pgjob.submit(p_account_id, p_type, p_items, p_priority, p_run_at, p_max_attempts,
                        p_metadata, p_idempotency_key, p_api_key_id, p_retention) AS s;
    created := v_row.created;
    v_job := v_row.job;
    IF created THEN
        INSERT INTO pgjob.document (job_id, media_type, size_bytes, sha256, bytes, cache_key,
                                    cache_scope)
        VALUES (v_job.id, p_media_type, octet_length(p_bytes), v_sha, p_bytes,
                CASE WHEN p_cache_max_age IS NOT NULL THEN v_key END,
                CASE WHEN p_cache_max_age IS NOT NULL THEN v_scope END);
    END IF;
    job := v_job;
    RETURN NEXT;
END
$$;
