\ir setup.inc
-- Every function with NULL, empty and garbage arguments: an error with a SQLSTATE, never a crash.
SELECT plan(99);
SELECT pg_temp.register_chain();

CREATE FUNCTION pg_temp.errs(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;

-- Each call fails with the SQLSTATE that says what is wrong with it (never XX000, never success).
SELECT is(pg_temp.errs(c), code, code || ': ' || c) FROM (VALUES
  ($$SELECT pfm_register(NULL)$$, '22004'), ($$SELECT pfm_register('')$$, '22023'), ($$SELECT pfm_register('a', '')$$, '22023'),
  ($$SELECT pfm_register('a', ',')$$, '22023'), ($$SELECT pfm_register('a', 'b,,c')$$, '22023'),
  ($$SELECT pfm_register('a', branch_labels => ARRAY[NULL])$$, '22004'),
  ($$SELECT pfm_register('a', depends_on => ARRAY['']::text[])$$, '22023'), ($$SELECT pfm_register(E'\\x01')$$, '22023'),
  ($$SELECT pfm_revision(NULL, NULL)$$, '22004'), ($$SELECT pfm_revision('', '')$$, '22023'), ($$SELECT pfm_merge(NULL)$$, '22004'),
  ($$SELECT pfm_merge('')$$, '22023'), ($$SELECT pfm_merge('0001')$$, '22023'), ($$SELECT pfm_merge('0001,0001')$$, '22023'),
  ($$SELECT pfm_unregister(NULL)$$, '22004'), ($$SELECT pfm_unregister('')$$, '22023'),
  ($$SELECT * FROM pfm_upgrade(NULL::text)$$, '22004'), ($$SELECT * FROM pfm_upgrade('@')$$, '22023'),
  ($$SELECT * FROM pfm_upgrade('a@@b')$$, '22023'), ($$SELECT * FROM pfm_upgrade('+')$$, '22023'),
  ($$SELECT * FROM pfm_upgrade('+99999999999999999999')$$, '22023'), ($$SELECT * FROM pfm_upgrade(2147483647)$$, '22023'),
  ($$SELECT * FROM pfm_downgrade(-2147483648)$$, '22023'), ($$SELECT * FROM pfm_downgrade(NULL::text)$$, '22004'),
  ($$SELECT * FROM pfm_downgrade('@head')$$, '22023'), ($$SELECT * FROM pfm_downgrade('0001@-9')$$, '22023'),
  ($$SELECT pfm_stamp(NULL)$$, '22004'), ($$SELECT pfm_stamp('')$$, '22023'), ($$SELECT pfm_stamp('head@head')$$, '42704'),
  ($$SELECT pfm_upgrade_sql(NULL)$$, '22004'), ($$SELECT pfm_downgrade_sql('')$$, '22023'),
  ($$SELECT * FROM pfm_lint(NULL)$$, '22004'), ($$SELECT * FROM pfm_lint('')$$, '22023'),
  ($$SELECT * FROM pfm_lint('a@@b')$$, '22023'), ($$SELECT * FROM pfm_lint(repeat('a', 100000))$$, '22023'),
  ($$SELECT * FROM pfm_trace(NULL)$$, '22004'), ($$SELECT * FROM pfm_trace('+')$$, '22023'),
  ($$SELECT pfm_migrate.record_step(NULL, NULL)$$, '22004'), ($$SELECT pfm_migrate.record_step('0001', 'sideways')$$, '22023'),
  ($$SELECT pfm_migrate.offline_begin('nonsense')$$, '55000'),
  ($$SELECT * FROM pfm_load(NULL, NULL)$$, '22004'), ($$SELECT * FROM pfm_load(ARRAY['a'], ARRAY[]::text[])$$, '22023'),
  ($$SELECT * FROM pfm_load(ARRAY['a'], ARRAY[NULL])$$, '22004'), ($$SELECT * FROM pfm_load(ARRAY['a'], ARRAY[''])$$, '22023'),
  ($$SELECT * FROM pfm_preview(ARRAY['a'], ARRAY['SELECT pfm_register(1)'])$$, '22023'),
  ($$SELECT * FROM pfm_preview(ARRAY['a'], ARRAY['SELECT pfm_register(revision => ''x'', revision => ''y'')'])$$, '22023'),
  ($$SELECT * FROM pfm_preview(ARRAY['a'], ARRAY['SELECT 1; COMMIT'])$$, '22023'),
  ($$SELECT * FROM pfm_preview(ARRAY['a'], ARRAY[E'-- pfm:revision \\x01\n-- pfm:parents base\n-- pfm:upgrade\n-- pfm:downgrade'])$$, '22023'),
  ($$SELECT pfm_migration_file(NULL, NULL)$$, '22004'), ($$SELECT pfm_migration_file('a', 'garbage')$$, '42601'),
  -- show, branches, history ranges, heads, stamp --purge, revision options (issue 16)
  ($$SELECT * FROM pfm_show(NULL)$$, '22004'), ($$SELECT * FROM pfm_show('')$$, '22023'),
  ($$SELECT * FROM pfm_show('@@')$$, '22023'), ($$SELECT * FROM pfm_show('+1')$$, '22023'),
  ($$SELECT * FROM pfm_show('x'';--')$$, '22023'), ($$SELECT * FROM pfm_show(repeat('a', 100000))$$, '22023'),
  ($$SELECT * FROM pfm_show(E'\\x01')$$, '22023'), ($$SELECT * FROM pfm_show('heads@head')$$, '42704'),
  ($$SELECT * FROM pfm_history(NULL::text)$$, '22004'), ($$SELECT * FROM pfm_history('')$$, '22023'),
  ($$SELECT * FROM pfm_history(':::')$$, '22023'), ($$SELECT * FROM pfm_history('@:')$$, '22023'),
  ($$SELECT * FROM pfm_history(':-1')$$, '22023'), ($$SELECT * FROM pfm_history('current:current')$$, '42704'),
  ($$SELECT * FROM pfm_history(repeat(':', 1000))$$, '22023'), ($$SELECT * FROM pfm_history('prefix@0:')$$, '42704'),
  ($$SELECT * FROM pfm_heads(NULL)$$, '22004'),
  ($$SELECT pfm_stamp(NULL, true)$$, '22004'), ($$SELECT pfm_stamp('', true)$$, '22023'),
  ($$SELECT pfm_stamp('head', NULL)$$, '22004'), ($$SELECT pfm_stamp('@', true)$$, '22023'),
  ($$SELECT pfm_stamp('-1', purge => true)$$, '22023'), ($$SELECT pfm_stamp('nope', purge => true)$$, '42704'),
  ($$SELECT pfm_revision('m', 'SELECT 1', head => NULL)$$, '22004'), ($$SELECT pfm_revision('m', 'SELECT 1', head => '')$$, '22023'),
  ($$SELECT pfm_revision('m', 'SELECT 1', head => '0001@@')$$, '22023'),
  ($$SELECT pfm_revision('m', 'SELECT 1', head => 'heads@head')$$, '42704'),
  ($$SELECT pfm_revision('m', 'SELECT 1', splice => NULL)$$, '22004'),
  ($$SELECT pfm_revision('m', 'SELECT 1', branch_label => '')$$, '22023'),
  ($$SELECT pfm_revision('m', 'SELECT 1', branch_label => ',')$$, '22023'),
  ($$SELECT pfm_revision('m', 'SELECT 1', depends_on => ARRAY[NULL])$$, '22004'),
  ($$SELECT pfm_revision('m', 'SELECT 1', depends_on => ARRAY['']::text[])$$, '22023'),
  ($$SELECT pfm_revision('m', 'SELECT 1', depends_on => '{{a}}')$$, '2202E'),
  ($$SELECT pfm_revision('m', 'SELECT 1', depends_on => ARRAY['0001', '0001'])$$, '22023'),
  ($$SELECT pfm_revision('m', 'SELECT 1', rev_id => '')$$, '22023'),
  ($$SELECT pfm_revision('m', 'SELECT 1', rev_id => repeat('a', 65))$$, '22023'),
  ($$SELECT pfm_revision('m', 'SELECT 1', rev_id => 'x'');DROP TABLE pfm_migrate.audit;--')$$, '22023'),
  ($$SELECT pfm_revision('m', 'SELECT 1', rev_id => 'x', branch_label => 'x')$$, '55000'),
  ($$SELECT pfm_revision('m', 'SELECT 1', rev_id => '0001')$$, '22023')
) AS t(c, code);

-- These answer (a range may run past either end of the graph).
SELECT is(pg_temp.errs(c), 'ok', c) FROM (VALUES
  ($$SELECT pfm_graph()$$), ($$SELECT * FROM pfm_branches()$$), ($$SELECT * FROM pfm_show('base')$$),
  ($$SELECT * FROM pfm_history('base:base')$$), ($$SELECT * FROM pfm_history('-99999999999999999999:')$$),
  ($$SELECT * FROM pfm_history(':+2147483648')$$), ($$SELECT * FROM pfm_lint('base')$$), ($$SELECT * FROM pfm_trace('heads')$$)
) AS t(c);

SELECT is(pg_temp.errs($$SELECT pfm_register('x' || repeat('y', 63), upgrade => repeat('SELECT 1;', 200000))$$), 'ok',
  'a large body (1.8 MB) is accepted');
SELECT is((SELECT count(*)::int FROM pfm_upgrade('0003')), 3, 'the backend is still fine');

SELECT * FROM finish();
ROLLBACK;
