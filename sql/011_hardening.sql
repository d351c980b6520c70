-- SPDX-License-Identifier: MIT
-- 011_hardening: a job handed back keeps its place in line, and an
-- attempt that never started is not a failure.
--
-- Place in line: rescue() and release() used to set run_at = now(), which
-- sent a job whose daemon died to the back of a deep queue.  They now keep
-- run_at as it was (least(run_at, now()): never later than now, so the job
-- is claimable at once) and its submission order (pgjob.ready.seq, kept in
-- its lease), so the job is claimed before the jobs submitted after it
-- (claims order by priority, run_at, then seq).
--
-- Started attempts: a daemon claims more jobs than it has idle workers
-- (prefetch); the extra ones wait in its memory.  If it dies, their leases
-- expire and rescue() used to count a failed attempt for each, so a job
-- could fail for good (failed_attempts = max_attempts) without its handler
-- ever running.  pgjob.lease.started now says whether the attempt has
-- started: claim(..., p_start) marks the first p_start rows it returns as
-- started (those go to idle workers at once) and the others not; the
-- first heartbeat of an attempt marks it started.  rescue() counts a
-- failure only for a started attempt; an expired lease that never started
-- is queued again as it was, with outcome 'requeued'.  attempt_count still
-- goes up with every claim: fencing is unchanged.  A guard: once a job
-- has had more than 100 attempts that were not failures (never started,
-- released, paused), an expired lease counts as a failure whatever it
-- says, so that a job which kills its daemon before its first heartbeat
-- cannot come back forever.

ALTER TABLE pgjob.lease ADD COLUMN started boolean NOT NULL DEFAULT true;
-- The job's pgjob.ready.seq when it was claimed: a job handed back gets it
-- again, so that it keeps its place among jobs of the same priority and
-- run_at (a batch submitted in one statement shares one now()).  NULL for
-- a lease made before this migration.
ALTER TABLE pgjob.lease ADD COLUMN seq bigint;

-- requeue_seq is the seq a job handed back is queued with: its own, or a
-- new one when its lease does not have it.
CREATE FUNCTION pgjob.requeue_seq(p_seq bigint) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    SELECT coalesce(p_seq, nextval(pg_get_serial_sequence('pgjob.ready', 'seq')))
$$;

DROP FUNCTION pgjob.claim(text, integer, text[], interval);

-- claim takes up to p_limit due jobs (of the given types, or of any type
-- when p_types is NULL), highest priority first, then oldest, skipping
-- jobs other workers are claiming.  Each is leased to p_worker for
-- p_lease and its attempt_count goes up by one; the returned attempt is
-- the fencing token for heartbeat, complete, fail and release.
-- items_done and results are the checkpoint a resumed job continues from.
-- Rows come back in claim order; the first p_start of them (all when
-- p_start is NULL) are started attempts, the others wait until their
-- first heartbeat (see the top of this file).
CREATE FUNCTION pgjob.claim(
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
    v_row record;
    v_ids uuid[] := '{}';
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

    FOR v_row IN
        WITH picked AS (
            SELECT r.job_id, r.priority, r.run_at, r.seq
              FROM pgjob.ready r
             WHERE r.run_at <= now()
               AND (p_types IS NULL OR r.type = ANY (p_types))
             ORDER BY r.priority DESC, r.run_at, r.seq
             LIMIT p_limit
               FOR UPDATE SKIP LOCKED
        ), numbered AS (
            SELECT p.job_id, p.seq,
                   row_number() OVER (ORDER BY p.priority DESC, p.run_at, p.seq) AS n
              FROM picked p
        ), taken AS (
            DELETE FROM pgjob.ready r
             USING numbered p
             WHERE r.job_id = p.job_id
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
            INSERT INTO pgjob.lease (job_id, attempt, worker, lease_until, started, seq)
            SELECT s.id, s.attempt_count, p_worker, now() + p_lease,
                   p_start IS NULL OR n.n <= p_start, n.seq
              FROM started s
              JOIN numbered n ON n.job_id = s.id
            RETURNING job_id, lease_until
        )
        SELECT s.*, l.lease_until
          FROM started s
          JOIN leased l ON l.job_id = s.id
          JOIN numbered n ON n.job_id = s.id
         ORDER BY n.n
    LOOP
        id := v_row.id;
        type := v_row.type;
        attempt := v_row.attempt_count;
        max_attempts := v_row.max_attempts;
        items := v_row.items;
        item_count := v_row.item_count;
        items_done := v_row.items_done;
        items_failed := v_row.items_failed;
        results := v_row.results;
        metadata := v_row.metadata;
        lease_until := v_row.lease_until;
        v_ids := v_ids || v_row.id;
        RETURN NEXT;
    END LOOP;

    PERFORM pgjob.notify_jobs(v_ids);
END
$$;

-- heartbeat: as in 002_jobs.sql, and the attempt is started from its
-- first heartbeat on.
CREATE OR REPLACE FUNCTION pgjob.heartbeat(
    p_job_id       uuid,
    p_attempt      integer,
    p_lease        interval DEFAULT '30 seconds',
    p_items_done   integer  DEFAULT NULL,
    p_items_failed integer  DEFAULT NULL,
    p_results      jsonb    DEFAULT NULL)
RETURNS TABLE (state text, lease_until timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_status  text;
    v_attempt integer;
    v_until   timestamptz;
BEGIN
    IF p_lease IS NULL OR p_lease NOT BETWEEN interval '1 second' AND interval '1 hour' THEN
        RAISE EXCEPTION 'lease must be between 1 second and 1 hour'
            USING ERRCODE = 'PJ400', COLUMN = 'lease';
    END IF;
    IF p_results IS NOT NULL AND jsonb_typeof(p_results) <> 'array' THEN
        RAISE EXCEPTION 'results must be an array' USING ERRCODE = 'PJ400', COLUMN = 'results';
    END IF;
    IF p_items_done < 0 THEN
        RAISE EXCEPTION 'items_done must not be negative' USING ERRCODE = 'PJ400',
            COLUMN = 'items_done';
    END IF;
    IF p_items_failed < 0 THEN
        RAISE EXCEPTION 'items_failed must not be negative' USING ERRCODE = 'PJ400',
            COLUMN = 'items_failed';
    END IF;

    IF p_items_done IS NOT NULL OR p_items_failed IS NOT NULL OR p_results IS NOT NULL THEN
        UPDATE pgjob.job j
           SET items_done = least(coalesce(p_items_done, j.items_done), j.item_count),
               items_failed = least(coalesce(p_items_failed, j.items_failed), j.item_count),
               results = coalesce(p_results, j.results),
               results_bytes = coalesce(octet_length(p_results::text), j.results_bytes),
               updated_at = now(),
               version = j.version + 1
         WHERE j.id = p_job_id AND j.status = 'processing' AND j.attempt_count = p_attempt;
        IF FOUND THEN
            PERFORM pgjob.notify_jobs(ARRAY[p_job_id]);
        END IF;
    END IF;

    UPDATE pgjob.lease l
       SET lease_until = now() + p_lease,
           started = true
     WHERE l.job_id = p_job_id AND l.attempt = p_attempt
    RETURNING l.lease_until INTO v_until;
    IF FOUND THEN
        RETURN QUERY SELECT 'running'::text, v_until;
        RETURN;
    END IF;

    SELECT j.status, j.attempt_count INTO v_status, v_attempt
      FROM pgjob.job j
     WHERE j.id = p_job_id;
    IF v_attempt = p_attempt AND v_status IN ('canceled', 'paused') THEN
        RETURN QUERY SELECT v_status, NULL::timestamptz;
    ELSE
        RETURN QUERY SELECT 'lost'::text, NULL::timestamptz;
    END IF;
END
$$;

-- release: as in 002_jobs.sql, but the job keeps its run_at (its place in
-- line).
CREATE OR REPLACE FUNCTION pgjob.release(p_jobs jsonb)
RETURNS TABLE (id uuid, outcome text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_in    pgjob.attempt_ref[];
    v_ids   uuid[];
    v_types text[];
BEGIN
    IF p_jobs IS NULL OR jsonb_typeof(p_jobs) <> 'array' THEN
        RAISE EXCEPTION 'jobs must be an array' USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    END IF;
    BEGIN
        v_in := ARRAY(SELECT jsonb_populate_recordset(NULL::pgjob.attempt_ref, p_jobs));
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'malformed entry: %', SQLERRM USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    END;
    IF EXISTS (SELECT 1 FROM unnest(v_in) i WHERE i.attempt IS NULL) THEN
        RAISE EXCEPTION 'every entry needs an attempt' USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    END IF;
    PERFORM pgjob.check_batch_ids(ARRAY(SELECT i.id FROM unnest(v_in) i));
    PERFORM pgjob.lock_jobs(ARRAY(SELECT i.id FROM unnest(v_in) i));

    WITH changed AS (
        UPDATE pgjob.job j
           SET status = 'queued',
               run_at = least(j.run_at, now()),
               updated_at = now(),
               version = j.version + 1
          FROM unnest(v_in) i
         WHERE j.id = i.id AND j.status = 'processing' AND j.attempt_count = i.attempt
        RETURNING j.id, j.type, j.priority, j.run_at
    ), freed AS (
        DELETE FROM pgjob.lease l USING changed c WHERE l.job_id = c.id
        RETURNING l.job_id, l.seq
    ), requeued AS (
        INSERT INTO pgjob.ready (job_id, type, priority, run_at, seq) OVERRIDING SYSTEM VALUE
        SELECT c.id, c.type, c.priority, c.run_at, pgjob.requeue_seq(f.seq)
          FROM changed c JOIN freed f ON f.job_id = c.id
    )
    SELECT array_agg(c.id), array_agg(c.type) INTO v_ids, v_types FROM changed c;

    PERFORM pgjob.notify_jobs(v_ids);
    PERFORM pgjob.notify_ready(v_types);
    RETURN QUERY
        SELECT i.id, CASE WHEN i.id = ANY (coalesce(v_ids, '{}')) THEN 'released' ELSE 'lost' END
          FROM unnest(v_in) i;
END
$$;

-- rescue takes back up to p_limit jobs whose lease expired (their worker
-- died or hung); as in 007_history.sql, a job that fails for good gets its
-- history row.  A started attempt counts as failed: the job goes back
-- to queued ('retrying'), or to failed with error {code: "lease_expired"}
-- when it has failed max_attempts times ('failed').  An attempt that
-- never started is no failure: the job is queued again unchanged
-- ('requeued').  Either way a queued job keeps its run_at, its place in
-- line.  Jobs being written right now are skipped and rescued by a later
-- call.
CREATE OR REPLACE FUNCTION pgjob.rescue(p_limit integer DEFAULT 1000)
RETURNS TABLE (id uuid, outcome text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_ids     uuid[];
    v_outcome text[];
    v_ready   text[];
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 100000' USING ERRCODE = 'PJ400', COLUMN = 'limit';
    END IF;
    WITH expired AS (
        SELECT j.id, l.started OR j.attempt_count - j.failed_attempts > 100 AS started
          FROM pgjob.lease l
          JOIN pgjob.job j ON j.id = l.job_id
         WHERE l.lease_until < now()
           AND j.status = 'processing' AND j.attempt_count = l.attempt
         ORDER BY j.id
         LIMIT p_limit
           FOR NO KEY UPDATE OF j SKIP LOCKED
    ), changed AS (
        UPDATE pgjob.job j
           SET failed_attempts = j.failed_attempts + CASE WHEN e.started THEN 1 ELSE 0 END,
               status = CASE WHEN e.started AND j.failed_attempts + 1 >= j.max_attempts
                             THEN 'failed' ELSE 'queued' END,
               run_at = least(j.run_at, now()),
               error = CASE WHEN e.started
                            THEN jsonb_build_object('code', 'lease_expired',
                                     'message', 'the worker stopped renewing its lease')
                            ELSE j.error END,
               completed_at = CASE WHEN e.started AND j.failed_attempts + 1 >= j.max_attempts
                                   THEN now() END,
               expires_at = CASE WHEN e.started AND j.failed_attempts + 1 >= j.max_attempts
                                 THEN now() + j.retention END,
               updated_at = now(),
               version = j.version + 1
          FROM expired e
         WHERE j.id = e.id
        RETURNING j.id, j.status, e.started, j.type, j.priority, j.run_at, j.account_id,
                  j.item_count, j.items_failed, j.attempt_count, j.failed_attempts,
                  j.created_at, j.started_at, j.completed_at
    ), freed AS (
        DELETE FROM pgjob.lease l USING changed c WHERE l.job_id = c.id
        RETURNING l.job_id, l.seq
    ), requeued AS (
        INSERT INTO pgjob.ready (job_id, type, priority, run_at, seq) OVERRIDING SYSTEM VALUE
        SELECT c.id, c.type, c.priority, c.run_at, pgjob.requeue_seq(f.seq)
          FROM changed c JOIN freed f ON f.job_id = c.id
         WHERE c.status = 'queued'
    ), recorded AS (
        -- history (007_history.sql): one row per job that failed for good.
        INSERT INTO pgjob.job_history (job_id, account_id, type, status, item_count,
                                       items_failed, attempt_count, failed_attempts,
                                       created_at, started_at, completed_at, error_code)
        SELECT c.id, c.account_id, c.type, 'failed', c.item_count, c.items_failed,
               c.attempt_count, c.failed_attempts, c.created_at, c.started_at, c.completed_at,
               'lease_expired'
          FROM changed c
         WHERE c.status = 'failed'
    )
    SELECT array_agg(c.id),
           array_agg(CASE WHEN c.status = 'failed' THEN 'failed'
                          WHEN c.started THEN 'retrying' ELSE 'requeued' END),
           array_agg(c.type) FILTER (WHERE c.status = 'queued' AND c.run_at <= now())
      INTO v_ids, v_outcome, v_ready
      FROM changed c;

    PERFORM pgjob.notify_jobs(v_ids);
    PERFORM pgjob.notify_ready(v_ready);
    RETURN QUERY SELECT c.id, c.outcome FROM unnest(v_ids, v_outcome) AS c(id, outcome);
END
$$;
