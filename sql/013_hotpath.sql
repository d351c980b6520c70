-- SPDX-License-Identifier: MIT
-- 013_hotpath: fewer and cheaper writes per job on the claim path.
--
-- What a drain of no-op jobs wrote per job before this file (WAL read
-- with pg_walinspect, docs/benchmarks.md): about 1,930 bytes, of which 8
-- index entries (590 bytes), 2 non-HOT updates of pgjob.job that each
-- moved the row to another page (640 bytes, and a lock record each), and
-- per-row trigger work.  This file changes three things:
--
-- 1. The claim's update of pgjob.job (and the heartbeat's, release's,
--    rescue's and a retrying fail's) is a HOT update: no index on pgjob.job
--    names a column those updates change (status, attempt_count,
--    started_at, updated_at, version, items_done, results, run_at,
--    failed_attempts), and pages keep room for the new version
--    (fillfactor).  Before, three partial indexes named status or
--    updated_at, so no transition could be HOT.  Their replacements:
--      job_expiry_idx   (expires_at) of terminal jobs: expires_at is set
--                       only when a job becomes terminal, and items is
--                       NULL only once it has expired, so
--                       "expires_at IS NOT NULL AND items IS NOT NULL"
--                       is "completed, failed or canceled";
--      job_expired_idx  (expires_at) of expired stubs (items IS NULL):
--                       prune now ages a stub by its expires_at, not by
--                       its updated_at (the time expire ran, normally
--                       within one expire interval after expires_at);
--      job_paused_idx   (account_id) of paused jobs, by a new column
--                       paused_since that pause sets and resume and
--                       cancel clear: status = 'paused' <=> paused_since
--                       IS NOT NULL, kept by those three functions.
--    The completion still changes expires_at, an indexed column, so it
--    stays a non-HOT update.  Any later index on pgjob.job that names a
--    column a claim changes makes every claim non-HOT again:
--    test_sql_hotset.py checks that claims and heartbeats are HOT.
-- 2. 010's document_done ran once per row (a PL/pgSQL call and an index
--    probe of pgjob.document) for every job that became terminal,
--    document job or not.  It is now a statement trigger that deletes
--    the documents of all the statement's terminal jobs in one join, and
--    returns at once when the statement made no job terminal.
-- 3. 009's outcome counter read and joined the old and new rows of every
--    UPDATE of pgjob.job, claims and heartbeats included; a statement
--    whose rows are all 'processing' (claims, heartbeats) has no outcome,
--    and now returns at once.
--
-- This file replaces expire and prune (of 007_history.sql), pause and
-- resume (of 002_jobs.sql), cancel (of 007_history.sql), queue_depth (of
-- 004_api.sql), document_done (of 010_documents.sql), count_outcomes (of
-- 009_metrics.sql) and the view report_queue (of 007_history.sql); their
-- behaviour is unchanged but for the paused_since writes, the index
-- conditions, and prune's age of a stub.

-- ---- HOT claims -----------------------------------------------------------

ALTER TABLE pgjob.job ADD COLUMN paused_since timestamptz;
UPDATE pgjob.job SET paused_since = updated_at WHERE status = 'paused';

-- Room on each page for the claim's version of a row (and a heartbeat's):
-- a HOT update must find space on the row's own page, and a claim takes
-- the jobs of a page together (they were submitted together), so their
-- new versions need about as much room as the old.  Measured: at 70 a
-- third to a half of the claim's updates found no room and were not
-- HOT.  Pages written before this migration keep their fill.
ALTER TABLE pgjob.job SET (fillfactor = 50);

DROP INDEX pgjob.job_expiry_idx;
DROP INDEX pgjob.job_expired_idx;
DROP INDEX pgjob.job_paused_idx;
-- Expiry walks terminal jobs by expires_at.
CREATE INDEX job_expiry_idx ON pgjob.job (expires_at)
    WHERE expires_at IS NOT NULL AND items IS NOT NULL;
-- Pruning walks expired stubs by expires_at.
CREATE INDEX job_expired_idx ON pgjob.job (expires_at) WHERE items IS NULL;
-- The queue depth counts paused jobs.
CREATE INDEX job_paused_idx ON pgjob.job (account_id) WHERE paused_since IS NOT NULL;

COMMENT ON COLUMN pgjob.job.paused_since IS
    'When a paused job was paused; NULL for any other status (see 013_hotpath.sql)';

-- expire: as in 007_history.sql; the condition names items so that the
-- scan is one of job_expiry_idx.
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
         WHERE j.expires_at <= now() AND j.items IS NOT NULL
           AND j.status IN ('completed', 'failed', 'canceled')
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

-- prune: as in 007_history.sql, but a stub's age is that of its
-- expires_at (an index of stubs by updated_at would make every update
-- of pgjob.job non-HOT).
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
         WHERE j.items IS NULL AND j.expires_at < now() - p_older_than
           AND j.status = 'expired'
         ORDER BY j.expires_at
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

-- pause: as in 002_jobs.sql, and sets paused_since.
CREATE OR REPLACE FUNCTION pgjob.pause(p_account_id bigint, p_job_id uuid)
RETURNS SETOF pgjob.job
LANGUAGE plpgsql AS $$
DECLARE
    v_job pgjob.job;
BEGIN
    DELETE FROM pgjob.ready r WHERE r.job_id = p_job_id;
    UPDATE pgjob.job j
       SET status = 'paused',
           paused_since = now(),
           updated_at = now(),
           version = j.version + 1
     WHERE j.id = p_job_id AND j.account_id = p_account_id
       AND j.status IN ('queued', 'processing')
    RETURNING j.* INTO v_job;
    IF NOT FOUND THEN
        PERFORM pgjob.transition_error(p_account_id, p_job_id, 'pause');
    END IF;
    DELETE FROM pgjob.lease l WHERE l.job_id = p_job_id;
    PERFORM pgjob.notify_jobs(ARRAY[p_job_id]);
    RETURN NEXT v_job;
END
$$;

-- resume: as in 002_jobs.sql, and clears paused_since.
CREATE OR REPLACE FUNCTION pgjob.resume(p_account_id bigint, p_job_id uuid)
RETURNS SETOF pgjob.job
LANGUAGE plpgsql AS $$
DECLARE
    v_job pgjob.job;
BEGIN
    UPDATE pgjob.job j
       SET status = 'queued',
           paused_since = NULL,
           updated_at = now(),
           version = j.version + 1
     WHERE j.id = p_job_id AND j.account_id = p_account_id AND j.status = 'paused'
    RETURNING j.* INTO v_job;
    IF NOT FOUND THEN
        PERFORM pgjob.transition_error(p_account_id, p_job_id, 'resume');
    END IF;
    INSERT INTO pgjob.ready (job_id, type, priority, run_at)
    VALUES (v_job.id, v_job.type, v_job.priority, v_job.run_at);
    PERFORM pgjob.notify_jobs(ARRAY[p_job_id]);
    IF v_job.run_at <= now() THEN
        PERFORM pgjob.notify_ready(ARRAY[v_job.type]);
    END IF;
    RETURN NEXT v_job;
END
$$;

-- cancel: as in 007_history.sql, and clears paused_since.
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
           paused_since = NULL,
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

-- queue_depth: as in 004_api.sql, paused from the new partial index.
CREATE OR REPLACE FUNCTION pgjob.queue_depth()
RETURNS TABLE (status text, jobs bigint)
LANGUAGE sql STABLE AS $$
    SELECT 'queued', count(*) FROM pgjob.ready
    UNION ALL
    SELECT 'processing', count(*) FROM pgjob.lease
    UNION ALL
    SELECT 'paused', count(*) FROM pgjob.job WHERE paused_since IS NOT NULL AND status = 'paused'
$$;

-- report_queue: as in 007_history.sql, paused from the new partial index.
CREATE OR REPLACE VIEW pgjob.report_queue AS
    WITH live AS (
        SELECT r.type, r.run_at <= now() AS due, false AS running, false AS paused
          FROM pgjob.ready r
        UNION ALL
        SELECT j.type, false, true, false
          FROM pgjob.lease l JOIN pgjob.job j ON j.id = l.job_id
        UNION ALL
        SELECT j.type, false, false, true
          FROM pgjob.job j WHERE j.paused_since IS NOT NULL AND j.status = 'paused'
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

-- ---- documents: one statement per statement ------------------------------

-- document_done: as in 010_documents.sql, for all the rows of the
-- statement that are terminal at once: their documents are deleted, and
-- the completed ones with a cache key leave their outcome in the cache.
-- When one statement completes two jobs of the same cache key, the one
-- with the greater id is kept (the cache holds one outcome per key).
CREATE OR REPLACE FUNCTION pgjob.document_done() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgjob, pg_temp AS $$
BEGIN
    -- Most statements make no job terminal (claims, heartbeats), or make
    -- terminal only jobs without a document (one probe of document's key
    -- each).  Returning here also keeps the statement below, which locks
    -- result_cache even when it writes nothing, off the path of every job
    -- that is not a document's.
    IF NOT EXISTS (SELECT 1 FROM new_rows n JOIN pgjob.document d ON d.job_id = n.id
                    WHERE n.status IN ('completed', 'failed', 'canceled', 'expired')) THEN
        RETURN NULL;
    END IF;
    WITH gone AS (
        DELETE FROM pgjob.document d
         USING new_rows n
         WHERE d.job_id = n.id
           AND n.status IN ('completed', 'failed', 'canceled', 'expired')
        RETURNING d.cache_key, d.cache_scope, n.id, n.status, n.type, n.results,
                  n.validation_flags, n.confidence, n.model
    )
    INSERT INTO pgjob.result_cache AS c (scope, cache_key, type, results, validation_flags,
                                         confidence, model)
    SELECT DISTINCT ON (g.cache_scope, g.cache_key)
           g.cache_scope, g.cache_key, g.type, g.results, g.validation_flags,
           g.confidence, g.model
      FROM gone g
     WHERE g.status = 'completed' AND g.cache_key IS NOT NULL AND g.results IS NOT NULL
     ORDER BY g.cache_scope, g.cache_key, g.id DESC
        ON CONFLICT (scope, cache_key) DO UPDATE
       SET type = EXCLUDED.type, results = EXCLUDED.results,
           validation_flags = EXCLUDED.validation_flags, confidence = EXCLUDED.confidence,
           model = EXCLUDED.model, created_at = now();
    RETURN NULL;
END
$$;

DROP TRIGGER job_document_done ON pgjob.job;
-- The transition table is the one 009's counter already has captured.
CREATE TRIGGER job_document_done
    AFTER UPDATE ON pgjob.job
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pgjob.document_done();

-- ---- outcome counters: nothing to count in a claim ----------------------

-- count_outcomes: as in 009_metrics.sql, but a statement whose rows are
-- all 'processing' (a claim, heartbeats) has no outcome to count.
CREATE OR REPLACE FUNCTION pgjob.count_outcomes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgjob, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.status <> 'processing') THEN
        RETURN NULL;
    END IF;
    INSERT INTO pgjob.outcome_count AS c (type, outcome, shard, jobs)
    SELECT n.type, k.outcome, pg_backend_pid() % 16, count(*)
      FROM new_rows n
      JOIN old_rows o ON o.id = n.id
     CROSS JOIN LATERAL (SELECT CASE
              WHEN n.status = o.status THEN NULL
              WHEN n.status IN ('completed', 'failed', 'canceled', 'expired') THEN n.status
              WHEN n.status = 'queued' AND n.failed_attempts > o.failed_attempts THEN 'retried'
            END AS outcome) k
     WHERE k.outcome IS NOT NULL
     GROUP BY n.type, k.outcome
     ORDER BY n.type, k.outcome
        ON CONFLICT (type, outcome, shard) DO UPDATE SET jobs = c.jobs + EXCLUDED.jobs;
    RETURN NULL;
END
$$;
