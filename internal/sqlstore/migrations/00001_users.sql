-- +goose Up
-- One schema serves SQLite and PostgreSQL: ids are text, times are Unix
-- milliseconds, flags are booleans (stored as 0/1 by SQLite).
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    first_name    TEXT NOT NULL DEFAULT '',
    last_name     TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL DEFAULT '',
    is_verified   BOOLEAN NOT NULL DEFAULT FALSE,
    avatar_url    TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- +goose Down
DROP TABLE users;
