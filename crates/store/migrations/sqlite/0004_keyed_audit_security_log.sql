-- The audit chain keyed with HMAC-SHA-256: which key (its public id; NULL while the chain is
-- still the unkeyed SHA-256 of before), the id of the last row and a MAC of the head.
ALTER TABLE audit_head ADD COLUMN key_id TEXT;
ALTER TABLE audit_head ADD COLUMN last_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN head_mac TEXT;

-- When a user last signed in (bookkeeping, not an audited change).
ALTER TABLE users ADD COLUMN last_login_at TEXT;

-- Sign-ins, sign-outs and refused sign-ins: what admins read to see who tried to get in. Not
-- program data, so not in the audit chain and not invalidating read caches.
CREATE TABLE security_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    email TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    ip TEXT NOT NULL
);
CREATE INDEX security_log_user ON security_log (user_id);
