-- Initial schema
-- pfm:revision 0001
-- pfm:parents base
-- pfm:message Initial schema

-- pfm:upgrade
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);

-- pfm:downgrade
DROP TABLE users;
