-- Drift: bodies changed after they were applied are refused and reported.
CREATE EXTENSION pfm_migrate;
SELECT pfm_register('d1', NULL, 'CREATE TABLE d1_t (id int);', 'DROP TABLE d1_t;', 'one');
SELECT pfm_register('d2', 'd1', 'CREATE TABLE d2_t (id int);', 'DROP TABLE d2_t;', 'two');
SELECT revision FROM pfm_upgrade('d1');

-- re-registering an applied revision with another body: refused, naming both checksums
SELECT pfm_register('d1', NULL, 'CREATE TABLE d1_t (id bigint);', 'DROP TABLE d1_t;', 'one');
-- a new message for an applied revision is fine
SELECT pfm_register('d1', NULL, 'CREATE TABLE d1_t (id int);', 'DROP TABLE d1_t;', 'one, reworded');

-- a body edited behind the engine's back
UPDATE pfm_migrate.revisions SET upgrade = 'CREATE TABLE d1_t (id text);' WHERE revision = 'd1';
SELECT severity, revision, problem ~ 'changed since it was applied' AS drift FROM pfm_check();
SELECT current, pending, drifted, problems FROM pfm_status();
SELECT * FROM pfm_upgrade('head');
SELECT * FROM pfm_downgrade('base');

-- restoring the body resolves it
SELECT pfm_register('d1', NULL, 'CREATE TABLE d1_t (id int);', 'DROP TABLE d1_t;', 'one, reworded');
SELECT * FROM pfm_check();
SELECT revision FROM pfm_upgrade('head');
SELECT revision FROM pfm_downgrade('base');

DROP EXTENSION pfm_migrate;
