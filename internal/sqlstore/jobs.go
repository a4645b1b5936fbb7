package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
)

const jobColumns = `id, user_id, key_id, kind, url, status, options, total_pages, total_response_ms, total_payload, error, created_at, started_at, finished_at`

func scanJob(row scanner) (*spidergo.Job, error) {
	var j spidergo.Job
	var opts string
	var created, started, finished int64
	if err := row.Scan(&j.ID, &j.UserID, &j.KeyID, &j.Kind, &j.URL, &j.Status, &opts, &j.TotalPages, &j.TotalResponseTimeMS, &j.TotalPayloadSize, &j.Error, &created, &started, &finished); err != nil {
		return nil, notFound(err)
	}
	j.Options = json.RawMessage(opts)
	j.CreatedAt, j.StartedAt, j.FinishedAt = fromMillis(created), fromMillis(started), fromMillis(finished)
	return &j, nil
}

// CreateJob implements spidergo.JobStore.
func (d *DB) CreateJob(ctx context.Context, j *spidergo.Job) error {
	if j.ID == "" {
		j.ID = spidergo.NewID()
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = d.now().UTC()
	}
	if j.Status == "" {
		j.Status = spidergo.StatusQueued
	}
	if len(j.Options) == 0 {
		j.Options = json.RawMessage("{}")
	}
	_, err := d.exec(ctx, d.db, `INSERT INTO jobs (`+jobColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.ID, j.UserID, j.KeyID, j.Kind, j.URL, j.Status, string(j.Options), j.TotalPages, j.TotalResponseTimeMS, j.TotalPayloadSize, j.Error,
		millis(j.CreatedAt), millis(j.StartedAt), millis(j.FinishedAt))
	return err
}

func (d *DB) loadSkips(ctx context.Context, j *spidergo.Job) (*spidergo.Job, error) {
	rows, err := d.query(ctx, d.db, `SELECT reason, count FROM job_skips WHERE job_id = ?`, j.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var reason string
		var n int
		if err := rows.Scan(&reason, &n); err != nil {
			return nil, err
		}
		if j.Skipped == nil {
			j.Skipped = map[string]int{}
		}
		j.Skipped[reason] = n
	}
	return j, rows.Err()
}

// Job implements spidergo.JobStore.
func (d *DB) Job(ctx context.Context, userID, id string) (*spidergo.Job, error) {
	j, err := scanJob(d.queryRow(ctx, d.db, `SELECT `+jobColumns+` FROM jobs WHERE id = ? AND user_id = ?`, id, userID))
	if err != nil {
		return nil, err
	}
	return d.loadSkips(ctx, j)
}

// JobByID implements spidergo.JobStore.
func (d *DB) JobByID(ctx context.Context, id string) (*spidergo.Job, error) {
	j, err := scanJob(d.queryRow(ctx, d.db, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if err != nil {
		return nil, err
	}
	return d.loadSkips(ctx, j)
}

// ListJobs implements spidergo.JobStore. The cursor is "created_at.id" of
// the last job returned.
func (d *DB) ListJobs(ctx context.Context, userID, cursor string, limit int) ([]*spidergo.Job, string, error) {
	q := `SELECT ` + jobColumns + ` FROM jobs WHERE user_id = ?`
	args := []any{userID}
	if cursor != "" {
		ms, id, ok := strings.Cut(cursor, ".")
		at, err := strconv.ParseInt(ms, 10, 64)
		if !ok || err != nil {
			return nil, "", spidergo.Errorf(spidergo.EINVALID, "Invalid cursor.")
		}
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, at, at, id)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit+1)
	jobs, err := queryAll(ctx, d, scanJob, q, args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(jobs) > limit {
		jobs = jobs[:limit]
		last := jobs[limit-1]
		next = fmt.Sprintf("%d.%s", millis(last.CreatedAt), last.ID)
	}
	return jobs, next, nil
}

// DeleteJob implements spidergo.JobStore.
func (d *DB) DeleteJob(ctx context.Context, userID, id string) error {
	return affected(d.exec(ctx, d.db, `DELETE FROM jobs WHERE id = ? AND user_id = ?`, id, userID))
}

// SetJobStatus implements spidergo.JobStore.
func (d *DB) SetJobStatus(ctx context.Context, id, status, errMsg string, at time.Time) error {
	q := `UPDATE jobs SET status = ?, error = ?`
	args := []any{status, errMsg}
	switch status {
	case spidergo.StatusRunning:
		q += `, started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END`
		args = append(args, millis(at))
	case spidergo.StatusCompleted, spidergo.StatusCancelled, spidergo.StatusFailed:
		q += `, finished_at = ?`
		args = append(args, millis(at))
	}
	q += ` WHERE id = ? AND status NOT IN ('completed', 'cancelled', 'failed')`
	res, err := d.exec(ctx, d.db, q, append(args, id)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := d.JobByID(ctx, id); err != nil {
			return err
		}
		return spidergo.Errorf(spidergo.ECONFLICT, "The job has already finished.")
	}
	return nil
}

// UnfinishedJobs implements spidergo.JobStore.
func (d *DB) UnfinishedJobs(ctx context.Context) ([]*spidergo.Job, error) {
	return queryAll(ctx, d, scanJob, `SELECT `+jobColumns+` FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, id`)
}

// AddFrontier implements spidergo.JobStore.
func (d *DB) AddFrontier(ctx context.Context, jobID string, entries []spidergo.FrontierEntry) ([]bool, error) {
	added := make([]bool, len(entries))
	if len(entries) == 0 {
		return added, nil
	}
	err := d.tx(ctx, func(tx *sql.Tx) error {
		var last int64
		if err := d.queryRow(ctx, tx, `UPDATE jobs SET frontier_seq = frontier_seq + ? WHERE id = ? RETURNING frontier_seq`, len(entries), jobID).Scan(&last); err != nil {
			return notFound(err)
		}
		seq := last - int64(len(entries))
		for i := range entries {
			seq++
			e := &entries[i]
			e.Seq = seq
			res, err := d.exec(ctx, tx, `INSERT INTO frontier (job_id, url, depth, parent_url, seq) VALUES (?, ?, ?, ?, ?) ON CONFLICT (job_id, url) DO NOTHING`,
				jobID, e.URL, e.Depth, e.ParentURL, e.Seq)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added[i] = n == 1
		}
		return nil
	})
	return added, err
}

// ClaimFrontier implements spidergo.JobStore.
func (d *DB) ClaimFrontier(ctx context.Context, jobID string, n int) ([]spidergo.FrontierEntry, error) {
	var out []spidergo.FrontierEntry
	lock := ""
	if d.postgres {
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	err := d.tx(ctx, func(tx *sql.Tx) error {
		rows, err := d.query(ctx, tx, `SELECT url, depth, parent_url, seq FROM frontier WHERE job_id = ? AND state = 0 ORDER BY seq LIMIT ?`+lock, jobID, n)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e spidergo.FrontierEntry
			if err := rows.Scan(&e.URL, &e.Depth, &e.ParentURL, &e.Seq); err != nil {
				rows.Close()
				return err
			}
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range out {
			if _, err := d.exec(ctx, tx, `UPDATE frontier SET state = 1 WHERE job_id = ? AND url = ?`, jobID, e.URL); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// RequeueFrontier implements spidergo.JobStore.
func (d *DB) RequeueFrontier(ctx context.Context, jobID string) (int, error) {
	if _, err := d.exec(ctx, d.db, `UPDATE frontier SET state = 0 WHERE job_id = ? AND state = 1`, jobID); err != nil {
		return 0, err
	}
	var n int
	err := d.queryRow(ctx, d.db, `SELECT count(*) FROM frontier WHERE job_id = ?`, jobID).Scan(&n)
	return n, err
}

// SavePage implements spidergo.JobStore. A page whose entry is already done
// (a second worker, or a replay after restart) is dropped, so a job never
// holds a URL twice.
func (d *DB) SavePage(ctx context.Context, jobID string, p *spidergo.Page) error {
	data, err := encodePage(p)
	if err != nil {
		return err
	}
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := d.exec(ctx, tx, `UPDATE frontier SET state = 2 WHERE job_id = ? AND url = ? AND state < 2`, jobID, p.URL)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		var seq int64
		var userID string
		if err := d.queryRow(ctx, tx, `UPDATE jobs SET total_pages = total_pages + 1, total_response_ms = total_response_ms + ?, total_payload = total_payload + ? WHERE id = ? RETURNING total_pages, user_id`,
			p.ResponseTimeMS, p.PayloadSize, jobID).Scan(&seq, &userID); err != nil {
			return notFound(err)
		}
		_, err = d.exec(ctx, tx, `INSERT INTO pages (job_id, seq, user_id, url, fetched_at, ok, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			jobID, seq, userID, p.URL, millis(p.FetchedAt), p.Error == "" && p.StatusCode < 400, string(data))
		return err
	})
}

// AddSkipped implements spidergo.JobStore.
func (d *DB) AddSkipped(ctx context.Context, jobID string, skipped map[string]int) error {
	if len(skipped) == 0 {
		return nil
	}
	return d.tx(ctx, func(tx *sql.Tx) error {
		for reason, n := range skipped {
			if _, err := d.exec(ctx, tx, `INSERT INTO job_skips (job_id, reason, count) VALUES (?, ?, ?) ON CONFLICT (job_id, reason) DO UPDATE SET count = job_skips.count + excluded.count`, jobID, reason, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// Pages implements spidergo.JobStore. The cursor is the seq of the last page
// returned.
func (d *DB) Pages(ctx context.Context, jobID, cursor string, limit int) ([]*spidergo.Page, string, error) {
	var after int64
	if cursor != "" {
		var err error
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil || after < 0 {
			return nil, "", spidergo.Errorf(spidergo.EINVALID, "Invalid cursor.")
		}
	}
	rows, err := d.query(ctx, d.db, `SELECT seq, data FROM pages WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?`, jobID, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	pages := []*spidergo.Page{}
	var seqs []int64
	for rows.Next() {
		var seq int64
		var data string
		if err := rows.Scan(&seq, &data); err != nil {
			return nil, "", err
		}
		p, err := decodePage([]byte(data))
		if err != nil {
			return nil, "", fmt.Errorf("page %d of job %s: %w", seq, jobID, err)
		}
		pages = append(pages, p)
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(pages) > limit {
		pages = pages[:limit]
		next = strconv.FormatInt(seqs[limit-1], 10)
	}
	return pages, next, nil
}

// CachedPage implements spidergo.JobStore.
func (d *DB) CachedPage(ctx context.Context, userID, url string, since time.Time) (*spidergo.Page, error) {
	var data string
	err := d.queryRow(ctx, d.db, `SELECT data FROM pages WHERE user_id = ? AND url = ? AND fetched_at >= ? AND ok ORDER BY fetched_at DESC LIMIT 1`,
		userID, url, millis(since)).Scan(&data)
	if err != nil {
		return nil, notFound(err)
	}
	return decodePage([]byte(data))
}
