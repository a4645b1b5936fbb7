package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/spidergo/spidergo"
)

const sessionColumns = `id, user_id, access_hash, refresh_hash, access_expires_at, refresh_expires_at, expires_at, created_at, last_used_at, user_agent, ip`

func scanSession(row interface{ Scan(...any) error }) (*spidergo.Session, error) {
	var s spidergo.Session
	var access, refresh, expires, created, used int64
	if err := row.Scan(&s.ID, &s.UserID, &s.AccessHash, &s.RefreshHash, &access, &refresh, &expires, &created, &used, &s.UserAgent, &s.IP); err != nil {
		return nil, notFound(err)
	}
	s.AccessExpiresAt, s.RefreshExpiresAt, s.ExpiresAt = fromMillis(access), fromMillis(refresh), fromMillis(expires)
	s.CreatedAt, s.LastUsedAt = fromMillis(created), fromMillis(used)
	return &s, nil
}

// CreateSession implements spidergo.SessionStore.
func (d *DB) CreateSession(ctx context.Context, s *spidergo.Session) error {
	if s.ID == "" {
		s.ID = spidergo.NewID()
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = d.now().UTC()
	}
	if s.LastUsedAt.IsZero() {
		s.LastUsedAt = s.CreatedAt
	}
	_, err := d.exec(ctx, d.db, `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.UserID, s.AccessHash, s.RefreshHash, millis(s.AccessExpiresAt), millis(s.RefreshExpiresAt), millis(s.ExpiresAt),
		millis(s.CreatedAt), millis(s.LastUsedAt), s.UserAgent, s.IP)
	return err
}

// SessionByAccessHash implements spidergo.SessionStore.
func (d *DB) SessionByAccessHash(ctx context.Context, hash string, now time.Time) (*spidergo.Session, error) {
	n := millis(now)
	return scanSession(d.queryRow(ctx, d.db, `SELECT `+sessionColumns+` FROM sessions
		WHERE access_hash = ? AND access_expires_at > ? AND expires_at > ?`, hash, n, n))
}

// RotateSession implements spidergo.SessionStore. The UPDATE names the old
// refresh hash in its WHERE clause, so when two rotations race the second
// finds no row (PostgreSQL re-checks the clause after the first commits;
// SQLite runs writers one at a time) and counts as a reuse.
func (d *DB) RotateSession(ctx context.Context, refreshHash string, next spidergo.SessionRotation, now time.Time) (*spidergo.Session, error) {
	var out *spidergo.Session
	reused := false
	err := d.tx(ctx, func(tx *sql.Tx) error {
		n := millis(now)
		row := d.queryRow(ctx, tx, `UPDATE sessions
			SET access_hash = ?, refresh_hash = ?, access_expires_at = ?, refresh_expires_at = ?, last_used_at = ?
			WHERE refresh_hash = ? AND refresh_expires_at > ? AND expires_at > ?
			RETURNING `+sessionColumns,
			next.AccessHash, next.RefreshHash, millis(next.AccessExpiresAt), millis(next.RefreshExpiresAt), n,
			refreshHash, n, n)
		s, err := scanSession(row)
		if err == nil {
			out = s
			_, err = d.exec(ctx, tx, `INSERT INTO retired_refresh_tokens (hash, session_id, retired_at) VALUES (?, ?, ?)`, refreshHash, s.ID, n)
			return err
		}
		if !errors.Is(err, spidergo.ErrNotFound) {
			return err
		}
		// Not a live token: if it is one we retired, its session is
		// compromised and ends now.
		var sessionID string
		err = d.queryRow(ctx, tx, `SELECT session_id FROM retired_refresh_tokens WHERE hash = ?`, refreshHash).Scan(&sessionID)
		if errors.Is(err, sql.ErrNoRows) {
			return spidergo.ErrNotFound
		}
		if err != nil {
			return err
		}
		reused = true
		_, err = d.exec(ctx, tx, `DELETE FROM sessions WHERE id = ?`, sessionID)
		return err
	})
	if reused && err == nil {
		return nil, spidergo.ErrRefreshReused
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteSession implements spidergo.SessionStore.
func (d *DB) DeleteSession(ctx context.Context, id string) error {
	return affected(d.exec(ctx, d.db, `DELETE FROM sessions WHERE id = ?`, id))
}

// DeleteUserSessions implements spidergo.SessionStore.
func (d *DB) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := d.exec(ctx, d.db, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return err
}

// DeleteExpired implements spidergo.SessionStore. A session is kept until
// its refresh token expires, whatever its access token does.
func (d *DB) DeleteExpired(ctx context.Context, now time.Time) error {
	n := millis(now)
	if _, err := d.exec(ctx, d.db, `DELETE FROM sessions WHERE refresh_expires_at <= ? OR expires_at <= ?`, n, n); err != nil {
		return err
	}
	_, err := d.exec(ctx, d.db, `DELETE FROM codes WHERE expires_at <= ?`, n)
	return err
}
