-- +goose Up
-- A crawl may run on several workers at once, so what one run used to keep
-- in memory lives in the store: the fold key of similar URLs (unique per
-- job when set) and how many URLs the job admitted (its limit is checked
-- against it in the transaction that admits more).
ALTER TABLE frontier ADD COLUMN fold TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX frontier_fold ON frontier (job_id, fold) WHERE fold <> '';
ALTER TABLE jobs ADD COLUMN admitted BIGINT NOT NULL DEFAULT 0;
UPDATE jobs SET admitted = (SELECT count(*) FROM frontier f WHERE f.job_id = jobs.id);

-- +goose Down
ALTER TABLE jobs DROP COLUMN admitted;
DROP INDEX frontier_fold;
ALTER TABLE frontier DROP COLUMN fold;
