package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
)

const apiKeyColumns = `id, user_id, name, key_hash, last4, daily_limit, is_active, created_at, last_used_at, revoked_at`

func scanAPIKey(row scanner) (*spidergo.APIKey, error) {
	var k spidergo.APIKey
	var created, used, revoked int64
	if err := row.Scan(&k.ID, &k.UserID, &k.Name, &k.Hash, &k.Last4, &k.DailyLimit, &k.IsActive, &created, &used, &revoked); err != nil {
		return nil, notFound(err)
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMillis(created), fromMillis(used), fromMillis(revoked)
	return &k, nil
}

// CreateAPIKey implements spidergo.APIKeyStore.
//
// The active-key limit must hold against racing creates. On SQLite the
// transaction is IMMEDIATE (see Connect), so it holds the database's one
// write lock from its start. On PostgreSQL the user's row is locked first:
// every create for that user queues behind it, and each then counts what
// the previous ones committed. NO KEY UPDATE is the weakest lock that
// conflicts with itself, so foreign-key checks of other tables that point
// at the user are not held up.
func (d *DB) CreateAPIKey(ctx context.Context, k *spidergo.APIKey, maxActive int) error {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = d.now().UTC()
	}
	k.IsActive = true
	return d.tx(ctx, func(tx *sql.Tx) error {
		lock := `SELECT id FROM users WHERE id = ?`
		if d.postgres {
			lock += ` FOR NO KEY UPDATE`
		}
		var id string
		if err := d.queryRow(ctx, tx, lock, k.UserID).Scan(&id); err != nil {
			return notFound(err)
		}
		// The casts give PostgreSQL the parameter types it cannot infer
		// from a SELECT list.
		res, err := d.exec(ctx, tx, `INSERT INTO api_keys (id, user_id, name, key_hash, last4, daily_limit, is_active, created_at)
			SELECT ?, ?, ?, ?, ?, CAST(? AS INTEGER), TRUE, CAST(? AS BIGINT)
			WHERE (SELECT count(*) FROM api_keys WHERE user_id = ? AND is_active) < CAST(? AS INTEGER)`,
			k.ID, k.UserID, k.Name, k.Hash, k.Last4, k.DailyLimit, millis(k.CreatedAt), k.UserID, maxActive)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return spidergo.ErrKeyLimit
		}
		return nil
	})
}

// APIKeyByHash implements spidergo.APIKeyStore.
func (d *DB) APIKeyByHash(ctx context.Context, hash string) (*spidergo.APIKey, error) {
	return scanAPIKey(d.hotRow(ctx, d.db, `SELECT `+apiKeyColumns+` FROM api_keys WHERE key_hash = ?`, hash))
}

// apiKeyAndUsage reads a key by its hash and the key's count for a day, in
// one statement and so one read transaction (SQLite) or one round trip
// (PostgreSQL).
var apiKeyAndUsage = `SELECT k.` + strings.ReplaceAll(apiKeyColumns, ", ", ", k.") + `, COALESCE(u.used, 0)
	FROM api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.id AND u.day = ?
	WHERE k.key_hash = ?`

// APIKeyAndUsage returns the key (active or not) whose Hash is hash, as
// APIKeyByHash does, with its quota count for day, as QuotaUsed would
// read it: the /v1 gate's read when the database counts the quota, at the
// cost of one query instead of two.
func (d *DB) APIKeyAndUsage(ctx context.Context, hash, day string) (*spidergo.APIKey, int, error) {
	var used int
	k, err := scanAPIKey(withCount{d.hotRow(ctx, d.db, apiKeyAndUsage, day, hash), &used})
	if err != nil {
		return nil, 0, err
	}
	return k, used, nil
}

// withCount scans a key's row followed by one more integer column.
type withCount struct {
	row   scanner
	count *int
}

func (w withCount) Scan(dest ...any) error { return w.row.Scan(append(dest, w.count)...) }

// APIKeyByID implements spidergo.APIKeyStore.
func (d *DB) APIKeyByID(ctx context.Context, id string) (*spidergo.APIKey, error) {
	return scanAPIKey(d.queryRow(ctx, d.db, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ?`, id))
}

// ListAPIKeys implements spidergo.APIKeyStore.
func (d *DB) ListAPIKeys(ctx context.Context, userID string, includeRevoked bool) ([]*spidergo.APIKey, error) {
	q := `SELECT ` + apiKeyColumns + ` FROM api_keys WHERE user_id = ?`
	if !includeRevoked {
		q += ` AND is_active`
	}
	return queryAll(ctx, d, scanAPIKey, q+` ORDER BY created_at, id`, userID)
}

// RevokeAPIKey implements spidergo.APIKeyStore.
func (d *DB) RevokeAPIKey(ctx context.Context, userID, id string) (*spidergo.APIKey, error) {
	// The is_active condition keeps the first revocation time when a key
	// is revoked twice.
	if _, err := d.exec(ctx, d.db, `UPDATE api_keys SET is_active = FALSE, revoked_at = ? WHERE id = ? AND user_id = ? AND is_active`,
		millis(d.now().UTC()), id, userID); err != nil {
		return nil, err
	}
	return scanAPIKey(d.queryRow(ctx, d.db, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ? AND user_id = ?`, id, userID))
}

// RevokeUserAPIKeys implements spidergo.APIKeyStore. The keys are read
// and revoked in one transaction, so the list returned is exactly the set
// this call turned off, whatever else revokes keys meanwhile.
func (d *DB) RevokeUserAPIKeys(ctx context.Context, userID string) ([]*spidergo.APIKey, error) {
	var out []*spidergo.APIKey
	err := d.tx(ctx, func(tx *sql.Tx) error {
		at := millis(d.now().UTC())
		rows, err := d.query(ctx, tx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE user_id = ? AND is_active ORDER BY created_at, id`, userID)
		if err != nil {
			return err
		}
		for rows.Next() {
			k, err := scanAPIKey(rows)
			if err != nil {
				rows.Close()
				return err
			}
			k.IsActive, k.RevokedAt = false, fromMillis(at)
			out = append(out, k)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = d.exec(ctx, tx, `UPDATE api_keys SET is_active = FALSE, revoked_at = ? WHERE user_id = ? AND is_active`, at, userID)
		return err
	})
	return out, err
}

// TouchAPIKeys implements spidergo.APIKeyStore. One transaction carries
// the whole batch, so a busy server pays one commit per flush rather than
// one per request.
func (d *DB) TouchAPIKeys(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	return d.tx(ctx, func(tx *sql.Tx) error {
		for id, t := range used {
			ms := millis(t)
			if _, err := d.exec(ctx, tx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND last_used_at < ?`, ms, id, ms); err != nil {
				return err
			}
		}
		return nil
	})
}

// TakeQuota implements spidergo.QuotaCounter with one statement: the
// upsert either creates the day's row at 1 or adds 1 under the row lock
// only while used < limit, so concurrent requests, in this process or any
// other, can never push the count past the limit.
func (d *DB) TakeQuota(ctx context.Context, keyID, day string, limit int) (int, bool, error) {
	if limit < 1 {
		used, err := d.QuotaUsed(ctx, keyID, day)
		return used, false, err
	}
	var used int
	err := d.quotaWrite(ctx, func(q querier) error {
		return d.hotRow(ctx, q, `INSERT INTO api_key_usage (key_id, day, used) VALUES (?, ?, 1)
			ON CONFLICT (key_id, day) DO UPDATE SET used = api_key_usage.used + 1 WHERE api_key_usage.used < ?
			RETURNING used`, keyID, day, limit).Scan(&used)
	})
	if errors.Is(err, sql.ErrNoRows) {
		used, err := d.QuotaUsed(ctx, keyID, day)
		return used, false, err
	}
	if err != nil {
		return 0, false, err
	}
	return used, true, nil
}

// ReturnQuota implements spidergo.QuotaCounter.
func (d *DB) ReturnQuota(ctx context.Context, keyID, day string) error {
	return d.quotaWrite(ctx, func(q querier) error {
		_, err := d.exec(ctx, q, `UPDATE api_key_usage SET used = used - 1 WHERE key_id = ? AND day = ? AND used > 0`, keyID, day)
		return err
	})
}

// quotaWrite runs one quota statement. On PostgreSQL it runs in a
// transaction that does not wait for its WAL flush, so a work request
// never waits for a disk sync: measured on a busy disk, the gate went from
// 1.1–3.3 ms to 0.5–0.8 ms per work request. The count is still exact
// under concurrency (the row lock and visibility are unchanged); what a
// crash of the database itself can lose is its last fraction of a second
// of counts, the same trade SQLite makes here with synchronous=NORMAL.
func (d *DB) quotaWrite(ctx context.Context, fn func(q querier) error) error {
	if !d.postgres {
		return fn(d.db)
	}
	return d.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit TO OFF`); err != nil {
			return err
		}
		return fn(tx)
	})
}

// QuotaUsed implements spidergo.QuotaCounter.
func (d *DB) QuotaUsed(ctx context.Context, keyID, day string) (int, error) {
	var used int
	err := d.hotRow(ctx, d.db, `SELECT used FROM api_key_usage WHERE key_id = ? AND day = ?`, keyID, day).Scan(&used)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return used, err
}

// QuotaUsage implements spidergo.QuotaCounter. Days are ISO dates, so text
// order is date order.
func (d *DB) QuotaUsage(ctx context.Context, keyID, from, to string) ([]spidergo.DayCount, error) {
	rows, err := d.query(ctx, d.db, `SELECT day, used FROM api_key_usage WHERE key_id = ? AND day >= ? AND day <= ? AND used > 0 ORDER BY day`, keyID, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []spidergo.DayCount
	for rows.Next() {
		var c spidergo.DayCount
		if err := rows.Scan(&c.Day, &c.Used); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
