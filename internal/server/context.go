package server

import (
	"context"

	"github.com/spidergo/spidergo"
)

const (
	userKey ctxKey = iota + 100
	userIDKey
)

// withUser records the signed-in user (cookie session) of a request.
func withUser(ctx context.Context, u *spidergo.User) context.Context {
	return withUserID(context.WithValue(ctx, userKey, u), u.ID)
}

// userFrom returns the signed-in user, or nil on routes without a session.
func userFrom(ctx context.Context) *spidergo.User {
	u, _ := ctx.Value(userKey).(*spidergo.User)
	return u
}

// withUserID records whom a request acts for: the session's user or the
// owner of the API key.
func withUserID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, userIDKey, id)
}

// userIDFrom returns whom the request acts for, "" when nobody.
func userIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(userIDKey).(string)
	return id
}
