-- A hostile search_path (SPEC section 11) changes no internal query: functions and operators
-- that shadow the builtins the extension's SQL uses, in public (before pg_catalog on the path,
-- or with argument types that match better than pg_catalog's polymorphic ones), and in
-- pg_temp, with temp tables and a type named like the catalog's and pg_catalog's. A
-- session of authoring, moving and looking (search_path_scenario.inc) gives the same
-- answers and leaves the same catalog as under a plain search_path, and trips no shadow.
\ir setup.inc

-- Every shadow writes its name here when called, then answers wrongly.
CREATE TABLE public.pfm_tripwire (what text);
GRANT INSERT ON public.pfm_tripwire TO PUBLIC;
CREATE FUNCTION public.pfm_trip(what text) RETURNS void LANGUAGE sql SET search_path = pg_catalog
AS $$INSERT INTO public.pfm_tripwire VALUES (what)$$;
DO $do$
DECLARE
	shadow text[];
BEGIN
	-- name, arguments, result, wrong answer
	FOREACH shadow SLICE 1 IN ARRAY ARRAY[
		['md5', 'text', 'text', $$'0'$$],
		['chr', 'integer', 'text', $$'?'$$],
		['unnest', 'text[]', 'SETOF text', $$'evil'$$],
		['array_to_string', 'text[], text', 'text', $$'evil'$$],
		['to_timestamp', 'double precision', 'timestamptz', $$'2000-01-01'$$],
		['clock_timestamp', '', 'timestamptz', $$'2000-01-01'$$],
		['to_regclass', 'text', 'regclass', $$'pg_class'$$],
		['quote_ident', 'text', 'text', $$'evil'$$],
		['current_setting', 'text, boolean', 'text', $$'evil'$$],
		['current_database', '', 'name', $$'evil'$$],
		['nextval', 'regclass', 'bigint', '-1'],
		['pg_backend_pid', '', 'integer', '-1'],
		['inet_client_addr', '', 'inet', $$'6.6.6.6'$$],
		['format', 'text, text', 'text', $$'evil'$$],
		['length', 'text', 'integer', '-1'],
		['lower', 'text', 'text', $$'evil'$$],
		['array_length', 'text[], integer', 'integer', '-1'],
		['coalesce_text', 'text, text', 'text', $$'evil'$$],
		['body_checksum', 'text, text', 'text', $$'evil'$$],
		['revision_checksum', 'text, text, boolean', 'text', $$'evil'$$],
		['written_by_current_transaction', 'xid', 'boolean', 'true']]
	LOOP
		EXECUTE pg_catalog.format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog
			AS $f$BEGIN PERFORM public.pfm_trip(%L); RETURN %s %s; END$f$',
			shadow[1], shadow[2], shadow[3], 'public.' || shadow[1], CASE WHEN shadow[3] LIKE 'SETOF%' THEN 'NEXT' ELSE '' END,
			shadow[4]);
		-- the same in pg_temp (reachable only when named: proven below)
		EXECUTE pg_catalog.format('CREATE FUNCTION pg_temp.%I(%s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog
			AS $f$BEGIN PERFORM public.pfm_trip(%L); RETURN %s %s; END$f$',
			shadow[1], shadow[2], shadow[3], 'pg_temp.' || shadow[1], CASE WHEN shadow[3] LIKE 'SETOF%' THEN 'NEXT' ELSE '' END,
			shadow[4]);
	END LOOP;
END
$do$;
CREATE FUNCTION public.evil_string_agg(s text, v text, d text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog
AS $$BEGIN PERFORM public.pfm_trip('public.string_agg'); RETURN 'evil'; END$$;
CREATE AGGREGATE public.string_agg(text, text) (sfunc = public.evil_string_agg, stype = text);
CREATE FUNCTION public.evil_count(s bigint) RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog
AS $$BEGIN PERFORM public.pfm_trip('public.count'); RETURN -1; END$$;
CREATE AGGREGATE public.count(*) (sfunc = public.evil_count, stype = bigint, initcond = '0');
-- Operators: text, name, oid, integer and bigint comparisons, concatenation, regex, arithmetic.
DO $do$
DECLARE
	op text[];
BEGIN
	FOREACH op SLICE 1 IN ARRAY ARRAY[
		['=', 'text', 'text', 'boolean', 'NOT pg_catalog.texteq($1, $2)'],
		['<>', 'text', 'text', 'boolean', 'pg_catalog.texteq($1, $2)'],
		['=', 'name', 'text', 'boolean', 'true'],
		['=', 'oid', 'oid', 'boolean', 'true'],
		['=', 'integer', 'integer', 'boolean', 'true'],
		['=', 'text[]', 'text[]', 'boolean', 'true'],
		['=', 'boolean', 'boolean', 'boolean', 'true'],
		['||', 'text', 'text', 'text', $$'evil'$$],
		['~', 'text', 'text', 'boolean', 'true'],
		['~~', 'text', 'text', 'boolean', 'true'],
		['<', 'text', 'text', 'boolean', 'true'],
		['+', 'bigint', 'integer', 'bigint', '-1'],
		['+', 'integer', 'integer', 'integer', '-1']]
	LOOP
		EXECUTE pg_catalog.format('CREATE FUNCTION public.%I(%s, %s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog
			AS $f$BEGIN PERFORM public.pfm_trip(%L); RETURN %s; END$f$',
			'evil_op_' || pg_catalog.md5(op[1] || op[2] || op[3]), op[2], op[3], op[4], 'public.' || op[1] || '(' || op[2] || ',' || op[3] || ')', op[5]);
		EXECUTE pg_catalog.format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.%I)',
			op[1], op[2], op[3], 'evil_op_' || pg_catalog.md5(op[1] || op[2] || op[3]));
	END LOOP;
END
$do$;
-- The same session under a plain search_path and under two hostile ones.
CREATE TEMP TABLE answers (run pg_catalog.text, what pg_catalog.text, answer pg_catalog.text, n serial);
\set pfx plain
\set path public
\set temp_shadows off
\ir search_path_scenario.inc
\set pfx 'public, pg_catalog'
\set path 'public, pg_catalog'
\ir search_path_scenario.inc
\set pfx 'pg_temp, public, pg_catalog, pfm_migrate'
\set path 'pg_temp, public, pg_catalog, pfm_migrate'
\set temp_shadows on
\ir search_path_scenario.inc

SELECT plan(7 + 2 * (SELECT count(*)::int FROM answers WHERE run = 'plain' AND what <> 'trips'));
-- The shadows are live: under these paths a query that does not name pg_catalog hits them.
SAVEPOINT probe;
SET LOCAL search_path = public, pg_catalog;
SELECT ('a' = 'a') AS eq, (SELECT u FROM unnest(ARRAY['x']) u) AS un, 'a' || 'b' AS cat \gset probe_
SELECT pg_catalog.count(*) AS trips FROM public.pfm_tripwire \gset probe_
ROLLBACK TO SAVEPOINT probe;
SELECT is(:'probe_eq' || ' ' || :'probe_un' || ' ' || :'probe_cat', 'f evil evil',
          'the shadows answer wrongly to a query that does not name pg_catalog');
SAVEPOINT probe;
\ir search_path_temp_shadows.inc
SET LOCAL search_path = pg_temp, public, pg_catalog;
SELECT pg_catalog.count(*) AS n FROM pg_extension WHERE extversion::pg_catalog.text OPERATOR(pg_catalog.=) '0.1.0' \gset probe_
SELECT (SELECT n.nspname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) t.typnamespace
         WHERE t.oid OPERATOR(pg_catalog.=) pg_catalog.pg_typeof('1'::text)::pg_catalog.oid) OPERATOR(pg_catalog.~~) 'pg_temp%' AS texttype \gset probe_
ROLLBACK TO SAVEPOINT probe;
SELECT is(:'probe_n' || ' ' || :'probe_texttype', '1 t', 'pg_temp tables and types shadow unqualified names');
SELECT ok(:probe_trips > 0, 'and a tripped shadow is recorded');

-- Every answer under a hostile path is the plain one's, and no shadow was called in any run.
SELECT is(h.answer, p.answer, 'search_path ' || h.run || ': same ' || h.what)
  FROM answers h JOIN answers p ON p.what = h.what AND p.run = 'plain'
 WHERE h.run <> 'plain' AND h.what <> 'trips' ORDER BY h.n;
SELECT is(t.answer, NULL, 'search_path ' || t.run || ': no shadow was called') FROM answers t WHERE t.what = 'trips' ORDER BY t.n;
SELECT is((SELECT count(*)::int FROM answers WHERE run <> 'plain'), 2 * (SELECT count(*)::int FROM answers WHERE run = 'plain'),
          'every run gave every answer');

SELECT * FROM finish();
ROLLBACK;
