-- The C++/PostgreSQL error boundary (test hooks in the library, declared here) and the
-- defects fixed with it.
CREATE EXTENSION pfm_migrate;
CREATE FUNCTION pg_temp.boundary(scenario text) RETURNS text
	AS 'pfm_migrate', 'pfm_test_boundary' LANGUAGE C;
\set VERBOSITY default

-- A C++ exception thrown inside pg_call no longer leaves PG_exception_stack pointing at a
-- dead frame: the next ereport is caught as usual (before the fix the backend crashed).
SELECT pg_temp.boundary('throw_in_pg_call');
SELECT pg_temp.boundary('throw_escapes');
SELECT pg_temp.boundary('throw_in_pg_call');
-- A PostgreSQL error leaves unchanged (SQLSTATE, hint).
DO $$
DECLARE state text; hint text;
BEGIN
	PERFORM pg_temp.boundary('pg_error_escapes');
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, hint = PG_EXCEPTION_HINT;
	RAISE NOTICE 'caught % (%), hint: %', state, SQLERRM, hint;
END
$$;
-- An error that passes through guarded() outside pg_call restores the nesting depth, in
-- a subtransaction too; the next state-changing call is not mistaken for a nested one.
SELECT pg_temp.boundary('direct_ereport');
SELECT pg_temp.boundary('depth');
DO $$
BEGIN
	PERFORM pg_temp.boundary('direct_ereport');
EXCEPTION WHEN data_exception THEN
	RAISE NOTICE 'caught: %', SQLERRM;
END
$$;
SELECT pg_temp.boundary('depth');
SELECT pfm_register('b1', NULL, 'SELECT 1', 'SELECT 1', 'after the errors');
SELECT revision FROM pfm_upgrade('head');

-- The duplicate-label error names the revision.
SELECT pfm_register('b2', 'b1', branch_labels => ARRAY['x', 'x']);

-- applied_at is exact whatever DateStyle and TimeZone say.
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'Pacific/Chatham';
SELECT h.applied_at = a.applied_at AS exact
  FROM pfm_history() h JOIN pfm_migrate.applied a USING (revision);
RESET DateStyle;
RESET TimeZone;

-- Line numbers in a long body: statement 3000 of 3000 is reported at its line.
SELECT pfm_register('b3', 'b1',
	(SELECT string_agg(CASE WHEN n = 3000 THEN 'SELECT 1/0;' ELSE 'SELECT ' || n || ';' END, E'\n')
	   FROM generate_series(1, 3000) n), 'SELECT 1', 'long body');
SELECT * FROM pfm_upgrade('b3');
DROP EXTENSION pfm_migrate;
