-- Add invoice search
-- pfm:revision 0006
-- pfm:parents 0005
-- pfm:message Add invoice search

-- pfm:upgrade
ALTER TABLE invoices ADD COLUMN search tsvector;

-- pfm:downgrade
ALTER TABLE invoices DROP COLUMN search;
