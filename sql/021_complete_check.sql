-- SPDX-License-Identifier: MIT
-- 021_complete_check: the completion's check statement cannot turn
-- quadratic.
--
-- pgjob.complete (012_hotset.sql) first locks the batch's processing
-- rows in id order and checks each held attempt's result count, in one
-- statement that joined the locked rows with the batch's entries.  The
-- planner estimates one locked row (the table's statistics were taken
-- while the jobs were queued) and, in a generic plan, ten entries, so
-- it may pick a nested loop that compares every entry with every row:
-- 10,000 comparisons for a batch of 100.  It did so in the second
-- backlog of a held-snapshot drain, where that statement took 1.5 ms
-- for the batch explained (auto_explain) instead of 0.5 in the first
-- backlog (docs/benchmarks.md, "The completion's check").
--
-- Now each entry, in id order, locks and reads its own row through a
-- LATERAL subquery: one index probe per entry, in the same lock order,
-- whatever the statistics say.  test_sql_hotset.py checks the plan with
-- the other joins turned off.  The completion's update (done) still
-- joins as the planner likes; with a table of real size it probes the
-- primary key per entry.
--
-- This file replaces complete (of 012_hotset.sql); only that statement
-- changes.

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
    -- 021: each entry, in id order, locks and reads its own row (the
    -- LATERAL subquery runs once per entry, so the rows are locked in
    -- the entries' order); no join the planner may pick compares every
    -- entry with every row.
    SELECT b.id, b.why INTO v_bad, v_why
      FROM (SELECT t.id::text AS id, 'dup' AS why, 0 AS rank
              FROM unnest(v_in) AS t
             GROUP BY t.id
            HAVING count(*) > 1
            UNION ALL
            SELECT i.id::text, 'count', 1
              FROM (SELECT u.id, u.attempt, u.results FROM unnest(v_in) u ORDER BY u.id) AS i
             CROSS JOIN LATERAL (
                    SELECT j.attempt_count, j.item_count
                      FROM pgjob.job j
                     WHERE j.id = i.id AND j.status = 'processing'
                       FOR NO KEY UPDATE) AS l
             WHERE l.attempt_count = i.attempt
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
