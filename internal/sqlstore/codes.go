package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
)

// PutCode implements spidergo.CodeStore. Replacing the row also resets the
// attempt counter: the new code is a new secret.
func (d *DB) PutCode(ctx context.Context, c *spidergo.Code) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = d.now().UTC()
	}
	c.Attempts = 0
	_, err := d.exec(ctx, d.db, `INSERT INTO codes (user_id, purpose, code_hash, attempts, expires_at, created_at)
		VALUES (?, ?, ?, 0, ?, ?)
		ON CONFLICT (user_id, purpose) DO UPDATE
		SET code_hash = excluded.code_hash, attempts = 0, expires_at = excluded.expires_at, created_at = excluded.created_at`,
		c.UserID, c.Purpose, c.Hash, millis(c.ExpiresAt), millis(c.CreatedAt))
	return err
}

// UseCode implements spidergo.CodeStore. The attempt is counted by one
// UPDATE … RETURNING before the hash is compared, so parallel guesses each
// pay for their try; the winning guess then deletes the row by its hash,
// and only one of two racing right guesses can delete it.
func (d *DB) UseCode(ctx context.Context, userID, purpose, hash string, now time.Time) error {
	var stored string
	var attempts int
	err := d.queryRow(ctx, d.db, `UPDATE codes SET attempts = attempts + 1
		WHERE user_id = ? AND purpose = ? AND expires_at > ? AND attempts < ?
		RETURNING code_hash, attempts`,
		userID, purpose, millis(now), spidergo.MaxCodeAttempts).Scan(&stored, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return spidergo.ErrCodeInvalid
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) == 1 {
		return affectedCode(d.exec(ctx, d.db, `DELETE FROM codes WHERE user_id = ? AND purpose = ? AND code_hash = ?`, userID, purpose, stored))
	}
	if attempts >= spidergo.MaxCodeAttempts {
		// Burnt: drop it now rather than leave a dead row until expiry.
		if _, err := d.exec(ctx, d.db, `DELETE FROM codes WHERE user_id = ? AND purpose = ? AND code_hash = ?`, userID, purpose, stored); err != nil {
			return err
		}
	}
	return spidergo.ErrCodeInvalid
}

func affectedCode(res sql.Result, err error) error {
	err = affected(res, err)
	if errors.Is(err, spidergo.ErrNotFound) {
		return spidergo.ErrCodeInvalid
	}
	return err
}

// DeleteCodes implements spidergo.CodeStore.
func (d *DB) DeleteCodes(ctx context.Context, userID string, purposes ...string) error {
	if len(purposes) == 0 {
		return nil
	}
	args := []any{userID}
	for _, p := range purposes {
		args = append(args, p)
	}
	marks := strings.Repeat(", ?", len(purposes))[2:]
	_, err := d.exec(ctx, d.db, `DELETE FROM codes WHERE user_id = ? AND purpose IN (`+marks+`)`, args...)
	return err
}
