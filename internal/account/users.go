package account

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/oauth"
)

// NewUser is an account to create. Name is used when FirstName and
// LastName are both empty, split at its first space.
type NewUser struct {
	FirstName, LastName, Name string
	Email                     string
	// Password is checked against the password policy and hashed; empty
	// makes an account that signs in only through a provider.
	Password  string
	Verified  bool
	AvatarURL string
}

const maxNameLen = 100

// cleanName trims a name and refuses control characters and overlong ones.
func cleanName(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if utf8.RuneCountInString(v) > maxNameLen {
		return "", spidergo.Errorf(spidergo.EINVALID, "%s must be at most %d characters.", field, maxNameLen)
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		return "", spidergo.Errorf(spidergo.EINVALID, "%s contains characters that are not allowed.", field)
	}
	return v, nil
}

// check normalizes and validates n in place, without the password hash.
func (n *NewUser) check() error {
	email, err := auth.NormalizeEmail(n.Email)
	if err != nil {
		return err
	}
	n.Email = email
	if strings.TrimSpace(n.FirstName) == "" && strings.TrimSpace(n.LastName) == "" {
		n.FirstName, n.LastName = oauth.SplitName(n.Name)
	}
	if n.FirstName, err = cleanName("first_name", n.FirstName); err != nil {
		return err
	}
	if n.LastName, err = cleanName("last_name", n.LastName); err != nil {
		return err
	}
	if n.Password != "" {
		return auth.CheckPassword(n.Password, email)
	}
	return nil
}

var errEmailTaken = spidergo.Errorf(spidergo.ECONFLICT, "An account with this email already exists.")

// CreateUser creates an account: the one place where accounts are made,
// whether by sign-up, by a provider's first sign-in or by an operator.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (*spidergo.User, error) {
	if err := n.check(); err != nil {
		return nil, err
	}
	return s.createChecked(ctx, n)
}

func (s *Service) createChecked(ctx context.Context, n NewUser) (*spidergo.User, error) {
	u := &spidergo.User{FirstName: n.FirstName, LastName: n.LastName, Email: n.Email, IsVerified: n.Verified, AvatarURL: avatar(n.AvatarURL)}
	if n.Password != "" {
		hash, err := s.hasher.Hash(ctx, n.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = hash
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, spidergo.ErrEmailTaken) {
			return nil, &spidergo.Error{Code: spidergo.ECONFLICT, Message: errEmailTaken.Message, Err: err}
		}
		return nil, err
	}
	return u, nil
}

// Register creates an account with a password for someone signing up from
// addr and mails its verification code. The sign-up throttle counts only
// valid input, so typos cost nothing; what it limits is account creation
// and probing which addresses are taken.
func (s *Service) Register(ctx context.Context, n NewUser, addr netip.Addr) (*spidergo.User, error) {
	n.Verified, n.AvatarURL = false, ""
	if err := n.check(); err != nil {
		return nil, err
	}
	if n.Password == "" {
		// check skips the policy for provider-only accounts; sign-up
		// needs a password, and the policy words why.
		return nil, auth.CheckPassword("", n.Email)
	}
	if err := s.throttle(s.limits.registerIP, auth.AddrKey(addr)); err != nil {
		return nil, err
	}
	u, err := s.createChecked(ctx, n)
	if err != nil {
		return nil, err
	}
	if err := s.sendCode(ctx, u, spidergo.CodeVerifyEmail); err != nil {
		// The account exists either way; the user can ask for another code.
		s.log.Error("storing a verification code failed", "user_id", u.ID, "err", err)
	}
	return u, nil
}

// Delete deletes an account. Its sessions, codes, identities, keys and
// history go with it by foreign-key cascade.
func (s *Service) Delete(ctx context.Context, userID string) error {
	// Running jobs go first, or they would go on fetching for an account
	// that no longer exists.
	if s.cancelJobs != nil {
		if err := s.cancelJobs(ctx, userID); err != nil {
			return err
		}
	}
	if err := s.store.DeleteUser(ctx, userID); err != nil && !errors.Is(err, spidergo.ErrNotFound) {
		return err
	}
	s.log.Info("account deleted", "user_id", userID)
	return nil
}

// avatar keeps a provider's picture URL only when it is https and of sane
// length, since the dashboard puts it in an img tag.
func avatar(u string) string {
	if strings.HasPrefix(u, "https://") && len(u) <= 2048 {
		return u
	}
	return ""
}
