-- Two branches from one root, a merge, labels and a cross-branch dependency.
CREATE EXTENSION pfm_migrate;

SELECT pfm_register('root1', NULL, 'CREATE TABLE base_t (id int);', 'DROP TABLE base_t;', 'root');
SELECT pfm_register('feat_a', 'root1', 'CREATE TABLE a_t (id int);', 'DROP TABLE a_t;', 'feature a',
                    branch_labels => ARRAY['alpha']);
SELECT pfm_register('feat_b', 'root1', 'CREATE TABLE b_t (id int);', 'DROP TABLE b_t;', 'feature b');
SELECT * FROM pfm_heads();

-- several heads: 'head' is ambiguous, 'heads' applies both
SELECT * FROM pfm_upgrade('head');
SELECT revision FROM pfm_upgrade('heads');
SELECT pfm_current();
SELECT * FROM pfm_migrate.version ORDER BY 1;
SELECT * FROM pfm_check();

-- the two heads, a label and a prefix
SELECT revision FROM pfm_downgrade('alpha@-1');
SELECT pfm_current();
SELECT revision FROM pfm_upgrade('alpha@head');
SELECT * FROM pfm_upgrade('feat');

-- merge the branches; afterwards one version row
SELECT pfm_register('merge1', 'feat_a,feat_b', '', '', 'merge a and b');
SELECT revision FROM pfm_upgrade('head');
SELECT * FROM pfm_migrate.version;
SELECT revision, down_revision, is_head, is_current FROM pfm_history();

-- a dependency on another branch is pulled in by upgrade and reverted by downgrade
SELECT pfm_register('other1', NULL, 'CREATE TABLE other_t (id int);', 'DROP TABLE other_t;', 'other root',
                    branch_labels => ARRAY['other']);
SELECT pfm_register('other2', 'other1', 'CREATE TABLE other2_t (id int);', 'DROP TABLE other2_t;', 'needs feat_b',
                    depends_on => ARRAY['feat_b']);
SELECT revision FROM pfm_upgrade('heads');
SELECT pfm_current();
SELECT revision FROM pfm_downgrade('root1');
SELECT pfm_current();
SELECT revision FROM pfm_downgrade('base');

DROP EXTENSION pfm_migrate;
