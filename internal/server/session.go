package server

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/account"
)

// Cookie names and paths of a browser session. The refresh cookie is sent
// only to /auth/refresh.
const (
	accessCookie  = "access_token"
	refreshCookie = "refresh_token"
	refreshPath   = "/auth/refresh"
)

type sessionCtxKey struct{}

// sessionFrom returns the session of a request that passed requireSession.
func sessionFrom(ctx context.Context) *spidergo.Session {
	sess, _ := ctx.Value(sessionCtxKey{}).(*spidergo.Session)
	return sess
}

// requireSession guards a cookie-authenticated route. It
//
//  1. refuses cross-origin browser requests with non-safe methods (403
//     forbidden), the CSRF defence of every cookie route;
//  2. authenticates the access_token cookie: missing, unknown, expired or
//     revoked → 401 unauthorized;
//  3. puts the user (withUser, so userIDFrom works too) and the session in
//     the request context before calling h.
//
// Answers behind it are marked Cache-Control: no-store, since they are
// about one signed-in user.
func (s *Server) requireSession(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.checkOrigin(r); err != nil {
			return err
		}
		sess, u, err := s.authenticate(r)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		ctx := context.WithValue(withUser(r.Context(), u), sessionCtxKey{}, sess)
		return h(w, r.WithContext(ctx))
	}
}

// refuseCrossOrigin guards a public route that changes state (sign-up,
// sign-in, codes) with the same cross-origin check as requireSession, so
// that another site cannot, for example, sign a visitor into an account of
// its choosing.
func (s *Server) refuseCrossOrigin(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.checkOrigin(r); err != nil {
			return err
		}
		return h(w, r)
	}
}

// checkOrigin applies http.CrossOriginProtection: safe methods pass;
// requests whose Sec-Fetch-Site or Origin shows another site are refused;
// requests without either (curl, SDKs) pass, as they cannot carry a
// victim's cookies.
func (s *Server) checkOrigin(r *http.Request) error {
	if err := s.csrf.Check(r); err != nil {
		return &spidergo.Error{Code: spidergo.EFORBIDDEN, Message: "Cross-origin requests are not allowed.", Err: err}
	}
	return nil
}

// authenticate resolves the access_token cookie to a live session and its
// user.
func (s *Server) authenticate(r *http.Request) (*spidergo.Session, *spidergo.User, error) {
	c, err := r.Cookie(accessCookie)
	if err != nil {
		return nil, nil, account.ErrNoSession
	}
	return s.accounts.Authenticate(r.Context(), c.Value)
}

// startSession signs u in: a new server-side session and its cookies.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *spidergo.User) error {
	sess, t, err := s.accounts.StartSession(r.Context(), u, account.Client{UserAgent: r.UserAgent(), IP: s.clientIP(r).String()})
	if err != nil {
		return err
	}
	s.setSessionCookies(w, r, sess, t)
	return nil
}

func (s *Server) setSessionCookies(w http.ResponseWriter, r *http.Request, sess *spidergo.Session, t account.Tokens) {
	now := s.now()
	secure := s.secureCookies(r)
	accessEnd := earlier(sess.AccessExpiresAt, sess.ExpiresAt)
	refreshEnd := earlier(sess.RefreshExpiresAt, sess.ExpiresAt)
	http.SetCookie(w, &http.Cookie{
		Name: accessCookie, Value: t.Access, Path: "/",
		MaxAge: cookieSeconds(accessEnd.Sub(now)), Expires: accessEnd,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
	http.SetCookie(w, &http.Cookie{
		Name: refreshCookie, Value: t.Refresh, Path: refreshPath,
		MaxAge: cookieSeconds(refreshEnd.Sub(now)), Expires: refreshEnd,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

// clearSessionCookies tells the browser to drop both cookies; each must be
// named with the path it was set with.
func (s *Server) clearSessionCookies(w http.ResponseWriter, r *http.Request) {
	secure := s.secureCookies(r)
	for name, path := range map[string]string{accessCookie: "/", refreshCookie: refreshPath} {
		http.SetCookie(w, &http.Cookie{
			Name: name, Value: "", Path: path, MaxAge: -1, Expires: time.Unix(1, 0),
			HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
		})
	}
}

// secureCookies applies SPIDERGO_SECURE_COOKIES. In auto mode cookies are
// Secure when the request came over TLS, directly or through a trusted
// proxy that says so in X-Forwarded-Proto.
func (s *Server) secureCookies(r *http.Request) bool {
	switch s.cfg.SecureCookies {
	case "true":
		return true
	case "false":
		return false
	}
	if r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	peer, err := netip.ParseAddr(host)
	return err == nil && s.trusted(peer.Unmap()) && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func cookieSeconds(d time.Duration) int {
	if d < time.Second {
		return 1
	}
	return int(d / time.Second)
}
