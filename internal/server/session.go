package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/mail"
	"github.com/spidergo/spidergo/internal/oauth"
)

// Cookie names and lifetimes of a browser session. The access token is
// short-lived so that a stolen one is worth little; the refresh token lives
// longer but is sent only to /auth/refresh and rotates on every use; no
// rotation stretches a session past sessionMaxAge.
const (
	accessCookie  = "access_token"
	refreshCookie = "refresh_token"
	refreshPath   = "/auth/refresh"

	accessTTL     = 15 * time.Minute
	refreshTTL    = 7 * 24 * time.Hour
	sessionMaxAge = 30 * 24 * time.Hour

	// sweepEvery is how often dead sessions and codes are deleted.
	sweepEvery = 10 * time.Minute
)

// accounts is the server's state for cookie sessions and the account
// routes.
type accounts struct {
	hasher *auth.Hasher
	csrf   *http.CrossOriginProtection
	mailer mail.Mailer
	oauth  map[string]*oauth.Provider
	limits throttles

	// dummyHash is verified against when a login names no account, so that
	// the answer takes as long as for a wrong password.
	dummyOnce sync.Once
	dummyHash string

	// mailing counts mail being sent in the background; Close waits for it.
	mailing sync.WaitGroup
}

// initAccounts sets up sessions and starts the sweeper that deletes
// expired sessions and codes.
func (s *Server) initAccounts(opts Options) error {
	a := &accounts{
		hasher: auth.NewHasher(opts.PasswordParams),
		csrf:   http.NewCrossOriginProtection(),
		mailer: opts.Mailer,
		oauth:  map[string]*oauth.Provider{},
		limits: defaultThrottles(),
	}
	if a.mailer == nil {
		m, err := mail.New(s.cfg.SMTPURL, s.cfg.MailFrom, s.log)
		if err != nil {
			return err
		}
		a.mailer = m
	}
	for name, p := range s.cfg.OAuth {
		a.oauth[name] = &oauth.Provider{
			Name: name, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
			AuthURL: p.AuthURL, TokenURL: p.TokenURL, UserURL: p.UserURL, EmailsURL: p.EmailsURL,
			RedirectURL: s.cfg.BaseURL + "/auth/oauth/" + name,
		}
	}
	// Behind a proxy the Host header may name an internal address while
	// browsers send the public origin; the configured base URL is ours.
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Host != "" {
		if err := a.csrf.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return err
		}
	}
	s.acct = a
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.store.DeleteExpired(ctx, s.now()); err != nil && ctx.Err() == nil {
					s.log.Warn("deleting expired sessions failed", "err", err)
				}
			}
		}
	}()
	s.onClose(func() { cancel(); <-done; a.mailing.Wait() })
	return nil
}

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
	if err := s.acct.csrf.Check(r); err != nil {
		return &spidergo.Error{Code: spidergo.EFORBIDDEN, Message: "Cross-origin requests are not allowed.", Err: err}
	}
	return nil
}

var errNoSession = spidergo.Errorf(spidergo.EUNAUTHORIZED, "Sign in first.")

// authenticate resolves the access_token cookie to a live session and its
// user.
func (s *Server) authenticate(r *http.Request) (*spidergo.Session, *spidergo.User, error) {
	c, err := r.Cookie(accessCookie)
	if err != nil || c.Value == "" {
		return nil, nil, errNoSession
	}
	sess, err := s.store.SessionByAccessHash(r.Context(), auth.HashToken(c.Value), s.now())
	if errors.Is(err, spidergo.ErrNotFound) {
		return nil, nil, spidergo.Errorf(spidergo.EUNAUTHORIZED, "Your session has expired or ended; sign in again.")
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := s.store.UserByID(r.Context(), sess.UserID)
	if errors.Is(err, spidergo.ErrNotFound) {
		return nil, nil, errNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// startSession signs u in: a new server-side session and its cookies.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *spidergo.User) error {
	now := s.now().UTC()
	access, refresh := auth.NewToken(), auth.NewToken()
	sess := &spidergo.Session{
		UserID:           u.ID,
		AccessHash:       auth.HashToken(access),
		RefreshHash:      auth.HashToken(refresh),
		AccessExpiresAt:  now.Add(accessTTL),
		RefreshExpiresAt: now.Add(refreshTTL),
		ExpiresAt:        now.Add(sessionMaxAge),
		CreatedAt:        now,
		UserAgent:        truncateUTF8(r.UserAgent(), 256),
		IP:               s.clientIP(r).String(),
	}
	if err := s.store.CreateSession(r.Context(), sess); err != nil {
		return err
	}
	s.setSessionCookies(w, r, sess, access, refresh)
	return nil
}

// rotateSession trades a refresh token for new tokens.
func (s *Server) rotateSession(w http.ResponseWriter, r *http.Request, refresh string) (*spidergo.Session, error) {
	now := s.now().UTC()
	access, next := auth.NewToken(), auth.NewToken()
	sess, err := s.store.RotateSession(r.Context(), auth.HashToken(refresh), spidergo.SessionRotation{
		AccessHash:       auth.HashToken(access),
		RefreshHash:      auth.HashToken(next),
		AccessExpiresAt:  now.Add(accessTTL),
		RefreshExpiresAt: now.Add(refreshTTL),
	}, now)
	if err != nil {
		return nil, err
	}
	s.setSessionCookies(w, r, sess, access, next)
	return sess, nil
}

func (s *Server) setSessionCookies(w http.ResponseWriter, r *http.Request, sess *spidergo.Session, access, refresh string) {
	now := s.now()
	secure := s.secureCookies(r)
	accessEnd := earlier(sess.AccessExpiresAt, sess.ExpiresAt)
	refreshEnd := earlier(sess.RefreshExpiresAt, sess.ExpiresAt)
	http.SetCookie(w, &http.Cookie{
		Name: accessCookie, Value: access, Path: "/",
		MaxAge: cookieSeconds(accessEnd.Sub(now)), Expires: accessEnd,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
	http.SetCookie(w, &http.Cookie{
		Name: refreshCookie, Value: refresh, Path: refreshPath,
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

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
