-- A linear chain: register, upgrade to head, look, downgrade one step, downgrade to base.
CREATE EXTENSION pfm_migrate;

SELECT pfm_register('0001', NULL,
  upgrade => $$CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE);
               INSERT INTO users (email) VALUES ('alice@example.com');$$,
  downgrade => $$DROP TABLE users;$$,
  message => 'Initial schema');
SELECT pfm_register('0002', '0001',
  upgrade => $$CREATE TABLE sessions (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id));$$,
  downgrade => $$DROP TABLE sessions;$$,
  message => 'Add sessions');
SELECT pfm_register('0003', '0002',
  upgrade => $$CREATE TABLE user_preferences (user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
                                              theme varchar(20) DEFAULT 'light');$$,
  downgrade => $$DROP TABLE IF EXISTS user_preferences;$$,
  message => 'Add user preferences table');
-- registering identical content again is a no-op
SELECT pfm_register('0001', NULL,
  upgrade => $$CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE);
               INSERT INTO users (email) VALUES ('alice@example.com');$$,
  downgrade => $$DROP TABLE users;$$,
  message => 'Initial schema');

SELECT pfm_current() IS NULL AS at_base;
SELECT * FROM pfm_upgrade('head', dry_run => true);
SELECT revision, direction, message, elapsed_ms >= 0 AS timed FROM pfm_upgrade('head');
SELECT pfm_current();
SELECT * FROM pfm_migrate.version;
SELECT email FROM users;
SELECT revision, down_revision, message, is_head, is_current, applied, applied_by = current_user AS by_me
  FROM pfm_history();
-- already at head: zero rows and a NOTICE
SELECT * FROM pfm_upgrade('head');

SELECT revision, direction FROM pfm_downgrade(-1);
SELECT pfm_current();
SELECT to_regclass('user_preferences') IS NULL AS preferences_gone;
SELECT revision, direction FROM pfm_upgrade(1);
SELECT revision, direction FROM pfm_downgrade('0001');
SELECT pfm_current();
SELECT revision, direction FROM pfm_upgrade('+1');
SELECT revision, direction FROM pfm_downgrade('base');
SELECT pfm_current() IS NULL AS at_base;
SELECT to_regclass('users') IS NULL AS users_gone;
SELECT * FROM pfm_downgrade('base');

-- the audit log kept every step
SELECT operation, revision, direction FROM pfm_migrate.audit ORDER BY id;

DROP EXTENSION pfm_migrate;
