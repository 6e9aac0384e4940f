-- Privileges (SPEC section 11): the README's deploy role and monitoring role, and a role with
-- only what PUBLIC has, tried against every routine and every catalog relation of the
-- extension (enumerated from pg_depend: a routine or table added later without a row here
-- fails the coverage tests). Each call runs as the role in a subtransaction that is rolled
-- back, so every call sees the same state: 0001-0003 registered, 0001 applied, a second head b1 on 0002.
\ir setup.inc

-- The README's roles (Security section), created in this transaction and rolled back with it.
CREATE ROLE pfm_t_deployer;
GRANT CREATE ON SCHEMA public TO pfm_t_deployer;  -- what the migrations need (README: the app's schema)
GRANT USAGE ON SCHEMA pfm_migrate TO pfm_t_deployer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pfm_migrate TO pfm_t_deployer;
GRANT SELECT, USAGE ON ALL SEQUENCES IN SCHEMA pfm_migrate TO pfm_t_deployer;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA pfm_migrate TO pfm_t_deployer;
GRANT EXECUTE ON FUNCTION pfm_trace(text) TO pfm_t_deployer;  -- the README's line for deploy.sh plan --trace
CREATE ROLE pfm_t_monitor;
GRANT USAGE ON SCHEMA pfm_migrate TO pfm_t_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA pfm_migrate TO pfm_t_monitor;
CREATE ROLE pfm_t_nobody;  -- PUBLIC's privileges only

SELECT pg_temp.register_chain();
SELECT pfm_register('b1', '0002', 'CREATE TABLE b1_t (id int)', 'DROP TABLE b1_t', 'second branch');
SELECT count(*) FROM pfm_upgrade('0001');
ALTER TABLE users OWNER TO pfm_t_deployer;  -- the deploy role owns the application's objects

-- 'ok', or the SQLSTATE of the error, of running q as role r; what q did is rolled back.
CREATE FUNCTION pg_temp.outcome(r name, q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r);
		EXECUTE q;
		RAISE EXCEPTION 'done' USING ERRCODE = 'ZZ000';
	EXCEPTION WHEN OTHERS THEN
		RETURN CASE WHEN SQLSTATE = 'ZZ000' THEN 'ok' ELSE SQLSTATE END;
	END;
END
$$;

-- What the README says each role can do. deployer: everything the catalog grants give
-- (moving, authoring, the scripts' internal routines); monitor: the looking functions;
-- nobody: nothing that reads the catalog (42501, permission denied for schema pfm_migrate).
-- The procedures commit, so in this transaction block their EXECUTE privilege is what is
-- tested (25001: it got past the privilege check); test/privileges/run.sh CALLs them for real.
CREATE TEMP TABLE expect (routine text, call text, deployer text, monitor text, nobody text);
INSERT INTO expect VALUES
 ('pfm_register(text,text,text,text,text,text[],text[],boolean)',
  $$SELECT pfm_register('p1', '0003', 'SELECT 1', 'SELECT 1', 'priv')$$,              'ok', '42501', '42501'),
 ('pfm_revision(text,text,text,text,boolean,text,text[],text)',
  $$SELECT pfm_revision('priv', 'SELECT 1', NULL, head => '0003')$$,                 'ok', '42501', '42501'),
 ('pfm_merge(text,text)',        $$SELECT pfm_merge('heads', 'm')$$,                  'ok', '42501', '42501'),
 ('pfm_unregister(text)',        $$SELECT pfm_unregister('b1')$$,                     'ok', '42501', '42501'),
 ('pfm_load(text[],text[])',
  $$SELECT * FROM pfm_load(ARRAY['x.sql'], ARRAY[E'-- pfm:revision x1\n-- pfm:parents base\n-- pfm:upgrade\nSELECT 1\n-- pfm:downgrade\nSELECT 1\n'])$$,
                                                                                       'ok', '42501', '42501'),
 ('pfm_preview(text[],text[])',
  $$SELECT * FROM pfm_preview(ARRAY['x.sql'], ARRAY[E'-- pfm:revision x1\n-- pfm:parents base\n-- pfm:upgrade\nSELECT 1\n-- pfm:downgrade\nSELECT 1\n'])$$,
                                                                                       'ok', 'ok', '42501'),
 ('pfm_migration_file(text,text)',
  $$SELECT pfm_migration_file('x.sql', E'-- pfm:revision x1\n-- pfm:parents base\n-- pfm:upgrade\nSELECT 1\n-- pfm:downgrade\nSELECT 1\n')$$,
                                                                                       'ok', 'ok', 'ok'),
 ('pfm_upgrade(text,boolean)',   $$SELECT * FROM pfm_upgrade('0003')$$,               'ok', '42501', '42501'),
 ('pfm_upgrade(text,boolean)',   $$SELECT * FROM pfm_upgrade('0003', dry_run => true)$$, 'ok', 'ok', '42501'),
 ('pfm_upgrade(integer,boolean)', $$SELECT * FROM pfm_upgrade(1)$$,                   'ok', '42501', '42501'),
 ('pfm_downgrade(text,boolean)', $$SELECT * FROM pfm_downgrade('base')$$,             'ok', '42501', '42501'),
 ('pfm_downgrade(integer,boolean)', $$SELECT * FROM pfm_downgrade(-1)$$,              'ok', '42501', '42501'),
 ('pfm_stamp(text,boolean)',     $$SELECT pfm_stamp('0002')$$,                        'ok', '42501', '42501'),
 ('pfm_stamp(text,boolean)',     $$SELECT pfm_stamp('0002', purge => true)$$,         'ok', '42501', '42501'),
 ('pfm_deploy(text)',            $$CALL pfm_deploy('0003')$$,                         '25001', '25001', '25001'),
 ('pfm_revert(text)',            $$CALL pfm_revert('base')$$,                         '25001', '25001', '25001'),
 ('pfm_current()',               $$SELECT pfm_current()$$,                            'ok', 'ok', '42501'),
 ('pfm_heads()',                 $$SELECT * FROM pfm_heads()$$,                       'ok', 'ok', '42501'),
 ('pfm_heads(boolean)',          $$SELECT * FROM pfm_heads(true)$$,                   'ok', 'ok', '42501'),
 ('pfm_history()',               $$SELECT * FROM pfm_history()$$,                     'ok', 'ok', '42501'),
 ('pfm_history(text)',           $$SELECT * FROM pfm_history('base:heads')$$,         'ok', 'ok', '42501'),
 ('pfm_show(text)',              $$SELECT * FROM pfm_show('heads')$$,                 'ok', 'ok', '42501'),
 ('pfm_branches()',              $$SELECT * FROM pfm_branches()$$,                    'ok', 'ok', '42501'),
 ('pfm_graph()',                 $$SELECT pfm_graph()$$,                              'ok', 'ok', '42501'),
 ('pfm_status()',                $$SELECT * FROM pfm_status()$$,                      'ok', 'ok', '42501'),
 ('pfm_check()',                 $$SELECT * FROM pfm_check()$$,                       'ok', 'ok', '42501'),
 ('pfm_upgrade_sql(text)',       $$SELECT pfm_upgrade_sql('0003')$$,                  'ok', 'ok', '42501'),
 ('pfm_downgrade_sql(text)',     $$SELECT pfm_downgrade_sql('base')$$,                'ok', 'ok', '42501'),
 ('pfm_lint(text)',              $$SELECT * FROM pfm_lint('0003')$$,                  'ok', 'ok', '42501'),
 -- pfm_trace runs bodies (rolled back): revoked from PUBLIC, granted to the deploy role only.
 ('pfm_trace(text)',             $$SELECT * FROM pfm_trace('0003')$$,                 'ok', '42501', '42501'),
 -- internal routines in the schema pfm_migrate: the deploy role's GRANT EXECUTE ON ALL
 -- ROUTINES covers them; nobody else may run them (written_by_current_transaction is
 -- harmless and PUBLIC may, given USAGE on the schema).
 ('pfm_migrate.body_checksum(text,text)', $$SELECT pfm_migrate.body_checksum('a', 'b')$$, 'ok', '42501', '42501'),
 ('pfm_migrate.revision_checksum(text,text,boolean)',
  $$SELECT pfm_migrate.revision_checksum('a', 'b', false)$$,                           'ok', '42501', '42501'),
 ('pfm_migrate.written_by_current_transaction(xid)',
  $$SELECT pfm_migrate.written_by_current_transaction('1'::xid)$$,                     'ok', 'ok', '42501'),
 ('pfm_migrate.offline_begin(text)', $$SELECT pfm_migrate.offline_begin('0001')$$,     'ok', '42501', '42501'),
 ('pfm_migrate.record_step(text,text,double precision)',
  $$SELECT pfm_migrate.offline_begin('0001'); SELECT pfm_migrate.record_step('0002', 'upgrade')$$,
                                                                                       'ok', '42501', '42501'),
 -- the file-set digest of scripts/deploy.sh (issue 15): the deploy role only; a role without
 -- them takes the full load, with the same outcome.
 ('pfm_migrate.hold_file_set()', $$SELECT pfm_migrate.hold_file_set()$$,               'ok', '42501', '42501'),
 ('pfm_migrate.remember_file_set(text,integer)',
  $$SELECT pfm_migrate.remember_file_set('d', 3)$$,                                    'ok', '42501', '42501'),
 ('pfm_migrate.file_set_loaded(text)', $$SELECT pfm_migrate.file_set_loaded('d')$$,   'ok', '42501', '42501'),
 ('pfm_migrate.noop_current(text,text,boolean)',
  $$SELECT pfm_migrate.noop_current('d', 'head', true)$$,                              'ok', '42501', '42501'),
 ('pfm_migrate.release_migration_lock()', $$SELECT pfm_migrate.release_migration_lock()$$, 'ok', '42501', '42501'),
 ('pfm_migrate.wait_for_migration_lock()', $$CALL pfm_migrate.wait_for_migration_lock()$$, '25001', '42501', '42501');

-- Every routine of the extension, as regprocedure text without the schema of the
-- extension's functions (public here); trigger functions are not callable and not listed.
CREATE TEMP TABLE routines AS
SELECT pg_catalog.regexp_replace(p.oid::regprocedure::text, '^public\.', '') AS routine
  FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
 WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pfm_migrate')
   AND p.prorettype <> 'trigger'::regtype;

-- Every catalog relation: what each role may do to it. Tables: the deploy role reads and
-- writes (the audit log's append-only trigger refuses UPDATE and DELETE of its rows; with
-- WHERE false no row is touched, so the privilege is what shows), the monitoring role reads;
-- TRUNCATE nobody. Sequences: the deploy role reads and uses; nobody else.
CREATE TEMP TABLE relations AS
SELECT c.oid::regclass::text AS rel, c.relkind,
       (SELECT pg_catalog.quote_ident(a.attname) FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
         ORDER BY a.attnum LIMIT 1) AS col
  FROM pg_class c
 WHERE c.relnamespace = 'pfm_migrate'::regnamespace AND c.relkind IN ('r', 'p', 'S', 'v', 'm');
CREATE TEMP TABLE rel_expect (relkind "char", verb text, deployer text, monitor text, nobody text);
INSERT INTO rel_expect VALUES
 ('r', 'SELECT',   'ok', 'ok', '42501'),
 ('r', 'INSERT',   'ok', '42501', '42501'),
 ('r', 'UPDATE',   'ok', '42501', '42501'),
 ('r', 'DELETE',   'ok', '42501', '42501'),
 ('r', 'TRUNCATE', '42501', '42501', '42501'),
 ('S', 'SELECT',   'ok', '42501', '42501'),
 ('S', 'USAGE',    'ok', '42501', '42501');
CREATE TEMP TABLE rel_calls AS
SELECT r.rel, e.verb, e.deployer, e.monitor, e.nobody,
       CASE e.verb
         WHEN 'SELECT' THEN 'SELECT 1 FROM ' || r.rel || ' LIMIT 1'
         WHEN 'INSERT' THEN 'INSERT INTO ' || r.rel || ' (' || r.col || ') SELECT ' || r.col || ' FROM ' || r.rel || ' WHERE false'
         WHEN 'UPDATE' THEN 'UPDATE ' || r.rel || ' SET ' || r.col || ' = ' || r.col || ' WHERE false'
         WHEN 'DELETE' THEN 'DELETE FROM ' || r.rel || ' WHERE false'
         WHEN 'TRUNCATE' THEN 'TRUNCATE ' || r.rel
         WHEN 'USAGE' THEN 'SELECT pg_catalog.nextval(' || pg_catalog.quote_literal(r.rel) || ')'
       END AS call
  FROM relations r JOIN rel_expect e ON e.relkind = r.relkind;

-- A role without write access to the catalog cannot change what the next deploy runs.
CREATE TEMP TABLE tamper (what text, call text);
INSERT INTO tamper VALUES
 ('UPDATE a body',        $$UPDATE pfm_migrate.revisions SET upgrade = 'DROP TABLE users' WHERE revision = '0002'$$),
 ('INSERT a revision',    $$INSERT INTO pfm_migrate.revisions (revision, down_revisions, upgrade) VALUES ('evil', '{0003}', 'DROP TABLE users')$$),
 ('DELETE applied rows',  $$DELETE FROM pfm_migrate.applied$$),
 ('register a revision',  $$SELECT pfm_register('evil', '0003', 'DROP TABLE users')$$),
 ('replace a revision',   $$SELECT pfm_register('0002', '0001', 'DROP TABLE users', NULL, 'Add MFA sessions')$$),
 ('load files',           $$SELECT * FROM pfm_load(ARRAY['e.sql'], ARRAY[E'-- pfm:revision evil\n-- pfm:parents 0003\n-- pfm:upgrade\nDROP TABLE users\n-- pfm:downgrade irreversible\n'])$$),
 ('create a table in pfm_migrate',    $$CREATE TABLE pfm_migrate.revisions_evil (revision text)$$),
 ('create a function in pfm_migrate', $$CREATE FUNCTION pfm_migrate.body_checksum(text) RETURNS text LANGUAGE sql AS 'SELECT $1'$$),
 ('create a view in pfm_migrate',     $$CREATE VIEW pfm_migrate.v AS SELECT 1$$),
 ('shadow pfm_upgrade in public',     $$CREATE FUNCTION public.pfm_upgrade(text) RETURNS int LANGUAGE sql AS 'SELECT 1'$$),
 ('add a trigger to the catalog',     $$CREATE TRIGGER t BEFORE INSERT ON pfm_migrate.applied FOR EACH ROW EXECUTE FUNCTION pfm_migrate.bump_generation()$$),
 ('alter a catalog table',            $$ALTER TABLE pfm_migrate.revisions ALTER COLUMN upgrade SET DEFAULT 'DROP TABLE users'$$),
 ('take the migration lock and stamp', $$SELECT pfm_stamp('0003')$$);

SELECT plan((SELECT 4 + 3 * ((SELECT count(*) FROM expect) + (SELECT count(*) FROM rel_calls)) + 2 * (SELECT count(*) FROM tamper) + 7)::int);

SELECT set_eq('SELECT routine FROM routines', 'SELECT DISTINCT routine FROM expect',
              'the expectations name exactly the routines of the extension');
SELECT is_empty($$SELECT rel FROM relations WHERE relkind NOT IN (SELECT relkind FROM rel_expect)$$,
                'every catalog relation is of a kind with expectations');
SELECT ok((SELECT count(*) FROM relations WHERE relkind = 'r') >= 6, 'the catalog tables are enumerated');
SELECT ok((SELECT count(*) FROM relations WHERE relkind = 'S') >= 1, 'the catalog sequences are enumerated');

SELECT is(pg_temp.outcome(r.role, e.call), r.want, r.role || ': ' || e.call)
  FROM expect e, LATERAL (VALUES ('pfm_t_deployer', e.deployer), ('pfm_t_monitor', e.monitor),
                                 ('pfm_t_nobody', e.nobody)) AS r(role, want);
SELECT is(pg_temp.outcome(r.role, c.call), r.want, r.role || ': ' || c.call)
  FROM rel_calls c, LATERAL (VALUES ('pfm_t_deployer', c.deployer), ('pfm_t_monitor', c.monitor),
                                    ('pfm_t_nobody', c.nobody)) AS r(role, want);

-- The monitoring role and PUBLIC: refused, every one (the deploy role would be allowed most).
SELECT is(pg_temp.outcome('pfm_t_monitor', t.call), '42501', 'monitor cannot ' || t.what) FROM tamper t;
SELECT is(pg_temp.outcome('pfm_t_nobody', t.call), '42501', 'PUBLIC cannot ' || t.what) FROM tamper t;

-- A temp table named like a catalog table, made by the monitoring role in this session,
-- with pg_temp before pfm_migrate on the search path: the next deploy still runs the catalog's bodies.
SET LOCAL ROLE pfm_t_monitor;
CREATE TEMP TABLE revisions (revision text, down_revisions text[], upgrade text, downgrade text, checksum text);
INSERT INTO revisions VALUES ('0002', '{0001}', 'DROP TABLE users', NULL, 'x');
CREATE TEMP TABLE applied (revision text, checksum text);
CREATE TEMP TABLE version (version_num text);
INSERT INTO version VALUES ('0003');
RESET ROLE;
SET LOCAL search_path = public, pg_temp, pfm_migrate;
SET LOCAL ROLE pfm_t_deployer;
SELECT results_eq($$SELECT revision FROM public.pfm_upgrade('0003')$$, $$VALUES ('0002'), ('0003')$$,
                  'with temp tables revisions/applied/version on the search path, the deploy runs the catalog''s plan');
RESET ROLE;
SET LOCAL search_path = public;
SELECT ok(to_regclass('public.users') IS NOT NULL AND to_regclass('public.user_preferences') IS NOT NULL,
          'and its bodies: users is still there, user_preferences was created');
SELECT results_eq('SELECT version_num FROM pfm_migrate.version', $$VALUES ('0003')$$,
                  'the catalog''s version rows, not the temp table''s');
SELECT is_empty($$SELECT * FROM pfm_check() WHERE severity = 'error'$$, 'pfm_check finds nothing wrong');

-- pfm_status() as each reading role: the same answer whatever it may do to the record
-- (pfm_migrate.status_verdict: the monitoring role reads it, only the deploy role may write
-- it); this transaction changed the catalog, so nobody records anything in it
-- (sql/14_status_verdict.sql tests the record across committed changes).
CREATE FUNCTION pg_temp.status_as(r name) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	answer text;
BEGIN
	EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r);
	SELECT s::text INTO answer FROM pfm_status() s;
	RESET ROLE;
	RETURN answer;
END
$$;
SELECT is(pg_temp.status_as('pfm_t_monitor'), (SELECT s::text FROM pfm_status() s),
          'monitor: pfm_status() gives the full computation''s answer');
SELECT is(pg_temp.status_as('pfm_t_deployer'), (SELECT s::text FROM pfm_status() s),
          'deployer: pfm_status() gives the full computation''s answer');
SELECT is((SELECT catalog_key FROM pfm_migrate.status_verdict), NULL,
          'nothing is recorded from inside a transaction that changed the catalog');

SELECT * FROM finish();
ROLLBACK;
