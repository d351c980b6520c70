-- SPDX-License-Identifier: MIT
-- 004_api: what the HTTP front end reads, each one round trip, every read
-- scoped to the caller's account.  Errors as in 002_jobs.sql, plus:
--   PJ410  the job has expired: its results are gone

-- job_fields is one job as the API shows it: every column but the items,
-- the request hash and the account.  results is NULL when it
-- was left out (too large to inline, or a listing).
CREATE TYPE pgjob.job_fields AS (
    id uuid, type text, status text, item_count integer, items_done integer,
    items_failed integer, results jsonb, results_bytes bigint, error jsonb, metadata jsonb,
    attempt_count integer, max_attempts integer, priority integer, run_at timestamptz,
    created_at timestamptz, started_at timestamptz, completed_at timestamptz,
    updated_at timestamptz, expires_at timestamptz, processing_ms bigint,
    validation_flags jsonb, confidence double precision, model text, cache_hit boolean,
    version bigint, idempotency_key text);

-- get_job returns the account's job, with its results inline when they
-- take fewer than p_inline_max bytes (NULL: always).  No row: no such job
-- for this account.
CREATE FUNCTION pgjob.get_job(p_account_id bigint, p_job_id uuid, p_inline_max bigint DEFAULT NULL)
RETURNS SETOF pgjob.job_fields
LANGUAGE sql STABLE AS $$
    SELECT j.id, j.type, j.status, j.item_count, j.items_done, j.items_failed,
           CASE WHEN p_inline_max IS NULL OR j.results_bytes < p_inline_max THEN j.results END,
           j.results_bytes, j.error, j.metadata, j.attempt_count, j.max_attempts, j.priority,
           j.run_at, j.created_at, j.started_at, j.completed_at, j.updated_at, j.expires_at,
           j.processing_ms, j.validation_flags, j.confidence, j.model, j.cache_hit, j.version,
           j.idempotency_key
      FROM pgjob.job j
     WHERE j.id = p_job_id AND j.account_id = p_account_id
$$;

-- list_jobs returns up to p_limit of the account's jobs, newest first
-- (created_at, then id, both descending), without results.  Filters are
-- optional: status, type, created after a time.  Paging: pass the
-- created_at and id of the last row of the previous page as p_before_*.
-- Raises PJ400 for an unknown status or a limit outside 1..1000.
CREATE FUNCTION pgjob.list_jobs(
    p_account_id     bigint,
    p_status         text        DEFAULT NULL,
    p_type           text        DEFAULT NULL,
    p_created_after  timestamptz DEFAULT NULL,
    p_before_created timestamptz DEFAULT NULL,
    p_before_id      uuid        DEFAULT NULL,
    p_limit          integer     DEFAULT 50)
RETURNS SETOF pgjob.job_fields
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_status IS NOT NULL AND p_status NOT IN ('queued', 'processing', 'paused', 'completed',
                                                 'failed', 'canceled', 'expired') THEN
        RAISE EXCEPTION 'status must be one of queued, processing, paused, completed, failed,'
                        ' canceled, expired' USING ERRCODE = 'PJ400', COLUMN = 'status';
    END IF;
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 1000' USING ERRCODE = 'PJ400', COLUMN = 'limit';
    END IF;
    IF (p_before_created IS NULL) <> (p_before_id IS NULL) THEN
        RAISE EXCEPTION 'a cursor needs both a time and an id' USING ERRCODE = 'PJ400',
            COLUMN = 'cursor';
    END IF;
    RETURN QUERY
        SELECT j.id, j.type, j.status, j.item_count, j.items_done, j.items_failed,
               NULL::jsonb, j.results_bytes, j.error, j.metadata, j.attempt_count,
               j.max_attempts, j.priority, j.run_at, j.created_at, j.started_at,
               j.completed_at, j.updated_at, j.expires_at, j.processing_ms,
               j.validation_flags, j.confidence, j.model, j.cache_hit, j.version,
               j.idempotency_key
          FROM pgjob.job j
         WHERE j.account_id = p_account_id
           AND (p_status IS NULL OR j.status = p_status)
           AND (p_type IS NULL OR j.type = p_type)
           AND (p_created_after IS NULL OR j.created_at > p_created_after)
           AND (p_before_created IS NULL OR (j.created_at, j.id) < (p_before_created, p_before_id))
         ORDER BY j.created_at DESC, j.id DESC
         LIMIT p_limit;
END
$$;

-- get_results returns one page of the account's job's results: the
-- results at indexes p_offset .. p_offset + p_limit - 1 (0-based) as a JSON
-- array, with how many results there are so far (a running job has those
-- of the items done: its checkpoint), the job's status and version.
-- Raises PJ404 for no such job, PJ410 when it expired, PJ400 for a bad
-- offset or limit.
CREATE FUNCTION pgjob.get_results(p_account_id bigint, p_job_id uuid, p_offset integer,
                                  p_limit integer)
RETURNS TABLE (results jsonb, total integer, status text, version bigint)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    v_job pgjob.job;
BEGIN
    IF p_offset IS NULL OR p_offset < 0 THEN
        RAISE EXCEPTION 'offset must not be negative' USING ERRCODE = 'PJ400', COLUMN = 'cursor';
    END IF;
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 10000' USING ERRCODE = 'PJ400',
            COLUMN = 'limit';
    END IF;
    SELECT j.* INTO v_job FROM pgjob.job j WHERE j.id = p_job_id AND j.account_id = p_account_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % not found', p_job_id USING ERRCODE = 'PJ404';
    END IF;
    IF v_job.status = 'expired' THEN
        RAISE EXCEPTION 'job % has expired and its results were deleted', p_job_id
            USING ERRCODE = 'PJ410';
    END IF;
    RETURN QUERY
        SELECT coalesce((SELECT jsonb_agg(r.e ORDER BY r.n)
                           FROM jsonb_array_elements(v_job.results) WITH ORDINALITY AS r(e, n)
                          WHERE r.n > p_offset AND r.n <= p_offset::bigint + p_limit), '[]'),
               jsonb_array_length(v_job.results), v_job.status, v_job.version;
END
$$;

-- queue_depth counts the live jobs by status: queued and processing from
-- the hot-set tables, paused from its partial index.  Cheap enough for a
-- health check or a metrics scrape.
CREATE FUNCTION pgjob.queue_depth()
RETURNS TABLE (status text, jobs bigint)
LANGUAGE sql STABLE AS $$
    SELECT 'queued', count(*) FROM pgjob.ready
    UNION ALL
    SELECT 'processing', count(*) FROM pgjob.lease
    UNION ALL
    SELECT 'paused', count(*) FROM pgjob.job WHERE status = 'paused'
$$;
