\ir setup.inc
SELECT plan(23);

-- two branches from one root
SELECT pfm_register('r0', NULL, 'CREATE TABLE r0_t (id int)', 'DROP TABLE r0_t', 'root');
SELECT pfm_register('ba1', 'r0', 'CREATE TABLE ba1_t (id int)', 'DROP TABLE ba1_t', 'branch a', ARRAY['alpha']);
SELECT pfm_register('bb1', 'r0', 'CREATE TABLE bb1_t (id int)', 'DROP TABLE bb1_t', 'branch b', ARRAY['beta']);
SELECT set_eq('SELECT * FROM pfm_heads()', ARRAY['ba1', 'bb1'], 'two heads');
SELECT throws_like($$SELECT * FROM pfm_upgrade('head')$$, '%multiple head revisions%', 'head is ambiguous');
SELECT throws_ok($$SELECT pfm_revision('new', 'SELECT 1')$$, '22023', NULL, 'pfm_revision needs a single head');
SELECT set_eq($$SELECT revision FROM pfm_upgrade('heads')$$, ARRAY['r0', 'ba1', 'bb1'], 'heads applies both branches');
SELECT is(pfm_current(), 'ba1,bb1', 'current shows both heads, sorted');
SELECT is((SELECT count(*)::int FROM pfm_migrate.version), 2, 'two version rows');

-- labels and relative targets on a branch
SELECT results_eq($$SELECT revision FROM pfm_downgrade('beta@-1')$$, $$VALUES ('bb1')$$, 'label@-1 walks down one branch');
SELECT is(pfm_current(), 'ba1', 'the other branch stays');
SELECT results_eq($$SELECT revision FROM pfm_upgrade('beta@head')$$, $$VALUES ('bb1')$$, 'label@head');
SELECT throws_ok($$SELECT * FROM pfm_downgrade(-1)$$, '22023', NULL, 'downgrade -1 with two heads is ambiguous');

-- merge
SELECT ok(pfm_merge() ~ '^[0-9a-f]{12}$', 'pfm_merge makes a 12-hex revision');
SELECT is((SELECT count(*)::int FROM pfm_heads()), 1, 'one head after the merge');
SELECT is((SELECT count(*)::int FROM pfm_upgrade('head')), 1, 'upgrade head applies the merge');
SELECT is((SELECT count(*)::int FROM pfm_migrate.version), 1, 'one version row after the merge');
SELECT is((SELECT down_revision FROM pfm_history() WHERE is_head), 'ba1,bb1', 'history shows both merge parents');

-- pfm_revision on the single head
SELECT ok(pfm_revision('Add column', 'ALTER TABLE r0_t ADD COLUMN note text', 'ALTER TABLE r0_t DROP COLUMN note')
          ~ '^[0-9a-f]{12}$', 'pfm_revision makes a 12-hex revision');
SELECT is((SELECT count(*)::int FROM pfm_upgrade('head')), 1, 'and it applies');
SELECT has_column('r0_t', 'note', 'its body ran');

-- stamp runs nothing
SELECT lives_ok($$SELECT pfm_stamp('r0')$$, 'stamp back to the root');
SELECT is(pfm_current(), 'r0', 'stamped state');
SELECT has_table('ba1_t', 'a stamp runs no body');
SELECT is((SELECT count(*)::int FROM pfm_migrate.audit WHERE operation = 'stamp'), 4,
  'one audit row per stamped revision');
SELECT throws_ok($$SELECT pfm_stamp('nope')$$, '42704', NULL, 'stamp to an unknown revision');

SELECT * FROM finish();
ROLLBACK;
