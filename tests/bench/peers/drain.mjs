// SPDX-License-Identifier: MIT
// drain.mjs: one peer of tests/bench/bench_queue.py drains a backlog of
// no-op jobs, timed.  Run by the benchmark from build/bench-peers (where
// `npm install` put graphile-worker and pg-boss); never part of pgjob.
//
//   node drain.mjs gw|boss SOCKET_DIR PORT DATABASE JOBS
//
// It recreates DATABASE, queues JOBS no-op jobs through the library's own
// batch API (1,000 per call; not timed), runs VACUUM ANALYZE (not timed:
// bench_queue.py does the same after filling pgjob's queue, so that no
// side is planned on the statistics of an empty table), starts one worker in this
// process with the settings below, and times from its start until the
// database holds no unfinished job.  The task counts the jobs it runs;
// only once it has run them all is the table counted (every 20 ms, until
// nothing is left), so that the probe costs the drain nothing while it
// runs: a count(*) of a 200,000-row table every 20 ms would take most of
// one core of a 2-core machine (bench_queue.py probes pgjobd similarly,
// by a count that costs the database nothing).  Prints one JSON line:
//   {"peer": ..., "jobs": N, "seconds": S, "jobs_per_s": R}
//
// Settings, the fastest each library documents for short jobs:
//   gw    graphile-worker: concurrency 24, pool 25, local queue of 500,
//         completions and failures batched with no delay
//   boss  pg-boss: batches of 100, 2 local workers, fetching again at
//         once while batches come back full
import pg from 'pg';
import { run, runMigrations, makeWorkerUtils, Logger } from 'graphile-worker';
import { PgBoss } from 'pg-boss';

const [peer, socketDir, port, database, jobsArg] = process.argv.slice(2);
const jobs = Number(jobsArg);
if (!['gw', 'boss'].includes(peer) || !socketDir || !port || !database || !(jobs > 0)) {
  console.error('usage: node drain.mjs gw|boss SOCKET_DIR PORT DATABASE JOBS');
  process.exit(2);
}
const url = (db) =>
  `postgresql://postgres@${encodeURIComponent(socketDir)}:${port}/${db}`;
const CHUNK = 1000;
// How long a drain may take, within bench_queue.py's limit for the whole
// run (1,800 s, queueing included), so that a stuck drain is reported here.
const LIMIT_MS = 900000;
const msNow = () => Number(process.hrtime.bigint()) / 1e6;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

async function freshDatabase() {
  const c = new pg.Client({ connectionString: url('postgres') });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await c.query(`CREATE DATABASE "${database}"`);
  await c.end();
}

// analyze runs VACUUM ANALYZE on the database, as after a bulk load.
async function analyze() {
  const c = new pg.Client({ connectionString: url(database) });
  await c.connect();
  try {
    await c.query('VACUUM ANALYZE');
  } finally {
    await c.end();
  }
}

// ran counts the jobs the task has run; allRun resolves once it reaches
// jobs.
let ran = 0;
let allRunResolve;
const allRun = new Promise((resolve) => { allRunResolve = resolve; });
function count(n) {
  ran += n;
  if (ran >= jobs) allRunResolve();
}

// waitRun waits until the task has run every job, or limitMs has passed.
async function waitRun(limitMs) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${jobs - ran} jobs not run in the drain's time limit`)),
                       Math.max(0, limitMs));
  });
  try {
    await Promise.race([allRun, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// waitEmpty polls (every 20 ms, one connection) until sql counts 0.
async function waitEmpty(sql, limitMs) {
  const c = new pg.Client({ connectionString: url(database) });
  await c.connect();
  const end = msNow() + limitMs;
  try {
    for (;;) {
      const n = (await c.query(sql)).rows[0].n;
      if (n === 0) return;
      if (msNow() > end) throw new Error(`${n} jobs left after the drain's time limit`);
      await pause(20);
    }
  } finally {
    await c.end();
  }
}

// Only warnings and errors: the default logger writes a line per job.
const quiet = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') console.error(`graphile-worker ${level}: ${message}`);
});

async function graphileWorker() {
  const cs = url(database);
  await runMigrations({ connectionString: cs, logger: quiet });
  const utils = await makeWorkerUtils({ connectionString: cs, logger: quiet });
  for (let i = 0; i < jobs; i += CHUNK) {
    const n = Math.min(CHUNK, jobs - i);
    await utils.addJobs(Array.from({ length: n }, (_, k) => ({ identifier: 'noop', payload: { n: i + k } })));
  }
  await utils.release();
  await analyze();
  const t0 = msNow();
  const runner = await run({
    connectionString: cs, concurrency: 24, maxPoolSize: 25, noHandleSignals: true, logger: quiet,
    preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    taskList: { noop: async () => { count(1); } },
  });
  const end = t0 + LIMIT_MS;
  await waitRun(end - msNow());
  await waitEmpty('SELECT count(*)::int AS n FROM graphile_worker._private_jobs', end - msNow());
  const seconds = (msNow() - t0) / 1000;
  await runner.stop();
  return seconds;
}

async function pgBoss() {
  const boss = new PgBoss({ connectionString: url(database) });
  boss.on('error', (e) => console.error(`pg-boss error: ${e.message}`));
  await boss.start();
  await boss.createQueue('noop');
  for (let i = 0; i < jobs; i += CHUNK) {
    const n = Math.min(CHUNK, jobs - i);
    await boss.insert('noop', Array.from({ length: n }, (_, k) => ({ data: { n: i + k } })));
  }
  await analyze();
  const t0 = msNow();
  await boss.work('noop', { batchSize: 100, localConcurrency: 2, burstWhenBatchFull: true },
                  async (batch) => { count(batch.length); });
  const end = t0 + LIMIT_MS;
  await waitRun(end - msNow());
  await waitEmpty("SELECT count(*)::int AS n FROM pgboss.job WHERE state < 'completed'",
                  end - msNow());
  const seconds = (msNow() - t0) / 1000;
  await boss.stop({ graceful: false, wait: true }).catch(() => {});
  return seconds;
}

await freshDatabase();
const seconds = peer === 'gw' ? await graphileWorker() : await pgBoss();
console.log(JSON.stringify({ peer, jobs, seconds, jobs_per_s: jobs / seconds }));
process.exit(0);
