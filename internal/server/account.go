package server

import (
	"errors"
	"net/http"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/account"
)

// profileOf is the public view of an account.
func profileOf(u *spidergo.User) api.Profile {
	return api.Profile{
		UserID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email,
		IsVerified: u.IsVerified, AvatarURL: u.AvatarURL, CreatedAt: api.At(u.CreatedAt),
	}
}

// handleRegister creates an account and mails its verification code. The
// request struct lists every field a client may set: anything else, such
// as is_verified, is refused by decodeJSON.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Name      string `json:"name"`
		Email     string `json:"email"`
		Password  string `json:"password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	_, err := s.accounts.Register(r.Context(), account.NewUser{
		FirstName: in.FirstName, LastName: in.LastName, Name: in.Name, Email: in.Email, Password: in.Password,
	}, s.clientIP(r))
	if err != nil {
		return err
	}
	// Without SMTP no mail leaves the server (it goes to the server's log),
	// so the answer must not say one was sent.
	msg := "Account created. You can sign in now."
	switch {
	case s.accounts.RequireEmailVerification():
		msg = "Account created. Enter the verification code we sent to your email address, then sign in."
	case s.cfg.SMTPURL != "":
		msg = "Account created. We sent a verification code to your email address; you can sign in now."
	}
	return writeJSON(w, http.StatusCreated, map[string]string{"message": msg})
}

// handleLogin checks a password and starts a session.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := s.decodeThrottled(w, r, account.LoginAddr, &in); err != nil {
		return err
	}
	u, err := s.accounts.Login(r.Context(), in.Email, in.Password)
	if err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"user": profileOf(u)})
}

// handleLogout ends the caller's session and clears its cookies.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.accounts.Logout(r.Context(), sessionFrom(r.Context()).ID); err != nil {
		return err
	}
	s.clearSessionCookies(w, r)
	return writeJSON(w, http.StatusOK, map[string]string{"message": "Signed out."})
}

// handleMe answers the signed-in user's profile.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, profileOf(userFrom(r.Context())))
}

// handleDeleteMe deletes the signed-in account.
func (s *Server) handleDeleteMe(w http.ResponseWriter, r *http.Request) error {
	u := userFrom(r.Context())
	if err := s.accounts.Delete(r.Context(), u.ID); err != nil {
		return err
	}
	s.clearSessionCookies(w, r)
	return writeJSON(w, http.StatusOK, map[string]string{"message": "Account deleted."})
}

// handleRefresh trades the refresh cookie for new access and refresh
// tokens. A refused token also clears the cookies, so the browser stops
// sending a dead one.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	c, err := r.Cookie(refreshCookie)
	if err != nil || c.Value == "" {
		return account.ErrNoSession
	}
	sess, u, t, err := s.accounts.Refresh(r.Context(), c.Value)
	if err != nil {
		if spidergo.ErrorCode(err) == spidergo.EUNAUTHORIZED {
			if errors.Is(err, spidergo.ErrRefreshReused) {
				s.log.Warn("refresh token reused; session ended", "request_id", requestID(r.Context()), "ip", s.clientIP(r).String())
			}
			s.clearSessionCookies(w, r)
		}
		return err
	}
	s.setSessionCookies(w, r, sess, t)
	return writeJSON(w, http.StatusOK, map[string]any{"user": profileOf(u)})
}

// handleChangePassword replaces the signed-in user's password; every
// session ends and the caller gets a fresh one.
func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := s.decodeThrottled(w, r, account.LoginAddr, &in); err != nil {
		return err
	}
	u := userFrom(r.Context())
	if err := s.accounts.ChangePassword(r.Context(), u, in.CurrentPassword, in.NewPassword); err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"message": "Password changed. Every other session was signed out."})
}
