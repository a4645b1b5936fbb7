-- +goose Up
-- Limits that every process on the database shares when there is no Redis
-- (or while Redis is down): the public trial counts, the sign-in and mail
-- throttles, and the per-host politeness limits of the fetcher. Times are
-- Unix milliseconds on the database's clock, so processes on machines with
-- skewed clocks still agree.

-- One trial route count per client address per UTC day.
CREATE TABLE trial_counts (
    day  TEXT NOT NULL,
    addr TEXT NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (day, addr)
);

-- A throttle bucket: tat is the theoretical arrival time of the next
-- attempt (a generic cell rate algorithm); the row is useless after
-- expires_at.
CREATE TABLE throttle_buckets (
    bucket     TEXT PRIMARY KEY,
    tat        BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- The reserved start of the latest request to a host, for the minimum
-- delay between starts. Its row is also the lock that makes taking a slot
-- of the host one step for every process.
CREATE TABLE host_pace (
    host       TEXT PRIMARY KEY,
    last_start BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- The requests in flight per host: one leased slot each. A holder extends
-- its lease while its request runs, so the slots of a process that died
-- are free again once their lease ends.
CREATE TABLE host_slots (
    host        TEXT NOT NULL,
    token       TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    PRIMARY KEY (host, token)
);

-- +goose Down
DROP TABLE host_slots;
DROP TABLE host_pace;
DROP TABLE throttle_buckets;
DROP TABLE trial_counts;
