-- SPDX-License-Identifier: MIT
-- 007_history: job history that outlives expiry, and the reports on it.
--
-- pgjob.job_history holds one narrow row per finished job: what the
-- reports need (account, type, final status, counts, times, error code,
-- validation flags counted by code and severity, confidence, cache hit),
-- none of the items or results.  The transition that makes a job
-- terminal writes its row in the same statement, set-based:
--   complete  -> completed          fail, rescue -> failed (no retry left)
--   cancel    -> canceled
-- expire writes the row of any job it expires that has none (jobs that
-- finished before this migration are backfilled below), so an expired
-- job always keeps its history row.  Expiry and pruning of jobs never
-- touch history; history has its own retention (pgjob.history_config),
-- applied by prune in the same bounded batches.
--
-- Reports: pgjob.report_<name>(p_from, p_to) are SQL functions over the
-- jobs that finished in [p_from, p_to); the planner inlines them, so the
-- range becomes an index range scan of job_history_completed_idx.  The
-- views of the same name are the last 30 days (the hourly one: the last
-- 48 hours).  pgjob.report_queue is the live queue.  Days and hours are
-- those of the session's TimeZone.  docs/reporting.md describes them all.
--
-- This file replaces complete, fail, cancel, rescue, expire and prune of
-- 002_jobs.sql: their bodies are unchanged but for the history writes
-- (and prune's second step), marked "history:" below.

-- ---- the history table --------------------------------------------------

-- One code and severity of a job's validation flags, and how many flags
-- the job had with both.
CREATE TYPE pgjob.flag_count AS (code text, severity text, n integer);

-- No foreign keys, as with pgjob.ready and pgjob.lease: a key would cost a
-- trigger per row on the completion path, and history must outlive the
-- job row (pruned) by design.
CREATE TABLE pgjob.job_history (
    job_id           uuid PRIMARY KEY,
    account_id       bigint NOT NULL,
    type             text NOT NULL,
    -- The terminal status the job reached; expiry does not change it.
    status           text NOT NULL CHECK (status IN ('completed', 'failed', 'canceled')),
    item_count       integer NOT NULL,
    items_failed     integer NOT NULL,
    attempt_count    integer NOT NULL,
    failed_attempts  integer NOT NULL,
    created_at       timestamptz NOT NULL,
    -- Start of the latest attempt; NULL when the job never started.
    started_at       timestamptz,
    -- When the job reached its terminal status: the time every report
    -- ranges and buckets on.
    completed_at     timestamptz NOT NULL,
    processing_ms    bigint,
    -- error.code of a failed or canceled job ("canceled" for a cancel).
    error_code       text,
    -- The validation flags counted by code and severity, in that order;
    -- NULL when the job had none.  A flag without a string code or
    -- severity counts as "unknown".  An array, not jsonb, because the
    -- planner estimates unnest() of a column at 10 rows but a jsonb
    -- expansion at 100 per level: that estimate alone would make a
    -- month's flag report start a JIT compilation (0.3 s).
    flags            pgjob.flag_count[],
    confidence       double precision,
    model            text,
    cache_hit        boolean
);
-- The reports' range scans and the retention's pruning.
CREATE INDEX job_history_completed_idx ON pgjob.job_history (completed_at);

COMMENT ON TABLE pgjob.job_history IS
    'One row per finished job, kept after the job expires and is pruned; see docs/reporting.md';

-- The history's retention: rows whose completed_at is older than this are
-- deleted by pgjob.prune.  One row; change it with
--   UPDATE pgjob.history_config SET retention = '90 days';
-- It is read at each prune, so no daemon needs a reload.
CREATE TABLE pgjob.history_config (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    retention  interval NOT NULL DEFAULT '400 days' CHECK (retention >= interval '1 day')
);
INSERT INTO pgjob.history_config DEFAULT VALUES;

COMMENT ON TABLE pgjob.history_config IS
    'retention: how long pgjob.job_history keeps a row after the job finished (pruned by pgjob.prune)';

-- history_flags counts a job's validation flags (a jsonb array of
-- {code, severity, message, item}) by code and severity, the form of
-- job_history.flags.  NULL for no flags.
CREATE FUNCTION pgjob.history_flags(p_flags jsonb) RETURNS pgjob.flag_count[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT array_agg(ROW(f.code, f.severity, f.n)::pgjob.flag_count ORDER BY f.code, f.severity)
      FROM (SELECT coalesce(CASE jsonb_typeof(e -> 'code')
                            WHEN 'string' THEN e ->> 'code' END, 'unknown') AS code,
                   coalesce(CASE jsonb_typeof(e -> 'severity')
                            WHEN 'string' THEN e ->> 'severity' END, 'unknown') AS severity,
                   count(*)::integer AS n
              FROM jsonb_array_elements(p_flags) AS e
             GROUP BY 1, 2) AS f
$$;

-- Backfill: the jobs that finished before this migration.  An expired
-- stub no longer says how it ended: no error means completed, error code
-- "canceled" canceled, any other error failed.  Its flags are gone.
INSERT INTO pgjob.job_history (job_id, account_id, type, status, item_count, items_failed,
                               attempt_count, failed_attempts, created_at, started_at,
                               completed_at, processing_ms, error_code, flags, confidence,
                               model, cache_hit)
SELECT j.id, j.account_id, j.type,
       CASE WHEN j.status <> 'expired' THEN j.status
            WHEN j.error IS NULL THEN 'completed'
            WHEN j.error ->> 'code' = 'canceled' THEN 'canceled'
            ELSE 'failed' END,
       j.item_count, j.items_failed, j.attempt_count, j.failed_attempts, j.created_at,
       j.started_at, coalesce(j.completed_at, j.updated_at), j.processing_ms,
       j.error ->> 'code', pgjob.history_flags(j.validation_flags), j.confidence, j.model,
       j.cache_hit
  FROM pgjob.job j
 WHERE j.status IN ('completed', 'failed', 'canceled', 'expired');

-- ---- transitions that end a job (replacing 002_jobs.sql) ----------------

-- complete: as in 002_jobs.sql; history: the completed jobs' rows.
CREATE OR REPLACE FUNCTION pgjob.complete(p_jobs jsonb)
RETURNS TABLE (id uuid, outcome text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_in   pgjob.completion[];
    v_bad  text;
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

    PERFORM pgjob.check_batch_ids(ARRAY(SELECT i.id FROM unnest(v_in) i));
    PERFORM pgjob.lock_jobs(ARRAY(SELECT i.id FROM unnest(v_in) i));

    SELECT i.id::text INTO v_bad
      FROM unnest(v_in) i
      JOIN pgjob.job j ON j.id = i.id AND j.status = 'processing' AND j.attempt_count = i.attempt
     WHERE jsonb_array_length(i.results) <> j.item_count
     LIMIT 1;
    IF FOUND THEN
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

-- fail: as in 002_jobs.sql; history: the rows of the jobs that failed for
-- good.
CREATE OR REPLACE FUNCTION pgjob.fail(
    p_jobs         jsonb,
    p_backoff_base interval DEFAULT '1 second',
    p_backoff_max  interval DEFAULT '1 hour')
RETURNS TABLE (id uuid, outcome text, run_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_in    pgjob.failure[];
    v_bad   text;
    v_ids    uuid[];
    v_status text[];
    v_run_at timestamptz[];
    v_ready  text[];
BEGIN
    IF p_jobs IS NULL OR jsonb_typeof(p_jobs) <> 'array' THEN
        RAISE EXCEPTION 'jobs must be an array' USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    END IF;
    IF p_backoff_base IS NULL OR p_backoff_max IS NULL OR p_backoff_base < interval '0'
       OR p_backoff_max < p_backoff_base THEN
        RAISE EXCEPTION 'backoff must satisfy 0 <= base <= max'
            USING ERRCODE = 'PJ400', COLUMN = 'backoff';
    END IF;
    BEGIN
        v_in := ARRAY(SELECT jsonb_populate_recordset(NULL::pgjob.failure, p_jobs));
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'malformed failure: %', SQLERRM USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    END;

    SELECT coalesce(i.id::text, '(no id)') INTO v_bad
      FROM unnest(v_in) i
     WHERE i.id IS NULL OR i.attempt IS NULL OR i.error IS NULL
        OR jsonb_typeof(i.error) <> 'object'
        OR jsonb_typeof(i.error -> 'code') IS DISTINCT FROM 'string'
        OR jsonb_typeof(i.error -> 'message') IS DISTINCT FROM 'string'
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'malformed failure for job %: error must be {code, message}', v_bad
            USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    END IF;

    PERFORM pgjob.check_batch_ids(ARRAY(SELECT i.id FROM unnest(v_in) i));
    PERFORM pgjob.lock_jobs(ARRAY(SELECT i.id FROM unnest(v_in) i));

    WITH changed AS (
        UPDATE pgjob.job j
           SET failed_attempts = j.failed_attempts + 1,
               status = CASE WHEN coalesce(i.fatal, false)
                              OR j.failed_attempts + 1 >= j.max_attempts
                             THEN 'failed' ELSE 'queued' END,
               run_at = CASE WHEN coalesce(i.fatal, false)
                              OR j.failed_attempts + 1 >= j.max_attempts
                             THEN j.run_at
                             ELSE now() + pgjob.backoff(j.failed_attempts + 1,
                                                         p_backoff_base, p_backoff_max) END,
               error = i.error,
               completed_at = CASE WHEN coalesce(i.fatal, false)
                                    OR j.failed_attempts + 1 >= j.max_attempts
                                   THEN now() END,
               expires_at = CASE WHEN coalesce(i.fatal, false)
                                  OR j.failed_attempts + 1 >= j.max_attempts
                                 THEN now() + j.retention END,
               updated_at = now(),
               version = j.version + 1
          FROM unnest(v_in) i
         WHERE j.id = i.id AND j.status = 'processing' AND j.attempt_count = i.attempt
        RETURNING j.id, j.status, j.type, j.priority, j.run_at, j.account_id, j.item_count,
                  j.items_failed, j.attempt_count, j.failed_attempts, j.created_at,
                  j.started_at, j.completed_at, j.error ->> 'code' AS error_code
    ), freed AS (
        DELETE FROM pgjob.lease l USING changed c WHERE l.job_id = c.id
    ), requeued AS (
        INSERT INTO pgjob.ready (job_id, type, priority, run_at)
        SELECT c.id, c.type, c.priority, c.run_at FROM changed c WHERE c.status = 'queued'
    ), recorded AS (
        -- history: one row per job that failed for good.
        INSERT INTO pgjob.job_history (job_id, account_id, type, status, item_count,
                                       items_failed, attempt_count, failed_attempts,
                                       created_at, started_at, completed_at, error_code)
        SELECT c.id, c.account_id, c.type, 'failed', c.item_count, c.items_failed,
               c.attempt_count, c.failed_attempts, c.created_at, c.started_at, c.completed_at,
               c.error_code
          FROM changed c
         WHERE c.status = 'failed'
    )
    SELECT array_agg(c.id), array_agg(c.status), array_agg(c.run_at),
           array_agg(c.type) FILTER (WHERE c.status = 'queued' AND c.run_at <= now())
      INTO v_ids, v_status, v_run_at, v_ready
      FROM changed c;

    PERFORM pgjob.notify_jobs(v_ids);
    PERFORM pgjob.notify_ready(v_ready);
    RETURN QUERY
        SELECT i.id,
               CASE c.status WHEN 'queued' THEN 'retrying' WHEN 'failed' THEN 'failed'
                             ELSE 'lost' END,
               c.run_at
          FROM unnest(v_in) i
          LEFT JOIN unnest(v_ids, v_status, v_run_at) AS c(id, status, run_at) ON c.id = i.id;
END
$$;

-- cancel: as in 002_jobs.sql; history: the canceled job's row.
CREATE OR REPLACE FUNCTION pgjob.cancel(p_account_id bigint, p_job_id uuid, p_reason text DEFAULT NULL)
RETURNS SETOF pgjob.job
LANGUAGE plpgsql AS $$
DECLARE
    v_job pgjob.job;
BEGIN
    -- ready first (the lock order); the raise below undoes this if the
    -- job is not the account's or may not be canceled.
    DELETE FROM pgjob.ready r WHERE r.job_id = p_job_id;
    UPDATE pgjob.job j
       SET status = 'canceled',
           error = jsonb_build_object('code', 'canceled',
                                      'message', coalesce(p_reason, 'canceled by request')),
           completed_at = now(),
           expires_at = now() + j.retention,
           updated_at = now(),
           version = j.version + 1
     WHERE j.id = p_job_id AND j.account_id = p_account_id
       AND j.status IN ('queued', 'paused', 'processing')
    RETURNING j.* INTO v_job;
    IF NOT FOUND THEN
        PERFORM pgjob.transition_error(p_account_id, p_job_id, 'cancel');
    END IF;
    DELETE FROM pgjob.lease l WHERE l.job_id = p_job_id;
    -- history: the canceled job's row.
    INSERT INTO pgjob.job_history (job_id, account_id, type, status, item_count, items_failed,
                                   attempt_count, failed_attempts, created_at, started_at,
                                   completed_at, error_code)
    VALUES (v_job.id, v_job.account_id, v_job.type, 'canceled', v_job.item_count,
            v_job.items_failed, v_job.attempt_count, v_job.failed_attempts, v_job.created_at,
            v_job.started_at, v_job.completed_at, 'canceled');
    PERFORM pgjob.notify_jobs(ARRAY[p_job_id]);
    RETURN NEXT v_job;
END
$$;

-- rescue: as in 002_jobs.sql; history: the rows of the jobs that failed
-- for good (error code "lease_expired").
CREATE OR REPLACE FUNCTION pgjob.rescue(p_limit integer DEFAULT 1000)
RETURNS TABLE (id uuid, outcome text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_ids    uuid[];
    v_status text[];
    v_ready  text[];
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 100000' USING ERRCODE = 'PJ400', COLUMN = 'limit';
    END IF;
    WITH expired AS (
        SELECT j.id
          FROM pgjob.lease l
          JOIN pgjob.job j ON j.id = l.job_id
         WHERE l.lease_until < now()
           AND j.status = 'processing' AND j.attempt_count = l.attempt
         ORDER BY j.id
         LIMIT p_limit
           FOR NO KEY UPDATE OF j SKIP LOCKED
    ), changed AS (
        UPDATE pgjob.job j
           SET failed_attempts = j.failed_attempts + 1,
               status = CASE WHEN j.failed_attempts + 1 >= j.max_attempts
                             THEN 'failed' ELSE 'queued' END,
               run_at = now(),
               error = jsonb_build_object('code', 'lease_expired',
                                          'message', 'the worker stopped renewing its lease'),
               completed_at = CASE WHEN j.failed_attempts + 1 >= j.max_attempts THEN now() END,
               expires_at = CASE WHEN j.failed_attempts + 1 >= j.max_attempts
                                 THEN now() + j.retention END,
               updated_at = now(),
               version = j.version + 1
          FROM expired e
         WHERE j.id = e.id
        RETURNING j.id, j.status, j.type, j.priority, j.run_at, j.account_id, j.item_count,
                  j.items_failed, j.attempt_count, j.failed_attempts, j.created_at,
                  j.started_at, j.completed_at
    ), freed AS (
        DELETE FROM pgjob.lease l USING changed c WHERE l.job_id = c.id
    ), requeued AS (
        INSERT INTO pgjob.ready (job_id, type, priority, run_at)
        SELECT c.id, c.type, c.priority, c.run_at FROM changed c WHERE c.status = 'queued'
    ), recorded AS (
        -- history: one row per job that failed for good.
        INSERT INTO pgjob.job_history (job_id, account_id, type, status, item_count,
                                       items_failed, attempt_count, failed_attempts,
                                       created_at, started_at, completed_at, error_code)
        SELECT c.id, c.account_id, c.type, 'failed', c.item_count, c.items_failed,
               c.attempt_count, c.failed_attempts, c.created_at, c.started_at, c.completed_at,
               'lease_expired'
          FROM changed c
         WHERE c.status = 'failed'
    )
    SELECT array_agg(c.id), array_agg(c.status),
           array_agg(c.type) FILTER (WHERE c.status = 'queued')
      INTO v_ids, v_status, v_ready
      FROM changed c;

    PERFORM pgjob.notify_jobs(v_ids);
    PERFORM pgjob.notify_ready(v_ready);
    RETURN QUERY
        SELECT c.id, CASE c.status WHEN 'queued' THEN 'retrying' ELSE 'failed' END
          FROM unnest(v_ids, v_status) AS c(id, status);
END
$$;

-- expire: as in 002_jobs.sql; history: before the flags are dropped, the
-- row of any expiring job that has none yet (normally every job has one
-- from the transition that ended it; this keeps "an expired job has a
-- history row" true whatever ended it).
CREATE OR REPLACE FUNCTION pgjob.expire(p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_ids uuid[];
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 100000' USING ERRCODE = 'PJ400', COLUMN = 'limit';
    END IF;
    WITH due AS (
        SELECT j.id, j.account_id, j.type, j.status, j.item_count, j.items_failed,
               j.attempt_count, j.failed_attempts, j.created_at, j.started_at,
               j.completed_at, j.processing_ms, j.error ->> 'code' AS error_code,
               j.validation_flags, j.confidence, j.model, j.cache_hit
          FROM pgjob.job j
         WHERE j.status IN ('completed', 'failed', 'canceled') AND j.expires_at <= now()
         ORDER BY j.expires_at
         LIMIT p_limit
           FOR NO KEY UPDATE SKIP LOCKED
    ), changed AS (
        UPDATE pgjob.job j
           SET status = 'expired',
               items = NULL,
               results = NULL,
               results_bytes = 0,
               validation_flags = '[]',
               idempotency_key = NULL,
               request_hash = NULL,
               updated_at = now(),
               version = j.version + 1
          FROM due d
         WHERE j.id = d.id
        RETURNING j.id
    ), recorded AS (
        -- history: the rows missing, from the values before expiry.
        INSERT INTO pgjob.job_history (job_id, account_id, type, status, item_count,
                                       items_failed, attempt_count, failed_attempts,
                                       created_at, started_at, completed_at, processing_ms,
                                       error_code, flags, confidence, model, cache_hit)
        SELECT d.id, d.account_id, d.type, d.status, d.item_count, d.items_failed,
               d.attempt_count, d.failed_attempts, d.created_at, d.started_at,
               coalesce(d.completed_at, now()), d.processing_ms, d.error_code,
               pgjob.history_flags(d.validation_flags), d.confidence, d.model, d.cache_hit
          FROM due d
         WHERE NOT EXISTS (SELECT 1 FROM pgjob.job_history h WHERE h.job_id = d.id)
        ON CONFLICT (job_id) DO NOTHING
    )
    SELECT array_agg(c.id) INTO v_ids FROM changed c;
    PERFORM pgjob.notify_jobs(v_ids);
    RETURN coalesce(cardinality(v_ids), 0);
END
$$;

-- prune deletes up to p_limit rows in all: first expired stubs that
-- expired more than p_older_than ago, then, with what is left of
-- p_limit, history rows older than pgjob.history_config.retention (by
-- completed_at), oldest first.  Returns how many rows it deleted, so a
-- caller that repeats it while it returns p_limit empties both backlogs.
CREATE OR REPLACE FUNCTION pgjob.prune(p_older_than interval DEFAULT '30 days',
                                       p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_count   integer;
    v_history integer;
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 100000' USING ERRCODE = 'PJ400', COLUMN = 'limit';
    END IF;
    IF p_older_than IS NULL OR p_older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must not be negative' USING ERRCODE = 'PJ400', COLUMN = 'older_than';
    END IF;
    WITH due AS (
        SELECT j.id
          FROM pgjob.job j
         WHERE j.status = 'expired' AND j.updated_at < now() - p_older_than
         ORDER BY j.updated_at
         LIMIT p_limit
           FOR UPDATE SKIP LOCKED
    ), gone AS (
        DELETE FROM pgjob.job j USING due d WHERE j.id = d.id RETURNING j.id
    )
    SELECT count(*) INTO v_count FROM gone;
    IF v_count >= p_limit THEN
        RETURN v_count;
    END IF;

    -- history: its own retention, in what is left of the batch.
    WITH due AS (
        SELECT h.job_id
          FROM pgjob.job_history h
         WHERE h.completed_at < now() - (SELECT c.retention FROM pgjob.history_config c)
         ORDER BY h.completed_at
         LIMIT p_limit - v_count
           FOR UPDATE SKIP LOCKED
    ), gone AS (
        DELETE FROM pgjob.job_history h USING due d WHERE h.job_id = d.job_id RETURNING 1
    )
    SELECT count(*) INTO v_history FROM gone;
    RETURN v_count + v_history;
END
$$;

-- ---- reports --------------------------------------------------------------
--
-- Each report_<name>(p_from, p_to) covers the jobs that finished in
-- [p_from, p_to).  They are plain SQL (STABLE, one SELECT), which the
-- planner inlines into the calling query: p_from and p_to become the
-- bounds of an index range scan.  Percentiles are percentile_disc: a
-- value some job really had.

-- report_jobs_daily: finished jobs per day and type, by final status.
CREATE FUNCTION pgjob.report_jobs_daily(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (day timestamptz, type text, jobs bigint, completed bigint, failed bigint,
               canceled bigint, failure_rate numeric, items bigint, items_failed bigint)
LANGUAGE sql STABLE AS $$
    SELECT date_trunc('day', h.completed_at), h.type, count(*),
           count(*) FILTER (WHERE h.status = 'completed'),
           count(*) FILTER (WHERE h.status = 'failed'),
           count(*) FILTER (WHERE h.status = 'canceled'),
           round(count(*) FILTER (WHERE h.status = 'failed')::numeric / count(*), 4),
           sum(h.item_count), sum(h.items_failed)
      FROM pgjob.job_history h
     WHERE h.completed_at >= p_from AND h.completed_at < p_to
     GROUP BY 1, 2
     ORDER BY 1, 2
$$;

-- report_processing_daily: processing_ms of completed jobs per day and
-- type: p50, p95, p99, mean and max.
CREATE FUNCTION pgjob.report_processing_daily(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (day timestamptz, type text, jobs bigint, p50_ms bigint, p95_ms bigint,
               p99_ms bigint, avg_ms numeric, max_ms bigint)
LANGUAGE sql STABLE AS $$
    SELECT s.day, s.type, s.jobs, s.p[1], s.p[2], s.p[3], s.avg_ms, s.max_ms
      FROM (SELECT date_trunc('day', h.completed_at) AS day, h.type, count(*) AS jobs,
                   percentile_disc(ARRAY[0.5, 0.95, 0.99])
                       WITHIN GROUP (ORDER BY h.processing_ms) AS p,
                   round(avg(h.processing_ms), 1) AS avg_ms, max(h.processing_ms) AS max_ms
              FROM pgjob.job_history h
             WHERE h.completed_at >= p_from AND h.completed_at < p_to
               AND h.status = 'completed' AND h.processing_ms IS NOT NULL
             GROUP BY 1, 2) AS s
     ORDER BY 1, 2
$$;

-- report_queue_wait_daily: queue wait (started_at - created_at, in ms)
-- of the jobs that started, per day and type.  started_at is the start of
-- the job's latest attempt, so a retried job's wait includes its earlier
-- attempts and backoffs.
CREATE FUNCTION pgjob.report_queue_wait_daily(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (day timestamptz, type text, jobs bigint, p50_ms bigint, p95_ms bigint,
               p99_ms bigint, avg_ms numeric, max_ms bigint)
LANGUAGE sql STABLE AS $$
    SELECT s.day, s.type, s.jobs, s.p[1], s.p[2], s.p[3], round(s.avg_ms, 1), s.max_ms
      FROM (SELECT date_trunc('day', h.completed_at) AS day, h.type, count(*) AS jobs,
                   percentile_disc(ARRAY[0.5, 0.95, 0.99])
                       WITHIN GROUP (ORDER BY w.ms) AS p,
                   avg(w.ms) AS avg_ms, max(w.ms) AS max_ms
              FROM pgjob.job_history h,
                   LATERAL (SELECT floor(extract(epoch FROM h.started_at - h.created_at)
                                         * 1000)::bigint AS ms) AS w
             WHERE h.completed_at >= p_from AND h.completed_at < p_to
               AND h.started_at IS NOT NULL
             GROUP BY 1, 2) AS s
     ORDER BY 1, 2
$$;

-- report_attempts: how many attempts the finished jobs took, per type
-- and final status; share is the fraction of the type's jobs.
CREATE FUNCTION pgjob.report_attempts(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (type text, attempts integer, jobs bigint, completed bigint, failed bigint,
               canceled bigint, share numeric)
LANGUAGE sql STABLE AS $$
    SELECT h.type, h.attempt_count, count(*),
           count(*) FILTER (WHERE h.status = 'completed'),
           count(*) FILTER (WHERE h.status = 'failed'),
           count(*) FILTER (WHERE h.status = 'canceled'),
           round(count(*)::numeric / sum(count(*)) OVER (PARTITION BY h.type), 4)
      FROM pgjob.job_history h
     WHERE h.completed_at >= p_from AND h.completed_at < p_to
     GROUP BY 1, 2
     ORDER BY 1, 2
$$;

-- report_failures: failure rates per type: of jobs (failed / finished)
-- and of items (items_failed / items, over every finished job).
CREATE FUNCTION pgjob.report_failures(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (type text, jobs bigint, failed bigint, canceled bigint, failure_rate numeric,
               items bigint, items_failed bigint, item_failure_rate numeric)
LANGUAGE sql STABLE AS $$
    SELECT h.type, count(*),
           count(*) FILTER (WHERE h.status = 'failed'),
           count(*) FILTER (WHERE h.status = 'canceled'),
           round(count(*) FILTER (WHERE h.status = 'failed')::numeric / count(*), 4),
           sum(h.item_count), sum(h.items_failed),
           round(sum(h.items_failed)::numeric / nullif(sum(h.item_count), 0), 4)
      FROM pgjob.job_history h
     WHERE h.completed_at >= p_from AND h.completed_at < p_to
     GROUP BY 1
     ORDER BY 1
$$;

-- report_error_codes: the error codes of failed and canceled jobs, most
-- frequent first, per type and status.
CREATE FUNCTION pgjob.report_error_codes(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (type text, status text, error_code text, jobs bigint,
               first_at timestamptz, last_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT h.type, h.status, h.error_code, count(*), min(h.completed_at), max(h.completed_at)
      FROM pgjob.job_history h
     WHERE h.completed_at >= p_from AND h.completed_at < p_to
       AND h.status IN ('failed', 'canceled')
     GROUP BY 1, 2, 3
     ORDER BY 4 DESC, 1, 2, 3
$$;

-- report_validation_flags: validation flags per type, code and severity:
-- how many flags, and on how many jobs.
CREATE FUNCTION pgjob.report_validation_flags(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (type text, code text, severity text, flags bigint, jobs bigint)
LANGUAGE sql STABLE AS $$
    SELECT h.type, f.code, f.severity, sum(f.n), count(*)
      FROM pgjob.job_history h, LATERAL unnest(h.flags) AS f
     WHERE h.completed_at >= p_from AND h.completed_at < p_to
       AND h.flags IS NOT NULL
     GROUP BY 1, 2, 3
     ORDER BY 4 DESC, 1, 2, 3
$$;

-- report_account_items_daily: jobs and items per account and day.
CREATE FUNCTION pgjob.report_account_items_daily(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (day timestamptz, account_id bigint, account text, jobs bigint, items bigint,
               items_failed bigint)
LANGUAGE sql STABLE AS $$
    SELECT s.day, s.account_id, a.name, s.jobs, s.items, s.items_failed
      FROM (SELECT date_trunc('day', h.completed_at) AS day, h.account_id, count(*) AS jobs,
                   sum(h.item_count) AS items, sum(h.items_failed) AS items_failed
              FROM pgjob.job_history h
             WHERE h.completed_at >= p_from AND h.completed_at < p_to
             GROUP BY 1, 2) AS s
      LEFT JOIN pgjob.account a ON a.id = s.account_id
     ORDER BY 1, 2
$$;

-- report_throughput_hourly: jobs and items finished per hour and type.
CREATE FUNCTION pgjob.report_throughput_hourly(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (hour timestamptz, type text, jobs bigint, completed bigint, failed bigint,
               canceled bigint, items bigint)
LANGUAGE sql STABLE AS $$
    SELECT date_trunc('hour', h.completed_at), h.type, count(*),
           count(*) FILTER (WHERE h.status = 'completed'),
           count(*) FILTER (WHERE h.status = 'failed'),
           count(*) FILTER (WHERE h.status = 'canceled'),
           sum(h.item_count)
      FROM pgjob.job_history h
     WHERE h.completed_at >= p_from AND h.completed_at < p_to
     GROUP BY 1, 2
     ORDER BY 1, 2
$$;

-- The same reports over a recent window, as views (for psql, Metabase's
-- table browser and pgjobctl report): the last 30 days, the hourly one
-- the last 48 hours.
CREATE VIEW pgjob.report_jobs_daily AS
    SELECT * FROM pgjob.report_jobs_daily(now() - interval '30 days', 'infinity');
CREATE VIEW pgjob.report_processing_daily AS
    SELECT * FROM pgjob.report_processing_daily(now() - interval '30 days', 'infinity');
CREATE VIEW pgjob.report_queue_wait_daily AS
    SELECT * FROM pgjob.report_queue_wait_daily(now() - interval '30 days', 'infinity');
CREATE VIEW pgjob.report_attempts AS
    SELECT * FROM pgjob.report_attempts(now() - interval '30 days', 'infinity');
CREATE VIEW pgjob.report_failures AS
    SELECT * FROM pgjob.report_failures(now() - interval '30 days', 'infinity');
CREATE VIEW pgjob.report_error_codes AS
    SELECT * FROM pgjob.report_error_codes(now() - interval '30 days', 'infinity');
CREATE VIEW pgjob.report_validation_flags AS
    SELECT * FROM pgjob.report_validation_flags(now() - interval '30 days', 'infinity');
CREATE VIEW pgjob.report_account_items_daily AS
    SELECT * FROM pgjob.report_account_items_daily(now() - interval '30 days', 'infinity');
CREATE VIEW pgjob.report_throughput_hourly AS
    SELECT * FROM pgjob.report_throughput_hourly(now() - interval '48 hours', 'infinity');

-- report_queue: the live queue per type: jobs queued and due, queued for
-- later (scheduled, or waiting out a retry backoff), running and paused,
-- and the job that has been due longest with the time it became due.
-- It reads pgjob.ready and pgjob.lease (the live jobs only) and the
-- paused jobs' partial index, never the history.
CREATE VIEW pgjob.report_queue AS
    WITH live AS (
        SELECT r.type, r.run_at <= now() AS due, false AS running, false AS paused
          FROM pgjob.ready r
        UNION ALL
        SELECT j.type, false, true, false
          FROM pgjob.lease l JOIN pgjob.job j ON j.id = l.job_id
        UNION ALL
        SELECT j.type, false, false, true
          FROM pgjob.job j WHERE j.status = 'paused'
    )
    SELECT t.type, t.queued, t.scheduled, t.processing, t.paused,
           o.job_id AS oldest_job_id, o.run_at AS oldest_due_since,
           round(extract(epoch FROM now() - o.run_at)::numeric, 3) AS oldest_wait_seconds
      FROM (SELECT v.type,
                   count(*) FILTER (WHERE v.due) AS queued,
                   count(*) FILTER (WHERE NOT v.due AND NOT v.running AND NOT v.paused)
                       AS scheduled,
                   count(*) FILTER (WHERE v.running) AS processing,
                   count(*) FILTER (WHERE v.paused) AS paused
              FROM live v
             GROUP BY v.type) AS t
      LEFT JOIN LATERAL (
            SELECT r.job_id, r.run_at
              FROM pgjob.ready r
             WHERE r.type = t.type AND r.run_at <= now()
             ORDER BY r.run_at, r.seq
             LIMIT 1) AS o ON true
     ORDER BY t.type;

COMMENT ON VIEW pgjob.report_queue IS
    'Live queue per type: queued (due), scheduled (later), processing, paused, and the job due longest';
COMMENT ON FUNCTION pgjob.report_jobs_daily(timestamptz, timestamptz) IS
    'Jobs that finished in [p_from, p_to) per day and type, by final status';
COMMENT ON VIEW pgjob.report_jobs_daily IS
    'report_jobs_daily over the last 30 days';
COMMENT ON FUNCTION pgjob.report_processing_daily(timestamptz, timestamptz) IS
    'processing_ms p50/p95/p99/avg/max of completed jobs per day and type, finished in [p_from, p_to)';
COMMENT ON VIEW pgjob.report_processing_daily IS
    'report_processing_daily over the last 30 days';
COMMENT ON FUNCTION pgjob.report_queue_wait_daily(timestamptz, timestamptz) IS
    'Queue wait (started_at - created_at, ms) percentiles per day and type, finished in [p_from, p_to)';
COMMENT ON VIEW pgjob.report_queue_wait_daily IS
    'report_queue_wait_daily over the last 30 days';
COMMENT ON FUNCTION pgjob.report_attempts(timestamptz, timestamptz) IS
    'Attempts distribution per type of the jobs finished in [p_from, p_to)';
COMMENT ON VIEW pgjob.report_attempts IS
    'report_attempts over the last 30 days';
COMMENT ON FUNCTION pgjob.report_failures(timestamptz, timestamptz) IS
    'Job and item failure rates per type of the jobs finished in [p_from, p_to)';
COMMENT ON VIEW pgjob.report_failures IS
    'report_failures over the last 30 days';
COMMENT ON FUNCTION pgjob.report_error_codes(timestamptz, timestamptz) IS
    'Error codes of failed and canceled jobs finished in [p_from, p_to), most frequent first';
COMMENT ON VIEW pgjob.report_error_codes IS
    'report_error_codes over the last 30 days';
COMMENT ON FUNCTION pgjob.report_validation_flags(timestamptz, timestamptz) IS
    'Validation flags per type, code and severity of the jobs finished in [p_from, p_to)';
COMMENT ON VIEW pgjob.report_validation_flags IS
    'report_validation_flags over the last 30 days';
COMMENT ON FUNCTION pgjob.report_account_items_daily(timestamptz, timestamptz) IS
    'Jobs and items per account and day of the jobs finished in [p_from, p_to)';
COMMENT ON VIEW pgjob.report_account_items_daily IS
    'report_account_items_daily over the last 30 days';
COMMENT ON FUNCTION pgjob.report_throughput_hourly(timestamptz, timestamptz) IS
    'Jobs and items finished per hour and type in [p_from, p_to)';
COMMENT ON VIEW pgjob.report_throughput_hourly IS
    'report_throughput_hourly over the last 48 hours';
