-- SPDX-License-Identifier: MIT
-- 022_type_check: the check of a job's type without a regular expression.
--
-- PostgreSQL evaluates every CHECK constraint of a table on every UPDATE
-- of a row, whatever columns the UPDATE sets.  So the claim and the
-- completion of a job each tested its type against the regular
-- expression '^[a-z][a-z0-9_.-]{0,63}$', though neither changes it: about
-- 2.2 us per row on the benchmark machine, more than the other sixteen
-- checks of pgjob.job together (docs/benchmarks.md, "The type check").
--
-- The same rule, written with string functions that cost about 0.5 us:
-- the name starts with a lower-case letter (compared as bytes, from 'a'
-- to just before '{', the byte after 'z', in any encoding), every
-- character is one of [a-z0-9_.-] (ltrim of those leaves nothing), and
-- the name has 1 to 64 characters (once every character is ASCII, its
-- length in bytes is its length in characters).  test_sql_type_check.py
-- holds the two rules against each other.
--
-- Adding the constraint reads every row of pgjob.job once, while the
-- migration holds the table's lock (submits, claims and reads wait); no
-- row changes.

ALTER TABLE pgjob.job
    DROP CONSTRAINT job_type_check,
    ADD CONSTRAINT job_type_check CHECK (
        octet_length(type) BETWEEN 1 AND 64
        AND type COLLATE "C" >= 'a' AND type COLLATE "C" < '{'
        AND ltrim(type, 'abcdefghijklmnopqrstuvwxyz0123456789_.-') = '');
