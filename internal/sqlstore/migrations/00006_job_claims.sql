-- +goose Up
-- Frontier claims carry their owner and a lease: a worker takes back only
-- its own claims or those whose lease ran out (the worker died), never the
-- live claims of another worker crawling the same job.
ALTER TABLE frontier ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE frontier ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;

-- async marks the jobs that count against a user's running-jobs cap (sync
-- requests are bounded by their own deadline). Jobs from before the column
-- are async when they are batches or asked for it.
ALTER TABLE jobs ADD COLUMN async BOOLEAN NOT NULL DEFAULT false;
UPDATE jobs SET async = true WHERE kind = 'batch' OR options LIKE '%"async":true%';
-- page_limit is the most pages the job may hold (its progress bar's end);
-- failed_pages counts its pages that carry an error. Both survive
-- "store": false, which keeps no pages.
ALTER TABLE jobs ADD COLUMN page_limit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN failed_pages INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET failed_pages = (SELECT count(*) FROM pages WHERE pages.job_id = jobs.id AND NOT pages.ok);
CREATE INDEX jobs_user_status ON jobs (user_id, status);

-- +goose Down
DROP INDEX jobs_user_status;
ALTER TABLE jobs DROP COLUMN failed_pages;
ALTER TABLE jobs DROP COLUMN page_limit;
ALTER TABLE jobs DROP COLUMN async;
ALTER TABLE frontier DROP COLUMN lease_until;
ALTER TABLE frontier DROP COLUMN claimed_by;
