-- Settings: pfm_migrate.log_statements, pfm_migrate.lock_timeout; the prefix is reserved.
CREATE EXTENSION pfm_migrate;
SHOW pfm_migrate.lock_timeout;
SHOW pfm_migrate.log_statements;
SET pfm_migrate.lock_timeout = '2s';
SHOW pfm_migrate.lock_timeout;
SET pfm_migrate.lock_timeout = -1;
-- (not "verbose": that is a keyword, so SET pfm_migrate.verbose would be a syntax error, proving nothing)
SET pfm_migrate.no_such_setting = on;

SELECT pfm_register('s1', NULL, $$CREATE TABLE s1_t (id int);
INSERT INTO s1_t VALUES (1);$$, 'DROP TABLE s1_t', 'two statements');
SET pfm_migrate.log_statements = on;
SELECT revision FROM pfm_upgrade('head');
SELECT revision FROM pfm_downgrade('base');
RESET pfm_migrate.log_statements;

-- bodies may not write the catalog
SELECT pfm_register('s1', NULL, 'DELETE FROM pfm_migrate.applied', 'SELECT 1', 'sneaky');
SELECT * FROM pfm_upgrade('head');
SELECT pfm_register('s1', NULL, 'TRUNCATE pfm_migrate.audit', 'SELECT 1', 'sneaky');
SELECT * FROM pfm_upgrade('head');
DROP EXTENSION pfm_migrate;
