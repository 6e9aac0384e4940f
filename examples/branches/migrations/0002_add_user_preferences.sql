-- Add user preferences
-- pfm:revision 0002
-- pfm:parents 0001
-- pfm:message Add user preferences

-- pfm:upgrade
CREATE TABLE user_preferences (user_id bigint PRIMARY KEY REFERENCES users, theme text);

-- pfm:downgrade
DROP TABLE user_preferences;
