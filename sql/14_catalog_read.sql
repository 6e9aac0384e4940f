-- The graph is read by streaming the catalog tables (no result set held), text and text[]
-- read in place when stored plainly, checksums held as 16 bytes: values stored compressed
-- or out of line, checksums that are not md5s, and a row that cannot be read must all come
-- out as before.
CREATE EXTENSION pfm_migrate;
SET client_min_messages = warning;

-- a chain of 3 000 revisions, bulk-loaded; then every one applied
INSERT INTO pfm_migrate.revisions (revision, down_revisions, message, upgrade, downgrade)
SELECT 'c' || lpad(g::text, 5, '0'),
       CASE WHEN g = 1 THEN '{}' ELSE ARRAY['c' || lpad((g - 1)::text, 5, '0')] END,
       'migration ' || g, 'SELECT ' || g, 'SELECT 1'
  FROM generate_series(1, 3000) AS g;
SELECT count(*) AS steps, min(revision), max(revision) FROM pfm_upgrade('heads', true);
SELECT count(*) FROM pfm_upgrade('heads');
SELECT * FROM pfm_status();

-- a message compressed in line, one stored out of line uncompressed, and a dependency list
-- long enough to be compressed: the graph reads them whole
SELECT pfm_register('big', 'c03000', 'SELECT 1', 'SELECT 1', repeat('compressible ', 2000));
SELECT pfm_register('wide', 'big', 'SELECT 2', 'SELECT 2',
                    (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 300) AS g));
ALTER TABLE pfm_migrate.revisions ALTER COLUMN message SET STORAGE EXTERNAL;
UPDATE pfm_migrate.revisions SET message = message || '.' WHERE revision = 'wide';
ALTER TABLE pfm_migrate.revisions ALTER COLUMN message SET STORAGE EXTENDED;
SELECT pfm_register('many', 'wide', 'SELECT 3', 'SELECT 3', 'depends on 1 000 revisions',
                    depends_on => (SELECT array_agg('c' || lpad(g::text, 5, '0')) FROM generate_series(1, 1000) AS g));
SELECT revision, length(message) FROM pfm_upgrade('heads', true);
SELECT revision, length(message),
       message = CASE revision WHEN 'big' THEN repeat('compressible ', 2000)
                 ELSE (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 300) AS g) || '.' END AS whole
  FROM pfm_history() WHERE revision IN ('big', 'wide') ORDER BY revision;
SELECT revision, cardinality(depends_on), depends_on[1000] AS last, length(message) FROM pfm_show('many');
SELECT count(*) FROM pfm_upgrade('heads');

-- an applied checksum edited by hand (upper case, not an md5 at all): drift, with the text
SELECT drifted FROM pfm_status();
UPDATE pfm_migrate.applied SET checksum = upper(checksum) WHERE revision = 'c00007';
UPDATE pfm_migrate.applied SET checksum = 'hand-edited' WHERE revision = 'c00008';
SELECT drifted FROM pfm_status();
SELECT severity, revision, problem FROM pfm_check() WHERE revision IN ('c00007', 'c00008') ORDER BY revision;
SELECT revision, drifted FROM pfm_show('c00007') UNION ALL SELECT revision, drifted FROM pfm_show('c00008');

UPDATE pfm_migrate.applied a SET checksum = r.checksum FROM pfm_migrate.revisions r
 WHERE r.revision = a.revision AND a.revision IN ('c00007', 'c00008');
SELECT drifted FROM pfm_status();

-- a row the graph cannot read: the read stops with an error, the session goes on
INSERT INTO pfm_migrate.revisions (revision, down_revisions, upgrade) VALUES ('broken', ARRAY[NULL]::text[], 'SELECT 1');
SELECT count(*) FROM pfm_upgrade('heads', true);
SELECT count(*) FROM pfm_upgrade('heads', true);
DELETE FROM pfm_migrate.revisions WHERE revision = 'broken';
SELECT count(*) FROM pfm_upgrade('heads', true);
SELECT pending, problems FROM pfm_status();

DROP EXTENSION pfm_migrate;
