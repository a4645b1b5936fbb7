package sqlstore

import (
	"context"
	"database/sql"

	"github.com/spidergo/spidergo"
)

const userColumns = `id, first_name, last_name, email, password_hash, is_verified, avatar_url, created_at, updated_at`

func scanUser(row scanner) (*spidergo.User, error) {
	var u spidergo.User
	var created, updated int64
	if err := row.Scan(&u.ID, &u.FirstName, &u.LastName, &u.Email, &u.PasswordHash, &u.IsVerified, &u.AvatarURL, &created, &updated); err != nil {
		return nil, notFound(err)
	}
	u.CreatedAt, u.UpdatedAt = fromMillis(created), fromMillis(updated)
	return &u, nil
}

// CreateUser implements spidergo.UserStore.
func (d *DB) CreateUser(ctx context.Context, u *spidergo.User) error {
	if u.ID == "" {
		u.ID = spidergo.NewID()
	}
	now := d.now().UTC()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	u.UpdatedAt = now
	_, err := d.exec(ctx, d.db, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.FirstName, u.LastName, u.Email, u.PasswordHash, u.IsVerified, u.AvatarURL, millis(u.CreatedAt), millis(u.UpdatedAt))
	if isUniqueViolation(err) {
		return spidergo.ErrEmailTaken
	}
	return err
}

// UserByID implements spidergo.UserStore.
func (d *DB) UserByID(ctx context.Context, id string) (*spidergo.User, error) {
	return scanUser(d.queryRow(ctx, d.db, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// UserByEmail implements spidergo.UserStore.
func (d *DB) UserByEmail(ctx context.Context, email string) (*spidergo.User, error) {
	return scanUser(d.queryRow(ctx, d.db, `SELECT `+userColumns+` FROM users WHERE email = ?`, email))
}

// ListUsers implements spidergo.UserStore.
func (d *DB) ListUsers(ctx context.Context) ([]*spidergo.User, error) {
	return queryAll(ctx, d, scanUser, `SELECT `+userColumns+` FROM users ORDER BY created_at, id`)
}

// UpdateUser implements spidergo.UserStore.
func (d *DB) UpdateUser(ctx context.Context, u *spidergo.User) error {
	u.UpdatedAt = d.now().UTC()
	res, err := d.exec(ctx, d.db, `UPDATE users SET first_name = ?, last_name = ?, email = ?, password_hash = ?, is_verified = ?, avatar_url = ?, updated_at = ? WHERE id = ?`,
		u.FirstName, u.LastName, u.Email, u.PasswordHash, u.IsVerified, u.AvatarURL, millis(u.UpdatedAt), u.ID)
	if isUniqueViolation(err) {
		return spidergo.ErrEmailTaken
	}
	return affected(res, err)
}

// DeleteUser implements spidergo.UserStore.
func (d *DB) DeleteUser(ctx context.Context, id string) error {
	return affected(d.exec(ctx, d.db, `DELETE FROM users WHERE id = ?`, id))
}

// affected turns "no row changed" into ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return spidergo.ErrNotFound
	}
	return nil
}
