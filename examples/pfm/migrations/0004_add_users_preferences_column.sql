-- Data migration (the migrations guide's example): add a JSONB column and
-- fill it for existing rows. The downgrade loses the column's data.
--
-- Revision ID: 0004
-- Revises: 0003
SELECT pfm_register(
    revision      => '0004',
    down_revision => '0003',
    message       => 'Add preferences column to users',
    upgrade       => $up$
-- Add new column
ALTER TABLE users ADD COLUMN preferences JSONB;

-- Migrate existing data
UPDATE users
SET preferences = '{"theme": "light", "notifications": true}'::jsonb
WHERE preferences IS NULL;
$up$,
    downgrade     => $down$
-- Remove column (data will be lost)
ALTER TABLE users DROP COLUMN preferences;
$down$
);
