-- SPDX-License-Identifier: MIT
-- 001_schema: the tables of pgjob: accounts, API keys, jobs and the two
-- narrow hot-set tables the claim path works on.
--
-- Wording used in every file of sql/:
--   job      one row of pgjob.job: a batch of items of one type and their results.
--   attempt  one run of a job by a worker; attempt_count counts the ones started.
--   lease    the right of one worker to write one attempt, until lease_until.
--   ready    the set of queued jobs (pgjob.ready), the only rows a claim scans.
--   terminal completed, failed, canceled or expired.
--
-- Invariants kept by the functions in 002_jobs.sql:
--   status = 'queued'      <=> the job has a row in pgjob.ready
--   status = 'processing'  <=> the job has a row in pgjob.lease
--   any other status       =>  the job has neither.
-- pgjob.job is wide and updated a few times per job; pgjob.ready and
-- pgjob.lease are narrow and only ever hold the live jobs, so a claim
-- scans few rows and few dead tuples however long the history grows.

CREATE SCHEMA IF NOT EXISTS pgjob;

CREATE TABLE pgjob.account (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A key is shown once at creation; only its SHA-256 is stored.  prefix is
-- the key's first characters, safe to show in listings and logs.
CREATE TABLE pgjob.api_key (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES pgjob.account (id) ON DELETE CASCADE,
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    label        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX api_key_account_idx ON pgjob.api_key (account_id);

CREATE TABLE pgjob.job (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id       bigint NOT NULL REFERENCES pgjob.account (id),
    api_key_id       bigint REFERENCES pgjob.api_key (id) ON DELETE SET NULL,
    type             text NOT NULL CHECK (type ~ '^[a-z][a-z0-9_.-]{0,63}$'),
    status           text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'processing', 'paused', 'completed',
                                       'failed', 'canceled', 'expired')),
    -- The submitted batch; NULL once the job has expired.
    items            jsonb CHECK (items IS NULL OR jsonb_typeof(items) = 'array'),
    item_count       integer NOT NULL CHECK (item_count >= 0),
    items_done       integer NOT NULL DEFAULT 0 CHECK (items_done >= 0),
    items_failed     integer NOT NULL DEFAULT 0 CHECK (items_failed >= 0),
    -- One result per item in item order; while the job runs, the results of
    -- the items done so far (the checkpoint).  NULL once expired.
    results          jsonb CHECK (results IS NULL OR jsonb_typeof(results) = 'array'),
    -- Size of results as JSON text, in bytes; the front end serves results
    -- at or over its threshold behind a pointer instead of inline.
    results_bytes    bigint NOT NULL DEFAULT 2 CHECK (results_bytes >= 0),
    -- Why the job failed or was canceled: {code, message}.
    error            jsonb,
    metadata         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    -- Attempts started.  The claim bumps it and it never goes down, so it
    -- is the fencing token: only the holder of attempt N may write it.
    attempt_count    integer NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
    -- Attempts that ended in an error or a lost lease.  Retries stop when
    -- it reaches max_attempts.  It differs from attempt_count only when a
    -- running job was paused: the interrupted attempt is not a failure.
    failed_attempts  integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    max_attempts     integer NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 100),
    -- Higher runs first.
    priority         integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000 AND 1000),
    run_at           timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- Start of the latest attempt.
    started_at       timestamptz,
    completed_at     timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- How long a terminal job keeps its items and results; expires_at is
    -- set from it when the job becomes terminal.
    retention        interval NOT NULL DEFAULT '7 days',
    expires_at       timestamptz,
    -- Wall time of the successful attempt, in milliseconds.
    processing_ms    bigint CHECK (processing_ms >= 0),
    validation_flags jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(validation_flags) = 'array'),
    confidence       double precision CHECK (confidence BETWEEN 0 AND 1),
    model            text,
    cache_hit        boolean,
    -- Bumped by every change; the HTTP ETag.
    version          bigint NOT NULL DEFAULT 1,
    idempotency_key  text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    -- md5 of the canonical request, to tell a replay from a different body.
    request_hash     text
);

-- An account's jobs newest first, and its cursor pagination.
CREATE INDEX job_account_created_idx ON pgjob.job (account_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX job_idempotency_idx ON pgjob.job (account_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- Expiry walks terminal jobs by expires_at.
CREATE INDEX job_expiry_idx ON pgjob.job (expires_at)
    WHERE status IN ('completed', 'failed', 'canceled');
-- Pruning walks expired stubs.
CREATE INDEX job_expired_idx ON pgjob.job (updated_at) WHERE status = 'expired';
-- The queue depth counts paused jobs (queued and running ones are counted
-- in pgjob.ready and pgjob.lease).
CREATE INDEX job_paused_idx ON pgjob.job (account_id) WHERE status = 'paused';

-- The queued jobs, and nothing else.  A claim deletes its rows.  Neither
-- this table nor pgjob.lease has a foreign key to pgjob.job: the functions
-- of 002_jobs.sql keep them in step, and a key would cost a trigger and a
-- row lock on pgjob.job for every row a claim or completion touches.  Only
-- expired jobs, which are in neither table, are ever deleted.
CREATE TABLE pgjob.ready (
    job_id    uuid PRIMARY KEY,
    type      text NOT NULL,
    priority  integer NOT NULL,
    run_at    timestamptz NOT NULL,
    -- Submission order, for age among equal priorities.
    seq       bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX ready_claim_idx ON pgjob.ready (priority DESC, run_at, seq);
CREATE INDEX ready_type_claim_idx ON pgjob.ready (type, priority DESC, run_at, seq);

-- The running jobs: one lease per job, for the attempt that holds it.
-- Heartbeats update lease_until here, a narrow row with no index on it,
-- so they are HOT updates.
CREATE TABLE pgjob.lease (
    job_id       uuid PRIMARY KEY,
    attempt      integer NOT NULL,
    worker       text NOT NULL,
    lease_until  timestamptz NOT NULL
);

ALTER TABLE pgjob.ready SET (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.0,
                             autovacuum_vacuum_threshold = 1000);
ALTER TABLE pgjob.lease SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.0,
                             autovacuum_vacuum_threshold = 1000);
