-- A no-op found by a full plan is recorded for exactly that catalog (pfm_migrate.noop_verdict,
-- issue 15); any change to revisions or applied makes the next call plan in full again, so
-- the checks a no-op passed still run whenever they could find something.
CREATE EXTENSION pfm_migrate;
-- (These are the calls that record on demand: the recording a changing transaction's
-- commit does, tested in sql/15_record_at_commit.sql, is off in this database meanwhile.)
SELECT current_database() AS dbname \gset
ALTER DATABASE :"dbname" SET pfm_migrate.record_at_commit = off;
SET pfm_migrate.record_at_commit = off;
SELECT pfm_register('v1', NULL, 'CREATE TABLE v1_t (id int);', 'DROP TABLE v1_t;', 'one');
SELECT pfm_register('v2', 'v1', 'CREATE TABLE v2_t (id int);', 'DROP TABLE v2_t;', 'two');
SELECT revision FROM pfm_upgrade('head');
-- the key of the catalog as it is now
CREATE FUNCTION pg_temp.catalog_key() RETURNS text LANGUAGE sql AS $$
SELECT g.xmin::text || ':' || g.generation || ':' || e.extversion
  FROM pfm_migrate.catalog_generation g, pg_extension e WHERE e.extname = 'pfm_migrate' $$;
SELECT target, catalog_key IS NULL AS none FROM pfm_migrate.noop_verdict ORDER BY 1;

-- a no-op records itself (a dry run reads the record, never writes it)
SELECT * FROM pfm_upgrade('head', dry_run => true);
SELECT count(*) FROM pfm_migrate.noop_verdict WHERE catalog_key IS NOT NULL;
SELECT * FROM pfm_upgrade('head');
SELECT target, catalog_key = pg_temp.catalog_key() AS this_catalog FROM pfm_migrate.noop_verdict
 WHERE catalog_key IS NOT NULL;
SELECT * FROM pfm_upgrade('head');
SELECT * FROM pfm_upgrade('head', dry_run => true);

-- a body edited behind the engine's back: a new key; the drift is found and refused
UPDATE pfm_migrate.revisions SET upgrade = 'CREATE TABLE v2_t (id text);' WHERE revision = 'v2';
SELECT catalog_key = pg_temp.catalog_key() AS still_this_catalog FROM pfm_migrate.noop_verdict WHERE target = 'head';
SELECT * FROM pfm_upgrade('head');
UPDATE pfm_migrate.revisions SET upgrade = 'CREATE TABLE v2_t (id int);' WHERE revision = 'v2';
SELECT * FROM pfm_upgrade('head');

-- a new revision: a new key; it is applied
SELECT pfm_register('v3', 'v2', 'CREATE TABLE v3_t (id int);', 'DROP TABLE v3_t;', 'three');
SELECT revision FROM pfm_upgrade('head');
SELECT * FROM pfm_upgrade('head');
SELECT catalog_key = pg_temp.catalog_key() AS this_catalog FROM pfm_migrate.noop_verdict WHERE target = 'head';

-- an unknown applied revision (written by hand): refused, never served from the record
INSERT INTO pfm_migrate.applied (revision, checksum) VALUES ('ghost', 'x');
SELECT * FROM pfm_upgrade('head');
DELETE FROM pfm_migrate.applied WHERE revision = 'ghost';
SELECT * FROM pfm_upgrade('head');

-- inside a transaction that changed the catalog: always planned in full
BEGIN;
SELECT pfm_register('v4', 'v3', 'CREATE TABLE v4_t (id int);', 'DROP TABLE v4_t;', 'four');
SELECT revision FROM pfm_upgrade('head');
SELECT * FROM pfm_upgrade('head');
ROLLBACK;

-- two heads: 'head' is an error every time, 'heads' a recorded no-op
SELECT pfm_register('w1', 'v1', 'CREATE TABLE w1_t (id int);', 'DROP TABLE w1_t;', 'branch');
SELECT revision FROM pfm_upgrade('heads');
SELECT * FROM pfm_upgrade('head');
SELECT * FROM pfm_upgrade('head');
SELECT * FROM pfm_upgrade('heads');
SELECT target FROM pfm_migrate.noop_verdict WHERE catalog_key = pg_temp.catalog_key();

-- REPEATABLE READ reads the record but never writes it (locking its row after another
-- session updated it would fail the no-op with a serialization error)
SELECT pfm_register('w2', 'w1', 'SELECT 1', 'SELECT 1', 'after the branch');
SELECT revision FROM pfm_upgrade('heads');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM pfm_upgrade('heads');
COMMIT;
SELECT count(*) FROM pfm_migrate.noop_verdict WHERE catalog_key = pg_temp.catalog_key();
SELECT * FROM pfm_upgrade('heads');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM pfm_upgrade('heads');
COMMIT;
SELECT target FROM pfm_migrate.noop_verdict WHERE catalog_key = pg_temp.catalog_key();

-- a read-only transaction: refused as before, recorded or not
BEGIN READ ONLY;
SELECT * FROM pfm_upgrade('heads');
ROLLBACK;

-- a role that may not read the record plans in full, with the same answer
CREATE ROLE pfm_verdict_reader;
GRANT USAGE ON SCHEMA pfm_migrate TO pfm_verdict_reader;
GRANT SELECT ON pfm_migrate.revisions, pfm_migrate.applied, pfm_migrate.catalog_generation, pfm_migrate.version
  TO pfm_verdict_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pfm_migrate TO pfm_verdict_reader;
SET ROLE pfm_verdict_reader;
SELECT * FROM pfm_upgrade('heads', dry_run => true);
SELECT * FROM pfm_upgrade('heads');
RESET ROLE;
REVOKE ALL ON ALL TABLES IN SCHEMA pfm_migrate FROM pfm_verdict_reader;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA pfm_migrate FROM pfm_verdict_reader;
REVOKE ALL ON SCHEMA pfm_migrate FROM pfm_verdict_reader;
DROP ROLE pfm_verdict_reader;

-- pfm_migrate.noop_current (what deploy.sh's compiled client asks): pfm_current() when the
-- files are the registered ones (the stored digest) and the no-op is recorded for exactly
-- this catalog; NULL otherwise, and for a move where pfm_upgrade would refuse to run
UPDATE pfm_migrate.file_set SET digest = 'files-a';
SELECT * FROM pfm_upgrade('heads');
SELECT pfm_migrate.noop_current('files-a', 'heads', true) AS current,
       pfm_migrate.noop_current('files-a', 'heads', false) IS NOT DISTINCT FROM pfm_current() AS as_pfm_current,
       pfm_migrate.noop_current('files-b', 'heads', true) IS NULL AS other_files,
       pfm_migrate.noop_current('files-a', 'v1', true) IS NULL AS not_head_or_heads;
SET search_path = pg_catalog;
SELECT pfm_migrate.noop_current('files-a', 'heads', true) IS NULL AS pfm_upgrade_not_on_the_path;
RESET search_path;
BEGIN READ ONLY;
SELECT pfm_migrate.noop_current('files-a', 'heads', true) IS NULL AS not_for_a_move,
       pfm_migrate.noop_current('files-a', 'heads', false) IS NOT NULL AS for_a_plan;
ROLLBACK;
-- a change in this transaction, or committed: no record for the new catalog
BEGIN;
SELECT pfm_register('v9', NULL, 'SELECT 1', 'SELECT 1', 'nine');
SELECT pfm_migrate.noop_current('files-a', 'heads', false) IS NULL AS changed_here;
ROLLBACK;
SELECT pfm_migrate.noop_current('files-a', 'heads', true) IS NOT NULL AS after_rollback;
SELECT count(*) FROM pfm_stamp('v1');
SELECT pfm_migrate.noop_current('files-a', 'heads', true) IS NULL AS after_a_stamp;
SELECT count(*) FROM pfm_stamp('heads');
SELECT pfm_migrate.noop_current('files-a', 'heads', true) IS NULL AS stamped_back_not_yet_recorded;
SELECT count(*) FROM pfm_upgrade('heads');
SELECT pfm_migrate.noop_current('files-a', 'heads', true) AS recorded_again;

SELECT revision FROM pfm_downgrade('base');
DROP EXTENSION pfm_migrate;
ALTER DATABASE :"dbname" RESET pfm_migrate.record_at_commit;
