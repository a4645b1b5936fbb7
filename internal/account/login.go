package account

import (
	"context"
	"errors"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
)

// ErrBadLogin answers a wrong email or password alike.
var ErrBadLogin = spidergo.Errorf(spidergo.EUNAUTHORIZED, "Invalid email or password.")

// Login checks a password. An unknown email and a wrong password get the
// same answer after the same argon2 work. The caller counted the attempt
// against LoginAddr already; the per-email throttle is counted here.
func (s *Service) Login(ctx context.Context, email, password string) (*spidergo.User, error) {
	email, err := auth.NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if err := s.throttle(s.limits.loginEmail, email); err != nil {
		return nil, err
	}
	u, err := s.checkPassword(ctx, email, password)
	if err != nil {
		return nil, err
	}
	if s.requireVerification && !u.IsVerified {
		// Said only after the right password, so it reveals nothing to a
		// guesser.
		return nil, &spidergo.Error{
			Code:    spidergo.EFORBIDDEN,
			Message: "Verify your email address before signing in; POST /auth/resend-email sends a new code.",
			Details: map[string]any{"requires_verification": true},
		}
	}
	return u, nil
}

// checkPassword returns the account with email when password is its
// password, else ErrBadLogin. A hash made with older parameters is
// replaced while the password is at hand.
func (s *Service) checkPassword(ctx context.Context, email, password string) (*spidergo.User, error) {
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, spidergo.ErrNotFound) {
		return nil, err
	}
	if u == nil || u.PasswordHash == "" {
		// No password to check (no account, or an OAuth-only one): spend
		// the same work on a dummy hash.
		s.hasher.Verify(ctx, password, s.dummy(ctx))
		return nil, ErrBadLogin
	}
	ok, rehash, err := s.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrBadLogin
	}
	if rehash {
		if h, err := s.hasher.Hash(ctx, password); err == nil {
			u.PasswordHash = h
			if err := s.store.UpdateUser(ctx, u); err != nil {
				s.log.Warn("replacing an outdated password hash failed", "user_id", u.ID, "err", err)
			}
		}
	}
	return u, nil
}

func (s *Service) dummy(ctx context.Context) string {
	s.dummyOnce.Do(func() {
		s.dummyHash, _ = s.hasher.Hash(ctx, auth.NewToken())
	})
	return s.dummyHash
}

// ChangePassword replaces u's password after checking the current one.
// Every session ends, since one of them may be why the password is
// changing; the caller starts a fresh one.
func (s *Service) ChangePassword(ctx context.Context, u *spidergo.User, current, next string) error {
	if err := s.throttle(s.limits.loginEmail, u.Email); err != nil {
		return err
	}
	if u.PasswordHash == "" {
		return spidergo.Errorf(spidergo.EINVALID, "This account signs in through a provider and has no password; POST /auth/forgot-password sets one.")
	}
	if _, err := s.checkPassword(ctx, u.Email, current); err != nil {
		if errors.Is(err, ErrBadLogin) {
			return spidergo.Errorf(spidergo.EUNAUTHORIZED, "The current password is wrong.")
		}
		return err
	}
	if err := auth.CheckPassword(next, u.Email); err != nil {
		return err
	}
	return s.setPassword(ctx, u, next)
}

// setPassword stores a new password and ends every session of u.
func (s *Service) setPassword(ctx context.Context, u *spidergo.User, password string) error {
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return err
	}
	return s.store.DeleteUserSessions(ctx, u.ID)
}
