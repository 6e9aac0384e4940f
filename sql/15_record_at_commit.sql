-- A transaction that changes the catalog through the extension's atomic functions records,
-- as it commits, what the next sessions' first calls read (issue 15): pfm_status()'s
-- verdict, the catalog image, and the no-op of pfm_upgrade('head') / ('heads') where a plan
-- finds one, all keyed by the catalog version its commit makes. Never for a transaction
-- that rolls back, never failing or blocking the commit.
CREATE EXTENSION pfm_migrate;
\set VERBOSITY terse
SHOW pfm_migrate.record_at_commit;

CREATE SCHEMA rc;
-- the key of the catalog as it is now
CREATE FUNCTION rc.catalog_key() RETURNS text LANGUAGE sql AS $$
SELECT g.xmin::text || ':' || g.generation || ':' || e.extversion
  FROM pfm_migrate.catalog_generation g, pg_extension e WHERE e.extname = 'pfm_migrate' $$;
-- which records hold the catalog as it is now
CREATE FUNCTION rc.records(OUT status boolean, OUT image boolean, OUT noop_head boolean, OUT noop_heads boolean)
LANGUAGE sql AS $$
SELECT coalesce((SELECT catalog_key = rc.catalog_key() FROM pfm_migrate.status_verdict), false),
       coalesce((SELECT catalog_key = rc.catalog_key() FROM pfm_migrate.catalog_image), false),
       coalesce((SELECT catalog_key = rc.catalog_key() FROM pfm_migrate.noop_verdict WHERE target = 'head'), false),
       coalesce((SELECT catalog_key = rc.catalog_key() FROM pfm_migrate.noop_verdict WHERE target = 'heads'), false) $$;
-- pfm_status() computed in full: as a role that may read the catalog but not the records
CREATE ROLE rc_full;
GRANT USAGE ON SCHEMA pfm_migrate, rc TO rc_full;
GRANT SELECT ON pfm_migrate.revisions, pfm_migrate.applied, pfm_migrate.catalog_generation,
  pfm_migrate.version, pfm_migrate.progress TO rc_full;
CREATE FUNCTION rc.same_as_full() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	caller text := current_user;
	recorded text;
	full_answer text;
BEGIN
	SELECT s::text INTO recorded FROM pfm_status() s;
	EXECUTE format('SET LOCAL ROLE %I', 'rc_full');
	SELECT s::text INTO full_answer FROM pfm_status() s;
	EXECUTE format('SET LOCAL ROLE %I', caller);
	RETURN recorded = full_answer;
END $$;
-- forgets every record (to see which ones a commit writes)
CREATE FUNCTION rc.forget() RETURNS void LANGUAGE sql AS $$
UPDATE pfm_migrate.status_verdict SET catalog_key = NULL;
UPDATE pfm_migrate.catalog_image SET catalog_key = NULL, image = NULL;
UPDATE pfm_migrate.noop_verdict SET catalog_key = NULL $$;

-- a registration in autocommit: the verdict and the image; something is pending, no no-op
SELECT pfm_register('r1', NULL, 'CREATE TABLE r1_t (id int);', 'DROP TABLE r1_t;', 'one');
SELECT * FROM rc.records();
SELECT pending FROM pfm_status();

-- a move in a transaction block: every record, with the key of its commit
SELECT rc.forget();
BEGIN;
SELECT pfm_register('r2', 'r1', 'CREATE TABLE r2_t (id int);', 'DROP TABLE r2_t;', 'two');
SELECT revision FROM pfm_upgrade('head');
SELECT * FROM rc.records();  -- (not before the commit)
COMMIT;
SELECT * FROM rc.records();
-- a new session answers from them: pfm_status() as computed in full, the no-op at once
\c
\set VERBOSITY terse
SELECT * FROM rc.records();
SELECT rc.same_as_full();
SELECT count(*) FROM pfm_upgrade('head');
-- (a record is what the answer comes from: changed by hand here, rolled back)
BEGIN;
UPDATE pfm_migrate.status_verdict SET pending = 99;
SELECT pending FROM pfm_status();
ROLLBACK;

-- a rolled-back change records nothing: the records stay the committed catalog's
BEGIN;
SELECT pfm_register('r3', 'r2', 'CREATE TABLE r3_t (id int);', 'DROP TABLE r3_t;', 'three');
SELECT revision FROM pfm_upgrade('head');
ROLLBACK;
SELECT * FROM rc.records();
SELECT rc.same_as_full();

-- a change rolled back to a savepoint, then committed: the catalog is unchanged, and so
-- are the records
BEGIN;
SAVEPOINT s;
SELECT pfm_register('r3', 'r2', 'CREATE TABLE r3_t (id int);', 'DROP TABLE r3_t;', 'three');
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT * FROM rc.records();
SELECT count(*) FROM pfm_migrate.revisions;

-- a change made in a released savepoint: its key is the subtransaction's row version
SELECT rc.forget();
BEGIN;
SAVEPOINT s;
SELECT pfm_register('r3', 'r2', 'CREATE TABLE r3_t (id int);', 'DROP TABLE r3_t;', 'three');
RELEASE SAVEPOINT s;
SELECT pfm_stamp('r3');
COMMIT;
SELECT * FROM rc.records();
SELECT rc.same_as_full();

-- inside a procedure that commits: each of its transactions records as it commits
SELECT rc.forget();
CREATE PROCEDURE rc.register_then_apply() LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pfm_register('r4', 'r3', 'CREATE TABLE r4_t (id int);', 'DROP TABLE r4_t;', 'four');
	COMMIT;
	RAISE NOTICE 'after the registration: %', (SELECT r FROM rc.records() r);
	PERFORM pfm_upgrade('head');
	COMMIT;
END $$;
CALL rc.register_then_apply();
SELECT * FROM rc.records();
SELECT rc.same_as_full();

-- a downgrade, in autocommit
SELECT revision FROM pfm_downgrade('-1');
SELECT * FROM rc.records();
SELECT rc.same_as_full();
-- and the no-op at head is not recorded while something is pending
SELECT count(*) FROM pfm_migrate.noop_verdict WHERE catalog_key = rc.catalog_key();

-- REPEATABLE READ and SERIALIZABLE commit without recording (under a transaction
-- snapshot a record another session updated meanwhile fails with 40001; SERIALIZABLE's
-- reads would join its conflict checks); the next call records as before
SELECT revision FROM pfm_upgrade('head');
SELECT rc.forget();
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pfm_register('r5', 'r4', 'SELECT 5;', 'SELECT -5;', 'five');
COMMIT;
SELECT * FROM rc.records();
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT pfm_unregister('r5');
COMMIT;
SELECT * FROM rc.records();
SELECT count(*) FROM pfm_upgrade('head');
SELECT * FROM rc.records();

-- pfm_migrate.record_at_commit = off: nothing recorded at commit
SET pfm_migrate.record_at_commit = off;
SELECT rc.forget();
SELECT pfm_register('r5', 'r4', 'SELECT 5;', 'SELECT -5;', 'five');
SELECT * FROM rc.records();
RESET pfm_migrate.record_at_commit;

-- a change by hand (no function of the extension) is not recorded at commit: the next
-- call computes and records as before
SELECT rc.forget();
UPDATE pfm_migrate.revisions SET message = 'five, by hand' WHERE revision = 'r5';
SELECT * FROM rc.records();
SELECT rc.same_as_full();
SELECT * FROM rc.records();

-- a role that may change the catalog but not write the records commits, and records nothing
CREATE ROLE rc_deployer;
GRANT USAGE ON SCHEMA pfm_migrate, rc TO rc_deployer;
GRANT SELECT, INSERT, UPDATE, DELETE ON pfm_migrate.revisions, pfm_migrate.applied, pfm_migrate.version,
  pfm_migrate.catalog_generation, pfm_migrate.file_set TO rc_deployer;
GRANT SELECT, INSERT ON pfm_migrate.audit TO rc_deployer;
GRANT SELECT ON pfm_migrate.status_verdict, pfm_migrate.noop_verdict, pfm_migrate.catalog_image,
  pfm_migrate.progress TO rc_deployer;
GRANT SELECT, USAGE ON ALL SEQUENCES IN SCHEMA pfm_migrate TO rc_deployer;
GRANT CREATE ON SCHEMA public TO rc_deployer;
SELECT rc.forget();
SET ROLE rc_deployer;
SELECT revision FROM pfm_upgrade('head');
SELECT * FROM rc.records();
RESET ROLE;
SELECT pfm_current();

-- a recording that fails is rolled back and forgotten: the commit goes through
CREATE FUNCTION rc.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'status_verdict refuses writes';
END $$;
CREATE TRIGGER refuse BEFORE UPDATE ON pfm_migrate.status_verdict FOR EACH ROW EXECUTE FUNCTION rc.refuse();
SELECT pfm_register('r6', 'r5', 'SELECT 6;', 'SELECT -6;', 'six');
SELECT revision FROM pfm_migrate.revisions WHERE revision = 'r6';
-- (the image, written before the failing verdict, rolled back with it)
SELECT * FROM rc.records();
DROP TRIGGER refuse ON pfm_migrate.status_verdict;
SELECT rc.same_as_full();
SELECT * FROM rc.records();

DROP EXTENSION pfm_migrate;
DROP SCHEMA rc CASCADE;
DROP TABLE r1_t, r2_t, r4_t;
REVOKE ALL ON SCHEMA public FROM rc_deployer;
DROP ROLE rc_full, rc_deployer;
