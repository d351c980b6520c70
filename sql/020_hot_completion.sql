-- SPDX-License-Identifier: MIT
-- 020_hot_completion: a job's completion is a HOT update.
--
-- 013_hotpath.sql made the claim and the heartbeat HOT updates of
-- pgjob.job, but not the completion: it sets expires_at, and expiry and
-- pruning found their rows through indexes on expires_at.  So every
-- completion (and every fail that ends a job, and every cancel) was a
-- non-HOT update: the new version went to another page, with an entry in
-- each index that takes the row (the primary key, the account's order
-- and the expiry index for an ordinary job).  Under a held snapshot
-- those entries cannot be removed, and the indexes grew batch after
-- batch (docs/benchmarks.md, "Under a held xmin").
--
-- Now expiry walks a column that no completion changes:
--
--   sweep_at  when the maintenance sweep (pgjob.expire) should look at
--             the job next.  Submit sets it to now() + retention: a job
--             can expire no earlier, since expires_at is set to
--             now() + retention when the job becomes terminal, which is
--             later than its submission.  expire takes the live jobs
--             whose sweep_at has passed (job_expiry_idx), expires those
--             that are terminal with expires_at passed, and moves the
--             others on: a terminal job to its expires_at, an unfinished
--             one (paused, scheduled ahead, still running) to
--             now() + retention, and at least ten minutes ahead, so that
--             no job is looked at by every sweep (one a minute by
--             default).  Once a job has expired, sweep_at is its
--             expires_at, and prune ages the stub from there
--             (job_expired_idx), as it did from expires_at.
--
-- No index of pgjob.job names expires_at any more, nor any other column
-- a completion changes, so a completion is HOT when its page has room
-- for the new version (the fillfactor below).  test_sql_hotset.py checks
-- the rule and the effect.  The costs: a job takes an entry in
-- job_expiry_idx at submit (the old index took it when it became
-- terminal); a job that is not yet expirable when the sweep first
-- looks at it, a retention after its submission, is moved on, a non-HOT
-- update off the claim's path: once if it had ended by then (it took
-- longer than the sweep's lag, up to an expire interval, from submit to
-- its end), twice if it had not (on to now() + retention, and when it
-- is found ended, on to its expires_at).  A job whose retention is under ten
-- minutes and that is still unfinished when the sweep looks at it may
-- expire up to ten minutes late.  The sweep locks the rows it looks at
-- (SKIP LOCKED: it never waits for them), so a claim, completion, pause
-- or cancel of one of them waits for the sweep's transaction.
--
-- This file replaces expire and prune (of 013_hotpath.sql), submit (of
-- 015_submit.sql) and submit_group (of 019_submit_group_rows.sql).
-- Their behaviour is unchanged but for sweep_at: submit and
-- submit_group set it, and expire and prune walk it.  The backfill below
-- rewrites every row of pgjob.job once, under the migration's lock of
-- the table.

-- The old expiry indexes first: the backfill need not keep them.
DROP INDEX pgjob.job_expiry_idx;
DROP INDEX pgjob.job_expired_idx;

ALTER TABLE pgjob.job ADD COLUMN sweep_at timestamptz;
-- Terminal jobs and stubs: their expires_at; unfinished jobs: the floor
-- submit would have set (it may have passed: the first sweep moves it).
UPDATE pgjob.job
   SET sweep_at = coalesce(expires_at,
                           CASE WHEN items IS NULL THEN updated_at ELSE created_at + retention END);
ALTER TABLE pgjob.job ALTER COLUMN sweep_at SET NOT NULL;

COMMENT ON COLUMN pgjob.job.sweep_at IS
    'When pgjob.expire looks at the job next; after expiry, when it expired '
    '(see 020_hot_completion.sql)';

-- Room on each page for three versions of a row: as submitted, as
-- claimed and as completed.  The claimed version's predecessor can be
-- pruned only once no snapshot can see it, which in a busy drain is
-- often after the completion came.  Measured (one pgjobd draining 30,000
-- no-op jobs): at 50 a third of the completions were HOT, at 33 nearly
-- all; the table ended smaller, since HOT versions are pruned in place.
-- Pages written before this migration keep their fill.
ALTER TABLE pgjob.job SET (fillfactor = 33);

-- Expiry walks live jobs (not stubs) by sweep_at; the id orders the
-- jobs of one sweep_at (a statement's submits share it), so that each
-- pass of a call starts where the last one ended.
CREATE INDEX job_expiry_idx ON pgjob.job (sweep_at, id) WHERE items IS NOT NULL;
-- Pruning walks expired stubs by sweep_at.
CREATE INDEX job_expired_idx ON pgjob.job (sweep_at) WHERE items IS NULL;

-- expire: as in 013_hotpath.sql, but the candidates are the live jobs
-- whose sweep_at has passed.  Those that may not expire yet are moved on
-- (see above); that changes neither version nor updated_at, and sends no
-- notification: nothing a client sees has changed.  The count is of the
-- jobs expired, at most p_limit.
--
-- Moved jobs do not end a call early, or the daemon's rounds (repeated
-- while a call expires p_limit) would stop at the first batch with one:
-- a call goes on in passes of p_limit candidates each, every pass
-- starting where the last one ended (after v_after and v_after_id: the
-- index entries behind them are this call's own, dead to it), until p_limit jobs have expired,
-- a pass finds fewer candidates than it asked for, or the call has
-- looked at ten times p_limit, and at most ten thousand more.  A pass
-- expires only as many as the call still lacks, and moves only the
-- candidates before the last of those (k, the expiring candidates so
-- far in order); it leaves the others as they were, for the next call.
CREATE OR REPLACE FUNCTION pgjob.expire(p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_ids      uuid[] := '{}';
    v_pass     uuid[];
    v_want     integer;
    v_looked   integer;
    v_after    timestamptz := '-infinity';
    v_after_id uuid := '00000000-0000-0000-0000-000000000000';
    v_seen     bigint := 0;
    v_most     bigint;
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 100000' USING ERRCODE = 'PJ400', COLUMN = 'limit';
    END IF;
    v_most := least(10::bigint * p_limit, p_limit + 10000);
    LOOP
        v_want := p_limit - cardinality(v_ids);
        -- ends_at: when a terminal job expires; NULL for an unfinished one.
        WITH due AS (
            SELECT j.id, j.account_id, j.type, j.status, j.item_count, j.items_failed,
                   j.attempt_count, j.failed_attempts, j.created_at, j.started_at,
                   j.completed_at, j.processing_ms, j.error ->> 'code' AS error_code,
                   j.validation_flags, j.confidence, j.model, j.cache_hit, j.sweep_at,
                   j.retention, e.ends_at, coalesce(e.ends_at <= now(), false) AS expiring
              FROM pgjob.job j
             CROSS JOIN LATERAL (
                    SELECT CASE WHEN j.status IN ('completed', 'failed', 'canceled')
                                THEN j.expires_at END AS ends_at) AS e
             WHERE j.sweep_at <= now() AND (j.sweep_at, j.id) > (v_after, v_after_id)
               AND j.items IS NOT NULL
             ORDER BY j.sweep_at, j.id
             LIMIT p_limit
               FOR NO KEY UPDATE SKIP LOCKED
        ), ranked AS (
            SELECT d.*, count(*) FILTER (WHERE d.expiring)
                            OVER (ORDER BY d.sweep_at, d.id) AS k
              FROM due d
        ), changed AS (
            UPDATE pgjob.job j
               SET status = 'expired',
                   items = NULL,
                   results = NULL,
                   results_bytes = 0,
                   validation_flags = '[]',
                   idempotency_key = NULL,
                   request_hash = NULL,
                   sweep_at = j.expires_at,
                   updated_at = now(),
                   version = j.version + 1
              FROM ranked r
             WHERE j.id = r.id AND r.expiring AND r.k <= v_want
            RETURNING j.id
        ), moved AS (
            UPDATE pgjob.job j
               SET sweep_at = coalesce(r.ends_at,
                                       now() + greatest(r.retention, interval '10 minutes'))
              FROM ranked r
             WHERE j.id = r.id AND NOT r.expiring AND r.k < v_want
        ), recorded AS (
            -- history: the rows missing, from the values before expiry.
            INSERT INTO pgjob.job_history (job_id, account_id, type, status, item_count,
                                           items_failed, attempt_count, failed_attempts,
                                           created_at, started_at, completed_at, processing_ms,
                                           error_code, flags, confidence, model, cache_hit)
            SELECT r.id, r.account_id, r.type, r.status, r.item_count, r.items_failed,
                   r.attempt_count, r.failed_attempts, r.created_at, r.started_at,
                   coalesce(r.completed_at, now()), r.processing_ms, r.error_code,
                   pgjob.history_flags(r.validation_flags), r.confidence, r.model, r.cache_hit
              FROM ranked r
             WHERE r.expiring AND r.k <= v_want
               AND NOT EXISTS (SELECT 1 FROM pgjob.job_history h WHERE h.job_id = r.id)
            ON CONFLICT (job_id) DO NOTHING
        ), last AS (
            SELECT d.sweep_at, d.id FROM due d ORDER BY d.sweep_at DESC, d.id DESC LIMIT 1
        )
        SELECT coalesce((SELECT array_agg(c.id) FROM changed c), '{}'),
               (SELECT count(*) FROM due), (SELECT l.sweep_at FROM last l),
               (SELECT l.id FROM last l)
          INTO v_pass, v_looked, v_after, v_after_id;
        v_ids := v_ids || v_pass;
        v_seen := v_seen + v_looked;
        EXIT WHEN cardinality(v_ids) >= p_limit OR v_looked < p_limit OR v_seen >= v_most;
    END LOOP;
    PERFORM pgjob.notify_jobs(v_ids);
    RETURN cardinality(v_ids);
END
$$;

-- prune: as in 013_hotpath.sql, but a stub's age is that of its sweep_at,
-- which expire set to its expires_at.
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
         WHERE j.items IS NULL AND j.sweep_at < now() - p_older_than
           AND j.status = 'expired'
         ORDER BY j.sweep_at
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

-- submit: as in 015_submit.sql, and sets sweep_at.
CREATE OR REPLACE FUNCTION pgjob.submit(
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

    -- 015: without an idempotency key, a plain INSERT (no arbiter index to
    -- probe, no speculative insertion) and no request hash, which only a
    -- repeat of the same key ever compares.
    IF p_idempotency_key IS NULL THEN
        INSERT INTO pgjob.job AS j (account_id, api_key_id, type, items, item_count, results,
                                    metadata, max_attempts, priority, run_at, retention,
                                    sweep_at)
        VALUES (p_account_id, p_api_key_id, p_type, p_items, jsonb_array_length(p_items), '[]',
                p_metadata, p_max_attempts, p_priority, coalesce(p_run_at, now()), p_retention,
                now() + p_retention)
        RETURNING j.* INTO v_job;
    ELSE
        v_hash := md5(jsonb_build_array(p_type, p_items, p_priority, p_run_at,
                                        p_max_attempts, p_metadata)::text);

        INSERT INTO pgjob.job AS j (account_id, api_key_id, type, items, item_count, results,
                                    metadata, max_attempts, priority, run_at, retention,
                                    sweep_at, idempotency_key, request_hash)
        VALUES (p_account_id, p_api_key_id, p_type, p_items, jsonb_array_length(p_items), '[]',
                p_metadata, p_max_attempts, p_priority, coalesce(p_run_at, now()), p_retention,
                now() + p_retention, p_idempotency_key, v_hash)
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
    END IF;

    INSERT INTO pgjob.ready (job_id, type, priority, run_at)
    VALUES (v_job.id, v_job.type, v_job.priority, v_job.run_at);
    IF v_job.run_at <= now() THEN
        PERFORM pgjob.notify_ready(ARRAY[v_job.type]);
    END IF;
    RETURN QUERY SELECT true, v_job;
END
$$;

-- submit_group: as in 019_submit_group_rows.sql, and sets sweep_at.
CREATE OR REPLACE FUNCTION pgjob.submit_group(
    p_accounts     bigint[],
    p_key_hashes   bytea[],
    p_key_ids      bigint[],
    p_types        text[],
    p_bodies       jsonb[],
    p_priorities   integer[],
    p_run_ats      timestamptz[],
    p_max_attempts integer[],
    p_retention    interval DEFAULT '7 days')
RETURNS TABLE (n integer, auth_account bigint, auth_key bigint, created boolean, job pgjob.job)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_count integer := coalesce(cardinality(p_types), 0);
    v_rows  record;
    v_out   pgjob.job[];
    v_n     integer[];
BEGIN
    IF coalesce(cardinality(p_accounts), 0) <> v_count
       OR coalesce(cardinality(p_key_hashes), 0) <> v_count
       OR coalesce(cardinality(p_key_ids), 0) <> v_count
       OR coalesce(cardinality(p_bodies), 0) <> v_count
       OR coalesce(cardinality(p_priorities), 0) <> v_count
       OR coalesce(cardinality(p_run_ats), 0) <> v_count
       OR coalesce(cardinality(p_max_attempts), 0) <> v_count THEN
        RAISE EXCEPTION 'the arrays of a group must have one element per submission each'
            USING ERRCODE = 'PJ400', COLUMN = 'group';
    END IF;
    IF p_retention IS NULL OR p_retention < interval '0' THEN
        RAISE EXCEPTION 'retention must not be negative' USING ERRCODE = 'PJ400', COLUMN = 'retention';
    END IF;
    -- The callers, their new job ids, whether each breaks one of
    -- pgjob.submit's rules (015_submit.sql; bad), and the jobs, in
    -- element order.  When any is bad (verdict), nothing is written (so no other
    -- error, a foreign key's say, can come first) and the call raises
    -- below.
    WITH entry AS MATERIALIZED (
        SELECT u.n::integer AS n, coalesce(u.account, k.account_id) AS account_id,
               CASE WHEN u.account IS NULL THEN k.account_id END AS auth_account,
               CASE WHEN u.account IS NULL THEN k.key_id ELSE u.key_id END AS key_id,
               u.type, u.body, u.priority, coalesce(u.run_at, now()) AS run_at, u.attempts,
               gen_random_uuid() AS id,
               coalesce((u.account IS NULL AND u.key_hash IS NULL)
                        OR u.type IS NULL OR u.type !~ '^[a-z][a-z0-9_.-]{0,63}$'
                        OR jsonb_typeof(u.body -> 'items') IS DISTINCT FROM 'array'
                        OR u.body -> 'items' = '[]'::jsonb
                        OR coalesce(jsonb_typeof(u.body -> 'metadata'), 'object') <> 'object'
                        OR u.priority IS NULL OR u.priority NOT BETWEEN -1000 AND 1000
                        OR u.attempts IS NULL OR u.attempts NOT BETWEEN 1 AND 100,
                        true) AS bad
          FROM unnest(p_accounts, p_key_hashes, p_key_ids, p_types, p_bodies, p_priorities,
                      p_run_ats, p_max_attempts)
               WITH ORDINALITY AS u(account, key_hash, key_id, type, body, priority, run_at,
                                    attempts, n)
          LEFT JOIN LATERAL pgjob.api_key_lookup(u.key_hash) AS k ON u.account IS NULL
    ), verdict AS (
        SELECT coalesce(bool_or(x.bad), false) AS any_bad FROM entry x
    ), written AS (
        INSERT INTO pgjob.job AS j (id, account_id, api_key_id, type, items, item_count, results,
                                    metadata, max_attempts, priority, run_at, retention,
                                    sweep_at)
        SELECT e.id, e.account_id, e.key_id, e.type, e.body -> 'items',
               jsonb_array_length(e.body -> 'items'), '[]',
               coalesce(e.body -> 'metadata', '{}'), e.attempts, e.priority, e.run_at,
               p_retention, now() + p_retention
          FROM entry e
         WHERE e.account_id IS NOT NULL AND NOT (SELECT v.any_bad FROM verdict v)
         ORDER BY e.n
        RETURNING j.*
    ), queued AS (
        INSERT INTO pgjob.ready (job_id, type, priority, run_at)
        SELECT c.id, c.type, c.priority, c.run_at
          FROM written c
          JOIN entry e ON e.id = c.id
         ORDER BY e.n
    )
    SELECT array_agg(e.n ORDER BY e.n) AS ns,
           array_agg(c::pgjob.job ORDER BY e.n) AS jobs,
           array_agg(DISTINCT c.type) FILTER (WHERE c.run_at <= now()) AS due,
           array_agg(e.auth_account ORDER BY e.n) AS accounts,
           array_agg(e.key_id ORDER BY e.n) AS keys,
           (SELECT v.any_bad FROM verdict v) AS bad
      INTO v_rows
      FROM entry e
      LEFT JOIN written c ON c.id = e.id;

    IF v_rows.bad THEN
        RAISE EXCEPTION 'a submission of the group breaks a rule of pgjob.submit: submit each alone'
            USING ERRCODE = 'PJ400', COLUMN = 'group';
    END IF;
    PERFORM pgjob.notify_ready(v_rows.due);
    v_n := v_rows.ns;
    v_out := v_rows.jobs;
    RETURN QUERY
        SELECT v_n[i], (v_rows.accounts)[i], (v_rows.keys)[i], (v_out[i]).id IS NOT NULL,
               CASE WHEN (v_out[i]).id IS NOT NULL THEN v_out[i] END
          FROM generate_subscripts(v_n, 1) AS i
         ORDER BY i;
END
$$;

COMMENT ON FUNCTION pgjob.submit_group(bigint[], bytea[], bigint[], text[], jsonb[], integer[],
                                       timestamptz[], integer[], interval) IS
    'Many submits without an idempotency key in one statement (pgjob.fcgi''s group submit); '
    'see sql/018_submit_group.sql, sql/019_submit_group_rows.sql and sql/020_hot_completion.sql';
