-- SPDX-License-Identifier: MIT
-- 002_jobs: the job state machine, one function per transition.
--
-- Each function is one round trip.  Errors a caller must tell apart carry
-- an SQLSTATE of class PJ whose last three characters are the HTTP status
-- the front end answers with:
--   PJ400  a malformed argument; the COLUMN field names it
--   PJ404  no such job for this account
--   PJ409  the job's state forbids the transition
--   PJ422  unprocessable: bad items, or an idempotency key reused with a
--          different request
--
-- Notifications: at most one per channel per statement, never one per row.
--   pgjob_ready  payload: the types of jobs that became claimable, space
--                separated; workers LISTEN here.
--   pgjob_job    payload: the ids of the jobs that changed, space
--                separated, or '*' when too many changed at once; waiting
--                readers LISTEN here and match their job's id.
--
-- Lock order, to keep transitions free of deadlocks: pgjob.ready, then
-- pgjob.job (several rows in id order), then pgjob.lease.

-- notify_jobs sends one pgjob_job notification naming the changed jobs.
CREATE FUNCTION pgjob.notify_jobs(p_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_ids IS NULL OR cardinality(p_ids) = 0 THEN
        RETURN;
    END IF;
    -- A payload must stay under 8000 bytes; 200 ids take about 7400.
    IF cardinality(p_ids) > 200 THEN
        PERFORM pg_notify('pgjob_job', '*');
    ELSE
        PERFORM pg_notify('pgjob_job', array_to_string(p_ids, ' '));
    END IF;
END
$$;

-- notify_ready sends one pgjob_ready notification naming the job types
-- that have claimable work now.
CREATE FUNCTION pgjob.notify_ready(p_types text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_payload text;
BEGIN
    IF p_types IS NULL OR cardinality(p_types) = 0 THEN
        RETURN;
    END IF;
    SELECT string_agg(DISTINCT t, ' ') INTO v_payload FROM unnest(p_types) AS t;
    IF length(v_payload) > 7900 THEN
        v_payload := '*';
    END IF;
    PERFORM pg_notify('pgjob_ready', v_payload);
END
$$;

-- transition_error raises the error for a transition that found no job
-- in an allowed state: PJ404 when the account has no such job, else PJ409.
CREATE FUNCTION pgjob.transition_error(p_account_id bigint, p_job_id uuid, p_action text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
BEGIN
    SELECT j.status INTO v_status
      FROM pgjob.job j
     WHERE j.id = p_job_id AND j.account_id = p_account_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % not found', p_job_id USING ERRCODE = 'PJ404';
    END IF;
    RAISE EXCEPTION 'cannot % a job that is %', p_action, v_status
        USING ERRCODE = 'PJ409', DETAIL = v_status;
END
$$;

-- backoff is the delay before retry number p_failures (1 for the first
-- retry): p_base * 2^(p_failures - 1), capped at p_max, then jittered to a
-- random point in its upper half so that failed jobs do not return in step.
CREATE FUNCTION pgjob.backoff(p_failures integer, p_base interval, p_max interval)
RETURNS interval
LANGUAGE sql VOLATILE AS $$
    SELECT least(p_max, p_base * power(2, least(greatest(p_failures, 1) - 1, 30)))
           * (0.5 + random() * 0.5)
$$;

-- submit creates one job holding a batch of items and queues it.
-- With an idempotency key, a repeat of the same request returns the job
-- created first (created = false); the same key with a different request
-- raises PJ422.
CREATE FUNCTION pgjob.submit(
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

    INSERT INTO pgjob.ready (job_id, type, priority, run_at)
    VALUES (v_job.id, v_job.type, v_job.priority, v_job.run_at);
    IF v_job.run_at <= now() THEN
        PERFORM pgjob.notify_ready(ARRAY[v_job.type]);
    END IF;
    RETURN QUERY SELECT true, v_job;
END
$$;

-- claim takes up to p_limit due jobs (of the given types, or of any type
-- when p_types is NULL), highest priority first, then oldest, skipping
-- jobs other workers are claiming.  Each is leased to p_worker for
-- p_lease and its attempt_count goes up by one; the returned attempt is
-- the fencing token for heartbeat, complete, fail and release.
-- items_done and results are the checkpoint a resumed job continues from.
CREATE FUNCTION pgjob.claim(
    p_worker text,
    p_limit  integer,
    p_types  text[]   DEFAULT NULL,
    p_lease  interval DEFAULT '30 seconds')
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

    FOR v_row IN
        WITH picked AS (
            SELECT r.job_id
              FROM pgjob.ready r
             WHERE r.run_at <= now()
               AND (p_types IS NULL OR r.type = ANY (p_types))
             ORDER BY r.priority DESC, r.run_at, r.seq
             LIMIT p_limit
               FOR UPDATE SKIP LOCKED
        ), taken AS (
            DELETE FROM pgjob.ready r
             USING picked p
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
            INSERT INTO pgjob.lease (job_id, attempt, worker, lease_until)
            SELECT s.id, s.attempt_count, p_worker, now() + p_lease
              FROM started s
            RETURNING job_id, lease_until
        )
        SELECT s.*, l.lease_until
          FROM started s
          JOIN leased l ON l.job_id = s.id
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

-- heartbeat extends the lease of attempt p_attempt of a job and, when
-- given, records progress: items done and failed so far and the results
-- of the items done (the checkpoint, in item order).  state tells the
-- worker what to do next:
--   running   the lease is extended to lease_until; carry on
--   canceled  the attempt no longer holds the job, which is canceled now;
--             stop, write nothing
--   paused    the attempt no longer holds the job, which is paused now;
--             stop, write nothing
--   lost      the attempt no longer holds the job for any other reason
--             (its lease expired and was rescued, or the job moved on to
--             another attempt); stop, write nothing
-- canceled and paused describe the job as it is, not why the attempt lost
-- it: an attempt rescued before the job was paused also hears 'paused'.
CREATE FUNCTION pgjob.heartbeat(
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
       SET lease_until = now() + p_lease
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

-- lock_jobs locks the given jobs in id order, so that batch transitions
-- running at once wait for each other instead of deadlocking.
CREATE FUNCTION pgjob.lock_jobs(p_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    SELECT NULL::void FROM (
        SELECT 1 FROM pgjob.job j WHERE j.id = ANY (p_ids) ORDER BY j.id FOR NO KEY UPDATE
    ) AS locked
$$;

-- check_batch_ids raises PJ400 when a batch names a job twice (or an
-- entry has no id): one outcome per job and call.
CREATE FUNCTION pgjob.check_batch_ids(p_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_dup text;
BEGIN
    SELECT coalesce(t.id::text, '(no id)') INTO v_dup
      FROM unnest(p_ids) AS t(id)
     GROUP BY t.id
    HAVING count(*) > 1 OR t.id IS NULL
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'job % appears more than once in the batch, or an entry has no id', v_dup
            USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    END IF;
END
$$;

-- The entries of a batch of completions, failures or releases; callers
-- pass them as JSON arrays of objects with these fields.
CREATE TYPE pgjob.completion AS (
    id uuid, attempt integer, results jsonb, processing_ms bigint, items_failed integer,
    validation_flags jsonb, confidence double precision, model text, cache_hit boolean);
CREATE TYPE pgjob.failure AS (id uuid, attempt integer, error jsonb, fatal boolean);
CREATE TYPE pgjob.attempt_ref AS (id uuid, attempt integer);

-- complete records the outcome of many successful attempts at once.
-- p_jobs is an array of objects:
--   {id, attempt, results, processing_ms?, items_failed?, validation_flags?,
--    confidence?, model?, cache_hit?}
-- results holds one result per item in item order; items_failed defaults
-- to the number of results with a non-null "error".  Only the holder of
-- the attempt writes: an entry whose attempt no longer holds its job is
-- answered 'lost' and changes nothing.  A malformed entry raises PJ400 and
-- the whole call changes nothing.  Returns one row per entry.
CREATE FUNCTION pgjob.complete(p_jobs jsonb)
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
        RETURNING j.id
    ), freed AS (
        DELETE FROM pgjob.lease l USING done d WHERE l.job_id = d.id
    )
    SELECT array_agg(d.id) INTO v_done FROM done d;

    PERFORM pgjob.notify_jobs(v_done);
    RETURN QUERY
        SELECT i.id, CASE WHEN i.id = ANY (coalesce(v_done, '{}')) THEN 'completed' ELSE 'lost' END
          FROM unnest(v_in) i;
END
$$;

-- fail records many failed attempts at once.  p_jobs is an array of
--   {id, attempt, error: {code, message}, fatal?}
-- A job goes back to queued, not before an exponential backoff with
-- jitter, until it has failed max_attempts times; then, or at once when
-- fatal is true, it fails for good with this error.  A job keeps its
-- checkpoint, so a retry continues where the last heartbeat left it.
-- outcome per entry: 'retrying', 'failed', or 'lost' (the attempt no
-- longer holds the job; nothing changed).
CREATE FUNCTION pgjob.fail(
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
        RETURNING j.id, j.status, j.type, j.priority, j.run_at
    ), freed AS (
        DELETE FROM pgjob.lease l USING changed c WHERE l.job_id = c.id
    ), requeued AS (
        INSERT INTO pgjob.ready (job_id, type, priority, run_at)
        SELECT c.id, c.type, c.priority, c.run_at FROM changed c WHERE c.status = 'queued'
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

-- renew extends the leases of many attempts at once, without recording
-- progress: for jobs a daemon has claimed but not started yet (prefetch).
-- p_jobs is an array of {id, attempt}.  state per entry: 'running' (the
-- lease now ends at p_lease from now) or 'lost' (the attempt no longer
-- holds the job; drop it).
CREATE FUNCTION pgjob.renew(p_jobs jsonb, p_lease interval DEFAULT '30 seconds')
RETURNS TABLE (id uuid, state text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_in  pgjob.attempt_ref[];
    v_ids uuid[];
BEGIN
    IF p_jobs IS NULL OR jsonb_typeof(p_jobs) <> 'array' THEN
        RAISE EXCEPTION 'jobs must be an array' USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    END IF;
    IF p_lease IS NULL OR p_lease NOT BETWEEN interval '1 second' AND interval '1 hour' THEN
        RAISE EXCEPTION 'lease must be between 1 second and 1 hour'
            USING ERRCODE = 'PJ400', COLUMN = 'lease';
    END IF;
    BEGIN
        v_in := ARRAY(SELECT jsonb_populate_recordset(NULL::pgjob.attempt_ref, p_jobs));
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'malformed entry: %', SQLERRM USING ERRCODE = 'PJ400', COLUMN = 'jobs';
    END;
    PERFORM pgjob.check_batch_ids(ARRAY(SELECT i.id FROM unnest(v_in) i));
    WITH renewed AS (
        UPDATE pgjob.lease l
           SET lease_until = now() + p_lease
          FROM unnest(v_in) i
         WHERE l.job_id = i.id AND l.attempt = i.attempt
        RETURNING l.job_id
    )
    SELECT array_agg(r.job_id) INTO v_ids FROM renewed r;
    RETURN QUERY
        SELECT i.id, CASE WHEN i.id = ANY (coalesce(v_ids, '{}')) THEN 'running' ELSE 'lost' END
          FROM unnest(v_in) i;
END
$$;

-- release hands claimed jobs back at once, for a worker that stops before
-- finishing them (a shutdown).  p_jobs is an array of {id, attempt}.  The
-- attempt is not counted as a failure; the job is queued again with its
-- checkpoint and can be claimed immediately.  outcome per entry:
-- 'released', or 'lost' when the attempt no longer held the job.
CREATE FUNCTION pgjob.release(p_jobs jsonb)
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
               run_at = now(),
               updated_at = now(),
               version = j.version + 1
          FROM unnest(v_in) i
         WHERE j.id = i.id AND j.status = 'processing' AND j.attempt_count = i.attempt
        RETURNING j.id, j.type, j.priority, j.run_at
    ), freed AS (
        DELETE FROM pgjob.lease l USING changed c WHERE l.job_id = c.id
    ), requeued AS (
        INSERT INTO pgjob.ready (job_id, type, priority, run_at)
        SELECT c.id, c.type, c.priority, c.run_at FROM changed c
    )
    SELECT array_agg(c.id), array_agg(c.type) INTO v_ids, v_types FROM changed c;

    PERFORM pgjob.notify_jobs(v_ids);
    PERFORM pgjob.notify_ready(v_types);
    RETURN QUERY
        SELECT i.id, CASE WHEN i.id = ANY (coalesce(v_ids, '{}')) THEN 'released' ELSE 'lost' END
          FROM unnest(v_in) i;
END
$$;

-- cancel stops a job of the account for good: queued, paused or
-- processing become canceled, with error {code: "canceled", message}.  A
-- running worker learns it at its next heartbeat.  Raises PJ404 or PJ409.
CREATE FUNCTION pgjob.cancel(p_account_id bigint, p_job_id uuid, p_reason text DEFAULT NULL)
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
    PERFORM pgjob.notify_jobs(ARRAY[p_job_id]);
    RETURN NEXT v_job;
END
$$;

-- pause holds a queued or processing job of the account until resume.  A
-- running worker stops at its next heartbeat; the interrupted attempt is
-- not a failure, and the job keeps its last checkpoint.  Raises PJ404 or
-- PJ409.
CREATE FUNCTION pgjob.pause(p_account_id bigint, p_job_id uuid)
RETURNS SETOF pgjob.job
LANGUAGE plpgsql AS $$
DECLARE
    v_job pgjob.job;
BEGIN
    DELETE FROM pgjob.ready r WHERE r.job_id = p_job_id;
    UPDATE pgjob.job j
       SET status = 'paused',
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

-- resume queues a paused job of the account again; it continues from its
-- checkpoint.  Raises PJ404 or PJ409.
CREATE FUNCTION pgjob.resume(p_account_id bigint, p_job_id uuid)
RETURNS SETOF pgjob.job
LANGUAGE plpgsql AS $$
DECLARE
    v_job pgjob.job;
BEGIN
    UPDATE pgjob.job j
       SET status = 'queued',
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

-- rescue takes back up to p_limit jobs whose lease expired (their worker
-- died or hung): each counts a failed attempt and goes back to queued at
-- once, or to failed with error {code: "lease_expired"} when it has
-- failed max_attempts times.  Jobs being written right now are skipped
-- and rescued by a later call.  outcome per job: 'retrying' or 'failed'.
CREATE FUNCTION pgjob.rescue(p_limit integer DEFAULT 1000)
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
        RETURNING j.id, j.status, j.type, j.priority, j.run_at
    ), freed AS (
        DELETE FROM pgjob.lease l USING changed c WHERE l.job_id = c.id
    ), requeued AS (
        INSERT INTO pgjob.ready (job_id, type, priority, run_at)
        SELECT c.id, c.type, c.priority, c.run_at FROM changed c WHERE c.status = 'queued'
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

-- expire turns up to p_limit terminal jobs whose retention has passed
-- into expired stubs: id, account, type, times, counts, attempts and error
-- stay; items, results, validation flags and the idempotency key (free
-- for reuse from then on) are dropped.  Returns how many expired.
CREATE FUNCTION pgjob.expire(p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_ids uuid[];
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 100000' USING ERRCODE = 'PJ400', COLUMN = 'limit';
    END IF;
    WITH due AS (
        SELECT j.id
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
    )
    SELECT array_agg(c.id) INTO v_ids FROM changed c;
    PERFORM pgjob.notify_jobs(v_ids);
    RETURN coalesce(cardinality(v_ids), 0);
END
$$;

-- prune deletes up to p_limit expired stubs that expired more than
-- p_older_than ago.  Returns how many it deleted.
CREATE FUNCTION pgjob.prune(p_older_than interval DEFAULT '30 days', p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_count integer;
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
    RETURN v_count;
END
$$;
