\ir setup.inc
SELECT plan(25);

SELECT pg_temp.register_chain();
SELECT is(pfm_current(), NULL, 'a fresh catalog is at base');
SELECT is((SELECT count(*)::int FROM pfm_upgrade('head', true)), 3, 'dry run plans three steps');
SELECT is(pfm_current(), NULL, 'a dry run changes nothing');
SELECT hasnt_table('users', 'a dry run runs no body');

SELECT results_eq($$SELECT revision, direction FROM pfm_upgrade('head')$$,
  $$VALUES ('0001', 'upgrade'), ('0002', 'upgrade'), ('0003', 'upgrade')$$, 'upgrade head runs three steps in order');
SELECT is(pfm_current(), '0003', 'current is the last revision');
SELECT has_table('user_preferences', 'the third body ran');
SELECT results_eq('SELECT version_num FROM pfm_migrate.version', $$VALUES ('0003')$$, 'one version row');
SELECT is((SELECT count(*)::int FROM pfm_migrate.applied WHERE NOT stamped), 3, 'three applied rows, executed');
SELECT is((SELECT count(*)::int FROM pfm_upgrade('head')), 0, 'upgrade at head is a no-op');

SELECT results_eq($$SELECT revision, direction FROM pfm_downgrade(-1)$$, $$VALUES ('0003', 'downgrade')$$,
  'downgrade -1 reverts one');
SELECT hasnt_table('user_preferences', 'its table is gone');
SELECT is(pfm_current(), '0002', 'current moved back');
SELECT results_eq($$SELECT revision FROM pfm_upgrade(1)$$, $$VALUES ('0003')$$, 'pfm_upgrade(1) = +1');
SELECT results_eq($$SELECT revision FROM pfm_downgrade('0001')$$, $$VALUES ('0003'), ('0002')$$,
  'downgrade to a revision reverts newest first');
SELECT results_eq($$SELECT revision FROM pfm_upgrade('0002')$$, $$VALUES ('0002')$$, 'upgrade to a full id');
SELECT throws_ok($$SELECT * FROM pfm_upgrade('000')$$, '22023', NULL, 'an ambiguous prefix is an error');
SELECT results_eq($$SELECT revision FROM pfm_upgrade('0003')$$, $$VALUES ('0003')$$, 'upgrade to the head id');
SELECT results_eq($$SELECT revision FROM pfm_downgrade('base')$$, $$VALUES ('0003'), ('0002'), ('0001')$$,
  'downgrade base reverts all');
SELECT is(pfm_current(), NULL, 'back at base');
SELECT hasnt_table('users', 'every table is gone');
SELECT is((SELECT count(*)::int FROM pfm_downgrade('base')), 0, 'downgrade base at base is a no-op');

SELECT is((SELECT count(*)::int FROM pfm_migrate.audit WHERE operation = 'upgrade'), 6, 'one audit row per upgrade step');
SELECT is((SELECT count(*)::int FROM pfm_migrate.audit WHERE operation = 'downgrade'), 6, 'one audit row per downgrade step');
SELECT is((SELECT count(*)::int FROM pfm_migrate.audit WHERE operation = 'register'), 3, 'one audit row per registration');

SELECT * FROM finish();
ROLLBACK;
