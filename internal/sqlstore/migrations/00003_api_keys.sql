-- +goose Up
-- API keys: only the SHA-256 of a key is kept (key_hash, unique, so the
-- lookup on every API request is one index probe). Revocation keeps the row
-- so that usage history and "revoked at" stay visible.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    last4        TEXT NOT NULL,
    daily_limit  INTEGER NOT NULL,
    is_active    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0,
    revoked_at   BIGINT NOT NULL DEFAULT 0
);
-- Serves the per-user list and the active-key count of the create limit.
CREATE INDEX api_keys_user ON api_keys (user_id, is_active, created_at);

-- One quota counter per key and UTC day ("2006-01-02"); the primary key is
-- what the atomic upsert of a request's unit conflicts on.
CREATE TABLE api_key_usage (
    key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    day    TEXT NOT NULL,
    used   INTEGER NOT NULL,
    PRIMARY KEY (key_id, day)
);

-- +goose Down
DROP TABLE api_key_usage;
DROP TABLE api_keys;
