# SPDX-License-Identifier: MIT
"""The plain SKIP LOCKED loop's table, the physical baseline of
bench_queue.py (rates) and bench_instructions.py (instructions per job):
one row per job, a partial index on the queued rows."""

PLAIN_SCHEMA = """
CREATE TABLE plain_job (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    status    text NOT NULL DEFAULT 'queued',
    priority  integer NOT NULL DEFAULT 0,
    run_at    timestamptz NOT NULL DEFAULT now(),
    payload   jsonb NOT NULL,
    attempts  integer NOT NULL DEFAULT 0,
    locked_at timestamptz,
    result    jsonb
);
CREATE INDEX plain_job_queued ON plain_job (priority DESC, run_at, id) WHERE status = 'queued';
"""
