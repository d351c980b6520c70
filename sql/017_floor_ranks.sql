-- SPDX-License-Identifier: MIT
-- 017_floor_ranks: a claim starts at its floors, and has one per rank.
--
-- Two faults of 012_hotset.sql's floor, both costly under a held
-- snapshot.
--
-- 1. The floor's scan did not start at the floor.
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
-- 2. One floor per type left the ranks in front of it unbounded.
--
-- 012_hotset.sql gave each job type one floor, in one rank (-priority):
-- a claim scanned that rank from its floor, but the ranks before it
-- (higher priorities) from their very start.  Under a held snapshot the
-- dead entries of higher priorities stay in the index, so once the jobs
-- of a higher priority were all claimed and the floor moved on to a
-- lower one, every claim walked them all again (measured: 6,000 claimed
-- jobs of priority 10, then claims of priority 0 read 38 to 43 index
-- pages each, against 7 to 16).  Moving the floor back over them is no
-- answer: a job of a higher priority scheduled for later is in front of
-- such a floor, and would be hidden when it falls due.
--
-- So pgjob.ready_floor now holds a floor per job type and rank: where the
-- live rows of that type start within that rank.  A claim reads the
-- floors of its types, keeps the ranks where every type has one (the
-- lowest key among them), and scans in claim order: each floored rank
-- from its floor, the ranks between them from their start (no claim took
-- a row there since their floors were set; a rank whose floor a full
-- scan forgot, or where only some of the types have one, is walked from
-- its start until a claim takes a row there again), stopping once it has
-- its rows.  It records, for every rank it
-- took rows from, the key of the first row taken there: as 012 did for
-- its one rank (on a full scan; for a rank without a floor yet; or when
-- the floor moved by more than two claims' worth of submissions).  A
-- full scan (every claim_full_scan_interval, 5 seconds by default)
-- keeps the floors of the ranks it walked through without taking a row,
-- sets those of the ranks it took from and forgets those beyond the last
-- of them, so a floor that hid a row (the rare cases of 012) lasts no
-- longer than before.
-- The trigger ready_floor_lower already matches a floor by type and
-- rank: a row queued in front of the floor of its rank lowers it.  A
-- claim does not wait for another claim's floor rows: it skips one
-- another claim is writing, sets only the floor rows it read unchanged
-- since (so one lowered meanwhile stays lowered), and inserts one only
-- under an advisory lock on (type, rank) tried without waiting (an insert
-- that met another claim's uncommitted row would wait for it, and claims
-- of overlapping types could deadlock).  A floor at '-infinity'
-- (left by a full scan that took nothing) starts no rank.
--
-- This file replaces claim (of 012_hotset.sql) and the key of
-- pgjob.ready_floor; nothing else changes.

ALTER TABLE pgjob.ready_floor DROP CONSTRAINT ready_floor_pkey;
ALTER TABLE pgjob.ready_floor ADD PRIMARY KEY (type, rank);

COMMENT ON TABLE pgjob.ready_floor IS
    'Per job type and rank (-priority), where the live rows of pgjob.ready start in claim order (see 012_hotset.sql, 017_floor_ranks.sql)';

-- claim: as in 012_hotset.sql, with a floor per rank, each scanned from
-- its floor (1 and 2 above).
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
    v_types   text[];
    v_floored integer;
    v_fresh   boolean;
    v_checked timestamptz;
    v_ranks   integer[] := '{}';
    v_runs    timestamptz[];
    v_seqs    bigint[];
    v_full    boolean;
    v_recheck interval;
    v_prev    integer := -1001;  -- below every rank (priority is -1000 to 1000)
    v_tids    tid[] := '{}';
    -- The rows whose keys the floors are taken from: the first row of each
    -- floored rank's scan, every row of the scans that may span ranks.
    v_keyed   tid[] := '{}';
    v_more    tid[];
    v_at      integer;
    v_kranks  integer[];
    v_kruns   timestamptz[];
    v_kseqs   bigint[];
    v_set     bigint;
    v_fctids  tid[];  -- the floor rows as this claim read them
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

    -- The floors of the claimed types: usable when every type has at
    -- least one and none was last checked 5 seconds ago or more.  The
    -- ranks kept are those where every type has a floor, each at the
    -- lowest key among them.  A claim of every type (p_types NULL) always
    -- scans in full.
    IF p_types IS NOT NULL THEN
        v_recheck := coalesce(nullif(current_setting('pgjob.claim_full_scan_interval', true), ''),
                              '5 seconds')::interval;
        v_types := ARRAY(SELECT DISTINCT t FROM unnest(p_types) AS t WHERE t IS NOT NULL);
        -- One read of the floors.  A floor at '-infinity' (what a full
        -- scan that took nothing leaves) counts for the types' freshness
        -- but starts no rank: the ranks are scanned from their start.
        SELECT count(DISTINCT f.type), bool_and(f.checked_at > now() - v_recheck),
               min(f.checked_at), array_agg(f.ctid),
               coalesce((array_agg(f.rank ORDER BY f.rank, f.run_at, f.seq)
                         FILTER (WHERE f.n = 1 AND f.per_rank = cardinality(v_types)
                                   AND f.run_at > '-infinity')), '{}'),
               array_agg(f.run_at ORDER BY f.rank, f.run_at, f.seq)
                   FILTER (WHERE f.n = 1 AND f.per_rank = cardinality(v_types)
                             AND f.run_at > '-infinity'),
               array_agg(f.seq ORDER BY f.rank, f.run_at, f.seq)
                   FILTER (WHERE f.n = 1 AND f.per_rank = cardinality(v_types)
                             AND f.run_at > '-infinity')
          INTO v_floored, v_fresh, v_checked, v_fctids, v_ranks, v_runs, v_seqs
          FROM (SELECT g.ctid, g.type, g.rank, g.run_at, g.seq, g.checked_at,
                       row_number() OVER (PARTITION BY g.rank ORDER BY g.run_at, g.seq) AS n,
                       count(*) OVER (PARTITION BY g.rank) AS per_rank
                  FROM pgjob.ready_floor g
                 WHERE g.type = ANY (v_types)) AS f;
    END IF;
    v_full := p_types IS NULL OR v_floored IS DISTINCT FROM cardinality(v_types)
              OR v_fresh IS NOT TRUE;

    -- Lock the rows to take, in claim order, by ctid.
    IF v_full THEN
        v_tids := ARRAY(
            SELECT r.ctid FROM pgjob.ready r
             WHERE r.run_at <= now() AND (p_types IS NULL OR r.type = ANY (p_types))
             ORDER BY -r.priority, r.run_at, r.seq
             LIMIT p_limit
               FOR UPDATE SKIP LOCKED);
        v_keyed := v_tids;
    ELSE
        FOR i IN 1 .. cardinality(v_ranks) LOOP
            EXIT WHEN cardinality(v_tids) >= p_limit;
            -- The ranks between the last floored one and this one, whole.
            IF v_ranks[i] > v_prev + 1 THEN
                v_more := ARRAY(
                    SELECT r.ctid FROM pgjob.ready r
                     WHERE -r.priority > v_prev AND -r.priority < v_ranks[i]
                       AND r.run_at <= now() AND r.type = ANY (v_types)
                     ORDER BY -r.priority, r.run_at, r.seq
                     LIMIT p_limit - cardinality(v_tids)
                       FOR UPDATE SKIP LOCKED);
                v_tids := v_tids || v_more;
                v_keyed := v_keyed || v_more;
                EXIT WHEN cardinality(v_tids) >= p_limit;
            END IF;
            -- This rank from its floor: the row comparison is the only
            -- lower bound of the first index column, so the index scan
            -- starts there (1 above).
            v_more := ARRAY(
                SELECT r.ctid FROM pgjob.ready r
                 WHERE (-r.priority, r.run_at, r.seq) >= (v_ranks[i], v_runs[i], v_seqs[i])
                   AND -r.priority <= v_ranks[i]
                   AND r.run_at <= now() AND r.type = ANY (v_types)
                 ORDER BY -r.priority, r.run_at, r.seq
                 LIMIT p_limit - cardinality(v_tids)
                   FOR UPDATE SKIP LOCKED);
            v_tids := v_tids || v_more;
            v_keyed := v_keyed || v_more[1:1];
            v_prev := v_ranks[i];
        END LOOP;
        -- The ranks after the last floored one, whole.
        IF cardinality(v_tids) < p_limit THEN
            v_more := ARRAY(
                SELECT r.ctid FROM pgjob.ready r
                 WHERE -r.priority > v_prev AND r.run_at <= now() AND r.type = ANY (v_types)
                 ORDER BY -r.priority, r.run_at, r.seq
                 LIMIT p_limit - cardinality(v_tids)
                   FOR UPDATE SKIP LOCKED);
            v_tids := v_tids || v_more;
            v_keyed := v_keyed || v_more;
        END IF;
    END IF;

    -- The floors: for every rank this claim took rows from, the key of the
    -- first row it took there.  Everything before it in that rank was
    -- walked past by this claim (it scanned the rank from its floor, or
    -- from its start): deleted, or held by another claim.
    IF p_types IS NOT NULL THEN
        SELECT coalesce(array_agg(t.rank ORDER BY t.rank), '{}'),
               array_agg(t.run_at ORDER BY t.rank), array_agg(t.seq ORDER BY t.rank)
          INTO v_kranks, v_kruns, v_kseqs
          FROM (SELECT DISTINCT ON (-r.priority) -r.priority AS rank, r.run_at, r.seq
                  FROM pgjob.ready r
                 WHERE r.ctid = ANY (v_keyed)
                 ORDER BY -r.priority, r.run_at, r.seq) AS t;
        IF v_full THEN
            -- A full scan walked every rank up to the last it took from.
            -- The floors of the ranks beyond are forgotten (it did not
            -- check them); the others stay, checked now: a rank it walked
            -- through and took nothing from holds no due row it could
            -- take, so its floor hides none.  Floors another claim is
            -- writing are left to it.
            IF cardinality(v_kranks) > 0 THEN
                DELETE FROM pgjob.ready_floor f
                 WHERE f.ctid = ANY (ARRAY(SELECT g.ctid FROM pgjob.ready_floor g
                                            WHERE g.type = ANY (v_types)
                                              AND g.rank > v_kranks[cardinality(v_kranks)]
                                              FOR UPDATE SKIP LOCKED));
            END IF;
            v_checked := now();
            -- One that took nothing puts a floor at the very front of a
            -- type that has none, so that the next claims need no full
            -- scan of their own.
            IF cardinality(v_kranks) = 0 THEN
                INSERT INTO pgjob.ready_floor (type, rank, run_at, seq, checked_at)
                SELECT t, -1000, '-infinity', 0, v_checked FROM unnest(v_types) AS t
                 WHERE NOT EXISTS (SELECT 1 FROM pgjob.ready_floor g WHERE g.type = t)
                   AND pg_try_advisory_xact_lock(hashtext('pgjob.ready_floor ' || t), -1000)
                ON CONFLICT (type, rank) DO NOTHING;
            END IF;
        END IF;
        FOR i IN 1 .. cardinality(v_kranks) LOOP
            v_at := array_position(v_ranks, v_kranks[i]);
            IF v_full OR v_at IS NULL OR v_kseqs[i] - v_seqs[v_at] > 2 * p_limit THEN
                -- Set after a full scan, for a rank without a floor, or
                -- when it moved by more than two claims' worth of
                -- submissions.  Only the floor rows as this claim read them
                -- (same ctid) are set: one another claim is writing, or
                -- one changed since (lowered by a row put back in front of
                -- it meanwhile, which this claim's scan may not have seen)
                -- is left alone.
                UPDATE pgjob.ready_floor f
                   SET run_at = v_kruns[i], seq = v_kseqs[i]
                 WHERE f.ctid = ANY (ARRAY(
                           SELECT g.ctid FROM pgjob.ready_floor g
                            WHERE g.type = ANY (v_types) AND g.rank = v_kranks[i]
                              AND g.ctid = ANY (v_fctids)
                              FOR UPDATE SKIP LOCKED));
                GET DIAGNOSTICS v_set = ROW_COUNT;
                IF v_set < cardinality(v_types) THEN
                    -- Only where none is, and not waiting for a claim
                    -- that is inserting the same floor: it holds the
                    -- advisory lock (an insert that met its row would wait
                    -- for it, and claims of overlapping types could
                    -- deadlock).
                    INSERT INTO pgjob.ready_floor (type, rank, run_at, seq, checked_at)
                    SELECT t, v_kranks[i], v_kruns[i], v_kseqs[i], v_checked
                      FROM unnest(v_types) AS t
                     WHERE NOT EXISTS (SELECT 1 FROM pgjob.ready_floor g
                                        WHERE g.type = t AND g.rank = v_kranks[i])
                       AND pg_try_advisory_xact_lock(hashtext('pgjob.ready_floor ' || t),
                                                     v_kranks[i])
                    ON CONFLICT (type, rank) DO NOTHING;
                END IF;
            END IF;
        END LOOP;
        IF v_full THEN
            UPDATE pgjob.ready_floor f
               SET checked_at = now()
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
