-- Bad input and failing bodies: clear errors, and nothing of the call remains.
CREATE EXTENSION pfm_migrate;

SELECT pfm_register('a1', NULL, 'CREATE TABLE t1 (id int);', 'DROP TABLE t1;', 'first');
SELECT pfm_register('a2', 'a1', 'CREATE TABLE t2 (id int);', 'DROP TABLE t2;', 'second');
SELECT pfm_register('a3', 'a2', 'CREATE TABLE t3 (id int); SELEC 1;', 'DROP TABLE t3;', 'third, broken');

-- a syntax error in the third body: found before anything runs
SELECT * FROM pfm_upgrade('head');
SELECT pfm_current() IS NULL AS at_base, to_regclass('t1') IS NULL AS no_t1;

-- a body that fails while running: the error names revision, direction and statement
SELECT pfm_register('a3', 'a2', 'CREATE TABLE t3 (id int); INSERT INTO t3 VALUES (1); INSERT INTO missing VALUES (1);',
                    'DROP TABLE t3;', 'third, failing');
SELECT * FROM pfm_upgrade('head');
SELECT pfm_current() IS NULL AS at_base, to_regclass('t1') IS NULL AS no_t1,
       (SELECT count(*) FROM pfm_migrate.applied) AS applied_rows;

-- unknown, malformed and out-of-range targets
SELECT * FROM pfm_upgrade('zzzz');
SELECT * FROM pfm_upgrade('a1; DROP TABLE x');
SELECT * FROM pfm_upgrade('');
SELECT * FROM pfm_upgrade(NULL::text);
SELECT * FROM pfm_upgrade(0);
SELECT * FROM pfm_downgrade(-1);
SELECT * FROM pfm_downgrade(2);
SELECT revision, direction FROM pfm_upgrade('a1');
SELECT * FROM pfm_upgrade('-1');

-- malformed registrations
SELECT pfm_register('bad id');
SELECT pfm_register('x1', 'x1');
SELECT pfm_register(NULL);
SELECT pfm_register('x1', upgrade => NULL);
SELECT pfm_register('x1', branch_labels => ARRAY['ok', 'not ok']);

-- irreversible revisions cannot be downgraded
SELECT pfm_register('a3', 'a2', 'CREATE TABLE t3 (id int);', NULL, 'third, irreversible');
SELECT revision FROM pfm_upgrade('head');
SELECT * FROM pfm_downgrade('base');
SELECT pfm_current();

-- bodies that cannot run inside a transaction are refused up front
SELECT pfm_register('a4', 'a3', 'CREATE INDEX CONCURRENTLY t3_id ON t3 (id);', 'SELECT 1;');
SELECT * FROM pfm_upgrade('head');
SELECT pfm_register('a4', 'a3', 'CREATE TABLE t4 (id int); COMMIT;', 'DROP TABLE t4;');
SELECT * FROM pfm_upgrade('head');
SELECT pfm_register('a4', 'a3', 'VACUUM t3;', 'SELECT 1;');
SELECT * FROM pfm_upgrade('head');
SELECT pfm_register('a4', 'a3', 'DROP EXTENSION pfm_migrate;', 'SELECT 1;');
SELECT * FROM pfm_upgrade('head');
-- a body may not move or register revisions itself
SELECT pfm_register('a4', 'a3', $$SELECT * FROM pfm_downgrade('base')$$, 'SELECT 1');
SELECT * FROM pfm_upgrade('head');
SELECT pfm_register('a4', 'a3', $$SELECT pfm_register('a5', 'a4')$$, 'SELECT 1');
SELECT * FROM pfm_upgrade('head');
SELECT to_regclass('t4') IS NULL AS no_t4, pfm_current();

-- the error boundary: a C++ exception became the ERROR above; the backend is fine
SELECT 1 AS still_alive;

DROP TABLE t1, t2, t3;
DROP EXTENSION pfm_migrate;
