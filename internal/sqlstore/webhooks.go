package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spidergo/spidergo"
)

// WebhookSecret implements spidergo.UserStore: it returns the user's
// signing secret, making one the first time. Racing first calls agree on
// one secret because only an empty secret is ever replaced.
func (d *DB) WebhookSecret(ctx context.Context, userID string) (string, error) {
	if _, err := d.exec(ctx, d.db, `UPDATE users SET webhook_secret = ? WHERE id = ? AND webhook_secret = ''`, newWebhookSecret(), userID); err != nil {
		return "", err
	}
	var s string
	err := d.queryRow(ctx, d.db, `SELECT webhook_secret FROM users WHERE id = ?`, userID).Scan(&s)
	return s, notFound(err)
}

// RotateWebhookSecret implements spidergo.UserStore.
func (d *DB) RotateWebhookSecret(ctx context.Context, userID string) (string, error) {
	s := newWebhookSecret()
	if err := affected(d.exec(ctx, d.db, `UPDATE users SET webhook_secret = ? WHERE id = ?`, s, userID)); err != nil {
		return "", err
	}
	return s, nil
}

func newWebhookSecret() string { return "whsec_" + spidergo.NewID() + spidergo.NewID() }

// deliveryColumns are the columns scanDelivery reads, in its order.
const deliveryColumns = `id, job_id, user_id, seq, event, payload, url, headers, attempts, last_status, last_error, state, next_attempt_at, created_at, updated_at, delivered_at`

func scanDelivery(s scanner) (*spidergo.WebhookDelivery, error) {
	var d spidergo.WebhookDelivery
	var payload, headers string
	var next, created, updated, delivered int64
	if err := s.Scan(&d.ID, &d.JobID, &d.UserID, &d.Seq, &d.Event, &payload, &d.URL, &headers, &d.Attempts, &d.LastStatus, &d.LastError, &d.State,
		&next, &created, &updated, &delivered); err != nil {
		return nil, err
	}
	d.Payload = []byte(payload)
	if err := json.Unmarshal([]byte(headers), &d.Headers); err != nil {
		return nil, fmt.Errorf("webhook delivery %s: headers: %w", d.ID, err)
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt, d.DeliveredAt = fromMillis(next), fromMillis(created), fromMillis(updated), fromMillis(delivered)
	return &d, nil
}

// AddDelivery implements spidergo.DeliveryStore.
func (d *DB) AddDelivery(ctx context.Context, w *spidergo.WebhookDelivery) error {
	return d.AddDeliveryWith(ctx, w, nil)
}

// AddDeliveryWith is AddDelivery running also in the same transaction
// (the River job that sends it, on PostgreSQL).
func (d *DB) AddDeliveryWith(ctx context.Context, w *spidergo.WebhookDelivery, also func(tx *sql.Tx) error) error {
	headers, err := json.Marshal(w.Headers)
	if err != nil {
		return err
	}
	if w.Headers == nil {
		headers = []byte("{}")
	}
	now := d.now().UTC()
	id := spidergo.NewID()
	return d.tx(ctx, func(tx *sql.Tx) error {
		var seq int64
		if err := d.queryRow(ctx, tx, `UPDATE jobs SET webhook_seq = webhook_seq + 1 WHERE id = ? RETURNING webhook_seq`, w.JobID).Scan(&seq); err != nil {
			return notFound(err)
		}
		if _, err := d.exec(ctx, tx, `INSERT INTO webhook_deliveries (id, job_id, user_id, seq, event, payload, url, headers, state, next_attempt_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, w.JobID, w.UserID, seq, w.Event, string(w.Payload), w.URL, string(headers), spidergo.DeliveryPending, millis(now), millis(now), millis(now)); err != nil {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		w.ID, w.Seq, w.State = id, seq, spidergo.DeliveryPending
		w.Attempts, w.LastStatus, w.LastError = 0, 0, ""
		w.NextAttemptAt, w.CreatedAt, w.UpdatedAt, w.DeliveredAt = fromMillis(millis(now)), fromMillis(millis(now)), fromMillis(millis(now)), time.Time{}
		return nil
	})
}

// Deliveries implements spidergo.DeliveryStore; the cursor is the last
// delivery's seq.
func (d *DB) Deliveries(ctx context.Context, jobID, cursor string, limit int) ([]*spidergo.WebhookDelivery, string, error) {
	var after int64
	if cursor != "" {
		var err error
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil || after < 0 {
			return nil, "", spidergo.Errorf(spidergo.EINVALID, "Invalid cursor.")
		}
	}
	out, err := queryAll(ctx, d, scanDelivery, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?`, jobID, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(out[limit-1].Seq, 10)
	}
	return out, next, nil
}

// DeliveryByID implements spidergo.DeliveryStore.
func (d *DB) DeliveryByID(ctx context.Context, jobID, id string) (*spidergo.WebhookDelivery, error) {
	w, err := scanDelivery(d.queryRow(ctx, d.db, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE job_id = ? AND id = ?`, jobID, id))
	return w, notFound(err)
}

// ClaimDelivery implements spidergo.DeliveryStore. On PostgreSQL the head
// row is locked, so racing claimers see each other's lease.
func (d *DB) ClaimDelivery(ctx context.Context, jobID string, lease spidergo.Lease, now time.Time) (*spidergo.WebhookDelivery, time.Time, error) {
	var claimed *spidergo.WebhookDelivery
	var wait time.Time
	lock := ""
	if d.postgres {
		lock = " FOR UPDATE"
	}
	err := d.tx(ctx, func(tx *sql.Tx) error {
		var id, owner string
		var next, until int64
		err := d.queryRow(ctx, tx, `SELECT id, next_attempt_at, claimed_by, lease_until FROM webhook_deliveries
			WHERE job_id = ? AND state = ? ORDER BY seq LIMIT 1`+lock, jobID, spidergo.DeliveryPending).Scan(&id, &next, &owner, &until)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		case until > millis(now) && owner != lease.Owner:
			wait = fromMillis(until)
			return nil
		case next > millis(now):
			wait = fromMillis(next)
			return nil
		}
		if _, err := d.exec(ctx, tx, `UPDATE webhook_deliveries SET claimed_by = ?, lease_until = ? WHERE id = ?`, lease.Owner, millis(lease.Until), id); err != nil {
			return err
		}
		claimed, err = scanDelivery(d.queryRow(ctx, tx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ?`, id))
		return err
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	return claimed, wait, nil
}

// FinishDelivery implements spidergo.DeliveryStore.
func (d *DB) FinishDelivery(ctx context.Context, w *spidergo.WebhookDelivery, owner string, at time.Time) error {
	res, err := d.exec(ctx, d.db, `UPDATE webhook_deliveries SET attempts = ?, last_status = ?, last_error = ?, state = ?, next_attempt_at = ?,
		delivered_at = ?, updated_at = ?, claimed_by = '', lease_until = 0 WHERE id = ? AND claimed_by = ?`,
		w.Attempts, w.LastStatus, w.LastError, w.State, millis(w.NextAttemptAt), millis(w.DeliveredAt), millis(at), w.ID, owner)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return spidergo.Errorf(spidergo.ECONFLICT, "The delivery is no longer claimed by %s.", owner)
	}
	w.UpdatedAt = fromMillis(millis(at))
	return nil
}

// RedeliverDelivery implements spidergo.DeliveryStore. A claim in progress
// is left alone: its sender records its attempt over this one.
func (d *DB) RedeliverDelivery(ctx context.Context, jobID, id string, at time.Time) (*spidergo.WebhookDelivery, error) {
	if err := affected(d.exec(ctx, d.db, `UPDATE webhook_deliveries SET state = ?, attempts = 0, next_attempt_at = ?, updated_at = ? WHERE job_id = ? AND id = ?`,
		spidergo.DeliveryPending, millis(at), millis(at), jobID, id)); err != nil {
		return nil, err
	}
	w, err := scanDelivery(d.queryRow(ctx, d.write, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE job_id = ? AND id = ?`, jobID, id))
	return w, notFound(err)
}

// DueDeliveryJobs implements spidergo.DeliveryStore.
func (d *DB) DueDeliveryJobs(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return queryAll(ctx, d, func(s scanner) (string, error) {
		var id string
		return id, s.Scan(&id)
	}, `SELECT w.job_id FROM webhook_deliveries w
		WHERE w.state = ? AND w.next_attempt_at <= ? AND w.lease_until <= ?
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.job_id = w.job_id AND e.state = ? AND e.seq < w.seq)
		ORDER BY w.next_attempt_at LIMIT ?`, spidergo.DeliveryPending, millis(now), millis(now), spidergo.DeliveryPending, limit)
}
