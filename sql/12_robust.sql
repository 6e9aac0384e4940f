-- Defects found by the robustness work (issue 12: SQL fuzz, privileges, hostile search_path).
CREATE EXTENSION pfm_migrate;
\set VERBOSITY terse

-- A concurrent index build that failed under one search_path is reported under any other,
-- and a pg_temp table of the same name does not hide it: the progress rows keep the table and
-- index names schema-qualified (they kept them as the deploy's search_path showed them, so
-- pfm_check() from another path missed the INVALID index).
CREATE SCHEMA app;
CREATE TABLE app.t (email text);
INSERT INTO app.t VALUES ('a'), ('a');
SELECT pfm_register('r1', NULL, 'CREATE UNIQUE INDEX CONCURRENTLY t_email ON t (email)',
                    'DROP INDEX CONCURRENTLY t_email', 'unique email', transactional => false);
SET search_path = app, public;
CALL pfm_deploy('head');
RESET search_path;
SELECT relation, indexes_before FROM pfm_migrate.progress;
SELECT severity, revision, problem FROM pfm_check();
CREATE TEMP TABLE t (email text);
SET search_path = pg_temp, public;
SELECT severity, revision FROM pfm_check();
SELECT problems FROM pfm_status();
RESET search_path;
DROP TABLE pg_temp.t;
-- Fixed data, the same search_path as the first try: the rebuild drops the INVALID index.
DELETE FROM app.t WHERE ctid = (SELECT min(ctid) FROM app.t);
SET search_path = app, public;
CALL pfm_deploy('head');
RESET search_path;
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = 'app.t'::regclass;
SELECT count(*) AS problems FROM pfm_check() WHERE severity = 'error';
SELECT pfm_current();
SET search_path = app, public;
CALL pfm_revert('base');
RESET search_path;
DROP SCHEMA app CASCADE;

DROP EXTENSION pfm_migrate;
