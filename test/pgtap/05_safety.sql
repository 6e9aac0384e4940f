\ir setup.inc
SELECT plan(20);

SELECT pg_temp.register_chain();
SELECT is((SELECT count(*)::int FROM pfm_upgrade('0002')), 2, 'two applied');

-- drift
SELECT throws_like($$SELECT pfm_register('0001', NULL, 'CREATE TABLE users (id bigint)', 'DROP TABLE users', 'Initial schema')$$,
  '%cannot change the bodies of revision 0001%', 're-registering an applied revision with other bodies is refused');
UPDATE pfm_migrate.revisions SET downgrade = 'SELECT 1' WHERE revision = '0002';
SELECT results_eq($$SELECT severity, revision FROM pfm_check()$$, $$VALUES ('error', '0002')$$, 'pfm_check reports drift');
SELECT is((SELECT drifted FROM pfm_status()), 1, 'pfm_status counts it');
SELECT throws_like($$SELECT * FROM pfm_upgrade('head')$$, '%0002%', 'drift blocks upgrades, naming the revision');
SELECT throws_ok($$SELECT * FROM pfm_downgrade('base')$$, '55000', NULL, 'drift blocks downgrades');
UPDATE pfm_migrate.revisions SET downgrade = 'DROP TABLE mfa_sessions;' WHERE revision = '0002';
SELECT is_empty('SELECT * FROM pfm_check() WHERE severity = ''error''', 'restoring the body resolves it');

-- applied revisions missing from the catalog
SELECT pfm_register('9999', NULL, 'SELECT 1', 'SELECT 1', 'stray');
SELECT lives_ok($$SELECT * FROM pfm_upgrade('9999')$$, 'apply a stray root');
DELETE FROM pfm_migrate.revisions WHERE revision = '9999';
SELECT throws_ok($$SELECT * FROM pfm_upgrade('head')$$, '55000', NULL, 'an unknown applied revision blocks upgrades');
SELECT ok((SELECT problems FROM pfm_status()) > 0, 'pfm_status counts the problem');
DELETE FROM pfm_migrate.applied WHERE revision = '9999';

-- dangling parents and cycles are found at plan time
SELECT pfm_register('0004', '0099', 'SELECT 1', 'SELECT 1', 'dangling parent');
SELECT throws_like($$SELECT * FROM pfm_upgrade('heads')$$, '%0099%', 'a dangling parent is named');
SELECT pfm_unregister('0004');
UPDATE pfm_migrate.revisions SET down_revisions = '{0003}' WHERE revision = '0001';
SELECT throws_like($$SELECT * FROM pfm_upgrade('heads')$$, '%cycle%', 'a cycle is found');
UPDATE pfm_migrate.revisions SET down_revisions = '{}' WHERE revision = '0001';

-- version rows edited by hand are reported, and the next move rewrites them
DELETE FROM pfm_migrate.version;
SELECT ok((SELECT count(*) FROM pfm_check() WHERE problem LIKE 'pfm_migrate.version holds%') = 1,
  'pfm_check reports version rows that disagree with the applied set');
SELECT is((SELECT count(*)::int FROM pfm_upgrade('head')), 1, 'the next upgrade applies what is left');
SELECT results_eq('SELECT version_num FROM pfm_migrate.version', $$VALUES ('0003')$$, 'and rewrites the version rows');

-- the audit log is append-only and records who
SELECT throws_ok($$DELETE FROM pfm_migrate.audit$$, '42501', NULL, 'audit rows cannot be deleted');
SELECT throws_ok($$UPDATE pfm_migrate.audit SET revision = 'x'$$, '42501', NULL, 'audit rows cannot be updated');
SELECT throws_ok($$TRUNCATE pfm_migrate.audit$$, '42501', NULL, 'the audit log cannot be truncated');
SELECT is((SELECT count(DISTINCT (backend_pid, transaction_id, "current_user", "session_user"))::int
             FROM pfm_migrate.audit WHERE operation = 'upgrade'), 1, 'audit rows carry pid, xid and users');

-- no privileges for PUBLIC
SELECT is((SELECT count(*)::int FROM information_schema.role_table_grants
            WHERE table_schema = 'pfm_migrate' AND grantee = 'PUBLIC'), 0, 'PUBLIC has no privilege on the catalog');

SELECT * FROM finish();
ROLLBACK;
