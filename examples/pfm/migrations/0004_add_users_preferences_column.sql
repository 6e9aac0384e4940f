-- Data migration (the migrations guide's example): add a JSONB column and
-- fill it for existing rows. The downgrade loses the column's data.
-- pfm:revision 0004
-- pfm:parents 0003
-- pfm:message Add preferences column to users

-- pfm:upgrade
-- Add new column
ALTER TABLE users ADD COLUMN preferences JSONB;

-- Migrate existing data
UPDATE users
SET preferences = '{"theme": "light", "notifications": true}'::jsonb
WHERE preferences IS NULL;

-- pfm:downgrade
-- Remove column (data will be lost)
ALTER TABLE users DROP COLUMN preferences;
