\ir setup.inc
-- Every function with NULL, empty and garbage arguments: an error with a SQLSTATE, never a crash.
SELECT plan(36);
SELECT pg_temp.register_chain();

CREATE FUNCTION pg_temp.errs(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;

SELECT isnt(pg_temp.errs(c), 'XX000', 'no internal error: ' || c) FROM unnest(ARRAY[
  $$SELECT pfm_register(NULL)$$, $$SELECT pfm_register('')$$, $$SELECT pfm_register('a', '')$$,
  $$SELECT pfm_register('a', ',')$$, $$SELECT pfm_register('a', 'b,,c')$$, $$SELECT pfm_register('a', branch_labels => ARRAY[NULL])$$,
  $$SELECT pfm_register('a', depends_on => ARRAY['']::text[])$$, $$SELECT pfm_register(E'\\x01')$$,
  $$SELECT pfm_revision(NULL, NULL)$$, $$SELECT pfm_revision('', '')$$, $$SELECT pfm_merge(NULL)$$, $$SELECT pfm_merge('')$$,
  $$SELECT pfm_merge('0001')$$, $$SELECT pfm_merge('0001,0001')$$, $$SELECT pfm_unregister(NULL)$$, $$SELECT pfm_unregister('')$$,
  $$SELECT * FROM pfm_upgrade(NULL::text)$$, $$SELECT * FROM pfm_upgrade('@')$$, $$SELECT * FROM pfm_upgrade('a@@b')$$,
  $$SELECT * FROM pfm_upgrade('+')$$, $$SELECT * FROM pfm_upgrade('+99999999999999999999')$$,
  $$SELECT * FROM pfm_upgrade(2147483647)$$, $$SELECT * FROM pfm_downgrade(-2147483648)$$,
  $$SELECT * FROM pfm_downgrade(NULL::text)$$, $$SELECT * FROM pfm_downgrade('@head')$$,
  $$SELECT * FROM pfm_downgrade('0001@-9')$$, $$SELECT pfm_stamp(NULL)$$, $$SELECT pfm_stamp('')$$,
  $$SELECT pfm_stamp('head@head')$$, $$SELECT pfm_upgrade_sql(NULL)$$, $$SELECT pfm_downgrade_sql('')$$,
  $$SELECT pfm_migrate.record_step(NULL, NULL)$$, $$SELECT pfm_migrate.record_step('0001', 'sideways')$$,
  $$SELECT pfm_migrate.offline_begin('nonsense')$$
]) AS c;

SELECT is(pg_temp.errs($$SELECT pfm_register('x' || repeat('y', 63), upgrade => repeat('SELECT 1;', 200000))$$), 'ok',
  'a large body (1.8 MB) is accepted');
SELECT is((SELECT count(*)::int FROM pfm_upgrade('0003')), 3, 'the backend is still fine');

SELECT * FROM finish();
ROLLBACK;
