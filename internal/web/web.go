// Package web is SpiderGo's dashboard: server-rendered pages where people
// sign up, manage API keys, watch their usage, try scrapes and crawls and
// browse their history.
//
// Rules the package keeps:
//
//   - Pages are html/template files and assets embedded with embed.FS: no
//     front-end build, no CDN, everything works offline.
//   - Forms post and redirect, so the core flows work without JavaScript;
//     scripts live in embedded files only, under a Content-Security-Policy
//     that allows no inline script.
//   - Every state-changing route refuses cross-origin requests
//     (http.CrossOriginProtection), like the server's cookie routes.
//   - An API key is shown once, in the body of the answer that created it:
//     never in a URL (which logs and history keep), a cookie or browser
//     storage.
//   - The package holds no account, key or job rules: it asks a Backend,
//     which the server supplies over the same code the JSON routes use.
package web

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Backend is what the dashboard needs from the rest of SpiderGo. Methods
// that take the ResponseWriter may set cookies or headers on it (a new
// session, Retry-After); none of them write a body. Errors are
// *spidergo.Error values whose Message is safe to show.
type Backend interface {
	// User is the signed-in user of r; an EUNAUTHORIZED error when there is
	// none.
	User(r *http.Request) (*api.Profile, error)
	SignUp(w http.ResponseWriter, r *http.Request, in SignUp) error
	SignIn(w http.ResponseWriter, r *http.Request, email, password string) error
	SignOut(w http.ResponseWriter, r *http.Request) error
	// Refresh trades the refresh cookie, which browsers send only under
	// /auth/refresh, for a new session.
	Refresh(w http.ResponseWriter, r *http.Request) error
	VerifyEmail(w http.ResponseWriter, r *http.Request, email, code string) error
	// ResendVerification and ForgotPassword mail a code; they answer the
	// same whether or not the account exists.
	ResendVerification(w http.ResponseWriter, r *http.Request, email string) error
	ForgotPassword(w http.ResponseWriter, r *http.Request, email string) error
	// VerifyResetCode trades a mailed code for a short-lived reset token.
	VerifyResetCode(w http.ResponseWriter, r *http.Request, email, code string) (token string, err error)
	ResetPassword(w http.ResponseWriter, r *http.Request, email, token, password string) error
	ChangePassword(w http.ResponseWriter, r *http.Request, current, next string) error
	DeleteAccount(w http.ResponseWriter, r *http.Request) error

	APIKeys(r *http.Request) ([]api.Key, error)
	CreateAPIKey(w http.ResponseWriter, r *http.Request, name string) (*api.CreatedKey, error)
	RevokeAPIKey(w http.ResponseWriter, r *http.Request, id string) error
	// RevokeAllAPIKeys revokes every active key of the user at once.
	RevokeAllAPIKeys(w http.ResponseWriter, r *http.Request) (revoked int, err error)
	KeyUsage(r *http.Request, id string) (*api.KeyUsage, error)

	History(r *http.Request, cursor string, limit int) (*api.History, error)
	// Job is one of the user's jobs with a page of its results.
	Job(r *http.Request, id, cursor string, limit int) (*api.Envelope, error)
	DeleteJob(w http.ResponseWriter, r *http.Request, id string) error
	// CancelJob stops one of the user's running jobs; its pages stay.
	CancelJob(w http.ResponseWriter, r *http.Request, id string) error

	WebhookSecret(r *http.Request) (string, error)
	RotateWebhookSecret(w http.ResponseWriter, r *http.Request) (string, error)
}

// SignUp is the sign-up form.
type SignUp struct {
	FirstName, LastName, Email, Password string
}

// Config is what the pages say about this server.
type Config struct {
	// BaseURL is the server's public URL, filled into the quick start.
	BaseURL string
	// OAuthProviders are the configured sign-in providers ("github", …).
	OAuthProviders []string
	// RequireEmailVerification says sign-in waits for a verified address.
	RequireEmailVerification bool
	APIKeyMaxPerUser         int
	APIKeyDailyLimit         int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Web serves the dashboard.
type Web struct {
	cfg   Config
	b     Backend
	log   *slog.Logger
	csrf  *http.CrossOriginProtection
	pages map[string]*template.Template
	md    *markdown
}

// New builds the dashboard over b.
func New(cfg Config, b Backend, log *slog.Logger) (*Web, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	wb := &Web{cfg: cfg, b: b, log: log, csrf: http.NewCrossOriginProtection(), md: newMarkdown()}
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Host != "" {
		if err := wb.csrf.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, err
		}
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	wb.pages = pages
	return wb, nil
}

// Register adds the dashboard's routes to mux.
func (wb *Web) Register(mux *http.ServeMux) {
	for _, rt := range wb.routes() {
		mux.Handle(rt.pattern, withSecurityHeaders(rt.h))
	}
}

type route struct {
	pattern string
	h       http.Handler
}

// staticHandler serves the embedded stylesheet and scripts. They change
// only with the binary, so browsers may keep them for a day.
func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows scripts, styles, images and connections to
// this origin only, and no inline script or style: an injected tag can run
// nothing. Images may also be data: URLs (none of ours are remote).
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// withSecurityHeaders sets the headers every dashboard answer carries.
func withSecurityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.ServeHTTP(w, r)
	})
}

// handler is a page handler; u is the signed-in user or nil.
type handler func(w http.ResponseWriter, r *http.Request, u *api.Profile) error

// page serves a route open to everyone; u is nil when nobody is signed in.
func (wb *Web) page(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := wb.csrf.Check(r); err != nil {
				wb.fail(w, r, nil, errCrossOrigin)
				return
			}
		}
		u, err := wb.b.User(r)
		if err != nil && spidergo.ErrorCode(err) != spidergo.EUNAUTHORIZED {
			wb.fail(w, r, nil, err)
			return
		}
		if u != nil {
			w.Header().Set("Cache-Control", "no-store")
		}
		if err := h(w, r, u); err != nil {
			wb.fail(w, r, u, err)
		}
	})
}

// accessCookie is the session cookie of the cookie API (backend-api.md).
// It lives 15 minutes; the browser then drops it.
const accessCookie = "access_token"

// member serves a route for signed-in users; others are sent to sign in
// and brought back afterwards. A browser whose short-lived access cookie
// has expired first goes by refreshPath, where its refresh cookie renews
// the session without asking for the password again.
func (wb *Web) member(h handler) http.Handler {
	return wb.page(func(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
		if u == nil {
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = "/"
			}
			if _, err := r.Cookie(accessCookie); err != nil && r.Method == http.MethodGet {
				return redirect(w, r, refreshPath+"?next="+url.QueryEscape(next))
			}
			return redirect(w, r, "/signin?next="+url.QueryEscape(next))
		}
		return h(w, r, u)
	})
}

// refreshPath lies under the refresh cookie's path, /auth/refresh, so the
// browser sends that cookie here and nowhere else.
const refreshPath = "/auth/refresh/continue"

// refresh renews the session and goes on to next, or asks to sign in.
func (wb *Web) refresh(w http.ResponseWriter, r *http.Request, _ *api.Profile) error {
	next := localPath(r.URL.Query().Get("next"))
	if err := wb.b.Refresh(w, r); err != nil {
		if spidergo.ErrorCode(err) != spidergo.EUNAUTHORIZED {
			wb.log.Warn("renewing a dashboard session failed", "err", err)
		}
		return redirect(w, r, "/signin?next="+url.QueryEscape(next))
	}
	return redirect(w, r, next)
}

var errCrossOrigin = spidergo.Errorf(spidergo.EFORBIDDEN, "This form was sent from another site, so it was refused. Open the page on this site and try again.")

// statusOf mirrors the server's code→status table for the codes pages meet.
func statusOf(err error) int {
	switch spidergo.ErrorCode(err) {
	case spidergo.EINVALID:
		return http.StatusBadRequest
	case spidergo.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case spidergo.EFORBIDDEN:
		return http.StatusForbidden
	case spidergo.ENOTFOUND:
		return http.StatusNotFound
	case spidergo.ECONFLICT:
		return http.StatusConflict
	case spidergo.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case spidergo.EQUOTA, spidergo.ETHROTTLED:
		return http.StatusTooManyRequests
	case spidergo.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail renders an error page. Internal causes go to the log, never to the
// page.
func (wb *Web) fail(w http.ResponseWriter, r *http.Request, u *api.Profile, err error) {
	status := statusOf(err)
	if status >= 500 {
		wb.log.Error("dashboard page failed", "path", r.URL.Path, "request_id", w.Header().Get("X-Request-ID"), "err", err)
	}
	v := wb.view(r, u, "Something went wrong", "")
	v.Error = spidergo.ErrorMessage(err)
	if errors.Is(err, spidergo.ErrNotFound) || spidergo.ErrorCode(err) == spidergo.ENOTFOUND {
		v.Title = "Not found"
	}
	wb.render(w, status, "error", v)
}
