# SPDX-License-Identifier: MIT
"""The claim's floor (sql/012_hotset.sql): bounded work under a held
snapshot, and no job ever hidden behind a floor.

The held-xmin test counts work, not time: with another session holding a
REPEATABLE READ snapshot, no dead entry of pgjob.ready can be removed, so
a claim that walked them all would walk more entries batch after batch
(counted by the index scans' own statistics).  The same drain with the floor switched off (a full scan on every
claim) shows the growth the measure would see, so the test can fail.
Entries the index itself rejects (a row comparison checked entry by
entry) are not counted as returned, so a second test counts the index
pages a claim reads: it starts at the floor (sql/017_floor_ranks.sql).
"""

import collections
import contextlib
import datetime
import json
import re
import statistics
import threading
import time

import pytest

from jobs_helpers import (check_invariants, claim, db_now, new_account, release_one,
                          rows, submit, submit_many, value)


pytestmark = pytest.mark.sql_only

TYPES = ["echo", "enrich"]
BATCH = 50
BATCHES = 24


@pytest.fixture
def acct(conn):
    return new_account(conn)


WALKED = """
    SELECT sum(pg_stat_get_tuples_returned(i.indexrelid)
               + pg_stat_get_xact_tuples_returned(i.indexrelid))
      FROM pg_index i WHERE i.indrelid = 'pgjob.ready'::regclass"""


# The index pages this transaction read (its own counts only, which no
# other backend's report can change between two reads).
PAGES = """
    SELECT sum(pg_stat_get_xact_blocks_fetched(i.indexrelid))
      FROM pg_index i WHERE i.indrelid = 'pgjob.ready'::regclass"""


def claim_walk(conn, limit, types=TYPES, measure=WALKED):
    """Claim limit jobs; return (the claimed ids, the index entries of
    pgjob.ready the claim walked).  An index scan counts every entry it
    returns, dead ones included (but for entries already marked dead,
    which a held snapshot prevents).  The counts of a backend are its
    reported ones plus those not reported yet, which it reports between
    transactions: read both, in one transaction with the claim."""
    conn.autocommit = False
    try:
        conn.cursor().execute("SET LOCAL stats_fetch_consistency = none")
        before = value(conn, measure)
        got = [r["id"] for r in rows(conn, "SELECT id::text FROM pgjob.claim('w', %s, %s::text[])",
                                     (limit, types))]
        walked = value(conn, measure) - before
        conn.commit()
    finally:
        conn.autocommit = True
    return got, walked


@contextlib.contextmanager
def held_snapshot(connect):
    """Another session holds a REPEATABLE READ snapshot for the block: no
    dead entry made meanwhile can be removed."""
    holder = connect(autocommit=False)
    holder.set_session(isolation_level="REPEATABLE READ")
    holder.cursor().execute("SELECT count(*) FROM pgjob.account")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def complete_all(conn, ids):
    entries = [{"id": str(r["job_id"]), "attempt": r["attempt"], "results": [{"ok": True}]}
               for r in rows(conn, "SELECT job_id, attempt FROM pgjob.lease"
                                   " WHERE job_id = ANY (%s::uuid[])", ([str(i) for i in ids],))]
    assert value(conn, "SELECT count(*) FROM pgjob.complete(%s::jsonb)"
                       " WHERE outcome = 'completed'", (json.dumps(entries),)) == len(ids)


def drain_under_held_snapshot(connect, conn, acct, full_scans):
    """Queue BATCH x BATCHES jobs, hold a snapshot, drain them in batches
    (claim, then complete); return the index entries each claim walked."""
    submit_many(conn, acct, BATCH * BATCHES, type="echo")
    conn.cursor().execute("VACUUM ANALYZE pgjob.ready")
    with held_snapshot(connect):
        if full_scans:
            conn.cursor().execute("SET pgjob.claim_full_scan_interval = '0'")
        else:
            # no periodic full scan during the test, however slow the machine
            conn.cursor().execute("SET pgjob.claim_full_scan_interval = '1 hour'")
        used = []
        for _ in range(BATCHES):
            got, walked = claim_walk(conn, BATCH)
            assert len(got) == BATCH
            complete_all(conn, got)
            used.append(walked)
        assert claim_walk(conn, BATCH)[0] == []
    check_invariants(conn)
    return used


def growth(used):
    """Median buffers of the last third of the batches over the second
    third's (the first claim is a full scan and sets the floors)."""
    third = len(used) // 3
    return statistics.median(used[-third:]) / statistics.median(used[third:2 * third])


def test_claim_work_stays_bounded_under_a_held_snapshot(connect, conn, acct):
    used = drain_under_held_snapshot(connect, conn, acct, full_scans=False)
    # A floor is rewritten once it is more than two claims behind: no
    # claim walks much more than three claims' worth of entries.
    assert max(used[1:]) <= 4 * BATCH, used
    assert growth(used) < 1.3, used


def test_without_the_floor_the_same_drain_grows(connect, conn, acct):
    # The measure of the test above sees the walk over dead entries.
    used = drain_under_held_snapshot(connect, conn, acct, full_scans=True)
    # the last claim walks past every job claimed before it
    assert used[-1] >= (BATCHES - 1) * BATCH, used
    assert growth(used) > 1.5, used


@pytest.mark.parametrize("types", [["echo"], TYPES])
def test_claim_starts_reading_the_index_at_its_floor(connect, conn, acct, types):
    # 6,000 jobs claimed under a held snapshot leave 6,000 dead entries in
    # front of the live ones (some 30 index pages).  A claim that starts
    # at the floor reads a root-to-leaf path and the leaf pages of the
    # entries since the floor; one that starts at the front of the rank
    # reads every page of dead entries (measured before 017_floor_ranks: 28 to 33 in
    # the last claims).
    submit_many(conn, acct, 6500, type="echo")
    conn.cursor().execute("VACUUM ANALYZE pgjob.ready")
    with held_snapshot(connect):
        conn.cursor().execute("SET pgjob.claim_full_scan_interval = '1 hour'")
        pages = []
        for _ in range(12):
            got, read = claim_walk(conn, 500, types, measure=PAGES)
            assert len(got) == 500
            complete_all(conn, got)
            pages.append(read)
        got, read = claim_walk(conn, 50, types, measure=PAGES)
        assert len(got) == 50
        pages.append(read)
    # Measured with the floor scan of 017: 7, 8, 11, 13, 9, 11, 14, 9, 12, 14, 9, 11, 11 (the
    # floor is rewritten every few claims); before it the same drain read
    # 7, 8, 11, ... 31, 33, 33, more with every claim.  The last claims
    # read no more than the early ones, with room to spare (the first
    # claim is a full scan that sets the floor).
    pages = [int(p) for p in pages]
    assert max(pages[-4:]) <= max(pages[1:5]) + 6, pages


def test_claims_of_a_lower_priority_skip_the_dead_of_a_higher_one(connect, conn, acct):
    # 3,000 jobs of priority 10 claimed under a held snapshot leave their
    # dead entries in front of the priority-0 jobs.  Claims of priority 0
    # start each rank at its own floor (sql/017_floor_ranks.sql); before,
    # the ranks in front of the floor's were scanned from their start, and
    # every claim walked every one of those dead entries again.
    submit_many(conn, acct, 3000, type="echo", priority=10)
    submit_many(conn, acct, 1500, type="echo")
    # this database is the test's own: no autovacuum (nor its ANALYZE,
    # which may change the plan) between the claims
    conn.cursor().execute("ALTER TABLE pgjob.ready SET (autovacuum_enabled = off)")
    conn.cursor().execute("VACUUM ANALYZE pgjob.ready")
    with held_snapshot(connect):
        conn.cursor().execute("SET pgjob.claim_full_scan_interval = '1 hour'")
        walked = []
        for _ in range(14):
            got, n = claim_walk(conn, 300, ["echo"])
            assert len(got) == 300
            complete_all(conn, got)
            walked.append(int(n))
    # Claims 1-10 took priority 10, the rest priority 0.  Measured for the
    # last three: 900, 1,200 and 1,500 entries with a floor per rank; 3,600, 3,900 and
    # 4,200 before it (every dead entry of priority 10 again).
    assert max(walked[-3:]) <= 2000, walked
    check_invariants(conn)


def test_a_higher_priority_falling_due_is_not_hidden(conn, acct):
    # A job scheduled for later sits behind the floor of its rank, not in
    # front of it: once due it comes first, though the claims meanwhile
    # took a lower priority and moved that rank's floor.
    conn.cursor().execute("SET pgjob.claim_full_scan_interval = '1 hour'")
    submit_many(conn, acct, 6, type="echo", priority=5)
    submit_many(conn, acct, 20, type="echo")
    for _ in range(3):                          # priority 5 drained: its floor
        claim_checked(conn, 2, types=["echo"])
    later = submit(conn, acct, type="echo", priority=5,
                   run_at=db_now(conn) + datetime.timedelta(seconds=5))
    assert later not in claim_checked(conn, 3, types=["echo"])   # priority 0 now
    assert value(conn, "SELECT count(*) FROM pgjob.ready_floor WHERE rank = -5") == 1
    # wait (bounded) until the database's clock passes its run_at
    deadline = time.monotonic() + 30
    while not value(conn, "SELECT now() >= run_at FROM pgjob.ready WHERE job_id = %s",
                    (later,)):
        assert time.monotonic() < deadline, "the database's clock did not move"
        time.sleep(0.1)
    assert claim_checked(conn, 2, types=["echo"])[0] == later
    check_invariants(conn)


def test_claims_of_overlapping_types_never_wait_for_each_other(connect, conn, acct):
    # Two transactions each claim a type, then the other's: each sets
    # floors of a rank new to it.  An insert of a floor that met the other
    # transaction's uncommitted one would wait for it, and the two would
    # deadlock; a claim skips such a floor instead (017_floor_ranks.sql).
    conn.cursor().execute("SET pgjob.claim_full_scan_interval = '1 hour'")
    for t in ("echo", "enrich"):
        submit_many(conn, acct, 4, type=t)
        claim(conn, "w", 2, types=[t])            # floors at rank 0
        submit_many(conn, acct, 4, type=t, priority=5)
    first, second = connect(autocommit=False), connect(autocommit=False)
    try:
        for c in (first, second):
            c.cursor().execute("SET pgjob.claim_full_scan_interval = '1 hour'")
        first.cursor().execute("SELECT count(*) FROM pgjob.claim('w1', 1, '{echo}')")
        second.cursor().execute("SELECT count(*) FROM pgjob.claim('w2', 1, '{enrich}')")
        errors = []

        def cross(c, types):
            try:
                c.cursor().execute("SELECT count(*) FROM pgjob.claim('w', 1, %s::text[])",
                                   (types,))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        late = threading.Thread(target=cross, args=(second, ["echo"]))
        late.start()
        late.join(timeout=30)
        assert not late.is_alive(), "a claim waited for another transaction's floor"
        cross(first, ["enrich"])
        assert errors == []
        first.commit()
        second.commit()
    finally:
        first.close()
        second.close()
    check_invariants(conn)


def in_order(conn, n, types=TYPES):
    """The first n due jobs of the types in claim order, read from
    pgjob.ready in full: what a claim must take."""
    return [r["job_id"] for r in rows(conn, """
        SELECT r.job_id::text FROM pgjob.ready r
         WHERE r.run_at <= now() AND r.type = ANY (%s::text[])
         ORDER BY r.priority DESC, r.run_at, r.seq LIMIT %s""", (types, n))]


def claim_checked(conn, n, types=TYPES):
    want = in_order(conn, n, types)
    got = [r["id"] for r in claim(conn, "w", n, types=types)]
    assert got == want
    return got


def test_floor_never_hides_a_job_put_in_front_of_it(conn, acct):
    conn.cursor().execute("SET pgjob.claim_full_scan_interval = '1 hour'")
    ids = submit_many(conn, acct, 40, type="echo")
    # the first claim of the types sets their floors (a full scan); the
    # next ones move them
    for _ in range(4):
        claim_checked(conn, 5)
    assert value(conn, "SELECT count(*) FROM pgjob.ready_floor") == 2
    # handed back (release), failed for a retry at once, rescued, resumed:
    # each is queued again where its run_at puts it
    back = rows(conn, "SELECT job_id::text AS id, attempt FROM pgjob.lease ORDER BY job_id")
    assert value(conn, "SELECT count(*) FROM pgjob.release(%s::jsonb)",
                 (json.dumps([{"id": back[0]["id"], "attempt": back[0]["attempt"]}]),)) == 1
    assert value(conn, "SELECT count(*) FROM pgjob.fail(%s::jsonb, '0', '0')",
                 (json.dumps([{"id": back[1]["id"], "attempt": back[1]["attempt"],
                               "error": {"code": "x", "message": "y"}}]),)) == 1
    conn.cursor().execute("UPDATE pgjob.lease SET lease_until = now() - interval '1 s'"
                          " WHERE job_id = %s", (back[2]["id"],))
    assert value(conn, "SELECT count(*) FROM pgjob.rescue()") == 1
    # submitted with an earlier run_at than any, and with other priorities
    earlier = submit(conn, acct, type="echo", run_at=db_now(conn).replace(year=2000))
    urgent = submit(conn, acct, type="echo", priority=5)
    low = submit(conn, acct, type="echo", priority=-5)
    first = claim_checked(conn, 5)
    assert first[:2] == [urgent, earlier]
    while claim_checked(conn, 7):
        pass
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 0
    assert value(conn, "SELECT status FROM pgjob.job WHERE id = %s", (low,)) == "processing"
    assert len(ids) == 40
    check_invariants(conn)


def test_floor_of_one_type_does_not_hide_another(conn, acct):
    conn.cursor().execute("SET pgjob.claim_full_scan_interval = '1 hour'")
    submit_many(conn, acct, 10, type="echo")
    submit_many(conn, acct, 10, type="enrich")
    submit_many(conn, acct, 10, type="echo")
    # claims of echo alone move echo's floor past the enrich jobs' keys
    for _ in range(8):
        claim_checked(conn, 2, types=["echo"])
    claim_checked(conn, 3, types=["enrich"])
    while claim_checked(conn, 4):
        pass
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 0
    check_invariants(conn)


def test_floor_is_reset_by_a_full_scan(conn, acct):
    ids = submit_many(conn, acct, 6, type="echo")
    claim(conn, "w", 3, types=TYPES)
    # a floor that has moved past a live row (as after a claim that rolled
    # back while another moved the floor): the next full scan finds it
    conn.cursor().execute("UPDATE pgjob.ready_floor SET seq = seq + 1000")
    conn.cursor().execute("SET pgjob.claim_full_scan_interval = '1 hour'")
    assert claim(conn, "w", 3, types=TYPES) == []
    conn.cursor().execute("SET pgjob.claim_full_scan_interval = '0'")
    assert [r["id"] for r in claim(conn, "w", 3, types=TYPES)] == ids[3:]
    check_invariants(conn)


# ---- HOT updates of pgjob.job (sql/013_hotpath.sql) -------------------------

HOT = """
    SELECT pg_stat_get_xact_tuples_updated('pgjob.job'::regclass),
           pg_stat_get_xact_tuples_hot_updated('pgjob.job'::regclass)"""


def updates_in(conn, sql, params=None):
    """Run sql in a transaction of its own; return (updates, HOT updates)
    of pgjob.job it made, from the transaction's own statistics."""
    conn.autocommit = False
    try:
        cur = conn.cursor()
        cur.execute(HOT)
        u0, h0 = cur.fetchone()
        cur.execute(sql, params)
        cur.execute(HOT)
        u1, h1 = cur.fetchone()
        conn.commit()
    finally:
        conn.autocommit = True
    return u1 - u0, h1 - h0


def assert_no_index_names(conn, changed):
    """No index of pgjob.job names a column of changed, as a key, in an
    expression or in its predicate."""
    for index in rows(conn, """
            SELECT c.relname,
                   ARRAY(SELECT a.attname FROM pg_attribute a
                          WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)),
                   coalesce(pg_get_expr(i.indexprs, i.indrelid), '') || ' ' ||
                   coalesce(pg_get_expr(i.indpred, i.indrelid), '')
              FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid = 'pgjob.job'::regclass"""):
        name, columns, exprs = index.values()
        named = set(columns) | set(re.findall(r"[a-z_]+", exprs))
        assert not named & changed, f"index {name} names {sorted(named & changed)}"


def test_claim_and_heartbeat_are_hot_updates(conn, acct):
    """No index of pgjob.job names a column a claim or a heartbeat
    changes, and a page keeps room for the new version: both are HOT
    updates.  Any index that names status or updated_at breaks this.
    Whether a new version finds room on its page depends on when the
    page's dead versions are pruned, so a few may not be HOT."""
    # The rule itself: no index of pgjob.job names (as a key, in an
    # expression or in its predicate) a column that a claim or a
    # heartbeat writes.
    assert_no_index_names(conn, {"status", "updated_at", "attempt_count", "started_at",
                                 "version", "items_done", "results", "failed_attempts",
                                 "run_at"})
    # And the effect, counted: with room on the page (fillfactor), most are
    # HOT; how many exactly depends on when dead versions were pruned, and
    # on a busy machine fewer may be, so this counts at least one.
    submit_many(conn, acct, 20, type="echo")
    conn.cursor().execute("VACUUM pgjob.job")
    updates, hot = updates_in(conn, "SELECT count(*) FROM pgjob.claim('w', 20, '{echo}'::text[])")
    assert updates == 20 and hot >= 1
    lease = rows(conn, "SELECT job_id::text, attempt FROM pgjob.lease")
    beats = updates_in(conn, "SELECT count(*) FROM unnest(%s::uuid[], %s::integer[]) AS l(id, a),"
                             " pgjob.heartbeat(l.id, l.a, p_items_done => 1,"
                             " p_results => '[{\"ok\": true}]'::jsonb)",
                       ([r["job_id"] for r in lease], [r["attempt"] for r in lease]))
    assert beats[0] == 20 and beats[1] >= 1
    # A heartbeat that sends only the results from an index on (016)
    # locks the row before its update: still HOT.
    beats = updates_in(conn, "SELECT count(*) FROM unnest(%s::uuid[], %s::integer[]) AS l(id, a),"
                             " pgjob.heartbeat(l.id, l.a, p_items_done => 1,"
                             " p_results => '[{\"ok\": 2}]'::jsonb, p_results_from => 1)",
                       ([r["job_id"] for r in lease], [r["attempt"] for r in lease]))
    assert beats[0] == 20 and beats[1] >= 1
    check_invariants(conn)
    # What the test can see fail: an index naming status makes them not HOT.
    conn.cursor().execute("CREATE INDEX job_status_probe ON pgjob.job (status)")
    try:
        submit_many(conn, acct, 5, type="echo")
        assert updates_in(conn, "SELECT count(*) FROM pgjob.claim('w', 5, '{echo}'::text[])") \
            == (5, 0)
    finally:
        conn.cursor().execute("DROP INDEX pgjob.job_status_probe")


def test_completion_is_a_hot_update(conn, acct):
    """Since sql/020_hot_completion.sql no index of pgjob.job names a
    column that a completion, a failure or a cancel writes (expiry walks
    sweep_at, which submit sets), so a completion is HOT when its page
    has room.  (cancel also clears paused_since, which job_paused_idx
    names; that is a change only for a paused job.)"""
    assert_no_index_names(conn, {"status", "results", "results_bytes", "items_done",
                                 "items_failed", "completed_at", "updated_at",
                                 "processing_ms", "validation_flags", "confidence", "model",
                                 "cache_hit", "version", "expires_at", "error"})

    def finish(n):
        submit_many(conn, acct, n, type="echo")
        conn.cursor().execute("VACUUM pgjob.job")
        got = claim(conn, "w", n, ["echo"])
        entries = [{"id": str(r["id"]), "attempt": r["attempt"], "results": [{"ok": True}]}
                   for r in got]
        return updates_in(conn, "SELECT count(*) FROM pgjob.complete(%s::jsonb)",
                          (json.dumps(entries),))

    updates, hot = finish(20)
    assert updates == 20 and hot >= 1
    check_invariants(conn)
    # What the test can see fail: an index naming expires_at, as 013's
    # job_expiry_idx did, makes every completion not HOT.
    conn.cursor().execute("CREATE INDEX job_expires_probe ON pgjob.job (expires_at)")
    try:
        assert finish(5) == (5, 0)
    finally:
        conn.cursor().execute("DROP INDEX pgjob.job_expires_probe")


def test_paused_since_follows_pause_resume_cancel(conn, acct):
    jid = submit(conn, acct, type="echo")
    depth = "SELECT jobs FROM pgjob.queue_depth() WHERE status = 'paused'"
    conn.cursor().execute("SELECT pgjob.pause(%s, %s)", (acct, jid))
    assert value(conn, "SELECT paused_since IS NOT NULL FROM pgjob.job WHERE id = %s", (jid,))
    assert value(conn, depth) == 1
    assert value(conn, "SELECT paused FROM pgjob.report_queue WHERE type = 'echo'") == 1
    check_invariants(conn)
    conn.cursor().execute("SELECT pgjob.resume(%s, %s)", (acct, jid))
    assert value(conn, "SELECT paused_since FROM pgjob.job WHERE id = %s", (jid,)) is None
    assert value(conn, depth) == 0
    check_invariants(conn)
    conn.cursor().execute("SELECT pgjob.pause(%s, %s)", (acct, jid))
    conn.cursor().execute("SELECT pgjob.cancel(%s, %s)", (acct, jid))
    assert value(conn, "SELECT paused_since FROM pgjob.job WHERE id = %s", (jid,)) is None
    assert value(conn, depth) == 0
    check_invariants(conn)


# ---- the completion's check (sql/021_complete_check.sql) --------------------

def test_completion_check_never_compares_every_entry_with_every_row(conn, acct):
    """complete's first statement locks the batch's rows in id order and
    checks each held attempt's result count.  Whatever join the planner
    could pick (here hash and merge joins are off, so a nested loop, as
    misleading statistics once chose), no step compares every entry with
    every row: in auto_explain's plan of that statement (JSON, sent back
    as a notice) the rows removed by filters, over all loops, are at most
    two per entry (one by the duplicate check's grouping, one by the
    count check).  The plan also shows the lock order: the entries
    sorted by id outside, one probe of the job's primary key per entry."""
    n = 50
    submit_many(conn, acct, n, type="echo")
    entries = [{"id": str(r["id"]), "attempt": r["attempt"], "results": [{"ok": True}]}
               for r in claim(conn, "w", n, ["echo"])]
    cur = conn.cursor()
    cur.execute("LOAD 'auto_explain'")
    for setting, to in (("auto_explain.log_min_duration", "0"),
                        ("auto_explain.log_nested_statements", "on"),
                        ("auto_explain.log_analyze", "on"),
                        ("auto_explain.log_format", "json"),
                        ("auto_explain.log_level", "notice"),
                        ("enable_hashjoin", "off"), ("enable_mergejoin", "off")):
        cur.execute("SELECT set_config(%s, %s, false)", (setting, to))
    conn.notices = collections.deque()
    try:
        assert value(conn, "SELECT count(*) FROM pgjob.complete(%s::jsonb)"
                           " WHERE outcome = 'completed'", (json.dumps(entries),)) == n
        plans = [json.loads(p[p.index("{"):]) for p in conn.notices if "'count', 1" in p]
    finally:
        cur.execute("SET auto_explain.log_min_duration = -1")
        cur.execute("RESET enable_hashjoin")
        cur.execute("RESET enable_mergejoin")
    assert len(plans) == 1, "no plan, or more than one, of the check statement came back"
    nodes = list(plan_nodes(plans[0]["Plan"]))
    removed = sum((node.get("Rows Removed by Filter", 0)
                   + node.get("Rows Removed by Join Filter", 0)) * node["Actual Loops"]
                  for node in nodes)
    assert removed <= 2 * n, removed
    assert any(node["Node Type"] == "Sort" and node.get("Sort Key") == ["u.id"]
               for node in nodes)
    assert any(node["Node Type"] == "Index Scan" and node["Index Name"] == "job_pkey"
               and node["Actual Loops"] == n for node in nodes)
    check_invariants(conn)


def plan_nodes(node):
    """Every node of an EXPLAIN (FORMAT JSON) plan tree."""
    yield node
    for child in node.get("Plans", ()):
        yield from plan_nodes(child)
