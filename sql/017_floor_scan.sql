-- SPDX-License-Identifier: MIT
-- 017_floor_scan: the claim's floor positions its index scan.
--
-- 012_hotset.sql meant a claim's scan of pgjob.ready to start at the
-- floor of its rank, so that under a held snapshot it would walk only the
-- entries deleted since the floor was written.  Its condition named the
-- rank twice, as "(-priority, run_at, seq) >= (rank, run_at, seq) AND
-- -priority = rank".  For the first index column the B-tree start takes
-- the equality and leaves the row comparison to be checked entry by
-- entry: the scan started at the front of the rank and walked every dead
-- entry there.  Those entries failed the row comparison inside the index,
-- so no heap page was read and the index scan's own statistics (tuples
-- returned) did not count them, but every claim read all the index pages
-- holding them: under a held snapshot, 1.5 to 4 ms a claim of 100 after
-- 30,000 claimed jobs, against 0.1 to 0.2 ms with the start at the floor
-- (EXPLAIN (ANALYZE, BUFFERS): 229 index pages against 9).
--
-- The rank is now bounded from above ("-priority <= rank"), which with
-- the row comparison means the same rows; the row comparison is then the
-- only lower bound of the first column, and the scan starts at the floor.
-- test_sql_hotset.py counts the index pages a claim reads.
--
-- This file replaces claim (of 012_hotset.sql); nothing else changes.

-- claim: as in 012_hotset.sql, with the floor's scan bounded as above.
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
                   AND -r.priority <= v_rank
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
