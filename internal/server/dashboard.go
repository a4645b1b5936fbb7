package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/account"
	"github.com/spidergo/spidergo/internal/web"
)

// mountDashboard is the one hook through which the dashboard's pages join
// the server's mux, beside the routes table. The pages reach accounts,
// keys and jobs through dashboard below.
func (s *Server) mountDashboard() error {
	providers := make([]string, 0, len(s.cfg.OAuth))
	for name := range s.cfg.OAuth {
		providers = append(providers, name)
	}
	slices.Sort(providers)
	wb, err := web.New(web.Config{
		BaseURL:                  s.cfg.BaseURL,
		OAuthProviders:           providers,
		RequireEmailVerification: s.accounts.RequireEmailVerification(),
		APIKeyMaxPerUser:         s.cfg.APIKeyMaxPerUser,
		APIKeyDailyLimit:         s.cfg.APIKeyDailyLimit,
		Now:                      s.now,
	}, dashboard{s}, s.log)
	if err != nil {
		return err
	}
	wb.Register(s.mux)
	return nil
}

// dashboard gives the pages what the JSON routes use: the account, key and
// job services, with the same throttles and the same session cookies. The
// pages have checked the request's origin already (internal/web refuses
// cross-origin posts), as requireSession does for the JSON routes.
type dashboard struct{ s *Server }

var _ web.Backend = dashboard{}

// cookieRecorder keeps the headers a handler sets and drops its body.
type cookieRecorder struct{ header http.Header }

func (c *cookieRecorder) Header() http.Header         { return c.header }
func (c *cookieRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (c *cookieRecorder) WriteHeader(int)             {}

// user is the signed-in user of r.
func (d dashboard) user(r *http.Request) (*spidergo.Session, *spidergo.User, error) {
	return d.s.authenticate(r)
}

func (d dashboard) userID(r *http.Request) (string, error) {
	_, u, err := d.user(r)
	if err != nil {
		return "", err
	}
	return u.ID, nil
}

func (d dashboard) User(r *http.Request) (*api.Profile, error) {
	_, u, err := d.user(r)
	if err != nil {
		return nil, err
	}
	p := profileOf(u)
	return &p, nil
}

// throttle counts a form against the client address's throttle, as the
// JSON route for the same action does.
func (d dashboard) throttle(w http.ResponseWriter, r *http.Request, kind account.Throttle) error {
	return retry(w, d.s.accounts.ThrottleAddr(kind, d.s.clientIP(r)))
}

// retry passes a throttle's wait on to the browser as Retry-After, as
// writeError does for the JSON routes.
func retry(w http.ResponseWriter, err error) error {
	var e *spidergo.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	return err
}

func (d dashboard) SignUp(w http.ResponseWriter, r *http.Request, in web.SignUp) error {
	_, err := d.s.accounts.Register(r.Context(), account.NewUser{
		FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, Password: in.Password,
	}, d.s.clientIP(r))
	return err
}

func (d dashboard) SignIn(w http.ResponseWriter, r *http.Request, email, password string) error {
	if err := d.throttle(w, r, account.LoginAddr); err != nil {
		return err
	}
	u, err := d.s.accounts.Login(r.Context(), email, password)
	if err != nil {
		return retry(w, err)
	}
	return d.s.startSession(w, r, u)
}

func (d dashboard) SignOut(w http.ResponseWriter, r *http.Request) error {
	sess, _, err := d.user(r)
	if err != nil {
		return err
	}
	if err := d.s.accounts.Logout(r.Context(), sess.ID); err != nil {
		return err
	}
	d.s.clearSessionCookies(w, r)
	return nil
}

// Refresh runs the refresh route's handler, which owns the cookie rules
// of a renewal (clearing a refused or reused token included), and passes
// on the cookies it sets; its JSON body is not for a page.
func (d dashboard) Refresh(w http.ResponseWriter, r *http.Request) error {
	rec := &cookieRecorder{header: http.Header{}}
	err := d.s.handleRefresh(rec, r)
	for _, c := range rec.header.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", c)
	}
	return err
}

func (d dashboard) VerifyEmail(w http.ResponseWriter, r *http.Request, email, code string) error {
	if err := d.throttle(w, r, account.CodeAddr); err != nil {
		return err
	}
	return retry(w, d.s.accounts.VerifyEmail(r.Context(), email, code))
}

func (d dashboard) ResendVerification(w http.ResponseWriter, r *http.Request, email string) error {
	if err := d.throttle(w, r, account.MailAddr); err != nil {
		return err
	}
	return retry(w, d.s.accounts.ResendVerification(r.Context(), email))
}

func (d dashboard) ForgotPassword(w http.ResponseWriter, r *http.Request, email string) error {
	if err := d.throttle(w, r, account.MailAddr); err != nil {
		return err
	}
	return retry(w, d.s.accounts.ForgotPassword(r.Context(), email))
}

func (d dashboard) VerifyResetCode(w http.ResponseWriter, r *http.Request, email, code string) (string, error) {
	if err := d.throttle(w, r, account.CodeAddr); err != nil {
		return "", err
	}
	token, err := d.s.accounts.VerifyResetCode(r.Context(), email, code)
	return token, retry(w, err)
}

func (d dashboard) ResetPassword(w http.ResponseWriter, r *http.Request, email, token, password string) error {
	if err := d.throttle(w, r, account.CodeAddr); err != nil {
		return err
	}
	return retry(w, d.s.accounts.ResetPassword(r.Context(), account.Reset{Email: email, ResetToken: token, Password: password}))
}

// ChangePassword ends every session of the account, this one included,
// and starts a new one for this browser.
func (d dashboard) ChangePassword(w http.ResponseWriter, r *http.Request, current, next string) error {
	if err := d.throttle(w, r, account.LoginAddr); err != nil {
		return err
	}
	_, u, err := d.user(r)
	if err != nil {
		return err
	}
	if err := d.s.accounts.ChangePassword(r.Context(), u, current, next); err != nil {
		return retry(w, err)
	}
	return d.s.startSession(w, r, u)
}

func (d dashboard) DeleteAccount(w http.ResponseWriter, r *http.Request) error {
	_, u, err := d.user(r)
	if err != nil {
		return err
	}
	if err := d.s.accounts.Delete(r.Context(), u.ID); err != nil {
		return err
	}
	d.s.clearSessionCookies(w, r)
	return nil
}

func (d dashboard) APIKeys(r *http.Request) ([]api.Key, error) {
	uid, err := d.userID(r)
	if err != nil {
		return nil, err
	}
	keys, err := d.s.keys.List(r.Context(), uid, false)
	if err != nil {
		return nil, err
	}
	return metasOf(keys), nil
}

func (d dashboard) CreateAPIKey(w http.ResponseWriter, r *http.Request, name string) (*api.CreatedKey, error) {
	uid, err := d.userID(r)
	if err != nil {
		return nil, err
	}
	k, secret, err := d.s.keys.Create(r.Context(), uid, name)
	if err != nil {
		return nil, err
	}
	return &api.CreatedKey{Message: "API key created. Store it securely now; it will not be shown again.", APIKey: secret, Meta: metaOf(k)}, nil
}

func (d dashboard) RevokeAPIKey(w http.ResponseWriter, r *http.Request, id string) error {
	uid, err := d.userID(r)
	if err != nil {
		return err
	}
	_, err = d.s.keys.Revoke(r.Context(), uid, id)
	return err
}

func (d dashboard) RevokeAllAPIKeys(w http.ResponseWriter, r *http.Request) (int, error) {
	uid, err := d.userID(r)
	if err != nil {
		return 0, err
	}
	keys, err := d.s.keys.RevokeAll(r.Context(), uid)
	return len(keys), err
}

func (d dashboard) KeyUsage(r *http.Request, id string) (*api.KeyUsage, error) {
	uid, err := d.userID(r)
	if err != nil {
		return nil, err
	}
	u, err := d.s.keys.Usage(r.Context(), uid, id)
	if err != nil {
		return nil, err
	}
	out := usageOf(u)
	return &out, nil
}

func (d dashboard) History(r *http.Request, cursor string, limit int) (*api.History, error) {
	uid, err := d.userID(r)
	if err != nil {
		return nil, err
	}
	return d.s.jobs.svc.List(r.Context(), uid, spidergo.JobFilter{Cursor: cursor, Limit: limit})
}

func (d dashboard) Job(r *http.Request, id, cursor string, limit int) (*api.Envelope, error) {
	uid, err := d.userID(r)
	if err != nil {
		return nil, err
	}
	return d.s.jobs.svc.Get(r.Context(), uid, id, cursor, limit)
}

func (d dashboard) DeleteJob(w http.ResponseWriter, r *http.Request, id string) error {
	uid, err := d.userID(r)
	if err != nil {
		return err
	}
	return d.s.jobs.svc.Delete(r.Context(), uid, id)
}

func (d dashboard) CancelJob(w http.ResponseWriter, r *http.Request, id string) error {
	uid, err := d.userID(r)
	if err != nil {
		return err
	}
	_, err = d.s.jobs.svc.Cancel(r.Context(), uid, id)
	return err
}

func (d dashboard) WebhookSecret(r *http.Request) (string, error) {
	uid, err := d.userID(r)
	if err != nil {
		return "", err
	}
	return d.s.store.WebhookSecret(r.Context(), uid)
}

func (d dashboard) RotateWebhookSecret(w http.ResponseWriter, r *http.Request) (string, error) {
	uid, err := d.userID(r)
	if err != nil {
		return "", err
	}
	return d.s.store.RotateWebhookSecret(r.Context(), uid)
}
