-- Add search documents
-- pfm:revision 0004
-- pfm:parents 0002
-- pfm:message Add search documents
-- pfm:branch-labels search
-- pfm:depends-on audit

-- pfm:upgrade
CREATE TABLE search_documents (user_id bigint REFERENCES users, body tsvector);
INSERT INTO audit_log (event) VALUES ('search documents created');

-- pfm:downgrade
DROP TABLE search_documents;
