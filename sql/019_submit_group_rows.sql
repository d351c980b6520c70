-- SPDX-License-Identifier: MIT
-- 019_submit_group_rows: submit_group, as in 018_submit_group.sql, with
-- two costs of its rows taken out.
--
-- - 018 gathered the rows it wrote (the written CTE's RETURNING j.*, a
--   record of no named type) into an array of records, and assigned that
--   array to a pgjob.job[] variable.  PL/pgSQL converts an anonymous
--   record to pgjob.job through its text form: every job was written out
--   with record_out and read back with record_in, its items parsed as
--   JSON a second time.  A profile of the backend under concurrent
--   POST /v1/jobs put the two at a tenth of its time.  Naming the type in
--   the aggregate (c::pgjob.job) converts each row column by column, as
--   any row of the table is.
-- - 018 checked pgjob.submit's rules in a statement of their own before
--   the write, a second pass over the arrays.  They are now a column of
--   the write's own first step, and the write takes no row when any
--   submission is bad; the call then raises PJ400, as 018's did, having
--   written nothing and sent no notification.
--
-- Measured (docs/benchmarks.md, "Submits in a cluster that recycles its
-- WAL"): one session calling submit_group with groups of 18 submits of
-- 10 items, 5 rounds of 400 calls in turn with 018's version: the
-- conversion used 7 and 13 us of backend CPU per submit (two runs), the
-- separate check a few us at most, within the runs' noise.

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
                                    metadata, max_attempts, priority, run_at, retention)
        SELECT e.id, e.account_id, e.key_id, e.type, e.body -> 'items',
               jsonb_array_length(e.body -> 'items'), '[]',
               coalesce(e.body -> 'metadata', '{}'), e.attempts, e.priority, e.run_at,
               p_retention
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
    'see sql/018_submit_group.sql and sql/019_submit_group_rows.sql';
