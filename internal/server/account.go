package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/oauth"
)

// profile is the public view of an account.
type profile struct {
	UserID     string `json:"user_id"`
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	Email      string `json:"email"`
	IsVerified bool   `json:"is_verified"`
	AvatarURL  string `json:"avatar_url"`
	CreatedAt  string `json:"created_at"`
}

func profileOf(u *spidergo.User) profile {
	return profile{
		UserID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email,
		IsVerified: u.IsVerified, AvatarURL: u.AvatarURL,
		CreatedAt: u.CreatedAt.UTC().Format(time.RFC3339),
	}
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
	email, err := auth.NormalizeEmail(in.Email)
	if err != nil {
		return err
	}
	first, last := in.FirstName, in.LastName
	if strings.TrimSpace(first) == "" && strings.TrimSpace(last) == "" {
		first, last = oauth.SplitName(in.Name)
	}
	if first, err = cleanName("first_name", first); err != nil {
		return err
	}
	if last, err = cleanName("last_name", last); err != nil {
		return err
	}
	if err := auth.CheckPassword(in.Password, email); err != nil {
		return err
	}
	// Counted only once the input is valid, so typos cost nothing; what is
	// limited is account creation and probing which addresses are taken.
	if err := s.throttleIP(w, r, s.acct.limits.registerIP); err != nil {
		return err
	}
	hash, err := s.acct.hasher.Hash(r.Context(), in.Password)
	if err != nil {
		return err
	}
	u := &spidergo.User{FirstName: first, LastName: last, Email: email, PasswordHash: hash}
	if err := s.store.CreateUser(r.Context(), u); err != nil {
		return err
	}
	if err := s.sendCode(r.Context(), u, spidergo.CodeVerifyEmail); err != nil {
		// The account exists either way; the user can ask for another code.
		s.log.Error("storing a verification code failed", "user_id", u.ID, "err", err)
	}
	msg := "Account created. We sent a verification code to your email address; you can sign in now."
	if s.cfg.RequireEmailVerification {
		msg = "Account created. Enter the verification code we sent to your email address, then sign in."
	}
	return writeJSON(w, http.StatusCreated, map[string]string{"message": msg})
}

var errBadLogin = spidergo.Errorf(spidergo.EUNAUTHORIZED, "Invalid email or password.")

// handleLogin checks a password and starts a session. An unknown email and
// a wrong password get the same answer after the same argon2 work.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := s.decodeThrottled(w, r, s.acct.limits.loginIP, &in); err != nil {
		return err
	}
	email, err := auth.NormalizeEmail(in.Email)
	if err != nil {
		return err
	}
	if err := s.throttle(w, s.acct.limits.loginEmail, email); err != nil {
		return err
	}
	u, err := s.checkPassword(r.Context(), email, in.Password)
	if err != nil {
		return err
	}
	if s.cfg.RequireEmailVerification && !u.IsVerified {
		// Said only after the right password, so it reveals nothing to a
		// guesser.
		return &spidergo.Error{
			Code:    spidergo.EFORBIDDEN,
			Message: "Verify your email address before signing in; POST /auth/resend-email sends a new code.",
			Details: map[string]any{"requires_verification": true},
		}
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"user": profileOf(u)})
}

// checkPassword returns the account with email when password is its
// password, else errBadLogin. A hash made with older parameters is
// replaced while the password is at hand.
func (s *Server) checkPassword(ctx context.Context, email, password string) (*spidergo.User, error) {
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, spidergo.ErrNotFound) {
		return nil, err
	}
	if u == nil || u.PasswordHash == "" {
		// No password to check (no account, or an OAuth-only one): spend
		// the same work on a dummy hash.
		s.acct.hasher.Verify(ctx, password, s.dummyHash(ctx))
		return nil, errBadLogin
	}
	ok, rehash, err := s.acct.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadLogin
	}
	if rehash {
		if h, err := s.acct.hasher.Hash(ctx, password); err == nil {
			u.PasswordHash = h
			if err := s.store.UpdateUser(ctx, u); err != nil {
				s.log.Warn("replacing an outdated password hash failed", "user_id", u.ID, "err", err)
			}
		}
	}
	return u, nil
}

func (s *Server) dummyHash(ctx context.Context) string {
	s.acct.dummyOnce.Do(func() {
		s.acct.dummyHash, _ = s.acct.hasher.Hash(ctx, auth.NewToken())
	})
	return s.acct.dummyHash
}

// handleLogout ends the caller's session and clears its cookies.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	err := s.store.DeleteSession(r.Context(), sessionFrom(r.Context()).ID)
	if err != nil && !errors.Is(err, spidergo.ErrNotFound) {
		return err
	}
	s.clearSessionCookies(w, r)
	return writeJSON(w, http.StatusOK, map[string]string{"message": "Signed out."})
}

// handleMe answers the signed-in user's profile.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, profileOf(userFrom(r.Context())))
}

// handleDeleteMe deletes the signed-in account. Its sessions, codes,
// identities, keys and history go with it by foreign-key cascade.
func (s *Server) handleDeleteMe(w http.ResponseWriter, r *http.Request) error {
	u := userFrom(r.Context())
	if err := s.store.DeleteUser(r.Context(), u.ID); err != nil && !errors.Is(err, spidergo.ErrNotFound) {
		return err
	}
	s.log.Info("account deleted", "user_id", u.ID, "request_id", requestID(r.Context()))
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
		return errNoSession
	}
	sess, err := s.rotateSession(w, r, c.Value)
	switch {
	case errors.Is(err, spidergo.ErrRefreshReused):
		s.log.Warn("refresh token reused; session ended", "request_id", requestID(r.Context()), "ip", s.clientIP(r).String())
		s.clearSessionCookies(w, r)
		return err
	case errors.Is(err, spidergo.ErrNotFound):
		s.clearSessionCookies(w, r)
		return spidergo.Errorf(spidergo.EUNAUTHORIZED, "Your session has expired or ended; sign in again.")
	case err != nil:
		return err
	}
	u, err := s.store.UserByID(r.Context(), sess.UserID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"user": profileOf(u)})
}

// handleChangePassword replaces the signed-in user's password. Every
// session ends, since one of them may be why the password is changing, and
// the caller gets a fresh one.
func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := s.decodeThrottled(w, r, s.acct.limits.loginIP, &in); err != nil {
		return err
	}
	u := userFrom(r.Context())
	if err := s.throttle(w, s.acct.limits.loginEmail, u.Email); err != nil {
		return err
	}
	if u.PasswordHash == "" {
		return spidergo.Errorf(spidergo.EINVALID, "This account signs in through a provider and has no password; POST /auth/forgot-password sets one.")
	}
	if _, err := s.checkPassword(r.Context(), u.Email, in.CurrentPassword); err != nil {
		if errors.Is(err, errBadLogin) {
			return spidergo.Errorf(spidergo.EUNAUTHORIZED, "The current password is wrong.")
		}
		return err
	}
	if err := auth.CheckPassword(in.NewPassword, u.Email); err != nil {
		return err
	}
	if err := s.setPassword(r.Context(), u, in.NewPassword); err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"message": "Password changed. Every other session was signed out."})
}

// setPassword stores a new password and ends every session of u.
func (s *Server) setPassword(ctx context.Context, u *spidergo.User, password string) error {
	hash, err := s.acct.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return err
	}
	return s.store.DeleteUserSessions(ctx, u.ID)
}
