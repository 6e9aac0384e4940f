-- pfm_migrate 0.1.0: catalog and SQL API.
\echo Use "CREATE EXTENSION pfm_migrate" to load this file. \quit

CREATE SCHEMA pfm_migrate;
COMMENT ON SCHEMA pfm_migrate IS 'pfm_migrate catalog: registered revisions, applied state, audit log';
REVOKE ALL ON SCHEMA pfm_migrate FROM PUBLIC;

-- The checksum covers both bodies and is computed by the server on every write, so a
-- body edited behind the engine's back (a direct UPDATE) shows up as drift.
CREATE FUNCTION pfm_migrate.body_checksum(upgrade text, downgrade text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT pg_catalog.md5($1 OPERATOR(pg_catalog.||) pg_catalog.chr(31) OPERATOR(pg_catalog.||)
       COALESCE('D' OPERATOR(pg_catalog.||) $2, 'irreversible'))
$$;

CREATE TABLE pfm_migrate.revisions (
	revision       text PRIMARY KEY
	               CHECK (revision OPERATOR(pg_catalog.~) '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
	down_revisions text[] NOT NULL DEFAULT '{}',
	branch_labels  text[] NOT NULL DEFAULT '{}',
	depends_on     text[] NOT NULL DEFAULT '{}',
	message        text,
	upgrade        text NOT NULL DEFAULT '',
	downgrade      text,
	checksum       text GENERATED ALWAYS AS (pfm_migrate.body_checksum(upgrade, downgrade)) STORED,
	registered_by  name NOT NULL DEFAULT CURRENT_USER,
	registered_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
COMMENT ON TABLE pfm_migrate.revisions IS 'every registered revision with its upgrade and downgrade bodies (downgrade NULL = irreversible)';
SELECT pg_catalog.pg_extension_config_dump('pfm_migrate.revisions', '');

CREATE TABLE pfm_migrate.applied (
	revision     text PRIMARY KEY,
	checksum     text NOT NULL,
	applied_at   timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	applied_by   name NOT NULL DEFAULT CURRENT_USER,
	duration_ms  double precision,
	stamped      boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE pfm_migrate.applied IS 'every applied revision: when, by whom, the checksum as applied, how long it took, executed or only stamped';
SELECT pg_catalog.pg_extension_config_dump('pfm_migrate.applied', '');

-- What alembic_version holds: the heads of the applied set (through parents and
-- depends_on), rewritten by every call that changes the applied set; pfm_check()
-- reports it if anything else makes it disagree with pfm_migrate.applied.
CREATE TABLE pfm_migrate.version (
	version_num text PRIMARY KEY
);
COMMENT ON TABLE pfm_migrate.version IS 'one row per current head, like alembic_version';
SELECT pg_catalog.pg_extension_config_dump('pfm_migrate.version', '');

-- Bumped by every statement that changes revisions or applied: a backend keeps the
-- parsed revision graph between calls for as long as this row version is the same.
CREATE TABLE pfm_migrate.catalog_generation (
	generation bigint NOT NULL
);
INSERT INTO pfm_migrate.catalog_generation VALUES (0);
COMMENT ON TABLE pfm_migrate.catalog_generation IS 'changes whenever revisions or applied change (cache key)';

-- True when xid is the current transaction or one of its subtransactions. Harmless, and
-- every role that reads the catalog calls it, so it stays executable by PUBLIC.
CREATE FUNCTION pfm_migrate.written_by_current_transaction(xid) RETURNS boolean
AS 'MODULE_PATHNAME', 'pfm_written_by_current_transaction' LANGUAGE C STABLE STRICT;

-- Once per transaction is enough: a backend never trusts its cache while the row
-- version is its own transaction's (and one row version per statement would make a
-- long transaction's k-th bump walk k dead versions).
CREATE FUNCTION pfm_migrate.bump_generation() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
	UPDATE pfm_migrate.catalog_generation SET generation = generation OPERATOR(pg_catalog.+) 1
	 WHERE NOT pfm_migrate.written_by_current_transaction(xmin);
	RETURN NULL;
END
$$;
CREATE TRIGGER revisions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pfm_migrate.revisions
	FOR EACH STATEMENT EXECUTE FUNCTION pfm_migrate.bump_generation();
CREATE TRIGGER applied_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pfm_migrate.applied
	FOR EACH STATEMENT EXECUTE FUNCTION pfm_migrate.bump_generation();

CREATE SEQUENCE pfm_migrate.audit_id_seq;
SELECT pg_catalog.pg_extension_config_dump('pfm_migrate.audit_id_seq', '');
CREATE TABLE pfm_migrate.audit (
	id               bigint PRIMARY KEY DEFAULT pg_catalog.nextval('pfm_migrate.audit_id_seq'::pg_catalog.regclass),
	at               timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	operation        text NOT NULL CHECK (operation OPERATOR(pg_catalog.=) ANY
	                   (ARRAY['register', 'replace', 'unregister', 'upgrade', 'downgrade', 'stamp'])),
	revision         text,
	direction        text CHECK (direction OPERATOR(pg_catalog.=) ANY (ARRAY['upgrade', 'downgrade'])),
	duration_ms      double precision,
	checksum         text,
	"current_user"   name NOT NULL DEFAULT CURRENT_USER,
	"session_user"   name NOT NULL DEFAULT SESSION_USER,
	application_name text DEFAULT pg_catalog.current_setting('application_name', true),
	client_addr      inet DEFAULT pg_catalog.inet_client_addr(),
	backend_pid      integer NOT NULL DEFAULT pg_catalog.pg_backend_pid(),
	transaction_id   xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id()
);
ALTER SEQUENCE pfm_migrate.audit_id_seq OWNED BY pfm_migrate.audit.id;
COMMENT ON TABLE pfm_migrate.audit IS 'append-only log of every operation that changed migration state';
SELECT pg_catalog.pg_extension_config_dump('pfm_migrate.audit', '');

CREATE FUNCTION pfm_migrate.audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
	RAISE EXCEPTION 'pfm_migrate.audit is append-only'
		USING ERRCODE = 'insufficient_privilege',
		      DETAIL = format('%s on the audit log is not allowed.', TG_OP);
END
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON pfm_migrate.audit
	FOR EACH ROW EXECUTE FUNCTION pfm_migrate.audit_is_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON pfm_migrate.audit
	FOR EACH STATEMENT EXECUTE FUNCTION pfm_migrate.audit_is_append_only();

REVOKE ALL ON ALL TABLES IN SCHEMA pfm_migrate FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA pfm_migrate FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA pfm_migrate FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pfm_migrate.written_by_current_transaction(xid) TO PUBLIC;

-- SQL API. Functions are not STRICT: a NULL argument is an error, not a NULL answer.

CREATE FUNCTION @extschema@.pfm_register(revision text, down_revision text DEFAULT NULL,
	upgrade text DEFAULT '', downgrade text DEFAULT NULL, message text DEFAULT NULL,
	branch_labels text[] DEFAULT NULL, depends_on text[] DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME', 'pfm_register' LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.pfm_revision(message text, upgrade text, downgrade text DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME', 'pfm_revision' LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.pfm_merge(revisions text DEFAULT 'heads', message text DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME', 'pfm_merge' LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.pfm_unregister(revision text)
RETURNS void AS 'MODULE_PATHNAME', 'pfm_unregister' LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.pfm_upgrade(target text DEFAULT 'head', dry_run boolean DEFAULT false)
RETURNS TABLE(revision text, direction text, message text, elapsed_ms double precision)
AS 'MODULE_PATHNAME', 'pfm_upgrade' LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.pfm_upgrade(steps integer, dry_run boolean DEFAULT false)
RETURNS TABLE(revision text, direction text, message text, elapsed_ms double precision)
AS 'MODULE_PATHNAME', 'pfm_upgrade_steps' LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.pfm_downgrade(target text, dry_run boolean DEFAULT false)
RETURNS TABLE(revision text, direction text, message text, elapsed_ms double precision)
AS 'MODULE_PATHNAME', 'pfm_downgrade' LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.pfm_downgrade(steps integer, dry_run boolean DEFAULT false)
RETURNS TABLE(revision text, direction text, message text, elapsed_ms double precision)
AS 'MODULE_PATHNAME', 'pfm_downgrade_steps' LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.pfm_stamp(target text)
RETURNS void AS 'MODULE_PATHNAME', 'pfm_stamp' LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.pfm_current()
RETURNS text AS 'MODULE_PATHNAME', 'pfm_current' LANGUAGE C STABLE;

CREATE FUNCTION @extschema@.pfm_heads()
RETURNS SETOF text AS 'MODULE_PATHNAME', 'pfm_heads' LANGUAGE C STABLE;

CREATE FUNCTION @extschema@.pfm_history()
RETURNS TABLE(revision text, down_revision text, message text, branch_labels text[], is_head boolean,
	is_current boolean, applied boolean, applied_at timestamptz, applied_by name)
AS 'MODULE_PATHNAME', 'pfm_history' LANGUAGE C STABLE;

CREATE FUNCTION @extschema@.pfm_status()
RETURNS TABLE(current text, heads text, pending integer, drifted integer, problems integer)
AS 'MODULE_PATHNAME', 'pfm_status' LANGUAGE C STABLE;

CREATE FUNCTION @extschema@.pfm_check()
RETURNS TABLE(severity text, revision text, problem text)
AS 'MODULE_PATHNAME', 'pfm_check' LANGUAGE C STABLE;

CREATE FUNCTION @extschema@.pfm_upgrade_sql(target text DEFAULT 'head')
RETURNS text AS 'MODULE_PATHNAME', 'pfm_upgrade_sql' LANGUAGE C STABLE;

CREATE FUNCTION @extschema@.pfm_downgrade_sql(target text)
RETURNS text AS 'MODULE_PATHNAME', 'pfm_downgrade_sql' LANGUAGE C STABLE;

-- Internal: records one applied/reverted step; used by the offline script so that it
-- does the same bookkeeping (audit included) as the live call.
CREATE FUNCTION pfm_migrate.record_step(revision text, direction text, duration_ms double precision DEFAULT NULL)
RETURNS void AS 'MODULE_PATHNAME', 'pfm_record_step' LANGUAGE C VOLATILE;

CREATE FUNCTION pfm_migrate.offline_begin(expected_current text)
RETURNS void AS 'MODULE_PATHNAME', 'pfm_offline_begin' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pfm_migrate.record_step(text, text, double precision) FROM PUBLIC;
REVOKE ALL ON FUNCTION pfm_migrate.offline_begin(text) FROM PUBLIC;
