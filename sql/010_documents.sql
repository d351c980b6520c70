-- SPDX-License-Identifier: MIT
-- 010_documents: the bytes of submitted documents, kept out of the claim,
-- and the result cache that answers an identical document at submit.
--
-- A document job (extract, invoice) has one item describing the document
-- ({filename, media_type, size_bytes, sha256}); the bytes themselves are
-- in pgjob.document, which pgjob.claim does not read, so that a claim of
-- a hundred jobs does not drag a hundred files.  The worker fetches the
-- bytes of the one job it starts with pgjob.document_fetch.
--
-- The result cache: when a document job completes, its results (and
-- validation flags, confidence, model) are kept in pgjob.result_cache
-- under the SHA-256 of (type, the document's SHA-256, the options).  A
-- later submit of the same key, within the age the caller gives, creates
-- the job already completed with cache_hit = true: no worker sees it.
-- The cache is per account unless the caller asks for a shared one
-- (scope 0).  pgjob.result_cache_prune bounds it by age and by rows.

-- document holds a document job's bytes until the job is terminal (the
-- trigger below deletes them then: a retry needs them, a finished job
-- does not).  cache_key and cache_scope say where the results go when
-- the job completes; NULL: not cached.  Like pgjob.ready and pgjob.lease
-- it has no foreign key to pgjob.job (which stays truncatable alone):
-- the functions keep it in step, and only a terminal job, which has no
-- document row left, is ever deleted.
CREATE TABLE pgjob.document (
    job_id      uuid PRIMARY KEY,
    media_type  text NOT NULL,
    size_bytes  integer NOT NULL CHECK (size_bytes >= 0),
    sha256      bytea NOT NULL CHECK (length(sha256) = 32),
    bytes       bytea NOT NULL,
    cache_key   bytea CHECK (cache_key IS NULL OR length(cache_key) = 32),
    cache_scope bigint
);
-- PDFs and images are compressed already: store them as they are.
ALTER TABLE pgjob.document ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- result_cache: one completed document job's outcome per (scope, key).
-- scope is the account's id, or 0 for the cache shared by all accounts.
CREATE TABLE pgjob.result_cache (
    scope            bigint NOT NULL,
    cache_key        bytea NOT NULL CHECK (length(cache_key) = 32),
    type             text NOT NULL,
    results          jsonb NOT NULL CHECK (jsonb_typeof(results) = 'array'),
    validation_flags jsonb NOT NULL DEFAULT '[]',
    confidence       double precision,
    model            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, cache_key)
);
-- Pruning walks the oldest first.
CREATE INDEX result_cache_created_idx ON pgjob.result_cache (created_at);

-- cache_key is the key of a document job's result: type, the document's
-- SHA-256 and the options (as jsonb text, which is canonical: key order
-- and spacing do not matter).
CREATE FUNCTION pgjob.cache_key(p_type text, p_sha256 bytea, p_options jsonb)
RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to(p_type, 'UTF8') || '\x00'::bytea || p_sha256 || '\x00'::bytea
                  || convert_to(coalesce(p_options, '{}'::jsonb)::text, 'UTF8'))
$$;

-- complete_from_cache is the transition queued -> completed of a job
-- answered from the cache, in the transaction that submitted it (no
-- worker, no attempt): the job takes the cached results (the result's
-- custom_id set from this job's item), flags, confidence and model, with
-- cache_hit true and processing_ms 0; its ready row goes and its history
-- row is written, as pgjob.complete does.  Fenced on the status: a job
-- that is no longer queued is returned unchanged.  No hit counter: a
-- counter would make every hit of a popular document update one row.
CREATE FUNCTION pgjob.complete_from_cache(p_job pgjob.job, p_cache pgjob.result_cache)
RETURNS pgjob.job
LANGUAGE plpgsql AS $$
DECLARE
    v_res jsonb;
    v_job pgjob.job;
BEGIN
    v_res := jsonb_build_array(
        (p_cache.results -> 0) - 'custom_id'
        || CASE WHEN jsonb_typeof(p_job.items -> 0) = 'object' AND (p_job.items -> 0) ? 'custom_id'
                THEN jsonb_build_object('custom_id', p_job.items -> 0 -> 'custom_id')
                ELSE '{}'::jsonb END);
    DELETE FROM pgjob.ready r WHERE r.job_id = p_job.id;
    UPDATE pgjob.job j
       SET status = 'completed', results = v_res, results_bytes = octet_length(v_res::text),
           items_done = j.item_count,
           items_failed = CASE WHEN jsonb_typeof(v_res -> 0 -> 'error') NOT IN ('null')
                               THEN 1 ELSE 0 END,
           processing_ms = 0, validation_flags = coalesce(p_cache.validation_flags, '[]'),
           confidence = p_cache.confidence, model = p_cache.model, cache_hit = true,
           error = NULL, started_at = now(), completed_at = now(),
           expires_at = now() + j.retention, updated_at = now(), version = j.version + 1
     WHERE j.id = p_job.id AND j.status = 'queued'
    RETURNING j.* INTO v_job;
    IF NOT FOUND THEN
        SELECT j.* INTO v_job FROM pgjob.job j WHERE j.id = p_job.id;
        RETURN v_job;
    END IF;
    INSERT INTO pgjob.job_history (job_id, account_id, type, status, item_count, items_failed,
                                   attempt_count, failed_attempts, created_at, started_at,
                                   completed_at, processing_ms, error_code, flags, confidence,
                                   model, cache_hit)
    VALUES (v_job.id, v_job.account_id, v_job.type, 'completed', v_job.item_count,
            v_job.items_failed, v_job.attempt_count, v_job.failed_attempts, v_job.created_at,
            v_job.started_at, v_job.completed_at, v_job.processing_ms, NULL,
            CASE WHEN v_job.validation_flags <> '[]'
                 THEN pgjob.history_flags(v_job.validation_flags) END,
            v_job.confidence, v_job.model, true);
    PERFORM pgjob.notify_jobs(ARRAY[v_job.id]);
    RETURN v_job;
END
$$;

-- submit_document creates a document job in one round trip: as
-- pgjob.submit (same arguments, same idempotency rules, same result),
-- plus the document's bytes and media type, the options that make its
-- cache key, and the cache policy:
--   p_cache_max_age  how old a cached result may be to answer this
--                    submit; NULL: the cache is off (neither read nor
--                    written for this job)
--   p_cache_shared   true: the cache shared by all accounts; false: the
--                    account's own
--   p_model          the model (extractor and version) that would run the
--                    job now: only a result of that model answers, so an
--                    upgraded extractor never serves its predecessor's
--                    results (a completion then replaces the old row)
-- A cache hit creates the job with pgjob.submit (the same checks and
-- idempotency) and completes it at once with pgjob.complete_from_cache,
-- with no document row; otherwise the job is queued and its bytes
-- stored.  item_count must be 1 for a cache hit to apply (the cached
-- results are one per item), and run_at must not be in the future.
CREATE FUNCTION pgjob.submit_document(
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
            SELECT s.* INTO v_row
              FROM pgjob.submit(p_account_id, p_type, p_items, p_priority, p_run_at,
                                p_max_attempts, p_metadata, p_idempotency_key, p_api_key_id,
                                p_retention) AS s;
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

-- document_fetch returns the bytes of a job's document to the worker
-- holding attempt p_attempt: held is false (and nothing else set) when
-- the attempt no longer holds the job; bytes is NULL when the job has no
-- document.  One row always.
CREATE FUNCTION pgjob.document_fetch(p_job_id uuid, p_attempt integer)
RETURNS TABLE (held boolean, media_type text, sha256 bytea, bytes bytea)
LANGUAGE sql STABLE AS $$
    SELECT l.job_id IS NOT NULL, d.media_type, d.sha256,
           CASE WHEN l.job_id IS NOT NULL THEN d.bytes END
      FROM (SELECT 1) AS one
      LEFT JOIN pgjob.lease l ON l.job_id = p_job_id AND l.attempt = p_attempt
      LEFT JOIN pgjob.document d ON d.job_id = l.job_id
$$;

-- document_done runs when a job becomes terminal: a completed job with a
-- cache key leaves its outcome in the cache (the newest wins), and the
-- document's bytes are deleted either way.  It runs with its owner's
-- rights: whoever may change a job's status need not have rights on the
-- document and cache tables.
CREATE FUNCTION pgjob.document_done() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgjob, pg_temp AS $$
DECLARE
    v_doc pgjob.document;
BEGIN
    DELETE FROM pgjob.document d WHERE d.job_id = NEW.id RETURNING d.* INTO v_doc;
    IF FOUND AND NEW.status = 'completed' AND v_doc.cache_key IS NOT NULL
       AND NEW.results IS NOT NULL THEN
        INSERT INTO pgjob.result_cache AS c (scope, cache_key, type, results, validation_flags,
                                             confidence, model)
        VALUES (v_doc.cache_scope, v_doc.cache_key, NEW.type, NEW.results, NEW.validation_flags,
                NEW.confidence, NEW.model)
        ON CONFLICT (scope, cache_key) DO UPDATE
           SET type = EXCLUDED.type, results = EXCLUDED.results,
               validation_flags = EXCLUDED.validation_flags, confidence = EXCLUDED.confidence,
               model = EXCLUDED.model, created_at = now();
    END IF;
    RETURN NULL;
END
$$;

-- Only the transition into a terminal status fires it: once per job, not
-- on heartbeats or claims.
CREATE TRIGGER job_document_done
    AFTER UPDATE OF status ON pgjob.job
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          AND NEW.status IN ('completed', 'failed', 'canceled', 'expired'))
    EXECUTE FUNCTION pgjob.document_done();

-- result_cache_prune deletes cached results older than p_max_age, then
-- the oldest beyond the newest p_max_rows, at most p_limit rows in all.
-- Returns how many it deleted.  p_max_age NULL: only the row bound.
CREATE FUNCTION pgjob.result_cache_prune(p_max_age interval, p_max_rows bigint,
                                         p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_count integer;
    v_more  integer;
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 100000' USING ERRCODE = 'PJ400', COLUMN = 'limit';
    END IF;
    IF p_max_rows IS NULL OR p_max_rows < 0 THEN
        RAISE EXCEPTION 'max_rows must not be negative' USING ERRCODE = 'PJ400',
            COLUMN = 'max_rows';
    END IF;
    WITH due AS (
        SELECT c.scope, c.cache_key
          FROM pgjob.result_cache c
         WHERE p_max_age IS NOT NULL AND c.created_at <= now() - p_max_age
         ORDER BY c.created_at
         LIMIT p_limit
           FOR UPDATE SKIP LOCKED
    ), gone AS (
        DELETE FROM pgjob.result_cache c USING due d
         WHERE c.scope = d.scope AND c.cache_key = d.cache_key
        RETURNING 1
    )
    SELECT count(*) INTO v_count FROM gone;
    IF v_count < p_limit THEN
        WITH extra AS (
            SELECT c.scope, c.cache_key
              FROM pgjob.result_cache c
             ORDER BY c.created_at DESC
            OFFSET p_max_rows
             LIMIT p_limit - v_count
               FOR UPDATE SKIP LOCKED
        ), gone AS (
            DELETE FROM pgjob.result_cache c USING extra e
             WHERE c.scope = e.scope AND c.cache_key = e.cache_key
            RETURNING 1
        )
        SELECT count(*) INTO v_more FROM gone;
        v_count := v_count + v_more;
    END IF;
    RETURN v_count;
END
$$;

-- get_all_results returns all of a job's results at once, for the
-- download of a large result (GET /v1/jobs/{id}/results/full), with the
-- job's status, version and expiry.  p_account_id NULL reads any
-- account's job: only for a request whose signed URL the front end has
-- checked (the signature names the job).  Raises PJ404 for no such job,
-- PJ410 when it expired.
CREATE FUNCTION pgjob.get_all_results(p_account_id bigint, p_job_id uuid)
RETURNS TABLE (results jsonb, total integer, status text, version bigint,
               expires_at timestamptz)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    v_job pgjob.job;
BEGIN
    SELECT j.* INTO v_job
      FROM pgjob.job j
     WHERE j.id = p_job_id AND (p_account_id IS NULL OR j.account_id = p_account_id);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % not found', p_job_id USING ERRCODE = 'PJ404';
    END IF;
    IF v_job.status = 'expired' THEN
        RAISE EXCEPTION 'job % has expired and its results were deleted', p_job_id
            USING ERRCODE = 'PJ410';
    END IF;
    RETURN QUERY SELECT v_job.results, jsonb_array_length(v_job.results), v_job.status,
                        v_job.version, v_job.expires_at;
END
$$;
