-- A counter of committed changes beside the audit chain's head, for cache validation.
ALTER TABLE audit_head ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
