-- pfm_migrate 0.1.0 -> 0.2.0: production deploys on live databases.
-- A fresh install of 0.2.0 is the 0.1.0 script followed by this one.
\echo Use "ALTER EXTENSION pfm_migrate UPDATE" to load this file. \quit

-- ---- revisions that cannot run in a transaction ----------------------------------------
-- The flag is part of the checksum, like the bodies: changing it on an applied revision is
-- refused, and a direct UPDATE of it shows up as drift. Transactional revisions keep the
-- checksum they had at 0.1.0.
CREATE FUNCTION pfm_migrate.revision_checksum(upgrade text, downgrade text, transactional boolean) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN $3 THEN pfm_migrate.body_checksum($1, $2)
            ELSE pg_catalog.md5(pfm_migrate.body_checksum($1, $2) OPERATOR(pg_catalog.||) pg_catalog.chr(31)
                                OPERATOR(pg_catalog.||) 'non-transactional') END
$$;
REVOKE ALL ON FUNCTION pfm_migrate.revision_checksum(text, text, boolean) FROM PUBLIC;

ALTER TABLE pfm_migrate.revisions ADD COLUMN transactional boolean NOT NULL DEFAULT true;
ALTER TABLE pfm_migrate.revisions DROP COLUMN checksum;
ALTER TABLE pfm_migrate.revisions ADD COLUMN checksum text
	GENERATED ALWAYS AS (pfm_migrate.revision_checksum(upgrade, downgrade, transactional)) STORED;

DROP FUNCTION @extschema@.pfm_register(text, text, text, text, text, text[], text[]);
CREATE FUNCTION @extschema@.pfm_register(revision text, down_revision text DEFAULT NULL,
	upgrade text DEFAULT '', downgrade text DEFAULT NULL, message text DEFAULT NULL,
	branch_labels text[] DEFAULT NULL, depends_on text[] DEFAULT NULL, transactional boolean DEFAULT true)
RETURNS text AS 'MODULE_PATHNAME', 'pfm_register' LANGUAGE C VOLATILE;

-- ---- migration files are data ------------------------------------------------------------
-- The scripts hand each file's name and content to the server, which reads them (never
-- runs them) and makes the registered revisions exactly the files'.
CREATE FUNCTION @extschema@.pfm_load(files text[], contents text[])
RETURNS TABLE(revision text, file text, action text)
AS 'MODULE_PATHNAME', 'pfm_load' LANGUAGE C VOLATILE;

-- The same answer, changing nothing: for the rest of the transaction the read-only
-- functions see the files as if loaded (works in a read-only transaction and on a standby).
CREATE FUNCTION @extschema@.pfm_preview(files text[], contents text[])
RETURNS TABLE(revision text, file text, action text)
AS 'MODULE_PATHNAME', 'pfm_preview' LANGUAGE C VOLATILE;

-- A migration file rewritten in the 0.2.0 file format (converts 0.1.0-style files).
CREATE FUNCTION @extschema@.pfm_migration_file(file text, content text)
RETURNS text AS 'MODULE_PATHNAME', 'pfm_migration_file' LANGUAGE C IMMUTABLE;

-- ---- one transaction per revision, and revisions that cannot run in one -----------------
-- A per-revision deploy (CALL pfm_deploy) commits each step with its audit row, and records
-- a step that failed, durably, after it rolled back. attempts: how many tries the step's
-- lock waits took (pfm_migrate.lock_wait).
ALTER TABLE pfm_migrate.audit
	ADD COLUMN outcome text NOT NULL DEFAULT 'applied'
		CHECK (outcome OPERATOR(pg_catalog.=) ANY (ARRAY['applied', 'failed'])),
	ADD COLUMN attempts integer,
	ADD COLUMN error text;

-- The statements of a non-transactional revision run one transaction each: which ones
-- have run, so that a deploy interrupted in the middle resumes after them, and -- for a
-- concurrent index build -- the table's indexes before it began, so that an INVALID index
-- an interrupted build left is recognised, reported and rebuilt.
CREATE TABLE pfm_migrate.progress (
	revision       text NOT NULL,
	direction      text NOT NULL CHECK (direction OPERATOR(pg_catalog.=) ANY (ARRAY['upgrade', 'downgrade'])),
	statement      integer NOT NULL,
	checksum       text NOT NULL,
	state          text NOT NULL CHECK (state OPERATOR(pg_catalog.=) ANY (ARRAY['started', 'done'])),
	relation       text,
	indexes_before text[],
	at             timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	PRIMARY KEY (revision, direction, statement)
);
COMMENT ON TABLE pfm_migrate.progress IS 'statements of non-transactional revisions that have run (a deploy resumes after them)';
SELECT pg_catalog.pg_extension_config_dump('pfm_migrate.progress', '');
REVOKE ALL ON pfm_migrate.progress FROM PUBLIC;

DROP FUNCTION @extschema@.pfm_history();
CREATE FUNCTION @extschema@.pfm_history()
RETURNS TABLE(revision text, down_revision text, message text, branch_labels text[], is_head boolean,
	is_current boolean, applied boolean, applied_at timestamptz, applied_by name, transactional boolean)
AS 'MODULE_PATHNAME', 'pfm_history' LANGUAGE C STABLE;

-- One revision per transaction (Alembic's transaction_per_migration, Flyway's default), and
-- non-transactional revisions run statement by statement at top level in a background
-- worker. Procedures: CALL them outside a transaction block.
CREATE PROCEDURE @extschema@.pfm_deploy(target text DEFAULT 'head')
AS 'MODULE_PATHNAME', 'pfm_deploy' LANGUAGE C;
CREATE PROCEDURE @extschema@.pfm_revert(target text)
AS 'MODULE_PATHNAME', 'pfm_revert' LANGUAGE C;

-- For scripts that run several transactions under the migration lock (scripts/deploy.sh):
-- the procedure commits, then waits for the lock at session level without a snapshot.
CREATE PROCEDURE pfm_migrate.wait_for_migration_lock()
AS 'MODULE_PATHNAME', 'pfm_wait_for_migration_lock' LANGUAGE C;
CREATE FUNCTION pfm_migrate.release_migration_lock() RETURNS boolean
AS 'MODULE_PATHNAME', 'pfm_release_migration_lock' LANGUAGE C VOLATILE;
REVOKE ALL ON PROCEDURE pfm_migrate.wait_for_migration_lock() FROM PUBLIC;
REVOKE ALL ON FUNCTION pfm_migrate.release_migration_lock() FROM PUBLIC;

-- The catalog changed shape: no backend may reuse a graph it read before.
UPDATE pfm_migrate.catalog_generation SET generation = generation OPERATOR(pg_catalog.+) 1;

-- ---- Alembic parity: show, branches, history ranges, heads, stamp --purge, revision options, graph (issue 16)
-- Read-only answers (the library serves them from the state one snapshot sees).

-- alembic show: one row per revision the argument names (an id, a prefix, a label, head,
-- heads, label@head, current).
CREATE FUNCTION @extschema@.pfm_show(revision text)
RETURNS TABLE(revision text, parents text[], is_merge_point boolean, is_branch_point boolean, is_head boolean,
	depends_on text[], branches_into text[], branch_labels text[], branch_names text[], message text,
	applied boolean, applied_at timestamptz, applied_by name, stamped boolean, drifted boolean,
	upgrade text, downgrade text, checksum text)
AS 'MODULE_PATHNAME', 'pfm_show' LANGUAGE C STABLE;

-- alembic branches: every branch point and the revisions it branches into, newest first.
CREATE FUNCTION @extschema@.pfm_branches()
RETURNS TABLE(revision text, message text, branches_into text[])
AS 'MODULE_PATHNAME', 'pfm_branches' LANGUAGE C STABLE;

-- alembic history -r start:end: pfm_history()'s rows for the revisions in the range.
CREATE FUNCTION @extschema@.pfm_history(range text)
RETURNS TABLE(revision text, down_revision text, message text, branch_labels text[], is_head boolean,
	is_current boolean, applied boolean, applied_at timestamptz, applied_by name, transactional boolean)
AS 'MODULE_PATHNAME', 'pfm_history_range' LANGUAGE C STABLE;

-- alembic heads --resolve-dependencies: a head something depends on is not a head.
CREATE FUNCTION @extschema@.pfm_heads(resolve_dependencies boolean)
RETURNS SETOF text AS 'MODULE_PATHNAME', 'pfm_heads' LANGUAGE C STABLE;

-- The revision graph and its state as Graphviz DOT (dot -Tsvg renders it).
CREATE FUNCTION @extschema@.pfm_graph()
RETURNS text AS 'MODULE_PATHNAME', 'pfm_graph' LANGUAGE C STABLE;

-- alembic stamp --purge: forget every applied revision (registered or not), then stamp.
DROP FUNCTION @extschema@.pfm_stamp(text);
CREATE FUNCTION @extschema@.pfm_stamp(target text, purge boolean DEFAULT false)
RETURNS void AS 'MODULE_PATHNAME', 'pfm_stamp' LANGUAGE C VOLATILE;

-- alembic revision --head --splice --branch-label --depends-on --rev-id.
DROP FUNCTION @extschema@.pfm_revision(text, text, text);
CREATE FUNCTION @extschema@.pfm_revision(message text, upgrade text, downgrade text DEFAULT NULL,
	head text DEFAULT 'head', splice boolean DEFAULT false, branch_label text DEFAULT NULL,
	depends_on text[] DEFAULT NULL, rev_id text DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME', 'pfm_revision' LANGUAGE C VOLATILE;

-- ---- lint and trace: an EXPLAIN for migrations (issue 11) --------------------------------
-- Every statement the upgrade to target would run, judged with the server's parser and the
-- live catalog. Read-only: what the monitoring role may call (it reads the catalog).
CREATE FUNCTION @extschema@.pfm_lint(target text DEFAULT 'heads')
RETURNS TABLE(revision text, statement integer, line integer, rule text, severity text, message text, hint text)
AS 'MODULE_PATHNAME', 'pfm_lint' LANGUAGE C STABLE;

-- The same statements run for real in a subtransaction that is always rolled back: the locks
-- each takes, the relations it rewrites, the rows it touches, its time. It runs DDL, so only
-- the deploy role may call it (GRANT EXECUTE ON FUNCTION pfm_trace(text) TO deployer).
CREATE FUNCTION @extschema@.pfm_trace(target text DEFAULT 'heads')
RETURNS TABLE(revision text, statement integer, line integer, relation text, lock_mode text, rewritten boolean,
	rows bigint, elapsed_ms double precision)
AS 'MODULE_PATHNAME', 'pfm_trace' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.pfm_trace(text) FROM PUBLIC;

-- ---- the file set scripts/deploy.sh last loaded (issue 15) ----------------------------------
-- A deploy at head re-sends every migration file only to learn that nothing changed. The
-- script hashes the file set (names and contents); after a full load it stores that digest
-- here when the registered revisions are then exactly the files' (one registered revision
-- per file, none without one). A later command whose files hash to the same digest may skip
-- the load: loading them again would change nothing and refuse nothing. Any change to
-- pfm_migrate.revisions, from anywhere, clears the digest (statement trigger, below); a
-- change to pfm_migrate.applied cannot change what loading the same files gives, since
-- every registered revision has a file. Not dumped: a restored database loads once in full.
CREATE TABLE pfm_migrate.file_set (
	digest text
);
INSERT INTO pfm_migrate.file_set VALUES (NULL);
COMMENT ON TABLE pfm_migrate.file_set IS 'digest of the migration files last loaded by scripts/deploy.sh, while the registered revisions are exactly theirs';
REVOKE ALL ON pfm_migrate.file_set FROM PUBLIC;

-- Clears the digest, once per transaction and again after each remember_file_set. The row
-- is updated even when the digest is already NULL: its row lock orders this change after a
-- deploy that holds the row (hold_file_set) until it commits.
CREATE FUNCTION pfm_migrate.forget_file_set() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
	UPDATE pfm_migrate.file_set SET digest = NULL
	 WHERE digest IS NOT NULL OR NOT pfm_migrate.written_by_current_transaction(xmin);
	RETURN NULL;
END
$$;
CREATE TRIGGER revisions_forget_file_set AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pfm_migrate.revisions
	FOR EACH STATEMENT EXECUTE FUNCTION pfm_migrate.forget_file_set();

-- Before a full load: locks the row, so that no change to the revisions from another
-- session can commit between the load and remember_file_set.
CREATE FUNCTION pfm_migrate.hold_file_set() RETURNS void
LANGUAGE sql SET search_path = pg_catalog AS $$
SELECT FROM pfm_migrate.file_set FOR UPDATE;
$$;

-- After a full load of `files` files that hash to `digest`: stores the digest when the
-- registered revisions are exactly the files' (as many as there are files; each file's
-- revision is registered after a load). Returns whether it was stored.
CREATE FUNCTION pfm_migrate.remember_file_set(digest text, files integer) RETURNS boolean
LANGUAGE sql SET search_path = pg_catalog AS $$
WITH u AS (
	UPDATE pfm_migrate.file_set SET digest = $1
	 WHERE $1 IS NOT NULL AND (SELECT count(*) FROM pfm_migrate.revisions) OPERATOR(pg_catalog.=) $2
	RETURNING true)
SELECT EXISTS (SELECT FROM u);
$$;

-- Whether the files that hash to `digest` are exactly what is registered (loading them would
-- change nothing) and the extension is at the library's own version (else an update is due:
-- the full path runs it).
CREATE FUNCTION pfm_migrate.file_set_loaded(digest text) RETURNS boolean
AS 'MODULE_PATHNAME', 'pfm_file_set_loaded' LANGUAGE C STABLE STRICT;
REVOKE ALL ON FUNCTION pfm_migrate.forget_file_set() FROM PUBLIC;
REVOKE ALL ON FUNCTION pfm_migrate.hold_file_set() FROM PUBLIC;
REVOKE ALL ON FUNCTION pfm_migrate.remember_file_set(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pfm_migrate.file_set_loaded(text) FROM PUBLIC;

-- What scripts/deploy.sh's compiled client asks first: the current revision(s) ('base' for
-- none) when those files are what is registered and pfm_upgrade(target) is recorded as a
-- no-op for this very catalog (pfm_migrate.noop_verdict below); NULL otherwise: also when
-- the caller's search_path does not find the extension's pfm_upgrade (deploy.sh calls it by
-- name) and, with for_move, where pfm_upgrade would be refused (a standby, a read-only
-- transaction). Reads only, takes no lock.
CREATE FUNCTION pfm_migrate.noop_current(digest text, target text, for_move boolean) RETURNS text
AS 'MODULE_PATHNAME', 'pfm_noop_current' LANGUAGE C STABLE STRICT;
REVOKE ALL ON FUNCTION pfm_migrate.noop_current(text, text, boolean) FROM PUBLIC;

-- ---- a no-op established for exactly this catalog (issue 15) ---------------------------------
-- A new session's first pfm_upgrade('head') reads the whole catalog to find out that there is
-- nothing to do. Once a full plan has found pfm_upgrade(target) to be a no-op — every check
-- passed: the graph's structure, the target's resolution, no applied revision unknown or
-- drifted — it records the catalog_generation row version it planned from (the key the
-- backends' caches use: any change to revisions or applied makes a new one). A later call
-- whose catalog has that key is the same no-op without reading the graph. Not dumped.
CREATE TABLE pfm_migrate.noop_verdict (
	target text PRIMARY KEY,
	catalog_key text
);
INSERT INTO pfm_migrate.noop_verdict VALUES ('head', NULL), ('heads', NULL);
COMMENT ON TABLE pfm_migrate.noop_verdict IS 'the catalog version (catalog_generation row version and extension version) for which pfm_upgrade(target) was found to be a no-op';
REVOKE ALL ON pfm_migrate.noop_verdict FROM PUBLIC;

-- ---- pfm_status() established for exactly this catalog (issue 15) ----------------------------
-- A health probe connects, calls pfm_status() once and disconnects: without a record, every
-- such session reads the whole catalog and builds the graph. The part of the answer that
-- depends only on what the catalog key covers (revisions and applied: the current heads,
-- the heads, pending, drifted, the errors of the graph's own checks) is recorded here with
-- that key by a full computation, and read back by any session whose catalog has the same
-- key. What no key covers — pfm_migrate.version compared with the current heads, INVALID
-- indexes and partly run revisions left by concurrent builds — is always computed live.
-- One row; written only by a role that may UPDATE it, from a read-write READ COMMITTED
-- transaction that did not change the catalog itself, never waiting for its row lock. Not
-- dumped.
CREATE TABLE pfm_migrate.status_verdict (
	catalog_key   text,
	current_heads text[],
	heads         text[],
	pending       integer,
	drifted       integer,
	graph_problems text[]  -- what core::check_all finds: severity, revision, problem, severity, ...
);
INSERT INTO pfm_migrate.status_verdict VALUES (NULL, NULL, NULL, NULL, NULL, NULL);
COMMENT ON TABLE pfm_migrate.status_verdict IS 'the part of pfm_status() that depends only on revisions and applied, for the catalog version (catalog_generation row version and extension version) it was computed from';
REVOKE ALL ON pfm_migrate.status_verdict FROM PUBLIC;
-- pfm_status() may record that part (above), so it is no longer STABLE.
ALTER FUNCTION @extschema@.pfm_status() VOLATILE;

-- ---- the catalog image (issue 15) --------------------------------------------------------------
-- A new session's first plan reads every row of revisions and applied to build the graph: at
-- 100 000 revisions most of its time. A dry run, or a no-op pfm_upgrade, that read them
-- records here what it read — the graph columns of every
-- revision and every applied row, as one bytea (core/catalog_image.hpp) — with the catalog's
-- key; a later session whose catalog has the same key builds the graph from it: the same rows,
-- so the same plans and checks. Written as status_verdict is (by a role that may UPDATE it,
-- from a read-write READ COMMITTED transaction, never waiting for its row lock); stored
-- uncompressed (reading it back is a copy, not a decompression). Not dumped.
CREATE TABLE pfm_migrate.catalog_image (
	catalog_key text,
	image       bytea
);
ALTER TABLE pfm_migrate.catalog_image ALTER COLUMN image SET STORAGE EXTERNAL;
INSERT INTO pfm_migrate.catalog_image VALUES (NULL, NULL);
COMMENT ON TABLE pfm_migrate.catalog_image IS 'what the graph is built from (every revision''s graph columns, every applied row), for the catalog version (catalog_generation row version and extension version) it was read from';
REVOKE ALL ON pfm_migrate.catalog_image FROM PUBLIC;
