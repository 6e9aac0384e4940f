\ir setup.inc
SELECT plan(14);

SELECT pg_temp.register_chain();
SELECT pfm_register('0004', '0003', $$CREATE TABLE t4 (id int); INSERT INTO no_such_table VALUES (1);$$,
                    $$DROP TABLE t4;$$, 'Fails while running');

SELECT throws_ok($$SELECT * FROM pfm_upgrade('head')$$, '42P01', NULL, 'a failing body raises its own SQLSTATE');
SELECT is(pfm_current(), NULL, 'no state change survives a failed call');
SELECT hasnt_table('users', 'no schema change survives a failed call');
SELECT is((SELECT count(*)::int FROM pfm_migrate.audit WHERE operation IN ('upgrade', 'downgrade')), 0,
  'no audit row survives a failed call');

-- a syntax error is found before the first body runs
SELECT pfm_register('0004', '0003', $$CREATE TABLE t4 (id int); CREAT TABLE oops;$$, $$DROP TABLE t4;$$, 'Syntax error');
SELECT throws_ok($$SELECT * FROM pfm_upgrade('head')$$, '42601', NULL, 'a syntax error is refused');
SELECT hasnt_table('users', 'nothing ran before the syntax error was found');

-- transaction control and non-transactional statements are refused by name
SELECT pfm_register('0004', '0003', $$ROLLBACK;$$, $$SELECT 1$$, 'Transaction control');
SELECT throws_ok($$SELECT * FROM pfm_upgrade('head')$$, '0A000', NULL, 'transaction control is refused');
SELECT pfm_register('0004', '0003', $$CREATE DATABASE other$$, $$SELECT 1$$, 'Create database');
SELECT throws_ok($$SELECT * FROM pfm_upgrade('head')$$, '0A000', NULL, 'CREATE DATABASE is refused');
SELECT pfm_register('0004', '0003', $$DROP SCHEMA pfm_migrate CASCADE$$, $$SELECT 1$$, 'Drops the catalog');
SELECT throws_ok($$SELECT * FROM pfm_upgrade('head')$$, '0A000', NULL, 'dropping the catalog is refused');
SELECT is(pfm_current(), NULL, 'still at base');

-- a call inside the caller's transaction rolls back with it
SELECT pfm_unregister('0004');
SAVEPOINT before_upgrade;
SELECT lives_ok($$SELECT * FROM pfm_upgrade('head')$$, 'upgrade inside a transaction');
SELECT is(pfm_current(), '0003', 'visible inside the transaction');
ROLLBACK TO SAVEPOINT before_upgrade;
SELECT is(pfm_current(), NULL, 'rolled back with the transaction: state');
SELECT hasnt_table('users', 'rolled back with the transaction: schema');

SELECT * FROM finish();
ROLLBACK;
