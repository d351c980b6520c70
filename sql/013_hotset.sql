-- SPDX-License-Identifier: MIT
-- 013_hotset: the claim and the completion, measured and made cheaper.
--
-- What the measurements of docs/benchmarks.md found (pg_stat_statements
-- and EXPLAIN (ANALYZE, BUFFERS) during a drain of no-op jobs):
--   - claim's DELETE of the picked pgjob.ready rows was planned as a hash
--     join over a sequential scan of the whole of pgjob.ready: its cost
--     grew with the depth of the queue (12 ms a claim of 100 at 20,000
--     queued).  It now deletes the rows it locked by their ctid.
--   - claim returned its rows one by one through a plpgsql loop (RETURN
--     NEXT, copying every jsonb value); a third of the claim's time.  It
--     now returns the one statement's rows (RETURN QUERY), and the
--     pgjob_job notification is sent inside that statement.
--   - complete checked its batch in three statements before its UPDATE
--     (duplicate ids, a lock of the rows in id order, the result counts);
--     now in one: the lock in id order and the checks read the same rows.
--
-- Everything else is as before: the invariants of 001_schema.sql, the
-- fencing checks, one notification per channel per statement and the
-- history rows of 007_history.sql.  This file replaces claim (of
-- 002_jobs.sql) and complete (of 007_history.sql).

-- claim: as in 002_jobs.sql.  The rows come back in claim order.
CREATE OR REPLACE FUNCTION pgjob.claim(
    p_worker text,
    p_limit  integer,
    p_types  text[]   DEFAULT NULL,
    p_lease  interval DEFAULT '30 seconds')
RETURNS TABLE (id uuid, type text, attempt integer, max_attempts integer,
               items jsonb, item_count integer, items_done integer, items_failed integer,
               results jsonb, metadata jsonb, lease_until timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    IF p_worker IS NULL OR length(p_worker) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'worker must be a name of 1 to 200 characters'
            USING ERRCODE = 'PJ400', COLUMN = 'worker';
    END IF;
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 1000' USING ERRCODE = 'PJ400', COLUMN = 'limit';
    END IF;
    IF p_lease IS NULL OR p_lease NOT BETWEEN interval '1 second' AND interval '1 hour' THEN
        RAISE EXCEPTION 'lease must be between 1 second and 1 hour'
            USING ERRCODE = 'PJ400', COLUMN = 'lease';
    END IF;

    RETURN QUERY
        WITH picked AS MATERIALIZED (
            SELECT r.ctid AS tid, r.job_id,
                   row_number() OVER (ORDER BY r.priority DESC, r.run_at, r.seq) AS n
              FROM (SELECT r.ctid, r.job_id, r.priority, r.run_at, r.seq
                      FROM pgjob.ready r
                     WHERE r.run_at <= now()
                       AND (p_types IS NULL OR r.type = ANY (p_types))
                     ORDER BY r.priority DESC, r.run_at, r.seq
                     LIMIT p_limit
                       FOR UPDATE SKIP LOCKED) AS r
        ), taken AS (
            -- By ctid: the rows are locked, so they are where picked saw
            -- them (ready rows are never updated, only deleted).
            DELETE FROM pgjob.ready r
             WHERE r.ctid = ANY (ARRAY(SELECT p.tid FROM picked p))
            RETURNING r.job_id
        ), started AS (
            UPDATE pgjob.job j
               SET status = 'processing',
                   attempt_count = j.attempt_count + 1,
                   started_at = now(),
                   updated_at = now(),
                   version = j.version + 1
              FROM taken t
             WHERE j.id = t.job_id
            RETURNING j.id, j.type, j.attempt_count, j.max_attempts, j.items, j.item_count,
                      j.items_done, j.items_failed, j.results, j.metadata
        ), leased AS (
            INSERT INTO pgjob.lease (job_id, attempt, worker, lease_until)
            SELECT s.id, s.attempt_count, p_worker, now() + p_lease
              FROM started s
            RETURNING job_id, lease_until
        ), notified AS MATERIALIZED (
            -- One pgjob_job notification for the statement.
            SELECT pgjob.notify_jobs(array_agg(l.job_id)) AS done FROM leased l
        )
        SELECT s.id, s.type, s.attempt_count, s.max_attempts, s.items, s.item_count,
               s.items_done, s.items_failed, s.results, s.metadata, l.lease_until
          FROM started s
          JOIN leased l ON l.job_id = s.id
          JOIN picked p ON p.job_id = s.id
         CROSS JOIN notified
         ORDER BY p.n;
END
$$;

-- complete: as in 007_history.sql (and 002_jobs.sql), with the checks of
-- the batch in one statement.
CREATE OR REPLACE FUNCTION pgjob.complete(p_jobs jsonb)
RETURNS TABLE (id uuid, outcome text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_in   pgjob.completion[];
    v_bad  text;
    v_why  text;
    v_done uuid[];
BEGIN
    IF p_jobs IS NULL OR jsonb_typeof(p_jobs) <> 'array' THEN
        RAISE EXCEPTION 'jobs must be an array' USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    END IF;
    BEGIN
        v_in := ARRAY(SELECT jsonb_populate_recordset(NULL::pgjob.completion, p_jobs));
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'malformed completion: %', SQLERRM USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    END;

    SELECT coalesce(i.id::text, '(no id)') INTO v_bad
      FROM unnest(v_in) i
     WHERE i.id IS NULL OR i.attempt IS NULL
        OR i.results IS NULL OR jsonb_typeof(i.results) <> 'array'
        OR (i.validation_flags IS NOT NULL AND jsonb_typeof(i.validation_flags) <> 'array')
        OR i.processing_ms < 0 OR i.confidence NOT BETWEEN 0 AND 1 OR i.items_failed < 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'malformed completion for job %', v_bad
            USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    END IF;

    -- One statement: a job named twice (check_batch_ids' error), then,
    -- with the rows locked in id order (lock_jobs' order, against
    -- deadlocks), a held attempt whose results do not match its items.
    SELECT b.id, b.why INTO v_bad, v_why
      FROM (SELECT t.id::text AS id, 'dup' AS why, 0 AS rank
              FROM unnest(v_in) AS t
             GROUP BY t.id
            HAVING count(*) > 1
            UNION ALL
            SELECT i.id::text, 'count', 1
              FROM (SELECT j.id, j.status, j.attempt_count, j.item_count
                      FROM pgjob.job j
                     WHERE j.id = ANY (ARRAY(SELECT u.id FROM unnest(v_in) u))
                     ORDER BY j.id
                       FOR NO KEY UPDATE) AS l
              JOIN unnest(v_in) i ON i.id = l.id
             WHERE l.status = 'processing' AND l.attempt_count = i.attempt
               AND jsonb_array_length(i.results) <> l.item_count) AS b
     ORDER BY b.rank
     LIMIT 1;
    IF v_why = 'dup' THEN
        RAISE EXCEPTION 'job % appears more than once in the batch, or an entry has no id', v_bad
            USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    ELSIF v_why = 'count' THEN
        RAISE EXCEPTION 'completion for job % does not hold one result per item', v_bad
            USING ERRCODE = 'PJ400', COLUMN = 'results';
    END IF;

    WITH done AS (
        UPDATE pgjob.job j
           SET status = 'completed',
               results = i.results,
               results_bytes = octet_length(i.results::text),
               items_done = j.item_count,
               items_failed = least(j.item_count, coalesce(i.items_failed,
                   (SELECT count(*) FROM jsonb_array_elements(i.results) AS r(e)
                     WHERE jsonb_typeof(r.e -> 'error') <> 'null')::integer)),
               processing_ms = i.processing_ms,
               validation_flags = coalesce(i.validation_flags, '[]'),
               confidence = i.confidence,
               model = i.model,
               cache_hit = i.cache_hit,
               error = NULL,
               completed_at = now(),
               expires_at = now() + j.retention,
               updated_at = now(),
               version = j.version + 1
          FROM unnest(v_in) i
         WHERE j.id = i.id AND j.status = 'processing' AND j.attempt_count = i.attempt
        RETURNING j.id, j.account_id, j.type, j.item_count, j.items_failed, j.attempt_count,
                  j.failed_attempts, j.created_at, j.started_at, j.completed_at,
                  j.processing_ms, j.validation_flags, j.confidence, j.model, j.cache_hit
    ), freed AS (
        DELETE FROM pgjob.lease l USING done d WHERE l.job_id = d.id
    ), recorded AS (
        -- history: one row per completed job.
        INSERT INTO pgjob.job_history (job_id, account_id, type, status, item_count,
                                       items_failed, attempt_count, failed_attempts,
                                       created_at, started_at, completed_at, processing_ms,
                                       error_code, flags, confidence, model, cache_hit)
        SELECT d.id, d.account_id, d.type, 'completed', d.item_count, d.items_failed,
               d.attempt_count, d.failed_attempts, d.created_at, d.started_at, d.completed_at,
               d.processing_ms, NULL,
               CASE WHEN d.validation_flags <> '[]' THEN pgjob.history_flags(d.validation_flags) END,
               d.confidence, d.model, d.cache_hit
          FROM done d
    )
    SELECT array_agg(d.id) INTO v_done FROM done d;

    PERFORM pgjob.notify_jobs(v_done);
    RETURN QUERY
        SELECT i.id, CASE WHEN i.id = ANY (coalesce(v_done, '{}')) THEN 'completed' ELSE 'lost' END
          FROM unnest(v_in) i;
END
$$;
