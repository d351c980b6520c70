-- SPDX-License-Identifier: MIT
-- 016_heartbeat_delta: a heartbeat sends only the results added since the
-- last checkpoint the database recorded.
--
-- Before, each checkpoint replaced the job's results with the whole array
-- so far, so a job of N items sent O(N^2) bytes over its heartbeats.  Now
-- heartbeat takes p_results_from = k: p_results holds the results from
-- index k on (0-based), and the job's results become its first k results
-- followed by p_results.  k may not be past the results recorded (that
-- would leave a gap): such a call raises PJ409 and changes nothing.
--
-- Why "from k, replace what is there" and not "append": a heartbeat whose
-- answer is lost may or may not have been committed.  pgjobd keeps the
-- index the database last confirmed and sends from there again, so a
-- resend of the same k (with the same or more results) gives the same
-- array whether or not the first one was recorded: nothing lost, nothing
-- duplicated.
--
-- Without p_results_from (NULL) p_results replaces the whole array, as
-- before, so every existing caller keeps working.  Fencing is as in
-- 011_hardening.sql: only the attempt that holds the job writes; a stale
-- attempt changes nothing and is told 'lost'.  The update still touches
-- no indexed column, so it stays a HOT update (013_hotpath.sql).
--
-- The new parameter changes the function's signature, so the old one is
-- dropped first (two overloads with defaults would make every short call
-- ambiguous).  pgjobctl migrate sets again, by function name, what
-- roles.sql.example set on it.

DROP FUNCTION pgjob.heartbeat(uuid, integer, interval, integer, integer, jsonb);

-- heartbeat extends the lease of attempt p_attempt of a job and, when
-- given, records its checkpoint: items_done, items_failed and the
-- results (all of them, or those from index p_results_from on).  The
-- first heartbeat of an attempt marks it started.  Returns 'running' and
-- the new lease_until, or 'canceled' / 'paused' (the attempt's job was
-- stopped by its client) or 'lost' (the attempt no longer holds it).
CREATE FUNCTION pgjob.heartbeat(
    p_job_id       uuid,
    p_attempt      integer,
    p_lease        interval DEFAULT '30 seconds',
    p_items_done   integer  DEFAULT NULL,
    p_items_failed integer  DEFAULT NULL,
    p_results      jsonb    DEFAULT NULL,
    p_results_from integer  DEFAULT NULL)
RETURNS TABLE (state text, lease_until timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_status  text;
    v_attempt integer;
    v_have    integer;
    v_old     jsonb;
    v_results jsonb;
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
    IF p_results_from IS NOT NULL AND p_results IS NULL THEN
        RAISE EXCEPTION 'results_from needs results' USING ERRCODE = 'PJ400',
            COLUMN = 'results_from';
    END IF;
    IF p_results_from < 0 THEN
        RAISE EXCEPTION 'results_from must not be negative' USING ERRCODE = 'PJ400',
            COLUMN = 'results_from';
    END IF;

    -- A delta: read the results recorded, locked until the end of the
    -- transaction, and splice p_results in at p_results_from.  When this
    -- attempt does not hold the job, nothing is found and the UPDATE
    -- below changes nothing either.
    v_results := p_results;
    IF p_results_from IS NOT NULL THEN
        SELECT j.results INTO v_old
          FROM pgjob.job j
         WHERE j.id = p_job_id AND j.status = 'processing' AND j.attempt_count = p_attempt
           FOR NO KEY UPDATE;
        IF FOUND THEN
            v_have := coalesce(jsonb_array_length(v_old), 0);
            IF v_have < p_results_from THEN
                RAISE EXCEPTION 'results_from % is past the % results recorded',
                    p_results_from, v_have USING ERRCODE = 'PJ409', COLUMN = 'results_from';
            ELSIF v_have = p_results_from THEN
                v_results := coalesce(v_old, '[]'::jsonb) || p_results;
            ELSE
                v_results := (SELECT coalesce(jsonb_agg(e.value ORDER BY e.ordinality), '[]')
                                FROM jsonb_array_elements(v_old) WITH ORDINALITY e
                               WHERE e.ordinality <= p_results_from) || p_results;
            END IF;
        END IF;
    END IF;

    IF p_items_done IS NOT NULL OR p_items_failed IS NOT NULL OR p_results IS NOT NULL THEN
        UPDATE pgjob.job j
           SET items_done = least(coalesce(p_items_done, j.items_done), j.item_count),
               items_failed = least(coalesce(p_items_failed, j.items_failed), j.item_count),
               results = coalesce(v_results, j.results),
               results_bytes = coalesce(octet_length(v_results::text), j.results_bytes),
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
