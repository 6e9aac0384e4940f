-- The offline script: what Alembic's --sql prints, plus the bookkeeping.
CREATE EXTENSION pfm_migrate;
SELECT pfm_register('o1', NULL, 'CREATE TABLE o1_t (id int);', 'DROP TABLE o1_t;', 'one');
SELECT pfm_register('o2', 'o1', 'CREATE TABLE o2_t (id int);', 'DROP TABLE o2_t;', 'two');
\a
\t on
SELECT pfm_upgrade_sql('head');
\a
\t off
SELECT revision FROM pfm_upgrade('o1');
\a
\t on
SELECT pfm_downgrade_sql('base');
\a
\t off
DROP TABLE o1_t;
DROP EXTENSION pfm_migrate;
