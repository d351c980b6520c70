-- SPDX-License-Identifier: MIT
-- 009_metrics: counters of job outcomes by type, for GET /metrics
-- (pgjob_job_outcomes_total).
--
-- One statement-level trigger on pgjob.job counts, per UPDATE statement
-- and set-based, the jobs that statement took to an outcome:
--   completed, failed, canceled, expired  the status became that one;
--   retried   the job went back to queued with one more failed attempt
--             (fail() with attempts left, or rescue() of an expired lease).
-- A job handed back by release() (a daemon's shutdown) is no outcome.
-- It works the same whichever function made the change, so later
-- migrations that rewrite complete(), fail() and the others keep the
-- counts without touching this file.
--
-- Cost: the transition tables of every UPDATE of pgjob.job (claims and
-- heartbeats too), then one grouped INSERT ... ON CONFLICT per statement
-- that changed an outcome: one row per (type, outcome) of the statement,
-- not one per job.  Concurrent connections write different rows (shard
-- is the backend's pid modulo 16), so daemons recording outcomes at once
-- do not queue behind one counter row; the reader sums the shards.
-- Rows are added in (type, outcome) order, so two statements never wait
-- on each other's rows in opposite orders.
--
-- The trigger function is SECURITY DEFINER (with a fixed search_path):
-- it writes pgjob.outcome_count with its owner's rights, so a role that
-- may change a job but has no right on the counters (the services'
-- roles of roles.sql.example, or anyone's) does not make the transition
-- fail with "permission denied".
--
-- The counts start at 0 when this migration runs, count every job since,
-- and survive expiry and pruning (they are counters, not history).

CREATE TABLE pgjob.outcome_count (
    type     text    NOT NULL,
    outcome  text    NOT NULL CHECK (outcome IN ('completed', 'failed', 'retried',
                                                 'canceled', 'expired')),
    shard    integer NOT NULL CHECK (shard BETWEEN 0 AND 15),
    jobs     bigint  NOT NULL CHECK (jobs >= 0),
    PRIMARY KEY (type, outcome, shard)
);
-- Updated in place over and over: room on each page for HOT updates.
ALTER TABLE pgjob.outcome_count SET (fillfactor = 50);

CREATE FUNCTION pgjob.count_outcomes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgjob, pg_temp AS $$
BEGIN
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

CREATE TRIGGER job_count_outcomes
    AFTER UPDATE ON pgjob.job
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pgjob.count_outcomes();

-- outcome_counts answers the counters by type and outcome: a scan of a
-- table of at most (types x 5 x 16) rows.
CREATE FUNCTION pgjob.outcome_counts()
RETURNS TABLE (type text, outcome text, jobs bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.type, c.outcome, sum(c.jobs)::bigint
      FROM pgjob.outcome_count c
     GROUP BY c.type, c.outcome
     ORDER BY c.type, c.outcome
$$;
