package account

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/mail"
)

// VerifyResetCode trades a reset code for a short-lived reset token, so
// that a form can check the code before asking for the new password.
func (s *Service) VerifyResetCode(ctx context.Context, email, code string) (string, error) {
	u, err := s.useCode(ctx, email, spidergo.CodeResetPassword, code)
	if err != nil {
		return "", err
	}
	token := auth.NewToken()
	c := &spidergo.Code{UserID: u.ID, Purpose: spidergo.CodeResetToken, Hash: auth.HashCode(u.ID, spidergo.CodeResetToken, token), ExpiresAt: s.now().Add(ResetTokenTTL)}
	if err := s.store.PutCode(ctx, c); err != nil {
		return "", err
	}
	return token, nil
}

// Reset is a password reset: the email, one of the reset token (from
// VerifyResetCode) or the mailed code, and the new password.
type Reset struct {
	Email, ResetToken, Code, Password string
}

// ResetPassword sets a new password and ends every session of the
// account. Reading the mail proves the address: an unverified account is
// claimed (see claim); on a verified one the owner is mailed the list of
// active API keys with their last use, so a key they do not know can be
// revoked.
func (s *Service) ResetPassword(ctx context.Context, in Reset) error {
	email, err := auth.NormalizeEmail(in.Email)
	if err != nil {
		return err
	}
	// Check the password first: a weak one must not spend the code.
	if err := auth.CheckPassword(in.Password, email); err != nil {
		return err
	}
	var u *spidergo.User
	switch {
	case in.ResetToken != "":
		u, err = s.useSecret(ctx, email, spidergo.CodeResetToken, in.ResetToken)
	case in.Code != "":
		u, err = s.useCode(ctx, email, spidergo.CodeResetPassword, in.Code)
	default:
		return spidergo.Errorf(spidergo.EINVALID, "Send reset_token (from /auth/verify-reset-code) or the code from the mail.")
	}
	if err != nil {
		return err
	}
	wasVerified := u.IsVerified
	if !wasVerified {
		if err := s.claim(ctx, u, claimByReset); err != nil {
			return err
		}
	}
	if err := s.setPassword(ctx, u, in.Password); err != nil {
		return err
	}
	if err := s.store.DeleteCodes(ctx, u.ID, spidergo.CodeResetPassword, spidergo.CodeResetToken); err != nil {
		return err
	}
	if wasVerified {
		s.mailResetNotice(ctx, u)
	}
	return nil
}

// mailResetNotice tells a verified account's owner that the password was
// reset and lists the API keys that still work, since a reset is often
// the answer to someone else being in.
func (s *Service) mailResetNotice(ctx context.Context, u *spidergo.User) {
	keys, err := s.store.ListAPIKeys(ctx, u.ID, false)
	if err != nil {
		s.log.Error("listing API keys for the reset mail failed", "user_id", u.ID, "err", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\nThe password of your SpiderGo account was reset and every session was signed out.\n\n", greeting(u.FirstName))
	if len(keys) == 0 {
		b.WriteString("Your account has no active API keys.\n")
	} else {
		b.WriteString("These API keys still work:\n\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s (…%s), created %s, %s\n", k.Name, k.Last4, k.CreatedAt.UTC().Format(time.DateOnly), lastUse(k.LastUsedAt))
		}
		b.WriteString("\nIf you do not know one of them, revoke it in the dashboard, or revoke them all at once with POST /auth/api-keys/revoke-all.\n")
	}
	b.WriteString("\nIf you did not reset your password, reset it again now and revoke your API keys.\n")
	s.send(mail.Message{To: u.Email, Subject: "Your SpiderGo password was reset", Body: b.String()}, u.ID, "reset_notice")
}

func lastUse(t time.Time) string {
	if t.IsZero() {
		return "never used"
	}
	return "last used " + t.UTC().Format("2006-01-02 15:04 UTC")
}
