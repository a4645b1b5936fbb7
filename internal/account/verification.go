package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/mail"
)

// Lifetimes of mailed codes and of the reset token a code is traded for.
const (
	CodeTTL       = 10 * time.Minute
	ResetTokenTTL = 15 * time.Minute
)

// codeMail is the subject and body of each kind of code mail; %s is the
// greeting name, %s the code, %d its lifetime in minutes.
var codeMail = map[string][2]string{
	spidergo.CodeVerifyEmail: {
		"Your SpiderGo verification code",
		"Hello %s,\n\nYour SpiderGo verification code is %s. It expires in %d minutes.\n\nIf you did not create a SpiderGo account, ignore this mail.\n",
	},
	spidergo.CodeResetPassword: {
		"Your SpiderGo password reset code",
		"Hello %s,\n\nYour SpiderGo password reset code is %s. It expires in %d minutes.\n\nIf you did not ask to reset your password, ignore this mail; your password stays as it is.\n",
	},
}

// sendCode stores a fresh code for u and purpose and mails it.
func (s *Service) sendCode(ctx context.Context, u *spidergo.User, purpose string) error {
	code := auth.NewCode()
	c := &spidergo.Code{UserID: u.ID, Purpose: purpose, Hash: auth.HashCode(u.ID, purpose, code), ExpiresAt: s.now().Add(CodeTTL)}
	if err := s.store.PutCode(ctx, c); err != nil {
		return err
	}
	text := codeMail[purpose]
	s.send(mail.Message{To: u.Email, Subject: text[0], Body: fmt.Sprintf(text[1], greeting(u.FirstName), code, int(CodeTTL/time.Minute))}, u.ID, purpose)
	return nil
}

// useCode checks a mailed code for the account with email. Every failure,
// an unknown account included, gives ErrCodeInvalid.
func (s *Service) useCode(ctx context.Context, email, purpose, code string) (*spidergo.User, error) {
	code = strings.TrimSpace(code)
	if !auth.IsCode(code) {
		return nil, spidergo.Errorf(spidergo.EINVALID, "The code must be 6 digits.")
	}
	return s.useSecret(ctx, email, purpose, code)
}

func (s *Service) useSecret(ctx context.Context, email, purpose, secret string) (*spidergo.User, error) {
	email, err := auth.NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, spidergo.ErrNotFound) {
		return nil, spidergo.ErrCodeInvalid
	}
	if err != nil {
		return nil, err
	}
	if err := s.store.UseCode(ctx, u.ID, purpose, auth.HashCode(u.ID, purpose, secret), s.now()); err != nil {
		return nil, err
	}
	return u, nil
}

// VerifyEmail marks an account verified with the code mailed to it. The
// code proves the address; whatever was set up on the account before that
// proof is ended (see claim).
func (s *Service) VerifyEmail(ctx context.Context, email, code string) error {
	u, err := s.useCode(ctx, email, spidergo.CodeVerifyEmail, code)
	if err != nil {
		return err
	}
	if u.IsVerified {
		return nil
	}
	return s.claim(ctx, u, claimByVerification)
}

// ResendVerification mails a new verification code. It does the same
// whether or not the account exists or is already verified, so the
// answer tells nothing.
func (s *Service) ResendVerification(ctx context.Context, email string) error {
	return s.mailCode(ctx, email, spidergo.CodeVerifyEmail)
}

// ForgotPassword mails a password reset code, the same whether or not the
// account exists.
func (s *Service) ForgotPassword(ctx context.Context, email string) error {
	return s.mailCode(ctx, email, spidergo.CodeResetPassword)
}

func (s *Service) mailCode(ctx context.Context, email, purpose string) error {
	email, err := auth.NormalizeEmail(email)
	if err != nil {
		return err
	}
	// Counted per address whether or not it has an account, so the 429
	// reveals nothing either.
	if err := s.throttle(s.limits.mailEmail, purpose+" "+email); err != nil {
		return err
	}
	u, err := s.store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, spidergo.ErrNotFound):
		return nil
	case err != nil:
		return err
	case purpose == spidergo.CodeVerifyEmail && u.IsVerified:
		return nil
	}
	return s.sendCode(ctx, u, purpose)
}
