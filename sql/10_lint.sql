-- Lint: every rule once bad and once good, judged with the server's parser and the live
-- catalog -- including what text linters get wrong (stable defaults, binary-coercible type
-- changes, tables created by the same plan, a validated CHECK before SET NOT NULL).
CREATE EXTENSION pfm_migrate;
CREATE TABLE items (id int PRIMARY KEY, name varchar(10), price numeric(8,2), note text, qty int,
	CONSTRAINT note_present CHECK (note IS NOT NULL));
INSERT INTO items SELECT g, 'n', 1, 'x', g FROM generate_series(1, 200) g;
CREATE INDEX items_qty ON items (qty);
CREATE UNIQUE INDEX items_name_u ON items (name, id);
CREATE TABLE never_analyzed (id int);
CREATE TABLE empty_t (id int);
ANALYZE items;
ANALYZE empty_t;
CREATE FUNCTION my_stable() RETURNS int LANGUAGE sql STABLE AS 'SELECT 1';
CREATE FUNCTION my_volatile() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 1';
-- A session lock timeout, so that only the no-lock-timeout section reports that rule.
SET lock_timeout = '5s';

-- lint(body): the findings of one pending revision l1 (with a downgrade, unless told).
CREATE FUNCTION lint(body text, transactional boolean DEFAULT true, downgrade text DEFAULT 'SELECT 1')
RETURNS TABLE(statement int, line int, rule text, severity text, message text)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pfm_register('l1', NULL, body, downgrade, 'lint', NULL, NULL, transactional);
	RETURN QUERY SELECT l.statement, l.line, l.rule, l.severity, l.message FROM pfm_lint() l;
	PERFORM pfm_unregister('l1');
END $$;

-- index-not-concurrent
SELECT * FROM lint('CREATE INDEX ON items (price)');
SELECT * FROM lint('DROP INDEX items_qty');
SELECT * FROM lint($$CREATE TABLE fresh (id int);
CREATE INDEX ON fresh (id)$$);                    -- the plan creates the table: nothing to say
SELECT * FROM lint('CREATE INDEX CONCURRENTLY ON items (price)', false);
SELECT * FROM lint('DROP INDEX CONCURRENTLY items_qty', false);

-- concurrently-in-transaction
SELECT * FROM lint('CREATE INDEX CONCURRENTLY ON items (price)');
SELECT * FROM lint('DROP INDEX CONCURRENTLY items_qty');

-- add-column-volatile-default
SELECT * FROM lint('ALTER TABLE items ADD COLUMN r float8 DEFAULT random()');
SELECT * FROM lint('ALTER TABLE items ADD COLUMN u uuid DEFAULT gen_random_uuid()');
SELECT * FROM lint('ALTER TABLE items ADD COLUMN t timestamptz DEFAULT clock_timestamp()');
SELECT * FROM lint('ALTER TABLE items ADD COLUMN v int DEFAULT my_volatile()');
SELECT * FROM lint('ALTER TABLE items ADD COLUMN s bigserial');
SELECT * FROM lint('ALTER TABLE items ADD COLUMN g int GENERATED ALWAYS AS IDENTITY');
SELECT * FROM lint('ALTER TABLE items ADD COLUMN w int DEFAULT no_such_function()');
-- stable and immutable defaults become the "missing" value: no rewrite since PostgreSQL 11
SELECT * FROM lint($$ALTER TABLE items ADD COLUMN created timestamptz DEFAULT now();
ALTER TABLE items ADD COLUMN changed timestamptz DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE items ADD COLUMN active boolean DEFAULT true;
ALTER TABLE items ADD COLUMN n int NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN m int DEFAULT my_stable();
ALTER TABLE items ADD COLUMN label text DEFAULT 'x' || 'y';
ALTER TABLE items ADD COLUMN plain int$$);

-- column-type-rewrite
SELECT * FROM lint('ALTER TABLE items ALTER COLUMN qty TYPE bigint');
SELECT * FROM lint('ALTER TABLE items ALTER COLUMN name TYPE varchar(5)');
SELECT * FROM lint('ALTER TABLE items ALTER COLUMN price TYPE numeric(10,3)');
SELECT * FROM lint('ALTER TABLE items ALTER COLUMN qty TYPE text USING qty::text');
SELECT * FROM lint('ALTER TABLE items ALTER COLUMN note TYPE int');
-- the server's own rules: binary-coercible, varchar and numeric precision widening
SELECT * FROM lint($$ALTER TABLE items ALTER COLUMN name TYPE varchar(20);
ALTER TABLE items ALTER COLUMN price TYPE numeric(12,2);
ALTER TABLE items ALTER COLUMN note TYPE varchar;
ALTER TABLE items ALTER COLUMN name TYPE text;
ALTER TABLE items ALTER COLUMN qty TYPE int4 USING qty$$);

-- set-not-null-scan
SELECT * FROM lint('ALTER TABLE items ALTER COLUMN qty SET NOT NULL');
-- a validated CHECK in the catalog, or added and validated earlier in the plan
SELECT * FROM lint('ALTER TABLE items ALTER COLUMN note SET NOT NULL');
SELECT * FROM lint($$ALTER TABLE items ADD CONSTRAINT qty_nn CHECK (qty IS NOT NULL) NOT VALID;
ALTER TABLE items VALIDATE CONSTRAINT qty_nn;
ALTER TABLE items ALTER COLUMN qty SET NOT NULL$$);
-- NOT VALID alone proves nothing
SELECT * FROM lint($$ALTER TABLE items ADD CONSTRAINT qty_nn CHECK (qty IS NOT NULL) NOT VALID;
ALTER TABLE items ALTER COLUMN qty SET NOT NULL$$);

-- constraint-not-valid
SELECT * FROM lint('ALTER TABLE items ADD CONSTRAINT qty_positive CHECK (qty > 0)');
SELECT * FROM lint('ALTER TABLE never_analyzed ADD FOREIGN KEY (id) REFERENCES items (id)');
SELECT * FROM lint($$ALTER TABLE items ADD CONSTRAINT qty_positive CHECK (qty > 0) NOT VALID;
ALTER TABLE never_analyzed ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES items (id) NOT VALID;
ALTER TABLE items VALIDATE CONSTRAINT qty_positive;
ALTER TABLE never_analyzed VALIDATE CONSTRAINT fk$$);

-- unique-needs-index
SELECT * FROM lint('ALTER TABLE items ADD CONSTRAINT qty_u UNIQUE (qty)');
SELECT * FROM lint('ALTER TABLE never_analyzed ADD PRIMARY KEY (id)');
SELECT * FROM lint('ALTER TABLE items ADD COLUMN code text UNIQUE');
SELECT * FROM lint('ALTER TABLE items ADD CONSTRAINT name_u UNIQUE USING INDEX items_name_u');

-- drop-or-rename
SELECT * FROM lint('DROP TABLE never_analyzed');
SELECT * FROM lint('ALTER TABLE items DROP COLUMN note');
SELECT * FROM lint('ALTER TABLE items RENAME COLUMN note TO remark');
SELECT * FROM lint('ALTER TABLE items RENAME TO goods');
SELECT * FROM lint($$CREATE TABLE scratch (id int);
ALTER TABLE scratch RENAME COLUMN id TO key;
DROP TABLE scratch$$);

-- rewrite-command
SELECT * FROM lint('VACUUM FULL items', false);
SELECT * FROM lint('CLUSTER items USING items_pkey');
SELECT * FROM lint('REINDEX TABLE items');
SELECT * FROM lint('ALTER TABLE items SET UNLOGGED');
SELECT * FROM lint('VACUUM (ANALYZE) items', false);
SELECT * FROM lint('REINDEX TABLE CONCURRENTLY items', false);

-- unbatched-dml: a table with rows, or whose size nobody knows (never analyzed)
SELECT * FROM lint('UPDATE items SET qty = 0');
SELECT * FROM lint('DELETE FROM never_analyzed');
SELECT * FROM lint($$UPDATE items SET qty = 0 WHERE id BETWEEN 1 AND 100;
DELETE FROM empty_t$$);

-- no-lock-timeout: neither lock_timeout nor pfm_migrate.lock_wait in the session
RESET lock_timeout;
SELECT * FROM lint($$ALTER TABLE items ADD COLUMN c1 int;
ALTER TABLE items ADD COLUMN c2 int;
TRUNCATE empty_t$$);
SELECT * FROM lint($$SET LOCAL lock_timeout = '2s';
ALTER TABLE items ADD COLUMN c1 int$$);
-- a timeout switched off again counts as none
SELECT * FROM lint($$SET lock_timeout = 0;
ALTER TABLE items ADD COLUMN c1 int$$);
-- pfm_migrate.lock_wait in the session bounds them too (the engine sets lock_timeout)
SET pfm_migrate.lock_wait = '2s';
SELECT * FROM lint('ALTER TABLE items ADD COLUMN c1 int');
RESET pfm_migrate.lock_wait;
-- taking no ACCESS EXCLUSIVE lock, or on a new table: nothing to say
SELECT * FROM lint($$CREATE TABLE fresh (id int);
ALTER TABLE fresh ADD COLUMN c int;
ALTER TABLE items VALIDATE CONSTRAINT note_present$$);
SET lock_timeout = '5s';

-- schema-qualified names (a name the plan created in some schema counts as created when written unqualified)
CREATE SCHEMA app;
CREATE TABLE app.accounts (id int);
SELECT * FROM lint($$ALTER TABLE app.accounts ALTER COLUMN id TYPE bigint;
CREATE TABLE app.fresh (id int);
CREATE INDEX ON app.fresh (id);
CREATE INDEX ON fresh (id)$$);
DROP SCHEMA app CASCADE;

-- irreversible
SELECT * FROM lint('CREATE TABLE fresh (id int)', true, NULL);

-- -- pfm:allow: at the top of the body for the whole revision, on or just before a statement for it
SELECT * FROM lint($$-- pfm:allow unbatched-dml, irreversible
UPDATE items SET qty = 0;
DELETE FROM items$$, true, NULL);
SELECT * FROM lint($$CREATE TABLE fresh (id int);
-- items is small: pfm:allow must start the comment to count
-- pfm:allow index-not-concurrent
CREATE INDEX ON items (price);
CREATE INDEX ON items (note);
ALTER TABLE items ALTER COLUMN qty TYPE bigint; -- pfm:allow column-type-rewrite: items has 200 rows
UPDATE items SET note = '-- pfm:allow unbatched-dml';
-- pfm:allow no-such-rule$$);

-- statement and line in a multi-statement body with comments, blank lines and a literal
-- spanning lines
SELECT * FROM lint($$/* a header
   comment */
CREATE TABLE fresh (id int);   INSERT INTO fresh VALUES (1);


UPDATE items SET note = 'two
lines';
  -- a comment before the statement
  DELETE FROM items;
$$);

-- the plan, not one revision: r2 uses the table r1 creates; findings in plan order
SELECT pfm_register('r1', NULL, 'CREATE TABLE orders (id int, total int)', 'DROP TABLE orders', 'orders');
SELECT pfm_register('r2', 'r1', $$CREATE INDEX ON orders (total);
ALTER TABLE orders ALTER COLUMN total TYPE bigint;
UPDATE items SET qty = 1$$, NULL, 'index');
SELECT revision, statement, line, rule, severity FROM pfm_lint();
SELECT revision, rule FROM pfm_lint('r1');
-- after r1 is applied, orders exists before the plan: the same statements now are findings
SELECT revision FROM pfm_upgrade('r1');
SELECT revision, statement, rule, severity FROM pfm_lint('heads');
SELECT revision, statement, rule FROM pfm_lint('r1');
-- every finding has a hint
SELECT count(*) AS findings, count(hint) AS hints FROM pfm_lint();

-- bad input
SELECT * FROM pfm_lint(NULL);
SELECT * FROM pfm_lint('nope');
-- the monitoring role may lint; it may not trace
CREATE ROLE lint_monitor;
GRANT USAGE ON SCHEMA pfm_migrate TO lint_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA pfm_migrate TO lint_monitor;
SET ROLE lint_monitor;
SELECT revision, rule FROM pfm_lint() ORDER BY 1, 2;
SELECT * FROM pfm_trace();
RESET ROLE;
DROP OWNED BY lint_monitor;
DROP ROLE lint_monitor;

DROP EXTENSION pfm_migrate;
DROP TABLE orders, items, never_analyzed, empty_t;
DROP FUNCTION lint(text, boolean, text), my_stable(), my_volatile();
