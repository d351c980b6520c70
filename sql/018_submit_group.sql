-- SPDX-License-Identifier: MIT
-- 018_submit_group: many submits in one statement.
--
-- Measured (docs/benchmarks.md, "HTTP submit"): most of what one
-- pgjob.submit costs the database is paid once per statement, not once
-- per job: the plpgsql call, preparing the 17 CHECK constraints of
-- pgjob.job, the ready insert's statement trigger, the notification and
-- the commit.  On this kind of machine a submit of 10 items took about
-- 220 us of backend CPU alone, and 70-125 us each when 4 to 8 were
-- written by one statement.  So pgjob.fcgi gathers the submits its
-- threads make while one is being written (cgi/submit_group.c) and
-- writes them with one call of submit_group.
--
-- submit_group takes one array element per submission, all arrays of the
-- same length, and returns one row per element, in order (n from 1,
-- created true when its job was written):
--   p_accounts[i]      the account; NULL: look it up from p_key_hashes[i]
--   p_key_hashes[i]    the caller's key hash, when p_accounts[i] is NULL;
--                      a key that pgjob.api_key_lookup does not find live
--                      gets a row with job NULL, and nothing is written
--                      for it (the others are)
--   p_key_ids[i]       the API key id, when p_accounts[i] is given
--   p_types[i], p_bodies[i] ({items, metadata?}), p_priorities[i],
--   p_run_ats[i] (NULL: now), p_max_attempts[i]: as pgjob.submit's
--   p_retention        for every job of the call
-- Only submissions without an idempotency key are grouped: a key needs
-- pgjob.submit's ON CONFLICT and request hash.  A call in which any
-- submission breaks one of pgjob.submit's rules writes nothing and raises
-- PJ400; the caller then submits each alone, so that each gets
-- pgjob.submit's own error.  The jobs are queued in element order, with
-- one pgjob_ready notification for the call.

CREATE FUNCTION pgjob.submit_group(
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
    -- pgjob.submit's rules (015_submit.sql), for the whole group at once.
    IF EXISTS (SELECT 1
                 FROM unnest(p_accounts, p_key_hashes, p_types, p_bodies, p_priorities,
                             p_max_attempts) AS e(account, key_hash, type, body, priority, attempts)
                WHERE (e.account IS NULL AND e.key_hash IS NULL)
                   OR e.type IS NULL OR e.type !~ '^[a-z][a-z0-9_.-]{0,63}$'
                   OR jsonb_typeof(e.body -> 'items') IS DISTINCT FROM 'array'
                   OR jsonb_array_length(e.body -> 'items') = 0
                   OR coalesce(jsonb_typeof(e.body -> 'metadata'), 'object') <> 'object'
                   OR e.priority IS NULL OR e.priority NOT BETWEEN -1000 AND 1000
                   OR e.attempts IS NULL OR e.attempts NOT BETWEEN 1 AND 100) THEN
        RAISE EXCEPTION 'a submission of the group breaks a rule of pgjob.submit: submit each alone'
            USING ERRCODE = 'PJ400', COLUMN = 'group';
    END IF;

    -- The callers, their new job ids, and the jobs, in element order.
    WITH entry AS MATERIALIZED (
        SELECT u.n::integer AS n, coalesce(u.account, k.account_id) AS account_id,
               CASE WHEN u.account IS NULL THEN k.account_id END AS auth_account,
               CASE WHEN u.account IS NULL THEN k.key_id ELSE u.key_id END AS key_id,
               u.type, u.body, u.priority, coalesce(u.run_at, now()) AS run_at, u.attempts,
               gen_random_uuid() AS id
          FROM unnest(p_accounts, p_key_hashes, p_key_ids, p_types, p_bodies, p_priorities,
                      p_run_ats, p_max_attempts)
               WITH ORDINALITY AS u(account, key_hash, key_id, type, body, priority, run_at,
                                    attempts, n)
          LEFT JOIN LATERAL pgjob.api_key_lookup(u.key_hash) AS k ON u.account IS NULL
    ), written AS (
        INSERT INTO pgjob.job AS j (id, account_id, api_key_id, type, items, item_count, results,
                                    metadata, max_attempts, priority, run_at, retention)
        SELECT e.id, e.account_id, e.key_id, e.type, e.body -> 'items',
               jsonb_array_length(e.body -> 'items'), '[]',
               coalesce(e.body -> 'metadata', '{}'), e.attempts, e.priority, e.run_at,
               p_retention
          FROM entry e
         WHERE e.account_id IS NOT NULL
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
           array_agg(c ORDER BY e.n) AS jobs,
           array_agg(DISTINCT c.type) FILTER (WHERE c.run_at <= now()) AS due,
           array_agg(e.auth_account ORDER BY e.n) AS accounts,
           array_agg(e.key_id ORDER BY e.n) AS keys
      INTO v_rows
      FROM entry e
      LEFT JOIN written c ON c.id = e.id;

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
    'Many submits without an idempotency key in one statement (pgjob.fcgi''s group submit); see sql/018_submit_group.sql';

-- The rights of pgjob.submit.  pgjobctl migrate gives a function it
-- replaces the rights it had (common/schema.c), but submit_group is new:
-- it would be SECURITY INVOKER with EXECUTE for PUBLIC, and pgjob.fcgi's
-- role (sql/roles.sql.example) could not write with it.  It is the same
-- write as submit's, so it gets what an operator gave submit: its owner
-- (whose rights a SECURITY DEFINER function runs with), SECURITY DEFINER
-- and its settings, EXECUTE for PUBLIC or not, and the roles that may
-- execute it.  When the migrating role may not do all of that (give
-- functions to submit's owner, say), submit_group is left as it was
-- made, with a warning: grouped submits then fail and are written one by
-- one, until roles.sql.example is run again as that owner.  The settings
-- go through set_config and SET FROM CURRENT, so no value is written
-- into a statement.
DO $$
DECLARE
    v_submit  regprocedure := 'pgjob.submit(bigint, text, jsonb, integer, timestamptz, integer, '
                              'jsonb, text, bigint, interval)';
    v_group   regprocedure := 'pgjob.submit_group(bigint[], bytea[], bigint[], text[], jsonb[], '
                              'integer[], timestamptz[], integer[], interval)';
    v_definer boolean;
    v_config  text[];
    v_acl     aclitem[];
    v_owner   oid;
    v_setting text;
    v_old     text;
    v_role    name;
BEGIN
    SELECT p.prosecdef, p.proconfig, coalesce(p.proacl, acldefault('f', p.proowner)), p.proowner
      INTO v_definer, v_config, v_acl, v_owner
      FROM pg_proc p
     WHERE p.oid = v_submit;
    -- All or nothing: a step this role may not take undoes the others.
    BEGIN
        IF v_definer AND v_owner <> (SELECT p.proowner FROM pg_proc p WHERE p.oid = v_group) THEN
            EXECUTE format('ALTER FUNCTION %s OWNER TO %I', v_group,
                           (SELECT r.rolname FROM pg_roles r WHERE r.oid = v_owner));
        END IF;
        IF v_definer THEN
            EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER', v_group);
            FOREACH v_setting IN ARRAY coalesce(v_config, '{}') LOOP
                v_old := current_setting(split_part(v_setting, '=', 1));
                PERFORM set_config(split_part(v_setting, '=', 1),
                                   substr(v_setting, strpos(v_setting, '=') + 1), true);
                EXECUTE format('ALTER FUNCTION %s SET %I FROM CURRENT', v_group,
                               split_part(v_setting, '=', 1));
                PERFORM set_config(split_part(v_setting, '=', 1), v_old, true);
            END LOOP;
        END IF;
        IF NOT EXISTS (SELECT FROM aclexplode(v_acl) x
                        WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE') THEN
            EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', v_group);
        END IF;
        FOR v_role IN SELECT r.rolname
                        FROM aclexplode(v_acl) x
                        JOIN pg_roles r ON r.oid = x.grantee
                       WHERE x.privilege_type = 'EXECUTE'
                         AND x.grantee <> (SELECT p.proowner FROM pg_proc p WHERE p.oid = v_group)
        LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', v_group, v_role);
        END LOOP;
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE WARNING 'pgjob.submit_group was not given the owner and rights of pgjob.submit (%); '
                      'run roles.sql.example again as %', SQLERRM, v_owner::regrole;
    END;
END
$$;
