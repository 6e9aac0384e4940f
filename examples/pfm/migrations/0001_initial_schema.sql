-- Initial schema: users, sessions, MFA tables
-- pfm:revision 0001
-- pfm:parents base
-- pfm:message Initial schema

-- pfm:upgrade
CREATE TABLE users (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email          VARCHAR(255) NOT NULL,
    password_hash  TEXT NOT NULL,
    full_name      VARCHAR(200),
    is_active      BOOLEAN NOT NULL DEFAULT TRUE,
    mfa_enabled    BOOLEAN NOT NULL DEFAULT FALSE,
    last_login_at  TIMESTAMP,
    created_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE sessions (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    ip_address  INET,
    user_agent  TEXT,
    created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at) WHERE revoked_at IS NULL;

CREATE TABLE mfa_methods (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method_type   VARCHAR(20) NOT NULL
                  CHECK (method_type IN ('totp', 'sms', 'email', 'webauthn')),
    secret_encrypted BYTEA,
    phone_number  VARCHAR(32),
    is_primary    BOOLEAN NOT NULL DEFAULT FALSE,
    verified_at   TIMESTAMP,
    last_used_at  TIMESTAMP,
    created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX mfa_methods_user_id_idx ON mfa_methods (user_id);
CREATE UNIQUE INDEX mfa_methods_one_primary ON mfa_methods (user_id) WHERE is_primary;

CREATE TABLE mfa_backup_codes (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (user_id, code_hash)
);

-- pfm:downgrade
DROP TABLE IF EXISTS mfa_backup_codes;
DROP TABLE IF EXISTS mfa_methods;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS users;
