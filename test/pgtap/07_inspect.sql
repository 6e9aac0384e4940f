\ir setup.inc
-- show, branches, history ranges, heads --resolve-dependencies, stamp --purge, revision
-- options and the graph (issue 16): results, privileges, and a database still at 0.1.0.
SELECT plan(58);

-- A root with two branches (one labelled), a merge, and a library the merge depends on.
SELECT pfm_register('r0', NULL, 'SELECT 1', 'SELECT 1', 'root');
SELECT pfm_register('ba1', 'r0', 'SELECT 1', 'SELECT 1', 'branch a', ARRAY['alpha']);
SELECT pfm_register('bb1', 'r0', 'SELECT 1', NULL, 'branch b');
SELECT pfm_register('lib1', NULL, 'SELECT 1', 'SELECT 1', 'library', ARRAY['lib']);
SELECT pfm_register('mg1', 'ba1,bb1', '', '', 'merge', depends_on => ARRAY['lib']);
SELECT is((SELECT count(*)::int FROM pfm_upgrade('ba1')), 2, 'r0 and ba1 applied');

-- pfm_show
SELECT results_eq($$SELECT revision, parents, is_merge_point, is_branch_point, is_head, depends_on, branches_into
                      FROM pfm_show('mg1')$$,
  $$VALUES ('mg1', ARRAY['ba1', 'bb1'], true, false, true, ARRAY['lib'], '{}'::text[])$$,
  'pfm_show: parents, merge point, head, depends_on as registered');
SELECT results_eq($$SELECT revision, is_branch_point, branches_into FROM pfm_show('r0')$$,
  $$VALUES ('r0', true, ARRAY['ba1', 'bb1'])$$, 'pfm_show: a branch point and what it branches into');
SELECT results_eq($$SELECT revision, applied, stamped, drifted FROM pfm_show('current')$$,
  $$VALUES ('ba1', true, false, false)$$, 'pfm_show(current): the current head, applied, not stamped');
SELECT results_eq($$SELECT revision, applied, applied_at, stamped, drifted FROM pfm_show('bb1')$$,
  $$VALUES ('bb1', false, NULL::timestamptz, NULL::boolean, NULL::boolean)$$,
  'pfm_show: a pending revision has no applied state');
SELECT results_eq($$SELECT upgrade, downgrade, checksum FROM pfm_show('bb1')$$,
  $$SELECT upgrade, downgrade, checksum FROM pfm_migrate.revisions WHERE revision = 'bb1'$$,
  'pfm_show: both bodies (NULL downgrade: irreversible) and the checksum');
SELECT results_eq($$SELECT revision, branch_labels, branch_names FROM pfm_show('alpha')$$,
  $$VALUES ('ba1', ARRAY['alpha'], ARRAY['alpha'])$$, 'pfm_show: a branch label names its revision');
SELECT results_eq($$SELECT revision FROM pfm_show('heads')$$, $$VALUES ('mg1')$$,
  'pfm_show(heads): lib1 is no head, mg1 depends on it ... ');
SELECT results_eq($$SELECT revision, is_head FROM pfm_show('lib@head')$$, $$VALUES ('lib1', true)$$,
  '... but label@head still names it');
SELECT is_empty($$SELECT * FROM pfm_show('base')$$, 'pfm_show(base): no revision');
SELECT throws_ok($$SELECT * FROM pfm_show('nope')$$, '42704', $$can't locate revision identified by 'nope'$$,
  'pfm_show: an unknown revision');
SELECT throws_ok($$SELECT * FROM pfm_show('+1')$$, '22023', NULL, 'pfm_show: a relative target is refused');

-- pfm_branches, pfm_heads(resolve_dependencies)
SELECT results_eq($$SELECT * FROM pfm_branches()$$, $$VALUES ('r0', 'root', ARRAY['ba1', 'bb1'])$$,
  'pfm_branches: the one branch point');
SELECT set_eq($$SELECT * FROM pfm_heads(false)$$, ARRAY['lib1', 'mg1'], 'pfm_heads(false) = pfm_heads()');
SELECT set_eq($$SELECT * FROM pfm_heads(resolve_dependencies => true)$$, ARRAY['mg1'],
  'pfm_heads(true): a head something depends on is not a head');

-- pfm_history(range): the same columns as pfm_history()
SELECT results_eq($$SELECT * FROM pfm_history('base:heads')$$, $$SELECT * FROM pfm_history()$$,
  'pfm_history(base:heads) = pfm_history()');
SELECT results_eq($$SELECT revision FROM pfm_history(':current')$$, $$VALUES ('ba1'), ('r0')$$,
  'pfm_history(:current), newest first');
SELECT results_eq($$SELECT revision, is_current FROM pfm_history('current:')$$,
  $$VALUES ('mg1', false), ('ba1', true)$$, 'pfm_history(current:)');
SELECT throws_ok($$SELECT * FROM pfm_history('ba1')$$, '22023',
  'history range requires [start]:[end], [start]:, or :[end]', 'pfm_history: no colon, Alembic''s words');

-- pfm_revision with Alembic's options
SELECT is(pfm_revision('on the merge', 'SELECT 2', 'SELECT 2', head => 'mg1', rev_id => 'c1'), 'c1',
  'pfm_revision(head, rev_id)');
SELECT throws_ok($$SELECT pfm_revision('spliced', 'SELECT 3', head => 'r0', rev_id => 'd1')$$, '22023',
  'revision r0 is not a head revision; please specify --splice to create a new branch from this revision',
  'pfm_revision: a parent that is not a head needs splice');
SELECT is(pfm_revision('spliced', 'SELECT 3', head => 'r0', splice => true, rev_id => 'd1', branch_label => 'fix',
                       depends_on => ARRAY['lib', 'ba1']), 'd1', 'pfm_revision(splice, branch_label, depends_on)');
SELECT results_eq($$SELECT revision, down_revisions, branch_labels, depends_on FROM pfm_migrate.revisions
                     WHERE revision = 'd1'$$, $$VALUES ('d1', ARRAY['r0'], ARRAY['fix'], ARRAY['lib', 'ba1'])$$,
  'pfm_revision: registered with its parent, its label and depends_on (a branch label kept as written)');
SELECT throws_ok($$SELECT pfm_revision('dup', 'SELECT 4', head => 'c1', rev_id => 'd1')$$, '22023', NULL,
  'pfm_revision: a taken rev_id is refused (Alembic only warns)');
SELECT throws_ok($$SELECT pfm_revision('dup', 'SELECT 4', head => 'c1', rev_id => 'e1', branch_label => 'alpha')$$, '55000',
  NULL, 'pfm_revision: a label in use is refused');
SELECT is((SELECT count(*)::int FROM pfm_migrate.audit WHERE operation = 'register' AND revision IN ('c1', 'd1')), 2,
  'pfm_revision: audited like pfm_register');

-- pfm_stamp(target, purge => true)
INSERT INTO pfm_migrate.applied (revision, checksum, stamped) VALUES ('ghost', 'x', true);
SELECT throws_ok($$SELECT pfm_stamp('ba1')$$, '55000', NULL, 'a phantom applied revision blocks a plain stamp');
CREATE TEMP TABLE audit_mark AS SELECT coalesce(max(id), 0) AS id FROM pfm_migrate.audit;
SELECT lives_ok($$SELECT pfm_stamp('bb1', purge => true)$$, 'stamp --purge goes through the phantom');
SELECT set_eq($$SELECT revision FROM pfm_migrate.applied$$, ARRAY['r0', 'bb1'], 'purge: the target''s ancestry, nothing else');
SELECT is((SELECT bool_and(stamped) FROM pfm_migrate.applied), true, 'purge: recorded as stamped');
SELECT results_eq($$SELECT version_num FROM pfm_migrate.version$$, $$VALUES ('bb1')$$, 'purge: the version rows');
SELECT results_eq($$SELECT operation, revision, direction FROM pfm_migrate.audit
                     WHERE id > (SELECT id FROM audit_mark) ORDER BY id$$,
  $$VALUES ('stamp', 'ba1', 'downgrade'), ('stamp', 'r0', 'downgrade'), ('stamp', 'ghost', 'downgrade'),
           ('stamp', 'r0', 'upgrade'), ('stamp', 'bb1', 'upgrade')$$,
  'purge: one stamp audit row per revision forgotten and marked');
SELECT is_empty($$SELECT * FROM pfm_check() WHERE severity = 'error'$$, 'purge: healthy again');

-- pfm_graph
SELECT ok(pfm_graph() LIKE 'digraph pfm_migrate {%', 'pfm_graph: a DOT digraph');
SELECT ok(pfm_graph() LIKE '%"lib1" -> "mg1" [style=dashed%', 'pfm_graph: the dependency edge, dashed');

-- Privileges: the looking functions need what the monitoring role has (USAGE on the schema,
-- SELECT on the catalog); stamp --purge and pfm_revision need the deploy role's grants.
CREATE FUNCTION pg_temp.errs_as(who name, sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SET LOCAL ROLE %I', who);
  EXECUTE sql;
  RESET ROLE;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;  -- the role goes with the block's subtransaction
END $$;
CREATE ROLE pfm_t_nobody;
CREATE ROLE pfm_t_monitor;
GRANT USAGE ON SCHEMA pfm_migrate TO pfm_t_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA pfm_migrate TO pfm_t_monitor;
CREATE ROLE pfm_t_deployer;
GRANT USAGE ON SCHEMA pfm_migrate TO pfm_t_deployer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pfm_migrate TO pfm_t_deployer;
GRANT SELECT, USAGE ON ALL SEQUENCES IN SCHEMA pfm_migrate TO pfm_t_deployer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pfm_migrate TO pfm_t_deployer;

SELECT is(pg_temp.errs_as('pfm_t_nobody', c), '42501', 'without grants: ' || c) FROM (VALUES
  ($$SELECT * FROM pfm_show('r0')$$), ($$SELECT * FROM pfm_branches()$$), ($$SELECT * FROM pfm_history('base:')$$),
  ($$SELECT * FROM pfm_heads(true)$$), ($$SELECT pfm_graph()$$), ($$SELECT pfm_stamp('r0', purge => true)$$),
  ($$SELECT pfm_revision('x', 'SELECT 1', head => 'c1', rev_id => 'x1')$$)
) AS t(c);
SELECT is(pg_temp.errs_as('pfm_t_monitor', c), 'ok', 'the monitoring role reads: ' || c) FROM (VALUES
  ($$SELECT * FROM pfm_show('current')$$), ($$SELECT * FROM pfm_branches()$$), ($$SELECT * FROM pfm_history('base:')$$),
  ($$SELECT * FROM pfm_heads(true)$$), ($$SELECT pfm_graph()$$)
) AS t(c);
SELECT is(pg_temp.errs_as('pfm_t_monitor', c), '42501', 'the monitoring role cannot change: ' || c) FROM (VALUES
  ($$SELECT pfm_stamp('r0', purge => true)$$), ($$SELECT pfm_revision('x', 'SELECT 1', head => 'c1', rev_id => 'x1')$$)
) AS t(c);
SELECT is(pg_temp.errs_as('pfm_t_deployer', c), 'ok', 'the deploy role: ' || c) FROM (VALUES
  ($$SELECT pfm_stamp('r0', purge => true)$$), ($$SELECT pfm_revision('x', 'SELECT 1', head => 'c1', rev_id => 'x1')$$)
) AS t(c);
SELECT is((SELECT "current_user"::text FROM pfm_migrate.audit ORDER BY id DESC LIMIT 1), 'pfm_t_deployer',
  'the deploy role''s calls are audited under its name');
SELECT is_empty($$SELECT p.proname FROM pg_catalog.pg_proc p,
                   LATERAL pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
                  WHERE p.pronamespace = 'pfm_migrate'::regnamespace AND a.grantee = 0
                    AND p.proname <> 'written_by_current_transaction'$$,
  'PUBLIC may execute no function in the pfm_migrate schema');

-- A database still at 0.1.0: the library serves its declarations (fewer parameters).
DROP EXTENSION pfm_migrate;
CREATE EXTENSION pfm_migrate VERSION '0.1.0';
SELECT pg_temp.register_chain();
SELECT ok(pfm_revision('at 0.1.0', 'SELECT 1', 'SELECT 1') ~ '^[0-9a-f]{12}$', '0.1.0: pfm_revision(message, upgrade, downgrade)');
SELECT lives_ok($$SELECT pfm_stamp('0002')$$, '0.1.0: pfm_stamp(target)');
SELECT is(pfm_current(), '0002', '0.1.0: ... stamps');
ALTER EXTENSION pfm_migrate UPDATE;
SELECT lives_ok($$SELECT pfm_stamp('0001', purge => true)$$, 'after ALTER EXTENSION UPDATE: pfm_stamp(target, purge)');
SELECT is(pfm_current(), '0001', '... stamps');

SELECT * FROM finish();
ROLLBACK;
