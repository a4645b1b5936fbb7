-- +goose Up
-- Webhook deliveries: every event a job's webhook subscribed to, stored
-- when it happens, sent from here and kept as the job's delivery log.
-- seq orders a job's events (handed out by jobs.webhook_seq, whose bump
-- locks the job's row); only the first pending delivery of a job is ever
-- sent, so a job's events reach the receiver in order. A sender claims it
-- under a lease (claimed_by, lease_until) as workers claim the frontier.
-- payload is the exact body that is signed at send time; headers are the
-- user's webhook headers as JSON; last_error is a short reason, never a
-- secret.
ALTER TABLE jobs ADD COLUMN webhook_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    job_id          TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    url             TEXT NOT NULL,
    headers         TEXT NOT NULL DEFAULT '{}',
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_by      TEXT NOT NULL DEFAULT '',
    lease_until     BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    delivered_at    BIGINT NOT NULL DEFAULT 0,
    UNIQUE (job_id, seq)
);
-- The senders' scan for jobs with a due delivery.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (state, next_attempt_at);

-- +goose Down
DROP TABLE webhook_deliveries;
ALTER TABLE jobs DROP COLUMN webhook_seq;
