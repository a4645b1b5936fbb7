-- +goose Up
CREATE TABLE jobs (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key_id            TEXT NOT NULL DEFAULT '',
    kind              TEXT NOT NULL,
    url               TEXT NOT NULL,
    status            TEXT NOT NULL,
    options           TEXT NOT NULL DEFAULT '{}',
    total_pages       INTEGER NOT NULL DEFAULT 0,
    total_response_ms BIGINT NOT NULL DEFAULT 0,
    total_payload     BIGINT NOT NULL DEFAULT 0,
    -- frontier_seq hands out admission numbers; bumping it locks the row,
    -- so concurrent admissions in one job never share a number.
    frontier_seq      BIGINT NOT NULL DEFAULT 0,
    error             TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    started_at        BIGINT NOT NULL DEFAULT 0,
    finished_at       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX jobs_user_created ON jobs (user_id, created_at, id);
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE job_skips (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (job_id, reason)
);

-- The frontier: every URL a job admitted. state 0 = queued, 1 = in flight,
-- 2 = done. The primary key is the crawl's dedup.
CREATE TABLE frontier (
    job_id     TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    depth      INTEGER NOT NULL,
    parent_url TEXT NOT NULL DEFAULT '',
    seq        BIGINT NOT NULL,
    state      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, url)
);
CREATE INDEX frontier_claim ON frontier (job_id, state, seq);

-- pages keeps each result as the JSON the API returns; seq is the order in
-- which pages were stored, and the cursor of result pagination.
CREATE TABLE pages (
    job_id     TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    user_id    TEXT NOT NULL,
    url        TEXT NOT NULL,
    fetched_at BIGINT NOT NULL,
    ok         BOOLEAN NOT NULL,
    data       TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX pages_cache ON pages (user_id, url, fetched_at);

-- +goose Down
DROP TABLE pages;
DROP TABLE frontier;
DROP TABLE job_skips;
DROP TABLE jobs;
