-- Add user preferences table (the migrations guide's example, verbatim).
--
-- Revision ID: 0003
-- Revises: 0002
SELECT pfm_register(
    revision      => '0003',
    down_revision => '0002',
    message       => 'Add user preferences table',
    upgrade       => $up$
CREATE TABLE user_preferences (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    theme VARCHAR(20) DEFAULT 'light',
    notifications_enabled BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)
$up$,
    downgrade     => $down$
DROP TABLE IF EXISTS user_preferences
$down$
);
