package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/web"
)

// mountDashboard is the one hook through which the dashboard's pages join
// the server's mux, beside the routes table. The pages reach accounts,
// keys and jobs through dashboard below.
func (s *Server) mountDashboard() error {
	providers := make([]string, 0, len(s.acct.oauth))
	for name := range s.acct.oauth {
		providers = append(providers, name)
	}
	slices.Sort(providers)
	wb, err := web.New(web.Config{
		BaseURL:                  s.cfg.BaseURL,
		OAuthProviders:           providers,
		RequireEmailVerification: s.cfg.RequireEmailVerification,
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

// dashboard gives the pages the rules the JSON routes own: each method
// runs the very handler (with its guard) that serves the same action over
// JSON, in-process, so that a form and an API call can never disagree.
// The handler's error comes back as the domain error it returned; its
// cookies and Retry-After reach the browser.
type dashboard struct{ s *Server }

var _ web.Backend = dashboard{}

// bufferedResponse collects what a handler writes.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// call runs h on a copy of r that carries in as a JSON body (GET when in
// is nil), with the given path values and query, and decodes the JSON
// answer into out.
func (d dashboard) call(w http.ResponseWriter, r *http.Request, h handlerFunc, method string, path map[string]string, query url.Values, in, out any) error {
	req := r.Clone(r.Context())
	req.Method = method
	req.URL.RawQuery = query.Encode()
	req.Header.Del("Content-Type")
	req.Body, req.ContentLength = http.NoBody, 0
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range path {
		req.SetPathValue(k, v)
	}
	rec := &bufferedResponse{header: http.Header{}}
	err := h(rec, req)
	if w != nil {
		for _, c := range rec.header.Values("Set-Cookie") {
			w.Header().Add("Set-Cookie", c)
		}
		if ra := rec.header.Get("Retry-After"); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
	}
	if err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return err
		}
	}
	return nil
}

type messageBody struct {
	Message string `json:"message"`
}

func (d dashboard) User(r *http.Request) (*api.Profile, error) {
	_, u, err := d.s.authenticate(r)
	if err != nil {
		return nil, err
	}
	return &api.Profile{
		UserID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email,
		IsVerified: u.IsVerified, AvatarURL: u.AvatarURL, CreatedAt: api.At(u.CreatedAt),
	}, nil
}

func (d dashboard) SignUp(w http.ResponseWriter, r *http.Request, in web.SignUp) (string, error) {
	var out messageBody
	err := d.call(w, r, d.s.refuseCrossOrigin(d.s.handleRegister), http.MethodPost, nil, nil, map[string]string{
		"first_name": in.FirstName, "last_name": in.LastName, "email": in.Email, "password": in.Password,
	}, &out)
	return out.Message, err
}

func (d dashboard) SignIn(w http.ResponseWriter, r *http.Request, email, password string) error {
	return d.call(w, r, d.s.refuseCrossOrigin(d.s.handleLogin), http.MethodPost, nil, nil,
		map[string]string{"email": email, "password": password}, nil)
}

func (d dashboard) SignOut(w http.ResponseWriter, r *http.Request) error {
	return d.call(w, r, d.s.requireSession(d.s.handleLogout), http.MethodPost, nil, nil, nil, nil)
}

func (d dashboard) Refresh(w http.ResponseWriter, r *http.Request) error {
	return d.call(w, r, d.s.handleRefresh, http.MethodGet, nil, nil, nil, nil)
}

func (d dashboard) VerifyEmail(w http.ResponseWriter, r *http.Request, email, code string) error {
	return d.call(w, r, d.s.refuseCrossOrigin(d.s.handleVerifyEmail), http.MethodPost, nil, nil,
		map[string]string{"email": email, "code": code}, nil)
}

func (d dashboard) ResendVerification(w http.ResponseWriter, r *http.Request, email string) (string, error) {
	var out messageBody
	err := d.call(w, r, d.s.refuseCrossOrigin(d.s.handleResendEmail), http.MethodPost, nil, nil,
		map[string]string{"email": email}, &out)
	return out.Message, err
}

func (d dashboard) ForgotPassword(w http.ResponseWriter, r *http.Request, email string) (string, error) {
	var out messageBody
	err := d.call(w, r, d.s.refuseCrossOrigin(d.s.handleForgotPassword), http.MethodPost, nil, nil,
		map[string]string{"email": email}, &out)
	return out.Message, err
}

func (d dashboard) VerifyResetCode(w http.ResponseWriter, r *http.Request, email, code string) (string, error) {
	var out struct {
		ResetToken string `json:"reset_token"`
	}
	err := d.call(w, r, d.s.refuseCrossOrigin(d.s.handleVerifyResetCode), http.MethodPost, nil, nil,
		map[string]string{"email": email, "code": code}, &out)
	return out.ResetToken, err
}

func (d dashboard) ResetPassword(w http.ResponseWriter, r *http.Request, email, token, password string) error {
	return d.call(w, r, d.s.refuseCrossOrigin(d.s.handleResetPassword), http.MethodPost, nil, nil,
		map[string]string{"email": email, "reset_token": token, "password": password}, nil)
}

func (d dashboard) ChangePassword(w http.ResponseWriter, r *http.Request, current, next string) error {
	return d.call(w, r, d.s.requireSession(d.s.handleChangePassword), http.MethodPost, nil, nil,
		map[string]string{"current_password": current, "new_password": next}, nil)
}

func (d dashboard) DeleteAccount(w http.ResponseWriter, r *http.Request) error {
	return d.call(w, r, d.s.requireSession(d.s.handleDeleteMe), http.MethodDelete, nil, nil, nil, nil)
}

func (d dashboard) APIKeys(r *http.Request) ([]api.Key, error) {
	var out api.Keys
	err := d.call(nil, r, d.s.requireSession(d.s.handleListAPIKeys), http.MethodGet, nil, nil, nil, &out)
	return out.Keys, err
}

func (d dashboard) CreateAPIKey(w http.ResponseWriter, r *http.Request, name string) (*api.CreatedKey, error) {
	var out api.CreatedKey
	if err := d.call(w, r, d.s.requireSession(d.s.handleCreateAPIKey), http.MethodPost, nil, nil,
		map[string]string{"name": name}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (d dashboard) RevokeAPIKey(w http.ResponseWriter, r *http.Request, id string) error {
	return d.call(w, r, d.s.requireSession(d.s.handleRevokeAPIKey), http.MethodDelete, map[string]string{"id": id}, nil, nil, nil)
}

func (d dashboard) KeyUsage(r *http.Request, id string) (*api.KeyUsage, error) {
	var out api.KeyUsage
	if err := d.call(nil, r, d.s.requireSession(d.s.handleAPIKeyUsage), http.MethodGet, map[string]string{"id": id}, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func pageQuery(cursor string, limit int) url.Values {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return q
}

func (d dashboard) History(r *http.Request, cursor string, limit int) (*api.History, error) {
	var out api.History
	if err := d.call(nil, r, d.s.requireSession(d.s.handleHistory), http.MethodGet, nil, pageQuery(cursor, limit), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (d dashboard) Job(r *http.Request, id, cursor string, limit int) (*api.Envelope, error) {
	var out api.Response
	if err := d.call(nil, r, d.s.requireSession(d.s.handleJob), http.MethodGet, map[string]string{"id": id}, pageQuery(cursor, limit), nil, &out); err != nil {
		return nil, err
	}
	if out.Message == nil {
		return nil, spidergo.ErrNotFound
	}
	return out.Message, nil
}

func (d dashboard) DeleteJob(w http.ResponseWriter, r *http.Request, id string) error {
	return d.call(w, r, d.s.requireSession(d.s.handleDeleteJob), http.MethodDelete, map[string]string{"id": id}, nil, nil, nil)
}

func (d dashboard) CancelJob(w http.ResponseWriter, r *http.Request, id string) error {
	return d.call(w, r, d.s.requireSession(d.s.handleCancel), http.MethodPost, map[string]string{"id": id}, nil, nil, nil)
}

func (d dashboard) WebhookSecret(r *http.Request) (string, error) {
	var out struct {
		Secret string `json:"webhook_secret"`
	}
	err := d.call(nil, r, d.s.requireSession(d.s.handleWebhookSecret), http.MethodGet, nil, nil, nil, &out)
	return out.Secret, err
}

func (d dashboard) RotateWebhookSecret(w http.ResponseWriter, r *http.Request) (string, error) {
	var out struct {
		Secret string `json:"webhook_secret"`
	}
	err := d.call(w, r, d.s.requireSession(d.s.handleRotateWebhookSecret), http.MethodPost, nil, nil, nil, &out)
	return out.Secret, err
}
