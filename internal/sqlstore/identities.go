package sqlstore

import (
	"context"

	"github.com/spidergo/spidergo"
)

// IdentityBySubject implements spidergo.IdentityStore.
func (d *DB) IdentityBySubject(ctx context.Context, provider, subject string) (*spidergo.Identity, error) {
	var id spidergo.Identity
	var created int64
	err := d.queryRow(ctx, d.db, `SELECT provider, subject, user_id, email, created_at FROM oauth_identities
		WHERE provider = ? AND subject = ?`, provider, subject).Scan(&id.Provider, &id.Subject, &id.UserID, &id.Email, &created)
	if err != nil {
		return nil, notFound(err)
	}
	id.CreatedAt = fromMillis(created)
	return &id, nil
}

// CreateIdentity implements spidergo.IdentityStore.
func (d *DB) CreateIdentity(ctx context.Context, id *spidergo.Identity) error {
	if id.CreatedAt.IsZero() {
		id.CreatedAt = d.now().UTC()
	}
	_, err := d.exec(ctx, d.db, `INSERT INTO oauth_identities (provider, subject, user_id, email, created_at) VALUES (?, ?, ?, ?, ?)`,
		id.Provider, id.Subject, id.UserID, id.Email, millis(id.CreatedAt))
	if isUniqueViolation(err) {
		return spidergo.ErrIdentityLinked
	}
	return err
}
