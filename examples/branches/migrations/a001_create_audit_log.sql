-- Create audit log
-- pfm:revision a001
-- pfm:parents base
-- pfm:message Create audit log
-- pfm:branch-labels audit

-- pfm:upgrade
CREATE TABLE audit_log (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), event text);

-- pfm:downgrade
DROP TABLE audit_log;
