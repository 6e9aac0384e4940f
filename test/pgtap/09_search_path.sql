-- A hostile search_path (SPEC section 11) changes no internal query: functions and operators
-- that shadow the builtins the extension's SQL uses, in public (before pg_catalog on the path,
-- or with argument types that match better than pg_catalog's polymorphic ones), and in
-- pg_temp, with temp tables and a type named like the catalog's and pg_catalog's. A
-- session of authoring, moving and looking (search_path_scenario.inc) gives the same
-- answers and leaves the same catalog as under a plain search_path, and trips no shadow.
\ir setup.inc

\ir search_path_shadows.inc

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
