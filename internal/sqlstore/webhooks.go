package sqlstore

import (
	"context"

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
