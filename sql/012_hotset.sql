-- SPDX-License-Identifier: MIT
-- 012_hotset: the claim and the completion, measured and made cheaper.
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
--   - complete deleted its leases through a join that was planned as a
--     scan of all of lease_pkey: cheap while VACUUM keeps up, but under a
--     held snapshot every lease of the drain stays in that index, and the
--     UPDATE statement of complete went from 11 to 90 ms a batch of 100
--     on the second backlog (300 index entries read per job).  complete
--     and fail now delete leases by key, and claim updates jobs by key.
--   - under a held snapshot a claim walked every dead entry of
--     pgjob.ready in front of the live rows: the floor below.
--
-- Everything else is as before: the invariants of 001_schema.sql, the
-- fencing checks, one notification per channel per statement and the
-- history rows of 007_history.sql, and what 011_hardening.sql added to
-- the claim (p_start, the lease's started and seq).  This file replaces
-- claim (of 011_hardening.sql), complete and fail (of 007_history.sql).

-- ---- the claim's floor ----------------------------------------------------
--
-- A claim scans pgjob.ready in claim order and stops after p_limit rows.
-- The rows that earlier claims deleted stay in the index until VACUUM
-- removes them, and VACUUM cannot while any session holds a snapshot
-- older than the deletes (a long REPEATABLE READ transaction, a base
-- backup, a replica with hot_standby_feedback): every claim then walks
-- every dead entry in front of the live rows again, so claims got slower
-- batch after batch (11.7 ms to 48.8 ms per claim of 100 in the issue's
-- measurement).
--
-- The floor says where, in claim order, the live rows of a job type
-- start: pgjob.ready_floor holds, per type, the key (rank, run_at, seq)
-- of the first row the last claim that recorded it took (rank is
-- -priority, so claim order is ascending (rank, run_at, seq)).  A claim
-- scans the floor's rank from the floor on, so its index scan starts
-- there and walks only the entries deleted since; lower ranks (higher
-- priorities) and higher ranks are scanned whole, so a floor never hides
-- a row of another priority, and within its rank a due row can never be
-- behind a row that was due before it.  What a floor may skip is only
-- what a claim walked past: rows deleted, and rows other claims held
-- locked.  Rows put back in front of a floor (a job that keeps its place
-- in line, as release, rescue and resume do, or a submit with an
-- earlier run_at)
-- lower it at once, whichever function inserts them (trigger
-- ready_floor_lower).  Two
-- rare cases are left to a full scan, which every claim makes when its
-- types' floors were last checked 5 seconds ago or more (and which
-- resets them): a claim that skipped rows another claim held, which then
-- rolled back, and a row whose inserting transaction committed after a
-- claim moved the floor past it.  Such a row waits at most those 5
-- seconds.
--
-- A claim records its floor in one claim of five (and on every full
-- scan), so the floor rows see few updates: under a held snapshot each
-- update leaves a dead version, and those are what a claim reads.

CREATE TABLE pgjob.ready_floor (
    type        text PRIMARY KEY,
    rank        integer NOT NULL,
    run_at      timestamptz NOT NULL,
    seq         bigint NOT NULL,
    -- The last full scan of this type's claims.
    checked_at  timestamptz NOT NULL
);
ALTER TABLE pgjob.ready_floor SET (fillfactor = 20);

COMMENT ON TABLE pgjob.ready_floor IS
    'Per job type, where the live rows of pgjob.ready start in claim order (see 012_hotset.sql)';

-- Claim order as one ascending key, so that a row comparison can start
-- an index scan at the floor.
CREATE INDEX ready_order_idx ON pgjob.ready ((-priority), run_at, seq);
CREATE INDEX ready_type_order_idx ON pgjob.ready (type, (-priority), run_at, seq);
DROP INDEX pgjob.ready_claim_idx;
DROP INDEX pgjob.ready_type_claim_idx;

-- ready_floor_lower moves a floor back to a row queued in front of it
-- (same type and rank, earlier in claim order), once per statement.
CREATE FUNCTION pgjob.ready_floor_lower() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pgjob.ready_floor f
       SET run_at = n.run_at, seq = n.seq
      FROM (SELECT DISTINCT ON (r.type, r.priority) r.type, -r.priority AS rank, r.run_at, r.seq
              FROM new_rows r
             ORDER BY r.type, r.priority, r.run_at, r.seq) AS n
     WHERE f.type = n.type AND f.rank = n.rank AND (n.run_at, n.seq) < (f.run_at, f.seq);
    RETURN NULL;
END
$$;

CREATE TRIGGER ready_floor_lower
    AFTER INSERT ON pgjob.ready
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pgjob.ready_floor_lower();

-- ---- claim ------------------------------------------------------------------

-- claim: as in 011_hardening.sql (rows in claim order, the first
-- p_start of them started attempts, each lease keeping the job's seq).
CREATE OR REPLACE FUNCTION pgjob.claim(
    p_worker text,
    p_limit  integer,
    p_types  text[]   DEFAULT NULL,
    p_lease  interval DEFAULT '30 seconds',
    p_start  integer  DEFAULT NULL)
RETURNS TABLE (id uuid, type text, attempt integer, max_attempts integer,
               items jsonb, item_count integer, items_done integer, items_failed integer,
               results jsonb, metadata jsonb, lease_until timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_types  text[];
    v_floors integer;
    v_ranks  integer;
    v_rank   integer;
    v_run_at timestamptz;
    v_seq    bigint;
    v_full   boolean;
    v_recheck interval;
    v_tids   tid[] := '{}';
    v_more   tid[];
    v_krank  integer;
    v_krun   timestamptz;
    v_kseq   bigint;
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
    IF p_start < 0 THEN
        RAISE EXCEPTION 'start must not be negative' USING ERRCODE = 'PJ400', COLUMN = 'start';
    END IF;

    -- The floor of the claimed types: usable when every type has one, all
    -- in the same rank, checked less than 5 seconds ago.  A claim of every
    -- type (p_types NULL) always scans in full.
    IF p_types IS NOT NULL THEN
        v_recheck := coalesce(nullif(current_setting('pgjob.claim_full_scan_interval', true), ''),
                              '5 seconds')::interval;
        v_types := ARRAY(SELECT DISTINCT t FROM unnest(p_types) AS t WHERE t IS NOT NULL);
        SELECT count(*), count(DISTINCT f.rank), min(f.rank),
               (array_agg(f.run_at ORDER BY f.run_at, f.seq))[1],
               (array_agg(f.seq ORDER BY f.run_at, f.seq))[1]
          INTO v_floors, v_ranks, v_rank, v_run_at, v_seq
          FROM pgjob.ready_floor f
         WHERE f.type = ANY (v_types) AND f.checked_at > now() - v_recheck;
    END IF;
    v_full := p_types IS NULL OR v_floors IS DISTINCT FROM cardinality(v_types)
              OR v_ranks IS DISTINCT FROM 1;

    -- Lock the rows to take, in claim order, by ctid: from the floor on in
    -- its rank, the other ranks whole (lower first: they come first).
    IF v_full THEN
        v_tids := ARRAY(
            SELECT r.ctid FROM pgjob.ready r
             WHERE r.run_at <= now() AND (p_types IS NULL OR r.type = ANY (p_types))
             ORDER BY -r.priority, r.run_at, r.seq
             LIMIT p_limit
               FOR UPDATE SKIP LOCKED);
    ELSE
        v_tids := ARRAY(
            SELECT r.ctid FROM pgjob.ready r
             WHERE -r.priority < v_rank AND r.run_at <= now() AND r.type = ANY (v_types)
             ORDER BY -r.priority, r.run_at, r.seq
             LIMIT p_limit
               FOR UPDATE SKIP LOCKED);
        IF cardinality(v_tids) < p_limit THEN
            v_more := ARRAY(
                SELECT r.ctid FROM pgjob.ready r
                 WHERE (-r.priority, r.run_at, r.seq) >= (v_rank, v_run_at, v_seq)
                   AND -r.priority = v_rank
                   AND r.run_at <= now() AND r.type = ANY (v_types)
                 ORDER BY -r.priority, r.run_at, r.seq
                 LIMIT p_limit - cardinality(v_tids)
                   FOR UPDATE SKIP LOCKED);
            v_tids := v_tids || v_more;
        END IF;
        IF cardinality(v_tids) < p_limit THEN
            v_more := ARRAY(
                SELECT r.ctid FROM pgjob.ready r
                 WHERE -r.priority > v_rank AND r.run_at <= now() AND r.type = ANY (v_types)
                 ORDER BY -r.priority, r.run_at, r.seq
                 LIMIT p_limit - cardinality(v_tids)
                   FOR UPDATE SKIP LOCKED);
            v_tids := v_tids || v_more;
        END IF;
    END IF;

    -- The new floor: the key of the first row taken.  Everything before
    -- it in its rank was walked past by this claim: deleted, or held by
    -- another claim.  It is written after a full scan, when it moves to
    -- another rank, or when it moved more than two claims' worth of
    -- submissions (seq); so a claim walks at most about that many dead
    -- entries.  A full scan that took nothing puts the floor back at the
    -- very front.
    IF p_types IS NOT NULL THEN
        SELECT -r.priority, r.run_at, r.seq INTO v_krank, v_krun, v_kseq
          FROM pgjob.ready r
         WHERE r.ctid = v_tids[1];
        IF NOT v_full AND (v_krank IS NULL OR (v_krank = v_rank AND v_kseq - v_seq <= 2 * p_limit)) THEN
            v_krank := NULL;
        ELSIF v_full AND v_krank IS NULL THEN
            v_krank := -1000;
            v_krun := '-infinity';
            v_kseq := 0;
        END IF;
        IF v_full THEN
            -- A type without a floor starts at the very front.
            INSERT INTO pgjob.ready_floor (type, rank, run_at, seq, checked_at)
            SELECT t, -1000, '-infinity', 0, now() FROM unnest(v_types) AS t
            ON CONFLICT (type) DO NOTHING;
        END IF;
        IF v_krank IS NOT NULL THEN
            -- Floors another claim is writing are left to it.
            UPDATE pgjob.ready_floor f
               SET rank = v_krank, run_at = v_krun, seq = v_kseq,
                   checked_at = CASE WHEN v_full THEN now() ELSE f.checked_at END
             WHERE f.ctid = ANY (ARRAY(SELECT g.ctid FROM pgjob.ready_floor g
                                        WHERE g.type = ANY (v_types)
                                          FOR UPDATE SKIP LOCKED));
        END IF;
    END IF;

    RETURN QUERY
        WITH taken AS (
            -- The rows are locked, so they are where the scan saw them
            -- (ready rows are never updated, only deleted).
            DELETE FROM pgjob.ready r
             WHERE r.ctid = ANY (v_tids)
            RETURNING r.job_id, -r.priority AS rank, r.run_at, r.seq
        ), numbered AS (
            SELECT t.job_id, t.seq, row_number() OVER (ORDER BY t.rank, t.run_at, t.seq) AS n
              FROM taken t
        ), started AS (
            UPDATE pgjob.job j
               SET status = 'processing',
                   attempt_count = j.attempt_count + 1,
                   started_at = now(),
                   updated_at = now(),
                   version = j.version + 1
             WHERE j.id = ANY (ARRAY(SELECT t.job_id FROM taken t))
            RETURNING j.id, j.type, j.attempt_count, j.max_attempts, j.items, j.item_count,
                      j.items_done, j.items_failed, j.results, j.metadata
        ), leased AS (
            INSERT INTO pgjob.lease (job_id, attempt, worker, lease_until, started, seq)
            SELECT s.id, s.attempt_count, p_worker, now() + p_lease,
                   p_start IS NULL OR n.n <= p_start, n.seq
              FROM started s
              JOIN numbered n ON n.job_id = s.id
            RETURNING job_id, lease_until
        ), notified AS MATERIALIZED (
            -- One pgjob_job notification for the statement.
            SELECT pgjob.notify_jobs(array_agg(l.job_id)) AS done FROM leased l
        )
        SELECT s.id, s.type, s.attempt_count, s.max_attempts, s.items, s.item_count,
               s.items_done, s.items_failed, s.results, s.metadata, l.lease_until
          FROM started s
          JOIN leased l ON l.job_id = s.id
          JOIN numbered n ON n.job_id = s.id
         CROSS JOIN notified
         ORDER BY n.n;
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
        -- By key, one index probe per job: a join may be planned as a
        -- scan of all of lease_pkey, which under a held snapshot holds
        -- every lease of the drain (measured: 300 entries read per job).
        DELETE FROM pgjob.lease l WHERE l.job_id = ANY (ARRAY(SELECT d.id FROM done d))
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

-- fail: as in 007_history.sql (and 002_jobs.sql), but for the leases
-- deleted by key.
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
        -- By key (see complete).
        DELETE FROM pgjob.lease l WHERE l.job_id = ANY (ARRAY(SELECT c.id FROM changed c))
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
