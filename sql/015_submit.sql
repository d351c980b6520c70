-- SPDX-License-Identifier: MIT
-- 015_submit: a submit without an idempotency key is cheaper.
--
-- Measured (docs/benchmarks.md, "HTTP submit"): POST /v1/jobs spent most
-- of its time in PostgreSQL, and most of that in pgjob.submit.  With an
-- idempotency key, submit must insert with ON CONFLICT on the partial
-- unique index job_idempotency_idx and hash the request, so that a repeat
-- of the key can be told from a different request.  Without one (most
-- submits) neither is needed, but both were paid: ON CONFLICT makes
-- every INSERT a speculative insertion (the arbiter index probed first, a
-- speculative lock taken and released, the heap tuple confirmed with a
-- second WAL record), and the hash writes the whole request out as text.
-- A submit without a key now makes a plain INSERT and stores no
-- request_hash (NULL: it is read only to compare a repeated key, and
-- expire() clears it anyway).  A submit with a key is exactly as before.
--
-- This file replaces submit (of 002_jobs.sql); nothing else changes: its
-- checks, its errors, the pgjob.ready row it queues, and the one
-- pgjob_ready notification it sends (through notify_ready) are as they
-- were.  The key lookup of the front end's submit is in the same
-- statement as the submit (cgi/dbconn.c, STMT_SUBMIT_KEY), through
-- pgjob.api_key_lookup: that needs no SQL of its own.

-- submit creates one job holding a batch of items and queues it.
-- With an idempotency key, a repeat of the same request returns the job
-- created first (created = false); the same key with a different request
-- raises PJ422.
CREATE OR REPLACE FUNCTION pgjob.submit(
    p_account_id      bigint,
    p_type            text,
    p_items           jsonb,
    p_priority        integer     DEFAULT 0,
    p_run_at          timestamptz DEFAULT NULL,
    p_max_attempts    integer     DEFAULT 3,
    p_metadata        jsonb       DEFAULT '{}',
    p_idempotency_key text        DEFAULT NULL,
    p_api_key_id      bigint      DEFAULT NULL,
    p_retention       interval    DEFAULT '7 days')
RETURNS TABLE (created boolean, job pgjob.job)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_hash text;
    v_job  pgjob.job;
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION 'account is required' USING ERRCODE = 'PJ400', COLUMN = 'account';
    END IF;
    IF p_type IS NULL OR p_type !~ '^[a-z][a-z0-9_.-]{0,63}$' THEN
        RAISE EXCEPTION 'type must be a lower-case name of at most 64 characters'
            USING ERRCODE = 'PJ400', COLUMN = 'type';
    END IF;
    IF p_items IS NULL OR jsonb_typeof(p_items) <> 'array' THEN
        RAISE EXCEPTION 'items must be an array' USING ERRCODE = 'PJ400', COLUMN = 'items';
    END IF;
    IF jsonb_array_length(p_items) = 0 THEN
        RAISE EXCEPTION 'items must not be empty' USING ERRCODE = 'PJ422', COLUMN = 'items';
    END IF;
    IF p_priority IS NULL OR p_priority NOT BETWEEN -1000 AND 1000 THEN
        RAISE EXCEPTION 'priority must be between -1000 and 1000'
            USING ERRCODE = 'PJ400', COLUMN = 'priority';
    END IF;
    IF p_max_attempts IS NULL OR p_max_attempts NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'max_attempts must be between 1 and 100'
            USING ERRCODE = 'PJ400', COLUMN = 'max_attempts';
    END IF;
    IF p_metadata IS NULL OR jsonb_typeof(p_metadata) <> 'object' THEN
        RAISE EXCEPTION 'metadata must be an object' USING ERRCODE = 'PJ400', COLUMN = 'metadata';
    END IF;
    IF p_idempotency_key IS NOT NULL AND length(p_idempotency_key) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'idempotency key must have 1 to 255 characters'
            USING ERRCODE = 'PJ400', COLUMN = 'idempotency_key';
    END IF;
    IF p_retention IS NULL OR p_retention < interval '0' THEN
        RAISE EXCEPTION 'retention must not be negative' USING ERRCODE = 'PJ400', COLUMN = 'retention';
    END IF;

    -- 015: without an idempotency key, a plain INSERT (no arbiter index to
    -- probe, no speculative insertion) and no request hash, which only a
    -- repeat of the same key ever compares.
    IF p_idempotency_key IS NULL THEN
        INSERT INTO pgjob.job AS j (account_id, api_key_id, type, items, item_count, results,
                                    metadata, max_attempts, priority, run_at, retention)
        VALUES (p_account_id, p_api_key_id, p_type, p_items, jsonb_array_length(p_items), '[]',
                p_metadata, p_max_attempts, p_priority, coalesce(p_run_at, now()), p_retention)
        RETURNING j.* INTO v_job;
    ELSE
        v_hash := md5(jsonb_build_array(p_type, p_items, p_priority, p_run_at,
                                        p_max_attempts, p_metadata)::text);

        INSERT INTO pgjob.job AS j (account_id, api_key_id, type, items, item_count, results,
                                    metadata, max_attempts, priority, run_at, retention,
                                    idempotency_key, request_hash)
        VALUES (p_account_id, p_api_key_id, p_type, p_items, jsonb_array_length(p_items), '[]',
                p_metadata, p_max_attempts, p_priority, coalesce(p_run_at, now()), p_retention,
                p_idempotency_key, v_hash)
        ON CONFLICT (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING j.* INTO v_job;

        IF NOT FOUND THEN
            -- The key was used before (perhaps by a concurrent request, whose
            -- row ON CONFLICT waited for).
            SELECT j.* INTO v_job
              FROM pgjob.job j
             WHERE j.account_id = p_account_id AND j.idempotency_key = p_idempotency_key;
            IF v_job.request_hash IS DISTINCT FROM v_hash THEN
                RAISE EXCEPTION 'idempotency key was already used with a different request'
                    USING ERRCODE = 'PJ422', COLUMN = 'idempotency_key';
            END IF;
            RETURN QUERY SELECT false, v_job;
            RETURN;
        END IF;
    END IF;

    INSERT INTO pgjob.ready (job_id, type, priority, run_at)
    VALUES (v_job.id, v_job.type, v_job.priority, v_job.run_at);
    IF v_job.run_at <= now() THEN
        PERFORM pgjob.notify_ready(ARRAY[v_job.type]);
    END IF;
    RETURN QUERY SELECT true, v_job;
END
$$;
