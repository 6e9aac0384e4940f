-- Index users by their last login, built without blocking writes to the table:
-- CREATE INDEX CONCURRENTLY cannot run in a transaction, so this revision is
-- non-transactional and `scripts/dev.sh migrate` deploys it with CALL pfm_deploy().
-- pfm:revision 0005
-- pfm:parents 0004
-- pfm:message Index users by last login
-- pfm:transactional false

-- pfm:upgrade
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_last_login_at_idx ON users (last_login_at);

-- pfm:downgrade
DROP INDEX CONCURRENTLY IF EXISTS users_last_login_at_idx;
