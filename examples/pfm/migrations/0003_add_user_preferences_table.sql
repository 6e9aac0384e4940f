-- Add user preferences table (the migrations guide's example, verbatim).
-- pfm:revision 0003
-- pfm:parents 0002
-- pfm:message Add user preferences table

-- pfm:upgrade
CREATE TABLE user_preferences (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    theme VARCHAR(20) DEFAULT 'light',
    notifications_enabled BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)

-- pfm:downgrade
DROP TABLE IF EXISTS user_preferences
