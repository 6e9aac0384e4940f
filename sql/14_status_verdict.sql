-- pfm_status() keeps what depends only on revisions and applied in pfm_migrate.status_verdict,
-- for the catalog key it was computed from (issue 15); what no key covers (version rows,
-- leftover INVALID indexes, partly run revisions, pfm_preview's files) is computed live.
-- After every change that matters, a call is compared with the full computation (a role
-- that may not read the record), before and after the record is written.
CREATE EXTENSION pfm_migrate;
-- (These are the calls that record on demand: the recording a changing transaction's
-- commit does, tested in sql/15_record_at_commit.sql, is off in this database meanwhile.)
SELECT current_database() AS dbname \gset
ALTER DATABASE :"dbname" SET pfm_migrate.record_at_commit = off;
SET pfm_migrate.record_at_commit = off;
\set VERBOSITY terse
SELECT provolatile FROM pg_proc WHERE oid = 'pfm_status()'::regprocedure;

CREATE SCHEMA st;
-- the key of the catalog as it is now
CREATE FUNCTION st.catalog_key() RETURNS text LANGUAGE sql AS $$
SELECT g.xmin::text || ':' || g.generation || ':' || e.extversion
  FROM pfm_migrate.catalog_generation g, pg_extension e WHERE e.extname = 'pfm_migrate' $$;
-- whether the record is for the catalog as it is now
CREATE FUNCTION st.recorded() RETURNS boolean LANGUAGE sql AS $$
SELECT coalesce((SELECT catalog_key = st.catalog_key() FROM pfm_migrate.status_verdict), false) $$;
-- pfm_status() computed in full: as a role that may read the catalog but not the record
CREATE ROLE pfm_status_full;
GRANT USAGE ON SCHEMA pfm_migrate, st TO pfm_status_full;
GRANT SELECT ON pfm_migrate.revisions, pfm_migrate.applied, pfm_migrate.catalog_generation,
  pfm_migrate.version, pfm_migrate.progress TO pfm_status_full;
CREATE FUNCTION st.full_status() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	caller text := current_user;
	answer text;
BEGIN
	EXECUTE format('SET LOCAL ROLE %I', 'pfm_status_full');
	SELECT s::text INTO answer FROM pfm_status() s;
	EXECUTE format('SET LOCAL ROLE %I', caller);
	RETURN answer;
END $$;
-- this call's answer, whether it is the full computation's, and whether the record is now
-- this catalog's (separate statements: each sees what the one before wrote)
CREATE FUNCTION st.check() RETURNS TABLE (status text, same_as_full boolean, recorded boolean)
LANGUAGE plpgsql AS $$
BEGIN
	SELECT s::text INTO status FROM pfm_status() s;
	same_as_full := status = st.full_status();
	recorded := st.recorded();
	RETURN NEXT;
END $$;
-- the first call after a change (computes, records) and a second one (from the record)
CREATE FUNCTION st.twice() RETURNS TABLE (call text, status text, same_as_full boolean, recorded boolean)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY SELECT 'first', c.* FROM st.check() c;
	RETURN QUERY SELECT 'again', c.* FROM st.check() c;
END $$;

-- an empty catalog
SELECT * FROM st.twice();

-- register
SELECT pfm_register('v1', NULL, 'CREATE TABLE v1_t (id int);', 'DROP TABLE v1_t;', 'one');
SELECT pfm_register('v2', 'v1', 'CREATE TABLE v2_t (id int);', 'DROP TABLE v2_t;', 'two');
SELECT st.recorded();
SELECT * FROM st.twice();

-- the record is what a matching key is answered from (changed by hand here, rolled back)
BEGIN;
UPDATE pfm_migrate.status_verdict SET pending = 99;
SELECT pending FROM pfm_status();
ROLLBACK;

-- apply
SELECT revision FROM pfm_upgrade('v1');
SELECT * FROM st.twice();
-- a new session: answered from the record, the same
\c
\set VERBOSITY terse
SELECT st.recorded();
SELECT * FROM st.check();

-- stamp
SELECT pfm_stamp('v2');
SELECT * FROM st.twice();

-- a body edited by hand: drift
UPDATE pfm_migrate.revisions SET upgrade = 'CREATE TABLE v2_t (id text);' WHERE revision = 'v2';
SELECT * FROM st.twice();
UPDATE pfm_migrate.revisions SET upgrade = 'CREATE TABLE v2_t (id int);' WHERE revision = 'v2';
SELECT * FROM st.twice();

-- an unknown applied revision written by hand
INSERT INTO pfm_migrate.applied (revision, checksum) VALUES ('ghost', 'x');
SELECT * FROM st.twice();
DELETE FROM pfm_migrate.applied WHERE revision = 'ghost';
SELECT * FROM st.twice();

-- the version rows changed by hand (no new key: the record stays, the comparison is live)
SELECT st.recorded();
UPDATE pfm_migrate.version SET version_num = 'v1';
SELECT st.recorded();
SELECT * FROM st.twice();
DELETE FROM pfm_migrate.version;
SELECT * FROM st.check();
INSERT INTO pfm_migrate.version VALUES ('v2');
SELECT * FROM st.check();

-- a second head
SELECT pfm_register('w1', 'v1', 'CREATE TABLE w1_t (id int);', 'DROP TABLE w1_t;', 'branch');
SELECT * FROM st.twice();
SELECT revision FROM pfm_upgrade('heads');
SELECT * FROM st.twice();

-- a failed concurrent build: a partly run revision (a warning) and a leftover INVALID index
-- (an error); neither changes the key, both are found live
CREATE TABLE dup (email text);
INSERT INTO dup VALUES ('a'), ('a');
SELECT pfm_register('c1', 'v2', 'CREATE INDEX CONCURRENTLY dup_plain ON dup (email);
CREATE UNIQUE INDEX CONCURRENTLY dup_email ON dup (email);',
                    'DROP INDEX CONCURRENTLY dup_email; DROP INDEX CONCURRENTLY dup_plain;', 'unique email',
                    transactional => false);
SELECT * FROM st.twice();
CALL pfm_deploy('c1');
SELECT st.recorded();
SELECT severity, revision FROM pfm_check() ORDER BY 1, 2;
SELECT * FROM st.twice();
-- fixed data: the rebuild drops the INVALID index, resumes and records the revision; once
-- its move committed, the procedure records for the next sessions the verdict, the catalog
-- image and (to heads) the no-op, before any pfm_status() call
DELETE FROM dup WHERE ctid = (SELECT min(ctid) FROM dup);
CALL pfm_deploy('heads');
SELECT st.recorded() AS status_recorded,
       (SELECT catalog_key = st.catalog_key() FROM pfm_migrate.catalog_image) AS image_recorded,
       (SELECT catalog_key = st.catalog_key() FROM pfm_migrate.noop_verdict WHERE target = 'heads') AS noop_recorded;
SELECT * FROM st.twice();

-- inside a transaction that changed the catalog: computed in full, never recorded
SELECT catalog_key AS key_before FROM pfm_migrate.status_verdict \gset
BEGIN;
SELECT pfm_register('v3', 'c1', 'CREATE TABLE v3_t (id int);', 'DROP TABLE v3_t;', 'three');
SELECT * FROM st.twice();
SELECT catalog_key = :'key_before' AS record_untouched FROM pfm_migrate.status_verdict;
ROLLBACK;
SELECT st.recorded();

-- a read-only transaction (scripts/deploy.sh health): the right answer, nothing recorded
SELECT pfm_register('v3', 'c1', 'CREATE TABLE v3_t (id int);', 'DROP TABLE v3_t;', 'three');
BEGIN READ ONLY;
SELECT * FROM st.twice();
COMMIT;
-- and REPEATABLE READ: the same (locking the row after another session updated it would
-- fail with a serialization error)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM st.twice();
COMMIT;
-- a record written in READ COMMITTED is read in both
SELECT * FROM st.check();
BEGIN READ ONLY;
SELECT * FROM st.check();
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM st.check();
COMMIT;

-- pfm_preview(): the files as if loaded, never the record
SELECT st.recorded();
BEGIN;
SELECT revision, action FROM pfm_preview(ARRAY['x.sql'],
  ARRAY[E'-- pfm:revision x1\n-- pfm:parents v3\n-- pfm:upgrade\nSELECT 1\n-- pfm:downgrade\nSELECT 1\n']);
SELECT * FROM pfm_status();
SELECT count(*) AS errors FROM pfm_check() WHERE severity = 'error';
ROLLBACK;
SELECT * FROM st.check();

-- a monitoring role (SELECT on the catalog only): reads the record, never writes it
CREATE ROLE pfm_status_monitor;
GRANT USAGE ON SCHEMA pfm_migrate, st TO pfm_status_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA pfm_migrate TO pfm_status_monitor;
SELECT pfm_unregister('v3');
SELECT st.full_status() AS full_status;
SET ROLE pfm_status_monitor;
SELECT * FROM pfm_status();
SELECT st.recorded();
RESET ROLE;
-- the deploy role's no-op at heads records it (with its own record, noop_verdict)
SELECT * FROM pfm_upgrade('heads');
SELECT st.recorded();
SELECT * FROM st.check();
SET ROLE pfm_status_monitor;
BEGIN;
SELECT * FROM pfm_status();
RESET ROLE;
UPDATE pfm_migrate.status_verdict SET pending = 99;
SET ROLE pfm_status_monitor;
SELECT pending AS from_the_record FROM pfm_status();
ROLLBACK;
RESET ROLE;

-- a catalog installed as 0.1.0 (no record): computed in full; the update adds the record
DROP EXTENSION pfm_migrate;
CREATE EXTENSION pfm_migrate VERSION '0.1.0';
SELECT pfm_register('o1', NULL, 'SELECT 1', 'SELECT 1', 'old');
SELECT * FROM pfm_status();
SELECT provolatile FROM pg_proc WHERE oid = 'pfm_status()'::regprocedure;
ALTER EXTENSION pfm_migrate UPDATE TO '0.2.0';
SELECT provolatile FROM pg_proc WHERE oid = 'pfm_status()'::regprocedure;
GRANT USAGE ON SCHEMA pfm_migrate TO pfm_status_full;
GRANT SELECT ON pfm_migrate.revisions, pfm_migrate.applied, pfm_migrate.catalog_generation,
  pfm_migrate.version, pfm_migrate.progress TO pfm_status_full;
SELECT * FROM st.twice();

-- pfm_check() answers from the record too (it is STABLE: it never writes one), notices
-- included: the same rows as the full computation, before and after the record
CREATE FUNCTION st.checks() RETURNS text LANGUAGE sql AS $$
SELECT coalesce(string_agg(c::text, '; ' ORDER BY c::text), '') FROM pfm_check() c $$;
CREATE FUNCTION st.full_checks() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	caller text := current_user;
	answer text;
BEGIN
	EXECUTE format('SET LOCAL ROLE %I', 'pfm_status_full');
	answer := st.checks();
	EXECUTE format('SET LOCAL ROLE %I', caller);
	RETURN answer;
END $$;
SELECT pfm_register('o2', 'o1', 'SELECT 2', NULL, 'irreversible');
SELECT st.recorded() AS recorded, st.checks() AS checks, st.checks() = st.full_checks() AS same_as_full;
SELECT count(*) FROM pfm_status();
SELECT st.recorded() AS recorded, st.checks() AS checks, st.checks() = st.full_checks() AS same_as_full;
-- the record is what pfm_check() reads (changed by hand here, rolled back)
BEGIN;
UPDATE pfm_migrate.status_verdict SET graph_problems = ARRAY['notice', 'o9', 'from the record'];
SELECT st.checks() AS from_the_record;
ROLLBACK;
-- and the live part stays live: a version row changed by hand
BEGIN;
SELECT revision FROM pfm_upgrade('o1');
COMMIT;
SELECT count(*) FROM pfm_status();
SELECT st.recorded() AS recorded;
BEGIN;
UPDATE pfm_migrate.version SET version_num = 'o2';
SELECT st.checks() AS checks, st.checks() = st.full_checks() AS same_as_full;
ROLLBACK;

REVOKE ALL ON ALL TABLES IN SCHEMA pfm_migrate FROM pfm_status_full, pfm_status_monitor;
REVOKE ALL ON SCHEMA st FROM pfm_status_full, pfm_status_monitor;
REVOKE ALL ON SCHEMA pfm_migrate FROM pfm_status_full, pfm_status_monitor;
DROP SCHEMA st CASCADE;
DROP ROLE pfm_status_full;
DROP ROLE pfm_status_monitor;
DROP TABLE dup;
DROP EXTENSION pfm_migrate;
ALTER DATABASE :"dbname" RESET pfm_migrate.record_at_commit;
