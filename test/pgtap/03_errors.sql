\ir setup.inc
SELECT plan(23);

SELECT pg_temp.register_chain();
SELECT throws_ok($$SELECT * FROM pfm_upgrade('nope')$$, '42704', $$can't locate revision identified by 'nope'$$,
  'unknown revision');
SELECT throws_ok($$SELECT * FROM pfm_upgrade(NULL::text)$$, '22004', NULL, 'NULL target');
SELECT throws_ok($$SELECT * FROM pfm_upgrade('')$$, '22023', NULL, 'empty target');
SELECT throws_ok($$SELECT * FROM pfm_upgrade('x''; DROP TABLE users; --')$$, '22023', NULL,
  'an injection attempt is just a malformed target');
SELECT throws_ok($$SELECT * FROM pfm_upgrade(0)$$, '22023', NULL, 'zero steps');
SELECT throws_ok($$SELECT * FROM pfm_upgrade(-1)$$, '22023', NULL, 'negative upgrade steps');
SELECT throws_ok($$SELECT * FROM pfm_downgrade(1)$$, '22023', NULL, 'positive downgrade steps');
SELECT throws_ok($$SELECT * FROM pfm_downgrade(-1)$$, '22023', NULL, 'downgrade below base');
SELECT throws_ok($$SELECT * FROM pfm_upgrade('head', NULL)$$, '22004', NULL, 'NULL dry_run');
SELECT throws_ok($$SELECT pfm_register('bad id')$$, '22023', NULL, 'malformed id');
SELECT throws_ok($$SELECT pfm_register(repeat('a', 65))$$, '22023', NULL, 'id longer than 64 characters');
SELECT lives_ok($$SELECT pfm_register(repeat('a', 64))$$, 'id of 64 characters');
SELECT lives_ok($$SELECT pfm_unregister(repeat('a', 64))$$, 'unregister an unapplied leaf');
SELECT throws_ok($$SELECT pfm_register('x1', 'x1')$$, '22023', NULL, 'self-parenting');
SELECT throws_ok($$SELECT pfm_register('x1', depends_on => ARRAY['x1'])$$, '22023', NULL, 'self-dependency');
SELECT throws_ok($$SELECT pfm_register('x1', upgrade => NULL)$$, '22004', NULL, 'NULL upgrade body');
SELECT throws_ok($$SELECT pfm_register(NULL)$$, '22004', NULL, 'NULL id');
SELECT throws_ok($$SELECT pfm_unregister('nope')$$, '42704', NULL, 'unregister unknown');
SELECT throws_ok($$SELECT pfm_unregister('0001')$$, '2BP01', NULL, 'unregister a parent');

SELECT pfm_register('0004', '0003', 'SELECT 1', NULL, 'irreversible');
SELECT lives_ok($$SELECT * FROM pfm_upgrade('head')$$, 'upgrade through an irreversible revision');
SELECT throws_ok($$SELECT * FROM pfm_downgrade('base')$$, '55000', NULL, 'downgrade through an irreversible revision');
SELECT throws_ok($$SELECT pfm_unregister('0004')$$, '55000', NULL, 'unregister an applied revision');

-- (psql's ON_ERROR_ROLLBACK would undo a plain SET LOCAL at its savepoint's release)
SELECT throws_ok($$SET LOCAL transaction_read_only = on; SELECT * FROM pfm_downgrade(-1)$$, '25006', NULL,
  'read-only transaction');

SELECT * FROM finish();
ROLLBACK;
