-- Trace: the move runs for real in a subtransaction that is always rolled back; per
-- statement the relation locks it newly took, whether a relation was rewritten (its
-- relfilenode changed), the rows it processed. Nothing remains afterwards.
CREATE EXTENSION pfm_migrate;
CREATE TABLE retype (id int, v int);
CREATE TABLE indexed (id int, v int);
CREATE TABLE validated (id int, v int);
CREATE TABLE widened (id int, v int);
CREATE TABLE counted (id serial, v int);
INSERT INTO retype SELECT g, g FROM generate_series(1, 100) g;
INSERT INTO indexed SELECT g, g FROM generate_series(1, 100) g;
INSERT INTO validated SELECT g, g FROM generate_series(1, 100) g;
INSERT INTO widened SELECT g, g FROM generate_series(1, 100) g;
INSERT INTO counted (v) SELECT g FROM generate_series(1, 10) g;
ALTER TABLE validated ADD CONSTRAINT v_positive CHECK (v > 0) NOT VALID;

-- What must be identical before and after: schema, catalog rows, audit, state, sequences.
-- (A function, not a view: a view would pin the column types the trace changes.)
CREATE FUNCTION snapshot() RETURNS TABLE(kind text, item text) LANGUAGE sql AS $snapshot$
	SELECT 'class' AS kind, c.relname || ' ' || c.relkind::text || ' ' || c.relfilenode AS item
	FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
	UNION ALL
	SELECT 'column', a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
		|| ' ' || a.attnotnull || ' ' || a.atthasdef || ' ' || a.atthasmissing
	FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
	UNION ALL
	SELECT 'constraint', conname || ' ' || convalidated FROM pg_constraint WHERE connamespace = 'public'::regnamespace
	UNION ALL
	SELECT 'index', indexrelid::regclass::text FROM pg_index WHERE indrelid = ANY (ARRAY['retype', 'indexed', 'validated', 'widened', 'counted']::regclass[])
	UNION ALL
	SELECT 'rows', (SELECT count(*) FROM counted) || ' ' || (SELECT sum(v) FROM retype)
	UNION ALL
	SELECT 'audit', count(*)::text FROM pfm_migrate.audit
	UNION ALL
	SELECT 'applied', count(*)::text FROM pfm_migrate.applied
	UNION ALL
	SELECT 'version', coalesce(string_agg(version_num, ','), 'base') FROM pfm_migrate.version
	UNION ALL
	SELECT 'sequence', last_value || ' ' || is_called FROM counted_id_seq
$snapshot$;
SELECT pfm_register('t1', NULL, $$ALTER TABLE retype ALTER COLUMN v TYPE bigint;
CREATE INDEX indexed_v ON indexed (v);
ALTER TABLE validated VALIDATE CONSTRAINT v_positive;
ALTER TABLE widened ADD COLUMN zero int DEFAULT 0;
UPDATE retype SET v = v + 1 WHERE id <= 10;
INSERT INTO counted (v) SELECT g FROM generate_series(1, 5) g;
$$, 'SELECT 1', 'traced');
SELECT pfm_register('t2', 't1', 'CREATE INDEX CONCURRENTLY counted_v ON counted (v)', 'DROP INDEX counted_v',
	'non-transactional', transactional => false);
CREATE TEMP TABLE before AS SELECT * FROM snapshot();

-- lock modes pinned: ALTER COLUMN TYPE AccessExclusiveLock (and a rewrite), CREATE INDEX
-- ShareLock, VALIDATE CONSTRAINT ShareUpdateExclusiveLock, ADD COLUMN ... DEFAULT 0 no rewrite
SELECT revision, statement, line, relation, lock_mode, rewritten, rows, elapsed_ms >= 0 AS timed
FROM pfm_trace();

-- nothing remains: schema, catalog, audit, state and the sequence nextval advanced
(SELECT * FROM snapshot() EXCEPT SELECT * FROM before)
UNION ALL
(SELECT * FROM before EXCEPT SELECT * FROM snapshot());
SELECT pfm_current();

-- a statement that fails: the error as pfm_upgrade reports it, and nothing remains either
SELECT pfm_unregister('t2');
SELECT pfm_register('t1', NULL, $$INSERT INTO counted (v) VALUES (1);
CREATE INDEX indexed_v ON indexed (v);
SELECT 1 / 0;$$, 'SELECT 1', 'fails');
CREATE TEMP TABLE before_failure AS SELECT * FROM snapshot();
SELECT * FROM pfm_trace();
SELECT count(*) AS relations_locked FROM pg_locks
WHERE pid = pg_backend_pid() AND relation = ANY (ARRAY['counted', 'indexed']::regclass[]);
(SELECT * FROM snapshot() EXCEPT SELECT * FROM before_failure)
UNION ALL
(SELECT * FROM before_failure EXCEPT SELECT * FROM snapshot());

-- a DELETE's rows, and the locks a new table takes
SELECT pfm_register('t1', NULL, $$DELETE FROM retype WHERE id > 90;
CREATE TABLE created_here (id int PRIMARY KEY)$$, 'SELECT 1', 'rows');
SELECT revision, statement, relation, lock_mode, rewritten, rows FROM pfm_trace();

-- at the target already: no rows
SELECT revision FROM pfm_upgrade('head');
SELECT * FROM pfm_trace();
-- the snapshot sees a real upgrade
SELECT DISTINCT kind FROM ((SELECT * FROM snapshot() EXCEPT SELECT * FROM before)
	UNION ALL (SELECT * FROM before EXCEPT SELECT * FROM snapshot())) AS changed ORDER BY kind;
SELECT * FROM pfm_trace(NULL);
SELECT * FROM pfm_trace('nope');

DROP FUNCTION snapshot();
DROP EXTENSION pfm_migrate;
DROP TABLE retype, indexed, validated, widened, counted;
