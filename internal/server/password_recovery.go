package server

import (
	"net/http"

	"github.com/spidergo/spidergo/internal/account"
)

// emailAndCode are the fields of the code-checking routes.
type emailAndCode struct {
	Email string `json:"email"`
	Code  string `json:"code"`
}

// handleVerifyEmail marks an account verified with the code mailed to it.
func (s *Server) handleVerifyEmail(w http.ResponseWriter, r *http.Request) error {
	var in emailAndCode
	if err := s.decodeThrottled(w, r, account.CodeAddr, &in); err != nil {
		return err
	}
	if err := s.accounts.VerifyEmail(r.Context(), in.Email, in.Code); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"message": "Email address verified. You can sign in now."})
}

// handleResendEmail mails a new verification code. It answers the same
// whether or not the account exists or is already verified.
func (s *Server) handleResendEmail(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := s.decodeThrottled(w, r, account.MailAddr, &in); err != nil {
		return err
	}
	if err := s.accounts.ResendVerification(r.Context(), in.Email); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"message": "If an account with this email address is waiting for verification, a new code is on its way."})
}

// handleForgotPassword mails a password reset code, answering the same
// whether or not the account exists.
func (s *Server) handleForgotPassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := s.decodeThrottled(w, r, account.MailAddr, &in); err != nil {
		return err
	}
	if err := s.accounts.ForgotPassword(r.Context(), in.Email); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"message": "If an account with this email address exists, a reset code is on its way."})
}

// handleVerifyResetCode trades a reset code for a short-lived reset token.
func (s *Server) handleVerifyResetCode(w http.ResponseWriter, r *http.Request) error {
	var in emailAndCode
	if err := s.decodeThrottled(w, r, account.CodeAddr, &in); err != nil {
		return err
	}
	token, err := s.accounts.VerifyResetCode(r.Context(), in.Email, in.Code)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"message":     "Code accepted. Send the reset token with your new password to /auth/reset-password.",
		"reset_token": token,
		"expires_in":  int(account.ResetTokenTTL.Seconds()),
	})
}

// handleResetPassword sets a new password with a reset token or, in one
// step, a reset code.
func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email      string `json:"email"`
		ResetToken string `json:"reset_token"`
		Code       string `json:"code"`
		Password   string `json:"password"`
	}
	if err := s.decodeThrottled(w, r, account.CodeAddr, &in); err != nil {
		return err
	}
	if err := s.accounts.ResetPassword(r.Context(), account.Reset{Email: in.Email, ResetToken: in.ResetToken, Code: in.Code, Password: in.Password}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"message": "Password changed and every session signed out. Sign in with your new password."})
}
