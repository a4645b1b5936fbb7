package account

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
)

// Lifetimes of a browser session. The access token is short-lived so that
// a stolen one is worth little; the refresh token lives longer but rotates
// on every use; no rotation stretches a session past SessionMaxAge.
const (
	AccessTTL     = 15 * time.Minute
	RefreshTTL    = 7 * 24 * time.Hour
	SessionMaxAge = 30 * 24 * time.Hour
)

// Tokens are a session's secrets, handed to the browser once and stored
// only as hashes.
type Tokens struct {
	Access, Refresh string
}

// Client describes where a sign-in comes from, for the session list.
type Client struct {
	UserAgent string
	IP        string
}

// ErrNoSession is a request without a session.
var ErrNoSession = spidergo.Errorf(spidergo.EUNAUTHORIZED, "Sign in first.")

var errSessionEnded = spidergo.Errorf(spidergo.EUNAUTHORIZED, "Your session has expired or ended; sign in again.")

// StartSession signs u in: a new server-side session and its tokens.
func (s *Service) StartSession(ctx context.Context, u *spidergo.User, c Client) (*spidergo.Session, Tokens, error) {
	now := s.now().UTC()
	t := Tokens{Access: auth.NewToken(), Refresh: auth.NewToken()}
	sess := &spidergo.Session{
		UserID:           u.ID,
		AccessHash:       auth.HashToken(t.Access),
		RefreshHash:      auth.HashToken(t.Refresh),
		AccessExpiresAt:  now.Add(AccessTTL),
		RefreshExpiresAt: now.Add(RefreshTTL),
		ExpiresAt:        now.Add(SessionMaxAge),
		CreatedAt:        now,
		UserAgent:        truncateUTF8(c.UserAgent, 256),
		IP:               c.IP,
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, Tokens{}, err
	}
	return sess, t, nil
}

// Refresh trades a refresh token for new tokens and returns the session
// and its user. A token that was already rotated away ends the session
// (spidergo.ErrRefreshReused): someone holds a copy of it.
func (s *Service) Refresh(ctx context.Context, refresh string) (*spidergo.Session, *spidergo.User, Tokens, error) {
	if refresh == "" {
		return nil, nil, Tokens{}, ErrNoSession
	}
	now := s.now().UTC()
	t := Tokens{Access: auth.NewToken(), Refresh: auth.NewToken()}
	sess, err := s.store.RotateSession(ctx, auth.HashToken(refresh), spidergo.SessionRotation{
		AccessHash:       auth.HashToken(t.Access),
		RefreshHash:      auth.HashToken(t.Refresh),
		AccessExpiresAt:  now.Add(AccessTTL),
		RefreshExpiresAt: now.Add(RefreshTTL),
	}, now)
	switch {
	case errors.Is(err, spidergo.ErrRefreshReused):
		return nil, nil, Tokens{}, err
	case errors.Is(err, spidergo.ErrNotFound):
		return nil, nil, Tokens{}, errSessionEnded
	case err != nil:
		return nil, nil, Tokens{}, err
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil {
		return nil, nil, Tokens{}, err
	}
	return sess, u, t, nil
}

// Authenticate resolves an access token to a live session and its user.
func (s *Service) Authenticate(ctx context.Context, access string) (*spidergo.Session, *spidergo.User, error) {
	if access == "" {
		return nil, nil, ErrNoSession
	}
	sess, err := s.store.SessionByAccessHash(ctx, auth.HashToken(access), s.now())
	if errors.Is(err, spidergo.ErrNotFound) {
		return nil, nil, errSessionEnded
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if errors.Is(err, spidergo.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// Logout ends one session.
func (s *Service) Logout(ctx context.Context, sessionID string) error {
	err := s.store.DeleteSession(ctx, sessionID)
	if err != nil && !errors.Is(err, spidergo.ErrNotFound) {
		return err
	}
	return nil
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
