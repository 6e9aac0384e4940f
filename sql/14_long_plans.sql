-- Plans longer than a batch: the engine reads and parses bodies 256 steps at a time and
-- records applied/audit rows per batch (pfm_stamp: 1 000 revisions per statement), so that
-- its memory does not grow with the number of steps. The results, their order, the audit,
-- atomicity and the up-front refusal of a bad body are those of a short plan.
CREATE EXTENSION pfm_migrate;
CREATE TABLE ran (seq serial PRIMARY KEY, n int NOT NULL);
-- r0001 .. r0600, a chain; each upgrade records its number, each downgrade removes it. The
-- 32 kB string in each upgrade makes the bodies more than the engine keeps from vetting
-- them (8 MB): past step ~260 each batch is read and parsed again to run.
SELECT count(pfm_register('r' || lpad(g::text, 4, '0'),
                          CASE WHEN g > 1 THEN 'r' || lpad((g - 1)::text, 4, '0') END,
                          'INSERT INTO ran (n) VALUES (' || g || '); SELECT ''' || repeat('x', 32000) || ''';',
                          'DELETE FROM ran WHERE n = ' || g || ';', 'step ' || g))
  FROM generate_series(1, 600) AS g;
CREATE FUNCTION pg_temp.id(g bigint) RETURNS text LANGUAGE sql AS $$ SELECT 'r' || lpad(g::text, 4, '0') $$;

-- a syntax error in the third batch: refused before the first body runs (no step NOTICE)
SELECT pfm_register('r0550', 'r0549', 'INSERT INTO ran (n) VALUES (550;', 'DELETE FROM ran WHERE n = 550;', 'step 550');
\set VERBOSITY default
SELECT count(*) FROM pfm_upgrade('head');
SELECT count(*) AS ran, (SELECT count(*) FROM pfm_migrate.applied) AS applied,
       (SELECT count(*) FROM pfm_migrate.audit WHERE operation = 'upgrade') AS audited FROM ran;
SELECT pfm_register('r0550', 'r0549', 'INSERT INTO ran (n) VALUES (550);', 'DELETE FROM ran WHERE n = 550;', 'step 550');

-- an error in a batch read again to run: the context names the revision; nothing stays
SELECT pfm_register('r0400', 'r0399', 'INSERT INTO ran (n) VALUES (400 / 0);', 'DELETE FROM ran WHERE n = 400;', 'step 400');
SET client_min_messages = warning;
SELECT count(*) FROM pfm_upgrade('head');
SELECT count(*) AS ran, (SELECT count(*) FROM pfm_migrate.applied) AS applied,
       (SELECT count(*) FROM pfm_migrate.audit WHERE operation = 'upgrade') AS audited FROM ran;
RESET client_min_messages;
SELECT pfm_register('r0400', 'r0399', 'INSERT INTO ran (n) VALUES (400);', 'DELETE FROM ran WHERE n = 400;', 'step 400');

-- a body rewritten behind the migration lock's back while the call runs (the first body
-- calls a function that rewrites one read again later): 40001, nothing stays
CREATE FUNCTION tamper() RETURNS void LANGUAGE sql
  AS $$ UPDATE pfm_migrate.revisions SET upgrade = 'SELECT 590' WHERE revision = 'r0590' $$;
SELECT pfm_register('r0001', NULL, 'SELECT tamper(); INSERT INTO ran (n) VALUES (1);', 'DELETE FROM ran WHERE n = 1;', 'step 1');
SET client_min_messages = warning;
DO $$ BEGIN
  PERFORM count(*) FROM pfm_upgrade('head');
EXCEPTION WHEN serialization_failure THEN
  RAISE WARNING '40001: %', SQLERRM;
END $$;
SELECT count(*) AS ran, (SELECT count(*) FROM pfm_migrate.applied) AS applied,
       (SELECT count(*) FROM pfm_migrate.audit WHERE operation = 'upgrade') AS audited,
       (SELECT upgrade FROM pfm_migrate.revisions WHERE revision = 'r0590') LIKE 'INSERT%' AS body_kept FROM ran;
RESET client_min_messages;
SELECT pfm_register('r0001', NULL, 'INSERT INTO ran (n) VALUES (1);', 'DELETE FROM ran WHERE n = 1;', 'step 1');

-- upgrade: one row per step in execution order, the bodies ran in that order, every step
-- applied and audited once, in order
SET client_min_messages = warning;
CREATE TEMP TABLE result AS SELECT * FROM pfm_upgrade('head') WITH ORDINALITY AS s(revision, direction, message, elapsed_ms, ord);
RESET client_min_messages;
SELECT count(*) AS rows, bool_and(revision = pg_temp.id(ord)) AS in_order, bool_and(direction = 'upgrade') AS upgrades,
       bool_and(message = 'step ' || ord) AS messages, bool_and(elapsed_ms >= 0) AS timed FROM result;
SELECT count(*) AS ran, bool_and(n = seq - (SELECT min(seq) FROM ran) + 1) AS in_order FROM ran;
SELECT count(*) AS applied, count(DISTINCT revision) AS distinct_revisions FROM pfm_migrate.applied;
SELECT count(*) AS audited, bool_and(revision = pg_temp.id(ord)) AS in_order
  FROM (SELECT revision, row_number() OVER (ORDER BY id) AS ord FROM pfm_migrate.audit
         WHERE operation = 'upgrade') AS a;
SELECT a.checksum = r.checksum AS applied_checksums FROM pfm_migrate.applied a JOIN pfm_migrate.revisions r USING (revision)
 GROUP BY 1;
SELECT * FROM pfm_migrate.version;

-- downgrade to base: newest first, every step unrecorded and audited
SET client_min_messages = warning;
CREATE TEMP TABLE reverted AS SELECT * FROM pfm_downgrade('base') WITH ORDINALITY AS s(revision, direction, message, elapsed_ms, ord);
RESET client_min_messages;
SELECT count(*) AS rows, bool_and(revision = pg_temp.id(601 - ord)) AS newest_first FROM reverted;
SELECT count(*) AS ran, (SELECT count(*) FROM pfm_migrate.applied) AS applied,
       (SELECT count(*) FROM pfm_migrate.version) AS version_rows FROM ran;
SELECT count(*) AS audited, bool_and(revision = pg_temp.id(601 - ord)) AS newest_first
  FROM (SELECT revision, row_number() OVER (ORDER BY id) AS ord FROM pfm_migrate.audit
         WHERE operation = 'downgrade') AS a;

-- a dry run over the whole chain: every row, nothing run
SELECT count(*) AS rows, count(elapsed_ms) AS timed FROM pfm_upgrade('head', true);

-- CALL pfm_deploy: a bad body in a later batch fails the deploy before the first commit
SELECT pfm_register('r0550', 'r0549', 'INSERT INTO ran (n) VALUES (550;', 'DELETE FROM ran WHERE n = 550;', 'step 550');
CALL pfm_deploy('head');
SELECT count(*) AS ran, (SELECT count(*) FROM pfm_migrate.applied) AS applied, pfm_current() AS current FROM ran;
SELECT pfm_register('r0550', 'r0549', 'INSERT INTO ran (n) VALUES (550);', 'DELETE FROM ran WHERE n = 550;', 'step 550');
-- one transaction per revision over several batches: all applied, audited in order
SET client_min_messages = warning;
CALL pfm_deploy('head');
RESET client_min_messages;
SELECT count(*) AS ran, bool_and(n = seq - (SELECT min(seq) FROM ran) + 1) AS in_order,
       (SELECT count(*) FROM pfm_migrate.applied) AS applied, pfm_current() AS current FROM ran;
SELECT count(*) AS audited, bool_and(revision = pg_temp.id(ord)) AS in_order
  FROM (SELECT revision, row_number() OVER (ORDER BY id) AS ord FROM pfm_migrate.audit
         WHERE operation = 'upgrade' AND id > (SELECT max(id) FROM pfm_migrate.audit WHERE operation = 'downgrade')) AS a;
SET client_min_messages = warning;
CALL pfm_revert('base');
RESET client_min_messages;
SELECT count(*) AS ran, (SELECT count(*) FROM pfm_migrate.applied) AS applied, pfm_current() AS current FROM ran;

-- pfm_stamp over more than one slice: every revision marked and audited once, in order
SELECT count(pfm_register('s' || lpad(g::text, 4, '0'),
                          CASE WHEN g > 1 THEN 's' || lpad((g - 1)::text, 4, '0') END, 'SELECT 1', 'SELECT 1'))
  FROM generate_series(1, 2500) AS g;
SELECT pfm_stamp('s2500');
SELECT count(*) AS stamped, bool_and(stamped) AS all_stamped FROM pfm_migrate.applied WHERE revision LIKE 's%';
SELECT count(*) AS audited, bool_and(revision = 's' || lpad(ord::text, 4, '0')) AS in_order
  FROM (SELECT revision, row_number() OVER (ORDER BY id) AS ord FROM pfm_migrate.audit
         WHERE operation = 'stamp' AND direction = 'upgrade') AS a;
SELECT pfm_stamp('base');
SELECT count(*) AS applied FROM pfm_migrate.applied;
SELECT count(*) AS audited FROM pfm_migrate.audit WHERE operation = 'stamp' AND direction = 'downgrade';

DROP TABLE ran;
DROP EXTENSION pfm_migrate;
