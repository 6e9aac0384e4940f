-- Alembic's looking and authoring commands (issue 16): show, branches, history -r,
-- heads --resolve-dependencies, revision --head/--splice/--branch-label/--depends-on/--rev-id,
-- stamp --purge, and the graph as Graphviz DOT. After each error, its SQLSTATE.
CREATE EXTENSION pfm_migrate;

-- Two branches from one root (one labelled), merged; a library on a base of its own that
-- the merge depends on by its label.
SELECT pfm_register('0001', NULL, 'CREATE TABLE t1 (id int);', 'DROP TABLE t1;', 'root');
SELECT pfm_register('a100', '0001', 'CREATE TABLE ta (id int);', 'DROP TABLE ta;', 'feature a',
                    branch_labels => ARRAY['feature']);
SELECT pfm_register('b200', '0001', 'CREATE TABLE tb (id int);', NULL, 'feature b (irreversible)');
SELECT pfm_register('lib1', NULL, 'CREATE TABLE tl (id int);', 'DROP TABLE tl;', 'library',
                    branch_labels => ARRAY['lib']);
SELECT pfm_register('m300', 'a100,b200', '', '', 'merge a and b', depends_on => ARRAY['lib']);
SELECT revision FROM pfm_upgrade('a100');

-- ---- pfm_show: alembic show ------------------------------------------------------------
SELECT revision, parents, is_merge_point, is_branch_point, is_head, depends_on, branches_into,
       branch_labels, branch_names, message, applied, stamped, drifted, upgrade, downgrade
  FROM pfm_show('0001');
-- a prefix, a label, label@head, heads and current name revisions too
SELECT revision, parents, depends_on, branch_labels, branch_names, applied FROM pfm_show('m3');
SELECT revision, branch_labels FROM pfm_show('feature');
SELECT revision FROM pfm_show('lib@head');
SELECT revision, is_head FROM pfm_show('heads');
SELECT revision, applied FROM pfm_show('current');
SELECT downgrade IS NULL AS irreversible FROM pfm_show('b200');
-- base names no revision
SELECT count(*) FROM pfm_show('base');
-- the checksum is the registered one; drift shows once a body changes behind the engine's back
SELECT checksum = (SELECT checksum FROM pfm_migrate.revisions WHERE revision = 'a100') AS same_checksum
  FROM pfm_show('a100');
UPDATE pfm_migrate.revisions SET upgrade = 'CREATE TABLE ta (id bigint);' WHERE revision = 'a100';
SELECT revision, applied, drifted FROM pfm_show('a100');
UPDATE pfm_migrate.revisions SET upgrade = 'CREATE TABLE ta (id int);' WHERE revision = 'a100';
-- errors
SELECT * FROM pfm_show('head');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pfm_show('nope');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pfm_show('-1');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pfm_show('');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pfm_show(NULL);
\echo :LAST_ERROR_SQLSTATE

-- ---- pfm_branches: alembic branches ------------------------------------------------------
SELECT * FROM pfm_branches();

-- ---- pfm_heads(resolve_dependencies) -----------------------------------------------------
-- lib1 is a head, but m300 depends on it: --resolve-dependencies leaves it out
SELECT * FROM pfm_heads();
SELECT * FROM pfm_heads(resolve_dependencies => false);
SELECT * FROM pfm_heads(resolve_dependencies => true);
SELECT * FROM pfm_heads(NULL);
\echo :LAST_ERROR_SQLSTATE

-- ---- pfm_history(range): alembic history -r -----------------------------------------------
SELECT revision, down_revision, is_head, is_current, applied FROM pfm_history('base:heads');
SELECT revision FROM pfm_history('a100:');
SELECT revision FROM pfm_history(':a100');
SELECT revision FROM pfm_history('current:');
SELECT revision FROM pfm_history(':current');
SELECT revision FROM pfm_history('a100:+1');
SELECT revision FROM pfm_history('lib@base:lib@head');
-- every ancestor of the branch's head, the library it depends on included
SELECT revision FROM pfm_history('feature@base:feature@head');
-- errors: no colon (Alembic's words), current on both sides, a start that cannot be one, a walk
-- through the merge that does not say which parent to follow
SELECT * FROM pfm_history('a100');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pfm_history('current:current');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pfm_history('+1:');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pfm_history('-1:');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pfm_history('a:b:c');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pfm_history('nope:');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pfm_history(NULL::text);
\echo :LAST_ERROR_SQLSTATE

-- ---- pfm_revision: alembic revision --head --splice --branch-label --depends-on --rev-id ---
-- the three-argument form: the single head (several here: Alembic's error)
SELECT pfm_revision('next', 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT pfm_revision('on m300', 'SELECT 1', 'SELECT 1', head => 'm300', rev_id => 'c400');
SELECT revision, parents FROM pfm_show('c400');
-- a revision that is not a head needs splice
SELECT pfm_revision('from the root', 'SELECT 1', head => '0001', rev_id => 'd500');
\echo :LAST_ERROR_SQLSTATE
SELECT pfm_revision('from the root', 'SELECT 1', 'SELECT 1', head => '0001', splice => true, rev_id => 'd500',
                    branch_label => 'hotfix', depends_on => ARRAY['lib', 'a1']);
SELECT revision, parents, depends_on, branch_labels FROM pfm_show('hotfix');
-- a new base, several labels
SELECT pfm_revision('another base', 'SELECT 1', 'SELECT 1', head => 'base', rev_id => 'e600',
                    branch_label => 'ext, ext2');
SELECT revision, parents, branch_labels FROM pfm_show('ext2');
-- on label@head, with a generated id
SELECT pfm_revision('on lib', 'SELECT 1', head => 'lib@head') ~ '^[0-9a-f]{12}$' AS generated_id;
SELECT parents FROM pfm_show('lib@head');
SELECT pfm_unregister(revision) FROM pfm_show('lib@head');
-- errors: a taken id or label, an id that is a label, bad ids, relative or unknown heads
SELECT pfm_revision('again', 'SELECT 1', head => 'c400', rev_id => 'c400');
\echo :LAST_ERROR_SQLSTATE
SELECT pfm_revision('again', 'SELECT 1', head => 'c400', rev_id => 'lib');
\echo :LAST_ERROR_SQLSTATE
SELECT pfm_revision('again', 'SELECT 1', head => 'c400', rev_id => 'f700', branch_label => 'hotfix');
\echo :LAST_ERROR_SQLSTATE
SELECT pfm_revision('again', 'SELECT 1', head => 'c400', rev_id => 'not an id');
\echo :LAST_ERROR_SQLSTATE
SELECT pfm_revision('again', 'SELECT 1', head => '+1');
\echo :LAST_ERROR_SQLSTATE
SELECT pfm_revision('again', 'SELECT 1', head => 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT pfm_revision('again', 'SELECT 1', head => 'c400', depends_on => ARRAY['base']);
\echo :LAST_ERROR_SQLSTATE
SELECT pfm_revision('again', 'SELECT 1', head => NULL);
\echo :LAST_ERROR_SQLSTATE
-- nothing of the refused calls was registered
SELECT count(*) FROM pfm_migrate.revisions;

-- ---- pfm_stamp(target, purge => true): alembic stamp --purge -------------------------------
-- a phantom in the applied state (a deleted file): every plan refuses it, purge forgets it
INSERT INTO pfm_migrate.applied (revision, checksum, stamped) VALUES ('ghost', 'x', true);
SELECT * FROM pfm_upgrade('heads', dry_run => true);
\echo :LAST_ERROR_SQLSTATE
SELECT pfm_stamp('a100');
\echo :LAST_ERROR_SQLSTATE
SELECT revision FROM pfm_show('current');
\echo :LAST_ERROR_SQLSTATE
BEGIN READ ONLY;
SELECT pfm_stamp('a100', purge => true);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT max(id) AS before_purge FROM pfm_migrate.audit \gset
SELECT pfm_stamp('a100', purge => true);
-- one 'stamp' audit row per revision forgotten (newest first, phantoms last) and marked
SELECT operation, revision, direction FROM pfm_migrate.audit WHERE id > :before_purge ORDER BY id;
SELECT revision, stamped FROM pfm_migrate.applied ORDER BY revision;
SELECT * FROM pfm_migrate.version;
SELECT * FROM pfm_check() WHERE severity = 'error';
-- purge to base forgets everything
SELECT pfm_stamp('base', purge => true);
SELECT count(*) FROM pfm_migrate.applied;
SELECT pfm_stamp('nope', purge => true);
\echo :LAST_ERROR_SQLSTATE
SELECT pfm_stamp('head', purge => NULL);
\echo :LAST_ERROR_SQLSTATE

-- ---- pfm_graph(): Graphviz DOT --------------------------------------------------------------
SELECT pfm_stamp('a100');
UPDATE pfm_migrate.revisions SET downgrade = 'DROP TABLE t1 CASCADE;' WHERE revision = '0001';
\pset format unaligned
\pset tuples_only on
SELECT pfm_graph();
\pset format aligned
\pset tuples_only off

DROP EXTENSION pfm_migrate;
