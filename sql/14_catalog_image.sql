-- The catalog image (issue 15): a reading call records what it read of revisions and
-- applied in pfm_migrate.catalog_image with the catalog key; a new session whose catalog has
-- that key builds the graph from it. Every answer from the image must be the one the tables
-- give: each new session (\c: no backend cache) is compared with answers saved from the tables.
CREATE EXTENSION pfm_migrate;
-- (These are the calls that record on demand: the recording a changing transaction's
-- commit does, tested in sql/15_record_at_commit.sql, is off in this database meanwhile.)
SELECT current_database() AS dbname \gset
ALTER DATABASE :"dbname" SET pfm_migrate.record_at_commit = off;
SET pfm_migrate.record_at_commit = off;
\set VERBOSITY terse
CREATE SCHEMA ci;
CREATE FUNCTION ci.catalog_key() RETURNS text LANGUAGE sql AS $$
SELECT g.xmin::text || ':' || g.generation || ':' || e.extversion
  FROM pfm_migrate.catalog_generation g, pg_extension e WHERE e.extname = 'pfm_migrate' $$;
-- whether the image is the current catalog's
CREATE FUNCTION ci.imaged() RETURNS boolean LANGUAGE sql AS $$
SELECT coalesce((SELECT catalog_key = ci.catalog_key() AND image IS NOT NULL FROM pfm_migrate.catalog_image), false) $$;
-- every answer that depends on the graph and the applied set, one text per row (the plans
-- only while the catalog can be planned: drift refuses them)
CREATE FUNCTION ci.answers(plans boolean DEFAULT true) RETURNS TABLE (what text, answer text) LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY SELECT 'history', h::text FROM pfm_history() h;
	RETURN QUERY SELECT 'check', c::text FROM pfm_check() c;
	RETURN QUERY SELECT 'status', s::text FROM pfm_status() s;
	RETURN QUERY SELECT 'heads', h FROM pfm_heads() h;
	RETURN QUERY SELECT 'current', pfm_current();
	RETURN QUERY SELECT 'graph', pfm_graph();
	IF plans THEN
		RETURN QUERY SELECT 'plan heads', u.revision || ' ' || u.direction || ' ' || coalesce(u.message, '') || ' #' || u.n
		  FROM pfm_upgrade('heads', true) WITH ORDINALITY AS u(revision, direction, message, elapsed_ms, n);
		RETURN QUERY SELECT 'plan down', u.revision || ' ' || u.direction || ' #' || u.n
		  FROM pfm_downgrade('m4', true) WITH ORDINALITY AS u(revision, direction, message, elapsed_ms, n);
		RETURN QUERY SELECT 'sql', pfm_upgrade_sql('heads');
	END IF;
END $$;
-- the answers saved from the tables, and how this session's differ from them
CREATE TABLE ci.saved (what text, answer text);
CREATE FUNCTION ci.differences(plans boolean DEFAULT true) RETURNS TABLE (side text, what text, answer text) LANGUAGE sql AS $$
(SELECT 'now', * FROM ci.answers(plans) EXCEPT ALL SELECT 'now', * FROM ci.saved)
UNION ALL
(SELECT 'saved', * FROM ci.saved EXCEPT ALL SELECT 'saved', * FROM ci.answers(plans)) $$;

-- A catalog with every kind of column: a merge, branch labels, a dependency on a label, an
-- irreversible and a non-transactional revision, messages with quotes and non-ASCII text,
-- applied and stamped revisions (at the end: a drifted one, an applied one not registered).
SELECT pfm_register('m1', NULL, 'CREATE TABLE ci_m1 (id int);', 'DROP TABLE ci_m1;', 'the first');
SELECT pfm_register('m2', 'm1', 'CREATE TABLE ci_m2 (id int);', 'DROP TABLE ci_m2;', 'it''s "quoted"',
                    branch_labels => ARRAY['billing']);
SELECT pfm_register('m3', 'm1', 'CREATE TABLE ci_m3 (id int);', NULL, 'irréversible — ünïcode',
                    depends_on => ARRAY['billing']);
SELECT pfm_register('m4', 'm2,m3', 'SELECT 1;', 'SELECT 1;', 'merge');
SELECT pfm_register('m5', 'm4', 'CREATE INDEX CONCURRENTLY ci_m5 ON ci_m2 (id);', 'DROP INDEX CONCURRENTLY ci_m5;',
                    'concurrent', transactional => false);
SELECT pfm_register('m6', 'm5', 'SELECT 6;', 'SELECT 6;');
SELECT count(*) FROM pfm_upgrade('m4');
SELECT pfm_stamp('m5');

-- Read from the tables: no image yet; a dry run records it.
SELECT ci.imaged();
INSERT INTO ci.saved SELECT * FROM ci.answers();
SELECT what, count(*) FROM ci.saved GROUP BY what ORDER BY what;
SELECT ci.imaged();

-- A new session: the same answers, from the image.
\c
\set VERBOSITY terse
SELECT * FROM ci.differences();

-- The image is what a matching key is answered from: a message changed in the image (the
-- same length, the key left alone) shows in a new session; the tables are not read.
UPDATE pfm_migrate.catalog_image SET image = overlay(image PLACING 'THE FIRST'::bytea FROM position('the first'::bytea IN image));
\c
\set VERBOSITY terse
SELECT message FROM pfm_history() WHERE revision = 'm1';
SELECT side, what, answer LIKE '%THE FIRST%' AS doctored FROM ci.differences() ORDER BY 1, 2;

-- An image that cannot be read (cut short; another format) is not used, and the next
-- reading call replaces it.
UPDATE pfm_migrate.catalog_image SET image = substring(image FROM 1 FOR 100);
\c
\set VERBOSITY terse
SELECT * FROM ci.differences();
SELECT ci.imaged() AS imaged, length(image) > 100 AS replaced FROM pfm_migrate.catalog_image;
UPDATE pfm_migrate.catalog_image SET image = 'pfm_migrate catalog image 0'::bytea || '\x0a'::bytea || substring(image FROM 29);
\c
\set VERBOSITY terse
SELECT * FROM ci.differences();
SELECT count(*) FROM pfm_upgrade('heads', true);
SELECT position('image 1'::bytea IN image) > 0 AS replaced FROM pfm_migrate.catalog_image;
\c
\set VERBOSITY terse
SELECT * FROM ci.differences();

-- Not recorded: by a READ ONLY or REPEATABLE READ transaction, by a call that changes the
-- catalog, by a role that may not UPDATE the table; a change to the catalog retires it.
SELECT pfm_register('m7', 'm6', 'SELECT 7;', 'SELECT 7;', 'seven');
SELECT ci.imaged();
\c
BEGIN READ ONLY;
SELECT count(*) FROM pfm_upgrade('heads', true);
SELECT count(*) FROM pfm_status();
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM pfm_upgrade('heads', true);
COMMIT;
SELECT ci.imaged();
CREATE ROLE ci_reader;
GRANT USAGE ON SCHEMA pfm_migrate TO ci_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA pfm_migrate TO ci_reader;
\c
SET ROLE ci_reader;
SELECT count(*) FROM pfm_upgrade('heads', true);
RESET ROLE;
SELECT ci.imaged();
-- (pfm_status() does not record it: its own record answers the next probes)
SELECT count(*) FROM pfm_status();
SELECT ci.imaged();
SELECT count(*) FROM pfm_upgrade('heads', true);
SELECT ci.imaged();
TRUNCATE ci.saved;
\c
\set VERBOSITY terse
-- (saved from the image, compared in a session that reads the tables: the same)
INSERT INTO ci.saved SELECT * FROM ci.answers();
UPDATE pfm_migrate.catalog_image SET catalog_key = NULL, image = NULL;
\c
\set VERBOSITY terse
SELECT * FROM ci.differences();
SELECT ci.imaged();

-- A no-op pfm_upgrade records it too; applying retires it, and the next reading call
-- records the new catalog's.
\c
SELECT count(*) FROM pfm_upgrade('m6');
SELECT ci.imaged();
SELECT count(*) FROM pfm_upgrade('heads');
SELECT ci.imaged();
SELECT count(*) FROM pfm_upgrade('heads');
SELECT ci.imaged();

-- Drift and an applied revision that is not registered: every plan refuses the catalog, so
-- no dry run records its image (the refusal rolls the record back): the tables answer.
UPDATE pfm_migrate.applied SET checksum = 'not the registered checksum' WHERE revision = 'm2';
INSERT INTO pfm_migrate.applied (revision, checksum, applied_by, duration_ms, stamped)
VALUES ('gone', 'deadbeefdeadbeefdeadbeefdeadbeef', current_user, 0, true);
\c
\set VERBOSITY terse
TRUNCATE ci.saved;
INSERT INTO ci.saved SELECT * FROM ci.answers(false);
SELECT count(*) FROM pfm_upgrade('heads', true);
SELECT ci.imaged();
SELECT answer FROM ci.saved WHERE what IN ('status', 'check') ORDER BY 1;
\c
\set VERBOSITY terse
SELECT * FROM ci.differences(false);

REVOKE ALL ON ALL TABLES IN SCHEMA pfm_migrate FROM ci_reader;
REVOKE ALL ON SCHEMA pfm_migrate FROM ci_reader;
DROP ROLE ci_reader;
DROP SCHEMA ci CASCADE;
DROP TABLE ci_m1, ci_m2, ci_m3;
DROP EXTENSION pfm_migrate;
ALTER DATABASE :"dbname" RESET pfm_migrate.record_at_commit;
