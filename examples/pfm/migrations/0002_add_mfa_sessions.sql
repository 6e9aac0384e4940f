-- MFA session tracking: one row per MFA challenge issued to a login session.
-- pfm:revision 0002
-- pfm:parents 0001
-- pfm:message Add MFA sessions

-- pfm:upgrade
CREATE TABLE mfa_sessions (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id     UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    user_id        UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    mfa_method_id  UUID REFERENCES mfa_methods(id) ON DELETE SET NULL,
    challenge_hash TEXT,
    status         VARCHAR(20) NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'verified', 'failed', 'expired')),
    attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at     TIMESTAMP NOT NULL,
    verified_at    TIMESTAMP
);
CREATE INDEX mfa_sessions_session_id_idx ON mfa_sessions (session_id);
CREATE INDEX mfa_sessions_user_id_idx ON mfa_sessions (user_id);

ALTER TABLE sessions ADD COLUMN mfa_verified BOOLEAN NOT NULL DEFAULT FALSE;

-- pfm:downgrade
ALTER TABLE sessions DROP COLUMN IF EXISTS mfa_verified;
DROP TABLE IF EXISTS mfa_sessions;
