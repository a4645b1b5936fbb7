package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/mail"
)

// Lifetimes of mailed codes and of the reset token a code is traded for.
const (
	codeTTL       = 10 * time.Minute
	resetTokenTTL = 15 * time.Minute
	mailTimeout   = time.Minute
)

// mailText is the subject and body of each kind of code mail; %s is the
// greeting name, %s the code, %d its lifetime in minutes.
var mailText = map[string][2]string{
	spidergo.CodeVerifyEmail: {
		"Your SpiderGo verification code",
		"Hello %s,\n\nYour SpiderGo verification code is %s. It expires in %d minutes.\n\nIf you did not create a SpiderGo account, ignore this mail.\n",
	},
	spidergo.CodeResetPassword: {
		"Your SpiderGo password reset code",
		"Hello %s,\n\nYour SpiderGo password reset code is %s. It expires in %d minutes.\n\nIf you did not ask to reset your password, ignore this mail; your password stays as it is.\n",
	},
}

// sendCode stores a fresh code for u and purpose and mails it. The mail
// goes out in the background: an SMTP exchange takes long enough that
// waiting for it would tell a caller whether the account exists.
func (s *Server) sendCode(ctx context.Context, u *spidergo.User, purpose string) error {
	code := auth.NewCode()
	c := &spidergo.Code{UserID: u.ID, Purpose: purpose, Hash: auth.HashCode(u.ID, purpose, code), ExpiresAt: s.now().Add(codeTTL)}
	if err := s.store.PutCode(ctx, c); err != nil {
		return err
	}
	name := u.FirstName
	if name == "" {
		name = "there"
	}
	text := mailText[purpose]
	msg := mail.Message{To: u.Email, Subject: text[0], Body: fmt.Sprintf(text[1], name, code, int(codeTTL/time.Minute))}
	s.acct.mailing.Add(1)
	go func() {
		defer s.acct.mailing.Done()
		ctx, cancel := context.WithTimeout(context.Background(), mailTimeout)
		defer cancel()
		if err := s.acct.mailer.Send(ctx, msg); err != nil {
			s.log.Error("sending mail failed", "user_id", u.ID, "purpose", purpose, "err", err)
		}
	}()
	return nil
}

// emailAndCode are the fields of the code-checking routes.
type emailAndCode struct {
	Email string `json:"email"`
	Code  string `json:"code"`
}

// useCode checks a code for the account with email. Every failure, an
// unknown account included, gives ErrCodeInvalid.
func (s *Server) useCode(ctx context.Context, email, purpose, code string) (*spidergo.User, error) {
	code = strings.TrimSpace(code)
	if !auth.IsCode(code) {
		return nil, spidergo.Errorf(spidergo.EINVALID, "The code must be 6 digits.")
	}
	return s.useSecret(ctx, email, purpose, code)
}

func (s *Server) useSecret(ctx context.Context, email, purpose, secret string) (*spidergo.User, error) {
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

// handleVerifyEmail marks an account verified with the code mailed to it.
func (s *Server) handleVerifyEmail(w http.ResponseWriter, r *http.Request) error {
	var in emailAndCode
	if err := s.decodeThrottled(w, r, s.acct.limits.codeIP, &in); err != nil {
		return err
	}
	u, err := s.useCode(r.Context(), in.Email, spidergo.CodeVerifyEmail, in.Code)
	if err != nil {
		return err
	}
	if !u.IsVerified {
		u.IsVerified = true
		if err := s.store.UpdateUser(r.Context(), u); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"message": "Email address verified. You can sign in now."})
}

// handleResendEmail mails a new verification code. It answers the same
// whether or not the account exists or is already verified.
func (s *Server) handleResendEmail(w http.ResponseWriter, r *http.Request) error {
	return s.mailCode(w, r, spidergo.CodeVerifyEmail,
		"If an account with this email address is waiting for verification, a new code is on its way.")
}

// handleForgotPassword mails a password reset code, answering the same
// whether or not the account exists.
func (s *Server) handleForgotPassword(w http.ResponseWriter, r *http.Request) error {
	return s.mailCode(w, r, spidergo.CodeResetPassword,
		"If an account with this email address exists, a reset code is on its way.")
}

func (s *Server) mailCode(w http.ResponseWriter, r *http.Request, purpose, answer string) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := s.decodeThrottled(w, r, s.acct.limits.mailIP, &in); err != nil {
		return err
	}
	email, err := auth.NormalizeEmail(in.Email)
	if err != nil {
		return err
	}
	// Counted per address whether or not it has an account, so the 429
	// reveals nothing either.
	if err := s.throttle(w, s.acct.limits.mailEmail, purpose+" "+email); err != nil {
		return err
	}
	u, err := s.store.UserByEmail(r.Context(), email)
	switch {
	case errors.Is(err, spidergo.ErrNotFound):
	case err != nil:
		return err
	case purpose == spidergo.CodeVerifyEmail && u.IsVerified:
	default:
		if err := s.sendCode(r.Context(), u, purpose); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"message": answer})
}

// handleVerifyResetCode trades a reset code for a short-lived reset token,
// so that a form can check the code before asking for the new password.
func (s *Server) handleVerifyResetCode(w http.ResponseWriter, r *http.Request) error {
	var in emailAndCode
	if err := s.decodeThrottled(w, r, s.acct.limits.codeIP, &in); err != nil {
		return err
	}
	u, err := s.useCode(r.Context(), in.Email, spidergo.CodeResetPassword, in.Code)
	if err != nil {
		return err
	}
	token := auth.NewToken()
	c := &spidergo.Code{UserID: u.ID, Purpose: spidergo.CodeResetToken, Hash: auth.HashCode(u.ID, spidergo.CodeResetToken, token), ExpiresAt: s.now().Add(resetTokenTTL)}
	if err := s.store.PutCode(r.Context(), c); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"message":     "Code accepted. Send the reset token with your new password to /auth/reset-password.",
		"reset_token": token,
		"expires_in":  int(resetTokenTTL / time.Second),
	})
}

// handleResetPassword sets a new password with a reset token or, in one
// step, a reset code. It ends every session of the account. Having read
// the mail also proves the address, so the account counts as verified.
func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email      string `json:"email"`
		ResetToken string `json:"reset_token"`
		Code       string `json:"code"`
		Password   string `json:"password"`
	}
	if err := s.decodeThrottled(w, r, s.acct.limits.codeIP, &in); err != nil {
		return err
	}
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
		u, err = s.useSecret(r.Context(), email, spidergo.CodeResetToken, in.ResetToken)
	case in.Code != "":
		u, err = s.useCode(r.Context(), email, spidergo.CodeResetPassword, in.Code)
	default:
		return spidergo.Errorf(spidergo.EINVALID, "Send reset_token (from /auth/verify-reset-code) or the code from the mail.")
	}
	if err != nil {
		return err
	}
	u.IsVerified = true
	if err := s.setPassword(r.Context(), u, in.Password); err != nil {
		return err
	}
	if err := s.store.DeleteCodes(r.Context(), u.ID, spidergo.CodeResetPassword, spidergo.CodeResetToken); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"message": "Password changed and every session signed out. Sign in with your new password."})
}
