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

const jobColumns = `id, user_id, key_id, kind, url, status, options, total_pages, total_response_ms, total_payload, error, created_at, started_at, finished_at, async, page_limit`

// jobSelect reads a job with its progress: the frontier counts come from
// the frontier_claim index (job_id, state, seq), so they cost one index
// range per job rather than a scan of pages.
const jobSelect = `SELECT ` + jobColumns + `, failed_pages,
	(SELECT count(*) FROM frontier f WHERE f.job_id = jobs.id),
	(SELECT count(*) FROM frontier f WHERE f.job_id = jobs.id AND f.state = 0),
	(SELECT count(*) FROM frontier f WHERE f.job_id = jobs.id AND f.state = 1)
	FROM jobs`

func scanJob(row scanner) (*spidergo.Job, error) {
	var j spidergo.Job
	var opts string
	var created, started, finished int64
	if err := row.Scan(&j.ID, &j.UserID, &j.KeyID, &j.Kind, &j.URL, &j.Status, &opts, &j.TotalPages, &j.TotalResponseTimeMS, &j.TotalPayloadSize, &j.Error, &created, &started, &finished,
		&j.Async, &j.Limit, &j.Failed, &j.Discovered, &j.Queued, &j.InFlight); err != nil {
		return nil, notFound(err)
	}
	j.Options = json.RawMessage(opts)
	j.CreatedAt, j.StartedAt, j.FinishedAt = fromMillis(created), fromMillis(started), fromMillis(finished)
	// Every page was discovered; a job run with "store": false keeps no
	// frontier, only its counts.
	j.Discovered = max(j.Discovered, j.TotalPages)
	return &j, nil
}

// CreateJob implements spidergo.JobStore.
func (d *DB) CreateJob(ctx context.Context, j *spidergo.Job) error {
	return d.createJob(ctx, d.db, j)
}

// CreateJobWith stores j and runs also in the same transaction, so that
// either both are committed or neither: the scaled-out scheduler queues a
// new job's River job this way.
func (d *DB) CreateJobWith(ctx context.Context, j *spidergo.Job, also func(tx *sql.Tx) error) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		if err := d.createJob(ctx, tx, j); err != nil {
			return err
		}
		return also(tx)
	})
}

func (d *DB) createJob(ctx context.Context, q querier, j *spidergo.Job) error {
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
	_, err := d.exec(ctx, q, `INSERT INTO jobs (`+jobColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.ID, j.UserID, j.KeyID, j.Kind, j.URL, j.Status, string(j.Options), j.TotalPages, j.TotalResponseTimeMS, j.TotalPayloadSize, j.Error,
		millis(j.CreatedAt), millis(j.StartedAt), millis(j.FinishedAt), j.Async, j.Limit)
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
	j, err := scanJob(d.queryRow(ctx, d.db, jobSelect+` WHERE id = ? AND user_id = ?`, id, userID))
	if err != nil {
		return nil, err
	}
	return d.loadSkips(ctx, j)
}

// JobByID implements spidergo.JobStore.
func (d *DB) JobByID(ctx context.Context, id string) (*spidergo.Job, error) {
	j, err := scanJob(d.queryRow(ctx, d.db, jobSelect+` WHERE id = ?`, id))
	if err != nil {
		return nil, err
	}
	return d.loadSkips(ctx, j)
}

// ListJobs implements spidergo.JobStore. The cursor is "created_at.id" of
// the last job returned.
func (d *DB) ListJobs(ctx context.Context, userID string, f spidergo.JobFilter) ([]*spidergo.Job, string, error) {
	q := jobSelect + ` WHERE user_id = ?`
	args := []any{userID}
	limit := max(f.Limit, 1)
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if cursor := f.Cursor; cursor != "" {
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

// expireBatch is how many pages or frontier rows one statement of
// DeleteExpiredJobs removes: a crawl of 10 000 pages goes in ten short
// writes rather than one that holds SQLite's one writer for seconds.
const expireBatch = 1000

// DeleteExpiredJobs implements spidergo.JobStore. A job finished without a
// finish time (none should) counts from its creation.
func (d *DB) DeleteExpiredJobs(ctx context.Context, before time.Time, maxJobs int) (int, error) {
	ids, err := queryAll(ctx, d, func(row scanner) (string, error) {
		var id string
		err := row.Scan(&id)
		return id, err
	}, `SELECT id FROM jobs WHERE status IN ('completed', 'cancelled', 'failed')
		AND CASE WHEN finished_at > 0 THEN finished_at ELSE created_at END < ?
		ORDER BY finished_at, id LIMIT ?`, millis(before), max(maxJobs, 1))
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, id := range ids {
		for _, q := range []string{
			`DELETE FROM pages WHERE job_id = ? AND seq IN (SELECT seq FROM pages WHERE job_id = ? ORDER BY seq LIMIT ?)`,
			`DELETE FROM frontier WHERE job_id = ? AND url IN (SELECT url FROM frontier WHERE job_id = ? ORDER BY seq LIMIT ?)`,
		} {
			for {
				res, err := d.exec(ctx, d.db, q, id, id, expireBatch)
				if err != nil {
					return deleted, err
				}
				if n, err := res.RowsAffected(); err != nil || n < expireBatch {
					break
				}
			}
		}
		// The status is checked again: nothing moves a finished job back,
		// but the row is only ever deleted finished.
		res, err := d.exec(ctx, d.db, `DELETE FROM jobs WHERE id = ? AND status IN ('completed', 'cancelled', 'failed')`, id)
		if err != nil {
			return deleted, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			deleted++
		}
	}
	return deleted, nil
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
		return spidergo.ErrJobFinished
	}
	return nil
}

// UnfinishedJobs implements spidergo.JobStore.
func (d *DB) UnfinishedJobs(ctx context.Context) ([]*spidergo.Job, error) {
	return queryAll(ctx, d, scanJob, jobSelect+` WHERE status IN ('queued', 'running') ORDER BY created_at, id`)
}

// ClaimJobSlot implements spidergo.JobStore. The count and the update run in
// one transaction; on PostgreSQL the user's row is locked first, so two
// workers claiming slots of one user queue up instead of both reading a
// count under the cap. SQLite has one writer, which serializes them anyway.
func (d *DB) ClaimJobSlot(ctx context.Context, id string, maxRunning int, at time.Time) (bool, error) {
	var claimed bool
	err := d.tx(ctx, func(tx *sql.Tx) error {
		var userID, status string
		if err := d.queryRow(ctx, tx, `SELECT user_id, status FROM jobs WHERE id = ?`, id).Scan(&userID, &status); err != nil {
			return notFound(err)
		}
		switch status {
		case spidergo.StatusRunning:
			claimed = true
			return nil
		case spidergo.StatusQueued:
		default:
			return spidergo.ErrJobFinished
		}
		if d.postgres {
			if _, err := d.exec(ctx, tx, `SELECT id FROM users WHERE id = ? FOR UPDATE`, userID); err != nil {
				return err
			}
		}
		res, err := d.exec(ctx, tx, `UPDATE jobs SET status = 'running', started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END
			WHERE id = ? AND status = 'queued'
			AND (SELECT count(*) FROM jobs r WHERE r.user_id = ? AND r.status = 'running' AND r.async) < ?`,
			millis(at), id, userID, maxRunning)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	return claimed, err
}

// AddFrontier implements spidergo.JobStore.
func (d *DB) AddFrontier(ctx context.Context, jobID string, entries []spidergo.FrontierEntry) ([]bool, error) {
	res, err := d.admit(ctx, jobID, 0, entries, nil, false)
	if err != nil {
		return nil, err
	}
	added := make([]bool, len(res))
	for i, a := range res {
		added[i] = a == spidergo.AdmitNew
	}
	return added, nil
}

// AdmitFrontier implements spidergo.JobStore. Bumping frontier_seq first
// locks the job's row on PostgreSQL, so admissions to one job from several
// workers queue up there and the admitted count they check the limit
// against is exact; SQLite's one writer serializes them anyway.
func (d *DB) AdmitFrontier(ctx context.Context, jobID string, limit int, entries []spidergo.FrontierEntry, skipped map[string]int) ([]spidergo.Admission, error) {
	return d.admit(ctx, jobID, limit, entries, skipped, true)
}

// admit admits entries; count adds the refusals to the job's skip counts.
func (d *DB) admit(ctx context.Context, jobID string, limit int, entries []spidergo.FrontierEntry, skipped map[string]int, count bool) ([]spidergo.Admission, error) {
	out := make([]spidergo.Admission, len(entries))
	if len(entries) == 0 {
		return out, d.AddSkipped(ctx, jobID, skipped)
	}
	d.prepareWrites(ctx, bumpFrontierSeq, insertFrontier)
	err := d.tx(ctx, func(tx *sql.Tx) error {
		counts := map[string]int{}
		for reason, n := range skipped {
			counts[reason] += n
		}
		var last, admitted int64
		if err := d.txRow(ctx, tx, bumpFrontierSeq, len(entries), jobID).Scan(&last, &admitted); err != nil {
			return notFound(err)
		}
		seq := last - int64(len(entries))
		var n int64
		for i := range entries {
			seq++
			e := &entries[i]
			e.Seq = seq
			if limit > 0 && admitted+n >= int64(limit) {
				a, err := d.refusal(ctx, tx, jobID, e, spidergo.AdmitOverLimit)
				if err != nil {
					return err
				}
				out[i] = a
				continue
			}
			res, err := d.txExec(ctx, tx, insertFrontier, jobID, e.URL, e.Depth, e.ParentURL, e.Seq, e.Fold)
			if err != nil {
				return err
			}
			added, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if added == 1 {
				n++
				out[i] = spidergo.AdmitNew
				continue
			}
			// The URL or its fold key is taken: say which.
			if out[i], err = d.refusal(ctx, tx, jobID, e, spidergo.AdmitSimilar); err != nil {
				return err
			}
		}
		for _, a := range out {
			if reason := refusalReasons[a]; count && reason != "" {
				counts[reason]++
			}
		}
		if err := d.addSkipped(ctx, tx, jobID, counts); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		_, err := d.exec(ctx, tx, `UPDATE jobs SET admitted = admitted + ? WHERE id = ?`, n, jobID)
		return err
	})
	return out, err
}

// refusalReasons are the skip reasons of entries AdmitFrontier refuses.
var refusalReasons = map[spidergo.Admission]string{
	spidergo.AdmitDuplicate: "duplicate", spidergo.AdmitSimilar: "duplicate_similar", spidergo.AdmitOverLimit: "limit",
}

// refusal says why an entry is not admitted: its URL is admitted already,
// or a similar one, or else the reason given.
func (d *DB) refusal(ctx context.Context, tx *sql.Tx, jobID string, e *spidergo.FrontierEntry, otherwise spidergo.Admission) (spidergo.Admission, error) {
	var dup, similar bool
	err := d.queryRow(ctx, tx, `SELECT EXISTS (SELECT 1 FROM frontier WHERE job_id = ? AND url = ?),
		EXISTS (SELECT 1 FROM frontier WHERE job_id = ? AND fold = ? AND fold <> '')`, jobID, e.URL, jobID, e.Fold).Scan(&dup, &similar)
	switch {
	case err != nil:
		return 0, err
	case dup:
		return spidergo.AdmitDuplicate, nil
	case similar:
		return spidergo.AdmitSimilar, nil
	}
	return otherwise, nil
}

// ClaimFrontier implements spidergo.JobStore. On PostgreSQL the rows are
// locked with SKIP LOCKED, so workers claiming from one job at once each
// take other entries without waiting for each other.
func (d *DB) ClaimFrontier(ctx context.Context, jobID string, lease spidergo.Lease, n int) ([]spidergo.FrontierEntry, error) {
	var out []spidergo.FrontierEntry
	lock := ""
	if d.postgres {
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	d.prepareWrites(ctx, claimEntry)
	err := d.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		read := func(q string, args ...any) error {
			rows, err := d.query(ctx, tx, q+lock, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var e spidergo.FrontierEntry
				if err := rows.Scan(&e.URL, &e.Depth, &e.ParentURL, &e.Seq); err != nil {
					return err
				}
				out = append(out, e)
			}
			return rows.Err()
		}
		if err := read(`SELECT url, depth, parent_url, seq FROM frontier WHERE job_id = ? AND state = 0 ORDER BY seq LIMIT ?`, jobID, n); err != nil {
			return err
		}
		if len(out) < n {
			// Entries of a worker that stopped extending its lease.
			if err := read(`SELECT url, depth, parent_url, seq FROM frontier WHERE job_id = ? AND state = 1 AND lease_until < ? ORDER BY seq LIMIT ?`,
				jobID, millis(d.now()), n-len(out)); err != nil {
				return err
			}
		}
		for _, e := range out {
			if _, err := d.txExec(ctx, tx, claimEntry,
				lease.Owner, millis(lease.Until), jobID, e.URL); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// ExtendLease implements spidergo.JobStore.
func (d *DB) ExtendLease(ctx context.Context, jobID string, lease spidergo.Lease) error {
	_, err := d.exec(ctx, d.db, `UPDATE frontier SET lease_until = ? WHERE job_id = ? AND state = 1 AND claimed_by = ?`, millis(lease.Until), jobID, lease.Owner)
	return err
}

// RequeueFrontier implements spidergo.JobStore.
func (d *DB) RequeueFrontier(ctx context.Context, jobID, owner string) (int, error) {
	if _, err := d.exec(ctx, d.db, `UPDATE frontier SET state = 0, claimed_by = '', lease_until = 0
		WHERE job_id = ? AND state = 1 AND (claimed_by = ? OR lease_until < ?)`, jobID, owner, millis(d.now())); err != nil {
		return 0, err
	}
	var n int
	err := d.queryRow(ctx, d.db, `SELECT count(*) FROM frontier WHERE job_id = ?`, jobID).Scan(&n)
	return n, err
}

// OpenFrontier implements spidergo.JobStore.
func (d *DB) OpenFrontier(ctx context.Context, jobID string) (int, error) {
	var n int
	err := d.queryRow(ctx, d.db, `SELECT count(*) FROM frontier WHERE job_id = ? AND state < 2`, jobID).Scan(&n)
	return n, err
}

// SavePage implements spidergo.JobStore. A page whose entry is already done
// (a second worker, or a replay after restart) is dropped, so a job never
// holds a URL twice.
func (d *DB) SavePage(ctx context.Context, jobID string, p *spidergo.Page) error {
	return d.SavePages(ctx, jobID, []*spidergo.Page{p})
}

// SavePages is SavePage for several pages of a job in one transaction, in
// order: all are stored or none. A crawl hands the store the pages that
// finished while the previous write ran, so a busy crawl pays for one
// commit per batch rather than per page, and a crash loses only pages whose
// batch was not committed (their frontier entries are still in flight and
// are claimed again).
func (d *DB) SavePages(ctx context.Context, jobID string, pages []*spidergo.Page) error {
	if len(pages) == 0 {
		return nil
	}
	data := make([][]byte, len(pages))
	for i, p := range pages {
		var err error
		if data[i], err = encodePage(p); err != nil {
			return err
		}
	}
	d.prepareWrites(ctx, lockJob, finishEntry, countPageQuery, insertPage)
	// The job's row is locked before the entries', the order AdmitFrontier
	// takes them in too: two workers saving and admitting in one job never
	// wait on each other in a cycle.
	err := d.tx(ctx, func(tx *sql.Tx) error {
		if res, err := d.txExec(ctx, tx, lockJob, jobID); err != nil {
			return err
		} else if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFound(sql.ErrNoRows)
		}
		for i, p := range pages {
			res, err := d.txExec(ctx, tx, finishEntry, jobID, p.URL)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			seq, userID, err := d.countPageTx(ctx, tx, jobID, p)
			if err != nil {
				return err
			}
			if _, err = d.txExec(ctx, tx, insertPage, jobID, seq, userID, p.URL, millis(p.FetchedAt), !p.Failed(), string(data[i])); err != nil {
				return err
			}
		}
		return nil
	})
	if spidergo.ErrorCode(err) == spidergo.ENOTFOUND {
		return nil // the job was deleted meanwhile
	}
	return err
}

// The crawl's statements run for every page and link, prepared once on
// SQLite's writer (prepareWrites).
const (
	insertFrontier  = `INSERT INTO frontier (job_id, url, depth, parent_url, seq, fold) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	bumpFrontierSeq = `UPDATE jobs SET frontier_seq = frontier_seq + ? WHERE id = ? RETURNING frontier_seq, admitted`
	lockJob         = `UPDATE jobs SET frontier_seq = frontier_seq WHERE id = ?`
	claimEntry      = `UPDATE frontier SET state = 1, claimed_by = ?, lease_until = ? WHERE job_id = ? AND url = ?`
	finishEntry     = `UPDATE frontier SET state = 2 WHERE job_id = ? AND url = ? AND state < 2`
)

const insertPage = `INSERT INTO pages (job_id, seq, user_id, url, fetched_at, ok, data) VALUES (?, ?, ?, ?, ?, ?, ?)`

const countPageQuery = `UPDATE jobs SET total_pages = total_pages + 1, total_response_ms = total_response_ms + ?, total_payload = total_payload + ?, failed_pages = failed_pages + ?
		WHERE id = ? RETURNING total_pages, user_id`

// countPageTx is countPage inside a write transaction, its statement
// prepared once.
func (d *DB) countPageTx(ctx context.Context, tx *sql.Tx, jobID string, p *spidergo.Page) (seq int64, userID string, err error) {
	failed := 0
	if p.Failed() {
		failed = 1
	}
	err = d.txRow(ctx, tx, countPageQuery, p.ResponseTimeMS, p.PayloadSize, failed, jobID).Scan(&seq, &userID)
	return seq, userID, notFound(err)
}

// countPage adds p to the job's totals and returns the job's new page count
// (the page's seq) and its owner.
func (d *DB) countPage(ctx context.Context, q querier, jobID string, p *spidergo.Page) (seq int64, userID string, err error) {
	failed := 0
	if p.Failed() {
		failed = 1
	}
	err = d.queryRow(ctx, q, countPageQuery, p.ResponseTimeMS, p.PayloadSize, failed, jobID).Scan(&seq, &userID)
	return seq, userID, notFound(err)
}

// AddPages implements spidergo.JobStore.
func (d *DB) AddPages(ctx context.Context, jobID string, pages []*spidergo.Page) error {
	if len(pages) == 0 {
		return nil
	}
	return d.tx(ctx, func(tx *sql.Tx) error {
		for _, p := range pages {
			data, err := encodePage(p)
			if err != nil {
				return err
			}
			seq, userID, err := d.countPage(ctx, tx, jobID, p)
			if err != nil {
				return err
			}
			if _, err := d.exec(ctx, tx, `INSERT INTO pages (job_id, seq, user_id, url, fetched_at, ok, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				jobID, seq, userID, p.URL, millis(p.FetchedAt), !p.Failed(), string(data)); err != nil {
				return err
			}
		}
		return nil
	})
}

// CountPage implements spidergo.JobStore.
func (d *DB) CountPage(ctx context.Context, jobID string, p *spidergo.Page) error {
	_, _, err := d.countPage(ctx, d.db, jobID, p)
	return err
}

// AddSkipped implements spidergo.JobStore.
func (d *DB) AddSkipped(ctx context.Context, jobID string, skipped map[string]int) error {
	if len(skipped) == 0 {
		return nil
	}
	return d.tx(ctx, func(tx *sql.Tx) error { return d.addSkipped(ctx, tx, jobID, skipped) })
}

func (d *DB) addSkipped(ctx context.Context, tx *sql.Tx, jobID string, skipped map[string]int) error {
	for reason, n := range skipped {
		if n == 0 {
			continue
		}
		if _, err := d.exec(ctx, tx, `INSERT INTO job_skips (job_id, reason, count) VALUES (?, ?, ?) ON CONFLICT (job_id, reason) DO UPDATE SET count = job_skips.count + excluded.count`, jobID, reason, n); err != nil {
			return err
		}
	}
	return nil
}

// Pages implements spidergo.JobStore. The cursor is the seq of the last page
// returned.
func (d *DB) Pages(ctx context.Context, jobID, cursor string, limit int) ([]*spidergo.Page, string, error) {
	return d.pages(ctx, jobID, "", cursor, limit)
}

// FailedPages implements spidergo.JobStore.
func (d *DB) FailedPages(ctx context.Context, jobID, cursor string, limit int) ([]*spidergo.Page, string, error) {
	return d.pages(ctx, jobID, " AND NOT ok", cursor, limit)
}

func (d *DB) pages(ctx context.Context, jobID, where, cursor string, limit int) ([]*spidergo.Page, string, error) {
	var after int64
	if cursor != "" {
		var err error
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil || after < 0 {
			return nil, "", spidergo.Errorf(spidergo.EINVALID, "Invalid cursor.")
		}
	}
	rows, err := d.query(ctx, d.db, `SELECT seq, data FROM pages WHERE job_id = ? AND seq > ?`+where+` ORDER BY seq LIMIT ?`, jobID, after, limit+1)
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
