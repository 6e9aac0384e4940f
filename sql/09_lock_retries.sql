-- Bounded lock waits (pfm_migrate.lock_wait, lock_retries, lock_retry_delay): the settings,
-- which statements get the bound, a body's own lock_timeout, attempts in the audit, and the
-- offline script. (Retries under real contention: specs/lock_retries.spec.)
CREATE EXTENSION pfm_migrate;
SHOW pfm_migrate.lock_wait;
SHOW pfm_migrate.lock_retries;
SHOW pfm_migrate.lock_retry_delay;
SET pfm_migrate.lock_wait = '2s';
SHOW pfm_migrate.lock_wait;
SET pfm_migrate.lock_wait = 150;  -- milliseconds
SHOW pfm_migrate.lock_wait;
SET pfm_migrate.lock_wait = -1;
SET pfm_migrate.lock_wait = 'soon';
SET pfm_migrate.lock_retries = -1;
SET pfm_migrate.lock_retries = 1001;
SET pfm_migrate.lock_retry_delay = '2h';
SET pfm_migrate.lock_retry_delay = '250ms';
SHOW pfm_migrate.lock_retry_delay;
RESET ALL;

-- An event trigger shows the lock_timeout each DDL statement of a body runs with.
CREATE FUNCTION show_lock_timeout() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE '% runs with lock_timeout %', tg_tag, current_setting('lock_timeout');
END $$;
CREATE EVENT TRIGGER show_lock_timeout ON ddl_command_start EXECUTE FUNCTION show_lock_timeout();
CREATE TABLE hot (id int PRIMARY KEY);

SELECT pfm_register('l1', NULL,
$$CREATE TABLE fresh (id int);
ALTER TABLE fresh ADD COLUMN note text;
ALTER TABLE hot ADD COLUMN note text;
ALTER TABLE hot ADD COLUMN more text;
CREATE INDEX hot_note ON hot (note);
COMMENT ON TABLE hot IS 'hot';
DO 'BEGIN RAISE NOTICE ''DO runs with lock_timeout %'', current_setting(''lock_timeout''); END';
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';
INSERT INTO hot SELECT coalesce(max(id), 0) + 1 FROM hot;$$,
$$DROP FUNCTION f(); DROP INDEX hot_note; ALTER TABLE hot DROP COLUMN note, DROP COLUMN more; DROP TABLE fresh;$$,
'bounded where it matters');

-- Off (the default): every statement runs as it always did.
SELECT revision FROM pfm_upgrade('l1');
SELECT revision FROM pfm_downgrade('base');

-- On: only statements that may queue traffic on an existing table are bounded -- not the
-- new table, not a table this transaction already locked (the second ALTER of hot), not
-- COMMENT, CREATE FUNCTION or INSERT; a DO block cannot be classified, so it is bounded.
SET pfm_migrate.lock_wait = '150ms';
SELECT revision FROM pfm_upgrade('l1');
-- The engine restores the caller's lock_timeout after each bounded statement.
SHOW lock_timeout;
SELECT revision FROM pfm_downgrade('base');

-- A body's own lock_timeout is respected, not overridden, for the rest of the body.
SELECT pfm_register('l2', NULL,
$$ALTER TABLE hot ADD COLUMN a int;
SET LOCAL lock_timeout = '7s';
ALTER TABLE hot ADD COLUMN b int;
DO 'BEGIN RAISE NOTICE ''DO runs with lock_timeout %'', current_setting(''lock_timeout''); END';$$,
'ALTER TABLE hot DROP COLUMN a, DROP COLUMN b', 'own lock_timeout');
BEGIN;
SELECT revision FROM pfm_upgrade('l2');
SHOW lock_timeout;
ROLLBACK;
-- ... and a plain SET in a body lasts, as a SET does (the engine does not undo it).
SELECT pfm_register('l3', NULL, $$SET lock_timeout = '3s'; ALTER TABLE hot ADD COLUMN c int;$$,
                    'ALTER TABLE hot DROP COLUMN c', 'plain SET');
SELECT revision FROM pfm_upgrade('l3');
SHOW lock_timeout;
RESET lock_timeout;
-- A session lock_timeout set before the call is replaced by lock_wait for bounded statements.
SET lock_timeout = '10s';
SELECT revision FROM pfm_downgrade('base');
SHOW lock_timeout;
RESET lock_timeout;

-- Attempts are in the audit (1 = no retry); pfm_deploy records them too.
CALL pfm_deploy('l1');
SELECT operation, revision, outcome, attempts FROM pfm_migrate.audit
 WHERE operation IN ('upgrade', 'downgrade') ORDER BY at, revision;
CALL pfm_revert('base');

-- The offline script bounds every lock wait the same way, with one try.
SELECT line FROM regexp_split_to_table(pfm_upgrade_sql('l1'), E'\n') AS line
 WHERE line ~ '^(-- .*(lock_wait|retries)|SET lock_timeout)';
RESET pfm_migrate.lock_wait;
SELECT count(*) FROM regexp_split_to_table(pfm_upgrade_sql('l1'), E'\n') AS line WHERE line ~ '^SET lock_timeout';

DROP EVENT TRIGGER show_lock_timeout;
DROP FUNCTION show_lock_timeout();
DROP TABLE hot;
DROP EXTENSION pfm_migrate;
